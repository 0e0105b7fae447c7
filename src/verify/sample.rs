//! The re-fetch sample: a seeded draw of archived records per resource, fetched again by id and
//! compared field by field with the archive.
//!
//! The draw is reproducible by anyone with the database and the seed: records are ordered by
//! `SHA-256(seed ‖ ':' ‖ source_id)` (computed by PostgreSQL) and the first *n* taken. With
//! *n* = 299 and no defect found, the defect rate is below 1 % with 95 % confidence
//! (ln 0.05 / ln 0.99 ≈ 298.1). Each difference is classed as changed at source (newer
//! `updated_at`, or only counters NationBuilder recomputes without touching `updated_at`),
//! deleted at source (404), or migration defect. Only field names are reported.
//!
//! **Like with like.** Each resource's result says how its records were obtained again
//! (`method`) and which fields were compared (`compared`):
//!
//! * same API as the export: every field of both records; except v1 people archived
//!   *abbreviated* (an export without `--full-people`), which v1 can only re-fetch as the full
//!   `/people/:id` record: those are compared on the abbreviated record's own keys;
//! * v1 tags and donations have no show route: the record the sweep's listing carried is the
//!   re-fetched copy (`from_listing`);
//! * a v2 export checked through v1 (different shapes): only the fields both APIs carry with the
//!   same meaning ([`SHARED_FIELDS`]), timestamps compared as instants, ids and numbers as text,
//!   and a field only when both records have it; taggings by existence of (person, tag name).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Row};

use chrono::{DateTime, SecondsFormat, Utc};

use super::findings::{finding, push_limited};
use super::ids::fetch_many;
use super::report::{Finding, FindingClass, SampleResult};
use super::translate::time_attr;
use super::translate::KeyMap;
use super::VerifyError;
use crate::fetch::Source;
use crate::resource::{Resource, V1Binding, V1Listing};

/// How the sampled records are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Export and sweep through the same API.
    Same,
    /// A v2 export, swept through v1: the fields both APIs share only (the descriptor's
    /// [`crate::resource::SampleRules::shared_fields`]).
    Shared,
}

/// How one resource's sample is re-fetched and compared.
pub(crate) struct Plan<'a> {
    /// Archived id → the sweeping API's key.
    pub keys: &'a KeyMap,
    /// The sweep's listing, for resources that cannot be fetched by id.
    pub listing: Option<&'a BTreeMap<String, Value>>,
    /// The comparison.
    pub scope: Scope,
}

/// The member only full records carry, when `api` gives `resource` an abbreviated listing
/// whose records are compared with the full record of its show route, on the abbreviated
/// record's keys (v1 people archived without `--full-people`).
fn abbreviated_in(resource: Resource, api: &str) -> Option<&'static str> {
    match resource.def().v1 {
        V1Binding::Listing(V1Listing {
            abbreviated: true,
            show: Some(_),
            full_marker: Some(marker),
            ..
        }) if api == "v1" => Some(marker),
        _ => None,
    }
}

/// The `compared` text of the report.
pub(crate) fn compared_text(resource: Resource, scope: Scope, api: &str) -> Option<String> {
    let shared = resource.def().sample.shared_fields;
    match scope {
        Scope::Same if abbreviated_in(resource, api).is_some() => Some(
            "every field; a record archived abbreviated (v1 export without --full-people) is compared on the abbreviated record's keys only, against the full record of its show route".into(),
        ),
        Scope::Same => None,
        Scope::Shared if shared.is_empty() => Some(
            "existence only: the archived v2 record, translated to its v1 key, is found through v1".into(),
        ),
        Scope::Shared => {
            let fields: Vec<String> = shared
                .iter()
                .map(|(v1, v2)| if v1 == v2 { (*v1).to_owned() } else { format!("{v1}={v2}") })
                .collect();
            Some(format!(
                "fields both APIs carry with the same meaning, where both records have them (v1 name=v2 attribute): {}; timestamps as instants, ids and numbers as text",
                fields.join(", ")
            ))
        }
    }
}

/// A field of a v1 (top-level) or v2 (`attributes`) record.
fn field<'a>(record: &'a Value, name: &str) -> Option<&'a Value> {
    match record.get("attributes") {
        Some(attrs) if attrs.is_object() => attrs.get(name),
        _ => record.get(name),
    }
}

/// A scalar in the form both APIs can be compared in.
fn normalized(value: &Value) -> Value {
    match value {
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Value::String(
                t.with_timezone(&Utc)
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
            Err(_) => Value::String(s.clone()),
        },
        Value::Number(n) => Value::String(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
            _ => n.to_string(),
        }),
        other => other.clone(),
    }
}

/// The shared fields of an archived v2 record and a fetched v1 record, each as a flat object
/// of the fields both have (named by their v1 name).
fn shared_views(resource: Resource, archived_v2: &Value, fetched_v1: &Value) -> (Value, Value) {
    let mut a = serde_json::Map::new();
    let mut b = serde_json::Map::new();
    for (v1, v2) in resource.def().sample.shared_fields {
        if let (Some(x), Some(y)) = (field(archived_v2, v2), field(fetched_v1, v1)) {
            a.insert((*v1).to_owned(), normalized(x));
            b.insert((*v1).to_owned(), normalized(y));
        }
    }
    (Value::Object(a), Value::Object(b))
}

/// A fetched full v1 record restricted to the keys of the archived one, when that was archived
/// abbreviated (it lacks `full_marker`, a member only full records carry); `None` for a full
/// or a v2 record, which are compared whole.
fn abbreviated_view(archived: &Value, fetched: &Value, full_marker: &str) -> Option<Value> {
    let (Some(a), Some(f)) = (archived.as_object(), fetched.as_object()) else {
        return None;
    };
    if a.contains_key("attributes") || a.contains_key(full_marker) {
        return None;
    }
    Some(Value::Object(
        f.iter()
            .filter(|(k, _)| a.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    ))
}

/// The rule, as written into the report.
pub const SELECTION: &str =
    "archived records not marked deleted at source, ordered by SHA-256(seed || ':' || source_id) in PostgreSQL, first n per resource";

/// Whether the field at `pointer` is one NationBuilder recomputes from other records without
/// bumping `updated_at` (the descriptor's [`crate::resource::SampleRules::derived_counters`]: an exact name, or
/// a prefix ending in `*`).
fn derived_counter(resource: Resource, pointer: &str) -> bool {
    let Some(attr) = pointer
        .strip_prefix("/attributes/")
        .or_else(|| pointer.strip_prefix('/'))
    else {
        return false;
    };
    resource
        .def()
        .sample
        .derived_counters
        .iter()
        .any(|rule| match rule.strip_suffix('*') {
            Some(prefix) => attr.starts_with(prefix),
            None => attr == *rule,
        })
}

/// Draws up to `n` archived records of `resource` with `seed`: (id, archived body).
pub(crate) async fn draw(
    conn: &mut PgConnection,
    nation: &str,
    resource: Resource,
    seed: &str,
    n: u64,
) -> Result<Vec<(String, Vec<u8>)>, VerifyError> {
    let rows = sqlx::query(
        "SELECT source_id, COALESCE(body_bytes, convert_to(body::text, 'UTF8')) AS body FROM raw.records
          WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL
          ORDER BY sha256(convert_to($3 || ':' || source_id, 'UTF8')), source_id
          LIMIT $4",
    )
    .bind(nation)
    .bind(resource.as_str())
    .bind(seed)
    .bind(i64::try_from(n).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await
    .map_err(|source| VerifyError::Database {
        context: "drawing the sample".into(),
        source,
    })?;
    rows.into_iter()
        .map(|row| Ok((row.try_get("source_id")?, row.try_get("body")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(|source| VerifyError::Database {
            context: "reading the sample".into(),
            source,
        })
}

/// Every leaf of `value` by JSON Pointer (empty objects and arrays count as leaves).
pub(crate) fn flatten(value: &Value) -> BTreeMap<String, Value> {
    fn walk(prefix: &mut String, value: &Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    let len = prefix.len();
                    prefix.push('/');
                    prefix.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    walk(prefix, v, out);
                    prefix.truncate(len);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    let len = prefix.len();
                    prefix.push('/');
                    prefix.push_str(&i.to_string());
                    walk(prefix, v, out);
                    prefix.truncate(len);
                }
            }
            other => {
                out.insert(prefix.clone(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&mut String::new(), value, &mut out);
    out
}

/// Pointers whose values differ between `a` and `b` (present in one only included). Numbers are
/// compared by value, so `1.0` equals `1`.
pub(crate) fn differing_fields(a: &Value, b: &Value) -> Vec<String> {
    let (fa, fb) = (flatten(a), flatten(b));
    let keys: BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
    keys.into_iter()
        .filter(|k| {
            let (x, y) = (fa.get(*k), fb.get(*k));
            match (x, y) {
                (Some(Value::Number(m)), Some(Value::Number(n))) => m.as_f64() != n.as_f64(),
                _ => x != y,
            }
        })
        .cloned()
        .collect()
}

/// How one sampled record compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// Identical.
    Matched,
    /// Different for a reason at source; the fields.
    ChangedAtSource(Vec<String>),
    /// 404 at source.
    DeletedAtSource,
    /// Different without a reason; the fields.
    Defect(Vec<String>),
}

/// For a nested resource (see [`crate::resource::V2Nested`]): the archived record and the
/// fetched one reduced to the owner and the member's id. `None` for other resources.
fn nested_view(
    resource: Resource,
    archived: &Value,
    fetched: Option<&Value>,
) -> Option<(Value, Option<Value>)> {
    let nested = resource.def().v2.and_then(|b| b.nested)?;
    let reduce = |record: &Value| {
        serde_json::json!({
            nested.owner_field: record.get(nested.owner_field),
            nested.member_field: record.pointer(&format!("/{}/id", nested.member_field)),
        })
    };
    Some((reduce(archived), fetched.map(reduce)))
}

/// Classifies one sampled record (pure).
pub(crate) fn compare(resource: Resource, archived: &Value, fetched: Option<&Value>) -> Comparison {
    let Some(fetched) = fetched else {
        return Comparison::DeletedAtSource;
    };
    let fields = differing_fields(archived, fetched);
    if fields.is_empty() {
        return Comparison::Matched;
    }
    let newer = match (
        time_attr(fetched, "updated_at"),
        time_attr(archived, "updated_at"),
    ) {
        (Some(now), Some(then)) => now > then,
        _ => false,
    };
    if newer || fields.iter().all(|f| derived_counter(resource, f)) {
        Comparison::ChangedAtSource(fields)
    } else {
        Comparison::Defect(fields)
    }
}

/// Re-fetches the drawn records and compares them with the archive.
pub(crate) async fn refetch<S: Source + 'static>(
    source: &Arc<S>,
    resource: Resource,
    drawn: &[(String, Vec<u8>)],
    plan: &Plan<'_>,
    findings: &mut Vec<Finding>,
) -> Result<SampleResult, VerifyError> {
    let ids: Vec<String> = drawn.iter().map(|(id, _)| id.clone()).collect();
    let keys: Vec<String> = ids
        .iter()
        .filter_map(|id| plan.keys.to_source(resource, id))
        .collect();
    let mut h = Sha256::new();
    for id in &ids {
        h.update(id.as_bytes());
        h.update(b"\n");
    }
    let mut result = SampleResult {
        drawn: drawn.len() as u64,
        matched: 0,
        changed_at_source: 0,
        deleted_at_source: 0,
        migration_defects: 0,
        ids_sha256: hex::encode(h.finalize()),
        method: Some(
            if plan.listing.is_some() {
                "from_listing: the record as the sweep's listing carried it (this API cannot fetch one by id)"
            } else {
                "refetched_by_id"
            }
            .into(),
        ),
        compared: compared_text(resource, plan.scope, source.api()),
    };
    let fetched = fetch_many(source, resource, &keys, plan.listing).await?;
    let mut listed = 0;
    for (id, body) in drawn {
        let archived_full: Value = crate::fetch::scan::read(body).value;
        let Some(key) = plan.keys.to_source(resource, id) else {
            result.migration_defects += 1;
            push_limited(
                findings,
                &mut listed,
                finding(
                    resource,
                    Some(id),
                    "sample",
                    FindingClass::Defect,
                    "untranslatable",
                    "sampled; the archived record cannot be translated into the sweeping API's key"
                        .into(),
                ),
            );
            continue;
        };
        let now = fetched.get(&key).and_then(Option::as_ref);
        // A nested member is its owner and the member's id: the member's own fields are
        // another resource's (a list member is a person), compared there.
        let (archived, now): (Value, Option<Value>) =
            match nested_view(resource, &archived_full, now) {
                Some(views) => views,
                None => (archived_full, now.cloned()),
            };
        let now = now.as_ref();
        let outcome = match (plan.scope, now) {
            (Scope::Shared, Some(now)) => {
                let (a, b) = shared_views(resource, &archived, now);
                compare(resource, &a, Some(&b))
            }
            (Scope::Same, Some(now)) => match abbreviated_in(resource, source.api())
                .and_then(|marker| abbreviated_view(&archived, now, marker))
            {
                Some(view) => compare(resource, &archived, Some(&view)),
                None => compare(resource, &archived, Some(now)),
            },
            _ => compare(resource, &archived, now),
        };
        let (class, code, detail) = match outcome {
            Comparison::Matched => {
                result.matched += 1;
                continue;
            }
            Comparison::DeletedAtSource => {
                result.deleted_at_source += 1;
                (
                    FindingClass::Explained,
                    "deleted_at_source",
                    if plan.listing.is_some() {
                        "sampled; absent from the API's complete listing (no 404 to confirm: this API cannot fetch one by id)"
                    } else {
                        "sampled; the API now answers 404"
                    }
                    .to_owned(),
                )
            }
            Comparison::ChangedAtSource(fields) => {
                result.changed_at_source += 1;
                (FindingClass::Explained, "changed_at_source",
                    format!("sampled; changed at source since the export (newer updated_at or recomputed counters) in: {}", fields.join(", ")))
            }
            Comparison::Defect(fields) => {
                result.migration_defects += 1;
                (FindingClass::Defect, "migration_defect",
                    format!("sampled; the archive differs from the source without a newer updated_at in: {}", fields.join(", ")))
            }
        };
        push_limited(
            findings,
            &mut listed,
            finding(resource, Some(id), "sample", class, code, detail),
        );
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compares_field_by_field_and_classifies() {
        let a = json!({"id":"1","attributes":{"first_name":"Ada","n":1,"updated_at":"2024-01-01T00:00:00+01:00","taggings_count":3,"x":{}}});
        let same = json!({"id":"1","attributes":{"x":{},"n":1.0,"first_name":"Ada","updated_at":"2024-01-01T00:00:00+01:00","taggings_count":3}});
        assert_eq!(
            compare(Resource::of("people"), &a, Some(&same)),
            Comparison::Matched
        );
        assert_eq!(
            compare(Resource::of("people"), &a, None),
            Comparison::DeletedAtSource
        );

        let mut edited = same.clone();
        edited["attributes"]["first_name"] = json!("Eve");
        assert_eq!(
            compare(Resource::of("people"), &a, Some(&edited)),
            Comparison::Defect(vec!["/attributes/first_name".into()])
        );
        // Same instant in another zone is not newer.
        edited["attributes"]["updated_at"] = json!("2023-12-31T23:00:00Z");
        assert!(matches!(
            compare(Resource::of("people"), &a, Some(&edited)),
            Comparison::Defect(_)
        ));
        edited["attributes"]["updated_at"] = json!("2024-01-02T00:00:00Z");
        assert!(matches!(
            compare(Resource::of("people"), &a, Some(&edited)),
            Comparison::ChangedAtSource(_)
        ));

        let mut counter = same.clone();
        counter["attributes"]["taggings_count"] = json!(2);
        assert!(matches!(
            compare(Resource::of("tags"), &a, Some(&counter)),
            Comparison::ChangedAtSource(_)
        ));
        assert!(matches!(
            compare(Resource::of("donations"), &a, Some(&counter)),
            Comparison::Defect(_)
        ));

        let mut added = same;
        added["attributes"]["new_field"] = json!(null);
        assert_eq!(
            differing_fields(&a, &added),
            vec!["/attributes/new_field".to_owned()]
        );
    }

    #[test]
    fn across_apis_only_shared_fields_count() {
        let v2 = json!({"id":"5","type":"donations","attributes":{"amount_in_cents":2500,"signup_id":"18",
            "created_at":"2024-01-01T10:00:00+01:00","updated_at":"2024-01-01T10:00:00+01:00","donation_tracking_code_id":"3"}});
        let v1 = json!({"id":5,"amount_in_cents":2500,"donor_id":18,"created_at":"2024-01-01T09:00:00Z",
            "updated_at":"2024-01-01T09:00:00Z","tracking_code_slug":"spring","donor":{"id":18}});
        let (a, b) = shared_views(Resource::of("donations"), &v2, &v1);
        assert_eq!(a.as_object().map(|o| o.len()), Some(4));
        assert_eq!(
            compare(Resource::of("donations"), &a, Some(&b)),
            Comparison::Matched
        );
        let mut edited = v1.clone();
        edited["amount_in_cents"] = json!(2600);
        let (a, b) = shared_views(Resource::of("donations"), &v2, &edited);
        assert_eq!(
            compare(Resource::of("donations"), &a, Some(&b)),
            Comparison::Defect(vec!["/amount_in_cents".into()])
        );
        edited["updated_at"] = json!("2024-02-01T00:00:00Z");
        let (a, b) = shared_views(Resource::of("donations"), &v2, &edited);
        assert!(matches!(
            compare(Resource::of("donations"), &a, Some(&b)),
            Comparison::ChangedAtSource(_)
        ));
    }

    #[test]
    fn abbreviated_v1_people_compare_on_their_own_keys() {
        let archived = json!({"id":1,"first_name":"Ada","tags":["a"]});
        let full = json!({"id":1,"first_name":"Ada","tags":["a"],"email1":"x","full_name":"Ada L"});
        let view = abbreviated_view(&archived, &full, "email1").expect("abbreviated");
        assert_eq!(
            compare(Resource::of("people"), &archived, Some(&view)),
            Comparison::Matched
        );
        assert!(
            abbreviated_view(&full, &full, "email1").is_none(),
            "a full archive compares everything"
        );
    }

    #[test]
    fn flatten_escapes_pointer_tokens() {
        let v = json!({"a/b": {"c~d": [1, {}]}});
        let flat = flatten(&v);
        assert!(flat.contains_key("/a~1b/c~0d/0"));
        assert!(flat.contains_key("/a~1b/c~0d/1"));
    }
}
