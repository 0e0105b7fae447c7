//! Sites (v2 `sites`): the nation's websites, with their name, slug and custom domain; pages
//! belong to a site. The reference gives sites no show route and no timestamps, so a site is
//! re-read whole at reconciliation and a deletion is only seen by the id sweep. v1 lists
//! `/sites` too (read by `--api v1`; v1 reaches events, petitions and surveys by the site's slug).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "sites",
    table: "core.sites",
    v2: Some(V2Binding {
        path: "sites",
        extra_fields: None,
        sweep_field: "slug",
        changes: Changes::Reread,
        show: false,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::Listing(V1Listing::reread("sites")),
    references: &[],
    sample: SampleRules {
        shared_fields: &[],
        derived_counters: &[],
    },
    // The same records under the same ids (list members: `<list>:<person>`) in v1.
    v1_key: V1Key::SameId,
    defines: None,
    control_total: None,
};
