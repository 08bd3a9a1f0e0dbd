//! The cross-field rules of `scenario::rules::RULES`: each row rejects the
//! files that break it and accepts the same knob once the conflict is gone,
//! a file with several conflicts gets every one of them, and each problem
//! names its file and field.

use kafkacheck::scenario::rules::{RULES, Rule};
use kafkacheck::scenario::{self, ScenarioError};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

const FILE: &str = "models/rules.json";

/// A valid file every case starts from: one consumer, one partition, three
/// records, at-least-once, nothing else written.
fn base() -> Value {
    json!({
        "name": "rules", "partitions": 1, "messages": 3, "consumers": 1,
        "strategy": "at-least-once"
    })
}

/// The base file with `overrides`' top-level fields written over it.
fn file(overrides: &Value) -> String {
    let mut file = base();
    for (key, value) in overrides.as_object().expect("overrides are an object") {
        file[key] = value.clone();
    }
    file.to_string()
}

fn parse(overrides: &Value) -> Result<scenario::Scenario, ScenarioError> {
    scenario::parse(Path::new(FILE), file(overrides).as_bytes())
}

fn rule(name: &str) -> &'static Rule {
    RULES.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no rule {name}"))
}

/// The names of the rules a file breaks, in the order of its problems.
fn broken(e: &ScenarioError) -> Vec<&'static str> {
    e.problems.iter().filter_map(|p| p.rule).collect()
}

/// Per row: files that break only it, and files that use the same knob without the conflict.
fn cases() -> Vec<(&'static str, Vec<Value>, Vec<Value>)> {
    vec![
        (
            "commit-every-at-least-once",
            vec![json!({"commit_every": 2, "strategy": "at-most-once"})],
            vec![json!({"commit_every": 2})],
        ),
        (
            "workers-at-least-once",
            vec![json!({"workers": 2, "strategy": "exactly-once"})],
            vec![json!({"workers": 2})],
        ),
        (
            "workers-commit-every-1",
            vec![json!({"workers": 2, "commit_every": 2})],
            vec![json!({"workers": 2, "commit_every": 1})],
        ),
        (
            "workers-batch-fits-bitmask",
            vec![json!({"workers": 2, "max_poll_records": 17})],
            vec![json!({"workers": 2, "max_poll_records": 16}), json!({"max_poll_records": 17})],
        ),
        (
            "commit-policy-many-workers",
            vec![
                json!({"commit_policy": "contiguous"}),
                json!({"commit_policy": "highest-completed", "workers": 1}),
            ],
            vec![json!({"commit_policy": "highest-completed", "workers": 2})],
        ),
        (
            "commit-offset-at-least-once",
            vec![json!({"commit": {"offset": "last"}, "strategy": "at-most-once"})],
            vec![
                json!({"commit": {"offset": "last"}}),
                json!({"commit": {"offset": "next"}, "strategy": "at-most-once"}),
            ],
        ),
        (
            "commit-offset-one-batch-one-worker",
            vec![
                json!({"commit": {"offset": "position"}, "commit_every": 2}),
                json!({"commit": {"offset": "last"}, "workers": 2}),
            ],
            vec![json!({"commit": {"offset": "position"}})],
        ),
        (
            "assignor-group-assignment",
            vec![json!({"assignor": "round-robin"})],
            vec![json!({"assignor": "round-robin", "assignment": "group"})],
        ),
        (
            "pauses-group-assignment",
            vec![json!({"pauses": 1})],
            vec![json!({"pauses": 1, "assignment": "group"})],
        ),
        (
            "commit-on-revoke-group-assignment",
            vec![json!({"commit_on_revoke": false})],
            vec![json!({"commit_on_revoke": true, "assignment": "group"})],
        ),
        (
            "on-commit-error-group-assignment",
            vec![json!({"on_commit_error": "crash"})],
            vec![
                json!({"on_commit_error": "crash", "assignment": "group"}),
                json!({"on_commit_error": "retry-after-rebalance", "assignment": "group", "strategy": "at-most-once"}),
            ],
        ),
        (
            "on-commit-error-sync-commit",
            vec![
                json!({"on_commit_error": "skip", "assignment": "group", "commit": {"mode": "async"}}),
                json!({"on_commit_error": "skip", "assignment": "group", "commit": {"mode": "auto"}}),
                json!({"on_commit_error": "skip", "assignment": "group", "workers": 2}),
                json!({"on_commit_error": "crash", "assignment": "group", "strategy": "exactly-once"}),
            ],
            vec![json!({"on_commit_error": "skip", "assignment": "group", "commit": {"mode": "sync"}})],
        ),
        (
            "commit-retries-async",
            vec![json!({"commit": {"retries": 1}}), json!({"commit": {"mode": "auto", "retries": 0}})],
            vec![json!({"commit": {"mode": "async", "retries": 1}})],
        ),
        (
            "commit-guard-async",
            vec![json!({"commit": {"mode": "auto", "guard": "sequence"}})],
            vec![json!({"commit": {"mode": "async", "guard": "sequence"}})],
        ),
        (
            "commit-processing-auto",
            vec![json!({"commit": {"mode": "async", "processing": "worker"}})],
            vec![json!({"commit": {"mode": "auto", "processing": "worker"}})],
        ),
        (
            "commit-store-librdkafka",
            vec![
                json!({"commit": {"mode": "auto", "store": "after-processing"}}),
                json!({"client": "java", "commit": {"mode": "auto", "store": "on-poll"}}),
            ],
            vec![
                json!({"client": "librdkafka", "commit": {"mode": "auto", "store": "after-processing"}}),
                json!({"client": "librdkafka", "commit": {"store": "after-processing"}}),
            ],
        ),
        (
            "commit-mode-at-least-once",
            vec![
                json!({"commit": {"mode": "async"}, "strategy": "at-most-once"}),
                json!({"commit": {"mode": "auto"}, "strategy": "exactly-once"}),
            ],
            vec![
                json!({"commit": {"mode": "async"}}),
                json!({"commit": {"mode": "sync"}, "strategy": "exactly-once"}),
            ],
        ),
        (
            "commit-mode-plain-commits",
            vec![
                json!({"commit": {"mode": "async"}, "workers": 2}),
                json!({"commit": {"mode": "async"}, "commit_every": 2}),
                json!({"commit": {"mode": "auto", "offset": "last"}}),
            ],
            vec![json!({"commit": {"mode": "async"}, "workers": 1, "commit_every": 1})],
        ),
        ("losses-lossy-network", vec![json!({"losses": 1})], vec![json!({"losses": 1, "network": "lossy"})]),
        (
            "duplicates-duplicating-network",
            vec![json!({"network": "unordered", "duplicates": 1})],
            vec![json!({"network": "duplicating", "duplicates": 1})],
        ),
        (
            "faulty-network-not-exactly-once",
            vec![json!({"network": "unordered", "strategy": "exactly-once"})],
            vec![json!({"network": "unordered", "strategy": "at-most-once"})],
        ),
        (
            "faulty-network-one-worker",
            vec![json!({"network": "lossy", "workers": 2})],
            vec![json!({"network": "lossy", "workers": 1})],
        ),
        (
            "lossy-network-no-auto-commit-worker",
            vec![json!({"network": "lossy", "commit": {"mode": "auto", "processing": "worker"}})],
            vec![
                json!({"network": "unordered", "commit": {"mode": "auto", "processing": "worker"}}),
                json!({"network": "lossy", "commit": {"mode": "auto", "processing": "in-poll"}}),
            ],
        ),
        (
            "faulty-network-no-failovers",
            vec![json!({"network": "unordered", "coordinator_failovers": 1})],
            vec![json!({"network": "ordered", "coordinator_failovers": 1})],
        ),
    ]
}

#[test]
fn every_row_has_cases_and_a_unique_name() {
    let names: Vec<_> = RULES.iter().map(|r| r.name).collect();
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len(), "rule names repeat: {names:?}");
    let covered: Vec<_> = cases().into_iter().map(|(name, _, _)| name).collect();
    assert_eq!(covered, names, "tests/scenario_rules.rs lists one case per row, in table order");
}

#[test]
fn each_row_rejects_its_conflict_and_accepts_the_knob_without_it() {
    for (name, rejected, accepted) in cases() {
        let rule = rule(name);
        assert!(!rejected.is_empty() && !accepted.is_empty(), "{name}");
        for overrides in &rejected {
            let e = parse(overrides).expect_err(&format!("{name} must reject {overrides}"));
            assert_eq!(broken(&e), [name], "{overrides}: {e}");
            assert_eq!(e.problems.len(), 1, "{overrides}: {e}");
            let problem = &e.problems[0];
            assert_eq!(problem.field.as_deref(), Some(rule.field), "{overrides}");
            assert_eq!(problem.message, rule.message, "{overrides}");
            assert_eq!(e.to_string(), format!("{FILE}: field `{}`: {}", rule.field, rule.message));
        }
        for overrides in &accepted {
            if let Err(e) = parse(overrides) {
                panic!("{name}: {overrides} must be accepted: {e}");
            }
        }
    }
}

#[test]
fn a_file_with_three_conflicts_gets_all_three() {
    let overrides = json!({"strategy": "exactly-once", "commit_every": 2, "network": "lossy", "pauses": 1});
    let e = parse(&overrides).unwrap_err();
    let want = ["commit-every-at-least-once", "pauses-group-assignment", "faulty-network-not-exactly-once"];
    assert_eq!(broken(&e), want, "{e}");
    assert_eq!(e.fields(), ["commit_every", "pauses", "network"]);
    let mut lines = vec![format!("{FILE}: 3 problems:")];
    lines.extend(want.iter().map(|name| format!("  field `{}`: {}", rule(name).field, rule(name).message)));
    assert_eq!(e.to_string(), lines.join("\n"));
}

#[test]
fn one_field_can_break_several_rows() {
    let e =
        parse(&json!({"workers": 2, "strategy": "at-most-once", "max_poll_records": 17, "commit_every": 2}))
            .unwrap_err();
    assert_eq!(
        broken(&e),
        [
            // commit_every 2 also breaks its own at-least-once row, first in table order.
            "commit-every-at-least-once",
            "workers-at-least-once",
            "workers-commit-every-1",
            "workers-batch-fits-bitmask"
        ],
        "{e}"
    );
    assert_eq!(e.fields(), ["commit_every", "workers", "workers", "workers"], "{e}");
}

#[test]
fn ranges_unknown_properties_and_rules_are_reported_together() {
    let overrides = json!({
        "name": " ", "consumers": 0, "workers": 9, "strategy": "at-most-once",
        "expect": {"no-dupes": "violated"}
    });
    let e = parse(&overrides).unwrap_err();
    assert_eq!(e.fields(), ["name", "consumers", "workers", "expect", "workers"], "{e}");
    assert_eq!(broken(&e), ["workers-at-least-once"]);
    let text = e.to_string();
    assert!(text.starts_with(&format!("{FILE}: 5 problems:\n")), "{text}");
    for needle in [
        "field `name`: must not be empty",
        "field `consumers`: must be between 1 and 16, got 0",
        "field `workers`: must be between 1 and 8, got 9",
        "field `expect`: unknown property `no-dupes`",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
}

#[test]
fn a_syntax_error_is_the_one_problem_with_its_position() {
    let e = scenario::parse(Path::new(FILE), b"{\n  \"name\": \"n\",\n  \"workers\": 2,,\n}").unwrap_err();
    assert_eq!(e.problems.len(), 1);
    assert_eq!((e.problems[0].field.as_deref(), e.problems[0].position), (None, Some((3, 16))));
    assert!(e.to_string().starts_with(&format!("{FILE}:3:16: ")), "{e}");
}

/// Every field a row names is a field of the file format: written with a
/// value no knob the rules read accepts (a string no enum has as a variant),
/// the parser names it rather than calling it unknown.
#[test]
fn rows_name_real_fields() {
    for rule in RULES {
        for field in std::iter::once(&rule.field).chain(rule.with) {
            let mut overrides = json!({});
            match field.split_once('.') {
                Some((object, inner)) => overrides[object] = json!({ inner: "?" }),
                None => overrides[*field] = json!("?"),
            }
            let e = parse(&overrides).expect_err(field);
            assert_eq!(e.fields(), [*field], "{}: {e}", rule.name);
            let message = &e.problems[0].message;
            assert!(message.starts_with("invalid type") || message.starts_with("unknown variant"), "{e}");
        }
    }
}

/// Every unknown field (at the top and in a nested object) and every broken
/// rule, in one error: a user fixes the file in one pass, not one field per run.
#[test]
fn every_unknown_field_and_every_broken_rule_are_reported_together() {
    let overrides = json!({
        "crashs": 1, "comit_every": 2, "commit": {"mod": "async", "offset": "last"},
        "strategy": "exactly-once", "pauses": 1
    });
    let e = parse(&overrides).unwrap_err();
    let text = e.to_string();
    let unknown: Vec<&str> = e
        .problems
        .iter()
        .filter(|p| p.message.starts_with("unknown field"))
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(
        unknown,
        [
            "unknown field `comit_every`: did you mean `commit_every`?",
            "unknown field `mod` in `commit`: did you mean `mode`?",
            "unknown field `crashs`: did you mean `crashes`?",
        ],
        "in the file's order (serde_json writes keys sorted): {text}"
    );
    assert!(
        e.problems.iter().filter(|p| p.message.starts_with("unknown field")).all(|p| p.position.is_some())
    );
    assert_eq!(broken(&e), ["commit-offset-at-least-once", "pauses-group-assignment"], "{text}");
    assert!(text.starts_with(&format!("{FILE}: 5 problems:\n")), "{text}");
}

/// serde stops at a file's first value of the wrong type; the parser goes
/// on to every other field's, so two misspelt values are two problems, in the
/// file's order (`json!` writes keys sorted).
#[test]
fn every_value_of_the_wrong_type_is_reported_with_the_unknown_fields() {
    let overrides = json!({
        "strategy": "at-least-onse", "network": "lossyy", "partitions": "1",
        "commit": {"mode": "asnyc"}, "expect": {"no-loss": "hold"}, "crashs": 1
    });
    let e = parse(&overrides).unwrap_err();
    assert_eq!(e.fields(), ["commit.mode", "expect.no-loss", "network", "partitions", "strategy"], "{e}");
    let meant: Vec<&str> =
        e.problems.iter().filter_map(|p| p.message.rsplit_once("did you mean ")).map(|(_, m)| m).collect();
    assert_eq!(meant, ["`async`?", "`crashes`?", "`holds`?", "`lossy`?", "`at-least-once`?"], "{e}");
    assert!(e.problems.iter().all(|p| p.position.is_some()), "{e}");
}
