//! Survey answers (v2 `/survey_question_responses`; OSDI Answer): one record per question a person
//! answered — the respondent (`signup_id`), the canvasser who took the answer on the doorstep
//! (`author_id`; NULL for an answer given on the survey's page, `page_id`), the chosen possible
//! response or the free-text `content`, and `is_skipped`. The answers reveal political opinions
//! (vote intention, support level) and free text may say anything (health, religion), so the
//! table is in schema `sensitive`. People deleted at source keep their answers (no documented
//! cascade): a respondent or canvasser missing from the export is looked up at the source. The
//! page is allowed to be missing (a page deleted since keeps its id). v1
//! serves them as `/survey_responses` (one record per person and survey, with
//! `question_responses`): each question response is archived with its survey response.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "survey_question_responses",
    table: "sensitive.survey_answers",
    v2: Some(V2Binding {
        path: "survey_question_responses",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Within(V1Within {
        of: V1Owner::Listing(V1Listing::reread("survey_responses")),
        member: "/question_responses",
        wrap: V1Wrap {
            key_field: None,
            owner_field: "survey_response",
            member_field: "question_response",
        },
        key: V1RecordKey::Owned(&["id"]),
    }),
    references: &[
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "respondent",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "author_source_id",
            resource: "people",
            role: "canvasser",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "question_source_id",
            resource: "survey_questions",
            role: "question",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "choice_source_id",
            resource: "survey_question_possible_responses",
            role: "choice",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "page_source_id",
            resource: "pages",
            role: "page",
            dangling: Dangling::Allowed,
        },
    ],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
