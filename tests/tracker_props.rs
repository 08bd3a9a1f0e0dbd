//! `OffsetTracker` against a sequential reference model on random operation
//! sequences: every result (safe offsets and errors alike), the safe offset
//! and the in-flight count after every step must be the model's.
//!
//! The model keeps every offset it ever saw in `BTreeSet`s and computes the
//! safe offset the slow, obvious way (the lowest in-flight offset, else the
//! next offset to dispatch); the tracker keeps only its bounded window. The
//! operations include misuse (out-of-order dispatch, completing offsets that
//! were never dispatched, gaps, repeats, unknown partitions) and fill the
//! window, since a small capacity is drawn.
//!
//! `PROPTEST_CASES=N` sets the number of cases (default 256, about a second).

use kafkacheck::tracker::{OffsetTracker, TrackerError};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// One partition of the reference model.
#[derive(Debug, Default)]
struct Partition {
    /// The lowest offset that may be dispatched next.
    next: u64,
    dispatched: BTreeSet<u64>,
    completed: BTreeSet<u64>,
}

impl Partition {
    fn in_flight(&self) -> impl Iterator<Item = u64> + '_ {
        self.dispatched.difference(&self.completed).copied()
    }

    fn safe(&self) -> u64 {
        self.in_flight().next().unwrap_or(self.next)
    }

    /// Records from the oldest incomplete one to the newest dispatched one.
    fn window(&self) -> usize {
        self.dispatched.range(self.safe()..).count()
    }

    fn dispatch(&mut self, partition: u32, offset: u64, capacity: usize) -> Result<(), TrackerError> {
        if offset < self.next {
            return Err(TrackerError::NotIncreasing { partition, offset, next: self.next });
        }
        if self.window() == capacity {
            return Err(TrackerError::WindowFull { partition, capacity, oldest_incomplete: self.safe() });
        }
        self.dispatched.insert(offset);
        self.next = offset + 1;
        Ok(())
    }

    fn complete(&mut self, partition: u32, offset: u64) -> Result<u64, TrackerError> {
        let safe = self.safe();
        if offset < safe {
            return Err(TrackerError::BelowSafeOffset { partition, offset, safe });
        }
        if !self.dispatched.contains(&offset) {
            return Err(TrackerError::NeverDispatched { partition, offset });
        }
        if !self.completed.insert(offset) {
            return Err(TrackerError::AlreadyCompleted { partition, offset });
        }
        Ok(self.safe())
    }
}

/// An operation on partition `partition % (partitions + 1)`: the last one is
/// unknown to the tracker.
#[derive(Clone, Debug)]
enum Op {
    /// Dispatch the next offset plus `skip` (a gap when `skip > 0`).
    Dispatch {
        partition: u8,
        skip: u8,
    },
    /// Dispatch `back` offsets below the next one: out of order or a repeat.
    DispatchBack {
        partition: u8,
        back: u8,
    },
    /// Complete one of the in-flight offsets, the `pick`-th (any order).
    Complete {
        partition: u8,
        pick: prop::sample::Index,
    },
    /// Complete an arbitrary offset near the window: mostly misuse.
    CompleteAny {
        partition: u8,
        offset: u8,
    },
    Query {
        partition: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), prop_oneof![3 => Just(0u8), 1 => 1u8..4]).prop_map(|(partition, skip)| Op::Dispatch { partition, skip }),
        1 => (any::<u8>(), 1u8..4).prop_map(|(partition, back)| Op::DispatchBack { partition, back }),
        5 => (any::<u8>(), any::<prop::sample::Index>()).prop_map(|(partition, pick)| Op::Complete { partition, pick }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(partition, offset)| Op::CompleteAny { partition, offset }),
        1 => any::<u8>().prop_map(|partition| Op::Query { partition }),
    ]
}

fn run(starts: &[u64], capacity: usize, ops: &[Op]) {
    let tracker = OffsetTracker::starting_at(starts, capacity).unwrap();
    let mut model: Vec<Partition> =
        starts.iter().map(|&next| Partition { next, ..Partition::default() }).collect();
    let partitions = starts.len() as u32;
    for op in ops {
        let index = |p: &u8| u32::from(*p) % (partitions + 1);
        let p = match op {
            Op::Dispatch { partition, .. }
            | Op::DispatchBack { partition, .. }
            | Op::Complete { partition, .. }
            | Op::CompleteAny { partition, .. }
            | Op::Query { partition } => index(partition),
        };
        let Some(m) = model.get_mut(p as usize) else {
            let unknown = Err(TrackerError::UnknownPartition { partition: p, partitions });
            assert_eq!(tracker.dispatch(p, 0), unknown.clone().map(|_: u64| ()), "{op:?}");
            assert_eq!(tracker.complete(p, 0), unknown.clone(), "{op:?}");
            assert_eq!(tracker.safe_offset(p), unknown, "{op:?}");
            continue;
        };
        match op {
            Op::Dispatch { skip, .. } => {
                let offset = m.next + u64::from(*skip);
                assert_eq!(tracker.dispatch(p, offset), m.dispatch(p, offset, capacity), "{op:?}");
            }
            Op::DispatchBack { back, .. } => {
                let offset = m.next.saturating_sub(u64::from(*back));
                assert_eq!(tracker.dispatch(p, offset), m.dispatch(p, offset, capacity), "{op:?}");
            }
            Op::Complete { pick, .. } => {
                let in_flight: Vec<u64> = m.in_flight().collect();
                if in_flight.is_empty() {
                    continue;
                }
                let offset = in_flight[pick.index(in_flight.len())];
                assert_eq!(tracker.complete(p, offset), m.complete(p, offset), "{op:?}");
            }
            Op::CompleteAny { offset, .. } => {
                let offset = m.safe().saturating_sub(4) + u64::from(*offset) % 12;
                assert_eq!(tracker.complete(p, offset), m.complete(p, offset), "{op:?}");
            }
            Op::Query { .. } => {}
        }
        assert_eq!(tracker.safe_offset(p), Ok(m.safe()), "after {op:?}");
        assert_eq!(tracker.in_flight(p), Ok(m.in_flight().count()), "after {op:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn the_tracker_agrees_with_the_reference_model(
        starts in proptest::collection::vec(0u64..1_000, 1..4),
        capacity in 1usize..8,
        ops in proptest::collection::vec(op(), 0..300),
    ) {
        run(&starts, capacity, &ops);
    }

    #[test]
    fn the_tracker_safe_offset_never_decreases_and_reaches_the_end(
        start in 0u64..1_000,
        (gaps, order) in proptest::collection::vec(prop_oneof![3 => Just(0u64), 1 => 1u64..5], 1..60)
            .prop_flat_map(|gaps| {
                let order = Just((0..gaps.len()).collect::<Vec<_>>()).prop_shuffle();
                (Just(gaps), order)
            }),
    ) {
        // Dispatch a whole batch (the window as large as the batch), complete
        // it in a random order; after each completion the safe offset is the
        // lowest offset still in flight, never less than before, and one past
        // the last offset at the end.
        let tracker = OffsetTracker::starting_at(&[start], gaps.len()).unwrap();
        let mut offsets = Vec::new();
        let mut next = start;
        for gap in &gaps {
            let offset = next + gap;
            tracker.dispatch(0, offset).unwrap();
            offsets.push(offset);
            next = offset + 1;
        }
        let mut pending: BTreeSet<u64> = offsets.iter().copied().collect();
        let mut last = tracker.safe_offset(0).unwrap();
        prop_assert_eq!(last, offsets[0]);
        for i in order {
            pending.remove(&offsets[i]);
            let safe = tracker.complete(0, offsets[i]).unwrap();
            prop_assert!(safe >= last, "went back from {} to {}", last, safe);
            prop_assert_eq!(safe, pending.first().copied().unwrap_or(next));
            last = safe;
        }
        prop_assert_eq!(last, next);
    }
}

#[test]
fn the_tracker_reference_model_follows_the_documented_errors() {
    // The oracle checked by hand on the sequence of the tracker's unit test,
    // so that the model and the tracker cannot agree on a shared mistake.
    let mut m = Partition::default();
    assert_eq!(m.dispatch(0, 0, 2), Ok(()));
    assert_eq!(m.dispatch(0, 3, 2), Ok(()));
    assert_eq!(m.dispatch(0, 3, 2), Err(TrackerError::NotIncreasing { partition: 0, offset: 3, next: 4 }));
    assert_eq!(
        m.dispatch(0, 4, 2),
        Err(TrackerError::WindowFull { partition: 0, capacity: 2, oldest_incomplete: 0 })
    );
    assert_eq!(m.complete(0, 1), Err(TrackerError::NeverDispatched { partition: 0, offset: 1 }));
    assert_eq!(m.complete(0, 3), Ok(0));
    assert_eq!(m.complete(0, 3), Err(TrackerError::AlreadyCompleted { partition: 0, offset: 3 }));
    assert_eq!(m.complete(0, 0), Ok(4));
    assert_eq!(m.complete(0, 2), Err(TrackerError::BelowSafeOffset { partition: 0, offset: 2, safe: 4 }));
    assert_eq!(m.dispatch(0, 6, 2), Ok(()));
    assert_eq!(m.safe(), 6);
}
