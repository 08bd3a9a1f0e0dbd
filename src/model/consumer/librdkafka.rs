//! What a librdkafka consumer (`"client": "librdkafka"`) does differently
//! from the Java `KafkaConsumer` with `enable.auto.commit`: the offsets it
//! commits come from its in-memory offset store, and a background timer,
//! not the next poll, commits them.
//!
//! Read in librdkafka's source (github.com/confluentinc/librdkafka):
//!
//! - the timer, `rd_kafka_cgrp_offset_commit_tmr_cb` (src/rdkafka_cgrp.c),
//!   commits every assigned partition's *stored* offset, but only in the
//!   join state STEADY ("Don't attempt auto commit when rebalancing or
//!   initializing") and not once the assignment is lost;
//! - a partition is committed only if its stored offset is above the
//!   committed one (`rd_kafka_topic_partition_list_set_offsets`,
//!   src/rdkafka_partition.c; INTRODUCTION.md: "Only greater offsets are
//!   committed");
//! - with `enable.auto.offset.store=true` the offset is stored when
//!   `rd_kafka_consumer_poll` hands the record over (CONFIGURATION.md:
//!   "Automatically store offset of last message provided to application"),
//!   so the store is the consumer's position; with `false` the application
//!   calls `rd_kafka_offsets_store()`, which overwrites the stored offset
//!   (lower or not) and fails with `ERR__STATE` for a partition not
//!   assigned (`rd_kafka_offset_store0`, src/rdkafka_offset.h);
//! - a partition leaving the assignment has its stored offset committed
//!   when auto-commit is on, the assignment waiting for that commit, and its
//!   store reset, so no later commit names it (`rd_kafka_assignment_serve_removals`,
//!   src/rdkafka_assignment.c, issue #2782): under the eager protocol every
//!   partition, under the cooperative one only those revoked.
use super::{Consumer, ConsumerState, Out, Phase, Rejoin};
use crate::model::event::Event;
use crate::scenario::{Client, CommitMode, Offset, Partition};

impl Consumer {
    /// A librdkafka consumer: its auto-commit is a background timer.
    pub(super) fn librdkafka(&self) -> bool {
        self.scenario.client == Client::Librdkafka
    }

    /// What an auto-commit (or a flush) commits for the partition in
    /// `slot`: its position, or with `commit.store` after-processing the
    /// offset the application stored (none yet: nothing to commit).
    pub(super) fn commit_point(&self, state: &ConsumerState, slot: usize) -> Option<Offset> {
        let o = &state.owned[slot];
        if !self.scenario.stores_after_processing() {
            return o.position;
        }
        state.stored.iter().find(|&&(p, _)| p == o.partition).map(|&(_, offset)| offset)
    }

    /// Whether the partition in `slot` has more to commit than is committed.
    pub(super) fn uncommitted(&self, state: &ConsumerState, slot: usize) -> bool {
        self.commit_point(state, slot).is_some_and(|p| p > state.owned[slot].committed)
    }

    /// The first slot with more to commit.
    pub(super) fn first_uncommitted(&self, state: &ConsumerState) -> Option<usize> {
        (0..state.owned.len()).find(|&slot| self.uncommitted(state, slot))
    }

    /// `rd_kafka_offsets_store()` of `offset` for `partition` after the
    /// application processed the record before it (`commit.store`
    /// after-processing); a partition no longer assigned is not stored.
    pub(super) fn store_processed(&self, state: &mut ConsumerState, partition: Partition, offset: Offset) {
        if !self.scenario.stores_after_processing() || !state.owned.iter().any(|o| o.partition == partition) {
            return;
        }
        match state.stored.iter_mut().find(|(p, _)| *p == partition) {
            Some(entry) => entry.1 = offset,
            None => state.stored.push((partition, offset)),
        }
    }

    /// The store of a partition that left the assignment is reset.
    pub(super) fn forget_unassigned_store(&self, state: &mut ConsumerState) {
        let owned = &state.owned;
        state.stored.retain(|(p, _)| owned.iter().any(|o| o.partition == *p));
    }

    /// Whether librdkafka's auto-commit timer commits now: the consumer is
    /// in the join state STEADY (not joining, no rebalance, revocation or
    /// loss pending) and has a stored offset above the committed one not
    /// already on its way.
    pub(super) fn timer_commits(&self, state: &ConsumerState) -> bool {
        state.rejoin == Rejoin::No
            && state.phase != Phase::Joining
            && !state.owned.iter().any(|o| o.revoking)
            && self.auto_commit_offsets(state).next().is_some()
    }

    /// librdkafka with enable.auto.commit commits a revoked partition's
    /// stored offset before it leaves the assignment (and the rejoin waits
    /// for it); the Java client's commit before a rejoin is `poll`'s
    /// `onJoinPrepare`.
    pub(super) fn commits_on_revoke(&self) -> bool {
        self.librdkafka() && self.scenario.commit.mode == CommitMode::Auto
    }

    /// The timer fired: the background thread commits the stored offsets at
    /// once, whatever the application's thread is doing.
    pub(super) fn on_commit_timer(&self, state: &mut ConsumerState, out: &mut Out) {
        let consumer = self.number;
        out.emit(|| Event::AutoCommitTimer { consumer });
        self.auto_commit(state, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{
        MANUAL, commit, commit_ack, consumer_with, offsets, output, output_ack, records, run, sending,
        started,
    };
    use super::super::{Phase, Step};
    use crate::scenario::{Client, CommitConfig, CommitMode, OffsetStore, Strategy};

    fn librdkafka(store: OffsetStore) -> super::Consumer {
        let commit = CommitConfig { mode: CommitMode::Auto, store, ..CommitConfig::default() };
        consumer_with(Strategy::AtLeastOnce, 2, |s| (s.client, s.commit) = (Client::Librdkafka, commit))
    }

    #[test]
    fn the_timer_commits_records_handed_over_but_not_processed() {
        let c = librdkafka(OffsetStore::OnPoll);
        let mut s = started(&c, 0);
        run(&c, &mut s, &[offsets(None), records(0, 2)]);
        assert!(c.steps(&s).contains(&crate::model::choice::Choice::Consumer(Step::AutoCommitTimer)));
        let (_, sent) = sending(|o| c.on_step(&mut s, Step::AutoCommitTimer, o));
        assert_eq!(sent, vec![commit(2, MANUAL)], "at once, while offset 0 is being processed");
        assert!(!s.auto_commit_due, "nothing waits for a poll");
    }

    #[test]
    fn stored_after_processing_the_timer_commits_only_what_was_processed() {
        let c = librdkafka(OffsetStore::AfterProcessing);
        let mut s = started(&c, 0);
        let sent = run(&c, &mut s, &[offsets(None), records(0, 2)]);
        assert_eq!(sent.last(), Some(&output(0)));
        assert!(c.steps(&s).is_empty(), "nothing stored yet, so no timer step");
        assert_eq!(run(&c, &mut s, &[output_ack(0)]), vec![output(1)]);
        let (_, sent) = sending(|o| c.on_step(&mut s, Step::AutoCommitTimer, o));
        assert_eq!(sent, vec![commit(1, MANUAL)], "offset 1 is not processed: 1 is stored");
        run(&c, &mut s, &[commit_ack(1), output_ack(1)]);
        assert_eq!(s.phase, Phase::Fetching { slot: 0 }, "the loop polls on from offset 2");
        assert_eq!(s.stored, vec![(0, 2)]);
    }
}
