//! The depth-first proving search (`--search dfs`, the default), on every
//! thread `--threads` gives it.
//!
//! It visits the states Stateright 0.31's depth-first checker visits
//! (`src/checker/dfs.rs`), in the same order on one thread, and judges the
//! properties as it does, so every verdict, unique state count and depth
//! is the same; what it does not do is Stateright's per-state bookkeeping,
//! which a profile of at-least-once N=16 put at a fifth of the instructions:
//!
//! - Stateright queues every state with the list of action indices that
//!   reached it, copied for every successor (a state 400 steps deep copies
//!   400 words and allocates). Here the search keeps a stack of frames, one
//!   per state on the current path, each holding the successors not yet
//!   visited; the path to the state being checked is the action each frame
//!   took, read only when a property is violated.
//! - Stateright looks every property up in a `DashMap` of discoveries
//!   (SipHash) in every state, and goes on checking an `always` property
//!   already violated, overwriting its counterexample with each later one.
//!   Here a property is checked until its first counterexample, which stays:
//!   the verdict is the same, and the trace reported is the breadth-first
//!   search's shortest one anyway ([`super::levels`]).
//! - A search stopped from outside (`--timeout`, `--max-memory`) just ends:
//!   no stopped model that drains its queue ([`super::stoppable`]), and no
//!   terminal state that is only an artefact of the stop.
//!
//! What stays Stateright's: a state's successors are generated and
//! deduplicated together when it is checked (a successor already generated
//! is not queued again, and makes its parent non-terminal), pushed in action
//! order and visited last first; an `eventually` property is judged along
//! each path (satisfied once its condition held on the path, violated at a
//! terminal state of a path where it never did); symmetry reduction
//! deduplicates by the representative's fingerprint but walks on with the
//! state itself, so the path stays one the model can replay; states at the
//! target depth or deeper are counted but not checked; and fingerprints are
//! its (see [`super::levels`]).
//!
//! Threads share work as Stateright's do, by giving away pending states,
//! but only when a thread is idle: a busy thread, every [`SHARE_EVERY`]
//! states, hands the shallowest frame's successors (the largest subtrees)
//! to the queue with the path to each, the one place a path is copied. A
//! complete search visits the same states on any number of threads; which
//! path first reaches a state, and so the depth counted, can differ.

use super::budget::{self, Limits, Reached, Reporter, Stop};
use super::graph::{self, Edge, Generated, Graph, Index, Recorder};
use super::levels::{self, Fingerprint};
use super::search::Searched;
use crate::model::{KafkaAction, KafkaModel, KafkaState};
use stateright::{Expectation, Model};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// How many states a thread checks between looks at whether another is idle.
const SHARE_EVERY: usize = 1500;

/// A symmetry reduction's representative of a state.
pub type Representative = fn(&KafkaState) -> KafkaState;

/// The properties still unviolated along a path, as Stateright's search
/// tracks its `eventually` properties: bit `i` is property `i`, set while
/// its condition has not yet held on the path.
type Pending = u64;

/// A state waiting to be checked, with the path to it.
struct Job {
    state: KafkaState,
    /// Its number in the recorded graph.
    number: Index,
    /// The initial state's number, then the action numbers from it.
    path: Vec<u32>,
    pending: Pending,
    depth: usize,
}

/// The successors of a state on the current path that are still to be
/// visited (last first), and the action taken from it to the next frame's state.
struct Frame {
    /// Each with the action's number and the state's number.
    successors: Vec<(KafkaState, u32, Index)>,
    taken: u32,
    /// The `eventually` properties whose condition never held on the path to here.
    pending: Pending,
}

/// What the threads share.
struct Shared<'a> {
    model: &'a KafkaModel,
    symmetry: Option<Representative>,
    target_depth: Option<usize>,
    stop: &'a Stop,
    generated: Generated,
    /// The state graph for the shortest counterexamples ([`graph`]).
    recorder: Recorder,
    /// Per property, the path of its first violation.
    found: Mutex<Vec<Option<Vec<u32>>>>,
    /// Bit `i` set once property `i` has one (read without the lock, in every state).
    found_bits: AtomicU64,
    /// Every property's bit.
    all_bits: u64,
    /// The deepest state checked so far (each thread adds its own now and then).
    depth: AtomicUsize,
    queue: Mutex<Queue>,
    work: Condvar,
    threads: usize,
    /// Threads waiting for work (read without the lock by busy threads).
    idle: AtomicUsize,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    idle: usize,
    done: bool,
}

/// How far a running search got, for the watcher's progress lines.
struct Progress {
    states: AtomicUsize,
    depth: AtomicUsize,
}

/// The proving search of `model`'s properties, depth-first on up to
/// `threads` threads, under `limits`.
pub fn search(
    model: KafkaModel,
    threads: usize,
    symmetry: Option<Representative>,
    target_depth: Option<usize>,
    limits: Limits,
    phase: &str,
    reporter: &Reporter,
) -> Searched {
    assert!(model.properties.len() <= Pending::BITS as usize, "a property bit per property");
    let model = Arc::new(model);
    let stop = Arc::new(Stop::default());
    let progress = Arc::new(Progress { states: AtomicUsize::new(0), depth: AtomicUsize::new(0) });
    let result = Arc::new(Mutex::new(None));
    // The graph serves only where the breadth-first search sees the states
    // this one does ([`graph`]), and is given up past an eighth of the memory limit.
    let graph_cap = (symmetry.is_none() && target_depth.is_none())
        .then(|| limits.memory.map_or(usize::MAX, |limit| usize::try_from(limit / 8).unwrap_or(usize::MAX)));
    let handle = {
        let (model, stop, progress, result) = (model.clone(), stop.clone(), progress.clone(), result.clone());
        std::thread::spawn(move || {
            let found = run(&model, threads.max(1), symmetry, target_depth, graph_cap, &stop, &progress);
            *result.lock().unwrap_or_else(|e| e.into_inner()) = Some(found);
        })
    };
    let counts = || Reached {
        states: progress.states.load(Ordering::Relaxed),
        depth: progress.depth.load(Ordering::Relaxed),
    };
    let stopped = budget::watch(vec![handle], &counts, &stop, limits, phase, reporter);
    let (found, reached, graph) =
        result.lock().unwrap_or_else(|e| e.into_inner()).take().expect("the search ended");
    let model = Arc::try_unwrap(model).unwrap_or_else(|shared| (*shared).clone());
    let discoveries = model
        .properties
        .iter()
        .zip(found)
        .filter_map(|(p, path)| Some((p.name, levels::replay(&model, &path?))))
        .collect();
    Searched {
        discoveries,
        stopped: stopped.map(|(reason, _)| reason),
        reached: stopped.map_or(reached, |(_, at_stop)| at_stop),
        model,
        graph: graph.filter(|_| stopped.is_none()),
    }
}

/// The search itself: per property, the path of its first violation, how
/// far it got, and the graph if one was recorded (`graph_cap`: its limit).
fn run(
    model: &KafkaModel,
    threads: usize,
    symmetry: Option<Representative>,
    target_depth: Option<usize>,
    graph_cap: Option<usize>,
    stop: &Stop,
    progress: &Progress,
) -> (Vec<Option<Vec<u32>>>, Reached, Option<Graph>) {
    let eventually = model
        .properties
        .iter()
        .enumerate()
        .filter(|(_, p)| p.expectation == Expectation::Eventually)
        .fold(0, |bits, (i, _)| bits | 1 << i);
    let shared = Shared {
        model,
        symmetry,
        target_depth,
        stop,
        generated: Generated::new(graph_cap.is_some()),
        recorder: Recorder::new(graph_cap),
        found: Mutex::new(vec![None; model.properties.len()]),
        found_bits: AtomicU64::new(0),
        all_bits: (1u64 << model.properties.len()) - 1,
        depth: AtomicUsize::new(0),
        queue: Mutex::new(Queue::default()),
        work: Condvar::new(),
        threads,
        idle: AtomicUsize::new(0),
    };
    let mut jobs = Vec::new();
    let mut initial = Vec::new();
    for (number, state) in model.init_states().into_iter().enumerate() {
        let (_, index) = shared.generated.insert(shared.fingerprint(&state));
        initial.push(index);
        jobs.push(Job { state, number: index, path: vec![number as u32], pending: eventually, depth: 1 });
    }
    // Stateright's stack: the last initial state is checked first.
    shared.queue.lock().unwrap_or_else(|e| e.into_inner()).jobs = jobs;
    let report = || {
        progress.states.store(shared.generated.len(), Ordering::Relaxed);
        progress.depth.store(shared.depth.load(Ordering::Relaxed), Ordering::Relaxed);
    };
    if threads == 1 {
        shared.work_on(&report);
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| shared.work_on(&report));
            }
        });
    }
    report();
    let reached = Reached { states: shared.generated.len(), depth: shared.depth.load(Ordering::Relaxed) };
    // A search that ended early (every property found) left states unexpanded.
    if shared.finished() {
        shared.recorder.give_up();
    }
    let names = model.properties.iter().map(|p| p.name).collect();
    let states = shared.generated.len();
    drop(shared.generated);
    let graph = shared.recorder.graph(states, initial, names);
    (shared.found.into_inner().unwrap_or_else(|e| e.into_inner()), reached, graph)
}

impl Shared<'_> {
    fn fingerprint(&self, state: &KafkaState) -> Fingerprint {
        match self.symmetry {
            Some(representative) => levels::fingerprint(&representative(state)),
            None => levels::fingerprint(state),
        }
    }

    fn finished(&self) -> bool {
        self.stop.raised() || self.found_bits.load(Ordering::Relaxed) == self.all_bits
    }

    /// One thread's work: jobs from the queue until none is left anywhere.
    fn work_on(&self, report: &dyn Fn()) {
        let mut local = Local::default();
        while let Some(job) = self.next_job() {
            self.depth_first(job, &mut local, report);
        }
        self.depth.fetch_max(local.depth, Ordering::Relaxed);
        self.recorder.hand_in(std::mem::take(&mut local.part));
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.done = true;
        self.work.notify_all();
    }

    /// The next job, waiting for one while another thread is busy; `None`
    /// once every thread is idle with the queue empty, or the search is over.
    fn next_job(&self) -> Option<Job> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if queue.done || self.finished() {
                queue.done = true;
                self.work.notify_all();
                return None;
            }
            if let Some(job) = queue.jobs.pop() {
                return Some(job);
            }
            queue.idle += 1;
            if queue.idle == self.threads {
                queue.done = true;
                self.work.notify_all();
                return None;
            }
            self.idle.fetch_add(1, Ordering::Relaxed);
            queue = self.work.wait(queue).unwrap_or_else(|e| e.into_inner());
            self.idle.fetch_sub(1, Ordering::Relaxed);
            queue.idle -= 1;
        }
    }

    /// Checks the job's state and everything below it not generated before,
    /// giving work away when another thread is idle. Every [`SHARE_EVERY`]
    /// states it looks at the stop and the discoveries, as Stateright's
    /// threads do between blocks of as many states.
    fn depth_first(&self, job: Job, local: &mut Local, report: &dyn Fn()) {
        let Job { state, number, path: base, pending, depth: job_depth } = job;
        let mut stack: Vec<Frame> = Vec::new();
        let mut next = Some((state, number, pending));
        loop {
            if let Some((state, number, pending)) = next.take() {
                let depth = job_depth + stack.len();
                local.depth = local.depth.max(depth);
                if let Some(frame) = self.check(state, number, pending, depth, local, || path(&base, &stack))
                {
                    stack.push(frame);
                }
                local.checked += 1;
                if local.checked.is_multiple_of(SHARE_EVERY) {
                    self.depth.fetch_max(local.depth, Ordering::Relaxed);
                    self.report_graph(local);
                    if self.finished() {
                        return;
                    }
                    report();
                    if self.threads > 1 && self.idle.load(Ordering::Relaxed) > 0 {
                        self.share(&base, &mut stack, job_depth);
                    }
                }
            }
            let Some(top) = stack.last_mut() else { return };
            match top.successors.pop() {
                Some((state, action, number)) => {
                    top.taken = action;
                    next = Some((state, number, top.pending));
                }
                None => {
                    stack.pop();
                }
            }
        }
    }

    /// Gives the successors of the shallowest frame that has any to the
    /// queue, each with its path (the job's `base` path and depth; the
    /// stack's frames below the donor keep their own). With only the
    /// deepest frame holding successors, half of them go.
    fn share(&self, base: &[u32], stack: &mut [Frame], depth_of_job: usize) {
        let Some(at) = stack.iter().position(|f| !f.successors.is_empty()) else { return };
        let keep = if at + 1 == stack.len() { stack[at].successors.len().div_ceil(2) } else { 0 };
        if stack[at].successors.len() <= keep {
            return;
        }
        let mut prefix = path(base, &stack[..at]);
        prefix.push(0);
        let frame = &mut stack[at];
        let given: Vec<Job> = frame
            .successors
            .drain(..frame.successors.len() - keep)
            .map(|(state, action, number)| {
                *prefix.last_mut().expect("the action's place") = action;
                let depth = depth_of_job + at + 1;
                Job { state, number, path: prefix.clone(), pending: frame.pending, depth }
            })
            .collect();
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        // Pushed so the last given (the next this thread would have taken) is popped first.
        queue.jobs.extend(given);
        self.work.notify_all();
    }

    /// Checks one state at `depth` (the properties, then its successors):
    /// the frame of its successors not generated before, unless it is at
    /// the target depth. While the graph is recorded, the state's edges go
    /// into this thread's part, with the properties whose counterexample
    /// can end here as [`super::levels`] judges them.
    fn check(
        &self,
        state: KafkaState,
        number: Index,
        pending: Pending,
        depth: usize,
        local: &mut Local,
        path: impl Fn() -> Vec<u32>,
    ) -> Option<Frame> {
        if self.target_depth.is_some_and(|target| depth >= target) {
            return None;
        }
        let model = self.model;
        let recording = self.recorder.is_recording();
        // A property with a counterexample is not checked again, unless the
        // graph needs every state where an `always` one fails.
        let found = self.found_bits.load(Ordering::Relaxed);
        let skipped = if recording { 0 } else { found };
        let mut pending = pending & !found;
        let mut violated: Pending = 0;
        let mut eventually: Pending = 0;
        for (i, property) in model.properties.iter().enumerate() {
            let bit = 1 << i;
            if skipped & bit != 0 {
                continue;
            }
            let holds = || (property.condition)(model, &state);
            match property.expectation {
                Expectation::Always if !holds() => violated |= bit,
                Expectation::Sometimes if holds() => violated |= bit,
                Expectation::Eventually => {
                    eventually |= bit;
                    if pending & bit != 0 && holds() {
                        pending &= !bit;
                    }
                }
                _ => {}
            }
        }
        let mut actions: Vec<KafkaAction> = Vec::new();
        model.actions(&state, &mut actions);
        // No step within the boundary (Stateright's terminal state), and no step at all.
        let (mut terminal, mut stuck) = (true, true);
        let mut successors = Vec::new();
        local.edges.clear();
        for (action_number, action) in actions.into_iter().enumerate() {
            let Some(next) = model.next_state(&state, action) else { continue };
            stuck = false;
            if !model.within_boundary(&next) {
                continue;
            }
            terminal = false;
            let (new, next_number) = self.generated.insert(self.fingerprint(&next));
            if recording {
                local.edges.push(Edge { target: next_number, action: action_number as u32 });
            }
            if new {
                successors.push((next, action_number as u32, next_number));
            }
        }
        if recording {
            let mut ends_here = violated & !eventually;
            if stuck {
                let goal_missed = model.properties.iter().enumerate().filter(|&(i, property)| {
                    eventually & (1 << i) != 0 && !(property.condition)(model, &state)
                });
                ends_here |= goal_missed.fold(0, |bits, (i, _)| bits | 1 << i);
            }
            if number >= Index::MAX - 2 || !local.part.add(number, &local.edges, ends_here) {
                self.recorder.give_up();
            }
        }
        if terminal {
            violated |= pending;
        }
        violated &= !found;
        if violated != 0 {
            self.record(violated, path);
        }
        Some(Frame { successors, taken: 0, pending })
    }

    /// Adds this thread's graph growth to the recorder's count, or frees
    /// the thread's part once the graph was given up.
    fn report_graph(&self, local: &mut Local) {
        if self.recorder.is_recording() {
            let bytes = local.part.bytes();
            self.recorder.grew(bytes - local.reported);
            local.reported = bytes;
        } else if local.reported > 0 || local.part.bytes() > 0 {
            local.part = graph::Part::default();
            local.reported = 0;
        }
    }

    /// Records `path` as the counterexample of each property in `violated` that has none yet.
    fn record(&self, violated: Pending, path: impl Fn() -> Vec<u32>) {
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        let path = path();
        for (i, slot) in found.iter_mut().enumerate() {
            if violated & (1 << i) != 0 && slot.is_none() {
                *slot = Some(path.clone());
            }
        }
        self.found_bits.fetch_or(violated, Ordering::Relaxed);
    }
}

/// A thread's own counts, added to the shared ones now and then.
#[derive(Default)]
struct Local {
    checked: usize,
    depth: usize,
    /// The graph this thread recorded, and its size at the last report.
    part: graph::Part,
    reported: usize,
    /// The edges of the state being checked.
    edges: Vec<Edge>,
}

/// The path to the state the top frame's taken action leads to: the job's
/// path, then the action each frame took.
fn path(base: &[u32], stack: &[Frame]) -> Vec<u32> {
    let mut path = Vec::with_capacity(base.len() + stack.len());
    path.extend_from_slice(base);
    path.extend(stack.iter().map(|f| f.taken));
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, Strategy};
    use stateright::Checker;
    use std::time::Instant;

    fn searched(scenario: &Scenario, threads: usize, limits: Limits) -> Searched {
        let reporter = Reporter { progress: None, scenario: "s", start: Instant::now() };
        search(crate::model::build(scenario), threads, None, None, limits, "test", &reporter)
    }

    fn names(s: &Searched) -> Vec<&'static str> {
        let mut names: Vec<&str> = s.discoveries.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// At-most-once, 8 messages, 3 crashes: more states than a thread
    /// checks between looks at an idle one, so work is given away.
    fn amo() -> Scenario {
        Scenario { messages: 8, crashes: 3, strategy: Strategy::AtMostOnce, ..Scenario::default() }
    }

    #[test]
    fn it_visits_the_states_stateright_visits_and_finds_the_same_violations() {
        let open = Limits { deadline: None, memory: None };
        let ours = searched(&amo(), 1, open);
        let theirs = crate::model::build(&amo()).checker().spawn_dfs().join();
        assert_eq!(ours.reached.states, theirs.unique_state_count());
        assert_eq!(ours.reached.depth, theirs.max_depth());
        let mut expected: Vec<&str> = theirs.discoveries().keys().copied().collect();
        expected.sort_unstable();
        assert_eq!(names(&ours), expected);
        assert_eq!(names(&ours), ["all-processed", "no-loss"]);
        for (name, path) in &ours.discoveries {
            let id = crate::properties::PropertyId::from_name(name).unwrap();
            assert!(!(id.property().invariant)(&ours.model, path.last_state()), "{name} ends in a violation");
        }
    }

    #[test]
    fn three_threads_visit_the_same_states_as_one() {
        let open = Limits { deadline: None, memory: None };
        let one = searched(&amo(), 1, open);
        let three = searched(&amo(), 3, open);
        assert!(one.reached.states > 10 * SHARE_EVERY, "{:?}", one.reached);
        assert_eq!(one.reached.states, three.reached.states);
        assert_eq!(names(&one), names(&three));
    }

    #[test]
    fn a_search_past_its_deadline_stops_and_says_so() {
        let late = Limits { deadline: Some(Instant::now()), memory: None };
        let stopped = searched(&Scenario { messages: 40, ..amo() }, 2, late);
        assert_eq!(stopped.stopped, Some(super::super::budget::StopReason::Timeout));
        for (name, path) in &stopped.discoveries {
            let id = crate::properties::PropertyId::from_name(name).unwrap();
            assert!(
                !(id.property().invariant)(&stopped.model, path.last_state()),
                "{name}: no artefact of the stop"
            );
        }
    }
}
