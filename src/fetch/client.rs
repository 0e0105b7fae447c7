//! The HTTP layer: one reqwest client (rustls, connect and read timeouts, our user agent, the
//! bearer token) and the attempt loop around it. Every attempt waits for the shared
//! [`Limiter`] first, feeds the rate-limit headers back to it, and asks
//! [`retry::classify`](super::retry::classify) whether a failure is worth another try. Tokens
//! and record values never reach a log line; URLs are logged with credentials removed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use url::Url;

use super::rate_limit::{parse_budget, Limiter};
use super::retry::{classify, parse_retry_after, Backoff, Outcome, Retryable};
use super::FetchError;

/// Counters a progress display shows: attempts sent, retries, 429s met.
#[derive(Debug, Default)]
pub struct FetchStats {
    /// HTTP attempts sent.
    pub requests: AtomicU64,
    /// Attempts that were retries of a failed one.
    pub retries: AtomicU64,
    /// 429 responses received.
    pub rate_limited: AtomicU64,
}

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The access token (sent as `Authorization: Bearer`).
    pub token: String,
    /// Attempts per request before giving up (transient failures only).
    pub max_attempts: u32,
    /// Timeout for establishing a connection.
    pub connect_timeout: Duration,
    /// Longest silence while reading a response (a stalled connection).
    pub read_timeout: Duration,
    /// Timeout for a whole request, body included.
    pub request_timeout: Duration,
    /// Backoff schedule between attempts.
    pub backoff: Backoff,
}

impl ClientConfig {
    /// Defaults for a token: 8 attempts, 10 s connect, 30 s read, 60 s request.
    pub fn new(token: String) -> Self {
        Self {
            token,
            max_attempts: 8,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            backoff: Backoff::default(),
        }
    }
}

/// The configured HTTP client shared by every stream.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    config: Arc<ClientConfig>,
    limiter: Arc<Limiter>,
    stats: Arc<FetchStats>,
    jitter: Arc<AtomicU64>,
}

/// A successful response: its body text (exactly as received) and its headers.
#[derive(Debug)]
pub struct Fetched<T> {
    /// What the caller's parser made of the body.
    pub parsed: T,
    /// The body as received.
    pub body: Vec<u8>,
}

impl HttpClient {
    /// Builds the client. Fails only if the TLS backend cannot initialise.
    pub fn new(config: ClientConfig, limiter: Arc<Limiter>) -> Result<Self, FetchError> {
        let inner = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("nb-exodus/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Ok(Self {
            inner,
            config: Arc::new(config),
            limiter,
            stats: Arc::new(FetchStats::default()),
            jitter: Arc::new(AtomicU64::new(seed | 1)),
        })
    }

    /// The shared counters.
    pub fn stats(&self) -> Arc<FetchStats> {
        Arc::clone(&self.stats)
    }

    /// The shared limiter.
    pub fn limiter(&self) -> Arc<Limiter> {
        Arc::clone(&self.limiter)
    }

    fn next_jitter(&self) -> f64 {
        // xorshift64*: good enough to spread retries, no dependency, no global state.
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.jitter.store(x, Ordering::Relaxed);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// GETs `url` until `parse` accepts a 2xx body, retrying transient failures with backoff and
    /// stopping at once on fatal ones. `parse` returning `None` means the body was truncated or
    /// not the expected JSON document (a transient failure).
    pub async fn get<T>(
        &self,
        url: &Url,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Fetched<T>, FetchError> {
        let mut last = String::new();
        for attempt in 1..=self.config.max_attempts.max(1) {
            if attempt > 1 {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            self.limiter.until_ready().await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .inner
                .get(url.clone())
                .header(AUTHORIZATION, format!("Bearer {}", self.config.token))
                .header(ACCEPT, "application/json")
                .header(CONTENT_TYPE, "application/json")
                .send()
                .await;
            let (outcome, detail) = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    self.limiter.observe(budget_of(&headers));
                    let body = response.bytes().await.map(|b| b.to_vec());
                    match body {
                        Ok(body) if (200..300).contains(&status) => {
                            if let Some(parsed) = parse(&body) {
                                return Ok(Fetched { parsed, body });
                            }
                            (
                                Outcome::BadBody,
                                format!("HTTP {status} with an unusable body"),
                            )
                        }
                        Ok(body) => {
                            let retry_after = headers
                                .get(RETRY_AFTER)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| parse_retry_after(v, SystemTime::now()));
                            if status == 429 {
                                self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                                self.limiter
                                    .pause_for(retry_after.unwrap_or(Duration::from_secs(1)));
                            }
                            let outcome = Outcome::Status {
                                status,
                                retry_after,
                            };
                            if classify(&outcome) == Retryable::Fatal {
                                let text = String::from_utf8_lossy(&body);
                                return Err(FetchError::from_status(status, &text, url));
                            }
                            (outcome, format!("HTTP {status}"))
                        }
                        Err(err) => (transport_outcome(&err), format!("reading the body: {err}")),
                    }
                }
                Err(err) => (transport_outcome(&err), without_url(&err)),
            };
            last = detail;
            let Retryable::Transient { wait } = classify(&outcome) else {
                return Err(FetchError::Exhausted {
                    url: redact_url(url),
                    attempts: attempt,
                    last,
                });
            };
            if attempt < self.config.max_attempts {
                let delay = self.config.backoff.delay(attempt, self.next_jitter(), wait);
                tracing::debug!(url = %redact_url(url), attempt, delay_ms = delay.as_millis() as u64, reason = %last, "retrying");
                tokio::time::sleep(delay).await;
            }
        }
        Err(FetchError::Exhausted {
            url: redact_url(url),
            attempts: self.config.max_attempts,
            last,
        })
    }
}

fn budget_of(headers: &HeaderMap) -> super::rate_limit::Budget {
    parse_budget(
        headers
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v))),
        SystemTime::now(),
    )
}

fn transport_outcome(err: &reqwest::Error) -> Outcome {
    if err.is_timeout() {
        Outcome::Timeout
    } else if err.is_decode() || err.is_body() {
        Outcome::BadBody
    } else {
        Outcome::Connection
    }
}

/// A transport error's text without the URL (which may carry a token in v1 links).
fn without_url(err: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    let mut first = true;
    while let Some(e) = source {
        if !first {
            text.push_str(": ");
        }
        first = false;
        match e.downcast_ref::<reqwest::Error>() {
            Some(re) => {
                let kind = if re.is_timeout() {
                    "timed out"
                } else if re.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                };
                text.push_str(kind);
            }
            None => text.push_str(&e.to_string()),
        }
        source = e.source();
    }
    text
}

/// The URL with any credentials removed: userinfo, and `access_token` query parameters.
pub fn redact_url(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if url.query().is_some_and(|q| q.contains("access_token")) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                if k == "access_token" {
                    (k.into_owned(), "REDACTED".to_owned())
                } else {
                    (k.into_owned(), v.into_owned())
                }
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        let url =
            Url::parse("https://u:p@x.nationbuilder.com/api/v1/people?limit=10&access_token=abc")
                .unwrap();
        let r = redact_url(&url);
        assert!(!r.contains("abc") && !r.contains("u:p"), "{r}");
        assert!(
            r.contains("limit=10") && r.contains("access_token=REDACTED"),
            "{r}"
        );
    }
}
