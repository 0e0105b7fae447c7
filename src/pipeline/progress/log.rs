//! The display for output that is not a terminal (a file, a pipe, `--quiet`): structured log
//! lines on stderr. While streams are read, one line per running stream every few seconds with
//! its records, the API's total, its recent rate and the ETA (fields left out where unknown:
//! no ETA without a total); during reconciliation, a line per stream and step with the step's
//! final figures when it ends (and every few seconds within a long one), then a line with what
//! the stream's reconciliation changed.
//!
//! ```text
//! INFO exporting stream=people records=1,200/3,000 rate=523/s eta=5s
//! INFO reconciling stream=people step="sweeping ids: 3,000/3,000"
//! INFO reconciled stream=people new=0 updated=2 deleted_at_source=1
//! ```

use std::collections::BTreeMap;
use std::mem::discriminant;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::field::display as shown;

use super::window::RateWindow;
use super::{format, Progress, ReconcileChanges, ReconcileStep};
use crate::fetch::client::FetchStats;
use crate::resource::Resource;

/// One stream's figures.
#[derive(Debug)]
struct Tally {
    /// Committed so far (earlier runs' included).
    done: u64,
    /// Committed when the stream started.
    start: u64,
    /// The API's count, as last reported.
    total: Option<u64>,
    window: RateWindow,
    running: bool,
}

#[derive(Debug)]
struct State {
    /// When the last progress lines were logged.
    logged: Instant,
    streams: BTreeMap<Resource, Tally>,
    /// Each stream's reconciliation step as last reported.
    steps: BTreeMap<Resource, Seen>,
}

/// A stream's reconciliation step as last reported, and when a line was last logged for it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    step: ReconcileStep,
    logged: Instant,
}

/// Log lines at most every few seconds.
#[derive(Debug)]
pub struct LogProgress {
    state: Mutex<State>,
    every: Duration,
    stats: Arc<FetchStats>,
}

/// A counter as a log field only when it is not zero.
fn nonzero(n: u64) -> Option<u64> {
    (n > 0).then_some(n)
}

impl LogProgress {
    /// Logs at most every `every`.
    pub fn new(stats: Arc<FetchStats>, every: Duration) -> Self {
        Self {
            state: Mutex::new(State {
                logged: Instant::now(),
                streams: BTreeMap::new(),
                steps: BTreeMap::new(),
            }),
            every,
            stats,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One line per running stream, in stream order.
    fn log_running(&self, state: &State, now: Instant) {
        let retries = nonzero(self.stats.retries.load(Ordering::Relaxed));
        let rate_limited = nonzero(self.stats.rate_limited.load(Ordering::Relaxed));
        for (stream, t) in state.streams.iter().filter(|(_, t)| t.running) {
            let records = match t.total {
                Some(total) => format!("{}/{}", format::count(t.done), format::count(total)),
                None => format::count(t.done),
            };
            let per_sec = t.window.rate(now);
            let eta = format::time_left(t.done, t.total, per_sec).map(format::eta);
            tracing::info!(
                stream = %stream,
                records = %records,
                rate = per_sec.map(|r| shown(format::rate(r))),
                eta = eta.map(shown),
                retries,
                rate_limited,
                "exporting"
            );
        }
    }
}

impl Progress for LogProgress {
    fn stream_started(&self, stream: Resource, committed: u64, total: Option<u64>) {
        let now = Instant::now();
        let mut state = self.state();
        state.streams.insert(
            stream,
            Tally {
                done: committed,
                start: committed,
                total,
                window: RateWindow::new(RateWindow::SPAN, now),
                running: true,
            },
        );
        match total {
            Some(total) => tracing::info!(
                stream = %stream,
                records = %format!("{}/{}", format::count(committed), format::count(total)),
                "stream started"
            ),
            None => tracing::info!(
                stream = %stream,
                records = %format::count(committed),
                "stream started"
            ),
        }
    }

    fn page_committed(&self, stream: Resource, records: u64, total: Option<u64>) {
        let now = Instant::now();
        let mut state = self.state();
        if let Some(t) = state.streams.get_mut(&stream) {
            t.done += records;
            t.window.record(now, t.done.saturating_sub(t.start));
            if total.is_some() {
                t.total = total;
            }
        }
        if now.duration_since(state.logged) >= self.every {
            state.logged = now;
            self.log_running(&state, now);
        }
    }

    fn stream_finished(&self, stream: Resource, ok: bool) {
        let mut state = self.state();
        let Some(t) = state.streams.get_mut(&stream) else {
            return;
        };
        t.running = false;
        let records = format::count(t.done);
        if ok {
            tracing::info!(stream = %stream, records = %records, "stream done");
        } else {
            tracing::warn!(stream = %stream, records = %records, "stream stopped");
        }
    }

    fn reconcile_started(&self, round: u32) {
        self.state().steps.clear();
        tracing::info!(
            round,
            "reconciliation: catching up with changes at the source, sweeping ids, per resource"
        );
    }

    fn reconcile_step(&self, stream: Resource, step: ReconcileStep) {
        let now = Instant::now();
        let mut state = self.state();
        let line = match state.steps.get(&stream) {
            // A step ended: its final figures.
            Some(seen) if discriminant(&seen.step) != discriminant(&step) => Some(seen.step),
            // A long step: where it is now.
            Some(seen) if now.duration_since(seen.logged) >= self.every => Some(step),
            _ => None,
        };
        let logged = match (line, state.steps.get(&stream)) {
            (Some(_), _) | (None, None) => now,
            (None, Some(seen)) => seen.logged,
        };
        state.steps.insert(stream, Seen { step, logged });
        if let Some(step) = line {
            tracing::info!(stream = %stream, step = ?format::step_text(step), "reconciling");
        }
    }

    fn reconcile_finished(&self, stream: Resource, changes: ReconcileChanges) {
        if let Some(seen) = self.state().steps.remove(&stream) {
            tracing::info!(stream = %stream, step = ?format::step_text(seen.step), "reconciling");
        }
        tracing::info!(
            stream = %stream,
            new = changes.new,
            updated = changes.updated,
            deleted_at_source = changes.deleted,
            deletions = changes.unchecked.then_some("not checked"),
            "reconciled"
        );
    }
}
