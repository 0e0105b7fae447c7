//! Custom-field definitions (`/api/v2/custom_fields`, v2 only; `full-exit.md` §1.2): the
//! metadata that makes the `custom_values` of signups and donations interpretable.
//!
//! The definitions match the keys [`super::data::Person::write_custom`] emits on every signup,
//! with two deliberate mismatches an exporter must report: `legacy_crm_ref` is emitted but has
//! no definition (a key left over from an import), and the donation field `gift_aid` is
//! defined but never used (donations carry `custom_values: {}`). The list is fixed, so the
//! definitions are the same for every seed; only their timestamps follow the seed.

use super::data::{self, Draw, Nation, Zone};

/// Hash stream of custom-field definitions.
const KIND_CUSTOM_FIELD: u64 = 7;

/// One definition: slug, name, field type, options, resource type.
pub(crate) struct FieldDef {
    pub slug: &'static str,
    pub name: &'static str,
    pub field_type: &'static str,
    pub options: &'static [&'static str],
    pub resource_type: &'static str,
}

const FIELDS: &[FieldDef] = &[
    FieldDef {
        slug: "membership_number",
        name: "Membership number",
        field_type: "text",
        options: &[],
        resource_type: "Signup",
    },
    FieldDef {
        slug: "donor_score",
        name: "Donor score",
        field_type: "number",
        options: &[],
        resource_type: "Signup",
    },
    FieldDef {
        slug: "volunteer_hours",
        name: "Volunteer hours",
        field_type: "number",
        options: &[],
        resource_type: "Signup",
    },
    FieldDef {
        slug: "newsletter_paper",
        name: "Paper newsletter",
        field_type: "checkbox",
        options: &[],
        resource_type: "Signup",
    },
    FieldDef {
        slug: "skills",
        name: "Skills",
        field_type: "multiple_choice",
        options: super::locale::SKILLS,
        resource_type: "Signup",
    },
    FieldDef {
        slug: "preferences",
        name: "Contact preferences",
        field_type: "text",
        options: &[],
        resource_type: "Signup",
    },
    FieldDef {
        slug: "joined_year",
        name: "Year joined",
        field_type: "number",
        options: &[],
        resource_type: "Signup",
    },
    FieldDef {
        slug: "gift_aid",
        name: "Gift Aid declaration",
        field_type: "checkbox",
        options: &[],
        resource_type: "Donation",
    },
];

/// Number of definitions (ids `1..=COUNT`).
pub(crate) fn count() -> u64 {
    FIELDS.len() as u64
}

/// Definition `id` with its position among the fields of its resource type and timestamps.
pub(crate) fn generate(
    nation: &Nation,
    id: u64,
) -> Option<(&'static FieldDef, i64, i64, i64, Zone)> {
    let def = FIELDS.get((id as usize).checked_sub(1)?)?;
    let position = FIELDS[..id as usize]
        .iter()
        .filter(|f| f.resource_type == def.resource_type)
        .count() as i64;
    let d = Draw::new(nation.seed, KIND_CUSTOM_FIELD, id);
    let created_at =
        nation.epoch - data::HISTORY + (id as i64) * 86_400 + d.below(1, 86_400) as i64;
    let updated_at = if d.pct(2, 70) {
        created_at
    } else {
        created_at + d.below(3, (nation.epoch - created_at).max(1) as u64) as i64
    };
    let zone = if d.pct(4, 50) { Zone::Utc } else { Zone::Local };
    Some((def, position, created_at, updated_at, zone))
}
