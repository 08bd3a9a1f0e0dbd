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

/// The one problem of a text that is not JSON, as `file:line:column: message`.
fn not_json(text: &str) -> String {
    let e = scenario::parse(Path::new("models/s.json"), text.as_bytes()).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert!(e.problems[0].position.is_some(), "{e}");
    e.to_string()
}

#[test]
fn yaml_is_told_to_be_json() {
    let yaml = "name: orders\npartitions: 1\nstrategy: at-least-once\n";
    let e = not_json(yaml);
    assert!(e.starts_with("models/s.json:1:"), "{e}");
    assert!(e.contains("scenario files are JSON (RFC 8259), not YAML"), "{e}");
    assert!(not_json("---\nname: x\n").contains("not YAML"));
}

#[test]
fn comments_are_told_to_be_left_out_wherever_they_are() {
    for (text, line) in [
        ("// orders\n{\"name\": \"x\"}", 1),
        ("{\n  \"name\": \"x\", /* mine */\n  \"partitions\": 1\n}", 2),
        ("{\n  \"name\": \"x\",\n  # two\n  \"partitions\": 2\n}", 3),
    ] {
        let e = not_json(text);
        assert!(e.contains(&format!("no comments (the first is on line {line})")), "{e}");
        assert!(e.contains("scenario files are JSON (RFC 8259)"), "{e}");
    }
}

#[test]
fn unquoted_keys_and_a_byte_order_mark_are_explained() {
    let e = not_json("{ name: \"x\", partitions: 1 }");
    assert!(e.starts_with("models/s.json:1:3: key must be a string; "), "{e}");
    assert!(e.contains("keys and strings in double quotes"), "{e}");
    assert!(not_json("\u{FEFF}{}").contains("without BOM"));
}

#[test]
fn a_plain_json_typo_gets_no_hint() {
    let e = not_json("{\n  \"name\": \"n\",,\n}");
    assert_eq!(e, "models/s.json:2:15: key must be a string");
}
