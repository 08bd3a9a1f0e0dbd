//! The actors as Stateright sees them: [`Node`] routes Stateright's
//! callbacks to each actor's own logic (plain code over its own state) and
//! carries out what it asks for: sends, timers, saves, the choices it offers
//! the checker next.
//!
//! Every callback has a recorded twin taking [`Events`]: the checker calls
//! them with [`Events::off`]; a trace replays a step through the same code
//! with [`Events::on`] to learn what each handler decided
//! ([`super::KafkaModel::step_events`]).

use super::broker::{Broker, BrokerState};
use super::choice::{self, Choice};
use super::consumer::{self, Consumer, ConsumerState, To};
use super::coordinator::{Coordinator, CoordinatorState, OffsetsTopic};
use super::event::{Actor as Who, Events};
use super::group::{Effect, GroupTimer};
use super::msg::{Incarnation, Msg};
use super::sink::SinkState;
use super::{BROKER, COORDINATOR, FIRST_CONSUMER, SINK};
use serde::Serialize;
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Node {
    Broker(Broker),
    Coordinator(Coordinator),
    Sink(SinkState),
    Consumer(Consumer),
}

/// Its `Debug` is written by hand for people (`render/mod.rs`): the Explorer shows it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum NodeState {
    Broker(BrokerState),
    Coordinator(CoordinatorState),
    Sink(SinkState),
    Consumer(ConsumerState),
}

/// What survives a crash: the offsets topic (durable in Kafka: the log on
/// each replica, the leader epoch, which counts the failovers spent), and a
/// consumer's incarnation, which stands for the fact that a restarted process
/// has new connections (and counts the crash budget spent).
///
/// The topic is shared with the coordinator's state that saved it (an
/// `Arc`): Stateright clones every storage with each state it generates,
/// and the topic is saved only when a record is appended or a replica
/// moves, so most steps would copy its vectors (the log, the replicas'
/// ends) for nothing. Shared, a state's clone copies a pointer; equality,
/// order, hash and serialisation are the topic's, as before.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum NodeStorage {
    OffsetsTopic(#[serde(serialize_with = "shared_topic")] Arc<OffsetsTopic>),
    Incarnation(Incarnation),
}

/// Serialises a shared topic as the topic itself (serde's `rc` feature, which
/// would do the same, is not enabled).
fn shared_topic<S: serde::Serializer>(topic: &Arc<OffsetsTopic>, ser: S) -> Result<S::Ok, S::Error> {
    topic.as_ref().serialize(ser)
}

fn id_of(to: To) -> Id {
    Id::from(match to {
        To::Broker => BROKER,
        To::Coordinator => COORDINATOR,
        To::Sink => SINK,
    })
}

/// Sends a consumer's requests and offers the checker every running worker
/// as the next to finish, and its own steps (Stateright explores each choice).
fn consumer_out(consumer: &Consumer, state: &ConsumerState, sends: Vec<(To, Msg)>, o: &mut Out<Node>) {
    for (to, msg) in sends {
        o.send(id_of(to), msg);
    }
    if consumer.scenario.workers > 1 {
        let done =
            consumer.running(state).into_iter().map(|o| Choice::Consumer(consumer::Step::WorkerDone(o)));
        o.choose_random(choice::WORKER_DONE, done.collect());
    }
    if consumer.has_steps() {
        o.choose_random(choice::CONSUMER_STEP, consumer.steps(state));
    }
}

/// Offers the checker the coordinator's next replication steps or its
/// election (Stateright explores each choice); nothing without replicas
/// or a failover. With offsets that can expire, also the expiry of each
/// committed offset (which of them the retention permits is
/// [`super::KafkaModel::retention_permits`]'s to say).
fn coordinator_out(coordinator: &Coordinator, state: &CoordinatorState, o: &mut Out<Node>) {
    if coordinator.topic.replicas > 1 || state.topic.replication.epoch > 0 {
        let keys = [choice::REPLICATE, choice::LEAVE_ISR, choice::ELECT];
        for (key, choices) in keys.into_iter().zip(coordinator.choices(state)) {
            o.choose_random(key, choices);
        }
    }
    if coordinator.offsets.retention != crate::scenario::Retention::Never {
        o.choose_random(choice::EXPIRE, coordinator.expirable(state));
    }
}

/// Offers the checker the producer's next append and the held fetches whose
/// `fetch.max.wait.ms` may elapse (nothing without a producer).
fn broker_out(broker: &Broker, state: &BrokerState, o: &mut Out<Node>) {
    if broker.final_end > broker.messages {
        o.choose_random(choice::PRODUCE, broker.producible(state).into_iter().map(Choice::Produce).collect());
        o.choose_random(choice::FETCH_WAIT, state.waiting());
    }
}

/// Carries out what the coordinator's group logic asked for.
fn apply(effects: Vec<Effect>, o: &mut Out<Node>) {
    for effect in effects {
        match effect {
            Effect::Send(consumer, msg) => o.send(Id::from(FIRST_CONSUMER + consumer as usize), msg),
            Effect::ToSink(msg) => o.send(Id::from(SINK), msg),
            Effect::SetTimer(timer) => o.set_timer(timer, stateright::actor::model_timeout()),
            Effect::CancelTimer(timer) => o.cancel_timer(timer),
        }
    }
}

/// How many records the leader's `__consumer_offsets` holds, offsets and
/// group metadata, and the run's counts kept beside them (member ids
/// issued, pauses spent): when any changes, the topic is saved.
fn written(topic: &OffsetsTopic) -> (usize, usize, u8, u8) {
    (topic.log.records.len(), topic.groups.len(), topic.members_issued, topic.pauses_spent)
}

/// The consumer number of a request's sender.
fn consumer_number(src: Id) -> u8 {
    usize::from(src).saturating_sub(FIRST_CONSUMER) as u8
}

impl Node {
    /// [`Actor::on_start`], recording what the actor decided.
    pub fn start(&self, storage: &Option<NodeStorage>, o: &mut Out<Node>, ev: &mut Events) -> NodeState {
        match self {
            Node::Broker(broker) => {
                let state = broker.start();
                broker_out(broker, &state, o);
                NodeState::Broker(state)
            }
            Node::Coordinator(coordinator) => {
                let durable = match storage {
                    Some(NodeStorage::OffsetsTopic(topic)) => Some(&**topic),
                    _ => None,
                };
                let state = coordinator.start(durable, ev);
                // A restart must know it is a failover: with failovers in
                // the budget the topic is saved from the start.
                if durable.is_some() || coordinator.topic.failovers > 0 {
                    o.save(NodeStorage::OffsetsTopic(Arc::new(state.topic.clone())));
                }
                // Elected at once: the loaded group's members' sessions run again.
                if durable.is_some() && state.electing.is_none() {
                    apply(state.group.session_timers(&coordinator.rules), o);
                }
                coordinator_out(coordinator, &state, o);
                NodeState::Coordinator(state)
            }
            Node::Sink(initial) => NodeState::Sink(initial.clone()),
            Node::Consumer(consumer) => {
                let incarnation = match storage {
                    Some(NodeStorage::Incarnation(i)) => i + 1,
                    _ => 0,
                };
                o.save(NodeStorage::Incarnation(incarnation));
                let mut out = consumer::Out::new(ev);
                let state = consumer.start(incarnation, &mut out);
                consumer_out(consumer, &state, out.sends, o);
                NodeState::Consumer(state)
            }
        }
    }

    /// [`Actor::on_msg`], recording what the actor decided.
    pub fn deliver(
        &self,
        state: &mut Cow<NodeState>,
        src: Id,
        msg: &Msg,
        o: &mut Out<Node>,
        ev: &mut Events,
    ) {
        match (self, state.to_mut()) {
            (Node::Broker(broker), NodeState::Broker(b)) => {
                let held = b.parked.len();
                if let Some(reply) = broker.handle(b, consumer_number(src), msg, ev) {
                    o.send(src, reply);
                }
                if b.parked.len() != held {
                    broker_out(broker, b, o);
                }
            }
            (Node::Coordinator(coordinator), NodeState::Coordinator(c)) => {
                let records = written(&c.topic);
                let mut effects = Vec::new();
                coordinator.handle(c, consumer_number(src), msg, &mut effects, ev);
                if written(&c.topic) != records {
                    o.save(NodeStorage::OffsetsTopic(Arc::new(c.topic.clone())));
                    coordinator_out(coordinator, c, o);
                }
                apply(effects, o);
            }
            (Node::Sink(_), NodeState::Sink(sink)) => {
                if let Some(reply) = sink.apply(msg, Who::of(usize::from(src)), ev) {
                    o.send(src, reply);
                }
            }
            (Node::Consumer(consumer), NodeState::Consumer(s)) => {
                let mut out = consumer::Out::new(ev);
                let incarnation = s.incarnation;
                consumer.on_reply(s, Who::of(usize::from(src)), msg, &mut out);
                // The application restarted its process (`on_commit_error: crash`).
                if s.incarnation != incarnation {
                    o.save(NodeStorage::Incarnation(s.incarnation));
                }
                consumer_out(consumer, s, out.sends, o);
            }
            (node, state) => unreachable!("{} cannot hold {state:?}", node.name()),
        }
    }

    /// [`Actor::on_random`], recording what the actor decided.
    pub fn choose(&self, state: &mut Cow<NodeState>, choice: Choice, o: &mut Out<Node>, ev: &mut Events) {
        match (self, state.to_mut(), choice) {
            // The producer appends a record; held fetches it answers are sent.
            (Node::Broker(broker), NodeState::Broker(b), Choice::Produce(p)) => {
                for (consumer, reply) in broker.produce(b, p, ev) {
                    o.send(Id::from(FIRST_CONSUMER + consumer as usize), reply);
                }
                broker_out(broker, b, o);
            }
            // fetch.max.wait.ms elapses on a held fetch: answered empty.
            (
                Node::Broker(broker),
                NodeState::Broker(b),
                Choice::FetchWaitElapsed { consumer, incarnation },
            ) => {
                if let Some(reply) = broker.wait_elapsed(b, consumer, incarnation, ev) {
                    o.send(Id::from(FIRST_CONSUMER + consumer as usize), reply);
                }
                broker_out(broker, b, o);
            }
            (Node::Coordinator(coordinator), NodeState::Coordinator(c), choice) => {
                coordinator.on_choice(c, choice, ev);
                o.save(NodeStorage::OffsetsTopic(Arc::new(c.topic.clone())));
                // The election is over: the loaded group's members' sessions run again.
                if let Choice::Elect(_) = choice {
                    apply(c.group.session_timers(&coordinator.rules), o);
                }
                coordinator_out(coordinator, c, o);
            }
            (Node::Consumer(consumer), NodeState::Consumer(s), Choice::Consumer(step)) => {
                let mut out = consumer::Out::new(ev);
                consumer.on_step(s, step, &mut out);
                consumer_out(consumer, s, out.sends, o);
            }
            (node, _, choice) => unreachable!("{} offers no {choice:?}", node.name()),
        }
    }

    /// [`Actor::on_timeout`], recording what the actor decided.
    pub fn time_out(
        &self,
        state: &mut Cow<NodeState>,
        timer: GroupTimer,
        o: &mut Out<Node>,
        ev: &mut Events,
    ) {
        if let (Node::Coordinator(coordinator), NodeState::Coordinator(c)) = (self, state.to_mut()) {
            let before = written(&c.topic);
            let mut effects = Vec::new();
            coordinator.on_timer(c, timer, &mut effects, ev);
            if written(&c.topic) != before {
                o.save(NodeStorage::OffsetsTopic(Arc::new(c.topic.clone())));
                coordinator_out(coordinator, c, o);
            }
            apply(effects, o);
        }
    }
}

impl Actor for Node {
    type Msg = Msg;
    type State = NodeState;
    type Timer = GroupTimer;
    /// A step an actor offers the checker ([`Choice`]).
    type Random = Choice;
    type Storage = NodeStorage;

    /// The lifeline names of Stateright's sequence diagrams (the Explorer's).
    fn name(&self) -> String {
        match self {
            Node::Broker(_) => Who::Broker.to_string(),
            Node::Coordinator(_) => Who::Coordinator.to_string(),
            Node::Sink(_) => Who::Sink.to_string(),
            Node::Consumer(c) => Who::Consumer(c.number).to_string(),
        }
    }

    fn on_start(&self, _id: Id, storage: &Option<NodeStorage>, o: &mut Out<Self>) -> NodeState {
        self.start(storage, o, &mut Events::off())
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        self.deliver(state, src, &msg, o, &mut Events::off())
    }

    fn on_random(&self, _id: Id, state: &mut Cow<NodeState>, choice: &Choice, o: &mut Out<Self>) {
        self.choose(state, *choice, o, &mut Events::off())
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, timer: &GroupTimer, o: &mut Out<Self>) {
        self.time_out(state, *timer, o, &mut Events::off())
    }
}
