//! The scenario parser on hostile input: it never panics, and every
//! rejection names the file and says what is wrong.

use kafkacheck::scenario;
use proptest::prelude::*;
use std::path::Path;

const VALID: &str = include_str!("../models/at-least-once-batch.json");

fn assert_clear_rejection_or_valid(bytes: &[u8]) {
    match scenario::parse(Path::new("models/fuzz.json"), bytes) {
        Ok(s) => assert!(s.consumers >= 1 && s.partitions >= 1 && s.max_poll_records >= 1),
        Err(e) => {
            let text = e.to_string();
            assert!(text.starts_with("models/fuzz.json"), "{text}");
            assert!(!e.problems.is_empty(), "{text}");
            assert!(e.problems.iter().all(|p| !p.message.is_empty()), "{text}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        assert_clear_rejection_or_valid(&bytes);
    }

    #[test]
    fn mutated_valid_files_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        assert_clear_rejection_or_valid(&bytes);
    }
}

#[test]
fn the_unmutated_file_is_valid() {
    assert!(scenario::parse(Path::new("x.json"), VALID.as_bytes()).is_ok());
}
