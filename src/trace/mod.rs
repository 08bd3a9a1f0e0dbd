//! Counterexample traces: a checker path as the events its steps recorded
//! ([`crate::model::KafkaModel::step_events`]), each with the sentence a
//! person can read without the source (`sentence/`, one file per mechanism) and its JSON form
//! (`json.rs`).
//!
//! One model step may record several events (a batch of records received
//! at once); they share the step number.

pub mod json;
pub mod sentence;

use crate::model::event::{Actor, Event};
use crate::model::{KafkaAction, KafkaModel, KafkaState};
use serde::Serialize;
use stateright::Path;

/// One event of a trace, at the step that recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    pub step: usize,
    pub event: Event,
    pub text: String,
}

impl TraceStep {
    /// The event's name in the JSON trace document.
    pub fn name(&self) -> &'static str {
        json::name(&self.event)
    }

    pub fn actor(&self) -> Actor {
        self.event.actor()
    }

    pub fn peer(&self) -> Option<Actor> {
        self.event.peer()
    }

    pub fn partition(&self) -> Option<crate::scenario::Partition> {
        self.event.at().map(|(p, _)| p)
    }

    pub fn offset(&self) -> Option<crate::scenario::Offset> {
        self.event.at().and_then(|(_, o)| o)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub steps: Vec<TraceStep>,
    /// Why the property fails in the trace's last state.
    pub violation: String,
    /// The path itself, for the pictures (not in the JSON document).
    #[serde(skip)]
    pub run: Run,
}

/// A counterexample's path: its states, the initial one first, and the
/// action of each step (`actions[i]` leads from `states[i]` to `states[i +
/// 1]`). The reports read from it what events do not say: which actor sent
/// the message a step delivers and when, what is still on the network at
/// the end, which worker thread holds which record (`src/report/lanes.rs`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Run {
    pub states: Vec<KafkaState>,
    pub actions: Vec<KafkaAction>,
}

/// The states are large; a trace's `Debug` (in test failures) shows only how many.
impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "Run {{ {} states, {} actions }}", self.states.len(), self.actions.len())
    }
}

/// The trace of a path, ending with `violation`, the property's explanation of its last state.
pub fn trace(model: &KafkaModel, path: &Path<KafkaState, KafkaAction>, violation: String) -> Trace {
    let mut steps = Vec::new();
    let pairs = path.clone().into_vec();
    let run = Run {
        states: pairs.iter().map(|(state, _)| state.clone()).collect(),
        actions: pairs.iter().filter_map(|(_, action)| action.clone()).collect(),
    };
    for (i, pair) in pairs.windows(2).enumerate() {
        let (before, action) = &pair[0];
        if let Some(action) = action {
            let events = model.step_events(before, action);
            debug_assert!(!events.is_empty(), "every step has an event: {action:?}");
            steps.extend(events.into_iter().map(|event| TraceStep {
                step: i + 1,
                text: sentence::sentence(&event),
                event,
            }));
        }
    }
    Trace { steps, violation, run }
}
