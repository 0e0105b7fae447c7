//! Pledges (v2 only): a person's promise to give (`amount_in_cents`), with who recorded it
//! (`author_id`), who recruited it (`recruiter_id`), the page and the tracking code it came
//! through, and the read-only `amount_left_in_cents` (what remains unpaid: a source-side
//! figure derived from the donations that name the pledge, `pledge_id`). People deleted at source
//! keep their pledges (no documented cascade): looked up when missing from the export; a deleted
//! tracking code or page is an allowed orphan.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "pledges",
    table: "core.pledges",
    v2: Some(V2Binding {
        path: "pledges",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "pledger",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "author_source_id",
            resource: "people",
            role: "author",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "recruiter_source_id",
            resource: "people",
            role: "recruiter",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "tracking_code_source_id",
            resource: "donation_tracking_codes",
            role: "tracking_code",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "page_source_id",
            resource: "pages",
            role: "page",
            dangling: Dangling::Allowed,
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
