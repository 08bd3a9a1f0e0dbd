package kafkacheck;

import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Reports the commits enable.auto.commit makes inside poll() as {@code commit P O} lines, as the
 * rdkafka consumer reports its timer's commits: KafkaConsumer has no callback for them, but a
 * ConsumerInterceptor's onCommit is called for every successful commit (ConsumerCoordinator),
 * and is installed (interceptor.classes) only under auto-commit, where the loop commits nothing of
 * its own. A failed auto-commit is not seen here (onCommit is for successes only).
 */
public final class CommitReporter implements ConsumerInterceptor<byte[], byte[]> {
    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
        return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        sorted(offsets).forEach((p, o) -> Wire.record("commit", p, o));
    }

    private static Map<Integer, Long> sorted(Map<TopicPartition, OffsetAndMetadata> offsets) {
        Map<Integer, Long> byPartition = new TreeMap<>();
        offsets.forEach((tp, om) -> byPartition.put(tp.partition(), om.offset()));
        return byPartition;
    }

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
}
