//! `check`'s text output: `--quiet`, `--traces`, lines wrapped to the
//! width, and `--help`.

mod common {
    pub mod cli;
}

use common::cli::{EXPECTED_VIOLATION, UNMET, VALID, command, kafkacheck, scenario_dir, stderr, stdout};

/// The line that ends every counterexample: why the property fails.
const UNMET_TRACE: &str = "unmet.json — no-duplicate: violated";
const EXPECTED_TRACE: &str = "expected.json — no-duplicate: violated";

fn check_dir(extra: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir =
        scenario_dir(&[("unmet.json", UNMET), ("expected.json", EXPECTED_VIOLATION), ("valid.json", VALID)]);
    let mut args = vec!["check", dir.path().to_str().unwrap()];
    args.extend(extra);
    (kafkacheck(&args), dir)
}

#[test]
fn by_default_only_the_traces_of_unmet_expectations_are_printed() {
    for traces in [&[][..], &["--traces", "failed"]] {
        let (o, _d) = check_dir(traces);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
        assert!(out.contains(UNMET_TRACE) && out.contains("=> duplicated"), "{traces:?}: {out}");
        assert!(!out.contains(EXPECTED_TRACE), "{traces:?}: {out}");
        assert!(out.contains("1 counterexample(s) met their expectation and are not shown"), "{out}");
    }
}

#[test]
fn traces_all_prints_every_counterexample_and_none_prints_none() {
    let (o, _d) = check_dir(&["--traces", "all"]);
    let out = stdout(&o);
    assert!(out.contains(UNMET_TRACE) && out.contains(EXPECTED_TRACE), "{out}");
    assert!(!out.contains("not shown"), "{out}");
    let (o, _d) = check_dir(&["--traces", "none"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "the traces shown do not change the gate");
    assert!(!out.contains("=> ") && !out.contains(" — no-duplicate"), "{out}");
    assert!(out.contains("UNEXPECTED"), "the table still shows the unmet one: {out}");
}

#[test]
fn quiet_prints_the_table_and_the_summary_line_only() {
    let properties = "enable.auto.commit=false\nfetch.max.wait.ms=500\n";
    let dir = scenario_dir(&[
        ("unmet.json", UNMET),
        ("expected.json", EXPECTED_VIOLATION),
        ("c.properties", properties),
    ]);
    let config = dir.path().join("c.properties");
    let paths = [dir.path().join("unmet.json"), dir.path().join("expected.json")];
    let args = |extra: &'static str| {
        let mut a = vec!["check", paths[0].to_str().unwrap(), paths[1].to_str().unwrap()];
        a.extend(["--consumer-config", config.to_str().unwrap(), extra]);
        a
    };
    let loud = kafkacheck(&args("--traces=all"));
    assert!(stdout(&loud).contains("note: "), "the run has notes: {}", stdout(&loud));
    let o = kafkacheck(&args("--quiet"));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    let rows = 2 * kafkacheck::properties::ALL.len(); // a row per property of each file
    assert_eq!(lines.len(), 1 + rows + 1, "header, rows, summary:\n{out}");
    assert!(
        lines[0].starts_with("scenario") && lines.last().unwrap().starts_with("2 scenario(s): "),
        "{out}"
    );
    assert!(!out.contains("note: ") && !out.contains("=> "), "{out}");
    assert!(stderr(&o).is_empty(), "no progress or `checking` lines: {}", stderr(&o));
    let both = kafkacheck(&["check", paths[0].to_str().unwrap(), "--quiet", "--traces", "all"]);
    assert_eq!(both.status.code(), Some(2), "--quiet and --traces conflict: {}", stderr(&both));
}

/// Every line, stdout's and stderr's, at most `width` columns.
fn assert_fits(text: &str, width: usize) {
    for line in text.lines() {
        assert!(line.chars().count() <= width, "{} > {width} columns:\n{line}", line.chars().count());
    }
}

#[test]
fn no_line_is_longer_than_the_width() {
    // A long file name and a long error, which the table and stderr must fold.
    let long = "a-scenario-whose-file-name-is-long-enough-to-push-the-table-past-the-width.json";
    let bad =
        VALID.replace("\"crashes\": 0", "\"crashes\": 0, \"strategy_of_the_consumer_that_nobody_wrote\": 1");
    let dir = scenario_dir(&[(long, UNMET), ("expected.json", EXPECTED_VIOLATION), ("bad.json", &bad)]);
    let path = dir.path().to_str().unwrap();
    let o = kafkacheck(&["check", path, "--traces", "all"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stdout(&o).contains("=> duplicated"), "traces are printed: {}", stdout(&o));
    assert!(stdout(&o).lines().any(|l| l.chars().count() > 80), "100 columns are used when not a terminal");
    assert_fits(&stdout(&o), 100);
    let narrow = command().args(["check", path, "--traces", "all"]).env("COLUMNS", "64").output().unwrap();
    assert_eq!(stdout(&narrow).matches("=> duplicated").count(), 2, "{}", stdout(&narrow));
    assert_fits(&stdout(&narrow), 64);
    // stderr is not a terminal here: each error stays one `file: message` line for tools to read.
    let error = stderr(&narrow).lines().find(|l| l.starts_with("error: ")).map(str::to_string);
    let error = error.unwrap_or_else(|| panic!("{}", stderr(&narrow)));
    assert!(
        error.contains("bad.json:") && error.contains("strategy_of_the_consumer_that_nobody_wrote"),
        "{error}"
    );
}

#[test]
fn check_help_lists_the_exit_codes_and_points_to_the_scenario_reference() {
    for help in ["--help", "-h"] {
        let o = kafkacheck(&["check", help]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0));
        for needle in [
            "Exit status:",
            "0  every scenario file was read and every expectation met",
            "1  every file was read, and some expectation was not met",
            "2  a scenario file could not be read",
            "README.md",
            "\"Scenario files\"",
            "--traces",
            "--quiet",
        ] {
            assert!(out.contains(needle), "{help} lacks {needle:?}:\n{out}");
        }
    }
}
