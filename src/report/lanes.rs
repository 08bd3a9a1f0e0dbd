//! What a counterexample's pictures draw, worked out once for the SVG
//! diagram and the Mermaid block: the lanes (the actors, each worker thread
//! of a consumer that has them, and the sink), every message of the run with
//! its sender, its receiver, the step that sent it and its fate, and the rows
//! in the order they happen.
//!
//! Events say what a handler decided; the path says what the network
//! carried. A step that delivers a message is drawn as an arrow from the
//! lane that sent it to the lane that received it (the events name the
//! actor that *handled* the step, which is the receiver). Messages still on
//! the network when the run ends are drawn too, so a record whose output is
//! on its way to the sink is visible (`models/commit-auto-worker.json`).
//!
//! Worker threads are not actors of the model: a consumer's threads are
//! its `pool` (auto-commit with `commit.processing: worker`,
//! `src/model/consumer/pool.rs`) or the running records of its
//! `Phase::Working` (parallel workers, `src/model/consumer/workers.rs`).
//! The model does not tell threads apart, so each record a thread takes is
//! given the lowest-numbered idle thread: the numbering is the picture's.

use crate::model::consumer::ConsumerState;
use crate::model::event::{Actor, Event};
use crate::model::msg::Msg;
use crate::model::{KafkaAction, KafkaModel, KafkaState, View, consumers, render};
use crate::scenario::{AutoProcessing, Offset, Partition, Scenario, Strategy};
use crate::trace::{Trace, TraceStep};
use stateright::actor::{ActorModelAction, Id, Network};
use std::fmt;

/// A record of the log.
pub type Record = (Partition, Offset);

/// A lifeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    Broker,
    Coordinator,
    Consumer(u8),
    /// Thread `.1` of consumer `.0`.
    Worker(u8, u8),
    Sink,
}

impl Lane {
    pub fn of(actor: Actor) -> Lane {
        match actor {
            Actor::Broker => Lane::Broker,
            Actor::Coordinator => Lane::Coordinator,
            Actor::Consumer(c) => Lane::Consumer(c),
            Actor::Sink => Lane::Sink,
        }
    }

    /// The actor it belongs to (a thread's is its consumer).
    pub fn actor(self) -> Actor {
        match self {
            Lane::Broker => Actor::Broker,
            Lane::Coordinator => Actor::Coordinator,
            Lane::Consumer(c) | Lane::Worker(c, _) => Actor::Consumer(c),
            Lane::Sink => Actor::Sink,
        }
    }

    /// Left to right: broker, coordinator, each consumer followed by its threads, sink.
    pub fn rank(self) -> (u8, u8, u8) {
        match self {
            Lane::Broker => (0, 0, 0),
            Lane::Coordinator => (1, 0, 0),
            Lane::Consumer(c) => (2, c, 0),
            Lane::Worker(c, t) => (2, c, t + 1),
            Lane::Sink => (3, 0, 0),
        }
    }

    /// An identifier of letters, digits and `_` (Mermaid's participant ids).
    pub fn id(self) -> String {
        match self {
            Lane::Broker => "broker".into(),
            Lane::Coordinator => "coordinator".into(),
            Lane::Consumer(c) => format!("consumer{c}"),
            Lane::Worker(c, t) => format!("consumer{c}_worker{t}"),
            Lane::Sink => "sink".into(),
        }
    }
}

/// `broker`, `consumer-0`, `worker-1 of consumer-0`, `sink`.
impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Lane::Worker(c, t) => write!(f, "worker-{t} of consumer-{c}"),
            other => other.actor().fmt(f),
        }
    }
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Delivered at these steps (more than one on a duplicating network).
    Delivered(Vec<usize>),
    /// Lost by the network at this step.
    Dropped(usize),
    /// Still on the network when the run ends.
    InFlight,
}

/// One message of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub src: Lane,
    pub dst: Lane,
    pub msg: Msg,
    /// The step whose handler sent it; 0 for a message of the initial state.
    pub sent: usize,
    pub fate: Fate,
}

/// What a row draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A message delivered: an arrow from `from` to the row's lane.
    Arrow {
        from: Lane,
        label: String,
        sent: Option<usize>,
    },
    /// A message the network lost on its way from `from` to the row's lane.
    Lost {
        from: Lane,
        label: String,
        sent: Option<usize>,
    },
    /// A message still on its way from `from` to the row's lane at the end.
    InFlight {
        from: Lane,
        label: String,
        sent: usize,
    },
    /// A consumer's poll loop hands a record to the row's lane, one of its threads.
    Handoff {
        from: Lane,
        record: Record,
    },
    Crash,
    Recover,
    /// Something the row's lane did or learned by itself.
    Local {
        label: String,
    },
}

/// One row of a picture: a shape on a lane and its sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The step it belongs to; `None` for the messages in flight at the end.
    pub step: Option<usize>,
    pub lane: Lane,
    pub shape: Shape,
    pub text: String,
    /// The trace document's event name, if the row is an event.
    pub event: Option<&'static str>,
}

/// A counterexample laid out for drawing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub lanes: Vec<Lane>,
    pub rows: Vec<Row>,
    pub messages: Vec<Message>,
    /// After each state of the run (index = step), each consumer's threads
    /// and the record each holds.
    pub threads: Vec<Vec<Vec<Option<Record>>>>,
}

/// How many worker threads each consumer has: auto-commit's threads
/// (`commit.processing: worker`) or parallel workers (`workers` > 1), as
/// `Consumer::on_records` (`src/model/consumer/strategy.rs`) chooses.
pub fn worker_threads(s: &Scenario) -> u8 {
    match s.strategy {
        Strategy::AtLeastOnce if s.commit.processing == AutoProcessing::Worker => s.workers,
        Strategy::AtLeastOnce if s.workers > 1 => s.workers,
        _ => 0,
    }
}

/// The records consumer `c`'s threads hold in `state`: taken from the
/// queue (until the sink acknowledges them), or running in a batch.
fn busy(model: &KafkaModel, state: &KafkaState, c: usize) -> Vec<Record> {
    let (s, alive) = state.consumer(c);
    if !alive {
        return Vec::new();
    }
    let mut held: Vec<Record> = s.pool.iter().map(|t| (t.partition, t.offset)).collect();
    if let crate::model::consumer::Phase::Working { slot, .. } = s.phase
        && let Some(consumer) = consumers(model).nth(c)
    {
        let p = s.owned[slot as usize].partition;
        held.extend(consumer.running(s).into_iter().map(|o| (p, o)));
    }
    held
}

/// Each consumer's threads after each state, a record staying with the thread that took it.
fn assign_threads(model: &KafkaModel, states: &[KafkaState]) -> Vec<Vec<Vec<Option<Record>>>> {
    let n = worker_threads(&model.scenario) as usize;
    let consumers = model.scenario.consumers as usize;
    let mut out: Vec<Vec<Vec<Option<Record>>>> = Vec::with_capacity(states.len());
    let mut incarnations: Vec<Option<u8>> = vec![None; consumers];
    for state in states {
        let mut now = out.last().cloned().unwrap_or_else(|| vec![vec![None; n]; consumers]);
        for (c, threads) in now.iter_mut().enumerate() {
            let s: &ConsumerState = state.consumer(c).0;
            if incarnations[c] != Some(s.incarnation) {
                threads.iter_mut().for_each(|t| *t = None);
                incarnations[c] = Some(s.incarnation);
            }
            let held = busy(model, state, c);
            for t in threads.iter_mut() {
                if t.is_some_and(|r| !held.contains(&r)) {
                    *t = None;
                }
            }
            for r in held {
                if !threads.contains(&Some(r))
                    && let Some(free) = threads.iter_mut().find(|t| t.is_none())
                {
                    *free = Some(r);
                }
            }
        }
        out.push(now);
    }
    out
}

/// Every message on the network of `state`, each as often as it is there
/// (a duplicating network keeps delivered ones; they are there once).
fn envelopes(state: &KafkaState) -> Vec<(Id, Id, &Msg)> {
    match &state.network {
        Network::Ordered(channels) => {
            channels.iter().flat_map(|(&(src, dst), msgs)| msgs.iter().map(move |m| (src, dst, m))).collect()
        }
        Network::UnorderedNonDuplicating(counts) => {
            counts.iter().flat_map(|(env, &n)| std::iter::repeat_n((env.src, env.dst, &env.msg), n)).collect()
        }
        Network::UnorderedDuplicating(set, _) => set.iter().map(|env| (env.src, env.dst, &env.msg)).collect(),
    }
}

/// The messages a step sent: on the network after it and not before, less the one it took off.
fn sent(before: &KafkaState, action: &KafkaAction, after: &KafkaState) -> Vec<(Id, Id, Msg)> {
    let mut left = envelopes(before);
    let duplicating = matches!(before.network, Network::UnorderedDuplicating(..));
    let taken = match action {
        ActorModelAction::Deliver { src, dst, msg } if !duplicating => Some((*src, *dst, msg)),
        ActorModelAction::Drop(env) => Some((env.src, env.dst, &env.msg)),
        _ => None,
    };
    if let Some(t) = taken
        && let Some(i) = left.iter().position(|e| *e == t)
    {
        left.swap_remove(i);
    }
    let mut new = Vec::new();
    for e in envelopes(after) {
        match left.iter().position(|l| *l == e) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => new.push((e.0, e.1, e.2.clone())),
        }
    }
    new.sort();
    new
}

fn actor(id: Id) -> Actor {
    Actor::of(usize::from(id))
}

/// The thread of consumer `c` holding `record` after state `k`, if any.
fn thread_of(threads: &[Vec<Vec<Option<Record>>>], k: usize, c: u8, record: Record) -> Option<u8> {
    let at = threads.get(k)?.get(c as usize)?;
    at.iter().position(|t| *t == Some(record)).map(|t| t as u8)
}

/// The lane that sent `msg` from `src` in step `k`: a consumer's Output
/// comes from the thread that holds its record, before or after the step.
fn sender(threads: &[Vec<Vec<Option<Record>>>], k: usize, src: Actor, msg: &Msg) -> Lane {
    if let (Actor::Consumer(c), Msg::Output { partition, offset, .. }) = (src, msg) {
        let r = (*partition, *offset);
        let t = thread_of(threads, k, c, r).or_else(|| thread_of(threads, k.saturating_sub(1), c, r));
        if let Some(t) = t {
            return Lane::Worker(c, t);
        }
    }
    Lane::of(src)
}

/// The lane a message to `dst` reaches after state `k`: an OutputAck goes
/// back to the auto-commit thread that still holds its record (it waits for
/// it); a parallel worker is done once it sent its Output, so the poll
/// loop's committer gets the acknowledgement.
fn receiver(
    model: &KafkaModel,
    threads: &[Vec<Vec<Option<Record>>>],
    k: usize,
    dst: Actor,
    msg: &Msg,
) -> Lane {
    if let (Actor::Consumer(c), Msg::OutputAck { partition, offset, .. }) = (dst, msg)
        && model.scenario.commit.processing == AutoProcessing::Worker
        && let Some(t) = thread_of(threads, k, c, (*partition, *offset))
    {
        return Lane::Worker(c, t);
    }
    Lane::of(dst)
}

/// A message as an arrow's label: `render::message`, without the
/// incarnation a reply is addressed to unless the receiver is another
/// incarnation by then (the reply is stale, and dropped).
fn label(msg: &Msg, receiver_incarnation: Option<u8>) -> String {
    let text = render::message(msg);
    match msg.reply_incarnation() {
        Some(i) if receiver_incarnation == Some(i) => text.replace(&format!(" (to incarnation {i})"), ""),
        _ => text,
    }
}

fn incarnation(state: &KafkaState, actor: Actor) -> Option<u8> {
    actor.consumer().map(|c| state.consumer(c as usize).0.incarnation)
}

/// The label of an event drawn on its own lane: its name, partition and offset.
pub fn event_label(s: &TraceStep) -> String {
    let mut out = s.name().to_string();
    if let Some((p, offset)) = s.event.at() {
        out.push_str(&format!(" p{p}"));
        if let Some(o) = offset {
            out.push_str(&format!(" offset {o}"));
        }
    }
    out
}

impl Picture {
    /// Lays out `trace`, a counterexample of `model`.
    pub fn of(model: &KafkaModel, trace: &Trace) -> Picture {
        let run = &trace.run;
        let threads = assign_threads(model, &run.states);
        let mut messages = initial_messages(run.states.first(), &threads);
        let mut rows = Vec::new();
        for (i, action) in run.actions.iter().enumerate() {
            let k = i + 1;
            let (before, after) = (&run.states[i], &run.states[k]);
            let events: Vec<&TraceStep> = trace.steps.iter().filter(|s| s.step == k).collect();
            step_rows(model, &threads, &mut messages, k, before, action, &events, &mut rows);
            for (src, dst, msg) in sent(before, action, after) {
                let (src, dst_actor) = (sender(&threads, k, actor(src), &msg), actor(dst));
                let dst = receiver(model, &threads, k, dst_actor, &msg);
                messages.push(Message { src, dst, msg, sent: k, fate: Fate::InFlight });
            }
            handoffs(&threads, k, &mut rows);
        }
        let last = run.states.last();
        for m in messages.iter().filter(|m| m.fate == Fate::InFlight) {
            let to = last.and_then(|s| incarnation(s, m.dst.actor()));
            rows.push(Row {
                step: None,
                lane: m.dst,
                shape: Shape::InFlight { from: m.src, label: label(&m.msg, to), sent: m.sent },
                text: format!(
                    "{} is still on its way from {} to {} (sent {})",
                    label(&m.msg, to),
                    m.src,
                    m.dst,
                    if m.sent == 0 { "at the start".to_string() } else { format!("at step {}", m.sent) }
                ),
                event: None,
            });
        }
        let lanes = lanes(model, trace, &rows);
        Picture { lanes, rows, messages, threads }
    }

    pub fn in_flight(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|m| m.fate == Fate::InFlight)
    }
}

fn initial_messages(first: Option<&KafkaState>, threads: &[Vec<Vec<Option<Record>>>]) -> Vec<Message> {
    let Some(first) = first else { return Vec::new() };
    let mut initial: Vec<(Id, Id, &Msg)> = envelopes(first);
    initial.sort();
    initial
        .into_iter()
        .map(|(src, dst, msg)| Message {
            src: sender(threads, 0, actor(src), msg),
            dst: Lane::of(actor(dst)),
            msg: msg.clone(),
            sent: 0,
            fate: Fate::InFlight,
        })
        .collect()
}

/// The ledger entry a delivery or loss of `(src, dst, msg)` takes: the
/// earliest sent one not delivered or lost yet; for a redelivery (a
/// duplicating network), the earliest delivered one.
fn take<'m>(
    messages: &'m mut [Message],
    src: Actor,
    dst: Actor,
    msg: &Msg,
    again: bool,
) -> Option<&'m mut Message> {
    messages.iter_mut().find(|m| {
        m.src.actor() == src
            && m.dst.actor() == dst
            && &m.msg == msg
            && match m.fate {
                Fate::InFlight => !again,
                Fate::Delivered(_) => again,
                Fate::Dropped(_) => false,
            }
    })
}

/// The rows of step `k`: the delivery or loss first, then each further event on its lane.
#[allow(clippy::too_many_arguments)]
fn step_rows(
    model: &KafkaModel,
    threads: &[Vec<Vec<Option<Record>>>],
    messages: &mut [Message],
    k: usize,
    before: &KafkaState,
    action: &KafkaAction,
    events: &[&TraceStep],
    rows: &mut Vec<Row>,
) {
    let mut delivered: Option<(Lane, Lane)> = None;
    let mut first = Some(match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            let again = events.iter().any(|e| matches!(e.event, Event::Duplicate { .. }));
            let (s, d) = (actor(*src), actor(*dst));
            let entry = take(messages, s, d, msg, again);
            let from = entry.as_ref().map_or(Lane::of(s), |m| m.src);
            let sent = entry.as_ref().map(|m| m.sent);
            if let Some(m) = entry {
                match &mut m.fate {
                    Fate::Delivered(at) => at.push(k),
                    fate => *fate = Fate::Delivered(vec![k]),
                }
            }
            let to = receiver(model, threads, k - 1, d, msg);
            delivered = Some((from, to));
            let mut label = label(msg, incarnation(before, d));
            if again {
                label.push_str(" (again)");
            }
            (to, Shape::Arrow { from, label, sent })
        }
        ActorModelAction::Drop(env) => {
            let (s, d) = (actor(env.src), actor(env.dst));
            let entry = take(messages, s, d, &env.msg, false);
            let from = entry.as_ref().map_or(Lane::of(s), |m| m.src);
            let to = entry.as_ref().map_or(Lane::of(d), |m| m.dst);
            let sent = entry.as_ref().map(|m| m.sent);
            if let Some(m) = entry {
                m.fate = Fate::Dropped(k);
            }
            (to, Shape::Lost { from, label: label(&env.msg, incarnation(before, d)), sent })
        }
        ActorModelAction::Crash(id) if actor(*id).consumer().is_some() => {
            (Lane::of(actor(*id)), Shape::Crash)
        }
        ActorModelAction::Recover(id) => (Lane::of(actor(*id)), Shape::Recover),
        _ => return local_rows(threads, k, events, None, rows),
    });
    for (n, e) in events.iter().enumerate() {
        let (lane, shape) = match first.take() {
            Some(f) if n == 0 => f,
            _ => (event_lane(threads, k, e, delivered), Shape::Local { label: event_label(e) }),
        };
        rows.push(Row { step: Some(k), lane, shape, text: e.text.clone(), event: Some(e.name()) });
    }
}

/// The rows of a step that delivers nothing: each event on its lane.
fn local_rows(
    threads: &[Vec<Vec<Option<Record>>>],
    k: usize,
    events: &[&TraceStep],
    delivered: Option<(Lane, Lane)>,
    rows: &mut Vec<Row>,
) {
    for e in events {
        let lane = event_lane(threads, k, e, delivered);
        let shape = Shape::Local { label: event_label(e) };
        rows.push(Row { step: Some(k), lane, shape, text: e.text.clone(), event: Some(e.name()) });
    }
}

/// The lane an event of step `k` happens on: a worker finishing is its
/// thread; what the receiver of the step's message does is on its lane.
fn event_lane(
    threads: &[Vec<Vec<Option<Record>>>],
    k: usize,
    e: &TraceStep,
    delivered: Option<(Lane, Lane)>,
) -> Lane {
    if let Event::WorkerDone { consumer, partition, offset } = e.event
        && let Some(t) = thread_of(threads, k - 1, consumer, (partition, offset))
    {
        return Lane::Worker(consumer, t);
    }
    match delivered {
        Some((_, to)) if to.actor() == e.actor() => to,
        _ => Lane::of(e.actor()),
    }
}

/// A row for each record a thread took in step `k`.
fn handoffs(threads: &[Vec<Vec<Option<Record>>>], k: usize, rows: &mut Vec<Row>) {
    let (Some(before), Some(after)) = (threads.get(k - 1), threads.get(k)) else { return };
    for (c, (was, now)) in before.iter().zip(after).enumerate() {
        for (t, (w, n)) in was.iter().zip(now).enumerate() {
            let Some(record) = *n else { continue };
            if *w == Some(record) {
                continue;
            }
            let (c, t) = (c as u8, t as u8);
            let lane = Lane::Worker(c, t);
            rows.push(Row {
                step: Some(k),
                lane,
                shape: Shape::Handoff { from: Lane::Consumer(c), record },
                text: format!("{lane} takes partition {} offset {} to process it", record.0, record.1),
                event: None,
            });
        }
    }
}

/// The lanes to draw: every lane a row uses, each thread of every consumer
/// drawn, and the sink, where every record's processing ends.
fn lanes(model: &KafkaModel, trace: &Trace, rows: &[Row]) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = vec![Lane::Sink];
    for row in rows {
        lanes.push(row.lane);
        match &row.shape {
            Shape::Arrow { from, .. }
            | Shape::Lost { from, .. }
            | Shape::InFlight { from, .. }
            | Shape::Handoff { from, .. } => lanes.push(*from),
            Shape::Crash | Shape::Recover | Shape::Local { .. } => {}
        }
    }
    lanes.extend(trace.steps.iter().flat_map(|s| std::iter::once(s.actor()).chain(s.peer())).map(Lane::of));
    let consumers: Vec<u8> = lanes.iter().filter_map(|l| l.actor().consumer()).collect();
    for c in consumers {
        lanes.push(Lane::Consumer(c));
        lanes.extend((0..worker_threads(&model.scenario)).map(|t| Lane::Worker(c, t)));
    }
    lanes.sort_by_key(|l| l.rank());
    lanes.dedup();
    lanes
}
