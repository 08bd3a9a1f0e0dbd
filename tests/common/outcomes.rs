//! What the trace-shape tests share: checking a model file and finding the
//! steps of a counterexample.

#![allow(dead_code)] // each test file uses the helpers it needs

use kafkacheck::check::{self, Options, Outcome};
use kafkacheck::model::event::Actor;
use kafkacheck::model::{KafkaAction, KafkaModel, KafkaState};
use kafkacheck::scenario;
use kafkacheck::trace::{Trace, TraceStep};
use kafkacheck::verdict::Verdict;
use stateright::Model;
use std::path::Path;

/// Checks a model file with the default options.
pub fn check_model(file: &str) -> Outcome {
    check_model_with(file, &Options::default())
}

pub fn check_model_with(file: &str, options: &Options) -> Outcome {
    let s = scenario::load(Path::new(file)).unwrap_or_else(|e| panic!("{e}"));
    check::check(&s, options)
}

pub fn verdict(outcome: &Outcome, property: &str) -> Verdict {
    outcome.properties.iter().find(|p| p.name == property).unwrap().verdict
}

/// The counterexample of a property that must be violated.
pub fn trace_of<'a>(outcome: &'a Outcome, property: &str) -> &'a Trace {
    let p = outcome.properties.iter().find(|p| p.name == property).unwrap();
    assert_eq!(p.verdict, Verdict::Violated, "{property}");
    p.trace.as_ref().unwrap()
}

/// The index of the first step from `from` on that matches.
pub fn find(steps: &[TraceStep], from: usize, f: impl Fn(&TraceStep) -> bool) -> Option<usize> {
    steps.iter().skip(from).position(f).map(|i| i + from)
}

/// Whether a step is `event` by `actor` (at `offset`, when given).
pub fn is(step: &TraceStep, actor: Actor, event: &str, offset: Option<u8>) -> bool {
    step.actor() == actor && step.name() == event && (offset.is_none() || step.offset() == offset)
}

/// The Explorer's names of the steps offered in `state`.
pub fn offered(model: &KafkaModel, state: &KafkaState) -> Vec<String> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions.iter().map(|a| model.format_action(a)).collect()
}

/// Takes the steps whose Explorer names contain each of `names` in turn.
pub fn walk(model: &KafkaModel, names: &[&str]) -> (KafkaState, Vec<KafkaAction>) {
    let mut state = model.init_states().remove(0);
    let mut taken = Vec::new();
    for name in names {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let action = actions
            .into_iter()
            .find(|a| model.format_action(a).contains(name))
            .unwrap_or_else(|| panic!("no step `{name}` after {taken:?} in {:#?}", offered(model, &state)));
        state = model.next_state(&state, action.clone()).expect("the step happens");
        taken.push(action);
    }
    (state, taken)
}
