//! What a live run recorded, and the model's properties checked on it: the
//! registry's live predicates (`src/properties/live.rs`) read what a real run
//! leaves.

use super::sink::SinkLog;
use super::wire::Report;
use crate::properties;
use std::collections::BTreeMap;

/// The properties a live run can observe, in report order.
pub const LIVE_PROPERTIES: [&str; properties::LIVE_COUNT] = properties::LIVE_NAMES;

/// One report from one consumer process, in arrival order.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    pub consumer: usize,
    pub incarnation: u32,
    pub report: Report,
}

#[derive(Clone, Debug, Default)]
pub struct History {
    pub partitions: i32,
    pub messages: i64,
    pub reports: Vec<Recorded>,
    pub sink: SinkLog,
    /// Read back with OffsetFetch after the consumers were stopped; for
    /// exactly-once the external store's offsets (one past the sink's highest).
    pub committed: BTreeMap<i32, i64>,
    /// The run reached quiescence (every consumer idle) before its deadline;
    /// without it, `all-processed` cannot be judged.
    pub complete: bool,
}

/// A property a run violated, with what shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Anomaly {
    pub property: &'static str,
    pub evidence: String,
}

impl History {
    /// Every violation the run shows, property by property in the
    /// registry's order ([`crate::properties::ALL`]).
    pub fn anomalies(&self) -> Vec<Anomaly> {
        let live = properties::ALL.iter().filter_map(|p| Some((p.name, p.live?)));
        live.flat_map(|(property, violations)| {
            violations(self).into_iter().map(move |evidence| Anomaly { property, evidence })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(sink: &str, committed: &[(i32, i64)], complete: bool) -> History {
        History {
            partitions: 1,
            messages: 3,
            reports: Vec::new(),
            sink: SinkLog::parse(sink),
            committed: committed.iter().copied().collect(),
            complete,
        }
    }

    fn properties(h: &History) -> Vec<&'static str> {
        h.anomalies().iter().map(|a| a.property).collect()
    }

    #[test]
    fn a_clean_run_has_no_anomaly() {
        let h = history("0 0 consumer-0 1\n0 1 consumer-0 1\n0 2 consumer-0 1\n", &[(0, 3)], true);
        assert!(h.anomalies().is_empty());
    }

    #[test]
    fn a_record_skipped_below_the_commit_is_lost_and_unprocessed() {
        let h = history("0 1 consumer-0 2\n0 2 consumer-0 2\n", &[(0, 3)], true);
        assert_eq!(properties(&h), ["no-loss", "all-processed"]);
        // An unfinished run judges loss by the commit, but not completeness.
        let h = history("0 0 consumer-0 1\n", &[(0, 1)], false);
        assert!(h.anomalies().is_empty());
    }

    #[test]
    fn a_record_processed_twice_is_a_duplicate_naming_both_starts() {
        let h = history(
            "0 0 consumer-0 1\n0 0 consumer-0 2\n0 1 consumer-0 2\n0 2 consumer-0 2\n",
            &[(0, 3)],
            true,
        );
        let a = h.anomalies();
        assert_eq!(a.len(), 1);
        assert_eq!(
            a[0].evidence,
            "partition 0 offset 0 processed 2 times (consumer-0 start 1, consumer-0 start 2)"
        );
    }

    #[test]
    fn a_commit_acknowledged_after_a_higher_one_breaks_monotonicity() {
        let mut h = history("0 0 consumer-0 1\n0 1 consumer-1 1\n0 2 consumer-1 1\n", &[(0, 1)], true);
        let commit = |consumer, offset| Recorded {
            at_ms: 0,
            consumer,
            incarnation: 1,
            report: Report::Committed { partition: 0, offset },
        };
        h.reports = vec![commit(1, 3), commit(0, 1)];
        let a = h.anomalies();
        assert_eq!(properties(&h), ["committed-monotonic", "committed-monotonic"]);
        assert!(a[1].evidence.contains("read back is 1, below consumer-1's acknowledged 3"), "{a:?}");
    }
}
