//! Which offset an at-least-once consumer commits, and when (the scenario's
//! `commit.offset`, [`CommitOffset`]).
//!
//! Kafka's convention: `KafkaConsumer.commitSync(Map<TopicPartition,
//! OffsetAndMetadata>)` names the NEXT offset to read, "the last processed
//! message offset + 1" (its javadoc); a restarted consumer resumes at the
//! committed offset itself. `commitSync()` without arguments commits the
//! consumer's position, the offset after the last record poll() returned,
//! whether or not the application has processed it. The three choices:
//!
//! | `commit.offset` | when | offset named | a restart resumes |
//! |---|---|---|---|
//! | `next` | after the batch is processed | batch end (last + 1) | at the first record not processed: correct |
//! | `last` | after the batch is processed | batch end − 1 (last) | at the last processed record: read again |
//! | `position` | after each record | batch end, the position | past records of the batch not processed: lost |
//!
//! Offsets are generic so that the model's small offsets and the live
//! harness's `i64` offsets go through the same function.

use crate::scenario::CommitOffset;
use std::ops::{Add, Sub};

/// When an at-least-once consumer commits, relative to processing a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitTime {
    /// Once every record of the batch is processed (every `commit_every` batches).
    AfterBatch,
    /// After each record, inside the record loop, while later records of the
    /// batch are not processed yet.
    EachRecord,
}

/// When `choice` commits.
pub fn time(choice: CommitOffset) -> CommitTime {
    match choice {
        CommitOffset::Next | CommitOffset::Last => CommitTime::AfterBatch,
        CommitOffset::Position => CommitTime::EachRecord,
    }
}

/// The offset to commit once `last` is processed, as Kafka wants it: the
/// next offset to read, `last + 1`. What at-most-once commits for a batch
/// before processing it, and what a batch's end is.
pub fn next_to_read<O: Copy + Add<Output = O> + From<u8>>(last: O) -> O {
    last + O::from(1)
}

/// The offset `choice` names in a commit of the batch that ends at
/// `batch_end` (the offset after its last record: the consumer's position
/// once poll() returned it). The batch is never empty, so `batch_end ≥ 1`.
pub fn named<O: Copy + Sub<Output = O> + From<u8>>(choice: CommitOffset, batch_end: O) -> O {
    match choice {
        CommitOffset::Next | CommitOffset::Position => batch_end,
        CommitOffset::Last => batch_end - O::from(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_names_the_offset_after_the_batch_once_it_is_processed() {
        // A batch of offsets 3, 4: its end is 5.
        assert_eq!(next_to_read(4i64), 5);
        assert_eq!(named(CommitOffset::Next, 5i64), 5);
        assert_eq!(time(CommitOffset::Next), CommitTime::AfterBatch);
    }

    #[test]
    fn last_names_the_last_processed_offset_one_low() {
        assert_eq!(named(CommitOffset::Last, 5u8), 4);
        assert_eq!(named(CommitOffset::Last, 1i64), 0);
        assert_eq!(time(CommitOffset::Last), CommitTime::AfterBatch);
    }

    #[test]
    fn position_names_the_batch_end_after_each_record() {
        // Committed after offset 3 is processed, with 4 not yet: a restart skips 4.
        assert_eq!(named(CommitOffset::Position, 5u8), 5);
        assert_eq!(time(CommitOffset::Position), CommitTime::EachRecord);
    }

    #[test]
    fn model_and_live_offsets_name_the_same_commit() {
        for choice in [CommitOffset::Next, CommitOffset::Last, CommitOffset::Position] {
            for end in 1..=200u8 {
                assert_eq!(i64::from(named(choice, end)), named(choice, i64::from(end)), "{choice:?}");
            }
        }
    }
}
