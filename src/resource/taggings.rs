//! Taggings: v2 `signup_taggings`; v1 has no tagging listing, so they are read from each
//! person's `tags` in the people listing, one `{"person_id":…,"tag":…}` per (person, tag),
//! keyed `"<person id>:<tag name>"`. A tagging is only created or deleted, never changed.
//! Through v2 the people pages can bring them (`signups?include=taggings`, which the reference
//! warns can time out on large pages), so the nation-wide collection need not be read.

use super::*;

/// Taggings come with the people who carry them, where the API answers the sideload.
pub(super) const CARRIED: Carried = Carried {
    resource: "taggings",
    by: "people",
    include: "taggings",
};

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "taggings",
    table: "core.taggings",
    v2: Some(V2Binding {
        path: "signup_taggings",
        extra_fields: None,
        sweep_field: "signup_id",
        changes: Changes::Never,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Embedded(V1Embedded {
        of: "people",
        member: "tags",
        owner_field: "person_id",
        field: "tag",
        show_segment: "taggings",
    }),
    references: &[
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "person",
            dangling: Dangling::Defect,
        },
        Reference {
            column: "tag_source_id",
            resource: "tags",
            role: "tag",
            dangling: Dangling::Defect,
        },
    ],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::PersonAndName {
        person: "signup_id",
        other: "tag_id",
        resource: "tags",
    },
    defines: None,
    control_total: None,
};
