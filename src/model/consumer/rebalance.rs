//! The consumer's side of the group protocol (`subscribe()`): rebalance
//! notices and evictions, acted on at the next poll; the assignment a
//! JoinGroup returns; a commit rejected because the consumer is no longer
//! in the current generation; and the partitions given up or lost.
use super::{Consumer, ConsumerState, Out, Owned, Phase, Rejoin, owned};
use crate::model::event::{Event, Revocation};
use crate::model::msg::{CommitError, Generation, MemberId, Msg};
use crate::scenario::{Offset, OnCommitError, Partition};

impl Consumer {
    /// A rebalance started, or the member was evicted: acted on at the next
    /// poll (at once by a consumer waiting for nothing). A JoinGroup on its
    /// way answers any notice sent before it arrived; an eviction shows in
    /// its answer's new member id. While its SyncGroup is on its way the
    /// notice is kept for the poll after the assignment: the Java client
    /// ignores a heartbeat's REBALANCE_IN_PROGRESS unless it is STABLE
    /// (`AbstractCoordinator.HeartbeatResponseHandler`), and its next
    /// heartbeat, once STABLE, gets the error again; the model sends one
    /// notice. A SyncGroup answered with an error rejoins at once and that
    /// JoinGroup answers the notice ([`Consumer::rejoin_now`]).
    pub(super) fn on_group_notice(&self, state: &mut ConsumerState, msg: &Msg, out: &mut Out) {
        // Removed while the coordinator held its JoinGroup or SyncGroup,
        // which nothing else will answer (`Msg::Evicted`): the client joins
        // again at once, its partitions lost. Waiting left it stuck for good,
        // an `all-processed` violation no client shows.
        if let Msg::Evicted { held: Some(corr), .. } = *msg
            && matches!(state.phase, Phase::Joining | Phase::Syncing)
            && corr == state.awaiting
        {
            state.rejoin = Rejoin::Lost;
            self.poll(state, 0, out);
            return;
        }
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

    /// The JoinGroup's answer: the consumer's member id and generation,
    /// taken at once as the Java client does (`JoinGroupResponseHandler`
    /// sets the generation, the member state is COMPLETING_REBALANCE); then
    /// the SyncGroup.
    pub(super) fn on_joined(
        &self,
        state: &mut ConsumerState,
        member: MemberId,
        generation: Generation,
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
        state.phase = Phase::Syncing;
        self.send_request(state, out);
    }

    /// The SyncGroup failed (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
    /// UNKNOWN_MEMBER_ID): the client rejoins at once, with the JoinGroup
    /// `Consumer::request` builds (a removed member id is answered with a
    /// new one, and [`Consumer::on_joined`] loses the partitions).
    pub(super) fn rejoin_now(&self, state: &mut ConsumerState, out: &mut Out) {
        state.rejoin = Rejoin::No;
        state.phase = Phase::Joining;
        self.send_request(state, out);
    }

    /// The SyncGroup's answer: the member's partitions. Those it owned and
    /// is not assigned are revoked at the next poll.
    pub(super) fn on_assignment(&self, state: &mut ConsumerState, assignment: &[Partition], out: &mut Out) {
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
    /// - The poll loop's synchronous commit (or transaction): the exception
    ///   reaches the application, which does what `on_commit_error` says
    ///   (skip: poll on; retry-after-rebalance: commit it again after the
    ///   rebalance if the partition is still its own; crash: the process
    ///   exits and is started again). An at-most-once batch is dropped
    ///   unprocessed; a transaction was aborted with its outputs.
    ///   REBALANCE_IN_PROGRESS (RebalanceInProgressException) makes the
    ///   client rejoin with its generation kept, its partitions revoked or
    ///   kept by the assignor rather than lost. The Java client never sends
    ///   a commit between its JoinGroup and the SyncGroup's answer (it fails
    ///   such a commit itself, `generationIfStable`), and this model's poll
    ///   loop waits for both, so the coordinator's REBALANCE_IN_PROGRESS is
    ///   answered only to requests no modelled client sends.
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
        error: CommitError,
        out: &mut Out,
    ) {
        // REBALANCE_IN_PROGRESS: `requestRejoin`, the generation kept
        // (RebalanceInProgressException); the partitions are revoked or kept
        // at the rejoin as the assignor says, not lost.
        let rejoin = match error {
            CommitError::Fenced => Rejoin::Lost,
            CommitError::RebalanceInProgress => Rejoin::Rebalance,
        };
        let pending =
            state.pending_commits.iter().position(|c| (c.partition, c.offset) == (partition, offset));
        if let Some(i) = pending {
            let c = state.pending_commits.remove(i);
            if c.generation == state.generation && state.member.is_some() {
                state.rejoin = state.rejoin.max(rejoin);
                self.poll_if_waiting(state, out);
            }
            return;
        }
        match &mut state.phase {
            Phase::Committing { .. } | Phase::Flushing { .. } => {
                let response = self.scenario.group.on_commit_error;
                let consumer = self.number;
                out.emit(|| Event::CommitErrorHandled { consumer, partition, offset, error, response });
                match response {
                    OnCommitError::Skip => {}
                    OnCommitError::RetryAfterRebalance => state.retry_commit = Some((partition, offset)),
                    OnCommitError::Crash => {
                        *state = self.start(state.incarnation + 1, out);
                        return;
                    }
                }
                state.rejoin = state.rejoin.max(rejoin);
                self.poll(state, 0, out);
            }
            Phase::Working { committing, .. } if *committing == Some(offset) => {
                *committing = None;
                state.rejoin = state.rejoin.max(rejoin);
                self.work_on(state, out);
            }
            _ => {}
        }
    }
}
