//! The `kafkacheck` command line (DESIGN.md §4).
//!
//! Exit status: 0 every expectation met; 1 some expectation not met; 2 bad
//! input or usage. Results go to stdout, progress and errors to stderr.

use crate::check::{self, Options, Search};
use crate::report::{self, Checked};
use crate::scenario::{self, Scenario};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const EXIT_OK: i32 = 0;
pub const EXIT_UNMET: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

#[derive(Parser)]
#[command(name = "kafkacheck", version, about = "Model-check Kafka consumer offset commit strategies")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check scenario files against their expected verdicts.
    Check {
        /// Scenario files, or directories whose *.json files are checked.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Checker threads.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
        /// bfs gives shortest counterexamples; simulation never proves `holds`.
        #[arg(long, value_enum, default_value = "bfs")]
        search: Search,
        /// Stop exploring paths at this depth (verdicts not violated become `unknown`).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        max_depth: Option<u32>,
        /// Stop each scenario's search after this many seconds (default for simulation: 10).
        #[arg(long, value_parser = parse_seconds)]
        timeout: Option<Duration>,
        /// Write each counterexample trace there as <scenario>.<property>.json.
        #[arg(long)]
        report_dir: Option<PathBuf>,
    },
    /// Serve the Stateright Explorer web UI for one scenario.
    Explore {
        file: PathBuf,
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: std::net::SocketAddr,
    },
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("`{s}` must be a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs the command line and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_BAD_INPUT } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Check { paths, format, threads, search, max_depth, timeout, report_dir } => {
            let options = Options {
                search,
                threads: threads as usize,
                max_depth: max_depth.map(|d| d as usize),
                timeout,
                progress: Some(|line| eprintln!("{line}")),
            };
            run_check(&paths, format, &options, report_dir.as_deref())
        }
        Command::Explore { file, addr } => explore(&file, addr),
    }
}

/// The scenario files named by the paths: files as given, directories'
/// `*.json` files sorted by name.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
                .collect();
            if found.is_empty() {
                return Err(format!("{}: no *.json scenario files in this directory", path.display()));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Loads every file, reporting every bad one (not just the first).
fn load_all(files: &[PathBuf]) -> Result<Vec<Scenario>, Vec<String>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match scenario::load(f) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() { Ok(scenarios) } else { Err(errors) }
}

fn run_check(paths: &[PathBuf], format: Format, options: &Options, report_dir: Option<&Path>) -> i32 {
    let files = match scenario_files(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let scenarios = match load_all(&files) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return EXIT_BAD_INPUT;
        }
    };
    let mut outcomes = Vec::new();
    for (file, s) in files.iter().zip(&scenarios) {
        eprintln!("checking {} ...", file.display());
        outcomes.push(check::check(s, options));
    }
    let results: Vec<Checked> = files
        .iter()
        .zip(&scenarios)
        .zip(&outcomes)
        .map(|((file, scenario), outcome)| Checked { file, scenario, outcome })
        .collect();
    match format {
        Format::Text => print!("{}", report::text(&results)),
        Format::Json => println!("{}", report::json(&results)),
    }
    if let Some(dir) = report_dir {
        match report::write_traces(dir, &results) {
            Ok(written) => eprintln!("wrote {} trace(s) to {}", written.len(), dir.display()),
            Err(e) => {
                eprintln!("error: cannot write reports to {}: {e}", dir.display());
                return EXIT_BAD_INPUT;
            }
        }
    }
    if results.iter().all(|r| r.outcome.all_match()) { EXIT_OK } else { EXIT_UNMET }
}

fn explore(file: &Path, addr: std::net::SocketAddr) -> i32 {
    let scenario = match scenario::load(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    // The Explorer's server panics when it cannot bind; find out first and say why.
    if let Err(e) = std::net::TcpListener::bind(addr) {
        eprintln!("error: cannot listen on {addr}: {e}");
        return EXIT_BAD_INPUT;
    }
    use stateright::Model;
    println!("Explorer for {} at http://{addr}/", scenario.name);
    crate::model::build(&scenario).checker().serve(addr);
    EXIT_OK
}
