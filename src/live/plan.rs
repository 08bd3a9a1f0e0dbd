//! The plan of a live check: the scenario as the harness and its consumer
//! processes carry it out, decided once from the [`Scenario`] by
//! [`Plan::new`], so that no other part of `src/live/` reads a scenario knob
//! and re-derives what it means.
//!
//! The harness holds the [`Plan`]; each consumer process gets its share as
//! one [`ConsumerPlan`], serialized to JSON as the only argument of the
//! hidden `kafkacheck consumer` subcommand ([`ConsumerPlan::to_json`],
//! [`ConsumerPlan::from_json`]).

use super::broker::kraft::ClusterSpec;
use super::wire::{Halt, Point};
use crate::client::assignment;
use crate::scenario::{
    Assignment, Assignor, AutoProcessing, CommitMode, CommitOffset, Offset, Partition, Scenario, Strategy,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// `auto.commit.interval.ms` of auto-committing consumers: short, so that a
/// run sees several background commits.
const AUTO_COMMIT_MS: u64 = 250;
/// How long a slow worker thread takes over each record: long enough for an
/// auto-commit to pass records it still has queued.
const SLOW_WORKER_EACH_MS: u64 = 500;

/// A scenario as a live run carries it out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub consumers: u8,
    pub partitions: Partition,
    /// Records per partition in the topic before the consumers start.
    pub messages: Offset,
    /// Records per partition a producer appends while the consumers run.
    pub produce: Offset,
    /// Crashes a seeded schedule injects.
    pub crashes: u8,
    /// Pauses past the session timeout a seeded schedule injects: only where
    /// a group can evict the paused member and move on (group assignment).
    pub pauses: u8,
    pub max_poll_records: u8,
    pub membership: Membership,
    pub delivery: Delivery,
    /// The private broker a run needs: one node, or a cluster replicating
    /// `__consumer_offsets` for coordinator failovers ([`ClusterSpec`]).
    pub cluster: ClusterSpec,
}

/// How a consumer gets its partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Membership {
    /// `assign()` of the partitions [`assignment::partitions_of`] gives it.
    Manual,
    /// `subscribe()`: the group's `partition.assignment.strategy` deals the
    /// partitions out and rebalances them.
    Group {
        assignor: Assignor,
        /// Commit processed offsets in the revocation callback before giving partitions up.
        commit_on_revoke: bool,
    },
}

/// The delivery strategy and who commits, as one decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "strategy")]
pub enum Delivery {
    /// receive → commitSync(batch end) → process each record.
    AtMostOnce,
    /// receive → process each record → commitSync of `offset`, every `every`
    /// batches (and when idle).
    AtLeastOnce { offset: CommitOffset, every: u8 },
    /// At-least-once under `enable.auto.commit`: librdkafka's timer commits
    /// the offsets stored as poll() returned records; the poll loop never commits.
    AutoCommit {
        interval_ms: u64,
        /// `commit.processing: worker`: a worker thread processes the
        /// records, taking this long over each.
        worker_each_ms: Option<u64>,
    },
    /// receive → output and offset in one write to the sink (the external
    /// store), which a restarted consumer resumes from.
    ExactlyOnce,
    /// Kafka's own exactly-once (read-process-write, KIP-98 and KIP-447):
    /// per batch one transaction that produces each record's output to
    /// [`RunPlan::output_topic`] and commits the batch's offset with
    /// `send_offsets_to_transaction` and the consumer's group metadata; read
    /// back with `isolation.level=read_committed` ([`super::output`]).
    Transactional,
}

/// Which pattern a live exactly-once run uses (`--exactly-once`): Kafka's
/// transactions, or the external store (the sink holds output and offset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ExactlyOncePattern {
    /// [`Delivery::Transactional`]: Kafka's own mechanism.
    #[default]
    Transactions,
    /// [`Delivery::ExactlyOnce`].
    ExternalStore,
}

impl Delivery {
    /// The scenario's strategy and commit mode; `Err` for `commit.mode async`,
    /// which is not run live. A worker of `commit.processing: worker` starts
    /// fast (it drains its queue before the next commit); [`Plan::consumer`]
    /// slows it where the schedule says.
    pub fn of(s: &Scenario) -> Result<Delivery, String> {
        Delivery::with(s, ExactlyOncePattern::default())
    }

    /// [`Delivery::of`], with `exactly-once` carried out by `pattern`.
    pub fn with(s: &Scenario, pattern: ExactlyOncePattern) -> Result<Delivery, String> {
        Ok(match (s.strategy, s.commit.mode) {
            (_, CommitMode::Async) => {
                return Err("commit.mode async: its model files need lost messages; \
                            only commitSync and auto-commit are run live"
                    .into());
            }
            (Strategy::ExactlyOnce, _) => match pattern {
                ExactlyOncePattern::Transactions => Delivery::Transactional,
                ExactlyOncePattern::ExternalStore => Delivery::ExactlyOnce,
            },
            (_, CommitMode::Auto) => Delivery::AutoCommit {
                interval_ms: AUTO_COMMIT_MS,
                worker_each_ms: (s.commit.processing == AutoProcessing::Worker).then_some(0),
            },
            (Strategy::AtMostOnce, CommitMode::Sync) => Delivery::AtMostOnce,
            (Strategy::AtLeastOnce, CommitMode::Sync) => {
                Delivery::AtLeastOnce { offset: s.commit_offset, every: s.commit_every.max(1) }
            }
        })
    }

    /// The auto-commit interval, when librdkafka's timer commits.
    pub fn auto_commit(self) -> Option<Duration> {
        match self {
            Delivery::AutoCommit { interval_ms, .. } => Some(Duration::from_millis(interval_ms)),
            Delivery::AtMostOnce
            | Delivery::AtLeastOnce { .. }
            | Delivery::ExactlyOnce
            | Delivery::Transactional => None,
        }
    }

    /// How a run's result names it: the `strategy` of its JSON.
    pub fn name(self) -> &'static str {
        match self {
            Delivery::AtMostOnce => "at-most-once",
            Delivery::AtLeastOnce { .. } => "at-least-once",
            Delivery::AutoCommit { .. } => "auto-commit",
            Delivery::ExactlyOnce => "exactly-once",
            Delivery::Transactional => "transactional",
        }
    }

    /// Records go to a worker thread.
    pub fn has_worker(self) -> bool {
        matches!(self, Delivery::AutoCommit { worker_each_ms: Some(_), .. })
    }

    /// The steps of the poll loop a fault can follow: a commit is one only
    /// where the poll loop calls commitSync() or commits a transaction.
    pub fn points(self) -> &'static [Point] {
        match self {
            Delivery::AtMostOnce | Delivery::AtLeastOnce { .. } | Delivery::Transactional => &Point::ALL,
            Delivery::AutoCommit { .. } | Delivery::ExactlyOnce => &[Point::Receive, Point::Process],
        }
    }

    /// The committed offsets are the sink's, not Kafka's.
    pub fn commits_to_sink(self) -> bool {
        self == Delivery::ExactlyOnce
    }
}

impl Plan {
    /// The plan of a scenario; `Err` with every reason a scenario's
    /// configuration cannot be run live (fields that are the model's alone).
    pub fn new(s: &Scenario) -> Result<Plan, Vec<String>> {
        Plan::with(s, ExactlyOncePattern::default())
    }

    /// [`Plan::new`], with `exactly-once` carried out by `pattern` (`--exactly-once`).
    pub fn with(s: &Scenario, pattern: ExactlyOncePattern) -> Result<Plan, Vec<String>> {
        let d = Scenario::default();
        let delivery = Delivery::with(s, pattern);
        let no = |cond: bool, what: &str| cond.then(|| what.to_string());
        let why: Vec<String> = [
            no(s.workers > 1, "workers: parallel processing runs in the model and in loom (tests/loom_tracker.rs)"),
            delivery.as_ref().err().cloned(),
            no(s.network != d.network, "network: the harness injects process faults, not network faults"),
            no(s.offsets.lifecycle(), "offsets: retention and reset need the broker's clock"),
            no(
                s.stores_after_processing(),
                "commit.store after-processing: the live consumer keeps librdkafka's enable.auto.offset.store=true",
            ),
            no(
                s.group.fencing != d.group.fencing,
                "fencing none: a Kafka broker always fences stale generations; unfenced clients cannot be made",
            ),
            no(
                s.group.on_commit_error != d.group.on_commit_error,
                "on_commit_error: the harness's consumer logs a failed commit and polls on (skip) only",
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        let (Ok(delivery), true) = (delivery, why.is_empty()) else { return Err(why) };
        let membership = match s.group.assignment {
            Assignment::Manual => Membership::Manual,
            Assignment::Group => {
                Membership::Group { assignor: s.group.assignor, commit_on_revoke: s.group.commit_on_revoke }
            }
        };
        let pauses = match membership {
            Membership::Group { .. } => s.group.pauses,
            Membership::Manual => 0,
        };
        Ok(Plan {
            consumers: s.consumers,
            partitions: s.partitions,
            messages: s.messages,
            produce: s.produce,
            crashes: s.crashes,
            pauses,
            max_poll_records: s.max_poll_records,
            membership,
            delivery,
            cluster: ClusterSpec::of(&s.offsets_topic),
        })
    }

    /// The plan of one start (`incarnation`, 1 for the first) of consumer
    /// `consumer` in a run; `slow_worker` slows a worker thread past the
    /// auto-commit timer ([`super::schedule::Schedule::slow_worker`]).
    pub fn consumer(
        &self,
        run: &RunPlan,
        consumer: u8,
        incarnation: u32,
        halts: Vec<Halt>,
        slow_worker: bool,
    ) -> ConsumerPlan {
        let partitions = match self.membership {
            Membership::Manual => Partitions::Assign(
                assignment::partitions_of(consumer, self.consumers, self.partitions)
                    .into_iter()
                    .map(i32::from)
                    .collect(),
            ),
            Membership::Group { assignor, commit_on_revoke } => {
                Partitions::Subscribe { assignor, commit_on_revoke }
            }
        };
        let delivery = match self.delivery {
            Delivery::AutoCommit { interval_ms, worker_each_ms: Some(_) } if slow_worker => {
                Delivery::AutoCommit { interval_ms, worker_each_ms: Some(SLOW_WORKER_EACH_MS) }
            }
            d => d,
        };
        ConsumerPlan {
            run: run.clone(),
            consumer: usize::from(consumer),
            incarnation,
            partitions,
            max_poll_records: usize::from(self.max_poll_records).max(1),
            delivery,
            halts,
        }
    }
}

/// What one run gives every consumer process it starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    pub bootstrap: String,
    pub topic: String,
    /// Where a transactional consumer produces its outputs (`{topic}-out`,
    /// as many partitions as `topic`); set for every run, used by
    /// [`Delivery::Transactional`] only.
    pub output_topic: String,
    pub group: String,
    /// The file the side effects are appended to ([`super::sink`]).
    pub sink: PathBuf,
    pub session_timeout_ms: u32,
}

/// Which partitions a consumer process reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Partitions {
    /// `assign()` of these.
    Assign(Vec<i32>),
    /// `subscribe()` to the topic, with this assignor.
    Subscribe { assignor: Assignor, commit_on_revoke: bool },
}

/// Everything one consumer process does: the one argument of `kafkacheck consumer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerPlan {
    pub run: RunPlan,
    /// This consumer's number, 0-based.
    pub consumer: usize,
    /// Which start of this consumer this process is (1 for the first).
    pub incarnation: u32,
    pub partitions: Partitions,
    /// The most records of one partition a batch holds, as one Fetch in the model returns.
    pub max_poll_records: usize,
    pub delivery: Delivery,
    /// Halt after these steps and wait for `go` on stdin.
    pub halts: Vec<Halt>,
}

impl ConsumerPlan {
    pub fn to_json(&self) -> String {
        // A plan holds only strings, numbers and enums: it always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<ConsumerPlan, String> {
        serde_json::from_str(text).map_err(|e| format!("not a consumer plan: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{CommitConfig, GroupConfig, NetworkConfig, NetworkKind};

    fn run_plan() -> RunPlan {
        RunPlan {
            bootstrap: "127.0.0.1:9092".into(),
            topic: "t".into(),
            output_topic: "t-out".into(),
            group: "t-group".into(),
            sink: "/tmp/run/sink.log".into(),
            session_timeout_ms: 2000,
        }
    }

    fn auto(processing: AutoProcessing) -> Scenario {
        let commit = CommitConfig { mode: CommitMode::Auto, processing, ..CommitConfig::default() };
        Scenario { commit, ..Scenario::default() }
    }

    #[test]
    fn a_plan_survives_json_as_the_consumer_reads_it() {
        let group = GroupConfig {
            assignment: Assignment::Group,
            assignor: Assignor::CooperativeSticky,
            commit_on_revoke: true,
            pauses: 1,
            ..GroupConfig::default()
        };
        let scenarios = [
            Scenario { partitions: 3, consumers: 2, commit_every: 2, ..Scenario::default() },
            Scenario { commit_offset: CommitOffset::Last, group, ..Scenario::default() },
            Scenario { strategy: Strategy::AtMostOnce, ..Scenario::default() },
            Scenario { strategy: Strategy::ExactlyOnce, ..Scenario::default() },
            auto(AutoProcessing::InPoll),
            auto(AutoProcessing::Worker),
        ];
        for s in &scenarios {
            let plan = Plan::new(s).unwrap();
            let halts = vec!["receive:2".parse().unwrap(), "commit:0".parse().unwrap()];
            let mine = plan.consumer(&run_plan(), 1.min(s.consumers - 1), 2, halts, true);
            let json = mine.to_json();
            assert_eq!(ConsumerPlan::from_json(&json).unwrap(), mine, "{json}");
            let whole: Plan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
            assert_eq!(whole, plan);
        }
    }

    #[test]
    fn the_plan_states_each_decision_of_the_scenario() {
        let s = Scenario { partitions: 5, consumers: 2, commit_every: 3, crashes: 2, ..Scenario::default() };
        let plan = Plan::new(&s).unwrap();
        assert_eq!(plan.delivery, Delivery::AtLeastOnce { offset: CommitOffset::Next, every: 3 });
        let second = plan.consumer(&run_plan(), 1, 1, Vec::new(), false);
        assert_eq!(second.partitions, Partitions::Assign(vec![1, 3]), "p mod C");
        let group = GroupConfig { assignment: Assignment::Group, pauses: 2, ..GroupConfig::default() };
        let grouped = Plan::new(&Scenario { group, ..s.clone() }).unwrap();
        assert_eq!(grouped.pauses, 2);
        assert_eq!(
            Plan::new(&Scenario { group: GroupConfig { pauses: 2, ..GroupConfig::default() }, ..s })
                .unwrap()
                .pauses,
            0,
            "no group to move on"
        );
        let worker = Plan::new(&auto(AutoProcessing::Worker)).unwrap();
        let at = |slow| worker.consumer(&run_plan(), 0, 1, Vec::new(), slow).delivery;
        assert_eq!(at(false), Delivery::AutoCommit { interval_ms: AUTO_COMMIT_MS, worker_each_ms: Some(0) });
        assert_eq!(
            at(true),
            Delivery::AutoCommit { interval_ms: AUTO_COMMIT_MS, worker_each_ms: Some(SLOW_WORKER_EACH_MS) }
        );
        let in_poll = Plan::new(&auto(AutoProcessing::InPoll)).unwrap();
        assert_eq!(
            in_poll.consumer(&run_plan(), 0, 1, Vec::new(), true).delivery,
            in_poll.delivery,
            "no worker to slow"
        );
        assert_eq!(in_poll.delivery.points(), &[Point::Receive, Point::Process]);
        assert_eq!(Delivery::of(&Scenario::default()).unwrap().points(), &Point::ALL);
    }

    #[test]
    fn exactly_once_runs_as_kafka_transactions_unless_the_external_store_is_asked_for() {
        let s = Scenario { strategy: Strategy::ExactlyOnce, ..Scenario::default() };
        let json = |d: &Delivery| serde_json::to_string(d).unwrap();
        assert_eq!(json(&Delivery::Transactional), r#"{"strategy":"transactional"}"#);
        assert_eq!(json(&Delivery::ExactlyOnce), r#"{"strategy":"exactly-once"}"#, "unchanged");
        let read: Delivery = serde_json::from_str(r#"{"strategy":"transactional"}"#).unwrap();
        assert_eq!(read, Delivery::Transactional);
        let transactions = Plan::new(&s).unwrap();
        assert_eq!(transactions.delivery, Delivery::Transactional, "Kafka's own mechanism by default");
        let store = Plan::with(&s, ExactlyOncePattern::ExternalStore).unwrap();
        assert_eq!(store.delivery, Delivery::ExactlyOnce);
        assert!(store.delivery.commits_to_sink() && !transactions.delivery.commits_to_sink());
        assert_eq!(transactions.delivery.points(), &Point::ALL, "commit_transaction is a commit step");
        assert_eq!(store.delivery.points(), &[Point::Receive, Point::Process]);
        let mine = transactions.consumer(&run_plan(), 0, 1, Vec::new(), false).to_json();
        assert!(mine.contains(r#""output_topic":"t-out""#), "{mine}");
        assert!(mine.contains(r#""delivery":{"strategy":"transactional"}"#), "{mine}");
        assert_eq!(
            Plan::with(&Scenario::default(), ExactlyOncePattern::ExternalStore),
            Plan::new(&Scenario::default())
        );
    }

    #[test]
    fn a_scenario_live_cannot_run_gets_every_reason() {
        let commit = CommitConfig { mode: CommitMode::Async, ..CommitConfig::default() };
        let network = NetworkConfig { kind: NetworkKind::Lossy, ..NetworkConfig::default() };
        let why = Plan::new(&Scenario { workers: 2, commit, network, ..Scenario::default() }).unwrap_err();
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[0].starts_with("workers:") && why[1].starts_with("commit.mode async:"), "{why:?}");
        assert!(why[2].starts_with("network:"), "{why:?}");
    }

    #[test]
    fn a_broken_plan_is_refused_with_the_reason() {
        let e = ConsumerPlan::from_json("{\"run\": 1}").unwrap_err();
        assert!(e.starts_with("not a consumer plan:"), "{e}");
    }
}
