//! The poll loop: one iteration acts on a rebalance, fetches missing
//! committed offsets, fetches the next partition's records (round-robin),
//! or commits what is processed and goes idle. As in the Java client, a
//! rebalance is acted on only here, between batches.
use super::{Consumer, ConsumerState, Out, Owned, Phase, Rejoin};
use crate::model::event::Revocation;
use crate::scenario::{Assignor, CommitMode};

impl Consumer {
    /// A rebalance notice or eviction is acted on at once by a consumer
    /// that is between polls with nothing outstanding.
    pub(super) fn poll_if_waiting(&self, state: &mut ConsumerState, out: &mut Out) {
        if matches!(state.phase, Phase::Idle | Phase::Done) {
            self.poll(state, 0, out);
        }
    }

    /// One iteration of the poll loop, from partition slot `start` on: act
    /// on a rebalance, fetch missing committed offsets, fetch records from
    /// the next partition (round-robin) that has any, or commit what is
    /// processed and go idle.
    pub(super) fn poll(&self, state: &mut ConsumerState, start: usize, out: &mut Out) {
        // Evicted or fenced: `onPartitionsLost`, positions and all.
        if state.rejoin == Rejoin::Lost {
            for o in std::mem::take(&mut state.owned) {
                self.give_up(o, Revocation::Lost, out);
            }
            state.generation = 0;
        }
        // enable.auto.commit under subscribe(): before it rejoins, the Java
        // client commits every consumed position and waits for the response
        // (`ConsumerCoordinator.onJoinPrepare`; asynchronous with a wait since
        // KAFKA-14024). A member that lost its generation cannot commit.
        // librdkafka commits at the revocation below instead.
        if state.rejoin == Rejoin::Rebalance
            && self.scenario.commit.mode == CommitMode::Auto
            && !self.librdkafka()
        {
            let consumed = self.auto_commit_offsets(state).next().map(|(slot, _)| slot);
            if let Some(slot) = consumed {
                return self.flush(state, slot, out);
            }
        }
        if state.auto_commit_due {
            self.auto_commit(state, out);
        }
        // `commitSync()` every `commit_every` batches commits every owned
        // partition's position, before the next poll() handles a rebalance.
        if state.batches_since_commit >= self.scenario.commit_every {
            if let Some(slot) = state.owned.iter().position(Owned::uncommitted) {
                return self.flush(state, slot, out);
            }
            state.batches_since_commit = 0;
        }
        if state.rejoin == Rejoin::Rebalance && self.eager() {
            state.owned.iter_mut().for_each(|o| o.revoking = true);
        }
        if (self.scenario.group.commit_on_revoke || self.commits_on_revoke())
            && let Some(slot) =
                (0..state.owned.len()).find(|&i| state.owned[i].revoking && self.uncommitted(state, i))
        {
            return self.flush(state, slot, out);
        }
        if state.owned.iter().any(|o| o.revoking) {
            let (revoked, kept) = std::mem::take(&mut state.owned).into_iter().partition(|o| o.revoking);
            state.owned = kept;
            // The eager StickyAssignor's subscription userData carries the
            // member's last assignment, though it revokes everything first
            // (`StickyAssignor.subscriptionUserData`): the group's assignment
            // stays sticky. Other eager assignors send nothing.
            if self.scenario.group.assignor == Assignor::Sticky {
                state.last_assignment = revoked.iter().map(|o: &Owned| o.partition).collect();
            }
            for o in revoked {
                let how = if o.uncommitted() { Revocation::RevokedUncommitted } else { Revocation::Revoked };
                self.give_up(o, how, out);
            }
            state.rejoin = Rejoin::Rebalance;
        }
        if state.rejoin != Rejoin::No {
            self.forget_unassigned_store(state);
            state.rejoin = Rejoin::No;
            state.batches_since_commit = 0;
            // The JoinGroup as a retry would send it again (`Consumer::request`).
            state.phase = Phase::Joining;
            self.send_request(state, out);
            return;
        }
        // on_commit_error: retry-after-rebalance: the rebalance is done;
        // commit the offset again if its partition is still assigned.
        if let Some((partition, to)) = state.retry_commit.take()
            && let Some(slot) = state.owned.iter().position(|o| o.partition == partition)
        {
            state.phase = Phase::Flushing { slot: slot as u8, to };
            self.send_request(state, out);
            return;
        }
        if state.owned.iter().any(|o| o.position.is_none()) {
            // OffsetFetch of the partitions with no position yet.
            state.phase = Phase::AwaitingOffsets;
            self.send_request(state, out);
            return;
        }
        let n = state.owned.len();
        let next = (0..n).map(|i| (start + i) % n).find(|&i| state.owned[i].position < Some(self.log_end()));
        if let Some(slot) = next {
            state.phase = Phase::Fetching { slot: slot as u8 };
            self.send_request(state, out);
        } else if let Some(slot) = self.first_uncommitted(state) {
            self.flush(state, slot, out);
        } else {
            state.phase = if n == 0 { Phase::Idle } else { Phase::Done };
        }
    }
}
