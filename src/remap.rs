//! Remap: re-derives the loaded tables from the raw archive with the current mapping files,
//! without fetching anything again. After a mapping file changes, `migrate` refuses to mix rows
//! of two mapping versions; `remap` walks every archived record of each stream in id order,
//! maps it again and upserts the rows (a person's child rows replaced as a set), in chunks of
//! one transaction each, then records the new mapping checksum on the streams' checkpoints.
//! Interrupted, it leaves the old checksum in place, so it is simply run again.

use std::collections::BTreeMap;

use sqlx::{PgPool, Row};

use crate::fetch::{Cursor, SourceRecord, Stream};
use crate::load::{self, LoadError};
use crate::pipeline::{build_batch, Mapper, RunSettings};

/// Records re-mapped per transaction.
const CHUNK: i64 = 1000;

/// What remapping one stream did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemapReport {
    /// Archived records mapped again.
    pub records: u64,
    /// Rows upserted.
    pub rows: u64,
    /// Rejects written.
    pub rejected: u64,
}

/// Re-maps every archived record of `streams`.
pub async fn remap<M: Mapper>(
    pool: &PgPool,
    settings: &RunSettings,
    mapper: &M,
    streams: &[Stream],
) -> Result<BTreeMap<Stream, RemapReport>, LoadError> {
    let mut reports = BTreeMap::new();
    let checksum = mapper.checksum();
    for &stream in streams {
        let db = |source| LoadError::Statement {
            stream,
            table: "raw.records".into(),
            source,
        };
        let mut report = RemapReport::default();
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT source_id, body::text AS body FROM raw.records
                  WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL
                    AND source_id > $3
                  ORDER BY source_id LIMIT $4",
            )
            .bind(&settings.nation)
            .bind(stream.as_str())
            .bind(&after)
            .bind(CHUNK)
            .fetch_all(pool)
            .await
            .map_err(db)?;
            if rows.is_empty() {
                break;
            }
            let mut records = Vec::with_capacity(rows.len());
            for row in &rows {
                let source_id: String = row.try_get("source_id").map_err(db)?;
                let body: String = row.try_get("body").map_err(db)?;
                // The archive holds valid JSON by construction (column type json).
                let value: serde_json::Value =
                    serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
                // The archived id is authoritative (v1 tags and taggings have composed ids).
                after.clone_from(&source_id);
                records.push(SourceRecord {
                    source_id: Some(source_id),
                    body,
                    value,
                });
            }
            let mut batch = build_batch(
                settings,
                stream,
                mapper,
                &records,
                &checksum,
                Cursor::Done,
                None,
            );
            batch.advances_checkpoint = false;
            let outcome = load::commit_page(pool, &batch).await?;
            report.records += records.len() as u64;
            report.rows += outcome.rows;
            report.rejected += outcome.rejected;
        }
        sqlx::query(
            "UPDATE sync.checkpoints SET mapping_sha256 = $3, updated_at = now()
              WHERE nation = $1 AND stream = $2",
        )
        .bind(&settings.nation)
        .bind(stream.as_str())
        .bind(&checksum)
        .execute(pool)
        .await
        .map_err(db)?;
        reports.insert(stream, report);
    }
    Ok(reports)
}
