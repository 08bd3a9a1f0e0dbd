//! A reference search that shares nothing with `check` but the model: a
//! plain breadth-first walk, level by level, of every reachable state, with
//! no symmetry reduction and no early stop. It gives, for each property, the
//! fewest steps from an initial state to a state its invariant rejects.

use kafkacheck::model::{self, KafkaState};
use kafkacheck::properties;
use kafkacheck::scenario::Scenario;
use stateright::Model;
use std::collections::HashSet;

/// What the walk found.
pub struct Walk {
    /// Per property of [`properties::ALL`], in its order: the length of its
    /// shortest counterexample, `None` when no reachable state violates it.
    pub shortest: Vec<(&'static str, Option<usize>)>,
    pub states: usize,
}

/// Walks every state reachable in `scenario`'s model.
pub fn walk(scenario: &Scenario) -> Walk {
    let model = model::build(scenario);
    let mut shortest: Vec<(&'static str, Option<usize>)> =
        properties::ALL.iter().map(|p| (p.name, None)).collect();
    let mut seen: HashSet<KafkaState> = HashSet::new();
    let mut level: Vec<KafkaState> =
        model.init_states().into_iter().filter(|s| seen.insert(s.clone())).collect();
    let mut depth = 0;
    let mut actions = Vec::new();
    while !level.is_empty() {
        for (p, found) in properties::ALL.iter().zip(&mut shortest) {
            if found.1.is_none() && level.iter().any(|s| !(p.invariant)(&model, s)) {
                found.1 = Some(depth);
            }
        }
        let mut next = Vec::new();
        for state in &level {
            actions.clear();
            model.actions(state, &mut actions);
            for action in actions.drain(..) {
                if let Some(after) = model.next_state(state, action)
                    && seen.insert(after.clone())
                {
                    next.push(after);
                }
            }
        }
        level = next;
        depth += 1;
    }
    Walk { shortest, states: seen.len() }
}
