//! What a live run recorded, and the model's properties checked on it.
//!
//! The properties are the model's (DESIGN.md §2, `src/properties.rs`), read
//! on what a real run leaves: the sink's contents, the committed offsets read
//! back with OffsetFetch at the end, and the commits the consumers saw
//! acknowledged, in the order the harness received their reports. Live runs
//! observe four of them; `single-owner` and `acked-commit-durable` need the
//! broker's internal state and are left to the model.

use super::sink::SinkLog;
use super::wire::Report;
use std::collections::BTreeMap;

/// The properties a live run can observe, in report order.
pub const LIVE_PROPERTIES: [&str; 4] = ["no-loss", "no-duplicate", "all-processed", "committed-monotonic"];

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
    pub fn anomalies(&self) -> Vec<Anomaly> {
        let mut found = Vec::new();
        let counts = self.sink.counts();
        let count = |p: i32, o: i64| counts.get(&(p, o)).copied().unwrap_or(0);
        for p in 0..self.partitions {
            let committed = self.committed.get(&p).copied().unwrap_or(0);
            for o in 0..self.messages {
                let n = count(p, o);
                if n == 0 && o < committed {
                    found.push(Anomaly {
                        property: "no-loss",
                        evidence: format!(
                            "partition {p} offset {o} was never processed, yet the committed offset is {committed}"
                        ),
                    });
                }
                if n >= 2 {
                    let by: Vec<String> = self
                        .sink
                        .outputs
                        .iter()
                        .filter(|x| x.partition == p && x.offset == o)
                        .map(|x| format!("consumer-{} start {}", x.consumer, x.incarnation))
                        .collect();
                    found.push(Anomaly {
                        property: "no-duplicate",
                        evidence: format!("partition {p} offset {o} processed {n} times ({})", by.join(", ")),
                    });
                }
                if n == 0 && self.complete {
                    found.push(Anomaly {
                        property: "all-processed",
                        evidence: format!("partition {p} offset {o} was never processed"),
                    });
                }
            }
        }
        found.extend(self.monotonic_anomalies());
        found
    }

    /// Acknowledged commits per partition must never go down, neither from
    /// one acknowledgement to the next nor from the last to what is read back.
    fn monotonic_anomalies(&self) -> Vec<Anomaly> {
        let mut found = Vec::new();
        let mut highest: BTreeMap<i32, (i64, usize)> = BTreeMap::new();
        for r in &self.reports {
            let Report::Committed { partition, offset } = r.report else { continue };
            if let Some(&(before, by)) = highest.get(&partition)
                && offset < before
            {
                found.push(Anomaly {
                    property: "committed-monotonic",
                    evidence: format!(
                        "partition {partition}: consumer-{}'s commit of {offset} was acknowledged after consumer-{by}'s of {before}",
                        r.consumer
                    ),
                });
            }
            let entry = highest.entry(partition).or_insert((offset, r.consumer));
            if offset >= entry.0 {
                *entry = (offset, r.consumer);
            }
        }
        for (p, (high, by)) in highest {
            if let Some(&now) = self.committed.get(&p)
                && now < high
            {
                found.push(Anomaly {
                    property: "committed-monotonic",
                    evidence: format!(
                        "partition {p}: the committed offset read back is {now}, below consumer-{by}'s acknowledged {high}"
                    ),
                });
            }
        }
        found
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
