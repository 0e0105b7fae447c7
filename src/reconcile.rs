//! Reconcile: the end-of-run passes that make the loaded tables equal the source as of the end
//! of the run, even though the nation changed while it was being read.
//!
//! Keyset paging never skips or repeats a record, but it cannot see a change behind its cursor:
//! a person updated after their page was read, or deleted, or a record created with an id the
//! cursor had passed. NationBuilder has no tombstones, so after the main pass each stream is
//! reconciled in rounds until a round finds nothing:
//!
//! 1. **catch-up** — where the API can filter on `updated_at` (people, donations), re-read the
//!    records changed since the stream's mark on the source's own clock;
//! 2. **sweep** — enumerate every id at the source (small id-only pages) and compare with the
//!    archive inside PostgreSQL: ids the source no longer has are marked
//!    `raw.records.deleted_at_source` and their core rows removed (the archived body stays);
//!    ids the archive lacks are fetched one by one and loaded like any page.
//!
//! Every write goes through the same one-transaction page commit as the main pass.

use sqlx::{PgPool, Row};

use crate::fetch::{sweep_ids, Cursor, Source, Stream};
use crate::load;
use crate::pipeline::{self, build_batch, Mapper, PipelineError, RunSettings};
use crate::progress::NoProgress;

/// What reconciliation changed for one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Records re-read by catch-up passes.
    pub caught_up: u64,
    /// Records found deleted at source.
    pub deleted: u64,
    /// Records fetched because the archive lacked them.
    pub fetched: u64,
    /// Rounds run.
    pub rounds: u32,
    /// Whether anything changed (count of changed records and catch-up passes that changed).
    pub changed: u64,
}

impl ReconcileReport {
    /// Adds another round's findings.
    pub fn absorb(&mut self, other: ReconcileReport) {
        self.caught_up += other.caught_up;
        self.deleted += other.deleted;
        self.fetched += other.fetched;
        self.rounds += other.rounds;
        self.changed += other.changed;
    }
}

/// Rounds before giving up on a source that keeps changing (the last round's findings are
/// still applied; the next run continues).
pub const MAX_ROUNDS: u32 = 10;

/// One reconciliation round of one stream: a catch-up pass, then an id sweep.
pub async fn reconcile_round<S: Source, M: Mapper>(
    pool: &PgPool,
    settings: &RunSettings,
    source: &S,
    mapper: &M,
    stream: Stream,
) -> Result<ReconcileReport, PipelineError> {
    let mut report = ReconcileReport {
        rounds: 1,
        ..ReconcileReport::default()
    };
    let fail = |source| PipelineError::Fetch { stream, source };
    let db = |source: sqlx::Error| {
        PipelineError::Load(load::LoadError::Statement {
            stream,
            table: "reconcile".into(),
            source,
        })
    };
    {
        let mut changed = 0u64;

        // 1. Catch-up from the mark on the source's clock.
        let mark: Option<String> = sqlx::query_scalar(
            "SELECT source_clock FROM sync.checkpoints WHERE nation = $1 AND stream = $2",
        )
        .bind(&settings.nation)
        .bind(stream.as_str())
        .fetch_optional(pool)
        .await
        .map_err(db)?
        .flatten();
        if let Some(cursor) = source.changed_since(stream, mark.as_deref()) {
            let before = archived_hashes(pool, settings, stream).await.map_err(db)?;
            // Catch-up pages are not new records: keep them off the progress bars.
            let pass =
                pipeline::run_stream(pool, settings, source, mapper, &NoProgress, stream, cursor)
                    .await?;
            report.caught_up += pass.archived;
            let after = archived_hashes(pool, settings, stream).await.map_err(db)?;
            changed += u64::from(before != after);
        }

        // 2. Sweep the ids at source into a temporary table, then diff inside PostgreSQL.
        let mut conn = pool.acquire().await.map_err(db)?;
        sqlx::query(
            "CREATE TEMPORARY TABLE IF NOT EXISTS reconcile_ids (source_id text PRIMARY KEY)",
        )
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        sqlx::query("TRUNCATE reconcile_ids")
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        let swept = sweep_ids(source, stream).await.map_err(fail)?;
        if !swept.complete {
            // A partial list would mark every unseen record deleted: stop instead.
            return Err(PipelineError::IncompleteSweep { stream });
        }
        for chunk in swept.ids.chunks(10_000) {
            sqlx::query(
                "INSERT INTO reconcile_ids SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING",
            )
            .bind(chunk)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        }

        // Gone at source: mark the archive, remove the derived rows.
        let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db)?;
        let gone: Vec<String> = sqlx::query_scalar(
            "UPDATE raw.records r SET deleted_at_source = now()
              WHERE r.nation = $1 AND r.resource = $2 AND r.deleted_at_source IS NULL
                AND NOT EXISTS (SELECT 1 FROM reconcile_ids i WHERE i.source_id = r.source_id)
             RETURNING r.source_id",
        )
        .bind(&settings.nation)
        .bind(stream.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        if !gone.is_empty() {
            for (table, parent) in mapper.tables(stream) {
                let column = parent.unwrap_or_else(|| "source_id".to_owned());
                let sql = format!(
                    "DELETE FROM {} WHERE nation = $1 AND {} = ANY($2::text[])",
                    load::quote_ident(&table)?,
                    load::quote_ident(&column)?
                );
                sqlx::query(&sql)
                    .bind(&settings.nation)
                    .bind(&gone)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            tracing::info!(stream = %stream, count = gone.len(), "records deleted at source since they were archived");
        }
        tx.commit().await.map_err(db)?;
        report.deleted += gone.len() as u64;
        changed += gone.len() as u64;

        // New or reappeared at source: fetch them by id.
        let missing: Vec<String> = sqlx::query(
            "SELECT i.source_id FROM reconcile_ids i
              WHERE NOT EXISTS (SELECT 1 FROM raw.records r
                                 WHERE r.nation = $1 AND r.resource = $2
                                   AND r.source_id = i.source_id AND r.deleted_at_source IS NULL)
              ORDER BY i.source_id",
        )
        .bind(&settings.nation)
        .bind(stream.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .filter_map(|row| row.try_get::<String, _>(0).ok())
        .collect();
        drop(conn);
        for chunk in missing.chunks(100) {
            let mut records = Vec::with_capacity(chunk.len());
            for id in chunk {
                if let Some(record) = source.fetch_record(stream, id).await.map_err(fail)? {
                    records.push(record);
                }
            }
            if records.is_empty() {
                continue;
            }
            let batch = build_batch(
                settings,
                stream,
                mapper,
                &records,
                &mapper.checksum(),
                Cursor::Done,
                None,
            );
            let outcome = load::commit_page(pool, &batch).await?;
            report.fetched += outcome.archived;
            changed += outcome.archived;
        }
        report.changed = changed;
    }
    Ok(report)
}

/// A fingerprint of a stream's live archive (record count, and an MD5 over the records' hashes
/// in id order), used to tell whether a catch-up pass changed anything.
async fn archived_hashes(
    pool: &PgPool,
    settings: &RunSettings,
    stream: Stream,
) -> sqlx::Result<(i64, Option<String>)> {
    let row = sqlx::query(
        "SELECT count(*) AS n, md5(string_agg(sha256, '' ORDER BY source_id)) AS digest
           FROM raw.records WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL",
    )
    .bind(&settings.nation)
    .bind(stream.as_str())
    .fetch_one(pool)
    .await?;
    Ok((row.try_get("n")?, row.try_get("digest")?))
}
