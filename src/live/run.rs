//! One live run: a fresh topic with the scenario's records, the scenario's
//! consumers as real processes, the schedule's faults injected at their
//! halts, and the history checked once every consumer is idle.
//!
//! Faults are signals to a process halted at an exact step: SIGKILL for a
//! crash (the consumer is started again at once, as the model's recovery),
//! SIGSTOP for a pause, held past the session timeout until the group has
//! moved on (every other consumer idle), then SIGCONT: the zombie goes on
//! from where it stopped. Every process is stopped by its id at the end.

use super::cluster::Cluster;
use super::history::{Anomaly, History, Recorded};
use super::schedule::{Action, Schedule};
use super::sink::SinkLog;
use super::wire::Report;
use crate::scenario::{Assignment, Scenario, Strategy};
use serde::Serialize;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How long every consumer must have been idle, with nothing reported, before a run ends.
const QUIET: Duration = Duration::from_millis(700);
/// A paused consumer stays stopped at most this long past its session timeout.
const PAUSE_SLACK: Duration = Duration::from_secs(20);

/// Everything a run needs besides its schedule.
pub struct RunSetup<'a> {
    pub scenario: &'a Scenario,
    pub cluster: &'a Cluster,
    pub bootstrap: &'a str,
    /// The `kafkacheck-consumer` binary.
    pub consumer_exe: &'a Path,
    pub session_timeout_ms: u32,
    /// A run still busy after this long is stopped and reported incomplete.
    pub deadline: Duration,
    /// `Some(1)` on the private broker; `None` takes the cluster's default.
    pub replication: Option<i32>,
    /// Delete the run's topic and group afterwards (the user's cluster; the
    /// private broker is thrown away whole).
    pub clean_up: bool,
}

/// The outcome of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub run: u32,
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

#[derive(PartialEq)]
enum State {
    Busy,
    Idle,
    /// Stopped by SIGSTOP since then.
    Paused(Instant),
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
        let s = self.scenario;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let stem = dir.file_name().map_or("run".into(), |n| n.to_string_lossy().into_owned());
        let unique =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros());
        let topic = format!("kafkacheck-{stem}-{}-{unique}", std::process::id());
        let group = format!("{topic}-group");
        let partitions = i32::from(s.partitions);
        self.cluster.create_topic(&topic, partitions, self.replication)?;
        self.cluster.produce(&topic, partitions, i64::from(s.messages))?;
        let sink_path = dir.join("sink.log");
        let _ = std::fs::remove_file(&sink_path);

        let start = Instant::now();
        let (tx, rx) = mpsc::channel();
        let names = Names { topic: &topic, group: &group, sink: &sink_path, dir };
        let mut processes = Vec::new();
        for c in 0..usize::from(s.consumers) {
            processes.push(self.spawn(c, 1, schedule, &names, &tx)?);
        }
        let mut history =
            History { partitions, messages: i64::from(s.messages), complete: false, ..History::default() };
        let mut injected = Vec::new();
        let mut notes = Vec::new();
        let outcome = self.drive(
            &mut processes,
            schedule,
            &names,
            &tx,
            &rx,
            start,
            &mut history,
            &mut injected,
            &mut notes,
        );
        for p in &mut processes {
            p.stop();
        }
        outcome?;
        // Reports written before the processes stopped are still in the pipe.
        while let Ok(Line::Report { consumer, incarnation, report }) =
            rx.recv_timeout(Duration::from_millis(50))
        {
            let at_ms = start.elapsed().as_millis() as u64;
            history.reports.push(Recorded { at_ms, consumer, incarnation, report });
        }
        history.sink = SinkLog::read(&sink_path).map_err(|e| format!("cannot read the sink: {e}"))?;
        history.committed = match s.strategy {
            Strategy::ExactlyOnce => {
                (0..partitions).filter_map(|p| Some((p, history.sink.next_offset(p)?))).collect()
            }
            _ => self.cluster.committed(&topic, &group, partitions)?,
        };
        if self.clean_up {
            let session = Duration::from_millis(u64::from(self.session_timeout_ms) + 1000);
            let problems = self.cluster.clean_up(&topic, &group, session);
            notes.extend(problems.into_iter().map(|p| format!("clean-up: {p}")));
        }
        write_history(dir, &history);
        Ok(RunResult {
            run,
            seed,
            schedule: schedule.clone(),
            injected,
            complete: history.complete,
            millis: start.elapsed().as_millis() as u64,
            anomalies: history.anomalies(),
            topic,
            dir: dir.to_path_buf(),
            notes,
        })
    }

    fn spawn(
        &self,
        consumer: usize,
        incarnation: u32,
        schedule: &Schedule,
        names: &Names,
        tx: &Sender<Line>,
    ) -> Result<Process, String> {
        let s = self.scenario;
        let stderr =
            std::fs::File::create(names.dir.join(format!("consumer-{consumer}.{incarnation}.stderr")))
                .map_err(|e| format!("{}: {e}", names.dir.display()))?;
        let mut cmd = Command::new(self.consumer_exe);
        cmd.args(["--bootstrap", self.bootstrap, "--topic", names.topic, "--group", names.group])
            .args(["--index", &consumer.to_string(), "--incarnation", &incarnation.to_string()])
            .args(["--consumers", &s.consumers.to_string(), "--partitions", &s.partitions.to_string()])
            .args(["--strategy", s.strategy.name(), "--max-poll-records", &s.max_poll_records.to_string()])
            .args(["--commit-offset", kebab_name(&s.commit_offset).as_str()])
            .args(["--commit-every", &s.commit_every.to_string()])
            .args(["--assignor", kebab_name(&s.group.assignor).as_str()])
            .args(["--session-timeout-ms", &self.session_timeout_ms.to_string()])
            .arg("--sink")
            .arg(names.sink);
        if s.group.assignment == Assignment::Group {
            cmd.arg("--group-assignment");
        }
        if s.group.commit_on_revoke {
            cmd.arg("--commit-on-revoke");
        }
        for halt in schedule.halts(consumer, incarnation) {
            cmd.args(["--halt", &halt.to_string()]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.consumer_exe.display()))?;
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

    /// The event loop of a run: records reports, injects faults, resumes
    /// paused consumers, and ends at quiescence or the deadline.
    #[allow(clippy::too_many_arguments)]
    fn drive(
        &self,
        processes: &mut [Process],
        schedule: &Schedule,
        names: &Names,
        tx: &Sender<Line>,
        rx: &Receiver<Line>,
        start: Instant,
        history: &mut History,
        injected: &mut Vec<String>,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        let session = Duration::from_millis(u64::from(self.session_timeout_ms));
        let mut last_report = Instant::now();
        loop {
            if start.elapsed() > self.deadline {
                notes.push(format!(
                    "stopped at the {} s deadline before every consumer was idle",
                    self.deadline.as_secs()
                ));
                return Ok(());
            }
            let others_settled = |me: usize, ps: &[Process]| {
                ps.iter().enumerate().all(|(i, p)| i == me || p.state == State::Idle)
            };
            for i in 0..processes.len() {
                if let State::Paused(since) = processes[i].state {
                    let waited = since.elapsed();
                    let settled = others_settled(i, processes) && last_report.elapsed() >= QUIET;
                    if waited >= session + Duration::from_secs(1) && settled
                        || waited >= session + PAUSE_SLACK
                    {
                        processes[i].signal(libc::SIGCONT);
                        processes[i].go();
                        injected.push(format!("resumed consumer-{i} after {} ms", waited.as_millis()));
                        last_report = Instant::now();
                    }
                }
            }
            if processes.iter().all(|p| p.state == State::Idle) && last_report.elapsed() >= QUIET {
                history.complete = true;
                return Ok(());
            }
            let line = match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Err("lost every consumer's output".into()),
            };
            match line {
                Line::Closed { consumer, incarnation } => {
                    let p = &mut processes[consumer];
                    if p.incarnation == incarnation {
                        let status = p.child.wait().map_or("?".into(), |s| s.to_string());
                        return Err(format!(
                            "consumer-{consumer} (start {incarnation}) exited on its own ({status}); see {}",
                            names.dir.join(format!("consumer-{consumer}.{incarnation}.stderr")).display()
                        ));
                    }
                }
                Line::Report { consumer, incarnation, report } => {
                    last_report = Instant::now();
                    let at_ms = start.elapsed().as_millis() as u64;
                    history.reports.push(Recorded { at_ms, consumer, incarnation, report: report.clone() });
                    let p = &mut processes[consumer];
                    if p.incarnation != incarnation {
                        continue; // the last words of a killed start
                    }
                    match report {
                        Report::Idle => p.state = State::Idle,
                        Report::Halted(at) => match schedule.fault_at(consumer, incarnation, at) {
                            Some(fault) if fault.action == Action::Crash => {
                                p.stop();
                                injected.push(fault.to_string());
                                *p = self.spawn(consumer, incarnation + 1, schedule, names, tx)?;
                            }
                            Some(fault) => {
                                p.signal(libc::SIGSTOP);
                                p.state = State::Paused(Instant::now());
                                injected.push(fault.to_string());
                            }
                            None => p.go(),
                        },
                        _ => p.state = State::Busy,
                    }
                }
            }
        }
    }
}

struct Names<'a> {
    topic: &'a str,
    group: &'a str,
    sink: &'a Path,
    dir: &'a Path,
}

/// A scenario enum's name as the scenario file spells it.
fn kebab_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
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
