//! Load: writes one fetched page into PostgreSQL in **one transaction** — the raw records with
//! their canonical SHA-256, the mapped rows of the open schema, the rejects, and the stream's
//! checkpoint. Because all four commit together, a crash at any instant leaves either the whole
//! page or none of it. The page's spool entry ([`crate::checkpoint::spool`]) is deleted in the
//! same transaction. A page is written in two halves — [`prepare_page`] (its own records and
//! rows) and [`finish_page`] (checkpoint, commit) — so a stream can prepare page N+1 while page
//! N commits.
//!
//! Rows are upserted in bulk — one statement per table per page, each column bound as one
//! array and expanded by `UNNEST`, cast to the column's type from the static schema catalogue
//! — keyed on `(nation, source_id)`, which makes replaying a page harmless. Child rows (a
//! person's emails, phones, addresses…) are replaced as a set, so a value removed at source
//! disappears here too; the replacing `DELETE` is skipped for records archived for the first
//! time by this very page, which cannot have child rows yet. Table and column names come only
//! from the validated mapping catalogue and are quoted.
//!
//! The page transaction commits with `synchronous_commit = off`: the page and its checkpoint
//! commit together or not at all, so a server crash that forgets the last few commits only
//! makes the next run fetch those pages again, while the exporter no longer waits for a disk
//! flush per page.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sqlx::{PgPool, Postgres, Transaction};

use crate::fetch::{Cursor, Stream};
use crate::mapping::target::{ColumnRole, SqlType, TableId};
use crate::mapping::Cell;

/// A raw record to archive.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// The NationBuilder id.
    pub source_id: String,
    /// The record's JSON text as received.
    pub body: String,
    /// Hex SHA-256 of its canonical JSON.
    pub sha256: String,
}

/// A record (or one field of it) that could not be mapped.
#[derive(Debug, Clone)]
pub struct RejectRow {
    /// The record's id, when it had one.
    pub source_id: Option<String>,
    /// The source field at fault (`id`, `attributes.created_at`…).
    pub field: String,
    /// Why.
    pub reason: String,
    /// The record as received, for records that could not be archived under an id.
    pub body: Option<String>,
}

/// One mapped row to load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRow {
    /// The row's key.
    pub source_id: String,
    /// SHA-256 of the raw record it derives from.
    pub raw_sha256: Option<String>,
    /// The values in the table's engine-column order (the first is `source_id`, which the
    /// loader takes from [`LoadRow::source_id`] instead).
    pub cells: Vec<Cell>,
}

/// Rows for one target table.
#[derive(Debug, Clone)]
pub struct TableRows {
    /// The table.
    pub table: TableId,
    /// The rows, in arrival order (the last row wins for a repeated key).
    pub rows: Vec<LoadRow>,
    /// For child tables: the column linking to the parent record, and the parents whose child
    /// rows this batch replaces as a set.
    pub replace_children_of: Option<(String, Vec<String>)>,
}

impl TableRows {
    /// No rows yet for `table`.
    pub fn new(table: TableId) -> Self {
        Self {
            table,
            rows: Vec::new(),
            replace_children_of: None,
        }
    }
}

/// The rows of one table as one text array per column, for `SELECT {select} FROM {from}`.
/// Each value is in PostgreSQL's text form and cast to its column's type in the SQL, so a
/// page costs one statement whatever its size and PostgreSQL does no JSON work.
#[derive(Debug, Clone)]
pub struct Unnest {
    /// Quoted target column names, in select order: `source_id`, `raw_sha256`, then the
    /// mapped columns.
    pub columns: Vec<String>,
    /// The select list, `r."source_id", r."raw_sha256", r."c"::timestamptz, …`.
    pub select: String,
    /// `UNNEST($n::text[], …) AS r(…)`.
    pub from: String,
    /// One array per column, in select order; bind them from parameter `$first_param` on.
    pub arrays: Vec<Vec<Option<String>>>,
}

/// Builds the [`Unnest`] of `rows` for `table`, numbering parameters from `first_param`. A
/// repeated `source_id` keeps its last row, as `ON CONFLICT` cannot touch a row twice.
pub fn unnest(table: TableId, rows: &[LoadRow], first_param: usize) -> Result<Unnest, LoadError> {
    let mut by_id: BTreeMap<&str, &LoadRow> = BTreeMap::new();
    for row in rows {
        by_id.insert(&row.source_id, row);
    }
    let mapped: Vec<(usize, &crate::mapping::target::Column)> = table
        .table()
        .engine_columns()
        .enumerate()
        .filter(|(_, c)| c.role == ColumnRole::Mapped && c.name != "nation")
        .collect();
    let mut columns = vec![quote_ident("source_id")?, quote_ident("raw_sha256")?];
    let mut select = vec!["r.\"source_id\"".to_owned(), "r.\"raw_sha256\"".to_owned()];
    for (_, column) in &mapped {
        let q = quote_ident(column.name)?;
        select.push(match column.sql_type {
            // Assignment to text and char(n) needs no cast (and an explicit char(n) cast
            // would truncate instead of failing).
            SqlType::Text | SqlType::Char(_) => format!("r.{q}"),
            other => format!("r.{q}::{}", other.sql()),
        });
        columns.push(q);
    }
    let params: Vec<String> = (0..columns.len())
        .map(|i| format!("${}::text[]", first_param + i))
        .collect();
    let from = format!("UNNEST({}) AS r({})", params.join(", "), columns.join(", "));
    let mut arrays: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(by_id.len()); columns.len()];
    for (id, row) in &by_id {
        arrays[0].push(Some((*id).to_owned()));
        arrays[1].push(row.raw_sha256.clone());
        for (slot, (index, _)) in mapped.iter().enumerate() {
            arrays[slot + 2].push(row.cells.get(*index).and_then(pg_text));
        }
    }
    Ok(Unnest {
        columns,
        select: select.join(", "),
        from,
        arrays,
    })
}

/// A cell in PostgreSQL's text input form (`None` for SQL NULL). JSON null is SQL NULL, as
/// for every other type.
pub fn pg_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Null | Cell::Json(Value::Null) => None,
        Cell::Text(s) => Some(s.clone()),
        Cell::Bool(b) => Some(b.to_string()),
        Cell::Int(i) => Some(i.to_string()),
        Cell::Float(f) => serde_json::Number::from_f64(*f).map(|n| n.to_string()),
        Cell::Json(v) => Some(v.to_string()),
        Cell::Timestamp(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        Cell::TextArray(items) => {
            let quoted: Vec<String> = items
                .iter()
                .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
                .collect();
            Some(format!("{{{}}}", quoted.join(",")))
        }
    }
}

/// Everything one page writes.
#[derive(Debug, Clone)]
pub struct PageBatch {
    /// The nation slug.
    pub nation: String,
    /// The stream.
    pub stream: Stream,
    /// `v1` or `v2`.
    pub api: String,
    /// The run writing it.
    pub run_id: i64,
    /// Raw records.
    pub raw: Vec<RawRow>,
    /// Mapped rows per qualified table name (`core.people`…).
    pub tables: BTreeMap<String, TableRows>,
    /// Rejects.
    pub rejects: Vec<RejectRow>,
    /// Ids whose earlier rejects are superseded by this page.
    pub mapped_ids: Vec<String>,
    /// Source fields seen: (field, disposition, target) → records carrying a value.
    pub fields: BTreeMap<(String, String, Option<String>), u64>,
    /// The cursor after this page.
    pub next: Cursor,
    /// The API's total for the stream, when given.
    pub total: Option<u64>,
    /// Checksum of the mapping files the rows were made with.
    pub mapping_sha256: String,
    /// A new mark on the source's clock for the next catch-up pass, and whether it replaces
    /// an existing one (`true` on the first page of a catch-up pass) or only fills an empty one.
    pub source_clock: Option<(String, bool)>,
    /// Whether this page moves the stream's checkpoint (false when re-mapping the archive).
    pub advances_checkpoint: bool,
    /// The cursor this page was fetched with, when it waits in the page spool (its spooled
    /// copy is deleted by the same transaction).
    pub spooled: Option<Cursor>,
}

/// What a committed page added up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOutcome {
    /// Records archived.
    pub archived: u64,
    /// Rejects written.
    pub rejected: u64,
    /// Rows upserted across all tables.
    pub rows: u64,
}

/// Why loading failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A statement failed.
    #[error("loading {stream} into {table}: {source}")]
    Statement {
        /// The stream being loaded.
        stream: Stream,
        /// The table or step.
        table: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A page's loading task ended abnormally (panicked or was cancelled).
    #[error("loading {stream}: the page task ended abnormally: {reason}")]
    Task {
        /// The stream being loaded.
        stream: Stream,
        /// What the runtime said.
        reason: String,
    },
    /// A table or column name failed validation (never pasted into SQL).
    #[error("refusing unsafe SQL identifier {0:?}")]
    Identifier(String),
}

/// Quotes a validated `schema.table` or column name.
pub fn quote_ident(name: &str) -> Result<String, LoadError> {
    let ok = !name.is_empty()
        && name.split('.').count() <= 2
        && name.split('.').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if !ok {
        return Err(LoadError::Identifier(name.to_owned()));
    }
    Ok(name
        .split('.')
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join("."))
}

/// Commits one page: raw archive, rows, rejects and checkpoint in one transaction.
pub async fn commit_page(pool: &PgPool, batch: &PageBatch) -> Result<PageOutcome, LoadError> {
    let prepared = prepare_page(pool, batch).await?;
    finish_page(prepared, batch).await
}

/// A page's transaction with its records and rows written, but not its checkpoint: it can run
/// while the stream's previous page is still committing, and is finished after it.
pub struct PreparedPage {
    tx: Transaction<'static, Postgres>,
    outcome: PageOutcome,
}

/// First half of [`commit_page`]: opens the page's transaction and writes the raw records, the
/// mapped rows and the rejects — everything that touches only this page's own records.
pub async fn prepare_page(pool: &PgPool, batch: &PageBatch) -> Result<PreparedPage, LoadError> {
    let stream = batch.stream;
    let mut tx = pool
        .begin()
        .await
        .map_err(statement_error(stream, "begin"))?;
    // Only keyset pages, which never share a record, are prepared side by side, so two open
    // page transactions do not wait on each other's rows; the timeout turns a surprise into an
    // error (the run can be resumed) instead of a hang.
    sqlx::query(
        "SELECT set_config('synchronous_commit', 'off', true), set_config('lock_timeout', '60s', true)",
    )
        .execute(&mut *tx)
        .await
        .map_err(statement_error(stream, "begin"))?;
    let (archived, known) = write_raw(&mut tx, batch)
        .await
        .map_err(statement_error(stream, "raw.records"))?;
    let mut outcome = PageOutcome {
        archived,
        ..PageOutcome::default()
    };
    for (table, rows) in &batch.tables {
        outcome.rows += write_table(&mut tx, batch, table, rows, &known).await?;
    }
    outcome.rejected = write_rejects(&mut tx, batch)
        .await
        .map_err(statement_error(stream, "sync.rejects"))?;
    Ok(PreparedPage { tx, outcome })
}

/// Second half of [`commit_page`]: the rows every page of the stream shares (field
/// dispositions, the checkpoint), the page's spool entry, and the commit. Call it in page
/// order: the previous page must have committed.
pub async fn finish_page(
    prepared: PreparedPage,
    batch: &PageBatch,
) -> Result<PageOutcome, LoadError> {
    let stream = batch.stream;
    let PreparedPage { mut tx, outcome } = prepared;
    write_fields(&mut tx, batch)
        .await
        .map_err(statement_error(stream, "sync.field_dispositions"))?;
    if batch.advances_checkpoint {
        advance_checkpoint(&mut tx, batch, outcome)
            .await
            .map_err(statement_error(stream, "sync.checkpoints"))?;
    }
    if let Some(cursor) = &batch.spooled {
        crate::checkpoint::spool::remove(&mut tx, &batch.nation, stream, cursor)
            .await
            .map_err(statement_error(stream, "sync.page_spool"))?;
    }
    tx.commit()
        .await
        .map_err(statement_error(stream, "commit"))?;
    Ok(outcome)
}

/// Wraps a driver error of `stream`'s statement on `table` (or step: `begin`, `commit`).
pub(crate) fn statement_error(
    stream: Stream,
    table: &str,
) -> impl FnOnce(sqlx::Error) -> LoadError + '_ {
    move |source| LoadError::Statement {
        stream,
        table: table.to_owned(),
        source,
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

async fn advance_checkpoint(
    tx: &mut Transaction<'_, Postgres>,
    batch: &PageBatch,
    outcome: PageOutcome,
) -> sqlx::Result<()> {
    let cursor = serde_json::to_value(&batch.next).unwrap_or(Value::Null);
    let status = if batch.next == Cursor::Done {
        "done"
    } else {
        "running"
    };
    sqlx::query(
        r#"INSERT INTO sync.checkpoints AS c (nation, stream, api, cursor, pages, records, rejects, status,
                                            total_reported, run_id, mapping_sha256, source_clock, updated_at)
           VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, now())
           ON CONFLICT (nation, stream) DO UPDATE
              SET api = EXCLUDED.api, cursor = EXCLUDED.cursor, pages = c.pages + 1,
                  records = c.records + EXCLUDED.records, rejects = c.rejects + EXCLUDED.rejects,
                  status = EXCLUDED.status, last_error = NULL,
                  total_reported = COALESCE(EXCLUDED.total_reported, c.total_reported),
                  run_id = EXCLUDED.run_id, mapping_sha256 = EXCLUDED.mapping_sha256,
                  source_clock = CASE WHEN $12 THEN COALESCE(EXCLUDED.source_clock, c.source_clock)
                                      ELSE COALESCE(c.source_clock, EXCLUDED.source_clock) END,
                  updated_at = now()"#,
    )
    .bind(&batch.nation)
    .bind(batch.stream.as_str())
    .bind(&batch.api)
    .bind(&cursor)
    .bind(batch.raw.len() as i64)
    .bind(outcome.rejected as i64)
    .bind(status)
    .bind(batch.total.map(|t| t as i64))
    .bind(batch.run_id)
    .bind(&batch.mapping_sha256)
    .bind(batch.source_clock.as_ref().map(|(c, _)| c.as_str()))
    .bind(batch.source_clock.as_ref().is_some_and(|(_, replace)| *replace))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_in_postgres_text_form() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09.5+02:00")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let cases = [
            (Cell::Null, None),
            (Cell::Json(Value::Null), None),
            (Cell::Text("a\tb".into()), Some("a\tb")),
            (Cell::Bool(true), Some("true")),
            (Cell::Int(-42), Some("-42")),
            (Cell::Float(0.5), Some("0.5")),
            (
                Cell::Json(serde_json::json!({"k": [1, "x"]})),
                Some(r#"{"k":[1,"x"]}"#),
            ),
            (Cell::Json(serde_json::json!("s")), Some(r#""s""#)),
            (Cell::Timestamp(t), Some("2024-05-06T05:08:09.500Z")),
            (
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2001, 2, 3).unwrap()),
                Some("2001-02-03"),
            ),
            (
                Cell::TextArray(vec![
                    "1 Main St".into(),
                    r#"say "hi"\"#.into(),
                    String::new(),
                ]),
                Some(r#"{"1 Main St","say \"hi\"\\",""}"#),
            ),
        ];
        for (cell, want) in cases {
            assert_eq!(pg_text(&cell).as_deref(), want, "{cell:?}");
        }
    }

    #[test]
    fn unnest_binds_one_array_per_column_and_keeps_the_last_row_per_key() {
        let row = |id: &str, addr: &str| LoadRow {
            source_id: id.into(),
            raw_sha256: Some("ab".repeat(32)),
            cells: TableId::EmailAddresses
                .table()
                .engine_columns()
                .map(|c| match c.name {
                    "source_id" => Cell::Text(id.into()),
                    "person_source_id" => Cell::Text("1".into()),
                    "address" => Cell::Text(addr.into()),
                    _ => Cell::Null,
                })
                .collect(),
        };
        let rows = [
            row("1:email1", "old@x.org"),
            row("1:email2", "b@x.org"),
            row("1:email1", "a@x.org"),
        ];
        let u = unnest(TableId::EmailAddresses, &rows, 3).unwrap();
        assert_eq!(&u.columns[..2], ["\"source_id\"", "\"raw_sha256\""]);
        assert_eq!(u.columns.len(), u.arrays.len());
        assert!(
            u.from.starts_with("UNNEST($3::text[], $4::text[], "),
            "{}",
            u.from
        );
        assert!(
            u.select.contains("r.\"is_primary\"::boolean"),
            "{}",
            u.select
        );
        assert!(u.select.contains(", r.\"address\","), "{}", u.select);
        assert_eq!(
            u.arrays[0],
            [Some("1:email1".into()), Some("1:email2".into())]
        );
        let address = u.columns.iter().position(|c| c == "\"address\"").unwrap();
        assert_eq!(
            u.arrays[address],
            [Some("a@x.org".into()), Some("b@x.org".into())]
        );
    }
}
