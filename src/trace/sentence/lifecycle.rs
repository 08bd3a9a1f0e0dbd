//! The network, crashes and restarts, and the offsets leader's failure.

use super::*;

/// The sentence of one of this mechanism's events.
pub(super) fn sentence(event: &Event) -> String {
    use Event::*;
    let name = consumer(event);
    match event {
        Duplicate { src, dst, msg } => {
            format!("the network delivered {} from {src} to {dst} a second time", message_name(msg))
        }
        Drop { src, msg, .. } => format!("the network lost {} from {src}", message_name(msg)),
        DropStale { from, msg, .. } => {
            format!("{name} dropped {} from {from} addressed to its crashed predecessor", message_name(msg))
        }
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
        Timeout { request, .. } => {
            let what = request.as_ref().map_or("its request", message_name);
            format!(
                "{name} timed out waiting for the reply to {what} (request.timeout.ms): neither the request nor its reply is on the network any more, so it sends the request again"
            )
        }
        other => unreachable!("{other:?} is not an event of lifecycle.rs"),
    }
}
