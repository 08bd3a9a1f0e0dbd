//! `__consumer_offsets` as the coordinator holds it: an append-only log.
//! Every accepted commit is a record keyed by (group, topic, partition), and
//! the committed offset is the latest record for a key (what compaction
//! would keep). Keeping the whole log, not just the latest values, is what
//! lets `committed-monotonic` see a commit that moved an offset back. The
//! scenario has one group and one topic, so the key is the partition. The
//! log is durable: it is saved to the coordinator's storage on every append
//! and reloaded on start.
//!
//! The log is the leader's copy of a replicated partition
//! (`src/model/replication.rs`). To tell whether an acknowledged commit
//! survived a failover, the topic keeps a history record (`acked`, durable
//! with the log but no part of Kafka's state): per partition, the last
//! commit it acknowledged and where in the log it was.

use crate::model::replication::{Replica, Replication};
use crate::scenario::{Offset, Partition};
use serde::Serialize;

/// The offset of a tombstone: the partition's committed offset expired.
/// Never a record's offset (logs end at 200 at most).
pub const TOMBSTONE: Offset = Offset::MAX;

/// One record of `__consumer_offsets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetRecord {
    pub partition: Partition,
    pub offset: Offset,
    /// The leader epoch it was appended in (record batches carry it, KIP-101).
    pub epoch: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetsLog {
    pub records: Vec<OffsetRecord>,
}

impl OffsetsLog {
    /// The committed offset of a partition: its latest record, if any and
    /// not a tombstone.
    pub fn committed(&self, partition: Partition) -> Option<Offset> {
        self.records
            .iter()
            .rev()
            .find(|r| r.partition == partition)
            .map(|r| r.offset)
            .filter(|&o| o != TOMBSTONE)
    }

    /// Whether the record at `index` is the one appended in `epoch` (not
    /// truncated away, nor replaced by a later leader's record).
    pub fn holds(&self, index: usize, epoch: u8) -> bool {
        self.records.get(index).is_some_and(|r| r.epoch == epoch)
    }
}

/// A commit the coordinator acknowledged (OffsetCommitResponse or
/// TxnCommitResponse sent), and where its record was in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Acked {
    pub partition: Partition,
    pub offset: Offset,
    pub index: usize,
    pub epoch: u8,
}

/// What survives a failover: the offsets partition on its replicas, and the
/// history of acknowledged commits the `acked-commit-durable` property reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetsTopic {
    /// The leader's log: the committed offsets the coordinator serves.
    pub log: OffsetsLog,
    pub replication: Replication,
    /// Per partition (in partition order), the last commit acknowledged.
    pub acked: Vec<Acked>,
}

impl OffsetsTopic {
    pub fn new(replicas: u8) -> Self {
        OffsetsTopic { replication: Replication::new(replicas), ..OffsetsTopic::default() }
    }

    /// Acknowledged commits whose record is no longer in the leader's log.
    pub fn lost_acks(&self) -> impl Iterator<Item = &Acked> {
        self.acked.iter().filter(|a| !self.log.holds(a.index, a.epoch))
    }

    /// The leader appends a commit: to the ISR too with `acks: all`.
    pub(super) fn append(&mut self, acks: crate::scenario::Acks, partition: Partition, offset: Offset) {
        let epoch = self.replication.epoch;
        self.log.records.push(OffsetRecord { partition, offset, epoch });
        self.replication.appended(acks, self.log.records.len());
    }

    /// The replicas in the ISR now.
    pub fn in_sync_replicas(&self) -> Vec<Replica> {
        let r = &self.replication;
        (0..r.replicas()).filter(|&i| r.in_sync(i)).collect()
    }

    /// The commit just appended is acknowledged.
    pub(super) fn acknowledge(&mut self, partition: Partition, offset: Offset) {
        let index = self.log.records.len() - 1;
        let acked = Acked { partition, offset, index, epoch: self.replication.epoch };
        match self.acked.binary_search_by_key(&partition, |a| a.partition) {
            Ok(i) => self.acked[i] = acked,
            Err(i) => self.acked.insert(i, acked),
        }
    }
}
