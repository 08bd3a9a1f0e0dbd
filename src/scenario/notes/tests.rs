//! Each note fires where it should, and each note that says a knob does
//! nothing is checked against the model: the scenario with the knob and
//! without it (or with the value the note says checks the same) reach the
//! same number of states with the same verdicts.

use super::*;
use crate::check::{self, Options};
use crate::scenario::{CommitConfig, GroupConfig, NetworkConfig, parse, parse_with};
use std::path::Path;

fn names(s: &Scenario) -> Vec<&'static str> {
    notes(s).into_iter().map(|n| n.name).collect()
}

/// Unique states and verdicts of a complete search.
fn search(s: &Scenario) -> (usize, Vec<crate::verdict::Verdict>) {
    let o = check::check(s, &Options { symmetry: false, ..Options::default() });
    assert!(o.complete || o.properties.iter().all(|p| p.trace.is_some()), "{}", s.name);
    (o.unique_states, o.properties.iter().map(|p| p.verdict).collect())
}

/// The note `name` is on `with` and not on `without`, and both check the same.
fn same_search(name: &str, with: &Scenario, without: &Scenario) {
    assert!(names(with).contains(&name), "{name} missing: {:?}", notes(with));
    assert!(!names(without).contains(&name), "{name} on the other: {:?}", notes(without));
    assert_eq!(search(with), search(without), "{name}: the knob changed the search");
}

fn group(consumers: u8, partitions: u8) -> Scenario {
    Scenario {
        consumers,
        partitions,
        messages: 2,
        group: GroupConfig { assignment: Assignment::Group, ..GroupConfig::default() },
        ..Scenario::default()
    }
}

#[test]
fn a_file_that_gates_nothing_is_noted() {
    let any = |property: &str| (property.to_string(), crate::verdict::Expectation::Any);
    let named = Scenario { gate: crate::scenario::Gate::Named, ..Scenario::default() };
    assert_eq!(names(&named), ["nothing-gated"]);
    let all_any = Scenario {
        expect: crate::scenario::PROPERTY_NAMES.iter().map(|p| any(p)).collect(),
        ..Scenario::default()
    };
    assert_eq!(names(&all_any), ["nothing-gated"]);
    let mut one = named.clone();
    one.expect.insert("no-loss".into(), crate::verdict::Expectation::Holds);
    assert_eq!(names(&one), Vec::<&str>::new());
}

#[test]
fn a_plain_scenario_has_no_note() {
    assert_eq!(notes(&Scenario::default()), vec![]);
    assert_eq!(notes(&group(2, 2)), vec![]);
}

#[test]
fn commit_on_revoke_does_nothing_when_every_batch_is_committed_before_the_next_poll() {
    // Consumer-1 joining while consumer-0 reads is the rebalance.
    let mut with = group(2, 2);
    with.group.commit_on_revoke = true;
    same_search("commit-on-revoke-never-lags", &with, &group(2, 2));
    // Also with a zombie and with cooperative revocations.
    for assignor in [Assignor::Range, Assignor::CooperativeSticky] {
        let mut other = with.clone();
        (other.group.pauses, other.group.assignor) = (1, assignor);
        let mut without = other.clone();
        without.group.commit_on_revoke = false;
        same_search("commit-on-revoke-never-lags", &other, &without);
    }
    // Committing every second batch leaves processed records uncommitted at a poll.
    let lagging = Scenario { commit_every: 2, ..with.clone() };
    assert!(!names(&lagging).contains(&"commit-on-revoke-never-lags"));
    let mut without = lagging.clone();
    without.group.commit_on_revoke = false;
    assert_ne!(search(&lagging), search(&without), "commit_on_revoke matters when commits lag");
}

#[test]
fn a_lone_member_never_rebalances_whatever_its_assignor() {
    let mut base = Scenario { max_poll_records: 2, ..group(1, 2) };
    base.group.pauses = 1;
    for assignor in [Assignor::RoundRobin, Assignor::Sticky, Assignor::CooperativeSticky] {
        let mut with = base.clone();
        with.group.assignor = assignor;
        same_search("lone-member-assignor", &with, &base);
    }
    let mut with = base.clone();
    with.group.commit_on_revoke = true;
    with.commit_every = 2;
    let mut without = with.clone();
    without.group.commit_on_revoke = false;
    same_search("lone-member-commit-on-revoke", &with, &without);
    // A crash brings a second member (the old one until its session times out).
    let mut crashing = Scenario { crashes: 1, ..with };
    crashing.group.assignor = Assignor::CooperativeSticky;
    assert!(!names(&crashing).iter().any(|n| n.starts_with("lone-member")), "{:?}", notes(&crashing));
}

#[test]
fn a_lone_member_never_evicted_has_no_commit_rejected() {
    let base = Scenario { max_poll_records: 2, ..group(1, 2) };
    let with = |response| {
        let mut s = base.clone();
        s.group.on_commit_error = response;
        s
    };
    for response in [OnCommitError::Crash, OnCommitError::RetryAfterRebalance] {
        same_search("lone-member-on-commit-error", &with(response), &base);
    }
    // A pause evicts it: its next commit is rejected, and the response matters
    // (crash and skip happen to reach as many states: a restarted process and
    // a member that lost its partitions both start over from the committed offset).
    let paused =
        |response| Scenario { group: GroupConfig { pauses: 1, ..with(response).group }, ..base.clone() };
    assert!(!names(&paused(OnCommitError::Crash)).contains(&"lone-member-on-commit-error"));
    assert_ne!(search(&paused(OnCommitError::Crash)), search(&paused(OnCommitError::RetryAfterRebalance)));
}

#[test]
fn commit_every_past_the_batches_a_consumer_can_receive_checks_the_same() {
    let s = |commit_every| Scenario {
        partitions: 2,
        consumers: 2,
        messages: 2,
        crashes: 1,
        commit_every,
        ..Scenario::default()
    };
    // Manual assignment: one partition of 2 records each, so at most 2 batches.
    assert!(!names(&s(2)).contains(&"commit-every-exceeds-batches"));
    assert!(notes(&s(3))[0].message.contains("more than the 2 batch(es)"), "{:?}", notes(&s(3)));
    assert_eq!(search(&s(3)), search(&s(9)));
    assert_ne!(search(&s(2)), search(&s(3)), "the periodic commit of every second batch happens");
    let g = Scenario { commit_every: 4, crashes: 1, ..group(2, 2) };
    assert!(!names(&g).contains(&"commit-every-exceeds-batches"), "a group member may own both partitions");
}

#[test]
fn workers_past_max_poll_records_and_max_poll_records_past_the_log_check_the_same() {
    let w =
        |workers| Scenario { messages: 3, max_poll_records: 2, crashes: 1, workers, ..Scenario::default() };
    same_search("workers-exceed-max-poll-records", &w(3), &w(2));
    let m = |max_poll_records| Scenario { messages: 2, crashes: 1, max_poll_records, ..Scenario::default() };
    same_search("max-poll-records-exceeds-log", &m(3), &m(2));
    let produced = Scenario { produce: 1, ..m(3) };
    assert!(!names(&produced).contains(&"max-poll-records-exceeds-log"), "the log ends at 3");
}

#[test]
fn a_guard_without_retries_and_a_reset_never_consulted_change_nothing() {
    let async_commits = |guard| Scenario {
        messages: 2,
        commit: crate::scenario::CommitConfig { mode: CommitMode::Async, guard, ..Default::default() },
        network: NetworkConfig { kind: NetworkKind::Lossy, losses: 1, duplicates: 0 },
        ..Scenario::default()
    };
    same_search(
        "guard-without-retries",
        &async_commits(CommitGuard::Sequence),
        &async_commits(CommitGuard::None),
    );
    let offsets = |reset| Scenario {
        messages: 2,
        crashes: 1,
        offsets: OffsetsConfig { retention: Retention::Never, reset, new_group: false },
        ..Scenario::default()
    };
    same_search("offsets-reset-never-consulted", &offsets(Reset::Latest), &offsets(Reset::Earliest));
    let expiring = Scenario {
        offsets: OffsetsConfig { retention: Retention::WhileActive, reset: Reset::Latest, new_group: false },
        ..offsets(Reset::Latest)
    };
    assert!(!names(&expiring).contains(&"offsets-reset-never-consulted"));
}

const VALID_MANUAL: &str =
    r#"{ "name": "n", "partitions": 1, "messages": 1, "consumers": 1, "strategy": "at-least-once" }"#;

const GROUP: &str = r#"{
    "name": "n", "partitions": 1, "messages": 2, "consumers": 1,
    "strategy": "at-least-once", "assignment": "group",
    "consumer_config": { "isolation.level": "read_committed", "group.instance.id": "a-1",
                         "fetch.min.bytes": "1", "group.id": "orders", "session.timeout.ms": "45000",
                         "auto.commit.interval.ms": "1000" }
}"#;

#[test]
fn a_misspelt_key_is_noted_with_the_key_meant() {
    let text = VALID_MANUAL
        .replace(" }", r#", "consumer_config": {"max.pol.records": "2", "fetch.min.bytes": "1"} }"#);
    let s = parse(Path::new("x.json"), text.as_bytes()).unwrap();
    let got: Vec<String> = notes(&s).into_iter().map(|n| n.message).collect();
    let typo = got.iter().find(|m| m.starts_with("`max.pol.records=2`")).unwrap();
    assert!(
        typo.ends_with("(did you mean `max.poll.records`? Kafka ignores a key it does not know)"),
        "{typo}"
    );
    let real = got.iter().find(|m| m.starts_with("`fetch.min.bytes=1`")).unwrap();
    assert!(!real.contains("did you mean"), "{real}");
}

#[test]
fn every_key_the_model_does_not_use_is_a_note() {
    let s = parse(Path::new("x.json"), GROUP.as_bytes()).unwrap();
    let got: Vec<(&str, String)> = notes(&s).into_iter().map(|n| (n.name, n.message)).collect();
    let find = |key: &str| {
        got.iter()
            .find(|(_, m)| m.starts_with(&format!("`{key}=")))
            .unwrap_or_else(|| panic!("{key}: {got:?}"))
    };
    assert_eq!(find("isolation.level").0, "consumer-config-no-effect");
    assert!(find("isolation.level").1.contains("no effect in this model"));
    assert_eq!(find("group.instance.id").0, "consumer-config-not-modelled");
    assert_eq!(find("fetch.min.bytes").0, "consumer-config-not-modelled");
    assert_eq!(find("group.id").0, "consumer-config-no-effect");
    assert_eq!(find("session.timeout.ms").0, "consumer-config-instead");
    let manual =
        parse(Path::new("x.json"), GROUP.replace(r#""assignment": "group","#, "").as_bytes()).unwrap();
    let session = notes(&manual).into_iter().find(|n| n.message.starts_with("`session.timeout.ms=")).unwrap();
    assert_eq!(session.name, "consumer-config-no-effect");
    assert!(session.message.contains("no effect with manual assignment"), "{session:?}");
    assert!(find("auto.commit.interval.ms").1.contains("commit.mode is not auto"));
    let defaults: Vec<&String> =
        got.iter().filter(|(n, _)| *n == "consumer-config-kafka-default").map(|(_, m)| m).collect();
    assert_eq!(defaults.len(), 2, "{got:?}");
    assert!(defaults[0].contains("`enable.auto.commit` is not set"));
    assert!(defaults[1].contains("`auto.offset.reset` is not set"));
}

#[test]
fn a_key_repeated_in_a_properties_file_is_a_note() {
    let text = "enable.auto.commit=false\nenable.auto.commit=true\nauto.offset.reset=earliest\n";
    let config = crate::scenario::ConsumerConfig::parse(Path::new("c.properties"), text.as_bytes()).unwrap();
    let manual = GROUP.replace(r#""assignment": "group","#, "");
    let s = parse_with(Path::new("x.json"), manual.as_bytes(), Some(&config)).unwrap();
    assert_eq!(s.commit.mode, CommitMode::Auto);
    let repeated: Vec<String> =
        notes(&s).into_iter().filter(|n| n.name == "consumer-config-repeated").map(|n| n.message).collect();
    assert_eq!(
        repeated,
        [
            "`enable.auto.commit` is set on lines 1, 2 of c.properties: Java's Properties keeps the last, `enable.auto.commit=true` (c.properties:2)"
        ]
    );
    assert!(!names(&s).contains(&"consumer-config-kafka-default"), "both defaulted keys are set");
    assert!(!names(&s).contains(&"consumer-config-no-group-id"));
    let nameless =
        crate::scenario::ConsumerConfig::parse(Path::new("c.properties"), b"max.poll.records=1").unwrap();
    let s = parse_with(Path::new("x.json"), VALID_MANUAL.as_bytes(), Some(&nameless)).unwrap();
    assert!(names(&s).contains(&"consumer-config-no-group-id"), "{:?}", notes(&s));
    assert!(
        !names(&parse(Path::new("x.json"), VALID_MANUAL.as_bytes()).unwrap())
            .contains(&"consumer-config-no-group-id")
    );
}

#[test]
fn the_offset_store_does_nothing_for_manual_commits() {
    let manual = Scenario { client: Client::Librdkafka, crashes: 1, messages: 2, ..Scenario::default() };
    let mut with = manual.clone();
    with.commit.store = OffsetStore::AfterProcessing;
    same_search("offset-store-manual-commits", &with, &manual);
    let auto = CommitConfig { mode: CommitMode::Auto, ..with.commit };
    assert!(!names(&Scenario { commit: auto, ..with }).contains(&"offset-store-manual-commits"));
}
