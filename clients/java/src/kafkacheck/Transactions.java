package kafkacheck;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The transactional delivery: read-process-write, one Kafka transaction per batch. The outputs go
 * to {@code output_topic} and the batch's offset to the group with {@code
 * sendOffsetsToTransaction(offsets, consumer.groupMetadata())} (KIP-447: the group coordinator
 * fences a zombie by its generation), both committed by one {@code commitTransaction()}.
 */
final class Transactions {
    private final KafkaProducer<String, String> producer;
    private final Plan plan;

    /** initTransactions() at start: fences every earlier producer of this transactional.id (KIP-98). */
    Transactions(Plan plan) {
        this.plan = plan;
        this.producer = new KafkaProducer<>(Config.producer(plan));
        producer.initTransactions();
    }

    /**
     * One batch (records of one partition) in one transaction; whether it committed. On an
     * abortable error the transaction is aborted and the partition sought back to its committed
     * offset, so that the caller drops the rest of what this poll returned for it.
     */
    boolean batch(KafkaConsumer<byte[], byte[]> consumer, int partition,
                  List<ConsumerRecord<byte[], byte[]>> batch, Wire.Halts halts) {
        TopicPartition tp = new TopicPartition(plan.topic, partition);
        long end = batch.get(batch.size() - 1).offset() + 1;
        try {
            producer.beginTransaction();
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                Wire.record("receive", partition, r.offset());
                halts.step("receive");
                String value = "consumer-" + plan.consumer + "." + plan.incarnation;
                producer.send(new ProducerRecord<>(plan.outputTopic, partition, partition + ":" + r.offset(), value))
                        .get();
                Wire.record("process", partition, r.offset());
                halts.step("process");
            }
            producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(end)), consumer.groupMetadata());
            producer.commitTransaction();
        } catch (ExecutionException e) {
            return failed(consumer, tp, end, e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(consumer, tp, end, e);
        } catch (KafkaException e) {
            return failed(consumer, tp, end, e);
        }
        Wire.record("commit", partition, end);
        halts.step("commit");
        return true;
    }

    /** The exceptions after which the producer cannot go on (KafkaProducer's javadoc; KIP-1050). */
    private static boolean fatal(Throwable e) {
        return e instanceof ApplicationRecoverableException
                || e instanceof FencedInstanceIdException
                || e instanceof OutOfOrderSequenceException
                || e instanceof AuthorizationException
                || e instanceof UnsupportedVersionException;
    }

    private boolean failed(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long end, Throwable e) {
        Wire.commitFailed(tp.partition(), end, e);
        if (fatal(e)) {
            fenced(consumer, e);
        }
        try {
            producer.abortTransaction();
        } catch (KafkaException abort) {
            fenced(consumer, abort);
        }
        OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
        if (committed == null) {
            consumer.seekToBeginning(Set.of(tp));
        } else {
            consumer.seek(tp, committed.offset());
        }
        return false;
    }

    /** A fenced producer (a newer incarnation called initTransactions()) closes and exits nonzero. */
    private void fenced(KafkaConsumer<byte[], byte[]> consumer, Throwable e) {
        System.err.println("fatal transaction error, exiting: " + e);
        producer.close(Duration.ZERO);
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
        System.exit(4);
    }
}
