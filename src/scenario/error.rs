//! Why a scenario file was rejected: the file and every problem found in it.

use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field at fault (`expect.no-loss`, `strategy`, ...), when there is one.
    pub field: Option<String>,
    /// 1-based line and column of a syntax or type error.
    pub position: Option<(usize, usize)>,
    pub message: String,
    /// The name of the row of [`super::rules::RULES`] the file breaks, for a
    /// conflict between fields.
    pub rule: Option<&'static str>,
}

impl Problem {
    pub(super) fn new(field: Option<&str>, message: String) -> Problem {
        Problem { field: field.map(str::to_string), position: None, message, rule: None }
    }
}

impl fmt::Display for Problem {
    /// `field `x`: message`; the position, if any, is placed by
    /// [`ScenarioError`]'s Display (after the file name, as `file:line:column`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Why a scenario file was rejected: every problem in it, in the order of
/// the checks (a syntax error is the only one, the parse stops there;
/// unknown fields and type errors come in the file's order, and type
/// errors stop it too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// Never empty.
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    pub(super) fn one(file: &Path, problem: Problem) -> ScenarioError {
        ScenarioError { file: file.to_path_buf(), problems: vec![problem] }
    }

    /// The fields at fault, in the order of [`ScenarioError::problems`].
    pub fn fields(&self) -> Vec<&str> {
        self.problems.iter().filter_map(|p| p.field.as_deref()).collect()
    }
}

impl fmt::Display for ScenarioError {
    /// One problem: `file:line:column: field `x`: message` on one line.
    /// Several: `file: N problems:` and one indented line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match self.problems.as_slice() {
            [one] => {
                if let Some((line, column)) = one.position {
                    write!(f, ":{line}:{column}")?;
                }
                write!(f, ": {one}")
            }
            many => {
                write!(f, ": {} problems:", many.len())?;
                for problem in many {
                    write!(f, "\n  ")?;
                    if let Some((line, column)) = problem.position {
                        write!(f, "{line}:{column}: ")?;
                    }
                    write!(f, "{problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ScenarioError {}
