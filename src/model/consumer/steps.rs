//! A consumer's own nondeterministic steps, offered to the checker as
//! [`crate::model::choice::Choice::Consumer`]: a worker finishing, the
//! outstanding request timing out (`request.timeout.ms`), a pending async
//! commit failing (its callback retries it or not), the auto-commit interval
//! elapsing.
use super::{Consumer, ConsumerState, Out, Phase, To, committer};
use crate::model::choice::Choice;
use crate::model::event::Event;
use crate::model::msg::Msg;
use crate::scenario::{CommitGuard, CommitMode, Offset, Partition};
use serde::Serialize;

/// A consumer's own nondeterministic step, offered to the checker as
/// [`super::choice::Choice::Consumer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Step {
    /// A worker (parallel workers) finished this offset.
    WorkerDone(Offset),
    /// One of several worker threads of an auto-committing consumer
    /// finished this record of this partition.
    PoolDone(Partition, Offset),
    /// The pending async or auto commit at this index failed (its request
    /// or its response was lost).
    CommitTimeout(usize),
    /// `auto.commit.interval.ms` elapsed (the Java client: the next poll commits).
    AutoCommitDue,
    /// librdkafka's auto-commit timer fired: its background thread commits
    /// the stored offsets at once (`librdkafka.rs`).
    AutoCommitTimer,
    /// The outstanding request timed out (`request.timeout.ms`).
    Timeout,
}

impl Consumer {
    /// The consumer's own steps it offers the checker now: timeouts of its
    /// request and of each pending commit (with a lossy network; which of
    /// them can happen is [`crate::model::KafkaModel`]'s to say: only those
    /// whose request and reply are both gone), and the auto-commit interval elapsing.
    pub fn steps(&self, state: &ConsumerState) -> Vec<Choice> {
        let mut steps = Vec::new();
        if self.timeouts() {
            steps.push(Choice::Consumer(Step::Timeout));
            steps.extend((0..state.pending_commits.len()).map(|i| Choice::Consumer(Step::CommitTimeout(i))));
        }
        steps.extend(self.pool_running(state).map(|(p, o)| Choice::Consumer(Step::PoolDone(p, o))));
        if self.scenario.commit.mode == CommitMode::Auto {
            if self.librdkafka() {
                if self.timer_commits(state) {
                    steps.push(Choice::Consumer(Step::AutoCommitTimer));
                }
            } else if !state.auto_commit_due && self.auto_commit_offsets(state).next().is_some() {
                steps.push(Choice::Consumer(Step::AutoCommitDue));
            }
        }
        steps
    }

    /// Whether the consumer offers steps of its own beyond its workers'.
    pub fn has_steps(&self) -> bool {
        self.timeouts() || self.scenario.commit.mode == CommitMode::Auto
    }

    /// Takes one of its own steps.
    pub fn on_step(&self, state: &mut ConsumerState, step: Step, out: &mut Out) {
        let consumer = self.number;
        match step {
            Step::WorkerDone(offset) => {
                let partition = match state.phase {
                    Phase::Working { slot, .. } => state.owned[slot as usize].partition,
                    _ => 0,
                };
                out.emit(|| Event::WorkerDone { consumer, partition, offset });
                self.on_worker_done(state, offset, out)
            }
            Step::PoolDone(partition, offset) => {
                out.emit(|| Event::WorkerDone { consumer, partition, offset });
                self.on_pool_done(state, partition, offset, out)
            }
            // request.timeout.ms: the request is sent again.
            Step::Timeout => {
                self.send_request(state, out);
                let request = self.request(state).map(|(_, m)| m);
                out.emit(|| Event::Timeout { consumer, request });
            }
            Step::CommitTimeout(i) => {
                let Some(&c) = state.pending_commits.get(i) else { return };
                let newer = c.seq != state.commit_seq;
                let guarded = self.scenario.commit.guard == CommitGuard::Sequence && newer;
                let (partition, offset, seq) = (c.partition, c.offset, c.seq);
                if c.retries_left > 0 && !guarded {
                    let (retries_left, newer) = (c.retries_left, newer.then_some(state.commit_seq));
                    out.emit(|| Event::Retry { consumer, partition, offset, retries_left, seq, newer });
                    // The callback calls commitAsync(offset) again.
                    state.pending_commits[i].retries_left -= 1;
                    state.pending_commits[i].corr = self.next_corr(state);
                    let (incarnation, corr, by) =
                        (state.incarnation, state.pending_commits[i].corr, committer(state));
                    out.push((
                        To::Coordinator,
                        Msg::OffsetCommit { incarnation, corr, partition, offset, by },
                    ));
                } else {
                    let guard = guarded.then_some((state.commit_seq, seq));
                    out.emit(|| Event::CommitFailed { consumer, partition, offset, guard });
                    state.pending_commits.remove(i);
                }
            }
            Step::AutoCommitTimer => self.on_commit_timer(state, out),
            Step::AutoCommitDue => {
                out.emit(|| Event::AutoCommitDue { consumer });
                state.auto_commit_due = true;
                // A loop at the log end keeps polling (empty polls), so it commits now.
                if matches!(state.phase, Phase::Idle | Phase::Done) {
                    self.auto_commit(state, out);
                }
            }
        }
    }
}
