//! The one mapping from an [`Event`] to the JSON trace document's `event`
//! names. The names are a contract (users' scripts read them): a new
//! variant gets a name here, and an existing name never changes.

use super::TraceStep;
use crate::model::event::{Actor, Event, StartAt};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The kinds of events a trace document names, one per `event` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Duplicate,
    Drop,
    Crash,
    Recover,
    Failover,
    FetchOffset,
    RejectCommit,
    Commit,
    Join,
    Evict,
    Replicate,
    LeaveIsr,
    Election,
    Elect,
    Expire,
    Fetch,
    FetchWaitElapsed,
    ListOffsets,
    Produce,
    Process,
    DropStale,
    Position,
    Reset,
    ResetError,
    Receive,
    EmptyPoll,
    Processed,
    CommitAck,
    CommitRejected,
    Assign,
    Rebalance,
    Evicted,
    Revoke,
    Timeout,
    Retry,
    CommitFailed,
    CommitWithoutGeneration,
    AutoCommit,
    AutoCommitTimer,
    WorkerDone,
    JoinCurrent,
    StoreGroup,
    ReplicateGroup,
    LoadGroup,
    Sync,
    Joined,
    SyncFailed,
    CommitErrorHandled,
}

/// Each kind's `event` name.
const NAMES: [(EventKind, &str); 48] = {
    use EventKind::*;
    [
        (Duplicate, "duplicate"),
        (Drop, "drop"),
        (Crash, "crash"),
        (Recover, "recover"),
        (Failover, "failover"),
        (FetchOffset, "fetch-offset"),
        (RejectCommit, "reject-commit"),
        (Commit, "commit"),
        (Join, "join"),
        (Evict, "evict"),
        (Replicate, "replicate"),
        (LeaveIsr, "leave-isr"),
        (Election, "election"),
        (Elect, "elect"),
        (Expire, "expire"),
        (Fetch, "fetch"),
        (FetchWaitElapsed, "fetch-wait-elapsed"),
        (ListOffsets, "list-offsets"),
        (Produce, "produce"),
        (Process, "process"),
        (DropStale, "drop-stale"),
        (Position, "position"),
        (Reset, "reset"),
        (ResetError, "reset-error"),
        (Receive, "receive"),
        (EmptyPoll, "empty-poll"),
        (Processed, "processed"),
        (CommitAck, "commit-ack"),
        (CommitRejected, "commit-rejected"),
        (Assign, "assign"),
        (Rebalance, "rebalance"),
        (Evicted, "evicted"),
        (Revoke, "revoke"),
        (Timeout, "timeout"),
        (Retry, "retry"),
        (CommitFailed, "commit-failed"),
        (CommitWithoutGeneration, "commit-without-generation"),
        (AutoCommit, "auto-commit"),
        (AutoCommitTimer, "auto-commit-timer"),
        (WorkerDone, "worker-done"),
        (JoinCurrent, "join-current"),
        (StoreGroup, "store-group"),
        (ReplicateGroup, "replicate-group"),
        (LoadGroup, "load-group"),
        (Sync, "sync-group"),
        (Joined, "joined"),
        (SyncFailed, "sync-failed"),
        (CommitErrorHandled, "commit-error-handled"),
    ]
};

impl EventKind {
    /// The kind of an event.
    pub fn of(event: &Event) -> EventKind {
        use Event as E;
        use EventKind as K;
        match event {
            E::Duplicate { .. } => K::Duplicate,
            E::Drop { .. } => K::Drop,
            E::Crash { .. } => K::Crash,
            E::Recover { .. } => K::Recover,
            E::Failover { .. } => K::Failover,
            E::FetchOffset { .. } => K::FetchOffset,
            E::RejectCommit { .. } => K::RejectCommit,
            E::Commit { .. } | E::TxnCommit { .. } => K::Commit,
            E::Join { .. } => K::Join,
            E::JoinCurrent { .. } => K::JoinCurrent,
            E::Sync { .. } => K::Sync,
            E::Joined { .. } => K::Joined,
            E::SyncFailed { .. } => K::SyncFailed,
            E::CommitErrorHandled { .. } => K::CommitErrorHandled,
            E::StoreGroup { .. } => K::StoreGroup,
            E::ReplicateGroup { .. } => K::ReplicateGroup,
            E::LoadGroup { .. } => K::LoadGroup,
            E::Evict { .. } => K::Evict,
            E::Replicate { .. } => K::Replicate,
            E::LeaveIsr { .. } => K::LeaveIsr,
            E::Election { .. } => K::Election,
            E::Elect { .. } => K::Elect,
            E::Expire { .. } => K::Expire,
            E::FetchHeld { .. } | E::FetchServed { .. } => K::Fetch,
            E::FetchWaitElapsed { .. } => K::FetchWaitElapsed,
            E::ListOffsets { .. } => K::ListOffsets,
            E::Produce { .. } => K::Produce,
            E::Process { .. } => K::Process,
            E::DropStale { .. } => K::DropStale,
            E::Position { start: StartAt::Offset { .. }, .. } => K::Position,
            E::Position { start: StartAt::LogEnd, .. } | E::ResetToEnd { .. } => K::Reset,
            E::Position { start: StartAt::Fail, .. } => K::ResetError,
            E::Receive { .. } => K::Receive,
            E::EmptyPoll { .. } => K::EmptyPoll,
            E::Processed { .. } => K::Processed,
            E::CommitAck { .. } => K::CommitAck,
            E::CommitRejected { .. } => K::CommitRejected,
            E::Assign { .. } => K::Assign,
            E::Rebalance { .. } => K::Rebalance,
            E::Evicted { .. } => K::Evicted,
            E::Revoke { .. } => K::Revoke,
            E::Timeout { .. } => K::Timeout,
            E::Retry { .. } => K::Retry,
            E::CommitFailed { .. } => K::CommitFailed,
            E::CommitWithoutGeneration { .. } => K::CommitWithoutGeneration,
            E::AutoCommitDue { .. } => K::AutoCommit,
            E::AutoCommitTimer { .. } => K::AutoCommitTimer,
            E::WorkerDone { .. } => K::WorkerDone,
        }
    }

    /// Its `event` name in the trace document.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(k, _)| *k == self).map(|(_, n)| *n).expect("every kind has a name")
    }

    /// The kind a trace document's `event` name stands for.
    pub fn from_name(name: &str) -> Option<EventKind> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }
}

/// The event's name in the trace document.
pub fn name(event: &Event) -> &'static str {
    EventKind::of(event).name()
}

/// The actor a trace document's `actor` or `peer` value names (the inverse of [`Actor`]'s `Display`).
pub fn parse_actor(name: &str) -> Option<Actor> {
    match name {
        "broker" => Some(Actor::Broker),
        "coordinator" => Some(Actor::Coordinator),
        "sink" => Some(Actor::Sink),
        other => other.strip_prefix("consumer-")?.parse().ok().map(Actor::Consumer),
    }
}

/// A step of a trace document as read back: its kind, actor and peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepOf {
    pub kind: EventKind,
    pub actor: Actor,
    pub peer: Option<Actor>,
}

impl StepOf {
    pub fn of(step: &TraceStep) -> StepOf {
        StepOf { kind: EventKind::of(&step.event), actor: step.actor(), peer: step.peer() }
    }
}

/// The `steps` of a trace document (`kafkacheck check --report-dir`'s
/// `.json` files), read back; step i's error names it.
pub fn read_steps(steps: &[serde_json::Value]) -> Result<Vec<StepOf>, String> {
    let field = |i: usize, step: &serde_json::Value, key: &str| -> Result<Option<String>, String> {
        match step.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or(format!("step {}: `{key}` is not a string", i + 1)),
        }
    };
    let actor =
        |i: usize, name: String| parse_actor(&name).ok_or(format!("step {}: unknown actor `{name}`", i + 1));
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let name = field(i, step, "event")?.ok_or(format!("step {} has no event", i + 1))?;
            let kind =
                EventKind::from_name(&name).ok_or(format!("step {}: unknown event `{name}`", i + 1))?;
            let who = field(i, step, "actor")?.ok_or(format!("step {} has no actor", i + 1))?;
            let peer = field(i, step, "peer")?.map(|p| actor(i, p)).transpose()?;
            Ok(StepOf { kind, actor: actor(i, who)?, peer })
        })
        .collect()
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
