//! Path journeys (v2 only; v1 has no per-person journeys): one person's progress along a path —
//! the current step, the point people, due dates, value amount, the journey's status
//! (`active | completed | abandoned | deleted`, read-only), when it last moved and ended, and
//! the status change that ended it. Served nation-wide at `/api/v2/path_journeys`; a step change
//! touches `updated_at` (and adds a `path_histories` row). A journey of a person deleted at
//! source is looked up there; one of a deleted path or step keeps the id (allowed).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "path_journeys",
    table: "core.path_journeys",
    v2: Some(V2Binding {
        path: "path_journeys",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "path_source_id",
            resource: "paths",
            role: "path",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "current_step_source_id",
            resource: "path_steps",
            role: "step",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "point_person_source_id",
            resource: "people",
            role: "point person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "current_step_point_person_source_id",
            resource: "people",
            role: "step point person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "status_change_source_id",
            resource: "path_journey_status_changes",
            role: "status change",
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
