//! Scenario files (`models/*.json`, DESIGN.md §3): parsing and validation.
//!
//! A scenario is data a user writes to gate a configuration, so every way it
//! can be wrong must come back as a [`ScenarioError`] that names the file, the
//! field and, for syntax errors, the line and column. Nothing here panics on
//! any input: the parser is serde_json, the field path comes from
//! serde_path_to_error, and the semantic checks below are plain comparisons.

use crate::verdict::Verdict;
use serde::Deserialize;
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

/// The stable property names of DESIGN.md §2, in the order they are reported.
pub const PROPERTY_NAMES: [&str; 6] = [
    "no-loss",
    "no-duplicate",
    "all-processed",
    "committed-monotonic",
    "single-owner",
    "acked-commit-durable",
];

/// Which offset an at-least-once consumer commits (the `commit.offset` field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
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
    /// Worker threads processing one poll's records in parallel (at-least-once).
    pub workers: u8,
    pub commit_policy: CommitPolicy,
    /// Replication of the offsets topic and coordinator failovers.
    pub offsets_topic: OffsetsTopicConfig,
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
            workers: 1,
            commit_policy: CommitPolicy::default(),
            offsets_topic: OffsetsTopicConfig::default(),
            expect: BTreeMap::new(),
        }
    }
}

impl Scenario {
    /// The verdict a property is expected to have (DESIGN.md §3: unnamed means `holds`).
    pub fn expected(&self, property: &str) -> Verdict {
        self.expect.get(property).copied().unwrap_or(Verdict::Holds)
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
    let commit_offset = file.commit.unwrap_or_default().offset;
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
    let offsets_topic = offsets_topic(file.offsets_topic, file.coordinator_failovers, file.assignment)?;
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
        workers,
        commit_policy: file.commit_policy.unwrap_or_default(),
        offsets_topic,
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
    fn trailing_content_and_wrong_types_are_errors() {
        assert!(parse_str(&format!("{VALID} x")).is_err());
        let e = parse_str(&VALID.replace("\"messages\": 3", "\"messages\": \"3\"")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("messages"));
        assert!(parse_str(&VALID.replace("\"messages\": 3", "\"messages\": -3")).is_err());
        assert!(parse_str(&VALID.replace("\"messages\": 3", "\"messages\": 99999999999")).is_err());
    }
}
