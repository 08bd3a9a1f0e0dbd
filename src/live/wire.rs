//! The line protocol between the live harness and its consumer processes.
//!
//! A consumer process (`kafkacheck consumer`) writes one [`Report`] per line
//! on its stdout as things happen, and at a fault point it writes `halt` and
//! blocks reading stdin until the harness answers `go` (or kills it). Plain
//! text lines keep the process's output readable in a terminal and need no
//! framing: a process killed mid-line leaves at most one partial line, which
//! [`Report::parse`] rejects.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A step of a consumer's poll loop at which the harness can halt it: after
/// the n-th record of this kind in the current incarnation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Point {
    /// A record was returned by poll().
    Receive,
    /// A record's side effect was written to the sink.
    Process,
    /// A commitSync() returned success.
    Commit,
}

impl Point {
    pub const ALL: [Point; 3] = [Point::Receive, Point::Process, Point::Commit];

    /// Its place in [`Point::ALL`], for per-point counters.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Point::Receive => "receive",
            Point::Process => "process",
            Point::Commit => "commit",
        }
    }
}

impl FromStr for Point {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Point::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| format!("unknown point `{s}`"))
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// "Halt after the `count`-th `point` of this incarnation" (`count` 0: right
/// after start-up, before the first poll). Written `point:count`, also in
/// the consumer's plan ([`super::plan::ConsumerPlan`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Halt {
    pub point: Point,
    pub count: u32,
}

impl FromStr for Halt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (point, count) = s.split_once(':').ok_or_else(|| format!("`{s}` is not point:count"))?;
        let count = count.parse().map_err(|_| format!("`{count}` is not a count"))?;
        Ok(Halt { point: point.parse()?, count })
    }
}

impl TryFrom<String> for Halt {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Halt> for String {
    fn from(h: Halt) -> String {
        h.to_string()
    }
}

impl fmt::Display for Halt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.point, self.count)
    }
}

/// One line a consumer process reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// Connected and, under group assignment, subscribed.
    Ready,
    /// The partitions it now owns (after a rebalance or manual assign()).
    Assigned(Vec<i32>),
    Received {
        partition: i32,
        offset: i64,
    },
    /// The record's side effect is in the sink.
    Processed {
        partition: i32,
        offset: i64,
    },
    /// exactly-once: the sink already holds this record's offset, so it was skipped.
    Skipped {
        partition: i32,
        offset: i64,
    },
    /// commitSync() of `offset` (the next offset to read) succeeded.
    Committed {
        partition: i32,
        offset: i64,
    },
    /// commitSync() failed, e.g. ILLEGAL_GENERATION for a fenced zombie.
    CommitFailed {
        partition: i32,
        offset: i64,
        error: String,
    },
    /// Blocked at a fault point, waiting for `go` on stdin.
    Halted(Halt),
    /// Every owned partition has been read to its end.
    Idle,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Ready => write!(f, "ready"),
            Report::Assigned(ps) => {
                write!(f, "assigned")?;
                ps.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Report::Received { partition, offset } => write!(f, "receive {partition} {offset}"),
            Report::Processed { partition, offset } => write!(f, "process {partition} {offset}"),
            Report::Skipped { partition, offset } => write!(f, "skip {partition} {offset}"),
            Report::Committed { partition, offset } => write!(f, "commit {partition} {offset}"),
            Report::CommitFailed { partition, offset, error } => {
                write!(f, "commit-failed {partition} {offset} {}", error.replace('\n', " "))
            }
            Report::Halted(h) => write!(f, "halt {h}"),
            Report::Idle => write!(f, "idle"),
        }
    }
}

impl Report {
    /// Parses one line; `None` for anything else (a line cut by SIGKILL, a log line).
    pub fn parse(line: &str) -> Option<Report> {
        let mut words = line.split(' ');
        let verb = words.next()?;
        let mut num = || words.next()?.parse::<i64>().ok();
        let report = match verb {
            "ready" => Report::Ready,
            "idle" => Report::Idle,
            "assigned" => {
                let ps: Option<Vec<i32>> =
                    line.split(' ').skip(1).filter(|w| !w.is_empty()).map(|w| w.parse().ok()).collect();
                Report::Assigned(ps?)
            }
            "halt" => Report::Halted(line.split(' ').nth(1)?.parse().ok()?),
            "receive" | "process" | "skip" | "commit" | "commit-failed" => {
                let partition = i32::try_from(num()?).ok()?;
                let offset = num()?;
                match verb {
                    "receive" => Report::Received { partition, offset },
                    "process" => Report::Processed { partition, offset },
                    "skip" => Report::Skipped { partition, offset },
                    "commit" => Report::Committed { partition, offset },
                    _ => {
                        let error = line.splitn(4, ' ').nth(3).unwrap_or("").to_string();
                        Report::CommitFailed { partition, offset, error }
                    }
                }
            }
            _ => return None,
        };
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_reads_back_as_itself() {
        let all = [
            Report::Ready,
            Report::Assigned(vec![]),
            Report::Assigned(vec![0, 2]),
            Report::Received { partition: 1, offset: 7 },
            Report::Processed { partition: 0, offset: 0 },
            Report::Skipped { partition: 0, offset: 3 },
            Report::Committed { partition: 2, offset: 9 },
            Report::CommitFailed {
                partition: 0,
                offset: 1,
                error: "Broker: Specified group generation id is not valid".into(),
            },
            Report::Halted(Halt { point: Point::Process, count: 2 }),
            Report::Idle,
        ];
        for r in all {
            assert_eq!(Report::parse(&r.to_string()), Some(r.clone()), "{r}");
        }
    }

    #[test]
    fn a_halt_is_point_colon_count_in_json_too() {
        let h = Halt { point: Point::Commit, count: 3 };
        assert_eq!(serde_json::to_string(&h).unwrap(), "\"commit:3\"");
        assert_eq!(serde_json::from_str::<Halt>("\"commit:3\"").unwrap(), h);
        assert!(serde_json::from_str::<Halt>("\"nap:3\"").is_err());
    }

    #[test]
    fn a_points_index_is_its_place_in_all() {
        for (i, p) in Point::ALL.into_iter().enumerate() {
            assert_eq!(p.index(), i, "{p}");
        }
    }

    #[test]
    fn cut_and_foreign_lines_are_not_reports() {
        for line in
            ["", "receive 0", "receive 0 x", "halt process", "halt nap:1", "assigned 0 x", "%7|rdkafka"]
        {
            assert_eq!(Report::parse(line), None, "{line:?}");
        }
    }
}
