//! The checker's choices that are not a message, a crash or a timer: what
//! an actor offers Stateright with `choose_random`, one variant per kind of
//! nondeterminism, each with the actor that owns it.
//!
//! Every choice is explored: Stateright offers each pending value as a
//! `SelectRandom` step. The keys name the pending choice of each kind (an
//! actor has at most one pending list per key; offering a key again replaces
//! its list).

use super::consumer::Step;
use super::replication::Replica;
use crate::scenario::Partition;
use serde::Serialize;

/// A nondeterministic step one actor may take next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Choice {
    /// A consumer's own step: a worker finishing, a timeout, the auto-commit interval.
    Consumer(Step),
    /// In-sync follower `r` of `__consumer_offsets` fetches up to the leader's log end.
    Replicate(Replica),
    /// Follower `r` falls out of the ISR.
    LeaveIsr(Replica),
    /// The controller elects `r` the offsets topic's new leader.
    Elect(Replica),
    /// The committed offset of partition p expires (`offsets.retention`).
    Expire(Partition),
    /// The producer appends the next record to partition p (`produce`).
    Produce(Partition),
    /// `fetch.max.wait.ms` elapses on the Fetch the broker holds for
    /// consumer number `consumer` (its process `incarnation`): the broker
    /// answers it with no records.
    FetchWaitElapsed { consumer: u8, incarnation: u8 },
}

/// A consumer's pending choice of which running worker finishes next.
pub const WORKER_DONE: &str = "worker-done";
/// A consumer's own other steps: timeouts, the auto-commit interval.
pub const CONSUMER_STEP: &str = "consumer-step";
/// The coordinator's pending replication steps, one list per kind.
pub const REPLICATE: &str = "replicate";
pub const LEAVE_ISR: &str = "leave-isr";
pub const ELECT: &str = "elect";
/// The coordinator's choice of the next committed offset to expire.
pub const EXPIRE: &str = "expire";
/// The broker's choice of the partition the producer appends to next.
pub const PRODUCE: &str = "produce";
/// The broker's choice of the held fetch whose `fetch.max.wait.ms` elapses next.
pub const FETCH_WAIT: &str = "fetch-wait";
