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
    /// Committed offsets the harness read back with OffsetFetch during the
    /// run (after a coordinator failover), in order.
    pub read_backs: Vec<ReadBack>,
    /// A restarted consumer's first record of a partition is at the offset
    /// it fetched as committed (manual assignment of Kafka-committed offsets:
    /// no other consumer reads the partition, no external store decides).
    pub starts_fetch_committed: bool,
}

/// One OffsetFetch by the harness: partition → committed offset (a
/// partition with nothing committed is absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadBack {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    pub committed: BTreeMap<i32, i64>,
}

/// A committed offset a client observed, and how many reports had arrived before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub partition: i32,
    /// `None`: nothing committed.
    pub offset: Option<i64>,
    pub after_reports: usize,
    /// Who observed it, for the evidence.
    pub by: String,
}

/// A property a run violated, with what shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Anomaly {
    pub property: &'static str,
    pub evidence: String,
}

impl History {
    /// Every committed offset clients observed, in the order observed: the
    /// harness's read-backs during the run, restarted consumers' fetched
    /// start positions ([`History::starts_fetch_committed`]), and the final
    /// read-back ([`History::committed`], after every report).
    pub fn observed(&self) -> Vec<Observed> {
        let mut seen = Vec::new();
        for rb in &self.read_backs {
            let after_reports = self.reports.iter().take_while(|r| r.at_ms <= rb.at_ms).count();
            for p in 0..self.partitions {
                let by = format!("the read-back at {} ms", rb.at_ms);
                seen.push(Observed {
                    partition: p,
                    offset: rb.committed.get(&p).copied(),
                    after_reports,
                    by,
                });
            }
        }
        if self.starts_fetch_committed {
            let mut first = std::collections::BTreeSet::new();
            for (i, r) in self.reports.iter().enumerate() {
                let Report::Received { partition, offset } = r.report else { continue };
                if r.incarnation > 1 && first.insert((r.consumer, r.incarnation, partition)) {
                    let by = format!("consumer-{} start {}'s fetched position", r.consumer, r.incarnation);
                    seen.push(Observed { partition, offset: Some(offset), after_reports: i, by });
                }
            }
        }
        seen.sort_by_key(|o| o.after_reports);
        for p in 0..self.partitions {
            let by = "the final read-back".to_string();
            let offset = self.committed.get(&p).copied();
            seen.push(Observed { partition: p, offset, after_reports: self.reports.len(), by });
        }
        seen
    }

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
            ..History::default()
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
