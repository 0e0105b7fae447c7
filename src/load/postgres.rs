//! The PostgreSQL [`Sink`]: one transaction per page, bulk `UNNEST` upserts, and the
//! archive queries reconciliation and `remap` need. A page commits only while this run holds
//! the nation's advisory lock ([`NationLock::held_in`]); when the session holding it ended (a
//! database restart), the lock is taken again and the page retried.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sqlx::{PgPool, Postgres, Row, Transaction};

use super::{
    quote_ident, statement_error, unnest, IdDiff, LoadError, PageBatch, PageOutcome, RawRow, Sink,
    TableRows,
};
use crate::checkpoint::{postgres as store, NationLock};
use crate::fetch::{SourceRecord, Stream};

/// Loads into PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgSink {
    pool: PgPool,
    lock: Option<Arc<NationLock>>,
}

impl PgSink {
    /// A sink over `pool`; with `lock`, every page asserts that the run still holds the
    /// nation (migrate, remap), without it (verify's re-derivation never commits) it does not.
    pub fn new(pool: PgPool, lock: Option<Arc<NationLock>>) -> Self {
        Self { pool, lock }
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// A page's transaction with its records and rows written, but not its checkpoint.
pub struct PreparedPage {
    tx: Transaction<'static, Postgres>,
    outcome: PageOutcome,
}

impl Sink for PgSink {
    type Prepared = PreparedPage;

    async fn prepare(&self, batch: Arc<PageBatch>) -> Result<PreparedPage, LoadError> {
        let stream = batch.stream;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(statement_error(stream, "begin"))?;
        // Only keyset pages, which never share a record, are prepared side by side, so two
        // open page transactions do not wait on each other's rows; the timeout turns a surprise
        // into a retried page instead of a hang. The page and its checkpoint commit together,
        // so an asynchronous commit lost in a server crash only means the page is fetched
        // again.
        sqlx::query(
            "SELECT set_config('synchronous_commit', 'off', true), set_config('lock_timeout', '60s', true)",
        )
        .execute(&mut *tx)
        .await
        .map_err(statement_error(stream, "begin"))?;
        let (archived, known) = write_raw(&mut tx, &batch)
            .await
            .map_err(statement_error(stream, "raw.records"))?;
        let mut outcome = PageOutcome {
            archived,
            ..PageOutcome::default()
        };
        for (table, rows) in &batch.tables {
            outcome.rows += write_table(&mut tx, &batch, table, rows, &known).await?;
        }
        outcome.rejected = write_rejects(&mut tx, &batch)
            .await
            .map_err(statement_error(stream, "sync.rejects"))?;
        Ok(PreparedPage { tx, outcome })
    }

    async fn finish(
        &self,
        prepared: PreparedPage,
        batch: Arc<PageBatch>,
    ) -> Result<PageOutcome, LoadError> {
        let stream = batch.stream;
        let PreparedPage { mut tx, outcome } = prepared;
        if let Some(lock) = &self.lock {
            let (held, session) = lock
                .held_in(&mut tx)
                .await
                .map_err(statement_error(stream, "pg_locks"))?;
            if !held {
                drop(tx);
                let retaken = lock.retake(session).await.map_err(|e| match e {
                    crate::checkpoint::StoreError::Database { source, .. } => {
                        LoadError::Statement {
                            stream,
                            table: "the nation's advisory lock".into(),
                            source,
                        }
                    }
                    _ => LoadError::LockLost {
                        nation: batch.nation.clone(),
                    },
                })?;
                return Err(if retaken {
                    LoadError::LockRetaken
                } else {
                    LoadError::LockLost {
                        nation: batch.nation.clone(),
                    }
                });
            }
        }
        write_fields(&mut tx, &batch)
            .await
            .map_err(statement_error(stream, "sync.field_dispositions"))?;
        if batch.advances_checkpoint {
            store::advance(&mut tx, &batch.nation, stream, &batch.advance(outcome))
                .await
                .map_err(statement_error(stream, "sync.checkpoints"))?;
        }
        if let Some(cursor) = &batch.spooled {
            store::remove_spooled(&mut tx, &batch.nation, stream, cursor)
                .await
                .map_err(statement_error(stream, "sync.page_spool"))?;
        }
        crate::failpoint::hit(crate::failpoint::BEFORE_COMMIT);
        tx.commit()
            .await
            .map_err(statement_error(stream, "commit"))?;
        Ok(outcome)
    }

    async fn live_digest(
        &self,
        nation: &str,
        stream: Stream,
    ) -> Result<(i64, Option<String>), LoadError> {
        let row = sqlx::query(
            "SELECT count(*) AS n, md5(string_agg(sha256, '' ORDER BY source_id)) AS digest
               FROM raw.records WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL",
        )
        .bind(nation)
        .bind(stream.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(statement_error(stream, "raw.records"))?;
        let n: i64 = row
            .try_get("n")
            .map_err(statement_error(stream, "raw.records"))?;
        let digest: Option<String> = row
            .try_get("digest")
            .map_err(statement_error(stream, "raw.records"))?;
        Ok((n, digest))
    }

    async fn compare_ids(
        &self,
        nation: &str,
        stream: Stream,
        listed: &[String],
    ) -> Result<IdDiff, LoadError> {
        let err = statement_error(stream, "reconcile_ids");
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(statement_error(stream, "begin"))?;
        sqlx::query(
            "CREATE TEMPORARY TABLE reconcile_ids (source_id text PRIMARY KEY) ON COMMIT DROP",
        )
        .execute(&mut *tx)
        .await
        .map_err(statement_error(stream, "reconcile_ids"))?;
        for chunk in listed.chunks(10_000) {
            sqlx::query(
                "INSERT INTO reconcile_ids SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING",
            )
            .bind(chunk)
            .execute(&mut *tx)
            .await
            .map_err(statement_error(stream, "reconcile_ids"))?;
        }
        sqlx::query("ANALYZE reconcile_ids")
            .execute(&mut *tx)
            .await
            .map_err(statement_error(stream, "reconcile_ids"))?;
        let absent: Vec<String> = sqlx::query_scalar(
            "SELECT r.source_id FROM raw.records r
              WHERE r.nation = $1 AND r.resource = $2 AND r.deleted_at_source IS NULL
                AND NOT EXISTS (SELECT 1 FROM reconcile_ids i WHERE i.source_id = r.source_id)
              ORDER BY r.source_id",
        )
        .bind(nation)
        .bind(stream.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(statement_error(stream, "raw.records"))?;
        let unarchived: Vec<String> = sqlx::query_scalar(
            "SELECT i.source_id FROM reconcile_ids i
              WHERE NOT EXISTS (SELECT 1 FROM raw.records r
                                 WHERE r.nation = $1 AND r.resource = $2
                                   AND r.source_id = i.source_id AND r.deleted_at_source IS NULL)
              ORDER BY i.source_id",
        )
        .bind(nation)
        .bind(stream.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(statement_error(stream, "raw.records"))?;
        tx.commit().await.map_err(err)?;
        Ok(IdDiff { absent, unarchived })
    }

    async fn mark_deleted(
        &self,
        nation: &str,
        stream: Stream,
        ids: &[String],
        tables: &[(String, Option<String>)],
    ) -> Result<u64, LoadError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(statement_error(stream, "begin"))?;
        let marked = sqlx::query(
            "UPDATE raw.records SET deleted_at_source = now()
              WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL
                AND source_id = ANY($3::text[])",
        )
        .bind(nation)
        .bind(stream.as_str())
        .bind(ids)
        .execute(&mut *tx)
        .await
        .map_err(statement_error(stream, "raw.records"))?
        .rows_affected();
        for (table, parent) in tables {
            let column = parent.as_deref().unwrap_or("source_id");
            let sql = format!(
                "DELETE FROM {} WHERE nation = $1 AND {} = ANY($2::text[])",
                quote_ident(table)?,
                quote_ident(column)?
            );
            sqlx::query(&sql)
                .bind(nation)
                .bind(ids)
                .execute(&mut *tx)
                .await
                .map_err(statement_error(stream, table))?;
        }
        tx.commit()
            .await
            .map_err(statement_error(stream, "commit"))?;
        Ok(marked)
    }

    async fn archived(
        &self,
        nation: &str,
        stream: Stream,
        after: &str,
        limit: usize,
    ) -> Result<Vec<SourceRecord>, LoadError> {
        let rows = sqlx::query(
            "SELECT source_id, body::text AS body FROM raw.records
              WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL
                AND source_id > $3
              ORDER BY source_id LIMIT $4",
        )
        .bind(nation)
        .bind(stream.as_str())
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(statement_error(stream, "raw.records"))?;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            let source_id: String = row
                .try_get("source_id")
                .map_err(statement_error(stream, "raw.records"))?;
            let body: String = row
                .try_get("body")
                .map_err(statement_error(stream, "raw.records"))?;
            // The archive holds valid JSON by construction (column type json).
            let value: serde_json::Value =
                serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
            records.push(SourceRecord {
                source_id: Some(source_id),
                body,
                value,
            });
        }
        Ok(records)
    }

    async fn reject_count(&self, nation: &str) -> Result<u64, LoadError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sync.rejects WHERE nation = $1")
            .bind(nation)
            .fetch_one(&self.pool)
            .await
            .map_err(|source| LoadError::Query {
                context: "counting sync.rejects",
                source,
            })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Archives the page's raw records; returns how many, and the ids that were already archived
/// before this page (only those can have derived rows to replace).
async fn write_raw(
    tx: &mut Transaction<'_, Postgres>,
    batch: &PageBatch,
) -> sqlx::Result<(u64, BTreeSet<String>)> {
    if batch.raw.is_empty() {
        return Ok((0, BTreeSet::new()));
    }
    // A page can repeat an id under offset paging; keep the last copy.
    let mut by_id: BTreeMap<&str, &RawRow> = BTreeMap::new();
    for row in &batch.raw {
        by_id.insert(&row.source_id, row);
    }
    let ids: Vec<&str> = by_id.keys().copied().collect();
    let bodies: Vec<&str> = by_id.values().map(|r| r.body.as_str()).collect();
    let hashes: Vec<&str> = by_id.values().map(|r| r.sha256.as_str()).collect();
    // `xmax = 0` on the returned row means the upsert inserted it.
    let rows: Vec<(String, bool)> = sqlx::query_as(
        r#"INSERT INTO raw.records AS t (nation, resource, source_id, api, body, sha256, fetched_at, run_id)
           SELECT $1, $2, r.source_id, $3, r.body::json, r.sha256, now(), $4
             FROM UNNEST($5::text[], $6::text[], $7::text[]) AS r(source_id, body, sha256)
           ON CONFLICT (nation, resource, source_id) DO UPDATE
              SET body = EXCLUDED.body, sha256 = EXCLUDED.sha256, api = EXCLUDED.api,
                  fetched_at = EXCLUDED.fetched_at, run_id = EXCLUDED.run_id,
                  deleted_at_source = NULL
           RETURNING t.source_id, t.xmax::text <> '0'"#,
    )
    .bind(&batch.nation)
    .bind(batch.stream.as_str())
    .bind(&batch.api)
    .bind(batch.run_id)
    .bind(&ids)
    .bind(&bodies)
    .bind(&hashes)
    .fetch_all(&mut **tx)
    .await?;
    let archived = rows.len() as u64;
    let known = rows
        .into_iter()
        .filter_map(|(id, existed)| existed.then_some(id))
        .collect();
    Ok((archived, known))
}

async fn write_table(
    tx: &mut Transaction<'_, Postgres>,
    batch: &PageBatch,
    table: &str,
    rows: &TableRows,
    known: &BTreeSet<String>,
) -> Result<u64, LoadError> {
    let stream = batch.stream;
    let qtable = quote_ident(table)?;
    if let Some((parent_col, parents)) = &rows.replace_children_of {
        // A parent archived for the first time by this page has no child rows yet.
        let parents: Vec<&str> = parents
            .iter()
            .filter(|p| known.contains(p.as_str()))
            .map(String::as_str)
            .collect();
        if !parents.is_empty() {
            let keep: Vec<&str> = rows.rows.iter().map(|r| r.source_id.as_str()).collect();
            let sql = format!(
                "DELETE FROM {qtable} WHERE nation = $1 AND {} = ANY($2::text[]) AND NOT (source_id = ANY($3::text[]))",
                quote_ident(parent_col)?
            );
            sqlx::query(&sql)
                .bind(&batch.nation)
                .bind(&parents)
                .bind(&keep)
                .execute(&mut **tx)
                .await
                .map_err(statement_error(stream, table))?;
        }
    }
    if rows.rows.is_empty() {
        return Ok(0);
    }
    let u = unnest(rows.table, &rows.rows, 3)?;
    let updates: String = u
        .columns
        .iter()
        .skip(1)
        .map(|c| format!(", {c} = EXCLUDED.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO {qtable} AS t (nation, run_id, {})
         SELECT $1, $2, {} FROM {}
         ON CONFLICT (nation, source_id) DO UPDATE
            SET run_id = EXCLUDED.run_id, loaded_at = now(){updates}",
        u.columns.join(", "),
        u.select,
        u.from
    );
    let mut query = sqlx::query(&sql).bind(&batch.nation).bind(batch.run_id);
    for array in u.arrays {
        query = query.bind(array);
    }
    let done = query
        .execute(&mut **tx)
        .await
        .map_err(statement_error(stream, table))?;
    Ok(done.rows_affected())
}

async fn write_rejects(tx: &mut Transaction<'_, Postgres>, batch: &PageBatch) -> sqlx::Result<u64> {
    if !batch.mapped_ids.is_empty() {
        sqlx::query(
            "DELETE FROM sync.rejects WHERE nation = $1 AND resource = $2 AND source_id = ANY($3::text[])",
        )
        .bind(&batch.nation)
        .bind(batch.stream.as_str())
        .bind(&batch.mapped_ids)
        .execute(&mut **tx)
        .await?;
    }
    if batch.rejects.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for chunk in batch.rejects.chunks(1000) {
        let ids: Vec<Option<&str>> = chunk.iter().map(|r| r.source_id.as_deref()).collect();
        let fields: Vec<&str> = chunk.iter().map(|r| r.field.as_str()).collect();
        let reasons: Vec<&str> = chunk.iter().map(|r| r.reason.as_str()).collect();
        let bodies: Vec<Option<&str>> = chunk.iter().map(|r| r.body.as_deref()).collect();
        let done = sqlx::query(
            r#"INSERT INTO sync.rejects (nation, resource, source_id, field, reason, body, run_id, rejected_at)
               SELECT DISTINCT ON (r.source_id, r.field) $1, $2, r.source_id, r.field, r.reason, r.body::json, $3, now()
                 FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[]) AS r(source_id, field, reason, body)
               ON CONFLICT (nation, resource, source_id, field) DO UPDATE
                  SET reason = EXCLUDED.reason, body = EXCLUDED.body, run_id = EXCLUDED.run_id,
                      rejected_at = EXCLUDED.rejected_at"#,
        )
        .bind(&batch.nation)
        .bind(batch.stream.as_str())
        .bind(batch.run_id)
        .bind(&ids)
        .bind(&fields)
        .bind(&reasons)
        .bind(&bodies)
        .execute(&mut **tx)
        .await?;
        n += done.rows_affected();
    }
    Ok(n)
}

async fn write_fields(tx: &mut Transaction<'_, Postgres>, batch: &PageBatch) -> sqlx::Result<()> {
    if batch.fields.is_empty() {
        return Ok(());
    }
    let mut fields = Vec::with_capacity(batch.fields.len());
    let mut dispositions = Vec::with_capacity(batch.fields.len());
    let mut targets = Vec::with_capacity(batch.fields.len());
    let mut counts = Vec::with_capacity(batch.fields.len());
    for ((field, disposition, target), count) in &batch.fields {
        fields.push(field.as_str());
        dispositions.push(disposition.as_str());
        targets.push(target.as_deref());
        counts.push(i64::try_from(*count).unwrap_or(i64::MAX));
    }
    sqlx::query(
        r#"INSERT INTO sync.field_dispositions AS f (nation, resource, source_field, disposition, target, seen_count, run_id)
           SELECT DISTINCT ON (r.field) $1, $2, r.field, r.disposition, r.target, r.n, $3
             FROM UNNEST($4::text[], $5::text[], $6::text[], $7::bigint[]) AS r(field, disposition, target, n)
           ON CONFLICT (nation, resource, source_field) DO UPDATE
              SET disposition = EXCLUDED.disposition, target = EXCLUDED.target,
                  seen_count = f.seen_count + EXCLUDED.seen_count, run_id = EXCLUDED.run_id"#,
    )
    .bind(&batch.nation)
    .bind(batch.stream.as_str())
    .bind(batch.run_id)
    .bind(&fields)
    .bind(&dispositions)
    .bind(&targets)
    .bind(&counts)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
