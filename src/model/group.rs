//! Group membership in the coordinator: JoinGroup/SyncGroup, generations,
//! rebalances, session timeouts and evictions, and the assignors.
//!
//! A rebalance starts when a member joins, rejoins, leaves or is evicted
//! (the group is PreparingRebalance); every other member is told to rejoin
//! (the heartbeat response REBALANCE_IN_PROGRESS). Once all current members
//! have rejoined, the generation increases and every JoinGroup is answered
//! with it (CompletingRebalance); each member then sends its SyncGroup.
//! Followers' SyncGroups wait; the leader's completes the rebalance
//! (Stable) and every waiting follower gets its assignment with it, as
//! Kafka's `GroupCoordinator.doSyncGroup` / the classic group of the new
//! group coordinator (`ClassicGroup`, `GroupMetadataManager.classicGroupSync`)
//! do. A member that joins or leaves while the group is CompletingRebalance
//! sends it back to PreparingRebalance, and the SyncGroups waiting are
//! answered REBALANCE_IN_PROGRESS (`resetAndPropagateAssignmentError`).
//! Kafka's leader runs the assignor on the members' metadata its JoinGroup
//! response carries and sends the result in its SyncGroup; here the
//! coordinator runs it when the leader's SyncGroup arrives, on the same
//! metadata (no member's can change in CompletingRebalance without sending
//! the group back to PreparingRebalance): where the assignor runs does not
//! change which partitions a member gets.
//!
//! Member ids are handed out in join order, never derived from which consumer
//! process joined, so the assignment is the same whichever consumer is which
//! (what makes symmetry reduction sound).
//!
//! A JoinGroup from a member the group knows, while no rebalance is under
//! way, is what Kafka's `GroupCoordinator.doCurrentMemberJoinGroup` does in
//! `Stable`: a follower whose metadata (here: the partitions it reports
//! owning) is unchanged gets the current generation and, at its SyncGroup,
//! its current assignment, without a rebalance; the leader (which may want
//! new topic metadata assigned), or a member whose metadata changed, starts
//! a rebalance. That is the JoinGroup a consumer sends again when its
//! answer was lost (`request.timeout.ms` on a lossy network) or when the
//! coordinator that held it failed over: a follower gets its answer back,
//! the leader's retry costs every member a rebalance. The leader is the
//! member with the lowest id (Kafka's first member to join; when it leaves
//! Kafka picks any other, the model the next in join order).
//!
//! The group's metadata (generation, members, their subscriptions) is itself
//! stored in `__consumer_offsets`: [`Group::snapshot`] is the GroupMetadata
//! record Kafka's `GroupMetadataManager.storeGroup` writes when a rebalance
//! completes and when the group empties, and [`Group::load`] is what a new
//! coordinator builds from the latest such record it loads
//! (`loadGroupsAndOffsets`): `Stable`, in that generation, with those
//! members, and no rebalance under way (one in progress at the failover was
//! never written; its members rejoin at the new coordinator).

use super::assignor::assign;
use super::msg::{CommitError, Committer, Corr, Generation, Incarnation, MemberId, Msg};
use crate::scenario::{Assignor, Fencing, Partition};
use serde::Serialize;

/// The process a JoinGroup came from: consumer number, incarnation, and the
/// request's correlation id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Joiner {
    pub consumer: u8,
    pub incarnation: Incarnation,
    pub corr: Corr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Member {
    pub id: MemberId,
    /// The consumer (number) whose process joined as this member.
    pub consumer: u8,
    /// That process's incarnation: replies go to it, and it tells a dead
    /// member (whose session will time out) from a live one.
    pub incarnation: Incarnation,
    /// The correlation id of its latest JoinGroup, which its answer echoes.
    pub corr: Corr,
    /// Has rejoined in the rebalance under way.
    pub rejoined: bool,
    /// Its SyncGroup waits for the leader's (CompletingRebalance); `corr` is the SyncGroup's.
    pub syncing: bool,
    /// The partitions it reported owning when it (re)joined (KIP-429).
    pub owned: Vec<Partition>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Group {
    pub generation: Generation,
    /// PreparingRebalance: waiting for members to rejoin.
    pub rebalancing: bool,
    /// CompletingRebalance: every member rejoined and was answered with
    /// `generation`; waiting for the leader's SyncGroup.
    pub completing: bool,
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

/// What the coordinator did with a SyncGroup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncOutcome {
    /// The leader's: the rebalance is complete, the group Stable.
    Completes,
    /// A follower's, in CompletingRebalance: it waits for the leader's.
    Waits,
    /// In Stable: answered with the member's current assignment.
    Current,
    /// Answered with an error: the member rejoins.
    Rejoin,
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

/// The group as a GroupMetadata record of `__consumer_offsets` holds it:
/// the generation and the members with their subscriptions, taken when a
/// rebalance completed or the group emptied (no rebalance is ever under way
/// in a record).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct GroupSnapshot {
    pub generation: Generation,
    pub members: Vec<Member>,
}

/// The group's fixed configuration.
#[derive(Clone, Debug)]
pub struct GroupRules {
    pub partitions: Partition,
    pub assignor: Assignor,
    pub fencing: Fencing,
    /// Whether pauses can happen at all (the budget is checked by the model).
    pub pauses: bool,
    /// Whether the notices carry what tells them apart (the generation a
    /// rebalance starts from, the member an eviction removes): on the
    /// duplicating network only, as the correlation ids (`msg.rs`), so the
    /// other networks' state spaces stay what they were.
    pub tagged: bool,
}

impl Group {
    pub fn member(&self, id: MemberId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// The leader: the member with the lowest id (the first to join of the current members).
    fn leader(&self) -> Option<MemberId> {
        self.members.iter().map(|m| m.id).min()
    }

    /// Whether a JoinGroup from `member` reporting `owned` is answered with
    /// the current generation, without a rebalance: its metadata is
    /// unchanged and the group is Stable with `member` a follower, or
    /// CompletingRebalance (any member: it lost its JoinGroup response),
    /// as `doCurrentMemberJoinGroup` does.
    pub fn answers_current(&self, member: Option<MemberId>, owned: &[Partition]) -> bool {
        let Some(m) = member.and_then(|id| self.member(id)) else { return false };
        m.owned == owned && (self.completing || (!self.rebalancing && self.leader() != Some(m.id)))
    }

    /// Whether the group is Stable: no rebalance preparing or completing.
    pub fn stable(&self) -> bool {
        !self.rebalancing && !self.completing
    }

    /// Each member's assignment in the current generation. Outside a
    /// rebalance every member's reported partitions are those the
    /// generation was assigned from, so assigning again gives them back.
    fn assignments(&self, rules: &GroupRules) -> Vec<Vec<Partition>> {
        let owned: Vec<&[Partition]> = self.members.iter().map(|m| m.owned.as_slice()).collect();
        assign(rules.assignor, rules.partitions, &owned)
    }

    /// The GroupMetadata record of the group as it is now.
    pub fn snapshot(&self) -> GroupSnapshot {
        let members =
            self.members.iter().map(|m| Member { rejoined: false, syncing: false, ..m.clone() }).collect();
        GroupSnapshot { generation: self.generation, members }
    }

    /// The group a new coordinator loads from its latest GroupMetadata
    /// record (none: the group never completed a rebalance, so it starts
    /// empty). Two counts of the run come from beside the log:
    /// `pauses_spent`, the budget, and `issued`, the member ids handed out
    /// so far: Kafka's member ids (a client id and a UUID) are never handed
    /// out twice, even when the record that named one was lost.
    pub fn load(record: Option<&GroupSnapshot>, pauses_spent: u8, issued: MemberId) -> Group {
        let base = Group { pauses_spent, next_member: issued, ..Group::default() };
        match record {
            None => base,
            Some(r) => Group { generation: r.generation, members: r.members.clone(), ..base },
        }
    }

    /// The timers of every member, set anew: Stateright cancels a crashed
    /// actor's timers, and a new coordinator schedules each loaded member's
    /// session expiry as Kafka's does when it loads the group.
    pub fn session_timers(&self, rules: &GroupRules) -> Vec<Effect> {
        let mut out = Vec::new();
        for m in &self.members {
            out.push(Effect::SetTimer(GroupTimer::SessionTimeout(m.id)));
            if rules.pauses {
                out.push(Effect::SetTimer(GroupTimer::Pause(m.id)));
            }
        }
        out
    }

    /// JoinGroup from a consumer process. An unknown (or no) member id joins
    /// as a new member; a known follower rejoining a stable group unchanged
    /// gets its current assignment back ([`Group::answers_current`]).
    pub fn join(
        &mut self,
        rules: &GroupRules,
        joiner: Joiner,
        member: Option<MemberId>,
        owned: &[Partition],
        out: &mut Vec<Effect>,
    ) {
        if self.answers_current(member, owned) {
            let generation = self.generation;
            let m = self.members.iter_mut().find(|m| Some(m.id) == member).expect("known");
            (m.incarnation, m.corr, m.syncing) = (joiner.incarnation, joiner.corr, false);
            let (incarnation, corr) = (joiner.incarnation, joiner.corr);
            let reply = Msg::JoinResponse { incarnation, corr, member: m.id, generation };
            out.push(Effect::Send(m.consumer, reply));
            return;
        }
        match member.and_then(|id| self.members.iter_mut().find(|m| m.id == id)) {
            Some(m) => {
                m.rejoined = true;
                m.owned = owned.to_vec();
                (m.incarnation, m.corr) = (joiner.incarnation, joiner.corr);
            }
            None => {
                let id = self.next_member;
                self.next_member += 1;
                // An unknown member's claims are not trusted: it joins owning nothing.
                let Joiner { consumer, incarnation, corr } = joiner;
                self.members.push(Member {
                    id,
                    consumer,
                    incarnation,
                    corr,
                    rejoined: true,
                    syncing: false,
                    owned: Vec::new(),
                });
                out.push(Effect::SetTimer(GroupTimer::SessionTimeout(id)));
                if rules.pauses {
                    out.push(Effect::SetTimer(GroupTimer::Pause(id)));
                }
            }
        }
        self.start_rebalance(rules, out);
        self.try_complete(out);
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
        // A member that rejoined in the rebalance under way (a new member
        // always has) waits for its JoinGroup's answer, a syncing one for its
        // SyncGroup's; `corr` is that request's.
        let held = (self.rebalancing && m.rejoined || m.syncing).then_some(m.corr);
        let member = if rules.tagged { m.id } else { 0 };
        out.push(Effect::Send(m.consumer, Msg::Evicted { incarnation: m.incarnation, member, held }));
        if self.members.is_empty() {
            (self.rebalancing, self.completing) = (false, false);
        } else {
            self.start_rebalance(rules, out);
            self.try_complete(out);
        }
    }

    /// Whether a commit from `by` is accepted.
    pub fn accepts(&self, fencing: Fencing, by: Committer) -> bool {
        self.validate_commit(fencing, by, true).is_ok()
    }

    /// Kafka's `ClassicGroup.validateOffsetCommit`: an assign() user's
    /// commit (no member, generation -1) is accepted while the group has no
    /// members (a "simple" consumer group); a member's needs its member id
    /// and generation current (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID), and
    /// a non-transactional one is answered REBALANCE_IN_PROGRESS while the
    /// group is CompletingRebalance. While PreparingRebalance the
    /// generation is still the old one, whose members' commits are accepted.
    pub fn validate_commit(
        &self,
        fencing: Fencing,
        by: Committer,
        transactional: bool,
    ) -> Result<(), CommitError> {
        match (fencing, by.member) {
            (Fencing::None, _) => Ok(()),
            (Fencing::Generation, None) if self.members.is_empty() => Ok(()),
            (Fencing::Generation, None) => Err(CommitError::Fenced),
            (Fencing::Generation, Some(id))
                if self.member(id).is_none() || by.generation != self.generation =>
            {
                Err(CommitError::Fenced)
            }
            (Fencing::Generation, Some(_)) if self.completing && !transactional => {
                Err(CommitError::RebalanceInProgress)
            }
            (Fencing::Generation, Some(_)) => Ok(()),
        }
    }

    /// SyncGroup from `member` for `generation` (`doSyncGroup`): in
    /// CompletingRebalance a follower's waits and the leader's completes the
    /// rebalance, answering every waiting follower too; in Stable a member
    /// of the generation gets its assignment at once. An unknown member
    /// (UNKNOWN_MEMBER_ID), another generation (ILLEGAL_GENERATION) or a
    /// group PreparingRebalance (REBALANCE_IN_PROGRESS) is answered with no
    /// assignment: the member rejoins. Returns what the coordinator did.
    pub fn sync(
        &mut self,
        rules: &GroupRules,
        joiner: Joiner,
        member: MemberId,
        generation: Generation,
        out: &mut Vec<Effect>,
    ) -> SyncOutcome {
        let (incarnation, corr) = (joiner.incarnation, joiner.corr);
        let known = self.member(member).is_some_and(|m| m.incarnation == incarnation);
        if !known || generation != self.generation || self.rebalancing {
            out.push(Effect::Send(
                joiner.consumer,
                Msg::SyncResponse { incarnation, corr, assignment: None },
            ));
            return SyncOutcome::Rejoin;
        }
        if self.completing && self.leader() != Some(member) {
            let m = self.members.iter_mut().find(|m| m.id == member).expect("known");
            (m.syncing, m.corr) = (true, corr);
            return SyncOutcome::Waits;
        }
        let leader = self.completing;
        self.completing = false;
        let assignments = self.assignments(rules);
        for (m, assignment) in self.members.iter_mut().zip(assignments) {
            if m.syncing || m.id == member {
                let corr = if m.id == member { corr } else { m.corr };
                let (incarnation, assignment) = (m.incarnation, Some(assignment));
                out.push(Effect::Send(m.consumer, Msg::SyncResponse { incarnation, corr, assignment }));
                m.syncing = false;
            }
        }
        if leader { SyncOutcome::Completes } else { SyncOutcome::Current }
    }

    fn start_rebalance(&mut self, rules: &GroupRules, out: &mut Vec<Effect>) {
        if self.rebalancing {
            return;
        }
        self.rebalancing = true;
        if std::mem::take(&mut self.completing) {
            for m in self.members.iter_mut().filter(|m| m.syncing) {
                m.syncing = false;
                let (incarnation, corr) = (m.incarnation, m.corr);
                out.push(Effect::Send(m.consumer, Msg::SyncResponse { incarnation, corr, assignment: None }));
            }
        }
        let generation = if rules.tagged { self.generation } else { 0 };
        for m in self.members.iter().filter(|m| !m.rejoined) {
            out.push(Effect::Send(
                m.consumer,
                Msg::RebalanceNotice { incarnation: m.incarnation, generation },
            ));
        }
    }

    fn try_complete(&mut self, out: &mut Vec<Effect>) {
        if !self.rebalancing || !self.members.iter().all(|m| m.rejoined) {
            return;
        }
        (self.rebalancing, self.completing) = (false, true);
        self.generation += 1;
        for m in self.members.iter_mut() {
            m.rejoined = false;
            let (incarnation, corr, member, generation) = (m.incarnation, m.corr, m.id, self.generation);
            out.push(Effect::Send(m.consumer, Msg::JoinResponse { incarnation, corr, member, generation }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joiner(consumer: u8, incarnation: Incarnation) -> Joiner {
        Joiner { consumer, incarnation, corr: 0 }
    }

    fn rules(assignor: Assignor) -> GroupRules {
        GroupRules { partitions: 2, assignor, fencing: Fencing::Generation, pauses: true, tagged: true }
    }

    fn sent(out: &[Effect]) -> Vec<&Msg> {
        out.iter().filter_map(|e| if let Effect::Send(_, m) = e { Some(m) } else { None }).collect()
    }

    /// The leader's (or any stable member's) SyncGroup for `generation`.
    fn sync(
        g: &mut Group,
        r: &GroupRules,
        consumer: u8,
        member: MemberId,
        generation: Generation,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        g.sync(r, joiner(consumer, 0), member, generation, &mut out);
        out
    }

    /// Members 0 (consumer 0) and 1 (consumer 1, in `incarnation`) in
    /// generation 2, completing: consumer 0 joined alone, consumer 1 joined,
    /// and consumer 0 rejoined; no SyncGroup yet.
    fn generation_2(r: &GroupRules, incarnation: Incarnation) -> Group {
        let mut g = Group::default();
        let mut out = Vec::new();
        g.join(r, joiner(0, 0), None, &[], &mut out);
        g.join(r, joiner(1, incarnation), None, &[], &mut out);
        g.join(r, joiner(0, 0), Some(0), &[], &mut out);
        assert_eq!((g.generation, g.completing), (2, true));
        g
    }

    #[test]
    fn a_join_rebalances_once_everyone_rejoined() {
        let r = rules(Assignor::Range);
        let mut g = Group::default();
        let mut out = Vec::new();
        g.join(&r, joiner(0, 0), None, &[], &mut out);
        assert_eq!((g.generation, g.completing), (1, true), "a lone member's join completes at once");
        assert_eq!(
            sent(&out),
            vec![&Msg::JoinResponse { incarnation: 0, corr: 0, member: 0, generation: 1 }]
        );
        let assigned = Msg::SyncResponse { incarnation: 0, corr: 0, assignment: Some(vec![0, 1]) };
        assert_eq!(sync(&mut g, &r, 0, 0, 1), vec![Effect::Send(0, assigned)]);
        assert!(g.stable());
        out.clear();
        g.join(&r, joiner(1, 0), None, &[], &mut out);
        assert!(g.rebalancing && g.generation == 1, "waits for member 0");
        assert_eq!(sent(&out), vec![&Msg::RebalanceNotice { incarnation: 0, generation: 1 }]);
        assert!(g.accepts(Fencing::Generation, Committer { member: Some(0), generation: 1 }));
        out.clear();
        g.join(&r, joiner(0, 0), Some(0), &[], &mut out);
        assert_eq!(g.generation, 2);
        assert_eq!(sent(&out).len(), 2);
        assert!(!g.accepts(Fencing::Generation, Committer { member: Some(0), generation: 1 }));
        let current = Committer { member: Some(0), generation: 2 };
        assert_eq!(
            g.validate_commit(Fencing::Generation, current, false),
            Err(CommitError::RebalanceInProgress)
        );
        // The follower's SyncGroup waits; the leader's answers both.
        assert!(sync(&mut g, &r, 1, 1, 2).is_empty());
        assert_eq!(sync(&mut g, &r, 0, 0, 2).len(), 2);
        assert!(g.accepts(Fencing::Generation, current));
        assert!(g.accepts(Fencing::None, Committer { member: Some(0), generation: 1 }));
    }

    #[test]
    fn eviction_tells_the_member_and_rebalances_the_rest() {
        let r = rules(Assignor::Range);
        let mut g = generation_2(&r, 0);
        let mut out = Vec::new();
        // Member 1's SyncGroup waits when member 0 is evicted: answered with an error.
        assert!(sync(&mut g, &r, 1, 1, 2).is_empty());
        out.clear();
        g.evict(&r, 0, true, &mut out);
        let error = Msg::SyncResponse { incarnation: 0, corr: 0, assignment: None };
        assert!(out.contains(&Effect::Send(1, error)), "{out:?}");
        assert!(!g.completing);
        assert_eq!(g.pauses_spent, 1);
        assert!(out.contains(&Effect::Send(0, Msg::Evicted { incarnation: 0, member: 0, held: None })));
        assert!(out.contains(&Effect::CancelTimer(GroupTimer::Pause(0))));
        assert!(g.rebalancing, "member 1 must rejoin");
        assert!(!g.accepts(Fencing::Generation, Committer { member: Some(0), generation: 2 }));
    }

    #[test]
    fn a_member_removed_while_its_joingroup_waits_is_told_in_that_joingroups_answer() {
        let r = rules(Assignor::Range);
        let mut out = Vec::new();
        let mut g = Group::default();
        // Member 0 joins and its rebalance completes (generation 1); member 1's
        // JoinGroup (correlation id 7) then waits for member 0 to rejoin.
        g.join(&r, joiner(0, 0), None, &[], &mut out);
        g.join(&r, Joiner { consumer: 1, incarnation: 0, corr: 7 }, None, &[], &mut out);
        assert!(g.rebalancing);
        out.clear();
        g.evict(&r, 1, true, &mut out);
        let told = Msg::Evicted { incarnation: 0, member: 1, held: Some(7) };
        assert!(out.contains(&Effect::Send(1, told)), "{out:?}");
    }

    #[test]
    fn a_stable_followers_unchanged_rejoin_gets_its_assignment_back_and_the_leaders_rebalances() {
        let r = rules(Assignor::Range);
        let mut g = generation_2(&r, 0);
        let mut out = Vec::new();
        sync(&mut g, &r, 0, 0, 2);
        assert_eq!((g.generation, g.stable()), (2, true));
        out.clear();
        // Member 1's answer was lost: it sends the same JoinGroup again.
        assert!(g.answers_current(Some(1), &[]));
        g.join(&r, joiner(1, 0), Some(1), &[], &mut out);
        let again = Msg::JoinResponse { incarnation: 0, corr: 0, member: 1, generation: 2 };
        assert_eq!(out, vec![Effect::Send(1, again)], "generation 2 again, nobody else told");
        let assigned = Msg::SyncResponse { incarnation: 0, corr: 0, assignment: Some(vec![1]) };
        assert_eq!(sync(&mut g, &r, 1, 1, 2), vec![Effect::Send(1, assigned)], "its own assignment");
        assert_eq!((g.generation, g.stable()), (2, true));
        // Changed metadata, or the leader (member 0), rebalances.
        assert!(!g.answers_current(Some(1), &[1]));
        assert!(!g.answers_current(Some(0), &[]));
        out.clear();
        g.join(&r, joiner(0, 0), Some(0), &[], &mut out);
        assert!(g.rebalancing, "the leader's rejoin starts a rebalance");
        assert_eq!(sent(&out), vec![&Msg::RebalanceNotice { incarnation: 0, generation: 2 }]);
        assert!(!g.answers_current(Some(1), &[]), "not while a rebalance is under way");
    }

    #[test]
    fn a_loaded_group_keeps_its_generation_members_and_sessions() {
        let r = rules(Assignor::Range);
        let mut g = generation_2(&r, 3);
        let mut out = Vec::new();
        sync(&mut g, &r, 0, 0, 2);
        let record = g.snapshot();
        // A rebalance starts after the record was written, and the coordinator fails.
        g.join(&r, joiner(0, 0), Some(0), &[], &mut out);
        assert!(g.rebalancing);
        let loaded = Group::load(Some(&record), 1, 2);
        assert_eq!((loaded.generation, loaded.rebalancing, loaded.pauses_spent), (2, false, 1));
        assert_eq!(
            loaded.members.iter().map(|m| (m.id, m.consumer, m.incarnation)).collect::<Vec<_>>(),
            [(0, 0, 0), (1, 1, 3)]
        );
        assert!(loaded.members.iter().all(|m| !m.rejoined), "the rebalance under way was never written");
        assert!(loaded.accepts(Fencing::Generation, Committer { member: Some(1), generation: 2 }));
        assert!(!loaded.accepts(Fencing::Generation, Committer { member: Some(1), generation: 1 }));
        assert_eq!(
            loaded.session_timers(&r),
            [0, 1]
                .into_iter()
                .flat_map(|m| [
                    Effect::SetTimer(GroupTimer::SessionTimeout(m)),
                    Effect::SetTimer(GroupTimer::Pause(m))
                ])
                .collect::<Vec<_>>()
        );
        let mut fresh = Group::load(None, 0, 2);
        assert_eq!((fresh.generation, fresh.members.len()), (0, 0), "no record: the group starts empty");
        fresh.join(&r, joiner(1, 3), None, &[], &mut out);
        assert_eq!(fresh.members[0].id, 2, "a member id is never handed out twice");
    }
}
