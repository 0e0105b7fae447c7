//! API v2 (JSON:API, §7–§8): the index and show routes of every resource in the registry
//! ([`super::resources`]): `signups`, `signup_tags`, `signup_taggings`, `donations`,
//! `memberships`, `membership_types` and `custom_fields`. Offset paging with
//! `page[number]`/`page[size]`, keyset paging with `filter[id][gt]` + `sort=id`, the filters
//! the reference names (unknown ones give the 400 `bad_request` body), sparse fieldsets
//! `fields[type]`, `extra_fields[type]` for addresses and `stats[total]=count`, the page links
//! and the error bodies. `include=` sideloads the relationships the registry lists
//! ([`resources::INCLUDES`]) as a JSON:API compound document (`relationships.<rel>.data` on
//! each record, the related records once each in a top-level `included` array); any other
//! relationship gives 400. Filters are parsed and matched by [`super::v2_filters`], and records
//! are written straight into the response buffer by [`super::v2_records`].

use std::fmt::Write as _;

use super::json::Obj;
use super::paging::{self, Params, View};
use super::resources::{self, Include, ResourceDef};
use super::v2_filters::Filters;
use super::v2_records::Shape;
use super::{LastNext, LinkStyle, Oversize, Shared, V2Keyset, V2LinkParams};

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

/// Writes the top-level `included` array of a compound document (JSON:API): each live record
/// the `keys`' sideloads name, once, in the order first named.
fn write_included(body: &mut String, view: View<'_>, keys: &[u64], sideloads: &[&Include]) {
    if sideloads.is_empty() {
        return;
    }
    let mut seen: Vec<(&str, u64)> = Vec::new();
    body.push_str(",\"included\":[");
    for &key in keys {
        for inc in sideloads {
            let Some(id) = (inc.related)(view, key) else {
                continue;
            };
            let Some(target) = resources::by_name(inc.target) else {
                continue;
            };
            if seen.contains(&(inc.target, id)) || !(target.exists)(view, id) {
                continue;
            }
            if !seen.is_empty() {
                body.push(',');
            }
            seen.push((inc.target, id));
            (target.write_v2)(body, view, id, &Shape::plain());
        }
    }
    body.push(']');
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

fn index(
    shared: &Shared,
    view: View<'_>,
    res: Resource,
    params: &Params,
    shape: &Shape,
    sideloads: &[&Include],
) -> Resp {
    let variants = shared.config.variants;
    // `imports` is named here because it is the one collection whose spec declares no page
    // parameters: under the switch it ignores paging, sorting and the id filter.
    if variants.imports_unpaged && res.name == "imports" {
        let unpaged = Params(
            params
                .0
                .iter()
                .filter(|(k, _)| {
                    !k.starts_with("page[") && k != "sort" && !k.starts_with("filter[id]")
                })
                .cloned()
                .collect(),
        );
        return index_unpaged(shared, view, res, &unpaged, shape);
    }
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
    let filters = match Filters::parse(res.filters, res.keys, params, variants) {
        Ok(f) => f,
        Err(message) => return Resp::bad_request(&message),
    };
    let kind = res.keys;
    let pred_fn = |k: u64| (res.matches)(&filters, view, k);
    let pred: Option<paging::Pred<'_>> = if filters.needs_scan() {
        Some(&pred_fn)
    } else {
        None
    };
    let skip = (number - 1).saturating_mul(size);
    let keys = view.collect(kind, filters.bounds(), pred, skip, size, desc);

    let mut body = String::with_capacity(keys.len() * 4400 + 1024);
    body.push_str("{\"data\":[");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        (res.write_v2)(&mut body, view, *key, shape);
    }
    body.push(']');
    write_included(&mut body, view, &keys, sideloads);
    body.push_str(",\"links\":");
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
        let count = view.count(kind, filters.bounds(), pred);
        let _ = write!(body, "{{\"stats\":{{\"total\":{{\"count\":{count}}}}}}}");
    } else {
        body.push_str("{}");
    }
    body.push('}');
    Resp { status: 200, body }
}

/// The whole collection in one document, as an API that ignores paging answers every request
/// (only `self` among the links).
fn index_unpaged(
    shared: &Shared,
    view: View<'_>,
    res: Resource,
    params: &Params,
    shape: &Shape,
) -> Resp {
    let filters = match Filters::parse(res.filters, res.keys, params, shared.config.variants) {
        Ok(f) => f,
        Err(message) => return Resp::bad_request(&message),
    };
    let pred_fn = |k: u64| (res.matches)(&filters, view, k);
    let pred: Option<paging::Pred<'_>> = filters.needs_scan().then_some(&pred_fn as _);
    let keys = view.collect(res.keys, filters.bounds(), pred, 0, u64::MAX, false);
    let mut body = String::with_capacity(keys.len() * 1024 + 256);
    body.push_str("{\"data\":[");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        (res.write_v2)(&mut body, view, *key, shape);
    }
    let _ = write!(
        body,
        "],\"links\":{{\"self\":\"/api/v2/{}\"}},\"meta\":",
        res.v2_path
    );
    if params.get("stats[total]") == Some("count") {
        let _ = write!(
            body,
            "{{\"stats\":{{\"total\":{{\"count\":{}}}}}}}",
            keys.len()
        );
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
