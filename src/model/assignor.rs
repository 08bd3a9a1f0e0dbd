//! The partition assignors a group's leader runs at each rebalance
//! (`group.assignor`): eager range and round-robin, which hand every
//! partition out afresh, and cooperative-sticky (KIP-429), which keeps what
//! members own and moves a partition in two rounds.

use crate::scenario::{Assignor, Partition};

/// The assignment of `partitions` to members (in member-id order), given
/// what each member reports owning.
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
        Assignor::CooperativeSticky => return cooperative_sticky(partitions, owned),
    }
    result
}

/// KIP-429's first round: each member keeps what it owns up to its fair
/// share; free partitions go to members under their share. A partition whose
/// target owner differs from its current owner is left out for now: the
/// current owner revokes it and rejoins, and the next rebalance assigns it.
fn cooperative_sticky(partitions: Partition, owned: &[&[Partition]]) -> Vec<Vec<Partition>> {
    let n = owned.len();
    let (per, extra) = (partitions as usize / n, partitions as usize % n);
    // Members owning the most get the larger shares, ties by member id.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(owned[i].len()), i));
    let mut share = vec![per; n];
    for &i in order.iter().take(extra) {
        share[i] += 1;
    }
    let mut target: Vec<Vec<Partition>> =
        (0..n).map(|i| owned[i].iter().copied().take(share[i]).collect()).collect();
    for p in 0..partitions {
        if target.iter().any(|t| t.contains(&p)) {
            continue;
        }
        if let Some(i) = (0..n).find(|&i| target[i].len() < share[i]) {
            target[i].push(p);
        }
    }
    (0..n)
        .map(|i| {
            let mut mine: Vec<Partition> = target[i]
                .iter()
                .copied()
                .filter(|p| owned.iter().enumerate().all(|(j, o)| j == i || !o.contains(p)))
                .collect();
            mine.sort_unstable();
            mine
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
}
