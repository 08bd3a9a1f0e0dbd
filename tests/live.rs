//! `kafkacheck live` on the real broker (issue 8): the model's verdicts
//! against what real consumers do under the same faults.
//!
//! Needs Apache Kafka (`scripts/install-kafka.sh`, which `.ci/run` calls).
//! Without it a test says so and passes, unless `CI` is set. Every
//! broker and consumer these tests start listens on or connects to 127.0.0.1
//! only, and is stopped by its pid when its run ends; a test checks that
//! none is left behind.

#[path = "common/live.rs"]
mod common;
use common::{processes_mentioning, reproduced_in};
use kafkacheck::live::broker::{self, Broker};
use kafkacheck::live::cluster::Placement;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// A live test's start with the broker installed (`common::live_test`).
fn live_test() -> Option<(std::sync::MutexGuard<'static, ()>, tempfile::TempDir)> {
    common::live_test(broker::locate())
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

/// Whether the Java client is built (`scripts/install-java-client.sh`; see `common::installed`).
fn java_client_built() -> bool {
    common::installed(
        kafkacheck::live::client::LiveClient::Java.locate(Path::new(env!("CARGO_BIN_EXE_kafkacheck"))),
    )
}

#[test]
fn at_least_once_shows_a_real_duplicate_and_exactly_once_none_with_each_client() {
    let Some((_one, work)) = live_test() else { return };
    if !java_client_built() {
        return;
    }
    let (doc, code) = live(
        &["models/at-least-once.json", "models/exactly-once.json", "--client", "both", "--runs", "2"],
        work.path(),
    );
    assert_eq!(code, Some(0), "{doc:#}");
    let scenarios = doc["scenarios"].as_array().unwrap();
    let named: Vec<(&str, &str, &str)> = scenarios
        .iter()
        .map(|s| {
            (s["file"].as_str().unwrap(), s["client"].as_str().unwrap(), s["model_client"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        named,
        [
            ("models/at-least-once.json", "java", "java"),
            ("models/at-least-once.json", "librdkafka", "librdkafka"),
            ("models/exactly-once.json", "java", "java"),
            ("models/exactly-once.json", "librdkafka", "librdkafka"),
        ],
        "one report per (file, client), its model checked for that client"
    );
    for alo in &scenarios[..2] {
        // The model's counterexample, replayed first, duplicates a record for real.
        assert!(reproduced_in(alo, "no-duplicate").contains(&0), "{alo:#}");
        let evidence = alo["properties"][1]["evidence"].as_str().unwrap();
        assert!(
            evidence.contains("processed 2 times (consumer-0 start 1, consumer-0 start 2)"),
            "{evidence}"
        );
    }
    for eos in &scenarios[2..] {
        for run in eos["runs"].as_array().unwrap() {
            assert_eq!(run["anomalies"], Value::Array(vec![]), "{run:#}");
            assert_eq!(run["complete"], true, "{run:#}");
            assert_eq!(run["injected"].as_array().unwrap().len(), 1, "the crash was injected: {run:#}");
        }
    }
    // The consumers' command lines carry their plan, which names the run's sink under the work dir.
    assert!(processes_mentioning(work.path().to_str().unwrap()).is_empty());
    assert!(
        processes_mentioning(kafkacheck::live::client::JAVA_MAIN)
            .iter()
            .all(|p| !p.contains(work.path().to_str().unwrap()))
    );
}

#[test]
fn a_counterexample_from_check_replays_with_the_java_client() {
    let Some((_one, work)) = live_test() else { return };
    if !java_client_built() {
        return;
    }
    let reports = work.path().join("reports");
    let out = kafkacheck(&["check", "models/at-least-once.json", "--report-dir", reports.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let trace = reports.join("at-least-once.no-duplicate.json");
    let (doc, code) = live(
        &[
            "models/at-least-once.json",
            "--client",
            "java",
            "--replay",
            trace.to_str().unwrap(),
            "--runs",
            "0",
        ],
        &work.path().join("runs"),
    );
    assert_eq!(code, Some(0), "{doc:#}");
    let scenario = &doc["scenarios"][0];
    assert_eq!(scenario["client"], "java");
    let run = &scenario["runs"][0];
    assert_eq!(run["schedule"][0], "crash consumer-0 (start 1) after process #1", "{run:#}");
    assert_eq!(reproduced_in(scenario, "no-duplicate"), [0], "{scenario:#}");
    assert_eq!(reproduced_in(scenario, "no-loss"), Vec::<u64>::new());
    assert!(processes_mentioning(work.path().to_str().unwrap()).is_empty());
}

#[test]
fn the_java_consumer_refuses_a_broken_plan() {
    if !java_client_built() {
        return;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_kafkacheck"));
    let launcher = kafkacheck::live::client::LiveClient::Java.locate(exe).unwrap();
    for (plan, why) in [("{\"run\": {}}", "missing field `bootstrap`"), ("not json", "not a consumer plan")] {
        let out = launcher.command(plan).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{plan}: {err}");
        assert!(err.contains("not a consumer plan") && err.contains(why), "{plan}: {err}");
        assert!(
            out.stdout.is_empty(),
            "nothing on the protocol's stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // A plan with a delivery it does not know names it.
    let run = kafkacheck::live::plan::RunPlan {
        bootstrap: "127.0.0.1:1".into(),
        topic: "t".into(),
        group: "t-group".into(),
        sink: "/tmp/sink.log".into(),
        session_timeout_ms: 2000,
        output_topic: "t-out".into(),
    };
    let plan = kafkacheck::live::plan::Plan::new(&kafkacheck::scenario::Scenario::default()).unwrap();
    let json = plan.consumer(&run, 0, 1, Vec::new(), false).to_json().replace("at-least-once", "twice");
    let out = launcher.command(&json).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown variant `twice`"), "{err}");
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
        &[
            "models/at-most-once.json",
            "--client",
            "librdkafka",
            "--replay",
            trace.to_str().unwrap(),
            "--runs",
            "0",
        ],
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
        "--client",
        "librdkafka",
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
        output_topic: "t-out".into(),
        group: "t-group".into(),
        sink: "/tmp/sink.log".into(),
        session_timeout_ms: 2000,
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

/// One consumer process of a test, its step lines collected by a thread.
struct Stepper {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Stepper {
    fn start(launcher: &kafkacheck::live::client::Launcher, plan: &str, stderr: &Path) -> Stepper {
        let mut child = launcher
            .command(plan)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(stderr).unwrap())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Stepper { child, stdin, lines, seen: Vec::new() }
    }

    /// Reads step lines until one starts with `prefix`; a generous bound for JVM starts on shared cores.
    fn until(&mut self, prefix: &str) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.starts_with(prefix);
                    self.seen.push(line);
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for Stepper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The transactional delivery of the Java consumer on the real broker: a
/// batch's outputs and offsets commit in one transaction, and a zombie
/// (start 1, halted inside its open transaction) is fenced by its restart's
/// initTransactions(): its transaction fails and it exits nonzero.
#[test]
fn the_java_consumers_transactions_commit_offsets_and_fence_a_zombie() {
    use kafkacheck::live::plan::{ConsumerPlan, Delivery, Partitions, RunPlan};
    let Some((_one, work)) = live_test() else { return };
    if !java_client_built() {
        return;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_kafkacheck"));
    let launcher = kafkacheck::live::client::LiveClient::Java.locate(exe).unwrap();
    let broker = Broker::start(&broker::locate().unwrap(), &work.path().join("broker")).unwrap();
    let addr = broker.addr.to_string();
    let cluster = kafkacheck::live::cluster::Cluster::connect(&addr).unwrap();
    cluster.create_topic("in", 1, &Placement::Factor(1)).unwrap();
    cluster.create_topic("out", 1, &Placement::Factor(1)).unwrap();
    cluster.produce("in", 1, 3).unwrap();
    let run = RunPlan {
        bootstrap: addr,
        topic: "in".into(),
        group: "g".into(),
        sink: work.path().join("sink.log"),
        session_timeout_ms: 2000,
        output_topic: "out".into(),
    };
    let plan = |incarnation, halts: &[&str]| ConsumerPlan {
        run: run.clone(),
        consumer: 0,
        incarnation,
        partitions: Partitions::Assign(vec![0]),
        max_poll_records: 3,
        delivery: Delivery::Transactional,
        halts: halts.iter().map(|h| h.parse().unwrap()).collect(),
    };
    let mut zombie =
        Stepper::start(&launcher, &plan(1, &["process:1"]).to_json(), &work.path().join("1.stderr"));
    assert!(zombie.until("halt process:1"), "{:?}", zombie.seen);
    let mut restart = Stepper::start(&launcher, &plan(2, &[]).to_json(), &work.path().join("2.stderr"));
    assert!(restart.until("commit 0 3"), "the restart commits the batch: {:?}", restart.seen);
    assert_eq!(cluster.committed("in", "g", 1).unwrap().get(&0), Some(&3));
    use std::io::Write;
    writeln!(zombie.stdin, "go").unwrap();
    assert!(zombie.until("commit-failed 0 3"), "the zombie's transaction fails: {:?}", zombie.seen);
    let status = zombie.child.wait().unwrap();
    assert!(!status.success(), "a fenced producer exits nonzero: {status}");
    let stderr = std::fs::read_to_string(work.path().join("1.stderr")).unwrap();
    assert!(stderr.contains("fatal transaction error"), "{stderr}");
    assert_eq!(cluster.committed("in", "g", 1).unwrap().get(&0), Some(&3), "the zombie committed nothing");
}
