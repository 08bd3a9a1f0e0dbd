//! Where each record a violation involves is when its counterexample ends:
//! the story's answer to "why this offset and not that one". Every record
//! of each partition the property's evidence names is listed: how often the
//! sink applied it and who wrote it, an output still on its way, the worker
//! thread or consumer holding it, the consumer that received it and then
//! crashed, and where it stands against the committed offset.

use super::lanes::{Fate, Message, Picture, Record, Shape};
use crate::model::event::{Actor, Event};
use crate::model::msg::Msg;
use crate::model::{KafkaModel, KafkaState, View, consumers};
use crate::properties::{self as props, PropertyId};
use crate::scenario::{Offset, Partition};
use crate::trace::Trace;

/// One record and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordLine {
    pub record: Record,
    pub text: String,
}

/// The partitions a property's evidence names in `state` (every partition
/// when it names none: an `eventually` property of a state that is not terminal).
pub fn involved(model: &KafkaModel, id: PropertyId, state: &KafkaState) -> Vec<Partition> {
    let mut partitions: Vec<Partition> = match id {
        PropertyId::NoLoss => props::lost_records(model, state).map(|(p, _)| p).collect(),
        PropertyId::NoDuplicate => props::duplicated_records(model, state).map(|((p, _), _)| p).collect(),
        PropertyId::AllProcessed => props::unprocessed_records(model, state).map(|(p, _)| p).collect(),
        PropertyId::CommittedMonotonic => props::committed_decreases(state).map(|(p, _)| p).collect(),
        PropertyId::SingleOwner => {
            props::shared_partitions(model, state).into_iter().map(|(p, _)| p).collect()
        }
        PropertyId::AckedCommitDurable => {
            props::lost_acked_commits(state).map(|(a, _)| a.partition).collect()
        }
        PropertyId::ExclusiveProcessing => {
            props::concurrent_holders(model, state).into_iter().map(|(p, _)| p).collect()
        }
    };
    partitions.sort();
    partitions.dedup();
    if partitions.is_empty() {
        partitions = (0..model.scenario.partitions).collect();
    }
    partitions
}

/// What the property's evidence says of one record, if it names it.
fn verdict_of(model: &KafkaModel, id: PropertyId, state: &KafkaState, r: Record) -> Option<&'static str> {
    match id {
        PropertyId::NoLoss => props::lost_records(model, state).any(|x| x == r).then_some("LOST"),
        PropertyId::NoDuplicate => {
            props::duplicated_records(model, state).any(|(x, _)| x == r).then_some("DUPLICATED")
        }
        PropertyId::AllProcessed => {
            props::unprocessed_records(model, state).any(|x| x == r).then_some("NEVER PROCESSED")
        }
        PropertyId::CommittedMonotonic
        | PropertyId::SingleOwner
        | PropertyId::AckedCommitDurable
        | PropertyId::ExclusiveProcessing => None,
    }
}

fn times(n: usize) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

fn steps(at: &[usize]) -> String {
    let at: Vec<String> = at.iter().map(usize::to_string).collect();
    match at.len() {
        1 => format!("step {}", at[0]),
        _ => format!("steps {}", at.join(", ")),
    }
}

/// Where records of partition `p` are when the run ends, one line each.
pub fn records(
    model: &KafkaModel,
    id: PropertyId,
    trace: &Trace,
    picture: &Picture,
    p: Partition,
) -> Vec<RecordLine> {
    let Some(end) = trace.run.states.last() else { return Vec::new() };
    (0..model.scenario.log_end())
        .map(|o| {
            let mut clauses = facts(model, trace, picture, end, (p, o));
            if let Some(v) = verdict_of(model, id, end, (p, o)) {
                clauses.push(format!("**{v}**"));
            }
            RecordLine { record: (p, o), text: format!("offset {o}: {}", clauses.join("; ")) }
        })
        .collect()
}

/// The facts about record `r` at the end of the run, in the order a reader
/// follows it: each time a consumer received it and what became of that
/// copy, then who holds it now, the sink, the committed offset.
fn facts(model: &KafkaModel, trace: &Trace, picture: &Picture, end: &KafkaState, r: Record) -> Vec<String> {
    let (p, o) = r;
    let carries = |m: &&Message| m.msg.outputs().is_some_and(|(q, os)| q == p && os.contains(&o));
    let outputs: Vec<&Message> = picture.messages.iter().filter(carries).collect();
    let received: Vec<(usize, u8)> = trace
        .steps
        .iter()
        .filter_map(|s| match s.event {
            Event::Receive { consumer, partition, offset } if (partition, offset) == r => {
                Some((s.step, consumer))
            }
            _ => None,
        })
        .collect();
    let mut out: Vec<String> = received
        .iter()
        .enumerate()
        .map(|(i, &(k, c))| {
            let until = received[i + 1..].iter().find(|(_, d)| *d == c).map_or(usize::MAX, |(j, _)| *j);
            copy(trace, picture, &outputs, r, (k, until), c)
        })
        .collect();
    if received.is_empty() {
        out.push("never fetched".into());
    }
    // Outputs no consumer sent: a committed transaction's, published by the coordinator.
    for m in outputs.iter().filter(|m| m.src.actor().consumer().is_none()) {
        out.push(format!("{} {}", m.src, fate(m)));
    }
    out.extend(holders(model, picture, end, r));
    out.push(match end.sink().times_applied(p, o) as usize {
        0 => "not in the sink".to_string(),
        n => format!("in the sink {}", times(n)),
    });
    out.push(match end.offsets_log().committed(p) {
        Some(c) if o < c => format!("below the committed offset {c}"),
        Some(c) => format!("at or above the committed offset {c}: a restart reads it again"),
        None => "nothing committed for its partition".into(),
    });
    out
}

/// What a message carrying a record's output did, after the name of its sender.
fn fate(m: &Message) -> String {
    match &m.fate {
        Fate::Delivered(at) => format!("wrote it to the sink at {}", steps(at)),
        Fate::InFlight => format!("sent its output at step {}, still on its way to the sink", m.sent),
        Fate::Dropped(at) => format!("sent its output at step {}, lost by the network at step {at}", m.sent),
    }
}

/// The copy of record `r` consumer `c` received at step `k` (and held until
/// it received the record again, at `until`): the thread that took it, what
/// its output did, and a crash that lost it.
fn copy(
    trace: &Trace,
    picture: &Picture,
    outputs: &[&Message],
    r: Record,
    (k, until): (usize, usize),
    c: u8,
) -> String {
    let mut text = format!("consumer-{c} received it at step {k}");
    if let Some(taken) = taken(picture, r, k) {
        text.push_str(&format!(", {taken}"));
    }
    let crash = trace
        .steps
        .iter()
        .find(|s| {
            s.step > k && s.step < until && matches!(s.event, Event::Crash { consumer } if consumer == c)
        })
        .map(|s| s.step);
    let last = crash.unwrap_or(until).min(until);
    let sent: Vec<&&Message> = outputs
        .iter()
        .filter(|m| m.src.actor() == Actor::Consumer(c) && m.sent >= k && m.sent < last)
        .collect();
    for m in &sent {
        text.push_str(&format!(", {} {}", m.src, fate(m)));
    }
    match crash {
        Some(j) if sent.is_empty() => {
            text.push_str(&format!(", then crashed at step {j} before processing it: gone with its memory"))
        }
        Some(j) => text.push_str(&format!(", then consumer-{c} crashed at step {j}")),
        None => {}
    }
    text
}

/// Which worker thread took record `r` after it was received at step `k`.
fn taken(picture: &Picture, r: Record, k: usize) -> Option<String> {
    picture.rows.iter().find_map(|row| match (row.step, &row.shape) {
        (Some(at), Shape::Handoff { record, .. }) if at >= k && *record == r => {
            Some(format!("{} took it at step {at}", row.lane))
        }
        _ => None,
    })
}

/// Who holds record `r` at the end: a worker thread, the threads' queue, or a live consumer's batch.
fn holders(model: &KafkaModel, picture: &Picture, end: &KafkaState, r: Record) -> Vec<String> {
    let mut out = Vec::new();
    let threads = picture.threads.last();
    for (c, consumer) in consumers(model).enumerate() {
        let (s, alive) = end.consumer(c);
        if !alive {
            continue;
        }
        let name = Actor::Consumer(c as u8);
        let thread = threads.and_then(|t| t.get(c)).and_then(|t| t.iter().position(|x| *x == Some(r)));
        if let Some(t) = thread {
            out.push(format!("held by worker-{t} of {name}"));
        } else if s.worker.iter().any(|q| q.partition == r.0 && (q.next..q.to).contains(&r.1)) {
            out.push(format!("queued in {name} for its worker threads"));
        } else if picture.in_flight().any(|m| {
            m.dst.actor() == name
                && matches!(m.msg, Msg::OutputAck { partition, offset, .. } if (partition, offset) == r)
        }) {
            out.push(format!("the sink's acknowledgement is on its way to {name}"));
        } else if consumer.will_process(s, r.0, r.1) {
            out.push(format!("held by {name}, still to be processed"));
        }
    }
    out
}

/// The committed offset and log end of partition `p` at the end of the run, as a heading.
pub fn heading(model: &KafkaModel, end: &KafkaState, p: Partition) -> String {
    let committed = match end.offsets_log().committed(p) {
        Some(c) => format!("committed offset {c}"),
        None => "nothing committed".into(),
    };
    let end_offset: Offset = model.scenario.log_end();
    format!("Partition {p} ({committed}, records 0 to {})", end_offset.saturating_sub(1))
}
