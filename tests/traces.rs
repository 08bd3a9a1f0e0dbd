//! The shape of the shortest counterexamples: what a person reading a trace
//! must be able to see. (The search sizes are pinned in tests/models/pinned.rs.)

use kafkacheck::check::{self, Options};
use kafkacheck::model::event::Actor;
use kafkacheck::scenario;
use kafkacheck::verdict::Verdict;
use std::path::Path;

mod common {
    pub mod outcomes;
}
use common::outcomes::*;

#[test]
fn at_most_once_loss_is_commit_then_crash_before_process() {
    let outcome = check_model("models/at-most-once.json");
    let t = trace_of(&outcome, "no-loss");
    let commit = find(&t.steps, 0, |s| is(s, Actor::Coordinator, "commit", Some(1))).expect("commit of o+1");
    let crash = find(&t.steps, commit, |s| is(s, Actor::Consumer(0), "crash", None)).expect("crash after it");
    assert!(t.steps.iter().all(|s| !is(s, Actor::Sink, "process", Some(0))), "offset 0 is never processed");
    assert_eq!(crash, t.steps.len() - 1, "the crash is the last step");
    assert_eq!(t.steps.last().unwrap().step, 6, "shortest counterexample length");
    assert!(t.violation.contains("partition 0 offset 0"), "{}", t.violation);
}

#[test]
fn at_least_once_duplicate_is_process_crash_process() {
    let outcome = check_model("models/at-least-once.json");
    let t = trace_of(&outcome, "no-duplicate");
    let first = find(&t.steps, 0, |s| is(s, Actor::Sink, "process", Some(0))).expect("process of o");
    let crash = find(&t.steps, first, |s| is(s, Actor::Consumer(0), "crash", None)).expect("crash after it");
    let again = find(&t.steps, crash, |s| is(s, Actor::Sink, "process", Some(0))).expect("process again");
    assert!(
        t.steps[first..crash].iter().all(|s| s.name() != "commit"),
        "no commit between processing and the crash"
    );
    assert_eq!(again, t.steps.len() - 1);
    assert_eq!(t.steps.last().unwrap().step, 12, "shortest counterexample length");
    assert!(t.violation.contains("processed 2 times"), "{}", t.violation);
}

#[test]
fn all_processed_counterexample_ends_in_a_state_where_the_run_is_over() {
    let outcome = check_model("models/at-most-once.json");
    let t = trace_of(&outcome, "all-processed");
    let last = t.steps.last().unwrap();
    assert_eq!((last.actor(), last.name()), (Actor::Consumer(0), "position"));
    assert!(t.violation.contains("never processed"), "{}", t.violation);
}

/// Random walks prove nothing, but what they report violated must be real,
/// and its trace is the shortest one.
#[test]
fn simulation_finds_only_real_violations() {
    let s = scenario::load(Path::new("models/at-least-once.json")).unwrap();
    let options = Options {
        search: check::Search::Simulation,
        timeout: Some(std::time::Duration::from_millis(500)),
        ..Options::default()
    };
    let outcome = check::check(&s, &options);
    assert!(!outcome.complete);
    for p in &outcome.properties {
        let expected = if p.name == "no-duplicate" { Verdict::Violated } else { Verdict::Unknown };
        assert_eq!(p.verdict, expected, "{}", p.name);
    }
    assert_eq!(trace_of(&outcome, "no-duplicate").steps.last().unwrap().step, 12);
}
