//! The Explorer's sequence diagram of the path to a state.
//!
//! Stateright's `ActorModel::as_svg` labels each arrow with the message's
//! derived `Debug` at the receiver's lifeline, cut off by the picture's
//! edge (`OffsetFetchResponse { incarnation: 0, …`), and each other step
//! with `Random(…)` or `Timeout(…)`. Here each step is labelled with the
//! words the path list uses, numbered, in a column right of the lifelines:
//! for a message its [`message`](super::message) text (the arrow shows who
//! sent it to whom), for any other step its [`action`](super::action) text.
//! The picture is as wide as its longest label, which for a message is
//! short enough that four lifelines and the labels fit the Explorer's state
//! panel on a 1,400 px page; a wider one (more consumers, a long step
//! label) is scaled down to the panel's width rather than cut off. Arrows start where the message was sent
//! ([`sent`]) and end at its receiver; a lost message is a dashed line
//! ending in a cross, every other step a dot on the lifeline of the actor
//! that took it.

use super::step::{actor_of, sent};
use super::{action, message};
use crate::model::msg::Msg;
use crate::model::{KafkaAction, KafkaState, actor_name};
use stateright::actor::{ActorModelAction, Envelope, Id};
use std::collections::HashMap;
use std::fmt::Write;

/// Pixels between two steps, between two lines of one step's label, and the margins.
const ROW: usize = 26;
const LINE: usize = 15;
const MARGIN: usize = 20;
/// The top of the first step, below the actors' names.
const TOP: usize = 44;
/// The labels' font size, and the width of one of its characters in
/// tenths of a pixel (a monospace font's advance is about 0.6 of its size:
/// DejaVu Sans Mono's and Courier New's are 0.60).
const FONT_PX: usize = 12;
const CHAR_TENTHS: usize = 73;
/// Labels longer than this many characters go on more lines, so that a
/// long step (a consumer's timeout reads 90 characters) does not make the
/// whole picture wide, and so small once scaled to the panel.
const WRAP: usize = 52;

/// The width of `chars` characters of a label.
fn text_px(chars: usize) -> usize {
    (chars * CHAR_TENTHS).div_ceil(10)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&apos;")
}

/// `text` in lines of at most [`WRAP`] characters, broken at spaces (a
/// longer word keeps its own line); each line but the last keeps its space.
fn wrap(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + word.chars().count() <= WRAP => line.push_str(word),
            _ => lines.push(word.to_string()),
        }
        lines.last_mut().expect("a line").push(' ');
    }
    if let Some(last) = lines.last_mut() {
        last.pop();
    }
    lines
}

/// Where things go: a lifeline per actor, a row per step (taller for a
/// label of several lines), the labels to the right.
struct Layout {
    spacing: usize,
    first: usize,
    labels_x: usize,
    /// The y of each step's row; `rows[0]` is the start, before the first
    /// step, and the last is below the last step's label (the picture's bottom).
    rows: Vec<usize>,
}

impl Layout {
    fn new(names: &[String], labels: &[Vec<String>]) -> Self {
        let widest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let spacing = (text_px(widest) + 24).max(100);
        let first = MARGIN + text_px(widest) / 2;
        let labels_x = first + names.len().saturating_sub(1) * spacing + spacing / 2;
        // Step t's row is below step t - 1's and the extra lines of its label.
        let mut rows = vec![TOP, TOP + ROW];
        for label in labels {
            let last = rows[rows.len() - 1];
            rows.push(last + ROW + label.len().saturating_sub(1) * LINE);
        }
        Layout { spacing, first, labels_x, rows }
    }

    fn x(&self, actor: Id) -> usize {
        self.first + usize::from(actor) * self.spacing
    }

    fn y(&self, time: usize) -> usize {
        self.rows[time]
    }

    fn height(&self) -> usize {
        self.rows[self.rows.len() - 1]
    }
}

/// The label of step `time`: a message by its text, any other step by its action's.
fn label(time: usize, step: &KafkaAction) -> String {
    match step {
        ActorModelAction::Deliver { msg, .. } => format!("{time}. {}", message(msg)),
        ActorModelAction::Drop(env) => format!("{time}. lost: {}", message(&env.msg)),
        other => format!("{time}. {}", action(other)),
    }
}

/// Draws step `time` into `shapes`; returns where on its row it happened.
fn shape(layout: &Layout, step: &KafkaAction, time: usize, sent_at: &Sends, shapes: &mut String) -> usize {
    let row = layout.y(time);
    let (src, dst, msg) = match step {
        ActorModelAction::Deliver { src, dst, msg } => (*src, *dst, msg),
        ActorModelAction::Drop(env) => (env.src, env.dst, &env.msg),
        other => {
            let cx = actor_of(other).map_or(layout.first, |a| layout.x(Id::from(a)));
            let _ = writeln!(shapes, "<circle cx='{cx}' cy='{row}' r='6' class='svg-event-shape' />");
            return cx;
        }
    };
    let from = sent_at.get(&Envelope { src, dst, msg: msg.clone() }).copied().unwrap_or(0);
    let (x1, y1, x2) = (layout.x(src), layout.y(from), layout.x(dst));
    if let ActorModelAction::Drop(_) = step {
        let (xm, ym) = ((x1 + x2) / 2, (y1 + row) / 2);
        let _ = writeln!(
            shapes,
            "<line x1='{x1}' y1='{y1}' x2='{xm}' y2='{ym}' class='svg-event-line' stroke-dasharray='4 3' />\
             <text x='{xm}' y='{ym}' class='svg-event-label' text-anchor='middle' \
             dominant-baseline='middle' font-size='{}'>×</text>",
            FONT_PX + 4
        );
        return xm;
    }
    let _ = writeln!(
        shapes,
        "<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{row}' marker-end='url(#arrow)' class='svg-event-line' />"
    );
    x2
}

/// When each message still on the network was sent (absent: before the first step).
type Sends = HashMap<Envelope<Msg>, usize>;

/// The diagram of a path: each state with the step taken from it (none from the last).
pub fn svg(pairs: &[(KafkaState, Option<KafkaAction>)]) -> String {
    let names: Vec<String> = (0..pairs[0].0.actor_states.len()).map(actor_name).collect();
    let steps: Vec<&KafkaAction> = pairs.iter().filter_map(|(_, step)| step.as_ref()).collect();
    let lines: Vec<Vec<String>> =
        steps.iter().enumerate().map(|(i, step)| wrap(&label(i + 1, step))).collect();
    let layout = Layout::new(&names, &lines);
    let (mut shapes, mut labels) = (String::new(), String::new());
    let mut sent_at = Sends::new();
    for (i, pair) in pairs.windows(2).enumerate() {
        let ((before, step), after) = (&pair[0], &pair[1].0);
        let Some(step) = step else { continue };
        let (time, row) = (i + 1, layout.y(i + 1));
        let at = shape(&layout, step, time, &sent_at, &mut shapes);
        // A faint guide from where the step happened to its label.
        let _ = writeln!(
            shapes,
            "<line x1='{at}' y1='{row}' x2='{}' y2='{row}' class='svg-actor-timeline' stroke-dasharray='1 4' />",
            layout.labels_x - 6
        );
        let x = layout.labels_x;
        let _ = write!(
            labels,
            "<text x='{x}' y='{row}' dominant-baseline='middle' font-size='{FONT_PX}' class='svg-event-label'>"
        );
        for (n, line) in lines[i].iter().enumerate() {
            let dy = if n == 0 { 0 } else { LINE };
            let _ = write!(labels, "<tspan x='{x}' dy='{dy}'>{}</tspan>", escape(line));
        }
        labels.push_str("</text>\n");
        for env in sent(before, step, after) {
            sent_at.insert(env, time);
        }
    }
    let widest_label = lines.iter().flatten().map(|l| l.chars().count()).max().unwrap_or(0);
    let width = layout.labels_x + text_px(widest_label) + MARGIN;
    let height = layout.height();
    let mut svg = format!(
        "<svg version='1.1' baseProfile='full' width='{width}' height='{height}' \
         viewBox='0 0 {width} {height}' style='max-width: 100%; height: auto' \
         xmlns='http://www.w3.org/2000/svg'>\
         <defs><marker class='svg-event-shape' id='arrow' markerWidth='12' markerHeight='10' \
         refX='12' refY='5' orient='auto'><polygon points='0 0, 12 5, 0 10' /></marker></defs>\n"
    );
    for (i, name) in names.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<line x1='{0}' y1='{1}' x2='{0}' y2='{height}' class='svg-actor-timeline' />\
             <text x='{0}' y='{2}' text-anchor='middle' font-size='{FONT_PX}' class='svg-actor-label'>{3}</text>",
            layout.x(Id::from(i)),
            TOP - ROW / 2,
            TOP - ROW,
            escape(name)
        );
    }
    svg.push_str(&shapes);
    svg.push_str(&labels);
    svg.push_str("</svg>");
    svg
}
