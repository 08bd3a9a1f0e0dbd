//! The broker's log (fetches, ListOffsets, the producer) and the sink's side effects.

use super::*;

/// The sentence of one of this mechanism's events.
pub(super) fn sentence(event: &Event) -> String {
    use Event::*;
    match event {
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
        other => unreachable!("{other:?} is not an event of log.rs"),
    }
}
