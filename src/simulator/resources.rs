//! The simulator's resource registry: one [`ResourceDef`] per collection of the simulated
//! nation, saying as data how it is named, routed (v2 path and JSON:API type, v1 route), keyed
//! and paged ([`KeySpace`]), filtered and sorted, shown by id, written, churned and counted
//! in the manifest. v2 routing, paging, filters, show-by-id, the manifest and churn read these
//! descriptors instead of matching on resource variants.
//!
//! The registry sits above everything it names: the key spaces of [`super::paging`], the
//! predicates of [`super::v2_filters`], the writers of [`super::v2_records`] and the steps of
//! [`super::churn`] are plain functions that never read the registry back. It also runs the
//! churn ([`run_churn`]), because the steps run in registry order.
//!
//! This registry is the simulator's own model of the API, written from the reference, not a
//! copy of the exporter's: a test checks that both name the same resources.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::data::Nation;
use super::ledger::Ledger;
use super::paging::{KeySpace, View};
use super::state::State;
use super::surveys_pledges_petitions as spp;
use super::surveys_pledges_petitions_v2 as spp_v2;
use super::v2_filters::{self, Filters};
use super::v2_records::{self, Shape};
use super::{
    churn, contacts_paths, contacts_paths_v2, custom_fields, events, lists_precincts_relationships,
    outreach, outreach_v2,
};

/// Where v1 serves a resource (§4; full-exit.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum V1Route {
    /// A nation-wide token-paginated listing at this path.
    Listing(&'static str),
    /// Only per record of another resource, at this route (`people/:id/memberships`),
    /// token-paginated.
    PerRecord(&'static str),
    /// Inside the v1 records of this route (survey questions inside
    /// `sites/:site_slug/pages/surveys`).
    Within(&'static str),
    /// Derived from another record (taggings: a person's `tags`, `/people/:id/taggings`).
    Derived,
    /// Not in v1.
    None,
}

/// How a resource changes under `--churn`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Churn {
    /// Has its own step, run once per churn event in registry order.
    Step(fn(&mut State, &Nation, u64)),
    /// Created and deleted with its person (taggings).
    WithPerson,
    /// Never changes.
    Static,
}

/// Live and changed records of one resource, as the manifest reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCount {
    /// Records served now.
    pub live: u64,
    /// Records deleted before the export (never served; references to them dangle).
    pub deleted_before: u64,
    /// Records created during the run.
    pub created: u64,
    /// Record updates during the run.
    pub updated: u64,
    /// Records deleted during the run.
    pub deleted: u64,
}

/// One resource of the simulated nation.
pub(crate) struct ResourceDef {
    /// The resource's name (the exporter's word for it: `people`, `memberships`, …).
    pub name: &'static str,
    /// v2 collection path segment (`/api/v2/<path>`).
    pub v2_path: &'static str,
    /// JSON:API `type` (also the key of `fields[...]` and `extra_fields[...]`).
    pub v2_type: &'static str,
    /// Where v1 serves it.
    pub v1: V1Route,
    /// Key layout for paging.
    pub keys: KeySpace,
    /// Attributes `filter[...]` accepts (others answer 400).
    pub filters: &'static [&'static str],
    /// Attributes `sort` accepts (ascending or `-` descending).
    pub sorts: &'static [&'static str],
    /// Whether `/api/v2/<path>/{id}` exists.
    pub show: bool,
    /// How it churns.
    pub churn: Churn,
    /// Whether key `k` is live (for show-by-id).
    pub exists: fn(View<'_>, u64) -> bool,
    /// Whether key `k` passes the request's filters.
    pub matches: fn(&Filters, View<'_>, u64) -> bool,
    /// Writes the v2 resource object of key `k`.
    pub write_v2: fn(&mut String, View<'_>, u64, &Shape),
    /// The manifest's counts.
    pub count: fn(View<'_>) -> ResourceCount,
}

fn dense_count(n: u64) -> ResourceCount {
    ResourceCount {
        live: n,
        ..ResourceCount::default()
    }
}

fn ledger_count(l: &Ledger) -> ResourceCount {
    ResourceCount {
        live: l.live_count(),
        deleted_before: l.deleted_before,
        created: l.counts.created,
        updated: l.counts.updated,
        deleted: l.counts.deleted,
    }
}

/// The registry, in export order (people first: churn steps run in this order).
pub(crate) const RESOURCES: &[ResourceDef] = &[
    ResourceDef {
        name: "people",
        v2_path: "signups",
        v2_type: "signups",
        v1: V1Route::Listing("people"),
        keys: KeySpace::People,
        filters: &["id", "updated_at", "tag_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(churn::people_step),
        exists: |v, k| v.state.live_slot(v.nation, k).is_some(),
        matches: v2_filters::matches_signup,
        write_v2: v2_records::write_signup,
        count: |v| ResourceCount {
            live: v.state.people_count(),
            deleted_before: v.nation.max_base_id().saturating_sub(v.nation.people),
            created: v.state.counts.created,
            updated: v.state.counts.updated,
            deleted: v.state.counts.deleted,
        },
    },
    ResourceDef {
        name: "tags",
        v2_path: "signup_tags",
        v2_type: "signup_tags",
        v1: V1Route::Listing("tags"),
        keys: KeySpace::Dense(|n| n.tag_count),
        filters: &["id", "signup_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=v.nation.tag_count).contains(&k),
        matches: v2_filters::matches_tag,
        write_v2: v2_records::write_tag,
        count: |v| dense_count(v.nation.tag_count),
    },
    ResourceDef {
        name: "taggings",
        v2_path: "signup_taggings",
        v2_type: "signup_taggings",
        v1: V1Route::Derived,
        keys: KeySpace::Taggings,
        filters: &["id", "signup_id", "tag_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::WithPerson,
        exists: |v, k| {
            v.state.live_slot(v.nation, k / 8).is_some() && k % 8 < v.nation.tagging_count(k / 8)
        },
        matches: v2_filters::matches_tagging,
        write_v2: v2_records::write_tagging,
        count: |v| dense_count(v.state.tagging_total()),
    },
    ResourceDef {
        name: "donations",
        v2_path: "donations",
        v2_type: "donations",
        v1: V1Route::Listing("donations"),
        keys: KeySpace::Dense(|n| n.donation_count),
        filters: &["id", "updated_at", "signup_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=v.nation.donation_count).contains(&k),
        matches: v2_filters::matches_donation,
        write_v2: v2_records::write_donation,
        count: |v| dense_count(v.nation.donation_count),
    },
    ResourceDef {
        name: "memberships",
        v2_path: "memberships",
        v2_type: "memberships",
        v1: V1Route::PerRecord("people/:id/memberships"),
        keys: KeySpace::Ledger(|s| &s.memberships),
        filters: &[
            "id",
            "updated_at",
            "created_at",
            "started_at",
            "signup_id",
            "membership_type_id",
            "status",
        ],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(churn::memberships_step),
        exists: |v, k| v.state.memberships.is_live(k),
        matches: v2_filters::matches_membership,
        write_v2: v2_records::write_membership,
        count: |v| ledger_count(&v.state.memberships),
    },
    ResourceDef {
        name: "membership_types",
        v2_path: "membership_types",
        v2_type: "membership_types",
        v1: V1Route::None,
        keys: KeySpace::Ledger(|s| &s.membership_types),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| v.state.membership_types.is_live(k),
        matches: v2_filters::matches_membership_type,
        write_v2: v2_records::write_membership_type,
        count: |v| ledger_count(&v.state.membership_types),
    },
    ResourceDef {
        name: "custom_fields",
        v2_path: "custom_fields",
        v2_type: "custom_fields",
        v1: V1Route::None,
        keys: KeySpace::Dense(|_| custom_fields::count()),
        filters: &["id", "updated_at", "created_at", "resource_type", "slug"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |_, k| (1..=custom_fields::count()).contains(&k),
        matches: v2_filters::matches_custom_field,
        write_v2: v2_records::write_custom_field,
        count: |_| dense_count(custom_fields::count()),
    },
    ResourceDef {
        name: "contacts",
        v2_path: "contacts",
        v2_type: "contacts",
        // v1 serves contacts per person (/people/:id/contacts); not simulated yet.
        v1: V1Route::PerRecord("people/:id/contacts"),
        keys: KeySpace::Ledger(|s| &s.contacts_paths.contacts),
        // No updated_at on a contact: the API has none to filter on.
        filters: &["id", "created_at", "signup_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(churn::contacts_step),
        exists: |v, k| v.state.contacts_paths.contacts.is_live(k),
        matches: contacts_paths_v2::matches_contact,
        write_v2: contacts_paths_v2::write_contact,
        count: |v| ledger_count(&v.state.contacts_paths.contacts),
    },
    ResourceDef {
        name: "paths",
        v2_path: "paths",
        v2_type: "paths",
        // v1 lists paths at /paths (steps embedded); not simulated yet.
        v1: V1Route::Listing("paths"),
        keys: KeySpace::Dense(contacts_paths::path_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=contacts_paths::path_count(v.nation)).contains(&k),
        matches: contacts_paths_v2::matches_path,
        write_v2: contacts_paths_v2::write_path,
        count: |v| dense_count(contacts_paths::path_count(v.nation)),
    },
    ResourceDef {
        name: "path_steps",
        v2_path: "path_steps",
        v2_type: "path_steps",
        v1: V1Route::Within("paths"),
        keys: KeySpace::Ledger(|s| &s.contacts_paths.steps),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| v.state.contacts_paths.steps.is_live(k),
        matches: contacts_paths_v2::matches_step,
        write_v2: contacts_paths_v2::write_step,
        count: |v| ledger_count(&v.state.contacts_paths.steps),
    },
    ResourceDef {
        name: "path_journeys",
        v2_path: "path_journeys",
        v2_type: "path_journeys",
        v1: V1Route::None,
        keys: KeySpace::Ledger(|s| &s.contacts_paths.journeys),
        filters: &["id", "updated_at", "created_at", "signup_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(churn::journeys_step),
        exists: |v, k| v.state.contacts_paths.journeys.is_live(k),
        matches: contacts_paths_v2::matches_journey,
        write_v2: contacts_paths_v2::write_journey,
        count: |v| ledger_count(&v.state.contacts_paths.journeys),
    },
    ResourceDef {
        name: "path_histories",
        v2_path: "path_histories",
        v2_type: "path_histories",
        v1: V1Route::None,
        keys: KeySpace::Ledger(|s| &s.contacts_paths.histories),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        // Rows are added by the journeys step.
        churn: Churn::Static,
        exists: |v, k| v.state.contacts_paths.histories.is_live(k),
        matches: contacts_paths_v2::matches_history,
        write_v2: contacts_paths_v2::write_history,
        count: |v| ledger_count(&v.state.contacts_paths.histories),
    },
    ResourceDef {
        name: "path_journey_status_changes",
        v2_path: "path_journey_status_changes",
        v2_type: "path_journey_status_changes",
        v1: V1Route::None,
        keys: KeySpace::Dense(contacts_paths::status_change_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=contacts_paths::status_change_count(v.nation)).contains(&k),
        matches: contacts_paths_v2::matches_status_change,
        write_v2: contacts_paths_v2::write_status_change,
        count: |v| dense_count(contacts_paths::status_change_count(v.nation)),
    },
    ResourceDef {
        name: "sites",
        v2_path: "sites",
        v2_type: "sites",
        v1: V1Route::Listing("sites"),
        keys: KeySpace::Dense(events::site_count),
        filters: &["id"],
        sorts: &["id"],
        // The reference has no /api/v2/sites/{id}.
        show: false,
        churn: Churn::Static,
        exists: |v, k| (1..=events::site_count(v.nation)).contains(&k),
        matches: v2_filters::matches_site,
        write_v2: v2_records::write_site,
        count: |v| dense_count(events::site_count(v.nation)),
    },
    ResourceDef {
        name: "pages",
        v2_path: "pages",
        v2_type: "pages",
        v1: V1Route::None,
        keys: KeySpace::Dense(events::page_count),
        filters: &["id", "site_id", "slug"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=events::page_count(v.nation)).contains(&k),
        matches: v2_filters::matches_page,
        write_v2: v2_records::write_page,
        count: |v| dense_count(events::page_count(v.nation)),
    },
    ResourceDef {
        name: "events",
        v2_path: "events",
        v2_type: "events",
        v1: V1Route::PerRecord("sites/:site_slug/pages/events"),
        keys: KeySpace::Dense(events::event_count),
        filters: &["id", "page_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=events::event_count(v.nation)).contains(&k),
        matches: v2_filters::matches_event,
        write_v2: v2_records::write_event,
        count: |v| dense_count(events::event_count(v.nation)),
    },
    ResourceDef {
        name: "event_rsvps",
        v2_path: "event_rsvps",
        v2_type: "event_rsvps",
        v1: V1Route::PerRecord("sites/:site_slug/pages/events/:id/rsvps"),
        keys: KeySpace::Ledger(|s| &s.rsvps),
        filters: &["id", "updated_at", "created_at", "event_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(churn::rsvps_step),
        exists: |v, k| v.state.rsvps.is_live(k),
        matches: v2_filters::matches_rsvp,
        write_v2: v2_records::write_rsvp,
        count: |v| ledger_count(&v.state.rsvps),
    },
    ResourceDef {
        name: "event_ticket_levels",
        v2_path: "event_ticket_levels",
        v2_type: "event_ticket_levels",
        v1: V1Route::None,
        keys: KeySpace::Dense(events::ticket_level_count),
        filters: &["id", "event_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=events::ticket_level_count(v.nation)).contains(&k),
        matches: v2_filters::matches_ticket_level,
        write_v2: v2_records::write_ticket_level,
        count: |v| dense_count(events::ticket_level_count(v.nation)),
    },
    ResourceDef {
        name: "broadcasters",
        v2_path: "broadcasters",
        v2_type: "broadcasters",
        v1: V1Route::None,
        keys: KeySpace::Dense(outreach::broadcaster_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=outreach::broadcaster_count(v.nation)).contains(&k),
        matches: outreach_v2::matches_broadcaster,
        write_v2: outreach_v2::write_broadcaster,
        count: |v| dense_count(outreach::broadcaster_count(v.nation)),
    },
    ResourceDef {
        name: "mailings",
        v2_path: "mailings",
        v2_type: "mailings",
        v1: V1Route::None,
        keys: KeySpace::Dense(outreach::mailing_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=outreach::mailing_count(v.nation)).contains(&k),
        matches: outreach_v2::matches_mailing,
        write_v2: outreach_v2::write_mailing,
        count: |v| dense_count(outreach::mailing_count(v.nation)),
    },
    ResourceDef {
        name: "automations",
        v2_path: "automations",
        v2_type: "automations",
        v1: V1Route::None,
        keys: KeySpace::Dense(outreach::automation_count),
        filters: &["id", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=outreach::automation_count(v.nation)).contains(&k),
        matches: outreach_v2::matches_automation,
        write_v2: outreach_v2::write_automation,
        count: |v| dense_count(outreach::automation_count(v.nation)),
    },
    ResourceDef {
        name: "automation_enrollments",
        v2_path: "automation_enrollments",
        v2_type: "automation_enrollments",
        v1: V1Route::None,
        keys: KeySpace::Ledger(|s| &s.automation_enrollments),
        filters: &["id", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(outreach_v2::enrollments_step),
        exists: |v, k| v.state.automation_enrollments.is_live(k),
        matches: outreach_v2::matches_enrollment,
        write_v2: outreach_v2::write_enrollment,
        count: |v| ledger_count(&v.state.automation_enrollments),
    },
    ResourceDef {
        name: "imports",
        v2_path: "imports",
        v2_type: "imports",
        v1: V1Route::None,
        keys: KeySpace::Dense(outreach::import_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=outreach::import_count(v.nation)).contains(&k),
        matches: outreach_v2::matches_import,
        write_v2: outreach_v2::write_import,
        count: |v| dense_count(outreach::import_count(v.nation)),
    },
    ResourceDef {
        name: "lists",
        v2_path: "lists",
        v2_type: "lists",
        // v1 has `/lists` and `/lists/:id/people`; the simulator does not serve them yet.
        v1: V1Route::Listing("lists"),
        keys: KeySpace::Dense(lists_precincts_relationships::list_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(lists_precincts_relationships::lists_step),
        exists: |v, k| (1..=lists_precincts_relationships::list_count(v.nation)).contains(&k),
        matches: v2_filters::matches_list,
        write_v2: v2_records::write_list,
        count: |v| ResourceCount {
            live: lists_precincts_relationships::list_count(v.nation),
            updated: v.state.lists.list_counts.updated,
            ..ResourceCount::default()
        },
    },
    // A list's members are served only per list, at `/api/v2/lists/{id}/signups` (module
    // `v2`, `nested_index`), as `signups` resource objects: this entry is never routed as a
    // collection of its own (its path holds a `/`, its key space is empty); it counts the
    // members for the manifest. Their changes come from the lists' churn step.
    ResourceDef {
        name: "list_members",
        v2_path: "lists/{id}/signups",
        v2_type: "signups",
        v1: V1Route::PerRecord("lists/:id/people"),
        keys: KeySpace::Dense(|_| 0),
        filters: &["id", "updated_at", "tag_id"],
        sorts: &["id"],
        show: false,
        churn: Churn::Static,
        exists: |_, _| false,
        matches: v2_filters::matches_signup,
        write_v2: v2_records::write_signup,
        count: |v| ResourceCount {
            live: lists_precincts_relationships::member_total(v),
            created: v.state.lists.member_counts.created,
            ..ResourceCount::default()
        },
    },
    ResourceDef {
        name: "precincts",
        v2_path: "precincts",
        v2_type: "precincts",
        // v1 has `/precincts`; the simulator does not serve it yet.
        v1: V1Route::Listing("precincts"),
        keys: KeySpace::Dense(lists_precincts_relationships::precinct_count),
        filters: &["id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=lists_precincts_relationships::precinct_count(v.nation)).contains(&k),
        matches: v2_filters::matches_precinct,
        write_v2: v2_records::write_precinct,
        count: |v| dense_count(lists_precincts_relationships::precinct_count(v.nation)),
    },
    ResourceDef {
        name: "relationships",
        v2_path: "relationships",
        v2_type: "relationships",
        v1: V1Route::None,
        keys: KeySpace::Dense(lists_precincts_relationships::relationship_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| {
            (1..=lists_precincts_relationships::relationship_count(v.nation)).contains(&k)
        },
        matches: v2_filters::matches_relationship,
        write_v2: v2_records::write_relationship,
        count: |v| dense_count(lists_precincts_relationships::relationship_count(v.nation)),
    },
    ResourceDef {
        name: "surveys",
        v2_path: "surveys",
        v2_type: "surveys",
        v1: V1Route::PerRecord("sites/:site_slug/pages/surveys"),
        keys: KeySpace::Dense(spp::survey_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=spp::survey_count(v.nation)).contains(&k),
        matches: spp_v2::matches_survey,
        write_v2: spp_v2::write_survey,
        count: |v| dense_count(spp::survey_count(v.nation)),
    },
    ResourceDef {
        name: "survey_questions",
        v2_path: "survey_questions",
        v2_type: "survey_questions",
        v1: V1Route::Within("sites/:site_slug/pages/surveys"),
        keys: KeySpace::Dense(spp::question_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=spp::question_count(v.nation)).contains(&k),
        matches: spp_v2::matches_question,
        write_v2: spp_v2::write_question,
        count: |v| dense_count(spp::question_count(v.nation)),
    },
    ResourceDef {
        name: "survey_question_possible_responses",
        v2_path: "survey_question_possible_responses",
        v2_type: "survey_question_possible_responses",
        v1: V1Route::Within("sites/:site_slug/pages/surveys"),
        keys: KeySpace::Dense(spp::choice_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=spp::choice_count(v.nation)).contains(&k),
        matches: spp_v2::matches_choice,
        write_v2: spp_v2::write_choice,
        count: |v| dense_count(spp::choice_count(v.nation)),
    },
    ResourceDef {
        name: "survey_question_responses",
        v2_path: "survey_question_responses",
        v2_type: "survey_question_responses",
        v1: V1Route::Within("survey_responses"),
        keys: KeySpace::Ledger(|s| &s.survey_question_responses),
        filters: &["id", "updated_at", "created_at", "signup_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(spp_v2::responses_step),
        exists: |v, k| v.state.survey_question_responses.is_live(k),
        matches: spp_v2::matches_response,
        write_v2: spp_v2::write_response,
        count: |v| ledger_count(&v.state.survey_question_responses),
    },
    ResourceDef {
        name: "donation_tracking_codes",
        v2_path: "donation_tracking_codes",
        v2_type: "donation_tracking_codes",
        v1: V1Route::None,
        keys: KeySpace::Dense(spp::code_count),
        filters: &["id", "updated_at", "created_at"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=spp::code_count(v.nation)).contains(&k),
        matches: spp_v2::matches_code,
        write_v2: spp_v2::write_code,
        count: |v| dense_count(spp::code_count(v.nation)),
    },
    ResourceDef {
        name: "pledges",
        v2_path: "pledges",
        v2_type: "pledges",
        v1: V1Route::None,
        keys: KeySpace::Dense(spp::pledge_count),
        filters: &["id", "updated_at", "created_at", "signup_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=spp::pledge_count(v.nation)).contains(&k),
        matches: spp_v2::matches_pledge,
        write_v2: spp_v2::write_pledge,
        count: |v| dense_count(spp::pledge_count(v.nation)),
    },
    ResourceDef {
        name: "petitions",
        v2_path: "petitions",
        v2_type: "petitions",
        v1: V1Route::PerRecord("sites/:site_slug/pages/petitions"),
        keys: KeySpace::Dense(spp::petition_count),
        // No timestamps: nothing to filter on but the id.
        filters: &["id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Static,
        exists: |v, k| (1..=spp::petition_count(v.nation)).contains(&k),
        matches: spp_v2::matches_petition,
        write_v2: spp_v2::write_petition,
        count: |v| dense_count(spp::petition_count(v.nation)),
    },
    ResourceDef {
        name: "petition_signatures",
        v2_path: "petition_signatures",
        v2_type: "petition_signatures",
        v1: V1Route::PerRecord("sites/:site_slug/pages/petitions/:petition_id/signatures"),
        keys: KeySpace::Ledger(|s| &s.petition_signatures),
        filters: &["id", "updated_at", "created_at", "signup_id"],
        sorts: &["id"],
        show: true,
        churn: Churn::Step(spp_v2::signatures_step),
        exists: |v, k| v.state.petition_signatures.is_live(k),
        matches: spp_v2::matches_signature,
        write_v2: spp_v2::write_signature,
        count: |v| ledger_count(&v.state.petition_signatures),
    },
];

/// A relationship `include=` may sideload: on records of `resource`, the relationship `rel`
/// names a record of `target` (a registry name), whose id `related` gives (`None`: the
/// relationship is empty). The v2 routes answer an `include=` naming anything else with 400.
pub(crate) struct Include {
    /// The resource whose records carry the relationship.
    pub resource: &'static str,
    /// The relationship's name (`signup`).
    pub rel: &'static str,
    /// The resource of the related record.
    pub target: &'static str,
    /// The related records of key `k` (one at most for a to-one relationship).
    pub related: fn(View<'_>, u64) -> Vec<u64>,
}

/// The sideloads the simulator serves (the reference's `*_sideload_values` it models).
pub(crate) const INCLUDES: &[Include] = &[
    Include {
        resource: "people",
        rel: "taggings",
        target: "taggings",
        // A person's taggings are keys person × 8 + j (see the taggings' key space).
        related: |v, k| {
            if v.state.live_slot(v.nation, k).is_none() {
                return Vec::new();
            }
            (0..v.nation.tagging_count(k)).map(|j| k * 8 + j).collect()
        },
    },
    Include {
        resource: "event_rsvps",
        rel: "signup",
        target: "people",
        related: |v, k| {
            Vec::from_iter(Some(
                events::Rsvp::generate(v.nation, &v.state.rsvps, k).signup_id,
            ))
        },
    },
    Include {
        resource: "event_rsvps",
        rel: "event",
        target: "events",
        related: |v, k| {
            Vec::from_iter(Some(
                events::Rsvp::generate(v.nation, &v.state.rsvps, k).event_id,
            ))
        },
    },
    Include {
        resource: "events",
        rel: "page",
        target: "pages",
        related: |v, k| Vec::from_iter(events::Event::generate(v.nation, k).map(|e| e.page_id)),
    },
    Include {
        resource: "event_ticket_levels",
        rel: "event",
        target: "events",
        related: |v, k| {
            Vec::from_iter(events::TicketLevel::generate(v.nation, k).map(|l| l.event_id))
        },
    },
    Include {
        resource: "pages",
        rel: "site",
        target: "sites",
        related: |v, k| Vec::from_iter(events::Page::generate(v.nation, k).map(|p| p.site_id)),
    },
    Include {
        resource: "pages",
        rel: "parent",
        target: "pages",
        related: |v, k| {
            Vec::from_iter(events::Page::generate(v.nation, k).and_then(|p| p.parent_id))
        },
    },
];

/// The sideload `rel` of `resource`, when the simulator serves it.
pub(crate) fn include(resource: &str, rel: &str) -> Option<&'static Include> {
    INCLUDES
        .iter()
        .find(|i| i.resource == resource && i.rel == rel)
}

/// The descriptor served at `/api/v2/<path>`.
pub(crate) fn by_v2_path(path: &str) -> Option<&'static ResourceDef> {
    RESOURCES.iter().find(|r| r.v2_path == path)
}

/// The descriptor named `name`.
pub(crate) fn by_name(name: &str) -> Option<&'static ResourceDef> {
    RESOURCES.iter().find(|r| r.name == name)
}

/// Applies `events` churn events to `state`, never more than `limit` in all (0 = no limit).
/// Each event runs the churn step of every resource that has one, in registry order.
pub(crate) fn run_churn(state: &mut State, nation: &Nation, events: u64, limit: u64) {
    for _ in 0..events {
        let Some(event) = state.next_event(limit) else {
            break;
        };
        for def in RESOURCES {
            if let Churn::Step(step) = def.churn {
                step(state, nation, event);
            }
        }
    }
}

/// Manifest counts of every resource, by name.
pub(crate) fn counts(view: View<'_>) -> BTreeMap<String, ResourceCount> {
    RESOURCES
        .iter()
        .map(|r| (r.name.to_string(), (r.count)(view)))
        .collect()
}

/// The names of the simulator's resources, in registry order (`people`, `tags`, `taggings`,
/// `donations`, `memberships`, `membership_types`, `custom_fields`, then those of the full
/// exit). The exporter's registry must name the same ones.
pub fn resource_names() -> Vec<&'static str> {
    RESOURCES.iter().map(|r| r.name).collect()
}

/// Where v1 serves each resource, by name, as text: `listing <path>`, `per-record <route>`,
/// `within <route>`, `derived` or `none`, each `:parameter` of a route written `*`. The
/// exporter's descriptors must say the same (a test compares them).
pub fn v1_routes() -> Vec<(&'static str, String)> {
    let stars = |route: &str| {
        route
            .split('/')
            .map(|s| if s.starts_with(':') { "*" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    RESOURCES
        .iter()
        .map(|r| {
            let text = match r.v1 {
                V1Route::Listing(path) => format!("listing {path}"),
                V1Route::PerRecord(route) => format!("per-record {}", stars(route)),
                V1Route::Within(route) => format!("within {}", stars(route)),
                V1Route::Derived => "derived".to_owned(),
                V1Route::None => "none".to_owned(),
            };
            (r.name, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::paging::{Bounds, Pred};
    use super::*;

    #[test]
    fn churn_keeps_counts_consistent() {
        let nation = Nation::new(9, 500, "EUR");
        let mut s = State::new(&nation);
        run_churn(&mut s, &nation, 300, 0);
        let mut live = 0;
        let mut taggings = 0;
        for slot in 0..s.slot_count() {
            if s.is_live(slot) {
                live += 1;
                taggings += nation.tagging_count(s.slot_id(&nation, slot));
            }
        }
        assert_eq!(live, s.people_count());
        assert_eq!(taggings, s.tagging_total());
        assert_eq!(s.tag_counts.iter().sum::<u64>(), taggings);
        assert_eq!(live, 500 + s.counts.created - s.counts.deleted);
    }

    #[test]
    fn rank_select_agree_for_every_kind() {
        let nation = Nation::new(5, 300, "EUR");
        let mut state = State::new(&nation);
        run_churn(&mut state, &nation, 80, 0);
        let view = View {
            nation: &nation,
            state: &state,
        };
        for kind in RESOURCES.iter().map(|r| r.keys) {
            let total = view.total(kind);
            let mut prev = None;
            for k in 0..total {
                let key = view.select(kind, k).unwrap();
                assert_eq!(view.rank(kind, key), k, "{kind:?} {k}");
                if let Some(p) = prev {
                    assert!(key > p);
                }
                prev = Some(key);
            }
            assert_eq!(view.select(kind, total), None);
        }
    }

    #[test]
    fn walking_agrees_with_select_under_churn() {
        let nation = Nation::new(11, 400, "EUR");
        let mut state = State::new(&nation);
        run_churn(&mut state, &nation, 150, 0);
        let view = View {
            nation: &nation,
            state: &state,
        };
        let all: Pred<'_> = &|_| true;
        for kind in RESOURCES.iter().map(|r| r.keys) {
            let total = view.total(kind);
            let by_select: Vec<u64> = (0..total).map(|k| view.select(kind, k).unwrap()).collect();
            for (skip, take) in [
                (0, 7),
                (3, 50),
                (total.saturating_sub(5), 10),
                (0, total + 5),
            ] {
                let want: Vec<u64> = by_select
                    .iter()
                    .copied()
                    .skip(skip as usize)
                    .take(take as usize)
                    .collect();
                assert_eq!(
                    view.collect(kind, Bounds::default(), None, skip, take, false),
                    want,
                    "{kind:?}"
                );
                assert_eq!(
                    view.collect(kind, Bounds::default(), Some(all), skip, take, false),
                    want,
                    "{kind:?}"
                );
                let want_desc: Vec<u64> = by_select
                    .iter()
                    .rev()
                    .copied()
                    .skip(skip as usize)
                    .take(take as usize)
                    .collect();
                assert_eq!(
                    view.collect(kind, Bounds::default(), None, skip, take, true),
                    want_desc,
                    "{kind:?} desc"
                );
                assert_eq!(
                    view.collect(kind, Bounds::default(), Some(all), skip, take, true),
                    want_desc,
                    "{kind:?} desc"
                );
            }
            assert_eq!(view.count(kind, Bounds::default(), Some(all)), total);
        }
    }

    #[test]
    fn names_and_paths_are_unique() {
        let names = resource_names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for r in RESOURCES {
            assert_eq!(by_v2_path(r.v2_path).map(|d| d.name), Some(r.name));
            assert_eq!(by_name(r.name).map(|d| d.v2_path), Some(r.v2_path));
            assert!(r.filters.contains(&"id"));
        }
    }
}
