//! A consumer: its poll loop, its delivery strategy (DESIGN.md §1) and its
//! side of the group protocol.
//!
//! The consumer is single-threaded like a `KafkaConsumer` poll loop: it has
//! at most one request outstanding and waits for each reply (a synchronous
//! `commitSync`, a processing call that returns once the side effect is
//! applied). The order of its steps per batch is the strategy:
//!
//! | strategy        | after a batch `from .. to` is received                        |
//! |-----------------|---------------------------------------------------------------|
//! | `at-most-once`  | commit `to`, then process `from`, `from+1`, ... one at a time |
//! | `at-least-once` | process `from`, `from+1`, ... one at a time, then commit `to` (every `commit_every`-th batch) |
//! | `exactly-once`  | one transaction: outputs of `from .. to` and offset `to`      |
//!
//! All of its state is volatile: a crash loses it, and the recovered process
//! starts over: it fetches the committed offsets of its partitions and
//! resumes there (earliest when there is none, `auto.offset.reset=earliest`).
//!
//! Which partitions it reads: with manual assignment (`assign()`), partition
//! p belongs to consumer p mod C for the whole run. With group assignment
//! (`subscribe()`), the coordinator's rebalances decide; as in the Java
//! client, a rebalance is acted on only at a poll, between batches: an eager
//! assignor revokes every partition and rejoins, cooperative-sticky rejoins
//! keeping its partitions and gives up only those the new assignment takes
//! away (then rejoins again, KIP-429). A revoked partition's position is
//! forgotten; `commit_on_revoke` commits its processed offsets first. A
//! consumer that learns it was evicted, or whose commit is rejected, loses its
//! partitions without committing (`onPartitionsLost`) and rejoins.
//!
//! `commit.mode` changes the at-least-once commit: `async` sends the batch's
//! commit without waiting (it is pending until its response; a failure runs
//! its callback, which retries it within `retries`, and with the sequence
//! guard only if no newer commit was issued since); `auto` commits at a poll
//! once the auto-commit interval has elapsed (a step of its own), either
//! processing in the poll loop or queueing records for a worker thread. On a
//! lossy network a request whose exchange is gone times out and is sent
//! again as it was ([`Consumer::request`]).

use super::choice::Choice;
use super::event::{Actor, Event, Events, Revocation, StartAt};
use super::msg::{Committer, Generation, Incarnation, MemberId, Msg};
use crate::scenario::{
    Assignment, AutoProcessing, CommitConfig, CommitGuard, CommitMode, CommitOffset, CommitPolicy, Offset,
    Partition, Reset, Strategy,
};
use crate::tracker::OffsetTracker;
use serde::Serialize;

/// Where a consumer's request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum To {
    Broker,
    Coordinator,
    Sink,
}

/// A consumer's configuration.
#[derive(Clone, Debug)]
pub struct Consumer {
    /// Which consumer this is (its trace name is `consumer-N`).
    pub number: u8,
    pub assignment: Assignment,
    /// With manual assignment: the partitions it reads.
    pub manual_partitions: Vec<Partition>,
    pub strategy: Strategy,
    pub max_poll_records: Offset,
    pub commit_every: u8,
    pub eager: bool,
    pub commit_on_revoke: bool,
    /// Which offset an at-least-once commit names.
    pub commit_offset: CommitOffset,
    /// Worker threads processing a batch in parallel (at-least-once; 1: the poll loop itself).
    pub workers: u8,
    pub commit_policy: CommitPolicy,
    /// `commit.mode` (sync, async, auto) and its knobs.
    pub commit: CommitConfig,
    /// Whether requests and replies can be lost (a lossy network): a
    /// request whose exchange is gone times out and is sent again.
    pub timeouts: bool,
    /// The partitions' log end: the consumer stops fetching a partition once
    /// its position reaches it (a real consumer would keep receiving empty
    /// batches, which change nothing).
    pub log_end: Offset,
    /// `auto.offset.reset`: where a partition with no committed offset starts.
    pub reset: Reset,
}

/// A partition the consumer owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Owned {
    pub partition: Partition,
    /// Next offset to fetch; None until the committed offset is fetched.
    pub position: Option<Offset>,
    /// The committed offset as far as this consumer knows (fetched, or its own last commit).
    pub committed: Offset,
    /// To be given up at the next poll.
    pub revoking: bool,
}

impl Owned {
    fn uncommitted(&self) -> bool {
        self.position.is_some_and(|p| p > self.committed)
    }
}

/// What the consumer is doing; every variant but `Idle` and `Done` waits for
/// one reply. `slot` indexes [`ConsumerState::owned`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Phase {
    /// Owns no partition and waits for nothing.
    Idle,
    /// JoinGroup sent; waiting for the assignment.
    Joining,
    /// OffsetFetch sent; waiting for the committed offsets.
    AwaitingOffsets,
    /// Fetch sent for partition `slot`.
    Fetching { slot: u8 },
    /// Holds records `from .. to`; the Output of `next` is on its way to the sink.
    Processing { slot: u8, from: Offset, next: Offset, to: Offset },
    /// The commit (or the transaction) of the batch `.. to` is on its way;
    /// records `from .. to` are still to be processed once it succeeds
    /// (at-most-once; at-least-once committing its position mid-batch).
    Committing { slot: u8, from: Offset, to: Offset },
    /// Holds records `from .. to` and hands them to its workers: records
    /// `from .. next` are dispatched, `running` (bit i: record from+i) are
    /// being processed by a worker, `done` are processed and acknowledged by
    /// the sink; `committing` is the offset whose commit is on its way.
    Working {
        slot: u8,
        from: Offset,
        to: Offset,
        next: Offset,
        running: u16,
        done: u16,
        committing: Option<Offset>,
    },
    /// Commits `to` for a partition it is giving up (`commit_on_revoke`), or
    /// for processed records before going idle (`commit_every`).
    Flushing { slot: u8, to: Offset },
    /// Every owned partition is consumed to its log end and committed.
    Done,
}

/// Why the consumer must rejoin at its next poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rejoin {
    No,
    /// A rebalance started (or a cooperative revocation needs the next round).
    Rebalance,
    /// It was evicted or fenced: its partitions are lost, not revoked.
    Lost,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ConsumerState {
    pub incarnation: Incarnation,
    pub member: Option<MemberId>,
    pub generation: Generation,
    pub owned: Vec<Owned>,
    pub phase: Phase,
    pub rejoin: Rejoin,
    /// Batches processed since the last commit (at-least-once with `commit_every`).
    pub batches_since_commit: u8,
    /// Async and auto commits sent and not answered yet, oldest first.
    pub pending_commits: Vec<PendingCommit>,
    /// The sequence number of the latest commit issued (async and auto
    /// modes): what `"guard": "sequence"` compares a failed commit's with.
    pub commit_seq: u8,
    /// auto: `auto.commit.interval.ms` has elapsed; the next poll commits.
    pub auto_commit_due: bool,
    /// auto with a worker thread: the records it has queued.
    pub worker: Option<Queued>,
}

/// A `commitAsync()` (or auto-commit) on its way: its callback learns the
/// outcome. `seq` is the consumer's commit sequence number when it was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PendingCommit {
    pub partition: Partition,
    pub offset: Offset,
    /// How many more times a failure is retried.
    pub retries_left: u8,
    pub seq: u8,
}

/// Records of partition slot `slot` handed to the worker thread: `next .. to`
/// are still to be processed, the Output of `next` is on its way to the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Queued {
    pub slot: u8,
    pub next: Offset,
    pub to: Offset,
}

/// A consumer's own nondeterministic step, offered to the checker as
/// [`super::choice::Choice::Consumer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Step {
    /// A worker (parallel workers) finished this offset.
    WorkerDone(Offset),
    /// The pending async or auto commit at this index failed (its request
    /// or its response was lost).
    CommitTimeout(u8),
    /// `auto.commit.interval.ms` elapsed.
    AutoCommitDue,
    /// The outstanding request timed out (`request.timeout.ms`).
    Timeout,
}

type Out = Vec<(To, Msg)>;

impl Consumer {
    /// A (re)started process: join the group, or fetch the committed offsets
    /// of its manually assigned partitions.
    pub fn start(&self, incarnation: Incarnation, out: &mut Out, ev: &mut Events) -> ConsumerState {
        if incarnation > 0 {
            ev.emit(|| Event::Recover { consumer: self.number, joins: self.assignment == Assignment::Group });
        }
        let mut state = ConsumerState {
            incarnation,
            member: None,
            generation: 0,
            owned: Vec::new(),
            phase: Phase::Idle,
            rejoin: Rejoin::No,
            batches_since_commit: 0,
            pending_commits: Vec::new(),
            commit_seq: 0,
            auto_commit_due: false,
            worker: None,
        };
        match self.assignment {
            Assignment::Manual => {
                state.owned = self.manual_partitions.iter().map(|&p| owned(p)).collect();
                self.poll(&mut state, 0, out);
            }
            Assignment::Group => {
                out.push((To::Coordinator, Msg::JoinGroup { incarnation, member: None, owned: vec![] }));
                state.phase = Phase::Joining;
            }
        }
        state
    }

    /// Handles a reply or notice. Those addressed to an earlier incarnation
    /// are dropped (they belong to connections that died with it).
    pub fn on_reply(
        &self,
        state: &mut ConsumerState,
        from: Actor,
        msg: &Msg,
        out: &mut Out,
        ev: &mut Events,
    ) {
        if msg.reply_incarnation() != Some(state.incarnation) {
            ev.emit(|| Event::DropStale { consumer: self.number, from, msg: msg.clone() });
            return;
        }
        self.record_received(msg, ev);
        match (state.phase, msg) {
            // The response to an async or auto commit reaches its callback,
            // whatever the poll loop is doing.
            (_, &Msg::OffsetCommitResponse { partition, offset, .. })
                if state.pending_commits.iter().any(|c| (c.partition, c.offset) == (partition, offset)) =>
            {
                state.pending_commits.retain(|c| (c.partition, c.offset) != (partition, offset));
                if let Some(o) = state.owned.iter_mut().find(|o| o.partition == partition) {
                    o.committed = o.committed.max(offset);
                }
            }
            // The worker thread (auto-commit with a worker) processed a record.
            (_, &Msg::OutputAck { partition, offset, .. })
                if state.worker.is_some_and(|w| {
                    w.next == offset
                        && state.owned.get(w.slot as usize).is_some_and(|o| o.partition == partition)
                }) =>
            {
                self.worker_next(state, out);
            }
            // A JoinGroup on its way answers any notice sent before it
            // arrived; an eviction shows in its answer's new member id.
            (Phase::Joining, Msg::RebalanceNotice { .. } | Msg::Evicted { .. }) => {}
            (_, Msg::RebalanceNotice { .. }) => {
                if state.rejoin == Rejoin::No {
                    state.rejoin = Rejoin::Rebalance;
                }
                self.poll_if_waiting(state, out);
            }
            (_, Msg::Evicted { .. }) => {
                state.rejoin = Rejoin::Lost;
                self.poll_if_waiting(state, out);
            }
            (Phase::Joining, &Msg::JoinResponse { member, generation, ref assignment, .. }) => {
                // A new member id means the old one was gone (UNKNOWN_MEMBER_ID):
                // what it owned is lost (`onPartitionsLost`), positions and all.
                if state.member.is_some_and(|old| old != member) {
                    state.owned.clear();
                }
                state.member = Some(member);
                state.generation = generation;
                for o in state.owned.iter_mut() {
                    o.revoking = !assignment.contains(&o.partition);
                }
                for &p in assignment {
                    if !state.owned.iter().any(|o| o.partition == p) {
                        state.owned.push(owned(p));
                    }
                }
                self.poll(state, 0, out);
            }
            (Phase::AwaitingOffsets, Msg::OffsetFetchResponse { offsets, .. }) => {
                let (mut latest, mut failed) = (Vec::new(), Vec::new());
                for &(partition, committed) in offsets {
                    if let Some(o) = state.owned.iter_mut().find(|o| o.partition == partition) {
                        match start_at(committed, self.reset) {
                            StartAt::LogEnd => latest.push(partition),
                            StartAt::Fail => failed.push(partition),
                            StartAt::Offset { offset, .. } => o.position = Some(offset),
                        }
                        o.committed = committed.unwrap_or(0);
                    }
                }
                // NoOffsetForPartitionException: the consumer reads nothing
                // more of these partitions.
                state.owned.retain(|o| !failed.contains(&o.partition));
                if latest.is_empty() {
                    self.poll(state, 0, out);
                } else {
                    // auto.offset.reset=latest: ask the broker where the logs end now.
                    let incarnation = state.incarnation;
                    out.push((To::Broker, Msg::ListOffsets { incarnation, partitions: latest }));
                }
            }
            (Phase::AwaitingOffsets, Msg::ListOffsetsResponse { offsets, .. }) => {
                for &(partition, end) in offsets {
                    if let Some(o) = state.owned.iter_mut().find(|o| o.partition == partition) {
                        o.position = Some(end);
                    }
                }
                self.poll(state, 0, out);
            }
            (Phase::Fetching { slot }, &Msg::FetchResponse { offset, count, .. })
                if self.answers(state, msg) =>
            {
                let (from, to) = (offset, offset + count);
                state.owned[slot as usize].position = Some(to);
                match self.strategy {
                    Strategy::AtLeastOnce if self.workers > 1 => {
                        let (running, done, committing) = (0, 0, None);
                        state.phase =
                            Phase::Working { slot, from, to, next: from, running, done, committing };
                        self.dispatch(state);
                    }
                    Strategy::AtLeastOnce if self.commit.processing == AutoProcessing::Worker => {
                        self.enqueue(state, slot, from, to, out)
                    }
                    Strategy::AtLeastOnce => self.process(state, slot, from, from, to, out),
                    Strategy::AtMostOnce => self.commit(state, slot, from, to, out),
                    Strategy::ExactlyOnce => {
                        let partition = state.owned[slot as usize].partition;
                        let by = committer(state);
                        let txn = Msg::TxnCommit { incarnation: state.incarnation, partition, from, to, by };
                        out.push((To::Coordinator, txn));
                        state.phase = Phase::Committing { slot, from, to };
                    }
                }
            }
            (Phase::Processing { slot, from, next, to }, &Msg::OutputAck { offset, .. })
                if offset == next =>
            {
                let at_least_once = self.strategy == Strategy::AtLeastOnce;
                if at_least_once && self.commit_offset == CommitOffset::Position {
                    // commitSync() inside the record loop: the consumer's
                    // position is the batch's end, past records not yet processed.
                    state.batches_since_commit += u8::from(next + 1 == to);
                    self.send_commit(state, slot as usize, to, out);
                    state.phase = Phase::Committing { slot, from: next + 1, to };
                } else if next + 1 < to {
                    self.process(state, slot, from, next + 1, to, out);
                } else if at_least_once && self.commit.mode != CommitMode::Sync {
                    // commitAsync() and poll on (the callback learns the
                    // outcome later); auto-commit: the next poll commits.
                    if self.commit.mode == CommitMode::Async {
                        self.commit_async(state, slot, to, out);
                    }
                    self.poll(state, slot as usize + 1, out);
                } else if at_least_once {
                    state.batches_since_commit += 1;
                    if self.commit_every == 1 {
                        let offset = if self.commit_offset == CommitOffset::Last { to - 1 } else { to };
                        self.send_commit(state, slot as usize, offset, out);
                        state.phase = Phase::Committing { slot, from: to, to };
                    } else {
                        self.poll(state, slot as usize + 1, out);
                    }
                } else {
                    self.poll(state, slot as usize + 1, out);
                }
            }
            (Phase::Working { from, to, done, .. }, &Msg::OutputAck { offset, .. })
                if (from..to).contains(&offset) =>
            {
                if let Phase::Working { done: d, .. } = &mut state.phase {
                    *d = done | bit(from, offset);
                }
                self.dispatch(state);
                self.work_on(state, out);
            }
            (Phase::Working { slot, committing: Some(to), .. }, Msg::OffsetCommitResponse { .. }) => {
                state.owned[slot as usize].committed = to;
                if let Phase::Working { committing, .. } = &mut state.phase {
                    *committing = None;
                }
                self.work_on(state, out);
            }
            (
                Phase::Committing { slot, from, to },
                &Msg::OffsetCommitResponse { offset, .. } | &Msg::TxnCommitResponse { offset, .. },
            ) if self.answers(state, msg) => {
                state.owned[slot as usize].committed = offset;
                if self.strategy != Strategy::ExactlyOnce && from < to {
                    self.process(state, slot, from, from, to, out);
                } else {
                    state.batches_since_commit = 0;
                    self.poll(state, slot as usize + 1, out);
                }
            }
            (Phase::Flushing { slot, to }, Msg::OffsetCommitResponse { .. }) if self.answers(state, msg) => {
                state.owned[slot as usize].committed = to;
                self.poll(state, 0, out);
            }
            // CommitFailedException: the consumer is no longer a member of
            // the current generation. An at-most-once batch is dropped
            // unprocessed; a transaction was aborted with its outputs.
            (Phase::Committing { .. } | Phase::Flushing { .. }, Msg::CommitRejected { .. }) => {
                state.rejoin = Rejoin::Lost;
                self.poll(state, 0, out);
            }
            _ => {}
        }
    }

    /// Whether this consumer, alive, will apply the side effect of `offset`
    /// of `partition` from the records it holds, provided its pending commit
    /// (at-most-once) is accepted.
    pub fn will_process(&self, state: &ConsumerState, partition: Partition, offset: Offset) -> bool {
        let holds = |slot: u8, from: Offset, to: Offset| {
            state.owned[slot as usize].partition == partition && (from..to).contains(&offset)
        };
        if state.worker.is_some_and(|w| holds(w.slot, w.next, w.to)) {
            return true;
        }
        match state.phase {
            Phase::Processing { slot, next, to, .. } => holds(slot, next, to),
            Phase::Working { slot, from, to, done, .. } => {
                holds(slot, from, to) && done & bit(from, offset) == 0
            }
            Phase::Committing { slot, from, to } => {
                self.strategy != Strategy::ExactlyOnce && holds(slot, from, to)
            }
            _ => false,
        }
    }

    /// A worker finished processing `offset`: it applies the record's side
    /// effect (its output goes to the sink). Which running worker finishes
    /// first is the model checker's choice.
    pub fn on_worker_done(&self, state: &mut ConsumerState, offset: Offset, out: &mut Out) {
        let Phase::Working { slot, from, running, .. } = &mut state.phase else { return };
        if *running & bit(*from, offset) == 0 {
            return;
        }
        *running &= !bit(*from, offset);
        let partition = state.owned[*slot as usize].partition;
        out.push((To::Sink, Msg::Output { incarnation: state.incarnation, partition, offset }));
    }

    /// The records its workers are processing now (each may finish next).
    pub fn running(&self, state: &ConsumerState) -> Vec<Offset> {
        match state.phase {
            Phase::Working { from, to, running, .. } => {
                (from..to).filter(|&o| running & bit(from, o) != 0).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Hands records to idle workers.
    fn dispatch(&self, state: &mut ConsumerState) {
        if let Phase::Working { from, to, next, running, .. } = &mut state.phase {
            while *next < *to && running.count_ones() < u32::from(self.workers) {
                *running |= bit(*from, *next);
                *next += 1;
            }
        }
    }

    /// The committer: commits what the policy says is safe once the last
    /// commit is acknowledged, and polls again when the whole batch is
    /// processed and committed.
    fn work_on(&self, state: &mut ConsumerState, out: &mut Out) {
        let Phase::Working { slot, from, to, next, done, committing, .. } = state.phase else { return };
        if committing.is_some() {
            return;
        }
        let committed = state.owned[slot as usize].committed;
        let safe = match self.commit_policy {
            CommitPolicy::Contiguous => contiguous_safe_offset(from, next, done),
            CommitPolicy::HighestCompleted => {
                (from..to).rev().find(|&o| done & bit(from, o) != 0).map_or(from, |o| o + 1)
            }
        };
        if safe > committed {
            self.send_commit(state, slot as usize, safe, out);
            if let Phase::Working { committing, .. } = &mut state.phase {
                *committing = Some(safe);
            }
        } else if done.count_ones() == u32::from(to - from) && committed >= to {
            self.poll(state, slot as usize + 1, out);
        }
    }

    /// A rebalance notice or eviction is acted on at once by a consumer
    /// that is between polls with nothing outstanding.
    fn poll_if_waiting(&self, state: &mut ConsumerState, out: &mut Out) {
        if matches!(state.phase, Phase::Idle | Phase::Done) {
            self.poll(state, 0, out);
        }
    }

    /// One iteration of the poll loop, from partition slot `start` on: act
    /// on a rebalance, fetch missing committed offsets, fetch records from
    /// the next partition (round-robin) that has any, or commit what is
    /// processed and go idle.
    fn poll(&self, state: &mut ConsumerState, start: usize, out: &mut Out) {
        let incarnation = state.incarnation;
        if state.rejoin == Rejoin::Lost {
            state.owned.clear();
            state.generation = 0;
        }
        if state.auto_commit_due {
            self.auto_commit(state, out);
        }
        // `commitSync()` every `commit_every` batches commits every owned
        // partition's position, before the next poll() handles a rebalance.
        if state.batches_since_commit >= self.commit_every {
            if let Some(slot) = state.owned.iter().position(Owned::uncommitted) {
                return self.flush(state, slot, out);
            }
            state.batches_since_commit = 0;
        }
        if state.rejoin == Rejoin::Rebalance && self.eager {
            state.owned.iter_mut().for_each(|o| o.revoking = true);
        }
        if self.commit_on_revoke
            && let Some(slot) = state.owned.iter().position(|o| o.revoking && o.uncommitted())
        {
            return self.flush(state, slot, out);
        }
        if state.owned.iter().any(|o| o.revoking) {
            state.owned.retain(|o| !o.revoking);
            state.rejoin = Rejoin::Rebalance;
        }
        if state.rejoin != Rejoin::No {
            state.rejoin = Rejoin::No;
            state.batches_since_commit = 0;
            let mut kept: Vec<Partition> = state.owned.iter().map(|o| o.partition).collect();
            kept.sort_unstable();
            out.push((To::Coordinator, Msg::JoinGroup { incarnation, member: state.member, owned: kept }));
            state.phase = Phase::Joining;
            return;
        }
        let unknown: Vec<Partition> =
            state.owned.iter().filter(|o| o.position.is_none()).map(|o| o.partition).collect();
        if !unknown.is_empty() {
            out.push((To::Coordinator, Msg::OffsetFetch { incarnation, partitions: unknown }));
            state.phase = Phase::AwaitingOffsets;
            return;
        }
        let n = state.owned.len();
        let next = (0..n).map(|i| (start + i) % n).find(|&i| state.owned[i].position < Some(self.log_end));
        if let Some(slot) = next {
            let o = state.owned[slot];
            let offset = o.position.unwrap_or(0);
            let max_records = self.max_poll_records;
            out.push((To::Broker, Msg::Fetch { incarnation, partition: o.partition, offset, max_records }));
            state.phase = Phase::Fetching { slot: slot as u8 };
        } else if let Some(slot) = state.owned.iter().position(Owned::uncommitted) {
            self.flush(state, slot, out);
        } else {
            state.phase = if n == 0 { Phase::Idle } else { Phase::Done };
        }
    }

    fn process(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        next: Offset,
        to: Offset,
        out: &mut Out,
    ) {
        let partition = state.owned[slot as usize].partition;
        out.push((To::Sink, Msg::Output { incarnation: state.incarnation, partition, offset: next }));
        state.phase = Phase::Processing { slot, from, next, to };
    }

    fn commit(&self, state: &mut ConsumerState, slot: u8, from: Offset, to: Offset, out: &mut Out) {
        self.send_commit(state, slot as usize, to, out);
        state.phase = Phase::Committing { slot, from, to };
    }

    /// Commits a partition's processed offsets outside a batch.
    fn flush(&self, state: &mut ConsumerState, slot: usize, out: &mut Out) {
        let to = state.owned[slot].position.unwrap_or(0);
        if self.commit.mode != CommitMode::Sync {
            // commitSync() on close: a newer commit than every async one.
            state.commit_seq = state.commit_seq.wrapping_add(1);
        }
        self.send_commit(state, slot, to, out);
        state.phase = Phase::Flushing { slot: slot as u8, to };
    }

    fn send_commit(&self, state: &ConsumerState, slot: usize, offset: Offset, out: &mut Out) {
        let partition = state.owned[slot].partition;
        let by = committer(state);
        out.push((
            To::Coordinator,
            Msg::OffsetCommit { incarnation: state.incarnation, partition, offset, by },
        ));
    }

    /// `commitAsync(offset)`, or an auto-commit (never retried): sent and
    /// not awaited; its callback handles the response or the failure.
    fn commit_async(&self, state: &mut ConsumerState, slot: u8, offset: Offset, out: &mut Out) {
        let retries_left = if self.commit.mode == CommitMode::Async { self.commit.retries } else { 0 };
        state.commit_seq = state.commit_seq.wrapping_add(1);
        let partition = state.owned[slot as usize].partition;
        state.pending_commits.push(PendingCommit { partition, offset, retries_left, seq: state.commit_seq });
        self.send_commit(state, slot as usize, offset, out);
    }

    /// enable.auto.commit: the poll commits the position of every owned
    /// partition (the end of what earlier polls returned), asynchronously.
    fn auto_commit(&self, state: &mut ConsumerState, out: &mut Out) {
        state.auto_commit_due = false;
        let due: Vec<(usize, Offset)> = uncommitted_positions(state).collect();
        for (slot, position) in due {
            self.commit_async(state, slot as u8, position, out);
        }
    }

    /// auto with a worker: the poll loop hands records `from .. to` to the
    /// worker thread's queue and polls on.
    fn enqueue(&self, state: &mut ConsumerState, slot: u8, from: Offset, to: Offset, out: &mut Out) {
        match &mut state.worker {
            Some(w) if w.slot == slot && w.to == from => w.to = to,
            _ => {
                state.worker = Some(Queued { slot, next: from, to });
                let partition = state.owned[slot as usize].partition;
                out.push((To::Sink, Msg::Output { incarnation: state.incarnation, partition, offset: from }));
            }
        }
        if state.owned.iter().all(|o| o.position >= Some(self.log_end)) {
            // Everything is fetched: the loop closes (commits) once the worker is done.
            state.phase = Phase::Done;
        } else {
            self.poll(state, slot as usize + 1, out);
        }
    }

    /// The worker thread finished its record: it takes the next queued one,
    /// or, with the queue empty and everything fetched, the loop closes.
    fn worker_next(&self, state: &mut ConsumerState, out: &mut Out) {
        let Some(w) = state.worker.as_mut() else { return };
        w.next += 1;
        if w.next < w.to {
            let partition = state.owned[w.slot as usize].partition;
            out.push((To::Sink, Msg::Output { incarnation: state.incarnation, partition, offset: w.next }));
            return;
        }
        state.worker = None;
        if state.phase == Phase::Done {
            self.poll(state, 0, out);
        }
    }

    /// The consumer's own steps it offers the checker now: timeouts of its
    /// request and of each pending commit (with a lossy network; which of
    /// them can happen is [`crate::model::KafkaModel`]'s to say: only those
    /// whose request and reply are both gone), and the auto-commit interval elapsing.
    pub fn steps(&self, state: &ConsumerState) -> Vec<Choice> {
        let mut steps = Vec::new();
        if self.timeouts {
            steps.push(Choice::Consumer(Step::Timeout));
            steps.extend(
                (0..state.pending_commits.len() as u8).map(|i| Choice::Consumer(Step::CommitTimeout(i))),
            );
        }
        if self.commit.mode == CommitMode::Auto
            && !state.auto_commit_due
            && uncommitted_positions(state).next().is_some()
        {
            steps.push(Choice::Consumer(Step::AutoCommitDue));
        }
        steps
    }

    /// Whether the consumer offers steps of its own beyond its workers'.
    pub fn has_steps(&self) -> bool {
        self.timeouts || self.commit.mode == CommitMode::Auto
    }

    /// Takes one of its own steps.
    pub fn on_step(&self, state: &mut ConsumerState, step: Step, out: &mut Out, ev: &mut Events) {
        let consumer = self.number;
        match step {
            Step::WorkerDone(offset) => {
                let partition = match state.phase {
                    Phase::Working { slot, .. } => state.owned[slot as usize].partition,
                    _ => 0,
                };
                ev.emit(|| Event::WorkerDone { consumer, partition, offset });
                self.on_worker_done(state, offset, out)
            }
            // request.timeout.ms: the request is sent again.
            Step::Timeout => {
                let request = self.request(state);
                ev.emit(|| Event::Timeout { consumer, request: request.as_ref().map(|(_, m)| m.clone()) });
                out.extend(request)
            }
            Step::CommitTimeout(i) => {
                let Some(&c) = state.pending_commits.get(i as usize) else { return };
                let newer = c.seq != state.commit_seq;
                let guarded = self.commit.guard == CommitGuard::Sequence && newer;
                let (partition, offset, seq) = (c.partition, c.offset, c.seq);
                if c.retries_left > 0 && !guarded {
                    let (retries_left, newer) = (c.retries_left, newer.then_some(state.commit_seq));
                    ev.emit(|| Event::Retry { consumer, partition, offset, retries_left, seq, newer });
                    // The callback calls commitAsync(offset) again.
                    state.pending_commits[i as usize].retries_left -= 1;
                    let by = committer(state);
                    let (incarnation, partition, offset) = (state.incarnation, c.partition, c.offset);
                    out.push((To::Coordinator, Msg::OffsetCommit { incarnation, partition, offset, by }));
                } else {
                    let guard = guarded.then_some((state.commit_seq, seq));
                    ev.emit(|| Event::CommitFailed { consumer, partition, offset, guard });
                    state.pending_commits.remove(i as usize);
                }
            }
            Step::AutoCommitDue => {
                ev.emit(|| Event::AutoCommitDue { consumer });
                state.auto_commit_due = true;
                // A loop at the log end keeps polling (empty polls), so it commits now.
                if matches!(state.phase, Phase::Idle | Phase::Done) {
                    self.auto_commit(state, out);
                }
            }
        }
    }

    /// What the consumer learned from a reply, before it acts on it.
    fn record_received(&self, msg: &Msg, ev: &mut Events) {
        if !ev.is_on() {
            return;
        }
        let consumer = self.number;
        match *msg {
            Msg::OffsetFetchResponse { ref offsets, .. } => {
                for &(partition, committed) in offsets {
                    ev.emit(|| Event::Position {
                        consumer,
                        partition,
                        start: start_at(committed, self.reset),
                    });
                }
            }
            Msg::ListOffsetsResponse { ref offsets, .. } => {
                for &(partition, end) in offsets {
                    ev.emit(|| Event::ResetToEnd { consumer, partition, end, unprocessed: Vec::new() });
                }
            }
            Msg::FetchResponse { partition, offset, count, .. } => {
                for offset in offset..offset + count {
                    ev.emit(|| Event::Receive { consumer, partition, offset });
                }
            }
            Msg::OutputAck { partition, offset, .. } => {
                ev.emit(|| Event::Processed { consumer, partition, offset })
            }
            Msg::OffsetCommitResponse { partition, offset, .. }
            | Msg::TxnCommitResponse { partition, offset, .. } => {
                ev.emit(|| Event::CommitAck { consumer, partition, offset })
            }
            Msg::CommitRejected { partition, offset, .. } => {
                ev.emit(|| Event::CommitRejected { consumer, partition, offset })
            }
            Msg::JoinResponse { member, generation, ref assignment, .. } => {
                ev.emit(|| Event::Assign { consumer, member, generation, assignment: assignment.clone() })
            }
            Msg::RebalanceNotice { .. } => ev.emit(|| Event::Rebalance { consumer }),
            Msg::Evicted { .. } => ev.emit(|| Event::Evicted { consumer }),
            Msg::OffsetFetch { .. }
            | Msg::Fetch { .. }
            | Msg::ListOffsets { .. }
            | Msg::Output { .. }
            | Msg::OffsetCommit { .. }
            | Msg::TxnCommit { .. }
            | Msg::TxnOutputs { .. }
            | Msg::JoinGroup { .. } => {}
        }
    }

    /// The partitions a step took from the consumer (`before` is its state
    /// before the step), as `revoke` events: given up at a poll, lost with
    /// its member id, or dropped by a reset error (which is no revocation:
    /// its `reset-error` says so).
    pub fn record_revocations(&self, before: &ConsumerState, now: &ConsumerState, ev: &mut Events) {
        if before.incarnation != now.incarnation {
            return;
        }
        let reset_error = self.reset == Reset::None && before.phase == Phase::AwaitingOffsets;
        for o in &before.owned {
            if (reset_error && o.position.is_none()) || now.owned.iter().any(|n| n.partition == o.partition) {
                continue;
            }
            let how = if now.member.is_some() && now.generation == 0 {
                Revocation::Lost
            } else if o.committed < o.position.unwrap_or(0) {
                Revocation::RevokedUncommitted
            } else {
                Revocation::Revoked
            };
            let (partition, position) = (o.partition, o.position);
            ev.emit(|| Event::Revoke { consumer: self.number, partition, position, how });
        }
    }

    /// Whether a reply answers the request the poll loop waits on (a
    /// duplicating network can deliver an old response again; Kafka's
    /// correlation ids tell them apart).
    fn answers(&self, state: &ConsumerState, reply: &Msg) -> bool {
        match (self.request(state), reply) {
            (
                Some((_, Msg::Fetch { partition: p, offset: o, .. })),
                &Msg::FetchResponse { partition, offset, .. },
            ) => (p, o) == (partition, offset),
            (
                Some((_, Msg::OffsetCommit { partition: p, offset: o, .. })),
                &Msg::OffsetCommitResponse { partition, offset, .. },
            ) => (p, o) == (partition, offset),
            _ => true,
        }
    }

    /// The request the poll loop waits on the reply to, as it was sent.
    pub fn request(&self, state: &ConsumerState) -> Option<(To, Msg)> {
        let incarnation = state.incarnation;
        let partition = |slot: u8| state.owned[slot as usize].partition;
        let commit = |slot: u8, offset| {
            let by = committer(state);
            (To::Coordinator, Msg::OffsetCommit { incarnation, partition: partition(slot), offset, by })
        };
        match state.phase {
            Phase::AwaitingOffsets => {
                let partitions =
                    state.owned.iter().filter(|o| o.position.is_none()).map(|o| o.partition).collect();
                Some((To::Coordinator, Msg::OffsetFetch { incarnation, partitions }))
            }
            Phase::Fetching { slot } => {
                let offset = state.owned[slot as usize].position.unwrap_or(0);
                let max_records = self.max_poll_records;
                Some((
                    To::Broker,
                    Msg::Fetch { incarnation, partition: partition(slot), offset, max_records },
                ))
            }
            Phase::Processing { slot, next, .. } => {
                Some((To::Sink, Msg::Output { incarnation, partition: partition(slot), offset: next }))
            }
            Phase::Committing { slot, from, to } => match self.strategy {
                Strategy::ExactlyOnce => {
                    let by = committer(state);
                    Some((
                        To::Coordinator,
                        Msg::TxnCommit { incarnation, partition: partition(slot), from, to, by },
                    ))
                }
                Strategy::AtLeastOnce if self.commit_offset == CommitOffset::Last => {
                    Some(commit(slot, to - 1))
                }
                _ => Some(commit(slot, to)),
            },
            Phase::Flushing { slot, to } => Some(commit(slot, to)),
            _ => None,
        }
    }
}

/// The owned partitions (slots) whose position is past the committed offset
/// the consumer knows and not already on its way as a commit: what an
/// auto-commit commits. The interval elapsing is offered only while there
/// is some, so it never loops back to the same state.
/// Where a partition starts, given its committed offset and
/// `auto.offset.reset` (earliest is offset 0: the log is never truncated here).
pub fn start_at(committed: Option<Offset>, reset: Reset) -> StartAt {
    match (committed, reset) {
        (None, Reset::Latest) => StartAt::LogEnd,
        (None, Reset::None) => StartAt::Fail,
        (committed, _) => StartAt::Offset { offset: committed.unwrap_or(0), committed: committed.is_some() },
    }
}

fn uncommitted_positions(state: &ConsumerState) -> impl Iterator<Item = (usize, Offset)> + '_ {
    state.owned.iter().enumerate().filter_map(|(slot, o)| {
        let issued = |p| state.pending_commits.iter().any(|c| c.partition == o.partition && c.offset == p);
        o.position.filter(|&p| p > o.committed && !issued(p)).map(|p| (slot, p))
    })
}

/// Record `offset`'s bit in a batch starting at `from`.
fn bit(from: Offset, offset: Offset) -> u16 {
    1 << (offset - from)
}

/// The contiguous policy, answered by the shipped [`OffsetTracker`] itself:
/// records `from .. next` dispatched, those in `done` completed.
fn contiguous_safe_offset(from: Offset, next: Offset, done: u16) -> Offset {
    let safe = OffsetTracker::starting_at(&[u64::from(from)], 16).and_then(|tracker| {
        for o in from..next {
            tracker.dispatch(0, u64::from(o))?;
        }
        for o in (from..next).filter(|&o| done & bit(from, o) != 0) {
            tracker.complete(0, u64::from(o))?;
        }
        tracker.safe_offset(0)
    });
    // The batch fits the window (validated) and is dispatched in order, so
    // the tracker cannot refuse it; if it did, committing nothing new is safe.
    safe.map_or(from, |s| s as Offset)
}

fn owned(partition: Partition) -> Owned {
    Owned { partition, position: None, committed: 0, revoking: false }
}

/// Who the consumer believes it is, as its commits say.
pub fn committer(state: &ConsumerState) -> Committer {
    Committer { member: state.member, generation: state.generation }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANUAL: Committer = Committer { member: None, generation: 0 };

    fn consumer(strategy: Strategy, max_poll_records: Offset) -> Consumer {
        Consumer {
            number: 0,
            assignment: Assignment::Manual,
            manual_partitions: vec![0],
            strategy,
            max_poll_records,
            commit_every: 1,
            eager: true,
            commit_on_revoke: false,
            commit_offset: CommitOffset::Next,
            workers: 1,
            commit_policy: CommitPolicy::Contiguous,
            log_end: 3,
            reset: Reset::Earliest,
            commit: CommitConfig::default(),
            timeouts: false,
        }
    }

    fn group(strategy: Strategy, eager: bool, commit_on_revoke: bool) -> Consumer {
        Consumer { assignment: Assignment::Group, eager, commit_on_revoke, ..consumer(strategy, 1) }
    }

    /// Feeds replies to a consumer and returns the requests it sent, in order.
    fn run(c: &Consumer, state: &mut ConsumerState, replies: &[Msg]) -> Vec<(To, Msg)> {
        let mut out = Vec::new();
        for reply in replies {
            c.on_reply(state, Actor::Coordinator, reply, &mut out, &mut Events::off());
        }
        out
    }

    fn started(c: &Consumer, incarnation: Incarnation) -> ConsumerState {
        let mut out = Vec::new();
        let state = c.start(incarnation, &mut out, &mut Events::off());
        let expected = match c.assignment {
            Assignment::Manual => Msg::OffsetFetch { incarnation, partitions: vec![0] },
            Assignment::Group => Msg::JoinGroup { incarnation, member: None, owned: vec![] },
        };
        assert_eq!(out, vec![(To::Coordinator, expected)]);
        state
    }

    // Messages of incarnation 0 about partition 0.
    fn offsets(committed: Option<Offset>) -> Msg {
        Msg::OffsetFetchResponse { incarnation: 0, offsets: vec![(0, committed)] }
    }
    fn records(offset: Offset, count: Offset) -> Msg {
        Msg::FetchResponse { incarnation: 0, partition: 0, offset, count }
    }
    fn output(offset: Offset) -> (To, Msg) {
        (To::Sink, Msg::Output { incarnation: 0, partition: 0, offset })
    }
    fn output_ack(offset: Offset) -> Msg {
        Msg::OutputAck { incarnation: 0, partition: 0, offset }
    }
    fn commit(offset: Offset, by: Committer) -> (To, Msg) {
        (To::Coordinator, Msg::OffsetCommit { incarnation: 0, partition: 0, offset, by })
    }
    fn commit_ack(offset: Offset) -> Msg {
        Msg::OffsetCommitResponse { incarnation: 0, partition: 0, offset }
    }
    fn assigned(generation: Generation, assignment: Vec<Partition>) -> Msg {
        Msg::JoinResponse { incarnation: 0, member: 7, generation, assignment }
    }
    fn fetch(offset: Offset) -> (To, Msg) {
        (To::Broker, Msg::Fetch { incarnation: 0, partition: 0, offset, max_records: 1 })
    }

    #[test]
    fn resumes_from_committed_offset_or_earliest() {
        let c = consumer(Strategy::AtLeastOnce, 2);
        let mut s = started(&c, 0);
        let fetch = Msg::Fetch { incarnation: 0, partition: 0, offset: 1, max_records: 2 };
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
        let c = Consumer { commit_every: 2, ..consumer(Strategy::AtLeastOnce, 1) };
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(None), records(0, 1), output_ack(0)]);
        assert_eq!(sent[2], fetch(1), "no commit after the first batch");
        let sent =
            run(&c, &mut s, &[records(1, 1), output_ack(1), commit_ack(2), records(2, 1), output_ack(2)]);
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
        let txn = Msg::TxnCommit { incarnation: 0, partition: 0, from: 1, to: 3, by: MANUAL };
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
        let mut out = Vec::new();
        let mut s = c.start(0, &mut out, &mut Events::off());
        let offsets = vec![(0, Some(3)), (2, None)];
        let sent = run(&c, &mut s, &[Msg::OffsetFetchResponse { incarnation: 0, offsets }]);
        assert!(matches!(sent[0].1, Msg::Fetch { partition: 2, offset: 0, .. }), "{sent:?}");
    }

    #[test]
    fn eager_rebalance_revokes_at_the_next_poll_and_forgets_positions() {
        for commit_on_revoke in [false, true] {
            let c = Consumer { commit_every: 2, ..group(Strategy::AtLeastOnce, true, commit_on_revoke) };
            let mut s = started(&c, 0);
            let by = Committer { member: Some(7), generation: 1 };
            run(&c, &mut s, &[assigned(1, vec![0]), offsets(None), records(0, 1)]);
            let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0 }, output_ack(0)]);
            let join = (To::Coordinator, Msg::JoinGroup { incarnation: 0, member: Some(7), owned: vec![] });
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
        run(&c, &mut s, &[assigned(1, vec![0, 1])]);
        let both = vec![(0, None), (1, None)];
        run(&c, &mut s, &[Msg::OffsetFetchResponse { incarnation: 0, offsets: both }]);
        run(&c, &mut s, &[records(0, 1), output_ack(0), commit_ack(1)]);
        let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0 }]);
        assert!(sent.is_empty(), "waits for the fetch of partition 1");
        let sent =
            run(&c, &mut s, &[Msg::FetchResponse { incarnation: 0, partition: 1, offset: 0, count: 1 }]);
        assert_eq!(sent.len(), 1);
        s.phase = Phase::Done;
        let sent = run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0 }]);
        let keep = Msg::JoinGroup { incarnation: 0, member: Some(7), owned: vec![0, 1] };
        assert_eq!(sent, vec![(To::Coordinator, keep)]);
        let sent = run(&c, &mut s, &[assigned(2, vec![0])]);
        let revoked = Msg::JoinGroup { incarnation: 0, member: Some(7), owned: vec![0] };
        assert_eq!(sent, vec![(To::Coordinator, revoked)], "KIP-429: revoke, then rejoin");
        assert_eq!(s.owned[0].position, Some(1), "partition 0 keeps its position");
    }

    #[test]
    fn a_rejected_commit_loses_the_partitions_and_rejoins() {
        let c = group(Strategy::AtMostOnce, true, true);
        let mut s = started(&c, 0);
        run(&c, &mut s, &[assigned(1, vec![0]), offsets(None), records(0, 1)]);
        let sent = run(&c, &mut s, &[Msg::CommitRejected { incarnation: 0, partition: 0, offset: 1 }]);
        let join = Msg::JoinGroup { incarnation: 0, member: Some(7), owned: vec![] };
        assert_eq!(sent, vec![(To::Coordinator, join)], "the batch is dropped, nothing committed on loss");
        assert!(s.owned.is_empty() && s.generation == 0);
    }

    #[test]
    fn a_missing_offset_resets_to_the_earliest_the_log_end_or_fails() {
        let earliest = consumer(Strategy::AtLeastOnce, 1);
        let mut s = started(&earliest, 0);
        assert_eq!(run(&earliest, &mut s, &[offsets(None)]), vec![fetch(0)]);

        let latest = Consumer { reset: Reset::Latest, ..consumer(Strategy::AtLeastOnce, 1) };
        let mut s = started(&latest, 0);
        let sent = run(&latest, &mut s, &[offsets(None)]);
        let list = Msg::ListOffsets { incarnation: 0, partitions: vec![0] };
        assert_eq!(sent, vec![(To::Broker, list)], "asks where the log ends");
        assert_eq!((s.phase, s.owned[0].position), (Phase::AwaitingOffsets, None));
        let end = Msg::ListOffsetsResponse { incarnation: 0, offsets: vec![(0, 2)] };
        let sent = run(&latest, &mut s, &[end]);
        assert_eq!(sent, vec![fetch(2)], "resumes at the log end, past offsets 0 and 1");
        let mut s = started(&latest, 0);
        assert_eq!(run(&latest, &mut s, &[offsets(Some(1))]), vec![fetch(1)], "a commit wins");

        let none = Consumer { reset: Reset::None, ..consumer(Strategy::AtLeastOnce, 1) };
        let mut s = started(&none, 0);
        assert!(run(&none, &mut s, &[offsets(None)]).is_empty(), "NoOffsetForPartitionException");
        assert!(s.owned.is_empty());
        assert_eq!(s.phase, Phase::Idle);
    }

    fn async_consumer(retries: u8, guard: CommitGuard) -> Consumer {
        let commit = CommitConfig { mode: CommitMode::Async, retries, guard, ..CommitConfig::default() };
        Consumer { commit, timeouts: true, ..consumer(Strategy::AtLeastOnce, 1) }
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
            assert_eq!(
                s.pending_commits.iter().map(|p| (p.offset, p.seq)).collect::<Vec<_>>(),
                [(1, 1), (2, 2)]
            );
            // Commit 1's request was lost: its callback runs.
            let mut out = Vec::new();
            c.on_step(&mut s, Step::CommitTimeout(0), &mut out, &mut Events::off());
            match guard {
                CommitGuard::None => {
                    assert_eq!(out, vec![commit(1, MANUAL)], "the older offset is committed again");
                    assert_eq!(s.pending_commits[0].retries_left, 0);
                    let mut out = Vec::new();
                    c.on_step(&mut s, Step::CommitTimeout(0), &mut out, &mut Events::off());
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
        let c = Consumer { timeouts: true, ..consumer(Strategy::AtLeastOnce, 1) };
        let mut s = started(&c, 0);
        let mut out = Vec::new();
        c.on_step(&mut s, Step::Timeout, &mut out, &mut Events::off());
        assert_eq!(out, vec![(To::Coordinator, Msg::OffsetFetch { incarnation: 0, partitions: vec![0] })]);
        run(&c, &mut s, &[offsets(None), records(0, 1)]);
        assert_eq!(c.request(&s), Some(output(0)), "the Output whose acknowledgement it waits for");
        run(&c, &mut s, &[output_ack(0)]);
        assert_eq!(c.request(&s), Some(commit(1, MANUAL)));
        assert!(
            run(&c, &mut s, &[commit_ack(0)]).is_empty(),
            "a duplicate of another response answers nothing"
        );
        assert_eq!(run(&c, &mut s, &[commit_ack(1)]), vec![fetch(1)]);
    }

    #[test]
    fn auto_commit_commits_the_positions_earlier_polls_returned() {
        let auto = CommitConfig { mode: CommitMode::Auto, ..CommitConfig::default() };
        let c = Consumer { commit: auto, ..consumer(Strategy::AtLeastOnce, 1) };
        let mut s = started(&c, 0);
        run(&c, &mut s, &[offsets(None), records(0, 1)]);
        let mut out = Vec::new();
        c.on_step(&mut s, Step::AutoCommitDue, &mut out, &mut Events::off());
        assert!(out.is_empty() && s.auto_commit_due, "waits for the next poll");
        let sent = run(&c, &mut s, &[output_ack(0)]);
        assert_eq!(
            sent,
            vec![commit(1, MANUAL), fetch(1)],
            "in-poll: offset 0 is processed when the poll commits 1"
        );

        let worker = CommitConfig { processing: AutoProcessing::Worker, ..auto };
        let c = Consumer { commit: worker, ..consumer(Strategy::AtLeastOnce, 1) };
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(None), records(0, 1)]);
        assert_eq!(sent[1..], [output(0), fetch(1)], "the worker processes while the loop polls on");
        c.on_step(&mut s, Step::AutoCommitDue, &mut Vec::new(), &mut Events::off());
        let sent = run(&c, &mut s, &[records(1, 1)]);
        assert_eq!(sent, vec![commit(2, MANUAL), fetch(2)], "the poll commits past queued offsets 0 and 1");
        assert!(c.will_process(&s, 0, 0) && c.will_process(&s, 0, 1), "the worker still holds them");
        assert_eq!(run(&c, &mut s, &[output_ack(0)]), vec![output(1)]);
    }

    #[test]
    fn the_contiguous_policy_is_the_trackers_answer() {
        // Records 3..6 dispatched; 4 and 5 done, 3 still running.
        assert_eq!(contiguous_safe_offset(3, 6, 0b110), 3);
        assert_eq!(contiguous_safe_offset(3, 6, 0b111), 6);
        assert_eq!(contiguous_safe_offset(3, 6, 0b011), 5);
        assert_eq!(contiguous_safe_offset(3, 3, 0), 3);
    }

    #[test]
    fn workers_finish_in_any_order_and_the_policy_decides_the_commit() {
        for (policy, expected) in
            [(CommitPolicy::Contiguous, None), (CommitPolicy::HighestCompleted, Some(2))]
        {
            let c = Consumer { workers: 2, commit_policy: policy, ..consumer(Strategy::AtLeastOnce, 3) };
            let mut s = started(&c, 0);
            run(&c, &mut s, &[offsets(None), records(0, 3)]);
            assert_eq!(c.running(&s), vec![0, 1], "two workers, two records at a time");
            let mut out = Vec::new();
            c.on_worker_done(&mut s, 1, &mut out);
            assert_eq!(out, vec![output(1)], "a worker applies its record's side effect");
            let sent = run(&c, &mut s, &[output_ack(1)]);
            assert_eq!(c.running(&s), vec![0, 2], "the idle worker takes the next record");
            let committed = sent.iter().find_map(|(_, m)| match m {
                Msg::OffsetCommit { offset, .. } => Some(*offset),
                _ => None,
            });
            assert_eq!(committed, expected, "{policy:?}");
            assert!(c.will_process(&s, 0, 0), "record 0 is still with a worker");
        }
    }

    #[test]
    fn a_new_member_id_means_the_partitions_were_lost() {
        let c = group(Strategy::AtMostOnce, false, false);
        let mut s = started(&c, 0);
        run(&c, &mut s, &[assigned(1, vec![0]), offsets(Some(1))]);
        s.phase = Phase::Done;
        run(&c, &mut s, &[Msg::RebalanceNotice { incarnation: 0 }]);
        assert_eq!(s.phase, Phase::Joining, "cooperative: rejoins keeping partition 0");
        let as_new_member =
            Msg::JoinResponse { incarnation: 0, member: 8, generation: 3, assignment: vec![0] };
        let sent = run(&c, &mut s, &[as_new_member]);
        let refetch = Msg::OffsetFetch { incarnation: 0, partitions: vec![0] };
        assert_eq!(sent, vec![(To::Coordinator, refetch)], "its old position is gone");
    }

    #[test]
    fn commit_offset_last_is_one_low_and_position_is_the_batch_end_mid_batch() {
        let last = Consumer { commit_offset: CommitOffset::Last, ..consumer(Strategy::AtLeastOnce, 2) };
        let mut s = started(&last, 0);
        let sent = run(&last, &mut s, &[offsets(None), records(0, 2), output_ack(0), output_ack(1)]);
        assert_eq!(sent.last(), Some(&commit(1, MANUAL)), "offset 1 is processed; 1 is committed");

        let position =
            Consumer { commit_offset: CommitOffset::Position, ..consumer(Strategy::AtLeastOnce, 2) };
        let mut s = started(&position, 0);
        let sent = run(&position, &mut s, &[offsets(None), records(0, 2), output_ack(0)]);
        assert_eq!(sent.last(), Some(&commit(2, MANUAL)), "the position passes offset 1, unprocessed");
        assert!(position.will_process(&s, 0, 1), "offset 1 is processed once the commit succeeds");
        assert_eq!(run(&position, &mut s, &[commit_ack(2)]), vec![output(1)]);
    }
}
