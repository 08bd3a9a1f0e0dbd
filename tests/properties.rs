//! What each property says about whole runs of small scenarios: the verdict
//! the complete search reaches and the evidence its shortest counterexample
//! ends with, for every property at once, so a predicate that starts seeing
//! violations where there are none (or missing them) changes a row. The
//! predicates' finer cases (a zombie's rejected commit, a record on its way
//! to the sink) are pinned beside them, in `src/properties/`.

use kafkacheck::check::{self, Options, Outcome};
#[cfg(feature = "live")]
use kafkacheck::live::history::{History, LIVE_PROPERTIES};
use kafkacheck::properties::{self, Kind, PropertyId};
use kafkacheck::scenario;
use kafkacheck::verdict::Verdict::{self, Holds, Violated};
use std::path::Path;

/// Checks a scenario written inline, with the default (complete) search.
fn check(json: &str) -> Outcome {
    let s = scenario::parse(Path::new("inline.json"), json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let outcome = check::check(&s, &Options::default());
    assert!(outcome.complete, "{json}");
    outcome
}

/// Each property's verdict and the violation its counterexample ends with
/// ("" without one), in the registry's order.
fn verdicts(json: &str) -> Vec<(&'static str, Verdict, String)> {
    (check(json).properties.iter())
        .map(|p| (p.name, p.verdict, p.trace.as_ref().map(|t| t.violation.clone()).unwrap_or_default()))
        .collect()
}

/// The rows of a scenario in which every property holds but those given.
fn rows(violated: &[(&'static str, &str)]) -> Vec<(&'static str, Verdict, String)> {
    (properties::ALL.iter())
        .map(|p| match violated.iter().find(|(name, _)| *name == p.name) {
            Some((_, why)) => (p.name, Violated, why.to_string()),
            None => (p.name, Holds, String::new()),
        })
        .collect()
}

const LOST: &str =
    "(below the committed offset, never processed, and no live consumer or message will process it)";

#[test]
fn without_faults_every_strategy_keeps_every_property() {
    for strategy in ["at-most-once", "at-least-once", "exactly-once"] {
        let json = format!(
            r#"{{"name": "x", "partitions": 2, "messages": 2, "consumers": 1, "strategy": "{strategy}"}}"#
        );
        assert_eq!(verdicts(&json), rows(&[]), "{strategy}");
    }
}

#[test]
fn an_at_most_once_crash_between_commit_and_processing_loses_the_record() {
    let json = r#"{"name": "x", "partitions": 1, "messages": 3, "consumers": 1, "strategy": "at-most-once", "crashes": 1}"#;
    assert_eq!(
        verdicts(json),
        rows(&[
            ("no-loss", &format!("lost: partition 0 offset 0 {LOST}")),
            ("all-processed", "the run ended with partition 0 offset 2 never processed"),
        ])
    );
}

#[test]
fn a_loss_is_judged_per_partition() {
    let json = r#"{"name": "x", "partitions": 2, "messages": 1, "consumers": 1, "strategy": "at-most-once", "crashes": 1}"#;
    assert_eq!(
        verdicts(json),
        rows(&[
            ("no-loss", &format!("lost: partition 0 offset 0 {LOST}")),
            ("all-processed", "the run ended with partition 1 offset 0 never processed"),
        ])
    );
}

#[test]
fn an_at_least_once_crash_between_processing_and_commit_duplicates_the_record() {
    let json = r#"{"name": "x", "partitions": 1, "messages": 2, "consumers": 1, "strategy": "at-least-once", "crashes": 1}"#;
    assert_eq!(
        verdicts(json),
        rows(&[("no-duplicate", "duplicated: partition 0 offset 0 processed 2 times")])
    );
}

#[test]
fn a_fenced_at_most_once_zombie_drops_its_batch_and_loses_nothing() {
    // The zombie's commit is rejected before it processes: no-loss holds
    // because the records it will never process stay above the committed offset.
    // A batch whose commit was accepted before the eviction is still
    // processed beside the new owner: no duplicate, but not exclusive.
    let json = r#"{"name": "x", "partitions": 1, "messages": 2, "consumers": 2, "assignment": "group",
                   "strategy": "at-most-once", "pauses": 1}"#;
    let both =
        "partition 0: consumer-0 holds offset 0 and consumer-1 holds offset 1, all still to be processed";
    assert_eq!(verdicts(json), rows(&[("exclusive-processing", both)]));
}

#[test]
fn an_unfenced_at_most_once_zombie_processes_what_the_new_owner_processes() {
    let json = r#"{"name": "x", "partitions": 1, "messages": 2, "consumers": 2, "assignment": "group",
                   "strategy": "at-most-once", "pauses": 1, "fencing": "none"}"#;
    assert_eq!(
        verdicts(json),
        rows(&[
            ("no-duplicate", "duplicated: partition 0 offset 0 processed 2 times"),
            ("committed-monotonic", "partition 0: committed offset went back from 2 to 1"),
            (
                "exclusive-processing",
                "partition 0: consumer-0 holds offset 0 and consumer-1 holds offset 0, all still to be processed",
            ),
        ])
    );
}

#[test]
fn a_failover_of_an_acks_leader_offsets_topic_loses_an_acknowledged_commit() {
    let json = r#"{"name": "x", "partitions": 1, "messages": 2, "consumers": 1, "strategy": "at-least-once",
                   "offsets_topic": { "replicas": 3, "acks": "leader" }, "coordinator_failovers": 1}"#;
    let lost = "the acknowledged commit of offset 1 for partition 0 (record 0 of __consumer_offsets, leader epoch 0) \
                is lost: the log of replica 1, leader in epoch 1, does not have it, and it has no committed offset now";
    assert_eq!(verdicts(json), rows(&[("acked-commit-durable", lost)]));
}

#[test]
fn a_restart_after_an_acks_leader_failover_observes_the_committed_offset_go_back() {
    let json = r#"{"name": "x", "partitions": 1, "messages": 2, "consumers": 1, "strategy": "at-least-once",
                   "offsets_topic": { "replicas": 3, "acks": "leader" }, "coordinator_failovers": 1, "crashes": 1}"#;
    let lost = "the acknowledged commit of offset 1 for partition 0 (record 0 of __consumer_offsets, leader epoch 0) \
                is lost: the log of replica 1, leader in epoch 1, does not have it, and it has no committed offset now";
    assert_eq!(
        verdicts(json),
        rows(&[
            ("no-duplicate", "duplicated: partition 0 offset 0 processed 2 times"),
            ("committed-monotonic", "partition 0: committed offset went back from 2 to 1"),
            ("acked-commit-durable", lost),
        ])
    );
}

#[test]
fn the_outcome_names_each_property_and_its_kind_from_the_registry() {
    let outcome = check(
        r#"{"name": "x", "partitions": 1, "messages": 1, "consumers": 1, "strategy": "at-least-once"}"#,
    );
    let named: Vec<_> = outcome.properties.iter().map(|p| (p.id, p.name, p.kind)).collect();
    assert_eq!(
        named,
        [
            (PropertyId::NoLoss, "no-loss", "always"),
            (PropertyId::NoDuplicate, "no-duplicate", "always"),
            (PropertyId::AllProcessed, "all-processed", "eventually"),
            (PropertyId::CommittedMonotonic, "committed-monotonic", "always"),
            (PropertyId::SingleOwner, "single-owner", "always"),
            (PropertyId::AckedCommitDurable, "acked-commit-durable", "always"),
            (PropertyId::ExclusiveProcessing, "exclusive-processing", "always"),
        ]
    );
    assert!(properties::ALL.iter().all(|p| (p.kind == Kind::Eventually) == (p.name == "all-processed")));
}

#[test]
fn a_scenario_may_expect_only_the_registrys_properties() {
    for p in &properties::ALL {
        let json = format!(
            r#"{{"name": "x", "partitions": 1, "messages": 1, "consumers": 1, "strategy": "at-least-once",
                 "expect": {{"{}": "violated"}}}}"#,
            p.name
        );
        let s = scenario::parse(Path::new("inline.json"), json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.expected(p.name), kafkacheck::verdict::Expectation::Violated);
    }
    let json = r#"{"name": "x", "partitions": 1, "messages": 1, "consumers": 1, "strategy": "at-least-once",
                  "expect": {"no-losses": "holds"}}"#;
    let error = scenario::parse(Path::new("inline.json"), json.as_bytes()).unwrap_err().to_string();
    let listed = "unknown property `no-losses`, expected one of \
                  no-loss, no-duplicate, all-processed, committed-monotonic, single-owner, acked-commit-durable, \
                  exclusive-processing";
    assert!(error.contains(listed), "{error}");
}

#[cfg(feature = "live")]
#[test]
fn a_live_run_reports_the_registrys_live_properties_in_its_order() {
    assert_eq!(
        LIVE_PROPERTIES,
        ["no-loss", "no-duplicate", "all-processed", "committed-monotonic", "acked-commit-durable"]
    );
    let live: Vec<_> = properties::ALL.iter().filter(|p| p.live.is_some()).map(|p| p.name).collect();
    assert_eq!(live, LIVE_PROPERTIES);
    // Offset 1 processed twice, offsets 0 and 2 never, offset 0 below the commit.
    let h = History {
        partitions: 1,
        messages: 3,
        sink: kafkacheck::live::sink::SinkLog::parse("0 1 consumer-0 1\n0 1 consumer-0 2\n"),
        committed: [(0, 1)].into_iter().collect(),
        complete: true,
        ..History::default()
    };
    let found: Vec<_> = h.anomalies().into_iter().map(|a| (a.property, a.evidence)).collect();
    assert_eq!(
        found,
        [
            (
                "no-loss",
                "partition 0 offset 0 was never processed, yet the committed offset is 1".to_string()
            ),
            (
                "no-duplicate",
                "partition 0 offset 1 processed 2 times (consumer-0 start 1, consumer-0 start 2)".into()
            ),
            ("all-processed", "partition 0 offset 0 was never processed".into()),
            ("all-processed", "partition 0 offset 2 was never processed".into()),
        ]
    );
}
