//! Time to verdict on the single-consumer grid: for each strategy, messages
//! N ∈ {2,3,4,6,8} × crash budget K ∈ {0,1,2,3}, one partition, one consumer,
//! the CLI's defaults (depth-first proof, breadth-first counterexamples, one thread).
//!
//! `cargo bench --bench grid` prints one row per configuration: unique
//! states, states/second, the verdicts and the wall time to all verdicts
//! (the complete search plus the shortest-counterexample searches).
//! `GRID_N` and `GRID_K` (space-separated) override the grid.

use kafkacheck::check::{self, Options};
use kafkacheck::scenario::{Scenario, Strategy};
use kafkacheck::verdict::Verdict;
use std::time::Instant;

fn grid(var: &str, default: &[u8]) -> Vec<u8> {
    match std::env::var(var) {
        Ok(v) => v.split_whitespace().map(|x| x.parse().expect("a small number")).collect(),
        Err(_) => default.to_vec(),
    }
}

fn main() {
    let ns = grid("GRID_N", &[2, 3, 4, 6, 8]);
    let ks = grid("GRID_K", &[0, 1, 2, 3]);
    println!(
        "{:<14} {:>3} {:>2} {:>10} {:>12} {:>10}  verdicts (loss dup all mono owner)",
        "strategy", "N", "K", "states", "states/s", "seconds"
    );
    for strategy in Strategy::ALL {
        for &n in &ns {
            for &k in &ks {
                let scenario = Scenario {
                    name: format!("{} N={n} K={k}", strategy.name()),
                    messages: n,
                    strategy,
                    crashes: k,
                    ..Scenario::default()
                };
                let start = Instant::now();
                let outcome = check::check(
                    &scenario,
                    &Options { threads: check::available_threads(), ..Options::default() },
                );
                let secs = start.elapsed().as_secs_f64();
                let verdicts: Vec<&str> = outcome
                    .properties
                    .iter()
                    .map(|p| match p.verdict {
                        Verdict::Holds => "ok",
                        Verdict::Violated => "VIOL",
                        Verdict::Unknown => "?",
                    })
                    .collect();
                println!(
                    "{:<14} {n:>3} {k:>2} {:>10} {:>12.0} {secs:>10.4}  {}",
                    strategy.name(),
                    outcome.unique_states,
                    outcome.unique_states as f64 / secs,
                    verdicts.join(" ")
                );
            }
        }
    }
}
