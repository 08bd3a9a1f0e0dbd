//! `kafkacheck live` on the real broker (issue 8): the model's verdicts
//! against what real consumers do under the same faults.
//!
//! Needs Apache Kafka (`scripts/install-kafka.sh`, which `.ci/run` calls).
//! Without it a test says so and passes, unless `CI` is set. Every
//! broker and consumer these tests start listens on or connects to 127.0.0.1
//! only, and is stopped by its pid when its run ends; a test checks that
//! none is left behind.

use kafkacheck::live::broker::{self, Broker};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

/// One live test at a time: runs on two cores must not starve each other's
/// timing (pauses, heartbeats).
static LIVE: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the broker is installed; without it, `false` outside CI (with a
/// message) and a failure in CI.
fn broker_installed() -> bool {
    match broker::locate() {
        Ok(_) => true,
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but {e}");
            println!("SKIPPED: {e}");
            false
        }
    }
}

/// A live test's start: the broker is there (see [`broker_installed`]), no
/// other live test runs, and a fresh directory for its files.
fn live_test() -> Option<(std::sync::MutexGuard<'static, ()>, tempfile::TempDir)> {
    broker_installed().then(|| (serial(), tempfile::tempdir().unwrap()))
}

fn kafkacheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafkacheck")).args(args).output().unwrap()
}

/// `kafkacheck live ... --format json`, its document and its exit code.
fn live(args: &[&str], work: &Path) -> (Value, Option<i32>) {
    let mut all = vec!["live", "--format", "json", "--work-dir", work.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = kafkacheck(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("live {args:?}: no JSON ({e}); stderr:\n{stderr}"));
    (doc, out.status.code())
}

/// The runs of one property in a live document's scenario: which runs reproduced it.
fn reproduced_in(scenario: &Value, property: &str) -> Vec<u64> {
    let p = scenario["properties"].as_array().unwrap().iter().find(|p| p["property"] == property).unwrap();
    p["reproduced_in"].as_array().unwrap().iter().map(|r| r.as_u64().unwrap()).collect()
}

/// Processes whose command line mentions `needle` (left-over consumers or brokers).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) && !cmd.contains("cargo") {
                found.push(format!("{}: {cmd}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

#[test]
fn at_least_once_shows_a_real_duplicate_and_exactly_once_none() {
    let Some((_one, work)) = live_test() else { return };
    let (doc, code) =
        live(&["models/at-least-once.json", "models/exactly-once.json", "--runs", "2"], work.path());
    assert_eq!(code, Some(0), "{doc:#}");
    let [alo, eos] = doc["scenarios"].as_array().unwrap().as_slice() else { panic!("{doc:#}") };
    // The model's counterexample, replayed first, duplicates a record for real.
    assert!(reproduced_in(alo, "no-duplicate").contains(&0), "{alo:#}");
    let evidence = alo["properties"][1]["evidence"].as_str().unwrap();
    assert!(evidence.contains("processed 2 times (consumer-0 start 1, consumer-0 start 2)"), "{evidence}");
    for run in eos["runs"].as_array().unwrap() {
        assert_eq!(run["anomalies"], Value::Array(vec![]), "{run:#}");
        assert_eq!(run["complete"], true, "{run:#}");
        assert_eq!(run["injected"].as_array().unwrap().len(), 1, "the crash was injected: {run:#}");
    }
    assert!(processes_mentioning(work.path().to_str().unwrap()).is_empty());
}

#[test]
fn the_model_column_is_the_models_verdict_and_an_unreproduced_counterexample_contradicts_it() {
    let Some((_one, work)) = live_test() else { return };
    // at-least-once.json with an expectation the model does not meet.
    let text = std::fs::read_to_string("models/at-least-once.json").unwrap();
    let wrong = text.replace("\"no-duplicate\": \"violated\"", "\"no-duplicate\": \"holds\"");
    assert_ne!(wrong, text);
    let file = work.path().join("wrong-expect.json");
    std::fs::write(&file, wrong).unwrap();
    // No replay and no seeded run: nothing can reproduce the duplicate.
    let (doc, code) =
        live(&[file.to_str().unwrap(), "--runs", "0", "--no-model-traces"], &work.path().join("runs"));
    assert_eq!(code, Some(1), "{doc:#}");
    assert_eq!(doc["ok"], false);
    let props = doc["scenarios"][0]["properties"].as_array().unwrap();
    let dup = props.iter().find(|p| p["property"] == "no-duplicate").unwrap();
    assert_eq!((&dup["model"], &dup["expected"]), (&"violated".into(), &"holds".into()), "{dup:#}");
    let lost = props.iter().find(|p| p["property"] == "no-loss").unwrap();
    assert_eq!(lost["model"], "holds", "{lost:#}");
}

#[test]
fn a_counterexample_from_check_replays_on_the_broker() {
    let Some((_one, work)) = live_test() else { return };
    let reports = work.path().join("reports");
    let out = kafkacheck(&["check", "models/at-most-once.json", "--report-dir", reports.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let trace = reports.join("at-most-once.no-loss.json");
    let (doc, code) = live(
        &["models/at-most-once.json", "--replay", trace.to_str().unwrap(), "--runs", "0"],
        &work.path().join("runs"),
    );
    assert_eq!(code, Some(0));
    let scenario = &doc["scenarios"][0];
    let run = &scenario["runs"][0];
    // The trace's crash right after the commit of offset 0 (6 steps) becomes the halt after commit #1.
    assert_eq!(run["schedule"][0], "crash consumer-0 (start 1) after commit #1", "{run:#}");
    assert_eq!(reproduced_in(scenario, "no-loss"), [0], "{scenario:#}");
    assert_eq!(reproduced_in(scenario, "no-duplicate"), Vec::<u64>::new());
}

#[test]
fn check_live_records_whether_each_counterexample_reproduced() {
    let Some((_one, reports)) = live_test() else { return };
    let out = kafkacheck(&[
        "check",
        "models/group-zombie-fenced.json",
        "models/network-lossy-at-least-once.json",
        "--live",
        "--format",
        "json",
        "--report-dir",
        reports.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let props = doc["scenarios"][0]["properties"].as_array().unwrap();
    let dup = props.iter().find(|p| p["name"] == "no-duplicate").unwrap();
    assert_eq!(dup["reproduced_on_broker"], "yes", "{dup:#}");
    assert!(
        dup["broker_evidence"].as_str().unwrap().contains("consumer-0 start 1, consumer-1 start 1"),
        "{dup:#}"
    );
    // A property without a counterexample was not replayed.
    let lost = props.iter().find(|p| p["name"] == "no-loss").unwrap();
    assert!(lost.get("reproduced_on_broker").is_none(), "{lost:#}");
    // A scenario the broker cannot run says so instead of guessing.
    let lossy = &doc["scenarios"][1]["properties"].as_array().unwrap();
    let dup = lossy.iter().find(|p| p["name"] == "no-duplicate").unwrap();
    assert_eq!(dup["reproduced_on_broker"], "not-run", "{dup:#}");
    assert!(dup["broker_evidence"].as_str().unwrap().contains("network:"), "{dup:#}");
    let story = std::fs::read_to_string(reports.path().join("group-zombie-fenced.no-duplicate.md")).unwrap();
    assert!(
        story.contains("**Reproduced on broker:** yes: partition 0 offset 0 processed 2 times"),
        "{story}"
    );
}

#[test]
fn bootstrap_runs_on_a_users_cluster_and_leaves_no_topic_behind() {
    let Some((_one, work)) = live_test() else { return };
    let install = broker::locate().unwrap();
    let cluster = Broker::start(&install, &work.path().join("cluster")).unwrap();
    println!("{}", cluster.describe());
    let addr = cluster.addr.to_string();
    let (doc, code) = live(
        &["models/at-most-once.json", "--bootstrap", &addr, "--session-timeout-ms", "2000", "--runs", "0"],
        &work.path().join("runs"),
    );
    assert_eq!(code, Some(0), "{doc:#}");
    let scenario = &doc["scenarios"][0];
    assert!(scenario["broker"].as_str().unwrap().contains("your cluster"), "{scenario:#}");
    assert!(!reproduced_in(scenario, "no-loss").is_empty(), "{scenario:#}");
    for run in scenario["runs"].as_array().unwrap() {
        assert_eq!(run["notes"], Value::Array(vec![]), "clean-up problems: {run:#}");
        let topic = run["topic"].as_str().unwrap();
        let listed = kafkacheck::live::cluster::Cluster::connect(&addr).unwrap().topics().unwrap();
        assert!(!listed.iter().any(|t| t == topic), "{topic} left behind in {listed:?}");
    }
    // Stopped by its pid (SIGTERM, Kafka's controlled shutdown), its log directory gone.
    let pid = cluster.pid();
    drop(cluster);
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "broker {pid} still running");
    assert!(!work.path().join("cluster/data").exists());
    assert!(work.path().join("cluster/broker.log").is_file());
}

#[test]
fn scenarios_the_broker_cannot_run_are_refused_with_the_reason() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path().to_str().unwrap();
    let out = kafkacheck(&["live", "models/network-lossy-at-least-once.json", "--work-dir", w]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("network-lossy-at-least-once.json: cannot run live: network:"), "{err}");

    let bad = work.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"trace\": [1,\n").unwrap();
    let out = kafkacheck(&[
        "live",
        "models/at-least-once.json",
        "--replay",
        bad.to_str().unwrap(),
        "--work-dir",
        w,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.json:3:"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_kafkacheck"))
        .args(["live", "models/at-least-once.json", "--work-dir", w])
        .env("KAFKACHECK_KAFKA_HOME", "/nonexistent/kafka")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("KAFKACHECK_KAFKA_HOME=/nonexistent/kafka has no libs/kafka_2.13-*.jar"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn every_consumer_plan_of_a_runnable_model_file_survives_its_command_line() {
    use kafkacheck::live::plan::{ConsumerPlan, Plan, RunPlan};
    let run = RunPlan {
        bootstrap: "127.0.0.1:1".into(),
        topic: "t".into(),
        group: "t-group".into(),
        sink: "/tmp/sink.log".into(),
        session_timeout_ms: 2000,
        output_topic: "t-out".into(),
    };
    let mut runnable = 0;
    for entry in std::fs::read_dir("models").unwrap() {
        let path = entry.unwrap().path();
        let scenario = kafkacheck::scenario::load(&path).unwrap();
        let Ok(plan) = Plan::new(&scenario) else { continue };
        runnable += 1;
        for c in 0..plan.consumers {
            let mine = plan.consumer(&run, c, 1, Vec::new(), true);
            assert_eq!(ConsumerPlan::from_json(&mine.to_json()).as_ref(), Ok(&mine), "{}", path.display());
        }
    }
    assert!(runnable >= 20, "live-runnable model files: {runnable}");
}

#[test]
fn the_consumer_process_refuses_a_broken_plan() {
    let out = kafkacheck(&["consumer", "{\"run\": {}}"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a consumer plan"), "{err}");
    let out = kafkacheck(&["consumer", "--bootstrap", "127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(2), "no per-knob flags: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_killed_harness_takes_its_broker_and_consumers_with_it() {
    let Some((_one, work)) = live_test() else { return };
    let dir = work.path().to_str().unwrap();
    // Named in the command lines of the harness, its consumers (the sink's path) and its broker (its config's path).
    let name = work.path().file_name().unwrap().to_str().unwrap();
    // The zombie scenario keeps a consumer stopped for seconds: time to kill the harness mid-run.
    let mut harness = Command::new(env!("CARGO_BIN_EXE_kafkacheck"))
        .args(["live", "models/group-zombie-fenced.json", "--runs", "0", "--work-dir", dir])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // A JVM start on two shared cores: 8-25 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while processes_mentioning(name).len() < 4 {
        assert!(std::time::Instant::now() < deadline, "the run never had its broker and two consumers up");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    harness.kill().unwrap();
    harness.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !processes_mentioning(name).is_empty() {
        assert!(std::time::Instant::now() < deadline, "left behind: {:?}", processes_mentioning(name));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
