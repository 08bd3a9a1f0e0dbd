//! GitHub Actions (README, "CI integration"): under `GITHUB_ACTIONS=true`,
//! `check` prints an `::error` workflow command for each unmet expectation
//! (`::warning` for an `unknown` verdict: the search stopped early) and
//! each problem of a bad file, which GitHub shows as an annotation on
//! the file (at the line where it is known), and appends a Markdown job
//! summary to the file `$GITHUB_STEP_SUMMARY` names.
//!
//! The commands are written as GitHub's documentation ("Workflow commands
//! for GitHub Actions") and its toolkit (`@actions/core`, `command.ts`)
//! write them: `::error file=F,line=L,col=C,title=T::message`, with `%`,
//! CR and LF percent-encoded in the message, and `:` and `,` too in the
//! properties. They go to stdout, where the runner reads them; with
//! `--format json`, whose stdout is one JSON document, they go to stderr,
//! which the runner reads as well.

use crate::check::PropertyOutcome;
use crate::report::{self, Checked};
use crate::scenario::ScenarioError;
use crate::verdict::Verdict;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A check run under GitHub Actions.
pub(super) struct Github {
    /// `$GITHUB_STEP_SUMMARY`: the job summary file to append to, when set.
    summary: Option<PathBuf>,
}

impl Github {
    /// `Some` when `GITHUB_ACTIONS` is `true`, as the runner sets it in every step.
    pub fn from_env() -> Option<Github> {
        if std::env::var("GITHUB_ACTIONS").ok().as_deref() != Some("true") {
            return None;
        }
        let summary = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()).map(PathBuf::from);
        Some(Github { summary })
    }

    /// Prints the annotations (on stderr when stdout carries JSON) and
    /// appends the job summary. A summary that cannot be written is a
    /// warning: it is not what the gate decides on.
    pub fn report(&self, results: &[Checked], bad: &[ScenarioError], stdout_is_json: bool) {
        let commands: String = annotations(results, bad).into_iter().map(|c| c + "\n").collect();
        if stdout_is_json {
            eprint!("{commands}");
        } else {
            print!("{commands}");
        }
        let Some(path) = &self.summary else { return };
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(job_summary(results, bad).as_bytes()));
        if let Err(e) = appended {
            eprintln!("warning: cannot append the job summary to {}: {e}", path.display());
        }
    }
}

/// One `::error` command per problem of each bad file, then one per unmet
/// expectation, in the order of the text table.
pub(super) fn annotations(results: &[Checked], bad: &[ScenarioError]) -> Vec<String> {
    let mut out = Vec::new();
    for e in bad {
        for p in &e.problems {
            let title = "kafkacheck: scenario file not checked";
            out.push(command("error", &e.file, p.position, title, &p.to_string()));
        }
    }
    for r in results {
        let text = std::fs::read_to_string(r.file).unwrap_or_default();
        for p in r.outcome.properties.iter().filter(|p| !p.matches()) {
            // The property's line in `expect`; else the line of `expect` (the property
            // was left to the default); else the file as a whole.
            let position =
                key_position(&text, &["expect", p.name]).or_else(|| key_position(&text, &["expect"]));
            let title = format!("kafkacheck: {} is {}, expected {}", p.name, p.verdict, p.expected);
            // An unknown verdict is no regression but a search that stopped early: a warning.
            let level = if p.verdict == Verdict::Unknown { "warning" } else { "error" };
            out.push(command(level, r.file, position, &title, &report::narrative(r, p)));
        }
    }
    out
}

/// `::error file=…,line=…,col=…,title=…::message` (or `::warning`).
fn command(level: &str, file: &Path, position: Option<(usize, usize)>, title: &str, message: &str) -> String {
    let mut properties = format!("file={}", escape_property(&file.display().to_string()));
    if let Some((line, column)) = position {
        let _ = write!(properties, ",line={line},col={column}");
    }
    let _ = write!(properties, ",title={}", escape_property(title));
    format!("::{level} {properties}::{}", escape_data(message.trim_end()))
}

/// A workflow command's message: `%`, CR and LF percent-encoded.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: as a message, and `:` and `,` too.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The 1-based line and column (in characters) of the key reached by `path`
/// from the top-level object of a JSON text (`["expect", "no-loss"]`: the key
/// `no-loss` of the object under the top-level key `expect`); `None` when it
/// is not there or the text is not JSON that far. Strings are skipped with
/// their escapes, so a key's name inside a description never matches.
pub(super) fn key_position(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    // For each open object or array: the key it is the value of (None for
    // the top level and for arrays' elements).
    let mut parents: Vec<Option<String>> = Vec::new();
    let mut last_key: Option<String> = None;
    let mut chars = text.char_indices().peekable();
    let (mut line, mut line_start) = (1, 0);
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => (line, line_start) = (line + 1, i + 1),
            '{' | '[' => parents.push(last_key.take()),
            '}' | ']' => {
                parents.pop();
                last_key = None;
            }
            '"' => {
                let mut name = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => name.extend(chars.next().map(|(_, c)| c)),
                        '"' => break,
                        c => name.push(c),
                    }
                }
                let rest = &text[chars.peek().map_or(text.len(), |&(j, _)| j)..];
                if !rest.trim_start().starts_with(':') {
                    continue; // a value, not a key
                }
                let in_path = parents.len() == path.len()
                    && parents[1..].iter().zip(path).all(|(k, want)| k.as_deref() == Some(*want))
                    && name == path[path.len() - 1];
                if in_path {
                    return Some((line, text[line_start..i].chars().count() + 1));
                }
                last_key = Some(name);
            }
            _ => {}
        }
    }
    None
}

/// GitHub keeps at most 1 MiB of one step's summary; the verdicts that met
/// their expectation stop here, leaving room for the rest (the JUnit file
/// and the report index have every row).
const MET_ROWS_BYTES: usize = 512 * 1024;

/// The job summary: a heading with the summary line, the files not
/// checked, then the verdict table: the unmet expectations first, then,
/// folded, the verdicts that met theirs.
pub(super) fn job_summary(results: &[Checked], bad: &[ScenarioError]) -> String {
    let esc = report::markdown_escape;
    let mut out = String::from("## kafkacheck\n\n");
    let (line, met) = report::summary(results, bad);
    let _ = writeln!(out, "{} {}\n", if met { "✅" } else { "❌" }, esc(&line));
    if !bad.is_empty() {
        out.push_str("### Scenario files not checked\n\n| file | problem |\n|---|---|\n");
        for e in bad {
            for p in report::problem_lines(e) {
                let _ = writeln!(out, "| {} | {} |", esc(&e.file.display().to_string()), esc(&p));
            }
        }
        out.push('\n');
    }
    let rows = || results.iter().flat_map(|r| r.outcome.properties.iter().map(move |p| (r, p)));
    let (unmet, met): (Vec<_>, Vec<_>) = rows().partition(|(_, p)| !p.matches());
    const HEADER: &str = "| | scenario | property | verdict | expected | states | counterexample |\n\
                          |---|---|---|---|---|--:|---|\n";
    if !unmet.is_empty() {
        out.push_str("### Unmet expectations\n\n");
        out.push_str(HEADER);
        for (r, p) in unmet {
            out.push_str(&verdict_row(r, p));
        }
        out.push('\n');
    }
    if !met.is_empty() {
        let _ = writeln!(out, "<details><summary>{} verdict(s) met their expectation</summary>\n", met.len());
        out.push_str(HEADER);
        let (mut bytes, total) = (0, met.len());
        for (shown, (r, p)) in met.into_iter().enumerate() {
            let row = verdict_row(r, p);
            bytes += row.len();
            if bytes > MET_ROWS_BYTES {
                let _ = writeln!(out, "\n{} more: see the JUnit file or the report index.", total - shown);
                break;
            }
            out.push_str(&row);
        }
        out.push_str("\n</details>\n\n");
    }
    out
}

/// One row of the verdict table: ✓ or ✗, the verdict, its expectation and
/// the counterexample's violation (or why an unmet one has none).
fn verdict_row(r: &Checked, p: &PropertyOutcome) -> String {
    let esc = report::markdown_escape;
    let (mark, verdict) =
        if p.matches() { ("✓", p.verdict.to_string()) } else { ("✗", format!("**{}**", p.verdict)) };
    let why = match &p.trace {
        Some(trace) => {
            esc(&format!("{} ({} steps)", trace.violation, trace.steps.last().map_or(0, |s| s.step)))
        }
        None if !p.matches() => esc(&report::no_trace_reason(r, p)),
        None => String::new(),
    };
    let (file, name, states) = (esc(&r.file.display().to_string()), esc(p.name), r.outcome.unique_states);
    format!("| {mark} | {file} | {name} | {verdict} | {} | {states} | {why} |\n", p.expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_found_by_its_path_and_never_inside_a_string() {
        let text = "{\n  \"description\": \"\\\"expect\\\": {\\\"no-loss\\\": 1}, no-loss: x\",\n  \
                    \"commit\": { \"no-loss\": 1 },\n  \"expect\": {\n    \"no-duplicate\": \"violated\",\n    \
                    \"no-loss\": \"holds\"\n  }\n}\n";
        assert_eq!(key_position(text, &["expect"]), Some((4, 3)));
        assert_eq!(key_position(text, &["expect", "no-loss"]), Some((6, 5)));
        assert_eq!(key_position(text, &["expect", "all-processed"]), None);
        assert_eq!(key_position(text, &["commit", "no-loss"]), Some((3, 15)));
        assert_eq!(
            key_position("{ \"a\": [ { \"expect\": 1 } ] }", &["expect"]),
            None,
            "not at the top level"
        );
        assert_eq!(key_position("not json", &["expect"]), None);
    }

    #[test]
    fn commands_escape_their_message_and_properties() {
        let c = command("error", Path::new("models/a,b:c.json"), Some((3, 7)), "t: 50%", "one\r\ntwo%\n");
        assert_eq!(c, "::error file=models/a%2Cb%3Ac.json,line=3,col=7,title=t%3A 50%25::one%0D%0Atwo%25");
        assert_eq!(
            command("warning", Path::new("x.json"), None, "t", "m"),
            "::warning file=x.json,title=t::m"
        );
    }

    #[test]
    fn a_violation_against_the_expectation_is_an_error_and_an_unknown_a_warning() {
        let file = Path::new("models/at-least-once.json");
        let scenario = crate::scenario::load(file).unwrap();
        let mut outcome = crate::check::check(&scenario, &crate::check::Options::default());
        let dup = outcome.properties.iter_mut().find(|p| p.name == "no-duplicate").unwrap();
        dup.expected = crate::verdict::Expectation::Holds;
        let results = [Checked { file, scenario: &scenario, outcome: &outcome }];
        let commands = annotations(&results, &[]);
        assert_eq!(commands.len(), 1, "{commands:?}");
        let at = "::error file=models/at-least-once.json,line=11,col=5,title=kafkacheck%3A no-duplicate is violated";
        assert!(commands[0].starts_with(at), "{}", commands[0]);

        let shallow = crate::check::Options { max_depth: Some(3), ..crate::check::Options::default() };
        let outcome = crate::check::check(&scenario, &shallow);
        let results = [Checked { file, scenario: &scenario, outcome: &outcome }];
        let commands = annotations(&results, &[]);
        let no_loss = commands.iter().find(|c| c.contains("no-loss is unknown")).unwrap();
        assert!(no_loss.starts_with("::warning file=models/at-least-once.json,line=12,col=5,"), "{no_loss}");
        let unnamed = commands.iter().find(|c| c.contains("all-processed is unknown")).unwrap();
        assert!(unnamed.contains(",line=10,col=3,"), "not in `expect`: at `expect` itself: {unnamed}");
    }
}
