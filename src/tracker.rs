//! Safe commit offsets for a consumer that processes records in parallel.
//!
//! The checked models process one record at a time, so "commit the offset
//! after the last processed record" is safe there. A consumer that hands the
//! records of one poll to many worker threads cannot do that: workers finish
//! out of order, and committing past a record that is still being processed
//! loses it if the consumer crashes (the committed offset is where the next
//! owner resumes; `src/model/consumer/workers.rs`). The only safe commit is the end of the
//! *contiguous* completed prefix: the lowest offset still in flight, or, when
//! nothing is in flight, the offset after the last dispatched record.
//!
//! [`OffsetTracker`] records, per partition, which offsets the poll loop
//! dispatched ([`OffsetTracker::dispatch`]) and which the workers completed
//! ([`OffsetTracker::complete`]), and answers that offset, either at once
//! ([`OffsetTracker::safe_offset`]) or by blocking a committer thread until it
//! moves past the last offset it committed ([`OffsetTracker::wait_past`]).
//!
//! Its synchronisation goes through the [`sync`] shim below: `std` normally,
//! `loom` under `--cfg loom`, so `tests/loom_tracker.rs` checks every
//! interleaving of the code that ships, not of a copy.

use std::collections::VecDeque;
use std::fmt;

/// `std`'s or loom's primitives, switched by `cfg(loom)` so that loom checks
/// the shipped code. Only the types the tracker uses are re-exported.
mod sync {
    #[cfg(loom)]
    pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
    #[cfg(not(loom))]
    pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
}

use sync::{Condvar, Mutex, MutexGuard};

/// Which offset [`OffsetTracker`] answers as safe to commit.
///
/// Only the correct policy exists in a normal build; the wrong one is compiled
/// for the crate's unit tests and for loom builds so that the tests can show
/// their checks catch it (a check that cannot fail proves nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    /// The end of the contiguous completed prefix (the lowest incomplete
    /// offset). The only policy that never commits past an unprocessed record.
    ContiguousPrefix,
    /// Deliberately wrong: the highest completed offset + 1, the mistake of
    /// committing whatever a worker just finished. Commits past records other
    /// workers are still processing.
    #[cfg(any(test, loom))]
    HighestCompleted,
}

/// Misuse of an [`OffsetTracker`], reported instead of a panic so that a
/// caller's bug does not take down the worker pool, and named precisely so
/// the bug can be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackerError {
    /// The partition is not one of `0 .. partitions`.
    UnknownPartition { partition: u32, partitions: u32 },
    /// Offsets of a partition must be dispatched in increasing order (as a
    /// poll returns them) and at most once; `next` is the lowest offset that
    /// may be dispatched now.
    NotIncreasing { partition: u32, offset: u64, next: u64 },
    /// `u64::MAX` cannot be dispatched: the offset after it would not exist.
    OffsetTooLarge { partition: u32 },
    /// `capacity` records of the partition are dispatched and not yet covered
    /// by the safe offset. Room is made when `oldest_incomplete` completes:
    /// wait for it with [`OffsetTracker::wait_past`], then dispatch again.
    WindowFull { partition: u32, capacity: usize, oldest_incomplete: u64 },
    /// The offset was never dispatched (it is at or past the next offset to
    /// dispatch, or a gap between dispatched offsets).
    NeverDispatched { partition: u32, offset: u64 },
    /// The offset is in flight no longer: it was completed before.
    AlreadyCompleted { partition: u32, offset: u64 },
    /// The offset is below the safe offset `safe`: it was completed already,
    /// or it was a gap or before the start and never dispatched. The tracker
    /// keeps no memory of offsets below the safe offset (that is what bounds
    /// its memory), so it cannot say which.
    BelowSafeOffset { partition: u32, offset: u64, safe: u64 },
    /// The tracker was closed with [`OffsetTracker::close`].
    Closed,
    /// A constructor argument is out of range (`what` says which).
    Config { what: &'static str },
}

impl fmt::Display for TrackerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackerError::UnknownPartition { partition, partitions } => {
                write!(
                    f,
                    "partition {partition} is unknown: the tracker has partitions 0 to {}",
                    partitions - 1
                )
            }
            TrackerError::NotIncreasing { partition, offset, next } => write!(
                f,
                "offset {offset} of partition {partition} dispatched out of order or twice: \
                 the next offset to dispatch is at least {next}"
            ),
            TrackerError::OffsetTooLarge { partition } => {
                write!(f, "offset {} of partition {partition} cannot be dispatched", u64::MAX)
            }
            TrackerError::WindowFull { partition, capacity, oldest_incomplete } => write!(
                f,
                "partition {partition} has {capacity} records in its window; \
                 offset {oldest_incomplete} must complete first"
            ),
            TrackerError::NeverDispatched { partition, offset } => {
                write!(f, "offset {offset} of partition {partition} was never dispatched")
            }
            TrackerError::AlreadyCompleted { partition, offset } => {
                write!(f, "offset {offset} of partition {partition} was already completed")
            }
            TrackerError::BelowSafeOffset { partition, offset, safe } => write!(
                f,
                "offset {offset} of partition {partition} is below its safe offset {safe}: \
                 it was completed already or never dispatched"
            ),
            TrackerError::Closed => f.write_str("the offset tracker is closed"),
            TrackerError::Config { what } => write!(f, "invalid offset tracker configuration: {what}"),
        }
    }
}

impl std::error::Error for TrackerError {}

/// One record of the window: dispatched, and completed or not.
#[derive(Clone, Copy, Debug)]
struct Entry {
    offset: u64,
    done: bool,
}

/// The state of one partition, behind its own lock so that partitions do not
/// contend.
#[derive(Debug)]
struct Window {
    /// The records dispatched and not yet covered by the safe offset, in
    /// dispatch order, hence sorted by offset (dispatch is increasing). The
    /// front is always incomplete: completed records at the front are retired
    /// at once. Allocated once with `capacity` slots and never grown.
    entries: VecDeque<Entry>,
    /// The lowest offset that may be dispatched next: one past the last
    /// dispatched offset, or the start offset. The safe offset when `entries`
    /// is empty.
    next: u64,
    /// The entries not done: kept so that `in_flight` is O(1).
    incomplete: usize,
    closed: bool,
    /// The offset the partition started at and the highest completed offset:
    /// what the wrong policy answers. Not in the shipped build.
    #[cfg(any(test, loom))]
    start: u64,
    #[cfg(any(test, loom))]
    highest_completed: Option<u64>,
}

impl Window {
    fn new(start: u64, capacity: usize) -> Window {
        Window {
            entries: VecDeque::with_capacity(capacity),
            next: start,
            incomplete: 0,
            closed: false,
            #[cfg(any(test, loom))]
            start,
            #[cfg(any(test, loom))]
            highest_completed: None,
        }
    }

    /// The end of the contiguous completed prefix.
    fn prefix_end(&self) -> u64 {
        self.entries.front().map_or(self.next, |e| e.offset)
    }

    fn safe(&self, policy: Policy) -> u64 {
        match policy {
            Policy::ContiguousPrefix => self.prefix_end(),
            #[cfg(any(test, loom))]
            Policy::HighestCompleted => self.highest_completed.map_or(self.start, |h| h + 1),
        }
    }
}

/// One partition: its window and the condition variable committers wait on.
#[derive(Debug)]
struct Slot {
    window: Mutex<Window>,
    /// Notified (all waiters) whenever the safe offset changes or the tracker
    /// closes; committers wait for different offsets, so `notify_one` could
    /// wake the wrong one.
    advanced: Condvar,
}

/// Tracks dispatched and completed offsets per partition and answers the
/// offset that is safe to commit (Kafka's committed offset: the next offset
/// to read).
///
/// The guarantee: every offset below [`safe_offset`](Self::safe_offset) that
/// was dispatched has been completed, and the safe offset never decreases.
/// Offsets between dispatched ones that were never dispatched (gaps left by
/// compaction or transaction markers) count as not being records.
///
/// Memory is bounded by the window: at most `capacity` records per partition
/// from the oldest incomplete one to the newest dispatched one. A dispatch
/// beyond it returns [`TrackerError::WindowFull`] instead of blocking, so a
/// poll loop decides itself whether to wait ([`wait_past`](Self::wait_past)
/// the oldest incomplete offset) or to pause the partition and keep polling
/// others.
///
/// Costs per partition with `w` records in the window: `dispatch` O(1),
/// `complete` O(log w) (a binary search) plus O(1) amortised for retiring the
/// completed prefix, `safe_offset` and `in_flight` O(1). Each operation takes
/// one partition's lock; nothing busy-waits.
///
/// Share it between threads with an `Arc`.
#[derive(Debug)]
pub struct OffsetTracker {
    slots: Box<[Slot]>,
    capacity: usize,
    policy: Policy,
}

impl OffsetTracker {
    /// A tracker of partitions `0 .. partitions`, each starting at offset 0
    /// (nothing committed: Kafka's earliest offset), with a window of
    /// `capacity` records per partition. Both must be at least 1.
    pub fn new(partitions: u32, capacity: usize) -> Result<OffsetTracker, TrackerError> {
        OffsetTracker::starting_at(&vec![0; partitions as usize], capacity)
    }

    /// A tracker of partitions `0 .. starts.len()`, partition `p` starting at
    /// `starts[p]`, typically its committed offset: the position the consumer
    /// resumes at. `starts` must not be empty, nor longer than `u32::MAX`, and
    /// `capacity` must be at least 1.
    pub fn starting_at(starts: &[u64], capacity: usize) -> Result<OffsetTracker, TrackerError> {
        OffsetTracker::with_policy(starts, capacity, Policy::ContiguousPrefix)
    }

    /// The deliberately wrong tracker: its safe offset is the highest
    /// completed offset + 1 (the start offset before any completion), which
    /// passes records other workers are still processing. Compiled only for
    /// unit tests and loom builds, so that the tests can show that their checks
    /// catch this mistake; never available to users.
    #[cfg(any(test, loom))]
    pub fn wrong_highest_completed(partitions: u32, capacity: usize) -> Result<OffsetTracker, TrackerError> {
        OffsetTracker::with_policy(&vec![0; partitions as usize], capacity, Policy::HighestCompleted)
    }

    fn with_policy(starts: &[u64], capacity: usize, policy: Policy) -> Result<OffsetTracker, TrackerError> {
        if starts.is_empty() {
            return Err(TrackerError::Config { what: "at least one partition is needed" });
        }
        if u32::try_from(starts.len()).is_err() {
            return Err(TrackerError::Config { what: "at most u32::MAX partitions" });
        }
        if capacity == 0 {
            return Err(TrackerError::Config { what: "the window capacity must be at least 1" });
        }
        let slots = starts
            .iter()
            .map(|&start| Slot { window: Mutex::new(Window::new(start, capacity)), advanced: Condvar::new() })
            .collect();
        Ok(OffsetTracker { slots, capacity, policy })
    }

    /// The number of partitions.
    pub fn partitions(&self) -> u32 {
        // Fits: checked by the constructor.
        self.slots.len() as u32
    }

    /// The window capacity: records per partition from the oldest incomplete
    /// to the newest dispatched.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Records that `offset` of `partition` was handed to a worker. Offsets
    /// of a partition must be dispatched in increasing order; skipping offsets
    /// is allowed (they are not records). Fails without changing anything when
    /// the offset is out of order, the window is full, or the tracker is
    /// closed.
    pub fn dispatch(&self, partition: u32, offset: u64) -> Result<(), TrackerError> {
        let slot = self.slot(partition)?;
        let mut window = lock(&slot.window);
        if window.closed {
            return Err(TrackerError::Closed);
        }
        if offset < window.next {
            return Err(TrackerError::NotIncreasing { partition, offset, next: window.next });
        }
        if offset == u64::MAX {
            return Err(TrackerError::OffsetTooLarge { partition });
        }
        if let Some(oldest) = window.entries.front()
            && window.entries.len() == self.capacity
        {
            return Err(TrackerError::WindowFull {
                partition,
                capacity: self.capacity,
                oldest_incomplete: oldest.offset,
            });
        }
        let before = window.safe(self.policy);
        window.entries.push_back(Entry { offset, done: false });
        window.next = offset + 1;
        window.incomplete += 1;
        // With nothing in flight the safe offset was `next`; a dispatch past a
        // gap moves it to the dispatched offset.
        self.notify_if_advanced(slot, &window, before);
        Ok(())
    }

    /// Records that the worker processing `offset` of `partition` is done with
    /// it, and returns the safe offset after that. Call it only once the
    /// record's side effects are durable: from then on the safe offset may
    /// pass it. Fails without changing anything when the offset is not in
    /// flight (never dispatched, or already completed). Completing is allowed
    /// after [`close`](Self::close), so that workers can finish.
    pub fn complete(&self, partition: u32, offset: u64) -> Result<u64, TrackerError> {
        let slot = self.slot(partition)?;
        let mut window = lock(&slot.window);
        let front = window.prefix_end();
        if offset < front {
            return Err(TrackerError::BelowSafeOffset { partition, offset, safe: front });
        }
        let index = window
            .entries
            .binary_search_by_key(&offset, |e| e.offset)
            .map_err(|_| TrackerError::NeverDispatched { partition, offset })?;
        if window.entries[index].done {
            return Err(TrackerError::AlreadyCompleted { partition, offset });
        }
        let before = window.safe(self.policy);
        window.entries[index].done = true;
        window.incomplete -= 1;
        #[cfg(any(test, loom))]
        {
            window.highest_completed = window.highest_completed.max(Some(offset));
        }
        // Retire the completed prefix; each entry is retired once, so this is
        // O(1) amortised over the completions.
        while window.entries.front().is_some_and(|e| e.done) {
            window.entries.pop_front();
        }
        let safe = window.safe(self.policy);
        self.notify_if_advanced(slot, &window, before);
        Ok(safe)
    }

    /// The offset that is safe to commit for `partition` now, without
    /// blocking.
    pub fn safe_offset(&self, partition: u32) -> Result<u64, TrackerError> {
        let slot = self.slot(partition)?;
        Ok(lock(&slot.window).safe(self.policy))
    }

    /// Blocks until the safe offset of `partition` is greater than `offset`
    /// and returns it. A committer passes the offset it committed last, so it
    /// wakes exactly when there is something new to commit; a poll loop whose
    /// dispatch failed with [`TrackerError::WindowFull`] passes the oldest
    /// incomplete offset, and wakes when there is room. Returns
    /// [`TrackerError::Closed`] if the tracker is closed before that, so that a
    /// committer thread can be shut down; it blocks forever if neither
    /// happens.
    pub fn wait_past(&self, partition: u32, offset: u64) -> Result<u64, TrackerError> {
        let slot = self.slot(partition)?;
        let mut window = lock(&slot.window);
        loop {
            let safe = window.safe(self.policy);
            if safe > offset {
                return Ok(safe);
            }
            if window.closed {
                return Err(TrackerError::Closed);
            }
            window = slot.advanced.wait(window).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// The number of records of `partition` dispatched and not yet completed.
    pub fn in_flight(&self, partition: u32) -> Result<usize, TrackerError> {
        let slot = self.slot(partition)?;
        Ok(lock(&slot.window).incomplete)
    }

    /// Closes the tracker: later dispatches fail with
    /// [`TrackerError::Closed`], and waiters in [`wait_past`](Self::wait_past)
    /// that are not yet satisfied return it, so that threads blocked on the
    /// tracker can shut down. Completions are still recorded.
    pub fn close(&self) {
        for slot in self.slots.iter() {
            lock(&slot.window).closed = true;
            slot.advanced.notify_all();
        }
    }

    fn slot(&self, partition: u32) -> Result<&Slot, TrackerError> {
        self.slots
            .get(partition as usize)
            .ok_or(TrackerError::UnknownPartition { partition, partitions: self.partitions() })
    }

    fn notify_if_advanced(&self, slot: &Slot, window: &Window, before: u64) {
        if window.safe(self.policy) != before {
            slot.advanced.notify_all();
        }
    }
}

/// Locks a partition's window. A poisoned lock is taken over: the tracker
/// never panics while holding it, and every update leaves the window
/// consistent before the next one starts, so the data is still valid.
fn lock(window: &Mutex<Window>) -> MutexGuard<'_, Window> {
    window.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_safe_offset_is_the_end_of_the_completed_prefix() {
        let t = OffsetTracker::new(1, 8).unwrap();
        assert_eq!(t.safe_offset(0), Ok(0));
        for o in 0..4 {
            t.dispatch(0, o).unwrap();
        }
        assert_eq!(t.complete(0, 2), Ok(0));
        assert_eq!(t.complete(0, 0), Ok(1));
        assert_eq!(t.complete(0, 1), Ok(3));
        assert_eq!(t.in_flight(0), Ok(1));
        assert_eq!(t.complete(0, 3), Ok(4));
        assert_eq!(t.safe_offset(0), Ok(4));
    }

    #[test]
    fn gaps_are_not_records() {
        let t = OffsetTracker::starting_at(&[10], 4).unwrap();
        t.dispatch(0, 12).unwrap();
        assert_eq!(t.safe_offset(0), Ok(12));
        t.dispatch(0, 15).unwrap();
        assert_eq!(t.complete(0, 15), Ok(12));
        assert_eq!(t.complete(0, 12), Ok(16));
        assert_eq!(
            t.complete(0, 13),
            Err(TrackerError::BelowSafeOffset { partition: 0, offset: 13, safe: 16 })
        );
    }

    #[test]
    fn misuse_is_an_error_that_changes_nothing() {
        let t = OffsetTracker::new(2, 2).unwrap();
        assert_eq!(t.dispatch(2, 0), Err(TrackerError::UnknownPartition { partition: 2, partitions: 2 }));
        t.dispatch(0, 0).unwrap();
        t.dispatch(0, 3).unwrap();
        assert_eq!(t.dispatch(0, 3), Err(TrackerError::NotIncreasing { partition: 0, offset: 3, next: 4 }));
        assert_eq!(
            t.dispatch(0, 4),
            Err(TrackerError::WindowFull { partition: 0, capacity: 2, oldest_incomplete: 0 })
        );
        assert_eq!(t.complete(0, 1), Err(TrackerError::NeverDispatched { partition: 0, offset: 1 }));
        assert_eq!(t.complete(0, 4), Err(TrackerError::NeverDispatched { partition: 0, offset: 4 }));
        assert_eq!(t.complete(0, 3), Ok(0));
        assert_eq!(t.complete(0, 3), Err(TrackerError::AlreadyCompleted { partition: 0, offset: 3 }));
        assert_eq!(t.complete(1, 0), Err(TrackerError::NeverDispatched { partition: 1, offset: 0 }));
        assert_eq!(t.dispatch(1, u64::MAX), Err(TrackerError::OffsetTooLarge { partition: 1 }));
        assert_eq!(t.safe_offset(0), Ok(0));
        assert_eq!(t.safe_offset(1), Ok(0));
        assert_eq!(t.complete(0, 0), Ok(4));
        assert!(t.dispatch(0, 4).is_ok(), "the window has room again");
    }

    #[test]
    fn bad_configurations_are_rejected() {
        assert!(matches!(OffsetTracker::new(0, 1), Err(TrackerError::Config { .. })));
        assert!(matches!(OffsetTracker::new(1, 0), Err(TrackerError::Config { .. })));
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = TrackerError::BelowSafeOffset { partition: 3, offset: 5, safe: 9 };
        assert_eq!(
            e.to_string(),
            "offset 5 of partition 3 is below its safe offset 9: it was completed already or never dispatched"
        );
        let e = TrackerError::UnknownPartition { partition: 4, partitions: 2 };
        assert_eq!(e.to_string(), "partition 4 is unknown: the tracker has partitions 0 to 1");
    }

    #[test]
    fn the_wrong_policy_passes_an_incomplete_record() {
        let t = OffsetTracker::wrong_highest_completed(1, 4).unwrap();
        t.dispatch(0, 0).unwrap();
        t.dispatch(0, 1).unwrap();
        assert_eq!(t.complete(0, 1), Ok(2), "passes offset 0, which is still in flight");
    }

    #[test]
    fn a_waiting_committer_wakes_when_the_prefix_grows_and_on_close() {
        let t = Arc::new(OffsetTracker::new(1, 4).unwrap());
        t.dispatch(0, 0).unwrap();
        t.dispatch(0, 1).unwrap();
        let committer = {
            let t = Arc::clone(&t);
            std::thread::spawn(move || {
                let mut seen = vec![];
                let mut last = 0;
                while let Ok(safe) = t.wait_past(0, last) {
                    seen.push(safe);
                    last = safe;
                }
                seen
            })
        };
        t.complete(0, 1).unwrap();
        t.complete(0, 0).unwrap();
        // However the threads interleave, the committer's first wait returns 2
        // (a satisfied wait wins over close), and its second ends on close.
        t.close();
        assert_eq!(committer.join().unwrap(), vec![2]);
        assert_eq!(t.dispatch(0, 2), Err(TrackerError::Closed));
    }
}
