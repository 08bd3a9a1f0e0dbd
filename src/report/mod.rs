//! What a check run shows: the JSON document (README, "Command line" and "Reports") and the text
//! table on stdout, a report directory for people, and JUnit XML for CI.
//!
//! A report directory holds the verdict matrix (`index.md`, `index.html`) and,
//! for each counterexample, `<stem>.<property>.json` (the trace document),
//! `.md` (the trace as a story) and `.svg` (a sequence diagram). Report files
//! are deterministic (no timings: the same models give byte-identical files)
//! and written atomically: a temporary file in the same directory, then a
//! rename, so an interrupted run never leaves a half-written file behind.

mod html;
mod json;
mod junit;
pub mod lanes;
mod markdown;
pub mod mermaid;
pub mod records;
mod svg;
mod text;

pub use json::{json, trace_file};
pub use junit::{file_error, junit, junit_named, junit_with};
pub(crate) use markdown::escape as markdown_escape;
pub use svg::sequence_diagram;
pub use text::{ShowTraces, TextOptions, text, trace_text, wrapped};

use crate::check::{Outcome, PropertyOutcome};
use crate::scenario::{Scenario, ScenarioError};
use crate::verdict::Verdict;
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

/// One checked scenario file.
pub struct Checked<'a> {
    pub file: &'a Path,
    pub scenario: &'a Scenario,
    pub outcome: &'a Outcome,
}

/// Pairs each checked file with its scenario and outcome (the three lists are parallel).
pub fn checked<'a>(
    files: &'a [PathBuf],
    scenarios: &'a [Scenario],
    outcomes: &'a [Outcome],
) -> Vec<Checked<'a>> {
    files
        .iter()
        .zip(scenarios)
        .zip(outcomes)
        .map(|((file, scenario), outcome)| Checked { file, scenario, outcome })
        .collect()
}

/// One file of a report directory: its name there and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFile {
    pub name: String,
    pub content: String,
}

/// `check --live`: "reproduced on broker: yes", "no" or "not-run", for a counterexample.
pub fn on_broker(p: &crate::check::PropertyOutcome) -> Option<String> {
    p.on_broker.as_ref().map(|b| format!("reproduced on broker: {}", b.answer()))
}

/// The verdict matrix, in Markdown and HTML.
pub const INDEX_FILES: [&str; 2] = ["index.md", "index.html"];

/// The files of one counterexample, by extension: trace document, story, diagram.
pub const COUNTEREXAMPLE_EXTENSIONS: [&str; 3] = ["json", "md", "svg"];

/// A scenario file's name without directory and extension: the prefix of its report files.
pub fn stem(file: &Path) -> String {
    file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The name of a counterexample's file: `<scenario file stem>.<property>.<extension>`.
pub fn counterexample_name(file: &Path, property: &str, extension: &str) -> String {
    format!("{}.{property}.{extension}", stem(file))
}

/// The trace file of a scenario's property: `<scenario file stem>.<property>.json`.
pub fn trace_path(dir: &Path, file: &Path, property: &str) -> PathBuf {
    dir.join(counterexample_name(file, property, "json"))
}

/// Every file a report directory holds for these results, in a fixed order:
/// the two index files (which list the bad files too), then each
/// counterexample's JSON, Markdown and SVG.
pub fn report_files(results: &[Checked], bad: &[ScenarioError]) -> Vec<ReportFile> {
    let mut files = vec![
        ReportFile { name: INDEX_FILES[0].into(), content: markdown::index(results, bad) },
        ReportFile { name: INDEX_FILES[1].into(), content: html::index(results, bad) },
    ];
    for r in results {
        if r.outcome.properties.iter().all(|p| p.trace.is_none()) {
            continue;
        }
        let model = crate::model::build(r.scenario);
        for p in &r.outcome.properties {
            let Some(trace) = &p.trace else { continue };
            let name = |ext| counterexample_name(r.file, p.name, ext);
            let picture = lanes::Picture::of(&model, trace);
            files.push(ReportFile { name: name("json"), content: trace_file(r.file, r.scenario, p, trace) });
            files.push(ReportFile {
                name: name("md"),
                content: markdown::counterexample(r, p, trace, &model, &picture),
            });
            files.push(ReportFile {
                name: name("svg"),
                content: svg::sequence_diagram(r, p, trace, &picture),
            });
        }
    }
    files
}

/// Writes the report files of the results to `dir` and removes the
/// counterexample files of these scenarios whose property is no longer
/// violated. A bad file's counterexample files from an earlier run are
/// left alone: which of its properties are violated is not known until it
/// can be read again. Returns the paths written.
pub fn write_reports(dir: &Path, results: &[Checked], bad: &[ScenarioError]) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let files = report_files(results, bad);
    let produced: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut written = Vec::new();
    for f in &files {
        let path = dir.join(&f.name);
        write_atomically(&path, &f.content)?;
        written.push(path);
    }
    for r in results {
        for p in &r.outcome.properties {
            for ext in COUNTEREXAMPLE_EXTENSIONS {
                let name = counterexample_name(r.file, p.name, ext);
                if produced.contains(name.as_str()) {
                    continue;
                }
                match std::fs::remove_file(dir.join(&name)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
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

/// What a trace that is not a shortest counterexample is introduced with.
pub(crate) const NOT_SHORTEST: &str = "counterexample, not shown to be a shortest one (the breadth-first search \
     ran out of budget before reaching it; this is the proving search's path):";

/// Why a property that is violated or misses its expectation has no trace.
pub(crate) fn no_trace_reason(r: &Checked, p: &PropertyOutcome) -> String {
    if p.verdict == Verdict::Violated {
        return "violated (no trace: the search for a shortest counterexample ran out of time)".into();
    }
    format!(
        "{}, expected {} (no counterexample{})",
        p.verdict,
        p.expected,
        if r.outcome.complete { " in the complete search" } else { "; the search was incomplete" }
    )
}

/// The story of one property's result: what a JUnit failure carries.
pub(crate) fn narrative(r: &Checked, p: &PropertyOutcome) -> String {
    let mut out = format!("{} — {} ({})\n", r.file.display(), p.name, r.scenario.name);
    let verdict = if !p.expected.gated() {
        format!("{} (not gated: the scenario expects any verdict)", p.verdict)
    } else if p.matches() {
        format!("{}, as expected", p.verdict)
    } else {
        format!("{}, expected {}", p.verdict, p.expected)
    };
    out.push_str(&format!("verdict: {verdict}\n{}: {}\n", p.name, p.id.property().meaning));
    match &p.trace {
        Some(trace) => {
            out.push_str(if p.shortest { "shortest counterexample:\n" } else { NOT_SHORTEST });
            if !p.shortest {
                out.push('\n');
            }
            out.push_str(&trace_text(trace));
        }
        None => {
            out.push_str(&no_trace_reason(r, p));
            out.push('\n');
            if p.verdict == Verdict::Unknown && p.expected.gated() {
                out.push_str(
                    "unknown never meets an expectation: the search stopped at --max-depth, --timeout or \
                     --max-memory, or was a simulation, before it could prove or refute the property\n",
                );
            }
        }
    }
    out
}

/// Every note of the results, with its scenario file: what the text output,
/// the JSON document and the index files show (`src/scenario/notes.rs`).
pub(crate) fn notes<'a>(results: &'a [Checked]) -> Vec<(&'a Path, crate::scenario::Note)> {
    results.iter().flat_map(|r| crate::scenario::notes(r.scenario).into_iter().map(|n| (r.file, n))).collect()
}

/// A matrix's summary line (without markup) and whether every file was read
/// and every expectation met.
pub(crate) fn summary(results: &[Checked], bad: &[ScenarioError]) -> (String, bool) {
    let unmet: usize =
        results.iter().map(|r| r.outcome.properties.iter().filter(|p| !p.matches()).count()).sum();
    let verdicts: usize = results.iter().map(|r| r.outcome.properties.len()).sum();
    let how = if unmet == 0 {
        "every expectation met".to_string()
    } else {
        format!("{unmet} expectation(s) NOT met")
    };
    let files = results.len() + bad.len();
    let mut line = format!("{files} scenario file(s), {verdicts} verdict(s): {how}.");
    if !bad.is_empty() {
        line.push_str(&format!(" {} file(s) could not be read and were not checked.", bad.len()));
    }
    (line, unmet == 0 && bad.is_empty())
}

/// A bad file's problems, one line each: `line:column: problem` where the
/// position is known (the file's name is given apart).
pub(crate) fn problem_lines(error: &ScenarioError) -> Vec<String> {
    error
        .problems
        .iter()
        .map(|p| match p.position {
            Some((line, column)) => format!("{line}:{column}: {p}"),
            None => p.to_string(),
        })
        .collect()
}

/// The matrix's property columns: every property of the results, in the order first seen.
fn property_names(results: &[Checked]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for r in results {
        for p in &r.outcome.properties {
            if !names.contains(&p.name) {
                names.push(p.name);
            }
        }
    }
    names
}

/// `text` with `&`, `<`, `>`, quotes escaped, and the characters XML 1.0
/// forbids (control characters other than tab, newline, carriage return)
/// replaced by U+FFFD: safe in HTML, SVG and XML text and attribute values.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A file name as a relative URL: every byte outside the unreserved set percent-encoded.
pub(crate) fn url_escape(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_show_in_the_text_the_json_and_both_index_files() {
        let scenario = Scenario { messages: 1, max_poll_records: 2, ..Scenario::default() };
        let outcome = crate::check::check(&scenario, &crate::check::Options::default());
        let file = Path::new("models/<x>.json");
        let results = [Checked { file, scenario: &scenario, outcome: &outcome }];
        let message = "`max_poll_records` 2 is more than the 1 records of a partition";
        let shown = text(&results, &[], &TextOptions::default());
        assert!(shown.contains(&format!("\nnote: models/<x>.json: {message}")), "{shown}");
        let doc: serde_json::Value = serde_json::from_str(&json(&results, &[])).unwrap();
        let notes = &doc["scenarios"][0]["notes"];
        assert_eq!(notes[0]["name"], "max-poll-records-exceeds-log");
        assert!(notes[0]["message"].as_str().unwrap().starts_with(message), "{notes}");
        let md = markdown::index(&results, &[]);
        assert!(
            md.contains("\n## Notes\n\n- **models/\\<x\\>.json** — \\`max\\_poll\\_records\\` 2"),
            "{md}"
        );
        let html = html::index(&results, &[]);
        assert!(html.contains("<li data-note=\"max-poll-records-exceeds-log\"><span class=\"file\">models/&lt;x&gt;.json</span>"), "{html}");
        let plain = Scenario { messages: 2, max_poll_records: 2, ..Scenario::default() };
        let results = [Checked { file, scenario: &plain, outcome: &outcome }];
        assert!(
            !markdown::index(&results, &[]).contains("## Notes")
                && !html::index(&results, &[]).contains("<h2>Notes")
        );
    }

    #[test]
    fn xml_escape_covers_markup_quotes_and_forbidden_characters() {
        assert_eq!(xml_escape("a<b>&\"c'\u{1}\td"), "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\td");
    }

    #[test]
    fn url_escape_keeps_plain_names_and_encodes_the_rest() {
        assert_eq!(url_escape("at-most-once.no-loss.md"), "at-most-once.no-loss.md");
        assert_eq!(url_escape("a b(1)é.md"), "a%20b%281%29%C3%A9.md");
    }
}
