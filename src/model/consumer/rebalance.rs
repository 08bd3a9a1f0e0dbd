//! The consumer's side of the group protocol (`subscribe()`): rebalance
//! notices and evictions, acted on at the next poll; the assignment a
//! JoinGroup returns; a commit rejected because the consumer is no longer
//! in the current generation; and, for traces, the partitions a step took
//! away.
use super::{Consumer, ConsumerState, Out, Phase, Rejoin, owned};
use crate::model::event::{Event, Events, Revocation};
use crate::model::msg::{Generation, MemberId, Msg};
use crate::scenario::{Partition, Reset};

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
            state.owned.clear();
        }
        state.member = Some(member);
        state.generation = generation;
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

    /// CommitFailedException: the consumer is no longer a member of the
    /// current generation. An at-most-once batch is dropped unprocessed; a
    /// transaction was aborted with its outputs.
    pub(super) fn on_commit_rejected(&self, state: &mut ConsumerState, out: &mut Out) {
        if matches!(state.phase, Phase::Committing { .. } | Phase::Flushing { .. }) {
            state.rejoin = Rejoin::Lost;
            self.poll(state, 0, out);
        }
    }

    /// The partitions a step took from the consumer (`before` is its state
    /// before the step), as `revoke` events: given up at a poll, lost with
    /// its member id, or dropped by a reset error (which is no revocation:
    /// its `reset-error` says so).
    pub fn record_revocations(&self, before: &ConsumerState, now: &ConsumerState, ev: &mut Events) {
        if before.incarnation != now.incarnation {
            return;
        }
        let reset_error =
            self.scenario.offsets.reset == Reset::None && before.phase == Phase::AwaitingOffsets;
        for o in &before.owned {
            if (reset_error && o.position.is_none()) || now.owned.iter().any(|n| n.partition == o.partition) {
                continue;
            }
            // Lost: evicted or fenced (`Rejoin::Lost` resets the generation at
            // the poll), or a JoinGroup answered with a new member id.
            let new_member = before.member.is_some() && now.member != before.member;
            let how = if (now.member.is_some() && now.generation == 0) || new_member {
                Revocation::Lost
            } else if o.committed < o.position.unwrap_or(0) {
                Revocation::RevokedUncommitted
            } else {
                Revocation::Revoked
            };
            let (partition, position) = (o.partition, o.position);
            ev.emit(|| Event::Revoke { consumer: self.number, partition, position, how });
        }
    }
}
