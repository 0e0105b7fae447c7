//! API v2 (JSON:API): every resource whose descriptor has a v2 binding
//! ([`crate::resource::V2Binding`]: collection path and type, `extra_fields`, sweep field, how
//! changes are found) is read the same way.
//!
//! Paging is keyset by default (`sort=id&filter[id][gt]=LAST`), which cannot skip or repeat a
//! record while the nation changes under the export. If the API refuses the id filter (a 400) or
//! visibly ignores it (ids not ascending past the cursor), the resource falls back to
//! `page[number]` paging, whose duplicates the loader absorbs by upserting on the id. Links in
//! the response are never trusted for the next URL (they may be absolute or relative, may drop
//! filters, and `next` may be absent, null or present on the last page): the next request is
//! built from our own parameters, and an empty `data` array ends the resource.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use url::Url;

use super::client::{redact_url, HttpClient};
use super::{
    scan, ApiProfile, Census, Cursor, FetchError, IdPage, KeyRule, Page, Source, SourceRecord,
};
use crate::resource::{Changes, Paging, Resource, V2Binding, V2Nested};

/// Reads a nation through API v2.
#[derive(Debug, Clone)]
pub struct V2Source {
    http: HttpClient,
    base: Url,
    page_size: u32,
    /// What each resource's requests taught us (shared by every clone of the source, so the
    /// main pass, catch-up passes and sweeps all ask the API the same way).
    profiles: Arc<Mutex<BTreeMap<Resource, ApiProfile>>>,
    /// The ids of the latest first page of each resource whose paging is unsure (see
    /// [`Paging::Unsure`]): a later page repeating them means the API ignores paging.
    first_pages: Arc<Mutex<BTreeMap<Resource, Vec<String>>>>,
    /// For each resource whose pages are asked to bring another's records (see
    /// [`crate::resource::Carried`]): how that is going.
    carrying: Arc<Mutex<BTreeMap<Resource, Carrying>>>,
}

/// How pages that bring another resource's records are going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrying {
    /// Asked for, `page_size` records a page (smaller after a page timed out).
    On {
        /// Records per page of the carrying resource.
        page_size: u32,
        /// Pages that brought the carried records.
        pages: u64,
    },
    /// Given up, for this reason: the carried resource is read on its own.
    Off(String),
}

/// The smallest page the carrying resource is asked for before its sideload is given up.
const CARRY_MIN_PAGE: u32 = 10;

/// Attempts of a page with a sideload before it is asked again smaller (a timeout repeats).
const CARRY_ATTEMPTS: u32 = 2;

impl V2Source {
    /// A source for the nation at `base` (e.g. `https://slug.nationbuilder.com`).
    pub fn new(http: HttpClient, base: Url, page_size: u32) -> Self {
        Self {
            http,
            base,
            page_size: page_size.clamp(1, 100),
            profiles: Arc::default(),
            first_pages: Arc::default(),
            carrying: Arc::default(),
        }
    }

    /// How carrying goes for `resource`, when it was asked for.
    pub fn carrying_state(&self, resource: Resource) -> Option<Carrying> {
        self.carrying
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&resource)
            .cloned()
    }

    fn set_carrying(&self, resource: Resource, state: Carrying) {
        if let Carrying::Off(why) = &state {
            tracing::info!(resource = resource.as_str(), why = %why, "the sideload is given up");
            self.learn(
                resource,
                ApiProfile {
                    carrying: Some(false),
                    ..ApiProfile::default()
                },
            );
        }
        self.carrying
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(resource, state);
    }

    /// The page `cursor` points at with the records `resource` carries, while carrying is on;
    /// `None` once it is off (the caller reads the page as usual). A page whose sideload keeps
    /// failing (timeouts, gateway errors, a body too large) is asked again half as large, down
    /// to [`CARRY_MIN_PAGE`]; after that, or when the API refuses the `include`, carrying is
    /// given up for the rest of the run and the reason kept.
    async fn carrying_page(
        &self,
        resource: Resource,
        cursor: &Cursor,
    ) -> Result<Option<Page>, FetchError> {
        let Some((carried, carried_resource)) = resource.carries() else {
            return Ok(None);
        };
        let Some(kind) = carried_resource.def().v2.map(|b| b.path) else {
            return Ok(None);
        };
        // Each failure halves the page or gives up: bounded by the halvings of 100.
        for _ in 0..8 {
            let Some(Carrying::On { page_size, pages }) = self.carrying_state(resource) else {
                return Ok(None);
            };
            if !matches!(cursor, Cursor::Keyset { .. }) {
                // Page numbers shift when the page size does: only keyset pages can shrink.
                self.set_carrying(
                    resource,
                    Carrying::Off(format!("{resource} are not paged by id")),
                );
                return Ok(None);
            }
            let mut url = self.page_url(resource, cursor)?;
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "page[size]")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page[size]", &page_size.to_string())
                .append_pair("include", carried.include);
            let parse = |body: &[u8]| parse_carrying(body, kind);
            let err = match self.http.get_within(&url, parse, CARRY_ATTEMPTS).await {
                Ok(fetched) => {
                    let (doc, included) = fetched.parsed;
                    if let Cursor::Keyset { after } = cursor {
                        if !doc.records.is_empty()
                            && !strictly_ascending_after(after.as_deref(), &doc.records)
                        {
                            // The id filter is ignored: the page asked as usual finds out.
                            self.set_carrying(
                                resource,
                                Carrying::Off(format!("{resource} do not page by id")),
                            );
                            return Ok(None);
                        }
                    }
                    let next = next_cursor(
                        cursor,
                        doc.records.last().and_then(|r| r.source_id.clone()),
                        doc.records.is_empty(),
                    );
                    self.set_carrying(
                        resource,
                        Carrying::On {
                            page_size,
                            pages: pages + 1,
                        },
                    );
                    return Ok(Some(Page {
                        records: doc.records,
                        next,
                        total: doc.total,
                        carried: Some((carried_resource, included)),
                    }));
                }
                Err(err) => err,
            };
            let include = carried.include;
            // A refusal that is not about the sideload teaches what any page would (the id
            // filter, say): learned here, so the page asked without it asks as it should.
            if let FetchError::Rejected {
                status: 400,
                code,
                message,
                ..
            } = &err
            {
                let text = format!("{code} {message}").to_ascii_lowercase();
                if !text.contains("includ") {
                    if let Some(lesson) =
                        refusal_lesson(cursor, code, message, self.profile(resource))
                    {
                        tracing::warn!(resource = %resource, lesson = lesson.describe(), "the API refused a request; asking differently from now on");
                        self.learn(resource, lesson.profile());
                    }
                }
            }
            // `None`: ask again on a smaller page; `Some(why)`: give the sideload up.
            let give_up = match err {
                // Rate limiting says nothing of the sideload: ask again as it was.
                FetchError::Exhausted { last, .. } if last == "HTTP 429" => continue,
                FetchError::Exhausted { .. } | FetchError::ResponseTooLarge { .. }
                    if page_size > CARRY_MIN_PAGE =>
                {
                    None
                }
                FetchError::Exhausted { last, .. } => Some(format!(
                    "include={include} failed even on pages of {page_size} ({last})"
                )),
                FetchError::ResponseTooLarge { limit_mb, .. } => Some(format!(
                    "pages of {page_size} with include={include} exceed {limit_mb} MB"
                )),
                FetchError::Rejected {
                    status: 400 | 404 | 422,
                    message,
                    ..
                } => Some(format!(
                    "the API refused a page with include={include}: {message}"
                )),
                err => return Err(err),
            };
            match give_up {
                None => {
                    tracing::info!(
                        resource = resource.as_str(),
                        page_size,
                        "a page with its sideload failed; asking for smaller pages"
                    );
                    self.set_carrying(
                        resource,
                        Carrying::On {
                            page_size: (page_size / 2).max(CARRY_MIN_PAGE),
                            pages,
                        },
                    );
                }
                Some(why) => {
                    self.set_carrying(resource, Carrying::Off(why));
                    return Ok(None);
                }
            }
        }
        self.set_carrying(
            resource,
            Carrying::Off(format!("include={} kept failing", carried.include)),
        );
        Ok(None)
    }

    /// How v2 serves `resource`, or why it cannot be read through v2.
    fn binding(resource: Resource) -> Result<V2Binding, FetchError> {
        resource.def().v2.ok_or_else(|| FetchError::Unsupported {
            api: "v2",
            operation: format!("reading {resource} (API v2 has no collection for it)"),
        })
    }

    fn collection_url(&self, resource: Resource) -> Result<Url, FetchError> {
        let path = Self::binding(resource)?.path;
        self.base
            .join(&format!("api/v2/{path}"))
            .map_err(|e| FetchError::Url(format!("{}: {e}", redact_url(&self.base))))
    }

    /// `/api/v2/<owner path>/<owner>/<segment>`: the members of one owner record.
    fn members_url(&self, nested: V2Nested, owner: &str) -> Result<Url, FetchError> {
        let path = Self::binding(Resource::of(nested.of))?.path;
        let mut url = self
            .base
            .join(&format!("api/v2/{path}"))
            .map_err(|e| FetchError::Url(format!("{}: {e}", redact_url(&self.base))))?;
        url.path_segments_mut()
            .map_err(|()| FetchError::Url(redact_url(&self.base)))?
            .push(owner)
            .push(nested.segment);
        Ok(url)
    }

    fn learn(&self, resource: Resource, learned: ApiProfile) {
        let mut profiles = self.profiles.lock().unwrap_or_else(|e| e.into_inner());
        let entry = profiles.entry(resource).or_default();
        *entry = entry.merged(learned);
    }

    /// The cursor to actually ask with, given what the API refused: keyset positions become
    /// page numbers once keyset paging was refused (from the start: an id position means
    /// nothing to offset paging, and upserts make re-reading harmless), and catch-up cursors
    /// become a full re-read once the `updated_at` filter was refused.
    fn effective(&self, resource: Resource, cursor: &Cursor) -> Cursor {
        let profile = self.profile(resource);
        let keyset = profile.keyset != Some(false);
        let since_ok = profile.updated_filter != Some(false);
        match cursor {
            Cursor::Keyset { .. } if !keyset => Cursor::PageNumber { number: 1 },
            Cursor::Since { .. } | Cursor::SincePage { .. } if !since_ok => self.start(resource),
            Cursor::Since { since, .. } if !keyset => Cursor::SincePage {
                since: since.clone(),
                number: 1,
            },
            other => other.clone(),
        }
    }

    /// The URL for the page `cursor` points at.
    pub fn page_url(&self, resource: Resource, cursor: &Cursor) -> Result<Url, FetchError> {
        self.paged_url(resource, self.collection_url(resource)?, cursor)
    }

    /// `url` (a collection) with the parameters of the page `cursor` points at.
    fn paged_url(
        &self,
        resource: Resource,
        mut url: Url,
        cursor: &Cursor,
    ) -> Result<Url, FetchError> {
        let binding = Self::binding(resource)?;
        let page_size = self.page_size_for(resource);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("page[size]", &page_size.to_string());
            let first = match cursor {
                Cursor::Keyset { after } => {
                    q.append_pair("sort", "id");
                    if let Some(after) = after {
                        q.append_pair("filter[id][gt]", after);
                    }
                    after.is_none()
                }
                Cursor::PageNumber { number } => {
                    q.append_pair("page[number]", &number.to_string());
                    *number == 1
                }
                Cursor::Since { since, after } => {
                    q.append_pair("sort", "id");
                    q.append_pair("filter[updated_at][gte]", since);
                    if let Some(after) = after {
                        q.append_pair("filter[id][gt]", after);
                    }
                    false
                }
                Cursor::SincePage { since, number } => {
                    q.append_pair("filter[updated_at][gte]", since);
                    q.append_pair("page[number]", &number.to_string());
                    false
                }
                Cursor::Link { .. } | Cursor::Nested { .. } | Cursor::Done => {
                    return Err(FetchError::Url(format!(
                        "cursor {cursor:?} is not a v2 page cursor"
                    )))
                }
            };
            if first {
                q.append_pair("stats[total]", "count");
            }
            if let Some(extra) = binding.extra_fields {
                q.append_pair(&format!("extra_fields[{}]", binding.path), extra);
            }
            if let Some(include) = binding.include {
                q.append_pair("include", include);
            }
        }
        Ok(url)
    }

    /// The collection URL of `resource` filtered to ids in `(after, upto]`, with the id sweep's
    /// sparse fieldset; `None` for a resource whose ids cannot be ranged (one read per owner,
    /// one that may not page, or whose keyset paging the API refused).
    fn range_url(
        &self,
        resource: Resource,
        after: u64,
        upto: Option<u64>,
    ) -> Result<Option<Url>, FetchError> {
        let binding = Self::binding(resource)?;
        if binding.nested.is_some()
            || binding.paging != Paging::Paged
            || self.profile(resource).keyset == Some(false)
        {
            return Ok(None);
        }
        let mut url = self.collection_url(resource)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("filter[id][gt]", &after.to_string());
            if let Some(upto) = upto {
                q.append_pair("filter[id][lte]", &upto.to_string());
            }
            q.append_pair(&format!("fields[{}]", binding.path), binding.sweep_field);
        }
        Ok(Some(url))
    }

    /// GETs a collection page, learning from a refusal and asking again the way the API
    /// accepts: keyset paging refused or ignored → `page[number]`; the `updated_at` filter
    /// refused → a full re-read; a page size refused → the documented default of 20. Each
    /// lesson is learned once per resource and kept (see [`ApiProfile`]).
    async fn get_learning(
        &self,
        resource: Resource,
        cursor: &Cursor,
        url_of: impl Fn(&Cursor) -> Result<Url, FetchError>,
    ) -> Result<(Cursor, Document), FetchError> {
        let mut cursor = self.effective(resource, cursor);
        // At most one lesson of each kind, so this loop ends.
        for _ in 0..4 {
            let url = url_of(&cursor)?;
            let result = self
                .http
                .get(&url, parse_document)
                .await
                .map(|f| f.parsed)
                .map(|doc| self.unpaged(resource, &cursor, doc))
                .and_then(|doc| {
                    if let Cursor::Keyset { after } | Cursor::Since { after, .. } = &cursor {
                        if !doc.records.is_empty()
                            && !strictly_ascending_after(after.as_deref(), &doc.records)
                        {
                            return Err(FetchError::Rejected {
                                status: 400,
                                url: super::client::redact_url(&url),
                                code: "keyset_ignored".into(),
                                message: "ids did not ascend past the cursor".into(),
                            });
                        }
                    }
                    Ok(doc)
                });
            let lesson = match &result {
                Err(FetchError::Rejected {
                    status: 400,
                    code,
                    message,
                    ..
                }) => refusal_lesson(&cursor, code, message, self.profile(resource)),
                _ => None,
            };
            match lesson {
                Some(lesson) => {
                    tracing::warn!(resource = %resource, lesson = lesson.describe(), "the API refused a request; asking differently from now on");
                    self.learn(resource, lesson.profile());
                    cursor = self.effective(resource, &cursor);
                }
                None => return result.map(|doc| (cursor, doc)),
            }
        }
        Err(FetchError::Rejected {
            status: 400,
            url: super::client::redact_url(&url_of(&cursor)?),
            code: "bad_request".into(),
            message: "the API refused every way of paging through this collection".into(),
        })
    }

    /// The page size asked of `resource`: the configured one, or smaller once the API refused it.
    fn page_size_for(&self, resource: Resource) -> u32 {
        self.profile(resource)
            .page_size
            .map_or(self.page_size, |p| p.min(self.page_size))
    }

    /// For a collection whose paging is unsure: remembers the ids of a first page, and turns a
    /// later page that repeats them exactly, and is not a full page, into the end of the
    /// collection (the API ignores paging, so the first answer held every record). Other
    /// documents pass unchanged.
    fn unpaged(&self, resource: Resource, cursor: &Cursor, mut doc: Document) -> Document {
        if resource.def().v2.map(|b| b.paging) != Some(Paging::Unsure) {
            return doc;
        }
        let ids: Vec<String> = doc
            .records
            .iter()
            .filter_map(|r| r.source_id.clone())
            .collect();
        // The first page of a pass: the main pass's, or a catch-up's (its filter on
        // `updated_at` may hold fewer records than the collection).
        let first = matches!(
            cursor,
            Cursor::Keyset { after: None }
                | Cursor::PageNumber { number: 1 }
                | Cursor::Since { after: None, .. }
                | Cursor::SincePage { number: 1, .. }
        );
        let mut pages = self.first_pages.lock().unwrap_or_else(|e| e.into_inner());
        if first {
            pages.insert(resource, ids);
        } else if !ids.is_empty()
            && ids.len() != self.page_size_for(resource) as usize
            && pages.get(&resource) == Some(&ids)
        {
            // Not a full page: either more records than asked for (the page size was ignored)
            // or fewer (the collection ends there); a full page repeated proves nothing and is
            // left to the paging guards.
            tracing::info!(resource = %resource, "the API ignores paging for this collection: its first page held every record");
            doc.records.clear();
        }
        doc
    }

    async fn get_page(&self, resource: Resource, cursor: &Cursor) -> Result<Page, FetchError> {
        let (cursor, doc) = self
            .get_learning(resource, cursor, |c| self.page_url(resource, c))
            .await?;
        let next = next_cursor(
            &cursor,
            doc.records.last().and_then(|r| r.source_id.clone()),
            doc.records.is_empty(),
        );
        Ok(Page {
            carried: None,
            records: doc.records,
            next,
            total: doc.total,
        })
    }
}

impl V2Source {
    /// The cursor a nested resource starts from: its owners' first page, nothing pending.
    fn nested_start(&self, nested: V2Nested) -> Cursor {
        Cursor::Nested {
            owners: Box::new(self.start(Resource::of(nested.of))),
            pending: Vec::new(),
            inner: Box::new(Cursor::Keyset { after: None }),
        }
    }

    /// The next page of a nested resource (a list's members) from `cursor`: reads the owners'
    /// ids page by page, and each owner's members page by page, until a page holds members or
    /// the owners end. Each member is wrapped with its owner (see [`V2Nested`]); `sparse` asks
    /// for ids only (sweeps). Bounded: at most [`NESTED_STEPS`] requests per call.
    async fn nested_page(
        &self,
        resource: Resource,
        nested: V2Nested,
        cursor: &Cursor,
        sparse: bool,
    ) -> Result<Page, FetchError> {
        let owner_resource = Resource::of(nested.of);
        let (mut owners, mut pending, mut inner) = match cursor {
            Cursor::Nested {
                owners,
                pending,
                inner,
            } => ((**owners).clone(), pending.clone(), (**inner).clone()),
            _ => match self.nested_start(nested) {
                Cursor::Nested {
                    owners,
                    pending,
                    inner,
                } => (*owners, pending, *inner),
                _ => (Cursor::Done, Vec::new(), Cursor::Done),
            },
        };
        let binding = Self::binding(resource)?;
        for _ in 0..NESTED_STEPS {
            let Some(owner) = pending.first().cloned() else {
                if owners == Cursor::Done {
                    return Ok(Page {
                        carried: None,
                        records: Vec::new(),
                        next: Cursor::Done,
                        total: None,
                    });
                }
                let page = self.id_page(owner_resource, &owners).await?;
                pending = page.ids;
                owners = page.next;
                inner = Cursor::Keyset { after: None };
                continue;
            };
            let url_of = |c: &Cursor| -> Result<Url, FetchError> {
                let url = self.paged_url(resource, self.members_url(nested, &owner)?, c)?;
                Ok(if sparse {
                    sparse_url(&url, binding.path, binding.sweep_field)
                } else {
                    url
                })
            };
            let fetched = self.get_learning(resource, &inner, url_of).await;
            let (asked, doc) = match fetched {
                Ok(done) => done,
                // The owner is gone since its id was listed: nothing of it to read.
                Err(FetchError::Rejected { status: 404, .. }) => {
                    pending.remove(0);
                    inner = Cursor::Keyset { after: None };
                    continue;
                }
                Err(err) => return Err(err),
            };
            let next_inner = next_cursor(
                &asked,
                doc.records.last().and_then(|r| r.source_id.clone()),
                doc.records.is_empty(),
            );
            if next_inner == Cursor::Done {
                pending.remove(0);
                inner = Cursor::Keyset { after: None };
            } else {
                inner = next_inner;
            }
            if doc.records.is_empty() {
                continue;
            }
            let records = doc
                .records
                .into_iter()
                .map(|member| wrap_member(nested, &owner, member))
                .collect();
            let next = if pending.is_empty() && owners == Cursor::Done {
                Cursor::Done
            } else {
                Cursor::Nested {
                    owners: Box::new(owners),
                    pending,
                    inner: Box::new(inner),
                }
            };
            return Ok(Page {
                carried: None,
                records,
                next,
                total: None,
            });
        }
        // Many owners without members in a row: hand back where the walk stands (an empty
        // page that moves on is not a loop: the cursor advanced).
        Ok(Page {
            carried: None,
            records: Vec::new(),
            next: Cursor::Nested {
                owners: Box::new(owners),
                pending,
                inner: Box::new(inner),
            },
            total: None,
        })
    }
}

impl V2Source {
    /// One page of an id-only sweep of a collection that is not nested: a sparse fieldset
    /// naming one small attribute keeps the pages small (ids and types are always present in
    /// JSON:API resource objects).
    async fn id_page(&self, resource: Resource, cursor: &Cursor) -> Result<IdPage, FetchError> {
        let binding = Self::binding(resource)?;
        let url_of = |c: &Cursor| -> Result<Url, FetchError> {
            Ok(sparse_url(
                &self.page_url(resource, c)?,
                binding.path,
                binding.sweep_field,
            ))
        };
        let (cursor, doc) = self.get_learning(resource, cursor, url_of).await?;
        let ids: Vec<String> = doc
            .records
            .iter()
            .filter_map(|r| r.source_id.clone())
            .collect();
        let next = next_cursor(&cursor, ids.last().cloned(), doc.records.is_empty());
        Ok(IdPage {
            unusable: (doc.records.len() - ids.len()) as u64,
            ids,
            next,
            total: doc.total,
        })
    }
}

/// How many requests one call of [`V2Source::nested_page`] may make before it hands back
/// where it stands.
const NESTED_STEPS: usize = 64;

/// `url` with the sparse fieldset of an id sweep (`fields[<type>]=<field>`) and without the
/// parameters that ask for more (`extra_fields`, `include`).
fn sparse_url(url: &Url, kind: &str, field: &str) -> Url {
    let mut url = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("extra_fields") && k != "include")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(&format!("fields[{kind}]"), field);
    url
}

/// A member as received, wrapped with its owner (`{"list_id":"7","signup":{…}}`) and keyed
/// `"<owner>:<member id>"`; a member without a usable id stays without one.
fn wrap_member(nested: V2Nested, owner: &str, member: SourceRecord) -> SourceRecord {
    let mut body = Vec::with_capacity(member.body.len() + 48);
    body.extend_from_slice(
        format!(
            "{{{}:{},{}:",
            serde_json::Value::from(nested.owner_field),
            serde_json::Value::from(owner),
            serde_json::Value::from(nested.member_field)
        )
        .as_bytes(),
    );
    body.extend_from_slice(&member.body);
    body.push(b'}');
    let mut record = SourceRecord::from_bytes(body, KeyRule::Id);
    match member.source_id {
        Some(id) => {
            match scan::key_text(
                Some(&serde_json::Value::String(format!("{owner}:{id}"))),
                "id",
            ) {
                Ok(key) => {
                    record.source_id = Some(key);
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
        }
        None => {
            record.source_id = None;
            record.defect = member.defect.or(record.defect);
        }
    }
    record
}

/// A refused request's lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lesson {
    /// `sort=id` / `filter[id][gt]` refused or ignored.
    NoKeyset,
    /// `filter[updated_at][gte]` refused.
    NoUpdatedFilter,
    /// The page size refused.
    SmallPages,
}

impl Lesson {
    fn profile(self) -> ApiProfile {
        match self {
            Lesson::NoKeyset => ApiProfile {
                keyset: Some(false),
                ..ApiProfile::default()
            },
            Lesson::NoUpdatedFilter => ApiProfile {
                updated_filter: Some(false),
                ..ApiProfile::default()
            },
            Lesson::SmallPages => ApiProfile {
                page_size: Some(20),
                ..ApiProfile::default()
            },
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Lesson::NoKeyset => {
                "keyset paging (sort=id, filter[id][gt]) refused: paging by page[number]"
            }
            Lesson::NoUpdatedFilter => {
                "filter[updated_at][gte] refused: catch-up re-reads the whole resource"
            }
            Lesson::SmallPages => "page[size] refused: asking for 20 per page",
        }
    }
}

/// What a 400 answer to a request made with `cursor` teaches, if anything new: the part of
/// the request the API named (or, when it named none, the most specific one we used).
fn refusal_lesson(cursor: &Cursor, code: &str, message: &str, known: ApiProfile) -> Option<Lesson> {
    let text = format!("{code} {message}").to_ascii_lowercase();
    let uses_keyset = matches!(cursor, Cursor::Keyset { .. } | Cursor::Since { .. });
    let uses_since = matches!(cursor, Cursor::Since { .. } | Cursor::SincePage { .. });
    let page_size_named = text.contains("page[size]") || text.contains("page size");
    if page_size_named && known.page_size.is_none() {
        return Some(Lesson::SmallPages);
    }
    let updated_named = text.contains("updated_at");
    if uses_since && updated_named && known.updated_filter != Some(false) {
        return Some(Lesson::NoUpdatedFilter);
    }
    if uses_keyset && known.keyset != Some(false) {
        return Some(Lesson::NoKeyset);
    }
    if uses_since && known.updated_filter != Some(false) {
        return Some(Lesson::NoUpdatedFilter);
    }
    None
}

/// The cursor after a page fetched with `cursor` whose last record has id `last`.
fn next_cursor(cursor: &Cursor, last: Option<String>, empty: bool) -> Cursor {
    if empty {
        return Cursor::Done;
    }
    match cursor {
        Cursor::Keyset { after } => Cursor::Keyset {
            after: last.or_else(|| after.clone()),
        },
        Cursor::PageNumber { number } => Cursor::PageNumber {
            number: number.saturating_add(1),
        },
        Cursor::Since { since, after } => Cursor::Since {
            since: since.clone(),
            after: last.or_else(|| after.clone()),
        },
        Cursor::SincePage { since, number } => Cursor::SincePage {
            since: since.clone(),
            number: number.saturating_add(1),
        },
        Cursor::Link { .. } | Cursor::Nested { .. } | Cursor::Done => Cursor::Done,
    }
}

impl Source for V2Source {
    fn api(&self) -> &'static str {
        "v2"
    }

    fn start(&self, resource: Resource) -> Cursor {
        if let Some(nested) = resource.def().v2.and_then(|b| b.nested) {
            return self.nested_start(nested);
        }
        if self.profile(resource).keyset == Some(false) {
            Cursor::PageNumber { number: 1 }
        } else {
            Cursor::Keyset { after: None }
        }
    }

    fn profile(&self, resource: Resource) -> ApiProfile {
        self.profiles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&resource)
            .copied()
            .unwrap_or_default()
    }

    fn adopt(&self, resource: Resource, profile: ApiProfile) {
        self.learn(resource, profile);
    }

    fn confirms_deletions(&self, resource: Resource) -> bool {
        // Without a show route only a complete listing speaks for a record.
        resource.has_show("v2")
    }

    async fn latest_update(&self, resource: Resource) -> Result<Option<String>, FetchError> {
        let binding = Self::binding(resource)?;
        if binding.nested.is_some() || binding.changes != Changes::UpdatedSince {
            return Ok(None);
        }
        let mut url = self.collection_url(resource)?;
        url.query_pairs_mut()
            .append_pair("sort", "-updated_at")
            .append_pair("page[size]", "1")
            .append_pair(&format!("fields[{}]", binding.path), "updated_at");
        // A refused sort is no time, not a failure: the first page's times serve instead.
        let doc = match self.http.get(&url, parse_document).await {
            Ok(fetched) => fetched.parsed,
            Err(FetchError::Rejected { status: 400, .. }) => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(doc
            .records
            .iter()
            .filter_map(|r| super::source_updated_at(&r.value))
            .max()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
    }

    async fn count_ids_in(
        &self,
        resource: Resource,
        after: u64,
        upto: Option<u64>,
    ) -> Result<Option<u64>, FetchError> {
        let Some(mut url) = self.range_url(resource, after, upto)? else {
            return Ok(None);
        };
        url.query_pairs_mut()
            .append_pair("page[size]", "1")
            .append_pair("stats[total]", "count");
        Ok(self.http.get(&url, parse_document).await?.parsed.total)
    }

    async fn ids_in(
        &self,
        resource: Resource,
        after: u64,
        upto: Option<u64>,
        expect: Option<u64>,
    ) -> Result<Option<Vec<String>>, FetchError> {
        let page_size = self.page_size_for(resource);
        let mut ids: Vec<String> = Vec::new();
        let mut from = after;
        // Each page moves `from` strictly up (checked below), so this ends; the bound is a
        // second guard against an API that keeps answering.
        for _ in 0..100_000 {
            let Some(mut url) = self.range_url(resource, from, upto)? else {
                return Ok(None);
            };
            url.query_pairs_mut()
                .append_pair("sort", "id")
                .append_pair("page[size]", &page_size.to_string());
            let doc = self.http.get(&url, parse_document).await?.parsed;
            if doc.records.is_empty() {
                return Ok(Some(ids));
            }
            let mut last = from;
            for record in &doc.records {
                // An id outside the range, or not ascending: the API did not keep to the
                // filter, and nothing here can be relied on.
                let Some(id) = record
                    .source_id
                    .as_deref()
                    .and_then(|i| i.parse::<u64>().ok())
                else {
                    return Ok(None);
                };
                if id <= last || upto.is_some_and(|u| id > u) {
                    return Ok(None);
                }
                last = id;
                ids.push(id.to_string());
            }
            if expect.is_some_and(|n| n > 0 && ids.len() as u64 >= n) {
                return Ok(Some(ids));
            }
            from = last;
        }
        Ok(None)
    }

    async fn census(&self, resource: Resource) -> Result<Census, FetchError> {
        let binding = Self::binding(resource)?;
        let Some(nested) = binding.nested else {
            // One record and the count of all: `stats[total]=count` (unconfirmed on
            // NationBuilder; no count is no estimate, not an error).
            let mut url = self.collection_url(resource)?;
            url.query_pairs_mut()
                .append_pair("page[size]", "1")
                .append_pair("stats[total]", "count");
            // A refused parameter (an API without `stats[total]`) is no count, not a failure.
            let total = match self.http.get(&url, parse_document).await {
                Ok(fetched) => fetched.parsed.total,
                Err(FetchError::Rejected { status: 400, .. }) => None,
                Err(err) => return Err(err),
            };
            return Ok(Census {
                records: total,
                requests: 1,
                ..Census::default()
            });
        };
        // A nested resource: its owners, and the counter each keeps of its members.
        let owner = Resource::of(nested.of);
        let owner_binding = Self::binding(owner)?;
        let mut census = Census::default();
        let mut cursor = self.start(owner);
        let mut per_owner = Vec::new();
        let mut complete = nested.owner_count.is_some();
        while cursor != Cursor::Done {
            let url_of = |c: &Cursor| -> Result<Url, FetchError> {
                let url = self.page_url(owner, c)?;
                Ok(match nested.owner_count {
                    Some(attribute) => sparse_url(&url, owner_binding.path, attribute),
                    None => sparse_url(&url, owner_binding.path, owner_binding.sweep_field),
                })
            };
            let (asked, doc) = self.get_learning(owner, &cursor, url_of).await?;
            census.requests += 1;
            for record in &doc.records {
                let count = nested.owner_count.and_then(|attribute| {
                    record
                        .value
                        .pointer(&format!("/attributes/{attribute}"))
                        .and_then(serde_json::Value::as_u64)
                });
                match count {
                    Some(n) => per_owner.push(n),
                    None => complete = false,
                }
            }
            census.owners = Some(census.owners.unwrap_or(0) + doc.records.len() as u64);
            cursor = next_cursor(
                &asked,
                doc.records.last().and_then(|r| r.source_id.clone()),
                doc.records.is_empty(),
            );
        }
        if complete {
            census.records = Some(per_owner.iter().sum());
            census.per_owner = per_owner;
        }
        Ok(census)
    }

    async fn fetch_id_page(
        &self,
        resource: Resource,
        cursor: &Cursor,
    ) -> Result<IdPage, FetchError> {
        let binding = Self::binding(resource)?;
        let Some(nested) = binding.nested else {
            return self.id_page(resource, cursor).await;
        };
        let page = self.nested_page(resource, nested, cursor, true).await?;
        let ids: Vec<String> = page
            .records
            .iter()
            .filter_map(|r| r.source_id.clone())
            .collect();
        Ok(IdPage {
            unusable: (page.records.len() - ids.len()) as u64,
            ids,
            next: page.next,
            total: None,
        })
    }

    async fn fetch_record(
        &self,
        resource: Resource,
        id: &str,
    ) -> Result<Option<SourceRecord>, FetchError> {
        let binding = Self::binding(resource)?;
        if !binding.show || binding.nested.is_some() {
            return Err(FetchError::Unsupported {
                api: "v2",
                operation: format!("fetching one {resource} record by id (no show route)"),
            });
        }
        let mut url = self.collection_url(resource)?;
        url.path_segments_mut()
            .map_err(|()| FetchError::Url(redact_url(&self.base)))?
            .push(id);
        if let Some(extra) = binding.extra_fields {
            url.query_pairs_mut()
                .append_pair(&format!("extra_fields[{}]", binding.path), extra);
        }
        if let Some(include) = binding.include {
            url.query_pairs_mut().append_pair("include", include);
        }
        let parse = |body: &[u8]| -> Option<SourceRecord> {
            let record = scan::member(body, "data")?;
            Some(SourceRecord::from_bytes(record.to_vec(), KeyRule::Id))
        };
        match self.http.get(&url, parse).await {
            Ok(fetched) => Ok(Some(fetched.parsed)),
            Err(FetchError::Rejected { status: 404, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn changed_since(&self, resource: Resource, since: Option<&str>) -> Option<Cursor> {
        let profile = self.profile(resource);
        match resource.def().v2?.changes {
            Changes::UpdatedSince => since.map(|since| {
                if profile.updated_filter == Some(false) {
                    // The filter was refused: the catch-up is a full re-read.
                    self.start(resource)
                } else if profile.keyset == Some(false) {
                    Cursor::SincePage {
                        since: since.to_owned(),
                        number: 1,
                    }
                } else {
                    Cursor::Since {
                        since: since.to_owned(),
                        after: None,
                    }
                }
            }),
            // No usable timestamp: the resource is read again whole (the descriptor says why).
            Changes::Reread => Some(self.start(resource)),
            // Records are only created or deleted, which the id sweep sees.
            Changes::Never => None,
        }
    }

    async fn fetch_page(&self, resource: Resource, cursor: &Cursor) -> Result<Page, FetchError> {
        match Self::binding(resource)?.nested {
            Some(nested) => self.nested_page(resource, nested, cursor, false).await,
            None => match self.carrying_page(resource, cursor).await? {
                Some(page) => Ok(page),
                None => self.get_page(resource, cursor).await,
            },
        }
    }

    fn start_carrying(&self, resource: Resource) -> bool {
        let profile = self.profile(resource);
        let usable = resource.carries().is_some()
            && Self::binding(resource).is_ok_and(|b| b.nested.is_none())
            && profile.keyset != Some(false)
            && profile.carrying != Some(false);
        if usable {
            self.learn(
                resource,
                ApiProfile {
                    carrying: Some(true),
                    ..ApiProfile::default()
                },
            );
            self.set_carrying(
                resource,
                Carrying::On {
                    page_size: self.page_size_for(resource),
                    pages: 0,
                },
            );
        }
        usable
    }

    fn stop_carrying(&self, resource: Resource) -> Option<Result<u64, String>> {
        let state = self.carrying_state(resource)?;
        self.carrying
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&resource);
        Some(match state {
            Carrying::On { pages, .. } => Ok(pages),
            Carrying::Off(why) => Err(why),
        })
    }
}

/// A parsed JSON:API collection document.
#[derive(Debug)]
pub struct Document {
    /// The resource objects.
    pub records: Vec<SourceRecord>,
    /// `meta.stats.total.count`, when present.
    pub total: Option<u64>,
}

/// Parses a collection document, keeping each resource object's exact bytes (see
/// [`scan::split`]: a record that is not valid UTF-8 or cannot be parsed does not make the page
/// unusable; it is archived and rejected). A leading UTF-8 BOM is skipped. `None` when the
/// body is not such a document (truncated, HTML from a proxy, …).
pub fn parse_document(body: &[u8]) -> Option<Document> {
    #[derive(Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        data: Vec<serde::de::IgnoredAny>,
        #[serde(default)]
        meta: Option<serde_json::Value>,
    }
    let split = scan::split(body, "data")?;
    // Only `meta` matters besides the records: a member the parser cannot read elsewhere in
    // the envelope (a lone surrogate in `links`, say) costs the total, not the page.
    let meta = match serde_json::from_slice::<Doc>(&split.envelope) {
        Ok(doc) => doc.meta,
        Err(_) => scan::member(&split.envelope, "meta")
            .and_then(|m| serde_json::from_slice::<serde_json::Value>(m).ok()),
    };
    let records = split
        .records
        .into_iter()
        .map(|raw| SourceRecord::from_bytes(raw.to_vec(), KeyRule::Id))
        .collect();
    let total = meta
        .as_ref()
        .and_then(|m| m.pointer("/stats/total/count"))
        .and_then(serde_json::Value::as_u64);
    Some(Document { records, total })
}

/// A collection document with the objects of JSON:API type `kind` its top-level `included`
/// array holds, each as received (others included are left).
pub fn parse_carrying(body: &[u8], kind: &str) -> Option<(Document, Vec<SourceRecord>)> {
    let doc = parse_document(body)?;
    let included = match scan::split(body, "included") {
        Some(split) => split
            .records
            .into_iter()
            .map(|raw| SourceRecord::from_bytes(raw.to_vec(), KeyRule::Id))
            .filter(|r| r.value.get("type").and_then(serde_json::Value::as_str) == Some(kind))
            .collect(),
        None => Vec::new(),
    };
    Some((doc, included))
}

/// What keeps a v2 record of `resource` out of the tables by its shape: a resource object of
/// another type (a donation in the people list), or `attributes` missing or not an object.
pub fn shape_defect(resource: Resource, value: &serde_json::Value) -> Option<scan::Defect> {
    let expected = resource.def().v2.map_or("", |b| b.path);
    // A nested member is checked inside the wrapper its owner was added to.
    if let Some(nested) = resource.def().v2.and_then(|b| b.nested) {
        return match value.get(nested.member_field) {
            Some(member) => shape_defect_of(expected, resource, member),
            None => Some(scan::Defect {
                field: format!("/{}", nested.member_field),
                reason: "expected the member as received, found nothing".into(),
            }),
        };
    }
    shape_defect_of(expected, resource, value)
}

/// [`shape_defect`] of a resource object expected to be of JSON:API type `expected`.
fn shape_defect_of(
    expected: &str,
    resource: Resource,
    value: &serde_json::Value,
) -> Option<scan::Defect> {
    let found = |v: Option<&serde_json::Value>| match v {
        None => "nothing".to_owned(),
        Some(serde_json::Value::Null) => "null".to_owned(),
        Some(serde_json::Value::String(_)) => "a string".to_owned(),
        Some(serde_json::Value::Array(_)) => "an array".to_owned(),
        Some(serde_json::Value::Object(_)) => "an object".to_owned(),
        Some(_) => "a scalar".to_owned(),
    };
    let Some(object) = value.as_object() else {
        return Some(scan::Defect {
            field: "(record)".into(),
            reason: format!("expected a resource object, found {}", found(Some(value))),
        });
    };
    match object.get("type") {
        None => {}
        Some(serde_json::Value::String(t)) if t == expected => {}
        Some(serde_json::Value::String(t)) => {
            let t = if t.len() > 40 || t.contains('\0') {
                "another type"
            } else {
                t
            };
            return Some(scan::Defect {
                field: "/type".into(),
                reason: format!(
                    "expected a resource of type {expected:?} in the {resource} list, found {t:?}"
                ),
            });
        }
        other => {
            return Some(scan::Defect {
                field: "/type".into(),
                reason: format!(
                    "expected the type {expected:?} as a string, found {}",
                    found(other)
                ),
            })
        }
    }
    match object.get("attributes") {
        Some(serde_json::Value::Object(_)) => None,
        other => Some(scan::Defect {
            field: "/attributes".into(),
            reason: format!("expected an object as attributes, found {}", found(other)),
        }),
    }
}

/// An id as text: JSON:API ids are strings, v1 ids numbers; anything else (or an id that
/// cannot be stored, see [`scan::key_text`]) is no id.
pub fn id_text(value: Option<&serde_json::Value>) -> Option<String> {
    scan::key_text(value, "id").ok()
}

/// Compares two ids numerically when both are integers, else as text.
pub fn id_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn strictly_ascending_after(after: Option<&str>, records: &[SourceRecord]) -> bool {
    let mut prev = after.map(str::to_owned);
    for record in records {
        let Some(id) = &record.source_id else {
            continue;
        };
        if let Some(p) = &prev {
            if id_cmp(id, p) != std::cmp::Ordering::Greater {
                return false;
            }
        }
        prev = Some(id.clone());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documents_and_keeps_exact_text() {
        let body = r#"{"data":[{"id":"18","type":"signups","attributes":{"first_name":"Zoë","n":1.0}}],
            "links":{"self":"/api/v2/signups?page[number]=1"},"meta":{"stats":{"total":{"count":402}}}}"#;
        let doc = parse_document(body.as_bytes()).unwrap();
        assert_eq!(doc.total, Some(402));
        assert_eq!(doc.records.len(), 1);
        assert_eq!(doc.records[0].source_id.as_deref(), Some("18"));
        assert_eq!(
            doc.records[0].text(),
            Some(r#"{"id":"18","type":"signups","attributes":{"first_name":"Zoë","n":1.0}}"#)
        );
        assert!(parse_document(br#"{"data":[{"id":"1"#).is_none());
        assert!(parse_document(b"<html>502 Bad Gateway</html>").is_none());
        assert!(parse_document(br#"{"data":[],"links":{"next":null}}"#)
            .is_some_and(|d| d.records.is_empty()));
    }

    #[test]
    fn ascending_check() {
        let rec = |id: &str| SourceRecord::from_value(Some(id.into()), serde_json::Value::Null);
        assert!(strictly_ascending_after(
            None,
            &[rec("1"), rec("2"), rec("10")]
        ));
        assert!(strictly_ascending_after(Some("9"), &[rec("10"), rec("11")]));
        assert!(!strictly_ascending_after(Some("10"), &[rec("1"), rec("2")]));
        assert!(!strictly_ascending_after(None, &[rec("2"), rec("2")]));
    }
}
