//! Manual assignment (`assignment: manual`): the consumer calls
//! `KafkaConsumer.assign(partitions)` with a fixed list instead of
//! `subscribe()`, so no group coordinator hands partitions out or moves them.
//! kafkacheck's rule for that list (README.md, the `assignment` field):
//! partition `p` belongs to consumer `p mod C`, for the whole run; a crashed
//! consumer's partitions wait for its restart.

use crate::scenario::Partition;

/// The consumer (0-based) that owns `partition` among `consumers` (at least
/// one, as scenario validation demands).
pub fn owner(partition: Partition, consumers: u8) -> u8 {
    partition % consumers
}

/// The partitions, ascending, that consumer `consumer` of `consumers` passes
/// to `assign()` when the topic has `partitions` partitions.
pub fn partitions_of(consumer: u8, consumers: u8, partitions: Partition) -> Vec<Partition> {
    (0..partitions).filter(|&p| owner(p, consumers) == consumer).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_dealt_out_in_turn() {
        assert_eq!(partitions_of(0, 2, 5), vec![0, 2, 4]);
        assert_eq!(partitions_of(1, 2, 5), vec![1, 3]);
        assert_eq!(partitions_of(2, 3, 2), Vec::<Partition>::new(), "more consumers than partitions");
        assert_eq!(owner(4, 3), 1);
    }

    #[test]
    fn every_partition_has_exactly_one_owner_who_assigns_it() {
        for consumers in 1..=4u8 {
            for partitions in 0..=7u8 {
                let mut all: Vec<Partition> =
                    (0..consumers).flat_map(|c| partitions_of(c, consumers, partitions)).collect();
                all.sort_unstable();
                assert_eq!(all, (0..partitions).collect::<Vec<_>>(), "{consumers} consumers");
                for p in 0..partitions {
                    assert!(partitions_of(owner(p, consumers), consumers, partitions).contains(&p));
                }
            }
        }
    }
}
