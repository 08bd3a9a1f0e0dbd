//! The `kafkacheck` command line (README, "Command line").
//!
//! Exit status: 0 every expectation met; 1 some expectation not met; 2 a
//! scenario file could not be read (the others are still checked), bad
//! input or usage. Results go to stdout, progress and errors to stderr.

mod check;
mod github;
#[cfg(feature = "live")]
mod live;

use crate::check::{Options, Search};
use crate::report::{ShowTraces, TextOptions};
use crate::scenario;
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

/// `check --traces`.
#[derive(Clone, Copy, ValueEnum)]
enum TracesArg {
    /// No traces.
    None,
    /// The traces of verdicts that do not meet their expectation.
    Failed,
    /// Every counterexample, expected or not.
    All,
}

impl From<TracesArg> for ShowTraces {
    fn from(arg: TracesArg) -> ShowTraces {
        match arg {
            TracesArg::None => ShowTraces::None,
            TracesArg::Failed => ShowTraces::Failed,
            TracesArg::All => ShowTraces::All,
        }
    }
}

/// What `check --help` says after the options.
const CHECK_AFTER_HELP: &str = "\
Exit status:
  0  every scenario file was read and every expectation met
  1  every file was read, and some expectation was not met
  2  a scenario file could not be read (every other file is still checked and
     reported, and the bad file is a JUnit error), or bad usage

Under GitHub Actions (GITHUB_ACTIONS=true) each unmet expectation and each bad
file is also an ::error annotation, and the verdict table is appended to the
job summary ($GITHUB_STEP_SUMMARY).

Scenario files (their fields, `expect`, the rules between fields): README.md,
section \"Scenario files\"; the options: section \"Command line\".";

#[derive(Subcommand)]
enum Command {
    /// Check scenario files against their expected verdicts.
    #[command(after_help = CHECK_AFTER_HELP)]
    Check {
        /// Scenario files, or directories whose *.json files are checked.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// text: the verdict table, notes, traces and a summary line, wrapped to
        /// the terminal (100 columns when stdout is not one); json: one document.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Text output: the table and the summary line only (no notes, traces or
        /// progress).
        #[arg(long, short, conflicts_with = "traces")]
        quiet: bool,
        /// Text output: which counterexamples to print. The default shows what
        /// needs attention; expected counterexamples are in --report-dir's stories
        /// and the JSON document.
        #[arg(long, value_enum, default_value = "failed")]
        traces: TracesArg,
        /// A Java consumer.properties file applied to every scenario, as if
        /// its keys were written in the scenario's `consumer_config`.
        #[arg(long, value_name = "FILE.properties")]
        consumer_config: Option<PathBuf>,
        /// Checker threads of the whole check: a directory's files are checked up to N at a time,
        /// each search on N / that many threads; shortest counterexamples are searched on one
        /// thread each [default: the available cores].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: Option<u16>,
        /// Check only the I-th of N slices of the scenario files (dealt round-robin in the
        /// order checked), for a CI matrix of N jobs; JUnit then names the shard.
        #[arg(long, value_name = "I/N", value_parser = check::Shard::parse)]
        shard: Option<check::Shard>,
        /// The search that proves properties (counterexamples are shortest, found
        /// breadth-first, unless a bound stops that search first, which the output then says);
        /// simulation never proves `holds`.
        #[arg(long, value_enum, default_value = "dfs")]
        search: Search,
        /// Stop exploring paths at this depth (verdicts not violated become `unknown`).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        max_depth: Option<u32>,
        /// Stop each scenario's check after this many seconds, every search included: the
        /// proving search gets the first half (default for simulation: 10 s of walks).
        #[arg(long, value_parser = parse_seconds)]
        timeout: Option<Duration>,
        /// Stop each search when the process's resident memory reaches SIZE (512M, 1G, or `none`)
        /// [default: 3/4 of the machine's memory].
        #[arg(long, value_name = "SIZE", value_parser = crate::check::memory::Limit::parse)]
        max_memory: Option<crate::check::memory::Limit>,
        /// Write the verdict matrix (index.md, index.html) there, and each counterexample as
        /// <scenario>.<property>.json, .md (the story) and .svg (a sequence diagram).
        #[arg(long)]
        report_dir: Option<PathBuf>,
        /// Write JUnit XML for CI there: a testsuite per scenario file, a testcase per property.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Do not merge states that differ only in which consumer is which
        /// (the reduction applies to dfs and simulation under group assignment).
        #[arg(long)]
        no_symmetry: bool,
        #[cfg(feature = "live")]
        #[command(flatten)]
        live: live::CheckLiveArgs,
    },
    /// Run scenarios on a real Apache Kafka broker with real consumers, inject
    /// their crashes and pauses, and check the properties on what happened.
    ///
    /// Each scenario is checked first; its "model" column is the model's verdict.
    /// Exit status: 0 the runs agree with the model; 1 some run contradicts it (an
    /// anomaly of a property the model proves holds, or a property it finds
    /// violated that no run reproduced); 2 bad input, no broker, or a consumer
    /// process that failed.
    #[cfg(feature = "live")]
    Live(live::LiveArgs),
    /// One consumer process of `live` (started by it; not for direct use).
    #[cfg(feature = "live")]
    #[command(hide = true)]
    Consumer(crate::live::consumer::ConsumerArgs),
    /// Serve the Explorer for one scenario: its verdicts, and each counterexample step by step.
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
        Command::Check {
            paths,
            format,
            quiet,
            traces,
            consumer_config,
            threads,
            shard,
            search,
            max_depth,
            timeout,
            max_memory,
            report_dir,
            junit,
            no_symmetry,
            #[cfg(feature = "live")]
            live,
        } => {
            let options = Options {
                search,
                threads: threads.map_or_else(crate::check::available_threads, usize::from),
                max_depth: max_depth.map(|d| d as usize),
                timeout,
                max_memory: max_memory.map_or_else(crate::check::memory::default_limit, |l| l.0),
                symmetry: !no_symmetry,
                progress: (!quiet).then_some(crate::progress::show as fn(&crate::check::Progress)),
            };
            #[cfg(feature = "live")]
            let live = live.options();
            #[cfg(not(feature = "live"))]
            let live = None;
            let Ok(config) = read_consumer_config(consumer_config.as_deref()) else { return EXIT_BAD_INPUT };
            let inputs = Inputs { paths: &paths, consumer_config: config.as_ref() };
            let outputs = check::Outputs {
                format,
                text: TextOptions { traces: traces.into(), quiet, width: width(std::io::stdout()) },
                report_dir: report_dir.as_deref(),
                junit: junit.as_deref(),
                github: github::Github::from_env(),
            };
            check::run_check(&inputs, shard, &outputs, &options, live.as_ref())
        }
        Command::Explore { file, addr } => crate::explore::run(&file, addr),
        #[cfg(feature = "live")]
        Command::Consumer(args) => match crate::live::consumer::run(&args.plan) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                eprintln!("kafkacheck consumer: {e}");
                EXIT_BAD_INPUT
            }
        },
        #[cfg(feature = "live")]
        Command::Live(args) => live::run_command(args),
    }
}

/// The `--consumer-config` file, if given; `Err` after printing why it cannot be read.
fn read_consumer_config(path: Option<&Path>) -> Result<Option<scenario::ConsumerConfig>, ()> {
    path.map(scenario::ConsumerConfig::read).transpose().map_err(|e| eprintln!("error: {e}"))
}

/// The scenario files named by the paths: files as given, directories'
/// `*.json` files sorted by name ([`scenario::list_dir`]; their other files are named on stderr as
/// skipped); `Err` for a directory without any.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        // Anything but a directory is a file as given, even a missing one: loading it says
        // why it cannot be read, and the other files are still checked.
        if path.is_dir() {
            let (found, skipped) =
                scenario::list_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
            for other in skipped {
                eprintln!("skipped: {} (not a .json file; scenario files are JSON)", other.display());
            }
            if found.is_empty() {
                return Err(format!("{}: no *.json scenario files in this directory", path.display()));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// The columns text output is wrapped to when stdout is not a terminal (a
/// pipe, a CI log) and `$COLUMNS` is not set.
pub const PIPE_WIDTH: usize = 100;
/// Narrower terminals get this width: below it a table row no longer fits on one line.
pub const MIN_WIDTH: usize = 60;

/// The width text written to `stream` is wrapped to: the terminal's when the
/// stream is one; otherwise `$COLUMNS` when set (shells set it, most do not
/// export it); otherwise [`PIPE_WIDTH`].
fn width(stream: impl std::os::fd::AsFd) -> usize {
    let terminal = terminal_size::terminal_size_of(stream).map(|(w, _)| usize::from(w.0));
    width_from(terminal, std::env::var("COLUMNS").ok().as_deref())
}

/// [`width`] from the terminal's width (if any) and `$COLUMNS` (if set).
fn width_from(terminal: Option<usize>, columns: Option<&str>) -> usize {
    let columns = columns.and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0);
    terminal.filter(|&w| w > 0).or(columns).unwrap_or(PIPE_WIDTH).max(MIN_WIDTH)
}

/// The width error messages on stderr are wrapped to: the terminal's when
/// stderr is one, else none. In a log or a pipe each error stays one
/// `file:line:column: message` line, the form editors and CI problem
/// matchers read.
fn stderr_width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map_or(usize::MAX, |(w, _)| usize::from(w.0).max(MIN_WIDTH))
}

/// What `check` reads: the scenario paths and the `--consumer-config` file.
struct Inputs<'a> {
    paths: &'a [PathBuf],
    consumer_config: Option<&'a scenario::ConsumerConfig>,
}
