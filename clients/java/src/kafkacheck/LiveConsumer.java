package kafkacheck;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * The Java client's live consumer: the {@code kafkacheck consumer} of src/live/consumer.rs written
 * with kafka-clients' KafkaConsumer, one process per consumer of a run, following the one JSON
 * argument (src/live/plan.rs's ConsumerPlan) and reporting on stdout (src/live/wire.rs).
 *
 * <p>What differs from librdkafka is Java's own: under enable.auto.commit the commit of the
 * positions happens inside poll() (ConsumerCoordinator.maybeAutoCommitOffsetsAsync) and before a
 * rebalance (onJoinPrepare), not on a background timer (its successful commits are reported by
 * {@link CommitReporter}); commit_on_revoke runs in onPartitionsRevoked, and onPartitionsLost does
 * not commit.
 */
public final class LiveConsumer implements ConsumerRebalanceListener {
    private final Plan plan;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Sink sink;
    private final Wire.Halts halts;
    private Worker worker;
    private Transactions transactions;
    /** Owned partitions; null until the group first assigns (group assignment). */
    private TreeSet<Integer> owned;
    /** Processed but not yet committed: partition → offset to commit. */
    private final TreeMap<Integer, Long> uncommitted = new TreeMap<>();
    /** A rebalance happened since the loop last looked: idle must be said again. */
    private boolean rebalanced;
    /** idle was reported and nothing came since. */
    private boolean idle;
    private long batches;

    private LiveConsumer(Plan plan) throws java.io.IOException {
        this.plan = plan;
        this.consumer = new KafkaConsumer<>(Config.consumer(plan));
        this.sink = new Sink(Path.of(plan.sink), plan.consumer, plan.incarnation);
        this.halts = new Wire.Halts(plan.halts);
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: LiveConsumer '<consumer plan JSON>'");
            System.exit(2);
        }
        Plan plan;
        try {
            plan = Plan.parse(args[0]);
        } catch (IllegalArgumentException e) {
            System.err.println("error: not a consumer plan: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            new LiveConsumer(plan).run();
        } catch (Exception e) {
            System.err.println("error: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private TopicPartition tp(int partition) {
        return new TopicPartition(plan.topic, partition);
    }

    private void run() throws Exception {
        if (plan.strategy.equals("transactional")) {
            transactions = new Transactions(plan);
        }
        join();
        Wire.emit("ready");
        halts.atStart();
        if (plan.workerEachMs >= 0) {
            worker = new Worker(new Sink(Path.of(plan.sink), plan.consumer, plan.incarnation),
                    plan.workerEachMs, halts.splitOff("process"));
        }
        while (true) {
            next();
        }
    }

    /** subscribe(), or assign() of the plan's partitions, each from where it resumes. */
    private void join() throws java.io.IOException {
        if (plan.subscribes()) {
            consumer.subscribe(List.of(plan.topic), this);
            return;
        }
        List<TopicPartition> mine = new ArrayList<>();
        for (int p : plan.assign) {
            mine.add(tp(p));
        }
        consumer.assign(mine);
        owned = new TreeSet<>(plan.assign);
        resume(mine);
        Wire.assigned(owned);
    }

    /** exactly-once resumes from the external store (the sink), the others from Kafka's committed offset. */
    private void resume(Collection<TopicPartition> partitions) throws java.io.IOException {
        if (!plan.strategy.equals("exactly-once")) {
            return;
        }
        for (TopicPartition tp : partitions) {
            OptionalLong next = sink.nextOffset(tp.partition());
            if (next.isPresent()) {
                consumer.seek(tp, next.getAsLong());
            } else {
                consumer.seekToBeginning(Set.of(tp));
            }
        }
    }

    /** Polls once and handles each one-partition batch as the plan's delivery says. */
    private void next() throws Exception {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
            if (!commitOwed() && (worker == null || !worker.busy())) {
                reportIdle();
            }
            return;
        }
        idle = false;
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> all = records.records(tp);
            for (int from = 0; from < all.size(); from += plan.maxPollRecords) {
                List<ConsumerRecord<byte[], byte[]>> batch =
                        all.subList(from, Math.min(all.size(), from + plan.maxPollRecords));
                if (!handle(tp.partition(), batch)) {
                    break; // a transaction aborted: the partition was sought back
                }
            }
        }
    }

    /** One batch; false when the rest of this poll's records of the partition must be dropped. */
    private boolean handle(int partition, List<ConsumerRecord<byte[], byte[]>> batch) throws Exception {
        if (transactions != null) {
            return transactions.batch(consumer, partition, batch, halts);
        }
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            Wire.record("receive", partition, r.offset());
            halts.step("receive");
        }
        long end = batch.get(batch.size() - 1).offset() + 1;
        switch (plan.strategy) {
            case "at-most-once":
                // A failed commitSync() throws: the batch is not processed, the next poll rejoins.
                if (commit(Map.of(partition, end))) {
                    halts.step("commit");
                    processAll(partition, batch);
                }
                break;
            case "at-least-once":
                atLeastOnce(partition, batch, end);
                break;
            case "auto-commit":
                // No commit of ours: the next poll() commits the positions (enable.auto.commit).
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    if (worker != null) {
                        worker.handOver(partition, r.offset());
                    } else {
                        process(partition, r.offset());
                    }
                }
                break;
            default: // exactly-once: skip what the external store already holds
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    OptionalLong next = sink.nextOffset(partition);
                    if (next.isPresent() && r.offset() < next.getAsLong()) {
                        Wire.record("skip", partition, r.offset());
                    } else {
                        process(partition, r.offset());
                    }
                }
        }
        return true;
    }

    /** Processes each record, committing where commit.offset says (src/client/commit_offset.rs). */
    private void atLeastOnce(int partition, List<ConsumerRecord<byte[], byte[]>> batch, long end)
            throws java.io.IOException {
        // next commits the batch end, last one below it, position the batch end after each record.
        long named = plan.commitOffset.equals("last") ? end - 1 : end;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            process(partition, r.offset());
            if (plan.commitOffset.equals("position") && commit(Map.of(partition, named))) {
                halts.step("commit");
            }
        }
        if (!plan.commitOffset.equals("position")) {
            uncommitted.put(partition, named);
            batches++;
            if (batches % plan.every == 0) {
                commitOwed();
            }
        }
    }

    private void processAll(int partition, List<ConsumerRecord<byte[], byte[]>> batch) throws java.io.IOException {
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            process(partition, r.offset());
        }
    }

    /** Writes a record's side effect to the sink: a process step. */
    private void process(int partition, long offset) throws java.io.IOException {
        sink.append(partition, offset);
        Wire.record("process", partition, offset);
        halts.step("process");
    }

    /** commitSync() of {@code offsets} (partition → next offset), reported per partition. */
    private boolean commit(Map<Integer, Long> offsets) {
        Map<TopicPartition, OffsetAndMetadata> tps = new HashMap<>();
        offsets.forEach((p, o) -> tps.put(tp(p), new OffsetAndMetadata(o)));
        try {
            consumer.commitSync(tps);
        } catch (KafkaException e) {
            // CommitFailedException (a fenced generation), RebalanceInProgressException, ...: poll on.
            new TreeMap<>(offsets).forEach((p, o) -> Wire.commitFailed(p, o, e));
            return false;
        }
        new TreeMap<>(offsets).forEach((p, o) -> Wire.record("commit", p, o));
        return true;
    }

    /** commitSync() of every processed offset not committed yet; a success is a commit step. Whether any was owed. */
    private boolean commitOwed() {
        if (uncommitted.isEmpty()) {
            return false;
        }
        if (commit(new TreeMap<>(uncommitted))) {
            uncommitted.clear();
            halts.step("commit");
        }
        return true;
    }

    /** Reports idle once every owned partition is read to its end (its position at the end offset). */
    private void reportIdle() {
        if (owned == null) {
            return;
        }
        if (rebalanced) {
            rebalanced = false;
            idle = false;
        }
        if (idle) {
            return;
        }
        List<TopicPartition> mine = new ArrayList<>();
        owned.forEach(p -> mine.add(tp(p)));
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(mine, Duration.ofSeconds(2));
            for (TopicPartition tp : mine) {
                if (consumer.position(tp, Duration.ofSeconds(2)) < ends.get(tp)) {
                    return;
                }
            }
        } catch (KafkaException e) {
            System.err.println("idle check: " + e);
            return;
        }
        Wire.emit("idle");
        idle = true;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        TreeMap<Integer, Long> pending = new TreeMap<>();
        for (TopicPartition tp : revoked) {
            Long o = uncommitted.get(tp.partition());
            if (o != null) {
                pending.put(tp.partition(), o);
            }
        }
        if (plan.commitOnRevoke && !pending.isEmpty()) {
            commit(pending);
        }
        dropped(revoked);
    }

    /** Partitions lost to an eviction (a fenced generation): nothing to commit, they are gone. */
    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        dropped(lost);
    }

    private void dropped(Collection<TopicPartition> gone) {
        if (owned == null) {
            owned = new TreeSet<>();
        }
        for (TopicPartition tp : gone) {
            uncommitted.remove(tp.partition());
            owned.remove(tp.partition());
        }
        Wire.assigned(owned);
        rebalanced = true;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        if (owned == null) {
            owned = new TreeSet<>();
        }
        for (TopicPartition tp : assigned) {
            owned.add(tp.partition());
        }
        try {
            resume(assigned);
        } catch (java.io.IOException e) {
            throw new KafkaException("cannot read the sink: " + e.getMessage(), e);
        }
        Wire.assigned(owned);
        rebalanced = true;
    }
}
