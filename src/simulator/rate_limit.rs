//! Per-token rate limiting with a fixed window, as NationBuilder documents it (250 requests per
//! 10 s per access token, §9). A token's window starts at its first request; when it is over,
//! the next request opens a new one. Every API response carries the remaining budget; a
//! request over the budget gets 429 with `Retry-After` (whole seconds until the window ends,
//! at least 1).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::RateLimit;

/// The outcome of one request against its token's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Whether the request may be served.
    pub allowed: bool,
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left in the current window.
    pub remaining: u32,
    /// End of the window, Unix seconds (rounded up).
    pub reset_epoch: u64,
    /// Whole seconds until the window ends, at least 1.
    pub retry_after: u64,
    /// Window length in seconds (v1 sends it as `X-Ratelimit-Limit: 10s`).
    pub window_secs: u64,
}

#[derive(Debug)]
struct Window {
    start: Instant,
    count: u32,
}

/// Fixed windows per token.
#[derive(Debug)]
pub(crate) struct Limiter {
    config: Option<RateLimit>,
    windows: Mutex<HashMap<String, Window>>,
}

impl Limiter {
    pub(crate) fn new(config: Option<RateLimit>) -> Self {
        Limiter {
            config,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `token`; `None` when rate limiting is off.
    pub(crate) fn check(&self, token: &str) -> Option<Decision> {
        let config = self.config?;
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = windows.entry(token.to_string()).or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(w.start) >= config.window {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        w.count = w.count.saturating_add(1);
        let left = (w.start + config.window).saturating_duration_since(now);
        Some(decision(config, w.count, left))
    }

    /// The budget of `token` without counting a request (for 401 responses).
    pub(crate) fn peek(&self) -> Option<Decision> {
        let config = self.config?;
        Some(Decision {
            allowed: true,
            ..decision(config, 0, config.window)
        })
    }
}

fn decision(config: RateLimit, count: u32, left: Duration) -> Decision {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let end = wall + left;
    let reset_epoch = end.as_secs() + u64::from(end.subsec_nanos() > 0);
    let retry_after = (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1);
    Decision {
        allowed: count <= config.limit,
        limit: config.limit,
        remaining: config.limit.saturating_sub(count),
        reset_epoch,
        retry_after,
        window_secs: config.window.as_secs().max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_per_token() {
        let l = Limiter::new(Some(RateLimit {
            limit: 3,
            window: Duration::from_secs(10),
        }));
        let d: Vec<_> = (0..5).map(|_| l.check("a").unwrap()).collect();
        assert_eq!(
            d.iter().map(|d| d.allowed).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        assert_eq!(d[0].remaining, 2);
        assert_eq!(d[4].remaining, 0);
        assert!(d[4].retry_after >= 1 && d[4].retry_after <= 10);
        assert!(l.check("b").unwrap().allowed);
        assert!(Limiter::new(None).check("a").is_none());
    }
}
