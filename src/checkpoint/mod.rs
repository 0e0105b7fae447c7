//! Checkpoints: where each stream of a nation stands, read back from what is committed in
//! `sync.checkpoints` (never from memory), plus the run records in `sync.runs` and the advisory
//! lock that keeps two runs off the same nation and database. The page writes that advance a
//! checkpoint live in [`crate::load`], inside the page's own transaction.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgConnection;
use sqlx::{PgPool, Row};

use crate::database::{tls, ConnectionSettings};
use crate::fetch::{Cursor, Stream};

pub mod spool;

/// One stream's committed state.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The stream.
    pub stream: Stream,
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
    /// `running`, `done`, `interrupted` or `failed`.
    pub status: String,
    /// The last error, if the stream stopped on one.
    pub last_error: Option<String>,
    /// Checksum of the mapping files used.
    pub mapping_sha256: Option<String>,
    /// The API's total, when it gave one.
    pub total_reported: Option<i64>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Reads every stream's checkpoint of `nation`.
pub async fn load(pool: &PgPool, nation: &str) -> sqlx::Result<Vec<Checkpoint>> {
    let rows = sqlx::query(
        "SELECT stream, api, cursor, pages, records, rejects, status, last_error, mapping_sha256,
                total_reported, updated_at
           FROM sync.checkpoints WHERE nation = $1 ORDER BY stream",
    )
    .bind(nation)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let stream: String = row.try_get("stream")?;
        let Ok(stream) = stream.parse::<Stream>() else {
            continue;
        };
        let cursor: Option<Value> = row.try_get("cursor")?;
        let cursor = cursor
            .and_then(|c| serde_json::from_value(c).ok())
            .unwrap_or(Cursor::Keyset { after: None });
        out.push(Checkpoint {
            stream,
            api: row.try_get::<Option<String>, _>("api")?.unwrap_or_default(),
            cursor,
            pages: row.try_get::<Option<i64>, _>("pages")?.unwrap_or(0),
            records: row.try_get::<Option<i64>, _>("records")?.unwrap_or(0),
            rejects: row.try_get::<Option<i64>, _>("rejects")?.unwrap_or(0),
            status: row
                .try_get::<Option<String>, _>("status")?
                .unwrap_or_default(),
            last_error: row.try_get("last_error")?,
            mapping_sha256: row.try_get("mapping_sha256")?,
            total_reported: row.try_get("total_reported")?,
            updated_at: row.try_get("updated_at")?,
        });
    }
    Ok(out)
}

/// Forgets every checkpoint and spooled page of `nation` (`migrate --restart`). Archived and loaded data stay;
/// the next run re-reads every stream from the start and upserts over them.
pub async fn reset(pool: &PgPool, nation: &str) -> sqlx::Result<u64> {
    spool::clear(pool, nation).await?;
    let done = sqlx::query("DELETE FROM sync.checkpoints WHERE nation = $1")
        .bind(nation)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Records a stream's state change that is not a page commit (interrupted, failed, finished).
pub async fn mark(
    pool: &PgPool,
    nation: &str,
    stream: Stream,
    api: &str,
    status: &str,
    last_error: Option<&str>,
) -> sqlx::Result<()> {
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
    .execute(pool)
    .await?;
    Ok(())
}

/// Opens a run record and returns its id.
///
/// The same statement records how the run's database connection is protected: the server's
/// own view of this session (`pg_stat_ssl`: TLS on or off, version, cipher, bits), the
/// `sslmode` the pool connects with, and whether `database` opted out of verification. Every
/// connection of the pool is made with the same settings, so this session stands for all.
pub async fn start_run(
    pool: &PgPool,
    nation: &str,
    api: &str,
    mapping_sha256: &str,
    options: &Value,
    database: &ConnectionSettings,
) -> sqlx::Result<i64> {
    let sslmode = tls::sslmode_name(pool.connect_options().get_ssl_mode());
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
    .bind(database.insecure)
    .fetch_one(pool)
    .await?;
    row.try_get("id")
}

/// Closes a run record.
pub async fn finish_run(
    pool: &PgPool,
    run_id: i64,
    status: &str,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sync.runs SET finished_at = now(), status = $2, error = $3 WHERE id = $1")
        .bind(run_id)
        .bind(status)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

/// Marks runs of `nation` left `running` by a crash as `interrupted`.
pub async fn mark_interrupted(pool: &PgPool, nation: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE sync.runs SET status = 'interrupted' WHERE nation = $1 AND status = 'running'",
    )
    .bind(nation)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// A held advisory lock on one nation; released when dropped (its connection closes).
#[derive(Debug)]
pub struct NationLock {
    _conn: PgConnection,
}

/// Takes the nation's advisory lock, or returns `None` when another run holds it.
pub async fn try_lock(pool: &PgPool, nation: &str) -> sqlx::Result<Option<NationLock>> {
    let mut conn = pool.acquire().await?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
        .bind(format!("nb-exodus:{nation}"))
        .fetch_one(&mut *conn)
        .await?;
    if got {
        // Detach from the pool so the session (and the lock) ends with this value.
        Ok(Some(NationLock {
            _conn: conn.detach(),
        }))
    } else {
        Ok(None)
    }
}
