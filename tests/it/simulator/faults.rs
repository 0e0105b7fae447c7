//! Seeded faults: 5xx (some HTML), truncated 200 bodies and delays, counted in the manifest,
//! reproducible for the same seed and request order, never on `/__simulator/*`.

use std::time::{Duration, Instant};

use nb_exodus::simulator::{FaultConfig, SimulatorConfig};

use crate::support::sim::{config, TestSim};

fn faulty() -> SimulatorConfig {
    SimulatorConfig {
        faults: FaultConfig {
            fail_rate: 0.25,
            truncate_rate: 0.15,
            ..FaultConfig::default()
        },
        ..config()
    }
}

/// Outcome of one request: status, and whether a 200 body was valid JSON.
async fn outcomes(t: &TestSim, n: usize) -> Vec<(u16, bool, bool)> {
    let mut out = Vec::new();
    for i in 0..n {
        let a = t
            .get(&format!(
                "/api/v2/signups?page[size]=10&page[number]={}",
                1 + i % 5
            ))
            .await;
        let json_ok = serde_json::from_str::<serde_json::Value>(&a.text).is_ok();
        let html = a
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"));
        out.push((a.status, json_ok, html));
    }
    out
}

#[tokio::test]
async fn faults_are_seeded_counted_and_reproducible() {
    let t = TestSim::start(faulty());
    let got = outcomes(&t, 120).await;
    let failed = got.iter().filter(|(s, _, _)| *s >= 500).count();
    let truncated = got.iter().filter(|(s, ok, _)| *s == 200 && !ok).count();
    assert!(
        failed > 10 && truncated > 5,
        "failed {failed} truncated {truncated}"
    );
    assert!(got
        .iter()
        .all(|(s, _, _)| [200, 500, 502, 503, 504].contains(s)));
    assert!(
        got.iter().any(|(_, _, html)| *html),
        "some failures carry a proxy's HTML body"
    );
    let m = t.manifest().await;
    assert_eq!(m.faults as usize, failed + truncated);
    assert_eq!(m.requests, 120);

    let again = TestSim::start(faulty());
    assert_eq!(
        outcomes(&again, 120).await,
        got,
        "same seed, same request order, same faults"
    );
    let other = TestSim::start(SimulatorConfig {
        seed: 1,
        ..faulty()
    });
    assert_ne!(outcomes(&other, 120).await, got);
    // The manifest itself is never faulted.
    for _ in 0..20 {
        t.manifest().await;
    }
}

#[tokio::test]
async fn latency_and_slow_requests() {
    let t = TestSim::start(SimulatorConfig {
        faults: FaultConfig {
            latency: Duration::from_millis(60),
            slow_rate: 1.0,
            slow_latency: Duration::from_millis(90),
            ..FaultConfig::default()
        },
        ..config()
    });
    let start = Instant::now();
    assert_eq!(t.get("/api/v1/people/count").await.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
    let start = Instant::now();
    t.manifest().await;
    assert!(
        start.elapsed() < Duration::from_millis(60),
        "admin routes are not delayed"
    );
}
