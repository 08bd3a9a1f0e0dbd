//! The real consumer the live harness runs: one process per consumer of a
//! scenario (the hidden `kafkacheck consumer` subcommand, so that the one
//! binary `cargo run` or `cargo install` builds is all it takes), an rdkafka `BaseConsumer` in a poll loop
//! that follows its [`ConsumerPlan`] as the model's consumer follows the scenario.
//!
//! | delivery | one batch |
//! |---|---|
//! | at-most-once | receive → commitSync(last + 1) → process each |
//! | at-least-once | receive → process each → commitSync (the offset [`commit_offset::named`] names, every `every` batches) |
//! | auto-commit | receive → process each (or hand it to a worker thread); librdkafka's timer commits |
//! | exactly-once | receive → for each record: output and offset in one sink write (the external-store pattern) |
//!
//! It reports every step on stdout ([`Report`]) and halts at the fault
//! points its plan names (`halts`), so that a SIGKILL or
//! SIGSTOP lands exactly where a model trace crashed or paused the consumer.
//! A batch is up to `max_poll_records` records of one partition, as one
//! Fetch in the model returns.

use super::plan::{ConsumerPlan, Delivery, Partitions};
use super::sink::{SinkLog, SinkWriter};
use super::wire::{Halt, Point, Report};
use super::worker::Worker;
use crate::client::commit_offset::{self, CommitTime};
use crate::scenario::{Assignor, CommitOffset};
use clap::Args;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::Message;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, Write};
use std::time::Duration;

/// The consumer process's command line: its whole plan as one JSON
/// argument, which the harness writes (see `run.rs`).
#[derive(Args, Debug, Clone)]
pub struct ConsumerArgs {
    #[arg(value_parser = ConsumerPlan::from_json)]
    pub plan: ConsumerPlan,
}

/// The rdkafka name of an assignor (`partition.assignment.strategy`).
pub fn assignor_name(a: Assignor) -> &'static str {
    match a {
        Assignor::Range => "range",
        Assignor::RoundRobin => "roundrobin",
        // librdkafka has no eager sticky assignor; `Plan::new` refuses the scenario.
        Assignor::Sticky => "sticky",
        Assignor::CooperativeSticky => "cooperative-sticky",
    }
}

/// The consumers' `heartbeat.interval.ms`: short, so that a member learns of
/// a rebalance (or of its eviction) soon after the harness causes one.
pub fn heartbeat_ms(session_timeout_ms: u32) -> u32 {
    (session_timeout_ms / 10).clamp(100, 1000)
}

/// Writes one report line; a harness that went away ends the process.
pub fn emit(report: Report) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{report}").and_then(|()| out.flush()).is_err() {
        std::process::exit(3);
    }
}

/// What the rebalance callbacks (run inside poll()) share with the poll loop.
struct LiveContext {
    topic: String,
    commit_on_revoke: bool,
    /// Owned partitions; `None` until the group first assigns (group assignment).
    owned: RefCell<Option<BTreeSet<i32>>>,
    /// Processed but not yet committed: partition → offset to commit.
    uncommitted: RefCell<BTreeMap<i32, i64>>,
    /// Owned partitions read to their end (a new assignment must be read again).
    at_end: RefCell<BTreeSet<i32>>,
    /// A rebalance happened since the poll loop last looked: `idle` must be said again.
    rebalanced: std::cell::Cell<bool>,
    /// Auto-commit is on: report the background commits' results.
    auto_commit: bool,
}

// SAFETY of the `Sync` bound rdkafka asks for: a BaseConsumer runs its
// rebalance callbacks on the thread that calls poll(), the only thread that
// touches these cells; librdkafka's own threads never call into the context
// except through `log`, which reads nothing here.
unsafe impl Sync for LiveContext {}

impl ClientContext for LiveContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        if (level as i32) <= (RDKafkaLogLevel::Warning as i32) {
            eprintln!("rdkafka {fac}: {log_message}");
        }
    }
}

impl ConsumerContext for LiveContext {
    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if !self.auto_commit {
            return; // commitSync() reports its own result
        }
        for e in offsets.elements() {
            let Offset::Offset(offset) = e.offset() else { continue };
            let partition = e.partition();
            emit(match &result {
                Ok(()) => Report::Committed { partition, offset },
                Err(err) => Report::CommitFailed { partition, offset, error: err.to_string() },
            });
        }
    }

    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else { return };
        let revoked: BTreeSet<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
        let pending: Vec<(i32, i64)> = self
            .uncommitted
            .borrow()
            .iter()
            .filter(|(p, _)| revoked.contains(p))
            .map(|(p, o)| (*p, *o))
            .collect();
        if self.commit_on_revoke && !pending.is_empty() {
            commit(consumer, &self.topic, &pending);
        }
        self.uncommitted.borrow_mut().retain(|p, _| !revoked.contains(p));
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let mut owned = self.owned.borrow_mut();
        let set = owned.get_or_insert_with(BTreeSet::new);
        match rebalance {
            Rebalance::Assign(tpl) => {
                for e in tpl.elements() {
                    set.insert(e.partition());
                    self.at_end.borrow_mut().remove(&e.partition());
                }
            }
            Rebalance::Revoke(tpl) => {
                for e in tpl.elements() {
                    set.remove(&e.partition());
                }
            }
            Rebalance::Error(e) => eprintln!("rebalance error: {e}"),
        }
        emit(Report::Assigned(set.iter().copied().collect()));
        self.rebalanced.set(true);
    }
}

/// commitSync() of `offsets` (partition → next offset), reported per partition.
fn commit(consumer: &BaseConsumer<LiveContext>, topic: &str, offsets: &[(i32, i64)]) -> bool {
    let mut tpl = TopicPartitionList::new();
    for &(p, o) in offsets {
        // Infallible for a valid offset; a failure shows up as a failed commit below.
        let _ = tpl.add_partition_offset(topic, p, Offset::Offset(o));
    }
    let result = consumer.commit(&tpl, CommitMode::Sync);
    for &(partition, offset) in offsets {
        emit(match &result {
            Ok(()) => Report::Committed { partition, offset },
            Err(e) => Report::CommitFailed { partition, offset, error: e.to_string() },
        });
    }
    result.is_ok()
}

/// commitSync() of every processed offset not committed yet, if any; a
/// success is a commit step. Whether anything was owed.
fn commit_owed(consumer: &BaseConsumer<LiveContext>, topic: &str, halts: &mut Halts) -> bool {
    let owed: Vec<(i32, i64)> =
        consumer.context().uncommitted.borrow().iter().map(|(p, o)| (*p, *o)).collect();
    if owed.is_empty() {
        return false;
    }
    if commit(consumer, topic, &owed) {
        consumer.context().uncommitted.borrow_mut().clear();
        halts.step(Point::Commit);
    }
    true
}

/// Counts the steps of this incarnation and halts where the harness asked.
pub struct Halts {
    wanted: BTreeSet<Halt>,
    counts: BTreeMap<Point, u32>,
}

impl Halts {
    fn new(wanted: &[Halt]) -> Halts {
        Halts { wanted: wanted.iter().copied().collect(), counts: BTreeMap::new() }
    }

    /// Halts right after start-up if any halt has count 0.
    fn at_start(&mut self) {
        let first: Vec<Halt> = self.wanted.iter().filter(|h| h.count == 0).copied().collect();
        if let Some(h) = first.first() {
            self.wanted.retain(|w| w.count != 0);
            wait_for_go(*h);
        }
    }

    /// The halts at `point`, for the thread that makes those steps.
    fn split_off(&mut self, point: Point) -> Halts {
        let (theirs, ours) = self.wanted.iter().partition(|h| h.point == point);
        self.wanted = ours;
        Halts { wanted: theirs, counts: BTreeMap::new() }
    }

    pub fn step(&mut self, point: Point) {
        let count = self.counts.entry(point).or_insert(0);
        *count += 1;
        let here = Halt { point, count: *count };
        if self.wanted.remove(&here) {
            wait_for_go(here);
        }
    }
}

/// Reports the halt and blocks until the harness says `go`; a closed stdin
/// (the harness is gone) ends the process.
fn wait_for_go(halt: Halt) {
    emit(Report::Halted(halt));
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(n) if n > 0 && line.trim() == "go" => {}
        _ => std::process::exit(0),
    }
}

/// The rdkafka configuration of a plan's consumer.
pub fn client_config(plan: &ConsumerPlan) -> ClientConfig {
    let run = &plan.run;
    let auto_commit = plan.delivery.auto_commit();
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &run.bootstrap)
        .set("group.id", &run.group)
        .set("client.id", format!("kafkacheck-consumer-{}-{}", plan.consumer, plan.incarnation))
        .set("enable.auto.commit", auto_commit.is_some().to_string())
        .set("enable.auto.offset.store", auto_commit.is_some().to_string())
        .set("auto.commit.interval.ms", auto_commit.map_or(5000, |d| d.as_millis()).to_string())
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "true")
        .set("session.timeout.ms", run.session_timeout_ms.to_string())
        .set("heartbeat.interval.ms", heartbeat_ms(run.session_timeout_ms).to_string())
        .set("partition.assignment.strategy", assignor_name(assignor(&plan.partitions)))
        .set("fetch.wait.max.ms", "50")
        .set("reconnect.backoff.ms", "20")
        .set("retry.backoff.ms", "20")
        .set_log_level(RDKafkaLogLevel::Warning);
    config
}

/// The group's assignor; under `assign()` none deals partitions out, and
/// librdkafka is given its first, `range`.
fn assignor(partitions: &Partitions) -> Assignor {
    match partitions {
        Partitions::Subscribe { assignor, .. } => *assignor,
        Partitions::Assign(_) => Assignor::Range,
    }
}

fn open_sink(plan: &ConsumerPlan) -> Result<SinkWriter, String> {
    let path = &plan.run.sink;
    SinkWriter::open(path, plan.consumer, plan.incarnation)
        .map_err(|e| format!("cannot open the sink {}: {e}", path.display()))
}

/// subscribe(), or assign() of the plan's partitions, each from where it
/// resumes: exactly-once from the external store, the others from Kafka's
/// committed offset.
fn join(consumer: &BaseConsumer<LiveContext>, plan: &ConsumerPlan) -> Result<(), String> {
    let topic = &plan.run.topic;
    let mine = match &plan.partitions {
        Partitions::Subscribe { .. } => {
            return consumer.subscribe(&[topic]).map_err(|e| format!("subscribe: {e}"));
        }
        Partitions::Assign(mine) => mine,
    };
    let store = SinkLog::read(&plan.run.sink).map_err(|e| format!("cannot read the sink: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    for &p in mine {
        let from = match (plan.delivery, store.next_offset(p)) {
            (Delivery::ExactlyOnce, Some(next)) => Offset::Offset(next),
            (Delivery::ExactlyOnce, None) => Offset::Beginning,
            _ => Offset::Stored,
        };
        tpl.add_partition_offset(topic, p, from).map_err(|e| format!("assign: {e}"))?;
    }
    consumer.assign(&tpl).map_err(|e| format!("assign: {e}"))?;
    emit(Report::Assigned(mine.clone()));
    *consumer.context().owned.borrow_mut() = Some(mine.iter().copied().collect());
    Ok(())
}

/// Runs the poll loop of `plan` until the harness kills the process.
pub fn run(plan: &ConsumerPlan) -> Result<(), String> {
    let context = LiveContext {
        topic: plan.run.topic.clone(),
        commit_on_revoke: matches!(plan.partitions, Partitions::Subscribe { commit_on_revoke: true, .. }),
        owned: RefCell::new(None),
        uncommitted: RefCell::new(BTreeMap::new()),
        at_end: RefCell::new(BTreeSet::new()),
        rebalanced: std::cell::Cell::new(false),
        auto_commit: plan.delivery.auto_commit().is_some(),
    };
    let consumer: BaseConsumer<LiveContext> = client_config(plan)
        .create_with_context(context)
        .map_err(|e| format!("cannot create the consumer: {e}"))?;
    let sink = open_sink(plan)?;
    join(&consumer, plan)?;
    emit(Report::Ready);
    let mut halts = Halts::new(&plan.halts);
    halts.at_start();
    let worker = match plan.delivery {
        Delivery::AutoCommit { worker_each_ms: Some(ms), .. } => {
            Some(Worker::start(open_sink(plan)?, Duration::from_millis(ms), halts.split_off(Point::Process)))
        }
        _ => None,
    };
    let mut poll_loop =
        PollLoop { consumer, plan, sink, halts, worker, poller: Poller::default(), batches: 0 };
    loop {
        poll_loop.next()?;
    }
}

/// The poll loop's state.
struct PollLoop<'a> {
    consumer: BaseConsumer<LiveContext>,
    plan: &'a ConsumerPlan,
    sink: SinkWriter,
    halts: Halts,
    /// `commit.processing: worker`'s thread.
    worker: Option<Worker>,
    poller: Poller,
    /// Batches processed (at-least-once commits every `every`-th).
    batches: u32,
}

impl PollLoop<'_> {
    /// Polls one batch and handles it as the plan's delivery says.
    fn next(&mut self) -> Result<(), String> {
        let batch = self.poller.next_batch(&self.consumer, self.plan.max_poll_records);
        let Some(&(partition, last)) = batch.last() else {
            // Idle with commits owed (commit_every > 1): commit now, as the model does.
            let topic = &self.plan.run.topic;
            if !commit_owed(&self.consumer, topic, &mut self.halts)
                && !self.worker.as_ref().is_some_and(Worker::busy)
            {
                self.poller.report_idle(self.consumer.context());
            }
            return Ok(());
        };
        for &(p, o) in &batch {
            emit(Report::Received { partition: p, offset: o });
            self.halts.step(Point::Receive);
        }
        let end = commit_offset::next_to_read(last);
        match self.plan.delivery {
            Delivery::AtMostOnce => {
                // A failed commitSync() throws (CommitFailedException in Java):
                // the batch is not processed, and the next poll rejoins.
                if self.commit(&[(partition, end)]) {
                    self.halts.step(Point::Commit);
                    self.process_all(&batch)?;
                }
            }
            Delivery::AtLeastOnce { offset, every } => self.at_least_once(&batch, end, offset, every)?,
            Delivery::AutoCommit { .. } => {
                // No commit of ours: librdkafka commits the stored offsets on its timer.
                match &self.worker {
                    Some(w) => batch.iter().for_each(|&(p, o)| w.hand_over(p, o)),
                    None => self.process_all(&batch)?,
                }
            }
            Delivery::ExactlyOnce => self.exactly_once(&batch)?,
            Delivery::Transactional => {
                return Err("transactional: not in the rdkafka consumer of this branch".into());
            }
        }
        Ok(())
    }

    /// Processes each record, committing where `commit.offset` says.
    fn at_least_once(
        &mut self,
        batch: &[(i32, i64)],
        end: i64,
        offset: CommitOffset,
        every: u8,
    ) -> Result<(), String> {
        let time = commit_offset::time(offset);
        for &(p, o) in batch {
            self.process(p, o)?;
            if time == CommitTime::EachRecord && self.commit(&[(p, commit_offset::named(offset, end))]) {
                self.halts.step(Point::Commit);
            }
        }
        if time == CommitTime::AfterBatch {
            let partition = batch[0].0;
            self.consumer
                .context()
                .uncommitted
                .borrow_mut()
                .insert(partition, commit_offset::named(offset, end));
            self.batches += 1;
            if self.batches.is_multiple_of(u32::from(every.max(1))) {
                commit_owed(&self.consumer, &self.plan.run.topic, &mut self.halts);
            }
        }
        Ok(())
    }

    /// Processes each record the external store does not hold yet.
    fn exactly_once(&mut self, batch: &[(i32, i64)]) -> Result<(), String> {
        for &(p, o) in batch {
            let stored =
                SinkLog::read(&self.plan.run.sink).map_err(|e| format!("cannot read the sink: {e}"))?;
            if stored.next_offset(p).is_some_and(|next| o < next) {
                emit(Report::Skipped { partition: p, offset: o });
            } else {
                self.process(p, o)?;
            }
        }
        Ok(())
    }

    fn process_all(&mut self, batch: &[(i32, i64)]) -> Result<(), String> {
        batch.iter().try_for_each(|&(p, o)| self.process(p, o))
    }

    /// Writes a record's side effect to the sink: a process step.
    fn process(&mut self, partition: i32, offset: i64) -> Result<(), String> {
        self.sink.append(partition, offset).map_err(|e| format!("cannot write the sink: {e}"))?;
        emit(Report::Processed { partition, offset });
        self.halts.step(Point::Process);
        Ok(())
    }

    fn commit(&self, offsets: &[(i32, i64)]) -> bool {
        commit(&self.consumer, &self.plan.run.topic, offsets)
    }
}

/// Turns rdkafka's one-message polls into the model's batches, and tracks
/// which owned partitions have been read to their end.
#[derive(Default)]
struct Poller {
    /// Polled but not yet part of a batch (a record of another partition ends a batch).
    held: VecDeque<(i32, i64)>,
    /// `idle` was reported and nothing came since (a record or a rebalance).
    idle: bool,
}

impl Poller {
    fn poll_one(&mut self, consumer: &BaseConsumer<LiveContext>, wait: Duration) -> Option<(i32, i64)> {
        match consumer.poll(wait)? {
            Ok(m) => {
                consumer.context().at_end.borrow_mut().remove(&m.partition());
                Some((m.partition(), m.offset()))
            }
            Err(KafkaError::PartitionEOF(p)) => {
                consumer.context().at_end.borrow_mut().insert(p);
                None
            }
            Err(e) => {
                eprintln!("poll: {e}");
                None
            }
        }
    }

    /// Up to `max` records of one partition; empty when nothing came within 100 ms.
    fn next_batch(&mut self, consumer: &BaseConsumer<LiveContext>, max: usize) -> Vec<(i32, i64)> {
        // Records of partitions given up in a rebalance are not ours to process.
        if let Some(owned) = consumer.context().owned.borrow().as_ref() {
            self.held.retain(|(p, _)| owned.contains(p));
        }
        let first = match self.held.pop_front() {
            Some(r) => r,
            None => match self.poll_one(consumer, Duration::from_millis(100)) {
                Some(r) => r,
                None => return Vec::new(),
            },
        };
        self.idle = false;
        let mut batch = vec![first];
        while batch.len() < max {
            let next = match self.held.pop_front() {
                Some(r) => Some(r),
                None => self.poll_one(consumer, Duration::ZERO),
            };
            match next {
                Some(r) if r.0 == first.0 => batch.push(r),
                Some(r) => {
                    self.held.push_front(r);
                    break;
                }
                None => break,
            }
        }
        batch
    }

    /// Reports `idle` once every owned partition is read to its end.
    fn report_idle(&mut self, context: &LiveContext) {
        let Some(owned) = context.owned.borrow().clone() else { return };
        if context.rebalanced.take() {
            self.idle = false;
        }
        if !self.idle && self.held.is_empty() && owned.is_subset(&context.at_end.borrow()) {
            emit(Report::Idle);
            self.idle = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::plan::{Plan, RunPlan};
    use crate::scenario::{Assignment, AutoProcessing, CommitConfig, GroupConfig, Scenario};
    use clap::Parser;

    #[derive(Parser)]
    struct CommandLine {
        #[command(flatten)]
        args: ConsumerArgs,
    }

    fn plan_of(s: &Scenario, consumer: u8) -> ConsumerPlan {
        let run = RunPlan {
            bootstrap: "127.0.0.1:9092".into(),
            topic: "t".into(),
            group: "t-group".into(),
            sink: "/tmp/run/sink.log".into(),
            session_timeout_ms: 3000,
            output_topic: "t-out".into(),
        };
        Plan::new(s).unwrap().consumer(&run, consumer, 2, vec!["process:1".parse().unwrap()], false)
    }

    fn get<'a>(config: &'a ClientConfig, key: &str) -> &'a str {
        config.get(key).unwrap_or_else(|| panic!("{key} is not set"))
    }

    #[test]
    fn the_plan_is_the_one_argument_of_the_command_line() {
        let plan = plan_of(&Scenario { partitions: 3, consumers: 2, ..Scenario::default() }, 1);
        let parsed = CommandLine::try_parse_from(["consumer", &plan.to_json()]).unwrap();
        assert_eq!(parsed.args.plan, plan);
        assert!(CommandLine::try_parse_from(["consumer", "--bootstrap", "x"]).is_err(), "no knob flags");
        assert!(CommandLine::try_parse_from(["consumer", "{}"]).is_err());
    }

    #[test]
    fn a_commit_sync_consumer_stores_and_commits_nothing_by_itself() {
        let config = client_config(&plan_of(&Scenario::default(), 0));
        assert_eq!(get(&config, "enable.auto.commit"), "false");
        assert_eq!(get(&config, "enable.auto.offset.store"), "false");
        assert_eq!(get(&config, "client.id"), "kafkacheck-consumer-0-2");
        assert_eq!(get(&config, "group.id"), "t-group");
        assert_eq!(get(&config, "session.timeout.ms"), "3000");
        assert_eq!(get(&config, "heartbeat.interval.ms"), "300");
        assert_eq!(get(&config, "partition.assignment.strategy"), "range");
    }

    #[test]
    fn an_auto_committing_group_member_gets_the_timer_and_its_assignor() {
        let commit = CommitConfig {
            mode: crate::scenario::CommitMode::Auto,
            processing: AutoProcessing::Worker,
            ..CommitConfig::default()
        };
        let config = client_config(&plan_of(&Scenario { commit, ..Scenario::default() }, 0));
        assert_eq!(get(&config, "enable.auto.commit"), "true");
        assert_eq!(get(&config, "enable.auto.offset.store"), "true");
        assert_eq!(get(&config, "auto.commit.interval.ms"), "250");
        let group = GroupConfig {
            assignment: Assignment::Group,
            assignor: Assignor::CooperativeSticky,
            ..GroupConfig::default()
        };
        let config = client_config(&plan_of(&Scenario { group, ..Scenario::default() }, 0));
        assert_eq!(get(&config, "partition.assignment.strategy"), "cooperative-sticky");
    }
}
