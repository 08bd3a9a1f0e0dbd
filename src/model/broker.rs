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
//! (Kafka's long poll, `fetch.max.wait.ms` with `fetch.min.bytes` > 0 until a
//! record arrives) and answers it with the next record appended. Without a
//! producer nothing is ever held: consumers stop at the log end, which they
//! know (`messages`).

use super::event::{Event, Events};
use super::msg::Msg;
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

impl Broker {
    pub fn start(&self) -> BrokerState {
        BrokerState { ends: vec![self.messages; self.partitions as usize], parked: Vec::new() }
    }

    /// The partitions the producer may append to next.
    pub fn producible(&self, state: &BrokerState) -> Vec<Partition> {
        (0..self.partitions).filter(|&p| state.ends[p as usize] < self.final_end).collect()
    }

    /// The reply to a request from consumer number `from`, if the broker
    /// answers it now; a Fetch at the log end of a partition that will grow is held.
    pub fn handle(&self, state: &mut BrokerState, from: u8, msg: &Msg, ev: &mut Events) -> Option<Msg> {
        let consumer = from;
        match *msg {
            Msg::Fetch { incarnation, partition, offset, max_records } => {
                let end = state.ends[partition as usize];
                if offset >= end && end < self.final_end {
                    ev.emit(|| Event::FetchHeld { consumer, partition, offset });
                    state.parked.push(Parked { consumer: from, incarnation, partition, offset, max_records });
                    return None;
                }
                ev.emit(|| Event::FetchServed { consumer, partition, offset, max_records });
                Some(fetched(incarnation, partition, offset, max_records, end))
            }
            Msg::ListOffsets { incarnation, ref partitions } => {
                for &partition in partitions {
                    let end = state.ends[partition as usize];
                    ev.emit(|| Event::ListOffsets { consumer, partition, end });
                }
                let offsets = partitions.iter().map(|&p| (p, state.ends[p as usize])).collect();
                Some(Msg::ListOffsetsResponse { incarnation, offsets })
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
                replies.push((f.consumer, fetched(f.incarnation, f.partition, f.offset, f.max_records, end)));
            }
            !ready
        });
        replies
    }
}

fn fetched(incarnation: u8, partition: Partition, offset: Offset, max_records: Offset, end: Offset) -> Msg {
    Msg::FetchResponse { incarnation, partition, offset, count: max_records.min(end.saturating_sub(offset)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Events;

    fn fetch(offset: Offset, max_records: Offset) -> Msg {
        Msg::Fetch { incarnation: 1, partition: 0, offset, max_records }
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
        let list = Msg::ListOffsets { incarnation: 4, partitions: vec![0] };
        let end = Msg::ListOffsetsResponse { incarnation: 4, offsets: vec![(0, 1)] };
        assert_eq!(broker.handle(&mut s, 1, &list, &mut Events::off()), Some(end));
        assert!(
            broker.produce(&mut s, 1, &mut Events::off()).is_empty(),
            "a record of another partition answers nothing"
        );
        let replies = broker.produce(&mut s, 0, &mut Events::off());
        let one = Msg::FetchResponse { incarnation: 1, partition: 0, offset: 1, count: 1 };
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
}
