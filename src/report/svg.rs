//! `<stem>.<property>.svg`: a counterexample as a standalone sequence diagram.
//!
//! One lifeline per actor (broker, coordinator, consumers, sink, in that
//! order), one row per trace event: an arrow from `peer` to `actor` for a
//! delivered message, labelled with the event; a red cross for a crash and a
//! green dot for a recovery on the consumer's lifeline, which is dashed red
//! while the consumer is down. Rows of one step share a band and the step
//! number; each row repeats the event's sentence on the right. Everything is
//! inline (presentation attributes, no CSS, no scripts) and laid out in whole
//! pixels, so the same trace always gives the same bytes.

use super::markdown::steps;
use super::{Checked, xml_escape as esc};
use crate::check::PropertyOutcome;
use crate::model::event::{Actor, Event, StartAt};
use crate::trace::{Trace, TraceStep};
use std::fmt::Write as _;

const FONT: &str = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
/// Left margin holding the step numbers.
const GUTTER: i64 = 70;
/// Distance between lifelines.
const COLUMN: i64 = 200;
const BOX_TOP: i64 = 78;
const BOX_WIDTH: i64 = 150;
const BOX_HEIGHT: i64 = 34;
const ROWS_TOP: i64 = BOX_TOP + BOX_HEIGHT + 14;
const ROW: i64 = 38;

const INK: &str = "#1d2330";
const MUTED: &str = "#5b6270";
const CRASH: &str = "#c81e1e";
const RECOVER: &str = "#1e7b34";

/// The approximate width of `text` at `size` pixels (0.6 em a character, sans-serif).
fn text_width(text: &str, size: i64) -> i64 {
    text.chars().count() as i64 * size * 6 / 10
}

/// Lifeline order: broker, coordinator, consumers by number, sink.
fn rank(actor: Actor) -> (u8, u8) {
    match actor {
        Actor::Broker => (0, 0),
        Actor::Coordinator => (1, 0),
        Actor::Consumer(n) => (2, n),
        Actor::Sink => (3, 0),
    }
}

/// Every actor of the trace, as actor or as peer, in lifeline order.
fn actors(trace: &Trace) -> Vec<Actor> {
    let mut all: Vec<Actor> =
        trace.steps.iter().flat_map(|s| std::iter::once(s.actor()).chain(s.peer())).collect();
    all.sort_by_key(|&a| rank(a));
    all.dedup();
    all
}

/// The arrow label: the event, and where it applies the partition and offset.
fn label(s: &TraceStep) -> String {
    let mut out = s.name().to_string();
    if let Some((p, offset)) = s.event.at() {
        let _ = write!(out, " p{p}");
        if let Some(o) = offset {
            let _ = write!(out, " offset {o}");
        }
    }
    out
}

/// Offsets in blue, side effects in green, what the network or a consumer dropped in grey.
fn color(event: &Event) -> &'static str {
    match event {
        Event::FetchOffset { .. }
        | Event::Position { start: StartAt::Offset { .. }, .. }
        | Event::Commit { .. }
        | Event::TxnCommit { .. }
        | Event::CommitAck { .. } => "#2457a6",
        Event::Process { .. } | Event::Processed { .. } => "#1e7b34",
        Event::Drop { .. } | Event::DropStale { .. } => "#8a8f98",
        _ => INK,
    }
}

fn dropped(event: &Event) -> bool {
    matches!(event, Event::Drop { .. } | Event::DropStale { .. })
}

/// Splits `text` into lines of at most `width` characters, at spaces where possible.
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
        line.push_str(word);
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

/// A label on a white plate, so lines behind it do not cross the letters.
fn plated(out: &mut String, x: i64, y: i64, size: i64, attrs: &str, anchor: &str, content: &str) {
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
        size + 5
    );
    text(out, x, y, size, attrs, anchor, content);
}

fn bold(fill: &str) -> String {
    format!("fill=\"{fill}\" font-weight=\"bold\"")
}

/// Where things go in a diagram: one lifeline per actor, one row per event.
struct Layout {
    actors: Vec<Actor>,
    lifeline_end: i64,
    sentences_x: i64,
}

impl Layout {
    fn x_of(&self, actor: Actor) -> i64 {
        let i = self.actors.iter().position(|a| *a == actor).unwrap_or(0) as i64;
        GUTTER + COLUMN / 2 + i * COLUMN
    }
}

fn row_y(k: usize) -> i64 {
    ROWS_TOP + k as i64 * ROW + ROW / 2 + 5
}

/// The sequence diagram of one counterexample.
pub fn sequence_diagram(r: &Checked, p: &PropertyOutcome, trace: &Trace) -> String {
    let actors = actors(trace);
    let rows = trace.steps.len() as i64;
    let lifeline_end = ROWS_TOP + rows * ROW + 10;
    let sentences_x = GUTTER + actors.len() as i64 * COLUMN + 10;
    let sentences_w = trace.steps.iter().map(|s| text_width(&s.text, 13)).max().unwrap_or(0);

    let title = format!("{} — {} violated", r.file.display(), p.name);
    let expectation = if !p.expected.gated() {
        "not gated: any verdict expected".to_string()
    } else if p.matches() {
        format!("expected {}: as expected", p.expected)
    } else {
        format!("expected {}: NOT as expected", p.expected)
    };
    let subtitle = format!("{} ({expectation})", r.scenario.name);
    let width = (sentences_x + sentences_w + 30)
        .max(text_width(&title, 20) + 40)
        .max(text_width(&subtitle, 14) + 40)
        .max(760);
    let layout = Layout { actors, lifeline_end, sentences_x };

    let why_head = match trace.steps.last() {
        Some(s) => format!("Why {} fails after step {}:", p.name, s.step),
        None => format!("Why {} fails in the initial state:", p.name),
    };
    let why_lines = wrap(&trace.violation, ((width - 60) * 10 / (14 * 6)) as usize);
    let footer_top = lifeline_end + 26;
    let why_height = 34 + why_lines.len() as i64 * 20;
    let legend_y = footer_top + why_height + 30;
    let height = legend_y + 24;

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
    text(&mut out, 20, 56, 14, &format!("fill=\"{MUTED}\""), "start", &subtitle);
    step_bands(&mut out, trace, width);
    lifelines(&mut out, trace, &layout);
    for (k, s) in trace.steps.iter().enumerate() {
        event_row(&mut out, &layout, k, s);
    }
    violation(&mut out, width, footer_top, why_height, &why_head, &why_lines);
    legend(&mut out, legend_y);
    out.push_str("</svg>\n");
    out
}

/// Step bands and numbers: the rows of one step share a band.
fn step_bands(out: &mut String, trace: &Trace, width: i64) {
    let _ = writeln!(out, "<g class=\"steps\">");
    text(out, GUTTER - 16, BOX_TOP + 22, 12, &format!("fill=\"{MUTED}\""), "end", "step");
    let mut k = 0;
    for (i, (n, group)) in steps(trace).into_iter().enumerate() {
        let top = ROWS_TOP + k as i64 * ROW;
        let fill = if i % 2 == 0 { "#f1f4f8" } else { "#ffffff" };
        let _ = writeln!(
            out,
            "<rect x=\"8\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>",
            width - 16,
            group.len() as i64 * ROW
        );
        text(out, GUTTER - 16, row_y(k), 14, "font-weight=\"bold\"", "end", &n.to_string());
        k += group.len();
    }
    let _ = writeln!(out, "</g>");
}

/// Lifelines, dashed red while a consumer is down.
fn lifelines(out: &mut String, trace: &Trace, layout: &Layout) {
    let lifeline_end = layout.lifeline_end;
    for &actor in &layout.actors {
        let x = layout.x_of(actor);
        let (fill, stroke) = match actor {
            Actor::Broker | Actor::Coordinator => ("#e3ebf7", "#2457a6"),
            Actor::Consumer(_) => ("#fff4df", "#a86b00"),
            Actor::Sink => ("#e4f3e7", "#1e7b34"),
        };
        let name = actor.to_string();
        let _ = writeln!(out, "<g class=\"lifeline\" data-actor=\"{}\">", esc(&name));
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{lifeline_end}\" stroke=\"#9aa1ad\" stroke-width=\"2\"/>",
            BOX_TOP + BOX_HEIGHT
        );
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{BOX_TOP}\" width=\"{BOX_WIDTH}\" height=\"{BOX_HEIGHT}\" rx=\"6\" fill=\"{fill}\" \
             stroke=\"{stroke}\" stroke-width=\"2\"/>",
            x - BOX_WIDTH / 2
        );
        text(out, x, BOX_TOP + 23, 15, "font-weight=\"bold\"", "middle", &name);
        let mut down_from = None;
        let mut segments = Vec::new();
        for (k, s) in trace.steps.iter().enumerate() {
            if s.actor() != actor {
                continue;
            }
            match s.event {
                Event::Crash { .. } => down_from = Some(row_y(k)),
                Event::Recover { .. } => segments.extend(down_from.take().map(|from| (from, row_y(k)))),
                _ => {}
            }
        }
        segments.extend(down_from.map(|from| (from, lifeline_end)));
        for (from, to) in segments {
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

/// One event's row: an arrow from its peer, a crash, a recovery or a dot, and its sentence.
fn event_row(out: &mut String, layout: &Layout, k: usize, s: &TraceStep) {
    let y = row_y(k);
    let x = layout.x_of(s.actor());
    let peer = s.peer().filter(|&p| p != s.actor());
    let class = match (&s.event, peer) {
        (Event::Crash { .. }, _) => "crash",
        (Event::Recover { .. }, _) => "recover",
        (_, Some(_)) => "message",
        (_, None) => "event",
    };
    let _ = writeln!(
        out,
        "<g class=\"{class}\" data-step=\"{}\" data-event=\"{}\" data-actor=\"{}\">",
        s.step,
        esc(s.name()),
        esc(&s.actor().to_string())
    );
    let _ = writeln!(out, "<title>{}. {}</title>", s.step, esc(&s.text));
    match class {
        "crash" => {
            let _ = writeln!(
                out,
                "<path d=\"M{} {} L{} {} M{} {} L{} {}\" stroke=\"{CRASH}\" stroke-width=\"5\" stroke-linecap=\"round\"/>",
                x - 10,
                y - 10,
                x + 10,
                y + 10,
                x - 10,
                y + 10,
                x + 10,
                y - 10
            );
            plated(out, x + 18, y + 5, 14, &bold(CRASH), "start", "CRASH");
        }
        "recover" => {
            let _ = writeln!(
                out,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"9\" fill=\"{RECOVER}\" stroke=\"#ffffff\" stroke-width=\"2\"/>"
            );
            plated(out, x + 18, y + 5, 14, &bold(RECOVER), "start", "RECOVER");
        }
        "message" => {
            let from = peer.map_or(x, |p| layout.x_of(p));
            let c = color(&s.event);
            let dir = if x >= from { 1 } else { -1 };
            let tip = x - dir * 4;
            let dropped = dropped(&s.event);
            let dash = if dropped { " stroke-dasharray=\"6 4\"" } else { "" };
            let _ = writeln!(
                out,
                "<line x1=\"{from}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{c}\" stroke-width=\"2\"{dash}/>",
                tip - dir * 10
            );
            if dropped {
                let _ = writeln!(
                    out,
                    "<path d=\"M{} {} L{} {} M{} {} L{} {}\" stroke=\"{c}\" stroke-width=\"3\"/>",
                    tip - dir * 14,
                    y - 6,
                    tip - dir * 2,
                    y + 6,
                    tip - dir * 14,
                    y + 6,
                    tip - dir * 2,
                    y - 6
                );
            } else {
                let _ = writeln!(
                    out,
                    "<polygon points=\"{tip},{y} {},{} {},{}\" fill=\"{c}\"/>",
                    tip - dir * 12,
                    y - 6,
                    tip - dir * 12,
                    y + 6
                );
            }
            plated(out, (from + x) / 2, y - 7, 12, &format!("fill=\"{c}\""), "middle", &label(s));
        }
        _ => {
            let _ = writeln!(out, "<circle cx=\"{x}\" cy=\"{y}\" r=\"6\" fill=\"{MUTED}\"/>");
            plated(out, x + 14, y + 5, 12, &format!("fill=\"{MUTED}\""), "start", &label(s));
        }
    }
    let _ = writeln!(out, "</g>");
    text(out, layout.sentences_x, y + 5, 13, &format!("class=\"sentence\" fill=\"{INK}\""), "start", &s.text);
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

/// The legend at the bottom, its baseline at `y`.
fn legend(out: &mut String, y: i64) {
    let _ = writeln!(out, "<g class=\"legend\" font-size=\"12\" fill=\"{MUTED}\">");
    let _ = writeln!(
        out,
        "<line x1=\"20\" y1=\"{y}\" x2=\"52\" y2=\"{y}\" stroke=\"{INK}\" stroke-width=\"2\"/>\
         <polygon points=\"60,{y} 48,{} 48,{}\" fill=\"{INK}\"/>",
        y - 6,
        y + 6
    );
    text(
        out,
        68,
        y + 4,
        12,
        "",
        "start",
        "message delivered to the actor it points at, labelled with its event",
    );
    let x = 540;
    let _ = writeln!(
        out,
        "<path d=\"M{} {} L{} {} M{} {} L{} {}\" stroke=\"{CRASH}\" stroke-width=\"4\" stroke-linecap=\"round\"/>",
        x - 7,
        y - 7,
        x + 7,
        y + 7,
        x - 7,
        y + 7,
        x + 7,
        y - 7
    );
    text(out, x + 14, y + 4, 12, "", "start", "crash");
    let _ = writeln!(out, "<circle cx=\"{}\" cy=\"{y}\" r=\"7\" fill=\"{RECOVER}\"/>", x + 70);
    text(out, x + 82, y + 4, 12, "", "start", "recover");
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{CRASH}\" stroke-width=\"3\" stroke-dasharray=\"5 5\"/>",
        x + 150,
        y - 9,
        x + 150,
        y + 9
    );
    text(out, x + 160, y + 4, 12, "", "start", "consumer down");
    let _ = writeln!(out, "</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        assert_eq!(wrap("lost: partition 0 offset 0", 12), vec!["lost:", "partition 0", "offset 0"]);
        assert_eq!(wrap("", 10), vec![""]);
    }

    #[test]
    fn lifelines_are_ordered_broker_coordinator_consumers_sink() {
        use Actor::*;
        let mut actors = vec![Sink, Consumer(10), Coordinator, Consumer(2), Broker];
        actors.sort_by_key(|&a| rank(a));
        assert_eq!(actors, [Broker, Coordinator, Consumer(2), Consumer(10), Sink]);
    }
}
