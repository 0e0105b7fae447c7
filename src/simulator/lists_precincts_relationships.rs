//! Generation of the party's lists and their members (`/api/v2/lists`, `/api/v2/lists/{id}/
//! signups`), its precincts (local branches, `/api/v2/precincts`), the relationships between
//! people (`/api/v2/relationships`) and the references people carry to them and to each other
//! (`precinct_id`, `recruiter_id`, `parent_id`, `author_id`), after the reference
//! (`nationbuilder-api.md` §8, the v2 OpenAPI copy's `list_*`, `precinct_*` and
//! `relationship_*` attributes).
//!
//! Proportions per 1,000 people (at least one of each in a small nation): 20 lists, each of 10
//! to 400 members (skewed towards small lists), 30 precincts and 150 relationships. Every value
//! is a pure function of `(seed, id)` from its own hash streams, so the people, tags, taggings,
//! donations and memberships of a seed are unchanged by this module (people's `precinct_id`
//! draws the same numbers as before, only over the nation's precincts).
//!
//! Quirks of the reference kept here: precincts have no timestamps at all; a list's
//! `signups_count` is the number of its members served; relationships name two signups, one of
//! which is an organisation for the `*-organization` types. References dangle where real life
//! has them: about 5 % of precincts' point people, 3 % of relationships and a few list authors
//! and recruiters are people deleted before the export (gap ids), and people deleted during the
//! run keep being named by relationships and precincts (NationBuilder documents no cascade). A
//! person deleted during the run leaves every list. Under churn, lists gain members (and the
//! list's `updated_at` moves).

use super::data::{self, base_id, Draw, Nation, Zone};
use super::list_churn::ListsState;
use super::locale;
use super::paging::View;
use super::state::State;

/// Hash stream of precincts.
const KIND_PRECINCT: u64 = 0xB0_0001;
/// Hash stream of relationships.
const KIND_RELATIONSHIP: u64 = 0xB0_0002;
/// Hash stream of lists.
const KIND_LIST: u64 = 0xB0_0003;
/// Hash stream of people's references (recruiter, parent, author).
const KIND_PERSON_REFS: u64 = 0xB0_0004;
/// Hash stream of the lists' churn.
const KIND_LIST_CHURN: u64 = 0xB0_0005;
const DAY: i64 = 86_400;

/// Number of precincts (ids `1..=n`): 30 per 1,000 people, at least one.
pub(crate) fn precinct_count(nation: &Nation) -> u64 {
    nation.precinct_count()
}

/// Number of relationships (ids `1..=n`): 150 per 1,000 people, at least one (none in a
/// nation without people: a relationship names two).
pub(crate) fn relationship_count(nation: &Nation) -> u64 {
    if nation.people == 0 {
        0
    } else {
        nation.per_thousand(150)
    }
}

/// Number of lists (ids `1..=n`): 20 per 1,000 people, at least one.
pub(crate) fn list_count(nation: &Nation) -> u64 {
    nation.per_thousand(20)
}

/// A base person (live at the start of the run) chosen from `h`; `None` in an empty nation.
fn base_person(nation: &Nation, h: u64) -> Option<u64> {
    (nation.people > 0).then(|| base_id(h % nation.people))
}

/// A person deleted before the export (a gap id) near the base person chosen from `h`.
fn gone_person(nation: &Nation, h: u64) -> Option<u64> {
    base_person(nation, h).map(|id| (id / 50 + 1) * 50)
}

/// One precinct (a local branch) in plain values. Precincts carry no timestamps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Precinct {
    pub code: String,
    pub name: String,
    pub point_person_id: Option<u64>,
}

/// The word a party uses for a local branch, by language.
fn branch_word(language: &str) -> &'static str {
    match language {
        "fr" => "Section",
        "de" => "Ortsverband",
        "pl" => "Koło",
        "es" => "Agrupación",
        "el" => "Τοπική Οργάνωση",
        "bg" => "Местна организация",
        "it" => "Circolo",
        _ => "Branch",
    }
}

/// A city of some locale, with that locale's language, chosen from `h`.
fn city(h: u64) -> (&'static str, &'static str) {
    let (_, loc) = &locale::LOCALES[(h % locale::LOCALES.len() as u64) as usize];
    let c = loc.cities[((h >> 16) % loc.cities.len() as u64) as usize];
    (c.0, loc.language)
}

/// Generates precinct `id` (`1..=precinct_count`); `None` outside that range.
pub(crate) fn precinct(nation: &Nation, id: u64) -> Option<Precinct> {
    if !(1..=precinct_count(nation)).contains(&id) {
        return None;
    }
    let d = Draw::new(nation.seed, KIND_PRECINCT, id);
    let (town, language) = city(d.u(1));
    let point_person_id = match d.below(2, 100) {
        0..=79 => base_person(nation, d.u(3)),
        80..=84 => gone_person(nation, d.u(3)),
        _ => None,
    };
    Some(Precinct {
        // The same code the v1 person's `precinct` object has always shown.
        code: format!("{:04}", 1000 + id * 7),
        name: format!("{} {town} {id}", branch_word(language)),
        point_person_id,
    })
}

/// The relationship types of the reference, with their share (percent) of relationships.
const TYPES: &[(&str, u64)] = &[
    ("spouse-spouse", 40),
    ("member-organization", 15),
    ("employee-employer", 8),
    ("friend-friend", 10),
    ("sibling-sibling", 8),
    ("child-parent", 7),
    ("relative-relative", 5),
    ("family_partner-family_partner", 4),
    ("board_member-organization", 3),
];

const TITLES: &[&str] = &[
    "Treasurer",
    "Volunteer coordinator",
    "Trésorière",
    "Vorsitzender",
    "Delegate",
];

/// One relationship in plain values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Relationship {
    pub first_signup_id: u64,
    pub second_signup_id: u64,
    pub relationship_type: &'static str,
    pub title: Option<&'static str>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// An organisation (a signup of type 1) among the base people, probing from `h`.
fn organization(nation: &Nation, h: u64) -> Option<u64> {
    (0..400)
        .filter_map(|i| base_person(nation, h.wrapping_add(i)))
        .find(|&id| data::is_organization(nation, id))
}

/// Generates relationship `id` (`1..=relationship_count`); `None` outside that range or in a
/// nation without people.
pub(crate) fn relationship(nation: &Nation, id: u64) -> Option<Relationship> {
    if !(1..=relationship_count(nation)).contains(&id) {
        return None;
    }
    let d = Draw::new(nation.seed, KIND_RELATIONSHIP, id);
    let mut roll = d.below(1, 100);
    let mut kind = TYPES[0].0;
    for (name, share) in TYPES {
        if roll < *share {
            kind = name;
            break;
        }
        roll -= share;
    }
    let slot = d.below(2, nation.people);
    let first = base_id(slot);
    let to_organization = kind.ends_with("-organization") || kind == "employee-employer";
    let second = if to_organization {
        organization(nation, d.u(3))
    } else if matches!(kind, "spouse-spouse" | "family_partner-family_partner") {
        // A household: the next person in id order, often at the same address in real data.
        base_person(nation, slot + 1 + d.below(3, 3))
    } else {
        base_person(nation, d.u(3))
    };
    let (kind, second) = match second {
        Some(s) if s != first => (kind, s),
        // No organisation in a tiny nation, or the person themself: a friendship instead.
        _ => ("friend-friend", base_id((slot + 1) % nation.people.max(2))),
    };
    // About 3 % name a person deleted before the export.
    let second = if d.pct(4, 3) {
        gone_person(nation, d.u(5)).unwrap_or(second)
    } else {
        second
    };
    let title = if to_organization && d.pct(6, 60) {
        d.pick(7, TITLES)
    } else {
        None
    };
    let joined = nation.base_created_at(slot);
    let created_at = joined + d.below(8, (nation.epoch - joined).max(1) as u64) as i64;
    let updated_at = if d.pct(9, 70) {
        created_at
    } else {
        created_at + d.below(10, (nation.epoch - created_at).max(1) as u64) as i64
    };
    Some(Relationship {
        first_signup_id: first,
        second_signup_id: second,
        relationship_type: kind,
        title,
        created_at,
        updated_at,
        zone: if d.pct(11, 50) {
            Zone::Utc
        } else {
            Zone::Local
        },
    })
}

const LIST_TOPICS: &[(&str, &str)] = &[
    ("Door knockers", "door_knockers"),
    ("Phone bank volunteers", "phone_bank"),
    ("Congress delegates", "congress_delegates"),
    ("Lapsed members to call", "lapsed_members"),
    ("Donors – year-end appeal", "year_end_donors"),
    ("Leaflet round", "leaflet_round"),
    ("Youth wing contacts", "youth_wing"),
    ("Press & media", "press_media"),
    ("Bénévoles réunion publique", "benevoles_reunion"),
    ("Wahlkampfhelfer", "wahlkampfhelfer"),
];

const LIST_DESCRIPTIONS: &[&str] = &[
    "Everyone who signed up at the stall",
    "To call before the general assembly",
    "Split off for the regional campaign",
    "",
];

/// One list in plain values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct List {
    pub name: String,
    pub slug: String,
    pub description: Option<&'static str>,
    pub author_id: Option<u64>,
    pub signup_id: Option<u64>,
    pub parent_id: Option<u64>,
    pub is_sharing_writable: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
    /// Generated members: `count` base slots `start, start + step, …`.
    count: u64,
    start: u64,
    step: u64,
}

/// Generates list `id` (`1..=list_count`) as it stands in `lists`; `None` outside that range.
pub(crate) fn list(nation: &Nation, lists: &ListsState, id: u64) -> Option<List> {
    if !(1..=list_count(nation)).contains(&id) {
        return None;
    }
    let d = Draw::new(nation.seed, KIND_LIST, id);
    let (topic, slug) = LIST_TOPICS[d.below(1, LIST_TOPICS.len() as u64) as usize];
    let (town, _) = city(d.u(2));
    // 10..=400 members, skewed towards small lists (mean about 110).
    let u = d.below(3, 1000) as f64 / 1000.0;
    let count = (10 + (390.0 * u * u * u) as u64).min(nation.people);
    let step = (nation.people / count.max(1)).max(1);
    let start = d.below(4, step);
    let created_at = nation.epoch - data::HISTORY / 2
        + d.below(5, (data::HISTORY / 2) as u64 - DAY as u64) as i64;
    let base_updated = if d.pct(6, 50) {
        created_at
    } else {
        created_at + d.below(7, (nation.epoch - created_at).max(1) as u64) as i64
    };
    let author_id = match d.below(8, 100) {
        0..=3 => gone_person(nation, d.u(9)),
        4..=9 => None,
        _ => base_person(nation, d.below(9, 5)),
    };
    Some(List {
        name: format!("{topic} {town}"),
        slug: format!("{slug}_{id}"),
        description: d.pick(10, LIST_DESCRIPTIONS).filter(|_| d.pct(11, 60)),
        author_id,
        signup_id: if d.pct(12, 30) {
            base_person(nation, d.u(13))
        } else {
            None
        },
        parent_id: (id > 1 && d.pct(14, 10)).then(|| 1 + d.below(15, id - 1)),
        is_sharing_writable: d.pct(16, 20),
        created_at,
        updated_at: lists
            .updated_at(id)
            .map_or(base_updated, |t| base_updated.max(*t)),
        zone: if d.pct(17, 50) {
            Zone::Utc
        } else {
            Zone::Local
        },
        count,
        start,
        step,
    })
}

/// The live members of list `id`, ascending by person id (generated members still live, and
/// members added during the run). Empty for an unknown list.
pub(crate) fn members(view: View<'_>, id: u64) -> Vec<u64> {
    let Some(l) = list(view.nation, &view.state.lists, id) else {
        return Vec::new();
    };
    let live = |p: &u64| view.state.live_slot(view.nation, *p).is_some();
    let mut out: Vec<u64> = (0..l.count)
        .map(|i| l.start + i * l.step)
        .filter(|slot| *slot < view.nation.people)
        .map(base_id)
        .filter(live)
        .collect();
    if let Some(added) = view.state.lists.added_to(id) {
        out.extend(added.iter().copied().filter(live));
        out.sort_unstable();
        out.dedup();
    }
    out
}

/// Live list members of every list.
pub(crate) fn member_total(view: View<'_>) -> u64 {
    (1..=list_count(view.nation))
        .map(|id| members(view, id).len() as u64)
        .sum()
}

/// The churn step of lists: in one event out of three, a live person joins a list (the
/// list's `updated_at` moves to the churn clock). Draws from its own stream and does not
/// advance the clock.
pub(crate) fn lists_step(state: &mut State, nation: &Nation, event: u64) {
    let h = data::hash3(nation.seed, KIND_LIST_CHURN, event);
    if !h.is_multiple_of(3) {
        return;
    }
    let total = state.people_count();
    let Some(slot) = (total > 0)
        .then(|| state.live_select((h >> 8) % total))
        .flatten()
    else {
        return;
    };
    let person = state.slot_id(nation, slot);
    let list = 1 + (h >> 40) % list_count(nation);
    let now = state.clock();
    state.lists.add(list, person, now);
}

/// A person's references to other people, drawn from their own stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PersonRefs {
    /// Who recruited them (an earlier person; now and then one deleted before the export).
    pub recruiter_id: Option<u64>,
    /// Their parent in the nation's hierarchy (a point person).
    pub parent_id: Option<u64>,
    /// Who entered them (one of a handful of staff people).
    pub author_id: Option<u64>,
}

/// The references of person `id`.
pub(crate) fn person_refs(nation: &Nation, id: u64) -> PersonRefs {
    let d = Draw::new(nation.seed, KIND_PERSON_REFS, id);
    let earlier = |field: u64| {
        let below = data::base_slot_lower_bound(id.min(nation.max_base_id())).min(nation.people);
        (below > 0).then(|| base_id(d.below(field, below)))
    };
    let recruiter_id = if d.pct(1, 12) {
        if d.pct(2, 5) {
            gone_person(nation, d.u(3))
        } else {
            earlier(4)
        }
    } else {
        None
    };
    PersonRefs {
        recruiter_id,
        parent_id: if d.pct(5, 5) { earlier(6) } else { None },
        author_id: if d.pct(7, 40) {
            base_person(nation, d.below(8, 5)).filter(|a| *a != id)
        } else {
            None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_and_determinism() {
        let nation = Nation::new(42, 5000, "EUR");
        assert_eq!(precinct_count(&nation), 150);
        assert_eq!(relationship_count(&nation), 750);
        assert_eq!(list_count(&nation), 100);
        let small = Nation::new(42, 10, "EUR");
        assert_eq!(
            (
                precinct_count(&small),
                relationship_count(&small),
                list_count(&small)
            ),
            (1, 1, 1)
        );
        let state = State::new(&nation);
        let view = View {
            nation: &nation,
            state: &state,
        };
        let again = Nation::new(42, 5000, "EUR");
        for id in 1..=20 {
            assert_eq!(precinct(&nation, id), precinct(&again, id));
            assert_eq!(relationship(&nation, id), relationship(&again, id));
            assert_eq!(
                list(&nation, &state.lists, id),
                list(&again, &state.lists, id)
            );
        }
        assert_eq!(precinct(&nation, 151), None);
        assert_eq!(relationship(&nation, 0), None);
        for id in 1..=list_count(&nation) {
            let m = members(view, id);
            assert!((10..=400).contains(&m.len()), "list {id}: {}", m.len());
            assert!(m.windows(2).all(|w| w[0] < w[1]));
            assert!(m.iter().all(|p| state.live_slot(&nation, *p).is_some()));
        }
        let total = member_total(view);
        assert!((5_000..30_000).contains(&total), "{total}");
    }

    #[test]
    fn quirks_and_references() {
        use std::collections::BTreeSet;

        let nation = Nation::new(7, 3000, "EUR");
        let mut types = BTreeSet::new();
        let mut gone = 0;
        let mut organizations = 0;
        for id in 1..=relationship_count(&nation) {
            let r = relationship(&nation, id).unwrap();
            types.insert(r.relationship_type);
            assert_ne!(r.first_signup_id, r.second_signup_id);
            assert!(r.created_at <= r.updated_at && r.updated_at < nation.epoch);
            gone += u64::from(r.second_signup_id.is_multiple_of(50));
            if r.relationship_type == "member-organization" {
                organizations += 1;
                assert!(
                    r.second_signup_id.is_multiple_of(50)
                        || data::is_organization(&nation, r.second_signup_id)
                );
            }
        }
        assert!(types.contains("spouse-spouse") && organizations > 0);
        assert!(gone > 0);
        let points: Vec<_> = (1..=precinct_count(&nation))
            .map(|id| precinct(&nation, id).unwrap().point_person_id)
            .collect();
        assert!(points.iter().any(Option::is_none));
        assert!(points.iter().flatten().any(|p| p.is_multiple_of(50)));
        let refs: Vec<_> = (1..=300).map(|id| person_refs(&nation, id)).collect();
        assert!(refs.iter().any(|r| r.recruiter_id.is_some()));
        assert!(refs.iter().any(|r| r.parent_id.is_some()));
        assert!(refs.iter().any(|r| r.author_id.is_some()));
        for (i, r) in refs.iter().enumerate() {
            if let Some(p) = r.parent_id {
                assert!(p < i as u64 + 1);
            }
        }
    }

    #[test]
    fn lists_gain_members_under_churn() {
        let nation = Nation::new(3, 400, "EUR");
        let mut state = State::new(&nation);
        let before = {
            let view = View {
                nation: &nation,
                state: &state,
            };
            member_total(view)
        };
        super::super::resources::run_churn(&mut state, &nation, 300, 0);
        assert!(state.lists.member_counts.created > 0);
        let view = View {
            nation: &nation,
            state: &state,
        };
        let after = member_total(view);
        assert_ne!(before, after);
        let (changed, at) = state.lists.first_updated().unwrap();
        let l = list(&nation, &state.lists, changed).unwrap();
        assert!(l.updated_at >= at);
        assert!(l.updated_at >= nation.epoch);
    }
}
