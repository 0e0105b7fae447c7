//! Contacts: the party's canvass, call and meeting log — who contacted whom
//! (`signup_id`, the person contacted; `author_id`, the canvasser), how (`contact_method`), with
//! what outcome (`contact_status`), the political capital awarded (`pc_in_cents`), the path and
//! step the contact belongs to, the broadcaster of a blast, and a free-text note (`content`,
//! which may hold special-category data and goes to schema `sensitive`). v2 serves them
//! nation-wide at `/api/v2/contacts`; v1 only per person (`/people/:id/contacts`, with the
//! contact type v2 lacks, no id: keyed `<person>:<created_at>` with `#n` for repeats). A contact has `created_at` but no `updated_at`: an edited note cannot
//! be found incrementally, so reconciliation reads the whole collection again. NationBuilder
//! documents no cascade when a person is deleted: a contact of a person missing from the export
//! is looked up at the source; one of a deleted path, step or broadcaster keeps its id and is
//! allowed.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "contacts",
    table: "core.contacts",
    v2: Some(V2Binding {
        path: "contacts",
        extra_fields: None,
        sweep_field: "created_at",
        // No updated_at: an edit of a note or an outcome is only seen by reading it all again.
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "people",
        route: "people/{id}/contacts",
        key: V1RecordKey::Owned(&["created_at"]),
        // A contact has no id: its key (with `#n` for a second one logged in the same second)
        // is kept beside it.
        wrap: Some(V1Wrap {
            key_field: Some("key"),
            owner_field: "person_id",
            member_field: "contact",
        }),
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
            column: "canvasser_source_id",
            resource: "people",
            role: "canvasser",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "path_source_id",
            resource: "paths",
            role: "path",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "path_step_source_id",
            resource: "path_steps",
            role: "step",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "broadcaster_source_id",
            resource: "broadcasters",
            role: "broadcaster",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_reread_and_their_people_are_looked_up() {
        let v2 = DEF.v2.expect("v2 binding");
        assert_eq!(v2.changes, Changes::Reread);
        assert!(DEF
            .references
            .iter()
            .filter(|r| r.resource == "people")
            .all(|r| r.dangling == Dangling::LookUp));
    }
}
