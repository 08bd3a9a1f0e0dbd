//! Live fault injection: a scenario run on a real Apache Kafka broker with
//! real consumers (rdkafka), its faults injected as signals, and the model's
//! properties checked on what really happened (issue 8).
//!
//! A model is a claim about reality; this is where it is tested. The parts,
//! one job each: [`broker`] starts the private broker, [`cluster`] talks to
//! it (or to the user's cluster), [`plan`] is the scenario as a live run
//! carries it out (decided once), [`client`] which real client the consumers
//! are (librdkafka's [`consumer`] or the Java program in `clients/java`),
//! [`consumer`] is the rdkafka consumer process,
//! [`wire`] is how it reports, [`sink`] where its side effects land,
//! [`schedule`] which faults to inject, [`run`] one run, [`history`] the
//! properties on a run's record.

pub mod broker;
pub mod child;
pub mod client;
pub mod cluster;
pub mod consumer;
pub mod failover;
pub mod history;
pub mod output;
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
    /// The `kafkacheck` binary, whose hidden `consumer` subcommand is librdkafka's consumer process.
    pub consumer_exe: PathBuf,
    /// The clients each scenario is run with (`--client`), one report each.
    pub clients: Vec<client::LiveClient>,
    /// Each run's files (sink, reports, consumers' stderr) go under it.
    pub work_dir: PathBuf,
    pub session_timeout_ms: u32,
    pub run_deadline: Duration,
    /// How an `exactly-once` scenario is run (`--exactly-once`).
    pub exactly_once: plan::ExactlyOncePattern,
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

/// Why a scenario cannot be run live with `client`: [`unsupported`], then
/// what that client lacks ([`client::LiveClient::refuses`]).
pub fn unsupported_by(s: &Scenario, client: client::LiveClient) -> Vec<String> {
    match plan::Plan::new(s) {
        Ok(plan) => client.refuses(&plan).into_iter().collect(),
        Err(why) => why,
    }
}

/// What a live check of one scenario found.
#[derive(Clone, Debug, Serialize)]
pub struct LiveReport {
    pub scenario: String,
    pub file: String,
    /// The client the consumers were: `"java"` or `"librdkafka"`.
    pub client: client::LiveClient,
    /// The scenario's `client` the model column was checked with: this
    /// client's, since the model knows where the two clients differ.
    pub model_client: &'static str,
    /// `Apache Kafka 4.4.0 on 127.0.0.1:PORT (private, ...)` or the user's bootstrap servers.
    pub broker: String,
    pub runs: Vec<RunResult>,
    pub properties: Vec<LiveProperty>,
}

/// One property over all runs.
#[derive(Clone, Debug, Serialize)]
pub struct LiveProperty {
    pub property: &'static str,
    /// The scenario file's expected verdict (its `expect`, default `holds`).
    pub expected: &'static str,
    /// The model's verdict: the scenario checked as `check` checks it, with
    /// `client` set to the run's client ([`LiveReport::model_client`]).
    pub model: &'static str,
    /// Runs that showed an anomaly of this property.
    pub reproduced_in: Vec<u32>,
    /// The first anomaly's evidence.
    pub evidence: Option<String>,
}

impl LiveProperty {
    /// The runs contradict the model: an anomaly of a property the model
    /// proves holds, or none of a property it finds violated (its
    /// counterexample, replayed first unless `--no-model-traces`, did not
    /// reproduce, nor did any seeded run). An `unknown` verdict claims nothing.
    pub fn contradicts_model(&self) -> bool {
        match self.model {
            "holds" => !self.reproduced_in.is_empty(),
            "violated" => self.reproduced_in.is_empty(),
            _ => false,
        }
    }
}

/// The clusters the runs of one command share: each private one started by
/// the first scenario that needs it (one combined node, or a
/// [`broker::kraft::KraftCluster`] per [`broker::kraft::ClusterSpec`], the
/// last one only: another spec stops it) and stopped when this is dropped,
/// or the user's (`--bootstrap`). Runs never
/// share a topic or a group, so sharing a broker between scenarios is as
/// sharing it between one scenario's runs.
#[derive(Default)]
pub struct Target {
    opened: Vec<Opened>,
}

/// One cluster of a [`Target`].
struct Opened {
    /// `None`: the single node, or the user's cluster.
    spec: Option<broker::kraft::ClusterSpec>,
    // Dropped in this order: the admin client before the broker it talks to.
    cluster: cluster::Cluster,
    /// Held to be dropped last (that stops the private broker), and, for a
    /// cluster, to inject failovers into.
    private: Private,
    bootstrap: String,
    /// How the reports name it.
    name: String,
    /// Where each run's topics go ([`RunSetup::placement`]).
    placement: Option<cluster::Placement>,
}

enum Private {
    User,
    Node(#[allow(dead_code)] broker::Broker),
    Cluster(std::cell::RefCell<broker::kraft::KraftCluster>),
}

impl Target {
    /// The cluster `plan` runs on, started now if no earlier scenario needed the same.
    fn open(&mut self, options: &LiveOptions, plan: &plan::Plan) -> Result<&Opened, String> {
        let spec = (!plan.cluster.single_node()).then_some(plan.cluster);
        if options.bootstrap.is_some() && plan.cluster.failovers > 0 {
            return Err("coordinator_failovers: the harness fails over only its private cluster's brokers, \
                        not those of --bootstrap"
                .into());
        }
        let key = if options.bootstrap.is_some() { None } else { spec };
        if let Some(i) = self.opened.iter().position(|o| o.spec == key) {
            return Ok(&self.opened[i]);
        }
        // One private cluster at a time (four JVMs each): a scenario that
        // needs another stops the last one first. The single node stays.
        self.opened.retain(|o| o.spec.is_none());
        let opened = match (&options.bootstrap, spec) {
            (Some(b), _) => {
                let cluster = cluster::Cluster::connect(b)?;
                let name = format!("{b} (your cluster)");
                Opened {
                    spec: None,
                    cluster,
                    private: Private::User,
                    bootstrap: b.clone(),
                    name,
                    placement: Some(cluster::Placement::Default),
                }
            }
            (None, None) => Self::open_node(options)?,
            (None, Some(spec)) => Self::open_cluster(options, spec)?,
        };
        self.opened.push(opened);
        Ok(self.opened.last().unwrap_or_else(|| unreachable!("pushed")))
    }

    fn open_node(options: &LiveOptions) -> Result<Opened, String> {
        let install = broker::locate()?;
        let dir = options.work_dir.join("broker");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        eprintln!("live: starting Apache Kafka {} in {}", install.version, dir.display());
        let private = broker::Broker::start(&install, &dir)?;
        eprintln!("live: {}", private.describe());
        let bootstrap = private.addr.to_string();
        let cluster = cluster::Cluster::connect(&bootstrap)?;
        // Kafka creates __consumer_offsets at the first FindCoordinator; an
        // OffsetFetch does it now, so that the first run's consumers do not
        // spend their first seconds waiting for a coordinator.
        let _ = cluster.committed("kafkacheck-warm-up", "kafkacheck-warm-up", 1);
        let name = private.describe();
        Ok(Opened {
            spec: None,
            cluster,
            private: Private::Node(private),
            bootstrap,
            name,
            placement: Some(cluster::Placement::Factor(1)),
        })
    }

    fn open_cluster(options: &LiveOptions, spec: broker::kraft::ClusterSpec) -> Result<Opened, String> {
        let install = broker::locate_version(spec.version())?;
        let dir = options.work_dir.join(format!(
            "cluster-{}-r{}-{}{}",
            install.version,
            spec.replicas,
            if spec.acks_leader { "acks-leader" } else { "acks-all" },
            if spec.unclean_election { "-unclean" } else { "" }
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        eprintln!("live: starting an Apache Kafka {} cluster in {}", install.version, dir.display());
        let private = broker::kraft::KraftCluster::start(&install, &dir, spec)?;
        eprintln!("live: {}", private.describe());
        let bootstrap = private.bootstrap.clone();
        let cluster = cluster::Cluster::connect(&bootstrap)?;
        failover::await_offsets_topic(&cluster, spec.replicas)?;
        let name = private.describe();
        let private = Private::Cluster(std::cell::RefCell::new(private));
        Ok(Opened { spec: Some(spec), cluster, private, bootstrap, name, placement: None })
    }
}

/// Runs every replayed and seeded schedule of a scenario with
/// `client`'s consumers and gathers them, beside `model`, the
/// outcome of checking the scenario with that client as its `client`. The
/// first call opens `target` (see [`Target`]); later ones reuse it.
pub fn live(
    scenario: &Scenario,
    file: &str,
    options: &LiveOptions,
    client: client::LiveClient,
    model: &crate::check::Outcome,
    target: &mut Option<Target>,
) -> Result<LiveReport, String> {
    let plan = plan::Plan::with(scenario, options.exactly_once)
        .map_err(|why| format!("{file}: cannot run live: {}", why.join("; ")))?;
    if let Some(why) = client.refuses(&plan) {
        return Err(format!("{file}: cannot run live with {}: {why}", client.name()));
    }
    let launcher = client.locate(&options.consumer_exe)?;
    let target = target.get_or_insert_with(Target::default).open(options, &plan)?;
    let (bootstrap, broker, placement) = (&target.bootstrap, target.name.clone(), target.placement.clone());
    let cluster = &target.cluster;
    let nodes = match &target.private {
        Private::Cluster(nodes) => Some(nodes),
        Private::User | Private::Node(_) => None,
    };
    let setup = RunSetup {
        nodes,
        plan: &plan,
        cluster,
        bootstrap,
        launcher: &launcher,
        session_timeout_ms: options.session_timeout_ms,
        deadline: options.run_deadline,
        placement,
        clean_up: options.bootstrap.is_some(),
    };
    let stem = std::path::Path::new(file)
        .file_stem()
        .map_or("scenario".into(), |s| format!("{}.{}", s.to_string_lossy(), client.name()));
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
                model: model
                    .properties
                    .iter()
                    .find(|p| p.name == property)
                    .map_or("unknown", |p| p.verdict.as_str()),
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
    Ok(LiveReport {
        scenario: scenario.name.clone(),
        file: file.to_string(),
        client,
        model_client: client.model_client().name(),
        broker,
        runs,
        properties,
    })
}

/// How to name a run so that it can be repeated.
fn r_label(r: &RunResult) -> String {
    match r.seed {
        Some(seed) => format!("run {}, repeat: --runs 1 --seed {seed} --no-model-traces", r.run + 1),
        None => format!("run {}, a replayed trace", r.run + 1),
    }
}

impl LiveReport {
    /// No property's runs contradict the model's verdict.
    pub fn agrees_with_model(&self) -> bool {
        !self.properties.iter().any(LiveProperty::contradicts_model)
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "{} (client {})\n  {}\n  broker: {}\n  model: checked with \"client\": \"{}\"\n",
            self.file,
            self.client.name(),
            self.scenario,
            self.broker,
            self.model_client
        );
        for r in &self.runs {
            let how = r_label(r);
            let status = if r.complete { "complete" } else { "INCOMPLETE" };
            out += &format!("  {how}: {} ms, {status}; schedule: {}\n", r.millis, r.schedule);
            out += &format!("      delivery: {}\n", r.delivery);
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
            let expect = if p.expected == p.model {
                String::new()
            } else {
                format!(" (the file expects {})", p.expected)
            };
            out += &format!("  {:<22} {:<10} {live}{mark}{expect}\n", p.property, p.model);
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

#[cfg(test)]
mod tests {
    use super::LiveProperty;

    fn property(model: &'static str, reproduced_in: Vec<u32>) -> LiveProperty {
        LiveProperty { property: "no-loss", expected: "holds", model, reproduced_in, evidence: None }
    }

    #[test]
    fn the_runs_contradict_the_models_verdict_not_the_files_expectation() {
        assert!(property("holds", vec![2]).contradicts_model());
        assert!(!property("holds", vec![]).contradicts_model());
        // A counterexample that no run reproduced contradicts the model too.
        assert!(property("violated", vec![]).contradicts_model());
        assert!(!property("violated", vec![0]).contradicts_model());
        assert!(!property("unknown", vec![]).contradicts_model());
        assert!(!property("unknown", vec![1]).contradicts_model());
    }
}
