//! The requests and responses that cross the (ordered, TCP-like) network.
//!
//! Every consumer message carries its sender's `incarnation`, the number of
//! times that consumer has started. A restarted process opens new
//! connections, so a reply addressed to an earlier incarnation never reaches
//! the new one: the consumer drops such replies on arrival.
//!
//! Every consumer request also carries a correlation id, which its reply
//! echoes, as in Kafka's request header. The model needs it on the
//! duplicating network only, and sets it there only (elsewhere it is 0, so
//! those state spaces are exactly what they were): Stateright's duplicating
//! network is a set that keeps every message it delivered, so a request
//! equal to an earlier one (an OffsetFetch after a rebalance that gave the
//! consumer its partitions back) would be taken for a copy of the first,
//! and a copy of the first one's reply would answer it. The coordinator's
//! notices carry what makes each unique in Kafka's protocol instead: the
//! generation a rebalance starts from, the member an eviction removes.

use crate::scenario::{Offset, Partition};
use serde::Serialize;

/// Which start of a consumer process a message belongs to (0 = first start).
pub type Incarnation = u8;
/// A group member id, handed out by the coordinator in join order.
pub type MemberId = u8;
/// A group generation; 0 before the first rebalance (and always, for manual
/// assignment). Wider than the other counters: every rebalance round adds one.
pub type Generation = u16;
/// A request's correlation id within its sender's incarnation (0 except on
/// the duplicating network). Wide enough that no run reuses one.
pub type Corr = u16;

/// Who sends a commit, as OffsetCommit and (KIP-447) TxnOffsetCommit carry
/// it: the member id and generation the sender believes it has; no member
/// for manually assigned consumers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Committer {
    pub member: Option<MemberId>,
    pub generation: Generation,
}

/// Why the coordinator rejected a commit (`ClassicGroup.validateOffsetCommit`
/// in Kafka's group coordinator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitError {
    /// ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID: the sender is not a member
    /// of the current generation. The Java client raises
    /// CommitFailedException and resets its generation.
    Fenced,
    /// REBALANCE_IN_PROGRESS: a member of the current generation committed
    /// while the group is CompletingRebalance (after the JoinGroup
    /// responses, before the leader's SyncGroup). Not for a transactional
    /// commit, whose group state Kafka does not enforce. The Java client
    /// raises RebalanceInProgressException and rejoins, its generation kept.
    RebalanceInProgress,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Msg {
    /// consumer → coordinator: the committed offsets of the consumer's partitions.
    OffsetFetch { incarnation: Incarnation, corr: Corr, partitions: Vec<Partition> },
    /// coordinator → consumer: per partition, the committed offset (None: no commit yet).
    OffsetFetchResponse { incarnation: Incarnation, corr: Corr, offsets: Vec<(Partition, Option<Offset>)> },
    /// consumer → broker: up to `max_records` records of `partition` from `offset` on.
    Fetch { incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset, max_records: Offset },
    /// broker → consumer: the records at offsets `offset .. offset + count`.
    FetchResponse {
        incarnation: Incarnation,
        corr: Corr,
        partition: Partition,
        offset: Offset,
        count: Offset,
    },
    /// consumer → broker: the log end of each partition (ListOffsets with
    /// the latest timestamp), for `auto.offset.reset=latest`.
    ListOffsets { incarnation: Incarnation, corr: Corr, partitions: Vec<Partition> },
    /// broker → consumer: per partition, its log end offset now.
    ListOffsetsResponse { incarnation: Incarnation, corr: Corr, offsets: Vec<(Partition, Offset)> },
    /// consumer → sink: apply the side effect of one record.
    Output { incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset },
    /// sink → consumer: the side effect of that record is applied.
    OutputAck { incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset },
    /// consumer → coordinator: join the group, reporting the partitions it
    /// still owns (KIP-429).
    JoinGroup { incarnation: Incarnation, corr: Corr, member: Option<MemberId>, owned: Vec<Partition> },
    /// coordinator → consumer: every member has joined (the group is
    /// CompletingRebalance): the member's id and the new generation. Its
    /// assignment comes in the SyncGroup response.
    JoinResponse { incarnation: Incarnation, corr: Corr, member: MemberId, generation: Generation },
    /// consumer → coordinator: SyncGroup for the generation its JoinGroup
    /// returned. The leader's carries the assignment (computed by the
    /// coordinator here, `group.rs` says why that is the same); a
    /// follower's waits for the leader's.
    SyncGroup { incarnation: Incarnation, corr: Corr, member: MemberId, generation: Generation },
    /// coordinator → consumer: the member's assignment (the group is
    /// Stable), or none: the SyncGroup failed (REBALANCE_IN_PROGRESS,
    /// ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID) and the member rejoins.
    SyncResponse { incarnation: Incarnation, corr: Corr, assignment: Option<Vec<Partition>> },
    /// coordinator → consumer: a rebalance started, rejoin (the heartbeat
    /// response REBALANCE_IN_PROGRESS).
    RebalanceNotice { incarnation: Incarnation, generation: Generation },
    /// coordinator → consumer: the member was removed from the group (the
    /// heartbeat response UNKNOWN_MEMBER_ID a paused consumer gets once it runs again).
    /// `held` is the correlation id of the member's JoinGroup or SyncGroup
    /// the coordinator held when it removed the member, which nothing else
    /// will answer: a held JoinGroup is answered UNKNOWN_MEMBER_ID
    /// (`removeMemberAndUpdateGroup`, "so that the consumer will retry the
    /// JoinGroup request if it is still active"); a held SyncGroup is not
    /// (the waiting syncs of the members that remain are failed with
    /// REBALANCE_IN_PROGRESS, the removed one's is dropped with it), and the
    /// client learns from its heartbeat, which it sends in
    /// COMPLETING_REBALANCE too, answered UNKNOWN_MEMBER_ID
    /// (`AbstractCoordinator.resetGenerationOnResponseError`).
    Evicted { incarnation: Incarnation, member: MemberId, held: Option<Corr> },
    /// coordinator → consumer: the commit (or transaction) was rejected,
    /// for the reason `error` says; a transaction is aborted with its outputs.
    CommitRejected {
        incarnation: Incarnation,
        corr: Corr,
        partition: Partition,
        offset: Offset,
        error: CommitError,
    },
    /// consumer → coordinator: commit `offset` (the next offset to read).
    OffsetCommit { incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset, by: Committer },
    /// coordinator → consumer: the commit is recorded.
    OffsetCommitResponse { incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset },
    /// consumer → coordinator: one transaction that publishes the outputs of
    /// records `from .. to` and commits offset `to`, atomically.
    TxnCommit {
        incarnation: Incarnation,
        corr: Corr,
        partition: Partition,
        from: Offset,
        to: Offset,
        by: Committer,
    },
    /// coordinator → consumer: the transaction is committed.
    TxnCommitResponse { incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset },
    /// coordinator → sink: the outputs of a committed transaction become visible.
    TxnOutputs { partition: Partition, from: Offset, to: Offset },
}

impl Msg {
    /// The incarnation of the consumer a reply is addressed to, for replies only.
    pub fn reply_incarnation(&self) -> Option<Incarnation> {
        match self {
            Msg::OffsetFetchResponse { incarnation, .. }
            | Msg::FetchResponse { incarnation, .. }
            | Msg::ListOffsetsResponse { incarnation, .. }
            | Msg::OutputAck { incarnation, .. }
            | Msg::OffsetCommitResponse { incarnation, .. }
            | Msg::TxnCommitResponse { incarnation, .. }
            | Msg::JoinResponse { incarnation, .. }
            | Msg::SyncResponse { incarnation, .. }
            | Msg::RebalanceNotice { incarnation, .. }
            | Msg::Evicted { incarnation, .. }
            | Msg::CommitRejected { incarnation, .. } => Some(*incarnation),
            _ => None,
        }
    }

    /// The correlation id of the request a reply answers; none for
    /// requests and for the coordinator's notices.
    pub fn reply_corr(&self) -> Option<Corr> {
        match self {
            Msg::OffsetFetchResponse { corr, .. }
            | Msg::FetchResponse { corr, .. }
            | Msg::ListOffsetsResponse { corr, .. }
            | Msg::OutputAck { corr, .. }
            | Msg::OffsetCommitResponse { corr, .. }
            | Msg::TxnCommitResponse { corr, .. }
            | Msg::JoinResponse { corr, .. }
            | Msg::SyncResponse { corr, .. }
            | Msg::CommitRejected { corr, .. } => Some(*corr),
            _ => None,
        }
    }

    /// The records whose side effect this message will apply when it reaches the sink.
    pub fn outputs(&self) -> Option<(Partition, std::ops::Range<Offset>)> {
        match *self {
            Msg::Output { partition, offset, .. } => Some((partition, offset..offset + 1)),
            Msg::TxnOutputs { partition, from, to } => Some((partition, from..to)),
            _ => None,
        }
    }
}
