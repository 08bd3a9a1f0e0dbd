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
}

/// The trace of a path, ending with `violation`, the property's explanation of its last state.
pub fn trace(model: &KafkaModel, path: &Path<KafkaState, KafkaAction>, violation: String) -> Trace {
    let mut steps = Vec::new();
    let pairs = path.clone().into_vec();
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
    Trace { steps, violation }
}
