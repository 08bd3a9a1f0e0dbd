//! Offsets-topic durability and coordinator failover: what the
//! counterexamples of `acked-commit-durable` must show a reader, and what
//! keeps an acknowledged commit.

use kafkacheck::check::{self, Options, Outcome};
use kafkacheck::model::event::{Actor, Event};
use kafkacheck::scenario::{Acks, OffsetsTopicConfig, Scenario};
use kafkacheck::trace::{Trace, TraceStep};
use kafkacheck::verdict::Verdict;

mod common {
    pub mod outcomes;
}
use common::outcomes::*;

const PROPERTY: &str = "acked-commit-durable";

fn trace_of(outcome: &Outcome) -> &Trace {
    let p = outcome.properties.iter().find(|p| p.name == PROPERTY).unwrap();
    assert_eq!(p.verdict, Verdict::Violated);
    p.trace.as_ref().unwrap()
}

/// The replica an `elect` step names: "replica N became the leader ...".
/// The replica an `elect` event made the leader.
fn elected_replica(step: &TraceStep) -> u8 {
    match step.event {
        Event::Elect { replica, .. } => replica,
        ref other => panic!("not an election: {other:?}"),
    }
}

#[test]
fn acks_leader_loses_the_acknowledged_commit_at_the_failover() {
    let outcome = check_model("models/offsets-acks-leader-failover.json");
    let t = trace_of(&outcome);
    let commit =
        find(&t.steps, 0, |s| s.actor() == Actor::Coordinator && s.name() == "commit").expect("a commit");
    let acked = t.steps[commit].offset().expect("the commit names its offset");
    assert!(t.steps[commit].text.contains("acks=leader"), "{}", t.steps[commit].text);
    let failover = find(&t.steps, commit, |s| s.name() == "failover").expect("the failover after the commit");
    let elect = find(&t.steps, failover, |s| s.name() == "elect").expect("an election after the failover");
    assert_eq!(elect, t.steps.len() - 1, "the election is the last step");
    let replica = elected_replica(&t.steps[elect]);
    assert_ne!(replica, 0, "the failed leader is not re-elected while a follower is in sync");
    let fetched = t.steps[commit..failover]
        .iter()
        .any(|s| matches!(s.event, Event::Replicate { replica: r, .. } if r == replica));
    assert!(!fetched, "the elected replica never fetched the commit");
    assert!(t.steps[elect].text.contains(&format!("p0 @{acked} is gone")), "{}", t.steps[elect].text);
    assert!(
        t.violation.contains(&format!("commit of offset {acked} for partition 0")),
        "the violation names the lost commit: {}",
        t.violation
    );
    for other in ["no-loss", "all-processed"] {
        assert_eq!(verdict(&outcome, other), Verdict::Holds, "{other}");
    }
    assert_eq!(verdict(&outcome, "no-duplicate"), Verdict::Violated, "the file's consumer may crash");
}

/// The rewind a failover causes, as a client sees it: the counterexample of
/// `committed-monotonic` ends with the election that truncated the higher
/// commit and the first OffsetFetch answered with the lower one.
#[test]
fn a_failover_that_loses_a_commit_is_seen_by_the_next_offset_fetch() {
    for file in ["models/offsets-acks-leader-failover.json", "models/offsets-acks-all-unclean-failover.json"]
    {
        let outcome = check_model(file);
        let t = common::outcomes::trace_of(&outcome, "committed-monotonic");
        let last = t.steps.len() - 1;
        let elect = find(&t.steps, 0, |s| s.name() == "elect").expect("an election");
        assert_eq!(elect, last - 1, "{file}: the election comes right before the last step");
        let Event::FetchOffset { committed: Some(lower), .. } = t.steps[last].event else {
            panic!("{file}: the last step is an OffsetFetch answer, not {:?}", t.steps[last].event)
        };
        let higher = (t.steps[..elect].iter().filter(|s| s.name() == "commit"))
            .filter_map(|s| s.offset())
            .max()
            .expect("a commit before the election");
        assert!(lower < higher, "{file}: {lower} after {higher}");
        assert_eq!(t.violation, format!("partition 0: committed offset went back from {higher} to {lower}"));
    }
}

#[test]
fn acks_all_with_clean_elections_keeps_every_acknowledged_commit() {
    let outcome = check_model("models/offsets-acks-all-failover.json");
    assert!(outcome.complete);
    assert_eq!(verdict(&outcome, PROPERTY), Verdict::Holds);
}

#[test]
fn an_unclean_election_elects_a_replica_that_left_the_isr_before_the_commit() {
    let t = trace_of(&check_model("models/offsets-acks-all-unclean-failover.json")).clone();
    let elect = find(&t.steps, 0, |s| s.name() == "elect").expect("an election");
    assert!(t.steps[elect].text.contains("unclean"), "{}", t.steps[elect].text);
    let replica = elected_replica(&t.steps[elect]);
    let left = find(&t.steps, 0, |s| matches!(s.event, Event::LeaveIsr { replica: r, .. } if r == replica))
        .expect("the elected replica fell out of the ISR");
    let commit =
        find(&t.steps, 0, |s| s.actor() == Actor::Coordinator && s.name() == "commit").expect("a commit");
    assert!(left < commit, "it left before the commit it lacks");
    assert!(t.steps[commit].text.contains("acks=all"), "{}", t.steps[commit].text);
}

/// Replication alone loses nothing: without a failover in the budget the
/// coordinator never crashes, whatever `acks` is.
#[test]
fn no_failover_no_lost_commit() {
    for acks in [Acks::Leader, Acks::All] {
        let s = Scenario {
            messages: 2,
            offsets_topic: OffsetsTopicConfig { replicas: 3, acks, unclean_election: true, failovers: 0 },
            ..Scenario::default()
        };
        let outcome = check::check(&s, &Options::default());
        assert!(outcome.complete);
        assert_eq!(verdict(&outcome, PROPERTY), Verdict::Holds, "{acks:?}");
    }
}

/// With `acks: leader` the group's own metadata record can be lost like an
/// offset commit: the counterexample of `single-owner` shows the record of
/// generation 1 written with only the leader holding it, the failover, an
/// election that loads no group, and the other consumer made member of a
/// new generation 1 with the partition the first still reads.
#[test]
fn acks_leader_loses_the_group_record_and_generation_1_is_handed_out_again() {
    let outcome = check_model("models/group-coordinator-failover-acks-leader.json");
    let t = common::outcomes::trace_of(&outcome, "single-owner");
    let stored = |s: &TraceStep, c: u8| matches!(&s.event, Event::StoreGroup { generation: 1, members, .. } if members.iter().all(|&(_, x)| x == c));
    let first = find(&t.steps, 0, |s| stored(s, 0)).expect("generation 1 of consumer-0 is written");
    assert!(t.steps[first].text.contains("acks=leader"), "{}", t.steps[first].text);
    let failover = find(&t.steps, first, |s| s.name() == "failover").expect("the failover after it");
    let elect = find(&t.steps, failover, |s| s.name() == "elect").expect("an election after the failover");
    assert!(!t.steps.iter().any(|s| s.name() == "load-group"), "the elected replica has no group record");
    let again = find(&t.steps, elect, |s| stored(s, 1)).expect("generation 1 of consumer-1 is written");
    assert!(
        matches!(
            t.steps[again..].iter().find(|s| s.name() == "assign").map(|s| &s.event),
            Some(Event::Assign { consumer: 1, generation: 1, .. })
        ),
        "consumer-1 is assigned in generation 1"
    );
    assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds);
}

/// With `acks: all` the loaded group goes on: nothing is lost, nobody shares a partition.
#[test]
fn acks_all_keeps_the_group_across_the_failover() {
    let outcome = check_model("models/group-coordinator-failover.json");
    for p in ["single-owner", "no-duplicate", "acked-commit-durable", "all-processed"] {
        assert_eq!(verdict(&outcome, p), Verdict::Holds, "{p}");
    }
}
