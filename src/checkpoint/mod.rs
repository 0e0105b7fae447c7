//! Checkpoints: the one owner of an export's own state — where each stream of a nation stands
//! (`sync.checkpoints`), the run records (`sync.runs`), the fetched pages waiting to be loaded
//! (`sync.page_spool`), the source a nation is bound to (`sync.nations`) and the advisory lock
//! that keeps two runs off the same nation and database.
//!
//! Everything goes through the small [`StateStore`] trait, implemented for PostgreSQL by
//! [`PgStore`] and in memory by [`MemoryStore`] (for unit tests of the pipeline and of
//! reconciliation without a database). The resume point is always read back from what was
//! committed, never from memory. The one write that cannot go through the trait is the
//! checkpoint advance of a page, which must commit in the page's own transaction: the sink
//! ([`crate::load`]) calls [`postgres::advance`] with its transaction, so the SQL still lives
//! here.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::fetch::{ApiProfile, Cursor, Page};

use crate::resource::Resource;

mod memory;
pub mod postgres;

pub use memory::MemoryStore;
pub use postgres::{NationLock, PgStore};

/// A stream's state: reading, finished, stopped by the operator or a crash, or stopped on an
/// error.
pub mod status {
    /// Pages are being committed.
    pub const RUNNING: &str = "running";
    /// The last page was committed.
    pub const DONE: &str = "done";
    /// Stopped by a signal or a crash; resumable.
    pub const INTERRUPTED: &str = "interrupted";
    /// Stopped on an error (see `last_error`); resumable.
    pub const FAILED: &str = "failed";
}

/// One stream's committed state.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The stream.
    pub stream: Resource,
    /// `v1` or `v2`.
    pub api: String,
    /// Where to continue.
    pub cursor: Cursor,
    /// Pages committed.
    pub pages: i64,
    /// Records committed.
    pub records: i64,
    /// Rejects written.
    pub rejects: i64,
    /// One of [`status`].
    pub status: String,
    /// The last error, if the stream stopped on one.
    pub last_error: Option<String>,
    /// Checksum of the mapping files used.
    pub mapping_sha256: Option<String>,
    /// The API's total, when it gave one.
    pub total_reported: Option<i64>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// The mark on the source's clock the next catch-up pass starts from.
    pub source_clock: Option<String>,
    /// What earlier runs learned about how the API treats this stream.
    pub learned: ApiProfile,
}

impl Checkpoint {
    /// A fresh checkpoint of `stream` (nothing committed yet).
    pub fn new(stream: Resource, api: &str) -> Checkpoint {
        Checkpoint {
            stream,
            api: api.to_owned(),
            cursor: Cursor::Keyset { after: None },
            pages: 0,
            records: 0,
            rejects: 0,
            status: status::RUNNING.to_owned(),
            last_error: None,
            mapping_sha256: None,
            total_reported: None,
            updated_at: None,
            source_clock: None,
            learned: ApiProfile::default(),
        }
    }
}

/// What a page's commit does to its stream's checkpoint (written in the page's transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct Advance {
    /// `v1` or `v2`.
    pub api: String,
    /// The cursor after the page.
    pub next: Cursor,
    /// Records on the page.
    pub records: u64,
    /// Rejects the page wrote.
    pub rejects: u64,
    /// The API's total, when given.
    pub total: Option<u64>,
    /// The run committing it.
    pub run_id: i64,
    /// Checksum of the mapping the rows were made with.
    pub mapping_sha256: String,
    /// A new mark on the source's clock, and whether it replaces the old one (`true` on the
    /// first page of a catch-up pass) or only fills an empty one.
    pub source_clock: Option<(String, bool)>,
    /// What the source has learned about the stream so far.
    pub learned: ApiProfile,
}

impl Advance {
    /// Applies the advance to `cp` exactly as the SQL in [`postgres::advance`] does.
    pub fn apply(&self, cp: &mut Checkpoint) {
        cp.api.clone_from(&self.api);
        cp.cursor = self.next.clone();
        cp.pages += 1;
        cp.records += i64::try_from(self.records).unwrap_or(i64::MAX);
        cp.rejects += i64::try_from(self.rejects).unwrap_or(i64::MAX);
        cp.status = if self.next == Cursor::Done {
            status::DONE
        } else {
            status::RUNNING
        }
        .to_owned();
        cp.last_error = None;
        if let Some(total) = self.total {
            cp.total_reported = Some(i64::try_from(total).unwrap_or(i64::MAX));
        }
        cp.mapping_sha256 = Some(self.mapping_sha256.clone());
        if let Some((clock, replace)) = &self.source_clock {
            if *replace || cp.source_clock.is_none() {
                cp.source_clock = Some(clock.clone());
            }
        }
        cp.learned = cp.learned.merged(self.learned);
        cp.updated_at = Some(Utc::now());
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A statement failed.
    #[error("{context}: {source}")]
    Database {
        /// What was being done.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The nation in this database was exported from another source.
    #[error(
        "nation {nation:?} in this database was exported from {bound}, but this run reads \
         {asked}; a database's nation is bound to its source, so two sources are never mixed — \
         use another --nation name for this source, or --restart to re-bind {nation:?} to it \
         (its records are then checked against the new source, which asks before removing many)"
    )]
    SourceMismatch {
        /// The nation slug.
        nation: String,
        /// The source it is bound to (redacted).
        bound: String,
        /// The source this run asked for (redacted).
        asked: String,
    },
    /// A fault injected by a test (in-memory twin or failpoint).
    #[error("injected fault at {step}")]
    Injected {
        /// Where.
        step: &'static str,
        /// Whether it behaves like a transient database outage.
        transient: bool,
    },
}

impl StoreError {
    /// The driver's error, when there is one.
    pub fn sqlx(&self) -> Option<&sqlx::Error> {
        match self {
            StoreError::Database { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Whether retrying later may succeed (a database outage, a serialization failure).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database { source, .. } => crate::database::fault::is_transient(source),
            StoreError::Injected { transient, .. } => *transient,
            StoreError::SourceMismatch { .. } => false,
        }
    }
}

/// The store's result type.
pub type StoreResult<T> = Result<T, StoreError>;

/// The state of an export, owned in one place: checkpoints, runs, the page spool, the source
/// binding. Implemented for PostgreSQL ([`PgStore`]) and in memory ([`MemoryStore`]).
pub trait StateStore: Send + Sync + 'static {
    /// Every stream's checkpoint of `nation`, in stream order.
    fn checkpoints(
        &self,
        nation: &str,
    ) -> impl Future<Output = StoreResult<Vec<Checkpoint>>> + Send;

    /// Records a stream's state change that is not a page commit (failed, interrupted).
    fn mark(
        &self,
        nation: &str,
        stream: Resource,
        api: &str,
        status: &str,
        last_error: Option<&str>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Marks every stream and run of `nation` still `running` as `interrupted` (left so by a
    /// crash, or stopped by a signal now); returns how many runs it marked.
    fn interrupt(&self, nation: &str) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Forgets every checkpoint and spooled page of `nation` (`migrate --restart`). Archived and
    /// loaded data stay; the next run re-reads every stream and upserts over them.
    fn reset(&self, nation: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Opens a run record and returns its id.
    fn start_run(
        &self,
        nation: &str,
        api: &str,
        mapping_sha256: &str,
        options: &Value,
    ) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Closes a run record with one of [`status`].
    fn finish_run(
        &self,
        run_id: i64,
        status: &str,
        error: Option<&str>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Binds `nation` to the source it is read from (the API base URL, redacted), or checks
    /// that it is the one it is bound to; `rebind` moves the binding (`--restart`).
    fn bind_source(
        &self,
        nation: &str,
        source: &str,
        rebind: bool,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Spools a fetched page, keyed by the cursor it was fetched with.
    fn spool_put(
        &self,
        nation: &str,
        stream: Resource,
        run_id: i64,
        cursor: &Cursor,
        page: &Page,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The spooled pages that continue `stream` from `from`, in order (each fetched with its
    /// predecessor's `next`); every other spooled page of the stream is stale and is dropped.
    fn spool_chain(
        &self,
        nation: &str,
        stream: Resource,
        from: &Cursor,
    ) -> impl Future<Output = StoreResult<Vec<Page>>> + Send;

    /// How many fetched pages of `nation` wait in the spool.
    fn spool_waiting(&self, nation: &str) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Records that `stream`'s rows are now made with the mapping `sha` (after `remap`).
    fn set_mapping(
        &self,
        nation: &str,
        stream: Resource,
        sha: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Orders spooled pages into the chain that continues a stream from `from` (the first fetched
/// with `from`, each next one with its predecessor's `next`); returns the chain and the cursors
/// of the pages off it (stale). Pure: both stores use it.
pub(crate) fn spool_chain_of(
    mut spooled: Vec<(Cursor, Page)>,
    from: &Cursor,
) -> (Vec<Page>, Vec<Cursor>) {
    let mut chain = Vec::new();
    let mut at = from.clone();
    while at != Cursor::Done {
        let Some(i) = spooled.iter().position(|(c, _)| *c == at) else {
            break;
        };
        let (_, page) = spooled.swap_remove(i);
        at = page.next.clone();
        // Each step takes a page out of `spooled`, so a cycle of cursors ends too.
        chain.push(page);
    }
    (chain, spooled.into_iter().map(|(c, _)| c).collect())
}
