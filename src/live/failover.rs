//! A coordinator failover on the private cluster
//! ([`super::broker::kraft::KraftCluster`]): the broker leading the one
//! `__consumer_offsets` partition (the group's coordinator) fails after a
//! commit only it has, and the controller elects a successor.
//!
//! Two phases, around one acknowledged commit:
//!
//! 1. [`isolate`], at the schedule's halt before the commit: SIGSTOP the
//!    partition's followers. Under acks=leader (Kafka 3.9,
//!    `offsets.commit.required.acks=1`) they stay in the ISR
//!    (`replica.lag.time.max.ms` is long). Either way the harness waits past
//!    `replica.fetch.wait.max.ms`, so that no follower fetch is left
//!    outstanding at the leader (a fetch parked there would be answered
//!    with the commit into the stopped follower's socket, and the follower
//!    would append it once continued). Under acks=all (Kafka 4.4) the ISR
//!    does not shrink yet: a follower whose log ends where the leader's does
//!    is caught up whether it fetches or not (`Replica.isCaughtUp`). The
//!    commit itself moves the leader's log end; the commit waits for the
//!    high watermark (`CoordinatorRuntime`), the leader drops the stopped
//!    followers after `replica.lag.time.max.ms` (`Partition.maybeShrinkIsr`,
//!    every half of it) and then acknowledges alone (`min.insync.replicas=1`),
//!    within `offsets.commit.timeout.ms` (5 s).
//! 2. [`strike`], when the next commit is acknowledged: SIGKILL the leader's
//!    broker, SIGCONT the followers, and wait for the controller: it fences
//!    the dead broker after `broker.session.timeout.ms` and elects
//!    (`ReplicationControlManager`, `PartitionChangeBuilder`): under
//!    acks=leader an in-sync follower without the commit; under acks=all
//!    with `unclean.leader.election.enable` an out-of-sync follower; under
//!    acks=all without it nobody, the partition is offline (leader -1) until
//!    the killed broker returns. Either way the harness then restarts the
//!    killed broker (a cluster serves every later run whole); a returning
//!    replica truncates to the leader's epoch history (KIP-101/KIP-279), so
//!    a lost commit stays lost. The consumers find the new coordinator on
//!    their own (librdkafka's FindCoordinator after NOT_COORDINATOR).

use super::broker::kraft::{BROKER_SESSION_MS, BROKERS, ClusterSpec, KraftCluster, REPLICA_FETCH_WAIT_MS};
use super::cluster::{Cluster, PartitionState, Placement};
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// The internal topic whose one partition's leader is the coordinator.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// One Metadata request's bound: a stopped broker never answers, and
/// librdkafka then asks another.
const METADATA_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the ISR may take to shrink, the controller to fence and elect,
/// and the offsets topic to appear: seconds each, bounded generously for two shared cores.
const WAIT: Duration = Duration::from_secs(60);

/// How long followers stay stopped under acks=leader at most: a second
/// short of `broker.session.timeout.ms` (see [`super::broker::kraft`]).
const ISOLATION_UNDER_ACKS_LEADER: Duration = Duration::from_millis(BROKER_SESSION_MS - 1000);

/// The followers the harness stopped, and the leader to kill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Isolated {
    pub leader: i32,
    pub followers: Vec<i32>,
    /// Under acks=leader, when the harness fails over even without a
    /// commit: a follower stopped past `broker.session.timeout.ms` would be
    /// fenced and leave the ISR, and the election the model describes (an
    /// in-sync follower) could no longer happen.
    pub until: Option<Instant>,
}

impl Isolated {
    pub fn overdue(&self) -> bool {
        self.until.is_some_and(|u| Instant::now() >= u)
    }
}

/// Waits until `__consumer_offsets` exists with a leader and all `replicas`
/// in sync (an OffsetFetch makes Kafka create it, as at a group's first
/// FindCoordinator).
pub fn await_offsets_topic(cluster: &Cluster, replicas: u8) -> Result<PartitionState, String> {
    let _ = cluster.committed("kafkacheck-warm-up", "kafkacheck-warm-up", 1);
    poll("__consumer_offsets with every replica in sync", || {
        cluster
            .partition_state(OFFSETS_TOPIC, 0, METADATA_TIMEOUT)
            .filter(|s| s.leader >= 0 && s.isr.len() >= usize::from(replicas))
    })
}

/// Where a run's topics live on the private cluster, so that their records
/// stay readable through the failover, as the model's input log, which
/// never fails: on one broker that holds no replica of the offsets
/// partition, which no failover touches; with three offsets replicas every
/// broker holds one, and then on the coordinator's broker, the one replica
/// [`isolate`] does not stop (a topic on a stopped follower would stall its
/// consumer's fetch until the run's deadline). [`strike`] kills that broker
/// and waits for its restart, a delay but no loss: one replica, never
/// elected away, comes back with its whole log. Decided per run, since a
/// failover moves the coordinator.
pub fn input_placement(cluster: &Cluster) -> Result<Placement, String> {
    Ok(Placement::Broker(input_broker(&offsets_leader(cluster)?, BROKERS)))
}

/// The offsets partition once it has a leader (none while a failover's
/// election is pending, or offline until the killed broker returns).
fn offsets_leader(cluster: &Cluster) -> Result<PartitionState, String> {
    poll("a leader of the offsets partition", || {
        cluster.partition_state(OFFSETS_TOPIC, 0, METADATA_TIMEOUT).filter(|s| s.leader >= 0)
    })
}

/// The broker of [`input_placement`]: the lowest id of `1..=brokers` with no
/// replica of the offsets partition, else its leader.
fn input_broker(offsets: &PartitionState, brokers: i32) -> i32 {
    (1..=brokers).find(|b| !offsets.replicas.contains(b)).unwrap_or(offsets.leader)
}

/// Polls `f` every 200 ms until it gives a value, for at most [`WAIT`].
fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> Result<T, String> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("waited {} s for {what}", WAIT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Phase 1: stops the offsets partition's followers (see the module doc).
pub fn isolate(nodes: &RefCell<KraftCluster>, cluster: &Cluster) -> Result<(Isolated, String), String> {
    let spec: ClusterSpec = nodes.borrow().spec;
    let state = await_offsets_topic(cluster, spec.replicas)?;
    let followers: Vec<i32> = state.replicas.iter().copied().filter(|&r| r != state.leader).collect();
    for &f in &followers {
        nodes.borrow().signal(f, libc::SIGSTOP);
    }
    let what = format!(
        "stopped the followers {followers:?} of {OFFSETS_TOPIC}-0 (leader broker {}, ISR {:?})",
        state.leader, state.isr
    );
    std::thread::sleep(Duration::from_millis(2 * REPLICA_FETCH_WAIT_MS));
    let until = spec.acks_leader.then(|| Instant::now() + ISOLATION_UNDER_ACKS_LEADER);
    Ok((Isolated { leader: state.leader, followers, until }, what))
}

fn resume(nodes: &RefCell<KraftCluster>, followers: &[i32]) {
    for &f in followers {
        nodes.borrow().signal(f, libc::SIGCONT);
    }
}

/// Phase 2: kills the leader's broker, continues the followers, waits for
/// the controller's decision and restarts the killed broker; what happened,
/// step by step, for the run's record.
pub fn strike(nodes: &RefCell<KraftCluster>, cluster: &Cluster, isolated: &Isolated) -> Vec<String> {
    let Isolated { leader, followers, .. } = isolated;
    let mut what = Vec::new();
    if let Some(s) = cluster.partition_state(OFFSETS_TOPIC, 0, METADATA_TIMEOUT) {
        what.push(format!(
            "at the acknowledgement {OFFSETS_TOPIC}-0 has leader {} and ISR {:?}",
            s.leader, s.isr
        ));
    }
    if let Err(e) = nodes.borrow_mut().kill(*leader) {
        what.push(format!("could not kill broker {leader}: {e}"));
    }
    resume(nodes, followers);
    let killed_at = Instant::now();
    what.push(format!(
        "killed broker {leader} (SIGKILL), the leader of {OFFSETS_TOPIC}-0; continued {followers:?}"
    ));
    // The controller fences the dead broker: a new leader, or none at all.
    let decided = poll("the controller to fence the killed leader", || {
        cluster.partition_state(OFFSETS_TOPIC, 0, METADATA_TIMEOUT).filter(|s| s.leader != *leader)
    });
    match decided {
        Ok(s) if s.leader >= 0 => what.push(format!(
            "after {} ms broker {} leads {OFFSETS_TOPIC}-0 (ISR {:?})",
            killed_at.elapsed().as_millis(),
            s.leader,
            s.isr
        )),
        Ok(s) => what.push(format!(
            "after {} ms {OFFSETS_TOPIC}-0 is offline: no leader, ISR {:?} (no in-sync replica is alive and \
             unclean election is off)",
            killed_at.elapsed().as_millis(),
            s.isr
        )),
        Err(e) => what.push(e),
    }
    match nodes.borrow_mut().restart(*leader) {
        Ok(()) => what.push(format!("restarted broker {leader}")),
        Err(e) => what.push(format!("could not restart broker {leader}: {e}")),
    }
    match offsets_leader(cluster) {
        Ok(s) => what.push(format!("then broker {} leads {OFFSETS_TOPIC}-0 (ISR {:?})", s.leader, s.isr)),
        Err(e) => what.push(e),
    }
    what
}

/// The group's committed offsets (OffsetFetch), tried again for a while:
/// right after a failover the new coordinator may still be loading the
/// partition (COORDINATOR_LOAD_IN_PROGRESS) or not yet be known.
pub fn read_back(
    cluster: &Cluster,
    topic: &str,
    group: &str,
    partitions: i32,
) -> Result<std::collections::BTreeMap<i32, i64>, String> {
    let mut last = String::new();
    for _ in 0..5 {
        match cluster.committed(topic, group, partitions) {
            Ok(committed) => return Ok(committed),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(leader: i32, replicas: &[i32]) -> PartitionState {
        PartitionState { leader, isr: replicas.to_vec(), replicas: replicas.to_vec() }
    }

    #[test]
    fn a_runs_topic_goes_where_no_failover_stops_it() {
        // Two offsets replicas: the third broker is never stopped or killed.
        assert_eq!(input_broker(&offsets(2, &[2, 1]), 3), 3);
        assert_eq!(input_broker(&offsets(3, &[3, 2]), 3), 1);
        // Three: the coordinator's broker, never stopped, killed and restarted.
        assert_eq!(input_broker(&offsets(2, &[1, 2, 3]), 3), 2);
        assert_eq!(input_broker(&offsets(1, &[3, 1, 2]), 3), 1);
    }
}
