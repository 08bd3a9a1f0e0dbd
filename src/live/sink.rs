//! The live sink: a file every consumer process appends its side effects to.
//!
//! One record's side effect is one line, `partition offset consumer-i incarnation`,
//! written with a single `write(2)` on a file opened with `O_APPEND`: the
//! kernel places each line whole at the end even with several processes
//! writing, and a consumer killed by SIGKILL has either written its line or
//! not. The sink therefore survives exactly the faults the harness injects
//! (process crashes, not machine crashes: it is not fsync'ed).
//!
//! For exactly-once the line is also the committed offset (the external-store
//! pattern): the output and the offset `offset + 1` land in the same write,
//! and a consumer resumes from [`SinkLog::next_offset`] instead of Kafka's
//! committed offset.

use crate::model::event::Actor;
use crate::trace::json::parse_actor;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// One side effect read back from the sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub partition: i32,
    pub offset: i64,
    pub consumer: usize,
    pub incarnation: u32,
}

/// The appending end, held by one consumer process.
pub struct SinkWriter {
    file: File,
    consumer: usize,
    incarnation: u32,
}

impl SinkWriter {
    pub fn open(path: &Path, consumer: usize, incarnation: u32) -> io::Result<SinkWriter> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(SinkWriter { file, consumer, incarnation })
    }

    /// Appends the side effect of one record in one write.
    pub fn append(&mut self, partition: i32, offset: i64) -> io::Result<()> {
        let consumer = Actor::Consumer(self.consumer as u8);
        let line = format!("{partition} {offset} {consumer} {}\n", self.incarnation);
        self.file.write_all(line.as_bytes())
    }
}

/// The whole sink, read back.
#[derive(Clone, Debug, Default)]
pub struct SinkLog {
    pub outputs: Vec<Output>,
}

impl SinkLog {
    /// Reads the sink; a missing file is an empty sink (nothing processed yet).
    pub fn read(path: &Path) -> io::Result<SinkLog> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(SinkLog::parse(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(SinkLog::default()),
            Err(e) => Err(e),
        }
    }

    /// Only whole lines count: a line without its newline was never written.
    pub fn parse(text: &str) -> SinkLog {
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        let outputs = whole.lines().filter_map(parse_line).collect();
        SinkLog { outputs }
    }

    /// How many times each (partition, offset) was processed.
    pub fn counts(&self) -> BTreeMap<(i32, i64), u32> {
        let mut counts = BTreeMap::new();
        for o in &self.outputs {
            *counts.entry((o.partition, o.offset)).or_insert(0) += 1;
        }
        counts
    }

    /// The external store's committed offset of a partition: one past the
    /// highest offset it holds, `None` when it holds none.
    pub fn next_offset(&self, partition: i32) -> Option<i64> {
        self.outputs.iter().filter(|o| o.partition == partition).map(|o| o.offset + 1).max()
    }
}

fn parse_line(line: &str) -> Option<Output> {
    let mut words = line.split(' ');
    let partition = words.next()?.parse().ok()?;
    let offset = words.next()?.parse().ok()?;
    let consumer = parse_actor(words.next()?)?.consumer()?.into();
    let incarnation = words.next()?.parse().ok()?;
    Some(Output { partition, offset, consumer, incarnation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_lines_read_back_with_counts_and_next_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sink.log");
        assert!(SinkLog::read(&path).unwrap().outputs.is_empty());
        let mut first = SinkWriter::open(&path, 0, 1).unwrap();
        let mut second = SinkWriter::open(&path, 1, 2).unwrap();
        first.append(0, 0).unwrap();
        second.append(0, 0).unwrap();
        first.append(1, 4).unwrap();
        let sink = SinkLog::read(&path).unwrap();
        assert_eq!(sink.outputs[1], Output { partition: 0, offset: 0, consumer: 1, incarnation: 2 });
        assert_eq!(sink.counts()[&(0, 0)], 2);
        assert_eq!(sink.next_offset(1), Some(5));
        assert_eq!(sink.next_offset(2), None);
    }

    #[test]
    fn a_line_cut_short_was_never_written() {
        let sink = SinkLog::parse("0 0 consumer-0 1\n0 1 consum");
        assert_eq!(sink.outputs.len(), 1);
    }
}
