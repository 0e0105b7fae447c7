//! API v1 (classic REST), read the way each resource's descriptor says
//! ([`crate::resource::V1Binding`]): a nation-wide listing (`people`, `tags`, `donations`),
//! records embedded in another resource's listing (taggings: each person's `tags`), or a route
//! per record of another resource's listing (memberships: `/people/:id/memberships`).
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
//! **Listings.** A listing pages through `/api/v1/<path>`. An *abbreviated* listing (people)
//! has a show route giving the full record; with [`V1Source::with_full_people`] each listed
//! record is replaced by it, one request per record. A listing's total comes from its count
//! route (`/people/count`) when the envelope has none.
//!
//! **Embedded records** (taggings). v1 has no tagging endpoint to list: the resource pages
//! through its owner's listing and emits one record per distinct member of an array field
//! (`tags`), in the shape v1 itself uses for them, `{"person_id":42,"tag":"volunteer"}`, so the
//! resource keeps its own checkpoint, raw archive rows and counts exactly as in v2. Such a
//! record has no id: its key is `"<owner id>:<member>"` (split at the first `:`; owner ids are
//! digits, members may contain `:`), stable across runs so re-runs upsert. One is fetched
//! again through the owner's route (`/people/:id/taggings`).
//!
//! **Records per owner** (memberships). The resource pages through its owner's listing; for
//! each owner on a page, `/api/v1/<owner path>/:id/<segment>` is read to its end (token
//! paginated), so a page of the resource is every such record of one page of owners, and the
//! export costs at least one request per owner. These records have no id either: the key is
//! the texts of the descriptor's key fields joined by `:` (memberships:
//! `"<person_id>:<name>:<created_at>"`); a record lacking one of them has no usable key.
//!
//! **For `verify --api v1`.** [`Source::fetch_id_page`] sweeps every resource's keys from
//! [`Source::start`] — the same keys as `raw.records.source_id` of a v1 export (v1 has no sparse
//! fieldsets, so a sweep costs as many requests as an export). [`Source::fetch_record`] works
//! where v1 can show one record (a listing's show route, an owner's route); elsewhere it gives
//! [`FetchError::Unsupported`]. Comparing a v1 sweep with a v2 export needs the key
//! translation of the resources whose v1 key differs (see `verify::translate`).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::task::JoinSet;
use url::Url;

use super::client::{current_purpose, for_purpose, redact_url, HttpClient};
use super::{
    scan, Census, Cursor, FetchError, IdPage, KeyRule, Page, PagingGuard, Source, SourceRecord,
};
use crate::resource::{
    Changes, Resource, V1Binding, V1Embedded, V1Listing, V1Owner, V1PerRecord, V1RecordKey,
    V1Within, V1Wrap,
};

/// How many per-record requests of one page (`/people/:id` with `--full-people`,
/// `/people/:id/memberships`) are in flight at once. The shared limiter still paces every one
/// of them; this only hides the round-trip latency.
const PER_RECORD_CONCURRENCY: usize = 8;

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

    /// Replaces each abbreviated person of the `people` resource with its full record from
    /// `/people/:id` (emails 1–4 and their bad flags, every address, donation aggregates…): one
    /// more request per person.
    pub fn with_full_people(mut self, full: bool) -> Self {
        self.full_people = full;
        self
    }

    /// How v1 serves `resource`, or why it cannot be read through v1.
    fn binding(resource: Resource) -> Result<V1Binding, FetchError> {
        match resource.def().v1 {
            V1Binding::None => Err(unsupported(format!(
                "reading {resource} (API v1 has no route for it)"
            ))),
            binding => Ok(binding),
        }
    }

    /// The listing `resource`'s pages go through: its own, or, for records embedded in, served
    /// per record of, or held within another resource's records, that resource's (up to the
    /// nation-wide listing at the root: sites for the RSVPs of their events).
    fn listing_of(resource: Resource) -> Result<V1Listing, FetchError> {
        let mut current = resource;
        // Each step goes one owner up; the registry has no cycles, and the bound keeps a
        // mistaken one from looping.
        for _ in 0..8 {
            match Self::binding(current)? {
                V1Binding::Listing(listing) => return Ok(listing),
                V1Binding::Within(V1Within {
                    of: V1Owner::Listing(listing),
                    ..
                }) => return Ok(listing),
                _ => match current.v1_parent() {
                    Some(parent) => current = parent,
                    None => break,
                },
            }
        }
        Err(unsupported(format!(
            "reading {resource} (its owner has no v1 listing)"
        )))
    }

    /// The relative link of a resource's first page.
    pub fn first_link(&self, resource: Resource) -> Result<String, FetchError> {
        let listing = Self::listing_of(resource)?;
        Ok(format!("/api/v1/{}?limit={}", listing.path, self.limit))
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

    /// The URL of `/api/v1/<path>/<id>[/<segment>]`, the id as one path segment.
    fn record_url(&self, path: &str, id: &str, segment: Option<&str>) -> Result<Url, FetchError> {
        let mut url = self.request_url(&format!("/api/v1/{path}"))?;
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| FetchError::Url(redact_url(&self.base)))?;
            segments.push(id);
            if let Some(segment) = segment {
                segments.push(segment);
            }
        }
        strip_limit(&mut url);
        Ok(url)
    }

    /// Fetches the page `cursor` points at in `resource`'s listing and works out where the
    /// pass continues.
    async fn listing(&self, resource: Resource, cursor: &Cursor) -> Result<Listing, FetchError> {
        let link = match cursor {
            Cursor::Link { next: Some(link) } => link.clone(),
            Cursor::Link { next: None } => self.first_link(resource)?,
            other => {
                return Err(FetchError::Url(format!(
                    "cursor {other:?} is not a v1 cursor"
                )))
            }
        };
        self.listing_at(resource, &link, Self::listing_of(resource)?.key)
            .await
    }

    /// Fetches the listing page at `link`, keying its records by `rule`.
    async fn listing_at(
        &self,
        resource: Resource,
        link: &str,
        rule: KeyRule,
    ) -> Result<Listing, FetchError> {
        let url = self.request_url(link)?;
        let fetched = self
            .http
            .get(&url, |body: &[u8]| parse_listing(body, rule))
            .await?;
        let mut listing = fetched.parsed;
        listing.next = match listing.legacy {
            Some(legacy) => legacy_next(&url, legacy, listing.records.is_empty()),
            None => match listing.next_link.take() {
                // A link pointing at the page just read would loop forever; it is not the
                // end of the collection either (that is `next: null`), so the pass stops.
                Some(next) if next != link => Cursor::Link { next: Some(next) },
                Some(_) => {
                    return Err(FetchError::PagingLoop {
                        stream: resource,
                        detail: "the API returned, as the next page, the link it had already given for this page".into(),
                    })
                }
                None => Cursor::Done,
            },
        };
        Ok(listing)
    }

    /// The API's count of `resource`'s listing from its count route (`GET /people/count`),
    /// for progress and `verify`; `None` when the listing has no count route.
    pub async fn listing_count(&self, resource: Resource) -> Result<Option<u64>, FetchError> {
        let V1Binding::Listing(V1Listing {
            count: Some((route, member)),
            ..
        }) = Self::binding(resource)?
        else {
            return Ok(None);
        };
        let url = self.request_url(&format!("/api/v1/{route}"))?;
        let parse = |body: &[u8]| -> Option<u64> {
            let value: Value = serde_json::from_slice(scan::strip_bom(body)).ok()?;
            value.get(member)?.as_u64()
        };
        Ok(Some(self.http.get(&url, parse).await?.parsed))
    }

    /// The total a first page reports, or else the count route's (progress only: a count that
    /// cannot be had is no reason to stop an export, but a rejected token is).
    async fn first_total(
        &self,
        resource: Resource,
        listed: Option<u64>,
    ) -> Result<Option<u64>, FetchError> {
        if listed.is_some() {
            return Ok(listed);
        }
        match self.listing_count(resource).await {
            Ok(n) => Ok(n),
            Err(err) if err.is_auth() => Err(err),
            Err(err) => {
                tracing::warn!(resource = %resource, error = %err, "cannot read the listing's count route; progress shows no total");
                Ok(None)
            }
        }
    }

    /// `GET /api/v1/<path>/:id`: the full record (the `member` of the answer, exact text; a
    /// sibling such as a person's `precinct` summary is not kept — its id is in the record).
    /// `None` on 404.
    async fn show(
        &self,
        listing: V1Listing,
        member: &'static str,
        id: &str,
    ) -> Result<Option<SourceRecord>, FetchError> {
        let url = self.record_url(listing.path, id, None)?;
        let parse = |body: &[u8]| -> Option<SourceRecord> {
            let record = scan::member(body, member)?;
            Some(SourceRecord::from_bytes(record.to_vec(), listing.key))
        };
        match self.http.get(&url, parse).await {
            Ok(fetched) => Ok(Some(fetched.parsed)),
            Err(FetchError::Rejected { status: 404, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Replaces the records of an abbreviated listing with their full records, keeping the
    /// page order. A record deleted between the listing and the show request (404) keeps its
    /// abbreviated form: it existed when the page was read, as without `--full-people`.
    async fn fill_full(
        &self,
        listing: V1Listing,
        member: &'static str,
        records: Vec<SourceRecord>,
    ) -> Result<Vec<SourceRecord>, FetchError> {
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
        for chunk in pending.chunks(PER_RECORD_CONCURRENCY) {
            let mut tasks = JoinSet::new();
            for (slot, abbreviated) in chunk.iter().cloned() {
                let this = self.clone();
                // The spawned request counts for the purpose of the one that spawned it.
                let purpose = current_purpose();
                tasks.spawn(for_purpose(purpose, async move {
                    let id = abbreviated.source_id.clone().unwrap_or_default();
                    let full = this.show(listing, member, &id).await;
                    (slot, abbreviated, full)
                }));
            }
            while let Some(joined) = tasks.join_next().await {
                let (slot, abbreviated, full) =
                    joined.map_err(|e| FetchError::Client(format!("show request task: {e}")))?;
                out[slot] = Some(full?.unwrap_or(abbreviated));
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// The URL of one owner's records: `per.route` with each `{field}` replaced by the text of
    /// that member of the owner record (`{id}`: its key), each part one path segment. `None`
    /// when the owner lacks a member the route needs.
    fn owner_url(&self, per: V1PerRecord, owner: &SourceRecord) -> Result<Option<Url>, FetchError> {
        let mut url = self.request_url("/api/v1/")?;
        let mut parts = Vec::new();
        for part in per.route.split('/') {
            let text = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some("id") => match &owner.source_id {
                    Some(id) => id.clone(),
                    None => return Ok(None),
                },
                Some(field) => match scan::key_text(owner.value.get(field), field) {
                    Ok(text) => text,
                    Err(_) => return Ok(None),
                },
                None => part.to_owned(),
            };
            parts.push(text);
        }
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| FetchError::Url(redact_url(&self.base)))?;
            segments.pop_if_empty();
            segments.extend(parts);
        }
        strip_limit(&mut url);
        Ok(Some(url))
    }

    /// Every record of one owner's route (`per.route`), read to its end, keyed (and wrapped)
    /// as the descriptor says; empty when the owner is gone (404) or cannot be asked.
    async fn of_owner(
        &self,
        resource: Resource,
        per: V1PerRecord,
        owner: &SourceRecord,
    ) -> Result<Vec<SourceRecord>, FetchError> {
        let Some(url) = self.owner_url(per, owner)? else {
            return Ok(Vec::new());
        };
        let owner_key = owner.source_id.clone().unwrap_or_default();
        let mut link = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let mut out = Vec::new();
        let mut guard = PagingGuard::default();
        let mut cursor = Cursor::Link { next: None };
        let mut ordinals = Ordinals::default();
        loop {
            let page = match self.listing_at(resource, &link, KeyRule::Id).await {
                Ok(page) => page,
                Err(FetchError::Rejected { status: 404, .. }) => return Ok(Vec::new()),
                Err(err) => return Err(err),
            };
            let records: Vec<SourceRecord> = page
                .records
                .into_iter()
                .map(|r| {
                    let r = keyed(r, per.key, &owner_key, &mut ordinals);
                    match per.wrap {
                        Some(wrap) => wrapped(wrap, &owner_field_value(&owner_key), r),
                        None => r,
                    }
                })
                .collect();
            let ids: Vec<&str> = records
                .iter()
                .filter_map(|r| r.source_id.as_deref())
                .collect();
            guard.check(resource, &cursor, &page.next, &ids)?;
            out.extend(records);
            match page.next {
                Cursor::Link { next: Some(next) } => {
                    link.clone_from(&next);
                    cursor = Cursor::Link { next: Some(next) };
                }
                _ => return Ok(out),
            }
        }
    }

    /// The records of every owner in `owners`, owner by owner in their order (a few owners'
    /// routes in flight at once).
    async fn of_owners(
        &self,
        resource: Resource,
        per: V1PerRecord,
        owners: &[SourceRecord],
    ) -> Result<Vec<SourceRecord>, FetchError> {
        let owners: Vec<&SourceRecord> = owners.iter().filter(|o| o.source_id.is_some()).collect();
        let mut out = Vec::new();
        for chunk in owners.chunks(PER_RECORD_CONCURRENCY) {
            let mut tasks = JoinSet::new();
            for (slot, owner) in chunk.iter().enumerate() {
                let this = self.clone();
                let owner = (*owner).clone();
                let purpose = current_purpose();
                tasks.spawn(for_purpose(purpose, async move {
                    (slot, this.of_owner(resource, per, &owner).await)
                }));
            }
            let mut found: Vec<Option<Vec<SourceRecord>>> = vec![None; chunk.len()];
            while let Some(joined) = tasks.join_next().await {
                let (slot, records) =
                    joined.map_err(|e| FetchError::Client(format!("owner request task: {e}")))?;
                found[slot] = Some(records?);
            }
            out.extend(found.into_iter().flatten().flatten());
        }
        Ok(out)
    }

    /// The records of `resource` derived from one page of its root listing (`root`): for a
    /// resource read through other resources' records, those records first, owner by owner up
    /// from the root.
    fn derived<'a>(
        &'a self,
        resource: Resource,
        root: &'a [SourceRecord],
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Vec<SourceRecord>, FetchError>> + Send + 'a>,
    > {
        Box::pin(async move {
            let binding = Self::binding(resource)?;
            let owned;
            let owners: &[SourceRecord] = match (binding, resource.v1_parent()) {
                (V1Binding::Listing(_), _) => return Ok(root.to_vec()),
                (_, Some(parent)) if !matches!(parent.def().v1, V1Binding::Listing(_)) => {
                    owned = self.derived(parent, root).await?;
                    &owned
                }
                _ => root,
            };
            Ok(match binding {
                V1Binding::Embedded(embedded) => embedded_of(owners, embedded),
                V1Binding::PerRecord(per) => self.of_owners(resource, per, owners).await?,
                V1Binding::Within(within) => within_of(owners, within),
                V1Binding::Listing(_) | V1Binding::None => Vec::new(),
            })
        })
    }

    /// The records of `resource` on one page of its listing (or its owner's).
    async fn page_records(
        &self,
        resource: Resource,
        listing: Listing,
        first: bool,
        full: bool,
    ) -> Result<(Vec<SourceRecord>, Option<u64>), FetchError> {
        Ok(match Self::binding(resource)? {
            V1Binding::Listing(own) => {
                let total = if first {
                    self.first_total(resource, listing.total).await?
                } else {
                    listing.total
                };
                let records = match own.show {
                    Some(member) if full && own.abbreviated => {
                        self.fill_full(own, member, listing.records).await?
                    }
                    _ => listing.records,
                };
                (records, total)
            }
            // Records of another resource's listing: its total counts the owners.
            V1Binding::Embedded(_) | V1Binding::PerRecord(_) | V1Binding::Within(_) => {
                (self.derived(resource, &listing.records).await?, None)
            }
            V1Binding::None => (Vec::new(), None),
        })
    }
}

/// The error for something API v1 cannot do.
fn unsupported(operation: String) -> FetchError {
    FetchError::Unsupported {
        api: "v1",
        operation,
    }
}

/// How often each key has been met among one owner's records, for the `#n` of
/// [`V1RecordKey::Owned`].
#[derive(Debug, Default)]
struct Ordinals(std::collections::HashMap<String, u32>);

/// `record` keyed by `key` (see [`V1RecordKey`]) among the records of the owner keyed
/// `owner`; a record lacking a key field, or whose key cannot be stored, has no usable key.
fn keyed(
    mut record: SourceRecord,
    key: V1RecordKey,
    owner: &str,
    ordinals: &mut Ordinals,
) -> SourceRecord {
    if record.value.is_null() {
        return record;
    }
    let (fields, prefix) = match key {
        V1RecordKey::Fields(fields) => (fields, None),
        V1RecordKey::Owned(fields) => (fields, Some(owner)),
    };
    let parts: Result<Vec<String>, String> = prefix
        .map(|p| Ok(p.to_owned()))
        .into_iter()
        .chain(
            fields
                .iter()
                .map(|f| scan::key_text(record.value.get(*f), f)),
        )
        .collect();
    let key = parts.map(|p| p.join(":")).map(|k| match prefix {
        Some(_) => {
            let seen = ordinals.0.entry(k.clone()).or_insert(0);
            *seen += 1;
            if *seen > 1 {
                format!("{k}#{seen}")
            } else {
                k
            }
        }
        None => k,
    });
    let key = key.and_then(|k| scan::key_text(Some(&Value::String(k)), "key"));
    match key {
        Ok(key) => {
            record.source_id = Some(key);
            // The listing found no `id` member; the key fields stand for it.
            if record.defect.as_ref().is_some_and(|d| d.field == "id") {
                record.defect = None;
            }
        }
        Err(reason) => {
            record.source_id = None;
            record.defect = Some(scan::Defect {
                field: "id".into(),
                reason,
            });
        }
    }
    record
}

/// The JSON text naming an owner in a wrapper: its key as a string, as v2's wrappers do.
fn owner_field_value(owner_key: &str) -> Vec<u8> {
    Value::String(owner_key.to_owned()).to_string().into_bytes()
}

/// `member` as received, archived inside `{<owner_field>: <owner>, <member_field>: <member>}`
/// (`owner` is JSON text), keeping the member's key and defect.
fn wrapped(wrap: V1Wrap, owner: &[u8], member: SourceRecord) -> SourceRecord {
    let mut body = Vec::with_capacity(member.body.len() + owner.len() + 64);
    body.push(b'{');
    if let (Some(field), Some(key)) = (wrap.key_field, &member.source_id) {
        body.extend_from_slice(Value::from(field).to_string().as_bytes());
        body.push(b':');
        body.extend_from_slice(Value::from(key.as_str()).to_string().as_bytes());
        body.push(b',');
    }
    body.extend_from_slice(Value::from(wrap.owner_field).to_string().as_bytes());
    body.push(b':');
    body.extend_from_slice(owner);
    body.push(b',');
    body.extend_from_slice(Value::from(wrap.member_field).to_string().as_bytes());
    body.push(b':');
    body.extend_from_slice(&member.body);
    body.push(b'}');
    let read = scan::read(&body);
    SourceRecord {
        source_id: member.source_id,
        body,
        value: read.value,
        defect: member.defect.or(read.defect.filter(|d| d.field != "id")),
        json_storable: read.json_storable,
    }
}

/// The objects at `pointer` in `body` (an owner record as received), each with its exact
/// text; `None` when there is no such array.
fn raw_array_at<'a>(body: &'a [u8], pointer: &str) -> Option<Vec<&'a RawValue>> {
    let text = std::str::from_utf8(scan::strip_bom(body)).ok()?;
    let mut current: &RawValue = serde_json::from_str(text).ok()?;
    for token in pointer.split('/').skip(1) {
        let object: std::collections::HashMap<String, &RawValue> =
            serde_json::from_str(current.get()).ok()?;
        current = object.get(token).copied()?;
    }
    serde_json::from_str(current.get()).ok()
}

/// The records held within `owners` (see [`V1Within`]): one per object of the member array of
/// each owner that has a key, in order, wrapped with the owner (its key, or for a listing that
/// is no resource, the owner record as received) and keyed by `within.key`.
fn within_of(owners: &[SourceRecord], within: V1Within) -> Vec<SourceRecord> {
    let mut out = Vec::new();
    for owner in owners {
        let Some(owner_key) = &owner.source_id else {
            continue;
        };
        let Some(members) = raw_array_at(&owner.body, within.member) else {
            continue;
        };
        let owner_text = match within.of {
            V1Owner::Listing(_) => owner.body.clone(),
            V1Owner::Resource(_) => owner_field_value(owner_key),
        };
        let mut ordinals = Ordinals::default();
        for member in members {
            let record = SourceRecord::from_bytes(member.get().as_bytes().to_vec(), KeyRule::Id);
            let record = keyed(record, within.key, owner_key, &mut ordinals);
            out.push(wrapped(within.wrap, &owner_text, record));
        }
    }
    out
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
    /// Where the resource continues (set by the source after parsing).
    pub next: Cursor,
    /// The legacy envelope's paging facts, when the page used it.
    pub legacy: Option<LegacyPage>,
    /// The legacy envelope's `total`, when present.
    pub total: Option<u64>,
}

/// Parses a v1 collection page — token (`results`, `next`, `prev`) or legacy (`page`,
/// `per_page`, `total`, `total_pages`, `results`) — keeping each result's exact bytes (see
/// [`scan::split`]: a result that is not valid UTF-8 or cannot be parsed is archived and
/// rejected, not a reason to drop the page). Each record is keyed by `rule`: its `id`, or its
/// `name` when it has no id (tags). A leading UTF-8 BOM is skipped. `None` when the body is not
/// such a page (truncated, HTML from a proxy, …).
pub fn parse_listing(body: &[u8], rule: KeyRule) -> Option<Listing> {
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
    // which the resource cannot continue.
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
        .map(|raw| SourceRecord::from_bytes(raw.to_vec(), rule))
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

/// A member of an embedded array as a key part: a non-blank string (v1 tag names).
fn member_name(member: Option<&Value>) -> Option<String> {
    match member? {
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

/// The records embedded in a page of owners (taggings in people): one
/// `{"<owner field>": <owner id>, "<field>": <member>}` per distinct member of each owner that
/// has an id, in page order, keyed `"<owner id>:<member>"`. The owner field keeps the owner's
/// own JSON id.
pub fn embedded_of(owners: &[SourceRecord], embedded: V1Embedded) -> Vec<SourceRecord> {
    let mut out = Vec::new();
    for owner in owners {
        let (Some(oid), Some(id_value)) = (&owner.source_id, owner.value.get("id")) else {
            continue;
        };
        let Some(members) = owner.value.get(embedded.member).and_then(Value::as_array) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for member in members {
            let Some(name) = member_name(Some(member)) else {
                continue;
            };
            if !seen.insert(name.clone()) {
                continue;
            }
            let mut value = serde_json::Map::new();
            value.insert(embedded.owner_field.to_owned(), id_value.clone());
            value.insert(embedded.field.to_owned(), Value::String(name.clone()));
            let id = scan::key_text(Some(&Value::String(embedded_key(oid, &name))), "id");
            let mut record =
                SourceRecord::from_value(id.as_ref().ok().cloned(), Value::Object(value));
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

/// The key of an embedded v1 record: `"<owner id>:<member>"` (a tagging: person id and tag
/// name).
pub fn embedded_key(owner_id: &str, member: &str) -> String {
    format!("{owner_id}:{member}")
}

impl Source for V1Source {
    fn api(&self) -> &'static str {
        "v1"
    }

    fn start(&self, _resource: Resource) -> Cursor {
        Cursor::Link { next: None }
    }

    async fn fetch_page(&self, resource: Resource, cursor: &Cursor) -> Result<Page, FetchError> {
        let first = matches!(cursor, Cursor::Link { next: None });
        let listing = self.listing(resource, cursor).await?;
        let next = listing.next.clone();
        let (records, total) = self
            .page_records(resource, listing, first, self.full_people)
            .await?;
        Ok(Page {
            carried: None,
            records,
            next,
            total,
        })
    }

    fn confirms_deletions(&self, resource: Resource) -> bool {
        // Without a show route only a complete listing speaks for a record.
        resource.has_show("v1")
    }

    async fn census(&self, resource: Resource) -> Result<Census, FetchError> {
        Ok(match Self::binding(resource)? {
            // Its own count route (`/people/count`), when it has one.
            V1Binding::Listing(_) => {
                let records = self.listing_count(resource).await?;
                Census {
                    requests: u64::from(records.is_some()),
                    records,
                    ..Census::default()
                }
            }
            // Read through its owners' listing: how many owners there are.
            V1Binding::Embedded(_) | V1Binding::PerRecord(_) | V1Binding::Within(_) => {
                let owners = match resource.v1_parent() {
                    Some(owner) => self.listing_count(owner).await?,
                    None => None,
                };
                Census {
                    requests: u64::from(owners.is_some()),
                    owners,
                    ..Census::default()
                }
            }
            V1Binding::None => Census::default(),
        })
    }

    async fn fetch_id_page(
        &self,
        resource: Resource,
        cursor: &Cursor,
    ) -> Result<IdPage, FetchError> {
        // v1 has no sparse fieldsets: an id sweep reads the same pages, and keeps only keys.
        let first = matches!(cursor, Cursor::Link { next: None });
        let listing = self.listing(resource, cursor).await?;
        let next = listing.next.clone();
        // The API's own count checks that the listing is complete (see `sweep_ids`): a count
        // that cannot be had fails the sweep rather than passing unchecked.
        let listed_total = listing.total;
        let (listed, _) = self.page_records(resource, listing, false, false).await?;
        let total = match (first, listed_total) {
            (true, None) => self.listing_count(resource).await?,
            _ => listed_total,
        };
        let total = if matches!(resource.def().v1, V1Binding::Listing(_)) {
            total
        } else {
            None
        };
        let listed_count = listed.len();
        let ids: Vec<String> = listed.into_iter().filter_map(|r| r.source_id).collect();
        Ok(IdPage {
            unusable: (listed_count - ids.len()) as u64,
            ids,
            next,
            total,
        })
    }

    async fn fetch_record(
        &self,
        resource: Resource,
        id: &str,
    ) -> Result<Option<SourceRecord>, FetchError> {
        match Self::binding(resource)? {
            V1Binding::Listing(listing) => match listing.show {
                Some(member) => self.show(listing, member, id).await,
                None => Err(unsupported(format!(
                    "fetching one {resource} record by id (v1 has no show route for {resource})"
                ))),
            },
            V1Binding::Embedded(embedded) => {
                let Some((owner, wanted)) = id.split_once(':') else {
                    return Ok(None);
                };
                let listing = Self::listing_of(resource)?;
                let url = self.record_url(listing.path, owner, Some(embedded.show_segment))?;
                let parse = |body: &[u8]| -> Option<Option<SourceRecord>> {
                    let list = scan::member(body, embedded.show_segment)?;
                    let list = std::str::from_utf8(list).ok()?;
                    let items: Vec<&RawValue> = serde_json::from_str(list).ok()?;
                    for raw in items {
                        let value: Value = serde_json::from_str(raw.get()).ok()?;
                        if value.get(embedded.field).and_then(Value::as_str) == Some(wanted) {
                            return Some(Some(SourceRecord {
                                source_id: Some(embedded_key(owner, wanted)),
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
            V1Binding::PerRecord(per) if resource.has_show("v1") => {
                // The key starts with the owner's id, the only part of the owner the route
                // needs.
                let Some((owner, _)) = id.split_once(':') else {
                    return Ok(None);
                };
                let owner = SourceRecord::from_value(Some(owner.to_owned()), Value::Null);
                let records = self.of_owner(resource, per, &owner).await?;
                Ok(records
                    .into_iter()
                    .find(|r| r.source_id.as_deref() == Some(id)))
            }
            V1Binding::PerRecord(_) | V1Binding::Within(_) => Err(unsupported(format!(
                "fetching one {resource} record by its key (v1 reaches {resource} only through its owners)"
            ))),
            V1Binding::None => Err(unsupported(format!("reading {resource}"))),
        }
    }

    fn changed_since(&self, resource: Resource, since: Option<&str>) -> Option<Cursor> {
        match resource.def().v1 {
            V1Binding::Listing(listing) => match (listing.changes, listing.search) {
                (Changes::UpdatedSince, Some(search)) => {
                    let since = since?;
                    let query = url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("updated_since", since)
                        .append_pair("limit", &self.limit.to_string())
                        .finish();
                    Some(Cursor::Link {
                        next: Some(format!("/api/v1/{search}?{query}")),
                    })
                }
                (Changes::Never, _) => None,
                // No search route for its changes: read again whole.
                _ => Some(self.start(resource)),
            },
            // An embedded record is its key (owner and member): it only appears or vanishes,
            // which the id sweep sees.
            V1Binding::Embedded(_) => None,
            V1Binding::PerRecord(per) => match per.changes {
                Changes::Never => None,
                _ => Some(self.start(resource)),
            },
            // Objects within other records change with them: read again whole.
            V1Binding::Within(_) => Some(self.start(resource)),
            V1Binding::None => None,
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

    /// How v1 embeds taggings in people (the taggings descriptor).
    fn embedded() -> V1Embedded {
        match Resource::of("taggings").def().v1 {
            V1Binding::Embedded(e) => e,
            other => panic!("taggings are embedded in v1, not {other:?}"),
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
        assert_eq!(
            s.first_link(Resource::of("taggings")).unwrap(),
            "/api/v1/people?limit=100"
        );
        assert_eq!(
            s.first_link(Resource::of("tags")).unwrap(),
            "/api/v1/tags?limit=100"
        );
    }

    #[test]
    fn parses_token_pages_with_escaped_links() {
        let body = r#"{"results":[{"id":352989,"first_name":"Alex","tags":["volunteer","donor 2018","volunteer",""],"graduation_year":2008.0},
            {"id":352990,"first_name":"Zoë","tags":[]}],
            "next":"/api/v1/people?__nonce=cmDsSJ54eXx2snX-qOjspw\u0026__token=AEQi82Ef8T3_0Xks78eam-vC-YYtqVmOZai4CHntX0hH\u0026limit=2","prev":null}"#;
        let page = parse_listing(body.as_bytes(), KeyRule::IdOrName).unwrap();
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
        let taggings = embedded_of(&page.records, embedded());
        let ids: Vec<&str> = taggings
            .iter()
            .filter_map(|t| t.source_id.as_deref())
            .collect();
        assert_eq!(ids, ["352989:volunteer", "352989:donor 2018"]);
        assert_eq!(
            taggings[1].text(),
            Some(r#"{"person_id":352989,"tag":"donor 2018"}"#)
        );
        assert!(parse_listing(br#"{"results":[{"id":1"#, KeyRule::IdOrName).is_none());
        assert!(parse_listing(b"<html>502 Bad Gateway</html>", KeyRule::IdOrName).is_none());
    }

    #[test]
    fn owned_keys_start_with_the_owner_and_number_repeats() {
        // Two contacts of person 5 logged in the same second by the same sender (v1 contacts
        // have no id), and one without a sender.
        let body = r#"{"results":[
            {"type_id":6,"method":"email","sender_id":1,"recipient_id":5,"created_at":"2014-02-14T14:36:29-05:00"},
            {"type_id":6,"method":"email","sender_id":1,"recipient_id":5,"created_at":"2014-02-14T14:36:29-05:00"},
            {"type_id":6,"method":"email","sender_id":null,"recipient_id":5,"created_at":"2014-02-14T14:36:29-05:00"}],"next":null}"#;
        let page = parse_listing(body.as_bytes(), KeyRule::Id).unwrap();
        let key = V1RecordKey::Owned(&["created_at", "method"]);
        let mut ordinals = Ordinals::default();
        let ids: Vec<Option<String>> = page
            .records
            .into_iter()
            .map(|r| keyed(r, key, "5", &mut ordinals).source_id)
            .collect();
        assert_eq!(
            ids,
            [
                Some("5:2014-02-14T14:36:29-05:00:email".to_owned()),
                Some("5:2014-02-14T14:36:29-05:00:email#2".to_owned()),
                Some("5:2014-02-14T14:36:29-05:00:email#3".to_owned()),
            ]
        );
    }

    #[test]
    fn wrapped_records_keep_the_member_exactly() {
        let member =
            SourceRecord::from_bytes(br#"{"id": 52, "first_name":"Ada"}"#.to_vec(), KeyRule::Id);
        let wrap = V1Wrap {
            key_field: None,
            owner_field: "list_id",
            member_field: "person",
        };
        let mut ordinals = Ordinals::default();
        let member = keyed(member, V1RecordKey::Owned(&["id"]), "7", &mut ordinals);
        let record = wrapped(wrap, &owner_field_value("7"), member);
        assert_eq!(
            record.text(),
            Some(r#"{"list_id":"7","person":{"id": 52, "first_name":"Ada"}}"#)
        );
        assert_eq!(record.source_id.as_deref(), Some("7:52"));
        assert!(record.defect.is_none());
    }

    #[test]
    fn objects_within_records_are_archived_with_their_owner() {
        // The v1 docs' survey response, with two question responses.
        let body = br#"{"results":[{"id":2,"survey_id":3,"person_id":17738,"question_responses":[{"id":4,"response":"yes","question_id":4},{"id":5,"response":2,"question_id":5}]},{"id":3,"survey_id":3,"person_id":9}],"next":null}"#;
        let page = parse_listing(body, KeyRule::Id).unwrap();
        let listing = match Resource::of("people").def().v1 {
            V1Binding::Listing(l) => l,
            _ => unreachable!(),
        };
        let within = V1Within {
            of: V1Owner::Listing(listing),
            member: "/question_responses",
            wrap: V1Wrap {
                key_field: None,
                owner_field: "survey_response",
                member_field: "question_response",
            },
            key: V1RecordKey::Owned(&["id"]),
        };
        let records = within_of(&page.records, within);
        let ids: Vec<&str> = records
            .iter()
            .filter_map(|r| r.source_id.as_deref())
            .collect();
        assert_eq!(ids, ["2:4", "2:5"]);
        let text = records[1].text().unwrap();
        assert!(
            text.starts_with(r#"{"survey_response":{"id":2,"survey_id":3,"#)
                && text.ends_with(r#","question_response":{"id":5,"response":2,"question_id":5}}"#),
            "{text}"
        );
        // An owner keyed by its key only.
        let within = V1Within {
            of: V1Owner::Resource("surveys"),
            ..within
        };
        let records = within_of(&page.records, within);
        assert!(records[0]
            .text()
            .unwrap()
            .starts_with(r#"{"survey_response":"2","#));
    }

    #[test]
    fn records_read_per_owner_are_keyed_by_their_key_fields() {
        let body = r#"{"results":[{"name":"premier","person_id":2,"created_at":"2014-07-21T13:48:51-07:00","status":"active"},{"name":null,"person_id":2,"created_at":"2015-01-01T00:00:00Z"}],"next":null,"prev":null}"#;
        let page = parse_listing(body.as_bytes(), KeyRule::Id).unwrap();
        let key = V1RecordKey::Fields(&["person_id", "name", "created_at"]);
        let mut ordinals = Ordinals::default();
        let keyed: Vec<SourceRecord> = page
            .records
            .into_iter()
            .map(|r| keyed(r, key, "2", &mut ordinals))
            .collect();
        assert_eq!(
            keyed[0].source_id.as_deref(),
            Some("2:premier:2014-07-21T13:48:51-07:00")
        );
        assert!(keyed[0].defect.is_none(), "{:?}", keyed[0].defect);
        assert_eq!(
            keyed[1].source_id, None,
            "a record without a type name has no key"
        );
        assert_eq!(
            keyed[1].defect.as_ref().map(|d| d.field.as_str()),
            Some("id")
        );
    }

    #[test]
    fn tags_are_keyed_by_name() {
        let body = r#"{"results":[{"name":"doctor who","taggings_count":109},{"name":"a:b","taggings_count":0},{"name":"","taggings_count":0}],"next":null,"prev":null}"#;
        let page = parse_listing(body.as_bytes(), KeyRule::IdOrName).unwrap();
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
        let page = parse_listing(body.as_bytes(), KeyRule::IdOrName).unwrap();
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
        let page = parse_listing(real.as_bytes(), KeyRule::IdOrName).unwrap();
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
            s.changed_since(Resource::of("people"), Some("2024-01-01T00:00:00+01:00")),
            Some(Cursor::Link {
                next: Some(
                    "/api/v1/people/search?updated_since=2024-01-01T00%3A00%3A00%2B01%3A00&limit=100"
                        .into()
                )
            })
        );
        assert_eq!(s.changed_since(Resource::of("people"), None), None);
        assert_eq!(
            s.changed_since(Resource::of("taggings"), Some("2024-01-01T00:00:00Z")),
            None
        );
        for resource in [Resource::of("tags"), Resource::of("donations")] {
            assert_eq!(s.changed_since(resource, None), Some(s.start(resource)));
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
