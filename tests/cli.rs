//! The `kafkacheck` binary: exit codes, messages on bad input, the JSON
//! document, report files and the Explorer server.

mod common {
    pub mod cli;
}

use common::cli::{VALID, kafkacheck, stderr};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Writes `text` to a scenario file in a fresh directory and runs `check` on it.
fn check_text(text: &str) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    std::fs::write(&file, text).unwrap();
    (kafkacheck(&["check", file.to_str().unwrap()]), dir)
}

fn assert_bad_input(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let (o, _d) = check_text("{\n  \"name\": \"t\",\n  \"partitions\": 1,,\n}");
    assert_bad_input(&o, &["s.json:3:19: key must be a string"]);
}

#[test]
fn unknown_field_is_named() {
    let (o, _d) = check_text(&VALID.replace("\"crashes\"", "\"crash\""));
    assert_bad_input(&o, &["s.json:", "unknown field `crash`"]);
}

#[test]
fn unknown_strategy_lists_the_strategies() {
    let (o, _d) = check_text(&VALID.replace("at-least-once", "best-effort"));
    assert_bad_input(&o, &["field `strategy`", "best-effort", "at-most-once"]);
}

#[test]
fn zero_consumers_is_rejected() {
    let (o, _d) = check_text(&VALID.replace("\"consumers\": 1", "\"consumers\": 0"));
    assert_bad_input(&o, &["field `consumers`", "between 1 and"]);
}

#[test]
fn missing_file_and_empty_directory_are_bad_input() {
    assert_bad_input(&kafkacheck(&["check", "no/such/file.json"]), &["no/such/file.json"]);
    let dir = tempfile::tempdir().unwrap();
    let o = kafkacheck(&["check", dir.path().to_str().unwrap()]);
    assert_bad_input(&o, &["no *.json scenario files"]);
}

#[test]
fn usage_errors_exit_2() {
    assert_bad_input(&kafkacheck(&["check"]), &["PATHS"]);
    assert_bad_input(&kafkacheck(&["check", "models", "--search", "sideways"]), &["sideways"]);
}

#[test]
fn an_unmet_expectation_exits_1_and_says_so() {
    let (o, _d) = check_text(&VALID.replace("\"crashes\": 0", "\"crashes\": 1"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("no-duplicate") && out.contains("UNEXPECTED"), "{out}");
    assert!(out.contains("processed 2 times"), "the trace is printed: {out}");
}

#[test]
fn json_document_has_the_designed_shape() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let o = kafkacheck(&[
        "check",
        "models/at-least-once.json",
        "models/exactly-once.json",
        "--format",
        "json",
        "--report-dir",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], true);
    let s = &doc["scenarios"][0];
    assert_eq!(s["file"], "models/at-least-once.json");
    assert_eq!(s["complete"], true);
    // The document carries the search's own numbers (the CLI's defaults are `Options::default()`).
    let scenario = kafkacheck::scenario::load(Path::new("models/at-least-once.json")).unwrap();
    let searched = kafkacheck::check::check(&scenario, &kafkacheck::check::Options::default());
    assert_eq!(
        (s["unique_states"].as_u64(), s["max_depth"].as_u64()),
        (Some(searched.unique_states as u64), Some(searched.max_depth as u64))
    );
    let dup = s["properties"].as_array().unwrap().iter().find(|p| p["name"] == "no-duplicate").unwrap();
    assert_eq!(dup["expectation"], "always");
    assert_eq!(
        (&dup["verdict"], &dup["expected"], &dup["matches"]),
        (&"violated".into(), &"violated".into(), &true.into())
    );
    let step = &dup["trace"]["steps"][0];
    assert!(step["step"].is_u64() && step["actor"].is_string() && step["event"].is_string());
    assert_eq!(s["notes"], serde_json::json!([]), "every scenario has its notes, here none");
    let all = doc["scenarios"][1]["properties"].as_array().unwrap();
    assert!(all.iter().all(|p| p["verdict"] == "holds" && p.get("trace").is_none()));
    let mut written: Vec<_> =
        std::fs::read_dir(&reports).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    written.sort();
    let story = ["json", "md", "svg"].map(|ext| format!("at-least-once.no-duplicate.{ext}"));
    assert_eq!(written, [&story[..], &["index.html".into(), "index.md".into()]].concat());
}

/// `check --consumer-config`: a consumer.properties applied to a scenario.
fn check_with_properties(scenario: &str, properties: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (file, props) = (dir.path().join("s.json"), dir.path().join("my-consumer.properties"));
    std::fs::write(&file, scenario).unwrap();
    std::fs::write(&props, properties).unwrap();
    let mut args = vec!["check", file.to_str().unwrap(), "--consumer-config", props.to_str().unwrap()];
    args.extend(extra);
    (kafkacheck(&args), dir)
}

#[test]
fn a_consumer_properties_file_sets_the_knobs_and_names_what_the_model_leaves_out() {
    let properties = "# the orders service\nbootstrap.servers=kafka:9092\ngroup.id=orders\n\
                      enable.auto.commit=true\nmax.poll.records=2\nisolation.level=read_committed\n\
                      fetch.max.wait.ms=500\n";
    let scenario = VALID.replace("\"messages\": 2", "\"messages\": 3");
    let (o, _d) = check_with_properties(&scenario, properties, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = doc["scenarios"][0]["notes"].as_array().unwrap();
    let named = |name: &str, key: &str| {
        notes
            .iter()
            .any(|n| n["name"] == name && n["message"].as_str().unwrap().starts_with(&format!("`{key}=")))
    };
    assert!(named("consumer-config-not-modelled", "fetch.max.wait.ms"), "{notes:?}");
    assert!(named("consumer-config-no-effect", "isolation.level"), "{notes:?}");
    assert!(named("consumer-config-no-effect", "bootstrap.servers"), "{notes:?}");
    assert!(!named("consumer-config-not-modelled", "enable.auto.commit"), "applied keys are no notes");
    // The text output: a paragraph per note ("note: ", then its wrapped lines indented),
    // naming the scenario file and the properties line.
    let (o, _d) = check_with_properties(&scenario, properties, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    let at = lines.iter().position(|l| l.contains("fetch.max.wait.ms")).unwrap_or_else(|| panic!("{out}"));
    let rest = lines[at + 1..].iter().take_while(|l| l.starts_with("  ")).map(|l| l.trim_start());
    let line = std::iter::once(lines[at]).chain(rest).collect::<Vec<_>>().join(" ");
    assert!(line.starts_with("note: ") && line.contains("s.json: `fetch.max.wait.ms=500` ("), "{line}");
    assert!(line.contains("my-consumer.properties:7): not modelled"), "{line}");
}

#[test]
fn a_bad_value_in_a_consumer_properties_file_names_the_key_file_and_line() {
    let (o, _d) = check_with_properties(VALID, "group.id=orders\nmax.poll.records=lots\n", &[]);
    assert_bad_input(
        &o,
        &[
            "s.json: field `consumer_config.max.poll.records`: `lots` (",
            "my-consumer.properties:2): Kafka expects a 32-bit integer",
        ],
    );
    // A value Kafka takes but the scenario's field cannot hold, and a key that contradicts the scenario.
    let (o, _d) = check_with_properties(VALID, "max.poll.records=500\n", &[]);
    assert_bad_input(
        &o,
        &[
            "field `max_poll_records`: must be between 1 and 200, got 500 (`max_poll_records` set by `max.poll.records=500` (",
            "my-consumer.properties:1))",
        ],
    );
    let explicit = VALID.replace("\"crashes\": 0", "\"crashes\": 0, \"commit\": { \"mode\": \"sync\" }");
    let (o, _d) = check_with_properties(&explicit, "enable.auto.commit=true\n", &[]);
    assert_bad_input(
        &o,
        &[
            "field `commit.mode`: `enable.auto.commit=true` (",
            "my-consumer.properties:1) conflicts with the scenario's \"commit.mode\": \"sync\"",
        ],
    );
    let o = kafkacheck(&["check", "models/at-least-once.json", "--consumer-config", "no/such.properties"]);
    assert_bad_input(&o, &["no/such.properties: cannot read file"]);
}

#[test]
fn an_incomplete_search_gives_unknown_not_holds() {
    let o = kafkacheck(&["check", "models/exactly-once.json", "--max-depth", "3", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "unknown does not meet `holds`");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["scenarios"][0]["complete"], false);
    assert!(doc["scenarios"][0]["properties"].as_array().unwrap().iter().all(|p| p["verdict"] == "unknown"));
}

#[test]
fn explore_serves_the_explorer_on_loopback() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = common::cli::command()
        .args(["explore", "models/at-least-once.json", "--addr", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let response = loop {
        if let Ok(mut s) = TcpStream::connect(&addr) {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            write!(s, "GET /.status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
            let mut body = String::new();
            let _ = s.read_to_string(&mut body);
            break body;
        }
        assert!(Instant::now() < deadline, "explorer did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    };
    child.kill().unwrap(); // by its process id
    let status = child.wait().unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(!status.success());
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("no-duplicate"), "properties listed: {response}");
    assert!(out.contains(&format!("http://{addr}/")), "URL printed: {out}");
}

#[test]
fn explore_reports_an_address_in_use() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let o = kafkacheck(&["explore", "models/at-least-once.json", "--addr", &addr]);
    assert_bad_input(&o, &["cannot listen on"]);
}

/// The README's two services (`examples/`): each scenario with its
/// consumer.properties meets its expectations, so the README's commands
/// give what it says.
#[test]
fn the_example_services_meet_their_expectations() {
    for service in ["orders", "payments"] {
        let (props, file) = (format!("examples/{service}.properties"), format!("examples/{service}.json"));
        let out = kafkacheck(&["check", "--consumer-config", &props, &file]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{service}:\n{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("1 met every expectation"), "{service}:\n{text}");
    }
}
