//! A consumer: its poll loop and its delivery strategy (DESIGN.md §1).
//!
//! The consumer is single-threaded like a `KafkaConsumer` poll loop: it has
//! at most one request outstanding and waits for each reply (a synchronous
//! `commitSync`, a processing call that returns once the side effect is
//! applied). The order of its steps per batch is the strategy:
//!
//! | strategy        | after a batch `from .. to` is received                        |
//! |-----------------|---------------------------------------------------------------|
//! | `at-most-once`  | commit `to`, then process `from`, `from+1`, ... one at a time |
//! | `at-least-once` | process `from`, `from+1`, ... one at a time, then commit `to` |
//! | `exactly-once`  | one transaction: outputs of `from .. to` and offset `to`      |
//!
//! All of its state is volatile: a crash loses it, and the recovered process
//! rejoins by fetching its partitions' committed offsets (earliest when there
//! is none, i.e. `auto.offset.reset=earliest`). Its partitions are fixed:
//! partition p belongs to consumer p mod C, and waits while its owner is down.

use super::msg::{Incarnation, Msg};
use crate::scenario::{Offset, Partition, Strategy};
use serde::Serialize;

/// Where a consumer's request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    Broker,
    Coordinator,
    Sink,
}

/// A consumer's configuration: what it owns and how it delivers.
#[derive(Clone, Debug)]
pub struct Consumer {
    pub partitions: Vec<Partition>,
    pub strategy: Strategy,
    pub max_poll_records: Offset,
    /// The partitions' log end: the consumer stops polling a partition once
    /// its position reaches it (a real consumer would keep receiving empty
    /// batches, which change nothing).
    pub log_end: Offset,
}

/// What the consumer is doing; every variant but `Idle` and `Done` waits for one reply.
/// `slot` indexes [`Consumer::partitions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Phase {
    /// Owns no partition.
    Idle,
    /// OffsetFetch sent; waiting for the committed offsets.
    AwaitingOffsets,
    /// Fetch sent for partition `slot`.
    Fetching { slot: u8 },
    /// Holds records `from .. to`; the Output of `next` is on its way to the sink.
    Processing { slot: u8, from: Offset, next: Offset, to: Offset },
    /// Holds records `from .. to`; the commit of `to` (or the transaction) is on its way.
    Committing { slot: u8, from: Offset, to: Offset },
    /// Every owned partition is consumed to its log end.
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ConsumerState {
    pub incarnation: Incarnation,
    /// Next offset to fetch, per owned partition (meaningful once the committed offsets arrived).
    pub positions: Vec<Offset>,
    pub phase: Phase,
}

impl Consumer {
    /// A (re)started process: ask for the committed offsets of the owned partitions.
    pub fn start(&self, incarnation: Incarnation, out: &mut Vec<(To, Msg)>) -> ConsumerState {
        let mut state =
            ConsumerState { incarnation, positions: vec![0; self.partitions.len()], phase: Phase::Idle };
        if !self.partitions.is_empty() {
            out.push((
                To::Coordinator,
                Msg::OffsetFetch { incarnation, partitions: self.partitions.clone() },
            ));
            state.phase = Phase::AwaitingOffsets;
        }
        state
    }

    /// Handles a reply. Replies addressed to an earlier incarnation are
    /// dropped (they belong to connections that died with it).
    pub fn on_reply(&self, state: &mut ConsumerState, msg: &Msg, out: &mut Vec<(To, Msg)>) {
        if msg.reply_incarnation() != Some(state.incarnation) {
            return;
        }
        match (state.phase, msg) {
            (Phase::AwaitingOffsets, Msg::OffsetFetchResponse { offsets, .. }) => {
                for &(partition, committed) in offsets {
                    if let Some(slot) = self.slot_of(partition) {
                        state.positions[slot] = committed.unwrap_or(0);
                    }
                }
                self.poll(state, 0, out);
            }
            (Phase::Fetching { slot }, &Msg::FetchResponse { offset, count, .. }) => {
                let (from, to) = (offset, offset + count);
                state.positions[slot as usize] = to;
                match self.strategy {
                    Strategy::AtLeastOnce => self.process(state, slot, from, from, to, out),
                    Strategy::AtMostOnce => self.commit(state, slot, from, to, out),
                    Strategy::ExactlyOnce => {
                        let partition = self.partitions[slot as usize];
                        out.push((
                            To::Coordinator,
                            Msg::TxnCommit { incarnation: state.incarnation, partition, from, to },
                        ));
                        state.phase = Phase::Committing { slot, from, to };
                    }
                }
            }
            (Phase::Processing { slot, from, next, to }, &Msg::OutputAck { offset, .. })
                if offset == next =>
            {
                if next + 1 < to {
                    self.process(state, slot, from, next + 1, to, out);
                } else if self.strategy == Strategy::AtLeastOnce {
                    self.commit(state, slot, from, to, out);
                } else {
                    self.poll(state, slot as usize + 1, out);
                }
            }
            (
                Phase::Committing { slot, from, to },
                Msg::OffsetCommitResponse { .. } | Msg::TxnCommitResponse { .. },
            ) => {
                if self.strategy == Strategy::AtMostOnce {
                    self.process(state, slot, from, from, to, out);
                } else {
                    self.poll(state, slot as usize + 1, out);
                }
            }
            _ => {}
        }
    }

    /// Whether this consumer, alive, will still apply the side effect of
    /// `offset` of `partition` from the records it holds.
    pub fn will_process(&self, state: &ConsumerState, partition: Partition, offset: Offset) -> bool {
        let holds = |slot: u8, from: Offset, to: Offset| {
            self.partitions[slot as usize] == partition && (from..to).contains(&offset)
        };
        match state.phase {
            Phase::Processing { slot, next, to, .. } => holds(slot, next, to),
            Phase::Committing { slot, from, to } => {
                self.strategy == Strategy::AtMostOnce && holds(slot, from, to)
            }
            _ => false,
        }
    }

    fn slot_of(&self, partition: Partition) -> Option<usize> {
        self.partitions.iter().position(|&p| p == partition)
    }

    /// Fetches from the first partition, round-robin from `start`, that is not
    /// consumed to its end; `Done` when there is none.
    fn poll(&self, state: &mut ConsumerState, start: usize, out: &mut Vec<(To, Msg)>) {
        let n = self.partitions.len();
        let next = (0..n).map(|i| (start + i) % n).find(|&slot| state.positions[slot] < self.log_end);
        state.phase = match next {
            Some(slot) => {
                out.push((
                    To::Broker,
                    Msg::Fetch {
                        incarnation: state.incarnation,
                        partition: self.partitions[slot],
                        offset: state.positions[slot],
                        max_records: self.max_poll_records,
                    },
                ));
                Phase::Fetching { slot: slot as u8 }
            }
            None => Phase::Done,
        };
    }

    fn process(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        next: Offset,
        to: Offset,
        out: &mut Vec<(To, Msg)>,
    ) {
        out.push((
            To::Sink,
            Msg::Output {
                incarnation: state.incarnation,
                partition: self.partitions[slot as usize],
                offset: next,
            },
        ));
        state.phase = Phase::Processing { slot, from, next, to };
    }

    fn commit(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        to: Offset,
        out: &mut Vec<(To, Msg)>,
    ) {
        out.push((
            To::Coordinator,
            Msg::OffsetCommit {
                incarnation: state.incarnation,
                partition: self.partitions[slot as usize],
                offset: to,
            },
        ));
        state.phase = Phase::Committing { slot, from, to };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer(strategy: Strategy, max_poll_records: Offset) -> Consumer {
        Consumer { partitions: vec![0], strategy, max_poll_records, log_end: 3 }
    }

    /// Feeds replies to a consumer and returns the requests it sent, in order.
    fn run(c: &Consumer, state: &mut ConsumerState, replies: &[Msg]) -> Vec<(To, Msg)> {
        let mut out = Vec::new();
        for reply in replies {
            c.on_reply(state, reply, &mut out);
        }
        out
    }

    fn started(c: &Consumer, incarnation: Incarnation) -> ConsumerState {
        let mut out = Vec::new();
        let state = c.start(incarnation, &mut out);
        let fetch = Msg::OffsetFetch { incarnation, partitions: vec![0] };
        assert_eq!(out, vec![(To::Coordinator, fetch)]);
        state
    }

    // Messages of incarnation 0 about partition 0.
    fn offsets(committed: Option<Offset>) -> Msg {
        let offsets = vec![(0, committed)];
        Msg::OffsetFetchResponse { incarnation: 0, offsets }
    }
    fn records(offset: Offset, count: Offset) -> Msg {
        Msg::FetchResponse { incarnation: 0, partition: 0, offset, count }
    }
    fn output(offset: Offset) -> (To, Msg) {
        (To::Sink, Msg::Output { incarnation: 0, partition: 0, offset })
    }
    fn output_ack(offset: Offset) -> Msg {
        Msg::OutputAck { incarnation: 0, partition: 0, offset }
    }
    fn commit(offset: Offset) -> (To, Msg) {
        (To::Coordinator, Msg::OffsetCommit { incarnation: 0, partition: 0, offset })
    }
    fn commit_ack(offset: Offset) -> Msg {
        Msg::OffsetCommitResponse { incarnation: 0, partition: 0, offset }
    }

    #[test]
    fn resumes_from_committed_offset_or_earliest() {
        let c = consumer(Strategy::AtLeastOnce, 2);
        let mut s = started(&c, 0);
        let fetch = Msg::Fetch { incarnation: 0, partition: 0, offset: 1, max_records: 2 };
        assert_eq!(run(&c, &mut s, &[offsets(Some(1))]), vec![(To::Broker, fetch)]);
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(None)]);
        assert!(matches!(sent[0].1, Msg::Fetch { offset: 0, .. }));
    }

    #[test]
    fn at_least_once_processes_the_batch_then_commits() {
        let c = consumer(Strategy::AtLeastOnce, 2);
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(Some(1)), records(1, 2), output_ack(1), output_ack(2)]);
        assert_eq!(sent[1..], [output(1), output(2), commit(3)]);
        assert!(run(&c, &mut s, &[commit_ack(3)]).is_empty());
        assert_eq!(s.phase, Phase::Done);
    }

    #[test]
    fn at_most_once_commits_before_processing() {
        let c = consumer(Strategy::AtMostOnce, 2);
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(Some(1)), records(1, 2)]);
        assert_eq!(sent[1], commit(3));
        assert!(c.will_process(&s, 0, 1) && c.will_process(&s, 0, 2));
        assert_eq!(run(&c, &mut s, &[commit_ack(3)]), vec![output(1)]);
        run(&c, &mut s, &[output_ack(1)]);
        assert!(!c.will_process(&s, 0, 1) && c.will_process(&s, 0, 2));
    }

    #[test]
    fn exactly_once_sends_one_transaction_per_batch() {
        let c = consumer(Strategy::ExactlyOnce, 2);
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(Some(1)), records(1, 2)]);
        let txn = Msg::TxnCommit { incarnation: 0, partition: 0, from: 1, to: 3 };
        assert_eq!(sent[1], (To::Coordinator, txn));
        assert!(!c.will_process(&s, 0, 1), "the transaction, not the consumer, holds the outputs");
    }

    #[test]
    fn replies_to_an_earlier_incarnation_are_dropped() {
        let c = consumer(Strategy::AtLeastOnce, 1);
        let mut s = started(&c, 1);
        let before = s.clone();
        assert!(run(&c, &mut s, &[offsets(Some(1))]).is_empty());
        assert_eq!(s, before);
    }

    #[test]
    fn polls_owned_partitions_round_robin() {
        let c = Consumer { partitions: vec![0, 2], ..consumer(Strategy::AtLeastOnce, 1) };
        let mut out = Vec::new();
        let mut s = c.start(0, &mut out);
        let offsets = vec![(0, Some(3)), (2, None)];
        let sent = run(&c, &mut s, &[Msg::OffsetFetchResponse { incarnation: 0, offsets }]);
        assert!(matches!(sent[0].1, Msg::Fetch { partition: 2, offset: 0, .. }), "{sent:?}");
    }
}
