//! API v2 (JSON:API, §7–§8): the index and show routes of every resource in the registry
//! ([`super::resources`]): `signups`, `signup_tags`, `signup_taggings`, `donations`,
//! `memberships`, `membership_types`, `custom_fields`, `lists`, `precincts` and
//! `relationships`, plus the nested `lists/{id}/signups` (a list's members). Offset paging with
//! `page[number]`/`page[size]`, keyset paging with `filter[id][gt]` + `sort=id`, the filters
//! the reference names (unknown ones give the 400 `bad_request` body), sparse fieldsets
//! `fields[type]`, `extra_fields[type]` for addresses and `stats[total]=count`, the page links
//! and the error bodies. `include=` sideloads the relationships the registry lists
//! ([`resources::INCLUDES`]) as a JSON:API compound document (`relationships.<rel>.data` on
//! each record, the related records once each in a top-level `included` array); any other
//! relationship gives 400. Two collections whose paging the reference leaves unknown can be
//! switched to ignore it (`relationships`, `imports`). Filters are parsed and matched by
//! [`super::v2_filters`], and records
//! are written straight into the response buffer by [`super::v2_records`].

use std::fmt::Write as _;

use super::json::Obj;
use super::lists_precincts_relationships;
use super::paging::{self, Bounds, Params, View};
use super::resources::{self, Include, ResourceDef};
use super::v2_filters::Filters;
use super::v2_records::Shape;
use super::{LastNext, LinkStyle, Oversize, Shared, V2Counts, V2Keyset, V2LinkParams};

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

/// Handles `GET /api/v2/<rest>`.
pub(crate) fn handle(shared: &Shared, view: View<'_>, rest: &str, params: &Params) -> Resp {
    let (res_name, id) = match rest.split_once('/') {
        Some((r, id)) => (r, Some(id)),
        None => (rest, None),
    };
    // A collection per record of another resource: `/api/v2/<path>/{id}/<segment>`.
    if let Some((owner, segment)) = id.and_then(|id| id.split_once('/')) {
        return match (res_name, segment) {
            ("lists", "signups") => list_members(shared, view, owner, params),
            _ => Resp::not_found(),
        };
    }
    let Some(res) = resources::by_v2_path(res_name) else {
        return Resp::not_found();
    };
    let shape = Shape::parse(res.v2_type, params);
    let mut sideloads = Vec::new();
    for rel in shape.includes() {
        match resources::include(res.name, rel) {
            Some(i) => sideloads.push(i),
            None => {
                return Resp::bad_request(&format!(
                    "The requested included relationship \"{rel}\" is not supported on resource \"{}\".",
                    res.v2_type
                ))
            }
        }
    }
    match id {
        Some(_) if !res.show => Resp::not_found(),
        Some(id) => show(view, res, id, &shape, &sideloads),
        None => index(shared, view, res, params, &shape, &sideloads),
    }
}

thread_local! {
    /// Records the current request's `included` array holds (read by the server, which
    /// answers in the same thread right after, to time the response; see
    /// [`crate::simulator::Variants::include_limit`]).
    static INCLUDED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Sideloaded records written since the last call, in this thread (and resets the tally).
pub(crate) fn take_included() -> u64 {
    INCLUDED.with(|n| n.replace(0))
}

/// Writes the top-level `included` array of a compound document (JSON:API): each live record
/// the `keys`' sideloads name, once, in the order first named.
fn write_included(body: &mut String, view: View<'_>, keys: &[u64], sideloads: &[&Include]) {
    if sideloads.is_empty() {
        return;
    }
    let mut seen: Vec<(&str, u64)> = Vec::new();
    body.push_str(",\"included\":[");
    let mut seen_set: std::collections::HashSet<(&str, u64)> = std::collections::HashSet::new();
    for &key in keys {
        for inc in sideloads {
            let Some(target) = resources::by_name(inc.target) else {
                continue;
            };
            for id in (inc.related)(view, key) {
                if seen_set.contains(&(inc.target, id)) || !(target.exists)(view, id) {
                    continue;
                }
                if !seen.is_empty() {
                    body.push(',');
                }
                seen.push((inc.target, id));
                seen_set.insert((inc.target, id));
                (target.write_v2)(body, view, id, &Shape::plain());
            }
        }
    }
    body.push(']');
    INCLUDED.with(|n| n.set(n.get() + seen.len() as u64));
}

fn show(view: View<'_>, res: Resource, id: &str, shape: &Shape, sideloads: &[&Include]) -> Resp {
    let Ok(key) = id.parse::<u64>() else {
        return Resp::not_found();
    };
    if !(res.exists)(view, key) {
        return Resp::not_found();
    }
    let mut body = String::with_capacity(8192);
    body.push_str("{\"data\":");
    (res.write_v2)(&mut body, view, key, shape);
    write_included(&mut body, view, &[key], sideloads);
    body.push_str(",\"meta\":{}}");
    Resp { status: 200, body }
}

/// What an index request asks for: its page, order, count and filters.
struct Ask {
    number: u64,
    size: u64,
    desc: bool,
    /// Sorted by `updated_at` (then id) instead of by id.
    by_updated: bool,
    want_count: bool,
    filters: Filters,
}

/// Reads the paging, sort, stats and filter parameters of an index request to `res`, or the
/// 400 answer they deserve.
fn ask(shared: &Shared, res: Resource, params: &Params) -> Result<Ask, Resp> {
    let variants = shared.config.variants;
    let number = match params.get("page[number]").map(|v| v.trim().parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            return Err(Resp::bad_request(
                "page[number] must be a positive integer.",
            ))
        }
    };
    let mut size = match params.get("page[size]").map(|v| v.trim().parse::<u64>()) {
        None => 20,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Err(Resp::bad_request("page[size] must be a positive integer.")),
    };
    if size > 100 {
        match variants.oversize_page {
            Oversize::Clamp => size = 100,
            Oversize::Error => {
                return Err(Resp::bad_request(
                    "page[size] must be less than or equal to 100.",
                ))
            }
        }
    }
    if variants.v2_keyset == V2Keyset::Refused && params.get("sort").is_some() {
        return Err(Resp::bad_request(
            "Sorting is not supported on this collection.",
        ));
    }
    let mut by_updated = false;
    let desc = match params.get("sort").map(str::trim) {
        None | Some("") => false,
        Some(sort) => {
            let attr = sort.trim_start_matches('-');
            // Any attribute sorts (the reference's generic rule); the simulator models the id
            // and, where records carry one, `updated_at`.
            by_updated = attr == "updated_at" && res.filters.contains(&"updated_at");
            if !res.sorts.contains(&attr) && !by_updated {
                return Err(Resp::bad_request(&format!("Tried to sort on attribute :{attr}, but could not find an attribute with that name.")));
            }
            sort.starts_with('-')
        }
    };
    let want_count = match params.get("stats[total]") {
        None => false,
        Some("count") => true,
        Some(other) => {
            return Err(Resp::bad_request(&format!(
                "Unsupported stat :{other} on total."
            )))
        }
    };
    let filters = Filters::parse(res.filters, res.keys, params, variants)
        .map_err(|message| Resp::bad_request(&message))?;
    Ok(Ask {
        number,
        size,
        desc,
        by_updated,
        want_count,
        filters,
    })
}

fn index(
    shared: &Shared,
    view: View<'_>,
    res: Resource,
    params: &Params,
    shape: &Shape,
    sideloads: &[&Include],
) -> Resp {
    let variants = shared.config.variants;
    // `relationships` and `imports` are named here because they are the collections whose
    // spec declares no page parameters: behind their switches they ignore paging, sorting and
    // the id filter, and every request gets the whole (otherwise filtered) collection.
    if (variants.relationships_unpaged && res.name == "relationships")
        || (variants.imports_unpaged && res.name == "imports")
    {
        return index_unpaged(shared, view, res, params, shape, sideloads);
    }
    let mut ask = match ask(shared, res, params) {
        Ok(ask) => ask,
        Err(resp) => return resp,
    };
    if ask.by_updated {
        ask.filters.observe_updated();
    }
    let kind = res.keys;
    let filters = &ask.filters;
    let pred_fn = |k: u64| (res.matches)(filters, view, k);
    let pred: Option<paging::Pred<'_>> = if filters.needs_scan() {
        Some(&pred_fn)
    } else {
        None
    };
    let skip = (ask.number - 1).saturating_mul(ask.size);
    let keys = if ask.by_updated {
        by_updated(view, res, &ask, skip)
    } else {
        view.collect(kind, filters.bounds(), pred, skip, ask.size, ask.desc)
    };
    let count = match shared.config.variants.v2_counts {
        _ if !ask.want_count => None,
        V2Counts::Filtered => Some(view.count(kind, filters.bounds(), pred)),
        V2Counts::Unfiltered => Some(view.count(kind, Bounds::default(), None)),
        V2Counts::Absent => None,
    };
    let path = format!("/api/v2/{}", res.v2_path);
    let next = Some(!keys.is_empty());
    page(
        shared,
        view,
        res,
        &path,
        params,
        (shape, sideloads),
        &keys,
        (ask.number, ask.size),
        next,
        count,
    )
}

/// The keys of one page of `res` sorted by `updated_at`, then id: every record passing the
/// filters is looked at (a scan, as a database without an index on the column would do).
fn by_updated(view: View<'_>, res: Resource, ask: &Ask, skip: u64) -> Vec<u64> {
    let filters = &ask.filters;
    let mut all: Vec<(i64, u64)> = view
        .collect(res.keys, filters.bounds(), None, 0, u64::MAX, false)
        .into_iter()
        .filter_map(|k| {
            filters
                .updated_of(|f| (res.matches)(f, view, k))
                .map(|t| (t, k))
        })
        .collect();
    all.sort_unstable();
    if ask.desc {
        all.reverse();
    }
    all.into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(ask.size).unwrap_or(usize::MAX))
        .map(|(_, k)| k)
        .collect()
}

/// The whole collection in one document, as an API that ignores paging answers every request
/// (only `self` among the links); filters other than the id filter still apply.
fn index_unpaged(
    shared: &Shared,
    view: View<'_>,
    res: Resource,
    params: &Params,
    shape: &Shape,
    sideloads: &[&Include],
) -> Resp {
    let unpaged = Params(
        params
            .0
            .iter()
            .filter(|(k, _)| !k.starts_with("page[") && k != "sort" && !k.starts_with("filter[id]"))
            .cloned()
            .collect(),
    );
    let filters = match Filters::parse(res.filters, res.keys, &unpaged, shared.config.variants) {
        Ok(f) => f,
        Err(message) => return Resp::bad_request(&message),
    };
    let pred_fn = |k: u64| (res.matches)(&filters, view, k);
    let pred: Option<paging::Pred<'_>> = filters.needs_scan().then_some(&pred_fn as _);
    let keys = view.collect(res.keys, filters.bounds(), pred, 0, u64::MAX, false);
    let count = (params.get("stats[total]") == Some("count")).then_some(keys.len() as u64);
    let path = format!("/api/v2/{}", res.v2_path);
    page(
        shared,
        view,
        res,
        &path,
        &unpaged,
        (shape, sideloads),
        &keys,
        (1, keys.len().max(1) as u64),
        None,
        count,
    )
}

/// `GET /api/v2/lists/{id}/signups`: the members of one list as `signups` resource objects,
/// paged like any collection (`page[number]`/`page[size]`, or `sort=id` with
/// `filter[id][gt]`), with the signups' filters and `stats[total]=count`; a 404 for a list
/// that does not exist.
fn list_members(shared: &Shared, view: View<'_>, owner: &str, params: &Params) -> Resp {
    let (Some(res), Ok(list)) = (resources::by_name("list_members"), owner.parse::<u64>()) else {
        return Resp::not_found();
    };
    if lists_precincts_relationships::list(view.nation, &view.state.lists, list).is_none() {
        return Resp::not_found();
    }
    let ask = match ask(shared, res, params) {
        Ok(ask) => ask,
        Err(resp) => return resp,
    };
    let bounds = ask.filters.bounds();
    let mut members: Vec<u64> = lists_precincts_relationships::members(view, list)
        .into_iter()
        .filter(|k| (bounds.lo..=bounds.hi).contains(k))
        .filter(|k| !ask.filters.needs_scan() || (res.matches)(&ask.filters, view, *k))
        .collect();
    if ask.desc {
        members.reverse();
    }
    let count = ask.want_count.then_some(members.len() as u64);
    let skip = (ask.number - 1).saturating_mul(ask.size);
    let keys: Vec<u64> = members
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(ask.size).unwrap_or(usize::MAX))
        .collect();
    let shape = Shape::parse(res.v2_type, params);
    let path = format!("/api/v2/lists/{list}/signups");
    let next = Some(!keys.is_empty());
    page(
        shared,
        view,
        res,
        &path,
        params,
        (&shape, &[]),
        &keys,
        (ask.number, ask.size),
        next,
        count,
    )
}

/// Writes a collection page: the records of `keys`, the links (`next` per `next`: `None` for
/// a collection that does not page, else whether the page held records) and the meta.
#[allow(clippy::too_many_arguments)]
fn page(
    shared: &Shared,
    view: View<'_>,
    res: Resource,
    path: &str,
    params: &Params,
    (shape, sideloads): (&Shape, &[&Include]),
    keys: &[u64],
    (number, size): (u64, u64),
    next: Option<bool>,
    count: Option<u64>,
) -> Resp {
    let variants = shared.config.variants;
    let mut body = String::with_capacity(keys.len() * 4400 + 1024);
    body.push_str("{\"data\":[");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        (res.write_v2)(&mut body, view, *key, shape);
    }
    body.push(']');
    write_included(&mut body, view, keys, sideloads);
    body.push_str(",\"links\":");
    {
        let mut links = Obj::open(&mut body, None, false);
        let link = |n: u64| page_link(shared, path, params, n, size);
        links.str("self", &link(number));
        if let Some(more) = next {
            if number > 1 {
                links.str("prev", &link(number - 1));
            }
            if more {
                links.str("next", &link(number + 1));
            } else {
                match variants.last_next {
                    LastNext::Absent => {}
                    LastNext::Null => links.null("next"),
                    LastNext::Present => links.str("next", &link(number + 1)),
                }
            }
        }
        links.close();
    }
    body.push_str(",\"meta\":");
    match count {
        Some(count) => {
            let _ = write!(body, "{{\"stats\":{{\"total\":{{\"count\":{count}}}}}}}");
        }
        None => body.push_str("{}"),
    }
    body.push('}');
    Resp { status: 200, body }
}

/// A page link with the request's own parameters (or only `page[number]`, per the switch).
fn page_link(shared: &Shared, path: &str, params: &Params, number: u64, size: u64) -> String {
    let variants = shared.config.variants;
    let mut s = String::with_capacity(160);
    if variants.links == LinkStyle::Absolute {
        s.push_str(&shared.base_url);
    }
    let _ = write!(s, "{path}?page[number]={number}");
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
