//! Event RSVPs (v2 `event_rsvps`; OSDI attendance): who RSVPed to which event, cancelled RSVPs
//! included. The quirk: an RSVP has no `signup_id` attribute; its person is only given as
//! `relationships.signup.data`, which the API fills when the request asks `include=signup`
//! (the sideloaded signups themselves are not kept: people are exported on their own). An RSVP
//! whose person is not given is kept, with its person NULL and a non-fatal reject saying why
//! (the mapping's `missing = "reason"`). RSVPs have `updated_at` (a cancellation moves it), so
//! the catch-up asks for those updated since the run began. v1 serves RSVPs per event
//! (`/sites/:site_slug/pages/events/:id/rsvps`, one scan per event of each site) without an id
//! of their own: keyed `<event>:<person>`, archived with the key and event beside them.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "event_rsvps",
    table: "core.attendances",
    v2: Some(V2Binding {
        path: "event_rsvps",
        extra_fields: None,
        sweep_field: "event_id",
        changes: Changes::UpdatedSince,
        show: true,
        include: Some("signup"),
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "events",
        route: "sites/{site_slug}/pages/events/{id}/rsvps",
        key: V1RecordKey::Owned(&["person_id"]),
        wrap: Some(V1Wrap {
            // "#2" for a repeat of one person's RSVP: kept beside it for the mapping.
            key_field: Some("key"),
            owner_field: "event_id",
            member_field: "rsvp",
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
            column: "event_source_id",
            resource: "events",
            role: "event",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "page_source_id",
            resource: "pages",
            role: "page",
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
