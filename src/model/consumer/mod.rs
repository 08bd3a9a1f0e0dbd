//! A consumer: its poll loop, its delivery strategy (README, "Delivery strategies") and its
//! side of the group protocol.
//!
//! The consumer is single-threaded like a `KafkaConsumer` poll loop: it has
//! at most one request outstanding and waits for each reply (a synchronous
//! `commitSync`, a processing call that returns once the side effect is
//! applied). The order of its steps per batch is the strategy:
//!
//! | strategy        | after a batch `from .. to` is received                        |
//! |-----------------|---------------------------------------------------------------|
//! | `at-most-once`  | commit `to`, then process `from`, `from+1`, ... one at a time |
//! | `at-least-once` | process `from`, `from+1`, ... one at a time, then commit `to` (every `commit_every`-th batch) |
//! | `exactly-once`  | one transaction: outputs of `from .. to` and offset `to`      |
//!
//! All of its state is volatile: a crash loses it, and the recovered process
//! starts over: it fetches the committed offsets of its partitions and
//! resumes there (earliest when there is none, `auto.offset.reset=earliest`).
//!
//! Which partitions it reads: with manual assignment (`assign()`), partition
//! p belongs to consumer p mod C for the whole run. With group assignment
//! (`subscribe()`), the coordinator's rebalances decide; as in the Java
//! client, a rebalance is acted on only at a poll, between batches: an eager
//! assignor revokes every partition and rejoins, cooperative-sticky rejoins
//! keeping its partitions and gives up only those the new assignment takes
//! away (then rejoins again, KIP-429). A revoked partition's position is
//! forgotten; `commit_on_revoke` commits its processed offsets first. A
//! consumer that learns it was evicted, or whose commit is rejected, loses its
//! partitions without committing (`onPartitionsLost`) and rejoins.
//!
//! `commit.mode` changes the at-least-once commit: `async` sends the batch's
//! commit without waiting (it is pending until its response; a failure runs
//! its callback, which retries it within `retries`, and with the sequence
//! guard only if no newer commit was issued since); `auto` commits at a poll
//! once the auto-commit interval has elapsed (a step of its own), either
//! processing in the poll loop or queueing records for a worker thread (with
//! `"client": "librdkafka"` a background timer commits the offset store
//! instead, `librdkafka.rs`). On a
//! lossy network a request whose exchange is gone times out and is sent
//! again as it was ([`Consumer::request`]).
//!
//! Every mechanism also runs under `subscribe()`, as the Java client does at
//! a rebalance: an auto-committing consumer commits its consumed positions
//! before it rejoins (`onJoinPrepare`); a rejected async commit reaches its
//! callback (CommitFailedException, not retried); parallel workers finish the
//! batch they were handed, so the poll that acts on a rebalance comes after
//! it; a member that knows it left the group sends no commit; the worker
//! thread goes on with the queue of a revoked partition.

mod commit;
#[cfg(test)]
mod commit_error_tests;
mod librdkafka;
mod poll;
mod pool;
mod rebalance;
mod reset;
mod steps;
mod strategy;
#[cfg(test)]
mod tests;
mod workers;

pub use pool::Taken;
pub use reset::start_at;
pub use steps::Step;
use workers::bit;

use super::event::{Actor, Event, Events};
use super::msg::{Committer, Corr, Generation, Incarnation, MemberId, Msg};
use crate::client::commit_offset;
use crate::scenario::{Assignment, NetworkKind, Offset, Partition, Scenario, Strategy};
use serde::Serialize;
use std::sync::Arc;

/// Where a consumer's request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum To {
    Broker,
    Coordinator,
    Sink,
}

/// A consumer's configuration.
#[derive(Clone, Debug)]
pub struct Consumer {
    /// Which consumer this is (its trace name is `consumer-N`).
    pub number: u8,
    /// With manual assignment: the partitions it reads.
    pub manual_partitions: Vec<Partition>,
    /// The scenario's knobs, one copy shared by every consumer: strategy,
    /// commit mode and offset, workers, group settings, reset policy.
    pub scenario: Arc<Scenario>,
}

impl Consumer {
    /// An eager assignor revokes everything at a rebalance.
    fn eager(&self) -> bool {
        self.scenario.group.assignor.is_eager()
    }

    /// Whether requests and replies can be lost (a lossy network), or a
    /// JoinGroup can be lost with the coordinator holding it (group
    /// assignment with coordinator failovers): a request whose exchange is
    /// gone times out and is sent again.
    fn timeouts(&self) -> bool {
        self.scenario.network.kind == NetworkKind::Lossy
            || (self.scenario.group.assignment == Assignment::Group
                && self.scenario.offsets_topic.failovers > 0)
    }

    /// The partitions' log end: the consumer stops fetching a partition once
    /// its position reaches it (a real consumer would keep receiving empty
    /// batches, which change nothing).
    fn log_end(&self) -> Offset {
        self.scenario.log_end()
    }
}

/// A partition the consumer owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Owned {
    pub partition: Partition,
    /// Next offset to fetch; None until the committed offset is fetched.
    pub position: Option<Offset>,
    /// The committed offset as far as this consumer knows (fetched, or its own last commit).
    pub committed: Offset,
    /// To be given up at the next poll.
    pub revoking: bool,
}

impl Owned {
    fn uncommitted(&self) -> bool {
        self.position.is_some_and(|p| p > self.committed)
    }
}

/// What the consumer is doing; every variant but `Idle` and `Done` waits for
/// one reply. `slot` indexes [`ConsumerState::owned`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Phase {
    /// Owns no partition and waits for nothing.
    Idle,
    /// JoinGroup sent; waiting for the generation.
    Joining,
    /// SyncGroup sent for the generation its JoinGroup returned; waiting
    /// for the assignment (Kafka's member state COMPLETING_REBALANCE).
    Syncing,
    /// OffsetFetch sent; waiting for the committed offsets.
    AwaitingOffsets,
    /// Fetch sent for partition `slot`.
    Fetching { slot: u8 },
    /// Holds records `from .. to`; the Output of `next` is on its way to the sink.
    Processing { slot: u8, from: Offset, next: Offset, to: Offset },
    /// The commit (or the transaction) of the batch `.. to` is on its way;
    /// records `from .. to` are still to be processed once it succeeds
    /// (at-most-once; at-least-once committing its position mid-batch).
    Committing { slot: u8, from: Offset, to: Offset },
    /// Holds records `from .. to` and hands them to its workers: records
    /// `from .. next` are dispatched, `running` (bit i: record from+i) are
    /// being processed by a worker, `done` are processed and acknowledged by
    /// the sink; `committing` is the offset whose commit is on its way.
    Working {
        slot: u8,
        from: Offset,
        to: Offset,
        next: Offset,
        running: u16,
        done: u16,
        committing: Option<Offset>,
        /// The correlation id the batch's outputs carry.
        outputs: Corr,
    },
    /// Commits `to` for a partition it is giving up (`commit_on_revoke`), or
    /// for processed records before going idle (`commit_every`).
    Flushing { slot: u8, to: Offset },
    /// Every owned partition is consumed to its log end and committed.
    Done,
}

/// Why the consumer must rejoin at its next poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rejoin {
    No,
    /// A rebalance started (or a cooperative revocation needs the next round).
    Rebalance,
    /// It was evicted or fenced: its partitions are lost, not revoked.
    Lost,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ConsumerState {
    pub incarnation: Incarnation,
    pub member: Option<MemberId>,
    pub generation: Generation,
    pub owned: Vec<Owned>,
    pub phase: Phase,
    pub rejoin: Rejoin,
    /// Batches processed since the last commit (at-least-once with `commit_every`).
    pub batches_since_commit: u8,
    /// Async and auto commits sent and not answered yet, oldest first.
    pub pending_commits: Vec<PendingCommit>,
    /// The sequence number of the latest commit issued (async and auto
    /// modes): what `"guard": "sequence"` compares a failed commit's with.
    pub commit_seq: u8,
    /// auto: `auto.commit.interval.ms` has elapsed; the next poll commits.
    pub auto_commit_due: bool,
    /// librdkafka with `commit.store` after-processing: the offset store,
    /// the offset the application last stored per assigned partition
    /// (`librdkafka.rs`); empty otherwise.
    pub stored: Vec<(Partition, Offset)>,
    /// auto with worker threads: the records queued for them, in the order
    /// the polls returned them (`pool.rs`).
    pub worker: Vec<Queued>,
    /// auto with worker threads: the records the threads took, in the order taken.
    pub pool: Vec<Taken>,
    /// The eager StickyAssignor's userData while it joins: the partitions it
    /// revoked before the JoinGroup (its last assignment), sent again with a
    /// retried JoinGroup.
    pub last_assignment: Vec<Partition>,
    /// The correlation id of the latest request sent (`msg.rs`: counted on
    /// the duplicating network only).
    pub corr: Corr,
    /// The correlation id of the request the poll loop waits on.
    pub awaiting: Corr,
    /// `on_commit_error: retry-after-rebalance`: the commit of the poll
    /// loop that threw, made again at the first poll after the rebalance
    /// if its partition is still assigned.
    pub retry_commit: Option<(Partition, Offset)>,
}

impl ConsumerState {
    /// A process that has just started: no member id, no partition, nothing pending.
    pub fn new(incarnation: Incarnation) -> ConsumerState {
        ConsumerState {
            incarnation,
            member: None,
            generation: 0,
            owned: Vec::new(),
            phase: Phase::Idle,
            rejoin: Rejoin::No,
            batches_since_commit: 0,
            pending_commits: Vec::new(),
            commit_seq: 0,
            auto_commit_due: false,
            stored: Vec::new(),
            worker: Vec::new(),
            pool: Vec::new(),
            last_assignment: Vec::new(),
            corr: 0,
            awaiting: 0,
            retry_commit: None,
        }
    }
}

/// A `commitAsync()` (or auto-commit) on its way: its callback learns the
/// outcome. `seq` is the consumer's commit sequence number when it was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PendingCommit {
    pub partition: Partition,
    pub offset: Offset,
    /// How many more times a failure is retried.
    pub retries_left: u8,
    pub seq: u8,
    /// The generation it was sent in: a rejection tells the consumer it left
    /// the group only if it still believes in that generation.
    pub generation: Generation,
    /// The correlation id of its OffsetCommit (of its latest retry).
    pub corr: Corr,
}

/// A run of records of `partition` queued for the worker threads: `next .. to`
/// are still to be taken by a thread.
/// It names the partition, not a slot of [`ConsumerState::owned`]: the
/// application's thread goes on with its queue when a rebalance revokes the
/// partition (nothing in the Java client stops it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Queued {
    pub partition: Partition,
    pub next: Offset,
    pub to: Offset,
}

/// What a consumer's step produces: the requests it sends and, when a
/// trace replays the step, the events it records where it decides.
pub struct Out<'e> {
    pub sends: Vec<(To, Msg)>,
    events: &'e mut Events,
}

impl<'e> Out<'e> {
    pub fn new(events: &'e mut Events) -> Out<'e> {
        Out { sends: Vec::new(), events }
    }

    pub fn push(&mut self, send: (To, Msg)) {
        self.sends.push(send);
    }

    pub fn extend(&mut self, sends: impl IntoIterator<Item = (To, Msg)>) {
        self.sends.extend(sends);
    }

    /// Records the event `make` builds, if the step is being recorded.
    #[inline]
    pub fn emit(&mut self, make: impl FnOnce() -> Event) {
        self.events.emit(make);
    }
}

impl Consumer {
    /// A (re)started process: join the group, or fetch the committed offsets
    /// of its manually assigned partitions.
    pub fn start(&self, incarnation: Incarnation, out: &mut Out) -> ConsumerState {
        if incarnation > 0 {
            out.emit(|| Event::Recover {
                consumer: self.number,
                joins: self.scenario.group.assignment == Assignment::Group,
            });
        }
        let mut state = ConsumerState::new(incarnation);
        match self.scenario.group.assignment {
            Assignment::Manual => {
                state.owned = self.manual_partitions.iter().map(|&p| owned(p)).collect();
                self.poll(&mut state, 0, out);
            }
            Assignment::Group => {
                state.phase = Phase::Joining;
                self.send_request(&mut state, out);
            }
        }
        state
    }

    /// Handles a reply or notice. Those addressed to an earlier incarnation
    /// are dropped (they belong to connections that died with it). Each
    /// message goes to the mechanism it concerns; a reply the current phase
    /// does not wait for (a duplicate, a late one) changes nothing.
    pub fn on_reply(&self, state: &mut ConsumerState, from: Actor, msg: &Msg, out: &mut Out) {
        if msg.reply_incarnation() != Some(state.incarnation) {
            out.emit(|| Event::DropStale { consumer: self.number, from, msg: msg.clone() });
            return;
        }
        if !expects(state, msg) {
            // A copy of a reply already handled, or one to a request the
            // consumer has given up (its correlation id answers nothing
            // outstanding): Kafka's client never matches it to a request.
            return;
        }
        let consumer = self.number;
        match *msg {
            Msg::OffsetCommitResponse { partition, offset, .. } => {
                out.emit(|| Event::CommitAck { consumer, partition, offset });
                // The response to an async or auto commit reaches its
                // callback, whatever the poll loop is doing.
                if is_pending(state, partition, offset) {
                    self.on_async_commit_response(state, partition, offset)
                } else {
                    self.on_commit_response(state, msg, offset, out)
                }
            }
            Msg::TxnCommitResponse { partition, offset, .. } => {
                out.emit(|| Event::CommitAck { consumer, partition, offset });
                self.on_commit_response(state, msg, offset, out)
            }
            Msg::OutputAck { partition, offset, .. } => {
                out.emit(|| Event::Processed { consumer, partition, offset });
                self.on_output_ack(state, partition, offset, out)
            }
            Msg::RebalanceNotice { .. } => {
                out.emit(|| Event::Rebalance { consumer });
                self.on_group_notice(state, msg, out)
            }
            Msg::Evicted { .. } => {
                out.emit(|| Event::Evicted { consumer });
                self.on_group_notice(state, msg, out)
            }
            Msg::JoinResponse { member, generation, .. } => {
                out.emit(|| Event::Joined { consumer, member, generation });
                if state.phase == Phase::Joining {
                    self.on_joined(state, member, generation, out)
                }
            }
            Msg::SyncResponse { ref assignment, .. } => {
                if state.phase != Phase::Syncing {
                    return;
                }
                match assignment {
                    Some(assignment) => {
                        let (member, generation) = (state.member.unwrap_or(0), state.generation);
                        out.emit(|| Event::Assign {
                            consumer,
                            member,
                            generation,
                            assignment: assignment.clone(),
                        });
                        self.on_assignment(state, assignment, out)
                    }
                    None => {
                        out.emit(|| Event::SyncFailed { consumer });
                        self.rejoin_now(state, out)
                    }
                }
            }
            Msg::OffsetFetchResponse { ref offsets, .. } => self.on_committed_offsets(state, offsets, out),
            Msg::ListOffsetsResponse { ref offsets, .. } => self.on_log_ends(state, offsets, out),
            Msg::FetchResponse { partition, offset, count, .. } => {
                for offset in offset..offset + count {
                    out.emit(|| Event::Receive { consumer, partition, offset });
                }
                if count == 0 {
                    out.emit(|| Event::EmptyPoll { consumer, partition, offset });
                }
                if let Phase::Fetching { slot } = state.phase
                    && self.answers(state, msg)
                {
                    if count == 0 {
                        // poll() returned no records (`fetch.max.wait.ms`
                        // elapsed at the broker): the loop polls on, from
                        // the next partition.
                        self.poll(state, slot as usize + 1, out)
                    } else {
                        self.on_records(state, slot, offset, offset + count, out)
                    }
                }
            }
            Msg::CommitRejected { partition, offset, error, .. } => {
                out.emit(|| Event::CommitRejected { consumer, partition, offset, error });
                if is_pending(state, partition, offset) || self.answers(state, msg) {
                    self.on_commit_rejected(state, partition, offset, error, out)
                }
            }
            // Requests never reach a consumer: their reply incarnation is none.
            Msg::OffsetFetch { .. }
            | Msg::Fetch { .. }
            | Msg::ListOffsets { .. }
            | Msg::Output { .. }
            | Msg::OffsetCommit { .. }
            | Msg::TxnCommit { .. }
            | Msg::TxnOutputs { .. }
            | Msg::JoinGroup { .. }
            | Msg::SyncGroup { .. } => {}
        }
    }

    /// The sink acknowledged a record's side effect: the worker thread's
    /// record (auto-commit with a worker), the poll loop's, or a parallel worker's.
    /// With `commit.store` after-processing the application stores offset + 1
    /// of the record once processed, before it goes on.
    fn on_output_ack(&self, state: &mut ConsumerState, partition: Partition, offset: Offset, out: &mut Out) {
        if pool::pool_applies(state, partition, offset) {
            self.store_processed(state, partition, offset + 1);
            return self.on_pool_record_applied(state, partition, offset, out);
        }
        match state.phase {
            Phase::Processing { slot, from, next, to } if offset == next => {
                self.store_processed(state, partition, offset + 1);
                self.on_processed(state, slot, from, next, to, out)
            }
            Phase::Working { from, to, .. } if (from..to).contains(&offset) => {
                self.on_worker_processed(state, offset, out)
            }
            _ => {}
        }
    }

    /// Whether this consumer, alive, will apply the side effect of `offset`
    /// of `partition` from the records it holds, provided its pending commit
    /// (at-most-once) is accepted.
    pub fn will_process(&self, state: &ConsumerState, partition: Partition, offset: Offset) -> bool {
        let holds = |slot: u8, from: Offset, to: Offset| {
            state.owned[slot as usize].partition == partition && (from..to).contains(&offset)
        };
        if pool::pool_holds(state, partition, offset) {
            return true;
        }
        match state.phase {
            Phase::Processing { slot, next, to, .. } => holds(slot, next, to),
            Phase::Working { slot, from, to, done, .. } => {
                holds(slot, from, to) && done & bit(from, offset) == 0
            }
            Phase::Committing { slot, from, to } => {
                self.scenario.strategy != Strategy::ExactlyOnce && holds(slot, from, to)
            }
            _ => false,
        }
    }

    /// Whether a reply answers the request the poll loop waits on, by its
    /// content: a commit's rejection names the commit it rejects, a fetch
    /// response its partition and offset. On the duplicating network the
    /// correlation ids ([`expects`]) have already set aside copies of old
    /// replies. A JoinResponse is not told apart by content: neither its
    /// member id nor its generation can (a rejoining follower is answered
    /// with the generation it already had, and after a failover the loaded
    /// generation can be older than the one the consumer knew), so the
    /// model never lets one JoinGroup be answered twice on the other
    /// networks: it sends a JoinGroup again only once neither it nor its
    /// answer is on the network (`KafkaModel::allows`).
    fn answers(&self, state: &ConsumerState, reply: &Msg) -> bool {
        match (self.request(state), reply) {
            (
                Some((_, Msg::OffsetCommit { partition: p, offset: o, .. })),
                &Msg::CommitRejected { partition, offset, .. },
            )
            | (
                Some((_, Msg::TxnCommit { partition: p, to: o, .. })),
                &Msg::CommitRejected { partition, offset, .. },
            ) => (p, o) == (partition, offset),
            (
                Some((_, Msg::Fetch { partition: p, offset: o, .. })),
                &Msg::FetchResponse { partition, offset, .. },
            ) => (p, o) == (partition, offset),
            (
                Some((_, Msg::OffsetCommit { partition: p, offset: o, .. })),
                &Msg::OffsetCommitResponse { partition, offset, .. },
            ) => (p, o) == (partition, offset),
            _ => true,
        }
    }

    /// A new correlation id for a request about to be sent: counted on the
    /// duplicating network only (`msg.rs` says why), 0 elsewhere.
    pub(super) fn next_corr(&self, state: &mut ConsumerState) -> Corr {
        if self.scenario.network.kind == NetworkKind::Duplicating {
            state.corr += 1;
        }
        state.corr
    }

    /// Sends the request the poll loop's phase waits on (a new one, or a
    /// retry: Kafka gives a retried request a new correlation id too).
    pub(super) fn send_request(&self, state: &mut ConsumerState, out: &mut Out) {
        state.awaiting = self.next_corr(state);
        out.extend(self.request(state));
    }

    /// The request the poll loop waits on the reply to, as it was sent.
    pub fn request(&self, state: &ConsumerState) -> Option<(To, Msg)> {
        let (incarnation, corr) = (state.incarnation, state.awaiting);
        let partition = |slot: u8| state.owned[slot as usize].partition;
        let commit = |slot: u8, offset| {
            let by = committer(state);
            (To::Coordinator, Msg::OffsetCommit { incarnation, corr, partition: partition(slot), offset, by })
        };
        match state.phase {
            // The JoinGroup as `poll` sent it: the member id it has (none
            // at the first join) and the partitions it kept.
            Phase::Joining => {
                let mut owned: Vec<Partition> = state
                    .owned
                    .iter()
                    .map(|o| o.partition)
                    .chain(state.last_assignment.iter().copied())
                    .collect();
                owned.sort_unstable();
                Some((To::Coordinator, Msg::JoinGroup { incarnation, corr, member: state.member, owned }))
            }
            // The SyncGroup for the generation the JoinGroup returned.
            Phase::Syncing => {
                let (member, generation) = (state.member.unwrap_or(0), state.generation);
                Some((To::Coordinator, Msg::SyncGroup { incarnation, corr, member, generation }))
            }
            Phase::AwaitingOffsets => {
                let partitions =
                    state.owned.iter().filter(|o| o.position.is_none()).map(|o| o.partition).collect();
                Some((To::Coordinator, Msg::OffsetFetch { incarnation, corr, partitions }))
            }
            Phase::Fetching { slot } => {
                let offset = state.owned[slot as usize].position.unwrap_or(0);
                let max_records = self.scenario.max_poll_records;
                Some((
                    To::Broker,
                    Msg::Fetch { incarnation, corr, partition: partition(slot), offset, max_records },
                ))
            }
            Phase::Processing { slot, next, .. } => {
                Some((To::Sink, Msg::Output { incarnation, corr, partition: partition(slot), offset: next }))
            }
            Phase::Committing { slot, from, to } => match self.scenario.strategy {
                Strategy::ExactlyOnce => {
                    let by = committer(state);
                    Some((
                        To::Coordinator,
                        Msg::TxnCommit { incarnation, corr, partition: partition(slot), from, to, by },
                    ))
                }
                Strategy::AtLeastOnce => {
                    Some(commit(slot, commit_offset::named(self.scenario.commit_offset, to)))
                }
                Strategy::AtMostOnce => Some(commit(slot, to)),
            },
            Phase::Flushing { slot, to } => Some(commit(slot, to)),
            _ => None,
        }
    }
}

fn owned(partition: Partition) -> Owned {
    Owned { partition, position: None, committed: 0, revoking: false }
}

/// Who the consumer believes it is, as its commits say.
pub fn committer(state: &ConsumerState) -> Committer {
    Committer { member: state.member, generation: state.generation }
}

/// Whether a reply answers a request the consumer has outstanding, by its
/// correlation id: the poll loop's, a pending async commit's, a worker's
/// output. Off the duplicating network every id is 0 and every reply passes.
fn expects(state: &ConsumerState, reply: &Msg) -> bool {
    let Some(corr) = reply.reply_corr() else { return true };
    corr == state.awaiting
        || matches!(state.phase, Phase::Working { outputs, .. } if outputs == corr)
        || state.pending_commits.iter().any(|c| c.corr == corr)
        || state.pool.iter().any(|t| t.applying && t.corr == corr)
}

/// Whether an async or auto commit of `offset` for `partition` awaits its response.
fn is_pending(state: &ConsumerState, partition: Partition, offset: Offset) -> bool {
    state.pending_commits.iter().any(|c| (c.partition, c.offset) == (partition, offset))
}
