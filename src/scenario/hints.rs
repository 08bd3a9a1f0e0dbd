//! What an error adds to help its reader fix the file: "did you mean" for a
//! misspelt name, and why a file that is not JSON was not read as JSON.
//!
//! A user writes a scenario by hand, often from a YAML or commented JSON
//! habit, and misspells long snake_case names; serde's messages say what is
//! wrong ("expected value", "unknown field") but not what was meant.

/// The name of `candidates` closest to `written`, if one is close enough to
/// be what was meant.
///
/// Names are compared ignoring case and treating `-`, `.` and `_` alike
/// (`max-poll-records` is `max_poll_records`), by optimal string alignment
/// distance (Levenshtein with adjacent transpositions: `crahses` is one edit
/// from `crashes`). Close enough is rustc's bound for its own suggestions:
/// at most a third of the longer name's length, and at least one edit.
pub fn closest<'a>(written: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = normalized(written);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let c = normalized(candidate);
        let distance = edit_distance(&w, &c);
        let bound = (w.len().max(c.len()).max(3)) / 3;
        if distance <= bound && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, name)| name)
}

/// serde's "unknown variant `x`, expected one of `a`, `b`" (or "expected
/// `a` or `b`") with the variant meant added, when one is near.
pub fn variant_meant(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (written, expected) = rest.split_once('`')?;
    let candidates = expected.split('`').skip(1).step_by(2);
    closest(written, candidates).map(|meant| format!("{message}; did you mean `{meant}`?"))
}

fn normalized(name: &str) -> Vec<char> {
    name.chars().map(|c| if c == '-' || c == '.' { '_' } else { c.to_ascii_lowercase() }).collect()
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two adjacent characters, each one edit.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    // rows[i][j]: the distance between a[..i] and b[..j]; three rows suffice.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut d = substitution.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Why text serde_json could not parse is probably not JSON at all: a YAML
/// file, JSON with comments (JSONC, JSON5), a byte-order mark. `None` for
/// what looks like a plain typo in JSON, which serde's message and position
/// already describe.
pub fn not_json(bytes: &[u8]) -> Option<String> {
    const JSON: &str = "scenario files are JSON (RFC 8259)";
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Some(format!("{JSON}, which has no byte-order mark: save the file as UTF-8 without BOM"));
    }
    let text = String::from_utf8_lossy(bytes);
    if let Some(line) = comment_line(&text) {
        return Some(format!(
            "{JSON}: no comments (the first is on line {line}); keys in double quotes. \
             Say what the scenario is about in its \"description\""
        ));
    }
    let first = text.trim_start().chars().next();
    if first.is_some_and(|c| c != '{' && c != '[') && looks_like_yaml(&text) {
        return Some(format!(
            "{JSON}, not YAML: one object in braces, keys and strings in double quotes, \
             e.g. {{\"name\": \"orders\", \"partitions\": 1}} (`yq -o=json FILE.yaml` converts one)"
        ));
    }
    if unquoted_key(&text) {
        return Some(format!(
            "{JSON}: keys and strings in double quotes (\"name\": \"orders\"), no comments"
        ));
    }
    None
}

/// The 1-based line of the first comment outside a string: `//`, `/*`, or
/// a line starting with `#`.
fn comment_line(text: &str) -> Option<usize> {
    let mut strings = Strings::default();
    let mut line = 1;
    let mut line_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if strings.outside(c) {
            match c {
                '/' if matches!(chars.peek(), Some('/' | '*')) => return Some(line),
                '#' if line_start => return Some(line),
                _ => {}
            }
        }
        if c == '\n' {
            line += 1;
            line_start = true;
            strings = Strings::default();
        } else if !c.is_whitespace() {
            line_start = false;
        }
    }
    None
}

/// Where a scan of JSON-like text is: inside a double-quoted string (and
/// just after a backslash there) or not.
#[derive(Default)]
struct Strings {
    inside: bool,
    escaped: bool,
}

impl Strings {
    /// Takes the next character; true when it is outside any string (an
    /// opening quote is outside, a closing one inside).
    fn outside(&mut self, c: char) -> bool {
        if !self.inside {
            self.inside = c == '"';
            return true;
        }
        match (self.escaped, c) {
            (true, _) => self.escaped = false,
            (false, '\\') => self.escaped = true,
            (false, '"') => self.inside = false,
            _ => {}
        }
        false
    }
}

/// A `---` document start, or a line `key: value` with a bare key.
fn looks_like_yaml(text: &str) -> bool {
    text.lines().map(str::trim).any(|line| {
        line == "---"
            || line.split_once(':').is_some_and(|(key, _)| {
                let key = key.trim_start_matches("- ");
                !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || "_-. ".contains(c))
            })
    })
}

/// A key written bare or in single quotes, as in JavaScript or JSON5:
/// `{ name: ...` or `'name':` (after a comma only inside an object, not an
/// array's `true`).
fn unquoted_key(text: &str) -> bool {
    let mut previous = ' ';
    let mut strings = Strings::default();
    let mut open: Vec<char> = Vec::new();
    for c in text.chars() {
        if !strings.outside(c) {
            continue;
        }
        let key_expected = previous == '{' || (previous == ',' && open.last() == Some(&'{'));
        match c {
            '"' => {}
            '{' | '[' => open.push(c),
            '}' | ']' => _ = open.pop(),
            _ if key_expected && (c.is_alphabetic() || c == '_' || c == '\'') => return true,
            _ => {}
        }
        if !c.is_whitespace() {
            previous = c;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_swaps_as_one_edit() {
        let d = |a: &str, b: &str| edit_distance(&normalized(a), &normalized(b));
        assert_eq!(d("crashes", "crashes"), 0);
        assert_eq!(d("crashez", "crashes"), 1);
        assert_eq!(d("crahses", "crashes"), 1);
        assert_eq!(d("crash", "crashes"), 2);
        assert_eq!(d("max-poll-records", "max_poll_records"), 0);
        assert_eq!(d("", "abc"), 3);
    }

    #[test]
    fn closest_suggests_only_a_near_name() {
        let fields = ["crashes", "consumers", "commit", "commit_every"];
        assert_eq!(closest("crashs", fields), Some("crashes"));
        assert_eq!(closest("Consumers", fields), Some("consumers"));
        assert_eq!(closest("commit-every", fields), Some("commit_every"));
        assert_eq!(closest("replication", fields), None);
        assert_eq!(closest("no-losses", ["no-loss", "no-duplicate"]), Some("no-loss"));
    }

    #[test]
    fn a_misspelt_variant_gets_the_variant_meant() {
        let serde = "unknown variant `at-least-onse`, expected one of `at-most-once`, `at-least-once`, `exactly-once`";
        assert_eq!(variant_meant(serde).unwrap(), format!("{serde}; did you mean `at-least-once`?"));
        let two = "unknown variant `Leader`, expected `leader` or `all`";
        assert!(variant_meant(two).unwrap().ends_with("did you mean `leader`?"));
        assert_eq!(variant_meant("unknown variant `twice`, expected one of `holds`, `violated`"), None);
        assert_eq!(variant_meant("invalid type: integer `1`, expected a string"), None);
    }

    #[test]
    fn yaml_and_comments_are_told_from_json_typos() {
        assert!(not_json(b"name: orders\npartitions: 1\n").unwrap().contains("not YAML"));
        assert!(not_json(b"---\n").unwrap().contains("not YAML"));
        let commented = b"{\n  \"name\": \"x\", // mine\n}";
        assert!(not_json(commented).unwrap().contains("no comments (the first is on line 2)"));
        assert!(not_json(b"# a scenario\n{}").unwrap().contains("no comments (the first is on line 1)"));
        assert!(not_json(b"{ name: \"x\" }").unwrap().contains("keys and strings in double quotes"));
        assert!(not_json(b"{ 'name': 'x' }").unwrap().contains("double quotes"));
        assert!(not_json(b"\xEF\xBB\xBF{}").unwrap().contains("byte-order mark"));
        // Inside strings these are text, and a doubled comma is a JSON typo.
        assert_eq!(not_json(b"{\"description\": \"see http://x/#a\",,}"), None);
        assert_eq!(not_json(b"{\"name\": \"n\",\n \"partitions\": 1,,\n}"), None);
        assert_eq!(not_json(b"{\"a\": [1, true],,}"), None);
    }
}
