//! Automation enrollments (v2 only): a person enrolled in an automation, the step they are at,
//! when their next step runs, when they were excluded, and the campaign that brought them. No
//! `updated_at`: an enrollment moves on a step without a timestamp, so the catch-up re-reads
//! the collection whole. An enrollment of a person or an automation missing from the export
//! is looked up at the source (NationBuilder documents no cascade). v1 has no route for them.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "automation_enrollments",
    table: "core.automation_enrollments",
    v2: Some(V2Binding {
        path: "automation_enrollments",
        extra_fields: None,
        sweep_field: "automation_id",
        changes: Changes::Reread,
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
            column: "automation_source_id",
            resource: "automations",
            role: "automation",
            dangling: Dangling::LookUp,
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
