//! Event ticket levels (v2 `event_ticket_levels`; OSDI an event's ticket_levels): the price,
//! seats per ticket, limit and tickets sold of each level of a ticketed event. They carry no
//! timestamps, so they are re-read whole at reconciliation; `tickets_sold` is a counter
//! NationBuilder keeps from the RSVPs. v1 has no route for them.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "event_ticket_levels",
    table: "core.event_ticket_levels",
    v2: Some(V2Binding {
        path: "event_ticket_levels",
        extra_fields: None,
        sweep_field: "event_id",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[Reference {
        column: "event_source_id",
        resource: "events",
        role: "event",
        dangling: Dangling::LookUp,
    }],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &["tickets_sold"],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
