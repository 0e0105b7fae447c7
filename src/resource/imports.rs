//! Imports (v2 only): the provenance of bulk-loaded rows — each CSV import's type, file name,
//! status, row counts (lines, successful, unsuccessful, updated), the first lines of the file
//! and its errors, the tags it gave the imported people, and when it ran. The spec declares no
//! page parameters for `/api/v2/imports`, so the collection may come whole in every answer:
//! it is read page by page with [`Paging::Unsure`], and a later page repeating the first ends
//! it. `updated_at` is given. The importing user is only a sideload (`include=author`), not an
//! attribute, and is not exported. v1 shows one import by id (`/imports/:id`) but lists none.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "imports",
    table: "core.imports",
    v2: Some(V2Binding {
        path: "imports",
        extra_fields: None,
        sweep_field: "status",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Unsure,
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
