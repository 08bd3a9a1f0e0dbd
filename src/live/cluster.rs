//! What the harness asks of a Kafka cluster around a run: a fresh topic
//! filled with the scenario's records, the committed offsets read back
//! (OffsetFetch) afterwards, and the topic and group deleted again, so that
//! runs against a user's own cluster (`--bootstrap`) leave nothing behind.

use futures_executor::block_on;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(15);

/// A partition's replicas as the metadata names them: `leader` -1 when it
/// has none (offline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionState {
    pub leader: i32,
    pub isr: Vec<i32>,
    pub replicas: Vec<i32>,
}

/// Where a run's topic lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The cluster's default replication (`--bootstrap`: a user's cluster).
    Default,
    /// This replication factor, the replicas placed by Kafka (the private broker: 1).
    Factor(i32),
    /// Every partition's one replica on this broker (the private cluster:
    /// [`super::failover::input_placement`]).
    Broker(i32),
}

pub struct Cluster {
    bootstrap: String,
    admin: AdminClient<DefaultClientContext>,
}

fn config(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap).set_log_level(RDKafkaLogLevel::Error);
    c
}

/// Appends `messages` records to every partition, each acknowledged before
/// the next (`gap` apart: a producer running while consumers read), so each
/// partition's offsets follow produce order.
pub fn produce(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    messages: i64,
    gap: Duration,
) -> Result<(), String> {
    let producer: ThreadedProducer<DefaultProducerContext> = config(bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "false")
        .set("linger.ms", "0")
        .create()
        .map_err(|e| format!("cannot create a producer: {e}"))?;
    for o in 0..messages {
        for p in 0..partitions {
            let payload = format!("partition {p} record {o}");
            let key = format!("{p}:{o}");
            producer
                .send(BaseRecord::to(topic).partition(p).key(&key).payload(&payload))
                .map_err(|(e, _)| format!("cannot produce to {topic}/{p}: {e}"))?;
        }
        producer.flush(TIMEOUT).map_err(|e| format!("producing to {topic} did not finish: {e}"))?;
        std::thread::sleep(gap);
    }
    Ok(())
}

impl Cluster {
    pub fn connect(bootstrap: &str) -> Result<Cluster, String> {
        let admin = config(bootstrap).create().map_err(|e| format!("cannot create an admin client: {e}"))?;
        Ok(Cluster { bootstrap: bootstrap.to_string(), admin })
    }

    /// Creates `topic` with `partitions` partitions, replicated as `placement` says.
    pub fn create_topic(&self, topic: &str, partitions: i32, placement: &Placement) -> Result<(), String> {
        let on = match placement {
            Placement::Broker(b) => vec![std::slice::from_ref(b); partitions.max(0) as usize],
            _ => Vec::new(),
        };
        let replication = match placement {
            Placement::Default => TopicReplication::Fixed(-1),
            Placement::Factor(n) => TopicReplication::Fixed(*n),
            Placement::Broker(_) => TopicReplication::Variable(&on),
        };
        let new = NewTopic::new(topic, partitions, replication);
        let opts = AdminOptions::new().operation_timeout(Some(TIMEOUT));
        let results = block_on(self.admin.create_topics([&new], &opts))
            .map_err(|e| format!("cannot create topic {topic}: {e}"))?;
        for r in results {
            r.map_err(|(t, e)| format!("cannot create topic {t}: {e}"))?;
        }
        Ok(())
    }

    /// Appends `messages` records to every partition at once; a fresh
    /// topic's records then sit at offsets 0..messages.
    pub fn produce(&self, topic: &str, partitions: i32, messages: i64) -> Result<(), String> {
        produce(&self.bootstrap, topic, partitions, messages, Duration::ZERO)
    }

    /// The offsets committed for `group` (OffsetFetch), per partition; a
    /// partition without a committed offset is absent.
    pub fn committed(&self, topic: &str, group: &str, partitions: i32) -> Result<BTreeMap<i32, i64>, String> {
        let consumer: BaseConsumer = config(&self.bootstrap)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()
            .map_err(|e| format!("cannot create a consumer: {e}"))?;
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition(topic, p);
        }
        let fetched =
            consumer.committed_offsets(tpl, TIMEOUT).map_err(|e| format!("OffsetFetch for {group}: {e}"))?;
        Ok(fetched
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(o) => Some((e.partition(), o)),
                _ => None,
            })
            .collect())
    }

    /// The leader and in-sync replicas of one partition, from a Metadata
    /// answer (librdkafka asks any broker it is connected to; each serves
    /// the metadata the controller last sent it); `None` if the answer took
    /// longer than `timeout` or does not name the partition.
    pub fn partition_state(&self, topic: &str, partition: i32, timeout: Duration) -> Option<PartitionState> {
        let metadata = self.admin.inner().fetch_metadata(Some(topic), timeout).ok()?;
        let t = metadata.topics().iter().find(|t| t.name() == topic)?;
        let p = t.partitions().iter().find(|p| p.id() == partition)?;
        Some(PartitionState { leader: p.leader(), isr: p.isr().to_vec(), replicas: p.replicas().to_vec() })
    }

    /// The broker ids the cluster's metadata names.
    pub fn brokers(&self, timeout: Duration) -> Option<Vec<i32>> {
        let metadata = self.admin.inner().fetch_metadata(None, timeout).ok()?;
        Some(metadata.brokers().iter().map(|b| b.id()).collect())
    }

    /// The names of the cluster's topics (Metadata).
    pub fn topics(&self) -> Result<Vec<String>, String> {
        let metadata =
            self.admin.inner().fetch_metadata(None, TIMEOUT).map_err(|e| format!("Metadata: {e}"))?;
        Ok(metadata.topics().iter().map(|t| t.name().to_string()).collect())
    }

    /// Deletes a topic (a transactional run's output topic); the problem, if any.
    pub fn delete_topic(&self, topic: &str) -> Option<String> {
        let opts = AdminOptions::new().operation_timeout(Some(TIMEOUT));
        match block_on(self.admin.delete_topics(&[topic], &opts)) {
            Ok(rs) => rs.into_iter().find_map(|r| r.err()).map(|(t, e)| format!("topic {t}: {e}")),
            Err(e) => Some(format!("topic {topic}: {e}")),
        }
    }

    /// Deletes the run's topic and group; failures are returned for the run's
    /// notes, never fatal (the run's results stand). Killed consumers stay
    /// members until their session times out, so a group still busy is
    /// tried again once after `session`.
    pub fn clean_up(&self, topic: &str, group: &str, session: Duration) -> Vec<String> {
        let opts = AdminOptions::new().operation_timeout(Some(TIMEOUT));
        let mut problems = Vec::new();
        match block_on(self.admin.delete_topics(&[topic], &opts)) {
            Ok(rs) => problems
                .extend(rs.into_iter().filter_map(|r| r.err()).map(|(t, e)| format!("topic {t}: {e}"))),
            Err(e) => problems.push(format!("topic {topic}: {e}")),
        }
        for attempt in 0..2 {
            let outcome = match block_on(self.admin.delete_groups(&[group], &opts)) {
                Ok(rs) => rs.into_iter().find_map(|r| r.err()).map(|(_, e)| e),
                Err(KafkaError::AdminOp(e)) => Some(e),
                Err(e) => {
                    problems.push(format!("group {group}: {e}"));
                    break;
                }
            };
            match outcome {
                None => break,
                Some(RDKafkaErrorCode::NonEmptyGroup) if attempt == 0 => std::thread::sleep(session),
                Some(e) => {
                    problems.push(format!("group {group}: {e}"));
                    break;
                }
            }
        }
        problems
    }
}
