//! Kafka's own exactly-once on the real broker (issue 16): consumers that
//! produce their outputs and commit their offsets in one transaction
//! (KIP-98, KIP-447), the output topic read back read_committed.
//!
//! Needs Apache Kafka (`scripts/install-kafka.sh`). Without it a test says
//! so and passes, unless `CI` is set. Every broker and consumer these tests
//! start listens on or connects to 127.0.0.1 only, and is stopped by its pid.

// Not every shared helper is used here.
#[allow(dead_code)]
#[path = "common/live.rs"]
mod common;
use common::reproduced_in;
use kafkacheck::live::broker;
use kafkacheck::live::plan::Plan;
use kafkacheck::live::schedule::Schedule;
use kafkacheck::live::wire::Point;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// A live test's start with the broker installed (`common::live_test`).
fn live_test() -> Option<(std::sync::MutexGuard<'static, ()>, tempfile::TempDir)> {
    common::live_test(broker::locate())
}

/// `kafkacheck live ... --format json --no-model-traces`, its one scenario and exit code.
fn live(args: &[&str], work: &Path) -> (Value, Option<i32>) {
    // librdkafka's consumers (the Java client's transactions: tests/live.rs).
    let mut all = vec!["live", "--client", "librdkafka", "--format", "json", "--no-model-traces"];
    all.extend_from_slice(&["--work-dir", work.to_str().unwrap()]);
    all.extend_from_slice(args);
    let out = Command::new(env!("CARGO_BIN_EXE_kafkacheck")).args(&all).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("live {args:?}: no JSON ({e}); stderr:\n{stderr}"));
    (doc["scenarios"][0].clone(), out.status.code())
}

/// What the consumers of a run reported (`reports.log` in its directory).
fn reports(run: &Value) -> String {
    std::fs::read_to_string(Path::new(run["dir"].as_str().unwrap()).join("reports.log")).unwrap()
}

fn plan_of(file: &str) -> Plan {
    Plan::new(&kafkacheck::scenario::load(Path::new(file)).unwrap()).unwrap()
}

/// The first seed from which `n` consecutive seeded schedules crash at
/// every one of receive, process and commit (`--runs n --seed S`).
fn seed_crashing_at_every_point(plan: &Plan, n: u64) -> u64 {
    let point = |seed: u64| Schedule::random(plan, seed).faults.first().map(|f| f.at.point);
    (1..500)
        .find(|&s| Point::ALL.iter().all(|p| (s..s + n).any(|seed| point(seed) == Some(*p))))
        .expect("a window of seeds crashing at every point")
}

#[test]
fn transactions_by_default_lose_and_duplicate_nothing_and_show_the_aborted_outputs() {
    let Some((_one, work)) = live_test() else { return };
    let file = "models/exactly-once.json";
    let seed = seed_crashing_at_every_point(&plan_of(file), 4).to_string();
    let (scenario, code) = live(&[file, "--runs", "4", "--seed", &seed], work.path());
    assert_eq!(code, Some(0), "{scenario:#}");
    let runs = scenario["runs"].as_array().unwrap();
    for run in runs {
        assert_eq!(run["delivery"], "transactional", "{run:#}");
        assert_eq!(run["complete"], true, "{run:#}");
        assert_eq!(run["anomalies"], Value::Array(vec![]), "{run:#}");
        assert_eq!(run["injected"].as_array().unwrap().len(), 1, "the crash was injected: {run:#}");
    }
    assert!(
        reproduced_in(&scenario, "no-duplicate").is_empty() && reproduced_in(&scenario, "no-loss").is_empty()
    );
    // A crash after `process` kills an open transaction: read_uncommitted sees its output.
    let aborted = |run: &&Value| {
        run["notes"].as_array().unwrap().iter().any(|n| {
            n.as_str().unwrap().ends_with("of an aborted transaction, invisible to read_committed")
                || n.as_str().unwrap().ends_with("of aborted transactions, invisible to read_committed")
        })
    };
    let crashed_mid_transaction = runs.iter().find(aborted).unwrap_or_else(|| panic!("{scenario:#}"));
    assert!(
        crashed_mid_transaction["injected"][0].as_str().unwrap().contains("after process"),
        "{crashed_mid_transaction:#}"
    );
}

#[test]
fn the_external_store_is_still_its_own_exactly_once() {
    let Some((_one, work)) = live_test() else { return };
    let (scenario, code) =
        live(&["models/exactly-once.json", "--exactly-once", "external-store", "--runs", "2"], work.path());
    assert_eq!(code, Some(0), "{scenario:#}");
    for run in scenario["runs"].as_array().unwrap() {
        assert_eq!(run["delivery"], "exactly-once", "{run:#}");
        assert_eq!(run["anomalies"], Value::Array(vec![]), "{run:#}");
        assert!(!reports(run).contains("commit "), "the external store commits nothing to Kafka: {run:#}");
    }
}

/// A model trace of a zombie: consumer-0 joins alone, receives and
/// processes the first record (its output in the open transaction), then
/// consumer-1 joins (a late start) and the group evicts consumer-0 while it
/// is up (a pause past the session timeout).
const ZOMBIE_TRACE: &str = r#"{"trace": {"steps": [
  {"event": "join", "actor": "coordinator", "peer": "consumer-0"},
  {"event": "receive", "actor": "consumer-0"},
  {"event": "process", "actor": "sink", "peer": "consumer-0"},
  {"event": "join", "actor": "coordinator", "peer": "consumer-1"},
  {"event": "evict", "actor": "coordinator", "peer": "consumer-0"}
]}}"#;

#[test]
fn a_paused_transactional_zombie_fails_to_commit_and_duplicates_nothing() {
    let Some((_one, work)) = live_test() else { return };
    let trace = work.path().join("zombie.json");
    std::fs::write(&trace, ZOMBIE_TRACE).unwrap();
    let file = "models/group-exactly-once-zombie-fenced.json";
    let (scenario, code) =
        live(&[file, "--replay", trace.to_str().unwrap(), "--runs", "0"], &work.path().join("runs"));
    assert_eq!(code, Some(0), "{scenario:#}");
    let run = &scenario["runs"][0];
    let schedule = run["schedule"].as_array().unwrap();
    assert_eq!(schedule[0], "start consumer-1 when consumer-0 (start 1) is after process #1", "{run:#}");
    assert_eq!(schedule[1], "pause consumer-0 (start 1) after process #1", "{run:#}");
    assert_eq!(run["complete"], true, "{run:#}");
    assert!(run["injected"].as_array().unwrap().iter().any(|i| i.as_str().unwrap().starts_with("resumed")));
    let log = reports(run);
    let lines: Vec<&str> = log.lines().collect();
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle));
    // Consumer 0 owns the one partition first: consumer-1 starts only now.
    let halted = at("consumer-0 start 1: halt process:1").unwrap_or_else(|| panic!("{log}"));
    let failed =
        at("consumer-0 start 1: commit-failed 0 ").unwrap_or_else(|| panic!("no failed commit:\n{log}"));
    assert!(log.contains("Unknown member") || log.contains("generation"), "the coordinator's check:\n{log}");
    // The group moved on while it was stopped: the other member committed the zombie's record first.
    let taken_over = lines[halted..]
        .iter()
        .position(|l| l.contains("consumer-1 start 1: commit 0 "))
        .map(|i| i + halted)
        .unwrap_or_else(|| panic!("{log}"));
    assert!(halted < taken_over && taken_over < failed, "{log}");
    let notes: Vec<&str> = run["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(
        notes.contains(&"1 output record of an aborted transaction, invisible to read_committed"),
        "{notes:?}"
    );
    assert!(reproduced_in(&scenario, "no-duplicate").is_empty(), "{scenario:#}");
    assert!(reproduced_in(&scenario, "no-loss").is_empty(), "{scenario:#}");
}

#[test]
fn on_a_users_cluster_the_output_topic_goes_with_the_input_topic() {
    let Some((_one, work)) = live_test() else { return };
    let install = broker::locate().unwrap();
    let cluster = broker::Broker::start(&install, &work.path().join("cluster")).unwrap();
    let addr = cluster.addr.to_string();
    let args =
        ["models/exactly-once.json", "--bootstrap", &addr, "--session-timeout-ms", "2000", "--runs", "1"];
    let (scenario, code) = live(&args, &work.path().join("runs"));
    assert_eq!(code, Some(0), "{scenario:#}");
    let run = &scenario["runs"][0];
    assert_eq!(run["delivery"], "transactional", "{run:#}");
    let clean_up: Vec<&Value> = run["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.as_str().unwrap().starts_with("clean-up"))
        .collect();
    assert!(clean_up.is_empty(), "{run:#}");
    let topic = run["topic"].as_str().unwrap();
    let listed = kafkacheck::live::cluster::Cluster::connect(&addr).unwrap().topics().unwrap();
    let output = format!("{topic}-out");
    assert!(!listed.iter().any(|t| *t == topic || *t == output), "{topic} left behind in {listed:?}");
}
