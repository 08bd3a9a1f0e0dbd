//! The real consumer the live harness runs: one process per consumer of a
//! scenario (the hidden `kafkacheck consumer` subcommand, so that the one
//! binary `cargo run` or `cargo install` builds is all it takes), an rdkafka `BaseConsumer` in a poll loop
//! that follows the scenario's delivery strategy as the model's consumer does.
//!
//! | strategy | one batch |
//! |---|---|
//! | at-most-once | receive → commitSync(last + 1) → process each |
//! | at-least-once | receive → process each → commitSync (`commit.offset`, every `commit_every` batches) |
//! | exactly-once | receive → for each record: output and offset in one sink write (the external-store pattern) |
//!
//! It reports every step on stdout ([`Report`]) and halts at the fault
//! points the harness names (`--halt point:count`), so that a SIGKILL or
//! SIGSTOP lands exactly where a model trace crashed or paused the consumer.
//! A batch is up to `max_poll_records` records of one partition, as one
//! Fetch in the model returns.

use super::sink::{SinkLog, SinkWriter};
use super::wire::{Halt, Point, Report};
use super::worker::Worker;
use crate::scenario::{Assignor, CommitOffset, Strategy};
use clap::Args;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::Message;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

/// The consumer process's command line; the harness builds it (see `run.rs`).
#[derive(Args, Debug, Clone)]
pub struct ConsumerArgs {
    #[arg(long)]
    pub bootstrap: String,
    #[arg(long)]
    pub topic: String,
    #[arg(long)]
    pub group: String,
    /// This consumer's number, 0-based.
    #[arg(long)]
    pub index: usize,
    /// Which start of this consumer this process is (1 for the first).
    #[arg(long)]
    pub incarnation: u32,
    #[arg(long)]
    pub consumers: usize,
    #[arg(long)]
    pub partitions: i32,
    #[arg(long, value_parser = kebab::<Strategy>)]
    pub strategy: Strategy,
    #[arg(long, default_value_t = 1)]
    pub max_poll_records: usize,
    /// subscribe() and let the group assign partitions (default: assign() p mod consumers).
    #[arg(long)]
    pub group_assignment: bool,
    #[arg(long, value_parser = kebab::<Assignor>, default_value = "range")]
    pub assignor: Assignor,
    #[arg(long, value_parser = kebab::<CommitOffset>, default_value = "next")]
    pub commit_offset: CommitOffset,
    #[arg(long, default_value_t = 1)]
    pub commit_every: u32,
    #[arg(long)]
    pub commit_on_revoke: bool,
    #[arg(long)]
    pub sink: PathBuf,
    #[arg(long, default_value_t = 6000)]
    pub session_timeout_ms: u32,
    /// `enable.auto.commit` with this `auto.commit.interval.ms` (librdkafka's:
    /// a background timer commits the offsets stored as poll returned records).
    #[arg(long)]
    pub auto_commit_ms: Option<u32>,
    /// Hand records to a worker thread that takes this long over each.
    #[arg(long)]
    pub worker_ms: Option<u64>,
    /// Halt after the count-th step of this kind (`receive:2`, `commit:1`, `process:0`).
    #[arg(long = "halt")]
    pub halts: Vec<Halt>,
}

/// Parses a scenario enum from its kebab-case name, as the scenario file spells it.
fn kebab<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| e.to_string())
}

/// The rdkafka name of an assignor (`partition.assignment.strategy`).
pub fn assignor_name(a: Assignor) -> &'static str {
    match a {
        Assignor::Range => "range",
        Assignor::RoundRobin => "roundrobin",
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

/// Runs the poll loop until the harness kills the process.
pub fn run(args: &ConsumerArgs) -> Result<(), String> {
    let context = LiveContext {
        topic: args.topic.clone(),
        commit_on_revoke: args.commit_on_revoke,
        owned: RefCell::new(None),
        uncommitted: RefCell::new(BTreeMap::new()),
        at_end: RefCell::new(BTreeSet::new()),
        rebalanced: std::cell::Cell::new(false),
        auto_commit: args.auto_commit_ms.is_some(),
    };
    let session = args.session_timeout_ms;
    let consumer: BaseConsumer<LiveContext> = ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap)
        .set("group.id", &args.group)
        .set("client.id", format!("kafkacheck-consumer-{}-{}", args.index, args.incarnation))
        .set("enable.auto.commit", args.auto_commit_ms.is_some().to_string())
        .set("enable.auto.offset.store", args.auto_commit_ms.is_some().to_string())
        .set("auto.commit.interval.ms", args.auto_commit_ms.unwrap_or(5000).to_string())
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "true")
        .set("session.timeout.ms", session.to_string())
        .set("heartbeat.interval.ms", heartbeat_ms(session).to_string())
        .set("partition.assignment.strategy", assignor_name(args.assignor))
        .set("fetch.wait.max.ms", "50")
        .set("reconnect.backoff.ms", "20")
        .set("retry.backoff.ms", "20")
        .set_log_level(RDKafkaLogLevel::Warning)
        .create_with_context(context)
        .map_err(|e| format!("cannot create the consumer: {e}"))?;
    let sink_path = args.sink.clone();
    let mut sink = SinkWriter::open(&sink_path, args.index, args.incarnation)
        .map_err(|e| format!("cannot open the sink {}: {e}", sink_path.display()))?;

    if args.group_assignment {
        consumer.subscribe(&[&args.topic]).map_err(|e| format!("subscribe: {e}"))?;
    } else {
        let mine: BTreeSet<i32> =
            (0..args.partitions).filter(|p| *p as usize % args.consumers == args.index).collect();
        let store = SinkLog::read(&sink_path).map_err(|e| format!("cannot read the sink: {e}"))?;
        let mut tpl = TopicPartitionList::new();
        for &p in &mine {
            // exactly-once resumes from the external store; the others from Kafka's committed offset.
            let from = match (args.strategy, store.next_offset(p)) {
                (Strategy::ExactlyOnce, Some(next)) => Offset::Offset(next),
                (Strategy::ExactlyOnce, None) => Offset::Beginning,
                _ => Offset::Stored,
            };
            tpl.add_partition_offset(&args.topic, p, from).map_err(|e| format!("assign: {e}"))?;
        }
        consumer.assign(&tpl).map_err(|e| format!("assign: {e}"))?;
        emit(Report::Assigned(mine.iter().copied().collect()));
        *consumer.context().owned.borrow_mut() = Some(mine);
    }
    emit(Report::Ready);
    let mut halts = Halts::new(&args.halts);
    halts.at_start();
    let worker = match args.worker_ms {
        Some(ms) => {
            let writer = SinkWriter::open(&sink_path, args.index, args.incarnation)
                .map_err(|e| format!("cannot open the sink {}: {e}", sink_path.display()))?;
            Some(Worker::start(writer, Duration::from_millis(ms), halts.split_off(Point::Process)))
        }
        None => None,
    };

    let mut poller = Poller::default();
    let mut batches = 0u32;
    loop {
        let batch = poller.next_batch(&consumer, args.max_poll_records);
        if batch.is_empty() {
            // Idle with commits owed (commit_every > 1): commit now, as the model does.
            if !commit_owed(&consumer, &args.topic, &mut halts) && !worker.as_ref().is_some_and(Worker::busy)
            {
                poller.report_idle(consumer.context());
            }
            continue;
        }
        let partition = batch[0].0;
        for &(p, o) in &batch {
            emit(Report::Received { partition: p, offset: o });
            halts.step(Point::Receive);
        }
        let last = batch[batch.len() - 1].1;
        let mut process = |p: i32, o: i64, halts: &mut Halts| -> Result<(), String> {
            sink.append(p, o).map_err(|e| format!("cannot write the sink: {e}"))?;
            emit(Report::Processed { partition: p, offset: o });
            halts.step(Point::Process);
            Ok(())
        };
        if args.auto_commit_ms.is_some() {
            // No commit of ours: librdkafka commits the stored offsets on its timer.
            for &(p, o) in &batch {
                match &worker {
                    Some(w) => w.hand_over(p, o),
                    None => process(p, o, &mut halts)?,
                }
            }
            continue;
        }
        match args.strategy {
            Strategy::AtMostOnce => {
                // A failed commitSync() throws (CommitFailedException in Java):
                // the batch is not processed, and the next poll rejoins.
                if commit(&consumer, &args.topic, &[(partition, last + 1)]) {
                    halts.step(Point::Commit);
                    for &(p, o) in &batch {
                        process(p, o, &mut halts)?;
                    }
                }
            }
            Strategy::AtLeastOnce => {
                for &(p, o) in &batch {
                    process(p, o, &mut halts)?;
                    if args.commit_offset == CommitOffset::Position
                        && commit(&consumer, &args.topic, &[(p, last + 1)])
                    {
                        halts.step(Point::Commit);
                    }
                }
                if args.commit_offset != CommitOffset::Position {
                    let to = if args.commit_offset == CommitOffset::Last { last } else { last + 1 };
                    consumer.context().uncommitted.borrow_mut().insert(partition, to);
                    batches += 1;
                    if batches.is_multiple_of(args.commit_every.max(1)) {
                        commit_owed(&consumer, &args.topic, &mut halts);
                    }
                }
            }
            Strategy::ExactlyOnce => {
                for &(p, o) in &batch {
                    let stored =
                        SinkLog::read(&sink_path).map_err(|e| format!("cannot read the sink: {e}"))?;
                    if stored.next_offset(p).is_some_and(|next| o < next) {
                        emit(Report::Skipped { partition: p, offset: o });
                    } else {
                        process(p, o, &mut halts)?;
                    }
                }
            }
        }
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
        while batch.len() < max.max(1) {
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
