//! Commit modes (`commit.mode`): a synchronous commit of a batch or of a
//! partition being given up, `commitAsync` with its callback, and
//! enable.auto.commit's commit of every position at a poll.
use super::{Consumer, ConsumerState, Out, PendingCommit, Phase, Rejoin, To, committer};
use crate::model::event::Event;
use crate::model::msg::{Corr, Msg};
use crate::scenario::{CommitMode, Offset, Partition};

impl Consumer {
    /// Commits a partition's processed offsets outside a batch.
    pub(super) fn flush(&self, state: &mut ConsumerState, slot: usize, out: &mut Out) {
        let to = self.commit_point(state, slot).unwrap_or(0);
        if self.scenario.commit.mode != CommitMode::Sync {
            // commitSync() on close: a newer commit than every async one.
            state.commit_seq = state.commit_seq.wrapping_add(1);
        }
        self.send_commit(state, slot, to, out);
        state.phase = Phase::Flushing { slot: slot as u8, to };
    }

    /// A commitSync the poll loop waits on.
    pub(super) fn send_commit(&self, state: &mut ConsumerState, slot: usize, offset: Offset, out: &mut Out) {
        state.awaiting = self.next_corr(state);
        out.push(offset_commit(state, slot, offset, state.awaiting));
    }

    /// `commitAsync(offset)`, or an auto-commit (never retried): sent and
    /// not awaited; its callback handles the response or the failure.
    ///
    /// A member that knows it left the group (evicted, or an earlier commit
    /// rejected) has no generation to send: the Java client fails the commit
    /// at once with CommitFailedException, without a request.
    pub(super) fn commit_async(&self, state: &mut ConsumerState, slot: u8, offset: Offset, out: &mut Out) {
        if state.rejoin == Rejoin::Lost {
            let (consumer, partition) = (self.number, state.owned[slot as usize].partition);
            out.emit(|| Event::CommitWithoutGeneration { consumer, partition, offset });
            return;
        }
        let retries_left =
            if self.scenario.commit.mode == CommitMode::Async { self.scenario.commit.retries } else { 0 };
        state.commit_seq = state.commit_seq.wrapping_add(1);
        let partition = state.owned[slot as usize].partition;
        let (seq, generation, corr) = (state.commit_seq, state.generation, self.next_corr(state));
        state.pending_commits.push(PendingCommit { partition, offset, retries_left, seq, generation, corr });
        out.push(offset_commit(state, slot as usize, offset, corr));
    }

    /// enable.auto.commit: the poll (Java) commits the position of every
    /// owned partition (the end of what earlier polls returned), or the
    /// timer (librdkafka) every stored offset, asynchronously.
    pub(super) fn auto_commit(&self, state: &mut ConsumerState, out: &mut Out) {
        state.auto_commit_due = false;
        let due: Vec<(usize, Offset)> = self.auto_commit_offsets(state).collect();
        for (slot, position) in due {
            self.commit_async(state, slot as u8, position, out);
        }
    }

    /// The response to an async or auto commit reaches its callback: the
    /// commit is no longer pending, and the partition's committed offset
    /// (as the consumer knows it) moves up.
    pub(super) fn on_async_commit_response(
        &self,
        state: &mut ConsumerState,
        partition: Partition,
        offset: Offset,
    ) {
        state.pending_commits.retain(|c| (c.partition, c.offset) != (partition, offset));
        if let Some(o) = state.owned.iter_mut().find(|o| o.partition == partition) {
            o.committed = o.committed.max(offset);
        }
    }
}

impl Consumer {
    /// The owned partitions (slots) whose commit point (the position, or
    /// librdkafka's stored offset, `librdkafka.rs`) is past the committed
    /// offset the consumer knows and not already on its way as a commit:
    /// what an auto-commit commits. The interval elapsing is offered only
    /// while there is some, so it never loops back to the same state.
    pub(super) fn auto_commit_offsets<'s>(
        &'s self,
        state: &'s ConsumerState,
    ) -> impl Iterator<Item = (usize, Offset)> + 's {
        state.owned.iter().enumerate().filter_map(move |(slot, o)| {
            let issued =
                |p| state.pending_commits.iter().any(|c| c.partition == o.partition && c.offset == p);
            self.commit_point(state, slot).filter(|&p| p > o.committed && !issued(p)).map(|p| (slot, p))
        })
    }
}

/// The OffsetCommit of `offset` for the partition in `slot`, as the consumer
/// sends it now.
pub(super) fn offset_commit(state: &ConsumerState, slot: usize, offset: Offset, corr: Corr) -> (To, Msg) {
    let (incarnation, partition, by) = (state.incarnation, state.owned[slot].partition, committer(state));
    (To::Coordinator, Msg::OffsetCommit { incarnation, corr, partition, offset, by })
}
