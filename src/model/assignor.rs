//! The partition assignors a group's leader runs at each rebalance
//! (`group.assignor`): eager range and round-robin, which hand every
//! partition out afresh; the eager sticky assignor, which hands out again
//! what each member had where balance allows; and cooperative-sticky
//! (KIP-429), which keeps what members own and moves a partition in two
//! rounds. Both sticky assignors compute the same target, Kafka's
//! `AbstractStickyAssignor` (its constrained assignment, all members
//! subscribing to the one topic): [`sticky_target`].

use crate::scenario::{Assignor, Partition};
use std::collections::VecDeque;

/// The assignment of `partitions` to members (in member-id order), given
/// what each member reports owning: the partitions it owns now
/// (cooperative-sticky, the subscription's `ownedPartitions`), or those of
/// its last assignment (sticky, the subscription's userData; an eager member
/// has revoked them before it rejoins). Range and round-robin ignore it.
///
/// Kafka also sends each claim's generation: of two members claiming one
/// partition, the one of the newer generation keeps it, and two claims of
/// one generation are both dropped (`AbstractStickyAssignor`). `owned` has
/// no generations, so a partition claimed twice is dropped from both, and a
/// caller whose members' claims can be of different generations must first
/// remove each older claim a newer one contradicts.
pub fn assign(assignor: Assignor, partitions: Partition, owned: &[&[Partition]]) -> Vec<Vec<Partition>> {
    let n = owned.len();
    let mut result = vec![Vec::new(); n];
    if n == 0 {
        return result;
    }
    match assignor {
        Assignor::Range => {
            let (per, extra) = (partitions as usize / n, partitions as usize % n);
            let mut next = 0;
            for (i, r) in result.iter_mut().enumerate() {
                let count = per + usize::from(i < extra);
                r.extend((next..next + count).map(|p| p as Partition));
                next += count;
            }
        }
        Assignor::RoundRobin => {
            for p in 0..partitions {
                result[p as usize % n].push(p);
            }
        }
        Assignor::Sticky => return sticky_target(partitions, owned),
        Assignor::CooperativeSticky => return cooperative_sticky(partitions, owned),
    }
    result
}

/// `AbstractStickyAssignor`'s constrained assignment (one topic, no racks):
/// each member keeps its claimed partitions, lowest first, up to its quota
/// (⌊P/n⌋, or ⌈P/n⌉ for the first members that claim that many while such
/// larger shares remain), and the partitions left are dealt round-robin,
/// lowest first, to the members under ⌊P/n⌋ in member-id order, then one each
/// to the members at ⌊P/n⌋ until every larger share is given. Kafka visits
/// the claims in its member map's order; here that is member-id order.
pub fn sticky_target(partitions: Partition, owned: &[&[Partition]]) -> Vec<Vec<Partition>> {
    let n = owned.len();
    if n == 0 {
        return Vec::new();
    }
    let (min, max) = (partitions as usize / n, (partitions as usize).div_ceil(n));
    let (expected_over, mut over) = (partitions as usize % n, 0);
    let claimed_once = |p: &Partition| owned.iter().filter(|o| o.contains(p)).count() == 1;
    let mut target: Vec<Vec<Partition>> = vec![Vec::new(); n];
    let (mut under, mut exactly_min) = (Vec::new(), VecDeque::new());
    for (i, claims) in owned.iter().enumerate() {
        let mut mine: Vec<Partition> =
            claims.iter().copied().filter(|p| *p < partitions && claimed_once(p)).collect();
        mine.sort_unstable();
        mine.dedup();
        if mine.len() < min {
            target[i] = mine;
            under.push(i);
        } else if mine.len() >= max && over < expected_over {
            over += 1;
            if over == expected_over {
                exactly_min.clear();
            }
            target[i] = mine[..max].to_vec();
        } else {
            target[i] = mine[..min].to_vec();
            if over < expected_over {
                exactly_min.push_back(i);
            }
        }
    }
    let taken: Vec<Partition> = target.iter().flatten().copied().collect();
    let mut cursor = 0;
    for p in (0..partitions).filter(|p| !taken.contains(p)) {
        let (member, from_under) = if cursor < under.len() {
            (under[cursor], true)
        } else if under.is_empty() {
            // Kafka's quotas always leave a member to fill; none left cannot happen.
            let Some(member) = exactly_min.pop_front() else { break };
            (member, false)
        } else {
            cursor = 0;
            (under[0], true)
        };
        target[member].push(p);
        if from_under && target[member].len() == min {
            under.remove(cursor);
            exactly_min.push_back(member);
        } else if from_under {
            cursor += 1;
        }
    }
    for t in &mut target {
        t.sort_unstable();
    }
    target
}

/// KIP-429's first round: the sticky target, less every partition whose
/// target owner differs from its current owner. That one is left out for
/// now: its current owner revokes it and rejoins, and the next rebalance
/// assigns it.
fn cooperative_sticky(partitions: Partition, owned: &[&[Partition]]) -> Vec<Vec<Partition>> {
    let target = sticky_target(partitions, owned);
    (0..owned.len())
        .map(|i| {
            let moving = |p: &Partition| owned.iter().enumerate().any(|(j, o)| j != i && o.contains(p));
            target[i].iter().copied().filter(|p| !moving(p)).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_round_robin() {
        assert_eq!(assign(Assignor::Range, 3, &[&[], &[]]), vec![vec![0, 1], vec![2]]);
        assert_eq!(assign(Assignor::RoundRobin, 3, &[&[], &[]]), vec![vec![0, 2], vec![1]]);
        assert_eq!(assign(Assignor::Range, 1, &[&[], &[], &[]]), vec![vec![0], vec![], vec![]]);
    }

    #[test]
    fn cooperative_sticky_keeps_what_members_own_and_moves_in_two_rounds() {
        // Member 0 owns both partitions; member 1 just joined.
        let round1 = assign(Assignor::CooperativeSticky, 2, &[&[0, 1], &[]]);
        assert_eq!(round1, vec![vec![0], vec![]], "partition 1 is revoked first, not yet given away");
        let round2 = assign(Assignor::CooperativeSticky, 2, &[&[0], &[]]);
        assert_eq!(round2, vec![vec![0], vec![1]]);
    }

    #[test]
    fn sticky_deals_free_partitions_round_robin_like_kafka() {
        assert_eq!(assign(Assignor::Sticky, 4, &[&[], &[]]), vec![vec![0, 2], vec![1, 3]]);
        assert_eq!(assign(Assignor::Sticky, 3, &[&[], &[]]), vec![vec![0, 2], vec![1]]);
        assert_eq!(assign(Assignor::Sticky, 1, &[&[], &[], &[]]), vec![vec![0], vec![], vec![]]);
    }

    #[test]
    fn sticky_gives_members_their_previous_partitions_back_where_balance_allows() {
        // AbstractStickyAssignorTest's add-a-consumer case: the first member
        // keeps the larger share of what it had, the newcomer gets the rest.
        assert_eq!(assign(Assignor::Sticky, 3, &[&[0, 1, 2], &[]]), vec![vec![0, 1], vec![2]]);
        // Unlike cooperative-sticky, the moved partition is assigned at once:
        // an eager member has revoked everything before it rejoined.
        assert_eq!(assign(Assignor::Sticky, 2, &[&[0, 1], &[]]), vec![vec![0], vec![1]]);
        assert_eq!(assign(Assignor::CooperativeSticky, 2, &[&[0, 1], &[]]), vec![vec![0], vec![]]);
        // A member that left: the one remaining keeps its own and takes the rest.
        assert_eq!(assign(Assignor::Sticky, 3, &[&[1]]), vec![vec![0, 1, 2]]);
        // Range would give member 0 partition 0; sticky leaves it where it was.
        assert_eq!(assign(Assignor::Sticky, 2, &[&[1], &[0]]), vec![vec![1], vec![0]]);
        assert_eq!(assign(Assignor::Range, 2, &[&[1], &[0]]), vec![vec![0], vec![1]]);
    }

    #[test]
    fn sticky_drops_a_partition_claimed_twice_and_claims_beyond_the_topic() {
        assert_eq!(assign(Assignor::Sticky, 2, &[&[0], &[0]]), vec![vec![0], vec![1]]);
        assert_eq!(assign(Assignor::Sticky, 2, &[&[1], &[1, 5]]), vec![vec![0], vec![1]]);
        // Every partition is assigned exactly once, shares differ by at most one.
        for claims in [&[&[0u8, 1, 2, 3][..], &[4][..], &[][..]][..], &[&[4, 3], &[2], &[1, 0]]] {
            let target = assign(Assignor::Sticky, 5, claims);
            let mut all: Vec<Partition> = target.iter().flatten().copied().collect();
            all.sort_unstable();
            assert_eq!(all, vec![0, 1, 2, 3, 4], "{target:?}");
            assert!(target.iter().all(|t| (1..=2).contains(&t.len())), "{target:?}");
        }
    }
}
