//! API v1 (classic REST): `people`, `people/count`, `people/:id`, `people/search`,
//! `people/:id/taggings`, `tags` and `donations`, read into the same four streams as v2.
//!
//! **Paging.** v1 index endpoints use token pagination: each page carries a relative `next` link
//! with opaque `__nonce`/`__token` values (and usually `limit` and the request's filters). The
//! link is followed exactly as given — never rebuilt, since the official Ruby client lost
//! `__nonce`/`__token` and filters that way — with two repairs: `limit` is re-added when the link
//! dropped it (as in the 2015 recordings), and `access_token` is re-added when the token is sent
//! as a query parameter (links never carry it). The link stored in the checkpoint is the API's,
//! so a token never reaches the database. Apps created before 2014-10 get the legacy page-based
//! envelope (`page`, `per_page`, `total`, `total_pages`, no links) instead; then, and only then,
//! the next link is built from the current request with `page + 1` and the server's `per_page`.
//!
//! **Streams.** `people` pages through `/people` (abbreviated records; with
//! [`V1Source::with_full_people`] each is replaced by its full `/people/:id` record, one request
//! per person). v1 has no tagging endpoint to list: the `taggings` stream pages through `/people`
//! as well and emits one tagging record per (person, tag) in the shape v1 itself uses for
//! taggings, `{"person_id":42,"tag":"volunteer"}`, so taggings keep their own checkpoint, raw
//! archive rows and counts exactly as in v2. `tags` come from `/tags` and `donations` from
//! `/donations`.
//!
//! **Ids.** v1 tags have no id: a tag's `source_id` is its name (case and spaces kept). v1
//! taggings have neither id nor creation time: their `source_id` is `"<person id>:<tag name>"`
//! (split at the first `:`; person ids are digits, tag names may contain `:`), stable across
//! runs so re-runs upsert. v2 uses NationBuilder's numeric ids for both, so the two APIs' tag and
//! tagging ids never coincide (see `core.tags.source_id` and `core.taggings.source_id`).
//!
//! **For `verify --api v1`.** [`V1Source::people_count`] gives the API's own people total;
//! [`Source::fetch_id_page`] sweeps every stream's keys from [`Source::start`] (people and
//! donation ids, tag names, `"<person id>:<tag name>"` tagging ids — the same keys as
//! `raw.records.source_id` of a v1 export; v1 has no sparse fieldsets, so a sweep costs as many
//! requests as an export). [`Source::fetch_record`] works for people (`/people/:id`, full
//! record) and taggings (`/people/:id/taggings`); tags and donations have no show route in v1
//! and give [`FetchError::Unsupported`]. [`Source::changed_since`] exists for people only
//! (`/people/search?updated_since=`). Comparing a v1 sweep with a v2 export needs the key
//! translation of tags and taggings: join `core.taggings.tag_source_id` to `core.tags` and
//! compare (person, tag name) pairs.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::task::JoinSet;
use url::Url;

use super::client::{redact_url, HttpClient};
use super::{scan, Cursor, FetchError, IdPage, KeyRule, Page, Source, SourceRecord, Stream};

/// How many `/people/:id` requests of one page are in flight at once with `--full-people`. The
/// shared limiter still paces every one of them; this only hides the round-trip latency.
const FULL_PEOPLE_CONCURRENCY: usize = 8;

/// Query parameters that belong to paging, not to the request's filters.
const PAGING_PARAMS: &[&str] = &[
    "limit",
    "__nonce",
    "__token",
    "access_token",
    "page",
    "per_page",
];

/// Reads a nation through API v1.
#[derive(Debug, Clone)]
pub struct V1Source {
    http: HttpClient,
    base: Url,
    limit: u32,
    query_token: Option<String>,
    full_people: bool,
}

impl V1Source {
    /// A source for the nation at `base` (e.g. `https://slug.nationbuilder.com/`), reading
    /// `limit` records per page (clamped to v1's 1–100). The token goes in the `Authorization`
    /// header the [`HttpClient`] sends.
    pub fn new(http: HttpClient, base: Url, limit: u32) -> Self {
        Self {
            http,
            base,
            limit: limit.clamp(1, 100),
            query_token: None,
            full_people: false,
        }
    }

    /// Also sends the token as `?access_token=` on every request, re-added to each followed
    /// link (v1 links never carry it). For legacy setups that cannot use the header.
    pub fn with_query_token(mut self, token: String) -> Self {
        self.query_token = Some(token);
        self
    }

    /// Replaces each abbreviated person of the `people` stream with its full record from
    /// `/people/:id` (emails 1–4 and their bad flags, every address, donation aggregates…): one
    /// more request per person.
    pub fn with_full_people(mut self, full: bool) -> Self {
        self.full_people = full;
        self
    }

    /// The collection a stream pages through (taggings come from the people pages).
    pub fn path(stream: Stream) -> &'static str {
        match stream {
            Stream::People | Stream::Taggings => "people",
            Stream::Tags => "tags",
            Stream::Donations => "donations",
        }
    }

    /// The relative link of a stream's first page.
    pub fn first_link(&self, stream: Stream) -> String {
        format!("/api/v1/{}?limit={}", Self::path(stream), self.limit)
    }

    /// The URL to request for `link` (relative, as the API gives it, or absolute on the same
    /// origin): the link verbatim, plus `limit` when it has none and `access_token` when the
    /// token travels in the query. A link to another origin is refused, so the token is never
    /// sent elsewhere.
    pub fn request_url(&self, link: &str) -> Result<Url, FetchError> {
        let mut url = self
            .base
            .join(link)
            .map_err(|e| FetchError::Url(format!("v1 link: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(FetchError::Url(format!(
                "v1 link leads to another host ({}); refusing to send the token there",
                redact_url(&url)
            )));
        }
        let has_limit = url.query_pairs().any(|(k, _)| k == "limit");
        let is_legacy = url.query_pairs().any(|(k, _)| k == "per_page");
        if !has_limit && !is_legacy {
            url.query_pairs_mut()
                .append_pair("limit", &self.limit.to_string());
        }
        if let Some(token) = &self.query_token {
            url.query_pairs_mut().append_pair("access_token", token);
        }
        Ok(url)
    }

    fn link_of<'c>(&self, stream: Stream, cursor: &'c Cursor) -> Result<LinkRef<'c>, FetchError> {
        match cursor {
            Cursor::Link { next: Some(link) } => Ok(LinkRef::Given(link)),
            Cursor::Link { next: None } => Ok(LinkRef::First(self.first_link(stream))),
            other => Err(FetchError::Url(format!(
                "cursor {other:?} is not a v1 cursor"
            ))),
        }
    }

    /// Fetches one collection page and works out where the stream continues.
    async fn listing(&self, stream: Stream, cursor: &Cursor) -> Result<Listing, FetchError> {
        let link = self.link_of(stream, cursor)?;
        let url = self.request_url(link.as_str())?;
        let fetched = self.http.get(&url, parse_listing).await?;
        let mut listing = fetched.parsed;
        listing.next = match listing.legacy {
            Some(legacy) => legacy_next(&url, legacy, listing.records.is_empty()),
            None => match listing.next_link.take() {
                // A link pointing at the page just read would loop forever; it is not the
                // end of the collection either (that is `next: null`), so the pass stops.
                Some(next) if next != link.as_str() => Cursor::Link { next: Some(next) },
                Some(_) => {
                    return Err(FetchError::PagingLoop {
                        stream,
                        detail: "the API returned, as the next page, the link it had already given for this page".into(),
                    })
                }
                None => Cursor::Done,
            },
        };
        Ok(listing)
    }

    /// `GET /people/count`: the number of people, for progress and `verify`.
    pub async fn people_count(&self) -> Result<u64, FetchError> {
        let url = self.request_url("/api/v1/people/count")?;
        let parse = |body: &[u8]| -> Option<u64> {
            #[derive(Deserialize)]
            struct Count {
                people_count: u64,
            }
            serde_json::from_slice::<Count>(body)
                .ok()
                .map(|c| c.people_count)
        };
        Ok(self.http.get(&url, parse).await?.parsed)
    }

    /// `GET /people/:id`: the full person (the `person` member, exact text; the sibling
    /// `precinct` summary is not kept — its id is the person's `precinct_id`). `None` on 404.
    async fn full_person(&self, id: &str) -> Result<Option<SourceRecord>, FetchError> {
        let mut url = self.request_url("/api/v1/people")?;
        url.path_segments_mut()
            .map_err(|()| FetchError::Url(redact_url(&self.base)))?
            .push(id);
        strip_limit(&mut url);
        let parse = |body: &[u8]| -> Option<SourceRecord> {
            let person = scan::member(body, "person")?;
            Some(SourceRecord::from_bytes(person.to_vec(), KeyRule::IdOrName))
        };
        match self.http.get(&url, parse).await {
            Ok(fetched) => Ok(Some(fetched.parsed)),
            Err(FetchError::Rejected { status: 404, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Replaces abbreviated people with their full records, keeping the page order. A person
    /// deleted between the listing and the show request (404) keeps its abbreviated record: it
    /// existed when the page was read, as without `--full-people`.
    async fn fill_full(&self, records: Vec<SourceRecord>) -> Result<Vec<SourceRecord>, FetchError> {
        let mut out: Vec<Option<SourceRecord>> = Vec::with_capacity(records.len());
        let mut pending: Vec<(usize, SourceRecord)> = Vec::new();
        for record in records {
            if record.source_id.is_some() {
                pending.push((out.len(), record));
                out.push(None);
            } else {
                out.push(Some(record));
            }
        }
        for chunk in pending.chunks(FULL_PEOPLE_CONCURRENCY) {
            let mut tasks = JoinSet::new();
            for (slot, abbreviated) in chunk.iter().cloned() {
                let this = self.clone();
                tasks.spawn(async move {
                    let id = abbreviated.source_id.clone().unwrap_or_default();
                    let full = this.full_person(&id).await;
                    (slot, abbreviated, full)
                });
            }
            while let Some(joined) = tasks.join_next().await {
                let (slot, abbreviated, full) =
                    joined.map_err(|e| FetchError::Client(format!("person request task: {e}")))?;
                out[slot] = Some(full?.unwrap_or(abbreviated));
            }
        }
        Ok(out.into_iter().flatten().collect())
    }
}

/// The link of the page being fetched: the API's, or our first one.
enum LinkRef<'a> {
    Given(&'a str),
    First(String),
}

impl LinkRef<'_> {
    fn as_str(&self) -> &str {
        match self {
            LinkRef::Given(s) => s,
            LinkRef::First(s) => s,
        }
    }
}

fn strip_limit(url: &mut Url) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "limit")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

/// The paging facts of a legacy page-based envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyPage {
    /// The page just served (1-based).
    pub page: u64,
    /// Pages in all.
    pub total_pages: u64,
    /// Records per page, as the server applied it.
    pub per_page: u64,
}

/// One parsed v1 collection page.
#[derive(Debug)]
pub struct Listing {
    /// The `results`, each with its exact text.
    pub records: Vec<SourceRecord>,
    /// The `next` link as given (token pagination), before it becomes a cursor.
    pub next_link: Option<String>,
    /// Where the stream continues (set by the source after parsing).
    pub next: Cursor,
    /// The legacy envelope's paging facts, when the page used it.
    pub legacy: Option<LegacyPage>,
    /// The legacy envelope's `total`, when present.
    pub total: Option<u64>,
}

/// Parses a v1 collection page — token (`results`, `next`, `prev`) or legacy (`page`,
/// `per_page`, `total`, `total_pages`, `results`) — keeping each result's exact bytes (see
/// [`scan::split`]: a result that is not valid UTF-8 or cannot be parsed is archived and
/// rejected, not a reason to drop the page). The key of each record is its `id` (people,
/// donations) or its `name` (tags, which have no id). A leading UTF-8 BOM is skipped. `None`
/// when the body is not such a page (truncated, HTML from a proxy, …).
pub fn parse_listing(body: &[u8]) -> Option<Listing> {
    #[derive(Deserialize)]
    struct Envelope {
        #[allow(dead_code)]
        results: Vec<serde::de::IgnoredAny>,
        #[serde(default)]
        next: Option<String>,
        #[serde(default)]
        page: Option<u64>,
        #[serde(default)]
        total_pages: Option<u64>,
        #[serde(default)]
        per_page: Option<u64>,
        #[serde(default)]
        total: Option<u64>,
    }
    let split = scan::split(body, "results")?;
    // A member the parser cannot read costs that member, not the page; except `next`, without
    // which the stream cannot continue.
    let env: Envelope = match serde_json::from_slice(&split.envelope) {
        Ok(env) => env,
        Err(_) => {
            let member = |name: &str| scan::member(&split.envelope, name);
            let number = |name: &str| member(name).and_then(|m| serde_json::from_slice(m).ok());
            Envelope {
                results: Vec::new(),
                next: match member("next") {
                    None => None,
                    Some(m) => serde_json::from_slice::<Option<String>>(m).ok()?,
                },
                page: number("page"),
                total_pages: number("total_pages"),
                per_page: number("per_page"),
                total: number("total"),
            }
        }
    };
    let records = split
        .records
        .into_iter()
        .map(|raw| SourceRecord::from_bytes(raw.to_vec(), KeyRule::IdOrName))
        .collect();
    let legacy = match (env.page, env.total_pages, env.per_page) {
        (Some(page), Some(total_pages), Some(per_page)) if per_page > 0 => Some(LegacyPage {
            page,
            total_pages,
            per_page,
        }),
        _ => None,
    };
    Some(Listing {
        records,
        next_link: env.next.filter(|s| !s.trim().is_empty()),
        next: Cursor::Done,
        legacy,
        total: env.total,
    })
}

/// What keeps a v1 record out of the tables by its shape: a result that is not an object.
pub fn shape_defect(value: &Value) -> Option<scan::Defect> {
    (!value.is_object()).then(|| scan::Defect {
        field: "(record)".into(),
        reason: "expected an object as the record".into(),
    })
}

fn tag_name(name: Option<&Value>) -> Option<String> {
    match name? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The next page of a legacy envelope: the current request with `page + 1` and the server's
/// `per_page` (the only case where a link is built rather than followed: the envelope has none).
fn legacy_next(current: &Url, legacy: LegacyPage, empty: bool) -> Cursor {
    if empty || legacy.page >= legacy.total_pages {
        return Cursor::Done;
    }
    let mut link = current.path().to_owned();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in current.query_pairs() {
        if !PAGING_PARAMS.contains(&k.as_ref()) {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair("page", &(legacy.page + 1).to_string());
    query.append_pair("per_page", &legacy.per_page.to_string());
    link.push('?');
    link.push_str(&query.finish());
    Cursor::Link { next: Some(link) }
}

/// The tagging records of a page of people: one `{"person_id":…,"tag":…}` per distinct tag of
/// each person that has an id, in page order. `person_id` keeps the person's own JSON id.
pub fn taggings_of(people: &[SourceRecord]) -> Vec<SourceRecord> {
    let mut out = Vec::new();
    for person in people {
        let (Some(pid), Some(id_value)) = (&person.source_id, person.value.get("id")) else {
            continue;
        };
        let Some(tags) = person.value.get("tags").and_then(Value::as_array) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for tag in tags {
            let Some(name) = tag_name(Some(tag)) else {
                continue;
            };
            if !seen.insert(name.clone()) {
                continue;
            }
            let value = serde_json::json!({ "person_id": id_value, "tag": name });
            let id = scan::key_text(Some(&Value::String(tagging_id(pid, &name))), "id");
            let mut record = SourceRecord::from_value(id.as_ref().ok().cloned(), value);
            if let Err(reason) = id {
                record.defect = Some(scan::Defect {
                    field: "id".into(),
                    reason,
                });
            }
            out.push(record);
        }
    }
    out
}

/// The `source_id` of a v1 tagging: `"<person id>:<tag name>"`.
pub fn tagging_id(person_id: &str, tag: &str) -> String {
    format!("{person_id}:{tag}")
}

impl Source for V1Source {
    fn api(&self) -> &'static str {
        "v1"
    }

    fn start(&self, _stream: Stream) -> Cursor {
        Cursor::Link { next: None }
    }

    async fn fetch_page(&self, stream: Stream, cursor: &Cursor) -> Result<Page, FetchError> {
        let first = matches!(cursor, Cursor::Link { next: None });
        let listing = self.listing(stream, cursor).await?;
        let mut total = listing.total;
        if stream == Stream::People && first && total.is_none() {
            // Progress only: a count that cannot be had is no reason to stop the export.
            total = match self.people_count().await {
                Ok(n) => Some(n),
                Err(err) if err.is_auth() => return Err(err),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read /people/count; progress shows no total");
                    None
                }
            };
        }
        let records = match stream {
            Stream::People if self.full_people => self.fill_full(listing.records).await?,
            Stream::Taggings => {
                total = None;
                taggings_of(&listing.records)
            }
            _ => listing.records,
        };
        Ok(Page {
            records,
            next: listing.next,
            total,
        })
    }

    fn confirms_deletions(&self, stream: Stream) -> bool {
        // Tags and donations have no show route in v1: only a complete listing speaks for them.
        matches!(stream, Stream::People | Stream::Taggings)
    }

    async fn fetch_id_page(&self, stream: Stream, cursor: &Cursor) -> Result<IdPage, FetchError> {
        // v1 has no sparse fieldsets: an id sweep reads the same pages, and keeps only keys.
        let first = matches!(cursor, Cursor::Link { next: None });
        let listing = self.listing(stream, cursor).await?;
        // The API's own count checks that the listing is complete (see `sweep_ids`).
        let count = if stream == Stream::People && first && listing.total.is_none() {
            Some(self.people_count().await?)
        } else {
            None
        };
        let listed = match stream {
            Stream::Taggings => taggings_of(&listing.records),
            _ => listing.records,
        };
        let listed_count = listed.len();
        let ids: Vec<String> = listed.into_iter().filter_map(|r| r.source_id).collect();
        Ok(IdPage {
            unusable: (listed_count - ids.len()) as u64,
            ids,
            next: listing.next,
            total: if stream == Stream::Taggings {
                None
            } else {
                listing.total.or(count)
            },
        })
    }

    async fn fetch_record(
        &self,
        stream: Stream,
        id: &str,
    ) -> Result<Option<SourceRecord>, FetchError> {
        match stream {
            Stream::People => self.full_person(id).await,
            Stream::Taggings => {
                let Some((pid, tag)) = id.split_once(':') else {
                    return Ok(None);
                };
                let mut url = self.request_url("/api/v1/people")?;
                url.path_segments_mut()
                    .map_err(|()| FetchError::Url(redact_url(&self.base)))?
                    .push(pid)
                    .push("taggings");
                strip_limit(&mut url);
                let parse = |body: &[u8]| -> Option<Option<SourceRecord>> {
                    let body = std::str::from_utf8(body).ok()?;
                    #[derive(Deserialize)]
                    struct Taggings<'a> {
                        #[serde(borrow)]
                        taggings: Vec<&'a RawValue>,
                    }
                    let list: Taggings<'_> = serde_json::from_str(body).ok()?;
                    for raw in list.taggings {
                        let value: Value = serde_json::from_str(raw.get()).ok()?;
                        if value.get("tag").and_then(Value::as_str) == Some(tag) {
                            return Some(Some(SourceRecord {
                                source_id: Some(tagging_id(pid, tag)),
                                json_storable: scan::read(raw.get().as_bytes()).json_storable,
                                body: raw.get().as_bytes().to_vec(),
                                value,
                                defect: None,
                            }));
                        }
                    }
                    Some(None)
                };
                match self.http.get(&url, parse).await {
                    Ok(fetched) => Ok(fetched.parsed),
                    Err(FetchError::Rejected { status: 404, .. }) => Ok(None),
                    Err(err) => Err(err),
                }
            }
            Stream::Tags | Stream::Donations => Err(FetchError::Unsupported {
                api: "v1",
                operation: format!(
                    "fetching one {stream} record by id (v1 has no show route for {stream})"
                ),
            }),
        }
    }

    fn changed_since(&self, stream: Stream, since: Option<&str>) -> Option<Cursor> {
        match stream {
            Stream::People => {
                let since = since?;
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("updated_since", since)
                    .append_pair("limit", &self.limit.to_string())
                    .finish();
                Some(Cursor::Link {
                    next: Some(format!("/api/v1/people/search?{query}")),
                })
            }
            // Tags have no timestamps and v1 donations no updated_since (refunds and edits
            // would go unseen), so both are re-read whole; tags are few, donations about 0.4
            // per person.
            Stream::Tags | Stream::Donations => Some(self.start(stream)),
            // A tagging only appears or vanishes, which the id sweep sees.
            Stream::Taggings => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::fetch::client::ClientConfig;
    use crate::fetch::rate_limit::{parse_budget, Limiter};

    fn source(query_token: Option<&str>) -> V1Source {
        let http = HttpClient::new(
            ClientConfig::new("secret".into()),
            Arc::new(Limiter::new(None)),
        )
        .unwrap();
        let s = V1Source::new(
            http,
            Url::parse("https://slug.nationbuilder.com/").unwrap(),
            100,
        );
        match query_token {
            Some(t) => s.with_query_token(t.into()),
            None => s,
        }
    }

    #[test]
    fn follows_links_verbatim_and_repairs_only_limit_and_token() {
        let s = source(None);
        let link = "/api/v1/people/search?__nonce=Ked-9tttB9C4cKzeOcTGpQ&__token=AIstYXYV_-i77Hdo8HcDDdBvt7l3HSo1FBm6CdgdouS6&limit=11&updated_since=2016-11-09T10%3A39%3A38-08%3A00";
        let url = s.request_url(link).unwrap();
        assert_eq!(
            url.as_str(),
            format!("https://slug.nationbuilder.com{link}"),
            "kept byte for byte"
        );
        // The 2015 link without limit gets ours appended; nothing else changes.
        let dropped = "/api/v1/people?__nonce=cmDsSJ54eXx2snX-qOjspw&__token=AEQi82Ef8T3_0Xks78eam-vC-YYtqVmOZai4CHntX0hH";
        let url = s.request_url(dropped).unwrap();
        assert_eq!(
            url.as_str(),
            format!("https://slug.nationbuilder.com{dropped}&limit=100")
        );
        // Query auth: the token is re-added to every link, and redacted in anything logged.
        let q = source(Some("tok123"));
        let url = q.request_url(link).unwrap();
        assert!(url.as_str().starts_with(&format!(
            "https://slug.nationbuilder.com{link}&access_token=tok123"
        )));
        assert!(!redact_url(&url).contains("tok123"));
        // Never to another host.
        assert!(s
            .request_url("https://evil.example/api/v1/people?limit=1")
            .is_err());
        assert_eq!(s.first_link(Stream::Taggings), "/api/v1/people?limit=100");
        assert_eq!(s.first_link(Stream::Tags), "/api/v1/tags?limit=100");
    }

    #[test]
    fn parses_token_pages_with_escaped_links() {
        let body = r#"{"results":[{"id":352989,"first_name":"Alex","tags":["volunteer","donor 2018","volunteer",""],"graduation_year":2008.0},
            {"id":352990,"first_name":"Zoë","tags":[]}],
            "next":"/api/v1/people?__nonce=cmDsSJ54eXx2snX-qOjspw\u0026__token=AEQi82Ef8T3_0Xks78eam-vC-YYtqVmOZai4CHntX0hH\u0026limit=2","prev":null}"#;
        let page = parse_listing(body.as_bytes()).unwrap();
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[0].source_id.as_deref(), Some("352989"));
        assert!(page.records[1].text().unwrap().contains("Zoë"));
        assert!(
            page.records[0].text().unwrap().contains("2008.0"),
            "exact text kept"
        );
        assert_eq!(
            page.next_link.as_deref(),
            Some("/api/v1/people?__nonce=cmDsSJ54eXx2snX-qOjspw&__token=AEQi82Ef8T3_0Xks78eam-vC-YYtqVmOZai4CHntX0hH&limit=2")
        );
        assert!(page.legacy.is_none());
        let taggings = taggings_of(&page.records);
        let ids: Vec<&str> = taggings
            .iter()
            .filter_map(|t| t.source_id.as_deref())
            .collect();
        assert_eq!(ids, ["352989:volunteer", "352989:donor 2018"]);
        assert_eq!(
            taggings[1].text(),
            Some(r#"{"person_id":352989,"tag":"donor 2018"}"#)
        );
        assert!(parse_listing(br#"{"results":[{"id":1"#).is_none());
        assert!(parse_listing(b"<html>502 Bad Gateway</html>").is_none());
    }

    #[test]
    fn tags_are_keyed_by_name() {
        let body = r#"{"results":[{"name":"doctor who","taggings_count":109},{"name":"a:b","taggings_count":0},{"name":"","taggings_count":0}],"next":null,"prev":null}"#;
        let page = parse_listing(body.as_bytes()).unwrap();
        let ids: Vec<Option<&str>> = page
            .records
            .iter()
            .map(|r| r.source_id.as_deref())
            .collect();
        assert_eq!(ids, [Some("doctor who"), Some("a:b"), None]);
        assert!(page.next_link.is_none());
    }

    #[test]
    fn legacy_pages_continue_by_page_number() {
        let body =
            r#"{"page":1,"total_pages":3,"per_page":10,"total":23,"results":[{"id":1},{"id":2}]}"#;
        let page = parse_listing(body.as_bytes()).unwrap();
        assert_eq!(page.total, Some(23));
        let legacy = page.legacy.unwrap();
        let url = Url::parse(
            "https://slug.nationbuilder.com/api/v1/people/search?updated_since=2020-01-01&limit=100",
        )
        .unwrap();
        assert_eq!(
            legacy_next(&url, legacy, false),
            Cursor::Link {
                next: Some(
                    "/api/v1/people/search?updated_since=2020-01-01&page=2&per_page=10".into()
                )
            }
        );
        let last = LegacyPage { page: 3, ..legacy };
        assert_eq!(legacy_next(&url, last, false), Cursor::Done);
        assert_eq!(legacy_next(&url, legacy, true), Cursor::Done);
        // The real 2014 recording parses.
        let real = r#"{"page":1,"total_pages":1,"per_page":10,"total":2,"results":[{"slug":"about","id":2},{"slug":"home","id":1}]}"#;
        let page = parse_listing(real.as_bytes()).unwrap();
        assert_eq!(
            page.legacy,
            Some(LegacyPage {
                page: 1,
                total_pages: 1,
                per_page: 10
            })
        );
        // A legacy link does not get `limit` appended.
        let s = source(None);
        let url = s.request_url("/api/v1/people?page=2&per_page=10").unwrap();
        assert_eq!(url.query(), Some("page=2&per_page=10"));
    }

    #[test]
    fn changed_since_searches_people_and_rereads_tags_and_donations() {
        let s = source(None);
        assert_eq!(
            s.changed_since(Stream::People, Some("2024-01-01T00:00:00+01:00")),
            Some(Cursor::Link {
                next: Some(
                    "/api/v1/people/search?updated_since=2024-01-01T00%3A00%3A00%2B01%3A00&limit=100"
                        .into()
                )
            })
        );
        assert_eq!(s.changed_since(Stream::People, None), None);
        assert_eq!(
            s.changed_since(Stream::Taggings, Some("2024-01-01T00:00:00Z")),
            None
        );
        for stream in [Stream::Tags, Stream::Donations] {
            assert_eq!(s.changed_since(stream, None), Some(s.start(stream)));
        }
    }

    /// The header sets of the real v1 recordings (§9.2) parse without failing, the duration
    /// `X-Ratelimit-Limit` and the nation quota headers are ignored.
    #[test]
    fn v1_rate_limit_headers_parse_leniently() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_422_694_112);
        // 2014: nation headers -1 / 0 (must not pause until midnight), float reset seconds.
        let b = parse_budget(
            [
                ("Nation-Ratelimit-Limit", "-1"),
                ("Nation-Ratelimit-Remaining", "0"),
                ("X-Ratelimit-Limit", "33s"),
                ("X-Ratelimit-Remaining", "49999"),
                ("X-Ratelimit-Reset", "32.999994763"),
            ],
            now,
        );
        assert_eq!(b.remaining, Some(49_999));
        assert!(b
            .reset_in
            .is_some_and(|d| d > Duration::from_secs(32) && d < Duration::from_secs(34)));
        // 2015: epoch reset ten seconds ahead; nation reset at midnight is not ours.
        let b = parse_budget(
            [
                ("Nation-Ratelimit-Limit", "125000"),
                ("Nation-Ratelimit-Remaining", "124952"),
                ("Nation-Ratelimit-Reset", "1422748800"),
                ("X-Ratelimit-Limit", "10s"),
                ("X-Ratelimit-Remaining", "99"),
                ("X-Ratelimit-Reset", "1422694122"),
            ],
            now,
        );
        assert_eq!(b.remaining, Some(99));
        assert_eq!(b.reset_in, Some(Duration::from_secs(10)));
        // Garbage never fails a run.
        let b = parse_budget(
            [
                ("X-Ratelimit-Limit", "ten seconds"),
                ("X-Ratelimit-Remaining", ""),
                ("X-Ratelimit-Reset", "soon"),
            ],
            now,
        );
        assert_eq!(b, Default::default());
    }
}
