//! The scenario file's expectations and errors through the `kafkacheck`
//! binary: `any`, `"gate": "named"`, the hints and the skipped files.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn kafkacheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafkacheck")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One consumer, one crash: a crash between processing and commit makes
/// the search find a duplicate (`models/at-least-once.json`).
const CRASHING: &str = r#"{
  "name": "crash", "partitions": 1, "messages": 2, "consumers": 1,
  "strategy": "at-least-once", "crashes": 1, EXPECT
}"#;

/// The same consumer without a crash: nothing is duplicated.
const QUIET: &str = r#"{
  "name": "quiet", "partitions": 1, "messages": 2, "consumers": 1,
  "strategy": "at-least-once", "crashes": 0, EXPECT
}"#;

/// Writes the scenario with its `EXPECT` replaced to a fresh directory,
/// runs `check --format json` on it, and reads the document.
fn check_json(scenario: &str, expect: &str) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    std::fs::write(&file, scenario.replace("EXPECT", expect)).unwrap();
    let o = kafkacheck(&["check", "--format", "json", file.to_str().unwrap()]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    (o, doc)
}

fn property<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let properties = doc["scenarios"][0]["properties"].as_array().unwrap();
    properties.iter().find(|p| p["name"] == name).unwrap()
}

#[test]
fn any_passes_whatever_the_verdict() {
    let any = r#""expect": {"no-duplicate": "any"}"#;
    for (scenario, verdict) in [(CRASHING, "violated"), (QUIET, "holds")] {
        let (o, doc) = check_json(scenario, any);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
        let dup = property(&doc, "no-duplicate");
        assert_eq!(dup["verdict"], verdict);
        assert_eq!(
            (&dup["expected"], &dup["gated"], &dup["matches"]),
            (&"any".into(), &false.into(), &true.into())
        );
        let loss = property(&doc, "no-loss");
        assert_eq!(
            (&loss["expected"], &loss["gated"]),
            (&"holds".into(), &true.into()),
            "unnamed: holds, gated"
        );
    }
    // Without `any`, the same duplicate fails the gate.
    let (o, doc) = check_json(CRASHING, r#""expect": {}"#);
    assert_eq!((o.status.code(), &doc["ok"]), (Some(1), &false.into()));
}

#[test]
fn gate_named_ignores_an_unnamed_violated_property() {
    let (o, doc) = check_json(CRASHING, r#""gate": "named", "expect": {"no-loss": "holds"}"#);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let dup = property(&doc, "no-duplicate");
    assert_eq!(
        (&dup["verdict"], &dup["expected"], &dup["gated"]),
        (&"violated".into(), &"any".into(), &false.into())
    );
    assert_eq!(property(&doc, "no-loss")["gated"], true);
    // A named property still gates: expecting the duplicate away fails.
    let (o, _) = check_json(CRASHING, r#""gate": "named", "expect": {"no-duplicate": "holds"}"#);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn an_ungated_property_is_a_passing_junit_testcase_with_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    std::fs::write(&file, CRASHING.replace("EXPECT", r#""gate": "named", "expect": {"no-loss": "holds"}"#))
        .unwrap();
    let junit = dir.path().join("junit.xml");
    let o = kafkacheck(&["check", file.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let xml = std::fs::read_to_string(junit).unwrap();
    assert!(xml.contains("failures=\"0\""), "{xml}");
    let case = &xml[xml.find("name=\"all-processed\"").unwrap()..];
    let case = &case[..case.find("</testcase>").unwrap()];
    assert!(case.contains("<system-out>") && case.contains("not gated"), "{case}");
    let stdout = text(&o.stdout);
    let row = stdout.lines().find(|l| l.contains("no-duplicate")).unwrap();
    assert!(row.contains("violated") && row.contains("any") && !row.contains("UNEXPECTED"), "{row}");
}

fn check_file(dir: &Path, name: &str, content: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, content).unwrap();
    let o = kafkacheck(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    text(&o.stderr)
}

#[test]
fn yaml_commented_json_and_misspellings_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let err = check_file(dir.path(), "y.json", "name: orders\npartitions: 1\n");
    assert!(
        err.contains("y.json:1:") && err.contains("scenario files are JSON (RFC 8259), not YAML"),
        "{err}"
    );
    let err = check_file(
        dir.path(),
        "c.json",
        "{\n  \"name\": \"x\",\n  // two partitions\n  \"partitions\": 2\n}",
    );
    assert!(err.contains("c.json:3:") && err.contains("no comments (the first is on line 3)"), "{err}");
    let typos = QUIET.replace(
        "EXPECT",
        r#""crashs": 1, "enable.auto.commit": "true", "expect": {"no-duplicates": "holds"}"#,
    );
    let err = check_file(dir.path(), "t.json", &typos);
    assert!(err.contains("t.json: 3 problems:"), "{err}");
    assert!(err.contains("\n  3:46: unknown field `crashs`: did you mean `crashes`?"), "{err}");
    assert!(err.contains("its field here is `commit.mode`") && err.contains("\"consumer_config\""), "{err}");
    assert!(err.contains("did you mean `no-duplicate`?"), "{err}");
}

#[test]
fn other_files_in_a_directory_are_named_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.json"), QUIET.replace("EXPECT", r#""expect": {}"#)).unwrap();
    std::fs::write(dir.path().join("t.yaml"), "name: t\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    let o = kafkacheck(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    for name in ["notes.txt", "t.yaml"] {
        let line = err.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name}: {err}"));
        assert!(line.starts_with("skipped: ") && line.contains("not a .json file"), "{line}");
    }
    assert!(text(&o.stdout).contains("s.json"));
}

/// `unknown` (a search cut at `--max-depth`) meets `any` too, and a file
/// that gates nothing is noted.
#[test]
fn an_ungated_unknown_passes_and_a_file_gating_nothing_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    std::fs::write(&file, CRASHING.replace("EXPECT", r#""gate": "named""#)).unwrap();
    let o = kafkacheck(&["check", "--max-depth", "2", "--search", "bfs", file.to_str().unwrap()]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    let row = stdout.lines().find(|l| l.contains("no-loss")).unwrap();
    assert!(row.contains("unknown") && row.contains("any"), "{row}");
    assert!(stdout.contains("nothing is gated"), "{stdout}");
    // The same cut search with no-loss gated fails the gate: unknown proves nothing.
    std::fs::write(&file, CRASHING.replace("EXPECT", r#""gate": "named", "expect": {"no-loss": "holds"}"#))
        .unwrap();
    let o = kafkacheck(&["check", "--max-depth", "2", "--search", "bfs", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
}
