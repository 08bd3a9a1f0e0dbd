package kafkacheck;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The line protocol of src/live/wire.rs: one report per line on stdout, and at a fault point
 * {@code halt point:count}, then a block on stdin until the harness writes {@code go}.
 */
final class Wire {
    private static final BufferedReader STDIN =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    private Wire() {}

    /** Writes one report line; a harness that went away ends the process (as emit() in consumer.rs). */
    static synchronized void emit(String line) {
        System.out.print(line.replace('\n', ' ') + "\n");
        System.out.flush();
        if (System.out.checkError()) {
            Runtime.getRuntime().halt(3);
        }
    }

    static void assigned(Iterable<Integer> partitions) {
        StringBuilder line = new StringBuilder("assigned");
        for (int p : partitions) {
            line.append(' ').append(p);
        }
        emit(line.toString());
    }

    static void record(String verb, int partition, long offset) {
        emit(verb + " " + partition + " " + offset);
    }

    static void commitFailed(int partition, long offset, Throwable error) {
        String why = error.getClass().getSimpleName() + ": " + error.getMessage();
        emit("commit-failed " + partition + " " + offset + " " + why);
    }

    /** Reports the halt and blocks until {@code go}; a closed stdin (the harness is gone) ends the process. */
    static void waitForGo(String halt) {
        emit("halt " + halt);
        String line;
        synchronized (STDIN) {
            try {
                line = STDIN.readLine();
            } catch (IOException e) {
                line = null;
            }
        }
        if (line == null || !line.trim().equals("go")) {
            Runtime.getRuntime().halt(0);
        }
    }

    /** The steps of one incarnation, counted per point, halting where the plan's halts say. */
    static final class Halts {
        private final Set<String> wanted;
        private final Map<String, Integer> counts = new HashMap<>();

        Halts(List<String> halts) {
            this.wanted = new HashSet<>(halts);
        }

        /** Halts right after start-up if any halt has count 0 (the first of them, as in consumer.rs). */
        void atStart() {
            List<String> first = new ArrayList<>();
            for (String h : wanted) {
                if (h.endsWith(":0")) {
                    first.add(h);
                }
            }
            if (!first.isEmpty()) {
                first.sort(null);
                wanted.removeAll(first);
                waitForGo(first.get(0));
            }
        }

        /** The halts at {@code point}, for the thread that makes those steps (the worker's process steps). */
        Halts splitOff(String point) {
            List<String> theirs = new ArrayList<>();
            for (String h : wanted) {
                if (h.startsWith(point + ":")) {
                    theirs.add(h);
                }
            }
            wanted.removeAll(theirs);
            return new Halts(theirs);
        }

        void step(String point) {
            int count = counts.merge(point, 1, Integer::sum);
            String here = point + ":" + count;
            if (wanted.remove(here)) {
                waitForGo(here);
            }
        }
    }
}
