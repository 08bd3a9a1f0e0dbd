//! Decisions a Kafka client makes that the model ([`crate::model`]) and the
//! live harness ([`crate::live`]) must make alike: one function each, so that
//! the consumer the checker explores and the real consumer the harness runs
//! cannot drift apart (the loom idea: the checked code is the shipped code).
//!
//! [`assignment`] says which partitions a consumer reads under `assign()`;
//! [`commit_offset`] which offset an at-least-once commit names, and when.

pub mod assignment;
pub mod commit_offset;
