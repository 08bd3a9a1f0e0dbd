//! `check DIR` on several threads and `check --shard I/N`: files checked in
//! parallel report exactly what one after another does, in the same order,
//! and the shards of a directory are disjoint and cover it.

mod common {
    pub mod cli;
}

use common::cli::{kafkacheck, scenario_dir, stderr, stdout};
use std::collections::BTreeSet;
use std::path::Path;

/// A scenario file's text: `crashes` > 0 gives counterexamples (with traces),
/// each file its own name so that their report files differ.
fn scenario(name: &str, strategy: &str, messages: u32, crashes: u32) -> String {
    format!(
        r#"{{"name": "{name}", "partitions": 1, "messages": {messages}, "consumers": 1,
  "strategy": "{strategy}", "crashes": {crashes}}}"#
    )
}

/// Seven files of different sizes and verdicts, and a bad one.
fn mixed_dir() -> tempfile::TempDir {
    let files = [
        ("a-alo.json", scenario("a", "at-least-once", 3, 1)),
        ("b-amo.json", scenario("b", "at-most-once", 3, 1)),
        ("c-eo.json", scenario("c", "exactly-once", 3, 2)),
        ("d-alo.json", scenario("d", "at-least-once", 2, 0)),
        ("e-bad.json", "{\n  \"name\": \"e\",,\n}".to_string()),
        ("f-amo.json", scenario("f", "at-most-once", 4, 2)),
        ("g-alo.json", scenario("g", "at-least-once", 4, 2)),
        ("h-eo.json", scenario("h", "exactly-once", 2, 1)),
    ];
    let named: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    scenario_dir(&named)
}

/// The output without what depends on timing: text's time column, JSON's
/// `seconds`, JUnit's `time` and `timestamp` attributes.
fn untimed(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("\"seconds\":") {
            out.push_str("<seconds>\n");
            continue;
        }
        for word in line.split_inclusive(' ') {
            let bare = word.trim_end();
            let seconds = bare.strip_suffix('s').is_some_and(|n| n.parse::<f64>().is_ok());
            let attribute = ["time=\"", "timestamp=\""].iter().any(|a| bare.starts_with(a));
            out.push_str(if seconds || attribute { "<time> " } else { word });
        }
        out.push('\n');
    }
    out
}

/// Every file of a directory, name and content.
fn files_in(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// One `check` of the directory with the given options: stdout, and the
/// report directory's and JUnit's files.
fn check(dir: &Path, out: &Path, args: &[&str]) -> (i32, String, Vec<(String, String)>, String) {
    let reports = out.join("reports");
    let junit = out.join("junit.xml");
    let mut all = vec!["check", dir.to_str().unwrap(), "--report-dir", reports.to_str().unwrap()];
    all.extend(["--junit", junit.to_str().unwrap()]);
    all.extend(args);
    let o = kafkacheck(&all);
    let junit = std::fs::read_to_string(&junit).unwrap();
    (o.status.code().unwrap(), stdout(&o), files_in(&reports), junit)
}

#[test]
fn a_directory_checked_in_parallel_reports_what_one_thread_does_in_the_same_order() {
    let dir = mixed_dir();
    for format in ["text", "json"] {
        let one = tempfile::tempdir().unwrap();
        let many = tempfile::tempdir().unwrap();
        let (code_one, out_one, reports_one, junit_one) =
            check(dir.path(), one.path(), &["--threads", "1", "--format", format, "--traces", "all"]);
        // Four files at a time, whatever the machine's cores: the order of
        // their ends differs from the order of the files.
        let (code_many, out_many, reports_many, junit_many) =
            check(dir.path(), many.path(), &["--threads", "4", "--format", format, "--traces", "all"]);
        assert_eq!(code_one, 2, "a bad file: {out_one}");
        assert_eq!(code_many, code_one);
        assert_eq!(untimed(&out_many), untimed(&out_one), "{format}");
        assert_eq!(reports_many, reports_one, "the report directory is byte-identical");
        assert!(reports_one.len() > 4, "counterexamples were written: {reports_one:?}");
        assert_eq!(untimed(&junit_many), untimed(&junit_one));
    }
    let o = kafkacheck(&["check", dir.path().to_str().unwrap(), "--threads", "4", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> =
        doc["scenarios"].as_array().unwrap().iter().map(|s| s["file"].as_str().unwrap()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted, "in the order of the files");
    assert_eq!(files.len(), 7);
}

/// The files of one shard's JSON document, checked and bad, and its JUnit root's name.
fn shard(dir: &Path, spec: &str) -> (Vec<String>, String, String) {
    let out = tempfile::tempdir().unwrap();
    let junit = out.path().join("junit.xml");
    let o = kafkacheck(&[
        "check",
        dir.to_str().unwrap(),
        "--shard",
        spec,
        "--format",
        "json",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0..=2)), "{spec}: {}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let checked =
        doc["scenarios"].as_array().unwrap().iter().map(|s| s["file"].as_str().unwrap().to_string());
    let bad = doc["errors"].as_array().unwrap().iter().map(|e| e["file"].as_str().unwrap().to_string());
    let xml = std::fs::read_to_string(&junit).unwrap();
    let root = xml.lines().find(|l| l.starts_with("<testsuites")).unwrap_or_default().to_string();
    (checked.chain(bad).collect(), root, stderr(&o))
}

#[test]
fn the_shards_of_a_directory_are_disjoint_and_cover_it() {
    let dir = mixed_dir();
    let all: BTreeSet<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    for count in [1, 2, 3, 8] {
        let mut seen = BTreeSet::new();
        for index in 1..=count {
            let spec = format!("{index}/{count}");
            let (files, root, err) = shard(dir.path(), &spec);
            assert!(!files.is_empty(), "{spec}: eight files make no empty shard of {count}");
            assert!(root.contains(&format!("name=\"kafkacheck shard {spec}\"")), "{spec}: {root}");
            assert!(err.contains(&format!("shard {spec}: {} of 8 scenario files", files.len())), "{err}");
            for file in files {
                assert!(seen.insert(file.clone()), "{file} is in two shards of {count}");
            }
        }
        assert_eq!(seen, all, "the shards of {count} cover the directory");
    }
    // The same command line deals the same slices.
    assert_eq!(shard(dir.path(), "2/3").0, shard(dir.path(), "2/3").0);
}

#[test]
fn an_empty_shard_is_not_an_error_and_says_so() {
    let dir = scenario_dir(&[("only.json", &scenario("only", "at-least-once", 2, 0))]);
    let (files, root, err) = shard(dir.path(), "2/3");
    assert!(files.is_empty());
    assert!(root.contains("kafkacheck shard 2/3"), "{root}");
    assert!(err.contains("shard 2/3: no scenario files in this shard (of 1)"), "{err}");
    let o = kafkacheck(&["check", dir.path().to_str().unwrap(), "--shard", "3/3", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 scenario(s)"), "{}", stdout(&o));
}

#[test]
fn a_bad_shard_is_a_clear_usage_error() {
    let dir = scenario_dir(&[("only.json", &scenario("only", "at-least-once", 2, 0))]);
    for (spec, why) in [
        ("0/3", "1 <= I <= N"),
        ("4/3", "1 <= I <= N"),
        ("1/0", "1 <= I <= N"),
        ("3", "not I/N"),
        ("a/b", "not I/N"),
        ("1/x", "not I/N"),
    ] {
        let o = kafkacheck(&["check", dir.path().to_str().unwrap(), "--shard", spec]);
        assert_eq!(o.status.code(), Some(2), "{spec}");
        let err = stderr(&o);
        assert!(err.contains("--shard") && err.contains(why), "{spec}: {err}");
        assert!(o.stdout.is_empty(), "{spec}: nothing checked");
    }
}

#[test]
fn a_memory_limit_the_process_is_over_stops_every_file_checked_at_once() {
    // The resident size of any process is over 1 MiB: every search running
    // is stopped at its first poll, each saying so (unstopped, each of these
    // searches takes a second of a release build).
    let files: Vec<(String, String)> =
        (0..3).map(|i| (format!("{i}.json"), scenario(&format!("m{i}"), "at-least-once", 24, 3))).collect();
    let named: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let dir = scenario_dir(&named);
    let o = kafkacheck(&[
        "check",
        dir.path().to_str().unwrap(),
        "--threads",
        "3",
        "--max-memory",
        "1M",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 3);
    for s in scenarios {
        assert_eq!(s["complete"], false, "{s}");
        assert_eq!(s["incomplete"]["reason"], "max-memory", "{s}");
    }
}
