//! Path journey status changes (v2 only): the named reasons a nation defines per path for
//! ending a journey (`name`, e.g. "Decided to quit", and the `target_status` it leads to:
//! `completed` or `abandoned`). Journeys and history rows refer to them. Served at
//! `/api/v2/path_journey_status_changes` with `updated_at`; one of a deleted path keeps the
//! path's id (allowed).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "path_journey_status_changes",
    table: "core.path_journey_status_changes",
    v2: Some(V2Binding {
        path: "path_journey_status_changes",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[Reference {
        column: "path_source_id",
        resource: "paths",
        role: "path",
        dangling: Dangling::Allowed,
    }],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
