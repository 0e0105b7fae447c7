//! The `filter[...]` parameters of API v2: parsing them against the attributes a
//! resource accepts (unknown attributes, unsupported operators and bad values give the
//! message of the 400 `bad_request` answer), and one predicate per resource (`matches_*`)
//! saying whether a record passes them. Filters on `id` (and `signup_id` of taggings) narrow
//! the key bounds, so paging need not scan; the others are checked record by record.
//!
//! The resource registry (module `resources`) points each resource at its predicate; the v2
//! routes (module `v2`) parse the filters with the attributes the registry allows.

use super::custom_fields;
use super::data::{Donation, Person};
use super::events::{self, Event, Page, Rsvp, TicketLevel};
use super::lists_precincts_relationships;
use super::membership::{Membership, MembershipType};
use super::paging::{self, Bounds, KeySpace, Params, View};
use super::{V2Keyset, Variants};

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
    /// Other id attributes (`event_id`, `site_id`): (attribute, ids).
    other_ids: Vec<(String, Vec<u64>)>,
    /// The last `updated_at` a predicate checked, for sorting by it (see
    /// [`Filters::updated_of`]).
    seen_updated: std::sync::atomic::AtomicI64,
}

fn parse_ids(v: &str) -> Option<Vec<u64>> {
    v.split(',').map(|s| s.trim().parse::<u64>().ok()).collect()
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
    /// Parses the `filter[...]` parameters of a request to a resource that accepts `allowed`
    /// attributes and pages over `keys`. The error is the message of the 400 `bad_request`
    /// answer.
    pub(crate) fn parse(
        allowed: &[&str],
        keys: KeySpace,
        params: &Params,
        variants: Variants,
    ) -> Result<Filters, String> {
        let mut f = Filters::default();
        for (key, value) in &params.0 {
            let Some(rest) = key.strip_prefix("filter[") else {
                continue;
            };
            let (attr, op) = match rest.split_once("][") {
                Some((a, op)) => (a, op.strip_suffix(']').unwrap_or(op)),
                None => (rest.strip_suffix(']').unwrap_or(rest), "eq"),
            };
            if !allowed.contains(&attr) {
                return Err(format!("Tried to filter on attribute :{attr}, but could not find an attribute with that name."));
            }
            let bad_op = || format!("Filter on attribute :{attr} does not support operator :{op}.");
            let bad_value = || format!("Invalid value {value:?} for filter on attribute :{attr}.");
            let refused = match attr {
                "id" => variants.v2_keyset == V2Keyset::Refused,
                "updated_at" => variants.v2_refuse_updated_filter,
                _ => false,
            };
            if refused {
                return Err(format!("Filtering on attribute :{attr} is not supported."));
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
                        if let (KeySpace::Taggings, [one]) = (keys, &ids[..]) {
                            f.bounds.lo = f.bounds.lo.max(one.saturating_mul(8));
                            f.bounds.hi = f.bounds.hi.min(one.saturating_mul(8) + 7);
                        }
                        f.signup_ids = Some(ids);
                    } else if attr == "tag_id" {
                        f.tag_ids = Some(ids);
                    } else {
                        f.other_ids.push((attr.to_string(), ids));
                    }
                }
            }
        }
        Ok(f)
    }

    /// The key bounds the `id` filters (and a single `signup_id` of taggings) allow.
    pub(crate) fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// Whether some filter needs the records themselves (not only key bounds).
    pub(crate) fn needs_scan(&self) -> bool {
        self.ids.is_some()
            || self.updated_lo.is_some()
            || self.updated_hi.is_some()
            || self.signup_ids.is_some()
            || self.tag_ids.is_some()
            || !self.times.is_empty()
            || self.type_ids.is_some()
            || !self.strs.is_empty()
            || !self.other_ids.is_empty()
    }

    /// Makes every record's `updated_at` pass through [`Filters::in_updated`], so
    /// [`Filters::updated_of`] can read it (a `sort` on `updated_at`).
    pub(crate) fn observe_updated(&mut self) {
        self.updated_lo = Some(self.updated_lo.unwrap_or(i64::MIN));
    }

    /// Whether key `k` passes `matches`, and its `updated_at` as the predicate saw it (after
    /// [`Filters::observe_updated`]).
    pub(crate) fn updated_of(&self, matches: impl Fn(&Filters) -> bool) -> Option<i64> {
        use std::sync::atomic::Ordering;
        self.seen_updated.store(i64::MIN, Ordering::Relaxed);
        let passed = matches(self);
        let t = self.seen_updated.load(Ordering::Relaxed);
        (passed && t != i64::MIN).then_some(t)
    }

    pub(crate) fn in_updated(&self, t: i64) -> bool {
        self.seen_updated
            .store(t, std::sync::atomic::Ordering::Relaxed);
        self.updated_lo.is_none_or(|lo| t >= lo) && self.updated_hi.is_none_or(|hi| t <= hi)
    }

    fn has_updated(&self) -> bool {
        self.updated_lo.is_some() || self.updated_hi.is_some()
    }

    pub(crate) fn in_time(&self, attr: &str, t: Option<i64>) -> bool {
        self.times
            .iter()
            .filter(|(a, _, _)| a == attr)
            .all(|(_, lo, hi)| {
                t.is_some_and(|t| lo.is_none_or(|lo| t >= lo) && hi.is_none_or(|hi| t <= hi))
            })
    }

    pub(crate) fn str_ok(&self, attr: &str, v: &str) -> bool {
        self.strs
            .iter()
            .filter(|(a, _)| a == attr)
            .all(|(_, vals)| vals.iter().any(|x| x == v))
    }

    fn other_id_ok(&self, attr: &str, v: u64) -> bool {
        self.other_ids
            .iter()
            .filter(|(a, _)| a == attr)
            .all(|(_, ids)| ids.contains(&v))
    }

    pub(crate) fn id_ok(&self, key: u64) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&key))
    }

    /// Whether a record of person `id` passes `filter[signup_id]`.
    pub(crate) fn signup_ok(&self, id: u64) -> bool {
        self.signup_ids.as_ref().is_none_or(|s| s.contains(&id))
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

/// `sites`: the id only.
pub(crate) fn matches_site(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key) && events::Site::generate(view.nation, key).is_some()
}

/// `pages` filters: `site_id`, `slug`.
pub(crate) fn matches_page(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
        && Page::generate(view.nation, key)
            .is_some_and(|p| f.other_id_ok("site_id", p.site_id) && f.str_ok("slug", &p.slug))
}

/// `events` filters: `page_id`.
pub(crate) fn matches_event(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
        && Event::generate(view.nation, key).is_some_and(|e| f.other_id_ok("page_id", e.page_id))
}

/// `event_rsvps` filters: `updated_at`, `created_at`, `event_id`.
pub(crate) fn matches_rsvp(f: &Filters, view: View<'_>, key: u64) -> bool {
    if !f.id_ok(key) {
        return false;
    }
    let r = Rsvp::generate(view.nation, &view.state.rsvps, key);
    f.in_updated(r.updated_at)
        && f.in_time("created_at", Some(r.created_at))
        && f.other_id_ok("event_id", r.event_id)
}

/// `event_ticket_levels` filters: `event_id`.
pub(crate) fn matches_ticket_level(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
        && TicketLevel::generate(view.nation, key)
            .is_some_and(|l| f.other_id_ok("event_id", l.event_id))
}

/// `lists` filters: `updated_at`, `created_at`.
pub(crate) fn matches_list(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
        && lists_precincts_relationships::list(view.nation, &view.state.lists, key).is_some_and(
            |l| f.in_updated(l.updated_at) && f.in_time("created_at", Some(l.created_at)),
        )
}

/// `precincts` filters: only `id` (precincts have no timestamps).
pub(crate) fn matches_precinct(f: &Filters, _view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
}

/// `relationships` filters: `updated_at`, `created_at`.
pub(crate) fn matches_relationship(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key)
        && lists_precincts_relationships::relationship(view.nation, key).is_some_and(|r| {
            f.in_updated(r.updated_at) && f.in_time("created_at", Some(r.created_at))
        })
}

impl Filters {
    /// Whether a record passes the filters on `id`, `updated_at`, `created_at` and
    /// `signup_id`, given its key, timestamps and person (`None`: the record has no such
    /// attribute, so a filter on it matches nothing) — the filters the collections of surveys,
    /// tracking codes, pledges and petitions accept.
    pub(crate) fn accepts(
        &self,
        key: u64,
        updated: Option<i64>,
        created: Option<i64>,
        signup: Option<u64>,
    ) -> bool {
        self.id_ok(key)
            && (!self.has_updated() || updated.is_some_and(|t| self.in_updated(t)))
            && self.in_time("created_at", created)
            && self
                .signup_ids
                .as_ref()
                .is_none_or(|s| signup.is_some_and(|p| s.contains(&p)))
    }
}
