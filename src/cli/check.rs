//! `kafkacheck check`: load every scenario file, check the good ones, and
//! report all of them (text or JSON, report directory, JUnit, GitHub).

use super::github::Github;
use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_UNMET, Format, Inputs, scenario_files};
use crate::check::{self, Options};
use crate::report::{self, Checked, TextOptions};
use crate::scenario::{self, Scenario, ScenarioError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
/// then nothing is checked. (`live`'s; `check` lists the files first, to take its shard.)
#[cfg(feature = "live")]
pub(super) fn load_paths(paths: &[PathBuf], config: Option<&scenario::ConsumerConfig>) -> Option<Loaded> {
    list_files(paths).map(|files| load_files(files, config))
}

/// The scenario files the paths name ([`scenario_files`]), `None` after printing why not.
fn list_files(paths: &[PathBuf]) -> Option<Vec<PathBuf>> {
    let width = super::stderr_width();
    scenario_files(paths)
        .map_err(|e| eprint!("{}", report::wrapped(&format!("error: {e}"), width, "  ")))
        .ok()
}

fn load_files(files: Vec<PathBuf>, config: Option<&scenario::ConsumerConfig>) -> Loaded {
    let width = super::stderr_width();
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
    loaded
}

/// `--shard I/N`: the I-th (1-based) of N slices of a check's scenario
/// files, so that a CI matrix of N jobs checks each file once.
///
/// The files are those the check would report, in its order (each
/// directory's `*.json` files sorted by name, [`scenario_files`]), dealt
/// round-robin: file k (from 0) is in shard k mod N + 1. Round-robin rather
/// than contiguous because neighbours in name order are often one
/// scenario's variants of similar cost (`at-least-once-group-*`), which
/// contiguous slices would put in one job; dealt out, each job gets a
/// similar mix. Every job of the matrix runs the same command line, so each
/// sees the same list and the slices are disjoint and cover it. A bad file
/// is in one shard like any other, and is an error there only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N` with 1 <= I <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let not_i_of_n = || "not I/N: a shard number and a count (e.g. 2/4)".to_string();
        let (i, n) = text.split_once('/').ok_or_else(not_i_of_n)?;
        let number =
            |part: &str| part.trim().parse::<usize>().map_err(|_| format!("`{text}` is not I/N (e.g. 2/4)"));
        let (index, count) = (number(i)?, number(n)?);
        if count == 0 || index == 0 || index > count {
            return Err("the shard I/N needs 1 <= I <= N (e.g. 1/4 to 4/4)".to_string());
        }
        Ok(Shard { index, count })
    }

    /// This shard's files, in their order.
    pub fn of(self, files: Vec<PathBuf>) -> Vec<PathBuf> {
        files
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % self.count + 1 == self.index)
            .map(|(_, f)| f)
            .collect()
    }

    /// `shard 2/4`.
    pub fn name(self) -> String {
        format!("shard {}/{}", self.index, self.count)
    }
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

/// Checks every good file (of `shard` only, if given) and reports every file. The exit status: 2 when a
/// file could not be read (or a report could not be written), else 1 when
/// an expectation was not met, else 0.
pub(super) fn run_check(
    inputs: &Inputs,
    shard: Option<Shard>,
    outputs: &Outputs,
    options: &Options,
    live: Option<&LiveCheck>,
) -> i32 {
    let Some(mut files) = list_files(inputs.paths) else { return EXIT_BAD_INPUT };
    if let Some(shard) = shard {
        let all = files.len();
        files = shard.of(files);
        if files.is_empty() {
            eprintln!("{}: no scenario files in this shard (of {all}); nothing to check", shard.name());
        } else if !outputs.text.quiet {
            eprintln!("{}: {} of {all} scenario files", shard.name(), files.len());
        }
    }
    let Loaded { files, scenarios, bad } = load_files(files, inputs.consumer_config);
    let mut outcomes = check_all(&files, &scenarios, options, outputs.text.quiet);
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
    let written = write_files(outputs, shard, &results, &bad);
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

/// How a check of several files spends `--threads` (the cores by default).
///
/// `threads` is the whole check's budget: `files` scenario files are
/// checked at once, each search on `per_search` threads, with files ×
/// per_search <= threads. Files come first: two files checked side by side
/// on one thread each keep two cores busy for the whole search, while one
/// search on two threads spends part of the second on sharing work
/// (Stateright's job market) and the breadth-first counterexample search
/// after it is one thread anyway ([`crate::check::Search`]). So a directory
/// of many files gets `threads` files at a time on one thread each, and a
/// single file (or fewer files than threads) gets the threads left over.
/// `--threads 1` checks one file after another on one thread: today's order
/// of work exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pool {
    pub files: usize,
    pub per_search: usize,
}

impl Pool {
    pub fn new(threads: usize, file_count: usize) -> Pool {
        let files = threads.min(file_count).max(1);
        Pool { files, per_search: (threads / files).max(1) }
    }
}

/// Each scenario's outcome, in the order of the files, checked [`Pool`]
/// files at a time. The reports are written from this list after every
/// check has ended, so their order and (for complete searches, whose state
/// counts do not depend on the order of work) their bytes are those of a
/// check of one file after another; only the `checking FILE ...` lines and
/// the progress lines on stderr come in the order the checks start.
///
/// `--timeout` stays each file's own: its clock starts when its check does.
/// `--max-memory` stays the process's resident memory, which every running
/// search's watcher reads: when the process reaches it, every search
/// running at that moment stops and reports `max-memory`, whichever of them
/// grew (the resident size is the process's, not a search's); the files
/// started after that get the memory the stopped ones freed. A file whose
/// check stops at the limit can be checked alone (`--threads 1`, or the
/// file as the only path) to give it the whole limit.
fn check_all(
    files: &[PathBuf],
    scenarios: &[Scenario],
    options: &Options,
    quiet: bool,
) -> Vec<check::Outcome> {
    let pool = Pool::new(options.threads, scenarios.len());
    let each = Options { threads: pool.per_search, ..options.clone() };
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<check::Outcome>>> = scenarios.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..pool.files)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(scenario) = scenarios.get(i) else { break };
                        if !quiet {
                            crate::progress::note(&format!("checking {} ...", files[i].display()));
                        }
                        let outcome = check::check(scenario, &each);
                        crate::progress::finish(&scenario.name);
                        *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
                    }
                })
            })
            .collect();
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every file was checked"))
        .collect()
}

/// Writes the report directory and the JUnit file, if asked for; false
/// after printing why one could not be written.
fn write_files(outputs: &Outputs, shard: Option<Shard>, results: &[Checked], bad: &[ScenarioError]) -> bool {
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
        match report::write_atomically(file, &junit(shard, results, bad)) {
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

/// The JUnit XML document: its `<testsuites>` is named `kafkacheck`, or
/// `kafkacheck shard 2/4` for one shard's (a CI job that collects every
/// shard's file tells them apart; the suites within are the files, each in
/// one shard only).
fn junit(shard: Option<Shard>, results: &[Checked], bad: &[ScenarioError]) -> String {
    match shard {
        Some(shard) => report::junit_named(&format!("kafkacheck {}", shard.name()), results, bad),
        None => report::junit(results, bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_keeps_files_times_threads_within_the_budget() {
        assert_eq!(Pool::new(1, 81), Pool { files: 1, per_search: 1 });
        assert_eq!(Pool::new(2, 81), Pool { files: 2, per_search: 1 });
        assert_eq!(Pool::new(2, 1), Pool { files: 1, per_search: 2 });
        assert_eq!(Pool::new(8, 3), Pool { files: 3, per_search: 2 });
        assert_eq!(Pool::new(4, 0), Pool { files: 1, per_search: 4 });
        for threads in 1..=16 {
            for count in 0..=20 {
                let pool = Pool::new(threads, count);
                assert!(pool.files * pool.per_search <= threads, "{threads} {count}: {pool:?}");
            }
        }
    }

    #[test]
    fn shards_deal_the_files_round_robin() {
        let files: Vec<PathBuf> = (0..7).map(|i| PathBuf::from(format!("{i}.json"))).collect();
        let names = |shard: &str| -> Vec<String> {
            let shard = Shard::parse(shard).unwrap();
            shard.of(files.clone()).iter().map(|f| f.display().to_string()).collect()
        };
        assert_eq!(names("1/3"), ["0.json", "3.json", "6.json"]);
        assert_eq!(names("2/3"), ["1.json", "4.json"]);
        assert_eq!(names("3/3"), ["2.json", "5.json"]);
        assert_eq!(names("1/1").len(), 7);
        assert!(names("8/8").is_empty());
        assert_eq!(Shard::parse(" 2 / 4 ").map(Shard::name), Ok("shard 2/4".to_string()));
        for bad in ["0/1", "2/1", "1/0", "", "1", "x/2", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
