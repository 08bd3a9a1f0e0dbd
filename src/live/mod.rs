//! Live fault injection: a scenario run on a real Kafka-protocol broker with
//! real consumers (rdkafka), its faults injected as signals, and the model's
//! properties checked on what really happened (issue 8).
//!
//! A model is a claim about reality; this is where it is tested. The parts,
//! one job each: [`broker`] starts the private broker, [`cluster`] talks to
//! it (or to the user's cluster), [`plan`] is the scenario as a live run
//! carries it out (decided once), [`consumer`] is the real consumer process,
//! [`wire`] is how it reports, [`sink`] where its side effects land,
//! [`schedule`] which faults to inject, [`run`] one run, [`history`] the
//! properties on a run's record.

pub mod broker;
pub mod child;
pub mod cluster;
pub mod consumer;
pub mod history;
pub mod plan;
pub mod run;
pub mod schedule;
pub mod sink;
pub mod wire;
pub mod worker;

use crate::scenario::Scenario;
use history::LIVE_PROPERTIES;
use run::{RunResult, RunSetup};
use schedule::Schedule;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// How a live check is run.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// The user's cluster; `None` starts the installed broker on loopback.
    pub bootstrap: Option<String>,
    /// Seeded random schedules to run (run i uses seed `seed + i`).
    pub runs: u32,
    pub seed: u64,
    /// Schedules replayed from model traces, each run once before the random ones.
    pub replays: Vec<(String, Schedule)>,
    /// The `kafkacheck` binary, whose hidden `consumer` subcommand is a consumer process.
    pub consumer_exe: PathBuf,
    /// Each run's files (sink, reports, consumers' stderr) go under it.
    pub work_dir: PathBuf,
    pub session_timeout_ms: u32,
    pub run_deadline: Duration,
}

impl LiveOptions {
    /// The running `kafkacheck` binary, which runs the consumers too.
    pub fn consumer_is_me() -> PathBuf {
        std::env::current_exe().unwrap_or_default()
    }
}

/// Why a scenario's configuration cannot be run live: fields that are the
/// model's alone (an empty list: it can). [`plan::Plan::new`] decides.
pub fn unsupported(s: &Scenario) -> Vec<String> {
    plan::Plan::new(s).err().unwrap_or_default()
}

/// What a live check of one scenario found.
#[derive(Clone, Debug, Serialize)]
pub struct LiveReport {
    pub scenario: String,
    pub file: String,
    /// `nisshi 0.8.1 on 127.0.0.1:PORT (private)` or the user's bootstrap servers.
    pub broker: String,
    pub runs: Vec<RunResult>,
    pub properties: Vec<LiveProperty>,
}

/// One property over all runs.
#[derive(Clone, Debug, Serialize)]
pub struct LiveProperty {
    pub property: &'static str,
    /// The model's expected verdict from the scenario file.
    pub expected: &'static str,
    /// Runs that showed an anomaly of this property.
    pub reproduced_in: Vec<u32>,
    /// The first anomaly's evidence.
    pub evidence: Option<String>,
}

impl LiveProperty {
    /// A property the model says holds, shown violated by a real run.
    pub fn contradicts_model(&self) -> bool {
        self.expected == "holds" && !self.reproduced_in.is_empty()
    }
}

/// Runs every replayed and seeded schedule of a scenario and gathers them.
pub fn live(scenario: &Scenario, file: &str, options: &LiveOptions) -> Result<LiveReport, String> {
    let plan =
        plan::Plan::new(scenario).map_err(|why| format!("{file}: cannot run live: {}", why.join("; ")))?;
    if !options.consumer_exe.is_file() {
        return Err(format!(
            "the kafkacheck binary {} that runs the consumers is missing",
            options.consumer_exe.display()
        ));
    }
    let private;
    let (bootstrap, broker, replication) = match &options.bootstrap {
        Some(b) => (b.clone(), format!("{b} (your cluster)"), None),
        None => {
            let binary = broker::locate()?;
            std::fs::create_dir_all(&options.work_dir)
                .map_err(|e| format!("{}: {e}", options.work_dir.display()))?;
            let name =
                options.work_dir.file_name().map_or("live".into(), |n| n.to_string_lossy().into_owned());
            let log = options.work_dir.join("broker.log");
            private = broker::Broker::start(&binary, &log, &format!("kafkacheck-{name}"))?;
            let addr = private.addr.to_string();
            (addr.clone(), format!("nisshi on {addr} (private, pid {})", private.pid()), Some(1))
        }
    };
    let cluster = cluster::Cluster::connect(&bootstrap)?;
    let setup = RunSetup {
        plan: &plan,
        cluster: &cluster,
        bootstrap: &bootstrap,
        consumer_exe: &options.consumer_exe,
        session_timeout_ms: options.session_timeout_ms,
        deadline: options.run_deadline,
        replication,
        clean_up: options.bootstrap.is_some(),
    };
    let stem = std::path::Path::new(file)
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    let mut runs = Vec::new();
    let total = options.replays.len() as u32 + options.runs;
    for (i, (name, schedule)) in options.replays.iter().enumerate() {
        let dir = options.work_dir.join(format!("{stem}.replay-{name}"));
        eprintln!("live {stem}: replay {} of {total}: {schedule}", i + 1);
        runs.push(setup.run(i as u32, None, schedule, &dir)?);
    }
    for k in 0..options.runs {
        let seed = options.seed.wrapping_add(u64::from(k));
        let schedule = Schedule::random(&plan, seed);
        let run = options.replays.len() as u32 + k;
        eprintln!("live {stem}: run {} of {total}, seed {seed}: {schedule}", run + 1);
        runs.push(setup.run(
            run,
            Some(seed),
            &schedule,
            &options.work_dir.join(format!("{stem}.seed-{seed}")),
        )?);
    }
    let properties = LIVE_PROPERTIES
        .iter()
        .map(|&property| {
            let hits: Vec<&RunResult> =
                runs.iter().filter(|r| r.anomalies.iter().any(|a| a.property == property)).collect();
            LiveProperty {
                property,
                expected: scenario.expected(property).as_str(),
                reproduced_in: hits.iter().map(|r| r.run).collect(),
                evidence: hits.first().and_then(|r| r.anomalies.iter().find(|a| a.property == property)).map(
                    |a| {
                        let how = r_label(hits[0]);
                        format!("{} ({how})", a.evidence)
                    },
                ),
            }
        })
        .collect();
    Ok(LiveReport { scenario: scenario.name.clone(), file: file.to_string(), broker, runs, properties })
}

/// How to name a run so that it can be repeated.
fn r_label(r: &RunResult) -> String {
    match r.seed {
        Some(seed) => format!("run {}, repeat: --runs 1 --seed {seed} --no-model-traces", r.run + 1),
        None => format!("run {}, a replayed trace", r.run + 1),
    }
}

impl LiveReport {
    /// Every property the model says holds showed no anomaly.
    pub fn agrees_with_holds(&self) -> bool {
        !self.properties.iter().any(LiveProperty::contradicts_model)
    }

    pub fn text(&self) -> String {
        let mut out = format!("{}\n  {}\n  broker: {}\n", self.file, self.scenario, self.broker);
        for r in &self.runs {
            let how = r_label(r);
            let status = if r.complete { "complete" } else { "INCOMPLETE" };
            out += &format!("  {how}: {} ms, {status}; schedule: {}\n", r.millis, r.schedule);
            for f in &r.injected {
                out += &format!("      injected: {f}\n");
            }
            for a in &r.anomalies {
                out += &format!("      {}: {}\n", a.property, a.evidence);
            }
            for n in &r.notes {
                out += &format!("      note: {n}\n");
            }
            out += &format!("      files: {}\n", r.dir.display());
        }
        out += &format!("  {:<22} {:<10} live ({} runs)\n", "property", "model", self.runs.len());
        for p in &self.properties {
            let live = if p.reproduced_in.is_empty() {
                "no anomaly".to_string()
            } else {
                let runs: Vec<String> = p.reproduced_in.iter().map(|r| (r + 1).to_string()).collect();
                format!("reproduced in run {}", runs.join(", "))
            };
            let mark = if p.contradicts_model() { "   <- contradicts the model" } else { "" };
            out += &format!("  {:<22} {:<10} {live}{mark}\n", p.property, p.expected);
        }
        out
    }
}

/// The consumers' default `session.timeout.ms`: short on the private broker
/// (a pause costs little), Kafka's minimum (`group.min.session.timeout.ms`)
/// on a user's cluster, which refuses shorter ones.
pub fn default_session_timeout_ms(own_cluster: bool) -> u32 {
    if own_cluster { 6000 } else { 2000 }
}

/// The default seed of `--seed`.
pub const DEFAULT_SEED: u64 = 1;
