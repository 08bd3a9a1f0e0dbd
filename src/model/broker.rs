//! The partition leader: serves Fetch and ListOffsets, and takes the
//! producer's appends.
//!
//! Every partition holds records at offsets `0 .. messages` at the start; a
//! record's only content that matters to the properties is its (partition,
//! offset), so a log is its length. With `produce` > 0 a producer appends
//! `produce` more records to every partition while the consumers run: each
//! append is a step of its own, a Stateright random choice of the
//! partition, offered while that partition has records left to produce.
//!
//! A consumer does not know where the log ends now, so a caught-up consumer
//! fetches anyway: the broker holds a Fetch from at or past its log end
//! (Kafka's long poll: a `DelayedFetch` in the broker's fetch purgatory,
//! `fetch.min.bytes` 1) and answers it with the next record appended, or
//! with no records once `fetch.max.wait.ms` elapses (the purgatory expires
//! the delayed fetch and it completes with what there is: nothing). The
//! expiry is a step of its own, [`Choice::FetchWaitElapsed`]; which of them
//! the checker takes is [`wait_matters`]'s to say. Without a producer nothing
//! is ever held: consumers stop at the log end, which they know (`messages`).

use super::choice::Choice;
use super::consumer::{ConsumerState, Phase, Rejoin};
use super::event::{Event, Events};
use super::msg::{Corr, Incarnation, Msg};
use super::{BROKER, KafkaState, NodeState};
use crate::scenario::{Offset, Partition};
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct Broker {
    /// Every partition's log end at the start (`messages`).
    pub messages: Offset,
    /// Every partition's log end once the producer is done (`messages + produce`).
    pub final_end: Offset,
    pub partitions: Partition,
}

/// A Fetch the broker holds until its partition has a record at `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Parked {
    /// The consumer (number) that sent it, and the fetch itself.
    pub consumer: u8,
    pub incarnation: u8,
    pub corr: Corr,
    pub partition: Partition,
    pub offset: Offset,
    pub max_records: Offset,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct BrokerState {
    /// Per partition, its log end now.
    pub ends: Vec<Offset>,
    /// Fetches held until a record arrives, in arrival order.
    pub parked: Vec<Parked>,
}

impl BrokerState {
    /// The broker's state in a model state.
    pub fn of(state: &KafkaState) -> &BrokerState {
        match &*state.actor_states[BROKER] {
            NodeState::Broker(b) => b,
            other => unreachable!("actor {BROKER} is the broker, found {other:?}"),
        }
    }

    /// The held fetches whose `fetch.max.wait.ms` may elapse next, one per
    /// consumer process (a duplicated Fetch is held twice, and answered once).
    pub fn waiting(&self) -> Vec<Choice> {
        let mut waiting: Vec<Choice> = self
            .parked
            .iter()
            .map(|f| Choice::FetchWaitElapsed { consumer: f.consumer, incarnation: f.incarnation })
            .collect();
        waiting.sort_unstable();
        waiting.dedup();
        waiting
    }

    /// The fetch it holds for consumer number `consumer`'s process `incarnation`, if any.
    pub fn held(&self, consumer: u8, incarnation: Incarnation) -> Option<&Parked> {
        self.parked.iter().find(|f| (f.consumer, f.incarnation) == (consumer, incarnation))
    }
}

impl Broker {
    pub fn start(&self) -> BrokerState {
        BrokerState { ends: vec![self.messages; self.partitions as usize], parked: Vec::new() }
    }

    /// The partitions the producer may append to next.
    pub fn producible(&self, state: &BrokerState) -> Vec<Partition> {
        (0..self.partitions).filter(|&p| state.ends[p as usize] < self.final_end).collect()
    }

    /// `fetch.max.wait.ms` elapsed on the fetch held for consumer number
    /// `consumer`'s process `incarnation`: it is answered with no records
    /// (Kafka's `DelayedFetch.onExpiration`, then `onComplete` with the
    /// empty read). Returns the reply, if such a fetch is held.
    pub fn wait_elapsed(
        &self,
        state: &mut BrokerState,
        consumer: u8,
        incarnation: Incarnation,
        ev: &mut Events,
    ) -> Option<Msg> {
        let i = state.parked.iter().position(|f| (f.consumer, f.incarnation) == (consumer, incarnation))?;
        let f = state.parked.remove(i);
        let (partition, offset) = (f.partition, f.offset);
        ev.emit(|| Event::FetchWaitElapsed { consumer, partition, offset });
        Some(fetched(&f, offset))
    }

    /// The reply to a request from consumer number `from`, if the broker
    /// answers it now; a Fetch at the log end of a partition that will grow is held.
    pub fn handle(&self, state: &mut BrokerState, from: u8, msg: &Msg, ev: &mut Events) -> Option<Msg> {
        let consumer = from;
        match *msg {
            Msg::Fetch { incarnation, corr, partition, offset, max_records } => {
                let end = state.ends[partition as usize];
                let fetch = Parked { consumer: from, incarnation, corr, partition, offset, max_records };
                if offset >= end && end < self.final_end {
                    ev.emit(|| Event::FetchHeld { consumer, partition, offset });
                    state.parked.push(fetch);
                    return None;
                }
                ev.emit(|| Event::FetchServed { consumer, partition, offset, max_records });
                Some(fetched(&fetch, end))
            }
            Msg::ListOffsets { incarnation, corr, ref partitions } => {
                for &partition in partitions {
                    let end = state.ends[partition as usize];
                    ev.emit(|| Event::ListOffsets { consumer, partition, end });
                }
                let offsets = partitions.iter().map(|&p| (p, state.ends[p as usize])).collect();
                Some(Msg::ListOffsetsResponse { incarnation, corr, offsets })
            }
            _ => None,
        }
    }

    /// The producer appends one record to `partition`; returns the held
    /// fetches it answers, with the consumer (number) each reply goes to.
    pub fn produce(&self, state: &mut BrokerState, partition: Partition, ev: &mut Events) -> Vec<(u8, Msg)> {
        ev.emit(|| {
            let woken =
                state.parked.iter().filter(|f| f.partition == partition).map(|f| f.consumer).collect();
            Event::Produce { partition, offset: state.ends[partition as usize], woken }
        });
        let end = &mut state.ends[partition as usize];
        if *end >= self.final_end {
            return Vec::new();
        }
        *end += 1;
        let end = *end;
        let mut replies = Vec::new();
        state.parked.retain(|f| {
            let ready = f.partition == partition && f.offset < end;
            if ready {
                replies.push((f.consumer, fetched(f, end)));
            }
            !ready
        });
        replies
    }
}

/// Whether the empty answer to the fetch held for consumer number
/// `consumer`'s process `incarnation` is a step worth exploring, given that
/// consumer's state `s` (alive or not): the fetch is the one its poll loop
/// waits on, and once `poll()` returns the consumer has something else to
/// do. That is a rebalance or an eviction to act on (the Java client does so
/// in the next `poll()`, before it fetches again), an auto-commit that is
/// due (committed at the next poll), or another owned partition that has
/// records past the consumer's position right now (a real Fetch names every
/// assigned partition and returns with that partition's records; here the
/// poll loop fetches it next, round-robin).
///
/// Nothing that matters is lost by offering it only then. Otherwise the
/// consumer's next poll sends the same kind of fetch again, which the broker
/// holds again: a step that ends where it started, or (several partitions,
/// all caught up) with another caught-up partition held, from where the same
/// steps lead on (the producer's next record, or this one once another
/// partition has records). A fetch held for a crashed process is not
/// answered: the reply would be dropped as stale, whenever it comes.
///
/// Nor does it close a cycle in the state graph (which `all-processed`, an
/// eventually property, relies on, `src/properties/model.rs`): each reason
/// is used up by the poll that follows (the consumer rejoins; the auto-commit
/// is sent; the round-robin moves on to the next partition, and at most one
/// lap reaches the one with records, which the fetch then advances past).
pub fn wait_matters(
    broker: &BrokerState,
    consumer: u8,
    incarnation: Incarnation,
    s: &ConsumerState,
    alive: bool,
) -> bool {
    let Some(held) = broker.held(consumer, incarnation) else { return false };
    let Phase::Fetching { slot } = s.phase else { return false };
    let fetching = s.owned[slot as usize];
    let behind =
        |o: &super::consumer::Owned| o.position.is_some_and(|p| p < broker.ends[o.partition as usize]);
    alive
        && s.incarnation == incarnation
        && (fetching.partition, fetching.position.unwrap_or(0)) == (held.partition, held.offset)
        && (s.rejoin != Rejoin::No
            || s.auto_commit_due
            || s.owned.iter().enumerate().any(|(i, o)| i != slot as usize && behind(o)))
}

/// The answer to a fetch while the partition's log ends at `end`.
fn fetched(f: &Parked, end: Offset) -> Msg {
    let (incarnation, corr, partition, offset) = (f.incarnation, f.corr, f.partition, f.offset);
    Msg::FetchResponse {
        incarnation,
        corr,
        partition,
        offset,
        count: f.max_records.min(end.saturating_sub(offset)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Events;

    fn fetch(offset: Offset, max_records: Offset) -> Msg {
        Msg::Fetch { incarnation: 1, corr: 0, partition: 0, offset, max_records }
    }

    fn count(reply: Option<Msg>) -> Offset {
        match reply {
            Some(Msg::FetchResponse { count, incarnation: 1, .. }) => count,
            other => panic!("unexpected reply {other:?}"),
        }
    }

    #[test]
    fn fetch_returns_at_most_max_records_up_to_the_log_end() {
        let broker = Broker { messages: 3, final_end: 3, partitions: 1 };
        let mut s = broker.start();
        assert_eq!(count(broker.handle(&mut s, 0, &fetch(0, 2), &mut Events::off())), 2);
        assert_eq!(count(broker.handle(&mut s, 0, &fetch(2, 2), &mut Events::off())), 1);
        assert_eq!(
            count(broker.handle(&mut s, 0, &fetch(3, 2), &mut Events::off())),
            0,
            "no producer: nothing is held"
        );
        assert_eq!(
            broker.handle(&mut s, 0, &Msg::TxnOutputs { partition: 0, from: 0, to: 1 }, &mut Events::off()),
            None
        );
        assert_eq!(s, broker.start(), "without a producer the broker's state never changes");
        assert!(broker.producible(&s).is_empty());
    }

    #[test]
    fn a_caught_up_fetch_waits_for_the_next_record() {
        let broker = Broker { messages: 1, final_end: 3, partitions: 2 };
        let mut s = broker.start();
        assert_eq!(broker.producible(&s), vec![0, 1]);
        assert_eq!(
            broker.handle(&mut s, 1, &fetch(1, 2), &mut Events::off()),
            None,
            "held: offset 1 is not written yet"
        );
        let list = Msg::ListOffsets { incarnation: 4, corr: 0, partitions: vec![0] };
        let end = Msg::ListOffsetsResponse { incarnation: 4, corr: 0, offsets: vec![(0, 1)] };
        assert_eq!(broker.handle(&mut s, 1, &list, &mut Events::off()), Some(end));
        assert!(
            broker.produce(&mut s, 1, &mut Events::off()).is_empty(),
            "a record of another partition answers nothing"
        );
        let replies = broker.produce(&mut s, 0, &mut Events::off());
        let one = Msg::FetchResponse { incarnation: 1, corr: 0, partition: 0, offset: 1, count: 1 };
        assert_eq!(replies, vec![(1, one)], "answered with the one record there is");
        assert!(s.parked.is_empty());
        broker.produce(&mut s, 0, &mut Events::off());
        assert_eq!(broker.producible(&s), vec![1], "partition 0 is complete");
        assert!(broker.produce(&mut s, 0, &mut Events::off()).is_empty());
        assert_eq!(s.ends, vec![3, 2]);
        assert_eq!(
            count(broker.handle(&mut s, 0, &fetch(3, 1), &mut Events::off())),
            0,
            "at the final end a fetch is answered"
        );
    }

    #[test]
    fn fetch_max_wait_answers_a_held_fetch_empty() {
        let broker = Broker { messages: 1, final_end: 2, partitions: 2 };
        let mut s = broker.start();
        assert!(s.waiting().is_empty());
        assert_eq!(broker.handle(&mut s, 1, &fetch(1, 2), &mut Events::off()), None);
        assert_eq!(broker.handle(&mut s, 1, &fetch(1, 2), &mut Events::off()), None, "a duplicate");
        let old = Msg::Fetch { incarnation: 0, corr: 0, partition: 1, offset: 1, max_records: 1 };
        assert_eq!(broker.handle(&mut s, 1, &old, &mut Events::off()), None);
        let waiting = |incarnation| Choice::FetchWaitElapsed { consumer: 1, incarnation };
        assert_eq!(s.waiting(), vec![waiting(0), waiting(1)], "one per process");
        assert_eq!(
            broker.wait_elapsed(&mut s, 2, 1, &mut Events::off()),
            None,
            "nothing held for consumer-2"
        );
        let mut ev = Events::on();
        let empty = Msg::FetchResponse { incarnation: 1, corr: 0, partition: 0, offset: 1, count: 0 };
        assert_eq!(broker.wait_elapsed(&mut s, 1, 1, &mut ev), Some(empty.clone()));
        assert_eq!(ev.into_vec(), vec![Event::FetchWaitElapsed { consumer: 1, partition: 0, offset: 1 }]);
        assert_eq!(s.held(1, 1).map(|f| f.partition), Some(0), "its duplicate is still held");
        assert_eq!(broker.wait_elapsed(&mut s, 1, 1, &mut Events::off()), Some(empty));
        assert_eq!(s.waiting(), vec![waiting(0)]);
        let one = Msg::FetchResponse { incarnation: 0, corr: 0, partition: 1, offset: 1, count: 1 };
        assert_eq!(broker.produce(&mut s, 1, &mut Events::off()), vec![(1, one)]);
        assert!(s.waiting().is_empty());
    }

    /// Consumer state fetching partition 0 from @1 (slot 0), owning p1 at `p1`.
    fn fetching(p1: Offset) -> ConsumerState {
        use crate::model::consumer::Owned;
        let owned = |partition, position| Owned {
            partition,
            position: Some(position),
            committed: 0,
            revoking: false,
        };
        ConsumerState {
            owned: vec![owned(0, 1), owned(1, p1)],
            phase: Phase::Fetching { slot: 0 },
            ..ConsumerState::new(1)
        }
    }

    #[test]
    fn the_wait_elapses_only_when_the_consumer_has_something_else_to_do() {
        let broker = Broker { messages: 1, final_end: 2, partitions: 2 };
        let mut b = broker.start();
        broker.handle(&mut b, 0, &fetch(1, 1), &mut Events::off());
        let matters = |s: &ConsumerState, alive| wait_matters(&b, 0, 1, s, alive);
        assert!(!matters(&fetching(1), true), "p1 caught up too: an empty poll changes nothing");
        assert!(matters(&fetching(0), true), "p1 has a record to fetch");
        assert!(!matters(&fetching(0), false), "a crashed consumer");
        assert!(!wait_matters(&b, 0, 2, &fetching(0), true), "nothing held for that process");
        let mut later = fetching(0);
        later.incarnation = 2;
        assert!(!matters(&later, true), "the held fetch belongs to the crashed predecessor");
        let mut moved_on = fetching(0);
        moved_on.phase = Phase::Fetching { slot: 1 };
        assert!(!matters(&moved_on, true), "the loop waits on another fetch");
        let mut rebalance = fetching(1);
        rebalance.rejoin = Rejoin::Rebalance;
        assert!(matters(&rebalance, true), "a rebalance to act on");
        let mut due = fetching(1);
        due.auto_commit_due = true;
        assert!(matters(&due, true), "an auto-commit to send");
    }
}
