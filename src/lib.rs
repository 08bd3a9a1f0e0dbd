//! kafkacheck: model checking of Kafka consumer offset commit strategies.
//!
//! A scenario file ([`scenario`]) states a configuration and its expected
//! verdicts; [`model`] builds the Stateright actor model of it (broker,
//! coordinator, consumers, sink); [`check`] searches it for violations of the
//! [`properties`]; [`trace`] and [`report`] turn the result into something a
//! person or a CI job can read. The `kafkacheck` binary ([`cli`]) ties them
//! together.

pub mod check;
pub mod cli;
pub mod client;
pub mod explore;
#[cfg(feature = "live")]
pub mod live;
pub mod model;
pub mod progress;
pub mod properties;
pub mod report;
pub mod scenario;
pub mod trace;
pub mod tracker;
pub mod verdict;
