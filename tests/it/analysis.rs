//! The analyst's side of an export: the `analysis` views (and the per-person view of the
//! sensitive attributes) over a simulated nation exported by `migrate`, checked against the
//! core tables they read; and `nb-exodus db grants --print` applied to a real database, with a
//! login role in each group proving what it can and cannot read, and the auditor running
//! `verify` online and offline.

use std::process::Command;

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::database::ConnectionSettings;
use nb_exodus::simulator::RunningSimulator;
use nb_exodus::verify::report::{Finding, FindingClass};
use nb_exodus::verify::{self, OfflineConfig};
use sqlx::{Connection, PgConnection, PgPool};

use crate::migrate::{config_for, sim};
use crate::support::db::TestDb;

/// A nation of `people` exported into a fresh database.
async fn exported(people: u64) -> (RunningSimulator, TestDb) {
    let sim = sim(people);
    let db = TestDb::new().await;
    let config = config_for(&sim, &db, MigrateArgs::default());
    let summary = migrate_with(&config, false)
        .await
        .expect("migrate succeeds");
    assert_eq!(summary.rejects, 0);
    (sim, db)
}

async fn int(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, Option<i64>>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .unwrap_or(0)
}

/// Asserts that two counting queries agree and are not both zero (unless `may_be_zero`).
async fn same(pool: &PgPool, view: &str, core: &str, may_be_zero: bool) -> i64 {
    let (v, c) = (int(pool, view).await, int(pool, core).await);
    assert_eq!(v, c, "\n  view: {view}\n  core: {core}");
    assert!(may_be_zero || v > 0, "nothing to compare: {view}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analysis_views_agree_with_the_core_tables() {
    let (sim, db) = exported(300).await;
    let pool = db.pool();
    // A donor deleted at source and reconciled by a second run: gone from core.people (and so
    // from the views), kept in the archive, and their donations kept.
    let donor: String = sqlx::query_scalar(
        "SELECT d.person_source_id FROM core.donations d JOIN core.people p
             ON p.nation = d.nation AND p.source_id = d.person_source_id
          ORDER BY length(d.person_source_id), d.person_source_id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(sim.delete_person(donor.parse().unwrap()));
    migrate_with(&config_for(&sim, &db, MigrateArgs::default()), false)
        .await
        .expect("second run reconciles");
    same(
        pool,
        "SELECT count(*) FROM analysis.people",
        "SELECT count(*) FROM raw.records WHERE resource = 'people' AND deleted_at_source IS NULL",
        false,
    )
    .await;
    assert_eq!(
        int(
            pool,
            &format!("SELECT count(*) FROM analysis.people WHERE source_id = '{donor}'")
        )
        .await,
        0
    );
    assert!(
        int(
            pool,
            &format!(
                "SELECT count(*) FROM analysis.donations
                  WHERE donor_person_id IS NULL AND donor_name IS NOT NULL
                    AND source_id IN (SELECT source_id FROM core.donations
                                       WHERE person_source_id = '{donor}')"
            )
        )
        .await
            > 0,
        "a deleted donor's donations keep the donor's name from the donation"
    );

    // People: one row per person, the primary e-mail, and an address wherever there is one.
    same(
        pool,
        "SELECT count(*) FROM analysis.people",
        "SELECT count(*) FROM core.people",
        false,
    )
    .await;
    same(
        pool,
        "SELECT count(DISTINCT person_id) FROM analysis.people",
        "SELECT count(*) FROM core.people",
        false,
    )
    .await;
    same(
        pool,
        "SELECT count(email) FROM analysis.people",
        "SELECT count(address) FROM core.email_addresses WHERE is_primary",
        false,
    )
    .await;
    assert_eq!(
        int(
            pool,
            "SELECT count(*) FROM analysis.people a
               JOIN core.email_addresses e
                 ON e.nation = a.nation AND e.person_source_id = a.source_id AND e.is_primary
              WHERE a.email IS DISTINCT FROM e.address"
        )
        .await,
        0,
        "every primary address is the one shown"
    );
    same(
        pool,
        "SELECT count(address_type) FROM analysis.people",
        "SELECT count(DISTINCT (nation, person_source_id)) FROM core.postal_addresses",
        false,
    )
    .await;
    same(
        pool,
        "SELECT count(phone_raw) FROM analysis.people",
        "SELECT count(DISTINCT (nation, person_source_id)) FROM core.phone_numbers
          WHERE number_type IS DISTINCT FROM 'fax'",
        false,
    )
    .await;
    assert_eq!(
        int(
            pool,
            "SELECT count(*) FROM analysis.people a
              WHERE a.country IS NOT NULL AND NOT EXISTS (
                    SELECT FROM core.postal_addresses pa
                     WHERE pa.nation = a.nation AND pa.person_source_id = a.source_id
                       AND pa.country = a.country)"
        )
        .await,
        0,
        "every country shown is one of the person's addresses"
    );
    assert!(int(pool, "SELECT count(country) FROM analysis.people").await > 0);

    // Consent: one row per person, one column per flag, every fact counted once.
    same(
        pool,
        "SELECT count(*) FROM analysis.consent",
        "SELECT count(*) FROM core.people",
        false,
    )
    .await;
    same(
        pool,
        "SELECT sum(flags_recorded)::bigint FROM analysis.consent",
        "SELECT count(*) FROM gdpr.consent_facts",
        false,
    )
    .await;
    for flag in [
        "email_opt_in",
        "mobile_opt_in",
        "do_not_call",
        "do_not_contact",
        "federal_donotcall",
    ] {
        same(
            pool,
            &format!("SELECT count(*) FROM analysis.consent WHERE {flag}"),
            &format!(
                "SELECT count(*) FROM gdpr.consent_facts WHERE flag = '{flag}' AND value = 'true'"
            ),
            true,
        )
        .await;
    }
    same(
        pool,
        "SELECT count(*) FROM analysis.consent WHERE email_opt_in",
        "SELECT count(*) FROM gdpr.consent_facts WHERE flag = 'email_opt_in' AND value = 'true'",
        false,
    )
    .await;
    same(
        pool,
        "SELECT count(unsubscribed_at) FROM analysis.consent",
        "SELECT count(*) FROM gdpr.consent_facts
          WHERE flag = 'unsubscribed_at' AND jsonb_typeof(value) = 'string'",
        true,
    )
    .await;
    assert_eq!(
        int(
            pool,
            "SELECT count(*) FROM analysis.consent
              WHERE flags_recorded > 0 AND provenance NOT LIKE '%NOT evidence of consent%'"
        )
        .await,
        0,
        "the provenance says what the flags do not prove"
    );

    // Tags per person, donations with donors.
    same(
        pool,
        "SELECT count(*) FROM analysis.person_tags",
        "SELECT count(*) FROM core.taggings",
        false,
    )
    .await;
    same(
        pool,
        "SELECT count(*) FROM analysis.person_tags WHERE person_id IS NOT NULL AND tag_id IS NOT NULL",
        "SELECT count(*) FROM core.taggings tg
          WHERE EXISTS (SELECT FROM core.people p
                         WHERE p.nation = tg.nation AND p.source_id = tg.person_source_id)
            AND EXISTS (SELECT FROM core.tags t
                         WHERE t.nation = tg.nation AND t.source_id = tg.tag_source_id)",
        false,
    )
    .await;
    assert_eq!(
        int(
            pool,
            "SELECT count(*) FROM analysis.person_tags WHERE tag_name IS NULL"
        )
        .await,
        0
    );
    same(
        pool,
        "SELECT count(*) FROM analysis.donations",
        "SELECT count(*) FROM core.donations",
        false,
    )
    .await;
    same(
        pool,
        "SELECT sum(amount_minor)::bigint FROM analysis.donations",
        "SELECT sum(amount_minor)::bigint FROM core.donations",
        false,
    )
    .await;
    same(
        pool,
        "SELECT count(donor_person_id) FROM analysis.donations",
        "SELECT count(*) FROM core.donations d
          WHERE EXISTS (SELECT FROM core.people p
                         WHERE p.nation = d.nation AND p.source_id = d.person_source_id)",
        false,
    )
    .await;
    assert_eq!(
        int(
            pool,
            "SELECT count(*) FROM analysis.donations
              WHERE amount * 100 <> amount_minor AND currency = 'USD'"
        )
        .await,
        0,
        "amounts are in major units"
    );
    assert_eq!(
        int(
            pool,
            "SELECT count(*) FROM analysis.donations d JOIN analysis.people p
                 ON p.person_id = d.donor_person_id
              WHERE d.donor_name IS DISTINCT FROM
                    nullif(concat_ws(' ', p.given_name, p.family_name), '')
                AND (p.given_name IS NOT NULL OR p.family_name IS NOT NULL)"
        )
        .await,
        0,
        "a known donor is named as in core.people"
    );

    // Sensitive attributes: one row per person who has any, every attribute counted once.
    same(
        pool,
        "SELECT count(*) FROM sensitive.person_attributes_by_person",
        "SELECT count(DISTINCT (nation, person_source_id)) FROM sensitive.person_attributes",
        false,
    )
    .await;
    same(
        pool,
        "SELECT sum(attributes_recorded)::bigint FROM sensitive.person_attributes_by_person",
        "SELECT count(*) FROM sensitive.person_attributes",
        false,
    )
    .await;
    same(
        pool,
        "SELECT count(religion) FROM sensitive.person_attributes_by_person",
        "SELECT count(*) FROM sensitive.person_attributes WHERE attribute = 'religion'",
        true,
    )
    .await;
    same(
        pool,
        "SELECT count(support_level) FROM sensitive.person_attributes_by_person",
        "SELECT count(*) FROM sensitive.person_attributes
          WHERE attribute = 'support_level' AND jsonb_typeof(value) = 'number'",
        true,
    )
    .await;

    // The README's example queries run as written.
    for sql in readme_queries() {
        sqlx::query(&sql)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|err| panic!("README query fails: {err}\n{sql}"));
    }
}

/// The SQL statements of the README's ```sql blocks that read the analysis views.
fn readme_queries() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_sql = false;
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_sql = !in_sql && trimmed.starts_with("```sql");
            continue;
        }
        if !in_sql || trimmed.starts_with("--") {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.trim_end().ends_with(';') {
            let statement = std::mem::take(&mut current);
            if statement.contains("analysis.") {
                out.push(statement);
            }
        }
    }
    assert!(out.len() >= 2, "the README shows analysis queries: {out:?}");
    out
}

/// `url` with its user replaced by `user`.
fn as_user(url: &str, user: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_username(user).unwrap();
    parsed.set_password(None).unwrap();
    parsed.to_string()
}

/// Whether `user` may run `sql`; any error other than a privilege error fails the test.
async fn allowed(url: &str, user: &str, sql: &str) -> bool {
    let mut conn = PgConnection::connect(&as_user(url, user))
        .await
        .unwrap_or_else(|err| panic!("{user} connects: {err}"));
    let outcome = sqlx::raw_sql(sql).execute(&mut conn).await;
    let _ = conn.close().await;
    match outcome {
        Ok(_) => true,
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42501") => false,
        Err(err) => panic!("{user}: {sql}: {err}"),
    }
}

fn grants_sql(prefix: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(["db", "grants", "--print", "--prefix", prefix])
        .env_remove("DATABASE_URL")
        .output()
        .expect("nb-exodus runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "SQL only, on stdout");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_roles_read_what_they_should_and_the_auditor_can_verify() {
    let (sim, db) = exported(120).await;
    // Role names are cluster-wide: a prefix of this database's own keeps runs apart.
    let prefix = format!("t{}", &db.name()[db.name().len() - 12..]);
    let sql = grants_sql(&prefix);
    for _ in 0..2 {
        sqlx::raw_sql(&sql)
            .execute(db.pool())
            .await
            .unwrap_or_else(|err| panic!("the printed SQL applies (twice): {err}\n{sql}"));
    }
    let reader = format!("{prefix}_alice");
    let sensitive = format!("{prefix}_dpo");
    let auditor = format!("{prefix}_auditor_bob");
    sqlx::raw_sql(&format!(
        "CREATE ROLE {reader} LOGIN IN ROLE {prefix}_reader;
         CREATE ROLE {sensitive} LOGIN IN ROLE {prefix}_sensitive_reader;
         CREATE ROLE {auditor} LOGIN IN ROLE {prefix}_auditor;
         -- A later migration's table: the default privileges cover it.
         CREATE TABLE core.later_table (x int);
         CREATE VIEW analysis.later_view AS SELECT 1 AS x;"
    ))
    .execute(db.pool())
    .await
    .unwrap();
    let url = db.url();

    for sql in [
        "SELECT count(*) FROM analysis.people",
        "SELECT count(*) FROM analysis.consent",
        "SELECT count(*) FROM analysis.person_tags",
        "SELECT count(*) FROM analysis.donations",
        "SELECT count(*) FROM core.people",
        "SELECT count(*) FROM gdpr.consent_facts",
        "SELECT count(*) FROM core.later_table",
        "SELECT count(*) FROM analysis.later_view",
    ] {
        assert!(allowed(url, &reader, sql).await, "reader: {sql}");
    }
    for sql in [
        "SELECT count(*) FROM sensitive.person_attributes",
        "SELECT count(*) FROM sensitive.person_attributes_by_person",
        "SELECT count(*) FROM raw.records",
        "SELECT count(*) FROM audit.export_salts",
        "SELECT count(*) FROM sync.rejects",
        "UPDATE core.people SET given_name = 'x'",
    ] {
        assert!(!allowed(url, &reader, sql).await, "reader must not: {sql}");
    }

    for sql in [
        "SELECT count(*) FROM sensitive.person_attributes_by_person",
        "SELECT count(*) FROM sensitive.person_attributes",
        "SELECT count(*) FROM raw.records",
    ] {
        assert!(
            allowed(url, &sensitive, sql).await,
            "sensitive reader: {sql}"
        );
    }
    for sql in [
        "SELECT count(*) FROM audit.export_salts",
        "DELETE FROM sensitive.person_attributes",
    ] {
        assert!(
            !allowed(url, &sensitive, sql).await,
            "sensitive reader must not: {sql}"
        );
    }

    for sql in [
        "UPDATE core.people SET given_name = 'x'",
        "DELETE FROM raw.records",
        "UPDATE audit.verifications SET outcome = 'balanced'",
        "DELETE FROM audit.verifications",
        "INSERT INTO audit.export_salts (nation, salt) VALUES ('x', decode(repeat('00', 32), 'hex'))",
        "CREATE TABLE core.mine (x int)",
    ] {
        assert!(!allowed(url, &auditor, sql).await, "auditor must not: {sql}");
    }

    // The auditor verifies online (its one write, the log row, succeeds), then re-checks the
    // report offline (which writes nothing).
    let logged_before = int(db.pool(), "SELECT count(*) FROM audit.verifications").await;
    let mut config = crate::verify::verify_config_for(&sim, &db, None, 30);
    config.database = ConnectionSettings::new(as_user(url, &auditor));
    let report = verify::run(&config).await.expect("the auditor verifies");
    let defects: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.class == FindingClass::Defect)
        .collect();
    assert_eq!(defects, Vec::<&Finding>::new());
    assert!(report.outcome.balanced);
    let dir = tempfile::tempdir().unwrap();
    verify::report::write(&report, dir.path(), None).unwrap();
    let offline = verify::run_offline(&OfflineConfig {
        report: dir.path().join("report.json"),
        database: ConnectionSettings::new(as_user(url, &auditor)),
        pubkey: None,
    })
    .await
    .expect("the auditor re-checks offline");
    assert_eq!(offline.exit_code, 0, "{:?}", offline.findings);
    assert_eq!(
        int(db.pool(), "SELECT count(*) FROM audit.verifications").await,
        logged_before + 1,
        "the online verification logged by the auditor"
    );

    // Roles outlive the database: remove them (a server named by DATABASE_URL keeps its roles).
    let mut drop = String::new();
    for role in [reader, sensitive, auditor] {
        drop.push_str(&format!("DROP ROLE {role};\n"));
    }
    for group in ["reader", "sensitive_reader", "auditor"] {
        drop.push_str(&format!(
            "DROP OWNED BY {prefix}_{group}; DROP ROLE {prefix}_{group};\n"
        ));
    }
    sqlx::raw_sql(&drop)
        .execute(db.pool())
        .await
        .unwrap_or_else(|err| panic!("{drop}: {err}"));
}
