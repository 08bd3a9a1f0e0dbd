//! A scenario's model whose search can be stopped from outside.
//!
//! Stateright 0.31 cannot interrupt a search it has spawned: its own timeout
//! closes the threads' job market, which a thread notices only when it shares
//! work (two threads or more), and it has no memory limit. So the model
//! itself is made to end the search: once its [`Stop`] is raised it offers no
//! step from any state, and each property "holds" in every state. The
//! search threads then drain the states they have queued without generating
//! new ones (a depth-first stack, or a breadth-first frontier, checked at a
//! flag read each) and finish as if the space were exhausted; whoever raised
//! the stop knows it was not.
//!
//! Why the properties hold once stopped: a state drained after the stop has
//! no successors, so Stateright would judge it terminal, and an `eventually`
//! property whose goal is not reached there would get a discovery that is no
//! counterexample. A property that holds claims nothing; the verdicts of an
//! incomplete search never rest on a state after its stop.
//!
//! Only `--search bfs` and `--search simulation` run on Stateright's
//! checkers; the depth-first proving search and the breadth-first search
//! for counterexamples are kafkacheck's own and read the stop themselves
//! ([`super::depth_first`], [`super::levels`]).

use super::budget::Stop;
use crate::model::{KafkaAction, KafkaModel, KafkaState};
use stateright::{Model, Path, Property};
use std::sync::Arc;

pub struct Stoppable {
    pub inner: KafkaModel,
    stop: Arc<Stop>,
    properties: Vec<Property<Stoppable>>,
}

/// The condition of the inner model's property number `I`, true once
/// stopped. (Stateright's properties are `fn` pointers, which cannot
/// capture the inner condition, so one function per position reads it
/// from the model.)
fn condition<const I: usize>(model: &Stoppable, state: &KafkaState) -> bool {
    model.stop.raised() || (model.inner.properties[I].condition)(&model.inner, state)
}

type Condition = fn(&Stoppable, &KafkaState) -> bool;

/// One condition per position a property can have: room for twice as many
/// properties as the registry holds.
const CONDITIONS: [Condition; 16] = [
    condition::<0>,
    condition::<1>,
    condition::<2>,
    condition::<3>,
    condition::<4>,
    condition::<5>,
    condition::<6>,
    condition::<7>,
    condition::<8>,
    condition::<9>,
    condition::<10>,
    condition::<11>,
    condition::<12>,
    condition::<13>,
    condition::<14>,
    condition::<15>,
];

const _: () =
    assert!(crate::properties::ALL.len() <= CONDITIONS.len(), "add conditions for the new properties");

impl Stoppable {
    pub fn new(inner: KafkaModel, stop: Arc<Stop>) -> Self {
        let properties = inner
            .properties
            .iter()
            .zip(CONDITIONS)
            .map(|(p, condition)| Property { expectation: p.expectation.clone(), name: p.name, condition })
            .collect();
        Stoppable { inner, stop, properties }
    }
}

impl Model for Stoppable {
    type State = KafkaState;
    type Action = KafkaAction;

    fn init_states(&self) -> Vec<KafkaState> {
        self.inner.init_states()
    }

    fn actions(&self, state: &KafkaState, actions: &mut Vec<KafkaAction>) {
        if !self.stop.raised() {
            self.inner.actions(state, actions);
        }
    }

    fn next_state(&self, state: &KafkaState, action: KafkaAction) -> Option<KafkaState> {
        self.inner.next_state(state, action)
    }

    fn format_action(&self, action: &KafkaAction) -> String {
        self.inner.format_action(action)
    }

    fn format_step(&self, state: &KafkaState, action: KafkaAction) -> Option<String> {
        self.inner.format_step(state, action)
    }

    fn as_svg(&self, path: Path<KafkaState, KafkaAction>) -> Option<String> {
        self.inner.as_svg(path)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.properties.clone()
    }

    fn within_boundary(&self, state: &KafkaState) -> bool {
        self.inner.within_boundary(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use stateright::Checker;

    #[test]
    fn a_raised_stop_ends_the_search_without_discoveries() {
        let inner = crate::model::build(&Scenario { messages: 2, crashes: 1, ..Scenario::default() });
        let stop = Arc::new(Stop::default());
        let full = Stoppable::new(inner.clone(), Arc::clone(&stop)).checker().spawn_bfs().join();
        assert!(full.unique_state_count() > 1);
        assert!(full.discovery("no-duplicate").is_some());

        stop.raise(super::super::budget::StopReason::Timeout);
        let stopped = Stoppable::new(inner, Arc::clone(&stop)).checker().spawn_bfs().join();
        assert_eq!(stopped.unique_state_count(), 1, "only the initial state");
        assert!(
            stopped.discoveries().is_empty(),
            "no eventually property fails in the stopped initial state"
        );
    }
}
