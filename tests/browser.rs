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
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const DEADLINE: Duration = Duration::from_secs(90);

/// One Chromium at a time: the machine may have two cores.
static BROWSER: Mutex<()> = Mutex::new(());

/// Whether to run: Chromium is there; or, when it is not, `false` outside CI
/// (with a message) and a failure in CI.
fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {CHROMIUM} is missing: install Debian's `chromium` package (.ci/run does)"
    );
    println!(
        "SKIPPED: {CHROMIUM} not found and CI is not set; install Debian's `chromium` to run the browser tests"
    );
    false
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn file_url(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("file://{}", abs.display())
}

/// Runs headless Chromium with `args` and returns its stdout; kills it by
/// its pid (its whole process group) when it overruns `DEADLINE`.
fn chromium(args: &[String]) -> String {
    use std::os::unix::process::CommandExt;
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir().unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let pid = child.id();
            // The negative pid names the process group Chromium leads, so its helpers go too.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} (pid {pid}) overran {DEADLINE:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(err.path()).unwrap_or_default();
    assert!(status.success(), "chromium {args:?}: {status}\n{stderr}");
    std::fs::read_to_string(out.path()).unwrap()
}

/// Renders `url` to `png` at `width`×`height` and checks the file is a PNG of that size.
fn screenshot(url: &str, png: &Path, width: u32, height: u32) {
    let _ = std::fs::remove_file(png);
    chromium(&[
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
    chromium(&["--dump-dom".into(), url.into()])
}

#[test]
fn the_verdict_matrix_renders_every_model_file() {
    if !chromium_available() {
        return;
    }
    let index = Path::new("reports/index.html");
    let url = file_url(index);
    screenshot(&url, &artifacts().join("index.png"), 1400, 1200);
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
    if !chromium_available() {
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
    let png = artifacts().join(svg.with_extension("png").file_name().unwrap());
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
