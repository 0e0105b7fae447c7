//! The in-memory [`Source`]: a small nation held in maps, read by keyset pages, with switches
//! for the misbehaviour reconciliation and the pipeline must survive — id listings that stop
//! early or leave records out, counts that disagree, pages that repeat. With
//! [`crate::checkpoint::MemoryStore`] and [`crate::load::MemorySink`] it lets the pipeline and
//! reconciliation be unit-tested without a network or a database. Records are v2 resource
//! objects (`{"id","type","attributes"}`), so the shipped v2 mappings map them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::{json, Value};

use super::{Cursor, FetchError, IdPage, Page, Source, SourceRecord};

use crate::resource::Resource;

/// How the in-memory source misbehaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Id listings end (with an empty page) after this many ids.
    pub sweep_stops_after: Option<usize>,
    /// Ids left out of id listings although the records exist (and show by id).
    pub unlisted: BTreeSet<u64>,
    /// Added to the true count the listings report.
    pub count_offset: i64,
    /// Every page after the first repeats the first (an API ignoring the cursor).
    pub repeat_pages: bool,
    /// Collections the API does not have: every page answers 404.
    pub missing: BTreeSet<Resource>,
    /// Counts of an id range give the whole collection's count (the filter is ignored).
    pub counts_ignore_filters: bool,
    /// No counts at all.
    pub no_counts: bool,
}

#[derive(Debug, Default)]
struct State {
    records: BTreeMap<Resource, BTreeMap<u64, Value>>,
    quirks: Quirks,
    requests: u64,
}

/// A nation in memory.
#[derive(Debug)]
pub struct MemorySource {
    page_size: usize,
    state: Mutex<State>,
}

impl MemorySource {
    /// A nation of `people` people (ids 1..=people), read `page_size` records a page.
    pub fn people(people: u64, page_size: usize) -> Self {
        let source = MemorySource {
            page_size: page_size.max(1),
            state: Mutex::default(),
        };
        for id in 1..=people {
            source.put_person(id, "2024-01-01T00:00:00Z");
        }
        source
    }

    /// The one resource this twin holds. It is unique here because the twin is test support
    /// for the pipeline and reconciliation, which need one resource, not a nation's worth.
    fn held() -> Resource {
        Resource::of("people")
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }

    /// Creates or replaces person `id`, last updated at `updated_at`.
    pub fn put_person(&self, id: u64, updated_at: &str) {
        let kind = Self::held().def().v2.map_or("", |b| b.path);
        let record = json!({
            "id": id.to_string(),
            "type": kind,
            "attributes": {
                "first_name": format!("Given{id}"),
                "last_name": format!("Family{id}"),
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": updated_at,
            }
        });
        self.with(|s| {
            s.records
                .entry(Self::held())
                .or_default()
                .insert(id, record)
        });
    }

    /// Deletes person `id` at the source.
    pub fn delete_person(&self, id: u64) {
        self.with(|s| {
            if let Some(people) = s.records.get_mut(&Self::held()) {
                people.remove(&id);
            }
        });
    }

    /// Sets how the source misbehaves.
    pub fn set_quirks(&self, quirks: Quirks) {
        self.with(|s| s.quirks = quirks);
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.with(|s| s.requests)
    }

    /// The ids of `resource` held now, ascending.
    pub fn ids(&self, resource: Resource) -> Vec<u64> {
        self.with(|s| {
            s.records
                .get(&resource)
                .map(|r| r.keys().copied().collect())
                .unwrap_or_default()
        })
    }

    fn record(id: u64, value: &Value) -> SourceRecord {
        SourceRecord::from_value(Some(id.to_string()), value.clone())
    }

    /// The records of `resource` after `after`, one page, honouring the quirks.
    fn page_after(
        &self,
        resource: Resource,
        cursor: &Cursor,
        listing: bool,
    ) -> (Vec<(u64, Value)>, u64) {
        self.with(|s| {
            s.requests += 1;
            let all = s.records.get(&resource).cloned().unwrap_or_default();
            let count = (all.len() as i64 + s.quirks.count_offset).max(0) as u64;
            let after = match cursor {
                Cursor::Keyset { after: Some(a) } => a.parse::<u64>().unwrap_or(0),
                _ => 0,
            };
            let after = if s.quirks.repeat_pages { 0 } else { after };
            let mut listed: Vec<(u64, Value)> = all
                .into_iter()
                .filter(|(id, _)| *id > after)
                .filter(|(id, _)| !(listing && s.quirks.unlisted.contains(id)))
                .collect();
            if listing {
                if let Some(stop) = s.quirks.sweep_stops_after {
                    let seen = s
                        .records
                        .get(&resource)
                        .map(|r| r.range(..=after).count())
                        .unwrap_or(0);
                    listed.truncate(stop.saturating_sub(seen));
                }
            }
            listed.truncate(self.page_size);
            (listed, count)
        })
    }
}

impl Source for MemorySource {
    fn api(&self) -> &'static str {
        "v2"
    }

    async fn count_ids_in(
        &self,
        resource: Resource,
        after: u64,
        upto: Option<u64>,
    ) -> Result<Option<u64>, FetchError> {
        Ok(self.with(|s| {
            s.requests += 1;
            if s.quirks.no_counts {
                return None;
            }
            let all = s.records.get(&resource);
            let all_count = all.map_or(0, |r| r.len() as u64);
            if s.quirks.counts_ignore_filters {
                return Some(all_count);
            }
            Some(all.map_or(0, |r| {
                r.keys()
                    .filter(|id| **id > after && upto.is_none_or(|u| **id <= u))
                    .count() as u64
            }))
        }))
    }

    async fn ids_in(
        &self,
        resource: Resource,
        after: u64,
        upto: Option<u64>,
        expect: Option<u64>,
    ) -> Result<Option<Vec<String>>, FetchError> {
        Ok(Some(self.with(|s| {
            let mut ids: Vec<String> = s
                .records
                .get(&resource)
                .map(|r| {
                    r.keys()
                        .filter(|id| **id > after && upto.is_none_or(|u| **id <= u))
                        .map(u64::to_string)
                        .collect()
                })
                .unwrap_or_default();
            // One request per page of the range, and the empty page after it unless the
            // expected count was reached on a page of its own.
            let pages = match expect {
                Some(n) if ids.len() as u64 >= n && n > 0 => {
                    ids.truncate(usize::try_from(n).unwrap_or(usize::MAX));
                    ids.len().div_ceil(self.page_size)
                }
                _ => ids.len() / self.page_size + 1,
            };
            s.requests += pages as u64;
            ids
        })))
    }

    fn start(&self, _resource: Resource) -> Cursor {
        Cursor::Keyset { after: None }
    }

    async fn fetch_page(&self, resource: Resource, cursor: &Cursor) -> Result<Page, FetchError> {
        let missing = {
            let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.quirks.missing.contains(&resource)
        };
        if missing {
            return Err(FetchError::Rejected {
                status: 404,
                url: format!("memory:/{resource}"),
                code: "not_found".into(),
                message: "Record not found".into(),
            });
        }
        let (records, count) = self.page_after(resource, cursor, false);
        let next = match records.last() {
            None => Cursor::Done,
            Some((id, _)) => Cursor::Keyset {
                after: Some(id.to_string()),
            },
        };
        Ok(Page {
            carried: None,
            records: records.iter().map(|(id, v)| Self::record(*id, v)).collect(),
            next,
            total: Some(count),
        })
    }

    async fn fetch_id_page(
        &self,
        resource: Resource,
        cursor: &Cursor,
    ) -> Result<IdPage, FetchError> {
        let (records, count) = self.page_after(resource, cursor, true);
        let ids: Vec<String> = records.iter().map(|(id, _)| id.to_string()).collect();
        let next = match ids.last() {
            None => Cursor::Done,
            Some(id) => Cursor::Keyset {
                after: Some(id.clone()),
            },
        };
        Ok(IdPage {
            ids,
            unusable: 0,
            next,
            total: Some(count),
        })
    }

    async fn fetch_record(
        &self,
        resource: Resource,
        id: &str,
    ) -> Result<Option<SourceRecord>, FetchError> {
        let key = id.parse::<u64>().unwrap_or(0);
        Ok(self.with(|s| {
            s.requests += 1;
            s.records
                .get(&resource)
                .and_then(|r| r.get(&key))
                .map(|v| Self::record(key, v))
        }))
    }

    fn changed_since(&self, _resource: Resource, _since: Option<&str>) -> Option<Cursor> {
        None
    }
}
