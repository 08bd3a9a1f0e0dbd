//! What the application does with its poll loop's rejected commit
//! (`on_commit_error`), on a group member that processed offset 0 and whose
//! commit of 1 is rejected because it left the group (CommitFailedException).
use super::*;
use crate::model::msg::CommitError;
use crate::scenario::{Assignment, OnCommitError};

fn member(on_commit_error: OnCommitError) -> Consumer {
    let mut scenario = Scenario { strategy: Strategy::AtLeastOnce, messages: 2, ..Scenario::default() };
    scenario.group.assignment = Assignment::Group;
    scenario.group.on_commit_error = on_commit_error;
    Consumer { number: 0, manual_partitions: vec![0], scenario: Arc::new(scenario) }
}

/// Delivers `replies` and returns what the consumer sent.
fn run(c: &Consumer, s: &mut ConsumerState, replies: &[Msg]) -> Vec<(To, Msg)> {
    let mut events = Events::off();
    let mut out = Out::new(&mut events);
    for reply in replies {
        c.on_reply(s, Actor::Coordinator, reply, &mut out);
    }
    out.sends
}

fn joined(member: MemberId, generation: Generation) -> Msg {
    Msg::JoinResponse { incarnation: 0, corr: 0, member, generation }
}
fn synced() -> Msg {
    Msg::SyncResponse { incarnation: 0, corr: 0, assignment: Some(vec![0]) }
}

/// Joined as member 7, processed offset 0, its commit of 1 rejected.
fn rejected(c: &Consumer) -> (ConsumerState, Vec<(To, Msg)>) {
    let mut events = Events::off();
    let mut s = c.start(0, &mut Out::new(&mut events));
    let offsets = Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets: vec![(0, None)] };
    let records = Msg::FetchResponse { incarnation: 0, corr: 0, partition: 0, offset: 0, count: 1 };
    let ack = Msg::OutputAck { incarnation: 0, corr: 0, partition: 0, offset: 0 };
    let sent = run(c, &mut s, &[joined(7, 1), synced(), offsets, records, ack]);
    assert!(matches!(sent.last(), Some((To::Coordinator, Msg::OffsetCommit { offset: 1, .. }))), "{sent:?}");
    let error = CommitError::Fenced;
    let no = Msg::CommitRejected { incarnation: 0, corr: 0, partition: 0, offset: 1, error };
    let sent = run(c, &mut s, &[no]);
    (s, sent)
}

#[test]
fn skip_rejoins_and_reads_from_the_old_committed_offset() {
    let c = member(OnCommitError::Skip);
    let (mut s, sent) = rejected(&c);
    assert!(matches!(sent[..], [(To::Coordinator, Msg::JoinGroup { member: Some(7), .. })]), "{sent:?}");
    let sent = run(&c, &mut s, &[joined(8, 2), synced()]);
    assert!(matches!(sent[..], [_, (To::Coordinator, Msg::OffsetFetch { .. })]), "{sent:?}");
}

#[test]
fn retry_after_rebalance_commits_again_once_the_partition_is_back() {
    let c = member(OnCommitError::RetryAfterRebalance);
    let (mut s, _) = rejected(&c);
    assert_eq!(s.retry_commit, Some((0, 1)));
    let sent = run(&c, &mut s, &[joined(8, 2), synced()]);
    let by = Committer { member: Some(8), generation: 2 };
    let again = Msg::OffsetCommit { incarnation: 0, corr: 0, partition: 0, offset: 1, by };
    assert!(matches!(&sent[..], [_, (To::Coordinator, m)] if *m == again), "{sent:?}");
    assert_eq!(s.retry_commit, None);
}

#[test]
fn retry_after_rebalance_drops_a_partition_assigned_elsewhere() {
    let c = member(OnCommitError::RetryAfterRebalance);
    let (mut s, _) = rejected(&c);
    let nothing = Msg::SyncResponse { incarnation: 0, corr: 0, assignment: Some(vec![]) };
    let sent = run(&c, &mut s, &[joined(8, 2), nothing]);
    assert!(matches!(sent[..], [(To::Coordinator, Msg::SyncGroup { .. })]), "{sent:?}");
    assert_eq!((s.retry_commit, s.phase), (None, Phase::Idle));
}

#[test]
fn crash_starts_a_new_process_that_joins_as_a_new_member() {
    let c = member(OnCommitError::Crash);
    let (s, sent) = rejected(&c);
    assert_eq!((s.incarnation, s.member, s.phase), (1, None, Phase::Joining));
    let join = Msg::JoinGroup { incarnation: 1, corr: 0, member: None, owned: vec![] };
    assert_eq!(sent, vec![(To::Coordinator, join)]);
}
