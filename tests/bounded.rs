//! Bounded runs of the `kafkacheck` binary: `--timeout` and `--max-memory`
//! stop a check that cannot finish with `unknown` verdicts that say why and
//! how far, in the text output, the JSON document and JUnit.
//!
//! `tests/bounded/cannot-finish.json` is the at-least-once model with 64
//! messages and 3 crashes: far too many states to finish;
//! `tests/bounded/shallow-duplicate.json` has a duplicate 12 steps from the
//! start that a depth-first search does not reach. Each child is
//! killed after [`BOUND`], and the test fails if it had to be: a bounded
//! run that does not end is the bug under test (a correctness bound, far
//! above the limits given, not a measure of speed).

// `tests/bounded/` holds this file's scenarios, so the shared module is named by its path.
#[path = "common/cli.rs"]
mod cli;

use cli::command;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

const CANNOT_FINISH: &str = "tests/bounded/cannot-finish.json";
const SHALLOW_DUPLICATE: &str = "tests/bounded/shallow-duplicate.json";
const BOUND: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary, killing it (by its id) if it is still running after [`BOUND`].
fn kafkacheck(args: &[&str]) -> Run {
    let mut child = command().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BOUND {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("`kafkacheck {}` was still running after {BOUND:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run { code: status.code(), stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}\n{}", run.stdout, run.stderr))
}

fn verdict<'a>(scenario: &'a serde_json::Value, property: &str) -> &'a str {
    let properties = scenario["properties"].as_array().unwrap();
    properties.iter().find(|p| p["name"] == property).unwrap()["verdict"].as_str().unwrap()
}

fn assert_no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"), "{}", run.stderr);
}

#[test]
fn a_timeout_gives_unknown_verdicts_that_say_why_in_json_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let args =
        ["check", CANNOT_FINISH, "--timeout", "2", "--format", "json", "--junit", junit.to_str().unwrap()];
    let run = kafkacheck(&args);
    assert_eq!(run.code, Some(1), "unknown does not meet `holds`:\n{}", run.stderr);
    assert_no_panic(&run);
    let doc = json(&run);
    let scenario = &doc["scenarios"][0];
    assert_eq!(scenario["complete"], false);
    let incomplete = &scenario["incomplete"];
    assert_eq!(incomplete["reason"], "timeout", "{incomplete}");
    assert!(incomplete["states"].as_u64().unwrap() > 1000, "{incomplete}");
    assert!(incomplete["depth"].as_u64().unwrap() > 10, "{incomplete}");
    let message = incomplete["message"].as_str().unwrap();
    assert!(
        message.starts_with("timeout: the proving search stopped at 1 s of --timeout 2 s, "),
        "{message}"
    );
    assert_eq!(verdict(scenario, "no-loss"), "unknown");
    assert_eq!(verdict(scenario, "no-duplicate"), "violated");
    // The breadth-first search for the unknown ones ran in the second half.
    let bfs = &incomplete["breadth_first"];
    assert_eq!(bfs["reason"], "timeout", "{incomplete}");
    assert!(bfs["no_counterexample_within"].as_u64().unwrap() >= 5, "{incomplete}");
    // Both searches: the proving half and most of the rest.
    assert!(scenario["seconds"].as_f64().unwrap() >= 1.5, "the whole check's time: {scenario}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    let unknown =
        scenario["properties"].as_array().unwrap().iter().filter(|p| p["verdict"] == "unknown").count();
    assert_eq!(
        xml.matches(
            "<skipped message=\"unknown: timeout: the proving search stopped at 1 s of --timeout 2 s, "
        )
        .count(),
        unknown,
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "an unknown is not a failure:\n{xml}");
}

#[test]
fn a_timeout_says_why_in_the_text_output() {
    let run = kafkacheck(&["check", CANNOT_FINISH, "--timeout", "2"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_no_panic(&run);
    // The line as printed, its wrapped continuations (indented) joined back.
    let mut lines = run.stdout.lines().skip_while(|l| !l.starts_with("incomplete: "));
    let first = lines.next().unwrap_or_else(|| panic!("{}", run.stdout));
    let rest = lines.take_while(|l| l.starts_with("  ")).map(str::trim_start);
    let line = std::iter::once(first).chain(rest).collect::<Vec<_>>().join(" ");
    assert!(
        line.starts_with(&format!(
            "incomplete: {CANNOT_FINISH}: timeout: the proving search stopped at 1 s of --timeout 2 s, "
        )),
        "{line}"
    );
    assert!(line.contains(" states, depth "), "{line}");
}

/// A small memory limit stops the search cleanly: a partial result, the
/// reason, the exit status of an unmet expectation, no abort.
#[test]
fn a_memory_limit_stops_the_check_with_a_partial_result() {
    // Breadth-first: its queue of states grows by megabytes a second.
    let args = ["check", SHALLOW_DUPLICATE, "--search", "bfs", "--max-memory", "24M", "--format", "json"];
    let run = kafkacheck(&args);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_no_panic(&run);
    let doc = json(&run);
    let incomplete = &doc["scenarios"][0]["incomplete"];
    assert_eq!(incomplete["reason"], "max-memory", "{incomplete}");
    let message = incomplete["message"].as_str().unwrap();
    assert!(message.starts_with("max-memory 24 MiB reached, "), "{message}");
    assert!(incomplete["states"].as_u64().unwrap() > 0, "{incomplete}");
    assert_eq!(verdict(&doc["scenarios"][0], "no-loss"), "unknown");
}

/// The depth-first search stops at its half of the timeout without the
/// duplicate; the breadth-first search in the other half finds it, and its
/// trace is a shortest one.
#[test]
fn a_shallow_counterexample_missed_by_the_depth_first_search_is_found_breadth_first() {
    let run = kafkacheck(&["check", SHALLOW_DUPLICATE, "--timeout", "6", "--format", "json"]);
    assert_no_panic(&run);
    let doc = json(&run);
    let scenario = &doc["scenarios"][0];
    assert_eq!(scenario["incomplete"]["reason"], "timeout", "{scenario}");
    assert_eq!(verdict(scenario, "no-duplicate"), "violated", "{}", run.stderr);
    let properties = scenario["properties"].as_array().unwrap();
    let duplicate = properties.iter().find(|p| p["name"] == "no-duplicate").unwrap();
    assert_eq!(duplicate["trace"]["steps"].as_array().unwrap().len(), 12, "{duplicate}");
}

#[test]
fn a_memory_limit_must_be_a_size() {
    let run = kafkacheck(&["check", CANNOT_FINISH, "--max-memory", "lots"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("`lots` is not a size"), "{}", run.stderr);
}
