//! The deletion check by counted id ranges: instead of listing every id at the source (a page
//! per hundred records, whatever changed), reconciliation compares the source's count of each
//! id range with the archive's and lists only the ranges that differ, halving a differing range
//! until it is small enough to list. A nation with d deletions since the last run costs about
//! d × log₂(n / 100) counts and d small listings, not n / 100 pages.
//!
//! It relies on two things, so it is used only when both hold and the full sweep
//! ([`crate::fetch::sweep_ids`]) is kept otherwise:
//! - **The API counts a filtered collection** (`stats[total]=count` with `filter[id][gt]` and
//!   `[lte]`). The reference leaves that unknown, so it is checked on the nation itself first:
//!   the first hundred archived ids' range is listed and counted, and the count must equal the
//!   records listed (and differ from the whole collection's count). A count that ignores the
//!   filter, or no count, means the full sweep.
//! - **The catch-up ran first**, so every record created or changed since the last run is
//!   archived: then a range's count at the source is its archived count minus its deletions,
//!   and an equal count means nothing in it was deleted. The ids it reports still go through
//!   the same steps as a full sweep's (a record listed but not archived is fetched, an archived
//!   one not listed is confirmed gone by id before its rows are removed), and the ranges must
//!   add up to the source's count, or the full sweep is done instead.
//!
//! Every loop is bounded: when the ranges would cost more requests than the full sweep, the
//! check stops and the full sweep is done.

use crate::fetch::{FetchError, IdSweep, Source};
use crate::resource::Resource;

/// Archived ids in a range small enough to list it instead of halving it (one page).
pub(crate) const LEAF: usize = 100;

/// How a deletion check went: by counted id ranges, with its requests, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Counted {
    /// The ids at the source, found with `counts` counts and `listings` range listings.
    Swept {
        /// What the sweep found (as [`crate::fetch::sweep_ids`] would).
        sweep: IdSweep,
        /// Count requests made.
        counts: u64,
        /// Range listings made.
        listings: u64,
        /// Suspects the source already answered 404 for (confirmed gone: reconciliation need
        /// not ask again).
        confirmed: Vec<String>,
    },
    /// Not usable here: the reason, in words.
    NotUsed(String),
}

/// Checks deletions of `stream` by counted id ranges against `archived` (the live archived ids,
/// any order). `suspects` are archived ids likely gone (records whose owner the source no
/// longer keeps): where the source can confirm a deletion by id, each is asked first, and
/// those it no longer shows are left out of the counting, so deletions that follow from
/// others cost one request each instead of a descent. See the module documentation.
pub(crate) async fn counted_sweep<S: Source>(
    source: &S,
    stream: Resource,
    archived: &[String],
    suspects: &[String],
) -> Result<Counted, FetchError> {
    let not_used = |why: &str| Ok(Counted::NotUsed(why.to_owned()));
    let mut ids: Vec<u64> = Vec::with_capacity(archived.len());
    for id in archived {
        match id.parse::<u64>() {
            Ok(n) if n.to_string() == *id => ids.push(n),
            _ => return not_used("its ids are not plain numbers"),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 * LEAF {
        return not_used("it is small: a full sweep is as cheap");
    }
    let (mut counts, mut listings) = (0u64, 0u64);
    let Some(total) = source.count_ids_in(stream, 0, None).await? else {
        return not_used("the API gives no count for it");
    };
    counts += 1;

    // Suspects first: each one the source no longer shows is gone, and is left out.
    let mut confirmed = Vec::new();
    if !suspects.is_empty() && source.confirms_deletions(stream) {
        let mut gone = std::collections::BTreeSet::new();
        for id in suspects {
            if let Ok(n) = id.parse::<u64>() {
                if ids.binary_search(&n).is_ok() && source.fetch_record(stream, id).await?.is_none()
                {
                    gone.insert(n);
                    confirmed.push(id.clone());
                }
            }
        }
        ids.retain(|n| !gone.contains(n));
        if ids.len() < 2 * LEAF {
            return not_used("it is small: a full sweep is as cheap");
        }
    }

    // A full sweep costs a page per hundred records and the empty page after them.
    let budget = total / LEAF as u64 + 2;
    // Each deletion costs about a count per halving and a listing: when the archive holds so
    // many more records than the source that this would exceed the sweep, sweep at once.
    let gone = (ids.len() as u64).saturating_sub(total);
    let halvings = u64::from((ids.len() / LEAF).max(1).ilog2()) + 1;
    if gone.saturating_mul(halvings + 1) > budget {
        return not_used("the deletions are too many for counting to be cheaper");
    }

    // The check on the nation itself: a range whose true size is known from listing it.
    let first_hi = ids[LEAF - 1];
    let Some(first) = source.ids_in(stream, 0, Some(first_hi), None).await? else {
        return not_used("the API cannot list it by id range");
    };
    listings += 1;
    let Some(first_count) = source.count_ids_in(stream, 0, Some(first_hi)).await? else {
        return not_used("the API gives no count of an id range");
    };
    counts += 1;
    if first_count != first.len() as u64 || first_count == total {
        return not_used("the API's counts ignore the id filter");
    }

    let mut present: Vec<String> = first;
    // Records above the newest archived id: new at the source since the catch-up.
    let last = *ids.last().unwrap_or(&0);
    let Some(above) = source.count_ids_in(stream, last, None).await? else {
        return not_used("the API gives no count of an id range");
    };
    counts += 1;
    if above > 0 {
        let Some(listed) = source.ids_in(stream, last, None, Some(above)).await? else {
            return not_used("the API cannot list it by id range");
        };
        listings += 1;
        present.extend(listed);
    }
    // The rest, between the first hundred and the newest, is the total less both: no request.
    let Some(middle) = total
        .checked_sub(first_count)
        .and_then(|n| n.checked_sub(above))
    else {
        return not_used("the API's counts of a range and its parts disagree");
    };
    // Ranges still to look at: (after, upto, archived ids in it as an index range, its count at
    // the source when known). Of two halves only the first is counted: the second's count is
    // the whole's less the first's.
    let mut todo: Vec<(u64, u64, std::ops::Range<usize>, Option<u64>)> =
        vec![(first_hi, last, LEAF..ids.len(), Some(middle))];
    while let Some((after, upto, range, known)) = todo.pop() {
        if counts + listings > budget {
            return not_used("the deletions are too many for counting to be cheaper");
        }
        let archived_here = range.len() as u64;
        let at_source = match known {
            Some(n) => n,
            None => {
                let Some(n) = source.count_ids_in(stream, after, Some(upto)).await? else {
                    return not_used("the API gives no count of an id range");
                };
                counts += 1;
                n
            }
        };
        if at_source == archived_here {
            present.extend(ids[range].iter().map(u64::to_string));
        } else if at_source == 0 {
            // Everything archived here is gone at the source (each is still confirmed by id).
        } else if range.len() <= LEAF {
            let Some(listed) = source
                .ids_in(stream, after, Some(upto), Some(at_source))
                .await?
            else {
                return not_used("the API cannot list it by id range");
            };
            listings += 1;
            present.extend(listed);
        } else {
            let mid = range.start + range.len() / 2;
            let mid_id = ids[mid - 1];
            let Some(left) = source.count_ids_in(stream, after, Some(mid_id)).await? else {
                return not_used("the API gives no count of an id range");
            };
            counts += 1;
            let Some(right) = at_source.checked_sub(left) else {
                return not_used("the API's counts of a range and its halves disagree");
            };
            todo.push((mid_id, upto, mid..range.end, Some(right)));
            todo.push((after, mid_id, range.start..mid, Some(left)));
        }
    }
    if present.len() as u64 != total {
        return not_used(
            "the ranges do not add up to the API's count (the nation changed meanwhile)",
        );
    }
    Ok(Counted::Swept {
        sweep: IdSweep {
            ids: present,
            total: Some(total),
            ..IdSweep::default()
        },
        counts,
        listings,
        confirmed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::memory::{MemorySource, Quirks};

    fn people() -> Resource {
        Resource::of("people")
    }

    fn live(source: &MemorySource) -> Vec<String> {
        source.ids(people()).iter().map(u64::to_string).collect()
    }

    #[tokio::test]
    async fn a_few_deletions_cost_a_few_counts_and_are_found_exactly() {
        let source = MemorySource::people(5000, 100);
        let archived = live(&source);
        for id in [17, 2500, 4999] {
            source.delete_person(id);
        }
        let before = source.requests();
        let Counted::Swept {
            sweep,
            counts,
            listings,
            ..
        } = counted_sweep(&source, people(), &archived, &[])
            .await
            .unwrap()
        else {
            panic!("counting is usable here");
        };
        let mut found: Vec<u64> = sweep.ids.iter().map(|i| i.parse().unwrap()).collect();
        found.sort_unstable();
        assert_eq!(found.len(), 4997);
        for id in [17, 2500, 4999] {
            assert!(found.binary_search(&id).is_err());
        }
        assert_eq!(source.requests() - before, counts + listings);
        assert!(
            counts + listings <= 3 * 7 + 2,
            "{counts} counts and {listings} listings, where a full sweep costs 51 pages"
        );
    }

    #[tokio::test]
    async fn suspects_gone_at_the_source_cost_one_request_each() {
        let source = MemorySource::people(5000, 100);
        let archived = live(&source);
        let gone: Vec<u64> = (1..=5000).step_by(97).collect();
        for id in &gone {
            source.delete_person(*id);
        }
        // Suspects: the deleted ones and a few still there.
        let mut suspects: Vec<String> = gone.iter().map(u64::to_string).collect();
        suspects.extend(["2", "3"].map(String::from));
        let before = source.requests();
        let Counted::Swept {
            sweep,
            counts,
            listings,
            confirmed,
        } = counted_sweep(&source, people(), &archived, &suspects)
            .await
            .unwrap()
        else {
            panic!("counting is usable here");
        };
        assert_eq!(confirmed.len(), gone.len());
        assert_eq!(sweep.ids.len(), 5000 - gone.len());
        // Beyond one show per suspect: three counts and the check's listing (two pages: its
        // hundred ids and the empty page proving its end).
        assert_eq!(counts + listings, 4, "{counts} counts, {listings} listings");
        assert_eq!(source.requests() - before, suspects.len() as u64 + 5);
    }

    #[tokio::test]
    async fn new_records_above_the_archive_are_listed() {
        let source = MemorySource::people(1000, 100);
        let archived = live(&source);
        source.put_person(1001, "2026-01-01T00:00:00Z");
        let Counted::Swept { sweep, .. } = counted_sweep(&source, people(), &archived, &[])
            .await
            .unwrap()
        else {
            panic!("counting is usable here");
        };
        assert!(sweep.ids.contains(&"1001".to_owned()));
        assert_eq!(sweep.ids.len(), 1001);
    }

    #[tokio::test]
    async fn counts_that_ignore_the_filter_or_no_counts_mean_a_full_sweep() {
        for quirks in [
            Quirks {
                counts_ignore_filters: true,
                ..Quirks::default()
            },
            Quirks {
                no_counts: true,
                ..Quirks::default()
            },
        ] {
            let source = MemorySource::people(1000, 100);
            let archived = live(&source);
            source.set_quirks(quirks.clone());
            let outcome = counted_sweep(&source, people(), &archived, &[])
                .await
                .unwrap();
            assert!(
                matches!(outcome, Counted::NotUsed(_)),
                "{quirks:?}: {outcome:?}"
            );
        }
    }

    #[tokio::test]
    async fn many_deletions_stop_counting_within_a_full_sweeps_budget() {
        let source = MemorySource::people(2000, 100);
        let archived = live(&source);
        for id in (1..=2000).step_by(3) {
            source.delete_person(id);
        }
        let before = source.requests();
        let outcome = counted_sweep(&source, people(), &archived, &[])
            .await
            .unwrap();
        assert!(matches!(outcome, Counted::NotUsed(_)), "{outcome:?}");
        assert!(source.requests() - before <= 2000 / 100 + 4);
    }
}
