//! Replication of the `__consumer_offsets` partition and the election of its
//! leader after a coordinator failover.
//!
//! The group coordinator is the leader of the group's offsets partition, which
//! has `replicas` copies on as many brokers (`offsets.topic.replication.factor`).
//! Every copy is a prefix of the leader's log, so a replica is described by
//! its log end offset (`leo`, how many of the leader's records it holds):
//!
//! - the leader appends each accepted commit. With `acks: all` (acks=-1) the
//!   commit is acknowledged once every in-sync replica has it: the append
//!   reaches the whole ISR in the same step. With `acks: leader` (acks=1) it
//!   is acknowledged at once, and in-sync followers catch up later, each in a
//!   `replicate` step of its own (a fetch up to the leader's log end);
//! - a follower may fall out of the ISR at any step (it stopped fetching for
//!   `replica.lag.time.max.ms`: a slow or partitioned broker); it then
//!   fetches nothing more in the run. The ISR never shrinks below the leader
//!   (`min.insync.replicas` = 1, the broker default), so with `acks: all` a
//!   commit may be acknowledged by the leader alone once its followers left;
//! - a failover (the leader's broker fails) elects a new leader: an in-sync
//!   replica other than the failed one; with none, the failed leader itself
//!   once it is back (the partition is offline meanwhile), or, with
//!   `unclean_election` (`unclean.leader.election.enable`), any other replica,
//!   though it lags. The leader epoch goes up by one. The new leader's log
//!   is what the new coordinator loads; every other copy, the failed leader's
//!   included, is truncated to the longest prefix it shares with it (leader
//!   epochs, KIP-101/KIP-279, make that prefix exact), so records only the
//!   failed leader's side had are gone. The failed leader's broker restarts
//!   as a follower, caught up and in sync; a follower out of the ISR stays out.
//!
//! The replicas' copies live with the coordinator actor's durable storage
//! (they are on other brokers, which the coordinator's crash does not touch).
//!
//! Stateright's random choices drive the steps the checker may interleave
//! anywhere (which follower catches up, which leaves the ISR, which replica
//! is elected): [`super::choice::Choice`]'s `Replicate`, `LeaveIsr` and `Elect`.

use crate::scenario::Acks;
use serde::Serialize;

/// A replica of the offsets partition (the broker holding it).
pub type Replica = u8;

/// Who holds what of the offsets partition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Replication {
    pub leader: Replica,
    /// The leader epoch: 0 at the start, one more per failover (KIP-101).
    pub epoch: u8,
    /// Per replica, its log end offset: it holds the leader's first `leo[r]`
    /// records (`leo[leader]` is the leader's log length).
    pub leo: Vec<usize>,
    /// The in-sync replicas, bit r for replica r; always includes the leader.
    pub isr: u8,
}

impl Default for Replication {
    /// One replica, the leader, holding nothing.
    fn default() -> Self {
        Replication::new(1)
    }
}

/// How a new leader was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Election {
    /// Among the in-sync replicas other than the failed leader.
    Clean,
    /// No other replica was in sync: the failed leader is re-elected once it is back.
    LeaderReturns,
    /// No other replica was in sync; `unclean_election` elects one that is not.
    Unclean,
}

impl Replication {
    pub fn new(replicas: u8) -> Self {
        Replication {
            leader: 0,
            epoch: 0,
            leo: vec![0; replicas as usize],
            isr: (1u16 << replicas).wrapping_sub(1) as u8,
        }
    }

    pub fn replicas(&self) -> u8 {
        self.leo.len() as u8
    }

    pub fn in_sync(&self, r: Replica) -> bool {
        self.isr & (1 << r) != 0
    }

    /// The followers (replicas other than the leader) that `keep` selects.
    fn followers(&self, keep: impl Fn(Replica) -> bool) -> Vec<Replica> {
        (0..self.replicas()).filter(|&r| r != self.leader && keep(r)).collect()
    }

    /// The leader appended a record; its log now has `len` records. With
    /// `acks: all` every in-sync replica has it before it is acknowledged.
    pub fn appended(&mut self, acks: Acks, len: usize) {
        self.leo[self.leader as usize] = len;
        if acks == Acks::All {
            for r in 0..self.replicas() {
                if self.in_sync(r) {
                    self.leo[r as usize] = len;
                }
            }
        }
    }

    /// In-sync followers that lack some of the leader's records: each may fetch next.
    pub fn lagging(&self) -> Vec<Replica> {
        let end = self.leo[self.leader as usize];
        self.followers(|r| self.in_sync(r) && self.leo[r as usize] < end)
    }

    /// In-sync followers: each may fall out of the ISR next.
    pub fn may_leave(&self) -> Vec<Replica> {
        self.followers(|r| self.in_sync(r))
    }

    /// Follower `r` fetched up to the leader's log end.
    pub fn replicate(&mut self, r: Replica) {
        self.leo[r as usize] = self.leo[self.leader as usize];
    }

    /// Follower `r` stopped fetching and was removed from the ISR.
    pub fn leave(&mut self, r: Replica) {
        if r != self.leader {
            self.isr &= !(1 << r);
        }
    }

    /// The replicas that can succeed the failed leader, and how.
    pub fn candidates(&self, unclean_election: bool) -> (Vec<Replica>, Election) {
        let in_sync = self.followers(|r| self.in_sync(r));
        if !in_sync.is_empty() {
            return (in_sync, Election::Clean);
        }
        let others = self.followers(|_| true);
        if unclean_election && !others.is_empty() {
            (others, Election::Unclean)
        } else {
            (vec![self.leader], Election::LeaderReturns)
        }
    }

    /// `r` becomes the leader; returns how many records its log (the new
    /// log) keeps. Every copy is cut to that prefix; the failed leader
    /// rejoins the ISR, caught up, and so does the new leader.
    pub fn elect(&mut self, r: Replica) -> usize {
        let len = self.leo[r as usize];
        for leo in &mut self.leo {
            *leo = (*leo).min(len);
        }
        self.leo[self.leader as usize] = len;
        self.isr |= (1 << r) | (1 << self.leader);
        self.leader = r;
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_all_reaches_the_isr_and_acks_leader_only_the_leader() {
        let mut all = Replication::new(3);
        all.leave(2);
        all.appended(Acks::All, 1);
        assert_eq!(all.leo, vec![1, 1, 0], "replica 2 left the ISR before the append");
        assert!(all.lagging().is_empty(), "an out-of-sync follower does not fetch");
        let mut leader = Replication::new(3);
        leader.appended(Acks::Leader, 1);
        assert_eq!(leader.leo, vec![1, 0, 0]);
        assert_eq!(leader.lagging(), vec![1, 2]);
        leader.replicate(2);
        assert_eq!((leader.leo.clone(), leader.lagging()), (vec![1, 0, 1], vec![1]));
    }

    #[test]
    fn a_clean_election_picks_an_in_sync_follower_and_truncates_the_rest() {
        let mut r = Replication::new(3);
        r.appended(Acks::Leader, 1);
        r.replicate(1);
        r.replicate(2);
        r.appended(Acks::Leader, 2);
        r.replicate(1);
        // Replica 1 has both records, replica 2 only the first: both are in sync.
        assert_eq!(r.candidates(false), (vec![1, 2], Election::Clean));
        assert_eq!(r.elect(2), 1, "the acknowledged second record is not on replica 2");
        assert_eq!((r.leader, r.leo.clone(), r.isr), (2, vec![1, 1, 1], 0b111));
    }

    #[test]
    fn without_another_in_sync_replica_the_leader_returns_unless_unclean() {
        let mut r = Replication::new(3);
        r.leave(1);
        r.leave(2);
        r.leave(0);
        assert_eq!(r.isr, 0b001, "the leader never leaves its own ISR");
        r.appended(Acks::All, 1);
        assert_eq!(r.leo, vec![1, 0, 0], "acks=all with an ISR of one is the leader alone");
        assert_eq!(r.candidates(false), (vec![0], Election::LeaderReturns));
        let (candidates, how) = r.candidates(true);
        assert_eq!((candidates.clone(), how), (vec![1, 2], Election::Unclean));
        let mut returns = r.clone();
        assert_eq!(returns.elect(0), 1, "the returning leader keeps its log");
        assert_eq!(r.elect(1), 0, "the unclean leader lacks the record");
        assert_eq!((r.leader, r.leo.clone(), r.isr), (1, vec![0, 0, 0], 0b011));
    }

    #[test]
    fn a_single_replica_has_only_itself_to_elect() {
        let r = Replication::new(1);
        assert_eq!(r.isr, 1);
        assert_eq!(r.candidates(true), (vec![0], Election::LeaderReturns));
        assert!(r.lagging().is_empty() && r.may_leave().is_empty());
    }
}
