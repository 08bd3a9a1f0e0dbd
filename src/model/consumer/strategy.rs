//! The delivery strategies: what a consumer does with a batch `from .. to`
//! it received, and when it commits (the table in the module's parent).
use super::{Consumer, ConsumerState, Out, Phase};
use crate::client::commit_offset::{self, CommitTime};
use crate::model::msg::Msg;
use crate::scenario::{AutoProcessing, CommitMode, Offset, Strategy};

impl Consumer {
    /// A batch `from .. to` of partition slot `slot` arrived.
    pub(super) fn on_records(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        to: Offset,
        out: &mut Out,
    ) {
        state.owned[slot as usize].position = Some(to);
        match self.scenario.strategy {
            Strategy::AtLeastOnce if self.scenario.commit.processing == AutoProcessing::Worker => {
                self.enqueue(state, slot, from, to, out)
            }
            Strategy::AtLeastOnce if self.scenario.workers > 1 => {
                let (running, done, committing, outputs) = (0, 0, None, self.next_corr(state));
                state.phase =
                    Phase::Working { slot, from, to, next: from, running, done, committing, outputs };
                self.dispatch(state);
            }
            Strategy::AtLeastOnce => self.process(state, slot, from, from, to, out),
            Strategy::AtMostOnce => self.commit(state, slot, from, to, out),
            Strategy::ExactlyOnce => {
                state.phase = Phase::Committing { slot, from, to };
                self.send_request(state, out);
            }
        }
    }

    /// The sink acknowledged record `next` of the batch `from .. to` the
    /// poll loop processes: the next record, or the batch's commit.
    pub(super) fn on_processed(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        next: Offset,
        to: Offset,
        out: &mut Out,
    ) {
        let at_least_once = self.scenario.strategy == Strategy::AtLeastOnce;
        if at_least_once && commit_offset::time(self.scenario.commit_offset) == CommitTime::EachRecord {
            // commitSync() inside the record loop: the consumer's
            // position is the batch's end, past records not yet processed.
            state.batches_since_commit += u8::from(next + 1 == to);
            self.send_commit(
                state,
                slot as usize,
                commit_offset::named(self.scenario.commit_offset, to),
                out,
            );
            state.phase = Phase::Committing { slot, from: next + 1, to };
        } else if next + 1 < to {
            self.process(state, slot, from, next + 1, to, out);
        } else if at_least_once && self.scenario.commit.mode != CommitMode::Sync {
            // commitAsync() and poll on (the callback learns the
            // outcome later); auto-commit: the next poll commits.
            if self.scenario.commit.mode == CommitMode::Async {
                self.commit_async(state, slot, to, out);
            }
            self.poll(state, slot as usize + 1, out);
        } else if at_least_once {
            state.batches_since_commit += 1;
            if self.scenario.commit_every == 1 {
                let offset = commit_offset::named(self.scenario.commit_offset, to);
                self.send_commit(state, slot as usize, offset, out);
                state.phase = Phase::Committing { slot, from: to, to };
            } else {
                self.poll(state, slot as usize + 1, out);
            }
        } else {
            self.poll(state, slot as usize + 1, out);
        }
    }

    /// A synchronous commit (or transaction) is acknowledged: by the
    /// committer of parallel workers, of a batch (at-most-once then
    /// processes it), or of a partition being flushed.
    pub(super) fn on_commit_response(
        &self,
        state: &mut ConsumerState,
        msg: &Msg,
        offset: Offset,
        out: &mut Out,
    ) {
        let offset_commit = matches!(msg, Msg::OffsetCommitResponse { .. });
        match state.phase {
            Phase::Working { slot, committing: Some(to), .. } if offset_commit => {
                self.on_worker_commit(state, slot, to, out)
            }
            Phase::Committing { slot, from, to } if self.answers(state, msg) => {
                state.owned[slot as usize].committed = offset;
                if self.scenario.strategy != Strategy::ExactlyOnce && from < to {
                    self.process(state, slot, from, from, to, out);
                } else {
                    state.batches_since_commit = 0;
                    self.poll(state, slot as usize + 1, out);
                }
            }
            Phase::Flushing { slot, to } if offset_commit && self.answers(state, msg) => {
                state.owned[slot as usize].committed = to;
                self.poll(state, 0, out);
            }
            _ => {}
        }
    }

    pub(super) fn process(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        next: Offset,
        to: Offset,
        out: &mut Out,
    ) {
        state.phase = Phase::Processing { slot, from, next, to };
        self.send_request(state, out);
    }

    pub(super) fn commit(
        &self,
        state: &mut ConsumerState,
        slot: u8,
        from: Offset,
        to: Offset,
        out: &mut Out,
    ) {
        self.send_commit(state, slot as usize, to, out);
        state.phase = Phase::Committing { slot, from, to };
    }
}
