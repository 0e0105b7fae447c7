//! Record integrity, from the database alone: every raw record of an resource is read once, in
//! manifest order, and
//!
//! 1. its canonical JSON (RFC 8785) is hashed again and compared with `raw.records.sha256`;
//! 2. it becomes a salted Merkle leaf (see [`super::merkle`]);
//! 3. it is mapped again with the current mapping files, exactly as `migrate` would
//!    ([`crate::mapping::build_batch`]), and the rows go into temporary tables shaped like the
//!    target tables.
//!
//! The loaded tables are then compared with those temporary tables *inside PostgreSQL*, with
//! `EXCEPT` both ways (a join-diff in the data-diff sense), so a row deleted, added or edited
//! after the load shows up by key, and the differing columns are named — never their values.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use futures_util::TryStreamExt as _;
use sqlx::{PgConnection, Row};

use super::findings::{finding, push_limited, MAX_LISTED};
use super::merkle::{self, Hash};
use super::report::{Finding, FindingClass, Integrity, TableDiff};
use super::translate::time_attr;
use super::{db_err, VerifyError};
use crate::canonical;
use crate::fetch::SourceRecord;
use crate::load::{self, quote_ident};
use crate::mapping::mapper::TableRows;
use crate::mapping::TableId;
use crate::mapping::{build_batch, MappingMapper};
use crate::resource::Resource;

/// Records mapped and inserted per round trip.
const CHUNK: usize = 1000;

/// What the archive pass of one resource produced.
#[derive(Debug, Default)]
pub(crate) struct ArchivePass {
    /// Archived ids in manifest order.
    pub ids: Vec<String>,
    /// The Merkle leaves, same order.
    pub leaves: Vec<Hash>,
    /// Hashing and re-derivation results.
    pub integrity: Integrity,
    /// Ids the current mapping turns into no main-table row: (id, rejected by the mapping).
    pub no_main_row: Vec<(String, bool)>,
    /// Ids marked `deleted_at_source` by the export's reconciliation (not re-derived: their
    /// rows were removed on purpose).
    pub marked_deleted: Vec<String>,
    /// The newest `created_at`/`updated_at` among the archived records: the source's own clock
    /// at (about) the time of the export.
    pub high_water: Option<DateTime<FixedOffset>>,
}

/// The temporary table holding re-derived rows of `table`.
pub(crate) fn temp_name(table: &str) -> String {
    format!("pg_temp.nbx_verify_{}", table.replace('.', "_"))
}

/// The columns compared for `table`: the key, every mapped column, and the raw hash.
pub(crate) fn compared_columns(table: TableId) -> Vec<&'static str> {
    let mut cols = vec!["source_id"];
    cols.extend(
        table
            .table()
            .engine_columns()
            .map(|c| c.name)
            .filter(|n| *n != "source_id" && *n != "nation"),
    );
    cols.push("raw_sha256");
    cols
}

/// Reads every archived record of `resource`, re-hashing, collecting leaves and re-deriving rows
/// into temporary tables on `work` (which must stay open until [`diff_tables`] ran).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn archive_pass(
    reader: &mut PgConnection,
    work: &mut PgConnection,
    nation: &str,
    api: &str,
    resource: Resource,
    mapper: &MappingMapper,
    tables: &[TableId],
    salt: &[u8; 32],
    findings: &mut Vec<Finding>,
) -> Result<ArchivePass, VerifyError> {
    for table in tables {
        let name = table.qualified_name();
        let cols = compared_columns(*table)
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| VerifyError::Report(e.to_string()))?
            .join(", ");
        let qtable = quote_ident(name).map_err(|e| VerifyError::Report(e.to_string()))?;
        let temp = temp_name(name);
        sqlx::query(&format!("DROP TABLE IF EXISTS {temp}"))
            .execute(&mut *work)
            .await
            .map_err(db_err("dropping a temporary table"))?;
        sqlx::query(&format!(
            "CREATE TEMP TABLE {} AS SELECT {cols} FROM {qtable} WITH NO DATA",
            temp.trim_start_matches("pg_temp.")
        ))
        .execute(&mut *work)
        .await
        .map_err(db_err("creating a temporary table for the re-derivation"))?;
    }

    // Records the export rejected whole because PostgreSQL refused them have no rows to
    // compare with what the mapping would make of them.
    let refused: BTreeSet<String> = sqlx::query_scalar(
        "SELECT source_id FROM sync.rejects
          WHERE nation = $1 AND resource = $2 AND source_id IS NOT NULL
            AND field = '(record)' AND starts_with(reason, $3)",
    )
    .bind(nation)
    .bind(resource.as_str())
    .bind(load::DATABASE_REFUSED)
    .fetch_all(&mut *work)
    .await
    .map_err(db_err("reading sync.rejects"))?
    .into_iter()
    .collect();
    let main = resource.table();
    let mut pass = ArchivePass::default();
    let mut listed = 0usize;
    let mut rows = sqlx::query(
        "SELECT source_id, COALESCE(body_bytes, convert_to(body::text, 'UTF8')) AS body, sha256,
                body IS NOT NULL AS as_json, deleted_at_source IS NOT NULL AS gone
           FROM raw.records
          WHERE nation = $1 AND resource = $2
          ORDER BY length(source_id), source_id",
    )
    .bind(nation)
    .bind(resource.as_str())
    .fetch(&mut *reader);
    let mut chunk: Vec<(String, Vec<u8>, String, bool, bool)> = Vec::with_capacity(CHUNK);
    loop {
        let row = rows
            .try_next()
            .await
            .map_err(db_err("reading raw.records"))?;
        let end = row.is_none();
        if let Some(row) = row {
            let id: String = row
                .try_get("source_id")
                .map_err(db_err("reading raw.records"))?;
            let body: Vec<u8> = row.try_get("body").map_err(db_err("reading raw.records"))?;
            let as_json: bool = row
                .try_get("as_json")
                .map_err(db_err("reading raw.records"))?;
            let sha: String = row
                .try_get("sha256")
                .map_err(db_err("reading raw.records"))?;
            let gone: bool = row.try_get("gone").map_err(db_err("reading raw.records"))?;
            chunk.push((id, body, sha, as_json, gone));
        }
        if chunk.len() >= CHUNK || (end && !chunk.is_empty()) {
            let records = std::mem::take(&mut chunk);
            let mut parsed = Vec::with_capacity(records.len());
            for (id, body, stored, as_json, gone) in records {
                // The same reading and hash as at load time (see `canonical::record_sha256_hex`):
                // a record the json column holds must read as a JSON object; one kept as bytes
                // because it cannot be read is hashed over its bytes and was rejected at load.
                let record = SourceRecord::from_archive(id.clone(), body);
                let readable = record.value.is_object();
                if as_json && !readable {
                    pass.integrity.raw_unreadable += 1;
                    push_limited(
                        findings,
                        &mut listed,
                        finding(
                            resource,
                            Some(&id),
                            "raw_hash",
                            FindingClass::Defect,
                            "raw_unreadable",
                            "raw.records.body is not a JSON object".into(),
                        ),
                    );
                }
                let record_hash: Hash = canonical::record_sha256(&record.body, &record.value);
                let value = readable.then_some(&record.value);
                pass.integrity.raw_records_hashed += 1;
                if hex::encode(record_hash) != stored {
                    pass.integrity.raw_hash_mismatches += 1;
                    push_limited(
                        findings,
                        &mut listed,
                        finding(resource, Some(&id), "raw_hash", FindingClass::Defect, "raw_hash_mismatch",
                            "SHA-256 of the canonical raw record differs from raw.records.sha256 stored at load time".into()),
                    );
                }
                pass.leaves
                    .push(merkle::record_leaf(salt, &id, &record_hash, gone));
                pass.ids.push(id.clone());
                for attr in ["created_at", "updated_at"] {
                    let t = value.as_ref().and_then(|v| time_attr(v, attr));
                    if t > pass.high_water {
                        pass.high_water = t;
                    }
                }
                if gone {
                    pass.marked_deleted.push(id);
                    continue;
                }
                if refused.contains(&id) {
                    pass.no_main_row.push((id, true));
                    continue;
                }
                parsed.push(record);
            }
            let batch = build_batch(api, resource, mapper, &parsed);
            let mut with_main_row = BTreeSet::new();
            for (table, rows) in &batch.tables {
                if table == main {
                    for row in &rows.rows {
                        with_main_row.insert(row.source_id.clone());
                    }
                }
                insert_derived(work, rows).await?;
            }
            let rejected: BTreeSet<&str> = batch
                .rejects
                .iter()
                .filter_map(|r| r.source_id.as_deref())
                .collect();
            for record in &parsed {
                let Some(id) = &record.source_id else {
                    continue;
                };
                if !with_main_row.contains(id) {
                    pass.no_main_row
                        .push((id.clone(), rejected.contains(id.as_str())));
                }
            }
        }
        if end {
            break;
        }
    }
    Ok(pass)
}

async fn insert_derived(work: &mut PgConnection, rows: &TableRows) -> Result<(), VerifyError> {
    if rows.rows.is_empty() {
        return Ok(());
    }
    // The loader's own expansion (last row wins for a repeated key), into the temp table.
    let u =
        load::unnest(rows.table, &rows.rows, 1).map_err(|e| VerifyError::Report(e.to_string()))?;
    let sql = format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        temp_name(rows.table.qualified_name()),
        u.columns.join(", "),
        u.select,
        u.from
    );
    let mut query = sqlx::query(&sql);
    for array in u.arrays {
        query = query.bind(array);
    }
    query
        .execute(&mut *work)
        .await
        .map_err(db_err("inserting re-derived rows"))?;
    Ok(())
}

/// The record a row derives from: the part of its key before the first `:`.
fn parent_id(key: &str) -> &str {
    key.split(':').next().unwrap_or(key)
}

/// Diffs each loaded table against its re-derivation (both ways, inside PostgreSQL) and
/// records the result and one finding per differing key.
pub(crate) async fn diff_tables(
    work: &mut PgConnection,
    nation: &str,
    resource: Resource,
    tables: &[TableId],
    integrity: &mut Integrity,
    findings: &mut Vec<Finding>,
) -> Result<(), VerifyError> {
    let mut listed = 0usize;
    for table in tables {
        let name = table.qualified_name();
        let qtable = quote_ident(name).map_err(|e| VerifyError::Report(e.to_string()))?;
        let temp = temp_name(name);
        let cols = compared_columns(*table);
        let qcols = cols
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| VerifyError::Report(e.to_string()))?;
        let list = qcols.join(", ");
        let loaded_rows: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM {qtable} WHERE nation = $1"))
                .bind(nation)
                .fetch_one(&mut *work)
                .await
                .map_err(db_err("counting loaded rows"))?;
        let derived_rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {temp}"))
            .fetch_one(&mut *work)
            .await
            .map_err(db_err("counting re-derived rows"))?;
        let sql = format!(
            "SELECT 'loaded' AS side, d.source_id FROM (
                 SELECT {list} FROM {qtable} WHERE nation = $1
                 EXCEPT SELECT {list} FROM {temp}) AS d
             UNION ALL
             SELECT 'derived' AS side, d.source_id FROM (
                 SELECT {list} FROM {temp}
                 EXCEPT SELECT {list} FROM {qtable} WHERE nation = $1) AS d"
        );
        let rows = sqlx::query(&sql)
            .bind(nation)
            .fetch_all(&mut *work)
            .await
            .map_err(db_err("diffing loaded and re-derived rows"))?;
        let mut loaded_side = BTreeSet::new();
        let mut derived_side = BTreeSet::new();
        for row in rows {
            let side: String = row.try_get("side").map_err(db_err("reading the diff"))?;
            let key: String = row
                .try_get("source_id")
                .map_err(db_err("reading the diff"))?;
            if side == "loaded" {
                loaded_side.insert(key);
            } else {
                derived_side.insert(key);
            }
        }
        let differing: Vec<String> = loaded_side.intersection(&derived_side).cloned().collect();
        let mut diff = TableDiff {
            loaded_rows: loaded_rows.max(0) as u64,
            derived_rows: derived_rows.max(0) as u64,
            only_loaded: 0,
            only_derived: 0,
            differing: differing.len() as u64,
        };
        // Name the differing columns, in chunks.
        let mut columns_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let listed_keys: Vec<String> = differing.iter().take(MAX_LISTED).cloned().collect();
        for keys in listed_keys.chunks(1000) {
            let cases: Vec<String> = cols
                .iter()
                .zip(&qcols)
                .skip(1)
                .map(|(c, q)| format!("CASE WHEN a.{q} IS DISTINCT FROM b.{q} THEN '{c}' END"))
                .collect();
            let sql = format!(
                "SELECT a.source_id, array_remove(ARRAY[{}]::text[], NULL) AS cols
                   FROM {qtable} AS a JOIN {temp} AS b ON a.source_id = b.source_id
                  WHERE a.nation = $1 AND a.source_id = ANY($2)",
                cases.join(", ")
            );
            let rows = sqlx::query(&sql)
                .bind(nation)
                .bind(keys)
                .fetch_all(&mut *work)
                .await
                .map_err(db_err("naming differing columns"))?;
            for row in rows {
                let key: String = row
                    .try_get("source_id")
                    .map_err(db_err("reading the diff"))?;
                let names: Vec<String> = row.try_get("cols").map_err(db_err("reading the diff"))?;
                columns_of.insert(key, names);
            }
        }
        for key in &differing {
            let cols = columns_of
                .get(key)
                .map(|c| c.join(", "))
                .unwrap_or_else(|| "(not listed)".into());
            push_limited(
                findings,
                &mut listed,
                finding(resource, Some(parent_id(key)), "rederive", FindingClass::Defect, "row_differs",
                    format!("{name} row {key} differs from its re-derivation from raw.records in: {cols}")),
            );
        }
        for key in loaded_side.difference(&derived_side) {
            diff.only_loaded += 1;
            push_limited(
                findings,
                &mut listed,
                finding(
                    resource,
                    Some(parent_id(key)),
                    "rederive",
                    FindingClass::Defect,
                    "row_not_derivable",
                    format!("{name} row {key} cannot be derived from any archived record"),
                ),
            );
        }
        for key in derived_side.difference(&loaded_side) {
            diff.only_derived += 1;
            push_limited(
                findings,
                &mut listed,
                finding(
                    resource,
                    Some(parent_id(key)),
                    "rederive",
                    FindingClass::Defect,
                    "row_missing",
                    format!("{name} row {key} derived from the archive is not loaded"),
                ),
            );
        }
        integrity.tables.insert(name.to_owned(), diff);
        sqlx::query(&format!("DROP TABLE IF EXISTS {temp}"))
            .execute(&mut *work)
            .await
            .map_err(db_err("dropping a temporary table"))?;
    }
    Ok(())
}
