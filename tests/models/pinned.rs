//! Every model file's search, pinned: unique states, the deepest state
//! visited, and each property's verdict under the default options (DFS, one
//! thread, symmetry on). A change to any of them is a change in behaviour,
//! so it must be a decision: this test names the file and the old and new
//! value, and its table is rewritten only by hand after that decision.
//!
//! The numbers were printed by the checker (`cargo test --test models --
//! --ignored --nocapture print_pinned_table`), not written by hand.

use super::runs;
use kafkacheck::verdict::Verdict::{self, Holds as H, Violated as V};

/// The verdict columns of [`PINNED`], in the order `check` reports them.
const PROPERTIES: [&str; 7] = [
    "no-loss",
    "no-duplicate",
    "all-processed",
    "committed-monotonic",
    "single-owner",
    "acked-commit-durable",
    "exclusive-processing",
];

/// One model file's pinned search.
struct Pin {
    /// The file name in `models/` without `.json`.
    file: &'static str,
    unique_states: usize,
    max_depth: usize,
    /// In the order of [`PROPERTIES`].
    verdicts: [Verdict; 7],
}

const fn pin(file: &'static str, unique_states: usize, max_depth: usize, verdicts: [Verdict; 7]) -> Pin {
    Pin { file, unique_states, max_depth, verdicts }
}

#[rustfmt::skip]
const PINNED: &[Pin] = &[
    //  file                                          unique states, max depth, verdicts (PROPERTIES)
    pin("at-least-once-2-consumers",                        19707,  49, [H, V, H, H, H, H, H]),
    pin("at-least-once-batch",                                154,  27, [H, V, H, H, H, H, H]),
    pin("at-least-once-no-crash",                              21,  21, [H, H, H, H, H, H, H]),
    pin("at-least-once",                                      180,  29, [H, V, H, H, H, H, H]),
    pin("at-most-once-2-consumers",                         27933,  45, [V, H, V, H, H, H, H]),
    pin("at-most-once-batch",                                 135,  21, [V, H, V, H, H, H, H]),
    pin("at-most-once-no-crash",                               21,  21, [H, H, H, H, H, H, H]),
    pin("at-most-once",                                       165,  25, [V, H, V, H, H, H, H]),
    pin("client-java-auto-in-poll",                           597,  36, [H, V, H, H, H, H, H]),
    pin("client-java-auto-worker",                            611,  33, [V, V, V, H, H, H, H]),
    pin("client-librdkafka-auto-in-poll-store-after-processing",   1231,  38, [H, V, H, H, H, H, H]),
    pin("client-librdkafka-auto-in-poll",                     856,  35, [V, V, V, H, H, H, H]),
    pin("client-librdkafka-auto-worker-store-after-processing",   1430,  38, [H, V, H, H, H, H, H]),
    pin("client-librdkafka-auto-worker",                     1613,  35, [V, V, V, H, H, H, H]),
    pin("client-librdkafka-group-rebalance",                28195,  54, [H, H, H, H, H, H, H]),
    pin("client-librdkafka-group-worker-store-after-processing", 168783,  68, [H, V, H, V, H, H, V]),
    pin("commit-async-retry-reorder",                        4226,  44, [H, V, H, V, H, H, H]),
    pin("commit-async-retry-sequence-guard",                 3441,  34, [H, V, H, H, H, H, H]),
    pin("commit-auto-in-poll",                               1861,  43, [H, V, H, H, H, H, H]),
    pin("commit-auto-worker",                                1844,  40, [V, V, V, H, H, H, H]),
    pin("commit-offset-last-rebalance",                       296,  38, [H, V, H, H, H, H, H]),
    pin("commit-offset-position",                             166,  27, [V, V, V, H, H, H, H]),
    pin("consumer-config-auto-commit-worker",                 611,  33, [V, V, V, H, H, H, H]),
    pin("exactly-once-2-consumers",                         31411,  39, [H, H, H, H, H, H, H]),
    pin("exactly-once-batch",                                 104,  17, [H, H, H, H, H, H, H]),
    pin("exactly-once-no-crash",                               33,  18, [H, H, H, H, H, H, H]),
    pin("exactly-once",                                       186,  22, [H, H, H, H, H, H, H]),
    pin("group-async-commit-rebalance",                      2961,  48, [H, H, H, H, H, H, H]),
    pin("group-at-most-once-commit-error-crash",             5904,  52, [H, H, H, H, H, H, V]),
    pin("group-at-most-once-commit-error-retry-after-rebalance",   6039,  51, [V, H, V, H, H, H, V]),
    pin("group-at-most-once-commit-error-skip",              5339,  46, [H, H, H, H, H, H, V]),
    pin("group-at-most-once-zombie-fenced",                  5339,  46, [H, H, H, H, H, H, V]),
    pin("group-at-most-once-zombie-unfenced",                5949,  60, [H, V, H, V, H, H, V]),
    pin("group-auto-commit-pool-crash",                      4721,  47, [V, V, V, H, H, H, H]),
    pin("group-auto-commit-pool",                            3140,  38, [H, H, H, H, H, H, H]),
    pin("group-auto-commit-rebalance",                      12673,  52, [H, H, H, H, H, H, H]),
    pin("group-auto-commit-worker-crash",                  163338,  62, [V, V, V, H, H, H, H]),
    pin("group-auto-commit-worker",                         14286,  51, [H, H, H, H, H, H, V]),
    pin("group-commit-error-crash",                           116,  33, [H, V, H, H, H, H, H]),
    pin("group-commit-error-retry-after-rebalance",           100,  28, [H, H, H, H, H, H, H]),
    pin("group-commit-error-skip",                            116,  33, [H, V, H, H, H, H, H]),
    pin("group-cooperative-sticky-2-partitions",              967,  51, [H, H, H, H, H, H, H]),
    pin("group-cooperative-sticky",                           218,  26, [H, H, H, H, H, H, H]),
    pin("group-coordinator-failover-acks-leader",           88366,  73, [H, V, H, V, V, V, V]),
    pin("group-coordinator-failover",                       20140,  45, [H, H, H, H, H, H, H]),
    pin("group-duplicating-network",                         1883,  37, [H, V, H, V, H, H, H]),
    pin("group-eager-rebalance-commit-on-revoke",             181,  30, [H, H, H, H, H, H, H]),
    pin("group-eager-rebalance-periodic-commit",              195,  32, [H, V, H, H, H, H, H]),
    pin("group-eager-rebalance",                              166,  29, [H, H, H, H, H, H, H]),
    pin("group-exactly-once-zombie-fenced",                  8235,  44, [H, H, H, H, H, H, H]),
    pin("group-exactly-once-zombie-unfenced",                9813,  56, [H, V, H, V, H, H, V]),
    pin("group-lossy-network",                               2523,  45, [H, V, H, H, H, H, H]),
    pin("group-produce-latest",                              6595,  56, [V, V, V, H, H, H, H]),
    pin("group-produce",                                     2018,  48, [H, H, H, H, H, H, H]),
    pin("group-sticky-eager",                                 258,  32, [H, V, H, H, H, H, H]),
    pin("group-workers-pause",                              15485,  56, [H, V, H, H, H, H, V]),
    pin("group-zombie-fenced",                               6132,  54, [H, V, H, H, H, H, V]),
    pin("group-zombie-unfenced",                             5941,  60, [H, V, H, V, H, H, V]),
    pin("network-duplicating-at-least-once",                  171,  17, [H, V, H, V, H, H, H]),
    pin("network-lossy-at-least-once",                        518,  26, [H, V, H, H, H, H, H]),
    pin("network-lossy-at-most-once",                          69,  18, [H, V, H, H, H, H, H]),
    pin("network-unordered-at-least-once",                    293,  25, [H, V, H, V, H, H, H]),
    pin("new-group-earliest",                                  19,  19, [H, H, H, H, H, H, H]),
    pin("new-group-empty-partition-earliest",                  13,  10, [H, H, H, H, H, H, H]),
    pin("new-group-empty-partition-latest",                    21,  12, [V, H, V, H, H, H, H]),
    pin("new-group-latest",                                    11,  11, [V, H, V, H, H, H, H]),
    pin("offsets-acks-all-failover",                          688,  20, [H, H, H, H, H, H, H]),
    pin("offsets-acks-all-unclean-failover",                 7301,  37, [H, V, H, V, H, V, H]),
    pin("offsets-acks-leader-failover",                     14207,  42, [H, V, H, V, H, V, H]),
    pin("offsets-produce-latest",                            1169,  35, [V, V, V, H, H, H, H]),
    pin("offsets-reset-none",                                 233,  25, [H, V, V, H, H, H, H]),
    pin("offsets-when-empty-earliest",                        335,  35, [H, V, H, V, H, H, H]),
    pin("offsets-when-empty-latest-group",                  25555,  53, [H, V, H, H, H, H, H]),
    pin("offsets-when-empty-latest",                          268,  26, [V, V, V, H, H, H, H]),
    pin("offsets-when-empty-none",                            233,  25, [H, V, V, H, H, H, H]),
    pin("offsets-while-active-earliest",                      335,  35, [H, V, H, V, H, H, H]),
    pin("offsets-while-active-latest",                        268,  26, [V, V, V, H, H, H, H]),
    pin("parallel-workers-contiguous",                       1671,  35, [H, V, H, H, H, H, H]),
    pin("parallel-workers-highest-completed-no-crash",        150,  20, [H, H, H, H, H, H, H]),
    pin("parallel-workers-highest-completed",                1724,  32, [V, V, V, H, H, H, H]),
    pin("produce-at-least-once",                              383,  31, [H, V, H, H, H, H, H]),
];

fn stem(path: &std::path::Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_model_file_has_its_pinned_states_and_verdicts() {
    let runs = runs();
    let mut failures = Vec::new();
    for (path, outcome) in runs.files.iter().zip(&runs.outcomes) {
        let file = stem(path);
        let names: Vec<&str> = outcome.properties.iter().map(|p| p.name).collect();
        assert_eq!(names, PROPERTIES, "the properties changed: give the table a column per property");
        let Some(pin) = PINNED.iter().find(|p| p.file == file) else {
            failures.push(format!("models/{file}.json has no row in tests/models/pinned.rs"));
            continue;
        };
        if outcome.unique_states != pin.unique_states {
            failures.push(format!(
                "models/{file}.json: unique states were {}, now {}",
                pin.unique_states, outcome.unique_states
            ));
        }
        if outcome.max_depth != pin.max_depth {
            failures.push(format!(
                "models/{file}.json: max depth was {}, now {}",
                pin.max_depth, outcome.max_depth
            ));
        }
        for (p, was) in outcome.properties.iter().zip(pin.verdicts) {
            if p.verdict != was {
                failures.push(format!("models/{file}.json: {} was {was}, now {}", p.name, p.verdict));
            }
        }
    }
    let files: Vec<String> = runs.files.iter().map(|f| stem(f)).collect();
    for pin in PINNED.iter().filter(|p| !files.iter().any(|f| f == p.file)) {
        failures.push(format!("tests/models/pinned.rs pins {}, which is not in models/", pin.file));
    }
    let mut seen = std::collections::BTreeSet::new();
    for pin in PINNED.iter().filter(|p| !seen.insert(p.file)) {
        failures.push(format!("tests/models/pinned.rs pins {} twice", pin.file));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Prints [`PINNED`] as the checker sees `models/` now, to paste after a
/// deliberate change of the model.
#[test]
#[ignore = "prints the table; run with --ignored --nocapture"]
fn print_pinned_table() {
    let runs = runs();
    for (path, outcome) in runs.files.iter().zip(&runs.outcomes) {
        let verdicts: Vec<&str> = outcome
            .properties
            .iter()
            .map(|p| match p.verdict {
                H => "H",
                V => "V",
                Verdict::Unknown => {
                    panic!("{}: {} is unknown under the default options", path.display(), p.name)
                }
            })
            .collect();
        let file = format!("\"{}\",", stem(path));
        println!(
            "    pin({file:<50} {:>6}, {:>3}, [{}]),",
            outcome.unique_states,
            outcome.max_depth,
            verdicts.join(", ")
        );
    }
}
