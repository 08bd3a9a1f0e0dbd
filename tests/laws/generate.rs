//! How the laws draw their scenarios (the knobs and their rules are in
//! tests/laws/knobs.rs).
//!
//! A case first picks a [`Focus`], one mechanism it is about, gives it a
//! value other than its default and sets what that mechanism needs (the
//! strategy, manual assignment, ...); every other knob is drawn at random,
//! mostly at its default, and then [`Knobs::fit`] resets the ones a rule
//! forbids given what came before, and [`Knobs::shrunk`] takes records away
//! until the search is small. So each mechanism is exercised in a fixed
//! share of the cases, alongside whatever it may be combined with.

use super::knobs::*;
use proptest::prelude::*;

/// The mechanism a generated case is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Base,
    CommitEvery,
    Workers,
    CommitOffset,
    CommitMode,
    Network,
    Lifecycle,
    Produce,
    OffsetsTopic,
    Group,
}

/// The foci and how often each is drawn: the commit modes and the networks
/// have the most variants (and the largest scenarios, which
/// [`Knobs::shrunk`] makes smaller), so they come up twice as often.
const FOCI: [(u32, Focus); 10] = [
    (1, Focus::Base),
    (1, Focus::CommitEvery),
    (1, Focus::Workers),
    (1, Focus::CommitOffset),
    (2, Focus::CommitMode),
    (2, Focus::Network),
    (1, Focus::Lifecycle),
    (1, Focus::Produce),
    (1, Focus::OffsetsTopic),
    (1, Focus::Group),
];

/// Sets what `focus` needs, so that [`Knobs::fit`] keeps it.
fn needs(mut k: Knobs, focus: Focus) -> Knobs {
    match focus {
        Focus::Base | Focus::Lifecycle => {}
        Focus::CommitEvery => k.delivery = Delivery::AtLeastOnce,
        Focus::Workers => {
            k.delivery = Delivery::AtLeastOnce;
            k.commit_every = 1;
        }
        Focus::CommitOffset => {
            k.delivery = Delivery::AtLeastOnce;
            (k.commit_every, k.workers) = (1, 1);
        }
        Focus::CommitMode => {
            k.delivery = Delivery::AtLeastOnce;
            (k.commit_every, k.workers, k.commit_offset) = (1, 1, CommitOffset::Next);
        }
        Focus::Network => {
            if k.delivery == Delivery::ExactlyOnce {
                k.delivery = Delivery::AtLeastOnce;
            }
            k.workers = 1;
            if matches!(k.network, Network::Duplicating { .. }) {
                k.group = None;
            }
            if let (Network::Lossy { .. }, CommitMode::Auto { worker: true }) = (k.network, k.commit_mode) {
                k.commit_mode = CommitMode::Auto { worker: false };
            }
        }
        Focus::Produce => {}
        Focus::OffsetsTopic => k.network = Network::Ordered,
        Focus::Group => {}
    }
    k
}

/// The mechanisms these knobs exercise, by name (for the generator's coverage).
pub fn features(k: &Knobs) -> Vec<&'static str> {
    let mut on = vec![delivery_name(k.delivery)];
    let mut when = |set: bool, name: &'static str| {
        if set {
            on.push(name);
        }
    };
    when(k.partitions > 1, "2 partitions");
    when(k.consumers > 1, "2 consumers");
    when(k.crashes > 0, "crashes");
    when(k.max_poll_records > 1, "max_poll_records 2");
    when(k.commit_every > 1, "commit_every 2");
    when(k.workers > 1, "workers 2");
    when(k.highest_completed, "commit_policy highest-completed");
    when(k.commit_offset == CommitOffset::Last, "commit.offset last");
    when(k.commit_offset == CommitOffset::Position, "commit.offset position");
    let (retries, guard, in_poll, worker) = match k.commit_mode {
        CommitMode::Sync => (false, false, false, false),
        CommitMode::Async { retries, sequence_guard } => (retries > 0, sequence_guard, false, false),
        CommitMode::Auto { worker } => (false, false, !worker, worker),
    };
    when(matches!(k.commit_mode, CommitMode::Async { .. }), "commit.mode async");
    when(retries, "commit.retries 1");
    when(guard, "commit.guard sequence");
    when(in_poll, "commit.mode auto, in-poll");
    when(worker, "commit.mode auto, worker");
    when(k.pool(), "commit.mode auto, 2 worker threads");
    let auto = matches!(k.commit_mode, CommitMode::Auto { .. });
    when(k.client != Client::Java, "client librdkafka");
    when(auto && k.client != Client::Java, "librdkafka auto-commit");
    when(
        k.client == Client::Librdkafka { store_after_processing: true },
        "librdkafka store after-processing",
    );
    when(k.network == Network::Unordered, "network unordered");
    when(k.losses() > 0, "network lossy");
    when(k.duplicates() > 0, "network duplicating");
    let expiring = k.retention != Retention::Never;
    when(k.retention == Retention::WhenEmpty, "retention when-empty");
    when(k.retention == Retention::WhileActive, "retention while-active");
    when(expiring && k.reset == Reset::Latest, "expiry with reset latest");
    when(expiring && k.reset == Reset::None, "expiry with reset none");
    when(k.produce > 0, "produce");
    when(k.produce > 0 && k.group.is_some(), "produce with group assignment");
    when(k.produce > 0 && k.partitions > k.consumers, "produce, 2 partitions per consumer");
    when(k.topic.replicas == 2, "offsets_topic replicas 2");
    when(k.topic.replicas == 3, "offsets_topic replicas 3");
    let failover = k.topic.failovers > 0;
    when(failover && k.topic.replicas > 1, "failover with followers");
    when(failover && k.topic.acks_leader, "failover with acks leader");
    when(failover && k.topic.unclean_election, "failover with unclean election");
    when(k.unfenced, "fencing none");
    when(k.new_group, "new group");
    when(k.new_group && k.reset == Reset::Latest, "new group with reset latest");
    if let Some(g) = k.group {
        when(k.workers > 1, "group with workers");
        when(k.losses() > 0, "group with network lossy");
        when(k.network == Network::Unordered, "group with network unordered");
        when(k.topic.failovers > 0, "group with failover");
        when(k.produce > 0, "group with produce");
        when(matches!(k.commit_mode, CommitMode::Async { .. }), "group with commit.mode async");
        when(matches!(k.commit_mode, CommitMode::Auto { .. }), "group with commit.mode auto");
        when(g.pauses > 0, "pauses");
        when(g.commit_on_revoke, "commit_on_revoke");
        when(g.on_commit_error == "retry-after-rebalance", "on_commit_error retry-after-rebalance");
        when(g.on_commit_error == "crash", "on_commit_error crash");
        on.push(assignor_name(g.assignor));
    }
    on
}

fn deliveries() -> impl Strategy<Value = Delivery> {
    prop::sample::select(vec![Delivery::AtMostOnce, Delivery::AtLeastOnce, Delivery::ExactlyOnce])
}

fn groups() -> impl Strategy<Value = Group> {
    let assignor = prop::sample::select(vec![
        Assignor::Range,
        Assignor::RoundRobin,
        Assignor::Sticky,
        Assignor::CooperativeSticky,
    ]);
    let on_commit_error = prop::sample::select(vec!["retry-after-rebalance", "skip", "crash"]);
    (assignor, 0..=1u8, any::<bool>(), on_commit_error).prop_map(
        |(assignor, pauses, commit_on_revoke, on_commit_error)| Group {
            assignor,
            pauses,
            commit_on_revoke,
            on_commit_error,
        },
    )
}

/// Each mechanism's knobs at a value other than its default.
#[derive(Clone, Copy, Debug)]
struct Special {
    offset: CommitOffset,
    mode: CommitMode,
    network: Network,
    lifecycle: (Retention, Reset),
    topic: OffsetsTopic,
    group: Group,
}

fn off_by_one() -> impl Strategy<Value = CommitOffset> {
    prop::sample::select(vec![CommitOffset::Last, CommitOffset::Position])
}

fn offsets() -> impl Strategy<Value = CommitOffset> {
    prop_oneof![3 => Just(CommitOffset::Next), 1 => off_by_one()]
}

fn async_or_auto() -> impl Strategy<Value = CommitMode> {
    prop_oneof![
        (0..=1u8, any::<bool>())
            .prop_map(|(retries, sequence_guard)| CommitMode::Async { retries, sequence_guard }),
        any::<bool>().prop_map(|worker| CommitMode::Auto { worker }),
    ]
}

/// Either family, as often; librdkafka's offset store either way.
fn clients() -> impl Strategy<Value = Client> {
    prop_oneof![
        Just(Client::Java),
        any::<bool>().prop_map(|store_after_processing| Client::Librdkafka { store_after_processing }),
    ]
}

fn commit_modes() -> impl Strategy<Value = CommitMode> {
    prop_oneof![4 => Just(CommitMode::Sync), 1 => async_or_auto()]
}

fn faulty_networks() -> impl Strategy<Value = Network> {
    prop::sample::select(vec![
        Network::Unordered,
        Network::Lossy { losses: 1 },
        Network::Duplicating { duplicates: 1 },
    ])
}

fn networks() -> impl Strategy<Value = Network> {
    prop_oneof![4 => Just(Network::Ordered), 1 => faulty_networks()]
}

fn resets() -> impl Strategy<Value = Reset> {
    prop::sample::select(vec![Reset::Earliest, Reset::Latest, Reset::None])
}

fn expiring() -> impl Strategy<Value = (Retention, Reset)> {
    (prop::sample::select(vec![Retention::WhenEmpty, Retention::WhileActive]), resets())
}

fn lifecycles() -> impl Strategy<Value = (Retention, Reset)> {
    prop_oneof![2 => (Just(Retention::Never), resets()), 1 => expiring()]
}

fn topic(replicas: u8, acks_leader: bool, unclean_election: bool, failovers: u8) -> OffsetsTopic {
    OffsetsTopic { replicas, acks_leader, unclean_election, failovers }
}

/// A coordinator failover with followers to fail over to.
fn failing_over() -> impl Strategy<Value = OffsetsTopic> {
    (2..=3u8, any::<bool>(), any::<bool>()).prop_map(|(r, leader, unclean)| topic(r, leader, unclean, 1))
}

fn topics() -> impl Strategy<Value = OffsetsTopic> {
    prop_oneof![
        3 => (any::<bool>(), any::<bool>()).prop_map(|(leader, unclean)| topic(1, leader, unclean, 0)),
        1 => (1..=3u8, any::<bool>(), any::<bool>(), 0..=1u8).prop_map(|(r, l, u, f)| topic(r, l, u, f)),
    ]
}

fn specials() -> impl Strategy<Value = Special> {
    (off_by_one(), async_or_auto(), faulty_networks(), expiring(), failing_over(), groups()).prop_map(
        |(offset, mode, network, lifecycle, topic, group)| Special {
            offset,
            mode,
            network,
            lifecycle,
            topic,
            group,
        },
    )
}

/// Gives the mechanism the focus is about a value other than its default,
/// then what it needs.
fn focused(mut k: Knobs, focus: Focus, special: Special) -> Knobs {
    match focus {
        Focus::Base => {}
        Focus::CommitEvery => k.commit_every = 2,
        Focus::Workers => k.workers = 2,
        Focus::CommitOffset => k.commit_offset = special.offset,
        Focus::CommitMode => k.commit_mode = special.mode,
        Focus::Network => k.network = special.network,
        Focus::Lifecycle => (k.retention, k.reset) = special.lifecycle,
        Focus::Produce => k.produce = 1,
        Focus::OffsetsTopic => k.topic = special.topic,
        Focus::Group => k.group = Some(special.group),
    }
    needs(k, focus)
}

/// Every knob drawn independently over its range (a mechanism mostly at
/// its default), before any rule is applied: many combinations break a rule
/// of `src/scenario/rules.rs`.
pub fn raw_knobs() -> impl Strategy<Value = Knobs> {
    let sizes = (1..=2u8, 0..=3u8, 1..=2u8, 0..=2u8, 1..=2u8);
    let consumer = (1..=2u8, 1..=2u8, any::<bool>(), offsets());
    let new_group = prop_oneof![4 => Just(false), 1 => Just(true)];
    let mechanisms =
        (commit_modes(), networks(), lifecycles(), 0..=1u8, topics(), any::<bool>(), new_group, clients());
    (deliveries(), sizes, consumer, mechanisms, prop::option::of(groups())).prop_map(
        |(delivery, sizes, consumer, mechanisms, group)| {
            let (partitions, messages, consumers, crashes, max_poll_records) = sizes;
            let (commit_every, workers, highest_completed, commit_offset) = consumer;
            let (commit_mode, network, (retention, reset), produce, topic, unfenced, new_group, client) =
                mechanisms;
            Knobs {
                delivery,
                partitions,
                messages,
                consumers,
                crashes,
                max_poll_records,
                commit_every,
                workers,
                // The file has no commit_policy field without parallel workers (see `json`).
                highest_completed: highest_completed
                    && workers > 1
                    && commit_mode != (CommitMode::Auto { worker: true }),
                commit_offset,
                commit_mode,
                // The file has commit.store only with auto-commit (see `json`).
                client: match client {
                    Client::Librdkafka { .. } if !matches!(commit_mode, CommitMode::Auto { .. }) => {
                        Client::Librdkafka { store_after_processing: false }
                    }
                    c => c,
                },
                network,
                retention,
                reset,
                new_group,
                produce,
                topic,
                unfenced,
                group,
            }
        },
    )
}

/// Every knob over a small range, valid by construction, and bounded by
/// [`Knobs::small`].
pub fn knobs() -> impl Strategy<Value = Knobs> {
    let foci: Vec<Focus> = FOCI.iter().flat_map(|&(n, f)| std::iter::repeat_n(f, n as usize)).collect();
    (raw_knobs(), prop::sample::select(foci), specials())
        .prop_map(|(k, focus, special)| focused(k, focus, special).fit().shrunk())
        .prop_filter("state space too large for a debug build", |k| k.small())
}

/// Every name [`features`] can give.
pub fn every_feature() -> Vec<&'static str> {
    let mut all = vec![
        "2 partitions",
        "2 consumers",
        "crashes",
        "max_poll_records 2",
        "commit_every 2",
        "workers 2",
        "commit_policy highest-completed",
        "commit.offset last",
        "commit.offset position",
        "commit.mode async",
        "commit.retries 1",
        "commit.guard sequence",
        "commit.mode auto, in-poll",
        "commit.mode auto, worker",
        "commit.mode auto, 2 worker threads",
        "client librdkafka",
        "librdkafka auto-commit",
        "librdkafka store after-processing",
        "network unordered",
        "network lossy",
        "network duplicating",
        "retention when-empty",
        "retention while-active",
        "expiry with reset latest",
        "expiry with reset none",
        "produce",
        "produce with group assignment",
        "produce, 2 partitions per consumer",
        "offsets_topic replicas 2",
        "offsets_topic replicas 3",
        "failover with followers",
        "failover with acks leader",
        "failover with unclean election",
        "fencing none",
        "new group",
        "new group with reset latest",
        "group with workers",
        "group with network lossy",
        "group with network unordered",
        "group with failover",
        "group with produce",
        "group with commit.mode async",
        "group with commit.mode auto",
        "pauses",
        "commit_on_revoke",
        "on_commit_error retry-after-rebalance",
        "on_commit_error crash",
    ];
    all.extend([Delivery::AtMostOnce, Delivery::AtLeastOnce, Delivery::ExactlyOnce].map(delivery_name));
    all.extend(
        [Assignor::Range, Assignor::RoundRobin, Assignor::Sticky, Assignor::CooperativeSticky]
            .map(assignor_name),
    );
    all
}
