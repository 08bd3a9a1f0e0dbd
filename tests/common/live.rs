//! What the live test files share (`#[path = "common/live.rs"] mod common;`):
//! the start of a live test (its install present, one test at a time, a
//! fresh directory), and reading a `kafkacheck live --format json` document.

use serde_json::Value;
use std::sync::{Mutex, MutexGuard};

/// One live test of a test binary at a time: runs on two cores must not
/// starve each other's timing (pauses, heartbeats). Cargo runs the test
/// binaries one after another, so this is one live test at a time in all.
static LIVE: Mutex<()> = Mutex::new(());

/// Whether an install a test needs is there: without it, `false` outside
/// CI (with a message, so the test passes having said it did nothing) and a
/// failure under `CI`, where `.ci/run` installs everything.
pub fn installed<T>(install: Result<T, String>) -> bool {
    match install {
        Ok(_) => true,
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but {e}");
            println!("SKIPPED: {e}");
            false
        }
    }
}

/// A live test's start: `install` is there (see [`installed`]), no other
/// live test of this binary runs, and a fresh directory for its files.
pub fn live_test<T>(install: Result<T, String>) -> Option<(MutexGuard<'static, ()>, tempfile::TempDir)> {
    installed(install).then(|| (LIVE.lock().unwrap_or_else(|e| e.into_inner()), tempfile::tempdir().unwrap()))
}

/// The runs of one property in a live document's scenario that reproduced it.
pub fn reproduced_in(scenario: &Value, property: &str) -> Vec<u64> {
    let p = scenario["properties"].as_array().unwrap().iter().find(|p| p["property"] == property).unwrap();
    p["reproduced_in"].as_array().unwrap().iter().map(|r| r.as_u64().unwrap()).collect()
}

/// Processes whose command line mentions `needle` (left-over consumers or brokers).
pub fn processes_mentioning(needle: &str) -> Vec<String> {
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
