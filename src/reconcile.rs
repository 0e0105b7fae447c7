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

use crate::checkpoint::StateStore;
use crate::fetch::{sweep_ids_observed, Cursor, Source};
use crate::load::{PageOutcome, Sink};
use crate::pipeline::{self, build_batch, Backend, Job, Mapper, Pass, PipelineError, RunSettings};
use crate::progress::{Progress, ReconcileChanges, ReconcileStep};
use crate::resource::Resource;

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
    if let Some(cursor) = source.changed_since(stream, mark.as_deref()) {
        let before = backend.sink.live_digest(nation, stream).await?;
        progress.reconcile_step(stream, ReconcileStep::CatchingUp { read: 0 });
        let pass = pipeline::run_stream(
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
        )
        .await?;
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
    // A stop signal ends the sweep at once: it has written nothing, and the next run sweeps
    // again (at real scale a sweep is minutes of requests).
    let swept = tokio::select! {
        swept = sweep_ids_observed(source, stream, |listed, total| {
            progress.reconcile_step(stream, ReconcileStep::Sweeping { listed, total });
        }) => swept.map_err(fail)?,
        () = settings.stop.wait() => return Err(PipelineError::Interrupted),
    };
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
            if let Some(record) = source.fetch_record(stream, id).await.map_err(fail)? {
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
                match source.fetch_record(stream, id).await.map_err(fail)? {
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
    let mut batch = build_batch(
        &settings.batch,
        stream,
        mapper,
        records,
        &mapper.checksum(),
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
    use crate::fetch::memory::Quirks;
    use crate::pipeline::testkit::{World, NATION};

    /// Migrates the world's nation, then deletes `gone` at the source.
    async fn exported_then_deleted(people: u64, gone: &[u64]) -> World {
        let world = World::new(people);
        world.run(&world.settings(1)).await.unwrap();
        for id in gone {
            world.source.delete_person(*id);
        }
        world
    }

    fn live_people(world: &World) -> usize {
        world.sink.rows(NATION, "core.people").len()
    }

    #[tokio::test]
    async fn records_confirmed_gone_are_removed_and_stay_archived() {
        let world = exported_then_deleted(100, &[7, 42]).await;
        let reports = world.run(&world.settings(2)).await.unwrap();
        let r = &reports[&Resource::of("people")].reconciled;
        assert_eq!(r.deleted, 2);
        assert_eq!(r.deletions_unchecked, None);
        assert_eq!(live_people(&world), 98);
        let raw = world.sink.raw(NATION, Resource::of("people"));
        assert_eq!(raw.len(), 100, "the archived bodies stay");
        assert!(raw["7"].deleted_at_source && raw["42"].deleted_at_source);
    }

    /// Raises the stop signal when reconciliation reaches a step of the kind `at` names.
    struct StopAt {
        at: fn(&ReconcileStep) -> bool,
        raise: std::sync::Mutex<Option<tokio::sync::watch::Sender<bool>>>,
    }

    impl Progress for StopAt {
        fn stream_started(&self, _: Resource, _: u64, _: Option<u64>) {}
        fn page_committed(&self, _: Resource, _: u64, _: Option<u64>) {}
        fn stream_finished(&self, _: Resource, _: bool) {}
        fn reconcile_step(&self, _: Resource, step: ReconcileStep) {
            if (self.at)(&step) {
                if let Some(raise) = self.raise.lock().unwrap().as_ref() {
                    raise.send(true).unwrap();
                }
            }
        }
    }

    async fn stopped_at(at: fn(&ReconcileStep) -> bool) {
        let world = exported_then_deleted(300, &[7, 42]).await;
        world.source.put_person(10_000, "2024-02-01T00:00:00Z");
        let (stop, raise) = crate::pipeline::StopSignal::new();
        let mut settings = world.settings(2);
        settings.stop = stop;
        let observer = std::sync::Arc::new(StopAt {
            at,
            raise: std::sync::Mutex::new(Some(raise)),
        });
        let err = world.run_observed(&settings, observer).await.unwrap_err();
        assert!(matches!(err, PipelineError::Interrupted), "{err}");
        let raw = world.sink.raw(NATION, Resource::of("people"));
        assert!(
            !raw["7"].deleted_at_source && !raw["42"].deleted_at_source,
            "a stopped round removes nothing"
        );
        assert!(
            live_people(&world) >= 300,
            "a stopped round removes nothing"
        );
        let reports = world.run(&world.settings(3)).await.unwrap();
        assert_eq!(live_people(&world), 299, "the next run finishes the round");
        assert_eq!(reports[&Resource::of("people")].reconciled.deleted, 2);
    }

    #[tokio::test]
    async fn a_stop_during_the_sweep_ends_it_at_once_and_removes_nothing() {
        stopped_at(|s| matches!(s, ReconcileStep::Sweeping { listed, .. } if *listed > 0)).await;
    }

    #[tokio::test]
    async fn a_stop_while_confirming_deletions_removes_nothing() {
        stopped_at(|s| matches!(s, ReconcileStep::Confirming { done: 1, .. })).await;
    }

    #[tokio::test]
    async fn a_stop_while_fetching_new_records_keeps_what_was_fetched() {
        stopped_at(|s| matches!(s, ReconcileStep::Fetching { done: 0, .. })).await;
    }

    #[tokio::test]
    async fn a_listing_that_stops_early_removes_nothing_and_says_so() {
        let world = exported_then_deleted(60, &[]).await;
        world.source.set_quirks(Quirks {
            sweep_stops_after: Some(20),
            ..Quirks::default()
        });
        let reports = world.run(&world.settings(2)).await.unwrap();
        let r = &reports[&Resource::of("people")].reconciled;
        assert_eq!(r.deleted, 0);
        assert!(
            r.deletions_unchecked
                .as_deref()
                .is_some_and(|w| w.contains("counts 60")),
            "{r:?}"
        );
        assert_eq!(live_people(&world), 60, "all 60 people stay");
    }

    #[tokio::test]
    async fn a_listing_whose_count_disagrees_removes_nothing() {
        let world = exported_then_deleted(60, &[]).await;
        // A listing that leaves out 40 ids while the API's count covers them.
        world.source.set_quirks(Quirks {
            unlisted: (1..=40).collect(),
            count_offset: 0,
            ..Quirks::default()
        });
        let reports = world.run(&world.settings(2)).await.unwrap();
        let r = &reports[&Resource::of("people")].reconciled;
        assert_eq!(r.deleted, 0);
        assert!(r.deletions_unchecked.is_some(), "{r:?}");
        assert_eq!(live_people(&world), 60);
    }

    #[tokio::test]
    async fn a_candidate_the_api_still_shows_stops_every_removal() {
        let world = exported_then_deleted(100, &[5]).await;
        // Listing and count agree (one left out, count one short) but the record still shows.
        world.source.set_quirks(Quirks {
            unlisted: [9].into_iter().collect(),
            count_offset: -1,
            ..Quirks::default()
        });
        let reports = world.run(&world.settings(2)).await.unwrap();
        let r = &reports[&Resource::of("people")].reconciled;
        assert_eq!(r.deleted, 0, "not even the one really gone");
        assert!(
            r.deletions_unchecked
                .as_deref()
                .is_some_and(|w| w.contains("still at the source")),
            "{r:?}"
        );
        assert_eq!(live_people(&world), 100);
    }

    #[tokio::test]
    async fn a_mass_deletion_asks_first_and_goes_ahead_when_allowed() {
        let gone: Vec<u64> = (1..=40).collect();
        let world = exported_then_deleted(60, &gone).await;
        let err = world.run(&world.settings(2)).await.unwrap_err();
        assert!(
            matches!(
                err,
                PipelineError::MassDelete {
                    count: 40,
                    live: 60,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("--allow-mass-delete"));
        assert_eq!(live_people(&world), 60, "nothing removed before asking");

        let mut settings = world.settings(3);
        settings.allow_mass_delete = true;
        let reports = world.run(&settings).await.unwrap();
        assert_eq!(reports[&Resource::of("people")].reconciled.deleted, 40);
        assert_eq!(live_people(&world), 20);
    }

    #[tokio::test]
    async fn records_new_at_source_are_fetched() {
        let world = exported_then_deleted(50, &[]).await;
        world.source.put_person(10_000, "2024-02-01T00:00:00Z");
        let reports = world.run(&world.settings(2)).await.unwrap();
        assert_eq!(reports[&Resource::of("people")].reconciled.fetched, 1);
        assert_eq!(reports[&Resource::of("people")].reconciled.new, 1);
        assert_eq!(reports[&Resource::of("people")].reconciled.updated, 0);
        assert_eq!(live_people(&world), 51);
    }

    /// Every call the run made to its progress display.
    #[derive(Debug, Default)]
    struct Recorder(std::sync::Mutex<Vec<Heard>>);

    #[derive(Debug, Clone, PartialEq)]
    enum Heard {
        Started(u64, Option<u64>),
        Round(u32),
        Step(ReconcileStep),
        Finished(ReconcileChanges),
    }

    impl Recorder {
        fn heard(&self) -> Vec<Heard> {
            self.0.lock().unwrap().clone()
        }
    }

    impl Progress for Recorder {
        fn stream_started(&self, _: Resource, committed: u64, total: Option<u64>) {
            self.0
                .lock()
                .unwrap()
                .push(Heard::Started(committed, total));
        }
        fn page_committed(&self, _: Resource, _: u64, _: Option<u64>) {}
        fn stream_finished(&self, _: Resource, _: bool) {}
        fn reconcile_started(&self, round: u32) {
            self.0.lock().unwrap().push(Heard::Round(round));
        }
        fn reconcile_step(&self, _: Resource, step: ReconcileStep) {
            self.0.lock().unwrap().push(Heard::Step(step));
        }
        fn reconcile_finished(&self, _: Resource, changes: ReconcileChanges) {
            self.0.lock().unwrap().push(Heard::Finished(changes));
        }
    }

    /// The display hears each reconciliation step with its real counts, to the end of each
    /// step, and what the round changed (issue 10).
    #[tokio::test]
    async fn the_display_hears_every_step_with_its_counts_and_the_changes() {
        let world = exported_then_deleted(100, &[7, 42]).await;
        world.source.put_person(10_000, "2020-01-01T00:00:00Z");
        let recorder = std::sync::Arc::new(Recorder::default());
        world
            .run_observed(&world.settings(2), recorder.clone())
            .await
            .unwrap();
        let heard = recorder.heard();
        assert!(heard.contains(&Heard::Round(1)), "{heard:?}");
        let steps: Vec<ReconcileStep> = heard
            .iter()
            .filter_map(|h| match h {
                Heard::Step(s) => Some(*s),
                _ => None,
            })
            .collect();
        let last_sweep = steps
            .iter()
            .rev()
            .find(|s| matches!(s, ReconcileStep::Sweeping { .. }));
        assert_eq!(
            last_sweep,
            Some(&ReconcileStep::Sweeping {
                listed: 99,
                total: Some(99)
            }),
            "{steps:?}"
        );
        assert!(
            steps.contains(&ReconcileStep::Fetching { done: 1, of: 1 }),
            "{steps:?}"
        );
        assert!(
            steps.contains(&ReconcileStep::Confirming { done: 2, of: 2 }),
            "{steps:?}"
        );
        let finished: Vec<&Heard> = heard
            .iter()
            .filter(|h| matches!(h, Heard::Finished(_)))
            .collect();
        assert_eq!(
            finished.first(),
            Some(&&Heard::Finished(ReconcileChanges {
                new: 1,
                updated: 0,
                deleted: 2,
                unchecked: false
            })),
            "{heard:?}"
        );

        // The next run's display starts at the committed count, never past the API's total
        // (the checkpoint counts re-reads too).
        let recorder = std::sync::Arc::new(Recorder::default());
        world
            .run_observed(&world.settings(3), recorder.clone())
            .await
            .unwrap();
        match recorder.heard().first() {
            Some(Heard::Started(committed, Some(total))) => {
                assert!(committed <= total, "{committed} > {total}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mass_deletion_needs_both_a_share_and_a_floor() {
        assert!(!is_mass_delete(10, 10));
        assert!(is_mass_delete(11, 100));
        assert!(!is_mass_delete(11, 1000));
        assert!(is_mass_delete(40, 60));
        assert!(is_mass_delete(7000, 10_000));
    }
}
