//! Churn: how the nation changes while pages are served (`--churn`). One churn step per
//! resource that changes on its own — people (created, updated or deleted in a 3:4:3 seeded
//! mix) and memberships (status changes, new memberships of live people, deletions) — each
//! drawing from its own hash stream of `(seed, event)`, so the same request sequence always
//! gives the same nation.
//!
//! The steps mutate the live state (module `state`); the resource registry (module
//! `resources`) names each resource's step and runs them once per churn event, in registry
//! order: people first, then memberships.

use super::contacts_paths::Journey;
use super::data::{self, hash3, Nation};
use super::state::State;

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

/// One churn step for memberships, run after the people step of the same event at the
/// current clock: nothing (40 %), a status change (30 %), a new membership for a live person
/// (20 %) or a deleted membership (10 %). It draws from its own hash stream and does not
/// advance the clock, so people churn is exactly as before.
pub(crate) fn memberships_step(state: &mut State, nation: &Nation, event: u64) {
    let h = data::hash3(nation.seed, 0x4D_E4B5, event);
    let now = state.clock();
    match h % 10 {
        0..=3 => {}
        4..=6 => {
            let total = state.memberships.live_count();
            if let Some(id) = (total > 0)
                .then(|| state.memberships.select((h >> 8) % total))
                .flatten()
            {
                state.memberships.touch(id, now);
            }
        }
        7..=8 => {
            let total = state.people_count();
            if total > 0 {
                if let Some(slot) = state.live_select((h >> 8) % total) {
                    let person = state.slot_id(nation, slot);
                    state.memberships.create(now, person);
                }
            }
        }
        _ => {
            let total = state.memberships.live_count();
            if let Some(id) = (total > 0)
                .then(|| state.memberships.select((h >> 8) % total))
                .flatten()
            {
                state.memberships.delete(id);
            }
        }
    }
}

/// One churn step for event RSVPs, run after the people step of the same event at the current
/// clock and from its own hash stream: nothing (50 %), a cancellation (25 %: an update that
/// sets `canceled`), a new RSVP of a person generated before the run to a random event
/// (20 %), or a deleted RSVP (5 %).
pub(crate) fn rsvps_step(state: &mut State, nation: &Nation, event: u64) {
    let h = data::hash3(nation.seed, 0xE7_C4A2, event);
    let now = state.clock();
    let pick = |state: &State| {
        let total = state.rsvps.live_count();
        (total > 0)
            .then(|| state.rsvps.select((h >> 8) % total))
            .flatten()
    };
    match h % 20 {
        0..=9 => {}
        10..=14 => {
            if let Some(id) = pick(state) {
                state.rsvps.touch(id, now);
            }
        }
        15..=18 => {
            if nation.people > 0 {
                let person = data::base_id((h >> 8) % nation.people);
                state.rsvps.create(now, person);
            }
        }
        _ => {
            if let Some(id) = pick(state) {
                state.rsvps.delete(id);
            }
        }
    }
}

/// The contacts churn step, after the people step of the same event: a canvasser logs a
/// contact with a live person half the time. Own hash stream; the clock is not advanced.
pub(crate) fn contacts_step(state: &mut State, nation: &Nation, event: u64) {
    let h = hash3(nation.seed, 0xC0_47AD, event);
    if h % 2 == 1 {
        return;
    }
    let now = state.clock();
    if let Some(slot) = state.pick_live(h >> 8) {
        let person = state.slot_id(nation, slot);
        state.contacts_paths.contacts.create(now, person);
    }
}

/// The journeys churn step: moves an active journey one step on (or completes it at its last
/// step) 30 % of the time, touching its `updated_at` and adding a history row. Own hash stream;
/// the clock is not advanced.
pub(crate) fn journeys_step(state: &mut State, nation: &Nation, event: u64) {
    let h = hash3(nation.seed, 0xC0_10E8, event);
    if h % 10 >= 3 {
        return;
    }
    let now = state.clock();
    let l = &state.contacts_paths;
    let total = l.journeys.live_count();
    if total == 0 {
        return;
    }
    // Probe a few journeys for an active one.
    for probe in 0..4 {
        let Some(id) = l.journeys.select(((h >> 8) + probe) % total) else {
            return;
        };
        if Journey::generate(nation, l, id).status == "active" {
            let l = &mut state.contacts_paths;
            l.journeys.touch(id, now);
            l.histories.create(now, id);
            return;
        }
    }
}
