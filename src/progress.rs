//! Progress of long checks on stderr (`check` calls [`show`] once a second
//! while a search runs, [`clear`] after each scenario).
//!
//! On a terminal, an indicatif spinner line, redrawn in place and cut to the
//! terminal's width. Elsewhere (a CI log, a file) indicatif draws nothing,
//! and a plain line is printed every [`PLAIN_EVERY`]: a CI job that runs for
//! many minutes needs a heartbeat in its log (without one it looks hung, and
//! a job killed at the CI's own time limit would leave no sign of how far it
//! got), but a line a second would bury the results in the log.

use crate::check::{Progress, grouped};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a plain progress line is printed when stderr is not a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// The spinner showing on the terminal, or when the last plain line was printed.
enum Shown {
    Nothing,
    Spinner(ProgressBar),
    PlainAt(Instant),
}

static SHOWN: Mutex<Shown> = Mutex::new(Shown::Nothing);

/// The progress line: numbers first, so that a line cut at a narrow
/// terminal's edge keeps them.
pub fn line(p: &Progress) -> String {
    format!(
        "{} states, {} states/s, depth {}, {}s — {} — {}",
        grouped(p.states),
        grouped(p.states_per_second.round() as usize),
        p.depth,
        p.elapsed.as_secs(),
        p.phase,
        p.scenario
    )
}

/// Whether a plain line is due, `since_last` being `None` before the first.
pub fn plain_due(since_last: Option<Duration>) -> bool {
    since_last.is_none_or(|t| t >= PLAIN_EVERY)
}

/// The progress callback of [`crate::check::Options`].
pub fn show(p: &Progress) {
    let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
    match &*shown {
        Shown::Spinner(bar) => return bar.set_message(line(p)),
        Shown::PlainAt(at) if !plain_due(Some(at.elapsed())) => return,
        Shown::Nothing | Shown::PlainAt(_) => {}
    }
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(line(p));
        bar.enable_steady_tick(Duration::from_millis(120));
        *shown = Shown::Spinner(bar);
    } else {
        eprintln!("{}", line(p));
        *shown = Shown::PlainAt(Instant::now());
    }
}

/// Clears the spinner, if one is showing, and starts the next scenario's
/// plain lines afresh.
pub fn clear() {
    let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Shown::Spinner(bar) = std::mem::replace(&mut *shown, Shown::Nothing) {
        bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_puts_the_numbers_first() {
        let p = Progress {
            scenario: "at-least-once",
            phase: "proving",
            states: 1_234_567,
            depth: 40,
            states_per_second: 45_000.4,
            elapsed: Duration::from_millis(12_700),
        };
        assert_eq!(line(&p), "1,234,567 states, 45,000 states/s, depth 40, 12s — proving — at-least-once");
    }

    #[test]
    fn a_log_gets_a_plain_line_every_few_seconds() {
        assert!(plain_due(None));
        assert!(!plain_due(Some(Duration::from_secs(1))));
        assert!(plain_due(Some(PLAIN_EVERY)));
    }
}
