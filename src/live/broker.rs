//! The private broker of a live run: the installed `nisshi` (an Apache
//! Kafka-protocol broker with Kafka's consumer-group behaviour) started on a
//! free loopback port with in-memory storage, and stopped by its process id
//! when the run is over, whatever happened in between.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pinned broker version `scripts/install-broker.sh` installs.
pub const NISSHI_VERSION: &str = "0.8.1";

/// Where the broker binary is looked for, in order: `$KAFKACHECK_NISSHI`;
/// `bin/nisshi` under `$KAFKACHECK_BROKER_ROOT` (default
/// `~/.cache/kafkacheck/broker`, where the install script puts it); `nisshi`
/// on the PATH.
pub fn locate() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("KAFKACHECK_NISSHI") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("KAFKACHECK_NISSHI={} is not a file", path.display()))
        };
    }
    let root = std::env::var_os("KAFKACHECK_BROKER_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/kafkacheck/broker")));
    let candidates = root.map(|r| r.join("bin/nisshi")).into_iter().chain(
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|d| d.join("nisshi"))
            .collect::<Vec<_>>(),
    );
    for candidate in candidates {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err("no broker installed: run `scripts/install-broker.sh` once (nisshi, about 22 minutes), \
         or pass --bootstrap HOST:PORT to use your own Kafka cluster"
        .into())
}

/// A running private broker; dropping it stops the process.
pub struct Broker {
    child: Child,
    pub addr: SocketAddr,
}

impl Broker {
    /// Starts the broker on a free loopback port and waits until it accepts
    /// connections (at most 20 s). Its output goes to `log`; `cluster_id`
    /// names it in `ps` (the harness uses its work directory's name).
    pub fn start(binary: &Path, log: &Path, cluster_id: &str) -> Result<Broker, String> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let url = format!("tcp://{addr}");
        let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
        let child = super::child::dies_with_harness(&mut Command::new(binary))
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--cluster-id", cluster_id])
            .args(["--storage-engine", "memory://kafkacheck/", "--group-initial-rebalance-delay", "0s"])
            .args(["--group-poll-interval", "50ms"])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut broker = Broker { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(broker);
            }
            if let Ok(Some(status)) = broker.child.try_wait() {
                return Err(format!(
                    "the broker exited at start-up ({status}); its log is {}",
                    log.display()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the broker did not listen on {addr} within 20 s; its log is {}",
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this pid only; wait reaps it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
