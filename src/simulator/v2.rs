//! API v2 (JSON:API, §7–§8): the index and show routes of every resource in the registry
//! ([`super::resources`]): `signups`, `signup_tags`, `signup_taggings`, `donations`,
//! `memberships`, `membership_types` and `custom_fields`. Offset paging with `page[number]`/`page[size]`, keyset paging with
//! `filter[id][gt]` + `sort=id`, the filters the reference names (unknown ones give the 400
//! `bad_request` body), sparse fieldsets `fields[type]`, `extra_fields[type]` for addresses and
//! `stats[total]=count`. Records are written straight into the response buffer.

use std::fmt::Write as _;

use super::data::{self, Donation, Nation, Person, Zone};
use super::json::{consts, nulls, Obj};
use super::membership::{Membership, MembershipType};
use super::paging::{self, Bounds, Params, View};
use super::resources::{self, KeySpace, ResourceDef};
use super::{custom_fields, membership};
use super::{LastNext, LinkStyle, Oversize, Shared, V2Keyset, V2LinkParams, Variants};

/// The resource type a v2 handler works on.
type Resource = &'static ResourceDef;

/// A response body with its status.
#[derive(Debug)]
pub(crate) struct Resp {
    pub status: u16,
    pub body: String,
}

impl Resp {
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Resp {
        let mut body = String::with_capacity(64 + message.len());
        let mut o = Obj::open(&mut body, None, false);
        o.str("code", code);
        o.str("message", message);
        o.close();
        Resp { status, body }
    }

    pub(crate) fn not_found() -> Resp {
        Resp::error(404, "not_found", "Record not found")
    }

    fn bad_request(message: &str) -> Resp {
        Resp::error(400, "bad_request", message)
    }
}

/// Parsed filters of one request.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    bounds: Bounds,
    ids: Option<Vec<u64>>,
    updated_lo: Option<i64>,
    updated_hi: Option<i64>,
    signup_ids: Option<Vec<u64>>,
    tag_ids: Option<Vec<u64>>,
    /// `created_at` and `started_at` ranges: (attribute, lo, hi).
    times: Vec<(String, Option<i64>, Option<i64>)>,
    /// `membership_type_id`.
    type_ids: Option<Vec<u64>>,
    /// Equality on string attributes (`status`, `resource_type`, `slug`): (attribute, values).
    strs: Vec<(String, Vec<String>)>,
}

fn parse_ids(v: &str) -> Option<Vec<u64>> {
    v.split(',').map(|s| s.trim().parse::<u64>().ok()).collect()
}

fn parse_filters(res: Resource, params: &Params, variants: Variants) -> Result<Filters, Resp> {
    let mut f = Filters::default();
    for (key, value) in &params.0 {
        let Some(rest) = key.strip_prefix("filter[") else {
            continue;
        };
        let (attr, op) = match rest.split_once("][") {
            Some((a, op)) => (a, op.strip_suffix(']').unwrap_or(op)),
            None => (rest.strip_suffix(']').unwrap_or(rest), "eq"),
        };
        if !res.filters.contains(&attr) {
            return Err(Resp::bad_request(&format!("Tried to filter on attribute :{attr}, but could not find an attribute with that name.")));
        }
        let bad_op = || {
            Resp::bad_request(&format!(
                "Filter on attribute :{attr} does not support operator :{op}."
            ))
        };
        let bad_value = || {
            Resp::bad_request(&format!(
                "Invalid value {value:?} for filter on attribute :{attr}."
            ))
        };
        let refused = match attr {
            "id" => variants.v2_keyset == V2Keyset::Refused,
            "updated_at" => variants.v2_refuse_updated_filter,
            _ => false,
        };
        if refused {
            return Err(Resp::bad_request(&format!(
                "Filtering on attribute :{attr} is not supported."
            )));
        }
        if attr == "id" && op != "eq" && variants.v2_keyset == V2Keyset::Ignored {
            continue;
        }
        match attr {
            "id" => {
                if op == "eq" {
                    let ids = parse_ids(value).ok_or_else(bad_value)?;
                    if let [one] = ids[..] {
                        f.bounds.lo = f.bounds.lo.max(one);
                        f.bounds.hi = f.bounds.hi.min(one);
                    }
                    f.ids = Some(ids);
                    continue;
                }
                let n: u64 = value.trim().parse().map_err(|_| bad_value())?;
                match op {
                    "gt" => f.bounds.lo = f.bounds.lo.max(n.saturating_add(1)),
                    "gte" => f.bounds.lo = f.bounds.lo.max(n),
                    "lt" => {
                        if n == 0 {
                            f.bounds.lo = u64::MAX;
                        }
                        f.bounds.hi = f.bounds.hi.min(n.saturating_sub(1));
                    }
                    "lte" => f.bounds.hi = f.bounds.hi.min(n),
                    _ => return Err(bad_op()),
                }
            }
            "status" | "resource_type" | "slug" => {
                if op != "eq" {
                    return Err(bad_op());
                }
                f.strs.push((
                    attr.to_string(),
                    value.split(',').map(|v| v.trim().to_string()).collect(),
                ));
            }
            "created_at" | "started_at" => {
                let t = paging::parse_time(value).ok_or_else(bad_value)?;
                let (lo, hi) = time_bounds(op, t).ok_or_else(bad_op)?;
                f.times.push((attr.to_string(), lo, hi));
            }
            "updated_at" => {
                let t = paging::parse_time(value).ok_or_else(bad_value)?;
                let (lo, hi) = time_bounds(op, t).ok_or_else(bad_op)?;
                if let Some(lo) = lo {
                    f.updated_lo = Some(f.updated_lo.map_or(lo, |x| x.max(lo)));
                }
                if let Some(hi) = hi {
                    f.updated_hi = Some(f.updated_hi.map_or(hi, |x| x.min(hi)));
                }
            }
            _ => {
                if op != "eq" {
                    return Err(bad_op());
                }
                let ids = parse_ids(value).ok_or_else(bad_value)?;
                if attr == "membership_type_id" {
                    f.type_ids = Some(ids);
                } else if attr == "signup_id" {
                    if let (KeySpace::Taggings, [one]) = (res.keys, &ids[..]) {
                        f.bounds.lo = f.bounds.lo.max(one.saturating_mul(8));
                        f.bounds.hi = f.bounds.hi.min(one.saturating_mul(8) + 7);
                    }
                    f.signup_ids = Some(ids);
                } else {
                    f.tag_ids = Some(ids);
                }
            }
        }
    }
    Ok(f)
}

/// The inclusive bounds a time filter's operator puts on a timestamp `t` (whole seconds):
/// `None` for an operator the API does not take.
fn time_bounds(op: &str, t: i64) -> Option<(Option<i64>, Option<i64>)> {
    Some(match op {
        "eq" => (Some(t), Some(t)),
        "gt" => (Some(t + 1), None),
        "gte" => (Some(t), None),
        "lt" => (None, Some(t - 1)),
        "lte" => (None, Some(t)),
        _ => return None,
    })
}

impl Filters {
    fn needs_scan(&self) -> bool {
        self.ids.is_some()
            || self.updated_lo.is_some()
            || self.updated_hi.is_some()
            || self.signup_ids.is_some()
            || self.tag_ids.is_some()
            || !self.times.is_empty()
            || self.type_ids.is_some()
            || !self.strs.is_empty()
    }

    fn in_updated(&self, t: i64) -> bool {
        self.updated_lo.is_none_or(|lo| t >= lo) && self.updated_hi.is_none_or(|hi| t <= hi)
    }

    fn has_updated(&self) -> bool {
        self.updated_lo.is_some() || self.updated_hi.is_some()
    }

    fn in_time(&self, attr: &str, t: Option<i64>) -> bool {
        self.times
            .iter()
            .filter(|(a, _, _)| a == attr)
            .all(|(_, lo, hi)| {
                t.is_some_and(|t| lo.is_none_or(|lo| t >= lo) && hi.is_none_or(|hi| t <= hi))
            })
    }

    fn str_ok(&self, attr: &str, v: &str) -> bool {
        self.strs
            .iter()
            .filter(|(a, _)| a == attr)
            .all(|(_, vals)| vals.iter().any(|x| x == v))
    }

    fn id_ok(&self, key: u64) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&key))
    }
}

/// `signups` filters: `updated_at`, `tag_id` (people with a tagging of the tag).
pub(crate) fn matches_signup(f: &Filters, view: View<'_>, key: u64) -> bool {
    let nation = view.nation;
    if !f.id_ok(key) {
        return false;
    }
    if f.has_updated() {
        let slot = view.state.slot_lower_bound(nation, key);
        let ov = view.state.person_override(nation, key, slot);
        if !f.in_updated(Person::times(nation, key, slot, ov).1) {
            return false;
        }
    }
    if let Some(tags) = &f.tag_ids {
        if !(0..nation.tagging_count(key)).any(|j| tags.contains(&nation.tagging_tag(key, j))) {
            return false;
        }
    }
    true
}

/// `signup_tags` filters: `signup_id` (the tags of those people).
pub(crate) fn matches_tag(f: &Filters, view: View<'_>, key: u64) -> bool {
    let nation = view.nation;
    if !f.id_ok(key) {
        return false;
    }
    match &f.signup_ids {
        Some(people) => people.iter().any(|&p| {
            view.state.live_slot(nation, p).is_some()
                && (0..nation.tagging_count(p)).any(|j| nation.tagging_tag(p, j) == key)
        }),
        None => true,
    }
}

/// `signup_taggings` filters: `signup_id`, `tag_id`.
pub(crate) fn matches_tagging(f: &Filters, view: View<'_>, key: u64) -> bool {
    let nation = view.nation;
    let (p, j) = (key / 8, key % 8);
    f.id_ok(key)
        && f.signup_ids.as_ref().is_none_or(|s| s.contains(&p))
        && f.tag_ids
            .as_ref()
            .is_none_or(|t| t.contains(&nation.tagging_tag(p, j)))
}

/// `donations` filters: `updated_at`, `signup_id`.
pub(crate) fn matches_donation(f: &Filters, view: View<'_>, key: u64) -> bool {
    if !f.id_ok(key) {
        return false;
    }
    if !f.has_updated() && f.signup_ids.is_none() {
        return true;
    }
    let d = Donation::generate(view.nation, key);
    f.in_updated(d.updated_at)
        && f.signup_ids
            .as_ref()
            .is_none_or(|s| d.donor_id().is_some_and(|id| s.contains(&id)))
}

/// `memberships` filters: `updated_at`, `created_at`, `started_at`, `signup_id`,
/// `membership_type_id`, `status`.
pub(crate) fn matches_membership(f: &Filters, view: View<'_>, key: u64) -> bool {
    if !f.id_ok(key) {
        return false;
    }
    let m = Membership::generate(view.nation, &view.state.memberships, key);
    f.in_updated(m.updated_at)
        && f.in_time("created_at", Some(m.created_at))
        && f.in_time("started_at", Some(m.started_at))
        && f.signup_ids
            .as_ref()
            .is_none_or(|s| s.contains(&m.signup_id))
        && f.type_ids
            .as_ref()
            .is_none_or(|t| t.contains(&m.membership_type_id))
        && f.str_ok("status", m.status.as_str())
}

/// `membership_types` filters: `updated_at`, `created_at`.
pub(crate) fn matches_membership_type(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
        && MembershipType::generate(view.nation, key).is_some_and(|t| {
            f.in_updated(t.updated_at) && f.in_time("created_at", Some(t.created_at))
        })
}

/// `custom_fields` filters: `updated_at`, `created_at`, `resource_type`, `slug`.
pub(crate) fn matches_custom_field(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
        && custom_fields::generate(view.nation, key).is_some_and(|(def, _, created, updated, _)| {
            f.in_updated(updated)
                && f.in_time("created_at", Some(created))
                && f.str_ok("resource_type", def.resource_type)
                && f.str_ok("slug", def.slug)
        })
}

/// Query parameters that shape the records (fieldsets and extra fields).
pub(crate) struct Shape {
    fields: Option<Vec<String>>,
    extra: Vec<String>,
}

fn parse_shape(res: Resource, params: &Params) -> Shape {
    let list = |name: String| {
        params.get(&name).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
    };
    Shape {
        fields: list(format!("fields[{}]", res.v2_type)),
        extra: list(format!("extra_fields[{}]", res.v2_type)).unwrap_or_default(),
    }
}

/// Handles `GET /api/v2/<rest>`.
pub(crate) fn handle(shared: &Shared, view: View<'_>, rest: &str, params: &Params) -> Resp {
    let (res_name, id) = match rest.split_once('/') {
        Some((r, id)) => (r, Some(id)),
        None => (rest, None),
    };
    let Some(res) = resources::by_v2_path(res_name) else {
        return Resp::not_found();
    };
    let shape = parse_shape(res, params);
    match id {
        Some(_) if !res.show => Resp::not_found(),
        Some(id) => show(view, res, id, &shape),
        None => index(shared, view, res, params, &shape),
    }
}

fn show(view: View<'_>, res: Resource, id: &str, shape: &Shape) -> Resp {
    let Ok(key) = id.parse::<u64>() else {
        return Resp::not_found();
    };
    if !(res.exists)(view, key) {
        return Resp::not_found();
    }
    let mut body = String::with_capacity(8192);
    body.push_str("{\"data\":");
    (res.write_v2)(&mut body, view, key, shape);
    body.push_str(",\"meta\":{}}");
    Resp { status: 200, body }
}

fn index(shared: &Shared, view: View<'_>, res: Resource, params: &Params, shape: &Shape) -> Resp {
    let variants = shared.config.variants;
    let number = match params.get("page[number]").map(|v| v.trim().parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Resp::bad_request("page[number] must be a positive integer."),
    };
    let mut size = match params.get("page[size]").map(|v| v.trim().parse::<u64>()) {
        None => 20,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Resp::bad_request("page[size] must be a positive integer."),
    };
    if size > 100 {
        match variants.oversize_page {
            Oversize::Clamp => size = 100,
            Oversize::Error => {
                return Resp::bad_request("page[size] must be less than or equal to 100.")
            }
        }
    }
    if variants.v2_keyset == V2Keyset::Refused && params.get("sort").is_some() {
        return Resp::bad_request("Sorting is not supported on this collection.");
    }
    let desc = match params.get("sort").map(str::trim) {
        None | Some("") => false,
        Some(sort) => {
            let attr = sort.trim_start_matches('-');
            if !res.sorts.contains(&attr) {
                return Resp::bad_request(&format!("Tried to sort on attribute :{attr}, but could not find an attribute with that name."));
            }
            sort.starts_with('-')
        }
    };
    let want_count = match params.get("stats[total]") {
        None => false,
        Some("count") => true,
        Some(other) => return Resp::bad_request(&format!("Unsupported stat :{other} on total.")),
    };
    let filters = match parse_filters(res, params, variants) {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let kind = res.keys;
    let pred_fn = |k: u64| (res.matches)(&filters, view, k);
    let pred: Option<paging::Pred<'_>> = if filters.needs_scan() {
        Some(&pred_fn)
    } else {
        None
    };
    let skip = (number - 1).saturating_mul(size);
    let keys = view.collect(kind, filters.bounds, pred, skip, size, desc);

    let mut body = String::with_capacity(keys.len() * 4400 + 1024);
    body.push_str("{\"data\":[");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        (res.write_v2)(&mut body, view, *key, shape);
    }
    body.push_str("],\"links\":");
    {
        let mut links = Obj::open(&mut body, None, false);
        let link = |n: u64| page_link(shared, res, params, n, size);
        links.str("self", &link(number));
        if number > 1 {
            links.str("prev", &link(number - 1));
        }
        if !keys.is_empty() {
            links.str("next", &link(number + 1));
        } else {
            match variants.last_next {
                LastNext::Absent => {}
                LastNext::Null => links.null("next"),
                LastNext::Present => links.str("next", &link(number + 1)),
            }
        }
        links.close();
    }
    body.push_str(",\"meta\":");
    if want_count {
        let count = view.count(kind, filters.bounds, pred);
        let _ = write!(body, "{{\"stats\":{{\"total\":{{\"count\":{count}}}}}}}");
    } else {
        body.push_str("{}");
    }
    body.push('}');
    Resp { status: 200, body }
}

/// A page link with the request's own parameters (or only `page[number]`, per the switch).
fn page_link(shared: &Shared, res: Resource, params: &Params, number: u64, size: u64) -> String {
    let variants = shared.config.variants;
    let mut s = String::with_capacity(160);
    if variants.links == LinkStyle::Absolute {
        s.push_str(&shared.base_url);
    }
    let _ = write!(s, "/api/v2/{}?page[number]={number}", res.v2_path);
    if variants.v2_link_params == V2LinkParams::All {
        if params.get("page[size]").is_some() {
            let _ = write!(s, "&page[size]={size}");
        }
        for (k, v) in &params.0 {
            if k.starts_with("page[") || k == "access_token" {
                continue;
            }
            let _ = write!(s, "&{k}={}", paging::encode(v));
        }
    }
    s
}

fn head(out: &mut String, id: u64, ty: &str) {
    let _ = write!(out, "{{\"id\":\"{id}\",\"type\":\"{ty}\",\"attributes\":");
}

fn opt_time(o: &mut Obj<'_>, name: &str, t: Option<i64>, zone: Zone) {
    if o.key(name) {
        match t {
            Some(t) => data::time_json(o.out, t, zone),
            None => o.out.push_str("null"),
        }
    }
}

fn time(o: &mut Obj<'_>, name: &str, t: i64, zone: Zone) {
    opt_time(o, name, Some(t), zone);
}

const SIGNUP_ADDRESSES: &[&str] = &[
    "billing_address",
    "home_address",
    "mailing_address",
    "primary_address",
    "registered_address",
    "user_submitted_address",
    "work_address",
];

impl Shape {
    /// True when the sparse fieldset selects no attribute at all (`fields[signups]=id`, the
    /// exporter's verify pages), so records need not be generated.
    fn ids_only(&self) -> bool {
        self.extra.is_empty()
            && self
                .fields
                .as_ref()
                .is_some_and(|f| f.iter().all(|n| n == "id" || n == "type"))
    }
}

/// Writes a `signups` resource object.
pub(crate) fn write_signup(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    if shape.ids_only() {
        head(out, id, "signups");
        let _ = write!(out, "{{}},\"relationships\":{{\"taggings\":{{\"links\":{{\"related\":\"/api/v2/signup_taggings?filter[signup_id]={id}\"}}}}}}}}");
        return;
    }
    let nation = view.nation;
    let slot = view.state.slot_lower_bound(nation, id);
    let ov = view.state.person_override(nation, id, slot);
    let p = Person::generate(nation, id, slot, ov);
    let z = p.zone;
    let (don_count, don_amount, first_don, last_don) = Person::donation_totals(nation, id, slot);
    head(out, id, "signups");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    nulls!(o, "author_id", "availability", "banned_at");
    o.opt_str("born_at", p.born_string().as_deref());
    o.int("capital_amount_in_cents", 0);
    nulls!(
        o,
        "church",
        "city_district",
        "city_sub_district",
        "civicrm_id",
        "contact_status",
        "could_vote_status",
        "county_district",
        "county_file_id",
    );
    if o.key("custom_values") {
        let mut c = Obj::open(o.out, None, false);
        p.write_custom(&mut c);
        c.close();
    }
    nulls!(o, "datatrust_id", "demo");
    o.bool("do_not_call", p.do_not_call);
    o.bool("do_not_contact", p.do_not_contact);
    o.int("donations_amount_in_cents", don_amount);
    o.int("donations_amount_this_cycle_in_cents", 0);
    o.int("donations_count", don_count);
    o.int("donations_count_this_cycle", 0);
    consts!(o,
        "donations_pledged_amount_in_cents" => "0",
        "donations_raised_amount_in_cents" => "0",
        "donations_raised_amount_this_cycle_in_cents" => "0",
        "donations_raised_count" => "0",
        "donations_raised_count_this_cycle" => "0",
        "donations_to_raise_amount_in_cents" => "0",
    );
    o.null("dw_id");
    o.opt_str("email", p.email());
    for (k, name) in ["email1", "email2", "email3", "email4"].iter().enumerate() {
        o.opt_str(name, p.emails[k].as_deref());
    }
    for (k, name) in [
        "email1_is_bad",
        "email2_is_bad",
        "email3_is_bad",
        "email4_is_bad",
    ]
    .iter()
    .enumerate()
    {
        o.bool(name, p.email_bad[k]);
    }
    o.bool("email_opt_in", p.email_opt_in);
    o.opt_str("employer", p.employer);
    o.opt_str("ethnicity", p.ethnicity);
    o.opt_str("external_id", p.external_id.as_deref());
    nulls!(o, "fax_number", "federal_district");
    o.bool("federal_donotcall", false);
    o.null("fire_district");
    opt_time(&mut o, "first_donated_at", first_don, z);
    o.null("first_fundraised_at");
    o.str("first_name", p.first_name);
    nulls!(o, "first_prospect_at", "first_recruited_at");
    time(&mut o, "first_supporter_at", p.created_at, z);
    opt_time(
        &mut o,
        "first_volunteer_at",
        p.is_volunteer.then_some(p.created_at),
        z,
    );
    o.null("import_id");
    o.opt_str("inferred_party", p.inferred_party);
    o.opt_int("inferred_support_level", p.inferred_support_level);
    consts!(o,
        "is_deceased" => "false",
        "is_fundraiser" => "false",
        "is_ignore_donation_limits" => "false",
        "is_leaderboardable" => "true",
        "is_mobile_bad" => "false",
        "is_possible_duplicate" => "false",
        "is_profile_private" => "false",
        "is_profile_searchable" => "true",
        "is_prospect" => "false",
        "is_supporter" => "true",
        "is_survey_question_private" => "false",
    );
    o.bool("is_volunteer", p.is_volunteer);
    nulls!(o, "judicial_district", "labour_region");
    o.str("language", p.language);
    nulls!(
        o,
        "last_call_id",
        "last_contacted_at",
        "last_contacted_by_id"
    );
    opt_time(&mut o, "last_donated_at", last_don, z);
    o.null("last_fundraised_at");
    o.str("last_name", p.last_name);
    nulls!(o, "last_rule_violation_at", "legal_name");
    o.str("locale", p.language);
    o.null("marital_status");
    o.opt_str("middle_name", p.middle_name);
    o.opt_str("mobile_number", p.mobile.as_deref());
    o.bool("mobile_opt_in", p.mobile_opt_in);
    o.null("ngp_id");
    o.opt_str("note", p.note.as_deref());
    o.opt_str("occupation", p.occupation);
    o.null("parent_id");
    o.opt_str("party", p.party);
    o.opt_bool("party_member", p.party.map(|s| !s.is_empty()));
    o.null("pf_strat_id");
    o.opt_str("phone_number", p.phone.as_deref());
    o.null("phone_time");
    o.opt_int("precinct_id", p.precinct_id.map(|v| v as i64));
    o.null("prefix");
    o.null("previous_party");
    o.opt_int("primary_email_id", p.email().map(|_| 1));
    nulls!(o, "priority_level", "profile_content", "profile_headline");
    o.int("received_capital_amount_in_cents", 0);
    nulls!(o, "recruiter_id", "registered_at");
    o.opt_str("religion", p.religion);
    nulls!(o, "rnc_id", "rnc_regid");
    o.int("rule_violations_count", 0);
    nulls!(o, "salesforce_id", "school_district", "school_sub_district");
    o.opt_str("sex", p.sex);
    o.int("signup_type", p.signup_type);
    o.int("spent_capital_amount_in_cents", 0);
    nulls!(
        o,
        "state_file_id",
        "state_lower_district",
        "state_upper_district",
        "submitted_address",
        "suffix",
    );
    o.opt_int("support_level", p.support_level);
    nulls!(
        o,
        "supranational_district",
        "township",
        "unsubscribed_at",
        "username",
        "van_id",
        "village_district",
        "ward",
    );
    o.int("warnings_count", 0);
    o.opt_str("work_phone_number", p.work_phone.as_deref());
    time(&mut o, "created_at", p.created_at, z);
    time(&mut o, "updated_at", p.updated_at, z);
    for (k, name) in [
        "email1_is_bouncing",
        "email2_is_bouncing",
        "email3_is_bouncing",
        "email4_is_bouncing",
    ]
    .iter()
    .enumerate()
    {
        o.bool(name, p.email_bad[k] && p.emails[k].is_some());
    }
    o.str("full_name", &p.full_name());
    o.bool("is_cpu", false);
    o.bool("is_donor", don_count > 0);
    opt_time(
        &mut o,
        "note_updated_at",
        p.note.as_ref().map(|_| p.updated_at),
        z,
    );
    o.null("priority_level_changed_at");
    o.null("profile_content_html");
    opt_time(
        &mut o,
        "support_level_changed_at",
        p.support_level.map(|_| p.updated_at),
        z,
    );
    for extra in &shape.extra {
        let addr = match extra.as_str() {
            "primary_address" => Some(p.primary_address.as_ref()),
            "home_address" => Some(p.home_address.as_ref()),
            "work_address" => Some(p.work_address.as_ref()),
            "mailing_address" => Some(p.mailing_address.as_ref()),
            "billing_address" | "registered_address" | "user_submitted_address" => Some(None),
            "profile_image_url" => {
                o.str(
                    "profile_image_url",
                    "https://assets.nationbuilder.com/assets/notifier/profile-avatar.png",
                );
                None
            }
            _ => None,
        };
        if let Some(addr) = addr {
            if SIGNUP_ADDRESSES.contains(&extra.as_str()) && o.key(extra) {
                data::write_opt_address(o.out, addr, false);
            }
        }
    }
    o.close();
    let _ = write!(out, ",\"relationships\":{{\"taggings\":{{\"links\":{{\"related\":\"/api/v2/signup_taggings?filter[signup_id]={id}\"}}}}}}}}");
}

/// Writes a `signup_tags` resource object.
pub(crate) fn write_tag(out: &mut String, view: View<'_>, tag: u64, shape: &Shape) {
    head(out, tag, "signup_tags");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.str("name", view.nation.tag_name(tag));
    consts!(o,
        "imported" => "false",
        "shared_with_nations" => "false",
        "from_sharing_nation" => "false",
    );
    o.int(
        "taggings_count",
        view.state
            .tag_counts
            .get((tag - 1) as usize)
            .copied()
            .unwrap_or(0) as i64,
    );
    o.close();
    let _ = write!(out, ",\"relationships\":{{\"taggings\":{{\"links\":{{\"related\":\"/api/v2/signup_taggings?filter[tag_id]={tag}\"}}}}}}}}");
}

/// Writes a `signup_taggings` resource object.
pub(crate) fn write_tagging(out: &mut String, view: View<'_>, key: u64, shape: &Shape) {
    let nation = view.nation;
    let (p, j) = (key / 8, key % 8);
    let tag = nation.tagging_tag(p, j);
    let slot = view.state.slot_lower_bound(nation, p);
    let ov = view.state.person_override(nation, p, slot);
    let (created, _) = Person::times(nation, p, slot, ov);
    let zone = if data::hash3(nation.seed, 77, p).is_multiple_of(2) {
        Zone::Utc
    } else {
        Zone::Local
    };
    head(out, key, "signup_taggings");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.id_str("signup_id", Some(p));
    o.id_str("tag_id", Some(tag));
    time(
        &mut o,
        "created_at",
        nation.tagging_created_at(p, j, created),
        zone,
    );
    o.close();
    let _ = write!(
        out,
        ",\"relationships\":{{\"signup\":{{\"links\":{{\"related\":\"/api/v2/signups/{p}\"}}}},\"tag\":{{\"links\":{{\"related\":\"/api/v2/signup_tags/{tag}\"}}}}}}}}"
    );
}

/// Writes a `donations` resource object.
pub(crate) fn write_donation(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let nation = view.nation;
    let d = Donation::generate(nation, id);
    let z = d.zone;
    let donor = d.donor_id().map(|pid| {
        Person::generate(
            nation,
            pid,
            data::base_slot_lower_bound(pid),
            data::PersonOverride::default(),
        )
    });
    head(out, id, "donations");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.null("actblue_order_number");
    o.str("amount", &Nation::amount_v2(d.amount_in_cents));
    o.int("amount_in_cents", d.amount_in_cents);
    opt_time(&mut o, "canceled_at", d.canceled_at, z);
    o.opt_str("check_number", d.check_number.as_deref());
    time(&mut o, "created_at", d.created_at, z);
    o.raw("custom_values", "{}");
    o.opt_int("donation_tracking_code_id", d.tracking_code.map(|_| 3));
    o.opt_str("email", donor.as_ref().and_then(|p| p.email()));
    o.opt_str("employer", donor.as_ref().and_then(|p| p.employer));
    opt_time(&mut o, "failed_at", d.failed_at, z);
    o.opt_str("first_name", donor.as_ref().map(|p| p.first_name));
    o.null("import_id");
    o.bool("is_corporate_contribution", d.corporate);
    o.bool("is_private", d.is_private);
    o.opt_str("last_name", donor.as_ref().map(|p| p.last_name));
    o.null("mailing_id");
    if !nation.null_membership_id {
        o.id_str("membership_id", dues_membership(view, id, d.donor_id()));
    } else {
        o.null("membership_id");
    }
    o.opt_str("middle_name", donor.as_ref().and_then(|p| p.middle_name));
    o.opt_str("note", d.note);
    o.opt_str("occupation", donor.as_ref().and_then(|p| p.occupation));
    o.null("page_id");
    o.null("payment_type_id");
    o.str("payment_type_name", d.payment_type.0);
    o.null("payout_id");
    o.null("pending_at");
    o.null("pledge_id");
    o.id_str("signup_id", d.donor_id());
    o.str(
        "status",
        match d.status {
            data::DonationStatus::Succeeded => "succeeded",
            data::DonationStatus::Failed => "failed",
            data::DonationStatus::Canceled => "canceled",
        },
    );
    opt_time(&mut o, "succeeded_at", d.succeeded_at, z);
    time(&mut o, "updated_at", d.updated_at, z);
    for extra in &shape.extra {
        let addr = match extra.as_str() {
            "billing_address" => donor.as_ref().and_then(|p| p.primary_address.as_ref()),
            "work_address" => donor.as_ref().and_then(|p| p.work_address.as_ref()),
            _ => continue,
        };
        if o.key(extra) {
            data::write_opt_address(o.out, addr, false);
        }
    }
    o.close();
    match d.donor_id() {
        Some(pid) => {
            let _ = write!(out, ",\"relationships\":{{\"signup\":{{\"links\":{{\"related\":\"/api/v2/signups/{pid}\"}}}}}}}}");
        }
        None => out.push_str(",\"relationships\":{}}"),
    }
}

/// The membership a donation pays (dues): the donor's first generated membership, for 60 %
/// of donations whose donor holds one (drawn from its own hash stream, so nothing else
/// shifts). It does not follow churn: a membership deleted later leaves the donation pointing
/// at it, as a deleted donor does.
fn dues_membership(view: View<'_>, id: u64, donor: Option<u64>) -> Option<u64> {
    let donor = donor?;
    if data::hash3(view.nation.seed, 0xD0E5, id) % 100 >= 60 {
        return None;
    }
    membership::generated_of_person(view.nation, donor)
        .first()
        .copied()
}

fn date(o: &mut Obj<'_>, name: &str, day: Option<i64>) {
    o.opt_str(name, day.map(Membership::date).as_deref());
}

/// Writes a `memberships` resource object.
pub(crate) fn write_membership(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let m = Membership::generate(view.nation, &view.state.memberships, id);
    let z = m.zone;
    head(out, id, "memberships");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    date(&mut o, "expires_on", m.expires_on);
    o.opt_int("grace_period_num_time_periods", m.grace.map(|g| g.0));
    o.opt_str("grace_period_time_period_type", m.grace.map(|g| g.1));
    o.id_str("membership_type_id", Some(m.membership_type_id));
    o.id_str("signup_id", Some(m.signup_id));
    time(&mut o, "started_at", m.started_at, z);
    o.str("status", m.status.as_str());
    o.opt_str("status_reason", m.status_reason);
    time(&mut o, "created_at", m.created_at, z);
    date(&mut o, "suspended_at", m.suspended_on);
    time(&mut o, "updated_at", m.updated_at, z);
    o.close();
    let _ = write!(
        out,
        ",\"relationships\":{{\"signup\":{{\"links\":{{\"related\":\"/api/v2/signups/{}\"}}}},\"membership_type\":{{\"links\":{{\"related\":\"/api/v2/membership_types/{}\"}}}}}}}}",
        m.signup_id, m.membership_type_id
    );
}

/// Writes a `membership_types` resource object.
pub(crate) fn write_membership_type(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(t) = MembershipType::generate(view.nation, id) else {
        return;
    };
    head(out, id, "membership_types");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.opt_str("description", t.description);
    o.opt_int(
        "expiration_warning_num_time_periods",
        t.warning.map(|w| w.0),
    );
    o.opt_str(
        "expiration_warning_time_period_type",
        t.warning.map(|w| w.1),
    );
    o.opt_int("grace_period_num_time_periods", t.grace.map(|g| g.0));
    o.opt_str("grace_period_time_period_type", t.grace.map(|g| g.1));
    o.str("name", t.name);
    o.id_str("page_id", t.page_id);
    time(&mut o, "created_at", t.created_at, t.zone);
    time(&mut o, "updated_at", t.updated_at, t.zone);
    o.close();
    let _ = write!(
        out,
        ",\"relationships\":{{\"memberships\":{{\"links\":{{\"related\":\"/api/v2/memberships?filter[membership_type_id]={id}\"}}}}}}}}"
    );
}

/// Writes a `custom_fields` resource object.
pub(crate) fn write_custom_field(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some((def, position, created, updated, zone)) = custom_fields::generate(view.nation, id)
    else {
        return;
    };
    head(out, id, "custom_fields");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    time(&mut o, "created_at", created, zone);
    o.str("field_type", def.field_type);
    o.str("name", def.name);
    if def.options.is_empty() {
        o.null("options");
    } else if o.key("options") {
        let mut opts = Obj::open(o.out, None, false);
        for (i, name) in def.options.iter().enumerate() {
            opts.str(&(i + 1).to_string(), name);
        }
        opts.close();
    }
    o.int("position", position);
    o.str("resource_type", def.resource_type);
    o.str("slug", def.slug);
    time(&mut o, "updated_at", updated, zone);
    o.close();
    out.push('}');
}
