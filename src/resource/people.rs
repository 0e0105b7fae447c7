//! People: v2 `signups` (with every address through `extra_fields`), v1 `people` (an
//! abbreviated listing; `/people/:id` gives the full record, `/people/count` the total and
//! `/people/search?updated_since=` the changes). A person names their precinct and the people
//! who recruited them, are their parent (point person) and entered them (`precinct_id`,
//! `recruiter_id`, `parent_id`, `author_id`, in both APIs; v1 gives `parent_id` and `author_id`
//! in full records only).

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
    // People name other records: their precinct, and the people who recruited them, are
    // their parent in the nation's hierarchy, or entered them. NationBuilder documents no
    // cascade, so each may be a record deleted at source since: looked up (a precinct has a
    // show route too, and a precinct still there but missing from the export is a defect).
    references: &[
        Reference {
            column: "precinct_source_id",
            resource: "precincts",
            role: "precinct",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "recruiter_source_id",
            resource: "people",
            role: "recruiter",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "parent_source_id",
            resource: "people",
            role: "parent",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "author_source_id",
            resource: "people",
            role: "author",
            dangling: Dangling::LookUp,
        },
    ],
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
