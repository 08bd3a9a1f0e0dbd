//! `kafkacheck live`: the scenarios on a real broker (README, "Live").

use super::check::{Loaded, load_paths};
use super::{EXIT_BAD_INPUT, EXIT_OK, EXIT_UNMET, Format, Inputs, progress};
use crate::check::{self, Options};
use crate::scenario::Scenario;
use std::path::PathBuf;

/// Which model traces `live` replays before its seeded runs.
pub enum Traces {
    None,
    /// The scenario's own counterexamples, found by checking it first.
    Model,
    /// One trace file.
    File(PathBuf),
}

/// The replays of one scenario: (a name for the run's directory, its schedule).
fn replays(
    scenario: &Scenario,
    traces: &Traces,
    model: &check::Outcome,
) -> Result<Vec<(String, crate::live::schedule::Schedule)>, String> {
    use crate::live::schedule::Schedule;
    match traces {
        Traces::None => Ok(Vec::new()),
        Traces::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
            let steps = doc
                .pointer("/trace/steps")
                .or_else(|| doc.pointer("/steps"))
                .and_then(|s| s.as_array())
                .ok_or_else(|| format!("{}: field `trace.steps`: not a trace document", path.display()))?;
            let steps =
                crate::trace::json::read_steps(steps).map_err(|e| format!("{}: {e}", path.display()))?;
            let schedule = Schedule::from_trace(&steps, scenario);
            Ok(vec![("trace".into(), schedule)])
        }
        Traces::Model => counterexample_schedules(scenario, model),
    }
}

/// Each counterexample of a checked scenario as a fault schedule, named by its property.
pub(super) fn counterexample_schedules(
    scenario: &Scenario,
    outcome: &check::Outcome,
) -> Result<Vec<(String, crate::live::schedule::Schedule)>, String> {
    let traced = outcome.properties.iter().filter_map(|p| Some((p.name, p.trace.as_ref()?)));
    traced
        .map(|(name, trace)| {
            Ok((name.to_string(), crate::live::schedule::Schedule::from_model(trace, scenario)))
        })
        .collect()
}

/// Runs every scenario live; any bad file stops the run before the broker starts (exit 2).
pub(super) fn run_live(
    inputs: &Inputs,
    options: &crate::live::LiveOptions,
    traces: &Traces,
    format: Format,
) -> i32 {
    let Some(Loaded { files, scenarios, bad }) = load_paths(inputs.paths, inputs.consumer_config) else {
        return EXIT_BAD_INPUT;
    };
    if !bad.is_empty() {
        return EXIT_BAD_INPUT;
    }
    eprintln!("live runs write their files under {}", options.work_dir.display());
    let mut reports = Vec::new();
    let mut skipped = 0;
    // One broker for every scenario, started by the first that runs.
    let mut target = None;
    for (file, scenario) in files.iter().zip(&scenarios) {
        let why = crate::live::unsupported(scenario);
        if !why.is_empty() {
            eprintln!("skipped {}: cannot run live: {}", file.display(), why.join("; "));
            skipped += 1;
            continue;
        }
        // The model's verdicts, checked as `check` does by default.
        eprintln!("checking {} ...", file.display());
        let model = check::check(scenario, &Options { progress: Some(progress::show), ..Options::default() });
        progress::clear();
        let result = replays(scenario, traces, &model).and_then(|replays| {
            let options = crate::live::LiveOptions { replays, ..options.clone() };
            crate::live::live(scenario, &file.display().to_string(), &options, &model, &mut target)
        });
        match result {
            Ok(report) => {
                if let Format::Text = format {
                    print!("{}", report.text());
                }
                reports.push(report);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    if let Format::Json = format {
        let doc = serde_json::json!({
            "ok": reports.iter().all(|r| r.agrees_with_model()),
            "scenarios": reports,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if reports.is_empty() && skipped > 0 {
        return EXIT_BAD_INPUT;
    }
    if reports.iter().all(|r| r.agrees_with_model()) { EXIT_OK } else { EXIT_UNMET }
}
