//! Unit tests of the consumer: each mechanism driven by the replies it would get.
//! The fixtures and the single-consumer strategies are here; group membership
//! and rebalances in `rebalance.rs`, auto-commit and worker threads in `workers.rs`.

mod rebalance;
mod workers;

use super::workers::contiguous_safe_offset;
use super::*;
use crate::model::choice::Choice;
use crate::model::event::{Actor, Event, Events, Revocation};
use crate::model::msg::CommitError;
use crate::scenario::{
    Assignor, AutoProcessing, CommitConfig, CommitGuard, CommitMode, CommitOffset, CommitPolicy, NetworkKind,
    Reset,
};

pub(super) const MANUAL: Committer = Committer { member: None, generation: 0 };

/// Consumer 0 of a scenario reading partition 0 of 3 records (manual
/// assignment unless `change` says otherwise).
pub(super) fn consumer_with(
    strategy: Strategy,
    max_poll_records: Offset,
    change: impl FnOnce(&mut Scenario),
) -> Consumer {
    let mut scenario = Scenario { strategy, max_poll_records, messages: 3, ..Scenario::default() };
    change(&mut scenario);
    Consumer { number: 0, manual_partitions: vec![0], scenario: Arc::new(scenario) }
}

fn consumer(strategy: Strategy, max_poll_records: Offset) -> Consumer {
    consumer_with(strategy, max_poll_records, |_| {})
}

/// A group member with an eager (range) or the cooperative-sticky assignor.
fn group_with(
    strategy: Strategy,
    eager: bool,
    commit_on_revoke: bool,
    change: impl FnOnce(&mut Scenario),
) -> Consumer {
    consumer_with(strategy, 1, |s| {
        s.group.assignment = Assignment::Group;
        s.group.assignor = if eager { Assignor::Range } else { Assignor::CooperativeSticky };
        s.group.commit_on_revoke = commit_on_revoke;
        change(s);
    })
}

fn group(strategy: Strategy, eager: bool, commit_on_revoke: bool) -> Consumer {
    group_with(strategy, eager, commit_on_revoke, |_| {})
}

/// What `f` returns, and the requests it sent through the consumer's `Out`.
pub(super) fn sending<R>(f: impl FnOnce(&mut Out) -> R) -> (R, Vec<(To, Msg)>) {
    let mut events = Events::off();
    let mut out = Out::new(&mut events);
    let result = f(&mut out);
    (result, out.sends)
}

/// Feeds replies to a consumer and returns the requests it sent, in order.
pub(super) fn run(c: &Consumer, state: &mut ConsumerState, replies: &[Msg]) -> Vec<(To, Msg)> {
    let send_all = |o: &mut Out| {
        for reply in replies {
            c.on_reply(state, Actor::Coordinator, reply, o);
        }
    };
    // The SyncGroup a JoinGroup's answer sends is the step between; the
    // tests look at what follows the assignment.
    sending(send_all).1.into_iter().filter(|(_, m)| !matches!(m, Msg::SyncGroup { .. })).collect()
}

pub(super) fn started(c: &Consumer, incarnation: Incarnation) -> ConsumerState {
    let (state, out) = sending(|o| c.start(incarnation, o));
    let expected = match c.scenario.group.assignment {
        Assignment::Manual => Msg::OffsetFetch { incarnation, corr: 0, partitions: vec![0] },
        Assignment::Group => Msg::JoinGroup { incarnation, corr: 0, member: None, owned: vec![] },
    };
    assert_eq!(out, vec![(To::Coordinator, expected)]);
    state
}

// Messages of incarnation 0 about partition 0.
pub(super) fn offsets(committed: Option<Offset>) -> Msg {
    Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets: vec![(0, committed)] }
}
pub(super) fn records(offset: Offset, count: Offset) -> Msg {
    Msg::FetchResponse { incarnation: 0, corr: 0, partition: 0, offset, count }
}
pub(super) fn output(offset: Offset) -> (To, Msg) {
    (To::Sink, Msg::Output { incarnation: 0, corr: 0, partition: 0, offset })
}
pub(super) fn output_ack(offset: Offset) -> Msg {
    Msg::OutputAck { incarnation: 0, corr: 0, partition: 0, offset }
}
pub(super) fn commit(offset: Offset, by: Committer) -> (To, Msg) {
    (To::Coordinator, Msg::OffsetCommit { incarnation: 0, corr: 0, partition: 0, offset, by })
}
pub(super) fn commit_ack(offset: Offset) -> Msg {
    Msg::OffsetCommitResponse { incarnation: 0, corr: 0, partition: 0, offset }
}
/// The coordinator's rejection of the commit of `offset`: the member left the group.
fn fenced(offset: Offset) -> Msg {
    Msg::CommitRejected { incarnation: 0, corr: 0, partition: 0, offset, error: CommitError::Fenced }
}
/// The JoinGroup's answer: member 7 of `generation`; the consumer then sends its SyncGroup.
fn joined(generation: Generation) -> Msg {
    Msg::JoinResponse { incarnation: 0, corr: 0, member: 7, generation }
}
/// The SyncGroup's answer: the assignment.
fn synced(assignment: Vec<Partition>) -> Msg {
    Msg::SyncResponse { incarnation: 0, corr: 0, assignment: Some(assignment) }
}
pub(super) fn fetch(offset: Offset) -> (To, Msg) {
    (To::Broker, Msg::Fetch { incarnation: 0, corr: 0, partition: 0, offset, max_records: 1 })
}

#[test]
fn resumes_from_committed_offset_or_earliest() {
    let c = consumer(Strategy::AtLeastOnce, 2);
    let mut s = started(&c, 0);
    let fetch = Msg::Fetch { incarnation: 0, corr: 0, partition: 0, offset: 1, max_records: 2 };
    assert_eq!(run(&c, &mut s, &[offsets(Some(1))]), vec![(To::Broker, fetch)]);
    let mut s = started(&c, 0);
    let sent = run(&c, &mut s, &[offsets(None)]);
    assert!(matches!(sent[0].1, Msg::Fetch { offset: 0, .. }));
}

#[test]
fn at_least_once_processes_the_batch_then_commits() {
    let c = consumer(Strategy::AtLeastOnce, 2);
    let mut s = started(&c, 0);
    let sent = run(&c, &mut s, &[offsets(Some(1)), records(1, 2), output_ack(1), output_ack(2)]);
    assert_eq!(sent[1..], [output(1), output(2), commit(3, MANUAL)]);
    assert!(run(&c, &mut s, &[commit_ack(3)]).is_empty());
    assert_eq!(s.phase, Phase::Done);
}

#[test]
fn commit_every_leaves_processed_records_uncommitted_until_idle() {
    let c = consumer_with(Strategy::AtLeastOnce, 1, |s| s.commit_every = 2);
    let mut s = started(&c, 0);
    let sent = run(&c, &mut s, &[offsets(None), records(0, 1), output_ack(0)]);
    assert_eq!(sent[2], fetch(1), "no commit after the first batch");
    let sent = run(&c, &mut s, &[records(1, 1), output_ack(1), commit_ack(2), records(2, 1), output_ack(2)]);
    assert_eq!(sent[1], commit(2, MANUAL));
    assert_eq!(sent.last(), Some(&commit(3, MANUAL)), "what is left is committed when idle");
}

#[test]
fn at_most_once_commits_before_processing() {
    let c = consumer(Strategy::AtMostOnce, 2);
    let mut s = started(&c, 0);
    let sent = run(&c, &mut s, &[offsets(Some(1)), records(1, 2)]);
    assert_eq!(sent[1], commit(3, MANUAL));
    assert!(c.will_process(&s, 0, 1) && c.will_process(&s, 0, 2));
    assert_eq!(run(&c, &mut s, &[commit_ack(3)]), vec![output(1)]);
    run(&c, &mut s, &[output_ack(1)]);
    assert!(!c.will_process(&s, 0, 1) && c.will_process(&s, 0, 2));
}

#[test]
fn exactly_once_sends_one_transaction_per_batch() {
    let c = consumer(Strategy::ExactlyOnce, 2);
    let mut s = started(&c, 0);
    let sent = run(&c, &mut s, &[offsets(Some(1)), records(1, 2)]);
    let txn = Msg::TxnCommit { incarnation: 0, corr: 0, partition: 0, from: 1, to: 3, by: MANUAL };
    assert_eq!(sent[1], (To::Coordinator, txn));
    assert!(!c.will_process(&s, 0, 1), "the transaction, not the consumer, holds the outputs");
}

#[test]
fn replies_to_an_earlier_incarnation_are_dropped() {
    let c = consumer(Strategy::AtLeastOnce, 1);
    let mut s = started(&c, 1);
    let before = s.clone();
    assert!(run(&c, &mut s, &[offsets(Some(1))]).is_empty());
    assert_eq!(s, before);
}

#[test]
fn polls_owned_partitions_round_robin() {
    let c = Consumer { manual_partitions: vec![0, 2], ..consumer(Strategy::AtLeastOnce, 1) };
    let (mut s, _) = sending(|o| c.start(0, o));
    let offsets = vec![(0, Some(3)), (2, None)];
    let sent = run(&c, &mut s, &[Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets }]);
    assert!(matches!(sent[0].1, Msg::Fetch { partition: 2, offset: 0, .. }), "{sent:?}");
}

#[test]
fn a_missing_offset_resets_to_the_earliest_the_log_end_or_fails() {
    let earliest = consumer(Strategy::AtLeastOnce, 1);
    let mut s = started(&earliest, 0);
    assert_eq!(run(&earliest, &mut s, &[offsets(None)]), vec![fetch(0)]);

    let latest = consumer_with(Strategy::AtLeastOnce, 1, |s| s.offsets.reset = Reset::Latest);
    let mut s = started(&latest, 0);
    let sent = run(&latest, &mut s, &[offsets(None)]);
    let list = Msg::ListOffsets { incarnation: 0, corr: 0, partitions: vec![0] };
    assert_eq!(sent, vec![(To::Broker, list)], "asks where the log ends");
    assert_eq!((s.phase, s.owned[0].position), (Phase::AwaitingOffsets, None));
    let end = Msg::ListOffsetsResponse { incarnation: 0, corr: 0, offsets: vec![(0, 2)] };
    let sent = run(&latest, &mut s, &[end]);
    assert_eq!(sent, vec![fetch(2)], "resumes at the log end, past offsets 0 and 1");
    let mut s = started(&latest, 0);
    assert_eq!(run(&latest, &mut s, &[offsets(Some(1))]), vec![fetch(1)], "a commit wins");

    let none = consumer_with(Strategy::AtLeastOnce, 1, |s| s.offsets.reset = Reset::None);
    let mut s = started(&none, 0);
    assert!(run(&none, &mut s, &[offsets(None)]).is_empty(), "NoOffsetForPartitionException");
    assert!(s.owned.is_empty());
    assert_eq!(s.phase, Phase::Idle);
}

fn async_consumer(retries: u8, guard: CommitGuard) -> Consumer {
    let commit = CommitConfig { mode: CommitMode::Async, retries, guard, ..CommitConfig::default() };
    consumer_with(Strategy::AtLeastOnce, 1, |s| {
        s.commit = commit;
        s.network.kind = NetworkKind::Lossy;
    })
}

#[test]
fn commit_async_does_not_wait_and_a_failed_older_commit_is_retried_unless_guarded() {
    for guard in [CommitGuard::None, CommitGuard::Sequence] {
        let c = async_consumer(1, guard);
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(None), records(0, 1), output_ack(0)]);
        assert_eq!(sent[2..], [commit(1, MANUAL), fetch(1)], "commitAsync, then the next poll at once");
        let sent = run(&c, &mut s, &[records(1, 1), output_ack(1)]);
        assert_eq!(sent[1..], [commit(2, MANUAL), fetch(2)]);
        assert_eq!(s.pending_commits.iter().map(|p| (p.offset, p.seq)).collect::<Vec<_>>(), [(1, 1), (2, 2)]);
        // Commit 1's request was lost: its callback runs.
        let (_, out) = sending(|o| c.on_step(&mut s, Step::CommitTimeout(0), o));
        match guard {
            CommitGuard::None => {
                assert_eq!(out, vec![commit(1, MANUAL)], "the older offset is committed again");
                assert_eq!(s.pending_commits[0].retries_left, 0);
                let (_, out) = sending(|o| c.on_step(&mut s, Step::CommitTimeout(0), o));
                assert!(out.is_empty(), "no retries left");
            }
            CommitGuard::Sequence => assert!(out.is_empty(), "commit 2 was issued since: no retry"),
        }
        assert_eq!(s.pending_commits.len(), 1);
        run(&c, &mut s, &[commit_ack(2)]);
        assert!(s.pending_commits.is_empty() && s.owned[0].committed == 2);
    }
}

#[test]
fn a_timed_out_request_is_sent_again_as_it_was() {
    let c = consumer_with(Strategy::AtLeastOnce, 1, |s| s.network.kind = NetworkKind::Lossy);
    let mut s = started(&c, 0);
    let (_, out) = sending(|o| c.on_step(&mut s, Step::Timeout, o));
    assert_eq!(
        out,
        vec![(To::Coordinator, Msg::OffsetFetch { incarnation: 0, corr: 0, partitions: vec![0] })]
    );
    run(&c, &mut s, &[offsets(None), records(0, 1)]);
    assert_eq!(c.request(&s), Some(output(0)), "the Output whose acknowledgement it waits for");
    run(&c, &mut s, &[output_ack(0)]);
    assert_eq!(c.request(&s), Some(commit(1, MANUAL)));
    assert!(run(&c, &mut s, &[commit_ack(0)]).is_empty(), "a duplicate of another response answers nothing");
    assert_eq!(run(&c, &mut s, &[commit_ack(1)]), vec![fetch(1)]);
}

#[test]
fn commit_offset_last_is_one_low_and_position_is_the_batch_end_mid_batch() {
    let last = consumer_with(Strategy::AtLeastOnce, 2, |s| s.commit_offset = CommitOffset::Last);
    let mut s = started(&last, 0);
    let sent = run(&last, &mut s, &[offsets(None), records(0, 2), output_ack(0), output_ack(1)]);
    assert_eq!(sent.last(), Some(&commit(1, MANUAL)), "offset 1 is processed; 1 is committed");

    let position = consumer_with(Strategy::AtLeastOnce, 2, |s| s.commit_offset = CommitOffset::Position);
    let mut s = started(&position, 0);
    let sent = run(&position, &mut s, &[offsets(None), records(0, 2), output_ack(0)]);
    assert_eq!(sent.last(), Some(&commit(2, MANUAL)), "the position passes offset 1, unprocessed");
    assert!(position.will_process(&s, 0, 1), "offset 1 is processed once the commit succeeds");
    assert_eq!(run(&position, &mut s, &[commit_ack(2)]), vec![output(1)]);
}

/// Consumer 0 reading partitions 0 and 1 (one record each, one more to be
/// produced) from committed offsets 1 and 0: its fetch of p0 from @1 is the
/// one the broker holds.
fn fetching_p0_caught_up(
    strategy: Strategy,
    change: impl FnOnce(&mut Scenario),
) -> (Consumer, ConsumerState) {
    let mut c = consumer_with(strategy, 1, |s| {
        (s.partitions, s.messages, s.produce) = (2, 1, 1);
        change(s);
    });
    c.manual_partitions = vec![0, 1];
    let (mut s, _) = sending(|o| c.start(0, o));
    let offsets =
        Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets: vec![(0, Some(1)), (1, Some(0))] };
    assert_eq!(run(&c, &mut s, &[offsets]), vec![fetch(1)]);
    (c, s)
}

#[test]
fn an_empty_poll_fetches_the_next_partition_and_neither_processes_nor_commits() {
    let auto = CommitConfig { mode: CommitMode::Auto, ..CommitConfig::default() };
    type Change = fn(&mut Scenario);
    let configs: [(Strategy, Change); 8] = [
        (Strategy::AtLeastOnce, |_| {}),
        (Strategy::AtLeastOnce, |s| s.commit_every = 2),
        (Strategy::AtLeastOnce, |s| s.workers = 2),
        (Strategy::AtLeastOnce, |s| s.commit.mode = CommitMode::Async),
        (Strategy::AtLeastOnce, |s| s.commit.mode = CommitMode::Auto),
        (Strategy::AtLeastOnce, |s| {
            s.commit = CommitConfig { mode: CommitMode::Auto, processing: AutoProcessing::Worker, ..s.commit }
        }),
        (Strategy::AtMostOnce, |_| {}),
        (Strategy::ExactlyOnce, |_| {}),
    ];
    let p1 = (To::Broker, Msg::Fetch { incarnation: 0, corr: 0, partition: 1, offset: 0, max_records: 1 });
    for (strategy, change) in configs {
        let (c, mut s) = fetching_p0_caught_up(strategy, change);
        let before = s.clone();
        let sent = run(&c, &mut s, &[records(1, 0)]);
        let label = format!("{strategy:?} {:?}", c.scenario.commit);
        assert_eq!(sent, vec![p1.clone()], "{label}: only the next partition's fetch");
        assert_eq!(s.phase, Phase::Fetching { slot: 1 }, "{label}");
        assert_eq!(
            (s.owned.clone(), s.pending_commits.clone()),
            (before.owned, before.pending_commits),
            "{label}"
        );
        assert_eq!(
            (s.batches_since_commit, s.worker.len(), s.pool.len(), s.commit_seq),
            (0, 0, 0, 0),
            "{label}"
        );
    }
    // An empty answer to a fetch the loop no longer waits on changes nothing.
    let (c, mut s) = fetching_p0_caught_up(Strategy::AtLeastOnce, |s| s.commit = auto);
    run(&c, &mut s, &[records(1, 0)]);
    let before = s.clone();
    assert!(run(&c, &mut s, &[records(1, 0)]).is_empty());
    assert_eq!(s, before);
}

#[test]
fn an_empty_poll_commits_what_is_due_and_acts_on_a_rebalance() {
    // Auto-commit: the interval elapsed while the fetch was held; the poll
    // that returns empty commits the position, then fetches again.
    let (c, mut s) = fetching_p0_caught_up(Strategy::AtLeastOnce, |s| s.commit.mode = CommitMode::Auto);
    s.owned[0].committed = 0;
    s.auto_commit_due = true;
    let sent = run(&c, &mut s, &[records(1, 0)]);
    let p1 = (To::Broker, Msg::Fetch { incarnation: 0, corr: 0, partition: 1, offset: 0, max_records: 1 });
    assert_eq!(sent, vec![commit(1, MANUAL), p1]);
    assert!(!s.auto_commit_due && s.pending_commits.len() == 1);
    // A group member told of a rebalance while its fetch is held rejoins
    // once its poll returns (eager: revoking both partitions first).
    let c = group_with(Strategy::AtLeastOnce, true, false, |s| (s.partitions, s.produce) = (2, 1));
    let mut s = started(&c, 0);
    let both =
        Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets: vec![(0, Some(3)), (1, Some(4))] };
    run(&c, &mut s, &[joined(1), synced(vec![0, 1]), both]);
    assert_eq!(s.phase, Phase::Fetching { slot: 0 });
    let notice = Msg::RebalanceNotice { incarnation: 0, generation: 0 };
    assert!(run(&c, &mut s, &[notice]).is_empty(), "a notice waits for the poll to return");
    let sent = run(&c, &mut s, &[records(3, 0)]);
    let rejoin = Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![] };
    assert_eq!(sent, vec![(To::Coordinator, rejoin)]);
    assert_eq!((s.phase, s.owned.len()), (Phase::Joining, 0));
}
