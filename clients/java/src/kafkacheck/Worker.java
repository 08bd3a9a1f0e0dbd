package kafkacheck;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker thread of {@code commit.processing: worker} (src/live/worker.rs): the poll loop hands
 * it records and polls on while it processes them, each taking a while, so that the auto-commit of
 * a later poll() passes records still queued here.
 */
final class Worker {
    private final LinkedBlockingQueue<long[]> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger pending = new AtomicInteger();

    Worker(Sink sink, long eachMs, Wire.Halts halts) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    long[] r = queue.take();
                    Thread.sleep(eachMs);
                    sink.append((int) r[0], r[1]);
                    Wire.record("process", (int) r[0], r[1]);
                    pending.decrementAndGet();
                    halts.step("process");
                }
            } catch (Exception e) {
                System.err.println("worker: " + e);
                Runtime.getRuntime().halt(2);
            }
        }, "kafkacheck-worker");
        t.setDaemon(true);
        t.start();
    }

    void handOver(int partition, long offset) {
        pending.incrementAndGet();
        queue.add(new long[] {partition, offset});
    }

    boolean busy() {
        return pending.get() > 0;
    }
}
