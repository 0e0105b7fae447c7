//! The rate of a stream over a recent window of time (the last 30 s by default), from which the
//! ETA is estimated. A cumulative average overshoots after a slow start (a 429 wait, a cold
//! database) and never recovers; the window follows the run as it is now. It only counts what
//! this run committed, so a resumed stream's earlier records do not make it look fast.
//!
//! Time is passed in ([`Instant`]s), never read here, so the tests drive it with a fake clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Committed records over a sliding window of time.
#[derive(Debug, Clone)]
pub struct RateWindow {
    span: Duration,
    /// `(when, records committed by this run so far)`, oldest first; the first sample may lie
    /// before the window, as the base the rate is measured from.
    samples: VecDeque<(Instant, u64)>,
}

impl RateWindow {
    /// The window the displays use.
    pub const SPAN: Duration = Duration::from_secs(30);

    /// Below this much observed time there is no rate yet (one page is not a rate).
    pub const MIN_OBSERVED: Duration = Duration::from_secs(2);

    /// A window of `span`, starting at `start` with nothing committed.
    pub fn new(span: Duration, start: Instant) -> Self {
        Self {
            span,
            samples: VecDeque::from([(start, 0)]),
        }
    }

    /// `done` records committed by this run so far, as of `at`.
    pub fn record(&mut self, at: Instant, done: u64) {
        self.samples.push_back((at, done));
        self.trim(at);
    }

    /// Records this run committed so far.
    pub fn done(&self) -> u64 {
        self.samples.back().map_or(0, |s| s.1)
    }

    /// Records a second over the window ending `now`; `None` while less than
    /// [`RateWindow::MIN_OBSERVED`] was observed.
    pub fn rate(&self, now: Instant) -> Option<f64> {
        let cutoff = now.checked_sub(self.span);
        // The newest sample at or before the window's start, else the oldest one.
        let base = self
            .samples
            .iter()
            .rev()
            .find(|(at, _)| cutoff.is_some_and(|c| *at <= c))
            .or_else(|| self.samples.front())?;
        let observed = now.checked_duration_since(base.0)?;
        if observed < Self::MIN_OBSERVED {
            return None;
        }
        Some(self.done().saturating_sub(base.1) as f64 / observed.as_secs_f64())
    }

    /// Drops the samples no window ending at `now` or later needs (keeping one base before it).
    fn trim(&mut self, now: Instant) {
        let Some(cutoff) = now.checked_sub(self.span) else {
            return;
        };
        while self.samples.len() > 2 && self.samples[1].0 <= cutoff {
            self.samples.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn no_rate_before_enough_time_was_observed() {
        let t0 = Instant::now();
        let mut w = RateWindow::new(RateWindow::SPAN, t0);
        assert_eq!(w.rate(t0), None);
        w.record(t0 + Duration::from_millis(500), 100);
        assert_eq!(w.rate(t0 + Duration::from_secs(1)), None);
        assert_eq!(w.rate(t0 + secs(2)), Some(50.0));
    }

    #[test]
    fn the_rate_follows_the_last_thirty_seconds_not_the_average() {
        let t0 = Instant::now();
        let mut w = RateWindow::new(RateWindow::SPAN, t0);
        // A slow first minute (a 429 wait, say): 10 a second.
        for s in 1..=60 {
            w.record(t0 + secs(s), s * 10);
        }
        // Then 100 a second for a minute.
        for s in 61..=120 {
            w.record(t0 + secs(s), 600 + (s - 60) * 100);
        }
        let rate = w.rate(t0 + secs(120)).unwrap();
        assert!((rate - 100.0).abs() < 1e-9, "{rate}");
        // The cumulative average would say 55 a second.
        assert_eq!(w.done(), 6600);
    }

    #[test]
    fn a_stall_brings_the_rate_down() {
        let t0 = Instant::now();
        let mut w = RateWindow::new(RateWindow::SPAN, t0);
        for s in 1..=30 {
            w.record(t0 + secs(s), s * 100);
        }
        assert_eq!(w.rate(t0 + secs(30)), Some(100.0));
        // Nothing for 15 s: over the last 30 s, 1,500 records.
        assert_eq!(w.rate(t0 + secs(45)), Some(50.0));
        // Nothing for a whole window.
        assert_eq!(w.rate(t0 + secs(61)), Some(0.0));
    }

    #[test]
    fn old_samples_are_dropped() {
        let t0 = Instant::now();
        let mut w = RateWindow::new(secs(10), t0);
        for s in 1..=1000 {
            w.record(t0 + secs(s), s);
        }
        assert!(w.samples.len() <= 12, "{}", w.samples.len());
        assert_eq!(w.rate(t0 + secs(1000)), Some(1.0));
    }
}
