//! Scenario files (`models/*.json`, the "Scenario files" section of README.md):
//! the one typed, nested scenario the checker and the live harness read.
//!
//! A scenario is data a user writes to gate a configuration, so every way it
//! can be wrong must come back as a [`ScenarioError`] that names the file, the
//! field and, for syntax errors, the line and column, and lists every
//! conflict in the file, not only the first. Nothing here panics on any
//! input. The parts:
//!
//! - `file.rs`: the file as written (serde structs with the exact field
//!   names, line:column errors) and its one conversion into [`Scenario`],
//!   which checks each number's range;
//! - `fields.rs`: every unknown field at once (against the names serde's
//!   derive gives each struct), each with the field meant;
//! - `hints.rs`: "did you mean" by edit distance, and why text that is not
//!   JSON (YAML, comments) was not read;
//! - `listing.rs`: which files of a directory are scenarios ([`list_dir`]);
//! - `rules.rs`: every rule between fields, one row each in [`rules::RULES`];
//! - `error.rs`: [`ScenarioError`] and its [`Problem`]s;
//! - `consumer_config.rs`: Kafka's own consumer config keys (the
//!   `consumer_config` object, `check --consumer-config FILE.properties`),
//!   written onto the fields before they are validated;
//! - `notes.rs`: what `check` says about a valid scenario whose knob does
//!   nothing or whose scope is too small, one row each in [`notes::NOTES`];
//! - this file: [`Scenario`], a struct per mechanism ([`CommitConfig`],
//!   [`NetworkConfig`], [`GroupConfig`], [`OffsetsTopicConfig`],
//!   [`OffsetsConfig`]) and the enums of their knobs.

pub mod consumer_config;
mod error;
mod fields;
mod file;
mod hints;
mod listing;
pub mod notes;
pub mod rules;
#[cfg(test)]
mod tests;

pub use consumer_config::{ConsumerConfig, Setting};
pub use error::{Problem, ScenarioError};
pub use listing::list_dir;
pub use notes::{Note, notes};

use crate::verdict::Expectation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A partition number inside the model (validated to fit, see [`LIMITS`]).
pub type Partition = u8;
/// A record offset inside the model; `messages` itself is a valid offset (the log end).
pub type Offset = u8;

/// The order of receive, process and commit a consumer follows (README.md, "Delivery strategies").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// receive → commit(o+1) → process
    AtMostOnce,
    /// receive → process → commit(o+1)
    AtLeastOnce,
    /// receive → {process + commit(o+1)} in one transaction
    ExactlyOnce,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::AtMostOnce => "at-most-once",
            Strategy::AtLeastOnce => "at-least-once",
            Strategy::ExactlyOnce => "exactly-once",
        }
    }

    pub const ALL: [Strategy; 3] = [Strategy::AtMostOnce, Strategy::AtLeastOnce, Strategy::ExactlyOnce];
}

/// The stable property names, in the order they are reported (the
/// property registry's, `src/properties/mod.rs`).
pub const PROPERTY_NAMES: [&str; crate::properties::ALL.len()] = crate::properties::NAMES;

/// Which offset an at-least-once consumer commits (the `commit.offset` field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitOffset {
    /// The last processed offset + 1, after the batch: correct.
    #[default]
    Next,
    /// The last processed offset: off by one low, the last record is read
    /// again after every restart or rebalance.
    Last,
    /// The consumer's position (the batch's end), committed after each
    /// record while later records of the batch are unprocessed: off by one
    /// high, a crash skips them.
    Position,
}

/// How the consumer commits (the `commit.mode` field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitMode {
    /// `commitSync()`: the poll loop waits for the commit's response.
    #[default]
    Sync,
    /// `commitAsync()`: the poll loop goes on; a failed commit is retried
    /// up to `commit.retries` times by its callback.
    Async,
    /// `enable.auto.commit`: with the Java client each poll commits the
    /// positions the earlier polls returned, once `auto.commit.interval.ms`
    /// has elapsed; with librdkafka a background timer commits the offset
    /// store (`commit.store`).
    Auto,
}

/// When the callback of a failed `commitAsync()` retries it (`commit.guard`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitGuard {
    /// Always, within `commit.retries`: an older commit can land after a newer one.
    #[default]
    None,
    /// Only if no newer commit was issued since (the sequence number the
    /// KafkaConsumer javadoc suggests).
    Sequence,
}

/// Where an auto-committing consumer processes its records (`commit.processing`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AutoProcessing {
    /// Inside the poll loop: a poll returns only after the previous poll's records are processed.
    #[default]
    InPoll,
    /// Handed to a worker thread: the poll loop goes on fetching while the worker processes its queue.
    Worker,
}

/// When librdkafka stores a record's offset in its in-memory offset store,
/// the offsets its auto-commit commits (`commit.store`; librdkafka's
/// `enable.auto.offset.store`, CONFIGURATION.md: "Automatically store offset
/// of last message provided to application").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OffsetStore {
    /// `enable.auto.offset.store=true` (librdkafka's default): the offset is
    /// stored when `rd_kafka_consumer_poll` hands the record to the
    /// application, before it is processed.
    #[default]
    OnPoll,
    /// `enable.auto.offset.store=false`: the application stores offset + 1
    /// with `rd_kafka_offsets_store()` once the record is processed
    /// (INTRODUCTION.md, "At-least-once processing").
    AfterProcessing,
}

/// Which family of Kafka clients the consumers are (the `client` field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    /// The Java `KafkaConsumer`: `enable.auto.commit` commits in `poll()`.
    #[default]
    Java,
    /// librdkafka and the clients built on it (confluent-kafka-python, -go,
    /// -dotnet, rdkafka): `enable.auto.commit` commits the offset store from
    /// a background timer.
    Librdkafka,
}

impl Client {
    pub fn name(self) -> &'static str {
        match self {
            Client::Java => "java",
            Client::Librdkafka => "librdkafka",
        }
    }
}

/// The commit knobs beyond `commit.offset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CommitConfig {
    pub mode: CommitMode,
    /// async: how many times a failed commit is retried.
    pub retries: u8,
    pub guard: CommitGuard,
    pub processing: AutoProcessing,
    /// librdkafka: when a record's offset enters the offset store.
    pub store: OffsetStore,
}

/// The network between the actors (the `network` field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkKind {
    /// Per-connection FIFO, reliable (TCP-like).
    #[default]
    Ordered,
    /// Messages race one another, none is lost or repeated.
    Unordered,
    /// Ordered per connection, but up to `losses` messages to or from consumers are lost.
    Lossy,
    /// Unordered, and up to `duplicates` messages are delivered a second time.
    Duplicating,
}

impl NetworkKind {
    pub fn name(self) -> &'static str {
        match self {
            NetworkKind::Ordered => "ordered",
            NetworkKind::Unordered => "unordered",
            NetworkKind::Lossy => "lossy",
            NetworkKind::Duplicating => "duplicating",
        }
    }
}

/// The network of a scenario and its fault budgets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetworkConfig {
    pub kind: NetworkKind,
    /// lossy: messages lost in one run.
    pub losses: u8,
    /// duplicating: extra deliveries in one run.
    pub duplicates: u8,
}

/// Which offset a consumer with parallel workers commits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitPolicy {
    /// The end of the contiguous completed prefix ([`crate::tracker::OffsetTracker`]).
    #[default]
    Contiguous,
    /// The highest completed offset + 1: passes records other workers still process.
    HighestCompleted,
}

/// Who decides which consumer reads which partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assignment {
    /// `assign()`: partition p belongs to consumer p mod C, fixed for the run.
    #[default]
    Manual,
    /// `subscribe()`: the group coordinator's membership protocol assigns
    /// partitions and rebalances them when members join, leave or time out.
    Group,
}

/// How a rebalance hands out partitions (`partition.assignment.strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assignor {
    /// Contiguous ranges of partitions per member, in member-id order; eager.
    #[default]
    Range,
    /// Partitions dealt out one by one in member-id order; eager.
    RoundRobin,
    /// The Java `StickyAssignor`: eager (every member revokes everything at
    /// a rebalance), but each member keeps its previous partitions where
    /// balance allows, from the previous assignment it sends in its
    /// subscription's userData.
    Sticky,
    /// KIP-429: members keep what they own; a partition that moves is
    /// revoked in one rebalance and assigned in the next.
    CooperativeSticky,
}

impl Assignor {
    /// Eager assignors revoke every partition at the start of a rebalance.
    pub fn is_eager(self) -> bool {
        match self {
            Assignor::Range | Assignor::RoundRobin | Assignor::Sticky => true,
            Assignor::CooperativeSticky => false,
        }
    }
}

/// Whether the coordinator rejects commits from members of an old generation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fencing {
    /// OffsetCommit and transactional commits carry member id and
    /// generation; a stale one gets ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID.
    #[default]
    Generation,
    /// Commits are accepted from anyone (assign() users sharing a group.id, old clients).
    None,
}

/// What the application does when the commitSync() (or transaction commit)
/// of its poll loop throws because of the group (`on_commit_error`):
/// CommitFailedException once the member has left the group
/// (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID: the client has reset its
/// generation, `onPartitionsLost`), or RebalanceInProgressException while
/// the group rebalances (the client rejoins at its next poll, generation
/// kept). Both come from `ConsumerCoordinator`'s OffsetCommitResponseHandler
/// and `sendOffsetCommitRequest`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnCommitError {
    /// Call poll() (which completes the rebalance), then commit the same
    /// offset again if its partition is still assigned to this consumer
    /// (what RebalanceInProgressException's javadoc suggests); a partition
    /// assigned elsewhere is dropped.
    RetryAfterRebalance,
    /// Catch, log and poll on: the offset is never committed by this
    /// consumer. What the model did before the knob, and what the Java
    /// client itself does with a failed auto-commit (it logs it).
    #[default]
    Skip,
    /// The exception escapes the poll loop: the process exits and its
    /// supervisor starts it again (a restart the application causes, not a
    /// fault of the `crashes` budget): a new process, a new member.
    Crash,
}

impl OnCommitError {
    pub fn name(self) -> &'static str {
        match self {
            OnCommitError::RetryAfterRebalance => "retry-after-rebalance",
            OnCommitError::Skip => "skip",
            OnCommitError::Crash => "crash",
        }
    }
}

/// The consumer-group knobs of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GroupConfig {
    pub assignment: Assignment,
    pub assignor: Assignor,
    /// Budget of evictions of a live but too slow member (a pause past
    /// `max.poll.interval.ms` / `session.timeout.ms`) in one run.
    pub pauses: u8,
    pub fencing: Fencing,
    /// Commit processed offsets in `onPartitionsRevoked` before giving partitions up.
    pub commit_on_revoke: bool,
    /// What the application does with a commit exception (`OnCommitError`).
    pub on_commit_error: OnCommitError,
}

/// When the leader of `__consumer_offsets` acknowledges a commit
/// (`offsets.commit.required.acks`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Acks {
    /// Once the leader has appended it (acks=1): followers catch up later.
    Leader,
    /// Once every in-sync replica has it (acks=-1, Kafka's default for the offsets topic).
    #[default]
    All,
}

/// The replication of `__consumer_offsets` and the coordinator failovers
/// of a scenario (`offsets_topic` and `coordinator_failovers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OffsetsTopicConfig {
    /// Replicas of the offsets partition, 1–3 (`offsets.topic.replication.factor`).
    pub replicas: u8,
    pub acks: Acks,
    /// `unclean.leader.election.enable`: with no in-sync replica left, elect one that is not.
    pub unclean_election: bool,
    /// Budget of coordinator failovers (the offsets partition's leader fails) in one run.
    pub failovers: u8,
}

impl Default for OffsetsTopicConfig {
    fn default() -> Self {
        OffsetsTopicConfig { replicas: 1, acks: Acks::All, unclean_election: false, failovers: 0 }
    }
}

/// When the coordinator removes a group's committed offsets (`offsets.retention.minutes` passed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Retention {
    /// Committed offsets never expire within a run.
    #[default]
    Never,
    /// KIP-211 (Kafka 2.1+). With group assignment: only while the group
    /// has no member (every member left or was evicted after its session
    /// timed out). With manual assignment the group is a standalone one (no
    /// protocol type: `assign()` never joins), whose offsets KIP-211 still
    /// expires `offsets.retention.minutes` after their last commit, whether
    /// or not a consumer runs: at any time, in a model without a clock.
    WhenEmpty,
    /// Before KIP-211 (KAFKA-4682): retention counts from the last commit,
    /// so an active consumer's offset can expire at any time.
    WhileActive,
}

/// What a consumer does for a partition with no committed offset (`auto.offset.reset`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reset {
    /// Start at offset 0 (the log start).
    #[default]
    Earliest,
    /// Start at the partition's log end, asked of the broker (ListOffsets).
    Latest,
    /// Fail (NoOffsetForPartitionException): the consumer reads nothing more of the partition.
    None,
}

/// The offset lifecycle of a scenario (the `offsets` object). Its unknown
/// fields are named by `fields.rs`, all at once, not denied by serde.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
pub struct OffsetsConfig {
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub reset: Reset,
    /// `new_group`: the group has never committed anything when the run
    /// starts (a new `group.id`), so `reset` decides every partition's first
    /// position: with `latest`, the records already in the log are skipped.
    #[serde(default)]
    pub new_group: bool,
}

impl OffsetsConfig {
    /// Whether the scenario models the lifecycle at all.
    pub fn lifecycle(&self) -> bool {
        *self != OffsetsConfig::default()
    }

    /// Whether the group starts with committed offset 0 on every partition:
    /// with a lifecycle and not a new group, the group existed before the
    /// run and has read nothing yet, so `reset` decides only for an offset
    /// that expired, not at the group's very first start. Without a
    /// lifecycle nothing is committed at the start and the reset is
    /// `earliest`, which starts at offset 0 all the same.
    pub fn seeded(&self) -> bool {
        self.lifecycle() && !self.new_group
    }
}

/// The most replicas of `__consumer_offsets` a scenario may have.
pub const MAX_OFFSETS_REPLICAS: u32 = 3;

/// Bounds that keep a scenario's numbers inside the model's small integer
/// types and its state space inside a 2-core, 24 GiB machine's reach.
pub struct Limits {
    pub workers: u32,
    /// max_poll_records when workers process a batch in parallel (a batch is a bitmask).
    pub batch_with_workers: u32,
    pub partitions: u32,
    pub consumers: u32,
    /// Offsets are `u8` and the largest marks a tombstone
    /// (`src/model/coordinator/offsets_log.rs`), so a log end stays well below it:
    /// `messages + produce` is held to this.
    pub messages: u32,
    pub crashes: u32,
    pub max_poll_records: u32,
}

pub const LIMITS: Limits = Limits {
    workers: 8,
    batch_with_workers: 16,
    partitions: 16,
    consumers: 16,
    messages: 200,
    crashes: 50,
    max_poll_records: 200,
};

/// Which properties decide whether a scenario meets its expectations (the `gate` field).
///
/// A top-level field rather than a key inside `expect`: `expect` maps
/// property names to verdicts, and a `"gate"` key there would be the one
/// key that is not a property (and would read as the verdict of a property
/// called `gate`); the gate says how to read the whole map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    /// Every property: one `expect` does not name is expected to hold (what
    /// every file without the field means).
    #[default]
    All,
    /// Only the properties `expect` names with `holds` or `violated`; the
    /// rest are checked and reported, expected `any`.
    Named,
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The client family the consumers are.
    pub client: Client,
    pub partitions: Partition,
    /// Records per partition.
    pub messages: Offset,
    pub consumers: u8,
    pub strategy: Strategy,
    /// Total budget of consumer crashes in one run.
    pub crashes: u8,
    pub max_poll_records: u8,
    /// at-least-once commits after every `commit_every`-th batch (and when idle).
    pub commit_every: u8,
    pub group: GroupConfig,
    pub commit_offset: CommitOffset,
    /// `commit.mode` and its knobs.
    pub commit: CommitConfig,
    /// The network kind and its fault budgets.
    pub network: NetworkConfig,
    /// Worker threads processing one poll's records in parallel (at-least-once).
    pub workers: u8,
    pub commit_policy: CommitPolicy,
    /// Replication of the offsets topic and coordinator failovers.
    pub offsets_topic: OffsetsTopicConfig,
    /// Records per partition a producer appends while the consumers run.
    pub produce: Offset,
    /// Expiry of committed offsets and `auto.offset.reset`.
    pub offsets: OffsetsConfig,
    /// Expected verdict per property, as the file's `expect` names them;
    /// [`Scenario::expected`] adds the properties it does not name.
    pub expect: BTreeMap<String, Expectation>,
    /// Whether a property `expect` does not name is gated.
    pub gate: Gate,
    /// The keys of its consumer config (its own `consumer_config` and
    /// `check --consumer-config`) and what the model made of each; those
    /// written onto fields are in the fields already.
    pub consumer_config: Vec<Setting>,
}

impl Default for Scenario {
    /// One consumer reading one partition of one record, at-least-once, no
    /// faults: a base for scenarios built in code (`Scenario { .., ..Default::default() }`).
    fn default() -> Self {
        Scenario {
            name: "scenario".into(),
            description: String::new(),
            client: Client::Java,
            partitions: 1,
            messages: 1,
            consumers: 1,
            strategy: Strategy::AtLeastOnce,
            crashes: 0,
            max_poll_records: 1,
            commit_every: 1,
            group: GroupConfig::default(),
            commit_offset: CommitOffset::default(),
            commit: CommitConfig::default(),
            network: NetworkConfig::default(),
            workers: 1,
            commit_policy: CommitPolicy::default(),
            offsets_topic: OffsetsTopicConfig::default(),
            produce: 0,
            offsets: OffsetsConfig::default(),
            expect: BTreeMap::new(),
            gate: Gate::All,
            consumer_config: Vec::new(),
        }
    }
}

impl Scenario {
    /// What a property is expected to be: as the file's `expect` names it;
    /// otherwise `holds`, or `any` under `"gate": "named"`.
    pub fn expected(&self, property: &str) -> Expectation {
        let unnamed = match self.gate {
            Gate::All => Expectation::Holds,
            Gate::Named => Expectation::Any,
        };
        self.expect.get(property).copied().unwrap_or(unnamed)
    }

    /// Whether a librdkafka consumer's auto-commit commits offsets the
    /// application stores after processing (`enable.auto.offset.store=false`)
    /// rather than its position: with the Java client, or manual commits,
    /// the offset store plays no part (the application names its offsets).
    pub fn stores_after_processing(&self) -> bool {
        self.client == Client::Librdkafka
            && self.commit.mode == CommitMode::Auto
            && self.commit.store == OffsetStore::AfterProcessing
    }

    /// Every partition's log end once the producer is done: `messages + produce`.
    pub fn log_end(&self) -> Offset {
        self.messages + self.produce
    }
}

/// Reads and validates one scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, None)
}

/// Reads and validates one scenario file with the keys of a
/// `--consumer-config` file applied as if written in its `consumer_config`.
pub fn load_with(path: &Path, config: Option<&ConsumerConfig>) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read(path)
        .map_err(|e| ScenarioError::one(path, Problem::new(None, format!("cannot read file: {e}"))))?;
    parse_with(path, &text, config)
}

/// Parses and validates scenario text; `path` is only used in error messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
    parse_with(path, bytes, None)
}

/// Parses and validates scenario text with a consumer config's keys applied.
///
/// A syntax error stops the parse (there is no file to check further), and
/// so do type errors, after every unknown field and every field's type
/// error is named; past them, every unknown field, every consumer config
/// key Kafka or the model cannot take, every number out of range and every
/// broken rule of [`rules::RULES`] is collected, so one error lists them all. The keys are
/// written onto the fields first, so the rules judge them too.
pub fn parse_with(
    path: &Path,
    bytes: &[u8],
    config: Option<&ConsumerConfig>,
) -> Result<Scenario, ScenarioError> {
    let mut problems = Vec::new();
    let Some((mut file, written)) = file::ScenarioFile::read(bytes, &mut problems) else {
        return Err(ScenarioError { file: path.to_path_buf(), problems });
    };
    let applied = consumer_config::apply(&mut file, &written, config, &mut problems);
    let mut scenario = file.scenario(&mut problems);
    rules::check(&file, &mut problems);
    applied.annotate(&mut problems);
    scenario.consumer_config = applied.settings;
    if problems.is_empty() { Ok(scenario) } else { Err(ScenarioError { file: path.to_path_buf(), problems }) }
}
