//! Precincts (v2 `precincts`): the party's local branches or polling districts, with a code, a
//! name and a point person; people name theirs by `precinct_id`. The spec gives precincts no
//! timestamps at all, so changes are found by reading them again whole at the catch-up (they
//! are few: about 30 per 1,000 people). v1 has `/precincts` as well (and `/precincts/:id`). A point
//! person deleted at source keeps being named (looked up).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "precincts",
    table: "core.precincts",
    v2: Some(V2Binding {
        path: "precincts",
        extra_fields: None,
        sweep_field: "name",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Listing(V1Listing::reread("precincts").with_show("precinct")),
    references: &[Reference {
        column: "point_person_source_id",
        resource: "people",
        role: "point_person",
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
