//! A failover of the coordinator: the broker leading `__consumer_offsets`
//! fails, the next start begins a new leader epoch and the controller
//! elects a replica (at once when there is one candidate); the coordinator
//! then serves the elected replica's copy of the log. Between failovers, the
//! replication steps the checker may interleave: which follower catches up,
//! which falls out of the ISR.
//!
//! The elected replica's copy also holds the group's GroupMetadata records:
//! the new coordinator loads the latest of them (Kafka's
//! `GroupMetadataManager.loadGroupsAndOffsets`), so the group goes on in the
//! generation last written, with the members it had then; a rebalance in
//! progress at the failover was never written and is gone (its members'
//! JoinGroups time out and are sent to the new coordinator).

use super::{Coordinator, CoordinatorState, OffsetsTopic};
use crate::model::choice::Choice;
use crate::model::event::{Candidate, Event, Events};
use crate::model::group::Group;
use crate::model::replication::{Election, Replica};

impl Coordinator {
    /// The coordinator's state at a start: the first (`durable` is None),
    /// or after a failover, which begins the next leader epoch and elects
    /// the new leader at once when there is one candidate only.
    pub fn start(&self, durable: Option<&OffsetsTopic>, ev: &mut Events) -> CoordinatorState {
        let Some(topic) = durable else {
            let mut topic = OffsetsTopic::new(self.topic.replicas);
            // The group existed before the run: offset 0 committed everywhere,
            // on every replica (not acknowledged to anyone in the run).
            if self.offsets.seeded() {
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
                self.elect(&mut state, candidates[0], ev)
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

    /// `r` leads from now on; the coordinator loads the group from its log.
    pub(super) fn elect(&self, state: &mut CoordinatorState, r: Replica, ev: &mut Events) {
        state.topic.elect(r);
        state.electing = None;
        let topic = &state.topic;
        state.group = Group::load(topic.group(), topic.pauses_spent, topic.members_issued);
        let group = &state.group;
        if state.topic.group().is_some() {
            ev.emit(|| Event::LoadGroup {
                generation: group.generation,
                members: group.members.iter().map(|m| (m.id, m.consumer)).collect(),
            });
        }
    }

    /// The replication steps the checker may choose next, by kind: which
    /// follower catches up, which leaves the ISR, which replica is elected.
    pub fn choices(&self, state: &CoordinatorState) -> [Vec<Choice>; 3] {
        let each = |step: fn(Replica) -> Choice, rs: Vec<Replica>| rs.into_iter().map(step).collect();
        match &state.electing {
            Some(candidates) => [Vec::new(), Vec::new(), each(Choice::Elect, candidates.clone())],
            None => {
                let r = &state.topic.replication;
                // A follower lags if it lacks offset records or group records.
                let mut lagging = r.lagging();
                lagging.extend(state.topic.lagging_groups());
                lagging.sort_unstable();
                lagging.dedup();
                [each(Choice::Replicate, lagging), each(Choice::LeaveIsr, r.may_leave()), Vec::new()]
            }
        }
    }
}

/// Replica `r` becomes the leader of `topic` (its state before), in its current epoch.
pub(super) fn elected(topic: &OffsetsTopic, r: Replica, how: Election) -> Event {
    let kept = topic.replication.leo[r as usize];
    let records = &topic.log.records;
    let lost = records[kept.min(records.len())..].iter().map(|x| (x.partition, x.offset)).collect();
    let (epoch, leader_had) = (topic.replication.epoch, records.len());
    Event::Elect { replica: r, epoch, how, kept, lost, leader_had }
}
