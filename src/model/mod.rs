//! The Stateright actor model of a consumer group reading a partitioned log
//! (`docs/ARCHITECTURE.md`, "The modelled system"): one broker, one group coordinator, one sink and the
//! scenario's consumers, talking over an ordered (per-connection FIFO,
//! TCP-like) network, or the unordered, lossy or duplicating one a scenario
//! asks for (`network`, with its fault budgets counted in the state's [`History`]).
//!
//! Each actor's logic lives in its own module and is plain code over its own
//! state; [`Node`] (`node.rs`) only routes Stateright's callbacks to it. Every step is
//! one delivered message or one crash/recover of a consumer, so the checker
//! explores every interleaving of receive, process, commit and crash.

pub mod assignor;
pub mod broker;
pub mod choice;
pub mod consumer;
pub mod coordinator;
pub mod event;
pub mod group;
pub mod history;
pub mod msg;
pub mod node;
pub mod render;
pub mod replay;
pub mod replication;
pub mod sink;
pub mod symmetry;

use crate::scenario::{NetworkKind, Scenario};
use broker::Broker;
use choice::Choice;
use consumer::{Consumer, ConsumerState};
use coordinator::{Coordinator, CoordinatorState, OffsetsLog, OffsetsTopic};
pub use event::ExpiryReason;
use group::{Group, GroupRules, GroupTimer};
pub use history::History;
use msg::Msg;
pub use node::{Node, NodeState, NodeStorage};
use sink::SinkState;
use stateright::actor::{ActorModel, ActorModelAction, ActorModelState, Envelope, Id, LossyNetwork, Network};
use stateright::{Model, Path};
use std::sync::Arc;

pub const BROKER: usize = 0;
pub const COORDINATOR: usize = 1;
pub const SINK: usize = 2;
/// Actor index of consumer 0; consumer c is `FIRST_CONSUMER + c`.
pub const FIRST_CONSUMER: usize = 3;

pub type KafkaState = ActorModelState<Node, History>;
pub type KafkaAction = ActorModelAction<Msg, GroupTimer, Choice>;

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
    pub system: ActorModel<Node, (), History>,
    /// The properties the search checks (all of them, unless narrowed with [`KafkaModel::only`]).
    pub properties: Vec<stateright::Property<KafkaModel>>,
}

/// The trace name of the actor at an index ([`event::Actor`]).
pub fn actor_name(index: usize) -> String {
    event::Actor::of(index).to_string()
}

/// The scenario's network: Stateright's ordered one (also for `lossy`, whose
/// losses are Stateright's Drop steps), or its unordered ones.
fn network(scenario: &Scenario) -> Network<Msg> {
    match scenario.network.kind {
        NetworkKind::Ordered | NetworkKind::Lossy => Network::new_ordered([]),
        NetworkKind::Unordered => Network::new_unordered_nonduplicating([]),
        NetworkKind::Duplicating => Network::new_unordered_duplicating([]),
    }
}

/// Builds the model of a scenario: actors, the ordered network, the crash
/// budget and the properties.
pub fn build(scenario: &Scenario) -> KafkaModel {
    let shared = Arc::new(scenario.clone());
    let consumers = (0..scenario.consumers).map(|c| {
        let partitions = crate::client::assignment::partitions_of(c, scenario.consumers, scenario.partitions);
        Node::Consumer(Consumer { number: c, manual_partitions: partitions, scenario: Arc::clone(&shared) })
    });
    let rules = GroupRules {
        partitions: scenario.partitions,
        assignor: scenario.group.assignor,
        fencing: scenario.group.fencing,
        pauses: scenario.group.pauses > 0,
        tagged: scenario.network.kind == NetworkKind::Duplicating,
    };
    // Consumers may be down together up to their budget, and the coordinator with them.
    let down = scenario.crashes.min(scenario.consumers) + u8::from(scenario.offsets_topic.failovers > 0);
    let system = ActorModel::new((), History::new(scenario))
        .actor(Node::Broker(Broker {
            messages: scenario.messages,
            final_end: scenario.log_end(),
            partitions: scenario.partitions,
        }))
        .actor(Node::Coordinator(Coordinator {
            rules,
            topic: scenario.offsets_topic,
            offsets: scenario.offsets,
        }))
        .actor(Node::Sink(SinkState::new(scenario.partitions, scenario.log_end())))
        .actors(consumers)
        .init_network(network(scenario))
        .lossy_network(if scenario.network.kind == NetworkKind::Lossy {
            LossyNetwork::Yes
        } else {
            LossyNetwork::No
        })
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
            ActorModelAction::Deliver { src, dst, msg } => {
                let again = redelivery(state, Envelope { src: *src, dst: *dst, msg });
                !state.crashed[usize::from(*dst)]
                    && (!again || state.history.duplicates < self.scenario.network.duplicates)
                    && (usize::from(*dst) != COORDINATOR || state.coordinator().electing.is_none())
                    && self.in_send_order(state, *dst, msg)
            }
            // An offset expires only when the retention policy permits.
            &ActorModelAction::SelectRandom { random: Choice::Expire(_), .. } => {
                self.retention_permits(state)
            }
            // The coordinator fails over within its own budget.
            ActorModelAction::Crash(id) if usize::from(*id) == COORDINATOR => {
                failovers_spent(state) < self.scenario.offsets_topic.failovers as usize
            }
            ActorModelAction::Crash(id) => {
                usize::from(*id) >= FIRST_CONSUMER && crashes_spent(state) < self.scenario.crashes as usize
            }
            // A session times out only once no process heartbeats as the
            // member; a live member is evicted only as one of the scenario's pauses.
            ActorModelAction::Timeout(_, timer) => {
                let group = state.group();
                let member_alive = |id| group.member(id).is_some_and(|m| heartbeats(state, m));
                match *timer {
                    GroupTimer::SessionTimeout(id) => !member_alive(id),
                    GroupTimer::Pause(id) => {
                        member_alive(id) && group.pauses_spent < self.scenario.group.pauses
                    }
                }
            }
            // A message to or from a consumer is lost within the budget.
            // Heartbeat responses (a rebalance notice, an eviction) are not:
            // the consumer heartbeats every heartbeat.interval.ms, so a lost
            // response is followed by the next heartbeat's, with the same
            // error, long before the session times out: a loss is a delay,
            // which the interleavings already hold. (Losing the one notice
            // the model sends would stall the rebalance for good.)
            ActorModelAction::Drop(env) => {
                state.history.losses < self.scenario.network.losses
                    && (usize::from(env.src) >= FIRST_CONSUMER || usize::from(env.dst) >= FIRST_CONSUMER)
                    && !matches!(env.msg, Msg::RebalanceNotice { .. } | Msg::Evicted { .. })
            }
            // fetch.max.wait.ms elapses only when the consumer acts on its empty poll.
            &ActorModelAction::SelectRandom {
                random: Choice::FetchWaitElapsed { consumer, incarnation },
                ..
            } => {
                let (s, alive) = state.consumer(consumer as usize);
                broker::wait_matters(broker::BrokerState::of(state), consumer, incarnation, s, alive)
            }
            &ActorModelAction::SelectRandom { actor, random: Choice::Consumer(step), .. } => {
                let c = usize::from(actor) - FIRST_CONSUMER;
                match step {
                    consumer::Step::Timeout => self.request_lost(state, c),
                    consumer::Step::CommitTimeout(i) => self.commit_lost(state, c, i),
                    consumer::Step::WorkerDone(_)
                    | consumer::Step::PoolDone(..)
                    | consumer::Step::AutoCommitDue
                    | consumer::Step::AutoCommitTimer => true,
                }
            }
            _ => true,
        }
    }

    /// Whether consumer c waits for a reply that will never come: it waits
    /// on a request, and no message from it or to it is on the network. A
    /// timeout is offered only then: never while the request or its reply
    /// can still arrive (no spurious timeouts, so no request is ever
    /// outstanding twice), and always once both are gone (every message on
    /// the network is delivered or lost eventually). Its pending async
    /// commits' messages count too, so the poll loop's request times out
    /// only once they are settled: a commitSync of the same offset as an
    /// async commit cannot be told apart from it on the wire.
    fn request_lost(&self, state: &KafkaState, c: usize) -> bool {
        let Some(consumer) = consumers(self).nth(c) else { return false };
        let (s, alive) = state.consumer(c);
        let id = Id::from(FIRST_CONSUMER + c);
        // A Fetch the broker holds for this process (a long poll) is not
        // lost either; one held for its crashed predecessor does not count.
        let parked = broker::BrokerState::of(state).held(c as u8, s.incarnation).is_some();
        alive
            && !parked
            && !self.join_held(state, c)
            && consumer.request(s).is_some()
            && !in_flight(state).any(|env| env.src == id || env.dst == id)
    }

    /// Whether the coordinator holds consumer c's JoinGroup until the
    /// rebalance completes: the member rejoined and others have not yet.
    /// Kafka's client gives a JoinGroup the rebalance timeout plus 5 s
    /// (`AbstractCoordinator.sendJoinGroupRequest`), so a held JoinGroup
    /// does not time out. One held by a coordinator that failed is gone
    /// with it (the new coordinator's group has no rebalance under way):
    /// that one times out and is sent to the new coordinator.
    /// A follower's SyncGroup, waiting for the leader's, is held the same way.
    fn join_held(&self, state: &KafkaState, c: usize) -> bool {
        let (s, _) = state.consumer(c);
        let group = state.group();
        let mine = |m: &&group::Member| m.consumer as usize == c && m.incarnation == s.incarnation;
        match s.phase {
            consumer::Phase::Joining => {
                group.rebalancing && group.members.iter().filter(mine).any(|m| m.rejoined)
            }
            consumer::Phase::Syncing => {
                group.completing && group.members.iter().filter(mine).any(|m| m.syncing)
            }
            _ => false,
        }
    }

    /// On a network that reorders messages, whether delivering `msg` to
    /// `dst` keeps the order the coordinator sent a consumer's group
    /// messages in. Kafka's group protocol runs over one connection, and
    /// what a heartbeat response means depends on which JoinGroup answer
    /// came before it (the client checks the generation it heartbeated
    /// with, `AbstractCoordinator.HeartbeatResponseHandler`; the
    /// coordinator's next heartbeat response repeats an error the client
    /// ignored). The model's notices carry no generation, so it keeps their
    /// order relative to the JoinResponse instead: a rebalance notice sent
    /// after a JoinResponse still on its way is one for a rebalance in
    /// which that member has not rejoined, an eviction sent after it one of
    /// the member it names; any other notice was sent before it.
    fn in_send_order(&self, state: &KafkaState, dst: Id, msg: &Msg) -> bool {
        if matches!(self.scenario.network.kind, NetworkKind::Ordered | NetworkKind::Lossy)
            || usize::from(dst) < FIRST_CONSUMER
        {
            return true;
        }
        let group = state.group();
        let sent_after = |notice: &Msg, member: msg::MemberId| match notice {
            Msg::RebalanceNotice { .. } => {
                group.rebalancing && group.member(member).is_some_and(|m| !m.rejoined)
            }
            Msg::Evicted { .. } => group.member(member).is_none(),
            _ => false,
        };
        let notice = |m: &Msg| matches!(m, Msg::RebalanceNotice { .. } | Msg::Evicted { .. });
        let to_same =
            |env: &Envelope<&Msg>| env.dst == dst && env.msg.reply_incarnation() == msg.reply_incarnation();
        match *msg {
            Msg::JoinResponse { member, .. } => {
                !in_flight(state).any(|env| to_same(&env) && notice(env.msg) && !sent_after(env.msg, member))
            }
            Msg::RebalanceNotice { .. } | Msg::Evicted { .. } => !in_flight(state).any(|env| {
                to_same(&env)
                    && matches!(*env.msg, Msg::JoinResponse { member, .. } if sent_after(msg, member))
            }),
            _ => true,
        }
    }

    /// Whether consumer c's pending async commit `i` failed: neither its
    /// OffsetCommit nor its response (an acknowledgement or a rejection) is
    /// on the network any more.
    fn commit_lost(&self, state: &KafkaState, c: usize, i: usize) -> bool {
        let (s, alive) = state.consumer(c);
        let Some(p) = s.pending_commits.get(i) else { return false };
        let id = Id::from(FIRST_CONSUMER + c);
        alive
            && !in_flight(state).any(|env| match *env.msg {
                Msg::OffsetCommit { partition, offset, .. } => {
                    env.src == id && (partition, offset) == (p.partition, p.offset)
                }
                Msg::OffsetCommitResponse { partition, offset, .. }
                | Msg::CommitRejected { partition, offset, .. } => {
                    env.dst == id && (partition, offset) == (p.partition, p.offset)
                }
                _ => false,
            })
    }
}

impl KafkaModel {
    /// Why the retention policy lets a committed offset expire in `state` (`offsets.retention`), if it does: never; when the
    /// group is empty (KIP-211): with group assignment while the group has
    /// no member and no consumer process runs (every member's session timed
    /// out, none has restarted yet: retention is far longer than a restart),
    /// with manual assignment at any time, since an `assign()` group is a
    /// standalone group whose offsets expire retention after their last
    /// commit (`GroupMetadata.removeExpiredOffsets`, `case None`, Kafka ≥ 2.1;
    /// the classic group's `offsetExpirationCondition` in the new group
    /// coordinator); while active (KAFKA-4682): at any time.
    pub fn expiry(&self, state: &KafkaState) -> Option<ExpiryReason> {
        use crate::scenario::{Assignment, Retention};
        match (self.scenario.offsets.retention, self.scenario.group.assignment) {
            (Retention::Never, _) => None,
            (Retention::WhileActive, _) => Some(ExpiryReason::WhileActive),
            (Retention::WhenEmpty, Assignment::Group) => (state.group().members.is_empty()
                && (FIRST_CONSUMER..state.crashed.len()).all(|i| state.crashed[i]))
            .then_some(ExpiryReason::GroupEmpty),
            (Retention::WhenEmpty, Assignment::Manual) => Some(ExpiryReason::Standalone),
        }
    }

    /// Whether the retention policy lets committed offsets expire in `state`
    /// (which partitions have one to expire is the coordinator's offer).
    pub fn retention_permits(&self, state: &KafkaState) -> bool {
        self.expiry(state).is_some()
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
        let seen = history::Seen::of(&action, state);
        let mut next = self.system.next_state(state, action)?;
        let mut history = std::mem::take(&mut next.history);
        history.record(&self.scenario, seen, state, &next);
        next.history = history;
        Some(next)
    }

    /// A step as the Explorer lists it: `consumer-0 → OffsetCommit p0 @1 → coordinator`.
    fn format_action(&self, action: &KafkaAction) -> String {
        render::action(action)
    }

    /// What a step does, as the Explorer shows it: the sentences of the
    /// events it records (as a trace tells them), the messages it sent and
    /// the states before and after, in Kafka's words (`render::step`).
    fn format_step(&self, state: &KafkaState, action: KafkaAction) -> Option<String> {
        render::step(self, state, action)
    }

    /// The Explorer's sequence diagram, labelled as the path list is (`render::svg`).
    fn as_svg(&self, path: Path<KafkaState, KafkaAction>) -> Option<String> {
        Some(render::svg(&path.into_vec()))
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

/// Whether member `m`'s session is kept alive: its process runs (the same
/// incarnation) and is, or is about to learn it is, that member: it has
/// the member id, or its JoinGroup is held for the rebalance under way, or
/// the JoinResponse naming it is on its way. A member whose process never
/// learned its id (the JoinResponse was lost, and the retried JoinGroup
/// joined as another new member) is heartbeated by nobody, and its session
/// times out, as Kafka's pending members do (KIP-394).
fn heartbeats(state: &KafkaState, m: &group::Member) -> bool {
    let (s, alive) = state.consumer(m.consumer as usize);
    let id = Id::from(FIRST_CONSUMER + m.consumer as usize);
    alive
        && s.incarnation == m.incarnation
        && (s.member == Some(m.id)
            || (s.phase == consumer::Phase::Joining && state.group().rebalancing && m.rejoined)
            || in_flight(state).any(|env| {
                env.dst == id && matches!(*env.msg, Msg::JoinResponse { member, incarnation, .. } if member == m.id && incarnation == m.incarnation)
            }))
}

/// Whether delivering `env` would deliver a message a second time (a
/// duplicating network keeps every message it delivered).
pub fn redelivery(state: &KafkaState, env: Envelope<&Msg>) -> bool {
    !state.history.delivered.is_empty()
        && state.history.delivered.iter().any(|d| d.src == env.src && d.dst == env.dst && &d.msg == env.msg)
}

/// Every message on the network, in any order: on a duplicating network,
/// those not delivered yet (a delivered one could only come again as a duplicate).
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
        other => Box::new(other.iter_all().filter(|env| !redelivery(state, *env))),
    }
}

/// The consumer actors' configurations, by consumer number.
pub fn consumers(model: &KafkaModel) -> impl Iterator<Item = &Consumer> {
    model.system.actors[FIRST_CONSUMER..].iter().map(|node| match node {
        Node::Consumer(c) => c,
        other => unreachable!("actors from {FIRST_CONSUMER} on are consumers, found {other:?}"),
    })
}
