//! Custom-field definitions (v2 only): name, slug, type, choices and the resource they apply
//! to (`Signup` or `Donation`). They make the `custom_fields` jsonb of people and donations
//! interpretable; `verify` reports keys without a definition and definitions never used.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "custom_fields",
    table: "core.custom_field_definitions",
    v2: Some(V2Binding {
        path: "custom_fields",
        extra_fields: None,
        sweep_field: "slug",
        changes: Changes::UpdatedSince,
    }),
    v1: V1Binding::None,
    references: &[],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::None,
};
