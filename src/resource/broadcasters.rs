//! Broadcasters (v2 only): the senders of the nation's email and text blasts (a party's
//! headquarters, press office, local sections), with the signup that stands for each and
//! the point people who follow up replies, texts and voicemails. Contacts and mailings name
//! their broadcaster by id. `/api/v2/broadcasters` pages and has `updated_at`; its counters
//! (`mailings_count`, `received_calls_count`, `text_blasts_count`) are recomputed at source.
//! The v1 broadcaster routes are not used. A broadcaster's person or point person deleted at
//! source keeps its id here and is looked up at the source.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "broadcasters",
    table: "core.broadcasters",
    v2: Some(V2Binding {
        path: "broadcasters",
        extra_fields: None,
        sweep_field: "name",
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
            role: "person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "point_person_source_id",
            resource: "people",
            role: "point person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "text_point_person_source_id",
            resource: "people",
            role: "text point person",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "voicemail_point_person_source_id",
            resource: "people",
            role: "voicemail point person",
            dangling: Dangling::LookUp,
        },
    ],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[
            "mailings_count",
            "received_calls_count",
            "text_blasts_count",
        ],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
