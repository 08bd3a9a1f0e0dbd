//! The one place an [`Event`] becomes the sentence people read (trace
//! steps, stories, diagram tooltips): written for someone who has not read
//! the source, naming Kafka's own settings and exceptions.
//!
//! One file per Kafka mechanism, as in `src/model/`: the dispatch below names
//! every event (no catch-all), so a new event cannot go without a sentence.

mod commit;
mod group;
mod lifecycle;
mod log;
mod offsets;
mod poll;
mod replication;

use crate::model::event::{Acknowledged, Actor, Candidate, Event, ExpiryReason, Revocation, StartAt};
use crate::model::group::SyncOutcome;
use crate::model::msg::{CommitError, Msg};
use crate::model::replication::{Election, Replica};
use crate::scenario::{Offset, OnCommitError, Partition};

/// The sentence of an event.
pub fn sentence(event: &Event) -> String {
    use Event::*;
    match event {
        Duplicate { .. }
        | Drop { .. }
        | DropStale { .. }
        | Crash { .. }
        | Recover { .. }
        | Failover { .. }
        | Timeout { .. } => lifecycle::sentence(event),
        FetchHeld { .. }
        | FetchWaitElapsed { .. }
        | FetchServed { .. }
        | ListOffsets { .. }
        | Produce { .. }
        | Process { .. } => log::sentence(event),
        Position { .. }
        | ResetToEnd { .. }
        | Receive { .. }
        | EmptyPoll { .. }
        | Processed { .. }
        | WorkerDone { .. } => poll::sentence(event),
        FetchOffset { .. } | RejectCommit { .. } | Commit { .. } | TxnCommit { .. } | Expire { .. } => {
            offsets::sentence(event)
        }
        Join { .. }
        | JoinCurrent { .. }
        | Sync { .. }
        | StoreGroup { .. }
        | ReplicateGroup { .. }
        | LoadGroup { .. }
        | Evict { .. }
        | Joined { .. }
        | SyncFailed { .. }
        | Assign { .. }
        | Rebalance { .. }
        | Evicted { .. }
        | Revoke { .. } => group::sentence(event),
        Replicate { .. } | LeaveIsr { .. } | Election { .. } | Elect { .. } => replication::sentence(event),
        CommitAck { .. }
        | CommitRejected { .. }
        | CommitErrorHandled { .. }
        | Retry { .. }
        | CommitFailed { .. }
        | CommitWithoutGeneration { .. }
        | AutoCommitDue { .. }
        | AutoCommitTimer { .. } => commit::sentence(event),
    }
}

/// The consumer an event is about, as sentences name it.
fn consumer(event: &Event) -> Actor {
    Actor::Consumer(event.actor().consumer().unwrap_or(0))
}

pub(super) fn acknowledged_text(acknowledged: &Acknowledged) -> String {
    match acknowledged {
        Acknowledged::Alone => String::new(),
        Acknowledged::ByLeader(leader) => {
            format!("; acks=leader: acknowledged with only the leader (replica {leader}) holding it")
        }
        Acknowledged::ByInSync(in_sync) => {
            format!("; acks=all: acknowledged once the in-sync {} hold it", replicas(in_sync))
        }
    }
}

pub(super) fn replicas(rs: &[Replica]) -> String {
    let names: Vec<String> = rs.iter().map(|r| format!("replica {r}")).collect();
    names.join(", ")
}

/// A message as a sentence names it.
pub fn message_name(msg: &Msg) -> &'static str {
    match msg {
        Msg::OffsetFetch { .. } => "an OffsetFetch request",
        Msg::OffsetFetchResponse { .. } => "an OffsetFetch response",
        Msg::Fetch { .. } => "a Fetch request",
        Msg::FetchResponse { .. } => "a Fetch response",
        Msg::ListOffsets { .. } => "a ListOffsets request",
        Msg::ListOffsetsResponse { .. } => "a ListOffsets response",
        Msg::Output { .. } => "an output",
        Msg::OutputAck { .. } => "an output acknowledgement",
        Msg::OffsetCommit { .. } => "an OffsetCommit request",
        Msg::OffsetCommitResponse { .. } => "an OffsetCommit response",
        Msg::TxnCommit { .. } => "a transaction commit",
        Msg::TxnCommitResponse { .. } => "a transaction commit response",
        Msg::TxnOutputs { .. } => "a committed transaction's outputs",
        Msg::JoinGroup { .. } => "a JoinGroup request",
        Msg::JoinResponse { .. } => "a JoinGroup response",
        Msg::SyncGroup { .. } => "a SyncGroup request",
        Msg::SyncResponse { .. } => "an assignment",
        Msg::RebalanceNotice { .. } => "a rebalance notice",
        Msg::Evicted { .. } => "an eviction notice",
        Msg::CommitRejected { .. } => "a commit rejection",
    }
}
