//! The mutable part of the nation: people created, updated and deleted while pages are being
//! served (`--churn`, and the `/__simulator/people` admin routes).
//!
//! The state stays small whatever the nation's size: a bitmap of deleted slots, the creation
//! times of people created during the run, a map of updated ids to their version, and two
//! Fenwick trees (live people and taggings per slot) so that offset paging — `page[number]`
//! and the v1 legacy envelope — can turn an offset into a record in O(log n) even for 2 M
//! people. Mutations take their timestamps from a virtual clock that starts at the nation's
//! epoch, so bodies stay reproducible for a given request sequence.
//!
//! Each churn event runs the churn step of every resource that has one, in registry order
//! ([`super::resources::RESOURCES`]): people first, then memberships (kept in a
//! [`Ledger`]).

use std::collections::HashMap;

use super::data::{self, hash3, Nation, PersonOverride};
use super::ledger::Ledger;
use super::membership;
use super::resources::{Churn, RESOURCES};

/// A Fenwick (binary indexed) tree of `u32` counts with prefix sums and order statistics.
#[derive(Debug, Default)]
pub(crate) struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    /// Builds the tree from per-position values in O(n).
    pub(crate) fn from_values(values: impl Iterator<Item = u32>) -> Self {
        let mut tree: Vec<u32> = values.collect();
        let n = tree.len();
        for i in 0..n {
            let parent = i | (i + 1);
            if parent < n {
                tree[parent] = tree[parent].wrapping_add(tree[i]);
            }
        }
        Fenwick { tree }
    }

    /// Number of positions.
    pub(crate) fn len(&self) -> usize {
        self.tree.len()
    }

    /// Appends a position holding `v`.
    pub(crate) fn push(&mut self, v: u32) {
        let i = self.tree.len();
        // Node i covers (i & (i + 1))..=i; its value is v plus the sum of the covered range
        // before i, which is prefix(i) - prefix(i & (i + 1)).
        let lower = i & (i + 1);
        let covered = self.prefix(i) - self.prefix(lower);
        self.tree.push(v.wrapping_add(covered as u32));
    }

    /// Adds `delta` at position `i`.
    pub(crate) fn add(&mut self, mut i: usize, delta: i64) {
        while i < self.tree.len() {
            self.tree[i] = (i64::from(self.tree[i]) + delta) as u32;
            i |= i + 1;
        }
    }

    /// Sum of positions `0..i`.
    pub(crate) fn prefix(&self, i: usize) -> u64 {
        let mut sum = 0u64;
        let mut i = i.min(self.tree.len());
        while i > 0 {
            sum += u64::from(self.tree[i - 1]);
            i &= i - 1;
        }
        sum
    }

    /// Smallest position `p` with `prefix(p + 1) > k`, or `len()` if the total is ≤ k.
    pub(crate) fn find(&self, mut k: u64) -> usize {
        let n = self.tree.len();
        let mut pos = 0usize;
        let mut step = n.checked_next_power_of_two().unwrap_or(n);
        while step > 0 {
            let next = pos + step;
            if next <= n && u64::from(self.tree[next - 1]) <= k {
                k -= u64::from(self.tree[next - 1]);
                pos = next;
            }
            step >>= 1;
        }
        pos
    }
}

/// What a mutation did, for the manifest.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MutationCounts {
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
}

/// The live state of the nation on top of the generated records.
#[derive(Debug)]
pub(crate) struct State {
    deleted: Vec<u64>,
    created: Vec<i64>,
    overrides: HashMap<u64, PersonOverride>,
    live: Fenwick,
    taggings: Fenwick,
    /// Taggings per tag (index `tag - 1`), kept in step with deletions and creations.
    pub tag_counts: Vec<u64>,
    clock: i64,
    event: u64,
    /// Mutations of people so far.
    pub counts: MutationCounts,
    /// Memberships.
    pub memberships: Ledger,
    /// Membership types.
    pub membership_types: Ledger,
}

impl State {
    /// The state of a freshly generated nation.
    pub(crate) fn new(nation: &Nation) -> Self {
        let n = nation.people as usize;
        let live = Fenwick::from_values(std::iter::repeat_n(1u32, n));
        let mut tag_counts = vec![0u64; nation.tag_count as usize];
        let taggings = Fenwick::from_values((0..nation.people).map(|slot| {
            let id = data::base_id(slot);
            let k = nation.tagging_count(id);
            for j in 0..k {
                tag_counts[(nation.tagging_tag(id, j) - 1) as usize] += 1;
            }
            k as u32
        }));
        State {
            deleted: vec![0; n.div_ceil(64)],
            created: Vec::new(),
            overrides: HashMap::new(),
            live,
            taggings,
            tag_counts,
            clock: nation.epoch,
            event: 0,
            counts: MutationCounts::default(),
            memberships: membership::ledger(nation),
            membership_types: membership::type_ledger(),
        }
    }

    /// The churn clock: the time of the latest mutation (the epoch before any).
    pub(crate) fn clock(&self) -> i64 {
        self.clock
    }

    /// Number of slots ever used (base plus created).
    pub(crate) fn slot_count(&self) -> u64 {
        self.live.len() as u64
    }

    /// Live people.
    pub(crate) fn people_count(&self) -> u64 {
        self.live.prefix(self.live.len())
    }

    /// Live taggings.
    pub(crate) fn tagging_total(&self) -> u64 {
        self.taggings.prefix(self.taggings.len())
    }

    /// Id of slot `slot`.
    pub(crate) fn slot_id(&self, nation: &Nation, slot: u64) -> u64 {
        if slot < nation.people {
            data::base_id(slot)
        } else {
            nation.max_base_id() + 1 + (slot - nation.people)
        }
    }

    /// Smallest slot whose id is ≥ `id` (may be `slot_count()`).
    pub(crate) fn slot_lower_bound(&self, nation: &Nation, id: u64) -> u64 {
        let max_base = nation.max_base_id();
        if id <= max_base {
            data::base_slot_lower_bound(id)
        } else {
            (nation.people + (id - max_base - 1)).min(self.slot_count())
        }
    }

    /// The slot of a live person `id`.
    pub(crate) fn live_slot(&self, nation: &Nation, id: u64) -> Option<u64> {
        let slot = self.slot_lower_bound(nation, id);
        (slot < self.slot_count() && self.slot_id(nation, slot) == id && self.is_live(slot))
            .then_some(slot)
    }

    /// Whether slot `slot` holds a live person.
    pub(crate) fn is_live(&self, slot: u64) -> bool {
        let (w, b) = ((slot / 64) as usize, slot % 64);
        self.deleted.get(w).is_none_or(|word| word & (1 << b) == 0) && slot < self.slot_count()
    }

    /// Live people with a slot below `slot`.
    pub(crate) fn live_before(&self, slot: u64) -> u64 {
        self.live.prefix(slot as usize)
    }

    /// Slot of the `k`-th live person (0-based).
    pub(crate) fn live_select(&self, k: u64) -> Option<u64> {
        let s = self.live.find(k);
        (s < self.live.len()).then_some(s as u64)
    }

    /// Taggings of people with a slot below `slot`.
    pub(crate) fn taggings_before(&self, slot: u64) -> u64 {
        self.taggings.prefix(slot as usize)
    }

    /// The slot holding the `k`-th tagging and the tagging's offset within it.
    pub(crate) fn tagging_select(&self, k: u64) -> Option<(u64, u64)> {
        let s = self.taggings.find(k);
        (s < self.taggings.len()).then(|| (s as u64, k - self.taggings.prefix(s)))
    }

    /// The override of person `id` at `slot` (creation time, version).
    pub(crate) fn person_override(&self, nation: &Nation, id: u64, slot: u64) -> PersonOverride {
        let mut ov = self.overrides.get(&id).copied().unwrap_or_default();
        if slot >= nation.people {
            ov.created_at = self.created.get((slot - nation.people) as usize).copied();
        }
        ov
    }

    fn tick(&mut self, nation: &Nation) -> i64 {
        self.clock += 1 + (hash3(nation.seed, 0x000C_10C4, self.clock as u64) % 20) as i64;
        self.clock
    }

    /// Creates one person; returns its id.
    pub(crate) fn create(&mut self, nation: &Nation) -> u64 {
        let now = self.tick(nation);
        let slot = self.slot_count();
        let id = self.slot_id(nation, slot);
        self.created.push(now);
        let k = nation.tagging_count(id);
        for j in 0..k {
            self.tag_counts[(nation.tagging_tag(id, j) - 1) as usize] += 1;
        }
        self.live.push(1);
        self.taggings.push(k as u32);
        if (slot / 64) as usize >= self.deleted.len() {
            self.deleted.push(0);
        }
        self.counts.created += 1;
        id
    }

    /// Deletes person `id` with their taggings; false if there is no such live person.
    pub(crate) fn delete(&mut self, nation: &Nation, id: u64) -> bool {
        let Some(slot) = self.live_slot(nation, id) else {
            return false;
        };
        self.tick(nation);
        self.deleted[(slot / 64) as usize] |= 1 << (slot % 64);
        self.live.add(slot as usize, -1);
        let k = nation.tagging_count(id);
        self.taggings.add(slot as usize, -(k as i64));
        for j in 0..k {
            let t = &mut self.tag_counts[(nation.tagging_tag(id, j) - 1) as usize];
            *t = t.saturating_sub(1);
        }
        self.overrides.remove(&id);
        self.counts.deleted += 1;
        true
    }

    /// Updates person `id` (a new version of some fields) and bumps `updated_at`; returns the
    /// new `updated_at`, or `None` if there is no such live person.
    pub(crate) fn touch(&mut self, nation: &Nation, id: u64) -> Option<i64> {
        self.live_slot(nation, id)?;
        let now = self.tick(nation);
        let ov = self.overrides.entry(id).or_default();
        ov.version += 1;
        ov.updated_at = Some(now);
        self.counts.updated += 1;
        Some(now)
    }

    /// A live slot chosen from `h`, probing forward; `None` when nobody is left.
    fn pick_live(&self, h: u64) -> Option<u64> {
        let total = self.people_count();
        if total == 0 {
            return None;
        }
        self.live_select(h % total)
    }

    /// Applies `events` churn events, never more than `limit` in all (0 = no limit). Each
    /// event runs the churn step of every resource that has one, in registry order.
    pub(crate) fn churn(&mut self, nation: &Nation, events: u64, limit: u64) {
        for _ in 0..events {
            if limit > 0 && self.event >= limit {
                break;
            }
            self.event += 1;
            let event = self.event;
            for def in RESOURCES {
                if let Churn::Step(step) = def.churn {
                    step(self, nation, event);
                }
            }
        }
    }
}

/// The people churn step: create, update or delete one person in a 3:4:3 seeded mix.
pub(crate) fn people_step(state: &mut State, nation: &Nation, event: u64) {
    let h = hash3(nation.seed, 0xC4_0211, event);
    match h % 10 {
        0..=2 => {
            state.create(nation);
        }
        3..=6 => {
            if let Some(slot) = state.pick_live(h >> 8) {
                let id = state.slot_id(nation, slot);
                state.touch(nation, id);
            }
        }
        _ => {
            if let Some(slot) = state.pick_live(h >> 8) {
                let id = state.slot_id(nation, slot);
                state.delete(nation, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenwick_prefix_find_push() {
        let mut f = Fenwick::from_values([1u32, 0, 3, 2, 0, 1].into_iter());
        assert_eq!(f.prefix(0), 0);
        assert_eq!(f.prefix(3), 4);
        assert_eq!(f.prefix(6), 7);
        assert_eq!(f.find(0), 0);
        assert_eq!(f.find(1), 2);
        assert_eq!(f.find(3), 2);
        assert_eq!(f.find(4), 3);
        assert_eq!(f.find(6), 5);
        assert_eq!(f.find(7), 6);
        for v in [4u32, 0, 2, 5, 1, 1, 1] {
            f.push(v);
        }
        let vals = [1u64, 0, 3, 2, 0, 1, 4, 0, 2, 5, 1, 1, 1];
        for i in 0..=vals.len() {
            assert_eq!(f.prefix(i), vals[..i].iter().sum::<u64>(), "prefix {i}");
        }
        f.add(2, -3);
        assert_eq!(f.prefix(13), vals.iter().sum::<u64>() - 3);
    }

    #[test]
    fn churn_keeps_counts_consistent() {
        let nation = Nation::new(9, 500, "EUR");
        let mut s = State::new(&nation);
        s.churn(&nation, 300, 0);
        let mut live = 0;
        let mut taggings = 0;
        for slot in 0..s.slot_count() {
            if s.is_live(slot) {
                live += 1;
                taggings += nation.tagging_count(s.slot_id(&nation, slot));
            }
        }
        assert_eq!(live, s.people_count());
        assert_eq!(taggings, s.tagging_total());
        assert_eq!(s.tag_counts.iter().sum::<u64>(), taggings);
        assert_eq!(live, 500 + s.counts.created - s.counts.deleted);
    }
}
