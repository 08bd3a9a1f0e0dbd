//! Counterexample traces: a checker path turned into the trace events of
//! DESIGN.md §4, each with a sentence a person can read without the source.
//!
//! One model step may produce several events (a batch of records received at
//! once); they share the step number.

use crate::model::choice::Choice;
use crate::model::consumer::{Phase, Step as ConsumerStep};
use crate::model::coordinator::{Coordinator, OffsetsTopic};
use crate::model::group::GroupTimer;
use crate::model::msg::Msg;
use crate::model::replication::{Election, Replica};
use crate::model::{
    BROKER, COORDINATOR, FIRST_CONSUMER, KafkaAction, KafkaModel, KafkaState, Node, NodeState, View,
    actor_name,
};
use crate::scenario::{Assignment, Offset, Partition, Reset, Retention};
use serde::Serialize;
use stateright::Path;
use stateright::actor::ActorModelAction;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    pub step: usize,
    pub actor: String,
    pub event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<Offset>,
    /// The actor on the other end of the message, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub steps: Vec<TraceStep>,
    /// Why the property fails in the trace's last state.
    pub violation: String,
}

/// The trace of a path, ending with `violation`, the property's explanation of its last state.
pub fn trace(model: &KafkaModel, path: &Path<KafkaState, KafkaAction>, violation: String) -> Trace {
    let mut steps = Vec::new();
    let pairs = path.clone().into_vec();
    for (i, pair) in pairs.windows(2).enumerate() {
        let ((before, action), (after, _)) = (&pair[0], &pair[1]);
        if let Some(action) = action {
            let start = steps.len();
            events(model, before, action, i + 1, &mut steps);
            revocations(model, before, after, i + 1, &mut steps);
            debug_assert!(steps.len() > start, "every step has an event");
        }
    }
    Trace { steps, violation }
}

/// Partitions a consumer gave up in a step (at a poll, after the message
/// that step delivered), as `revoke` events.
fn revocations(
    model: &KafkaModel,
    before: &KafkaState,
    after: &KafkaState,
    step: usize,
    out: &mut Vec<TraceStep>,
) {
    for c in 0..model.scenario.consumers as usize {
        let ((was, _), (now, alive)) = (before.consumer(c), after.consumer(c));
        if !alive || was.incarnation != now.incarnation {
            continue;
        }
        // A partition with no committed offset and `reset: none` is dropped
        // with a `reset-error`, not revoked.
        let reset_error = model.scenario.offsets.reset == Reset::None && was.phase == Phase::AwaitingOffsets;
        for o in &was.owned {
            if reset_error && o.position.is_none() {
                continue;
            }
            if !now.owned.iter().any(|n| n.partition == o.partition) {
                let actor = FIRST_CONSUMER + c;
                let name = actor_name(actor);
                let how = if now.member.is_some() && now.generation == 0 {
                    "lost"
                } else if o.committed < o.position.unwrap_or(0) {
                    "revoked without committing what it processed of"
                } else {
                    "revoked"
                };
                out.push(TraceStep {
                    step,
                    actor: name.clone(),
                    event: "revoke",
                    partition: Some(o.partition),
                    offset: o.position,
                    peer: None,
                    text: format!(
                        "{name} {how} partition {} (its position was {})",
                        o.partition,
                        position(o.position)
                    ),
                });
            }
        }
    }
}

fn position(p: Option<Offset>) -> String {
    p.map_or("not yet known".into(), |p| p.to_string())
}

struct Event {
    actor: usize,
    event: &'static str,
    partition: Option<Partition>,
    offset: Option<Offset>,
    peer: Option<usize>,
    text: String,
}

fn event(actor: usize, event: &'static str, text: String) -> Event {
    Event { actor, event, partition: None, offset: None, peer: None, text }
}

impl Event {
    fn at(mut self, partition: Partition, offset: Option<Offset>) -> Self {
        self.partition = Some(partition);
        self.offset = offset;
        self
    }

    fn with(mut self, peer: usize) -> Self {
        self.peer = Some(peer);
        self
    }
}

fn events(
    model: &KafkaModel,
    before: &KafkaState,
    action: &KafkaAction,
    step: usize,
    out: &mut Vec<TraceStep>,
) {
    let mut list = Vec::new();
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            if crate::model::redelivery(before, stateright::actor::Envelope { src: *src, dst: *dst, msg }) {
                let (s, d) = (usize::from(*src), usize::from(*dst));
                list.push(event(
                    d,
                    "duplicate",
                    format!(
                        "the network delivered {} from {} to {} a second time",
                        message_name(msg),
                        actor_name(s),
                        actor_name(d)
                    ),
                ));
            }
            delivered(model, before, usize::from(*src), usize::from(*dst), msg, &mut list)
        }
        ActorModelAction::Crash(id) if usize::from(*id) == COORDINATOR => list.push(failover(before)),
        ActorModelAction::Recover(id) if usize::from(*id) == COORDINATOR => {
            list.push(election(model, before))
        }
        &ActorModelAction::SelectRandom { random: Choice::Expire(p), .. } => {
            list.push(expiry(model, before, p))
        }
        &ActorModelAction::SelectRandom {
            random: step @ (Choice::Replicate(_) | Choice::LeaveIsr(_) | Choice::Elect(_)),
            ..
        } => list.push(coordinator_step(model, before, step)),
        &ActorModelAction::SelectRandom { random: Choice::Produce(partition), .. } => {
            list.push(produced(before, partition))
        }
        ActorModelAction::Crash(id) => {
            let c = usize::from(*id);
            list.push(event(
                c,
                "crash",
                format!("{} crashed, losing everything it held in memory", actor_name(c)),
            ));
        }
        ActorModelAction::Recover(id) => {
            let c = usize::from(*id);
            list.push(event(
                c,
                "recover",
                match model.scenario.group.assignment {
                    Assignment::Manual => {
                        format!(
                            "{} restarted and asked the coordinator for its committed offsets",
                            actor_name(c)
                        )
                    }
                    Assignment::Group => {
                        format!("{} restarted and joins the group as a new member", actor_name(c))
                    }
                },
            ));
        }
        ActorModelAction::Drop(env) => {
            let (src, dst) = (usize::from(env.src), usize::from(env.dst));
            list.push(
                event(
                    dst,
                    "drop",
                    format!("the network lost {} from {}", message_name(&env.msg), actor_name(src)),
                )
                .with(src),
            );
        }
        ActorModelAction::Timeout(id, timer) => {
            let group = before.group();
            let (member, paused) = match *timer {
                GroupTimer::SessionTimeout(m) => (m, false),
                GroupTimer::Pause(m) => (m, true),
            };
            let consumer = group.member(member).map_or(0, |m| m.consumer as usize) + FIRST_CONSUMER;
            let why = if paused {
                "it is alive but paused past max.poll.interval.ms: a zombie until it learns"
            } else {
                "its session timed out after its process died"
            };
            list.push(
                event(
                    usize::from(*id),
                    "evict",
                    format!("coordinator evicted member {member} ({}): {why}", actor_name(consumer)),
                )
                .with(consumer),
            );
        }
        &ActorModelAction::SelectRandom {
            actor,
            random: Choice::Consumer(ConsumerStep::WorkerDone(offset)),
            ..
        } => {
            let c = usize::from(actor);
            let (consumer, _) = before.consumer(c - FIRST_CONSUMER);
            let partition = match consumer.phase {
                Phase::Working { slot, .. } => consumer.owned[slot as usize].partition,
                _ => 0,
            };
            list.push(
                event(
                    c,
                    "worker-done",
                    format!(
                        "a worker of {} finished offset {offset} of partition {partition} and sent its side effect to the sink",
                        actor_name(c)
                    ),
                )
                .at(partition, Some(offset)),
            );
        }
        &ActorModelAction::SelectRandom { actor, random: Choice::Consumer(step), .. } => {
            list.push(consumer_step(model, before, usize::from(actor), step))
        }
    }
    out.extend(list.into_iter().map(|e| TraceStep {
        step,
        actor: actor_name(e.actor),
        event: e.event,
        partition: e.partition,
        offset: e.offset,
        peer: e.peer.map(actor_name),
        text: e.text,
    }));
}

/// A consumer's own step: a timeout, an async commit's callback, the auto-commit interval.
fn consumer_step(model: &KafkaModel, before: &KafkaState, c: usize, step: ConsumerStep) -> Event {
    let name = actor_name(c);
    let (state, _) = before.consumer(c - FIRST_CONSUMER);
    match step {
        ConsumerStep::Timeout => {
            let request =
                crate::model::consumers(model).nth(c - FIRST_CONSUMER).and_then(|k| k.request(state));
            let (what, at) = match &request {
                Some((_, msg)) => (message_name(msg), request_at(msg)),
                None => ("its request", None),
            };
            let mut e = event(
                c,
                "timeout",
                format!(
                    "{name} timed out waiting for the reply to {what} (request.timeout.ms): neither the request nor its reply is on the network any more, so it sends the request again"
                ),
            );
            if let Some((p, o)) = at {
                e = e.at(p, o);
            }
            e
        }
        ConsumerStep::CommitTimeout(i) => {
            let Some(p) = state.pending_commits.get(i as usize) else {
                return event(c, "commit-failed", format!("{name}'s pending commit failed"));
            };
            let newer = p.seq != state.commit_seq;
            let guarded = model.scenario.commit.guard == crate::scenario::CommitGuard::Sequence && newer;
            let failed = format!(
                "{name}'s commitAsync of offset {} for partition {} failed (its request or its response was lost: no reply within request.timeout.ms)",
                p.offset, p.partition
            );
            if p.retries_left > 0 && !guarded {
                let since = if newer {
                    format!(
                        "although a newer commit (sequence {}) was issued since its own (sequence {}): this older offset will land after it",
                        state.commit_seq, p.seq
                    )
                } else {
                    format!("no newer commit was issued since (sequence {})", p.seq)
                };
                event(
                    c,
                    "retry",
                    format!(
                        "{failed}; its callback commits it again ({} retries left before this one), {since}",
                        p.retries_left
                    ),
                )
                .at(p.partition, Some(p.offset))
            } else {
                let why = if guarded {
                    format!(
                        "the sequence guard: a newer commit (sequence {}) was issued since this one (sequence {})",
                        state.commit_seq, p.seq
                    )
                } else {
                    "no retries left".into()
                };
                event(c, "commit-failed", format!("{failed}; its callback does not retry it: {why}"))
                    .at(p.partition, Some(p.offset))
            }
        }
        ConsumerStep::AutoCommitDue => event(
            c,
            "auto-commit",
            format!(
                "auto.commit.interval.ms elapsed for {name}: its next poll (now, if it is waiting at the log end) commits the position of every partition, the end of what earlier polls returned"
            ),
        ),
        ConsumerStep::WorkerDone(_) => event(c, "worker-done", format!("a worker of {name} finished")),
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

fn coordinator_config(model: &KafkaModel) -> &Coordinator {
    match &model.system.actors[COORDINATOR] {
        Node::Coordinator(c) => c,
        other => unreachable!("actor {COORDINATOR} is the coordinator, found {other:?}"),
    }
}

fn records(n: usize) -> String {
    if n == 1 { "1 record".into() } else { format!("{n} records") }
}

fn replicas(rs: &[Replica]) -> String {
    let names: Vec<String> = rs.iter().map(|r| format!("replica {r}")).collect();
    names.join(", ")
}

fn in_sync(topic: &OffsetsTopic) -> Vec<Replica> {
    let r = &topic.replication;
    (0..r.replicas()).filter(|&i| r.in_sync(i)).collect()
}

/// The coordinator crashed: the broker leading the offsets partition failed.
fn failover(before: &KafkaState) -> Event {
    let r = &before.offsets_topic().replication;
    event(
        COORDINATOR,
        "failover",
        format!(
            "the broker leading __consumer_offsets (replica {}, leader epoch {}) failed: the coordinator is gone \
             until a new leader is elected; requests to it wait, replies it already sent are still delivered",
            r.leader, r.epoch
        ),
    )
}

/// The coordinator restarts after a failover: the election begins, or is
/// decided at once when there is one candidate.
fn election(model: &KafkaModel, before: &KafkaState) -> Event {
    let coordinator = coordinator_config(model);
    let topic = before.offsets_topic();
    let (candidates, how) = coordinator.election(topic);
    if let [only] = candidates[..] {
        return elected(topic, topic.replication.epoch + 1, only, how);
    }
    let end = topic.log.records.len();
    let described: Vec<String> = candidates
        .iter()
        .map(|&c| {
            let held = topic.replication.leo[c as usize];
            let sync = if topic.replication.in_sync(c) { "in sync" } else { "out of sync" };
            format!("replica {c} ({} of the failed leader's {end}, {sync})", records(held))
        })
        .collect();
    let kind = if how == Election::Unclean {
        "no replica but the failed leader was in sync: unclean.leader.election.enable lets it elect one that is not"
    } else {
        "a clean election among the in-sync replicas"
    };
    event(
        COORDINATOR,
        "election",
        format!(
            "the controller elects a new leader for __consumer_offsets in epoch {} ({kind}): {}",
            topic.replication.epoch + 1,
            described.join(", ")
        ),
    )
}

/// Replica `r` became the leader in `epoch`; `topic` is the offsets topic before.
fn elected(topic: &OffsetsTopic, epoch: u8, r: Replica, how: Election) -> Event {
    let kept = topic.replication.leo[r as usize];
    let lost: Vec<String> = topic.log.records[kept.min(topic.log.records.len())..]
        .iter()
        .map(|x| format!("p{} @{}", x.partition, x.offset))
        .collect();
    let how = match how {
        Election::Clean => "a clean election: it was in sync",
        Election::LeaderReturns => {
            "the failed leader, back: no other replica was in sync, so the partition waited for it"
        }
        Election::Unclean => "an unclean election: it was out of sync",
    };
    let loaded = if lost.is_empty() {
        format!("its log has all {} of the failed leader's", records(kept))
    } else {
        format!(
            "its log has {} of the failed leader's {}: the other replicas are truncated to it and {} is gone",
            records(kept),
            topic.log.records.len(),
            lost.join(", ")
        )
    };
    event(
        COORDINATOR,
        "elect",
        format!(
            "replica {r} became the leader of __consumer_offsets in epoch {epoch} ({how}); the new coordinator loads its log: {loaded}"
        ),
    )
}

fn coordinator_step(model: &KafkaModel, before: &KafkaState, step: Choice) -> Event {
    let topic = before.offsets_topic();
    let r = &topic.replication;
    match step {
        Choice::Replicate(f) => {
            let (from, to) = (r.leo[f as usize], r.leo[r.leader as usize]);
            let fetched: Vec<String> = topic.log.records[from..to]
                .iter()
                .map(|x| format!("p{} @{}", x.partition, x.offset))
                .collect();
            let mut e = event(
                COORDINATOR,
                "replicate",
                format!(
                    "replica {f} of __consumer_offsets fetched {} from the leader (replica {}) and caught up to its {}",
                    fetched.join(", "),
                    r.leader,
                    records(to)
                ),
            );
            if let Some(last) = topic.log.records[from..to].last() {
                e = e.at(last.partition, Some(last.offset));
            }
            e
        }
        Choice::LeaveIsr(f) => {
            let mut after = topic.clone();
            after.replication.leave(f);
            event(
                COORDINATOR,
                "leave-isr",
                format!(
                    "replica {f} of __consumer_offsets fell out of the ISR: it stopped fetching for replica.lag.time.max.ms \
                     with {} of the leader's {}; in sync now: {}",
                    records(r.leo[f as usize]),
                    topic.log.records.len(),
                    replicas(&in_sync(&after))
                ),
            )
        }
        Choice::Elect(c) => {
            let how = coordinator_config(model).election(topic).1;
            elected(topic, r.epoch, c, how)
        }
        Choice::Consumer(_) | Choice::Expire(_) | Choice::Produce(_) => {
            unreachable!("{step:?} is not a replication step")
        }
    }
}

/// The committed offset of partition `p` expired (`offsets.retention`).
fn expiry(model: &KafkaModel, before: &KafkaState, p: Partition) -> Event {
    let committed = before.offsets_log().committed(p);
    let owner = FIRST_CONSUMER + (p % model.scenario.consumers) as usize;
    let why = match (model.scenario.offsets.retention, model.scenario.group.assignment) {
        (Retention::WhileActive, _) => {
            "offsets.retention.minutes passed since the last commit, though the group is active (KAFKA-4682, before KIP-211)"
                .to_string()
        }
        (_, Assignment::Group) => {
            "the group has been empty for offsets.retention.minutes (KIP-211)".to_string()
        }
        (_, Assignment::Manual) => format!(
            "{} has been down for offsets.retention.minutes, nobody consumes the partition (KIP-211)",
            actor_name(owner)
        ),
    };
    event(
        COORDINATOR,
        "expire",
        format!(
            "coordinator expired the {} of partition {p}: {why}; a tombstone in __consumer_offsets removes it",
            committed_text(committed)
        ),
    )
    .at(p, committed)
}

/// The producer appended a record; held fetches of that partition are answered.
fn produced(before: &KafkaState, p: Partition) -> Event {
    let NodeState::Broker(b) = &*before.actor_states[BROKER] else {
        unreachable!("actor {BROKER} is the broker")
    };
    let offset = b.ends[p as usize];
    let woken: Vec<String> = b
        .parked
        .iter()
        .filter(|f| f.partition == p)
        .map(|f| actor_name(FIRST_CONSUMER + f.consumer as usize))
        .collect();
    let answered = if woken.is_empty() {
        String::new()
    } else {
        format!("; the broker answers the fetch it held for {}", woken.join(", "))
    };
    event(BROKER, "produce", format!("a producer appended offset {offset} to partition {p}{answered}"))
        .at(p, Some(offset))
}

/// How a commit is acknowledged, for scenarios with a replicated offsets topic.
fn acknowledged(model: &KafkaModel, before: &KafkaState) -> String {
    let topic = before.offsets_topic();
    if topic.replication.replicas() < 2 {
        return String::new();
    }
    match model.scenario.offsets_topic.acks {
        crate::scenario::Acks::Leader => format!(
            "; acks=leader: acknowledged with only the leader (replica {}) holding it",
            topic.replication.leader
        ),
        crate::scenario::Acks::All => {
            format!("; acks=all: acknowledged once the in-sync {} hold it", replicas(&in_sync(topic)))
        }
    }
}

fn message_name(msg: &Msg) -> &'static str {
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
        Msg::JoinResponse { .. } => "an assignment",
        Msg::RebalanceNotice { .. } => "a rebalance notice",
        Msg::Evicted { .. } => "an eviction notice",
        Msg::CommitRejected { .. } => "a commit rejection",
    }
}

/// Whether the broker holds a Fetch from `offset` (a long poll) rather than answering it.
fn held(model: &KafkaModel, before: &KafkaState, partition: Partition, offset: Offset) -> bool {
    let NodeState::Broker(b) = &*before.actor_states[BROKER] else { return false };
    let end = b.ends[partition as usize];
    offset >= end && end < model.scenario.log_end()
}

fn committed_text(offset: Option<Offset>) -> String {
    match offset {
        Some(o) => format!("committed offset {o}"),
        None => "no committed offset".into(),
    }
}

fn delivered(
    model: &KafkaModel,
    before: &KafkaState,
    src: usize,
    dst: usize,
    msg: &Msg,
    list: &mut Vec<Event>,
) {
    let (s, d) = (actor_name(src), actor_name(dst));
    if let (Some(to), NodeState::Consumer(c)) = (msg.reply_incarnation(), &*before.actor_states[dst])
        && to != c.incarnation
    {
        list.push(
            event(
                dst,
                "drop-stale",
                format!("{d} dropped {} from {s} addressed to its crashed predecessor", message_name(msg)),
            )
            .with(src),
        );
        return;
    }
    match msg {
        Msg::OffsetFetch { partitions, .. } => {
            let log = before.offsets_log();
            for &p in partitions {
                let committed = log.committed(p);
                list.push(
                    event(
                        dst,
                        "fetch-offset",
                        format!("{d} told {s} partition {p} has {}", committed_text(committed)),
                    )
                    .at(p, committed)
                    .with(src),
                );
            }
        }
        Msg::OffsetFetchResponse { offsets, .. } => {
            for &(p, committed) in offsets {
                match (committed, model.scenario.offsets.reset) {
                    (None, Reset::Latest) => {
                        list.push(
                            event(
                                dst,
                                "reset",
                                format!(
                                    "{d} has no committed offset for partition {p}: auto.offset.reset=latest, \
                                     it asks the broker where the log ends (ListOffsets)"
                                ),
                            )
                            .at(p, None)
                            .with(src),
                        );
                        continue;
                    }
                    (None, Reset::None) => {
                        list.push(
                            event(
                                dst,
                                "reset-error",
                                format!(
                                    "{d} has no committed offset for partition {p}: auto.offset.reset=none, \
                                     poll() throws NoOffsetForPartitionException and it reads nothing more of partition {p}"
                                ),
                            )
                            .at(p, None)
                            .with(src),
                        );
                        continue;
                    }
                    _ => {}
                }
                let from = committed.unwrap_or(0);
                let why = match committed {
                    Some(_) => "its committed offset",
                    None => "the earliest offset, as nothing is committed",
                };
                list.push(
                    event(dst, "position", format!("{d} resumes partition {p} at offset {from}, {why}"))
                        .at(p, Some(from))
                        .with(src),
                );
            }
        }
        &Msg::Fetch { partition, offset, .. } if held(model, before, partition, offset) => list.push(
            event(
                dst,
                "fetch",
                format!(
                    "{d} holds {s}'s fetch of partition {partition} from offset {offset}: nothing is there yet, \
                     it answers once the producer appends a record (long poll)"
                ),
            )
            .at(partition, Some(offset))
            .with(src),
        ),
        Msg::ListOffsets { partitions, .. } => {
            let NodeState::Broker(b) = &*before.actor_states[BROKER] else { return };
            for &p in partitions {
                let end = b.ends[p as usize];
                list.push(
                    event(dst, "list-offsets", format!("{d} told {s} partition {p} ends at offset {end}"))
                        .at(p, Some(end))
                        .with(src),
                );
            }
        }
        Msg::ListOffsetsResponse { offsets, .. } => {
            let sink = before.sink();
            for &(p, end) in offsets {
                let skipped: Vec<String> =
                    (0..end).filter(|&o| sink.times_applied(p, o) == 0).map(|o| o.to_string()).collect();
                let skips = if skipped.is_empty() {
                    String::new()
                } else {
                    format!(": unprocessed offset(s) {} are skipped", skipped.join(", "))
                };
                list.push(
                    event(
                        dst,
                        "reset",
                        format!("{d} resumes partition {p} at offset {end}, the log end (auto.offset.reset=latest){skips}"),
                    )
                    .at(p, Some(end))
                    .with(src),
                );
            }
        }
        &Msg::Fetch {
            partition,
            offset,
            max_records,
            ..
        } => list.push(
            event(
                dst,
                "fetch",
                format!("{d} served {s} up to {max_records} record(s) of partition {partition} from offset {offset}"),
            )
            .at(partition, Some(offset))
            .with(src),
        ),
        &Msg::FetchResponse {
            partition,
            offset,
            count,
            ..
        } => {
            for o in offset..offset + count {
                list.push(
                    event(dst, "receive", format!("{d} received offset {o} of partition {partition}"))
                        .at(partition, Some(o))
                        .with(src),
                );
            }
        }
        Msg::Output { .. } | Msg::TxnOutputs { .. } => {
            let Some((partition, offsets)) = msg.outputs() else { return };
            let how = if matches!(msg, Msg::TxnOutputs { .. }) {
                " (published by a committed transaction)"
            } else {
                ""
            };
            for o in offsets {
                let times = match &*before.actor_states[dst] {
                    NodeState::Sink(sink) => sink.times_applied(partition, o) as usize + 1,
                    _ => 1,
                };
                let nth = if times == 1 { String::new() } else { format!(" (time {times})") };
                list.push(
                    event(
                        dst,
                        "process",
                        format!("{d} applied the side effect of offset {o} of partition {partition}{nth}{how}"),
                    )
                    .at(partition, Some(o))
                    .with(src),
                );
            }
        }
        &Msg::OutputAck { partition, offset, .. } => list.push(
            event(dst, "processed", format!("{d} learned offset {offset} of partition {partition} is processed"))
                .at(partition, Some(offset))
                .with(src),
        ),
        &Msg::OffsetCommit { partition, offset, by, .. } | &Msg::TxnCommit { partition, to: offset, by, .. }
            if !before.group().accepts(model.scenario.group.fencing, by) =>
        {
            let who = match by.member {
                Some(m) => format!("member {m} of generation {}", by.generation),
                None => "a consumer outside the group".into(),
            };
            list.push(
                event(
                    dst,
                    "reject-commit",
                    format!(
                        "{d} rejected {s}'s commit of offset {offset} for partition {partition}: {who} is not in the current generation {}",
                        before.group().generation
                    ),
                )
                .at(partition, Some(offset))
                .with(src),
            )
        }
        &Msg::OffsetCommit { partition, offset, .. } => list.push(
            event(
                dst,
                "commit",
                format!(
                    "{d} recorded committed offset {offset} for partition {partition} from {s}{}",
                    acknowledged(model, before)
                ),
            )
                .at(partition, Some(offset))
                .with(src),
        ),
        &Msg::TxnCommit { partition, from, to, .. } => list.push(
            event(
                dst,
                "commit",
                format!(
                    "{d} committed {s}'s transaction: outputs of offsets {from}..{} and committed offset {to} for partition {partition}{}",
                    to.saturating_sub(1),
                    acknowledged(model, before)
                ),
            )
            .at(partition, Some(to))
            .with(src),
        ),
        Msg::JoinGroup { member, owned, .. } => {
            let group = before.group();
            let known = member.and_then(|m| group.member(m));
            let who = match known {
                Some(m) => format!("as member {}", m.id),
                None => format!("as new member {}", group.next_member),
            };
            let keeps = if owned.is_empty() { String::new() } else { format!(", keeping partitions {owned:?}") };
            list.push(event(dst, "join", format!("{s} joined the group {who}{keeps}")).with(src));
        }
        Msg::JoinResponse { member, generation, assignment, .. } => list.push(
            event(
                dst,
                "assign",
                format!("{d} is member {member} of generation {generation}, assigned partitions {assignment:?}"),
            )
            .with(src),
        ),
        Msg::RebalanceNotice { .. } => list.push(
            event(dst, "rebalance", format!("{d} learned a rebalance started and will rejoin at its next poll"))
                .with(src),
        ),
        Msg::Evicted { .. } => list.push(
            event(dst, "evicted", format!("{d} learned it was evicted from the group; its partitions are lost"))
                .with(src),
        ),
        &Msg::CommitRejected { partition, offset, .. } => list.push(
            event(
                dst,
                "commit-rejected",
                format!("{d} learned its commit of offset {offset} for partition {partition} failed (CommitFailedException)"),
            )
            .at(partition, Some(offset))
            .with(src),
        ),
        &Msg::OffsetCommitResponse { partition, offset, .. } | &Msg::TxnCommitResponse { partition, offset, .. } => {
            list.push(
                event(dst, "commit-ack", format!("{d} learned offset {offset} of partition {partition} is committed"))
                    .at(partition, Some(offset))
                    .with(src),
            )
        }
    }
}
