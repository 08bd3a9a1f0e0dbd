//! What happened in a step, as data: each handler records an [`Event`] at
//! the moment it decides (it knows why), and everything downstream (the
//! trace, its JSON document, Markdown stories, SVG diagrams, the live
//! schedule) reads these values instead of re-deriving the decision from
//! states or matching on strings.
//!
//! The checker never looks at events: its handlers get [`Events::off`],
//! which builds nothing. A trace replays each step of a path with
//! [`Events::on`] ([`super::KafkaModel::step_events`]). The sentence a
//! person reads is `src/trace/sentence/` (one file per mechanism); the JSON names are
//! `src/trace/json.rs`.

use super::group::SyncOutcome;
use super::msg::{CommitError, Committer, Generation, MemberId, Msg};
use super::replication::{Election, Replica};
use super::{BROKER, COORDINATOR, FIRST_CONSUMER, SINK};
use crate::scenario::{Offset, OnCommitError, Partition};
use std::fmt;

/// An actor of the model, as traces name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    Broker,
    Coordinator,
    Sink,
    Consumer(u8),
}

impl Actor {
    /// The actor at a Stateright actor index.
    pub fn of(index: usize) -> Actor {
        match index {
            BROKER => Actor::Broker,
            COORDINATOR => Actor::Coordinator,
            SINK => Actor::Sink,
            c => Actor::Consumer((c - FIRST_CONSUMER) as u8),
        }
    }

    /// Its Stateright actor index.
    pub fn index(self) -> usize {
        match self {
            Actor::Broker => BROKER,
            Actor::Coordinator => COORDINATOR,
            Actor::Sink => SINK,
            Actor::Consumer(c) => FIRST_CONSUMER + c as usize,
        }
    }

    /// The consumer number, for a consumer.
    pub fn consumer(self) -> Option<u8> {
        match self {
            Actor::Consumer(c) => Some(c),
            Actor::Broker | Actor::Coordinator | Actor::Sink => None,
        }
    }
}

/// The trace name of an actor: `broker`, `coordinator`, `sink`, `consumer-N`
/// (the JSON trace document's `actor` and `peer` values).
impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Actor::Broker => f.write_str("broker"),
            Actor::Coordinator => f.write_str("coordinator"),
            Actor::Sink => f.write_str("sink"),
            Actor::Consumer(c) => write!(f, "consumer-{c}"),
        }
    }
}

impl serde::Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How the coordinator acknowledged a commit, where the offsets topic is
/// replicated (`offsets_topic.replicas` > 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acknowledged {
    /// One replica: nothing to say.
    Alone,
    /// `acks: leader`: with only the leader holding it.
    ByLeader(Replica),
    /// `acks: all`: once the in-sync replicas hold it.
    ByInSync(Vec<Replica>),
}

/// Why the retention policy let a committed offset expire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryReason {
    /// `while-active`: retention counts from the last commit (KAFKA-4682).
    WhileActive,
    /// `when-empty` with group assignment: the group has been empty (KIP-211).
    GroupEmpty,
    /// `when-empty` with manual assignment: a standalone group's offsets
    /// expire retention after their last commit (KIP-211).
    Standalone,
}

/// How a consumer gave up a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// Its position was past its committed offset.
    RevokedUncommitted,
    /// Evicted or fenced: `onPartitionsLost`.
    Lost,
}

/// A replica an election may choose, as the election found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub replica: Replica,
    /// How many of the failed leader's records it holds.
    pub held: usize,
    pub in_sync: bool,
}

/// Where a partition with no committed offset starts, by `auto.offset.reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    /// The committed offset, or offset 0 (earliest) when there is none.
    Offset { offset: Offset, committed: bool },
    /// `latest`: where the log ends, asked with ListOffsets.
    LogEnd,
    /// `none`: NoOffsetForPartitionException.
    Fail,
}

/// Something one actor did or learned in a step. Consumers are numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    // The network and the processes.
    /// A duplicating network delivered a message again.
    Duplicate {
        src: Actor,
        dst: Actor,
        msg: Msg,
    },
    /// A lossy network lost a message.
    Drop {
        src: Actor,
        dst: Actor,
        msg: Msg,
    },
    Crash {
        consumer: u8,
    },
    /// A consumer process restarted: with group assignment it joins as a new member.
    Recover {
        consumer: u8,
        joins: bool,
    },
    /// The broker leading `__consumer_offsets` failed.
    Failover {
        leader: Replica,
        epoch: u8,
    },

    // The coordinator.
    FetchOffset {
        consumer: u8,
        partition: Partition,
        committed: Option<Offset>,
    },
    /// A commit (or transaction) from outside the current generation, or
    /// (REBALANCE_IN_PROGRESS) from inside it while the group is CompletingRebalance.
    RejectCommit {
        consumer: u8,
        partition: Partition,
        offset: Offset,
        by: Committer,
        generation: Generation,
        error: CommitError,
    },
    Commit {
        consumer: u8,
        partition: Partition,
        offset: Offset,
        acknowledged: Acknowledged,
    },
    TxnCommit {
        consumer: u8,
        partition: Partition,
        from: Offset,
        to: Offset,
        acknowledged: Acknowledged,
    },
    /// A JoinGroup: as a member the group knows, or as the new member `member`.
    Join {
        consumer: u8,
        member: MemberId,
        known: bool,
        /// The partitions it reports as its own: those it keeps
        /// (cooperative), or, with `last_assignment`, the eager
        /// StickyAssignor's userData: its last assignment, all revoked.
        keeps: Vec<Partition>,
        last_assignment: bool,
    },
    /// A JoinGroup from a follower of a stable group whose metadata is
    /// unchanged: answered with the current generation and assignment, no
    /// rebalance (Kafka's `doCurrentMemberJoinGroup` in `Stable`).
    JoinCurrent {
        consumer: u8,
        member: MemberId,
        generation: Generation,
    },
    /// A SyncGroup, and what the coordinator did with it.
    Sync {
        consumer: u8,
        member: MemberId,
        generation: Generation,
        outcome: SyncOutcome,
    },
    /// A GroupMetadata record written to `__consumer_offsets`: a rebalance
    /// completed, or the group emptied. `members`: (member id, consumer).
    StoreGroup {
        generation: Generation,
        members: Vec<(MemberId, u8)>,
        acknowledged: Acknowledged,
    },
    /// A follower of `__consumer_offsets` fetched group records, the latest of `generation`.
    ReplicateGroup {
        replica: Replica,
        generation: Generation,
    },
    /// After a failover, the new coordinator loaded the group from the
    /// elected replica's latest GroupMetadata record.
    LoadGroup {
        generation: Generation,
        members: Vec<(MemberId, u8)>,
    },
    /// A member's session timed out, or it was paused past `max.poll.interval.ms`.
    Evict {
        member: MemberId,
        consumer: u8,
        paused: bool,
    },
    Replicate {
        replica: Replica,
        fetched: Vec<(Partition, Offset)>,
        leader: Replica,
        caught_up: usize,
    },
    LeaveIsr {
        replica: Replica,
        held: usize,
        leader_has: usize,
        in_sync: Vec<Replica>,
    },
    /// The election after a failover begins among several candidates.
    Election {
        epoch: u8,
        how: Election,
        candidates: Vec<Candidate>,
        leader_had: usize,
    },
    Elect {
        replica: Replica,
        epoch: u8,
        how: Election,
        kept: usize,
        lost: Vec<(Partition, Offset)>,
        leader_had: usize,
    },
    Expire {
        partition: Partition,
        committed: Option<Offset>,
        why: ExpiryReason,
    },

    // The broker.
    /// A Fetch at the log end of a partition that will grow: a long poll.
    FetchHeld {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
    /// `fetch.max.wait.ms` elapsed on a held Fetch: answered with no records.
    FetchWaitElapsed {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
    FetchServed {
        consumer: u8,
        partition: Partition,
        offset: Offset,
        max_records: Offset,
    },
    ListOffsets {
        consumer: u8,
        partition: Partition,
        end: Offset,
    },
    /// The producer appended `offset`; the fetches held for `woken` are answered.
    Produce {
        partition: Partition,
        offset: Offset,
        woken: Vec<u8>,
    },

    // The sink.
    /// The `time`-th application of a record's side effect (from a committed
    /// transaction when `txn`).
    Process {
        from: Actor,
        partition: Partition,
        offset: Offset,
        time: u16,
        txn: bool,
    },

    // A consumer.
    /// A reply addressed to the consumer's crashed predecessor.
    DropStale {
        consumer: u8,
        from: Actor,
        msg: Msg,
    },
    /// The committed offset a consumer learned for a partition and where it starts.
    Position {
        consumer: u8,
        partition: Partition,
        start: StartAt,
    },
    /// `auto.offset.reset=latest`: the log end it resumes at, and the
    /// records below it never processed (which it skips).
    ResetToEnd {
        consumer: u8,
        partition: Partition,
        end: Offset,
        unprocessed: Vec<Offset>,
    },
    Receive {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
    /// An empty FetchResponse (`fetch.max.wait.ms` elapsed): `poll()` returned no records.
    EmptyPoll {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
    Processed {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
    CommitAck {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
    /// The coordinator's rejection of a commit reached the consumer.
    CommitRejected {
        consumer: u8,
        partition: Partition,
        offset: Offset,
        error: CommitError,
    },
    /// The JoinGroup's answer: the member id and generation; the SyncGroup follows.
    Joined {
        consumer: u8,
        member: MemberId,
        generation: Generation,
    },
    /// The application caught the exception of its poll loop's commit
    /// (CommitFailedException, or RebalanceInProgressException) and does
    /// what `on_commit_error` says.
    CommitErrorHandled {
        consumer: u8,
        partition: Partition,
        offset: Offset,
        error: CommitError,
        response: OnCommitError,
    },
    /// The SyncGroup failed: the consumer rejoins.
    SyncFailed {
        consumer: u8,
    },
    Assign {
        consumer: u8,
        member: MemberId,
        generation: Generation,
        assignment: Vec<Partition>,
    },
    Rebalance {
        consumer: u8,
    },
    Evicted {
        consumer: u8,
    },
    Revoke {
        consumer: u8,
        partition: Partition,
        position: Option<Offset>,
        how: Revocation,
    },
    /// `request.timeout.ms`: the outstanding request (if any) is sent again.
    Timeout {
        consumer: u8,
        request: Option<Msg>,
    },
    /// A failed commitAsync its callback retries; `newer`: the sequence number
    /// of a newer commit issued since its own (`seq`).
    Retry {
        consumer: u8,
        partition: Partition,
        offset: Offset,
        retries_left: u8,
        seq: u8,
        newer: Option<u8>,
    },
    /// A failed commitAsync its callback gives up on: stopped by the sequence
    /// guard (`guard`: the newer commit's sequence number and its own), or out of retries.
    CommitFailed {
        consumer: u8,
        partition: Partition,
        offset: Offset,
        guard: Option<(u8, u8)>,
    },
    /// A commit the consumer cannot send: it knows it left the group (evicted,
    /// or an earlier commit rejected), so it has no generation to send it
    /// with (CommitFailedException at once, `ConsumerCoordinator`'s
    /// sendOffsetCommitRequest).
    CommitWithoutGeneration {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
    AutoCommitDue {
        consumer: u8,
    },
    /// librdkafka's auto-commit timer fired: its background thread commits
    /// the stored offsets at once (`src/model/consumer/librdkafka.rs`).
    AutoCommitTimer {
        consumer: u8,
    },
    WorkerDone {
        consumer: u8,
        partition: Partition,
        offset: Offset,
    },
}

/// Where a handler records its events: nowhere while the checker searches.
#[derive(Debug, Default)]
pub struct Events(Option<Vec<Event>>);

impl Events {
    /// Records nothing: the checker's hot path builds no event.
    pub const fn off() -> Events {
        Events(None)
    }

    pub fn on() -> Events {
        Events(Some(Vec::new()))
    }

    /// Records the event `make` builds, if recording.
    #[inline]
    pub fn emit(&mut self, make: impl FnOnce() -> Event) {
        if let Some(events) = &mut self.0 {
            events.push(make());
        }
    }

    pub fn into_vec(self) -> Vec<Event> {
        self.0.unwrap_or_default()
    }
}

impl Event {
    /// The actor the event happened at (the one that handled the step).
    pub fn actor(&self) -> Actor {
        use Event::*;
        match self {
            Duplicate { dst, .. } | Drop { dst, .. } => *dst,
            Failover { .. }
            | FetchOffset { .. }
            | RejectCommit { .. }
            | Commit { .. }
            | TxnCommit { .. }
            | Join { .. }
            | JoinCurrent { .. }
            | Sync { .. }
            | StoreGroup { .. }
            | ReplicateGroup { .. }
            | LoadGroup { .. }
            | Evict { .. }
            | Replicate { .. }
            | LeaveIsr { .. }
            | Election { .. }
            | Elect { .. }
            | Expire { .. } => Actor::Coordinator,
            FetchHeld { .. }
            | FetchWaitElapsed { .. }
            | FetchServed { .. }
            | ListOffsets { .. }
            | Produce { .. } => Actor::Broker,
            Process { .. } => Actor::Sink,
            Crash { consumer }
            | Recover { consumer, .. }
            | DropStale { consumer, .. }
            | Position { consumer, .. }
            | ResetToEnd { consumer, .. }
            | Receive { consumer, .. }
            | EmptyPoll { consumer, .. }
            | Processed { consumer, .. }
            | CommitAck { consumer, .. }
            | CommitRejected { consumer, .. }
            | Joined { consumer, .. }
            | CommitErrorHandled { consumer, .. }
            | SyncFailed { consumer }
            | Assign { consumer, .. }
            | Rebalance { consumer }
            | Evicted { consumer }
            | Revoke { consumer, .. }
            | Timeout { consumer, .. }
            | Retry { consumer, .. }
            | CommitFailed { consumer, .. }
            | CommitWithoutGeneration { consumer, .. }
            | AutoCommitDue { consumer }
            | AutoCommitTimer { consumer }
            | WorkerDone { consumer, .. } => Actor::Consumer(*consumer),
        }
    }

    /// The actor on the other end of the message, where there is one.
    pub fn peer(&self) -> Option<Actor> {
        use Event::*;
        match self {
            Drop { src, .. } => Some(*src),
            FetchOffset { consumer, .. }
            | RejectCommit { consumer, .. }
            | Commit { consumer, .. }
            | TxnCommit { consumer, .. }
            | Join { consumer, .. }
            | JoinCurrent { consumer, .. }
            | Sync { consumer, .. }
            | Evict { consumer, .. }
            | FetchHeld { consumer, .. }
            | FetchWaitElapsed { consumer, .. }
            | FetchServed { consumer, .. }
            | ListOffsets { consumer, .. } => Some(Actor::Consumer(*consumer)),
            Process { from, .. } | DropStale { from, .. } => Some(*from),
            Position { .. }
            | CommitAck { .. }
            | CommitRejected { .. }
            | Joined { .. }
            | SyncFailed { .. }
            | Assign { .. }
            | Rebalance { .. }
            | Evicted { .. } => Some(Actor::Coordinator),
            ResetToEnd { .. } | Receive { .. } | EmptyPoll { .. } => Some(Actor::Broker),
            Processed { .. } => Some(Actor::Sink),
            Duplicate { .. }
            | Crash { .. }
            | Recover { .. }
            | Failover { .. }
            | StoreGroup { .. }
            | ReplicateGroup { .. }
            | LoadGroup { .. }
            | Replicate { .. }
            | LeaveIsr { .. }
            | Election { .. }
            | Elect { .. }
            | Expire { .. }
            | Produce { .. }
            | Revoke { .. }
            | Timeout { .. }
            | Retry { .. }
            | CommitFailed { .. }
            | CommitErrorHandled { .. }
            | CommitWithoutGeneration { .. }
            | AutoCommitDue { .. }
            | AutoCommitTimer { .. }
            | WorkerDone { .. } => None,
        }
    }

    /// The partition and offset the event is about, where it is about one.
    pub fn at(&self) -> Option<(Partition, Option<Offset>)> {
        use Event::*;
        match *self {
            FetchOffset { partition, committed, .. } | Expire { partition, committed, .. } => {
                Some((partition, committed))
            }
            RejectCommit { partition, offset, .. }
            | Commit { partition, offset, .. }
            | TxnCommit { partition, to: offset, .. }
            | FetchHeld { partition, offset, .. }
            | FetchWaitElapsed { partition, offset, .. }
            | FetchServed { partition, offset, .. }
            | ListOffsets { partition, end: offset, .. }
            | Produce { partition, offset, .. }
            | Process { partition, offset, .. }
            | ResetToEnd { partition, end: offset, .. }
            | Receive { partition, offset, .. }
            | EmptyPoll { partition, offset, .. }
            | Processed { partition, offset, .. }
            | CommitAck { partition, offset, .. }
            | CommitRejected { partition, offset, .. }
            | CommitErrorHandled { partition, offset, .. }
            | Retry { partition, offset, .. }
            | CommitFailed { partition, offset, .. }
            | CommitWithoutGeneration { partition, offset, .. }
            | WorkerDone { partition, offset, .. } => Some((partition, Some(offset))),
            Position { partition, start, .. } => match start {
                StartAt::Offset { offset, .. } => Some((partition, Some(offset))),
                StartAt::LogEnd | StartAt::Fail => Some((partition, None)),
            },
            Revoke { partition, position, .. } => Some((partition, position)),
            Replicate { ref fetched, .. } => fetched.last().map(|&(p, o)| (p, Some(o))),
            Timeout { ref request, .. } => request.as_ref().and_then(request_at),
            Duplicate { .. }
            | Drop { .. }
            | Crash { .. }
            | Recover { .. }
            | Failover { .. }
            | Join { .. }
            | JoinCurrent { .. }
            | Sync { .. }
            | Joined { .. }
            | SyncFailed { .. }
            | StoreGroup { .. }
            | ReplicateGroup { .. }
            | LoadGroup { .. }
            | Evict { .. }
            | LeaveIsr { .. }
            | Election { .. }
            | Elect { .. }
            | DropStale { .. }
            | Assign { .. }
            | Rebalance { .. }
            | Evicted { .. }
            | AutoCommitDue { .. }
            | AutoCommitTimer { .. } => None,
        }
    }
}

/// The partition and offset a consumer's request is about.
fn request_at(msg: &Msg) -> Option<(Partition, Option<Offset>)> {
    match *msg {
        Msg::Fetch { partition, offset, .. }
        | Msg::Output { partition, offset, .. }
        | Msg::OffsetCommit { partition, offset, .. }
        | Msg::TxnCommit { partition, to: offset, .. } => Some((partition, Some(offset))),
        _ => None,
    }
}
