//! The open schema against a real PostgreSQL: `db migrate` creates every agreed table and column,
//! documents all of them, is idempotent (library and CLI), enforces the agreed keys, and fails
//! fast and readably when the database is unreachable.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use sqlx::PgPool;

use nb_exodus::schema::catalogue::TableId;

use crate::support::db::TestDb;

/// The schemas the migrations create.
const SCHEMAS: [&str; 7] = nb_exodus::schema::SCHEMAS;

/// A relation's columns as `(name, type as format_type gives it, NOT NULL)`, in order.
type Columns = Vec<(String, String, bool)>;

/// The catalogue (`src/schema/catalogue.rs`): every table and view with its columns.
fn catalogue() -> BTreeMap<String, Columns> {
    TableId::all()
        .map(|id| {
            let table = id.table();
            let columns = table
                .columns
                .iter()
                .map(|c| (c.name.to_owned(), c.sql_type.pg_format(), !c.nullable))
                .collect();
            (table.qualified.to_owned(), columns)
        })
        .collect()
}

/// Runs the nb-exodus binary with `args`, without inheriting a DATABASE_URL.
fn nb_exodus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the nb-exodus binary runs")
}

/// Runs `nb-exodus db migrate` against `url` and insists on success.
fn cli_migrate(url: &str) -> String {
    let output = nb_exodus(&["db", "migrate", "--database-url", url]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "db migrate failed ({}):\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Every table and view of the open schema's schemas with its columns, as the database has
/// them: `schema.table` → `(column, type, NOT NULL)` in column order.
async fn columns(pool: &PgPool) -> BTreeMap<String, Columns> {
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT n.nspname || '.' || c.relname, a.attname::text,
                format_type(a.atttypid, a.atttypmod), a.attnotnull
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm')
            AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY n.nspname, c.relname, a.attnum",
    )
    .bind(&SCHEMAS[..])
    .fetch_all(pool)
    .await
    .expect("reading the columns of the open schema");
    let mut tables: BTreeMap<String, Columns> = BTreeMap::new();
    for (table, column, ty, not_null) in rows {
        tables
            .entry(table)
            .or_default()
            .push((column, ty, not_null));
    }
    tables
}

/// Everything migrations can change, rendered as sorted lines: schemas, tables, columns (type,
/// nullability, default), comments, constraints, indexes and the migration bookkeeping.
async fn catalog_snapshot(pool: &PgPool) -> Vec<String> {
    let queries = [
        // Schemas and their comments.
        "SELECT 'schema ' || n.nspname || ' -- ' || coalesce(obj_description(n.oid, 'pg_namespace'), '')
           FROM pg_namespace n WHERE n.nspname = ANY($1)",
        // Tables, views, sequences, indexes and their comments.
        "SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text
                || ' -- ' || coalesce(obj_description(c.oid, 'pg_class'), '')
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ANY($1)",
        // Columns with type, nullability, default, identity and comment.
        "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname
                || ' ' || format_type(a.atttypid, a.atttypmod)
                || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                || ' identity=' || a.attidentity::text
                || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
                || ' -- ' || coalesce(col_description(c.oid, a.attnum), '')
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE n.nspname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped",
        // Constraints.
        "SELECT 'constraint ' || n.nspname || '.' || c.relname || ' ' || k.conname || ' '
                || pg_get_constraintdef(k.oid)
           FROM pg_constraint k
           JOIN pg_class c ON c.oid = k.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ANY($1)",
        // Index definitions.
        "SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = ANY($1)",
        // Migration bookkeeping (installed_on would differ only if a migration ran again).
        "SELECT 'migration ' || version || ' ' || description || ' success=' || success
                || ' checksum=' || encode(checksum, 'hex') || ' installed_on=' || installed_on
           FROM _sqlx_migrations WHERE $1::text[] IS NOT NULL",
    ];
    let mut lines = Vec::new();
    for query in queries {
        let rows: Vec<String> = sqlx::query_scalar(query)
            .bind(&SCHEMAS[..])
            .fetch_all(pool)
            .await
            .unwrap_or_else(|err| panic!("snapshot query failed: {err}\n{query}"));
        lines.extend(rows);
    }
    lines.sort();
    lines
}

/// What `db migrate` prints about an empty database: every embedded migration, in order (the
/// list itself is pinned by the schema module's unit test).
fn applied_all() -> String {
    let names: Vec<String> = nb_exodus::schema::MIGRATOR
        .iter()
        .map(|m| format!("{:04} {}", m.version, m.description))
        .collect();
    format!("applied {} migration(s): {}", names.len(), names.join(", "))
}

/// The catalogue the code reads and the database the migrations make are one schema: every
/// table, view and column, in order, with its type and nullability. A column added to the DDL
/// alone (or to the catalogue alone) fails here.
#[tokio::test]
async fn db_migrate_creates_exactly_the_catalogue() {
    let db = TestDb::empty().await;
    assert!(
        columns(db.pool()).await.is_empty(),
        "a fresh database has none of our tables"
    );

    let stdout = cli_migrate(db.url());
    assert!(stdout.contains(&applied_all()), "summary line: {stdout}");
    assert_eq!(stdout.lines().count(), 1, "one summary line: {stdout}");

    assert_eq!(columns(db.pool()).await, catalogue());
}

#[tokio::test]
async fn every_schema_table_and_column_has_a_useful_comment() {
    let db = TestDb::new().await;
    let pool = db.pool();

    let schemas: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT nspname::text, obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ANY($1)",
    )
    .bind(&SCHEMAS[..])
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        schemas.len(),
        SCHEMAS.len(),
        "every schema exists: {schemas:?}"
    );

    let tables: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT n.nspname || '.' || c.relname, obj_description(c.oid, 'pg_class')
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm')",
    )
    .bind(&SCHEMAS[..])
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(tables.len(), TableId::all().count(), "tables: {tables:?}");

    let columns: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT n.nspname || '.' || c.relname || '.' || a.attname, col_description(c.oid, a.attnum)
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm')
            AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(&SCHEMAS[..])
    .fetch_all(pool)
    .await
    .unwrap();
    let expected_columns: usize = TableId::all().map(|t| t.table().columns.len()).sum();
    assert_eq!(columns.len(), expected_columns);

    let undocumented: Vec<&String> = schemas
        .iter()
        .chain(&tables)
        .chain(&columns)
        .filter(|(_, comment)| comment.as_deref().is_none_or(|c| c.trim().len() < 10))
        .map(|(name, _)| name)
        .collect();
    assert!(
        undocumented.is_empty(),
        "objects without a useful comment: {undocumented:?}"
    );

    // The privacy notes DBAs rely on to grant per schema.
    let comment_of = |name: &str| {
        schemas
            .iter()
            .find(|(schema, _)| schema == name)
            .and_then(|(_, comment)| comment.clone())
            .unwrap_or_default()
    };
    assert!(comment_of("sensitive").contains("Art. 9"));
    assert!(comment_of("raw").contains("Art. 9"));
    assert!(comment_of("gdpr").contains("never fresh consent"));
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let db = TestDb::new().await;
    let before = catalog_snapshot(db.pool()).await;
    assert!(
        before.len() > 200,
        "the snapshot covers the schema ({} lines)",
        before.len()
    );

    let report = nb_exodus::schema::apply(db.pool())
        .await
        .expect("second migration run");
    assert!(report.is_up_to_date(), "{report:?}");
    assert_eq!(
        report.already_applied,
        nb_exodus::schema::MIGRATOR.iter().count()
    );
    nb_exodus::schema::migrate(db.pool())
        .await
        .expect("third migration run");

    assert_eq!(catalog_snapshot(db.pool()).await, before);
}

#[tokio::test]
async fn db_migrate_twice_via_the_cli_changes_nothing() {
    let db = TestDb::empty().await;
    let first = cli_migrate(db.url());
    assert!(first.contains(&applied_all()), "{first}");
    let after_first = catalog_snapshot(db.pool()).await;

    let second = cli_migrate(db.url());
    assert!(second.contains("already up to date"), "{second}");
    assert_eq!(catalog_snapshot(db.pool()).await, after_first);
}

#[tokio::test]
async fn db_migrate_takes_the_url_from_database_url() {
    let db = TestDb::empty().await;
    let output = Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(["db", "migrate"])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains(&applied_all()));
}

#[test]
fn db_migrate_on_an_unreachable_database_exits_2_with_one_clear_line() {
    // A port nobody listens on: bind one, note it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://party:s3cret@127.0.0.1:{port}/party");

    let started = Instant::now();
    let output = nb_exodus(&["db", "migrate", "--database-url", &url]);
    let elapsed = started.elapsed();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "exactly one line: {stderr}"
    );
    assert!(
        stderr.starts_with("error: cannot connect to PostgreSQL at "),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}/party")),
        "names host, port and database: {stderr}"
    );
    assert!(
        stderr.contains("connection refused"),
        "names the cause: {stderr}"
    );
    assert!(stderr.contains("DATABASE_URL"), "names the fix: {stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "never shows the password: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn db_migrate_without_a_url_is_a_usage_error() {
    let output = nb_exodus(&["db", "migrate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--database-url"));
}

#[test]
fn db_migrate_help_explains_the_flag_with_an_example() {
    let output = nb_exodus(&["db", "migrate", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--database-url <URL>"), "{help}");
    assert!(help.contains("DATABASE_URL"), "{help}");
    assert!(help.contains("Example:"), "{help}");
}

#[tokio::test]
async fn the_agreed_keys_and_checks_are_enforced() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO sync.runs (nation, api) VALUES ('demo', 'v2') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let sha = "a".repeat(64);

    // (nation, source_id) is unique; the same id in another nation is fine.
    let insert_person =
        "INSERT INTO core.people (nation, source_id, given_name, run_id, raw_sha256)
                         VALUES ($1, '42', 'Ada', $2, $3)";
    for nation in ["demo", "other"] {
        sqlx::query(insert_person)
            .bind(nation)
            .bind(run_id)
            .bind(&sha)
            .execute(pool)
            .await
            .unwrap();
    }
    let duplicate = sqlx::query(insert_person)
        .bind("demo")
        .bind(run_id)
        .bind(&sha)
        .execute(pool)
        .await;
    assert!(
        duplicate.is_err(),
        "duplicate (nation, source_id) must be refused"
    );

    // One primary email per person.
    let insert_email = "INSERT INTO core.email_addresses (nation, source_id, person_source_id, address, is_primary)
                        VALUES ('demo', $1, '42', $2, $3)";
    sqlx::query(insert_email)
        .bind("42:email")
        .bind("ada@example.eu")
        .bind(true)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(insert_email)
        .bind("42:email1")
        .bind("ada@work.eu")
        .bind(false)
        .execute(pool)
        .await
        .unwrap();
    let second_primary = sqlx::query(insert_email)
        .bind("42:email2")
        .bind("ada@home.eu")
        .bind(true)
        .execute(pool)
        .await;
    assert!(
        second_primary.is_err(),
        "a second primary email must be refused"
    );

    // Donations: a NULL donor is allowed, money is minor units plus an ISO currency code.
    sqlx::query(
        "INSERT INTO core.donations (nation, source_id, person_source_id, amount_minor, currency, status)
         VALUES ('demo', '7', NULL, 7700, 'EUR', 'succeeded')",
    )
    .execute(pool)
    .await
    .unwrap();
    let bad_currency = sqlx::query(
        "INSERT INTO core.donations (nation, source_id, amount_minor, currency) VALUES ('demo', '8', 1, 'eu')",
    )
    .execute(pool)
    .await;
    assert!(
        bad_currency.is_err(),
        "currency must be an upper-case ISO 4217 code"
    );

    // A reject without a source id is recorded once per (resource, field), NULLs included.
    let insert_reject = "INSERT INTO sync.rejects (nation, resource, source_id, field, reason)
                         VALUES ('demo', 'people', NULL, NULL, 'no id')";
    sqlx::query(insert_reject).execute(pool).await.unwrap();
    assert!(
        sqlx::query(insert_reject).execute(pool).await.is_err(),
        "NULLS NOT DISTINCT"
    );

    // Consent facts get their provenance by default.
    let provenance: String = sqlx::query_scalar(
        "INSERT INTO gdpr.consent_facts (nation, source_id, person_source_id, flag, value)
         VALUES ('demo', '42:email_opt_in', '42', 'email_opt_in', 'true') RETURNING provenance",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(
        provenance.contains("NOT evidence of consent"),
        "{provenance}"
    );

    // The raw archive is unique per resource, not per nation.
    let insert_raw =
        "INSERT INTO raw.records (nation, resource, source_id, api, body, sha256, run_id)
                      VALUES ('demo', $1, '42', 'v2', '{\"id\": \"42\"}', $2, $3)";
    sqlx::query(insert_raw)
        .bind("people")
        .bind(&sha)
        .bind(run_id)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(insert_raw)
        .bind("donations")
        .bind(&sha)
        .bind(run_id)
        .execute(pool)
        .await
        .unwrap();
    assert!(sqlx::query(insert_raw)
        .bind("people")
        .bind(&sha)
        .bind(run_id)
        .execute(pool)
        .await
        .is_err());

    let tables: BTreeSet<String> = columns(pool).await.into_keys().collect();
    assert!(tables.contains("sensitive.person_attributes"));
}

/// The loader keeps text within the B-tree index row limit for exactly the columns an index
/// covers: each catalogue table's `indexed` list (plus every `source_id`) must name every indexed text
/// column of the mapped schemas, or a long value there would stop a page again (issue 9).
#[tokio::test]
async fn the_indexed_text_columns_are_the_ones_the_loader_checks() {
    let db = TestDb::new().await;
    let indexed: BTreeSet<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT n.nspname || '.' || c.relname, a.attname::text
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_am am ON am.oid = ic.relam
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
          WHERE n.nspname IN ('core', 'sensitive', 'gdpr') AND am.amname = 'btree'
            AND a.atttypid = 'text'::regtype AND a.attname NOT IN ('nation', 'source_id')",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    let checked: BTreeSet<(String, String)> = TableId::all()
        .flat_map(|id| {
            let table = id.table();
            table
                .indexed
                .iter()
                .map(|c| (table.qualified.to_owned(), (*c).to_owned()))
        })
        .collect();
    assert_eq!(indexed, checked);
}
