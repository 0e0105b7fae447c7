//! Generation of the canvass log and the volunteer pipelines, after the reference (`full-exit.md`
//! §8 "contacts" and "paths…", the v2 OpenAPI copy's `contact_*` and `path_*` attributes):
//! contacts (`/api/v2/contacts`), paths (`/api/v2/paths`), their steps (`/api/v2/path_steps`),
//! the named status changes that end journeys (`/api/v2/path_journey_status_changes`), people's
//! journeys along paths (`/api/v2/path_journeys`) and the journeys' log (`/api/v2/path_histories`).
//!
//! Proportions per 1,000 people (issue 12), scaled to the nation and at least one of each:
//! 2,000 contacts, 5 paths of 3 to 8 steps with two status changes each (one completing, one
//! abandoning), 300 journeys with one history row per step reached plus one for a completion or
//! abandonment. Quirks of the API kept here: a contact has `created_at` and no `updated_at`; about
//! 0.5 % of contacts and 1 % of journeys belong to a person deleted before the export (a gap id,
//! NationBuilder documents no cascade); a blast contact names one of the nation's broadcasters (ids
//! `1..=3 per 1,000 people`, as [`super::outreach`] generates them).
//!
//! Churn adds contacts (a canvasser logs a door knock on a live person) and moves active journeys
//! one step on (or completes them at their last step): the journey's `updated_at` and
//! `last_moved_at` become the churn clock and a history row is added. Paths, steps and status
//! changes never change. Every value is a pure function of `(seed, id)` and the ledgers, from hash
//! streams of its own, so the other resources of a seed are unchanged by this module.

use super::data::{self, base_id, Draw, Nation, Zone};
use super::ledger::Ledger;

const KIND_CONTACT: u64 = 0xC0_47AC;
const KIND_PATH: u64 = 0xC0_9A7B;
const KIND_STEP: u64 = 0xC0_57E9;
const KIND_STATUS_CHANGE: u64 = 0xC0_5C4A;
const KIND_JOURNEY: u64 = 0xC0_10E7;
const KIND_HISTORY: u64 = 0xC0_415C;
const DAY: i64 = 86_400;

/// Contacts generated from the seed: 2,000 per 1,000 people.
pub(crate) fn contact_base_count(n: &Nation) -> u64 {
    (n.people * 2).max(1)
}

/// Paths: 5 per 1,000 people.
pub(crate) fn path_count(n: &Nation) -> u64 {
    n.per_thousand(5)
}

/// Status changes: two per path (completing, abandoning).
pub(crate) fn status_change_count(n: &Nation) -> u64 {
    2 * path_count(n)
}

/// Journeys generated from the seed: 300 per 1,000 people.
pub(crate) fn journey_base_count(n: &Nation) -> u64 {
    n.per_thousand(300)
}

/// Broadcasters blast contacts name: 3 per 1,000 people (not served yet).
fn broadcaster_count(n: &Nation) -> u64 {
    n.per_thousand(3)
}

/// Steps of path `path`: 3 to 8.
fn steps_in(n: &Nation, path: u64) -> u64 {
    3 + Draw::new(n.seed, KIND_PATH, path).below(1, 6)
}

/// A staff member or seasoned volunteer (the first 2 % of the base people): canvassers and
/// point people.
fn staff(n: &Nation, h: u64) -> u64 {
    base_id(h % (n.people / 50).max(1))
}

/// A base person drawn from `h`, or (one time in `gap_in`) a person deleted before the export.
fn someone(n: &Nation, h: u64, gap_in: u64) -> u64 {
    let slot = (h >> 8) % n.people.max(1);
    if h.is_multiple_of(gap_in) {
        (base_id(slot) / 50 + 1) * 50
    } else {
        base_id(slot)
    }
}

/// The ledgers of the collections that change or are laid out by prefix sums.
#[derive(Debug)]
pub(crate) struct Ledgers {
    /// Contacts (created by churn).
    pub contacts: Ledger,
    /// Path steps (static; a ledger for the id layout).
    pub steps: Ledger,
    /// `step_prefix[p]`: steps of paths `1..=p`.
    step_prefix: Vec<u64>,
    /// Journeys (updated by churn).
    pub journeys: Ledger,
    /// History rows (created by churn, owner = journey).
    pub histories: Ledger,
    /// `hist_prefix[j]`: generated history rows of journeys `1..=j`.
    hist_prefix: Vec<u64>,
}

impl Ledgers {
    /// The ledgers of a freshly generated nation.
    pub(crate) fn new(n: &Nation) -> Ledgers {
        let mut step_prefix = vec![0];
        for p in 1..=path_count(n) {
            step_prefix.push(step_prefix[p as usize - 1] + steps_in(n, p));
        }
        let mut hist_prefix = vec![0];
        for j in 1..=journey_base_count(n) {
            let b = BaseJourney::generate(n, j);
            hist_prefix.push(hist_prefix[j as usize - 1] + b.history_count());
        }
        Ledgers {
            contacts: Ledger::new(contact_base_count(n), &[]),
            steps: Ledger::new(*step_prefix.last().unwrap_or(&0), &[]),
            step_prefix,
            journeys: Ledger::new(journey_base_count(n), &[]),
            histories: Ledger::new(*hist_prefix.last().unwrap_or(&0), &[]),
            hist_prefix,
        }
    }

    /// Id of step `idx` (0-based) of `path`.
    fn step_id(&self, path: u64, idx: u64) -> u64 {
        self.step_prefix[path as usize - 1] + idx + 1
    }

    /// The path and 0-based index of step `id`.
    fn step_of(&self, id: u64) -> (u64, u64) {
        let p = self.step_prefix.partition_point(|&x| x < id) as u64;
        (p, id - self.step_prefix[p as usize - 1] - 1)
    }

    /// The journey and 0-based index of generated history row `id`.
    fn history_of(&self, id: u64) -> (u64, u64) {
        let j = self.hist_prefix.partition_point(|&x| x < id) as u64;
        (j, id - self.hist_prefix[j as usize - 1] - 1)
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts

const METHODS: &[(&str, u64)] = &[
    ("door_knock", 30),
    ("phone_call", 25),
    ("email", 10),
    ("email_blast", 8),
    ("face_to_face", 7),
    ("meeting", 5),
    ("text_1to1", 4),
    ("text_blast", 3),
    ("snail_mail", 2),
    ("video_call", 2),
    ("facebook", 1),
    ("delivery", 1),
    ("other", 2),
];

const STATUSES: &[(&str, u64)] = &[
    ("answered", 30),
    ("no_answer", 22),
    ("meaningful_interaction", 14),
    ("left_message", 10),
    ("not_interested", 8),
    ("send_information", 5),
    ("refused", 4),
    ("bad_info", 3),
    ("inaccessible", 2),
    ("other", 2),
];

/// Notes canvassers write; some reveal health, religion or political opinion, which is why the
/// exporter files them as special-category data.
const NOTES: &[&str] = &[
    "Supports the tram extension; worried about rents in the old town.",
    "Asked about reduced dues for students.",
    "Recovering from hip surgery, call back after Easter.",
    "Wants a postal vote application sent.",
    "Practising Catholic, concerned about the end-of-life bill.",
    "Former member of another party, open to joining us.",
    "Not at home, spoke to her partner.",
    "Interested in joining the canvass team on Saturdays.",
    "Complained about the tone of the last leaflet.",
    "Will put a poster in the window.",
    "Möchte Infomaterial auf Deutsch.",
    "Souhaite rejoindre le groupe local.",
    "Union rep at the hospital; knows many nurses.",
    "Undecided between us and the Greens.",
    "  Call back after 18:00  ",
    "",
];

fn weighted(d: Draw, field: u64, items: &[(&'static str, u64)]) -> &'static str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut r = d.below(field, total);
    for (v, w) in items {
        if r < *w {
            return v;
        }
        r -= w;
    }
    items[0].0
}

/// One contact in plain values.
#[derive(Debug)]
pub(crate) struct Contact {
    pub signup_id: u64,
    pub author_id: Option<u64>,
    pub broadcaster_id: Option<u64>,
    pub method: &'static str,
    pub status: Option<&'static str>,
    pub content: Option<&'static str>,
    pub path: Option<(u64, u64)>,
    pub pc_in_cents: i64,
    pub created_at: i64,
    pub zone: Zone,
}

impl Contact {
    /// Generates contact `id` as it stands in the ledgers (the caller checks it is live).
    pub(crate) fn generate(n: &Nation, l: &Ledgers, id: u64) -> Contact {
        let d = Draw::new(n.seed, KIND_CONTACT, id);
        let (signup_id, created_at) = match l.contacts.created(id) {
            Some(c) => (c.owner, c.at),
            None => {
                let span = (data::HISTORY - DAY) as u64;
                let at = n.epoch - data::HISTORY
                    + ((id - 1) * span / contact_base_count(n)) as i64
                    + d.below(2, DAY as u64 / 2) as i64;
                (someone(n, d.u(1), 200), at.min(n.epoch - 60))
            }
        };
        let method = weighted(d, 3, METHODS);
        let blast = matches!(method, "email_blast" | "text_blast");
        let path = d.pct(9, 10).then(|| {
            let p = 1 + d.below(10, path_count(n));
            (p, l.step_id(p, d.below(11, steps_in(n, p))))
        });
        Contact {
            signup_id,
            author_id: (!blast && d.pct(4, 92)).then(|| staff(n, d.u(5))),
            broadcaster_id: blast.then(|| 1 + d.below(6, broadcaster_count(n))),
            method,
            status: (!blast || d.pct(12, 10)).then(|| weighted(d, 7, STATUSES)),
            content: (!blast && d.pct(8, 55))
                .then(|| NOTES[d.below(13, NOTES.len() as u64) as usize]),
            path,
            pc_in_cents: if d.pct(14, 70) {
                0
            } else {
                [100, 250, 500, 1000][d.below(15, 4) as usize]
            },
            created_at,
            zone: d.zone(16, 50),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Paths, steps, status changes

const PATH_NAMES: &[&str] = &[
    "New member onboarding",
    "Volunteer onboarding",
    "Candidate vetting",
    "Donor stewardship",
    "Branch officer training",
    "Canvass team leaders",
    "Jeunes / Youth wing welcome",
    "Lapsed members win-back",
];

const STEP_NAMES: &[&str] = &[
    "Welcome call",
    "Send welcome pack",
    "Invite to branch meeting",
    "Attend a first meeting",
    "Training session",
    "First canvass shift",
    "Buddy check-in",
    "Take on a role",
];

const INTERVALS: &[&str] = &[
    "none",
    "same_day",
    "three_day",
    "one_week",
    "two_week",
    "thirty_day",
    "three_month",
];

const COMPLETING: &[&str] = &[
    "Finished onboarding",
    "Completed all steps",
    "Became an active volunteer",
];

const ABANDONING: &[&str] = &[
    "Decided to quit",
    "Moved away",
    "No answer after three calls",
    "Left the party",
];

/// One path in plain values.
#[derive(Debug)]
pub(crate) struct Path {
    pub name: String,
    pub default_point_person_id: Option<u64>,
    pub due_date_is_enabled: bool,
    pub interval: Option<&'static str>,
    pub value_amount_is_enabled: bool,
    pub default_value_amount: Option<&'static str>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

impl Path {
    /// Generates path `id` (`1..=path_count`).
    pub(crate) fn generate(n: &Nation, id: u64) -> Path {
        let d = Draw::new(n.seed, KIND_PATH, id);
        let base = PATH_NAMES[(id - 1) as usize % PATH_NAMES.len()];
        let round = (id - 1) / PATH_NAMES.len() as u64;
        let name = if round == 0 {
            base.to_string()
        } else {
            format!("{base} {}", round + 1)
        };
        let created_at = n.epoch - data::HISTORY + d.below(2, (data::HISTORY / 2) as u64) as i64;
        let updated_at = if d.pct(3, 40) {
            created_at
        } else {
            created_at + d.below(4, (n.epoch - created_at - DAY).max(1) as u64) as i64
        };
        let due = d.pct(5, 60);
        let value = d.pct(6, 30);
        Path {
            name,
            default_point_person_id: d.pct(7, 70).then(|| staff(n, d.u(8))),
            due_date_is_enabled: due,
            interval: due.then(|| INTERVALS[d.below(9, INTERVALS.len() as u64) as usize]),
            value_amount_is_enabled: value,
            default_value_amount: value
                .then(|| ["1.00", "3.50", "5.00", "10.00"][d.below(10, 4) as usize]),
            created_at,
            updated_at,
            zone: d.zone(11, 50),
        }
    }
}

/// One path step in plain values.
#[derive(Debug)]
pub(crate) struct Step {
    pub path_id: u64,
    pub position: u64,
    pub name: &'static str,
    pub default_point_person_id: Option<u64>,
    pub interval: Option<&'static str>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

impl Step {
    /// Generates step `id` (the caller checks it exists).
    pub(crate) fn generate(n: &Nation, l: &Ledgers, id: u64) -> Step {
        let (path_id, idx) = l.step_of(id);
        let p = Path::generate(n, path_id);
        let d = Draw::new(n.seed, KIND_STEP, id);
        let created_at = p.created_at + (idx as i64 + 1) * 600;
        Step {
            path_id,
            position: idx + 1,
            name: STEP_NAMES[idx as usize % STEP_NAMES.len()],
            default_point_person_id: d.pct(1, 50).then(|| staff(n, d.u(2))),
            interval: p
                .due_date_is_enabled
                .then(|| INTERVALS[d.below(3, INTERVALS.len() as u64) as usize]),
            created_at,
            updated_at: created_at.max(p.updated_at),
            zone: p.zone,
        }
    }
}

/// One status change in plain values.
#[derive(Debug)]
pub(crate) struct StatusChange {
    pub path_id: u64,
    pub name: &'static str,
    pub target_status: &'static str,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// The status change that completes (`true`) or abandons journeys of `path`.
fn status_change_id(path: u64, completes: bool) -> u64 {
    if completes {
        2 * path - 1
    } else {
        2 * path
    }
}

impl StatusChange {
    /// Generates status change `id` (`1..=status_change_count`).
    pub(crate) fn generate(n: &Nation, id: u64) -> StatusChange {
        let path_id = id.div_ceil(2);
        let p = Path::generate(n, path_id);
        let d = Draw::new(n.seed, KIND_STATUS_CHANGE, id);
        let completes = id % 2 == 1;
        let (names, target_status) = if completes {
            (COMPLETING, "completed")
        } else {
            (ABANDONING, "abandoned")
        };
        let created_at = p.created_at + 3_600 + d.below(1, 3_600) as i64;
        Self {
            path_id,
            name: names[d.below(2, names.len() as u64) as usize],
            target_status,
            created_at,
            updated_at: if d.pct(3, 70) {
                created_at
            } else {
                created_at + d.below(4, (n.epoch - created_at - DAY).max(1) as u64) as i64
            },
            zone: p.zone,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Journeys and their history

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Completed,
    Abandoned,
}

/// A generated journey before churn.
#[derive(Debug)]
struct BaseJourney {
    path: u64,
    steps: u64,
    /// 0-based step reached.
    step: u64,
    end: Option<End>,
    signup_id: u64,
    created_at: i64,
    interval: i64,
}

const DESCRIPTIONS: &[&str] = &[
    "Added by API",
    "Signed up at the spring congress",
    "Referred by the local branch",
    "From the volunteer form",
];

impl BaseJourney {
    fn generate(n: &Nation, id: u64) -> BaseJourney {
        let d = Draw::new(n.seed, KIND_JOURNEY, id);
        let path = 1 + d.below(1, path_count(n));
        let steps = steps_in(n, path);
        let (mut step, end) = match d.below(3, 100) {
            0..=69 => (d.below(2, steps), None),
            70..=84 => (steps - 1, Some(End::Completed)),
            _ => (d.below(2, steps), Some(End::Abandoned)),
        };
        if end.is_none() && step == steps - 1 {
            step -= 1;
        }
        let room = (data::HISTORY / 2 - 200 * DAY) as u64;
        BaseJourney {
            path,
            steps,
            step,
            end,
            signup_id: someone(n, d.u(4), 100),
            created_at: n.epoch - data::HISTORY / 2 + d.below(5, room) as i64,
            interval: DAY * (1 + d.below(6, 20) as i64),
        }
    }

    /// Generated history rows: one per step reached, plus the ending.
    fn history_count(&self) -> u64 {
        self.step + 1 + u64::from(self.end.is_some())
    }

    fn moved_at(&self, k: u64) -> i64 {
        self.created_at + k as i64 * self.interval
    }

    fn ended_at(&self) -> Option<i64> {
        self.end.map(|_| self.moved_at(self.step + 1))
    }
}

/// One journey in plain values, churn applied.
#[derive(Debug)]
pub(crate) struct Journey {
    pub signup_id: u64,
    pub path_id: u64,
    pub current_step_id: u64,
    pub point_person_id: Option<u64>,
    pub current_step_point_person_id: Option<u64>,
    pub description: Option<&'static str>,
    pub due_date: Option<i64>,
    pub current_step_due_date: Option<i64>,
    pub value_amount: Option<&'static str>,
    pub status: &'static str,
    pub ended_at: Option<i64>,
    pub last_moved_at: Option<i64>,
    pub status_change_id: Option<u64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// What move `i` (from 1) after generation does to a journey at step `step` of `steps`: the
/// step it reaches, or `None` when it completes the journey.
fn move_to(step: u64, steps: u64, i: u64) -> Option<u64> {
    (step + i < steps).then_some(step + i)
}

impl Journey {
    /// Generates journey `id` as it stands in the ledgers (the caller checks it is live).
    pub(crate) fn generate(n: &Nation, l: &Ledgers, id: u64) -> Journey {
        let b = BaseJourney::generate(n, id);
        let d = Draw::new(n.seed, KIND_JOURNEY, id);
        let p = Path::generate(n, b.path);
        let ov = l.journeys.override_of(id);
        let moves = u64::from(ov.version);
        let (mut step, mut end, mut ended_at) = (b.step, b.end, b.ended_at());
        let mut last_moved_at = (b.step > 0).then(|| b.moved_at(b.step));
        let mut updated_at = ended_at.or(last_moved_at).unwrap_or(b.created_at);
        if moves > 0 {
            let at = ov.updated_at.unwrap_or(updated_at);
            match move_to(b.step, b.steps, moves) {
                Some(s) => step = s,
                None => {
                    step = b.steps - 1;
                    end = Some(End::Completed);
                    ended_at = Some(at);
                }
            }
            last_moved_at = Some(at);
            updated_at = at;
        }
        let step_def = Step::generate(n, l, l.step_id(b.path, step));
        let point_person_id = d.pct(7, 80).then(|| staff(n, d.u(8)));
        let moved = last_moved_at.unwrap_or(b.created_at);
        Journey {
            signup_id: b.signup_id,
            path_id: b.path,
            current_step_id: l.step_id(b.path, step),
            point_person_id,
            current_step_point_person_id: step_def.default_point_person_id.or(point_person_id),
            description: d
                .pct(9, 40)
                .then(|| DESCRIPTIONS[d.below(10, DESCRIPTIONS.len() as u64) as usize]),
            due_date: p.due_date_is_enabled.then(|| b.created_at + 90 * DAY),
            current_step_due_date: (p.due_date_is_enabled && end.is_none())
                .then(|| moved + 14 * DAY),
            value_amount: p.default_value_amount,
            status: match end {
                None => "active",
                Some(End::Completed) => "completed",
                Some(End::Abandoned) => "abandoned",
            },
            ended_at,
            last_moved_at,
            status_change_id: end.map(|e| status_change_id(b.path, e == End::Completed)),
            created_at: b.created_at,
            updated_at,
            zone: d.zone(11, 50),
        }
    }
}

/// One history row in plain values.
#[derive(Debug)]
pub(crate) struct History {
    pub journey_id: u64,
    pub category: &'static str,
    pub step_id: u64,
    pub status_change_id: Option<u64>,
    pub point_person_id: Option<u64>,
    pub current_step_point_person_id: Option<u64>,
    pub recruiter_id: Option<u64>,
    pub created_at: i64,
    pub zone: Zone,
}

impl History {
    /// Generates history row `id` (the caller checks it is live).
    pub(crate) fn generate(n: &Nation, l: &Ledgers, id: u64) -> History {
        let d = Draw::new(n.seed, KIND_HISTORY, id);
        let (journey_id, step, ending, at) = match l.histories.created(id) {
            Some(c) => {
                let b = BaseJourney::generate(n, c.owner);
                let i = 1 + l
                    .histories
                    .created_by(c.owner)
                    .take_while(|&h| h < id)
                    .count() as u64;
                match move_to(b.step, b.steps, i) {
                    Some(s) => (c.owner, (b.path, s), None, c.at),
                    None => (c.owner, (b.path, b.steps - 1), Some(End::Completed), c.at),
                }
            }
            None => {
                let (j, k) = l.history_of(id);
                let b = BaseJourney::generate(n, j);
                if k <= b.step {
                    (j, (b.path, k), None, b.moved_at(k))
                } else {
                    (
                        j,
                        (b.path, b.step),
                        b.end,
                        b.ended_at().unwrap_or(b.created_at),
                    )
                }
            }
        };
        let jd = Draw::new(n.seed, KIND_JOURNEY, journey_id);
        let point_person_id = jd.pct(7, 80).then(|| staff(n, jd.u(8)));
        let step_id = l.step_id(step.0, step.1);
        History {
            journey_id,
            category: match ending {
                None => "step_change",
                Some(End::Completed) => "completion",
                Some(End::Abandoned) => "abandonment",
            },
            step_id,
            status_change_id: ending.map(|e| status_change_id(step.0, e == End::Completed)),
            point_person_id,
            current_step_point_person_id: Step::generate(n, l, step_id)
                .default_point_person_id
                .or(point_person_id),
            recruiter_id: d.pct(1, 15).then(|| staff(n, d.u(2))),
            created_at: at,
            zone: jd.zone(11, 50),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_follow_the_issue() {
        let n = Nation::new(42, 5_000, "EUR");
        let l = Ledgers::new(&n);
        assert_eq!(l.contacts.live_count(), 10_000);
        assert_eq!(path_count(&n), 25);
        assert_eq!(status_change_count(&n), 50);
        assert_eq!(l.journeys.live_count(), 1_500);
        let steps = l.steps.live_count();
        assert!((75..=200).contains(&steps), "{steps}");
        for p in 1..=path_count(&n) {
            assert!((3..=8).contains(&steps_in(&n, p)));
        }
        // Every journey has a history row per step reached, plus its ending.
        let h = l.histories.live_count();
        assert!((1_500..=1_500 * 9).contains(&h), "{h}");
        // A small nation keeps one of each.
        let tiny = Nation::new(1, 10, "EUR");
        let t = Ledgers::new(&tiny);
        assert!(path_count(&tiny) >= 1 && t.journeys.live_count() >= 1);
        assert!(t.steps.live_count() >= 3 && status_change_count(&tiny) == 2);
    }

    #[test]
    fn generation_is_deterministic_and_references_are_real() {
        let n = Nation::new(7, 2_000, "EUR");
        let ledgers = Ledgers::new(&n);
        let l = &ledgers;
        let (mut notes, mut gaps, mut blasts) = (0, 0, 0);
        for id in 1..=l.contacts.max_id() {
            let c = Contact::generate(&n, l, id);
            let again = Contact::generate(&n, l, id);
            assert_eq!(format!("{c:?}"), format!("{again:?}"));
            notes += u64::from(c.content.is_some());
            gaps += u64::from(c.signup_id.is_multiple_of(50));
            if let Some((p, step)) = c.path {
                assert_eq!(Step::generate(&n, l, step).path_id, p);
            }
            if c.broadcaster_id.is_some() {
                blasts += 1;
                assert!(c.author_id.is_none() && c.content.is_none());
            }
            assert!(c.created_at < n.epoch);
        }
        assert!((1_500..=2_600).contains(&notes), "{notes}");
        assert!((5..=60).contains(&gaps), "{gaps}");
        assert!(blasts > 100, "{blasts}");
        for id in 1..=l.journeys.max_id() {
            let j = Journey::generate(&n, l, id);
            let step = Step::generate(&n, l, j.current_step_id);
            assert_eq!(step.path_id, j.path_id);
            if let Some(sc) = j.status_change_id {
                assert_eq!(StatusChange::generate(&n, sc).path_id, j.path_id);
            }
            assert_eq!(j.ended_at.is_some(), j.status != "active");
            assert!(j.updated_at < n.epoch && j.updated_at >= j.created_at);
        }
        for id in 1..=l.histories.max_id() {
            let h = History::generate(&n, l, id);
            let j = Journey::generate(&n, l, h.journey_id);
            assert_eq!(Step::generate(&n, l, h.step_id).path_id, j.path_id);
            assert!(h.created_at >= j.created_at && h.created_at <= j.updated_at);
        }
    }
}
