//! The terminal display: one indicatif bar per stream, always in stream order (the order of
//! [`Resource::ALL`], whichever stream starts first), a line of the run's retries and 429s, and —
//! once every stream was read — the reconciliation phase: a header line with the round and how
//! many resources are done, then one line per stream saying what it is doing with its counts
//! and, at the end, what it changed (over every round).
//!
//! A stream's figures come from [`format::stream_text`], redrawn on every tick from the
//! stream's [`RateWindow`], so the rate and ETA move between pages and on resume count only
//! what this run committed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressState, ProgressStyle};

use super::window::RateWindow;
use super::{format, Progress, ReconcileChanges, ReconcileStep};
use crate::fetch::client::FetchStats;
use crate::resource::name_width;
use crate::resource::Resource;

/// Where a line sits on the screen; the derived order is the screen's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    /// A stream's main pass.
    Main(Resource),
    /// Retries and 429s of the whole run.
    Counters,
    /// The reconciliation phase's header.
    Reconciliation,
    /// A stream's reconciliation.
    Reconcile(Resource),
}

/// What a stream's figures are drawn from.
#[derive(Debug)]
struct Meter {
    /// Committed when the stream started (earlier runs'), not part of this run's rate.
    start: u64,
    /// The API's count, as last reported.
    total: Option<u64>,
    /// This run's commits over the recent window.
    window: RateWindow,
}

#[derive(Debug, Default)]
struct Lines {
    bars: BTreeMap<Slot, ProgressBar>,
    meters: BTreeMap<Resource, Arc<Mutex<Meter>>>,
    /// The reconciliation round under way (0 before it).
    round: u32,
    /// Streams done with the round under way.
    round_done: BTreeSet<Resource>,
    /// What reconciliation changed so far, over every round.
    changed: BTreeMap<Resource, ReconcileChanges>,
}

/// Indicatif bars on stderr.
#[derive(Debug)]
pub struct BarProgress {
    multi: MultiProgress,
    lines: Mutex<Lines>,
    stats: Arc<FetchStats>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A style from `template`, where `{prefix:<W}` pads the prefix (the stream's name) to the
/// longest resource name so that every bar lines up.
fn style(template: &str) -> ProgressStyle {
    let template = template.replace("{prefix:<W}", &format!("{{prefix:<{}}}", name_width()));
    ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A running stream's style: the bar where the API gave a total, a spinner where it did not.
fn running_style(meter: &Arc<Mutex<Meter>>, has_total: bool) -> ProgressStyle {
    let template = if has_total {
        "{prefix:<W} {bar:30} {figures}"
    } else {
        "{prefix:<W} {spinner:^30} {figures}"
    };
    let meter = meter.clone();
    style(template).with_key(
        "figures",
        move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let m = locked(&meter);
            let rate = m.window.rate(Instant::now());
            let _ = w.write_str(&format::stream_text(state.pos(), m.total, rate));
        },
    )
}

impl BarProgress {
    /// Bars drawn through `multi` (see [`super::Screen`]).
    pub fn new(multi: MultiProgress, stats: Arc<FetchStats>) -> Self {
        *super::drawing() = Some(multi.clone());
        Self {
            multi,
            lines: Mutex::new(Lines::default()),
            stats,
        }
    }

    fn counters(&self) -> String {
        format!(
            "{:<width$} retries {} · 429s {}",
            "requests",
            self.stats.retries.load(Ordering::Relaxed),
            self.stats.rate_limited.load(Ordering::Relaxed),
            width = name_width()
        )
    }

    /// A line of text only; it ticks, so a change shows even when no other line draws.
    fn text_line() -> ProgressBar {
        let bar = ProgressBar::no_length().with_style(style("{msg}"));
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    }

    /// The bar of `slot`, added in its place on the screen when it is new.
    fn bar(
        &self,
        lines: &mut Lines,
        slot: Slot,
        make: impl FnOnce() -> ProgressBar,
    ) -> ProgressBar {
        if let Some(bar) = lines.bars.get(&slot) {
            return bar.clone();
        }
        let index = lines.bars.range(..slot).count();
        let bar = self.multi.insert(index, make());
        lines.bars.insert(slot, bar.clone());
        bar
    }

    fn refresh_counters(&self, lines: &mut Lines) {
        let text = self.counters();
        let bar = self.bar(lines, Slot::Counters, Self::text_line);
        bar.set_message(text);
    }

    /// The reconciliation header: the round and how many resources finished it.
    fn refresh_header(&self, lines: &mut Lines) {
        let streams = lines.meters.len();
        let done = lines.round_done.len();
        let round = lines.round;
        let bar = self.bar(lines, Slot::Reconciliation, Self::text_line);
        bar.set_message(format!(
            "reconciliation, round {round}: {done} of {streams} resources done"
        ));
    }

    fn reconcile_bar(&self, lines: &mut Lines, stream: Resource) -> ProgressBar {
        let bar = self.bar(lines, Slot::Reconcile(stream), || {
            let bar = ProgressBar::no_length().with_prefix(stream.as_str());
            bar.set_style(style("{prefix:<W} {spinner} {msg}"));
            bar
        });
        if lines.round_done.contains(&stream) {
            return bar;
        }
        // Never finished, only restyled: a finished bar drawn again (the next round) confuses
        // the screen's line count.
        bar.set_style(style("{prefix:<W} {spinner} {msg}"));
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

impl Progress for BarProgress {
    fn stream_started(&self, stream: Resource, committed: u64, total: Option<u64>) {
        let mut lines = locked(&self.lines);
        let meter = Arc::new(Mutex::new(Meter {
            start: committed,
            total,
            window: RateWindow::new(RateWindow::SPAN, Instant::now()),
        }));
        lines.meters.insert(stream, meter.clone());
        let bar = self.bar(&mut lines, Slot::Main(stream), || {
            ProgressBar::no_length().with_prefix(stream.as_str())
        });
        bar.set_style(running_style(&meter, total.is_some()));
        if let Some(total) = total {
            bar.set_length(total.max(committed));
        }
        bar.set_position(committed);
        bar.enable_steady_tick(Duration::from_millis(250));
        self.refresh_counters(&mut lines);
    }

    fn page_committed(&self, stream: Resource, records: u64, total: Option<u64>) {
        let mut lines = locked(&self.lines);
        if let (Some(bar), Some(meter)) = (
            lines.bars.get(&Slot::Main(stream)),
            lines.meters.get(&stream),
        ) {
            let position = bar.position() + records;
            // The meter is unlocked before the bar is touched: drawing the bar locks it.
            let (total, restyle) = {
                let mut m = locked(meter);
                let done = position.saturating_sub(m.start);
                m.window.record(Instant::now(), done);
                let restyle = total.is_some() && m.total.is_none();
                if total.is_some() {
                    m.total = total;
                }
                (m.total, restyle)
            };
            if restyle {
                bar.set_style(running_style(meter, true));
            }
            if let Some(total) = total {
                // The bar is full at the larger of the two; the figures keep the API's count.
                bar.set_length(total.max(position));
            }
            bar.set_position(position);
        }
        self.refresh_counters(&mut lines);
    }

    fn stream_finished(&self, stream: Resource, ok: bool) {
        let mut lines = locked(&self.lines);
        if let Some(bar) = lines.bars.get(&Slot::Main(stream)) {
            let position = bar.position();
            if ok {
                bar.set_style(style("{prefix:<W} {bar:30} {msg}"));
                bar.set_length(position);
                bar.finish_with_message(format!("{} · done", format::count(position)));
            } else {
                bar.set_style(style("{prefix:<W} {bar:30} {msg}"));
                bar.abandon_with_message(format!("{} · stopped", format::count(position)));
            }
        }
        self.refresh_counters(&mut lines);
    }

    fn reconcile_started(&self, round: u32) {
        let mut lines = locked(&self.lines);
        lines.round = round;
        lines.round_done.clear();
        self.refresh_header(&mut lines);
    }

    fn reconcile_step(&self, stream: Resource, step: ReconcileStep) {
        let mut lines = locked(&self.lines);
        let bar = self.reconcile_bar(&mut lines, stream);
        bar.set_message(format::step_text(step));
        self.refresh_counters(&mut lines);
    }

    fn reconcile_finished(&self, stream: Resource, changes: ReconcileChanges) {
        let mut lines = locked(&self.lines);
        let bar = self.reconcile_bar(&mut lines, stream);
        let total = lines.changed.entry(stream).or_default();
        total.new += changes.new;
        total.updated += changes.updated;
        total.deleted += changes.deleted;
        // Whether the last round could check deletions.
        total.unchecked = changes.unchecked;
        let text = format::changes_text(*total);
        lines.round_done.insert(stream);
        bar.disable_steady_tick();
        bar.set_style(style("{prefix:<W} done: {msg}"));
        bar.set_message(text);
        bar.tick();
        self.refresh_header(&mut lines);
        self.refresh_counters(&mut lines);
    }
}

impl Drop for BarProgress {
    /// Stops every line still moving (an interrupted or failed run), so nothing draws over the
    /// lines printed after the run.
    fn drop(&mut self) {
        *super::drawing() = None;
        let lines = locked(&self.lines);
        for (slot, bar) in &lines.bars {
            if let Slot::Reconcile(stream) = slot {
                if !lines.round_done.contains(stream) {
                    bar.set_style(style("{prefix:<W} stopped: {msg}"));
                }
            }
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}
