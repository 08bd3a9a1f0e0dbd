//! One live run: a fresh topic with the scenario's records, the scenario's
//! consumers as real processes, the schedule's faults injected at their
//! halts, and the history checked once every consumer is idle.
//!
//! Faults are signals to a process halted at an exact step: SIGKILL for a
//! crash (the consumer is started again at once, as the model's recovery),
//! SIGSTOP for a pause, held past the session timeout until the group has
//! moved on (every other consumer idle), then SIGCONT: the zombie goes on
//! from where it stopped. Every process is stopped by its id at the end.

use super::cluster::{Cluster, Placement};
use super::consumer::heartbeat_ms;
use super::history::{Anomaly, History, ReadBack, Recorded};
use super::plan::{Delivery, Membership, Plan, RunPlan};
use super::schedule::{Action, Schedule};
use super::sink::SinkLog;
use super::wire::{Halt, Report};
use serde::Serialize;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How long every consumer must have been idle, with nothing reported, before a run ends.
const QUIET: Duration = Duration::from_millis(700);

/// A paused consumer stays stopped at most this long past its session timeout.
const PAUSE_SLACK: Duration = Duration::from_secs(20);

/// Everything a run needs besides its schedule.
pub struct RunSetup<'a> {
    pub plan: &'a Plan,
    pub cluster: &'a Cluster,
    /// The private cluster's nodes, where coordinator failovers are injected.
    pub nodes: Option<&'a std::cell::RefCell<super::broker::kraft::KraftCluster>>,
    pub bootstrap: &'a str,
    /// How the run's client starts a consumer process ([`super::client`]).
    pub launcher: &'a super::client::Launcher,
    pub session_timeout_ms: u32,
    /// A run still busy after this long is stopped and reported incomplete.
    pub deadline: Duration,
    /// Where the run's topics go; `None` on the private cluster, whose
    /// runs place them away from the failover, run by run
    /// ([`super::failover::input_placement`]).
    pub placement: Option<Placement>,
    /// Delete the run's topic and group afterwards (the user's cluster; the
    /// private broker is thrown away whole).
    pub clean_up: bool,
}

/// The outcome of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub run: u32,
    /// How the run delivered (`Delivery::name`): `transactional` for Kafka's
    /// exactly-once, `exactly-once` for the external store, ...
    pub delivery: &'static str,
    /// The seed of a random schedule (`None` for a replayed trace).
    pub seed: Option<u64>,
    pub schedule: Schedule,
    /// The faults that were injected, in order (a halt a consumer never reached is not).
    pub injected: Vec<String>,
    /// Every consumer went idle before the deadline.
    pub complete: bool,
    pub millis: u64,
    pub anomalies: Vec<Anomaly>,
    pub topic: String,
    /// The run's files: the sink, each consumer's stderr.
    pub dir: PathBuf,
    /// Clean-up problems and consumer processes that exited on their own.
    pub notes: Vec<String>,
}

enum Line {
    Report { consumer: usize, incarnation: u32, report: Report },
    Closed { consumer: usize, incarnation: u32 },
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Busy,
    Idle,
    /// Stopped by SIGSTOP since then; `moved_on` once another consumer
    /// was given a new assignment (the group evicted this one).
    Paused {
        since: Instant,
        moved_on: bool,
    },
    /// Halted while a late consumer joins: held until that consumer is
    /// ready and the group has had a heartbeat to tell this one (or 10 s).
    Held {
        since: Instant,
        late: usize,
        ready: Option<Instant>,
    },
    /// Halted, to be killed then (once librdkafka's auto-commit timer ran).
    Dying(Instant),
}

struct Process {
    child: Child,
    stdin: ChildStdin,
    incarnation: u32,
    state: State,
}

impl Process {
    fn signal(&self, signal: libc::c_int) {
        // A pid of our own live child: at worst the signal finds it already dead.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn go(&mut self) {
        let _ = writeln!(self.stdin, "go");
        self.state = State::Busy;
    }
}

impl RunSetup<'_> {
    /// Runs the scenario once under `schedule`; its files go to `dir`.
    pub fn run(
        &self,
        run: u32,
        seed: Option<u64>,
        schedule: &Schedule,
        dir: &Path,
    ) -> Result<RunResult, String> {
        let s = self.plan;
        let plan = self.prepare(dir)?;
        let partitions = i32::from(s.partitions);
        let (tx, rx) = mpsc::channel();
        let total = i64::from(s.messages) + i64::from(s.produce);
        let history = History {
            partitions,
            messages: total,
            starts_fetch_committed: s.membership == Membership::Manual && !s.delivery.commits_to_sink(),
            ..History::default()
        };
        let mut driver = Driver {
            setup: self,
            schedule,
            run: plan.clone(),
            dir,
            tx,
            start: Instant::now(),
            processes: (0..usize::from(s.consumers)).map(|_| None).collect(),
            history,
            producer: if s.produce > 0 { Producer::Waiting } else { Producer::Done },
            injected: Vec::new(),
            notes: Vec::new(),
            last_report: Instant::now(),
            isolated: None,
            harness_time: Duration::ZERO,
        };
        let mut outcome = Ok(());
        for c in 0..usize::from(s.consumers) {
            if !schedule.late(c) {
                outcome = outcome.and_then(|()| driver.spawn(c, 1));
            }
        }
        let outcome = outcome.and_then(|()| driver.drive(&rx));
        // Followers still stopped (the run ended before a commit) are let go.
        driver.fail_over();
        for p in driver.processes.iter_mut().flatten() {
            p.stop();
        }
        outcome?;
        let Driver { mut history, injected, mut notes, start, .. } = driver;
        // Reports written before the processes stopped are still in the pipe.
        while let Ok(Line::Report { consumer, incarnation, report }) =
            rx.recv_timeout(Duration::from_millis(50))
        {
            let at_ms = start.elapsed().as_millis() as u64;
            history.reports.push(Recorded { at_ms, consumer, incarnation, report });
        }
        self.read_outcome(&mut history, &plan, dir, &mut notes)?;
        if self.clean_up {
            notes.extend(self.clean_up_run(&plan.topic, &plan.output_topic, &plan.group));
        }
        write_history(dir, &history);
        Ok(RunResult {
            run,
            delivery: s.delivery.name(),
            seed,
            schedule: schedule.clone(),
            injected,
            complete: history.complete,
            millis: start.elapsed().as_millis() as u64,
            anomalies: history.anomalies(),
            topic: plan.topic,
            dir: dir.to_path_buf(),
            notes,
        })
    }

    /// A run's own topics and group, named uniquely so that runs never share
    /// them, created and filled with the scenario's records.
    fn prepare(&self, dir: &Path) -> Result<RunPlan, String> {
        let s = self.plan;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let stem = dir.file_name().map_or("run".into(), |n| n.to_string_lossy().into_owned());
        let unique =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros());
        let topic = format!("kafkacheck-{stem}-{}-{unique}", std::process::id());
        let partitions = i32::from(s.partitions);
        let placement = match &self.placement {
            Some(placement) => placement.clone(),
            None => super::failover::input_placement(self.cluster)?,
        };
        self.cluster.create_topic(&topic, partitions, &placement)?;
        let output_topic = format!("{topic}-out");
        if s.delivery == Delivery::Transactional {
            self.cluster.create_topic(&output_topic, partitions, &placement)?;
        }
        self.cluster.produce(&topic, partitions, i64::from(s.messages))?;
        let sink = dir.join("sink.log");
        let _ = std::fs::remove_file(&sink);
        Ok(RunPlan {
            bootstrap: self.bootstrap.to_string(),
            group: format!("{topic}-group"),
            topic,
            output_topic,
            sink,
            session_timeout_ms: self.session_timeout_ms,
        })
    }

    /// What the run left behind, read once its consumers stopped: what was
    /// processed (the sink, or a transactional run's output topic read back)
    /// and the committed offsets (OffsetFetch, or the external store's).
    fn read_outcome(
        &self,
        history: &mut History,
        plan: &RunPlan,
        dir: &Path,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        let (delivery, partitions) = (self.plan.delivery, i32::from(self.plan.partitions));
        history.sink = match delivery {
            Delivery::Transactional => {
                super::output::processed(self.bootstrap, &plan.output_topic, partitions, dir, notes)?
            }
            _ => SinkLog::read(&plan.sink).map_err(|e| format!("cannot read the sink: {e}"))?,
        };
        history.committed = if delivery.commits_to_sink() {
            (0..partitions).filter_map(|p| Some((p, history.sink.next_offset(p)?))).collect()
        } else {
            super::failover::read_back(self.cluster, &plan.topic, &plan.group, partitions)?
        };
        Ok(())
    }

    /// Deletes the run's topics and group; the problems, as run notes.
    fn clean_up_run(&self, topic: &str, output_topic: &str, group: &str) -> Vec<String> {
        let session = Duration::from_millis(u64::from(self.session_timeout_ms) + 1000);
        let mut problems = self.cluster.clean_up(topic, group, session);
        if self.plan.delivery == Delivery::Transactional {
            problems.extend(self.cluster.delete_topic(output_topic));
        }
        problems.into_iter().map(|p| format!("clean-up: {p}")).collect()
    }

    fn spawn(
        &self,
        consumer: usize,
        incarnation: u32,
        schedule: &Schedule,
        run: &RunPlan,
        dir: &Path,
        tx: &Sender<Line>,
    ) -> Result<Process, String> {
        let stderr = std::fs::File::create(dir.join(format!("consumer-{consumer}.{incarnation}.stderr")))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let halts = schedule.halts(consumer, incarnation);
        // Consumer numbers come from the plan's `consumers`, a u8.
        let number = u8::try_from(consumer).map_err(|_| format!("no consumer-{consumer} in the plan"))?;
        let plan = self.plan.consumer(run, number, incarnation, halts, schedule.slow_worker);
        let mut cmd = self.launcher.command(&plan.to_json());
        super::child::dies_with_harness(&mut cmd);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.launcher.program()))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(report) = Report::parse(&line) {
                    let _ = tx.send(Line::Report { consumer, incarnation, report });
                }
            }
            let _ = tx.send(Line::Closed { consumer, incarnation });
        });
        Ok(Process { child, stdin, incarnation, state: State::Busy })
    }
}

enum Producer {
    Waiting,
    Running(std::thread::JoinHandle<Result<(), String>>),
    Done,
}

/// The time between two produced records: enough for consumers to read in between.
const PRODUCE_GAP: Duration = Duration::from_millis(30);

/// The state of a run's event loop.
struct Driver<'a> {
    setup: &'a RunSetup<'a>,
    schedule: &'a Schedule,
    /// What every consumer process of the run is given.
    run: RunPlan,
    /// The run's files.
    dir: &'a Path,
    tx: Sender<Line>,
    start: Instant,
    /// One slot per consumer; `None` for a late consumer not started yet.
    processes: Vec<Option<Process>>,
    history: History,
    /// `produce`: the producer appending records while the consumers run,
    /// started once every first consumer is ready.
    producer: Producer,
    injected: Vec<String>,
    notes: Vec<String>,
    last_report: Instant,
    /// A failover's first phase is done: its followers are stopped.
    isolated: Option<super::failover::Isolated>,
    /// Time spent in the harness's own failover steps, which the deadline does not count.
    harness_time: Duration,
}

impl Driver<'_> {
    fn spawn(&mut self, consumer: usize, incarnation: u32) -> Result<(), String> {
        let p = self.setup.spawn(consumer, incarnation, self.schedule, &self.run, self.dir, &self.tx)?;
        self.processes[consumer] = Some(p);
        Ok(())
    }

    /// Nothing reported for a while and every consumer but `except` idle
    /// (or not started yet).
    fn settled(&self, except: usize) -> bool {
        self.last_report.elapsed() >= QUIET
            && self
                .processes
                .iter()
                .enumerate()
                .all(|(i, p)| i == except || p.as_ref().is_none_or(|p| p.state == State::Idle))
    }

    /// Resumes paused and held consumers whose time has come; starts late
    /// consumers whose trigger never came once everyone else is idle.
    fn wake(&mut self) -> Result<(), String> {
        let session = Duration::from_millis(u64::from(self.setup.session_timeout_ms));
        let hold = Duration::from_millis(u64::from(heartbeat_ms(self.setup.session_timeout_ms))) + QUIET;
        for i in 0..self.processes.len() {
            let settled = self.settled(i);
            // Alone in the group, nobody is there to take over.
            let alone = self.processes.iter().enumerate().all(|(j, q)| j == i || q.is_none());
            let Some(p) = self.processes[i].as_mut() else { continue };
            match p.state {
                State::Paused { since, moved_on } => {
                    let waited = since.elapsed();
                    let moved_on = moved_on || alone && waited >= session + Duration::from_secs(1);
                    if waited >= session && moved_on && settled || waited >= session + PAUSE_SLACK {
                        p.signal(libc::SIGCONT);
                        p.go();
                        self.injected.push(format!("resumed consumer-{i} after {} ms", waited.as_millis()));
                        self.last_report = Instant::now();
                    }
                }
                State::Held { since, ready, .. } => {
                    if ready.is_some_and(|r| r.elapsed() >= hold)
                        || since.elapsed() >= Duration::from_secs(10)
                    {
                        p.go();
                    }
                }
                State::Dying(at) if Instant::now() >= at => self.restart(i)?,
                State::Dying(_) | State::Busy | State::Idle => {}
            }
        }
        let started_idle = self.processes.iter().flatten().all(|p| p.state == State::Idle);
        if started_idle && self.last_report.elapsed() >= QUIET {
            for c in 0..self.processes.len() {
                if self.processes[c].is_none() {
                    self.notes.push(format!(
                        "consumer-{c} started at the end: the step that was to start it never came"
                    ));
                    self.spawn(c, 1)?;
                    self.last_report = Instant::now();
                }
            }
        }
        Ok(())
    }

    /// Starts the producer once every started consumer has reported ready,
    /// and notes when it is done.
    fn produce(&mut self) -> Result<(), String> {
        if matches!(&self.producer, Producer::Running(h) if h.is_finished())
            && let Producer::Running(handle) = std::mem::replace(&mut self.producer, Producer::Done)
        {
            handle.join().map_err(|_| "the producer thread panicked".to_string())??;
            self.injected.push(format!("produced {} record(s) per partition", self.setup.plan.produce));
            self.last_report = Instant::now();
        }
        let ready =
            |c: usize| self.history.reports.iter().any(|r| r.consumer == c && r.report == Report::Ready);
        let all_ready = (0..self.processes.len()).all(|c| self.processes[c].is_none() || ready(c));
        if matches!(self.producer, Producer::Waiting) && all_ready {
            let (bootstrap, topic) = (self.run.bootstrap.clone(), self.run.topic.clone());
            let (partitions, count) = (i32::from(self.setup.plan.partitions), self.setup.plan.produce);
            self.producer = Producer::Running(std::thread::spawn(move || {
                super::cluster::produce(&bootstrap, &topic, partitions, i64::from(count), PRODUCE_GAP)
            }));
        }
        Ok(())
    }

    /// SIGKILL and a new start of the consumer.
    fn restart(&mut self, consumer: usize) -> Result<(), String> {
        let Some(p) = self.processes[consumer].as_mut() else { return Ok(()) };
        let incarnation = p.incarnation;
        p.stop();
        self.spawn(consumer, incarnation + 1)
    }

    /// Acts on a consumer's halt: the faults the schedule puts there.
    fn halted(&mut self, consumer: usize, incarnation: u32, at: Halt) -> Result<(), String> {
        let mut state = None;
        for fault in self.schedule.faults_at(consumer, incarnation, at) {
            self.injected.push(fault.to_string());
            match fault.action {
                Action::Crash => return self.restart(consumer),
                Action::CrashAfterAutoCommit => {
                    // Two intervals of librdkafka's timer: at least one commit ran.
                    let interval = self.setup.plan.delivery.auto_commit().unwrap_or_default();
                    state = Some(State::Dying(Instant::now() + 2 * interval));
                }
                Action::Start(late) => {
                    if self.processes[late].is_none() {
                        self.spawn(late, 1)?;
                    }
                    if state.is_none() {
                        state = Some(State::Held { since: Instant::now(), late, ready: None });
                    }
                }
                Action::Pause => state = Some(State::Paused { since: Instant::now(), moved_on: false }),
                Action::Failover => match self.setup.nodes {
                    Some(nodes) if self.isolated.is_none() => {
                        let (isolated, what) = super::failover::isolate(nodes, self.setup.cluster)?;
                        self.injected.push(what);
                        self.isolated = Some(isolated);
                    }
                    _ => self
                        .notes
                        .push(format!("not injected ({fault}): no private cluster, or one at a time")),
                },
                // The failover ran at the commit's acknowledgement, before this halt.
                Action::Hold => {}
            }
        }
        let Some(p) = self.processes[consumer].as_mut() else { return Ok(()) };
        match state {
            Some(paused @ State::Paused { .. }) => {
                p.signal(libc::SIGSTOP);
                p.state = paused;
            }
            Some(held) => p.state = held,
            None => p.go(),
        }
        Ok(())
    }

    /// A failover's second phase ([`super::failover::strike`]), if its
    /// followers are stopped; then the committed offsets read back.
    fn fail_over(&mut self) {
        let (Some(isolated), Some(nodes)) = (self.isolated.take(), self.setup.nodes) else { return };
        let began = Instant::now();
        self.injected.extend(super::failover::strike(nodes, self.setup.cluster, &isolated));
        let partitions = i32::from(self.setup.plan.partitions);
        match super::failover::read_back(self.setup.cluster, &self.run.topic, &self.run.group, partitions) {
            Ok(committed) => {
                let at_ms = self.start.elapsed().as_millis() as u64;
                self.injected.push(format!("read back after the failover: {committed:?}"));
                self.history.read_backs.push(ReadBack { at_ms, committed });
            }
            Err(e) => self.notes.push(format!("no read-back after the failover: {e}")),
        }
        self.last_report = Instant::now();
        self.harness_time += began.elapsed();
    }

    /// The event loop of a run: records reports, injects faults, resumes
    /// paused consumers, and ends at quiescence or the deadline.
    fn drive(&mut self, rx: &Receiver<Line>) -> Result<(), String> {
        loop {
            // The deadline bounds the consumers, not the harness's own
            // waits: a failover's kill, election and broker restart take
            // from seconds to half a minute on two busy cores.
            if self.start.elapsed().saturating_sub(self.harness_time) > self.setup.deadline {
                let secs = self.setup.deadline.as_secs();
                self.notes.push(format!("stopped at the {secs} s deadline before every consumer was idle"));
                return Ok(());
            }
            self.wake()?;
            self.produce()?;
            let all_idle = self.processes.iter().all(|p| p.as_ref().is_some_and(|p| p.state == State::Idle));
            if all_idle && self.last_report.elapsed() >= QUIET && self.isolated.is_some()
                || self.isolated.as_ref().is_some_and(super::failover::Isolated::overdue)
            {
                self.fail_over(); // no commit came (in time): the failover happens now
            }
            if all_idle && self.last_report.elapsed() >= QUIET && matches!(self.producer, Producer::Done) {
                self.history.complete = true;
                return Ok(());
            }
            let line = match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Err("lost every consumer's output".into()),
            };
            match line {
                Line::Closed { consumer, incarnation } => {
                    let Some(p) = self.processes[consumer].as_mut() else { continue };
                    if p.incarnation == incarnation {
                        let status = p.child.wait().ok();
                        if status.and_then(|s| s.code()) == Some(super::consumer::transactional::FENCED_EXIT)
                        {
                            // Its producer was fenced: started again, as a supervisor would.
                            self.notes.push(format!("consumer-{consumer} (start {incarnation}) was fenced"));
                            self.spawn(consumer, incarnation + 1)?;
                            continue;
                        }
                        let status = status.map_or("?".into(), |s| s.to_string());
                        let log = self.dir.join(format!("consumer-{consumer}.{incarnation}.stderr"));
                        return Err(format!(
                            "consumer-{consumer} (start {incarnation}) exited on its own ({status}); see {}",
                            log.display()
                        ));
                    }
                }
                Line::Report { consumer, incarnation, report } => {
                    self.reported(consumer, incarnation, report)?
                }
            }
        }
    }

    fn reported(&mut self, consumer: usize, incarnation: u32, report: Report) -> Result<(), String> {
        let at_ms = self.start.elapsed().as_millis() as u64;
        self.history.reports.push(Recorded { at_ms, consumer, incarnation, report: report.clone() });
        if let Report::Committed { .. } = report {
            self.fail_over();
        }
        if let Report::Committed { .. } | Report::CommitFailed { .. } = report {
            // A commit's result is no work of its own: librdkafka's
            // auto-commit timer reports one while the consumer sits idle.
            return Ok(());
        }
        self.last_report = Instant::now();
        if let Report::Assigned(_) = report {
            for (i, p) in self.processes.iter_mut().enumerate() {
                if let Some(Process { state: State::Paused { moved_on, .. }, .. }) = p
                    && i != consumer
                {
                    *moved_on = true;
                }
            }
        }
        if report == Report::Ready {
            for p in self.processes.iter_mut().flatten() {
                if let State::Held { late, ready: ready @ None, .. } = &mut p.state
                    && *late == consumer
                {
                    *ready = Some(Instant::now());
                }
            }
        }
        let Some(p) = self.processes[consumer].as_mut() else { return Ok(()) };
        if p.incarnation != incarnation {
            return Ok(()); // the last words of a killed start
        }
        match report {
            Report::Idle => p.state = State::Idle,
            Report::Halted(at) => self.halted(consumer, incarnation, at)?,
            _ => {
                if matches!(p.state, State::Idle) {
                    p.state = State::Busy;
                }
            }
        }
        Ok(())
    }
}

/// Keeps what the consumers reported next to the sink, for a person reading a run.
fn write_history(dir: &Path, history: &History) {
    let text: String = history
        .reports
        .iter()
        .map(|r| format!("{:>6} ms consumer-{} start {}: {}\n", r.at_ms, r.consumer, r.incarnation, r.report))
        .collect();
    let _ = std::fs::write(dir.join("reports.log"), text);
}
