//! The inventory before a run: for every resource a run would export, what the source holds
//! where the API says so cheaply ([`Census`]: `stats[total]=count`, `/people/count`, a list's
//! `signups_count`), the requests the export will need — the main pass and the end-of-run
//! reconciliation apart — and how long they take at the request budget. Consultants quote from
//! it; `migrate` prints it before it starts and records it with the run.
//!
//! The estimate is pure ([`estimate`]) and follows how the exporter pages: a v2 collection
//! costs one request per page plus the empty page that ends it, an id sweep the same with
//! sparse pages, a catch-up by `updated_at` one request when little changed, a re-read as much
//! as the main pass; a v1 listing ends on its last page (`next: null`), a resource read per
//! owner costs one request per owner; a run at the limit spends [`rate_limit::pace`] per
//! request.
//!
//! [`rate_limit::pace`]: crate::fetch::rate_limit::pace

use std::time::Duration;

use serde::Serialize;

use crate::fetch::rate_limit::{pace, RateSpec};
use crate::fetch::{Census, FetchError, Source};
use crate::resource::{Changes, Resource, V1Binding, V1Listing};

/// One resource of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The resource.
    pub resource: Resource,
    /// What the API said of its size.
    pub census: Census,
    /// Requests of the main pass; `None` when the size is unknown.
    pub main: Option<u64>,
    /// Requests of one reconciliation round when nothing changed; `None` when unknown.
    pub reconcile: Option<u64>,
    /// Of those, the catch-up's.
    pub catch_up: Option<u64>,
    /// Of those, the deletion check's (the id sweep).
    pub deletion_check: Option<u64>,
}

/// The inventory of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// `v1` or `v2`.
    pub api: &'static str,
    /// Records per page.
    pub page_size: u32,
    /// The request budget the estimate is for; `None` = unthrottled.
    #[serde(serialize_with = "rate_text")]
    pub rate_limit: Option<RateSpec>,
    /// Per resource, in registry order.
    pub resources: Vec<Entry>,
}

fn rate_text<S: serde::Serializer>(rate: &Option<RateSpec>, s: S) -> Result<S::Ok, S::Error> {
    match rate {
        Some(rate) => s.serialize_some(&rate.to_string()),
        None => s.serialize_none(),
    }
}

/// Request totals and durations of an inventory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Totals {
    /// Requests the inventory itself made.
    pub census_requests: u64,
    /// Requests of the main pass (of the resources whose size is known).
    pub main_requests: u64,
    /// Requests of one reconciliation round (of the resources whose size is known).
    pub reconcile_requests: u64,
    /// Of those, the catch-up's.
    pub catch_up_requests: u64,
    /// Of those, the deletion check's.
    pub deletion_check_requests: u64,
    /// Resources whose size the API does not give: not in the totals.
    pub unknown: usize,
    /// Seconds of the main pass at the budget; `None` unthrottled.
    pub main_seconds: Option<f64>,
    /// Seconds of reconciliation at the budget; `None` unthrottled.
    pub reconcile_seconds: Option<f64>,
}

impl Inventory {
    /// The totals, and how long they take at the budget.
    pub fn totals(&self) -> Totals {
        let sum = |f: fn(&Entry) -> Option<u64>| self.resources.iter().filter_map(f).sum::<u64>();
        let main_requests = sum(|e| e.main);
        let reconcile_requests = sum(|e| e.reconcile);
        let census_requests = self.resources.iter().map(|e| e.census.requests).sum();
        let seconds = |n: u64| self.rate_limit.map(|r| seconds_at(n, r));
        Totals {
            census_requests,
            main_requests,
            reconcile_requests,
            catch_up_requests: sum(|e| e.catch_up),
            deletion_check_requests: sum(|e| e.deletion_check),
            unknown: self.resources.iter().filter(|e| e.main.is_none()).count(),
            main_seconds: seconds(main_requests),
            reconcile_seconds: seconds(reconcile_requests),
        }
    }
}

/// How long `requests` take at `rate`.
pub fn seconds_at(requests: u64, rate: RateSpec) -> f64 {
    pace(rate).as_secs_f64() * requests as f64
}

/// A duration in words for the inventory (`40 s`, `12 min`, `3.5 h`).
pub fn duration_text(seconds: f64) -> String {
    let secs = seconds.ceil().max(0.0) as u64;
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{:.1} h", secs as f64 / 3600.0),
    }
}

/// Requests to read `n` records `per_page` at a time, keyset or page numbers: the pages that
/// hold records, then the empty page that ends the pass.
fn pages_to_empty(n: u64, per_page: u64) -> u64 {
    n.div_ceil(per_page) + 1
}

/// Requests of a v2 catch-up pass when little changed: the one-record probe of the latest
/// change that sets the mark before the main pass, the page of the records changed since it
/// (at least the one that set it: the filter is `gte`) and the empty page after it.
const V2_CATCH_UP: u64 = 3;

/// Requests of a quiet deletion check by counted id ranges (see
/// [`super::deletions`]): the count of all, the first hundred ids listed (a page and the empty
/// one after it) and counted, and the count above the newest archived id. It assumes the
/// API's counts honour the id filter, which the run checks (else the full sweep).
const V2_COUNTED_CHECK: u64 = 5;

/// The requests of one resource by purpose (see [`crate::fetch::client::Purpose`]); `None`
/// where the size is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// The main pass.
    pub main: Option<u64>,
    /// The catch-up of one quiet reconciliation round.
    pub catch_up: Option<u64>,
    /// The deletion check (the id sweep) of one quiet reconciliation round.
    pub deletion_check: Option<u64>,
}

impl Estimate {
    fn known(main: u64, catch_up: u64, deletion_check: u64) -> Self {
        Estimate {
            main: Some(main),
            catch_up: Some(catch_up),
            deletion_check: Some(deletion_check),
        }
    }

    const UNKNOWN: Estimate = Estimate {
        main: None,
        catch_up: None,
        deletion_check: None,
    };

    /// The requests of one quiet reconciliation round (catch-up and deletion check).
    pub fn reconcile(&self) -> Option<u64> {
        Some(self.catch_up? + self.deletion_check?)
    }
}

/// The requests of the main pass and of one quiet reconciliation round of `resource` through
/// `api`, from its census (`None` where the size is unknown).
pub fn estimate(
    resource: Resource,
    api: &str,
    census: &Census,
    page_size: u32,
    full_people: bool,
) -> (Option<u64>, Option<u64>) {
    let e = estimate_by_purpose(resource, api, census, page_size, full_people);
    (e.main, e.reconcile())
}

/// [`estimate`], by purpose.
pub fn estimate_by_purpose(
    resource: Resource,
    api: &str,
    census: &Census,
    page_size: u32,
    full_people: bool,
) -> Estimate {
    let ps = u64::from(page_size.max(1));
    let def = resource.def();
    if api == "v2" {
        let Some(v2) = def.v2 else {
            return Estimate::known(0, 0, 0);
        };
        if v2.nested.is_some() {
            // The owners' id pages, then each owner's member pages to the empty one.
            let (Some(owners), false) = (census.owners, census.per_owner.is_empty()) else {
                return Estimate::UNKNOWN;
            };
            let pass = pages_to_empty(owners, ps)
                + census
                    .per_owner
                    .iter()
                    .map(|&m| pages_to_empty(m, ps))
                    .sum::<u64>();
            // A list's members are read again whole, and that re-read is their id listing.
            let (catch_up, check) = match v2.changes {
                Changes::Never => (0, pass),
                Changes::UpdatedSince => (V2_CATCH_UP, pass),
                Changes::Reread => (pass, 0),
            };
            return Estimate::known(pass, catch_up, check);
        }
        let Some(n) = census.records else {
            return Estimate::UNKNOWN;
        };
        let pass = pages_to_empty(n, ps);
        // Where the API counts: ranges counted (a full sweep below two hundred records, which
        // costs as little); a resource read again whole needs no listing of its own.
        let sweep = if n >= 2 * super::deletions::LEAF as u64 {
            V2_COUNTED_CHECK
        } else {
            pass
        };
        let (catch_up, check) = match v2.changes {
            Changes::Never => (0, sweep),
            Changes::UpdatedSince => (V2_CATCH_UP, sweep),
            Changes::Reread => (pass, 0),
        };
        return Estimate::known(pass, catch_up, check);
    }
    match def.v1 {
        V1Binding::None => Estimate::known(0, 0, 0),
        V1Binding::Listing(listing) => {
            let Some(n) = census.records else {
                return Estimate::UNKNOWN;
            };
            // Token pages end on the last one (`next: null`); the first asks the count route
            // when the listing has one.
            let count = u64::from(listing.count.is_some());
            let pages = n.div_ceil(ps).max(1) + count;
            let full = match listing {
                V1Listing {
                    abbreviated: true,
                    show: Some(_),
                    ..
                } if full_people => n,
                _ => 0,
            };
            let catch_up = match listing.changes {
                Changes::Never => 0,
                Changes::UpdatedSince => 1,
                Changes::Reread => pages + full,
            };
            Estimate::known(pages + full, catch_up, pages)
        }
        // Read within the owners' pages: their pages again (and, through a chain of owners,
        // their requests, which the census cannot count: then the estimate is unknown).
        V1Binding::Embedded(_) | V1Binding::Within(_) => {
            let Some(owners) = census.owners else {
                return Estimate::UNKNOWN;
            };
            let pages = owners.div_ceil(ps).max(1);
            Estimate::known(pages, 0, pages)
        }
        V1Binding::PerRecord(per) => {
            let Some(owners) = census.owners else {
                return Estimate::UNKNOWN;
            };
            // The owners' pages, and one request per owner (its records fit a page).
            let pass = owners.div_ceil(ps).max(1) + owners;
            let catch_up = match per.changes {
                Changes::Never => 0,
                _ => pass,
            };
            Estimate::known(pass, catch_up, pass)
        }
    }
}

/// Why the inventory could not be taken: the API failed while counting a resource (the run
/// would meet the same failure on its first page).
#[derive(Debug, thiserror::Error)]
#[error("counting {resource} (inventory): {source}")]
pub struct InventoryError {
    /// The resource being counted.
    pub resource: Resource,
    /// The cause.
    #[source]
    pub source: FetchError,
}

/// Takes the inventory of `resources` through `source`: one census per resource, then the
/// estimate.
pub async fn take<S: Source>(
    source: &S,
    resources: &[Resource],
    page_size: u32,
    full_people: bool,
    rate_limit: Option<RateSpec>,
) -> Result<Inventory, InventoryError> {
    let mut entries = Vec::with_capacity(resources.len());
    for &resource in resources {
        // A count that kept failing for a transient reason is left unknown: the inventory is
        // a quote, not a precondition, and the export's own pages retry (and resume) on their
        // own. What retrying cannot fix (a refused token, an unreachable host) stops here.
        let census = match source.census(resource).await {
            Ok(census) => census,
            Err(FetchError::Exhausted { attempts, .. }) => {
                tracing::warn!(
                    resource = resource.as_str(),
                    attempts,
                    "could not count this resource (the API kept failing); its figures are unknown"
                );
                Census::default()
            }
            Err(source) => return Err(InventoryError { resource, source }),
        };
        let mut e = estimate_by_purpose(resource, source.api(), &census, page_size, full_people);
        // Through v2, a resource the pages of another one in the run bring (taggings with
        // people) costs its main pass only the count that closes it.
        if source.api() == "v2" {
            if let Some((_, by)) = resource.carried() {
                if resources.contains(&by) && e.main.is_some() {
                    e.main = Some(1);
                }
            }
        }
        entries.push(Entry {
            resource,
            census,
            main: e.main,
            reconcile: e.reconcile(),
            catch_up: e.catch_up,
            deletion_check: e.deletion_check,
        });
    }
    Ok(Inventory {
        api: source.api(),
        page_size,
        rate_limit,
        resources: entries,
    })
}

/// The inventory as a table for people (the lines `inventory` prints, and `migrate` before it
/// starts).
pub fn lines(inventory: &Inventory) -> Vec<String> {
    let w = crate::resource::name_width();
    let mut out = vec![format!(
        "{:<w$} {:>16} {:>9} {:>11}",
        "resource", "at source", "requests", "reconcile"
    )];
    let show = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    for e in &inventory.resources {
        let at_source = match (e.census.records, e.census.owners) {
            (Some(n), _) => n.to_string(),
            (None, Some(owners)) => format!("? ({owners} owners)"),
            (None, None) => "?".to_owned(),
        };
        out.push(format!(
            "{:<w$} {:>16} {:>9} {:>11}",
            e.resource.as_str(),
            at_source,
            show(e.main),
            show(e.reconcile)
        ));
    }
    let t = inventory.totals();
    let time = |s: Option<f64>| s.map_or_else(|| "unthrottled".to_owned(), duration_text);
    let budget = inventory
        .rate_limit
        .map_or_else(|| "no request budget".to_owned(), |r| format!("at {r}"));
    out.push(format!(
        "main pass: {} requests, about {}; reconciliation: {} requests ({} catch-up, {} deletion check), about {} ({budget}; counting took {} requests)",
        t.main_requests,
        time(t.main_seconds),
        t.reconcile_requests,
        t.catch_up_requests,
        t.deletion_check_requests,
        time(t.reconcile_seconds),
        t.census_requests
    ));
    if t.unknown > 0 {
        out.push(format!(
            "{} resource(s) without a count (the API gives none, or counting kept failing) are not in these figures (?)",
            t.unknown
        ));
    }
    out
}

/// Seconds as a [`Duration`] (for callers that time things).
pub fn as_duration(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census(records: u64) -> Census {
        Census {
            records: Some(records),
            requests: 1,
            ..Census::default()
        }
    }

    #[test]
    fn v2_pages_to_the_empty_page_and_counts_or_sweeps() {
        let people = Resource::of("people");
        // 250 records, 100 a page: pages of 100, 100, 50, then the empty one; the catch-up
        // probes the latest change, reads the changed page and the empty one; the deletion
        // check counts id ranges (two hundred records or more).
        assert_eq!(
            estimate(people, "v2", &census(250), 100, false),
            (Some(4), Some(3 + 5))
        );
        // Below two hundred the full sweep costs as little: as many pages as the pass.
        assert_eq!(
            estimate(people, "v2", &census(150), 100, false),
            (Some(3), Some(3 + 3))
        );
        // Taggings never change: no catch-up, the counted check only.
        let taggings = Resource::of("taggings");
        assert_eq!(
            estimate(taggings, "v2", &census(1000), 100, false),
            (Some(11), Some(5))
        );
        // Tags are read again whole, and that re-read is their listing.
        let tags = Resource::of("tags");
        assert_eq!(
            estimate(tags, "v2", &census(10), 100, false),
            (Some(2), Some(2))
        );
        assert_eq!(
            estimate(people, "v2", &Census::default(), 100, false),
            (None, None)
        );
    }

    #[test]
    fn v1_ends_on_the_last_page_and_full_people_costs_one_each() {
        let people = Resource::of("people");
        // The count route, then 3 pages.
        assert_eq!(
            estimate(people, "v1", &census(250), 100, false),
            (Some(4), Some(1 + 4))
        );
        assert_eq!(
            estimate(people, "v1", &census(250), 100, true),
            (Some(254), Some(1 + 4))
        );
        let taggings = Resource::of("taggings");
        let owners = Census {
            owners: Some(250),
            requests: 1,
            ..Census::default()
        };
        assert_eq!(
            estimate(taggings, "v1", &owners, 100, false),
            (Some(3), Some(3))
        );
    }

    #[test]
    fn durations_follow_the_pace() {
        let rate = RateSpec::default();
        let one = pace(rate).as_secs_f64();
        assert!((seconds_at(1000, rate) - 1000.0 * one).abs() < 1e-9);
        // 250 per 10 s, paced a little below: about 41 ms a request.
        assert!(one > 0.040 && one < 0.042, "{one}");
        assert_eq!(duration_text(59.2), "60 s");
        assert_eq!(duration_text(600.0), "10 min");
    }

    /// A source whose counts fail: transiently for people, fatally for tags.
    struct Failing;

    impl Source for Failing {
        fn api(&self) -> &'static str {
            "v2"
        }
        fn start(&self, _: Resource) -> crate::fetch::Cursor {
            crate::fetch::Cursor::Done
        }
        async fn fetch_page(
            &self,
            _: Resource,
            _: &crate::fetch::Cursor,
        ) -> Result<crate::fetch::Page, FetchError> {
            Err(FetchError::Url("unused".into()))
        }
        async fn fetch_id_page(
            &self,
            _: Resource,
            _: &crate::fetch::Cursor,
        ) -> Result<crate::fetch::IdPage, FetchError> {
            Err(FetchError::Url("unused".into()))
        }
        async fn fetch_record(
            &self,
            _: Resource,
            _: &str,
        ) -> Result<Option<crate::fetch::SourceRecord>, FetchError> {
            Ok(None)
        }
        fn changed_since(&self, _: Resource, _: Option<&str>) -> Option<crate::fetch::Cursor> {
            None
        }
        async fn census(&self, resource: Resource) -> Result<Census, FetchError> {
            if resource.as_str() == "people" {
                Err(FetchError::Exhausted {
                    url: "https://x.test/api/v2/signups".into(),
                    attempts: 3,
                    last: "HTTP 503".into(),
                })
            } else {
                Err(FetchError::Forbidden {
                    url: "https://x.test/api/v2/tags".into(),
                })
            }
        }
    }

    #[tokio::test]
    async fn a_count_that_keeps_failing_is_unknown_and_a_refusal_stops() {
        let people = Resource::of("people");
        let taken = take(&Failing, &[people], 100, false, None)
            .await
            .expect("a transient failure does not stop the inventory");
        assert_eq!(taken.resources[0].census.records, None);
        assert_eq!(taken.resources[0].main, None);
        assert!(lines(&taken)
            .iter()
            .any(|l| l.contains("counting kept failing")));
        let err = take(&Failing, &[people, Resource::of("tags")], 100, false, None)
            .await
            .expect_err("a refused token stops it");
        assert_eq!(err.resource.as_str(), "tags");
    }
}
