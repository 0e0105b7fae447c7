//! The v2 side of surveys, tracking codes, pledges and petitions: the resource objects
//! (`write_*`), the `filter[...]` predicates (`matches_*`) and the churn steps (new question
//! responses and signatures) of the records `surveys_pledges_petitions` generates. Kept apart
//! from the generator so that the live state, which holds the ledgers, never depends on the
//! routes.

use std::fmt::Write as _;

use super::data::{self, Nation};
use super::json::Obj;
use super::paging::View;
use super::state::State;
use super::surveys_pledges_petitions::{
    choice, petition, pledge, question, response, signature, survey, tracking_code, KIND_RESPONSE,
    KIND_SIGNATURE, QUESTIONS,
};
use super::v2_filters::Filters;
use super::v2_records::{head, time, Shape};

// ------------------------------------------------------------------------------------------
// Churn

/// Churn of question responses: a live person answers a question in a third of the events.
/// Its own hash stream; the clock is not advanced.
pub(crate) fn responses_step(state: &mut State, nation: &Nation, event: u64) {
    let h = data::hash3(nation.seed, KIND_RESPONSE ^ 0xC4, event);
    if h.is_multiple_of(3) {
        if let Some(slot) = state.pick_live(h >> 8) {
            let person = state.slot_id(nation, slot);
            let now = state.clock();
            state.survey_question_responses.create(now, person);
        }
    }
}

/// Churn of petition signatures: a live person signs in a third of the events.
pub(crate) fn signatures_step(state: &mut State, nation: &Nation, event: u64) {
    let h = data::hash3(nation.seed, KIND_SIGNATURE ^ 0xC4, event);
    if h % 3 == 1 {
        if let Some(slot) = state.pick_live(h >> 8) {
            let person = state.slot_id(nation, slot);
            let now = state.clock();
            state.petition_signatures.create(now, person);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Filters

/// `surveys` filters: `updated_at`, `created_at`.
pub(crate) fn matches_survey(f: &Filters, view: View<'_>, key: u64) -> bool {
    survey(view.nation, key)
        .is_some_and(|s| f.accepts(key, Some(s.updated_at), Some(s.created_at), None))
}

/// `survey_questions` filters: `updated_at`, `created_at`.
pub(crate) fn matches_question(f: &Filters, view: View<'_>, key: u64) -> bool {
    question(view.nation, key)
        .is_some_and(|q| f.accepts(key, Some(q.updated_at), Some(q.created_at), None))
}

/// `survey_question_possible_responses` filters: `updated_at`, `created_at`.
pub(crate) fn matches_choice(f: &Filters, view: View<'_>, key: u64) -> bool {
    choice(view.nation, key)
        .is_some_and(|c| f.accepts(key, Some(c.updated_at), Some(c.created_at), None))
}

/// `survey_question_responses` filters: `updated_at`, `created_at`, `signup_id`.
pub(crate) fn matches_response(f: &Filters, view: View<'_>, key: u64) -> bool {
    let r = response(view.nation, &view.state.survey_question_responses, key);
    f.accepts(
        key,
        Some(r.updated_at),
        Some(r.created_at),
        Some(r.signup_id),
    )
}

/// `donation_tracking_codes` filters: `updated_at`, `created_at`.
pub(crate) fn matches_code(f: &Filters, view: View<'_>, key: u64) -> bool {
    tracking_code(view.nation, key)
        .is_some_and(|c| f.accepts(key, Some(c.updated_at), Some(c.created_at), None))
}

/// `pledges` filters: `updated_at`, `created_at`, `signup_id`.
pub(crate) fn matches_pledge(f: &Filters, view: View<'_>, key: u64) -> bool {
    pledge(view.nation, key).is_some_and(|p| {
        f.accepts(
            key,
            Some(p.updated_at),
            Some(p.created_at),
            Some(p.signup_id),
        )
    })
}

/// `petitions` filters: `id` only (no timestamps).
pub(crate) fn matches_petition(f: &Filters, view: View<'_>, key: u64) -> bool {
    petition(view.nation, key).is_some() && f.accepts(key, None, None, None)
}

/// `petition_signatures` filters: `updated_at`, `created_at`, `signup_id`.
pub(crate) fn matches_signature(f: &Filters, view: View<'_>, key: u64) -> bool {
    let s = signature(view.nation, &view.state.petition_signatures, key);
    f.accepts(
        key,
        Some(s.updated_at),
        Some(s.created_at),
        Some(s.signup_id),
    )
}

// ------------------------------------------------------------------------------------------
// Writers

/// Closes a resource object with its relationships: `(name, related link)`.
fn relationships(out: &mut String, links: &[(&str, String)]) {
    out.push_str(",\"relationships\":{");
    for (i, (name, link)) in links.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{name}\":{{\"links\":{{\"related\":\"{link}\"}}}}");
    }
    out.push_str("}}");
}

/// Writes a `surveys` resource object.
pub(crate) fn write_survey(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(s) = survey(view.nation, id) else {
        return;
    };
    head(out, id, "surveys");
    let mut o = Obj::open(out, shape.fields(), false);
    time(&mut o, "created_at", s.created_at, s.zone);
    o.str("name", &s.name);
    time(&mut o, "updated_at", s.updated_at, s.zone);
    o.close();
    relationships(
        out,
        &[(
            "survey_questions",
            format!("/api/v2/survey_questions?filter[survey_id]={id}"),
        )],
    );
}

/// Writes a `survey_questions` resource object.
pub(crate) fn write_question(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(q) = question(view.nation, id) else {
        return;
    };
    let (format, content, intro, slug, tags, _) = QUESTIONS[q.index];
    head(out, id, "survey_questions");
    let mut o = Obj::open(out, shape.fields(), false);
    o.str("content", content);
    o.opt_str("intro", intro);
    o.bool("is_randomized", q.is_randomized);
    o.str("question_format", format);
    o.str("slug", &format!("{slug}_{}", q.survey_id));
    o.str("status", q.status);
    o.id_str("survey_id", Some(q.survey_id));
    o.opt_str("tag_list", tags);
    time(&mut o, "created_at", q.created_at, q.zone);
    o.int("position", q.index as i64);
    time(
        &mut o,
        "published_at",
        q.created_at + 600 * (q.index as i64 + 1),
        q.zone,
    );
    time(&mut o, "updated_at", q.updated_at, q.zone);
    o.close();
    relationships(
        out,
        &[
            ("survey", format!("/api/v2/surveys/{}", q.survey_id)),
            (
                "survey_question_possible_responses",
                format!(
                    "/api/v2/survey_question_possible_responses?filter[survey_question_id]={id}"
                ),
            ),
        ],
    );
}

/// Writes a `survey_question_possible_responses` resource object.
pub(crate) fn write_choice(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(c) = choice(view.nation, id) else {
        return;
    };
    let q = QUESTIONS[((c.question_id - 1) % QUESTIONS.len() as u64) as usize];
    let (name, tags) = q.5[c.index];
    head(out, id, "survey_question_possible_responses");
    let mut o = Obj::open(out, shape.fields(), false);
    o.str("name", name);
    o.opt_str(
        "outro",
        (q.0 == "yes_no" && c.index == 0).then_some("Thank you! Can we count on your help?"),
    );
    o.int("position", c.index as i64 + 1);
    o.id_str("survey_question_id", Some(c.question_id));
    o.opt_str("tag_list", tags);
    time(&mut o, "created_at", c.created_at, c.zone);
    time(&mut o, "updated_at", c.updated_at, c.zone);
    o.close();
    relationships(
        out,
        &[(
            "survey_question",
            format!("/api/v2/survey_questions/{}", c.question_id),
        )],
    );
}

/// Writes a `survey_question_responses` resource object.
pub(crate) fn write_response(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let nation = view.nation;
    let r = response(nation, &view.state.survey_question_responses, id);
    let format = QUESTIONS[((r.question_id - 1) % QUESTIONS.len() as u64) as usize].0;
    head(out, id, "survey_question_responses");
    let mut o = Obj::open(out, shape.fields(), false);
    o.id_str("author_id", r.author_id);
    o.opt_str("content", r.content);
    o.str("question_format", format);
    o.id_str("signup_id", Some(r.signup_id));
    o.id_str("survey_question_id", Some(r.question_id));
    o.id_str("survey_question_possible_response_id", r.choice_id);
    time(&mut o, "created_at", r.created_at, r.zone);
    o.bool("is_skipped", r.is_skipped);
    o.id_str("page_id", r.page_id);
    time(&mut o, "updated_at", r.updated_at, r.zone);
    o.close();
    let mut links = vec![
        ("signup", format!("/api/v2/signups/{}", r.signup_id)),
        (
            "survey_question",
            format!("/api/v2/survey_questions/{}", r.question_id),
        ),
    ];
    if let Some(c) = r.choice_id {
        links.push((
            "survey_question_possible_response",
            format!("/api/v2/survey_question_possible_responses/{c}"),
        ));
    }
    relationships(out, &links);
}

/// Writes a `donation_tracking_codes` resource object.
pub(crate) fn write_code(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(c) = tracking_code(view.nation, id) else {
        return;
    };
    head(out, id, "donation_tracking_codes");
    let mut o = Obj::open(out, shape.fields(), false);
    o.str("name", &c.name);
    o.str("slug", &c.slug);
    time(&mut o, "created_at", c.created_at, c.zone);
    time(&mut o, "updated_at", c.updated_at, c.zone);
    o.close();
    relationships(
        out,
        &[(
            "donations",
            format!("/api/v2/donations?filter[donation_tracking_code_id]={id}"),
        )],
    );
}

/// Writes a `pledges` resource object.
pub(crate) fn write_pledge(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(p) = pledge(view.nation, id) else {
        return;
    };
    head(out, id, "pledges");
    let mut o = Obj::open(out, shape.fields(), false);
    o.int("amount_in_cents", p.amount_in_cents);
    o.id_str("author_id", p.author_id);
    o.id_str("donation_tracking_code_id", p.code_id);
    o.bool("is_private", p.is_private);
    o.id_str("page_id", p.page_id);
    o.id_str("recruiter_id", p.recruiter_id);
    o.id_str("signup_id", Some(p.signup_id));
    o.str("amount", &Nation::amount_v2(p.amount_in_cents));
    o.int("amount_left_in_cents", p.amount_left_in_cents);
    time(&mut o, "created_at", p.created_at, p.zone);
    time(&mut o, "updated_at", p.updated_at, p.zone);
    o.close();
    relationships(
        out,
        &[("signup", format!("/api/v2/signups/{}", p.signup_id))],
    );
}

/// Writes a `petitions` resource object.
pub(crate) fn write_petition(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let Some(p) = petition(view.nation, id) else {
        return;
    };
    head(out, id, "petitions");
    let mut o = Obj::open(out, shape.fields(), false);
    o.int("additional_signatures_count", p.additional_signatures_count);
    o.id_str("auto_response_broadcaster_id", p.broadcaster_id);
    o.opt_str(
        "auto_response_content",
        p.is_auto_response
            .then_some("Thank you for signing! Share the petition with your friends."),
    );
    o.opt_str(
        "auto_response_subject",
        p.is_auto_response.then_some("Thank you for signing"),
    );
    o.str("content", p.content);
    o.bool("gather_volunteers", p.gather_volunteers);
    o.int("goal", p.goal);
    o.str("intro", p.intro);
    o.bool("is_auto_response", p.is_auto_response);
    o.id_str("page_id", Some(p.page_id));
    o.opt_str("petition_form_address", p.form_address);
    o.opt_str("petition_form_phone", p.form_phone);
    o.str("signature_name", p.signature_name);
    o.close();
    relationships(
        out,
        &[
            ("page", format!("/api/v2/pages/{}", p.page_id)),
            (
                "petition_signatures",
                format!("/api/v2/petition_signatures?filter[petition_id]={id}"),
            ),
        ],
    );
}

/// Writes a `petition_signatures` resource object.
pub(crate) fn write_signature(out: &mut String, view: View<'_>, id: u64, shape: &Shape) {
    let s = signature(view.nation, &view.state.petition_signatures, id);
    head(out, id, "petition_signatures");
    let mut o = Obj::open(out, shape.fields(), false);
    o.opt_str("comment", s.comment);
    o.bool("is_private", s.is_private);
    o.id_str("petition_id", Some(s.petition_id));
    o.id_str("recruiter_id", s.recruiter_id);
    o.id_str("signup_id", Some(s.signup_id));
    time(&mut o, "created_at", s.created_at, s.zone);
    o.id_str("page_id", Some(s.page_id));
    time(&mut o, "updated_at", s.updated_at, s.zone);
    o.close();
    relationships(
        out,
        &[
            ("petition", format!("/api/v2/petitions/{}", s.petition_id)),
            ("signup", format!("/api/v2/signups/{}", s.signup_id)),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::data::Nation;

    #[test]
    fn deterministic_from_the_seed() {
        let a = Nation::new(11, 1000, "EUR");
        let b = Nation::new(11, 1000, "EUR");
        let state = State::new(&a);
        let view_a = View {
            nation: &a,
            state: &state,
        };
        let state_b = State::new(&b);
        let view_b = View {
            nation: &b,
            state: &state_b,
        };
        let shape = Shape::default();
        type Writer = fn(&mut String, View<'_>, u64, &Shape);
        let writers: [Writer; 8] = [
            write_survey,
            write_question,
            write_choice,
            write_response,
            write_code,
            write_pledge,
            write_petition,
            write_signature,
        ];
        for w in writers {
            for id in 1..=2 {
                let (mut x, mut y) = (String::new(), String::new());
                w(&mut x, view_a, id, &shape);
                w(&mut y, view_b, id, &shape);
                assert_eq!(x, y);
                let v: serde_json::Value = serde_json::from_str(&x).unwrap();
                assert_eq!(v["id"], id.to_string());
            }
        }
    }

    #[test]
    fn churn_adds_responses_and_signatures() {
        let n = Nation::new(5, 500, "EUR");
        let mut s = State::new(&n);
        let (r0, s0) = (
            s.survey_question_responses.live_count(),
            s.petition_signatures.live_count(),
        );
        for e in 1..=60 {
            responses_step(&mut s, &n, e);
            signatures_step(&mut s, &n, e);
        }
        assert!(s.survey_question_responses.live_count() > r0);
        assert!(s.petition_signatures.live_count() > s0);
        let id = s.petition_signatures.max_id();
        let sig = signature(&n, &s.petition_signatures, id);
        assert!(s.live_slot(&n, sig.signup_id).is_some());
    }
}
