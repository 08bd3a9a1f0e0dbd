//! The proving search of a check (the `--search` chosen): the depth-first
//! one is [`super::depth_first`], the breadth-first one and the simulation
//! are Stateright's checkers; the breadth-first search for counterexamples
//! after it is [`super::levels`].

use super::budget::{self, Limits, Reached, Reporter, Stop, StopReason};
use super::depth_first;
use super::stoppable::Stoppable;
use super::{Options, Search};
use crate::model::{self, KafkaModel, KafkaState};
use crate::properties::PropertyId;
use crate::scenario::{Assignment, Scenario};
use stateright::{Checker, Model};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub type KafkaPath = stateright::Path<KafkaState, <KafkaModel as Model>::Action>;

/// What a search found and how far it got.
pub struct Searched {
    pub discoveries: HashMap<&'static str, KafkaPath>,
    /// Why the watcher stopped it (timeout, memory), if it did.
    pub stopped: Option<StopReason>,
    /// How far it got (when stopped: at the stop).
    pub reached: Reached,
    /// The model searched (its properties are the ones searched for).
    pub model: KafkaModel,
    /// The state graph a complete depth-first proving search recorded, for
    /// the shortest counterexamples ([`super::graph`]).
    pub graph: Option<super::graph::Graph>,
}

/// The proving search. A simulation walks for `walks` (its checker's own
/// timeout: a stopped simulation would go on walking from the initial state).
pub fn prove(
    scenario: &Scenario,
    options: &Options,
    limits: Limits,
    walks: Duration,
    reporter: &Reporter,
) -> Searched {
    let phase = "proving";
    let symmetric = options.symmetry && scenario.group.assignment == Assignment::Group;
    if options.search == Search::Dfs {
        let symmetry = symmetric.then_some(model::symmetry::representative as depth_first::Representative);
        let model = model::build(scenario);
        return depth_first::search(
            model,
            options.threads,
            symmetry,
            options.max_depth,
            limits,
            phase,
            reporter,
        );
    }
    let stop = Arc::new(Stop::default());
    let model = Stoppable::new(model::build(scenario), Arc::clone(&stop));
    let mut builder = model.checker().threads(options.threads.max(1));
    // Stateright applies symmetry in simulation only; its bfs always
    // searches the full space.
    if symmetric {
        builder = builder.symmetry_fn(model::symmetry::representative);
    }
    if let Some(depth) = options.max_depth {
        builder = builder.target_max_depth(depth);
    }
    if options.search == Search::Simulation {
        let checker = builder.timeout(walks).spawn_simulation(0, stateright::UniformChooser);
        return run(checker, &stop, limits, phase, reporter, simulation_discoveries);
    }
    let mut searched = run(builder.spawn_bfs(), &stop, limits, phase, reporter, |c| c.discoveries());
    let model = &searched.model;
    searched.discoveries.retain(|name, path| ends_in_a_violation(model, name, path));
    searched
}

/// Whether a discovery's path ends in a state that violates the property.
///
/// A search stopped from outside can record one that does not: a thread
/// that checked a state's properties just before the stop finds no steps
/// from it just after, takes it for a terminal state and records every
/// `eventually` property whose goal is not reached there. The property's
/// invariant form, judged on the inner model, tells a real terminal state
/// from that; on a discovery of a search that was not stopped it agrees
/// with Stateright. (A depth-first or breadth-first path replays exactly; a
/// simulation's need not, so its discoveries are not judged by this.)
pub fn ends_in_a_violation(model: &KafkaModel, name: &str, path: &KafkaPath) -> bool {
    PropertyId::from_name(name).is_none_or(|id| !(id.property().invariant)(model, path.last_state()))
}

fn run<C: Checker<Stoppable> + Sync>(
    mut checker: C,
    stop: &Stop,
    limits: Limits,
    phase: &str,
    reporter: &Reporter,
    discoveries: fn(&C) -> HashMap<&'static str, KafkaPath>,
) -> Searched {
    let handles = checker.handles();
    let counts = || Reached { states: checker.unique_state_count(), depth: checker.max_depth() };
    let stopped = budget::watch(handles, &counts, stop, limits, phase, reporter);
    Searched {
        discoveries: discoveries(&checker),
        stopped: stopped.map(|(reason, _)| reason),
        reached: stopped.map_or_else(counts, |(_, reached)| reached),
        model: checker.model().inner.clone(),
        graph: None,
    }
}

/// A simulation's discoveries, with their paths. Rebuilding a simulation's
/// path replays the action indices it recorded; should that fail (it
/// panics inside Stateright), no discovery can be trusted to name its
/// property, so none is reported: a simulation claims nothing it cannot show.
///
/// The panic hook is the process's: with several scenario files checked at
/// once, two simulations swapping it at the same time could leave the quiet
/// one in place for good, so the swap is done under one lock.
fn simulation_discoveries<C: Checker<Stoppable>>(checker: &C) -> HashMap<&'static str, KafkaPath> {
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _swapping = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| checker.discoveries()));
    std::panic::set_hook(quiet);
    found.unwrap_or_default()
}
