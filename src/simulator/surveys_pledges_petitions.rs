//! Surveys, tracking codes, pledges and petitions (group D of the full exit), after the
//! reference (`full-exit.md` §1.2 and the v2 OpenAPI copy's `survey_*`, `donation_tracking_code_*`,
//! `pledge_*`, `petition_*` attributes): `/api/v2/surveys`, `survey_questions`,
//! `survey_question_possible_responses`, `survey_question_responses`,
//! `donation_tracking_codes`, `pledges`, `petitions` and `petition_signatures`.
//!
//! Per 1,000 people (at least one of each in a small nation): 2 surveys of 4 questions each (a
//! top issue and a support level as multiple choice, a vote intention as yes/no, a free-text
//! comment) with 12 possible responses per survey, 400 question responses (a third of them
//! taken on the doorstep by a canvasser, `author_id`; the others on a survey page, `page_id`),
//! 10 tracking codes, 50 pledges (60 % of them honoured by the first donation of their
//! person, which names the pledge through `pledge_id`), 3 petitions and 600 signatures.
//!
//! Quirks of the API the simulator reproduces: petitions carry no name and no timestamps (the
//! name is their page's); a question's `tag_list` is one comma-separated string; a response
//! repeats its question's `question_format`; a skipped question (`is_skipped`) has neither a
//! choice nor content; about 3 % of responses, pledges and signatures belong to a person
//! deleted before the export (a gap id), which NationBuilder does not cascade. Page and
//! broadcaster ids are drawn from the ranges those collections have per 1,000 people (30 pages,
//! 3 broadcasters); whether such a page is served is up to the pages unit.
//!
//! This module generates the records; `surveys_pledges_petitions_v2` writes them, filters them and
//! churns. Question responses and signatures are ledgers: churn adds new ones (people keep answering
//! and signing during an export). Everything else is fixed for a seed. Every value is a pure
//! function of `(seed, id)` from this module's own hash streams, so nothing generated before
//! it changes.

use super::data::{self, base_id, Draw, Nation, Zone};
use super::ledger::Ledger;

const KIND_SURVEY: u64 = 0xD0_0001;
const KIND_QUESTION: u64 = 0xD0_0002;
pub(crate) const KIND_RESPONSE: u64 = 0xD0_0003;
const KIND_CODE: u64 = 0xD0_0004;
const KIND_PLEDGE: u64 = 0xD0_0005;
const KIND_PETITION: u64 = 0xD0_0006;
pub(crate) const KIND_SIGNATURE: u64 = 0xD0_0007;
const KIND_DONATION_LINK: u64 = 0xD0_0008;
const DAY: i64 = 86_400;

/// Number of surveys.
pub(crate) fn survey_count(nation: &Nation) -> u64 {
    nation.per_thousand(2)
}

/// Number of survey questions (4 per survey).
pub(crate) fn question_count(nation: &Nation) -> u64 {
    survey_count(nation) * QUESTIONS.len() as u64
}

/// Number of possible responses (12 per survey).
pub(crate) fn choice_count(nation: &Nation) -> u64 {
    survey_count(nation) * CHOICES_PER_SURVEY
}

/// Number of tracking codes.
pub(crate) fn code_count(nation: &Nation) -> u64 {
    nation.per_thousand(10)
}

/// Number of pledges.
pub(crate) fn pledge_count(nation: &Nation) -> u64 {
    nation.per_thousand(50)
}

/// Number of petitions.
pub(crate) fn petition_count(nation: &Nation) -> u64 {
    nation.per_thousand(3)
}

/// A fresh ledger of question responses (400 per 1,000 people).
pub(crate) fn response_ledger(nation: &Nation) -> Ledger {
    Ledger::new(nation.per_thousand(400), &[])
}

/// A fresh ledger of petition signatures (600 per 1,000 people).
pub(crate) fn signature_ledger(nation: &Nation) -> Ledger {
    Ledger::new(nation.per_thousand(600), &[])
}

/// A page id in the range the pages collection has (30 per 1,000 people).
fn page_id(nation: &Nation, d: Draw, field: u64) -> u64 {
    1 + d.below(field, nation.per_thousand(30))
}

/// A person of the base nation spread over slots: the person of slot `i * people / n`, or,
/// for 3 %, a person deleted before the export (the gap id after it).
fn spread_person(nation: &Nation, d: Draw, field: u64, i: u64, n: u64) -> u64 {
    let slot = (i * nation.people / n.max(1)).min(nation.people.saturating_sub(1));
    if d.pct(field, 3) {
        (base_id(slot) / 50 + 1) * 50
    } else {
        base_id(slot)
    }
}

/// A live-or-not base person drawn at random (canvassers, recruiters, authors): one of the
/// first fiftieth of the people, the party's activists.
fn activist(nation: &Nation, d: Draw, field: u64) -> u64 {
    base_id(d.below(field, (nation.people / 50).max(1)))
}

/// `updated_at` after `created_at`: equal for `same` percent, otherwise up to the epoch.
fn updated(nation: &Nation, d: Draw, field: u64, created: i64, same: u64) -> i64 {
    if d.pct(field, same) {
        created
    } else {
        created + d.below(field + 1, (nation.epoch - created).max(1) as u64) as i64
    }
}

// ------------------------------------------------------------------------------------------
// Surveys

const SURVEY_NAMES: &[&str] = &[
    "Doorstep canvass 2024",
    "Enquête thématique — printemps",
    "Kommunalwahl 2025: Wählerbefragung",
    "Issues survey (online)",
    "Sondaggio soci 2023",
];

/// One question template: format, content, intro, slug stem, tag list, choices with their
/// tag lists.
pub(crate) type Question = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    &'static [(&'static str, Option<&'static str>)],
);

pub(crate) const QUESTIONS: [Question; 4] = [
    (
        "multiple_choice",
        "Which issue matters most to you?",
        Some("Ask before anything else; one answer only."),
        "top_issue",
        Some("canvassed,issues"),
        &[
            ("Cost of living", Some("issue-cost-of-living")),
            ("Climate and energy", Some("issue-climate")),
            ("Health care", None),
            ("Housing", Some("issue-housing")),
            ("Migration", None),
        ],
    ),
    (
        "yes_no",
        "Will you vote for us at the next election?",
        None,
        "vote_intent",
        None,
        &[("Yes", Some("supporter,voter-yes")), ("No", None)],
    ),
    (
        "multiple_choice",
        "How likely are you to support us?",
        Some("1 = strong support … 5 = strong opposition"),
        "support",
        None,
        &[
            ("1 – Strong support", Some("support-1")),
            ("2 – Lean support", Some("support-2")),
            ("3 – Undecided", None),
            ("4 – Lean against", None),
            ("5 – Strong against", Some("do-not-canvass")),
        ],
    ),
    (
        "text",
        "Anything else you would like to tell us?",
        None,
        "comments",
        None,
        &[],
    ),
];

/// Possible responses per survey (5 + 2 + 5 + 0).
const CHOICES_PER_SURVEY: u64 = 12;

/// Offset of question `j`'s first choice within its survey's choices.
fn choice_offset(j: usize) -> u64 {
    QUESTIONS[..j].iter().map(|q| q.5.len() as u64).sum()
}

/// One survey.
pub(crate) struct Survey {
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// Survey `id`; `None` outside `1..=survey_count`.
pub(crate) fn survey(nation: &Nation, id: u64) -> Option<Survey> {
    if !(1..=survey_count(nation)).contains(&id) {
        return None;
    }
    let d = Draw::new(nation.seed, KIND_SURVEY, id);
    let i = (id - 1) as usize;
    let name = match SURVEY_NAMES.get(i) {
        Some(n) => (*n).to_string(),
        None => format!("{} #{id}", SURVEY_NAMES[i % SURVEY_NAMES.len()]),
    };
    // Surveys are from the last three years.
    let created_at = nation.epoch - 3 * 365 * DAY + d.below(1, 2 * 365 * DAY as u64) as i64;
    Some(Survey {
        name,
        created_at,
        updated_at: updated(nation, d, 2, created_at, 40),
        zone: d.zone(4, 50),
    })
}

/// One survey question.
pub(crate) struct SurveyQuestion {
    pub survey_id: u64,
    /// Index of the template in its survey (also its `position`).
    pub index: usize,
    pub status: &'static str,
    pub is_randomized: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// Question `id`; `None` outside `1..=question_count`.
pub(crate) fn question(nation: &Nation, id: u64) -> Option<SurveyQuestion> {
    if !(1..=question_count(nation)).contains(&id) {
        return None;
    }
    let per = QUESTIONS.len() as u64;
    let survey_id = (id - 1) / per + 1;
    let s = survey(nation, survey_id)?;
    let d = Draw::new(nation.seed, KIND_QUESTION, id);
    let created_at = s.created_at + d.below(1, 3600) as i64;
    let index = ((id - 1) % per) as usize;
    Some(SurveyQuestion {
        survey_id,
        index,
        status: if d.pct(3, 90) {
            "published"
        } else {
            "archived"
        },
        // Only multiple-choice questions shuffle their choices.
        is_randomized: QUESTIONS[index].0 == "multiple_choice" && index == 0,
        created_at,
        updated_at: updated(nation, d, 4, created_at, 50).max(s.created_at),
        zone: s.zone,
    })
}

/// One possible response: its question, the index of its choice, timestamps.
pub(crate) struct Choice {
    pub question_id: u64,
    pub index: usize,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// Possible response `id`; `None` outside `1..=choice_count`.
pub(crate) fn choice(nation: &Nation, id: u64) -> Option<Choice> {
    if !(1..=choice_count(nation)).contains(&id) {
        return None;
    }
    let survey_id = (id - 1) / CHOICES_PER_SURVEY + 1;
    let within = (id - 1) % CHOICES_PER_SURVEY;
    let j = (0..QUESTIONS.len())
        .rfind(|&j| choice_offset(j) <= within && !QUESTIONS[j].5.is_empty())?;
    let question_id = (survey_id - 1) * QUESTIONS.len() as u64 + j as u64 + 1;
    let q = question(nation, question_id)?;
    Some(Choice {
        question_id,
        index: (within - choice_offset(j)) as usize,
        created_at: q.created_at,
        updated_at: q.updated_at,
        zone: q.zone,
    })
}

/// The id of choice `index` of question `question_id`.
fn choice_id(question_id: u64, index: usize) -> u64 {
    let per = QUESTIONS.len() as u64;
    let survey_id = (question_id - 1) / per + 1;
    let j = ((question_id - 1) % per) as usize;
    (survey_id - 1) * CHOICES_PER_SURVEY + choice_offset(j) + index as u64 + 1
}

/// Free-text answers: some say more than the question asked (health, religion, union), which
/// is why the exporter keeps answers with the special-category data.
const TEXT_ANSWERS: &[&str] = &[
    "Please fix the bus line to the hospital",
    "Je suis infirmière, les fermetures de lits m'inquiètent",
    "Als Gewerkschaftsmitglied erwarte ich mehr für Pflegekräfte",
    "Ik ben moslim en voel me door niemand vertegenwoordigd",
    "Call me after 6pm, I care for my disabled son",
    "",
    "More cycle lanes!",
];

/// One question response.
pub(crate) struct Response {
    pub signup_id: u64,
    pub author_id: Option<u64>,
    pub question_id: u64,
    pub choice_id: Option<u64>,
    pub content: Option<&'static str>,
    pub is_skipped: bool,
    pub page_id: Option<u64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// Question response `id` as it stands in `ledger` (the caller checks it is live).
pub(crate) fn response(nation: &Nation, ledger: &Ledger, id: u64) -> Response {
    let d = Draw::new(nation.seed, KIND_RESPONSE, id);
    let question_id = 1 + d.below(1, question_count(nation));
    let j = ((question_id - 1) % QUESTIONS.len() as u64) as usize;
    let (signup_id, created_at) = match ledger.created(id) {
        Some(c) => (c.owner, c.at),
        None => {
            let base = response_ledger(nation).max_id();
            let q = question(nation, question_id);
            let from = q.map_or(nation.epoch - 365 * DAY, |q| q.created_at);
            let at = from + d.below(3, (nation.epoch - from).max(1) as u64) as i64;
            (spread_person(nation, d, 2, id - 1, base), at)
        }
    };
    let is_skipped = d.pct(4, 4);
    let options = QUESTIONS[j].5;
    let (choice, content) = match (is_skipped, options.is_empty()) {
        (true, _) => (None, None),
        (false, false) => (
            Some(choice_id(
                question_id,
                d.below(5, options.len() as u64) as usize,
            )),
            None,
        ),
        (false, true) => (None, d.pick(5, TEXT_ANSWERS)),
    };
    // A third on the doorstep (a canvasser is the author), the rest on the survey's page.
    let doorstep = d.pct(6, 35);
    Response {
        signup_id,
        author_id: doorstep.then(|| activist(nation, d, 7)),
        question_id,
        choice_id: choice,
        content,
        is_skipped,
        page_id: (!doorstep).then(|| page_id(nation, d, 8)),
        created_at,
        updated_at: if ledger.created(id).is_some() {
            created_at
        } else {
            updated(nation, d, 9, created_at, 85)
        },
        zone: d.zone(11, 50),
    }
}

// ------------------------------------------------------------------------------------------
// Tracking codes and pledges

const CODES: &[(&str, &str)] = &[
    ("Spring appeal", "spring-appeal"),
    ("Summer fête 2023", "summer_fete_2023"),
    ("Congress fundraiser", "congress_dinner"),
    ("Newsletter — December", "newsletter_dec"),
    ("Facebook ads EU election", "fb_euro_2024"),
    ("Street stall", "street_stall"),
    ("Legacy import (old CRM)", "legacy_crm"),
    ("Door-to-door", "door2door"),
    ("Crowdfunding Wahlkampf", "crowd_wahlkampf"),
    ("Gala de fin d'année", "gala_fin_annee"),
];

/// One tracking code.
pub(crate) struct TrackingCode {
    pub name: String,
    pub slug: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// Tracking code `id`; `None` outside `1..=code_count`.
pub(crate) fn tracking_code(nation: &Nation, id: u64) -> Option<TrackingCode> {
    if !(1..=code_count(nation)).contains(&id) {
        return None;
    }
    let d = Draw::new(nation.seed, KIND_CODE, id);
    let i = (id - 1) as usize;
    let (name, slug) = match CODES.get(i) {
        Some((n, s)) => ((*n).to_string(), (*s).to_string()),
        None => {
            let (n, s) = CODES[i % CODES.len()];
            (format!("{n} {id}"), format!("{s}_{id}"))
        }
    };
    let created_at =
        nation.epoch - data::HISTORY + (id as i64 - 1) * 40 * DAY + d.below(1, DAY as u64) as i64;
    let created_at = created_at.min(nation.epoch - DAY);
    Some(TrackingCode {
        name,
        slug,
        created_at,
        updated_at: updated(nation, d, 2, created_at, 70),
        zone: d.zone(4, 50),
    })
}

/// The tracking code of donation `id`, for the donations that have one (the donation writers
/// of both APIs ask; v2 gives its id, v1 its slug).
pub(crate) fn donation_code(nation: &Nation, id: u64) -> u64 {
    1 + data::hash3(nation.seed, KIND_DONATION_LINK, id) % code_count(nation)
}

/// The slug of tracking code `id`.
pub(crate) fn code_slug(nation: &Nation, id: u64) -> Option<String> {
    tracking_code(nation, id).map(|c| c.slug)
}

/// The page a donation was made on: for a quarter of donations.
pub(crate) fn donation_page(nation: &Nation, id: u64) -> Option<u64> {
    let d = Draw::new(nation.seed, KIND_DONATION_LINK, id);
    d.pct(1, 25).then(|| page_id(nation, d, 2))
}

/// The slot pledge `id` is laid out on.
fn pledge_slot(nation: &Nation, id: u64) -> u64 {
    ((id - 1) * nation.people / pledge_count(nation)).min(nation.people.saturating_sub(1))
}

/// Whether pledge `id` is honoured by the first donation of its slot.
fn pledge_honoured(nation: &Nation, id: u64) -> Option<u64> {
    let d = Draw::new(nation.seed, KIND_PLEDGE, id);
    let range = nation.donations_of_slot(pledge_slot(nation, id));
    (d.pct(9, 60) && !range.is_empty()).then_some(range.start)
}

/// The pledge donation `id` honours, if any: the first donation of a slot that holds a pledge
/// honoured by it.
pub(crate) fn donation_pledge(nation: &Nation, id: u64) -> Option<u64> {
    let dc = nation.donation_count.max(1);
    if id == 0 || id > dc || nation.people == 0 {
        return None;
    }
    let slot = (id - 1) * nation.people / dc;
    let pc = pledge_count(nation);
    // Pledge k sits on slot (k - 1) * people / pc: the candidates around slot * pc / people.
    let k0 = slot * pc / nation.people;
    (k0.saturating_sub(1)..=k0 + 2)
        .filter(|k| (1..=pc).contains(k))
        .find(|&k| pledge_slot(nation, k) == slot && pledge_honoured(nation, k) == Some(id))
}

/// One pledge.
pub(crate) struct Pledge {
    pub signup_id: u64,
    pub author_id: Option<u64>,
    pub recruiter_id: Option<u64>,
    pub page_id: Option<u64>,
    pub code_id: Option<u64>,
    pub amount_in_cents: i64,
    pub amount_left_in_cents: i64,
    pub is_private: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

const PLEDGE_AMOUNTS: &[i64] = &[1000, 2500, 5000, 10_000, 20_000, 50_000];

/// Pledge `id`; `None` outside `1..=pledge_count`.
pub(crate) fn pledge(nation: &Nation, id: u64) -> Option<Pledge> {
    if !(1..=pledge_count(nation)).contains(&id) {
        return None;
    }
    let d = Draw::new(nation.seed, KIND_PLEDGE, id);
    let slot = pledge_slot(nation, id);
    let amount = PLEDGE_AMOUNTS[d.below(1, PLEDGE_AMOUNTS.len() as u64) as usize];
    let honoured = pledge_honoured(nation, id).map(|did| data::Donation::generate(nation, did));
    let paid = honoured
        .as_ref()
        .filter(|don| don.succeeded_at.is_some() && don.canceled_at.is_none())
        .map_or(0, |don| don.amount_in_cents);
    // Made before the donation that honours it, or some time in the person's history.
    let joined = nation.base_created_at(slot);
    let created_at = match &honoured {
        Some(don) => don.created_at - d.below(2, 60) as i64 * DAY,
        None => joined + d.below(2, (nation.epoch - joined).max(1) as u64) as i64,
    }
    .min(nation.epoch - DAY);
    let updated_at = honoured
        .as_ref()
        .map_or(created_at, |don| don.updated_at.max(created_at));
    Some(Pledge {
        signup_id: if d.pct(3, 3) {
            (base_id(slot) / 50 + 1) * 50
        } else {
            base_id(slot)
        },
        author_id: d.pct(4, 40).then(|| activist(nation, d, 5)),
        recruiter_id: d.pct(6, 20).then(|| activist(nation, d, 7)),
        page_id: d.pct(8, 50).then(|| page_id(nation, d, 10)),
        code_id: d.pct(11, 40).then(|| 1 + d.below(12, code_count(nation))),
        amount_in_cents: amount,
        amount_left_in_cents: (amount - paid).max(0),
        is_private: d.pct(13, 10),
        created_at,
        updated_at,
        zone: d.zone(14, 50),
    })
}

// ------------------------------------------------------------------------------------------
// Petitions

type PetitionRow = (&'static str, &'static str, &'static str, i64);

const PETITIONS: &[PetitionRow] = &[
    (
        "Save our night trains",
        "<p>We call on the government to keep the night trains running between our cities.</p>",
        "signature",
        5000,
    ),
    (
        "Non à la fermeture de la maternité",
        "<p>Nous demandons le maintien de la maternité de l'hôpital public.</p>",
        "signature",
        2000,
    ),
    (
        "Mietendeckel jetzt!",
        "<p>Wir fordern eine Obergrenze für Mieten in unserer Stadt.</p>",
        "Unterschrift",
        10_000,
    ),
    (
        "Clean air around schools",
        "<p>No idling engines within 200 m of a school gate.</p>",
        "endorsement",
        1000,
    ),
];

/// One petition (no timestamps: the API gives none).
pub(crate) struct Petition {
    pub page_id: u64,
    pub intro: &'static str,
    pub content: &'static str,
    pub signature_name: &'static str,
    pub goal: i64,
    pub additional_signatures_count: i64,
    pub is_auto_response: bool,
    pub broadcaster_id: Option<u64>,
    pub gather_volunteers: bool,
    pub form_address: Option<&'static str>,
    pub form_phone: Option<&'static str>,
}

const FORM: &[Option<&str>] = &[Some("required"), Some("optional"), Some("hidden"), None];

/// Petition `id`; `None` outside `1..=petition_count`.
pub(crate) fn petition(nation: &Nation, id: u64) -> Option<Petition> {
    if !(1..=petition_count(nation)).contains(&id) {
        return None;
    }
    let d = Draw::new(nation.seed, KIND_PETITION, id);
    let (intro, content, signature_name, goal) = PETITIONS[(id - 1) as usize % PETITIONS.len()];
    let is_auto_response = d.pct(1, 70);
    Some(Petition {
        page_id: page_id(nation, d, 2),
        intro,
        content,
        signature_name,
        goal,
        additional_signatures_count: if d.pct(3, 30) {
            d.below(4, 500) as i64
        } else {
            0
        },
        is_auto_response,
        broadcaster_id: is_auto_response.then(|| 1 + d.below(5, nation.per_thousand(3))),
        gather_volunteers: d.pct(6, 50),
        form_address: FORM[d.below(7, FORM.len() as u64) as usize],
        form_phone: FORM[d.below(8, FORM.len() as u64) as usize],
    })
}

const COMMENTS: &[&str] = &[
    "I agree",
    "Mon fils est né dans cette maternité",
    "As a wheelchair user I depend on this",
    "Endlich!",
    "",
];

/// One petition signature.
pub(crate) struct Signature {
    pub petition_id: u64,
    pub signup_id: u64,
    pub recruiter_id: Option<u64>,
    pub comment: Option<&'static str>,
    pub is_private: bool,
    pub page_id: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// Signature `id` as it stands in `ledger` (the caller checks it is live).
pub(crate) fn signature(nation: &Nation, ledger: &Ledger, id: u64) -> Signature {
    let d = Draw::new(nation.seed, KIND_SIGNATURE, id);
    let petition_id = 1 + d.below(1, petition_count(nation));
    let page = petition(nation, petition_id).map_or(1, |p| p.page_id);
    let (signup_id, created_at) = match ledger.created(id) {
        Some(c) => (c.owner, c.at),
        None => {
            let base = signature_ledger(nation).max_id();
            let from = nation.epoch - 2 * 365 * DAY;
            (
                spread_person(nation, d, 2, id - 1, base),
                from + d.below(3, 2 * 365 * DAY as u64 - DAY as u64) as i64,
            )
        }
    };
    Signature {
        petition_id,
        signup_id,
        recruiter_id: d.pct(4, 15).then(|| activist(nation, d, 5)),
        comment: d
            .pct(6, 30)
            .then(|| COMMENTS[d.below(7, COMMENTS.len() as u64) as usize]),
        is_private: d.pct(8, 20),
        page_id: page,
        created_at,
        updated_at: if ledger.created(id).is_some() {
            created_at
        } else {
            updated(nation, d, 9, created_at, 90)
        },
        zone: d.zone(11, 50),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_per_thousand_and_at_least_one() {
        let n = Nation::new(42, 5000, "EUR");
        assert_eq!(survey_count(&n), 10);
        assert_eq!(question_count(&n), 40);
        assert_eq!(choice_count(&n), 120);
        assert_eq!(code_count(&n), 50);
        assert_eq!(pledge_count(&n), 250);
        assert_eq!(petition_count(&n), 15);
        assert_eq!(response_ledger(&n).live_count(), 2000);
        assert_eq!(signature_ledger(&n).live_count(), 3000);
        let small = Nation::new(1, 2, "EUR");
        for c in [
            survey_count(&small),
            code_count(&small),
            pledge_count(&small),
            petition_count(&small),
            response_ledger(&small).live_count(),
            signature_ledger(&small).live_count(),
        ] {
            assert_eq!(c, 1);
        }
    }

    #[test]
    fn references_point_at_generated_records() {
        let n = Nation::new(7, 2000, "EUR");
        let ledger = response_ledger(&n);
        let mut skipped = 0;
        let mut texts = 0;
        let mut doorstep = 0;
        for id in 1..=ledger.max_id() {
            let r = response(&n, &ledger, id);
            let q = question(&n, r.question_id).unwrap();
            let format = QUESTIONS[q.index].0;
            match (r.choice_id, r.content) {
                (Some(c), None) => assert_eq!(choice(&n, c).unwrap().question_id, r.question_id),
                (None, Some(_)) => {
                    assert_eq!(format, "text");
                    texts += 1;
                }
                (None, None) => {
                    assert!(r.is_skipped || format == "text");
                    skipped += u64::from(r.is_skipped);
                }
                (Some(_), Some(_)) => panic!("choice and content"),
            }
            assert!(r.author_id.is_some() != r.page_id.is_some());
            doorstep += u64::from(r.author_id.is_some());
            assert!(r.created_at <= r.updated_at && r.updated_at < n.epoch);
        }
        assert!(skipped > 0 && texts > 0 && doorstep > 150, "{doorstep}");
        for id in 1..=choice_count(&n) {
            let c = choice(&n, id).unwrap();
            let q = question(&n, c.question_id).unwrap();
            assert_eq!(choice_id(c.question_id, c.index), id);
            assert!(c.index < QUESTIONS[q.index].5.len());
        }
        let sigs = signature_ledger(&n);
        for id in 1..=sigs.max_id() {
            let s = signature(&n, &sigs, id);
            assert!(petition(&n, s.petition_id).is_some());
        }
    }

    #[test]
    fn pledges_and_donations_agree() {
        let n = Nation::new(3, 3000, "EUR");
        let mut honoured = 0;
        for k in 1..=pledge_count(&n) {
            let p = pledge(&n, k).unwrap();
            assert!(p.amount_left_in_cents <= p.amount_in_cents);
            assert!(p.code_id.is_none_or(|c| tracking_code(&n, c).is_some()));
            if let Some(did) = pledge_honoured(&n, k) {
                assert_eq!(donation_pledge(&n, did), Some(k));
                honoured += 1;
            }
        }
        let linked = (1..=n.donation_count)
            .filter(|&d| donation_pledge(&n, d).is_some())
            .count();
        assert_eq!(linked, honoured);
        assert!(honoured > 50, "{honoured}");
        assert!(tracking_code(&n, code_count(&n)).is_some());
        assert!(tracking_code(&n, code_count(&n) + 1).is_none());
        assert!(code_slug(&n, donation_code(&n, 5)).is_some());
    }
}
