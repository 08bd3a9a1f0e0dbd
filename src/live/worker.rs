//! The worker thread of `commit.processing: worker`: the poll loop hands it
//! records and goes on polling while it processes them, each taking a while
//! (a slow side effect), so an auto-commit can pass records still queued
//! here: the case the model's `commit-auto-worker` is about.

use super::sink::SinkWriter;
use super::wire::{Point, Report};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

/// The poll loop's end of the worker.
pub struct Worker {
    queue: Sender<(i32, i64)>,
    /// Records handed over and not yet processed.
    pending: Arc<AtomicUsize>,
}

impl Worker {
    /// Starts the thread; it writes each record's side effect to `sink`
    /// after `each`, reports it, and halts where `halts` says.
    pub fn start(mut sink: SinkWriter, each: Duration, mut halts: super::consumer::Halts) -> Worker {
        let (queue, records) = mpsc::channel::<(i32, i64)>();
        let pending = Arc::new(AtomicUsize::new(0));
        let done = Arc::clone(&pending);
        std::thread::spawn(move || {
            for (partition, offset) in records {
                std::thread::sleep(each);
                if let Err(e) = sink.append(partition, offset) {
                    eprintln!("cannot write the sink: {e}");
                    std::process::exit(2);
                }
                super::consumer::emit(Report::Processed { partition, offset });
                done.fetch_sub(1, Ordering::SeqCst);
                halts.step(Point::Process);
            }
        });
        Worker { queue, pending }
    }

    pub fn hand_over(&self, partition: i32, offset: i64) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        // The thread only ends with the process, so the queue is always open.
        let _ = self.queue.send((partition, offset));
    }

    pub fn busy(&self) -> bool {
        self.pending.load(Ordering::SeqCst) > 0
    }
}
