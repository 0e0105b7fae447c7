//! Donation tracking codes (v2 only; v1 has no list of them): the campaign codes donations,
//! pledges and events are attributed to, with a `name` and a unique `slug`. v2 donations name a
//! code by its id (`donation_tracking_code_id`), v1 donations by its slug
//! (`tracking_code_slug`), so core.donations.tracking_code_source_id is only filled through v2,
//! and a v1 donation's code is found by joining its `tracking_code` on `slug`. A code deleted at
//! source is no longer listed while donations keep its id (an allowed orphan).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "donation_tracking_codes",
    table: "core.donation_tracking_codes",
    v2: Some(V2Binding {
        path: "donation_tracking_codes",
        extra_fields: None,
        sweep_field: "slug",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    v1_key: V1Key::None,
    defines: None,
    control_total: None,
};
