//! The agreement table (issue 8, on Apache Kafka since issue 16): every
//! model file the broker can run, with each client (the Java client and
//! librdkafka), run live with the model's counterexamples replayed and
//! seeded random schedules; a property the model finds violated must show
//! its anomaly on the broker, and a property that holds must show none.
//! "model" is the model's verdict for that client (`live` checks each file
//! with its `client` set to the run's client first).
//!
//! A disagreement is not hidden: it must be listed in [`EXPLAINED`] with its
//! reason, which the README's "Model and broker" table repeats; a new one, or
//! a listed one that went away, fails the test. The few that depend on a
//! timing the harness does not yet control are listed in [`TIMING`] with
//! what was seen: they may or may not show in a run, and nothing else may.
//!
//! A (file, client) pair whose runs differ from [`EXPLAINED`] is run once
//! more with the same seeds, and the rerun decides; both are printed. On two
//! shared cores a client's timer (a heartbeat, librdkafka's auto-commit) can
//! land on the other side of a step now and then: a stop-22 CI run of this
//! test, with the unoptimized dev profile, differed from the list (its output
//! was not kept), while the runs before and after it, and two reruns each of
//! the listed pairs, matched it. A disagreement that shows in both runs, or
//! a listed one gone from both, still fails the test.

use serde_json::Value;
use std::process::Command;

/// Seeded schedules per scenario besides the replayed counterexamples:
/// seeds 2 and 3. The README's table was measured with seeds 1–3
/// (`kafkacheck live models/ --runs 3 --seed 1`, 31.6 min with both clients);
/// the test leaves seed 1 out to keep `.ci/run` well inside its hour, and
/// every disagreement below shows with seeds 2 and 3 (seed 1 showed none of
/// its own).
const RUNS: &str = "2";
const SEED: &str = "2";

/// (model file, client, property, what differs). Each entry has a row in
/// the README's agreement table saying whether it is a model gap or a broker
/// or client difference.
const EXPLAINED: &[(&str, &str, &str, &str)] = &[
    // In file order. Measured with both clients on Apache Kafka 4.4.0, the
    // model column checked per client (the four rows of librdkafka runs of
    // client-java-auto-in-poll.json the table had before went away: with
    // "client": "librdkafka" the model finds its loss too).
    //
    // Model gap (librdkafka): the model hands over a poll's records and
    // issues the first one's side effect in one step, so with
    // max_poll_records 1 its librdkafka consumer has no window between the
    // store (at handover, enable.auto.offset.store) and the side effect; the
    // real rdkafka consumer halts there. Seed 3 crashes after receive #3 once
    // the timer ran: "partition 0 offset 2 was never processed, yet the
    // committed offset is 3". client-librdkafka-auto-in-poll.json (two
    // records a poll) is the model's case of this window.
    ("commit-auto-in-poll.json", "librdkafka", "no-loss", "anomaly on the broker"),
    ("commit-auto-in-poll.json", "librdkafka", "all-processed", "anomaly on the broker"),
    // Client difference to model (Java): once its heartbeat has learned of a
    // rebalance, KafkaConsumer.commitSync() fails with
    // RebalanceInProgressException before sending anything
    // (ConsumerCoordinator.sendOffsetCommitRequest: no generationIfStable();
    // RebalanceInProgressException's javadoc), where the model's commit
    // with the still-current generation succeeds. Seeds 2 and 3 start
    // consumer-1 late: consumer-0 processes partition 1's offsets 0 and 1,
    // its commit of 2 fails so, KIP-429's first round revokes partition 1
    // (no commit_on_revoke) and consumer-1 processes both again.
    ("group-cooperative-sticky-2-partitions.json", "java", "no-duplicate", "anomaly on the broker"),
];

/// Disagreements that come and go with the timing of the private cluster's
/// coordinator failover (the five failover files agreed in the run that
/// introduced them, with librdkafka; these showed in the next one): each is
/// allowed to be present or absent. Seen with `--runs 3 --seed 1` on 2
/// shared cores:
/// - `group-coordinator-failover-acks-leader`, librdkafka: after the failover
///   the new coordinator no longer knew the members (the group's records went
///   with the lost acks=1 writes): consumer-0's commit failed with
///   WaitingForCoordinator then UnknownMemberId, both members rejoined, and
///   every consumer reported idle while the partition had no owner yet, so
///   the run ended before the rebalance handed it out (offset 1 unprocessed:
///   `all-processed`), and that replay's read-back did not go below the
///   acknowledged commit (`committed-monotonic` not reproduced). A harness
///   gap: quiescence does not yet wait for every partition to have an owner.
/// - `offsets-acks-leader-failover`, Java: `committed-monotonic` needs its
///   replay to lose the second commit while the first survives; when the
///   followers are stopped before they fetched the first one too, both are
///   lost, the read-back after the failover is "nothing committed"
///   (`acked-commit-durable` reproduced) and there is no older offset to go
///   back to. Seen both ways with Java: `kafkacheck live
///   models/offsets-acks-leader-failover.json --client java --runs 0` showed
///   the decrease (read back {0: 1}, below the acknowledged 2) in one run
///   and `{}` in another.
const TIMING: &[(&str, &str, &str, &str)] = &[
    ("group-coordinator-failover-acks-leader.json", "librdkafka", "all-processed", "anomaly on the broker"),
    ("group-coordinator-failover-acks-leader.json", "librdkafka", "committed-monotonic", "not reproduced"),
    ("offsets-acks-leader-failover.json", "java", "committed-monotonic", "not reproduced"),
];

/// One `kafkacheck live` command over `paths` with one client (or both),
/// the test's seeds, and its JSON document.
fn live(paths: &[&str], client: &str, work: &std::path::Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kafkacheck"))
        .arg("live")
        .args(paths)
        .args(["--client", client, "--runs", RUNS, "--seed", SEED, "--format", "json"])
        .arg("--work-dir")
        .arg(work)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}; stderr:\n{stderr}"))
}

/// A (file, client, property, what differs) row.
type Row = (String, String, String, &'static str);

/// Each (file, client) pair of a `live` document with its disagreements
/// (those in [`TIMING`] left out, and printed), and the document's table.
fn disagreements(doc: &Value, table: &mut String) -> Vec<((String, String), Vec<Row>)> {
    let mut pairs = Vec::new();
    for s in doc["scenarios"].as_array().unwrap() {
        let file = s["file"].as_str().unwrap().trim_start_matches("models/");
        let client = s["client"].as_str().unwrap();
        assert_eq!(s["model_client"], client, "{file}: the model column is checked for the run's client");
        for run in s["runs"].as_array().unwrap() {
            assert_eq!(run["complete"], true, "{file}: a run did not finish: {run:#}");
        }
        let mut rows = Vec::new();
        for p in s["properties"].as_array().unwrap() {
            let property = p["property"].as_str().unwrap();
            let model = p["model"].as_str().unwrap();
            let seen = !p["reproduced_in"].as_array().unwrap().is_empty();
            let broker = if seen { "anomaly" } else { "none" };
            *table += &format!("{file} | {client} | {property} | {model} | {broker}\n");
            let what = match (model, seen) {
                ("violated", false) => "not reproduced",
                ("holds", true) => "anomaly on the broker",
                _ => continue,
            };
            if TIMING.iter().any(|&(f, c, p, w)| (f, c, p, w) == (file, client, property, what)) {
                println!("a timing-dependent disagreement (TIMING): {file} {client} {property}: {what}");
            } else {
                rows.push((file.to_string(), client.to_string(), property.to_string(), what));
            }
        }
        pairs.push(((file.to_string(), client.to_string()), rows));
    }
    pairs
}

/// The rows of [`EXPLAINED`] for one (file, client) pair.
fn explained(file: &str, client: &str) -> Vec<Row> {
    EXPLAINED
        .iter()
        .filter(|&&(f, c, _, _)| (f, c) == (file, client))
        .map(|&(f, c, p, w)| (f.to_string(), c.to_string(), p.to_string(), w))
        .collect()
}

#[test]
fn the_broker_agrees_with_the_model_on_every_scenario_it_can_run() {
    if let Err(e) = kafkacheck::live::broker::locate() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but {e}");
        println!("SKIPPED: {e}");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let doc = live(&["models/"], "both", &work.path().join("all"));
    let mut table = String::from("file | client | property | model | broker\n");
    let pairs = disagreements(&doc, &mut table);
    assert!(pairs.len() >= 40, "the live-runnable (model file, client) pairs: {}", pairs.len());
    println!("{table}");

    let mut seen = Vec::new();
    for ((file, client), rows) in pairs {
        if rows == explained(&file, &client) {
            seen.extend(rows);
            continue;
        }
        // Run once more: the rerun decides, and both are printed.
        println!("{file} with {client} differs from EXPLAINED in the first runs: {rows:?}; running it again");
        let mut again = String::new();
        let rerun =
            live(&[&format!("models/{file}")], &client, &work.path().join(format!("again-{file}-{client}")));
        let [(_, rows)] = <[_; 1]>::try_from(disagreements(&rerun, &mut again)).unwrap();
        println!("the rerun of {file} with {client}: {rows:?}\n{again}");
        seen.extend(rows);
    }
    let all: Vec<Row> =
        EXPLAINED.iter().map(|&(f, c, p, w)| (f.to_string(), c.to_string(), p.to_string(), w)).collect();
    assert_eq!(seen, all, "disagreements between the model and the broker\n{table}");
}
