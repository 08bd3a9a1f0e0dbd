//! The group coordinator: the `__consumer_offsets` log and the group.
//!
//! The log is append-only: every accepted commit is a record keyed by
//! (group, topic, partition), and the committed offset is the latest record
//! for a key (what compaction would keep). Keeping the whole log, not just the
//! latest values, is what lets `committed-monotonic` see a commit that moved
//! an offset back. The scenario has one group and one topic, so the key is the
//! partition. The log is durable: it is saved to the coordinator's storage on
//! every append and reloaded on start. Membership is in [`super::group`].
//!
//! The log is the leader's copy of a replicated partition
//! ([`super::replication`]): a failover makes the coordinator start again
//! from the copy of the replica elected next. To tell whether an
//! acknowledged commit survived, the coordinator keeps a history record
//! (`acked`, durable with the log but no part of Kafka's state): per
//! partition, the last commit it acknowledged and where in the log it was.
//!
//! Offsets expire (`offsets.retention`): an expiry is a step the checker
//! chooses (a Stateright random choice of the partition, offered for every
//! partition that has a committed offset; `KafkaModel::allows` keeps the
//! ones the retention policy permits in that state). It appends a tombstone
//! for the partition, so the log stays append-only and the partition has no
//! committed offset until the next commit. Each expiry removes an existing
//! commit, so expiries are bounded by commits and the state space stays finite.

use super::choice::Choice;
use super::event::{Acknowledged, Candidate, Event, Events};
use super::group::{Effect, Group, GroupRules, GroupTimer};
use super::msg::Msg;
use super::replication::{Election, Replica, Replication, TopicRules};
use crate::scenario::{Offset, OffsetsConfig, Partition, Retention};
use serde::Serialize;

/// The offset of a tombstone: the partition's committed offset expired.
/// Never a record's offset (logs end at 200 at most).
pub const TOMBSTONE: Offset = Offset::MAX;

/// One record of `__consumer_offsets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetRecord {
    pub partition: Partition,
    pub offset: Offset,
    /// The leader epoch it was appended in (record batches carry it, KIP-101).
    pub epoch: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetsLog {
    pub records: Vec<OffsetRecord>,
}

impl OffsetsLog {
    /// The committed offset of a partition: its latest record, if any and
    /// not a tombstone.
    pub fn committed(&self, partition: Partition) -> Option<Offset> {
        self.records
            .iter()
            .rev()
            .find(|r| r.partition == partition)
            .map(|r| r.offset)
            .filter(|&o| o != TOMBSTONE)
    }

    /// Whether the record at `index` is the one appended in `epoch` (not
    /// truncated away, nor replaced by a later leader's record).
    pub fn holds(&self, index: usize, epoch: u8) -> bool {
        self.records.get(index).is_some_and(|r| r.epoch == epoch)
    }
}

/// A commit the coordinator acknowledged (OffsetCommitResponse or
/// TxnCommitResponse sent), and where its record was in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Acked {
    pub partition: Partition,
    pub offset: Offset,
    pub index: usize,
    pub epoch: u8,
}

/// What survives a failover: the offsets partition on its replicas, and the
/// history of acknowledged commits the `acked-commit-durable` property reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct OffsetsTopic {
    /// The leader's log: the committed offsets the coordinator serves.
    pub log: OffsetsLog,
    pub replication: Replication,
    /// Per partition (in partition order), the last commit acknowledged.
    pub acked: Vec<Acked>,
}

impl OffsetsTopic {
    pub fn new(replicas: u8) -> Self {
        OffsetsTopic { replication: Replication::new(replicas), ..OffsetsTopic::default() }
    }

    /// Acknowledged commits whose record is no longer in the leader's log.
    pub fn lost_acks(&self) -> impl Iterator<Item = &Acked> {
        self.acked.iter().filter(|a| !self.log.holds(a.index, a.epoch))
    }

    /// The leader appends a commit: to the ISR too with `acks: all`.
    fn append(&mut self, acks: crate::scenario::Acks, partition: Partition, offset: Offset) {
        let epoch = self.replication.epoch;
        self.log.records.push(OffsetRecord { partition, offset, epoch });
        self.replication.appended(acks, self.log.records.len());
    }

    /// The replicas in the ISR now.
    pub fn in_sync_replicas(&self) -> Vec<Replica> {
        let r = &self.replication;
        (0..r.replicas()).filter(|&i| r.in_sync(i)).collect()
    }

    /// The commit just appended is acknowledged.
    fn acknowledge(&mut self, partition: Partition, offset: Offset) {
        let index = self.log.records.len() - 1;
        let acked = Acked { partition, offset, index, epoch: self.replication.epoch };
        match self.acked.binary_search_by_key(&partition, |a| a.partition) {
            Ok(i) => self.acked[i] = acked,
            Err(i) => self.acked.insert(i, acked),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CoordinatorState {
    pub topic: OffsetsTopic,
    pub group: Group,
    /// After a failover, until the controller elects the new leader: the
    /// candidates. Requests wait meanwhile.
    pub electing: Option<Vec<Replica>>,
}

#[derive(Clone, Debug)]
pub struct Coordinator {
    pub rules: GroupRules,
    pub topic: TopicRules,
    /// Whether the scenario has coordinator failovers in its budget.
    pub failovers: bool,
    /// Expiry of committed offsets, and whether the group starts with offset 0 committed.
    pub offsets: OffsetsConfig,
}

impl Coordinator {
    /// The coordinator's state at a start: the first (`durable` is None),
    /// or after a failover, which begins the next leader epoch and elects
    /// the new leader at once when there is one candidate only.
    pub fn start(&self, durable: Option<&OffsetsTopic>, ev: &mut Events) -> CoordinatorState {
        let Some(topic) = durable else {
            let mut topic = OffsetsTopic::new(self.topic.replicas);
            // The group existed before the run: offset 0 committed everywhere,
            // on every replica (not acknowledged to anyone in the run).
            if self.offsets.lifecycle() {
                for p in 0..self.rules.partitions {
                    topic.append(crate::scenario::Acks::All, p, 0);
                }
            }
            return CoordinatorState { topic, ..Default::default() };
        };
        let mut state = CoordinatorState { topic: topic.clone(), ..Default::default() };
        state.topic.replication.epoch += 1;
        match self.election(&state.topic) {
            (candidates, how) if candidates.len() == 1 => {
                ev.emit(|| elected(&state.topic, candidates[0], how));
                self.elect(&mut state, candidates[0])
            }
            (candidates, how) => {
                ev.emit(|| {
                    let (r, end) = (&state.topic.replication, state.topic.log.records.len());
                    let candidates = candidates
                        .iter()
                        .map(|&c| Candidate { replica: c, held: r.leo[c as usize], in_sync: r.in_sync(c) })
                        .collect();
                    Event::Election { epoch: r.epoch, how, candidates, leader_had: end }
                });
                state.electing = Some(candidates)
            }
        }
        state
    }

    /// The replicas that may lead after the current leader failed, and how they are chosen.
    pub fn election(&self, topic: &OffsetsTopic) -> (Vec<Replica>, Election) {
        topic.replication.candidates(self.topic.unclean_election)
    }

    /// How a commit appended now is acknowledged ([`Acknowledged`]).
    fn acknowledged(&self, topic: &OffsetsTopic) -> Acknowledged {
        if topic.replication.replicas() < 2 {
            return Acknowledged::Alone;
        }
        match self.topic.acks {
            crate::scenario::Acks::Leader => Acknowledged::ByLeader(topic.replication.leader),
            crate::scenario::Acks::All => Acknowledged::ByInSync(topic.in_sync_replicas()),
        }
    }

    fn elect(&self, state: &mut CoordinatorState, r: Replica) {
        let kept = state.topic.replication.elect(r);
        state.topic.log.records.truncate(kept);
        state.electing = None;
    }

    /// The replication steps the checker may choose next, by kind: which
    /// follower catches up, which leaves the ISR, which replica is elected.
    pub fn choices(&self, state: &CoordinatorState) -> [Vec<Choice>; 3] {
        let each = |step: fn(Replica) -> Choice, rs: Vec<Replica>| rs.into_iter().map(step).collect();
        match &state.electing {
            Some(candidates) => [Vec::new(), Vec::new(), each(Choice::Elect, candidates.clone())],
            None => {
                let r = &state.topic.replication;
                [each(Choice::Replicate, r.lagging()), each(Choice::LeaveIsr, r.may_leave()), Vec::new()]
            }
        }
    }

    /// The expiries the checker may choose next: every partition whose committed offset was
    /// committed in the run, unless offsets never expire or the leader is
    /// being elected. Whether the retention policy permits it in a state is
    /// `KafkaModel::allows`'s to say.
    pub fn expirable(&self, state: &CoordinatorState) -> Vec<Choice> {
        if self.offsets.retention == Retention::Never || state.electing.is_some() {
            return Vec::new();
        }
        (0..self.rules.partitions)
            .filter(|&p| self.has_expirable_commit(&state.topic.log, p))
            .map(Choice::Expire)
            .collect()
    }

    /// Whether partition p has a committed offset that was committed in the
    /// run: the group's starting offset 0 (the first record of each
    /// partition, [`Coordinator::start`]) stands for where the group was
    /// when the run began, and does not expire.
    fn has_expirable_commit(&self, log: &OffsetsLog, p: Partition) -> bool {
        let seeds = if self.offsets.lifecycle() { self.rules.partitions as usize } else { 0 };
        let latest = log.records.iter().rposition(|r| r.partition == p);
        log.committed(p).is_some() && latest.is_some_and(|i| i >= seeds)
    }

    /// The committed offset of `partition` expires: a tombstone is appended.
    fn expire(&self, state: &mut CoordinatorState, partition: Partition) {
        if self.has_expirable_commit(&state.topic.log, partition) {
            state.topic.append(self.topic.acks, partition, TOMBSTONE);
        }
    }

    /// A step the checker chose: a replication step, an election or an expiry.
    pub fn on_choice(&self, state: &mut CoordinatorState, choice: Choice, ev: &mut Events) {
        let topic = &state.topic;
        match choice {
            Choice::Replicate(r) => {
                ev.emit(|| {
                    let (from, to) = (
                        topic.replication.leo[r as usize],
                        topic.replication.leo[topic.replication.leader as usize],
                    );
                    let fetched =
                        topic.log.records[from..to].iter().map(|x| (x.partition, x.offset)).collect();
                    Event::Replicate { replica: r, fetched, leader: topic.replication.leader, caught_up: to }
                });
                state.topic.replication.replicate(r)
            }
            Choice::LeaveIsr(r) => {
                let (held, leader_has) = (topic.replication.leo[r as usize], topic.log.records.len());
                state.topic.replication.leave(r);
                let in_sync = || state.topic.in_sync_replicas();
                ev.emit(|| Event::LeaveIsr { replica: r, held, leader_has, in_sync: in_sync() });
            }
            Choice::Elect(r) => {
                ev.emit(|| elected(topic, r, self.election(topic).1));
                self.elect(state, r)
            }
            Choice::Expire(p) => self.expire(state, p),
            Choice::Consumer(_) | Choice::Produce(_) => {
                unreachable!("the coordinator offers no {choice:?}")
            }
        }
    }

    /// Handles a request from consumer number `from`. The log changes only
    /// through accepted OffsetCommit and TxnCommit.
    pub fn handle(
        &self,
        state: &mut CoordinatorState,
        from: u8,
        msg: &Msg,
        out: &mut Vec<Effect>,
        ev: &mut Events,
    ) {
        let reply = |msg| Effect::Send(from, msg);
        let consumer = from;
        match msg {
            Msg::OffsetFetch { incarnation, partitions } => {
                for &partition in partitions {
                    let committed = state.topic.log.committed(partition);
                    ev.emit(|| Event::FetchOffset { consumer, partition, committed });
                }
                let offsets = partitions.iter().map(|&p| (p, state.topic.log.committed(p))).collect();
                out.push(reply(Msg::OffsetFetchResponse { incarnation: *incarnation, offsets }));
            }
            Msg::JoinGroup { incarnation, member, owned } => {
                ev.emit(|| {
                    let known = member.and_then(|m| state.group.member(m)).map(|m| m.id);
                    let member = known.unwrap_or(state.group.next_member);
                    Event::Join { consumer, member, known: known.is_some(), keeps: owned.clone() }
                });
                state.group.join(&self.rules, from, *incarnation, *member, owned, out);
            }
            &Msg::OffsetCommit { incarnation, partition, offset, by } => {
                if !state.group.accepts(self.rules.fencing, by) {
                    let generation = state.group.generation;
                    ev.emit(|| Event::RejectCommit { consumer, partition, offset, by, generation });
                    out.push(reply(Msg::CommitRejected { incarnation, partition, offset }));
                    return;
                }
                ev.emit(|| Event::Commit {
                    consumer,
                    partition,
                    offset,
                    acknowledged: self.acknowledged(&state.topic),
                });
                state.topic.append(self.topic.acks, partition, offset);
                state.topic.acknowledge(partition, offset);
                out.push(reply(Msg::OffsetCommitResponse { incarnation, partition, offset }));
            }
            // The transaction's offset record and its outputs' commit marker
            // are written together: from this step on, the outputs are
            // committed and on their way to read-committed readers (the sink).
            // A fenced transaction (KIP-447) is aborted with its outputs.
            &Msg::TxnCommit { incarnation, partition, from: first, to, by } => {
                if !state.group.accepts(self.rules.fencing, by) {
                    let generation = state.group.generation;
                    ev.emit(|| Event::RejectCommit { consumer, partition, offset: to, by, generation });
                    out.push(reply(Msg::CommitRejected { incarnation, partition, offset: to }));
                    return;
                }
                ev.emit(|| {
                    let acknowledged = self.acknowledged(&state.topic);
                    Event::TxnCommit { consumer, partition, from: first, to, acknowledged }
                });
                state.topic.append(self.topic.acks, partition, to);
                state.topic.acknowledge(partition, to);
                out.push(Effect::ToSink(Msg::TxnOutputs { partition, from: first, to }));
                out.push(reply(Msg::TxnCommitResponse { incarnation, partition, offset: to }));
            }
            _ => {}
        }
    }

    /// A member's session ran out (its process is gone) or it was paused too long.
    pub fn on_timer(
        &self,
        state: &mut CoordinatorState,
        timer: GroupTimer,
        out: &mut Vec<Effect>,
        ev: &mut Events,
    ) {
        let (GroupTimer::SessionTimeout(member) | GroupTimer::Pause(member)) = timer;
        let paused = matches!(timer, GroupTimer::Pause(_));
        let consumer = state.group.member(member).map_or(0, |m| m.consumer);
        ev.emit(|| Event::Evict { member, consumer, paused });
        match timer {
            GroupTimer::SessionTimeout(id) => state.group.evict(&self.rules, id, false, out),
            GroupTimer::Pause(id) => state.group.evict(&self.rules, id, true, out),
        }
    }
}

/// Replica `r` becomes the leader of `topic` (its state before), in its current epoch.
fn elected(topic: &OffsetsTopic, r: Replica, how: Election) -> Event {
    let kept = topic.replication.leo[r as usize];
    let records = &topic.log.records;
    let lost = records[kept.min(records.len())..].iter().map(|x| (x.partition, x.offset)).collect();
    let (epoch, leader_had) = (topic.replication.epoch, records.len());
    Event::Elect { replica: r, epoch, how, kept, lost, leader_had }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Events;
    use crate::model::msg::Committer;
    use crate::scenario::{Assignor, Fencing};

    const MANUAL: Committer = Committer { member: None, generation: 0 };

    fn coordinator(fencing: Fencing) -> Coordinator {
        Coordinator {
            rules: GroupRules { partitions: 2, assignor: Assignor::Range, fencing, pauses: false },
            topic: TopicRules::default(),
            failovers: false,
            offsets: OffsetsConfig::default(),
        }
    }

    #[test]
    fn an_expiry_appends_a_tombstone_and_only_removes_an_existing_commit() {
        let mut c = coordinator(Fencing::Generation);
        assert!(
            c.start(None, &mut Events::off()).topic.log.records.is_empty(),
            "no lifecycle: nothing committed at the start"
        );
        assert!(c.expirable(&c.start(None, &mut Events::off())).is_empty());
        c.offsets = OffsetsConfig { retention: Retention::WhileActive, ..OffsetsConfig::default() };
        let mut s = c.start(None, &mut Events::off());
        assert_eq!((s.topic.log.committed(0), s.topic.log.committed(1)), (Some(0), Some(0)));
        assert!(c.expirable(&s).is_empty(), "the group's starting offsets do not expire");
        let mut out = Vec::new();
        c.handle(&mut s, 0, &commit(1, 2, MANUAL), &mut out, &mut Events::off());
        assert_eq!(c.expirable(&s), vec![Choice::Expire(1)]);
        c.on_choice(&mut s, Choice::Expire(1), &mut Events::off());
        assert_eq!(s.topic.log.committed(1), None);
        assert_eq!(s.topic.log.records.len(), 4, "the log is append-only: the tombstone is a record");
        assert!(c.expirable(&s).is_empty());
        c.on_choice(&mut s, Choice::Expire(1), &mut Events::off());
        assert_eq!(s.topic.log.records.len(), 4, "nothing left to expire");
        c.handle(
            &mut s,
            0,
            &Msg::OffsetFetch { incarnation: 0, partitions: vec![1] },
            &mut out,
            &mut Events::off(),
        );
        let none = Msg::OffsetFetchResponse { incarnation: 0, offsets: vec![(1, None)] };
        assert_eq!(out.last(), Some(&Effect::Send(0, none)));
        c.handle(&mut s, 0, &commit(1, 1, MANUAL), &mut out, &mut Events::off());
        assert_eq!(s.topic.log.committed(1), Some(1));
    }

    fn commit(partition: Partition, offset: Offset, by: Committer) -> Msg {
        Msg::OffsetCommit { incarnation: 0, partition, offset, by }
    }

    #[test]
    fn committed_is_the_latest_record_per_partition() {
        let c = coordinator(Fencing::Generation);
        let mut s = CoordinatorState::default();
        assert_eq!(s.topic.log.committed(0), None);
        let mut out = Vec::new();
        for (p, o) in [(0, 2), (1, 5), (0, 1)] {
            c.handle(&mut s, 0, &commit(p, o, MANUAL), &mut out, &mut Events::off());
        }
        assert_eq!(s.topic.log.committed(0), Some(1));
        assert_eq!(s.topic.log.committed(1), Some(5));
        assert_eq!(s.topic.log.records.len(), 3, "the log is append-only");
    }

    #[test]
    fn offset_fetch_answers_every_partition_asked() {
        let c = coordinator(Fencing::Generation);
        let mut s = CoordinatorState::default();
        let mut out = Vec::new();
        c.handle(&mut s, 0, &commit(1, 3, MANUAL), &mut out, &mut Events::off());
        out.clear();
        c.handle(
            &mut s,
            2,
            &Msg::OffsetFetch { incarnation: 2, partitions: vec![0, 1] },
            &mut out,
            &mut Events::off(),
        );
        let offsets = vec![(0, None), (1, Some(3))];
        assert_eq!(out, vec![Effect::Send(2, Msg::OffsetFetchResponse { incarnation: 2, offsets })]);
    }

    #[test]
    fn transaction_commits_offset_and_publishes_outputs_together() {
        let c = coordinator(Fencing::Generation);
        let mut s = CoordinatorState::default();
        let mut out = Vec::new();
        c.handle(
            &mut s,
            0,
            &Msg::TxnCommit { incarnation: 0, partition: 0, from: 0, to: 2, by: MANUAL },
            &mut out,
            &mut Events::off(),
        );
        assert_eq!(s.topic.log.committed(0), Some(2));
        assert_eq!(
            out,
            vec![
                Effect::ToSink(Msg::TxnOutputs { partition: 0, from: 0, to: 2 }),
                Effect::Send(0, Msg::TxnCommitResponse { incarnation: 0, partition: 0, offset: 2 }),
            ]
        );
    }

    #[test]
    fn a_failover_loads_the_elected_replicas_log() {
        use crate::scenario::Acks;
        let mut c = coordinator(Fencing::Generation);
        c.topic = TopicRules { replicas: 3, acks: Acks::Leader, unclean_election: false };
        let mut s = c.start(None, &mut Events::off());
        assert_eq!((s.topic.replication.leo.clone(), s.electing.clone()), (vec![0, 0, 0], None));
        let mut out = Vec::new();
        c.handle(&mut s, 0, &commit(0, 1, MANUAL), &mut out, &mut Events::off());
        c.on_choice(&mut s, Choice::Replicate(1), &mut Events::off());
        c.handle(&mut s, 0, &commit(0, 2, MANUAL), &mut out, &mut Events::off());
        assert_eq!(s.topic.acked, vec![Acked { partition: 0, offset: 2, index: 1, epoch: 0 }]);
        assert_eq!(
            c.choices(&s),
            [
                vec![Choice::Replicate(1), Choice::Replicate(2)],
                vec![Choice::LeaveIsr(1), Choice::LeaveIsr(2)],
                vec![]
            ]
        );
        // The leader fails: replicas 1 (offset 1) and 2 (nothing) are in sync.
        let mut next = c.start(Some(&s.topic), &mut Events::off());
        assert_eq!((next.topic.replication.epoch, next.electing.clone()), (1, Some(vec![1, 2])));
        assert_eq!(c.choices(&next)[2], vec![Choice::Elect(1), Choice::Elect(2)]);
        c.on_choice(&mut next, Choice::Elect(1), &mut Events::off());
        assert_eq!((next.topic.log.committed(0), next.electing.clone()), (Some(1), None));
        assert_eq!(next.topic.lost_acks().count(), 1, "the acknowledged commit of 2 is gone");
        c.handle(&mut next, 0, &commit(0, 3, MANUAL), &mut out, &mut Events::off());
        assert_eq!(next.topic.log.records[1], OffsetRecord { partition: 0, offset: 3, epoch: 1 });
        assert_eq!(next.topic.lost_acks().count(), 0, "a later commit was acknowledged");
        // With a single replica the returning leader is elected at once, its log intact.
        let single = coordinator(Fencing::Generation);
        let mut s = single.start(None, &mut Events::off());
        single.handle(&mut s, 0, &commit(0, 1, MANUAL), &mut out, &mut Events::off());
        let back = single.start(Some(&s.topic), &mut Events::off());
        assert_eq!(
            (back.electing, back.topic.log.committed(0), back.topic.replication.epoch),
            (None, Some(1), 1)
        );
    }

    #[test]
    fn a_stale_generation_is_fenced_only_with_generation_fencing() {
        let stale = Committer { member: Some(0), generation: 0 };
        for (fencing, accepted) in [(Fencing::Generation, false), (Fencing::None, true)] {
            let c = coordinator(fencing);
            let mut s = CoordinatorState::default();
            let mut out = Vec::new();
            c.handle(
                &mut s,
                0,
                &Msg::JoinGroup { incarnation: 0, member: None, owned: vec![] },
                &mut out,
                &mut Events::off(),
            );
            out.clear();
            c.handle(&mut s, 0, &commit(0, 1, stale), &mut out, &mut Events::off());
            assert_eq!(s.topic.log.committed(0).is_some(), accepted, "{fencing:?}");
            let rejected = matches!(out[0], Effect::Send(0, Msg::CommitRejected { .. }));
            assert_eq!(rejected, !accepted);
        }
    }
}
