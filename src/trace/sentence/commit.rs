//! What a consumer learns of its commits: acknowledgements, rejections and what its application does with them, retries, auto-commit.

use super::*;

/// The sentence of one of this mechanism's events.
pub(super) fn sentence(event: &Event) -> String {
    use Event::*;
    let name = consumer(event);
    match event {
        CommitAck { partition, offset, .. } => {
            format!("{name} learned offset {offset} of partition {partition} is committed")
        }
        CommitRejected { partition, offset, error: CommitError::Fenced, .. } => format!(
            "{name} learned its commit of offset {offset} for partition {partition} failed (CommitFailedException)"
        ),
        CommitRejected { partition, offset, error: CommitError::RebalanceInProgress, .. } => format!(
            "{name} learned its commit of offset {offset} for partition {partition} failed (RebalanceInProgressException)"
        ),
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
        CommitFailed { partition, offset, guard, .. } => {
            let why = match guard {
                Some((newer, seq)) => format!(
                    "the sequence guard: a newer commit (sequence {newer}) was issued since this one (sequence {seq})"
                ),
                None => "no retries left".into(),
            };
            format!("{}; its callback does not retry it: {why}", async_failed(name, *partition, *offset))
        }
        CommitWithoutGeneration { partition, offset, .. } => format!(
            "{name} cannot commit offset {offset} for partition {partition}: it knows it left the group, so it has no generation to send (CommitFailedException, no request)"
        ),
        AutoCommitDue { .. } => format!(
            "auto.commit.interval.ms elapsed for {name}: its next poll (now, if it is waiting at the log end) commits the position of every partition, the end of what earlier polls returned"
        ),
        AutoCommitTimer { .. } => format!(
            "librdkafka's auto-commit timer fired for {name}: its background thread commits the stored offset of every partition at once, whatever the application is doing"
        ),
        other => unreachable!("{other:?} is not an event of commit.rs"),
    }
}

fn async_failed(name: Actor, partition: Partition, offset: Offset) -> String {
    format!(
        "{name}'s commitAsync of offset {offset} for partition {partition} failed (its request or its response was lost: no reply within request.timeout.ms)"
    )
}
