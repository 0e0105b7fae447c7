//! Reconcile: the end-of-run passes that make the loaded tables equal the source as of the end
//! of the run, even though the nation changed while it was being read.
//!
//! Keyset paging never skips or repeats a record, but it cannot see a change behind its cursor:
//! a person updated after their page was read, or deleted, or a record created with an id the
//! cursor had passed. NationBuilder has no tombstones, so after the main pass each stream is
//! reconciled in rounds until a round finds nothing:
//!
//! 1. **catch-up** — where the API can filter on `updated_at` (people, donations), re-read the
//!    records changed since the stream's mark on the source's own clock (small resources
//!    without `updated_at` are re-read whole);
//! 2. **sweep** — enumerate every id at the source (small id-only pages) and compare with the
//!    archive: ids the archive lacks are fetched one by one and loaded like any page; archived
//!    ids the source no longer lists are *candidates* for deletion.
//!
//! **Nothing is removed unless it is proven gone.** A sweep that did not reach the API's own
//! end of the collection, repeated itself, or whose id count disagrees with the API's own
//! count proves nothing: no candidate is removed, and the report says why
//! ([`ReconcileReport::deletions_unchecked`]). Where the API has a show route, each candidate
//! is confirmed by a 404 before its rows are removed; a candidate the API still shows means the
//! listing was short, and again nothing is removed. A round that would remove more than
//! [`MASS_DELETE_SHARE`] of a resource (and more than [`MASS_DELETE_FLOOR`] records) stops and
//! asks for `--allow-mass-delete` before confirming anything. The archived body of a record
//! gone at source stays, marked `raw.records.deleted_at_source`.
//!
//! Every write goes through the same one-transaction page commit as the main pass.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::deletions::{self, Counted};
use super::progress::{Progress, ReconcileChanges, ReconcileStep};
use super::run::{self, join_streams, Backend, Job, Pass, PipelineError, RunSettings, StreamSlots};
use crate::checkpoint::StateStore;
use crate::fetch::client::{for_purpose, Purpose};
use crate::fetch::{sweep_ids_observed, Cursor, Source};
use crate::load::{PageBatch, PageOutcome, Sink};
use crate::mapping::{build_batch, Mapper};
use crate::resource::{Dangling, Resource};

/// What reconciliation changed for one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Records re-read by catch-up passes.
    pub caught_up: u64,
    /// Records new at the source (first archived by this reconciliation).
    pub new: u64,
    /// Archived records that had changed at the source.
    pub updated: u64,
    /// Records found deleted at source (confirmed, rows removed).
    pub deleted: u64,
    /// Records fetched because the archive lacked them.
    pub fetched: u64,
    /// Rounds run.
    pub rounds: u32,
    /// Whether anything changed (count of changed records and catch-up passes that changed).
    pub changed: u64,
    /// Why deletions could not be checked in the last round, when they could not (the id
    /// listing was incomplete or contradicted by the API); nothing was removed then.
    pub deletions_unchecked: Option<String>,
    /// How the last round checked deletions: by counted id ranges (with its counts and range
    /// listings), or by a full id sweep and why.
    pub deletion_check: Option<String>,
}

impl ReconcileReport {
    /// Adds another round's findings (the latest round says whether deletions were checked).
    pub fn absorb(&mut self, other: ReconcileReport) {
        self.caught_up += other.caught_up;
        self.new += other.new;
        self.updated += other.updated;
        self.deleted += other.deleted;
        self.fetched += other.fetched;
        self.rounds += other.rounds;
        self.changed += other.changed;
        self.deletions_unchecked = other.deletions_unchecked;
        self.deletion_check = other.deletion_check;
    }
}

/// Rounds before giving up on a source that keeps changing (the last round's findings are
/// still applied; the next run continues).
pub const MAX_ROUNDS: u32 = 10;

/// The share of a resource's live records one round may remove without
/// `--allow-mass-delete`.
pub const MASS_DELETE_SHARE: f64 = 0.05;

/// Below this many candidates a round never counts as a mass deletion (small nations).
pub const MASS_DELETE_FLOOR: u64 = 10;

/// Whether removing `candidates` of `live` records is a mass deletion.
pub fn is_mass_delete(candidates: u64, live: u64) -> bool {
    candidates > MASS_DELETE_FLOOR && candidates as f64 > MASS_DELETE_SHARE * live as f64
}

/// Rounds with an incomplete id listing after which reconciliation stops trying again.
const UNCHECKED_ROUNDS: u32 = 3;

/// Reconciles every stream of `streams` (those whose main pass finished), round after round,
/// until a whole round changes nothing; returns what it changed per stream.
pub async fn reconcile_all<S, M, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    source: &Arc<S>,
    mapper: &Arc<M>,
    progress: &Arc<dyn Progress>,
    streams: &[Resource],
) -> Result<BTreeMap<Resource, ReconcileReport>, PipelineError>
where
    S: Source + 'static,
    M: Mapper + 'static,
    St: StateStore,
    K: Sink,
{
    let mut reports: BTreeMap<Resource, ReconcileReport> = streams
        .iter()
        .map(|s| (*s, ReconcileReport::default()))
        .collect();
    // A listing that came back incomplete (the nation changed while it was read, say) is
    // tried again in the next round, but only a few times: an API whose listings are always
    // short must not cost ten sweeps.
    let mut unchecked_rounds = 0;
    let waves = waves(streams);
    for round in 1..=MAX_ROUNDS {
        progress.reconcile_started(round);
        let mut changed = 0;
        let mut unchecked = false;
        for wave in &waves {
            let mut tasks = JoinSet::new();
            let slots = StreamSlots::new();
            for stream in wave.iter().copied() {
                let backend = backend.clone();
                let settings = settings.clone();
                let (source, mapper, progress) = (source.clone(), mapper.clone(), progress.clone());
                let slots = slots.clone();
                tasks.spawn(async move {
                    slots
                        .run(
                            stream,
                            reconcile_round(
                                &backend, &settings, &*source, &*mapper, &*progress, stream,
                            ),
                        )
                        .await
                });
            }
            let joined = join_streams(tasks, |_, _| {}).await;
            if let Some(err) = joined.first_error {
                return Err(err);
            }
            for (stream, found) in joined.finished {
                changed += found.changed;
                unchecked |= found.deletions_unchecked.is_some();
                if let Some(report) = reports.get_mut(&stream) {
                    report.absorb(found);
                }
            }
        }
        tracing::debug!(round, changed, unchecked, "reconciliation round");
        if unchecked {
            unchecked_rounds += 1;
        }
        if changed == 0 && (!unchecked || unchecked_rounds >= UNCHECKED_ROUNDS) {
            break;
        }
    }
    Ok(reports)
}

/// The order of a round: streams in waves, each after the streams it is kept together with
/// at the source ([`Dangling::Defect`] references: taggings after people and tags), so their
/// deletion checks know what those found deleted in the same round. Streams of one wave run
/// side by side.
fn waves(streams: &[Resource]) -> Vec<Vec<Resource>> {
    let mut level: BTreeMap<Resource, usize> = BTreeMap::new();
    // Each pass settles at least one more stream unless references form a cycle, which the
    // bound ends (the rest then go in the last wave).
    for _ in 0..=streams.len() {
        for &stream in streams {
            let after = stream
                .def()
                .references
                .iter()
                .filter(|r| r.dangling == Dangling::Defect && r.resource != stream.as_str())
                .filter_map(|r| Resource::named(r.resource))
                .filter(|of| streams.contains(of))
                .map(|of| level.get(&of).map_or(usize::MAX, |l| l + 1))
                .max()
                .unwrap_or(0);
            if after != usize::MAX {
                level.insert(stream, after.min(streams.len()));
            }
        }
    }
    let mut waves: Vec<Vec<Resource>> = Vec::new();
    for &stream in streams {
        let l = level.get(&stream).copied().unwrap_or(streams.len());
        if waves.len() <= l {
            waves.resize_with(l + 1, Vec::new);
        }
        waves[l].push(stream);
    }
    waves.retain(|w| !w.is_empty());
    waves
}

/// One reconciliation round of one stream: a catch-up pass, then an id sweep.
pub async fn reconcile_round<S, M, P, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    source: &S,
    mapper: &M,
    progress: &P,
    stream: Resource,
) -> Result<ReconcileReport, PipelineError>
where
    S: Source,
    M: Mapper,
    P: Progress + ?Sized,
    St: StateStore,
    K: Sink,
{
    let mut report = ReconcileReport {
        rounds: 1,
        ..ReconcileReport::default()
    };
    let nation = settings.nation();
    let fail = |source| PipelineError::Fetch { stream, source };
    let mut changed = 0u64;

    // 1. Catch-up from the mark on the source's clock.
    let mark = backend
        .store
        .checkpoints(nation)
        .await?
        .into_iter()
        .find(|c| c.stream == stream)
        .and_then(|c| c.source_clock);
    // A catch-up that re-read the resource whole lists every id at the source already.
    let mut reread: Option<crate::fetch::IdSweep> = None;
    if let Some(cursor) = source.changed_since(stream, mark.as_deref()) {
        let before = backend.sink.live_digest(nation, stream).await?;
        progress.reconcile_step(stream, ReconcileStep::CatchingUp { read: 0 });
        let pass = for_purpose(
            Purpose::CatchUp,
            run::run_stream(
                backend,
                settings,
                source,
                mapper,
                progress,
                Job {
                    stream,
                    from: cursor,
                    pass: Pass::CatchUp,
                },
            ),
        )
        .await?;
        reread = pass.listing.filter(crate::fetch::IdSweep::is_complete);
        report.caught_up += pass.archived;
        report.new += pass.new;
        report.updated += pass.changed;
        let after = backend.sink.live_digest(nation, stream).await?;
        changed += u64::from(before != after);
    }

    // 2. Sweep the ids at source and compare them with the archive.
    progress.reconcile_step(
        stream,
        ReconcileStep::Sweeping {
            listed: 0,
            total: None,
        },
    );
    // Where the catch-up re-read the whole resource, the ids it read are the listing; else
    // the ids are counted or swept (`check_deletions`).
    let mut already_confirmed = std::collections::BTreeSet::new();
    let swept = match reread {
        Some(listing) => {
            report.deletion_check =
                Some("the catch-up's re-read of every record (no id listing)".to_owned());
            progress.reconcile_step(
                stream,
                ReconcileStep::Sweeping {
                    listed: listing.ids.len() as u64,
                    total: listing.total,
                },
            );
            listing
        }
        None => {
            check_deletions(
                backend,
                settings,
                source,
                progress,
                stream,
                &mut report,
                &mut already_confirmed,
            )
            .await?
        }
    };
    tracing::info!(
        resource = stream.as_str(),
        method = report.deletion_check.as_deref().unwrap_or(""),
        "deletion check"
    );
    let diff = backend.sink.compare_ids(nation, stream, &swept.ids).await?;

    // New or reappeared at source: fetch them by id. Adding is safe whatever the sweep.
    let to_fetch = diff.unarchived.len() as u64;
    let mut asked = 0;
    for chunk in diff.unarchived.chunks(100) {
        let mut records = Vec::with_capacity(chunk.len());
        for id in chunk {
            progress.reconcile_step(
                stream,
                ReconcileStep::Fetching {
                    done: asked,
                    of: to_fetch,
                },
            );
            if settings.stop.is_set() {
                break;
            }
            asked += 1;
            // A record new at the source since the main pass: part of the catch-up.
            let fetched = for_purpose(Purpose::CatchUp, source.fetch_record(stream, id));
            if let Some(record) = fetched.await.map_err(fail)? {
                records.push(record);
            }
        }
        // What was fetched before a stop is kept; the next run fetches the rest.
        let outcome = commit_records(backend, settings, mapper, stream, &records).await?;
        report.fetched += outcome.archived;
        report.new += outcome.new;
        report.updated += outcome.changed;
        if settings.stop.is_set() {
            return Err(PipelineError::Interrupted);
        }
    }
    if to_fetch > 0 {
        progress.reconcile_step(
            stream,
            ReconcileStep::Fetching {
                done: asked,
                of: to_fetch,
            },
        );
    }
    changed += report.fetched;

    // Gone at source: only what is proven gone.
    let mut unchecked = swept.incomplete.clone();
    let mut confirmed = Vec::new();
    if unchecked.is_none() && !diff.absent.is_empty() {
        let (live, _) = backend.sink.live_digest(nation, stream).await?;
        let candidates = diff.absent.len() as u64;
        let live = u64::try_from(live).unwrap_or(0);
        if is_mass_delete(candidates, live) && !settings.allow_mass_delete {
            return Err(PipelineError::MassDelete {
                stream,
                count: candidates,
                live,
            });
        }
        if source.confirms_deletions(stream) {
            let mut still_there = Vec::new();
            for (i, id) in diff.absent.iter().enumerate() {
                // Nothing is removed before every candidate is confirmed: stopping here
                // removes nothing.
                if settings.stop.is_set() {
                    return Err(PipelineError::Interrupted);
                }
                progress.reconcile_step(
                    stream,
                    ReconcileStep::Confirming {
                        done: i as u64,
                        of: candidates,
                    },
                );
                if already_confirmed.contains(id) {
                    confirmed.push(id.clone());
                    continue;
                }
                let shown = for_purpose(Purpose::DeletionCheck, source.fetch_record(stream, id));
                match shown.await.map_err(fail)? {
                    None => confirmed.push(id.clone()),
                    Some(record) => still_there.push(record),
                }
            }
            progress.reconcile_step(
                stream,
                ReconcileStep::Confirming {
                    done: candidates,
                    of: candidates,
                },
            );
            if settings.stop.is_set() {
                return Err(PipelineError::Interrupted);
            }
            if !still_there.is_empty() {
                unchecked = Some(format!(
                    "{} records the id listing lacked are still at the source, so the listing is incomplete",
                    still_there.len()
                ));
                // They are fresh copies: keep the archive current with them.
                commit_records(backend, settings, mapper, stream, &still_there).await?;
            }
        } else {
            confirmed.clone_from(&diff.absent);
        }
    }
    crate::failpoint::hit(crate::failpoint::DURING_RECONCILE);
    match &unchecked {
        Some(reason) => {
            tracing::warn!(stream = %stream, reason = %reason, "deletions were not checked; nothing was removed");
        }
        None if !confirmed.is_empty() => {
            let tables = mapper.tables(stream);
            let marked = backend
                .sink
                .mark_deleted(nation, stream, &confirmed, &tables)
                .await?;
            tracing::info!(stream = %stream, count = marked, "records deleted at source since they were archived");
            report.deleted += marked;
            changed += marked;
        }
        None => {}
    }
    progress.reconcile_finished(
        stream,
        ReconcileChanges {
            new: report.new,
            updated: report.updated,
            deleted: report.deleted,
            unchecked: unchecked.is_some(),
        },
    );
    report.deletions_unchecked = unchecked;
    report.changed = changed;
    Ok(report)
}

/// The deletion check of one stream's round when its catch-up did not list every id: by
/// counted id ranges where the API allows it (see `deletions`), else a full id sweep. A stop
/// signal ends either at once: it has written nothing, and the next run checks again (at real
/// scale a sweep is minutes of requests). Suspects the source already answered 404 for go
/// into `already_confirmed`.
async fn check_deletions<S, P, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    source: &S,
    progress: &P,
    stream: Resource,
    report: &mut ReconcileReport,
    already_confirmed: &mut std::collections::BTreeSet<String>,
) -> Result<crate::fetch::IdSweep, PipelineError>
where
    S: Source,
    P: Progress + ?Sized,
    St: StateStore,
    K: Sink,
{
    let nation = settings.nation();
    let fail = |source| PipelineError::Fetch { stream, source };
    let archived = backend.sink.live_ids(nation, stream).await?;
    // Records the source keeps only with another it no longer has (a tagging whose person was
    // found deleted) are asked about first.
    let mut suspects = Vec::new();
    for reference in stream.def().references {
        if reference.dangling == Dangling::Defect {
            if let Some(of) = Resource::named(reference.resource) {
                suspects.extend(
                    backend
                        .sink
                        .orphans_of_deleted(nation, stream, reference.column, of)
                        .await?,
                );
            }
        }
    }
    suspects.sort_unstable();
    suspects.dedup();
    let counted = tokio::select! {
        counted = for_purpose(
            Purpose::DeletionCheck,
            deletions::counted_sweep(source, stream, &archived, &suspects),
        ) => counted.map_err(fail)?,
        () = settings.stop.wait() => return Err(PipelineError::Interrupted),
    };
    Ok(match counted {
        Counted::Swept {
            sweep,
            counts,
            listings,
            confirmed,
        } => {
            report.deletion_check = Some(if confirmed.is_empty() {
                format!("counted id ranges ({counts} counts, {listings} range listings)")
            } else {
                format!(
                    "counted id ranges ({counts} counts, {listings} range listings; {} \
                     records of deleted owners asked by id)",
                    confirmed.len()
                )
            });
            already_confirmed.extend(confirmed);
            progress.reconcile_step(
                stream,
                ReconcileStep::Sweeping {
                    listed: sweep.ids.len() as u64,
                    total: sweep.total,
                },
            );
            sweep
        }
        Counted::NotUsed(why) => {
            report.deletion_check = Some(format!("full id sweep ({why})"));
            tokio::select! {
                swept = for_purpose(Purpose::DeletionCheck, sweep_ids_observed(source, stream, |listed, total| {
                    progress.reconcile_step(stream, ReconcileStep::Sweeping { listed, total });
                })) => swept.map_err(fail)?,
                () = settings.stop.wait() => return Err(PipelineError::Interrupted),
            }
        }
    })
}

/// Commits records fetched one by one (by id) as one page, without moving the checkpoint's
/// cursor, counting what it changes.
async fn commit_records<M, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    mapper: &M,
    stream: Resource,
    records: &[crate::fetch::SourceRecord],
) -> Result<PageOutcome, PipelineError>
where
    M: Mapper,
    St: StateStore,
    K: Sink,
{
    if records.is_empty() {
        return Ok(PageOutcome::default());
    }
    let mapped = build_batch(&settings.batch.api, stream, mapper, records);
    let mut batch = PageBatch::new(
        &settings.batch,
        stream,
        mapped,
        &mapper.checksum_of(stream),
        Cursor::Done,
        None,
    );
    batch.advances_checkpoint = false;
    batch.count_changes = true;
    Ok(crate::load::commit(&*backend.sink, std::sync::Arc::new(batch)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_kept_with_others_wait_for_them() {
        let all: Vec<Resource> = Resource::all().collect();
        let waves = waves(&all);
        let wave_of = |name: &str| {
            let r = Resource::named(name).unwrap();
            waves.iter().position(|w| w.contains(&r)).unwrap()
        };
        assert!(wave_of("taggings") > wave_of("people"));
        assert!(wave_of("taggings") > wave_of("tags"));
        assert!(wave_of("events") > wave_of("pages"));
        assert!(wave_of("pages") > wave_of("sites"));
        assert_eq!(wave_of("donations"), 0);
        assert_eq!(waves.iter().map(Vec::len).sum::<usize>(), all.len());
        // A stream whose owners are not reconciled does not wait.
        let alone = waves_of(&["taggings", "donations"]);
        assert_eq!(alone.len(), 1);
    }

    fn waves_of(names: &[&str]) -> Vec<Vec<Resource>> {
        let streams: Vec<Resource> = names.iter().filter_map(|n| Resource::named(n)).collect();
        waves(&streams)
    }
}
