//! Automations (v2 only): the nation's automated workflows (welcome series, onboarding of new
//! members, win-backs) with their status and when they were paused. They have no `updated_at`:
//! a status change leaves no timestamp, so the catch-up re-reads them whole (they are few).
//! Their enrollment counters are opt-in extra fields, asked for and kept as the source
//! reports them (recomputed at source). v1 has no route for them.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "automations",
    table: "core.automations",
    v2: Some(V2Binding {
        path: "automations",
        extra_fields: Some(
            "total_enrollments_count,completed_enrollments_count,converted_enrollments_count,\
             removed_enrollments_count,conversions_enabled",
        ),
        sweep_field: "name",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[
            "total_enrollments_count",
            "completed_enrollments_count",
            "converted_enrollments_count",
            "removed_enrollments_count",
        ],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
