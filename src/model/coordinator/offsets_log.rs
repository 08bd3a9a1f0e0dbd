//! `__consumer_offsets` as the coordinator holds it: an append-only log.
//! Every accepted commit is a record keyed by (group, topic, partition), and
//! the committed offset is the latest record for a key (what compaction
//! would keep). Keeping the whole log, not just the latest values, is what
//! replication and truncation act on: a replica holds a prefix of it, and
//! the record at an index names one commit (`committed-monotonic` judges
//! what clients observed instead, `src/model/history.rs`, since a failover
//! truncates this log). The scenario has one group and one topic, so the
//! key is the partition. The log is durable: it is saved to the
//! coordinator's storage on every append and reloaded on start.
//!
//! The log is the leader's copy of a replicated partition
//! (`src/model/replication.rs`). Whether an acknowledged commit survived a
//! failover is judged from where its record was in the log ([`Acked`]),
//! which the state's history keeps once a client received the
//! acknowledgement (`src/model/history.rs`): no part of Kafka's state.

use crate::model::group::GroupSnapshot;
use crate::model::replication::{Replica, Replication};
use crate::scenario::{Offset, Partition};
use serde::Serialize;
use std::hash::{Hash, Hasher};

/// The offset of a tombstone: the partition's committed offset expired.
/// Never a record's offset (logs end at 200 at most).
pub const TOMBSTONE: Offset = Offset::MAX;

/// One record of `__consumer_offsets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OffsetRecord {
    pub partition: Partition,
    pub offset: Offset,
    /// The leader epoch it was appended in (record batches carry it, KIP-101).
    pub epoch: u8,
}

/// Hashed as its three bytes, and a log as one run of bytes: the log is in
/// every state twice (the coordinator's and its saved topic) and grows with
/// every commit, so a fingerprint spent most of its hashing on it, three
/// hasher rounds per record when hashed field by field. Equal records have
/// equal bytes, so the hash agrees with the derived equality.
impl Hash for OffsetRecord {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.bytes());
    }

    fn hash_slice<H: Hasher>(records: &[Self], state: &mut H) {
        const CHUNK: usize = 64;
        let mut buffer = [0u8; 3 * CHUNK];
        for chunk in records.chunks(CHUNK) {
            for (bytes, record) in buffer.chunks_exact_mut(3).zip(chunk) {
                bytes.copy_from_slice(&record.bytes());
            }
            state.write(&buffer[..3 * chunk.len()]);
        }
    }
}

impl OffsetRecord {
    fn bytes(&self) -> [u8; 3] {
        [self.partition, self.offset, self.epoch]
    }
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

/// An acknowledged commit (OffsetCommitResponse or TxnCommitResponse), and
/// where its record was in the log: its index and the leader epoch it was
/// appended in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Acked {
    pub partition: Partition,
    pub offset: Offset,
    pub index: usize,
    pub epoch: u8,
}

/// A GroupMetadata record of `__consumer_offsets`: the group as it was when
/// a rebalance completed or the group emptied.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct GroupRecord {
    /// The leader epoch it was appended in.
    pub epoch: u8,
    pub group: GroupSnapshot,
}

/// What survives a failover: the offsets partition on its replicas.
///
/// The partition holds two kinds of records: offset commits (`log`) and the
/// group's GroupMetadata records (`groups`, written only in scenarios with
/// coordinator failovers: nothing else reads them, so other searches keep
/// their size). They are kept as two append-only sequences of one log: a
/// replica holds a prefix of each (`replication.leo[r]` offset records,
/// `groups_held[r]` group records). Every replica's copy is the leader's
/// log at some earlier point (a fetch takes everything up to the leader's
/// end, `acks: all` appends to the whole ISR), so the two prefixes of one
/// replica are the leader's two lengths at that point, and comparing
/// replicas by either agrees: truncating each to the elected leader's is
/// exactly truncating the one log. A group record is lost with an unclean
/// election, or with `acks: leader`, exactly as an offset commit is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetsTopic {
    /// The leader's log: the committed offsets the coordinator serves.
    pub log: OffsetsLog,
    pub replication: Replication,
    /// The leader's GroupMetadata records, oldest first.
    pub groups: Vec<GroupRecord>,
    /// Per replica, how many of the leader's group records it holds.
    pub groups_held: Vec<usize>,
    /// The pauses (evictions of live members) spent in the run: the budget's
    /// count, no part of Kafka's state, kept here so a failover does not reset it.
    pub pauses_spent: u8,
    /// How many member ids were handed out in the run: no part of the log
    /// either, it stands for the uniqueness of Kafka's member ids (UUIDs)
    /// across coordinators.
    pub members_issued: crate::model::msg::MemberId,
}

impl Default for OffsetsTopic {
    /// One replica, the leader, holding nothing.
    fn default() -> Self {
        OffsetsTopic::new(1)
    }
}

impl OffsetsTopic {
    pub fn new(replicas: u8) -> Self {
        OffsetsTopic {
            replication: Replication::new(replicas),
            log: OffsetsLog::default(),
            groups: Vec::new(),
            groups_held: vec![0; replicas as usize],
            pauses_spent: 0,
            members_issued: 0,
        }
    }

    /// The latest group record the leader holds.
    pub fn group(&self) -> Option<&GroupSnapshot> {
        self.groups.last().map(|r| &r.group)
    }

    /// The leader appends a GroupMetadata record, with the offsets' `acks`
    /// (Kafka's `storeGroup` appends with `offsets.commit.required.acks`).
    pub(super) fn store_group(&mut self, acks: crate::scenario::Acks, group: GroupSnapshot) {
        self.groups.push(GroupRecord { epoch: self.replication.epoch, group });
        let (len, leader) = (self.groups.len(), self.replication.leader as usize);
        self.groups_held[leader] = len;
        if acks == crate::scenario::Acks::All {
            for r in 0..self.replication.replicas() {
                if self.replication.in_sync(r) {
                    self.groups_held[r as usize] = len;
                }
            }
        }
    }

    /// In-sync followers that lack some of the leader's group records.
    pub(super) fn lagging_groups(&self) -> impl Iterator<Item = Replica> + '_ {
        let (r, end) = (&self.replication, self.groups_held[self.replication.leader as usize]);
        (0..r.replicas())
            .filter(move |&i| i != r.leader && r.in_sync(i) && self.groups_held[i as usize] < end)
    }

    /// Follower `r` fetches up to the leader's end: offset and group records.
    pub(super) fn replicate(&mut self, r: Replica) {
        self.replication.replicate(r);
        self.groups_held[r as usize] = self.groups_held[self.replication.leader as usize];
    }

    /// `r` becomes the leader: the log, offsets and group records, is cut to
    /// its copy on every replica ([`Replication::elect`]).
    pub(super) fn elect(&mut self, r: Replica) {
        let kept = self.replication.elect(r);
        self.log.records.truncate(kept);
        let kept = self.groups_held[r as usize];
        self.groups.truncate(kept);
        for held in &mut self.groups_held {
            *held = (*held).min(kept);
        }
    }

    /// Consumer numbers in the group records, renamed (symmetry reduction:
    /// `renumber[old]` is the new number).
    pub fn renumber_consumers(&mut self, renumber: &[usize]) {
        for m in self.groups.iter_mut().flat_map(|r| r.group.members.iter_mut()) {
            m.consumer = renumber[m.consumer as usize] as u8;
        }
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
}
