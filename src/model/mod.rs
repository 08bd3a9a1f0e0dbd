//! The Stateright actor model of a consumer group reading a partitioned log
//! (DESIGN.md §1): one broker, one group coordinator, one sink and the
//! scenario's consumers, talking over an ordered (per-connection FIFO,
//! TCP-like) network.
//!
//! Each actor's logic lives in its own module and is plain code over its own
//! state; [`Node`] only routes Stateright's callbacks to it. Every step is
//! one delivered message or one crash/recover of a consumer, so the checker
//! explores every interleaving of receive, process, commit and crash.

pub mod broker;
pub mod consumer;
pub mod coordinator;
pub mod group;
pub mod msg;
pub mod render;
pub mod replication;
pub mod sink;
pub mod symmetry;

use crate::scenario::{Offset, Partition, Scenario};
use broker::Broker;
use consumer::{Consumer, ConsumerState, To};
use coordinator::{Coordinator, CoordinatorState, OffsetsLog, OffsetsTopic};
use group::{Effect, Group, GroupRules, GroupTimer};
use msg::{Incarnation, Msg};
use serde::Serialize;
use sink::SinkState;
use stateright::actor::{Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, Id, Network, Out};
use stateright::{Model, Path};
use std::borrow::Cow;

pub const BROKER: usize = 0;
pub const COORDINATOR: usize = 1;
pub const SINK: usize = 2;
/// Actor index of consumer 0; consumer c is `FIRST_CONSUMER + c`.
pub const FIRST_CONSUMER: usize = 3;

pub type KafkaState = ActorModelState<Node, ()>;
pub type KafkaAction = ActorModelAction<Msg, GroupTimer, Offset>;

/// The model of a scenario: Stateright's actor system, narrowed to the steps
/// the scenario allows.
///
/// Stateright offers a crash of every actor that is up while fewer than
/// `max_crashes` are down. Only consumers crash here, and at most `crashes`
/// times in a whole run, so those actions are removed from the actions of a
/// state rather than generated and pruned afterwards: a pruned step would
/// still end a simulation's random walk and look like a terminal state.
#[derive(Clone)]
pub struct KafkaModel {
    pub scenario: Scenario,
    pub system: ActorModel<Node, (), ()>,
    /// The properties the search checks (all of them, unless narrowed with [`KafkaModel::only`]).
    pub properties: Vec<stateright::Property<KafkaModel>>,
}

/// The trace name of the actor at an index (DESIGN.md §4).
pub fn actor_name(index: usize) -> String {
    match index {
        BROKER => "broker".into(),
        COORDINATOR => "coordinator".into(),
        SINK => "sink".into(),
        c => format!("consumer-{}", c - FIRST_CONSUMER),
    }
}

#[derive(Clone, Debug)]
pub enum Node {
    Broker(Broker),
    Coordinator(Coordinator),
    Sink(SinkState),
    Consumer(Consumer),
}

/// Its `Debug` is written by hand for people (`render.rs`): the Explorer shows it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum NodeState {
    Broker,
    Coordinator(CoordinatorState),
    Sink(SinkState),
    Consumer(ConsumerState),
}

/// What survives a crash: the offsets topic (durable in Kafka: the log on
/// each replica, the leader epoch, which counts the failovers spent), and a
/// consumer's incarnation, which stands for the fact that a restarted process
/// has new connections (and counts the crash budget spent).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum NodeStorage {
    OffsetsTopic(OffsetsTopic),
    Incarnation(Incarnation),
}

fn id_of(to: To) -> Id {
    Id::from(match to {
        To::Broker => BROKER,
        To::Coordinator => COORDINATOR,
        To::Sink => SINK,
    })
}

/// The key of a consumer's pending choice: which of its workers finishes next.
const WORKER_DONE: &str = "worker-done";

/// Sends a consumer's requests and offers the checker every running worker
/// as the next to finish (Stateright explores each choice).
fn consumer_out(consumer: &Consumer, state: &ConsumerState, sends: Vec<(To, Msg)>, o: &mut Out<Node>) {
    for (to, msg) in sends {
        o.send(id_of(to), msg);
    }
    if consumer.workers > 1 {
        o.choose_random(WORKER_DONE, consumer.running(state));
    }
}

/// Offers the checker the coordinator's next replication steps or its
/// election (Stateright explores each choice); nothing without replicas
/// or a failover.
fn coordinator_out(coordinator: &Coordinator, state: &CoordinatorState, o: &mut Out<Node>) {
    if coordinator.topic.replicas > 1 || state.topic.replication.epoch > 0 {
        for (key, choices) in replication::KEYS.into_iter().zip(coordinator.choices(state)) {
            o.choose_random(key, choices);
        }
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

impl Actor for Node {
    type Msg = Msg;
    type State = NodeState;
    type Timer = GroupTimer;
    /// A consumer's worker that finishes next: the offset it was processing.
    type Random = Offset;
    type Storage = NodeStorage;

    /// The lifeline names of Stateright's sequence diagrams (the Explorer's).
    fn name(&self) -> String {
        match self {
            Node::Broker(_) => "broker".into(),
            Node::Coordinator(_) => "coordinator".into(),
            Node::Sink(_) => "sink".into(),
            Node::Consumer(c) => format!("consumer-{}", c.number),
        }
    }

    fn on_start(&self, _id: Id, storage: &Option<NodeStorage>, o: &mut Out<Self>) -> NodeState {
        match self {
            Node::Broker(_) => NodeState::Broker,
            Node::Coordinator(coordinator) => {
                let durable = match storage {
                    Some(NodeStorage::OffsetsTopic(topic)) => Some(topic),
                    _ => None,
                };
                let state = coordinator.start(durable);
                // A restart must know it is a failover: with failovers in
                // the budget the topic is saved from the start.
                if durable.is_some() || coordinator.failovers {
                    o.save(NodeStorage::OffsetsTopic(state.topic.clone()));
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
                let mut sends = Vec::new();
                let state = consumer.start(incarnation, &mut sends);
                consumer_out(consumer, &state, sends, o);
                NodeState::Consumer(state)
            }
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        match (self, state.to_mut()) {
            (Node::Broker(broker), _) => {
                if let Some(reply) = broker.handle(&msg) {
                    o.send(src, reply);
                }
            }
            (Node::Coordinator(coordinator), NodeState::Coordinator(c)) => {
                let records = c.topic.log.records.len();
                let mut effects = Vec::new();
                let from = usize::from(src).saturating_sub(FIRST_CONSUMER) as u8;
                coordinator.handle(c, from, &msg, &mut effects);
                if c.topic.log.records.len() != records {
                    o.save(NodeStorage::OffsetsTopic(c.topic.clone()));
                    coordinator_out(coordinator, c, o);
                }
                apply(effects, o);
            }
            (Node::Sink(_), NodeState::Sink(sink)) => {
                if let Some(reply) = sink.apply(&msg) {
                    o.send(src, reply);
                }
            }
            (Node::Consumer(consumer), NodeState::Consumer(s)) => {
                let mut sends = Vec::new();
                consumer.on_reply(s, &msg, &mut sends);
                consumer_out(consumer, s, sends, o);
            }
            _ => {}
        }
    }

    fn on_random(&self, _id: Id, state: &mut Cow<NodeState>, offset: &Offset, o: &mut Out<Self>) {
        // The coordinator's random value is a replication step or an election.
        if let (Node::Coordinator(coordinator), NodeState::Coordinator(c)) = (self, state.to_mut()) {
            coordinator.on_step(c, replication::Step::decode(*offset));
            o.save(NodeStorage::OffsetsTopic(c.topic.clone()));
            coordinator_out(coordinator, c, o);
            return;
        }
        if let (Node::Consumer(consumer), NodeState::Consumer(s)) = (self, state.to_mut()) {
            let mut sends = Vec::new();
            consumer.on_worker_done(s, *offset, &mut sends);
            consumer_out(consumer, s, sends, o);
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, timer: &GroupTimer, o: &mut Out<Self>) {
        if let (Node::Coordinator(coordinator), NodeState::Coordinator(c)) = (self, state.to_mut()) {
            let mut effects = Vec::new();
            coordinator.on_timer(c, *timer, &mut effects);
            apply(effects, o);
        }
    }
}

/// Builds the model of a scenario: actors, the ordered network, the crash
/// budget and the properties.
pub fn build(scenario: &Scenario) -> KafkaModel {
    let consumers = (0..scenario.consumers).map(|c| {
        let partitions: Vec<Partition> =
            (0..scenario.partitions).filter(|p| p % scenario.consumers == c).collect();
        Node::Consumer(Consumer {
            number: c,
            assignment: scenario.group.assignment,
            manual_partitions: partitions,
            strategy: scenario.strategy,
            max_poll_records: scenario.max_poll_records,
            commit_every: scenario.commit_every,
            eager: scenario.group.assignor.is_eager(),
            commit_on_revoke: scenario.group.commit_on_revoke,
            commit_offset: scenario.commit_offset,
            workers: scenario.workers,
            commit_policy: scenario.commit_policy,
            log_end: scenario.messages,
        })
    });
    let rules = GroupRules {
        partitions: scenario.partitions,
        assignor: scenario.group.assignor,
        fencing: scenario.group.fencing,
        pauses: scenario.group.pauses > 0,
    };
    let topic = replication::TopicRules {
        replicas: scenario.offsets_topic.replicas,
        acks: scenario.offsets_topic.acks,
        unclean_election: scenario.offsets_topic.unclean_election,
    };
    // Consumers may be down together up to their budget, and the coordinator with them.
    let down = scenario.crashes.min(scenario.consumers) + u8::from(scenario.offsets_topic.failovers > 0);
    let system = ActorModel::new((), ())
        .actor(Node::Broker(Broker { log_end: scenario.messages }))
        .actor(Node::Coordinator(Coordinator {
            rules,
            topic,
            failovers: scenario.offsets_topic.failovers > 0,
        }))
        .actor(Node::Sink(SinkState::new(scenario.partitions, scenario.messages)))
        .actors(consumers)
        .init_network(Network::new_ordered([]))
        .max_crashes(down as usize);
    let properties = crate::properties::ALL
        .iter()
        .map(|p| stateright::Property { expectation: p.expectation(), name: p.name, condition: p.holds })
        .collect();
    KafkaModel { scenario: scenario.clone(), system, properties }
}

impl KafkaModel {
    /// The same model checking one property only, as an invariant (see
    /// [`crate::properties::Property::invariant`]).
    pub fn only(mut self, property: &crate::properties::Property) -> Self {
        self.properties = vec![stateright::Property::always(property.name, property.invariant)];
        self
    }

    /// Whether the scenario allows a step Stateright offers, and the step can happen.
    fn allows(&self, state: &KafkaState, action: &KafkaAction) -> bool {
        match action {
            // A message to a consumer that is down waits for its recovery.
            // Stateright offers its delivery and then refuses it; offering
            // only steps that happen keeps simulations' recorded paths
            // replayable (they count refused steps in their action indices).
            // Requests to a coordinator whose leader is not elected yet wait too.
            ActorModelAction::Deliver { dst, .. } => {
                !state.crashed[usize::from(*dst)]
                    && (usize::from(*dst) != COORDINATOR || state.coordinator().electing.is_none())
            }
            // The coordinator fails over within its own budget.
            ActorModelAction::Crash(id) if usize::from(*id) == COORDINATOR => {
                failovers_spent(state) < self.scenario.offsets_topic.failovers as usize
            }
            ActorModelAction::Crash(id) => {
                usize::from(*id) >= FIRST_CONSUMER && crashes_spent(state) < self.scenario.crashes as usize
            }
            // A session times out only once the member's process is gone; a
            // live member is evicted only as one of the scenario's pauses.
            ActorModelAction::Timeout(_, timer) => {
                let group = state.group();
                let member_alive = |id| {
                    group.member(id).is_some_and(|m| {
                        let (consumer, alive) = state.consumer(m.consumer as usize);
                        alive && consumer.incarnation == m.incarnation
                    })
                };
                match *timer {
                    GroupTimer::SessionTimeout(id) => !member_alive(id),
                    GroupTimer::Pause(id) => {
                        member_alive(id) && group.pauses_spent < self.scenario.group.pauses
                    }
                }
            }
            _ => true,
        }
    }
}

impl Model for KafkaModel {
    type State = KafkaState;
    type Action = KafkaAction;

    fn init_states(&self) -> Vec<KafkaState> {
        self.system.init_states()
    }

    fn actions(&self, state: &KafkaState, actions: &mut Vec<KafkaAction>) {
        self.system.actions(state, actions);
        actions.retain(|a| self.allows(state, a));
    }

    fn next_state(&self, state: &KafkaState, action: KafkaAction) -> Option<KafkaState> {
        self.system.next_state(state, action)
    }

    /// A step as the Explorer lists it: `consumer-0 → OffsetCommit p0 @1 → coordinator`.
    fn format_action(&self, action: &KafkaAction) -> String {
        render::action(action)
    }

    fn format_step(&self, state: &KafkaState, action: KafkaAction) -> Option<String> {
        self.system.format_step(state, action)
    }

    fn as_svg(&self, path: Path<KafkaState, KafkaAction>) -> Option<String> {
        self.system.as_svg(path)
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        self.properties.clone()
    }
}

/// Consumer crashes so far in the run that led to `state`.
pub fn crashes_spent(state: &KafkaState) -> usize {
    (FIRST_CONSUMER..state.actor_states.len())
        .map(|i| {
            let recovered = match state.actor_storages[i] {
                Some(NodeStorage::Incarnation(n)) => n as usize,
                _ => 0,
            };
            recovered + state.crashed[i] as usize
        })
        .sum()
}

/// Coordinator failovers so far in the run that led to `state`: the leader
/// epoch (durable, one more per failover), plus one while the coordinator is down.
pub fn failovers_spent(state: &KafkaState) -> usize {
    let epoch = match &state.actor_storages[COORDINATOR] {
        Some(NodeStorage::OffsetsTopic(topic)) => topic.replication.epoch as usize,
        _ => 0,
    };
    epoch + state.crashed[COORDINATOR] as usize
}

/// Read access to the parts of a model state the properties and traces need.
pub trait View {
    fn sink(&self) -> &SinkState;
    fn offsets_log(&self) -> &OffsetsLog;
    /// The offsets topic: the leader's log, its replicas, the acknowledged commits.
    fn offsets_topic(&self) -> &OffsetsTopic;
    fn group(&self) -> &Group;
    /// Consumer c's state and whether it is alive.
    fn consumer(&self, c: usize) -> (&ConsumerState, bool);
}

pub trait CoordinatorView {
    fn coordinator(&self) -> &CoordinatorState;
}

impl CoordinatorView for KafkaState {
    fn coordinator(&self) -> &CoordinatorState {
        match &*self.actor_states[COORDINATOR] {
            NodeState::Coordinator(c) => c,
            other => unreachable!("actor {COORDINATOR} is the coordinator, found {other:?}"),
        }
    }
}

impl View for KafkaState {
    fn sink(&self) -> &SinkState {
        match &*self.actor_states[SINK] {
            NodeState::Sink(s) => s,
            other => unreachable!("actor {SINK} is the sink, found {other:?}"),
        }
    }

    fn offsets_log(&self) -> &OffsetsLog {
        &self.coordinator().topic.log
    }

    fn offsets_topic(&self) -> &OffsetsTopic {
        &self.coordinator().topic
    }

    fn group(&self) -> &Group {
        &self.coordinator().group
    }

    fn consumer(&self, c: usize) -> (&ConsumerState, bool) {
        let i = FIRST_CONSUMER + c;
        match &*self.actor_states[i] {
            NodeState::Consumer(s) => (s, !self.crashed[i]),
            other => unreachable!("actor {i} is a consumer, found {other:?}"),
        }
    }
}

/// Every message on the network, in any order.
///
/// stateright 0.31's `Network::iter_all` never advances within an ordered
/// channel holding two or more messages (it yields the first forever), so
/// ordered channels are walked here directly.
pub fn in_flight(state: &KafkaState) -> Box<dyn Iterator<Item = Envelope<&Msg>> + '_> {
    match &state.network {
        Network::Ordered(channels) => Box::new(
            channels
                .iter()
                .flat_map(|(&(src, dst), msgs)| msgs.iter().map(move |msg| Envelope { src, dst, msg })),
        ),
        other => Box::new(other.iter_all()),
    }
}

/// The consumer actors' configurations, by consumer number.
pub fn consumers(model: &KafkaModel) -> impl Iterator<Item = &Consumer> {
    model.system.actors[FIRST_CONSUMER..].iter().map(|node| match node {
        Node::Consumer(c) => c,
        other => unreachable!("actors from {FIRST_CONSUMER} on are consumers, found {other:?}"),
    })
}
