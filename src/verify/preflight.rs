//! What must hold before `verify` reads anything, checked from the catalogue, `sync.runs` and
//! `audit.export_salts` alone (before any request to the API): the open schema is there and is
//! exactly this binary's, the nation has a finished export, and its manifest salt exists. Each
//! failure is one error naming what is missing and the fix; nothing is created or repaired
//! here, because verify must not write into the database it checks.

use sqlx::{PgPool, Row};

use super::{salt, VerifyError};
use crate::database;
use crate::schema::{self, SchemaState};

/// Runs the checks in order and returns the nation's manifest salt. `offline` is a re-check
/// of a copy: it changes only the fix named for a missing salt.
pub(crate) async fn check(
    pool: &PgPool,
    nation: &str,
    offline: bool,
) -> Result<[u8; 32], VerifyError> {
    let target = database::pool_target(pool);
    match schema::state(pool).await? {
        SchemaState::Current => {}
        SchemaState::Absent => {
            return Err(VerifyError::NoSchema {
                nation: nation.to_owned(),
                target,
            })
        }
        SchemaState::Unversioned => return Err(VerifyError::SchemaUnversioned { target }),
        SchemaState::Behind(pending) => {
            return Err(VerifyError::SchemaBehind {
                target,
                pending: pending.len(),
                first: pending.first().map(ToString::to_string).unwrap_or_default(),
            })
        }
        SchemaState::Ahead(unknown) => {
            return Err(VerifyError::SchemaAhead {
                target,
                version: unknown.first().copied().unwrap_or_default(),
            })
        }
    }
    finished_export(pool, nation, &target).await?;
    salt::read(pool, nation, offline).await
}

/// Fails unless `sync.runs` has a finished (`done`) export run of the nation; a `remap` run
/// re-derives tables from an archive and does not count as an export.
async fn finished_export(pool: &PgPool, nation: &str, target: &str) -> Result<(), VerifyError> {
    let row = sqlx::query(
        "SELECT count(*) AS runs,
                count(*) FILTER (WHERE status = 'done' AND NOT options @> '{\"remap\": true}') AS done,
                (SELECT status FROM sync.runs WHERE nation = $1 ORDER BY id DESC LIMIT 1) AS last
           FROM sync.runs WHERE nation = $1",
    )
    .bind(nation)
    .fetch_one(pool)
    .await
    .map_err(|source| VerifyError::Database {
        context: "reading sync.runs".into(),
        source,
    })?;
    let get = |name: &str| -> Result<i64, VerifyError> {
        row.try_get(name).map_err(|source| VerifyError::Database {
            context: "reading sync.runs".into(),
            source,
        })
    };
    let (runs, done) = (get("runs")?, get("done")?);
    if done > 0 {
        return Ok(());
    }
    let last: Option<String> = row.try_get("last").unwrap_or(None);
    let why = match (runs, last.as_deref()) {
        (0, _) => "no run recorded".to_owned(),
        (n, Some("failed")) => format!("{n} run(s), none finished; the last failed"),
        (n, Some("interrupted")) => format!("{n} run(s), none finished; the last was interrupted"),
        (n, Some("running")) => {
            format!("{n} run(s), none finished; the last is still running or was killed")
        }
        (n, _) => format!("{n} run(s), none finished"),
    };
    Err(VerifyError::NothingExported {
        nation: nation.to_owned(),
        target: target.to_owned(),
        why,
    })
}
