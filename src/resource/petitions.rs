//! Petitions (v2 `/petitions`): the petition's settings — intro and content, goal, the count of
//! offline signatures added by hand, what a signature is called, the autoresponse (subject,
//! content, broadcaster) and which form fields signers see. A petition has NO name, slug or
//! timestamp of its own: its title is its page's (`page_id`), and with nothing to find changes
//! by, the collection is re-read whole at reconciliation (a few records per thousand people).
//! v1 serves petitions as site pages (`/sites/:site_slug/pages/petitions`, read per site; the
//! v1 id is the page id). The
//! page and the broadcaster are allowed to be missing (deleted since, they keep their ids).

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "petitions",
    table: "core.petitions",
    v2: Some(V2Binding {
        path: "petitions",
        extra_fields: None,
        sweep_field: "page_id",
        changes: Changes::Reread,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "sites",
        route: "sites/{slug}/pages/petitions",
        key: V1RecordKey::Fields(&["id"]),
        wrap: None,
        changes: Changes::Reread,
    }),
    references: &[
        Reference {
            column: "page_source_id",
            resource: "pages",
            role: "page",
            dangling: Dangling::Allowed,
        },
        Reference {
            column: "auto_response_broadcaster_source_id",
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
