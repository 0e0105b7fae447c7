//! People: v2 `signups` (with every address through `extra_fields`), v1 `people` (an
//! abbreviated listing; `/people/:id` gives the full record, `/people/count` the total and
//! `/people/search?updated_since=` the changes).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "people",
    table: "core.people",
    v2: Some(V2Binding {
        path: "signups",
        extra_fields: Some(
            "primary_address,home_address,work_address,mailing_address,\
billing_address,registered_address,user_submitted_address",
        ),
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Listing(V1Listing {
        path: "people",
        key: KeyRule::Id,
        count: Some(("people/count", "people_count")),
        show: Some("person"),
        abbreviated: true,
        full_marker: Some("email1"),
        changes: Changes::UpdatedSince,
        search: Some("people/search"),
    }),
    references: &[],
    sample: SampleRules {
        shared_fields: &[
            ("first_name", "first_name"),
            ("last_name", "last_name"),
            ("email", "email"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        ],
        derived_counters: &[
            "donations_*",
            "is_donor",
            "first_donated_at",
            "last_donated_at",
        ],
    },
    v1_key: V1Key::SameId,
    defines: None,
    control_total: None,
};
