//! Definitions against use: for a resource whose records define the keys of other resources'
//! `jsonb` columns (custom-field definitions: their `slug`s are the keys of people's and
//! donations' `custom_fields`, by `resource_type`), which keys the loaded data uses without a
//! definition, and which definitions no loaded record uses. Neither is a defect of the export
//! (NationBuilder holds both: a field deleted with its values kept elsewhere, a field defined
//! and never filled); both are what an auditor or a new owner of the data needs to interpret
//! the `jsonb` columns, so they are counted and listed as explained findings. Key names are
//! configuration, never record values.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::PgConnection;

use super::findings::{finding, push_limited};
use super::report::{Finding, FindingClass};
use super::{db_err, VerifyError};
use crate::load::quote_ident;
use crate::resource::Resource;

/// Counts (`keys_without_definition`, `definitions_unused`) and lists the keys used without a
/// definition and the definitions never used, for `resource` when its records are definitions;
/// nothing otherwise.
pub(crate) async fn check(
    conn: &mut PgConnection,
    nation: &str,
    resource: Resource,
    findings: &mut Vec<Finding>,
) -> Result<BTreeMap<String, u64>, VerifyError> {
    let mut counts = BTreeMap::new();
    let Some(defines) = resource.def().defines else {
        return Ok(counts);
    };
    // Definitions that were not exported (an export through v1, which has none, or one
    // narrowed by --resources) say nothing about the keys in use.
    let exported = super::counts::exported(conn, nation, resource).await?;
    if !exported {
        findings.push(finding(
            resource,
            None,
            "definitions",
            FindingClass::Explained,
            "definitions_not_exported",
            format!(
                "{resource} was not exported, so the keys its records define are not checked against their use"
            ),
        ));
        return Ok(counts);
    }
    let ident = |name: &str| {
        quote_ident(name).map_err(|e| VerifyError::Report(format!("definitions: {e}")))
    };
    let table = ident(resource.table())?;
    let key = ident(defines.key_column)?;
    let scope_col = ident(defines.scope_column)?;
    let (mut undefined, mut unused) = (0u64, 0u64);
    let (mut listed, mut listed_unused) = (0, 0);
    for (scope, used_by, column) in defines.applies_to {
        let Some(user) = Resource::named(used_by) else {
            continue;
        };
        let defined: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT source_id, {key} FROM {table}
              WHERE nation = $1 AND {scope_col} = $2 AND {key} IS NOT NULL
              ORDER BY {key}, source_id"
        ))
        .bind(nation)
        .bind(scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("reading definitions"))?;
        let used: BTreeSet<String> = sqlx::query_scalar(&format!(
            "SELECT DISTINCT k FROM {} AS t, jsonb_object_keys(t.{}) AS k
              WHERE t.nation = $1 AND jsonb_typeof(t.{}) = 'object'",
            ident(user.table())?,
            ident(column)?,
            ident(column)?,
        ))
        .bind(nation)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("reading the keys in use"))?
        .into_iter()
        .collect();
        let defined_keys: BTreeSet<&str> = defined.iter().map(|(_, k)| k.as_str()).collect();
        for k in used.iter().filter(|k| !defined_keys.contains(k.as_str())) {
            undefined += 1;
            push_limited(
                findings,
                &mut listed,
                finding(
                    resource,
                    None,
                    "definitions",
                    FindingClass::Explained,
                    "key_without_definition",
                    format!(
                        "{}.{column} uses the key {k:?}, which no {resource} record defines for {scope}",
                        user.table()
                    ),
                ),
            );
        }
        for (id, k) in defined.iter().filter(|(_, k)| !used.contains(k)) {
            unused += 1;
            push_limited(
                findings,
                &mut listed_unused,
                finding(
                    resource,
                    Some(id),
                    "definitions",
                    FindingClass::Explained,
                    "definition_unused",
                    format!(
                        "defines the key {k:?} of {}.{column}, which no loaded record uses",
                        user.table()
                    ),
                ),
            );
        }
    }
    counts.insert("keys_without_definition".to_owned(), undefined);
    counts.insert("definitions_unused".to_owned(), unused);
    Ok(counts)
}
