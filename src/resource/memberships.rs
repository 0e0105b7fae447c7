//! Memberships, the party's member register (a statutory record: voting rights, quorum): v2
//! `memberships` nation-wide; v1 only per person (`/people/:id/memberships`, at least one
//! request per person), whose records have no id and name their type instead of giving its
//! id, so a v1 membership is keyed `"<person_id>:<name>:<created_at>"` (the texts as received;
//! `created_at` is set by NationBuilder and never edited, `started_at` may be). NationBuilder
//! documents no cascade when a person or a membership type is deleted: a membership of a person
//! missing from the export is looked up at the source, one of a deleted type is kept and
//! reported as explained. Only the current state is served: there is no status history.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "memberships",
    table: "core.memberships",
    v2: Some(V2Binding {
        path: "memberships",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "people",
        route: "people/{id}/memberships",
        key: V1RecordKey::Fields(&["person_id", "name", "created_at"]),
        wrap: None,
        // No search route covers memberships, and a status change (active → expired) does
        // not touch the person: the catch-up reads every person's memberships again.
        changes: Changes::Reread,
    }),
    references: &[
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "membership_type_source_id",
            resource: "membership_types",
            role: "type",
            dangling: Dangling::Allowed,
        },
    ],
    sample: SampleRules {
        shared_fields: &[
            ("status", "status"),
            ("status_reason", "status_reason"),
            ("expires_on", "expires_on"),
            ("started_at", "started_at"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        ],
        derived_counters: &[],
    },
    // A v1 key names the type, which a v2 membership only gives by id, and NationBuilder
    // formats created_at per API: not comparable record by record.
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
