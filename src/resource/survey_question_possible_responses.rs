//! The possible responses of a survey question (v2 `/survey_question_possible_responses`; OSDI's
//! enumerated question `responses`): the choice's text (`name`), its `position`, the message shown
//! after it is chosen (`outro`) and the tags it adds (`tag_list`, a comma-separated string). Text
//! questions have none. A choice names its question by `survey_question_id` (looked up at the
//! source when missing from the export). v1 embeds choices in its survey pages
//! (read from there, wrapped with their question).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "survey_question_possible_responses",
    table: "core.survey_question_choices",
    v2: Some(V2Binding {
        path: "survey_question_possible_responses",
        extra_fields: None,
        sweep_field: "survey_question_id",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Within(V1Within {
        of: V1Owner::Resource("survey_questions"),
        member: "/question/choices",
        wrap: V1Wrap {
            key_field: None,
            owner_field: "question_id",
            member_field: "choice",
        },
        key: V1RecordKey::Fields(&["id"]),
    }),
    references: &[Reference {
        column: "question_source_id",
        resource: "survey_questions",
        role: "question",
        dangling: Dangling::LookUp,
    }],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
