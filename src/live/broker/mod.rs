//! The private broker of a live run: Apache Kafka itself, the pinned release
//! `scripts/install-kafka.sh` fetched from Maven Central, formatted and
//! started as one KRaft node in combined mode (broker and controller in one
//! JVM, as Kafka's `config/server.properties` sets up) on free loopback
//! ports with a temporary log directory, and stopped by its process id when
//! the run is over, whatever happened in between.
//!
//! A scenario with a replicated `__consumer_offsets` or coordinator
//! failovers gets a cluster instead ([`kraft`]): a controller-only node and
//! three broker-only nodes, each its own JVM.

pub mod kraft;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pinned Apache Kafka release `scripts/install-kafka.sh` installs
/// (keep the two in step): the newest 4.x on Maven Central here whose broker
/// runs on Java 17 (Kafka 4.0 made 17 the brokers' minimum, KIP-1013; its
/// class files are Java 17's, version 61).
pub const KAFKA_VERSION: &str = "4.4.0";

/// The release that runs scenarios with `offsets_topic.acks: leader`:
/// `offsets.commit.required.acks` was deprecated in 3.8 (KIP-1041,
/// KAFKA-16735) and removed in 4.0 (KAFKA-17383). Kafka 4's coordinator
/// runtime appends to its partition's local log
/// (`kafka.coordinator.group.CoordinatorPartitionWriter.append` calls
/// `ReplicaManager.appendRecordsToLeader`) and completes the write only
/// when the high watermark passes it
/// (`CoordinatorRuntime.HighWatermarkListener.onHighWatermarkUpdated`):
/// acks=-1 always. 3.9's `GroupMetadataManager.storeOffsets` still appends
/// with the configured acks. `scripts/install-kafka.sh 3.9.1` installs it.
pub const LEGACY_VERSION: &str = "3.9.1";

/// How long formatting, start-up and readiness may take together: a JVM
/// start on two shared cores takes 5–15 s.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a SIGTERM'd broker may take to shut down before SIGKILL: a
/// controlled shutdown of one node takes about 2.5 s here.
pub(crate) const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The broker's heap: small, as the harness's topics are a few records.
const HEAP: &str = "-Xmx512m";

/// JVM options of both the format tool and the broker: the client JIT only
/// and the serial collector, instead of kafka-run-class.sh's G1. Neither
/// changes what Kafka does; on two shared cores they halve the broker's
/// start-up (8.5 s instead of 14.5 s, measured here) and its CPU, which the
/// consumers' timing (heartbeats, pauses) needs more.
const JVM: [&str; 3] = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true"];

/// An installed Apache Kafka: a directory whose `libs/` holds the broker's
/// jars (the layout of a Kafka release, and of the install script's cache).
#[derive(Clone, Debug)]
pub struct Install {
    pub home: PathBuf,
    /// From the name of `libs/kafka_2.13-VERSION.jar`.
    pub version: String,
    pub java: PathBuf,
}

/// Where Apache Kafka [`KAFKA_VERSION`] is looked for: see [`locate_version`].
pub fn locate() -> Result<Install, String> {
    locate_version(KAFKA_VERSION)
}

/// Where Apache Kafka `version` is looked for, in order:
/// `$KAFKACHECK_KAFKA_HOME` (an unpacked release or an install) when it is
/// [`KAFKA_VERSION`] is asked for; `kafka-VERSION` under `$KAFKACHECK_CACHE`
/// (default `~/.cache/kafkacheck`, where the install script puts it). Java is
/// `$JAVA_HOME/bin/java`, else `java` on the PATH.
pub fn locate_version(version: &str) -> Result<Install, String> {
    let home = match std::env::var_os("KAFKACHECK_KAFKA_HOME") {
        Some(home) if version == KAFKA_VERSION => {
            let home = PathBuf::from(home);
            if broker_jar_version(&home).is_none() {
                return Err(format!("KAFKACHECK_KAFKA_HOME={} has no libs/kafka_2.13-*.jar", home.display()));
            }
            home
        }
        _ => {
            let cache = std::env::var_os("KAFKACHECK_CACHE")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/kafkacheck")));
            let home = cache.map(|c| c.join(format!("kafka-{version}")));
            match home {
                Some(h) if h.join("complete").is_file() && broker_jar_version(&h).is_some() => h,
                _ => {
                    let arg = if version == KAFKA_VERSION { String::new() } else { format!(" {version}") };
                    return Err(format!(
                        "no broker installed: run `scripts/install-kafka.sh{arg}` once (Apache Kafka \
                         {version} from Maven Central, about a minute), or pass --bootstrap \
                         HOST:PORT to use your own Kafka cluster"
                    ));
                }
            }
        }
    };
    let version = broker_jar_version(&home).unwrap_or_default();
    Ok(Install { home, version, java: java()? })
}

/// The version in the name of `libs/kafka_2.13-VERSION.jar` under `home`.
fn broker_jar_version(home: &Path) -> Option<String> {
    std::fs::read_dir(home.join("libs")).ok()?.flatten().find_map(|e| {
        let name = e.file_name().into_string().ok()?;
        let version = name.strip_prefix("kafka_2.13-")?.strip_suffix(".jar")?;
        // Not the -sources, -test or -javadoc jars of a version.
        version.chars().all(|c| c.is_ascii_digit() || c == '.').then(|| version.to_string())
    })
}

fn java() -> Result<PathBuf, String> {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let java = Path::new(&home).join("bin/java");
        if java.is_file() {
            return Ok(java);
        }
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("java"))
        .find(|j| j.is_file())
        .ok_or_else(|| format!("no java on the PATH: Apache Kafka {KAFKA_VERSION}'s broker needs Java 17+"))
}

/// A running private broker; dropping it stops the process and deletes its
/// log directory.
pub struct Broker {
    child: Child,
    pub addr: SocketAddr,
    /// From the start of formatting to the first accepted connection.
    pub started_in: Duration,
    pub version: String,
    data: PathBuf,
}

/// `count` distinct free loopback ports (held together while chosen).
pub(crate) fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("no free loopback port: {e}"))?;
    listeners.iter().map(|l| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())).collect()
}

/// The node's `server.properties`: one KRaft node in combined mode, the
/// settings of Kafka's single-node quickstart (replication factor 1 for the
/// internal topics), and the group settings the harness's timings need.
fn server_properties(port: u16, controller: u16, data: &Path) -> String {
    [
        "process.roles=broker,controller".to_string(),
        "node.id=1".into(),
        format!("controller.quorum.voters=1@127.0.0.1:{controller}"),
        format!("listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}"),
        format!("advertised.listeners=PLAINTEXT://127.0.0.1:{port}"),
        "controller.listener.names=CONTROLLER".into(),
        "inter.broker.listener.name=PLAINTEXT".into(),
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT".into(),
        format!("log.dirs={}", data.display()),
        "offsets.topic.replication.factor=1".into(),
        // One __consumer_offsets partition (default 50): the run's one group
        // has one coordinator either way, and 50 partitions cost start-up.
        "offsets.topic.num.partitions=1".into(),
        "transaction.state.log.replication.factor=1".into(),
        "transaction.state.log.min.isr=1".into(),
        // The first JoinGroup of a new group is answered at once (default
        // 3 s wait for more members), as the model's coordinator does.
        "group.initial.rebalance.delay.ms=0".into(),
        // The harness's 2 s session timeout (default minimum 6 s would
        // refuse it with INVALID_SESSION_TIMEOUT).
        "group.min.session.timeout.ms=250".into(),
        String::new(),
    ]
    .join("\n")
}

/// log4j 2's configuration: warnings, plus the start-up line and the group
/// coordinator's decisions (joins, rebalances, evictions), which explain a
/// run's rebalances in its `broker.log`.
const LOG4J2: &str = "rootLogger.level=WARN
rootLogger.appenderRef.out.ref=OUT
appender.out.type=Console
appender.out.name=OUT
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.server.name=kafka.server.KafkaRaftServer
logger.server.level=INFO
logger.group.name=org.apache.kafka.coordinator.group
logger.group.level=INFO
logger.partition.name=kafka.cluster.Partition
logger.partition.level=INFO
";

/// reload4j's (log4j 1.2) configuration, for Kafka 3.x (Kafka 4 moved to
/// log4j 2, KIP-653): the same loggers as [`LOG4J2`].
const LOG4J1: &str = "log4j.rootLogger=WARN, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.coordinator.group=INFO
log4j.logger.kafka.cluster.Partition=INFO
";

/// How a node's JVMs are started: the install's jars, [`JVM`]'s options and
/// a logging configuration for the install's log4j, written into the node's
/// directory.
pub(crate) struct Jvm<'a> {
    install: &'a Install,
    logging: String,
}

impl<'a> Jvm<'a> {
    pub(crate) fn new(install: &'a Install, dir: &Path) -> Result<Jvm<'a>, String> {
        let io = |e: std::io::Error| format!("{}: {e}", dir.display());
        let logging = if install.version.starts_with("3.") {
            let file = dir.join("log4j.properties");
            std::fs::write(&file, LOG4J1).map_err(io)?;
            format!("-Dlog4j.configuration=file:{}", file.display())
        } else {
            let file = dir.join("log4j2.properties");
            std::fs::write(&file, LOG4J2).map_err(io)?;
            format!("-Dlog4j2.configurationFile={}", file.display())
        };
        Ok(Jvm { install, logging })
    }

    fn command(&self, heap: &str) -> Command {
        let mut cmd = Command::new(&self.install.java);
        cmd.arg(heap).arg(&self.logging).args(JVM);
        cmd.args(["-cp", &format!("{}/libs/*", self.install.home.display())]);
        cmd
    }

    /// Starts `kafka.Kafka` on `config`, its output in `log`.
    pub(crate) fn spawn_node(&self, config: &Path, log: &Path) -> Result<Child, String> {
        let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
        let mut cmd = self.command(HEAP);
        cmd.arg("kafka.Kafka").arg(config);
        super::child::dies_with_harness(&mut cmd)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.install.java.display()))
    }
}

/// Formats the log directory `config` names for cluster `id` with
/// `kafka.tools.StorageTool format -t ID -c CONFIG` (the same command in
/// 3.9 and 4.x; a static `controller.quorum.voters` needs no
/// `--standalone`/`--initial-controllers`, KIP-853).
pub(crate) fn format_storage(
    jvm: &Jvm,
    config: &Path,
    id: &str,
    log: &Path,
    deadline: Instant,
) -> Result<(), String> {
    let mut format = jvm.command("-Xmx256m");
    format.args(["kafka.tools.StorageTool", "format", "-t", id, "-c"]).arg(config);
    run_to_end(&mut format, log, deadline)
}

/// A random KRaft cluster id: 16 bytes in URL-safe base64 without padding,
/// the form of Kafka's `Uuid.toString` that `kafka-storage format -t` takes;
/// never starting with `-`, which `Uuid.randomUuid` avoids too (a command
/// line would read it as an option).
pub(crate) fn cluster_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = fastrand::Rng::new();
    // 22 characters carry 132 bits; the last keeps 2 (its low 4 bits zero), as base64 of 16 bytes.
    (0..22)
        .map(|i| {
            let v = match i {
                0 => rng.u8(0..62),
                21 => rng.u8(0..4) << 4,
                _ => rng.u8(0..64),
            };
            ALPHABET[v as usize] as char
        })
        .collect()
}

impl Broker {
    /// Formats a fresh log directory under `dir` and starts the node there
    /// (its config, `format.log` and `broker.log` stay in `dir`), then waits
    /// until it accepts connections: Kafka opens its client listener only
    /// once the node is unfenced and serving (`BrokerServer.startup`).
    pub fn start(install: &Install, dir: &Path) -> Result<Broker, String> {
        let began = Instant::now();
        let io = |e: std::io::Error| format!("{}: {e}", dir.display());
        let data = dir.join("data");
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(io)?;
        let [port, controller] = free_ports(2)?[..] else { unreachable!("two ports") };
        let config = dir.join("server.properties");
        std::fs::write(&config, server_properties(port, controller, &data)).map_err(io)?;
        let jvm = Jvm::new(install, dir)?;
        format_storage(&jvm, &config, &cluster_id(), &dir.join("format.log"), began + START_TIMEOUT)?;
        let log = dir.join("broker.log");
        let child = jvm.spawn_node(&config, &log)?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut broker =
            Broker { child, addr, started_in: Duration::ZERO, version: install.version.clone(), data };
        wait_listening(&mut broker.child, addr, &log, began + START_TIMEOUT)?;
        broker.started_in = began.elapsed();
        Ok(broker)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How a report names it.
    pub fn describe(&self) -> String {
        format!(
            "Apache Kafka {} on {} (private, pid {}, started in {:.1} s)",
            self.version,
            self.addr,
            self.pid(),
            self.started_in.as_secs_f64()
        )
    }
}

/// Waits until the node `child` accepts connections on `addr`; an error if
/// it exits first (with its `log`'s last lines) or `deadline` passes.
pub(crate) fn wait_listening(
    child: &mut Child,
    addr: SocketAddr,
    log: &Path,
    deadline: Instant,
) -> Result<(), String> {
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the broker exited at start-up ({status}); its log is {}:\n{}",
                log.display(),
                tail(log)
            ));
        }
        if Instant::now() > deadline {
            return Err(format!("the broker did not listen on {addr} in time; its log is {}", log.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM (Kafka's controlled shutdown), SIGKILL if it is still running
/// after [`STOP_TIMEOUT`].
pub(crate) fn stop_child(child: &mut Child) {
    // A pid of our own child, not yet reaped: at worst it has exited.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `cmd` (a JVM tool) to its end, its output in `log`; an error names
/// the log's last lines.
pub(crate) fn run_to_end(cmd: &mut Command, log: &Path, deadline: Instant) -> Result<(), String> {
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = super::child::dies_with_harness(cmd)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run java: {e}"))?;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(format!(
                    "formatting the broker's log directory failed ({status}):\n{}",
                    tail(log)
                ));
            }
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "formatting the broker's log directory took too long; see {}",
                    log.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for java: {e}")),
        }
    }
}

/// The last lines of a log, for an error message.
pub(crate) fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

impl Drop for Broker {
    /// SIGTERM (Kafka's controlled shutdown), SIGKILL if it is still running
    /// after [`STOP_TIMEOUT`]; then the log directory is deleted.
    fn drop(&mut self) {
        stop_child(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_id_is_the_base64_of_sixteen_bytes() {
        for _ in 0..100 {
            let id = cluster_id();
            assert_eq!(id.len(), 22, "{id}");
            let last = id.chars().last().unwrap();
            // The last character carries only the two bits left of 128.
            assert!("AQgw".contains(last), "{id}");
            assert!(!id.starts_with('-'), "{id}");
        }
    }

    #[test]
    fn the_node_listens_on_loopback_and_accepts_the_harness_session_timeout() {
        let props = server_properties(9092, 9093, Path::new("/tmp/d"));
        assert!(props.contains("listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n"));
        assert!(props.contains("controller.quorum.voters=1@127.0.0.1:9093\n"));
        let min: u32 = props
            .lines()
            .find_map(|l| l.strip_prefix("group.min.session.timeout.ms="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(min <= super::super::default_session_timeout_ms(false));
    }

    #[test]
    fn the_broker_jar_names_the_version() {
        let dir = std::env::temp_dir().join(format!("kafkacheck-jar-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("libs")).unwrap();
        std::fs::write(dir.join("libs/kafka_2.13-4.4.0-sources.jar"), "").unwrap();
        assert_eq!(broker_jar_version(&dir), None);
        std::fs::write(dir.join("libs/kafka_2.13-4.4.0.jar"), "").unwrap();
        assert_eq!(broker_jar_version(&dir).as_deref(), Some("4.4.0"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
