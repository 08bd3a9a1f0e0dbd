//! The properties' predicates on what a live run recorded
//! ([`crate::live::history::History`]): the sink's contents, the committed
//! offsets read back with OffsetFetch at the end, and the commits the
//! consumers saw acknowledged, in the order the harness received their
//! reports. Each returns one piece of evidence per violation. A real run
//! shows five properties; `single-owner` needs the broker's internal state
//! and is left to the model.

use crate::live::history::History;
use crate::live::wire::Report;
use std::collections::BTreeMap;

/// Every record of the run's topic, partition by partition.
fn records(h: &History) -> impl Iterator<Item = (i32, i64)> + '_ {
    (0..h.partitions).flat_map(move |p| (0..h.messages).map(move |o| (p, o)))
}

/// How often the sink holds each record.
fn times_processed(h: &History) -> impl Fn(i32, i64) -> u32 {
    let counts = h.sink.counts();
    move |p, o| counts.get(&(p, o)).copied().unwrap_or(0)
}

/// `no-loss`: a record below its partition's committed offset read back at
/// the end that the sink never received.
pub fn lost(h: &History) -> Vec<String> {
    let count = times_processed(h);
    records(h)
        .filter_map(|(p, o)| {
            let committed = h.committed.get(&p).copied().unwrap_or(0);
            (count(p, o) == 0 && o < committed).then(|| {
                format!(
                    "partition {p} offset {o} was never processed, yet the committed offset is {committed}"
                )
            })
        })
        .collect()
}

/// `no-duplicate`: a record the sink received twice or more, with the
/// consumer starts that processed it.
pub fn duplicated(h: &History) -> Vec<String> {
    let count = times_processed(h);
    records(h)
        .filter(|&(p, o)| count(p, o) >= 2)
        .map(|(p, o)| {
            let by: Vec<String> = (h.sink.outputs.iter())
                .filter(|x| x.partition == p && x.offset == o)
                .map(|x| format!("consumer-{} start {}", x.consumer, x.incarnation))
                .collect();
            format!("partition {p} offset {o} processed {} times ({})", count(p, o), by.join(", "))
        })
        .collect()
}

/// `all-processed`: a record the sink never received, judged only when the
/// run reached quiescence (an unfinished run may still have processed it).
pub fn unprocessed(h: &History) -> Vec<String> {
    if !h.complete {
        return Vec::new();
    }
    let count = times_processed(h);
    records(h)
        .filter(|&(p, o)| count(p, o) == 0)
        .map(|(p, o)| format!("partition {p} offset {o} was never processed"))
        .collect()
}

/// `committed-monotonic`: acknowledged commits per partition never go down,
/// neither from one acknowledgement to the next nor from the highest to a
/// committed offset observed after it ([`History::observed`]: the read-backs
/// during the run and at the end, restarted consumers' fetched positions).
pub fn decreases(h: &History) -> Vec<String> {
    let mut found = Vec::new();
    let mut highest: BTreeMap<i32, (i64, usize)> = BTreeMap::new();
    for r in &h.reports {
        let Report::Committed { partition, offset } = r.report else { continue };
        if let Some(&(before, by)) = highest.get(&partition)
            && offset < before
        {
            found.push(format!(
                "partition {partition}: consumer-{}'s commit of {offset} was acknowledged after consumer-{by}'s of {before}",
                r.consumer
            ));
        }
        let entry = highest.entry(partition).or_insert((offset, r.consumer));
        if offset >= entry.0 {
            *entry = (offset, r.consumer);
        }
    }
    for o in h.observed() {
        let Some(now) = o.offset else { continue };
        let acked = acknowledged(h, o.partition, o.after_reports);
        if let Some(&(high, by)) = acked.iter().max_by_key(|(offset, _)| *offset)
            && now < high
        {
            let what = if o.by == "the final read-back" {
                "the committed offset read back".to_string()
            } else {
                format!("the committed offset {} saw", o.by)
            };
            found.push(format!(
                "partition {}: {what} is {now}, below consumer-{by}'s acknowledged {high}",
                o.partition
            ));
        }
    }
    found
}

/// The commits of `partition` acknowledged within the first `reports`
/// reports, in arrival order: (offset, consumer).
fn acknowledged(h: &History, partition: i32, reports: usize) -> Vec<(i64, usize)> {
    h.reports[..reports.min(h.reports.len())]
        .iter()
        .filter_map(|r| match r.report {
            Report::Committed { partition: p, offset } if p == partition => Some((offset, r.consumer)),
            _ => None,
        })
        .collect()
}

/// `acked-commit-durable`: a committed offset a client observed (the
/// harness's OffsetFetch after a failover and at the end, a restarted
/// consumer's fetched position, [`History::observed`]) below the last commit
/// acknowledged before it, or nothing committed after one was: the broker
/// lost an acknowledged commit that no later commit replaced. (A commit
/// acknowledged later than a higher one replaces it, as the model's
/// `lost_acked_commits` allows; the highest is `committed-monotonic`'s.)
pub fn lost_acks(h: &History) -> Vec<String> {
    let mut found = Vec::new();
    for o in h.observed() {
        let Some(&(last, by)) = acknowledged(h, o.partition, o.after_reports).last() else { continue };
        let now = o.offset.map_or("nothing committed".to_string(), |n| n.to_string());
        if o.offset.is_none_or(|n| n < last) {
            found.push(format!(
                "partition {}: {} is {now}, below consumer-{by}'s acknowledged commit of {last}",
                o.partition, o.by
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::history::Recorded;
    use crate::live::sink::SinkLog;

    fn history(sink: &str, committed: &[(i32, i64)], complete: bool) -> History {
        History {
            partitions: 2,
            messages: 3,
            reports: Vec::new(),
            sink: SinkLog::parse(sink),
            committed: committed.iter().copied().collect(),
            complete,
            ..History::default()
        }
    }

    const ALL_OF_PARTITION_0: &str = "0 0 consumer-0 1\n0 1 consumer-0 1\n0 2 consumer-0 1\n";

    #[test]
    fn a_record_is_lost_only_below_its_own_partitions_commit() {
        let h = history("0 1 consumer-0 1\n1 0 consumer-1 1\n", &[(0, 2), (1, 1)], false);
        assert_eq!(lost(&h), ["partition 0 offset 0 was never processed, yet the committed offset is 2"]);
        let h = history("", &[(1, 3)], false);
        assert_eq!(
            lost(&h),
            [0, 1, 2].map(|o| format!(
                "partition 1 offset {o} was never processed, yet the committed offset is 3"
            ))
        );
        assert!(lost(&history("", &[], true)).is_empty(), "no commit, nothing below it");
        assert!(lost(&history(ALL_OF_PARTITION_0, &[(0, 3)], true)).is_empty());
    }

    #[test]
    fn a_duplicate_counts_and_names_every_start_that_processed_it() {
        let sink =
            "1 2 consumer-1 1\n1 2 consumer-0 2\n1 0 consumer-0 2\n1 2 consumer-1 3\n0 2 consumer-0 1\n";
        let h = history(sink, &[], true);
        assert_eq!(
            duplicated(&h),
            [
                "partition 1 offset 2 processed 3 times (consumer-1 start 1, consumer-0 start 2, consumer-1 start 3)"
            ]
        );
        assert!(duplicated(&history(ALL_OF_PARTITION_0, &[], true)).is_empty());
    }

    #[test]
    fn a_record_missing_is_unprocessed_only_once_the_run_is_complete() {
        let h =
            history("0 0 consumer-0 1\n0 2 consumer-0 1\n1 0 consumer-1 1\n1 1 consumer-1 1\n", &[], true);
        assert_eq!(
            unprocessed(&h),
            ["partition 0 offset 1 was never processed", "partition 1 offset 2 was never processed"]
        );
        let h = history("", &[], false);
        assert!(unprocessed(&h).is_empty());
    }

    fn commit(consumer: usize, partition: i32, offset: i64) -> Recorded {
        Recorded { at_ms: 0, consumer, incarnation: 1, report: Report::Committed { partition, offset } }
    }

    #[test]
    fn an_acknowledged_commit_below_the_highest_so_far_is_a_decrease() {
        let mut h = history("", &[(0, 3), (1, 2)], false);
        h.reports = vec![commit(0, 0, 1), commit(1, 0, 3), commit(0, 1, 2), commit(0, 0, 3), commit(1, 0, 2)];
        assert_eq!(
            decreases(&h),
            ["partition 0: consumer-1's commit of 2 was acknowledged after consumer-0's of 3"]
        );
        h.reports = vec![commit(0, 0, 1), commit(0, 0, 1), commit(1, 1, 0), commit(1, 1, 2)];
        assert!(decreases(&h).is_empty(), "an equal or higher commit is no decrease");
    }

    #[test]
    fn a_read_back_below_the_last_acknowledged_commit_loses_it_and_an_equal_one_does_not() {
        use crate::live::history::ReadBack;
        let mut h = history("", &[(0, 2)], false);
        h.partitions = 1;
        h.reports = vec![commit(0, 0, 1), commit(0, 0, 2)];
        h.reports[1].at_ms = 10;
        h.read_backs = vec![ReadBack { at_ms: 20, committed: [(0, 1)].into() }];
        assert_eq!(
            lost_acks(&h),
            ["partition 0: the read-back at 20 ms is 1, below consumer-0's acknowledged commit of 2"]
        );
        assert_eq!(
            decreases(&h),
            [
                "partition 0: the committed offset the read-back at 20 ms saw is 1, below consumer-0's acknowledged 2"
            ]
        );
        h.read_backs[0].committed.insert(0, 2);
        assert!(lost_acks(&h).is_empty(), "equal is durable");
        assert!(decreases(&h).is_empty());
        // A read-back before the commit's acknowledgement judges nothing of it.
        h.read_backs = vec![ReadBack { at_ms: 5, committed: [(0, 1)].into() }];
        assert!(lost_acks(&h).is_empty());
        // Nothing committed after an acknowledged commit lost it too.
        h.committed.clear();
        assert_eq!(
            lost_acks(&h),
            [
                "partition 0: the final read-back is nothing committed, below consumer-0's acknowledged commit of 2"
            ]
        );
    }

    #[test]
    fn a_restarted_consumers_first_record_below_an_acknowledged_commit_loses_it() {
        let mut h = history("", &[(0, 2)], false);
        h.partitions = 1;
        let received = |incarnation, offset| Recorded {
            at_ms: 0,
            consumer: 0,
            incarnation,
            report: Report::Received { partition: 0, offset },
        };
        h.reports = vec![received(1, 0), commit(0, 0, 1), received(1, 1), commit(0, 0, 2), received(2, 1)];
        assert!(lost_acks(&h).is_empty(), "judged only where a start fetches its position");
        h.starts_fetch_committed = true;
        assert_eq!(
            lost_acks(&h),
            [
                "partition 0: consumer-0 start 2's fetched position is 1, below consumer-0's acknowledged commit of 2"
            ]
        );
        h.reports[4] = received(2, 2);
        assert!(lost_acks(&h).is_empty());
    }

    #[test]
    fn a_read_back_below_the_last_acknowledged_commit_replaced_by_a_lower_one_is_durable() {
        let mut h = history("", &[(0, 1)], false);
        h.partitions = 1;
        h.reports = vec![commit(1, 0, 3), commit(0, 0, 1)];
        assert!(lost_acks(&h).is_empty());
        assert_eq!(decreases(&h).len(), 2, "but not monotonic");
    }

    #[test]
    fn a_read_back_below_the_highest_acknowledged_is_a_decrease() {
        let mut h = history("", &[(0, 1), (1, 2)], false);
        h.reports = vec![commit(1, 0, 3), commit(0, 1, 2)];
        assert_eq!(
            decreases(&h),
            ["partition 0: the committed offset read back is 1, below consumer-1's acknowledged 3"]
        );
        h.committed.clear();
        assert!(decreases(&h).is_empty(), "nothing read back, nothing to compare");
        h.committed.insert(0, 3);
        assert!(decreases(&h).is_empty());
    }
}
