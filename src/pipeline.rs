//! The pipeline: runs the planned streams concurrently (pages within a stream in order) through
//! fetch → map → load, each page committed with its checkpoint in one transaction. Generic over
//! the [`Source`], the [`Mapper`] and the [`Progress`] observer; only `app` picks the concrete
//! types. A fatal error in one stream (a rejected token, say) stops every stream at once and
//! leaves each at its last committed page, ready to resume.
//!
//! Within a stream, fetching runs one page ahead of loading and the next page's transaction is
//! prepared while the previous one commits, so the exporter and PostgreSQL work at the same
//! time; commits (and so checkpoints) still follow page order, and every fetched page waits in
//! the page spool until its commit, so a crash costs at most one request per stream.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::canonical;
use crate::checkpoint::{self, spool};
use crate::fetch::{Cursor, FetchError, Page, Source, SourceRecord, Stream};
use crate::load::{self, LoadError, LoadRow, PageBatch, PageOutcome, RawRow, RejectRow, TableRows};
use crate::mapping::{MapContext, MappingSet};
use crate::plan::Step;
use crate::progress::Progress;
use crate::reconcile::{self, ReconcileReport};

/// The mapped form of one page, ready for [`load::commit_page`].
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
    fn map_page(&self, stream: Stream, records: &[&SourceRecord]) -> MappedPage;
    /// Checksum of the mapping files in use.
    fn checksum(&self) -> String;
    /// The tables a stream's records load into: (qualified table, parent column for child
    /// tables keyed on the parent's id, `None` for tables keyed on the record's own id).
    fn tables(&self, stream: Stream) -> Vec<(String, Option<String>)>;
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// The nation slug.
    pub nation: String,
    /// `v1` or `v2`.
    pub api: String,
    /// The run id in `sync.runs`.
    pub run_id: i64,
    /// Whether to reconcile each stream after its main pass (catch-up and id sweep).
    pub reconcile: bool,
}

/// What one stream did in this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Pages committed in this run.
    pub pages: u64,
    /// Records archived in this run.
    pub archived: u64,
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
        stream: Stream,
        /// The cause.
        #[source]
        source: FetchError,
    },
    /// Loading failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// An id sweep came back partial (the API repeated a page); reconciling from it would mark
    /// unseen records deleted, so nothing was.
    #[error(
        "stream {stream}: the API repeated a page while listing ids; nothing was marked deleted, \
         run migrate again to reconcile"
    )]
    IncompleteSweep {
        /// The stream.
        stream: Stream,
    },
    /// A stream task panicked or was cancelled.
    #[error("stream task ended abnormally: {0}")]
    Task(String),
}

/// Runs every step concurrently; returns each stream's report, or the first error (after which
/// the other streams are stopped and marked interrupted).
pub async fn run<S, M>(
    pool: &PgPool,
    settings: &RunSettings,
    source: Arc<S>,
    mapper: Arc<M>,
    progress: Arc<dyn Progress>,
    steps: Vec<Step>,
) -> Result<BTreeMap<Stream, StreamReport>, PipelineError>
where
    S: Source + 'static,
    M: Mapper + 'static,
{
    let mut reports = BTreeMap::new();
    let mut tasks = JoinSet::new();
    let mut running = Vec::new();
    for step in steps {
        let (stream, cursor) = match step {
            Step::Skip(stream) => (stream, Cursor::Done),
            Step::Start(stream, cursor) | Step::Resume(stream, cursor) => (stream, cursor),
        };
        running.push(stream);
        let pool = pool.clone();
        let settings = settings.clone();
        let (source, mapper, progress) = (source.clone(), mapper.clone(), progress.clone());
        tasks.spawn(async move {
            progress.stream_started(stream, 0);
            let result = run_stream(
                &pool, &settings, &*source, &*mapper, &*progress, stream, cursor,
            )
            .await;
            (stream, result)
        });
    }
    let joined = join_streams(tasks, |stream, ok| progress.stream_finished(stream, ok)).await;
    reports.extend(joined.finished);
    for (stream, text) in &joined.failed {
        let _ = checkpoint::mark(
            pool,
            &settings.nation,
            *stream,
            &settings.api,
            "failed",
            Some(text),
        )
        .await;
    }
    let first_error = joined.first_error;
    if let Some(err) = first_error {
        for stream in running {
            if !reports.contains_key(&stream) {
                let _ = mark_unless_failed(pool, settings, stream).await;
            }
        }
        return Err(err);
    }
    if settings.reconcile {
        reconcile_all(pool, settings, &source, &mapper, &mut reports).await?;
    }
    Ok(reports)
}

/// Reconciles every stream, round after round, until a whole round changes nothing.
async fn reconcile_all<S, M>(
    pool: &PgPool,
    settings: &RunSettings,
    source: &Arc<S>,
    mapper: &Arc<M>,
    reports: &mut BTreeMap<Stream, StreamReport>,
) -> Result<(), PipelineError>
where
    S: Source + 'static,
    M: Mapper + 'static,
{
    let streams: Vec<Stream> = reports.keys().copied().collect();
    for round in 1..=reconcile::MAX_ROUNDS {
        let mut tasks = JoinSet::new();
        for stream in streams.iter().copied() {
            let pool = pool.clone();
            let settings = settings.clone();
            let (source, mapper) = (source.clone(), mapper.clone());
            tasks.spawn(async move {
                let r =
                    reconcile::reconcile_round(&pool, &settings, &*source, &*mapper, stream).await;
                (stream, r)
            });
        }
        let joined = join_streams(tasks, |_, _| {}).await;
        if let Some(err) = joined.first_error {
            return Err(err);
        }
        let mut changed = 0;
        for (stream, found) in joined.finished {
            changed += found.changed;
            if let Some(report) = reports.get_mut(&stream) {
                report.reconciled.absorb(found);
            }
        }
        tracing::debug!(round, changed, "reconciliation round");
        if changed == 0 {
            break;
        }
    }
    Ok(())
}

/// What a set of concurrent stream tasks came to.
struct Joined<T> {
    /// Streams that finished, with their result, in completion order.
    finished: Vec<(Stream, T)>,
    /// Streams that failed, with the error's text.
    failed: Vec<(Stream, String)>,
    /// The first error (or panic); the other tasks were aborted when it came.
    first_error: Option<PipelineError>,
}

/// Waits for every stream task; the first failure aborts the others. `on_finish` hears of each
/// stream as it ends (successfully or not) so progress can close its bar at once.
async fn join_streams<T: 'static>(
    mut tasks: JoinSet<(Stream, Result<T, PipelineError>)>,
    mut on_finish: impl FnMut(Stream, bool),
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
                joined.failed.push((stream, err.to_string()));
                if joined.first_error.is_none() {
                    joined.first_error = Some(err);
                    tasks.abort_all();
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

async fn mark_unless_failed(
    pool: &PgPool,
    settings: &RunSettings,
    stream: Stream,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sync.checkpoints SET status = 'interrupted', updated_at = now()
          WHERE nation = $1 AND stream = $2 AND status = 'running'",
    )
    .bind(&settings.nation)
    .bind(stream.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// Reads one stream from `cursor` to its end, committing page by page, in order.
///
/// Fetching runs one page ahead of loading: while page N commits on its own task, page N+1 is
/// fetched, written to the page spool and mapped. A page is spooled before the next request
/// goes out, so a crash costs at most the one request in flight; pages an interrupted run
/// spooled go through the same path first, without being fetched again.
pub async fn run_stream<S: Source, M: Mapper, P: Progress + ?Sized>(
    pool: &PgPool,
    settings: &RunSettings,
    source: &S,
    mapper: &M,
    progress: &P,
    stream: Stream,
    mut cursor: Cursor,
) -> Result<StreamReport, PipelineError> {
    let mut report = StreamReport::default();
    let mapping_sha256 = mapper.checksum();
    // Pages an interrupted run fetched but did not load; the first continues from `cursor`.
    let mut spooled = spool::chain(pool, &settings.nation, stream, &cursor)
        .await
        .map_err(load::statement_error(stream, "sync.page_spool"))?
        .into_iter();

    let (to_loader, batches) = mpsc::channel::<(PageBatch, Committed)>(1);
    let (to_fetcher, mut committed) = mpsc::unbounded_channel::<Committed>();
    let mut loader = AbortOnDrop(tokio::spawn(load_in_order(
        pool.clone(),
        stream,
        batches,
        to_fetcher,
    )));
    let fetched: Result<(), PipelineError> = async {
        while cursor != Cursor::Done {
            let page = match spooled.next() {
                Some(page) => page,
                None => {
                    let page = source
                        .fetch_page(stream, &cursor)
                        .await
                        .map_err(|source| PipelineError::Fetch { stream, source })?;
                    spool::put(
                        pool,
                        &settings.nation,
                        stream,
                        settings.run_id,
                        &cursor,
                        &page,
                    )
                    .await
                    .map_err(load::statement_error(stream, "sync.page_spool"))?;
                    page
                }
            };
            let batch = page_batch(settings, stream, mapper, &mapping_sha256, &cursor, &page);
            while let Ok(done) = committed.try_recv() {
                tally(&mut report, progress, stream, done);
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
    let loaded = (&mut loader.0).await;
    while let Ok(done) = committed.try_recv() {
        tally(&mut report, progress, stream, done);
    }
    match loaded {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return Err(err.into()),
        Err(join) => return Err(PipelineError::Task(join.to_string())),
    }
    fetched?;
    report.done = cursor == Cursor::Done;
    Ok(report)
}

/// The loading side of a stream: commits batches in the order received. While one page
/// finishes, the next is already being prepared on another connection (its records and rows
/// written in its own open transaction) — on keyset paging only, whose pages cannot share a
/// record; a page's checkpoint and commit always come after the previous page committed.
async fn load_in_order(
    pool: PgPool,
    stream: Stream,
    mut batches: mpsc::Receiver<(PageBatch, Committed)>,
    committed: mpsc::UnboundedSender<Committed>,
) -> Result<(), LoadError> {
    type Pending = (
        AbortOnDrop<Result<load::PreparedPage, LoadError>>,
        Arc<PageBatch>,
        Committed,
    );
    async fn finish(
        pending: Pending,
        stream: Stream,
        committed: &mpsc::UnboundedSender<Committed>,
    ) -> Result<(), LoadError> {
        let (mut task, batch, mut done) = pending;
        let prepared = (&mut task.0).await.map_err(|e| LoadError::Task {
            stream,
            reason: e.to_string(),
        })??;
        done.outcome = load::finish_page(prepared, &batch).await?;
        // The fetcher only reads this for progress; it may have stopped listening.
        let _ = committed.send(done);
        Ok(())
    }
    let mut pending: Option<Pending> = None;
    while let Some((batch, done)) = batches.recv().await {
        // Keyset pages (`id > after`) cannot share a record; offset pages can, and v1 links
        // are the API's own tokens, so those pages are loaded strictly one after another.
        let overlap = matches!(
            batch.spooled,
            Some(Cursor::Keyset { .. } | Cursor::Since { .. })
        );
        if !overlap {
            if let Some(previous) = pending.take() {
                finish(previous, stream, &committed).await?;
            }
        }
        let batch = Arc::new(batch);
        let task = AbortOnDrop(tokio::spawn({
            let (pool, batch) = (pool.clone(), batch.clone());
            async move { load::prepare_page(&pool, &batch).await }
        }));
        if let Some(previous) = pending.take() {
            finish(previous, stream, &committed).await?;
        }
        pending = Some((task, batch, done));
    }
    if let Some(previous) = pending.take() {
        finish(previous, stream, &committed).await?;
    }
    Ok(())
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

/// Counts a committed page into the stream's report and its progress bar.
fn tally<P: Progress + ?Sized>(
    report: &mut StreamReport,
    progress: &P,
    stream: Stream,
    done: Committed,
) {
    report.pages += 1;
    report.archived += done.outcome.archived;
    report.rejected += done.outcome.rejected;
    progress.page_committed(stream, done.records, done.total);
}

/// The batch for a page fetched with `fetched_with`, marked as waiting in the spool.
fn page_batch<M: Mapper>(
    settings: &RunSettings,
    stream: Stream,
    mapper: &M,
    mapping_sha256: &str,
    fetched_with: &Cursor,
    page: &Page,
) -> PageBatch {
    let mut batch = build_batch(
        settings,
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
    settings: &RunSettings,
    stream: Stream,
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
                let sha256 = canonical::sha256_hex(&record.value);
                hashes.insert(id.as_str(), sha256.clone());
                raw.push(RawRow {
                    source_id: id.clone(),
                    body: record.body.clone(),
                    sha256,
                });
                with_id.push(record);
            }
            None => rejects.push(RejectRow {
                source_id: None,
                field: "id".into(),
                reason: "the record has no id, so it cannot be archived or loaded".into(),
                body: Some(record.body.clone()),
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
    let fields = std::mem::take(&mut mapped.fields);
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
    }
}

/// On the first page of a pass, the largest `updated_at` it holds: every later change at the
/// source carries a larger one, so it is a safe start for the next catch-up pass. A full pass
/// only fills an empty mark; a catch-up pass replaces it.
fn first_page_clock(cursor: &Cursor, records: &[SourceRecord]) -> Option<(String, bool)> {
    let replace = match cursor {
        Cursor::Keyset { after: None } | Cursor::PageNumber { number: 1 } => false,
        Cursor::Link { next: None } => false,
        Cursor::Since { after: None, .. } => true,
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

    fn tables(&self, stream: Stream) -> Vec<(String, Option<String>)> {
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

    fn map_page(&self, stream: Stream, records: &[&SourceRecord]) -> MappedPage {
        let mut page = MappedPage::default();
        let Some(mapping) = self.set.get(stream.as_str()) else {
            for record in records {
                page.rejects.push(RejectRow {
                    source_id: record.source_id.clone(),
                    field: "(record)".into(),
                    reason: format!("no mapping file for resource {stream}"),
                    body: None,
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
