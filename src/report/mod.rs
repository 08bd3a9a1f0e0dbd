//! What a check run shows: the JSON document of DESIGN.md §4, the text
//! table, and counterexample trace files in a report directory.
//!
//! Trace files are deterministic (no timings) and written atomically: a
//! temporary file in the same directory, then a rename, so an interrupted run
//! never leaves a half-written trace behind.

use crate::check::{Outcome, PropertyOutcome};
use crate::scenario::Scenario;
use crate::trace::Trace;
use serde::Serialize;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// One checked scenario file.
pub struct Checked<'a> {
    pub file: &'a Path,
    pub scenario: &'a Scenario,
    pub outcome: &'a Outcome,
}

#[derive(Serialize)]
struct Document<'a> {
    ok: bool,
    scenarios: Vec<ScenarioDoc<'a>>,
}

#[derive(Serialize)]
struct ScenarioDoc<'a> {
    file: String,
    name: &'a str,
    complete: bool,
    unique_states: usize,
    max_depth: usize,
    seconds: f64,
    properties: Vec<PropertyDoc<'a>>,
}

#[derive(Serialize)]
struct PropertyDoc<'a> {
    name: &'a str,
    expectation: &'a str,
    verdict: &'a str,
    expected: &'a str,
    matches: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a Trace>,
}

fn property_doc(p: &PropertyOutcome) -> PropertyDoc<'_> {
    PropertyDoc {
        name: p.name,
        expectation: p.kind,
        verdict: p.verdict.as_str(),
        expected: p.expected.as_str(),
        matches: p.matches(),
        trace: p.trace.as_ref(),
    }
}

/// The `check --format json` document.
pub fn json(results: &[Checked]) -> String {
    let doc = Document {
        ok: results.iter().all(|r| r.outcome.all_match()),
        scenarios: results
            .iter()
            .map(|r| ScenarioDoc {
                file: r.file.display().to_string(),
                name: &r.scenario.name,
                complete: r.outcome.complete,
                unique_states: r.outcome.unique_states,
                max_depth: r.outcome.max_depth,
                seconds: (r.outcome.seconds * 1000.0).round() / 1000.0,
                properties: r.outcome.properties.iter().map(property_doc).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).expect("the document has only serializable fields")
}

/// The text table, then the trace of every violated or unexpected property.
pub fn text(results: &[Checked]) -> String {
    let mut rows = vec![[
        "scenario".to_string(),
        "property".into(),
        "verdict".into(),
        "expected".into(),
        "states".into(),
        "time".into(),
    ]];
    for r in results {
        for p in &r.outcome.properties {
            let mark = if p.matches() { "" } else { "  << UNEXPECTED" };
            rows.push([
                r.file.display().to_string(),
                p.name.to_string(),
                p.verdict.to_string(),
                format!("{}{mark}", p.expected),
                r.outcome.unique_states.to_string(),
                format!("{:.2}s", r.outcome.seconds),
            ]);
        }
    }
    let widths: Vec<usize> = (0..6).map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:w$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    for r in results {
        for p in &r.outcome.properties {
            if let Some(trace) = &p.trace {
                let _ = writeln!(out, "\n{} — {}: {}", r.file.display(), p.name, p.verdict);
                out.push_str(&trace_text(trace));
            } else if p.verdict == crate::verdict::Verdict::Violated {
                let _ = writeln!(
                    out,
                    "\n{} — {}: violated (no trace: the search for a shortest counterexample ran out of time)",
                    r.file.display(),
                    p.name
                );
            } else if !p.matches() {
                let _ = writeln!(
                    out,
                    "\n{} — {}: {}, expected {} (no counterexample{})",
                    r.file.display(),
                    p.name,
                    p.verdict,
                    p.expected,
                    if r.outcome.complete {
                        " in the complete search"
                    } else {
                        "; the search was incomplete"
                    }
                );
            }
        }
    }
    let failed = results.iter().filter(|r| !r.outcome.all_match()).count();
    let _ = writeln!(
        out,
        "\n{} scenario(s): {} met every expectation, {} did not",
        results.len(),
        results.len() - failed,
        failed
    );
    out
}

/// A trace as numbered lines, ending with the violation.
pub fn trace_text(trace: &Trace) -> String {
    let mut out = String::new();
    for s in &trace.steps {
        let _ = writeln!(out, "  {:>3}. {}", s.step, s.text);
    }
    let _ = writeln!(out, "  => {}", trace.violation);
    out
}

#[derive(Serialize)]
struct TraceFile<'a> {
    file: String,
    scenario: &'a str,
    property: &'a str,
    verdict: &'a str,
    expected: &'a str,
    trace: &'a Trace,
}

/// The trace file of a scenario's property: `<scenario file stem>.<property>.json`.
pub fn trace_path(dir: &Path, file: &Path, property: &str) -> PathBuf {
    let stem = file.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
    dir.join(format!("{stem}.{property}.json"))
}

/// The content of a trace file (also what the staleness test compares).
pub fn trace_file(file: &Path, scenario: &Scenario, p: &PropertyOutcome, trace: &Trace) -> String {
    let doc = TraceFile {
        file: file.display().to_string(),
        scenario: &scenario.name,
        property: p.name,
        verdict: p.verdict.as_str(),
        expected: p.expected.as_str(),
        trace,
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("the trace has only serializable fields");
    text.push('\n');
    text
}

/// Writes each counterexample of the results to `dir`, and removes trace
/// files of these scenarios whose property is no longer violated.
pub fn write_traces(dir: &Path, results: &[Checked]) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for r in results {
        for p in &r.outcome.properties {
            let path = trace_path(dir, r.file, p.name);
            match &p.trace {
                Some(trace) => {
                    write_atomically(&path, &trace_file(r.file, r.scenario, p, trace))?;
                    written.push(path);
                }
                None => match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                },
            }
        }
    }
    Ok(written)
}

/// Writes `content` to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, content: &str) -> io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
