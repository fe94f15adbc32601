//! Progress on standard error: the reading bar and the deduper's stage line.

use paradup::corpus::Event;
use paradup::report;
use std::time::{Duration, Instant};

/// Inputs at least this large get a progress bar (when stderr is a terminal).
pub(crate) const PROGRESS_MIN_BYTES: u64 = 16 << 20;

/// Reports a reading event: progress on the bar, problems on standard error.
pub(crate) fn on_read_event(bar: &mut Progress, event: Event<'_>) {
    match event {
        Event::Progress { done, total } => bar.show(done, total),
        Event::Problem(p) => {
            bar.clear();
            let kind = if p.is_error() { "warning" } else { "note" };
            eprintln!("dedup: {kind}: {p}");
        }
        _ => {}
    }
}

/// Shows the deduper's progress (stage, paragraphs done, paragraphs/s, ETA) on
/// standard error until the run ends.
pub(crate) fn watch(live: &paradup::Progress) {
    while live.stage() != paradup::Stage::Done {
        let line = report::stage_progress_line(
            live.stage(),
            live.done(),
            live.total(),
            live.stage_elapsed(),
        );
        eprint!("\r\x1b[K{line}");
        std::thread::sleep(Duration::from_millis(100));
    }
    eprint!("\r\x1b[K");
}

/// A one-line progress display on standard error, for large inputs on a terminal.
pub(crate) struct Progress {
    pub(crate) enabled: bool,
    pub(crate) shown: bool,
    pub(crate) start: Instant,
    pub(crate) last: Option<Instant>,
}

impl Progress {
    pub(crate) fn new(terminal: bool) -> Progress {
        Progress {
            enabled: terminal,
            shown: false,
            start: Instant::now(),
            last: None,
        }
    }

    pub(crate) fn show(&mut self, done: u64, total: Option<u64>) {
        // Small inputs finish before a bar would help.
        if !self.enabled || total.is_some_and(|t| t < PROGRESS_MIN_BYTES) {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now - l < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        let line = report::progress_line(done, total, self.start.elapsed());
        self.message(&line);
    }

    pub(crate) fn message(&mut self, line: &str) {
        if self.enabled {
            eprint!("\r\x1b[K{line}");
            self.shown = true;
        }
    }

    pub(crate) fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}
