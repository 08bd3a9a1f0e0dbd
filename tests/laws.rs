//! Laws of the model, checked under proptest over small generated scenarios
//! that cover every mechanism of a scenario file (the knobs and their rules:
//! tests/laws/knobs.rs; how they are drawn: tests/laws/generate.rs): the
//! parser accepts exactly the combinations the rules allow, counterexamples
//! replay on the model, every reported counterexample is a shortest one and
//! every verdict is the one a plain exhaustive walk gives
//! (tests/laws/oracle.rs), faultless runs neither lose nor duplicate (except
//! what a rebalance alone causes), fenced exactly-once never does, more
//! faults never repair a violation, and whatever a simulation finds a full
//! search finds too.
//!
//! Every scenario is written as JSON and read back with `scenario::parse`,
//! which must accept it, and read it the same with its defaults spelled out.
//!
//! `PROPTEST_CASES=N` runs N cases of every law instead of the defaults.

use kafkacheck::check::{self, Options, Outcome, Search};
use kafkacheck::model;
use kafkacheck::properties;
use kafkacheck::scenario::Scenario;
use kafkacheck::verdict::Verdict;
use proptest::prelude::*;
use stateright::Model;
use std::time::Duration;

#[path = "laws/generate.rs"]
mod generate;
#[path = "laws/knobs.rs"]
mod knobs;
#[path = "laws/oracle.rs"]
mod oracle;

use generate::knobs;
use knobs::{CommitOffset, Delivery, Knobs, Network, Reset, Retention};

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default);
    // No regression files: a failure prints its scenario file, which is the
    // thing to keep (as a model file) if it shows something new.
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases) }
}

/// The default search: depth-first, one thread, symmetry reduction.
fn search(scenario: &Scenario) -> Outcome {
    check::check(scenario, &Options::default())
}

fn verdict(outcome: &Outcome, property: &str) -> Verdict {
    outcome.properties.iter().find(|p| p.name == property).unwrap().verdict
}

fn violated(outcome: &Outcome) -> Vec<&'static str> {
    outcome.properties.iter().filter(|p| p.verdict == Verdict::Violated).map(|p| p.name).collect()
}

/// A search without limits that did not visit every state stopped only
/// because every property already had a counterexample.
fn assert_exhaustive(outcome: &Outcome, text: &str) {
    let all_violated = outcome.properties.iter().all(|p| p.verdict == Verdict::Violated);
    assert!(outcome.complete || all_violated, "the search stopped early\n{text}");
    for p in &outcome.properties {
        assert_ne!(p.verdict, Verdict::Unknown, "{} is unknown after an exhaustive search\n{text}", p.name);
    }
}

/// Every violated property's counterexample replays on the model, step by
/// step from an initial state, and ends in a state its invariant rejects;
/// its trace numbers the steps 1..=actions.
fn assert_traces_are_real(scenario: &Scenario, outcome: &Outcome, text: &str) {
    let model = model::build(scenario);
    for p in outcome.properties.iter().filter(|p| p.verdict == Verdict::Violated) {
        let property = properties::ALL.iter().find(|q| q.name == p.name).unwrap();
        let actions = p.actions.as_ref().unwrap_or_else(|| panic!("{}: no actions\n{text}", p.name));
        let trace = p.trace.as_ref().unwrap_or_else(|| panic!("{}: no trace\n{text}", p.name));
        let ends = model.init_states().into_iter().find_map(|init| {
            actions.iter().try_fold(init, |state, action| {
                let mut offered = Vec::new();
                model.actions(&state, &mut offered);
                if !offered.contains(action) {
                    return None;
                }
                model.next_state(&state, action.clone())
            })
        });
        let end =
            ends.unwrap_or_else(|| panic!("{}: the actions do not replay\n{actions:#?}\n{text}", p.name));
        assert!(
            !(property.invariant)(&model, &end),
            "{}: the last state does not violate it\n{text}",
            p.name
        );
        let numbers: Vec<usize> = trace.steps.iter().map(|s| s.step).collect();
        assert_eq!(numbers.first(), Some(&1), "{}: the trace starts at step {numbers:?}\n{text}", p.name);
        assert!(
            numbers.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1),
            "{}: step numbers skip or go back: {numbers:?}\n{text}",
            p.name
        );
        assert_eq!(numbers.last(), Some(&actions.len()), "{}: steps and actions differ\n{text}", p.name);
    }
}

/// No fault of any kind: no crash, no pause, an ordered network, no
/// coordinator failover, and committed offsets that expire only while
/// nobody consumes (which needs a crash or a pause).
fn faultless(k: Knobs) -> Knobs {
    let group = k.group.map(|g| knobs::Group { pauses: 0, ..g });
    let retention = match k.retention {
        Retention::WhileActive => Retention::WhenEmpty,
        r @ (Retention::Never | Retention::WhenEmpty) => r,
    };
    let topic = knobs::OffsetsTopic { failovers: 0, ..k.topic };
    Knobs { crashes: 0, group, network: Network::Ordered, retention, topic, ..k }
}

/// The no-duplicate violations a rebalance causes without any fault. A
/// rebalance needs a second member: with one consumer and no faults nobody
/// joins after the first assignment; then an eager assignor revokes every
/// partition at the next poll, and the new owner resumes at the last
/// commit. That commit is behind what was processed when at-least-once
/// commits every second batch (`commit_every` 2,
/// models/group-eager-rebalance-periodic-commit.json) or the last processed
/// offset instead of the next one (`commit.offset: last`,
/// models/commit-offset-last-rebalance.json), unless it commits its position
/// in `onPartitionsRevoked` (`commit_on_revoke`).
/// Cooperative-sticky does not show it within these bounds: the first member
/// keeps its partitions and its positions survive the rebalance, and with at
/// most 2 partitions the partition that moves is the one not yet read since
/// the last commit. The model shows this condition to be exact over the
/// generator's ranges, so the law is an equivalence.
fn rebalance_duplicates(k: &Knobs) -> bool {
    // `commit_on_revoke` commits the position (commitSync() in
    // onPartitionsRevoked), whatever `commit.offset` names after a batch.
    let behind = (k.commit_every > 1 || k.commit_offset == CommitOffset::Last)
        && k.group.is_some_and(|g| !g.commit_on_revoke);
    k.delivery == Delivery::AtLeastOnce
        && behind
        && k.messages + k.produce > 0
        // A new group at `latest` skips what is there, and the one record
        // the generator may produce is re-read by no one: its new owner has
        // no commit below it and resets to the log end too.
        && !(new_group_skips(k) && k.produce <= 1)
        // A new group with `none` reads nothing (NoOffsetForPartitionException).
        && !(k.new_group && k.reset == Reset::None)
        && k.consumers > 1
        && k.group.is_some_and(|g| knobs::is_eager(g.assignor))
}

/// A new group with `auto.offset.reset=latest` starts every partition at
/// its log end, past the records already there, so they are lost without
/// any fault (models/new-group-latest.json); on an empty partition, past
/// those the producer appended before the first poll's ListOffsets was
/// answered (models/new-group-empty-partition-latest.json).
fn new_group_skips(k: &Knobs) -> bool {
    k.new_group && k.reset == Reset::Latest && k.messages + k.produce > 0
}

/// Fencing `none`, and a member of a group of two can lose its partition
/// with a transaction on its way: a crash or a pause.
fn unfenced_zombie_possible(k: &Knobs) -> bool {
    k.unfenced && k.group.is_some() && k.consumers > 1 && k.crashes + k.pauses() > 0
}

/// What makes the committed offset itself go away or back, which breaks
/// exactly-once too (its transaction commits the offset with the output):
/// expiry (while active, or while a crashed or paused consumer is away) and
/// an acknowledged commit lost in a coordinator failover (acks=leader, or an
/// unclean election); and a new group that starts at the log end.
fn offset_can_be_lost(k: &Knobs) -> bool {
    let expiry = match k.retention {
        Retention::Never => false,
        Retention::WhileActive => true,
        Retention::WhenEmpty => k.crashes + k.pauses() > 0,
    };
    let t = k.topic;
    expiry || (t.failovers > 0 && (t.acks_leader || t.unclean_election)) || new_group_skips(k)
}

proptest! {
    #![proptest_config(cases(256))]

    /// The generator's rules are the parser's: a combination of knobs is
    /// accepted exactly when [`Knobs::fit`] leaves it as it is. So the laws'
    /// scenarios are valid by construction, and a rule the parser loses or
    /// gains (or a rule it applies to a field it should not) shows here.
    #[test]
    fn the_parser_accepts_exactly_the_combinations_the_rules_allow(k in generate::raw_knobs()) {
        let text = k.json(false);
        let parsed = kafkacheck::scenario::parse(std::path::Path::new("laws.json"), text.as_bytes());
        let fits = k.clone().fit() == k;
        match parsed {
            Ok(_) => assert!(fits, "accepted, but the rules reset {:?}\n{text}", k.clone().fit()),
            Err(e) => assert!(!fits, "rejected a combination the rules allow: {e}\n{text}"),
        }
    }
}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn violations_replay_on_the_model(k in knobs()) {
        let scenario = k.scenario();
        let text = k.json(false);
        let outcome = search(&scenario);
        assert_exhaustive(&outcome, &text);
        assert_traces_are_real(&scenario, &outcome, &text);
    }
}

proptest! {
    #![proptest_config(cases(32))]

    /// Breadth-first really runs breadth-first: whichever search proves the
    /// properties, each counterexample `check` reports is exactly as long as
    /// the shortest one a plain walk of every reachable state finds, and a
    /// search bounded by `max_depth` finds none shorter (Stateright visits
    /// states up to depth `max_depth - 1`, the initial ones at depth 1, so a
    /// path of L steps needs `max_depth` L + 2). A depth-first counterexample,
    /// or one from a search that went on after its first discovery, is
    /// longer in many of these scenarios. The verdicts are the walk's too:
    /// symmetry reduction and depth-first order change neither.
    #[test]
    fn counterexamples_are_shortest_and_verdicts_are_exhaustive(k in knobs()) {
        let scenario = k.scenario();
        let text = k.json(false);
        let walk = oracle::walk(&scenario);
        let bfs = Options { search: Search::Bfs, ..Options::default() };
        for (name, outcome) in [("dfs", search(&scenario)), ("bfs", check::check(&scenario, &bfs))] {
            assert_exhaustive(&outcome, &text);
            if name == "bfs" && outcome.complete {
                assert_eq!(outcome.unique_states, walk.states, "bfs visits every reachable state\n{text}");
            }
            for (p, (property, shortest)) in outcome.properties.iter().zip(&walk.shortest) {
                assert_eq!(p.name, *property);
                let length = p.actions.as_ref().map(Vec::len);
                assert_eq!(length, *shortest, "{name}: {property}: counterexample length\n{text}");
            }
        }
        let mut lengths: Vec<usize> = walk.shortest.iter().filter_map(|(_, l)| *l).collect();
        lengths.sort_unstable();
        lengths.dedup();
        for length in lengths {
            for max_depth in [length + 1, length + 2] {
                let bounded = check::check(&scenario, &Options { max_depth: Some(max_depth), ..bfs.clone() });
                for (p, (_, shortest)) in bounded.properties.iter().zip(&walk.shortest) {
                    let within = shortest.is_some_and(|l| l + 2 <= max_depth);
                    assert_eq!(
                        p.verdict == Verdict::Violated,
                        within,
                        "max_depth {max_depth}: {} (shortest {shortest:?})\n{text}",
                        p.name
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn no_faults_no_anomaly(k in knobs().prop_map(faultless)) {
        let scenario = k.scenario();
        let text = k.json(false);
        let outcome = search(&scenario);
        assert_exhaustive(&outcome, &text);
        assert_traces_are_real(&scenario, &outcome, &text);
        let skipped = if new_group_skips(&k) { Verdict::Violated } else { Verdict::Holds };
        assert_eq!(verdict(&outcome, "no-loss"), skipped, "{text}");
        let expected = if rebalance_duplicates(&k) { Verdict::Violated } else { Verdict::Holds };
        assert_eq!(verdict(&outcome, "no-duplicate"), expected, "{text}");
    }
}

proptest! {
    #![proptest_config(cases(48))]

    /// Exactly-once with the transaction fenced by generation (KIP-447)
    /// neither loses nor duplicates, whatever crashes and pauses. Without
    /// fencing, a member that lost its partition to another member while its
    /// transaction commit was on the wire still commits it after the new
    /// owner read the partition, and its outputs become visible a second
    /// time. That member is a zombie made by a pause (evicted while alive:
    /// models/group-exactly-once-zombie-unfenced.json) or, as the model
    /// shows, by a crash: the dead process's request is still delivered after
    /// its session timed out and the partition moved. With manual assignment
    /// or a single member the partition never moves to another consumer, and
    /// a restarted consumer's requests queue behind its dead incarnation's on
    /// the same connection, so nothing can overtake. Left out: fencing
    /// `none` in a group of two with a crash or a pause, and a committed
    /// offset that expires or is lost in a failover.
    #[test]
    fn exactly_once_never_loses_or_duplicates(
        k in knobs()
            .prop_map(|k| Knobs { delivery: Delivery::ExactlyOnce, ..k }.fit())
            .prop_filter("an unfenced zombie's transaction", |k| !unfenced_zombie_possible(k))
            .prop_filter("the committed offset is lost", |k| !offset_can_be_lost(k))
    ) {
        let scenario = k.scenario();
        let text = k.json(false);
        let outcome = search(&scenario);
        assert_exhaustive(&outcome, &text);
        assert_traces_are_real(&scenario, &outcome, &text);
        assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds, "{text}");
        assert_eq!(verdict(&outcome, "no-duplicate"), Verdict::Holds, "{text}");
    }
}

proptest! {
    #![proptest_config(cases(32))]

    /// A fault budget is an upper bound (crashes, pauses, lost or duplicated
    /// messages, coordinator failovers): every run of the smaller budget is
    /// a run of the larger one, so a counterexample stays one.
    #[test]
    fn more_faults_never_turn_violated_into_holds(
        (k, more) in (knobs(), any::<usize>())
            .prop_map(|(k, pick)| { let more = k.with_one_more_fault(pick); (k, more) })
            .prop_filter("too large with one more fault", |(_, more)| more.small())
    ) {
        let (fewer_scenario, more_scenario) = (k.scenario(), more.scenario());
        let (text, more_text) = (k.json(false), more.json(false));
        let (before, after) = (search(&fewer_scenario), search(&more_scenario));
        assert_exhaustive(&before, &text);
        assert_exhaustive(&after, &more_text);
        assert_traces_are_real(&more_scenario, &after, &more_text);
        for name in violated(&before) {
            assert_eq!(verdict(&after, name), Verdict::Violated, "{name} with one more fault\n{more_text}");
        }
    }
}

proptest! {
    #![proptest_config(cases(16))]

    /// A simulation's random walks visit only reachable states, so what they
    /// violate a complete search of the same scenario violates too.
    ///
    /// A simulation's own paths may not rebuild (Stateright's simulation
    /// records action indices that skip refused steps); `check` then keeps
    /// the discovery and finds its shortest counterexample itself, which this
    /// law exercises.
    #[test]
    fn simulation_violations_are_found_by_a_complete_search(k in knobs()) {
        let scenario = k.scenario();
        let text = k.json(false);
        let options =
            Options { search: Search::Simulation, timeout: Some(Duration::from_millis(300)), ..Options::default() };
        let simulated = check::check(&scenario, &options);
        assert_traces_are_real(&scenario, &simulated, &text);
        let searched = search(&scenario);
        assert_exhaustive(&searched, &text);
        for name in violated(&simulated) {
            assert_eq!(verdict(&searched, name), Verdict::Violated, "{name}: found by simulation only\n{text}");
        }
    }
}

/// Every mechanism the generator knows shows up in its scenarios, so that
/// no rule of [`Knobs::fit`] or bound of [`Knobs::small`] filters one out.
#[test]
fn the_generator_reaches_every_mechanism() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = knobs();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for _ in 0..2000 {
        for feature in generate::features(&strategy.new_tree(&mut runner).unwrap().current()) {
            *seen.entry(feature).or_default() += 1;
        }
    }
    println!("scenarios with each mechanism, of 2000: {seen:?}");
    let every = generate::every_feature();
    let missing: Vec<&&str> = every.iter().filter(|f| !seen.contains_key(**f)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}\n(seen: {seen:?})");
}

/// The generator's bounds ([`Knobs::small`]) keep every search small: the
/// largest of many generated scenarios stays under a state budget. Run it
/// after changing the generator or the model; it prints the largest ones.
#[test]
#[ignore = "samples 400 scenarios (minutes); run with --ignored --nocapture"]
fn generated_searches_stay_small() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = knobs();
    let mut sizes: Vec<(usize, f64, String)> = (0..400)
        .map(|_| {
            let k = strategy.new_tree(&mut runner).unwrap().current();
            let outcome = search(&k.scenario());
            (outcome.unique_states, outcome.seconds, k.json(false))
        })
        .collect();
    sizes.sort_by_key(|s| std::cmp::Reverse(s.0));
    let total: f64 = sizes.iter().map(|s| s.1).sum();
    println!("400 searches in {total:.1} s");
    for (states, seconds, text) in &sizes[..5] {
        println!("{states} states, {seconds:.2} s:\n{text}");
    }
    assert!(sizes[0].0 <= 30_000, "{} states:\n{}", sizes[0].0, sizes[0].2);
}
