//! Fault schedules: which consumer is killed or paused at which step.
//!
//! A schedule comes from one of two places: a seed ([`Schedule::random`],
//! Jepsen-style, so that a run that found an anomaly can be repeated
//! exactly), or a model counterexample ([`Schedule::from_trace`]), whose
//! crash and pause points become halts of the real consumers.

use super::plan::{Delivery, Membership, Plan};
use super::wire::{Halt, Point};
use crate::model::event::Actor;
use crate::scenario::Scenario;
use crate::trace::json::{EventKind, StepOf};
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// SIGKILL, then start the consumer again.
    Crash,
    /// Under auto-commit: the same, but only once librdkafka's background
    /// timer has had time to commit the offsets stored so far (the model's
    /// `auto-commit` and `commit` steps before the crash).
    CrashAfterAutoCommit,
    /// SIGSTOP past the session timeout (the group evicts it), then SIGCONT: a zombie.
    Pause,
    /// Start this other consumer only now (it joins the group late, which
    /// starts a rebalance), and hold the halted one until the group has
    /// told it so.
    Start(usize),
    /// A coordinator failover (`src/live/failover.rs`): stop the offsets
    /// partition's followers now, before the consumer's next commit, and
    /// kill their leader's broker once a commit is acknowledged.
    Failover,
    /// Nothing but the halt: the consumer waits here (after the commit a
    /// failover loses) until the failover is over and the harness has read
    /// the committed offsets back, as the model's trace has no step between.
    Hold,
}

/// One fault: `action` on `consumer` when it reaches `at` in its
/// `incarnation` (1 for the first process of that consumer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub consumer: usize,
    pub incarnation: u32,
    pub at: Halt,
    pub action: Action,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Halt { point, count } = self.at;
        match self.action {
            Action::Crash | Action::CrashAfterAutoCommit => {
                write!(f, "crash consumer-{} (start {}) ", self.consumer, self.incarnation)?
            }
            Action::Pause => write!(f, "pause consumer-{} (start {}) ", self.consumer, self.incarnation)?,
            Action::Start(late) => write!(
                f,
                "start consumer-{late} when consumer-{} (start {}) is ",
                self.consumer, self.incarnation
            )?,
            Action::Failover => write!(
                f,
                "fail the coordinator over at the next commit acknowledged once consumer-{} (start {}) is ",
                self.consumer, self.incarnation
            )?,
            Action::Hold => write!(
                f,
                "hold consumer-{} (start {}) through the failover ",
                self.consumer, self.incarnation
            )?,
        }
        if count == 0 { write!(f, "at start-up") } else { write!(f, "after {point} #{count}") }?;
        if self.action == Action::CrashAfterAutoCommit {
            write!(f, ", once an auto-commit ran")?;
        }
        Ok(())
    }
}

impl Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Schedule {
    pub faults: Vec<Fault>,
    /// `commit.processing: worker`: the worker thread is slower than the
    /// auto-commit timer (commits pass records it still has queued) rather
    /// than faster (it drains its queue before the next commit). The model
    /// leaves the pace open; a run has to pick one.
    #[serde(skip)]
    pub slow_worker: bool,
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.faults.is_empty() {
            return write!(f, "no faults");
        }
        let parts: Vec<String> = self.faults.iter().map(Fault::to_string).collect();
        write!(f, "{}", parts.join("; "))?;
        if self.slow_worker {
            write!(f, "; a slow worker")?;
        }
        Ok(())
    }
}

impl Schedule {
    /// The halts one start of a consumer must make.
    pub fn halts(&self, consumer: usize, incarnation: u32) -> Vec<Halt> {
        self.faults
            .iter()
            .filter(|f| f.consumer == consumer && f.incarnation == incarnation)
            .map(|f| f.at)
            .collect()
    }

    /// Consumers that start only when a `Start` fault starts them.
    pub fn late(&self, consumer: usize) -> bool {
        self.faults.iter().any(|f| f.action == Action::Start(consumer))
    }

    /// The faults a consumer's halt stands for, in schedule order.
    pub fn faults_at(&self, consumer: usize, incarnation: u32, at: Halt) -> Vec<Fault> {
        self.faults
            .iter()
            .filter(|f| f.consumer == consumer && f.incarnation == incarnation && f.at == at)
            .copied()
            .collect()
    }

    /// A seeded schedule within the plan's budgets: every crash and pause
    /// the scenario allows, each on a consumer, step kind and count drawn
    /// from `seed` (counts up to the records a consumer handles).
    pub fn random(plan: &Plan, seed: u64) -> Schedule {
        let mut rng = fastrand::Rng::with_seed(seed);
        let auto = plan.delivery.auto_commit().is_some();
        let points = plan.delivery.points();
        let consumers = usize::from(plan.consumers.max(1));
        let records = u32::from(plan.partitions) * (u32::from(plan.messages) + u32::from(plan.produce));
        let per_consumer = records.div_ceil(consumers as u32).max(1);
        let mut actions: Vec<Action> = std::iter::repeat_n(Action::Crash, usize::from(plan.crashes))
            .chain(std::iter::repeat_n(Action::Pause, usize::from(plan.pauses)))
            .chain(std::iter::repeat_n(Action::Failover, usize::from(plan.cluster.failovers)))
            .collect();
        rng.shuffle(&mut actions);
        let mut incarnation = vec![1u32; consumers];
        let mut faults: Vec<Fault> = Vec::new();
        // Under group assignment a member that joins late starts a rebalance:
        // each consumer but the first does so in half the schedules, when
        // consumer 0 reaches a random step.
        if let Membership::Group { .. } = plan.membership {
            for late in 1..consumers {
                if rng.bool() {
                    let at =
                        Halt { point: points[rng.usize(..points.len())], count: rng.u32(1..=per_consumer) };
                    if !faults.iter().any(|f| f.consumer == 0 && f.at == at) {
                        faults.push(Fault { consumer: 0, incarnation: 1, at, action: Action::Start(late) });
                    }
                }
            }
        }
        for mut action in actions {
            if auto && action == Action::Crash && rng.bool() {
                action = Action::CrashAfterAutoCommit;
            }
            let consumer = rng.usize(..consumers);
            let at = loop {
                let at = Halt { point: points[rng.usize(..points.len())], count: rng.u32(1..=per_consumer) };
                let taken = faults
                    .iter()
                    .any(|f| f.consumer == consumer && f.incarnation == incarnation[consumer] && f.at == at);
                if !taken || per_consumer * points.len() as u32 <= 1 {
                    break at;
                }
            };
            faults.push(Fault { consumer, incarnation: incarnation[consumer], at, action });
            if !matches!(action, Action::Pause | Action::Failover) {
                incarnation[consumer] += 1;
            }
        }
        let slow_worker = plan.delivery.has_worker() && rng.bool();
        Schedule { faults, slow_worker }
    }

    /// [`Schedule::from_trace`] of a trace the checker just found.
    pub fn from_model(trace: &crate::trace::Trace, scenario: &Scenario) -> Schedule {
        let steps: Vec<StepOf> = trace.steps.iter().map(StepOf::of).collect();
        Schedule::from_trace(&steps, scenario)
    }

    /// The crash and pause points of a model trace (the `steps` of a trace
    /// document), as halts of the real consumers: a consumer is stopped after
    /// the same count of receives, side effects or commits of its current
    /// start as in the trace. A pause is the model's eviction of a live
    /// member (`evict` while the consumer is up). Under auto-commit a
    /// `commit` is not a step of the consumer's but of librdkafka's timer: a
    /// crash after one waits for the timer.
    pub fn from_trace(steps: &[StepOf], scenario: &Scenario) -> Schedule {
        // A scenario live cannot run (commitAsync) has its commits read as
        // the poll loop's steps: commitAsync() is called there too.
        let delivery = Delivery::of(scenario).ok();
        let auto = delivery.is_some_and(|d| d.auto_commit().is_some());
        let mut joined = std::collections::BTreeSet::new();
        let mut last_busy: Option<usize> = None;
        let consumer_of = |a: Option<Actor>| a.and_then(Actor::consumer).map(usize::from);
        let mut tracks: Vec<Track> = Vec::new();
        let mut faults = Vec::new();
        // The halt just before the latest commit: where a failover stops the
        // followers so that this commit reaches the leader alone.
        let mut before_commit: Option<(usize, u32, Halt)> = None;
        let mut after_commit: Option<Halt> = None;
        for step in steps {
            if step.kind == EventKind::Failover {
                let busy = last_busy.map(|b| (b, tracks[b].incarnation, tracks[b].halt()));
                faults.extend(failover_faults(before_commit.take(), after_commit.take(), busy));
                continue;
            }
            let (actor, peer) = (Some(step.actor), step.peer);
            let (who, point) = match step.kind {
                EventKind::Receive => (consumer_of(actor), Some(Point::Receive)),
                EventKind::Process => (consumer_of(peer), Some(Point::Process)),
                EventKind::Commit => (consumer_of(peer), (!auto).then_some(Point::Commit)),
                EventKind::Crash | EventKind::Recover => (consumer_of(actor), None),
                EventKind::Evict => (consumer_of(peer), None),
                EventKind::Join => {
                    // A consumer's first join after another consumer has
                    // worked is a late start, at that consumer's last step.
                    let Some(c) = consumer_of(peer) else { continue };
                    if joined.insert(c)
                        && let Some(busy) = last_busy
                        && busy != c
                    {
                        let t = &tracks[busy];
                        let at = t.halt();
                        faults.push(Fault {
                            consumer: busy,
                            incarnation: t.incarnation,
                            at,
                            action: Action::Start(c),
                        });
                    }
                    continue;
                }
                _ => continue,
            };
            let Some(c) = who else { continue };
            if tracks.len() <= c {
                tracks.resize(c + 1, Track { incarnation: 1, ..Track::default() });
            }
            joined.insert(c);
            let t = &mut tracks[c];
            let at = t.halt();
            if step.kind == EventKind::Commit {
                before_commit = Some((c, t.incarnation, at));
                after_commit = point.map(|p| Halt { point: p, count: t.counts[p.index()] + 1 });
            }
            match (step.kind, point) {
                (_, Some(p)) => {
                    t.counts[p.index()] += 1;
                    t.last = Some(p);
                    t.auto_committed = false;
                    last_busy = Some(c);
                }
                (EventKind::Commit, None) => t.auto_committed = true,
                (EventKind::Crash, _) => {
                    let action = if t.auto_committed { Action::CrashAfterAutoCommit } else { Action::Crash };
                    faults.push(Fault { consumer: c, incarnation: t.incarnation, at, action });
                    *t = Track { incarnation: t.incarnation + 1, down: true, ..Track::default() };
                }
                (EventKind::Recover, _) => t.down = false,
                (EventKind::Evict, _) if !t.down => {
                    faults.push(Fault { consumer: c, incarnation: t.incarnation, at, action: Action::Pause })
                }
                _ => {}
            }
        }
        // Commits that passed records still queued need a worker slower than the timer.
        let slow_worker = delivery.is_some_and(Delivery::has_worker)
            && faults.iter().any(|f| f.action == Action::CrashAfterAutoCommit);
        Schedule { faults, slow_worker }
    }
}

/// One consumer's place in a trace, as [`Schedule::from_trace`] reads it.
#[derive(Default, Clone)]
struct Track {
    incarnation: u32,
    down: bool,
    counts: [u32; 3],
    last: Option<Point>,
    /// An auto-commit landed since the last step.
    auto_committed: bool,
}

impl Track {
    fn count_of_last(&self) -> u32 {
        self.last.map_or(0, |p| self.counts[p.index()])
    }

    /// The halt after its last step.
    fn halt(&self) -> Halt {
        Halt { point: self.last.unwrap_or(Point::Receive), count: self.count_of_last() }
    }
}

/// A trace's failover: the followers stop at the halt before the latest
/// commit (`before_commit`, which the failover then loses; else the last busy
/// consumer's halt, else consumer-0's start-up), and the consumer is held
/// after that commit (`after_commit`) until the failover is over.
fn failover_faults(
    before_commit: Option<(usize, u32, Halt)>,
    after_commit: Option<Halt>,
    busy: Option<(usize, u32, Halt)>,
) -> Vec<Fault> {
    let (consumer, incarnation, at) =
        before_commit.or(busy).unwrap_or((0, 1, Halt { point: Point::Receive, count: 0 }));
    let mut faults = vec![Fault { consumer, incarnation, at, action: Action::Failover }];
    if let (Some(_), Some(at)) = (before_commit, after_commit) {
        faults.push(Fault { consumer, incarnation, at, action: Action::Hold });
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Actor::{Consumer, Coordinator, Sink};

    fn step(kind: EventKind, actor: Actor, peer: Option<Actor>) -> StepOf {
        StepOf { kind, actor, peer }
    }

    fn halt(point: Point, count: u32) -> Halt {
        Halt { point, count }
    }

    #[test]
    fn a_crash_after_processing_becomes_a_halt_after_that_side_effect() {
        let steps = [
            step(EventKind::Receive, Consumer(0), None),
            step(EventKind::Process, Sink, Some(Consumer(0))),
            step(EventKind::Crash, Consumer(0), None),
            step(EventKind::Recover, Consumer(0), None),
            step(EventKind::Receive, Consumer(0), None),
            step(EventKind::Commit, Coordinator, Some(Consumer(0))),
            step(EventKind::Crash, Consumer(0), None),
        ];
        let s = Schedule::from_trace(&steps, &Scenario::default());
        assert_eq!(s.halts(0, 1), vec![halt(Point::Process, 1)]);
        assert_eq!(s.halts(0, 2), vec![halt(Point::Commit, 1)]);
        assert_eq!(s.faults[1].to_string(), "crash consumer-0 (start 2) after commit #1");
    }

    #[test]
    fn an_eviction_of_a_live_member_is_a_pause_and_of_a_crashed_one_nothing() {
        let steps = [
            step(EventKind::Crash, Consumer(1), None),
            step(EventKind::Evict, Coordinator, Some(Consumer(1))),
            step(EventKind::Receive, Consumer(0), None),
            step(EventKind::Evict, Coordinator, Some(Consumer(0))),
        ];
        let s = Schedule::from_trace(&steps, &Scenario::default());
        assert_eq!(s.faults.len(), 2);
        assert_eq!(s.faults[0].at, halt(Point::Receive, 0));
        assert_eq!(s.faults_at(0, 1, halt(Point::Receive, 1))[0].action, Action::Pause);
    }

    #[test]
    fn a_failover_stops_the_followers_before_the_commit_it_loses() {
        let steps = [
            step(EventKind::Receive, Consumer(0), None),
            step(EventKind::Process, Sink, Some(Consumer(0))),
            step(EventKind::Commit, Coordinator, Some(Consumer(0))),
            step(EventKind::Receive, Consumer(0), None),
            step(EventKind::Process, Sink, Some(Consumer(0))),
            step(EventKind::Commit, Coordinator, Some(Consumer(0))),
            step(EventKind::Failover, Coordinator, None),
            step(EventKind::Crash, Consumer(0), None),
        ];
        let s = Schedule::from_trace(&steps, &Scenario::default());
        assert_eq!(s.faults.len(), 3, "{s}");
        assert_eq!(s.faults_at(0, 1, halt(Point::Process, 2))[0].action, Action::Failover);
        let after: Vec<Action> = s.faults_at(0, 1, halt(Point::Commit, 2)).iter().map(|f| f.action).collect();
        assert_eq!(after, [Action::Hold, Action::Crash], "held through the failover, then crashed");
        assert_eq!(
            s.faults[0].to_string(),
            "fail the coordinator over at the next commit acknowledged once consumer-0 (start 1) is after process #2"
        );
    }

    #[test]
    fn a_seed_gives_the_same_schedule_within_the_budgets() {
        let scenario = Scenario { consumers: 2, messages: 3, crashes: 2, ..Scenario::default() };
        let plan = Plan::new(&scenario).unwrap();
        for seed in 0..50 {
            let s = Schedule::random(&plan, seed);
            assert_eq!(s, Schedule::random(&plan, seed));
            assert_eq!(s.faults.len(), 2, "pauses need group assignment");
            assert!(s.faults.iter().all(|f| f.at.count >= 1 && f.consumer < 2));
        }
        assert_ne!(Schedule::random(&plan, 1), Schedule::random(&plan, 2));
    }
}
