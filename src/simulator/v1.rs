//! API v1 (classic REST, §3–§6): `people`, `people/count`, `people/:id`, `people/search`,
//! `people/:id/taggings`, `tags`, `tags/:tag/people`, `donations`, `donations/search`, and the
//! per-person routes of the registry (`people/:id/memberships`).
//!
//! Paging is token-based by default: `limit` (default 10, max 100) and opaque `__nonce` /
//! `__token` values in relative `next`/`prev` links. The token is a cursor over ids (the last id
//! served, or for `prev` the first), bound to the endpoint and its filters and sealed with the
//! seed, so it is churn-safe and tampering is detected. Behind a switch, the legacy page-based
//! envelope (`page`, `per_page`, `total`, `total_pages`) is offset-based instead. Strings are
//! written the Rails way, with `&` as `\u0026`.

use std::fmt::Write as _;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::data::{self, hash3, Donation, Nation, Person, Zone};
use super::json::{self, nulls, Obj};
use super::lists_precincts_relationships;
use super::membership::{self, Membership, MembershipType};
use super::paging::{self, Bounds, KeySpace, Params, View};
use super::resources;
use super::surveys_pledges_petitions;
use super::v2::Resp;
use super::{Oversize, Shared, V1Paging};

/// Keys of the full person (§5.2) beyond the abbreviated set, with the value used when the
/// simulator has nothing better, in the order of the real 2018 recording.
const FULL_EXTRA: &[(&str, &str)] = &[
    ("active_customer_expires_at", "null"),
    ("active_customer_started_at", "null"),
    ("author", "null"),
    ("author_id", "null"),
    ("auto_import_id", "null"),
    ("availability", "null"),
    ("ballots", "[]"),
    ("banned_at", "null"),
    ("billing_address", "null"),
    ("bio", "null"),
    ("call_status_id", "null"),
    ("call_status_name", "null"),
    ("capital_amount_in_cents", "0"),
    ("children_count", "0"),
    ("church", "null"),
    ("city_sub_district", "null"),
    ("closed_invoices_amount_in_cents", "0"),
    ("closed_invoices_count", "null"),
    ("contact_status_id", "null"),
    ("contact_status_name", "null"),
    ("could_vote_status", "false"),
    ("demo", "null"),
    ("donations_amount_in_cents", "0"),
    ("donations_amount_this_cycle_in_cents", "0"),
    ("donations_count", "0"),
    ("donations_count_this_cycle", "0"),
    ("donations_pledged_amount_in_cents", "0"),
    ("donations_raised_amount_in_cents", "0"),
    ("donations_raised_amount_this_cycle_in_cents", "0"),
    ("donations_raised_count", "0"),
    ("donations_raised_count_this_cycle", "0"),
    ("donations_to_raise_amount_in_cents", "0"),
    ("email1", "\"bob@example.com\""),
    ("email1_is_bad", "false"),
    ("email2", "null"),
    ("email2_is_bad", "false"),
    ("email3", "null"),
    ("email3_is_bad", "false"),
    ("email4", "null"),
    ("email4_is_bad", "false"),
    ("emails", "[{\"email_address\": \"bob@example.com\", \"email_number\": 1, \"is_bad\": false, \"is_primary\": true}]"),
    ("ethnicity", "null"),
    ("facebook_address", "null"),
    ("facebook_profile_url", "null"),
    ("facebook_updated_at", "null"),
    ("facebook_username", "null"),
    ("fax_number", "null"),
    ("federal_donotcall", "false"),
    ("first_donated_at", "null"),
    ("first_fundraised_at", "null"),
    ("first_invoice_at", "null"),
    ("first_prospect_at", "null"),
    ("first_recruited_at", "null"),
    ("first_supporter_at", "\"2018-10-30T20:24:02Z\""),
    ("first_volunteer_at", "null"),
    ("full_name", "\"Bob Smith\""),
    ("home_address", "null"),
    ("identity_mappings", "[]"),
    ("import_id", "null"),
    ("inferred_party", "null"),
    ("inferred_support_level", "null"),
    ("invoice_payments_amount_in_cents", "0"),
    ("invoice_payments_referred_amount_in_cents", "0"),
    ("invoices_amount_in_cents", "0"),
    ("invoices_count", "null"),
    ("is_absentee_voter", "null"),
    ("is_active_voter", "null"),
    ("is_deceased", "false"),
    ("is_donor", "false"),
    ("is_dropped_from_file", "null"),
    ("is_early_voter", "null"),
    ("is_fundraiser", "false"),
    ("is_ignore_donation_limits", "false"),
    ("is_leaderboardable", "true"),
    ("is_mobile_bad", "false"),
    ("is_permanent_absentee_voter", "null"),
    ("is_possible_duplicate", "false"),
    ("is_profile_private", "false"),
    ("is_profile_searchable", "true"),
    ("is_prospect", "false"),
    ("is_supporter", "true"),
    ("is_survey_question_private", "false"),
    ("language", "null"),
    ("last_call_id", "null"),
    ("last_contacted_at", "null"),
    ("last_contacted_by", "null"),
    ("last_donated_at", "null"),
    ("last_fundraised_at", "null"),
    ("last_invoice_at", "null"),
    ("last_rule_violation_at", "null"),
    ("legal_name", "null"),
    ("locale", "null"),
    ("mailing_address", "null"),
    ("marital_status", "null"),
    ("media_market_name", "null"),
    ("meetup_id", "null"),
    ("meetup_address", "null"),
    ("mobile_normalized", "null"),
    ("nbec_precinct_code", "null"),
    ("nbec_precinct", "null"),
    ("note_updated_at", "null"),
    ("outstanding_invoices_amount_in_cents", "0"),
    ("outstanding_invoices_count", "null"),
    ("overdue_invoices_count", "0"),
    ("page_slug", "null"),
    ("parent", "null"),
    ("parent_id", "null"),
    ("party_member", "null"),
    ("phone_normalized", "null"),
    ("phone_time", "null"),
    ("precinct_code", "null"),
    ("precinct_name", "null"),
    ("prefix", "null"),
    ("previous_party", "null"),
    ("primary_email_id", "1"),
    ("priority_level", "null"),
    ("priority_level_changed_at", "null"),
    ("profile_content", "null"),
    ("profile_content_html", "null"),
    ("profile_headline", "null"),
    ("received_capital_amount_in_cents", "0"),
    ("recruiter", "null"),
    ("recruits_count", "0"),
    ("registered_address", "null"),
    ("registered_at", "null"),
    ("religion", "null"),
    ("rule_violations_count", "0"),
    ("signup_sources", "[]"),
    ("spent_capital_amount_in_cents", "0"),
    ("submitted_address", "null"),
    ("subnations", "[]"),
    ("suffix", "null"),
    ("support_level_changed_at", "null"),
    ("support_probability_score", "null"),
    ("township", "null"),
    ("turnout_probability_score", "null"),
    ("twitter_address", "null"),
    ("twitter_description", "null"),
    ("twitter_followers_count", "null"),
    ("twitter_friends_count", "null"),
    ("twitter_location", "null"),
    ("twitter_login", "null"),
    ("twitter_updated_at", "null"),
    ("twitter_website", "null"),
    ("unsubscribed_at", "null"),
    ("user_submitted_address", "null"),
    ("username", "null"),
    ("voter_updated_at", "null"),
    ("warnings_count", "0"),
    ("website", "null"),
    ("work_address", "null"),
];

const PROFILE_IMAGE: &str =
    "https://d3n8a8pro7vhmx.cloudfront.net/assets/notifier/profile-avatar.png";

/// Direction of a cursor.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dir {
    /// Records after the key.
    Next,
    /// Records before the key.
    Prev,
}

/// Digest of the endpoint and its filters, so a token only works where it was issued.
fn digest(path: &str, params: &Params) -> u64 {
    let mut h = data::splitmix(path.len() as u64);
    for b in path.bytes() {
        h = data::splitmix(h ^ u64::from(b));
    }
    let mut filters: Vec<&(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| !is_paging_param(k))
        .collect();
    filters.sort();
    for (k, v) in filters {
        for b in k.bytes().chain([b'=']).chain(v.bytes()).chain([b'&']) {
            h = data::splitmix(h ^ u64::from(b));
        }
    }
    h
}

fn is_paging_param(k: &str) -> bool {
    matches!(
        k,
        "limit" | "__nonce" | "__token" | "access_token" | "page" | "per_page"
    )
}

fn keystream(seed: u64, nonce: &[u8; 16]) -> [u8; 32] {
    let a = u64::from_le_bytes(nonce[..8].try_into().unwrap_or_default());
    let b = u64::from_le_bytes(nonce[8..].try_into().unwrap_or_default());
    let mut ks = [0u8; 32];
    for (i, chunk) in ks.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&hash3(seed, a ^ i as u64, b).to_le_bytes());
    }
    ks
}

/// Seals a cursor into (`__nonce`, `__token`): 22 and 44 base64url characters, the token
/// starting with `A` like the real ones.
fn seal(seed: u64, digest: u64, dir: Dir, key: u64) -> (String, String) {
    let d = dir as u64;
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&hash3(seed, key ^ (d << 63), digest).to_le_bytes());
    nonce[8..].copy_from_slice(&hash3(seed ^ 0x4E4F_4E43, key, digest ^ d).to_le_bytes());
    let mac = hash3(seed ^ 0x004D_4143, key ^ (d << 63), digest);
    let mut payload = [0u8; 32];
    payload[..8].copy_from_slice(&key.to_le_bytes());
    payload[8..16].copy_from_slice(&digest.to_le_bytes());
    payload[16..24].copy_from_slice(&mac.to_le_bytes());
    payload[24..].copy_from_slice(&hash3(seed, mac, 1).to_le_bytes());
    let ks = keystream(seed, &nonce);
    let mut token = Vec::with_capacity(33);
    token.push(d as u8);
    token.extend(payload.iter().zip(ks.iter()).map(|(p, k)| p ^ k));
    (URL_SAFE_NO_PAD.encode(nonce), URL_SAFE_NO_PAD.encode(token))
}

/// Opens a cursor; `None` if the token is malformed, tampered with or from another endpoint.
fn open(seed: u64, digest: u64, nonce: &str, token: &str) -> Option<(Dir, u64)> {
    let nonce: [u8; 16] = URL_SAFE_NO_PAD.decode(nonce).ok()?.try_into().ok()?;
    let token = URL_SAFE_NO_PAD.decode(token).ok()?;
    if token.len() != 33 {
        return None;
    }
    let dir = match token[0] {
        0 => Dir::Next,
        1 => Dir::Prev,
        _ => return None,
    };
    let ks = keystream(seed, &nonce);
    let mut payload = [0u8; 32];
    for (i, p) in payload.iter_mut().enumerate() {
        *p = token[1 + i] ^ ks[i];
    }
    let key = u64::from_le_bytes(payload[..8].try_into().ok()?);
    let dig = u64::from_le_bytes(payload[8..16].try_into().ok()?);
    let mac = u64::from_le_bytes(payload[16..24].try_into().ok()?);
    let d = dir as u64;
    (dig == digest && mac == hash3(seed ^ 0x004D_4143, key ^ (d << 63), digest))
        .then_some((dir, key))
}

/// One v1 collection request, ready to page.
pub(super) struct Listing<'a> {
    pub path: &'a str,
    pub kind: KeySpace,
    pub pred: Option<paging::Pred<'a>>,
    /// Keys outside these bounds are never listed (a per-person route's id range).
    pub within: Bounds,
}

/// Handles `GET /api/v1/<rest>`.
pub(crate) fn handle(shared: &Shared, view: View<'_>, rest: &str, params: &Params) -> Resp {
    let nation = view.nation;
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["people"] => list(
            shared,
            view,
            params,
            Listing {
                path: "people",
                kind: KeySpace::People,
                pred: None,
                within: Bounds::default(),
            },
            &|o, k| write_abbreviated(o, view, k),
        ),
        ["people", "count"] => {
            let mut body = String::new();
            let _ = write!(body, "{{\"people_count\":{}}}", view.state.people_count());
            Resp { status: 200, body }
        }
        ["people", "search"] => {
            let filters = match PeopleSearch::parse(params) {
                Ok(f) => f,
                Err(resp) => return resp,
            };
            let pred = |k: u64| filters.matches(view, k);
            list(
                shared,
                view,
                params,
                Listing {
                    path: "people/search",
                    kind: KeySpace::People,
                    pred: Some(&pred),
                    within: Bounds::default(),
                },
                &|o, k| write_abbreviated(o, view, k),
            )
        }
        ["people", id] => match id
            .parse::<u64>()
            .ok()
            .and_then(|id| view.state.live_slot(nation, id).map(|s| (id, s)))
        {
            Some((id, slot)) => show_person(view, id, slot),
            None => Resp::error(404, "not_found", "Record not found"),
        },
        ["people", id, "memberships"] => {
            match id
                .parse::<u64>()
                .ok()
                .filter(|id| view.state.live_slot(nation, *id).is_some())
            {
                Some(person) => per_person_memberships(shared, view, params, person),
                None => Resp::error(404, "not_found", "Record not found"),
            }
        }
        ["people", id, "taggings"] => match id
            .parse::<u64>()
            .ok()
            .filter(|id| view.state.live_slot(nation, *id).is_some())
        {
            Some(id) => {
                let mut body = String::with_capacity(256);
                body.push_str("{\"taggings\":[");
                for j in 0..nation.tagging_count(id) {
                    if j > 0 {
                        body.push(',');
                    }
                    let _ = write!(body, "{{\"person_id\":{id},\"tag\":");
                    json::string(&mut body, nation.tag_name(nation.tagging_tag(id, j)), true);
                    body.push('}');
                }
                body.push_str("]}");
                Resp { status: 200, body }
            }
            None => Resp::error(404, "not_found", "Record not found"),
        },
        ["tags"] => list(
            shared,
            view,
            params,
            Listing {
                path: "tags",
                kind: listing_keys("tags"),
                pred: None,
                within: Bounds::default(),
            },
            &|o, k| {
                let mut t = Obj::open(o, None, true);
                t.str("name", nation.tag_name(k));
                t.int(
                    "taggings_count",
                    view.state
                        .tag_counts
                        .get((k - 1) as usize)
                        .copied()
                        .unwrap_or(0) as i64,
                );
                t.close();
            },
        ),
        ["tags", tag, "people"] => {
            let name = percent_decode(tag);
            let tag_id = nation.tag_by_name(&name).unwrap_or(0);
            let pred = |k: u64| {
                tag_id != 0
                    && (0..nation.tagging_count(k)).any(|j| nation.tagging_tag(k, j) == tag_id)
            };
            let path = format!("tags/{}/people", paging::encode(&name));
            list(
                shared,
                view,
                params,
                Listing {
                    path: &path,
                    kind: KeySpace::People,
                    pred: Some(&pred),
                    within: Bounds::default(),
                },
                &|o, k| write_abbreviated(o, view, k),
            )
        }
        ["donations"] => list(
            shared,
            view,
            params,
            Listing {
                path: "donations",
                kind: listing_keys("donations"),
                pred: None,
                within: Bounds::default(),
            },
            &|o, k| write_donation(o, view, k),
        ),
        ["donations", "search"] => {
            let filters = match DonationSearch::parse(params) {
                Ok(f) => f,
                Err(resp) => return resp,
            };
            let pred = |k: u64| filters.matches(nation, k);
            list(
                shared,
                view,
                params,
                Listing {
                    path: "donations/search",
                    kind: listing_keys("donations"),
                    pred: Some(&pred),
                    within: Bounds::default(),
                },
                &|o, k| write_donation(o, view, k),
            )
        }
        _ => Resp::error(404, "not_found", "Record not found"),
    }
}

/// The key space of the resource v1 lists at `path`.
pub(super) fn listing_keys(name: &str) -> KeySpace {
    resources::by_name(name).map_or(KeySpace::People, |r| r.keys)
}

/// `GET /people/:id/memberships` (§4): token-paginated results of `{name, person_id,
/// expires_on, started_at, created_at, updated_at, status, status_reason}` in the order of the
/// docs example. v1 names the type instead of giving its id; a membership whose type was
/// deleted keeps the deleted type's name.
fn per_person_memberships(shared: &Shared, view: View<'_>, params: &Params, person: u64) -> Resp {
    let ids = membership::of_person(view.nation, &view.state.memberships, person);
    // A person's memberships sit in a narrow id range (plus any created during the run), so
    // the listing walks that range only, not the whole nation's memberships.
    let within = match (ids.first(), ids.last()) {
        (Some(&lo), Some(&hi)) => Bounds { lo, hi },
        _ => Bounds { lo: 1, hi: 0 },
    };
    let pred = |k: u64| ids.contains(&k);
    let path = format!("people/{person}/memberships");
    list(
        shared,
        view,
        params,
        Listing {
            path: &path,
            kind: listing_keys("memberships"),
            pred: Some(&pred),
            within,
        },
        &|o, k| write_membership(o, view, k),
    )
}

fn write_membership(out: &mut String, view: View<'_>, id: u64) {
    let m = Membership::generate(view.nation, &view.state.memberships, id);
    let z = m.zone;
    let mut o = Obj::open(out, None, true);
    o.opt_str(
        "name",
        MembershipType::generate(view.nation, m.membership_type_id).map(|t| t.name),
    );
    o.int("person_id", m.signup_id as i64);
    o.opt_str("expires_on", m.expires_on.map(Membership::date).as_deref());
    time(&mut o, "started_at", Some(m.started_at), z);
    time(&mut o, "created_at", Some(m.created_at), z);
    time(&mut o, "updated_at", Some(m.updated_at), z);
    o.str("status", m.status.as_str());
    o.opt_str("status_reason", m.status_reason);
    o.close();
}

pub(super) fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn bad_request(message: &str) -> Resp {
    Resp::error(400, "bad_request", message)
}

fn parse_limit(shared: &Shared, params: &Params, name: &str) -> Result<u64, Resp> {
    let limit = match params.get(name).map(|v| v.trim().parse::<u64>()) {
        None => 10,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Err(bad_request(&format!("{name} must be a positive integer"))),
    };
    if limit > 100 {
        return match shared.config.variants.oversize_page {
            Oversize::Clamp => Ok(100),
            Oversize::Error => Err(bad_request(&format!(
                "{name} must be less than or equal to 100"
            ))),
        };
    }
    Ok(limit)
}

/// Pages a v1 collection with the configured envelope.
pub(super) fn list(
    shared: &Shared,
    view: View<'_>,
    params: &Params,
    listing: Listing<'_>,
    write: &dyn Fn(&mut String, u64),
) -> Resp {
    match shared.config.variants.v1_paging {
        V1Paging::Token => list_token(shared, view, params, listing, write),
        V1Paging::Legacy => list_legacy(shared, view, params, listing, write),
    }
}

fn write_results(body: &mut String, keys: &[u64], write: &dyn Fn(&mut String, u64)) {
    body.push_str("\"results\":[");
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        write(body, *k);
    }
    body.push(']');
}

fn list_token(
    shared: &Shared,
    view: View<'_>,
    params: &Params,
    listing: Listing<'_>,
    write: &dyn Fn(&mut String, u64),
) -> Resp {
    let limit = match parse_limit(shared, params, "limit") {
        Ok(l) => l,
        Err(r) => return r,
    };
    let seed = shared.config.seed;
    let dig = digest(listing.path, params);
    let cursor = match (params.get("__nonce"), params.get("__token")) {
        (None, None) => None,
        (Some(n), Some(t)) => match open(seed, dig, n, t) {
            Some(c) => Some(c),
            None => {
                return bad_request(
                    "Invalid pagination token. Please start again from the first page.",
                )
            }
        },
        _ => return bad_request("__nonce and __token must be given together"),
    };
    let (kind, pred, w) = (listing.kind, listing.pred, listing.within);
    let clip = |b: Bounds| Bounds {
        lo: b.lo.max(w.lo),
        hi: b.hi.min(w.hi),
    };
    let keys = match cursor {
        None => view.collect(kind, w, pred, 0, limit, false),
        Some((Dir::Next, after)) => view.collect(
            kind,
            clip(Bounds {
                lo: after.saturating_add(1),
                hi: u64::MAX,
            }),
            pred,
            0,
            limit,
            false,
        ),
        Some((Dir::Prev, before)) => {
            let mut k = if before == 0 {
                Vec::new()
            } else {
                view.collect(
                    kind,
                    clip(Bounds {
                        lo: 0,
                        hi: before - 1,
                    }),
                    pred,
                    0,
                    limit,
                    true,
                )
            };
            k.reverse();
            k
        }
    };
    let next = keys.last().and_then(|&last| {
        let more = view.collect(
            kind,
            clip(Bounds {
                lo: last.saturating_add(1),
                hi: u64::MAX,
            }),
            pred,
            0,
            1,
            false,
        );
        (!more.is_empty()).then(|| {
            link(
                shared,
                listing.path,
                params,
                limit,
                seal(seed, dig, Dir::Next, last),
            )
        })
    });
    let prev = match (cursor, keys.first()) {
        (None, _) => None,
        (Some(_), Some(&first)) => {
            let before = if first == 0 {
                Vec::new()
            } else {
                view.collect(
                    kind,
                    clip(Bounds {
                        lo: 0,
                        hi: first - 1,
                    }),
                    pred,
                    0,
                    1,
                    true,
                )
            };
            (!before.is_empty()).then(|| {
                link(
                    shared,
                    listing.path,
                    params,
                    limit,
                    seal(seed, dig, Dir::Prev, first),
                )
            })
        }
        (Some((_, key)), None) => Some(link(
            shared,
            listing.path,
            params,
            limit,
            seal(seed, dig, Dir::Prev, key.saturating_add(1)),
        )),
    };
    let mut body = String::with_capacity(keys.len() * 2600 + 512);
    body.push('{');
    write_results(&mut body, &keys, write);
    body.push_str(",\"next\":");
    write_opt(&mut body, next.as_deref());
    body.push_str(",\"prev\":");
    write_opt(&mut body, prev.as_deref());
    body.push('}');
    Resp { status: 200, body }
}

fn write_opt(body: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json::string(body, s, true),
        None => body.push_str("null"),
    }
}

/// A relative link carrying the cursor, `limit` (unless dropped) and the filters.
fn link(
    shared: &Shared,
    path: &str,
    params: &Params,
    limit: u64,
    (nonce, token): (String, String),
) -> String {
    let mut s = format!("/api/v1/{path}?__nonce={nonce}&__token={token}");
    if !shared.config.variants.v1_drop_limit {
        let _ = write!(s, "&limit={limit}");
    }
    for (k, v) in &params.0 {
        if !is_paging_param(k) {
            let _ = write!(s, "&{}={}", paging::encode(k), paging::encode(v));
        }
    }
    s
}

fn list_legacy(
    shared: &Shared,
    view: View<'_>,
    params: &Params,
    listing: Listing<'_>,
    write: &dyn Fn(&mut String, u64),
) -> Resp {
    let per_page = match parse_limit(shared, params, "per_page") {
        Ok(l) => l,
        Err(r) => return r,
    };
    let page = match params.get("page").map(|v| v.trim().parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return bad_request("page must be a positive integer"),
    };
    let total = view.count(listing.kind, listing.within, listing.pred);
    let keys = view.collect(
        listing.kind,
        listing.within,
        listing.pred,
        (page - 1).saturating_mul(per_page),
        per_page,
        false,
    );
    let mut body = String::with_capacity(keys.len() * 2600 + 512);
    let _ = write!(
        body,
        "{{\"page\":{page},\"total_pages\":{},\"per_page\":{per_page},\"total\":{total},",
        total.div_ceil(per_page)
    );
    write_results(&mut body, &keys, write);
    body.push_str(",\"next\":null,\"prev\":null}");
    Resp { status: 200, body }
}

/// Filters of `people/search`.
struct PeopleSearch {
    updated_since: Option<i64>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
}

impl PeopleSearch {
    fn parse(params: &Params) -> Result<Self, Resp> {
        let updated_since = match params.get("updated_since") {
            Some(v) => Some(
                paging::parse_time(v)
                    .ok_or_else(|| bad_request("updated_since must be an ISO 8601 timestamp"))?,
            ),
            None => None,
        };
        Ok(PeopleSearch {
            updated_since,
            first_name: params.get("first_name").map(str::to_string),
            last_name: params.get("last_name").map(str::to_string),
            email: params.get("email").map(|e| e.trim().to_lowercase()),
        })
    }

    fn matches(&self, view: View<'_>, id: u64) -> bool {
        let nation = view.nation;
        let slot = view.state.slot_lower_bound(nation, id);
        let ov = view.state.person_override(nation, id, slot);
        if let Some(since) = self.updated_since {
            if Person::times(nation, id, slot, ov).1 < since {
                return false;
            }
        }
        if self.first_name.is_none() && self.last_name.is_none() && self.email.is_none() {
            return true;
        }
        let p = Person::generate(nation, id, slot, ov);
        self.first_name.as_deref().is_none_or(|f| f == p.first_name)
            && self.last_name.as_deref().is_none_or(|l| l == p.last_name)
            && self.email.as_deref().is_none_or(|e| {
                p.emails
                    .iter()
                    .flatten()
                    .any(|x| x.trim().to_lowercase() == e)
            })
    }
}

/// Filters of `donations/search`.
struct DonationSearch {
    created_since: Option<i64>,
    succeeded_since: Option<i64>,
    failed_since: Option<i64>,
    donor_id: Option<u64>,
}

impl DonationSearch {
    fn parse(params: &Params) -> Result<Self, Resp> {
        let time = |name: &str| -> Result<Option<i64>, Resp> {
            match params.get(name) {
                Some(v) => paging::parse_time(v)
                    .map(Some)
                    .ok_or_else(|| bad_request(&format!("{name} must be an ISO 8601 timestamp"))),
                None => Ok(None),
            }
        };
        let donor_id = match params.get("donor_id") {
            Some(v) => Some(
                v.trim()
                    .parse()
                    .map_err(|_| bad_request("donor_id must be an integer"))?,
            ),
            None => None,
        };
        Ok(DonationSearch {
            created_since: time("created_since")?,
            succeeded_since: time("succeeded_since")?,
            failed_since: time("failed_since")?,
            donor_id,
        })
    }

    fn matches(&self, nation: &Nation, id: u64) -> bool {
        let d = Donation::generate(nation, id);
        self.created_since.is_none_or(|t| d.created_at >= t)
            && self
                .succeeded_since
                .is_none_or(|t| d.succeeded_at.is_some_and(|s| s >= t))
            && self
                .failed_since
                .is_none_or(|t| d.failed_at.is_some_and(|s| s >= t))
            && self.donor_id.is_none_or(|p| d.donor_id() == Some(p))
    }
}

fn time(o: &mut Obj<'_>, name: &str, t: Option<i64>, zone: Zone) {
    if o.key(name) {
        match t {
            Some(t) => data::time_json(o.out, t, zone),
            None => o.out.push_str("null"),
        }
    }
}

/// Writes the abbreviated person keys (§5.1) into an open object, without custom fields.
fn abbreviated_keys(o: &mut Obj<'_>, view: View<'_>, p: &Person) {
    let nation = view.nation;
    let z = p.zone;
    o.opt_str("birthdate", p.born_string().as_deref());
    nulls!(
        o,
        "city_district",
        "civicrm_id",
        "county_district",
        "county_file_id",
    );
    time(o, "created_at", Some(p.created_at), z);
    o.null("datatrust_id");
    o.bool("do_not_call", p.do_not_call);
    o.bool("do_not_contact", p.do_not_contact);
    o.null("dw_id");
    o.opt_str("email", p.email());
    o.bool("email_opt_in", p.email_opt_in);
    o.opt_str("employer", p.employer);
    o.opt_str("external_id", p.external_id.as_deref());
    nulls!(o, "federal_district", "fire_district");
    o.str("first_name", p.first_name);
    o.bool("has_facebook", false);
    o.int("id", p.id as i64);
    o.bool("is_twitter_follower", false);
    o.bool("is_volunteer", p.is_volunteer);
    nulls!(o, "judicial_district", "labour_region");
    o.str("last_name", p.last_name);
    o.null("linkedin_id");
    o.opt_str("mobile", p.mobile.as_deref());
    o.bool("mobile_opt_in", p.mobile_opt_in);
    o.opt_str("middle_name", p.middle_name);
    nulls!(o, "nbec_guid", "ngp_id");
    o.opt_str("note", p.note.as_deref());
    o.opt_str("occupation", p.occupation);
    o.opt_str("party", p.party);
    o.null("pf_strat_id");
    o.opt_str("phone", p.phone.as_deref());
    o.opt_int("precinct_id", p.precinct_id.map(|v| v as i64));
    if o.key("primary_address") {
        data::write_opt_address(o.out, p.primary_address.as_ref(), true);
    }
    o.str("profile_image_url_ssl", PROFILE_IMAGE);
    o.opt_int(
        "recruiter_id",
        lists_precincts_relationships::person_refs(nation, p.id)
            .recruiter_id
            .map(|v| v as i64),
    );
    nulls!(
        o,
        "rnc_id",
        "rnc_regid",
        "salesforce_id",
        "school_district",
        "school_sub_district",
    );
    o.opt_str("sex", p.sex);
    o.int("signup_type", p.signup_type);
    nulls!(
        o,
        "state_file_id",
        "state_lower_district",
        "state_upper_district",
    );
    o.opt_int("support_level", p.support_level);
    o.null("supranational_district");
    if o.key("tags") {
        json::string_array(
            o.out,
            (0..nation.tagging_count(p.id)).map(|j| nation.tag_name(nation.tagging_tag(p.id, j))),
            true,
        );
    }
    nulls!(o, "twitter_id", "twitter_name");
    time(o, "updated_at", Some(p.updated_at), z);
    nulls!(o, "van_id", "village_district", "ward");
    o.opt_str("work_phone_number", p.work_phone.as_deref());
}

fn person_of(view: View<'_>, id: u64) -> Person {
    let slot = view.state.slot_lower_bound(view.nation, id);
    Person::generate(
        view.nation,
        id,
        slot,
        view.state.person_override(view.nation, id, slot),
    )
}

/// An abbreviated person with custom fields as top-level keys.
pub(super) fn write_abbreviated(out: &mut String, view: View<'_>, id: u64) {
    let p = person_of(view, id);
    let mut o = Obj::open(out, None, true);
    abbreviated_keys(&mut o, view, &p);
    p.write_custom(&mut o);
    o.close();
}

fn digits(s: Option<&str>) -> Option<String> {
    s.map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|d| !d.is_empty())
}

fn show_person(view: View<'_>, id: u64, slot: u64) -> Resp {
    let nation = view.nation;
    let p = person_of(view, id);
    let refs = lists_precincts_relationships::person_refs(nation, id);
    let z = p.zone;
    let (don_count, don_amount, first_don, last_don) = Person::donation_totals(nation, id, slot);
    let mut body = String::with_capacity(12_000);
    body.push_str("{\"person\":");
    let mut o = Obj::open(&mut body, None, true);
    abbreviated_keys(&mut o, view, &p);
    for (name, default) in FULL_EXTRA {
        match *name {
            "donations_amount_in_cents" => o.int(name, don_amount),
            "donations_count" => o.int(name, don_count),
            "first_donated_at" => time(&mut o, name, first_don, z),
            "last_donated_at" => time(&mut o, name, last_don, z),
            "is_donor" => o.bool(name, don_count > 0),
            "email1" | "email2" | "email3" | "email4" => {
                let k = (name.as_bytes()[5] - b'1') as usize;
                o.opt_str(name, p.emails[k].as_deref());
            }
            "email1_is_bad" | "email2_is_bad" | "email3_is_bad" | "email4_is_bad" => {
                let k = (name.as_bytes()[5] - b'1') as usize;
                o.bool(name, p.email_bad[k]);
            }
            "emails" => {
                if o.key(name) {
                    let html = true;
                    o.out.push('[');
                    let mut first = true;
                    for (k, e) in p.emails.iter().enumerate() {
                        let Some(e) = e else { continue };
                        if !first {
                            o.out.push(',');
                        }
                        first = false;
                        let mut eo = Obj::open(o.out, None, html);
                        eo.str("email_address", e);
                        eo.int("email_number", k as i64 + 1);
                        eo.bool("is_bad", p.email_bad[k]);
                        eo.bool("is_primary", k == 0);
                        eo.close();
                    }
                    o.out.push(']');
                }
            }
            "ethnicity" => o.opt_str(name, p.ethnicity),
            "religion" => o.opt_str(name, p.religion),
            "inferred_party" => o.opt_str(name, p.inferred_party),
            "inferred_support_level" => o.opt_int(name, p.inferred_support_level),
            "first_supporter_at" => time(&mut o, name, Some(p.created_at), z),
            "first_volunteer_at" => time(&mut o, name, p.is_volunteer.then_some(p.created_at), z),
            "full_name" => o.str(name, &p.full_name()),
            "language" | "locale" => o.str(name, p.language),
            "author_id" => o.opt_int(name, refs.author_id.map(|v| v as i64)),
            "parent_id" => o.opt_int(name, refs.parent_id.map(|v| v as i64)),
            "home_address" | "work_address" | "mailing_address" => {
                let a = match *name {
                    "home_address" => p.home_address.as_ref(),
                    "work_address" => p.work_address.as_ref(),
                    _ => p.mailing_address.as_ref(),
                };
                if o.key(name) {
                    data::write_opt_address(o.out, a, true);
                }
            }
            "mobile_normalized" => o.opt_str(name, digits(p.mobile.as_deref()).as_deref()),
            "phone_normalized" => o.opt_str(name, digits(p.phone.as_deref()).as_deref()),
            "party_member" => o.opt_bool(name, p.party.map(|s| !s.is_empty())),
            "primary_email_id" => o.opt_int(name, p.email().map(|_| 1)),
            "note_updated_at" => time(&mut o, name, p.note.as_ref().map(|_| p.updated_at), z),
            "support_level_changed_at" => {
                time(&mut o, name, p.support_level.map(|_| p.updated_at), z)
            }
            _ => o.raw(name, default),
        }
    }
    p.write_custom(&mut o);
    o.close();
    body.push_str(",\"precinct\":");
    match p.precinct_id {
        Some(pid) => match lists_precincts_relationships::precinct(nation, pid) {
            Some(precinct) => {
                let mut po = Obj::open(&mut body, None, true);
                po.int("id", pid as i64);
                po.str("code", &precinct.code);
                po.str("name", &precinct.name);
                po.close();
            }
            None => body.push_str("null"),
        },
        None => body.push_str("null"),
    }
    body.push('}');
    Resp { status: 200, body }
}

fn write_donation(out: &mut String, view: View<'_>, id: u64) {
    let nation = view.nation;
    let d = Donation::generate(nation, id);
    let z = d.zone;
    let donor_id = d.donor_id();
    let donor_live = donor_id.filter(|pid| view.state.live_slot(nation, *pid).is_some());
    let donor = donor_id.map(|pid| person_of(view, pid));
    let mut o = Obj::open(out, None, true);
    o.null("actblue_order_number");
    o.str("amount", &nation.amount_v1(d.amount_in_cents));
    o.int("amount_in_cents", d.amount_in_cents);
    o.null("authorization");
    o.int("author_id", 1);
    if o.key("billing_address") {
        data::write_opt_address(
            o.out,
            donor.as_ref().and_then(|p| p.primary_address.as_ref()),
            true,
        );
    }
    time(&mut o, "canceled_at", d.canceled_at, z);
    o.opt_str("check_number", d.check_number.as_deref());
    o.bool("corporate_contribution", d.corporate);
    time(&mut o, "created_at", Some(d.created_at), z);
    if o.key("donor") {
        match (donor_live, &donor) {
            (Some(_), Some(p)) => {
                let mut dono = Obj::open(o.out, None, true);
                abbreviated_keys(&mut dono, view, p);
                p.write_custom(&mut dono);
                dono.close();
            }
            _ => o.out.push_str("null"),
        }
    }
    o.opt_int("donor_id", donor_id.map(|v| v as i64));
    o.raw(
        "election",
        "{\"cycle\":null,\"period\":null,\"period_ngp_code\":null}",
    );
    o.opt_str("email", donor.as_ref().and_then(|p| p.email()));
    o.opt_str("employer", donor.as_ref().and_then(|p| p.employer));
    time(&mut o, "failed_at", d.failed_at, z);
    o.null("fec_type");
    o.null("fec_type_ngp_code");
    o.opt_str("first_name", donor.as_ref().map(|p| p.first_name));
    o.int("id", id as i64);
    o.null("import_id");
    o.bool("is_private", d.is_private);
    o.opt_str("last_name", donor.as_ref().map(|p| p.last_name));
    nulls!(o, "mailing_slug", "merchant_account_id", "ngp_id");
    o.opt_str("note", d.note);
    o.opt_str("occupation", donor.as_ref().and_then(|p| p.occupation));
    o.null("page_slug");
    o.str("payment_type_name", d.payment_type.0);
    o.opt_str("payment_type_ngp_code", d.payment_type.1);
    o.opt_int(
        "pledge_id",
        surveys_pledges_petitions::donation_pledge(nation, id).map(|k| k as i64),
    );
    o.opt_str(
        "recruiter_name_or_email",
        donor.as_ref().map(|p| p.full_name()).as_deref(),
    );
    o.null("recurring_donation_id");
    time(&mut o, "succeeded_at", d.succeeded_at, z);
    // The slug of the code whose id v2 gives.
    let code = d.tracking_code.and_then(|_| {
        surveys_pledges_petitions::code_slug(
            nation,
            surveys_pledges_petitions::donation_code(nation, id),
        )
    });
    o.opt_str("tracking_code_slug", code.as_deref());
    time(&mut o, "updated_at", Some(d.updated_at), z);
    if o.key("work_address") {
        data::write_opt_address(
            o.out,
            donor.as_ref().and_then(|p| p.work_address.as_ref()),
            true,
        );
    }
    o.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_look_real() {
        let (nonce, token) = seal(42, 7, Dir::Next, 12_345);
        assert_eq!(nonce.len(), 22);
        assert_eq!(token.len(), 44);
        assert!(token.starts_with('A'));
        assert_eq!(open(42, 7, &nonce, &token), Some((Dir::Next, 12_345)));
        let (n2, t2) = seal(42, 7, Dir::Prev, 9);
        assert!(t2.starts_with('A'));
        assert_eq!(open(42, 7, &n2, &t2), Some((Dir::Prev, 9)));
        assert_eq!(open(42, 8, &nonce, &token), None, "other endpoint");
        assert_eq!(open(43, 7, &nonce, &token), None, "other seed");
        let mut tampered = token.into_bytes();
        tampered[20] = if tampered[20] == b'B' { b'C' } else { b'B' };
        assert_eq!(
            open(42, 7, &nonce, &String::from_utf8(tampered).unwrap()),
            None
        );
    }

    #[test]
    fn full_extra_has_the_recorded_key_count() {
        assert_eq!(FULL_EXTRA.len(), 151);
    }
}
