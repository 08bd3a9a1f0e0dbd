//! The Explorer's texts of states and steps. States come from the model
//! itself (reached by steps named as the Explorer names them), so fields
//! added to the inner states later do not break these tests.

use super::*;
use crate::model::{COORDINATOR, FIRST_CONSUMER, KafkaModel, KafkaState, SINK, build};
use crate::scenario::{Assignment, Scenario};
use stateright::Model;

/// The state after the steps named `steps`, each of which must be offered.
fn walk(model: &KafkaModel, steps: &[&str]) -> KafkaState {
    let mut state = model.init_states().remove(0);
    for step in steps {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let names: Vec<String> = actions.iter().map(action).collect();
        let i = names.iter().position(|n| n == step).unwrap_or_else(|| panic!("{step:?} not in {names:#?}"));
        state = model.next_state(&state, actions.swap_remove(i)).expect("the step changes the state");
    }
    state
}

fn at_least_once() -> KafkaModel {
    build(&Scenario { messages: 2, max_poll_records: 2, crashes: 1, ..Default::default() })
}

const TO_THE_FIRST_OUTPUT: [&str; 6] = [
    "consumer-0 → OffsetFetch p0 → coordinator",
    "coordinator → OffsetFetchResponse p0 none (to incarnation 0) → consumer-0",
    "consumer-0 → Fetch p0 from @0, max 2 → broker",
    "broker → FetchResponse p0 @0..2 (to incarnation 0) → consumer-0",
    "consumer-0 → Output p0 @0 → sink",
    "sink → OutputAck p0 @0 (to incarnation 0) → consumer-0",
];

#[test]
fn a_consumer_reads_as_its_partitions_and_what_it_does() {
    let state = walk(&at_least_once(), &TO_THE_FIRST_OUTPUT);
    let consumer = &state.actor_states[FIRST_CONSUMER];
    assert_eq!(
        format!("{consumer:#?}"),
        "consumer, incarnation 0 {\n    \
         partition 0: position 2, committed 0\n    \
         processing offset 1 of partition 0 (batch 0..2): Output sent to the sink\n}"
    );
    assert_eq!(
        format!("{consumer:?}"),
        "consumer, incarnation 0 { partition 0: position 2, committed 0; \
         processing offset 1 of partition 0 (batch 0..2): Output sent to the sink }"
    );
}

#[test]
fn a_duplicate_shows_in_the_sink_after_a_crash() {
    let mut steps = TO_THE_FIRST_OUTPUT.to_vec();
    steps.extend([
        "crash consumer-0",
        "recover consumer-0",
        "consumer-0 → OffsetFetch p0 → coordinator",
        "coordinator → OffsetFetchResponse p0 none (to incarnation 1) → consumer-0",
        "consumer-0 → Fetch p0 from @0, max 2 → broker",
        "broker → FetchResponse p0 @0..2 (to incarnation 1) → consumer-0",
    ]);
    let state = walk(&at_least_once(), &steps);
    assert_eq!(
        format!("{:#?}", state.actor_states[FIRST_CONSUMER]),
        "consumer, incarnation 1 (restarted 1 time(s)) {\n    \
         partition 0: position 2, committed 0\n    \
         processing offset 0 of partition 0 (batch 0..2): Output sent to the sink\n}"
    );
    // The output of offset 1 sent before the crash is still on its way, ahead of the new one.
    steps.extend(["consumer-0 → Output p0 @1 → sink", "consumer-0 → Output p0 @0 → sink"]);
    let state = walk(&at_least_once(), &steps);
    assert_eq!(
        format!("{:#?}", state.actor_states[SINK]),
        "sink: times each record was applied {\n    partition 0: offset 0 ×2 (duplicate), offset 1 ×1\n}"
    );
}

#[test]
fn the_coordinator_shows_its_replicas_and_the_election() {
    use crate::scenario::{Acks, OffsetsTopicConfig};
    let model = build(&Scenario {
        messages: 2,
        max_poll_records: 2,
        offsets_topic: OffsetsTopicConfig {
            replicas: 3,
            acks: Acks::Leader,
            unclean_election: false,
            failovers: 1,
        },
        ..Default::default()
    });
    let mut steps = TO_THE_FIRST_OUTPUT.to_vec();
    steps.extend([
        "consumer-0 → Output p0 @1 → sink",
        "sink → OutputAck p0 @1 (to incarnation 0) → consumer-0",
        "consumer-0 → OffsetCommit p0 @2 → coordinator",
        "coordinator: replica 2 fetches up to the leader's log end",
        "crash coordinator",
        "recover coordinator",
    ]);
    let coordinator = |state: &KafkaState| format!("{:#?}", state.actor_states[crate::model::COORDINATOR]);
    let electing = walk(&model, &steps);
    assert_eq!(
        coordinator(&electing),
        "coordinator {\n    \
         committed: partition 0 @2\n    \
         __consumer_offsets: p0 @2\n    \
         leader: replica 0 in leader epoch 1\n      \
         replica 0: 1 record (leader)\n      \
         replica 1: 0 records (in sync, lags 1)\n      \
         replica 2: 1 record (in sync, caught up)\n    \
         electing the new leader among replica 1, replica 2: requests wait\n    \
         group: no members, generation 0\n}"
    );
    steps.push("coordinator: the controller elects replica 1 leader");
    let elected = walk(&model, &steps);
    assert_eq!(
        coordinator(&elected),
        "coordinator {\n    \
         committed: nothing yet\n    \
         __consumer_offsets: empty\n    \
         leader: replica 1 in leader epoch 1\n      \
         replica 0: 0 records (in sync, caught up)\n      \
         replica 1: 0 records (leader)\n      \
         replica 2: 0 records (in sync, caught up)\n    \
         group: no members, generation 0\n}"
    );
}

#[test]
fn the_broker_shows_held_fetches_and_the_coordinator_expiries() {
    use crate::model::BROKER;
    use crate::scenario::{OffsetsConfig, Reset, Retention};
    let offsets = OffsetsConfig { retention: Retention::WhileActive, reset: Reset::Latest, new_group: false };
    let m = build(&Scenario { messages: 1, produce: 1, offsets, ..Default::default() });
    let state = walk(
        &m,
        &[
            "consumer-0 → OffsetFetch p0 → coordinator",
            "coordinator → OffsetFetchResponse p0 @0 (to incarnation 0) → consumer-0",
            "consumer-0 → Fetch p0 from @0, max 1 → broker",
            "broker → FetchResponse p0 @0 (to incarnation 0) → consumer-0",
            "consumer-0 → Output p0 @0 → sink",
            "sink → OutputAck p0 @0 (to incarnation 0) → consumer-0",
            "consumer-0 → OffsetCommit p0 @1 → coordinator",
            "coordinator: the committed offset of p0 expires (tombstone)",
            "coordinator → OffsetCommitResponse p0 @1 (to incarnation 0) → consumer-0",
            "consumer-0 → Fetch p0 from @1, max 1 → broker",
        ],
    );
    assert_eq!(
        format!("{:?}", state.actor_states[BROKER]),
        "broker: serves the partition logs a producer appends to { log ends: p0 @1; \
         holds consumer-0's Fetch p0 from @1 until a record arrives (incarnation 0) }"
    );
    let coordinator = format!("{:?}", state.actor_states[COORDINATOR]);
    assert!(coordinator.contains("committed: partition 0 none"), "{coordinator}");
    assert!(coordinator.contains("__consumer_offsets: p0 @0, p0 @1, p0 expired"), "{coordinator}");
    let state = walk(&m, &["producer appends a record to p0"]);
    assert_eq!(
        format!("{:?}", state.actor_states[BROKER]),
        "broker: serves the partition logs { every partition's log ends at @2 }"
    );
}

#[test]
fn the_coordinator_shows_committed_offsets_and_its_log() {
    let mut steps = TO_THE_FIRST_OUTPUT.to_vec();
    steps.extend([
        "consumer-0 → Output p0 @1 → sink",
        "sink → OutputAck p0 @1 (to incarnation 0) → consumer-0",
        "consumer-0 → OffsetCommit p0 @2 → coordinator",
    ]);
    let state = walk(&at_least_once(), &steps);
    assert_eq!(
        format!("{:#?}", state.actor_states[crate::model::COORDINATOR]),
        "coordinator {\n    \
         committed: partition 0 @2\n    \
         __consumer_offsets: p0 @2\n    \
         group: no members, generation 0\n}"
    );
    assert_eq!(
        format!("{:#?}", state.actor_states[SINK]),
        "sink: times each record was applied {\n    partition 0: offsets 0..2 ×1\n}"
    );
}

#[test]
fn the_group_shows_its_members_and_rebalances() {
    let mut scenario = Scenario { partitions: 2, consumers: 2, ..Default::default() };
    scenario.group.assignment = Assignment::Group;
    scenario.group.pauses = 1;
    let model = build(&scenario);
    let state = walk(
        &model,
        &[
            "consumer-0 → JoinGroup as a new member, owns no partition → coordinator",
            "consumer-1 → JoinGroup as a new member, owns no partition → coordinator",
        ],
    );
    assert_eq!(
        format!("{:?}", state.actor_states[crate::model::COORDINATOR]),
        "coordinator { committed: nothing yet; __consumer_offsets: empty; group: generation 1, rebalancing; \
         member 0: consumer-0 (incarnation 0), joined owning no partition, not rejoined yet; \
         member 1: consumer-1 (incarnation 0), joined owning no partition, rejoined }"
    );
    assert_eq!(
        format!("{:#?}", state.actor_states[crate::model::COORDINATOR]),
        "coordinator {\n    \
         committed: nothing yet\n    \
         __consumer_offsets: empty\n    \
         group: generation 1, rebalancing\n      \
         member 0: consumer-0 (incarnation 0), joined owning no partition, not rejoined yet\n      \
         member 1: consumer-1 (incarnation 0), joined owning no partition, rejoined\n}"
    );
    let mut actions = Vec::new();
    model.actions(&state, &mut actions);
    let names: Vec<String> = actions.iter().map(action).collect();
    assert!(names.contains(&"timeout: coordinator evicts member 0 (pause)".to_string()), "{names:#?}");
    let state = walk(
        &model,
        &[
            "consumer-0 → JoinGroup as a new member, owns no partition → coordinator",
            "coordinator → JoinResponse member 0 gen 1 (to incarnation 0) → consumer-0",
            "consumer-0 → SyncGroup as member 0 gen 1 → coordinator",
            "coordinator → SyncResponse assigned p0, p1 (to incarnation 0) → consumer-0",
        ],
    );
    assert_eq!(
        format!("{:?}", state.actor_states[FIRST_CONSUMER]),
        "consumer, incarnation 0, member 0 of generation 1 { partition 0: position unknown (committed offset \
         not fetched yet), committed 0; partition 1: position unknown (committed offset not fetched yet), \
         committed 0; fetching its committed offsets: OffsetFetch sent to the coordinator }"
    );
}

#[test]
fn workers_show_which_offsets_run_and_which_are_done() {
    let scenario = Scenario { messages: 3, max_poll_records: 3, workers: 2, ..Default::default() };
    let state = walk(
        &build(&scenario),
        &[
            "consumer-0 → OffsetFetch p0 → coordinator",
            "coordinator → OffsetFetchResponse p0 none (to incarnation 0) → consumer-0",
            "consumer-0 → Fetch p0 from @0, max 3 → broker",
            "broker → FetchResponse p0 @0..3 (to incarnation 0) → consumer-0",
            "consumer-0: worker finishes offset 1, sends its Output",
        ],
    );
    assert_eq!(
        format!("{:?}", state.actor_states[FIRST_CONSUMER]),
        "consumer, incarnation 0 { partition 0: position 3, committed 0; processing batch 0..3 of partition 0 \
         with workers: running offsets 0, output sent 1, done none, offsets 2..3 not dispatched yet }"
    );
}

#[test]
fn pretty_printed_inside_a_list_every_line_is_indented() {
    let mut sink = SinkState::new(1, 1);
    sink.applied[0][0] = 1;
    let broker = BrokerState { ends: vec![1], parked: Vec::new() };
    let states = vec![NodeState::Broker(broker), NodeState::Sink(sink)];
    assert_eq!(
        format!("{states:#?}"),
        "[\n    broker: serves the partition logs {\n        every partition's log ends at @1\n    },\n    \
         sink: times each record was applied {\n        partition 0: offset 0 ×1\n    },\n]"
    );
}

#[test]
fn runs_of_equal_counts_are_half_open_ranges() {
    assert_eq!(
        applied(&[0, 0, 2, 1, 1, 3]),
        "offsets 0..2 ×0, offset 2 ×2 (duplicate), offsets 3..5 ×1, offset 5 ×3 (duplicate)"
    );
    assert_eq!(applied(&[]), "no records");
}

#[test]
fn a_transaction_and_a_dropped_message_read_as_steps() {
    use stateright::actor::Envelope;
    let scenario = Scenario { strategy: crate::scenario::Strategy::ExactlyOnce, ..Default::default() };
    let state = walk(
        &build(&scenario),
        &[
            "consumer-0 → OffsetFetch p0 → coordinator",
            "coordinator → OffsetFetchResponse p0 none (to incarnation 0) → consumer-0",
            "consumer-0 → Fetch p0 from @0, max 1 → broker",
            "broker → FetchResponse p0 @0 (to incarnation 0) → consumer-0",
            "consumer-0 → TxnCommit outputs p0 @0 + commit @1 → coordinator",
        ],
    );
    let sent: Vec<String> = crate::model::in_flight(&state).map(|e| message(e.msg)).collect();
    assert_eq!(sent, ["TxnOutputs p0 @0", "TxnCommitResponse p0 @1 (to incarnation 0)"]);
    let envelope = crate::model::in_flight(&state).next().unwrap().to_cloned_msg();
    assert_eq!(
        action(&ActorModelAction::Drop(Envelope { ..envelope })),
        "drop coordinator → TxnOutputs p0 @0 → sink"
    );
    let timeout = ActorModelAction::Timeout(stateright::actor::Id::from(1), GroupTimer::SessionTimeout(4));
    assert_eq!(action(&timeout), "timeout: coordinator evicts member 4 (session timed out)");
}

#[test]
fn a_lost_commit_its_timeout_and_the_pending_async_commit_read_as_words() {
    use crate::scenario::{CommitConfig, CommitMode, NetworkConfig, NetworkKind};
    let scenario = Scenario {
        messages: 2,
        commit: CommitConfig { mode: CommitMode::Async, retries: 1, ..Default::default() },
        network: NetworkConfig { kind: NetworkKind::Lossy, losses: 1, duplicates: 0 },
        ..Default::default()
    };
    let model = build(&scenario);
    let state = walk(
        &model,
        &[
            "consumer-0 → OffsetFetch p0 → coordinator",
            "coordinator → OffsetFetchResponse p0 none (to incarnation 0) → consumer-0",
            "consumer-0 → Fetch p0 from @0, max 1 → broker",
            "broker → FetchResponse p0 @0 (to incarnation 0) → consumer-0",
            "consumer-0 → Output p0 @0 → sink",
            "sink → OutputAck p0 @0 (to incarnation 0) → consumer-0",
            "drop consumer-0 → OffsetCommit p0 @1 → coordinator",
        ],
    );
    let text = format!("{:?}", state.actor_states[FIRST_CONSUMER]);
    assert!(
        text.contains(
            "pending commit #0: offset 1 of partition 0 (sequence 1, the latest commit), 1 retries left"
        ),
        "{text}"
    );
    let mut actions = Vec::new();
    model.actions(&state, &mut actions);
    let names: Vec<String> = actions.iter().map(action).collect();
    assert!(
        names.contains(
            &"consumer-0: pending commit #0 failed (request or response lost), its callback runs".into()
        ),
        "{names:#?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("request timed out")),
        "the Fetch of offset 1 is on the network: no timeout of it"
    );
}

/// The path of the steps named `steps`, as `render::svg` takes it.
fn path_of(model: &KafkaModel, steps: &[&str]) -> Vec<(KafkaState, Option<KafkaAction>)> {
    let mut state = model.init_states().remove(0);
    let mut path = Vec::new();
    for step in steps {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let i =
            actions.iter().position(|a| action(a) == *step).unwrap_or_else(|| panic!("{step:?} not offered"));
        let taken = actions.swap_remove(i);
        let next = model.next_state(&state, taken.clone()).expect("the step changes the state");
        path.push((std::mem::replace(&mut state, next), Some(taken)));
    }
    path.push((state, None));
    path
}

/// The `(x1, y1, x2, y2)` of each arrow of a diagram, in step order.
fn arrows(svg: &str) -> Vec<[usize; 4]> {
    svg.lines()
        .filter(|l| l.contains("marker-end"))
        .map(|l| {
            let at = |name: &str| -> usize {
                let v = l.split_once(&format!("{name}='")).unwrap().1;
                v.split('\'').next().unwrap().parse().unwrap()
            };
            [at("x1"), at("y1"), at("x2"), at("y2")]
        })
        .collect()
}

#[test]
fn the_diagram_labels_each_step_in_the_path_lists_words_and_arrows_start_at_their_send() {
    let mut steps = TO_THE_FIRST_OUTPUT.to_vec();
    steps.extend(["crash consumer-0"]);
    let svg = svg(&path_of(&at_least_once(), &steps));
    for label in [
        "1. OffsetFetch p0",
        "2. OffsetFetchResponse p0 none (to incarnation 0)",
        "4. FetchResponse p0 @0..2 (to incarnation 0)",
        "7. crash consumer-0",
    ] {
        assert!(svg.contains(&format!(">{label}</tspan></text>")), "{label:?} in\n{svg}");
    }
    assert!(!svg.contains("incarnation:") && !svg.contains("Crash<"), "Stateright's labels:\n{svg}");
    for actor in ["broker", "coordinator", "sink", "consumer-0"] {
        assert!(svg.contains(&format!("class='svg-actor-label'>{actor}</text>")), "{actor}:\n{svg}");
    }
    let a = arrows(&svg);
    assert_eq!(a.len(), 6, "one arrow per delivery:\n{svg}");
    // The broker answers the Fetch when it arrives: the reply leaves where the request ended.
    assert_eq!((a[3][0], a[3][1]), (a[2][2], a[2][3]), "{a:?}");
    // The consumer sends its first OffsetFetch at start, before the first step.
    assert!(a[0][1] < a[0][3], "{a:?}");
    // The second record's Output is sent with the first ack's delivery, not before.
    let more = path_of(
        &at_least_once(),
        &[&TO_THE_FIRST_OUTPUT[..], &["consumer-0 → Output p0 @1 → sink"]].concat(),
    );
    let b = arrows(&super::svg(&more));
    assert_eq!((b[6][0], b[6][1]), (b[5][2], b[5][3]), "{b:?}");
}

#[test]
fn a_lost_message_is_a_dashed_line_to_a_cross() {
    use crate::scenario::{NetworkConfig, NetworkKind};
    let scenario = Scenario {
        network: NetworkConfig { kind: NetworkKind::Lossy, losses: 1, duplicates: 0 },
        ..Default::default()
    };
    let svg = svg(&path_of(&build(&scenario), &["drop consumer-0 → OffsetFetch p0 → coordinator"]));
    assert!(svg.contains(">1. lost: OffsetFetch p0</tspan></text>"), "{svg}");
    assert!(svg.contains("stroke-dasharray='4 3'") && svg.contains(">×</text>"), "{svg}");
    assert!(arrows(&svg).is_empty(), "a lost message reaches nobody:\n{svg}");
}

#[test]
fn a_step_reads_as_its_sentences_what_it_sent_and_the_actor_before_and_after() {
    let model = at_least_once();
    let before = walk(&model, &TO_THE_FIRST_OUTPUT[..3]);
    let mut actions = Vec::new();
    model.actions(&before, &mut actions);
    let fetch = actions.into_iter().find(|a| action(a) == TO_THE_FIRST_OUTPUT[3]).unwrap();
    let text = model.format_step(&before, fetch).unwrap();
    assert!(
        text.starts_with("consumer-0 received offset 0 of partition 0\n"),
        "the events' sentences first:\n{text}"
    );
    assert!(text.contains("\nsends: consumer-0 → Output p0 @0 → sink\n"), "{text}");
    assert!(!text.contains("OUT:") && !text.contains("Send(Id("), "Stateright's Debug account:\n{text}");
    let (next, prev) = text.split_once("\nPREV_STATE: ").expect("the consumer's state changed");
    assert!(next.contains("NEXT_STATE: consumer, incarnation 0 {\n    partition 0: position 2"), "{text}");
    assert!(prev.contains("polling partition 0 from offset 0: Fetch sent to the broker"), "{text}");

    // The broker's state does not change when it serves a Fetch.
    let before = walk(&model, &TO_THE_FIRST_OUTPUT[..2]);
    let mut actions = Vec::new();
    model.actions(&before, &mut actions);
    let serve = actions.into_iter().find(|a| action(a) == TO_THE_FIRST_OUTPUT[2]).unwrap();
    let text = model.format_step(&before, serve).unwrap();
    assert!(
        text.contains("sends: broker → FetchResponse p0 @0..2 (to incarnation 0) → consumer-0\n"),
        "{text}"
    );
    assert!(text.contains("\nUNCHANGED: broker: serves the partition logs"), "{text}");
}

#[test]
fn a_long_step_label_takes_more_lines_and_its_row_more_room() {
    use crate::scenario::{NetworkConfig, NetworkKind};
    let scenario = Scenario {
        network: NetworkConfig { kind: NetworkKind::Lossy, losses: 1, duplicates: 0 },
        ..Default::default()
    };
    let steps = [
        "drop consumer-0 → OffsetFetch p0 → coordinator",
        "consumer-0: request timed out (no request or reply left on the network), sends it again",
        "consumer-0 → OffsetFetch p0 → coordinator",
    ];
    let svg = svg(&path_of(&build(&scenario), &steps));
    let timeout = svg.lines().find(|l| l.contains("2. consumer-0: request")).expect("the timeout's label");
    let lines: Vec<&str> = timeout.split("<tspan").skip(1).map(|t| t.split_once('>').unwrap().1).collect();
    assert_eq!(
        lines,
        [
            "2. consumer-0: request timed out (no request or </tspan>",
            "reply left on the network), sends it again</tspan></text>"
        ],
        "{svg}"
    );
    // Rows: the label of step 2 has two lines, so step 3's row is one line further down.
    let rows: Vec<usize> = svg
        .lines()
        .filter(|l| l.contains("class='svg-event-label'>"))
        .map(|l| l.split_once(" y='").unwrap().1.split('\'').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{svg}");
    assert_eq!(rows[2] - rows[1], rows[1] - rows[0] + 15, "{rows:?}");
}

#[test]
fn the_complete_state_names_every_actor_and_reads_the_network_in_words() {
    let mut steps = TO_THE_FIRST_OUTPUT[..5].to_vec();
    steps.push("crash consumer-0");
    let model = at_least_once();
    let crashed = walk(&model, &steps);
    let text = complete_state(&crashed);
    assert!(text.starts_with("broker: serves the partition logs {"), "{text}");
    assert!(
        text.contains(
            "\nconsumer-0 is down; its state when it crashed:\nconsumer-0: consumer, incarnation 0 {"
        ),
        "{text}"
    );
    assert!(
        text.contains("on the network, oldest first on each connection:\n    sink → OutputAck p0 @0 (to incarnation 0) → consumer-0\n"),
        "{text}"
    );
    assert!(text.contains("\ncrashed: consumer-0\n"), "{text}");
    assert!(text.contains("\nkept across a crash: consumer-0: incarnation 0\n"), "{text}");
    assert!(!text.contains("Some(") && !text.contains("corr:"), "no Rust Debug:\n{text}");
    let before = complete_state(&walk(&model, &steps[..5]));
    assert_ne!(before, text);
    let fingerprint = |t: &str| t.lines().last().unwrap().to_string();
    assert!(fingerprint(&text).starts_with("state fingerprint: "), "{text}");
    assert_ne!(fingerprint(&before), fingerprint(&text));
    assert_eq!(complete_state(&walk(&model, &steps)), text, "the same state reads the same");
}
