//! Donations: v2 and v1 `donations`. NationBuilder keeps the donations of deleted people, so a
//! donor missing from the export is looked up at the source; v1 has no show route and no
//! `updated_since` for donations (refunds and edits would go unseen), so a v1 catch-up re-reads
//! them whole (about 0.4 per person). A donation names its tracking code (by id in v2, by slug
//! in v1), its page (by id in v2, by slug in v1) and the pledge it honours (by id in both).

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
        // The campaign code (v2 only: v1 names it by slug, core.donations.tracking_code). A code
        // deleted at source keeps its id on donations: an allowed orphan.
        Reference {
            column: "tracking_code_source_id",
            resource: "donation_tracking_codes",
            role: "tracking_code",
            dangling: Dangling::Allowed,
        },
        // The page the donation was made on (v2 only: v1 gives its slug); pages are exported by
        // their own unit, and a deleted page keeps its id on donations.
        Reference {
            column: "page_source_id",
            resource: "pages",
            role: "page",
            dangling: Dangling::Allowed,
        },
        // The pledge a donation honours (v1 and v2): no documented cascade, looked up.
        Reference {
            column: "pledge_source_id",
            resource: "pledges",
            role: "pledge",
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
