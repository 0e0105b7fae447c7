//! Deterministic generation of the synthetic nation. Every record is a pure function of the
//! seed and its id (plus, for churned people, a small override), so memory stays flat however
//! many people are simulated and the same flags always give byte-identical responses.
//!
//! Randomness comes from a splitmix64-style hash of (seed, id, field); the `rand` crate is not
//! used because its streams may change between versions.
//!
//! Domain terms: a *slot* is a person's position in id order (0-based, never reused); base
//! person slot `i` has id `i + 1 + i / 49`, so every 50th id is a gap left by a person deleted
//! before the export. Tags have ids `1..=T`; person `p`'s tagging `j` has id `p * 8 + j`.

use super::json::{self, nulls, Obj};
use super::locale::{self, Locale, StreetStyle};

/// One splitmix64 step: a fast, well-mixed 64-bit hash.
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of (seed, a, b).
pub(crate) fn hash3(seed: u64, a: u64, b: u64) -> u64 {
    splitmix(splitmix(seed ^ splitmix(a)) ^ b.wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// Per-record draws: `draw.u(FIELD)` is a stable pseudo-random number for that field.
#[derive(Clone, Copy)]
pub(crate) struct Draw(u64);

impl Draw {
    pub(crate) fn new(seed: u64, kind: u64, id: u64) -> Self {
        Draw(hash3(seed, kind, id))
    }
    pub(crate) fn u(self, field: u64) -> u64 {
        splitmix(self.0 ^ field.wrapping_mul(0xA076_1D64_78BD_642F))
    }
    /// A number in `0..n`.
    pub(crate) fn below(self, field: u64, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.u(field) % n
        }
    }
    /// True with probability `percent`/100.
    pub(crate) fn pct(self, field: u64, percent: u64) -> bool {
        self.below(field, 100) < percent
    }
    /// How a timestamp is written: UTC (`Z`) with probability `utc_percent`/100, else with the
    /// nation's offset (the API gives both).
    pub(crate) fn zone(self, field: u64, utc_percent: u64) -> Zone {
        if self.pct(field, utc_percent) {
            Zone::Utc
        } else {
            Zone::Local
        }
    }
    pub(crate) fn pick<T: Copy>(self, field: u64, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.below(field, items.len() as u64) as usize])
        }
    }
}

// Record kinds mixed into the hash so people, donations and tags draw independent numbers.
const KIND_PERSON: u64 = 1;
const KIND_DONATION: u64 = 2;
const KIND_TAGS: u64 = 3;
const KIND_VERSION: u64 = 4;

/// Unix time of 2025-01-01T00:00:00Z; the nation's "now" is this plus up to 359 days.
const EPOCH_BASE: i64 = 1_735_689_600;
/// How far back records go: eight years.
pub(crate) const HISTORY: i64 = 8 * 365 * 86_400;

/// How a timestamp is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Zone {
    /// `…Z`
    Utc,
    /// Central European time, `+01:00` in winter and `+02:00` in summer.
    Local,
}

/// Writes `t` (unix seconds) as RFC 3339 with the given zone.
pub(crate) fn write_time(out: &mut String, t: i64, zone: Zone) {
    let (local, suffix) = match zone {
        Zone::Utc => (t, "Z"),
        Zone::Local => {
            let (_, m, _) = civil(t.div_euclid(86_400));
            if (4..=10).contains(&m) {
                (t + 7_200, "+02:00")
            } else {
                (t + 3_600, "+01:00")
            }
        }
    };
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    // Hand-rolled digits: timestamps are the most frequent values in a page.
    let y = y.clamp(0, 9999) as u32;
    let mut buf = [0u8; 19];
    let mut put = |at: usize, v: u32, width: usize| {
        let mut v = v;
        for k in (0..width).rev() {
            buf[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y, 4);
    put(5, m, 2);
    put(8, d, 2);
    put(11, (secs / 3600) as u32, 2);
    put(14, ((secs / 60) % 60) as u32, 2);
    put(17, (secs % 60) as u32, 2);
    buf[4] = b'-';
    buf[7] = b'-';
    buf[10] = b'T';
    buf[13] = b':';
    buf[16] = b':';
    out.push_str(std::str::from_utf8(&buf).unwrap_or("1970-01-01T00:00:00"));
    out.push_str(suffix);
}

/// A timestamp as a quoted JSON string.
pub(crate) fn time_json(out: &mut String, t: i64, zone: Zone) {
    out.push('"');
    write_time(out, t, zone);
    out.push('"');
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
pub(crate) fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The fixed, seed-derived facts about a nation: sizes, epoch, currency, tag names.
#[derive(Debug)]
pub(crate) struct Nation {
    /// The generation seed.
    pub seed: u64,
    /// Number of base people (slots `0..people`).
    pub people: u64,
    /// Number of tags `T`; tag `T` has no taggings.
    pub tag_count: u64,
    /// Number of donations `D` (ids `1..=D`).
    pub donation_count: u64,
    /// The nation's "now": every generated timestamp is before it.
    pub epoch: i64,
    /// Display prefix for v1 amounts (`€`).
    pub symbol: String,
    /// Tag names, index `id - 1`.
    pub tag_names: Vec<String>,
    /// Donations' `membership_id` is always null (the `null_membership_id` switch).
    pub null_membership_id: bool,
}

/// Tag names that exercise quoting, unicode and SQL injection in clients.
const SPECIAL_TAGS: &[&str] = &[
    "volunteer",
    "donor 2024",
    "Lyon, 3e arrondissement",
    "\"VIP\" guests",
    "Bénévoles – Île-de-France",
    "Robert'); DROP TABLE tags;--",
    "🌻 sunflower team",
    "Ελληνική ομάδα",
    "متطوعون",
    "100% renewable",
    "O'Brien's list",
];

const TAG_TOPICS: &[&str] = &[
    "canvass",
    "phonebank",
    "Wahlkampf",
    "réunion",
    "spotkanie",
    "mesa",
    "newsletter",
    "Straßenfest",
];

impl Nation {
    pub(crate) fn new(seed: u64, people: u64, currency: &str) -> Self {
        let tag_count = (people / 40).max(12);
        let donation_count = (people * 2 + 2) / 5;
        let epoch = EPOCH_BASE + (seed % 360) as i64 * 86_400;
        let symbol = match currency {
            "EUR" => "€".to_string(),
            "GBP" => "£".to_string(),
            "USD" | "CAD" | "AUD" => "$".to_string(),
            "PLN" => "zł".to_string(),
            other => format!("{other} "),
        };
        let mut tag_names = Vec::with_capacity(tag_count as usize);
        for i in 0..tag_count.saturating_sub(1) {
            let name = match SPECIAL_TAGS.get(i as usize) {
                Some(s) => (*s).to_string(),
                None => {
                    let d = Draw::new(seed, KIND_TAGS, i);
                    let (_, loc) =
                        &locale::LOCALES[d.below(1, locale::LOCALES.len() as u64) as usize];
                    let city = loc.cities[d.below(2, loc.cities.len() as u64) as usize].0;
                    let topic = TAG_TOPICS[d.below(3, TAG_TOPICS.len() as u64) as usize];
                    format!("{topic} {city} {i}")
                }
            };
            tag_names.push(name);
        }
        tag_names.push("archived 2019 (no taggings)".to_string());
        Nation {
            seed,
            people,
            tag_count,
            donation_count,
            epoch,
            symbol,
            tag_names,
            null_membership_id: false,
        }
    }

    /// The highest id among base people (0 when there are none).
    pub(crate) fn max_base_id(&self) -> u64 {
        if self.people == 0 {
            0
        } else {
            base_id(self.people - 1)
        }
    }

    /// How many taggings a person has: 0..=6, mean 3.
    pub(crate) fn tagging_count(&self, id: u64) -> u64 {
        hash3(self.seed, KIND_TAGS, id) % 7
    }

    /// Tag id of person `id`'s tagging `j` (`j < tagging_count(id)`); never the last tag.
    pub(crate) fn tagging_tag(&self, id: u64, j: u64) -> u64 {
        let usable = self.tag_count - 1;
        let h = hash3(self.seed, KIND_TAGS, id ^ 0x5555_0000_0000);
        // A third of people start at tag 1 so the first tags are popular.
        let start = if h.is_multiple_of(3) {
            0
        } else {
            (h >> 8) % usable
        };
        1 + (start + j) % usable
    }

    /// Creation time of base person slot `slot`: increasing with the id, within [epoch-8y, epoch).
    pub(crate) fn base_created_at(&self, slot: u64) -> i64 {
        let n = self.people.max(1) as i64;
        let step = (HISTORY / n).max(1);
        let jitter = (hash3(self.seed, KIND_PERSON, slot) % step as u64) as i64;
        self.epoch - HISTORY + slot as i64 * HISTORY / n + jitter / 2
    }

    /// When person `id` (created at `created_at`) got tagging `j`.
    pub(crate) fn tagging_created_at(&self, id: u64, j: u64, created_at: i64) -> i64 {
        if created_at >= self.epoch {
            return created_at + j as i64;
        }
        let room = (self.epoch - created_at).max(1) as u64;
        created_at + (hash3(self.seed, KIND_TAGS ^ 0xAB, id * 8 + j) % room) as i64
    }

    /// Display name of tag `tag` (1-based).
    pub(crate) fn tag_name(&self, tag: u64) -> &str {
        self.tag_names
            .get((tag as usize).wrapping_sub(1))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Id of tag named `name`, if any.
    pub(crate) fn tag_by_name(&self, name: &str) -> Option<u64> {
        self.tag_names
            .iter()
            .position(|n| n == name)
            .map(|i| i as u64 + 1)
    }

    /// Number of precincts (ids `1..=n`, module `lists_precincts_relationships`): 30 per 1,000
    /// people, at least one. Here because people name them.
    pub(crate) fn precinct_count(&self) -> u64 {
        self.per_thousand(30)
    }

    /// `n` per 1,000 people of this nation, at least one (how the full exit's resources are
    /// sized).
    pub(crate) fn per_thousand(&self, n: u64) -> u64 {
        (self.people * n / 1000).max(1)
    }

    /// Range of donation ids whose donor slot is `slot` (before no-donor/deleted overrides).
    pub(crate) fn donations_of_slot(&self, slot: u64) -> std::ops::Range<u64> {
        if self.people == 0 || slot >= self.people {
            return 0..0;
        }
        let ceil = |x: u64| (x * self.donation_count).div_ceil(self.people);
        ceil(slot) + 1..ceil(slot + 1) + 1
    }

    /// Format cents as v2 `"12.50"`.
    pub(crate) fn amount_v2(cents: i64) -> String {
        format!("{}.{:02}", cents / 100, cents % 100)
    }

    /// Format cents as v1 `"€12.50"`.
    pub(crate) fn amount_v1(&self, cents: i64) -> String {
        format!("{}{}.{:02}", self.symbol, cents / 100, cents % 100)
    }
}

/// Whether person `id` is an organisation (`signup_type` 1, about 3 % of people).
pub(crate) fn is_organization(nation: &Nation, id: u64) -> bool {
    Draw::new(nation.seed, KIND_PERSON, id).pct(8, 3)
}

/// Id of base person slot `i`: every 50th id is a gap.
pub(crate) fn base_id(i: u64) -> u64 {
    i + 1 + i / 49
}

/// Smallest base slot whose id is ≥ `id` (for `id` within the base range).
pub(crate) fn base_slot_lower_bound(id: u64) -> u64 {
    if id == 0 {
        0
    } else {
        id - 1 - (id - 1) / 50
    }
}

/// Facts that churn and admin operations add on top of the generated person.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PersonOverride {
    /// Creation time for people created during the run.
    pub created_at: Option<i64>,
    /// Number of updates since generation (0 = as generated).
    pub version: u32,
    /// `updated_at` of the latest update.
    pub updated_at: Option<i64>,
}

/// A postal address.
#[derive(Clone, Debug)]
pub(crate) struct Address {
    pub address1: String,
    pub address2: Option<&'static str>,
    pub city: &'static str,
    pub state: &'static str,
    pub country_code: &'static str,
    pub zip: String,
    pub lat: f64,
    pub lng: f64,
    pub lat_as_string: bool,
    pub street_number: String,
    pub street_name: &'static str,
}

impl Address {
    fn generate(d: Draw, field: u64, loc: &'static Locale) -> Address {
        let city = loc.cities[d.below(field + 1, loc.cities.len() as u64) as usize];
        let street = loc.streets[d.below(field + 2, loc.streets.len() as u64) as usize];
        let number = 1 + d.below(field + 3, 180);
        let suffix = if d.pct(field + 4, 8) { "bis" } else { "" };
        let street_number = format!("{number}{suffix}");
        let address1 = match loc.street_style {
            StreetStyle::NumberFirst => format!("{street_number} {street}"),
            StreetStyle::NumberLast => format!("{street} {street_number}"),
        };
        let address2 = match d.below(field + 5, 10) {
            0 => Some("Bât. B, 3e étage"),
            1 => Some("Hinterhaus, 2. OG"),
            2 => Some(""),
            3 => Some("m. 14"),
            _ => None,
        };
        let mut zip = city.2.to_string();
        let mut z = d.u(field + 6);
        while zip.len() < loc.zip_len {
            zip.push(char::from(b'0' + (z % 10) as u8));
            z /= 10;
        }
        if loc.country == "PL" {
            zip.insert(2, '-');
        }
        let jitter = |f: u64| (d.below(field + f, 2001) as f64 - 1000.0) / 20_000.0;
        let round = |v: f64| (v * 1e6).round() / 1e6;
        Address {
            address1,
            address2,
            city: city.0,
            state: city.1,
            country_code: loc.country,
            zip,
            lat: round(city.3 + jitter(7)),
            lng: round(city.4 + jitter(8)),
            lat_as_string: d.pct(field + 9, 10),
            street_number,
            street_name: street,
        }
    }

    /// Writes the address object with the full v1 key set.
    pub(crate) fn write(&self, out: &mut String, html_safe: bool) {
        let mut o = Obj::open(out, None, html_safe);
        o.str("address1", &self.address1);
        o.opt_str("address2", self.address2);
        o.null("address3");
        o.str("city", self.city);
        o.null("county");
        o.str("state", self.state);
        o.str("country_code", self.country_code);
        o.str("zip", &self.zip);
        if self.lat_as_string {
            o.str("lat", &format!("{}", self.lat));
            o.str("lng", &format!("{}", self.lng));
        } else {
            o.float("lat", self.lat);
            o.float("lng", self.lng);
        }
        o.null("fips");
        o.str("street_number", &self.street_number);
        o.null("street_prefix");
        o.str("street_name", self.street_name);
        nulls!(
            o,
            "street_type",
            "street_suffix",
            "unit_number",
            "zip4",
            "zip5",
            "sort_sequence",
            "delivery_point",
            "lot",
            "carrier_route",
        );
        o.close();
    }
}

/// Writes an optional address (or `null`).
pub(crate) fn write_opt_address(out: &mut String, a: Option<&Address>, html_safe: bool) {
    match a {
        Some(a) => a.write(out, html_safe),
        None => out.push_str("null"),
    }
}

/// One generated person, in plain values; the v1 and v2 writers format it.
#[derive(Debug)]
pub(crate) struct Person {
    pub id: u64,
    pub zone: Zone,
    pub first_name: &'static str,
    pub middle_name: Option<&'static str>,
    pub last_name: &'static str,
    pub sex: Option<&'static str>,
    pub born: Option<(i64, u32, u32)>,
    pub created_at: i64,
    pub updated_at: i64,
    pub emails: [Option<String>; 4],
    pub email_bad: [bool; 4],
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub work_phone: Option<String>,
    pub email_opt_in: bool,
    pub mobile_opt_in: bool,
    pub do_not_call: bool,
    pub do_not_contact: bool,
    pub party: Option<&'static str>,
    pub support_level: Option<i64>,
    pub inferred_party: Option<&'static str>,
    pub inferred_support_level: Option<i64>,
    pub religion: Option<&'static str>,
    pub ethnicity: Option<&'static str>,
    pub note: Option<String>,
    pub occupation: Option<&'static str>,
    pub employer: Option<&'static str>,
    pub is_volunteer: bool,
    pub signup_type: i64,
    pub language: &'static str,
    pub primary_address: Option<Address>,
    pub home_address: Option<Address>,
    pub work_address: Option<Address>,
    pub mailing_address: Option<Address>,
    pub precinct_id: Option<u64>,
    pub external_id: Option<String>,
    pub membership_number: Option<String>,
    pub donor_score: f64,
    pub volunteer_hours: Option<i64>,
    pub newsletter_paper: bool,
    pub skills: Vec<&'static str>,
    pub contact_time: &'static str,
    pub joined_year: Option<f64>,
    pub legacy_crm_ref: Option<&'static str>,
}

impl Person {
    /// Generates person `id` with its churn override.
    pub(crate) fn generate(nation: &Nation, id: u64, slot: u64, ov: PersonOverride) -> Person {
        let d = Draw::new(nation.seed, KIND_PERSON, id);
        let v = Draw::new(
            nation.seed,
            KIND_VERSION,
            id ^ (u64::from(ov.version) << 40),
        );
        let loc = pick_locale(d.u(1));
        let (first_name, first_ascii) = d.pick(2, loc.first).unwrap_or(("", ""));
        let (last_name, last_ascii) = d.pick(3, loc.last).unwrap_or(("", ""));
        let (created_at, updated_at) = Person::times(nation, id, slot, ov);
        let zone = d.zone(6, 50);
        let email_count = match d.below(7, 20) {
            0..=1 => 0,
            2..=9 => 1,
            10..=15 => 2,
            16..=18 => 3,
            _ => 4,
        };
        let mut emails: [Option<String>; 4] = [None, None, None, None];
        let mut email_bad = [false; 4];
        for (k, slot_email) in emails.iter_mut().enumerate().take(email_count) {
            let e = make_email(d, 10 + k as u64 * 8, first_ascii, last_ascii, loc);
            email_bad[k] = e.1;
            *slot_email = Some(e.0);
        }
        let organization = is_organization(nation, id);
        let phone = make_phone(d, 50, loc, false);
        let mobile = make_phone(d, 60, loc, true);
        let work_phone = if d.pct(70, 15) {
            make_phone(d, 71, loc, false)
        } else {
            None
        };
        let support_level = if v.pct(1, 40) {
            None
        } else {
            Some(1 + v.below(2, 5) as i64)
        };
        let note = match v.below(3, 10) {
            0..=3 => None,
            4 => Some(String::new()),
            5 => {
                // A long note (several kilobytes) with mixed scripts and emoji.
                let mut s = String::with_capacity(4096);
                for k in 0..(20 + d.below(80, 30)) {
                    s.push_str(locale::NOTES[(k as usize + id as usize) % locale::NOTES.len()]);
                    s.push(' ');
                }
                Some(s)
            }
            _ => d.pick(81, locale::NOTES).map(str::to_string),
        };
        let born = if d.pct(90, 35) {
            None
        } else {
            Some((
                1940 + d.below(91, 65) as i64,
                1 + d.below(92, 12) as u32,
                1 + d.below(93, 28) as u32,
            ))
        };
        let has_address = !d.pct(100, 12);
        let primary_address = has_address.then(|| Address::generate(d, 200, loc));
        let home_address = if has_address && d.pct(101, 60) {
            primary_address.clone()
        } else {
            None
        };
        let work_address = if d.pct(102, 10) {
            Some(Address::generate(d, 220, loc))
        } else {
            None
        };
        let mailing_address = if d.pct(103, 5) {
            Some(Address::generate(d, 240, loc))
        } else {
            None
        };
        let skills_n = d.below(110, 4);
        let skills_start = d.below(111, locale::SKILLS.len() as u64);
        let skills = (0..skills_n)
            .map(|k| locale::SKILLS[((skills_start + k) % locale::SKILLS.len() as u64) as usize])
            .collect();
        Person {
            id,
            zone,
            first_name: if organization { "" } else { first_name },
            middle_name: match d.below(9, 10) {
                0 => None,
                1 => Some("Marie"),
                2 => Some("J."),
                _ => Some(""),
            },
            last_name: if organization {
                "Association Les Amis du Parc"
            } else {
                last_name
            },
            sex: match d.below(120, 10) {
                0..=3 => Some("F"),
                4..=6 => Some("M"),
                7 => Some("O"),
                8 => Some(""),
                _ => None,
            },
            born,
            created_at,
            updated_at,
            emails,
            email_bad,
            phone,
            mobile,
            work_phone,
            email_opt_in: email_count > 0 && d.pct(121, 70),
            mobile_opt_in: d.pct(122, 40),
            do_not_call: d.pct(123, 8),
            do_not_contact: d.pct(124, 3),
            party: d.pick(125, locale::PARTIES).filter(|_| d.pct(126, 70)),
            support_level,
            inferred_party: d.pick(127, locale::PARTIES).filter(|_| d.pct(128, 30)),
            inferred_support_level: d.pct(129, 25).then(|| 1 + d.below(130, 5) as i64),
            religion: d.pick(131, locale::RELIGIONS).filter(|_| d.pct(132, 6)),
            ethnicity: d.pick(133, locale::ETHNICITIES).filter(|_| d.pct(134, 4)),
            note,
            occupation: d.pick(135, locale::OCCUPATIONS).filter(|_| d.pct(136, 80)),
            employer: d.pick(137, locale::EMPLOYERS).filter(|_| d.pct(138, 70)),
            is_volunteer: d.pct(139, 15),
            signup_type: i64::from(organization),
            language: loc.language,
            primary_address,
            home_address,
            work_address,
            mailing_address,
            // One of the nation's precincts, so the reference resolves.
            precinct_id: d
                .pct(140, 30)
                .then(|| 1 + d.below(141, nation.precinct_count())),
            external_id: d
                .pct(142, 20)
                .then(|| format!("CRM-{:06}", d.below(143, 1_000_000))),
            membership_number: d.pct(150, 55).then(|| format!("M-{:07}", id)),
            donor_score: (d.below(151, 41) as f64) / 4.0,
            volunteer_hours: d.pct(152, 60).then(|| d.below(153, 400) as i64),
            newsletter_paper: d.pct(154, 20),
            skills,
            contact_time: ["morning", "evening", "weekend", ""][d.below(155, 4) as usize],
            joined_year: d.pct(156, 70).then(|| (2000 + d.below(157, 25)) as f64),
            legacy_crm_ref: match d.below(158, 20) {
                0 => Some("'; DROP TABLE people; --"),
                1 => Some("NULL"),
                2 => Some(""),
                _ => None,
            },
        }
    }

    /// `(created_at, updated_at)` of person `id` without generating the rest (used by scans).
    pub(crate) fn times(nation: &Nation, id: u64, slot: u64, ov: PersonOverride) -> (i64, i64) {
        let d = Draw::new(nation.seed, KIND_PERSON, id);
        let created_at = ov
            .created_at
            .unwrap_or_else(|| nation.base_created_at(slot));
        let updated_at = ov.updated_at.unwrap_or_else(|| {
            let age = (nation.epoch - created_at).max(1) as u64;
            if d.pct(4, 30) {
                created_at
            } else {
                created_at + (d.u(5) % age) as i64
            }
        });
        (created_at, updated_at)
    }

    /// Succeeded donations of this person: (count, total cents, first, last succeeded_at).
    pub(crate) fn donation_totals(
        nation: &Nation,
        id: u64,
        slot: u64,
    ) -> (i64, i64, Option<i64>, Option<i64>) {
        let mut totals = (0, 0, None, None);
        for did in nation.donations_of_slot(slot) {
            let don = Donation::generate(nation, did);
            if don.donor == Donor::Person(id) && don.status == DonationStatus::Succeeded {
                totals.0 += 1;
                totals.1 += don.amount_in_cents;
                if totals.2.is_none() {
                    totals.2 = don.succeeded_at;
                }
                totals.3 = don.succeeded_at;
            }
        }
        totals
    }

    /// The primary e-mail (`email` field): the first address, as stored.
    pub(crate) fn email(&self) -> Option<&str> {
        self.emails[0].as_deref()
    }

    /// `first last`, trimmed.
    pub(crate) fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }

    /// Writes the custom values as members of an already open object (v1 puts them at the top
    /// level, v2 inside `custom_values`).
    pub(crate) fn write_custom(&self, o: &mut Obj<'_>) {
        o.opt_str("membership_number", self.membership_number.as_deref());
        o.float("donor_score", self.donor_score);
        o.opt_int("volunteer_hours", self.volunteer_hours);
        o.bool("newsletter_paper", self.newsletter_paper);
        let html = o.html_safe();
        if o.key("skills") {
            json::string_array(o.out, self.skills.iter().copied(), html);
        }
        if o.key("preferences") {
            let mut p = Obj::open(o.out, None, html);
            p.str("contact_time", self.contact_time);
            if p.key("languages") {
                json::string_array(p.out, [self.language, "en"].into_iter(), html);
            }
            p.close();
        }
        match self.joined_year {
            Some(y) => o.float("joined_year", y),
            None => o.null("joined_year"),
        }
        o.opt_str("legacy_crm_ref", self.legacy_crm_ref);
    }

    /// `YYYY-MM-DD` birth date.
    pub(crate) fn born_string(&self) -> Option<String> {
        self.born.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
    }
}

fn pick_locale(h: u64) -> &'static Locale {
    let total: u32 = locale::LOCALES.iter().map(|(w, _)| *w).sum();
    let mut x = (h % u64::from(total.max(1))) as u32;
    for (w, loc) in locale::LOCALES {
        if x < *w {
            return loc;
        }
        x -= *w;
    }
    &locale::LOCALES[0].1
}

/// An e-mail address and whether it is marked bad. Some are upper-case, padded or invalid.
fn make_email(d: Draw, f: u64, first: &str, last: &str, loc: &Locale) -> (String, bool) {
    let domain = loc.domains[d.below(f, loc.domains.len() as u64) as usize];
    let local = match d.below(f + 1, 4) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}{}", d.below(f + 2, 100)),
        2 => format!("{}.{last}", first.chars().next().unwrap_or('x')),
        _ => format!("{last}.{first}+party"),
    };
    let mut email = format!("{local}@{domain}");
    let mut bad = false;
    match d.below(f + 3, 100) {
        0..=7 => email = email.to_uppercase(),
        8..=12 => email = format!("  {email} "),
        13..=15 => {
            email = match d.below(f + 4, 3) {
                0 => format!("{local}@"),
                1 => format!("{local}.{domain}"),
                _ => format!("{local}@@{domain}"),
            };
            bad = true;
        }
        16..=18 => bad = true,
        _ => {}
    }
    (email, bad)
}

/// A phone number in a tidy international or a messy national format, or none.
fn make_phone(d: Draw, f: u64, loc: &Locale, mobile: bool) -> Option<String> {
    let kind = d.below(f, 10);
    if kind < 3 {
        return if kind == 0 { Some(String::new()) } else { None };
    }
    let lead = if mobile {
        6 + d.below(f + 1, 2)
    } else {
        1 + d.below(f + 1, 5)
    };
    let rest = d.below(f + 2, 100_000_000);
    let national = format!("{lead}{rest:08}");
    let n = national.as_bytes();
    let pairs = |sep: &str| {
        let mut s = String::with_capacity(16);
        s.push(char::from(n[0]));
        for (i, c) in n[1..].iter().enumerate() {
            if i % 2 == 0 {
                s.push_str(sep);
            }
            s.push(char::from(*c));
        }
        s
    };
    Some(match kind {
        3 => format!("+{}{national}", loc.phone_cc),
        4 => format!("+{} {}", loc.phone_cc, pairs(" ")),
        5 => format!("0{}", pairs(".")),
        6 => format!("0{national} "),
        7 => format!("(0){}", pairs("-")),
        8 => format!("00{}{national}", loc.phone_cc),
        _ => format!("tel: 0{}", pairs(" ")),
    })
}

/// Status of a donation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DonationStatus {
    Succeeded,
    Failed,
    Canceled,
}

/// Who a donation points at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Donor {
    /// No donor recorded (`signup_id: null`).
    None,
    /// A person id; the person may have been deleted.
    Person(u64),
}

/// One generated donation.
#[derive(Debug)]
pub(crate) struct Donation {
    pub zone: Zone,
    pub donor: Donor,
    pub amount_in_cents: i64,
    pub status: DonationStatus,
    pub created_at: i64,
    pub updated_at: i64,
    pub succeeded_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub canceled_at: Option<i64>,
    pub payment_type: (&'static str, Option<&'static str>),
    pub check_number: Option<String>,
    pub is_private: bool,
    pub corporate: bool,
    pub note: Option<&'static str>,
    pub tracking_code: Option<&'static str>,
}

const AMOUNTS: &[i64] = &[
    500, 1000, 1250, 2000, 2500, 5000, 10_000, 25_000, 1999, 333, 100_000,
];
const PAYMENT_TYPES: &[(&str, Option<&str>)] = &[
    ("Credit Card", Some("D")),
    ("Credit Card", Some("D")),
    ("SEPA Direct Debit", None),
    ("Cash", Some("C")),
    ("Check", Some("K")),
    ("PayPal", None),
];

impl Donation {
    /// Generates donation `id` (1-based, ≤ `donation_count`).
    pub(crate) fn generate(nation: &Nation, id: u64) -> Donation {
        let d = Draw::new(nation.seed, KIND_DONATION, id);
        let dc = nation.donation_count.max(1);
        let slot = (id - 1) * nation.people / dc;
        let donor = match d.below(1, 100) {
            0..=3 => Donor::None,
            // A donor deleted before the export: a gap id.
            4..=6 => Donor::Person((base_id(slot) / 50 + 1) * 50),
            _ => Donor::Person(base_id(slot)),
        };
        let span = HISTORY as u64;
        let created_at =
            nation.epoch - HISTORY + ((id - 1) * span / dc) as i64 + (d.below(2, 3600)) as i64;
        let created_at = created_at.min(nation.epoch - 60);
        let status = match d.below(3, 100) {
            0..=84 => DonationStatus::Succeeded,
            85..=94 => DonationStatus::Failed,
            _ => DonationStatus::Canceled,
        };
        let settle = created_at + d.below(4, 40) as i64;
        let payment_type = PAYMENT_TYPES[d.below(5, PAYMENT_TYPES.len() as u64) as usize];
        let canceled_at = (status == DonationStatus::Canceled)
            .then(|| (settle + 86_400 * (1 + d.below(6, 20) as i64)).min(nation.epoch - 1));
        let updated_at = canceled_at.unwrap_or(settle);
        Donation {
            zone: d.zone(7, 50),
            donor,
            amount_in_cents: AMOUNTS[d.below(8, AMOUNTS.len() as u64) as usize],
            status,
            created_at,
            updated_at,
            succeeded_at: (status != DonationStatus::Failed).then_some(settle),
            failed_at: (status == DonationStatus::Failed).then_some(settle),
            canceled_at,
            payment_type,
            check_number: (payment_type.0 == "Check")
                .then(|| format!("{:07}", d.below(9, 10_000_000))),
            is_private: d.pct(10, 10),
            corporate: d.pct(11, 2),
            note: match d.below(12, 8) {
                0 => Some("Don en mémoire de Jean 🕊️"),
                1 => Some(""),
                _ => None,
            },
            tracking_code: d.pct(13, 30).then_some("spring-appeal"),
        }
    }

    /// The donor id, if any.
    pub(crate) fn donor_id(&self) -> Option<u64> {
        match self.donor {
            Donor::None => None,
            Donor::Person(id) => Some(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_skip_every_fiftieth() {
        assert_eq!(base_id(0), 1);
        assert_eq!(base_id(48), 49);
        assert_eq!(base_id(49), 51);
        assert_eq!(base_id(98), 101);
        for i in 0..10_000 {
            let id = base_id(i);
            assert_ne!(id % 50, 0);
            assert_eq!(base_slot_lower_bound(id), i);
        }
        assert_eq!(base_slot_lower_bound(50), 49);
        assert_eq!(base_slot_lower_bound(100), 98);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_089), (2025, 1, 1));
        let mut s = String::new();
        write_time(&mut s, EPOCH_BASE + 180 * 86_400, Zone::Local);
        assert_eq!(s, "2025-06-30T02:00:00+02:00");
        s.clear();
        write_time(&mut s, EPOCH_BASE, Zone::Utc);
        assert_eq!(s, "2025-01-01T00:00:00Z");
    }

    #[test]
    fn generation_is_deterministic_and_past() {
        let n = Nation::new(42, 1000, "EUR");
        let a = Person::generate(&n, 7, 6, PersonOverride::default());
        let b = Person::generate(&n, 7, 6, PersonOverride::default());
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        for slot in 0..1000 {
            let p = Person::generate(&n, base_id(slot), slot, PersonOverride::default());
            assert!(p.created_at <= p.updated_at && p.updated_at <= n.epoch);
        }
        assert_eq!(n.tag_count, 25);
        assert_eq!(n.donation_count, 400);
    }

    #[test]
    fn taggings_are_distinct_and_skip_last_tag() {
        let n = Nation::new(1, 1000, "EUR");
        let mut total = 0;
        for slot in 0..1000 {
            let id = base_id(slot);
            let k = n.tagging_count(id);
            total += k;
            let tags: std::collections::BTreeSet<u64> =
                (0..k).map(|j| n.tagging_tag(id, j)).collect();
            assert_eq!(tags.len() as u64, k);
            assert!(tags.iter().all(|t| *t >= 1 && *t < n.tag_count));
        }
        assert!((2500..3500).contains(&total));
    }

    #[test]
    fn donation_ranges_cover_all_donations() {
        let n = Nation::new(3, 997, "EUR");
        let mut seen = 0;
        for slot in 0..997 {
            for id in n.donations_of_slot(slot) {
                assert_eq!((id - 1) * n.people / n.donation_count, slot);
                seen += 1;
            }
        }
        assert_eq!(seen, n.donation_count);
    }
}
