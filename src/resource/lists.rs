//! Lists (v2 `lists`): the party's saved lists of people (call lists, canvass turfs, delegates),
//! with their name, slug, author, the person a list is assigned to, the list it was split off
//! from and `signups_count`, the number of people on it (the control total its members are
//! checked against, see [`super::list_members`]). v1 has `/lists` as well (its `count` is the control total).
//! A list has `updated_at`, but `signups_count` is a counter the source recomputes when people
//! join or leave the list (or are deleted) without the list's `updated_at` necessarily moving,
//! and verify compares it with the members loaded: the catch-up reads the lists again whole
//! (they are few: about 20 per 1,000 people, one page per 100 lists). A list's author or
//! assignee may be a person deleted at source (looked up); its parent list may be gone (allowed).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "lists",
    table: "core.lists",
    v2: Some(V2Binding {
        path: "lists",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Listing(V1Listing::reread("lists")),
    references: &[
        Reference {
            column: "author_source_id",
            resource: "people",
            role: "author",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "assignee_source_id",
            resource: "people",
            role: "assignee",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "parent_list_source_id",
            resource: "lists",
            role: "parent_list",
            dangling: Dangling::Allowed,
        },
    ],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &["signups_count"],
    },
    // The same records under the same ids (list members: `<list>:<person>`) in v1.
    v1_key: V1Key::SameId,
    defines: None,
    control_total: None,
};
