//! Progress of long checks on stderr (`check` calls [`show`] once a second
//! while a search runs, [`finish`] after each scenario, [`note`] for a line
//! of its own such as `checking FILE ...`).
//!
//! Several scenario files can be checked at once (`check DIR`), so there is
//! one progress line per running scenario. On a terminal, an indicatif
//! spinner line each, in one [`MultiProgress`], redrawn in place and cut to
//! the terminal's width; a scenario's line goes when its check ends.
//! Elsewhere (a CI log, a file) indicatif draws nothing, and each running
//! scenario gets a plain line every [`PLAIN_EVERY`]: a CI job that runs for
//! many minutes needs a heartbeat in its log (without one it looks hung, and
//! a job killed at the CI's own time limit would leave no sign of how far it
//! got), but a line a second would bury the results in the log.

use crate::check::{Progress, grouped};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a plain progress line is printed when stderr is not a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// What is showing: the spinners of the running scenarios on a terminal,
/// or when each scenario's last plain line was printed. Keyed by the
/// scenario's name (two files of one name share a line).
struct Shown {
    multi: Option<MultiProgress>,
    spinners: Vec<(String, ProgressBar)>,
    plain_at: Vec<(String, Instant)>,
}

static SHOWN: Mutex<Shown> = Mutex::new(Shown { multi: None, spinners: Vec::new(), plain_at: Vec::new() });

fn shown() -> std::sync::MutexGuard<'static, Shown> {
    SHOWN.lock().unwrap_or_else(|e| e.into_inner())
}

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
    let mut shown = shown();
    if let Some((_, bar)) = shown.spinners.iter().find(|(name, _)| name == p.scenario) {
        return bar.set_message(line(p));
    }
    if std::io::stderr().is_terminal() {
        let multi =
            shown.multi.get_or_insert_with(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let bar = multi.add(ProgressBar::new_spinner());
        let style = ProgressStyle::with_template("{spinner} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(line(p));
        bar.enable_steady_tick(Duration::from_millis(120));
        shown.spinners.push((p.scenario.to_string(), bar));
        return;
    }
    let last = shown.plain_at.iter_mut().find(|(name, _)| name == p.scenario);
    match last {
        Some((_, at)) if plain_due(Some(at.elapsed())) => *at = Instant::now(),
        Some(_) => return,
        None => shown.plain_at.push((p.scenario.to_string(), Instant::now())),
    }
    eprintln!("{}", line(p));
}

/// A line of its own on stderr, above the spinners if any are showing (a
/// plain `eprintln!` would be drawn over by them).
pub fn note(text: &str) {
    let shown = shown();
    match &shown.multi {
        Some(multi) if !shown.spinners.is_empty() => {
            let _ = multi.println(text);
        }
        _ => eprintln!("{text}"),
    }
}

/// Removes a scenario's spinner, if one is showing, and starts its plain
/// lines afresh.
pub fn finish(scenario: &str) {
    let mut shown = shown();
    shown.plain_at.retain(|(name, _)| name != scenario);
    if let Some(at) = shown.spinners.iter().position(|(name, _)| name == scenario) {
        let (_, bar) = shown.spinners.remove(at);
        bar.finish_and_clear();
        if let Some(multi) = &shown.multi {
            multi.remove(&bar);
        }
    }
}

/// Removes every spinner (one scenario checked after another: `live`).
pub fn clear() {
    let mut shown = shown();
    shown.plain_at.clear();
    for (_, bar) in std::mem::take(&mut shown.spinners) {
        bar.finish_and_clear();
        if let Some(multi) = &shown.multi {
            multi.remove(&bar);
        }
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
