//! The three outcomes a property can have after a search (README, "Properties" and "Reading a verdict and a trace"),
//! and what a scenario expects of them.

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The search was complete and found no counterexample.
    Holds,
    /// The search found a counterexample (with a trace).
    Violated,
    /// The search stopped early (depth, time) and found nothing: no claim either way.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a scenario expects of one property (README.md, "Scenario files"):
/// a verdict it gates on, or `any`, a property that is reported but never
/// gated. A property the file's `expect` does not name is expected to hold,
/// or, with `"gate": "named"`, `any`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expectation {
    Holds,
    Violated,
    /// Don't care: whatever the verdict (`unknown` included), the expectation is met.
    Any,
}

impl Expectation {
    /// `holds`, `violated` or `any`: how the JSON document's `expected` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Expectation::Holds => "holds",
            Expectation::Violated => "violated",
            Expectation::Any => "any",
        }
    }

    /// Whether the verdict decides the exit status (and a JUnit failure).
    pub fn gated(self) -> bool {
        self != Expectation::Any
    }

    /// Whether a verdict meets the expectation: `unknown` meets only `any`,
    /// since an incomplete search proves nothing either way.
    pub fn admits(self, verdict: Verdict) -> bool {
        match self {
            Expectation::Holds => verdict == Verdict::Holds,
            Expectation::Violated => verdict == Verdict::Violated,
            Expectation::Any => true,
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
