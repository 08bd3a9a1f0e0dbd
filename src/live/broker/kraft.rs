//! A private KRaft cluster for the scenarios that replicate
//! `__consumer_offsets` or fail its leader over: one controller-only node
//! and three broker-only nodes, each its own JVM on free loopback ports with
//! its own log directory, stopped by pid.
//!
//! Why a dedicated controller: a failover fault kills the broker leading
//! the offsets partition and stops its followers, so every broker is, at
//! some point, down or frozen. Were the brokers also the KRaft voters (the
//! combined mode of [`super::Broker`]), killing one of three and stopping
//! the other two would leave no majority of the metadata quorum, and no
//! controller could fence the dead broker or elect its successor
//! (`QuorumController` needs a quorum-committed `FenceBrokerRecord` and
//! `PartitionChangeRecord`). A single controller-only node is never signalled,
//! so the metadata quorum, and with it the elections the model describes,
//! survive every fault the harness injects.

use super::{Install, Jvm, START_TIMEOUT, format_storage, free_ports, stop_child, wait_listening};
use crate::scenario::{Acks, OffsetsTopicConfig};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// Broker-only nodes: the most replicas a scenario's offsets topic has (`offsets_topic.replicas` ≤ 3).
pub const BROKERS: i32 = 3;

/// The node id of the controller; the brokers are 1..=[`BROKERS`].
const CONTROLLER_ID: i32 = 0;

/// `broker.session.timeout.ms` (default 9 s) and `broker.heartbeat.interval.ms`
/// (default 2 s): the controller fences a killed broker within seconds. The
/// session is longer than the harness stops a follower for under acks=leader
/// (about a second, see `src/live/failover.rs`), so those followers are never fenced.
pub const BROKER_SESSION_MS: u64 = 4000;
const BROKER_HEARTBEAT_MS: u64 = 500;

/// `replica.fetch.wait.max.ms` (Kafka's default, written out): how long a
/// follower's fetch waits at the leader for new records. A follower stopped
/// longer than this has no fetch outstanding that a new record would answer.
pub const REPLICA_FETCH_WAIT_MS: u64 = 500;

/// The replication of `__consumer_offsets` a scenario asks of the cluster,
/// and the faults the cluster must be made for; scenarios with the same
/// spec share a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// `offsets.topic.replication.factor`.
    pub replicas: u8,
    /// `offsets.commit.required.acks=1` (Kafka ≤ 3.9 only, see [`super::LEGACY_VERSION`]).
    pub acks_leader: bool,
    /// `unclean.leader.election.enable`.
    pub unclean_election: bool,
    /// Coordinator failovers a run injects at most.
    pub failovers: u8,
}

impl ClusterSpec {
    pub fn of(topic: &OffsetsTopicConfig) -> ClusterSpec {
        ClusterSpec {
            replicas: topic.replicas,
            acks_leader: topic.acks == Acks::Leader,
            unclean_election: topic.unclean_election,
            failovers: topic.failovers,
        }
    }

    /// One combined node does (the default offsets topic, no failover).
    pub fn single_node(&self) -> bool {
        self.replicas <= 1 && self.failovers == 0
    }

    /// The Kafka release that can do what the spec asks.
    pub fn version(&self) -> &'static str {
        if self.acks_leader { super::LEGACY_VERSION } else { super::KAFKA_VERSION }
    }

    /// `replica.lag.time.max.ms`: under acks=leader long (default 30 s), so
    /// that followers the harness stops stay in the ISR and a clean election
    /// may pick one without the leader's last commit; under acks=all short,
    /// so that stopped followers drop out of the ISR within seconds (the
    /// leader checks every half of it, `ReplicaManager.maybeShrinkIsr`) and
    /// the leader acknowledges alone (`min.insync.replicas=1`).
    pub fn replica_lag_ms(&self) -> u64 {
        if self.acks_leader { 60_000 } else { 2_000 }
    }
}

/// One node's process and files.
struct Node {
    id: i32,
    config: PathBuf,
    log: PathBuf,
    /// Its client listener (a broker) or controller listener.
    addr: SocketAddr,
    /// `None` while killed.
    child: Option<Child>,
}

/// A running private cluster; dropping it stops every node and deletes their directories.
pub struct KraftCluster {
    controller: Node,
    brokers: Vec<Node>,
    install: Install,
    dir: PathBuf,
    pub spec: ClusterSpec,
    pub bootstrap: String,
    pub version: String,
    pub started_in: Duration,
}

/// The settings every node shares: loopback listeners, the static quorum
/// of one controller, fencing within seconds and the scenario's election rule.
fn common_properties(id: i32, controller_port: u16, data: &Path, spec: &ClusterSpec) -> Vec<String> {
    vec![
        format!("node.id={id}"),
        format!("controller.quorum.voters={CONTROLLER_ID}@127.0.0.1:{controller_port}"),
        "controller.listener.names=CONTROLLER".into(),
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT".into(),
        format!("log.dirs={}", data.display()),
        format!("broker.session.timeout.ms={BROKER_SESSION_MS}"),
        format!("broker.heartbeat.interval.ms={BROKER_HEARTBEAT_MS}"),
        // The controller elects leaders, so it must know the rule too.
        format!("unclean.leader.election.enable={}", spec.unclean_election),
        // After a failover the restarted broker is the offsets partition's
        // preferred replica again; the controller's periodic preferred-leader
        // election (every leader.imbalance.check.interval.seconds, 300 s)
        // would then move the coordinator back in the middle of a later run,
        // a failover no schedule asked for.
        "auto.leader.rebalance.enable=false".into(),
    ]
}

fn controller_properties(port: u16, data: &Path, spec: &ClusterSpec) -> String {
    let mut lines = vec!["process.roles=controller".to_string()];
    lines.extend(common_properties(CONTROLLER_ID, port, data, spec));
    lines.push(format!("listeners=CONTROLLER://127.0.0.1:{port}"));
    lines.push(String::new());
    lines.join("\n")
}

/// A broker-only node: the offsets topic as the scenario replicates it,
/// one partition of it (one coordinator to fail over), Kafka's default
/// `min.insync.replicas=1` (the model's assumption), and the group settings
/// of [`super::server_properties`].
fn broker_properties(id: i32, port: u16, controller: u16, data: &Path, spec: &ClusterSpec) -> String {
    let mut lines = vec!["process.roles=broker".to_string()];
    lines.extend(common_properties(id, controller, data, spec));
    lines.extend([
        format!("listeners=PLAINTEXT://127.0.0.1:{port}"),
        format!("advertised.listeners=PLAINTEXT://127.0.0.1:{port}"),
        "inter.broker.listener.name=PLAINTEXT".into(),
        format!("offsets.topic.replication.factor={}", spec.replicas.max(1)),
        "offsets.topic.num.partitions=1".into(),
        "min.insync.replicas=1".into(),
        format!("replica.lag.time.max.ms={}", spec.replica_lag_ms()),
        format!("replica.fetch.wait.max.ms={REPLICA_FETCH_WAIT_MS}"),
        "transaction.state.log.replication.factor=1".into(),
        "transaction.state.log.min.isr=1".into(),
        "group.initial.rebalance.delay.ms=0".into(),
        "group.min.session.timeout.ms=250".into(),
    ]);
    if spec.acks_leader {
        // Kafka 3.9's GroupMetadataManager appends offsets with these acks.
        lines.push("offsets.commit.required.acks=1".into());
    }
    lines.push(String::new());
    lines.join("\n")
}

impl KraftCluster {
    /// Formats and starts the controller and the brokers under `dir` (one
    /// subdirectory each: config, `format.log`, `broker.log`, data), and
    /// waits until every broker accepts connections.
    pub fn start(install: &Install, dir: &Path, spec: ClusterSpec) -> Result<KraftCluster, String> {
        let began = Instant::now();
        let deadline = began + 2 * START_TIMEOUT;
        let ports = free_ports(1 + BROKERS as usize)?;
        let id = super::cluster_id();
        let mut nodes = Vec::new();
        for (i, &port) in ports.iter().enumerate() {
            let node_id = i as i32;
            let node_dir = dir.join(format!("node-{node_id}"));
            let data = node_dir.join("data");
            let _ = std::fs::remove_dir_all(&data);
            std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
            let properties = if node_id == CONTROLLER_ID {
                controller_properties(port, &data, &spec)
            } else {
                broker_properties(node_id, port, ports[0], &data, &spec)
            };
            let config = node_dir.join("server.properties");
            std::fs::write(&config, properties).map_err(|e| format!("{}: {e}", config.display()))?;
            let jvm = Jvm::new(install, &node_dir)?;
            format_storage(&jvm, &config, &id, &node_dir.join("format.log"), deadline)?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            nodes.push(Node { id: node_id, config, log: node_dir.join("broker.log"), addr, child: None });
        }
        let controller = nodes.remove(0);
        let bootstrap = nodes.iter().map(|n| n.addr.to_string()).collect::<Vec<_>>().join(",");
        let mut cluster = KraftCluster {
            controller,
            brokers: nodes,
            install: install.clone(),
            dir: dir.to_path_buf(),
            spec,
            bootstrap,
            version: install.version.clone(),
            started_in: Duration::ZERO,
        };
        cluster.spawn(CONTROLLER_ID)?;
        cluster.wait(CONTROLLER_ID, deadline)?;
        for id in 1..=BROKERS {
            cluster.spawn(id)?;
        }
        for id in 1..=BROKERS {
            cluster.wait(id, deadline)?;
        }
        cluster.started_in = began.elapsed();
        Ok(cluster)
    }

    fn node(&mut self, id: i32) -> Result<&mut Node, String> {
        if id == CONTROLLER_ID {
            return Ok(&mut self.controller);
        }
        self.brokers.iter_mut().find(|n| n.id == id).ok_or_else(|| format!("no broker {id} in the cluster"))
    }

    /// Starts node `id`'s JVM on its existing config and log directory.
    fn spawn(&mut self, id: i32) -> Result<(), String> {
        let install = self.install.clone();
        let dir = self.dir.clone();
        let node = self.node(id)?;
        let jvm = Jvm::new(&install, node.config.parent().unwrap_or(&dir))?;
        node.child = Some(jvm.spawn_node(&node.config, &node.log)?);
        Ok(())
    }

    fn wait(&mut self, id: i32, deadline: Instant) -> Result<(), String> {
        let node = self.node(id)?;
        let (addr, log) = (node.addr, node.log.clone());
        let child = node.child.as_mut().ok_or_else(|| format!("node {id} is not running"))?;
        wait_listening(child, addr, &log, deadline).map_err(|e| format!("node {id}: {e}"))
    }

    /// The pid of broker `id`, while it runs.
    pub fn pid(&self, id: i32) -> Option<u32> {
        self.brokers.iter().find(|n| n.id == id)?.child.as_ref().map(Child::id)
    }

    /// Every running node's pid, the controller's first.
    pub fn pids(&self) -> Vec<u32> {
        std::iter::once(&self.controller)
            .chain(&self.brokers)
            .filter_map(|n| n.child.as_ref().map(Child::id))
            .collect()
    }

    /// SIGSTOP or SIGCONT broker `id` (a no-op if it is not running).
    pub fn signal(&self, id: i32, signal: libc::c_int) {
        if let Some(pid) = self.pid(id) {
            // A pid of our own child, not yet reaped.
            unsafe {
                libc::kill(pid as libc::pid_t, signal);
            }
        }
    }

    /// SIGKILL broker `id`: a crash, its log directory left as it was.
    pub fn kill(&mut self, id: i32) -> Result<(), String> {
        if let Some(mut child) = self.node(id)?.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        Ok(())
    }

    /// Starts a killed broker again on its log directory (it recovers its
    /// log and rejoins as a follower, truncating to the leader's epoch
    /// history, KIP-101/KIP-279) and waits until it accepts connections.
    pub fn restart(&mut self, id: i32) -> Result<(), String> {
        if self.node(id)?.child.is_none() {
            self.spawn(id)?;
        }
        self.wait(id, Instant::now() + START_TIMEOUT)
    }

    pub fn running(&self, id: i32) -> bool {
        self.pid(id).is_some()
    }

    /// How a report names it.
    pub fn describe(&self) -> String {
        format!(
            "Apache Kafka {} cluster on {} (private: controller pid {}, brokers {}; started in {:.1} s)",
            self.version,
            self.bootstrap,
            self.controller.child.as_ref().map_or(0, Child::id),
            self.brokers
                .iter()
                .map(|n| format!("{} pid {}", n.id, n.child.as_ref().map_or(0, Child::id)))
                .collect::<Vec<_>>()
                .join(", "),
            self.started_in.as_secs_f64()
        )
    }
}

impl Drop for KraftCluster {
    /// Every broker continued (a stopped JVM cannot shut down) and stopped
    /// as [`super::Broker`] is, then the controller; then the directories go.
    fn drop(&mut self) {
        for id in 1..=BROKERS {
            self.signal(id, libc::SIGCONT);
        }
        for node in &mut self.brokers {
            if let Some(child) = node.child.as_mut() {
                stop_child(child);
            }
        }
        if let Some(child) = self.controller.child.as_mut() {
            stop_child(child);
        }
        for node in std::iter::once(&self.controller).chain(&self.brokers) {
            if let Some(dir) = node.config.parent() {
                let _ = std::fs::remove_dir_all(dir.join("data"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(acks_leader: bool, unclean_election: bool) -> ClusterSpec {
        ClusterSpec { replicas: 3, acks_leader, unclean_election, failovers: 1 }
    }

    #[test]
    fn acks_leader_needs_kafka_3_9_and_keeps_stopped_followers_in_sync() {
        let leader = spec(true, false);
        assert_eq!(leader.version(), super::super::LEGACY_VERSION);
        let props = broker_properties(2, 9092, 9093, Path::new("/tmp/d"), &leader);
        assert!(props.contains("offsets.commit.required.acks=1\n"), "{props}");
        assert!(props.contains("replica.lag.time.max.ms=60000\n"));
        let all = spec(false, true);
        assert_eq!(all.version(), super::super::KAFKA_VERSION);
        let props = broker_properties(2, 9092, 9093, Path::new("/tmp/d"), &all);
        assert!(!props.contains("offsets.commit.required.acks"), "removed in Kafka 4.0: {props}");
        assert!(props.contains("unclean.leader.election.enable=true\n"));
        assert!(props.contains("offsets.topic.replication.factor=3\noffsets.topic.num.partitions=1\n"));
    }

    #[test]
    fn the_controller_is_the_only_voter_and_listens_on_loopback() {
        let props = controller_properties(9093, Path::new("/tmp/c"), &spec(false, false));
        assert!(
            props
                .contains("process.roles=controller\nnode.id=0\ncontroller.quorum.voters=0@127.0.0.1:9093\n")
        );
        assert!(props.contains("listeners=CONTROLLER://127.0.0.1:9093\n"));
        assert!(props.contains("unclean.leader.election.enable=false\n"));
        let broker = broker_properties(1, 9092, 9093, Path::new("/tmp/d"), &spec(false, false));
        assert!(
            broker.contains("process.roles=broker\nnode.id=1\ncontroller.quorum.voters=0@127.0.0.1:9093\n")
        );
    }

    #[test]
    fn a_default_offsets_topic_needs_one_node_only() {
        assert!(ClusterSpec::of(&OffsetsTopicConfig::default()).single_node());
        assert!(!spec(false, false).single_node());
    }
}
