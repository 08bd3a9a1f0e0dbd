//! How states and steps read in Stateright's Explorer (and in any `{:?}`).
//!
//! The Explorer shows a state as its `{:#?}` and a step as
//! [`Model::format_action`](stateright::Model::format_action). Derived
//! `Debug` output of the actors' states is a dump of nested structs; here each
//! actor state is a short block in Kafka's words instead:
//!
//! ```text
//! coordinator
//!     committed: partition 0 @1
//!     __consumer_offsets: p0 @1
//!     group: no members, generation 0
//! ```
//!
//! `{:#?}` gives one line per fact under a title line, `{:?}` the same facts
//! on one line (`title { fact; fact }`). Both are deterministic: they follow
//! the states' own (ordered) vectors. The inner states are read through
//! their public fields, never destructured whole, so a field added to them
//! does not break this module (it is just not shown until added here).

use super::broker::BrokerState;
use super::choice::Choice;
use super::consumer::{ConsumerState, Owned, Phase, Rejoin, Step as ConsumerStep};
use super::coordinator::{CoordinatorState, OffsetRecord, TOMBSTONE};
use super::event::Actor;
use super::group::{Group, GroupTimer, Member};
use super::msg::{Committer, Msg};
use super::sink::SinkState;
use super::{KafkaAction, NodeState, actor_name};
use crate::scenario::{Offset, Partition};
use stateright::actor::ActorModelAction;
use std::fmt;

/// A title and the facts under it; a fact may be nested under the one before.
struct Block {
    title: String,
    lines: Vec<(usize, String)>,
}

impl Block {
    fn new(title: impl Into<String>) -> Self {
        Block { title: title.into(), lines: Vec::new() }
    }

    fn line(&mut self, line: impl Into<String>) {
        self.lines.push((0, line.into()));
    }

    fn nested(&mut self, line: impl Into<String>) {
        self.lines.push((1, line.into()));
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)?;
        if self.lines.is_empty() {
            return Ok(());
        }
        if f.alternate() {
            // The caller's pretty printer indents every line we write.
            f.write_str(" {")?;
            for (depth, line) in &self.lines {
                write!(f, "\n    {:width$}{line}", "", width = 2 * depth)?;
            }
            f.write_str("\n}")
        } else {
            let lines: Vec<&str> = self.lines.iter().map(|(_, line)| line.as_str()).collect();
            write!(f, " {{ {} }}", lines.join("; "))
        }
    }
}

impl fmt::Debug for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let block = match self {
            NodeState::Broker(b) => broker(b),
            NodeState::Coordinator(c) => coordinator(c),
            NodeState::Sink(s) => sink(s),
            NodeState::Consumer(c) => consumer(c),
        };
        block.write(f)
    }
}

fn broker(b: &BrokerState) -> Block {
    // Without a producer the logs never change: their end is the scenario's
    // `messages`, configuration rather than state; the sink's block shows
    // each partition's offsets.
    if b.parked.is_empty() && b.ends.iter().all(|&e| Some(&e) == b.ends.first()) {
        let mut block = Block::new("broker: serves the partition logs");
        if let Some(end) = b.ends.first() {
            block.line(format!("every partition's log ends at @{end}"));
        }
        return block;
    }
    let mut block = Block::new("broker: serves the partition logs a producer appends to");
    let ends: Vec<String> = b.ends.iter().enumerate().map(|(p, e)| format!("p{p} @{e}")).collect();
    block.line(format!("log ends: {}", ends.join(", ")));
    for f in &b.parked {
        block.line(format!(
            "holds consumer-{}'s Fetch p{} from @{} until a record arrives (incarnation {})",
            f.consumer, f.partition, f.offset, f.incarnation
        ));
    }
    block
}

fn coordinator(c: &CoordinatorState) -> Block {
    let mut block = Block::new(Actor::Coordinator.to_string());
    let records = &c.topic.log.records;
    let mut partitions: Vec<Partition> = records.iter().map(|r| r.partition).collect();
    partitions.sort_unstable();
    partitions.dedup();
    let committed: Vec<String> = partitions
        .iter()
        .map(|&p| match c.topic.log.committed(p) {
            Some(o) => format!("partition {p} @{o}"),
            None => format!("partition {p} none"),
        })
        .collect();
    block.line(if committed.is_empty() {
        "committed: nothing yet".to_string()
    } else {
        format!("committed: {}", committed.join(", "))
    });
    let log: Vec<String> = records.iter().map(record).collect();
    block.line(if log.is_empty() {
        "__consumer_offsets: empty".to_string()
    } else {
        format!("__consumer_offsets: {}", log.join(", "))
    });
    replication(c, &mut block);
    group(&c.group, &mut block);
    block
}

/// `p0 @1`, and the leader epoch it was appended in once there was a failover: `p0 @1 (epoch 1)`.
fn record(r: &OffsetRecord) -> String {
    if r.offset == TOMBSTONE {
        return format!("p{} expired", r.partition);
    }
    if r.epoch == 0 {
        format!("p{} @{}", r.partition, r.offset)
    } else {
        format!("p{} @{} (epoch {})", r.partition, r.offset, r.epoch)
    }
}

/// The replicas of the offsets partition, the acknowledged commits and an
/// election under way; nothing for a single replica that never failed over.
fn replication(c: &CoordinatorState, block: &mut Block) {
    let (topic, r) = (&c.topic, &c.topic.replication);
    if r.replicas() < 2 && r.epoch == 0 {
        return;
    }
    block.line(format!("leader: replica {} in leader epoch {}", r.leader, r.epoch));
    for i in 0..r.replicas() {
        let held = r.leo[i as usize];
        let role = if i == r.leader {
            "leader".to_string()
        } else {
            let lag = topic.log.records.len().saturating_sub(held);
            let lag = if lag == 0 { "caught up".to_string() } else { format!("lags {lag}") };
            format!("{}, {lag}", if r.in_sync(i) { "in sync" } else { "out of sync" })
        };
        let n = if held == 1 { "1 record".to_string() } else { format!("{held} records") };
        block.nested(format!("replica {i}: {n} ({role})"));
    }
    if let Some(candidates) = &c.electing {
        let names: Vec<String> = candidates.iter().map(|r| format!("replica {r}")).collect();
        block.line(format!("electing the new leader among {}: requests wait", names.join(", ")));
    }
}

fn group(g: &Group, block: &mut Block) {
    let mut head = if g.members.is_empty() {
        format!("group: no members, generation {}", g.generation)
    } else {
        let state = match (g.rebalancing, g.completing) {
            (true, _) => "rebalancing",
            (false, true) => "completing the rebalance (waiting for the leader's SyncGroup)",
            (false, false) => "stable",
        };
        format!("group: generation {}, {state}", g.generation)
    };
    if g.pauses_spent > 0 {
        head.push_str(&format!(", {} pause(s) spent", g.pauses_spent));
    }
    block.line(head);
    for m in &g.members {
        block.nested(member(m, g.rebalancing));
    }
}

fn member(m: &Member, rebalancing: bool) -> String {
    let mut text = format!(
        "member {}: consumer-{} (incarnation {}), joined owning {}",
        m.id,
        m.consumer,
        m.incarnation,
        partition_list(&m.owned)
    );
    if rebalancing {
        text.push_str(if m.rejoined { ", rejoined" } else { ", not rejoined yet" });
    }
    if m.syncing {
        text.push_str(", its SyncGroup waiting");
    }
    text
}

fn sink(s: &SinkState) -> Block {
    let mut block = Block::new("sink: times each record was applied");
    for (p, counts) in s.applied.iter().enumerate() {
        block.line(format!("partition {p}: {}", applied(counts)));
    }
    block
}

/// `offset 0 ×2 (duplicate), offsets 1..3 ×0`: runs of equal counts, half-open.
fn applied(counts: &[u8]) -> String {
    if counts.is_empty() {
        return "no records".into();
    }
    let mut runs = Vec::new();
    let mut start = 0;
    for end in 1..=counts.len() {
        if end < counts.len() && counts[end] == counts[start] {
            continue;
        }
        let n = counts[start];
        let offsets =
            if end - start == 1 { format!("offset {start}") } else { format!("offsets {start}..{end}") };
        let mark = if n > 1 { " (duplicate)" } else { "" };
        runs.push(format!("{offsets} ×{n}{mark}"));
        start = end;
    }
    runs.join(", ")
}

fn consumer(c: &ConsumerState) -> Block {
    let mut title = format!("consumer, incarnation {}", c.incarnation);
    if c.incarnation > 0 {
        title.push_str(&format!(" (restarted {} time(s))", c.incarnation));
    }
    match c.member {
        Some(m) => title.push_str(&format!(", member {m} of generation {}", c.generation)),
        None if c.generation > 0 => title.push_str(&format!(", generation {}", c.generation)),
        None => {}
    }
    let mut block = Block::new(title);
    if c.owned.is_empty() {
        block.line("owns no partition");
    }
    for o in &c.owned {
        block.line(owned(o));
    }
    block.line(phase(c));
    match c.rejoin {
        Rejoin::No => {}
        Rejoin::Rebalance => block.line("rejoins at its next poll: a rebalance is under way"),
        Rejoin::Lost => block.line("rejoins at its next poll: evicted or fenced, its partitions are lost"),
    }
    if c.batches_since_commit > 0 {
        block.line(format!("batches processed since its last commit: {}", c.batches_since_commit));
    }
    for (i, p) in c.pending_commits.iter().enumerate() {
        let latest =
            if p.seq == c.commit_seq { "the latest commit" } else { "a newer commit was issued since" };
        block.line(format!(
            "pending commit #{i}: offset {} of partition {} (sequence {}, {latest}), {} retries left",
            p.offset, p.partition, p.seq, p.retries_left
        ));
    }
    if c.auto_commit_due {
        block.line("auto.commit.interval.ms elapsed: its next poll commits its positions");
    }
    for t in &c.pool {
        let doing = if t.applying { "applying" } else { "processing" };
        block.line(format!("worker thread: {doing} offset {} of partition {}", t.offset, t.partition));
    }
    for w in &c.worker {
        block.line(format!(
            "queued for the worker threads: offsets {}..{} of partition {}",
            w.next, w.to, w.partition
        ));
    }
    block
}

fn owned(o: &Owned) -> String {
    let position = match o.position {
        Some(p) => format!("position {p}"),
        None => "position unknown (committed offset not fetched yet)".into(),
    };
    let revoking = if o.revoking { ", to be revoked at the next poll" } else { "" };
    format!("partition {}: {position}, committed {}{revoking}", o.partition, o.committed)
}

/// What the consumer is doing, in words.
fn phase(c: &ConsumerState) -> String {
    let partition = |slot: u8| match c.owned.get(slot as usize) {
        Some(o) => format!("partition {}", o.partition),
        None => format!("partition slot {slot}"),
    };
    match c.phase {
        Phase::Idle => "idle: owns no partition, waits for nothing".into(),
        Phase::Joining => "joining the group: JoinGroup sent, waiting for its generation".into(),
        Phase::Syncing => "joining the group: SyncGroup sent, waiting for its assignment".into(),
        Phase::AwaitingOffsets => {
            "fetching its committed offsets: OffsetFetch sent to the coordinator".into()
        }
        Phase::Fetching { slot, .. } => {
            let from = c.owned.get(slot as usize).and_then(|o| o.position);
            let from = from.map_or(String::new(), |o| format!(" from offset {o}"));
            format!("polling {}{from}: Fetch sent to the broker", partition(slot))
        }
        Phase::Processing { slot, from, next, to, .. } => format!(
            "processing offset {next} of {} (batch {from}..{to}): Output sent to the sink",
            partition(slot)
        ),
        Phase::Committing { slot, from, to, .. } => format!(
            "committing offset {to} of {} (batch {from}..{to}): commit or transaction sent to the coordinator",
            partition(slot)
        ),
        Phase::Working { slot, from, to, next, running, done, committing, .. } => {
            let set = |bits: u16| -> Vec<String> {
                (from..to)
                    .filter(|&o| o - from < 16 && bits & (1 << (o - from)) != 0)
                    .map(|o| o.to_string())
                    .collect()
            };
            let list =
                |offsets: Vec<String>| if offsets.is_empty() { "none".into() } else { offsets.join(", ") };
            let mut text = format!(
                "processing batch {from}..{to} of {} with workers: running offsets {}, output sent {}, done {}",
                partition(slot),
                list(set(running)),
                list(set(!running & !done & ((1u32 << next.saturating_sub(from).min(16)) - 1) as u16)),
                list(set(done)),
            );
            if next < to {
                text.push_str(&format!(", offsets {next}..{to} not dispatched yet"));
            }
            if let Some(offset) = committing {
                text.push_str(&format!("; OffsetCommit @{offset} sent"));
            }
            text
        }
        Phase::Flushing { slot, to, .. } => {
            format!("committing offset {to} of {} outside a batch: OffsetCommit sent", partition(slot))
        }
        Phase::Done => "done: every owned partition is read to its end and committed".into(),
    }
}

fn partition_list(partitions: &[Partition]) -> String {
    if partitions.is_empty() {
        return "no partition".into();
    }
    let names: Vec<String> = partitions.iter().map(|p| format!("p{p}")).collect();
    names.join(", ")
}

fn range(partition: Partition, from: Offset, to: Offset) -> String {
    match to.saturating_sub(from) {
        0 => format!("p{partition} no records at @{from}"),
        1 => format!("p{partition} @{from}"),
        _ => format!("p{partition} @{from}..{to}"),
    }
}

fn by(committer: &Committer) -> String {
    match committer.member {
        Some(m) => format!(" by member {m} gen {}", committer.generation),
        None => String::new(),
    }
}

/// A message in a line: `OffsetCommit p0 @1`. Replies name the consumer
/// incarnation they are addressed to, which decides whether they are dropped.
pub fn message(msg: &Msg) -> String {
    let to = |incarnation: &u8| format!(" (to incarnation {incarnation})");
    match msg {
        Msg::OffsetFetch { partitions, .. } => format!("OffsetFetch {}", partition_list(partitions)),
        Msg::OffsetFetchResponse { incarnation, offsets, .. } => {
            let offsets: Vec<String> = offsets
                .iter()
                .map(|(p, o)| match o {
                    Some(o) => format!("p{p} @{o}"),
                    None => format!("p{p} none"),
                })
                .collect();
            format!("OffsetFetchResponse {}{}", offsets.join(", "), to(incarnation))
        }
        Msg::Fetch { partition, offset, max_records, .. } => {
            format!("Fetch p{partition} from @{offset}, max {max_records}")
        }
        Msg::FetchResponse { incarnation, partition, offset, count, .. } => {
            format!("FetchResponse {}{}", range(*partition, *offset, offset + count), to(incarnation))
        }
        Msg::ListOffsets { partitions, .. } => format!("ListOffsets (latest) {}", partition_list(partitions)),
        Msg::ListOffsetsResponse { incarnation, offsets, .. } => {
            let ends: Vec<String> = offsets.iter().map(|(p, o)| format!("p{p} ends @{o}")).collect();
            format!("ListOffsetsResponse {}{}", ends.join(", "), to(incarnation))
        }
        Msg::Output { partition, offset, .. } => format!("Output p{partition} @{offset}"),
        Msg::OutputAck { incarnation, partition, offset, .. } => {
            format!("OutputAck p{partition} @{offset}{}", to(incarnation))
        }
        Msg::JoinGroup { member, owned, .. } => match member {
            Some(m) => format!("JoinGroup as member {m}, owns {}", partition_list(owned)),
            None => format!("JoinGroup as a new member, owns {}", partition_list(owned)),
        },
        Msg::JoinResponse { incarnation, member, generation, .. } => {
            format!("JoinResponse member {member} gen {generation}{}", to(incarnation))
        }
        Msg::SyncGroup { member, generation, .. } => format!("SyncGroup as member {member} gen {generation}"),
        Msg::SyncResponse { incarnation, assignment, .. } => match assignment {
            Some(a) => format!("SyncResponse assigned {}{}", partition_list(a), to(incarnation)),
            None => format!("SyncResponse error: rejoin{}", to(incarnation)),
        },
        Msg::RebalanceNotice { incarnation, .. } => format!("RebalanceNotice{}", to(incarnation)),
        Msg::Evicted { incarnation, .. } => format!("Evicted{}", to(incarnation)),
        Msg::CommitRejected { incarnation, partition, offset, error, .. } => {
            let why = match error {
                crate::model::msg::CommitError::Fenced => "",
                crate::model::msg::CommitError::RebalanceInProgress => " REBALANCE_IN_PROGRESS",
            };
            format!("CommitRejected p{partition} @{offset}{why}{}", to(incarnation))
        }
        Msg::OffsetCommit { partition, offset, by: b, .. } => {
            format!("OffsetCommit p{partition} @{offset}{}", by(b))
        }
        Msg::OffsetCommitResponse { incarnation, partition, offset, .. } => {
            format!("OffsetCommitResponse p{partition} @{offset}{}", to(incarnation))
        }
        Msg::TxnCommit { partition, from, to: end, by: b, .. } => {
            format!("TxnCommit outputs {} + commit @{end}{}", range(*partition, *from, *end), by(b))
        }
        Msg::TxnCommitResponse { incarnation, partition, offset, .. } => {
            format!("TxnCommitResponse p{partition} @{offset}{}", to(incarnation))
        }
        Msg::TxnOutputs { partition, from, to: end, .. } => {
            format!("TxnOutputs {}", range(*partition, *from, *end))
        }
    }
}

/// A step in a line, as the Explorer lists it:
/// `consumer-0 → OffsetCommit p0 @1 → coordinator`, `crash consumer-0`,
/// `timeout: coordinator evicts member 1 (pause)`.
pub fn action(action: &KafkaAction) -> String {
    let name = |id: &stateright::actor::Id| actor_name(usize::from(*id));
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            format!("{} → {} → {}", name(src), message(msg), name(dst))
        }
        ActorModelAction::Drop(env) => {
            format!("drop {} → {} → {}", name(&env.src), message(&env.msg), name(&env.dst))
        }
        ActorModelAction::Timeout(id, timer) => {
            let (member, why) = match timer {
                GroupTimer::SessionTimeout(m) => (m, "session timed out"),
                GroupTimer::Pause(m) => (m, "pause"),
            };
            format!("timeout: {} evicts member {member} ({why})", name(id))
        }
        ActorModelAction::Crash(id) => format!("crash {}", name(id)),
        ActorModelAction::Recover(id) => format!("recover {}", name(id)),
        // The coordinator's random choices: replication steps, elections and expiries.
        ActorModelAction::SelectRandom { random: Choice::Replicate(r), .. } => {
            format!("coordinator: replica {r} fetches up to the leader's log end")
        }
        ActorModelAction::SelectRandom { random: Choice::LeaveIsr(r), .. } => {
            format!("coordinator: replica {r} falls out of the ISR")
        }
        ActorModelAction::SelectRandom { random: Choice::Elect(r), .. } => {
            format!("coordinator: the controller elects replica {r} leader")
        }
        ActorModelAction::SelectRandom { random: Choice::Expire(p), .. } => {
            format!("coordinator: the committed offset of p{p} expires (tombstone)")
        }
        ActorModelAction::SelectRandom { random: Choice::Produce(p), .. } => {
            format!("producer appends a record to p{p}")
        }
        ActorModelAction::SelectRandom { random: Choice::FetchWaitElapsed { consumer, .. }, .. } => {
            format!("broker: fetch.max.wait.ms elapses on consumer-{consumer}'s held Fetch, answered empty")
        }
        // A consumer's own step: which of its workers finishes next, a timeout, the auto-commit interval.
        ActorModelAction::SelectRandom { actor, random: Choice::Consumer(step), .. } => match *step {
            ConsumerStep::WorkerDone(offset) => {
                format!("{}: worker finishes offset {offset}, sends its Output", name(actor))
            }
            ConsumerStep::PoolDone(partition, offset) => {
                format!("{}: worker thread finishes p{partition} @{offset}, sends its Output", name(actor))
            }
            ConsumerStep::Timeout => {
                format!(
                    "{}: request timed out (no request or reply left on the network), sends it again",
                    name(actor)
                )
            }
            ConsumerStep::CommitTimeout(i) => {
                format!(
                    "{}: pending commit #{i} failed (request or response lost), its callback runs",
                    name(actor)
                )
            }
            ConsumerStep::AutoCommitDue => {
                format!("{}: auto.commit.interval.ms elapsed, the next poll commits", name(actor))
            }
            ConsumerStep::AutoCommitTimer => {
                format!("{}: the auto-commit timer fired, the stored offsets are committed", name(actor))
            }
        },
    }
}

mod complete;
mod step;
mod svg;
pub use complete::complete_state;
pub use step::{sent, step};
pub use svg::svg;

#[cfg(test)]
mod tests;
