//! The JSON documents (README, "Command line" and "Reports"): the `check --format json` output and
//! the trace file of one counterexample (`<stem>.<property>.json`).

use super::Checked;
use crate::check::{Incomplete, PropertyOutcome};
use crate::scenario::{Scenario, ScenarioError};
use crate::trace::Trace;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct Document<'a> {
    ok: bool,
    scenarios: Vec<ScenarioDoc<'a>>,
    /// The files that could not be read, each with every problem found; may be empty.
    errors: Vec<ErrorDoc>,
}

#[derive(Serialize)]
struct ErrorDoc {
    file: String,
    problems: Vec<ProblemDoc>,
}

#[derive(Serialize)]
struct ProblemDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    message: String,
}

fn error_doc(e: &ScenarioError) -> ErrorDoc {
    let problems = e.problems.iter().map(|p| ProblemDoc {
        field: p.field.clone(),
        line: p.position.map(|(line, _)| line),
        column: p.position.map(|(_, column)| column),
        message: p.message.clone(),
    });
    ErrorDoc { file: e.file.display().to_string(), problems: problems.collect() }
}

#[derive(Serialize)]
struct ScenarioDoc<'a> {
    file: String,
    name: &'a str,
    complete: bool,
    unique_states: usize,
    max_depth: usize,
    /// The wall time of the scenario's whole check (every search, and the traces).
    seconds: f64,
    /// Why the check was not complete and how far it got; absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    incomplete: Option<IncompleteDoc>,
    properties: Vec<PropertyDoc<'a>>,
    /// What the scenario's knobs or scope leave unchecked (`src/scenario/notes.rs`); may be empty.
    notes: Vec<NoteDoc>,
}

/// `"incomplete": {"reason": "timeout", "message": "timeout after 30 s, …", "states": …, "depth": …}`.
#[derive(Serialize)]
struct IncompleteDoc {
    /// `timeout`, `max-memory`, `max-depth`, `simulation` or `all-discovered`.
    reason: &'static str,
    /// The same in a line for people, as the text output and JUnit say it.
    message: String,
    /// How far the proving search got: unique states, deepest state.
    states: usize,
    depth: usize,
    /// The breadth-first search for the properties left unknown, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    breadth_first: Option<BreadthFirstDoc>,
}

#[derive(Serialize)]
struct BreadthFirstDoc {
    reason: &'static str,
    states: usize,
    depth: usize,
    /// No counterexample of a property still unknown has this many steps or fewer.
    no_counterexample_within: usize,
}

fn incomplete_doc(i: &Incomplete) -> IncompleteDoc {
    IncompleteDoc {
        reason: i.reason.name(),
        message: i.message(),
        states: i.reached.states,
        depth: i.reached.depth,
        breadth_first: i.breadth_first.as_ref().map(|b| BreadthFirstDoc {
            reason: b.reason.name(),
            states: b.reached.states,
            depth: b.reached.depth,
            no_counterexample_within: b.clear_within,
        }),
    }
}

#[derive(Serialize)]
struct NoteDoc {
    name: &'static str,
    message: String,
}

#[derive(Serialize)]
struct PropertyDoc<'a> {
    name: &'a str,
    expectation: &'a str,
    verdict: &'a str,
    expected: &'a str,
    /// false for a property expected `any`: reported, never gated.
    gated: bool,
    matches: bool,
    /// Written only when false: the trace is not a shortest counterexample.
    #[serde(skip_serializing_if = "is_true")]
    shortest: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a Trace>,
    /// `check --live` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    reproduced_on_broker: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    broker_evidence: Option<&'a str>,
}

fn property_doc(p: &PropertyOutcome) -> PropertyDoc<'_> {
    PropertyDoc {
        name: p.name,
        expectation: p.kind,
        verdict: p.verdict.as_str(),
        expected: p.expected.as_str(),
        gated: p.expected.gated(),
        matches: p.matches(),
        shortest: p.shortest,
        trace: p.trace.as_ref(),
        reproduced_on_broker: p.on_broker.as_ref().map(|b| b.answer()),
        broker_evidence: p.on_broker.as_ref().map(|b| b.detail()),
    }
}

/// The `check --format json` document; `ok` is false when a file could not be read.
pub fn json(results: &[Checked], bad: &[ScenarioError]) -> String {
    let doc = Document {
        ok: bad.is_empty() && results.iter().all(|r| r.outcome.all_match()),
        errors: bad.iter().map(error_doc).collect(),
        scenarios: results
            .iter()
            .map(|r| ScenarioDoc {
                file: r.file.display().to_string(),
                name: &r.scenario.name,
                complete: r.outcome.complete,
                unique_states: r.outcome.unique_states,
                max_depth: r.outcome.max_depth,
                seconds: (r.outcome.seconds * 1000.0).round() / 1000.0,
                incomplete: r.outcome.incomplete.as_ref().map(incomplete_doc),
                properties: r.outcome.properties.iter().map(property_doc).collect(),
                notes: crate::scenario::notes(r.scenario)
                    .into_iter()
                    .map(|n| NoteDoc { name: n.name, message: n.message })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).expect("the document has only serializable fields")
}

#[derive(Serialize)]
struct TraceFile<'a> {
    file: String,
    scenario: &'a str,
    property: &'a str,
    verdict: &'a str,
    expected: &'a str,
    /// Written only when false, as in the `check` document.
    #[serde(skip_serializing_if = "is_true")]
    shortest: bool,
    trace: &'a Trace,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The content of a trace file: the trace of one counterexample, without timings.
pub fn trace_file(file: &Path, scenario: &Scenario, p: &PropertyOutcome, trace: &Trace) -> String {
    let doc = TraceFile {
        file: file.display().to_string(),
        scenario: &scenario.name,
        property: p.name,
        verdict: p.verdict.as_str(),
        expected: p.expected.as_str(),
        shortest: p.shortest,
        trace,
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("the trace has only serializable fields");
    text.push('\n');
    text
}
