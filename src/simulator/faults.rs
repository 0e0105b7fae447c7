//! Seeded fault injection: 5xx answers (some with an HTML body, as a proxy would send), 200
//! answers whose JSON body is cut off, and slow answers. Whether request number `n` is faulty
//! is a hash of (seed, n), so a run with the same request order is reproducible. Faults never
//! apply to the `/__simulator/*` routes.

use std::time::Duration;

use super::data::hash3;
use super::FaultConfig;

/// What to do to one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Serve normally.
    None,
    /// Answer this 5xx status instead; `html` selects a proxy-style HTML body.
    Fail { status: u16, html: bool },
    /// Serve the 200 body cut to this many thousandths of its length.
    Truncate { keep_permille: u64 },
}

const FAULT: u64 = 0xFA_0175;
const SLOW: u64 = 0x51_0770;

fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The fault and the delay for API request number `seq`.
pub(crate) fn decide(seed: u64, seq: u64, config: &FaultConfig) -> (Fault, Duration) {
    let h = hash3(seed, FAULT, seq);
    let u = unit(h);
    let fault = if u < config.fail_rate {
        let status = [500, 502, 503, 504][(h % 4) as usize];
        Fault::Fail {
            status,
            html: status != 500 && (h >> 4).is_multiple_of(2),
        }
    } else if u < config.fail_rate + config.truncate_rate {
        Fault::Truncate {
            keep_permille: 100 + (h >> 8) % 800,
        }
    } else {
        Fault::None
    };
    let mut delay = config.latency;
    if config.slow_rate > 0.0 && unit(hash3(seed, SLOW, seq)) < config.slow_rate {
        delay += config.slow_latency;
    }
    (fault, delay)
}

/// Body of an injected failure.
pub(crate) fn failure_body(status: u16, html: bool) -> (&'static str, &'static str) {
    if html {
        let body = match status {
            502 => "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            503 => "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request. Please try again later.</p></body></html>",
            _ => "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        };
        ("text/html", body)
    } else {
        let body = match status {
            500 => {
                r#"{"code":"server_error","message":"Something went wrong on our end. Please try again later."}"#
            }
            502 => r#"{"code":"bad_gateway","message":"Bad gateway."}"#,
            503 => {
                r#"{"code":"service_unavailable","message":"The service is temporarily unavailable."}"#
            }
            _ => r#"{"code":"gateway_timeout","message":"The request timed out."}"#,
        };
        ("application/json; charset=utf-8", body)
    }
}

/// Cuts `body` to about `keep_permille`/1000 of its length, on a character boundary, always
/// removing at least one byte.
pub(crate) fn truncate(body: &mut String, keep_permille: u64) {
    let mut cut = (body.len() as u64 * keep_permille / 1000) as usize;
    cut = cut.min(body.len().saturating_sub(1));
    while cut > 0 && !body.is_char_boundary(cut) {
        cut -= 1;
    }
    body.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_roughly_honoured_and_reproducible() {
        let cfg = FaultConfig {
            fail_rate: 0.1,
            truncate_rate: 0.05,
            ..FaultConfig::default()
        };
        let faults: Vec<_> = (0..10_000).map(|n| decide(7, n, &cfg).0).collect();
        let fails = faults
            .iter()
            .filter(|f| matches!(f, Fault::Fail { .. }))
            .count();
        let cuts = faults
            .iter()
            .filter(|f| matches!(f, Fault::Truncate { .. }))
            .count();
        assert!((800..1200).contains(&fails), "{fails}");
        assert!((350..650).contains(&cuts), "{cuts}");
        let again: Vec<_> = (0..10_000).map(|n| decide(7, n, &cfg).0).collect();
        assert_eq!(faults, again);
    }

    #[test]
    fn truncation_breaks_json() {
        let mut s = r#"{"data":[{"id":"1","name":"é"}]}"#.to_string();
        truncate(&mut s, 999);
        assert!(serde_json::from_str::<serde_json::Value>(&s).is_err());
    }
}
