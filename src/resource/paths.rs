//! Paths (v2; v1 lists them at `/paths` with their steps embedded): the nation's volunteer and
//! member pipelines (onboarding, candidate vetting…), with their default point person, due-date
//! and value settings. Served at `/api/v2/paths`, with `updated_at`. A path deleted at source is
//! no longer listed while journeys, contacts and steps may keep its id.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "paths",
    table: "core.paths",
    v2: Some(V2Binding {
        path: "paths",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Listing(V1Listing::reread("paths")),
    references: &[Reference {
        column: "default_point_person_source_id",
        resource: "people",
        role: "point person",
        dangling: Dangling::LookUp,
    }],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    // The same records under the same ids (list members: `<list>:<person>`) in v1.
    v1_key: V1Key::SameId,
    defines: None,
    control_total: None,
};
