//! A producer with group assignment (`models/group-produce.json`): a fetch
//! the broker holds at the log end is answered empty once
//! `fetch.max.wait.ms` elapses, which lets the consumer read its other
//! partition and act on a rebalance, and is offered only then.

use kafkacheck::model::event::Actor;
use kafkacheck::model::{self, KafkaModel};
use kafkacheck::scenario;
use stateright::Model;
use std::path::Path;

mod common {
    pub mod outcomes;
}
use common::outcomes::*;

const WAIT_ELAPSES: &str = "broker: fetch.max.wait.ms elapses on consumer-0's held Fetch, answered empty";

/// Consumer-0 alone in the group: it owns both partitions, reads and
/// commits the one record of each, and fetches partition 0 again (held).
const TO_THE_HELD_FETCH: [&str; 19] = [
    "consumer-0 → JoinGroup",
    "JoinResponse",
    "consumer-0 → SyncGroup",
    "SyncResponse",
    "consumer-0 → OffsetFetch",
    "OffsetFetchResponse",
    "consumer-0 → Fetch p0 from @0",
    "FetchResponse p0 @0",
    "Output p0 @0",
    "OutputAck p0 @0",
    "OffsetCommit p0 @1",
    "OffsetCommitResponse p0 @1",
    "consumer-0 → Fetch p1 from @0",
    "FetchResponse p1 @0",
    "Output p1 @0",
    "OutputAck p1 @0",
    "OffsetCommit p1 @1",
    "OffsetCommitResponse p1 @1",
    "consumer-0 → Fetch p0 from @1",
];

fn group_produce() -> KafkaModel {
    let s = scenario::load(Path::new("models/group-produce.json")).expect("the model file parses");
    model::build(&s)
}

#[test]
fn a_caught_up_consumer_with_nothing_else_to_do_waits_for_the_producer() {
    let m = group_produce();
    let (held, _) = walk(&m, &TO_THE_HELD_FETCH);
    let names = offered(&m, &held);
    assert!(!names.iter().any(|n| n == WAIT_ELAPSES), "an empty poll would change nothing: {names:#?}");
    assert!(names.iter().any(|n| n == "producer appends a record to p0"), "{names:#?}");
}

#[test]
fn the_wait_elapses_so_the_consumer_reads_its_other_partition() {
    let m = group_produce();
    let mut steps = TO_THE_HELD_FETCH.to_vec();
    steps.extend([
        "producer appends a record to p1",
        WAIT_ELAPSES,
        "FetchResponse p0 no records at @1",
        "consumer-0 → Fetch p1 from @1",
        "FetchResponse p1 @1",
    ]);
    let (_, taken) = walk(&m, &steps);
    let path = stateright::Path::from_actions(&m, m.init_states().remove(0), &taken).unwrap();
    let t = kafkacheck::trace::trace(&m, &path, String::new());
    let elapsed = find(&t.steps, 0, |x| is(x, Actor::Broker, "fetch-wait-elapsed", Some(1))).unwrap();
    assert!(t.steps[elapsed].text.contains("fetch.max.wait.ms elapsed on consumer-0's held fetch"));
    assert_eq!(t.steps[elapsed].peer(), Some(Actor::Consumer(0)));
    let empty = find(&t.steps, elapsed, |x| is(x, Actor::Consumer(0), "empty-poll", Some(1))).unwrap();
    assert!(t.steps[empty].text.contains("poll() returned no records"), "{}", t.steps[empty].text);
    assert!(is(t.steps.last().unwrap(), Actor::Consumer(0), "receive", Some(1)), "the produced record of p1");
}

#[test]
fn the_wait_elapses_so_the_consumer_acts_on_a_rebalance() {
    let m = group_produce();
    let mut steps = TO_THE_HELD_FETCH.to_vec();
    steps.extend(["consumer-1 → JoinGroup", "RebalanceNotice"]);
    let (noticed, _) = walk(&m, &steps);
    let names = offered(&m, &noticed);
    assert!(
        !names.iter().any(|n| n.starts_with("consumer-0 →")),
        "the notice waits for poll() to return: {names:#?}"
    );
    steps.extend([WAIT_ELAPSES, "FetchResponse p0 no records at @1", "consumer-0 → JoinGroup"]);
    let (_, taken) = walk(&m, &steps);
    let path = stateright::Path::from_actions(&m, m.init_states().remove(0), &taken).unwrap();
    let t = kafkacheck::trace::trace(&m, &path, String::new());
    let empty = find(&t.steps, 0, |x| is(x, Actor::Consumer(0), "empty-poll", Some(1))).unwrap();
    let rejoin = find(&t.steps, empty, |x| is(x, Actor::Coordinator, "join", None)).unwrap();
    assert!(t.steps[rejoin].text.contains("consumer-0"), "{}", t.steps[rejoin].text);
}

/// Symmetry reduction renames consumers: a fetch the broker holds, and its
/// pending choice of the wait that elapses, name the renamed consumer, so
/// the producer's record reaches the consumer that asked for it.
#[test]
fn symmetry_renames_the_consumer_a_held_fetch_belongs_to() {
    use kafkacheck::model::broker::BrokerState;
    use kafkacheck::model::choice::{Choice, FETCH_WAIT};
    use kafkacheck::model::{BROKER, FIRST_CONSUMER, View, in_flight, symmetry};
    let mut s = scenario::load(Path::new("models/group-produce.json")).unwrap();
    s.crashes = 1;
    let m = model::build(&s);
    let mut steps: Vec<String> =
        TO_THE_HELD_FETCH.iter().map(|n| n.replace("consumer-0", "consumer-1")).collect();
    // Consumer-0 restarts: its incarnation sorts it after consumer-1.
    steps.extend(["crash consumer-0".into(), "recover consumer-0".into()]);
    let names: Vec<&str> = steps.iter().map(String::as_str).collect();
    let (state, _) = walk(&m, &names);
    assert_eq!(BrokerState::of(&state).parked[0].consumer, 1);
    let rep = symmetry::representative(&state);
    assert_eq!(rep.consumer(0).0, state.consumer(1).0, "consumer-1 is consumer-0 in the representative");
    let held = BrokerState::of(&rep).parked[0];
    assert_eq!((held.consumer, held.incarnation, held.partition, held.offset), (0, 0, 0, 1));
    let waiting = rep.random_choices[BROKER].map.get(FETCH_WAIT);
    assert_eq!(waiting, Some(&vec![Choice::FetchWaitElapsed { consumer: 0, incarnation: 0 }]));
    let mut actions = Vec::new();
    m.actions(&rep, &mut actions);
    let append =
        actions.into_iter().find(|a| m.format_action(a) == "producer appends a record to p0").unwrap();
    let next = m.next_state(&rep, append).unwrap();
    let to_consumer_0 = stateright::actor::Id::from(FIRST_CONSUMER);
    assert!(
        in_flight(&next).any(|e| e.dst == to_consumer_0
            && m.format_action(&stateright::actor::ActorModelAction::Deliver {
                src: e.src,
                dst: e.dst,
                msg: e.msg.clone()
            })
            .contains("FetchResponse p0 @1")),
        "the record goes to the consumer that fetched it"
    );
}
