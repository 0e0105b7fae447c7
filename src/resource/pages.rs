//! Pages (v2 `pages`): every page of the nation's sites — basic pages and the pages of events,
//! donation and signup forms — with the name, slug, status, permission level, site, parent and
//! author other records refer to (events, RSVPs, membership types and donations name a page by
//! id). v2 serves no page bodies and no `created_at`/`updated_at` (only `published_at`), so a
//! page is re-read whole at reconciliation. An event's name, slug and status are its page's.
//! v1 has per-type page routes (`/sites/:slug/pages/basic_pages`, `blogs`, `calendars`…) but
//! no listing of every page: pages are read through v2 only (v1's events, petitions and
//! surveys are pages, read as those resources).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "pages",
    table: "core.pages",
    v2: Some(V2Binding {
        path: "pages",
        extra_fields: None,
        sweep_field: "slug",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[
        // Every page belongs to a site the source lists.
        Reference {
            column: "site_source_id",
            resource: "sites",
            role: "site",
            dangling: Dangling::Defect,
        },
        // A parent page deleted at source may still be named: looked up.
        Reference {
            column: "parent_source_id",
            resource: "pages",
            role: "parent",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "author_source_id",
            resource: "people",
            role: "author",
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
