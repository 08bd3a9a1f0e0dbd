//! Headless Chromium for the browser tests (`tests/browser*.rs`).
//!
//! Without /usr/bin/chromium a test says so and passes, unless the `CI`
//! environment variable is set: CI must run it (`.ci/run` installs Debian's
//! `chromium`). Every Chromium process runs in its own process group with a
//! deadline; one that overruns is killed, with its helpers, by its pid.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one Chromium run may take.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// One Chromium at a time: the machine may have two cores.
static BROWSER: Mutex<()> = Mutex::new(());

/// Whether to run: Chromium is there; or, when it is not, `false` outside CI
/// (with a message) and a failure in CI.
pub fn available() -> bool {
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

/// A file under `<target dir>/browser-artifacts/` (kept, not committed).
pub fn artifact(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Kills the process group `child` leads (by its pid), then reaps the child.
pub fn kill_group(child: &mut Child) {
    let pid = child.id();
    // The negative pid names the process group, so its helpers go too.
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs headless Chromium with `args` (the URL last) and returns its stdout.
pub fn run(args: &[String]) -> String {
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
            kill_group(&mut child);
            panic!("chromium {args:?} (pid {pid}) overran {DEADLINE:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(err.path()).unwrap_or_default();
    assert!(status.success(), "chromium {args:?}: {status}\n{stderr}");
    std::fs::read_to_string(out.path()).unwrap()
}
