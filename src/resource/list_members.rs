//! List members (OSDI list items): who is on each list, read list by list through v2
//! `/lists/{id}/signups` (one paged scan per list, [`V2Nested`]); each member is a whole
//! `signups` resource object, archived as received wrapped with its list
//! (`{"list_id": "7", "signup": {…}}`) and keyed `"<list id>:<person id>"`. Only the pair is
//! mapped: the person's data is the people resource's. The API gives no date a person joined a
//! list and no id of the membership itself, so changes are found by reading every list's
//! members again, and a person who left a list is found by the id sweep. A list's
//! `signups_count` is the control total verify checks the members loaded against. v1 has
//! `/lists/:id/people` (members wrapped `{"list_id", "person"}`, keyed alike). A member deleted at source since is looked up, and so
//! is a list deleted during the run.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "list_members",
    table: "core.list_items",
    v2: Some(V2Binding {
        // The members are `signups` resource objects.
        path: "signups",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::Reread,
        show: false,
        include: None,
        paging: Paging::Paged,
        nested: Some(V2Nested {
            of: "lists",
            segment: "signups",
            owner_field: "list_id",
            member_field: "signup",
            owner_count: Some("signups_count"),
        }),
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "lists",
        route: "lists/{id}/people",
        key: V1RecordKey::Owned(&["id"]),
        wrap: Some(V1Wrap {
            key_field: None,
            owner_field: "list_id",
            member_field: "person",
        }),
        changes: Changes::Reread,
    }),
    references: &[
        Reference {
            column: "list_source_id",
            resource: "lists",
            role: "list",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "person",
            dangling: Dangling::LookUp,
        },
    ],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    // The same records under the same ids (list members: `<list>:<person>`) in v1.
    v1_key: V1Key::SameId,
    defines: None,
    control_total: Some(ControlTotal {
        owner: "lists",
        count_column: "source_total_items",
        owner_column: "list_source_id",
    }),
};
