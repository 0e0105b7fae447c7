//! The resource objects of API v2 (JSON:API, §7–§8): one writer per resource (`write_*`)
//! that generates the record and writes `{id, type, attributes, relationships}` straight into
//! the response buffer, honouring the sparse fieldsets `fields[type]` and the
//! `extra_fields[type]` of addresses ([`Shape`]).
//!
//! The resource registry (module `resources`) points each resource at its writer; the v2
//! routes (module `v2`) call it for every key of a page or a show-by-id.

use std::fmt::Write as _;

use super::custom_fields;
use super::data::{self, Donation, Nation, Person, Zone};
use super::events::{self, Event, Page, Rsvp, Site, TicketLevel};
use super::json::{consts, nulls, Obj};
use super::lists_precincts_relationships::{self, Precinct};
use super::membership::{self, Membership, MembershipType};
use super::paging::{Params, View};
use super::surveys_pledges_petitions;

/// Query parameters that shape the records (fieldsets and extra fields).
#[derive(Default)]
pub(crate) struct Shape {
    fields: Option<Vec<String>>,
    extra: Vec<String>,
    /// The relationships named by `include=` (checked against the registry by the v2 routes).
    include: Vec<String>,
}

impl Shape {
    /// Parses `fields[<type>]` and `extra_fields[<type>]` for the JSON:API type `v2_type`.
    pub(crate) fn parse(v2_type: &str, params: &Params) -> Shape {
        let list = |name: String| {
            params.get(&name).map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
        };
        Shape {
            fields: list(format!("fields[{v2_type}]")),
            extra: list(format!("extra_fields[{v2_type}]")).unwrap_or_default(),
            include: list("include".to_string()).unwrap_or_default(),
        }
    }

    /// No fieldset and no extra fields: every attribute.
    #[cfg(test)]
    pub(crate) fn none() -> Shape {
        Shape {
            fields: None,
            extra: Vec::new(),
            include: Vec::new(),
        }
    }

    /// The shape of a sideloaded record (`included`): every attribute, nothing more.
    pub(crate) fn plain() -> Shape {
        Shape {
            fields: None,
            extra: Vec::new(),
            include: Vec::new(),
        }
    }

    /// The relationships `include=` names.
    pub(crate) fn includes(&self) -> &[String] {
        &self.include
    }

    fn included(&self, rel: &str) -> bool {
        self.include.iter().any(|r| r == rel)
    }

    /// The sparse fieldset `fields[<type>]`, when given.
    pub(crate) fn fields(&self) -> Option<&[String]> {
        self.fields.as_deref()
    }

    /// Whether `extra_fields[<type>]` asks for `name`.
    pub(crate) fn wants_extra(&self, name: &str) -> bool {
        self.extra.iter().any(|e| e == name)
    }

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

pub(crate) fn head(out: &mut String, id: u64, ty: &str) {
    let _ = write!(out, "{{\"id\":\"{id}\",\"type\":\"{ty}\",\"attributes\":");
}

pub(crate) fn opt_time(o: &mut Obj<'_>, name: &str, t: Option<i64>, zone: Zone) {
    if o.key(name) {
        match t {
            Some(t) => data::time_json(o.out, t, zone),
            None => o.out.push_str("null"),
        }
    }
}

pub(crate) fn time(o: &mut Obj<'_>, name: &str, t: i64, zone: Zone) {
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
    let refs = lists_precincts_relationships::person_refs(nation, id);
    let z = p.zone;
    let (don_count, don_amount, first_don, last_don) = Person::donation_totals(nation, id, slot);
    head(out, id, "signups");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.id_str("author_id", refs.author_id);
    nulls!(o, "availability", "banned_at");
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
    o.id_str("parent_id", refs.parent_id);
    o.opt_str("party", p.party);
    o.opt_bool("party_member", p.party.map(|s| !s.is_empty()));
    o.null("pf_strat_id");
    o.opt_str("phone_number", p.phone.as_deref());
    o.null("phone_time");
    o.id_str("precinct_id", p.precinct_id);
    o.null("prefix");
    o.null("previous_party");
    o.opt_int("primary_email_id", p.email().map(|_| 1));
    nulls!(o, "priority_level", "profile_content", "profile_headline");
    o.int("received_capital_amount_in_cents", 0);
    o.id_str("recruiter_id", refs.recruiter_id);
    o.null("registered_at");
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
    o.id_str(
        "donation_tracking_code_id",
        d.tracking_code
            .map(|_| surveys_pledges_petitions::donation_code(nation, id)),
    );
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
    o.id_str(
        "page_id",
        surveys_pledges_petitions::donation_page(nation, id),
    );
    o.null("payment_type_id");
    o.str("payment_type_name", d.payment_type.0);
    o.null("payout_id");
    o.null("pending_at");
    o.id_str(
        "pledge_id",
        surveys_pledges_petitions::donation_pledge(nation, id),
    );
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

/// Writes a JSON:API relationship `name` (after a `,` unless `first`): its `related` link when
/// there is one, and its resource identifier `data` only when the request included it (as the
/// API does); `meta.included: false` otherwise.
fn relationship(
    out: &mut String,
    first: bool,
    name: &str,
    related: Option<&str>,
    data: (&str, Option<u64>),
    included: bool,
) {
    if !first {
        out.push(',');
    }
    let _ = write!(out, "\"{name}\":{{");
    if let Some(link) = related {
        let _ = write!(out, "\"links\":{{\"related\":\"{link}\"}},");
    }
    if included {
        match data.1 {
            Some(id) => {
                let _ = write!(out, "\"data\":{{\"type\":\"{}\",\"id\":\"{id}\"}}", data.0);
            }
            None => out.push_str("\"data\":null"),
        }
    } else {
        out.push_str("\"meta\":{\"included\":false}");
    }
    out.push('}');
}

/// Writes a `sites` resource object.
pub(crate) fn write_site(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(site) = Site::generate(view.nation, id) else {
        return;
    };
    head(out, id, "sites");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.opt_str("domain", site.domain.as_deref());
    o.str("name", &site.name);
    o.str("slug", &site.slug);
    o.close();
    out.push('}');
}

const PERMISSIONS: &[&str] = &[
    "anyone",
    "logged_in",
    "members",
    "control_panel_users",
    "admins",
];

fn strictness(level: &str) -> usize {
    PERMISSIONS.iter().position(|p| *p == level).unwrap_or(0)
}

/// Writes a `pages` resource object.
pub(crate) fn write_page(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(p) = Page::generate(view.nation, id) else {
        return;
    };
    let parent = p.parent_id.and_then(|i| Page::generate(view.nation, i));
    let ancestors = parent.as_ref().map(|q| q.permission_level);
    let effective = match ancestors {
        Some(a) if strictness(a) > strictness(p.permission_level) => a,
        _ => p.permission_level,
    };
    head(out, id, "pages");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.opt_str("ancestors_permission_level", ancestors);
    o.id_str("author_id", p.author_id);
    o.str("effective_permission_level", effective);
    o.opt_str("excerpt", p.excerpt);
    o.opt_str("external_id", p.external_id.as_deref());
    o.opt_str("headline", p.headline.as_deref());
    o.str("name", &p.name);
    o.str("page_type_name", p.page_type_name);
    o.id_str("parent_id", p.parent_id);
    o.opt_str("parent_slug", parent.as_ref().map(|q| q.slug.as_str()));
    o.str("permission_level", p.permission_level);
    opt_time(&mut o, "published_at", p.published_at, p.zone);
    o.id_str("site_id", Some(p.site_id));
    o.str("slug", &p.slug);
    o.str("status", p.status);
    o.str("title", &p.title);
    o.str("url_path", &format!("/{}", p.slug));
    o.close();
    out.push_str(",\"relationships\":{");
    let site = format!("/api/v2/sites?filter[id]={}", p.site_id);
    relationship(
        out,
        true,
        "site",
        Some(&site),
        ("sites", Some(p.site_id)),
        shape.included("site"),
    );
    let parent_link = p.parent_id.map(|i| format!("/api/v2/pages/{i}"));
    relationship(
        out,
        false,
        "parent",
        parent_link.as_deref(),
        ("pages", p.parent_id),
        shape.included("parent"),
    );
    out.push_str("}}");
}

/// Writes an `events` resource object (no name, slug, status or timestamps: those are its
/// page's).
pub(crate) fn write_event(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let nation = view.nation;
    let Some(e) = Event::generate(nation, id) else {
        return;
    };
    head(out, id, "events");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.bool("accept_rsvps", e.accept_rsvps);
    o.int("additional_rsvps_count", 0);
    o.bool("allow_guests", e.allow_guests);
    o.int("attending_count", events::rsvps_of_event(nation, id) as i64);
    o.null("auto_response_broadcaster_id");
    o.opt_str(
        "auto_response_content",
        Some("Thank you for your RSVP — see you there!"),
    );
    o.opt_str("auto_response_subject", Some("Your RSVP"));
    o.int("capacity_count", e.capacity_count);
    o.opt_str("contact_email", e.contact_email.as_deref());
    o.bool("contact_email_private", false);
    o.opt_str("contact_name", e.contact_name.as_deref());
    o.opt_str("contact_phone_number", e.contact_phone_number.as_deref());
    o.bool("contact_phone_private", e.contact_phone_number.is_some());
    o.str("content", &e.content);
    o.null("donation_tracking_code_id");
    o.int("duration", e.duration);
    o.str("event_form_address", "optional");
    o.str("event_form_phone", "optional");
    o.bool("gather_volunteers", true);
    o.id_str("page_id", Some(e.page_id));
    o.id_str("point_person_id", e.point_person_id);
    o.bool("private", e.private);
    o.bool("sends_auto_response", true);
    o.bool("show_guests", false);
    time(&mut o, "start_at", e.start_at, e.zone);
    o.str("time_zone", e.time_zone);
    nulls!(
        o,
        "user_ticket_currency",
        "user_ticket_price_in_cents",
        "user_ticket_purchase_url"
    );
    o.bool("uses_shifts", false);
    o.bool("uses_tickets", e.uses_tickets);
    o.str("venue_name", e.venue_name);
    if shape.extra.iter().any(|x| x == "venue_address") && o.key("venue_address") {
        let mut a = Obj::open(o.out, None, false);
        a.str("address1", &e.street);
        a.null("address2");
        a.str("city", e.city);
        a.str("state", e.region);
        a.str("zip", &e.zip);
        a.str("country_code", e.country_code);
        a.close();
    }
    o.close();
    out.push_str(",\"relationships\":{");
    let page = format!("/api/v2/pages/{}", e.page_id);
    relationship(
        out,
        true,
        "page",
        Some(&page),
        ("pages", Some(e.page_id)),
        shape.included("page"),
    );
    let rsvps = format!("/api/v2/event_rsvps?filter[event_id]={id}");
    relationship(
        out,
        false,
        "rsvps",
        Some(&rsvps),
        ("event_rsvps", None),
        false,
    );
    out.push_str("}}");
}

/// Writes an `event_rsvps` resource object: no `signup_id` attribute; the person is given
/// only as `relationships.signup.data`, when the request includes `signup`.
pub(crate) fn write_rsvp(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let nation = view.nation;
    let r = Rsvp::generate(nation, &view.state.rsvps, id);
    let slot = data::base_slot_lower_bound(r.signup_id);
    let person = Person::generate(nation, r.signup_id, slot, Default::default());
    head(out, id, "event_rsvps");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.opt_int("amount_in_cents", r.amount_in_cents);
    o.bool("attendee", r.attendee);
    o.bool("canceled", r.canceled);
    o.opt_str("email", person.email());
    o.id_str("event_id", Some(r.event_id));
    o.str("first_name", person.first_name);
    o.int("guests_count", r.guests_count);
    o.str("last_name", person.last_name);
    o.id_str("page_id", Some(r.page_id));
    o.opt_bool("prepaid", r.prepaid);
    o.bool("private", r.private);
    o.opt_int("tickets_count", r.tickets_count);
    o.bool("volunteer", r.volunteer);
    time(&mut o, "created_at", r.created_at, r.zone);
    time(&mut o, "updated_at", r.updated_at, r.zone);
    o.close();
    out.push_str(",\"relationships\":{");
    relationship(
        out,
        true,
        "signup",
        None,
        ("signups", Some(r.signup_id)),
        shape.included("signup"),
    );
    let event = format!("/api/v2/events/{}", r.event_id);
    relationship(
        out,
        false,
        "event",
        Some(&event),
        ("events", Some(r.event_id)),
        shape.included("event"),
    );
    out.push_str("}}");
}

/// Writes an `event_ticket_levels` resource object (no timestamps).
pub(crate) fn write_ticket_level(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(l) = TicketLevel::generate(view.nation, id) else {
        return;
    };
    head(out, id, "event_ticket_levels");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.int("amount_in_cents", l.amount_in_cents);
    o.opt_str("description", l.description);
    o.id_str("event_id", Some(l.event_id));
    o.int("limit", l.limit);
    o.str("name", l.name);
    o.int("number", l.number);
    o.int("tickets_sold", l.tickets_sold);
    o.close();
    out.push_str(",\"relationships\":{");
    let event = format!("/api/v2/events/{}", l.event_id);
    relationship(
        out,
        true,
        "event",
        Some(&event),
        ("events", Some(l.event_id)),
        shape.included("event"),
    );
    out.push_str("}}");
}

/// Writes a `lists` resource object; `signups_count` is the number of members served.
pub(crate) fn write_list(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(l) = lists_precincts_relationships::list(view.nation, &view.state.lists, id) else {
        return;
    };
    let z = l.zone;
    head(out, id, "lists");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.id_str("author_id", l.author_id);
    time(&mut o, "created_at", l.created_at, z);
    o.opt_str("description", l.description);
    o.bool("is_sharing_writable", l.is_sharing_writable);
    o.str("name", &l.name);
    o.id_str("parent_id", l.parent_id);
    o.id_str("signup_id", l.signup_id);
    if o.key("signups_count") {
        let n = lists_precincts_relationships::members(view, id).len();
        let _ = write!(o.out, "{n}");
    }
    o.str("slug", &l.slug);
    time(&mut o, "updated_at", l.updated_at, z);
    o.close();
    let _ = write!(
        out,
        ",\"relationships\":{{\"signups\":{{\"links\":{{\"related\":\"/api/v2/lists/{id}/signups\"}}}}}}}}"
    );
}

/// Writes a `precincts` resource object (no timestamps: the spec gives precincts none).
pub(crate) fn write_precinct(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(Precinct {
        code,
        name,
        point_person_id,
    }) = lists_precincts_relationships::precinct(view.nation, id)
    else {
        return;
    };
    head(out, id, "precincts");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    o.str("code", &code);
    o.str("name", &name);
    o.id_str("point_person_id", point_person_id);
    o.close();
    out.push('}');
}

/// Writes a `relationships` resource object.
pub(crate) fn write_relationship(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(r) = lists_precincts_relationships::relationship(view.nation, id) else {
        return;
    };
    let z = r.zone;
    head(out, id, "relationships");
    let mut o = Obj::open(out, shape.fields.as_deref(), false);
    time(&mut o, "created_at", r.created_at, z);
    o.id_str("first_signup_id", Some(r.first_signup_id));
    o.str("relationship_type", r.relationship_type);
    o.id_str("second_signup_id", Some(r.second_signup_id));
    o.opt_str("title", r.title);
    time(&mut o, "updated_at", r.updated_at, z);
    o.close();
    let _ = write!(
        out,
        ",\"relationships\":{{\"first_signup\":{{\"links\":{{\"related\":\"/api/v2/signups/{}\"}}}},\"second_signup\":{{\"links\":{{\"related\":\"/api/v2/signups/{}\"}}}}}}}}",
        r.first_signup_id, r.second_signup_id
    );
}
