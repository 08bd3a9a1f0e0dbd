//! The worker threads of an auto-committing consumer (`commit.mode` auto,
//! `commit.processing` worker): the poll loop hands each batch to their
//! queue and polls on, so an auto-commit commits positions past records the
//! threads have not processed yet (the loss of `models/commit-auto-worker.json`).
//!
//! `workers` threads take records from the queue in order, one each. With
//! one thread the record it takes is applied at once (its Output goes to the
//! sink); with several, each thread finishes its record when the checker
//! chooses ([`super::Step::PoolDone`]), so records are applied in any order.
//! A thread is busy until the sink acknowledges its record. The threads are
//! the application's: a rebalance that revokes a partition does not stop
//! them, and a crash loses the queue and every record not applied.
use super::{Consumer, ConsumerState, Out, Phase, Queued, To};
use crate::model::msg::{Corr, Msg};
use crate::scenario::{Offset, Partition};
use serde::Serialize;

/// A record a worker thread took from the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Taken {
    pub partition: Partition,
    pub offset: Offset,
    /// Its Output is on its way to the sink (the thread finished processing it).
    pub applying: bool,
    /// The correlation id of its Output, once applying.
    pub corr: Corr,
}

impl Consumer {
    /// The poll loop hands records `from .. to` of partition slot `slot` to
    /// the worker threads' queue and polls on.
    pub(super) fn enqueue(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        to: Offset,
        out: &mut Out,
    ) {
        let partition = state.owned[slot as usize].partition;
        match state.worker.last_mut() {
            Some(w) if w.partition == partition && w.to == from => w.to = to,
            _ => state.worker.push(Queued { partition, next: from, to }),
        }
        self.take_work(state, out);
        if state.owned.iter().all(|o| o.position >= Some(self.log_end())) {
            // Everything is fetched: the loop closes (commits) once the threads are done.
            state.phase = Phase::Done;
        } else {
            self.poll(state, slot as usize + 1, out);
        }
    }

    /// Idle threads take the next queued records.
    fn take_work(&self, state: &mut ConsumerState, out: &mut Out) {
        let threads = usize::from(self.scenario.workers);
        while state.pool.len() < threads
            && let Some(w) = state.worker.first_mut()
        {
            let (partition, offset) = (w.partition, w.next);
            w.next += 1;
            if w.next == w.to {
                state.worker.remove(0);
            }
            // One thread applies its record at once: no other thread can overtake it.
            let applying = threads == 1;
            state.pool.push(Taken { partition, offset, applying: false, corr: 0 });
            if applying {
                let last = state.pool.len() - 1;
                self.apply_taken(state, last, out);
            }
        }
    }

    /// Thread `i`'s record: its side effect goes to the sink.
    fn apply_taken(&self, state: &mut ConsumerState, i: usize, out: &mut Out) {
        let corr = self.next_corr(state);
        let t = &mut state.pool[i];
        (t.applying, t.corr) = (true, corr);
        let (incarnation, partition, offset) = (state.incarnation, t.partition, t.offset);
        out.push((To::Sink, Msg::Output { incarnation, corr, partition, offset }));
    }

    /// A thread finished processing its record: its side effect goes to the sink.
    pub(super) fn on_pool_done(
        &self,
        state: &mut ConsumerState,
        partition: Partition,
        offset: Offset,
        out: &mut Out,
    ) {
        let Some(i) =
            state.pool.iter().position(|t| (t.partition, t.offset) == (partition, offset) && !t.applying)
        else {
            return;
        };
        self.apply_taken(state, i, out);
    }

    /// The records the threads are processing now (each may finish next).
    pub(super) fn pool_running<'s>(
        &self,
        state: &'s ConsumerState,
    ) -> impl Iterator<Item = (Partition, Offset)> + 's {
        let several = self.scenario.workers > 1;
        state.pool.iter().filter(move |t| several && !t.applying).map(|t| (t.partition, t.offset))
    }

    /// The sink applied a thread's record: the thread takes the next queued
    /// one, or, with nothing queued or taken and everything fetched, the loop closes.
    pub(super) fn on_pool_record_applied(
        &self,
        state: &mut ConsumerState,
        partition: Partition,
        offset: Offset,
        out: &mut Out,
    ) {
        state.pool.retain(|t| (t.partition, t.offset, t.applying) != (partition, offset, true));
        self.take_work(state, out);
        if state.pool.is_empty() && state.phase == Phase::Done {
            self.poll(state, 0, out);
        }
    }
}

/// Whether a worker thread applies `offset` of `partition` now (its Output is on its way).
pub(super) fn pool_applies(state: &ConsumerState, partition: Partition, offset: Offset) -> bool {
    state.pool.iter().any(|t| (t.partition, t.offset, t.applying) == (partition, offset, true))
}

/// Whether the threads hold `offset` of `partition`, queued or taken.
pub(super) fn pool_holds(state: &ConsumerState, partition: Partition, offset: Offset) -> bool {
    state.pool.iter().any(|t| (t.partition, t.offset) == (partition, offset))
        || state.worker.iter().any(|w| w.partition == partition && (w.next..w.to).contains(&offset))
}
