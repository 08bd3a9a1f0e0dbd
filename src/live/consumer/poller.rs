//! The poll loop's view of rdkafka's one-message polls: batches of one
//! partition, as one Fetch in the model returns, and which owned partitions
//! have been read to their end.

use super::super::wire::Report;
use super::LiveContext;
use super::emit;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use std::collections::VecDeque;
use std::time::Duration;

/// Turns rdkafka's one-message polls into the model's batches, and tracks
/// which owned partitions have been read to their end.
#[derive(Default)]
pub(super) struct Poller {
    /// Polled but not yet part of a batch (a record of another partition ends a batch).
    held: VecDeque<(i32, i64)>,
    /// `idle` was reported and nothing came since (a record or a rebalance).
    idle: bool,
}

impl Poller {
    fn poll_one(&mut self, consumer: &BaseConsumer<LiveContext>, wait: Duration) -> Option<(i32, i64)> {
        match consumer.poll(wait)? {
            Ok(m) => {
                consumer.context().at_end.borrow_mut().remove(&m.partition());
                Some((m.partition(), m.offset()))
            }
            Err(KafkaError::PartitionEOF(p)) => {
                consumer.context().at_end.borrow_mut().insert(p);
                None
            }
            Err(e) => {
                eprintln!("poll: {e}");
                None
            }
        }
    }

    /// Up to `max` records of one partition; empty when nothing came within 100 ms.
    pub(super) fn next_batch(&mut self, consumer: &BaseConsumer<LiveContext>, max: usize) -> Vec<(i32, i64)> {
        // Records of partitions given up in a rebalance are not ours to process.
        if let Some(owned) = consumer.context().owned.borrow().as_ref() {
            self.held.retain(|(p, _)| owned.contains(p));
        }
        let first = match self.held.pop_front() {
            Some(r) => r,
            None => match self.poll_one(consumer, Duration::from_millis(100)) {
                Some(r) => r,
                None => return Vec::new(),
            },
        };
        self.idle = false;
        let mut batch = vec![first];
        while batch.len() < max {
            let next = match self.held.pop_front() {
                Some(r) => Some(r),
                None => self.poll_one(consumer, Duration::ZERO),
            };
            match next {
                Some(r) if r.0 == first.0 => batch.push(r),
                Some(r) => {
                    self.held.push_front(r);
                    break;
                }
                None => break,
            }
        }
        batch
    }

    /// Drops the records of `partition` polled but not yet handed out: the
    /// poll loop seeked it back, and they come again.
    pub(super) fn forget(&mut self, partition: i32) {
        self.held.retain(|(p, _)| *p != partition);
        self.idle = false;
    }

    /// Reports `idle` once every owned partition is read to its end.
    pub(super) fn report_idle(&mut self, context: &LiveContext) {
        let Some(owned) = context.owned.borrow().clone() else { return };
        if context.rebalanced.take() {
            self.idle = false;
        }
        if !self.idle && self.held.is_empty() && owned.is_subset(&context.at_end.borrow()) {
            emit(Report::Idle);
            self.idle = true;
        }
    }
}
