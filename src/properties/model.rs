//! The properties' predicates on one model state, each returning its
//! evidence: the offending records, none when the property holds there. The
//! registry ([`super::ALL`]) names them; the `explain_*` functions turn the
//! evidence into the sentence a counterexample ends with.

use crate::model::consumer::{Consumer, Phase};
use crate::model::coordinator::Acked;
use crate::model::event::Actor;
use crate::model::history::Decrease;
use crate::model::msg::Msg;
use crate::model::{FIRST_CONSUMER, KafkaModel, KafkaState, View, consumers, in_flight};
use crate::scenario::{Offset, Partition};
use stateright::Model;
use stateright::actor::Id;

/// A record of the partitioned log.
pub type Record = (Partition, Offset);

/// `no-loss` (always): no partition p and offset o with o < committed(p)
/// where o was never processed and o is not pending: received by a live owner
/// of p that can still process it, or an output on its way to the sink.
pub fn lost_records<'a>(model: &'a KafkaModel, state: &'a KafkaState) -> impl Iterator<Item = Record> + 'a {
    let (log, sink) = (state.offsets_log(), state.sink());
    (0..model.scenario.partitions)
        .flat_map(move |p| (0..log.committed(p).unwrap_or(0)).map(move |o| (p, o)))
        .filter(move |&(p, o)| sink.times_applied(p, o) == 0 && !is_pending(model, state, p, o))
}

fn is_pending(model: &KafkaModel, state: &KafkaState, p: Partition, o: Offset) -> bool {
    let held = consumers(model).enumerate().any(|(c, consumer)| {
        let (s, alive) = state.consumer(c);
        alive && consumer.will_process(s, p, o) && commit_goes_through(model, state, c)
    });
    held || in_flight(state).any(|env| {
        env.msg.outputs().is_some_and(|(partition, offsets)| partition == p && offsets.contains(&o))
    })
}

/// An at-most-once consumer processes its batch only once its commit
/// succeeds: true unless its commit is on its way to a coordinator that will
/// reject it (a fenced zombie), or already rejected.
fn commit_goes_through(model: &KafkaModel, state: &KafkaState, c: usize) -> bool {
    let (s, _) = state.consumer(c);
    let Phase::Committing { .. } = s.phase else { return true };
    let id = Id::from(FIRST_CONSUMER + c);
    in_flight(state).all(|env| match env.msg {
        Msg::CommitRejected { incarnation, .. } => env.dst != id || *incarnation != s.incarnation,
        &Msg::OffsetCommit { incarnation, by, .. } if env.src == id && incarnation == s.incarnation => {
            state.group().accepts(model.scenario.group.fencing, by)
        }
        _ => true,
    })
}

/// `single-owner` (always): no partition is owned at the same time by two
/// live consumer processes that both are in the coordinator's current
/// generation: each process's own view, the generation of the last
/// assignment it received equal to the group's now, and the partition in its
/// owned list (one being revoked included). A process of an older
/// generation (a zombie: evicted, or fenced by a rebalance it missed) is not
/// counted, however it goes on processing; `exclusive-processing` counts it.
/// With manual assignment every process is in generation 0, so each counts.
/// Evidence: each such partition with the consumers (numbers) that own it.
pub fn shared_partitions(model: &KafkaModel, state: &KafkaState) -> Vec<(Partition, Vec<usize>)> {
    let generation = state.group().generation;
    (0..model.scenario.partitions)
        .filter_map(|p| {
            let owners: Vec<usize> = (0..model.scenario.consumers as usize)
                .filter(|&c| {
                    let (s, alive) = state.consumer(c);
                    alive && s.generation == generation && s.owned.iter().any(|o| o.partition == p)
                })
                .collect();
            (owners.len() > 1).then_some((p, owners))
        })
        .collect()
}

/// `no-duplicate` (always): no offset has been processed (made visible in
/// the sink) more than once. Evidence: each such record with its count.
pub fn duplicated_records<'a>(
    model: &'a KafkaModel,
    state: &'a KafkaState,
) -> impl Iterator<Item = (Record, u8)> + 'a {
    let sink = state.sink();
    all_records(model).filter_map(move |(p, o)| {
        let n = sink.times_applied(p, o);
        (n > 1).then_some(((p, o), n))
    })
}

/// `all-processed` (eventually): every run ends with every offset of every
/// partition processed at least once. Evidence: the records not processed yet.
///
/// Checked by Stateright as an eventually property: a discovery is a path to
/// a terminal state on which this list was never empty. That is sound here
/// because the list only shrinks along a path (the sink only counts up) and
/// the state graph is acyclic (the offsets log and the sink only grow, a
/// consumer's position only advances within an incarnation, and the crash
/// budget bounds incarnations): Stateright judges an eventually property on
/// terminal states only, so a cycle could hide a run that never ends.
pub fn unprocessed_records<'a>(
    model: &'a KafkaModel,
    state: &'a KafkaState,
) -> impl Iterator<Item = Record> + 'a {
    let sink = state.sink();
    all_records(model).filter(move |&(p, o)| sink.times_applied(p, o) == 0)
}

/// `committed-monotonic` (always): the committed offset of a partition, as
/// clients observe it, never decreases. Observed are the values the
/// coordinator returned to OffsetFetch and the value each commit it recorded
/// left committed; the state's history keeps, per partition, the highest of
/// them and the first one below it ([`crate::model::history::Observed`]).
/// They are not read back from the leader's `__consumer_offsets`: a failover
/// that elects a replica without the latest commit truncates it, and the
/// next OffsetFetch returns the older commit (`offsets.commit.required.acks=1`,
/// or an unclean election). An expiry counts too: the group's next commit
/// (from `auto.offset.reset`, or an older position) goes back from the
/// offset that expired. Evidence: per partition, the first decrease.
pub fn committed_decreases(state: &KafkaState) -> impl Iterator<Item = (Partition, Decrease)> + '_ {
    let observed = state.history.observed.iter().enumerate();
    observed.filter_map(|(p, o)| o.went_back.map(|d| (p as Partition, d)))
}

/// `acked-commit-durable` (always): after a client received the
/// acknowledgement of the commit of offset v for partition p (an
/// OffsetCommitResponse or TxnCommitResponse reached the process that sent
/// the commit), the committed offset of p is v or a commit accepted after
/// it. An acknowledgement the coordinator sent but no client received (the
/// consumer crashed first, or the response was lost) was never relied on.
/// The state's history keeps, per partition, the received acknowledgement
/// whose loss any other's implies, with its place in the log (index and
/// leader epoch, [`crate::model::coordinator::Acked`]): the property holds
/// while the leader's log still has that very record there, so the latest
/// record of p is it or a later one. Tracked in scenarios with failovers
/// only: without one nothing removes a record from the log. Evidence: each
/// lost acknowledged commit with the committed offset of its partition now.
pub fn lost_acked_commits(state: &KafkaState) -> impl Iterator<Item = (Acked, Option<Offset>)> + '_ {
    let log = state.offsets_log();
    state.history.lost_acks(log).map(move |a| (*a, log.committed(a.partition)))
}

/// A consumer (number) and the offsets it holds and will still process.
pub type Holder = (usize, Vec<Offset>);

/// `exclusive-processing` (always): no two live consumer processes hold
/// records of the same partition they will still process, whatever they
/// believe about their membership. A zombie (a member evicted after a pause,
/// or one whose generation was fenced, that still holds a batch) counts as
/// much as the partition's owner in the current generation: two processes
/// holding the same partition's records at once is the precondition of
/// every duplicate a zombie causes. "Will still process" is
/// [`crate::model::consumer::Consumer::will_process`], narrowed as `no-loss`
/// narrows it: an at-most-once batch whose commit will be rejected is never
/// processed. Evidence: each such partition with, per consumer, the offsets it holds.
pub fn concurrent_holders(model: &KafkaModel, state: &KafkaState) -> Vec<(Partition, Vec<Holder>)> {
    (0..model.scenario.partitions)
        .filter(|&p| is_held_twice(model, state, p))
        .map(|p| {
            let held =
                consumers(model).enumerate().map(|(c, consumer)| (c, held(model, state, c, consumer, p)));
            (p, held.filter(|(_, offsets)| !offsets.is_empty()).collect())
        })
        .collect()
}

/// Whether two live consumers hold records of partition `p` they will still process.
pub fn is_held_twice(model: &KafkaModel, state: &KafkaState, p: Partition) -> bool {
    let holders = consumers(model).enumerate().filter(|&(c, consumer)| {
        let (s, alive) = state.consumer(c);
        alive
            && ((0..model.scenario.log_end()).any(|o| consumer.will_process(s, p, o))
                && commit_goes_through(model, state, c)
                || transaction(model, state, c, p).is_some())
    });
    holders.take(2).count() == 2
}

/// The offsets of partition `p` consumer c holds and will still process,
/// if it is alive: those it will apply itself, and those of its transaction
/// on its way to a coordinator that will commit it (exactly-once: the
/// transaction, not the consumer, publishes the outputs).
fn held(model: &KafkaModel, state: &KafkaState, c: usize, consumer: &Consumer, p: Partition) -> Vec<Offset> {
    let (s, alive) = state.consumer(c);
    if !alive {
        return Vec::new();
    }
    let mut held: Vec<Offset> = if commit_goes_through(model, state, c) {
        (0..model.scenario.log_end()).filter(|&o| consumer.will_process(s, p, o)).collect()
    } else {
        Vec::new()
    };
    held.extend(transaction(model, state, c, p).into_iter().flatten());
    held
}

/// The records of partition `p` whose transaction consumer c (this
/// incarnation) has on its way to the coordinator, if the group will accept it.
fn transaction(
    model: &KafkaModel,
    state: &KafkaState,
    c: usize,
    p: Partition,
) -> Option<std::ops::Range<Offset>> {
    let (s, id) = (state.consumer(c).0, Id::from(FIRST_CONSUMER + c));
    in_flight(state).find_map(|env| match *env.msg {
        Msg::TxnCommit { incarnation, partition, from, to, by, .. }
            if env.src == id
                && incarnation == s.incarnation
                && partition == p
                && state.group().accepts(model.scenario.group.fencing, by) =>
        {
            Some(from..to)
        }
        _ => None,
    })
}

/// Whether a run can end in `state`: no step leads anywhere (the notion of
/// terminal Stateright's search uses).
pub fn is_terminal(model: &KafkaModel, state: &KafkaState) -> bool {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions.into_iter().all(|action| model.next_state(state, action).is_none())
}

/// Every record of every partition, the producer's included (`messages + produce` per partition).
fn all_records(model: &KafkaModel) -> impl Iterator<Item = Record> + '_ {
    (0..model.scenario.partitions).flat_map(move |p| (0..model.scenario.log_end()).map(move |o| (p, o)))
}

fn list(records: &[Record]) -> String {
    let items: Vec<String> = records.iter().map(|(p, o)| format!("partition {p} offset {o}")).collect();
    items.join(", ")
}

/// `no-loss` explained: the lost records.
pub fn explain_lost(model: &KafkaModel, state: &KafkaState) -> String {
    let lost: Vec<Record> = lost_records(model, state).collect();
    if lost.is_empty() {
        return String::new();
    }
    format!(
        "lost: {} (below the committed offset, never processed, and no live consumer or message will process it)",
        list(&lost)
    )
}

/// `no-duplicate` explained: each duplicated record with its count.
pub fn explain_duplicated(model: &KafkaModel, state: &KafkaState) -> String {
    let items: Vec<String> = duplicated_records(model, state)
        .map(|((p, o), n)| format!("partition {p} offset {o} processed {n} times"))
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!("duplicated: {}", items.join(", "))
}

/// `all-processed` explained: the records the run ended without.
pub fn explain_unprocessed(model: &KafkaModel, state: &KafkaState) -> String {
    let missing: Vec<Record> = unprocessed_records(model, state).collect();
    if missing.is_empty() {
        return String::new();
    }
    format!("the run ended with {} never processed", list(&missing))
}

/// `committed-monotonic` explained: each partition's first step back.
pub fn explain_decreases(_: &KafkaModel, state: &KafkaState) -> String {
    let items: Vec<String> = committed_decreases(state)
        .map(|(p, d)| {
            if d.expired {
                format!("partition {p}: committed offset {} expired, then reset to {}", d.from, d.to)
            } else {
                format!("partition {p}: committed offset went back from {} to {}", d.from, d.to)
            }
        })
        .collect();
    items.join(", ")
}

/// `single-owner` explained: each shared partition with its owners.
pub fn explain_shared(model: &KafkaModel, state: &KafkaState) -> String {
    let items: Vec<String> = shared_partitions(model, state)
        .iter()
        .map(|(p, owners)| {
            let names: Vec<String> = owners.iter().map(|&c| Actor::Consumer(c as u8).to_string()).collect();
            format!("partition {p} is owned by {} in the same generation", names.join(" and "))
        })
        .collect();
    items.join(", ")
}

/// `exclusive-processing` explained: each partition with the processes
/// holding its records and the offsets each holds.
pub fn explain_concurrent(model: &KafkaModel, state: &KafkaState) -> String {
    let items: Vec<String> = concurrent_holders(model, state)
        .iter()
        .map(|(p, holders)| {
            let held: Vec<String> = holders
                .iter()
                .map(|(c, offsets)| {
                    let offsets: Vec<String> = offsets.iter().map(Offset::to_string).collect();
                    let n = if offsets.len() == 1 { "offset" } else { "offsets" };
                    format!("{} holds {n} {}", Actor::Consumer(*c as u8), offsets.join(", "))
                })
                .collect();
            format!("partition {p}: {}, all still to be processed", held.join(" and "))
        })
        .collect();
    items.join("; ")
}

/// `acked-commit-durable` explained: each lost acknowledged commit, where it
/// was in `__consumer_offsets` and what the partition's committed offset is now.
pub fn explain_lost_acks(_: &KafkaModel, state: &KafkaState) -> String {
    let leader = &state.offsets_topic().replication;
    let items: Vec<String> = lost_acked_commits(state)
        .map(|(a, now)| {
            let now = match now {
                Some(o) => format!("its committed offset is now {o}"),
                None => "it has no committed offset now".into(),
            };
            format!(
                "the acknowledged commit of offset {} for partition {} (record {} of __consumer_offsets, \
                 leader epoch {}) is lost: the log of replica {}, leader in epoch {}, does not have it, \
                 and {now}",
                a.offset, a.partition, a.index, a.epoch, leader.leader, leader.epoch
            )
        })
        .collect();
    items.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::coordinator::{CoordinatorState, OffsetRecord, OffsetsLog, OffsetsTopic};
    use crate::model::msg::Msg;
    use crate::model::sink::SinkState;
    use crate::model::{self, COORDINATOR, FIRST_CONSUMER, NodeState, SINK};
    use crate::scenario::{Scenario, Strategy};
    use stateright::actor::{Envelope, Id, Network};
    use std::sync::Arc;

    fn model() -> KafkaModel {
        model::build(&Scenario {
            messages: 3,
            strategy: Strategy::AtMostOnce,
            crashes: 1,
            ..Scenario::default()
        })
    }

    /// The initial state with `commits` in the offsets log and `applied` counts in the sink.
    fn state(m: &KafkaModel, commits: &[Offset], applied: &[u8]) -> KafkaState {
        let mut s = m.init_states().remove(0);
        let records = commits.iter().map(|&offset| OffsetRecord { partition: 0, offset, epoch: 0 }).collect();
        s.actor_states[COORDINATOR] = Arc::new(NodeState::Coordinator(CoordinatorState {
            topic: OffsetsTopic { log: OffsetsLog { records }, ..Default::default() },
            ..Default::default()
        }));
        s.actor_states[SINK] = Arc::new(NodeState::Sink(SinkState { applied: vec![applied.to_vec()] }));
        s
    }

    #[test]
    fn unprocessed_record_below_the_commit_is_lost_only_when_nothing_will_process_it() {
        let m = model();
        let mut s = state(&m, &[2], &[0, 1, 0]);
        assert_eq!(lost_records(&m, &s).collect::<Vec<_>>(), vec![(0, 0)], "the idle consumer holds nothing");
        s.network = Network::new_ordered([Envelope {
            src: Id::from(FIRST_CONSUMER),
            dst: Id::from(SINK),
            msg: Msg::Output { incarnation: 0, corr: 0, partition: 0, offset: 0 },
        }]);
        assert!(lost_records(&m, &s).next().is_none(), "an output on its way is pending");
        let s = state(&m, &[1], &[0, 0, 0]);
        assert_eq!(unprocessed_records(&m, &s).collect::<Vec<_>>(), vec![(0, 0), (0, 1), (0, 2)]);
        assert_eq!(lost_records(&m, &s).collect::<Vec<_>>(), vec![(0, 0)]);
    }

    #[test]
    fn an_output_on_its_way_keeps_only_its_own_partitions_record_pending() {
        let m = model::build(&Scenario { partitions: 2, ..model().scenario.clone() });
        let mut s = state(&m, &[1], &[0, 0, 0]);
        s.actor_states[SINK] = Arc::new(NodeState::Sink(SinkState::new(2, 3)));
        s.network = Network::new_ordered([Envelope {
            src: Id::from(FIRST_CONSUMER),
            dst: Id::from(SINK),
            msg: Msg::Output { incarnation: 0, corr: 0, partition: 1, offset: 0 },
        }]);
        assert_eq!(
            lost_records(&m, &s).collect::<Vec<_>>(),
            vec![(0, 0)],
            "partition 1's output is not partition 0's"
        );
    }

    #[test]
    fn duplicates_report_how_often() {
        let m = model();
        let s = state(&m, &[], &[1, 3, 0]);
        assert_eq!(duplicated_records(&m, &s).collect::<Vec<_>>(), vec![((0, 1), 3)]);
    }

    #[test]
    fn a_decrease_is_what_the_history_observed_and_says_whether_it_expired() {
        use crate::model::history::{Decrease, Observed};
        let m = model();
        let mut s = state(&m, &[1, 3, 2], &[0, 0, 0]);
        assert!(committed_decreases(&s).next().is_none(), "the log alone is no observation");
        let back = |from, to, expired| Observed {
            highest: Some(from),
            expired,
            went_back: Some(Decrease { from, to, expired }),
        };
        s.history.observed = vec![back(3, 2, false)];
        assert_eq!(
            committed_decreases(&s).collect::<Vec<_>>(),
            vec![(0, Decrease { from: 3, to: 2, expired: false })]
        );
        assert_eq!(explain_decreases(&m, &s), "partition 0: committed offset went back from 3 to 2");
        s.history.observed = vec![back(3, 1, true)];
        assert_eq!(explain_decreases(&m, &s), "partition 0: committed offset 3 expired, then reset to 1");
        let s = state(&m, &[2, crate::model::coordinator::TOMBSTONE], &[0, 0, 0]);
        assert!(lost_records(&m, &s).next().is_none(), "an expired commit is no loss by itself");
    }

    #[test]
    fn two_consumers_owning_a_partition_in_the_current_generation_share_it() {
        use crate::model::consumer::{ConsumerState, Owned, Phase, Rejoin};
        let m = model::build(&Scenario { consumers: 3, ..model().scenario.clone() });
        let mut s = m.init_states().remove(0);
        let owning = |generation| {
            let owned = vec![Owned { partition: 0, position: Some(0), committed: 0, revoking: false }];
            let (member, phase, rejoin) = (Some(0), Phase::Done, Rejoin::No);
            let c = ConsumerState { member, generation, owned, phase, rejoin, ..ConsumerState::new(0) };
            Arc::new(NodeState::Consumer(c))
        };
        s.actor_states[FIRST_CONSUMER] = owning(0);
        s.actor_states[FIRST_CONSUMER + 2] = owning(0);
        assert_eq!(shared_partitions(&m, &s), vec![(0, vec![0, 2])]);
        assert_eq!(
            explain_shared(&m, &s),
            "partition 0 is owned by consumer-0 and consumer-2 in the same generation"
        );
        s.actor_states[FIRST_CONSUMER + 2] = owning(7);
        assert!(shared_partitions(&m, &s).is_empty(), "a zombie of an old generation does not count");
        s.actor_states[FIRST_CONSUMER + 2] = owning(0);
        s.crashed[FIRST_CONSUMER + 2] = true;
        assert!(shared_partitions(&m, &s).is_empty(), "nor does a crashed consumer");
    }

    #[test]
    fn two_live_processes_holding_one_partitions_records_violate_exclusive_processing() {
        use crate::model::consumer::{ConsumerState, Owned, Phase};
        let m = model::build(&Scenario { consumers: 2, ..model().scenario.clone() });
        let mut s = m.init_states().remove(0);
        let processing = |from, to, generation| {
            let owned = vec![Owned { partition: 0, position: Some(to), committed: 0, revoking: false }];
            let phase = Phase::Processing { slot: 0, from, next: from, to };
            let c = ConsumerState { owned, phase, generation, ..ConsumerState::new(0) };
            Arc::new(NodeState::Consumer(c))
        };
        s.actor_states[FIRST_CONSUMER] = processing(0, 1, 0);
        assert!(concurrent_holders(&m, &s).is_empty(), "one holder");
        s.actor_states[FIRST_CONSUMER + 1] = processing(0, 2, 7);
        assert_eq!(concurrent_holders(&m, &s), vec![(0, vec![(0, vec![0]), (1, vec![0, 1])])]);
        assert!(shared_partitions(&m, &s).is_empty(), "a zombie of another generation owns nothing");
        assert_eq!(
            explain_concurrent(&m, &s),
            "partition 0: consumer-0 holds offset 0 and consumer-1 holds offsets 0, 1, all still to be processed"
        );
        s.crashed[FIRST_CONSUMER + 1] = true;
        assert!(!is_held_twice(&m, &s, 0), "a crashed process holds nothing");
    }

    #[test]
    fn a_fenced_zombie_that_will_still_process_violates_exclusive_processing_and_holds_nothing_else() {
        let (m, states) = zombie_model(FENCED);
        let violating: Vec<_> = states.iter().filter(|s| !concurrent_holders(m, s).is_empty()).collect();
        assert!(!violating.is_empty(), "the zombie processes beside the new owner");
        for s in violating {
            for (_, holders) in concurrent_holders(m, s) {
                assert!(holders.iter().all(|&(c, ref offsets)| s.consumer(c).1 && !offsets.is_empty()));
            }
        }
    }

    #[test]
    fn a_received_acknowledgement_is_lost_once_its_record_is_gone_or_replaced() {
        use crate::model::coordinator::Acked;
        let m = model();
        let mut s = state(&m, &[1, 2], &[0, 0, 0]);
        let received = |s: &mut KafkaState, epoch: u8, log_epochs: &[u8]| {
            let NodeState::Coordinator(c) = &*s.actor_states[COORDINATOR] else { unreachable!() };
            let mut c = c.clone();
            s.history.received = vec![Acked { partition: 0, offset: 2, index: 1, epoch }];
            c.topic.log.records.truncate(log_epochs.len());
            for (r, &e) in c.topic.log.records.iter_mut().zip(log_epochs) {
                r.epoch = e;
            }
            s.actor_states[COORDINATOR] = Arc::new(NodeState::Coordinator(c));
        };
        assert!(lost_acked_commits(&s).next().is_none(), "no client received an acknowledgement");
        received(&mut s, 0, &[0, 0]);
        assert!(lost_acked_commits(&s).next().is_none(), "the acknowledged record is in the log");
        received(&mut s, 0, &[0]);
        let lost: Vec<_> = lost_acked_commits(&s).map(|(a, now)| (a.offset, now)).collect();
        assert_eq!(lost, vec![(2, Some(1))], "truncated by an election");
        let mut s = state(&m, &[1, 1], &[0, 0, 0]);
        received(&mut s, 0, &[0, 1]);
        assert_eq!(
            lost_acked_commits(&s).count(),
            1,
            "a later leader's record at its index is another commit"
        );
        let explain = explain_lost_acks(&m, &s);
        assert!(explain.contains("commit of offset 2 for partition 0"), "{explain}");
        assert!(explain.contains("committed offset is now 1"), "{explain}");
    }

    #[test]
    fn a_run_can_end_only_when_nothing_is_left_to_do() {
        let m = model();
        let init = m.init_states().remove(0);
        assert!(!is_terminal(&m, &init), "the consumer's OffsetFetch is on its way");
    }

    /// Every state reachable from the initial ones, breadth-first.
    fn reachable(m: &KafkaModel) -> Vec<KafkaState> {
        let mut seen: std::collections::HashSet<KafkaState> = m.init_states().into_iter().collect();
        let mut queue: Vec<KafkaState> = seen.iter().cloned().collect();
        let mut next = 0;
        while let Some(s) = queue.get(next).cloned() {
            next += 1;
            let mut actions = Vec::new();
            m.actions(&s, &mut actions);
            for a in actions {
                if let Some(t) = m.next_state(&s, a)
                    && seen.insert(t.clone())
                {
                    queue.push(t);
                }
            }
        }
        queue
    }

    /// A zombie scenario's model and its reachable states, walked once per test binary.
    fn zombie_model(file: &str) -> &'static (KafkaModel, Vec<KafkaState>) {
        static WALKED: std::sync::OnceLock<[(KafkaModel, Vec<KafkaState>); 2]> = std::sync::OnceLock::new();
        let walk = |file: &str| {
            let m = model::build(&crate::scenario::load(std::path::Path::new(file)).unwrap());
            let states = reachable(&m);
            (m, states)
        };
        let walked = WALKED.get_or_init(|| {
            std::thread::scope(|s| {
                let fenced = s.spawn(|| walk(FENCED));
                [fenced.join().unwrap(), walk(UNFENCED)]
            })
        });
        &walked[usize::from(file == UNFENCED)]
    }

    /// A message in flight, as the test looks for it.
    enum Flying {
        OwnCommit { accepted: bool },
        RejectionTo { me: bool },
        OthersCommit { accepted: bool },
    }

    /// Whether `state` has consumer `c` committing with a message of the
    /// `kind` asked for in flight, and no other commit or rejection of or to `c`.
    fn committing_with(m: &KafkaModel, state: &KafkaState, c: usize, kind: &Flying) -> bool {
        let (s, alive) = state.consumer(c);
        let id = Id::from(FIRST_CONSUMER + c);
        let fencing = m.scenario.group.fencing;
        let mut matched = false;
        for env in in_flight(state) {
            let mine = match env.msg {
                Msg::CommitRejected { incarnation, .. } => env.dst == id && *incarnation == s.incarnation,
                Msg::OffsetCommit { incarnation, .. } => env.src == id && *incarnation == s.incarnation,
                _ => false,
            };
            let this = match (kind, env.msg) {
                (Flying::OwnCommit { accepted }, &Msg::OffsetCommit { by, .. }) => {
                    mine && state.group().accepts(fencing, by) == *accepted
                }
                (Flying::RejectionTo { me }, Msg::CommitRejected { incarnation, .. }) => {
                    mine == *me && (*me || *incarnation == s.incarnation)
                }
                (Flying::OthersCommit { accepted }, &Msg::OffsetCommit { by, .. }) => {
                    env.src != id && state.group().accepts(fencing, by) == *accepted
                }
                _ => false,
            };
            if mine && !this {
                return false;
            }
            matched |= this;
        }
        alive && matches!(s.phase, Phase::Committing { .. }) && matched
    }

    /// Asserts that some reachable state has a consumer committing with `kind`
    /// in flight, and that in each such state its commit goes through or not as `expected` says.
    fn assert_commit_goes_through(file: &str, kind: Flying, expected: bool) {
        let (m, states) = zombie_model(file);
        let mut seen = 0;
        for state in states {
            for c in 0..m.scenario.consumers as usize {
                if committing_with(m, state, c, &kind) {
                    seen += 1;
                    assert_eq!(
                        commit_goes_through(m, state, c),
                        expected,
                        "{file}: consumer {c} in {state:?}"
                    );
                }
            }
        }
        assert!(seen > 0, "{file}: no such state");
    }

    const FENCED: &str = "models/group-at-most-once-zombie-fenced.json";
    const UNFENCED: &str = "models/group-at-most-once-zombie-unfenced.json";

    #[test]
    fn a_zombie_commit_the_group_will_reject_does_not_go_through() {
        assert_commit_goes_through(FENCED, Flying::OwnCommit { accepted: false }, false);
        assert_commit_goes_through(FENCED, Flying::OwnCommit { accepted: true }, true);
    }

    #[test]
    fn a_rejection_on_its_way_to_the_committing_consumer_stops_its_batch() {
        assert_commit_goes_through(FENCED, Flying::RejectionTo { me: true }, false);
        assert_commit_goes_through(FENCED, Flying::RejectionTo { me: false }, true);
    }

    #[test]
    fn another_consumers_rejected_commit_does_not_stop_this_one() {
        assert_commit_goes_through(FENCED, Flying::OthersCommit { accepted: false }, true);
    }

    #[test]
    fn without_fencing_every_commit_goes_through() {
        assert_commit_goes_through(UNFENCED, Flying::OwnCommit { accepted: true }, true);
        assert_commit_goes_through(UNFENCED, Flying::OthersCommit { accepted: true }, true);
        let (m, states) = zombie_model(UNFENCED);
        for state in states {
            for c in 0..m.scenario.consumers as usize {
                assert!(commit_goes_through(m, state, c), "consumer {c} in {state:?}");
            }
        }
    }

    #[test]
    fn a_consumer_not_committing_has_no_commit_to_lose() {
        let (m, states) = zombie_model(FENCED);
        let mut seen = 0;
        for state in states {
            for c in 0..m.scenario.consumers as usize {
                if !matches!(state.consumer(c).0.phase, Phase::Committing { .. }) {
                    seen += 1;
                    assert!(commit_goes_through(m, state, c));
                }
            }
        }
        assert!(seen > 0);
    }
}
