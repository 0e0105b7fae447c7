//! The churn state of lists (module `lists_precincts_relationships`): the members added to
//! each list during the run and when each list last changed. Kept apart from the generators so
//! the nation's live state (`state::State`) can hold it without depending on them.

use std::collections::{BTreeMap, BTreeSet};

use super::ledger::MutationCounts;

/// What list churn changed: members added during the run and lists touched.
#[derive(Debug, Default)]
pub(crate) struct ListsState {
    /// Members added to each list during the run (list id → person ids).
    added: BTreeMap<u64, BTreeSet<u64>>,
    /// `updated_at` of lists changed during the run.
    updated: BTreeMap<u64, i64>,
    /// Members added during the run (for the manifest).
    pub member_counts: MutationCounts,
    /// List updates during the run (for the manifest).
    pub list_counts: MutationCounts,
}

impl ListsState {
    /// Adds `person` to `list` at `at`; false when already added.
    pub(crate) fn add(&mut self, list: u64, person: u64, at: i64) -> bool {
        if !self.added.entry(list).or_default().insert(person) {
            return false;
        }
        self.member_counts.created += 1;
        self.list_counts.updated += 1;
        self.updated.insert(list, at);
        true
    }
}

impl ListsState {
    /// The members added to list `id` during the run.
    pub(crate) fn added_to(&self, id: u64) -> Option<&BTreeSet<u64>> {
        self.added.get(&id)
    }

    /// When list `id` last changed during the run.
    pub(crate) fn updated_at(&self, id: u64) -> Option<&i64> {
        self.updated.get(&id)
    }

    /// The first list changed during the run, with the time of its latest change.
    #[cfg(test)]
    pub(crate) fn first_updated(&self) -> Option<(u64, i64)> {
        self.updated.iter().next().map(|(k, v)| (*k, *v))
    }
}
