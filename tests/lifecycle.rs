//! Offset lifecycle (retention, auto.offset.reset) and the producer: what
//! the counterexamples must show a reader, and what keeps records safe.

use kafkacheck::check::{self, Options};
use kafkacheck::model::event::Actor;
use kafkacheck::model::{self, View, in_flight};
use kafkacheck::scenario::{self, Retention, Scenario};
use kafkacheck::verdict::Verdict;
use stateright::Model;
use std::path::Path;

mod common {
    pub mod outcomes;
}
use common::outcomes::*;

#[test]
fn while_active_expiry_with_latest_skips_the_record_after_the_commit() {
    let outcome = check_model("models/offsets-while-active-latest.json");
    let t = trace_of(&outcome, "no-loss");
    let s = &t.steps;
    let commit = find(s, 0, |x| is(x, Actor::Coordinator, "commit", Some(1))).expect("offset 1 committed");
    let crash = find(s, commit, |x| is(x, Actor::Consumer(0), "crash", None)).expect("then a crash");
    let recover = find(s, crash, |x| is(x, Actor::Consumer(0), "recover", None)).expect("and the restart");
    let expire =
        find(s, commit, |x| is(x, Actor::Coordinator, "expire", Some(1))).expect("the commit of 1 expires");
    assert!(s[expire].text.contains("KAFKA-4682"), "{}", s[expire].text);
    let none = find(s, recover.max(expire), |x| {
        is(x, Actor::Coordinator, "fetch-offset", None) && x.offset().is_none()
    })
    .expect("the restarted consumer is told nothing is committed");
    let reset =
        find(s, none, |x| is(x, Actor::Consumer(0), "reset", Some(2))).expect("reset to the log end, 2");
    assert!(s[reset].text.contains("offset(s) 1 are skipped"), "{}", s[reset].text);
    let last = s.last().unwrap();
    assert!(
        is(last, Actor::Coordinator, "commit", Some(2)),
        "the commit past offset 1 makes it lost: {last:?}"
    );
    assert!(s.iter().all(|x| !is(x, Actor::Sink, "process", Some(1))), "offset 1 is never processed");
    assert_eq!(t.violation.matches("partition 0 offset").count(), 1, "{}", t.violation);
    assert!(t.violation.contains("partition 0 offset 1"), "{}", t.violation);
}

#[test]
fn while_active_expiry_with_earliest_duplicates_but_loses_nothing() {
    let outcome = check_model("models/offsets-while-active-earliest.json");
    assert!(outcome.complete);
    assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds);
    assert_eq!(verdict(&outcome, "all-processed"), Verdict::Holds);
    let back = trace_of(&outcome, "committed-monotonic");
    assert_eq!(
        back.violation, "partition 0: committed offset 2 expired, then reset to 1",
        "an expiry counts"
    );
    assert_eq!(verdict(&outcome, "no-duplicate"), Verdict::Violated);
}

/// An `assign()` consumer never joins its group, so KIP-211 leaves it a
/// standalone group whose offsets expire retention after their last commit,
/// whether or not the consumer runs: `when-empty` is `while-active` there.
#[test]
fn a_standalone_groups_offsets_expire_whether_or_not_its_consumer_runs() {
    let outcome = check_model("models/offsets-when-empty-latest.json");
    let s = &trace_of(&outcome, "no-loss").steps;
    let expire = find(s, 0, |x| x.name() == "expire").expect("an expiry");
    assert!(
        s[expire].text.contains("standalone group") && s[expire].text.contains("KIP-211"),
        "{}",
        s[expire].text
    );
    let mut scenario = scenario::load(Path::new("models/offsets-when-empty-latest.json")).unwrap();
    scenario.offsets.retention = Retention::WhileActive;
    let while_active = check::check(&scenario, &Options::default());
    assert_eq!(outcome.unique_states, while_active.unique_states);
    for p in &outcome.properties {
        assert_eq!(p.verdict, verdict(&while_active, p.name), "{}", p.name);
    }
}

#[test]
fn when_empty_never_expires_an_active_groups_offset() {
    let outcome = check_model("models/offsets-when-empty-latest-group.json");
    assert!(outcome.complete);
    for property in ["no-loss", "all-processed", "committed-monotonic", "single-owner"] {
        assert_eq!(verdict(&outcome, property), Verdict::Holds, "{property}");
    }
    // The same group before KIP-211 loses the record.
    let mut s = scenario::load(Path::new("models/offsets-when-empty-latest-group.json")).unwrap();
    s.offsets.retention = Retention::WhileActive;
    let before_kip_211 = check::check(&s, &Options::default());
    let t = trace_of(&before_kip_211, "no-loss");
    let expire = find(&t.steps, 0, |x| x.name() == "expire").expect("an expiry");
    assert!(
        find(&t.steps, expire, |x| is(x, Actor::Consumer(1), "reset", Some(2))).is_some(),
        "the surviving member resets to the log end: {t:?}"
    );
}

#[test]
fn reset_none_stops_the_consumer_with_an_error() {
    let outcome = check_model("models/offsets-reset-none.json");
    assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds);
    let t = trace_of(&outcome, "all-processed");
    let expire = find(&t.steps, 0, |x| x.name() == "expire").expect("an expiry");
    let error =
        find(&t.steps, expire, |x| is(x, Actor::Consumer(0), "reset-error", None)).expect("reset-error");
    assert!(t.steps[error].text.contains("NoOffsetForPartitionException"), "{}", t.steps[error].text);
    assert!(t.steps.iter().all(|x| x.name() != "revoke"), "the partition is not revoked, it failed");
    assert!(t.violation.contains("partition 0 offset 1"), "{}", t.violation);
}

#[test]
fn latest_skips_records_the_producer_appended() {
    let outcome = check_model("models/offsets-produce-latest.json");
    let t = trace_of(&outcome, "no-loss");
    let produced: Vec<u8> =
        t.steps.iter().filter(|x| x.name() == "produce").filter_map(|x| x.offset()).collect();
    assert_eq!(produced, vec![1, 2], "the producer appends offsets 1 and 2");
    let reset =
        find(&t.steps, 0, |x| is(x, Actor::Consumer(0), "reset", Some(3))).expect("reset to the log end, 3");
    assert!(t.steps[reset].text.contains("1, 2 are skipped"), "{}", t.steps[reset].text);
    assert!(t.violation.contains("partition 0 offset 1, partition 0 offset 2"), "{}", t.violation);
}

/// Without faults every produced record is processed exactly once; a
/// consumer that caught up waits at the broker (long poll) and is answered
/// by the next append.
#[test]
fn produced_records_are_all_processed_through_the_long_poll() {
    for (partitions, consumers) in [(1, 1), (2, 2)] {
        let s = Scenario { messages: 1, produce: 2, partitions, consumers, ..Scenario::default() };
        let outcome = check::check(&s, &Options::default());
        assert!(outcome.complete);
        for p in &outcome.properties {
            assert_eq!(p.verdict, Verdict::Holds, "{} with {partitions} partition(s)", p.name);
        }
    }
    // A violation only the producer's records can show: at-most-once loses one after the commit.
    let s = Scenario {
        messages: 1,
        produce: 1,
        crashes: 1,
        strategy: scenario::Strategy::AtMostOnce,
        ..Scenario::default()
    };
    let outcome = check::check(&s, &Options::default());
    let t = trace_of(&outcome, "all-processed");
    assert!(t.violation.contains("never processed"), "{}", t.violation);
    let held =
        check::check(&Scenario { messages: 1, produce: 1, ..Scenario::default() }, &Options::default());
    assert!(held.properties.iter().all(|p| p.verdict == Verdict::Holds));
}

#[test]
fn a_caught_up_fetch_is_held_until_the_producer_appends() {
    let s = Scenario { messages: 1, produce: 1, ..Scenario::default() };
    let m = model::build(&s);
    let to_offset_1 = [
        "OffsetFetch p0 → coordinator",
        "OffsetFetchResponse",
        "Fetch p0 from @0",
        "FetchResponse",
        "Output p0 @0",
        "OutputAck",
        "OffsetCommit p0 @1",
        "OffsetCommitResponse",
        "Fetch p0 from @1",
    ];
    let (held, _) = walk(&m, &to_offset_1);
    assert_eq!(in_flight(&held).count(), 0, "the broker holds the fetch: nothing is on its way");
    let mut actions = Vec::new();
    m.actions(&held, &mut actions);
    let names: Vec<String> = actions.iter().map(|a| m.format_action(a)).collect();
    assert_eq!(names, vec!["producer appends a record to p0"], "only the producer can go on");
    let mut steps = to_offset_1.to_vec();
    steps.extend(["producer appends", "FetchResponse p0 @1"]);
    let (after, taken) = walk(&m, &steps);
    assert!(after.sink().times_applied(0, 1) == 0 && in_flight(&after).count() == 1, "Output of @1 sent");
    let path = stateright::Path::from_actions(&m, m.init_states().remove(0), &taken).unwrap();
    let t = kafkacheck::trace::trace(&m, &path, String::new());
    let fetch = find(&t.steps, 0, |x| is(x, Actor::Broker, "fetch", Some(1))).unwrap();
    assert!(t.steps[fetch].text.contains("long poll"), "{}", t.steps[fetch].text);
    let produce = find(&t.steps, fetch, |x| is(x, Actor::Broker, "produce", Some(1))).unwrap();
    assert!(
        t.steps[produce].text.contains("answers the fetch it held for consumer-0"),
        "{}",
        t.steps[produce].text
    );
    assert!(is(t.steps.last().unwrap(), Actor::Consumer(0), "receive", Some(1)));
}
