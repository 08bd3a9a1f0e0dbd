//! Every rule between fields of a scenario file, each written once as a row
//! of [`RULES`]: the field it is reported against, the other fields it
//! reads, when the field is in use, what it conflicts with, and the message.
//!
//! Validation evaluates every row, so an error lists every conflict in the
//! file. A row's condition is `set && conflict`; rows that share a reason
//! share its predicate (the "needs group assignment" rows all call
//! `manual_assignment`). The messages are the ones the checks these rows
//! replace gave, and rows of one field keep those checks' order.
//!
//! A row that exists only because of how the model encodes something says
//! so in a comment above it (`workers-batch-fits-bitmask`), so it can be
//! deleted in one place.

use super::file::ScenarioFile;
use super::{
    Assignment, AutoProcessing, Client, CommitMode, CommitOffset, LIMITS, NetworkKind, Problem, Strategy,
};

/// One rule between fields.
pub struct Rule {
    /// A stable name, for tests and for [`Problem::rule`].
    pub name: &'static str,
    /// The field the conflict is reported against: the knob whose use the rule restricts.
    pub field: &'static str,
    /// The other fields the condition reads.
    pub with: &'static [&'static str],
    /// Whether the file uses `field` (sets it, or to a value other than its default).
    set: fn(&ScenarioFile) -> bool,
    /// Whether the rest of the file conflicts with that use.
    conflict: fn(&ScenarioFile) -> bool,
    pub message: &'static str,
}

impl Rule {
    fn broken_by(&self, file: &ScenarioFile) -> bool {
        (self.set)(file) && (self.conflict)(file)
    }
}

/// Adds a problem for every row of [`RULES`] the file breaks, in table order.
pub(super) fn check(file: &ScenarioFile, problems: &mut Vec<Problem>) {
    for rule in RULES.iter().filter(|rule| rule.broken_by(file)) {
        problems
            .push(Problem { rule: Some(rule.name), ..Problem::new(Some(rule.field), rule.message.into()) });
    }
}

const AT_LEAST_ONCE_ONLY: &str = "applies to the at-least-once strategy only";
const NEEDS_GROUP: &str = "needs \"assignment\": \"group\" (manual assignment has no rebalances)";
const NEEDS_ASYNC: &str = "needs \"mode\": \"async\" (only commitAsync()'s callback retries)";

pub const RULES: &[Rule] = &[
    Rule {
        name: "commit-every-at-least-once",
        field: "commit_every",
        with: &["strategy"],
        set: |f| f.commit_every > 1,
        conflict: not_at_least_once,
        message: AT_LEAST_ONCE_ONLY,
    },
    Rule {
        name: "workers-at-least-once",
        field: "workers",
        with: &["strategy"],
        set: many_workers,
        conflict: not_at_least_once,
        message: AT_LEAST_ONCE_ONLY,
    },
    Rule {
        name: "workers-commit-every-1",
        field: "workers",
        with: &["commit_every"],
        set: many_workers,
        conflict: |f| f.commit_every > 1,
        message: "commits follow the commit policy; `commit_every` must be 1",
    },
    // Exists for the model's encoding of a batch handed to parallel workers:
    // a bitmask of LIMITS.batch_with_workers bits (src/model/consumer/workers.rs).
    Rule {
        name: "workers-batch-fits-bitmask",
        field: "workers",
        with: &["max_poll_records", "commit.processing"],
        set: |f| many_workers(f) && !worker_threads(f),
        conflict: |f| f.max_poll_records > LIMITS.batch_with_workers,
        message: "needs max_poll_records of at most 16",
    },
    Rule {
        name: "commit-policy-many-workers",
        field: "commit_policy",
        with: &["workers", "commit.processing"],
        set: |f| f.commit_policy.is_some(),
        conflict: |f| !many_workers(f) || worker_threads(f),
        message: "needs \"workers\" of 2 or more with synchronous commits (one worker completes in order; \
                  auto-commit's worker threads commit positions, not what the policy says)",
    },
    Rule {
        name: "commit-offset-at-least-once",
        field: "commit.offset",
        with: &["strategy"],
        set: other_commit_offset,
        conflict: not_at_least_once,
        message: AT_LEAST_ONCE_ONLY,
    },
    Rule {
        name: "commit-offset-one-batch-one-worker",
        field: "commit.offset",
        with: &["commit_every", "workers"],
        set: other_commit_offset,
        conflict: |f| f.commit_every > 1 || many_workers(f),
        message: "needs `commit_every` 1 and one worker",
    },
    Rule {
        name: "assignor-group-assignment",
        field: "assignor",
        with: &["assignment"],
        set: |f| f.assignor.is_some(),
        conflict: manual_assignment,
        message: NEEDS_GROUP,
    },
    Rule {
        name: "pauses-group-assignment",
        field: "pauses",
        with: &["assignment"],
        set: |f| f.pauses > 0,
        conflict: manual_assignment,
        message: NEEDS_GROUP,
    },
    Rule {
        name: "commit-on-revoke-group-assignment",
        field: "commit_on_revoke",
        with: &["assignment"],
        set: |f| f.commit_on_revoke.is_some(),
        conflict: manual_assignment,
        message: NEEDS_GROUP,
    },
    Rule {
        name: "on-commit-error-group-assignment",
        field: "on_commit_error",
        with: &["assignment"],
        set: |f| f.on_commit_error.is_some(),
        conflict: manual_assignment,
        message: "needs \"assignment\": \"group\" (an assign() consumer's commits are never rejected: Kafka \
                  accepts a commit without a generation while the group has no members)",
    },
    Rule {
        name: "on-commit-error-sync-commit",
        field: "on_commit_error",
        with: &["commit.mode", "workers", "strategy"],
        set: |f| f.on_commit_error.is_some(),
        conflict: |f| {
            commit_mode(f) != CommitMode::Sync || many_workers(f) || f.strategy == Strategy::ExactlyOnce
        },
        message: "needs \"mode\": \"sync\", one worker and at-least-once or at-most-once: the application sees \
                  a commit exception from the commitSync() of its poll loop only; auto-commit logs a failure, \
                  commitAsync() hands it to its callback, the parallel workers' committer is modelled as \
                  logging it, and a fenced transaction is aborted with its outputs (running it again is the \
                  application's transaction loop, not a commit)",
    },
    Rule {
        name: "commit-retries-async",
        field: "commit.retries",
        with: &["commit.mode"],
        set: |f| f.commit.is_some_and(|c| c.retries.is_some()),
        conflict: |f| commit_mode(f) != CommitMode::Async,
        message: NEEDS_ASYNC,
    },
    Rule {
        name: "commit-guard-async",
        field: "commit.guard",
        with: &["commit.mode"],
        set: |f| f.commit.is_some_and(|c| c.guard.is_some()),
        conflict: |f| commit_mode(f) != CommitMode::Async,
        message: NEEDS_ASYNC,
    },
    Rule {
        name: "commit-processing-auto",
        field: "commit.processing",
        with: &["commit.mode"],
        set: |f| f.commit.is_some_and(|c| c.processing.is_some()),
        conflict: |f| commit_mode(f) != CommitMode::Auto,
        message: "needs \"mode\": \"auto\"",
    },
    // The offset store is librdkafka's (`enable.auto.offset.store`,
    // CONFIGURATION.md); the Java KafkaConsumer's auto-commit commits its
    // positions and has nothing to configure here.
    Rule {
        name: "commit-store-librdkafka",
        field: "commit.store",
        with: &["client"],
        set: |f| f.commit.is_some_and(|c| c.store.is_some()),
        conflict: |f| f.client != Client::Librdkafka,
        message: "needs \"client\": \"librdkafka\" (the Java client has no offset store: its auto-commit \
                  commits the positions earlier polls returned)",
    },
    Rule {
        name: "commit-mode-at-least-once",
        field: "commit.mode",
        with: &["strategy"],
        set: not_sync,
        conflict: not_at_least_once,
        message: "applies to the at-least-once strategy only (at-most-once must await its commit before processing; exactly-once commits in its transaction)",
    },
    Rule {
        name: "commit-mode-plain-commits",
        field: "commit.mode",
        with: &["workers", "commit_every", "commit.offset"],
        set: not_sync,
        conflict: |f| (many_workers(f) && !worker_threads(f)) || f.commit_every > 1 || other_commit_offset(f),
        message: "needs `commit_every` 1, `commit.offset` next, and one worker unless the records go to \
                  auto-commit's worker threads (`\"commit\": {\"mode\": \"auto\", \"processing\": \"worker\"}`: \
                  `workers` threads then take them from its queue)",
    },
    Rule {
        name: "losses-lossy-network",
        field: "losses",
        with: &["network"],
        set: |f| f.losses.is_some(),
        conflict: |f| f.network != NetworkKind::Lossy,
        message: "needs \"network\": \"lossy\"",
    },
    Rule {
        name: "duplicates-duplicating-network",
        field: "duplicates",
        with: &["network"],
        set: |f| f.duplicates.is_some(),
        conflict: |f| f.network != NetworkKind::Duplicating,
        message: "needs \"network\": \"duplicating\"",
    },
    Rule {
        name: "faulty-network-not-exactly-once",
        field: "network",
        with: &["strategy"],
        set: faulty_network,
        conflict: |f| f.strategy == Strategy::ExactlyOnce,
        message: "exactly-once is not modelled over a faulty network (its transactional retries are idempotent in Kafka)",
    },
    Rule {
        name: "faulty-network-one-worker",
        field: "network",
        with: &["workers"],
        set: faulty_network,
        conflict: many_workers,
        message: "needs one worker",
    },
    Rule {
        name: "lossy-network-no-auto-commit-worker",
        field: "network",
        with: &["commit.processing"],
        set: |f| f.network == NetworkKind::Lossy,
        conflict: |f| f.commit.is_some_and(|c| c.processing == Some(AutoProcessing::Worker)),
        message: "a lossy network is not modelled with an auto-commit worker thread (two requests outstanding)",
    },
    Rule {
        name: "faulty-network-no-failovers",
        field: "network",
        with: &["coordinator_failovers"],
        set: faulty_network,
        conflict: |f| f.coordinator_failovers > 0,
        message: "needs `coordinator_failovers` 0",
    },
];

fn not_at_least_once(f: &ScenarioFile) -> bool {
    f.strategy != Strategy::AtLeastOnce
}

fn manual_assignment(f: &ScenarioFile) -> bool {
    f.assignment == Assignment::Manual
}

fn many_workers(f: &ScenarioFile) -> bool {
    f.workers > 1
}

/// Records go to an auto-committing consumer's worker threads (`pool.rs`).
fn worker_threads(f: &ScenarioFile) -> bool {
    f.commit.is_some_and(|c| c.mode == CommitMode::Auto && c.processing == Some(AutoProcessing::Worker))
}

fn commit_mode(f: &ScenarioFile) -> CommitMode {
    f.commit.unwrap_or_default().mode
}

fn not_sync(f: &ScenarioFile) -> bool {
    commit_mode(f) != CommitMode::Sync
}

fn other_commit_offset(f: &ScenarioFile) -> bool {
    f.commit.unwrap_or_default().offset != CommitOffset::Next
}

fn faulty_network(f: &ScenarioFile) -> bool {
    f.network != NetworkKind::Ordered
}
