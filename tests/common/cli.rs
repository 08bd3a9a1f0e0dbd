//! Running the built `kafkacheck` binary in the CLI tests (`tests/cli*.rs`).
//!
//! Every child starts without the variables that change the output: a
//! test run inside GitHub Actions must not print annotations or write the
//! job's summary, and `COLUMNS` must not change the width; a test that wants
//! them sets them on its own command.

#![allow(dead_code)] // each test file uses the helpers it needs

use std::process::{Command, Output};

/// `kafkacheck` with the output-changing variables removed.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kafkacheck"));
    c.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_STEP_SUMMARY").env_remove("COLUMNS");
    c
}

pub fn kafkacheck(args: &[&str]) -> Output {
    command().args(args).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scenario whose every property holds.
pub const VALID: &str = r#"{
  "name": "t", "partitions": 1, "messages": 2, "consumers": 1,
  "strategy": "at-least-once", "crashes": 0
}"#;

/// A scenario whose `no-duplicate` is violated while its file expects it
/// to hold (line 6, column 5): an unmet expectation with a trace.
pub const UNMET: &str = r#"{
  "name": "a crash before the commit",
  "partitions": 1, "messages": 2, "consumers": 1,
  "strategy": "at-least-once", "crashes": 1,
  "expect": {
    "no-duplicate": "holds"
  }
}"#;

/// A scenario whose `no-duplicate` is violated as it expects.
pub const EXPECTED_VIOLATION: &str = r#"{
  "name": "a crash before the commit, expected",
  "partitions": 1, "messages": 2, "consumers": 1,
  "strategy": "at-least-once", "crashes": 1,
  "expect": { "no-duplicate": "violated" }
}"#;

/// Writes each (name, text) into a fresh directory.
pub fn scenario_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}
