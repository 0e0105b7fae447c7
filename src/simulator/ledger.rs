//! A *ledger* is the live set of a flat collection whose ids run `1..=n` in creation order
//! (memberships, membership types): ids generated from the seed (`1..=base`), ids created
//! during the run (`base + 1..`, with their creation time and owner), a bitmap of deleted ids,
//! a Fenwick tree of live ids for offset paging, and the overrides of updated records.
//!
//! It is the flat sibling of the person slots of the nation's live state (`state::State`, which
//! holds one ledger per such collection): `rank` (live ids below a key) and `select` (the k-th
//! live id) are what paging needs, and the memory stays proportional to the changes, not to the
//! collection.

use std::collections::HashMap;

use super::fenwick::Fenwick;

/// What the mutations of one collection during the run did, for the manifest (the person
/// slots count theirs the same way).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MutationCounts {
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
}

/// What churn changed on one record of a ledger.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LedgerOverride {
    /// Number of updates since generation (0 = as generated).
    pub version: u32,
    /// `updated_at` of the latest update.
    pub updated_at: Option<i64>,
}

/// A record created during the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Created {
    /// Creation time (the churn clock).
    pub at: i64,
    /// The owning record (for memberships, the person id).
    pub owner: u64,
}

/// The live set of one flat collection.
#[derive(Debug)]
pub(crate) struct Ledger {
    base: u64,
    created: Vec<Created>,
    deleted: Vec<u64>,
    live: Fenwick,
    overrides: HashMap<u64, LedgerOverride>,
    /// Ids deleted before the export (never served, possibly still referenced).
    pub deleted_before: u64,
    /// Mutations during the run.
    pub counts: MutationCounts,
}

impl Ledger {
    /// A ledger of the generated ids `1..=base`, of which `gone` were deleted before the export.
    pub(crate) fn new(base: u64, gone: &[u64]) -> Self {
        let live = Fenwick::from_values((1..=base).map(|id| u32::from(!gone.contains(&id))));
        let mut deleted = vec![0u64; (base as usize).div_ceil(64)];
        let mut deleted_before = 0;
        for &id in gone {
            if (1..=base).contains(&id) {
                let i = id - 1;
                deleted[(i / 64) as usize] |= 1 << (i % 64);
                deleted_before += 1;
            }
        }
        Ledger {
            base,
            created: Vec::new(),
            deleted,
            live,
            overrides: HashMap::new(),
            deleted_before,
            counts: MutationCounts::default(),
        }
    }

    /// Highest id ever used.
    pub(crate) fn max_id(&self) -> u64 {
        self.live.len() as u64
    }

    /// Live ids.
    pub(crate) fn live_count(&self) -> u64 {
        self.live.prefix(self.live.len())
    }

    /// Whether `id` exists and is live.
    pub(crate) fn is_live(&self, id: u64) -> bool {
        if id == 0 || id > self.max_id() {
            return false;
        }
        let i = id - 1;
        self.deleted
            .get((i / 64) as usize)
            .is_none_or(|w| w & (1 << (i % 64)) == 0)
    }

    /// Live ids strictly below `key`.
    pub(crate) fn rank(&self, key: u64) -> u64 {
        self.live.prefix(key.saturating_sub(1) as usize)
    }

    /// The `k`-th live id (0-based).
    pub(crate) fn select(&self, k: u64) -> Option<u64> {
        let p = self.live.find(k);
        (p < self.live.len()).then_some(p as u64 + 1)
    }

    /// The creation record of an id created during the run.
    pub(crate) fn created(&self, id: u64) -> Option<Created> {
        id.checked_sub(self.base + 1)
            .and_then(|i| self.created.get(i as usize).copied())
    }

    /// Ids created during the run and owned by `owner`, ascending.
    pub(crate) fn created_by(&self, owner: u64) -> impl Iterator<Item = u64> + '_ {
        self.created
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.owner == owner)
            .map(|(i, _)| self.base + 1 + i as u64)
    }

    /// The override of `id` (default when it was never updated).
    pub(crate) fn override_of(&self, id: u64) -> LedgerOverride {
        self.overrides.get(&id).copied().unwrap_or_default()
    }

    /// Appends a record created at `at` for `owner`; returns its id.
    pub(crate) fn create(&mut self, at: i64, owner: u64) -> u64 {
        self.created.push(Created { at, owner });
        self.live.push(1);
        let id = self.max_id();
        if ((id - 1) / 64) as usize >= self.deleted.len() {
            self.deleted.push(0);
        }
        self.counts.created += 1;
        id
    }

    /// Deletes `id`; false if it is not live.
    pub(crate) fn delete(&mut self, id: u64) -> bool {
        if !self.is_live(id) {
            return false;
        }
        let i = id - 1;
        self.deleted[(i / 64) as usize] |= 1 << (i % 64);
        self.live.add(i as usize, -1);
        self.overrides.remove(&id);
        self.counts.deleted += 1;
        true
    }

    /// Records an update of `id` at `at`; returns the new version, or `None` if not live.
    pub(crate) fn touch(&mut self, id: u64, at: i64) -> Option<u32> {
        if !self.is_live(id) {
            return None;
        }
        let ov = self.overrides.entry(id).or_default();
        ov.version += 1;
        ov.updated_at = Some(at);
        self.counts.updated += 1;
        Some(ov.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_select_create_delete() {
        let mut l = Ledger::new(10, &[4]);
        assert_eq!(l.live_count(), 9);
        assert!(!l.is_live(4) && l.is_live(5) && !l.is_live(11) && !l.is_live(0));
        assert_eq!(l.select(3), Some(5));
        assert_eq!(l.rank(5), 3);
        let id = l.create(100, 7);
        assert_eq!(id, 11);
        assert_eq!(l.created(11), Some(Created { at: 100, owner: 7 }));
        assert_eq!(l.created_by(7).collect::<Vec<_>>(), vec![11]);
        assert!(l.delete(2));
        assert!(!l.delete(2));
        assert_eq!(l.live_count(), 9);
        assert_eq!(l.select(0), Some(1));
        assert_eq!(l.select(1), Some(3));
        assert_eq!(l.touch(3, 50), Some(1));
        assert_eq!(l.override_of(3).updated_at, Some(50));
        assert_eq!(l.touch(2, 50), None);
        let mut big = Ledger::new(0, &[]);
        for k in 0..130 {
            big.create(k, 1);
        }
        assert!(big.delete(129));
        assert_eq!(big.live_count(), 129);
    }
}
