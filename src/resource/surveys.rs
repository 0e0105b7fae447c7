//! Surveys: the canvass and issue surveys a nation runs — one
//! record per survey with its name and timestamps; its questions, their possible responses and
//! the answers people gave are the resources `survey_questions`,
//! `survey_question_possible_responses` and `survey_question_responses`. v2 `/surveys` pages,
//! shows by id and takes `filter[updated_at]`. v1 serves surveys as pages of a site
//! (`/sites/:site_slug/pages/surveys`, questions and choices embedded, read per site).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "surveys",
    table: "core.surveys",
    v2: Some(V2Binding {
        path: "surveys",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "sites",
        route: "sites/{slug}/pages/surveys",
        key: V1RecordKey::Fields(&["id"]),
        wrap: None,
        changes: Changes::Reread,
    }),
    references: &[],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
