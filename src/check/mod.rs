//! Runs the model checker on a scenario and turns its discoveries into
//! verdicts.
//!
//! A property is `violated` when the checker found a counterexample, `holds`
//! only when the search was complete (every reachable state of the bounded
//! model visited), and `unknown` otherwise. Stateright stops as soon as every
//! property has a discovery and also stops at a depth or time limit, so
//! completeness is tracked here, not assumed from `is_done`.
//!
//! A check is two searches under one budget ([`budget`]): the proving
//! search (`--search`), then one breadth-first search, level by level on
//! the same threads ([`levels`]), for a shortest counterexample of each property the first one violated
//! (over the state graph the proving search recorded, where it did: [`graph`]) and, when
//! the first stopped at a limit, for shallow counterexamples of the
//! properties it left unknown (a depth-first search that runs out of time
//! deep in the space can miss a violation a few steps from the start).
//! `--timeout` bounds both together: the proving search gets its first half
//! and the breadth-first search whatever is left; `--max-memory` bounds
//! each. An incomplete check says why and how far it got ([`Incomplete`]).

mod budget;
mod depth_first;
mod graph;
mod levels;
pub mod memory;
mod search;
mod stoppable;

pub use budget::{Reached, StopReason};

use crate::model::KafkaAction;
use crate::properties::{self, PropertyId};
use crate::scenario::Scenario;
use crate::trace::{self, Trace};
use crate::verdict::{Expectation, Verdict};
use budget::{Limits, Reporter};
use search::{KafkaPath, Searched};
use std::time::{Duration, Instant};

/// Which search proves the properties. Whichever it is, each
/// counterexample reported is a shortest one, found by the level-by-level
/// breadth-first search of [`levels`], the same on any number of threads.
///
/// A Stateright search's first violation need not be a shortest one on two
/// threads or more: its threads share work by splitting a queue into
/// blocks for the others (`src/job_market.rs`, `split_and_push` in
/// `src/checker/bfs.rs`), so a state at depth d can be checked before every
/// state at depth d - 1 was. The proving search's answer does not depend on
/// that order: a
/// complete search visits the same reachable states (its unique state
/// count is the same on any number of threads), and a violation is a
/// violation. Only the count of a search stopped early (every property
/// already violated, or a limit) can differ from run to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Search {
    /// Breadth-first: complete; keeps a path per queued state, so it is the slower prover.
    Bfs,
    /// Depth-first ([`depth_first`], kafkacheck's own, on every thread):
    /// complete, about twice as fast per state here, and the only complete
    /// search that uses symmetry reduction.
    Dfs,
    /// Random walks: never complete, so a property it does not violate is `unknown`.
    Simulation,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub search: Search,
    pub threads: usize,
    pub max_depth: Option<usize>,
    /// The wall time of a scenario's whole check, every search included.
    pub timeout: Option<Duration>,
    /// The resident memory (bytes) at which a search stops
    /// ([`memory::default_limit`] is the command line's default).
    pub max_memory: Option<u64>,
    /// Merge states that differ only in which consumer is which, where that
    /// is sound (group assignment) and the search supports it (dfs, simulation).
    pub symmetry: bool,
    /// Where progress goes on runs longer than a second (stderr in the CLI).
    pub progress: Option<fn(&Progress)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            search: Search::Dfs,
            threads: 1,
            max_depth: None,
            timeout: None,
            max_memory: None,
            symmetry: true,
            progress: None,
        }
    }
}

/// The checker threads `check` uses by default: the cores this process may
/// run on ([`std::thread::available_parallelism`], which counts the CPU
/// affinity mask and, on Linux, the cgroup's CPU quota, so a CI container
/// limited to two CPUs gets two), and one where that cannot be read.
///
/// [`Options::default`] keeps one thread: a library caller (the model
/// tests, the Explorer, `live`) gets the deterministic state counts of a
/// one-threaded search, and asks for more explicitly.
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// How long a simulation runs when no `--timeout` is given: it has no end of its own.
pub const DEFAULT_SIMULATION_TIMEOUT: Duration = Duration::from_secs(10);

/// How far a running check has got, once a second.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    pub scenario: &'a str,
    /// `proving`, or the breadth-first search and the properties it looks for.
    pub phase: &'a str,
    pub states: usize,
    pub depth: usize,
    /// Of the current search.
    pub states_per_second: f64,
    /// Since the scenario's check began.
    pub elapsed: Duration,
}

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
    /// Whether the trace is a shortest counterexample (the breadth-first
    /// search's). False only for the proving search's own path, kept when a
    /// bounded breadth-first search ran out of budget before reaching the
    /// violation: then the trace is longer than it may need to be, and every
    /// output says so.
    pub shortest: bool,
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
    /// The wall time of the whole check: every search, and the traces.
    pub seconds: f64,
    pub properties: Vec<PropertyOutcome>,
    /// Why the search was not complete, and how far it got (`None` when complete).
    pub incomplete: Option<Incomplete>,
}

/// Why a check was not complete and how far it got: what an `unknown`
/// verdict rests on.
#[derive(Clone, Debug, PartialEq)]
pub struct Incomplete {
    /// Why the proving search stopped.
    pub reason: StopReason,
    /// How far the proving search got.
    pub reached: Reached,
    /// The limit reached, for the limits a user sets: `1 GiB`, `12` (a
    /// depth), and for `--timeout` where the proving search stopped.
    pub limit: Option<String>,
    /// The breadth-first search after it, when it looked for the properties left unknown.
    pub breadth_first: Option<BreadthFirst>,
}

/// How far the breadth-first search for the properties left unknown got.
#[derive(Clone, Debug, PartialEq)]
pub struct BreadthFirst {
    /// Why it stopped (`max-depth` when it reached `--max-depth`).
    pub reason: StopReason,
    pub reached: Reached,
    /// No counterexample of a property still unknown has this many steps or
    /// fewer: every state this close to the start was checked.
    pub clear_within: usize,
}

impl Incomplete {
    /// One line for people: `timeout: the proving search stopped at 15 s of
    /// --timeout 30 s, 1,234,567 states, depth 40; breadth-first: no
    /// counterexample within 14 steps (timeout, 301,113 states)`.
    pub fn message(&self) -> String {
        let why = match (self.reason, &self.limit) {
            (StopReason::Timeout, Some(limit)) => format!("timeout: {limit}"),
            (StopReason::MaxMemory, Some(limit)) => format!("max-memory {limit} reached"),
            (StopReason::MaxDepth, Some(limit)) => format!("max-depth {limit} reached"),
            (StopReason::Timeout | StopReason::MaxMemory | StopReason::MaxDepth, None) => {
                self.reason.name().to_string()
            }
            (StopReason::Simulation, _) => "simulation (random walks prove nothing)".into(),
            (StopReason::AllDiscovered, _) => {
                "stopped early: every property already had a counterexample".into()
            }
        };
        let mut line =
            format!("{why}, {} states, depth {}", grouped(self.reached.states), self.reached.depth);
        if let Some(b) = self.breadth_first.as_ref().filter(|b| b.clear_within > 0) {
            line.push_str(&format!(
                "; breadth-first: no counterexample within {} steps ({}, {} states)",
                b.clear_within,
                b.reason.name(),
                grouped(b.reached.states)
            ));
        }
        line
    }
}

/// `1234567` as `1,234,567`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Outcome {
    pub fn all_match(&self) -> bool {
        self.properties.iter().all(PropertyOutcome::matches)
    }
}

/// Checks one scenario.
pub fn check(scenario: &Scenario, options: &Options) -> Outcome {
    let start = Instant::now();
    let reporter = Reporter { progress: options.progress, scenario: &scenario.name, start };
    let plan = Plan::new(options, start);
    let mut proved = search::prove(scenario, options, plan.proving, plan.walks, &reporter);
    memory::release_freed();
    let reason = stop_reason(&proved, options);
    // A depth-first search stopped at a limit may have missed shallow
    // violations; a breadth-first search stopped at one has checked every
    // state up to its depth already, and a simulation is what was asked for.
    let look_for_unknown = options.search == Search::Dfs
        && matches!(reason, Some(StopReason::Timeout | StopReason::MaxMemory | StopReason::MaxDepth));
    let wanted: Vec<&'static properties::Property> = properties::ALL
        .iter()
        .filter(|p| look_for_unknown || proved.discoveries.contains_key(p.name))
        .collect();
    let graph = proved.graph.take().filter(|_| reason.is_none());
    let breadth_first = (!wanted.is_empty()).then(|| {
        let depth = breadth_first_depth(&wanted, &proved, options.max_depth);
        let model = crate::model::build(scenario);
        // The proving search's graph, where it recorded one: the same
        // counterexamples without generating the states again.
        let searched = match &graph {
            Some(graph) => graph.search(model, &wanted, depth),
            None => {
                let phase = breadth_first_phase(&wanted, look_for_unknown);
                levels::search(model, &wanted, options.threads, depth, plan.rest, &phase, &reporter)
            }
        };
        (searched, depth)
    });
    drop(graph);
    memory::release_freed();
    let unknown_search = breadth_first.as_ref().filter(|_| look_for_unknown);
    let mut incomplete = reason.map(|reason| Incomplete {
        reason,
        reached: proved.reached,
        limit: limit_text(reason, options),
        breadth_first: match unknown_search {
            Some((b, depth)) => breadth_first_reach(b, *depth),
            // A breadth-first proving search on one thread is one too.
            None if options.search == Search::Bfs && options.threads <= 1 => {
                breadth_first_reach(&proved, options.max_depth)
            }
            None => None,
        },
    });
    // A breadth-first search that ran out of states proved what it did not violate.
    let exhausted = unknown_search.filter(|(b, depth)| ended_on_its_own(b, *depth)).map(|(b, _)| b.reached);
    if exhausted.is_some() {
        incomplete = None;
    }
    let properties =
        verdicts(scenario, &proved, breadth_first.as_ref().map(|(b, _)| b), incomplete.is_none());
    let reached = exhausted.unwrap_or(proved.reached);
    Outcome {
        complete: incomplete.is_none(),
        unique_states: reached.states,
        max_depth: reached.depth,
        seconds: start.elapsed().as_secs_f64(),
        properties,
        incomplete,
    }
}

/// The limits of each search of a check.
struct Plan {
    proving: Limits,
    /// How long a simulation walks.
    walks: Duration,
    /// The breadth-first search's: what is left of the whole budget.
    rest: Limits,
}

impl Plan {
    /// The proving search gets the first half of `--timeout`, so that its
    /// counterexamples get shortest traces and, if it stops there, shallow
    /// counterexamples are looked for in the second half. A simulation's
    /// walks end by Stateright's own timeout (a stopped simulation would go
    /// on walking from the initial state), without `--timeout` after
    /// [`DEFAULT_SIMULATION_TIMEOUT`] with an unbounded time for its traces,
    /// as every search without `--timeout` has.
    ///
    /// The breadth-first search stops a twentieth of `--timeout` before the
    /// end: once stopped it still drains its queue (with 30 s, some 400,000
    /// states of a group scenario took a second), and the traces follow.
    fn new(options: &Options, start: Instant) -> Plan {
        let half = options.timeout.map(|t| t / 2);
        let end = options.timeout.map(|t| start + t - t / 20);
        let proving = match options.search {
            // Walks keep no states but the current walk's, so they need no memory limit.
            Search::Simulation => Limits { deadline: None, memory: None },
            Search::Bfs | Search::Dfs => {
                Limits { deadline: half.map(|h| start + h), memory: options.max_memory }
            }
        };
        Plan {
            proving,
            walks: half.unwrap_or(DEFAULT_SIMULATION_TIMEOUT),
            rest: Limits { deadline: end, memory: options.max_memory },
        }
    }
}

/// What the progress lines call the breadth-first search.
fn breadth_first_phase(wanted: &[&'static properties::Property], look_for_unknown: bool) -> String {
    match wanted {
        _ if look_for_unknown => "breadth-first search for shallow counterexamples".to_string(),
        [one] => format!("shortest counterexample for {}", one.name),
        more => {
            let names: Vec<&str> = more.iter().map(|p| p.name).collect();
            format!("shortest counterexamples for {}", names.join(", "))
        }
    }
}

/// Why the proving search did not visit every reachable state, if it did not.
fn stop_reason(proved: &Searched, options: &Options) -> Option<StopReason> {
    if options.search == Search::Simulation {
        return Some(StopReason::Simulation);
    }
    if proved.stopped.is_some() {
        return proved.stopped;
    }
    if options.max_depth.is_some_and(|d| proved.reached.depth >= d) {
        return Some(StopReason::MaxDepth);
    }
    (proved.discoveries.len() == properties::ALL.len()).then_some(StopReason::AllDiscovered)
}

/// The breadth-first search's depth target: the deepest of the proving
/// search's counterexamples when it looks for those only (no deeper state
/// needs a visit: a shortest one is no longer), and `--max-depth` in any case.
/// (Stateright skips states at depth >= the target; a path's last state is at
/// its number of actions + 1.)
fn breadth_first_depth(
    wanted: &[&'static properties::Property],
    proved: &Searched,
    max_depth: Option<usize>,
) -> Option<usize> {
    let found: Option<Vec<usize>> = wanted
        .iter()
        .map(|p| proved.discoveries.get(p.name).map(|path| path.clone().into_actions().len() + 2))
        .collect();
    match (max_depth, found.and_then(|depths| depths.into_iter().max())) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a breadth-first search ended because no state was left: not
/// stopped, not at its depth target, and not because every property it
/// looked for was found.
fn ended_on_its_own(searched: &Searched, depth: Option<usize>) -> bool {
    searched.stopped.is_none()
        && depth.is_none_or(|d| searched.reached.depth < d)
        && searched.discoveries.len() < searched.model.properties.len()
}

/// How far the breadth-first search for the properties left unknown got,
/// unless it found them all or ran out of states.
fn breadth_first_reach(searched: &Searched, depth: Option<usize>) -> Option<BreadthFirst> {
    let reason = match searched.stopped {
        Some(reason) => reason,
        None if depth.is_some_and(|d| searched.reached.depth >= d) => StopReason::MaxDepth,
        None => return None,
    };
    // Level by level (the counterexample search on any number of threads,
    // a Stateright bfs on one), a state at depth d is visited only after
    // every state at depth d - 1 was checked: the paths of d - 2 steps or fewer.
    let clear_within = searched.reached.depth.saturating_sub(2);
    Some(BreadthFirst { reason, reached: searched.reached, clear_within })
}

/// The limit a stop reason refers to, as given (`--timeout`: also where the
/// proving search stopped, its half of it).
fn limit_text(reason: StopReason, options: &Options) -> Option<String> {
    let seconds = |t: Duration| {
        let secs = t.as_secs_f64();
        if secs.fract() == 0.0 { format!("{secs:.0} s") } else { format!("{secs} s") }
    };
    match reason {
        StopReason::Timeout => options
            .timeout
            .map(|t| format!("the proving search stopped at {} of --timeout {}", seconds(t / 2), seconds(t))),
        StopReason::MaxMemory => options.max_memory.map(memory::format_size),
        StopReason::MaxDepth => options.max_depth.map(|d| d.to_string()),
        StopReason::Simulation | StopReason::AllDiscovered => None,
    }
}

/// Each property's verdict, with the trace of a shortest counterexample
/// where one was found. The proving search's own path is the fallback when
/// the breadth-first search ran out of budget first: not a shortest one, and
/// a simulation's path can replay wrongly (its action indices skip refused
/// steps), so it is used only if it ends in a violation.
fn verdicts(
    scenario: &Scenario,
    proved: &Searched,
    breadth_first: Option<&Searched>,
    complete: bool,
) -> Vec<PropertyOutcome> {
    let model = &proved.model;
    properties::ALL
        .iter()
        .map(|p| {
            let shortest = breadth_first.and_then(|b| b.discoveries.get(p.name));
            let replays = |path: &&KafkaPath| !(p.invariant)(model, path.last_state());
            let found = proved.discoveries.get(p.name);
            let path: Option<&KafkaPath> = shortest.or_else(|| found.filter(replays));
            let verdict = match (found.or(shortest), complete) {
                (Some(_), _) => Verdict::Violated,
                (None, true) => Verdict::Holds,
                (None, false) => Verdict::Unknown,
            };
            let trace = path.map(|path| {
                let violation = (p.explain)(model, path.last_state());
                trace::trace(model, path, violation)
            });
            PropertyOutcome {
                id: p.id,
                name: p.name,
                kind: p.kind.name(),
                verdict,
                expected: scenario.expected(p.name),
                trace,
                actions: path.map(|p| p.clone().into_actions()),
                shortest: path.is_none() || shortest.is_some(),
                on_broker: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
