//! The coordinator's committed offsets: OffsetFetch, commits and their rejections, transactions, expiry.

use super::*;

/// The sentence of one of this mechanism's events.
pub(super) fn sentence(event: &Event) -> String {
    use Event::*;
    match event {
        FetchOffset { consumer, partition, committed } => format!(
            "coordinator told {} partition {partition} has {}",
            Actor::Consumer(*consumer),
            committed_text(*committed)
        ),
        RejectCommit { consumer, partition, offset, by, generation, error: CommitError::Fenced } => {
            let who = match by.member {
                Some(m) => format!("member {m} of generation {}", by.generation),
                None => "a consumer outside the group".into(),
            };
            format!(
                "coordinator rejected {}'s commit of offset {offset} for partition {partition}: {who} is not in the current generation {generation}",
                Actor::Consumer(*consumer)
            )
        }
        RejectCommit {
            consumer,
            partition,
            offset,
            generation,
            error: CommitError::RebalanceInProgress,
            ..
        } => {
            format!(
                "coordinator answered {}'s commit of offset {offset} for partition {partition} REBALANCE_IN_PROGRESS: \
                 generation {generation} is still completing (no SyncGroup from its leader yet)",
                Actor::Consumer(*consumer)
            )
        }
        Commit { consumer, partition, offset, acknowledged } => format!(
            "coordinator recorded committed offset {offset} for partition {partition} from {}{}",
            Actor::Consumer(*consumer),
            acknowledged_text(acknowledged)
        ),
        TxnCommit { consumer, partition, from, to, acknowledged } => format!(
            "coordinator committed {}'s transaction: outputs of offsets {from}..{} and committed offset {to} for partition {partition}{}",
            Actor::Consumer(*consumer),
            to.saturating_sub(1),
            acknowledged_text(acknowledged)
        ),
        Expire { partition, committed, why } => {
            let why = match why {
                ExpiryReason::WhileActive => {
                    "offsets.retention.minutes passed since the last commit, though the group is active (KAFKA-4682, before KIP-211)"
                        .to_string()
                }
                ExpiryReason::GroupEmpty => {
                    "the group has been empty for offsets.retention.minutes (KIP-211)".to_string()
                }
                ExpiryReason::Standalone => "offsets.retention.minutes passed since its last commit: an assign() \
                     consumer's group is a standalone group, whose offsets expire whether or not it runs (KIP-211)"
                    .to_string(),
            };
            format!(
                "coordinator expired the {} of partition {partition}: {why}; a tombstone in __consumer_offsets removes it",
                committed_text(*committed)
            )
        }
        other => unreachable!("{other:?} is not an event of offsets.rs"),
    }
}

fn committed_text(offset: Option<Offset>) -> String {
    match offset {
        Some(o) => format!("committed offset {o}"),
        None => "no committed offset".into(),
    }
}
