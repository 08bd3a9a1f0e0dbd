//! The `kafkacheck` command line (README, "Command line").
//!
//! Exit status: 0 every expectation met; 1 some expectation not met; 2 bad
//! input or usage. Results go to stdout, progress and errors to stderr.

use crate::check::{self, OnBroker, Options, Search};
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
        /// A Java consumer.properties file applied to every scenario, as if
        /// its keys were written in the scenario's `consumer_config`.
        #[arg(long, value_name = "FILE.properties")]
        consumer_config: Option<PathBuf>,
        /// Checker threads.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
        /// The search that proves properties (counterexamples are always shortest,
        /// found breadth-first); simulation never proves `holds`.
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
        #[arg(long, value_name = "SIZE", value_parser = check::memory::Limit::parse)]
        max_memory: Option<check::memory::Limit>,
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
        /// Replay every counterexample on a real broker (see `live`) and record
        /// whether it reproduced there.
        #[arg(long)]
        live: bool,
        /// With --live: your Kafka cluster instead of the private nisshi broker.
        #[arg(long, requires = "live")]
        bootstrap: Option<String>,
    },
    /// Run scenarios on a real Kafka-protocol broker with real consumers, inject
    /// their crashes and pauses, and check the properties on what happened.
    Live {
        /// Scenario files, or directories whose *.json files are run.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Your Kafka cluster (HOST:PORT,...); without it the installed nisshi
        /// broker is started on a free loopback port and stopped afterwards.
        #[arg(long)]
        bootstrap: Option<String>,
        /// Seeded random fault schedules per scenario (run i uses seed S + i).
        #[arg(long, default_value_t = 2)]
        runs: u32,
        #[arg(long, default_value_t = crate::live::DEFAULT_SEED)]
        seed: u64,
        /// Replay this model trace's crashes and pauses (a trace JSON file that
        /// `check --report-dir` wrote) instead of the model's own counterexamples.
        #[arg(long)]
        replay: Option<PathBuf>,
        /// Do not replay the model's counterexamples (only the seeded runs).
        #[arg(long)]
        no_model_traces: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// A Java consumer.properties applied to every scenario, as with `check`.
        #[arg(long, value_name = "FILE.properties")]
        consumer_config: Option<PathBuf>,
        /// The consumers' session.timeout.ms: how long a paused consumer stays a
        /// member [default: 2000 on the private broker, 6000 (Kafka's
        /// group.min.session.timeout.ms) with --bootstrap].
        #[arg(long)]
        session_timeout_ms: Option<u32>,
        /// Stop a run that is still busy after this many seconds (reported incomplete).
        #[arg(long, value_parser = parse_seconds, default_value = "90")]
        run_timeout: Duration,
        /// Where each run's files go (sink, consumer logs); default a new temporary directory.
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
    /// One consumer process of `live` (started by it; not for direct use).
    #[command(hide = true)]
    Consumer(crate::live::consumer::ConsumerArgs),
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
        Command::Check {
            paths,
            format,
            consumer_config,
            threads,
            search,
            max_depth,
            timeout,
            max_memory,
            report_dir,
            junit,
            no_symmetry,
            live,
            bootstrap,
        } => {
            let options = Options {
                search,
                threads: threads as usize,
                max_depth: max_depth.map(|d| d as usize),
                timeout,
                max_memory: max_memory.map_or_else(check::memory::default_limit, |l| l.0),
                symmetry: !no_symmetry,
                progress: Some(crate::progress::show),
            };
            let live = live.then(|| crate::live::LiveOptions {
                bootstrap: bootstrap.clone(),
                runs: 0,
                seed: crate::live::DEFAULT_SEED,
                replays: Vec::new(),
                consumer_exe: crate::live::LiveOptions::consumer_is_me(),
                work_dir: std::env::temp_dir().join(format!("kafkacheck-live-{}", std::process::id())),
                session_timeout_ms: crate::live::default_session_timeout_ms(bootstrap.is_some()),
                run_deadline: Duration::from_secs(90),
            });
            let Ok(config) = read_consumer_config(consumer_config.as_deref()) else { return EXIT_BAD_INPUT };
            let inputs = Inputs { paths: &paths, consumer_config: config.as_ref() };
            run_check(&inputs, format, &options, report_dir.as_deref(), junit.as_deref(), live.as_ref())
        }
        Command::Explore { file, addr } => explore(&file, addr),
        Command::Consumer(args) => match crate::live::consumer::run(&args.plan) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                eprintln!("kafkacheck consumer: {e}");
                EXIT_BAD_INPUT
            }
        },
        Command::Live {
            paths,
            bootstrap,
            runs,
            seed,
            replay,
            no_model_traces,
            format,
            consumer_config,
            session_timeout_ms,
            run_timeout,
            work_dir,
        } => {
            let work_dir = work_dir.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("kafkacheck-live-{}", std::process::id()))
            });
            let options = crate::live::LiveOptions {
                bootstrap: bootstrap.clone(),
                runs,
                seed,
                replays: Vec::new(),
                consumer_exe: crate::live::LiveOptions::consumer_is_me(),
                work_dir,
                session_timeout_ms: session_timeout_ms
                    .unwrap_or(crate::live::default_session_timeout_ms(bootstrap.is_some())),
                run_deadline: run_timeout,
            };
            let traces = if no_model_traces { Traces::None } else { Traces::Model };
            let traces = replay.map_or(traces, Traces::File);
            let Ok(config) = read_consumer_config(consumer_config.as_deref()) else { return EXIT_BAD_INPUT };
            let inputs = Inputs { paths: &paths, consumer_config: config.as_ref() };
            run_live(&inputs, &options, &traces, format)
        }
    }
}

/// The `--consumer-config` file, if given; `Err` after printing why it cannot be read.
fn read_consumer_config(path: Option<&Path>) -> Result<Option<scenario::ConsumerConfig>, ()> {
    path.map(scenario::ConsumerConfig::read).transpose().map_err(|e| eprintln!("error: {e}"))
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

/// What `check` reads: the scenario paths and the `--consumer-config` file.
struct Inputs<'a> {
    paths: &'a [PathBuf],
    consumer_config: Option<&'a scenario::ConsumerConfig>,
}

/// The scenario files named by the paths, loaded with the consumer config
/// applied; `None` after printing every error (a bad path, or every bad
/// file, not just the first).
fn load_paths(
    paths: &[PathBuf],
    config: Option<&scenario::ConsumerConfig>,
) -> Option<(Vec<PathBuf>, Vec<Scenario>)> {
    let files = scenario_files(paths).map_err(|e| eprintln!("error: {e}")).ok()?;
    match load_all(&files, config) {
        Ok(scenarios) => Some((files, scenarios)),
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            None
        }
    }
}

/// Loads every file, reporting every bad one (not just the first).
fn load_all(
    files: &[PathBuf],
    config: Option<&scenario::ConsumerConfig>,
) -> Result<Vec<Scenario>, Vec<String>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match scenario::load_with(f, config) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() { Ok(scenarios) } else { Err(errors) }
}

fn run_check(
    inputs: &Inputs,
    format: Format,
    options: &Options,
    report_dir: Option<&Path>,
    junit: Option<&Path>,
    live: Option<&crate::live::LiveOptions>,
) -> i32 {
    let Some((files, scenarios)) = load_paths(inputs.paths, inputs.consumer_config) else {
        return EXIT_BAD_INPUT;
    };
    let mut outcomes = Vec::new();
    for (file, s) in files.iter().zip(&scenarios) {
        eprintln!("checking {} ...", file.display());
        outcomes.push(check::check(s, options));
        crate::progress::clear();
    }
    if let Some(live) = live {
        for ((file, s), outcome) in files.iter().zip(&scenarios).zip(&mut outcomes) {
            if let Err(e) = replay_on_broker(file, s, outcome, live) {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    let results: Vec<Checked> = report::checked(&files, &scenarios, &outcomes);
    match format {
        Format::Text => print!("{}", report::text(&results)),
        Format::Json => println!("{}", report::json(&results)),
    }
    if let Some(dir) = report_dir {
        match report::write_reports(dir, &results) {
            Ok(written) => eprintln!("wrote {} report file(s) to {}", written.len(), dir.display()),
            Err(e) => {
                eprintln!("error: cannot write reports to {}: {e}", dir.display());
                return EXIT_BAD_INPUT;
            }
        }
    }
    if let Some(file) = junit {
        if let Err(e) = report::write_atomically(file, &report::junit(&results)) {
            eprintln!("error: cannot write JUnit XML to {}: {e}", file.display());
            return EXIT_BAD_INPUT;
        }
        eprintln!("wrote JUnit XML to {}", file.display());
    }
    if results.iter().all(|r| r.outcome.all_match()) { EXIT_OK } else { EXIT_UNMET }
}

/// `check --live`: replays each counterexample of one checked scenario on the
/// broker and records in the outcome whether the anomaly showed there.
fn replay_on_broker(
    file: &Path,
    scenario: &Scenario,
    outcome: &mut check::Outcome,
    live: &crate::live::LiveOptions,
) -> Result<(), String> {
    let replays = counterexample_schedules(scenario, outcome)?;
    if replays.is_empty() {
        return Ok(());
    }
    let why = crate::live::unsupported(scenario);
    if !why.is_empty() {
        let why = format!("the broker cannot run this scenario: {}", why.join("; "));
        for p in outcome.properties.iter_mut().filter(|p| p.trace.is_some()) {
            p.on_broker = Some(OnBroker::NotRun(why.clone()));
        }
        return Ok(());
    }
    let names: Vec<String> = replays.iter().map(|(n, _)| n.clone()).collect();
    let options = crate::live::LiveOptions { replays, runs: 0, ..live.clone() };
    let report = crate::live::live(scenario, &file.display().to_string(), &options)?;
    for (name, run) in names.iter().zip(&report.runs) {
        let Some(p) = outcome.properties.iter_mut().find(|p| p.name == name) else { continue };
        let files = format!("run files in {}", run.dir.display());
        p.on_broker = Some(match run.anomalies.iter().find(|a| a.property == p.name) {
            Some(a) => OnBroker::Reproduced(format!("{}; {files}", a.evidence)),
            None => OnBroker::NotReproduced(format!(
                "the replayed run ({}) showed no {} anomaly; {files}",
                run.schedule, p.name
            )),
        });
    }
    Ok(())
}

/// Which model traces `live` replays before its seeded runs.
pub enum Traces {
    None,
    /// The scenario's own counterexamples, found by checking it first.
    Model,
    /// One trace file.
    File(PathBuf),
}

/// The replays of one scenario: (a name for the run's directory, its schedule).
fn replays(
    scenario: &Scenario,
    traces: &Traces,
) -> Result<Vec<(String, crate::live::schedule::Schedule)>, String> {
    use crate::live::schedule::Schedule;
    match traces {
        Traces::None => Ok(Vec::new()),
        Traces::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
            let steps = doc
                .pointer("/trace/steps")
                .or_else(|| doc.pointer("/steps"))
                .and_then(|s| s.as_array())
                .ok_or_else(|| format!("{}: field `trace.steps`: not a trace document", path.display()))?;
            let steps =
                crate::trace::json::read_steps(steps).map_err(|e| format!("{}: {e}", path.display()))?;
            let schedule = Schedule::from_trace(&steps, scenario);
            Ok(vec![("trace".into(), schedule)])
        }
        Traces::Model => counterexample_schedules(scenario, &check::check(scenario, &Options::default())),
    }
}

/// Each counterexample of a checked scenario as a fault schedule, named by its property.
fn counterexample_schedules(
    scenario: &Scenario,
    outcome: &check::Outcome,
) -> Result<Vec<(String, crate::live::schedule::Schedule)>, String> {
    let traced = outcome.properties.iter().filter_map(|p| Some((p.name, p.trace.as_ref()?)));
    traced
        .map(|(name, trace)| {
            Ok((name.to_string(), crate::live::schedule::Schedule::from_model(trace, scenario)))
        })
        .collect()
}

fn run_live(inputs: &Inputs, options: &crate::live::LiveOptions, traces: &Traces, format: Format) -> i32 {
    let Some((files, scenarios)) = load_paths(inputs.paths, inputs.consumer_config) else {
        return EXIT_BAD_INPUT;
    };
    eprintln!("live runs write their files under {}", options.work_dir.display());
    let mut reports = Vec::new();
    let mut skipped = 0;
    for (file, scenario) in files.iter().zip(&scenarios) {
        let why = crate::live::unsupported(scenario);
        if !why.is_empty() {
            eprintln!("skipped {}: cannot run live: {}", file.display(), why.join("; "));
            skipped += 1;
            continue;
        }
        let result = replays(scenario, traces).and_then(|replays| {
            let options = crate::live::LiveOptions { replays, ..options.clone() };
            crate::live::live(scenario, &file.display().to_string(), &options)
        });
        match result {
            Ok(report) => {
                if let Format::Text = format {
                    print!("{}", report.text());
                }
                reports.push(report);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    if let Format::Json = format {
        let doc = serde_json::json!({
            "ok": reports.iter().all(|r| r.agrees_with_holds()),
            "scenarios": reports,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if reports.is_empty() && skipped > 0 {
        return EXIT_BAD_INPUT;
    }
    if reports.iter().all(|r| r.agrees_with_holds()) { EXIT_OK } else { EXIT_UNMET }
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
