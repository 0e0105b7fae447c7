//! The resource registry: one [`ResourceDef`] per NationBuilder resource the exporter moves,
//! saying as data everything fetch (v1 and v2), the pipeline, reconciliation, progress and
//! verify need to know — its name and main table, how each API serves it, how changes are
//! found, what it references and how its sample is compared. A [`Resource`] is an identifier of
//! a registry entry; code outside this module reads its descriptor instead of matching on
//! resources, so adding a resource is adding a descriptor (one file here), its mapping files,
//! its DDL and its simulator generator.
//!
//! The simulator keeps a registry of its own (an independent model of the API); a test checks
//! that both name the same resources.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod automation_enrollments;
mod automations;
mod broadcasters;
mod contacts;
mod custom_fields;
mod donations;
mod event_rsvps;
mod event_ticket_levels;
mod events;
mod imports;
mod list_members;
mod lists;
mod mailings;
mod membership_types;
mod memberships;
mod pages;
mod path_histories;
mod path_journey_status_changes;
mod path_journeys;
mod path_steps;
mod paths;
mod people;
mod precincts;
mod relationships;
mod sites;
mod taggings;
mod tags;

mod donation_tracking_codes;
mod petition_signatures;
mod petitions;
mod pledges;
mod survey_question_possible_responses;
mod survey_question_responses;
mod survey_questions;
mod surveys;

/// Every resource, in the order progress, summaries and reports show them.
pub static RESOURCES: &[ResourceDef] = &[
    people::DEF,
    tags::DEF,
    taggings::DEF,
    donations::DEF,
    memberships::DEF,
    membership_types::DEF,
    custom_fields::DEF,
    contacts::DEF,
    paths::DEF,
    path_steps::DEF,
    path_journeys::DEF,
    path_histories::DEF,
    path_journey_status_changes::DEF,
    sites::DEF,
    pages::DEF,
    events::DEF,
    event_rsvps::DEF,
    event_ticket_levels::DEF,
    broadcasters::DEF,
    mailings::DEF,
    automations::DEF,
    automation_enrollments::DEF,
    imports::DEF,
    lists::DEF,
    list_members::DEF,
    precincts::DEF,
    relationships::DEF,
    surveys::DEF,
    survey_questions::DEF,
    survey_question_possible_responses::DEF,
    survey_question_responses::DEF,
    donation_tracking_codes::DEF,
    pledges::DEF,
    petitions::DEF,
    petition_signatures::DEF,
];

/// The resources whose records can come sideloaded in another resource's pages, one entry
/// each (its own module says why): where the API answers the sideload, those pages bring them
/// and their own collection need not be read in the main pass.
pub static CARRIED: &[Carried] = &[taggings::CARRIED];

/// A resource whose records another resource's v2 pages can bring with `include=`
/// (a person's taggings with `signups?include=taggings`).
#[derive(Debug, Clone, Copy)]
pub struct Carried {
    /// The resource carried (`taggings`).
    pub resource: &'static str,
    /// The resource whose pages carry it (`people`).
    pub by: &'static str,
    /// What `include=` asks for on those pages (`taggings`); the objects come in the
    /// document's top-level `included` array, of the carried resource's JSON:API type.
    pub include: &'static str,
}

/// Everything the exporter knows about one resource.
#[derive(Debug)]
pub struct ResourceDef {
    /// Its name: in flags, checkpoints, `raw.records.resource` and mapping file names.
    pub name: &'static str,
    /// Its main table (qualified), the one with a row per record.
    pub table: &'static str,
    /// How API v2 serves it.
    pub v2: Option<V2Binding>,
    /// How API v1 serves it.
    pub v1: V1Binding,
    /// Its references to other resources.
    pub references: &'static [Reference],
    /// How `verify` compares its sampled records with the source.
    pub sample: SampleRules,
    /// How its v1 key is derived from a v2 export's archive, for verifying a v2 export
    /// through v1.
    pub v1_key: V1Key,
    /// What its records define in other resources' records, when they are definitions
    /// (custom-field definitions: the keys of people's and donations' `custom_fields`).
    pub defines: Option<Definitions>,
    /// The count an owner keeps of this resource's records, when there is one.
    pub control_total: Option<ControlTotal>,
}

/// Records that define the keys of a `jsonb` column of other resources' tables, so `verify`
/// can report keys used without a definition and definitions never used.
#[derive(Debug, Clone, Copy)]
pub struct Definitions {
    /// The column of this resource's main table holding the key a record defines (`slug`).
    pub key_column: &'static str,
    /// The column saying what a definition applies to (`resource_type`).
    pub scope_column: &'static str,
    /// For each value of the scope column: the resource, and the `jsonb` column of its main
    /// table whose object keys the definitions of that scope define.
    pub applies_to: &'static [(&'static str, &'static str, &'static str)],
}

/// How v2 (JSON:API) serves a resource.
#[derive(Debug, Clone, Copy)]
pub struct V2Binding {
    /// The collection path under `/api/v2/`, also the JSON:API `type` of its objects.
    pub path: &'static str,
    /// What `extra_fields[<path>]` asks for, when the default attributes omit some.
    pub extra_fields: Option<&'static str>,
    /// One small attribute for the sparse fieldset of an id sweep (`fields[<path>]`).
    pub sweep_field: &'static str,
    /// How records changed since a moment are found, for the catch-up pass.
    pub changes: Changes,
    /// Whether `/api/v2/<path>/{id}` shows one record (so a deletion can be confirmed by its
    /// 404, and a missing record fetched by id).
    pub show: bool,
    /// What `include=` asks for on every page and show request, when a record only names a
    /// related record through its `relationships` (an RSVP's person: `signup`).
    pub include: Option<&'static str>,
    /// Whether the collection is known to page (`page[size]`, `page[number]`, the id filter).
    pub paging: Paging,
    /// Set when the collection is one per record of another resource
    /// (`/api/v2/<owner path>/{id}/<segment>`: a list's members), read owner by owner.
    pub nested: Option<V2Nested>,
}

/// Whether a v2 collection pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// It does, as every documented collection.
    Paged,
    /// The spec declares no page parameters (`relationships`, `imports`): it may return the
    /// whole collection to every request. The client reads it page by page and, when a later
    /// page repeats the first one exactly, knows the first answer held everything.
    Unsure,
}

/// A v2 collection served per record of another resource: `/api/v2/<owner>/{id}/<segment>`,
/// paged like any collection. The exporter archives each member exactly as received, wrapped
/// with its owner: `{"<owner_field>": "<owner id>", "<member_field>": <member>}`, keyed
/// `"<owner id>:<member id>"` (a list's members: `{"list_id": "7", "signup": {…}}`).
#[derive(Debug, Clone, Copy)]
pub struct V2Nested {
    /// The owner resource (`lists`).
    pub of: &'static str,
    /// The segment after `/{id}/` (`signups`).
    pub segment: &'static str,
    /// The field naming the owner in the archived record (`list_id`).
    pub owner_field: &'static str,
    /// The field holding the member as received (`signup`).
    pub member_field: &'static str,
    /// The owner's attribute counting its members (`signups_count`), when it has one: the
    /// inventory sums it, and verify checks the loaded members against it (see
    /// [`ControlTotal`]).
    pub owner_count: Option<&'static str>,
}

/// A count an owner record keeps of its members at the source (a list's `signups_count`),
/// which `verify` compares, owner by owner, with the members loaded.
#[derive(Debug, Clone, Copy)]
pub struct ControlTotal {
    /// The owner resource (`lists`).
    pub owner: &'static str,
    /// The column of the owner's main table holding the source's count.
    pub count_column: &'static str,
    /// The column of this resource's main table naming the owner.
    pub owner_column: &'static str,
}

/// How the catch-up pass finds what changed since the main pass began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changes {
    /// `filter[updated_at][gte]` (v2) or a search route with `updated_since` (v1).
    UpdatedSince,
    /// The whole resource is read again (no usable timestamp; small or cheap enough).
    Reread,
    /// Records are only created or deleted, never changed: the id sweep sees both.
    Never,
}

/// How v1 serves a resource.
#[derive(Debug, Clone, Copy)]
pub enum V1Binding {
    /// Not at all.
    None,
    /// A nation-wide token-paginated listing.
    Listing(V1Listing),
    /// From the records of another resource's listing (`of`): the members of an array field
    /// of each record, each becoming `{<owner_field>: <record id>, <field>: <member>}`, keyed
    /// `"<record id>:<member>"` (taggings: a person's `tags`).
    Embedded(V1Embedded),
    /// A route per record of another resource (`of`, read through v1 however that one is):
    /// token-paginated, one request (or more) per owner record (memberships:
    /// `/people/:id/memberships`; RSVPs: `/sites/:site_slug/pages/events/:id/rsvps`).
    PerRecord(V1PerRecord),
    /// The objects of an array member of each record of another resource or of a listing
    /// that is no resource of its own (survey questions inside a survey; question responses
    /// inside `/survey_responses`), each archived wrapped with its owner.
    Within(V1Within),
}

/// A v1 nation-wide listing.
#[derive(Debug, Clone, Copy)]
pub struct V1Listing {
    /// The path under `/api/v1/`.
    pub path: &'static str,
    /// Whether a record is keyed by its `id`, or by its `name` when it has no `id` (tags).
    pub key: KeyRule,
    /// The route giving the listing's total (`people/count`) and its JSON member, when the
    /// listing envelope carries none.
    pub count: Option<(&'static str, &'static str)>,
    /// The show route `/api/v1/<path>/:id` and the member holding the record, when there is
    /// one.
    pub show: Option<&'static str>,
    /// Whether the listing's records are abbreviated and the show route gives the full record
    /// (people: `--full-people` replaces each by its full record).
    pub abbreviated: bool,
    /// For an abbreviated listing, a member only the full record carries (people: `email1`):
    /// an archived record without it was archived abbreviated, and `verify` compares it on its
    /// own keys only.
    pub full_marker: Option<&'static str>,
    /// How changed records are found: [`Changes::UpdatedSince`] uses `search`.
    pub changes: Changes,
    /// The search route taking `updated_since`, for [`Changes::UpdatedSince`].
    pub search: Option<&'static str>,
}

impl V1Listing {
    /// A listing keyed by `id`, with no count route, no show route and nothing abbreviated,
    /// re-read whole to find changes (the full exit's v1 listings: `/sites`, `/lists`…).
    pub const fn reread(path: &'static str) -> V1Listing {
        V1Listing {
            path,
            key: KeyRule::Id,
            count: None,
            show: None,
            abbreviated: false,
            full_marker: None,
            changes: Changes::Reread,
            search: None,
        }
    }

    /// The same listing with a show route `/api/v1/<path>/:id` answering `{<member>: …}`.
    pub const fn with_show(self, member: &'static str) -> V1Listing {
        V1Listing {
            show: Some(member),
            ..self
        }
    }
}

/// A v1 resource embedded in another's records.
#[derive(Debug, Clone, Copy)]
pub struct V1Embedded {
    /// The resource whose listing carries it.
    pub of: &'static str,
    /// The array member of each record.
    pub member: &'static str,
    /// The field holding the owner's id in the emitted record.
    pub owner_field: &'static str,
    /// The field each element becomes in the emitted record.
    pub field: &'static str,
    /// The per-record route listing them, `/<of path>/:id/<segment>` with `segment`'s member,
    /// for fetching one by key.
    pub show_segment: &'static str,
}

/// A v1 resource served per record of another resource.
#[derive(Debug, Clone, Copy)]
pub struct V1PerRecord {
    /// The resource whose records own these.
    pub of: &'static str,
    /// The route of one owner's records under `/api/v1/`, each `{field}` replaced by the text
    /// of that member of the owner's record as received (`{id}`: its id), as one path segment
    /// (`people/{id}/memberships`, `sites/{site_slug}/pages/events/{id}/rsvps`). An owner
    /// lacking a member the route needs cannot be asked: that is a defect of the owner record,
    /// reported when it is mapped, and it has no records here.
    pub route: &'static str,
    /// How a record is keyed.
    pub key: V1RecordKey,
    /// Whether each record is archived wrapped with its owner (records that do not name their
    /// owner: a list's people).
    pub wrap: Option<V1Wrap>,
    /// How changed records are found (only [`Changes::Reread`] or [`Changes::Never`]: no
    /// search route covers them).
    pub changes: Changes,
}

/// Where the records of a [`V1Within`] resource sit.
#[derive(Debug, Clone, Copy)]
pub enum V1Owner {
    /// In the records of another resource (as archived, wrapper included).
    Resource(&'static str),
    /// In the records of a listing that is no resource of its own (`/survey_responses`): the
    /// whole owner record is archived with each member.
    Listing(V1Listing),
}

/// A v1 resource whose records are objects inside other records.
#[derive(Debug, Clone, Copy)]
pub struct V1Within {
    /// Whose records hold them.
    pub of: V1Owner,
    /// The JSON pointer of the array in each owner record (`/questions`,
    /// `/question/choices`).
    pub member: &'static str,
    /// How each is archived with its owner: `{<owner_field>: <owner's key or record>,
    /// <member_field>: <the object as received>}`. For [`V1Owner::Listing`] the owner field
    /// holds the owner record as received; otherwise its key.
    pub wrap: V1Wrap,
    /// How one is keyed.
    pub key: V1RecordKey,
}

/// The wrapper of a v1 record archived with its owner.
#[derive(Debug, Clone, Copy)]
pub struct V1Wrap {
    /// A field holding the key the exporter gave the record, first in the wrapper, when the
    /// record's own fields cannot make it (a `#n` of [`V1RecordKey::Owned`]): the mapping
    /// reads its `source_id` there.
    pub key_field: Option<&'static str>,
    /// The field naming the owner (`list_id`).
    pub owner_field: &'static str,
    /// The field holding the record as received (`person`).
    pub member_field: &'static str,
}

/// How a v1 record without a listing of its own is keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V1RecordKey {
    /// The texts of these fields of the record joined by `:`, the first being the owner's id
    /// (memberships: `"<person_id>:<name>:<created_at>"`). A record lacking one has no usable
    /// key.
    Fields(&'static [&'static str]),
    /// `"<owner key>:"` and the texts of these fields of the record joined by `:`; a key met
    /// again among one owner's records gets `#2`, `#3`… in the order the API lists them
    /// (contacts, which have no id: two calls logged in the same second stay two).
    Owned(&'static [&'static str]),
}

/// How a record's key is found in a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    /// The `id` member.
    Id,
    /// The `id` member, or the `name` when the record has no `id` member at all (v1 tags).
    IdOrName,
}

/// A reference from a column of a resource's main table to another resource.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    /// The column holding the other record's `source_id`.
    pub column: &'static str,
    /// The resource referred to.
    pub resource: &'static str,
    /// The word the report's counts and codes use for this reference (`person`, `donor`…).
    pub role: &'static str,
    /// What a reference to a record that is not in the export means.
    pub dangling: Dangling,
}

/// What a reference to a record missing from the export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dangling {
    /// A defect of the export: the source keeps both or neither.
    Defect,
    /// Possibly a record deleted at source that the source keeps referring to: looked up
    /// there (a 404 explains it, a record still there is a defect).
    LookUp,
    /// Allowed: the source keeps references to records it no longer serves (a deleted
    /// membership type); reported as explained.
    Allowed,
}

/// How `verify` compares sampled records with the source.
#[derive(Debug, Clone, Copy)]
pub struct SampleRules {
    /// (v1 name, v2 attribute) pairs both APIs carry with one meaning, compared when the
    /// export and the check used different APIs. Empty: existence only.
    pub shared_fields: &'static [(&'static str, &'static str)],
    /// Read-only attributes the source recomputes from other records without bumping
    /// `updated_at` (an exact name, or a prefix ending in `*`).
    pub derived_counters: &'static [&'static str],
}

/// How a v2 record's v1 key is derived from a v2 export's archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V1Key {
    /// The same id.
    SameId,
    /// The record's `name` attribute (v1 tags are keyed by name).
    Name,
    /// `"<person>:<name of the referenced record>"`: v1 embedded records (taggings: the
    /// person's id and the tag's name, the tag read from the archive by `tag_id`).
    PersonAndName {
        /// The attribute holding the person's id.
        person: &'static str,
        /// The attribute holding the other record's id.
        other: &'static str,
        /// That record's resource (its `name` attribute is used).
        resource: &'static str,
    },
    /// No translation: the resource is not comparable across APIs record by record.
    None,
}

/// An identifier of a registry entry (its index): cheap to copy, ordered like [`RESOURCES`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource(u8);

impl Resource {
    /// Every resource, in registry order.
    pub fn all() -> impl Iterator<Item = Resource> + Clone {
        (0..RESOURCES.len()).map(|i| Resource(i as u8))
    }

    /// The resource called `name`.
    pub fn named(name: &str) -> Option<Resource> {
        RESOURCES
            .iter()
            .position(|d| d.name == name)
            .map(|i| Resource(i as u8))
    }

    /// How this resource's records can come in another's pages, when they can.
    pub fn carried(self) -> Option<(&'static Carried, Resource)> {
        let carried = CARRIED.iter().find(|c| c.resource == self.as_str())?;
        Some((carried, Resource::named(carried.by)?))
    }

    /// The resource whose records this one's pages can bring, when there is one.
    pub fn carries(self) -> Option<(&'static Carried, Resource)> {
        let carried = CARRIED.iter().find(|c| c.by == self.as_str())?;
        Some((carried, Resource::named(carried.resource)?))
    }

    /// Its descriptor.
    pub fn def(self) -> &'static ResourceDef {
        &RESOURCES[usize::from(self.0)]
    }

    /// Its name as used in flags, checkpoints and `raw.records.resource`.
    pub fn as_str(self) -> &'static str {
        self.def().name
    }

    /// Its main table.
    pub fn table(self) -> &'static str {
        self.def().table
    }

    /// The resource a name of the registry refers to (names in descriptors are checked by a
    /// unit test, so this cannot fail for them; an unknown name gives the first resource).
    pub(crate) fn of(name: &str) -> Resource {
        Resource::named(name).unwrap_or(Resource(0))
    }

    /// The resource whose records carry this one in v1 (`Embedded`, `PerRecord`, or `Within`
    /// another resource).
    pub fn v1_parent(self) -> Option<Resource> {
        match self.def().v1 {
            V1Binding::Embedded(e) => Some(Resource::of(e.of)),
            V1Binding::PerRecord(p) => Some(Resource::of(p.of)),
            V1Binding::Within(V1Within {
                of: V1Owner::Resource(of),
                ..
            }) => Some(Resource::of(of)),
            V1Binding::Within(_) | V1Binding::None | V1Binding::Listing(_) => None,
        }
    }

    /// The resources of [`Reference::resource`], with their references (every target is
    /// registered: a unit test checks it).
    pub fn references(self) -> impl Iterator<Item = (Reference, Resource)> {
        self.def()
            .references
            .iter()
            .filter_map(|r| Resource::named(r.resource).map(|t| (*r, t)))
    }

    /// Whether `api` (`"v1"`/`"v2"`) serves this resource.
    pub fn served_by(self, api: &str) -> bool {
        match api {
            "v1" => !matches!(self.def().v1, V1Binding::None),
            _ => self.def().v2.is_some(),
        }
    }

    /// Whether one record can be fetched by its key through `api`, so that its absence at the
    /// source can be confirmed record by record.
    pub fn has_show(self, api: &str) -> bool {
        match api {
            "v1" => match self.def().v1 {
                V1Binding::Listing(l) => l.show.is_some(),
                V1Binding::Embedded(_) => true,
                // The owner's route is found from the key alone when the key starts with the
                // owner's id and the route needs nothing else of the owner.
                V1Binding::PerRecord(p) => {
                    p.route.matches('{').count() == 1
                        && p.route.contains("{id}")
                        && Resource::of(p.of).v1_parent().is_none()
                }
                V1Binding::Within(_) | V1Binding::None => false,
            },
            _ => self.def().v2.is_some_and(|b| b.show),
        }
    }

    /// The names of every resource, `a, b or c`, for messages.
    pub fn names_text() -> String {
        let names: Vec<&str> = RESOURCES.iter().map(|d| d.name).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }
}

/// The names of every resource, in registry order.
pub fn names() -> impl Iterator<Item = &'static str> {
    RESOURCES.iter().map(|d| d.name)
}

/// The width of the longest resource name, for columns that line up (at least 10).
pub fn name_width() -> usize {
    names().map(str::len).max().unwrap_or(0).max(10)
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so `{resource:<10}` lines up columns.
        f.pad(self.as_str())
    }
}

impl FromStr for Resource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Resource::named(s.trim()).ok_or_else(|| {
            format!(
                "unknown resource {s:?}: expected {}",
                Resource::names_text()
            )
        })
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Resource::named(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown resource {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_references_resolve() {
        let mut seen = std::collections::BTreeSet::new();
        for def in RESOURCES {
            assert!(seen.insert(def.name), "{} twice", def.name);
        }
        for def in RESOURCES {
            for r in def.references {
                assert!(
                    Resource::named(r.resource).is_some(),
                    "{}: {}",
                    def.name,
                    r.resource
                );
            }
            match def.v1 {
                V1Binding::Embedded(e) => assert!(Resource::named(e.of).is_some()),
                V1Binding::PerRecord(p) => assert!(Resource::named(p.of).is_some()),
                V1Binding::Within(V1Within {
                    of: V1Owner::Resource(of),
                    ..
                }) => assert!(Resource::named(of).is_some()),
                _ => {}
            }
            if let V1Key::PersonAndName { resource, .. } = def.v1_key {
                assert!(Resource::named(resource).is_some());
            }
            for (_, resource, _) in def.defines.map_or(&[][..], |d| d.applies_to) {
                assert!(
                    Resource::named(resource).is_some(),
                    "{}: {resource}",
                    def.name
                );
            }
        }
        assert!(RESOURCES.len() < usize::from(u8::MAX));
    }

    #[test]
    fn every_declared_reference_is_checked() {
        for r in Resource::all() {
            assert_eq!(r.references().count(), r.def().references.len(), "{r}");
        }
        let donations = Resource::named("donations").unwrap();
        assert!(donations
            .references()
            .any(|(x, t)| x.column == "pledge_source_id" && t.as_str() == "pledges"));
    }

    #[test]
    fn names_round_trip() {
        for r in Resource::all() {
            assert_eq!(r.as_str().parse::<Resource>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Resource>(&json).unwrap(), r);
        }
        assert!("nope"
            .parse::<Resource>()
            .unwrap_err()
            .contains("people, tags"));
    }
}
