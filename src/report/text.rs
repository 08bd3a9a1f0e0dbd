//! The text table `check` prints, and traces as numbered lines.

use super::Checked;
use crate::trace::Trace;
use crate::verdict::Verdict;
use std::fmt::Write as _;

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
    for r in results.iter().filter_map(|r| Some((r.file, r.outcome.incomplete.as_ref()?))) {
        let _ = writeln!(out, "incomplete: {}: {}", r.0.display(), r.1.message());
    }
    for (file, note) in super::notes(results) {
        let _ = writeln!(out, "note: {}: {}", file.display(), note.message);
    }
    for r in results {
        for p in &r.outcome.properties {
            if let Some(trace) = &p.trace {
                let _ = writeln!(out, "\n{} — {}: {}", r.file.display(), p.name, p.verdict);
                out.push_str(&trace_text(trace));
                if let (Some(note), Some(b)) = (super::on_broker(p), &p.on_broker) {
                    let _ = writeln!(out, "  {note}: {}", b.detail());
                }
            } else if p.verdict == Verdict::Violated || !p.matches() {
                let _ =
                    writeln!(out, "\n{} — {}: {}", r.file.display(), p.name, super::no_trace_reason(r, p));
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
