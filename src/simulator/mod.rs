//! A synthetic NationBuilder nation served over HTTP, following the API reference
//! (`nationbuilder-api.md`): API v1 (token-paginated REST) and API v2 (JSON:API), with the
//! reference's auth, paging, errors and rate-limit headers, plus seeded faults and churn.
//!
//! Consultants use it to rehearse migrations and demo; every test of the exporter runs against
//! it. Data is a pure function of `(seed, id)` (module `data`), so memory stays flat for millions of
//! people and the same flags give byte-identical responses. Where the reference is unsure
//! (marked \[U\]) the behaviour is a switch in [`Variants`], so clients can be tested against
//! every plausible variant. `GET /__simulator/manifest` gives the ground truth (counts and
//! request statistics); the `/__simulator/people` routes mutate the nation for tests.
//!
//! Start it in-process with [`Simulator::start`] on `127.0.0.1:0` for a random port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod churn;
mod contacts_paths;
mod contacts_paths_v2;
mod custom_fields;
mod data;
mod events;
mod faults;
mod fenwick;
mod json;
mod ledger;
mod list_churn;
mod lists_precincts_relationships;
mod locale;
mod membership;
mod oauth;
mod outreach;
mod outreach_v2;
mod paging;
mod rate_limit;
mod resources;
mod server;
mod state;
mod surveys_pledges_petitions;
mod surveys_pledges_petitions_v2;
mod v1;
mod v1_exit;
mod v2;
mod v2_filters;
mod v2_records;

pub use resources::{resource_names, v1_routes, ResourceCount};

use crate::{Error, Result};

/// Requests allowed per window and the window length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in one window.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            limit: 250,
            window: Duration::from_secs(10),
        }
    }
}

/// Seeded fault injection. Rates are probabilities in `0.0..=1.0`, decided per API request
/// from a hash of (seed, request sequence number), so a run is reproducible.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Share of requests answered 500/502/503/504 (some with a proxy's HTML body).
    pub fail_rate: f64,
    /// Share of 200 responses whose JSON body is cut off.
    pub truncate_rate: f64,
    /// Delay added to every API response.
    pub latency: Duration,
    /// Share of requests delayed by `slow_latency` on top of `latency`.
    pub slow_rate: f64,
    /// Extra delay of slow requests.
    pub slow_latency: Duration,
}

impl FaultConfig {
    /// Whether any fault or delay is enabled.
    pub fn any(&self) -> bool {
        self.fail_rate > 0.0
            || self.truncate_rate > 0.0
            || self.slow_rate > 0.0
            || !self.latency.is_zero()
    }
}

/// Absolute or relative v2 links (\[U\] in the reference §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkStyle {
    /// `http://127.0.0.1:PORT/api/v2/…`
    #[default]
    Absolute,
    /// `/api/v2/…`
    Relative,
}

/// What `links.next` looks like on the empty page that ends a v2 collection (\[U\] §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LastNext {
    /// No `next` key.
    #[default]
    Absent,
    /// `"next": null`.
    Null,
    /// A `next` link to the following (also empty) page.
    Present,
}

/// What happens when `page[size]` or v1 `limit` exceeds 100 (\[U\] §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Oversize {
    /// Serve 100.
    #[default]
    Clamp,
    /// Answer 400 `bad_request`.
    Error,
}

/// Which query parameters v2 links carry (\[U\] §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum V2LinkParams {
    /// `page[number]`, `page[size]` and every filter, sort, fields and stats parameter.
    #[default]
    All,
    /// Only `page[number]`; the client must rebuild the rest.
    PageNumberOnly,
}

/// How v2 treats `sort=id` and `filter[id][…]`, which the reference does not confirm (§7.3,
/// §13: "some filters 400").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum V2Keyset {
    /// Both work.
    #[default]
    Honoured,
    /// `sort` on anything and `filter[id]` answer 400 `bad_request`.
    Refused,
    /// Both are accepted and silently ignored (the API pages by `page[number]` only).
    Ignored,
}

/// What v2 `stats[total]=count` counts, which the reference does not confirm (§7.2: "a count
/// can reportedly be requested").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum V2Counts {
    /// The records the request's filters select.
    #[default]
    Filtered,
    /// The whole collection, whatever the filters.
    Unfiltered,
    /// No count at all (`meta` stays empty).
    Absent,
}

/// v1 paging style (§3.1, §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum V1Paging {
    /// Opaque `__nonce`/`__token` cursors (apps created after 2014-10).
    #[default]
    Token,
    /// `page`/`per_page` with `total` and `total_pages` (legacy, offset-based).
    Legacy,
}

/// Switches for behaviour the reference marks as unconfirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Variants {
    /// v2 link style.
    pub links: LinkStyle,
    /// v2 `next` on the final empty page.
    pub last_next: LastNext,
    /// Page sizes above 100.
    pub oversize_page: Oversize,
    /// v2 link parameters.
    pub v2_link_params: V2LinkParams,
    /// v2 responses use `application/json` instead of `application/vnd.api+json`.
    pub v2_plain_json: bool,
    /// v1 paging style.
    pub v1_paging: V1Paging,
    /// v1 `next`/`prev` links omit `limit` (as in the 2015 recording).
    pub v1_drop_limit: bool,
    /// v1 answers 406 unless `Accept` allows JSON.
    pub v1_strict_accept: bool,
    /// v2 keyset paging (`sort=id`, `filter[id][gt]`).
    pub v2_keyset: V2Keyset,
    /// v2 answers 400 to `filter[updated_at]` (the reference leaves it unconfirmed).
    pub v2_refuse_updated_filter: bool,
    /// What `stats[total]=count` counts.
    pub v2_counts: V2Counts,
    /// Donations' `membership_id` is always `null`, as before the simulator had memberships;
    /// by default about 60 % of the donations of members point at their membership (dues).
    pub null_membership_id: bool,
    /// `/api/v2/imports` ignores paging (the spec declares no page parameters): every request
    /// gets the whole collection, whatever `page[…]`, `sort` and `filter[id]` ask.
    pub imports_unpaged: bool,
    /// `/relationships` ignores paging (the spec declares no page parameters for it): every
    /// request gets the whole collection, without a `next` link. By default it pages like
    /// every collection.
    pub relationships_unpaged: bool,
    /// The most sideloaded records (`include=`) one response can hold: above it the request
    /// times out (after [`INCLUDE_TIMEOUT`], a 504 from the gateway), as the reference warns
    /// large to-many sideloads do. `None`: no limit. Every sideloaded record also adds
    /// [`INCLUDE_ROW_COST`] to the response time.
    pub include_limit: Option<u64>,
}

/// How long a request whose sideloads exceed [`Variants::include_limit`] takes to time out.
pub const INCLUDE_TIMEOUT: Duration = Duration::from_millis(300);

/// What each sideloaded record adds to a response's time.
pub const INCLUDE_ROW_COST: Duration = Duration::from_micros(20);

/// The simulated nation's OAuth app and token lifetime (`/oauth/authorize`, `/oauth/token`).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthConfig {
    /// The registered app's client id.
    pub client_id: String,
    /// The registered app's client secret.
    pub client_secret: String,
    /// Life of an access token issued by `/oauth/token` (NationBuilder: 24 h).
    pub token_ttl: Duration,
    /// `/oauth/authorize` redirects with a code at once instead of showing the approval page.
    pub auto_approve: bool,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: "simulator-client".into(),
            client_secret: "simulator-secret".into(),
            token_ttl: Duration::from_secs(24 * 3600),
            auto_approve: false,
        }
    }
}

/// Everything needed to start a simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorConfig {
    /// Data seed: the same seed and size give the same nation.
    pub seed: u64,
    /// Number of people at start.
    pub people: u64,
    /// The legacy access token: accepted on every API route, and exchangeable once as a
    /// refresh token at `/oauth/token`. Tokens issued by `/oauth/token` are accepted too.
    pub token: String,
    /// The OAuth app and token lifetime.
    pub oauth: OAuthConfig,
    /// Per-token rate limit; `None` disables it.
    pub rate_limit: Option<RateLimit>,
    /// Nation slug (shown in the manifest and the startup line).
    pub nation_slug: String,
    /// ISO currency code of donations.
    pub currency: String,
    /// Fault injection.
    pub faults: FaultConfig,
    /// Churn events per served API request; 0 disables churn.
    pub churn_rate: u32,
    /// Total churn events after which the nation stops changing; 0 = no limit.
    pub churn_limit: u64,
    /// Switches for unconfirmed behaviour.
    pub variants: Variants,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            seed: 42,
            people: 1000,
            token: "test-token".to_string(),
            oauth: OAuthConfig::default(),
            rate_limit: Some(RateLimit::default()),
            nation_slug: "testnation".to_string(),
            currency: "EUR".to_string(),
            faults: FaultConfig::default(),
            churn_rate: 0,
            churn_limit: 0,
            variants: Variants::default(),
        }
    }
}

/// Ground truth about the simulated nation, as served by `GET /__simulator/manifest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Nation slug.
    pub nation: String,
    /// Data seed.
    pub seed: u64,
    /// Live people now.
    pub people: u64,
    /// Tags (including the one without taggings).
    pub tags: u64,
    /// Live taggings now.
    pub taggings: u64,
    /// Donations (some without donor or with a deleted donor).
    pub donations: u64,
    /// Highest person id ever served (base or created).
    pub max_person_id: u64,
    /// API requests received (`/api/…`), including rejected and faulted ones.
    pub requests: u64,
    /// Requests answered 429.
    pub rate_limited: u64,
    /// Requests answered with an injected fault (5xx or truncated body).
    pub faults: u64,
    /// People created during the run (churn and admin).
    pub created: u64,
    /// People updated during the run.
    pub updated: u64,
    /// People deleted during the run.
    pub deleted: u64,
    /// Live memberships now (some point at a deleted person or a deleted type).
    #[serde(default)]
    pub memberships: u64,
    /// Live membership types (one more was deleted before the export).
    #[serde(default)]
    pub membership_types: u64,
    /// Custom-field definitions.
    #[serde(default)]
    pub custom_fields: u64,
    /// API requests answered 401 (missing, wrong or expired token).
    #[serde(default)]
    pub unauthorized: u64,
    /// Refresh-token grants served by `/oauth/token` (the legacy token's exchange included).
    #[serde(default)]
    pub refresh_grants: u64,
    /// Authorization-code grants served by `/oauth/token`.
    #[serde(default)]
    pub code_grants: u64,
    /// Every resource of the simulator's registry by name ([`resource_names`]): live records,
    /// those deleted before the export, and those created, updated and deleted during the run.
    #[serde(default)]
    pub resources: std::collections::BTreeMap<String, ResourceCount>,
    /// API requests by route: the API, the path with each id as `:id`, and what the query
    /// asked (`count` for `stats[total]`, `since` for an `updated_at` filter, `ids` for an
    /// id-only fieldset, `range` for an id range) — where an export's budget went.
    #[serde(default)]
    pub requests_by_route: std::collections::BTreeMap<String, u64>,
}

/// State shared by all request handlers.
pub(crate) struct Shared {
    pub config: SimulatorConfig,
    pub nation: data::Nation,
    pub state: RwLock<state::State>,
    pub limiter: rate_limit::Limiter,
    pub base_url: String,
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub faults: AtomicU64,
    pub sequence: AtomicU64,
    pub unauthorized: AtomicU64,
    pub refresh_grants: AtomicU64,
    pub code_grants: AtomicU64,
    pub oauth: std::sync::Mutex<oauth::OAuthState>,
    pub by_route: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Shared {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, state::State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, state::State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn manifest(&self) -> Manifest {
        let state = self.read();
        let slots = state.slot_count();
        let view = paging::View {
            nation: &self.nation,
            state: &state,
        };
        let resources = resources::counts(view);
        let live = |name: &str| resources.get(name).map_or(0, |c| c.live);
        Manifest {
            memberships: live("memberships"),
            membership_types: live("membership_types"),
            custom_fields: live("custom_fields"),
            nation: self.config.nation_slug.clone(),
            seed: self.config.seed,
            people: state.people_count(),
            tags: self.nation.tag_count,
            taggings: state.tagging_total(),
            donations: self.nation.donation_count,
            max_person_id: if slots == 0 {
                0
            } else {
                state.slot_id(&self.nation, slots - 1)
            },
            requests: self.requests.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            faults: self.faults.load(Ordering::Relaxed),
            unauthorized: self.unauthorized.load(Ordering::Relaxed),
            refresh_grants: self.refresh_grants.load(Ordering::Relaxed),
            code_grants: self.code_grants.load(Ordering::Relaxed),
            created: state.counts.created,
            updated: state.counts.updated,
            deleted: state.counts.deleted,
            resources,
            requests_by_route: self
                .by_route
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }

    /// Counts one API request under its route (see [`Manifest::requests_by_route`]).
    pub(crate) fn tally_route(&self, api: &str, path: &str, query: Option<&str>) {
        let mut key = String::from(api);
        for (i, segment) in path.split('/').filter(|s| !s.is_empty()).enumerate() {
            key.push(if i == 0 { ' ' } else { '/' });
            if segment.bytes().all(|b| b.is_ascii_digit()) {
                key.push_str(":id");
            } else {
                key.push_str(segment);
            }
        }
        let query = query.unwrap_or("").replace("%5B", "[").replace("%5D", "]");
        for (needle, tag) in [
            ("stats[total]", " count"),
            ("[updated_at]", " since"),
            ("=id&", " ids"),
            ("[id][gt]", " range"),
        ] {
            if query.contains(needle) || (needle == "=id&" && query.ends_with("=id")) {
                key.push_str(tag);
            }
        }
        *self
            .by_route
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_default() += 1;
    }

    pub(crate) fn create_person(&self) -> u64 {
        self.write().create(&self.nation)
    }

    pub(crate) fn delete_person(&self, id: u64) -> bool {
        self.write().delete(&self.nation, id)
    }

    pub(crate) fn touch_person(&self, id: u64) -> Option<i64> {
        self.write().touch(&self.nation, id)
    }
}

/// Entry point of the simulator.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `addr` (use `127.0.0.1:0` for a random port) and serves the nation on the current
    /// tokio runtime until the returned handle is shut down or dropped.
    ///
    /// Must be called from within a tokio runtime.
    pub fn start(config: SimulatorConfig, addr: SocketAddr) -> Result<RunningSimulator> {
        validate(&config)?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| Error::Config(format!("the simulator needs a tokio runtime: {e}")))?;
        let std_listener = std::net::TcpListener::bind(addr).map_err(|source| Error::Net {
            context: format!("binding {addr}"),
            source,
        })?;
        std_listener
            .set_nonblocking(true)
            .map_err(|source| Error::Net {
                context: format!("configuring {addr}"),
                source,
            })?;
        let local = std_listener.local_addr().map_err(|source| Error::Net {
            context: format!("reading the address of {addr}"),
            source,
        })?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(|source| Error::Net {
                context: format!("listening on {addr}"),
                source,
            })?
        };
        let mut nation = data::Nation::new(config.seed, config.people, &config.currency);
        nation.null_membership_id = config.variants.null_membership_id;
        let state = state::State::new(&nation);
        let base_url = format!("http://{local}");
        let shared = Arc::new(Shared {
            limiter: rate_limit::Limiter::new(config.rate_limit),
            config,
            nation,
            state: RwLock::new(state),
            base_url: base_url.clone(),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            sequence: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            refresh_grants: AtomicU64::new(0),
            code_grants: AtomicU64::new(0),
            by_route: std::sync::Mutex::default(),
            oauth: std::sync::Mutex::new(oauth::OAuthState::default()),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = server::router(shared.clone());
        let task = runtime.spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(err) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %err, "simulator server stopped");
            }
        });
        tracing::info!(
            address = %local,
            nation = %shared.config.nation_slug,
            people = shared.config.people,
            churn_rate = shared.config.churn_rate,
            faults = shared.config.faults.any(),
            "simulator listening"
        );
        Ok(RunningSimulator {
            addr: local,
            base_url,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

fn validate(config: &SimulatorConfig) -> Result<()> {
    let rate = |name: &str, v: f64| {
        if (0.0..=1.0).contains(&v) {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "{name} must be between 0 and 1, got {v}"
            )))
        }
    };
    rate("fail rate", config.faults.fail_rate)?;
    rate("truncate rate", config.faults.truncate_rate)?;
    rate("slow rate", config.faults.slow_rate)?;
    if config.faults.fail_rate + config.faults.truncate_rate > 1.0 {
        return Err(Error::Config(
            "fail rate plus truncate rate must not exceed 1".to_string(),
        ));
    }
    if config.token.is_empty() {
        return Err(Error::Config(
            "the access token must not be empty".to_string(),
        ));
    }
    if config.oauth.client_id.is_empty() || config.oauth.client_secret.is_empty() {
        return Err(Error::Config(
            "the OAuth client id and secret must not be empty".to_string(),
        ));
    }
    if config.oauth.token_ttl < Duration::from_secs(1) {
        return Err(Error::Config(
            "the token life (--token-ttl) must be at least 1s".to_string(),
        ));
    }
    if config.people > 50_000_000 {
        return Err(Error::Config(format!(
            "at most 50000000 people are supported, got {}",
            config.people
        )));
    }
    if let Some(rl) = config.rate_limit {
        if rl.limit == 0 || rl.window.is_zero() {
            return Err(Error::Config(
                "the rate limit needs a positive count and window".to_string(),
            ));
        }
    }
    Ok(())
}

/// A simulator serving in the background. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningSimulator {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("nation", &self.config.nation_slug)
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimulatorConfig {
        &self.shared.config
    }

    /// Current counts and request statistics (same as `GET /__simulator/manifest`).
    pub fn manifest(&self) -> Manifest {
        self.shared.manifest()
    }

    /// Creates one person (as `POST /__simulator/people`); returns the new id.
    pub fn create_person(&self) -> u64 {
        self.shared.create_person()
    }

    /// Deletes a person and their taggings; their donations stay, pointing at the missing
    /// donor. Returns false if there is no such live person.
    pub fn delete_person(&self, id: u64) -> bool {
        self.shared.delete_person(id)
    }

    /// Changes a field of a person and bumps `updated_at`. Returns false if there is no such
    /// live person.
    pub fn touch_person(&self, id: u64) -> bool {
        self.shared.touch_person(id).is_some()
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
