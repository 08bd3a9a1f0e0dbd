//! The text `check` prints: the verdict table, the notes, the traces as
//! numbered lines and a summary line, every line wrapped to a width.

use super::Checked;
use crate::scenario::ScenarioError;
use crate::trace::Trace;
use crate::verdict::Verdict;
use std::fmt::Write as _;

/// Which traces the text output shows (`check --traces`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowTraces {
    /// None: the table, notes and summary only.
    None,
    /// Those of properties whose verdict does not meet the expectation: what
    /// a reader has to act on. Counterexamples a scenario expects are in the
    /// report directory and the JSON document.
    Failed,
    /// Every counterexample, expected or not.
    All,
}

/// How the text output is laid out.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    pub traces: ShowTraces,
    /// The table and the summary line only (no notes, no traces, no hints).
    pub quiet: bool,
    /// No line is longer than this many columns (display width).
    pub width: usize,
}

impl Default for TextOptions {
    /// Every trace, unwrapped: the whole story, for a library caller.
    fn default() -> TextOptions {
        TextOptions { traces: ShowTraces::All, quiet: false, width: usize::MAX }
    }
}

/// The text output of a check run: the table (a row per property, one per
/// bad file), the notes, the traces `options.traces` selects, and the
/// summary line.
pub fn text(results: &[Checked], bad: &[ScenarioError], options: &TextOptions) -> String {
    let width = options.width;
    let mut out = table(results, bad, width);
    // Why a scenario's `unknown`s are unknown, and how far its search got: part
    // of the table's meaning, so shown even with --quiet.
    for r in results.iter().filter_map(|r| Some((r.file, r.outcome.incomplete.as_ref()?))) {
        push_wrapped(&mut out, &format!("incomplete: {}: {}", r.0.display(), r.1.message()), width, "  ");
    }
    if !options.quiet {
        for (file, note) in super::notes(results) {
            push_wrapped(&mut out, &format!("note: {}: {}", file.display(), note.message), width, "  ");
        }
        let hidden = traces(&mut out, results, options.traces, width);
        if hidden > 0 {
            let hint = format!(
                "\n{hidden} counterexample(s) met their expectation and are not shown: \
                 --traces all prints them, --report-dir writes them as stories and diagrams."
            );
            push_wrapped(&mut out, &hint, width, "");
        }
    }
    let failed = results.iter().filter(|r| !r.outcome.all_match()).count();
    let mut summary = format!(
        "\n{} scenario(s): {} met every expectation, {} did not",
        results.len() + bad.len(),
        results.len() - failed,
        failed
    );
    if !bad.is_empty() {
        let _ = write!(summary, ", {} could not be read (not checked)", bad.len());
    }
    push_wrapped(&mut out, &summary, width, "  ");
    out
}

/// The header and one row per property, aligned in columns when they fit
/// the width; otherwise each scenario file on a line of its own with its
/// properties indented below it. Bad files come first.
fn table(results: &[Checked], bad: &[ScenarioError], width: usize) -> String {
    let mut rows = vec![["scenario", "property", "verdict", "expected", "states", "time"].map(String::from)];
    for e in bad {
        let file = e.file.display().to_string();
        rows.push([file, "—".into(), "error".into(), "not checked".into(), String::new(), String::new()]);
    }
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
    let widths = column_widths(&rows, 0..6);
    let mut out = String::new();
    if widths.iter().sum::<usize>() + 2 * (widths.len() - 1) <= width {
        for row in &rows {
            push_row(&mut out, "", row, &widths);
        }
        return out;
    }
    // Grouped: the file, its states and time on one line; property, verdict, expected below it.
    let widths = column_widths(&rows, 1..4);
    push_wrapped(&mut out, "scenario file (states, time)", width, "  ");
    push_row(&mut out, "  ", &rows[0][1..4], &widths);
    let mut current = None;
    for row in &rows[1..] {
        if current != Some(&row[0]) {
            let head = if row[4].is_empty() {
                format!("{}:", row[0])
            } else {
                format!("{} ({} states, {}):", row[0], row[4], row[5])
            };
            push_wrapped(&mut out, &head, width, "  ");
            current = Some(&row[0]);
        }
        let mut line = String::new();
        push_row(&mut line, "  ", &row[1..4], &widths);
        push_wrapped(&mut out, line.trim_end_matches('\n'), width, "      ");
    }
    out
}

/// The display width of the widest cell of each of `columns`.
fn column_widths(rows: &[[String; 6]], columns: std::ops::Range<usize>) -> Vec<usize> {
    columns.map(|i| rows.iter().map(|r| textwrap::core::display_width(&r[i])).max().unwrap_or(0)).collect()
}

/// One table row: `indent`, then the cells padded to their widths, two spaces apart.
fn push_row(out: &mut String, indent: &str, cells: &[String], widths: &[usize]) {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(textwrap::core::display_width(c)))))
        .collect();
    let _ = writeln!(out, "{indent}{}", padded.join("  ").trim_end());
}

/// The trace section: each selected property's trace, or why it has none.
/// Returns how many counterexamples `ShowTraces::Failed` left out.
fn traces(out: &mut String, results: &[Checked], show: ShowTraces, width: usize) -> usize {
    let mut hidden = 0;
    for r in results {
        for p in &r.outcome.properties {
            let shown = match show {
                ShowTraces::None => false,
                ShowTraces::Failed => !p.matches(),
                ShowTraces::All => true,
            };
            if !shown {
                hidden += usize::from(show == ShowTraces::Failed && p.trace.is_some());
                continue;
            }
            if let Some(trace) = &p.trace {
                let mut head = format!("\n{} — {}: {}", r.file.display(), p.name, p.verdict);
                if !p.shortest {
                    head = format!("{head}; {}", super::NOT_SHORTEST.trim_end_matches(':'));
                }
                push_wrapped(out, &head, width, "  ");
                out.push_str(&trace_lines(trace, width));
                if let (Some(note), Some(b)) = (super::on_broker(p), &p.on_broker) {
                    push_wrapped(out, &format!("  {note}: {}", b.detail()), width, "    ");
                }
            } else if p.verdict == Verdict::Violated || !p.matches() {
                let line = format!("\n{} — {}: {}", r.file.display(), p.name, super::no_trace_reason(r, p));
                push_wrapped(out, &line, width, "  ");
            }
        }
    }
    hidden
}

/// A trace as numbered lines, ending with the violation.
pub fn trace_text(trace: &Trace) -> String {
    trace_lines(trace, usize::MAX)
}

/// [`trace_text`] wrapped to `width`: a step's continuation lines are
/// indented under its sentence.
fn trace_lines(trace: &Trace, width: usize) -> String {
    let mut out = String::new();
    for s in &trace.steps {
        push_wrapped(&mut out, &format!("  {:>3}. {}", s.step, s.text), width, "       ");
    }
    push_wrapped(&mut out, &format!("  => {}", trace.violation), width, "     ");
    out
}

/// `text` wrapped as [`text`] wraps its lines (for the CLI's messages on stderr).
pub fn wrapped(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    push_wrapped(&mut out, text, width, indent);
    out
}

/// Appends `text`'s lines wrapped to `width` at spaces (a word longer than
/// the width is broken), continuation lines starting with `indent`; each
/// line keeps its own leading spaces. Words are never split at hyphens, so
/// property names stay whole.
fn push_wrapped(out: &mut String, text: &str, width: usize, indent: &str) {
    for line in text.split('\n') {
        if width == usize::MAX || textwrap::core::display_width(line) <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let options = textwrap::Options::new(width)
            .subsequent_indent(indent)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for part in textwrap::wrap(line, options) {
            out.push_str(part.trim_end());
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Options, check};
    use std::path::Path;

    fn at_least_once() -> (crate::scenario::Scenario, crate::check::Outcome) {
        let scenario = crate::scenario::load(Path::new("models/at-least-once.json")).unwrap();
        let outcome = check(&scenario, &Options::default());
        (scenario, outcome)
    }

    #[test]
    fn a_narrow_width_groups_the_table_by_file_and_wraps_every_line() {
        let (scenario, outcome) = at_least_once();
        let file = Path::new("models/a-scenario-file-with-a-rather-long-name-indeed.json");
        let results = [Checked { file, scenario: &scenario, outcome: &outcome }];
        let wide = text(&results, &[], &TextOptions { width: 200, ..TextOptions::default() });
        assert!(wide.lines().nth(1).unwrap().starts_with(&format!("{}  no-loss", file.display())), "{wide}");
        let narrow = text(&results, &[], &TextOptions { width: 60, ..TextOptions::default() });
        assert!(narrow.lines().all(|l| textwrap::core::display_width(l) <= 60), "{narrow}");
        assert!(narrow.contains("\n  no-duplicate          violated  violated\n"), "{narrow}");
        assert!(narrow.contains("processed 2 times"), "{narrow}");
    }

    #[test]
    fn failed_shows_only_unmet_traces_and_says_how_many_it_left_out() {
        let (scenario, mut outcome) = at_least_once();
        let file = Path::new("models/at-least-once.json");
        let results = [Checked { file, scenario: &scenario, outcome: &outcome }];
        let failed = TextOptions { traces: ShowTraces::Failed, ..TextOptions::default() };
        let out = text(&results, &[], &failed);
        assert!(!out.contains("=> duplicated"), "{out}");
        assert!(out.contains("1 counterexample(s) met their expectation and are not shown"), "{out}");
        let dup = outcome.properties.iter_mut().find(|p| p.name == "no-duplicate").unwrap();
        dup.expected = crate::verdict::Expectation::Holds;
        let results = [Checked { file, scenario: &scenario, outcome: &outcome }];
        let out = text(&results, &[], &failed);
        assert!(out.contains("=> duplicated") && !out.contains("not shown"), "{out}");
        let quiet = text(&results, &[], &TextOptions { quiet: true, ..failed });
        assert!(!quiet.contains("=> duplicated") && quiet.contains("UNEXPECTED"), "{quiet}");
    }
}
