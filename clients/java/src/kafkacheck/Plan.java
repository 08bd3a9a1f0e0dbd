package kafkacheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * The one argument of the consumer process: src/live/plan.rs's {@code ConsumerPlan} as serde writes
 * it, read with Jackson. Every field is required and checked, so that a plan this program does not
 * understand is refused (exit 2) instead of half-followed.
 */
final class Plan {
    final String bootstrap;
    final String topic;
    final String group;
    final String sink;
    final int sessionTimeoutMs;
    /** Only transactional runs write to it; absent in plans of branches before it. */
    final String outputTopic;
    final int consumer;
    final long incarnation;
    /** {@code assign()} of these, or {@code null} under {@code subscribe()}. */
    final List<Integer> assign;
    /** range, roundrobin, sticky, cooperative-sticky (subscribe only). */
    final String assignor;
    final boolean commitOnRevoke;
    final int maxPollRecords;
    /** at-most-once, at-least-once, auto-commit, exactly-once, transactional. */
    final String strategy;
    /** at-least-once: next, last, position. */
    final String commitOffset;
    final int every;
    final long autoCommitIntervalMs;
    /** auto-commit with a worker thread: ms per record; -1 without one. */
    final long workerEachMs;
    final List<String> halts;

    private Plan(JsonNode plan) {
        JsonNode run = field(plan, "run");
        bootstrap = text(run, "bootstrap");
        topic = text(run, "topic");
        group = text(run, "group");
        sink = text(run, "sink");
        sessionTimeoutMs = number(run, "session_timeout_ms");
        outputTopic = run.path("output_topic").asText("");
        consumer = number(plan, "consumer");
        incarnation = field(plan, "incarnation").asLong();
        JsonNode partitions = field(plan, "partitions");
        if (partitions.has("assign")) {
            assign = new ArrayList<>();
            for (JsonNode p : field(partitions, "assign")) {
                assign.add(p.asInt());
            }
            assignor = "range";
            commitOnRevoke = false;
        } else {
            JsonNode sub = field(partitions, "subscribe");
            assign = null;
            assignor = oneOf(text(sub, "assignor"), "range", "round-robin", "sticky", "cooperative-sticky");
            commitOnRevoke = field(sub, "commit_on_revoke").asBoolean();
        }
        maxPollRecords = Math.max(1, number(plan, "max_poll_records"));
        JsonNode delivery = field(plan, "delivery");
        strategy = oneOf(text(delivery, "strategy"),
                "at-most-once", "at-least-once", "auto-commit", "exactly-once", "transactional");
        commitOffset = strategy.equals("at-least-once")
                ? oneOf(text(delivery, "offset"), "next", "last", "position") : "next";
        every = strategy.equals("at-least-once") ? Math.max(1, number(delivery, "every")) : 1;
        autoCommitIntervalMs = strategy.equals("auto-commit") ? number(delivery, "interval_ms") : 5000;
        JsonNode worker = delivery.path("worker_each_ms");
        workerEachMs = worker.isNumber() ? worker.asLong() : -1;
        if (strategy.equals("transactional") && outputTopic.isEmpty()) {
            throw new IllegalArgumentException("transactional delivery needs run.output_topic");
        }
        halts = new ArrayList<>();
        for (JsonNode h : field(plan, "halts")) {
            String[] parts = h.asText().split(":");
            if (parts.length != 2 || !parts[1].matches("[0-9]+")) {
                throw new IllegalArgumentException("halt `" + h.asText() + "` is not point:count");
            }
            oneOf(parts[0], "receive", "process", "commit");
            halts.add(h.asText());
        }
    }

    /** The plan in {@code json}; {@code IllegalArgumentException} naming what is wrong. */
    static Plan parse(String json) {
        try {
            return new Plan(new ObjectMapper().readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage());
        }
    }

    boolean subscribes() {
        return assign == null;
    }

    private static JsonNode field(JsonNode node, String name) {
        JsonNode v = node == null ? null : node.get(name);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field `" + name + "`");
        }
        return v;
    }

    private static String text(JsonNode node, String name) {
        JsonNode v = field(node, name);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field `" + name + "` is not a string");
        }
        return v.asText();
    }

    private static int number(JsonNode node, String name) {
        JsonNode v = field(node, name);
        if (!v.canConvertToInt()) {
            throw new IllegalArgumentException("field `" + name + "` is not a number");
        }
        return v.asInt();
    }

    private static String oneOf(String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown variant `" + value + "`, expected one of "
                + String.join(", ", allowed));
    }
}
