use super::*;
use std::collections::HashMap;
use std::path::Path;

#[test]
fn numbers_are_grouped_in_thousands() {
    assert_eq!(grouped(0), "0");
    assert_eq!(grouped(999), "999");
    assert_eq!(grouped(1000), "1,000");
    assert_eq!(grouped(1_234_567), "1,234,567");
}

#[test]
fn an_incomplete_check_says_why_and_how_far() {
    let reached = Reached { states: 1_234_567, depth: 40 };
    let options = Options { timeout: Some(Duration::from_secs(30)), ..Options::default() };
    let limit = limit_text(StopReason::Timeout, &options);
    let timeout = Incomplete { reason: StopReason::Timeout, reached, limit, breadth_first: None };
    assert_eq!(
        timeout.message(),
        "timeout: the proving search stopped at 15 s of --timeout 30 s, 1,234,567 states, depth 40"
    );
    let deeper = Incomplete {
        breadth_first: Some(BreadthFirst {
            reason: StopReason::Timeout,
            reached: Reached { states: 301_113, depth: 16 },
            clear_within: 14,
        }),
        ..timeout
    };
    assert_eq!(
        deeper.message(),
        "timeout: the proving search stopped at 15 s of --timeout 30 s, 1,234,567 states, depth 40; \
         breadth-first: no counterexample within 14 steps (timeout, 301,113 states)"
    );
    let memory = Incomplete {
        reason: StopReason::MaxMemory,
        reached,
        limit: Some("1 GiB".into()),
        breadth_first: None,
    };
    assert!(memory.message().starts_with("max-memory 1 GiB reached, "));
}

#[test]
fn a_complete_check_has_no_incomplete_part() {
    let scenario = crate::scenario::load(Path::new("models/at-least-once.json")).unwrap();
    let outcome = check(&scenario, &Options::default());
    assert!(outcome.complete);
    assert_eq!(outcome.incomplete, None);
}

/// `--max-depth` with the default depth-first search: the breadth-first
/// search after it checks every state within the depth, and says how far.
#[test]
fn a_depth_cut_is_followed_by_a_breadth_first_search_within_it() {
    let scenario = crate::scenario::load(Path::new("models/at-least-once.json")).unwrap();
    let outcome = check(&scenario, &Options { max_depth: Some(6), ..Options::default() });
    let incomplete = outcome.incomplete.expect("cut at depth 6");
    assert_eq!(incomplete.reason, StopReason::MaxDepth);
    assert_eq!(incomplete.reached.depth, 6);
    let b = incomplete.breadth_first.expect("unknown properties were looked for breadth-first");
    assert_eq!((b.reason, b.clear_within), (StopReason::MaxDepth, 4));
    assert!(outcome.properties.iter().any(|p| p.verdict == Verdict::Unknown));
}

/// A timeout bounds the whole check, the searches after the proving one
/// included, and the verdicts it leaves unknown say so.
#[test]
fn a_timeout_bounds_every_search_of_the_check() {
    let mut scenario = crate::scenario::load(Path::new("models/at-least-once.json")).unwrap();
    scenario.messages = 64;
    scenario.crashes = 3;
    let timeout = Duration::from_millis(600);
    let outcome = check(&scenario, &Options { timeout: Some(timeout), ..Options::default() });
    assert!(outcome.seconds < timeout.as_secs_f64() + 2.0, "{} s", outcome.seconds);
    let incomplete = outcome.incomplete.expect("too large to finish");
    assert_eq!(incomplete.reason, StopReason::Timeout);
    assert!(incomplete.reached.states > 0 && incomplete.reached.depth > 0, "{incomplete:?}");
    let message = incomplete.message();
    assert!(
        message.starts_with("timeout: the proving search stopped at 0.3 s of --timeout 0.6 s, "),
        "{message}"
    );
    let verdict = |name| outcome.properties.iter().find(|p| p.name == name).unwrap().verdict;
    assert_eq!(verdict("no-loss"), Verdict::Unknown);
}

/// The discovery a stopped search can record in a state that is no end of
/// a run (see `search::ends_in_a_violation`) is not a counterexample; a
/// real one is.
#[test]
fn only_discoveries_that_end_in_a_violation_are_kept() {
    let scenario = crate::scenario::load(Path::new("models/at-most-once.json")).unwrap();
    let outcome = check(&scenario, &Options::default());
    let model = crate::model::build(&scenario);
    let init = stateright::Model::init_states(&model).remove(0);
    let start = search::KafkaPath::from_actions(&model, init.clone(), []).unwrap();
    assert!(
        !search::ends_in_a_violation(&model, "all-processed", &start),
        "the initial state is no terminal state"
    );
    let actions =
        outcome.properties.iter().find(|p| p.name == "all-processed").unwrap().actions.clone().unwrap();
    let run = search::KafkaPath::from_actions(&model, init, &actions).unwrap();
    assert!(search::ends_in_a_violation(&model, "all-processed", &run));
}

/// A breadth-first proving search on one thread says how close to the
/// start it has checked every state, as the breadth-first search after a
/// depth-first one does.
#[test]
fn a_breadth_first_proving_search_says_how_far_it_checked() {
    let scenario = crate::scenario::load(Path::new("models/at-least-once.json")).unwrap();
    let options = Options { search: Search::Bfs, max_depth: Some(6), ..Options::default() };
    let incomplete = check(&scenario, &options).incomplete.expect("cut at depth 6");
    assert_eq!(incomplete.reason, StopReason::MaxDepth);
    let b = incomplete.breadth_first.clone().expect("how far");
    assert_eq!((b.reason, b.clear_within), (StopReason::MaxDepth, 4));
    assert!(
        incomplete
            .message()
            .ends_with("; breadth-first: no counterexample within 4 steps (max-depth, 19 states)"),
        "{}",
        incomplete.message()
    );
}

/// The proving search's path kept for want of a breadth-first one is marked
/// as not shortest; the breadth-first search's is.
#[test]
fn a_trace_the_breadth_first_search_did_not_reach_is_not_called_shortest() {
    use stateright::{Model, Path as StatePath};
    let scenario = crate::scenario::load(Path::new("models/at-least-once.json")).unwrap();
    let checked = check(&scenario, &Options::default());
    let dup = checked.properties.iter().find(|p| p.name == "no-duplicate").unwrap();
    assert!(dup.shortest && dup.trace.is_some(), "a complete check's traces are shortest");
    let model = crate::model::build(&scenario);
    let init = model.init_states().into_iter().next().unwrap();
    let path: KafkaPath = StatePath::from_actions(&model, init, dup.actions.as_ref().unwrap()).unwrap();
    let searched = |discoveries: HashMap<&'static str, KafkaPath>| Searched {
        discoveries,
        stopped: Some(StopReason::Timeout),
        reached: Reached { states: 10, depth: 3 },
        model: crate::model::build(&scenario),
        graph: None,
    };
    let proved = searched([("no-duplicate", path.clone())].into_iter().collect());
    let ran_out = searched(HashMap::new());
    let outcome = |bfs: &Searched| {
        let all = verdicts(&scenario, &proved, Some(bfs), false);
        all.into_iter().find(|p| p.name == "no-duplicate").unwrap()
    };
    let longer = outcome(&ran_out);
    assert_eq!(longer.verdict, Verdict::Violated);
    assert!(longer.trace.is_some() && !longer.shortest);
    let reached = searched([("no-duplicate", path)].into_iter().collect());
    assert!(outcome(&reached).shortest);
    // Every output says so.
    let file = Path::new("models/at-least-once.json");
    let mut outcome_doc = checked.clone();
    *outcome_doc.properties.iter_mut().find(|p| p.name == "no-duplicate").unwrap() = longer;
    let results = [crate::report::Checked { file, scenario: &scenario, outcome: &outcome_doc }];
    assert!(crate::report::json(&results, &[]).contains("\"shortest\": false"));
    let text = crate::report::text(&results, &[], &crate::report::TextOptions::default());
    assert!(text.contains("not shown to be a shortest one"), "{text}");
}
