//! What a check may spend, and how far a search got when it stopped.
//!
//! One scenario's check runs several searches one after another (the
//! proving search, then one breadth-first search for counterexamples); they
//! share one deadline (`--timeout`) and one memory limit (`--max-memory`).
//! A watcher thread polls both while a search runs and raises the search's
//! [`Stop`] when one is reached ([`super::stoppable`] explains how that ends
//! a Stateright search), printing progress lines meanwhile.

use super::{Progress, memory};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// Why a search did not visit every reachable state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `--timeout` ran out.
    Timeout,
    /// The process's resident memory reached `--max-memory`.
    MaxMemory,
    /// Paths were cut at `--max-depth`.
    MaxDepth,
    /// Random walks, which never visit every state.
    Simulation,
    /// Every property already had a counterexample, so the search stopped
    /// (Stateright's default): nothing is unknown, but the state count is partial.
    AllDiscovered,
}

impl StopReason {
    /// The reason's name in the JSON document and JUnit.
    pub const fn name(self) -> &'static str {
        match self {
            StopReason::Timeout => "timeout",
            StopReason::MaxMemory => "max-memory",
            StopReason::MaxDepth => "max-depth",
            StopReason::Simulation => "simulation",
            StopReason::AllDiscovered => "all-discovered",
        }
    }

    const fn code(self) -> u8 {
        match self {
            StopReason::Timeout => 1,
            StopReason::MaxMemory => 2,
            StopReason::MaxDepth => 3,
            StopReason::Simulation => 4,
            StopReason::AllDiscovered => 5,
        }
    }

    fn of_code(code: u8) -> Option<StopReason> {
        [
            StopReason::Timeout,
            StopReason::MaxMemory,
            StopReason::MaxDepth,
            StopReason::Simulation,
            StopReason::AllDiscovered,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// The stop of one search: raised once, with its reason, by the watcher.
#[derive(Debug, Default)]
pub struct Stop(AtomicU8);

impl Stop {
    /// Raises the stop, unless it already is (the first reason stays).
    pub fn raise(&self, reason: StopReason) {
        let _ = self.0.compare_exchange(0, reason.code(), Ordering::Relaxed, Ordering::Relaxed);
    }

    pub fn raised(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// Why it was raised, lowering it: a stopped model offers no steps, and
    /// rebuilding a discovery's path replays the model's steps.
    pub fn take(&self) -> Option<StopReason> {
        StopReason::of_code(self.0.swap(0, Ordering::Relaxed))
    }
}

/// The limits of one search.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub deadline: Option<Instant>,
    pub memory: Option<u64>,
}

impl Limits {
    /// The limit already reached, if any.
    fn reached(&self) -> Option<StopReason> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(StopReason::Timeout);
        }
        let resident = self.memory.and_then(|_| memory::resident_bytes());
        match (self.memory, resident) {
            (Some(limit), Some(resident)) if resident >= limit => Some(StopReason::MaxMemory),
            _ => None,
        }
    }
}

/// How far a search got: unique states and the deepest state visited
/// (Stateright counts the initial state as depth 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Reached {
    pub states: usize,
    pub depth: usize,
}

/// Where a search's progress lines go, and what they are about.
pub struct Reporter<'a> {
    pub progress: Option<fn(&Progress)>,
    pub scenario: &'a str,
    /// When the scenario's check began: progress shows the time of all its searches.
    pub start: Instant,
}

/// How often the watcher looks at the clock and the resident memory. A
/// breadth-first search of a group scenario grows by up to some 90 MB a
/// second: measured, a 256 MiB limit was overshot by 8 to 11 MB (the last
/// poll's growth, and the queue's states still being checked as the stop
/// spreads).
const POLL: Duration = Duration::from_millis(50);
/// How often a progress line is produced (the first after one second, so
/// quick checks print none).
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Joins a spawned search's threads while watching its limits. `counts`
/// reads the search's progress (a running Stateright checker answers it).
/// Returns why the watcher stopped it and how far it had got at that
/// moment (read before the stop, so the states drained after it are not
/// counted as checked), or `None` if the search ended on its own.
pub fn watch(
    handles: Vec<std::thread::JoinHandle<()>>,
    counts: &(dyn Fn() -> Reached + Sync),
    stop: &Stop,
    limits: Limits,
    phase: &str,
    reporter: &Reporter,
) -> Option<(StopReason, Reached)> {
    let (finished, wait) = std::sync::mpsc::channel::<()>();
    let begun = Instant::now();
    let at_stop = std::thread::scope(|scope| {
        let watcher = scope.spawn(move || {
            let mut at_stop = None;
            let mut next_progress = begun + PROGRESS_EVERY;
            while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(POLL) {
                if at_stop.is_none()
                    && let Some(reason) = limits.reached()
                {
                    at_stop = Some((reason, counts()));
                    stop.raise(reason);
                }
                if Instant::now() >= next_progress {
                    next_progress += PROGRESS_EVERY;
                    report(reporter, phase, counts(), begun.elapsed());
                }
            }
            at_stop
        });
        for h in handles {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
        drop(finished);
        watcher.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    stop.take();
    at_stop
}

fn report(reporter: &Reporter, phase: &str, reached: Reached, phase_time: Duration) {
    if let Some(show) = reporter.progress {
        show(&Progress {
            scenario: reporter.scenario,
            phase,
            states: reached.states,
            depth: reached.depth,
            states_per_second: reached.states as f64 / phase_time.as_secs_f64().max(1e-3),
            elapsed: reporter.start.elapsed(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_keeps_its_first_reason_until_taken() {
        let stop = Stop::default();
        assert!(!stop.raised());
        stop.raise(StopReason::MaxMemory);
        stop.raise(StopReason::Timeout);
        assert!(stop.raised());
        assert_eq!(stop.take(), Some(StopReason::MaxMemory));
        assert!(!stop.raised());
        assert_eq!(stop.take(), None);
        for reason in [
            StopReason::Timeout,
            StopReason::MaxMemory,
            StopReason::MaxDepth,
            StopReason::Simulation,
            StopReason::AllDiscovered,
        ] {
            assert_eq!(StopReason::of_code(reason.code()), Some(reason));
        }
    }

    #[test]
    fn limits_are_reached_at_the_deadline_or_the_memory_limit() {
        let now = Instant::now();
        let open = Limits { deadline: Some(now + Duration::from_secs(60)), memory: Some(u64::MAX) };
        assert_eq!(open.reached(), None);
        let late = Limits { deadline: Some(now), ..open };
        assert_eq!(late.reached(), Some(StopReason::Timeout));
        if memory::resident_bytes().is_some() {
            let full = Limits { deadline: None, memory: Some(1) };
            assert_eq!(full.reached(), Some(StopReason::MaxMemory));
        }
    }

    #[test]
    fn the_watcher_stops_a_search_at_its_deadline_and_says_how_far_it_got() {
        let stop = std::sync::Arc::new(Stop::default());
        let seen = std::sync::Arc::clone(&stop);
        // A "search" that runs until stopped.
        let search = std::thread::spawn(move || {
            while !seen.raised() {
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let limits = Limits { deadline: Some(Instant::now() + Duration::from_millis(100)), memory: None };
        let reporter = Reporter { progress: None, scenario: "s", start: Instant::now() };
        let counts = || Reached { states: 7, depth: 3 };
        let stopped = watch(vec![search], &counts, &stop, limits, "proving", &reporter);
        assert_eq!(stopped, Some((StopReason::Timeout, Reached { states: 7, depth: 3 })));
        assert!(!stop.raised(), "lowered once the search is joined");

        let quick = std::thread::spawn(|| {});
        let open = Limits { deadline: None, memory: None };
        assert_eq!(watch(vec![quick], &counts, &stop, open, "proving", &reporter), None);
    }
}
