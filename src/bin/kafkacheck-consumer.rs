//! The consumer process `kafkacheck live` starts (see `src/live/consumer.rs`).

use clap::Parser;
use kafkacheck::live::consumer::{ConsumerArgs, run};

fn main() {
    let args = ConsumerArgs::parse();
    if let Err(e) = run(&args) {
        eprintln!("kafkacheck-consumer: {e}");
        std::process::exit(2);
    }
}
