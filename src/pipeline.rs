//! The pipeline: runs the planned streams concurrently (pages within a stream in order) through
//! fetch → map → load, each page committed with its checkpoint in one transaction, then hands
//! over to [`crate::reconcile`]. Generic over the [`Source`], the [`Mapper`], the
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

use crate::canonical;
use crate::checkpoint::{status, StateStore, StoreError};
use crate::database::fault::RetryPolicy;
use crate::fetch::{ApiProfile, Cursor, FetchError, Page, PagingGuard, Source, SourceRecord};
use crate::load::{
    self, LoadError, LoadRow, PageBatch, PageOutcome, RawRow, RejectRow, Sink, TableRows,
};
use crate::mapping::{MapContext, MappingSet};
use crate::plan::Step;
use crate::progress::Progress;
use crate::reconcile::{self, ReconcileReport};
use crate::resource::Resource;

/// The mapped form of one page, ready for the sink.
#[derive(Debug, Default, Clone)]
pub struct MappedPage {
    /// Rows per qualified table name.
    pub tables: BTreeMap<String, TableRows>,
    /// Records or fields that could not be mapped.
    pub rejects: Vec<RejectRow>,
    /// Ids mapped without any reject (their earlier rejects are cleared).
    pub mapped_ids: Vec<String>,
    /// Source fields seen on this page: (field, disposition, target) → records carrying a value.
    pub fields: BTreeMap<(String, String, Option<String>), u64>,
}

/// Maps records of a stream to rows. Pure: no I/O.
pub trait Mapper: Send + Sync {
    /// Maps the records of one page (only records that have an id are given).
    fn map_page(&self, stream: Resource, records: &[&SourceRecord]) -> MappedPage;
    /// Checksum of the mapping files in use.
    fn checksum(&self) -> String;
    /// The tables a stream's records load into: (qualified table, parent column for child
    /// tables keyed on the parent's id, `None` for tables keyed on the record's own id).
    fn tables(&self, stream: Resource) -> Vec<(String, Option<String>)>;
}

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

/// Who a page batch belongs to: the nation, the API and the run writing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchContext {
    /// The nation slug.
    pub nation: String,
    /// `v1` or `v2`.
    pub api: String,
    /// The run id in `sync.runs`.
    pub run_id: i64,
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// The nation, API and run.
    pub batch: BatchContext,
    /// Whether to reconcile each stream after its main pass (catch-up and id sweep).
    pub reconcile: bool,
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
            reconcile: true,
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
    /// What reconciliation changed.
    pub reconciled: ReconcileReport,
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

/// Runs every step concurrently, then reconciles; returns each stream's report, or the first
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
    for step in steps {
        let (stream, cursor) = match step {
            Step::Skip(stream) => (stream, Cursor::Done),
            Step::Start(stream, cursor) | Step::Resume(stream, cursor) => (stream, cursor),
        };
        running.push(stream);
        let backend = backend.clone();
        let settings = settings.clone();
        let (source, mapper, progress) = (source.clone(), mapper.clone(), progress.clone());
        let (reads, total) = committed.get(&stream).copied().unwrap_or_default();
        let (records, total) = display_start(&cursor, reads, total);
        // Here rather than in the task, so the display hears of the streams in their order.
        progress.stream_started(stream, records, total);
        tasks.spawn(async move {
            let result = run_stream(
                &backend,
                &settings,
                &*source,
                &*mapper,
                &*progress,
                Job {
                    stream,
                    from: cursor,
                    pass: Pass::Main,
                },
            )
            .await;
            (stream, result)
        });
    }
    let joined = join_streams(tasks, |stream, ok| progress.stream_finished(stream, ok)).await;
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
    if settings.reconcile {
        reconcile_all(backend, settings, &source, &mapper, &progress, &mut reports).await?;
    }
    Ok(reports)
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

/// Rounds with an incomplete id listing after which reconciliation stops trying again.
const UNCHECKED_ROUNDS: u32 = 3;

/// Reconciles every stream, round after round, until a whole round changes nothing.
async fn reconcile_all<S, M, St, K>(
    backend: &Backend<St, K>,
    settings: &RunSettings,
    source: &Arc<S>,
    mapper: &Arc<M>,
    progress: &Arc<dyn Progress>,
    reports: &mut BTreeMap<Resource, StreamReport>,
) -> Result<(), PipelineError>
where
    S: Source + 'static,
    M: Mapper + 'static,
    St: StateStore,
    K: Sink,
{
    let streams: Vec<Resource> = reports.keys().copied().collect();
    // A listing that came back incomplete (the nation changed while it was read, say) is
    // tried again in the next round, but only a few times: an API whose listings are always
    // short must not cost ten sweeps.
    let mut unchecked_rounds = 0;
    for round in 1..=reconcile::MAX_ROUNDS {
        progress.reconcile_started(round);
        let mut tasks = JoinSet::new();
        for stream in streams.iter().copied() {
            let backend = backend.clone();
            let settings = settings.clone();
            let (source, mapper, progress) = (source.clone(), mapper.clone(), progress.clone());
            tasks.spawn(async move {
                let r = reconcile::reconcile_round(
                    &backend, &settings, &*source, &*mapper, &*progress, stream,
                )
                .await;
                (stream, r)
            });
        }
        let joined = join_streams(tasks, |_, _| {}).await;
        if let Some(err) = joined.first_error {
            return Err(err);
        }
        let mut changed = 0;
        let mut unchecked = false;
        for (stream, found) in joined.finished {
            changed += found.changed;
            unchecked |= found.deletions_unchecked.is_some();
            if let Some(report) = reports.get_mut(&stream) {
                report.reconciled.absorb(found);
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
    Ok(())
}

/// How a stream task ended badly.
#[derive(Debug)]
enum Failure {
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
struct Joined<T> {
    /// Streams that finished, with their result, in completion order.
    finished: Vec<(Resource, T)>,
    /// Streams that failed.
    failed: Vec<(Resource, Failure)>,
    /// The first error (or panic); the other tasks were aborted when it came (unless it was
    /// an interruption, which every stream sees and handles itself).
    first_error: Option<PipelineError>,
}

/// Waits for every stream task; the first failure aborts the others. `on_finish` hears of each
/// stream as it ends (successfully or not) so progress can close its bar at once.
async fn join_streams<T: 'static>(
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
    let mapping_sha256 = mapper.checksum();
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
    let fetched: Result<(), PipelineError> = async {
        while cursor != Cursor::Done {
            if settings.stop.is_set() {
                return Err(PipelineError::Interrupted);
            }
            let page = match spooled.next() {
                Some(page) => page,
                None => {
                    let page = tokio::select! {
                        biased;
                        () = settings.stop.wait() => return Err(PipelineError::Interrupted),
                        page = source.fetch_page(stream, &cursor) => page,
                    }
                    .map_err(|source| PipelineError::Fetch { stream, source })?;
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
            let mut batch = page_batch(settings, stream, mapper, &mapping_sha256, &cursor, &page);
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
            crate::progress::ReconcileStep::CatchingUp {
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
    let mut batch = build_batch(
        &settings.batch,
        stream,
        mapper,
        &page.records,
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

/// Turns a fetched page into everything its transaction writes: raw rows with their canonical
/// hashes, mapped rows stamped with the raw hash they derive from, and rejects — including one
/// for every record without a usable id, whose body is kept in the reject itself.
pub fn build_batch<M: Mapper>(
    settings: &BatchContext,
    stream: Resource,
    mapper: &M,
    records: &[SourceRecord],
    mapping_sha256: &str,
    next: Cursor,
    total: Option<u64>,
) -> PageBatch {
    let mut raw = Vec::with_capacity(records.len());
    let mut with_id = Vec::with_capacity(records.len());
    let mut rejects = Vec::new();
    let mut hashes: BTreeMap<&str, String> = BTreeMap::new();
    for record in records {
        match &record.source_id {
            Some(id) => {
                let sha256 = canonical::record_sha256_hex(&record.body, &record.value);
                hashes.insert(id.as_str(), sha256.clone());
                raw.push(RawRow {
                    source_id: id.clone(),
                    body: record.body.clone(),
                    json_storable: record.json_storable,
                    sha256,
                });
                // A record that cannot be read, or of the wrong shape, is archived and
                // rejected whole: never loaded as an empty row.
                let defect = record
                    .defect
                    .clone()
                    .or_else(|| crate::fetch::shape_defect(&settings.api, stream, &record.value));
                match defect {
                    Some(defect) => rejects.push(RejectRow {
                        source_id: Some(id.clone()),
                        field: defect.field,
                        reason: defect.reason,
                        body: None,
                        json_storable: true,
                    }),
                    None => with_id.push(record),
                }
            }
            None => rejects.push(RejectRow {
                source_id: None,
                field: "id".into(),
                reason: record
                    .defect
                    .as_ref()
                    .filter(|d| d.field == "id")
                    .map_or_else(
                        || "the record has no id, so it cannot be archived or loaded".to_owned(),
                        |d| d.reason.clone(),
                    ),
                body: Some(record.body.clone()),
                json_storable: record.json_storable,
            }),
        }
    }
    let mut mapped = mapper.map_page(stream, &with_id);
    for rows in mapped.tables.values_mut() {
        for row in &mut rows.rows {
            // A row keyed on the record's own id, else a child row "<parent id>:<slot>".
            let id = row.source_id.as_str();
            row.raw_sha256 = hashes
                .get(id)
                .or_else(|| id.split_once(':').and_then(|(p, _)| hashes.get(p)))
                .cloned();
        }
    }
    rejects.append(&mut mapped.rejects);
    for reject in &mut rejects {
        reject.field = crate::fetch::scan::field_label(&reject.field);
    }
    // Field names are built from the records' own keys, which may hold NUL or run long.
    let fields = std::mem::take(&mut mapped.fields).into_iter().fold(
        BTreeMap::new(),
        |mut acc, ((field, d, t), n)| {
            *acc.entry((crate::fetch::scan::field_label(&field), d, t))
                .or_insert(0) += n;
            acc
        },
    );
    PageBatch {
        nation: settings.nation.clone(),
        stream,
        api: settings.api.clone(),
        run_id: settings.run_id,
        raw,
        tables: mapped.tables,
        rejects,
        mapped_ids: mapped.mapped_ids,
        fields,
        next,
        total,
        mapping_sha256: mapping_sha256.to_owned(),
        source_clock: None,
        advances_checkpoint: true,
        spooled: None,
        learned: ApiProfile::default(),
        count_changes: false,
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
        .filter_map(|r| source_updated_at(&r.value))
        .max()
        .map(|t| {
            (
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                replace,
            )
        })
}

/// A record's `updated_at` (v2 `attributes.updated_at`, v1 top-level `updated_at`).
pub fn source_updated_at(value: &serde_json::Value) -> Option<chrono::DateTime<chrono::Utc>> {
    value
        .pointer("/attributes/updated_at")
        .or_else(|| value.get("updated_at"))
        .and_then(serde_json::Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The [`Mapper`] over the declarative mapping files.
#[derive(Debug)]
pub struct MappingMapper {
    set: MappingSet,
    ctx: MapContext,
}

impl MappingMapper {
    /// Maps with `set`, giving the run's currency and default country to the files.
    pub fn new(set: MappingSet, currency: &str, default_country: Option<String>) -> Self {
        Self {
            set,
            ctx: MapContext {
                currency: currency.to_owned(),
                default_country,
            },
        }
    }
}

impl Mapper for MappingMapper {
    fn checksum(&self) -> String {
        self.set.checksum().to_owned()
    }

    fn tables(&self, stream: Resource) -> Vec<(String, Option<String>)> {
        let Some(mapping) = self.set.get(stream.as_str()) else {
            return Vec::new();
        };
        let children = mapping.child_tables();
        mapping
            .tables()
            .into_iter()
            .map(|table| {
                let parent = children
                    .iter()
                    .find(|(t, _)| *t == table)
                    .map(|(_, col)| (*col).to_owned());
                (table.qualified_name().to_owned(), parent)
            })
            .collect()
    }

    fn map_page(&self, stream: Resource, records: &[&SourceRecord]) -> MappedPage {
        let mut page = MappedPage::default();
        let Some(mapping) = self.set.get(stream.as_str()) else {
            for record in records {
                page.rejects.push(RejectRow {
                    source_id: record.source_id.clone(),
                    field: "(record)".into(),
                    reason: format!("no mapping file for resource {stream}"),
                    body: None,
                    json_storable: true,
                });
            }
            return page;
        };
        // Counted per page with cheap keys; turned into the batch's form once at the end.
        let mut fields: std::collections::HashMap<_, u64> = std::collections::HashMap::new();
        for record in records {
            let mapped = mapping.apply(&record.value, &self.ctx);
            for set in &mapped.child_sets {
                let rows = page
                    .tables
                    .entry(set.table.qualified_name().to_owned())
                    .or_insert_with(|| TableRows::new(set.table));
                let (column, parents) = rows
                    .replace_children_of
                    .get_or_insert_with(|| (set.parent_column.to_owned(), Vec::new()));
                debug_assert_eq!(column, set.parent_column);
                parents.push(set.parent_source_id.clone());
            }
            for row in mapped.rows {
                page.tables
                    .entry(row.table.qualified_name().to_owned())
                    .or_insert_with(|| TableRows::new(row.table))
                    .rows
                    .push(LoadRow {
                        source_id: row.source_id,
                        raw_sha256: None,
                        cells: row.cells,
                    });
            }
            let clean = mapped.rejects.is_empty();
            for reject in mapped.rejects {
                page.rejects.push(RejectRow {
                    source_id: reject.source_id.or_else(|| record.source_id.clone()),
                    field: reject.field,
                    reason: reject.reason,
                    body: None,
                    json_storable: true,
                });
            }
            if clean {
                if let Some(id) = &record.source_id {
                    page.mapped_ids.push(id.clone());
                }
            }
            for seen in mapped.fields {
                if seen.has_value {
                    *fields
                        .entry((seen.field, seen.disposition, seen.target))
                        .or_insert(0) += 1;
                }
            }
        }
        page.fields = fields
            .into_iter()
            .map(|((field, disposition, target), n)| {
                (
                    (
                        field,
                        disposition.as_str().to_owned(),
                        target.map(|t| t.to_string()),
                    ),
                    n,
                )
            })
            .collect();
        page
    }
}

/// What the pipeline and reconciliation unit tests share: a nation in memory, the state store
/// and the sink twins, the shipped v2 mappings.
#[cfg(test)]
pub(crate) mod testkit {
    use std::sync::Arc;

    use super::*;
    use crate::checkpoint::MemoryStore;
    use crate::fetch::memory::MemorySource;
    use crate::load::MemorySink;
    use crate::mapping::Api;
    use crate::progress::NoProgress;

    /// The nation slug of every test.
    pub const NATION: &str = "testnation";

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

        /// Settings of run `run_id` with reconciliation on, a short database retry window.
        pub fn settings(&self, run_id: i64) -> RunSettings {
            let mut settings = RunSettings::new(NATION, "v2", run_id);
            settings.db_retry.window = std::time::Duration::from_secs(2);
            settings.db_retry.first_pause = std::time::Duration::from_millis(1);
            settings
        }

        /// Plans from the committed checkpoints and runs the people stream.
        pub async fn run(
            &self,
            settings: &RunSettings,
        ) -> Result<BTreeMap<Resource, StreamReport>, PipelineError> {
            self.run_observed(settings, Arc::new(NoProgress)).await
        }

        /// [`World::run`], reporting to `progress`.
        pub async fn run_observed(
            &self,
            settings: &RunSettings,
            progress: Arc<dyn crate::progress::Progress>,
        ) -> Result<BTreeMap<Resource, StreamReport>, PipelineError> {
            let checkpoints = self.store.checkpoints(NATION).await?;
            let steps = crate::plan::plan(
                &checkpoints,
                &[Resource::of("people")],
                |s| self.source.start(s),
                "v2",
                &self.mapper.checksum(),
                false,
            )
            .expect("plans");
            run(
                &self.backend(),
                settings,
                self.source.clone(),
                self.mapper.clone(),
                progress,
                steps,
            )
            .await
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

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::fetch::memory::Quirks;

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

    #[tokio::test]
    async fn a_run_loads_every_record_and_finishes_its_checkpoint() {
        let world = World::new(250);
        let reports = world.run(&world.settings(1)).await.unwrap();
        assert!(reports[&Resource::of("people")].done);
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
