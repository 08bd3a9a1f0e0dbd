//! The one place an [`Event`] becomes the sentence people read (trace
//! steps, stories, diagram tooltips): written for someone who has not read
//! the source, naming Kafka's own settings and exceptions.

use crate::model::event::{Acknowledged, Actor, Candidate, Event, ExpiryReason, Revocation, StartAt};
use crate::model::group::SyncOutcome;
use crate::model::msg::{CommitError, Msg};
use crate::model::replication::{Election, Replica};
use crate::scenario::{Offset, OnCommitError, Partition};

/// `members 0 (consumer-1), 1 (consumer-0)`, or `no members`.
fn group_members(members: &[(crate::model::msg::MemberId, u8)]) -> String {
    if members.is_empty() {
        return "no members".to_string();
    }
    let each: Vec<String> = members.iter().map(|&(m, c)| format!("{m} ({})", Actor::Consumer(c))).collect();
    format!("members {}", each.join(", "))
}

/// The sentence of an event.
pub fn sentence(event: &Event) -> String {
    use Event::*;
    match event {
        Duplicate { src, dst, msg } => {
            format!("the network delivered {} from {src} to {dst} a second time", message_name(msg))
        }
        Drop { src, msg, .. } => format!("the network lost {} from {src}", message_name(msg)),
        Crash { consumer } => {
            format!("{} crashed, losing everything it held in memory", Actor::Consumer(*consumer))
        }
        Recover { consumer, joins: false } => {
            format!(
                "{} restarted and asked the coordinator for its committed offsets",
                Actor::Consumer(*consumer)
            )
        }
        Recover { consumer, joins: true } => {
            format!("{} restarted and joins the group as a new member", Actor::Consumer(*consumer))
        }
        Failover { leader, epoch } => format!(
            "the broker leading __consumer_offsets (replica {leader}, leader epoch {epoch}) failed: the coordinator is gone \
             until a new leader is elected; requests to it wait, replies it already sent are still delivered"
        ),
        FetchOffset { .. }
        | RejectCommit { .. }
        | Commit { .. }
        | TxnCommit { .. }
        | Join { .. }
        | JoinCurrent { .. }
        | Sync { .. }
        | StoreGroup { .. }
        | ReplicateGroup { .. }
        | LoadGroup { .. }
        | Evict { .. }
        | Replicate { .. }
        | LeaveIsr { .. }
        | Election { .. }
        | Elect { .. }
        | Expire { .. } => coordinator_sentence(event),
        FetchHeld { consumer, partition, offset } => format!(
            "broker holds {}'s fetch of partition {partition} from offset {offset}: nothing is there yet, \
             it answers once the producer appends a record (long poll)",
            Actor::Consumer(*consumer)
        ),
        FetchWaitElapsed { consumer, partition, offset } => format!(
            "fetch.max.wait.ms elapsed on {}'s held fetch of partition {partition} from offset {offset}: \
             the broker answers it with no records, and the consumer's poll() returns empty",
            Actor::Consumer(*consumer)
        ),
        FetchServed { consumer, partition, offset, max_records } => format!(
            "broker served {} up to {max_records} record(s) of partition {partition} from offset {offset}",
            Actor::Consumer(*consumer)
        ),
        ListOffsets { consumer, partition, end } => {
            format!("broker told {} partition {partition} ends at offset {end}", Actor::Consumer(*consumer))
        }
        Produce { partition, offset, woken } => {
            let answered = if woken.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = woken.iter().map(|&c| Actor::Consumer(c).to_string()).collect();
                format!("; the broker answers the fetch it held for {}", names.join(", "))
            };
            format!("a producer appended offset {offset} to partition {partition}{answered}")
        }
        Process { partition, offset, time, txn, .. } => {
            let nth = if *time == 1 { String::new() } else { format!(" (time {time})") };
            let how = if *txn { " (published by a committed transaction)" } else { "" };
            format!("sink applied the side effect of offset {offset} of partition {partition}{nth}{how}")
        }
        DropStale { .. }
        | Position { .. }
        | ResetToEnd { .. }
        | Receive { .. }
        | EmptyPoll { .. }
        | Processed { .. }
        | CommitAck { .. }
        | CommitRejected { .. }
        | Joined { .. }
        | CommitErrorHandled { .. }
        | SyncFailed { .. }
        | Assign { .. }
        | Rebalance { .. }
        | Evicted { .. }
        | Revoke { .. }
        | Timeout { .. }
        | Retry { .. }
        | CommitFailed { .. }
        | CommitWithoutGeneration { .. }
        | AutoCommitDue { .. }
        | AutoCommitTimer { .. }
        | WorkerDone { .. } => consumer_sentence(event),
    }
}

/// The sentences of what the group coordinator did.
fn coordinator_sentence(event: &Event) -> String {
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
        other => unreachable!("{other:?} is not the coordinator's event"),
    }
}

/// The sentences of what a consumer did or learned.
fn consumer_sentence(event: &Event) -> String {
    use Event::*;
    let name = Actor::Consumer(event.actor().consumer().unwrap_or(0));
    match event {
        DropStale { from, msg, .. } => {
            format!("{name} dropped {} from {from} addressed to its crashed predecessor", message_name(msg))
        }
        Position { partition: p, start: StartAt::LogEnd, .. } => format!(
            "{name} has no committed offset for partition {p}: auto.offset.reset=latest, \
             it asks the broker where the log ends (ListOffsets)"
        ),
        Position { partition: p, start: StartAt::Fail, .. } => format!(
            "{name} has no committed offset for partition {p}: auto.offset.reset=none, \
             poll() throws NoOffsetForPartitionException and it reads nothing more of partition {p}"
        ),
        Position { partition: p, start: StartAt::Offset { offset, committed }, .. } => {
            let why = if *committed {
                "its committed offset"
            } else {
                "the earliest offset, as nothing is committed"
            };
            format!("{name} resumes partition {p} at offset {offset}, {why}")
        }
        ResetToEnd { partition: p, end, unprocessed, .. } => {
            let skips = if unprocessed.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = unprocessed.iter().map(|o| o.to_string()).collect();
                format!(": unprocessed offset(s) {} are skipped", list.join(", "))
            };
            format!(
                "{name} resumes partition {p} at offset {end}, the log end (auto.offset.reset=latest){skips}"
            )
        }
        Receive { partition, offset, .. } => {
            format!("{name} received offset {offset} of partition {partition}")
        }
        EmptyPoll { partition, offset, .. } => format!(
            "{name}'s poll() returned no records (its fetch of partition {partition} from offset {offset} \
             waited fetch.max.wait.ms); it polls again"
        ),
        Processed { partition, offset, .. } => {
            format!("{name} learned offset {offset} of partition {partition} is processed")
        }
        CommitAck { partition, offset, .. } => {
            format!("{name} learned offset {offset} of partition {partition} is committed")
        }
        CommitRejected { partition, offset, error: CommitError::Fenced, .. } => format!(
            "{name} learned its commit of offset {offset} for partition {partition} failed (CommitFailedException)"
        ),
        CommitRejected { partition, offset, error: CommitError::RebalanceInProgress, .. } => format!(
            "{name} learned its commit of offset {offset} for partition {partition} failed (RebalanceInProgressException)"
        ),
        Joined { member, generation, .. } => {
            format!("{name} learned it is member {member} of generation {generation} and sends its SyncGroup")
        }
        SyncFailed { .. } => format!("{name} learned its SyncGroup failed and rejoins the group"),
        CommitErrorHandled { partition, offset, error, response, .. } => {
            let exception = match error {
                CommitError::Fenced => "CommitFailedException",
                CommitError::RebalanceInProgress => "RebalanceInProgressException",
            };
            let what = match response {
                OnCommitError::Skip => "logs it and polls on, the offset uncommitted".to_string(),
                OnCommitError::RetryAfterRebalance => format!(
                    "polls to finish the rebalance and will commit offset {offset} again if partition {partition} is still its own"
                ),
                OnCommitError::Crash => {
                    "lets it escape the poll loop: the process exits and is started again".to_string()
                }
            };
            format!(
                "{name}'s application caught {exception} from its commit of offset {offset} for partition {partition}: it {what}"
            )
        }
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
        Timeout { request, .. } => {
            let what = request.as_ref().map_or("its request", message_name);
            format!(
                "{name} timed out waiting for the reply to {what} (request.timeout.ms): neither the request nor its reply is on the network any more, so it sends the request again"
            )
        }
        Retry { partition, offset, retries_left, seq, newer, .. } => {
            let since = match newer {
                Some(newer) => format!(
                    "although a newer commit (sequence {newer}) was issued since its own (sequence {seq}): this older offset will land after it"
                ),
                None => format!("no newer commit was issued since (sequence {seq})"),
            };
            format!(
                "{}; its callback commits it again ({retries_left} retries left before this one), {since}",
                async_failed(name, *partition, *offset)
            )
        }
        CommitWithoutGeneration { partition, offset, .. } => format!(
            "{name} cannot commit offset {offset} for partition {partition}: it knows it left the group, so it has no generation to send (CommitFailedException, no request)"
        ),
        CommitFailed { partition, offset, guard, .. } => {
            let why = match guard {
                Some((newer, seq)) => format!(
                    "the sequence guard: a newer commit (sequence {newer}) was issued since this one (sequence {seq})"
                ),
                None => "no retries left".into(),
            };
            format!("{}; its callback does not retry it: {why}", async_failed(name, *partition, *offset))
        }
        AutoCommitDue { .. } => format!(
            "auto.commit.interval.ms elapsed for {name}: its next poll (now, if it is waiting at the log end) commits the position of every partition, the end of what earlier polls returned"
        ),
        AutoCommitTimer { .. } => format!(
            "librdkafka's auto-commit timer fired for {name}: its background thread commits the stored offset of every partition at once, whatever the application is doing"
        ),
        WorkerDone { partition, offset, .. } => format!(
            "a worker of {name} finished offset {offset} of partition {partition} and sent its side effect to the sink"
        ),
        other => unreachable!("{other:?} is not a consumer's event"),
    }
}

fn async_failed(name: Actor, partition: Partition, offset: Offset) -> String {
    format!(
        "{name}'s commitAsync of offset {offset} for partition {partition} failed (its request or its response was lost: no reply within request.timeout.ms)"
    )
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

fn acknowledged_text(acknowledged: &Acknowledged) -> String {
    match acknowledged {
        Acknowledged::Alone => String::new(),
        Acknowledged::ByLeader(leader) => {
            format!("; acks=leader: acknowledged with only the leader (replica {leader}) holding it")
        }
        Acknowledged::ByInSync(in_sync) => {
            format!("; acks=all: acknowledged once the in-sync {} hold it", replicas(in_sync))
        }
    }
}

/// Offsets-topic records as `p0 @1, p1 @2`.
fn records_at(records: &[(Partition, Offset)]) -> String {
    let items: Vec<String> = records.iter().map(|(p, o)| format!("p{p} @{o}")).collect();
    items.join(", ")
}

fn records(n: usize) -> String {
    if n == 1 { "1 record".into() } else { format!("{n} records") }
}

fn replicas(rs: &[Replica]) -> String {
    let names: Vec<String> = rs.iter().map(|r| format!("replica {r}")).collect();
    names.join(", ")
}

fn committed_text(offset: Option<Offset>) -> String {
    match offset {
        Some(o) => format!("committed offset {o}"),
        None => "no committed offset".into(),
    }
}

/// A message as a sentence names it.
pub fn message_name(msg: &Msg) -> &'static str {
    match msg {
        Msg::OffsetFetch { .. } => "an OffsetFetch request",
        Msg::OffsetFetchResponse { .. } => "an OffsetFetch response",
        Msg::Fetch { .. } => "a Fetch request",
        Msg::FetchResponse { .. } => "a Fetch response",
        Msg::ListOffsets { .. } => "a ListOffsets request",
        Msg::ListOffsetsResponse { .. } => "a ListOffsets response",
        Msg::Output { .. } => "an output",
        Msg::OutputAck { .. } => "an output acknowledgement",
        Msg::OffsetCommit { .. } => "an OffsetCommit request",
        Msg::OffsetCommitResponse { .. } => "an OffsetCommit response",
        Msg::TxnCommit { .. } => "a transaction commit",
        Msg::TxnCommitResponse { .. } => "a transaction commit response",
        Msg::TxnOutputs { .. } => "a committed transaction's outputs",
        Msg::JoinGroup { .. } => "a JoinGroup request",
        Msg::JoinResponse { .. } => "a JoinGroup response",
        Msg::SyncGroup { .. } => "a SyncGroup request",
        Msg::SyncResponse { .. } => "an assignment",
        Msg::RebalanceNotice { .. } => "a rebalance notice",
        Msg::Evicted { .. } => "an eviction notice",
        Msg::CommitRejected { .. } => "a commit rejection",
    }
}
