//! A producer with group assignment (`models/group-produce.json`): a fetch
//! the broker holds at the log end is answered empty once
//! `fetch.max.wait.ms` elapses, which lets the consumer read its other
//! partition and act on a rebalance, and is offered only then.

use kafkacheck::model::event::Actor;
use kafkacheck::model::{self, KafkaAction, KafkaModel, KafkaState};
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
const TO_THE_HELD_FETCH: [&str; 17] = [
    "consumer-0 → JoinGroup",
    "JoinResponse",
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

/// The Explorer's names of the steps offered in `state`.
fn offered(model: &KafkaModel, state: &KafkaState) -> Vec<String> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions.iter().map(|a| model.format_action(a)).collect()
}

/// Takes the steps whose Explorer names contain each of `names` in turn.
fn walk(model: &KafkaModel, names: &[&str]) -> (KafkaState, Vec<KafkaAction>) {
    let mut state = model.init_states().remove(0);
    let mut taken = Vec::new();
    for name in names {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let action = actions
            .into_iter()
            .find(|a| model.format_action(a).contains(name))
            .unwrap_or_else(|| panic!("no step `{name}` in {:#?}", offered(model, &state)));
        state = model.next_state(&state, action.clone()).expect("the step happens");
        taken.push(action);
    }
    (state, taken)
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
