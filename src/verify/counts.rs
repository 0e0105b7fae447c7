//! The archive side of the count equation and the referential checks, as SQL over the loaded
//! tables: `archived = loaded + rejected + excluded (+ unaccounted)`, core rows with no archived
//! record, and every reference a resource's descriptor declares (a tagging's person and tag, a
//! donation's donor…) that names no loaded record — separating what NationBuilder itself allows
//! (no donor; a donor deleted at source, whose donations NationBuilder keeps) from defects (a
//! donor that was archived but not loaded).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgConnection, Row};

use super::findings::{finding, push_limited};
use super::report::{ArchiveCounts, Finding, FindingClass};
use super::{db_err, VerifyError};
use crate::resource::{Dangling, Reference, Resource};

/// Computes the archive equation's terms. `no_main_row` comes from the re-derivation: ids the
/// current mapping gives no row in the main table, and whether the mapping rejected them.
/// `marked_deleted` records (deleted at source, found by the export's reconciliation) are a
/// term of their own: their rows were removed on purpose.
pub(crate) async fn archive_counts(
    conn: &mut PgConnection,
    nation: &str,
    resource: Resource,
    archived: u64,
    marked_deleted: u64,
    no_main_row: &[(String, bool)],
    findings: &mut Vec<Finding>,
) -> Result<ArchiveCounts, VerifyError> {
    let main = resource.table();
    let loaded: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {main} AS m WHERE m.nation = $1 AND EXISTS (
             SELECT 1 FROM raw.records AS r
              WHERE r.nation = m.nation AND r.resource = $2 AND r.source_id = m.source_id
                AND r.deleted_at_source IS NULL)"
    ))
    .bind(nation)
    .bind(resource.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err("counting loaded rows"))?;

    let without_archive: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT m.source_id FROM {main} AS m WHERE m.nation = $1 AND NOT EXISTS (
             SELECT 1 FROM raw.records AS r
              WHERE r.nation = m.nation AND r.resource = $2 AND r.source_id = m.source_id)
          ORDER BY length(m.source_id), m.source_id"
    ))
    .bind(nation)
    .bind(resource.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("finding rows without an archived record"))?;
    let mut listed = 0;
    for id in &without_archive {
        push_limited(
            findings,
            &mut listed,
            finding(
                resource,
                Some(id),
                "counts",
                FindingClass::Defect,
                "loaded_without_archive",
                format!("{main} has a row for a record that raw.records does not hold"),
            ),
        );
    }

    let not_loaded = sqlx::query(&format!(
        "SELECT r.source_id, EXISTS (
                 SELECT 1 FROM sync.rejects AS j
                  WHERE j.nation = r.nation AND j.resource = r.resource AND j.source_id = r.source_id
             ) AS has_reject
           FROM raw.records AS r
          WHERE r.nation = $1 AND r.resource = $2 AND r.deleted_at_source IS NULL AND NOT EXISTS (
                 SELECT 1 FROM {main} AS m WHERE m.nation = r.nation AND m.source_id = r.source_id)
          ORDER BY length(r.source_id), r.source_id"
    ))
    .bind(nation)
    .bind(resource.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("finding archived records that are not loaded"))?;
    let excluded_by_mapping: BTreeSet<&str> = no_main_row
        .iter()
        .filter(|(_, rejected)| !rejected)
        .map(|(id, _)| id.as_str())
        .collect();
    let (mut rejected, mut excluded, mut unaccounted) = (0u64, 0u64, 0u64);
    let mut listed = 0;
    for row in not_loaded {
        let id: String = row.try_get("source_id").map_err(db_err("reading ids"))?;
        let has_reject: bool = row.try_get("has_reject").map_err(db_err("reading ids"))?;
        if has_reject {
            rejected += 1;
        } else if excluded_by_mapping.contains(id.as_str()) {
            excluded += 1;
        } else {
            unaccounted += 1;
            push_limited(
                findings,
                &mut listed,
                finding(resource, Some(&id), "counts", FindingClass::Defect, "archived_not_loaded",
                    format!("archived in raw.records but neither in {main} nor in sync.rejects, and the mapping would load it")),
            );
        }
    }
    explain_rejects(conn, nation, resource, findings).await?;
    Ok(ArchiveCounts {
        archived,
        loaded: loaded.max(0) as u64,
        rejected,
        excluded,
        deleted_at_source: marked_deleted,
        unaccounted,
        loaded_without_archive: without_archive.len() as u64,
    })
}

/// Explains the resource's `sync.rejects` rows: one explained finding per field and reason (the
/// numbers in a reason — byte counts, offsets — set aside, so alike reasons count together),
/// saying how many records it concerns, whether they were archived (under an id, or kept in
/// `sync.rejects` without one) and why. Field names and reasons never quote values.
pub(crate) async fn explain_rejects(
    conn: &mut PgConnection,
    nation: &str,
    resource: Resource,
    findings: &mut Vec<Finding>,
) -> Result<(), VerifyError> {
    let rows = sqlx::query(
        "SELECT coalesce(field, '(record)') AS field,
                regexp_replace(reason, '[0-9]+', 'N', 'g') AS reason,
                count(*) FILTER (WHERE source_id IS NOT NULL) AS with_id,
                count(*) FILTER (WHERE source_id IS NULL) AS without_id
           FROM sync.rejects
          WHERE nation = $1 AND resource = $2
          GROUP BY 1, 2
          ORDER BY 3 DESC, 4 DESC, 1, 2",
    )
    .bind(nation)
    .bind(resource.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("explaining sync.rejects"))?;
    let mut listed = 0;
    for row in rows {
        let field: String = row
            .try_get("field")
            .map_err(db_err("reading sync.rejects"))?;
        let reason: String = row
            .try_get("reason")
            .map_err(db_err("reading sync.rejects"))?;
        let with_id: i64 = row
            .try_get("with_id")
            .map_err(db_err("reading sync.rejects"))?;
        let without_id: i64 = row
            .try_get("without_id")
            .map_err(db_err("reading sync.rejects"))?;
        let message = if without_id > 0 {
            format!(
                "{without_id} record(s) without a usable id kept in sync.rejects (not archived under an id), field {field}: {reason}"
            )
        } else {
            format!("{with_id} reject(s) of archived records, field {field}: {reason}")
        };
        push_limited(
            findings,
            &mut listed,
            finding(
                resource,
                None,
                "rejects",
                FindingClass::Explained,
                "rejected",
                message,
            ),
        );
    }
    Ok(())
}

/// Whether the export holds `resource` (it has a checkpoint for it).
pub(crate) async fn exported(
    conn: &mut PgConnection,
    nation: &str,
    resource: Resource,
) -> Result<bool, VerifyError> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sync.checkpoints WHERE nation = $1 AND stream = $2)",
    )
    .bind(nation)
    .bind(resource.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err("reading sync.checkpoints"))
}

/// A reference to a record that is neither loaded nor archived, where the descriptor says to
/// look it up at the source ([`Dangling::LookUp`]).
#[derive(Debug, Clone)]
pub(crate) struct Unresolved {
    /// The reference (its role names the counts and codes).
    pub reference: Reference,
    /// The resource referred to.
    pub target: Resource,
    /// The id of the record holding the reference.
    pub record: String,
    /// The id it refers to.
    pub referenced: String,
}

/// Runs the referential checks of `resource`, one per reference of its descriptor: a
/// reference to a record that is not in the referred resource's main table is explained by a
/// reject of that record, or by its deletion at source during the export; a referred record
/// archived but not loaded is a defect; one never archived is a defect, an allowed orphan, or
/// looked up at the source, as the descriptor says ([`Dangling`]). Returns the counts and the
/// references to look up.
pub(crate) async fn referential(
    conn: &mut PgConnection,
    nation: &str,
    resource: Resource,
    findings: &mut Vec<Finding>,
) -> Result<(BTreeMap<String, u64>, Vec<Unresolved>), VerifyError> {
    let mut counts = BTreeMap::new();
    let mut unresolved = Vec::new();
    let table = resource.table();
    for (reference, target) in resource.references() {
        let role = reference.role;
        let column = reference.column;
        let other = target.table();
        let none: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE nation = $1 AND {column} IS NULL"
        ))
        .bind(nation)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err("counting references without a value"))?;
        if none > 0 || reference.dangling == Dangling::LookUp {
            counts.insert(format!("{role}_none"), none.max(0) as u64);
        }
        // A resource the export did not hold (its API has no route for it, or --resources left
        // it out) cannot be referred to: those references are counted, not checked.
        if !exported(conn, nation, target).await? {
            let with_value: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM {table} WHERE nation = $1 AND {column} IS NOT NULL"
            ))
            .bind(nation)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err("counting references"))?;
            if with_value > 0 {
                counts.insert(format!("{role}_not_checked"), with_value as u64);
                findings.push(finding(
                    resource,
                    None,
                    "referential",
                    FindingClass::Explained,
                    &format!("{role}_not_checked"),
                    format!(
                        "{with_value} row(s) of {table} name a {target} record, but {target} was not exported: those references were not checked"
                    ),
                ));
            }
            continue;
        }
        // For each reference that names no row of the other table: whether the record it
        // names was archived (NULL: never; true: and marked deleted at source by the export's
        // reconciliation; false: archived and present), whether it was rejected, and whether
        // records of the other resource were rejected for want of a usable id.
        let rows = sqlx::query(&format!(
            "SELECT t.source_id, t.{column} AS referenced,
                    (SELECT r.deleted_at_source IS NOT NULL FROM raw.records AS r
                      WHERE r.nation = t.nation AND r.resource = $2
                        AND r.source_id = t.{column}) AS marked,
                    EXISTS (SELECT 1 FROM sync.rejects AS j
                             WHERE j.nation = t.nation AND j.resource = $2
                               AND j.source_id = t.{column}) AS rejected,
                    EXISTS (SELECT 1 FROM sync.rejects AS j
                             WHERE j.nation = t.nation AND j.resource = $2
                               AND j.source_id IS NULL) AS idless
               FROM {table} AS t
              WHERE t.nation = $1 AND t.{column} IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM {other} AS o
                     WHERE o.nation = t.nation AND o.source_id = t.{column})
              ORDER BY length(t.source_id), t.source_id"
        ))
        .bind(nation)
        .bind(target.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("checking references"))?;
        let mut tally: BTreeMap<&'static str, u64> = BTreeMap::new();
        let (mut listed, mut listed_explained) = (0, 0);
        for row in rows {
            let read = |e| db_err("reading references")(e);
            let id: String = row.try_get("source_id").map_err(read)?;
            let referenced: String = row.try_get("referenced").map_err(read)?;
            let marked: Option<bool> = row.try_get("marked").map_err(read)?;
            let rejected: bool = row.try_get("rejected").map_err(read)?;
            let idless: bool = row.try_get("idless").map_err(read)?;
            let (term, class, detail) = match marked {
                Some(true) => (
                    "marked_deleted_at_source",
                    FindingClass::Explained,
                    format!("{table}.{column} names {target} {referenced}, deleted at source during the export (raw.records.deleted_at_source)"),
                ),
                Some(false) if rejected => (
                    "rejected",
                    FindingClass::Explained,
                    format!("{table}.{column} names {target} {referenced}, which was archived and rejected (see sync.rejects)"),
                ),
                Some(false) => (
                    "archived_not_loaded",
                    FindingClass::Defect,
                    format!("{table}.{column} names {target} {referenced}, archived in raw.records but without a row in {other}"),
                ),
                None if idless => (
                    "rejected",
                    FindingClass::Explained,
                    format!("{table}.{column} names no row of {other}; records of {target} without a usable id were rejected (see sync.rejects), it may be one of them"),
                ),
                None => match reference.dangling {
                    Dangling::Defect => (
                        "unknown",
                        FindingClass::Defect,
                        format!("{table}.{column} names no row of {other}"),
                    ),
                    Dangling::Allowed => (
                        "not_exported",
                        FindingClass::Explained,
                        format!("{table}.{column} names {target} {referenced}, which the source no longer serves (NationBuilder keeps such references)"),
                    ),
                    Dangling::LookUp => {
                        *tally.entry("not_exported").or_insert(0) += 1;
                        unresolved.push(Unresolved {
                            reference,
                            target,
                            record: id,
                            referenced,
                        });
                        continue;
                    }
                },
            };
            *tally.entry(term).or_insert(0) += 1;
            let listed = match class {
                FindingClass::Defect => &mut listed,
                _ => &mut listed_explained,
            };
            push_limited(
                findings,
                listed,
                finding(
                    resource,
                    Some(&id),
                    "referential",
                    class,
                    &format!("{role}_{term}"),
                    detail,
                ),
            );
        }
        // The terms a reference of this kind can come to are always reported (0 included),
        // so reports of two exports compare term by term.
        let terms: &[&str] = match reference.dangling {
            Dangling::Defect => &["unknown"],
            Dangling::Allowed => &["not_exported"],
            Dangling::LookUp => &[
                "not_exported",
                "archived_not_loaded",
                "marked_deleted_at_source",
            ],
        };
        for term in terms {
            tally.entry(term).or_insert(0);
        }
        for (term, n) in tally {
            if n > 0 || terms.contains(&term) {
                counts.insert(format!("{role}_{term}"), n);
            }
        }
    }
    Ok((counts, unresolved))
}

/// Checks the counts owners keep of `resource`'s records at the source (a list's
/// `signups_count`, see [`crate::resource::ControlTotal`]) against the records loaded, owner
/// by owner: a difference is a defect. Counted as `control_totals_checked` and
/// `control_totals_differing`; nothing when the resource has no control total.
pub(crate) async fn control_totals(
    conn: &mut PgConnection,
    nation: &str,
    resource: Resource,
    findings: &mut Vec<Finding>,
) -> Result<BTreeMap<String, u64>, VerifyError> {
    let mut counts = BTreeMap::new();
    let Some(control) = resource.def().control_total else {
        return Ok(counts);
    };
    let owner = Resource::of(control.owner);
    if !exported(conn, nation, owner).await? {
        findings.push(finding(
            resource,
            None,
            "control_totals",
            FindingClass::Explained,
            "control_totals_not_checked",
            format!("{owner} was not exported, so the counts its records keep of {resource} were not checked"),
        ));
        return Ok(counts);
    }
    let ident = |name: &str| {
        crate::load::quote_ident(name)
            .map_err(|e| VerifyError::Report(format!("control totals: {e}")))
    };
    let rows: Vec<(String, Option<i64>, i64)> = sqlx::query_as(&format!(
        "SELECT o.source_id, o.{count}::bigint,
                (SELECT count(*) FROM {table} AS t
                  WHERE t.nation = o.nation AND t.{owner_column} = o.source_id)
           FROM {owners} AS o
          WHERE o.nation = $1
          ORDER BY length(o.source_id), o.source_id",
        count = ident(control.count_column)?,
        table = ident(resource.table())?,
        owner_column = ident(control.owner_column)?,
        owners = ident(owner.table())?,
    ))
    .bind(nation)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("checking control totals"))?;
    let (mut checked, mut differing) = (0u64, 0u64);
    let mut listed = 0;
    for (owner_id, reported, loaded) in rows {
        let Some(reported) = reported else {
            continue;
        };
        checked += 1;
        if reported != loaded {
            differing += 1;
            push_limited(
                findings,
                &mut listed,
                finding(
                    resource,
                    None,
                    "control_totals",
                    FindingClass::Defect,
                    "control_total_differs",
                    format!(
                        "{owner} {owner_id} counts {reported} {resource} at the source ({}.{}), {loaded} are loaded",
                        owner.table(),
                        control.count_column
                    ),
                ),
            );
        }
    }
    counts.insert("control_totals_checked".to_owned(), checked);
    counts.insert("control_totals_differing".to_owned(), differing);
    Ok(counts)
}
