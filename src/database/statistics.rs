//! Planner statistics. A freshly loaded table has none until autovacuum gets round to it, and
//! PostgreSQL then plans `verify`'s anti-joins as nested loops over millions of rows (42.8 s
//! instead of 49 ms was measured on 29,587 taggings). So `migrate` and `remap` run `ANALYZE`
//! on what they wrote, and `verify` refreshes the statistics of the tables it is about to read
//! when they are missing or stale — which changes no data (and is allowed in its read-only
//! sessions).

use sqlx::PgPool;

/// A table counts as stale when more than this share of its rows changed since its last
/// analysis (autovacuum's default threshold is 10 %).
const STALE_SHARE: f64 = 0.1;

/// Runs `ANALYZE` on `tables` (validated `schema.table` names).
pub async fn analyze(pool: &PgPool, tables: &[String]) -> sqlx::Result<()> {
    let quoted: Vec<String> = tables
        .iter()
        .filter_map(|t| crate::load::quote_ident(t).ok())
        .collect();
    if quoted.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!("ANALYZE {}", quoted.join(", ")))
        .execute(pool)
        .await?;
    Ok(())
}

/// Analyzes the tables of `schemas` whose statistics are missing or stale; returns their names.
pub async fn analyze_stale(pool: &PgPool, schemas: &[&str]) -> sqlx::Result<Vec<String>> {
    let schemas: Vec<String> = schemas.iter().map(|s| (*s).to_owned()).collect();
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT s.schemaname || '.' || s.relname
           FROM pg_stat_user_tables s
           JOIN pg_class c ON c.oid = s.relid
          WHERE s.schemaname = ANY($1)
            AND (coalesce(s.last_analyze, s.last_autoanalyze) IS NULL
                 OR s.n_mod_since_analyze > $2 * greatest(c.reltuples, 1000))
          ORDER BY 1",
    )
    .bind(&schemas)
    .bind(STALE_SHARE)
    .fetch_all(pool)
    .await?;
    analyze(pool, &stale).await?;
    Ok(stale)
}
