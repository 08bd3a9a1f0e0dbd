//! `kafkacheck explore FILE`: Stateright's Explorer UI opened on the
//! scenario, with the verdicts and counterexamples `check` finds.
//!
//! # Why a server of our own in front of Stateright's UI
//!
//! Stateright 0.31 serves its Explorer from `CheckerBuilder::serve`
//! (`src/checker/explorer.rs` of the stateright crate): a `tiny_http` loop
//! with fixed routes, `/` (its `index.htm`, compiled in with
//! `include_bytes!`), `/app.js`, `/app.css`, `/knockout-3.5.0.js`, and three
//! JSON routes its page polls: `/.status` (counts and each property's
//! discovery as an encoded path), `/.states/<i>/<j>/…` (the steps out of
//! the state those action indices reach, each with its state, outcome and
//! SVG) and `POST /.runtocompletion`. There is no hook to add a route or to
//! change a file, and its discoveries are those of its own on-demand search,
//! not the shortest counterexamples `check` reports (for at-least-once's
//! `no-duplicate`, 28 steps instead of `check`'s 12). Injecting into
//! it would need a proxy on a second port rewriting its pages in flight.
//!
//! So this module serves the same page (a copy of its UI files, in
//! `assets/explorer/`, changed where said there) and the same three JSON
//! shapes over the public [`Model`] API, with the same `tiny_http`, plus a
//! landing page at `/` (`landing.rs`). The search behind it is `check`'s own
//! ([`crate::check::check`], run once in the background when the server
//! starts): the landing page and the Explorer's property links show its
//! verdicts, and each counterexample link opens `check`'s shortest path,
//! step by step. Browsing (`/.states`) replays action indices on the model
//! and needs no search, so it works while the check still runs.

mod backend;
mod icons;
mod landing;

use crate::check::{self, Options, Outcome};
use crate::model::{self, KafkaModel};
use crate::scenario::{self, Scenario};
use stateright::{Model, Path};
use std::path::{Path as FilePath, PathBuf};
use std::sync::{Arc, Mutex};
use tiny_http::{Header, Method, Response, ResponseBox, StatusCode};

/// The scenario served, the model its pages replay, and the check's result once known.
pub struct Explorer {
    pub file: PathBuf,
    pub scenario: Scenario,
    pub model: KafkaModel,
    checked: Mutex<Option<Checked>>,
    /// Why the check ended without a result (it panicked), if it did.
    failed: Mutex<Option<String>>,
}

/// What `check` found, with each property's counterexample as the
/// Explorer's encoded path (`0/3/1/…`: the initial state's index, then each
/// step's index among the steps offered), in the order of the outcome's properties.
pub struct Checked {
    pub outcome: Outcome,
    pub paths: Vec<Option<String>>,
}

/// The last progress line of the background check (`check` reports through a plain `fn`).
static PROGRESS: Mutex<String> = Mutex::new(String::new());

fn note_progress(p: &check::Progress) {
    *PROGRESS.lock().unwrap_or_else(|e| e.into_inner()) = crate::progress::line(p);
}

impl Explorer {
    pub fn new(file: &FilePath, scenario: Scenario) -> Self {
        let model = model::build(&scenario);
        Explorer {
            file: file.to_path_buf(),
            scenario,
            model,
            checked: Mutex::new(None),
            failed: Mutex::new(None),
        }
    }

    /// Runs `check` with its defaults (as `kafkacheck check FILE` does) and keeps the result.
    pub fn check(&self) {
        let options = Options { progress: Some(note_progress), ..Options::default() };
        let outcome = check::check(&self.scenario, &options);
        let paths =
            outcome.properties.iter().map(|p| p.actions.as_ref().and_then(|a| self.encode(a))).collect();
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()) = Some(Checked { outcome, paths });
    }

    /// The Explorer's encoding of a path from the initial state; `None` if
    /// the model does not offer one of its steps (it always does for a path
    /// the checker found).
    pub fn encode(&self, actions: &[model::KafkaAction]) -> Option<String> {
        let init = self.model.init_states().into_iter().next()?;
        Some(Path::from_actions(&self.model, init, actions)?.encode(&self.model))
    }

    /// Reads the check's result, or `None` while it runs.
    pub fn with_checked<T>(&self, f: impl FnOnce(Option<&Checked>) -> T) -> T {
        f(self.checked.lock().unwrap_or_else(|e| e.into_inner()).as_ref())
    }

    /// The check's last progress line (empty before the first, a second
    /// in), or why it failed.
    pub fn progress(&self) -> String {
        if let Some(why) = self.failed() {
            return format!("the check failed: {why}");
        }
        PROGRESS.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Why the check ended without a result, if it did.
    pub fn failed(&self) -> Option<String> {
        self.failed.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs [`Explorer::check`], recording a panic as the reason it failed
    /// (the pages then say so instead of "checking" for ever; browsing
    /// goes on working).
    pub fn check_or_record_failure(&self) {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.check()));
        if let Err(panic) = run {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "it panicked".into());
            *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        }
    }

    /// The response to one request.
    fn respond(&self, method: &Method, url: &str) -> ResponseBox {
        let (path, _query) = url.split_once('?').unwrap_or((url, ""));
        match (method, path) {
            (Method::Get, "/") => html(landing::page(self)),
            (Method::Get, "/explorer") => html(include_str!("../../assets/explorer/index.htm").to_string()),
            (Method::Get, "/app.js") => {
                asset(include_str!("../../assets/explorer/app.js"), "text/javascript")
            }
            (Method::Get, "/icons.js") => asset(&icons::script(), "text/javascript"),
            (Method::Get, "/app.css") => asset(include_str!("../../assets/explorer/app.css"), "text/css"),
            (Method::Get, "/knockout-3.5.0.js") => {
                asset(include_str!("../../assets/explorer/knockout-3.5.0.js"), "text/javascript")
            }
            (Method::Get, "/.status") => json(&backend::status(self)),
            (Method::Get, p) if p.starts_with("/.states") => {
                match backend::states(self, &p["/.states".len()..]) {
                    Ok(views) => json(&serde_json::Value::Array(views)),
                    Err(e) => Response::from_string(e).with_status_code(StatusCode(404)).boxed(),
                }
            }
            _ => Response::empty(StatusCode(404)).boxed(),
        }
    }
}

fn header(content_type: &str) -> Header {
    Header::from_bytes("Content-Type", format!("{content_type}; charset=utf-8")).expect("a valid header")
}

fn html(page: String) -> ResponseBox {
    Response::from_string(page).with_header(header("text/html")).boxed()
}

fn asset(text: &str, content_type: &str) -> ResponseBox {
    Response::from_string(text).with_header(header(content_type)).boxed()
}

fn json(value: &serde_json::Value) -> ResponseBox {
    Response::from_string(value.to_string()).with_header(header("application/json")).boxed()
}

/// `kafkacheck explore FILE --addr ADDR`: serves until killed; returns the
/// exit status when it cannot start (a bad file, an address in use).
pub fn run(file: &FilePath, addr: std::net::SocketAddr) -> i32 {
    let scenario = match scenario::load(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::cli::EXIT_BAD_INPUT;
        }
    };
    let server = match tiny_http::Server::http(addr) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return crate::cli::EXIT_BAD_INPUT;
        }
    };
    let explorer = Arc::new(Explorer::new(file, scenario));
    println!("Explorer for {} at http://{addr}/", explorer.scenario.name);
    let checking = Arc::clone(&explorer);
    std::thread::spawn(move || checking.check_or_record_failure());
    // One request at a time, as Stateright's own server does: the pages are
    // small and replaying a path takes milliseconds.
    for request in server.incoming_requests() {
        let response = explorer.respond(request.method(), request.url());
        let _ = request.respond(response);
    }
    crate::cli::EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_least_once() -> Explorer {
        let file = FilePath::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/at-least-once.json"));
        let explorer = Explorer::new(file, scenario::load(file).unwrap());
        explorer.check();
        explorer
    }

    #[test]
    fn the_status_links_each_violated_property_to_checks_counterexample() {
        let explorer = at_least_once();
        let status = backend::status(&explorer);
        assert_eq!(status["done"], true);
        let properties = status["properties"].as_array().unwrap();
        assert_eq!(properties.len(), crate::properties::ALL.len());
        explorer.with_checked(|c| {
            let c = c.expect("checked");
            for (p, listed) in c.outcome.properties.iter().zip(properties) {
                assert_eq!(listed[1], p.name);
                let path = p.actions.as_ref().map(|a| explorer.encode(a).expect("an offered path"));
                assert_eq!(listed[2].as_str(), path.as_deref(), "{}", p.name);
                assert_eq!(path.is_some(), p.verdict == crate::verdict::Verdict::Violated, "{}", p.name);
            }
        });
    }

    #[test]
    fn the_states_route_replays_indices_and_refuses_what_is_not_a_path() {
        let explorer = at_least_once();
        let init = backend::states(&explorer, "").unwrap();
        assert_eq!(init.len(), 1);
        assert_eq!(init[0]["actionIndex"], 0);
        let first = backend::states(&explorer, "/0").unwrap();
        let names: Vec<&str> = first.iter().map(|v| v["action"].as_str().unwrap()).collect();
        assert_eq!(names, ["consumer-0 → OffsetFetch p0 → coordinator", "crash consumer-0"]);
        assert!(first[0]["svg"].as_str().unwrap().contains(">1. OffsetFetch p0</tspan></text>"));
        let outcome = first[0]["outcome"].as_str().unwrap();
        assert!(outcome.contains("sends: coordinator → OffsetFetchResponse p0 none"), "{outcome}");
        assert!(outcome.contains("UNCHANGED: coordinator"), "answering changes nothing: {outcome}");
        assert_eq!(backend::states(&explorer, "/0/").unwrap(), first, "a trailing slash is the same path");
        assert!(backend::states(&explorer, "/0/7").is_err(), "no such step");
        assert!(backend::states(&explorer, "/1").is_err(), "no such initial state");
        assert!(backend::states(&explorer, "/0/x").is_err());
        assert!(backend::states(&explorer, "0").is_err());
    }

    #[test]
    fn the_landing_page_escapes_the_scenario_and_reloads_until_checked() {
        let file = FilePath::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/at-least-once.json"));
        let mut scenario = scenario::load(file).unwrap();
        scenario.description = "a <b>bold</b> & odd description".into();
        let explorer = Explorer::new(file, scenario);
        let page = landing::page(&explorer);
        assert!(page.contains("a &lt;b&gt;bold&lt;/b&gt; &amp; odd description"), "{page}");
        assert!(page.contains("http-equiv=\"refresh\""), "not checked yet: the page reloads itself");
        assert!(page.contains("checking…"), "{page}");
        *explorer.failed.lock().unwrap() = Some("out of memory".into());
        let page = landing::page(&explorer);
        assert!(page.contains("the check failed: out of memory"), "{page}");
        assert!(!page.contains("http-equiv=\"refresh\""), "failed: no reload");
        assert_eq!(backend::status(&explorer)["recent_path"], "the check failed: out of memory");
        *explorer.failed.lock().unwrap() = None;
        explorer.check();
        let page = landing::page(&explorer);
        assert!(!page.contains("http-equiv=\"refresh\""), "checked: no reload");
        assert!(page.contains("open its "), "{page}");
    }
}
