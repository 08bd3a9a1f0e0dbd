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

#[test]
fn a_worker_diagram_draws_its_thread_the_sink_and_the_output_still_in_flight() {
    if !chromium::available() {
        return;
    }
    let svg = Path::new("reports/commit-auto-worker.no-loss.svg");
    let source = std::fs::read_to_string(svg).unwrap();
    let attribute = |name: &str| -> u32 {
        let at = source.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        source[at..].split('"').next().unwrap().parse().unwrap()
    };
    let (width, height) = (attribute("width"), attribute("height"));
    assert!(width <= 1400, "{} is {width} px wide", svg.display());
    let url = file_url(svg);
    screenshot(&url, &artifact("commit-auto-worker.no-loss.png"), width, height);
    let dom = dump_dom(&url);
    for lifeline in [
        "<g class=\"lifeline\" data-actor=\"consumer-0\" data-worker=\"0\">",
        "<g class=\"lifeline\" data-actor=\"sink\">",
    ] {
        assert!(dom.contains(lifeline), "no {lifeline} in the rendered diagram");
    }
    assert!(
        dom.contains("data-lane=\"sink\" data-from=\"worker-0 of consumer-0\""),
        "offset 0's output, in flight from the worker thread to the sink, is not drawn"
    );
    assert!(
        dom.contains(
            "<g class=\"message\" data-step=\"2\" data-event=\"position\" data-actor=\"consumer-0\" \
                      data-lane=\"consumer-0\" data-from=\"coordinator\">"
        ),
        "the OffsetFetch response is not drawn from the coordinator to consumer-0"
    );
}

/// Mermaid's browser bundle (`scripts/install-mermaid.sh`), if installed; a failure in CI when not.
fn mermaid_bundle() -> Option<PathBuf> {
    let root = std::env::var_os("KAFKACHECK_MERMAID_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kafkacheck/mermaid")))?;
    let bundle = root.join("11.12.1/mermaid.min.js");
    if bundle.exists() {
        return Some(bundle);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {} is missing: run scripts/install-mermaid.sh (.ci/run does)",
        bundle.display()
    );
    println!(
        "SKIPPED: {} not found; run scripts/install-mermaid.sh to render the Mermaid blocks",
        bundle.display()
    );
    None
}

/// Every story's ```mermaid block, by file name.
fn mermaid_blocks() -> Vec<(String, String)> {
    let mut stories: Vec<PathBuf> = std::fs::read_dir("reports")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md") && p.with_extension("svg").exists())
        .collect();
    stories.sort();
    stories
        .iter()
        .map(|story| {
            let text = std::fs::read_to_string(story).unwrap();
            let block = text
                .split("```mermaid\n")
                .nth(1)
                .and_then(|b| b.split("```").next())
                .unwrap_or_else(|| panic!("{} has no mermaid block", story.display()));
            (story.file_name().unwrap().to_string_lossy().into_owned(), block.to_string())
        })
        .collect()
}

#[test]
fn every_storys_mermaid_block_renders_with_mermaid_itself() {
    if !chromium::available() {
        return;
    }
    let Some(bundle) = mermaid_bundle() else { return };
    let blocks = mermaid_blocks();
    assert!(blocks.len() > 50, "only {} stories", blocks.len());
    let diagrams: Vec<&str> = blocks.iter().map(|(_, b)| b.as_str()).collect();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("mermaid.html");
    // Each diagram is parsed and rendered; the last one rendered stays on the page for the screenshot.
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n\
         <script src=\"{}\"></script>\n<pre id=\"out\">running</pre><div id=\"shown\"></div>\n<script>\n\
         mermaid.initialize({{ startOnLoad: false }});\nconst diagrams = {};\n\
         (async () => {{\n  const results = [];\n  for (const [i, d] of diagrams.entries()) {{\n\
             try {{ await mermaid.parse(d); const r = await mermaid.render('d' + i, d);\n\
                   if (i === 0) document.getElementById('shown').innerHTML = r.svg; results.push('ok ' + i); }}\n\
             catch (e) {{ results.push('error ' + i + ': ' + String(e.message || e).split('\\n').join(' ')); }}\n  }}\n\
           document.getElementById('out').textContent = results.join('\\n') + '\\nfinished';\n}})();\n</script></body></html>\n",
        file_url(&bundle),
        serde_json::to_string(&diagrams).unwrap()
    );
    std::fs::write(&page, html).unwrap();
    let url = file_url(&page);
    let budget = "--virtual-time-budget=60000".to_string();
    let dom = chromium::run(&[budget.clone(), "--dump-dom".into(), url.clone()]);
    let out = dom.split("<pre id=\"out\">").nth(1).and_then(|o| o.split("</pre>").next()).unwrap_or("");
    assert!(out.ends_with("finished"), "Mermaid did not finish:\n{out}");
    let errors: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("error "))
        .map(|l| {
            let i: usize = l["error ".len()..].split(':').next().unwrap().parse().unwrap();
            format!("{}: {l}", blocks[i].0)
        })
        .collect();
    assert!(errors.is_empty(), "Mermaid rejects:\n{}", errors.join("\n"));
    assert_eq!(out.lines().filter(|l| l.starts_with("ok ")).count(), blocks.len());
    let png = artifact("mermaid-first-story.png");
    let _ = std::fs::remove_file(&png);
    chromium::run(&[
        budget,
        format!("--screenshot={}", png.display()),
        "--window-size=1400,1200".into(),
        url,
    ]);
    assert!(png.exists(), "no screenshot of the rendered diagram");
    println!("screenshot: {}", png.display());
}
