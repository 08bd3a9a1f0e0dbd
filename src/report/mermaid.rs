//! A counterexample as a Mermaid `sequenceDiagram`, the story's
//! ```` ```mermaid ```` block: GitHub and GitLab draw it in a pull request,
//! an issue or a job summary with no image. Its participants are the SVG
//! diagram's lanes (`lanes.rs`), its messages go from sender to receiver,
//! and what an actor does by itself is a note over it. Every label is
//! prefixed with its step number.
//!
//! Mermaid reads a message's or a note's text up to the end of the line,
//! and ends it early at `;` or `#` (which starts an entity code such as
//! `#59;`); `<` and `>` would be read as HTML. [`escape`] writes those four
//! as numeric entity codes. [`validate`] checks each line against the part
//! of Mermaid's sequence-diagram grammar this module writes, so a change
//! here that would break GitHub's rendering fails a test.

use super::lanes::{Picture, Row, Shape};

/// `text` safe as a Mermaid message, note or alias text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn numbered(row: &Row, text: &str) -> String {
    match row.step {
        Some(k) => escape(&format!("{k}. {text}")),
        None => escape(text),
    }
}

fn line(row: &Row) -> String {
    let to = row.lane.id();
    match &row.shape {
        Shape::Arrow { from, label, .. } => format!("{}->>{to}: {}", from.id(), numbered(row, label)),
        Shape::Lost { from, label, .. } => {
            format!("{}-x{to}: {}", from.id(), numbered(row, &format!("{label} (lost by the network)")))
        }
        Shape::InFlight { from, label, sent } => {
            let sent = if *sent == 0 { "at the start".to_string() } else { format!("at step {sent}") };
            format!(
                "{}--){to}: {}",
                from.id(),
                numbered(row, &format!("{label}, still on its way at the end (sent {sent})"))
            )
        }
        Shape::Handoff { from, record: (p, o) } => {
            format!("{}-->>{to}: {}", from.id(), numbered(row, &format!("takes p{p} offset {o}")))
        }
        Shape::Crash => format!("Note over {to}: {}", numbered(row, "CRASH: loses everything in memory")),
        Shape::Recover => format!("Note over {to}: {}", numbered(row, "RECOVER: starts again")),
        Shape::Local { label } => format!("Note over {to}: {}", numbered(row, label)),
    }
}

/// The diagram, without the fence.
pub fn sequence_diagram(picture: &Picture) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for lane in &picture.lanes {
        let name = lane.to_string();
        if name == lane.id() {
            out.push_str(&format!("    participant {name}\n"));
        } else {
            out.push_str(&format!("    participant {} as {}\n", lane.id(), escape(&name)));
        }
    }
    for row in &picture.rows {
        out.push_str("    ");
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

/// Words Mermaid's sequence-diagram lexer reads as keywords, not as participant ids.
const KEYWORDS: [&str; 24] = [
    "participant",
    "actor",
    "as",
    "note",
    "over",
    "left",
    "right",
    "of",
    "loop",
    "alt",
    "else",
    "opt",
    "par",
    "and",
    "rect",
    "end",
    "critical",
    "break",
    "activate",
    "deactivate",
    "autonumber",
    "title",
    "box",
    "create",
];

/// The arrows this module writes, longest first (so `-->>` is not read as `--` and `>>`).
const ARROWS: [&str; 4] = ["-->>", "->>", "--)", "-x"];

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&id.to_ascii_lowercase().as_str())
}

/// A message's or note's text: not empty, and `#` only in an entity code `#digits;`.
fn valid_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("empty text".into());
    }
    if text.contains(['<', '>', '\n', '\r']) {
        return Err(format!("`<`, `>` or a line break in {text:?}"));
    }
    let mut rest = text;
    while let Some(at) = rest.find(['#', ';']) {
        let tail = &rest[at..];
        let code = tail.strip_prefix('#').and_then(|t| t.split_once(';')).map(|(digits, _)| digits);
        match code {
            Some(digits) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
                rest = &tail[digits.len() + 2..];
            }
            _ => return Err(format!("unescaped `#` or `;` in {text:?}")),
        }
    }
    Ok(())
}

/// Checks `diagram` (no fence) line by line against the grammar this module
/// writes: the header, `participant ID [as TEXT]` before any use, messages
/// `ID ARROW ID: TEXT` and `Note over ID: TEXT`, with declared ids.
pub fn validate(diagram: &str) -> Result<(), String> {
    let mut lines = diagram.lines();
    if lines.next() != Some("sequenceDiagram") {
        return Err("the first line is not `sequenceDiagram`".into());
    }
    let mut declared: Vec<&str> = Vec::new();
    for (n, raw) in lines.enumerate() {
        let at = |e: String| format!("line {}: {e}: {raw:?}", n + 2);
        let l = raw.trim();
        if let Some(rest) = l.strip_prefix("participant ") {
            let (id, alias) = rest.split_once(" as ").map_or((rest, None), |(i, a)| (i, Some(a)));
            if !valid_id(id) || declared.contains(&id) {
                return Err(at(format!("bad or repeated participant id `{id}`")));
            }
            alias.map(valid_text).transpose().map_err(at)?;
            declared.push(id);
            continue;
        }
        let (head, text) = l.split_once(": ").ok_or_else(|| at("no `: ` before the text".into()))?;
        valid_text(text).map_err(at)?;
        let ids: Vec<&str> = if let Some(over) = head.strip_prefix("Note over ") {
            over.split(',').collect()
        } else {
            let arrow =
                ARROWS.iter().find_map(|a| head.split_once(a)).ok_or_else(|| at("no arrow".into()))?;
            vec![arrow.0, arrow.1]
        };
        if let Some(id) = ids.iter().find(|id| !declared.contains(id)) {
            return Err(at(format!("participant `{id}` is not declared")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_writes_entity_codes_for_what_ends_or_marks_up_a_text() {
        assert_eq!(escape("a;b#c<d>"), "a#59;b#35;c#60;d#62;");
        assert!(valid_text(&escape("commit #1; <now>")).is_ok());
    }

    #[test]
    fn validate_accepts_what_the_module_writes_and_rejects_broken_lines() {
        let good = "sequenceDiagram\n    participant broker\n    participant consumer0 as consumer-0\n    \
                    consumer0->>broker: 1. Fetch p0 #59; max 1\n    Note over consumer0: 2. CRASH\n    \
                    consumer0--)broker: in flight\n";
        assert_eq!(validate(good), Ok(()));
        for bad in [
            "graph TD\n",
            "sequenceDiagram\n    participant end\n",
            "sequenceDiagram\n    participant a\n    a->>b: text\n",
            "sequenceDiagram\n    participant a\n    a->>a: one; two\n",
            "sequenceDiagram\n    participant a\n    a->>a: #x\n",
            "sequenceDiagram\n    participant a\n    a->>a text\n",
            "sequenceDiagram\n    participant a\n    Note over a: <b>\n",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
