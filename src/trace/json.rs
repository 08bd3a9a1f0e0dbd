//! The one mapping from an [`Event`] to the JSON trace document's `event`
//! names. The names are a contract (users' scripts read them): a new
//! variant gets a name here, and an existing name never changes.

use super::TraceStep;
use crate::model::event::{Event, StartAt};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The event's name in the trace document.
pub fn name(event: &Event) -> &'static str {
    use Event::*;
    match event {
        Duplicate { .. } => "duplicate",
        Drop { .. } => "drop",
        Crash { .. } => "crash",
        Recover { .. } => "recover",
        Failover { .. } => "failover",
        FetchOffset { .. } => "fetch-offset",
        RejectCommit { .. } => "reject-commit",
        Commit { .. } | TxnCommit { .. } => "commit",
        Join { .. } => "join",
        Evict { .. } => "evict",
        Replicate { .. } => "replicate",
        LeaveIsr { .. } => "leave-isr",
        Election { .. } => "election",
        Elect { .. } => "elect",
        Expire { .. } => "expire",
        FetchHeld { .. } | FetchServed { .. } => "fetch",
        ListOffsets { .. } => "list-offsets",
        Produce { .. } => "produce",
        Process { .. } => "process",
        DropStale { .. } => "drop-stale",
        Position { start: StartAt::Offset { .. }, .. } => "position",
        Position { start: StartAt::LogEnd, .. } | ResetToEnd { .. } => "reset",
        Position { start: StartAt::Fail, .. } => "reset-error",
        Receive { .. } => "receive",
        Processed { .. } => "processed",
        CommitAck { .. } => "commit-ack",
        CommitRejected { .. } => "commit-rejected",
        Assign { .. } => "assign",
        Rebalance { .. } => "rebalance",
        Evicted { .. } => "evicted",
        Revoke { .. } => "revoke",
        Timeout { .. } => "timeout",
        Retry { .. } => "retry",
        CommitFailed { .. } => "commit-failed",
        AutoCommitDue { .. } => "auto-commit",
        WorkerDone { .. } => "worker-done",
    }
}

/// A trace step in the document: `step`, `actor`, `event`, then
/// `partition`, `offset` and `peer` where the event has them, and `text`.
impl Serialize for TraceStep {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let at = self.event.at();
        let (partition, offset) = (at.map(|(p, _)| p), at.and_then(|(_, o)| o));
        let peer = self.event.peer();
        let fields = 4
            + usize::from(partition.is_some())
            + usize::from(offset.is_some())
            + usize::from(peer.is_some());
        let mut out = s.serialize_struct("TraceStep", fields)?;
        out.serialize_field("step", &self.step)?;
        out.serialize_field("actor", &self.event.actor())?;
        out.serialize_field("event", name(&self.event))?;
        if let Some(p) = partition {
            out.serialize_field("partition", &p)?;
        }
        if let Some(o) = offset {
            out.serialize_field("offset", &o)?;
        }
        if let Some(peer) = peer {
            out.serialize_field("peer", &peer)?;
        }
        out.serialize_field("text", &self.text)?;
        out.end()
    }
}
