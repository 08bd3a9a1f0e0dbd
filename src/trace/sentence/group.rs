//! Group membership: JoinGroup, SyncGroup, the group's metadata record, evictions, and what a member learns of them.

use super::*;

/// The sentence of one of this mechanism's events.
pub(super) fn sentence(event: &Event) -> String {
    use Event::*;
    let name = consumer(event);
    match event {
        Join { consumer, member, known, keeps, last_assignment } => {
            let who = if *known { format!("as member {member}") } else { format!("as new member {member}") };
            let keeps = match (keeps.is_empty(), last_assignment) {
                (true, _) => String::new(),
                (false, false) => format!(", keeping partitions {keeps:?}"),
                (false, true) => format!(", all revoked, its last assignment {keeps:?} in its subscription"),
            };
            format!("{} joined the group {who}{keeps}", Actor::Consumer(*consumer))
        }
        JoinCurrent { consumer, member, generation } => format!(
            "{} rejoined as member {member} with unchanged metadata (a follower of a stable group, or a member of \
             a completing one): the coordinator answers with the current generation {generation}, without a rebalance",
            Actor::Consumer(*consumer)
        ),
        Sync { consumer, member, generation, outcome } => {
            let what = match outcome {
                SyncOutcome::Completes => {
                    "the leader's: the rebalance is complete, every member waiting gets its assignment"
                }
                SyncOutcome::Waits => "a follower's: it waits for the leader's",
                SyncOutcome::Current => "answered with its assignment in the stable group",
                SyncOutcome::Rejoin => {
                    "answered with an error (the group is rebalancing again, or the member or generation is not current): it rejoins"
                }
            };
            format!(
                "{} sent SyncGroup as member {member} of generation {generation}, {what}",
                Actor::Consumer(*consumer)
            )
        }
        StoreGroup { generation, members, acknowledged } => format!(
            "coordinator wrote the group's metadata to __consumer_offsets: generation {generation}, {}{}",
            group_members(members),
            acknowledged_text(acknowledged)
        ),
        ReplicateGroup { replica, generation } => format!(
            "replica {replica} of __consumer_offsets fetched the group's metadata up to generation {generation}"
        ),
        LoadGroup { generation, members } => format!(
            "the new coordinator loaded the group from __consumer_offsets: stable in generation {generation}, {}; \
             a rebalance in progress at the failover is gone",
            group_members(members)
        ),
        Evict { member, consumer, paused } => {
            let why = if *paused {
                "it is alive but paused past max.poll.interval.ms: a zombie until it learns"
            } else {
                "its session timed out after its process died"
            };
            format!("coordinator evicted member {member} ({}): {why}", Actor::Consumer(*consumer))
        }
        Joined { member, generation, .. } => {
            format!("{name} learned it is member {member} of generation {generation} and sends its SyncGroup")
        }
        SyncFailed { .. } => format!("{name} learned its SyncGroup failed and rejoins the group"),
        Assign { member, generation, assignment, .. } => {
            format!(
                "{name} is member {member} of generation {generation}, assigned partitions {assignment:?}"
            )
        }
        Rebalance { .. } => format!("{name} learned a rebalance started and will rejoin at its next poll"),
        Evicted { .. } => format!("{name} learned it was evicted from the group; its partitions are lost"),
        Revoke { partition, position, how, .. } => {
            let how = match how {
                Revocation::Lost => "lost",
                Revocation::RevokedUncommitted => "revoked without committing what it processed of",
                Revocation::Revoked => "revoked",
            };
            let position = position.map_or("not yet known".into(), |p| p.to_string());
            format!("{name} {how} partition {partition} (its position was {position})")
        }
        other => unreachable!("{other:?} is not an event of group.rs"),
    }
}

/// `members 0 (consumer-1), 1 (consumer-0)`, or `no members`.
fn group_members(members: &[(crate::model::msg::MemberId, u8)]) -> String {
    if members.is_empty() {
        return "no members".to_string();
    }
    let each: Vec<String> = members.iter().map(|&(m, c)| format!("{m} ({})", Actor::Consumer(c))).collect();
    format!("members {}", each.join(", "))
}
