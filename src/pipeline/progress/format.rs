//! The words and figures of the progress display, as pure functions shared by the bars and the
//! log lines: counts with thousands separators, a rate as an integer (or with one decimal below
//! ten a second), an ETA in whole seconds/minutes/hours, and the text of a stream's line, of a
//! reconciliation step and of what a reconciliation changed.

use std::time::Duration;

use super::{ReconcileChanges, ReconcileStep};

/// `n` with thousands separators: `1,048,576`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate in records per second: an integer from ten a second up (`1,048/s`), one decimal
/// below (`2.5/s`).
pub fn rate(per_sec: f64) -> String {
    let per_sec = if per_sec.is_finite() {
        per_sec.max(0.0)
    } else {
        0.0
    };
    // Rounded first, so 9.96 reads `10/s`, not `10.0/s`.
    let tenths = (per_sec * 10.0).round();
    if tenths < 100.0 {
        format!("{:.1}/s", tenths / 10.0)
    } else {
        format!("{}/s", count(per_sec.round() as u64))
    }
}

/// A time left, rounded up to the second, in one word (a log field's value): `45s`, `3m20s`,
/// `2h05m`.
pub fn eta(left: Duration) -> String {
    let mut secs = left.as_secs();
    if left.subsec_nanos() > 0 {
        secs += 1;
    }
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

/// The time `done` of `total` records still needs at `per_sec`. `None` without a total, without
/// a rate (or a zero one), and once `done` reached the total while the stream still runs (the
/// API's count was stale: there is no honest estimate then).
pub fn time_left(done: u64, total: Option<u64>, per_sec: Option<f64>) -> Option<Duration> {
    let total = total?;
    let per_sec = per_sec.filter(|r| r.is_finite() && *r > 0.0)?;
    if done >= total {
        return None;
    }
    Duration::try_from_secs_f64((total - done) as f64 / per_sec).ok()
}

/// A running stream's figures: `1,200/3,000 · 523/s · eta 5s` (`1,200 · 523/s` without a
/// total; the rate only once it is known, the ETA only where [`time_left`] gives one).
pub fn stream_text(done: u64, total: Option<u64>, per_sec: Option<f64>) -> String {
    let mut out = match total {
        Some(total) => format!("{}/{}", count(done), count(total)),
        None => count(done),
    };
    if let Some(r) = per_sec {
        out.push_str(" · ");
        out.push_str(&rate(r));
    }
    if let Some(left) = time_left(done, total, per_sec) {
        out.push_str(" · eta ");
        out.push_str(&eta(left));
    }
    out
}

/// What a stream's reconciliation is doing: `catching up: 120 read`, `sweeping ids:
/// 3,000/10,000`, `fetching missing: 3/5`, `confirming deletions: 2/2`.
pub fn step_text(step: ReconcileStep) -> String {
    match step {
        ReconcileStep::CatchingUp { read } => format!("catching up: {} read", count(read)),
        ReconcileStep::Sweeping {
            listed,
            total: Some(total),
        } => format!("sweeping ids: {}/{}", count(listed), count(total)),
        ReconcileStep::Sweeping {
            listed,
            total: None,
        } => format!("sweeping ids: {} listed", count(listed)),
        ReconcileStep::Fetching { done, of } => {
            format!("fetching missing: {}/{}", count(done), count(of))
        }
        ReconcileStep::Confirming { done, of } => {
            format!("confirming deletions: {}/{}", count(done), count(of))
        }
    }
}

/// What a reconciliation changed: `3 new, 5 updated, 0 deleted at source` (and `, deletions
/// not checked` when they could not be).
pub fn changes_text(changes: ReconcileChanges) -> String {
    let mut out = format!(
        "{} new, {} updated, {} deleted at source",
        count(changes.new),
        count(changes.updated),
        count(changes.deleted)
    );
    if changes.unchecked {
        out.push_str(", deletions not checked");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_048_576), "1,048,576");
        assert_eq!(count(100_000), "100,000");
    }

    #[test]
    fn rates_are_integers_or_have_one_decimal() {
        assert_eq!(rate(1048.3269604112), "1,048/s");
        assert_eq!(rate(523.5), "524/s");
        assert_eq!(rate(10.0), "10/s");
        assert_eq!(rate(9.96), "10/s");
        assert_eq!(rate(9.94), "9.9/s");
        assert_eq!(rate(2.5), "2.5/s");
        assert_eq!(rate(0.04), "0.0/s");
        assert_eq!(rate(f64::NAN), "0.0/s");
        assert_eq!(rate(-3.0), "0.0/s");
    }

    #[test]
    fn etas_round_up_to_whole_units() {
        assert_eq!(eta(Duration::from_millis(300)), "1s");
        assert_eq!(eta(Duration::from_secs(45)), "45s");
        assert_eq!(eta(Duration::from_millis(59_001)), "1m00s");
        assert_eq!(eta(Duration::from_secs(200)), "3m20s");
        assert_eq!(eta(Duration::from_secs(7500)), "2h05m");
    }

    #[test]
    fn no_eta_without_a_total_a_rate_or_anything_left() {
        assert_eq!(time_left(10, None, Some(5.0)), None);
        assert_eq!(time_left(10, Some(100), None), None);
        assert_eq!(time_left(10, Some(100), Some(0.0)), None);
        assert_eq!(time_left(100, Some(100), Some(5.0)), None);
        assert_eq!(time_left(2850, Some(2800), Some(5.0)), None);
        assert_eq!(
            time_left(10, Some(100), Some(5.0)),
            Some(Duration::from_secs(18))
        );
    }

    #[test]
    fn a_stream_line_shows_what_is_known() {
        assert_eq!(
            stream_text(1200, Some(3000), Some(120.0)),
            "1,200/3,000 · 120/s · eta 15s"
        );
        assert_eq!(stream_text(1200, None, Some(120.0)), "1,200 · 120/s");
        assert_eq!(stream_text(1200, Some(3000), None), "1,200/3,000");
        // A stale total: the figures, but no made-up ETA.
        assert_eq!(
            stream_text(2850, Some(2800), Some(50.0)),
            "2,850/2,800 · 50/s"
        );
    }

    #[test]
    fn reconciliation_steps_and_changes_read_as_words() {
        assert_eq!(
            step_text(ReconcileStep::CatchingUp { read: 1200 }),
            "catching up: 1,200 read"
        );
        assert_eq!(
            step_text(ReconcileStep::Sweeping {
                listed: 3000,
                total: Some(10_000)
            }),
            "sweeping ids: 3,000/10,000"
        );
        assert_eq!(
            step_text(ReconcileStep::Sweeping {
                listed: 3000,
                total: None
            }),
            "sweeping ids: 3,000 listed"
        );
        assert_eq!(
            step_text(ReconcileStep::Fetching { done: 3, of: 5 }),
            "fetching missing: 3/5"
        );
        assert_eq!(
            step_text(ReconcileStep::Confirming { done: 2, of: 2 }),
            "confirming deletions: 2/2"
        );
        assert_eq!(
            changes_text(ReconcileChanges {
                new: 3,
                updated: 1500,
                deleted: 0,
                unchecked: true
            }),
            "3 new, 1,500 updated, 0 deleted at source, deletions not checked"
        );
    }
}
