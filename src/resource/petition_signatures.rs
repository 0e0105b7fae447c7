//! Petition signatures (v2 `/petition_signatures`; OSDI Signature): who signed which petition,
//! when, on which page and recruited by whom — action history and the provenance of a
//! sign-up (consent). The signer's optional public `comment` is free text and goes to schema
//! `sensitive`. People deleted at source keep their signatures (no documented cascade): a signer
//! or recruiter missing from the export is looked up at the source, as is a missing petition; the
//! page is allowed to be missing. v1 serves them per petition page
//! (`/sites/:site_slug/pages/petitions/:id/signatures`), wrapped with their petition.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "petition_signatures",
    table: "core.petition_signatures",
    v2: Some(V2Binding {
        path: "petition_signatures",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::PerRecord(V1PerRecord {
        of: "petitions",
        route: "sites/{site_slug}/pages/petitions/{id}/signatures",
        key: V1RecordKey::Fields(&["id"]),
        wrap: Some(V1Wrap {
            key_field: None,
            owner_field: "petition_id",
            member_field: "signature",
        }),
        changes: Changes::Reread,
    }),
    references: &[
        Reference {
            column: "petition_source_id",
            resource: "petitions",
            role: "petition",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "person_source_id",
            resource: "people",
            role: "signer",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "recruiter_source_id",
            resource: "people",
            role: "recruiter",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "page_source_id",
            resource: "pages",
            role: "page",
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
