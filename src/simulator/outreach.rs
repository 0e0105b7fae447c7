//! Generation of the nation's outreach machinery (issue 12, item 9), after the v2 OpenAPI
//! copy's `broadcaster_*`, `mailing_*`, `automation_*`, `automation_enrollment_*` and
//! `import_*` attribute lists:
//!
//! - **broadcasters** (`/api/v2/broadcasters`): who sends — 3 per 1,000 people, each with the
//!   signup that stands for it and point people (ids of real base people);
//! - **mailings** (`/api/v2/mailings`): 40 per 1,000 people, metadata only (the API has no
//!   recipients, opens or clicks): subject, sender, audience (a list id or a tag list), the
//!   send, queue, publish and cancel times. Most were sent; some were canceled, some are drafts.
//!   The audience list ids run over the lists a nation of that size has (20 per 1,000 people,
//!   as the lists generator makes them);
//! - **automations** (`/api/v2/automations`): 4 per 1,000 people, no `updated_at`; the
//!   enrollment counters are extra fields (`extra_fields[automations]`);
//! - **automation enrollments** (`/api/v2/automation_enrollments`): 200 per 1,000 people,
//!   people enrolled in an automation, no `updated_at` either (the step a person is at moves
//!   without a timestamp), kept in a [`Ledger`]: churn enrolls people and moves enrollments on;
//! - **imports** (`/api/v2/imports`): 5 per 1,000 people, provenance of bulk-loaded rows with
//!   their row counts. The spec gives `/imports` no page parameters: the `imports_unpaged`
//!   switch of [`super::Variants`] serves the whole collection to every request.
//!
//! The v2 resource objects, filters and churn step are in `outreach_v2`. Every value is a pure function of `(seed, id)` from its own hash stream, so the other
//! resources of a seed are unchanged by this module. Each collection keeps at least one record
//! in the smallest nation.

use super::data::{self, base_id, Draw, Nation, Zone};
use super::ledger::Ledger;

const KIND_BROADCASTER: u64 = 0xE0_01;
const KIND_MAILING: u64 = 0xE0_02;
const KIND_AUTOMATION: u64 = 0xE0_03;
const KIND_ENROLLMENT: u64 = 0xE0_04;
const KIND_IMPORT: u64 = 0xE0_05;
const DAY: i64 = 86_400;

/// Number of broadcasters (ids `1..=n`).
pub(crate) fn broadcaster_count(nation: &Nation) -> u64 {
    nation.per_thousand(3)
}

/// Number of mailings (ids `1..=n`).
pub(crate) fn mailing_count(nation: &Nation) -> u64 {
    nation.per_thousand(40)
}

/// Number of automations (ids `1..=n`).
pub(crate) fn automation_count(nation: &Nation) -> u64 {
    nation.per_thousand(4)
}

/// Number of imports (ids `1..=n`).
pub(crate) fn import_count(nation: &Nation) -> u64 {
    nation.per_thousand(5)
}

/// Number of generated enrollments.
pub(crate) fn enrollment_base_count(nation: &Nation) -> u64 {
    nation.per_thousand(200)
}

/// A fresh ledger of automation enrollments.
pub(crate) fn enrollment_ledger(nation: &Nation) -> Ledger {
    Ledger::new(enrollment_base_count(nation), &[])
}

/// The number of lists a nation of this size has (20 per 1,000 people): the range of a
/// mailing's audience list ids.
fn list_count(nation: &Nation) -> u64 {
    nation.per_thousand(20)
}

/// A real base person id drawn from `field` of `d`.
fn person(nation: &Nation, d: Draw, field: u64) -> u64 {
    base_id(d.below(field, nation.people.max(1)))
}

/// A time in the nation's history (the last `years` years before its epoch).
fn past(nation: &Nation, d: Draw, field: u64, years: i64) -> i64 {
    nation.epoch - d.below(field, (years * 365 * DAY) as u64) as i64 - DAY
}

const SENDERS: &[(&str, &str)] = &[
    ("Party HQ", "info"),
    ("Membership team", "members"),
    ("Press office", "press"),
    ("Jeunes / Youth wing", "youth"),
    ("Fundraising", "donate"),
    ("Campaign team", "campaign"),
];

/// One broadcaster.
#[derive(Debug)]
pub(crate) struct Broadcaster {
    pub name: String,
    pub email: String,
    pub signup_id: u64,
    pub point_person_id: Option<u64>,
    pub text_point_person_id: Option<u64>,
    pub voicemail_point_person_id: Option<u64>,
    pub call_type_id: Option<u64>,
    pub emailer_tags: Option<&'static str>,
    pub text_tags: Option<&'static str>,
    pub voicemail_tags: Option<&'static str>,
    pub emailers_need_followup: bool,
    pub text_needs_followup: Option<bool>,
    pub voicemail_needs_followup: Option<bool>,
    pub is_bcc: bool,
    pub receive_email: bool,
    pub new_email_sender_marked_as_prospect: bool,
    pub received_calls_count: i64,
    pub text_blasts_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

impl Broadcaster {
    /// Broadcaster `id`, or `None` outside `1..=broadcaster_count`.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<Broadcaster> {
        if !(1..=broadcaster_count(nation)).contains(&id) {
            return None;
        }
        let d = Draw::new(nation.seed, KIND_BROADCASTER, id);
        let (name, mailbox) = match SENDERS.get(id as usize - 1) {
            Some(&(n, m)) => (n.to_string(), m.to_string()),
            None => {
                let (_, loc) = &super::locale::LOCALES
                    [d.below(1, super::locale::LOCALES.len() as u64) as usize];
                let city = loc.cities[d.below(2, loc.cities.len() as u64) as usize].0;
                (format!("Section {city} {id}"), format!("section{id}"))
            }
        };
        let created_at = nation.epoch - data::HISTORY + (id as i64 % 400) * DAY + 3_600;
        let updated_at = if d.pct(3, 40) {
            created_at
        } else {
            created_at + d.below(4, (nation.epoch - created_at).max(1) as u64) as i64
        };
        let texts = d.pct(5, 40);
        Some(Broadcaster {
            name,
            email: format!("{mailbox}@parti-europeen.example"),
            signup_id: person(nation, d, 6),
            point_person_id: (!d.pct(7, 20)).then(|| person(nation, d, 8)),
            text_point_person_id: texts.then(|| person(nation, d, 9)),
            voicemail_point_person_id: d.pct(10, 25).then(|| person(nation, d, 11)),
            call_type_id: d.pct(12, 30).then(|| 1 + d.below(13, 3)),
            emailer_tags: d.pct(14, 50).then_some("newsletter-reply"),
            text_tags: texts.then_some("sms-reply, Rückmeldung"),
            voicemail_tags: None,
            emailers_need_followup: d.pct(15, 30),
            text_needs_followup: texts.then(|| d.pct(16, 50)),
            voicemail_needs_followup: None,
            is_bcc: d.pct(17, 10),
            receive_email: d.pct(18, 70),
            new_email_sender_marked_as_prospect: d.pct(19, 20),
            received_calls_count: d.below(20, 40) as i64,
            text_blasts_count: if texts { d.below(21, 12) as i64 } else { 0 },
            created_at,
            updated_at,
            zone: d.zone(22, 50),
        })
    }
}

/// Where a mailing stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MailingState {
    Sent,
    Canceled,
    Draft,
}

/// One mailing (metadata only).
#[derive(Debug)]
pub(crate) struct Mailing {
    pub name: String,
    pub slug: String,
    pub subject: String,
    pub preheader: Option<&'static str>,
    pub description: Option<&'static str>,
    pub broadcaster_id: u64,
    pub from: String,
    pub custom_list_id: Option<u64>,
    pub tag_list: Option<&'static str>,
    pub send_at: Option<i64>,
    pub queued_at: Option<i64>,
    pub published_at: Option<i64>,
    pub canceled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

const TOPICS: &[(&str, &str)] = &[
    ("Newsletter", "Our newsletter: what happened this month"),
    ("Congress call", "Save the date: party congress"),
    ("Dues reminder", "Your membership is up for renewal"),
    ("Canvass weekend", "Join us on the doorsteps this weekend"),
    (
        "Appel aux dons",
        "Soutenez la campagne — chaque euro compte",
    ),
    ("Einladung", "Einladung zur Mitgliederversammlung"),
    ("Zaproszenie", "Zaproszenie na spotkanie członków"),
    ("Manifesto vote", "Have your say on the manifesto"),
];

const PREHEADERS: &[Option<&str>] = &[
    Some("Five minutes to read, a year to make a difference."),
    Some("Vote online before Sunday"),
    None,
    Some(""),
];

const AUDIENCE_TAGS: &[&str] = &[
    "members",
    "volunteer",
    "donor 2024, members",
    "newsletter",
    "Bénévoles – Île-de-France",
];

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Mailing {
    /// Mailing `id`, or `None` outside `1..=mailing_count`.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<Mailing> {
        if !(1..=mailing_count(nation)).contains(&id) {
            return None;
        }
        let d = Draw::new(nation.seed, KIND_MAILING, id);
        let broadcasters = broadcaster_count(nation);
        // Headquarters sends about half; the others share the rest.
        let broadcaster_id = if d.pct(1, 50) {
            1
        } else {
            1 + d.below(2, broadcasters)
        };
        let from = Broadcaster::generate(nation, broadcaster_id)
            .map(|b| b.name)
            .unwrap_or_default();
        let (topic, subject) = TOPICS[d.below(3, TOPICS.len() as u64) as usize];
        let created_at = past(nation, d, 4, 5);
        let (_, month, _) = data::civil(created_at.div_euclid(DAY));
        let (year, _, _) = data::civil(created_at.div_euclid(DAY));
        let month = MONTHS[(month - 1) as usize];
        let name = format!("{topic} {month} {year}");
        let slug = format!(
            "{}_{}_{year}_{id}",
            topic.to_lowercase().replace(' ', "_"),
            month.to_lowercase()
        );
        let state = match d.below(5, 100) {
            0..=79 => MailingState::Sent,
            80..=87 => MailingState::Canceled,
            _ => MailingState::Draft,
        };
        let (custom_list_id, tag_list) = if d.pct(6, 60) {
            (Some(1 + d.below(7, list_count(nation))), None)
        } else {
            (None, d.pick(8, AUDIENCE_TAGS))
        };
        let send = created_at + d.below(9, 3 * DAY as u64) as i64 + 3_600;
        let (send_at, queued_at, published_at, canceled_at, last) = match state {
            MailingState::Sent => {
                let queued = send - 60;
                (Some(send), Some(queued), Some(send + 120), None, send + 120)
            }
            MailingState::Canceled => {
                let cancel = send - 1_800;
                (Some(send), None, None, Some(cancel), cancel)
            }
            // A draft may be scheduled after the nation's "now".
            MailingState::Draft => {
                let at = d
                    .pct(10, 50)
                    .then(|| nation.epoch + d.below(11, 20 * DAY as u64) as i64);
                (at, None, None, None, created_at)
            }
        };
        Some(Mailing {
            name,
            slug,
            subject: subject.to_string(),
            preheader: d.pick(12, PREHEADERS).flatten(),
            description: d
                .pct(13, 30)
                .then_some("Internal: approved by the campaign board"),
            broadcaster_id,
            from,
            custom_list_id,
            tag_list,
            send_at,
            queued_at,
            published_at,
            canceled_at,
            created_at,
            updated_at: last.min(nation.epoch - 1).max(created_at),
            zone: d.zone(14, 50),
        })
    }
}

/// Number of mailings broadcaster `id` created (its `mailings_count`).
pub(crate) fn mailings_of(nation: &Nation, broadcaster: u64) -> i64 {
    (1..=mailing_count(nation))
        .filter(|&m| Mailing::generate(nation, m).is_some_and(|x| x.broadcaster_id == broadcaster))
        .count() as i64
}

const AUTOMATIONS: &[(&str, Option<&str>)] = &[
    (
        "Welcome series",
        Some("Three emails over two weeks for every new signup"),
    ),
    (
        "New member onboarding",
        Some("Card, welcome call by the local branch, first meeting invitation"),
    ),
    ("Lapsed member win-back", None),
    (
        "Volunteer follow-up",
        Some("After a canvass shift: thank-you and next date"),
    ),
    ("Relance donateurs", Some("")),
    ("Wahlkampf-Erinnerung", None),
];

const AUTOMATION_STATUSES: &[Option<&str>] = &[
    Some("running"),
    Some("running"),
    Some("running"),
    Some("on_hold"),
    Some("drafted"),
    Some("archived"),
    Some("ended"),
    None,
];

/// One automation.
#[derive(Debug)]
pub(crate) struct Automation {
    pub name: String,
    pub description: Option<&'static str>,
    pub status: Option<&'static str>,
    pub paused_at: Option<i64>,
    pub conversions_enabled: bool,
    pub created_at: i64,
    pub zone: Zone,
}

impl Automation {
    /// Automation `id`, or `None` outside `1..=automation_count`.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<Automation> {
        if !(1..=automation_count(nation)).contains(&id) {
            return None;
        }
        let d = Draw::new(nation.seed, KIND_AUTOMATION, id);
        let (name, description) = match AUTOMATIONS.get(id as usize - 1) {
            Some(&(n, desc)) => (n.to_string(), desc),
            None => (format!("Local branch follow-up {id}"), None),
        };
        // The first automation always runs, so churn has one to enroll people in.
        let status = if id == 1 {
            Some("running")
        } else {
            d.pick(1, AUTOMATION_STATUSES).flatten()
        };
        let created_at = past(nation, d, 2, 4);
        Some(Automation {
            name,
            description,
            status,
            paused_at: (status == Some("on_hold"))
                .then(|| created_at + d.below(3, (nation.epoch - created_at).max(1) as u64) as i64),
            conversions_enabled: d.pct(4, 40),
            created_at,
            zone: d.zone(5, 50),
        })
    }
}

/// One automation enrollment.
#[derive(Debug)]
pub(crate) struct Enrollment {
    pub automation_id: u64,
    pub signup_id: u64,
    pub automation_step_number: Option<i64>,
    pub campaign_source: Option<&'static str>,
    pub campaign_url: Option<&'static str>,
    pub created_at: i64,
    pub excluded_at: Option<i64>,
    pub next_execution: Option<i64>,
    pub zone: Zone,
}

const CAMPAIGN_SOURCES: &[(Option<&str>, Option<&str>)] = &[
    (None, None),
    (None, None),
    (
        Some("newsletter"),
        Some("https://www.parti-europeen.example/join?utm_source=newsletter"),
    ),
    (
        Some("facebook"),
        Some("https://www.parti-europeen.example/adhesion?utm_source=facebook"),
    ),
    (Some("Stand Marktplatz"), None),
];

impl Enrollment {
    /// Enrollment `id` as it stands in `ledger` (the caller checks that it is live).
    pub(crate) fn generate(nation: &Nation, ledger: &Ledger, id: u64) -> Enrollment {
        let d = Draw::new(nation.seed, KIND_ENROLLMENT, id);
        let automations = automation_count(nation);
        let (automation_id, signup_id, created_at) = match ledger.created(id) {
            // Churn enrolls people in running automation 1 or any other.
            Some(c) => (
                if d.pct(1, 60) {
                    1
                } else {
                    1 + d.below(2, automations)
                },
                c.owner,
                c.at,
            ),
            None => {
                let slot = (id - 1) * nation.people / enrollment_base_count(nation).max(1);
                (
                    1 + d.below(2, automations),
                    base_id(slot.min(nation.people.saturating_sub(1))),
                    past(nation, d, 3, 3),
                )
            }
        };
        let moved = i64::from(ledger.override_of(id).version);
        let excluded_at =
            (ledger.created(id).is_none() && d.pct(4, 6)).then(|| created_at + 5 * DAY);
        let done = ledger.created(id).is_none() && d.pct(5, 40);
        let step = if d.pct(6, 5) {
            None
        } else if done {
            Some(3)
        } else {
            Some((d.below(7, 3) as i64 + moved).min(3))
        };
        let (source, url) = CAMPAIGN_SOURCES[d.below(8, CAMPAIGN_SOURCES.len() as u64) as usize];
        let next_execution = (excluded_at.is_none() && step.is_some_and(|s| s < 3)).then(|| {
            nation.epoch.max(created_at) + (1 + moved) * DAY + d.below(9, DAY as u64) as i64
        });
        Enrollment {
            automation_id,
            signup_id,
            automation_step_number: step,
            campaign_source: source,
            campaign_url: url,
            created_at,
            excluded_at,
            next_execution,
            zone: d.zone(10, 50),
        }
    }
}

/// An automation's enrollment counters (its extra fields): total, completed, converted,
/// removed, over the live enrollments of `ledger`.
pub(crate) fn enrollment_counts(nation: &Nation, ledger: &Ledger, automation: u64) -> [i64; 4] {
    let mut c = [0i64; 4];
    for k in 0..ledger.live_count() {
        let Some(id) = ledger.select(k) else { break };
        let e = Enrollment::generate(nation, ledger, id);
        if e.automation_id != automation {
            continue;
        }
        c[0] += 1;
        if e.automation_step_number == Some(3) && e.excluded_at.is_none() {
            c[1] += 1;
            if Draw::new(nation.seed, KIND_ENROLLMENT, id).pct(11, 30) {
                c[2] += 1;
            }
        }
        if e.excluded_at.is_some() {
            c[3] += 1;
        }
    }
    c
}

const IMPORT_KINDS: &[(&str, &str, &str)] = &[
    (
        "People",
        "adherents_2019_export_ancien_crm.csv",
        "first_name,last_name,email,phone_number,tag_list\r\nAmélie,Dubois,amelie.dubois@example.fr,+33612345678,members",
    ),
    (
        "Donations",
        "Spenden_Q3.csv",
        "email,amount,succeeded_at,tracking_code\r\nj.schmidt@example.de,25.00,2023-09-14,sommerfest",
    ),
    (
        "People",
        "congress_signups.csv",
        "first_name,last_name,email,precinct\r\nJan,Kowalski,jan.kowalski@example.pl,Kraków 3",
    ),
    (
        "Memberships",
        "membership_renewals.csv",
        "email,membership_type,started_at,expires_on\r\nmarie.martin@example.fr,Full member,2024-01-10,2025-01-10",
    ),
];

/// One import.
#[derive(Debug)]
pub(crate) struct Import {
    pub import_type: &'static str,
    pub file_name: String,
    pub content_head: &'static str,
    pub status: Option<&'static str>,
    pub lines_count: Option<i64>,
    pub rows_successful: Option<i64>,
    pub rows_unsuccessful: Option<i64>,
    pub rows_updated: Option<i64>,
    pub error_lines: Option<String>,
    pub tag_list: Option<&'static str>,
    pub is_overwritable: bool,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

impl Import {
    /// Import `id`, or `None` outside `1..=import_count`.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<Import> {
        if !(1..=import_count(nation)).contains(&id) {
            return None;
        }
        let d = Draw::new(nation.seed, KIND_IMPORT, id);
        let (import_type, file, head) =
            IMPORT_KINDS[d.below(1, IMPORT_KINDS.len() as u64) as usize];
        let file_name = if id as usize <= IMPORT_KINDS.len() {
            file.to_string()
        } else {
            format!("{id}_{file}")
        };
        // Imports are spread over the nation's history, in id order.
        let created_at = nation.epoch - data::HISTORY
            + (id as i64) * (data::HISTORY / (import_count(nation) as i64 + 1))
            + d.below(2, DAY as u64) as i64;
        // The last import of a nation is refused as unprocessable (a malformed file).
        let unprocessable = id == import_count(nation) && id > 1;
        let lines = 20 + d.below(3, (nation.people / 3).max(20)) as i64;
        let failed = if unprocessable {
            lines
        } else {
            d.below(4, (lines / 20 + 1) as u64) as i64
        };
        let updated = if unprocessable {
            0
        } else {
            d.below(5, ((lines - failed) / 4 + 1) as u64) as i64
        };
        let started = created_at + 30;
        let finished = started + 5 + lines / 10;
        Some(Import {
            import_type,
            file_name,
            content_head: head,
            status: Some(if unprocessable {
                "unprocessable"
            } else {
                "finished"
            }),
            lines_count: Some(lines),
            rows_successful: Some(lines - failed),
            rows_unsuccessful: Some(failed),
            rows_updated: Some(updated),
            error_lines: (failed > 0).then(|| {
                if unprocessable {
                    "error: Invalid CSV: unquoted field in line 1".to_string()
                } else {
                    format!(
                        "error: line {}, Email is invalid",
                        2 + d.below(6, lines as u64)
                    )
                }
            }),
            tag_list: if import_type == "People" {
                Some("imported, members")
            } else {
                None
            },
            is_overwritable: d.pct(7, 25),
            started_at: Some(started),
            finished_at: Some(finished),
            created_at,
            updated_at: finished,
            zone: d.zone(8, 50),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_per_thousand_people_and_at_least_one() {
        let n = Nation::new(42, 5000, "EUR");
        assert_eq!(broadcaster_count(&n), 15);
        assert_eq!(mailing_count(&n), 200);
        assert_eq!(automation_count(&n), 20);
        assert_eq!(import_count(&n), 25);
        assert_eq!(enrollment_base_count(&n), 1000);
        let tiny = Nation::new(42, 4, "EUR");
        for count in [
            broadcaster_count,
            mailing_count,
            automation_count,
            import_count,
            enrollment_base_count,
        ] {
            assert_eq!(count(&tiny), 1);
        }
        assert!(Mailing::generate(&tiny, 1).is_some());
        assert!(Mailing::generate(&tiny, 2).is_none());
    }

    #[test]
    fn deterministic_from_the_seed() {
        let a = Nation::new(7, 2000, "EUR");
        let b = Nation::new(7, 2000, "EUR");
        let c = Nation::new(8, 2000, "EUR");
        let la = enrollment_ledger(&a);
        for id in 1..=40 {
            assert_eq!(
                format!("{:?}", Mailing::generate(&a, id)),
                format!("{:?}", Mailing::generate(&b, id))
            );
            assert_eq!(
                format!("{:?}", Enrollment::generate(&a, &la, id)),
                format!("{:?}", Enrollment::generate(&b, &la, id))
            );
        }
        let differs = (1..=40).any(|id| {
            format!("{:?}", Mailing::generate(&a, id)) != format!("{:?}", Mailing::generate(&c, id))
        });
        assert!(differs);
    }

    #[test]
    fn references_point_at_real_records() {
        let n = Nation::new(3, 3000, "EUR");
        let ledger = enrollment_ledger(&n);
        let real_person = |id: u64| !id.is_multiple_of(50) && id <= n.max_base_id();
        for id in 1..=mailing_count(&n) {
            let m = Mailing::generate(&n, id).unwrap();
            assert!((1..=broadcaster_count(&n)).contains(&m.broadcaster_id));
            assert!(m.custom_list_id.is_some() != m.tag_list.is_some());
            // Metadata only: a sent mailing has its times, a draft none of them.
            assert_eq!(m.published_at.is_some(), m.queued_at.is_some());
            assert!(m.published_at.is_none() || m.canceled_at.is_none());
            assert!(m.updated_at < n.epoch);
        }
        for id in 1..=broadcaster_count(&n) {
            let b = Broadcaster::generate(&n, id).unwrap();
            assert!(real_person(b.signup_id));
            assert!(b.point_person_id.is_none_or(real_person));
        }
        let mut per_automation = vec![0; automation_count(&n) as usize];
        for id in 1..=enrollment_base_count(&n) {
            let e = Enrollment::generate(&n, &ledger, id);
            assert!(real_person(e.signup_id), "{id}: {}", e.signup_id);
            per_automation[e.automation_id as usize - 1] += 1;
        }
        assert!(per_automation.iter().all(|&c| c > 0));
        let total: i64 = (1..=automation_count(&n))
            .map(|a| enrollment_counts(&n, &ledger, a)[0])
            .sum();
        assert_eq!(total as u64, enrollment_base_count(&n));
        let sent: i64 = (1..=broadcaster_count(&n))
            .map(|b| mailings_of(&n, b))
            .sum();
        assert_eq!(sent as u64, mailing_count(&n));
    }

    #[test]
    fn imports_give_row_counts_and_one_unprocessable() {
        let n = Nation::new(42, 1000, "EUR");
        let all: Vec<Import> = (1..=import_count(&n))
            .map(|id| Import::generate(&n, id).unwrap())
            .collect();
        for i in &all {
            let lines = i.lines_count.unwrap();
            assert_eq!(
                i.rows_successful.unwrap() + i.rows_unsuccessful.unwrap(),
                lines
            );
            assert!(i.rows_updated.unwrap() <= i.rows_successful.unwrap());
            assert_eq!(i.error_lines.is_some(), i.rows_unsuccessful.unwrap() > 0);
        }
        assert_eq!(all.last().unwrap().status, Some("unprocessable"));
        assert!(all.windows(2).all(|w| w[0].created_at < w[1].created_at));
    }

    #[test]
    fn churned_enrollments_belong_to_their_person_and_move_on() {
        let n = Nation::new(42, 1000, "EUR");
        let mut ledger = enrollment_ledger(&n);
        let id = ledger.create(n.epoch + 100, 77);
        let e = Enrollment::generate(&n, &ledger, id);
        assert_eq!(e.signup_id, 77);
        assert_eq!(e.created_at, n.epoch + 100);
        let before = Enrollment::generate(&n, &ledger, 5).automation_step_number;
        ledger.touch(5, n.epoch + 200);
        let after = Enrollment::generate(&n, &ledger, 5).automation_step_number;
        if let (Some(b), Some(a)) = (before, after) {
            assert!(a >= b);
        }
    }
}
