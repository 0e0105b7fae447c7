//! Path histories (v2 only): the log of what happened to path journeys — every step change,
//! completion, abandonment, new point person, voiding and reactivation, with the step, the
//! point people and the recruiter at that moment. All attributes are read-only; rows are added,
//! not edited. Served nation-wide at `/api/v2/path_histories` with `updated_at`. A history row
//! of a journey deleted at source is looked up there; one of a deleted step or status change
//! keeps the id (allowed).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "path_histories",
    table: "core.path_histories",
    v2: Some(V2Binding {
        path: "path_histories",
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
            column: "path_journey_source_id",
            resource: "path_journeys",
            role: "journey",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "path_step_source_id",
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
            column: "recruiter_source_id",
            resource: "people",
            role: "recruiter",
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
