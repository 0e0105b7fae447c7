//! Starting the simulator in-process for tests, plus a small HTTP client that pages through
//! its collections the way an exporter would (following `next` links).

use nb_exodus::simulator::{Manifest, RunningSimulator, Simulator, SimulatorConfig};
use serde_json::Value;

/// A running simulator and a client holding its token.
pub struct TestSim {
    /// The simulator.
    pub sim: RunningSimulator,
    /// A plain HTTP client.
    pub client: reqwest::Client,
    /// The token the simulator accepts.
    pub token: String,
    /// This test's turn on the machine (timing tests run alone).
    _turn: super::db::Turn,
}

/// A 1,000-person nation without rate limit (tests that need the limit turn it on).
pub fn config() -> SimulatorConfig {
    SimulatorConfig {
        rate_limit: None,
        ..SimulatorConfig::default()
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Raw body.
    pub text: String,
}

impl Answer {
    /// The body as JSON (panics with the body if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}", &self.text[..self.text.len().min(300)])
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl TestSim {
    /// Starts a simulator on a random loopback port.
    pub fn start(config: SimulatorConfig) -> TestSim {
        let turn = super::db::shared_turn();
        let token = config.token.clone();
        let sim = Simulator::start(config, "127.0.0.1:0".parse().expect("loopback address"))
            .expect("start simulator");
        let client = reqwest::Client::builder().build().expect("client");
        TestSim {
            sim,
            client,
            token,
            _turn: turn,
        }
    }

    /// Absolute URL of a path (`/api/...`); absolute URLs are returned unchanged.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.sim.base_url(), path)
        }
    }

    /// GET with the bearer token.
    pub async fn get(&self, path: &str) -> Answer {
        self.get_with(path, Some(&self.token)).await
    }

    /// GET with the given bearer token (or none).
    pub async fn get_with(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self
            .client
            .get(self.url(path))
            .header("Accept", "application/json");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        Answer {
            status,
            headers,
            text,
        }
    }

    /// The manifest, over HTTP.
    pub async fn manifest(&self) -> Manifest {
        let resp = self
            .client
            .get(self.url("/__simulator/manifest"))
            .send()
            .await
            .expect("manifest");
        assert_eq!(resp.status().as_u16(), 200);
        resp.json().await.expect("manifest JSON")
    }

    /// Follows v2 `next` links from `first` until an empty `data` page; returns every record
    /// and the pages' bodies.
    pub async fn page_v2(&self, first: &str) -> (Vec<Value>, Vec<Value>) {
        let mut url = first.to_string();
        let (mut records, mut pages) = (Vec::new(), Vec::new());
        for _ in 0..10_000 {
            let a = self.get(&url).await;
            assert_eq!(a.status, 200, "{url}: {}", a.text);
            let body = a.json();
            let data = body["data"].as_array().expect("data array").clone();
            pages.push(body.clone());
            if data.is_empty() {
                return (records, pages);
            }
            records.extend(data);
            url = body["links"]["next"]
                .as_str()
                .expect("next link on a page with data")
                .to_string();
        }
        panic!("more than 10,000 pages");
    }

    /// Reads a v2 collection from `first` to its end: `expected` records, each once, all of
    /// JSON:API type `kind`, and no `next` link on the last page. Returns the records.
    pub async fn assert_collection(&self, first: &str, kind: &str, expected: u64) -> Vec<Value> {
        let (records, pages) = self.page_v2(first).await;
        assert_eq!(
            assert_unique(&ids(&records)).len() as u64,
            expected,
            "{first}"
        );
        assert!(records.iter().all(|r| r["type"] == kind), "{first}");
        assert!(pages.last().unwrap()["links"].get("next").is_none());
        records
    }

    /// Follows v1 `next` links from `first` until `next` is null.
    pub async fn page_v1(&self, first: &str) -> (Vec<Value>, Vec<Value>) {
        let mut url = first.to_string();
        let (mut records, mut pages) = (Vec::new(), Vec::new());
        for _ in 0..10_000 {
            let a = self.get(&url).await;
            assert_eq!(a.status, 200, "{url}: {}", a.text);
            let body = a.json();
            records.extend(body["results"].as_array().expect("results").iter().cloned());
            pages.push(body.clone());
            match body["next"].as_str() {
                Some(next) => url = next.to_string(),
                None => return (records, pages),
            }
        }
        panic!("more than 10,000 pages");
    }
}

/// The `id` of each record as a number (v2 ids are strings, v1 ids numbers).
pub fn ids(records: &[Value]) -> Vec<u64> {
    records
        .iter()
        .map(|r| match &r["id"] {
            Value::String(s) => s.parse().expect("numeric id"),
            v => v.as_u64().expect("id"),
        })
        .collect()
}

/// Asserts every id appears once and returns them sorted.
pub fn assert_unique(ids: &[u64]) -> Vec<u64> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let before = sorted.len();
    sorted.dedup();
    assert_eq!(before, sorted.len(), "duplicate ids");
    sorted
}
