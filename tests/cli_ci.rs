//! `check` as a CI gate: a bad file does not stop the others being checked
//! and reported (table, JSON, report directory, JUnit), the exit status,
//! and GitHub Actions' annotations and job summary.

mod common {
    pub mod cli;
}

use common::cli::{EXPECTED_VIOLATION, UNMET, VALID, command, kafkacheck, scenario_dir, stderr, stdout};
use std::path::Path;

/// Two good files and two bad ones: a syntax error, and a bad value.
fn two_good_two_bad() -> tempfile::TempDir {
    scenario_dir(&[
        ("good-a.json", VALID),
        ("good-b.json", EXPECTED_VIOLATION),
        ("bad-syntax.json", "{\n  \"name\": \"t\",\n  \"partitions\": 1,,\n}"),
        ("bad-value.json", &VALID.replace("\"consumers\": 1", "\"consumers\": 0")),
    ])
}

#[test]
fn bad_files_are_listed_and_the_good_ones_still_checked_and_reported() {
    let dir = two_good_two_bad();
    let (junit, reports) = (dir.path().join("out/junit.xml"), dir.path().join("out/reports"));
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let o = kafkacheck(&[
        "check",
        dir.path().to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--report-dir",
        reports.to_str().unwrap(),
    ]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(
        o.status.code(),
        Some(2),
        "a bad file makes the run exit 2 even though the rest passed:\n{err}"
    );
    assert!(err.contains("bad-syntax.json:3:19: key must be a string"), "{err}");
    assert!(err.contains("bad-value.json: field `consumers`: must be between 1 and"), "{err}");
    assert!(err.contains("checking ") && err.contains("good-a.json ..."), "{err}");
    for file in ["good-a.json", "good-b.json"] {
        assert!(
            out.lines().any(|l| l.contains(file) && l.contains("no-duplicate")),
            "{file} checked:\n{out}"
        );
    }
    for file in ["bad-syntax.json", "bad-value.json"] {
        assert!(
            out.lines().any(|l| l.contains(file) && l.contains("error")),
            "{file} is an error row:\n{out}"
        );
    }
    assert!(out.contains("4 scenario(s): 2 met every expectation, 0 did not, 2 could not be read"), "{out}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuites name=\"kafkacheck\"") && xml.contains("errors=\"2\""), "{xml}");
    assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
    assert_eq!(xml.matches("type=\"bad-scenario-file\"").count(), 2, "{xml}");
    assert!(xml.contains("message=\"not checked: 3:19: key must be a string\""), "{xml}");
    let properties = kafkacheck::properties::ALL.len();
    assert_eq!(
        xml.matches("<testcase ").count(),
        2 + 2 * properties,
        "the good files' suites are whole: {xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");

    let index = std::fs::read_to_string(reports.join("index.md")).unwrap();
    assert!(index.contains("2 file(s) could not be read and were not checked"), "{index}");
    let row = index.lines().find(|l| l.contains("bad-syntax.json")).unwrap_or_else(|| panic!("{index}"));
    assert!(row.contains("| error |") && row.contains("3:19: key must be a string"), "{row}");
    let html = std::fs::read_to_string(reports.join("index.html")).unwrap();
    assert_eq!(html.matches("<tr class=\"error\"").count(), 2, "{html}");
    assert!(reports.join("good-b.no-duplicate.md").exists(), "the good file's counterexample is written");
}

#[test]
fn the_json_document_lists_the_bad_files_with_their_positions() {
    let dir = two_good_two_bad();
    let o = kafkacheck(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["scenarios"].as_array().unwrap().len(), 2);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let syntax = errors.iter().find(|e| e["file"].as_str().unwrap().ends_with("bad-syntax.json")).unwrap();
    assert_eq!(
        syntax["problems"][0],
        serde_json::json!({"line": 3, "column": 19, "message": "key must be a string"})
    );
    let value = errors.iter().find(|e| e["file"].as_str().unwrap().ends_with("bad-value.json")).unwrap();
    assert_eq!(value["problems"][0]["field"], "consumers");
    let good = kafkacheck(&["check", "models/at-least-once.json", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!((&doc["ok"], &doc["errors"]), (&true.into(), &serde_json::json!([])));
}

#[test]
fn every_file_good_but_an_expectation_unmet_exits_1() {
    let dir = scenario_dir(&[("good.json", VALID), ("unmet.json", UNMET)]);
    let o = kafkacheck(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let dir = scenario_dir(&[("good.json", VALID), ("unmet.json", UNMET), ("bad.json", "{")]);
    let o = kafkacheck(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "a bad file outranks an unmet expectation");
    assert!(stdout(&o).contains("UNEXPECTED"), "and the unmet one is still reported: {}", stdout(&o));
}

#[test]
fn a_missing_file_is_a_bad_file_and_the_others_are_still_checked() {
    let dir = scenario_dir(&[("good.json", VALID)]);
    let (good, missing, junit) =
        (dir.path().join("good.json"), dir.path().join("missing.json"), dir.path().join("junit.xml"));
    let args = [good.to_str().unwrap(), missing.to_str().unwrap(), "--junit", junit.to_str().unwrap()];
    let o = kafkacheck(&[&["check"][..], &args].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.json: cannot read file"), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 met every expectation, 0 did not, 1 could not be read"), "{}", stdout(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<error ").count(), 1, "{xml}");
}

/// Runs `check` as a GitHub Actions step would, with a job summary file.
fn under_github(dir: &Path, extra: &[&str]) -> (std::process::Output, String) {
    let summary = dir.join("step-summary.md");
    std::fs::write(&summary, "earlier step's summary\n").unwrap();
    let mut args = vec!["check".to_string()];
    for name in ["unmet.json", "expected.json", "bad.json"] {
        args.push(dir.join(name).display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = command()
        .args(&args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    (o, std::fs::read_to_string(&summary).unwrap())
}

#[test]
fn under_github_actions_unmet_expectations_and_bad_files_are_annotations_and_a_job_summary() {
    let bad = "{\n  \"name\": \"t\",\n  \"partitions\": 1,,\n}";
    let dir =
        scenario_dir(&[("unmet.json", UNMET), ("expected.json", EXPECTED_VIOLATION), ("bad.json", bad)]);
    let (o, summary) = under_github(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let out = stdout(&o);
    let commands: Vec<&str> = out.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), 2, "one per bad file's problem, one per unmet expectation:\n{out}");
    let file = |name: &str| dir.path().join(name).display().to_string();
    let expected = format!(
        "::error file={},line=3,col=19,title=kafkacheck%3A scenario file not checked::key must be a string",
        file("bad.json")
    );
    assert_eq!(commands[0], expected);
    let prefix = format!(
        "::error file={},line=6,col=5,title=kafkacheck%3A no-duplicate is violated%2C expected holds::",
        file("unmet.json")
    );
    assert!(commands[1].starts_with(&prefix), "{}\n{prefix}", commands[1]);
    assert!(
        commands[1].contains("%0Ashortest counterexample:%0A") && !commands[1].contains('\r'),
        "{}",
        commands[1]
    );
    assert!(commands[1].contains("=> duplicated: partition 0 offset 0 processed 2 times"), "{}", commands[1]);

    assert!(summary.starts_with("earlier step's summary\n## kafkacheck\n"), "appended:\n{summary}");
    assert!(summary.contains("1 expectation(s) NOT met. 1 file(s) could not be read"), "{summary}");
    assert!(summary.contains("| 3:19: key must be a string |"), "{summary}");
    let rows: Vec<&str> =
        summary.lines().filter(|l| l.starts_with("| ✓ |") || l.starts_with("| ✗ |")).collect();
    assert_eq!(rows.len(), 2 * kafkacheck::properties::ALL.len(), "{summary}");
    assert!(
        rows[0].starts_with("| ✗ |") && rows[0].contains("unmet.json") && rows[0].contains("no-duplicate")
    );
    assert!(rows[1..].iter().all(|r| r.starts_with("| ✓ |")), "unmet first:\n{summary}");
    let (unmet, folded) =
        (summary.find("### Unmet expectations").unwrap(), summary.find("<details>").unwrap());
    assert!(unmet < folded, "{summary}");
    let met = format!("<summary>{} verdict(s) met their expectation</summary>", rows.len() - 1);
    assert!(summary.contains(&met), "{summary}");
    assert!(rows.iter().any(|r| r.contains("expected.json") && r.contains("processed 2 times")), "{summary}");

    // With JSON on stdout the annotations go to stderr, and stdout stays one document.
    let (o, _) = under_github(dir.path(), &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["errors"].as_array().unwrap().len(), 1);
    assert_eq!(stderr(&o).lines().filter(|l| l.starts_with("::error ")).count(), 2, "{}", stderr(&o));
}

#[test]
fn outside_github_actions_there_are_no_annotations() {
    let dir = scenario_dir(&[("unmet.json", UNMET)]);
    let summary = dir.path().join("summary.md");
    let o = command()
        .args(["check", dir.path().to_str().unwrap()])
        .env("GITHUB_ACTIONS", "false")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!stdout(&o).contains("::error") && !stderr(&o).contains("::error"));
    assert!(!summary.exists());
}
