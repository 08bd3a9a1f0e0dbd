//! `kafkacheck live`: the scenarios on a real broker (README, "Live").

use super::check::{Loaded, load_paths};
use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_UNMET, Format, Inputs, parse_seconds, read_consumer_config};
use crate::check::{self, OnBroker, Options};
use crate::live::client::{ClientChoice, LiveClient};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The arguments of `kafkacheck live`.
#[derive(clap::Args)]
pub(super) struct LiveArgs {
    /// Scenario files, or directories whose *.json files are run.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Your Kafka cluster (HOST:PORT,...); without it the installed Apache
    /// Kafka (scripts/install-kafka.sh) is started on a free loopback port and
    /// stopped afterwards.
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
    /// Stop a run that is still busy after this many seconds (reported
    /// incomplete); a failover's kill, election and broker restart are not counted.
    #[arg(long, value_parser = parse_seconds, default_value = "90")]
    run_timeout: Duration,
    /// Where each run's files go (sink, consumer logs); default a new temporary directory.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// How an exactly-once scenario runs: Kafka's transactions (output and
    /// offsets committed in one transaction, read back read_committed) or
    /// the external store (output and offset in one sink write).
    #[arg(long, value_enum, default_value = "transactions")]
    exactly_once: crate::live::plan::ExactlyOncePattern,
    /// The real client the consumers are: the Java client (clients/java, built by
    /// scripts/install-java-client.sh), librdkafka (rdkafka), or each in turn.
    #[arg(long, value_enum, default_value = "both")]
    client: ClientChoice,
}

/// `check --live` and its broker.
#[derive(clap::Args)]
pub(super) struct CheckLiveArgs {
    /// Replay every counterexample on a real broker (see `live`) and record
    /// whether it reproduced there.
    #[arg(long)]
    live: bool,
    /// With --live: your Kafka cluster instead of the private Apache Kafka broker.
    #[arg(long, requires = "live")]
    bootstrap: Option<String>,
    /// With --live: how an exactly-once scenario runs (see `live --exactly-once`).
    #[arg(long, value_enum, requires = "live", default_value = "transactions")]
    exactly_once: crate::live::plan::ExactlyOncePattern,
    /// With --live: the client(s) each counterexample is replayed with (see `live --client`).
    #[arg(long, value_enum, default_value = "both")]
    client: ClientChoice,
}

impl CheckLiveArgs {
    /// `check --live`: each counterexample replayed once on the broker, no seeded runs.
    pub(super) fn options(self) -> Option<crate::live::LiveOptions> {
        let CheckLiveArgs { live, bootstrap, exactly_once, client } = self;
        live.then(|| crate::live::LiveOptions {
            session_timeout_ms: crate::live::default_session_timeout_ms(bootstrap.is_some()),
            bootstrap,
            runs: 0,
            seed: crate::live::DEFAULT_SEED,
            replays: Vec::new(),
            consumer_exe: crate::live::LiveOptions::consumer_is_me(),
            clients: client.clients(),
            work_dir: std::env::temp_dir().join(format!("kafkacheck-live-{}", std::process::id())),
            run_deadline: Duration::from_secs(90),
            exactly_once,
        })
    }
}

/// `kafkacheck live`: the options from the arguments, then every scenario run.
pub(super) fn run_command(args: LiveArgs) -> i32 {
    let LiveArgs {
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
        exactly_once,
        client,
    } = args;
    let work_dir = work_dir
        .unwrap_or_else(|| std::env::temp_dir().join(format!("kafkacheck-live-{}", std::process::id())));
    let options = crate::live::LiveOptions {
        bootstrap: bootstrap.clone(),
        runs,
        seed,
        replays: Vec::new(),
        consumer_exe: crate::live::LiveOptions::consumer_is_me(),
        clients: client.clients(),
        work_dir,
        session_timeout_ms: session_timeout_ms
            .unwrap_or(crate::live::default_session_timeout_ms(bootstrap.is_some())),
        run_deadline: run_timeout,
        exactly_once,
    };
    let traces = if no_model_traces { Traces::None } else { Traces::Model };
    let traces = replay.map_or(traces, Traces::File);
    let Ok(config) = read_consumer_config(consumer_config.as_deref()) else { return EXIT_BAD_INPUT };
    let inputs = Inputs { paths: &paths, consumer_config: config.as_ref() };
    run_live(&inputs, &options, &traces, format)
}

/// Which model traces `live` replays before its seeded runs.
pub(super) enum Traces {
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
    model: &check::Outcome,
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
        Traces::Model => counterexample_schedules(scenario, model),
    }
}

/// Each counterexample of a checked scenario as a fault schedule, named by its property.
pub(super) fn counterexample_schedules(
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

/// The scenario as the model checks it for `client`'s runs: with its
/// `client` field set to that client, since the model knows where the Java
/// client's auto-commit (in poll()) and librdkafka's (a timer) differ.
pub(super) fn for_client(scenario: &Scenario, client: LiveClient) -> Scenario {
    Scenario { client: client.model_client(), ..scenario.clone() }
}

/// One scenario with one client: the model checked for that client, its
/// counterexamples (or the trace file) replayed, then the seeded runs.
fn live_one(
    file: &Path,
    scenario: &Scenario,
    client: LiveClient,
    options: &crate::live::LiveOptions,
    traces: &Traces,
    target: &mut Option<crate::live::Target>,
) -> Result<crate::live::LiveReport, String> {
    let checked = for_client(scenario, client);
    eprintln!("checking {} with \"client\": \"{}\" ...", file.display(), checked.client.name());
    let model =
        check::check(&checked, &Options { progress: Some(crate::progress::show), ..Options::default() });
    crate::progress::clear();
    let replays = replays(&checked, traces, &model)?;
    let options = crate::live::LiveOptions { replays, ..options.clone() };
    crate::live::live(&checked, &file.display().to_string(), &options, client, &model, target)
}

/// Runs every scenario live; any bad file stops the run before the broker starts (exit 2).
pub(super) fn run_live(
    inputs: &Inputs,
    options: &crate::live::LiveOptions,
    traces: &Traces,
    format: Format,
) -> i32 {
    let Some(Loaded { files, scenarios, bad }) = load_paths(inputs.paths, inputs.consumer_config) else {
        return EXIT_BAD_INPUT;
    };
    if !bad.is_empty() {
        return EXIT_BAD_INPUT;
    }
    eprintln!("live runs write their files under {}", options.work_dir.display());
    let mut reports = Vec::new();
    let mut skipped = 0;
    // One broker for every scenario, started by the first that runs.
    let mut target = None;
    for (file, scenario) in files.iter().zip(&scenarios) {
        let why = crate::live::unsupported(scenario);
        if !why.is_empty() {
            eprintln!("skipped {}: cannot run live: {}", file.display(), why.join("; "));
            skipped += 1;
            continue;
        }
        for &client in &options.clients {
            let why = crate::live::unsupported_by(scenario, client);
            if !why.is_empty() {
                eprintln!("skipped {} with {}: {}", file.display(), client.name(), why.join("; "));
                skipped += 1;
                continue;
            }
            match live_one(file, scenario, client, options, traces, &mut target) {
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
    }
    if let Format::Json = format {
        let doc = serde_json::json!({
            "ok": reports.iter().all(|r| r.agrees_with_model()),
            "scenarios": reports,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if reports.is_empty() && skipped > 0 {
        return EXIT_BAD_INPUT;
    }
    if reports.iter().all(|r| r.agrees_with_model()) { EXIT_OK } else { EXIT_UNMET }
}

/// `check --live`: every checked scenario's counterexamples replayed on one
/// broker, started by the first scenario that has any.
pub(super) fn replay_all(
    files: &[PathBuf],
    scenarios: &[Scenario],
    outcomes: &mut [check::Outcome],
    live: &crate::live::LiveOptions,
) -> Result<(), String> {
    let mut target = None;
    for ((file, s), outcome) in files.iter().zip(scenarios).zip(outcomes) {
        replay_on_broker(file, s, outcome, live, &mut target)?;
    }
    Ok(())
}

/// `check --live`: replays each counterexample of one checked scenario on the
/// broker with each client of `--client` and records in the outcome whether
/// the anomaly showed there (every client's answer, named by its client).
/// The traces are the file's own model's, whatever its `client`.
fn replay_on_broker(
    file: &Path,
    scenario: &Scenario,
    outcome: &mut check::Outcome,
    live: &crate::live::LiveOptions,
    target: &mut Option<crate::live::Target>,
) -> Result<(), String> {
    let replays = super::live::counterexample_schedules(scenario, outcome)?;
    if replays.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = replays.iter().map(|(n, _)| n.clone()).collect();
    let mut answers: Vec<(String, Vec<(LiveClient, OnBroker)>)> =
        names.iter().map(|n| (n.clone(), Vec::new())).collect();
    for &client in &live.clients {
        let why = crate::live::unsupported_by(scenario, client);
        if !why.is_empty() {
            let why = format!("the broker cannot run this scenario: {}", why.join("; "));
            answers.iter_mut().for_each(|(_, a)| a.push((client, OnBroker::NotRun(why.clone()))));
            continue;
        }
        let options = crate::live::LiveOptions { replays: replays.clone(), runs: 0, ..live.clone() };
        let report =
            crate::live::live(scenario, &file.display().to_string(), &options, client, outcome, target)?;
        for ((name, answer), run) in answers.iter_mut().zip(&report.runs) {
            let files = format!("run files in {}", run.dir.display());
            answer.push((
                client,
                match run.anomalies.iter().find(|a| a.property == name) {
                    Some(a) => OnBroker::Reproduced(format!("{}; {files}", a.evidence)),
                    None => OnBroker::NotReproduced(format!(
                        "the replayed run ({}) showed no {name} anomaly; {files}",
                        run.schedule
                    )),
                },
            ));
        }
    }
    for (name, answer) in answers {
        let Some(p) = outcome.properties.iter_mut().find(|p| p.name == name) else { continue };
        p.on_broker = combined(answer);
    }
    Ok(())
}

/// One answer from each client's replay: reproduced if every client that ran
/// reproduced it, not reproduced if one that ran did not, not run if none
/// ran; the text names each client's answer (one client's answer is kept as it is).
fn combined(mut answers: Vec<(LiveClient, OnBroker)>) -> Option<OnBroker> {
    if answers.len() == 1 {
        // One client: its answer as it was before there were two.
        return answers.pop().map(|(_, o)| o);
    }
    let said: Vec<String> = answers.iter().map(|(c, o)| format!("{}: {}", c.name(), o.detail())).collect();
    let said = said.join(" | ");
    let ran: Vec<&OnBroker> =
        answers.iter().map(|(_, o)| o).filter(|o| !matches!(o, OnBroker::NotRun(_))).collect();
    if answers.is_empty() {
        return None;
    }
    Some(if ran.is_empty() {
        OnBroker::NotRun(said)
    } else if ran.iter().all(|o| matches!(o, OnBroker::Reproduced(_))) {
        OnBroker::Reproduced(said)
    } else {
        OnBroker::NotReproduced(said)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_live_calls_a_trace_reproduced_only_if_every_client_that_ran_reproduced_it() {
        let one = combined(vec![(LiveClient::Java, OnBroker::Reproduced("dup".into()))]);
        assert_eq!(one, Some(OnBroker::Reproduced("dup".into())), "one client's answer as it is");
        let both = combined(vec![
            (LiveClient::Java, OnBroker::Reproduced("dup".into())),
            (LiveClient::Librdkafka, OnBroker::NotReproduced("none".into())),
        ]);
        assert_eq!(both, Some(OnBroker::NotReproduced("java: dup | librdkafka: none".into())));
        let sticky = combined(vec![
            (LiveClient::Java, OnBroker::Reproduced("dup".into())),
            (LiveClient::Librdkafka, OnBroker::NotRun("sticky".into())),
        ]);
        assert_eq!(sticky, Some(OnBroker::Reproduced("java: dup | librdkafka: sticky".into())));
        assert_eq!(combined(Vec::new()), None);
    }
}
