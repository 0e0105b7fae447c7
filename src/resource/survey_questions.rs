//! Survey questions (v2 `/survey_questions`): the question text, its format
//! (`multiple_choice | yes_no | text`), status and the tags NationBuilder adds to whoever answers
//! (`tag_list`, one comma-separated string). `position` and `published_at` are read-only. A
//! question names its survey by `survey_id`; NationBuilder documents no cascade when a survey
//! is deleted, so a question whose survey is missing from the export is looked up at the source.
//! v1 embeds questions in its survey pages (read from there, wrapped with their survey).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "survey_questions",
    table: "core.survey_questions",
    v2: Some(V2Binding {
        path: "survey_questions",
        extra_fields: None,
        sweep_field: "survey_id",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Within(V1Within {
        of: V1Owner::Resource("surveys"),
        member: "/questions",
        wrap: V1Wrap {
            key_field: None,
            owner_field: "survey_id",
            member_field: "question",
        },
        key: V1RecordKey::Fields(&["id"]),
    }),
    references: &[Reference {
        column: "survey_source_id",
        resource: "surveys",
        role: "survey",
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
