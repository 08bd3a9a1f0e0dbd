//! Group membership: joins, rebalances, lost partitions, rejected commits, repeated replies.

use super::*;

#[test]
fn eager_rebalance_revokes_at_the_next_poll_and_forgets_positions() {
    for commit_on_revoke in [false, true] {
        let c = group_with(Strategy::AtLeastOnce, true, commit_on_revoke, |s| s.commit_every = 2);
        let mut s = started(&c, 0);
        let by = Committer { member: Some(7), generation: 1 };
        run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(None), records(0, 1)]);
        let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }, output_ack(0)]);
        let join =
            (To::Coordinator, Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![] });
        if commit_on_revoke {
            assert_eq!(sent, vec![commit(1, by)], "onPartitionsRevoked commits what is processed");
            assert_eq!(run(&c, &mut s, &[commit_ack(1)]), vec![join]);
        } else {
            assert_eq!(sent, vec![join], "offset 0 is processed but not committed");
        }
        assert!(s.owned.is_empty());
    }
}

#[test]
fn cooperative_rebalance_keeps_positions_and_rejoins_after_revoking() {
    let c = group(Strategy::AtLeastOnce, false, false);
    let mut s = started(&c, 0);
    run(&c, &mut s, &[joined(1), synced(vec![0, 1])]);
    let both = vec![(0, None), (1, None)];
    run(&c, &mut s, &[Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets: both }]);
    run(&c, &mut s, &[records(0, 1), output_ack(0), commit_ack(1)]);
    let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }]);
    assert!(sent.is_empty(), "waits for the fetch of partition 1");
    let sent =
        run(&c, &mut s, &[Msg::FetchResponse { incarnation: 0, corr: 0, partition: 1, offset: 0, count: 1 }]);
    assert_eq!(sent.len(), 1);
    s.phase = Phase::Done;
    let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }]);
    let keep = Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![0, 1] };
    assert_eq!(sent, vec![(To::Coordinator, keep)]);
    let sent = run(&c, &mut s, &[joined(2), synced(vec![0])]);
    let revoked = Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![0] };
    assert_eq!(sent, vec![(To::Coordinator, revoked)], "KIP-429: revoke, then rejoin");
    assert_eq!(s.owned[0].position, Some(1), "partition 0 keeps its position");
}

#[test]
fn a_rejected_commit_loses_the_partitions_and_rejoins() {
    let c = group(Strategy::AtMostOnce, true, true);
    let mut s = started(&c, 0);
    run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(None), records(0, 1)]);
    let sent = run(&c, &mut s, &[fenced(1)]);
    let join = Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![] };
    assert_eq!(sent, vec![(To::Coordinator, join)], "the batch is dropped, nothing committed on loss");
    assert!(s.owned.is_empty() && s.generation == 0);
}

#[test]
fn a_new_member_id_means_the_partitions_were_lost() {
    let c = group(Strategy::AtMostOnce, false, false);
    let mut s = started(&c, 0);
    run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(Some(1))]);
    s.phase = Phase::Done;
    run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }]);
    assert_eq!(s.phase, Phase::Joining, "cooperative: rejoins keeping partition 0");
    let as_new_member = Msg::JoinResponse { incarnation: 0, corr: 0, member: 8, generation: 3 };
    let sent = run(&c, &mut s, &[as_new_member, synced(vec![0])]);
    let refetch = Msg::OffsetFetch { incarnation: 0, corr: 0, partitions: vec![0] };
    assert_eq!(sent, vec![(To::Coordinator, refetch)], "its old position is gone");
}

/// A JoinGroup answered with a new member id (the old one was evicted while
/// the consumer was joining): what it owned is lost (`onPartitionsLost`),
/// not revoked, whatever it had committed.
#[test]
fn partitions_taken_by_a_new_member_id_are_lost() {
    let c = group(Strategy::AtMostOnce, false, false);
    let mut s = started(&c, 0);
    run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(Some(1))]);
    s.phase = Phase::Done;
    run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }]);
    let as_new_member = Msg::JoinResponse { incarnation: 0, corr: 0, member: 8, generation: 3 };
    let mut events = Events::on();
    c.on_reply(&mut s, Actor::Coordinator, &as_new_member, &mut Out::new(&mut events));
    let revokes: Vec<Event> =
        events.into_vec().into_iter().filter(|e| matches!(e, Event::Revoke { .. })).collect();
    let lost = Event::Revoke { consumer: 0, partition: 0, position: Some(1), how: Revocation::Lost };
    assert_eq!(revokes, vec![lost]);
}

#[test]
fn auto_commit_commits_the_consumed_positions_before_rejoining() {
    let auto = CommitConfig { mode: CommitMode::Auto, ..CommitConfig::default() };
    let c = group_with(Strategy::AtLeastOnce, true, false, |s| s.commit = auto);
    let mut s = started(&c, 0);
    let by = Committer { member: Some(7), generation: 1 };
    run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(None), records(0, 1)]);
    assert_eq!(run(&c, &mut s, &[output_ack(0)]), vec![fetch(1)], "no interval elapsed: nothing committed");
    let sent = run(
        &c,
        &mut s,
        &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }, records(1, 1), output_ack(1)],
    );
    assert_eq!(sent, vec![output(1), commit(2, by)], "onJoinPrepare commits position 2 and waits");
    let join = (To::Coordinator, Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![] });
    assert_eq!(run(&c, &mut s, &[commit_ack(2)]), vec![join], "then revokes and rejoins");
}

#[test]
fn a_rejected_async_commit_fails_its_callback_and_the_member_rejoins() {
    for sent_before_a_rebalance in [false, true] {
        let c = group_with(Strategy::AtLeastOnce, true, false, |s| {
            s.commit = CommitConfig { mode: CommitMode::Async, retries: 1, ..CommitConfig::default() }
        });
        let mut s = started(&c, 0);
        let by = Committer { member: Some(7), generation: 1 };
        run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(None), records(0, 1)]);
        assert_eq!(run(&c, &mut s, &[output_ack(0)]), vec![commit(1, by), fetch(1)]);
        if sent_before_a_rebalance {
            s.generation = 2;
        }
        let rejected = fenced(1);
        assert!(run(&c, &mut s, &[rejected]).is_empty(), "CommitFailedException is not retried");
        assert!(s.pending_commits.is_empty());
        let sent = run(&c, &mut s, &[records(1, 1), output_ack(1)]);
        if sent_before_a_rebalance {
            assert_eq!(
                s.rejoin,
                Rejoin::No,
                "an older generation's rejection says nothing of the current one"
            );
        } else {
            let join =
                (To::Coordinator, Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![] });
            assert_eq!(sent, vec![output(1), join], "its partitions are lost at the next poll");
            assert!(s.owned.is_empty());
        }
    }
}

#[test]
fn an_eager_sticky_member_revokes_everything_but_reports_its_last_assignment() {
    for (assignor, reported) in [(Assignor::Sticky, vec![0]), (Assignor::Range, vec![])] {
        let c = group_with(Strategy::AtLeastOnce, true, false, |s| s.group.assignor = assignor);
        let mut s = started(&c, 0);
        run(
            &c,
            &mut s,
            &[joined(1), synced(vec![0]), offsets(None), records(0, 1), output_ack(0), commit_ack(1)],
        );
        s.phase = Phase::Done;
        let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }]);
        let join = Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: reported };
        assert_eq!(sent, vec![(To::Coordinator, join)], "{assignor:?}");
        assert!(s.owned.is_empty(), "{assignor:?} is eager: everything is revoked");
    }
}

/// On a lossy network a JoinGroup whose exchange is gone is sent again as
/// it was: the first join without a member id, a rejoin with its id and the
/// partitions it kept.
#[test]
fn a_joining_consumer_resends_its_join_group_as_it_was() {
    let c = group_with(Strategy::AtLeastOnce, false, false, |s| s.network.kind = NetworkKind::Lossy);
    let mut s = started(&c, 0);
    let first = Msg::JoinGroup { incarnation: 0, corr: 0, member: None, owned: vec![] };
    assert_eq!(c.request(&s), Some((To::Coordinator, first.clone())));
    assert_eq!(sending(|o| c.on_step(&mut s, Step::Timeout, o)).1, vec![(To::Coordinator, first)]);
    run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(Some(1))]);
    s.phase = Phase::Done;
    let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 0 }]);
    assert_eq!(s.phase, Phase::Joining);
    assert_eq!(c.request(&s).into_iter().collect::<Vec<_>>(), sent, "the rejoin as poll sent it");
    assert_eq!(
        sent,
        vec![(To::Coordinator, Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![0] })]
    );
}

/// A rejection names the commit it rejects: one for another commit (a late
/// copy) does not fail the commit the consumer waits on.
#[test]
fn a_rejection_of_another_commit_is_not_the_answer() {
    let c = group(Strategy::AtLeastOnce, true, false);
    let mut s = started(&c, 0);
    let by = Committer { member: Some(7), generation: 1 };
    let sent = run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(None), records(0, 1), output_ack(0)]);
    assert_eq!(sent.last(), Some(&commit(1, by)));
    run(&c, &mut s, &[fenced(2)]);
    assert!(matches!(s.phase, Phase::Committing { .. }), "still waits for its own answer");
    run(&c, &mut s, &[fenced(1)]);
    assert_eq!(s.phase, Phase::Joining, "rejected: it rejoins");
}

/// On the duplicating network every request has its own correlation id, so
/// the OffsetFetch a member sends again after a rebalance that gave it its
/// partition back is no copy of the first, and a copy of the first one's
/// response (nothing committed yet) does not answer it.
#[test]
fn a_copy_of_an_earlier_reply_answers_no_later_equal_request() {
    let c = group_with(Strategy::AtLeastOnce, true, false, |s| s.network.kind = NetworkKind::Duplicating);
    let (mut s, out) = sending(|o| c.start(0, o));
    assert_eq!(
        out,
        vec![(To::Coordinator, Msg::JoinGroup { incarnation: 0, corr: 1, member: None, owned: vec![] })]
    );
    // The JoinGroup's answer, then the answer to the SyncGroup it sends (the next corr).
    let assigned = |corr, generation| {
        let synced = Msg::SyncResponse { incarnation: 0, corr: corr + 1, assignment: Some(vec![0]) };
        [Msg::JoinResponse { incarnation: 0, corr, member: 7, generation }, synced]
    };
    let fetched =
        |corr, committed| Msg::OffsetFetchResponse { incarnation: 0, corr, offsets: vec![(0, committed)] };
    let first = run(&c, &mut s, &assigned(1, 1));
    assert_eq!(
        first,
        vec![(To::Coordinator, Msg::OffsetFetch { incarnation: 0, corr: 3, partitions: vec![0] })]
    );
    // A rebalance before the offsets arrive: the member rejoins and gets partition 0 back.
    run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0, generation: 1 }, fetched(3, None)]);
    let rejoin = s.awaiting;
    assert_eq!(s.phase, Phase::Joining);
    let again = run(&c, &mut s, &assigned(rejoin, 2));
    let corr = rejoin + 2;
    assert_eq!(
        again,
        vec![(To::Coordinator, Msg::OffsetFetch { incarnation: 0, corr, partitions: vec![0] })]
    );
    assert!(run(&c, &mut s, &[fetched(3, None)]).is_empty(), "the copy of the first response is no answer");
    assert_eq!(s.phase, Phase::AwaitingOffsets);
    let sent = run(&c, &mut s, &[fetched(corr, Some(1))]);
    assert!(matches!(sent[..], [(To::Broker, Msg::Fetch { offset: 1, .. })]), "{sent:?}");
}
