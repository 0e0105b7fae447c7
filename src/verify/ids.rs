//! The source side of the count equation: a fresh id-only sweep of the API (small pages, sparse
//! fieldsets, through the shared rate limiter), compared as sets with the archived ids.
//!
//! * at source, not archived: **new at source** when the id is above every archived id (keyset
//!   export reads ids in ascending order, so it could not have skipped it) and the record was
//!   created after the newest change seen in the archive; otherwise **missing** (a defect);
//! * archived, not at source: looked up by id; a 404 is **deleted at source** (explained), a
//!   record that is there after all is **not enumerated** (the sweep is not trustworthy);
//! * ids seen twice are **duplicates** (offset paging drift), subtracted from the enumeration.
//!
//! Lookups are bounded by a budget; ids beyond it are reported as unchecked. Where the API has
//! no route to fetch one record by id (v1 tags and donations), the sweep reads whole listing
//! pages instead (`sweep_listing`) and lookups answer from that listing: a record absent from
//! a complete listing is reported as deleted at source *without* a confirming 404, and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use tokio::task::JoinSet;

use super::findings::{finding, push_limited};
use super::report::{Finding, FindingClass};
use super::translate::time_attr;
use super::VerifyError;
use crate::fetch::v2::id_cmp;
use crate::fetch::{sweep_ids, Cursor, Source};
use crate::resource::Resource;

/// Requests in flight at once for lookups and the sample (all still paced by the limiter).
const CONCURRENCY: usize = 8;

/// What the sweep of one resource found.
#[derive(Debug, Default, Clone)]
pub(crate) struct SweepResult {
    pub enumerated: u64,
    pub reported_total: Option<u64>,
    pub duplicates: u64,
    pub new_at_source: u64,
    pub deleted_at_source: u64,
    pub missing: u64,
    pub not_enumerated: u64,
    pub marked_but_present: u64,
}

/// Reads every id of `resource` from the API. A sweep cut short by a non-advancing cursor keeps
/// what it read: the ids it missed then show up as not enumerated.
pub(crate) async fn sweep<S: Source>(
    source: &S,
    resource: Resource,
) -> Result<(Vec<String>, Option<u64>), VerifyError> {
    let sweep = sweep_ids(source, resource)
        .await
        .map_err(|source| VerifyError::Fetch { resource, source })?;
    Ok((sweep.ids, sweep.total))
}

/// Reads every record of `resource` from the API's listing pages: the ids in order, and the
/// records by id (for resources that cannot be fetched one by one).
pub(crate) async fn sweep_listing<S: Source>(
    source: &S,
    resource: Resource,
) -> Result<(Vec<String>, Option<u64>, BTreeMap<String, Value>), VerifyError> {
    let mut cursor = source.start(resource);
    let mut ids = Vec::new();
    let mut records = BTreeMap::new();
    let mut total = None;
    let mut first = true;
    while cursor != Cursor::Done {
        let page = source
            .fetch_page(resource, &cursor)
            .await
            .map_err(|source| VerifyError::Fetch { resource, source })?;
        if first {
            total = page.total;
            first = false;
        }
        if page.next == cursor {
            break;
        }
        for record in page.records {
            if let Some(id) = record.source_id {
                ids.push(id.clone());
                records.entry(id).or_insert(record.value);
            }
        }
        cursor = page.next;
    }
    Ok((ids, total, records))
}

/// Fetches `ids` by id, a few at a time; `None` for a 404. With `listing`, answers from the
/// records the sweep listed instead (`None`: not listed), without a request.
pub(crate) async fn fetch_many<S: Source + 'static>(
    source: &Arc<S>,
    resource: Resource,
    ids: &[String],
    listing: Option<&BTreeMap<String, Value>>,
) -> Result<BTreeMap<String, Option<Value>>, VerifyError> {
    if let Some(listed) = listing {
        return Ok(ids
            .iter()
            .map(|id| (id.clone(), listed.get(id).cloned()))
            .collect());
    }
    let mut out = BTreeMap::new();
    let mut pending = ids.iter().cloned();
    let mut tasks = JoinSet::new();
    loop {
        while tasks.len() < CONCURRENCY {
            let Some(id) = pending.next() else { break };
            let source = source.clone();
            tasks.spawn(async move {
                let got = source.fetch_record(resource, &id).await;
                (id, got)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (id, got) =
            joined.map_err(|e| VerifyError::Report(format!("lookup task failed: {e}")))?;
        let record = got.map_err(|source| VerifyError::Fetch { resource, source })?;
        out.insert(id, record.map(|r| r.value));
    }
    Ok(out)
}

/// Compares the sweep with the archive and classifies every difference.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn classify<S: Source + 'static>(
    source: &Arc<S>,
    resource: Resource,
    swept: Vec<String>,
    reported_total: Option<u64>,
    archived: &[String],
    marked_deleted: &[String],
    high_water: Option<DateTime<FixedOffset>>,
    listing: Option<&BTreeMap<String, Value>>,
    budget: &mut usize,
    findings: &mut Vec<Finding>,
) -> Result<SweepResult, VerifyError> {
    let mut result = SweepResult {
        enumerated: swept.len() as u64,
        reported_total,
        ..SweepResult::default()
    };
    let mut seen = BTreeSet::new();
    let mut listed = 0;
    for id in swept {
        if !seen.insert(id.clone()) {
            result.duplicates += 1;
            push_limited(
                findings,
                &mut listed,
                finding(
                    resource,
                    Some(&id),
                    "ids",
                    FindingClass::Explained,
                    "duplicate_in_sweep",
                    "the API listed this id more than once (paging drift); counted once".into(),
                ),
            );
        }
    }
    let archived_set: BTreeSet<&str> = archived.iter().map(String::as_str).collect();
    let max_archived = archived.iter().max_by(|a, b| id_cmp(a, b));
    let mut absent: Vec<String> = seen
        .iter()
        .filter(|id| !archived_set.contains(id.as_str()))
        .cloned()
        .collect();
    absent.sort_by(|a, b| id_cmp(a, b));
    let mut gone: Vec<String> = archived
        .iter()
        .filter(|id| !seen.contains(*id))
        .cloned()
        .collect();
    gone.sort_by(|a, b| id_cmp(a, b));

    let take = |list: &[String], budget: &mut usize| -> Vec<String> {
        let n = list.len().min(*budget);
        *budget -= n;
        list[..n].to_vec()
    };

    // At source but not archived.
    let candidates: Vec<String> = absent
        .iter()
        .filter(|id| max_archived.is_none_or(|m| id_cmp(id, m) == std::cmp::Ordering::Greater))
        .cloned()
        .collect();
    let checked = take(&candidates, budget);
    let looked = fetch_many(source, resource, &checked, listing).await?;
    let mut listed = 0;
    for id in &absent {
        let above = max_archived.is_none_or(|m| id_cmp(id, m) == std::cmp::Ordering::Greater);
        let (class, code, detail) = match (above, looked.get(id)) {
            (true, Some(record)) => {
                let created = record.as_ref().and_then(|r| time_attr(r, "created_at"));
                let after = match (created, high_water) {
                    (Some(c), Some(h)) => c > h,
                    // Nothing to compare with (tags have no timestamps): the id order decides.
                    _ => true,
                };
                if after {
                    (FindingClass::Explained, "new_at_source",
                        "at source, not archived: created after the export (id above every archived id, created after the newest archived change)")
                } else {
                    (
                        FindingClass::Defect,
                        "missing",
                        "at source, not archived, though created before the newest archived change",
                    )
                }
            }
            (true, None) => (
                FindingClass::Defect,
                "missing",
                "at source, not archived; not looked up (lookup budget exhausted)",
            ),
            (false, _) => (
                FindingClass::Defect,
                "missing",
                "at source, not archived, with an id below archived ids: the export skipped it",
            ),
        };
        if code == "new_at_source" {
            result.new_at_source += 1;
        } else {
            result.missing += 1;
        }
        push_limited(
            findings,
            &mut listed,
            finding(resource, Some(id), "ids", class, code, detail.into()),
        );
    }

    // Marked deleted by the export's reconciliation: expected gone, already established.
    let marked: BTreeSet<&str> = marked_deleted.iter().map(String::as_str).collect();
    let mut listed = 0;
    for id in marked_deleted {
        if seen.contains(id) {
            result.marked_but_present += 1;
            push_limited(findings, &mut listed, finding(resource, Some(id), "ids", FindingClass::Defect, "marked_deleted_but_present",
                "raw.records marks it deleted at source, yet the API lists it: its rows were removed wrongly".into()));
        } else {
            result.deleted_at_source += 1;
        }
    }
    let gone: Vec<String> = gone
        .into_iter()
        .filter(|id| !marked.contains(id.as_str()))
        .collect();

    // Archived but no longer listed.
    let checked = take(&gone, budget);
    let looked = fetch_many(source, resource, &checked, listing).await?;
    let mut listed = 0;
    for id in &gone {
        let (class, code, detail) = match looked.get(id) {
            Some(None) if listing.is_some() => (
                FindingClass::Explained,
                "deleted_at_source",
                "archived, and absent from the API's complete listing: deleted at source since the export (not confirmed by a 404: this API cannot fetch one such record by id)",
            ),
            Some(None) => (
                FindingClass::Explained,
                "deleted_at_source",
                "archived, and the API now answers 404: deleted at source since the export",
            ),
            Some(Some(_)) => (
                FindingClass::Defect,
                "not_enumerated",
                "archived and still at source, but the id sweep did not list it",
            ),
            None => (
                FindingClass::Explained,
                "deleted_at_source",
                "archived, not listed by the sweep; not looked up (lookup budget exhausted)",
            ),
        };
        if code == "not_enumerated" {
            result.not_enumerated += 1;
        } else {
            result.deleted_at_source += 1;
        }
        push_limited(
            findings,
            &mut listed,
            finding(resource, Some(id), "ids", class, code, detail.into()),
        );
    }
    Ok(result)
}
