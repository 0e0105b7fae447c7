//! The v2 face of the canvass log and the volunteer pipelines (module `contacts_paths`):
//! the resource objects of `/api/v2/contacts`, `/paths`, `/path_steps`, `/path_journeys`,
//! `/path_histories` and `/path_journey_status_changes` as the OpenAPI copy lists their
//! attributes (a contact has no `updated_at`), and the predicates of their `filter[...]`
//! parameters. The resource registry (module `resources`) points each resource at these.

use std::fmt::Write as _;

use super::contacts_paths::{Contact, History, Journey, Path, StatusChange, Step};
use super::json::Obj;
use super::paging::View;
use super::v2_filters::Filters;
use super::v2_records::{head, opt_time, Shape};

/// Writes a `contacts` resource object (no `updated_at`: the API has none).
pub(crate) fn write_contact(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let c = Contact::generate(view.nation, &view.state.contacts_paths, id);
    head(out, id, "contacts");
    let mut o = Obj::open(out, shape.fields(), false);
    o.id_str("author_id", c.author_id);
    o.id_str("broadcaster_id", c.broadcaster_id);
    o.str("contact_method", c.method);
    o.opt_str("contact_status", c.status);
    o.opt_str("content", c.content);
    o.id_str("path_id", c.path.map(|p| p.0));
    o.id_str("path_step_id", c.path.map(|p| p.1));
    o.int("pc_in_cents", c.pc_in_cents);
    o.id_str("signup_id", Some(c.signup_id));
    opt_time(&mut o, "created_at", Some(c.created_at), c.zone);
    o.close();
    let _ = write!(
        out,
        ",\"relationships\":{{\"signup\":{{\"links\":{{\"related\":\"/api/v2/signups/{}\"}}}}}}}}",
        c.signup_id
    );
}

/// Writes a `paths` resource object.
pub(crate) fn write_path(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let p = Path::generate(view.nation, id);
    head(out, id, "paths");
    let mut o = Obj::open(out, shape.fields(), false);
    o.opt_str("default_due_date_interval", p.interval);
    o.id_str("default_point_person_id", p.default_point_person_id);
    o.opt_str("default_value_amount", p.default_value_amount);
    o.bool("due_date_is_enabled", p.due_date_is_enabled);
    o.str("name", &p.name);
    o.bool("value_amount_is_enabled", p.value_amount_is_enabled);
    opt_time(&mut o, "created_at", Some(p.created_at), p.zone);
    opt_time(&mut o, "updated_at", Some(p.updated_at), p.zone);
    o.close();
    out.push('}');
}

/// Writes a `path_steps` resource object.
pub(crate) fn write_step(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let s = Step::generate(view.nation, &view.state.contacts_paths, id);
    head(out, id, "path_steps");
    let mut o = Obj::open(out, shape.fields(), false);
    o.opt_str("default_due_date_interval", s.interval);
    o.id_str("default_point_person_id", s.default_point_person_id);
    o.str("name", s.name);
    o.id_str("path_id", Some(s.path_id));
    o.int("position", s.position as i64);
    opt_time(&mut o, "created_at", Some(s.created_at), s.zone);
    opt_time(&mut o, "updated_at", Some(s.updated_at), s.zone);
    o.close();
    out.push('}');
}

/// Writes a `path_journey_status_changes` resource object.
pub(crate) fn write_status_change(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let s = StatusChange::generate(view.nation, id);
    head(out, id, "path_journey_status_changes");
    let mut o = Obj::open(out, shape.fields(), false);
    o.str("name", s.name);
    o.id_str("path_id", Some(s.path_id));
    o.str("target_status", s.target_status);
    opt_time(&mut o, "created_at", Some(s.created_at), s.zone);
    opt_time(&mut o, "updated_at", Some(s.updated_at), s.zone);
    o.close();
    out.push('}');
}

/// Writes a `path_journeys` resource object.
pub(crate) fn write_journey(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let j = Journey::generate(view.nation, &view.state.contacts_paths, id);
    let z = j.zone;
    head(out, id, "path_journeys");
    let mut o = Obj::open(out, shape.fields(), false);
    opt_time(&mut o, "current_step_due_date", j.current_step_due_date, z);
    o.id_str("current_step_id", Some(j.current_step_id));
    o.id_str(
        "current_step_point_person_id",
        j.current_step_point_person_id,
    );
    o.opt_str("description", j.description);
    opt_time(&mut o, "due_date", j.due_date, z);
    o.id_str("path_id", Some(j.path_id));
    o.id_str("point_person_id", j.point_person_id);
    o.id_str("signup_id", Some(j.signup_id));
    o.opt_str("value_amount", j.value_amount);
    opt_time(&mut o, "created_at", Some(j.created_at), z);
    opt_time(&mut o, "ended_at", j.ended_at, z);
    o.str("journey_status", j.status);
    opt_time(&mut o, "last_moved_at", j.last_moved_at, z);
    o.id_str("path_journey_status_change_id", j.status_change_id);
    opt_time(&mut o, "updated_at", Some(j.updated_at), z);
    o.close();
    let _ = write!(
        out,
        ",\"relationships\":{{\"signup\":{{\"links\":{{\"related\":\"/api/v2/signups/{}\"}}}},\"path\":{{\"links\":{{\"related\":\"/api/v2/paths/{}\"}}}}}}}}",
        j.signup_id, j.path_id
    );
}

/// Writes a `path_histories` resource object.
pub(crate) fn write_history(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let h = History::generate(view.nation, &view.state.contacts_paths, id);
    head(out, id, "path_histories");
    let mut o = Obj::open(out, shape.fields(), false);
    o.str("category", h.category);
    opt_time(&mut o, "created_at", Some(h.created_at), h.zone);
    o.id_str(
        "current_step_point_person_id",
        h.current_step_point_person_id,
    );
    o.id_str("path_journey_id", Some(h.journey_id));
    o.id_str("path_journey_status_change_id", h.status_change_id);
    o.id_str("path_step_id", Some(h.step_id));
    o.id_str("point_person_id", h.point_person_id);
    o.id_str("recruiter_id", h.recruiter_id);
    opt_time(&mut o, "updated_at", Some(h.created_at), h.zone);
    o.close();
    out.push('}');
}

// ---------------------------------------------------------------------------------------------
// Filters and counts

/// `contacts` filters: `created_at`, `signup_id`.
pub(crate) fn matches_contact(f: &Filters, view: View<'_>, key: u64) -> bool {
    if !f.id_ok(key) {
        return false;
    }
    let c = Contact::generate(view.nation, &view.state.contacts_paths, key);
    f.in_time("created_at", Some(c.created_at)) && f.signup_ok(c.signup_id)
}

/// `paths` filters: `updated_at`, `created_at`.
pub(crate) fn matches_path(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key) && {
        let p = Path::generate(view.nation, key);
        f.in_updated(p.updated_at) && f.in_time("created_at", Some(p.created_at))
    }
}

/// `path_steps` filters: `updated_at`, `created_at`.
pub(crate) fn matches_step(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key) && {
        let s = Step::generate(view.nation, &view.state.contacts_paths, key);
        f.in_updated(s.updated_at) && f.in_time("created_at", Some(s.created_at))
    }
}

/// `path_journey_status_changes` filters: `updated_at`, `created_at`.
pub(crate) fn matches_status_change(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key) && {
        let s = StatusChange::generate(view.nation, key);
        f.in_updated(s.updated_at) && f.in_time("created_at", Some(s.created_at))
    }
}

/// `path_journeys` filters: `updated_at`, `created_at`, `signup_id`.
pub(crate) fn matches_journey(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key) && {
        let j = Journey::generate(view.nation, &view.state.contacts_paths, key);
        f.in_updated(j.updated_at)
            && f.in_time("created_at", Some(j.created_at))
            && f.signup_ok(j.signup_id)
    }
}

/// `path_histories` filters: `updated_at`, `created_at`.
pub(crate) fn matches_history(f: &Filters, view: View<'_>, key: u64) -> bool {
    f.id_ok(key) && {
        let h = History::generate(view.nation, &view.state.contacts_paths, key);
        f.in_updated(h.created_at) && f.in_time("created_at", Some(h.created_at))
    }
}

#[cfg(test)]
mod tests {
    use super::super::churn::{contacts_step, journeys_step};
    use super::super::data::Nation;
    use super::super::state::State;
    use super::*;

    fn view_of<'a>(nation: &'a Nation, state: &'a State) -> View<'a> {
        View { nation, state }
    }

    #[test]
    fn churn_adds_contacts_and_moves_journeys_with_a_history_row() {
        let n = Nation::new(3, 400, "EUR");
        let mut s = State::new(&n);
        let before = (
            s.contacts_paths.contacts.live_count(),
            s.contacts_paths.histories.live_count(),
        );
        for event in 1..=200 {
            s.create(&n);
            contacts_step(&mut s, &n, event);
            journeys_step(&mut s, &n, event);
        }
        let l = &s.contacts_paths;
        assert!(l.contacts.counts.created > 50);
        assert_eq!(
            l.contacts.live_count(),
            before.0 + l.contacts.counts.created
        );
        assert!(l.journeys.counts.updated > 20);
        assert_eq!(l.histories.counts.created, l.journeys.counts.updated);
        assert_eq!(
            l.histories.live_count(),
            before.1 + l.histories.counts.created
        );
        let view = view_of(&n, &s);
        for id in (l.histories.max_id() - l.histories.counts.created + 1)..=l.histories.max_id() {
            let h = History::generate(&n, l, id);
            let j = Journey::generate(&n, l, h.journey_id);
            assert!(h.created_at <= j.updated_at);
            if h.category == "completion" {
                assert_eq!(j.status, "completed");
            }
            let mut out = String::new();
            write_history(&mut out, view, id, &Shape::none());
            assert!(
                serde_json::from_str::<serde_json::Value>(&out).is_ok(),
                "{out}"
            );
        }
        for id in 1..=l.contacts.max_id() {
            let mut out = String::new();
            write_contact(&mut out, view, id, &Shape::none());
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert!(v["attributes"].get("updated_at").is_none());
        }
    }
}
