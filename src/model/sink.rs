//! The sink: where processing has its side effects (a database, another
//! topic). It survives consumer crashes, so it is what `no-loss` and
//! `no-duplicate` look at.

use super::event::{Actor, Event, Events};
use super::msg::Msg;
use crate::scenario::{Offset, Partition};
use serde::Serialize;

/// How many times each record's side effect has been applied, by partition then offset.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SinkState {
    pub applied: Vec<Vec<u8>>,
}

impl SinkState {
    pub fn new(partitions: Partition, messages: Offset) -> Self {
        SinkState { applied: vec![vec![0; messages as usize]; partitions as usize] }
    }

    pub fn times_applied(&self, partition: Partition, offset: Offset) -> u8 {
        self.applied[partition as usize][offset as usize]
    }

    /// Applies the side effects a message carries and returns the reply to its
    /// sender, if any. Outputs of a transaction are only visible once the
    /// coordinator has committed it, so they arrive here from the coordinator
    /// and need no reply.
    pub fn apply(&mut self, msg: &Msg, from: Actor, ev: &mut Events) -> Option<Msg> {
        let (partition, offsets) = msg.outputs()?;
        let txn = matches!(msg, Msg::TxnOutputs { .. });
        for offset in offsets {
            let count = &mut self.applied[partition as usize][offset as usize];
            let time = u16::from(*count) + 1;
            ev.emit(|| Event::Process { from, partition, offset, time, txn });
            *count = count.saturating_add(1);
        }
        match *msg {
            Msg::Output { incarnation, corr, partition, offset } => {
                Some(Msg::OutputAck { incarnation, corr, partition, offset })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{Actor, Events};

    #[test]
    fn output_is_counted_and_acknowledged() {
        let mut sink = SinkState::new(2, 2);
        let out = Msg::Output { incarnation: 3, corr: 0, partition: 1, offset: 1 };
        assert_eq!(
            sink.apply(&out, Actor::Consumer(0), &mut Events::off()),
            Some(Msg::OutputAck { incarnation: 3, corr: 0, partition: 1, offset: 1 })
        );
        sink.apply(&out, Actor::Consumer(0), &mut Events::off());
        assert_eq!(sink.times_applied(1, 1), 2);
        assert_eq!(sink.times_applied(0, 1), 0);
    }

    #[test]
    fn transaction_outputs_apply_a_range_without_reply() {
        let mut sink = SinkState::new(1, 3);
        assert_eq!(
            sink.apply(
                &Msg::TxnOutputs { partition: 0, from: 1, to: 3 },
                Actor::Consumer(0),
                &mut Events::off()
            ),
            None
        );
        assert_eq!(sink.applied[0], vec![0, 1, 1]);
    }
}
