//! Key translation between the API an export was made through and the API the auditor
//! enumerates with. People and donations have the same numeric ids in v1 and v2. Tags and
//! taggings do not: v1 keys a tag by its name and a tagging by `"<person id>:<tag name>"`, v2 by
//! NationBuilder's numeric ids. For a v2 export swept through v1, every archived v2 id is turned
//! into its v1 key **from the raw archive itself** (a tag's `attributes.name`; a tagging's
//! `attributes.signup_id` and the name of the archived tag its `attributes.tag_id` names), so
//! the count equation still counts archived records, and a row deleted from `core` is caught by
//! the archive equation rather than blurring the sweep. An archived id that cannot be
//! translated (no such archived tag, no person id) is a defect of its own, never dropped.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use sqlx::{PgConnection, Row};

use super::VerifyError;
use crate::fetch::v1::tagging_id;
use crate::fetch::Stream;

/// The translation written into the report for a v2 export swept through v1.
pub const V2_TO_V1: &str = "v2 export, v1 sweep: people and donation ids unchanged; a v2 tag id becomes the tag's name (attributes.name of the archived tag); a v2 tagging id becomes \"<attributes.signup_id>:<name of the archived tag attributes.tag_id>\"; all from raw.records of the export";

/// Archived id → the sweeping API's key, per entity. Entities without an entry keep their ids.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyMap {
    to_source: BTreeMap<Stream, BTreeMap<String, String>>,
    to_archive: BTreeMap<Stream, BTreeMap<String, String>>,
}

impl KeyMap {
    /// Ids are the same on both sides.
    pub(crate) fn identity() -> Self {
        Self::default()
    }

    /// True when no entity needs translating.
    pub(crate) fn is_identity(&self) -> bool {
        self.to_source.is_empty()
    }

    /// The v1 keys of a v2 export's tags and taggings, read from the raw archive.
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
        let tags = sqlx::query(
            "SELECT source_id, body->'attributes'->>'name' AS name FROM raw.records
              WHERE nation = $1 AND resource = 'tags'",
        )
        .bind(nation)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("reading archived tag names"))?;
        let mut map = Self::default();
        for row in tags {
            let id: String = row
                .try_get("source_id")
                .map_err(db_err("reading archived tag names"))?;
            let name: Option<String> = row
                .try_get("name")
                .map_err(db_err("reading archived tag names"))?;
            if let Some(name) = name.filter(|n| !n.is_empty()) {
                map.insert(Stream::Tags, id, name);
            }
        }
        let taggings = sqlx::query(
            "SELECT t.source_id, t.body->'attributes'->>'signup_id' AS person,
                    g.body->'attributes'->>'name' AS tag
               FROM raw.records t
               LEFT JOIN raw.records g
                 ON g.nation = t.nation AND g.resource = 'tags'
                AND g.source_id = t.body->'attributes'->>'tag_id'
              WHERE t.nation = $1 AND t.resource = 'taggings'",
        )
        .bind(nation)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("reading archived taggings"))?;
        for row in taggings {
            let id: String = row
                .try_get("source_id")
                .map_err(db_err("reading archived taggings"))?;
            let person: Option<String> = row
                .try_get("person")
                .map_err(db_err("reading archived taggings"))?;
            let tag: Option<String> = row
                .try_get("tag")
                .map_err(db_err("reading archived taggings"))?;
            if let (Some(person), Some(tag)) = (person, tag) {
                if !person.is_empty() && !tag.is_empty() {
                    map.insert(Stream::Taggings, id, tagging_id(person.trim(), &tag));
                }
            }
        }
        // Entities with nothing archived still translate (to nothing), not as identity.
        for stream in [Stream::Tags, Stream::Taggings] {
            map.to_source.entry(stream).or_default();
            map.to_archive.entry(stream).or_default();
        }
        Ok(map)
    }

    fn insert(&mut self, stream: Stream, archived: String, key: String) {
        self.to_archive
            .entry(stream)
            .or_default()
            .insert(key.clone(), archived.clone());
        self.to_source
            .entry(stream)
            .or_default()
            .insert(archived, key);
    }

    /// The sweeping API's key for an archived id; `None` when it cannot be translated.
    pub(crate) fn to_source(&self, stream: Stream, archived: &str) -> Option<String> {
        match self.to_source.get(&stream) {
            None => Some(archived.to_owned()),
            Some(map) => map.get(archived).cloned(),
        }
    }

    /// The archived id of a key of the sweeping API, when one translates to it.
    pub(crate) fn to_archive(&self, stream: Stream, key: &str) -> Option<String> {
        match self.to_archive.get(&stream) {
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

    #[test]
    fn identity_and_translated_entities() {
        let id = KeyMap::identity();
        assert!(id.is_identity());
        assert_eq!(id.to_source(Stream::Tags, "3").as_deref(), Some("3"));
        let mut m = KeyMap::default();
        m.insert(Stream::Taggings, "901".into(), "18:a:b".into());
        assert!(!m.is_identity());
        assert_eq!(
            m.to_source(Stream::Taggings, "901").as_deref(),
            Some("18:a:b")
        );
        assert_eq!(m.to_source(Stream::Taggings, "902"), None);
        assert_eq!(
            m.to_archive(Stream::Taggings, "18:a:b").as_deref(),
            Some("901")
        );
        assert_eq!(m.to_source(Stream::People, "7").as_deref(), Some("7"));
    }
}
