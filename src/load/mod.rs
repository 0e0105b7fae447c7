//! Load: writes one fetched page in **one transaction** — the raw records with their
//! canonical SHA-256, the mapped rows of the open schema, the rejects, the field
//! dispositions and the stream's checkpoint. Because they commit together, a crash at any
//! instant leaves either the whole page or none of it. The page's spool entry is deleted in
//! the same transaction. A page is written in two halves — [`Sink::prepare`] (its own records
//! and rows) and [`Sink::finish`] (checkpoint, commit) — so a stream can prepare page N+1
//! while page N commits.
//!
//! Loading goes through the small [`Sink`] trait: [`PgSink`] writes PostgreSQL, [`MemorySink`]
//! keeps the same rules in memory for unit tests of the pipeline and of reconciliation (with
//! faults injected at named steps). The sink also answers what reconciliation asks of the
//! archive (which ids it holds, marking records deleted at source) and what `remap` reads.
//!
//! In PostgreSQL, rows are upserted in bulk — one statement per table per page, each column
//! bound as one array and expanded by `UNNEST`, cast to the column's type from the static
//! schema catalogue — keyed on `(nation, source_id)`, which makes replaying a page harmless.
//! Child rows (a person's emails, phones, addresses…) are replaced as a set, so a value removed
//! at source disappears here too; the replacing `DELETE` is skipped for records archived for
//! the first time by this very page, which cannot have child rows yet. Those records, and the
//! rows derived from them, go in by `COPY` instead (no conflict check for rows that cannot
//! exist yet); should one exist after all, the page is written again with upserts only. Table
//! and column names come only from the validated mapping catalogue and are quoted.

use std::collections::BTreeMap;

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::checkpoint::Advance;
use crate::fetch::{ApiProfile, Cursor, SourceRecord};
use crate::mapping::mapper::{LoadRow, MappedBatch, RawRow, RejectRow, TableRows};
use crate::mapping::Cell;
use crate::resource::Resource;
use crate::schema::catalogue::{ColumnRole, SqlType, TableId};

mod copy;
mod memory;
mod postgres;

pub use memory::MemorySink;
pub use postgres::PgSink;

/// How the reason of a record rejected whole because PostgreSQL refused it begins (field
/// `(record)`); `verify` does not expect rows re-derived from such a record.
pub const DATABASE_REFUSED: &str = "the database refused to load the record";

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
pub fn unnest<'a>(
    table: TableId,
    rows: impl IntoIterator<Item = &'a LoadRow>,
    first_param: usize,
) -> Result<Unnest, LoadError> {
    let by_id = last_per_id(rows);
    let mapped = mapped_columns(table);
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

/// `rows` keyed by `source_id`, the last row of a repeated id winning.
fn last_per_id<'a>(rows: impl IntoIterator<Item = &'a LoadRow>) -> BTreeMap<&'a str, &'a LoadRow> {
    let mut by_id: BTreeMap<&str, &LoadRow> = BTreeMap::new();
    for row in rows {
        by_id.insert(&row.source_id, row);
    }
    by_id
}

/// The mapped columns of `table` the loader writes (all but `source_id`, which it takes from
/// [`LoadRow::source_id`]), with their index among the table's engine columns, which is the
/// index of their [`Cell`] in a [`LoadRow`].
fn mapped_columns(table: TableId) -> Vec<(usize, &'static crate::schema::catalogue::Column)> {
    table
        .table()
        .engine_columns()
        .enumerate()
        .filter(|(_, c)| c.role == ColumnRole::Mapped && c.name != "nation")
        .collect()
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

/// Who a page batch belongs to: the nation, the API and the run writing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchContext {
    /// The nation slug.
    pub nation: String,
    /// `v1` or `v2`.
    pub api: String,
    /// The run id in `sync.runs`.
    pub run_id: i64,
}

/// Everything one page writes.
#[derive(Debug, Clone)]
pub struct PageBatch {
    /// The nation slug.
    pub nation: String,
    /// The stream.
    pub stream: Resource,
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
    /// What the source has learned about the stream, kept with the checkpoint.
    pub learned: ApiProfile,
    /// Whether to count records whose content changed (reconciliation passes, whose summary
    /// says what they updated; the main pass does not pay for it).
    pub count_changes: bool,
}

impl PageBatch {
    /// The batch of a page of `stream` for `context`: what mapping made of its records, the
    /// mapping checksum, and where the stream continues (`next`, with the API's `total`). It
    /// moves the checkpoint and counts no changes unless told otherwise.
    pub fn new(
        context: &BatchContext,
        stream: Resource,
        mapped: MappedBatch,
        mapping_sha256: &str,
        next: Cursor,
        total: Option<u64>,
    ) -> PageBatch {
        PageBatch {
            nation: context.nation.clone(),
            stream,
            api: context.api.clone(),
            run_id: context.run_id,
            raw: mapped.raw,
            tables: mapped.tables,
            rejects: mapped.rejects,
            mapped_ids: mapped.mapped_ids,
            fields: mapped.fields,
            next,
            total,
            mapping_sha256: mapping_sha256.to_owned(),
            source_clock: None,
            advances_checkpoint: true,
            spooled: None,
            learned: ApiProfile::default(),
            count_changes: false,
        }
    }

    /// The part of this page that concerns the records `ids` (their raw records, rows and
    /// rejects) and, with `idless`, the rejects of records without an id; no field
    /// dispositions. Used to isolate a record the database refuses.
    pub fn subset(&self, ids: &[String], idless: bool) -> PageBatch {
        let set: std::collections::BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        let shas: std::collections::BTreeSet<&str> = self
            .raw
            .iter()
            .filter(|r| set.contains(r.source_id.as_str()))
            .map(|r| r.sha256.as_str())
            .collect();
        let belongs = |row: &LoadRow| {
            set.contains(row.source_id.as_str())
                || row
                    .source_id
                    .split_once(':')
                    .is_some_and(|(parent, _)| set.contains(parent))
                || row
                    .raw_sha256
                    .as_deref()
                    .is_some_and(|sha| shas.contains(sha))
        };
        let tables = self
            .tables
            .iter()
            .map(|(name, rows)| {
                let part = TableRows {
                    table: rows.table,
                    rows: rows.rows.iter().filter(|r| belongs(r)).cloned().collect(),
                    replace_children_of: rows.replace_children_of.as_ref().map(|(col, parents)| {
                        (
                            col.clone(),
                            parents
                                .iter()
                                .filter(|p| set.contains(p.as_str()))
                                .cloned()
                                .collect(),
                        )
                    }),
                };
                (name.clone(), part)
            })
            .collect();
        PageBatch {
            nation: self.nation.clone(),
            stream: self.stream,
            api: self.api.clone(),
            run_id: self.run_id,
            raw: self
                .raw
                .iter()
                .filter(|r| set.contains(r.source_id.as_str()))
                .cloned()
                .collect(),
            tables,
            rejects: self
                .rejects
                .iter()
                .filter(|r| match &r.source_id {
                    Some(id) => set.contains(id.as_str()),
                    None => idless,
                })
                .cloned()
                .collect(),
            mapped_ids: self
                .mapped_ids
                .iter()
                .filter(|id| set.contains(id.as_str()))
                .cloned()
                .collect(),
            fields: BTreeMap::new(),
            next: self.next.clone(),
            total: self.total,
            mapping_sha256: self.mapping_sha256.clone(),
            source_clock: self.source_clock.clone(),
            advances_checkpoint: self.advances_checkpoint,
            spooled: self.spooled.clone(),
            learned: self.learned,
            count_changes: self.count_changes,
        }
    }

    /// The checkpoint advance this page commits, given what it wrote.
    pub fn advance(&self, outcome: PageOutcome) -> Advance {
        Advance {
            api: self.api.clone(),
            next: self.next.clone(),
            records: self.raw.len() as u64,
            rejects: outcome.rejected,
            total: self.total,
            run_id: self.run_id,
            mapping_sha256: self.mapping_sha256.clone(),
            source_clock: self.source_clock.clone(),
            learned: self.learned,
        }
    }
}

/// What a committed page added up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOutcome {
    /// Records archived.
    pub archived: u64,
    /// Of those, records archived for the first time.
    pub new: u64,
    /// Of those, records already archived whose content changed (counted only for pages with
    /// [`PageBatch::count_changes`]).
    pub changed: u64,
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
        stream: Resource,
        /// The table or step.
        table: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A query that belongs to no one stream failed.
    #[error("{context}: {source}")]
    Query {
        /// What was being done.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A page's loading task ended abnormally (panicked or was cancelled).
    #[error("loading {stream}: the page task ended abnormally: {reason}")]
    Task {
        /// The stream being loaded.
        stream: Resource,
        /// What the runtime said.
        reason: String,
    },
    /// A table or column name failed validation (never pasted into SQL).
    #[error("refusing unsafe SQL identifier {0:?}")]
    Identifier(String),
    /// The nation's advisory lock was taken again after the database session holding it
    /// ended; the page is retried under the new lock.
    #[error("the database session holding the nation's lock ended; the lock was taken again")]
    LockRetaken,
    /// Another run took the nation's lock while the database was restarting.
    #[error(
        "another nb-exodus run took nation {nation:?} while the database was restarting; this run \
         stopped so the two never write at once (see `nb-exodus status`)"
    )]
    LockLost {
        /// The nation.
        nation: String,
    },
    /// A fault injected by a test (in-memory twin).
    #[error("injected fault at {step}")]
    Injected {
        /// Where.
        step: &'static str,
        /// Whether it behaves like a transient database outage.
        transient: bool,
    },
}

impl LoadError {
    /// Whether retrying the page later may succeed (a database outage, a serialization
    /// failure, a lock taken again).
    pub fn is_transient(&self) -> bool {
        match self {
            LoadError::Statement { source, .. } | LoadError::Query { source, .. } => {
                crate::database::fault::is_transient(source)
            }
            LoadError::LockRetaken => true,
            LoadError::Injected { transient, .. } => *transient,
            LoadError::Task { .. } | LoadError::Identifier(_) | LoadError::LockLost { .. } => false,
        }
    }

    /// The driver's error, when there is one.
    pub fn sqlx(&self) -> Option<&sqlx::Error> {
        match self {
            LoadError::Statement { source, .. } | LoadError::Query { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// How the ids the source lists now compare with the live archive of a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdDiff {
    /// Archived, not marked deleted, and absent from the listing: candidates for deletion.
    pub absent: Vec<String>,
    /// Listed, but not in the live archive: to fetch.
    pub unarchived: Vec<String>,
}

/// Where pages are loaded, and what reconciliation and `remap` ask of the archive.
/// Implemented for PostgreSQL ([`PgSink`]) and in memory ([`MemorySink`]).
pub trait Sink: Send + Sync + 'static {
    /// A page whose own records and rows are written but not yet committed.
    type Prepared: Send + 'static;

    /// Opens the page's transaction and writes its raw records, rows and rejects: everything
    /// that touches only the page's own records, so it may run while the stream's previous
    /// page commits.
    fn prepare(
        &self,
        batch: Arc<PageBatch>,
    ) -> impl Future<Output = Result<Self::Prepared, LoadError>> + Send;

    /// Writes what every page of the stream shares (field dispositions, the checkpoint), drops
    /// the page's spool entry, and commits. Call in page order.
    fn finish(
        &self,
        prepared: Self::Prepared,
        batch: Arc<PageBatch>,
    ) -> impl Future<Output = Result<PageOutcome, LoadError>> + Send;

    /// A fingerprint of a stream's live archive (record count and a digest over the records'
    /// hashes in id order), to tell whether a catch-up pass changed anything.
    fn live_digest(
        &self,
        nation: &str,
        stream: Resource,
    ) -> impl Future<Output = Result<(i64, Option<String>), LoadError>> + Send;

    /// The ids of the stream's live archive (not marked deleted at source).
    fn live_ids(
        &self,
        nation: &str,
        stream: Resource,
    ) -> impl Future<Output = Result<Vec<String>, LoadError>> + Send;

    /// The live archived records of `stream` whose main-table `column` names a record of
    /// `of` that is marked deleted at source: where the two are kept together at the source
    /// (a tagging and its person), the deletion check's suspects, each still confirmed at the
    /// source before anything is removed.
    fn orphans_of_deleted(
        &self,
        nation: &str,
        stream: Resource,
        column: &str,
        of: Resource,
    ) -> impl Future<Output = Result<Vec<String>, LoadError>> + Send;

    /// Compares the ids the source lists now with the stream's live archive.
    fn compare_ids(
        &self,
        nation: &str,
        stream: Resource,
        listed: &[String],
    ) -> impl Future<Output = Result<IdDiff, LoadError>> + Send;

    /// Marks `ids` deleted at source in the archive (the bodies stay) and removes the rows
    /// derived from them from `tables` ((table, parent column of child tables)); returns how
    /// many records it marked.
    fn mark_deleted(
        &self,
        nation: &str,
        stream: Resource,
        ids: &[String],
        tables: &[(String, Option<String>)],
    ) -> impl Future<Output = Result<u64, LoadError>> + Send;

    /// Up to `limit` live archived records of a stream with ids after `after`, in id order
    /// (for `remap`).
    fn archived(
        &self,
        nation: &str,
        stream: Resource,
        after: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<SourceRecord>, LoadError>> + Send;

    /// Rejects recorded for the nation.
    fn reject_count(&self, nation: &str) -> impl Future<Output = Result<u64, LoadError>> + Send;

    /// Refreshes the planner statistics of `tables` after a run wrote them.
    fn analyze(&self, tables: &[String]) -> impl Future<Output = Result<(), LoadError>> + Send;
}

/// Writes one page in one transaction ([`Sink::prepare`] then [`Sink::finish`]).
pub async fn commit<K: Sink>(sink: &K, batch: Arc<PageBatch>) -> Result<PageOutcome, LoadError> {
    let prepared = sink.prepare(batch.clone()).await?;
    sink.finish(prepared, batch).await
}

/// Wraps a driver error of `stream`'s statement on `table` (or step: `begin`, `commit`).
pub(crate) fn statement_error(
    stream: Resource,
    table: &str,
) -> impl FnOnce(sqlx::Error) -> LoadError + '_ {
    move |source| LoadError::Statement {
        stream,
        table: table.to_owned(),
        source,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue's table called `qualified`.
    fn table(qualified: &str) -> TableId {
        TableId::named(qualified).expect("a table of the catalogue")
    }

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
    fn a_subset_holds_only_what_concerns_its_records() {
        let raw = |id: &str| RawRow {
            source_id: id.into(),
            body: format!("{{\"id\":\"{id}\"}}").into_bytes(),
            json_storable: true,
            sha256: id.repeat(64)[..64].to_owned(),
        };
        let row = |id: &str, sha: &str| LoadRow {
            source_id: id.into(),
            raw_sha256: Some(sha.repeat(64)[..64].to_owned()),
            cells: Vec::new(),
        };
        let reject = |id: Option<&str>| RejectRow {
            source_id: id.map(str::to_owned),
            field: "id".into(),
            reason: "r".into(),
            body: id.is_none().then(|| b"{}".to_vec()),
            json_storable: true,
        };
        let mut tables = BTreeMap::new();
        let mut emails = TableRows::new(table("core.email_addresses"));
        emails.rows = vec![row("1:email1", "1"), row("2:email1", "2")];
        emails.replace_children_of =
            Some(("person_source_id".into(), vec!["1".into(), "2".into()]));
        tables.insert("core.email_addresses".to_owned(), emails);
        let batch = PageBatch {
            nation: "n".into(),
            stream: Resource::of("people"),
            api: "v2".into(),
            run_id: 1,
            raw: vec![raw("1"), raw("2")],
            tables,
            rejects: vec![reject(Some("2")), reject(None)],
            mapped_ids: vec!["1".into()],
            fields: BTreeMap::from([(("/id".into(), "mapped".into(), None), 2)]),
            next: Cursor::Done,
            total: None,
            mapping_sha256: "0".repeat(64),
            source_clock: None,
            advances_checkpoint: true,
            spooled: None,
            learned: ApiProfile::default(),
            count_changes: false,
        };
        let part = batch.subset(&["2".to_owned()], false);
        assert_eq!(part.raw.len(), 1);
        assert_eq!(part.raw[0].source_id, "2");
        let emails = &part.tables["core.email_addresses"];
        assert_eq!(emails.rows.len(), 1);
        assert_eq!(emails.rows[0].source_id, "2:email1");
        assert_eq!(
            emails.replace_children_of,
            Some(("person_source_id".into(), vec!["2".into()]))
        );
        assert_eq!(part.rejects.len(), 1);
        assert!(part.mapped_ids.is_empty() && part.fields.is_empty());
        let idless = batch.subset(&[], true);
        assert!(idless.raw.is_empty());
        assert_eq!(idless.rejects.len(), 1);
        assert!(idless.rejects[0].source_id.is_none());
    }

    #[test]
    fn unnest_binds_one_array_per_column_and_keeps_the_last_row_per_key() {
        let row = |id: &str, addr: &str| LoadRow {
            source_id: id.into(),
            raw_sha256: Some("ab".repeat(32)),
            cells: table("core.email_addresses")
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
        let u = unnest(table("core.email_addresses"), &rows, 3).unwrap();
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
