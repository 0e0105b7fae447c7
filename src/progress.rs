//! Progress reporting behind a small observer trait, so the pipeline never prints: indicatif
//! bars (one per stream, with records, rate, ETA when the API gave a total, and counters of
//! retries and 429s) on a terminal, a log line every few seconds when output is not a terminal
//! or `--quiet` is given, and nothing at all in tests.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::fetch::client::FetchStats;
use crate::fetch::Stream;

/// What one stream's reconciliation is doing, for the reconciliation phase of the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileStep {
    /// Re-reading what changed since the mark on the source's clock; `read` records so far.
    CatchingUp {
        /// Records read so far in this catch-up pass.
        read: u64,
    },
    /// Listing every id at the source.
    Sweeping {
        /// Ids listed so far.
        listed: u64,
        /// The API's count, when it gave one.
        total: Option<u64>,
    },
    /// Fetching records the archive lacks, one by one.
    Fetching {
        /// Fetched so far.
        done: u64,
        /// To fetch.
        of: u64,
    },
    /// Confirming with the API that records no longer listed are gone.
    Confirming {
        /// Asked so far.
        done: u64,
        /// To ask.
        of: u64,
    },
}

/// What one stream's reconciliation changed, in the summary's words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileChanges {
    /// Records new at the source (fetched by id, or first seen by the catch-up).
    pub new: u64,
    /// Archived records that changed at the source.
    pub updated: u64,
    /// Records found deleted at source (rows removed).
    pub deleted: u64,
    /// Whether deletions could not be checked.
    pub unchecked: bool,
}

/// Observes a run.
pub trait Progress: Send + Sync {
    /// A stream begins, or resumes with `committed` records already committed and the API's
    /// `total` when an earlier run learned it.
    fn stream_started(&self, stream: Stream, committed: u64, total: Option<u64>);
    /// A page was committed.
    fn page_committed(&self, stream: Stream, records: u64, total: Option<u64>);
    /// A stream ended, successfully or not.
    fn stream_finished(&self, stream: Stream, ok: bool);
    /// Reconciliation round `round` begins (after every stream was read).
    fn reconcile_started(&self, _round: u32) {}
    /// A stream's reconciliation moved on.
    fn reconcile_step(&self, _stream: Stream, _step: ReconcileStep) {}
    /// A stream's reconciliation round ended with these changes.
    fn reconcile_finished(&self, _stream: Stream, _changes: ReconcileChanges) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn stream_started(&self, _: Stream, _: u64, _: Option<u64>) {}
    fn page_committed(&self, _: Stream, _: u64, _: Option<u64>) {}
    fn stream_finished(&self, _: Stream, _: bool) {}
}

/// One indicatif bar per stream.
#[derive(Debug)]
pub struct BarProgress {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<Stream, ProgressBar>>,
    stats: Arc<FetchStats>,
}

impl BarProgress {
    /// Bars on stderr.
    pub fn new(stats: Arc<FetchStats>) -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(BTreeMap::new()),
            stats,
        }
    }

    fn counters(&self) -> String {
        format!(
            "retries {} · 429s {}",
            self.stats.retries.load(Ordering::Relaxed),
            self.stats.rate_limited.load(Ordering::Relaxed)
        )
    }
}

impl Progress for BarProgress {
    fn stream_started(&self, stream: Stream, records: u64, total: Option<u64>) {
        let bar = self.multi.add(ProgressBar::no_length());
        let style = ProgressStyle::with_template(
            "{prefix:>10} {bar:30} {pos:>9}/{len:9} {per_sec:>10} eta {eta:>4} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(stream.as_str());
        if let Some(total) = total {
            bar.set_length(total.max(records));
        }
        bar.set_position(records);
        bar.enable_steady_tick(Duration::from_millis(250));
        self.bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(stream, bar);
    }

    fn page_committed(&self, stream: Stream, records: u64, total: Option<u64>) {
        let msg = self.counters();
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&stream)
        {
            if let Some(total) = total {
                bar.set_length(total.max(bar.position() + records));
            }
            bar.inc(records);
            bar.set_message(msg);
        }
    }

    fn stream_finished(&self, stream: Stream, ok: bool) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&stream)
        {
            if ok {
                let pos = bar.position();
                bar.set_length(pos);
                bar.finish_with_message(format!("done · {}", self.counters()));
            } else {
                bar.abandon_with_message("stopped");
            }
        }
    }
}

/// Records per stream so far, and the API's total when known.
type Tally = BTreeMap<Stream, (u64, Option<u64>)>;

/// A log line every few seconds (non-terminal output, `--quiet`).
#[derive(Debug)]
pub struct LogProgress {
    state: Mutex<(Instant, Tally)>,
    every: Duration,
    stats: Arc<FetchStats>,
}

impl LogProgress {
    /// Logs at most every `every`.
    pub fn new(stats: Arc<FetchStats>, every: Duration) -> Self {
        Self {
            state: Mutex::new((Instant::now(), BTreeMap::new())),
            every,
            stats,
        }
    }
}

impl Progress for LogProgress {
    fn stream_started(&self, stream: Stream, records: u64, total: Option<u64>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.1.insert(stream, (records, total));
        tracing::info!(stream = %stream, records, "stream started");
    }

    fn page_committed(&self, stream: Stream, records: u64, total: Option<u64>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let entry = state.1.entry(stream).or_insert((0, None));
        entry.0 += records;
        if total.is_some() {
            entry.1 = total;
        }
        if state.0.elapsed() >= self.every {
            state.0 = Instant::now();
            let summary: Vec<String> = state
                .1
                .iter()
                .map(|(s, (n, t))| match t {
                    Some(t) => format!("{s} {n}/{t}"),
                    None => format!("{s} {n}"),
                })
                .collect();
            tracing::info!(
                progress = %summary.join(", "),
                retries = self.stats.retries.load(Ordering::Relaxed),
                rate_limited = self.stats.rate_limited.load(Ordering::Relaxed),
                "exporting"
            );
        }
    }

    fn stream_finished(&self, stream: Stream, ok: bool) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let records = state.1.get(&stream).map(|e| e.0).unwrap_or(0);
        if ok {
            tracing::info!(stream = %stream, records, "stream done");
        } else {
            tracing::warn!(stream = %stream, records, "stream stopped");
        }
    }
}
