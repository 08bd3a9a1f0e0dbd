//! The partition leader: serves Fetch from an immutable log.
//!
//! Every partition holds records at offsets `0 .. messages`; a record's only
//! content that matters to the properties is its (partition, offset), so the
//! broker keeps no state at all and the log is the scenario's `messages`.

use super::msg::Msg;
use crate::scenario::Offset;

#[derive(Clone, Debug)]
pub struct Broker {
    /// Length of every partition's log.
    pub log_end: Offset,
}

impl Broker {
    /// The reply to a request, if the broker answers it.
    pub fn handle(&self, msg: &Msg) -> Option<Msg> {
        match *msg {
            Msg::Fetch { incarnation, partition, offset, max_records } => Some(Msg::FetchResponse {
                incarnation,
                partition,
                offset,
                count: max_records.min(self.log_end.saturating_sub(offset)),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_returns_at_most_max_records_up_to_the_log_end() {
        let broker = Broker { log_end: 3 };
        let fetch = |offset, max_records| Msg::Fetch { incarnation: 1, partition: 0, offset, max_records };
        let count = |m| match broker.handle(&m) {
            Some(Msg::FetchResponse { count, incarnation: 1, .. }) => count,
            other => panic!("unexpected reply {other:?}"),
        };
        assert_eq!(count(fetch(0, 2)), 2);
        assert_eq!(count(fetch(2, 2)), 1);
        assert_eq!(count(fetch(3, 2)), 0);
        assert_eq!(broker.handle(&Msg::TxnOutputs { partition: 0, from: 0, to: 1 }), None);
    }
}
