//! Donations: v2 and v1 `donations`. NationBuilder keeps the donations of deleted people, so a
//! donor missing from the export is looked up at the source; v1 has no show route and no
//! `updated_since` for donations (refunds and edits would go unseen), so a v1 catch-up re-reads
//! them whole (about 0.4 per person).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "donations",
    table: "core.donations",
    v2: Some(V2Binding {
        path: "donations",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Listing(V1Listing {
        path: "donations",
        key: KeyRule::Id,
        count: None,
        show: None,
        abbreviated: false,
        full_marker: None,
        changes: Changes::Reread,
        search: None,
    }),
    references: &[
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "donor",
            dangling: Dangling::LookUp,
        },
        // A dues payment's membership (v2 only): NationBuilder documents no cascade, so one
        // missing from the export is looked up at the source.
        Reference {
            column: "membership_source_id",
            resource: "memberships",
            role: "membership",
            dangling: Dangling::LookUp,
        },
    ],
    sample: SampleRules {
        shared_fields: &[
            ("amount_in_cents", "amount_in_cents"),
            ("donor_id", "signup_id"),
            ("created_at", "created_at"),
            ("succeeded_at", "succeeded_at"),
            ("failed_at", "failed_at"),
            ("canceled_at", "canceled_at"),
            ("updated_at", "updated_at"),
        ],
        derived_counters: &[],
    },
    v1_key: V1Key::SameId,
    defines: None,
    control_total: None,
};
