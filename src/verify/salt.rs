//! The manifest salt: 32 random bytes per nation in `audit.export_salts`, mixed into every
//! Merkle leaf of a verify report so that a published root does not let anyone test whether a
//! guessed record is in the database (see [`super::merkle`]).
//!
//! `migrate` creates it ([`create`]); `verify` only reads it ([`read`]), so that verifying
//! writes nothing into the database it checks but its own log row. The salt never changes once
//! made (not even by `migrate --restart`): offline re-checks of old reports depend on it.

use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::VerifyError;
use crate::database;

/// Creates the nation's salt unless it has one: 32 bytes from the operating system's random
/// source. Called by `migrate` before its first request to the API.
pub async fn create(pool: &PgPool, nation: &str) -> Result<(), VerifyError> {
    let mut fresh = [0u8; 32];
    getrandom::fill(&mut fresh)
        .map_err(|e| VerifyError::Report(format!("no randomness for the manifest salt: {e}")))?;
    sqlx::query(
        "INSERT INTO audit.export_salts (nation, salt) VALUES ($1, $2) ON CONFLICT (nation) DO NOTHING",
    )
    .bind(nation)
    .bind(&fresh[..])
    .execute(pool)
    .await
    .map_err(|source| VerifyError::Database {
        context: "storing the manifest salt in audit.export_salts".into(),
        source,
    })?;
    Ok(())
}

/// Reads the nation's salt. `offline` picks the fix named when there is none: a copy of the
/// database (offline) cannot get the salt back, the database itself gets one from `migrate`.
pub async fn read(pool: &PgPool, nation: &str, offline: bool) -> Result<[u8; 32], VerifyError> {
    let err = |context: &str| {
        let context = context.to_owned();
        move |source| VerifyError::Database { context, source }
    };
    let target = database::pool_target(pool);
    let table: bool = sqlx::query_scalar("SELECT to_regclass('audit.export_salts') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(err("looking for audit.export_salts"))?;
    if !table {
        return Err(VerifyError::NoAuditSchema { target });
    }
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT salt FROM audit.export_salts WHERE nation = $1")
            .bind(nation)
            .fetch_optional(pool)
            .await
            .map_err(err("reading audit.export_salts"))?;
    match stored.map(|s| <[u8; 32]>::try_from(s.as_slice())) {
        Some(Ok(salt)) => Ok(salt),
        // The table's CHECK keeps every salt at 32 bytes; a wrong length is a damaged table.
        Some(Err(_)) => Err(VerifyError::Report(format!(
            "the manifest salt of nation {nation:?} in audit.export_salts is not 32 bytes long: the table was altered"
        ))),
        None if offline => Err(VerifyError::SaltMissingFromCopy {
            nation: nation.to_owned(),
            target,
        }),
        None => Err(VerifyError::NoSalt {
            nation: nation.to_owned(),
            target,
        }),
    }
}

/// The salt's public identifier, as written in reports (`manifest.salt_id`).
pub fn salt_id(salt: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"nb-exodus manifest salt id\n");
    h.update(salt);
    hex::encode(h.finalize())
}
