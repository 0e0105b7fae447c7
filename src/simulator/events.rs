//! Generation of the nation's web presence and its events, after the reference (§8 and the v2
//! OpenAPI copy's `site_*`, `page_*`, `event_*`, `event_rsvp_*` and `event_ticket_level_*`
//! attributes): sites (`/api/v2/sites`), pages (`/api/v2/pages`), events (`/api/v2/events`),
//! their RSVPs (`/api/v2/event_rsvps`) and ticket levels (`/api/v2/event_ticket_levels`).
//!
//! Per 1,000 people: 2 sites, 30 pages, 15 events and 400 RSVPs (at least one site, one event,
//! its page and one RSVP per event in a small nation). Site 1 is the national site, the others
//! local branches. Pages `1..=P`: the last `E` are the pages of events `1..=E` (event `e` has
//! page `P - E + e`); the others are basic pages. Every third event (`1, 4, 7, …`) sells
//! tickets, with 2–4 ticket levels laid out event after event. RSVPs are a [`Ledger`]: the
//! generated ones in the order of their event, plus those added by churn; churn cancels RSVPs
//! (an update: `canceled` becomes true and `updated_at` moves), adds some and deletes a few.
//!
//! The documented quirks: an event has no name, slug, status or timestamp of its own (they are
//! on its page: `page_id`); an RSVP carries no `signup_id` attribute, its person is only given
//! as `relationships.signup.data` when the request asks `include=signup`; pages and ticket
//! levels have no `created_at`/`updated_at` (a page only `published_at`); sites have no
//! show-by-id route. Every value is a pure function of `(seed, id)` from this module's own hash
//! streams, so the other resources of a seed are unchanged by it.

use super::data::{self, base_id, Draw, Nation, Zone};
use super::ledger::Ledger;
use super::locale::LOCALES;

const KIND_SITE: u64 = 0xE7_0001;
const KIND_PAGE: u64 = 0xE7_0002;
const KIND_EVENT: u64 = 0xE7_0003;
const KIND_RSVP: u64 = 0xE7_0004;
const KIND_LEVEL: u64 = 0xE7_0005;
const DAY: i64 = 86_400;

/// Sites: 2 per 1,000 people, at least one.
pub(crate) fn site_count(nation: &Nation) -> u64 {
    nation.per_thousand(2)
}

/// Events: 15 per 1,000 people, at least one.
pub(crate) fn event_count(nation: &Nation) -> u64 {
    nation.per_thousand(15)
}

/// Pages: 30 per 1,000 people, at least the events' pages and two basic pages.
pub(crate) fn page_count(nation: &Nation) -> u64 {
    nation.per_thousand(30).max(event_count(nation) + 2)
}

/// Generated RSVPs: 400 per 1,000 people, at least one per event.
pub(crate) fn rsvp_base_count(nation: &Nation) -> u64 {
    nation.per_thousand(400).max(event_count(nation))
}

/// The first generated RSVP of event `e` (RSVPs are laid out in the order of their event).
fn first_rsvp(nation: &Nation, e: u64) -> u64 {
    ((e - 1) * rsvp_base_count(nation)).div_ceil(event_count(nation)) + 1
}

/// Generated RSVPs of event `e` (the event's `attending_count`, a counter NationBuilder keeps).
pub(crate) fn rsvps_of_event(nation: &Nation, e: u64) -> u64 {
    first_rsvp(nation, e + 1) - first_rsvp(nation, e)
}

/// A fresh ledger of RSVPs.
pub(crate) fn rsvp_ledger(nation: &Nation) -> Ledger {
    Ledger::new(rsvp_base_count(nation), &[])
}

/// The page of event `e`.
pub(crate) fn event_page(nation: &Nation, e: u64) -> u64 {
    page_count(nation) - event_count(nation) + e
}

/// The event whose page is `page`, if it is an event page.
pub(crate) fn page_event(nation: &Nation, page: u64) -> Option<u64> {
    let first = page_count(nation) - event_count(nation);
    (page > first && page <= page_count(nation)).then(|| page - first)
}

/// Whether event `e` sells tickets (every third event, starting with the first).
pub(crate) fn ticketed(e: u64) -> bool {
    e >= 1 && (e - 1).is_multiple_of(3)
}

/// Ticket levels of the `k`-th ticketed event (0-based): 2, 3 or 4.
fn levels_of(k: u64) -> u64 {
    2 + k % 3
}

/// Ticket levels before the `k`-th ticketed event.
fn levels_before(k: u64) -> u64 {
    2 * k + 3 * (k / 3) + u64::from(k % 3 == 2)
}

/// Ticket levels of the nation.
pub(crate) fn ticket_level_count(nation: &Nation) -> u64 {
    levels_before(event_count(nation).div_ceil(3))
}

/// The event of ticket level `id` and the level's position among the event's levels.
pub(crate) fn level_event(nation: &Nation, id: u64) -> Option<(u64, u64)> {
    if id == 0 || id > ticket_level_count(nation) {
        return None;
    }
    let i = id - 1;
    // levels_before grows by 3 per ticketed event on average: start near, then step.
    let mut k = (i / 3).saturating_sub(2);
    while levels_before(k + 1) <= i {
        k += 1;
    }
    while levels_before(k) > i {
        k -= 1;
    }
    Some((3 * k + 1, i - levels_before(k)))
}

/// The ids of event `e`'s ticket levels.
pub(crate) fn event_levels(e: u64) -> std::ops::Range<u64> {
    if !ticketed(e) {
        return 0..0;
    }
    let k = (e - 1) / 3;
    levels_before(k) + 1..levels_before(k) + levels_of(k) + 1
}

/// A lowercase slug of `s` (ASCII letters and digits, dashes between words).
fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ü' | 'ù' | 'ú' => 'u',
            'ç' => 'c',
            'ß' => 's',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// A city of the nation's locales, drawn from `d`.
fn city(d: Draw, field: u64) -> (&'static str, &'static str, &'static str, &'static str) {
    let loc = &LOCALES[d.below(field, LOCALES.len() as u64) as usize].1;
    let (name, region, zip, _, _) =
        loc.cities[d.below(field + 1, loc.cities.len() as u64) as usize];
    (name, region, zip, loc.country)
}

/// One site.
#[derive(Debug)]
pub(crate) struct Site {
    pub name: String,
    pub slug: String,
    pub domain: Option<String>,
}

impl Site {
    /// Generates site `id`; `None` outside `1..=site_count`.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<Site> {
        if id == 0 || id > site_count(nation) {
            return None;
        }
        if id == 1 {
            return Some(Site {
                name: "Europe Verte — national site".to_string(),
                slug: "europeverte".to_string(),
                domain: Some("www.europe-verte.example".to_string()),
            });
        }
        let d = Draw::new(nation.seed, KIND_SITE, id);
        let (city, _, _, _) = city(d, 1);
        // A city in another script (Варна) slugs to nothing: the branch number stands in.
        let base = match slugify(city).replace('-', "") {
            b if b.is_empty() => "branch".to_string(),
            b => b,
        };
        Some(Site {
            name: format!("Europe Verte {city}"),
            domain: d
                .pct(3, 40)
                .then(|| format!("{base}{id}.europe-verte.example")),
            slug: format!("{base}{id}"),
        })
    }
}

const BASIC_PAGES: &[(&str, &str)] = &[
    ("Home", "Europe Verte — for a green and social Europe"),
    ("About us", "Who we are"),
    ("Join the party", "Become a member"),
    ("Donate", "Support our campaign"),
    ("Volunteer", "Get involved"),
    ("Our programme", "Our programme for the next term"),
    ("Press", "Press releases"),
    ("Contact", "Contact us"),
    ("Events", "Upcoming events"),
    ("Local branches", "Find your local branch"),
    ("Privacy policy", "How we handle your data"),
    ("Newsletter", "Subscribe to our newsletter"),
    ("Candidates", "Our candidates"),
    ("Blog", "News from the campaign"),
    ("Climate petition", "Sign the climate petition"),
];

/// One page.
#[derive(Debug)]
pub(crate) struct Page {
    pub name: String,
    pub slug: String,
    pub headline: Option<String>,
    pub title: String,
    pub excerpt: Option<&'static str>,
    pub external_id: Option<String>,
    pub page_type_name: &'static str,
    pub parent_id: Option<u64>,
    pub site_id: u64,
    pub author_id: Option<u64>,
    pub status: &'static str,
    pub permission_level: &'static str,
    pub published_at: Option<i64>,
    pub zone: Zone,
}

impl Page {
    /// Generates page `id`; `None` outside `1..=page_count`.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<Page> {
        if id == 0 || id > page_count(nation) {
            return None;
        }
        let d = Draw::new(nation.seed, KIND_PAGE, id);
        let author_id = d
            .pct(1, 85)
            .then(|| base_id(d.below(2, nation.people.max(1))));
        let zone = d.zone(3, 40);
        if let Some(e) = page_event(nation, id) {
            let ev = Event::generate(nation, e)?;
            let (kind, city) = event_title(nation, e);
            let name = format!("{kind} — {city}");
            let past = ev.start_at + ev.duration < nation.epoch;
            return Some(Page {
                slug: format!("{}-{e}", slugify(&name)),
                headline: Some(name.clone()),
                title: format!("{name} | Europe Verte"),
                name,
                excerpt: None,
                external_id: None,
                page_type_name: "Event",
                // Events sit under the events calendar (page 9) when there is one.
                parent_id: (page_count(nation) - event_count(nation) >= 9).then_some(9),
                site_id: 1 + d.below(4, site_count(nation)),
                author_id,
                status: if past && d.pct(5, 30) {
                    "expired"
                } else if ev.private {
                    "unlisted"
                } else {
                    "published"
                },
                permission_level: "anyone",
                published_at: Some(ev.start_at - (10 + d.below(6, 50) as i64) * DAY),
                zone,
            });
        }
        let i = (id - 1) as usize;
        let (name, headline) = BASIC_PAGES[i % BASIC_PAGES.len()];
        let round = i / BASIC_PAGES.len();
        let name = if round == 0 {
            name.to_string()
        } else {
            format!("{name} ({})", round + 1)
        };
        let slug = if id == 1 {
            "home".to_string()
        } else {
            slugify(&name)
        };
        let drafted = d.pct(7, 8);
        Some(Page {
            headline: (!d.pct(8, 15)).then(|| headline.to_string()),
            title: format!("{name} | Europe Verte"),
            excerpt: d
                .pct(9, 40)
                .then_some("Europe Verte is a green, social and pro-European party."),
            external_id: d.pct(10, 5).then(|| format!("wp-{}", 1000 + id)),
            page_type_name: "Basic",
            parent_id: (id > 2 && d.pct(11, 30)).then(|| 1 + d.below(12, id - 1)),
            site_id: if d.pct(13, 80) {
                1
            } else {
                1 + d.below(14, site_count(nation))
            },
            author_id,
            status: if drafted {
                "hidden"
            } else if d.pct(15, 5) {
                "archived"
            } else {
                "published"
            },
            permission_level: match d.below(16, 20) {
                0 => "members",
                1 => "logged_in",
                _ => "anyone",
            },
            published_at: (!drafted)
                .then(|| nation.epoch - data::HISTORY + d.below(17, data::HISTORY as u64) as i64),
            zone,
            name,
            slug,
        })
    }
}

const EVENT_KINDS: &[&str] = &[
    "Town hall meeting",
    "Door-to-door canvass",
    "Members' assembly",
    "Climate march",
    "Summer party",
    "Debate night",
    "Phone bank",
    "Fundraising dinner",
    "New members' welcome",
    "Leaflet drop",
];

const VENUES: &[&str] = &[
    "Salle des fêtes",
    "Bürgerhaus",
    "Community centre",
    "Party office",
    "Café de la Gare",
    "Stadtbibliothek",
    "Town hall, room 2",
    "Casa del Popolo",
];

const TIME_ZONES: &[&str] = &["Paris", "Berlin", "Amsterdam", "Brussels", "Madrid", "Rome"];

/// Event `e`'s kind and city (its page's name).
fn event_title(nation: &Nation, e: u64) -> (&'static str, &'static str) {
    let d = Draw::new(nation.seed, KIND_EVENT, e);
    let kind = if ticketed(e) {
        "Fundraising dinner"
    } else {
        EVENT_KINDS[d.below(1, EVENT_KINDS.len() as u64) as usize]
    };
    (kind, city(d, 2).0)
}

/// One event (its name, slug and status are its page's).
#[derive(Debug)]
pub(crate) struct Event {
    pub page_id: u64,
    pub start_at: i64,
    pub duration: i64,
    pub time_zone: &'static str,
    pub venue_name: &'static str,
    pub city: &'static str,
    pub region: &'static str,
    pub zip: String,
    pub country_code: &'static str,
    pub street: String,
    pub capacity_count: i64,
    pub accept_rsvps: bool,
    pub allow_guests: bool,
    pub private: bool,
    pub uses_tickets: bool,
    pub point_person_id: Option<u64>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone_number: Option<String>,
    pub content: String,
    pub zone: Zone,
}

impl Event {
    /// Generates event `e`; `None` outside `1..=event_count`.
    pub(crate) fn generate(nation: &Nation, e: u64) -> Option<Event> {
        let n = event_count(nation);
        if e == 0 || e > n {
            return None;
        }
        let d = Draw::new(nation.seed, KIND_EVENT, e);
        // From two years before "now" to three months after it, in order of id.
        let span = 820 * DAY;
        let day = (nation.epoch - 730 * DAY + span * (e as i64 - 1) / n as i64).div_euclid(DAY);
        let start_at = day * DAY + (16 + d.below(3, 4) as i64) * 3600 + 1800;
        let (kind, city) = event_title(nation, e);
        let loc = &LOCALES[d.below(2, LOCALES.len() as u64) as usize].1;
        let (_, region, zip, _, _) = loc
            .cities
            .iter()
            .copied()
            .find(|c| c.0 == city)
            .unwrap_or(loc.cities[0]);
        let point_person_id = d
            .pct(4, 70)
            .then(|| base_id(d.below(5, nation.people.max(1))));
        let contact = d.pct(6, 60);
        Some(Event {
            page_id: event_page(nation, e),
            start_at,
            duration: [3600, 7200, 10_800, 14_400][d.below(7, 4) as usize],
            time_zone: TIME_ZONES[d.below(8, TIME_ZONES.len() as u64) as usize],
            venue_name: VENUES[d.below(9, VENUES.len() as u64) as usize],
            city,
            region,
            zip: format!("{zip}{:03}", d.below(10, 1000)),
            country_code: loc.country,
            street: format!(
                "{} {}",
                1 + d.below(11, 120),
                loc.streets[d.below(12, loc.streets.len() as u64) as usize]
            ),
            capacity_count: [0, 30, 50, 100, 200][d.below(13, 5) as usize],
            accept_rsvps: !d.pct(14, 10),
            allow_guests: d.pct(15, 50),
            private: d.pct(16, 10),
            uses_tickets: ticketed(e),
            point_person_id,
            contact_name: contact.then(|| "Camille Martin".to_string()),
            contact_email: contact.then(|| format!("events+{e}@europe-verte.example")),
            contact_phone_number: (contact && d.pct(17, 50)).then(|| "+33 1 42 68 53 00".into()),
            content: format!("{kind} in {city}. Everyone is welcome; bring a friend!"),
            zone: d.zone(18, 40),
        })
    }
}

const LEVELS: &[(&str, Option<&str>, i64, i64, i64)] = &[
    ("Standard", None, 3500, 1, 80),
    (
        "Reduced (students, unwaged)",
        Some("Proof of status at the door."),
        1500,
        1,
        40,
    ),
    (
        "Supporter",
        Some("Includes a donation to the campaign."),
        10_000,
        1,
        20,
    ),
    ("Couple", Some("Two seats."), 6000, 2, 30),
];

/// One ticket level.
#[derive(Debug)]
pub(crate) struct TicketLevel {
    pub event_id: u64,
    pub name: &'static str,
    pub description: Option<&'static str>,
    pub amount_in_cents: i64,
    pub number: i64,
    pub limit: i64,
    pub tickets_sold: i64,
}

impl TicketLevel {
    /// Generates ticket level `id`; `None` outside `1..=ticket_level_count`.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<TicketLevel> {
        let (event_id, j) = level_event(nation, id)?;
        let d = Draw::new(nation.seed, KIND_LEVEL, id);
        let (name, description, amount_in_cents, number, limit) = LEVELS[j as usize];
        Some(TicketLevel {
            event_id,
            name,
            description,
            amount_in_cents,
            number,
            limit,
            tickets_sold: d.below(1, limit as u64 + 1) as i64,
        })
    }
}

/// One RSVP.
#[derive(Debug)]
pub(crate) struct Rsvp {
    pub event_id: u64,
    pub page_id: u64,
    /// The person (given only through `include=signup`).
    pub signup_id: u64,
    pub guests_count: i64,
    pub tickets_count: Option<i64>,
    pub amount_in_cents: Option<i64>,
    pub attendee: bool,
    pub canceled: bool,
    pub prepaid: Option<bool>,
    pub private: bool,
    pub volunteer: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

impl Rsvp {
    /// Generates RSVP `id` as it stands in `ledger`; the caller checks that it is live.
    pub(crate) fn generate(nation: &Nation, ledger: &Ledger, id: u64) -> Rsvp {
        let d = Draw::new(nation.seed, KIND_RSVP, id);
        let events = event_count(nation);
        let (event_id, signup_id, created) = match ledger.created(id) {
            Some(c) => (1 + d.below(1, events), c.owner, Some(c.at)),
            None => {
                let event = 1 + (id - 1) * events / rsvp_base_count(nation);
                (event, base_id(d.below(2, nation.people.max(1))), None)
            }
        };
        let ev = Event::generate(nation, event_id).expect("an event of the nation");
        let created_at =
            created.unwrap_or_else(|| ev.start_at - 3600 - d.below(3, 30 * DAY as u64) as i64);
        let guests_count = if ev.allow_guests && d.pct(4, 25) {
            1 + d.below(5, 2) as i64
        } else {
            0
        };
        let ov = ledger.override_of(id);
        let canceled = ov.version > 0 || (created.is_none() && d.pct(6, 8));
        let updated_at = ov.updated_at.unwrap_or(if canceled {
            created_at + d.below(7, 10 * DAY as u64) as i64
        } else {
            created_at
        });
        let past = ev.start_at + ev.duration < nation.epoch;
        let (tickets_count, amount_in_cents, prepaid) = if ev.uses_tickets {
            let levels = event_levels(event_id);
            let level = levels.start + d.below(8, levels.end - levels.start);
            let price = TicketLevel::generate(nation, level).map_or(0, |l| l.amount_in_cents);
            let tickets = 1 + guests_count;
            (Some(tickets), Some(tickets * price), Some(d.pct(9, 80)))
        } else {
            (None, None, None)
        };
        Rsvp {
            event_id,
            page_id: ev.page_id,
            signup_id,
            guests_count,
            tickets_count,
            amount_in_cents,
            attendee: past && !canceled && d.pct(10, 75),
            canceled,
            prepaid,
            private: d.pct(11, 5),
            volunteer: d.pct(12, 10),
            created_at,
            updated_at,
            zone: d.zone(13, 40),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_per_thousand_people() {
        let nation = Nation::new(42, 5000, "EUR");
        assert_eq!(site_count(&nation), 10);
        assert_eq!(page_count(&nation), 150);
        assert_eq!(event_count(&nation), 75);
        assert_eq!(rsvp_base_count(&nation), 2000);
        // 25 ticketed events with 2, 3 or 4 levels each.
        assert_eq!(ticket_level_count(&nation), 25 * 3 - 1);
        let small = Nation::new(42, 20, "EUR");
        assert_eq!(site_count(&small), 1);
        assert_eq!(event_count(&small), 1);
        assert_eq!(page_count(&small), 3);
        assert_eq!(rsvp_base_count(&small), 8);
        assert_eq!(ticket_level_count(&small), 2);
    }

    #[test]
    fn ticket_levels_are_laid_out_event_after_event() {
        let nation = Nation::new(3, 4000, "EUR");
        let mut next = 1;
        for e in 1..=event_count(&nation) {
            for id in event_levels(e) {
                assert_eq!(id, next);
                assert_eq!(level_event(&nation, id).map(|x| x.0), Some(e));
                next += 1;
            }
        }
        assert_eq!(next - 1, ticket_level_count(&nation));
        assert_eq!(level_event(&nation, next), None);
        assert_eq!(level_event(&nation, 0), None);
    }

    #[test]
    fn events_have_their_page_and_rsvps_point_at_real_records() {
        let nation = Nation::new(42, 1000, "EUR");
        let ledger = rsvp_ledger(&nation);
        for e in 1..=event_count(&nation) {
            let ev = Event::generate(&nation, e).unwrap();
            let page = Page::generate(&nation, ev.page_id).unwrap();
            assert_eq!(page.page_type_name, "Event");
            assert_eq!(page_event(&nation, ev.page_id), Some(e));
        }
        let mut per_event = vec![0u64; event_count(&nation) as usize];
        for id in 1..=rsvp_base_count(&nation) {
            let r = Rsvp::generate(&nation, &ledger, id);
            assert!(r.signup_id <= nation.max_base_id());
            assert_eq!(r.page_id, event_page(&nation, r.event_id));
            per_event[(r.event_id - 1) as usize] += 1;
            assert_eq!(r.tickets_count.is_some(), ticketed(r.event_id));
        }
        assert!(per_event.iter().all(|&n| n > 0));
        for id in 1..=page_count(&nation) {
            let p = Page::generate(&nation, id).unwrap();
            assert!((1..=site_count(&nation)).contains(&p.site_id));
            assert!(p.parent_id.is_none_or(|parent| parent < id || parent == 9));
        }
    }

    #[test]
    fn generation_is_deterministic_and_follows_the_seed() {
        let a = Nation::new(7, 2000, "EUR");
        let b = Nation::new(8, 2000, "EUR");
        let l = rsvp_ledger(&a);
        let r1 = format!("{:?}", Rsvp::generate(&a, &l, 17));
        assert_eq!(r1, format!("{:?}", Rsvp::generate(&a, &l, 17)));
        let pages = |n: &Nation| {
            (1..=page_count(n))
                .map(|i| format!("{:?}", Page::generate(n, i)))
                .collect::<Vec<_>>()
        };
        assert_eq!(pages(&a), pages(&a));
        assert_ne!(pages(&a), pages(&b));
    }

    #[test]
    fn a_cancellation_is_an_update() {
        let nation = Nation::new(42, 1000, "EUR");
        let mut ledger = rsvp_ledger(&nation);
        let id = (1..100)
            .find(|&id| !Rsvp::generate(&nation, &ledger, id).canceled)
            .unwrap();
        let at = nation.epoch + 500;
        ledger.touch(id, at);
        let r = Rsvp::generate(&nation, &ledger, id);
        assert!(r.canceled && !r.attendee);
        assert_eq!(r.updated_at, at);
    }
}
