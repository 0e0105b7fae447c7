//! Membership types (v2 only): the kinds of membership a nation offers, with their grace
//! period and expiration-warning settings. v1 has no list of them; v1 memberships carry a
//! type's name only. A type deleted at source is no longer listed, while memberships may keep
//! referring to it.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "membership_types",
    table: "core.membership_types",
    v2: Some(V2Binding {
        path: "membership_types",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
