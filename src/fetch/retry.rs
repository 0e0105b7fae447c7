//! Retry or stop: one pure classifier decides whether a failed attempt can succeed later
//! (transient: 429, 5xx, 408, timeouts, connection resets, truncated or non-JSON 200 bodies) or
//! never will (fatal: 400, 401, 403, 404, 406 and other 4xx), and a backoff schedule with jitter
//! says how long to wait before the next attempt. Keeping the decision in one table-tested
//! function means no call site can retry a rejected token or give up on a passing 503.

use std::time::Duration;

/// What happened on one attempt, reduced to what the retry decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A response arrived with this status; `retry_after` is the parsed `Retry-After` header.
    Status {
        /// The HTTP status code.
        status: u16,
        /// How long the server asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// A 2xx response whose body was cut off or was not the JSON document expected.
    BadBody,
    /// The request timed out.
    Timeout,
    /// The connection could not be made or was reset.
    Connection,
}

/// The verdict on a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retryable {
    /// Worth trying again, after at least `wait` when the server said so.
    Transient {
        /// The server's requested wait (`Retry-After`), if any.
        wait: Option<Duration>,
    },
    /// Will not succeed by retrying; stop now.
    Fatal,
}

/// Classifies one failed attempt. Success statuses are not failures and never reach here, but a
/// 2xx given to it is treated as transient (the caller only asks when the body was unusable).
pub fn classify(outcome: &Outcome) -> Retryable {
    match outcome {
        Outcome::Status {
            status,
            retry_after,
        } => match status {
            429 => Retryable::Transient { wait: *retry_after },
            408 | 425 => Retryable::Transient { wait: *retry_after },
            500..=599 => Retryable::Transient { wait: *retry_after },
            200..=299 => Retryable::Transient { wait: None },
            _ => Retryable::Fatal,
        },
        Outcome::BadBody | Outcome::Timeout | Outcome::Connection => {
            Retryable::Transient { wait: None }
        }
    }
}

/// Parses a `Retry-After` header value: delay-seconds (integer or decimal) or an HTTP date.
/// Returns `None` for anything unparseable (negative, `NaN`, text), so an odd header never fails
/// a run; a number too large for a [`Duration`] (`1e30`, `inf`) is [`Duration::MAX`], a pause
/// asked for that no run can honour, never a reason to ignore the header.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = u64::try_from(when.timestamp()).ok()?;
    let when = std::time::SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative number of seconds as a [`Duration`], saturating at [`Duration::MAX`];
/// `None` for negative or `NaN` input.
pub fn seconds(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// A wait in words for messages: `90 s`, `25 min`, `24 h`, `3 days`, `more than a century`.
pub fn describe_wait(wait: Duration) -> String {
    let secs = wait.as_secs();
    match secs {
        0..=119 => format!("{} s", wait.as_secs_f64().ceil() as u64),
        120..=7_199 => format!("{} min", secs.div_ceil(60)),
        7_200..=259_199 => format!("{} h", secs.div_ceil(3_600)),
        259_200..=3_155_759_999 => format!("{} days", secs.div_ceil(86_400)),
        _ => "more than a century".to_owned(),
    }
}

/// Exponential backoff with full jitter: attempt 1 waits up to `base`, attempt n up to
/// `base * 2^(n-1)`, never more than `cap`. `jitter` is a number in `[0, 1)` supplied by the
/// caller so the schedule stays testable.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first delay's upper bound.
    pub base: Duration,
    /// The largest delay ever returned.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (1-based), scaled by `jitter` in `[0, 1)`; a
    /// server-requested wait (`Retry-After`) replaces the computed one. The caller refuses
    /// server waits longer than its `--max-wait` before asking, so that cap is the only one.
    pub fn delay(&self, attempt: u32, jitter: f64, server_wait: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.cap);
        let jitter = jitter.clamp(0.0, 1.0);
        // Half fixed, half jittered: never zero, still spread out.
        let computed = ceiling.mul_f64(0.5 + jitter / 2.0);
        match server_wait {
            Some(wait) => wait,
            None => computed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let s = |status| Outcome::Status {
            status,
            retry_after: None,
        };
        let cases: &[(Outcome, Retryable)] = &[
            (s(429), Retryable::Transient { wait: None }),
            (s(500), Retryable::Transient { wait: None }),
            (s(502), Retryable::Transient { wait: None }),
            (s(503), Retryable::Transient { wait: None }),
            (s(504), Retryable::Transient { wait: None }),
            (s(408), Retryable::Transient { wait: None }),
            (s(400), Retryable::Fatal),
            (s(401), Retryable::Fatal),
            (s(403), Retryable::Fatal),
            (s(404), Retryable::Fatal),
            (s(406), Retryable::Fatal),
            (s(422), Retryable::Fatal),
            (Outcome::BadBody, Retryable::Transient { wait: None }),
            (Outcome::Timeout, Retryable::Transient { wait: None }),
            (Outcome::Connection, Retryable::Transient { wait: None }),
        ];
        for (outcome, expected) in cases {
            assert_eq!(classify(outcome), *expected, "{outcome:?}");
        }
        let with_wait = Outcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            classify(&with_wait),
            Retryable::Transient {
                wait: Some(Duration::from_secs(3))
            }
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-4", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        // Pauses no run can honour are kept as such, never dropped or panicking.
        assert_eq!(
            parse_retry_after("86400", now),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_retry_after("1e10", now),
            Some(Duration::from_secs(10_000_000_000))
        );
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after("1e30", now), Some(Duration::MAX));
        assert_eq!(parse_retry_after("inf", now), Some(Duration::MAX));
        assert_eq!(
            parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now),
            Some(Duration::from_secs(4_102_444_800 - 1_445_412_480))
        );
        // A date in the past means now.
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2015 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(b.delay(1, 0.0, None), Duration::from_millis(50));
        assert_eq!(b.delay(2, 0.0, None), Duration::from_millis(100));
        assert_eq!(b.delay(3, 0.99, None), Duration::from_micros(398_000));
        assert_eq!(b.delay(30, 0.0, None), Duration::from_millis(500));
        assert_eq!(
            b.delay(1, 0.0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            b.delay(1, 0.0, Some(Duration::from_secs(600))),
            Duration::from_secs(600),
            "a server wait the caller accepted is honoured whole"
        );
    }

    #[test]
    fn waits_in_words() {
        let cases = [
            (Duration::from_millis(1500), "2 s"),
            (Duration::from_secs(119), "119 s"),
            (Duration::from_secs(900), "15 min"),
            (Duration::from_secs(86_400), "24 h"),
            (Duration::from_secs(10_000_000), "116 days"),
            (Duration::from_secs(10_000_000_000), "more than a century"),
            (Duration::MAX, "more than a century"),
        ];
        for (wait, words) in cases {
            assert_eq!(describe_wait(wait), words, "{wait:?}");
        }
    }
}
