//! Events (v2 `events`; OSDI event): start, duration, venue (asked for with
//! `extra_fields[events]=venue_address`), capacity, contact, RSVP and ticket settings. A
//! NationBuilder event has no name, slug, status or timestamps of its own: they are on its page
//! (`page_id`). The exporter keeps the event's `page_source_id` and reads the page from the
//! pages collection (core.pages) rather than with `include=page`: every event page is listed
//! there, the archive keeps each record as received (an `included` array would not be part of
//! it), and the page's name then has one home. Without `updated_at`, events are re-read whole at
//! reconciliation. v1 serves events per site (`/sites/:slug/pages/events`): a v1 event is its page (its id is
//! the page id, and it carries the page's name, slug and status, kept in the raw archive).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "events",
    table: "core.events",
    v2: Some(V2Binding {
        path: "events",
        extra_fields: Some("venue_address"),
        sweep_field: "page_id",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "sites",
        route: "sites/{slug}/pages/events",
        key: V1RecordKey::Fields(&["id"]),
        wrap: None,
        changes: Changes::Reread,
    }),
    references: &[
        // An event cannot exist without its page.
        Reference {
            column: "page_source_id",
            resource: "pages",
            role: "page",
            dangling: Dangling::Defect,
        },
        Reference {
            column: "point_person_source_id",
            resource: "people",
            role: "point person",
            dangling: Dangling::LookUp,
        },
        // Settings that may outlive what they name (a code or broadcaster deleted later).
        Reference {
            column: "donation_tracking_code_source_id",
            resource: "donation_tracking_codes",
            role: "tracking code",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "auto_response_broadcaster_source_id",
            resource: "broadcasters",
            role: "auto-response broadcaster",
            dangling: Dangling::Allowed,
        },
    ],
    sample: SampleRules {
        shared_fields: &[],
        // NationBuilder recomputes the attendee count from the RSVPs.
        derived_counters: &["attending_count"],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
