//! A scripted, hostile stand-in for the NationBuilder API (v2 and v1), for the hostile-API
//! campaign in `tests/it/hostile.rs`.
//!
//! Why not the simulator: the simulator models a well-behaved API and builds its JSON with a
//! serializer, so it cannot send a lone surrogate, an invalid UTF-8 byte, a BOM, a 200 MB body,
//! a cycling next link or a redirect to another host. This server serves a small fixed nation
//! (60 people, 4 tags, 60 taggings, 20 donations) as **raw bytes** written here, with the shapes
//! of `/work/shared/reference/nationbuilder-api.md`, and a [`Scenario`] (a builder value)
//! alters exactly what is served: one record's bytes, paging, sweeps, totals, headers, bodies,
//! redirects. It records every request (path, query, whether it carried the token) so tests
//! can bound and inspect what the exporter asked, and a second listener ("elsewhere", another
//! origin) records whether anything was sent there and with which headers.
//!
//! It runs on its own thread and runtime, so a test may block on a child process meanwhile.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

/// The token the server accepts.
pub const TOKEN: &str = "hostile-test-token";
/// People in the nation (ids 1..=60).
pub const PEOPLE: u64 = 60;
/// Tags (ids 1..=4, names `tag-1`..`tag-4`).
pub const TAGS: u64 = 4;
/// Donations (ids 1..=20; donation d by person 3d).
pub const DONATIONS: u64 = 20;

/// A collection of the nation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Coll {
    /// v2 `signups`, v1 `people`.
    People,
    /// v2 `signup_tags`, v1 `tags`.
    Tags,
    /// v2 `signup_taggings` (v1 taggings come from the people's `tags`).
    Taggings,
    /// `donations`.
    Donations,
}

impl Coll {
    fn v2(self) -> &'static str {
        match self {
            Coll::People => "signups",
            Coll::Tags => "signup_tags",
            Coll::Taggings => "signup_taggings",
            Coll::Donations => "donations",
        }
    }
}

/// The API version a record's bytes are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    /// v1 (`/api/v1`).
    V1,
    /// v2 (`/api/v2`).
    V2,
}

/// One record as served: its position key (the id it stands in for), the id the show route
/// knows it by, its `updated_at`, and its exact bytes.
#[derive(Debug, Clone)]
struct Entry {
    key: u64,
    id: Option<String>,
    updated_at: String,
    bytes: Vec<u8>,
}

/// How v1 next links misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkFault {
    /// The second page's `next` is the link of the second page itself (A → A).
    Repeat,
    /// The third page's `next` leads back to the second page (A → B → A).
    Cycle,
    /// The first page's `next` is an absolute link to the other origin.
    Elsewhere,
}

/// Where a redirect points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect {
    /// The same path and query on the other origin.
    Elsewhere,
    /// The same path and query under `/moved` on this origin (served normally).
    SameOrigin,
    /// The same URL again, for ever.
    Loop,
}

/// What a matching request gets instead of (or on top of) the normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, these headers and this body.
    Respond(u16, Vec<(String, String)>, Vec<u8>),
    /// A 200 with an HTML page (a proxy's error page).
    Html,
    /// The normal body cut in half.
    Truncate,
    /// The normal answer plus these headers.
    Headers(Vec<(String, String)>),
    /// A 302 to this target.
    Redirect(Redirect),
    /// A 200 streamed body of this many bytes (a JSON document with one huge string),
    /// chunked unless `with_length`.
    Huge {
        /// Bytes sent.
        bytes: u64,
        /// Whether `Content-Length` is sent.
        with_length: bool,
    },
    /// The normal answer after this many milliseconds.
    Delay(u64),
}

#[derive(Debug)]
struct Rule {
    prefix: String,
    times: u32,
    used: AtomicU32,
    fault: Fault,
}

/// Record `at` of a collection of an API served as these bytes, shown under this id.
#[derive(Debug)]
struct Replacement {
    api: Api,
    coll: Coll,
    at: u64,
    id: Option<String>,
    bytes: Vec<u8>,
}

/// What the server serves: the fixed nation, altered by the builder methods.
#[derive(Debug, Default)]
pub struct Scenario {
    replaced: Vec<Replacement>,
    rules: Vec<Rule>,
    links: Option<(LinkFault, u32)>,
    ignore_paging: bool,
    sweep_ends_after: Option<usize>,
    stats_total: Option<u64>,
    people_count: Option<u64>,
    refuse_sort: bool,
    refuse_updated_filter: bool,
    gone: Vec<u64>,
    hidden: Vec<u64>,
    bom: bool,
}

impl Scenario {
    /// The nation as it is, nothing hostile.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `bytes` in place of record `at` of `coll` (its position and `updated_at` kept;
    /// the show route finds it under id `at`).
    pub fn replace(self, api: Api, coll: Coll, at: u64, bytes: impl Into<Vec<u8>>) -> Self {
        self.replace_with_id(api, coll, at, Some(at.to_string()), bytes)
    }

    /// Like [`Scenario::replace`], with the id the show route finds it under (`None`: none).
    pub fn replace_with_id(
        mut self,
        api: Api,
        coll: Coll,
        at: u64,
        id: Option<String>,
        bytes: impl Into<Vec<u8>>,
    ) -> Self {
        self.replaced.push(Replacement {
            api,
            coll,
            at,
            id,
            bytes: bytes.into(),
        });
        self
    }

    /// The first `times` requests whose path starts with `prefix` get `fault` (`u32::MAX`:
    /// every one).
    pub fn fault(mut self, prefix: &str, times: u32, fault: Fault) -> Self {
        self.rules.push(Rule {
            prefix: prefix.to_owned(),
            times,
            used: AtomicU32::new(0),
            fault,
        });
        self
    }

    /// v1 `/people` next links misbehave in the passes from `from_pass` on (a pass starts with
    /// a `/people` request without `__token`; in a full v1 run passes 1 and 2 are the people
    /// and taggings streams, 3 and 4 their end-of-run id sweeps).
    pub fn v1_links(mut self, fault: LinkFault, from_pass: u32) -> Self {
        self.links = Some((fault, from_pass));
        self
    }

    /// v2 collections ignore `page[number]` and `filter[id][gt]`: always the first page.
    pub fn ignore_paging(mut self) -> Self {
        self.ignore_paging = true;
        self
    }

    /// v2 id sweeps (requests with `fields[...]`) end with an empty page after `n` people.
    pub fn sweep_ends_after(mut self, n: usize) -> Self {
        self.sweep_ends_after = Some(n);
        self
    }

    /// v2 `stats[total]=count` reports `n` people.
    pub fn stats_total(mut self, n: u64) -> Self {
        self.stats_total = Some(n);
        self
    }

    /// v1 `/people/count` reports `n`.
    pub fn people_count(mut self, n: u64) -> Self {
        self.people_count = Some(n);
        self
    }

    /// v2 answers any request with `sort=id` with 400 `bad_request`.
    pub fn refuse_sort(mut self) -> Self {
        self.refuse_sort = true;
        self
    }

    /// v2 answers any request with `filter[updated_at][gte]` with 400 `bad_request`.
    pub fn refuse_updated_filter(mut self) -> Self {
        self.refuse_updated_filter = true;
        self
    }

    /// These people are deleted once the main pass is over: absent from v2 id sweeps and
    /// catch-up pages (and their totals), 404 on the show route.
    pub fn gone_after_main(mut self, ids: impl IntoIterator<Item = u64>) -> Self {
        self.gone.extend(ids);
        self
    }

    /// These people are left out of v2 id sweeps (and their totals) although the show route
    /// and every other page still serve them.
    pub fn hidden_in_sweep(mut self, ids: impl IntoIterator<Item = u64>) -> Self {
        self.hidden.extend(ids);
        self
    }

    /// Every people page and show response starts with a UTF-8 BOM.
    pub fn bom(mut self) -> Self {
        self.bom = true;
        self
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path.
    pub path: String,
    /// The raw query (empty when none).
    pub query: String,
    /// Whether it carried the right token (header or `access_token`).
    pub authorized: bool,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The decoded query parameter `name`.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Whether any header carried the token (in any form).
    pub fn carries_token(&self) -> bool {
        self.authorized
            || self.query.contains(TOKEN)
            || self.headers.iter().any(|(_, v)| v.contains(TOKEN))
    }
}

struct Shared {
    scenario: Scenario,
    data: BTreeMap<(Api, Coll), Vec<Entry>>,
    base: String,
    elsewhere: String,
    log: Mutex<Vec<Seen>>,
    elsewhere_log: Mutex<Vec<Seen>>,
    passes: AtomicU32,
}

/// The running server. Dropping it stops both listeners.
pub struct HostileApi {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HostileApi {
    /// Starts the server for `scenario` on two random loopback ports.
    pub fn start(scenario: Scenario) -> HostileApi {
        let main = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let other = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let (main_addr, other_addr): (SocketAddr, SocketAddr) =
            (main.local_addr().unwrap(), other.local_addr().unwrap());
        main.set_nonblocking(true).unwrap();
        other.set_nonblocking(true).unwrap();
        let mut data = nation();
        for r in &scenario.replaced {
            let entries = data.get_mut(&(r.api, r.coll)).expect("a collection");
            let entry = entries
                .iter_mut()
                .find(|e| e.key == r.at)
                .expect("a record to replace");
            entry.id = r.id.clone();
            entry.bytes = r.bytes.clone();
        }
        let shared = Arc::new(Shared {
            scenario,
            data,
            base: format!("http://{main_addr}"),
            elsewhere: format!("http://{other_addr}"),
            log: Mutex::new(Vec::new()),
            elsewhere_log: Mutex::new(Vec::new()),
            passes: AtomicU32::new(0),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let main = tokio::net::TcpListener::from_std(main).unwrap();
                let other = tokio::net::TcpListener::from_std(other).unwrap();
                let api = axum::Router::new()
                    .fallback(serve)
                    .with_state(state.clone());
                let elsewhere = axum::Router::new()
                    .fallback(serve_elsewhere)
                    .with_state(state);
                tokio::select! {
                    _ = axum::serve(main, api) => {}
                    _ = axum::serve(other, elsewhere) => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_background();
        });
        HostileApi {
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base
    }

    /// The other origin's base URL.
    pub fn elsewhere_url(&self) -> &str {
        &self.shared.elsewhere
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Every request the other origin received.
    pub fn elsewhere_requests(&self) -> Vec<Seen> {
        self.shared.elsewhere_log.lock().unwrap().clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .count()
    }

    /// The exact bytes of record `key` of `coll` as served through `api`.
    pub fn bytes(&self, api: Api, coll: Coll, key: u64) -> Vec<u8> {
        self.shared.data[&(api, coll)]
            .iter()
            .find(|e| e.key == key)
            .expect("a record")
            .bytes
            .clone()
    }
}

impl Drop for HostileApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ------------------------------------------------------------------------------------------
// The nation, as bytes.

fn updated_at(key: u64) -> String {
    format!("2024-03-01T{:02}:{:02}:00Z", key / 60, key % 60)
}

/// The tag of person `p` (1..=4).
pub fn tag_of(person: u64) -> u64 {
    person % TAGS + 1
}

/// The v2 bytes of person `id` with `attributes` members replaced or added: each pair is a
/// member name and its raw JSON text.
pub fn person_v2(id: u64, overrides: &[(&str, &str)]) -> Vec<u8> {
    let mut members: Vec<(String, String)> = vec![
        ("first_name".into(), format!("\"Given{id}\"")),
        ("last_name".into(), format!("\"Family{id}\"")),
        ("email".into(), format!("\"person{id}@example.org\"")),
        ("support_level".into(), format!("{}", id % 5 + 1)),
        ("custom_values".into(), "{\"shirt_size\":\"M\"}".into()),
        ("created_at".into(), "\"2024-01-01T00:00:00Z\"".into()),
        ("updated_at".into(), format!("\"{}\"", updated_at(id))),
    ];
    override_members(&mut members, overrides);
    let attributes = join_members(&members);
    format!("{{\"id\":\"{id}\",\"type\":\"signups\",\"attributes\":{attributes}}}").into_bytes()
}

/// The v1 bytes of person `id` with top-level members replaced or added (raw JSON text).
pub fn person_v1(id: u64, overrides: &[(&str, &str)]) -> Vec<u8> {
    let mut members: Vec<(String, String)> = vec![
        ("id".into(), id.to_string()),
        ("first_name".into(), format!("\"Given{id}\"")),
        ("last_name".into(), format!("\"Family{id}\"")),
        ("email".into(), format!("\"person{id}@example.org\"")),
        ("support_level".into(), format!("{}", id % 5 + 1)),
        ("tags".into(), format!("[\"tag-{}\"]", tag_of(id))),
        ("shirt_size".into(), "\"M\"".into()),
        ("created_at".into(), "\"2024-01-01T00:00:00Z\"".into()),
        ("updated_at".into(), format!("\"{}\"", updated_at(id))),
    ];
    override_members(&mut members, overrides);
    join_members(&members).into_bytes()
}

fn override_members(members: &mut Vec<(String, String)>, overrides: &[(&str, &str)]) {
    for (name, raw) in overrides {
        match members.iter_mut().find(|(n, _)| n == name) {
            Some(member) => member.1 = (*raw).to_owned(),
            None => members.push(((*name).to_owned(), (*raw).to_owned())),
        }
    }
}

fn join_members(members: &[(String, String)]) -> String {
    let inner: Vec<String> = members
        .iter()
        .map(|(n, v)| format!("\"{n}\":{v}"))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// The v2 bytes of tag `id` named `name` (raw JSON text of the name).
pub fn tag_v2(id: u64, raw_name: &str) -> Vec<u8> {
    format!(
        "{{\"id\":\"{id}\",\"type\":\"signup_tags\",\"attributes\":{{\"name\":{raw_name},\"taggings_count\":15}}}}"
    )
    .into_bytes()
}

/// The v2 bytes of donation `id` with `attributes` members replaced or added (raw JSON).
pub fn donation_v2(id: u64, overrides: &[(&str, &str)]) -> Vec<u8> {
    let mut members: Vec<(String, String)> = vec![
        ("amount".into(), "\"12.34\"".into()),
        ("amount_in_cents".into(), "1234".into()),
        ("signup_id".into(), format!("\"{}\"", 3 * id)),
        ("payment_type_name".into(), "\"Cash\"".into()),
        ("succeeded_at".into(), "\"2024-01-02T00:00:00Z\"".into()),
        ("custom_values".into(), "{}".into()),
        ("created_at".into(), "\"2024-01-02T00:00:00Z\"".into()),
        ("updated_at".into(), format!("\"{}\"", updated_at(id))),
    ];
    override_members(&mut members, overrides);
    let attributes = join_members(&members);
    format!("{{\"id\":\"{id}\",\"type\":\"donations\",\"attributes\":{attributes}}}").into_bytes()
}

/// The v1 bytes of donation `id` with top-level members replaced or added (raw JSON).
pub fn donation_v1(id: u64, overrides: &[(&str, &str)]) -> Vec<u8> {
    let mut members: Vec<(String, String)> = vec![
        ("id".into(), id.to_string()),
        ("amount".into(), "\"$12.34\"".into()),
        ("amount_in_cents".into(), "1234".into()),
        ("donor_id".into(), (3 * id).to_string()),
        ("payment_type_name".into(), "\"Cash\"".into()),
        ("succeeded_at".into(), "\"2024-01-02T00:00:00Z\"".into()),
        ("created_at".into(), "\"2024-01-02T00:00:00Z\"".into()),
        ("updated_at".into(), format!("\"{}\"", updated_at(id))),
    ];
    override_members(&mut members, overrides);
    join_members(&members).into_bytes()
}

fn entry(key: u64, bytes: Vec<u8>) -> Entry {
    Entry {
        key,
        id: Some(key.to_string()),
        updated_at: updated_at(key),
        bytes,
    }
}

fn nation() -> BTreeMap<(Api, Coll), Vec<Entry>> {
    let mut data = BTreeMap::new();
    let people = 1..=PEOPLE;
    data.insert(
        (Api::V2, Coll::People),
        people
            .clone()
            .map(|i| entry(i, person_v2(i, &[])))
            .collect(),
    );
    data.insert(
        (Api::V1, Coll::People),
        people
            .clone()
            .map(|i| entry(i, person_v1(i, &[])))
            .collect(),
    );
    data.insert(
        (Api::V2, Coll::Tags),
        (1..=TAGS)
            .map(|t| entry(t, tag_v2(t, &format!("\"tag-{t}\""))))
            .collect(),
    );
    data.insert(
        (Api::V1, Coll::Tags),
        (1..=TAGS)
            .map(|t| {
                let mut e = entry(
                    t,
                    format!("{{\"name\":\"tag-{t}\",\"taggings_count\":15}}").into_bytes(),
                );
                e.id = Some(format!("tag-{t}"));
                e
            })
            .collect(),
    );
    data.insert(
        (Api::V2, Coll::Taggings),
        people
            .map(|i| {
                entry(i, format!(
                    "{{\"id\":\"{i}\",\"type\":\"signup_taggings\",\"attributes\":{{\"signup_id\":\"{i}\",\"tag_id\":\"{}\",\"created_at\":\"2024-01-01T00:00:00Z\"}}}}",
                    tag_of(i)
                ).into_bytes())
            })
            .collect(),
    );
    data.insert(
        (Api::V2, Coll::Donations),
        (1..=DONATIONS)
            .map(|d| entry(d, donation_v2(d, &[])))
            .collect(),
    );
    data.insert(
        (Api::V1, Coll::Donations),
        (1..=DONATIONS)
            .map(|d| entry(d, donation_v1(d, &[])))
            .collect(),
    );
    data
}

// ------------------------------------------------------------------------------------------
// Serving.

fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn error(status: u16, code: &str, message: &str) -> Response {
    json(
        status,
        format!("{{\"code\":\"{code}\",\"message\":\"{message}\"}}"),
    )
}

fn seen(req: &Request) -> Seen {
    let query = req.uri().query().unwrap_or("").to_owned();
    // Every Authorization header counts (a client may also send basic auth from a URL's
    // userinfo).
    let bearer = req
        .headers()
        .get_all("authorization")
        .iter()
        .any(|v| v.as_bytes() == format!("Bearer {TOKEN}").as_bytes());
    let in_query = url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "access_token" && v == TOKEN);
    Seen {
        path: req.uri().path().to_owned(),
        query,
        authorized: bearer || in_query,
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

async fn serve_elsewhere(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    shared.elsewhere_log.lock().unwrap().push(seen(&req));
    // What a NationBuilder host answers a request without its token.
    error(
        401,
        "unauthorized",
        "You are not authorized to access this content.",
    )
}

async fn serve(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let seen = seen(&req);
    shared.log.lock().unwrap().push(seen.clone());
    if !seen.authorized {
        return error(
            401,
            "unauthorized",
            "You are not authorized to access this content. Your access token may be missing.",
        );
    }
    let path = seen
        .path
        .strip_prefix("/moved")
        .unwrap_or(&seen.path)
        .to_owned();
    let rule = shared.scenario.rules.iter().find(|r| {
        path.starts_with(&r.prefix)
            && !seen.path.starts_with("/moved")
            && r.used
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n < r.times).then_some(n + 1)
                })
                .is_ok()
    });
    let mut extra = Vec::new();
    match rule.map(|r| &r.fault) {
        Some(Fault::Respond(status, headers, body)) => {
            let mut response = json(*status, body.clone());
            add_headers(&mut response, headers);
            return response;
        }
        Some(Fault::Html) => {
            let mut response = json(200, "<html><body><h1>502 Bad Gateway</h1></body></html>");
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            return response;
        }
        Some(Fault::Redirect(to)) => {
            let target = match to {
                Redirect::Elsewhere => format!("{}{}", shared.elsewhere, path_and_query(&seen)),
                Redirect::SameOrigin => format!("/moved{}", path_and_query(&seen)),
                Redirect::Loop => path_and_query(&seen),
            };
            let mut response = json(302, "");
            response
                .headers_mut()
                .insert("location", HeaderValue::from_str(&target).unwrap());
            return response;
        }
        Some(Fault::Huge { bytes, with_length }) => return huge(*bytes, *with_length),
        Some(Fault::Delay(ms)) => {
            tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
        }
        Some(Fault::Headers(headers)) => extra = headers.clone(),
        Some(Fault::Truncate) | None => {}
    }
    let mut response = answer(&shared, &path, &seen);
    if matches!(rule.map(|r| &r.fault), Some(Fault::Truncate)) {
        let body = std::mem::take(response.body_mut());
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        *response.body_mut() = Body::from(bytes[..bytes.len() / 2].to_vec());
    }
    add_headers(&mut response, &extra);
    response
}

fn add_headers(response: &mut Response, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
}

fn path_and_query(seen: &Seen) -> String {
    if seen.query.is_empty() {
        seen.path.clone()
    } else {
        format!("{}?{}", seen.path, seen.query)
    }
}

/// A 200 JSON document of `bytes` bytes: one record whose `note` is a huge string, generated
/// chunk by chunk.
fn huge(bytes: u64, with_length: bool) -> Response {
    const HEAD: &[u8] =
        b"{\"data\":[{\"id\":\"1\",\"type\":\"signups\",\"attributes\":{\"note\":\"";
    const TAIL: &[u8] = b"\"}}]}";
    const CHUNK: u64 = 64 * 1024;
    let filler = bytes.saturating_sub((HEAD.len() + TAIL.len()) as u64);
    let chunks = filler.div_ceil(CHUNK);
    let body = futures_util::stream::iter(
        std::iter::once(HEAD.to_vec())
            .chain((0..chunks).map(move |i| {
                let n = CHUNK.min(filler - i * CHUNK);
                vec![b'x'; n as usize]
            }))
            .chain(std::iter::once(TAIL.to_vec()))
            .map(Ok::<_, std::io::Error>),
    );
    let mut response = Response::new(Body::from_stream(body));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    if with_length {
        response
            .headers_mut()
            .insert("content-length", HeaderValue::from(bytes));
    }
    response
}

fn answer(shared: &Shared, path: &str, seen: &Seen) -> Response {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "v2", coll] => match v2_coll(coll) {
            Some(c) => v2_page(shared, c, seen),
            // The scripted nation holds nothing of the other collections: an empty listing.
            None => json(
                200,
                "{\"data\":[],\"links\":{},\"meta\":{\"stats\":{\"total\":{\"count\":0}}}}",
            ),
        },
        ["api", "v2", coll, id] => match v2_coll(coll) {
            Some(c) => v2_show(shared, c, id),
            None => error(404, "not_found", "Record not found"),
        },
        ["api", "v1", "people", "count"] => {
            let n = shared.scenario.people_count.unwrap_or(PEOPLE);
            json(200, format!("{{\"people_count\":{n}}}"))
        }
        ["api", "v1", "people", "search"] => v1_page(shared, Coll::People, seen, true),
        ["api", "v1", "people"] => v1_page(shared, Coll::People, seen, false),
        ["api", "v1", "tags"] => v1_page(shared, Coll::Tags, seen, false),
        ["api", "v1", "donations"] => v1_page(shared, Coll::Donations, seen, false),
        ["api", "v1", "people", id] => v1_show(shared, id),
        ["api", "v1", "people", id, "taggings"] => v1_taggings(shared, id),
        // Other per-person routes (memberships, contacts): nobody holds any.
        ["api", "v1", "people", _, _] => json(200, "{\"results\":[],\"next\":null,\"prev\":null}"),
        // The scripted nation holds nothing of the other v1 listings (sites, lists, paths,
        // precincts, survey responses): an empty listing.
        ["api", "v1", _] => json(200, "{\"results\":[],\"next\":null,\"prev\":null}"),
        _ => error(404, "not_found", "Record not found"),
    }
}

fn v2_coll(name: &str) -> Option<Coll> {
    [Coll::People, Coll::Tags, Coll::Taggings, Coll::Donations]
        .into_iter()
        .find(|c| c.v2() == name)
}

fn with_bom(shared: &Shared, coll: Coll, mut body: Vec<u8>) -> Vec<u8> {
    if shared.scenario.bom && coll == Coll::People {
        body.splice(0..0, [0xEF, 0xBB, 0xBF]);
    }
    body
}

fn join(entries: &[&Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&e.bytes);
    }
    out
}

fn v2_page(shared: &Shared, coll: Coll, seen: &Seen) -> Response {
    let s = &shared.scenario;
    let sort = seen.param("sort");
    let since = seen.param("filter[updated_at][gte]");
    if s.refuse_sort && sort.is_some() {
        return error(400, "bad_request", "Sorting on id is not supported.");
    }
    if s.refuse_updated_filter && since.is_some() {
        return error(
            400,
            "bad_request",
            "Tried to filter on attribute :updated_at, but could not find an attribute with that name.",
        );
    }
    // An id sweep asks for a sparse fieldset (`fields[signups]=…`); `extra_fields[…]`, which
    // every people page carries, is not one.
    let sweep = seen
        .query
        .split('&')
        .any(|kv| kv.starts_with("fields%5B") || kv.starts_with("fields["));
    let size = seen
        .param("page[size]")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let number = seen
        .param("page[number]")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let after = match seen.param("filter[id][gt]") {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return error(400, "bad_request", "filter[id][gt] must be an integer."),
        },
    };
    let people = coll == Coll::People;
    let visible: Vec<&Entry> = shared.data[&(Api::V2, coll)]
        .iter()
        .filter(|e| !(people && (sweep || since.is_some()) && s.gone.contains(&e.key)))
        .filter(|e| !(people && sweep && s.hidden.contains(&e.key)))
        .filter(|e| since.as_ref().is_none_or(|t| e.updated_at >= *t))
        .collect();
    let total = match s.stats_total {
        Some(n) if people => n,
        _ => visible.len() as u64,
    };
    let listed: Vec<&Entry> = match (people && sweep, s.sweep_ends_after) {
        (true, Some(n)) => visible.iter().take(n).copied().collect(),
        _ => visible,
    };
    let page: Vec<&Entry> = if s.ignore_paging {
        listed.into_iter().take(size).collect()
    } else if let Some(after) = after {
        listed
            .into_iter()
            .filter(|e| e.key > after)
            .take(size)
            .collect()
    } else {
        listed
            .into_iter()
            .skip((number - 1).saturating_mul(size))
            .take(size)
            .collect()
    };
    let name = coll.v2();
    let next = if page.is_empty() {
        "null".to_owned()
    } else {
        format!(
            "\"{}/api/v2/{name}?page[number]={}&page[size]={size}\"",
            shared.base,
            number + 1
        )
    };
    let meta = if seen.param("stats[total]").as_deref() == Some("count") {
        format!("{{\"stats\":{{\"total\":{{\"count\":{total}}}}}}}")
    } else {
        "{}".to_owned()
    };
    let mut body = b"{\"data\":[".to_vec();
    body.extend(join(&page));
    body.extend(
        format!(
            "],\"links\":{{\"self\":\"{}/api/v2/{name}?page[number]={number}\",\"next\":{next}}},\"meta\":{meta}}}",
            shared.base
        )
        .into_bytes(),
    );
    json(200, with_bom(shared, coll, body))
}

fn v2_show(shared: &Shared, coll: Coll, id: &str) -> Response {
    let id = percent_decode(id);
    let found = shared.data[&(Api::V2, coll)]
        .iter()
        .find(|e| e.id.as_deref() == Some(id.as_str()));
    match found {
        Some(e) if !(coll == Coll::People && shared.scenario.gone.contains(&e.key)) => {
            let mut body = b"{\"data\":".to_vec();
            body.extend_from_slice(&e.bytes);
            body.extend_from_slice(b",\"meta\":{}}");
            json(200, with_bom(shared, coll, body))
        }
        _ => error(404, "not_found", "Record not found"),
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// An opaque-looking v1 page token for `offset` in pass `pass`.
fn v1_link(base_path: &str, pass: u32, offset: usize, limit: usize, extra: &str) -> String {
    format!(
        "{base_path}?__nonce=N{:021}&__token=A{pass:011}x{offset:032}&limit={limit}{extra}",
        pass as usize * 1000 + offset
    )
}

fn v1_page(shared: &Shared, coll: Coll, seen: &Seen, search: bool) -> Response {
    let s = &shared.scenario;
    let limit = seen
        .param("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let token = seen.param("__token");
    let (pass, offset) = match token.as_deref().and_then(|t| t.strip_prefix('A')) {
        Some(t) => {
            let (p, o) = t.split_once('x').unwrap_or(("0", "0"));
            (p.parse().unwrap_or(0), o.parse().unwrap_or(0))
        }
        None if coll == Coll::People && !search => {
            (shared.passes.fetch_add(1, Ordering::SeqCst) + 1, 0)
        }
        None => (0, 0),
    };
    let since = seen.param("updated_since");
    let entries: Vec<&Entry> = shared.data[&(Api::V1, coll)]
        .iter()
        .filter(|e| since.as_ref().is_none_or(|t| e.updated_at >= *t))
        .collect();
    let page: Vec<&Entry> = entries.iter().skip(offset).take(limit).copied().collect();
    let base_path = if search {
        "/api/v1/people/search".to_owned()
    } else {
        seen.path.clone()
    };
    let extra = since
        .map(|t| {
            format!(
                "&updated_since={}",
                url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let link = |offset: usize| format!("\"{}\"", v1_link(&base_path, pass, offset, limit, &extra));
    let mut next = if offset + limit < entries.len() {
        link(offset + limit)
    } else {
        "null".to_owned()
    };
    if let (Some((fault, from)), Coll::People, false) = (s.links, coll, search) {
        if pass >= from {
            match fault {
                LinkFault::Repeat if offset == limit => next = link(limit),
                LinkFault::Cycle if offset == 2 * limit => next = link(limit),
                LinkFault::Elsewhere if offset == 0 => {
                    next = format!(
                        "\"{}{}\"",
                        shared.elsewhere,
                        v1_link(&base_path, pass, limit, limit, "")
                    )
                }
                _ => {}
            }
        }
    }
    let mut body = b"{\"results\":[".to_vec();
    body.extend(join(&page));
    body.extend(format!("],\"next\":{next},\"prev\":null}}").into_bytes());
    json(200, with_bom(shared, coll, body))
}

fn v1_show(shared: &Shared, id: &str) -> Response {
    let id = percent_decode(id);
    match shared.data[&(Api::V1, Coll::People)]
        .iter()
        .find(|e| e.id.as_deref() == Some(id.as_str()))
    {
        Some(e) if !shared.scenario.gone.contains(&e.key) => {
            let mut body = b"{\"person\":".to_vec();
            body.extend_from_slice(&e.bytes);
            body.extend_from_slice(b",\"precinct\":null}");
            json(200, with_bom(shared, Coll::People, body))
        }
        _ => error(404, "not_found", "Record not found"),
    }
}

fn v1_taggings(shared: &Shared, id: &str) -> Response {
    match id.parse::<u64>() {
        Ok(p) if (1..=PEOPLE).contains(&p) && !shared.scenario.gone.contains(&p) => json(
            200,
            format!(
                "{{\"taggings\":[{{\"person_id\":{p},\"tag\":\"tag-{}\"}}]}}",
                tag_of(p)
            ),
        ),
        _ => error(404, "not_found", "Record not found"),
    }
}
