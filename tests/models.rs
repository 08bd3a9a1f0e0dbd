//! The CI gate: every scenario in `models/` meets its `expect`, and the
//! checked-in traces in `reports/` are what the checker produces now.

use kafkacheck::check::{self, Options};
use kafkacheck::cli::scenario_files;
use kafkacheck::report::{trace_file, trace_path};
use kafkacheck::scenario;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn model_files() -> Vec<PathBuf> {
    scenario_files(&[PathBuf::from("models")]).expect("models/ has scenario files")
}

#[test]
fn every_model_file_meets_its_expectations_and_its_reports_are_current() {
    let reports = Path::new("reports");
    let mut failures = Vec::new();
    let mut expected_reports = BTreeSet::new();
    for file in model_files() {
        let s = scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let outcome = check::check(&s, &Options::default());
        assert!(
            outcome.complete || outcome.properties.iter().all(|p| p.trace.is_some()),
            "{}: search incomplete",
            file.display()
        );
        for p in &outcome.properties {
            if !p.matches() {
                failures.push(format!(
                    "{}: {} is {}, expected {}",
                    file.display(),
                    p.name,
                    p.verdict,
                    p.expected
                ));
            }
            if let Some(trace) = &p.trace {
                let path = trace_path(reports, &file, p.name);
                let current = std::fs::read_to_string(&path).unwrap_or_default();
                if current != trace_file(&file, &s, p, trace) {
                    failures.push(format!("{} is stale or missing", path.display()));
                }
                expected_reports.insert(path);
            }
        }
    }
    let on_disk: BTreeSet<PathBuf> = std::fs::read_dir(reports)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    for extra in on_disk.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        if !expected_reports.contains(extra) {
            failures.push(format!("{} is no longer produced by any model", extra.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(regenerate reports with: cargo run --release -- check models/ --report-dir reports/)",
        failures.join("\n")
    );
}

/// Every strategy's model file exists in each required variant, so the gate
/// cannot silently lose one.
#[test]
fn the_required_scenarios_are_present() {
    let names: BTreeSet<String> =
        model_files().iter().map(|f| f.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    for strategy in ["at-most-once", "at-least-once", "exactly-once"] {
        for suffix in ["", "-2-consumers", "-no-crash", "-batch"] {
            assert!(
                names.contains(&format!("{strategy}{suffix}")),
                "models/{strategy}{suffix}.json is missing"
            );
        }
    }
}
