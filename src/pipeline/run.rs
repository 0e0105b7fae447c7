//! The main pass: runs the planned streams (the running exports of resources) concurrently,
//! pages within a stream in order, through fetch → map → load, each page committed with its
//! checkpoint in one transaction. The app then hands the finished streams to
//! [`super::reconcile`], which runs its catch-up passes through [`run_stream`] too. Generic
//! over the [`Source`], the [`Mapper`], the
//! [`StateStore`], the [`Sink`] and the [`Progress`] observer; only `app` picks the concrete
//! types, and unit tests run it on the in-memory twins. A fatal error in one stream (a
//! rejected token, say) stops every stream at once and leaves each at its last committed page,
//! ready to resume.
//!
//! Within a stream, fetching runs one page ahead of loading and the next page's transaction is
//! prepared while the previous one commits, so the exporter and PostgreSQL work at the same
//! time; commits (and so checkpoints) still follow page order, and every fetched page waits in
//! the page spool until its commit, so a crash costs at most one request per stream.
//!
//! **Faults.** A page whose commit fails for a transient database reason (a restart, a
//! failover, a dropped connection, a serialization failure) is committed again, with backoff,
//! for as long as [`RetryPolicy::window`] allows; only then does the run stop, resumably. A
//! paging loop ([`PagingGuard`]) stops the stream instead of reading it forever. A stop signal
//! ([`StopSignal`]) makes every stream stop fetching, commit the pages already fetched, and
//! return [`PipelineError::Interrupted`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::plan::Step;
use super::progress::Progress;
use crate::checkpoint::{status, StateStore, StoreError};
use crate::database::fault::RetryPolicy;
use crate::fetch::client::{for_purpose, Purpose};
use crate::fetch::{Cursor, FetchError, IdSweep, Page, PagingGuard, Source, SourceRecord};
use crate::load::{self, BatchContext, LoadError, PageBatch, PageOutcome, Sink};
use crate::mapping::MappedBatch;
use crate::mapping::{build_batch, Mapper};
use crate::resource::Resource;

/// Asks a running pipeline to stop: no new page is fetched, the pages already fetched are
/// committed, and the run ends with [`PipelineError::Interrupted`].
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// A signal and the handle that raises it.
    pub fn new() -> (StopSignal, watch::Sender<bool>) {
        let (tx, rx) = watch::channel(false);
        (StopSignal(rx), tx)
    }

    /// A signal nobody can raise.
    pub fn never() -> StopSignal {
        let (tx, rx) = watch::channel(false);
        // The receiver keeps reporting `false` once the sender is gone.
        drop(tx);
        StopSignal(rx)
    }

    /// Whether a stop was asked for.
    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until a stop is asked for (forever, for [`StopSignal::never`]).
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        loop {
            if *rx.borrow_and_update() {
                return;
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// The nation, API and run.
    pub batch: BatchContext,
    /// Whether reconciliation may remove more than a small share of a resource in one round.
    pub allow_mass_delete: bool,
    /// How long transient database faults are ridden out.
    pub db_retry: RetryPolicy,
    /// Stops the run on request (a signal).
    pub stop: StopSignal,
}

impl RunSettings {
    /// Settings for run `run_id` of `nation` through `api`: reconciling, no mass deletion,
    /// the default database retry window, never stopped.
    pub fn new(nation: &str, api: &str, run_id: i64) -> Self {
        Self {
            batch: BatchContext {
                nation: nation.to_owned(),
                api: api.to_owned(),
                run_id,
            },
            allow_mass_delete: false,
            db_retry: RetryPolicy::default(),
            stop: StopSignal::never(),
        }
    }

    /// The nation slug.
    pub fn nation(&self) -> &str {
        &self.batch.nation
    }
}

/// The state store and the sink a run works with.
#[derive(Debug)]
pub struct Backend<St, K> {
    /// Checkpoints, runs, the spool.
    pub store: Arc<St>,
    /// Where pages are loaded.
    pub sink: Arc<K>,
}

impl<St, K> Clone for Backend<St, K> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            sink: Arc::clone(&self.sink),
        }
    }
}

/// What one stream did in this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Pages committed in this run.
    pub pages: u64,
    /// Records archived in this run.
    pub archived: u64,
    /// Of those, records archived for the first time.
    pub new: u64,
    /// Of those, records whose content changed (counted in catch-up passes).
    pub changed: u64,
    /// Rejects written in this run.
    pub rejected: u64,
    /// Whether the stream reached its end.
    pub done: bool,
    /// For a catch-up pass that read the resource whole from its start and reached its end:
    /// every id it read, as an id sweep would list them (reconciliation checks deletions
    /// against it instead of listing every id again).
    pub listing: Option<crate::fetch::IdSweep>,
    /// How the main pass read it when that was not simply its own collection: brought by
    /// another resource's pages (`with people (include=taggings, N pages)`), or read on its own
    /// because that was given up (`on its own: why`).
    pub read_with: Option<String>,
}

/// The error of a failed page fetch: a 404 on a collection's first page says the route itself
/// is missing.
fn fetch_failed(stream: Resource, first: bool, source: FetchError) -> PipelineError {
    match source {
        FetchError::Rejected {
            status: 404, url, ..
        } if first => PipelineError::RouteMissing { stream, url },
        source => PipelineError::Fetch { stream, source },
    }
}

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Fetching failed.
    #[error("stream {stream}: {source}")]
    Fetch {
        /// The stream.
        stream: Resource,
        /// The cause.
        #[source]
        source: FetchError,
    },
    /// The first page of a resource's collection answered 404: the route itself is missing
    /// (a nation without the feature, an API version without the route), which no retry and
    /// no resume can change.
    #[error(
        "{stream}: the API has no such collection (HTTP 404 at {url}), so this nation or API \
         version does not serve {stream}; run again with --resources naming the other \
         resources, or with the other --api"
    )]
    RouteMissing {
        /// The resource.
        stream: Resource,
        /// The request URL, credentials removed.
        url: String,
    },
    /// Loading failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A reconciliation round would remove more than a small share of a resource.
    #[error(
        "stream {stream}: {count} of {live} archived records are no longer listed at the source; \
         nothing was removed — if they really were deleted at source, run again with \
         --allow-mass-delete (each is still confirmed with the API before its rows are removed)"
    )]
    MassDelete {
        /// The stream.
        stream: Resource,
        /// Candidates for deletion.
        count: u64,
        /// Live archived records of the stream.
        live: u64,
    },
    /// A stop was asked for (a signal); every committed page stays.
    #[error("interrupted")]
    Interrupted,
    /// A stream task panicked or was cancelled.
    #[error("stream task ended abnormally: {0}")]
    Task(String),
}

impl PipelineError {
    /// What the user can do about a database error with a known fix (a full disk, a
    /// read-only database, a missing privilege), when this is one.
    pub fn advice(&self) -> Option<&'static str> {
        let source = match self {
            PipelineError::Load(err) => err.sqlx(),
            PipelineError::Store(err) => err.sqlx(),
            _ => None,
        }?;
        crate::database::fault::advice(source)
    }
}

/// An error that may be worth retrying after a pause.
trait Transient {
    fn is_transient(&self) -> bool;
}

impl Transient for LoadError {
    fn is_transient(&self) -> bool {
        LoadError::is_transient(self)
    }
}

impl Transient for StoreError {
    fn is_transient(&self) -> bool {
        StoreError::is_transient(self)
    }
}

/// Runs `op` until it succeeds, fails for good, or transient failures have lasted longer
/// than the policy's window; waits between attempts with growing pauses. A stop signal ends
/// the waiting (the last error is returned).
async fn with_db_retry<T, E, F, Fut>(settings: &RunSettings, what: &str, mut op: F) -> Result<T, E>
where
    E: Transient + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut retry = 0u32;
    loop {
        match op().await {
            Ok(v) => {
                if retry > 0 {
                    tracing::info!(what, retries = retry, "the database is back; carrying on");
                }
                return Ok(v);
            }
            Err(err)
                if err.is_transient()
                    && started.elapsed() < settings.db_retry.window
                    && !settings.stop.is_set() =>
            {
                retry += 1;
                let pause = settings.db_retry.pause(retry);
                if retry == 1 {
                    tracing::warn!(what, error = %err, "database unavailable; retrying");
                }
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = settings.stop.wait() => return Err(err),
                }
            }
            Err(err) => return Err(err),
        }
    }
}

/// How many streams run at once (main pass and reconciliation alike). Each uses up to three
/// database connections (two page transactions and the page spool), so the pool of
/// `database::connect` holds `3 × MAX_STREAMS + 1`; the API's rate limit, shared by all
/// streams, is what bounds a run's speed, not this.
pub const MAX_STREAMS: usize = 5;

/// The slots a stream takes before it runs (see [`MAX_STREAMS`]); they bound the database
/// connections in use.
#[derive(Clone)]
pub(super) struct StreamSlots(Arc<tokio::sync::Semaphore>);

impl StreamSlots {
    /// [`MAX_STREAMS`] free slots.
    pub(super) fn new() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(MAX_STREAMS)))
    }

    /// Runs `work` for `stream` once a slot is free, and gives the slot back after.
    pub(super) async fn run<T>(
        &self,
        stream: Resource,
        work: impl Future<Output = Result<T, PipelineError>>,
    ) -> (Resource, Result<T, PipelineError>) {
        let Ok(_slot) = self.0.clone().acquire_owned().await else {
            return (
                stream,
                Err(PipelineError::Task("stream slots closed".into())),
            );
        };
        (stream, work.await)
    }
}

/// Runs every step concurrently (at most [`MAX_STREAMS`] at a time), then reconciles; returns each stream's report, or the first
/// error (after which the other streams are stopped and marked interrupted).
pub async fn run<S, M, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    source: Arc<S>,
    mapper: Arc<M>,
    progress: Arc<dyn Progress>,
    steps: Vec<Step>,
) -> Result<BTreeMap<Resource, StreamReport>, PipelineError>
where
    S: Source + 'static,
    M: Mapper + 'static,
    St: StateStore,
    K: Sink,
{
    let mut reports = BTreeMap::new();
    let mut tasks = JoinSet::new();
    let slots = StreamSlots::new();
    let mut running = Vec::new();
    let committed: BTreeMap<Resource, (u64, Option<u64>)> = backend
        .store
        .checkpoints(settings.nation())
        .await?
        .into_iter()
        .map(|c| {
            let reads = u64::try_from(c.records).unwrap_or(0);
            let total = c.total_reported.and_then(|t| u64::try_from(t).ok());
            (c.stream, (reads, total))
        })
        .collect();
    // A resource whose records another one's pages can bring (taggings with people) waits
    // for that one's main pass when both begin at the start and the source can ask for them.
    let mut carried_by: BTreeMap<Resource, watch::Receiver<Option<Result<u64, String>>>> =
        BTreeMap::new();
    let mut carriers: BTreeMap<Resource, watch::Sender<Option<Result<u64, String>>>> =
        BTreeMap::new();
    // The carried resource must not have begun a pass of its own; the carrier may resume a pass
    // whose every page so far brought it (its profile says so), or have finished one.
    // Senders whose word is already given, kept open until the streams have heard it.
    let mut answered = Vec::new();
    let fresh = |stream: Resource| {
        steps.iter().any(|step| {
            matches!(step, Step::Start(s, cursor) if *s == stream && *cursor == source.start(stream))
        })
    };
    for step in &steps {
        let carrier = step.resource();
        let Some((_, carried)) = carrier.carries() else {
            continue;
        };
        if !fresh(carried) {
            continue;
        }
        let carried_so_far = source.profile(carrier).carrying == Some(true);
        let (tx, rx) = watch::channel(None);
        match step {
            Step::Start(..) if fresh(carrier) && source.start_carrying(carrier) => {
                carriers.insert(carrier, tx);
            }
            Step::Resume(..) if carried_so_far && source.start_carrying(carrier) => {
                carriers.insert(carrier, tx);
            }
            // An earlier run's pass brought them all and ended before they were counted.
            Step::Skip(_) if carried_so_far => {
                let _ = tx.send(Some(Ok(0)));
                answered.push(tx);
            }
            _ => continue,
        }
        carried_by.insert(carried, rx);
    }
    for step in steps {
        let (stream, cursor) = match step {
            Step::Skip(stream) => (stream, Cursor::Done),
            Step::Start(stream, cursor) | Step::Resume(stream, cursor) => (stream, cursor),
        };
        let carrier = carriers.remove(&stream);
        let waits_for = carried_by.remove(&stream);
        running.push(stream);
        let backend = backend.clone();
        let settings = settings.clone();
        let (source, mapper, progress) = (source.clone(), mapper.clone(), progress.clone());
        let (reads, total) = committed.get(&stream).copied().unwrap_or_default();
        let (records, total) = display_start(&cursor, reads, total);
        // Here rather than in the task, so the display hears of the streams in their order.
        progress.stream_started(stream, records, total);
        let slots = slots.clone();
        tasks.spawn(async move {
            let job = Job {
                stream,
                from: cursor,
                pass: Pass::Main,
            };
            let mut read_with = None;
            if let Some(waits_for) = waits_for {
                match carried_outcome(waits_for, &settings).await {
                    CarriedOutcome::Complete(pages) => {
                        let pages = if pages > 0 {
                            format!(", {pages} pages")
                        } else {
                            String::new()
                        };
                        let how = match stream.carried() {
                            Some((carried, by)) => {
                                format!("with {by} (include={}{pages})", carried.include)
                            }
                            None => format!("with another resource's pages{pages}"),
                        };
                        let done =
                            finish_carried(&backend, &settings, &*source, &*mapper, stream).await;
                        match done {
                            Ok(None) => {
                                let report = StreamReport {
                                    done: true,
                                    read_with: Some(how),
                                    ..StreamReport::default()
                                };
                                return (stream, Ok(report));
                            }
                            Ok(Some(why)) => read_with = Some(format!("on its own: {why}")),
                            Err(err) => return (stream, Err(err)),
                        }
                    }
                    CarriedOutcome::GivenUp(why) => read_with = Some(format!("on its own: {why}")),
                    CarriedOutcome::Stopped => return (stream, Err(PipelineError::Interrupted)),
                }
            }
            let (stream, result) = slots
                .run(
                    stream,
                    run_stream(&backend, &settings, &*source, &*mapper, &*progress, job),
                )
                .await;
            let result = result.map(|mut report| {
                report.read_with = read_with;
                report
            });
            if let Some(carrier) = carrier {
                // Whatever happened, the waiting resource hears how the carrying went.
                let outcome = source
                    .stop_carrying(stream)
                    .unwrap_or_else(|| Err("carrying was not asked for".to_owned()));
                let outcome = match &result {
                    Ok(report) if report.done => outcome,
                    Ok(_) => Err(format!("{stream} did not reach its end")),
                    Err(err) => Err(format!("{stream} failed: {err}")),
                };
                let _ = carrier.send(Some(outcome));
            }
            (stream, result)
        });
    }
    let joined = join_streams(tasks, |stream, ok| progress.stream_finished(stream, ok)).await;
    drop(answered);
    reports.extend(joined.finished);
    let nation = settings.nation();
    let api = &settings.batch.api;
    for (stream, err) in &joined.failed {
        if !matches!(err, Failure::Interrupted) {
            let _ = backend
                .store
                .mark(nation, *stream, api, status::FAILED, Some(&err.to_string()))
                .await;
        }
    }
    if let Some(err) = joined.first_error {
        for stream in running {
            let failed = joined
                .failed
                .iter()
                .any(|(s, f)| *s == stream && !matches!(f, Failure::Interrupted));
            if !reports.contains_key(&stream) && !failed {
                let _ = backend
                    .store
                    .mark(nation, stream, api, status::INTERRUPTED, None)
                    .await;
            }
        }
        return Err(err);
    }
    Ok(reports)
}

/// How a resource that waited for its carrier's main pass goes on.
enum CarriedOutcome {
    /// Every page of the carrier brought its records: this many pages.
    Complete(u64),
    /// Carrying was given up, for this reason: the resource is read on its own.
    GivenUp(String),
    /// The run is stopping.
    Stopped,
}

/// Waits for the carrier's word (or a stop signal). A carrier that ended without a word (its
/// task failed) means reading on its own, which the failed run will not get to.
async fn carried_outcome(
    mut waits_for: watch::Receiver<Option<Result<u64, String>>>,
    settings: &RunSettings,
) -> CarriedOutcome {
    let word = tokio::select! {
        word = waits_for.wait_for(Option::is_some) => word.ok().and_then(|w| w.clone()),
        () = settings.stop.wait() => return CarriedOutcome::Stopped,
    };
    match word {
        Some(Ok(pages)) => CarriedOutcome::Complete(pages),
        Some(Err(why)) => CarriedOutcome::GivenUp(why),
        None => CarriedOutcome::GivenUp("the resource carrying it ended early".to_owned()),
    }
}

/// Ends the main pass of a resource its carrier's pages brought: where the API counts it, the
/// archive must hold as many live records (else the reason to read it on its own is returned);
/// then its checkpoint is moved to the end by an empty page.
async fn finish_carried<S, M, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    source: &S,
    mapper: &M,
    stream: Resource,
) -> Result<Option<String>, PipelineError>
where
    S: Source,
    M: Mapper,
    St: StateStore,
    K: Sink,
{
    let nation = settings.nation();
    let counted = for_purpose(Purpose::Main, source.count_ids_in(stream, 0, None))
        .await
        .map_err(|source| PipelineError::Fetch { stream, source })?;
    if let Some(at_source) = counted {
        let (live, _) = backend.sink.live_digest(nation, stream).await?;
        let live = u64::try_from(live).unwrap_or(0);
        if live < at_source {
            return Ok(Some(format!(
                "the pages that carried it brought {live} of the {at_source} records the API counts"
            )));
        }
    }
    let mut batch = PageBatch::new(
        &settings.batch,
        stream,
        MappedBatch::default(),
        &mapper.checksum_of(stream),
        Cursor::Done,
        counted,
    );
    batch.advances_checkpoint = true;
    commit_retrying(&*backend.sink, settings, &Arc::new(batch)).await?;
    Ok(None)
}

/// Where a stream's progress display starts, from its checkpoint's `reads` and the API's
/// `total`: a resumed main pass at what its committed pages read, but never past the total (the
/// checkpoint counts re-reads too); a resumed catch-up (an interrupted run's reconciliation)
/// at nothing, without a total — it re-reads what changed, of which no count is known.
fn display_start(cursor: &Cursor, reads: u64, total: Option<u64>) -> (u64, Option<u64>) {
    match cursor {
        Cursor::Since { .. } | Cursor::SincePage { .. } => (0, None),
        _ => (total.map_or(reads, |t| reads.min(t)), total),
    }
}

/// How a stream task ended badly.
#[derive(Debug)]
pub(super) enum Failure {
    /// Stopped by a signal.
    Interrupted,
    /// Failed, with this text.
    Error(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Interrupted => f.write_str("interrupted"),
            Failure::Error(text) => f.write_str(text),
        }
    }
}

/// What a set of concurrent stream tasks came to.
pub(super) struct Joined<T> {
    /// Streams that finished, with their result, in completion order.
    pub(super) finished: Vec<(Resource, T)>,
    /// Streams that failed.
    pub(super) failed: Vec<(Resource, Failure)>,
    /// The first error (or panic); the other tasks were aborted when it came (unless it was
    /// an interruption, which every stream sees and handles itself).
    pub(super) first_error: Option<PipelineError>,
}

/// Waits for every stream task; the first failure aborts the others. `on_finish` hears of each
/// stream as it ends (successfully or not) so progress can close its bar at once.
pub(super) async fn join_streams<T: 'static>(
    mut tasks: JoinSet<(Resource, Result<T, PipelineError>)>,
    mut on_finish: impl FnMut(Resource, bool),
) -> Joined<T> {
    let mut joined = Joined {
        finished: Vec::new(),
        failed: Vec::new(),
        first_error: None,
    };
    while let Some(next) = tasks.join_next().await {
        match next {
            Ok((stream, Ok(value))) => {
                on_finish(stream, true);
                joined.finished.push((stream, value));
            }
            Ok((stream, Err(err))) => {
                on_finish(stream, false);
                let interrupted = matches!(err, PipelineError::Interrupted);
                joined.failed.push((
                    stream,
                    if interrupted {
                        Failure::Interrupted
                    } else {
                        Failure::Error(err.to_string())
                    },
                ));
                if joined.first_error.is_none() {
                    joined.first_error = Some(err);
                    // An interruption reaches every stream, which each commit what they
                    // fetched; only a real failure cuts the others short.
                    if !interrupted {
                        tasks.abort_all();
                    }
                }
            }
            Err(join_err) => {
                if joined.first_error.is_none() && !join_err.is_cancelled() {
                    joined.first_error = Some(PipelineError::Task(join_err.to_string()));
                    tasks.abort_all();
                }
            }
        }
    }
    joined
}

/// Reads one stream from `cursor` to its end, committing page by page, in order.
///
/// Fetching runs one page ahead of loading: while page N commits on its own task, page N+1 is
/// fetched, written to the page spool and mapped. A page is spooled before the next request
/// goes out, so a crash costs at most the one request in flight; pages an interrupted run
/// spooled go through the same path first, without being fetched again.
pub async fn run_stream<S, M, P, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    source: &S,
    mapper: &M,
    progress: &P,
    job: Job,
) -> Result<StreamReport, PipelineError>
where
    S: Source,
    M: Mapper,
    P: Progress + ?Sized,
    St: StateStore,
    K: Sink,
{
    let Job {
        stream,
        from: mut cursor,
        pass,
    } = job;
    let mut report = StreamReport::default();
    let mapping_sha256 = mapper.checksum_of(stream);
    let nation = settings.nation();
    // Pages an interrupted run fetched but did not load; the first continues from `cursor`.
    let mut spooled = with_db_retry(settings, "reading sync.page_spool", || {
        backend.store.spool_chain(nation, stream, &cursor)
    })
    .await?
    .into_iter();

    let (to_loader, batches) = mpsc::channel::<(PageBatch, Committed)>(1);
    let (to_fetcher, mut committed) = mpsc::unbounded_channel::<Committed>();
    let mut loader = AbortOnDrop(tokio::spawn(load_in_order(
        backend.sink.clone(),
        settings.clone(),
        stream,
        batches,
        to_fetcher,
    )));
    let mut guard = PagingGuard::default();
    // A main pass from the start asks first for the latest change at the source: a later mark
    // for the next catch-up than the first page's times, which are as old as its records.
    let start = source.start(stream);
    let mut latest = None;
    if pass == Pass::Main && cursor == start && spooled.len() == 0 {
        latest = for_purpose(Purpose::CatchUp, source.latest_update(stream))
            .await
            .map_err(|err| fetch_failed(stream, true, err))?;
    }
    let mut listing = (pass == Pass::CatchUp && cursor == start).then(IdSweep::default);
    let fetched: Result<(), PipelineError> = async {
        while cursor != Cursor::Done {
            if settings.stop.is_set() {
                return Err(PipelineError::Interrupted);
            }
            let page = match spooled.next() {
                Some(page) => page,
                None => {
                    let first = cursor == source.start(stream);
                    let page = tokio::select! {
                        biased;
                        () = settings.stop.wait() => return Err(PipelineError::Interrupted),
                        page = source.fetch_page(stream, &cursor) => page,
                    }
                    .map_err(|err| fetch_failed(stream, first, err))?;
                    // Records of another resource the page brought are committed first, as a
                    // page of their own that moves no checkpoint: whatever happens to this
                    // page later, they are archived (and the page, fetched again, would bring
                    // them again).
                    if let Some((carried, records)) = page.carried.as_ref() {
                        if !records.is_empty() {
                            let mapped =
                                build_batch(&settings.batch.api, *carried, mapper, records);
                            let mut batch = PageBatch::new(
                                &settings.batch,
                                *carried,
                                mapped,
                                &mapper.checksum_of(*carried),
                                Cursor::Done,
                                None,
                            );
                            batch.advances_checkpoint = false;
                            commit_retrying(&*backend.sink, settings, &Arc::new(batch)).await?;
                        }
                    }
                    with_db_retry(settings, "spooling a page", || {
                        backend.store.spool_put(
                            nation,
                            stream,
                            settings.batch.run_id,
                            &cursor,
                            &page,
                        )
                    })
                    .await?;
                    crate::failpoint::hit(crate::failpoint::AFTER_SPOOL);
                    page
                }
            };
            let ids: Vec<&str> = page
                .records
                .iter()
                .filter_map(|r| r.source_id.as_deref())
                .collect();
            guard
                .check(stream, &cursor, &page.next, &ids)
                .map_err(|source| PipelineError::Fetch { stream, source })?;
            if let Some(listing) = listing.as_mut() {
                if cursor == start {
                    listing.total = page.total;
                }
                listing.ids.extend(ids.iter().map(|id| (*id).to_owned()));
                listing.unusable += (page.records.len() - ids.len()) as u64;
            }
            let mut batch = page_batch(settings, stream, mapper, &mapping_sha256, &cursor, &page);
            if let Some(latest) = latest.take().filter(|_| cursor == start) {
                let replace = batch.source_clock.as_ref().is_some_and(|(_, r)| *r);
                batch.source_clock = Some(match batch.source_clock.take() {
                    Some((clock, _)) if clock >= latest => (clock, replace),
                    _ => (latest, replace),
                });
            }
            batch.learned = source.profile(stream);
            batch.count_changes = pass == Pass::CatchUp;
            while let Ok(done) = committed.try_recv() {
                tally(&mut report, progress, stream, pass, done);
            }
            let summary = Committed::of(&page, PageOutcome::default());
            let next = page.next;
            if to_loader.send((batch, summary)).await.is_err() {
                // The loader stopped on an error; it is reported below.
                break;
            }
            cursor = next;
        }
        Ok(())
    }
    .await;
    drop(to_loader);
    // The loader commits the pages already handed to it, also when fetching was interrupted.
    let loaded = (&mut loader.0).await;
    while let Ok(done) = committed.try_recv() {
        tally(&mut report, progress, stream, pass, done);
    }
    match loaded {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return Err(err),
        Err(join) => return Err(PipelineError::Task(join.to_string())),
    }
    fetched?;
    report.done = cursor == Cursor::Done;
    if report.done {
        report.listing = listing.map(|mut listing| {
            listing.check_total();
            listing
        });
    }
    Ok(report)
}

/// Commits `batch` (prepare + finish) again and again while it fails for a transient reason,
/// within the settings' retry window.
async fn commit_retrying<K: Sink>(
    sink: &K,
    settings: &RunSettings,
    batch: &Arc<PageBatch>,
) -> Result<PageOutcome, PipelineError> {
    with_db_retry(settings, "committing a page", || {
        load::commit(sink, batch.clone())
    })
    .await
    .map_err(PipelineError::Load)
}

/// The loading side of a stream: commits batches in the order received. While one page
/// finishes, the next is already being prepared on another connection (its records and rows
/// written in its own open transaction) — on keyset paging only, whose pages cannot share a
/// record; a page's checkpoint and commit always come after the previous page committed. A
/// page that fails for a transient reason is committed again from scratch (see
/// [`commit_retrying`]).
async fn load_in_order<K: Sink>(
    sink: Arc<K>,
    settings: RunSettings,
    stream: Resource,
    mut batches: mpsc::Receiver<(PageBatch, Committed)>,
    committed: mpsc::UnboundedSender<Committed>,
) -> Result<(), PipelineError> {
    type Pending<P> = (AbortOnDrop<Result<P, LoadError>>, Arc<PageBatch>, Committed);
    async fn finish<K: Sink>(
        sink: &K,
        settings: &RunSettings,
        pending: Pending<K::Prepared>,
        stream: Resource,
        committed: &mpsc::UnboundedSender<Committed>,
    ) -> Result<(), PipelineError> {
        let (mut task, batch, mut done) = pending;
        let prepared = (&mut task.0).await.map_err(|e| LoadError::Task {
            stream,
            reason: e.to_string(),
        })?;
        let outcome = match prepared {
            Ok(prepared) => match sink.finish(prepared, batch.clone()).await {
                Ok(outcome) => outcome,
                Err(err) if err.is_transient() => commit_retrying(sink, settings, &batch).await?,
                Err(err) => return Err(err.into()),
            },
            Err(err) if err.is_transient() => commit_retrying(sink, settings, &batch).await?,
            Err(err) => return Err(err.into()),
        };
        done.outcome = outcome;
        // The fetcher only reads this for progress; it may have stopped listening.
        let _ = committed.send(done);
        Ok(())
    }
    let mut pending: Option<Pending<K::Prepared>> = None;
    while let Some((batch, done)) = batches.recv().await {
        // Keyset pages (`id > after`) cannot share a record; offset pages can, and v1 links
        // are the API's own tokens, so those pages are loaded strictly one after another. A
        // page asked for by keyset may still repeat records (the source fell back to page
        // numbers and began again), so the ids themselves decide: two open transactions must
        // never write the same record, or the second waits for the first forever.
        let side_by_side = matches!(
            batch.spooled,
            Some(Cursor::Keyset { .. } | Cursor::Since { .. })
        ) && pending
            .as_ref()
            .is_none_or(|(_, previous, _)| !shares_records(previous, &batch));
        if !side_by_side {
            if let Some(previous) = pending.take() {
                finish(&*sink, &settings, previous, stream, &committed).await?;
            }
        }
        let batch = Arc::new(batch);
        let task = AbortOnDrop(tokio::spawn({
            let (sink, batch) = (sink.clone(), batch.clone());
            async move { sink.prepare(batch).await }
        }));
        if let Some(previous) = pending.take() {
            finish(&*sink, &settings, previous, stream, &committed).await?;
        }
        pending = Some((task, batch, done));
    }
    if let Some(previous) = pending.take() {
        finish(&*sink, &settings, previous, stream, &committed).await?;
    }
    Ok(())
}

/// Whether two pages hold a record in common.
fn shares_records(a: &PageBatch, b: &PageBatch) -> bool {
    let ids: std::collections::HashSet<&str> = a.raw.iter().map(|r| r.source_id.as_str()).collect();
    b.raw.iter().any(|r| ids.contains(r.source_id.as_str()))
}

/// What a committed page counts for: its records, the API's total, what the load wrote.
#[derive(Debug, Clone, Copy)]
struct Committed {
    records: u64,
    total: Option<u64>,
    outcome: PageOutcome,
}

impl Committed {
    fn of(page: &Page, outcome: PageOutcome) -> Self {
        Self {
            records: page.records.len() as u64,
            total: page.total,
            outcome,
        }
    }
}

/// Counts a committed page into the stream's report and its progress display.
fn tally<P: Progress + ?Sized>(
    report: &mut StreamReport,
    progress: &P,
    stream: Resource,
    pass: Pass,
    done: Committed,
) {
    report.pages += 1;
    report.archived += done.outcome.archived;
    report.new += done.outcome.new;
    report.changed += done.outcome.changed;
    report.rejected += done.outcome.rejected;
    match pass {
        Pass::Main => progress.page_committed(stream, done.records, done.total),
        Pass::CatchUp => progress.reconcile_step(
            stream,
            super::progress::ReconcileStep::CatchingUp {
                read: report.archived,
            },
        ),
    }
}

/// One pass over one stream for [`run_stream`]: from where, and which kind of pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The stream.
    pub stream: Resource,
    /// The cursor to start from.
    pub from: Cursor,
    /// Main pass or catch-up.
    pub pass: Pass,
}

/// Which pass over a stream a [`run_stream`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The main pass: read from the cursor to the end.
    Main,
    /// A reconciliation catch-up pass: records changed since a mark (counted as changes, shown
    /// in the reconciliation phase).
    CatchUp,
}

/// The batch for a page fetched with `fetched_with`, marked as waiting in the spool.
fn page_batch<M: Mapper>(
    settings: &RunSettings,
    stream: Resource,
    mapper: &M,
    mapping_sha256: &str,
    fetched_with: &Cursor,
    page: &Page,
) -> PageBatch {
    let mapped = build_batch(&settings.batch.api, stream, mapper, &page.records);
    let mut batch = PageBatch::new(
        &settings.batch,
        stream,
        mapped,
        mapping_sha256,
        page.next.clone(),
        page.total,
    );
    batch.source_clock = first_page_clock(fetched_with, &page.records);
    batch.spooled = Some(fetched_with.clone());
    batch
}

/// A spawned task that is aborted when its owner is dropped first (a stream stopped because
/// another one failed), so no page commits after its run has ended.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// On the first page of a pass, the largest `updated_at` it holds: every later change at the
/// source carries a larger one, so it is a safe start for the next catch-up pass. A full pass
/// only fills an empty mark; a catch-up pass replaces it.
fn first_page_clock(cursor: &Cursor, records: &[SourceRecord]) -> Option<(String, bool)> {
    let replace = match cursor {
        Cursor::Keyset { after: None } | Cursor::PageNumber { number: 1 } => false,
        Cursor::Link { next: None } => false,
        Cursor::Since { after: None, .. } | Cursor::SincePage { number: 1, .. } => true,
        _ => return None,
    };
    records
        .iter()
        .filter_map(|r| crate::fetch::source_updated_at(&r.value))
        .max()
        .map(|t| {
            (
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                replace,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_display_starts_at_what_was_committed_never_past_the_total() {
        let keyset = Cursor::Keyset {
            after: Some("1400".into()),
        };
        assert_eq!(display_start(&keyset, 1400, Some(2800)), (1400, Some(2800)));
        // Reads with earlier catch-ups pass the total: the bar starts full, not beyond it.
        assert_eq!(
            display_start(&Cursor::Done, 3040, Some(3000)),
            (3000, Some(3000))
        );
        assert_eq!(display_start(&keyset, 1400, None), (1400, None));
        // A resumed catch-up counts what it re-reads, with no total to aim at.
        let since = Cursor::Since {
            since: "2026-01-01T00:00:00Z".into(),
            after: Some("398".into()),
        };
        assert_eq!(display_start(&since, 2501, Some(1200)), (0, None));
    }
}
