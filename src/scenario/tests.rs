//! The parser's unit tests: each rejected text here has exactly one
//! problem (tests/scenario_rules.rs covers files with several).

use super::*;
use crate::verdict::{Expectation, Verdict};

fn parse_str(text: &str) -> Result<Scenario, ScenarioError> {
    parse(Path::new("models/x.json"), text.as_bytes())
}

/// The one problem of a text that must be rejected for exactly one reason.
fn reject(text: &str) -> Problem {
    let e = parse_str(text).expect_err("the text must be rejected");
    assert_eq!(e.problems.len(), 1, "{e}");
    e.problems[0].clone()
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
    assert_eq!(s.expected("no-duplicate"), Expectation::Violated);
    assert_eq!(s.expected("no-loss"), Expectation::Holds);
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = parse_str("{\n  \"name\": \"n\",,\n}").unwrap_err();
    assert_eq!(e.problems[0].position, Some((2, 15)));
    assert!(e.to_string().starts_with("models/x.json:2:15: "), "{e}");
}

#[test]
fn unknown_field_is_named() {
    let e = reject(&VALID.replace("\"crashes\"", "\"crashez\""));
    assert!(e.message.contains("unknown field `crashez`"), "{e}");
    assert!(e.position.is_some());
}

#[test]
fn a_misspelt_field_gets_the_field_meant() {
    for (from, to, meant) in [
        ("\"crashes\"", "\"crahses\"", "unknown field `crahses`: did you mean `crashes`?"),
        (
            "\"crashes\"",
            "\"Max-Poll-Records\"",
            "unknown field `Max-Poll-Records`: did you mean `max_poll_records`?",
        ),
        (
            "\"crashes\": 1",
            "\"crashes\": 1, \"commit\": {\"mdoe\": \"sync\"}",
            "unknown field `mdoe` in `commit`: did you mean `mode`?",
        ),
        (
            "\"crashes\": 1",
            "\"crashes\": 1, \"offsets\": {\"retension\": \"never\"}",
            "unknown field `retension` in `offsets`: did you mean `retention`?",
        ),
        (
            "\"crashes\": 1",
            "\"crashes\": 1, \"retention\": \"never\"",
            "unknown field `retention`: did you mean `offsets.retention`, written \"offsets\": {\"retention\": …}?",
        ),
    ] {
        let e = reject(&VALID.replace(from, to));
        assert_eq!(e.message, meant);
        assert!(e.position.is_some(), "{e}");
    }
    let e = reject(&VALID.replace("\"crashes\": 1", "\"crashes\": 1, \"commit\": {\"commit_every\": 2}"));
    assert_eq!(
        e.message,
        "unknown field `commit_every` in `commit`: `commit_every` is a top-level field, written beside `commit`, not in it"
    );
    // Nothing near: the fields there are.
    let e = reject(&VALID.replace("\"crashes\"", "\"replication\""));
    assert!(e.message.starts_with("unknown field `replication`, expected one of `name`, "), "{e}");
}

#[test]
fn a_kafka_setting_as_a_field_points_to_its_knob_and_consumer_config() {
    for (key, field) in [
        ("enable.auto.commit", "commit.mode"),
        ("auto.offset.reset", "offsets.reset"),
        ("max.poll.records", "max_poll_records"),
        ("partition.assignment.strategy", "assignor"),
        ("enable.auto.offset.store", "commit.store"),
    ] {
        let e = reject(&VALID.replace("\"crashes\"", &format!("\"{key}\": \"x\", \"crashes\"")));
        assert!(
            e.message.contains(&format!("`{key}` is a Kafka consumer setting; its field here is `{field}`")),
            "{e}"
        );
        assert!(e.message.contains(&format!("\"consumer_config\": {{\"{key}\": \"…\"}}")), "{e}");
    }
    // Spelt with underscores, it is still Kafka's key.
    let e = reject(&VALID.replace("\"crashes\"", "\"enable_auto_commit\": true, \"crashes\""));
    assert!(e.message.contains("`enable.auto.commit` is a Kafka consumer setting"), "{e}");
    let e = reject(&VALID.replace("\"crashes\"", "\"session.timeout.ms\": 10, \"crashes\""));
    assert!(e.message.contains("a Kafka consumer setting with no field of its own"), "{e}");
    let e = reject(&VALID.replace("\"crashes\"", "\"fetch.min.bytes\": 10, \"crashes\""));
    assert!(e.message.contains("if it is a Kafka consumer setting, write it in \"consumer_config\""), "{e}");
}

#[test]
fn any_is_no_expectation_and_gate_named_gates_only_the_named() {
    let any = parse_str(&VALID.replace("\"violated\"", "\"any\"")).unwrap();
    assert_eq!(any.expected("no-duplicate"), Expectation::Any);
    assert_eq!(any.expected("no-loss"), Expectation::Holds, "unnamed, gated by default");
    let named = parse_str(&VALID.replace("\"expect\"", "\"gate\": \"named\", \"expect\"")).unwrap();
    assert_eq!(named.gate, Gate::Named);
    assert_eq!(named.expected("no-duplicate"), Expectation::Violated);
    assert_eq!(named.expected("no-loss"), Expectation::Any);
    assert!(!Expectation::Any.gated() && Expectation::Holds.gated());
    assert!(
        [Verdict::Holds, Verdict::Violated, Verdict::Unknown].into_iter().all(|v| Expectation::Any.admits(v))
    );
    assert!(!Expectation::Holds.admits(Verdict::Unknown));
    let e = reject(&VALID.replace("\"expect\"", "\"gate\": \"some\", \"expect\""));
    assert_eq!(e.field.as_deref(), Some("gate"));
    assert!(e.message.contains("`all`") && e.message.contains("`named`"), "{e}");
}

#[test]
fn a_misspelt_value_gets_the_value_meant() {
    let e = reject(&VALID.replace("\"at-least-once\"", "\"at-least-onse\""));
    assert_eq!(e.field.as_deref(), Some("strategy"));
    assert!(e.message.ends_with("; did you mean `at-least-once`?"), "{e}");
    let e = reject(&VALID.replace("\"violated\"", "\"violate\""));
    assert_eq!(e.field.as_deref(), Some("expect.no-duplicate"));
    assert!(e.message.ends_with("; did you mean `violated`?"), "{e}");
}

#[test]
fn gate_written_inside_expect_is_pointed_beside_it() {
    let text = VALID
        .replace("\"no-duplicate\": \"violated\"", "\"no-duplicate\": \"violated\", \"gate\": \"named\"");
    let e = parse_str(&text).unwrap_err();
    let first = &e.problems[0];
    assert_eq!(first.field.as_deref(), Some("expect"));
    assert!(first.message.starts_with("`gate` is a field of its own, beside `expect`"), "{e}");
    assert!(first.position.is_some(), "{e}");
}

#[test]
fn a_misspelt_property_gets_the_property_meant() {
    let e = reject(&VALID.replace("\"no-duplicate\"", "\"no-duplicates\""));
    assert_eq!(e.field.as_deref(), Some("expect"));
    assert!(e.message.ends_with("; did you mean `no-duplicate`?"), "{e}");
    let e = reject(&VALID.replace("\"no-duplicate\"", "\"durability\""));
    assert!(!e.message.contains("did you mean"), "{e}");
}

#[test]
fn unknown_strategy_names_field_and_choices() {
    let e = reject(&VALID.replace("at-least-once", "twice"));
    assert_eq!(e.field.as_deref(), Some("strategy"));
    assert!(e.message.contains("unknown variant `twice`"), "{e}");
    assert!(e.message.contains("exactly-once"), "{e}");
}

#[test]
fn zero_consumers_is_rejected() {
    let e = reject(&VALID.replace("\"consumers\": 1", "\"consumers\": 0"));
    assert_eq!(e.field.as_deref(), Some("consumers"));
    assert!(e.message.contains("between 1 and"), "{e}");
}

#[test]
fn unknown_property_and_verdict_are_rejected() {
    let e = reject(&VALID.replace("no-duplicate", "no-dupes"));
    assert_eq!(e.field.as_deref(), Some("expect"));
    assert!(e.message.contains("no-dupes"), "{e}");
    let e = reject(&VALID.replace("\"violated\"", "\"maybe\""));
    assert_eq!(e.field.as_deref(), Some("expect.no-duplicate"));
}

#[test]
fn group_knobs_need_group_assignment() {
    let e = reject(&VALID.replace("\"crashes\": 1", "\"crashes\": 1, \"pauses\": 1"));
    assert_eq!(e.field.as_deref(), Some("pauses"));
    let group = VALID.replace(
        "\"crashes\": 1",
        "\"crashes\": 1, \"assignment\": \"group\", \"assignor\": \"cooperative-sticky\", \"pauses\": 1",
    );
    let s = parse_str(&group).unwrap();
    assert_eq!(s.group.assignor, Assignor::CooperativeSticky);
    assert_eq!((s.group.pauses, s.group.fencing, s.group.commit_on_revoke), (1, Fencing::Generation, false));
    let sticky = parse_str(&group.replace("cooperative-sticky", "sticky")).unwrap();
    assert_eq!((sticky.group.assignor, sticky.group.assignor.is_eager()), (Assignor::Sticky, true));
    let e = reject(&group.replace("cooperative-sticky", "cooperative"));
    assert_eq!(e.field.as_deref(), Some("assignor"));
    assert!(e.message.contains("`sticky`"), "{e}");
}

#[test]
fn workers_need_at_least_once_with_manual_assignment() {
    let workers = VALID.replace(
        "\"crashes\": 1",
        "\"crashes\": 1, \"workers\": 2, \"commit_policy\": \"highest-completed\"",
    );
    let s = parse_str(&workers).unwrap();
    assert_eq!((s.workers, s.commit_policy), (2, CommitPolicy::HighestCompleted));
    let e = reject(&workers.replace("at-least-once", "exactly-once"));
    assert_eq!(e.field.as_deref(), Some("workers"));
    let e = reject(&workers.replace("\"workers\": 2", "\"workers\": 1"));
    assert_eq!(e.field.as_deref(), Some("commit_policy"));
}

#[test]
fn commit_every_is_for_at_least_once() {
    let every = VALID.replace("\"crashes\": 1", "\"crashes\": 1, \"commit_every\": 2");
    assert_eq!(parse_str(&every).unwrap().commit_every, 2);
    let e = reject(&every.replace("at-least-once", "at-most-once"));
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
    let e = reject(&topic.replace("\"leader\"", "\"one\""));
    assert_eq!(e.field.as_deref(), Some("offsets_topic.acks"));
    assert!(e.message.contains("`leader`") && e.message.contains("`all`"), "{e}");
    let e = reject(&topic.replace("\"replicas\": 3", "\"replicas\": 4"));
    assert_eq!(e.field.as_deref(), Some("offsets_topic.replicas"));
    assert!(e.message.contains("between 1 and 3"), "{e}");
    let e = reject(&topic.replace("\"replicas\"", "\"replica\""));
    assert!(e.message.contains("unknown field `replica`"), "{e}");
    let e = reject(&topic.replace("\"leader\" }", "\"leader\", \"unclean_election\": 1 }"));
    assert_eq!(e.field.as_deref(), Some("offsets_topic.unclean_election"));
    let e = reject(&topic.replace("\"coordinator_failovers\": 1", "\"coordinator_failovers\": 51"));
    assert_eq!(e.field.as_deref(), Some("coordinator_failovers"));
    let group = topic.replace("\"crashes\": 1", "\"crashes\": 1, \"assignment\": \"group\"");
    assert_eq!(parse_str(&group).unwrap().offsets_topic.failovers, 1, "the group fails over with its log");
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
    assert_eq!(
        s.offsets,
        OffsetsConfig { retention: Retention::WhileActive, reset: Reset::Latest, new_group: false }
    );
    assert!(s.offsets.seeded());
    assert!(s.offsets.lifecycle());
    let e = reject(&both.replace("while-active", "always"));
    assert_eq!(e.field.as_deref(), Some("offsets.retention"));
    assert!(e.message.contains("`when-empty`") && e.message.contains("`never`"), "{e}");
    let e = reject(&both.replace("\"latest\"", "\"largest\""));
    assert_eq!(e.field.as_deref(), Some("offsets.reset"));
    assert!(e.message.contains("`earliest`") && e.message.contains("`none`"), "{e}");
    let e = reject(&both.replace("\"reset\"", "\"auto_reset\""));
    assert!(e.message.contains("unknown field `auto_reset`"), "{e}");
    let e = reject(&both.replace("\"produce\": 2", "\"produce\": 198"));
    assert_eq!(e.field.as_deref(), Some("produce"));
    assert!(e.message.contains("between 0 and 197"), "{e}");
    // A producer with several partitions per consumer, or with groups: a
    // held fetch is answered empty once fetch.max.wait.ms elapses.
    let two = parse_str(&both.replace("\"partitions\": 1", "\"partitions\": 2")).unwrap();
    assert_eq!((two.partitions, two.produce), (2, 2));
    let group = both.replace("\"crashes\": 1", "\"crashes\": 1, \"assignment\": \"group\"");
    assert_eq!(parse_str(&group).unwrap().produce, 2);
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
    let e = reject(&with(r#""commit": { "mode": "later" }"#));
    assert_eq!(e.field.as_deref(), Some("commit.mode"));
    assert!(e.message.contains("`sync`") && e.message.contains("`auto`"), "{e}");
    let e = reject(&with(r#""network": "tcp""#));
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
        (r#""network": "lossy", "commit": { "mode": "auto", "processing": "worker" }"#, "network"),
    ] {
        let e = reject(&with(extra));
        assert_eq!(e.field.as_deref(), Some(field), "{extra}: {e}");
    }
    let e = reject(&with(r#""commit": { "mode": "async" }"#).replace("at-least-once", "at-most-once"));
    assert_eq!(e.field.as_deref(), Some("commit.mode"));
    let e = reject(&with(r#""network": "lossy""#).replace("at-least-once", "exactly-once"));
    assert_eq!(e.field.as_deref(), Some("network"));
}

#[test]
fn trailing_content_and_wrong_types_are_errors() {
    assert!(parse_str(&format!("{VALID} x")).is_err());
    let e = reject(&VALID.replace("\"messages\": 3", "\"messages\": \"3\""));
    assert_eq!(e.field.as_deref(), Some("messages"));
    assert!(parse_str(&VALID.replace("\"messages\": 3", "\"messages\": -3")).is_err());
    assert!(parse_str(&VALID.replace("\"messages\": 3", "\"messages\": 99999999999")).is_err());
}

/// An empty partition is a real topic's common state; a producer may fill it.
#[test]
fn an_empty_partition_is_a_scenario() {
    let s = parse_str(&VALID.replace("\"messages\": 3", "\"messages\": 0")).unwrap();
    assert_eq!((s.messages, s.log_end()), (0, 0));
    let e = reject(&VALID.replace("\"messages\": 3", "\"messages\": 201"));
    assert!(e.message.contains("between 0 and 200"), "{e}");
}

fn with_config(config: &str) -> String {
    VALID.replace("\"crashes\": 1", &format!("\"crashes\": 1, \"consumer_config\": {{ {config} }}"))
}

#[test]
fn consumer_config_keys_are_written_onto_the_fields() {
    let s = parse_str(&with_config(
        r#""enable.auto.commit": "true", "auto.offset.reset": "latest", "max.poll.records": "3""#,
    ))
    .unwrap();
    assert_eq!((s.commit.mode, s.offsets.reset, s.max_poll_records), (CommitMode::Auto, Reset::Latest, 3));
    let keys: Vec<(&str, consumer_config::Effect)> =
        s.consumer_config.iter().map(|c| (c.entry.key.as_str(), c.effect)).collect();
    use consumer_config::Effect::Field;
    assert_eq!(
        keys,
        [
            ("auto.offset.reset", Field("offsets.reset")),
            ("enable.auto.commit", Field("commit.mode")),
            ("max.poll.records", Field("max_poll_records"))
        ]
    );
    // false leaves the scenario's own mode.
    let own = with_config(r#""enable.auto.commit": "false""#)
        .replace("\"crashes\": 1,", "\"crashes\": 1, \"commit\": { \"mode\": \"async\" },");
    assert_eq!(parse_str(&own).unwrap().commit.mode, CommitMode::Async);
    let strategy = r#""assignment": "group", "consumer_config": { "partition.assignment.strategy": "org.apache.kafka.clients.consumer.StickyAssignor" }"#;
    let s = parse_str(&VALID.replace("\"crashes\": 1", &format!("\"crashes\": 1, {strategy}"))).unwrap();
    assert_eq!(s.group.assignor, Assignor::Sticky);
    // Under assign() the assignor is unused: accepted, not applied.
    let s = parse_str(&with_config(
        r#""partition.assignment.strategy": "org.apache.kafka.clients.consumer.StickyAssignor""#,
    ))
    .unwrap();
    assert_eq!(s.group.assignor, Assignor::Range);
    assert!(matches!(s.consumer_config[0].effect, consumer_config::Effect::NoEffect(_)));
}

#[test]
fn a_bad_value_names_the_key_and_a_broken_rule_names_the_key_that_set_the_field() {
    let e = reject(&with_config(r#""max.poll.records": "many""#));
    assert_eq!(e.field.as_deref(), Some("consumer_config.max.poll.records"));
    assert!(e.message.contains("32-bit integer"), "{e}");
    let e = reject(&with_config(r#""max.poll.records": "500""#));
    assert_eq!(e.field.as_deref(), Some("max_poll_records"));
    assert!(e.message.contains("between 1 and 200, got 500"), "{e}");
    assert!(e.message.contains("set by `max.poll.records=500`"), "{e}");
    let e = reject(&with_config(r#""enable.auto.commit": "true""#).replace("at-least-once", "at-most-once"));
    assert_eq!(e.field.as_deref(), Some("commit.mode"));
    assert!(
        e.message.contains("at-least-once strategy only") && e.message.contains("enable.auto.commit=true"),
        "{e}"
    );
    let e = reject(&with_config(r#""auto.offset.reset": "by_duration:PT1H""#));
    assert!(e.message.contains("KIP-1106"), "{e}");
    let e = reject(&with_config(r#""max.poll.records": 2"#));
    assert_eq!(e.field.as_deref(), Some("consumer_config.max.poll.records"));
    assert!(e.message.contains("expected a string"), "{e}");
}

#[test]
fn a_key_that_contradicts_an_explicit_field_is_an_error_naming_both() {
    let e = reject(
        &with_config(r#""enable.auto.commit": "true""#)
            .replace("\"crashes\": 1,", "\"crashes\": 1, \"commit\": { \"mode\": \"sync\" },"),
    );
    assert_eq!(e.field.as_deref(), Some("commit.mode"));
    assert_eq!(
        e.message,
        "`enable.auto.commit=true` conflicts with the scenario's \"commit.mode\": \"sync\""
    );
    let e = reject(
        &with_config(r#""max.poll.records": "2""#)
            .replace("\"crashes\": 1,", "\"crashes\": 1, \"max_poll_records\": 1,"),
    );
    assert!(e.message.contains("\"max_poll_records\": 1"), "{e}");
    // Agreeing with the field is no conflict.
    let agree = with_config(r#""auto.offset.reset": "none""#)
        .replace("\"crashes\": 1,", "\"crashes\": 1, \"offsets\": { \"reset\": \"none\" },");
    assert_eq!(parse_str(&agree).unwrap().offsets.reset, Reset::None);
}

#[test]
fn a_properties_file_applies_as_if_written_in_the_scenario() {
    let props =
        ConsumerConfig::parse(Path::new("my.properties"), b"max.poll.records=2\nmax.poll.records=x\n")
            .unwrap();
    let e = parse_with(Path::new("models/x.json"), VALID.as_bytes(), Some(&props)).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert!(e.problems[0].message.contains("(my.properties:2): Kafka expects a 32-bit integer"), "{e}");
    let props = ConsumerConfig::parse(Path::new("my.properties"), b"max.poll.records=2\n").unwrap();
    assert_eq!(parse_with(Path::new("x.json"), VALID.as_bytes(), Some(&props)).unwrap().max_poll_records, 2);
    let same = with_config(r#""max.poll.records": "2""#);
    assert!(parse_with(Path::new("x.json"), same.as_bytes(), Some(&props)).is_ok());
    let other = with_config(r#""max.poll.records": "3""#);
    let e = parse_with(Path::new("x.json"), other.as_bytes(), Some(&props)).unwrap_err();
    assert_eq!(
        e.problems[0].message,
        "`max.poll.records` is `3` in the scenario's consumer_config but `2` at my.properties:1"
    );
}

#[test]
fn the_offset_store_is_librdkafkas_and_its_key_maps_onto_it() {
    let auto = "\"commit\": { \"mode\": \"auto\", \"store\": \"after-processing\" }";
    let java = VALID.replace("\"crashes\": 1", &format!("\"crashes\": 1, {auto}"));
    let p = reject(&java);
    assert_eq!((p.field.as_deref(), p.rule), (Some("commit.store"), Some("commit-store-librdkafka")));
    let s = parse_str(&java.replace("\"crashes\": 1", "\"crashes\": 1, \"client\": \"librdkafka\"")).unwrap();
    assert_eq!((s.client, s.commit.store), (Client::Librdkafka, OffsetStore::AfterProcessing));
    assert!(s.stores_after_processing());
    assert_eq!(parse_str(VALID).unwrap().client, Client::Java, "java by default");
    // enable.auto.offset.store=false is commit.store after-processing, for librdkafka only.
    let key = with_config(r#""enable.auto.commit": "true", "enable.auto.offset.store": "false""#);
    let s = parse_str(&key.replace("\"crashes\": 1", "\"crashes\": 1, \"client\": \"librdkafka\"")).unwrap();
    assert_eq!((s.commit.mode, s.commit.store), (CommitMode::Auto, OffsetStore::AfterProcessing));
    let s = parse_str(&key).unwrap();
    assert_eq!(s.commit.store, OffsetStore::OnPoll, "the Java client has no offset store");
    assert!(matches!(s.consumer_config[1].effect, consumer_config::Effect::NoEffect(_)));
}
