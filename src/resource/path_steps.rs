//! Path steps (v2; v1 embeds them in each `/paths` record, read from there when present): the ordered steps of
//! a path (`path_id`, `position`, `name`) with their default point person and due interval.
//! Served nation-wide at `/api/v2/path_steps`, with `updated_at`. A step of a path deleted at
//! source keeps the path's id (allowed); its point person is looked up like any person.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "path_steps",
    table: "core.path_steps",
    v2: Some(V2Binding {
        path: "path_steps",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Within(V1Within {
        of: V1Owner::Resource("paths"),
        member: "/steps",
        wrap: V1Wrap {
            key_field: None,
            owner_field: "path_id",
            member_field: "step",
        },
        key: V1RecordKey::Fields(&["id"]),
    }),
    references: &[
        Reference {
            column: "path_source_id",
            resource: "paths",
            role: "path",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "default_point_person_source_id",
            resource: "people",
            role: "point person",
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
