//! A consumer's poll loop: where it starts reading, what it receives and processes.

use super::*;

/// The sentence of one of this mechanism's events.
pub(super) fn sentence(event: &Event) -> String {
    use Event::*;
    let name = consumer(event);
    match event {
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
        WorkerDone { partition, offset, .. } => format!(
            "a worker of {name} finished offset {offset} of partition {partition} and sent its side effect to the sink"
        ),
        other => unreachable!("{other:?} is not an event of poll.rs"),
    }
}
