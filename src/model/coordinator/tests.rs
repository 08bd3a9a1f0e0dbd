//! Unit tests of the coordinator: commits, fetches, fencing, expiry and failover.

use super::*;
use crate::model::event::{Event, Events};
use crate::model::msg::Committer;
use crate::scenario::{Assignor, Fencing, Offset, Partition, Retention};

const MANUAL: Committer = Committer { member: None, generation: 0 };

fn coordinator(fencing: Fencing) -> Coordinator {
    Coordinator {
        rules: GroupRules { partitions: 2, assignor: Assignor::Range, fencing, pauses: false, tagged: false },
        topic: OffsetsTopicConfig::default(),
        offsets: OffsetsConfig::default(),
    }
}

#[test]
fn an_expiry_appends_a_tombstone_and_only_removes_an_existing_commit() {
    let mut c = coordinator(Fencing::Generation);
    assert!(
        c.start(None, &mut Events::off()).topic.log.records.is_empty(),
        "no lifecycle: nothing committed at the start"
    );
    assert!(c.expirable(&c.start(None, &mut Events::off())).is_empty());
    c.offsets = OffsetsConfig { retention: Retention::WhileActive, ..OffsetsConfig::default() };
    let mut s = c.start(None, &mut Events::off());
    assert_eq!((s.topic.log.committed(0), s.topic.log.committed(1)), (Some(0), Some(0)));
    assert!(c.expirable(&s).is_empty(), "the group's starting offsets do not expire");
    let mut out = Vec::new();
    c.handle(&mut s, 0, &commit(1, 2, MANUAL), &mut out, &mut Events::off());
    assert_eq!(c.expirable(&s), vec![Choice::Expire(1)]);
    c.on_choice(&mut s, Choice::Expire(1), &mut Events::off());
    assert_eq!(s.topic.log.committed(1), None);
    assert_eq!(s.topic.log.records.len(), 4, "the log is append-only: the tombstone is a record");
    assert!(c.expirable(&s).is_empty());
    c.on_choice(&mut s, Choice::Expire(1), &mut Events::off());
    assert_eq!(s.topic.log.records.len(), 4, "nothing left to expire");
    c.handle(
        &mut s,
        0,
        &Msg::OffsetFetch { incarnation: 0, corr: 0, partitions: vec![1] },
        &mut out,
        &mut Events::off(),
    );
    let none = Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets: vec![(1, None)] };
    assert_eq!(out.last(), Some(&Effect::Send(0, none)));
    c.handle(&mut s, 0, &commit(1, 1, MANUAL), &mut out, &mut Events::off());
    assert_eq!(s.topic.log.committed(1), Some(1));
}

fn commit(partition: Partition, offset: Offset, by: Committer) -> Msg {
    Msg::OffsetCommit { incarnation: 0, corr: 0, partition, offset, by }
}

#[test]
fn committed_is_the_latest_record_per_partition() {
    let c = coordinator(Fencing::Generation);
    let mut s = CoordinatorState::default();
    assert_eq!(s.topic.log.committed(0), None);
    let mut out = Vec::new();
    for (p, o) in [(0, 2), (1, 5), (0, 1)] {
        c.handle(&mut s, 0, &commit(p, o, MANUAL), &mut out, &mut Events::off());
    }
    assert_eq!(s.topic.log.committed(0), Some(1));
    assert_eq!(s.topic.log.committed(1), Some(5));
    assert_eq!(s.topic.log.records.len(), 3, "the log is append-only");
}

#[test]
fn offset_fetch_answers_every_partition_asked() {
    let c = coordinator(Fencing::Generation);
    let mut s = CoordinatorState::default();
    let mut out = Vec::new();
    c.handle(&mut s, 0, &commit(1, 3, MANUAL), &mut out, &mut Events::off());
    out.clear();
    c.handle(
        &mut s,
        2,
        &Msg::OffsetFetch { incarnation: 2, corr: 0, partitions: vec![0, 1] },
        &mut out,
        &mut Events::off(),
    );
    let offsets = vec![(0, None), (1, Some(3))];
    assert_eq!(out, vec![Effect::Send(2, Msg::OffsetFetchResponse { incarnation: 2, corr: 0, offsets })]);
}

#[test]
fn transaction_commits_offset_and_publishes_outputs_together() {
    let c = coordinator(Fencing::Generation);
    let mut s = CoordinatorState::default();
    let mut out = Vec::new();
    c.handle(
        &mut s,
        0,
        &Msg::TxnCommit { incarnation: 0, corr: 0, partition: 0, from: 0, to: 2, by: MANUAL },
        &mut out,
        &mut Events::off(),
    );
    assert_eq!(s.topic.log.committed(0), Some(2));
    assert_eq!(
        out,
        vec![
            Effect::ToSink(Msg::TxnOutputs { partition: 0, from: 0, to: 2 }),
            Effect::Send(0, Msg::TxnCommitResponse { incarnation: 0, corr: 0, partition: 0, offset: 2 }),
        ]
    );
}

#[test]
fn a_failover_loads_the_elected_replicas_log() {
    use crate::scenario::Acks;
    let mut c = coordinator(Fencing::Generation);
    c.topic = OffsetsTopicConfig { replicas: 3, acks: Acks::Leader, ..OffsetsTopicConfig::default() };
    let mut s = c.start(None, &mut Events::off());
    assert_eq!((s.topic.replication.leo.clone(), s.electing.clone()), (vec![0, 0, 0], None));
    let mut out = Vec::new();
    c.handle(&mut s, 0, &commit(0, 1, MANUAL), &mut out, &mut Events::off());
    c.on_choice(&mut s, Choice::Replicate(1), &mut Events::off());
    c.handle(&mut s, 0, &commit(0, 2, MANUAL), &mut out, &mut Events::off());
    assert!(s.topic.log.holds(1, 0), "the commit of 2 is record 1, appended in epoch 0");
    assert_eq!(
        c.choices(&s),
        [
            vec![Choice::Replicate(1), Choice::Replicate(2)],
            vec![Choice::LeaveIsr(1), Choice::LeaveIsr(2)],
            vec![]
        ]
    );
    // The leader fails: replicas 1 (offset 1) and 2 (nothing) are in sync.
    let mut next = c.start(Some(&s.topic), &mut Events::off());
    assert_eq!((next.topic.replication.epoch, next.electing.clone()), (1, Some(vec![1, 2])));
    assert_eq!(c.choices(&next)[2], vec![Choice::Elect(1), Choice::Elect(2)]);
    c.on_choice(&mut next, Choice::Elect(1), &mut Events::off());
    assert_eq!((next.topic.log.committed(0), next.electing.clone()), (Some(1), None));
    assert!(!next.topic.log.holds(1, 0), "the commit of 2 is gone");
    c.handle(&mut next, 0, &commit(0, 3, MANUAL), &mut out, &mut Events::off());
    assert_eq!(next.topic.log.records[1], OffsetRecord { partition: 0, offset: 3, epoch: 1 });
    assert!(!next.topic.log.holds(1, 0), "record 1 is another commit now");
    // With a single replica the returning leader is elected at once, its log intact.
    let single = coordinator(Fencing::Generation);
    let mut s = single.start(None, &mut Events::off());
    single.handle(&mut s, 0, &commit(0, 1, MANUAL), &mut out, &mut Events::off());
    let back = single.start(Some(&s.topic), &mut Events::off());
    assert_eq!(
        (back.electing, back.topic.log.committed(0), back.topic.replication.epoch),
        (None, Some(1), 1)
    );
}

#[test]
fn a_stale_generation_is_fenced_only_with_generation_fencing() {
    let stale = Committer { member: Some(0), generation: 0 };
    for (fencing, accepted) in [(Fencing::Generation, false), (Fencing::None, true)] {
        let c = coordinator(fencing);
        let mut s = CoordinatorState::default();
        let mut out = Vec::new();
        c.handle(
            &mut s,
            0,
            &Msg::JoinGroup { incarnation: 0, corr: 0, member: None, owned: vec![] },
            &mut out,
            &mut Events::off(),
        );
        out.clear();
        c.handle(&mut s, 0, &commit(0, 1, stale), &mut out, &mut Events::off());
        assert_eq!(s.topic.log.committed(0).is_some(), accepted, "{fencing:?}");
        let rejected = matches!(out[0], Effect::Send(0, Msg::CommitRejected { .. }));
        assert_eq!(rejected, !accepted);
    }
}

/// `ClassicGroup.validateOffsetCommit`: a member of the current generation
/// committing while the group is CompletingRebalance is answered
/// REBALANCE_IN_PROGRESS, unless its commit is transactional; once the
/// leader's SyncGroup made the group Stable the same commit is accepted.
#[test]
fn a_commit_while_the_group_completes_is_answered_rebalance_in_progress() {
    use crate::model::msg::CommitError;
    let c = coordinator(Fencing::Generation);
    let mut s = CoordinatorState::default();
    let mut out = Vec::new();
    c.handle(&mut s, 0, &join(None), &mut out, &mut Events::off());
    assert!(s.group.completing);
    out.clear();
    let by = Committer { member: Some(0), generation: 1 };
    c.handle(&mut s, 0, &commit(0, 1, by), &mut out, &mut Events::off());
    let error = CommitError::RebalanceInProgress;
    let rejected = Msg::CommitRejected { incarnation: 0, corr: 0, partition: 0, offset: 1, error };
    assert_eq!(out, vec![Effect::Send(0, rejected)]);
    assert_eq!(s.topic.log.committed(0), None);
    let txn = Msg::TxnCommit { incarnation: 0, corr: 0, partition: 0, from: 0, to: 1, by };
    out.clear();
    c.handle(&mut s, 0, &txn, &mut out, &mut Events::off());
    assert_eq!(s.topic.log.committed(0), Some(1), "a transactional commit is not held to the group state");
    c.handle(&mut s, 0, &sync(0, 1), &mut out, &mut Events::off());
    c.handle(&mut s, 0, &commit(0, 2, by), &mut out, &mut Events::off());
    assert_eq!(s.topic.log.committed(0), Some(2), "accepted once Stable");
}

/// A group coordinator over `replicas` copies of `__consumer_offsets` with one failover.
fn group_coordinator(replicas: u8, acks: crate::scenario::Acks) -> Coordinator {
    let mut c = coordinator(Fencing::Generation);
    c.topic = OffsetsTopicConfig { replicas, acks, failovers: 1, ..OffsetsTopicConfig::default() };
    c
}

fn join(member: Option<u8>) -> Msg {
    Msg::JoinGroup { incarnation: 0, corr: 0, member, owned: vec![] }
}

fn sync(member: u8, generation: crate::model::msg::Generation) -> Msg {
    Msg::SyncGroup { incarnation: 0, corr: 0, member, generation }
}

#[test]
fn a_group_loaded_after_a_failover_keeps_its_generation() {
    use crate::scenario::Acks;
    let c = group_coordinator(2, Acks::All);
    let mut s = c.start(None, &mut Events::off());
    let mut out = Vec::new();
    c.handle(&mut s, 0, &join(None), &mut out, &mut Events::off());
    c.handle(&mut s, 0, &sync(0, 1), &mut out, &mut Events::off());
    c.handle(&mut s, 1, &join(None), &mut out, &mut Events::off());
    c.handle(&mut s, 0, &join(Some(0)), &mut out, &mut Events::off());
    assert_eq!((s.group.generation, s.group.completing), (2, true));
    assert_eq!(s.topic.groups.len(), 1, "generation 2 is written at the leader's SyncGroup");
    c.handle(&mut s, 1, &sync(1, 2), &mut out, &mut Events::off());
    c.handle(&mut s, 0, &sync(0, 2), &mut out, &mut Events::off());
    assert!(s.group.stable());
    assert_eq!(s.topic.groups.len(), 2, "generations 1 and 2 were written");
    assert_eq!(s.topic.groups_held, vec![2, 2], "acks=all: on the in-sync follower too");
    // Member 0 rejoins (a rebalance under way), then the leader fails.
    c.handle(&mut s, 0, &join(Some(0)), &mut out, &mut Events::off());
    assert!(s.group.rebalancing);
    let mut events = Events::on();
    let next = c.start(Some(&s.topic), &mut events);
    assert_eq!((next.group.generation, next.group.rebalancing, next.group.members.len()), (2, false, 2));
    assert!(events.into_vec().iter().any(|e| matches!(e, Event::LoadGroup { generation: 2, .. })));
    let mut next = next;
    out.clear();
    c.handle(
        &mut next,
        1,
        &commit(0, 1, Committer { member: Some(1), generation: 2 }),
        &mut out,
        &mut Events::off(),
    );
    assert_eq!(next.topic.log.committed(0), Some(1), "a member of the loaded generation commits");
    // Member 1, a follower, sends its JoinGroup again: the current
    // generation comes back, then its assignment, no rebalance.
    out.clear();
    c.handle(&mut next, 1, &join(Some(1)), &mut out, &mut Events::off());
    let again = Msg::JoinResponse { incarnation: 0, corr: 0, member: 1, generation: 2 };
    assert_eq!((&out, next.group.rebalancing), (&vec![Effect::Send(1, again)], false));
    out.clear();
    c.handle(&mut next, 1, &sync(1, 2), &mut out, &mut Events::off());
    let assigned = Msg::SyncResponse { incarnation: 0, corr: 0, assignment: Some(vec![1]) };
    assert_eq!(out, vec![Effect::Send(1, assigned)]);
}

#[test]
fn a_group_record_only_the_leader_held_is_lost_with_it() {
    use crate::scenario::Acks;
    let c = group_coordinator(2, Acks::Leader);
    let mut s = c.start(None, &mut Events::off());
    let mut out = Vec::new();
    c.handle(&mut s, 0, &join(None), &mut out, &mut Events::off());
    assert!(s.topic.groups.is_empty(), "nothing is written before the leader's SyncGroup");
    c.handle(&mut s, 0, &sync(0, 1), &mut out, &mut Events::off());
    assert_eq!((s.topic.groups.len(), s.topic.groups_held.clone()), (1, vec![1, 0]));
    assert_eq!(c.choices(&s)[0], vec![Choice::Replicate(1)], "the follower lacks the group record");
    let lost = c.start(Some(&s.topic), &mut Events::off());
    assert_eq!((lost.group.generation, lost.group.members.len(), lost.topic.groups.len()), (0, 0, 0));
    assert_eq!(lost.group.next_member, 1, "member id 0 is not handed out again");
    c.on_choice(&mut s, Choice::Replicate(1), &mut Events::off());
    assert!(c.choices(&s)[0].is_empty());
    let kept = c.start(Some(&s.topic), &mut Events::off());
    assert_eq!((kept.group.generation, kept.group.members.len()), (1, 1), "fetched before the failover");
}
