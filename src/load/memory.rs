//! The in-memory [`Sink`]: the PostgreSQL sink's rules — a page's records, rows, rejects and
//! checkpoint advance applied together or not at all, last row wins per key, child sets
//! replaced as a whole, the spool entry dropped with the page — over plain maps, with faults
//! injectable at `prepare` and `finish`. Unit tests of the pipeline and of reconciliation use
//! it with [`MemoryStore`] instead of a database.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{pg_text, IdDiff, LoadError, LoadRow, PageBatch, PageOutcome, Sink};
use crate::checkpoint::MemoryStore;
use crate::fetch::SourceRecord;
use crate::resource::Resource;

/// An archived record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryRecord {
    /// The body as received.
    pub body: Vec<u8>,
    /// Its canonical hash.
    pub sha256: String,
    /// Whether reconciliation found it gone at source.
    pub deleted_at_source: bool,
}

/// A loaded row with the value of each column in PostgreSQL's text form.
pub type MemoryRow = BTreeMap<&'static str, Option<String>>;

#[derive(Debug, Default)]
struct State {
    raw: BTreeMap<(String, Resource, String), MemoryRecord>,
    /// table → (nation, source_id) → row.
    tables: BTreeMap<String, BTreeMap<(String, String), MemoryRow>>,
    /// (nation, resource, source_id, field, record_sha256) → reason, as sync.rejects is keyed.
    #[allow(clippy::type_complexity)]
    rejects: BTreeMap<(String, Resource, Option<String>, String, Option<String>), String>,
    faults: BTreeMap<&'static str, (u32, bool, bool)>,
    commits: u64,
}

/// Loads into memory, advancing checkpoints in a shared [`MemoryStore`].
#[derive(Debug)]
pub struct MemorySink {
    store: Arc<MemoryStore>,
    state: Mutex<State>,
}

impl MemorySink {
    /// A sink whose page commits advance checkpoints in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self {
            store,
            state: Mutex::default(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }

    /// Makes the `after`-th next call of `step` (`prepare`, `finish`) fail.
    pub fn fail_at(&self, step: &'static str, after: u32, transient: bool) {
        self.with(|s| s.faults.insert(step, (after, transient, false)));
    }

    /// Makes every call of `step` from the `after`-th next one on fail (a lasting outage).
    pub fn fail_from(&self, step: &'static str, after: u32, transient: bool) {
        self.with(|s| s.faults.insert(step, (after, transient, true)));
    }

    fn fault(&self, step: &'static str) -> Result<(), LoadError> {
        self.with(|s| match s.faults.get_mut(step) {
            Some((0, transient, lasting)) => {
                let transient = *transient;
                if !*lasting {
                    s.faults.remove(step);
                }
                Err(LoadError::Injected { step, transient })
            }
            Some((n, _, _)) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        })
    }

    /// The archived records of a stream, by id.
    pub fn raw(&self, nation: &str, stream: Resource) -> BTreeMap<String, MemoryRecord> {
        self.with(|s| {
            s.raw
                .iter()
                .filter(|((n, st, _), _)| n == nation && *st == stream)
                .map(|((_, _, id), r)| (id.clone(), r.clone()))
                .collect()
        })
    }

    /// The rows of `table` (`core.people`…) of a nation, by source id.
    pub fn rows(&self, nation: &str, table: &str) -> BTreeMap<String, MemoryRow> {
        self.with(|s| {
            s.tables
                .get(table)
                .map(|rows| {
                    rows.iter()
                        .filter(|((n, _), _)| n == nation)
                        .map(|((_, id), row)| (id.clone(), row.clone()))
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Pages committed so far.
    pub fn commits(&self) -> u64 {
        self.with(|s| s.commits)
    }
}

fn row_of(rows_table: crate::mapping::TableId, row: &LoadRow) -> MemoryRow {
    let mut out = MemoryRow::new();
    for (column, cell) in rows_table.table().engine_columns().zip(&row.cells) {
        out.insert(column.name, pg_text(cell));
    }
    out.insert("source_id", Some(row.source_id.clone()));
    out.insert("raw_sha256", row.raw_sha256.clone());
    out
}

impl Sink for MemorySink {
    /// Nothing is written before the commit: the page applies at once in [`Sink::finish`].
    type Prepared = ();

    async fn prepare(&self, _batch: Arc<PageBatch>) -> Result<(), LoadError> {
        self.fault("prepare")
    }

    async fn finish(&self, (): (), batch: Arc<PageBatch>) -> Result<PageOutcome, LoadError> {
        self.fault("finish")?;
        let outcome = self.with(|s| {
            let mut outcome = PageOutcome::default();
            let mut known = std::collections::BTreeSet::new();
            for raw in &batch.raw {
                let key = (batch.nation.clone(), batch.stream, raw.source_id.clone());
                if let Some(old) = s.raw.get(&key) {
                    known.insert(raw.source_id.clone());
                    if batch.count_changes && (old.sha256 != raw.sha256 || old.deleted_at_source) {
                        outcome.changed += 1;
                    }
                }
                s.raw.insert(
                    key,
                    MemoryRecord {
                        body: raw.body.clone(),
                        sha256: raw.sha256.clone(),
                        deleted_at_source: false,
                    },
                );
            }
            outcome.archived = batch
                .raw
                .iter()
                .map(|r| &r.source_id)
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u64;
            outcome.new = outcome.archived - known.len() as u64;
            for (table, rows) in &batch.tables {
                let target = s.tables.entry(table.clone()).or_default();
                if let Some((parent_col, parents)) = &rows.replace_children_of {
                    let keep: std::collections::BTreeSet<&str> =
                        rows.rows.iter().map(|r| r.source_id.as_str()).collect();
                    target.retain(|(nation, id), row| {
                        let parent = row
                            .iter()
                            .find(|(c, _)| **c == parent_col.as_str())
                            .and_then(|(_, v)| v.clone());
                        !(nation == &batch.nation
                            && parent.is_some_and(|p| parents.contains(&p) && known.contains(&p))
                            && !keep.contains(id.as_str()))
                    });
                }
                let mut by_id: BTreeMap<&str, &LoadRow> = BTreeMap::new();
                for row in &rows.rows {
                    by_id.insert(&row.source_id, row);
                }
                for (id, row) in by_id {
                    target.insert(
                        (batch.nation.clone(), id.to_owned()),
                        row_of(rows.table, row),
                    );
                    outcome.rows += 1;
                }
            }
            for id in &batch.mapped_ids {
                s.rejects.retain(|(n, r, i, ..), _| {
                    !(n == &batch.nation && *r == batch.stream && i.as_deref() == Some(id))
                });
            }
            for reject in &batch.rejects {
                s.rejects.insert(
                    (
                        batch.nation.clone(),
                        batch.stream,
                        reject.source_id.clone(),
                        reject.field.clone(),
                        reject.record_sha256(),
                    ),
                    reject.reason.clone(),
                );
                outcome.rejected += 1;
            }
            s.commits += 1;
            outcome
        });
        if batch.advances_checkpoint {
            self.store
                .apply_advance(&batch.nation, batch.stream, &batch.advance(outcome));
        }
        if let Some(cursor) = &batch.spooled {
            self.store
                .remove_spooled(&batch.nation, batch.stream, cursor);
        }
        Ok(outcome)
    }

    async fn live_digest(
        &self,
        nation: &str,
        stream: Resource,
    ) -> Result<(i64, Option<String>), LoadError> {
        let live: Vec<String> = self
            .raw(nation, stream)
            .into_values()
            .filter(|r| !r.deleted_at_source)
            .map(|r| r.sha256)
            .collect();
        let digest = (!live.is_empty()).then(|| live.concat());
        Ok((live.len() as i64, digest))
    }

    async fn live_ids(&self, nation: &str, stream: Resource) -> Result<Vec<String>, LoadError> {
        Ok(self
            .raw(nation, stream)
            .into_iter()
            .filter(|(_, r)| !r.deleted_at_source)
            .map(|(id, _)| id)
            .collect())
    }

    async fn orphans_of_deleted(
        &self,
        nation: &str,
        stream: Resource,
        column: &str,
        of: Resource,
    ) -> Result<Vec<String>, LoadError> {
        let gone: std::collections::BTreeSet<String> = self
            .raw(nation, of)
            .into_iter()
            .filter(|(_, r)| r.deleted_at_source)
            .map(|(id, _)| id)
            .collect();
        let live = self.raw(nation, stream);
        Ok(self
            .rows(nation, stream.def().table)
            .into_iter()
            .filter(|(id, row)| {
                live.get(id).is_some_and(|r| !r.deleted_at_source)
                    && row
                        .get(column)
                        .and_then(Option::as_ref)
                        .is_some_and(|v| gone.contains(v))
            })
            .map(|(id, _)| id)
            .collect())
    }

    async fn compare_ids(
        &self,
        nation: &str,
        stream: Resource,
        listed: &[String],
    ) -> Result<IdDiff, LoadError> {
        let live: std::collections::BTreeSet<String> = self
            .raw(nation, stream)
            .into_iter()
            .filter(|(_, r)| !r.deleted_at_source)
            .map(|(id, _)| id)
            .collect();
        let listed: std::collections::BTreeSet<String> = listed.iter().cloned().collect();
        Ok(IdDiff {
            absent: live.difference(&listed).cloned().collect(),
            unarchived: listed.difference(&live).cloned().collect(),
        })
    }

    async fn mark_deleted(
        &self,
        nation: &str,
        stream: Resource,
        ids: &[String],
        tables: &[(String, Option<String>)],
    ) -> Result<u64, LoadError> {
        self.fault("mark_deleted")?;
        Ok(self.with(|s| {
            let mut marked = 0;
            for id in ids {
                if let Some(r) = s.raw.get_mut(&(nation.to_owned(), stream, id.clone())) {
                    if !r.deleted_at_source {
                        r.deleted_at_source = true;
                        marked += 1;
                    }
                }
            }
            for (table, parent) in tables {
                let column = parent.as_deref().unwrap_or("source_id");
                if let Some(rows) = s.tables.get_mut(table) {
                    rows.retain(|(n, _), row| {
                        let value = row.get(column).cloned().flatten();
                        !(n == nation && value.is_some_and(|v| ids.contains(&v)))
                    });
                }
            }
            marked
        }))
    }

    async fn archived(
        &self,
        nation: &str,
        stream: Resource,
        after: &str,
        limit: usize,
    ) -> Result<Vec<SourceRecord>, LoadError> {
        Ok(self
            .raw(nation, stream)
            .into_iter()
            .filter(|(id, r)| id.as_str() > after && !r.deleted_at_source)
            .take(limit)
            .map(|(id, r)| SourceRecord::from_archive(id, r.body))
            .collect())
    }

    /// Memory has no planner.
    async fn analyze(&self, _tables: &[String]) -> Result<(), LoadError> {
        Ok(())
    }

    async fn reject_count(&self, nation: &str) -> Result<u64, LoadError> {
        Ok(self.with(|s| s.rejects.keys().filter(|(n, ..)| n == nation).count() as u64))
    }
}
