//! Scenario files (`models/*.json`, DESIGN.md §3): parsing and validation.
//!
//! A scenario is data a user writes to gate a configuration, so every way it
//! can be wrong must come back as a [`ScenarioError`] that names the file, the
//! field and, for syntax errors, the line and column. Nothing here panics on
//! any input: the parser is serde_json, the field path comes from
//! serde_path_to_error, and the semantic checks below are plain comparisons.

use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A partition number inside the model (validated to fit, see [`LIMITS`]).
pub type Partition = u8;
/// A record offset inside the model; `messages` itself is a valid offset (the log end).
pub type Offset = u8;

/// The order of receive, process and commit a consumer follows (DESIGN.md §1).
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

/// The stable property names, in the order they are reported (the registry's, [`crate::properties::NAMES`]).
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

/// The `commit` object of a scenario file.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitFile {
    #[serde(default)]
    offset: CommitOffset,
    #[serde(default)]
    mode: CommitMode,
    retries: Option<u32>,
    guard: Option<CommitGuard>,
    processing: Option<AutoProcessing>,
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
    /// `enable.auto.commit`: each poll commits the positions the earlier
    /// polls returned, once `auto.commit.interval.ms` has elapsed.
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

/// The commit knobs beyond `commit.offset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CommitConfig {
    pub mode: CommitMode,
    /// async: how many times a failed commit is retried.
    pub retries: u8,
    pub guard: CommitGuard,
    pub processing: AutoProcessing,
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
    /// KIP-429: members keep what they own; a partition that moves is
    /// revoked in one rebalance and assigned in the next.
    CooperativeSticky,
}

impl Assignor {
    /// Eager assignors revoke every partition at the start of a rebalance.
    pub fn is_eager(self) -> bool {
        self != Assignor::CooperativeSticky
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
    /// KIP-211 (Kafka 2.1+): only while nobody consumes the partition. With
    /// group assignment: while the group has no member (every member left
    /// or was evicted after its session timed out). With manual
    /// assignment: while the partition's consumer (p mod C) is down.
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

/// The offset lifecycle of a scenario (the `offsets` object).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetsConfig {
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub reset: Reset,
}

impl OffsetsConfig {
    /// Whether the scenario models the lifecycle at all. Then the group
    /// starts with committed offset 0 on every partition (it existed
    /// before the run and has read nothing yet), so `reset` decides only
    /// for an offset that expired, not at the group's very first start.
    pub fn lifecycle(&self) -> bool {
        *self != OffsetsConfig::default()
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

/// A validated scenario.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub name: String,
    pub description: String,
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
    /// Expected verdict per property; a property not named is expected to hold.
    pub expect: BTreeMap<String, Verdict>,
}

impl Default for Scenario {
    /// One consumer reading one partition of one record, at-least-once, no
    /// faults: a base for scenarios built in code (`Scenario { .., ..Default::default() }`).
    fn default() -> Self {
        Scenario {
            name: "scenario".into(),
            description: String::new(),
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
        }
    }
}

impl Scenario {
    /// The verdict a property is expected to have (DESIGN.md §3: unnamed means `holds`).
    pub fn expected(&self, property: &str) -> Verdict {
        self.expect.get(property).copied().unwrap_or(Verdict::Holds)
    }

    /// Every partition's log end once the producer is done: `messages + produce`.
    pub fn log_end(&self) -> Offset {
        self.messages + self.produce
    }
}

/// The file format, exactly as written; [`Scenario`] is what survives validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    #[serde(default)]
    description: String,
    partitions: u32,
    messages: u32,
    consumers: u32,
    strategy: Strategy,
    #[serde(default)]
    crashes: u32,
    #[serde(default = "one")]
    max_poll_records: u32,
    #[serde(default = "one")]
    commit_every: u32,
    commit: Option<CommitFile>,
    #[serde(default)]
    network: NetworkKind,
    losses: Option<u32>,
    duplicates: Option<u32>,
    #[serde(default = "one")]
    workers: u32,
    commit_policy: Option<CommitPolicy>,
    #[serde(default)]
    assignment: Assignment,
    assignor: Option<Assignor>,
    #[serde(default)]
    pauses: u32,
    #[serde(default)]
    fencing: Fencing,
    commit_on_revoke: Option<bool>,
    offsets_topic: Option<OffsetsTopicFile>,
    #[serde(default)]
    coordinator_failovers: u32,
    #[serde(default)]
    produce: u32,
    offsets: Option<OffsetsConfig>,
    #[serde(default)]
    expect: BTreeMap<String, ExpectedVerdict>,
}

/// `offsets_topic` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetsTopicFile {
    #[serde(default = "one")]
    replicas: u32,
    #[serde(default)]
    acks: Acks,
    #[serde(default)]
    unclean_election: bool,
}

fn one() -> u32 {
    1
}

/// Only definite verdicts can be expected: `unknown` is an outcome, not a goal.
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum ExpectedVerdict {
    Holds,
    Violated,
}

/// Why a scenario file was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// The field at fault (`expect.no-loss`, `strategy`, ...), when there is one.
    pub field: Option<String>,
    /// 1-based line and column of a syntax or type error.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Reads and validates one scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        field: None,
        position: None,
        message: format!("cannot read file: {e}"),
    })?;
    parse(path, &text)
}

/// Parses and validates scenario text; `path` is only used in error messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
    let error = |field: Option<String>, position, message: String| ScenarioError {
        file: path.to_path_buf(),
        field,
        position,
        message,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let file: ScenarioFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        // Only a type or value error belongs to a field; a syntax error has
        // just a position.
        let field = (inner.is_data() && field != ".").then_some(field);
        let position = (inner.line() > 0).then(|| (inner.line(), inner.column()));
        error(field, position, describe_json_error(&inner))
    })?;
    de.end().map_err(|e| error(None, Some((e.line(), e.column())), describe_json_error(&e)))?;
    validate(file).map_err(|(field, message)| error(Some(field.to_string()), None, message))
}

/// serde_json's message without its trailing " at line L column C", which
/// [`ScenarioError`] already shows in `file:line:column` form.
fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn validate(file: ScenarioFile) -> Result<Scenario, (&'static str, String)> {
    if file.name.trim().is_empty() {
        return Err(("name", "must not be empty".into()));
    }
    let partitions = in_range("partitions", file.partitions, 1, LIMITS.partitions)?;
    let messages = in_range("messages", file.messages, 1, LIMITS.messages)?;
    let consumers = in_range("consumers", file.consumers, 1, LIMITS.consumers)?;
    let crashes = in_range("crashes", file.crashes, 0, LIMITS.crashes)?;
    let max_poll_records = in_range("max_poll_records", file.max_poll_records, 1, LIMITS.max_poll_records)?;
    let commit_every = in_range("commit_every", file.commit_every, 1, LIMITS.max_poll_records)?;
    if commit_every > 1 && file.strategy != Strategy::AtLeastOnce {
        return Err(("commit_every", "applies to the at-least-once strategy only".into()));
    }
    let workers = in_range("workers", file.workers, 1, LIMITS.workers)?;
    if workers > 1 {
        let rule = if file.strategy != Strategy::AtLeastOnce {
            Some("applies to the at-least-once strategy only")
        } else if file.assignment != Assignment::Manual {
            Some("needs manual assignment (parallel workers are not modelled across rebalances)")
        } else if commit_every > 1 {
            Some("commits follow the commit policy; `commit_every` must be 1")
        } else if u32::from(max_poll_records) > LIMITS.batch_with_workers {
            Some("needs max_poll_records of at most 16")
        } else {
            None
        };
        if let Some(rule) = rule {
            return Err(("workers", rule.into()));
        }
    } else if file.commit_policy.is_some() {
        return Err((
            "commit_policy",
            "needs \"workers\" of 2 or more (one worker completes in order)".into(),
        ));
    }
    let commit_file = file.commit.unwrap_or_default();
    let commit_offset = commit_file.offset;
    if commit_offset != CommitOffset::Next {
        let rule = if file.strategy != Strategy::AtLeastOnce {
            Some("applies to the at-least-once strategy only")
        } else if commit_every > 1 || workers > 1 {
            Some("needs `commit_every` 1 and one worker")
        } else {
            None
        };
        if let Some(rule) = rule {
            return Err(("commit.offset", rule.into()));
        }
    }
    let pauses = in_range("pauses", file.pauses, 0, LIMITS.crashes)?;
    if file.assignment == Assignment::Manual {
        let group_only = [
            ("assignor", file.assignor.is_some()),
            ("pauses", pauses > 0),
            ("commit_on_revoke", file.commit_on_revoke.is_some()),
        ];
        if let Some((field, _)) = group_only.iter().find(|(_, set)| *set) {
            return Err((
                field,
                "needs \"assignment\": \"group\" (manual assignment has no rebalances)".into(),
            ));
        }
    }
    let group = GroupConfig {
        assignment: file.assignment,
        assignor: file.assignor.unwrap_or_default(),
        pauses,
        fencing: file.fencing,
        commit_on_revoke: file.commit_on_revoke.unwrap_or(false),
    };
    let commit = commit_config(&commit_file, &file, workers, commit_every, messages, partitions)?;
    let network = network_config(&file, workers)?;
    let offsets_topic = offsets_topic(file.offsets_topic, file.coordinator_failovers, file.assignment)?;
    let produce = in_range("produce", file.produce, 0, LIMITS.messages - u32::from(messages))?;
    if produce > 0 && (file.assignment != Assignment::Manual || partitions > consumers) {
        // A consumer fetches one partition at a time; a fetch the broker
        // holds until a record arrives would stall its other partitions.
        return Err((
            "produce",
            "needs \"assignment\": \"manual\" and at most one partition per consumer (partitions <= consumers): \
             a caught-up fetch waits for the next record and would stall a consumer's other partitions"
                .into(),
        ));
    }
    let mut expect = BTreeMap::new();
    for (property, verdict) in file.expect {
        if !PROPERTY_NAMES.contains(&property.as_str()) {
            return Err((
                "expect",
                format!("unknown property `{property}`, expected one of {}", PROPERTY_NAMES.join(", ")),
            ));
        }
        let verdict = match verdict {
            ExpectedVerdict::Holds => Verdict::Holds,
            ExpectedVerdict::Violated => Verdict::Violated,
        };
        expect.insert(property, verdict);
    }
    Ok(Scenario {
        name: file.name,
        description: file.description,
        partitions,
        messages,
        consumers,
        strategy: file.strategy,
        crashes,
        max_poll_records,
        commit_every,
        group,
        commit_offset,
        commit,
        network,
        workers,
        commit_policy: file.commit_policy.unwrap_or_default(),
        offsets_topic,
        produce,
        offsets: file.offsets.unwrap_or_default(),
        expect,
    })
}

fn offsets_topic(
    topic: Option<OffsetsTopicFile>,
    failovers: u32,
    assignment: Assignment,
) -> Result<OffsetsTopicConfig, (&'static str, String)> {
    let defaults = OffsetsTopicConfig::default();
    let failovers = in_range("coordinator_failovers", failovers, 0, LIMITS.crashes)?;
    if failovers > 0 && assignment != Assignment::Manual {
        return Err((
            "coordinator_failovers",
            "needs \"assignment\": \"manual\" (the group membership is not persisted, so it cannot fail over)"
                .into(),
        ));
    }
    let Some(topic) = topic else { return Ok(OffsetsTopicConfig { failovers, ..defaults }) };
    let replicas = in_range("offsets_topic.replicas", topic.replicas, 1, MAX_OFFSETS_REPLICAS)?;
    Ok(OffsetsTopicConfig { replicas, acks: topic.acks, unclean_election: topic.unclean_election, failovers })
}

/// The most async commits a consumer can have outstanding (its random step
/// values 201..=253 name them, [`crate::model::consumer::Step`]).
pub const MAX_ASYNC_COMMITS: u32 = 53;

fn commit_config(
    commit: &CommitFile,
    file: &ScenarioFile,
    workers: u8,
    commit_every: u8,
    messages: u8,
    partitions: u8,
) -> Result<CommitConfig, (&'static str, String)> {
    let mode = commit.mode;
    if mode != CommitMode::Async && (commit.retries.is_some() || commit.guard.is_some()) {
        let field = if commit.retries.is_some() { "commit.retries" } else { "commit.guard" };
        return Err((field, "needs \"mode\": \"async\" (only commitAsync()'s callback retries)".into()));
    }
    if mode != CommitMode::Auto && commit.processing.is_some() {
        return Err(("commit.processing", "needs \"mode\": \"auto\"".into()));
    }
    if mode != CommitMode::Sync {
        let rule = if file.strategy != Strategy::AtLeastOnce {
            Some(
                "applies to the at-least-once strategy only (at-most-once must await its commit before processing; exactly-once commits in its transaction)",
            )
        } else if file.assignment != Assignment::Manual {
            Some("needs manual assignment")
        } else if workers > 1 || commit_every > 1 || commit.offset != CommitOffset::Next {
            Some("needs one worker, `commit_every` 1 and `commit.offset` next")
        } else if u32::from(messages) * u32::from(partitions) > MAX_ASYNC_COMMITS {
            Some("needs partitions × messages of at most 53")
        } else {
            None
        };
        if let Some(rule) = rule {
            return Err(("commit.mode", rule.into()));
        }
    }
    let retries = in_range("commit.retries", commit.retries.unwrap_or(0), 0, LIMITS.crashes)?;
    Ok(CommitConfig {
        mode,
        retries,
        guard: commit.guard.unwrap_or_default(),
        processing: commit.processing.unwrap_or_default(),
    })
}

fn network_config(file: &ScenarioFile, workers: u8) -> Result<NetworkConfig, (&'static str, String)> {
    let kind = file.network;
    if kind != NetworkKind::Lossy && file.losses.is_some() {
        return Err(("losses", "needs \"network\": \"lossy\"".into()));
    }
    if kind != NetworkKind::Duplicating && file.duplicates.is_some() {
        return Err(("duplicates", "needs \"network\": \"duplicating\"".into()));
    }
    if kind != NetworkKind::Ordered {
        let rule = if file.strategy == Strategy::ExactlyOnce {
            Some(
                "exactly-once is not modelled over a faulty network (its transactional retries are idempotent in Kafka)",
            )
        } else if file.assignment != Assignment::Manual {
            Some("needs manual assignment (the group protocol's retries are not modelled)")
        } else if workers > 1 {
            Some("needs one worker")
        } else if kind == NetworkKind::Lossy
            && file.commit.is_some_and(|c| c.processing == Some(AutoProcessing::Worker))
        {
            Some(
                "a lossy network is not modelled with an auto-commit worker thread (two requests outstanding)",
            )
        } else if file.coordinator_failovers > 0 {
            Some("needs `coordinator_failovers` 0")
        } else {
            None
        };
        if let Some(rule) = rule {
            return Err(("network", rule.into()));
        }
    }
    let losses = match kind {
        NetworkKind::Lossy => in_range("losses", file.losses.unwrap_or(1), 1, LIMITS.crashes)?,
        _ => 0,
    };
    let duplicates = match kind {
        NetworkKind::Duplicating => in_range("duplicates", file.duplicates.unwrap_or(1), 1, LIMITS.crashes)?,
        _ => 0,
    };
    Ok(NetworkConfig { kind, losses, duplicates })
}

fn in_range(field: &'static str, value: u32, min: u32, max: u32) -> Result<u8, (&'static str, String)> {
    if value < min || value > max {
        return Err((field, format!("must be between {min} and {max}, got {value}")));
    }
    u8::try_from(value).map_err(|_| (field, format!("must be at most {}, got {value}", u8::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Scenario, ScenarioError> {
        parse(Path::new("models/x.json"), text.as_bytes())
    }

    const VALID: &str = r#"{
        "name": "n", "partitions": 1, "messages": 3, "consumers": 1,
        "strategy": "at-least-once", "crashes": 1,
        "expect": { "no-duplicate": "violated" }
    }"#;

    #[test]
    fn valid_file_gets_defaults() {
        let s = parse_str(VALID).unwrap();
        assert_eq!(s.strategy, Strategy::AtLeastOnce);
        assert_eq!(s.max_poll_records, 1);
        assert_eq!(s.expected("no-duplicate"), Verdict::Violated);
        assert_eq!(s.expected("no-loss"), Verdict::Holds);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = parse_str("{\n  \"name\": \"n\",,\n}").unwrap_err();
        assert_eq!(e.position, Some((2, 15)));
        assert!(e.to_string().starts_with("models/x.json:2:15: "), "{e}");
    }

    #[test]
    fn unknown_field_is_named() {
        let e = parse_str(&VALID.replace("\"crashes\"", "\"crashez\"")).unwrap_err();
        assert!(e.message.contains("unknown field `crashez`"), "{e}");
        assert!(e.position.is_some());
    }

    #[test]
    fn unknown_strategy_names_field_and_choices() {
        let e = parse_str(&VALID.replace("at-least-once", "twice")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("strategy"));
        assert!(e.message.contains("unknown variant `twice`"), "{e}");
        assert!(e.message.contains("exactly-once"), "{e}");
    }

    #[test]
    fn zero_consumers_is_rejected() {
        let e = parse_str(&VALID.replace("\"consumers\": 1", "\"consumers\": 0")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("consumers"));
        assert!(e.message.contains("between 1 and"), "{e}");
    }

    #[test]
    fn unknown_property_and_verdict_are_rejected() {
        let e = parse_str(&VALID.replace("no-duplicate", "no-dupes")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expect"));
        assert!(e.message.contains("no-dupes"), "{e}");
        let e = parse_str(&VALID.replace("\"violated\"", "\"maybe\"")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expect.no-duplicate"));
    }

    #[test]
    fn group_knobs_need_group_assignment() {
        let e = parse_str(&VALID.replace("\"crashes\": 1", "\"crashes\": 1, \"pauses\": 1")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("pauses"));
        let group = VALID.replace(
            "\"crashes\": 1",
            "\"crashes\": 1, \"assignment\": \"group\", \"assignor\": \"cooperative-sticky\", \"pauses\": 1",
        );
        let s = parse_str(&group).unwrap();
        assert_eq!(s.group.assignor, Assignor::CooperativeSticky);
        assert_eq!(
            (s.group.pauses, s.group.fencing, s.group.commit_on_revoke),
            (1, Fencing::Generation, false)
        );
        let e = parse_str(&group.replace("cooperative-sticky", "sticky")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("assignor"));
    }

    #[test]
    fn workers_need_at_least_once_with_manual_assignment() {
        let workers = VALID.replace(
            "\"crashes\": 1",
            "\"crashes\": 1, \"workers\": 2, \"commit_policy\": \"highest-completed\"",
        );
        let s = parse_str(&workers).unwrap();
        assert_eq!((s.workers, s.commit_policy), (2, CommitPolicy::HighestCompleted));
        let e = parse_str(&workers.replace("at-least-once", "exactly-once")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("workers"));
        let e = parse_str(&workers.replace("\"workers\": 2", "\"workers\": 1")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("commit_policy"));
    }

    #[test]
    fn commit_every_is_for_at_least_once() {
        let every = VALID.replace("\"crashes\": 1", "\"crashes\": 1, \"commit_every\": 2");
        assert_eq!(parse_str(&every).unwrap().commit_every, 2);
        let e = parse_str(&every.replace("at-least-once", "at-most-once")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("commit_every"));
    }

    #[test]
    fn offsets_topic_and_failovers_are_validated() {
        let s = parse_str(VALID).unwrap();
        assert_eq!(s.offsets_topic, OffsetsTopicConfig::default());
        let topic = VALID.replace(
            "\"crashes\": 1",
            "\"crashes\": 1, \"coordinator_failovers\": 1, \"offsets_topic\": { \"replicas\": 3, \"acks\": \"leader\" }",
        );
        let t = parse_str(&topic).unwrap().offsets_topic;
        assert_eq!(
            t,
            OffsetsTopicConfig { replicas: 3, acks: Acks::Leader, unclean_election: false, failovers: 1 }
        );
        let e = parse_str(&topic.replace("\"leader\"", "\"one\"")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("offsets_topic.acks"));
        assert!(e.message.contains("`leader`") && e.message.contains("`all`"), "{e}");
        let e = parse_str(&topic.replace("\"replicas\": 3", "\"replicas\": 4")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("offsets_topic.replicas"));
        assert!(e.message.contains("between 1 and 3"), "{e}");
        let e = parse_str(&topic.replace("\"replicas\"", "\"replica\"")).unwrap_err();
        assert!(e.message.contains("unknown field `replica`"), "{e}");
        let e =
            parse_str(&topic.replace("\"leader\" }", "\"leader\", \"unclean_election\": 1 }")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("offsets_topic.unclean_election"));
        let e = parse_str(&topic.replace("\"coordinator_failovers\": 1", "\"coordinator_failovers\": 51"))
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("coordinator_failovers"));
        let group = topic.replace("\"crashes\": 1", "\"crashes\": 1, \"assignment\": \"group\"");
        let e = parse_str(&group).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("coordinator_failovers"));
    }

    #[test]
    fn produce_and_offsets_are_validated() {
        let s = parse_str(VALID).unwrap();
        assert_eq!((s.produce, s.offsets, s.log_end()), (0, OffsetsConfig::default(), 3));
        assert!(!s.offsets.lifecycle());
        let both = VALID.replace(
            "\"crashes\": 1",
            "\"crashes\": 1, \"produce\": 2, \"offsets\": { \"retention\": \"while-active\", \"reset\": \"latest\" }",
        );
        let s = parse_str(&both).unwrap();
        assert_eq!(s.log_end(), 5);
        assert_eq!(s.offsets, OffsetsConfig { retention: Retention::WhileActive, reset: Reset::Latest });
        assert!(s.offsets.lifecycle());
        let e = parse_str(&both.replace("while-active", "always")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("offsets.retention"));
        assert!(e.message.contains("`when-empty`") && e.message.contains("`never`"), "{e}");
        let e = parse_str(&both.replace("\"latest\"", "\"largest\"")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("offsets.reset"));
        assert!(e.message.contains("`earliest`") && e.message.contains("`none`"), "{e}");
        let e = parse_str(&both.replace("\"reset\"", "\"auto_reset\"")).unwrap_err();
        assert!(e.message.contains("unknown field `auto_reset`"), "{e}");
        let e = parse_str(&both.replace("\"produce\": 2", "\"produce\": 198")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("produce"));
        assert!(e.message.contains("between 0 and 197"), "{e}");
        let e = parse_str(&both.replace("\"partitions\": 1", "\"partitions\": 2")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("produce"));
        assert!(e.message.contains("one partition per consumer"), "{e}");
        let group = both.replace("\"crashes\": 1", "\"crashes\": 1, \"assignment\": \"group\"");
        assert_eq!(parse_str(&group).unwrap_err().field.as_deref(), Some("produce"));
    }

    #[test]
    fn commit_modes_and_networks_are_validated() {
        let s = parse_str(VALID).unwrap();
        assert_eq!((s.commit, s.network), (CommitConfig::default(), NetworkConfig::default()));
        let with = |extra: &str| VALID.replace("\"crashes\": 1", &format!("\"crashes\": 1, {extra}"));
        let s = parse_str(&with(
            r#""commit": { "mode": "async", "retries": 2, "guard": "sequence" }, "network": "lossy""#,
        ))
        .unwrap();
        assert_eq!(
            s.commit,
            CommitConfig {
                mode: CommitMode::Async,
                retries: 2,
                guard: CommitGuard::Sequence,
                ..Default::default()
            }
        );
        assert_eq!(s.network, NetworkConfig { kind: NetworkKind::Lossy, losses: 1, duplicates: 0 });
        let s = parse_str(&with(r#""network": "duplicating", "duplicates": 2"#)).unwrap();
        assert_eq!(s.network.duplicates, 2);
        let e = parse_str(&with(r#""commit": { "mode": "later" }"#)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("commit.mode"));
        assert!(e.message.contains("`sync`") && e.message.contains("`auto`"), "{e}");
        let e = parse_str(&with(r#""network": "tcp""#)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("network"));
        assert!(e.message.contains("`lossy`") && e.message.contains("`duplicating`"), "{e}");
        for (extra, field) in [
            (r#""commit": { "retries": 1 }"#, "commit.retries"),
            (r#""commit": { "mode": "auto", "guard": "sequence" }"#, "commit.guard"),
            (r#""commit": { "mode": "async", "processing": "worker" }"#, "commit.processing"),
            (r#""commit": { "mode": "auto", "offset": "last" }"#, "commit.mode"),
            (r#""losses": 1"#, "losses"),
            (r#""network": "unordered", "duplicates": 1"#, "duplicates"),
            (r#""network": "lossy", "losses": 0"#, "losses"),
            (r#""network": "lossy", "assignment": "group""#, "network"),
            (r#""network": "lossy", "commit": { "mode": "auto", "processing": "worker" }"#, "network"),
        ] {
            let e = parse_str(&with(extra)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{extra}: {e}");
        }
        let e = parse_str(&with(r#""commit": { "mode": "async" }"#).replace("at-least-once", "at-most-once"))
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("commit.mode"));
        let e =
            parse_str(&with(r#""network": "lossy""#).replace("at-least-once", "exactly-once")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("network"));
    }

    #[test]
    fn trailing_content_and_wrong_types_are_errors() {
        assert!(parse_str(&format!("{VALID} x")).is_err());
        let e = parse_str(&VALID.replace("\"messages\": 3", "\"messages\": \"3\"")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("messages"));
        assert!(parse_str(&VALID.replace("\"messages\": 3", "\"messages\": -3")).is_err());
        assert!(parse_str(&VALID.replace("\"messages\": 3", "\"messages\": 99999999999")).is_err());
    }
}
