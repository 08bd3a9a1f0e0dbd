//! The live clients: which real consumer a run's processes are, how each is
//! found and how its process is started.
//!
//! - **librdkafka**: the hidden `kafkacheck consumer` subcommand of this
//!   binary ([`super::consumer`], rdkafka).
//! - **java**: `clients/java`, a plain Java 17 program on Apache Kafka's own
//!   `KafkaConsumer`/`KafkaProducer` (kafka-clients of the installed broker),
//!   built by `scripts/install-java-client.sh`.
//!
//! Both take the same one JSON argument ([`super::plan::ConsumerPlan`]),
//! speak the same line protocol ([`super::wire`]) and write the same sink
//! ([`super::sink`]), so that the harness drives either the same way. Each
//! run's report names its client, and its model column is the scenario
//! checked with `client` set to that client ([`LiveClient::model_client`]):
//! the model knows where their auto-commits differ.

use super::plan::Plan;
use crate::scenario::{Assignor, Client};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable naming a Java client build (a directory the
/// install script printed), instead of the newest one in the cache.
pub const JAVA_CLIENT_ENV: &str = "KAFKACHECK_JAVA_CLIENT";

/// The Java consumer's main class (`clients/java/src/kafkacheck/LiveConsumer.java`).
pub const JAVA_MAIN: &str = "kafkacheck.LiveConsumer";

/// One client a live run's consumers are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LiveClient {
    Java,
    Librdkafka,
}

/// `--client`: one client or both, each running every scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientChoice {
    Java,
    Librdkafka,
    #[default]
    Both,
}

impl ClientChoice {
    /// The clients to run, in the order their reports come.
    pub fn clients(self) -> Vec<LiveClient> {
        match self {
            ClientChoice::Java => vec![LiveClient::Java],
            ClientChoice::Librdkafka => vec![LiveClient::Librdkafka],
            ClientChoice::Both => vec![LiveClient::Java, LiveClient::Librdkafka],
        }
    }
}

impl LiveClient {
    pub fn name(self) -> &'static str {
        match self {
            LiveClient::Java => "java",
            LiveClient::Librdkafka => "librdkafka",
        }
    }

    /// The scenario's `client` the model is checked with for this client's runs.
    pub fn model_client(self) -> Client {
        match self {
            LiveClient::Java => Client::Java,
            LiveClient::Librdkafka => Client::Librdkafka,
        }
    }

    /// Why this client cannot run a plan `Plan::new` accepted, if it cannot.
    pub fn refuses(self, plan: &Plan) -> Option<String> {
        let sticky =
            matches!(plan.membership, super::plan::Membership::Group { assignor: Assignor::Sticky, .. });
        match self {
            LiveClient::Librdkafka if sticky => Some(
                "assignor sticky: librdkafka has no eager sticky assignor (range, roundrobin, \
                 cooperative-sticky); the Java client has StickyAssignor"
                    .into(),
            ),
            LiveClient::Java | LiveClient::Librdkafka => None,
        }
    }

    /// Finds this client's consumer program; `consumer_exe` is the
    /// `kafkacheck` binary (librdkafka's consumer).
    pub fn locate(self, consumer_exe: &Path) -> Result<Launcher, String> {
        match self {
            LiveClient::Librdkafka => {
                if !consumer_exe.is_file() {
                    return Err(format!(
                        "the kafkacheck binary {} that runs the consumers is missing",
                        consumer_exe.display()
                    ));
                }
                Ok(Launcher::Librdkafka { exe: consumer_exe.to_path_buf() })
            }
            LiveClient::Java => locate_java(),
        }
    }
}

/// How a client's consumer process is started.
#[derive(Clone, Debug)]
pub enum Launcher {
    /// `kafkacheck consumer '<plan>'`.
    Librdkafka { exe: PathBuf },
    /// `java -Xmx128m -cp '<kafka libs>/*:<classes>' kafkacheck.LiveConsumer '<plan>'`.
    Java { java: PathBuf, build: PathBuf, libs: PathBuf },
}

impl Launcher {
    /// The command that starts one consumer process with this plan (JSON).
    pub fn command(&self, plan_json: &str) -> Command {
        match self {
            Launcher::Librdkafka { exe } => {
                let mut cmd = Command::new(exe);
                cmd.arg("consumer").arg(plan_json);
                cmd
            }
            Launcher::Java { java, build, libs } => {
                let mut cmd = Command::new(java);
                let classpath = format!("{}/*:{}", libs.display(), build.join("classes").display());
                // A small heap and a quick start: up to a few consumers start
                // per run on a machine shared with the broker.
                cmd.args(["-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"])
                    .arg(format!("-Dlog4j2.configurationFile={}", build.join("log4j2.properties").display()))
                    .arg("-cp")
                    .arg(classpath)
                    .arg(JAVA_MAIN)
                    .arg(plan_json);
                cmd
            }
        }
    }

    /// The program, for error messages.
    pub fn program(&self) -> String {
        match self {
            Launcher::Librdkafka { exe } => format!("{} consumer", exe.display()),
            Launcher::Java { build, .. } => format!("java {JAVA_MAIN} (built in {})", build.display()),
        }
    }
}

/// The Java client build: `$KAFKACHECK_JAVA_CLIENT`, else the newest build
/// the install script linked as `java-client` in the cache; the Kafka libs it
/// was compiled against (its `kafka-home`), and `java` beside the broker's.
fn locate_java() -> Result<Launcher, String> {
    let absent = |what: String| {
        format!(
            "{what}: run `scripts/install-java-client.sh` once (it compiles clients/java with javac \
             against the installed Apache Kafka's jars), or pass --client librdkafka"
        )
    };
    let build = match std::env::var_os(JAVA_CLIENT_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => std::env::var_os("KAFKACHECK_CACHE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/kafkacheck")))
            .map(|c| c.join("java-client"))
            .ok_or_else(|| {
                absent("no Java client build (neither KAFKACHECK_CACHE nor HOME is set)".into())
            })?,
    };
    if !build.join("complete").is_file() || !build.join("classes").is_dir() {
        return Err(absent(format!("no Java client build in {}", build.display())));
    }
    let home = std::fs::read_to_string(build.join("kafka-home"))
        .map_err(|e| absent(format!("{}: {e}", build.join("kafka-home").display())))?;
    let libs = Path::new(home.trim()).join("libs");
    if !libs.join(format!("kafka-clients-{}.jar", super::broker::KAFKA_VERSION)).is_file() {
        return Err(absent(format!(
            "{} has no kafka-clients-{}.jar",
            libs.display(),
            super::broker::KAFKA_VERSION
        )));
    }
    let java = super::broker::locate().map(|i| i.java).unwrap_or_else(|_| PathBuf::from("java"));
    Ok(Launcher::Java { java, build, libs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Assignment, GroupConfig, Scenario};

    #[test]
    fn both_runs_each_client_and_each_has_its_model_client() {
        assert_eq!(ClientChoice::default().clients(), [LiveClient::Java, LiveClient::Librdkafka]);
        assert_eq!(ClientChoice::Java.clients(), [LiveClient::Java]);
        assert_eq!(LiveClient::Librdkafka.model_client(), Client::Librdkafka);
        assert_eq!(LiveClient::Java.model_client(), Client::Java);
        assert_eq!(serde_json::to_string(&LiveClient::Librdkafka).unwrap(), "\"librdkafka\"");
    }

    #[test]
    fn only_librdkafka_refuses_the_eager_sticky_assignor() {
        let group = GroupConfig {
            assignment: Assignment::Group,
            assignor: Assignor::Sticky,
            ..GroupConfig::default()
        };
        let plan = Plan::new(&Scenario { group, ..Scenario::default() }).unwrap();
        assert!(LiveClient::Librdkafka.refuses(&plan).unwrap().starts_with("assignor sticky"));
        assert_eq!(LiveClient::Java.refuses(&plan), None);
        let range = Plan::new(&Scenario::default()).unwrap();
        assert_eq!(LiveClient::Librdkafka.refuses(&range), None);
    }

    #[test]
    fn the_java_command_puts_the_kafka_jars_and_the_classes_on_the_class_path() {
        let launcher = Launcher::Java {
            java: "/usr/bin/java".into(),
            build: "/c/java-client-1".into(),
            libs: "/k/libs".into(),
        };
        let cmd = launcher.command("{}");
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let cp = args.iter().position(|a| a == "-cp").unwrap();
        assert_eq!(args[cp + 1], "/k/libs/*:/c/java-client-1/classes");
        assert_eq!(args[cp + 2..], [JAVA_MAIN.to_string(), "{}".to_string()]);
        assert!(args.contains(&"-Xmx128m".to_string()));
        assert!(args.contains(&"-Dlog4j2.configurationFile=/c/java-client-1/log4j2.properties".to_string()));
    }
}
