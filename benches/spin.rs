//! kafkacheck and SPIN side by side, and the targets of issue 17.
//!
//! `cargo bench --bench spin` runs, for each strategy (SEM 0 at-most-once,
//! 1 at-least-once, 2 exactly-once) and each configuration of one partition,
//! one consumer, N messages and a budget of K crashes (the canonical grid
//! N ∈ {2,3,4,6,8,12} × K ∈ {0,1,2,3}, plus N = 64, K = 3):
//!
//! - kafkacheck, as a child process (`kafkacheck check FILE --format json`,
//!   the release binary Cargo builds for benches): unique states,
//!   states/second of the search, peak memory (the child's peak RSS from
//!   `wait4`) and the wall time to all verdicts (process start to exit:
//!   the complete search and the shortest-counterexample searches);
//! - SPIN, when `spin` and `gcc` are on the PATH, on the Promela model of the
//!   same question (`../shared/peers/spin/consumer.pml`, copied into a
//!   scratch directory under the target directory, never into the repo),
//!   with the flags of that folder's `run.sh`: end to end, spin -a + gcc +
//!   pan, as often as it takes to reach both verdicts (see [`spin_question`]);
//! - whether the verdicts agree, and only then the ratio kafkacheck / SPIN.
//!
//! Then the five targets of issue 17, each measured in this run: the N = 64
//! rows against SPIN (1) and the at-least-once proof's states per second
//! (2) from the table; the two group questions (3); `check models/` with
//! the default threads, with `--threads 1` and as two `--shard`s (4); and
//! the cost growth tables, states, time and peak memory as messages,
//! crashes, consumers and partitions grow, with the factor per added unit
//! (5). Issue 7's grid target stays as a line of its own. All of it goes
//! to `reports/bench.md` (temporary file, then rename).
//!
//! Environment, for quick runs (lists are space- or comma-separated):
//! `BENCH_N`, `BENCH_K` (override the grid; setting either drops the extra
//! N = 64 row unless listed), `BENCH_SEM` (0 1 2), `BENCH_SPIN=0` (skip SPIN),
//! `BENCH_TARGETS=0|1`, `BENCH_SCALING=0|1` (default: on for the full run,
//! off when the grid is narrowed), `BENCH_LIMIT` (seconds a kafkacheck run
//! may take before it is stopped, default 300; the group questions and the
//! cost growth runs stop at 120 s at most), `BENCH_REPORT` (where the
//! report goes; default `reports/bench.md` for the full run and
//! `<target>/spin-bench/bench.md` for a narrowed one, so a quick run never
//! overwrites the checked-in report).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KAFKACHECK: &str = env!("CARGO_BIN_EXE_kafkacheck");
const CANONICAL_N: [u32; 6] = [2, 3, 4, 6, 8, 12];
const CANONICAL_K: [u32; 4] = [0, 1, 2, 3];
const EXTRA: (u32, u32) = (64, 3);
const STRATEGIES: [&str; 3] = ["at-most-once", "at-least-once", "exactly-once"];
const SEM_SHORT: [&str; 3] = ["amo", "alo", "eo"];

// The exact flags of shared/peers/spin/run.sh (and its RESULTS.md).
const SPIN_A: [&str; 1] = ["-o2"];
const GCC: [&str; 9] =
    ["-O2", "-w", "-DSAFETY", "-DNOREDUCE", "-DMEMLIM=12000", "-DVECTORSZ=2048", "-o", "pan", "pan.c"];
const PAN: [&str; 2] = ["-m100000", "-c1"];
/// run.sh bounds every pan run by `timeout 120`.
const SPIN_LIMIT: Duration = Duration::from_secs(120);
/// A scaling run is stopped after this many seconds (at most `BENCH_LIMIT`).
const SCALING_LIMIT: u64 = 120;

// ---------------------------------------------------------------- processes

/// One child process: its exit status (None when killed or signalled), wall
/// time and peak resident set.
struct Measured {
    status: Option<i32>,
    wall: f64,
    peak_kb: Option<u64>,
    /// User plus system CPU seconds: over `wall`, how many cores it kept busy.
    cpu: Option<f64>,
    killed: bool,
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod sys {
    use std::ffi::{c_int, c_long};

    /// `struct rusage` of Linux on 64-bit targets.
    #[repr(C)]
    #[derive(Default)]
    pub struct Rusage {
        pub utime: [c_long; 2],
        pub stime: [c_long; 2],
        pub maxrss: c_long,
        pub rest: [c_long; 13],
    }

    unsafe extern "C" {
        fn wait4(pid: c_int, status: *mut c_int, options: c_int, rusage: *mut Rusage) -> c_int;
    }

    /// Waits for the child and returns its raw status, peak RSS in KiB and
    /// CPU seconds (user plus system).
    pub fn wait(pid: u32) -> std::io::Result<(c_int, u64, f64)> {
        let mut status: c_int = 0;
        let mut usage = Rusage::default();
        loop {
            // SAFETY: both pointers refer to live, properly laid out locals.
            let r = unsafe { wait4(pid as c_int, &mut status, 0, &mut usage) };
            if r >= 0 {
                let secs = |t: [c_long; 2]| t[0] as f64 + t[1] as f64 / 1e6;
                return Ok((status, usage.maxrss.max(0) as u64, secs(usage.utime) + secs(usage.stime)));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

/// Runs `cmd` with stdout and stderr to files, killing it after `limit`.
fn run(cmd: &mut Command, out: &Path, err: &Path, limit: Duration) -> Measured {
    let stdout = fs::File::create(out).expect("scratch file for stdout");
    let stderr = fs::File::create(err).expect("scratch file for stderr");
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let pid = child.id();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let (killed_tx, killed_rx) = std::sync::mpsc::channel::<bool>();
    let wall;
    let (status, peak_kb, cpu);
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        // wait4 reaps the child here; a watchdog thread owns the Child only to kill it.
        let watchdog = std::thread::spawn(move || {
            let timed_out =
                matches!(wait.recv_timeout(limit), Err(std::sync::mpsc::RecvTimeoutError::Timeout));
            if timed_out {
                let _ = child.kill();
            }
            let _ = killed_tx.send(timed_out);
            drop(child); // reaped by wait4; dropping a Child never waits
        });
        let (raw, kb, cpu_secs) = sys::wait(pid).expect("wait4");
        wall = start.elapsed().as_secs_f64();
        let _ = done.send(());
        watchdog.join().expect("watchdog");
        status = if raw & 0x7f == 0 { Some((raw >> 8) & 0xff) } else { None };
        peak_kb = Some(kb);
        cpu = Some(cpu_secs);
    }
    #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
    {
        // No wait4 here: no peak memory and no limit.
        let _ = (pid, done, wait, limit, killed_tx.send(false));
        let exit = child.wait().expect("wait");
        wall = start.elapsed().as_secs_f64();
        status = exit.code();
        peak_kb = None;
        cpu = None;
    }
    let killed = killed_rx.recv().unwrap_or(false);
    Measured { status, wall, peak_kb, cpu, killed }
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(if out.stdout.is_empty() { &out.stderr } else { &out.stdout });
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

// ---------------------------------------------------------------- verdicts

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum V {
    Holds,
    Violated,
    Unknown,
}

impl V {
    fn word(self) -> &'static str {
        match self {
            V::Holds => "holds",
            V::Violated => "VIOL",
            V::Unknown => "?",
        }
    }
    fn parse(s: &str) -> V {
        match s {
            "holds" => V::Holds,
            "violated" => V::Violated,
            _ => V::Unknown,
        }
    }
}

/// The two answers both checkers give: loss and duplicates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Answer {
    loss: V,
    dup: V,
}

impl Answer {
    fn show(self) -> String {
        format!("{}/{}", self.loss.word(), self.dup.word())
    }
    fn definite(self) -> bool {
        self.loss != V::Unknown && self.dup != V::Unknown
    }
}

// ---------------------------------------------------------------- kafkacheck

struct Kc {
    states: Option<u64>,
    search_secs: f64,
    wall: f64,
    peak_kb: Option<u64>,
    cpu: Option<f64>,
    complete: bool,
    verdicts: BTreeMap<String, V>,
    /// Why there is no result (killed at the limit, or the run failed).
    failure: Option<String>,
}

impl Kc {
    /// SPIN's loss assertions are kafkacheck's `no-loss` (in flight) and its
    /// termination check, kafkacheck's `all-processed`.
    fn answer(&self) -> Answer {
        let v = |name: &str| self.verdicts.get(name).copied().unwrap_or(V::Unknown);
        let loss = match (v("no-loss"), v("all-processed")) {
            (V::Violated, _) | (_, V::Violated) => V::Violated,
            (V::Holds, V::Holds) => V::Holds,
            _ => V::Unknown,
        };
        Answer { loss, dup: v("no-duplicate") }
    }
    fn states_text(&self) -> String {
        self.states.map_or_else(|| "-".into(), group_digits)
    }
    fn rate_text(&self) -> String {
        match self.states {
            Some(s) if self.search_secs > 0.0 => group_digits((s as f64 / self.search_secs) as u64),
            _ => "-".into(),
        }
    }
    fn wall_text(&self) -> String {
        match &self.failure {
            Some(f) => f.clone(),
            None => format!("{:.3}", self.wall),
        }
    }
}

struct Bench {
    scratch: PathBuf,
    limit: Duration,
    /// Results by (scenario JSON, search), so the scaling table reuses the grid's runs.
    cache: BTreeMap<(String, String), std::rc::Rc<Kc>>,
    runs: usize,
}

impl Bench {
    /// A new file in the scratch directory, one per run.
    fn scratch_file(&mut self, extension: &str) -> PathBuf {
        self.runs += 1;
        let dir = self.scratch.join("kafkacheck");
        fs::create_dir_all(&dir).expect("scratch dir");
        dir.join(format!("run{}.{extension}", self.runs))
    }

    /// `kafkacheck check ARGS --format json`, stopped at the limit: what was
    /// measured and where its stdout and stderr went.
    fn check(&mut self, args: &[&str]) -> (Measured, PathBuf, PathBuf) {
        let (out, err) = (self.scratch_file("out"), self.scratch_file("err"));
        let mut cmd = Command::new(KAFKACHECK);
        cmd.arg("check").args(args).args(["--format", "json"]);
        (run(&mut cmd, &out, &err, self.limit), out, err)
    }

    /// A check of several files: what was measured and the files it checked.
    fn check_files(&mut self, args: &[&str]) -> (Measured, Vec<String>) {
        let (m, out, _) = self.check(args);
        let doc: Option<Value> = fs::read(&out).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let files = doc.iter().flat_map(|d| d["scenarios"].as_array().into_iter().flatten());
        let files = files.filter_map(|s| s["file"].as_str().map(String::from)).collect();
        (m, files)
    }

    fn kafkacheck(&mut self, scenario: &str, search: Option<&str>) -> std::rc::Rc<Kc> {
        let key = (scenario.to_string(), search.unwrap_or("bfs").to_string());
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let file = self.scratch_file("json");
        fs::write(&file, scenario).expect("scenario file");
        let mut args = vec![file.to_str().expect("scratch path")];
        if let Some(s) = search {
            args.extend(["--search", s]);
        }
        let (m, out, err) = self.check(&args);
        let mut kc = Kc {
            states: None,
            search_secs: 0.0,
            wall: m.wall,
            peak_kb: m.peak_kb,
            cpu: m.cpu,
            complete: false,
            verdicts: BTreeMap::new(),
            failure: None,
        };
        let doc: Option<Value> = fs::read(&out).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let run_ok = matches!(m.status, Some(0) | Some(1));
        match doc.as_ref().and_then(|d| d["scenarios"].get(0)) {
            Some(s) if run_ok && !m.killed => {
                kc.states = s["unique_states"].as_u64();
                kc.search_secs = s["seconds"].as_f64().unwrap_or(0.0);
                kc.complete = s["complete"].as_bool().unwrap_or(false);
                for p in s["properties"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap_or("?").to_string();
                    kc.verdicts.insert(name, V::parse(p["verdict"].as_str().unwrap_or("")));
                }
            }
            _ if m.killed => kc.failure = Some(format!("> {} s (stopped)", self.limit.as_secs())),
            _ => {
                let msg = fs::read_to_string(&err).unwrap_or_default();
                let last = msg.lines().last().unwrap_or("").to_string();
                kc.failure = Some(format!("failed (status {:?}: {last})", m.status));
            }
        }
        let kc = std::rc::Rc::new(kc);
        self.cache.insert(key, kc.clone());
        kc
    }
}

fn single_consumer(sem: usize, n: u32, k: u32) -> String {
    format!(
        r#"{{"name":"{} N={n} K={k}","partitions":1,"messages":{n},"consumers":1,"strategy":"{}","crashes":{k}}}"#,
        STRATEGIES[sem], STRATEGIES[sem]
    )
}

// ---------------------------------------------------------------- SPIN

struct Spin {
    model: PathBuf,
    version: String,
    gcc: String,
}

/// One spin -a + gcc + pan, in a fresh directory.
struct PanRun {
    wall: f64,
    peak_kb: Option<u64>,
    states: Option<u64>,
    errors: Option<u64>,
    /// Which property the first assertion violation belongs to.
    hit: Option<&'static str>,
    /// The search ran to its end (or to its first error): nothing cut it short.
    sound: bool,
    note: Option<String>,
}

struct SpinResult {
    answer: Answer,
    wall: f64,
    builds: usize,
    peak_kb: Option<u64>,
    /// States stored by the last search (the complete one when a property holds).
    states: Option<u64>,
    note: Option<String>,
}

fn pan_build_and_run(spin: &Spin, dir: &Path, defs: &[String]) -> PanRun {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("spin scratch dir");
    fs::copy(&spin.model, dir.join("consumer.pml")).expect("copy consumer.pml");
    let mut wall = 0.0;
    let mut step = |program: &str, args: Vec<String>, log: &str| {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir).args(&args);
        let m = run(&mut cmd, &dir.join(format!("{log}.log")), &dir.join(format!("{log}.err")), SPIN_LIMIT);
        wall += m.wall;
        m
    };
    let mut spin_args: Vec<String> = SPIN_A.iter().map(|s| s.to_string()).collect();
    spin_args.extend(defs.iter().cloned());
    spin_args.extend(["-a".to_string(), "consumer.pml".to_string()]);
    let failed = |what: &str, wall: f64| PanRun {
        wall,
        peak_kb: None,
        states: None,
        errors: None,
        hit: None,
        sound: false,
        note: Some(format!("{what} failed")),
    };
    if step("spin", spin_args, "spin_a").status != Some(0) {
        return failed("spin -a", wall);
    }
    if step("gcc", GCC.iter().map(|s| s.to_string()).collect(), "gcc").status != Some(0) {
        return failed("gcc", wall);
    }
    let pan = step("./pan", PAN.iter().map(|s| s.to_string()).collect(), "pan");
    let log = fs::read_to_string(dir.join("pan.log")).unwrap_or_default();
    let number_before = |marker: &str| {
        log.lines().find(|l| l.contains(marker)).and_then(|l| l.split_whitespace().next()?.parse().ok())
    };
    let errors = log
        .split("errors: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok());
    let hit = log
        .lines()
        .find(|l| l.contains("assertion violated"))
        .map(|l| if l.contains("processed[o]<=1") { "dup" } else { "loss" });
    let mut note = None;
    if pan.killed {
        note = Some(format!("pan stopped at {} s", SPIN_LIMIT.as_secs()));
    } else if log.contains("max search depth too small") {
        note = Some("depth bound reached".into());
    } else if log.contains("out of memory") || log.contains("MEMLIM") {
        note = Some("out of memory".into());
    } else if errors.is_some_and(|e| e > 0) && hit.is_none() {
        note = Some("error that is no assertion (invalid end state?)".into());
    }
    PanRun {
        wall,
        peak_kb: pan.peak_kb,
        states: number_before("states, stored"),
        errors,
        hit,
        sound: note.is_none() && errors.is_some(),
        note,
    }
}

/// SPIN's end-to-end time to both verdicts, as a user of it would get them.
///
/// First both properties are compiled in and pan stops at the first
/// assertion violation (`-c1`). No error: both hold. An error decides its
/// property (violated); the other is then decided by a second build with
/// the violated property compiled out (`-DCHECK_LOSS=0` or `-DCHECK_DUP=0`,
/// as `run.sh` does for its full searches). The time is the sum of every
/// spin -a, gcc and pan wall time. SPIN's `-i` (shortest counterexample) is
/// not run, although kafkacheck's time includes its shortest traces: the
/// comparison is to SPIN's cheapest path to the verdicts.
fn spin_question(spin: &Spin, scratch: &Path, sem: usize, n: u32, k: u32) -> SpinResult {
    let base = vec![format!("-DN={n}"), format!("-DK={k}"), format!("-DSEM={sem}")];
    let dir = scratch.join("spin").join(format!("s{sem}_n{n}_k{k}"));
    let first = pan_build_and_run(spin, &dir.join("both"), &base);
    let mut result = SpinResult {
        answer: Answer { loss: V::Unknown, dup: V::Unknown },
        wall: first.wall,
        builds: 1,
        peak_kb: first.peak_kb,
        states: first.states,
        note: first.note.clone(),
    };
    if !first.sound {
        return result;
    }
    let Some(hit) = first.hit else {
        result.answer = Answer { loss: V::Holds, dup: V::Holds };
        return result;
    };
    let mut defs = base.clone();
    defs.push(if hit == "loss" { "-DCHECK_LOSS=0".into() } else { "-DCHECK_DUP=0".into() });
    let second = pan_build_and_run(spin, &dir.join("rest"), &defs);
    result.wall += second.wall;
    result.builds = 2;
    result.peak_kb = result.peak_kb.max(second.peak_kb);
    result.states = second.states;
    result.note = second.note.clone();
    let other = if !second.sound {
        V::Unknown
    } else if second.errors == Some(0) {
        V::Holds
    } else if second.hit.is_some() {
        V::Violated
    } else {
        V::Unknown
    };
    result.answer = if hit == "loss" {
        Answer { loss: V::Violated, dup: other }
    } else {
        Answer { loss: other, dup: V::Violated }
    };
    result
}

fn find_spin(manifest: &Path) -> Result<Spin, String> {
    if std::env::var("BENCH_SPIN").is_ok_and(|v| v == "0") {
        return Err("SPIN skipped (BENCH_SPIN=0)".into());
    }
    let model = std::env::var_os("BENCH_SPIN_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared/peers/spin/consumer.pml"));
    let version = command_output("spin", &["-V"]).ok_or("SPIN not found: `spin` is not on the PATH")?;
    let gcc = command_output("gcc", &["--version"]).ok_or("SPIN not usable: `gcc` is not on the PATH")?;
    if !model.is_file() {
        return Err(format!("SPIN model not found at {}", model.display()));
    }
    Ok(Spin { model, version, gcc })
}

// ---------------------------------------------------------------- formatting

fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(|| "-".into(), |kb| format!("{:.1}", kb as f64 / 1024.0))
}

fn list(var: &str, default: &[u32]) -> (Vec<u32>, bool) {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => (
            v.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|x| !x.is_empty())
                .map(|x| x.parse().unwrap_or_else(|_| panic!("{var}: `{x}` is not a number")))
                .collect(),
            true,
        ),
        _ => (default.to_vec(), false),
    }
}

fn flag(var: &str, default: bool) -> bool {
    match std::env::var(var) {
        Ok(v) => v != "0" && !v.is_empty(),
        Err(_) => default,
    }
}

/// A line of a markdown table, also printed (padded) on stdout.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    fn new(cols: &[(&str, bool)]) -> Table {
        Table {
            header: cols.iter().map(|c| c.0.to_string()).collect(),
            rows: Vec::new(),
            right: cols.iter().map(|c| c.1).collect(),
        }
    }
    /// A stdout line: cells padded to their header's width.
    fn line(&self, cells: &[String]) -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&self.header)
            .zip(&self.right)
            .map(|((c, h), &r)| {
                let w = h.chars().count().max(5);
                if r { format!("{c:>w$}") } else { format!("{c:<w$}") }
            })
            .collect();
        padded.join("  ")
    }
    fn print_header(&self) {
        println!("{}", self.line(&self.header));
    }
    fn push(&mut self, row: Vec<String>) {
        println!("{}", self.line(&row));
        let _ = std::io::stdout().flush();
        self.rows.push(row);
    }
    fn markdown(&self) -> String {
        let mut s = format!("| {} |\n|", self.header.join(" | "));
        for &r in &self.right {
            s.push_str(if r { "---:|" } else { "---|" });
        }
        s.push('\n');
        for row in &self.rows {
            let _ = writeln!(s, "| {} |", row.join(" | "));
        }
        s
    }
}

fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown")
        .trim()
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    format!("cpu: {cpu}, {cores} cores\nmemory: {:.1} GiB", mem_kb as f64 / 1024.0 / 1024.0)
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**not met**" }
}

// ---------------------------------------------------------------- targets

/// The group questions of issue 17's target 3, and the memory each must stay under.
const GROUP_TARGETS: [(&str, Option<u64>); 2] = [
    (
        r#"{"name":"group: 3 partitions, 2 consumers, 4 messages, 2 crashes","partitions":3,"messages":4,"consumers":2,"strategy":"at-least-once","assignment":"group","crashes":2,"max_poll_records":2}"#,
        Some(2 * 1024 * 1024),
    ),
    (
        r#"{"name":"group: 3 partitions, 3 consumers, 2 messages, 1 crash, 1 pause","partitions":3,"messages":2,"consumers":3,"strategy":"at-least-once","assignment":"group","crashes":1,"pauses":1,"max_poll_records":2}"#,
        None,
    ),
];

/// How long a target-3 question may run before it is stopped (at most
/// `BENCH_LIMIT`): twice its target.
const GROUP_LIMIT: Duration = Duration::from_secs(120);

/// Issue 7's grid, kept as a line of its own.
fn grid_target(canonical: &[&Row], spin_on: bool) -> String {
    let total = CANONICAL_N.len() * CANONICAL_K.len() * 3;
    let slowest = canonical.iter().max_by(|a, b| a.kc.wall.total_cmp(&b.kc.wall)).unwrap();
    let under = canonical.iter().filter(|r| r.kc.failure.is_none() && r.kc.wall < 0.5).count();
    let agree = canonical.iter().filter(|r| r.agree() == Some(true)).count();
    let faster = canonical.iter().filter(|r| r.ratio().is_some_and(|x| x < 1.0)).count();
    let worst = canonical.iter().filter_map(|r| r.ratio()).fold(f64::NAN, f64::max);
    let ok = canonical.len() == total && under == total && spin_on && faster == total;
    format!(
        "Canonical grid (N ≤ 12, K ≤ 3, each strategy, one consumer), every configuration under 0.5 s \
         and faster than SPIN end to end: {}. {} of {total} configurations run; {under} under 0.5 s \
         (slowest: SEM {} N={} K={}, {:.3} s); {}.",
        if canonical.len() < total { "**not measured** (partial grid)" } else { met(ok) },
        canonical.len(),
        slowest.sem,
        slowest.n,
        slowest.k,
        slowest.kc.wall,
        if spin_on {
            format!(
                "verdicts agree in {agree}; faster than SPIN in {faster} (largest ratio kafkacheck/SPIN {worst:.2})"
            )
        } else {
            "SPIN not run, so faster-than-SPIN is not measured".to_string()
        }
    )
}

/// Target 1: N = 64, K = 3, each strategy, kafkacheck's end to end at or below SPIN's.
fn spin_target(big: &[&Row], spin_on: bool) -> String {
    let parts: Vec<String> = big
        .iter()
        .map(|r| {
            let spin_wall = r.spin.as_ref().map_or_else(|| "not run".into(), |s| format!("{:.2} s", s.wall));
            format!(
                "SEM {} ({}): kafkacheck {}, SPIN {spin_wall}, ratio {}",
                r.sem,
                STRATEGIES[r.sem],
                r.kc.failure.clone().unwrap_or_else(|| format!("{:.2} s", r.kc.wall)),
                r.ratio_text()
            )
        })
        .collect();
    let within = |bound: f64| big.len() == 3 && big.iter().all(|r| r.ratio().is_some_and(|x| x <= bound));
    format!(
        "1. Single consumer, N = 64, K = 3, each strategy: kafkacheck's wall time to every verdict and a \
         shortest counterexample of each violated property at or below SPIN's end to end (ratio ≤ 1.0; \
         stretch ≤ 0.5): {}{}. {}.",
        if spin_on { met(within(1.0)) } else { "**not measured** (no SPIN)" },
        if within(0.5) { ", stretch met" } else { "" },
        parts.join("; ")
    )
}

/// Target 2: the at-least-once N = 64, K = 3 proof's unique states per second.
fn rate_target(kc: &Kc) -> String {
    let rate = kc.states.filter(|_| kc.search_secs > 0.0).map(|s| s as f64 / kc.search_secs);
    format!(
        "2. At least 2M unique states/s on the at-least-once N = 64, K = 3 proof: {}. {} unique states in \
         {:.2} s, {} states/s (the check's `seconds`, which also cover its breadth-first search for the \
         `no-duplicate` counterexample), on {}.",
        met(kc.complete && rate.is_some_and(|r| r >= 2e6)),
        kc.states_text(),
        kc.search_secs,
        kc.rate_text(),
        cores_text(kc)
    )
}

/// How many cores a run kept busy, from its CPU time over its wall time.
fn cores_text(kc: &Kc) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    match kc.cpu {
        Some(cpu) if kc.wall > 0.0 => {
            format!("{:.2} of {cores} cores busy (CPU time / wall time)", cpu / kc.wall)
        }
        _ => format!("{cores} cores"),
    }
}

/// Target 3: the two group questions, proved (complete, every property not
/// violated holds) within 60 s and, for the first, 2 GiB.
fn group_target(bench: &mut Bench) -> String {
    let limit = bench.limit;
    bench.limit = limit.min(GROUP_LIMIT);
    let mut parts = Vec::new();
    let mut all_ok = true;
    for (scenario, memory) in GROUP_TARGETS {
        println!("\ntarget 3: {scenario}");
        let g = bench.kafkacheck(scenario, None);
        let proven = g.failure.is_none() && g.complete && g.verdicts.values().all(|v| *v != V::Unknown);
        let under_mem = memory.is_none_or(|kb| g.peak_kb.is_some_and(|peak| peak < kb));
        let ok = proven && g.wall < 60.0 && under_mem;
        all_ok &= ok;
        let name = serde_json::from_str::<Value>(scenario).map(|v| v["name"].to_string()).unwrap_or_default();
        let verdicts: Vec<String> = g.verdicts.iter().map(|(p, v)| format!("{p} {}", v.word())).collect();
        parts.push(format!(
            "{name}{}: {}; {} states, {} wall, peak {} MB, complete search: {}{}",
            memory.map_or_else(String::new, |kb| format!(" (< 60 s and < {} GiB)", kb / 1024 / 1024)),
            if ok { "met" } else { "not met" },
            g.states_text(),
            g.wall_text(),
            mb(g.peak_kb),
            if g.complete { "yes" } else { "no" },
            if verdicts.is_empty() { String::new() } else { format!("; verdicts: {}", verdicts.join(", ")) }
        ));
    }
    bench.limit = limit;
    format!(
        "3. Real groups (group assignment, at-least-once, `max_poll_records` 2, the defaults: dfs proof with \
         symmetry reduction, breadth-first counterexamples) proved in < 60 s: {}. {}.",
        met(all_ok),
        parts.join(". ")
    )
}

/// Target 4: every core by default. A single file's search, a directory's
/// files (against `--threads 1`), and `--shard` slices that together are
/// the directory, each once.
fn cores_target(bench: &mut Bench, models: &Path, alo: Option<&Kc>) -> String {
    let dir = models.to_str().expect("models path");
    println!("\ntarget 4: check {dir} (default, --threads 1, --shard 1/2 and 2/2)");
    let (default, whole) = bench.check_files(&[dir]);
    let (one, _) = bench.check_files(&[dir, "--threads", "1"]);
    let (_, first) = bench.check_files(&[dir, "--shard", "1/2"]);
    let (_, second) = bench.check_files(&[dir, "--shard", "2/2"]);
    let mut shards: Vec<String> = first.iter().chain(&second).cloned().collect();
    shards.sort();
    let mut sorted_whole = whole.clone();
    sorted_whole.sort();
    let partition = !whole.is_empty() && shards == sorted_whole && first.iter().all(|f| !second.contains(f));
    let faster = default.wall < one.wall;
    let single =
        alo.map(|kc| format!("the at-least-once N = 64 check kept {}; ", cores_text(kc))).unwrap_or_default();
    format!(
        "4. Every core by default: {}. {single}`check models/` ({} files) took {:.2} s with the default \
         `--threads` ({}) and {:.2} s with `--threads 1`; `--shard 1/2` and `--shard 2/2` checked {} and {} \
         files, {} the directory's files once each.",
        met(faster && partition),
        whole.len(),
        default.wall,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        one.wall,
        first.len(),
        second.len(),
        if partition { "together" } else { "NOT together" }
    )
}

// ---------------------------------------------------------------- cost growth

/// One question along an axis: strategy, partitions, messages, crashes, consumers.
#[derive(Clone, Copy)]
struct Point {
    sem: usize,
    p: u32,
    n: u32,
    k: u32,
    c: u32,
}

impl Point {
    fn scenario(&self) -> String {
        if self.c == 1 && self.p == 1 {
            return single_consumer(self.sem, self.n, self.k);
        }
        format!(
            r#"{{"name":"group: {p} partitions, {c} consumers, {n} messages, {k} crashes","partitions":{p},"messages":{n},"consumers":{c},"strategy":"{s}","assignment":"group","crashes":{k}}}"#,
            p = self.p,
            c = self.c,
            n = self.n,
            k = self.k,
            s = STRATEGIES[self.sem]
        )
    }
}

/// An axis: its name, what it counts (plural), which field grows, and its points.
struct Axis {
    name: String,
    unit: &'static str,
    size: fn(&Point) -> u32,
    points: Vec<Point>,
}

/// The axes of target 5.
const AXES: usize = 8;

fn axes() -> Vec<Axis> {
    let mut axes = Vec::new();
    for (sem, short) in SEM_SHORT.iter().enumerate() {
        let points = [12, 16, 24, 32, 48, 64, 96, 128].iter().map(|&n| Point { sem, p: 1, n, k: 3, c: 1 });
        axes.push(Axis {
            name: format!("messages, K = 3 ({short})"),
            unit: "messages",
            size: |p| p.n,
            points: points.collect(),
        });
    }
    for (sem, short) in SEM_SHORT.iter().enumerate() {
        let points = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12].iter().map(|&k| Point { sem, p: 1, n: 12, k, c: 1 });
        axes.push(Axis {
            name: format!("crashes, N = 12 ({short})"),
            unit: "crashes",
            size: |p| p.k,
            points: points.collect(),
        });
    }
    axes.push(Axis {
        name: "consumers, group, 2 partitions × 2 messages, 1 crash (alo)".into(),
        unit: "consumers",
        size: |p| p.c,
        points: (1..=4).map(|c| Point { sem: 1, p: 2, n: 2, k: 1, c }).collect(),
    });
    axes.push(Axis {
        name: "partitions, group, 2 consumers × 2 messages, 1 crash (alo)".into(),
        unit: "partitions",
        size: |p| p.p,
        points: (1..=4).map(|p| Point { sem: 1, p, n: 2, k: 1, c: 2 }).collect(),
    });
    assert_eq!(axes.len(), AXES);
    axes
}

/// The growth per added unit between two sizes: the factor's `delta`-th root.
fn per_unit(now: f64, before: f64, delta: u32) -> Option<f64> {
    (before > 0.0 && delta > 0).then(|| (now / before).powf(1.0 / f64::from(delta)))
}

/// Target 5's tables: every run along every axis, and a line per axis with
/// its growth per added unit over the range measured (geometric, first to
/// last measured size), and how many axes had two sizes or more.
fn cost_growth(bench: &mut Bench) -> (Table, Table, usize) {
    println!(
        "\ncost growth (an axis stops after the first run over 30 s; a run is stopped at {SCALING_LIMIT} s)"
    );
    bench.limit = bench.limit.min(Duration::from_secs(SCALING_LIMIT));
    let mut t = Table::new(&[
        ("axis", false),
        ("partitions", true),
        ("N", true),
        ("K", true),
        ("consumers", true),
        ("states", true),
        ("states × per unit", true),
        ("wall s", true),
        ("wall × per unit", true),
        ("peak MB", true),
        ("verdicts", false),
    ]);
    let mut summary = Table::new(&[
        ("axis", false),
        ("range", false),
        ("states × per unit", true),
        ("last step", true),
        ("wall × per unit", true),
        ("last step", true),
        ("largest: wall s", true),
        ("peak MB", true),
    ]);
    t.print_header();
    let axis_stop = 30.0;
    let mut measured_axes = 0;
    for axis in axes() {
        let mut prev: Option<(u32, std::rc::Rc<Kc>)> = None;
        let mut measured: Vec<(u32, std::rc::Rc<Kc>)> = Vec::new();
        for point in axis.points.iter().copied() {
            let kc = bench.kafkacheck(&point.scenario(), None);
            let size = (axis.size)(&point);
            let growth = |now: Option<f64>, before: Option<f64>, delta: u32| match (now, before) {
                (Some(a), Some(b)) => per_unit(a, b, delta).map_or_else(|| "-".into(), |g| format!("{g:.2}")),
                _ => "-".into(),
            };
            let prev_ok = prev.as_ref().filter(|(_, p)| p.failure.is_none());
            let delta = prev_ok.map_or(0, |(s, _)| size - s);
            let verdicts: Vec<String> = kc
                .verdicts
                .iter()
                .filter(|(_, v)| **v != V::Holds)
                .map(|(p, v)| format!("{p} {}", v.word()))
                .collect();
            t.push(vec![
                axis.name.clone(),
                point.p.to_string(),
                point.n.to_string(),
                point.k.to_string(),
                point.c.to_string(),
                kc.states_text(),
                growth(
                    kc.states.map(|s| s as f64),
                    prev_ok.and_then(|(_, p)| p.states.map(|s| s as f64)),
                    delta,
                ),
                kc.wall_text(),
                growth(kc.failure.is_none().then_some(kc.wall), prev_ok.map(|(_, p)| p.wall), delta),
                mb(kc.peak_kb),
                if kc.failure.is_some() {
                    "-".into()
                } else if verdicts.is_empty() {
                    "all hold".into()
                } else {
                    verdicts.join(", ")
                },
            ]);
            let stop = kc.failure.is_some() || kc.wall > axis_stop;
            if kc.failure.is_none() {
                measured.push((size, kc.clone()));
            }
            prev = Some((size, kc));
            if stop {
                break;
            }
        }
        // Growth over the range, from the first size with a measurable time
        // (the smallest questions finish in a few milliseconds, all start-up).
        let timed: Vec<&(u32, std::rc::Rc<Kc>)> = measured.iter().filter(|(_, kc)| kc.wall >= 0.05).collect();
        if let (Some((first, a)), Some((last, b))) = (measured.first(), measured.last())
            && last > first
        {
            measured_axes += 1;
            let states = match (a.states, b.states) {
                (Some(x), Some(y)) => per_unit(y as f64, x as f64, last - first),
                _ => None,
            };
            let wall = match (timed.first(), timed.last()) {
                (Some((f, x)), Some((l, y))) if l > f => per_unit(y.wall, x.wall, l - f),
                _ => None,
            };
            // The last step's factors, between the two largest sizes measured.
            let (before, below) = &measured[measured.len() - 2];
            let last_states = match (below.states, b.states) {
                (Some(x), Some(y)) => per_unit(y as f64, x as f64, last - before),
                _ => None,
            };
            let last_wall = match timed.len() {
                2.. => {
                    let ((f, x), (l, y)) = (timed[timed.len() - 2], timed[timed.len() - 1]);
                    per_unit(y.wall, x.wall, l - f)
                }
                _ => None,
            };
            let two = |g: Option<f64>| g.map_or_else(|| "-".into(), |g| format!("{g:.2}"));
            summary.push(vec![
                axis.name.clone(),
                format!("{first}–{last} {}", axis.unit),
                two(states),
                two(last_states),
                two(wall),
                two(last_wall),
                format!("{:.2}", b.wall),
                mb(b.peak_kb),
            ]);
        }
    }
    (t, summary, measured_axes)
}

// ---------------------------------------------------------------- main

struct Row {
    sem: usize,
    n: u32,
    k: u32,
    kc: std::rc::Rc<Kc>,
    spin: Option<SpinResult>,
}

impl Row {
    fn agree(&self) -> Option<bool> {
        let spin = self.spin.as_ref()?;
        let kc = self.kc.answer();
        Some(kc.definite() && spin.answer.definite() && kc == spin.answer)
    }
    fn ratio(&self) -> Option<f64> {
        (self.agree()? && self.kc.failure.is_none()).then(|| self.kc.wall / self.spin.as_ref().unwrap().wall)
    }
    fn ratio_text(&self) -> String {
        match (&self.spin, self.agree()) {
            (None, _) => "-".into(),
            (Some(_), Some(true)) => self.ratio().map_or_else(|| "-".into(), |r| format!("{r:.3}")),
            (Some(s), _) if !self.kc.answer().definite() || !s.answer.definite() => "no verdict".into(),
            _ => "verdicts differ".into(),
        }
    }
}

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // The bench's kafkacheck is <target>/<profile>/kafkacheck.
    let target = Path::new(KAFKACHECK).parent().and_then(Path::parent).expect("target dir").to_path_buf();
    let scratch = target.join("spin-bench");
    fs::create_dir_all(&scratch).expect("scratch dir");
    let (ns, n_set) = list("BENCH_N", &CANONICAL_N);
    let (ks, k_set) = list("BENCH_K", &CANONICAL_K);
    let (sems, sem_set) = list("BENCH_SEM", &[0, 1, 2]);
    let narrowed = n_set || k_set || sem_set;
    let do_targets = flag("BENCH_TARGETS", !narrowed);
    let do_scaling = flag("BENCH_SCALING", !narrowed);
    let limit_s: u64 = std::env::var("BENCH_LIMIT").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let report_path = std::env::var_os("BENCH_REPORT").map(PathBuf::from).unwrap_or_else(|| {
        if narrowed { scratch.join("bench.md") } else { manifest.join("reports/bench.md") }
    });
    let spin = find_spin(&manifest);
    let mut bench = Bench {
        scratch: scratch.clone(),
        limit: Duration::from_secs(limit_s),
        cache: BTreeMap::new(),
        runs: 0,
    };
    let started = Instant::now();
    let load_start = load_average();
    let date = command_output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]).unwrap_or_default();
    let tree =
        command_output("git", &["-C", manifest.to_str().unwrap_or("."), "describe", "--always", "--dirty"])
            .unwrap_or_else(|| "unknown".into());

    let mut configs: Vec<(usize, u32, u32)> = Vec::new();
    for &sem in &sems {
        assert!(sem <= 2, "BENCH_SEM: 0, 1 or 2");
        for &n in &ns {
            for &k in &ks {
                configs.push((sem as usize, n, k));
            }
        }
        if !n_set && !k_set {
            configs.push((sem as usize, EXTRA.0, EXTRA.1));
        }
    }

    let header_note = "State counts are not comparable between the two columns, by design: \
kafkacheck's actor model has more message hops per step than consumer.pml (the consumer fetches \
records from the broker over the network, sends each output to the sink as a message and waits for \
its acknowledgement, and a crash and its recovery are separate steps), where SPIN reads the log \
directly and makes each of those one atomic step. What is compared is the wall time to the same \
verdicts on the same question (N messages, K crashes, strategy SEM; one partition, one consumer).";
    println!("kafkacheck vs SPIN, time to verdict. {header_note}");
    println!("kafkacheck: {KAFKACHECK} check FILE --format json (a child process per configuration)");
    match &spin {
        Ok(s) => println!("SPIN: {} ({}), model {}", s.version, s.gcc, s.model.display()),
        Err(e) => println!("{e}: printing kafkacheck's columns only"),
    }
    println!(
        "verdicts are loss/dup: kafkacheck no-loss+all-processed / no-duplicate, SPIN's loss / no-dup assertions"
    );
    println!();

    let mut table = Table::new(&[
        ("SEM", false),
        ("N", true),
        ("K", true),
        ("kc states", true),
        ("kc states/s", true),
        ("kc peak MB", true),
        ("kc wall s", true),
        ("kc loss/dup", false),
        ("spin states", true),
        ("spin builds", true),
        ("spin wall s", true),
        ("spin loss/dup", false),
        ("agree", false),
        ("kc/spin", true),
    ]);
    table.print_header();
    let mut rows: Vec<Row> = Vec::new();
    for &(sem, n, k) in &configs {
        let kc = bench.kafkacheck(&single_consumer(sem, n, k), None);
        let spin_result = spin.as_ref().ok().map(|s| spin_question(s, &scratch, sem, n, k));
        let row = Row { sem, n, k, kc, spin: spin_result };
        let (spin_states, spin_builds, spin_wall, spin_answer) = match &row.spin {
            Some(s) => (
                s.states.map_or_else(|| "-".into(), group_digits),
                s.builds.to_string(),
                format!("{:.3}", s.wall),
                match &s.note {
                    Some(note) => format!("{} ({note})", s.answer.show()),
                    None => s.answer.show(),
                },
            ),
            None => ("-".into(), "-".into(), "-".into(), "not run".into()),
        };
        let agree = match row.agree() {
            None => "-",
            Some(true) => "yes",
            Some(false) => "NO",
        };
        table.push(vec![
            format!("{sem} {}", SEM_SHORT[sem]),
            n.to_string(),
            k.to_string(),
            row.kc.states_text(),
            row.kc.rate_text(),
            mb(row.kc.peak_kb),
            row.kc.wall_text(),
            row.kc.answer().show(),
            spin_states,
            spin_builds,
            spin_wall,
            spin_answer,
            agree.into(),
            row.ratio_text(),
        ]);
        rows.push(row);
    }

    // ---- targets
    let mut targets: Vec<String> = Vec::new();
    let canonical: Vec<&Row> =
        rows.iter().filter(|r| CANONICAL_N.contains(&r.n) && CANONICAL_K.contains(&r.k)).collect();
    let grid_line = (!canonical.is_empty()).then(|| grid_target(&canonical, spin.is_ok()));
    let big: Vec<&Row> = rows.iter().filter(|r| (r.n, r.k) == EXTRA).collect();
    if !big.is_empty() {
        targets.push(spin_target(&big, spin.is_ok()));
        if let Some(alo) = big.iter().find(|r| r.sem == 1) {
            targets.push(rate_target(&alo.kc));
        }
    }
    if do_targets {
        targets.push(group_target(&mut bench));
        let alo = big.iter().find(|r| r.sem == 1).map(|r| r.kc.clone());
        targets.push(cores_target(&mut bench, &manifest.join("models"), alo.as_deref()));
    }

    // ---- scaling
    let mut scaling = None;
    if do_scaling {
        let (table, summary, axes_measured) = cost_growth(&mut bench);
        targets.push(format!(
            "5. Cost growth: states, time and peak memory as messages, crashes, consumers and partitions \
             grow, with the growth factor per added unit: {}. {axes_measured} of {} axes measured over at \
             least two sizes (the tables below).",
            met(axes_measured == AXES),
            AXES
        ));
        scaling = Some((table, summary));
    }

    // ---- report
    let total_secs = started.elapsed().as_secs_f64();
    let load_end = load_average();
    let mut md = String::new();
    md.push_str("# kafkacheck and SPIN, side by side\n\n");
    md.push_str(
        "Generated by `cargo bench --bench spin` (`benches/spin.rs`); do not edit by hand. \
         Issue 17: time to verdict at or below SPIN's on the same question, real consumer groups \
         within a minute, every core by default, and what a bigger question costs.\n\n",
    );
    md.push_str("## Machine\n\n```\n");
    let _ = writeln!(md, "date: {date}");
    let _ = writeln!(md, "{}", machine());
    let _ = writeln!(md, "load average at start: {load_start}");
    let _ = writeln!(md, "load average at end: {load_end}");
    let _ = writeln!(md, "kafkacheck tree: {tree}");
    match &spin {
        Ok(s) => {
            let _ = writeln!(md, "spin: {}\ngcc: {}", s.version, s.gcc);
        }
        Err(e) => {
            let _ = writeln!(md, "spin: {e}");
        }
    }
    let _ = writeln!(md, "benchmark wall time: {total_secs:.0} s");
    md.push_str("```\n\n");
    md.push_str(
        "The machine may be shared with other jobs (see the load average): times carry that noise; \
         state counts and verdicts are exact.\n\n",
    );
    md.push_str("## Commands\n\n```\n");
    md.push_str(
        "CARGO_TARGET_DIR=... cargo bench --bench spin     # the whole run, writes reports/bench.md\n",
    );
    md.push_str(
        "BENCH_N=\"4 8\" BENCH_K=\"1\" BENCH_SEM=0 cargo bench --bench spin   # a narrowed, quick run\n\n",
    );
    md.push_str("# kafkacheck, one child process per configuration (wall time and peak RSS from wait4):\n");
    md.push_str("kafkacheck check <scenario>.json --format json     # the defaults: dfs proof on every core (symmetry reduction for groups), then one-thread bfs for shortest counterexamples\n");
    md.push_str("kafkacheck check models/ --format json [--threads 1 | --shard I/2]   # target 4\n\n");
    md.push_str("# SPIN, in a scratch copy of shared/peers/spin/consumer.pml under <target>/spin-bench/:\n");
    let _ = writeln!(
        md,
        "spin {} -DN=<N> -DK=<K> -DSEM=<SEM> [-DCHECK_LOSS=0|-DCHECK_DUP=0] -a consumer.pml",
        SPIN_A.join(" ")
    );
    let _ = writeln!(md, "gcc {}", GCC.join(" "));
    let _ = writeln!(md, "./pan {}", PAN.join(" "));
    md.push_str("```\n\n");
    md.push_str(
        "A single-consumer scenario is `{\"partitions\":1,\"messages\":N,\"consumers\":1,\"strategy\":S,\"crashes\":K}`. \
         kafkacheck's wall time is the whole process: the complete search and a shortest counterexample of \
         every violated property. SPIN's is every spin -a + gcc + pan it takes to both verdicts: one build \
         with both properties, pan stopping at the first assertion violation; when there is one, a second \
         build with the violated property compiled out decides the other (SPIN's `-i` shortest \
         counterexample is not run). Peak memory is the peak resident set of the kafkacheck process \
         (SPIN's pan allocates a 128 MB hash table up front).\n\n",
    );
    md.push_str("## Side by side\n\n");
    md.push_str(header_note);
    md.push_str(
        " Verdicts are loss/dup: kafkacheck's `no-loss` together with `all-processed` (SPIN's loss \
         assertions check in flight and at termination) / `no-duplicate`; `VIOL` = violated. The ratio \
         is printed only when the verdicts agree.\n\n",
    );
    if let Err(e) = &spin {
        let _ = writeln!(md, "{e}: kafkacheck's columns only.\n");
    }
    md.push_str(&table.markdown());
    md.push_str("\n## Targets of issue 17\n\n");
    if targets.is_empty() {
        md.push_str("Not measured in this (narrowed) run.\n");
    }
    for line in &targets {
        let _ = writeln!(md, "{line}");
    }
    if let Some(line) = &grid_line {
        let _ = writeln!(md, "\nIssue 7's grid: {line}");
    }
    if let Some((t, summary)) = scaling {
        md.push_str("\n## Cost growth\n\n");
        md.push_str(
            "kafkacheck alone (SPIN's frontier is in shared/peers/spin/RESULTS.md), with the defaults: \
             states, wall time to every verdict and peak memory as one dimension of the question grows. \
             A factor per unit is the growth per added message, crash, consumer or partition: the \
             `delta`-th root of the growth between two sizes `delta` apart. Per axis, over the range \
             measured and over its last step (wall time from the first size taking 0.05 s or more, below \
             which start-up dominates): a question one unit bigger than the largest measured costs about \
             the largest one's states, time and memory times the last step's factor.\n\n",
        );
        md.push_str(&summary.markdown());
        md.push_str(
            "\nEvery run, the factors against the row above. An axis stops after its first run over \
             30 s; a run is stopped after 120 s (`> 120 s (stopped)`). Group rows: group assignment, \
             at-least-once, symmetry reduction over the consumers. `verdicts` lists the properties \
             that do not hold.\n\n",
        );
        md.push_str(&t.markdown());
    }
    if let Some(dir) = report_path.parent() {
        fs::create_dir_all(dir).expect("report dir");
    }
    let tmp = report_path.with_extension(format!("md.tmp{}", std::process::id()));
    fs::write(&tmp, md).expect("write report");
    fs::rename(&tmp, &report_path).expect("rename report");
    println!("\nwrote {} ({total_secs:.0} s)", report_path.display());
}
