//! The page `explore FILE` opens on: the scenario, its properties with their
//! expected verdicts and what `check` found, and for each violated property
//! a link that opens `check`'s shortest counterexample in the Explorer,
//! step by step. Until the check is done the page says so and reloads itself.

use super::{Explorer, icons};
use crate::properties::ALL;
use crate::verdict::{Expectation, Verdict};
use std::fmt::Write;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "
main.landing { max-width: 70em; margin: 0 auto; padding: 0.5em 1em 2em; }
main.landing p { line-height: 1.4; }
table.properties { border-collapse: collapse; width: 100%; margin-top: 0.5em; }
table.properties th, table.properties td { text-align: left; vertical-align: top; padding: 0.45em 0.6em;
  border-bottom: solid 1px var(--bg-drk); }
table.properties small { color: var(--fg-med); }
svg.icon { vertical-align: -2px; }
";

/// One row of the properties table.
struct Row<'a> {
    name: &'a str,
    expected: Expectation,
    found: Option<Verdict>,
    /// The encoded counterexample, its number of steps and why it violates the property.
    counterexample: Option<(String, usize, String)>,
}

fn row(out: &mut String, r: &Row) {
    let meaning = ALL.iter().find(|p| p.name == r.name).map_or("", |p| p.meaning);
    let icon = match r.found {
        None => "searching",
        Some(v) => v.as_str(),
    };
    let found = match r.found {
        None => "checking…".to_string(),
        Some(v) if r.expected.admits(v) => v.to_string(),
        Some(v) => format!("{v} {} (expected {})", icons::svg("unmet"), r.expected),
    };
    let link = match &r.counterexample {
        None => String::new(),
        Some((path, steps, why)) => format!(
            "<a class=\"counterexample\" data-steps=\"{steps}\" href=\"/explorer#/steps/{path}\">\
             open its {steps}-step counterexample in the Explorer</a><br><small>{}</small>",
            escape(why)
        ),
    };
    let _ = writeln!(
        out,
        "<tr data-property=\"{name}\"><td class=\"status\">{}</td>\
         <td><b class=\"font-code\">{name}</b><br><small>{}</small></td>\
         <td class=\"expected\">{}</td><td class=\"found\">{found}</td><td>{link}</td></tr>",
        icons::svg(icon),
        escape(meaning),
        r.expected,
        name = escape(r.name),
    );
}

/// What the check did, in a sentence, and the table's rows.
fn rows(explorer: &Explorer) -> (String, Vec<Row<'static>>) {
    explorer.with_checked(|checked| match checked {
        None => {
            let progress = explorer.progress();
            let status = match (explorer.failed(), progress.is_empty()) {
                (Some(_), _) => escape(&progress),
                (None, true) => "checking…".to_string(),
                (None, false) => format!("checking: {}", escape(&progress)),
            };
            let rows = ALL
                .iter()
                .map(|p| Row {
                    name: p.name,
                    expected: explorer.scenario.expected(p.name),
                    found: None,
                    counterexample: None,
                })
                .collect();
            (status, rows)
        }
        Some(c) => {
            let o = &c.outcome;
            let unmet = o.properties.iter().filter(|p| !p.matches()).count();
            let status = format!(
                "<code>kafkacheck check</code> searched {} states to depth {} in {:.2} s ({}): {}.",
                o.unique_states,
                o.max_depth,
                o.seconds,
                if o.complete { "every reachable state" } else { "the search stopped early" },
                match unmet {
                    0 => "every expectation met".to_string(),
                    n => format!("{n} expectation(s) not met"),
                }
            );
            let rows = o
                .properties
                .iter()
                .zip(&c.paths)
                .map(|(p, path)| {
                    let counterexample = path.as_ref().map(|path| {
                        let steps = p.actions.as_ref().map_or(0, Vec::len);
                        let why = p.trace.as_ref().map_or(String::new(), |t| t.violation.clone());
                        (path.clone(), steps, why)
                    });
                    Row { name: p.name, expected: p.expected, found: Some(p.verdict), counterexample }
                })
                .collect();
            (status, rows)
        }
    })
}

/// The landing page's HTML.
pub fn page(explorer: &Explorer) -> String {
    let (status, rows) = rows(explorer);
    // Reloads itself until the check has a result, or has failed.
    let done = rows.iter().all(|r| r.found.is_some()) || explorer.failed().is_some();
    let name = escape(&explorer.scenario.name);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
         <title>{name} — kafkacheck explore</title>\n{}\
         <link rel=\"stylesheet\" href=\"/app.css\" />\n<style>{STYLE}</style>\n</head>\n\
         <body class=\"color-med\">\n<header class=\"header color-dark\"><h1><a href=\"/\">kafkacheck Explorer</a></h1>\
         <span class=\"header-links-container\"><a id=\"explore-start\" href=\"/explorer#/steps\">explore from the start</a></span></header>\n\
         <main class=\"landing\">\n<h2 id=\"scenario-name\">{name}</h2>\n\
         <p class=\"font-code\" id=\"scenario-file\">{}</p>\n<p id=\"description\">{}</p>\n\
         <p id=\"check-status\">{status}</p>\n",
        if done { "" } else { "<meta http-equiv=\"refresh\" content=\"2\" />\n" },
        escape(&explorer.file.display().to_string()),
        escape(&explorer.scenario.description),
    );
    out.push_str(
        "<table class=\"properties\" id=\"properties\">\n<thead><tr><th></th><th>property</th><th>expected</th>\
         <th>found</th><th>counterexample</th></tr></thead>\n<tbody>\n",
    );
    for r in &rows {
        row(&mut out, r);
    }
    out.push_str(
        "</tbody></table>\n<p>Each counterexample is the shortest one, the path <code>kafkacheck check</code> \
         prints; in the Explorer, the arrow keys (or j and k) step along it.</p>\n</main>\n</body>\n</html>\n",
    );
    out
}
