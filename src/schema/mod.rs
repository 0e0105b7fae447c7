//! The open schema: the SQL migrations that create the tables nb-exodus loads into, embedded in
//! the binary at compile time from `src/schema/migrations/`.
//!
//! The schema is split by who may read it, so a DBA can grant per schema:
//!
//! | schema      | holds                                                        | privacy            |
//! |-------------|--------------------------------------------------------------|--------------------|
//! | `sync`      | runs, resume checkpoints, rejects, field dispositions        | operational¹       |
//! | `raw`       | every source record verbatim, with its SHA-256               | **Art. 9** (all)   |
//! | `core`      | OSDI-shaped people, contact points, tags, taggings, donations | personal           |
//! | `sensitive` | special-category (Art. 9), inferred and free-text attributes | **Art. 9**         |
//! | `gdpr`      | consent flags as source facts with provenance                | personal           |
//! | `analysis`  | views for analysts over `core` and `gdpr` (0013)             | personal           |
//!
//! ¹ except `sync.rejects.body` and `body_bytes`, a verbatim source record.
//!
//! The `analysis` views (people with their primary contact points and country, consent flags
//! as columns, tags per person, donations with donor names) give one row per person with plain
//! columns and the single-column key `person_id`; the per-person view of Art. 9 attributes,
//! `sensitive.person_attributes_by_person`, stays in `sensitive` so its grants guard it. The
//! roles that fit are printed by [`grants`] (`nb-exodus db grants --print`).
//!
//! Every schema, table and column carries a `COMMENT` (OSDI name, NationBuilder field, units,
//! meaning of NULL, privacy class), so `\d+` in psql documents the database. Migrations are
//! applied by sqlx's migrator, which records them in `_sqlx_migrations`, takes an advisory lock
//! while it works and refuses to run if an applied file was edited afterwards; applying them
//! again is a no-op. The SQL needs PostgreSQL 15 or newer (`UNIQUE NULLS NOT DISTINCT`).
//!
//! Migrations are append-only: never edit a file that may have been applied somewhere (the
//! migrator would refuse the changed checksum); add `NNNN_description.sql` instead, starting with
//! a `--` comment that explains it. The files are embedded at compile time; cargo notices edits
//! to existing files, but a *new* file is only picked up once the crate recompiles for another
//! reason (touch this file).

pub mod catalogue;
pub mod grants;

use std::collections::HashSet;

use sqlx::migrate::Migrator;
use sqlx::PgPool;

use crate::database::pool_target;
use crate::{Error, Result};

/// The open schema's migrations, in order.
pub static MIGRATOR: Migrator = sqlx::migrate!("src/schema/migrations");

/// Oldest PostgreSQL major version the migrations work on, as `server_version_num`.
const MIN_SERVER_VERSION: i32 = 150_000;

/// One migration file: its version (the number in the file name) and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationName {
    /// The number the file name starts with, e.g. 3 for `0003_core.sql`.
    pub version: i64,
    /// The rest of the file name, e.g. "core".
    pub description: String,
}

impl std::fmt::Display for MigrationName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04} {}", self.version, self.description)
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Migrations this call applied, in order; empty when the schema was up to date.
    pub applied: Vec<MigrationName>,
    /// Number of migrations that were already applied before this call.
    pub already_applied: usize,
}

impl MigrationReport {
    /// Whether nothing had to be done.
    pub fn is_up_to_date(&self) -> bool {
        self.applied.is_empty()
    }
}

/// Brings the database behind `pool` up to the current open schema. Idempotent.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    apply(pool).await.map(|_| ())
}

/// Brings the database behind `pool` up to the current open schema and says which migrations
/// that took. Fails with [`Error::UnsupportedServer`] on PostgreSQL older than 15, and with
/// [`Error::Migrate`] if an applied migration no longer matches its file.
pub async fn apply(pool: &PgPool) -> Result<MigrationReport> {
    let database_error = |source| Error::Database {
        target: pool_target(pool),
        source,
    };

    let (version_num, version): (i32, String) = sqlx::query_as(
        "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
    )
    .fetch_one(pool)
    .await
    .map_err(database_error)?;
    if version_num < MIN_SERVER_VERSION {
        return Err(Error::UnsupportedServer {
            target: pool_target(pool),
            version,
        });
    }

    let before = applied_versions(pool).await.map_err(database_error)?;
    if let Err(err) = MIGRATOR.run(pool).await {
        return Err(match privilege_denied(&err) {
            true => {
                let (role, database): (String, String) =
                    sqlx::query_as("SELECT current_user::text, current_database()::text")
                        .fetch_one(pool)
                        .await
                        .map_err(database_error)?;
                Error::Privilege {
                    target: pool_target(pool),
                    role,
                    database,
                }
            }
            false => err.into(),
        });
    }

    let mut report = MigrationReport {
        applied: Vec::new(),
        already_applied: 0,
    };
    for migration in MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
    {
        if before.contains(&migration.version) {
            report.already_applied += 1;
        } else {
            report.applied.push(MigrationName {
                version: migration.version,
                description: migration.description.to_string(),
            });
        }
    }
    Ok(report)
}

/// Whether a migration failed because the role may not create what it creates (SQLSTATE
/// 42501, insufficient_privilege).
fn privilege_denied(err: &sqlx::migrate::MigrateError) -> bool {
    let sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(db)) = err else {
        return false;
    };
    db.code().as_deref() == Some("42501")
}

/// How the open schema in a database compares with this binary's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    /// No nb-exodus schema: `sync.runs` does not exist.
    Absent,
    /// nb-exodus tables, but no `_sqlx_migrations` saying which migrations made them (a partial
    /// copy of the database, for example).
    Unversioned,
    /// Migrations of this binary not applied yet, oldest first.
    Behind(Vec<MigrationName>),
    /// Applied migrations this binary does not know (a newer nb-exodus migrated the database).
    Ahead(Vec<i64>),
    /// Exactly this binary's migrations are applied.
    Current,
}

/// Reads how the open schema behind `pool` compares with [`MIGRATOR`], from the catalogue
/// only: unlike [`apply`], it creates and changes nothing (for `verify`, which must not write
/// into the database it checks).
pub async fn state(pool: &PgPool) -> Result<SchemaState> {
    let database_error = |source| Error::Database {
        target: pool_target(pool),
        source,
    };
    let present: bool = sqlx::query_scalar("SELECT to_regclass('sync.runs') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(database_error)?;
    if !present {
        return Ok(SchemaState::Absent);
    }
    let versioned: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(database_error)?;
    if !versioned {
        return Ok(SchemaState::Unversioned);
    }
    let applied = applied_versions(pool).await.map_err(database_error)?;
    Ok(compare(&applied))
}

/// The schemas the migrations create.
pub const SCHEMAS: [&str; 7] = [
    "sync",
    "raw",
    "core",
    "sensitive",
    "gdpr",
    "audit",
    "analysis",
];

/// Nations other than `own` that have rows in the open schema behind `pool`, sorted: every
/// table of [`SCHEMAS`] with a `nation` column is asked for one row of another nation (each
/// lookup stops at its first row, so this stays quick on a large export). Empty when the
/// database has no open schema. Reads only.
pub async fn other_nations(pool: &PgPool, own: &str) -> Result<Vec<String>> {
    let database_error = |source| Error::Database {
        target: pool_target(pool),
        source,
    };
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_schema::text, c.table_name::text
           FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE c.table_schema = ANY($1) AND c.column_name = 'nation'
            AND t.table_type = 'BASE TABLE'
          ORDER BY 1, 2",
    )
    .bind(&SCHEMAS[..])
    .fetch_all(pool)
    .await
    .map_err(database_error)?;
    let mut found = Vec::new();
    for (schema, table) in tables {
        let sql = format!(
            "SELECT nation::text FROM {}.{} WHERE nation IS DISTINCT FROM $1 LIMIT 1",
            quote(&schema),
            quote(&table)
        );
        let other: Option<Option<String>> = sqlx::query_scalar(&sql)
            .bind(own)
            .fetch_optional(pool)
            .await
            .map_err(database_error)?;
        if let Some(nation) = other {
            found.push(nation.unwrap_or_else(|| "(none)".to_owned()));
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// An SQL identifier in double quotes.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Compares applied migration versions with this binary's.
fn compare(applied: &HashSet<i64>) -> SchemaState {
    let known: HashSet<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let mut unknown: Vec<i64> = applied.difference(&known).copied().collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return SchemaState::Ahead(unknown);
    }
    let pending: Vec<MigrationName> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| MigrationName {
            version: m.version,
            description: m.description.to_string(),
        })
        .collect();
    if pending.is_empty() {
        SchemaState::Current
    } else {
        SchemaState::Behind(pending)
    }
}

/// Versions already recorded as applied; empty when the bookkeeping table does not exist yet.
/// The table is looked up through the search path, as sqlx's migrator does.
async fn applied_versions(pool: &PgPool) -> Result<HashSet<i64>, sqlx::Error> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(HashSet::new());
    }
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?;
    Ok(versions.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_compares_applied_versions_with_the_binary() {
        let all: HashSet<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        assert_eq!(compare(&all), SchemaState::Current);
        let last = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let mut behind = all.clone();
        behind.remove(&last);
        match compare(&behind) {
            SchemaState::Behind(pending) => {
                assert_eq!(
                    pending.iter().map(|m| m.version).collect::<Vec<_>>(),
                    [last]
                )
            }
            other => panic!("expected Behind, got {other:?}"),
        }
        let mut ahead = all;
        ahead.insert(last + 1);
        assert_eq!(compare(&ahead), SchemaState::Ahead(vec![last + 1]));
    }

    #[test]
    fn migrations_are_embedded_in_order_and_start_with_a_comment() {
        // Numbered 1, 2, 3… in increasing order, each under the description its file name gives,
        // and the first of them as the schema began. Resource groups developed in parallel are
        // given their numbers in advance, so a branch may lack a number another branch holds.
        let versions: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        assert_eq!(versions.first(), Some(&1));
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        let first: Vec<String> = MIGRATOR
            .iter()
            .take(4)
            .map(|m| {
                MigrationName {
                    version: m.version,
                    description: m.description.to_string(),
                }
                .to_string()
            })
            .collect();
        assert_eq!(
            first,
            ["0001 sync", "0002 raw", "0003 core", "0004 sensitive gdpr"]
        );
        let files: std::collections::BTreeSet<String> = std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/schema/migrations"
        ))
        .expect("the migrations directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
        for m in MIGRATOR.iter() {
            let file = format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_"));
            assert!(
                files.contains(&file),
                "{file} is the file of migration {}",
                m.version
            );
        }
        assert_eq!(
            files.len(),
            MIGRATOR.iter().count(),
            "every file is embedded"
        );
        for migration in MIGRATOR.iter() {
            assert!(
                migration.sql.trim_start().starts_with("--"),
                "migration {} must start with a comment explaining it",
                migration.version
            );
        }
    }
}
