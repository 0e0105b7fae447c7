//! Tags: v2 `signup_tags`, v1 `tags` (no id in v1: a tag is keyed by its name). Tags carry no
//! `updated_at`, yet their `taggings_count` (and a rename) can change; the list is small (about
//! one tag per 40 people), so the catch-up re-reads it whole.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "tags",
    table: "core.tags",
    v2: Some(V2Binding {
        path: "signup_tags",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Listing(V1Listing {
        path: "tags",
        key: KeyRule::IdOrName,
        count: None,
        show: None,
        abbreviated: false,
        full_marker: None,
        changes: Changes::Reread,
        search: None,
    }),
    references: &[],
    sample: SampleRules {
        shared_fields: &[("name", "name")],
        derived_counters: &["taggings_count"],
    },
    v1_key: V1Key::Name,
    defines: None,
    control_total: None,
};
