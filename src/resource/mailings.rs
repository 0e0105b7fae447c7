//! Mailings (v2 only): the nation's email blasts, as metadata — name, slug, subject, preheader,
//! sender (`broadcaster_id` and the `from` line), audience (a list, `custom_list_id`, or a
//! comma-separated `tag_list`) and the send, queue, publish and cancel times. The API gives no
//! recipients, no deliveries, opens, clicks or bounces: who received a mailing is not
//! recoverable through it. The body (`body_html`) is an opt-in extra field that is not asked
//! for. `/api/v2/mailings` pages and has `updated_at`. A mailing of a broadcaster deleted at
//! source is looked up; its audience list (`list_source_id`) may have been deleted since the
//! mailing went out and is allowed to dangle.

use super::*;

/// The descriptor.
pub(super) const DEF: ResourceDef = ResourceDef {
    name: "mailings",
    table: "core.mailings",
    v2: Some(V2Binding {
        path: "mailings",
        extra_fields: None,
        sweep_field: "created_at",
        changes: Changes::UpdatedSince,
        show: true,
        include: None,
        paging: Paging::Paged,
        nested: None,
    }),
    v1: V1Binding::None,
    references: &[
        Reference {
            column: "broadcaster_source_id",
            resource: "broadcasters",
            role: "broadcaster",
            dangling: Dangling::LookUp,
        },
        Reference {
            column: "list_source_id",
            resource: "lists",
            role: "audience list",
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
