//! The CI gate over `models/`: every scenario meets its `expect`
//! ([`every_model_file_meets_its_expect`]), the checked-in `reports/` are
//! exactly what the checker produces now ([`reports_are_current`]), and every
//! file's search size and verdicts are the ones pinned in
//! `tests/models/pinned.rs`.
//!
//! Every model file is checked once per run of this binary (see [`runs`]);
//! the tests read the same outcomes.

use kafkacheck::check::{self, Options, Outcome};
use kafkacheck::cli::scenario_files;
use kafkacheck::report::{Checked, checked, report_files};
use kafkacheck::scenario::{self, Scenario};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[path = "models/pinned.rs"]
mod pinned;

/// Every model file with its scenario and its outcome under the default options.
pub struct Runs {
    pub files: Vec<PathBuf>,
    pub scenarios: Vec<Scenario>,
    pub outcomes: Vec<Outcome>,
}

/// The outcomes of `models/`, computed by the first test that asks and
/// shared by the others: the whole directory takes seconds in a debug build,
/// and three tests read it.
pub fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let files = model_files();
        let scenarios: Vec<Scenario> =
            files.iter().map(|f| scenario::load(f).unwrap_or_else(|e| panic!("{e}"))).collect();
        let outcomes = scenarios.iter().map(|s| check::check(s, &Options::default())).collect();
        Runs { files, scenarios, outcomes }
    })
}

fn model_files() -> Vec<PathBuf> {
    scenario_files(&[PathBuf::from("models")]).expect("models/ has scenario files")
}

#[test]
fn every_model_file_meets_its_expect() {
    let runs = runs();
    let mut failures = Vec::new();
    for (file, outcome) in runs.files.iter().zip(&runs.outcomes) {
        // `complete` is false also when every property has a counterexample
        // (the search stops early); anything else unfinished is a failure.
        if !outcome.complete && outcome.properties.iter().any(|p| p.trace.is_none()) {
            failures.push(format!("{}: search incomplete", file.display()));
        }
        for p in outcome.properties.iter().filter(|p| !p.matches()) {
            failures.push(format!(
                "{}: {} is {}, expected {}",
                file.display(),
                p.name,
                p.verdict,
                p.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reports_are_current() {
    let runs = runs();
    let reports = Path::new("reports");
    let results: Vec<Checked> = checked(&runs.files, &runs.scenarios, &runs.outcomes);
    let expected: BTreeMap<String, String> =
        report_files(&results, &[]).into_iter().map(|f| (f.name, f.content)).collect();
    let mut failures = Vec::new();
    for (name, content) in &expected {
        match std::fs::read_to_string(reports.join(name)) {
            Ok(current) if current == *content => {}
            Ok(_) => failures.push(format!("reports/{name} is stale")),
            Err(_) => failures.push(format!("reports/{name} is missing")),
        }
    }
    let on_disk: Vec<String> = std::fs::read_dir(reports)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default();
    // The benchmark (`cargo bench --bench spin`) writes bench.md itself; no model does.
    let by_benchmark = |name: &str| name == "bench.md";
    for extra in on_disk.iter().filter(|name| !expected.contains_key(*name) && !by_benchmark(name)) {
        failures.push(format!("reports/{extra} is no longer produced by any model"));
    }
    assert!(
        failures.is_empty(),
        "{}\n(regenerate reports with: cargo run --release -- check models/ --report-dir reports/)",
        failures.join("\n")
    );
}

/// The report files are a function of the results: generating them twice
/// gives the same names and bytes, and each counterexample has its three files.
#[test]
fn report_files_are_deterministic_and_complete() {
    let file = PathBuf::from("models/at-most-once.json");
    let s = scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let outcome = check::check(&s, &Options::default());
    let results = [Checked { file: &file, scenario: &s, outcome: &outcome }];
    let first = report_files(&results, &[]);
    assert_eq!(first, report_files(&results, &[]));
    let again = check::check(&s, &Options::default());
    assert_eq!(first, report_files(&[Checked { file: &file, scenario: &s, outcome: &again }], &[]));
    let names: Vec<&str> = first.iter().map(|f| f.name.as_str()).collect();
    for p in &outcome.properties {
        for ext in ["json", "md", "svg"] {
            let name = format!("at-most-once.{}.{ext}", p.name);
            assert_eq!(names.contains(&name.as_str()), p.trace.is_some(), "{name} in {names:?}");
        }
    }
    let content = |name: &str| &first.iter().find(|f| f.name == name).unwrap().content;
    let trace =
        outcome.properties.iter().find(|p| p.name == "no-loss").and_then(|p| p.trace.as_ref()).unwrap();
    let crash =
        trace.steps.iter().find(|s| s.name() == "crash").expect("at-most-once loses a record by a crash");
    let last = trace.steps.last().unwrap().step;
    let story = content("at-most-once.no-loss.md");
    assert!(story.contains(&format!("**Step {}.** {}.", crash.step, crash.text)), "{story}");
    assert!(story.contains(&format!(
        "## Why no-loss fails here\n\nAfter step {last}: {}.\n\n## Where each record is at the end\n",
        trace.violation
    )));
    let svg = content("at-most-once.no-loss.svg");
    assert!(svg.contains(&format!("<g class=\"crash\" data-step=\"{}\"", crash.step)), "{svg}");
    let mut actors: Vec<String> = trace
        .steps
        .iter()
        .flat_map(|s| std::iter::once(s.actor()).chain(s.peer()))
        .map(|a| a.to_string())
        .collect();
    // The sink is drawn even when no step reaches it: it is where every record's processing ends.
    actors.push("sink".into());
    actors.sort();
    actors.dedup();
    for a in &actors {
        assert!(svg.contains(&format!("<g class=\"lifeline\" data-actor=\"{a}\">")), "no lifeline of {a}");
    }
    assert_eq!(svg.matches("<g class=\"lifeline\"").count(), actors.len());
    let deliveries = trace
        .run
        .actions
        .iter()
        .filter(|a| matches!(a, stateright::actor::ActorModelAction::Deliver { src, dst, .. } if src != dst))
        .count();
    assert_eq!(svg.matches("<g class=\"message\"").count(), deliveries, "an arrow per delivered message");
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
