//! API v1 routes of the full exit's resources (full-exit.md §2), over the same generated
//! nation as v2: the nation-wide listings `/sites`, `/precincts` (and `/precincts/:id`),
//! `/paths` (definitions with their steps), `/lists` and `/survey_responses` (each response with
//! its question responses); the per-record routes `/lists/:id/people`,
//! `/people/:id/contacts`, and the per-site page routes `/sites/:slug/pages/{events,petitions,
//! surveys}` with `/…/events/:id/rsvps` and `/…/petitions/:id/signatures`. Every route pages
//! with the configured v1 envelope (token or legacy).
//!
//! v1 shapes differ from v2's as the reference says: a v1 event, petition or survey *is* its
//! page (its id is the page id, it carries `site_slug`, `name`, `slug`, `status`); a contact
//! has no id and names its sender and recipient (`sender_id`, `recipient_id`) and its note
//! (`note`); an RSVP has no id of its own; a survey embeds its questions and their choices; a
//! survey response groups question responses (here one per response, the simulator's choice).
//! Fields the reference does not list for v1 are not invented.

use super::contacts_paths::{Contact, Path, Step};
use super::data::{self, Nation, Zone};
use super::events::{self, Event, Page, Rsvp, Site};
use super::json::Obj;
use super::lists_precincts_relationships as lpr;
use super::paging::{Bounds, KeySpace, Params, View};
use super::surveys_pledges_petitions as spp;
use super::v1::{list, listing_keys, write_abbreviated, Listing};
use super::v2::Resp;
use super::Shared;

/// Handles the full exit's v1 routes (`segments` after `/api/v1/`); `None` for any other.
pub(crate) fn handle(
    shared: &Shared,
    view: View<'_>,
    segments: &[&str],
    params: &Params,
) -> Option<Resp> {
    let nation = view.nation;
    let listing = |path: &'static str, name: &'static str| Listing {
        path,
        kind: listing_keys(name),
        pred: None,
        within: Bounds::default(),
    };
    Some(match segments {
        ["sites"] => list(shared, view, params, listing("sites", "sites"), &|o, k| {
            write_site(o, nation, k)
        }),
        ["precincts"] => list(
            shared,
            view,
            params,
            listing("precincts", "precincts"),
            &|o, k| write_precinct(o, nation, k),
        ),
        ["precincts", id] => match id
            .parse::<u64>()
            .ok()
            .filter(|k| lpr::precinct(nation, *k).is_some())
        {
            Some(k) => {
                let mut body = String::from("{\"precinct\":");
                write_precinct(&mut body, nation, k);
                body.push('}');
                Resp { status: 200, body }
            }
            None => Resp::error(404, "not_found", "Record not found"),
        },
        ["paths"] => list(shared, view, params, listing("paths", "paths"), &|o, k| {
            write_path(o, view, k)
        }),
        ["lists"] => list(shared, view, params, listing("lists", "lists"), &|o, k| {
            write_list(o, view, k)
        }),
        ["lists", id, "people"] => {
            let Some(list_id) = id
                .parse::<u64>()
                .ok()
                .filter(|k| lpr::list(nation, &view.state.lists, *k).is_some())
            else {
                return Some(Resp::error(404, "not_found", "Record not found"));
            };
            let members = lpr::members(view, list_id);
            let within = bounds_of(&members);
            let pred = |k: u64| members.binary_search(&k).is_ok();
            let path = format!("lists/{list_id}/people");
            list(
                shared,
                view,
                params,
                Listing {
                    path: &path,
                    kind: KeySpace::People,
                    pred: Some(&pred),
                    within,
                },
                &|o, k| write_abbreviated(o, view, k),
            )
        }
        ["people", id, "contacts"] => {
            let Some(person) = id
                .parse::<u64>()
                .ok()
                .filter(|p| view.state.live_slot(nation, *p).is_some())
            else {
                return Some(Resp::error(404, "not_found", "Record not found"));
            };
            let ledgers = &view.state.contacts_paths;
            let pred = |k: u64| {
                ledgers.contacts.is_live(k)
                    && Contact::generate(nation, ledgers, k).signup_id == person
            };
            let path = format!("people/{person}/contacts");
            list_where(shared, view, params, &path, "contacts", &pred, &|o, k| {
                write_contact(o, view, k)
            })
        }
        ["sites", slug, "pages", kind] => {
            let site = site_by_slug(nation, slug)?;
            let path = format!("sites/{slug}/pages/{kind}");
            match *kind {
                "events" => {
                    let pred =
                        |e: u64| page_site(nation, events::event_page(nation, e)) == Some(site);
                    list_where(shared, view, params, &path, "events", &pred, &|o, e| {
                        write_event(o, nation, e)
                    })
                }
                "petitions" => {
                    let pred = |p: u64| {
                        spp::petition(nation, p)
                            .is_some_and(|x| page_site(nation, x.page_id) == Some(site))
                    };
                    list_where(shared, view, params, &path, "petitions", &pred, &|o, p| {
                        write_petition(o, nation, p)
                    })
                }
                "surveys" => {
                    let pred = |s: u64| survey_site(nation, s) == site;
                    list_where(shared, view, params, &path, "surveys", &pred, &|o, s| {
                        write_survey(o, nation, s)
                    })
                }
                _ => return None,
            }
        }
        ["sites", slug, "pages", "events", id, "rsvps"] => {
            let site = site_by_slug(nation, slug)?;
            let Some(e) = id
                .parse::<u64>()
                .ok()
                .and_then(|page| events::page_event(nation, page))
                .filter(|e| page_site(nation, events::event_page(nation, *e)) == Some(site))
            else {
                return Some(Resp::error(404, "not_found", "Record not found"));
            };
            let ledger = &view.state.rsvps;
            let pred =
                |k: u64| ledger.is_live(k) && Rsvp::generate(nation, ledger, k).event_id == e;
            let path = format!("sites/{slug}/pages/events/{id}/rsvps");
            list_where(
                shared,
                view,
                params,
                &path,
                "event_rsvps",
                &pred,
                &|o, k| write_rsvp(o, view, k),
            )
        }
        ["sites", slug, "pages", "petitions", id, "signatures"] => {
            let site = site_by_slug(nation, slug)?;
            let Some(petition) = id
                .parse::<u64>()
                .ok()
                .and_then(|page| petition_of_page(nation, page))
                .filter(|p| {
                    spp::petition(nation, *p)
                        .is_some_and(|x| page_site(nation, x.page_id) == Some(site))
                })
            else {
                return Some(Resp::error(404, "not_found", "Record not found"));
            };
            let ledger = &view.state.petition_signatures;
            let pred = |k: u64| {
                ledger.is_live(k) && spp::signature(nation, ledger, k).petition_id == petition
            };
            let path = format!("sites/{slug}/pages/petitions/{id}/signatures");
            list_where(
                shared,
                view,
                params,
                &path,
                "petition_signatures",
                &pred,
                &|o, k| write_signature(o, view, k),
            )
        }
        ["survey_responses"] => {
            let wanted = match params.get("survey_id").map(|s| s.trim().parse::<u64>()) {
                None => None,
                Some(Ok(s)) => Some(s),
                Some(Err(_)) => {
                    return Some(Resp::error(
                        400,
                        "bad_request",
                        "survey_id must be an integer",
                    ))
                }
            };
            let ledger = &view.state.survey_question_responses;
            let pred = |k: u64| {
                ledger.is_live(k)
                    && wanted.is_none_or(|s| {
                        let r = spp::response(nation, ledger, k);
                        spp::question(nation, r.question_id).is_some_and(|q| q.survey_id == s)
                    })
            };
            list_where(
                shared,
                view,
                params,
                "survey_responses",
                "survey_question_responses",
                &pred,
                &|o, k| write_survey_response(o, view, k),
            )
        }
        _ => return None,
    })
}

/// Pages the records of resource `name`'s key space that `pred` selects, at `path`.
fn list_where(
    shared: &Shared,
    view: View<'_>,
    params: &Params,
    path: &str,
    name: &str,
    pred: &dyn Fn(u64) -> bool,
    write: &dyn Fn(&mut String, u64),
) -> Resp {
    let listing = Listing {
        path,
        kind: listing_keys(name),
        pred: Some(pred),
        within: Bounds::default(),
    };
    list(shared, view, params, listing, write)
}

/// The key bounds of an ascending id list (an empty range for none).
fn bounds_of(ids: &[u64]) -> Bounds {
    match (ids.first(), ids.last()) {
        (Some(&lo), Some(&hi)) => Bounds { lo, hi },
        _ => Bounds { lo: 1, hi: 0 },
    }
}

/// The site whose slug is `slug` (percent-decoded).
fn site_by_slug(nation: &Nation, slug: &str) -> Option<u64> {
    let slug = super::v1::percent_decode(slug);
    (1..=events::site_count(nation))
        .find(|&s| Site::generate(nation, s).is_some_and(|x| x.slug == slug))
}

/// The site of page `page`.
fn page_site(nation: &Nation, page: u64) -> Option<u64> {
    Page::generate(nation, page).map(|p| p.site_id)
}

/// The petition whose page is `page`.
fn petition_of_page(nation: &Nation, page: u64) -> Option<u64> {
    (1..=spp::petition_count(nation))
        .find(|&p| spp::petition(nation, p).is_some_and(|x| x.page_id == page))
}

/// The site a survey is published on: v2 surveys name no page, so the simulator places every
/// survey on the national site (site 1).
fn survey_site(_nation: &Nation, _survey: u64) -> u64 {
    1
}

fn time(o: &mut Obj<'_>, name: &str, t: Option<i64>, zone: Zone) {
    if o.key(name) {
        match t {
            Some(t) => data::time_json(o.out, t, zone),
            None => o.out.push_str("null"),
        }
    }
}

fn id(o: &mut Obj<'_>, name: &str, v: Option<u64>) {
    o.opt_int(name, v.map(|v| v as i64));
}

fn write_site(out: &mut String, nation: &Nation, k: u64) {
    let Some(s) = Site::generate(nation, k) else {
        return;
    };
    let mut o = Obj::open(out, None, true);
    o.int("id", k as i64);
    o.str("name", &s.name);
    o.str("slug", &s.slug);
    o.opt_str("domain", s.domain.as_deref());
    o.close();
}

fn write_precinct(out: &mut String, nation: &Nation, k: u64) {
    let Some(p) = lpr::precinct(nation, k) else {
        return;
    };
    let mut o = Obj::open(out, None, true);
    o.int("id", k as i64);
    o.str("name", &p.name);
    o.str("code", &p.code);
    id(&mut o, "point_person_id", p.point_person_id);
    o.close();
}

/// A path with its steps (`/paths` gives definitions and steps only).
fn write_path(out: &mut String, view: View<'_>, k: u64) {
    let nation = view.nation;
    let p = Path::generate(nation, k);
    let ledgers = &view.state.contacts_paths;
    let mut o = Obj::open(out, None, true);
    o.int("id", k as i64);
    o.str("name", &p.name);
    id(&mut o, "default_point_person_id", p.default_point_person_id);
    time(&mut o, "created_at", Some(p.created_at), p.zone);
    time(&mut o, "updated_at", Some(p.updated_at), p.zone);
    if o.key("steps") {
        o.out.push('[');
        let mut first = true;
        for s in 1..=ledgers.steps.max_id() {
            if !ledgers.steps.is_live(s) {
                continue;
            }
            let step = Step::generate(nation, ledgers, s);
            if step.path_id != k {
                continue;
            }
            if !first {
                o.out.push(',');
            }
            first = false;
            let mut so = Obj::open(o.out, None, true);
            so.int("id", s as i64);
            so.str("name", step.name);
            so.int("position", step.position as i64);
            id(
                &mut so,
                "default_point_person_id",
                step.default_point_person_id,
            );
            so.close();
        }
        o.out.push(']');
    }
    o.close();
}

fn write_list(out: &mut String, view: View<'_>, k: u64) {
    let Some(l) = lpr::list(view.nation, &view.state.lists, k) else {
        return;
    };
    let mut o = Obj::open(out, None, true);
    o.int("id", k as i64);
    o.str("name", &l.name);
    o.str("slug", &l.slug);
    id(&mut o, "author_id", l.author_id);
    o.int("count", lpr::members(view, k).len() as i64);
    o.close();
}

/// The contact types of the simulated nation's control panel (v1 `type_id`), by method: v2
/// gives no type, so the simulator derives one.
fn contact_type(method: &str) -> u64 {
    match method {
        "door_knock" => 1,
        "phone_call" => 2,
        "email" | "email_blast" => 3,
        "text_1to1" | "text_blast" => 4,
        _ => 5,
    }
}

/// A contact as v1 lists it: no id; sender and recipient; the note as `note`.
fn write_contact(out: &mut String, view: View<'_>, k: u64) {
    let c = Contact::generate(view.nation, &view.state.contacts_paths, k);
    let mut o = Obj::open(out, None, true);
    o.int("type_id", contact_type(c.method) as i64);
    o.str("method", c.method);
    id(&mut o, "sender_id", c.author_id);
    o.int("recipient_id", c.signup_id as i64);
    o.opt_str("status", c.status);
    id(&mut o, "broadcaster_id", c.broadcaster_id);
    o.opt_str("note", c.content);
    o.int("capital_in_cents", c.pc_in_cents);
    time(&mut o, "created_at", Some(c.created_at), c.zone);
    id(&mut o, "path_id", c.path.map(|p| p.0));
    id(&mut o, "step_id", c.path.map(|p| p.1));
    o.close();
}

/// The members every v1 page carries (a page is its own record in v1).
fn page_members(o: &mut Obj<'_>, nation: &Nation, page: u64, p: &Page) {
    let site = Site::generate(nation, p.site_id);
    o.int("id", page as i64);
    o.str("slug", &p.slug);
    o.str("path", &format!("/{}", p.slug));
    o.str("status", p.status);
    o.opt_str("site_slug", site.as_ref().map(|s| s.slug.as_str()));
    o.str("name", &p.name);
    o.opt_str("headline", p.headline.as_deref());
    o.str("title", &p.title);
    o.opt_str("excerpt", p.excerpt);
    id(o, "author_id", p.author_id);
    time(o, "published_at", p.published_at, p.zone);
    o.opt_str("external_id", p.external_id.as_deref());
    if o.key("tags") {
        o.out.push_str("[]");
    }
}

/// An event as v1 lists it: its page's members, times and venue.
fn write_event(out: &mut String, nation: &Nation, e: u64) {
    let page = events::event_page(nation, e);
    let (Some(p), Some(ev)) = (Page::generate(nation, page), Event::generate(nation, e)) else {
        return;
    };
    let mut o = Obj::open(out, None, true);
    page_members(&mut o, nation, page, &p);
    o.str("intro", &ev.content);
    o.str("time_zone", ev.time_zone);
    time(&mut o, "start_time", Some(ev.start_at), ev.zone);
    time(&mut o, "end_time", Some(ev.start_at + ev.duration), ev.zone);
    if o.key("venue") {
        let mut v = Obj::open(o.out, None, true);
        v.str("name", ev.venue_name);
        if v.key("address") {
            let mut a = Obj::open(v.out, None, true);
            a.str("address1", &ev.street);
            a.str("city", ev.city);
            a.str("state", ev.region);
            a.str("zip", &ev.zip);
            a.str("country_code", ev.country_code);
            a.close();
        }
        v.close();
    }
    if o.key("contact") {
        let mut c = Obj::open(o.out, None, true);
        c.opt_str("name", ev.contact_name.as_deref());
        c.opt_str("email", ev.contact_email.as_deref());
        c.opt_str("phone", ev.contact_phone_number.as_deref());
        c.close();
    }
    o.int("capacity", ev.capacity_count);
    o.bool("private", ev.private);
    if o.key("shifts") {
        o.out.push_str("[]");
    }
    o.close();
}

/// An RSVP as v1 lists it (no id of its own).
fn write_rsvp(out: &mut String, view: View<'_>, k: u64) {
    let r = Rsvp::generate(view.nation, &view.state.rsvps, k);
    let mut o = Obj::open(out, None, true);
    o.int("event_id", r.page_id as i64);
    o.int("person_id", r.signup_id as i64);
    o.int("guests_count", r.guests_count);
    o.bool("volunteer", r.volunteer);
    o.bool("private", r.private);
    o.bool("canceled", r.canceled);
    o.bool("attended", r.attendee);
    if o.key("shift_ids") {
        o.out.push_str("[]");
    }
    o.close();
}

fn write_petition(out: &mut String, nation: &Nation, k: u64) {
    let Some(x) = spp::petition(nation, k) else {
        return;
    };
    let Some(p) = Page::generate(nation, x.page_id) else {
        return;
    };
    let mut o = Obj::open(out, None, true);
    page_members(&mut o, nation, x.page_id, &p);
    o.str("intro", x.intro);
    o.str("content", x.content);
    o.int("goal", x.goal);
    o.close();
}

fn write_signature(out: &mut String, view: View<'_>, k: u64) {
    let nation = view.nation;
    let s = spp::signature(nation, &view.state.petition_signatures, k);
    let mut o = Obj::open(out, None, true);
    o.int("id", k as i64);
    o.int("petition_id", s.page_id as i64);
    o.int("person_id", s.signup_id as i64);
    o.opt_str("comment", s.comment);
    o.bool("is_private", s.is_private);
    time(&mut o, "created_at", Some(s.created_at), s.zone);
    time(&mut o, "updated_at", Some(s.updated_at), s.zone);
    o.close();
}

/// A survey with its questions and their choices embedded.
fn write_survey(out: &mut String, nation: &Nation, k: u64) {
    let Some(s) = spp::survey(nation, k) else {
        return;
    };
    let site = Site::generate(nation, survey_site(nation, k));
    let mut o = Obj::open(out, None, true);
    o.int("id", k as i64);
    o.str("slug", &format!("survey-{k}"));
    o.opt_str("site_slug", site.as_ref().map(|s| s.slug.as_str()));
    o.str("name", &s.name);
    o.str("status", "published");
    if o.key("questions") {
        o.out.push('[');
        let mut first = true;
        for q in 1..=spp::question_count(nation) {
            let Some(question) = spp::question(nation, q).filter(|x| x.survey_id == k) else {
                continue;
            };
            if !first {
                o.out.push(',');
            }
            first = false;
            let (format, content, _intro, slug, _tags, choices) = spp::QUESTIONS[question.index];
            let mut qo = Obj::open(o.out, None, true);
            qo.int("id", q as i64);
            qo.str("prompt", content);
            qo.null("external_id");
            qo.str("slug", &format!("{slug}_{k}"));
            qo.str("type", format);
            qo.str("status", question.status);
            if qo.key("choices") {
                qo.out.push('[');
                let mut first_choice = true;
                for c in 1..=spp::choice_count(nation) {
                    let Some(choice) = spp::choice(nation, c).filter(|x| x.question_id == q) else {
                        continue;
                    };
                    if !first_choice {
                        qo.out.push(',');
                    }
                    first_choice = false;
                    let mut co = Obj::open(qo.out, None, true);
                    co.int("id", c as i64);
                    co.str("name", choices[choice.index].0);
                    // What v2 calls the choice's outro.
                    co.opt_str(
                        "feedback",
                        (format == "yes_no" && choice.index == 0)
                            .then_some("Thank you! Can we count on your help?"),
                    );
                    co.close();
                }
                qo.out.push(']');
            }
            qo.close();
        }
        o.out.push(']');
    }
    o.close();
}

/// A survey response holding one question response (the simulator's grouping: each v2
/// question response is one v1 survey response).
fn write_survey_response(out: &mut String, view: View<'_>, k: u64) {
    let nation = view.nation;
    let r = spp::response(nation, &view.state.survey_question_responses, k);
    let survey = spp::question(nation, r.question_id).map(|q| q.survey_id);
    let mut o = Obj::open(out, None, true);
    o.int("id", k as i64);
    id(&mut o, "survey_id", survey);
    o.int("person_id", r.signup_id as i64);
    time(&mut o, "created_at", Some(r.created_at), r.zone);
    time(&mut o, "updated_at", Some(r.updated_at), r.zone);
    if o.key("question_responses") {
        o.out.push('[');
        let mut q = Obj::open(o.out, None, true);
        q.int("id", k as i64);
        match (r.choice_id, r.content) {
            (Some(choice), _) => q.int("response", choice as i64),
            (None, Some(text)) => q.str("response", text),
            (None, None) => q.null("response"),
        }
        q.int("question_id", r.question_id as i64);
        q.close();
        o.out.push(']');
    }
    o.close();
}
