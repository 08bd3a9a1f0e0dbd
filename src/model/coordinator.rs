//! The group coordinator: the `__consumer_offsets` log and the group.
//!
//! The log is append-only: every accepted commit is a record keyed by
//! (group, topic, partition), and the committed offset is the latest record
//! for a key (what compaction would keep). Keeping the whole log, not just the
//! latest values, is what lets `committed-monotonic` see a commit that moved
//! an offset back. The scenario has one group and one topic, so the key is the
//! partition. The log is durable: it is saved to the coordinator's storage on
//! every append and reloaded on start. Membership is in [`super::group`].

use super::group::{Effect, Group, GroupRules, GroupTimer};
use super::msg::Msg;
use crate::scenario::{Offset, Partition};
use serde::Serialize;

/// One record of `__consumer_offsets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetRecord {
    pub partition: Partition,
    pub offset: Offset,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CoordinatorState {
    pub log: OffsetsLog,
    pub group: Group,
}

#[derive(Clone, Debug)]
pub struct Coordinator {
    pub rules: GroupRules,
}

impl Coordinator {
    /// Handles a request from consumer number `from`. The log changes only
    /// through accepted OffsetCommit and TxnCommit.
    pub fn handle(&self, state: &mut CoordinatorState, from: u8, msg: &Msg, out: &mut Vec<Effect>) {
        let reply = |msg| Effect::Send(from, msg);
        match msg {
            Msg::OffsetFetch { incarnation, partitions } => {
                let offsets = partitions.iter().map(|&p| (p, state.log.committed(p))).collect();
                out.push(reply(Msg::OffsetFetchResponse { incarnation: *incarnation, offsets }));
            }
            Msg::JoinGroup { incarnation, member, owned } => {
                state.group.join(&self.rules, from, *incarnation, *member, owned, out);
            }
            &Msg::OffsetCommit { incarnation, partition, offset, by } => {
                if !state.group.accepts(self.rules.fencing, by) {
                    out.push(reply(Msg::CommitRejected { incarnation, partition, offset }));
                    return;
                }
                state.log.append(partition, offset);
                out.push(reply(Msg::OffsetCommitResponse { incarnation, partition, offset }));
            }
            // The transaction's offset record and its outputs' commit marker
            // are written together: from this step on, the outputs are
            // committed and on their way to read-committed readers (the sink).
            // A fenced transaction (KIP-447) is aborted with its outputs.
            &Msg::TxnCommit { incarnation, partition, from: first, to, by } => {
                if !state.group.accepts(self.rules.fencing, by) {
                    out.push(reply(Msg::CommitRejected { incarnation, partition, offset: to }));
                    return;
                }
                state.log.append(partition, to);
                out.push(Effect::ToSink(Msg::TxnOutputs { partition, from: first, to }));
                out.push(reply(Msg::TxnCommitResponse { incarnation, partition, offset: to }));
            }
            _ => {}
        }
    }

    /// A member's session ran out (its process is gone) or it was paused too long.
    pub fn on_timer(&self, state: &mut CoordinatorState, timer: GroupTimer, out: &mut Vec<Effect>) {
        match timer {
            GroupTimer::SessionTimeout(id) => state.group.evict(&self.rules, id, false, out),
            GroupTimer::Pause(id) => state.group.evict(&self.rules, id, true, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::msg::Committer;
    use crate::scenario::{Assignor, Fencing};

    const MANUAL: Committer = Committer { member: None, generation: 0 };

    fn coordinator(fencing: Fencing) -> Coordinator {
        Coordinator { rules: GroupRules { partitions: 2, assignor: Assignor::Range, fencing, pauses: false } }
    }

    fn commit(partition: Partition, offset: Offset, by: Committer) -> Msg {
        Msg::OffsetCommit { incarnation: 0, partition, offset, by }
    }

    #[test]
    fn committed_is_the_latest_record_per_partition() {
        let c = coordinator(Fencing::Generation);
        let mut s = CoordinatorState::default();
        assert_eq!(s.log.committed(0), None);
        let mut out = Vec::new();
        for (p, o) in [(0, 2), (1, 5), (0, 1)] {
            c.handle(&mut s, 0, &commit(p, o, MANUAL), &mut out);
        }
        assert_eq!(s.log.committed(0), Some(1));
        assert_eq!(s.log.committed(1), Some(5));
        assert_eq!(s.log.records.len(), 3, "the log is append-only");
    }

    #[test]
    fn offset_fetch_answers_every_partition_asked() {
        let c = coordinator(Fencing::Generation);
        let mut s = CoordinatorState::default();
        let mut out = Vec::new();
        c.handle(&mut s, 0, &commit(1, 3, MANUAL), &mut out);
        out.clear();
        c.handle(&mut s, 2, &Msg::OffsetFetch { incarnation: 2, partitions: vec![0, 1] }, &mut out);
        let offsets = vec![(0, None), (1, Some(3))];
        assert_eq!(out, vec![Effect::Send(2, Msg::OffsetFetchResponse { incarnation: 2, offsets })]);
    }

    #[test]
    fn transaction_commits_offset_and_publishes_outputs_together() {
        let c = coordinator(Fencing::Generation);
        let mut s = CoordinatorState::default();
        let mut out = Vec::new();
        c.handle(
            &mut s,
            0,
            &Msg::TxnCommit { incarnation: 0, partition: 0, from: 0, to: 2, by: MANUAL },
            &mut out,
        );
        assert_eq!(s.log.committed(0), Some(2));
        assert_eq!(
            out,
            vec![
                Effect::ToSink(Msg::TxnOutputs { partition: 0, from: 0, to: 2 }),
                Effect::Send(0, Msg::TxnCommitResponse { incarnation: 0, partition: 0, offset: 2 }),
            ]
        );
    }

    #[test]
    fn a_stale_generation_is_fenced_only_with_generation_fencing() {
        let stale = Committer { member: Some(0), generation: 0 };
        for (fencing, accepted) in [(Fencing::Generation, false), (Fencing::None, true)] {
            let c = coordinator(fencing);
            let mut s = CoordinatorState::default();
            let mut out = Vec::new();
            c.handle(&mut s, 0, &Msg::JoinGroup { incarnation: 0, member: None, owned: vec![] }, &mut out);
            out.clear();
            c.handle(&mut s, 0, &commit(0, 1, stale), &mut out);
            assert_eq!(s.log.committed(0).is_some(), accepted, "{fencing:?}");
            let rejected = matches!(out[0], Effect::Send(0, Msg::CommitRejected { .. }));
            assert_eq!(rejected, !accepted);
        }
    }
}
