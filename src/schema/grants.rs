//! The database roles a party needs, as SQL text (`nb-exodus db grants --print`): three
//! `NOLOGIN` group roles with the privileges that fit, to which the DBA adds people's login
//! roles. nb-exodus never runs this itself — creating roles needs `CREATEROLE`, which the
//! exporting role should not have — so the SQL is printed for review and applied with psql.
//!
//! | role (default prefix)         | reads                                          | writes                       |
//! |-------------------------------|------------------------------------------------|------------------------------|
//! | `nb_exodus_reader`            | `core`, `gdpr`, `analysis`                     | —                            |
//! | `nb_exodus_sensitive_reader`  | `sensitive` (Art. 9), `raw` (verbatim records) | —                            |
//! | `nb_exodus_auditor`           | what `verify` reads: `sync`, `raw`, `core`, `sensitive`, `gdpr`, `audit`, `_sqlx_migrations` | `audit.verifications` (insert), temporary tables |
//!
//! The reader gets `gdpr` as well as `core` and `analysis` because `analysis.consent` shows the
//! consent facts anyway; it gets nothing of `sensitive` or `raw`. Views run with their owner's
//! privileges, so `sensitive.person_attributes_by_person` is guarded by `USAGE` on schema
//! `sensitive`, which only the sensitive reader and the auditor have. The auditor must read
//! the special-category tables too: verify re-derives every row from the archive.
//!
//! Each grant on existing tables is paired with `ALTER DEFAULT PRIVILEGES`, so tables and views a
//! later migration creates are covered; default privileges apply to objects created by the role
//! that runs the SQL, hence: run it as the role that runs `nb-exodus db migrate`. The SQL is
//! idempotent (roles are created only when missing; grants repeat harmlessly). Role names are
//! cluster-wide, so on a server holding several parties' databases give each its own prefix.

use std::fmt::Write as _;

/// The default prefix of the role names.
pub const DEFAULT_PREFIX: &str = "nb_exodus";

/// Why no SQL could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrantsError {
    /// The prefix is not a plain lower-case SQL identifier.
    #[error("role prefix {0:?} is not usable: use 1 to 40 lower-case letters, digits and underscores, starting with a letter (e.g. --prefix party_a)")]
    Prefix(String),
}

/// The three group roles' names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    /// Reads `core`, `gdpr` and `analysis`.
    pub reader: String,
    /// Reads `sensitive` and `raw`.
    pub sensitive_reader: String,
    /// What `verify` needs.
    pub auditor: String,
}

impl Roles {
    /// The role names for `prefix` (`PREFIX_reader`, `PREFIX_sensitive_reader`,
    /// `PREFIX_auditor`).
    pub fn with_prefix(prefix: &str) -> Result<Roles, GrantsError> {
        let plain = prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let starts = prefix
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase());
        if !plain || !starts || prefix.len() > 40 {
            return Err(GrantsError::Prefix(prefix.to_owned()));
        }
        Ok(Roles {
            reader: format!("{prefix}_reader"),
            sensitive_reader: format!("{prefix}_sensitive_reader"),
            auditor: format!("{prefix}_auditor"),
        })
    }
}

/// Schemas the reader may read.
const READER_SCHEMAS: &[&str] = &["core", "gdpr", "analysis"];
/// Schemas the sensitive reader may read.
const SENSITIVE_SCHEMAS: &[&str] = &["sensitive", "raw"];
/// Schemas `verify` reads.
const AUDITOR_SCHEMAS: &[&str] = &["sync", "raw", "core", "sensitive", "gdpr", "audit"];

/// Read access to `schemas`, now and for tables created later by the role running the SQL.
fn read_grants(out: &mut String, schemas: &[&str], role: &str) {
    let list = schemas.join(", ");
    let _ = writeln!(out, "GRANT USAGE ON SCHEMA {list} TO {role};");
    let _ = writeln!(
        out,
        "GRANT SELECT ON ALL TABLES IN SCHEMA {list} TO {role};"
    );
    let _ = writeln!(
        out,
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {list} GRANT SELECT ON TABLES TO {role};"
    );
}

/// The SQL that creates the group roles for `prefix` and grants them what fits; see the
/// module documentation.
pub fn sql(prefix: &str) -> Result<String, GrantsError> {
    let r = Roles::with_prefix(prefix)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- Roles for an nb-exodus database (from `nb-exodus db grants --print`).
-- Run in the exported database as the role that runs `nb-exodus db migrate` (it owns the
-- schemas; creating roles needs CREATEROLE too), e.g.
--   nb-exodus db grants --print > grants.sql && psql \"$DATABASE_URL\" -f grants.sql
-- Safe to run again. The three roles are NOLOGIN groups: give people their own login role
-- in the group that fits, e.g.
--   CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE {reader};
-- Role names are cluster-wide: on a server holding several parties' databases, give each
-- database its own prefix (--prefix).

BEGIN;

DO $roles$
DECLARE
    wanted text[][] := ARRAY[
        ['{reader}', 'nb-exodus: reads core, gdpr and analysis (no Art. 9 data)'],
        ['{sensitive}', 'nb-exodus: reads sensitive (Art. 9) and raw (verbatim records)'],
        ['{auditor}', 'nb-exodus: runs verify (reads everything it checks, logs into audit.verifications)']];
    i int;
BEGIN
    FOR i IN 1 .. array_length(wanted, 1) LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = wanted[i][1]) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', wanted[i][1]);
        END IF;
        EXECUTE format('COMMENT ON ROLE %I IS %L', wanted[i][1], wanted[i][2]);
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), wanted[i][1]);
    END LOOP;
    -- verify keeps its re-derived rows in temporary tables.
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), '{auditor}');
END
$roles$;
",
        reader = r.reader,
        sensitive = r.sensitive_reader,
        auditor = r.auditor,
    );

    let _ = writeln!(
        s,
        "-- {}: the people, their contact points, tags, donations and consent flags, and the\n\
         -- analysis views over them; nothing of sensitive or raw.",
        r.reader
    );
    read_grants(&mut s, READER_SCHEMAS, &r.reader);
    let _ = writeln!(
        s,
        "\n-- {}: special-category (Art. 9), inferred and free-text attributes, including the\n\
         -- view sensitive.person_attributes_by_person, and the verbatim archive (raw.records\n\
         -- holds every source field). Join analysis.people on person_id: grant {} as well.",
        r.sensitive_reader, r.reader
    );
    read_grants(&mut s, SENSITIVE_SCHEMAS, &r.sensitive_reader);
    let _ = writeln!(
        s,
        "\n-- {}: what `nb-exodus verify` (online and --offline) reads, and its one write, the log\n\
         -- row in audit.verifications; it re-derives every row, so it reads the Art. 9 tables too.\n\
         -- Its re-derived rows go into temporary tables (TEMPORARY on the database, above). It cannot ANALYZE\n\
         -- tables it does not own before PostgreSQL 17 (verify then goes on with the\n\
         -- statistics as they are); from 17 on it gets MAINTAIN for that.",
        r.auditor
    );
    read_grants(&mut s, AUDITOR_SCHEMAS, &r.auditor);
    let _ = writeln!(
        s,
        "GRANT SELECT ON _sqlx_migrations TO {auditor};
GRANT INSERT ON audit.verifications TO {auditor};
DO $maintain$
BEGIN
    IF current_setting('server_version_num')::int >= 170000 THEN
        EXECUTE 'GRANT MAINTAIN ON ALL TABLES IN SCHEMA {schemas} TO {auditor}';
        EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA {schemas} GRANT MAINTAIN ON TABLES TO {auditor}';
    END IF;
END
$maintain$;

COMMIT;",
        auditor = r.auditor,
        schemas = AUDITOR_SCHEMAS.join(", "),
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roles_get_what_fits_and_nothing_else() {
        let text = sql(DEFAULT_PREFIX).unwrap();
        assert!(text.contains(
            "GRANT SELECT ON ALL TABLES IN SCHEMA core, gdpr, analysis TO nb_exodus_reader;"
        ));
        assert!(text.contains(
            "GRANT SELECT ON ALL TABLES IN SCHEMA sensitive, raw TO nb_exodus_sensitive_reader;"
        ));
        assert!(text.contains("GRANT INSERT ON audit.verifications TO nb_exodus_auditor;"));
        assert!(text.contains(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA core, gdpr, analysis GRANT SELECT ON TABLES TO nb_exodus_reader;"
        ));
        // The reader never appears next to sensitive or raw.
        for line in text.lines().filter(|l| l.ends_with("TO nb_exodus_reader;")) {
            assert!(
                !line.contains("sensitive") && !line.contains("raw"),
                "{line}"
            );
        }
        // Nothing but the auditor's one INSERT writes.
        let writes: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.starts_with("GRANT")
                    && ["INSERT", "UPDATE", "DELETE", "TRUNCATE", "ALL PRIVILEGES"]
                        .iter()
                        .any(|w| l.contains(w))
            })
            .collect();
        assert_eq!(
            writes,
            ["GRANT INSERT ON audit.verifications TO nb_exodus_auditor;"]
        );
        assert!(text.contains("CREATE ROLE %I NOLOGIN"));
        // Login roles are the DBA's: shown as an example comment only.
        assert!(text
            .lines()
            .filter(|l| l.contains("LOGIN PASSWORD"))
            .all(|l| l.starts_with("--")));
    }

    #[test]
    fn a_prefix_names_the_roles_and_must_be_a_plain_identifier() {
        let roles = Roles::with_prefix("party_a").unwrap();
        assert_eq!(roles.reader, "party_a_reader");
        assert_eq!(roles.sensitive_reader, "party_a_sensitive_reader");
        assert_eq!(roles.auditor, "party_a_auditor");
        assert!(sql("party_a").unwrap().contains("TO party_a_auditor;"));
        for bad in [
            "",
            "A",
            "1x",
            "x-y",
            "x;drop role postgres",
            &"x".repeat(41),
        ] {
            assert!(Roles::with_prefix(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Roles::with_prefix("x-y").unwrap_err().to_string(),
            "role prefix \"x-y\" is not usable: use 1 to 40 lower-case letters, digits and underscores, starting with a letter (e.g. --prefix party_a)"
        );
    }
}
