//! The Explorer in a real browser: `kafkacheck explore models/at-least-once.json`
//! on a free loopback port, its `no-duplicate` counterexample opened by its
//! deep link in headless Chromium. The rendered page must list the
//! properties, show the consumer's crash and the second processing of
//! offset 0 in the path, and, with that step selected, the sink's count of 2.
//! A screenshot goes to `<target dir>/browser-artifacts/explorer.png` (not
//! committed).
//!
//! Without /usr/bin/chromium the test says so and passes, unless the `CI`
//! environment variable is set: CI must run it. The explorer and every
//! Chromium run in their own process groups with deadlines and are killed by
//! their pids (the explorer also when the test fails).

use kafkacheck::properties::ALL;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common {
    pub mod chromium;
}
use common::chromium::{self, artifact, kill_group};

/// How long the explorer may take to listen, and then to finish its search.
const EXPLORER_DEADLINE: Duration = Duration::from_secs(60);
/// Virtual time Chromium gives the page's scripts to fetch and render the steps.
const RENDER_BUDGET_MS: u32 = 20_000;

/// The second delivery of offset 0's output: the duplicate.
const OUTPUT_0: &str = "consumer-0 → Output p0 @0 → sink";

/// `kafkacheck explore`, killed by its pid when dropped.
struct Explorer {
    child: Child,
    addr: String,
}

impl Drop for Explorer {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

impl Explorer {
    fn start(model: &str) -> Explorer {
        use std::os::unix::process::CommandExt;
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_kafkacheck"))
            .args(["explore", model, "--addr", &addr])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("kafkacheck starts");
        let mut explorer = Explorer { child, addr };
        let deadline = Instant::now() + EXPLORER_DEADLINE;
        while TcpStream::connect(&explorer.addr).is_err() {
            if let Some(status) = explorer.child.try_wait().unwrap() {
                panic!("kafkacheck explore exited with {status} before listening on {}", explorer.addr);
            }
            assert!(Instant::now() < deadline, "the explorer did not listen on {} in time", explorer.addr);
            std::thread::sleep(Duration::from_millis(50));
        }
        explorer
    }

    /// One HTTP/1.1 request; the response's status line and body.
    fn request(&self, method: &str, path: &str) -> (String, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        (head.lines().next().unwrap_or("").to_string(), body.to_string())
    }

    fn status(&self) -> serde_json::Value {
        let (status, body) = self.request("GET", "/.status");
        assert!(status.starts_with("HTTP/1.1 200"), "GET /.status: {status}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET /.status: {e}: {body}"))
    }

    /// Runs the search to the end and returns the encoded path of the
    /// property's discovery (the checker may replace a discovery while it
    /// runs, so only a finished search's is final).
    fn discovery(&self, property: &str) -> String {
        let (status, _) = self.request("POST", "/.runtocompletion");
        assert!(status.starts_with("HTTP/1.1 200"), "POST /.runtocompletion: {status}");
        let deadline = Instant::now() + EXPLORER_DEADLINE;
        loop {
            let status = self.status();
            if status["done"] == true {
                let found = status["properties"].as_array().unwrap().iter().find(|p| p[1] == property);
                let found = found.unwrap_or_else(|| panic!("{property} is not listed: {status}"));
                return found[2]
                    .as_str()
                    .unwrap_or_else(|| panic!("{property} has no discovery: {status}"))
                    .into();
            }
            assert!(Instant::now() < deadline, "the search did not finish in time: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Runs headless Chromium on `url` with `args`, giving the page's scripts
/// virtual time to fetch and render the steps; returns its stdout.
fn chromium(url: &str, args: &[String]) -> String {
    let budget = format!("--virtual-time-budget={RENDER_BUDGET_MS}");
    let all: Vec<String> =
        std::iter::once(budget).chain(args.iter().cloned()).chain([url.to_string()]).collect();
    chromium::run(&all)
}

/// The text of an HTML fragment: tags removed, the entities knockout's
/// `text` binding produces decoded.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        rest = rest[open..].split_once('>').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// The entries of the "Path of Actions" list, in order, each with whether it is the selected step.
fn path_of_actions(dom: &str) -> Vec<(String, bool)> {
    let list = dom.split_once("<ol class=\"path-list\"").expect("the page has a path list").1;
    let list = list.split_once("</ol>").expect("the path list ends").0;
    list.split("<a ")
        .skip(1)
        .map(|a| {
            let (attributes, body) = a.split_once('>').unwrap();
            let entry = text(body.split_once("</a>").unwrap().0).trim().to_string();
            let class = attributes.split_once("class=\"").map_or("", |(_, c)| c.split('"').next().unwrap());
            (entry, class.split_whitespace().any(|c| c == "is-selected-state"))
        })
        .collect()
}

/// The text of the "Current State" panel (knockout renders the selected step's state there).
fn current_state(dom: &str) -> String {
    let section = dom.split_once("Current State</h2>").expect("the page has a Current State section").1;
    let panel = section.rsplit_once("white-space: pre-wrap").expect("the state panel is rendered").1;
    text(panel.split_once('>').unwrap().1.split_once("</div>").unwrap().0)
}

#[test]
fn the_explorer_shows_the_crash_and_the_duplicate_of_the_no_duplicate_counterexample() {
    if !chromium::available() {
        return;
    }
    let explorer = Explorer::start("models/at-least-once.json");
    let discovery = explorer.discovery("no-duplicate");
    let deep_link = format!("http://{}/#/steps/{discovery}", explorer.addr);

    // The counterexample's last state selected, as the property's link opens it.
    let dom = chromium(&deep_link, &["--dump-dom".into()]);
    let page = text(&dom);
    assert!(page.contains("Counterexample found"), "the discovery is not shown:\n{page}");
    for p in ALL.iter() {
        let kind = format!("{:?}", p.expectation());
        assert!(page.contains(&format!("{kind} {}", p.name)), "property {} is not listed:\n{page}", p.name);
    }
    let steps = path_of_actions(&dom);
    let names: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names.len(), discovery.split('/').count() + 1, "Pre-init, Init 0 and each step: {names:#?}");
    assert!(steps.last().unwrap().1, "the deep link selects the last step: {steps:#?}");
    let crash = names.iter().position(|s| *s == "crash consumer-0").expect("the path shows the crash");
    let outputs: Vec<usize> = (0..names.len()).filter(|&i| names[i] == OUTPUT_0).collect();
    assert_eq!(outputs.len(), 2, "offset 0 of partition 0 is processed twice: {names:#?}");
    assert!(outputs[0] < crash && crash < outputs[1], "processed, crashed, processed again: {names:#?}");
    assert!(names[crash..outputs[1]].contains(&"recover consumer-0"), "{names:#?}");

    // The same link with the duplicate's step selected: the sink's state shows it.
    let offset = names.len() - 1 - outputs[1];
    let duplicate = format!("{deep_link}?offset={offset}");
    let dom = chromium(&duplicate, &["--dump-dom".into()]);
    let selected: Vec<String> =
        path_of_actions(&dom).into_iter().filter(|(_, selected)| *selected).map(|(s, _)| s).collect();
    assert_eq!(selected, [OUTPUT_0], "the second processing of offset 0 is selected");
    let state = current_state(&dom);
    let (next, prev) = state.split_once("PREV_STATE:").unwrap_or_else(|| panic!("not a step:\n{state}"));
    assert!(
        next.contains("NEXT_STATE: sink: times each record was applied {")
            && next.contains("partition 0: offset 0 ×2 (duplicate)"),
        "the sink applied offset 0 twice:\n{state}"
    );
    assert!(prev.contains("partition 0: offset 0 ×1"), "once before this step:\n{state}");

    let png = artifact("explorer.png");
    let _ = std::fs::remove_file(&png);
    chromium(&duplicate, &[format!("--screenshot={}", png.display()), "--window-size=1400,1600".into()]);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", png.display());
    println!("deep link: {duplicate}\nscreenshot: {}", png.display());
}
