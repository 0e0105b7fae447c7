//! Unit tests of the main pass and of reconciliation, on the in-memory twins (a nation in
//! memory, the state store and the sink): commits failing fatally or transiently, outages past
//! the retry window, stop signals, paging loops, deletions proven or not, mass deletions. The
//! [`testkit`] is what they share.

/// What the main-pass and reconciliation tests share: a nation in memory, the state store and
/// the sink twins, the shipped v2 mappings.
pub(crate) mod testkit {
    use std::sync::Arc;

    use std::collections::BTreeMap;

    use crate::checkpoint::{MemoryStore, StateStore};
    use crate::fetch::memory::MemorySource;
    use crate::fetch::Source;
    use crate::load::MemorySink;
    use crate::mapping::{Api, Mapper, MappingMapper, MappingSet};
    use crate::pipeline::plan;
    use crate::pipeline::progress::{NoProgress, Progress};
    use crate::pipeline::reconcile::{reconcile_all, ReconcileReport};
    use crate::pipeline::run::{run, Backend, PipelineError, RunSettings, StreamReport};
    use crate::resource::Resource;

    /// The nation slug of every test.
    pub const NATION: &str = "testnation";

    /// What a run did: the main pass and reconciliation, per stream.
    #[derive(Debug)]
    pub struct Ran {
        pub main: BTreeMap<Resource, StreamReport>,
        pub reconciled: BTreeMap<Resource, ReconcileReport>,
    }

    /// One test's world.
    pub struct World {
        pub source: Arc<MemorySource>,
        pub store: Arc<MemoryStore>,
        pub sink: Arc<MemorySink>,
        pub mapper: Arc<MappingMapper>,
    }

    impl World {
        /// `people` people read 20 a page, into empty twins.
        pub fn new(people: u64) -> World {
            let store = Arc::new(MemoryStore::new());
            let set = MappingSet::builtin(Api::V2).expect("the shipped v2 mappings load");
            World {
                source: Arc::new(MemorySource::people(people, 20)),
                sink: Arc::new(MemorySink::new(store.clone())),
                store,
                mapper: Arc::new(MappingMapper::new(set, "EUR", None)),
            }
        }

        pub fn backend(&self) -> Backend<MemoryStore, MemorySink> {
            Backend {
                store: self.store.clone(),
                sink: self.sink.clone(),
            }
        }

        /// Settings of run `run_id` with a short database retry window.
        pub fn settings(&self, run_id: i64) -> RunSettings {
            let mut settings = RunSettings::new(NATION, "v2", run_id);
            settings.db_retry.window = std::time::Duration::from_secs(2);
            settings.db_retry.first_pause = std::time::Duration::from_millis(1);
            settings
        }

        /// Plans from the committed checkpoints, runs the people stream, then reconciles it
        /// (as the app does).
        pub async fn run(&self, settings: &RunSettings) -> Result<Ran, PipelineError> {
            self.run_observed(settings, Arc::new(NoProgress)).await
        }

        /// [`World::run`], reporting to `progress`.
        pub async fn run_observed(
            &self,
            settings: &RunSettings,
            progress: Arc<dyn Progress>,
        ) -> Result<Ran, PipelineError> {
            let checkpoints = self.store.checkpoints(NATION).await?;
            let steps = plan::plan(
                &checkpoints,
                &[Resource::of("people")],
                |s| self.source.start(s),
                "v2",
                |r| self.mapper.checksum_of(r),
                false,
            )
            .expect("plans");
            let main = run(
                &self.backend(),
                settings,
                self.source.clone(),
                self.mapper.clone(),
                progress.clone(),
                steps,
            )
            .await?;
            let streams: Vec<Resource> = main.keys().copied().collect();
            let reconciled = reconcile_all(
                &self.backend(),
                settings,
                &self.source,
                &self.mapper,
                &progress,
                &streams,
            )
            .await?;
            Ok(Ran { main, reconciled })
        }

        /// The live archive and the people rows, to compare two worlds.
        pub fn snapshot(&self) -> (Vec<(String, String, bool)>, Vec<String>) {
            let raw = self
                .sink
                .raw(NATION, Resource::of("people"))
                .into_iter()
                .map(|(id, r)| (id, r.sha256, r.deleted_at_source))
                .collect();
            let people = self
                .sink
                .rows(NATION, "core.people")
                .into_iter()
                .map(|(id, row)| format!("{id}:{:?}", row.get("family_name")))
                .collect();
            (raw, people)
        }
    }
}

/// The main pass.
mod run {
    use super::testkit::*;
    use crate::checkpoint::{status, StateStore};
    use crate::fetch::memory::Quirks;
    use crate::fetch::Cursor;
    use crate::pipeline::run::{PipelineError, StopSignal};
    use crate::resource::Resource;

    #[tokio::test]
    async fn a_run_loads_every_record_and_finishes_its_checkpoint() {
        let world = World::new(250);
        let reports = world.run(&world.settings(1)).await.unwrap();
        assert!(reports.main[&Resource::of("people")].done);
        assert_eq!(world.sink.raw(NATION, Resource::of("people")).len(), 250);
        assert_eq!(world.sink.rows(NATION, "core.people").len(), 250);
        let cp = &world.store.checkpoints(NATION).await.unwrap()[0];
        assert_eq!(cp.cursor, Cursor::Done);
        assert_eq!(cp.status, status::DONE);
        assert_eq!(cp.records, 250);
        assert_eq!(
            world.store.spool_waiting(NATION).await.unwrap(),
            0,
            "every spooled page left the spool with its commit"
        );
    }

    #[tokio::test]
    async fn a_failed_commit_stops_the_run_at_its_last_page_and_the_next_run_completes_it() {
        let clean = World::new(250);
        clean.run(&clean.settings(1)).await.unwrap();

        let world = World::new(250);
        world.sink.fail_at("finish", 4, false);
        let err = world.run(&world.settings(1)).await.unwrap_err();
        assert!(matches!(err, PipelineError::Load(_)), "{err}");
        let cp = &world.store.checkpoints(NATION).await.unwrap()[0];
        assert_eq!(
            cp.pages, 4,
            "the checkpoint stands at the last committed page"
        );
        assert_eq!(cp.status, status::FAILED);
        world.run(&world.settings(2)).await.unwrap();
        assert_eq!(world.snapshot(), clean.snapshot());
    }

    #[tokio::test]
    async fn transient_database_faults_are_ridden_out_in_the_same_run() {
        let clean = World::new(250);
        clean.run(&clean.settings(1)).await.unwrap();

        let world = World::new(250);
        world.sink.fail_at("finish", 3, true);
        world.sink.fail_at("prepare", 6, true);
        world.store.fail_at("spool_put", 8, true);
        world.run(&world.settings(1)).await.unwrap();
        assert_eq!(world.snapshot(), clean.snapshot());
    }

    #[tokio::test]
    async fn a_database_outage_longer_than_the_window_stops_the_run() {
        let world = World::new(100);
        let mut settings = world.settings(1);
        settings.db_retry.window = std::time::Duration::ZERO;
        world.sink.fail_from("finish", 2, true);
        let err = world.run(&settings).await.unwrap_err();
        assert!(
            matches!(err, PipelineError::Load(ref e) if e.is_transient()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_stop_signal_commits_what_was_fetched_and_interrupts() {
        let clean = World::new(250);
        clean.run(&clean.settings(1)).await.unwrap();

        let world = World::new(250);
        let (stop, raise) = StopSignal::new();
        let mut settings = world.settings(1);
        settings.stop = stop;
        raise.send(true).unwrap();
        let err = world.run(&settings).await.unwrap_err();
        assert!(matches!(err, PipelineError::Interrupted), "{err}");
        let cp = world.store.checkpoints(NATION).await.unwrap();
        assert!(
            cp.iter().all(|c| c.status != status::RUNNING),
            "no stream left running: {cp:?}"
        );
        world.run(&world.settings(2)).await.unwrap();
        assert_eq!(world.snapshot(), clean.snapshot());
    }

    #[tokio::test]
    async fn pages_that_repeat_stop_the_stream_instead_of_looping() {
        let world = World::new(250);
        world.source.set_quirks(Quirks {
            repeat_pages: true,
            ..Quirks::default()
        });
        let err = world.run(&world.settings(1)).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("already returned"), "{text}");
        assert!(
            world.source.requests() < 5,
            "bounded: {}",
            world.source.requests()
        );
        let cp = &world.store.checkpoints(NATION).await.unwrap()[0];
        assert_ne!(cp.cursor, Cursor::Done, "never called done");
    }
}

/// Reconciliation.
mod reconcile {
    use super::testkit::*;
    use crate::fetch::memory::Quirks;
    use crate::pipeline::progress::{Progress, ReconcileChanges, ReconcileStep};
    use crate::pipeline::reconcile::*;
    use crate::pipeline::run::PipelineError;
    use crate::resource::Resource;

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
        let r = &reports.reconciled[&Resource::of("people")];
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
        assert_eq!(reports.reconciled[&Resource::of("people")].deleted, 2);
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
    async fn a_collection_the_api_does_not_have_stops_with_the_fix() {
        let world = World::new(30);
        let people = Resource::of("people");
        world.source.set_quirks(Quirks {
            missing: [people].into_iter().collect(),
            ..Quirks::default()
        });
        let err = world.run(&world.settings(1)).await.unwrap_err();
        assert!(
            matches!(err, PipelineError::RouteMissing { stream, .. } if stream == people),
            "{err:?}"
        );
        let line = err.to_string();
        assert!(
            line.starts_with("people: the API has no such collection (HTTP 404 at memory:/people)")
                && line.contains("--resources"),
            "{line}"
        );
    }

    #[tokio::test]
    async fn a_listing_that_stops_early_removes_nothing_and_says_so() {
        let world = exported_then_deleted(60, &[]).await;
        world.source.set_quirks(Quirks {
            sweep_stops_after: Some(20),
            ..Quirks::default()
        });
        let reports = world.run(&world.settings(2)).await.unwrap();
        let r = &reports.reconciled[&Resource::of("people")];
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
        let r = &reports.reconciled[&Resource::of("people")];
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
        let r = &reports.reconciled[&Resource::of("people")];
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
        assert_eq!(reports.reconciled[&Resource::of("people")].deleted, 40);
        assert_eq!(live_people(&world), 20);
    }

    #[tokio::test]
    async fn records_new_at_source_are_fetched() {
        let world = exported_then_deleted(50, &[]).await;
        world.source.put_person(10_000, "2024-02-01T00:00:00Z");
        let reports = world.run(&world.settings(2)).await.unwrap();
        assert_eq!(reports.reconciled[&Resource::of("people")].fetched, 1);
        assert_eq!(reports.reconciled[&Resource::of("people")].new, 1);
        assert_eq!(reports.reconciled[&Resource::of("people")].updated, 0);
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
