//! The consumer's side of the group protocol (`subscribe()`): rebalance
//! notices and evictions, acted on at the next poll; the assignment a
//! JoinGroup returns; a commit rejected because the consumer is no longer
//! in the current generation; and the partitions given up or lost.
use super::{Consumer, ConsumerState, Out, Owned, Phase, Rejoin, owned};
use crate::model::event::{Event, Revocation};
use crate::model::msg::{Generation, MemberId, Msg};
use crate::scenario::{Offset, Partition};

impl Consumer {
    /// A rebalance started, or the member was evicted: acted on at the next
    /// poll (at once by a consumer waiting for nothing). A JoinGroup on its
    /// way answers any notice sent before it arrived; an eviction shows in
    /// its answer's new member id.
    pub(super) fn on_group_notice(&self, state: &mut ConsumerState, msg: &Msg, out: &mut Out) {
        if state.phase == Phase::Joining {
            return;
        }
        if matches!(msg, Msg::Evicted { .. }) {
            state.rejoin = Rejoin::Lost;
        } else if state.rejoin == Rejoin::No {
            state.rejoin = Rejoin::Rebalance;
        }
        self.poll_if_waiting(state, out);
    }

    /// The JoinGroup's answer: the consumer's member id, generation and
    /// partitions. Those it owned and is not assigned are revoked at the
    /// next poll.
    pub(super) fn on_assignment(
        &self,
        state: &mut ConsumerState,
        member: MemberId,
        generation: Generation,
        assignment: &[Partition],
        out: &mut Out,
    ) {
        // A new member id means the old one was gone (UNKNOWN_MEMBER_ID):
        // what it owned is lost (`onPartitionsLost`), positions and all.
        if state.member.is_some_and(|old| old != member) {
            for o in std::mem::take(&mut state.owned) {
                self.give_up(o, Revocation::Lost, out);
            }
            self.forget_unassigned_store(state);
        }
        state.member = Some(member);
        state.generation = generation;
        state.last_assignment.clear();
        for o in state.owned.iter_mut() {
            o.revoking = !assignment.contains(&o.partition);
        }
        for &p in assignment {
            if !state.owned.iter().any(|o| o.partition == p) {
                state.owned.push(owned(p));
            }
        }
        self.poll(state, 0, out);
    }

    /// The consumer no longer owns `o`: revoked at a poll, or lost.
    pub(super) fn give_up(&self, o: Owned, how: Revocation, out: &mut Out) {
        let (consumer, partition, position) = (self.number, o.partition, o.position);
        out.emit(|| Event::Revoke { consumer, partition, position, how });
    }

    /// CommitFailedException: the commit of `offset` for `partition` was
    /// sent by a member the coordinator no longer has in its current
    /// generation (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID). The Java client
    /// then resets its generation and rejoins at the next poll, its
    /// partitions lost (`ConsumerCoordinator`'s OffsetCommitResponseHandler).
    ///
    /// - The poll loop's synchronous commit (or transaction): an at-most-once
    ///   batch is dropped unprocessed; a transaction was aborted with its outputs.
    /// - A pending `commitAsync` or auto-commit: its callback gets the
    ///   exception, which is not retriable, so it is not retried. It tells the
    ///   consumer it left the group only if it was sent in the generation the
    ///   consumer still believes it has (a commit sent before a rebalance the
    ///   consumer has since joined says nothing about its new generation).
    /// - The committer of parallel workers: the workers go on with the batch
    ///   they were handed (their threads are not interrupted), nothing more
    ///   is committed, and the loop polls once they are done
    ///   ([`Consumer::work_on`]).
    pub(super) fn on_commit_rejected(
        &self,
        state: &mut ConsumerState,
        partition: Partition,
        offset: Offset,
        out: &mut Out,
    ) {
        let pending =
            state.pending_commits.iter().position(|c| (c.partition, c.offset) == (partition, offset));
        if let Some(i) = pending {
            let c = state.pending_commits.remove(i);
            if c.generation == state.generation && state.member.is_some() {
                state.rejoin = Rejoin::Lost;
                self.poll_if_waiting(state, out);
            }
            return;
        }
        match &mut state.phase {
            Phase::Committing { .. } | Phase::Flushing { .. } => {
                state.rejoin = Rejoin::Lost;
                self.poll(state, 0, out);
            }
            Phase::Working { committing, .. } if *committing == Some(offset) => {
                *committing = None;
                state.rejoin = Rejoin::Lost;
                self.work_on(state, out);
            }
            _ => {}
        }
    }
}
