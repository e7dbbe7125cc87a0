//! What a person sees on a terminal: a progress display while rows are written, and a
//! closing summary. Nothing at all when standard error is not a terminal.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use zoom_participants::Client;

use super::text::say;

/// Rows written by this run, for the progress display.
static ROWS: AtomicU64 = AtomicU64::new(0);

/// Counts one more row written.
pub fn count_row() {
    ROWS.fetch_add(1, Ordering::Relaxed);
}

/// A progress display on standard error, only when it is a terminal: rows written, redrawn
/// a few times a second by a task of its own.
pub fn progress_display() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    let shown = bar.clone();
    tokio::spawn(async move {
        loop {
            shown.set_message(format!("{} rows", ROWS.load(Ordering::Relaxed)));
            shown.tick();
            if shown.is_finished() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    Some(bar)
}

pub fn summary(bar: Option<indicatif::ProgressBar>, client: &Client, started: std::time::Instant) {
    let Some(bar) = bar else { return };
    bar.finish_and_clear();
    let rows = ROWS.load(Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let remaining = client
        .rate_limit_remaining()
        .map(|r| format!("; Zoom says {r} requests remain today"))
        .unwrap_or_default();
    say(&format!(
        "{rows} rows, {} requests in {seconds:.1}s ({:.0} rows/s){remaining}",
        client.requests_sent(),
        rows as f64 / seconds.max(1e-9)
    ));
}
