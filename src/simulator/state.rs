//! The mutable part of the nation, on top of the generated records: people created, updated
//! and deleted while pages are being served (`--churn`, and the `/__simulator/people` admin
//! routes), and the ledgers of memberships and membership types.
//!
//! The state stays small whatever the nation's size: a bitmap of deleted slots, the creation
//! times of people created during the run, a map of updated ids to their version, and two
//! Fenwick trees (live people and taggings per slot) so that offset paging — `page[number]`
//! and the v1 legacy envelope — can turn an offset into a record in O(log n) even for 2 M
//! people. Mutations take their timestamps from a virtual clock that starts at the nation's
//! epoch, so bodies stay reproducible for a given request sequence. This module holds the
//! state and its mutations; under `--churn`, which mutation happens when is decided by the
//! churn steps (module `churn`).

use std::collections::HashMap;

use super::contacts_paths;
use super::data::{self, hash3, Nation, PersonOverride};
use super::fenwick::Fenwick;
use super::ledger::{Ledger, MutationCounts};
use super::list_churn::ListsState;
use super::outreach;
use super::surveys_pledges_petitions;
use super::{events, membership};

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
    /// Contacts, path steps, journeys and their history (module `contacts_paths`).
    pub contacts_paths: contacts_paths::Ledgers,
    /// Event RSVPs.
    pub rsvps: Ledger,
    /// Automation enrollments.
    pub automation_enrollments: Ledger,
    /// Lists' members added and lists changed during the run.
    pub lists: ListsState,
    /// Survey question responses.
    pub survey_question_responses: Ledger,
    /// Petition signatures.
    pub petition_signatures: Ledger,
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
            contacts_paths: contacts_paths::Ledgers::new(nation),
            rsvps: events::rsvp_ledger(nation),
            automation_enrollments: outreach::enrollment_ledger(nation),
            lists: ListsState::default(),
            survey_question_responses: surveys_pledges_petitions::response_ledger(nation),
            petition_signatures: surveys_pledges_petitions::signature_ledger(nation),
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
    pub(crate) fn pick_live(&self, h: u64) -> Option<u64> {
        let total = self.people_count();
        if total == 0 {
            return None;
        }
        self.live_select(h % total)
    }

    /// Starts the next churn event and returns its number (from 1), or `None` once `limit`
    /// events have run in all (0 = no limit).
    pub(crate) fn next_event(&mut self, limit: u64) -> Option<u64> {
        if limit > 0 && self.event >= limit {
            return None;
        }
        self.event += 1;
        Some(self.event)
    }
}
