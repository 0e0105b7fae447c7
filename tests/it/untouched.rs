//! What must stay untouched (issue 9, items 3 and 15): `verify` writes nothing into the
//! database it checks but its own row in `audit.verifications` — it never creates the schema or
//! the manifest salt, and refuses what it cannot verify before any request to the API — and
//! `demo` never writes into a real database, whether `DATABASE_URL` points at one or
//! `--database-url` names one that holds another nation.

use std::process::Command;
use std::time::{Duration, Instant};

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::simulator::{FaultConfig, RunningSimulator, Simulator, SimulatorConfig};
use nb_exodus::verify::{self, salt, OfflineConfig, VerifyError};
use sqlx::PgPool;

use crate::migrate::{config_for, sim};
use crate::support::db::TestDb;
use crate::verify::verify_config_for;

const NATION: &str = "testnation";

/// Everything verify or demo could change, as sorted lines: every schema, relation and column
/// outside PostgreSQL's own, and each table's row count and content hash and each sequence's
/// position, except `audit.verifications` (verify's log, which may gain rows) and its id.
async fn snapshot(pool: &PgPool) -> Vec<String> {
    const USER: &str = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";
    let mut lines: Vec<String> = Vec::new();
    for query in [
        format!("SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE {USER}"),
        format!(
            "SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER}"
        ),
        format!(
            "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' '
                    || format_type(a.atttypid, a.atttypmod)
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE {USER} AND a.attnum > 0 AND NOT a.attisdropped"
        ),
    ] {
        let rows: Vec<String> = sqlx::query_scalar(&query).fetch_all(pool).await.unwrap();
        lines.extend(rows);
    }
    let relations: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE {USER} AND c.relkind IN ('r', 'p', 'S')
            AND NOT (n.nspname = 'audit' AND c.relname LIKE 'verifications%')"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    for (schema, name, kind) in relations {
        let qualified = format!("\"{schema}\".\"{name}\"");
        let sql = if kind == "S" {
            format!(
                "SELECT 'sequence {schema}.{name} ' || last_value || ' ' || is_called FROM {qualified}"
            )
        } else {
            format!(
                "SELECT 'rows {schema}.{name} ' || count(*) || ' '
                        || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))
                   FROM {qualified} t"
            )
        };
        let line: String = sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap();
        lines.push(line);
    }
    lines.sort();
    lines
}

/// Asserts two snapshots are equal, showing only the lines that differ.
fn assert_same(before: &[String], after: &[String], what: &str) {
    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "{what}: changed the database; before only: {gone:#?}, after only: {new:#?}"
    );
}

async fn verifications(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit.verifications")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The stored salt of the nation and when it was made.
async fn stored_salt(pool: &PgPool) -> Option<(Vec<u8>, chrono::DateTime<chrono::Utc>)> {
    sqlx::query_as("SELECT salt, created_at FROM audit.export_salts WHERE nation = $1")
        .bind(NATION)
        .fetch_optional(pool)
        .await
        .unwrap()
}

/// Runs the binary with a clean environment plus `env`; (exit code, stdout, stderr).
fn nbx(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("NATIONBUILDER_API_TOKEN")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `nb-exodus verify` online against `sim` and `db_url`, through the binary.
fn verify_bin(sim: &RunningSimulator, db_url: &str, out: &std::path::Path) -> (i32, String) {
    let (code, stdout, stderr) = nbx(
        &[
            "verify",
            "--nation",
            NATION,
            "--api-base",
            sim.base_url(),
            "--database-url",
            db_url,
            "--rate-limit",
            "off",
            "--sample",
            "20",
            "--out",
            &out.to_string_lossy(),
        ],
        &[("NATIONBUILDER_API_TOKEN", &sim.config().token)],
    );
    assert!(!stdout.contains("report:"), "no report written: {stdout}");
    (code, stderr)
}

/// Asserts that `stderr` is exactly one `error:` line and returns it.
fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.trim().lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0]
}

/// A nation of `people` exported into a fresh database.
async fn exported(people: u64) -> (RunningSimulator, TestDb) {
    let sim = sim(people);
    let db = TestDb::new().await;
    migrate_with(&config_for(&sim, &db, MigrateArgs::default()), false)
        .await
        .expect("migrate succeeds");
    (sim, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_against_an_empty_database_creates_nothing_and_says_so() {
    let db = TestDb::empty().await;
    let sim = sim(20);
    let before = snapshot(db.pool()).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = verify_bin(&sim, db.url(), &dir.path().join("out"));
    assert_eq!(code, 2, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains("has no nb-exodus schema")
            && line.contains(NATION)
            && line.contains("nb-exodus migrate"),
        "{line}"
    );
    assert_same(
        &before,
        &snapshot(db.pool()).await,
        "verify created nothing",
    );
    let schemas: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_namespace WHERE nspname IN ('sync', 'raw', 'core', 'sensitive', 'gdpr', 'audit')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(schemas, 0, "no nb-exodus schema was created");
    assert_eq!(sim.manifest().requests, 0, "no request to the API");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_refuses_unfinished_exports_before_any_request() {
    let db = TestDb::new().await;
    // A run that failed at once (the token is refused): sync.runs holds it as 'failed'.
    let source = sim(50);
    let mut config = config_for(&source, &db, MigrateArgs::default());
    config.token = "not-the-token".into();
    migrate_with(&config, false)
        .await
        .expect_err("a refused token fails the run");
    source.shutdown().await;
    let status: Vec<String> = sqlx::query_scalar("SELECT status FROM sync.runs")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(status, ["failed"]);

    let auditor = sim(50);
    let dir = tempfile::tempdir().unwrap();
    let before = snapshot(db.pool()).await;
    let (code, stderr) = verify_bin(&auditor, db.url(), &dir.path().join("a"));
    assert_eq!(code, 2, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains(&format!("holds no finished export of nation \"{NATION}\""))
            && line.contains("the last failed")
            && line.contains("nb-exodus migrate"),
        "{line}"
    );
    assert_eq!(auditor.manifest().requests, 0, "no request to the API");
    assert_same(&before, &snapshot(db.pool()).await, "verify");

    // A partial export: records archived, its run killed while 'running'.
    let slow = Simulator::start(
        SimulatorConfig {
            people: 3000,
            rate_limit: None,
            faults: FaultConfig {
                latency: Duration::from_millis(40),
                ..FaultConfig::default()
            },
            ..SimulatorConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    // Another source than the failed run's: --restart re-binds the nation to it.
    let restart = MigrateArgs {
        restart: true,
        ..MigrateArgs::default()
    };
    let config = config_for(&slow, &db, restart);
    let run = tokio::spawn(async move { migrate_with(&config, false).await });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let archived: i64 = sqlx::query_scalar("SELECT count(*) FROM raw.records")
            .fetch_one(db.pool())
            .await
            .unwrap();
        if archived > 0 {
            break;
        }
        if run.is_finished() {
            panic!("the run ended before its first page: {:?}", run.await);
        }
        assert!(Instant::now() < deadline, "no page committed within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.abort();
    let _ = run.await;
    slow.shutdown().await;
    // The run's tasks stop at their next await; wait until none of its sessions is busy.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let busy: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        if busy == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the killed run's sessions stay busy"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = snapshot(db.pool()).await;
    let (code, stderr) = verify_bin(&auditor, db.url(), &dir.path().join("b"));
    assert_eq!(code, 2, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains("holds no finished export") && line.contains("still running or was killed"),
        "{line}"
    );
    assert_eq!(auditor.manifest().requests, 0, "no request to the API");
    assert_same(&before, &snapshot(db.pool()).await, "verify");
    auditor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_refuses_a_schema_that_is_not_this_binarys() {
    let (sim, db) = exported(40).await;
    let dir = tempfile::tempdir().unwrap();
    let requests = sim.manifest().requests;
    // Newer: a migration this binary does not know.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', true, '\\x00', 0)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let before = snapshot(db.pool()).await;
    let (code, stderr) = verify_bin(&sim, db.url(), &dir.path().join("b"));
    assert_eq!(code, 2, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains("newer nb-exodus") && line.contains("9999"),
        "{line}"
    );
    assert_same(&before, &snapshot(db.pool()).await, "verify");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 9999")
        .execute(db.pool())
        .await
        .unwrap();
    // Older: the newest migration not applied (as after an upgrade of nb-exodus).
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let before = snapshot(db.pool()).await;
    let (code, stderr) = verify_bin(&sim, db.url(), &dir.path().join("a"));
    assert_eq!(code, 2, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains("older nb-exodus schema") && line.contains("nb-exodus db migrate"),
        "{line}"
    );
    assert_same(
        &before,
        &snapshot(db.pool()).await,
        "no migration was applied",
    );
    assert_eq!(sim.manifest().requests, requests, "no request to the API");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_salt_is_made_by_migrate_and_only_read_by_verify() {
    let (sim, db) = exported(120).await;
    let (salt_bytes, created) = stored_salt(db.pool())
        .await
        .expect("migrate created the salt");
    assert_eq!(salt_bytes.len(), 32);
    let expected_id = salt::salt_id(&salt_bytes.clone().try_into().unwrap());

    let report = verify::run(&verify_config_for(&sim, &db, None, 30))
        .await
        .expect("verify runs");
    assert!(report.outcome.balanced);
    assert_eq!(report.manifest.salt_id, expected_id);
    assert_eq!(
        stored_salt(db.pool()).await,
        Some((salt_bytes.clone(), created))
    );
    // Another run (incremental, then --restart) keeps the salt.
    for restart in [false, true] {
        let args = MigrateArgs {
            restart,
            ..MigrateArgs::default()
        };
        migrate_with(&config_for(&sim, &db, args), false)
            .await
            .unwrap();
        assert_eq!(
            stored_salt(db.pool()).await,
            Some((salt_bytes.clone(), created))
        );
    }
    let dir = tempfile::tempdir().unwrap();
    verify::report::write(&report, &dir.path().join("out"), None).unwrap();

    // An export made before migrate created salts: verify says so and creates none.
    sqlx::query("DELETE FROM audit.export_salts")
        .execute(db.pool())
        .await
        .unwrap();
    let requests = sim.manifest().requests;
    let (code, stderr) = verify_bin(&sim, db.url(), &dir.path().join("x"));
    assert_eq!(code, 2, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains("no manifest salt")
            && line.contains("run `nb-exodus migrate` for the nation again"),
        "{line}"
    );
    assert_eq!(stored_salt(db.pool()).await, None, "verify made no salt");
    assert_eq!(sim.manifest().requests, requests, "no request to the API");
    // Offline, the copy cannot get it back: a different fix.
    let report_path = dir.path().join("out/report.json");
    let offline = verify::run_offline(&OfflineConfig {
        report: report_path.clone(),
        database: nb_exodus::database::ConnectionSettings::new(db.url()),
        pubkey: None,
    })
    .await
    .expect_err("no salt offline");
    assert!(
        matches!(offline, VerifyError::SaltMissingFromCopy { .. }),
        "{offline}"
    );

    // migrate makes a new one; verify balances again (with another salt id: new roots).
    migrate_with(&config_for(&sim, &db, MigrateArgs::default()), false)
        .await
        .unwrap();
    let (fresh, _) = stored_salt(db.pool()).await.expect("a new salt");
    assert_ne!(fresh, salt_bytes);
    let again = verify::run(&verify_config_for(&sim, &db, None, 30))
        .await
        .expect("verify runs");
    assert!(again.outcome.balanced);
    assert_eq!(
        again.manifest.salt_id,
        salt::salt_id(&fresh.try_into().unwrap())
    );

    // A copy without the audit schema: one line, exit 2, as before.
    sqlx::query("DROP SCHEMA audit CASCADE")
        .execute(db.pool())
        .await
        .unwrap();
    let (code, _, stderr) = nbx(
        &[
            "verify",
            "--offline",
            "--report",
            &report_path.to_string_lossy(),
            "--database-url",
            db.url(),
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(line.contains("has no audit schema"), "{line}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_verify_changes_nothing_but_its_log_row() {
    let (sim, db) = exported(150).await;
    let before = snapshot(db.pool()).await;
    assert!(before.len() > 300, "the snapshot covers the schema");
    assert!(
        before
            .iter()
            .any(|l| l.starts_with("rows core.people 150 ")),
        "{before:#?}"
    );
    assert_eq!(verifications(db.pool()).await, 0);

    let report = verify::run(&verify_config_for(&sim, &db, None, 299))
        .await
        .expect("verify runs");
    assert!(report.outcome.balanced, "{:#?}", report.findings);
    assert_same(&before, &snapshot(db.pool()).await, "online verify (v2)");
    assert_eq!(verifications(db.pool()).await, 1, "its log row");

    // The second enumeration through v1 translates keys from the archive: reads only too.
    let v1 = verify::run(&verify_config_for(&sim, &db, Some("v1"), 50))
        .await
        .expect("verify --api v1 runs");
    assert!(v1.outcome.balanced, "{:#?}", v1.findings);
    assert_same(&before, &snapshot(db.pool()).await, "online verify (v1)");
    assert_eq!(verifications(db.pool()).await, 2);

    let dir = tempfile::tempdir().unwrap();
    verify::report::write(&report, &dir.path().join("out"), None).unwrap();
    let outcome = verify::run_offline(&OfflineConfig {
        report: dir.path().join("out/report.json"),
        database: nb_exodus::database::ConnectionSettings::new(db.url()),
        pubkey: None,
    })
    .await
    .expect("offline check runs");
    assert_eq!(outcome.exit_code, 0, "{:#?}", outcome.findings);
    assert_same(&before, &snapshot(db.pool()).await, "offline verify");
    assert_eq!(verifications(db.pool()).await, 2, "offline writes no row");
    sim.shutdown().await;
}

/// `nb-exodus demo --people 200 --rate-limit off --quiet --data-dir DIR` plus `extra`.
fn demo(data_dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = data_dir.to_string_lossy();
    let mut args = vec![
        "demo",
        "--people",
        "200",
        "--rate-limit",
        "off",
        "--quiet",
        "--data-dir",
        &dir,
    ];
    args.extend_from_slice(extra);
    nbx(&args, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_ignores_database_url_and_writes_nothing_there() {
    let db = TestDb::empty().await;
    let before = snapshot(db.pool()).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, stdout, stderr) = demo(&data, &[], &[("DATABASE_URL", db.url())]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let notes: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("DATABASE_URL"))
        .collect();
    assert_eq!(notes.len(), 1, "{stdout}");
    assert!(notes[0].contains("demo ignores it"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["core.people", "200", "200"]),
        "{stdout}"
    );
    assert!(stdout.contains(&data.display().to_string()), "{stdout}");
    assert!(!stdout.contains(db.name()), "{stdout}");
    assert_same(&before, &snapshot(db.pool()).await, "nothing written there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_refuses_a_database_holding_another_nation() {
    let (sim, db) = exported(40).await;
    sim.shutdown().await;
    let before = snapshot(db.pool()).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, stdout, stderr) = demo(&data, &["--database-url", db.url()], &[]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains(&format!("nation \"{NATION}\""))
            && line.contains("use an empty database")
            && line.contains("--database-url"),
        "{line}"
    );
    assert_same(&before, &snapshot(db.pool()).await, "nothing written");
    assert!(!data.exists(), "no private cluster was started either");

    // An empty database is fine, and so is a second run over the demo's own nation.
    let empty = TestDb::empty().await;
    for _ in 0..2 {
        let (code, stdout, stderr) = demo(&data, &["--database-url", empty.url()], &[]);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let people: i64 =
            sqlx::query_scalar("SELECT count(*) FROM core.people WHERE nation = 'demo'")
                .fetch_one(empty.pool())
                .await
                .unwrap();
        assert_eq!(people, 200);
    }
}
