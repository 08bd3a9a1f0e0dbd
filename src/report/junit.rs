//! JUnit XML for CI: one `<testsuite>` per scenario file, one `<testcase>`
//! per property; a `<failure>` carries the narrative when the verdict does
//! not meet the expectation. Violated properties that meet it carry their
//! trace in `<system-out>`, so the counterexample is one click away. A
//! scenario file that could not be read is a suite of one testcase whose
//! `<error>` lists its problems.
//!
//! A property the scenario does not gate (expected `any`) is a passing
//! testcase with its verdict and story in `<system-out>`, not a `<skipped>`
//! one: it was checked and has a verdict, and the gate it is part of was
//! met; CI dashboards count `skipped` as tests that did not run, which is
//! what an incomplete search is, not a verdict the file accepts.

use super::{Checked, narrative, problem_lines, xml_escape as esc};
use crate::scenario::ScenarioError;
use std::fmt::Write as _;

/// The JUnit XML document of a check run: the bad files' suites first.
pub fn junit(results: &[Checked], bad: &[ScenarioError]) -> String {
    let tests: usize = results.iter().map(|r| r.outcome.properties.len()).sum::<usize>() + bad.len();
    let failures: usize =
        results.iter().map(|r| r.outcome.properties.iter().filter(|p| !p.matches()).count()).sum();
    let seconds: f64 = results.iter().map(|r| r.outcome.seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"kafkacheck\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" time=\"{seconds:.3}\">",
        bad.len()
    );
    for e in bad {
        file_error(&mut out, e);
    }
    for r in results {
        let file = esc(&r.file.display().to_string());
        let failed = r.outcome.properties.iter().filter(|p| !p.matches()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\">",
            r.outcome.properties.len(),
            r.outcome.seconds
        );
        let _ = writeln!(out, "    <properties>");
        for (name, value) in [
            ("scenario", r.scenario.name.clone()),
            ("complete", r.outcome.complete.to_string()),
            ("unique_states", r.outcome.unique_states.to_string()),
            ("max_depth", r.outcome.max_depth.to_string()),
        ] {
            let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", esc(&value));
        }
        let _ = writeln!(out, "    </properties>");
        for p in &r.outcome.properties {
            let _ = write!(out, "    <testcase classname=\"{file}\" name=\"{}\"", esc(p.name));
            if p.matches() && p.trace.is_none() && p.expected.gated() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let story = esc(&narrative(r, p));
            if p.matches() {
                let _ = writeln!(out, "      <system-out>{story}</system-out>");
            } else {
                let _ = writeln!(
                    out,
                    "      <failure message=\"{} is {}, expected {}\" type=\"unmet-expectation\">{story}</failure>",
                    esc(p.name),
                    p.verdict,
                    p.expected
                );
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A bad scenario file as a suite of one testcase, `scenario file`, in error:
/// the message is the first problem, the text every problem on its own line.
fn file_error(out: &mut String, e: &ScenarioError) {
    let file = esc(&e.file.display().to_string());
    let problems = problem_lines(e);
    let message = match problems.as_slice() {
        [one] => format!("not checked: {one}"),
        many => format!("not checked: {} problems, the first: {}", many.len(), many[0]),
    };
    let _ = writeln!(
        out,
        "  <testsuite name=\"{file}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">\n    \
         <testcase classname=\"{file}\" name=\"scenario file\">\n      \
         <error message=\"{}\" type=\"bad-scenario-file\">{}</error>\n    </testcase>\n  </testsuite>",
        esc(&message),
        esc(&format!("{}\n", e))
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Options, check};
    use crate::verdict::Verdict;
    use std::path::Path;

    #[test]
    fn an_unmet_expectation_is_a_failure_carrying_the_escaped_story() {
        let file = Path::new("models/at-least-once.json");
        let mut scenario = crate::scenario::load(file).unwrap();
        scenario.name = "a <b> & \"c\"\u{1}".into();
        let mut outcome = check(&scenario, &Options::default());
        let dup = outcome.properties.iter_mut().find(|p| p.name == "no-duplicate").unwrap();
        assert_eq!(dup.verdict, Verdict::Violated);
        dup.expected = crate::verdict::Expectation::Holds;
        let xml = junit(&[Checked { file, scenario: &scenario, outcome: &outcome }], &[]);

        let properties = crate::properties::ALL.len();
        assert!(xml.starts_with(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kafkacheck\" tests=\"{properties}\" failures=\"1\""
        )));
        assert_eq!(xml.matches("<testsuite ").count(), 1);
        assert_eq!(xml.matches("<testcase ").count(), properties);
        assert!(xml.contains(
            "<testcase classname=\"models/at-least-once.json\" name=\"no-duplicate\">\n      \
             <failure message=\"no-duplicate is violated, expected holds\" type=\"unmet-expectation\">"
        ));
        let failure = &xml[xml.find("<failure").unwrap()..xml.find("</failure>").unwrap()];
        assert!(failure.contains("a &lt;b&gt; &amp; &quot;c&quot;\u{FFFD}"), "{failure}");
        assert!(failure.contains("verdict: violated, expected holds"), "{failure}");
        assert!(failure.contains("=&gt; duplicated: partition 0 offset 0 processed 2 times"), "{failure}");
        assert!(!xml.contains("<b>") && !xml.contains('\u{1}'));
        assert!(xml.contains("<testcase classname=\"models/at-least-once.json\" name=\"no-loss\"/>"));
    }
}
