//! Runs the model checker on a scenario and turns its discoveries into
//! verdicts.
//!
//! A property is `violated` when the checker found a counterexample, `holds`
//! only when the search was complete (every reachable state of the bounded
//! model visited), and `unknown` otherwise. Stateright stops as soon as every
//! property has a discovery and also stops at a depth or time limit, so
//! completeness is tracked here, not assumed from `is_done`.

use crate::model::{self, KafkaAction, KafkaModel, KafkaState};
use crate::properties::{self, PropertyId};
use crate::scenario::{Assignment, Scenario};
use crate::trace::{self, Trace};
use crate::verdict::{Expectation, Verdict};
use stateright::{Checker, Model};
use std::collections::HashMap;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// Which Stateright search proves the properties. Whichever it is, each
/// counterexample reported is a shortest one, found breadth-first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Search {
    /// Breadth-first: complete; keeps a path per queued state, so it is the slower prover.
    Bfs,
    /// Depth-first: complete, about twice as fast per state here, and the
    /// only complete search that uses symmetry reduction.
    Dfs,
    /// Random walks: never complete, so a property it does not violate is `unknown`.
    Simulation,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub search: Search,
    pub threads: usize,
    pub max_depth: Option<usize>,
    pub timeout: Option<Duration>,
    /// Merge states that differ only in which consumer is which, where that
    /// is sound (group assignment) and the search supports it (dfs, simulation).
    pub symmetry: bool,
    /// Where progress lines go on runs longer than a second (stderr in the CLI).
    pub progress: Option<fn(&str)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            search: Search::Dfs,
            threads: 1,
            max_depth: None,
            timeout: None,
            symmetry: true,
            progress: None,
        }
    }
}

/// How long a simulation runs when no `--timeout` is given: it has no end of its own.
pub const DEFAULT_SIMULATION_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct PropertyOutcome {
    pub id: PropertyId,
    pub name: &'static str,
    pub kind: &'static str,
    pub verdict: Verdict,
    pub expected: Expectation,
    pub trace: Option<Trace>,
    /// The steps of the counterexample the trace describes, for replaying it on the model.
    pub actions: Option<Vec<KafkaAction>>,
    /// `check --live`: what replaying the trace on a real broker showed
    /// (`None`: no `--live`, or no trace).
    pub on_broker: Option<OnBroker>,
}

/// The outcome of replaying a counterexample on a real broker, each with
/// what shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnBroker {
    /// The real run showed the same anomaly.
    Reproduced(String),
    /// The real run did not.
    NotReproduced(String),
    /// The broker cannot run the scenario (why).
    NotRun(String),
}

impl OnBroker {
    /// `yes`, `no` or `not-run`: the `reproduced_on_broker` value of the JSON document.
    pub fn answer(&self) -> &'static str {
        match self {
            OnBroker::Reproduced(_) => "yes",
            OnBroker::NotReproduced(_) => "no",
            OnBroker::NotRun(_) => "not-run",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            OnBroker::Reproduced(s) | OnBroker::NotReproduced(s) | OnBroker::NotRun(s) => s,
        }
    }
}

impl PropertyOutcome {
    pub fn matches(&self) -> bool {
        self.expected.admits(self.verdict)
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    /// Every reachable state was visited (false when the search stopped at
    /// a limit, or early because every property already had a counterexample).
    pub complete: bool,
    pub unique_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub properties: Vec<PropertyOutcome>,
}

impl Outcome {
    pub fn all_match(&self) -> bool {
        self.properties.iter().all(PropertyOutcome::matches)
    }
}

/// Checks one scenario.
pub fn check(scenario: &Scenario, options: &Options) -> Outcome {
    let model = model::build(scenario);
    // Stateright's bfs and dfs notice their deadline only when threads share
    // work, so a search with a timeout runs on at least two threads.
    let threads = if options.timeout.is_some() { options.threads.max(2) } else { options.threads.max(1) };
    let mut builder = model.checker().threads(threads);
    // Stateright applies symmetry in dfs and simulation only; bfs, which
    // finds the shortest counterexamples, always searches the full space.
    if options.symmetry && scenario.group.assignment == Assignment::Group {
        builder = builder.symmetry_fn(model::symmetry::representative);
    }
    if let Some(depth) = options.max_depth {
        builder = builder.target_max_depth(depth);
    }
    let timeout = match (options.timeout, options.search) {
        (None, Search::Simulation) => Some(DEFAULT_SIMULATION_TIMEOUT),
        (t, _) => t,
    };
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    let start = Instant::now();
    let label = scenario.name.as_str();
    match options.search {
        Search::Bfs => finish(builder.spawn_bfs(), scenario, options, timeout, start, label),
        Search::Dfs => finish(builder.spawn_dfs(), scenario, options, timeout, start, label),
        Search::Simulation => {
            let checker = builder.spawn_simulation(0, stateright::UniformChooser);
            finish(checker, scenario, options, timeout, start, label)
        }
    }
}

type KafkaPath = stateright::Path<KafkaState, <KafkaModel as Model>::Action>;

/// A shortest counterexample of one property.
///
/// Stateright's breadth-first search records a discovery for every violating
/// state it visits, each replacing the last, until every property has one; a
/// search that goes on to prove other properties therefore reports a deep
/// counterexample, not the first. A search for this property alone stops at
/// its first discovery, which breadth-first order makes a shortest one.
/// Eventually properties are searched in their invariant form, so the first
/// terminal state that misses the goal is the discovery.
///
/// The counterexample the first search found bounds the depth, which bounds
/// the work: no deeper state needs a visit. One thread keeps the order
/// strictly breadth-first (and the trace deterministic).
fn shortest_counterexample(
    scenario: &Scenario,
    property: &properties::Property,
    options: &Options,
    found: Option<&KafkaPath>,
) -> Option<KafkaPath> {
    // Stateright skips states at depth >= the target; the path's last state is at actions + 1.
    let found_depth = found.map(|path| path.clone().into_actions().len() + 2);
    let depth = match (options.max_depth, found_depth) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut builder = model::build(scenario).only(property).checker();
    if let Some(depth) = depth {
        builder = builder.target_max_depth(depth);
    }
    builder.spawn_bfs().join().discovery(property.name)
}

/// A simulation's discoveries, with their paths. Rebuilding a simulation's
/// path replays the action indices it recorded; should that fail (it
/// panics inside Stateright), no discovery can be trusted to name its
/// property, so none is reported: a simulation claims nothing it cannot show.
fn simulation_discoveries<C: Checker<KafkaModel>>(checker: &C) -> HashMap<&'static str, KafkaPath> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| checker.discoveries()));
    std::panic::set_hook(quiet);
    found.unwrap_or_default()
}

fn finish<C: Checker<KafkaModel> + Sync>(
    checker: C,
    scenario: &Scenario,
    options: &Options,
    timeout: Option<Duration>,
    start: Instant,
    label: &str,
) -> Outcome {
    let mut checker = checker;
    let handles = checker.handles();
    let (finished, wait) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        if let Some(report) = options.progress {
            let checker = &checker;
            scope.spawn(move || {
                // Wakes once a second until the search threads are joined.
                while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(Duration::from_secs(1)) {
                    let secs = start.elapsed().as_secs_f64();
                    let states = checker.unique_state_count();
                    // Numbers first: a terminal's in-place line is cut at its end.
                    report(&format!(
                        "{states} states, {:.0} states/s, depth {}, {secs:.0}s elapsed — {label}",
                        states as f64 / secs,
                        checker.max_depth()
                    ));
                }
            });
        }
        for h in handles {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
        drop(finished);
    });
    let seconds = start.elapsed().as_secs_f64();
    let model = checker.model();
    let discoveries = match options.search {
        Search::Simulation => simulation_discoveries(&checker),
        Search::Bfs | Search::Dfs => checker.discoveries(),
    };
    let timed_out = timeout.is_some_and(|t| start.elapsed() >= t);
    let depth_cut = options.max_depth.is_some_and(|d| checker.max_depth() >= d);
    let stopped_early = discoveries.len() == properties::ALL.len();
    let complete = options.search != Search::Simulation && !timed_out && !depth_cut && !stopped_early;
    let properties = properties::ALL
        .iter()
        .map(|p| {
            let (verdict, trace, actions) = match discoveries.get(p.name) {
                Some(found) => {
                    // The search's own path is a fallback: simulation and
                    // DFS paths are not shortest, and a simulation path can
                    // replay wrongly (its action indices skip refused steps).
                    let replays = |path: &KafkaPath| !(p.invariant)(model, path.last_state());
                    let path = shortest_counterexample(scenario, p, options, Some(found))
                        .or_else(|| replays(found).then(|| found.clone()));
                    let trace = path.as_ref().map(|path| {
                        let violation = (p.explain)(model, path.last_state());
                        trace::trace(model, path, violation)
                    });
                    (Verdict::Violated, trace, path.map(|p| p.into_actions()))
                }
                None if complete => (Verdict::Holds, None, None),
                None => (Verdict::Unknown, None, None),
            };
            PropertyOutcome {
                id: p.id,
                name: p.name,
                kind: p.kind.name(),
                verdict,
                expected: scenario.expected(p.name),
                trace,
                actions,
                on_broker: None,
            }
        })
        .collect();
    Outcome {
        complete,
        unique_states: checker.unique_state_count(),
        max_depth: checker.max_depth(),
        seconds,
        properties,
    }
}
