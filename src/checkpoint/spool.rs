//! The page spool (`sync.page_spool`): lets a stream fetch its next page while the previous
//! one is loading without weakening resumability. Every fetched page is written here before
//! the next request goes out, and the transaction that loads it deletes it; so a run killed at
//! any instant has at most the one request in flight to repeat per stream, and a resumed
//! stream first loads the pages it finds here — following the chain of cursors from its
//! checkpoint — before it fetches anything. Pages off that chain (left by a run whose
//! checkpoint has moved on, or by a `--restart`) are stale and are dropped.

use sqlx::{PgPool, Postgres, Transaction};

use crate::fetch::{Cursor, Page, SourceRecord, Stream};

/// Writes a fetched page, keyed by the cursor it was fetched with (replacing a stale copy).
pub async fn put(
    pool: &PgPool,
    nation: &str,
    stream: Stream,
    run_id: i64,
    cursor: &Cursor,
    page: &Page,
) -> sqlx::Result<()> {
    let ids: Vec<Option<&str>> = page
        .records
        .iter()
        .map(|r| r.source_id.as_deref())
        .collect();
    let bodies: Vec<&str> = page.records.iter().map(|r| r.body.as_str()).collect();
    sqlx::query(
        r#"INSERT INTO sync.page_spool (nation, stream, cursor, next, total, source_ids, bodies, run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (nation, stream, cursor) DO UPDATE
              SET next = EXCLUDED.next, total = EXCLUDED.total, source_ids = EXCLUDED.source_ids,
                  bodies = EXCLUDED.bodies, run_id = EXCLUDED.run_id, fetched_at = now()"#,
    )
    .bind(nation)
    .bind(stream.as_str())
    .bind(sqlx::types::Json(cursor))
    .bind(sqlx::types::Json(&page.next))
    .bind(page.total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
    .bind(&ids)
    .bind(&bodies)
    .bind(run_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes the spooled copy of the page fetched with `cursor`, inside the page's transaction.
pub async fn remove(
    tx: &mut Transaction<'_, Postgres>,
    nation: &str,
    stream: Stream,
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

/// The spooled pages that continue a stream from `from`, in order: the first was fetched with
/// `from`, each next one with its predecessor's `next`. Every other spooled page of the stream
/// is stale and is deleted.
pub async fn chain(
    pool: &PgPool,
    nation: &str,
    stream: Stream,
    from: &Cursor,
) -> sqlx::Result<Vec<Page>> {
    type Row = (
        sqlx::types::Json<Cursor>,
        sqlx::types::Json<Cursor>,
        Option<i64>,
        Vec<Option<String>>,
        Vec<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT cursor, next, total, source_ids, bodies FROM sync.page_spool
          WHERE nation = $1 AND stream = $2",
    )
    .bind(nation)
    .bind(stream.as_str())
    .fetch_all(pool)
    .await?;
    let mut pages: Vec<Page> = Vec::new();
    let mut rows: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    let mut at = from.clone();
    while at != Cursor::Done {
        let Some(slot) = rows
            .iter_mut()
            .find(|r| r.as_ref().is_some_and(|r| r.0 .0 == at))
        else {
            break;
        };
        let Some((_, next, total, ids, bodies)) = slot.take() else {
            break;
        };
        let records = ids
            .into_iter()
            .zip(bodies)
            .map(|(source_id, body)| SourceRecord {
                source_id,
                // Spooled bodies were parsed once already; they parse again the same way.
                value: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
                body,
            })
            .collect();
        at = next.0.clone();
        pages.push(Page {
            records,
            next: next.0,
            total: total.and_then(|t| u64::try_from(t).ok()),
        });
    }
    if rows.iter().any(Option::is_some) {
        let stale: Vec<sqlx::types::Json<Cursor>> =
            rows.into_iter().flatten().map(|r| r.0).collect();
        sqlx::query(
            "DELETE FROM sync.page_spool WHERE nation = $1 AND stream = $2 AND cursor = ANY($3)",
        )
        .bind(nation)
        .bind(stream.as_str())
        .bind(&stale)
        .execute(pool)
        .await?;
    }
    Ok(pages)
}

/// How many fetched pages of `nation` wait in the spool (0 on a database made before the
/// spool existed).
pub async fn waiting(pool: &PgPool, nation: &str) -> sqlx::Result<i64> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('sync.page_spool') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(0);
    }
    sqlx::query_scalar("SELECT count(*) FROM sync.page_spool WHERE nation = $1")
        .bind(nation)
        .fetch_one(pool)
        .await
}

/// Empties the spool of `nation` (`migrate --restart`).
pub async fn clear(pool: &PgPool, nation: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sync.page_spool WHERE nation = $1")
        .bind(nation)
        .execute(pool)
        .await?;
    Ok(())
}
