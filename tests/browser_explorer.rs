//! The Explorer in a real browser: `kafkacheck explore models/at-least-once.json`
//! on a free loopback port, its pages rendered by headless Chromium.
//!
//! - The landing page (`/`) names the scenario, gives its description and
//!   every property with its expected verdict and what `check` found, and
//!   links each violated property to `check`'s own shortest counterexample
//!   (the same path, step for step, as `kafkacheck::check::check` returns).
//! - That link opens the path in the Explorer with its length, the crash and
//!   the second processing of offset 0; with that step selected the sink's
//!   state shows the count of 2.
//! - The diagram labels its steps as the path list does (`OffsetFetchResponse
//!   p0 none (to incarnation 0)`), never as Rust `Debug` (`incarnation: 0`).
//! - The status icons are inline `<svg>` elements; no emoji or private-use
//!   character that needs a font the machine may not have is on either page.
//!
//! Screenshots go to `<target dir>/browser-artifacts/explorer-*.png` (not
//! committed). Without /usr/bin/chromium the tests say so and pass, unless
//! the `CI` environment variable is set: CI must run them. The explorer and
//! every Chromium run in their own process groups with deadlines and are
//! killed by their pids (the explorer also when a test fails); the explorer
//! listens on 127.0.0.1 only.

use kafkacheck::check::{self, Options, PropertyOutcome};
use kafkacheck::model;
use kafkacheck::scenario;
use kafkacheck::verdict::Verdict;
use stateright::Model;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common {
    pub mod chromium;
}
use common::chromium::{self, artifact, kill_group};

const MODEL: &str = "models/at-least-once.json";

/// How long the explorer may take to listen, and then to finish its check.
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
    /// Starts the explorer on `model` and waits until its check is done.
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
        loop {
            let status = explorer.status();
            if status["done"] == true {
                break;
            }
            assert!(Instant::now() < deadline, "the check did not finish in time: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
        explorer
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
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
}

/// What `kafkacheck check` finds for `MODEL`, with its default options, as the library gives it.
fn checked() -> (model::KafkaModel, Vec<PropertyOutcome>) {
    let scenario = scenario::load(std::path::Path::new(MODEL)).unwrap();
    let outcome = check::check(&scenario, &Options::default());
    (model::build(&scenario), outcome.properties)
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

/// The row of the landing page's properties table for `property`.
fn landing_row<'a>(dom: &'a str, property: &str) -> &'a str {
    let start = dom
        .find(&format!("<tr data-property=\"{property}\""))
        .unwrap_or_else(|| panic!("no row for {property}"));
    let row = &dom[start..];
    &row[..row.find("</tr>").expect("the row ends")]
}

/// The value of attribute `name` in the first tag of `html` that has it.
fn attribute<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let at = html.find(&format!("{name}=\""))? + name.len() + 2;
    html[at..].split('"').next()
}

/// The inline SVG of the Current State panel (the diagram of the path to the selected step).
fn diagram(dom: &str) -> &str {
    let section = dom.split_once("Current State</h2>").expect("the page has a Current State section").1;
    let start = section.find("<svg").expect("the state panel has a diagram");
    let svg = &section[start..];
    &svg[..svg.find("</svg>").expect("the diagram ends") + "</svg>".len()]
}

/// Characters that need an emoji or symbol font (or are private-use glyphs):
/// drawn as empty boxes where no such font is installed.
fn needs_a_special_font(c: char) -> bool {
    matches!(c as u32, 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xE000..=0xF8FF | 0xFE00..=0xFE0F | 0x1F000..=0x1FAFF)
}

#[test]
fn the_landing_page_shows_the_scenario_its_expectations_and_checks_counterexamples() {
    if !chromium::available() {
        return;
    }
    let (_, outcomes) = checked();
    let explorer = Explorer::start(MODEL);
    let dom = chromium(&explorer.url("/"), &["--dump-dom".into()]);
    let page = text(&dom);
    let scenario = scenario::load(std::path::Path::new(MODEL)).unwrap();
    assert!(page.contains(&scenario.name), "the scenario's name:\n{page}");
    assert!(page.contains(&scenario.description), "its description:\n{page}");
    assert!(page.contains("every expectation met"), "the check's result:\n{page}");
    let mut violated = 0;
    for p in &outcomes {
        let row = landing_row(&dom, p.name);
        let cell = |class: &str| {
            let at =
                row.find(&format!("class=\"{class}\"")).unwrap_or_else(|| panic!("{}: no {class}", p.name));
            text(row[at..].split_once('>').unwrap().1.split_once("</td>").unwrap().0)
        };
        assert_eq!(cell("expected"), p.expected.as_str(), "{}: {row}", p.name);
        assert_eq!(cell("found"), p.verdict.as_str(), "{}: {row}", p.name);
        let icon = row.split_once("class=\"status\">").unwrap().1;
        assert!(icon.starts_with("<svg"), "{}: the icon is drawn: {row}", p.name);
        assert_eq!(attribute(icon, "aria-label"), Some(p.verdict.as_str()), "{}: {row}", p.name);
        let link = row.find("class=\"counterexample\"").map(|at| &row[at..]);
        match (p.verdict, link, &p.actions) {
            (Verdict::Violated, Some(link), Some(actions)) => {
                violated += 1;
                let href = attribute(link, "href").unwrap();
                let path = href.strip_prefix("/explorer#/steps/").unwrap_or_else(|| panic!("{href}"));
                assert_eq!(
                    path.split('/').count(),
                    actions.len() + 1,
                    "the initial state and each step: {href}"
                );
                assert_eq!(attribute(link, "data-steps"), Some(actions.len().to_string().as_str()));
                let words = format!("open its {}-step counterexample", actions.len());
                assert!(text(link).contains(&words), "{}: {link}", p.name);
            }
            (Verdict::Violated, link, _) => panic!("{}: violated, with a link {link:?}", p.name),
            (_, link, _) => assert!(link.is_none(), "{}: a link, but {}", p.name, p.verdict),
        }
    }
    assert_eq!(violated, 1, "at-least-once violates no-duplicate only");
    assert!(!page.chars().any(needs_a_special_font), "a glyph that needs a special font:\n{page}");
    screenshot(&explorer.url("/"), "explorer-landing.png");
}

#[test]
fn the_counterexample_link_opens_checks_path_step_by_step_in_kafka_terms() {
    if !chromium::available() {
        return;
    }
    let (model, outcomes) = checked();
    let no_duplicate = outcomes.iter().find(|p| p.name == "no-duplicate").unwrap();
    let actions = no_duplicate.actions.as_ref().expect("check's counterexample");
    let explorer = Explorer::start(MODEL);
    let (_, landing) = explorer.request("GET", "/");
    let href = attribute(landing_row(&landing, "no-duplicate"), "href")
        .expect("the counterexample's link")
        .to_string();
    let deep_link = explorer.url(&href);

    // As the link opens it: the counterexample's last state selected.
    let dom = chromium(&deep_link, &["--dump-dom".into()]);
    let page = text(&dom);
    assert!(page.contains("Counterexample found"), "the discovery is not shown:\n{page}");
    let steps = path_of_actions(&dom);
    let names: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    let expected: Vec<String> = ["Pre-init".to_string(), "Init 0".to_string()]
        .into_iter()
        .chain(actions.iter().map(|a| model.format_action(a)))
        .collect();
    assert_eq!(names, expected, "the path is check's, step for step");
    assert!(steps.last().unwrap().1, "the deep link selects the last step: {steps:#?}");
    let crash = names.iter().position(|s| *s == "crash consumer-0").expect("the path shows the crash");
    let outputs: Vec<usize> = (0..names.len()).filter(|&i| names[i] == OUTPUT_0).collect();
    assert_eq!(outputs.len(), 2, "offset 0 of partition 0 is processed twice: {names:#?}");
    assert!(outputs[0] < crash && crash < outputs[1], "processed, crashed, processed again: {names:#?}");
    assert!(names[crash..outputs[1]].contains(&"recover consumer-0"), "{names:#?}");

    // The diagram: a row per step, labelled as the path list is.
    let svg = diagram(&dom);
    let labels: Vec<String> = svg
        .split("class=\"svg-event-label\"")
        .skip(1)
        .map(|t| text(t.split_once('>').unwrap().1.split_once("</text>").unwrap().0))
        .collect();
    assert_eq!(labels.len(), actions.len(), "a label per step: {labels:#?}");
    assert_eq!(labels[0], "1. OffsetFetch p0", "{labels:#?}");
    assert_eq!(labels[1], "2. OffsetFetchResponse p0 none (to incarnation 0)", "{labels:#?}");
    assert_eq!(labels[crash - 2], format!("{}. crash consumer-0", crash - 1), "{labels:#?}");
    assert_eq!(labels[outputs[1] - 2], format!("{}. Output p0 @0", outputs[1] - 1), "{labels:#?}");
    let svg_text = text(svg);
    assert!(
        !svg_text.contains("incarnation:") && !svg_text.contains(" { "),
        "Rust Debug in the diagram:\n{svg_text}"
    );

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
    assert!(state.contains("sends: sink → OutputAck p0 @0"), "what the step sent, in words:\n{state}");
    screenshot(&duplicate, "explorer.png");
}

#[test]
fn the_explorers_status_icons_are_inline_svg() {
    if !chromium::available() {
        return;
    }
    let explorer = Explorer::start(MODEL);
    let (_, landing) = explorer.request("GET", "/");
    let href = attribute(landing_row(&landing, "no-duplicate"), "href").unwrap().to_string();
    let dom = chromium(&explorer.url(&href), &["--dump-dom".into()]);
    let global = dom.split_once("<h3>Global</h3>").expect("the properties list").1;
    let global = global.split_once("</ul>").unwrap().0;
    let items: Vec<&str> = global.split("<li>").skip(1).collect();
    assert_eq!(items.len(), kafkacheck::properties::ALL.len(), "a line per property: {global}");
    for item in items {
        let icon = item.split_once("class=\"status-icon\"").unwrap_or_else(|| panic!("no icon: {item}")).1;
        let icon = icon.split_once('>').unwrap().1;
        assert!(icon.starts_with("<svg"), "the icon is an inline SVG: {item}");
        let label = attribute(icon, "aria-label").unwrap();
        let expected = if item.contains("no-duplicate") { "violated" } else { "holds" };
        assert_eq!(label, expected, "{item}");
    }
    let page = text(&dom);
    assert!(!page.chars().any(needs_a_special_font), "a glyph that needs a special font:\n{page}");
}

/// Renders `url` to `<target dir>/browser-artifacts/NAME` at 1400 px wide and checks it is a PNG.
fn screenshot(url: &str, name: &str) {
    let png = artifact(name);
    let _ = std::fs::remove_file(&png);
    chromium(url, &[format!("--screenshot={}", png.display()), "--window-size=1400,1100".into()]);
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", png.display());
    println!("{url}\nscreenshot: {}", png.display());
}
