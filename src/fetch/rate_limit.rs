//! The API budget, shared by every stream of a run. NationBuilder allows a number of requests per
//! interval per token (250 per 10 s today). One [`Limiter`] is awaited before **every** attempt,
//! retries included, and paces requests with a GCRA (governor) tuned so that no window of the
//! interval can hold more than the budget. It also reads the rate-limit headers the API sends
//! (`RateLimit-*` on v2, `X-Ratelimit-*` on v1, parsed leniently) and pauses every stream until the
//! window resets when the remaining budget runs low; a 429 that still comes pauses everyone for its
//! `Retry-After`. A pause is never longer than the caller's limit (`--max-wait`): past it,
//! [`Limiter::until_ready`] returns at once with a [`LongPause`] and the caller stops the run
//! (resumably) instead of waiting a day or for ever. Every instant built from a header is built
//! with checked arithmetic: no header value can panic the run.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// A request budget such as `250/10s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSpec {
    /// Requests allowed per interval.
    pub requests: u32,
    /// The interval.
    pub per: Duration,
}

impl Default for RateSpec {
    fn default() -> Self {
        Self {
            requests: 250,
            per: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Display for RateSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}s", self.requests, self.per.as_secs_f64())
    }
}

impl FromStr for RateSpec {
    type Err = String;

    /// Parses `N/Ds`, `N/Dms`, `N/Dm` or `N/s` (e.g. `250/10s`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("invalid rate limit {s:?}: expected REQUESTS/INTERVAL such as 250/10s");
        let (n, d) = s.trim().split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        if requests == 0 {
            return Err(bad());
        }
        let d = d.trim();
        let (num, unit) = match d.find(|c: char| c.is_ascii_alphabetic()) {
            Some(i) => (&d[..i], &d[i..]),
            None => (d, "s"),
        };
        let num: u64 = if num.is_empty() {
            1
        } else {
            num.parse().map_err(|_| bad())?
        };
        let per = match unit {
            "ms" => Duration::from_millis(num),
            "s" => Duration::from_secs(num),
            "m" | "min" => Duration::from_secs(num * 60),
            _ => return Err(bad()),
        };
        if per.is_zero() {
            return Err(bad());
        }
        Ok(Self { requests, per })
    }
}

/// What the API's rate-limit headers said on one response.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Budget {
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets.
    pub reset_in: Option<Duration>,
}

/// Reads the budget from response headers, accepting both the v2 (`RateLimit-*`) and v1
/// (`X-Ratelimit-*`) names in any case. `X-Ratelimit-Limit: 10s` is a duration, not a count, so
/// only `Remaining` and `Reset` are used. A reset above 10^9 is epoch seconds; anything smaller is
/// seconds from now (the 2014 API sent floats like `32.999994763`). Unparseable values are
/// ignored: a header never fails a run.
pub fn parse_budget<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: SystemTime,
) -> Budget {
    let mut budget = Budget::default();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = value.trim();
        match name.as_str() {
            "ratelimit-remaining" | "x-ratelimit-remaining" => {
                if let Ok(v) = value.parse::<i64>() {
                    budget.remaining = Some(u64::try_from(v).unwrap_or(0));
                }
            }
            "ratelimit-reset" | "x-ratelimit-reset" => {
                if let Ok(v) = value.parse::<f64>() {
                    budget.reset_in = reset_to_duration(v, now);
                }
            }
            _ => {}
        }
    }
    budget
}

/// A reset in the past is "now"; one too far away for a [`Duration`] is [`Duration::MAX`]
/// (a pause nobody can honour, which the caller refuses), never "no reset".
fn reset_to_duration(value: f64, now: SystemTime) -> Option<Duration> {
    if value.is_nan() || value < 0.0 {
        return None;
    }
    if value > 1e9 {
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()?
            .as_secs_f64();
        super::retry::seconds((value - now).max(0.0))
    } else {
        super::retry::seconds(value)
    }
}

/// Requests kept in hand: when the API says no more than this many are left in its window,
/// every stream pauses until the window resets (covers requests already in flight from the
/// other streams).
fn reserve(spec: RateSpec) -> u32 {
    (spec.requests / 80).clamp(1, 3)
}

/// The GCRA quota that keeps within `spec` in every window, whatever its alignment: a GCRA with
/// burst b and emission interval t lets at most b + W/t requests into any window W, so choose b
/// small and t so that this stays below the budget minus the [`reserve`] — our own pacing then
/// never brings the API's `Remaining` down to the reserve, and the header check only acts when
/// someone else spends the same budget.
fn quota(spec: RateSpec) -> Quota {
    let burst = burst(spec);
    Quota::with_period(pace(spec))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// The requests let through at once before the pacing starts.
fn burst(spec: RateSpec) -> u32 {
    (spec.requests / 100).clamp(1, 2)
}

/// The steady interval between two requests under `spec` (the GCRA's emission interval, see
/// [`quota`]): what a run at the limit spends per request, for estimates.
pub fn pace(spec: RateSpec) -> Duration {
    let steady = spec
        .requests
        .saturating_sub(burst(spec) + reserve(spec) + 1)
        .max(1);
    (spec.per / steady).max(Duration::from_micros(1))
}

/// The end of a pause every stream observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PauseEnd {
    /// At this instant.
    At(Instant),
    /// Later than the clock can represent (a `Retry-After` of `u64::MAX` seconds).
    Beyond,
}

/// A pause the API asked for that is longer than the caller allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongPause {
    /// How much of the pause is still ahead ([`Duration::MAX`] when beyond the clock's range).
    pub remaining: Duration,
}

/// The shared pacer. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Limiter {
    gcra: Option<DefaultDirectRateLimiter>,
    /// Every stream waits until then before its next attempt.
    paused_until: Mutex<Option<PauseEnd>>,
    /// Below this many remaining requests, pause until the window resets.
    reserve: u64,
}

impl Limiter {
    /// A limiter that keeps within `spec` in every window, whatever its alignment. `None` means
    /// unthrottled (benchmarks against a simulator with `--rate-limit off`).
    pub fn new(spec: Option<RateSpec>) -> Self {
        let gcra = spec.map(|spec| RateLimiter::direct(quota(spec)));
        let reserve = spec.map_or(0, |spec| u64::from(reserve(spec)));
        Self {
            gcra,
            paused_until: Mutex::new(None),
            reserve,
        }
    }

    /// Waits until one more request may be sent, or returns at once with the [`LongPause`]
    /// when the pause still ahead is longer than `max_wait` (nothing is sent then).
    pub async fn until_ready(&self, max_wait: Duration) -> Result<(), LongPause> {
        // Each turn sleeps to a deadline another response set; it ends when none is ahead.
        loop {
            let pause = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match pause {
                None => break,
                Some(PauseEnd::Beyond) => {
                    return Err(LongPause {
                        remaining: Duration::MAX,
                    })
                }
                Some(PauseEnd::At(until)) => {
                    let remaining = until.saturating_duration_since(Instant::now());
                    if remaining.is_zero() {
                        break;
                    }
                    if remaining > max_wait {
                        return Err(LongPause { remaining });
                    }
                    tokio::time::sleep_until(until).await;
                }
            }
        }
        if let Some(gcra) = &self.gcra {
            gcra.until_ready().await;
        }
        Ok(())
    }

    /// Pauses every stream for `wait` (a 429's `Retry-After`, or the time to a window reset).
    /// Any `wait` is accepted: one beyond the clock's range is kept as such.
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now()
            .checked_add(wait)
            .map_or(PauseEnd::Beyond, PauseEnd::At);
        let mut slot = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none_or(|current| current < until) {
            *slot = Some(until);
        }
    }

    /// The pause still ahead of every stream, if any ([`Duration::MAX`] beyond the clock).
    pub fn pause_ahead(&self) -> Option<Duration> {
        match *self.paused_until.lock().unwrap_or_else(|e| e.into_inner()) {
            None => None,
            Some(PauseEnd::Beyond) => Some(Duration::MAX),
            Some(PauseEnd::At(until)) => {
                Some(until.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero())
            }
        }
    }

    /// Feeds the budget a response reported; pauses until the reset when it is nearly spent.
    pub fn observe(&self, budget: Budget) {
        if let (Some(remaining), Some(reset_in)) = (budget.remaining, budget.reset_in) {
            if remaining <= self.reserve {
                self.pause_for(reset_in.saturating_add(Duration::from_millis(50)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_specs() {
        assert_eq!(
            "250/10s".parse::<RateSpec>(),
            Ok(RateSpec {
                requests: 250,
                per: Duration::from_secs(10)
            })
        );
        assert_eq!(
            "100/500ms".parse::<RateSpec>().map(|r| r.per),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            "5/s".parse::<RateSpec>().map(|r| r.per),
            Ok(Duration::from_secs(1))
        );
        assert_eq!(
            "3/2m".parse::<RateSpec>().map(|r| r.per),
            Ok(Duration::from_secs(120))
        );
        for bad in ["", "250", "0/10s", "x/10s", "250/10h", "250/0s"] {
            assert!(bad.parse::<RateSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_headers_leniently() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_540_930_840);
        let b = parse_budget(
            [
                ("X-Ratelimit-Limit", "10s"),
                ("X-Ratelimit-Remaining", "97"),
                ("X-Ratelimit-Reset", "1540930848"),
                ("Nation-Ratelimit-Limit", "-1"),
            ],
            now,
        );
        assert_eq!(b.remaining, Some(97));
        assert_eq!(b.reset_in, Some(Duration::from_secs(8)));
        let b = parse_budget(
            [
                ("x-ratelimit-reset", "32.999994763"),
                ("x-ratelimit-remaining", "0"),
            ],
            now,
        );
        assert_eq!(b.remaining, Some(0));
        assert!(b.reset_in.is_some_and(|d| d > Duration::from_secs(32)));
        let b = parse_budget(
            [("RateLimit-Remaining", "oops"), ("RateLimit-Reset", "NaN")],
            now,
        );
        assert_eq!(b, Budget::default());
        let b = parse_budget([("ratelimit-remaining", "-1")], now);
        assert_eq!(b.remaining, Some(0));
        // A reset in the past is now; one beyond any clock is the longest pause, not none.
        let b = parse_budget([("RateLimit-Reset", "1000000000.5")], now);
        assert_eq!(b.reset_in, Some(Duration::ZERO));
        let b = parse_budget([("RateLimit-Reset", "1e300")], now);
        assert_eq!(b.reset_in, Some(Duration::MAX));
        let b = parse_budget([("RateLimit-Reset", "18446744073709551615")], now);
        assert!(b.reset_in > Some(Duration::from_secs(u64::MAX / 2)));
    }

    /// Every pause the API can ask for, through the headers it uses: short ones are waited
    /// out, long ones (and ones beyond the clock) stop at once, nothing panics.
    #[tokio::test]
    async fn pauses_are_honoured_up_to_the_limit_and_refused_beyond() {
        let max_wait = Duration::from_secs(15 * 60);
        let now = SystemTime::now();
        let epoch = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let day_away = (epoch + 86_400).to_string();
        let years_away = (epoch + 10 * 365 * 86_400).to_string();
        let past = (epoch - 3_600).to_string();
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Expect {
            NoPause,
            Waited,
            Refused,
        }
        type Headers<'a> = Vec<(&'a str, &'a str)>;
        let cases: Vec<(Headers<'_>, Expect)> = vec![
            (
                vec![("RateLimit-Remaining", "0"), ("RateLimit-Reset", "0.2")],
                Expect::Waited,
            ),
            (
                vec![("RateLimit-Remaining", "0"), ("RateLimit-Reset", &past)],
                Expect::Waited,
            ),
            (
                vec![("RateLimit-Remaining", "0"), ("RateLimit-Reset", "86400")],
                Expect::Refused,
            ),
            (
                vec![("RateLimit-Remaining", "0"), ("RateLimit-Reset", &day_away)],
                Expect::Refused,
            ),
            (
                vec![
                    ("X-Ratelimit-Remaining", "0"),
                    ("X-Ratelimit-Reset", &years_away),
                ],
                Expect::Refused,
            ),
            (
                vec![
                    ("X-Ratelimit-Remaining", "0"),
                    ("X-Ratelimit-Reset", "1e300"),
                ],
                Expect::Refused,
            ),
            (
                vec![
                    ("RateLimit-Remaining", "200"),
                    ("RateLimit-Reset", &day_away),
                ],
                Expect::NoPause,
            ),
            (vec![("RateLimit-Remaining", "0")], Expect::NoPause),
        ];
        for (headers, expected) in cases {
            let limiter = Limiter::new(Some(RateSpec::default()));
            limiter.observe(parse_budget(headers.iter().copied(), now));
            let started = Instant::now();
            let result = limiter.until_ready(max_wait).await;
            match expected {
                Expect::NoPause => assert!(
                    result.is_ok() && limiter.pause_ahead().is_none(),
                    "{headers:?}"
                ),
                Expect::Refused => {
                    let long = result.expect_err(&format!("{headers:?} is refused"));
                    assert!(long.remaining > max_wait, "{headers:?}: {long:?}");
                    assert!(
                        started.elapsed() < Duration::from_millis(100),
                        "refused at once"
                    );
                }
                Expect::Waited => assert!(result.is_ok(), "{headers:?} is waited out"),
            }
        }
        // Retry-After values, through pause_for as a 429 sets them.
        let cases = [
            ("0.1", false),
            ("1.5e-1", false),
            ("901", true),
            ("86400", true),
            ("1e10", true),
            ("18446744073709551615", true),
            ("Fri, 01 Jan 2100 00:00:00 GMT", true),
        ];
        for (value, refused) in cases {
            let limiter = Limiter::new(None);
            let wait = super::super::retry::parse_retry_after(value, now).unwrap();
            limiter.pause_for(wait);
            let result = limiter.until_ready(max_wait).await;
            assert_eq!(result.is_err(), refused, "Retry-After: {value}");
        }
        // A short pause is really waited out, and a later, longer one wins over it.
        let limiter = Limiter::new(None);
        limiter.pause_for(Duration::from_millis(150));
        limiter.pause_for(Duration::from_millis(50));
        let started = Instant::now();
        limiter.until_ready(max_wait).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert!(limiter.pause_ahead().is_none());
    }

    #[test]
    fn never_exceeds_the_budget_in_any_window() {
        use governor::clock::{Clock, FakeRelativeClock, Reference};
        let spec = RateSpec {
            requests: 250,
            per: Duration::from_secs(10),
        };
        let clock = FakeRelativeClock::default();
        let gcra = RateLimiter::direct_with_clock(quota(spec), clock.clone());
        let start = clock.now();
        let mut sent = Vec::new();
        loop {
            let now = clock.now();
            let elapsed = now.duration_since(start);
            if Duration::from(elapsed) >= Duration::from_secs(60) {
                break;
            }
            match gcra.check() {
                Ok(()) => sent.push(Duration::from(elapsed)),
                Err(not_until) => clock.advance(not_until.wait_time_from(now)),
            }
        }
        // Slide a window of the interval's length over every send time.
        let mut j = 0;
        for i in 0..sent.len() {
            while sent[i] - sent[j] >= spec.per {
                j += 1;
            }
            assert!(
                i - j < 250,
                "window ending at {:?} holds {}",
                sent[i],
                i - j + 1
            );
        }
        // And it still uses at least 95 % of the budget over a minute.
        assert!(sent.len() >= 1455, "only {} requests in 60 s", sent.len());
    }
}
