//! A Java consumer's own settings (README.md, "Your consumer's config: Kafka settings and scenario fields"): the
//! scenario's `consumer_config` object and `check --consumer-config
//! FILE.properties`, keys and values exactly as in a `consumer.properties`.
//!
//! Each key is read as `ConsumerConfig` (Kafka's
//! `clients/.../consumer/ConsumerConfig.java`) reads it: values are trimmed,
//! booleans are `true`/`false` in any case, numbers are Java `int`s within the
//! key's validator, enumerated strings are case-sensitive. A key the model
//! has a knob for is written onto the scenario's fields *before* they are
//! validated, so every rule of `rules.rs` applies to it, and a problem found
//! in such a field names the key that set it. A key the model has no knob
//! for is kept as a [`Setting`] whose [`Effect`] says why, and shows as a
//! note (`notes.rs`): never silently dropped.
//!
//! A `.properties` file is read like `java.util.Properties.load` reads it
//! (ISO-8859-1, `=`/`:`/space separators, `\` continuations, and the last of
//! a repeated key wins); a key of the file applies as if it were written in
//! the scenario's `consumer_config`, and the same key with two different
//! values there and in the file is an error naming both.

use super::file::ScenarioFile;
use super::{Assignment, Assignor, Client, CommitMode, OffsetStore, Problem, Reset, ScenarioError};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a key of a consumer config was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The scenario file's own `consumer_config` object.
    Scenario,
    /// A `.properties` file given with `check --consumer-config`, at a 1-based line.
    Properties { file: PathBuf, line: usize },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Scenario => write!(f, "the scenario's consumer_config"),
            Origin::Properties { file, line } => write!(f, "{}:{line}", file.display()),
        }
    }
}

/// One `key=value` of a consumer config, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub origin: Origin,
    /// Earlier lines of the same `.properties` file that set this key too
    /// (`Properties.load` keeps the last).
    pub shadowed: Vec<usize>,
}

impl Entry {
    /// `` `key=value` `` and, for a `.properties` file, where: how problems and notes name it.
    pub fn describe(&self) -> String {
        match self.origin {
            Origin::Scenario => format!("`{}={}`", self.key, self.value),
            Origin::Properties { .. } => format!("`{}={}` ({})", self.key, self.value, self.origin),
        }
    }
}

/// A consumer config read from a `.properties` file (`check --consumer-config`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// One entry per key, in the order of the keys' last lines.
    pub entries: Vec<Entry>,
}

impl ConsumerConfig {
    /// Reads a `.properties` file; an error names the file (and the line, for a syntax error).
    pub fn read(path: &Path) -> Result<ConsumerConfig, ScenarioError> {
        let bytes = std::fs::read(path)
            .map_err(|e| ScenarioError::one(path, Problem::new(None, format!("cannot read file: {e}"))))?;
        ConsumerConfig::parse(path, &bytes)
    }

    /// Parses `.properties` text; `path` names the file in entries and errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<ConsumerConfig, ScenarioError> {
        let mut entries: Vec<Entry> = Vec::new();
        for line in java_properties::PropertiesIter::new(bytes) {
            let line = line.map_err(|e| {
                let problem = Problem {
                    position: e.line_number().map(|l| (l, 1)),
                    ..Problem::new(None, format!("not a .properties file: {e}"))
                };
                ScenarioError::one(path, problem)
            })?;
            let number = line.line_number();
            let java_properties::LineContent::KVPair(key, value) = line.consume_content() else { continue };
            let mut shadowed = Vec::new();
            if let Some(i) = entries.iter().position(|e| e.key == key) {
                let earlier = entries.remove(i);
                shadowed = earlier.shadowed;
                if let Origin::Properties { line, .. } = earlier.origin {
                    shadowed.push(line);
                }
            }
            let origin = Origin::Properties { file: path.to_path_buf(), line: number };
            entries.push(Entry { key, value, origin, shadowed });
        }
        Ok(ConsumerConfig { entries })
    }
}

/// What the model makes of one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Written onto this scenario field (or agreeing with it).
    Field(&'static str),
    /// Accepted; the model covers what it controls another way (the text says how).
    Instead(&'static str),
    /// Accepted; nothing the model checks depends on it here (the text says why).
    NoEffect(&'static str),
    /// A Kafka mechanism the model does not have (the text says what that leaves out).
    NotModelled(&'static str),
}

/// One key of the scenario's consumer config and what the model made of it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Setting {
    pub entry: Entry,
    pub effect: Effect,
}

/// A key the model has a knob for, with the value read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Knob {
    /// `enable.auto.commit`: true is `commit.mode` auto; false leaves the scenario's own mode.
    AutoCommit(bool),
    /// librdkafka's `enable.auto.offset.store`: true is `commit.store`
    /// on-poll, false after-processing.
    OffsetStore(bool),
    Reset(Reset),
    MaxPollRecords(u32),
    Assignor(Assignor),
}

/// What a key means to the model, once its value is read.
#[derive(Debug)]
enum Meaning {
    Knob(Knob),
    Effect(Effect),
}

const ISOLATION: &str = "no effect in this model: the input topic holds no transactional records \
     (producer transactions, aborts and markers are not modelled), so read_committed and \
     read_uncommitted return the same records";
const JAVA_OFFSET_STORE: &str = "no effect with the Java client: enable.auto.offset.store is \
     librdkafka's (the Java KafkaConsumer logs it as an unknown config and has no offset store); \
     set \"client\": \"librdkafka\" to model it";
const AUTO_COMMIT_INTERVAL: &str = "the model has no clock: with commit.mode auto the interval may \
     elapse between any two steps, which covers every interval";
const MAX_POLL_INTERVAL: &str = "the model has no clock: a live member evicted for polling too \
     slowly is the `pauses` budget (each pause may outlast max.poll.interval.ms)";
const SESSION_TIMEOUT: &str = "the model has no clock: a crashed member's session always times out \
     eventually, and a live member missing its heartbeats is the `pauses` budget";
const HEARTBEAT: &str = "the model has no clock: a member may learn of a rebalance at any step \
     after it started, as with any heartbeat interval";
const STATIC_MEMBERSHIP: &str = "static membership (KIP-345) is not modelled: a restarted consumer \
     rejoins as a new member and triggers a rebalance, where Kafka would give a static member its \
     partitions back without one while session.timeout.ms has not passed";
const NAMES_ONLY: &str = "no effect on delivery: every consumer of a scenario is in one group, and \
     names do not change which records are read or committed";
const WHERE_BROKERS_ARE: &str = "no effect on delivery: it says where the brokers are, not how the \
     consumer reads or commits";
const DESERIALIZER: &str =
    "no effect on delivery: how bytes become objects (a deserializer that throws is not modelled)";
const MANUAL_ASSIGNOR: &str =
    "no effect with manual assignment: assign() consumers are given no partitions by an assignor";
const NOT_MODELLED: &str = "not modelled: the model has no knob for this key";

/// The assignors of `partition.assignment.strategy`, by Java class name.
const ASSIGNORS: [(&str, Assignor); 4] = [
    ("org.apache.kafka.clients.consumer.RangeAssignor", Assignor::Range),
    ("org.apache.kafka.clients.consumer.RoundRobinAssignor", Assignor::RoundRobin),
    ("org.apache.kafka.clients.consumer.StickyAssignor", Assignor::Sticky),
    ("org.apache.kafka.clients.consumer.CooperativeStickyAssignor", Assignor::CooperativeSticky),
];

/// A key the model knows: the scenario field it writes, if it has a knob,
/// and how its value is read (`Err`: why Kafka or the model cannot take it).
struct Key {
    name: &'static str,
    field: Option<&'static str>,
    read: fn(&str) -> Result<Meaning, String>,
}

fn knob(k: Knob) -> Result<Meaning, String> {
    Ok(Meaning::Knob(k))
}

fn effect(e: Effect) -> Result<Meaning, String> {
    Ok(Meaning::Effect(e))
}

/// Every key the model knows, in one list: what `meaning` reads, and what a
/// scenario field spelt like a Kafka key is pointed to (`kafka_key`). A key
/// not listed is accepted and noted as not modelled.
const KEYS: &[Key] = &[
    Key {
        name: "enable.auto.commit",
        field: Some("commit.mode"),
        read: |v| knob(Knob::AutoCommit(boolean(v)?)),
    },
    Key {
        name: "enable.auto.offset.store",
        field: Some("commit.store"),
        read: |v| knob(Knob::OffsetStore(boolean(v)?)),
    },
    Key { name: "auto.offset.reset", field: Some("offsets.reset"), read: |v| knob(Knob::Reset(reset(v)?)) },
    Key {
        name: "max.poll.records",
        field: Some("max_poll_records"),
        read: |v| knob(Knob::MaxPollRecords(java_int(v, 1)?)),
    },
    Key {
        name: "partition.assignment.strategy",
        field: Some("assignor"),
        read: |v| knob(Knob::Assignor(assignor(v)?)),
    },
    Key {
        name: "isolation.level",
        field: None,
        read: |v| one_of(v, &["read_uncommitted", "read_committed"]).and(effect(Effect::NoEffect(ISOLATION))),
    },
    Key {
        name: "auto.commit.interval.ms",
        field: None,
        read: |v| java_int(v, 0).and(effect(Effect::Instead(AUTO_COMMIT_INTERVAL))),
    },
    Key {
        name: "max.poll.interval.ms",
        field: None,
        read: |v| java_int(v, 1).and(effect(Effect::Instead(MAX_POLL_INTERVAL))),
    },
    // No client-side validator; the broker bounds them (group.min/max.session.timeout.ms).
    Key {
        name: "session.timeout.ms",
        field: None,
        read: |v| java_int(v, i32::MIN).and(effect(Effect::Instead(SESSION_TIMEOUT))),
    },
    Key {
        name: "heartbeat.interval.ms",
        field: None,
        read: |v| java_int(v, i32::MIN).and(effect(Effect::Instead(HEARTBEAT))),
    },
    Key {
        name: "group.instance.id",
        field: None,
        read: |v| match v.is_empty() {
            true => Err("must not be empty (Kafka: NonEmptyString)".into()),
            false => effect(Effect::NotModelled(STATIC_MEMBERSHIP)),
        },
    },
    Key { name: "group.id", field: None, read: |_| effect(Effect::NoEffect(NAMES_ONLY)) },
    Key { name: "client.id", field: None, read: |_| effect(Effect::NoEffect(NAMES_ONLY)) },
    Key { name: "bootstrap.servers", field: None, read: |_| effect(Effect::NoEffect(WHERE_BROKERS_ARE)) },
    Key { name: "key.deserializer", field: None, read: |_| effect(Effect::NoEffect(DESERIALIZER)) },
    Key { name: "value.deserializer", field: None, read: |_| effect(Effect::NoEffect(DESERIALIZER)) },
];

/// Reads one key's value as `ConsumerConfig` would; `Err` is why Kafka or
/// the model cannot take it.
fn meaning(key: &str, value: &str) -> Result<Meaning, String> {
    match KEYS.iter().find(|k| k.name == key) {
        Some(k) => (k.read)(value.trim()),
        None => effect(Effect::NotModelled(NOT_MODELLED)),
    }
}

/// The key the model knows that a key it does not know was probably meant
/// to be (`enable.auto.comit`): the Java client takes such a key without
/// complaint and only logs it at INFO ("These configurations '[...]' were
/// supplied but are not used yet", `AbstractConfig.logUnused`), so its
/// note is the one place the typo shows.
pub(super) fn misspelt_key(key: &str) -> Option<&'static str> {
    if KEYS.iter().any(|k| k.name == key) {
        return None;
    }
    super::hints::closest(key, KEYS.iter().map(|k| k.name))
}

/// The Kafka consumer key a name is, written as Kafka spells it or with
/// `_` for `.` and in any case (`enable_auto_commit`), with the scenario
/// field its knob writes (`None`: a key the model knows but has no field for).
pub(super) fn kafka_key(name: &str) -> Option<(&'static str, Option<&'static str>)> {
    let same = |key: &str| {
        key.len() == name.len()
            && key
                .chars()
                .zip(name.chars())
                .all(|(k, n)| k == n.to_ascii_lowercase() || (k == '.' && n == '_'))
    };
    KEYS.iter().find(|k| same(k.name)).map(|k| (k.name, k.field))
}

/// `ConfigDef.parseType` for BOOLEAN: `true` or `false`, in any case.
fn boolean(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("Kafka expects `true` or `false`".into()),
    }
}

/// A Java `int` (`Integer.parseInt`) of at least `min` (`ConfigDef.Range.atLeast`).
fn java_int(v: &str, min: i32) -> Result<u32, String> {
    let n: i32 = v.parse().map_err(|_| "Kafka expects a 32-bit integer".to_string())?;
    if n < min {
        return Err(format!("Kafka requires a value of at least {min}"));
    }
    Ok(u32::try_from(n).unwrap_or(0))
}

fn one_of(v: &str, values: &[&str]) -> Result<(), String> {
    match values.contains(&v) {
        true => Ok(()),
        false => Err(format!("Kafka expects one of {}", values.join(", "))),
    }
}

/// `auto.offset.reset`: earliest, latest or none (case-sensitive, as its
/// `ValidString` validator). Kafka 4.0's `by_duration:` (KIP-1106) starts at
/// a timestamp, which the model's records do not have.
fn reset(v: &str) -> Result<Reset, String> {
    match v {
        "earliest" => Ok(Reset::Earliest),
        "latest" => Ok(Reset::Latest),
        "none" => Ok(Reset::None),
        _ if v.starts_with("by_duration:") => {
            Err("`by_duration:` (Kafka 4.0, KIP-1106) is not representable: \
             the model's records have no timestamps; use earliest, latest or none"
                .into())
        }
        _ => Err("Kafka expects one of earliest, latest, none".into()),
    }
}

/// `partition.assignment.strategy`: a comma-separated list of assignor
/// classes. Every consumer of a scenario has the same list, so the group
/// coordinator's vote (`ClassicGroup.selectProtocol`: each member votes for
/// its first protocol all members support) picks the first class. The
/// rebalance protocol is the highest one *every* listed class supports
/// (`ConsumerCoordinator`'s constructor), so the cooperative-sticky assignor
/// listed before an eager-only one runs eagerly: Kafka's upgrade path, which
/// the model has no assignor for.
fn assignor(v: &str) -> Result<Assignor, String> {
    let names: Vec<&str> = v.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        return Err("must name at least one assignor class".into());
    }
    let mut listed = Vec::new();
    for name in &names {
        let Some(&(_, a)) = ASSIGNORS.iter().find(|(class, _)| class == name) else {
            let classes: Vec<&str> = ASSIGNORS.iter().map(|(c, _)| *c).collect();
            return Err(format!(
                "`{name}` is not an assignor the model has; Kafka's are {} (a custom \
                 ConsumerPartitionAssignor is not modelled)",
                classes.join(", ")
            ));
        };
        listed.push(a);
    }
    let first = listed[0];
    if !first.is_eager() && listed.iter().any(|a| a.is_eager()) {
        return Err("CooperativeStickyAssignor listed with an eager-only assignor runs under the eager \
                    protocol (the highest protocol every listed assignor supports): not modelled; list \
                    CooperativeStickyAssignor alone, or an eager assignor first"
            .into());
    }
    Ok(first)
}

/// The consumer config applied to a scenario file: the settings, and which
/// field each key set, so that problems found in those fields name the key.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) settings: Vec<Setting>,
    /// Scenario field → the entry that set it.
    set_by: BTreeMap<&'static str, String>,
}

impl Applied {
    /// Adds to each problem whose field (or a field its rule reads) a key
    /// set which key that was.
    pub(super) fn annotate(&self, problems: &mut [Problem]) {
        for p in problems {
            let rule = p.rule.and_then(|name| super::rules::RULES.iter().find(|r| r.name == name));
            let fields = p
                .field
                .iter()
                .map(String::as_str)
                .chain(rule.into_iter().flat_map(|r| r.with.iter().copied()));
            let by: Vec<String> = fields
                .filter_map(|f| self.set_by.get(f).map(|entry| format!("`{f}` set by {entry}")))
                .collect();
            if !by.is_empty() {
                p.message = format!("{} ({})", p.message, by.join(", "));
            }
        }
    }
}

/// Applies the scenario's own `consumer_config` and the `--consumer-config`
/// file's keys to `file`, before its fields are validated. `written` is the
/// file's JSON, which tells a field written explicitly from one left at its
/// default. Every value Kafka or the model cannot take, every conflict with
/// an explicit field and every key given two values is a problem.
pub(super) fn apply(
    file: &mut ScenarioFile,
    written: &serde_json::Value,
    cli: Option<&ConsumerConfig>,
    problems: &mut Vec<Problem>,
) -> Applied {
    let mut applied = Applied::default();
    let entries = merged(file, cli, problems);
    heartbeat_below_session(&entries, problems);
    for entry in entries {
        let field = format!("consumer_config.{}", entry.key);
        match meaning(&entry.key, &entry.value) {
            Err(why) => {
                let at = match entry.origin {
                    Origin::Scenario => String::new(),
                    _ => format!(" ({})", entry.origin),
                };
                problems.push(Problem::new(Some(&field), format!("`{}`{at}: {why}", entry.value.trim())));
            }
            Ok(Meaning::Effect(effect)) => applied.settings.push(Setting { entry, effect }),
            Ok(Meaning::Knob(knob)) => {
                let (effect, wrote) = set(file, written, knob, &entry, problems);
                if let (Effect::Field(f), true) = (effect, wrote) {
                    applied.set_by.insert(f, entry.describe());
                }
                applied.settings.push(Setting { entry, effect });
            }
        }
    }
    applied
}

/// The Java client refuses a heartbeat interval not below the session
/// timeout (`Heartbeat`'s constructor: "Heartbeat must be set lower than the
/// session timeout"); both default (3 s, 45 s) when not set.
fn heartbeat_below_session(entries: &[Entry], problems: &mut Vec<Problem>) {
    let ms = |key: &str, default: i64| {
        let e = entries.iter().find(|e| e.key == key);
        (e.map_or(Some(default), |e| e.value.trim().parse().ok()), e)
    };
    let ((Some(heartbeat), h), (Some(session), s)) =
        (ms("heartbeat.interval.ms", 3000), ms("session.timeout.ms", 45000))
    else {
        return;
    };
    if heartbeat >= session {
        let named = |e: Option<&Entry>, key: &str, ms: i64| {
            e.map_or(format!("`{key}` (default {ms})"), Entry::describe)
        };
        problems.push(Problem::new(
            Some("consumer_config.heartbeat.interval.ms"),
            format!(
                "{} must be lower than {}: the Java client refuses it",
                named(h, "heartbeat.interval.ms", heartbeat),
                named(s, "session.timeout.ms", session)
            ),
        ));
    }
}

/// The scenario's entries, then the file's keys the scenario does not
/// have; a key both give different values is a problem naming both places.
fn merged(file: &ScenarioFile, cli: Option<&ConsumerConfig>, problems: &mut Vec<Problem>) -> Vec<Entry> {
    let own = file.consumer_config.iter().flatten();
    let mut entries: Vec<Entry> = own
        .map(|(key, value)| Entry {
            key: key.clone(),
            value: value.clone(),
            origin: Origin::Scenario,
            shadowed: vec![],
        })
        .collect();
    for e in cli.map(|c| c.entries.as_slice()).unwrap_or_default() {
        match entries.iter().find(|mine| mine.key == e.key) {
            Some(mine) if mine.value.trim() != e.value.trim() => problems.push(Problem::new(
                Some(&format!("consumer_config.{}", e.key)),
                format!(
                    "`{}` is `{}` in the scenario's consumer_config but `{}` at {}",
                    e.key, mine.value, e.value, e.origin
                ),
            )),
            Some(_) => {}
            None => entries.push(e.clone()),
        }
    }
    entries
}

/// Writes a knob onto its field, unless the file wrote that field with
/// another value (a problem naming both); `true` when the field was written.
fn set(
    file: &mut ScenarioFile,
    written: &serde_json::Value,
    knob: Knob,
    entry: &Entry,
    problems: &mut Vec<Problem>,
) -> (Effect, bool) {
    let mut conflict = |field: &'static str, pointer: &str| {
        let value = written.pointer(pointer).map(|v| v.to_string()).unwrap_or_default();
        problems.push(Problem::new(
            Some(field),
            format!("{} conflicts with the scenario's \"{field}\": {value}", entry.describe()),
        ));
        (Effect::Field(field), false)
    };
    match knob {
        Knob::AutoCommit(auto) => {
            let mode = file.commit.unwrap_or_default().mode;
            if written.pointer("/commit/mode").is_some() && (mode == CommitMode::Auto) != auto {
                return conflict("commit.mode", "/commit/mode");
            }
            if auto {
                file.commit.get_or_insert_with(Default::default).mode = CommitMode::Auto;
            }
            (Effect::Field("commit.mode"), auto)
        }
        Knob::OffsetStore(_) if file.client != Client::Librdkafka => {
            (Effect::NoEffect(JAVA_OFFSET_STORE), false)
        }
        Knob::OffsetStore(on_poll) => {
            let store = if on_poll { OffsetStore::OnPoll } else { OffsetStore::AfterProcessing };
            let commit = file.commit.get_or_insert_with(Default::default);
            if written.pointer("/commit/store").is_some() && commit.store != Some(store) {
                return conflict("commit.store", "/commit/store");
            }
            commit.store = Some(store);
            (Effect::Field("commit.store"), true)
        }
        Knob::Reset(r) => {
            if written.pointer("/offsets/reset").is_some() && file.offsets.unwrap_or_default().reset != r {
                return conflict("offsets.reset", "/offsets/reset");
            }
            file.offsets.get_or_insert_with(Default::default).reset = r;
            (Effect::Field("offsets.reset"), true)
        }
        Knob::MaxPollRecords(n) => {
            if written.pointer("/max_poll_records").is_some() && file.max_poll_records != n {
                return conflict("max_poll_records", "/max_poll_records");
            }
            file.max_poll_records = n;
            (Effect::Field("max_poll_records"), true)
        }
        Knob::Assignor(_) if file.assignment == Assignment::Manual => {
            (Effect::NoEffect(MANUAL_ASSIGNOR), false)
        }
        Knob::Assignor(a) => {
            if file.assignor.is_some_and(|mine| mine != a) {
                return conflict("assignor", "/assignor");
            }
            file.assignor = Some(a);
            (Effect::Field("assignor"), true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_as_kafka_reads_them() {
        assert!(matches!(meaning("enable.auto.commit", " TRUE "), Ok(Meaning::Knob(Knob::AutoCommit(true)))));
        assert!(meaning("enable.auto.commit", "yes").unwrap_err().contains("`true` or `false`"));
        assert!(matches!(meaning("max.poll.records", "7"), Ok(Meaning::Knob(Knob::MaxPollRecords(7)))));
        assert!(meaning("max.poll.records", "0").unwrap_err().contains("at least 1"));
        assert!(meaning("max.poll.records", "2147483648").unwrap_err().contains("32-bit"));
        assert!(matches!(meaning("auto.offset.reset", "none"), Ok(Meaning::Knob(Knob::Reset(Reset::None)))));
        assert!(meaning("auto.offset.reset", "Latest").is_err(), "ValidString is case-sensitive");
        assert!(meaning("auto.offset.reset", "by_duration:PT1H").unwrap_err().contains("KIP-1106"));
        assert!(meaning("isolation.level", "read-committed").is_err());
        assert!(matches!(
            meaning("isolation.level", "read_committed"),
            Ok(Meaning::Effect(Effect::NoEffect(_)))
        ));
        assert!(meaning("auto.commit.interval.ms", "-1").is_err());
        assert!(matches!(meaning("session.timeout.ms", "45000"), Ok(Meaning::Effect(Effect::Instead(_)))));
        assert!(matches!(meaning("group.instance.id", "a"), Ok(Meaning::Effect(Effect::NotModelled(_)))));
        assert!(meaning("group.instance.id", " ").is_err());
        assert!(matches!(
            meaning("fetch.min.bytes", "1"),
            Ok(Meaning::Effect(Effect::NotModelled(NOT_MODELLED)))
        ));
    }

    /// `KEYS` names the field a knob writes (what an unknown field spelt
    /// like the key is pointed to); `set` writes it: they must agree.
    #[test]
    fn each_knob_writes_the_field_its_key_is_listed_with() {
        let text = br#"{"name": "n", "partitions": 1, "messages": 1, "consumers": 1,
            "strategy": "at-least-once", "client": "librdkafka", "assignment": "group"}"#;
        let value = |key: &str| match key {
            "partition.assignment.strategy" => "org.apache.kafka.clients.consumer.StickyAssignor",
            "auto.offset.reset" => "latest",
            "max.poll.records" => "2",
            _ => "true",
        };
        for key in KEYS.iter().filter(|k| k.field.is_some()) {
            let Ok(Meaning::Knob(knob)) = meaning(key.name, value(key.name)) else { panic!("{}", key.name) };
            let (mut file, written) = ScenarioFile::read(text, &mut Vec::new()).expect("a valid file");
            let entry =
                Entry { key: key.name.into(), value: "v".into(), origin: Origin::Scenario, shadowed: vec![] };
            let (effect, wrote) = set(&mut file, &written, knob, &entry, &mut Vec::new());
            assert_eq!((effect, wrote), (Effect::Field(key.field.unwrap()), true), "{}", key.name);
        }
        assert_eq!(kafka_key("Enable_Auto_Commit"), Some(("enable.auto.commit", Some("commit.mode"))));
        assert_eq!(kafka_key("session.timeout.ms"), Some(("session.timeout.ms", None)));
        assert_eq!(kafka_key("fetch.min.bytes"), None);
        assert_eq!(misspelt_key("enable.auto.comit"), Some("enable.auto.commit"));
        assert_eq!(misspelt_key("enable_auto_commit"), Some("enable.auto.commit"), "Kafka reads dots only");
        assert_eq!((misspelt_key("group.id"), misspelt_key("fetch.min.bytes")), (None, None));
    }

    #[test]
    fn a_heartbeat_not_below_the_session_timeout_is_refused_as_by_the_java_client() {
        let entry = |key: &str, value: &str| Entry {
            key: key.into(),
            value: value.into(),
            origin: Origin::Scenario,
            shadowed: vec![],
        };
        let mut problems = Vec::new();
        heartbeat_below_session(&[entry("session.timeout.ms", "10000")], &mut problems);
        heartbeat_below_session(&[entry("heartbeat.interval.ms", "x")], &mut problems);
        assert_eq!(problems, vec![], "3 s is below 10 s; a bad number is reported by its key");
        heartbeat_below_session(&[entry("session.timeout.ms", "3000")], &mut problems);
        assert_eq!(
            problems[0].message,
            "`heartbeat.interval.ms` (default 3000) must be lower than `session.timeout.ms=3000`: the Java client refuses it"
        );
    }

    #[test]
    fn the_first_assignor_class_wins_unless_it_would_run_under_another_protocol() {
        let read = |v: &str| assignor(v);
        assert_eq!(read("org.apache.kafka.clients.consumer.StickyAssignor"), Ok(Assignor::Sticky));
        // Kafka 3.x's default list: range, eagerly.
        let default = "org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
        assert_eq!(read(default), Ok(Assignor::Range));
        let upgrade = "org.apache.kafka.clients.consumer.CooperativeStickyAssignor,org.apache.kafka.clients.consumer.RangeAssignor";
        assert!(read(upgrade).unwrap_err().contains("eager protocol"));
        assert!(read("range").unwrap_err().contains("`range` is not an assignor"));
        assert!(read(" , ").unwrap_err().contains("at least one"));
    }

    #[test]
    fn a_properties_file_keeps_lines_and_the_last_of_a_repeated_key() {
        let text = "# my consumer\nenable.auto.commit = true\nmax.poll.records: 2\n\nmax.poll.records=3\ngroup.id \\\n  orders\n";
        let c = ConsumerConfig::parse(Path::new("c.properties"), text.as_bytes()).unwrap();
        let keys: Vec<(&str, &str)> = c.entries.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect();
        assert_eq!(keys, [("enable.auto.commit", "true"), ("max.poll.records", "3"), ("group.id", "orders")]);
        let mpr = &c.entries[1];
        assert_eq!(mpr.origin, Origin::Properties { file: "c.properties".into(), line: 5 });
        assert_eq!(mpr.shadowed, [3]);
        assert_eq!(mpr.describe(), "`max.poll.records=3` (c.properties:5)");
    }
}
