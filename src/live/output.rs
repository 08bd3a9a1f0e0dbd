//! The output topic of a transactional run read back (`Delivery::Transactional`):
//! what Kafka's exactly-once wrote, as the properties judge it.
//!
//! Read twice after the consumers stopped, from the beginning to the end of
//! every partition: with `isolation.level=read_committed` (records of
//! committed transactions only, up to the last stable offset, KIP-98) that
//! is what was processed, turned into the same [`SinkLog`] the external
//! sink gives, so no-loss, no-duplicate and all-processed judge it
//! unchanged; with `read_uncommitted` every record written, so that the
//! outputs of aborted transactions (a crash or a fenced zombie that hit an
//! open transaction) show as the difference ([`ReadBack::aborted`]).
//!
//! An output is key `"P:O"` (the input record's partition and offset) and
//! value `"consumer-C.I"` (the consumer and its start that produced it).

use super::sink::{Output, SinkLog};
use crate::trace::json::parse_actor;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// How long a read-back waits for every partition's end.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Which records a read-back sees (`isolation.level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    ReadUncommitted,
}

impl Isolation {
    fn config(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read_committed",
            Isolation::ReadUncommitted => "read_uncommitted",
        }
    }
}

/// The two read-backs of one output topic.
#[derive(Clone, Debug, Default)]
pub struct ReadBack {
    /// read_committed: what was processed.
    pub committed: SinkLog,
    /// read_uncommitted: everything produced, aborted transactions too.
    pub uncommitted: SinkLog,
}

impl ReadBack {
    pub fn read(bootstrap: &str, topic: &str, partitions: i32) -> Result<ReadBack, String> {
        Ok(ReadBack {
            committed: read(bootstrap, topic, partitions, Isolation::ReadCommitted)?,
            uncommitted: read(bootstrap, topic, partitions, Isolation::ReadUncommitted)?,
        })
    }

    /// Outputs read_uncommitted sees beyond read_committed's: those of
    /// aborted transactions (counted per copy of each key).
    pub fn aborted(&self) -> u32 {
        let committed = self.committed.counts();
        self.uncommitted
            .counts()
            .iter()
            .map(|(key, n)| n.saturating_sub(committed.get(key).copied().unwrap_or(0)))
            .sum()
    }

    /// Keeps both read-backs next to the run's other files, one output a
    /// line as the sink writes them: `output.read_committed.log`, `output.read_uncommitted.log`.
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<()> {
        for (name, log) in [("read_committed", &self.committed), ("read_uncommitted", &self.uncommitted)] {
            let text: String = log
                .outputs
                .iter()
                .map(|o| format!("{} {} consumer-{} {}\n", o.partition, o.offset, o.consumer, o.incarnation))
                .collect();
            std::fs::write(dir.join(format!("output.{name}.log")), text)?;
        }
        Ok(())
    }

    /// The run note on aborted outputs, when there are any.
    pub fn note(&self) -> Option<String> {
        match self.aborted() {
            0 => None,
            1 => Some("1 output record of an aborted transaction, invisible to read_committed".into()),
            n => Some(format!("{n} output records of aborted transactions, invisible to read_committed")),
        }
    }
}

/// What a transactional run processed: the output topic read back
/// read_committed; the aborted outputs' note goes to `notes`, both
/// read-backs to files in `dir` ([`ReadBack::write`]).
pub fn processed(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    dir: &std::path::Path,
    notes: &mut Vec<String>,
) -> Result<SinkLog, String> {
    let back = ReadBack::read(bootstrap, topic, partitions)?;
    notes.extend(back.note());
    if let Err(e) = back.write(dir) {
        notes.push(format!("cannot keep the read-backs in {}: {e}", dir.display()));
    }
    Ok(back.committed)
}

/// One output record as the sink's line: `None` for a record that is not
/// one (a key or value of another shape).
pub fn output_of(key: &str, value: &str) -> Option<Output> {
    let (partition, offset) = key.split_once(':')?;
    let (actor, incarnation) = value.rsplit_once('.')?;
    Some(Output {
        partition: partition.parse().ok()?,
        offset: offset.parse().ok()?,
        consumer: parse_actor(actor)?.consumer()?.into(),
        incarnation: incarnation.parse().ok()?,
    })
}

/// Every record of `topic` from the beginning to each partition's end, in
/// partition then offset order.
pub fn read(bootstrap: &str, topic: &str, partitions: i32, isolation: Isolation) -> Result<SinkLog, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("{topic}-read-back"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", isolation.config())
        .set("fetch.wait.max.ms", "50")
        .set_log_level(RDKafkaLogLevel::Error)
        .create()
        .map_err(|e| format!("cannot create the read-back consumer: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning).map_err(|e| format!("assign: {e}"))?;
    }
    consumer.assign(&tpl).map_err(|e| format!("assign: {e}"))?;
    let mut at_end = BTreeSet::new();
    let mut outputs: BTreeMap<i32, Vec<Output>> = BTreeMap::new();
    let start = Instant::now();
    while at_end.len() < partitions as usize {
        if start.elapsed() > READ_TIMEOUT {
            return Err(format!("reading {topic} back ({}) did not reach its end", isolation.config()));
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => eprintln!("reading {topic} back: {e}"),
            Some(Ok(m)) => {
                at_end.remove(&m.partition());
                let text = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).into_owned();
                match output_of(&text(m.key()), &text(m.payload())) {
                    Some(o) => outputs.entry(m.partition()).or_default().push(o),
                    None => {
                        eprintln!("{topic}/{} offset {}: not an output record", m.partition(), m.offset())
                    }
                }
            }
        }
    }
    Ok(SinkLog { outputs: outputs.into_values().flatten().collect() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::history::History;

    fn log(records: &[(&str, &str)]) -> SinkLog {
        SinkLog { outputs: records.iter().map(|(k, v)| output_of(k, v).unwrap()).collect() }
    }

    #[test]
    fn an_output_record_is_the_sinks_line() {
        assert_eq!(
            output_of("2:7", "consumer-1.3"),
            Some(Output { partition: 2, offset: 7, consumer: 1, incarnation: 3 })
        );
        for (k, v) in
            [("2", "consumer-1.3"), ("2:x", "consumer-1.3"), ("2:7", "consumer-1"), ("2:7", "sink.1")]
        {
            assert_eq!(output_of(k, v), None, "{k} {v}");
        }
    }

    #[test]
    fn a_key_committed_twice_is_a_duplicate_and_aborted_copies_are_counted() {
        let committed = log(&[("0:0", "consumer-0.1"), ("0:0", "consumer-0.2"), ("0:1", "consumer-0.2")]);
        let history = History {
            partitions: 1,
            messages: 2,
            sink: committed.clone(),
            committed: [(0, 2)].into_iter().collect(),
            complete: true,
            ..History::default()
        };
        let anomalies = history.anomalies();
        assert_eq!(anomalies.len(), 1, "{anomalies:?}");
        assert_eq!(anomalies[0].property, "no-duplicate");
        assert!(anomalies[0].evidence.contains("consumer-0 start 1, consumer-0 start 2"), "{anomalies:?}");

        let clean = log(&[("0:0", "consumer-0.2"), ("0:1", "consumer-0.2")]);
        let uncommitted = log(&[("0:0", "consumer-0.1"), ("0:0", "consumer-0.2"), ("0:1", "consumer-0.2")]);
        let back = ReadBack { committed: clean.clone(), uncommitted };
        assert_eq!(back.aborted(), 1);
        assert_eq!(
            back.note().unwrap(),
            "1 output record of an aborted transaction, invisible to read_committed"
        );
        let dir = tempfile::tempdir().unwrap();
        back.write(dir.path()).unwrap();
        let again = SinkLog::read(&dir.path().join("output.read_uncommitted.log")).unwrap();
        assert_eq!(again.outputs, back.uncommitted.outputs);
        assert_eq!(ReadBack { committed: clean.clone(), uncommitted: clean }.note(), None);
    }
}
