//! API v2 (JSON:API, §7–§8): `signups`, `signup_tags`, `signup_taggings` and `donations`, index
//! and show routes. Offset paging with `page[number]`/`page[size]`, keyset paging with
//! `filter[id][gt]` + `sort=id`, the filters the reference names (unknown ones give the 400
//! `bad_request` body), sparse fieldsets `fields[type]`, `extra_fields[type]` for addresses and
//! `stats[total]=count`. Records are written straight into the response buffer.

use std::fmt::Write as _;

use super::data::{self, Donation, Nation, Person, Zone};
use super::json::{consts, nulls, Obj};
use super::paging::{self, Bounds, Kind, Params, View};
use super::{LastNext, LinkStyle, Oversize, Shared, V2Keyset, V2LinkParams, Variants};

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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Resource {
    Signups,
    SignupTags,
    SignupTaggings,
    Donations,
}

impl Resource {
    fn from_path(s: &str) -> Option<Resource> {
        Some(match s {
            "signups" => Resource::Signups,
            "signup_tags" => Resource::SignupTags,
            "signup_taggings" => Resource::SignupTaggings,
            "donations" => Resource::Donations,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Resource::Signups => "signups",
            Resource::SignupTags => "signup_tags",
            Resource::SignupTaggings => "signup_taggings",
            Resource::Donations => "donations",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Resource::Signups => Kind::People,
            Resource::SignupTags => Kind::Tags,
            Resource::SignupTaggings => Kind::Taggings,
            Resource::Donations => Kind::Donations,
        }
    }

    /// Attributes this resource can be filtered on.
    fn filterable(self, attr: &str) -> bool {
        match self {
            Resource::Signups => matches!(attr, "id" | "updated_at" | "tag_id"),
            Resource::SignupTags => matches!(attr, "id" | "signup_id"),
            Resource::SignupTaggings => matches!(attr, "id" | "signup_id" | "tag_id"),
            Resource::Donations => matches!(attr, "id" | "updated_at" | "signup_id"),
        }
    }
}

/// Parsed filters of one request.
#[derive(Debug, Default)]
struct Filters {
    bounds: Bounds,
    ids: Option<Vec<u64>>,
    updated_lo: Option<i64>,
    updated_hi: Option<i64>,
    signup_ids: Option<Vec<u64>>,
    tag_ids: Option<Vec<u64>>,
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
        if !res.filterable(attr) {
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
            "updated_at" => {
                let t = paging::parse_time(value).ok_or_else(bad_value)?;
                let (lo, hi) = match op {
                    "eq" => (Some(t), Some(t)),
                    "gt" => (Some(t + 1), None),
                    "gte" => (Some(t), None),
                    "lt" => (None, Some(t - 1)),
                    "lte" => (None, Some(t)),
                    _ => return Err(bad_op()),
                };
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
                if attr == "signup_id" {
                    if let (Resource::SignupTaggings, [one]) = (res, &ids[..]) {
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

impl Filters {
    fn needs_scan(&self) -> bool {
        self.ids.is_some()
            || self.updated_lo.is_some()
            || self.updated_hi.is_some()
            || self.signup_ids.is_some()
            || self.tag_ids.is_some()
    }

    fn matches(&self, res: Resource, view: View<'_>, key: u64) -> bool {
        let nation = view.nation;
        if let Some(ids) = &self.ids {
            if !ids.contains(&key) {
                return false;
            }
        }
        let in_time = |t: i64| {
            self.updated_lo.is_none_or(|lo| t >= lo) && self.updated_hi.is_none_or(|hi| t <= hi)
        };
        match res {
            Resource::Signups => {
                if self.updated_lo.is_some() || self.updated_hi.is_some() {
                    let slot = view.state.slot_lower_bound(nation, key);
                    let ov = view.state.person_override(nation, key, slot);
                    if !in_time(Person::times(nation, key, slot, ov).1) {
                        return false;
                    }
                }
                if let Some(tags) = &self.tag_ids {
                    if !(0..nation.tagging_count(key))
                        .any(|j| tags.contains(&nation.tagging_tag(key, j)))
                    {
                        return false;
                    }
                }
                true
            }
            Resource::SignupTags => match &self.signup_ids {
                Some(people) => people.iter().any(|&p| {
                    view.state.live_slot(nation, p).is_some()
                        && (0..nation.tagging_count(p)).any(|j| nation.tagging_tag(p, j) == key)
                }),
                None => true,
            },
            Resource::SignupTaggings => {
                let (p, j) = (key / 8, key % 8);
                self.signup_ids.as_ref().is_none_or(|s| s.contains(&p))
                    && self
                        .tag_ids
                        .as_ref()
                        .is_none_or(|t| t.contains(&nation.tagging_tag(p, j)))
            }
            Resource::Donations => {
                if self.updated_lo.is_none()
                    && self.updated_hi.is_none()
                    && self.signup_ids.is_none()
                {
                    return true;
                }
                let d = Donation::generate(nation, key);
                in_time(d.updated_at)
                    && self
                        .signup_ids
                        .as_ref()
                        .is_none_or(|s| d.donor_id().is_some_and(|id| s.contains(&id)))
            }
        }
    }
}

/// Query parameters that shape the records (fieldsets and extra fields).
struct Shape {
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
        fields: list(format!("fields[{}]", res.name())),
        extra: list(format!("extra_fields[{}]", res.name())).unwrap_or_default(),
    }
}

/// Handles `GET /api/v2/<rest>`.
pub(crate) fn handle(shared: &Shared, view: View<'_>, rest: &str, params: &Params) -> Resp {
    let (res_name, id) = match rest.split_once('/') {
        Some((r, id)) => (r, Some(id)),
        None => (rest, None),
    };
    let Some(res) = Resource::from_path(res_name) else {
        return Resp::not_found();
    };
    let shape = parse_shape(res, params);
    match id {
        Some(id) => show(view, res, id, &shape),
        None => index(shared, view, res, params, &shape),
    }
}

fn show(view: View<'_>, res: Resource, id: &str, shape: &Shape) -> Resp {
    let Ok(key) = id.parse::<u64>() else {
        return Resp::not_found();
    };
    let exists = match res {
        Resource::Signups => view.state.live_slot(view.nation, key).is_some(),
        Resource::SignupTags => (1..=view.nation.tag_count).contains(&key),
        Resource::SignupTaggings => {
            view.state.live_slot(view.nation, key / 8).is_some()
                && key % 8 < view.nation.tagging_count(key / 8)
        }
        Resource::Donations => (1..=view.nation.donation_count).contains(&key),
    };
    if !exists {
        return Resp::not_found();
    }
    let mut body = String::with_capacity(8192);
    body.push_str("{\"data\":");
    write_record(&mut body, view, res, key, shape);
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
        None | Some("") | Some("id") => false,
        Some("-id") => true,
        Some(other) => {
            let attr = other.trim_start_matches('-');
            return Resp::bad_request(&format!("Tried to sort on attribute :{attr}, but could not find an attribute with that name."));
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
    let kind = res.kind();
    let pred_fn = |k: u64| filters.matches(res, view, k);
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
        write_record(&mut body, view, res, *key, shape);
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
    let _ = write!(s, "/api/v2/{}?page[number]={number}", res.name());
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

fn write_record(out: &mut String, view: View<'_>, res: Resource, key: u64, shape: &Shape) {
    match res {
        Resource::Signups => write_signup(out, view, key, shape),
        Resource::SignupTags => write_tag(out, view, key, shape),
        Resource::SignupTaggings => write_tagging(out, view, key, shape),
        Resource::Donations => write_donation(out, view.nation, key, shape),
    }
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

fn write_signup(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
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

fn write_tag(out: &mut String, view: View<'_>, tag: u64, shape: &Shape) {
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

fn write_tagging(out: &mut String, view: View<'_>, key: u64, shape: &Shape) {
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

fn write_donation(out: &mut String, nation: &Nation, id: u64, shape: &Shape) {
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
    nulls!(o, "mailing_id", "membership_id");
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
