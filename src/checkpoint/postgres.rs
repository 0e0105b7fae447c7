//! The PostgreSQL [`StateStore`]: `sync.checkpoints`, `sync.runs`, `sync.page_spool`,
//! `sync.nations`, and the nation's advisory lock ([`NationLock`]).
//!
//! The page spool lets a stream fetch its next page while the previous one is loading without
//! weakening resumability: every fetched page is written here before the next request goes
//! out, and the transaction that loads it deletes it ([`remove_spooled`]); so a run killed at
//! any instant has at most the one request in flight to repeat per stream, and a resumed
//! stream first loads the pages it finds here — following the chain of cursors from its
//! checkpoint — before it fetches anything. Pages off that chain (left by a run whose
//! checkpoint has moved on, or by a `--restart`) are stale and are dropped.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use serde_json::Value;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, PgPool, Postgres, Row, Transaction};

use super::{status, Advance, Checkpoint, StateStore, StoreError, StoreResult};
use crate::database::{tls, ConnectionSettings};
use crate::fetch::{ApiProfile, Cursor, Page, SourceRecord};
use crate::resource::Resource;

/// The export's state in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Whether the pool was opened with `--insecure-database-connection`; recorded with each
    /// run ([`Self::with_connection`]).
    insecure: bool,
}

impl PgStore {
    /// A store over `pool` (a database with the open schema). Runs it starts are recorded as
    /// made without the verification opt-out unless [`Self::with_connection`] says otherwise.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            insecure: false,
        }
    }

    /// The store for a pool opened with `settings`: the runs it starts record whether the
    /// connection opted out of verification (`sync.runs.db_insecure`). Every store that starts
    /// runs must be made this way.
    pub fn with_connection(self, settings: &ConnectionSettings) -> Self {
        Self {
            insecure: settings.insecure,
            ..self
        }
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether anything of `nation` is archived.
    async fn holds_records(&self, nation: &str) -> StoreResult<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM raw.records WHERE nation = $1)")
            .bind(nation)
            .fetch_one(&self.pool)
            .await
            .map_err(db("reading raw.records"))
    }
}

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

impl PgStore {
    /// Adds `inventory` to the options of run `run_id` (`sync.runs.options.inventory`).
    pub async fn record_inventory(&self, run_id: i64, inventory: &Value) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sync.runs SET options = options || jsonb_build_object('inventory', $2::jsonb)
              WHERE id = $1",
        )
        .bind(run_id)
        .bind(inventory)
        .execute(&self.pool)
        .await
        .map_err(db("recording the inventory in sync.runs"))?;
        Ok(())
    }
}

impl PgStore {
    /// Adds `requests` (by purpose) to the options of run `run_id`
    /// (`sync.runs.options.requests`), for `status`.
    pub async fn record_requests(&self, run_id: i64, requests: &Value) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sync.runs SET options = options || jsonb_build_object('requests', $2::jsonb)
              WHERE id = $1",
        )
        .bind(run_id)
        .bind(requests)
        .execute(&self.pool)
        .await
        .map_err(db("recording the requests in sync.runs"))?;
        Ok(())
    }
}

impl StateStore for PgStore {
    async fn checkpoints(&self, nation: &str) -> StoreResult<Vec<Checkpoint>> {
        let rows = sqlx::query(
            "SELECT stream, api, cursor, pages, records, rejects, status, last_error, mapping_sha256,
                    total_reported, updated_at, source_clock, learned
               FROM sync.checkpoints WHERE nation = $1 ORDER BY stream",
        )
        .bind(nation)
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading sync.checkpoints"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let read = |row: &sqlx::postgres::PgRow| -> sqlx::Result<Option<Checkpoint>> {
                let stream: String = row.try_get("stream")?;
                let Ok(stream) = stream.parse::<Resource>() else {
                    return Ok(None);
                };
                let cursor: Option<Value> = row.try_get("cursor")?;
                let cursor = cursor
                    .and_then(|c| serde_json::from_value(c).ok())
                    .unwrap_or(Cursor::Keyset { after: None });
                let learned: Option<Value> = row.try_get("learned")?;
                Ok(Some(Checkpoint {
                    stream,
                    api: row.try_get::<Option<String>, _>("api")?.unwrap_or_default(),
                    cursor,
                    // The column of pages fetched, unique to sync.checkpoints (not the
                    // `pages` resource).
                    pages: row.try_get("pages")?,
                    records: row.try_get("records")?,
                    rejects: row.try_get("rejects")?,
                    status: row.try_get("status")?,
                    last_error: row.try_get("last_error")?,
                    mapping_sha256: row.try_get("mapping_sha256")?,
                    total_reported: row.try_get("total_reported")?,
                    updated_at: row.try_get("updated_at")?,
                    source_clock: row.try_get("source_clock")?,
                    learned: learned
                        .and_then(|l| serde_json::from_value::<ApiProfile>(l).ok())
                        .unwrap_or_default(),
                }))
            };
            if let Some(cp) = read(&row).map_err(db("reading sync.checkpoints"))? {
                out.push(cp);
            }
        }
        Ok(out)
    }

    async fn mark(
        &self,
        nation: &str,
        stream: Resource,
        api: &str,
        status: &str,
        last_error: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            r#"INSERT INTO sync.checkpoints AS c (nation, stream, api, cursor, pages, records, rejects, status, last_error, updated_at)
               VALUES ($1, $2, $3, NULL, 0, 0, 0, $4, $5, now())
               ON CONFLICT (nation, stream) DO UPDATE
                  SET status = EXCLUDED.status, last_error = EXCLUDED.last_error, updated_at = now()"#,
        )
        .bind(nation)
        .bind(stream.as_str())
        .bind(api)
        .bind(status)
        .bind(last_error)
        .execute(&self.pool)
        .await
        .map_err(db("updating sync.checkpoints"))?;
        Ok(())
    }

    async fn interrupt(&self, nation: &str) -> StoreResult<u64> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("marking runs interrupted"))?;
        sqlx::query(
            "UPDATE sync.checkpoints SET status = 'interrupted', updated_at = now()
              WHERE nation = $1 AND status = 'running'",
        )
        .bind(nation)
        .execute(&mut *tx)
        .await
        .map_err(db("marking streams interrupted"))?;
        let done = sqlx::query(
            "UPDATE sync.runs SET status = 'interrupted', finished_at = coalesce(finished_at, now())
              WHERE nation = $1 AND status = 'running'",
        )
        .bind(nation)
        .execute(&mut *tx)
        .await
        .map_err(db("marking runs interrupted"))?;
        tx.commit().await.map_err(db("marking runs interrupted"))?;
        Ok(done.rows_affected())
    }

    async fn reset(&self, nation: &str) -> StoreResult<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db("resetting checkpoints"))?;
        sqlx::query("DELETE FROM sync.page_spool WHERE nation = $1")
            .bind(nation)
            .execute(&mut *tx)
            .await
            .map_err(db("clearing sync.page_spool"))?;
        sqlx::query("DELETE FROM sync.checkpoints WHERE nation = $1")
            .bind(nation)
            .execute(&mut *tx)
            .await
            .map_err(db("resetting sync.checkpoints"))?;
        tx.commit().await.map_err(db("resetting checkpoints"))?;
        Ok(())
    }

    async fn start_run(
        &self,
        nation: &str,
        api: &str,
        mapping_sha256: &str,
        options: &Value,
    ) -> StoreResult<i64> {
        // The same statement records how the run's database connection is protected: the
        // server's own view of this session (pg_stat_ssl: TLS on or off, version, cipher,
        // bits), the sslmode the pool connects with and the verification opt-out. Every
        // connection of the pool is made with the same settings, so this session stands for all.
        let sslmode = tls::sslmode_name(self.pool.connect_options().get_ssl_mode());
        let row = sqlx::query(
            "INSERT INTO sync.runs (nation, api, started_at, status, tool_version, mapping_sha256, options,
                                    db_tls, db_tls_version, db_tls_cipher, db_tls_bits, db_sslmode, db_insecure)
             SELECT $1, $2, now(), 'running', $3, $4, $5,
                    coalesce(s.ssl, false), s.version, s.cipher, s.bits, $6, $7
               FROM (SELECT pg_backend_pid() AS pid) AS me
               LEFT JOIN pg_stat_ssl AS s ON s.pid = me.pid
             RETURNING id",
        )
        .bind(nation)
        .bind(api)
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(mapping_sha256)
        .bind(options)
        .bind(sslmode)
        .bind(self.insecure)
        .fetch_one(&self.pool)
        .await
        .map_err(db("recording the run in sync.runs"))?;
        row.try_get("id")
            .map_err(db("recording the run in sync.runs"))
    }

    async fn finish_run(&self, run_id: i64, status: &str, error: Option<&str>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sync.runs SET finished_at = now(), status = $2, error = $3 WHERE id = $1",
        )
        .bind(run_id)
        .bind(status)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(db("closing the run in sync.runs"))?;
        Ok(())
    }

    async fn bind_source(&self, nation: &str, source: &str, rebind: bool) -> StoreResult<()> {
        let bound: Option<String> =
            sqlx::query_scalar("SELECT source FROM sync.nations WHERE nation = $1")
                .bind(nation)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("reading sync.nations"))?;
        match bound {
            Some(bound) if bound == source => Ok(()),
            // A nation that has nothing archived yet (its first run could not reach a
            // mistyped --api-base, say) is bound anew: there is nothing to mix.
            Some(bound) if !rebind && self.holds_records(nation).await? => {
                Err(StoreError::SourceMismatch {
                    nation: nation.to_owned(),
                    bound,
                    asked: source.to_owned(),
                })
            }
            _ => {
                sqlx::query(
                    "INSERT INTO sync.nations (nation, source, bound_at) VALUES ($1, $2, now())
                     ON CONFLICT (nation) DO UPDATE SET source = EXCLUDED.source, bound_at = now()",
                )
                .bind(nation)
                .bind(source)
                .execute(&self.pool)
                .await
                .map_err(db("binding the nation in sync.nations"))?;
                Ok(())
            }
        }
    }

    async fn spool_put(
        &self,
        nation: &str,
        stream: Resource,
        run_id: i64,
        cursor: &Cursor,
        page: &Page,
    ) -> StoreResult<()> {
        let ids: Vec<Option<&str>> = page
            .records
            .iter()
            .map(|r| r.source_id.as_deref())
            .collect();
        let bodies: Vec<&[u8]> = page.records.iter().map(|r| r.body.as_slice()).collect();
        sqlx::query(
            r#"INSERT INTO sync.page_spool (nation, stream, cursor, next, total, source_ids, body_bytes, run_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (nation, stream, cursor) DO UPDATE
                  SET next = EXCLUDED.next, total = EXCLUDED.total, source_ids = EXCLUDED.source_ids,
                      bodies = NULL, body_bytes = EXCLUDED.body_bytes, run_id = EXCLUDED.run_id,
                      fetched_at = now()"#,
        )
        .bind(nation)
        .bind(stream.as_str())
        .bind(sqlx::types::Json(cursor))
        .bind(sqlx::types::Json(&page.next))
        .bind(page.total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
        .bind(&ids)
        .bind(&bodies)
        .bind(run_id)
        .execute(&self.pool)
        .await
        .map_err(db("spooling a fetched page in sync.page_spool"))?;
        Ok(())
    }

    async fn spool_chain(
        &self,
        nation: &str,
        stream: Resource,
        from: &Cursor,
    ) -> StoreResult<Vec<Page>> {
        type Row = (
            sqlx::types::Json<Cursor>,
            sqlx::types::Json<Cursor>,
            Option<i64>,
            Vec<Option<String>>,
            Vec<Vec<u8>>,
        );
        // Pages spooled before migration 0012 hold text; they read back as its UTF-8 bytes.
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT cursor, next, total, source_ids,
                    COALESCE(body_bytes,
                             ARRAY(SELECT convert_to(b, 'UTF8') FROM unnest(bodies) WITH ORDINALITY AS u(b, n) ORDER BY n))
               FROM sync.page_spool
              WHERE nation = $1 AND stream = $2",
        )
        .bind(nation)
        .bind(stream.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading sync.page_spool"))?;
        let spooled = rows
            .into_iter()
            .map(|(cursor, next, total, ids, bodies)| {
                let records = ids
                    .into_iter()
                    .zip(bodies)
                    // Spooled bodies were read once already; they read again the same way.
                    .map(|(source_id, body)| SourceRecord::from_spool(source_id, body))
                    .collect();
                (
                    cursor.0,
                    Page {
                        carried: None,
                        records,
                        next: next.0,
                        total: total.and_then(|t| u64::try_from(t).ok()),
                    },
                )
            })
            .collect();
        let (chain, stale) = super::spool_chain_of(spooled, from);
        if !stale.is_empty() {
            let stale: Vec<sqlx::types::Json<Cursor>> =
                stale.into_iter().map(sqlx::types::Json).collect();
            sqlx::query(
                "DELETE FROM sync.page_spool WHERE nation = $1 AND stream = $2 AND cursor = ANY($3)",
            )
            .bind(nation)
            .bind(stream.as_str())
            .bind(&stale)
            .execute(&self.pool)
            .await
            .map_err(db("dropping stale pages from sync.page_spool"))?;
        }
        Ok(chain)
    }

    async fn spool_waiting(&self, nation: &str) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT count(*) FROM sync.page_spool WHERE nation = $1")
            .bind(nation)
            .fetch_one(&self.pool)
            .await
            .map_err(db("reading sync.page_spool"))
    }

    async fn set_mapping(&self, nation: &str, stream: Resource, sha: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sync.checkpoints SET mapping_sha256 = $3, updated_at = now()
              WHERE nation = $1 AND stream = $2",
        )
        .bind(nation)
        .bind(stream.as_str())
        .bind(sha)
        .execute(&self.pool)
        .await
        .map_err(db("updating sync.checkpoints"))?;
        Ok(())
    }
}

/// Advances `stream`'s checkpoint inside a page's transaction (the page and its checkpoint
/// commit together or not at all). [`Advance::apply`] is the same rule in memory.
pub async fn advance(
    tx: &mut Transaction<'_, Postgres>,
    nation: &str,
    stream: Resource,
    advance: &Advance,
) -> sqlx::Result<()> {
    let cursor = serde_json::to_value(&advance.next).unwrap_or(Value::Null);
    let state = if advance.next == Cursor::Done {
        status::DONE
    } else {
        status::RUNNING
    };
    let learned = serde_json::to_value(advance.learned).unwrap_or(Value::Null);
    sqlx::query(
        r#"INSERT INTO sync.checkpoints AS c (nation, stream, api, cursor, pages, records, rejects, status,
                                            total_reported, run_id, mapping_sha256, source_clock, learned, updated_at)
           VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $13, now())
           ON CONFLICT (nation, stream) DO UPDATE
              SET api = EXCLUDED.api, cursor = EXCLUDED.cursor, pages = c.pages + 1,
                  records = c.records + EXCLUDED.records, rejects = c.rejects + EXCLUDED.rejects,
                  status = EXCLUDED.status, last_error = NULL,
                  total_reported = COALESCE(EXCLUDED.total_reported, c.total_reported),
                  run_id = EXCLUDED.run_id, mapping_sha256 = EXCLUDED.mapping_sha256,
                  source_clock = CASE WHEN $12 THEN COALESCE(EXCLUDED.source_clock, c.source_clock)
                                      ELSE COALESCE(c.source_clock, EXCLUDED.source_clock) END,
                  learned = COALESCE(c.learned, '{}'::jsonb) || EXCLUDED.learned,
                  updated_at = now()"#,
    )
    .bind(nation)
    .bind(stream.as_str())
    .bind(&advance.api)
    .bind(&cursor)
    .bind(i64::try_from(advance.records).unwrap_or(i64::MAX))
    .bind(i64::try_from(advance.rejects).unwrap_or(i64::MAX))
    .bind(state)
    .bind(advance.total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
    .bind(advance.run_id)
    .bind(&advance.mapping_sha256)
    .bind(advance.source_clock.as_ref().map(|(c, _)| c.as_str()))
    .bind(advance.source_clock.as_ref().is_some_and(|(_, replace)| *replace))
    .bind(&learned)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes the spooled copy of the page fetched with `cursor`, inside the page's transaction.
pub async fn remove_spooled(
    tx: &mut Transaction<'_, Postgres>,
    nation: &str,
    stream: Resource,
    cursor: &Cursor,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sync.page_spool WHERE nation = $1 AND stream = $2 AND cursor = $3")
        .bind(nation)
        .bind(stream.as_str())
        .bind(sqlx::types::Json(cursor))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The advisory lock that keeps two runs off the same nation and database.
///
/// A session-level advisory lock lives as long as its connection, so a database restart
/// releases it silently. The lock therefore keeps its own connection and the server process
/// id holding it; every page transaction asserts ([`NationLock::held_in`]) that this process
/// still holds it, and when it does not (the server restarted), the lock is taken again on a
/// new connection ([`NationLock::retake`]) — or, when another run took it meanwhile, the run
/// stops.
#[derive(Debug)]
pub struct NationLock {
    pool: PgPool,
    key: String,
    conn: tokio::sync::Mutex<Option<PgConnection>>,
    pid: AtomicI32,
}

impl NationLock {
    /// Takes the nation's advisory lock, or returns `None` when another run holds it.
    pub async fn take(pool: &PgPool, nation: &str) -> StoreResult<Option<Arc<NationLock>>> {
        let lock = NationLock {
            pool: pool.clone(),
            key: format!("nb-exodus:{nation}"),
            conn: tokio::sync::Mutex::new(None),
            pid: AtomicI32::new(0),
        };
        if lock.acquire().await? {
            Ok(Some(Arc::new(lock)))
        } else {
            Ok(None)
        }
    }

    /// Opens a new session and tries to take the lock in it.
    async fn acquire(&self) -> StoreResult<bool> {
        self.acquire_unless_moved(self.pid.load(Ordering::SeqCst))
            .await
    }

    /// [`NationLock::acquire`], unless the session `lost` was already replaced meanwhile.
    async fn acquire_unless_moved(&self, lost: i32) -> StoreResult<bool> {
        let mut slot = self.conn.lock().await;
        if self.pid.load(Ordering::SeqCst) != lost {
            return Ok(true);
        }
        if let Some(old) = slot.take() {
            // Closing a dead session can only fail; the server already released its locks.
            let _ = old.close().await;
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db("taking the nation's advisory lock"))?
            .detach();
        let (got, pid): (bool, i32) = sqlx::query_as(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0)), pg_backend_pid()",
        )
        .bind(&self.key)
        .fetch_one(&mut conn)
        .await
        .map_err(db("taking the nation's advisory lock"))?;
        if got {
            self.pid.store(pid, Ordering::SeqCst);
            *slot = Some(conn);
        }
        Ok(got)
    }

    /// Whether the lock is held by this run, asked inside `tx` so that a page commits only
    /// while its run holds the nation. Returns the answer and the session it asked about (for
    /// [`NationLock::retake`]).
    pub async fn held_in(&self, tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<(bool, i32)> {
        let pid = self.pid.load(Ordering::SeqCst);
        let held = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks
                             WHERE locktype = 'advisory' AND granted AND pid = $1 AND objsubid = 1
                               AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($2, 0))",
        )
        .bind(pid)
        .bind(&self.key)
        .fetch_one(&mut **tx)
        .await?;
        Ok((held, pid))
    }

    /// Takes the lock again after the session `lost` holding it ended (a database restart);
    /// `false` when another run holds it now. When another stream of this run already took it
    /// again (the session is no longer `lost`), that one is kept.
    pub async fn retake(&self, lost: i32) -> StoreResult<bool> {
        if self.pid.load(Ordering::SeqCst) != lost {
            return Ok(true);
        }
        let got = self.acquire_unless_moved(lost).await?;
        if got {
            tracing::warn!("the database session holding the nation's lock ended (a restart?); took the lock again");
        }
        Ok(got)
    }
}
