//! The archive side of the count equation and the referential checks, as SQL over the loaded
//! tables: `archived = loaded + rejected + excluded (+ unaccounted)`, core rows with no archived
//! record, taggings pointing at unknown people or tags, and donations whose donor is unknown —
//! separating what NationBuilder itself allows (no donor; a donor deleted at source, whose
//! donations NationBuilder keeps) from defects (a donor that was archived but not loaded).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgConnection, Row};

use super::findings::{finding, push_limited};
use super::integrity::main_table;
use super::report::{ArchiveCounts, Finding, FindingClass};
use super::VerifyError;
use crate::fetch::Stream;

fn db_err(context: &'static str) -> impl FnOnce(sqlx::Error) -> VerifyError {
    move |source| VerifyError::Database {
        context: context.to_owned(),
        source,
    }
}

/// Computes the archive equation's terms. `no_main_row` comes from the re-derivation: ids the
/// current mapping gives no row in the main table, and whether the mapping rejected them.
/// `marked_deleted` records (deleted at source, found by the export's reconciliation) are a
/// term of their own: their rows were removed on purpose.
pub(crate) async fn archive_counts(
    conn: &mut PgConnection,
    nation: &str,
    stream: Stream,
    archived: u64,
    marked_deleted: u64,
    no_main_row: &[(String, bool)],
    findings: &mut Vec<Finding>,
) -> Result<ArchiveCounts, VerifyError> {
    let main = main_table(stream);
    let loaded: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {main} AS m WHERE m.nation = $1 AND EXISTS (
             SELECT 1 FROM raw.records AS r
              WHERE r.nation = m.nation AND r.resource = $2 AND r.source_id = m.source_id
                AND r.deleted_at_source IS NULL)"
    ))
    .bind(nation)
    .bind(stream.as_str())
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
    .bind(stream.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("finding rows without an archived record"))?;
    let mut listed = 0;
    for id in &without_archive {
        push_limited(
            findings,
            &mut listed,
            finding(
                stream,
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
    .bind(stream.as_str())
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
                finding(stream, Some(&id), "counts", FindingClass::Defect, "archived_not_loaded",
                    format!("archived in raw.records but neither in {main} nor in sync.rejects, and the mapping would load it")),
            );
        }
    }
    explain_rejects(conn, nation, stream, findings).await?;
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

/// Explains the stream's `sync.rejects` rows: one explained finding per field and reason (the
/// numbers in a reason — byte counts, offsets — set aside, so alike reasons count together),
/// saying how many records it concerns, whether they were archived (under an id, or kept in
/// `sync.rejects` without one) and why. Field names and reasons never quote values.
pub(crate) async fn explain_rejects(
    conn: &mut PgConnection,
    nation: &str,
    stream: Stream,
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
    .bind(stream.as_str())
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
                stream,
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

/// A donation whose donor is neither loaded nor archived: (donation id, donor id).
pub(crate) type UnknownDonor = (String, String);

/// Runs the referential checks of `stream`; returns their counts and, for donations, the
/// donations whose donor is not in the export (for the online lookup).
pub(crate) async fn referential(
    conn: &mut PgConnection,
    nation: &str,
    stream: Stream,
    findings: &mut Vec<Finding>,
) -> Result<(BTreeMap<String, u64>, Vec<UnknownDonor>), VerifyError> {
    let mut counts = BTreeMap::new();
    let mut unknown_donors = Vec::new();
    match stream {
        Stream::People | Stream::Tags => {}
        Stream::Taggings => {
            for (key, column, other, resource, code) in [
                (
                    "person_unknown",
                    "person_source_id",
                    "core.people",
                    "people",
                    "tagging_unknown_person",
                ),
                (
                    "tag_unknown",
                    "tag_source_id",
                    "core.tags",
                    "tags",
                    "tagging_unknown_tag",
                ),
            ] {
                // A reference to a record the export archived and rejected (or, when records
                // of that resource were rejected for want of a usable id, to one it could not
                // key) is explained by the reject; any other is a defect.
                let rows = sqlx::query(&format!(
                    "SELECT t.source_id,
                            EXISTS (SELECT 1 FROM raw.records AS r
                                     WHERE r.nation = t.nation AND r.resource = $2
                                       AND r.source_id = t.{column}
                                       AND EXISTS (SELECT 1 FROM sync.rejects AS j
                                                    WHERE j.nation = r.nation AND j.resource = r.resource
                                                      AND j.source_id = r.source_id)) AS rejected,
                            EXISTS (SELECT 1 FROM sync.rejects AS j
                                     WHERE j.nation = t.nation AND j.resource = $2
                                       AND j.source_id IS NULL) AS idless
                       FROM core.taggings AS t
                      WHERE t.nation = $1 AND NOT EXISTS (
                            SELECT 1 FROM {other} AS o WHERE o.nation = t.nation AND o.source_id = t.{column})
                      ORDER BY length(t.source_id), t.source_id"
                ))
                .bind(nation)
                .bind(resource)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err("checking taggings' references"))?;
                let (mut unknown, mut rejected) = (0u64, 0u64);
                let (mut listed, mut listed_explained) = (0, 0);
                for row in rows {
                    let id: String = row
                        .try_get("source_id")
                        .map_err(db_err("reading taggings"))?;
                    let is_rejected: bool = row
                        .try_get("rejected")
                        .map_err(db_err("reading taggings"))?;
                    let idless: bool = row.try_get("idless").map_err(db_err("reading taggings"))?;
                    if is_rejected || idless {
                        rejected += 1;
                        let why = if is_rejected {
                            format!("core.taggings.{column} names a record of {resource} that was archived and rejected (see sync.rejects)")
                        } else {
                            format!("core.taggings.{column} names no row of {other}; records of {resource} without a usable id were rejected (see sync.rejects), it may be one of them")
                        };
                        push_limited(
                            findings,
                            &mut listed_explained,
                            finding(
                                stream,
                                Some(&id),
                                "referential",
                                FindingClass::Explained,
                                &format!("{code}_rejected"),
                                why,
                            ),
                        );
                    } else {
                        unknown += 1;
                        push_limited(
                            findings,
                            &mut listed,
                            finding(
                                stream,
                                Some(&id),
                                "referential",
                                FindingClass::Defect,
                                code,
                                format!("core.taggings.{column} names no row of {other}"),
                            ),
                        );
                    }
                }
                counts.insert(key.to_owned(), unknown);
                if rejected > 0 {
                    counts.insert(format!("{key}_rejected"), rejected);
                }
            }
        }
        Stream::Donations => {
            let none: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM core.donations WHERE nation = $1 AND person_source_id IS NULL",
            )
            .bind(nation)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err("counting donations without donor"))?;
            counts.insert("donor_none".to_owned(), none.max(0) as u64);
            let rows = sqlx::query(
                "SELECT d.source_id, d.person_source_id,
                        (SELECT r.deleted_at_source IS NOT NULL FROM raw.records AS r
                          WHERE r.nation = d.nation AND r.resource = 'people'
                            AND r.source_id = d.person_source_id) AS marked,
                        EXISTS (SELECT 1 FROM sync.rejects AS j
                                 WHERE j.nation = d.nation AND j.resource = 'people'
                                   AND j.source_id = d.person_source_id) AS rejected
                   FROM core.donations AS d
                  WHERE d.nation = $1 AND d.person_source_id IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM core.people AS p
                         WHERE p.nation = d.nation AND p.source_id = d.person_source_id)
                  ORDER BY length(d.source_id), d.source_id",
            )
            .bind(nation)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err("checking donations' donors"))?;
            let (mut not_exported, mut archived_not_loaded, mut marked_deleted) =
                (0u64, 0u64, 0u64);
            let mut donor_rejected = 0u64;
            let mut listed_explained = 0;
            let mut listed = 0;
            for row in rows {
                let id: String = row
                    .try_get("source_id")
                    .map_err(db_err("reading donations"))?;
                let donor: String = row
                    .try_get("person_source_id")
                    .map_err(db_err("reading donations"))?;
                // NULL: the donor was never archived; true: archived, then marked deleted at
                // source by the export's reconciliation; false: archived and present.
                let marked: Option<bool> =
                    row.try_get("marked").map_err(db_err("reading donations"))?;
                let rejected: bool = row
                    .try_get("rejected")
                    .map_err(db_err("reading donations"))?;
                if marked == Some(false) && rejected {
                    donor_rejected += 1;
                    push_limited(
                        findings,
                        &mut listed_explained,
                        finding(stream, Some(&id), "referential", FindingClass::Explained, "donor_rejected",
                            format!("donor {donor} was archived and rejected (see sync.rejects), so it has no core.people row")),
                    );
                } else if marked == Some(true) {
                    marked_deleted += 1;
                    push_limited(
                        findings,
                        &mut listed_explained,
                        finding(stream, Some(&id), "referential", FindingClass::Explained, "donor_marked_deleted_at_source",
                            format!("donor {donor} was deleted at source during the export (raw.records.deleted_at_source): NationBuilder keeps donations of deleted people")),
                    );
                } else if marked == Some(false) {
                    archived_not_loaded += 1;
                    push_limited(
                        findings,
                        &mut listed,
                        finding(stream, Some(&id), "referential", FindingClass::Defect, "donor_archived_not_loaded",
                            format!("donor {donor} is archived in raw.records but has no core.people row")),
                    );
                } else {
                    not_exported += 1;
                    unknown_donors.push((id, donor));
                }
            }
            counts.insert("donor_not_exported".to_owned(), not_exported);
            counts.insert("donor_archived_not_loaded".to_owned(), archived_not_loaded);
            counts.insert("donor_marked_deleted_at_source".to_owned(), marked_deleted);
            if donor_rejected > 0 {
                counts.insert("donor_rejected".to_owned(), donor_rejected);
            }
        }
    }
    Ok((counts, unknown_donors))
}
