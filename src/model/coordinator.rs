//! The group coordinator and its `__consumer_offsets` log.
//!
//! The log is append-only: every accepted commit is a record keyed by
//! (group, topic, partition), and the committed offset is the latest record
//! for a key (what compaction would keep). Keeping the whole log, not just the
//! latest values, is what lets `committed-monotonic` see a commit that moved
//! an offset back. The scenario has one group and one topic, so the key is the
//! partition. The log is durable: it is saved to the coordinator's storage on
//! every append and reloaded on start.

use super::msg::Msg;
use crate::scenario::{Offset, Partition};
use serde::Serialize;

/// One record of `__consumer_offsets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetRecord {
    pub partition: Partition,
    pub offset: Offset,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct OffsetsLog {
    pub records: Vec<OffsetRecord>,
}

impl OffsetsLog {
    /// The committed offset of a partition: its latest record, if any.
    pub fn committed(&self, partition: Partition) -> Option<Offset> {
        self.records.iter().rev().find(|r| r.partition == partition).map(|r| r.offset)
    }

    fn append(&mut self, partition: Partition, offset: Offset) {
        self.records.push(OffsetRecord { partition, offset });
    }

    /// Handles a request; returns the messages to send: (to the requester, to the sink).
    /// The log changes only through OffsetCommit and TxnCommit.
    pub fn handle(&mut self, msg: &Msg) -> (Option<Msg>, Option<Msg>) {
        match msg {
            Msg::OffsetFetch { incarnation, partitions } => {
                let offsets = partitions.iter().map(|&p| (p, self.committed(p))).collect();
                let reply = Msg::OffsetFetchResponse { incarnation: *incarnation, offsets };
                (Some(reply), None)
            }
            &Msg::OffsetCommit { incarnation, partition, offset } => {
                self.append(partition, offset);
                let reply = Msg::OffsetCommitResponse { incarnation, partition, offset };
                (Some(reply), None)
            }
            // The transaction's offset record and its outputs' commit marker
            // are written together: from this step on, the outputs are
            // committed and on their way to read-committed readers (the sink).
            &Msg::TxnCommit { incarnation, partition, from, to } => {
                self.append(partition, to);
                let reply = Msg::TxnCommitResponse { incarnation, partition, offset: to };
                let outputs = Msg::TxnOutputs { partition, from, to };
                (Some(reply), Some(outputs))
            }
            _ => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_is_the_latest_record_per_partition() {
        let mut log = OffsetsLog::default();
        assert_eq!(log.committed(0), None);
        log.handle(&Msg::OffsetCommit { incarnation: 0, partition: 0, offset: 2 });
        log.handle(&Msg::OffsetCommit { incarnation: 0, partition: 1, offset: 5 });
        log.handle(&Msg::OffsetCommit { incarnation: 1, partition: 0, offset: 1 });
        assert_eq!(log.committed(0), Some(1));
        assert_eq!(log.committed(1), Some(5));
        assert_eq!(log.records.len(), 3, "the log is append-only");
    }

    #[test]
    fn offset_fetch_answers_every_partition_asked() {
        let mut log = OffsetsLog::default();
        log.handle(&Msg::OffsetCommit { incarnation: 0, partition: 1, offset: 3 });
        let (reply, _) = log.handle(&Msg::OffsetFetch { incarnation: 2, partitions: vec![0, 1] });
        assert_eq!(
            reply,
            Some(Msg::OffsetFetchResponse { incarnation: 2, offsets: vec![(0, None), (1, Some(3))] })
        );
    }

    #[test]
    fn transaction_commits_offset_and_publishes_outputs_together() {
        let mut log = OffsetsLog::default();
        let (reply, outputs) = log.handle(&Msg::TxnCommit { incarnation: 0, partition: 0, from: 0, to: 2 });
        assert_eq!(log.committed(0), Some(2));
        assert_eq!(reply, Some(Msg::TxnCommitResponse { incarnation: 0, partition: 0, offset: 2 }));
        assert_eq!(outputs, Some(Msg::TxnOutputs { partition: 0, from: 0, to: 2 }));
    }
}
