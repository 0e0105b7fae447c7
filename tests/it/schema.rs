//! The open schema against a real PostgreSQL: `db migrate` creates every agreed table and column,
//! documents all of them, is idempotent (library and CLI), enforces the agreed keys, and fails
//! fast and readably when the database is unreachable.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use sqlx::PgPool;

use crate::support::db::TestDb;

/// The schemas the open schema consists of.
const SCHEMAS: [&str; 6] = ["core", "raw", "sync", "sensitive", "gdpr", "analysis"];

/// Every table of the agreed design (notes/schema-design.md) and every view (0013) with every
/// column, in order.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "core.people",
        &[
            "id",
            "nation",
            "source_id",
            "given_name",
            "family_name",
            "additional_name",
            "honorific_prefix",
            "honorific_suffix",
            "gender",
            "birthdate",
            "employer",
            "occupation",
            "preferred_language",
            "locale",
            "party_kind",
            "is_volunteer",
            "is_deceased",
            "external_ids",
            "custom_fields",
            "created_date",
            "modified_date",
            "source_api",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "core.email_addresses",
        &[
            "id",
            "nation",
            "source_id",
            "person_source_id",
            "address",
            "address_raw",
            "is_primary",
            "is_bad",
            "source_slot",
            "is_valid",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "core.phone_numbers",
        &[
            "id",
            "nation",
            "source_id",
            "person_source_id",
            "number",
            "number_raw",
            "number_type",
            "is_primary",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "core.postal_addresses",
        &[
            "id",
            "nation",
            "source_id",
            "person_source_id",
            "address_type",
            "is_primary",
            "address_lines",
            "locality",
            "region",
            "postal_code",
            "country",
            "county",
            "latitude",
            "longitude",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "core.tags",
        &[
            "id",
            "nation",
            "source_id",
            "name",
            "taggings_count_reported",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "core.taggings",
        &[
            "id",
            "nation",
            "source_id",
            "person_source_id",
            "tag_source_id",
            "tag_name",
            "created_date",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "core.donations",
        &[
            "id",
            "nation",
            "source_id",
            "person_source_id",
            "amount_minor",
            "currency",
            "status",
            "succeeded_at",
            "failed_at",
            "canceled_at",
            "created_date",
            "modified_date",
            "payment_method",
            "check_number",
            "tracking_code",
            "is_private",
            "is_corporate",
            "donor_given_name",
            "donor_family_name",
            "donor_email",
            "donor_employer",
            "donor_occupation",
            "note",
            "custom_fields",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "sensitive.person_attributes",
        &[
            "id",
            "nation",
            "source_id",
            "person_source_id",
            "attribute",
            "category",
            "value",
            "is_inferred",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "gdpr.consent_facts",
        &[
            "id",
            "nation",
            "source_id",
            "person_source_id",
            "flag",
            "value",
            "source_field",
            "source_modified_date",
            "provenance",
            "run_id",
            "raw_sha256",
            "loaded_at",
        ],
    ),
    (
        "raw.records",
        &[
            "id",
            "nation",
            "resource",
            "source_id",
            "api",
            "body",
            "sha256",
            "fetched_at",
            "run_id",
            "deleted_at_source",
            "body_bytes",
        ],
    ),
    (
        "sync.runs",
        &[
            "id",
            "nation",
            "api",
            "started_at",
            "finished_at",
            "status",
            "tool_version",
            "mapping_sha256",
            "options",
            "error",
            "db_tls",
            "db_tls_version",
            "db_tls_cipher",
            "db_tls_bits",
            "db_sslmode",
            "db_insecure",
        ],
    ),
    (
        "sync.checkpoints",
        &[
            "nation",
            "stream",
            "api",
            "cursor",
            "pages",
            "records",
            "rejects",
            "status",
            "last_error",
            "mapping_sha256",
            "total_reported",
            "run_id",
            "updated_at",
            "source_clock",
            "learned",
        ],
    ),
    (
        "sync.rejects",
        &[
            "id",
            "nation",
            "resource",
            "source_id",
            "field",
            "reason",
            "body",
            "run_id",
            "rejected_at",
            "body_bytes",
            "record_sha256",
        ],
    ),
    (
        "sync.field_dispositions",
        &[
            "nation",
            "resource",
            "source_field",
            "disposition",
            "target",
            "seen_count",
            "run_id",
        ],
    ),
    (
        "sync.page_spool",
        &[
            "nation",
            "stream",
            "cursor",
            "next",
            "total",
            "source_ids",
            "bodies",
            "run_id",
            "fetched_at",
            "body_bytes",
        ],
    ),
    ("sync.nations", &["nation", "source", "bound_at"]),
    (
        "analysis.people",
        &[
            "person_id",
            "nation",
            "source_id",
            "given_name",
            "family_name",
            "additional_name",
            "honorific_prefix",
            "honorific_suffix",
            "gender",
            "birthdate",
            "employer",
            "occupation",
            "preferred_language",
            "party_kind",
            "is_volunteer",
            "is_deceased",
            "email",
            "email_is_bad",
            "email_is_valid",
            "phone",
            "phone_raw",
            "phone_type",
            "address_type",
            "address_line1",
            "address_line2",
            "address_line3",
            "locality",
            "region",
            "postal_code",
            "country",
            "created_date",
            "modified_date",
        ],
    ),
    (
        "analysis.consent",
        &[
            "person_id",
            "nation",
            "source_id",
            "email_opt_in",
            "mobile_opt_in",
            "do_not_call",
            "do_not_contact",
            "federal_donotcall",
            "unsubscribed_at",
            "flags_as_of",
            "provenance",
            "flags_recorded",
        ],
    ),
    (
        "analysis.person_tags",
        &[
            "person_id",
            "tag_id",
            "tag_name",
            "tagged_at",
            "nation",
            "person_source_id",
            "tag_source_id",
        ],
    ),
    (
        "analysis.donations",
        &[
            "donation_id",
            "nation",
            "source_id",
            "donor_person_id",
            "donor_name",
            "donor_given_name",
            "donor_family_name",
            "donor_email",
            "donor_employer",
            "donor_occupation",
            "amount",
            "amount_minor",
            "currency",
            "status",
            "succeeded_at",
            "created_date",
            "payment_method",
            "tracking_code",
            "is_private",
            "is_corporate",
        ],
    ),
    (
        "sensitive.person_attributes_by_person",
        &[
            "person_id",
            "nation",
            "source_id",
            "party",
            "party_member",
            "previous_party",
            "support_level",
            "inferred_party",
            "inferred_support_level",
            "priority_level",
            "religion",
            "church",
            "ethnicity",
            "marital_status",
            "note",
            "other_attributes",
            "attributes_recorded",
        ],
    ),
];

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

/// Columns of every table in the open schema's schemas, as `schema.table` → column names in
/// their order.
async fn columns(pool: &PgPool) -> BTreeMap<String, Vec<String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema || '.' || table_name, column_name::text
           FROM information_schema.columns
          WHERE table_schema = ANY($1)
          ORDER BY table_schema, table_name, ordinal_position",
    )
    .bind(&SCHEMAS[..])
    .fetch_all(pool)
    .await
    .expect("reading information_schema.columns");
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        tables.entry(table).or_default().push(column);
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

#[tokio::test]
async fn db_migrate_on_an_empty_database_creates_every_agreed_table_and_column() {
    let db = TestDb::empty().await;
    assert!(
        columns(db.pool()).await.is_empty(),
        "a fresh database has none of our tables"
    );

    let stdout = cli_migrate(db.url());
    assert!(stdout.contains(&applied_all()), "summary line: {stdout}");
    assert_eq!(stdout.lines().count(), 1, "one summary line: {stdout}");

    let actual = columns(db.pool()).await;
    let expected: BTreeMap<String, Vec<String>> = EXPECTED
        .iter()
        .map(|(table, cols)| {
            (
                (*table).to_owned(),
                cols.iter().map(|c| (*c).to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
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
    assert_eq!(tables.len(), EXPECTED.len(), "tables: {tables:?}");

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
    let expected_columns: usize = EXPECTED.iter().map(|(_, cols)| cols.len()).sum();
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
/// covers: `target::INDEXED_COLUMNS` (plus every `source_id`) must name every indexed text
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
    let checked: BTreeSet<(String, String)> = nb_exodus::mapping::target::INDEXED_COLUMNS
        .iter()
        .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(indexed, checked);
}
