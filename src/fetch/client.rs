//! The HTTP layer: one reqwest client (rustls, connect and read timeouts, our user agent, the
//! bearer token) and the attempt loop around it. Every attempt waits for the shared
//! [`Limiter`] first, feeds the rate-limit headers back to it, and asks
//! [`retry::classify`](super::retry::classify) whether a failure is worth another try. Tokens
//! and record values never reach a log line; URLs are logged with credentials removed.
//!
//! Three limits keep a hostile or broken API from hanging, growing or misdirecting a run:
//! - **waits**: a pause the API asks for (`Retry-After`, or `RateLimit-Remaining: 0` with a
//!   reset) longer than [`ClientConfig::max_wait`] is not waited out: the request stops with
//!   [`FetchError::PauseTooLong`] and the run can be resumed later;
//! - **bodies** are read chunk by chunk and never beyond [`ClientConfig::max_response_bytes`]
//!   ([`FetchError::ResponseTooLarge`]), so one huge response cannot exhaust memory;
//! - **redirects** are followed only within the origin of the request (at most
//!   [`MAX_REDIRECTS`]); one to another origin is never requested — the token must not travel
//!   there — and stops the run with [`FetchError::RedirectedElsewhere`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use url::Url;

use super::rate_limit::{parse_budget, Limiter};
use super::retry::{classify, describe_wait, parse_retry_after, Backoff, Outcome, Retryable};
use super::token::{Secret, StaticToken, TokenError, TokenSource};
use super::FetchError;

/// Same-origin redirects followed for one request before it stops.
pub const MAX_REDIRECTS: usize = 5;

/// Default of [`ClientConfig::max_wait`] (`--max-wait`), in minutes.
pub const DEFAULT_MAX_WAIT_MINUTES: u64 = 15;

/// Default of [`ClientConfig::max_response_bytes`] (`--max-response-mb`), in MB.
pub const DEFAULT_MAX_RESPONSE_MB: u64 = 64;

/// Bytes in the MB of `--max-response-mb`.
pub const MB: u64 = 1024 * 1024;

/// Bytes of an error response's body read at most: only its `code` and `message` are used.
const ERROR_BODY_BYTES: u64 = 64 * 1024;

/// What a request is for, so a consultant sees where the budget went: the main pass, the
/// catch-up of what changed since it began, or the check for deletions at the source (the id
/// sweep and the confirmations by id). Reconciliation sets it around its steps with
/// [`for_purpose`]; everything else counts as the main pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// Reading the resources (and anything outside reconciliation).
    Main = 0,
    /// Reading what changed since the main pass began (and records found new by the sweep).
    CatchUp = 1,
    /// Listing the ids at the source and confirming candidates for deletion.
    DeletionCheck = 2,
}

impl Purpose {
    /// Every purpose, in report order.
    pub const ALL: [Purpose; 3] = [Purpose::Main, Purpose::CatchUp, Purpose::DeletionCheck];

    /// Its name in reports (`main`, `catch_up`, `deletion_check`).
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Main => "main",
            Purpose::CatchUp => "catch_up",
            Purpose::DeletionCheck => "deletion_check",
        }
    }
}

tokio::task_local! {
    static PURPOSE: Purpose;
}

/// Runs `work` with its requests (those sent from this task) counted for `purpose`.
pub async fn for_purpose<F: std::future::Future>(purpose: Purpose, work: F) -> F::Output {
    PURPOSE.scope(purpose, work).await
}

/// The purpose the current task's requests count for ([`Purpose::Main`] outside any
/// [`for_purpose`]).
pub fn current_purpose() -> Purpose {
    PURPOSE.try_with(|p| *p).unwrap_or(Purpose::Main)
}

/// Counters a progress display shows: attempts sent, retries, 429s met.
#[derive(Debug, Default)]
pub struct FetchStats {
    /// HTTP attempts sent.
    pub requests: AtomicU64,
    /// The same attempts by [`Purpose`] (indexed by `Purpose as usize`).
    pub by_purpose: [AtomicU64; 3],
    /// Attempts that were retries of a failed one.
    pub retries: AtomicU64,
    /// 429 responses received.
    pub rate_limited: AtomicU64,
}

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where the access token of each attempt comes from (sent as `Authorization: Bearer`);
    /// asked before every attempt, and once per request to refresh after a 401.
    pub tokens: Arc<dyn TokenSource>,
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
    /// The longest pause the API may ask for and have waited out (`--max-wait`).
    pub max_wait: Duration,
    /// The largest response body read (`--max-response-mb`).
    pub max_response_bytes: u64,
}

impl ClientConfig {
    /// Defaults for a token: 8 attempts, 10 s connect, 30 s read, 60 s request, pauses up to
    /// 15 minutes, bodies up to 64 MB.
    pub fn new(token: String) -> Self {
        Self::with_tokens(Arc::new(StaticToken::new(Secret::new(token))))
    }

    /// The same defaults, with tokens from `tokens` (the credentials store, which refreshes).
    pub fn with_tokens(tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            tokens,
            max_attempts: 8,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            backoff: Backoff::default(),
            max_wait: Duration::from_secs(DEFAULT_MAX_WAIT_MINUTES * 60),
            max_response_bytes: DEFAULT_MAX_RESPONSE_MB * MB,
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

/// A successful response: what the parser made of its body, and the body's bytes as received.
#[derive(Debug)]
pub struct Fetched<T> {
    /// What the caller's parser made of the body.
    pub parsed: T,
    /// The body's bytes as received.
    pub body: Vec<u8>,
}

/// Why a body could not be read whole.
enum BodyError {
    /// It is longer than allowed.
    TooLarge,
    /// The transfer failed.
    Transport(reqwest::Error),
}

/// The redirect rule: follow within the origin of the original request, at most
/// [`MAX_REDIRECTS`] times; otherwise hand the 3xx back to [`HttpClient::get`] unfollowed, so
/// that no request (and no token) ever goes to another origin.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

impl HttpClient {
    /// Builds the client. Fails only if the TLS backend cannot initialise.
    pub fn new(config: ClientConfig, limiter: Arc<Limiter>) -> Result<Self, FetchError> {
        let inner = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.request_timeout)
            .redirect(redirect_policy())
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

    /// The error for a pause the API asked for beyond `--max-wait`, logged once per request
    /// that meets it.
    fn pause_too_long(&self, asked: Duration) -> FetchError {
        let max_wait_minutes = self.config.max_wait.as_secs() / 60;
        tracing::warn!(
            max_wait_minutes,
            "the API asked for a long pause, longer than --max-wait; stopping (the run can be resumed)"
        );
        FetchError::PauseTooLong {
            asked: describe_wait(asked),
            max_wait_minutes,
        }
    }

    /// After a 401 with `stale`: `Some` when the token source gave a new token to try (once per
    /// request), `None` when the 401 stands as it is (a static token). A refresh that was
    /// refused, or a second 401 right after a refresh, is [`TokenError::LoginNeeded`].
    async fn after_401(
        &self,
        url: &Url,
        stale: &Secret,
        refreshed: bool,
    ) -> Result<Option<()>, FetchError> {
        if refreshed {
            // Only a refreshing source gets here; refreshing again would only burn another
            // refresh token on an authorization the API no longer honours.
            return Err(FetchError::Token(
                self.config.tokens.rejected_after_refresh(),
            ));
        }
        tracing::debug!(url = %redact_url(url), "the API rejected the access token; refreshing it once");
        match self.config.tokens.refresh_after_401(stale).await {
            Ok(_) => Ok(Some(())),
            Err(TokenError::NotRefreshable) => Ok(None),
            Err(err) => Err(FetchError::Token(err)),
        }
    }

    /// GETs `url` until `parse` accepts a 2xx body (given without a leading UTF-8 BOM), retrying transient failures with backoff and
    /// stopping at once on fatal ones. `parse` returning `None` means the body was truncated or
    /// not the expected JSON document (a transient failure). A pause asked for beyond
    /// `--max-wait`, a body beyond `--max-response-mb` and a redirect to another origin are
    /// fatal.
    pub async fn get<T>(
        &self,
        url: &Url,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Fetched<T>, FetchError> {
        self.get_within(url, parse, self.config.max_attempts).await
    }

    /// [`HttpClient::get`] with at most `attempts` attempts (and never more than the
    /// configured ones): for a request the caller can make lighter when it keeps failing (a
    /// page with sideloads that time out), so it need not wait through every retry first.
    pub async fn get_within<T>(
        &self,
        url: &Url,
        parse: impl Fn(&[u8]) -> Option<T>,
        attempts: u32,
    ) -> Result<Fetched<T>, FetchError> {
        let mut last = String::new();
        let max_attempts = attempts.min(self.config.max_attempts).max(1);
        // Whether this request already had its one refresh after a 401: a second 401 is final.
        let mut refreshed = false;
        let mut attempt = 0;
        while attempt < max_attempts {
            attempt += 1;
            if attempt > 1 {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            let token = self
                .config
                .tokens
                .current()
                .await
                .map_err(FetchError::Token)?;
            self.limiter
                .until_ready(self.config.max_wait)
                .await
                .map_err(|long| self.pause_too_long(long.remaining))?;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            self.stats.by_purpose[current_purpose() as usize].fetch_add(1, Ordering::Relaxed);
            let sent = self
                .inner
                .get(url.clone())
                .header(AUTHORIZATION, format!("Bearer {}", token.expose()))
                .header(ACCEPT, "application/json")
                .header(CONTENT_TYPE, "application/json")
                .send()
                .await;
            let (outcome, detail) = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    self.limiter.observe(budget_of(&headers));
                    if (300..400).contains(&status) {
                        if let Some(err) = redirect_error(url, response.url(), &headers) {
                            return Err(err);
                        }
                    }
                    if (200..300).contains(&status) {
                        match read_body(response, self.config.max_response_bytes).await {
                            Ok(body) => {
                                // A UTF-8 byte order mark belongs to the body, not to what it holds.
                                if let Some(parsed) = parse(super::scan::strip_bom(&body)) {
                                    return Ok(Fetched { parsed, body });
                                }
                                (
                                    Outcome::BadBody,
                                    format!("HTTP {status} with an unusable body"),
                                )
                            }
                            Err(BodyError::TooLarge) => {
                                return Err(FetchError::ResponseTooLarge {
                                    url: redact_url(url),
                                    limit_mb: self.config.max_response_bytes / MB,
                                })
                            }
                            Err(BodyError::Transport(err)) => (
                                transport_outcome(&err),
                                format!("reading the body: {}", without_url(&err)),
                            ),
                        }
                    } else {
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
                        if status == 401 {
                            match self.after_401(url, &token, refreshed).await? {
                                Some(()) => {
                                    // The refreshed token gets the attempt the rejected one had.
                                    refreshed = true;
                                    attempt -= 1;
                                    continue;
                                }
                                None => return Err(FetchError::from_status(401, "", url)),
                            }
                        }
                        if classify(&outcome) == Retryable::Fatal {
                            let body = read_prefix(response, ERROR_BODY_BYTES).await;
                            let body = String::from_utf8_lossy(super::scan::strip_bom(&body));
                            return Err(FetchError::from_status(status, &body, url));
                        }
                        if let Some(wait) = retry_after.filter(|w| *w > self.config.max_wait) {
                            return Err(self.pause_too_long(wait));
                        }
                        (outcome, format!("HTTP {status}"))
                    }
                }
                Err(err) => {
                    if let Some(why) = unreachable(&err) {
                        return Err(FetchError::Unreachable {
                            host: url.host_str().unwrap_or_default().to_owned(),
                            why,
                        });
                    }
                    (transport_outcome(&err), without_url(&err))
                }
            };
            last = detail;
            let Retryable::Transient { wait } = classify(&outcome) else {
                return Err(FetchError::Exhausted {
                    url: redact_url(url),
                    attempts: attempt,
                    last,
                });
            };
            if attempt < max_attempts {
                let delay = self.config.backoff.delay(attempt, self.next_jitter(), wait);
                tracing::debug!(url = %redact_url(url), attempt, delay_ms = delay.as_millis() as u64, reason = %last, "retrying");
                tokio::time::sleep(delay).await;
            }
        }
        Err(FetchError::Exhausted {
            url: redact_url(url),
            attempts: max_attempts,
            last,
        })
    }
}

/// Reads a body chunk by chunk, refusing it as soon as it is known to exceed `cap` bytes (from
/// `Content-Length` before reading anything, else when the bytes read pass it): memory never
/// holds more than `cap` plus one chunk.
async fn read_body(mut response: reqwest::Response, cap: u64) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(BodyError::TooLarge);
    }
    let expected = response.content_length().unwrap_or(0).min(cap);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if (body.len() as u64).saturating_add(chunk.len() as u64) > cap {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The first `cap` bytes of a body (an error response's), whatever follows or fails.
async fn read_prefix(mut response: reqwest::Response, cap: u64) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = usize::try_from(cap.saturating_sub(body.len() as u64)).unwrap_or(0);
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() as u64 >= cap {
            break;
        }
    }
    body
}

/// The error for a 3xx that the [`redirect_policy`] did not follow, when it names a target:
/// another origin, or one same-origin hop too many. `None` for a 3xx without a usable
/// `Location` (it is then reported as the status it is).
fn redirect_error(requested: &Url, answered: &Url, headers: &HeaderMap) -> Option<FetchError> {
    let location = headers.get(LOCATION)?.to_str().ok()?;
    let target = answered.join(location.trim()).ok()?;
    Some(if target.origin() == requested.origin() {
        FetchError::TooManyRedirects {
            url: redact_url(requested),
            max: MAX_REDIRECTS,
        }
    } else {
        FetchError::RedirectedElsewhere {
            url: redact_url(requested),
            target: crate::redact::origin(&target),
        }
    })
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

/// Why the API's host cannot be reached at all, when that is what `err` says: its name does
/// not resolve, or nothing listens there. Neither gets better by retrying within a run (a
/// mistyped slug, a wrong --api-base, no network), so they are fatal, unlike a reset or a
/// timeout.
fn unreachable(err: &reqwest::Error) -> Option<&'static str> {
    if !err.is_connect() {
        return None;
    }
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return Some("the connection was refused");
            }
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("dns error")
            || text.contains("failed to lookup address")
            || text.contains("name or service not known")
            || text.contains("no address associated")
        {
            return Some("the host name does not resolve");
        }
        source = e.source();
    }
    None
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

/// The URL with any credentials removed: [`crate::redact::parsed`], the one redaction every
/// URL goes through (userinfo, `access_token` and password parameters).
pub fn redact_url(url: &Url) -> String {
    crate::redact::parsed(url)
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
        assert_eq!(r, "https://x.nationbuilder.com/api/v1/people?limit=10");
    }
}
