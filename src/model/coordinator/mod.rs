//! The group coordinator: `__consumer_offsets` (`offsets_log.rs`), the
//! group (`src/model/group.rs`), the expiry of committed offsets
//! (`retention.rs`) and failovers of the broker leading the offsets topic
//! (`failover.rs`). This file routes requests and the checker's choices to them.

mod failover;
mod offsets_log;
mod retention;
#[cfg(test)]
mod tests;

pub use offsets_log::{Acked, GroupRecord, OffsetRecord, OffsetsLog, OffsetsTopic, TOMBSTONE};

use super::choice::Choice;
use super::event::{Acknowledged, Event, Events};
use super::group::{Effect, Group, GroupRules, GroupTimer, Joiner};
use super::msg::{Generation, Msg};
use super::replication::Replica;
use crate::scenario::{OffsetsConfig, OffsetsTopicConfig};
use failover::elected;
use serde::Serialize;

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
    /// `offsets_topic`: replicas, acks, unclean election, the failover budget.
    pub topic: OffsetsTopicConfig,
    /// Expiry of committed offsets, and whether the group starts with offset 0 committed.
    pub offsets: OffsetsConfig,
}

impl Coordinator {
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
                let (held, end) = (topic.groups_held[r as usize], topic.groups.len());
                if held < end {
                    let generation = topic.groups[end - 1].group.generation;
                    ev.emit(|| Event::ReplicateGroup { replica: r, generation });
                }
                state.topic.replicate(r)
            }
            Choice::LeaveIsr(r) => {
                let (held, leader_has) = (topic.replication.leo[r as usize], topic.log.records.len());
                state.topic.replication.leave(r);
                let in_sync = || state.topic.in_sync_replicas();
                ev.emit(|| Event::LeaveIsr { replica: r, held, leader_has, in_sync: in_sync() });
            }
            Choice::Elect(r) => {
                ev.emit(|| elected(topic, r, self.election(topic).1));
                self.elect(state, r, ev)
            }
            Choice::Expire(p) => self.expire(state, p),
            Choice::Consumer(_) | Choice::Produce(_) | Choice::FetchWaitElapsed { .. } => {
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
            Msg::OffsetFetch { incarnation, corr, partitions } => {
                for &partition in partitions {
                    let committed = state.topic.log.committed(partition);
                    ev.emit(|| Event::FetchOffset { consumer, partition, committed });
                }
                let offsets = partitions.iter().map(|&p| (p, state.topic.log.committed(p))).collect();
                out.push(reply(Msg::OffsetFetchResponse { incarnation: *incarnation, corr: *corr, offsets }));
            }
            Msg::JoinGroup { incarnation, corr, member, owned } => {
                let before = self.group_version(state);
                if let (true, Some(member)) = (state.group.answers_current(*member, owned), *member) {
                    let generation = state.group.generation;
                    ev.emit(|| Event::JoinCurrent { consumer, member, generation });
                } else {
                    ev.emit(|| {
                        let known = member.and_then(|m| state.group.member(m)).map(|m| m.id);
                        let member = known.unwrap_or(state.group.next_member);
                        let last_assignment = self.rules.assignor == crate::scenario::Assignor::Sticky;
                        Event::Join {
                            consumer,
                            member,
                            known: known.is_some(),
                            keeps: owned.clone(),
                            last_assignment,
                        }
                    });
                }
                let joiner = Joiner { consumer: from, incarnation: *incarnation, corr: *corr };
                state.group.join(&self.rules, joiner, *member, owned, out);
                if self.topic.failovers > 0 {
                    state.topic.members_issued = state.group.next_member;
                }
                self.store_group(state, before, ev);
            }
            &Msg::SyncGroup { incarnation, corr, member, generation } => {
                let before = self.group_version(state);
                let joiner = Joiner { consumer: from, incarnation, corr };
                let outcome = state.group.sync(&self.rules, joiner, member, generation, out);
                ev.emit(|| Event::Sync { consumer, member, generation, outcome });
                self.store_group(state, before, ev);
            }
            &Msg::OffsetCommit { incarnation, corr, partition, offset, by } => {
                if let Err(error) = state.group.validate_commit(self.rules.fencing, by, false) {
                    let generation = state.group.generation;
                    ev.emit(|| Event::RejectCommit { consumer, partition, offset, by, generation, error });
                    out.push(reply(Msg::CommitRejected { incarnation, corr, partition, offset, error }));
                    return;
                }
                ev.emit(|| Event::Commit {
                    consumer,
                    partition,
                    offset,
                    acknowledged: self.acknowledged(&state.topic),
                });
                state.topic.append(self.topic.acks, partition, offset);
                out.push(reply(Msg::OffsetCommitResponse { incarnation, corr, partition, offset }));
            }
            // The transaction's offset record and its outputs' commit marker
            // are written together: from this step on, the outputs are
            // committed and on their way to read-committed readers (the sink).
            // A fenced transaction (KIP-447) is aborted with its outputs.
            &Msg::TxnCommit { incarnation, corr, partition, from: first, to, by } => {
                if let Err(error) = state.group.validate_commit(self.rules.fencing, by, true) {
                    let generation = state.group.generation;
                    ev.emit(|| Event::RejectCommit {
                        consumer,
                        partition,
                        offset: to,
                        by,
                        generation,
                        error,
                    });
                    out.push(reply(Msg::CommitRejected { incarnation, corr, partition, offset: to, error }));
                    return;
                }
                ev.emit(|| {
                    let acknowledged = self.acknowledged(&state.topic);
                    Event::TxnCommit { consumer, partition, from: first, to, acknowledged }
                });
                state.topic.append(self.topic.acks, partition, to);
                out.push(Effect::ToSink(Msg::TxnOutputs { partition, from: first, to }));
                out.push(reply(Msg::TxnCommitResponse { incarnation, corr, partition, offset: to }));
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
        let before = self.group_version(state);
        match timer {
            GroupTimer::SessionTimeout(id) => state.group.evict(&self.rules, id, false, out),
            GroupTimer::Pause(id) => state.group.evict(&self.rules, id, true, out),
        }
        if self.topic.failovers > 0 {
            state.topic.pauses_spent = state.group.pauses_spent;
        }
        self.store_group(state, before, ev);
    }

    /// What tells whether the group must be written again: its generation,
    /// whether it is Stable, and whether it has members.
    fn group_version(&self, state: &CoordinatorState) -> (Generation, bool, bool) {
        (state.group.generation, state.group.stable(), !state.group.members.is_empty())
    }

    /// Writes a GroupMetadata record when a rebalance completed (the
    /// group became Stable in a new generation) or the group emptied, as
    /// `GroupMetadataManager.storeGroup` does (at the leader's SyncGroup;
    /// for an empty group when its last member left). Only with failovers
    /// in the scenario: nothing else reads it.
    fn store_group(&self, state: &mut CoordinatorState, before: (Generation, bool, bool), ev: &mut Events) {
        let (generation, stable, members) = self.group_version(state);
        let completed = members && stable && (generation != before.0 || !before.1);
        let emptied = before.2 && !members;
        if self.topic.failovers == 0 || !(completed || emptied) {
            return;
        }
        let group = state.group.snapshot();
        ev.emit(|| {
            let members = group.members.iter().map(|m| (m.id, m.consumer)).collect();
            let acknowledged = self.acknowledged(&state.topic);
            Event::StoreGroup { generation: group.generation, members, acknowledged }
        });
        state.topic.store_group(self.topic.acks, group);
    }
}
