//! What `check` says about a valid scenario that a knob does nothing in,
//! or whose scope makes two values of a knob check the same (README.md,
//! "Notes"): each detected from the scenario alone, one row of [`NOTES`],
//! and each *sound* for the model as it is: where a note says a knob does
//! nothing, checking the scenario without it gives the same states and
//! verdicts (`tests` below check that on small scenarios, so a model change
//! that breaks a note's reasoning fails there). A note that might be wrong
//! is left out: a wrong note is worse than none.
//!
//! After the rows come the notes of the scenario's consumer config: every key
//! the model does not use, and Kafka defaults the config leaves in force
//! that the scenario does not check. Notes never change a verdict or the exit status.

use super::consumer_config::{Effect, Origin};
use super::{
    Assignment, Assignor, Client, CommitGuard, CommitMode, CommitOffset, NetworkKind, OffsetStore,
    OffsetsConfig, OnCommitError, Reset, Retention, Scenario, Strategy,
};

/// One note about a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// A stable name (the JSON output's `notes[].name`).
    pub name: &'static str,
    pub message: String,
}

/// One kind of note, detected from the scenario alone.
pub struct NoteRule {
    /// A stable name, for tests and the JSON output.
    pub name: &'static str,
    /// The fields the condition reads.
    pub fields: &'static [&'static str],
    /// Whether the note applies.
    applies: fn(&Scenario) -> bool,
    message: fn(&Scenario) -> String,
}

/// Every note of a scenario: the rows of [`NOTES`] that apply, in table
/// order, then its consumer config's.
pub fn notes(s: &Scenario) -> Vec<Note> {
    let mut notes: Vec<Note> = NOTES
        .iter()
        .filter(|row| (row.applies)(s))
        .map(|row| Note { name: row.name, message: (row.message)(s) })
        .collect();
    consumer_config_notes(s, &mut notes);
    notes
}

pub const NOTES: &[NoteRule] = &[
    // `Scenario::stores_after_processing` reads `commit.store` only with
    // auto-commit: the model's manual commits name their offsets.
    NoteRule {
        name: "offset-store-manual-commits",
        fields: &["commit.store", "commit.mode", "client"],
        applies: |s| {
            s.client == Client::Librdkafka
                && s.commit.mode != CommitMode::Auto
                && s.commit.store == OffsetStore::AfterProcessing
        },
        message: |_| {
            "`commit.store` does nothing here: the consumer commits with commit.mode sync or async, naming \
             the offsets it commits (rd_kafka_commit with an explicit list), so the offset store that \
             enable.auto.commit's timer reads plays no part"
                .into()
        },
    },
    // At a poll, such a consumer has committed every batch it processed
    // (`src/model/consumer/strategy.rs` commits before polling again; a
    // rejected commit loses the partitions, which are not revoked), so the
    // flush in `onPartitionsRevoked` (`poll.rs`) never finds anything. A
    // position reset to `latest` is ahead of the committed offset: excluded.
    NoteRule {
        name: "commit-on-revoke-never-lags",
        fields: &[
            "commit_on_revoke",
            "strategy",
            "commit.mode",
            "commit_every",
            "commit.offset",
            "workers",
            "offsets.reset",
        ],
        applies: |s| s.group.commit_on_revoke && commits_every_batch(s) && s.offsets.reset != Reset::Latest,
        message: |_| {
            "`commit_on_revoke` does nothing here: an at-least-once consumer that calls commitSync() after \
             every batch (commit_every 1, commit.offset next, one worker) has committed all it processed \
             before a poll gives a partition up, so onPartitionsRevoked has nothing to commit"
                .into()
        },
    },
    NoteRule {
        name: "lone-member-assignor",
        fields: &["assignor", "consumers", "crashes", "coordinator_failovers", "network"],
        applies: |s| one_member_ever(s) && s.group.assignor != Assignor::default(),
        message: |s| {
            format!(
                "`assignor` {} does nothing here: with one consumer that never crashes the group never has a \
                 second member (an evicted member is removed before it rejoins), and every assignor gives \
                 its only member every partition",
                assignor_name(s.group.assignor)
            )
        },
    },
    NoteRule {
        name: "lone-member-commit-on-revoke",
        fields: &["commit_on_revoke", "consumers", "crashes", "coordinator_failovers", "network"],
        applies: |s| one_member_ever(s) && s.group.commit_on_revoke,
        message: |_| {
            "`commit_on_revoke` does nothing here: with one consumer that never crashes no rebalance moves a \
             partition, so none is revoked (an evicted member's partitions are lost, onPartitionsLost, \
             and not committed)"
                .into()
        },
    },
    // A lone member that is never evicted joins once: generation 1 for
    // good, so `Group::validate_commit` never rejects its commits
    // (REBALANCE_IN_PROGRESS is answered only while a generation completes,
    // before the member has its assignment and anything to commit).
    NoteRule {
        name: "lone-member-on-commit-error",
        fields: &["on_commit_error", "consumers", "crashes", "pauses", "coordinator_failovers", "network"],
        applies: |s| {
            one_member_ever(s) && s.group.pauses == 0 && s.group.on_commit_error != OnCommitError::Skip
        },
        message: |s| {
            format!(
                "`on_commit_error` {} does nothing here: one consumer that never crashes or pauses stays \
                 member of the group's first generation, so the coordinator never rejects its commits \
                 (no CommitFailedException, no RebalanceInProgressException)",
                s.group.on_commit_error.name()
            )
        },
    },
    // Between two resets of the batch count (a commit, a rejoin, a restart)
    // each batch moves one owned partition's position forward by at least
    // one record, so a consumer receives at most `owned * log_end` batches.
    NoteRule {
        name: "commit-every-exceeds-batches",
        fields: &["commit_every", "partitions", "consumers", "assignment", "messages", "produce", "network"],
        applies: |s| {
            s.commit_every > 1
                && plain_commits(s)
                && matches!(s.network.kind, NetworkKind::Ordered | NetworkKind::Unordered)
                && u32::from(s.commit_every) > most_batches(s)
        },
        message: |s| {
            format!(
                "`commit_every` {} is more than the {} batch(es) a consumer can receive between two commits \
                 (one record a batch from each of its at most {} partition(s) of {} records), so no periodic \
                 commit happens: it commits only when idle; every commit_every above {} checks the same",
                s.commit_every,
                most_batches(s),
                most_owned(s),
                s.log_end(),
                most_batches(s)
            )
        },
    },
    // `src/model/consumer/workers.rs`: the pool works on one poll's batch at a time.
    NoteRule {
        name: "workers-exceed-max-poll-records",
        fields: &["workers", "max_poll_records"],
        applies: |s| s.workers > s.max_poll_records.max(2),
        message: |s| {
            format!(
                "`workers` {} is more than max_poll_records {}: a poll hands the workers at most {} record(s), \
                 so no more run at once; workers {} checks the same",
                s.workers,
                s.max_poll_records,
                s.max_poll_records,
                s.max_poll_records.max(2)
            )
        },
    },
    NoteRule {
        name: "max-poll-records-exceeds-log",
        fields: &["max_poll_records", "messages", "produce"],
        applies: |s| s.max_poll_records > s.log_end(),
        message: |s| {
            format!(
                "`max_poll_records` {} is more than the {} records of a partition (messages + produce): a poll \
                 never returns more, so every max_poll_records from {} on checks the same",
                s.max_poll_records,
                s.log_end(),
                s.log_end()
            )
        },
    },
    NoteRule {
        name: "guard-without-retries",
        fields: &["commit.guard", "commit.retries"],
        applies: |s| s.commit.guard != CommitGuard::None && s.commit.retries == 0,
        message: |_| {
            "`commit.guard` does nothing with commit.retries 0: the callback never retries a failed commit, \
             so there is no retry to guard"
                .into()
        },
    },
    // The group starts with committed offset 0 on every partition when
    // `offsets` is written and it is not a new group (`OffsetsConfig::seeded`); nothing removes it
    // without retention or a failover. The struct is spelled out so that a
    // new field of `offsets` (one that could leave a partition without a
    // committed offset) must be decided here.
    NoteRule {
        name: "offsets-reset-never-consulted",
        fields: &["offsets.reset", "offsets.retention", "coordinator_failovers"],
        applies: |s| {
            s.offsets.reset != Reset::Earliest
                && s.offsets
                    == OffsetsConfig { retention: Retention::Never, reset: s.offsets.reset, new_group: false }
                && s.offsets_topic.failovers == 0
        },
        message: |s| {
            format!(
                "`offsets.reset` {} decides nothing here: the group starts with committed offset 0 on every \
                 partition and offsets.retention never lets it expire, so no partition is ever without a \
                 committed offset",
                reset_name(s.offsets.reset)
            )
        },
    },
    // A gate of nothing: the check of such a file cannot fail, which in CI
    // is a gate its author probably did not mean.
    NoteRule {
        name: "nothing-gated",
        fields: &["gate", "expect"],
        applies: |s| super::PROPERTY_NAMES.iter().all(|p| !s.expected(p).gated()),
        message: |_| {
            "nothing is gated: every property is expected `any` (\"gate\": \"named\" with no property \
             named holds or violated), so this file never fails the check; name what the service promises, \
             e.g. \"expect\": {\"no-loss\": \"holds\"}"
                .into()
        },
    },
];

/// At-least-once, `commitSync()` after every batch of the next offset, one worker.
fn commits_every_batch(s: &Scenario) -> bool {
    s.commit_every == 1 && plain_commits(s)
}

/// At-least-once, sync commits of the next offset, one worker.
fn plain_commits(s: &Scenario) -> bool {
    s.strategy == Strategy::AtLeastOnce
        && s.commit.mode == CommitMode::Sync
        && s.commit_offset == CommitOffset::Next
        && s.workers == 1
}

/// A group of one consumer that never crashes, on a network that cannot
/// repeat its JoinGroup, whose coordinator never fails over: it never has a
/// second member, so no rebalance ever asks it to rejoin.
fn one_member_ever(s: &Scenario) -> bool {
    s.group.assignment == Assignment::Group
        && s.consumers == 1
        && s.crashes == 0
        && s.offsets_topic.failovers == 0
        && s.network.kind == NetworkKind::Ordered
}

/// The most partitions one consumer owns at once: all under group
/// assignment, ⌈P/C⌉ under `assign()` (p mod C).
fn most_owned(s: &Scenario) -> u32 {
    let (p, c) = (u32::from(s.partitions), u32::from(s.consumers));
    match s.group.assignment {
        Assignment::Group => p,
        Assignment::Manual => p.div_ceil(c),
    }
}

fn most_batches(s: &Scenario) -> u32 {
    most_owned(s) * u32::from(s.log_end())
}

fn assignor_name(a: Assignor) -> &'static str {
    match a {
        Assignor::Range => "range",
        Assignor::RoundRobin => "round-robin",
        Assignor::Sticky => "sticky",
        Assignor::CooperativeSticky => "cooperative-sticky",
    }
}

fn reset_name(r: Reset) -> &'static str {
    match r {
        Reset::Earliest => "earliest",
        Reset::Latest => "latest",
        Reset::None => "none",
    }
}

/// The keys whose timers only the group coordinator acts on.
const GROUP_TIMERS: [&str; 3] = ["max.poll.interval.ms", "session.timeout.ms", "heartbeat.interval.ms"];

/// Each key the model does not use, each key a `.properties` file repeats,
/// and, when there is a consumer config, the Kafka defaults it leaves in
/// force that the scenario does not check.
fn consumer_config_notes(s: &Scenario, notes: &mut Vec<Note>) {
    for setting in &s.consumer_config {
        let e = &setting.entry;
        let note = match setting.effect {
            Effect::Field(_) => None,
            Effect::Instead(_) if e.key == "auto.commit.interval.ms" && s.commit.mode != CommitMode::Auto => {
                Some((
                    "consumer-config-no-effect",
                    "no effect: commit.mode is not auto (enable.auto.commit is off)",
                ))
            }
            Effect::Instead(_)
                if GROUP_TIMERS.contains(&e.key.as_str()) && s.group.assignment == Assignment::Manual =>
            {
                Some((
                    "consumer-config-no-effect",
                    "no effect with manual assignment: assign() consumers are not group members, so no session or poll interval evicts them",
                ))
            }
            Effect::Instead(text) => Some(("consumer-config-instead", text)),
            Effect::NoEffect(text) => Some(("consumer-config-no-effect", text)),
            Effect::NotModelled(text) => Some(("consumer-config-not-modelled", text)),
        };
        if let Some((name, text)) = note {
            let meant = match (setting.effect, super::consumer_config::misspelt_key(&e.key)) {
                (Effect::NotModelled(_), Some(key)) => {
                    format!(" (did you mean `{key}`? Kafka ignores a key it does not know)")
                }
                _ => String::new(),
            };
            notes.push(Note { name, message: format!("{}: {text}{meant}", e.describe()) });
        }
        if let (Origin::Properties { file, line }, false) = (&e.origin, e.shadowed.is_empty()) {
            let lines: Vec<String> = e.shadowed.iter().chain([line]).map(usize::to_string).collect();
            notes.push(Note {
                name: "consumer-config-repeated",
                message: format!(
                    "`{}` is set on lines {} of {}: Java's Properties keeps the last, {}",
                    e.key,
                    lines.join(", "),
                    file.display(),
                    e.describe()
                ),
            });
        }
    }
    if s.consumer_config.is_empty() {
        return;
    }
    let has = |key: &str| s.consumer_config.iter().any(|c| c.entry.key == key);
    if !has("group.id") {
        notes.push(Note {
            name: "consumer-config-no-group-id",
            message: "`group.id` is not set: without one the Java client can neither subscribe() nor commit \
                      offsets (InvalidGroupIdException), which every scenario's consumers do"
                .into(),
        });
    }
    if !has("enable.auto.commit") && s.commit.mode != CommitMode::Auto {
        notes.push(Note {
            name: "consumer-config-kafka-default",
            message: format!(
                "`enable.auto.commit` is not set, and Kafka's default is true: a consumer with this config \
                 auto-commits, while the scenario checks commit.mode {}",
                if s.commit.mode == CommitMode::Sync { "sync" } else { "async" }
            ),
        });
    }
    if !has("auto.offset.reset") && s.offsets.reset != Reset::Latest {
        notes.push(Note {
            name: "consumer-config-kafka-default",
            message: format!(
                "`auto.offset.reset` is not set, and Kafka's default is latest, while the scenario checks \
                 offsets.reset {}",
                reset_name(s.offsets.reset)
            ),
        });
    }
}

#[cfg(test)]
mod tests;
