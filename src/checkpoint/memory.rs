//! The in-memory [`StateStore`]: the same rules as [`super::PgStore`] over plain maps, so the
//! pipeline and reconciliation can be tested at every step — and with faults injected at named
//! steps — without a database. Shared with [`crate::load::MemorySink`], which advances
//! checkpoints in its page commits exactly as the PostgreSQL sink does in its transaction.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use super::{spool_chain_of, status, Advance, Checkpoint, StateStore, StoreError, StoreResult};
use crate::fetch::{Cursor, Page};
use crate::resource::Resource;

/// A run record.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRun {
    /// The nation.
    pub nation: String,
    /// One of [`status`].
    pub status: String,
    /// Whether it has finished.
    pub finished: bool,
    /// The error it stopped on.
    pub error: Option<String>,
    /// Its options.
    pub options: Value,
}

#[derive(Debug, Default)]
struct State {
    checkpoints: BTreeMap<(String, Resource), Checkpoint>,
    runs: Vec<MemoryRun>,
    spool: BTreeMap<(String, Resource), Vec<(Cursor, Page)>>,
    sources: BTreeMap<String, String>,
    /// Store calls left before an injected fault, per step name.
    faults: BTreeMap<&'static str, (u32, bool, bool)>,
}

/// The export's state in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }

    /// Makes the `after`-th next call of `step` (`spool_put`, `start_run`, …) fail; a
    /// transient fault behaves like a database outage, a fatal one like a refused statement.
    pub fn fail_at(&self, step: &'static str, after: u32, transient: bool) {
        self.with(|s| s.faults.insert(step, (after, transient, false)));
    }

    /// Makes every call of `step` from the `after`-th next one on fail (a lasting outage).
    pub fn fail_from(&self, step: &'static str, after: u32, transient: bool) {
        self.with(|s| s.faults.insert(step, (after, transient, true)));
    }

    fn fault(&self, step: &'static str) -> StoreResult<()> {
        self.with(|s| match s.faults.get_mut(step) {
            Some((0, transient, lasting)) => {
                let transient = *transient;
                if !*lasting {
                    s.faults.remove(step);
                }
                Err(StoreError::Injected { step, transient })
            }
            Some((n, _, _)) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        })
    }

    /// The run records, in order.
    pub fn runs(&self) -> Vec<MemoryRun> {
        self.with(|s| s.runs.clone())
    }

    /// Applies a page's checkpoint advance (called by the in-memory sink inside its commit).
    pub(crate) fn apply_advance(&self, nation: &str, stream: Resource, advance: &Advance) {
        self.with(|s| {
            let cp = s
                .checkpoints
                .entry((nation.to_owned(), stream))
                .or_insert_with(|| Checkpoint::new(stream, &advance.api));
            advance.apply(cp);
        });
    }

    /// Drops the spooled page fetched with `cursor` (called by the in-memory sink inside its
    /// commit).
    pub(crate) fn remove_spooled(&self, nation: &str, stream: Resource, cursor: &Cursor) {
        self.with(|s| {
            if let Some(pages) = s.spool.get_mut(&(nation.to_owned(), stream)) {
                pages.retain(|(c, _)| c != cursor);
            }
        });
    }
}

impl StateStore for MemoryStore {
    async fn checkpoints(&self, nation: &str) -> StoreResult<Vec<Checkpoint>> {
        self.fault("checkpoints")?;
        Ok(self.with(|s| {
            s.checkpoints
                .iter()
                .filter(|((n, _), _)| n == nation)
                .map(|(_, cp)| cp.clone())
                .collect()
        }))
    }

    async fn mark(
        &self,
        nation: &str,
        stream: Resource,
        api: &str,
        state: &str,
        last_error: Option<&str>,
    ) -> StoreResult<()> {
        self.fault("mark")?;
        self.with(|s| {
            let cp = s
                .checkpoints
                .entry((nation.to_owned(), stream))
                .or_insert_with(|| {
                    let mut cp = Checkpoint::new(stream, api);
                    cp.cursor = Cursor::Keyset { after: None };
                    cp
                });
            cp.status = state.to_owned();
            cp.last_error = last_error.map(str::to_owned);
        });
        Ok(())
    }

    async fn interrupt(&self, nation: &str) -> StoreResult<u64> {
        self.fault("interrupt")?;
        Ok(self.with(|s| {
            for ((n, _), cp) in s.checkpoints.iter_mut() {
                if n == nation && cp.status == status::RUNNING {
                    cp.status = status::INTERRUPTED.to_owned();
                }
            }
            let mut marked = 0;
            for run in s.runs.iter_mut() {
                if run.nation == nation && run.status == status::RUNNING {
                    run.status = status::INTERRUPTED.to_owned();
                    run.finished = true;
                    marked += 1;
                }
            }
            marked
        }))
    }

    async fn reset(&self, nation: &str) -> StoreResult<()> {
        self.fault("reset")?;
        self.with(|s| {
            s.checkpoints.retain(|(n, _), _| n != nation);
            s.spool.retain(|(n, _), _| n != nation);
        });
        Ok(())
    }

    async fn start_run(
        &self,
        nation: &str,
        _api: &str,
        _mapping_sha256: &str,
        options: &Value,
    ) -> StoreResult<i64> {
        self.fault("start_run")?;
        Ok(self.with(|s| {
            s.runs.push(MemoryRun {
                nation: nation.to_owned(),
                status: status::RUNNING.to_owned(),
                finished: false,
                error: None,
                options: options.clone(),
            });
            s.runs.len() as i64
        }))
    }

    async fn finish_run(&self, run_id: i64, state: &str, error: Option<&str>) -> StoreResult<()> {
        self.fault("finish_run")?;
        self.with(|s| {
            if let Some(run) = usize::try_from(run_id - 1)
                .ok()
                .and_then(|i| s.runs.get_mut(i))
            {
                run.status = state.to_owned();
                run.finished = true;
                run.error = error.map(str::to_owned);
            }
        });
        Ok(())
    }

    async fn bind_source(&self, nation: &str, source: &str, rebind: bool) -> StoreResult<()> {
        self.fault("bind_source")?;
        self.with(|s| match s.sources.get(nation) {
            // As in PostgreSQL, a nation with nothing committed yet is bound anew.
            Some(bound)
                if bound != source
                    && !rebind
                    && s.checkpoints
                        .iter()
                        .any(|((n, _), cp)| n == nation && cp.pages > 0) =>
            {
                Err(StoreError::SourceMismatch {
                    nation: nation.to_owned(),
                    bound: bound.clone(),
                    asked: source.to_owned(),
                })
            }
            _ => {
                s.sources.insert(nation.to_owned(), source.to_owned());
                Ok(())
            }
        })
    }

    async fn spool_put(
        &self,
        nation: &str,
        stream: Resource,
        _run_id: i64,
        cursor: &Cursor,
        page: &Page,
    ) -> StoreResult<()> {
        self.fault("spool_put")?;
        self.with(|s| {
            let pages = s.spool.entry((nation.to_owned(), stream)).or_default();
            pages.retain(|(c, _)| c != cursor);
            pages.push((cursor.clone(), page.clone()));
        });
        Ok(())
    }

    async fn spool_chain(
        &self,
        nation: &str,
        stream: Resource,
        from: &Cursor,
    ) -> StoreResult<Vec<Page>> {
        self.fault("spool_chain")?;
        Ok(self.with(|s| {
            let spooled = s
                .spool
                .remove(&(nation.to_owned(), stream))
                .unwrap_or_default();
            let kept = spooled.clone();
            let (chain, stale) = spool_chain_of(spooled, from);
            let left: Vec<(Cursor, Page)> = kept
                .into_iter()
                .filter(|(c, _)| !stale.contains(c))
                .collect();
            s.spool.insert((nation.to_owned(), stream), left);
            chain
        }))
    }

    async fn spool_waiting(&self, nation: &str) -> StoreResult<i64> {
        self.fault("spool_waiting")?;
        Ok(self.with(|s| {
            s.spool
                .iter()
                .filter(|((n, _), _)| n == nation)
                .map(|(_, pages)| pages.len() as i64)
                .sum()
        }))
    }

    async fn set_mapping(&self, nation: &str, stream: Resource, sha: &str) -> StoreResult<()> {
        self.fault("set_mapping")?;
        self.with(|s| {
            if let Some(cp) = s.checkpoints.get_mut(&(nation.to_owned(), stream)) {
                cp.mapping_sha256 = Some(sha.to_owned());
            }
        });
        Ok(())
    }
}
