//! Arguments of `nb-exodus simulate`, and their conversion into a validated
//! [`SimulatorConfig`]. Clap types stop here; the simulator only sees the config.

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::simulator::{
    FaultConfig, LastNext, LinkStyle, OAuthConfig, Oversize, RateLimit, SimulatorConfig, V1Paging,
    V2Counts, V2Keyset, V2LinkParams, Variants,
};
use crate::{Error, Result};

/// What `--help` shows after the flags: the nation's contents and proportions.
const NATION_HELP: &str =
    "Serve a synthetic NationBuilder nation (API v1 and v2) over HTTP until Ctrl-C.

Every record is computed from (--seed, record id), so the same flags always give
byte-identical responses and memory stays flat (2,000,000 people fit in under 150 MB).

What the nation holds, for N = --people:

* people: N, with ids 1.. where every 50th id (50, 100, …) is a gap (a person deleted
  before the export). Names in French, German, Polish, Spanish, Italian, Greek, Bulgarian
  (Cyrillic) and Arabic script; EU addresses (88% have one); 0–4 e-mails each (10% none,
  ~8% upper-case, ~5% padded with spaces, ~3% invalid, ~3% flagged bad); phones in tidy
  international and messy national formats (~30% missing or \"\"); consent flags; the
  sensitive fields party, support_level, inferred_party, inferred_support_level, religion
  (~6%), ethnicity (~4%); notes (10% several kB long, emoji); custom fields of every JSON
  type (string, integer, float, boolean, array, object, null).

* tags: max(12, N/40), with spaces, commas, quotes, unicode, emoji and SQL-looking names;
  the last tag has no taggings.

* taggings: 0–6 per person (mean 3), ids person_id*8 + j.

* donations: round(0.4 N) in --currency; 85% succeeded, 10% failed, 5% canceled; 4% have
  no donor, 3% point at a deleted donor (a gap id); 60% of members' donations are dues
  payments with membership_id (--null-membership-id leaves it null).

* memberships: 0.33 N (v2 /memberships; v1 only /people/:id/memberships): ~29% of people
  hold one, ~2% a second; statuses active, grace period, expired, canceled; ~4% point at a
  deleted membership type, ~3% at a person deleted before the export.

* membership_types: 5 served (v2 only); type 4 was deleted before the export.

* custom_fields: 8 definitions (v2 only) for the custom_values keys of signups, except
  legacy_crm_ref (used, undefined); the donation field gift_aid is defined but unused.

Ground truth for tests: GET /__simulator/manifest (no auth). Admin routes:
POST /__simulator/people, DELETE /__simulator/people/{id},
POST /__simulator/people/{id}/touch.

Example: nb-exodus simulate --listen 127.0.0.1:8088 --people 10000 --seed 42 --token TOKEN";

/// Arguments of `nb-exodus simulate` (the nation's contents are described in `NATION_HELP`).
#[derive(Debug, Args)]
#[command(after_help = NATION_HELP)]
pub struct SimulateArgs {
    /// Address to listen on; port 0 picks a free port. Example: --listen 127.0.0.1:8088
    #[arg(long, default_value = "127.0.0.1:8088")]
    pub listen: String,

    /// Number of people at start. Example: --people 2000000
    #[arg(long, default_value_t = 10_000)]
    pub people: u64,

    /// Data seed: another seed gives another nation. Example: --seed 7
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// The access token clients must send (Authorization: Bearer, or v1 ?access_token=).
    /// Example: --token 0123abcd
    #[arg(long, env = "NB_EXODUS_SIMULATOR_TOKEN", hide_env_values = true)]
    pub token: String,

    /// Client id of the nation's registered OAuth app (for `/oauth/authorize` and
    /// `/oauth/token`). Example: --client-id my-app
    #[arg(long, default_value = "simulator-client")]
    pub client_id: String,

    /// Client secret of the registered OAuth app. Example: --client-secret s3cret
    #[arg(
        long,
        env = "NB_EXODUS_SIMULATOR_CLIENT_SECRET",
        hide_env_values = true,
        default_value = "simulator-secret",
        hide_default_value = true
    )]
    pub client_secret: String,

    /// Life of the access tokens `/oauth/token` issues (NationBuilder: 24 h); refresh tokens
    /// rotate at every refresh. The --token stays a legacy token that never expires.
    /// Example: --token-ttl 15s
    #[arg(long, default_value = "24h")]
    pub token_ttl: String,

    /// `/oauth/authorize` redirects to the redirect_uri with a code at once, without the
    /// approval page (for tests and unattended rehearsals). Example: --oauth-auto-approve
    #[arg(long)]
    pub oauth_auto_approve: bool,

    /// Nation slug, shown in the manifest. Example: --nation greens
    #[arg(long, default_value = "testnation")]
    pub nation: String,

    /// ISO currency of donations (v1 amounts show its symbol). Example: --currency GBP
    #[arg(long, default_value = "EUR")]
    pub currency: String,

    /// Requests per window per token, or "off". Example: --rate-limit 100/10s
    #[arg(long, default_value = "250/10s")]
    pub rate_limit: String,

    /// Share of API requests answered 500/502/503/504 (some with a proxy's HTML body).
    /// Example: --fail-rate 0.02
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,

    /// Share of API requests answered 200 with a JSON body cut off. Example: --truncate-rate 0.01
    #[arg(long, default_value_t = 0.0)]
    pub truncate_rate: f64,

    /// Delay added to every API response. Example: --latency 20ms
    #[arg(long, default_value = "0ms")]
    pub latency: String,

    /// Share of API requests delayed by --slow-latency on top. Example: --slow-rate 0.05
    #[arg(long, default_value_t = 0.0)]
    pub slow_rate: f64,

    /// Extra delay of slow requests. Example: --slow-latency 3s
    #[arg(long, default_value = "3s")]
    pub slow_latency: String,

    /// Create, update and delete people while pages are served, so offset paging skips or
    /// repeats records. Example: --churn
    #[arg(long)]
    pub churn: bool,

    /// Churn events per served API request (with --churn). Example: --churn-rate 3
    #[arg(long, default_value_t = 1)]
    pub churn_rate: u32,

    /// Stop churning after this many events in all, so the nation settles and a rehearsal can
    /// check that the export caught up with it; 0 churns for as long as requests come.
    /// Example: --churn-limit 500
    #[arg(long, default_value_t = 0)]
    pub churn_limit: u64,

    /// v2 links absolute (http://host:port/api/v2/…) or relative (/api/v2/…).
    /// Example: --links relative
    #[arg(long, value_enum, default_value_t = LinksArg::Absolute)]
    pub links: LinksArg,

    /// links.next on the empty page that ends a v2 collection. Example: --last-next null
    #[arg(long, value_enum, default_value_t = LastNextArg::Absent)]
    pub last_next: LastNextArg,

    /// Page sizes above 100 (v2 and v1): clamp to 100 or answer 400.
    #[arg(
        long,
        value_enum,
        default_value_t = OversizeArg::Clamp,
        help = "page[size] (v2) or limit/per_page (v1) above 100: clamp to 100 or answer 400. Example: --oversize-page error"
    )]
    pub oversize_page: OversizeArg,

    /// Which parameters v2 links echo.
    #[arg(
        long,
        value_enum,
        default_value_t = LinkParamsArg::All,
        help = "Which parameters v2 links echo: all (filters, sort, fields, page[size]) or only page[number]. Example: --v2-link-params page-number"
    )]
    pub v2_link_params: LinkParamsArg,

    /// v2 Content-Type: application/vnd.api+json (vnd) or application/json (json).
    /// Example: --v2-content-type json
    #[arg(long, value_enum, default_value_t = ContentTypeArg::Vnd)]
    pub v2_content_type: ContentTypeArg,

    /// v1 paging: opaque __nonce/__token cursors, or the legacy page/per_page envelope with
    /// total and total_pages. Example: --v1-paging legacy
    #[arg(long, value_enum, default_value_t = V1PagingArg::Token)]
    pub v1_paging: V1PagingArg,

    /// Donations' membership_id is always null, as before the simulator had memberships (by
    /// default 60% of members' donations point at their membership: dues payments).
    /// Example: --null-membership-id
    #[arg(long)]
    pub null_membership_id: bool,

    /// /api/v2/relationships ignores paging (the spec declares no page parameters for it):
    /// every request gets the whole collection. By default it pages like every collection.
    /// Example: --relationships-unpaged
    #[arg(long)]
    pub relationships_unpaged: bool,

    /// v1 next/prev links omit limit, as in the 2015 recording. Example: --v1-drop-limit
    #[arg(long)]
    pub v1_drop_limit: bool,

    /// v1 answers 406 unless Accept allows JSON. Example: --v1-strict-accept
    #[arg(long)]
    pub v1_strict_accept: bool,

    /// v2 keyset paging (sort=id with filter[id][gt]): honoured, refused with 400, or silently
    /// ignored. Example: --v2-keyset refused
    #[arg(long, value_enum, default_value_t = KeysetArg::Honoured)]
    pub v2_keyset: KeysetArg,

    /// v2 answers 400 to filter[updated_at][…] (catch-up must then re-read).
    /// Example: --v2-refuse-updated-filter
    #[arg(long)]
    pub v2_refuse_updated_filter: bool,

    /// v2 /imports ignores paging (the spec declares no page parameters for it): every request
    /// gets the whole collection. Example: --imports-unpaged
    #[arg(long)]
    pub imports_unpaged: bool,

    /// What v2 stats[total]=count counts: the records the filters select, the whole
    /// collection whatever the filters, or nothing (no count). Example: --v2-counts unfiltered
    #[arg(long, value_enum, default_value_t = CountsArg::Filtered)]
    pub v2_counts: CountsArg,

    /// The most sideloaded records (include=…, e.g. a page of signups with their taggings)
    /// one v2 response can hold; above it the request times out with a 504, as large to-many
    /// sideloads do at NationBuilder. Each sideloaded record also adds 20 µs to the response.
    /// Example: --include-limit 150
    #[arg(long)]
    pub include_limit: Option<u64>,
}

/// What v2 counts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CountsArg {
    /// The records the filters select.
    Filtered,
    /// The whole collection, whatever the filters.
    Unfiltered,
    /// No count.
    None,
}

/// How v2 treats keyset paging.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeysetArg {
    /// sort=id and filter[id][gt] work.
    Honoured,
    /// They answer 400.
    Refused,
    /// They are accepted and ignored.
    Ignored,
}

/// v2 link style.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LinksArg {
    /// http://host:port/api/v2/…
    Absolute,
    /// /api/v2/…
    Relative,
}

/// `next` on the last v2 page.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LastNextArg {
    /// No next key.
    Absent,
    /// "next": null.
    Null,
    /// A link to the following empty page.
    Present,
}

/// Oversized pages.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OversizeArg {
    /// Serve 100.
    Clamp,
    /// 400 bad_request.
    Error,
}

/// v2 link parameters.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LinkParamsArg {
    /// Everything the request had.
    All,
    /// Only the page number.
    PageNumber,
}

/// v2 content type.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ContentTypeArg {
    /// application/vnd.api+json
    Vnd,
    /// application/json
    Json,
}

/// v1 paging.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum V1PagingArg {
    /// __nonce/__token cursors.
    Token,
    /// page/per_page with totals.
    Legacy,
}

/// Parses `250/10s`, `100/1m` or `off`.
pub fn parse_rate_limit(s: &str) -> Result<Option<RateLimit>> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || {
        Error::Config(format!(
            "--rate-limit {s:?}: expected COUNT/DURATION such as 250/10s, or off"
        ))
    };
    let (count, window) = s.split_once('/').ok_or_else(bad)?;
    let limit: u32 = count.trim().parse().map_err(|_| bad())?;
    let window = parse_duration(window).map_err(|_| bad())?;
    if limit == 0 || window.is_zero() {
        return Err(bad());
    }
    Ok(Some(RateLimit { limit, window }))
}

/// Parses `250ms`, `3s`, `1m` (a bare number means milliseconds).
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let bad = || Error::Config(format!("{s:?} is not a duration such as 250ms, 3s or 1m"));
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    Ok(match unit {
        "" | "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return Err(bad()),
    })
}

/// Parses a token life: `15s`, `10m`, `24h` (a bare number means seconds).
pub fn parse_ttl(s: &str) -> Result<Duration> {
    let t = s.trim();
    let bad = || {
        Error::Config(format!(
            "--token-ttl {s:?}: expected a duration such as 15s, 10m or 24h"
        ))
    };
    let ttl = if let Some(hours) = t.strip_suffix('h') {
        Duration::from_secs(
            hours
                .parse::<u64>()
                .map_err(|_| bad())?
                .saturating_mul(3600),
        )
    } else if t.bytes().all(|b| b.is_ascii_digit()) {
        Duration::from_secs(t.parse::<u64>().map_err(|_| bad())?)
    } else {
        parse_duration(t).map_err(|_| bad())?
    };
    if ttl < Duration::from_secs(1) {
        return Err(bad());
    }
    Ok(ttl)
}

impl SimulateArgs {
    /// The socket address to bind.
    pub fn listen_addr(&self) -> Result<std::net::SocketAddr> {
        self.listen.parse().map_err(|_| {
            Error::Config(format!(
                "--listen {:?}: expected an address such as 127.0.0.1:8088",
                self.listen
            ))
        })
    }

    /// Validates the flags into a simulator configuration.
    pub fn into_config(self) -> Result<SimulatorConfig> {
        let currency = self.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::Config(format!(
                "--currency {:?}: expected a three-letter ISO code such as EUR",
                self.currency
            )));
        }
        Ok(SimulatorConfig {
            seed: self.seed,
            people: self.people,
            token: self.token,
            oauth: OAuthConfig {
                client_id: self.client_id,
                client_secret: self.client_secret,
                token_ttl: parse_ttl(&self.token_ttl)?,
                auto_approve: self.oauth_auto_approve,
            },
            rate_limit: parse_rate_limit(&self.rate_limit)?,
            nation_slug: self.nation,
            currency,
            faults: FaultConfig {
                fail_rate: self.fail_rate,
                truncate_rate: self.truncate_rate,
                latency: parse_duration(&self.latency)?,
                slow_rate: self.slow_rate,
                slow_latency: parse_duration(&self.slow_latency)?,
            },
            churn_rate: if self.churn {
                self.churn_rate.max(1)
            } else {
                0
            },
            churn_limit: self.churn_limit,
            variants: Variants {
                links: match self.links {
                    LinksArg::Absolute => LinkStyle::Absolute,
                    LinksArg::Relative => LinkStyle::Relative,
                },
                last_next: match self.last_next {
                    LastNextArg::Absent => LastNext::Absent,
                    LastNextArg::Null => LastNext::Null,
                    LastNextArg::Present => LastNext::Present,
                },
                oversize_page: match self.oversize_page {
                    OversizeArg::Clamp => Oversize::Clamp,
                    OversizeArg::Error => Oversize::Error,
                },
                v2_link_params: match self.v2_link_params {
                    LinkParamsArg::All => V2LinkParams::All,
                    LinkParamsArg::PageNumber => V2LinkParams::PageNumberOnly,
                },
                v2_plain_json: matches!(self.v2_content_type, ContentTypeArg::Json),
                null_membership_id: self.null_membership_id,
                relationships_unpaged: self.relationships_unpaged,
                v1_paging: match self.v1_paging {
                    V1PagingArg::Token => V1Paging::Token,
                    V1PagingArg::Legacy => V1Paging::Legacy,
                },
                v1_drop_limit: self.v1_drop_limit,
                v1_strict_accept: self.v1_strict_accept,
                v2_keyset: match self.v2_keyset {
                    KeysetArg::Honoured => V2Keyset::Honoured,
                    KeysetArg::Refused => V2Keyset::Refused,
                    KeysetArg::Ignored => V2Keyset::Ignored,
                },
                v2_refuse_updated_filter: self.v2_refuse_updated_filter,
                imports_unpaged: self.imports_unpaged,
                v2_counts: match self.v2_counts {
                    CountsArg::Filtered => V2Counts::Filtered,
                    CountsArg::Unfiltered => V2Counts::Unfiltered,
                    CountsArg::None => V2Counts::Absent,
                },
                include_limit: self.include_limit,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_limits_and_durations() {
        assert_eq!(
            parse_rate_limit("250/10s").unwrap(),
            Some(RateLimit {
                limit: 250,
                window: Duration::from_secs(10)
            })
        );
        assert_eq!(parse_rate_limit("off").unwrap(), None);
        assert!(parse_rate_limit("250").is_err());
        assert!(parse_rate_limit("0/10s").is_err());
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("2h").is_err());
        assert_eq!(parse_ttl("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_ttl("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert!(parse_ttl("500ms").is_err() && parse_ttl("x").is_err());
    }
}
