//! Fetch: pulls pages of records from the NationBuilder API. A [`Source`] turns a stream's
//! [`Cursor`] into the next [`Page`]; the [`client`] underneath paces every attempt through the
//! shared [`rate_limit::Limiter`] and retries only what [`retry::classify`] calls transient.
//! Each record keeps its exact bytes as received, for the lossless raw archive: [`scan`] cuts
//! a page into records without requiring it to be valid UTF-8 or readable by serde as a whole,
//! so one record that cannot be loaded is archived and rejected while its page goes on.

use serde::{Deserialize, Serialize};

use crate::resource::Resource;

pub mod client;
pub mod memory;
pub mod rate_limit;
pub mod retry;
pub mod scan;
pub mod token;
pub mod v1;
pub mod v2;

/// Where a stream stands: what to ask for next. Stored as JSON in the stream's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Cursor {
    /// Keyset paging (`sort=id`, `filter[id][gt]=after`): cannot skip or repeat under churn.
    Keyset {
        /// The last id loaded; `None` before the first page.
        after: Option<String>,
    },
    /// Offset paging (`page[number]`), the fallback when the API refuses keyset filters.
    PageNumber {
        /// The 1-based page to fetch next.
        number: u32,
    },
    /// Keyset paging over records changed since a moment of the source's own clock
    /// (`filter[updated_at][gte]=since`), for the catch-up pass at the end of a run.
    Since {
        /// The source timestamp (RFC 3339) to start from.
        since: String,
        /// The last id loaded in this pass; `None` before the first page.
        after: Option<String>,
    },
    /// Offset paging over records changed since a moment of the source's clock: the catch-up
    /// pass of a resource whose API refused keyset paging.
    SincePage {
        /// The source timestamp (RFC 3339) to start from.
        since: String,
        /// The 1-based page to fetch next.
        number: u32,
    },
    /// Follow a link exactly as the API gave it (v1 token pagination).
    Link {
        /// The link to fetch; `None` before the first page.
        next: Option<String>,
    },
    /// A collection per owner record (a list's members): the owners' own pages, the owners of
    /// the current owner page not read yet (the first is being read), and where the current
    /// owner's members continue.
    Nested {
        /// Where the owner collection continues after the owners in `pending`.
        owners: Box<Cursor>,
        /// Owner ids still to read, the current one first.
        pending: Vec<String>,
        /// Where the current owner's members continue.
        inner: Box<Cursor>,
    },
    /// The stream has been read to its end.
    Done,
}

/// One record as received.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// The NationBuilder id as text, when the record had a usable one.
    pub source_id: Option<String>,
    /// The record's bytes exactly as they appeared in the response.
    pub body: Vec<u8>,
    /// The parsed record; `Value::Null` when it cannot be parsed (see `defect`).
    pub value: serde_json::Value,
    /// Why the record cannot be loaded (it is then archived and rejected), or, for a record
    /// without a usable id, why its id is not usable.
    pub defect: Option<scan::Defect>,
    /// Whether the archive's `json` column can hold the body as it is (else it keeps the bytes
    /// in `body_bytes`; see [`scan`]).
    pub json_storable: bool,
}

/// How a record's key is found: one rule for the registry's descriptors and the parsers.
pub use crate::resource::KeyRule;

impl SourceRecord {
    /// A record from its exact bytes (see [`scan::read`]), keyed by `rule`.
    pub fn from_bytes(body: Vec<u8>, rule: KeyRule) -> SourceRecord {
        let read = scan::read(&body);
        let key = match rule {
            KeyRule::IdOrName
                if !read.has_id && read.name.as_ref().is_some_and(|n| !n.is_null()) =>
            {
                scan::key_text(read.name.as_ref(), "name")
            }
            _ => scan::key_text(read.id.as_ref(), "id"),
        };
        let (source_id, defect) = match key {
            Ok(id) => (Some(id), read.defect),
            Err(reason) => (
                None,
                Some(scan::Defect {
                    field: "id".into(),
                    reason,
                }),
            ),
        };
        SourceRecord {
            source_id,
            body,
            value: read.value,
            defect,
            json_storable: read.json_storable,
        }
    }

    /// A record read back from the archive under the key it was archived with.
    pub fn from_archive(source_id: String, body: Vec<u8>) -> SourceRecord {
        let read = scan::read(&body);
        SourceRecord {
            source_id: Some(source_id),
            body,
            value: read.value,
            defect: read.defect,
            json_storable: read.json_storable,
        }
    }

    /// A record read back from the page spool: under its key when it had one, else as a
    /// record without a usable id (and why, as when it was received).
    pub fn from_spool(source_id: Option<String>, body: Vec<u8>) -> SourceRecord {
        match source_id {
            Some(id) => SourceRecord::from_archive(id, body),
            None => {
                let mut record = SourceRecord::from_bytes(body, KeyRule::IdOrName);
                if record.source_id.take().is_some()
                    || record.defect.as_ref().is_none_or(|d| d.field != "id")
                {
                    record.defect = Some(scan::Defect {
                        field: "id".into(),
                        reason: "the record has no id, so it cannot be archived or loaded".into(),
                    });
                }
                record
            }
        }
    }

    /// A record built here rather than received (v1 taggings, test fixtures): its text is the
    /// value's JSON.
    pub fn from_value(source_id: Option<String>, value: serde_json::Value) -> SourceRecord {
        let body = value.to_string().into_bytes();
        let json_storable = !value.is_null() && scan::read(&body).json_storable;
        SourceRecord {
            source_id,
            body,
            value,
            defect: None,
            json_storable,
        }
    }

    /// The body as text, when it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

/// What keeps a record of `stream` fetched through `api` (`v1`, `v2`) out of the tables by its
/// shape (see [`v2::shape_defect`], [`v1::shape_defect`]); `None` for a record of the right
/// shape, and for a record that could not be parsed (its defect says why).
pub fn shape_defect(
    api: &str,
    stream: Resource,
    value: &serde_json::Value,
) -> Option<scan::Defect> {
    if value.is_null() {
        return None;
    }
    match api {
        "v2" => v2::shape_defect(stream, value),
        "v1" => v1::shape_defect(value),
        _ => None,
    }
}

/// One page of a stream.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records, in the order received.
    pub records: Vec<SourceRecord>,
    /// Where to continue; [`Cursor::Done`] when this was the end.
    pub next: Cursor,
    /// The API's total for the stream, when it gave one.
    pub total: Option<u64>,
    /// Records of another resource the page brought sideloaded (a person's taggings with
    /// `include=taggings`; see [`crate::resource::Carried`]), as received.
    pub carried: Option<(Resource, Vec<SourceRecord>)>,
}

/// One page of an id-only sweep.
#[derive(Debug, Clone)]
pub struct IdPage {
    /// The ids on this page.
    pub ids: Vec<String>,
    /// Records on this page without a usable id (they are kept in `sync.rejects`).
    pub unusable: u64,
    /// Where to continue; [`Cursor::Done`] at the end.
    pub next: Cursor,
    /// The API's total, when it gave one.
    pub total: Option<u64>,
}

/// Every id of a stream as the API lists it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSweep {
    /// The ids, in the order listed (duplicates kept: offset paging can repeat).
    pub ids: Vec<String>,
    /// The API's total from the first page, when it gave one.
    pub total: Option<u64>,
    /// Records listed without a usable id.
    pub unusable: u64,
    /// Why the listing cannot be trusted to be complete (it stopped before the API's own end,
    /// repeated itself, or disagrees with the API's count); `None` when it reached the end.
    /// Only a complete sweep may prove that a record is gone.
    pub incomplete: Option<String>,
}

impl IdSweep {
    /// Whether the sweep reached the API's own end of the collection.
    pub fn is_complete(&self) -> bool {
        self.incomplete.is_none()
    }
}

/// Enumerates a stream through [`Source::fetch_id_page`] from [`Source::start`]. The sweep is
/// complete only when it reaches the API's own end of the collection (an empty page, or no
/// `next` link): a page that repeats an earlier one, a link already followed, or a fatal
/// error of the paging kind makes it stop and say why it is incomplete, so that nobody
/// concludes from a short list that the records it lacks are gone. Other fetch errors are
/// returned as they are.
pub async fn sweep_ids<S: Source>(source: &S, stream: Resource) -> Result<IdSweep, FetchError> {
    sweep_ids_observed(source, stream, |_, _| {}).await
}

/// [`sweep_ids`], telling `on_page` after each page how many ids were listed so far and the
/// API's count (for a progress display).
pub async fn sweep_ids_observed<S: Source>(
    source: &S,
    stream: Resource,
    mut on_page: impl FnMut(u64, Option<u64>),
) -> Result<IdSweep, FetchError> {
    let mut sweep = IdSweep::default();
    let mut cursor = source.start(stream);
    let mut guard = PagingGuard::default();
    let mut first = true;
    while cursor != Cursor::Done {
        let page = match source.fetch_id_page(stream, &cursor).await {
            Ok(page) => page,
            Err(FetchError::PagingLoop { detail, .. }) => {
                sweep.incomplete = Some(detail);
                return Ok(sweep);
            }
            Err(err) => return Err(err),
        };
        if first {
            sweep.total = page.total;
            first = false;
        }
        if page.next == cursor {
            sweep.incomplete =
                Some("the API answered a page with the position it was asked for".into());
            return Ok(sweep);
        }
        let ids: Vec<&str> = page.ids.iter().map(String::as_str).collect();
        if let Err(FetchError::PagingLoop { detail, .. }) =
            guard.check(stream, &cursor, &page.next, &ids)
        {
            sweep.incomplete = Some(detail);
            return Ok(sweep);
        }
        sweep.ids.extend(page.ids);
        sweep.unusable += page.unusable;
        on_page(sweep.ids.len() as u64 + sweep.unusable, sweep.total);
        cursor = page.next;
    }
    sweep.check_total();
    Ok(sweep)
}

impl IdSweep {
    /// Marks a listing that reached the end incomplete when its distinct ids (and records
    /// without one) disagree with the API's count.
    pub fn check_total(&mut self) {
        if let Some(total) = self.total {
            let distinct = self
                .ids
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len() as u64;
            if distinct + self.unusable != total {
                self.incomplete = Some(if self.unusable > 0 {
                    format!(
                        "the listing held {distinct} distinct ids and {} records without a usable id while the API counts {total}",
                        self.unusable
                    )
                } else {
                    format!("the listing held {distinct} distinct ids while the API counts {total}")
                });
            }
        }
    }
}

/// What a run learned about how the API treats one resource. Every request path for that
/// resource — the main pass, catch-up passes, id sweeps, lookups — reads the same profile, and
/// it is kept in the resource's checkpoint, so a resumed run or the end-of-run reconciliation
/// never repeats a request the API has already refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiProfile {
    /// `Some(false)` once the API refused or ignored keyset paging (`sort=id` with
    /// `filter[id][gt]`); such a resource is read by `page[number]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyset: Option<bool>,
    /// `Some(false)` once the API refused `filter[updated_at][gte]`; the resource's catch-up is
    /// then a full re-read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_filter: Option<bool>,
    /// The page size the API accepted after refusing a larger one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// `Some(true)` while every page of the main pass, from its start, brought the records of
    /// the resource this one carries (see [`crate::resource::Carried`]), so a resumed pass may
    /// go on carrying; `Some(false)` once that was given up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrying: Option<bool>,
}

impl ApiProfile {
    /// Whether nothing has been learned yet.
    pub fn is_empty(&self) -> bool {
        *self == ApiProfile::default()
    }

    /// This profile with everything `other` knows added (a refusal is never forgotten).
    pub fn merged(self, other: ApiProfile) -> ApiProfile {
        ApiProfile {
            keyset: and_known(self.keyset, other.keyset),
            updated_filter: and_known(self.updated_filter, other.updated_filter),
            page_size: match (self.page_size, other.page_size) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            carrying: and_known(self.carrying, other.carrying),
        }
    }
}

fn and_known(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x && y),
        (x, y) => x.or(y),
    }
}

/// How many pages in a row may come back empty while the API still gives a link to another
/// page, before the stream is called a loop (v1 pages end with `next: null`).
const MAX_EMPTY_PAGES: u32 = 10;

/// Watches one pass over a stream for paging that goes round in circles: a `next` link that was
/// already followed (A → B → A), a page holding exactly the records of an earlier page (an API
/// that ignores `page[number]` or the id filter), or empty pages that never end. Any of these
/// stops the pass with [`FetchError::PagingLoop`] instead of reading forever or calling the
/// stream done. Memory: one link per v1 page and one 64-bit fingerprint per page.
#[derive(Debug, Default)]
pub struct PagingGuard {
    links: std::collections::HashSet<String>,
    pages: std::collections::HashMap<u64, String>,
    empty_run: u32,
}

impl PagingGuard {
    /// Records the page fetched with `cursor`, holding `ids` and continuing at `next`; fails
    /// when it repeats the pass. A page whose `next` pages another way than `cursor` (the
    /// source fell back from keyset to page numbers and read from the start again) begins a new
    /// pass.
    pub fn check(
        &mut self,
        stream: Resource,
        cursor: &Cursor,
        next: &Cursor,
        ids: &[&str],
    ) -> Result<(), FetchError> {
        if *next != Cursor::Done && family(cursor) != family(next) {
            *self = PagingGuard::default();
        }
        let here = describe(cursor);
        if let Cursor::Link { next: Some(link) } = cursor {
            if !self.links.insert(link.clone()) {
                return Err(FetchError::PagingLoop {
                    stream,
                    detail: "the API returned a next link it had already given in this pass".into(),
                });
            }
        }
        if ids.is_empty() {
            self.empty_run += 1;
            if self.empty_run > MAX_EMPTY_PAGES {
                return Err(FetchError::PagingLoop {
                    stream,
                    detail: format!(
                        "the API returned {MAX_EMPTY_PAGES} empty pages in a row, each with a link to another page"
                    ),
                });
            }
            return Ok(());
        }
        self.empty_run = 0;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&ids, &mut hasher);
        let fingerprint = std::hash::Hasher::finish(&hasher);
        match self.pages.get(&fingerprint) {
            Some(there) => Err(FetchError::PagingLoop {
                stream,
                detail: format!(
                    "the API returned the same records for {here} as it had already returned for {there}"
                ),
            }),
            None => {
                self.pages.insert(fingerprint, here);
                Ok(())
            }
        }
    }
}

/// How a cursor pages: by keyset, by page number, or by link; a nested cursor by how its
/// owner's members are paged (a fallback from keyset to page numbers within an owner reads that
/// owner's members from the start again, which begins a new pass like a flat fallback).
fn family(cursor: &Cursor) -> u8 {
    match cursor {
        Cursor::Keyset { .. } | Cursor::Since { .. } => 0,
        Cursor::PageNumber { .. } | Cursor::SincePage { .. } => 1,
        Cursor::Link { .. } => 2,
        Cursor::Nested { inner, .. } => 4 + family(inner),
        Cursor::Done => 3,
    }
}

/// A cursor in words, for messages.
fn describe(cursor: &Cursor) -> String {
    match cursor {
        Cursor::Keyset { after: None } | Cursor::Link { next: None } => "the first page".into(),
        Cursor::Keyset { after: Some(a) } => format!("the page after id {a}"),
        Cursor::PageNumber { number } | Cursor::SincePage { number, .. } => {
            format!("page {number}")
        }
        Cursor::Since { after, .. } => match after {
            Some(a) => format!("the catch-up page after id {a}"),
            None => "the first catch-up page".into(),
        },
        Cursor::Link { next: Some(_) } => "a followed link".into(),
        Cursor::Nested { pending, inner, .. } => match pending.first() {
            Some(owner) => format!("owner {owner}'s {}", describe(inner)),
            None => "the next owners".into(),
        },
        Cursor::Done => "the end".into(),
    }
}

/// A record's `updated_at` (v2 `attributes.updated_at`, v1 top-level `updated_at`).
pub fn source_updated_at(value: &serde_json::Value) -> Option<chrono::DateTime<chrono::Utc>> {
    value
        .pointer("/attributes/updated_at")
        .or_else(|| value.get("updated_at"))
        .and_then(serde_json::Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Reads pages of a stream. Implemented over HTTP for API v2 and v1.
pub trait Source: Send + Sync {
    /// The API version's name (`v1`, `v2`).
    fn api(&self) -> &'static str;
    /// The cursor a stream starts from.
    fn start(&self, stream: Resource) -> Cursor;
    /// Fetches the page `cursor` points at.
    fn fetch_page(
        &self,
        stream: Resource,
        cursor: &Cursor,
    ) -> impl std::future::Future<Output = Result<Page, FetchError>> + Send;
    /// Fetches one page of an id-only sweep (small pages: ids, no record bodies), starting
    /// from [`Source::start`]. Used to reconcile deletions and by `verify` to enumerate.
    fn fetch_id_page(
        &self,
        stream: Resource,
        cursor: &Cursor,
    ) -> impl std::future::Future<Output = Result<IdPage, FetchError>> + Send;
    /// Fetches one record by id; `None` when the API says it does not exist (404).
    fn fetch_record(
        &self,
        stream: Resource,
        id: &str,
    ) -> impl std::future::Future<Output = Result<Option<SourceRecord>, FetchError>> + Send;
    /// The cursor of a pass over records changed since `since` (a timestamp of the source's
    /// clock); a small stream without `updated_at` may answer with a full pass; `None` when
    /// its records never change (only appear or vanish, which the id sweep sees).
    /// `since` is `None` when the stream has no mark (its records carry no `updated_at`).
    fn changed_since(&self, stream: Resource, since: Option<&str>) -> Option<Cursor>;
    /// What this source has learned about how the API treats `stream` (see [`ApiProfile`]).
    fn profile(&self, _stream: Resource) -> ApiProfile {
        ApiProfile::default()
    }
    /// Adopts what an earlier run learned about `stream` (from its checkpoint).
    fn adopt(&self, _stream: Resource, _profile: ApiProfile) {}
    /// Whether [`Source::fetch_record`] can tell that a record of `stream` is gone (a show
    /// route that answers 404), so a deletion can be confirmed before a row is removed.
    fn confirms_deletions(&self, _stream: Resource) -> bool {
        true
    }
    /// How many records of `resource` the source holds with ids in `(after, upto]` (no upper
    /// bound for `None`), where the API counts a collection filtered by id
    /// (`stats[total]=count` with `filter[id][gt]`/`[lte]`); `Ok(None)` where it cannot be
    /// asked. Whether the count honours the filter is for the caller to check.
    fn count_ids_in(
        &self,
        _resource: Resource,
        _after: u64,
        _upto: Option<u64>,
    ) -> impl std::future::Future<Output = Result<Option<u64>, FetchError>> + Send {
        std::future::ready(Ok(None))
    }
    /// The ids of `resource` in `(after, upto]` at the source, listed by id to their end, or
    /// until `expect` ids were listed when the caller knows the range's count (saving the
    /// empty page that proves the end: the caller checks the total against the API's count);
    /// `Ok(None)` where the API cannot list by id range (or did not keep to the range).
    fn ids_in(
        &self,
        _resource: Resource,
        _after: u64,
        _upto: Option<u64>,
        _expect: Option<u64>,
    ) -> impl std::future::Future<Output = Result<Option<Vec<String>>, FetchError>> + Send {
        std::future::ready(Ok(None))
    }
    /// The latest `updated_at` among the records of `resource` now, where the API can sort by
    /// it (`sort=-updated_at`, one record): a time on the source's own clock that every later
    /// change carries or passes, so the next catch-up asks only for what changed after it.
    /// Any `updated_at` the source holds is such a time, so an API that ignores the sort still
    /// gives a safe one. `Ok(None)` where it cannot be asked.
    fn latest_update(
        &self,
        _resource: Resource,
    ) -> impl std::future::Future<Output = Result<Option<String>, FetchError>> + Send {
        std::future::ready(Ok(None))
    }
    /// Asks the pages of `resource` to bring the records of the resource it carries (see
    /// [`crate::resource::Carried`]) from now on; whether this source can.
    fn start_carrying(&self, _resource: Resource) -> bool {
        false
    }
    /// Stops carrying on `resource`'s pages and says how it went: `Ok(pages)` when every page
    /// read since [`Source::start_carrying`] brought the carried records, `Err(why)` when it
    /// was given up; `None` when it was not asked for.
    fn stop_carrying(&self, _resource: Resource) -> Option<Result<u64, String>> {
        None
    }
    /// How many records of `resource` the source holds, where the API says so cheaply (see
    /// [`Census`]); the default knows nothing and asks nothing.
    fn census(
        &self,
        _resource: Resource,
    ) -> impl std::future::Future<Output = Result<Census, FetchError>> + Send {
        std::future::ready(Ok(Census::default()))
    }
}

/// What the API says, cheaply, of a resource's size before a run: its count
/// (`stats[total]=count`, `/people/count`), for a resource read per owner the number of owners
/// and, where the owners carry a counter (a list's `signups_count`), each owner's count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Census {
    /// Records at the source; `None` when the API gives no count.
    pub records: Option<u64>,
    /// For a resource read owner by owner: how many owners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<u64>,
    /// For a resource read owner by owner, where the owners carry a counter: each owner's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_owner: Vec<u64>,
    /// Requests this census cost.
    pub requests: u64,
}

/// Why fetching failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// 401: the token is wrong, revoked or expired.
    #[error(
        "the API rejected the access token (HTTP 401 at {url}): it is wrong or has expired \
         (a legacy v1-era token works only with --api v1); generate a new token and pass it in \
         NATIONBUILDER_API_TOKEN or --token-file"
    )]
    Unauthorized {
        /// The request URL, credentials removed.
        url: String,
    },
    /// The API's host cannot be reached at all (name not resolved, connection refused).
    #[error(
        "cannot reach the API at {host}: {why}; check the nation slug (--nation), --api-base and \
         the network"
    )]
    Unreachable {
        /// The host asked for.
        host: String,
        /// What happened, in words.
        why: &'static str,
    },
    /// 403: the token lacks permission.
    #[error(
        "the API refused access (HTTP 403 at {url}): the token's user lacks permission; \
         use a token of a nation administrator"
    )]
    Forbidden {
        /// The request URL, credentials removed.
        url: String,
    },
    /// Another status that retrying cannot fix (400, 404, 406, 422…).
    #[error("the API answered HTTP {status} at {url}: {code} {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The request URL, credentials removed.
        url: String,
        /// The API's error code (`bad_request`, `not_found`…), or empty.
        code: String,
        /// The API's error message, or empty.
        message: String,
    },
    /// Transient failures went on for every allowed attempt.
    #[error(
        "gave up on {url} after {attempts} attempts (last: {last}); the run can be resumed \
         by running the same command again"
    )]
    Exhausted {
        /// The request URL, credentials removed.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The API asked for a pause (`Retry-After`, or an exhausted `RateLimit-*` budget with a
    /// distant reset) longer than `--max-wait`: nothing more is sent, the run stops resumably.
    #[error(
        "the API asked nb-exodus to pause for {asked}, longer than --max-wait allows \
         ({max_wait_minutes} min); stopped without waiting: the run can be resumed later by \
         running the same command again (or now with a larger --max-wait)"
    )]
    PauseTooLong {
        /// The pause asked for, in words.
        asked: String,
        /// The `--max-wait` in force, in minutes.
        max_wait_minutes: u64,
    },
    /// A response body is larger than `--max-response-mb`; it was not read further.
    #[error(
        "the API sent a response larger than {limit_mb} MB at {url}; stopped reading it: if the \
         nation's pages really are that large, raise --max-response-mb"
    )]
    ResponseTooLarge {
        /// The request URL, credentials removed.
        url: String,
        /// The `--max-response-mb` in force.
        limit_mb: u64,
    },
    /// The API answered with a redirect to another origin, which is not followed (the access
    /// token must not be sent there).
    #[error(
        "the API redirected to another origin ({target}) at {url}; nb-exodus does not follow \
         it, so the access token was not sent there: check --api-base (it must be the address \
         the nation's API answers at, e.g. https://SLUG.nationbuilder.com)"
    )]
    RedirectedElsewhere {
        /// The request URL, credentials removed.
        url: String,
        /// The origin redirected to (scheme, host and port only).
        target: String,
    },
    /// Same-origin redirects went on past the limit.
    #[error("the API redirected {url} more than {max} times; check --api-base")]
    TooManyRedirects {
        /// The request URL, credentials removed.
        url: String,
        /// Redirects followed.
        max: usize,
    },
    /// No usable access token: the stored authorization needs a new login, or a refresh
    /// failed (see [`token::TokenError`]).
    #[error(transparent)]
    Token(#[from] token::TokenError),
    /// The API base URL or a link could not be used.
    #[error("invalid URL {0}")]
    Url(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The API's paging went round in circles (a link or a page seen before in the same pass).
    #[error(
        "stream {stream}: {detail}; the stream was stopped rather than read forever or called \
         done (what was loaded stays) — the API's paging is inconsistent, check --api-base and \
         report it to NationBuilder if it persists"
    )]
    PagingLoop {
        /// The stream.
        stream: Resource,
        /// What repeated, in words.
        detail: String,
    },
    /// The API version offers no way to do this.
    #[error("API {api} does not support {operation}")]
    Unsupported {
        /// The API version (`v1`, `v2`).
        api: &'static str,
        /// What was asked for.
        operation: String,
    },
}

impl FetchError {
    /// Builds the error for a fatal status from the response body (`{"code","message"}`).
    pub fn from_status(status: u16, body: &str, url: &url::Url) -> Self {
        let url = client::redact_url(url);
        match status {
            401 => FetchError::Unauthorized { url },
            403 => FetchError::Forbidden { url },
            _ => {
                #[derive(Deserialize)]
                struct ErrorBody {
                    #[serde(default)]
                    code: Option<String>,
                    #[serde(default)]
                    message: Option<String>,
                }
                let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
                let (code, message) = parsed
                    .map(|b| (b.code.unwrap_or_default(), b.message.unwrap_or_default()))
                    .unwrap_or_default();
                FetchError::Rejected {
                    status,
                    url,
                    code,
                    message,
                }
            }
        }
    }

    /// True when no amount of retrying or resuming with the same token will help.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            FetchError::Unauthorized { .. } | FetchError::Forbidden { .. } | FetchError::Token(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of two ids up to `last`; when `stuck` is set, the page after the first answers
    /// with the cursor it was given.
    struct Fake {
        last: u64,
        stuck: bool,
    }

    impl Source for Fake {
        fn api(&self) -> &'static str {
            "fake"
        }
        fn start(&self, _: Resource) -> Cursor {
            Cursor::Keyset { after: None }
        }
        async fn fetch_page(&self, _: Resource, _: &Cursor) -> Result<Page, FetchError> {
            Err(FetchError::Url("unused".into()))
        }
        async fn fetch_id_page(&self, _: Resource, cursor: &Cursor) -> Result<IdPage, FetchError> {
            let after = match cursor {
                Cursor::Keyset { after } => after.as_deref().map_or(0, |a| a.parse().unwrap()),
                _ => unreachable!(),
            };
            if self.stuck && after > 0 {
                return Ok(IdPage {
                    ids: vec![(after + 1).to_string()],
                    unusable: 0,
                    next: cursor.clone(),
                    total: None,
                });
            }
            let ids: Vec<String> = (after + 1..=(after + 2).min(self.last))
                .map(|i| i.to_string())
                .collect();
            let next = match ids.last() {
                Some(id) => Cursor::Keyset {
                    after: Some(id.clone()),
                },
                None => Cursor::Done,
            };
            Ok(IdPage {
                ids,
                unusable: 0,
                next,
                total: Some(self.last),
            })
        }
        async fn fetch_record(
            &self,
            _: Resource,
            _: &str,
        ) -> Result<Option<SourceRecord>, FetchError> {
            Ok(None)
        }
        fn changed_since(&self, _: Resource, _: Option<&str>) -> Option<Cursor> {
            None
        }
    }

    #[tokio::test]
    async fn sweeps_every_id_and_flags_a_repeating_source() {
        let all = sweep_ids(
            &Fake {
                last: 5,
                stuck: false,
            },
            Resource::of("people"),
        )
        .await
        .unwrap();
        assert!(all.is_complete());
        assert_eq!(all.total, Some(5));
        assert_eq!(all.ids, ["1", "2", "3", "4", "5"]);

        let cut = sweep_ids(
            &Fake {
                last: 5,
                stuck: true,
            },
            Resource::of("people"),
        )
        .await
        .unwrap();
        assert!(
            !cut.is_complete(),
            "a repeated cursor is reported, not followed forever"
        );
        assert_eq!(cut.ids, ["1", "2"]);
    }

    #[test]
    fn a_nested_fallback_to_page_numbers_begins_a_new_pass() {
        // An owner's members: keyset refused after the first page, so the owner's members are
        // read from page 1 again. That is not a loop; the same page read twice by page number is.
        let nested = |inner: Cursor| Cursor::Nested {
            owners: Box::new(Cursor::Done),
            pending: vec!["1".into()],
            inner: Box::new(inner),
        };
        let stream = Resource::of("people");
        let mut guard = PagingGuard::default();
        let first = nested(Cursor::Keyset { after: None });
        let after = nested(Cursor::Keyset {
            after: Some("305".into()),
        });
        let page = |n| nested(Cursor::PageNumber { number: n });
        guard.check(stream, &first, &after, &["12", "305"]).unwrap();
        guard
            .check(stream, &after, &page(2), &["12", "305"])
            .unwrap();
        guard.check(stream, &page(2), &page(3), &["306"]).unwrap();
        assert!(guard.check(stream, &page(3), &page(4), &["306"]).is_err());
    }
}
