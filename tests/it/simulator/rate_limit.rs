//! The per-token fixed window: 250 requests per 10 s, then 429 with `Retry-After`, counted in
//! the manifest; rate-limit headers on every response.

use nb_exodus::simulator::{RateLimit, SimulatorConfig};

use crate::support::sim::{config, TestSim};

#[tokio::test]
async fn three_hundred_quick_requests_hit_the_limit_after_250() {
    let t = TestSim::start(SimulatorConfig {
        token: "rate-limit-token".to_string(),
        rate_limit: Some(RateLimit::default()),
        ..config()
    });
    let mut statuses = Vec::new();
    let mut last_429 = None;
    for i in 0..300 {
        let path = if i % 2 == 0 {
            "/api/v2/signup_tags?page[size]=1"
        } else {
            "/api/v1/people/count"
        };
        let a = t.get(path).await;
        statuses.push(a.status);
        if i == 0 {
            assert_eq!(a.header("ratelimit-limit").as_deref(), Some("250"));
            assert_eq!(a.header("ratelimit-remaining").as_deref(), Some("249"));
            let reset: u64 = a.header("ratelimit-reset").unwrap().parse().unwrap();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            assert!(reset >= now && reset <= now + 11, "reset {reset} now {now}");
        }
        if i == 1 {
            assert_eq!(a.header("x-ratelimit-limit").as_deref(), Some("10s"));
            assert_eq!(a.header("x-ratelimit-remaining").as_deref(), Some("248"));
            assert!(a.header("x-ratelimit-reset").is_some());
            assert!(
                a.header("nation-ratelimit-limit").is_some()
                    && a.header("nation-ratelimit-reset").is_some()
            );
        }
        if a.status == 429 {
            last_429 = Some(a);
        }
    }
    assert!(
        statuses[..250].iter().all(|s| *s == 200),
        "the first 250 pass"
    );
    assert!(
        statuses[250..].iter().all(|s| *s == 429),
        "the rest are limited"
    );
    let a = last_429.unwrap();
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    assert_eq!(a.header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(
        a.json()["message"],
        "You have made too many requests. Please try again later."
    );
    let m = t.manifest().await;
    assert_eq!(m.rate_limited, 50);
    assert_eq!(m.requests, 300);
    // The admin routes are never limited, and another token has its own window.
    assert_eq!(t.manifest().await.rate_limited, 50);
}

#[tokio::test]
async fn windows_are_per_token_and_reset() {
    let t = TestSim::start(SimulatorConfig {
        token: "window-token".to_string(),
        rate_limit: Some(RateLimit {
            limit: 3,
            window: std::time::Duration::from_millis(1500),
        }),
        ..config()
    });
    for _ in 0..3 {
        assert_eq!(t.get("/api/v1/people/count").await.status, 200);
    }
    let a = t.get("/api/v2/signups?page[size]=1").await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("ratelimit-remaining").as_deref(), Some("0"));
    // A wrong token is refused before counting.
    assert_eq!(
        t.get_with("/api/v1/people/count", Some("other"))
            .await
            .status,
        401
    );
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(
        t.get("/api/v1/people/count").await.status,
        200,
        "a new window"
    );
}
