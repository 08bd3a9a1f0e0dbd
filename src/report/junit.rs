//! JUnit XML for CI, written with quick-junit (the crate cargo-nextest
//! writes its JUnit with): one `<testsuite>` per scenario file, one
//! `<testcase>` per property.
//!
//! A verdict that does not meet its expectation is a `<failure>` carrying the
//! narrative; an `unknown` verdict is `<skipped>` instead, with why the check
//! stopped and how far it got in its message: no regression was shown, and
//! CI dashboards count it apart from the failures (the exit status still
//! says the expectation was not met). Violated properties that meet their
//! expectation carry their trace in `<system-out>`, so the counterexample is
//! one click away. A scenario file that could not be read is a testsuite
//! holding one `<error>` testcase ([`file_error`]), listed first.
//!
//! A property the scenario does not gate (expected `any`) is a passing
//! testcase with its verdict and story in `<system-out>`, not a `<skipped>`
//! one: it was checked and has a verdict, and the gate it is part of was
//! met; `skipped` is kept for what did not finish, an `unknown` verdict.

use super::{Checked, narrative, problem_lines};
use crate::scenario::ScenarioError;
use crate::verdict::Verdict;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::path::Path;
use std::time::Duration;

/// The JUnit XML document of a check run: the bad files' suites first.
pub fn junit(results: &[Checked], bad: &[ScenarioError]) -> String {
    junit_named("kafkacheck", results, bad)
}

/// [`junit`] with its `<testsuites>` named `name` (`check --shard`'s names the shard).
pub fn junit_named(name: &str, results: &[Checked], bad: &[ScenarioError]) -> String {
    let file_errors = bad.iter().map(|e| {
        let problems = problem_lines(e);
        let message = match problems.as_slice() {
            [one] => format!("not checked: {one}"),
            many => format!("not checked: {} problems, the first: {}", many.len(), many[0]),
        };
        file_error(&e.file, &message, &problems)
    });
    junit_report(name, results, file_errors.collect())
}

/// The JUnit XML document of a check run whose bad files are `file_errors`
/// (each made by [`file_error`]), listed before the checked ones.
pub fn junit_with(results: &[Checked], file_errors: Vec<TestSuite>) -> String {
    junit_report("kafkacheck", results, file_errors)
}

fn junit_report(name: &str, results: &[Checked], file_errors: Vec<TestSuite>) -> String {
    let mut report = Report::new(name);
    report.set_time(Duration::from_secs_f64(results.iter().map(|r| r.outcome.seconds).sum()));
    report.add_test_suites(file_errors);
    report.add_test_suites(results.iter().map(suite));
    report.to_string().unwrap_or_else(|e| format!("<!-- kafkacheck: cannot write JUnit XML: {e} -->\n"))
}

/// A scenario file that could not be checked: a testsuite named by the file
/// holding one testcase, `scenario file`, in `<error>` with `message` and
/// every problem found, one a line.
pub fn file_error(path: &Path, message: &str, problems: &[String]) -> TestSuite {
    let file = path.display().to_string();
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(message).set_type("bad-scenario-file").set_description(problems.join("\n"));
    let mut case = TestCase::new("scenario file", status);
    case.set_classname(file.as_str());
    let mut suite = TestSuite::new(file);
    suite.add_test_case(case);
    suite
}

fn suite(r: &Checked) -> TestSuite {
    let file = r.file.display().to_string();
    let mut suite = TestSuite::new(file.as_str());
    suite.set_time(Duration::from_secs_f64(r.outcome.seconds));
    let mut properties = vec![
        ("scenario", r.scenario.name.clone()),
        ("complete", r.outcome.complete.to_string()),
        ("unique_states", r.outcome.unique_states.to_string()),
        ("max_depth", r.outcome.max_depth.to_string()),
    ];
    if let Some(incomplete) = &r.outcome.incomplete {
        properties.push(("incomplete", incomplete.reason.name().to_string()));
    }
    suite.add_properties(properties.into_iter().map(|(name, value)| Property::new(name, value)));
    for p in &r.outcome.properties {
        let mut status = if p.matches() {
            TestCaseStatus::success()
        } else if p.verdict == Verdict::Unknown {
            TestCaseStatus::skipped()
        } else {
            TestCaseStatus::non_success(NonSuccessKind::Failure)
        };
        if !p.matches() {
            let message = match (&status, &r.outcome.incomplete) {
                (TestCaseStatus::Skipped { .. }, Some(why)) => format!("unknown: {}", why.message()),
                _ => format!("{} is {}, expected {}", p.name, p.verdict, p.expected),
            };
            let kind = if p.verdict == Verdict::Unknown { "unknown" } else { "unmet-expectation" };
            status.set_message(message).set_type(kind).set_description(narrative(r, p));
        }
        let mut case = TestCase::new(p.name, status);
        case.set_classname(file.as_str());
        if p.matches() && (p.trace.is_some() || !p.expected.gated()) {
            case.set_system_out(narrative(r, p));
        }
        suite.add_test_case(case);
    }
    suite
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Options, check};

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
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kafkacheck\" tests=\"{properties}\" skipped=\"0\" failures=\"1\" errors=\"0\""
        )), "{xml}");
        assert_eq!(xml.matches("<testsuite ").count(), 1);
        assert_eq!(xml.matches("<testcase ").count(), properties);
        assert!(
            xml.contains(
                "<testcase name=\"no-duplicate\" classname=\"models/at-least-once.json\">\n            \
             <failure message=\"no-duplicate is violated, expected holds\" type=\"unmet-expectation\">"
            ),
            "{xml}"
        );
        let failure = &xml[xml.find("<failure").unwrap()..xml.find("</failure>").unwrap()];
        assert!(failure.contains("a &lt;b&gt; &amp; &quot;c&quot;"), "{failure}");
        assert!(failure.contains("verdict: violated, expected holds"), "{failure}");
        assert!(failure.contains("=&gt; duplicated: partition 0 offset 0 processed 2 times"), "{failure}");
        assert!(!xml.contains("<b>") && !xml.contains('\u{1}'));
        assert!(
            xml.contains("<testcase name=\"no-loss\" classname=\"models/at-least-once.json\"/>"),
            "{xml}"
        );
    }

    #[test]
    fn an_unknown_is_skipped_with_why_and_how_far_never_a_failure() {
        let file = Path::new("models/at-least-once.json");
        let scenario = crate::scenario::load(file).unwrap();
        let outcome = check(&scenario, &Options { max_depth: Some(4), ..Options::default() });
        assert!(outcome.incomplete.is_some());
        let xml = junit(&[Checked { file, scenario: &scenario, outcome: &outcome }], &[]);
        let unknown = outcome.properties.iter().filter(|p| p.verdict == Verdict::Unknown).count();
        assert!(unknown > 0);
        assert_eq!(
            xml.matches("<skipped message=\"unknown: max-depth 4 reached, ").count(),
            unknown,
            "{xml}"
        );
        assert!(xml.contains(&format!("skipped=\"{unknown}\" failures=\"0\"")), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
        assert!(xml.contains("<property name=\"incomplete\" value=\"max-depth\"/>"), "{xml}");
    }

    #[test]
    fn a_bad_file_is_an_error_testcase_with_every_problem() {
        let problems =
            ["s.json:3:5: unknown field `crash`".to_string(), "s.json: `crashes` is 300".to_string()];
        let xml =
            junit_with(&[], vec![file_error(Path::new("bad/s.json"), "not checked: 2 problems", &problems)]);
        assert!(xml.contains("errors=\"1\""), "{xml}");
        assert!(xml.contains("<testsuite name=\"bad/s.json\" tests=\"1\""), "{xml}");
        assert!(xml.contains(
            "<error message=\"not checked: 2 problems\" type=\"bad-scenario-file\">s.json:3:5: unknown field `crash`\ns.json: `crashes` is 300</error>"
        ), "{xml}");
    }
}
