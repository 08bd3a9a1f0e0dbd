//! `kafkacheck check`: load every scenario file, check the good ones, and
//! report all of them (text or JSON, report directory, JUnit, GitHub).

use super::github::Github;
use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_UNMET, Format, Inputs, scenario_files};
use crate::check::{self, Options};
use crate::report::{self, Checked, TextOptions};
use crate::scenario::{self, Scenario, ScenarioError};
use std::path::{Path, PathBuf};

/// The scenario files of a run: those that loaded (`files` and `scenarios`
/// are parallel) and those that did not, each with every problem found.
pub(super) struct Loaded {
    pub files: Vec<PathBuf>,
    pub scenarios: Vec<Scenario>,
    pub bad: Vec<ScenarioError>,
}

/// The scenario files named by the paths, loaded with the consumer config
/// applied; every bad file's problems are printed (a missing file is a bad
/// file). `None` after printing why when a directory has no scenario files:
/// then nothing is checked.
pub(super) fn load_paths(paths: &[PathBuf], config: Option<&scenario::ConsumerConfig>) -> Option<Loaded> {
    let width = super::stderr_width();
    let files = scenario_files(paths)
        .map_err(|e| eprint!("{}", report::wrapped(&format!("error: {e}"), width, "  ")))
        .ok()?;
    let mut loaded = Loaded { files: Vec::new(), scenarios: Vec::new(), bad: Vec::new() };
    for file in files {
        match scenario::load_with(&file, config) {
            Ok(s) => {
                loaded.files.push(file);
                loaded.scenarios.push(s);
            }
            Err(e) => {
                eprint!("{}", report::wrapped(&format!("error: {e}"), width, "    "));
                loaded.bad.push(e);
            }
        }
    }
    Some(loaded)
}

/// Where and how `check` reports.
pub(super) struct Outputs<'a> {
    pub format: Format,
    pub text: TextOptions,
    pub report_dir: Option<&'a Path>,
    pub junit: Option<&'a Path>,
    /// Set when running under GitHub Actions.
    pub github: Option<Github>,
}

/// `check --live`'s options.
#[cfg(feature = "live")]
pub(super) type LiveCheck = crate::live::LiveOptions;
/// Built without the `live` feature there is no `check --live`: no value of
/// this type exists.
#[cfg(not(feature = "live"))]
pub(super) enum LiveCheck {}

#[cfg(feature = "live")]
use super::live::replay_all;

#[cfg(not(feature = "live"))]
fn replay_all(
    _: &[PathBuf],
    _: &[Scenario],
    _: &mut [check::Outcome],
    live: &LiveCheck,
) -> Result<(), String> {
    match *live {}
}

/// Checks every good file and reports every file. The exit status: 2 when a
/// file could not be read (or a report could not be written), else 1 when
/// an expectation was not met, else 0.
pub(super) fn run_check(
    inputs: &Inputs,
    outputs: &Outputs,
    options: &Options,
    live: Option<&LiveCheck>,
) -> i32 {
    let Some(Loaded { files, scenarios, bad }) = load_paths(inputs.paths, inputs.consumer_config) else {
        return EXIT_BAD_INPUT;
    };
    let mut outcomes = Vec::new();
    for (file, s) in files.iter().zip(&scenarios) {
        if !outputs.text.quiet {
            eprintln!("checking {} ...", file.display());
        }
        outcomes.push(check::check(s, options));
        crate::progress::clear();
    }
    if let Some(live) = live
        && let Err(e) = replay_all(&files, &scenarios, &mut outcomes, live)
    {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    let results: Vec<Checked> = report::checked(&files, &scenarios, &outcomes);
    match outputs.format {
        Format::Text => print!("{}", report::text(&results, &bad, &outputs.text)),
        Format::Json => println!("{}", report::json(&results, &bad)),
    }
    let written = write_files(outputs, &results, &bad);
    if let Some(github) = &outputs.github {
        github.report(&results, &bad, matches!(outputs.format, Format::Json));
    }
    if !bad.is_empty() || !written {
        EXIT_BAD_INPUT
    } else if results.iter().all(|r| r.outcome.all_match()) {
        EXIT_OK
    } else {
        EXIT_UNMET
    }
}

/// Writes the report directory and the JUnit file, if asked for; false
/// after printing why one could not be written.
fn write_files(outputs: &Outputs, results: &[Checked], bad: &[ScenarioError]) -> bool {
    let mut ok = true;
    if let Some(dir) = outputs.report_dir {
        match report::write_reports(dir, results, bad) {
            Ok(written) if !outputs.text.quiet => {
                eprintln!("wrote {} report file(s) to {}", written.len(), dir.display())
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: cannot write reports to {}: {e}", dir.display());
                ok = false;
            }
        }
    }
    if let Some(file) = outputs.junit {
        match report::write_atomically(file, &report::junit(results, bad)) {
            Ok(()) if !outputs.text.quiet => eprintln!("wrote JUnit XML to {}", file.display()),
            Ok(()) => {}
            Err(e) => {
                eprintln!("error: cannot write JUnit XML to {}: {e}", file.display());
                ok = false;
            }
        }
    }
    ok
}
