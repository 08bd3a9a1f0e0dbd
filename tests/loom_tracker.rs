//! Every interleaving of workers completing offsets and a committer reading
//! the safe offset, checked by loom on the shipped `OffsetTracker` (its
//! `sync` shim switches to loom's primitives under `--cfg loom`).
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_tracker -- --nocapture
//! ```
//!
//! Each test prints how many interleavings loom explored. Without
//! `LOOM_MAX_PREEMPTIONS` the bound is 2 as well; raising it explores more
//! and takes much longer.
//!
//! What the committer observes is checked against ghost state: a flag per
//! record that its worker sets just before reporting the completion. The flags
//! are `std` atomics, not loom's: they are the test's record of what happened,
//! not part of the system under test, so they add no schedule points. Loom
//! runs its threads one at a time, so they are exact in every interleaving.
#![cfg(loom)]

use kafkacheck::tracker::{OffsetTracker, TrackerError};
use loom::sync::Arc;
use loom::sync::mpsc;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The ghost state of one execution: which of the records `0 .. end` have
/// been processed.
struct Processed(Vec<AtomicBool>);

impl Processed {
    fn new(end: u64) -> std::sync::Arc<Processed> {
        std::sync::Arc::new(Processed((0..end).map(|_| AtomicBool::new(false)).collect()))
    }

    /// What a worker does with a record: process it, then report it.
    fn process_and_complete(&self, tracker: &OffsetTracker, offset: u64) -> u64 {
        self.0[offset as usize].store(true, Ordering::SeqCst);
        let safe = tracker.complete(0, offset).expect("a dispatched record completes once");
        self.assert_safe(safe);
        safe
    }

    /// The guarantee: a safe offset never passes an unprocessed record.
    fn assert_safe(&self, safe: u64) {
        let end = self.0.len() as u64;
        assert!(safe <= end, "safe offset {safe} is past the end {end}");
        for offset in 0..safe {
            assert!(
                self.0[offset as usize].load(Ordering::SeqCst),
                "safe offset {safe} passes offset {offset}, which is not processed"
            );
        }
    }
}

/// Runs `body` in every interleaving loom explores and returns how many that
/// was. The preemption bound comes from `LOOM_MAX_PREEMPTIONS`, 2 if unset.
fn explore(name: &str, body: impl Fn() + Sync + Send + 'static) -> usize {
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let counter = std::sync::Arc::clone(&count);
    builder.check(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        body();
    });
    let explored = count.load(Ordering::SeqCst);
    println!("{name}: {explored} interleavings explored (preemption bound {:?})", builder.preemption_bound);
    explored
}

/// Records of the blocking-committer check: offsets `0 .. BLOCKING_END`.
const BLOCKING_END: u64 = 4;

/// Offsets 0 to 3 dispatched; one worker completes 0 then 1, another 2 then
/// 3, so loom chooses every order in which the records complete (2 and 3 may
/// finish before 0). A committer blocks in `wait_past` for each advance until
/// it has seen the end; a lost wakeup would leave it blocked forever, which
/// loom reports as a deadlock. Run in the order the threads are spawned, the
/// wrong policy passes nothing: loom has to find the order that shows it.
fn blocking_committer(make: fn() -> OffsetTracker) {
    let tracker = Arc::new(make());
    for offset in 0..BLOCKING_END {
        tracker.dispatch(0, offset).unwrap();
    }
    let processed = Processed::new(BLOCKING_END);
    let workers: Vec<_> = [[0, 1], [2, 3]]
        .into_iter()
        .map(|offsets| {
            let (tracker, processed) = (Arc::clone(&tracker), std::sync::Arc::clone(&processed));
            loom::thread::spawn(move || {
                for offset in offsets {
                    processed.process_and_complete(&tracker, offset);
                }
            })
        })
        .collect();
    let committer = {
        let (tracker, processed) = (Arc::clone(&tracker), std::sync::Arc::clone(&processed));
        loom::thread::spawn(move || {
            let mut committed = 0;
            while committed < BLOCKING_END {
                let safe = tracker.wait_past(0, committed).unwrap();
                assert!(safe > committed, "wait_past({committed}) returned {safe}");
                processed.assert_safe(safe);
                committed = safe;
            }
        })
    };
    for worker in workers {
        worker.join().unwrap();
    }
    committer.join().unwrap();
    assert_eq!(tracker.safe_offset(0).unwrap(), BLOCKING_END);
}

fn correct() -> OffsetTracker {
    OffsetTracker::new(1, BLOCKING_END as usize).unwrap()
}

fn wrong() -> OffsetTracker {
    OffsetTracker::wrong_highest_completed(1, BLOCKING_END as usize).unwrap()
}

#[test]
fn a_blocking_committer_never_passes_an_incomplete_record_and_reaches_the_end() {
    let explored = explore("blocking committer", || blocking_committer(correct));
    assert!(explored > 1, "loom explored a single interleaving: the threads did not interleave");
}

#[test]
fn three_workers_and_a_polling_committer() {
    // Each worker completes one offset, so loom picks every completion order;
    // the committer reads the safe offset twice without blocking, in between.
    let explored = explore("polling committer", || {
        const END: u64 = 3;
        let tracker = Arc::new(OffsetTracker::new(1, END as usize).unwrap());
        for offset in 0..END {
            tracker.dispatch(0, offset).unwrap();
        }
        let processed = Processed::new(END);
        let workers: Vec<_> = (0..END)
            .map(|offset| {
                let (tracker, processed) = (Arc::clone(&tracker), std::sync::Arc::clone(&processed));
                loom::thread::spawn(move || {
                    processed.process_and_complete(&tracker, offset);
                })
            })
            .collect();
        let committer = {
            let (tracker, processed) = (Arc::clone(&tracker), std::sync::Arc::clone(&processed));
            loom::thread::spawn(move || {
                let first = tracker.safe_offset(0).unwrap();
                processed.assert_safe(first);
                let second = tracker.safe_offset(0).unwrap();
                processed.assert_safe(second);
                assert!(second >= first, "the safe offset went back from {first} to {second}");
            })
        };
        for worker in workers {
            worker.join().unwrap();
        }
        committer.join().unwrap();
        assert_eq!(tracker.safe_offset(0).unwrap(), END);
    });
    assert!(explored > 1, "loom explored a single interleaving: the threads did not interleave");
}

#[test]
fn a_full_window_blocks_the_poll_loop_until_the_oldest_record_completes() {
    // A window of 2 records: the poll loop (this thread) hands offsets 0 and 2
    // to one worker and 1 to another through channels; dispatching 2 fails
    // while 0 is in flight, and the poll loop waits for room with wait_past.
    // (Loom's channels do not report a hang-up, so each worker knows how many
    // records it gets.)
    let full = std::sync::Arc::new(AtomicUsize::new(0));
    let full_seen = std::sync::Arc::clone(&full);
    let explored = explore("full window", move || {
        const END: u64 = 3;
        let tracker = Arc::new(OffsetTracker::new(1, 2).unwrap());
        let processed = Processed::new(END);
        let (senders, workers): (Vec<_>, Vec<_>) = [2, 1]
            .into_iter()
            .map(|records| {
                let (send, receive) = mpsc::channel::<u64>();
                let (tracker, processed) = (Arc::clone(&tracker), std::sync::Arc::clone(&processed));
                let worker = loom::thread::spawn(move || {
                    for _ in 0..records {
                        processed.process_and_complete(&tracker, receive.recv().unwrap());
                    }
                });
                (send, worker)
            })
            .unzip();
        for offset in 0..END {
            loop {
                match tracker.dispatch(0, offset) {
                    Ok(()) => break,
                    Err(TrackerError::WindowFull { oldest_incomplete, .. }) => {
                        assert_eq!(
                            (offset, oldest_incomplete),
                            (2, 0),
                            "only offset 2 can find the window full"
                        );
                        full_seen.fetch_add(1, Ordering::SeqCst);
                        let safe = tracker.wait_past(0, oldest_incomplete).unwrap();
                        processed.assert_safe(safe);
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            senders[(offset % 2) as usize].send(offset).unwrap();
        }
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(tracker.safe_offset(0).unwrap(), END);
    });
    println!("full window: the window was full {} times", full.load(Ordering::SeqCst));
    assert!(explored > 1, "loom explored a single interleaving: the threads did not interleave");
    assert!(
        full.load(Ordering::SeqCst) > 0,
        "no interleaving found the window full: the test lost its point"
    );
}

#[test]
fn loom_catches_the_wrong_policy() {
    // The same check as the first test on the tracker that commits the highest
    // completed offset + 1: loom must find the interleaving where it passes a
    // record still being processed. If this test fails, the checks above have
    // stopped checking.
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&count);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        explore("wrong policy", move || {
            counter.fetch_add(1, Ordering::SeqCst);
            blocking_committer(wrong);
        })
    }));
    println!("wrong policy: caught after {} interleavings", count.load(Ordering::SeqCst));
    assert!(outcome.is_err(), "loom explored every interleaving of the wrong policy without a failure");
}
