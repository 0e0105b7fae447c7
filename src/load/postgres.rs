//! The PostgreSQL [`Sink`]: one transaction per page, `COPY` for what the page archives for
//! the first time and bulk `UNNEST` upserts for the rest, and the archive queries
//! reconciliation and `remap` need. A page commits only while this run holds the nation's
//! advisory lock ([`NationLock::held_in`]); when the session holding it ended (a
//! database restart), the lock is taken again and the page retried.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sqlx::{PgPool, Postgres, Row, Transaction};

use super::{
    copy, quote_ident, statement_error, unnest, IdDiff, LoadError, LoadRow, PageBatch, PageOutcome,
    RawRow, RejectRow, Sink, TableRows,
};
use crate::checkpoint::{postgres as store, NationLock};
use crate::fetch::SourceRecord;
use crate::resource::Resource;

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
        let changed = if batch.count_changes {
            count_changed(&mut tx, &batch)
                .await
                .map_err(statement_error(stream, "raw.records"))?
        } else {
            0
        };
        let mut outcome = write_page_isolating(&mut tx, &batch).await?;
        outcome.changed = changed;
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
        stream: Resource,
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

    async fn live_ids(&self, nation: &str, stream: Resource) -> Result<Vec<String>, LoadError> {
        sqlx::query_scalar(
            "SELECT source_id FROM raw.records
              WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL",
        )
        .bind(nation)
        .bind(stream.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(statement_error(stream, "raw.records"))
    }

    async fn orphans_of_deleted(
        &self,
        nation: &str,
        stream: Resource,
        column: &str,
        of: Resource,
    ) -> Result<Vec<String>, LoadError> {
        let table = stream.def().table;
        let sql = format!(
            "SELECT t.source_id FROM {table} t
               JOIN raw.records p ON p.nation = t.nation AND p.resource = $2
                                 AND p.source_id = t.{column} AND p.deleted_at_source IS NOT NULL
               JOIN raw.records r ON r.nation = t.nation AND r.resource = $3
                                 AND r.source_id = t.source_id AND r.deleted_at_source IS NULL
              WHERE t.nation = $1",
            table = quote_ident(table)?,
            column = quote_ident(column)?,
        );
        sqlx::query_scalar(&sql)
            .bind(nation)
            .bind(of.as_str())
            .bind(stream.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(statement_error(stream, table))
    }

    async fn compare_ids(
        &self,
        nation: &str,
        stream: Resource,
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
        stream: Resource,
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
        stream: Resource,
        after: &str,
        limit: usize,
    ) -> Result<Vec<SourceRecord>, LoadError> {
        let rows = sqlx::query(
            "SELECT source_id, COALESCE(body_bytes, convert_to(body::text, 'UTF8')) AS body
               FROM raw.records
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
            let body: Vec<u8> = row
                .try_get("body")
                .map_err(statement_error(stream, "raw.records"))?;
            records.push(SourceRecord::from_archive(source_id, body));
        }
        Ok(records)
    }

    async fn analyze(&self, tables: &[String]) -> Result<(), LoadError> {
        // Two sessions take the tables in turn, so both cores work on what is, at the end of
        // a run, its last step (measured: 1.6 s of 30,000 people's 20 s on one session).
        let queue = std::sync::Mutex::new(tables.to_vec());
        let next = || queue.lock().ok().and_then(|mut q| q.pop());
        let lane = || async {
            while let Some(table) = next() {
                crate::database::statistics::analyze(&self.pool, std::slice::from_ref(&table))
                    .await?;
            }
            Ok::<(), sqlx::Error>(())
        };
        tokio::try_join!(lane(), lane())
            .map(|_| ())
            .map_err(|source| LoadError::Query {
                context: "refreshing the planner statistics (ANALYZE)",
                source,
            })
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

/// Writes the page's records, rows and rejects. When that fails on a data error (a value the
/// checks before loading did not catch: PostgreSQL refused it), the page is bisected under
/// savepoints to isolate the records it cannot take; each is rejected with the database's
/// message (and archived, when the archive can take it) and the rest of the page is written:
/// one bad record never stops the export.
async fn write_page_isolating(
    tx: &mut Transaction<'static, Postgres>,
    batch: &PageBatch,
) -> Result<PageOutcome, LoadError> {
    let stream = batch.stream;
    let savepoint = |sql: &'static str| sqlx::query(sql);
    savepoint("SAVEPOINT nbx_page")
        .execute(&mut **tx)
        .await
        .map_err(statement_error(stream, "savepoint"))?;
    let mut first = match write_records(tx, batch, Write::CopyNew).await {
        Ok(outcome) => {
            savepoint("RELEASE SAVEPOINT nbx_page")
                .execute(&mut **tx)
                .await
                .map_err(statement_error(stream, "savepoint"))?;
            return Ok(outcome);
        }
        Err(err) => err,
    };
    if is_unique_violation(&first) {
        // A row copied as new already existed (a table fed by another stream, or a duplicate
        // the database refuses anyway): write the page again with upserts only.
        savepoint("ROLLBACK TO SAVEPOINT nbx_page")
            .execute(&mut **tx)
            .await
            .map_err(statement_error(stream, "savepoint"))?;
        first = match write_records(tx, batch, Write::Upsert).await {
            Ok(outcome) => {
                savepoint("RELEASE SAVEPOINT nbx_page")
                    .execute(&mut **tx)
                    .await
                    .map_err(statement_error(stream, "savepoint"))?;
                return Ok(outcome);
            }
            Err(err) => err,
        };
    }
    if !is_data_error(&first) {
        return Err(first);
    }
    savepoint("ROLLBACK TO SAVEPOINT nbx_page")
        .execute(&mut **tx)
        .await
        .map_err(statement_error(stream, "savepoint"))?;
    tracing::warn!(stream = %stream, error = %first, "the database refused part of a page; isolating the records it cannot take");
    let mut ids: Vec<String> = Vec::new();
    for row in &batch.raw {
        if !ids.contains(&row.source_id) {
            ids.push(row.source_id.clone());
        }
    }
    let mut outcome = PageOutcome::default();
    // Rejects of records without an id go on their own; then halves of the records.
    let mut groups: Vec<(Vec<String>, bool)> = Vec::new();
    let half = ids.len() / 2;
    groups.push((ids[half..].to_vec(), false));
    groups.push((ids[..half].to_vec(), false));
    groups.push((Vec::new(), true));
    let mut refused: Vec<(String, String)> = Vec::new();
    while let Some((group, idless)) = groups.pop() {
        if group.is_empty() && !idless {
            continue;
        }
        let part = batch.subset(&group, idless);
        savepoint("SAVEPOINT nbx_part")
            .execute(&mut **tx)
            .await
            .map_err(statement_error(stream, "savepoint"))?;
        match write_records(tx, &part, Write::Upsert).await {
            Ok(o) => {
                savepoint("RELEASE SAVEPOINT nbx_part")
                    .execute(&mut **tx)
                    .await
                    .map_err(statement_error(stream, "savepoint"))?;
                outcome.archived += o.archived;
                outcome.new += o.new;
                outcome.rows += o.rows;
                outcome.rejected += o.rejected;
            }
            Err(err) if is_data_error(&err) && !idless => {
                savepoint("ROLLBACK TO SAVEPOINT nbx_part")
                    .execute(&mut **tx)
                    .await
                    .map_err(statement_error(stream, "savepoint"))?;
                if group.len() > 1 {
                    let half = group.len() / 2;
                    groups.push((group[half..].to_vec(), false));
                    groups.push((group[..half].to_vec(), false));
                } else if let Some(id) = group.into_iter().next() {
                    refused.push((id, database_message(&err)));
                }
            }
            Err(err) => return Err(err),
        }
    }
    for (id, message) in refused {
        // Archive it if the archive can take it, then reject it whole.
        let mut part = batch.subset(std::slice::from_ref(&id), false);
        part.tables.clear();
        part.mapped_ids.clear();
        part.rejects = vec![RejectRow {
            source_id: Some(id.clone()),
            field: "(record)".into(),
            reason: format!("{}: {message}", super::DATABASE_REFUSED),
            body: None,
            json_storable: true,
        }];
        let raw = std::mem::take(&mut part.raw);
        savepoint("SAVEPOINT nbx_part")
            .execute(&mut **tx)
            .await
            .map_err(statement_error(stream, "savepoint"))?;
        let archived = {
            let mut with_raw = part.clone();
            with_raw.raw = raw.clone();
            write_records(tx, &with_raw, Write::Upsert).await
        };
        match archived {
            Ok(o) => {
                outcome.archived += o.archived;
                outcome.new += o.new;
                outcome.rejected += o.rejected;
            }
            Err(err) if is_data_error(&err) => {
                savepoint("ROLLBACK TO SAVEPOINT nbx_part")
                    .execute(&mut **tx)
                    .await
                    .map_err(statement_error(stream, "savepoint"))?;
                // Not even the archive takes it: keep its bytes in the reject.
                part.rejects[0].source_id = None;
                part.rejects[0].field = "id".into();
                part.rejects[0].reason = format!(
                    "the database refused to archive the record: {}",
                    database_message(&err)
                );
                if let Some(row) = raw.first() {
                    part.rejects[0].body = Some(row.body.clone());
                    part.rejects[0].json_storable = row.json_storable;
                }
                let o = write_records(tx, &part, Write::Upsert).await?;
                outcome.rejected += o.rejected;
            }
            Err(err) => return Err(err),
        }
        savepoint("RELEASE SAVEPOINT nbx_part")
            .execute(&mut **tx)
            .await
            .map_err(statement_error(stream, "savepoint"))?;
    }
    Ok(outcome)
}

/// How [`write_records`] writes a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Records not archived yet, and the rows derived from them, go in by `COPY` (no conflict
    /// check, no speculative insertion); the rest is upserted. A row that exists after all
    /// fails the page with a unique violation, and the page is written again with
    /// [`Write::Upsert`].
    CopyNew,
    /// Everything is upserted.
    Upsert,
}

/// Archives, upserts and rejects what `batch` holds (no checkpoint).
async fn write_records(
    tx: &mut Transaction<'static, Postgres>,
    batch: &PageBatch,
    how: Write,
) -> Result<PageOutcome, LoadError> {
    let stream = batch.stream;
    let (archived, known) = match how {
        Write::CopyNew => copy_raw(tx, batch).await,
        Write::Upsert => write_raw(tx, batch).await,
    }
    .map_err(statement_error(stream, "raw.records"))?;
    let mut outcome = PageOutcome {
        archived,
        new: archived.saturating_sub(known.len() as u64),
        ..PageOutcome::default()
    };
    let new: BTreeSet<&str> = match how {
        Write::CopyNew => batch
            .raw
            .iter()
            .map(|r| r.source_id.as_str())
            .filter(|id| !known.contains(*id))
            .collect(),
        Write::Upsert => BTreeSet::new(),
    };
    for (table, rows) in &batch.tables {
        outcome.rows += write_table(tx, batch, table, rows, &known, &new).await?;
    }
    outcome.rejected = write_rejects(tx, batch)
        .await
        .map_err(statement_error(stream, "sync.rejects"))?;
    Ok(outcome)
}

/// Whether the database refused a value (a data exception, an integrity constraint, a
/// program limit such as the index row size) rather than failing as a server.
fn is_data_error(err: &LoadError) -> bool {
    let Some(sqlx::Error::Database(db)) = err.sqlx() else {
        return false;
    };
    db.code()
        .is_some_and(|code| matches!(code.get(..2), Some("22" | "23" | "54")))
}

/// Whether a statement failed because a row with its key exists already (SQLSTATE 23505).
fn is_unique_violation(err: &LoadError) -> bool {
    matches!(err.sqlx(), Some(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505"))
}

/// The database's message for a refused value, on one line.
fn database_message(err: &LoadError) -> String {
    match err.sqlx() {
        Some(sqlx::Error::Database(db)) => {
            let mut text: String = db
                .message()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(code) = db.code() {
                text.push_str(&format!(" (SQLSTATE {code})"));
            }
            crate::fetch::scan::field_label(&text)
        }
        _ => err.to_string(),
    }
}

/// How many of the page's records are archived already (and live) with another hash, or were
/// marked deleted at source: what this page changes in the archive.
async fn count_changed(tx: &mut Transaction<'_, Postgres>, batch: &PageBatch) -> sqlx::Result<u64> {
    let ids: Vec<&str> = batch.raw.iter().map(|r| r.source_id.as_str()).collect();
    let hashes: Vec<&str> = batch.raw.iter().map(|r| r.sha256.as_str()).collect();
    let n: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT t.source_id) FROM raw.records t
           JOIN UNNEST($3::text[], $4::text[]) AS r(source_id, sha256) ON r.source_id = t.source_id
          WHERE t.nation = $1 AND t.resource = $2
            AND (t.sha256 <> r.sha256 OR t.deleted_at_source IS NOT NULL)",
    )
    .bind(&batch.nation)
    .bind(batch.stream.as_str())
    .bind(&ids)
    .bind(&hashes)
    .fetch_one(&mut **tx)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Archives the page's records: those not archived yet by `COPY`, the others by the upsert of
/// [`write_raw`]. Returns how many records it archived and the ids archived before. The page
/// holds the nation's lock and never shares a record with a page open beside it, so a record
/// absent here stays absent until the `COPY`; if it does not, the `COPY` fails with a unique
/// violation and the page is written again by upserts.
async fn copy_raw(
    tx: &mut Transaction<'_, Postgres>,
    batch: &PageBatch,
) -> sqlx::Result<(u64, BTreeSet<String>)> {
    if batch.raw.is_empty() {
        return Ok((0, BTreeSet::new()));
    }
    let by_id = last_per_id(batch);
    let ids: Vec<&str> = by_id.keys().copied().collect();
    // One probe of the unique index per id. Written as `source_id = ANY($3)`, a table
    // without statistics yet (a first export) is planned as a scan of the whole stream with
    // the ids as a filter, which grew from 0.6 ms to 56 ms per page over 30,000 people; the
    // `OFFSET 0` keeps the lateral probe from being flattened into such a join.
    let known: BTreeSet<String> = sqlx::query_scalar(
        "SELECT r.source_id FROM UNNEST($3::text[]) AS u(id),
                LATERAL (SELECT t.source_id FROM raw.records t
                          WHERE t.nation = $1 AND t.resource = $2 AND t.source_id = u.id
                         OFFSET 0) AS r",
    )
    .bind(&batch.nation)
    .bind(batch.stream.as_str())
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let fresh: Vec<&RawRow> = by_id
        .values()
        .copied()
        .filter(|r| !known.contains(&r.source_id))
        .collect();
    let mut archived = 0;
    if !fresh.is_empty() {
        let mut data = Vec::with_capacity(fresh.iter().map(|r| r.body.len() + 200).sum());
        let run_id = batch.run_id.to_string();
        for row in &fresh {
            copy::field(&mut data, Some(&batch.nation));
            copy::field(&mut data, Some(batch.stream.as_str()));
            copy::field(&mut data, Some(&row.source_id));
            copy::field(&mut data, Some(&batch.api));
            copy::field(&mut data, row.json_text());
            match row.bytes() {
                Some(bytes) => copy::bytea(&mut data, bytes),
                None => copy::field(&mut data, None),
            }
            copy::field(&mut data, Some(&row.sha256));
            copy::last(&mut data, Some(&run_id));
        }
        archived += copy::send(
            tx,
            "COPY raw.records (nation, resource, source_id, api, body, body_bytes, sha256, run_id) FROM STDIN",
            data,
        )
        .await?;
    }
    if !known.is_empty() {
        let again: Vec<&RawRow> = by_id
            .values()
            .copied()
            .filter(|r| known.contains(&r.source_id))
            .collect();
        let (n, _) = upsert_raw(tx, batch, &again).await?;
        archived += n;
    }
    Ok((archived, known))
}

async fn write_raw(
    tx: &mut Transaction<'_, Postgres>,
    batch: &PageBatch,
) -> sqlx::Result<(u64, BTreeSet<String>)> {
    if batch.raw.is_empty() {
        return Ok((0, BTreeSet::new()));
    }
    let rows: Vec<&RawRow> = last_per_id(batch).into_values().collect();
    upsert_raw(tx, batch, &rows).await
}

/// The page's raw records by id: a page can repeat an id under offset paging, and the last
/// copy is kept.
fn last_per_id(batch: &PageBatch) -> BTreeMap<&str, &RawRow> {
    let mut by_id: BTreeMap<&str, &RawRow> = BTreeMap::new();
    for row in &batch.raw {
        by_id.insert(&row.source_id, row);
    }
    by_id
}

/// Upserts `rows` (distinct ids) into the archive; returns how many it wrote and the ids that
/// were archived before.
async fn upsert_raw(
    tx: &mut Transaction<'_, Postgres>,
    batch: &PageBatch,
    rows: &[&RawRow],
) -> sqlx::Result<(u64, BTreeSet<String>)> {
    let ids: Vec<&str> = rows.iter().map(|r| r.source_id.as_str()).collect();
    let bodies: Vec<Option<&str>> = rows.iter().map(|r| r.json_text()).collect();
    let bytes: Vec<Option<&[u8]>> = rows.iter().map(|r| r.bytes()).collect();
    let hashes: Vec<&str> = rows.iter().map(|r| r.sha256.as_str()).collect();
    // `xmax = 0` on the returned row means the upsert inserted it.
    let rows: Vec<(String, bool)> = sqlx::query_as(
        r#"INSERT INTO raw.records AS t (nation, resource, source_id, api, body, body_bytes, sha256, fetched_at, run_id)
           SELECT $1, $2, r.source_id, $3, r.body::json, r.body_bytes, r.sha256, now(), $4
             FROM UNNEST($5::text[], $6::text[], $7::bytea[], $8::text[]) AS r(source_id, body, body_bytes, sha256)
           ON CONFLICT (nation, resource, source_id) DO UPDATE
              SET body = EXCLUDED.body, body_bytes = EXCLUDED.body_bytes, sha256 = EXCLUDED.sha256,
                  api = EXCLUDED.api, fetched_at = EXCLUDED.fetched_at, run_id = EXCLUDED.run_id,
                  deleted_at_source = NULL
           RETURNING t.source_id, t.xmax::text <> '0'"#,
    )
    .bind(&batch.nation)
    .bind(batch.stream.as_str())
    .bind(&batch.api)
    .bind(batch.run_id)
    .bind(&ids)
    .bind(&bodies)
    .bind(&bytes)
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
    new: &BTreeSet<&str>,
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
    // The rows of records archived for the first time by this page (a row belongs to the
    // record of its id, or of the part of its id before the first `:`) cannot exist yet.
    let belongs_to_new = |row: &LoadRow| {
        new.contains(row.source_id.as_str())
            || row
                .source_id
                .split_once(':')
                .is_some_and(|(parent, _)| new.contains(parent))
    };
    let (fresh, other): (Vec<&LoadRow>, Vec<&LoadRow>) =
        rows.rows.iter().partition(|r| belongs_to_new(r));
    let mut written = 0;
    if !fresh.is_empty() {
        let (columns, data) = copy::rows(rows.table, fresh, &batch.nation, batch.run_id)?;
        let sql = format!("COPY {qtable} ({columns}) FROM STDIN");
        written += copy::send(tx, &sql, data)
            .await
            .map_err(statement_error(stream, table))?;
    }
    if other.is_empty() {
        return Ok(written);
    }
    let u = unnest(rows.table, other, 3)?;
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
    Ok(written + done.rows_affected())
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
        let text = |r: &'_ RejectRow| -> Option<String> {
            let body = r.body.as_deref()?;
            r.json_storable
                .then(|| std::str::from_utf8(body).ok().map(str::to_owned))
                .flatten()
        };
        let bodies: Vec<Option<String>> = chunk.iter().map(text).collect();
        let bytes: Vec<Option<&[u8]>> = chunk
            .iter()
            .zip(&bodies)
            .map(|(r, t)| if t.is_none() { r.body.as_deref() } else { None })
            .collect();
        let shas: Vec<Option<String>> = chunk.iter().map(RejectRow::record_sha256).collect();
        let done = sqlx::query(
            r#"INSERT INTO sync.rejects (nation, resource, source_id, field, reason, body, body_bytes, record_sha256, run_id, rejected_at)
               SELECT DISTINCT ON (r.source_id, r.field, r.record_sha256) $1, $2, r.source_id, r.field, r.reason, r.body::json, r.body_bytes, r.record_sha256, $3, now()
                 FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::text[])
                      AS r(source_id, field, reason, body, body_bytes, record_sha256)
               ON CONFLICT (nation, resource, source_id, field, record_sha256) DO UPDATE
                  SET reason = EXCLUDED.reason, body = EXCLUDED.body, body_bytes = EXCLUDED.body_bytes,
                      run_id = EXCLUDED.run_id, rejected_at = EXCLUDED.rejected_at"#,
        )
        .bind(&batch.nation)
        .bind(batch.stream.as_str())
        .bind(batch.run_id)
        .bind(&ids)
        .bind(&fields)
        .bind(&reasons)
        .bind(&bodies)
        .bind(&bytes)
        .bind(&shas)
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
