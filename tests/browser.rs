//! The reports in a real browser: headless Chromium renders the checked-in
//! `reports/index.html` and a counterexample's SVG to screenshots under
//! `<target dir>/browser-artifacts/` (not committed) and dumps their DOM,
//! which must show every model file, the verdicts, the crash marker and the
//! lifelines.
//!
//! Without /usr/bin/chromium the tests say so and pass, unless the `CI`
//! environment variable is set: CI must run them (`.ci/run` installs
//! Chromium). Every Chromium process runs in its own process group with a
//! deadline; one that overruns is killed, with its children, by its pid.

use kafkacheck::cli::scenario_files;
use std::path::{Path, PathBuf};

mod common {
    pub mod chromium;
}
use common::chromium::{self, artifact};

fn file_url(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("file://{}", abs.display())
}

/// Renders `url` to `png` at `width`×`height` and checks the file is a PNG of that size.
fn screenshot(url: &str, png: &Path, width: u32, height: u32) {
    let _ = std::fs::remove_file(png);
    chromium::run(&[
        format!("--screenshot={}", png.display()),
        format!("--window-size={width},{height}"),
        url.into(),
    ]);
    let bytes = std::fs::read(png).unwrap_or_else(|e| panic!("no screenshot {}: {e}", png.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", png.display());
    let dimension = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((dimension(16), dimension(20)), (width, height), "{}", png.display());
    println!("screenshot: {}", png.display());
}

fn dump_dom(url: &str) -> String {
    chromium::run(&["--dump-dom".into(), url.into()])
}

#[test]
fn the_verdict_matrix_renders_every_model_file() {
    if !chromium::available() {
        return;
    }
    let index = Path::new("reports/index.html");
    let url = file_url(index);
    screenshot(&url, &artifact("index.png"), 1400, 1200);
    let dom = dump_dom(&url);
    assert!(dom.contains("<table class=\"matrix\">"), "no matrix in the rendered page:\n{dom}");
    for file in scenario_files(&[PathBuf::from("models")]).unwrap() {
        let shown = format!("<span class=\"file\">{}</span>", file.display());
        assert!(dom.contains(&shown), "the matrix does not show {}", file.display());
    }
    assert!(dom.contains("<span class=\"v\">violated</span>"), "no violated verdict in the matrix");
    assert!(dom.contains("<span class=\"v\">holds</span>"), "no holds verdict in the matrix");
}

#[test]
fn a_sequence_diagram_renders_its_lifelines_and_crash() {
    if !chromium::available() {
        return;
    }
    // The first counterexample whose trace has a crash.
    let mut svgs: Vec<PathBuf> = std::fs::read_dir("reports")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    svgs.sort();
    let (svg, trace) = svgs
        .iter()
        .find_map(|svg| {
            let json = std::fs::read_to_string(svg.with_extension("json")).ok()?;
            let trace: serde_json::Value = serde_json::from_str(&json).ok()?;
            let steps = trace["trace"]["steps"].as_array()?;
            steps.iter().any(|s| s["event"] == "crash").then(|| (svg.clone(), steps.clone()))
        })
        .expect("some counterexample in reports/ has a crash");
    let source = std::fs::read_to_string(&svg).unwrap();
    let attribute = |name: &str| -> u32 {
        let at = source.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        source[at..].split('"').next().unwrap().parse().unwrap()
    };
    let url = file_url(&svg);
    let png = artifact(&svg.with_extension("png").file_name().unwrap().to_string_lossy());
    screenshot(&url, &png, attribute("width"), attribute("height"));
    let dom = dump_dom(&url);
    assert!(dom.contains("<svg"), "{} did not render as SVG:\n{dom}", svg.display());
    assert!(dom.contains("<g class=\"crash\""), "{}: no crash marker", svg.display());
    assert!(dom.contains(">CRASH</text>"), "{}: the crash is not labelled", svg.display());
    for s in &trace {
        for actor in [&s["actor"], &s["peer"]].into_iter().filter_map(|a| a.as_str()) {
            let lifeline = format!("<g class=\"lifeline\" data-actor=\"{actor}\">");
            assert!(dom.contains(&lifeline), "{}: no lifeline of {actor}", svg.display());
        }
    }
}
