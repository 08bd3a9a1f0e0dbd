//! The breadth-first search for shortest counterexamples, level by level
//! on every thread `--threads` gives it.
//!
//! Why not Stateright's breadth-first checker: its queue holds each state
//! with the whole list of action indices that reached it (`Job` in
//! Stateright 0.31's `src/checker/bfs.rs`), copied for every successor, so a
//! counterexample 300 steps deep (at-most-once, 64 messages: the run to the
//! end that shows `all-processed` violated) costs 300 words per state
//! queued; its threads share work in blocks that break breadth-first order,
//! so only one thread found shortest counterexamples; and an `eventually`
//! property's terminal states were found by computing every state's
//! successors a second time (the property's invariant form asks
//! [`crate::properties::is_terminal`]). Here:
//!
//! - one level (every state at one depth) is checked and expanded at a
//!   time, its states split between the threads; a level is finished
//!   before the next begins, so the first violation found is at the
//!   smallest depth whatever the number of threads;
//! - a state's parent is the first state of the level before that reached
//!   it (by position in that level, then by action number), and each
//!   property's counterexample is its first violating state in level order.
//!   Both are what a one-thread FIFO search (the one this replaces) finds,
//!   so traces are the same on any number of threads. The threads claim
//!   successors in one shared map of visited states, where a claim from an
//!   earlier place (`Place`) replaces a later one; once every thread is
//!   done, each keeps the successors whose claim stood, already in level
//!   order. Merging the successors on one thread instead (this module's
//!   first version) left the other threads idle for a fifth of the search
//!   (at-most-once N = 64 K = 3, 2 threads: 5.4 s of 19.4 s), and it freed
//!   on that thread the duplicates the other threads had allocated;
//! - a state keeps only its parent's fingerprint and the index of the
//!   action from it; a counterexample's actions are read back from those
//!   and replayed from the initial state;
//! - a state with no step (every action refused) is terminal: an
//!   `eventually` property's goal is judged there, from the successors the
//!   expansion computes anyway.
//!
//! Fingerprints are 64-bit hashes of the state, as Stateright's are (the
//! same hasher and keys, `stable` in its `src/lib.rs`); two states with the
//! same fingerprint are taken for one, the risk every Stateright search takes.

use super::budget::{self, Limits, Reached, Reporter, Stop};
use super::search::{KafkaPath, Searched};
use crate::model::{KafkaAction, KafkaModel, KafkaState};
use crate::properties::{Kind, Property};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use stateright::Model;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

/// A state's fingerprint: never 0, which marks the initial states' parent.
pub(super) type Fingerprint = u64;

/// Where a state was first reached, in the order of a one-thread FIFO
/// search: its depth, its parent's position in the level before, the
/// action's number from there. Of two claims on one state the smaller
/// stands; a state of an earlier level is never claimed again, since its
/// depth is smaller.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    depth: u32,
    position: u32,
    action: u32,
}

/// How a state was first reached: from `parent`, by the action `place.action`
/// (an initial state: parent 0, and the action is its place among the
/// initial states).
#[derive(Clone, Copy)]
struct Parent {
    parent: Fingerprint,
    place: Place,
}

/// The visited states, keyed by fingerprints: already hashes, used as they are.
type Visited = DashMap<Fingerprint, Parent, BuildHasherDefault<AsIs>>;

#[derive(Default)]
pub(super) struct AsIs(u64);

impl Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(super) fn fingerprint(state: &KafkaState) -> Fingerprint {
    // Stateright's keys (its `stable::hasher`), so the two searches agree
    // on which states are one.
    let keys = ahash::RandomState::with_seeds(123_456_789_987_654_321, 98_765_432_123_456_789, 0, 0);
    keys.hash_one(state).max(1)
}

/// What checking and expanding a run of a level's states found.
#[derive(Default)]
struct Expanded {
    /// Per wanted property, the first of these states (its position in the level) that violates it.
    violations: Vec<Option<usize>>,
    /// The successors within the boundary first reached from these states,
    /// in order, with their fingerprints.
    next: Vec<(KafkaState, Fingerprint)>,
    /// Whether the stop was raised before every state was expanded.
    stopped: bool,
}

/// How far the search got, shared with the watcher that reports progress.
struct Shared {
    states: AtomicUsize,
    depth: AtomicUsize,
}

/// A search for the first violation of each of `wanted`, breadth-first, on
/// up to `threads` threads. Paths stop at `max_depth` as Stateright's do
/// (the initial state is at depth 1; states at the target depth or deeper
/// are not checked). The returned model's properties are `wanted`, as
/// invariants, so a caller can tell how many there were.
pub fn search(
    mut model: KafkaModel,
    wanted: &[&'static Property],
    threads: usize,
    max_depth: Option<usize>,
    limits: Limits,
    phase: &str,
    reporter: &Reporter,
) -> Searched {
    model.properties = wanted.iter().map(|p| stateright::Property::always(p.name, p.invariant)).collect();
    let model = Arc::new(model);
    let stop = Arc::new(Stop::default());
    let shared = Arc::new(Shared { states: AtomicUsize::new(0), depth: AtomicUsize::new(0) });
    let result = Arc::new(Mutex::new(None));
    let handle = {
        let (model, stop, shared, result) = (model.clone(), stop.clone(), shared.clone(), result.clone());
        let wanted = wanted.to_vec();
        std::thread::spawn(move || {
            let found = levels(&model, &wanted, threads.max(1), max_depth, &stop, &shared);
            *result.lock().unwrap_or_else(|e| e.into_inner()) = Some(found);
        })
    };
    let counts = || Reached {
        states: shared.states.load(Ordering::Relaxed),
        depth: shared.depth.load(Ordering::Relaxed),
    };
    let stopped = budget::watch(vec![handle], &counts, &stop, limits, phase, reporter);
    let found = result.lock().unwrap_or_else(|e| e.into_inner()).take().expect("the search ended");
    let model = Arc::try_unwrap(model).unwrap_or_else(|shared| (*shared).clone());
    let discoveries = found.into_iter().map(|(name, actions)| (name, replay(&model, &actions))).collect();
    Searched {
        discoveries,
        stopped: stopped.map(|(reason, _)| reason),
        reached: stopped.map_or_else(counts, |(_, reached)| reached),
        model,
        graph: None,
    }
}

/// The search itself: per property found, the action numbers of its first violation.
fn levels(
    model: &KafkaModel,
    wanted: &[&'static Property],
    threads: usize,
    max_depth: Option<usize>,
    stop: &Stop,
    shared: &Shared,
) -> Vec<(&'static str, Vec<u32>)> {
    let visited = Visited::default();
    let mut level: Vec<(KafkaState, Fingerprint)> = Vec::new();
    for (number, state) in model.init_states().into_iter().enumerate() {
        let fp = fingerprint(&state);
        let place = Place { depth: 1, position: 0, action: number as u32 };
        if visited.insert(fp, Parent { parent: 0, place }).is_none() {
            level.push((state, fp));
        }
    }
    let mut pending: Vec<usize> = (0..wanted.len()).collect();
    let mut found = Vec::new();
    let mut depth = 1;
    while !level.is_empty() && !pending.is_empty() {
        shared.states.store(visited.len(), Ordering::Relaxed);
        shared.depth.store(depth, Ordering::Relaxed);
        if max_depth.is_some_and(|d| depth >= d) || stop.raised() {
            break;
        }
        let fingerprints: Vec<Fingerprint> = level.iter().map(|(_, fp)| *fp).collect();
        let at = Level { depth: depth as u32, fingerprints: &fingerprints };
        let parts = expand(model, wanted, &pending, level, at, &visited, threads, stop);
        // Each property's first violation in level order.
        for (slot, &property) in pending.iter().enumerate() {
            if let Some(at) = parts.iter().find_map(|part| part.violations[slot]) {
                found.push((wanted[property].name, actions_to(&visited, fingerprints[at])));
            }
        }
        pending.retain(|&p| !found.iter().any(|(name, _)| *name == wanted[p].name));
        if parts.iter().any(|part| part.stopped) {
            break;
        }
        let mut next = Vec::with_capacity(parts.iter().map(|part| part.next.len()).sum());
        for mut part in parts {
            next.append(&mut part.next);
        }
        level = next;
        depth += 1;
    }
    shared.states.store(visited.len(), Ordering::Relaxed);
    found
}

/// The level being expanded: its depth and its states' fingerprints, in order.
#[derive(Clone, Copy)]
struct Level<'a> {
    depth: u32,
    fingerprints: &'a [Fingerprint],
}

/// Checks and expands a level, split into runs of states for the threads
/// (a small level is done on this thread: starting threads costs more).
///
/// Each thread drops the states it expanded and the successors it lost
/// the claim to: an allocator frees fastest on the thread that allocated
/// (glibc's, freeing on one thread what others allocated, spent a fifth of
/// the search consolidating its free lists; mimalloc, the binary's, defers
/// such frees to the owning thread).
#[allow(clippy::too_many_arguments)]
fn expand(
    model: &KafkaModel,
    wanted: &[&'static Property],
    pending: &[usize],
    mut level: Vec<(KafkaState, Fingerprint)>,
    at: Level,
    visited: &Visited,
    threads: usize,
    stop: &Stop,
) -> Vec<Expanded> {
    const PER_THREAD: usize = 256;
    let runs = threads.min(level.len() / PER_THREAD).max(1);
    let size = level.len().div_ceil(runs);
    let mut parts = Vec::with_capacity(runs);
    for i in (0..runs).rev() {
        parts.push((i * size, level.split_off((i * size).min(level.len()))));
    }
    parts.reverse();
    let claimed = Barrier::new(runs);
    let run = |(start, states): (usize, Vec<_>)| {
        let positions = start..start + states.len();
        let mut out = expand_run(model, wanted, pending, start, states, at, visited, stop);
        // Every claim is in once every run is here. A run claims a state at
        // most once (its later claims come from later places), so it keeps
        // the successors whose standing claim is from one of its positions.
        claimed.wait();
        out.next.retain(|(_, fp)| {
            let first = visited.get(fp).expect("a claimed state is visited").place;
            positions.contains(&(first.position as usize))
        });
        out
    };
    if runs == 1 {
        return parts.into_iter().map(run).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts.into_iter().map(|part| scope.spawn(|| run(part))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Checks and expands `states`, the level's from position `start` on,
/// claiming their successors in `visited`.
#[allow(clippy::too_many_arguments)]
fn expand_run(
    model: &KafkaModel,
    wanted: &[&'static Property],
    pending: &[usize],
    start: usize,
    states: Vec<(KafkaState, Fingerprint)>,
    level: Level,
    visited: &Visited,
    stop: &Stop,
) -> Expanded {
    let mut out = Expanded { violations: vec![None; pending.len()], ..Expanded::default() };
    let mut actions: Vec<KafkaAction> = Vec::new();
    for (at, (state, _)) in (start..).zip(states) {
        if stop.raised() {
            out.stopped = true;
            break;
        }
        let mut terminal = true;
        model.actions(&state, &mut actions);
        for (number, action) in actions.drain(..).enumerate() {
            let Some(next) = model.next_state(&state, action) else { continue };
            terminal = false;
            if model.within_boundary(&next) {
                let fp = fingerprint(&next);
                let place = Place { depth: level.depth + 1, position: at as u32, action: number as u32 };
                let claim = Parent { parent: level.fingerprints[at], place };
                let first = match visited.entry(fp) {
                    Entry::Vacant(entry) => {
                        entry.insert(claim);
                        true
                    }
                    Entry::Occupied(mut entry) if place < entry.get().place => {
                        entry.insert(claim);
                        true
                    }
                    Entry::Occupied(_) => false,
                };
                if first {
                    out.next.push((next, fp));
                }
            }
        }
        for (slot, &property) in pending.iter().enumerate() {
            let p = wanted[property];
            let violated = match p.kind {
                Kind::Always => !(p.invariant)(model, &state),
                Kind::Eventually => terminal && !(p.holds)(model, &state),
            };
            if violated && out.violations[slot].is_none() {
                out.violations[slot] = Some(at);
            }
        }
    }
    out
}

/// The initial state's number, then the action numbers from it to the state `fp`.
fn actions_to(visited: &Visited, mut fp: Fingerprint) -> Vec<u32> {
    let mut numbers = Vec::new();
    while let Some(Parent { parent, place }) = visited.get(&fp).map(|entry| *entry) {
        numbers.push(place.action);
        if parent == 0 {
            break;
        }
        fp = parent;
    }
    numbers.reverse();
    numbers
}

/// The path the numbers of [`actions_to`] take.
pub(super) fn replay(model: &KafkaModel, numbers: &[u32]) -> KafkaPath {
    let (&init, numbers) = numbers.split_first().expect("an initial state's number");
    let init = model.init_states().swap_remove(init as usize);
    let mut state = init.clone();
    let mut taken = Vec::with_capacity(numbers.len());
    let mut actions = Vec::new();
    for &number in numbers {
        model.actions(&state, &mut actions);
        let action = actions.swap_remove(number as usize);
        actions.clear();
        state = model.next_state(&state, action.clone()).expect("a recorded step replays");
        taken.push(action);
    }
    KafkaPath::from_actions(model, init, &taken).expect("a recorded path replays")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::{ALL, PropertyId};
    use crate::scenario::Scenario;
    use std::time::Instant;

    fn searched(scenario: &Scenario, threads: usize, limits: Limits) -> Searched {
        let reporter = Reporter { progress: None, scenario: "s", start: Instant::now() };
        let wanted: Vec<&'static Property> = ALL.iter().collect();
        search(crate::model::build(scenario), &wanted, threads, None, limits, "test", &reporter)
    }

    /// At-most-once with 12 messages and 4 crashes: levels of a thousand
    /// states and more, so the threads split them; a loss 6 steps deep, and the run to
    /// the end that shows `all-processed` violated.
    fn amo() -> Scenario {
        Scenario {
            messages: 12,
            crashes: 4,
            strategy: crate::scenario::Strategy::AtMostOnce,
            ..Scenario::default()
        }
    }

    #[test]
    fn the_counterexamples_are_the_same_on_one_thread_and_on_three() {
        let open = Limits { deadline: None, memory: None };
        let one = searched(&amo(), 1, open);
        let three = searched(&amo(), 3, open);
        assert_eq!(one.reached, three.reached);
        assert!(one.reached.states > 1000, "{:?}", one.reached);
        let names = |s: &Searched| {
            let mut names: Vec<&str> = s.discoveries.keys().copied().collect();
            names.sort_unstable();
            names
        };
        assert_eq!(names(&one), ["all-processed", "no-loss"]);
        assert_eq!(names(&one), names(&three));
        for (name, path) in &one.discoveries {
            assert_eq!(path.clone().into_actions(), three.discoveries[name].clone().into_actions(), "{name}");
            let id = PropertyId::from_name(name).unwrap();
            assert!(!(id.property().invariant)(&one.model, path.last_state()), "{name} ends in a violation");
        }
        let loss = one.discoveries["no-loss"].clone().into_actions().len();
        assert_eq!(loss, 6, "commit the received offset, then crash before processing it");
    }

    #[test]
    fn a_search_past_its_deadline_stops_and_says_so() {
        let late = Limits { deadline: Some(Instant::now()), memory: None };
        let stopped = searched(&Scenario { messages: 40, crashes: 3, ..amo() }, 2, late);
        assert_eq!(stopped.stopped, Some(super::super::budget::StopReason::Timeout));
    }
}
