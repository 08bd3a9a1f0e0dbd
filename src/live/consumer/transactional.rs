//! Kafka's own exactly-once in the live consumer (`Delivery::Transactional`):
//! read-process-write in a transaction (KIP-98), the batch's offset
//! committed inside it with the consumer's group metadata (KIP-447).
//!
//! One batch (records of one partition) is one transaction: `begin`; per
//! record `receive` (a halt point), its output produced to the run's
//! `output_topic` (same partition, key `"P:O"`, value `"consumer-C.I"`, acknowledged),
//! `process` (a halt point: the output sits in the open transaction);
//! then `send_offsets_to_transaction({P: last + 1})` and `commit`, `commit`
//! being a halt point after success. A failure is reported as
//! `commit-failed`; an abortable one aborts the transaction and seeks the
//! partition back to its committed offset; a fatal one (the producer was
//! fenced) ends the process with [`FENCED_EXIT`].
//!
//! A transaction never spans a poll(): it is begun and ended between two
//! polls, so no transaction is open when librdkafka calls the rebalance
//! callback. librdkafka's own `examples/transactions.c` (its rebalance_cb)
//! has to commit the open transaction on a revoke and abort it when the
//! assignment is lost, because it keeps one open across polls; here
//! neither case can arise.
//!
//! A zombie (a member the group evicted while it was stopped) finds out at
//! `send_offsets_to_transaction`: the group coordinator checks the
//! TxnOffsetCommit's generation and member id (KIP-447) and answers
//! ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID, which librdkafka makes an
//! abortable transaction error (`rd_kafka_txn_handle_TxnOffsetCommit` in
//! librdkafka's `src/rdkafka_txnmgr.c`), so its outputs are aborted with it.

use super::super::plan::ConsumerPlan;
use super::super::wire::{Point, Report};
use super::{Halts, LiveContext, emit};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerGroupMetadata};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use std::time::Duration;

/// The producer's `transaction.timeout.ms`: a transaction left open by a
/// stopped process is aborted by the transaction coordinator after this.
pub const TRANSACTION_TIMEOUT_MS: u32 = 10_000;

/// The exit status of a consumer whose producer hit a fatal error (fenced:
/// a newer producer with its `transactional.id`, or the coordinator bumped
/// its epoch when the transaction timed out). librdkafka's producer is
/// unusable after a fatal error; a supervisor would start a new process.
pub const FENCED_EXIT: i32 = 4;

/// The longest any one transactional call blocks.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// `"{group}-{consumer}"`: the consumer's number, not its start, so that a
/// restarted consumer's `init_transactions` bumps the producer epoch and
/// fences its predecessor (KIP-98).
pub fn transactional_id(plan: &ConsumerPlan) -> String {
    format!("{}-{}", plan.run.group, plan.consumer)
}

/// The rdkafka configuration of a plan's transactional producer.
pub fn producer_config(plan: &ConsumerPlan) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &plan.run.bootstrap)
        .set("client.id", format!("kafkacheck-producer-{}-{}", plan.consumer, plan.incarnation))
        .set("transactional.id", transactional_id(plan))
        .set("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS.to_string())
        .set("linger.ms", "0")
        .set("reconnect.backoff.ms", "20")
        .set("retry.backoff.ms", "20")
        .set_log_level(RDKafkaLogLevel::Warning);
    config
}

/// The transactional producer of one consumer process.
pub(super) struct Transactions {
    producer: ThreadedProducer<DefaultProducerContext>,
    input_topic: String,
    output_topic: String,
    /// `consumer-C.I`: who produced an output.
    producer_name: String,
}

impl Transactions {
    /// Creates the producer and calls `init_transactions`, which fences
    /// this consumer's previous start and aborts what it left open.
    pub(super) fn start(plan: &ConsumerPlan) -> Result<Transactions, String> {
        let producer: ThreadedProducer<DefaultProducerContext> = producer_config(plan)
            .create()
            .map_err(|e| format!("cannot create the transactional producer: {e}"))?;
        producer.init_transactions(CALL_TIMEOUT).map_err(|e| format!("init_transactions: {e}"))?;
        Ok(Transactions {
            producer,
            input_topic: plan.run.topic.clone(),
            output_topic: plan.run.output_topic.clone(),
            producer_name: format!("consumer-{}.{}", plan.consumer, plan.incarnation),
        })
    }

    /// One batch in one transaction, each step reported and halted at as the
    /// plan says; a failure is reported and recovered from ([`Self::recover`]).
    /// `Ok(true)` when the transaction committed.
    pub(super) fn batch(
        &self,
        consumer: &BaseConsumer<LiveContext>,
        halts: &mut Halts,
        batch: &[(i32, i64)],
    ) -> Result<bool, String> {
        let Some(&(partition, last)) = batch.last() else { return Ok(true) };
        let next = last + 1;
        // A consumer with a group.id always has group metadata (generation
        // -1 and no member id under assign(), which the coordinator accepts).
        let metadata = consumer.group_metadata().ok_or("the consumer has no group metadata")?;
        let outcome = self.producer.begin_transaction().and_then(|()| {
            for &(p, o) in batch {
                emit(Report::Received { partition: p, offset: o });
                halts.step(Point::Receive);
                self.produce(p, o)?;
                emit(Report::Processed { partition: p, offset: o });
                halts.step(Point::Process);
            }
            self.commit(&metadata, partition, next)
        });
        match outcome {
            Ok(()) => {
                emit(Report::Committed { partition, offset: next });
                halts.step(Point::Commit);
                Ok(true)
            }
            Err(e) => {
                emit(Report::CommitFailed { partition, offset: next, error: e.to_string() });
                self.recover(&e)?;
                self.rewind(consumer, partition);
                Ok(false)
            }
        }
    }

    /// Produces a record's output into the open transaction and waits for
    /// its acknowledgement, so that a crash at the `process` halt right
    /// after leaves the output on the broker in an open transaction (for
    /// the next start's `init_transactions` to abort), not in the killed
    /// process's queue.
    fn produce(&self, partition: i32, offset: i64) -> KafkaResult<()> {
        let key = format!("{partition}:{offset}");
        let record =
            BaseRecord::to(&self.output_topic).partition(partition).key(&key).payload(&self.producer_name);
        self.producer.send(record).map_err(|(e, _)| e)?;
        self.producer.flush(CALL_TIMEOUT)
    }

    /// The batch's offset into the transaction, then the commit.
    fn commit(&self, metadata: &ConsumerGroupMetadata, partition: i32, next: i64) -> KafkaResult<()> {
        let mut offsets = TopicPartitionList::new();
        offsets.add_partition_offset(&self.input_topic, partition, Offset::Offset(next))?;
        self.producer.send_offsets_to_transaction(&offsets, metadata, CALL_TIMEOUT)?;
        self.producer.commit_transaction(CALL_TIMEOUT)
    }

    /// Aborts the failed transaction; a fatal error (fenced) ends the
    /// process with [`FENCED_EXIT`], as librdkafka's producer cannot go on.
    fn recover(&self, error: &KafkaError) -> Result<(), String> {
        if let KafkaError::Transaction(e) = error
            && e.is_fatal()
        {
            eprintln!("fatal transactional error, exiting: {e}");
            std::process::exit(FENCED_EXIT);
        }
        match self.producer.abort_transaction(CALL_TIMEOUT) {
            Ok(()) => Ok(()),
            Err(KafkaError::Transaction(e)) if e.is_fatal() => {
                eprintln!("abort_transaction: fatal, exiting: {e}");
                std::process::exit(FENCED_EXIT);
            }
            Err(e) => Err(format!("abort_transaction after `{error}`: {e}")),
        }
    }

    /// Seeks `partition` back to its committed offset (the beginning when
    /// none is), so that the aborted batch is read again; a partition the
    /// consumer no longer owns (a zombie) cannot be seeked and is left to the rebalance.
    fn rewind(&self, consumer: &BaseConsumer<LiveContext>, partition: i32) {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(&self.input_topic, partition);
        let committed = consumer
            .committed_offsets(tpl, CALL_TIMEOUT)
            .ok()
            .and_then(|c| c.find_partition(&self.input_topic, partition).map(|e| e.offset()));
        let to = match committed {
            Some(Offset::Offset(o)) => Offset::Offset(o),
            _ => Offset::Beginning,
        };
        if let Err(e) = consumer.seek(&self.input_topic, partition, to, CALL_TIMEOUT) {
            eprintln!("seek {partition} back to {to:?}: {e}");
        }
    }
}
