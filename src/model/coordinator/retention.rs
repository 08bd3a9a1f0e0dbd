//! Offsets expire (`offsets.retention`): an expiry is a step the checker
//! chooses (a Stateright random choice of the partition, offered for every
//! partition that has a committed offset; `KafkaModel::expiry` keeps the
//! ones the retention policy permits in that state, and says why). It
//! appends a tombstone for the partition, so the log stays append-only and
//! the partition has no committed offset until the next commit. Each expiry
//! removes an existing commit, so expiries are bounded by commits and the
//! state space stays finite.

use super::{Coordinator, CoordinatorState, OffsetsLog, TOMBSTONE};
use crate::model::choice::Choice;
use crate::scenario::{Partition, Retention};

impl Coordinator {
    /// The expiries the checker may choose next: every partition whose committed offset was
    /// committed in the run, unless offsets never expire or the leader is
    /// being elected. Whether the retention policy permits it in a state is
    /// `KafkaModel::allows`'s to say.
    pub fn expirable(&self, state: &CoordinatorState) -> Vec<Choice> {
        if self.offsets.retention == Retention::Never || state.electing.is_some() {
            return Vec::new();
        }
        (0..self.rules.partitions)
            .filter(|&p| self.has_expirable_commit(&state.topic.log, p))
            .map(Choice::Expire)
            .collect()
    }

    /// Whether partition p has a committed offset that was committed in the
    /// run: the group's starting offset 0 (the first record of each
    /// partition, [`Coordinator::start`]) stands for where the group was
    /// when the run began, and does not expire.
    pub(super) fn has_expirable_commit(&self, log: &OffsetsLog, p: Partition) -> bool {
        let seeds = if self.offsets.seeded() { self.rules.partitions as usize } else { 0 };
        let latest = log.records.iter().rposition(|r| r.partition == p);
        log.committed(p).is_some() && latest.is_some_and(|i| i >= seeds)
    }

    /// The committed offset of `partition` expires: a tombstone is appended.
    pub(super) fn expire(&self, state: &mut CoordinatorState, partition: Partition) {
        if self.has_expirable_commit(&state.topic.log, partition) {
            state.topic.append(self.topic.acks, partition, TOMBSTONE);
        }
    }
}
