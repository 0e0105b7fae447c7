//! HTTP plumbing: one axum fallback handler dispatches on the raw path so the simulator keeps
//! full control of the order in which things happen to an API request — count it, check the
//! token (401), count it against the token's window (429), decide its seeded fault and delay,
//! advance churn, then generate the body under a read lock — and of the exact headers and
//! bytes it answers with. The `/__simulator/*` routes bypass auth, rate limits and faults, and
//! so do the `/oauth/*` routes ([`super::oauth`]), which are not API requests.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;

use super::faults::{self, Fault};
use super::paging::{Params, View};
use super::rate_limit::Decision;
use super::v2::Resp;
use super::{data, oauth, resources, v1, v1_exit, v2, Shared};

/// The simulator's router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

const UNAUTHORIZED: &str = "You are not authorized to access this content. Your access token may be missing. The resource owner also may not have a permission level sufficient to grant access.";
const TOO_MANY: &str = "You have made too many requests. Please try again later.";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

fn respond(status: u16, content_type: &str, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    if let Some(rest) = path.strip_prefix("/__simulator/") {
        return admin(&shared, req.method(), rest);
    }
    if path.starts_with("/oauth/") {
        return oauth::handle(&shared, &path, req).await;
    }
    let (api, rest) = if let Some(rest) = path.strip_prefix("/api/v1/") {
        (Api::V1, rest)
    } else if let Some(rest) = path.strip_prefix("/api/v2/") {
        (Api::V2, rest)
    } else {
        return respond(
            404,
            "application/json; charset=utf-8",
            r#"{"code":"not_found","message":"Record not found"}"#.to_string(),
        );
    };
    let rest = rest.trim_end_matches('/').trim_end_matches(".json");
    shared.requests.fetch_add(1, Ordering::Relaxed);
    shared.tally_route(
        if api == Api::V1 { "v1" } else { "v2" },
        rest,
        query.as_deref(),
    );
    let params = Params::parse(query.as_deref());
    let content_type = match api {
        Api::V1 => "application/json; charset=utf-8",
        Api::V2 if shared.config.variants.v2_plain_json => "application/json; charset=utf-8",
        Api::V2 => "application/vnd.api+json",
    };

    let token = bearer(req.headers()).or_else(|| {
        if api == Api::V1 {
            params.get("access_token").map(str::to_string)
        } else {
            None
        }
    });
    let accepted = token.as_deref().is_some_and(|t| {
        t == shared.config.token.as_str() || oauth::access_state(&shared, t) == Some(true)
    });
    if !accepted {
        shared.unauthorized.fetch_add(1, Ordering::Relaxed);
        let mut body = String::new();
        let resp = Resp::error(401, "unauthorized", UNAUTHORIZED);
        body.push_str(&resp.body);
        let mut r = respond(401, content_type, body);
        if let Some(d) = shared.limiter.peek() {
            rate_headers(r.headers_mut(), api, &d, shared.nation.epoch);
        }
        return r;
    }
    let token = token.unwrap_or_default();
    let decision = shared.limiter.check(&token);
    if let Some(d) = decision.filter(|d| !d.allowed) {
        shared.rate_limited.fetch_add(1, Ordering::Relaxed);
        let body = match api {
            Api::V2 => format!("{{\"message\":\"{TOO_MANY}\"}}"),
            Api::V1 => format!("{{\"code\":\"rate_limited\",\"message\":\"{TOO_MANY}\"}}"),
        };
        let mut r = respond(429, content_type, body);
        rate_headers(r.headers_mut(), api, &d, shared.nation.epoch);
        if let Ok(v) = HeaderValue::from_str(&d.retry_after.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }

    if api == Api::V1 && shared.config.variants.v1_strict_accept {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !(accept.contains("json") || accept.contains("*/*")) {
            let resp = Resp::error(
                406,
                "not_acceptable",
                "The API only serves application/json; send Accept: application/json.",
            );
            return finish(
                &shared,
                api,
                decision,
                respond(resp.status, content_type, resp.body),
            );
        }
    }

    let seq = shared.sequence.fetch_add(1, Ordering::Relaxed);
    let (fault, delay) = faults::decide(shared.config.seed, seq, &shared.config.faults);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if shared.config.churn_rate > 0 {
        resources::run_churn(
            &mut shared.write(),
            &shared.nation,
            u64::from(shared.config.churn_rate),
            shared.config.churn_limit,
        );
    }
    if let Fault::Fail { status, html } = fault {
        shared.faults.fetch_add(1, Ordering::Relaxed);
        let (ct, body) = faults::failure_body(status, html);
        return finish(
            &shared,
            api,
            decision,
            respond(status, ct, body.to_string()),
        );
    }
    if req.method() != Method::GET {
        let resp = Resp::error(
            405,
            "method_not_allowed",
            "The simulator serves read-only GET requests.",
        );
        return finish(
            &shared,
            api,
            decision,
            respond(resp.status, content_type, resp.body),
        );
    }
    v2::take_included();
    let mut resp = {
        let state = shared.read();
        let view = View {
            nation: &shared.nation,
            state: &state,
        };
        match api {
            // The full exit's routes first (sites, lists, contacts, events, surveys…), then the
            // rest of v1.
            Api::V1 => {
                let segments: Vec<&str> = rest.split('/').collect();
                v1_exit::handle(&shared, view, &segments, &params)
                    .unwrap_or_else(|| v1::handle(&shared, view, rest, &params))
            }
            Api::V2 => v2::handle(&shared, view, rest, &params),
        }
    };
    // Sideloads cost time, and past the limit the gateway gives up on the request.
    let included = v2::take_included();
    if included > 0 {
        if shared
            .config
            .variants
            .include_limit
            .is_some_and(|limit| included > limit)
        {
            tokio::time::sleep(super::INCLUDE_TIMEOUT).await;
            return finish(
                &shared,
                api,
                decision,
                respond(
                    504,
                    "text/html",
                    "<html><body><h1>504 Gateway Time-out</h1>The server didn't respond in time.</body></html>".to_string(),
                ),
            );
        }
        tokio::time::sleep(super::INCLUDE_ROW_COST * u32::try_from(included).unwrap_or(u32::MAX))
            .await;
    }
    if let (Fault::Truncate { keep_permille }, 200) = (fault, resp.status) {
        shared.faults.fetch_add(1, Ordering::Relaxed);
        faults::truncate(&mut resp.body, keep_permille);
    }
    finish(
        &shared,
        api,
        decision,
        respond(resp.status, content_type, resp.body),
    )
}

fn finish(shared: &Shared, api: Api, decision: Option<Decision>, mut r: Response) -> Response {
    if let Some(d) = decision {
        rate_headers(r.headers_mut(), api, &d, shared.nation.epoch);
    }
    r
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn set(headers: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(name, v);
    }
}

fn rate_headers(h: &mut HeaderMap, api: Api, d: &Decision, _epoch: i64) {
    match api {
        Api::V2 => {
            set(h, "ratelimit-limit", d.limit.to_string());
            set(h, "ratelimit-remaining", d.remaining.to_string());
            set(h, "ratelimit-reset", d.reset_epoch.to_string());
        }
        Api::V1 => {
            set(h, "x-ratelimit-limit", format!("{}s", d.window_secs));
            set(h, "x-ratelimit-remaining", d.remaining.to_string());
            set(h, "x-ratelimit-reset", d.reset_epoch.to_string());
            // The nation's daily quota as the 2018 recordings show it: effectively unlimited,
            // resetting at the next UTC midnight.
            let midnight = (d.reset_epoch / 86_400 + 1) * 86_400;
            set(h, "nation-ratelimit-limit", "999999".to_string());
            set(h, "nation-ratelimit-remaining", "999999".to_string());
            set(h, "nation-ratelimit-reset", midnight.to_string());
        }
    }
}

/// `/__simulator/*`: ground truth and mutations for tests. No auth, no faults, not counted.
fn admin(shared: &Shared, method: &Method, rest: &str) -> Response {
    let json = "application/json";
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["manifest"]) => match serde_json::to_string(&shared.manifest()) {
            Ok(body) => respond(200, json, body),
            Err(e) => respond(
                500,
                json,
                format!("{{\"code\":\"server_error\",\"message\":\"{e}\"}}"),
            ),
        },
        ("POST", ["people"]) => {
            let id = shared.create_person();
            respond(201, json, format!("{{\"id\":{id}}}"))
        }
        ("DELETE", ["people", id]) => match id
            .parse::<u64>()
            .ok()
            .filter(|id| shared.delete_person(*id))
        {
            Some(_) => respond(204, json, String::new()),
            None => respond(
                404,
                json,
                r#"{"code":"not_found","message":"Record not found"}"#.to_string(),
            ),
        },
        ("POST", ["people", id, "touch"]) => match id
            .parse::<u64>()
            .ok()
            .and_then(|id| shared.touch_person(id).map(|t| (id, t)))
        {
            Some((id, t)) => {
                let mut body = format!("{{\"id\":{id},\"updated_at\":");
                data::time_json(&mut body, t, data::Zone::Utc);
                body.push('}');
                respond(200, json, body)
            }
            None => respond(
                404,
                json,
                r#"{"code":"not_found","message":"Record not found"}"#.to_string(),
            ),
        },
        _ => respond(
            404,
            json,
            r#"{"code":"not_found","message":"No such simulator route"}"#.to_string(),
        ),
    }
}
