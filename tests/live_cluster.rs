//! `kafkacheck live` on a private three-broker cluster (issue 16): the
//! coordinator failover of the `offsets-acks-*` model files, injected into
//! real Apache Kafka, loses an acknowledged commit exactly where the model
//! says it does (acks=leader on Kafka 3.9.1; acks=all with unclean election
//! on 4.4.0) and nowhere else (acks=all with a clean election).
//!
//! Needs both installs (`scripts/install-kafka.sh` and
//! `scripts/install-kafka.sh 3.9.1`, which `.ci/run` calls). Without them a
//! test says so and passes, unless `CI` is set. Every JVM and consumer
//! listens on or connects to 127.0.0.1 only and is stopped by its pid; each
//! test checks that none is left behind.

#[path = "common/live.rs"]
mod common;
use common::{processes_mentioning, reproduced_in};
use kafkacheck::live::broker;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// A cluster test's start: Kafka `version` installed, one test at a time
/// (four JVMs and the consumers share two cores; `common::live_test`).
fn cluster_test(version: &str) -> Option<(std::sync::MutexGuard<'static, ()>, tempfile::TempDir)> {
    common::live_test(broker::locate_version(version))
}

/// `kafkacheck live FILE --runs 0 --format json`: the model's traces
/// replayed, no seeded run. The document's one scenario and the exit code.
fn replay(file: &str, work: &Path) -> (Value, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_kafkacheck"))
        // librdkafka's consumers: the failover is the cluster's doing; both
        // clients run in tests/live_agreement.rs.
        .args(["live", file, "--client", "librdkafka", "--runs", "0", "--format", "json", "--work-dir"])
        .arg(work)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("live {file}: no JSON ({e}); stderr:\n{stderr}"));
    (doc["scenarios"][0].clone(), out.status.code())
}

/// The run with index `run`.
fn run(scenario: &Value, run: u64) -> &Value {
    scenario["runs"].as_array().unwrap().iter().find(|r| r["run"] == run).unwrap()
}

fn injected(run: &Value) -> String {
    run["injected"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

/// The lost acknowledged commit reproduced by a replayed model trace whose
/// failover really killed the coordinator's broker, on `version`.
fn assert_loses_an_acknowledged_commit(file: &str, version: &str) {
    let Some((_one, work)) = cluster_test(version) else { return };
    let (scenario, code) = replay(file, work.path());
    assert_eq!(code, Some(0), "the runs agree with the model: {scenario:#}");
    let name = scenario["broker"].as_str().unwrap();
    assert!(name.starts_with(&format!("Apache Kafka {version} cluster on 127.0.0.1:")), "{name}");
    let lost = reproduced_in(&scenario, "acked-commit-durable");
    assert!(!lost.is_empty(), "{scenario:#}");
    for r in &lost {
        let r = run(&scenario, *r);
        assert_eq!(r["seed"], Value::Null, "a replayed model trace: {r:#}");
        let faults = injected(r);
        assert!(faults.contains("killed broker"), "{faults}");
        assert!(faults.contains("read back after the failover"), "{faults}");
    }
    assert!(!reproduced_in(&scenario, "committed-monotonic").is_empty(), "{scenario:#}");
    assert!(reproduced_in(&scenario, "no-loss").is_empty(), "{scenario:#}");
    assert!(processes_mentioning(work.path().to_str().unwrap()).is_empty());
}

#[test]
fn acks_leader_loses_an_acknowledged_commit_on_kafka_3_9() {
    assert_loses_an_acknowledged_commit("models/offsets-acks-leader-failover.json", broker::LEGACY_VERSION);
}

#[test]
fn acks_all_with_unclean_election_loses_an_acknowledged_commit_on_kafka_4() {
    assert_loses_an_acknowledged_commit(
        "models/offsets-acks-all-unclean-failover.json",
        broker::KAFKA_VERSION,
    );
}

#[test]
fn acks_all_with_a_clean_election_keeps_every_acknowledged_commit() {
    let Some((_one, work)) = cluster_test(broker::KAFKA_VERSION) else { return };
    // The model proves every property: no counterexample to replay, so a
    // seeded run injects the failover.
    let out = Command::new(env!("CARGO_BIN_EXE_kafkacheck"))
        .args(["live", "models/offsets-acks-all-failover.json", "--runs", "2", "--format", "json"])
        .args(["--work-dir", work.path().to_str().unwrap()])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let scenario = &doc["scenarios"][0];
    assert_eq!(out.status.code(), Some(0), "{scenario:#}");
    for r in scenario["runs"].as_array().unwrap() {
        assert_eq!(r["anomalies"], Value::Array(vec![]), "{r:#}");
        let faults = injected(r);
        assert!(faults.contains("killed broker"), "every seeded run fails over: {faults}");
        assert!(faults.contains("restarted broker"), "{faults}");
    }
    assert!(processes_mentioning(work.path().to_str().unwrap()).is_empty());
}
