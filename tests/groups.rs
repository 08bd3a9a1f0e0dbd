//! Consumer groups: what the group scenarios' counterexamples must show, and
//! that symmetry reduction changes the number of states, never a verdict.

use kafkacheck::check::{Options, Outcome, Search};
use kafkacheck::cli::scenario_files;
use kafkacheck::model::event::Actor;
use kafkacheck::scenario::{self, Assignment, NetworkKind};
use kafkacheck::verdict::Verdict;
use std::path::PathBuf;

mod common {
    pub mod outcomes;
}
use common::outcomes::*;

#[test]
fn the_unfenced_zombie_trace_shows_its_stale_commit_moving_the_offset_back() {
    let outcome = check_model("models/group-zombie-unfenced.json");
    let t = trace_of(&outcome, "committed-monotonic");
    let evict = find(&t.steps, 0, |s| s.name() == "evict").expect("the coordinator evicts the paused member");
    let zombie = t.steps[evict].peer().unwrap();
    let last = t.steps.last().unwrap();
    assert_eq!((last.actor(), last.name()), (Actor::Coordinator, "commit"));
    assert_eq!(last.peer(), Some(zombie), "the last step is the zombie's commit");
    let before_last = &t.steps[evict..t.steps.len() - 1];
    let newer = before_last
        .iter()
        .rev()
        .find(|s| s.name() == "commit" && s.peer() != Some(zombie))
        .expect("the new owner commits after the eviction");
    assert!(newer.offset() > last.offset(), "{newer:?} then {last:?}");
    assert!(t.violation.contains("went back"), "{}", t.violation);
}

#[test]
fn the_eager_rebalance_duplicate_is_a_revocation_without_commit() {
    let outcome = check_model("models/group-eager-rebalance-periodic-commit.json");
    let t = trace_of(&outcome, "no-duplicate");
    let first = find(&t.steps, 0, |s| s.name() == "process" && s.offset() == Some(0)).unwrap();
    let revoke = find(&t.steps, first, |s| s.name() == "revoke").expect("the partition is revoked");
    assert!(t.steps[revoke].text.contains("without committing"), "{}", t.steps[revoke].text);
    assert!(t.steps[first..revoke].iter().all(|s| s.name() != "commit"));
    let again = find(&t.steps, revoke, |s| s.name() == "process" && s.offset() == Some(0));
    assert_eq!(again, Some(t.steps.len() - 1), "offset 0 is processed again");
    assert!(t.steps.iter().all(|s| s.name() != "crash"), "no crash is needed");
}

#[test]
fn a_fenced_zombie_never_moves_the_committed_offset_back() {
    for file in ["models/group-zombie-fenced.json", "models/group-exactly-once-zombie-fenced.json"] {
        let outcome = check_model(file);
        assert!(outcome.complete, "{file}");
        let mono = outcome.properties.iter().find(|p| p.name == "committed-monotonic").unwrap();
        assert_eq!(mono.verdict, Verdict::Holds, "{file}");
    }
}

fn group_models() -> Vec<PathBuf> {
    scenario_files(&[PathBuf::from("models")])
        .unwrap()
        .into_iter()
        .filter(|f| scenario::load(f).unwrap().group.assignment == Assignment::Group)
        .collect()
}

/// The reduced depth-first search reaches the same verdicts as the full one
/// with fewer states: the reduction is sound here and does something.
#[test]
fn symmetry_reduction_keeps_every_verdict_and_visits_fewer_states() {
    // One consumer has no other to be swapped with; the unordered networks
    // are not reduced (`src/model/symmetry.rs`).
    let reducible = |f: &PathBuf| {
        let s = scenario::load(f).unwrap();
        s.consumers > 1 && matches!(s.network.kind, NetworkKind::Ordered | NetworkKind::Lossy)
    };
    let files: Vec<PathBuf> = group_models().into_iter().filter(reducible).collect();
    assert!(files.len() >= 8);
    for file in files {
        let file = file.to_str().unwrap();
        let dfs = |symmetry| {
            check_model_with(file, &Options { search: Search::Dfs, symmetry, ..Options::default() })
        };
        let (reduced, full) = (dfs(true), dfs(false));
        let verdicts = |o: &Outcome| o.properties.iter().map(|p| p.verdict).collect::<Vec<_>>();
        assert_eq!(verdicts(&reduced), verdicts(&full), "{file}");
        assert!(
            reduced.unique_states < full.unique_states,
            "{file}: {} vs {}",
            reduced.unique_states,
            full.unique_states
        );
    }
}
