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
/// Returns `None` for anything unparseable, so an odd header never fails a run.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let when = std::time::SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(u64::try_from(when.timestamp()).ok()?))?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
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
    /// server-requested wait overrides the computed one when longer (capped at 5 minutes).
    pub fn delay(&self, attempt: u32, jitter: f64, server_wait: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.cap);
        let jitter = jitter.clamp(0.0, 1.0);
        // Half fixed, half jittered: never zero, still spread out.
        let computed = ceiling.mul_f64(0.5 + jitter / 2.0);
        match server_wait {
            Some(wait) => wait.min(Duration::from_secs(300)),
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
            b.delay(1, 0.0, Some(Duration::from_secs(3600))),
            Duration::from_secs(300)
        );
    }
}
