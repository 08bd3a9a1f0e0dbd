//! The scenario file exactly as written, and its one conversion into [`Scenario`].
//!
//! The structs here carry the file's field names (a contract: scenario files
//! in users' repositories use them) and keep `Option` where the rules of
//! `rules.rs` must know whether a knob was written at all, not only its value.

use super::{
    Acks, Assignment, Assignor, AutoProcessing, Client, CommitConfig, CommitGuard, CommitMode, CommitOffset,
    CommitPolicy, Fencing, Gate, GroupConfig, LIMITS, MAX_OFFSETS_REPLICAS, NetworkConfig, NetworkKind,
    OffsetStore, OffsetsConfig, OffsetsTopicConfig, OnCommitError, PROPERTY_NAMES, Problem, Scenario,
    Strategy,
};
use super::{fields, hints};
use crate::verdict::Expectation;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The file format, exactly as written; [`Scenario`] is what survives validation.
///
/// Unknown fields are not denied by serde here (it would stop at the first):
/// `fields.rs` names every one, from the JSON, before these are read.
#[derive(Deserialize)]
pub(super) struct ScenarioFile {
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) client: Client,
    pub(super) partitions: u32,
    pub(super) messages: u32,
    pub(super) consumers: u32,
    pub(super) strategy: Strategy,
    #[serde(default)]
    pub(super) crashes: u32,
    #[serde(default = "one")]
    pub(super) max_poll_records: u32,
    #[serde(default = "one")]
    pub(super) commit_every: u32,
    pub(super) commit: Option<CommitFile>,
    #[serde(default)]
    pub(super) network: NetworkKind,
    pub(super) losses: Option<u32>,
    pub(super) duplicates: Option<u32>,
    #[serde(default = "one")]
    pub(super) workers: u32,
    pub(super) commit_policy: Option<CommitPolicy>,
    #[serde(default)]
    pub(super) assignment: Assignment,
    pub(super) assignor: Option<Assignor>,
    #[serde(default)]
    pub(super) pauses: u32,
    #[serde(default)]
    pub(super) fencing: Fencing,
    pub(super) commit_on_revoke: Option<bool>,
    pub(super) on_commit_error: Option<OnCommitError>,
    pub(super) offsets_topic: Option<OffsetsTopicFile>,
    #[serde(default)]
    pub(super) coordinator_failovers: u32,
    #[serde(default)]
    pub(super) produce: u32,
    pub(super) offsets: Option<OffsetsConfig>,
    /// Kafka consumer config keys and their string values, as in a
    /// `consumer.properties` (`consumer_config.rs`).
    pub(super) consumer_config: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) expect: BTreeMap<String, ExpectedVerdict>,
    #[serde(default)]
    pub(super) gate: Gate,
}

/// The `commit` object as written.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub(super) struct CommitFile {
    #[serde(default)]
    pub(super) offset: CommitOffset,
    #[serde(default)]
    pub(super) mode: CommitMode,
    pub(super) retries: Option<u32>,
    pub(super) guard: Option<CommitGuard>,
    pub(super) processing: Option<AutoProcessing>,
    /// librdkafka's `enable.auto.offset.store`.
    pub(super) store: Option<OffsetStore>,
}

/// `offsets_topic` as written.
#[derive(Clone, Copy, Deserialize)]
pub(super) struct OffsetsTopicFile {
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

/// Only definite verdicts can be expected: `unknown` is an outcome, not a
/// goal. `any` is no expectation: the property is checked and reported, never gated.
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum ExpectedVerdict {
    Holds,
    Violated,
    Any,
}

impl ScenarioFile {
    /// Deserializes the text, with its JSON (which tells a field written
    /// from one left at its default). A syntax error is the one problem;
    /// past it, every unknown field is one, and every field's type error
    /// (serde stops at the first; `fields.rs` finds the others): then
    /// there is no file.
    pub(super) fn read(bytes: &[u8], problems: &mut Vec<Problem>) -> Option<(ScenarioFile, Value)> {
        let json: Value = match serde_json::from_slice(bytes) {
            Ok(json) => json,
            Err(e) => {
                let message = match hints::not_json(bytes) {
                    Some(hint) => format!("{}; {hint}", describe_json_error(&e)),
                    None => describe_json_error(&e),
                };
                problems
                    .push(Problem { position: Some((e.line(), e.column())), ..Problem::new(None, message) });
                return None;
            }
        };
        let mut found = fields::unknown_fields(bytes, &json);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let file = match serde_path_to_error::deserialize::<_, ScenarioFile>(&mut de) {
            Ok(file) => Some((file, json)),
            Err(e) => {
                let field = e.path().to_string();
                let inner = e.into_inner();
                let field = (field != ".").then_some(field);
                let position = (inner.line() > 0).then(|| (inner.line(), inner.column()));
                let message = describe_json_error(&inner);
                let message = hints::variant_meant(&message).unwrap_or(message);
                let first = field.as_deref().map(|f| f.split('.').next().unwrap_or(f));
                found.extend(fields::other_type_errors(bytes, &json, first));
                found.push(Problem { field, position, message, rule: None });
                None
            }
        };
        // Unknown fields and type errors together, in the file's order.
        found.sort_by_key(|p| p.position);
        problems.extend(found);
        file
    }

    /// The typed scenario, every number narrowed to the model's types.
    /// A number out of range, an empty name or an unknown property adds a
    /// problem (and the scenario, holding a stand-in value, must then be
    /// dropped); the rules between fields are `rules.rs`'s.
    pub(super) fn scenario(&self, problems: &mut Vec<Problem>) -> Scenario {
        if self.name.trim().is_empty() {
            problems.push(Problem::new(Some("name"), "must not be empty".into()));
        }
        let mut n = Narrow(problems);
        let commit = self.commit.unwrap_or_default();
        Scenario {
            name: self.name.clone(),
            description: self.description.clone(),
            client: self.client,
            partitions: n.range("partitions", self.partitions, 1, LIMITS.partitions),
            messages: n.range("messages", self.messages, 0, LIMITS.messages),
            consumers: n.range("consumers", self.consumers, 1, LIMITS.consumers),
            strategy: self.strategy,
            crashes: n.range("crashes", self.crashes, 0, LIMITS.crashes),
            max_poll_records: n.range("max_poll_records", self.max_poll_records, 1, LIMITS.max_poll_records),
            commit_every: n.range("commit_every", self.commit_every, 1, LIMITS.max_poll_records),
            workers: n.range("workers", self.workers, 1, LIMITS.workers),
            commit_policy: self.commit_policy.unwrap_or_default(),
            group: GroupConfig {
                assignment: self.assignment,
                assignor: self.assignor.unwrap_or_default(),
                pauses: n.range("pauses", self.pauses, 0, LIMITS.crashes),
                fencing: self.fencing,
                commit_on_revoke: self.commit_on_revoke.unwrap_or(false),
                on_commit_error: self.on_commit_error.unwrap_or_default(),
            },
            commit_offset: commit.offset,
            commit: CommitConfig {
                mode: commit.mode,
                retries: n.range("commit.retries", commit.retries.unwrap_or(0), 0, LIMITS.crashes),
                guard: commit.guard.unwrap_or_default(),
                processing: commit.processing.unwrap_or_default(),
                store: commit.store.unwrap_or_default(),
            },
            network: self.network_config(&mut n),
            offsets_topic: self.offsets_topic_config(&mut n),
            // The log ends at `messages + produce`, which must fit the limit too.
            produce: n.range("produce", self.produce, 0, LIMITS.messages.saturating_sub(self.messages)),
            offsets: self.offsets.unwrap_or_default(),
            expect: self.expected_verdicts(n.0),
            gate: self.gate,
            consumer_config: Vec::new(),
        }
    }

    /// A fault budget counts only on the network it belongs to (written
    /// elsewhere, `rules.rs` rejects it); written or not, it is at least 1 there.
    fn network_config(&self, n: &mut Narrow) -> NetworkConfig {
        let mut budget = |field, kind, value: Option<u32>| match self.network == kind {
            true => n.range(field, value.unwrap_or(1), 1, LIMITS.crashes),
            false => 0,
        };
        NetworkConfig {
            kind: self.network,
            losses: budget("losses", NetworkKind::Lossy, self.losses),
            duplicates: budget("duplicates", NetworkKind::Duplicating, self.duplicates),
        }
    }

    fn offsets_topic_config(&self, n: &mut Narrow) -> OffsetsTopicConfig {
        let failovers = n.range("coordinator_failovers", self.coordinator_failovers, 0, LIMITS.crashes);
        let Some(topic) = self.offsets_topic else {
            return OffsetsTopicConfig { failovers, ..OffsetsTopicConfig::default() };
        };
        OffsetsTopicConfig {
            replicas: n.range("offsets_topic.replicas", topic.replicas, 1, MAX_OFFSETS_REPLICAS),
            acks: topic.acks,
            unclean_election: topic.unclean_election,
            failovers,
        }
    }

    fn expected_verdicts(&self, problems: &mut Vec<Problem>) -> BTreeMap<String, Expectation> {
        let mut expect = BTreeMap::new();
        for (property, verdict) in &self.expect {
            if !PROPERTY_NAMES.contains(&property.as_str()) {
                let meant = match hints::closest(property, PROPERTY_NAMES) {
                    Some(name) => format!("; did you mean `{name}`?"),
                    None => String::new(),
                };
                problems.push(Problem::new(
                    Some("expect"),
                    format!(
                        "unknown property `{property}`, expected one of {}{meant}",
                        PROPERTY_NAMES.join(", ")
                    ),
                ));
            }
            let expectation = match verdict {
                ExpectedVerdict::Holds => Expectation::Holds,
                ExpectedVerdict::Violated => Expectation::Violated,
                ExpectedVerdict::Any => Expectation::Any,
            };
            expect.insert(property.clone(), expectation);
        }
        expect
    }
}

/// Narrows the file's numbers to the model's `u8`s, collecting a problem
/// for each one out of range.
struct Narrow<'a>(&'a mut Vec<Problem>);

impl Narrow<'_> {
    /// `value` if it lies in `min..=max`; otherwise a problem and 0 (the
    /// scenario is dropped then).
    fn range(&mut self, field: &str, value: u32, min: u32, max: u32) -> u8 {
        let message = if value < min || value > max {
            format!("must be between {min} and {max}, got {value}")
        } else if let Ok(value) = u8::try_from(value) {
            return value;
        } else {
            format!("must be at most {}, got {value}", u8::MAX)
        };
        self.0.push(Problem::new(Some(field), message));
        0
    }
}

/// serde_json's message without its trailing " at line L column C", which
/// [`super::ScenarioError`] already shows in `file:line:column` form.
fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
