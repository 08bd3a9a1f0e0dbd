//! The state graph the depth-first proving search records as it goes, and
//! the breadth-first search over it for shortest counterexamples: the
//! counterexample phase without a second search of the state space.
//!
//! Why: after a complete proof that violated a property, [`super::levels`]
//! searched the space again, breadth-first, generating every state a second
//! time, for the shortest counterexample. When that counterexample is deep
//! (at-most-once, 1 partition, 64 messages, 3 crashes: `all-processed` is
//! violated only by a run to the end, 392 steps) the second search visits
//! nearly every state, and took 17 of the check's 24 s on 2 cores. The
//! proving search already computes every state's successors; kept as
//! numbers (a state's number, and the action's among the state's actions),
//! they are all a breadth-first search needs, so it runs over numbers
//! without generating a state, and only the counterexamples it finds are
//! replayed on the model.
//!
//! The graph gives the counterexamples [`super::levels`] gives, step for
//! step: its states are the same (the fingerprints, the boundary), each
//! state's edges are its successors in action order, a state's parent is
//! the first state of the level before that reaches it, and each property's
//! counterexample is its first violating state in level order, judged as
//! there (an `always` property where its condition fails, an `eventually`
//! one at a state with no step where its goal is not reached).
//!
//! What it costs: per state, its number in the fingerprint set (8 bytes, as
//! the set's entries double) and 8 for where its edges are; per edge 8
//! bytes; with the vectors' spare capacity, some 50 bytes per state
//! (at-least-once N = 64 K = 3, 7 million states: peak 121 MB before, 470
//! MB with the graph; at-most-once N = 64 peaks lower than before, 425 MB
//! against 606, as the level-by-level search's stored states are gone). It
//! also costs the proving search the checking of properties already
//! violated (their states must be marked): at-least-once N = 64, 7.6 s to
//! 8.5 s. It is recorded only where it can serve, and given up (its memory
//! freed) past an eighth of `--max-memory`, after which the breadth-first
//! search of [`super::levels`] runs as before:
//!
//! - not with symmetry reduction, whose proving search walks on one member
//!   of each class of states while the breadth-first search sees every
//!   member (a path in the graph of classes need not replay);
//! - not with a depth target (`--max-depth`), where the proving search
//!   leaves states unexpanded that the breadth-first search reaches sooner;
//! - only from a search that expanded every state it generated (not one
//!   stopped at a limit, nor one that ended because every property already
//!   had a counterexample).

use super::budget::Reached;
use super::levels::{self, Fingerprint};
use super::search::Searched;
use crate::model::KafkaModel;
use crate::properties::Property;
use dashmap::{DashMap, DashSet};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// A state's number: the order in which the proving search generated it.
pub(super) type Index = u32;

/// Per property of the model (bit `i`: its property `i`), whether a state
/// is where a counterexample of it can end.
pub(super) type Bits = u64;

/// A step: the state it leads to, and its number among its state's actions.
#[derive(Clone, Copy)]
pub(super) struct Edge {
    pub target: Index,
    pub action: u32,
}

/// What one thread of the proving search recorded: the states it expanded,
/// each with its edges.
#[derive(Default)]
pub(super) struct Part {
    nodes: Vec<Index>,
    /// Per node, where its edges end in `edges`.
    ends: Vec<u32>,
    edges: Vec<Edge>,
    /// The nodes where some property's counterexample can end.
    violating: Vec<(Index, Bits)>,
}

impl Part {
    /// Records a state's edges (the successors within the boundary, in
    /// action order) and the properties it violates. False when the part
    /// is full (4 billion edges), and the graph must be given up.
    pub fn add(&mut self, node: Index, edges: &[Edge], violating: Bits) -> bool {
        let Ok(end) = u32::try_from(self.edges.len() + edges.len()) else { return false };
        self.nodes.push(node);
        self.edges.extend_from_slice(edges);
        self.ends.push(end);
        if violating != 0 {
            self.violating.push((node, violating));
        }
        true
    }

    /// The memory it holds, roughly.
    pub fn bytes(&self) -> usize {
        self.nodes.capacity() * 4
            + self.ends.capacity() * 4
            + self.edges.capacity() * std::mem::size_of::<Edge>()
            + self.violating.capacity() * 16
    }
}

/// The fingerprints of the states generated so far, numbered when a graph
/// is recorded (a plain set otherwise: half the memory).
pub(super) enum Generated {
    Fingerprints(DashSet<Fingerprint, BuildHasherDefault<levels::AsIs>>),
    Numbered { numbers: DashMap<Fingerprint, Index, BuildHasherDefault<levels::AsIs>>, next: AtomicU32 },
}

impl Generated {
    pub fn new(numbered: bool) -> Generated {
        if numbered {
            Generated::Numbered { numbers: DashMap::default(), next: AtomicU32::new(0) }
        } else {
            Generated::Fingerprints(DashSet::default())
        }
    }

    /// Adds a state: whether it is new, and its number (0 unnumbered).
    /// Numbers run out after 4 billion states: then they repeat, and the
    /// recorder gives the graph up ([`Recorder::is_recording`]).
    pub fn insert(&self, fp: Fingerprint) -> (bool, Index) {
        match self {
            Generated::Fingerprints(set) => (set.insert(fp), 0),
            Generated::Numbered { numbers, next } => match numbers.entry(fp) {
                dashmap::mapref::entry::Entry::Occupied(entry) => (false, *entry.get()),
                dashmap::mapref::entry::Entry::Vacant(entry) => {
                    let number = next.fetch_add(1, Ordering::Relaxed);
                    entry.insert(number);
                    (true, number)
                }
            },
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Generated::Fingerprints(set) => set.len(),
            Generated::Numbered { numbers, .. } => numbers.len(),
        }
    }
}

/// What the proving search's threads share to record the graph.
pub(super) struct Recorder {
    recording: AtomicBool,
    /// What the threads' parts held at their last report.
    bytes: AtomicUsize,
    /// Past this, the graph is given up.
    cap: usize,
    parts: std::sync::Mutex<Vec<Part>>,
}

impl Recorder {
    /// A recorder that gives up past `cap` bytes (`None`: one that never records).
    pub fn new(cap: Option<usize>) -> Recorder {
        Recorder {
            recording: AtomicBool::new(cap.is_some()),
            bytes: AtomicUsize::new(0),
            cap: cap.unwrap_or(0),
            parts: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn is_recording(&self) -> bool {
        self.recording.load(Ordering::Relaxed)
    }

    pub fn give_up(&self) {
        self.recording.store(false, Ordering::Relaxed);
    }

    /// A thread's report of its part's growth since its last one: gives the
    /// graph up if the parts together hold more than the cap.
    pub fn grew(&self, by: usize) {
        if self.bytes.fetch_add(by, Ordering::Relaxed) + by > self.cap {
            self.give_up();
        }
    }

    /// A thread's finished part.
    pub fn hand_in(&self, part: Part) {
        if self.is_recording() {
            self.parts.lock().unwrap_or_else(|e| e.into_inner()).push(part);
        }
    }

    /// The graph of `states` states, if every one of them was expanded and
    /// recorded. `initial`: the initial states' numbers, in their order.
    pub fn graph(self, states: usize, initial: Vec<Index>, names: Vec<&'static str>) -> Option<Graph> {
        if !self.is_recording() {
            return None;
        }
        let parts = self.parts.into_inner().unwrap_or_else(|e| e.into_inner());
        const UNSET: (u32, u32) = (u32::MAX, u32::MAX);
        let mut at = vec![UNSET; states];
        // Per property, a bit per state: where its counterexample can end.
        let mut violating: Vec<Vec<u64>> = vec![Vec::new(); names.len()];
        for (p, part) in parts.iter().enumerate() {
            for (local, &node) in part.nodes.iter().enumerate() {
                *at.get_mut(node as usize)? = (p as u32, local as u32);
            }
            for &(node, bits) in &part.violating {
                let sets = violating.iter_mut().enumerate().filter(|(i, _)| bits & (1 << i) != 0);
                for (_, set) in sets {
                    set.resize(states.div_ceil(64), 0);
                    *set.get_mut(node as usize / 64)? |= 1 << (node % 64);
                }
            }
        }
        if at.contains(&UNSET) {
            return None;
        }
        Some(Graph { parts, at, violating, initial, names })
    }
}

/// The graph of a complete proving search.
pub struct Graph {
    parts: Vec<Part>,
    /// Per state number: its part, and its place among the part's nodes.
    at: Vec<(u32, u32)>,
    /// Per property (by bit), a bit per state number where its
    /// counterexample can end (empty: nowhere).
    violating: Vec<Vec<u64>>,
    /// The initial states' numbers, in the model's order.
    initial: Vec<Index>,
    /// The model's property names, by bit.
    names: Vec<&'static str>,
}

impl Graph {
    fn edges(&self, node: Index) -> &[Edge] {
        let (p, local) = self.at[node as usize];
        let part = &self.parts[p as usize];
        let end = part.ends[local as usize] as usize;
        let start = if local == 0 { 0 } else { part.ends[local as usize - 1] as usize };
        &part.edges[start..end]
    }

    /// The breadth-first search for a first violation of each of `wanted`,
    /// as [`levels::search`] does it (states at `max_depth` or deeper are
    /// not checked), over the graph; the counterexamples found are replayed
    /// on `model`.
    pub fn search(
        &self,
        mut model: KafkaModel,
        wanted: &[&'static Property],
        max_depth: Option<usize>,
    ) -> Searched {
        let set = |name: &str| self.names.iter().position(|n| *n == name).map(|i| &self.violating[i]);
        let mut pending: Vec<(&'static str, &Vec<u64>)> =
            wanted.iter().filter_map(|p| Some((p.name, set(p.name)?))).collect();
        const UNSEEN: Index = Index::MAX;
        // Per state: its parent and the action from it (an initial state:
        // UNSEEN - 1, and its place among the initial states).
        let mut parent: Vec<(Index, u32)> = vec![(UNSEEN, 0); self.at.len()];
        let mut queue: Vec<Index> = Vec::with_capacity(self.at.len());
        for (number, &node) in self.initial.iter().enumerate() {
            if parent[node as usize].0 == UNSEEN {
                parent[node as usize] = (UNSEEN - 1, number as u32);
                queue.push(node);
            }
        }
        let mut found = Vec::new();
        let (mut start, mut depth, mut reached) = (0, 1, 1);
        while start < queue.len() && !pending.is_empty() {
            reached = depth;
            if max_depth.is_some_and(|d| depth >= d) {
                break;
            }
            let end = queue.len();
            let mut first: Vec<Option<Index>> = vec![None; pending.len()];
            for position in start..end {
                let node = queue[position];
                for (slot, (_, set)) in pending.iter().enumerate() {
                    let ends_here =
                        set.get(node as usize / 64).is_some_and(|word| word & (1 << (node % 64)) != 0);
                    if ends_here && first[slot].is_none() {
                        first[slot] = Some(node);
                    }
                }
                for edge in self.edges(node) {
                    if parent[edge.target as usize].0 == UNSEEN {
                        parent[edge.target as usize] = (node, edge.action);
                        queue.push(edge.target);
                    }
                }
            }
            let mut slot = 0;
            pending.retain(|&(name, _)| {
                let keep = match first[slot] {
                    Some(node) => {
                        found.push((name, actions_to(&parent, node)));
                        false
                    }
                    None => true,
                };
                slot += 1;
                keep
            });
            start = end;
            depth += 1;
        }
        model.properties = wanted.iter().map(|p| stateright::Property::always(p.name, p.invariant)).collect();
        let discoveries =
            found.into_iter().map(|(name, numbers)| (name, levels::replay(&model, &numbers))).collect();
        Searched {
            discoveries,
            stopped: None,
            reached: Reached { states: queue.len(), depth: reached },
            model,
            graph: None,
        }
    }
}

/// The initial state's number, then the action numbers from it to `node`.
fn actions_to(parent: &[(Index, u32)], mut node: Index) -> Vec<u32> {
    let mut numbers = Vec::new();
    loop {
        let (up, action) = parent[node as usize];
        numbers.push(action);
        if up == Index::MAX - 1 {
            break;
        }
        node = up;
    }
    numbers.reverse();
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::budget::{Limits, Reporter};
    use crate::check::depth_first;
    use crate::properties::ALL;
    use crate::scenario::{Scenario, Strategy};
    use std::time::Instant;

    const OPEN: Limits = Limits { deadline: None, memory: None };

    fn reporter() -> Reporter<'static> {
        Reporter { progress: None, scenario: "s", start: Instant::now() }
    }

    /// At-most-once, 12 messages, 4 crashes: a loss 6 steps deep and a
    /// run to the end for `all-processed`, on levels the threads split.
    fn amo() -> Scenario {
        Scenario { messages: 12, crashes: 4, strategy: Strategy::AtMostOnce, ..Scenario::default() }
    }

    fn actions(searched: &Searched) -> Vec<(&'static str, Vec<crate::model::KafkaAction>)> {
        let mut found: Vec<_> =
            searched.discoveries.iter().map(|(name, path)| (*name, path.clone().into_actions())).collect();
        found.sort_by_key(|(name, _)| *name);
        found
    }

    #[test]
    fn the_graph_gives_the_counterexamples_the_breadth_first_search_gives() {
        let wanted: Vec<&'static Property> = ALL.iter().collect();
        let model = crate::model::build(&amo());
        let levels = levels::search(model.clone(), &wanted, 1, None, OPEN, "test", &reporter());
        let expected = actions(&levels);
        assert_eq!(expected.iter().map(|(n, _)| *n).collect::<Vec<_>>(), ["all-processed", "no-loss"]);
        for threads in [1, 3] {
            let proved = depth_first::search(model.clone(), threads, None, None, OPEN, "test", &reporter());
            let graph = proved.graph.expect("a complete search records its graph");
            let searched = graph.search(model.clone(), &wanted, None);
            assert_eq!(actions(&searched), expected, "{threads} thread(s)");
            assert_eq!(searched.reached, levels.reached, "{threads} thread(s)");
        }
    }

    #[test]
    fn no_graph_is_recorded_where_it_could_not_serve() {
        let model = crate::model::build(&amo());
        let symmetry = Some(crate::model::symmetry::representative as depth_first::Representative);
        let reduced = depth_first::search(model.clone(), 1, symmetry, None, OPEN, "test", &reporter());
        assert!(reduced.graph.is_none(), "symmetry reduction");
        let bounded = depth_first::search(model.clone(), 1, None, Some(20), OPEN, "test", &reporter());
        assert!(bounded.graph.is_none(), "a depth target");
        let late = Limits { deadline: Some(Instant::now()), memory: None };
        let big = Scenario { messages: 40, ..amo() };
        let stopped =
            depth_first::search(crate::model::build(&big), 2, None, None, late, "test", &reporter());
        assert!(stopped.stopped.is_some() && stopped.graph.is_none(), "a stopped search");
    }

    #[test]
    fn a_graph_past_its_cap_or_missing_a_state_is_given_up() {
        let recorder = Recorder::new(Some(100));
        recorder.grew(60);
        assert!(recorder.is_recording());
        recorder.grew(60);
        assert!(!recorder.is_recording());
        assert!(recorder.graph(0, Vec::new(), Vec::new()).is_none());

        let recorder = Recorder::new(Some(usize::MAX));
        let mut part = Part::default();
        assert!(part.add(0, &[Edge { target: 1, action: 0 }], 0));
        recorder.hand_in(part);
        assert!(recorder.graph(2, vec![0], vec!["no-loss"]).is_none(), "state 1 was never expanded");
    }
}
