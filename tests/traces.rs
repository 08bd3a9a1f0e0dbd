//! The shape of the shortest counterexamples: what a person reading a trace
//! must be able to see. (The search sizes are pinned in tests/models/pinned.rs.)

use kafkacheck::check::{self, Options};
use kafkacheck::model::event::Actor;
use kafkacheck::scenario;
use kafkacheck::verdict::Verdict;
use std::path::Path;

mod common {
    pub mod outcomes;
}
use common::outcomes::*;

#[test]
fn at_most_once_loss_is_commit_then_crash_before_process() {
    let outcome = check_model("models/at-most-once.json");
    let t = trace_of(&outcome, "no-loss");
    let commit = find(&t.steps, 0, |s| is(s, Actor::Coordinator, "commit", Some(1))).expect("commit of o+1");
    let crash = find(&t.steps, commit, |s| is(s, Actor::Consumer(0), "crash", None)).expect("crash after it");
    assert!(t.steps.iter().all(|s| !is(s, Actor::Sink, "process", Some(0))), "offset 0 is never processed");
    assert_eq!(crash, t.steps.len() - 1, "the crash is the last step");
    assert_eq!(t.steps.last().unwrap().step, 6, "shortest counterexample length");
    assert!(t.violation.contains("partition 0 offset 0"), "{}", t.violation);
}

#[test]
fn at_least_once_duplicate_is_process_crash_process() {
    let outcome = check_model("models/at-least-once.json");
    let t = trace_of(&outcome, "no-duplicate");
    let first = find(&t.steps, 0, |s| is(s, Actor::Sink, "process", Some(0))).expect("process of o");
    let crash = find(&t.steps, first, |s| is(s, Actor::Consumer(0), "crash", None)).expect("crash after it");
    let again = find(&t.steps, crash, |s| is(s, Actor::Sink, "process", Some(0))).expect("process again");
    assert!(
        t.steps[first..crash].iter().all(|s| s.name() != "commit"),
        "no commit between processing and the crash"
    );
    assert_eq!(again, t.steps.len() - 1);
    assert_eq!(t.steps.last().unwrap().step, 12, "shortest counterexample length");
    assert!(t.violation.contains("processed 2 times"), "{}", t.violation);
}

#[test]
fn all_processed_counterexample_ends_in_a_state_where_the_run_is_over() {
    let outcome = check_model("models/at-most-once.json");
    let t = trace_of(&outcome, "all-processed");
    let last = t.steps.last().unwrap();
    assert_eq!((last.actor(), last.name()), (Actor::Consumer(0), "position"));
    assert!(t.violation.contains("never processed"), "{}", t.violation);
}

/// Random walks prove nothing, but what they report violated must be real,
/// and its trace is the shortest one.
#[test]
fn simulation_finds_only_real_violations() {
    let s = scenario::load(Path::new("models/at-least-once.json")).unwrap();
    let options = Options {
        search: check::Search::Simulation,
        timeout: Some(std::time::Duration::from_millis(500)),
        ..Options::default()
    };
    let outcome = check::check(&s, &options);
    assert!(!outcome.complete);
    for p in &outcome.properties {
        let expected = if p.name == "no-duplicate" { Verdict::Violated } else { Verdict::Unknown };
        assert_eq!(p.verdict, expected, "{}", p.name);
    }
    assert_eq!(trace_of(&outcome, "no-duplicate").steps.last().unwrap().step, 12);
}

// The pictures of a counterexample (`src/report/lanes.rs`, `svg.rs`,
// `mermaid.rs`, and the story's "Where each record is at the end").

use kafkacheck::report::lanes::{Fate, Lane, Picture, Shape};
use kafkacheck::report::{Checked, mermaid, report_files};
use stateright::actor::ActorModelAction;

/// A model file checked, with the pictures of each counterexample and its report files by name.
struct Pictured {
    model: kafkacheck::model::KafkaModel,
    outcome: kafkacheck::check::Outcome,
    files: std::collections::BTreeMap<String, String>,
}

/// Each file is checked once per run of this binary; the tests share the outcome.
fn pictured(file: &'static str) -> &'static Pictured {
    type Cache = std::sync::Mutex<std::collections::HashMap<&'static str, &'static Pictured>>;
    static CHECKED: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CHECKED.get_or_init(Default::default);
    if let Some(m) = cache.lock().unwrap().get(file) {
        return m;
    }
    let s = scenario::load(Path::new(file)).unwrap();
    let outcome = check::check(&s, &Options::default());
    let path = Path::new(file);
    let results = [Checked { file: path, scenario: &s, outcome: &outcome }];
    let files = report_files(&results, &[]).into_iter().map(|f| (f.name, f.content)).collect();
    let m: &'static Pictured =
        Box::leak(Box::new(Pictured { model: kafkacheck::model::build(&s), outcome, files }));
    cache.lock().unwrap().insert(file, m);
    m
}

/// Scenarios with worker threads, parallel workers, groups, a lossy network and failovers.
const PICTURED: [&str; 6] = [
    "models/commit-auto-worker.json",
    "models/group-auto-commit-pool-crash.json",
    "models/parallel-workers-highest-completed.json",
    "models/group-lossy-network.json",
    "models/at-most-once-2-consumers.json",
    "models/offsets-acks-leader-failover.json",
];

#[test]
fn an_arrow_goes_from_the_sender_to_the_receiver_of_the_message_its_step_delivers() {
    let mut arrows = 0;
    for file in PICTURED {
        let m = pictured(file);
        for p in m.outcome.properties.iter().filter(|p| p.trace.is_some()) {
            let t = p.trace.as_ref().unwrap();
            let picture = Picture::of(&m.model, t);
            for row in &picture.rows {
                let (Some(k), Shape::Arrow { from, .. }) = (row.step, &row.shape) else { continue };
                let ActorModelAction::Deliver { src, dst, .. } = &t.run.actions[k - 1] else {
                    panic!("{file}: step {k} draws an arrow but delivers nothing");
                };
                assert_eq!(from.actor(), Actor::of(usize::from(*src)), "{file} step {k}: sender");
                assert_eq!(row.lane.actor(), Actor::of(usize::from(*dst)), "{file} step {k}: receiver");
                arrows += 1;
            }
        }
    }
    assert!(arrows > 50, "only {arrows} arrows checked");
    // The coordinator's answer to an OffsetFetch is drawn out of the coordinator, into the consumer.
    let m = pictured("models/commit-auto-worker.json");
    let svg = &m.files["commit-auto-worker.no-loss.svg"];
    let row = |step: &str| {
        let at = svg.find(&format!("<g class=\"message\" data-step=\"{step}\"")).expect("a message row");
        svg[at..svg[at..].find('\n').unwrap() + at].to_string()
    };
    assert!(row("1").contains("data-lane=\"coordinator\" data-from=\"consumer-0\""), "{}", row("1"));
    assert!(row("2").contains("data-lane=\"consumer-0\" data-from=\"coordinator\""), "{}", row("2"));
    assert!(svg.contains(">OffsetFetchResponse p0 none</text>"), "step 2 is labelled with the response");
}

#[test]
fn a_worker_threads_output_still_in_flight_is_drawn_from_its_thread_to_the_sink() {
    let m = pictured("models/commit-auto-worker.json");
    let t = trace_of(&m.outcome, "no-loss");
    let picture = Picture::of(&m.model, t);
    assert!(picture.lanes.contains(&Lane::Worker(0, 0)) && picture.lanes.contains(&Lane::Sink));
    let output = picture
        .in_flight()
        .find(|msg| msg.msg.outputs().is_some_and(|(p, o)| p == 0 && o.contains(&0)))
        .expect("offset 0's output is on the network at the end");
    assert_eq!(
        (output.src, output.dst, output.fate.clone()),
        (Lane::Worker(0, 0), Lane::Sink, Fate::InFlight)
    );
    let handoff = picture.rows.iter().find(|r| matches!(r.shape, Shape::Handoff { record: (0, 0), .. }));
    assert_eq!(
        handoff.map(|r| (r.step, r.lane)),
        Some((Some(4), Lane::Worker(0, 0))),
        "taken with the fetch"
    );
    let svg = &m.files["commit-auto-worker.no-loss.svg"];
    assert!(svg.contains("<g class=\"in-flight\" data-step=\"end\" data-event=\"in-flight\" data-actor=\"sink\" data-lane=\"sink\" data-from=\"worker-0 of consumer-0\">"), "{svg}");
}

#[test]
fn the_story_names_every_record_the_violation_involves_and_where_it_is() {
    let m = pictured("models/commit-auto-worker.json");
    let story = &m.files["commit-auto-worker.no-loss.md"];
    let line = |o: u8| {
        let start =
            story.find(&format!("\n- offset {o}: ")).unwrap_or_else(|| panic!("no offset {o}:\n{story}"));
        story[start + 1..].lines().next().unwrap().to_string()
    };
    assert!(story.contains("Partition 0 (committed offset 2, records 0 to 2):"), "{story}");
    assert!(line(0).contains("worker-0 of consumer-0 took it at step 4"), "{}", line(0));
    assert!(
        line(0).contains("worker-0 of consumer-0 sent its output at step 4, still on its way to the sink"),
        "{}",
        line(0)
    );
    assert!(!line(0).contains("LOST"), "{}", line(0));
    assert!(
        line(1).contains("crashed at step 9 before processing it") && line(1).ends_with("**LOST**"),
        "{}",
        line(1)
    );
    assert!(line(2).contains("never fetched"), "{}", line(2));
    // Every record a property's evidence names has its line, in every story of these scenarios.
    for file in PICTURED {
        let m = pictured(file);
        for p in m.outcome.properties.iter().filter(|p| p.trace.is_some()) {
            let t = p.trace.as_ref().unwrap();
            let end = t.run.states.last().unwrap();
            let named: Vec<(u8, u8)> = match p.name {
                "no-loss" => kafkacheck::properties::lost_records(&m.model, end).collect(),
                "no-duplicate" => {
                    kafkacheck::properties::duplicated_records(&m.model, end).map(|(r, _)| r).collect()
                }
                "all-processed" => kafkacheck::properties::unprocessed_records(&m.model, end).collect(),
                _ => Vec::new(),
            };
            let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
            let story = &m.files[&format!("{stem}.{}.md", p.name)];
            assert!(story.contains("## Where each record is at the end"), "{file} {}", p.name);
            for (partition, offset) in named {
                let section = story.split(&format!("Partition {partition} (")).nth(1).expect("its partition");
                let section = section.split("\n\n").nth(1).unwrap_or("");
                assert!(
                    section
                        .lines()
                        .any(|l| l.starts_with(&format!("- offset {offset}: ")) && l.contains("**")),
                    "{file} {}: offset {offset} of partition {partition} is not named:\n{story}",
                    p.name
                );
            }
        }
    }
}

/// The `width` and `height` of an SVG document's root element.
fn svg_size(svg: &str) -> (i64, i64) {
    let attribute = |name: &str| -> i64 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    (attribute("width"), attribute("height"))
}

#[test]
fn every_diagram_fits_a_page_of_1400_px_and_draws_its_workers_and_the_sink() {
    for file in PICTURED {
        let m = pictured(file);
        let threads = kafkacheck::report::lanes::worker_threads(&m.model.scenario);
        for (name, svg) in m.files.iter().filter(|(n, _)| n.ends_with(".svg")) {
            let (width, _) = svg_size(svg);
            assert!(width <= 1400, "{name} is {width} px wide");
            // No sentence line runs past the right edge (0.6 em a character at 13 px).
            for line in svg.lines().filter(|l| l.contains("class=\"sentence\"")) {
                let x: i64 = line.split("x=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
                let content = line.split('>').nth(1).unwrap().split('<').next().unwrap();
                let content = ["&apos;", "&quot;", "&amp;", "&lt;", "&gt;"]
                    .iter()
                    .fold(content.to_string(), |c, entity| c.replace(entity, "x"));
                assert!(x + content.chars().count() as i64 * 78 / 10 <= width, "{name}: {content}");
            }
            assert!(svg.contains("<g class=\"lifeline\" data-actor=\"sink\">"), "{name}: no sink lifeline");
            for t in 0..threads {
                assert!(svg.contains(&format!("data-worker=\"{t}\">")), "{name}: no lifeline of worker-{t}");
            }
        }
    }
}

#[test]
fn every_story_carries_a_well_formed_mermaid_diagram_of_the_same_lanes() {
    for file in PICTURED {
        let m = pictured(file);
        for p in m.outcome.properties.iter().filter(|p| p.trace.is_some()) {
            let t = p.trace.as_ref().unwrap();
            let picture = Picture::of(&m.model, t);
            let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
            let story = &m.files[&format!("{stem}.{}.md", p.name)];
            let block =
                story.split("```mermaid\n").nth(1).expect("a mermaid block").split("```").next().unwrap();
            assert_eq!(mermaid::validate(block), Ok(()), "{file} {}:\n{block}", p.name);
            let participants = block.lines().filter(|l| l.trim_start().starts_with("participant ")).count();
            assert_eq!(participants, picture.lanes.len(), "{file} {}", p.name);
            assert_eq!(block.lines().count(), 1 + participants + picture.rows.len(), "one line a row");
        }
    }
}
