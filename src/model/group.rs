//! Group membership in the coordinator: JoinGroup/SyncGroup, generations,
//! rebalances, session timeouts and evictions, and the assignors.
//!
//! A rebalance starts when a member joins, rejoins, leaves or is evicted;
//! every other member is told to rejoin (the heartbeat response
//! REBALANCE_IN_PROGRESS) and the rebalance completes once all current
//! members have rejoined: the generation increases and every member gets its
//! assignment. JoinGroup and SyncGroup are one round trip here, and the
//! coordinator runs the leader's assignor itself: where the assignor runs
//! does not change which partitions a member gets.
//!
//! Member ids are handed out in join order, never derived from which consumer
//! process joined, so the assignment is the same whichever consumer is which
//! (what makes symmetry reduction sound).

use super::assignor::assign;
use super::msg::{Committer, Generation, Incarnation, MemberId, Msg};
use crate::scenario::{Assignor, Fencing, Partition};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Member {
    pub id: MemberId,
    /// The consumer (number) whose process joined as this member.
    pub consumer: u8,
    /// That process's incarnation: replies go to it, and it tells a dead
    /// member (whose session will time out) from a live one.
    pub incarnation: Incarnation,
    /// Has rejoined in the rebalance under way.
    pub rejoined: bool,
    /// The partitions it reported owning when it (re)joined (KIP-429).
    pub owned: Vec<Partition>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Group {
    pub generation: Generation,
    pub rebalancing: bool,
    /// Current members, by member id.
    pub members: Vec<Member>,
    pub next_member: MemberId,
    /// Evictions of live members (pauses) so far in the run.
    pub pauses_spent: u8,
}

/// The coordinator's timers, one pair per member: its session runs out
/// after its process died, or it is evicted while alive but paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum GroupTimer {
    SessionTimeout(MemberId),
    Pause(MemberId),
}

/// What a group operation asks the coordinator to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Send to consumer number `.0`.
    Send(u8, Msg),
    /// Send to the sink.
    ToSink(Msg),
    SetTimer(GroupTimer),
    CancelTimer(GroupTimer),
}

/// The group's fixed configuration.
#[derive(Clone, Debug)]
pub struct GroupRules {
    pub partitions: Partition,
    pub assignor: Assignor,
    pub fencing: Fencing,
    /// Whether pauses can happen at all (the budget is checked by the model).
    pub pauses: bool,
}

impl Group {
    pub fn member(&self, id: MemberId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// JoinGroup from a consumer process. An unknown (or no) member id joins
    /// as a new member.
    pub fn join(
        &mut self,
        rules: &GroupRules,
        consumer: u8,
        incarnation: Incarnation,
        member: Option<MemberId>,
        owned: &[Partition],
        out: &mut Vec<Effect>,
    ) {
        match member.and_then(|id| self.members.iter_mut().find(|m| m.id == id)) {
            Some(m) => {
                m.rejoined = true;
                m.owned = owned.to_vec();
                m.incarnation = incarnation;
            }
            None => {
                let id = self.next_member;
                self.next_member += 1;
                // An unknown member's claims are not trusted: it joins owning nothing.
                self.members.push(Member { id, consumer, incarnation, rejoined: true, owned: Vec::new() });
                out.push(Effect::SetTimer(GroupTimer::SessionTimeout(id)));
                if rules.pauses {
                    out.push(Effect::SetTimer(GroupTimer::Pause(id)));
                }
            }
        }
        self.start_rebalance(out);
        self.try_complete(rules, out);
    }

    /// Removes a member whose session ran out or who was paused too long.
    pub fn evict(&mut self, rules: &GroupRules, id: MemberId, paused: bool, out: &mut Vec<Effect>) {
        let Some(i) = self.members.iter().position(|m| m.id == id) else { return };
        let m = self.members.remove(i);
        out.push(Effect::CancelTimer(GroupTimer::SessionTimeout(id)));
        out.push(Effect::CancelTimer(GroupTimer::Pause(id)));
        if paused {
            self.pauses_spent += 1;
        }
        out.push(Effect::Send(m.consumer, Msg::Evicted { incarnation: m.incarnation }));
        if self.members.is_empty() {
            self.rebalancing = false;
        } else {
            self.start_rebalance(out);
            self.try_complete(rules, out);
        }
    }

    /// Whether a commit from `by` is accepted.
    pub fn accepts(&self, fencing: Fencing, by: Committer) -> bool {
        match (fencing, by.member) {
            (Fencing::None, _) => true,
            // assign() users commit outside group management: accepted while
            // the group has no members (a "simple" consumer group).
            (Fencing::Generation, None) => self.members.is_empty(),
            (Fencing::Generation, Some(id)) => self.member(id).is_some() && by.generation == self.generation,
        }
    }

    fn start_rebalance(&mut self, out: &mut Vec<Effect>) {
        if self.rebalancing {
            return;
        }
        self.rebalancing = true;
        for m in self.members.iter().filter(|m| !m.rejoined) {
            out.push(Effect::Send(m.consumer, Msg::RebalanceNotice { incarnation: m.incarnation }));
        }
    }

    fn try_complete(&mut self, rules: &GroupRules, out: &mut Vec<Effect>) {
        if !self.rebalancing || !self.members.iter().all(|m| m.rejoined) {
            return;
        }
        self.rebalancing = false;
        self.generation += 1;
        let owned: Vec<&[Partition]> = self.members.iter().map(|m| m.owned.as_slice()).collect();
        let assignments = assign(rules.assignor, rules.partitions, &owned);
        for (m, assignment) in self.members.iter_mut().zip(assignments) {
            m.rejoined = false;
            out.push(Effect::Send(
                m.consumer,
                Msg::JoinResponse {
                    incarnation: m.incarnation,
                    member: m.id,
                    generation: self.generation,
                    assignment,
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(assignor: Assignor) -> GroupRules {
        GroupRules { partitions: 2, assignor, fencing: Fencing::Generation, pauses: true }
    }

    fn sent(out: &[Effect]) -> Vec<&Msg> {
        out.iter().filter_map(|e| if let Effect::Send(_, m) = e { Some(m) } else { None }).collect()
    }

    #[test]
    fn a_join_rebalances_once_everyone_rejoined() {
        let r = rules(Assignor::Range);
        let mut g = Group::default();
        let mut out = Vec::new();
        g.join(&r, 0, 0, None, &[], &mut out);
        assert_eq!(g.generation, 1, "a lone member completes at once");
        assert_eq!(
            sent(&out),
            vec![&Msg::JoinResponse { incarnation: 0, member: 0, generation: 1, assignment: vec![0, 1] }]
        );
        out.clear();
        g.join(&r, 1, 0, None, &[], &mut out);
        assert!(g.rebalancing && g.generation == 1, "waits for member 0");
        assert_eq!(sent(&out), vec![&Msg::RebalanceNotice { incarnation: 0 }]);
        assert!(g.accepts(Fencing::Generation, Committer { member: Some(0), generation: 1 }));
        out.clear();
        g.join(&r, 0, 0, Some(0), &[], &mut out);
        assert_eq!(g.generation, 2);
        assert_eq!(sent(&out).len(), 2);
        assert!(!g.accepts(Fencing::Generation, Committer { member: Some(0), generation: 1 }));
        assert!(g.accepts(Fencing::None, Committer { member: Some(0), generation: 1 }));
    }

    #[test]
    fn eviction_tells_the_member_and_rebalances_the_rest() {
        let r = rules(Assignor::Range);
        let mut g = Group::default();
        let mut out = Vec::new();
        g.join(&r, 0, 0, None, &[], &mut out);
        g.join(&r, 1, 0, None, &[], &mut out);
        g.join(&r, 0, 0, Some(0), &[], &mut out);
        out.clear();
        g.evict(&r, 0, true, &mut out);
        assert_eq!(g.pauses_spent, 1);
        assert!(out.contains(&Effect::Send(0, Msg::Evicted { incarnation: 0 })));
        assert!(out.contains(&Effect::CancelTimer(GroupTimer::Pause(0))));
        assert!(g.rebalancing, "member 1 must rejoin");
        assert!(!g.accepts(Fencing::Generation, Committer { member: Some(0), generation: 2 }));
    }
}
