//! Replication of __consumer_offsets: followers fetching, leaving the ISR, leader elections.

use super::*;

/// The sentence of one of this mechanism's events.
pub(super) fn sentence(event: &Event) -> String {
    use Event::*;
    match event {
        Replicate { replica, fetched, leader, caught_up } => format!(
            "replica {replica} of __consumer_offsets fetched {} from the leader (replica {leader}) and caught up to its {}",
            records_at(fetched),
            records(*caught_up)
        ),
        LeaveIsr { replica, held, leader_has, in_sync } => format!(
            "replica {replica} of __consumer_offsets fell out of the ISR: it stopped fetching for replica.lag.time.max.ms \
             with {} of the leader's {leader_has}; in sync now: {}",
            records(*held),
            replicas(in_sync)
        ),
        Election { epoch, how, candidates, leader_had } => election(*epoch, *how, candidates, *leader_had),
        Elect { replica, epoch, how, kept, lost, leader_had } => {
            elected(*replica, *epoch, *how, *kept, lost, *leader_had)
        }
        other => unreachable!("{other:?} is not an event of replication.rs"),
    }
}

fn election(epoch: u8, how: Election, candidates: &[Candidate], end: usize) -> String {
    let described: Vec<String> = candidates
        .iter()
        .map(|c| {
            let sync = if c.in_sync { "in sync" } else { "out of sync" };
            format!("replica {} ({} of the failed leader's {end}, {sync})", c.replica, records(c.held))
        })
        .collect();
    let kind = if how == Election::Unclean {
        "no replica but the failed leader was in sync: unclean.leader.election.enable lets it elect one that is not"
    } else {
        "a clean election among the in-sync replicas"
    };
    format!(
        "the controller elects a new leader for __consumer_offsets in epoch {epoch} ({kind}): {}",
        described.join(", ")
    )
}

fn elected(
    r: Replica,
    epoch: u8,
    how: Election,
    kept: usize,
    lost: &[(Partition, Offset)],
    had: usize,
) -> String {
    let how = match how {
        Election::Clean => "a clean election: it was in sync",
        Election::LeaderReturns => {
            "the failed leader, back: no other replica was in sync, so the partition waited for it"
        }
        Election::Unclean => "an unclean election: it was out of sync",
    };
    let loaded = if lost.is_empty() {
        format!("its log has all {} of the failed leader's", records(kept))
    } else {
        format!(
            "its log has {} of the failed leader's {had}: the other replicas are truncated to it and {} is gone",
            records(kept),
            records_at(lost)
        )
    };
    format!(
        "replica {r} became the leader of __consumer_offsets in epoch {epoch} ({how}); the new coordinator loads its log: {loaded}"
    )
}

/// Offsets-topic records as `p0 @1, p1 @2`.
fn records_at(records: &[(Partition, Offset)]) -> String {
    let items: Vec<String> = records.iter().map(|(p, o)| format!("p{p} @{o}")).collect();
    items.join(", ")
}

fn records(n: usize) -> String {
    if n == 1 { "1 record".into() } else { format!("{n} records") }
}
