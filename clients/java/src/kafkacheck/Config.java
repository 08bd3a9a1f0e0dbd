package kafkacheck;

import java.util.Properties;

/**
 * The Java clients' configuration of a plan: the same knobs consumer.rs gives librdkafka, in
 * kafka-clients' names (ConsumerConfig, ProducerConfig).
 */
final class Config {
    private Config() {}

    /** heartbeat.interval.ms: as heartbeat_ms() in consumer.rs, a tenth of the session, 100..1000 ms. */
    static int heartbeatMs(int sessionTimeoutMs) {
        return Math.max(100, Math.min(1000, sessionTimeoutMs / 10));
    }

    /** The assignor's class (partition.assignment.strategy); Java has the eager StickyAssignor. */
    static String assignorClass(String assignor) {
        switch (assignor) {
            case "round-robin":
                return "org.apache.kafka.clients.consumer.RoundRobinAssignor";
            case "sticky":
                return "org.apache.kafka.clients.consumer.StickyAssignor";
            case "cooperative-sticky":
                return "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
            default:
                return "org.apache.kafka.clients.consumer.RangeAssignor";
        }
    }

    static Properties consumer(Plan plan) {
        Properties c = new Properties();
        boolean auto = plan.strategy.equals("auto-commit");
        c.put("bootstrap.servers", plan.bootstrap);
        c.put("group.id", plan.group);
        // The model is the classic group protocol (KIP-848's consumer protocol is not modelled).
        c.put("group.protocol", "classic");
        c.put("client.id", "kafkacheck-java-consumer-" + plan.consumer + "-" + plan.incarnation);
        c.put("enable.auto.commit", Boolean.toString(auto));
        if (auto) {
            c.put("interceptor.classes", CommitReporter.class.getName());
        }
        c.put("auto.commit.interval.ms", Long.toString(plan.autoCommitIntervalMs));
        c.put("auto.offset.reset", "earliest");
        c.put("session.timeout.ms", Integer.toString(plan.sessionTimeoutMs));
        c.put("heartbeat.interval.ms", Integer.toString(heartbeatMs(plan.sessionTimeoutMs)));
        c.put("partition.assignment.strategy", assignorClass(plan.assignor));
        // poll() returns at most this many records; the loop splits them into one-partition batches.
        c.put("max.poll.records", Integer.toString(plan.maxPollRecords));
        c.put("fetch.max.wait.ms", "50");
        c.put("reconnect.backoff.ms", "20");
        c.put("reconnect.backoff.max.ms", "1000");
        c.put("retry.backoff.ms", "20");
        c.put("isolation.level", plan.strategy.equals("transactional") ? "read_committed" : "read_uncommitted");
        c.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        c.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        return c;
    }

    /**
     * The transactional producer: transactional.id {@code group-consumer}, the consumer's number and
     * not its incarnation, so that a restart's initTransactions() bumps the epoch and fences its
     * predecessor (KIP-98; KIP-447 for the offsets).
     */
    static Properties producer(Plan plan) {
        Properties p = new Properties();
        p.put("bootstrap.servers", plan.bootstrap);
        p.put("client.id", "kafkacheck-java-producer-" + plan.consumer + "-" + plan.incarnation);
        p.put("transactional.id", plan.group + "-" + plan.consumer);
        p.put("transaction.timeout.ms", "10000");
        p.put("reconnect.backoff.ms", "20");
        p.put("reconnect.backoff.max.ms", "1000");
        p.put("retry.backoff.ms", "20");
        p.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        p.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        return p;
    }
}
