//! `<stem>.<property>.svg`: a counterexample as a standalone sequence diagram.
//!
//! One lifeline per lane of the [`Picture`]: broker, coordinator, each
//! consumer followed by its worker threads, and the sink (always drawn: it is
//! where every record's processing ends). One row per trace event, plus a row
//! where a thread takes a record and a row for each message still on the
//! network at the end. A delivered message is an arrow from the lane that
//! sent it to the lane that received it, labelled with Kafka's request or
//! response; a lost one ends in a cross; one still in flight is dashed and
//! stops short of its receiver. A crash is a red cross and a recovery a
//! green dot on the consumer's lifeline, which (with its threads') is dashed
//! red while the process is down. Rows of one step share a band and the step
//! number; each row's sentence is on the right, wrapped so the diagram fits
//! a 1,400 px page. Everything is inline (presentation attributes, no CSS,
//! no scripts) and laid out in whole pixels, so the same trace always gives
//! the same bytes.

use super::lanes::{Lane, Picture, Row, Shape};
use super::{Checked, xml_escape as esc};
use crate::check::PropertyOutcome;
use crate::trace::Trace;
use std::fmt::Write as _;

const FONT: &str = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
/// The widest diagram: a page of 1,400 px.
pub const MAX_WIDTH: i64 = 1400;
/// Left margin holding the step numbers.
const GUTTER: i64 = 56;
/// The narrowest column the sentences get.
const MIN_SENTENCES: i64 = 380;
const BOX_TOP: i64 = 78;
const BOX_HEIGHT: i64 = 38;
const ROWS_TOP: i64 = BOX_TOP + BOX_HEIGHT + 14;
/// A sentence line, and the label line above an arrow.
const LINE: i64 = 16;
const LABEL_LINE: i64 = 14;
const SENTENCE_SIZE: i64 = 13;
const LABEL_SIZE: i64 = 12;

const INK: &str = "#1d2330";
const MUTED: &str = "#5b6270";
const CRASH: &str = "#c81e1e";
const RECOVER: &str = "#1e7b34";
const OFFSETS: &str = "#2457a6";
const EFFECTS: &str = "#1e7b34";
const LOST: &str = "#8a8f98";

/// The approximate width of `text` at `size` pixels (0.6 em a character, sans-serif).
fn text_width(text: &str, size: i64) -> i64 {
    text.chars().count() as i64 * size * 6 / 10
}

/// How many characters of `size` px fit in `px`.
fn chars_in(px: i64, size: i64) -> usize {
    (px * 10 / (size * 6)).max(8) as usize
}

/// Splits `text` into lines of at most `width` characters, at spaces where
/// possible; a word longer than a line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        line.extend(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A text element; `anchor` is `start`, `middle` or `end`.
fn text(out: &mut String, x: i64, y: i64, size: i64, attrs: &str, anchor: &str, content: &str) {
    let _ = writeln!(
        out,
        "<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\" text-anchor=\"{anchor}\" {attrs}>{}</text>",
        esc(content)
    );
}

/// Lines of text on white plates (so lines behind them do not cross the
/// letters), the last line's baseline at `y`.
fn plated(out: &mut String, x: i64, y: i64, attrs: &str, anchor: &str, lines: &[String]) {
    let size = LABEL_SIZE;
    let top = y - (lines.len() as i64 - 1) * LABEL_LINE;
    for (i, content) in lines.iter().enumerate() {
        let y = top + i as i64 * LABEL_LINE;
        let w = text_width(content, size) + 8;
        let left = match anchor {
            "middle" => x - w / 2,
            "end" => x - w + 4,
            _ => x - 4,
        };
        let _ = writeln!(
            out,
            "<rect x=\"{left}\" y=\"{}\" width=\"{w}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.92\"/>",
            y - size,
            size + 4
        );
        text(out, x, y, size, attrs, anchor, content);
    }
}

/// Where things go: lane columns, the sentence column, each row's top and height.
struct Layout {
    lanes: Vec<Lane>,
    column: i64,
    sentences_x: i64,
    sentence_chars: usize,
    width: i64,
    /// Each row's top; one more entry: where the rows end.
    tops: Vec<i64>,
}

impl Layout {
    fn new(picture: &Picture, title_width: i64) -> Layout {
        let lanes = picture.lanes.clone();
        let n = lanes.len().max(1) as i64;
        let column = ((MAX_WIDTH - GUTTER - 24 - MIN_SENTENCES) / n).clamp(100, 160);
        let sentences_x = GUTTER + n * column + 12;
        let longest = picture.rows.iter().map(|r| text_width(&r.text, SENTENCE_SIZE)).max().unwrap_or(0);
        let width = (sentences_x + longest + 20).max(title_width).clamp(760, MAX_WIDTH);
        let sentence_chars = chars_in(width - sentences_x - 16, SENTENCE_SIZE);
        let mut layout = Layout { lanes, column, sentences_x, sentence_chars, width, tops: vec![ROWS_TOP] };
        let mut y = ROWS_TOP;
        for row in &picture.rows {
            let sentence = wrap(&row.text, sentence_chars).len() as i64 * LINE + 14;
            let label = layout.label_lines(row).len() as i64 * LABEL_LINE + 22;
            y += sentence.max(label).max(40);
            layout.tops.push(y);
        }
        layout
    }

    fn x_of(&self, lane: Lane) -> i64 {
        let i = self.lanes.iter().position(|l| *l == lane).unwrap_or(0) as i64;
        GUTTER + self.column / 2 + i * self.column
    }

    fn end(&self) -> i64 {
        *self.tops.last().unwrap_or(&ROWS_TOP)
    }

    /// The label of a row, wrapped to the room its shape leaves.
    fn label_lines(&self, row: &Row) -> Vec<String> {
        let span = |from: Lane| (self.x_of(from) - self.x_of(row.lane)).abs().max(self.column * 8 / 5);
        let (label, room) = match &row.shape {
            Shape::Arrow { from, label, .. } | Shape::Lost { from, label, .. } => {
                (label.clone(), span(*from))
            }
            Shape::InFlight { from, label, .. } => (format!("{label} · in flight"), span(*from)),
            Shape::Handoff { from, record: (p, o) } => (format!("takes p{p} offset {o}"), span(*from)),
            Shape::Local { label } => (label.clone(), self.column * 8 / 5 - 20),
            Shape::Crash | Shape::Recover => (String::new(), self.column),
        };
        if label.is_empty() { Vec::new() } else { wrap(&label, chars_in(room, LABEL_SIZE)) }
    }
}

/// The sequence diagram of one counterexample.
pub fn sequence_diagram(r: &Checked, p: &PropertyOutcome, trace: &Trace, picture: &Picture) -> String {
    let title = format!("{} — {} violated", r.file.display(), p.name);
    let expectation = if !p.expected.gated() {
        "not gated: any verdict expected".to_string()
    } else if p.matches() {
        format!("expected {}: as expected", p.expected)
    } else {
        format!("expected {}: NOT as expected", p.expected)
    };
    let subtitle = format!("{} ({expectation})", r.scenario.name);
    let layout = Layout::new(picture, (text_width(&title, 20) + 40).min(MAX_WIDTH));
    let width = layout.width;
    let subtitle_lines = wrap(&subtitle, chars_in(width - 40, 14));

    let why_head = match trace.steps.last() {
        Some(s) => format!("Why {} fails after step {}:", p.name, s.step),
        None => format!("Why {} fails in the initial state:", p.name),
    };
    let why_lines = wrap(&trace.violation, chars_in(width - 60, 14));
    let footer_top = layout.end() + 26;
    let why_height = 34 + why_lines.len() as i64 * 20;
    let legend_y = footer_top + why_height + 30;
    let legend_rows = legend(&mut String::new(), picture, legend_y, width);
    let height = legend_y + legend_rows * 24;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"{FONT}\" fill=\"{INK}\">"
    );
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    let _ = writeln!(out, "<desc>{}</desc>", esc(&format!("{subtitle}. {}", trace.violation)));
    let _ = writeln!(out, "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>");
    text(&mut out, 20, 32, 20, "font-weight=\"bold\"", "start", &title);
    for (i, line) in subtitle_lines.iter().take(2).enumerate() {
        text(&mut out, 20, 54 + i as i64 * 16, 14, &format!("fill=\"{MUTED}\""), "start", line);
    }
    step_bands(&mut out, picture, &layout);
    lifelines(&mut out, picture, &layout);
    for (k, row) in picture.rows.iter().enumerate() {
        draw_row(&mut out, &layout, k, row);
    }
    violation(&mut out, width, footer_top, why_height, &why_head, &why_lines);
    legend(&mut out, picture, legend_y, width);
    out.push_str("</svg>\n");
    out
}

/// The y of row `k`'s arrow (its last label line sits just above it).
fn row_y(layout: &Layout, picture_row: &Row, k: usize) -> i64 {
    let labels = layout.label_lines(picture_row).len().max(1) as i64;
    layout.tops[k] + 8 + labels * LABEL_LINE + 4
}

/// Step bands and numbers: the rows of one step share a band; the
/// messages in flight at the end share the last one.
fn step_bands(out: &mut String, picture: &Picture, layout: &Layout) {
    let _ = writeln!(out, "<g class=\"steps\">");
    text(out, GUTTER - 12, BOX_TOP + 24, 12, &format!("fill=\"{MUTED}\""), "end", "step");
    let mut k = 0;
    let mut band = 0;
    while k < picture.rows.len() {
        let step = picture.rows[k].step;
        let n = picture.rows[k..].iter().take_while(|r| r.step == step).count();
        let (top, bottom) = (layout.tops[k], layout.tops[k + n]);
        let fill = match (step, band % 2) {
            (None, _) => "#fff8e6",
            (_, 0) => "#f1f4f8",
            _ => "#ffffff",
        };
        let _ = writeln!(
            out,
            "<rect x=\"8\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>",
            layout.width - 16,
            bottom - top
        );
        let number = step.map_or("end".to_string(), |s| s.to_string());
        text(
            out,
            GUTTER - 12,
            row_y(layout, &picture.rows[k], k) + 5,
            14,
            "font-weight=\"bold\"",
            "end",
            &number,
        );
        k += n;
        band += 1;
    }
    let _ = writeln!(out, "</g>");
}

/// The y spans a consumer process (and so its threads) is down: from each crash row to its recovery row.
fn down_spans(picture: &Picture, layout: &Layout, consumer: u8) -> Vec<(i64, i64)> {
    let mut spans = Vec::new();
    let mut from = None;
    for (k, row) in picture.rows.iter().enumerate() {
        if row.lane != Lane::Consumer(consumer) {
            continue;
        }
        match row.shape {
            Shape::Crash => from = Some(row_y(layout, row, k)),
            Shape::Recover => spans.extend(from.take().map(|f| (f, row_y(layout, row, k)))),
            _ => {}
        }
    }
    spans.extend(from.map(|f| (f, layout.end())));
    spans
}

/// Lifelines, dashed red while a consumer process is down.
fn lifelines(out: &mut String, picture: &Picture, layout: &Layout) {
    let end = layout.end();
    let box_width = layout.column - 14;
    let size = if layout.column < 140 { 13 } else { 15 };
    for &lane in &layout.lanes {
        let x = layout.x_of(lane);
        let (fill, stroke) = match lane {
            Lane::Broker | Lane::Coordinator => ("#e3ebf7", "#2457a6"),
            Lane::Consumer(_) => ("#fff4df", "#a86b00"),
            Lane::Worker(..) => ("#fffaf0", "#c08a2e"),
            Lane::Sink => ("#e4f3e7", "#1e7b34"),
        };
        let worker = match lane {
            Lane::Worker(_, t) => format!(" data-worker=\"{t}\""),
            _ => String::new(),
        };
        let _ =
            writeln!(out, "<g class=\"lifeline\" data-actor=\"{}\"{worker}>", esc(&lane.actor().to_string()));
        let dash = if matches!(lane, Lane::Worker(..)) { " stroke-dasharray=\"2 3\"" } else { "" };
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{end}\" stroke=\"#9aa1ad\" stroke-width=\"2\"{dash}/>",
            BOX_TOP + BOX_HEIGHT
        );
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{BOX_TOP}\" width=\"{box_width}\" height=\"{BOX_HEIGHT}\" rx=\"6\" fill=\"{fill}\" \
             stroke=\"{stroke}\" stroke-width=\"2\"/>",
            x - box_width / 2
        );
        match lane {
            Lane::Worker(c, t) => {
                text(out, x, BOX_TOP + 17, size, "font-weight=\"bold\"", "middle", &format!("worker-{t}"));
                text(
                    out,
                    x,
                    BOX_TOP + 32,
                    11,
                    &format!("fill=\"{MUTED}\""),
                    "middle",
                    &format!("of consumer-{c}"),
                );
            }
            other => text(out, x, BOX_TOP + 25, size, "font-weight=\"bold\"", "middle", &other.to_string()),
        }
        let spans = lane.actor().consumer().map_or(Vec::new(), |c| down_spans(picture, layout, c));
        for (from, to) in spans {
            let _ = writeln!(
                out,
                "<line class=\"down\" x1=\"{x}\" y1=\"{from}\" x2=\"{x}\" y2=\"{to}\" stroke=\"#ffffff\" stroke-width=\"6\"/>\
                 <line x1=\"{x}\" y1=\"{from}\" x2=\"{x}\" y2=\"{to}\" stroke=\"{CRASH}\" stroke-width=\"3\" \
                 stroke-dasharray=\"5 5\"/>"
            );
        }
        let _ = writeln!(out, "</g>");
    }
}

/// Offsets in blue, side effects in green, lost messages in grey.
fn color(row: &Row) -> &'static str {
    match row.event {
        Some("fetch-offset" | "position" | "commit" | "commit-ack") => OFFSETS,
        Some("process" | "processed") => EFFECTS,
        _ => match row.shape {
            Shape::Lost { .. } => LOST,
            Shape::Handoff { .. } | Shape::InFlight { .. } => EFFECTS,
            _ => INK,
        },
    }
}

/// A cross centred on (x, y), `r` from the centre to a corner.
fn cross(out: &mut String, x: i64, y: i64, r: i64, stroke: &str, width: i64) {
    let _ = writeln!(
        out,
        "<path d=\"M{} {} L{} {} M{} {} L{} {}\" stroke=\"{stroke}\" stroke-width=\"{width}\" stroke-linecap=\"round\"/>",
        x - r,
        y - r,
        x + r,
        y + r,
        x - r,
        y + r,
        x + r,
        y - r
    );
}

/// An arrow from `from` to `to` at `y`: solid, dotted (a hand-off), dashed and stopping short (in flight), or ending in a cross (lost).
fn arrow(out: &mut String, from: i64, to: i64, y: i64, c: &str, shape: &Shape) {
    let dir = if to >= from { 1 } else { -1 };
    let (tip, dash) = match shape {
        Shape::InFlight { .. } => (to - dir * 16, " stroke-dasharray=\"8 5\""),
        Shape::Handoff { .. } => (to - dir * 4, " stroke-dasharray=\"2 3\""),
        Shape::Lost { .. } => (from + (to - from) * 6 / 10, " stroke-dasharray=\"6 4\""),
        _ => (to - dir * 4, ""),
    };
    let _ = writeln!(
        out,
        "<line x1=\"{from}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{c}\" stroke-width=\"2\"{dash}/>",
        tip - dir * 10
    );
    match shape {
        Shape::Lost { .. } => cross(out, tip - dir * 8, y, 6, c, 3),
        Shape::InFlight { .. } => {
            let _ = writeln!(
                out,
                "<polyline points=\"{},{} {tip},{y} {},{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"/>",
                tip - dir * 12,
                y - 6,
                tip - dir * 12,
                y + 6
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "<polygon points=\"{tip},{y} {},{} {},{}\" fill=\"{c}\"/>",
                tip - dir * 12,
                y - 6,
                tip - dir * 12,
                y + 6
            );
        }
    }
}

/// One row: its shape on its lane and its sentence on the right.
fn draw_row(out: &mut String, layout: &Layout, k: usize, row: &Row) {
    let y = row_y(layout, row, k);
    let x = layout.x_of(row.lane);
    let (class, from) = match &row.shape {
        Shape::Crash => ("crash", None),
        Shape::Recover => ("recover", None),
        Shape::Arrow { from, .. } if *from != row.lane => ("message", Some(*from)),
        Shape::Lost { from, .. } => ("lost", Some(*from)),
        Shape::InFlight { from, .. } => ("in-flight", Some(*from)),
        Shape::Handoff { from, .. } => ("handoff", Some(*from)),
        Shape::Arrow { .. } | Shape::Local { .. } => ("event", None),
    };
    let step = row.step.map_or("end".to_string(), |s| s.to_string());
    let from_attr = from.map_or(String::new(), |f| format!(" data-from=\"{}\"", esc(&f.to_string())));
    let _ = writeln!(
        out,
        "<g class=\"{class}\" data-step=\"{step}\" data-event=\"{}\" data-actor=\"{}\" data-lane=\"{}\"{from_attr}>",
        esc(row.event.unwrap_or(class)),
        esc(&row.lane.actor().to_string()),
        esc(&row.lane.to_string())
    );
    let _ = writeln!(out, "<title>{step}. {}</title>", esc(&row.text));
    let labels = layout.label_lines(row);
    let c = color(row);
    match (class, from) {
        ("crash", _) => {
            cross(out, x, y, 10, CRASH, 5);
            plated(
                out,
                x + 18,
                y + 5,
                &format!("fill=\"{CRASH}\" font-weight=\"bold\""),
                "start",
                &["CRASH".into()],
            );
        }
        ("recover", _) => {
            let _ = writeln!(
                out,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"9\" fill=\"{RECOVER}\" stroke=\"#ffffff\" stroke-width=\"2\"/>"
            );
            plated(
                out,
                x + 18,
                y + 5,
                &format!("fill=\"{RECOVER}\" font-weight=\"bold\""),
                "start",
                &["RECOVER".into()],
            );
        }
        (_, Some(from)) => {
            let from_x = layout.x_of(from);
            arrow(out, from_x, x, y, c, &row.shape);
            plated(out, (from_x + x) / 2, y - 7, &format!("fill=\"{c}\""), "middle", &labels);
        }
        _ => {
            let _ = writeln!(out, "<circle cx=\"{x}\" cy=\"{y}\" r=\"6\" fill=\"{MUTED}\"/>");
            // Right of the dot; left of it on the last lane, clear of the sentences.
            let last = layout.lanes.last() == Some(&row.lane);
            let (at, anchor) = if last { (x - 12, "end") } else { (x + 12, "start") };
            plated(out, at, y + 4, &format!("fill=\"{MUTED}\""), anchor, &labels);
        }
    }
    let _ = writeln!(out, "</g>");
    let lines = wrap(&row.text, layout.sentence_chars);
    let first = layout.tops[k] + 8 + SENTENCE_SIZE;
    for (i, line) in lines.iter().enumerate() {
        let y = first + i as i64 * LINE;
        text(
            out,
            layout.sentences_x,
            y,
            SENTENCE_SIZE,
            &format!("class=\"sentence\" fill=\"{INK}\""),
            "start",
            line,
        );
    }
}

/// Why the property fails, in a red box under the rows.
fn violation(
    out: &mut String,
    width: i64,
    footer_top: i64,
    why_height: i64,
    why_head: &str,
    why_lines: &[String],
) {
    let _ = writeln!(out, "<g class=\"violation\">");
    let _ = writeln!(
        out,
        "<rect x=\"16\" y=\"{footer_top}\" width=\"{}\" height=\"{why_height}\" rx=\"6\" fill=\"#fdeaea\" \
         stroke=\"{CRASH}\" stroke-width=\"1.5\"/>",
        width - 32
    );
    text(out, 30, footer_top + 24, 15, &format!("font-weight=\"bold\" fill=\"{CRASH}\""), "start", why_head);
    for (i, line) in why_lines.iter().enumerate() {
        text(out, 30, footer_top + 46 + i as i64 * 20, 14, "", "start", line);
    }
    let _ = writeln!(out, "</g>");
}

/// The legend at the bottom, from its first baseline at `y`, wrapped to
/// `width`: the shapes the picture uses. Returns how many lines it took.
fn legend(out: &mut String, picture: &Picture, y: i64, width: i64) -> i64 {
    let uses = |kind: &str| {
        picture.rows.iter().any(|r| match kind {
            "handoff" => matches!(r.shape, Shape::Handoff { .. }),
            "in-flight" => matches!(r.shape, Shape::InFlight { .. }),
            "lost" => matches!(r.shape, Shape::Lost { .. }),
            "crash" | "down" => matches!(r.shape, Shape::Crash),
            "recover" => matches!(r.shape, Shape::Recover),
            _ => true,
        })
    };
    let items: [(&str, &str); 7] = [
        ("message", "message from its sender to its receiver (Kafka's request or response)"),
        ("handoff", "record handed to a worker thread"),
        ("in-flight", "still on the network at the end"),
        ("lost", "lost by the network"),
        ("crash", "crash"),
        ("recover", "recover"),
        ("down", "process down"),
    ];
    let _ = writeln!(out, "<g class=\"legend\" font-size=\"12\" fill=\"{MUTED}\">");
    let (mut x, mut line) = (20, 0);
    for (kind, words) in items.into_iter().filter(|(kind, _)| uses(kind)) {
        let w = 44 + text_width(words, 12) + 24;
        if x + w > width - 20 {
            (x, line) = (20, line + 1);
        }
        let y = y + line * 24;
        match kind {
            "crash" => cross(out, x + 16, y, 7, CRASH, 4),
            "recover" => {
                let _ = writeln!(out, "<circle cx=\"{}\" cy=\"{y}\" r=\"7\" fill=\"{RECOVER}\"/>", x + 16);
            }
            "down" => {
                let _ = writeln!(
                    out,
                    "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{CRASH}\" stroke-width=\"3\" stroke-dasharray=\"5 5\"/>",
                    x + 16,
                    y - 9,
                    y + 9
                );
            }
            _ => {
                let shape = match kind {
                    "handoff" => Shape::Handoff { from: Lane::Sink, record: (0, 0) },
                    "in-flight" => Shape::InFlight { from: Lane::Sink, label: String::new(), sent: 0 },
                    "lost" => Shape::Lost { from: Lane::Sink, label: String::new(), sent: None },
                    _ => Shape::Local { label: String::new() },
                };
                let c = if kind == "lost" { LOST } else { INK };
                arrow(out, x, x + 40, y, c, &shape);
            }
        }
        text(out, x + 48, y + 4, 12, "", "start", words);
        x += w;
    }
    let _ = writeln!(out, "</g>");
    line + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_within_the_width_and_cuts_longer_words() {
        assert_eq!(wrap("lost: partition 0 offset 0", 12), vec!["lost:", "partition 0", "offset 0"]);
        assert_eq!(wrap("", 10), vec![""]);
        assert_eq!(wrap("abcdefghij k", 4), vec!["abcd", "efgh", "ij k"]);
    }

    #[test]
    fn lanes_are_ordered_broker_coordinator_each_consumer_with_its_threads_sink() {
        use Lane::*;
        let mut lanes = vec![
            Sink,
            Worker(0, 1),
            Consumer(10),
            Coordinator,
            Consumer(2),
            Worker(0, 0),
            Consumer(0),
            Broker,
        ];
        lanes.sort_by_key(|l| l.rank());
        assert_eq!(
            lanes,
            [Broker, Coordinator, Consumer(0), Worker(0, 0), Worker(0, 1), Consumer(2), Consumer(10), Sink]
        );
    }
}
