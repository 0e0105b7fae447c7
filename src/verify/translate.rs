//! Key translation between the API an export was made through and the API the auditor
//! enumerates with, as each resource's descriptor says ([`V1Key`]). Most resources have the
//! same numeric ids in v1 and v2. Some do not: v1 keys a tag by its name and a tagging by
//! `"<person id>:<tag name>"`, v2 by NationBuilder's numeric ids. For a v2 export swept through
//! v1, every archived v2 id is turned into its v1 key **from the raw archive itself** (a tag's
//! `attributes.name`; a tagging's `attributes.signup_id` and the name of the archived tag its
//! `attributes.tag_id` names), so the count equation still counts archived records, and a row
//! deleted from `core` is caught by the archive equation rather than blurring the sweep. An
//! archived id that cannot be translated (no such archived tag, no person id) is a defect of
//! its own, never dropped. A resource whose records cannot be matched across the two APIs at
//! all ([`V1Key::None`]) is not swept through the other API (see `verify`).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use sqlx::{PgConnection, Row};

use super::VerifyError;
use crate::fetch::v1::embedded_key;
use crate::resource::{Resource, V1Key};

/// The translation written into the report for a v2 export swept through v1, resource by
/// resource from the descriptors.
pub fn v2_to_v1_text() -> String {
    let mut parts = Vec::new();
    for resource in Resource::all().filter(|r| r.served_by("v1") && r.served_by("v2")) {
        parts.push(match resource.def().v1_key {
            V1Key::SameId => format!("{resource}: ids unchanged"),
            V1Key::Name => format!(
                "{resource}: a v2 id becomes the record's name (attributes.name of the archived record)"
            ),
            V1Key::PersonAndName {
                person,
                other,
                resource: named,
            } => format!(
                "{resource}: a v2 id becomes \"<attributes.{person}>:<name of the archived {named} record attributes.{other}>\""
            ),
            V1Key::None => format!("{resource}: not comparable record by record, not swept"),
        });
    }
    format!(
        "v2 export, v1 sweep: {}; all from raw.records of the export",
        parts.join("; ")
    )
}

/// Archived id → the sweeping API's key, per resource. Resources without an entry keep their ids.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyMap {
    to_source: BTreeMap<Resource, BTreeMap<String, String>>,
    to_archive: BTreeMap<Resource, BTreeMap<String, String>>,
}

impl KeyMap {
    /// Ids are the same on both sides.
    pub(crate) fn identity() -> Self {
        Self::default()
    }

    /// True when no resource needs translating.
    pub(crate) fn is_identity(&self) -> bool {
        self.to_source.is_empty()
    }

    /// The v1 keys of a v2 export's records, for every resource whose v1 key differs from
    /// its v2 id, read from the raw archive.
    pub(crate) async fn v2_to_v1(
        conn: &mut PgConnection,
        nation: &str,
    ) -> Result<Self, VerifyError> {
        let db_err = |context: &'static str| {
            move |source| VerifyError::Database {
                context: context.to_owned(),
                source,
            }
        };
        let mut map = Self::default();
        for resource in Resource::all() {
            let rows = match resource.def().v1_key {
                V1Key::SameId | V1Key::None => continue,
                V1Key::Name => sqlx::query(
                    "SELECT source_id, body->'attributes'->>'name' AS part, NULL::text AS other
                       FROM raw.records WHERE nation = $1 AND resource = $2",
                )
                .bind(nation)
                .bind(resource.as_str())
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err("reading archived names"))?,
                V1Key::PersonAndName {
                    person,
                    other,
                    resource: named,
                } => sqlx::query(
                    "SELECT t.source_id, t.body->'attributes'->>$3 AS part,
                            g.body->'attributes'->>'name' AS other
                       FROM raw.records t
                       LEFT JOIN raw.records g
                         ON g.nation = t.nation AND g.resource = $4
                        AND g.source_id = t.body->'attributes'->>$5
                      WHERE t.nation = $1 AND t.resource = $2",
                )
                .bind(nation)
                .bind(resource.as_str())
                .bind(person)
                .bind(named)
                .bind(other)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err("reading archived references"))?,
            };
            // A resource with nothing archived still translates (to nothing), not as identity.
            map.to_source.entry(resource).or_default();
            map.to_archive.entry(resource).or_default();
            let two_parts = matches!(resource.def().v1_key, V1Key::PersonAndName { .. });
            for row in rows {
                let read = |col: &str| -> Result<Option<String>, VerifyError> {
                    row.try_get(col).map_err(db_err("reading the archive"))
                };
                let id: Option<String> = read("source_id")?;
                let part = read("part")?.filter(|p| !p.trim().is_empty());
                let other = read("other")?.filter(|o| !o.is_empty());
                let key = match (part, other, two_parts) {
                    (Some(name), _, false) => Some(name),
                    (Some(owner), Some(name), true) => Some(embedded_key(owner.trim(), &name)),
                    _ => None,
                };
                if let (Some(id), Some(key)) = (id, key) {
                    map.insert(resource, id, key);
                }
            }
        }
        Ok(map)
    }

    fn insert(&mut self, resource: Resource, archived: String, key: String) {
        self.to_archive
            .entry(resource)
            .or_default()
            .insert(key.clone(), archived.clone());
        self.to_source
            .entry(resource)
            .or_default()
            .insert(archived, key);
    }

    /// The sweeping API's key for an archived id; `None` when it cannot be translated.
    pub(crate) fn to_source(&self, resource: Resource, archived: &str) -> Option<String> {
        match self.to_source.get(&resource) {
            None => Some(archived.to_owned()),
            Some(map) => map.get(archived).cloned(),
        }
    }

    /// The archived id of a key of the sweeping API, when one translates to it.
    pub(crate) fn to_archive(&self, resource: Resource, key: &str) -> Option<String> {
        match self.to_archive.get(&resource) {
            None => Some(key.to_owned()),
            Some(map) => map.get(key).cloned(),
        }
    }
}

/// `attributes.<name>` (v2) or the top-level `<name>` (v1) of a record as a timestamp.
pub(crate) fn time_attr(record: &Value, name: &str) -> Option<DateTime<FixedOffset>> {
    record
        .pointer(&format!("/attributes/{name}"))
        .or_else(|| record.get(name))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Resource {
        Resource::named(name).unwrap()
    }
    fn tags() -> Resource {
        named("tags")
    }
    fn taggings() -> Resource {
        named("taggings")
    }
    fn people() -> Resource {
        named("people")
    }

    #[test]
    fn identity_and_translated_resources() {
        let id = KeyMap::identity();
        assert!(id.is_identity());
        assert_eq!(id.to_source(tags(), "3").as_deref(), Some("3"));
        let mut m = KeyMap::default();
        m.insert(taggings(), "901".into(), "18:a:b".into());
        assert!(!m.is_identity());
        assert_eq!(m.to_source(taggings(), "901").as_deref(), Some("18:a:b"));
        assert_eq!(m.to_source(taggings(), "902"), None);
        assert_eq!(m.to_archive(taggings(), "18:a:b").as_deref(), Some("901"));
        assert_eq!(m.to_source(people(), "7").as_deref(), Some("7"));
    }
}
