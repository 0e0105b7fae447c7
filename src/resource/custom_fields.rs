//! Custom-field definitions (v2 only): name, slug, type, choices and the resource they apply
//! to (`Signup` or `Donation`). Their slugs are the keys of the `custom_fields` jsonb of people
//! and donations, so `verify` reports the keys used without a definition and the definitions
//! never used. v1 has no list of them (a v1 person carries its custom values as top-level
//! keys, gathered into `custom_fields` by the mapping).

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
    defines: Some(Definitions {
        key_column: "slug",
        scope_column: "resource_type",
        applies_to: &[
            ("Signup", "people", "custom_fields"),
            ("Donation", "donations", "custom_fields"),
        ],
    }),
    control_total: None,
};
