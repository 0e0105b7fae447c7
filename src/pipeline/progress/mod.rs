//! Progress reporting behind a small observer trait, so the pipeline never prints. Two
//! displays implement it: [`BarProgress`], indicatif bars on a terminal (one per stream in
//! stream order, then the reconciliation phase, line by line), and [`LogProgress`], log lines
//! every few seconds when output is not a terminal or `--quiet` is given; [`NoProgress`] says
//! nothing (tests). Both displays show the same figures, worded by the pure functions of
//! [`format`](mod@format) from a recent-window rate ([`window::RateWindow`]). [`Screen`] picks
//! the display and prints the lines that must not be drawn over (the signal handler's);
//! [`LogWriter`] puts log lines above the bars.

use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressDrawTarget};

use crate::fetch::client::FetchStats;
use crate::resource::Resource;

mod bars;
pub mod format;
mod log;
pub mod window;

pub use bars::BarProgress;
pub use log::LogProgress;

/// The bars being drawn, if any: log lines written meanwhile go above them (see
/// [`LogWriter`]). Set while a [`BarProgress`] lives.
static DRAWING: Mutex<Option<MultiProgress>> = Mutex::new(None);

fn drawing() -> std::sync::MutexGuard<'static, Option<MultiProgress>> {
    DRAWING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where log lines go: stderr, above the bars while they are drawn. A line written straight to
/// the terminal under the bars would be drawn over, and would throw the bars' own line count
/// off (leaving stale copies of bars on the screen).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LogWriter
    }
}

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The guard is released before writing: suspending the bars draws them.
        let bars = drawing().clone();
        match bars {
            Some(multi) => multi.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// How often the log display writes its lines.
pub const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Where a run's progress goes: bars on stderr (a terminal) or log lines on stderr.
#[derive(Debug, Clone)]
pub struct Screen {
    bars: Option<MultiProgress>,
}

impl Screen {
    /// Bars when `bars`, log lines otherwise.
    pub fn new(bars: bool) -> Self {
        Self {
            bars: bars.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// Whether this screen draws bars.
    pub fn has_bars(&self) -> bool {
        self.bars.is_some()
    }

    /// Prints `line` on stderr, above the bars when they are drawn (they would draw over a
    /// line printed directly).
    pub fn say(&self, line: &str) {
        match &self.bars {
            Some(multi) => {
                if multi.println(line).is_err() {
                    eprintln!("{line}");
                }
            }
            None => eprintln!("{line}"),
        }
    }

    /// The display of a run whose requests `stats` counts.
    pub fn display(&self, stats: Arc<FetchStats>) -> Arc<dyn Progress> {
        match &self.bars {
            Some(multi) => Arc::new(BarProgress::new(multi.clone(), stats)),
            None => Arc::new(LogProgress::new(stats, LOG_EVERY)),
        }
    }
}

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
    fn stream_started(&self, stream: Resource, committed: u64, total: Option<u64>);
    /// A page was committed.
    fn page_committed(&self, stream: Resource, records: u64, total: Option<u64>);
    /// A stream ended, successfully or not.
    fn stream_finished(&self, stream: Resource, ok: bool);
    /// Reconciliation round `round` begins (after every stream was read).
    fn reconcile_started(&self, _round: u32) {}
    /// A stream's reconciliation moved on.
    fn reconcile_step(&self, _stream: Resource, _step: ReconcileStep) {}
    /// A stream's reconciliation round ended with these changes.
    fn reconcile_finished(&self, _stream: Resource, _changes: ReconcileChanges) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn stream_started(&self, _: Resource, _: u64, _: Option<u64>) {}
    fn page_committed(&self, _: Resource, _: u64, _: Option<u64>) {}
    fn stream_finished(&self, _: Resource, _: bool) {}
}
