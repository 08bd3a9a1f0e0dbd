//! Where a consumer starts reading a partition: its committed offset, or,
//! with none, `auto.offset.reset`: earliest (offset 0), latest (the log end,
//! asked with ListOffsets) or none (NoOffsetForPartitionException: the
//! partition is read no more).
use super::{Consumer, ConsumerState, Out, Phase, To};
use crate::model::event::{Event, StartAt};
use crate::model::msg::Msg;
use crate::scenario::{Offset, Partition, Reset};

impl Consumer {
    /// The committed offsets of the partitions whose position was unknown,
    /// and where each starts.
    pub(super) fn on_committed_offsets(
        &self,
        state: &mut ConsumerState,
        offsets: &[(Partition, Option<Offset>)],
        out: &mut Out,
    ) {
        let (consumer, reset) = (self.number, self.scenario.offsets.reset);
        for &(partition, committed) in offsets {
            out.emit(|| Event::Position { consumer, partition, start: start_at(committed, reset) });
        }
        if state.phase != Phase::AwaitingOffsets {
            return;
        }
        let (mut latest, mut failed) = (Vec::new(), Vec::new());
        for &(partition, committed) in offsets {
            if let Some(o) = state.owned.iter_mut().find(|o| o.partition == partition) {
                match start_at(committed, self.scenario.offsets.reset) {
                    StartAt::LogEnd => latest.push(partition),
                    StartAt::Fail => failed.push(partition),
                    StartAt::Offset { offset, .. } => o.position = Some(offset),
                }
                o.committed = committed.unwrap_or(0);
            }
        }
        // NoOffsetForPartitionException: the consumer reads nothing
        // more of these partitions.
        state.owned.retain(|o| !failed.contains(&o.partition));
        if latest.is_empty() {
            self.poll(state, 0, out);
        } else {
            // auto.offset.reset=latest: ask the broker where the logs end now.
            state.awaiting = self.next_corr(state);
            let (incarnation, corr) = (state.incarnation, state.awaiting);
            out.push((To::Broker, Msg::ListOffsets { incarnation, corr, partitions: latest }));
        }
    }

    /// auto.offset.reset=latest: the log ends the broker reported.
    pub(super) fn on_log_ends(
        &self,
        state: &mut ConsumerState,
        offsets: &[(Partition, Offset)],
        out: &mut Out,
    ) {
        let consumer = self.number;
        for &(partition, end) in offsets {
            out.emit(|| Event::ResetToEnd { consumer, partition, end, unprocessed: Vec::new() });
        }
        if state.phase != Phase::AwaitingOffsets {
            return;
        }
        for &(partition, end) in offsets {
            if let Some(o) = state.owned.iter_mut().find(|o| o.partition == partition) {
                o.position = Some(end);
            }
        }
        self.poll(state, 0, out);
    }
}

/// Where a partition starts, given its committed offset and
/// `auto.offset.reset` (earliest is offset 0: the log is never truncated here).
pub fn start_at(committed: Option<Offset>, reset: Reset) -> StartAt {
    match (committed, reset) {
        (None, Reset::Latest) => StartAt::LogEnd,
        (None, Reset::None) => StartAt::Fail,
        (committed, _) => StartAt::Offset { offset: committed.unwrap_or(0), committed: committed.is_some() },
    }
}
