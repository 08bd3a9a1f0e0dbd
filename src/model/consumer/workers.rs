//! Parallel workers (`workers` > 1, at-least-once, synchronous commits):
//! the poll loop hands a batch to them, waits for it, and commits what the
//! commit policy decides (`commit_policy`: contiguous or highest completed).
//! The worker threads of an auto-committing consumer are `pool.rs`'s.
use super::{Consumer, ConsumerState, Out, Phase, Rejoin, To};
use crate::model::msg::Msg;
use crate::scenario::{CommitPolicy, Offset};
use crate::tracker::OffsetTracker;

impl Consumer {
    /// A worker finished processing `offset`: it applies the record's side
    /// effect (its output goes to the sink). Which running worker finishes
    /// first is the model checker's choice.
    pub fn on_worker_done(&self, state: &mut ConsumerState, offset: Offset, out: &mut Out) {
        let Phase::Working { slot, from, running, outputs, .. } = &mut state.phase else { return };
        if *running & bit(*from, offset) == 0 {
            return;
        }
        *running &= !bit(*from, offset);
        let partition = state.owned[*slot as usize].partition;
        let (incarnation, corr) = (state.incarnation, *outputs);
        out.push((To::Sink, Msg::Output { incarnation, corr, partition, offset }));
    }

    /// The records its workers are processing now (each may finish next).
    pub fn running(&self, state: &ConsumerState) -> Vec<Offset> {
        match state.phase {
            Phase::Working { from, to, running, .. } => {
                (from..to).filter(|&o| running & bit(from, o) != 0).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Hands records to idle workers.
    pub(super) fn dispatch(&self, state: &mut ConsumerState) {
        if let Phase::Working { from, to, next, running, .. } = &mut state.phase {
            while *next < *to && running.count_ones() < u32::from(self.scenario.workers) {
                *running |= bit(*from, *next);
                *next += 1;
            }
        }
    }

    /// The committer: commits what the policy says is safe once the last
    /// commit is acknowledged, and polls again when the whole batch is
    /// processed and committed.
    ///
    /// A consumer that learned it left the group (evicted, or its commit
    /// rejected) commits nothing more: the Java client fails such a commit
    /// at once (CommitFailedException, no generation). Its workers still
    /// finish the batch they were handed; then the loop polls, where the
    /// partitions are lost and it rejoins.
    pub(super) fn work_on(&self, state: &mut ConsumerState, out: &mut Out) {
        let Phase::Working { slot, from, to, next, done, committing, .. } = state.phase else { return };
        if committing.is_some() {
            return;
        }
        let finished = done.count_ones() == u32::from(to - from);
        if state.rejoin == Rejoin::Lost {
            if finished {
                self.poll(state, slot as usize + 1, out);
            }
            return;
        }
        let committed = state.owned[slot as usize].committed;
        let safe = match self.scenario.commit_policy {
            CommitPolicy::Contiguous => contiguous_safe_offset(from, next, done),
            CommitPolicy::HighestCompleted => {
                (from..to).rev().find(|&o| done & bit(from, o) != 0).map_or(from, |o| o + 1)
            }
        };
        if safe > committed {
            self.send_commit(state, slot as usize, safe, out);
            if let Phase::Working { committing, .. } = &mut state.phase {
                *committing = Some(safe);
            }
        } else if finished && committed >= to {
            self.poll(state, slot as usize + 1, out);
        }
    }

    /// A worker's record is processed (the sink acknowledged it): more
    /// records go to idle workers, and the committer may commit.
    pub(super) fn on_worker_processed(&self, state: &mut ConsumerState, offset: Offset, out: &mut Out) {
        if let Phase::Working { from, done, .. } = &mut state.phase {
            *done |= bit(*from, offset);
        }
        self.dispatch(state);
        self.work_on(state, out);
    }

    /// The committer's commit of `to` is acknowledged.
    pub(super) fn on_worker_commit(&self, state: &mut ConsumerState, slot: u8, to: Offset, out: &mut Out) {
        state.owned[slot as usize].committed = to;
        if let Phase::Working { committing, .. } = &mut state.phase {
            *committing = None;
        }
        self.work_on(state, out);
    }
}

/// Record `offset`'s bit in a batch starting at `from`.
pub(super) fn bit(from: Offset, offset: Offset) -> u16 {
    1 << (offset - from)
}

/// The contiguous policy, answered by the shipped [`OffsetTracker`] itself:
/// records `from .. next` dispatched, those in `done` completed.
pub(super) fn contiguous_safe_offset(from: Offset, next: Offset, done: u16) -> Offset {
    let safe = OffsetTracker::starting_at(&[u64::from(from)], 16).and_then(|tracker| {
        for o in from..next {
            tracker.dispatch(0, u64::from(o))?;
        }
        for o in (from..next).filter(|&o| done & bit(from, o) != 0) {
            tracker.complete(0, u64::from(o))?;
        }
        tracker.safe_offset(0)
    });
    // The batch fits the window (validated) and is dispatched in order, so
    // the tracker cannot refuse it; if it did, committing nothing new is safe.
    safe.map_or(from, |s| s as Offset)
}
