//! Relationships (v2 `relationships`, v2 only): links between two people — a household
//! (`spouse-spouse`, `family_partner-family_partner`), family, friends, or a person and an
//! organisation (`member-organization`, `employee-employer`, …) — as
//! `first_signup_id`/`second_signup_id` in the order of `relationship_type`'s two roles, with an
//! optional title. The spec declares no page parameters for the collection, so it may not page
//! ([`Paging::Unsure`]: a later page repeating the first ends it); for the same reason the
//! catch-up does not trust `filter[updated_at]` on it and reads it again whole (about 150 per
//! 1,000 people). Either person may be one deleted at source (NationBuilder documents no
//! cascade): looked up.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "relationships",
    table: "core.relationships",
    v2: Some(V2Binding {
        path: "relationships",
        extra_fields: None,
        sweep_field: "relationship_type",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Unsure,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[
        Reference {
            column: "first_person_source_id",
            resource: "people",
            role: "first_person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "second_person_source_id",
            resource: "people",
            role: "second_person",
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
