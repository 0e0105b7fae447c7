//! The simulated nation's OAuth, following the reference (`full-exit.md` §3, API reference
//! §2): `GET /oauth/authorize` shows an approval page (or, with
//! [`super::OAuthConfig::auto_approve`], redirects at once) and issues a single-use code that
//! lives 10 minutes; `POST /oauth/token` (form or JSON body; client credentials in the body or
//! HTTP Basic) runs the authorization-code grant (redirect URI must match; PKCE checked when a
//! challenge was given) and the refresh-token grant. Access tokens expire after
//! [`super::OAuthConfig::token_ttl`]; every refresh rotates the refresh token and a used one
//! is refused with `400 {"error":"invalid_grant",…}`, as Doorkeeper answers. The simulator's
//! `--token` is a legacy token: usable directly, and exchangeable **once** as a refresh token.
//!
//! These routes are outside the API: not counted as API requests, not rate limited, no faults.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use sha2::Digest as _;

use super::Shared;

/// How long an authorization code may be exchanged.
const CODE_LIFE: Duration = Duration::from_secs(600);

/// Largest token or approval request body read.
const MAX_BODY: usize = 64 * 1024;

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";

/// A code waiting to be exchanged.
struct Code {
    redirect_uri: String,
    challenge: Option<(String, String)>,
    issued: Instant,
}

/// Codes and tokens issued so far.
#[derive(Default)]
pub(crate) struct OAuthState {
    codes: HashMap<String, Code>,
    /// Live access tokens and when they expire.
    access: HashMap<String, Instant>,
    /// Refresh tokens not used yet (a used one is removed: it is refused from then on).
    refresh: HashMap<String, ()>,
    /// Whether the legacy `--token` was exchanged already.
    legacy_exchanged: bool,
}

/// Whether `token` is a live access token issued here (`Some(false)`: issued, but expired).
pub(crate) fn access_state(shared: &Shared, token: &str) -> Option<bool> {
    let state = lock(&shared.oauth);
    state.access.get(token).map(|exp| Instant::now() < *exp)
}

fn lock(m: &Mutex<OAuthState>) -> std::sync::MutexGuard<'_, OAuthState> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn random_hex() -> String {
    let mut buf = [0u8; 32];
    if getrandom::fill(&mut buf).is_err() {
        // Not a security boundary: a simulator. Fall back on the clock.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        buf[..16].copy_from_slice(&nanos.to_le_bytes());
    }
    hex::encode(buf)
}

fn reply(status: u16, content_type: &str, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn json_error(status: u16, error: &str, description: &str) -> Response {
    reply(
        status,
        "application/json; charset=utf-8",
        serde_json::json!({"error": error, "error_description": description}).to_string(),
    )
}

fn html(status: u16, body: &str) -> Response {
    reply(
        status,
        "text/html; charset=utf-8",
        format!("<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize</title></head><body>{body}</body></html>"),
    )
}

fn redirect(to: &str) -> Response {
    let mut r = reply(302, "text/html; charset=utf-8", String::new());
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `/oauth/*`.
pub(crate) async fn handle(shared: &Shared, path: &str, req: Request) -> Response {
    let method = req.method().clone();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let headers = req.headers().clone();
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return json_error(400, "invalid_request", "The request body is too large."),
    };
    match (method, path.trim_end_matches('/')) {
        (Method::GET, "/oauth/authorize") => authorize(shared, &pairs(query.as_bytes())),
        (Method::POST, "/oauth/authorize") => approve(shared, &pairs(&body)),
        (Method::POST, "/oauth/token") => {
            let json = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("json"));
            let mut fields = if json {
                match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body) {
                    Ok(map) => map
                        .into_iter()
                        .filter_map(|(k, v)| match v {
                            serde_json::Value::String(s) => Some((k, s)),
                            serde_json::Value::Null => None,
                            other => Some((k, other.to_string())),
                        })
                        .collect(),
                    Err(_) => {
                        return json_error(400, "invalid_request", "The request body is not JSON.")
                    }
                }
            } else {
                pairs(&body)
            };
            if let Some((id, secret)) = basic(&headers) {
                fields.entry("client_id".into()).or_insert(id);
                fields.entry("client_secret".into()).or_insert(secret);
            }
            token(shared, &fields)
        }
        _ => json_error(404, "not_found", "No such OAuth route."),
    }
}

fn pairs(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

/// Client credentials of an `Authorization: Basic` header.
fn basic(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Checks an authorize request; `Some` is the error page to show.
fn check_authorize(shared: &Shared, p: &HashMap<String, String>) -> Option<Response> {
    let cfg = &shared.config.oauth;
    if p.get("response_type").map(String::as_str) != Some("code") {
        return Some(html(400, "<p>response_type must be <code>code</code>.</p>"));
    }
    if p.get("client_id") != Some(&cfg.client_id) {
        return Some(html(
            400,
            "<p>Unknown client: no app is registered with this client id.</p>",
        ));
    }
    match p.get("redirect_uri").map(|u| url::Url::parse(u)) {
        Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => None,
        _ => Some(html(
            400,
            "<p>The redirect_uri is missing or not a URL.</p>",
        )),
    }
}

/// `GET /oauth/authorize`: the approval page, or with auto-approve the redirect with a code.
fn authorize(shared: &Shared, p: &HashMap<String, String>) -> Response {
    if let Some(page) = check_authorize(shared, p) {
        return page;
    }
    if shared.config.oauth.auto_approve {
        return issue_code(shared, p);
    }
    let hidden: String = [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
    ]
    .iter()
    .filter_map(|k| p.get(*k).map(|v| (k, v)))
    .map(|(k, v)| {
        format!(
            "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
            escape(v)
        )
    })
    .collect();
    html(
        200,
        &format!(
            "<h1>Authorize nb-exodus?</h1><p>The app wants to read nation <b>{}</b> through the API.</p>\
             <form method=\"post\" action=\"/oauth/authorize\">{hidden}\
             <button name=\"decision\" value=\"approve\">Authorize</button> \
             <button name=\"decision\" value=\"deny\">Deny</button></form>",
            escape(&shared.config.nation_slug)
        ),
    )
}

/// `POST /oauth/authorize`: the admin's decision.
fn approve(shared: &Shared, p: &HashMap<String, String>) -> Response {
    if let Some(page) = check_authorize(shared, p) {
        return page;
    }
    if p.get("decision").map(String::as_str) == Some("approve") {
        return issue_code(shared, p);
    }
    let mut to = match p.get("redirect_uri").map(|u| url::Url::parse(u)) {
        Some(Ok(u)) => u,
        _ => return html(400, "<p>The redirect_uri is missing.</p>"),
    };
    to.query_pairs_mut().append_pair("error", "access_denied");
    if let Some(state) = p.get("state") {
        to.query_pairs_mut().append_pair("state", state);
    }
    redirect(to.as_str())
}

fn issue_code(shared: &Shared, p: &HashMap<String, String>) -> Response {
    let Some(Ok(mut to)) = p.get("redirect_uri").map(|u| url::Url::parse(u)) else {
        return html(400, "<p>The redirect_uri is missing.</p>");
    };
    let code = random_hex();
    let challenge = p.get("code_challenge").filter(|c| !c.is_empty()).map(|c| {
        (
            c.clone(),
            p.get("code_challenge_method")
                .cloned()
                .unwrap_or_else(|| "plain".into()),
        )
    });
    {
        let mut state = lock(&shared.oauth);
        state.codes.retain(|_, c| c.issued.elapsed() < CODE_LIFE);
        state.codes.insert(
            code.clone(),
            Code {
                redirect_uri: p.get("redirect_uri").cloned().unwrap_or_default(),
                challenge,
                issued: Instant::now(),
            },
        );
    }
    to.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = p.get("state") {
        to.query_pairs_mut().append_pair("state", state);
    }
    redirect(to.as_str())
}

/// `POST /oauth/token`.
fn token(shared: &Shared, p: &HashMap<String, String>) -> Response {
    let cfg = &shared.config.oauth;
    if p.get("client_id") != Some(&cfg.client_id)
        || p.get("client_secret") != Some(&cfg.client_secret)
    {
        return json_error(401, "invalid_client", INVALID_CLIENT);
    }
    let mut state = lock(&shared.oauth);
    match p.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let Some(code) = p.get("code").and_then(|c| state.codes.remove(c)) else {
                return json_error(400, "invalid_grant", INVALID_GRANT);
            };
            let pkce_ok = match &code.challenge {
                None => true,
                Some((challenge, method)) => p.get("code_verifier").is_some_and(|v| {
                    let computed = if method.eq_ignore_ascii_case("S256") {
                        base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .encode(sha2::Sha256::digest(v.as_bytes()))
                    } else {
                        v.clone()
                    };
                    &computed == challenge
                }),
            };
            if code.issued.elapsed() >= CODE_LIFE
                || p.get("redirect_uri") != Some(&code.redirect_uri)
                || !pkce_ok
            {
                return json_error(400, "invalid_grant", INVALID_GRANT);
            }
            shared.code_grants.fetch_add(1, Ordering::Relaxed);
        }
        Some("refresh_token") => {
            let Some(given) = p.get("refresh_token") else {
                return json_error(400, "invalid_request", "The refresh_token is missing.");
            };
            if state.refresh.remove(given).is_some() {
                // Rotated: the old refresh token is refused from now on.
            } else if *given == shared.config.token && !state.legacy_exchanged {
                state.legacy_exchanged = true;
            } else {
                return json_error(400, "invalid_grant", INVALID_GRANT);
            }
            shared.refresh_grants.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            return json_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        }
    }
    let access = random_hex();
    let refresh = random_hex();
    let now = Instant::now();
    state.access.retain(|_, exp| *exp > now);
    state.access.insert(access.clone(), now + cfg.token_ttl);
    state.refresh.insert(refresh.clone(), ());
    drop(state);
    let created_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    reply(
        200,
        "application/json; charset=utf-8",
        serde_json::json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": cfg.token_ttl.as_secs().max(1),
            "refresh_token": refresh,
            "scope": "",
            "created_at": created_at,
        })
        .to_string(),
    )
}
