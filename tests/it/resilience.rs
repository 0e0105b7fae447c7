//! Faults around a run, end to end with the real binary: a PostgreSQL restart, crash and
//! read-only switch in the middle of a run (each on a private cluster of its own), SIGINT and
//! SIGTERM, crashes at named failpoints, and a nation read from a second source. Every case
//! ends with tables identical to an uninterrupted run's, or with a clear stop that changed
//! nothing.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nb_exodus::database::cluster::{PrivateCluster, ShutdownMode};
use nb_exodus::simulator::{RunningSimulator, SimulatorConfig};
use sqlx::{PgPool, Row};

use crate::migrate::{migrate_cmd, sim_with, table_hashes};
use crate::support::db::TestDb;

/// The flags of every run here: small pages so there are many, paced so a run lasts a few
/// seconds.
const FLAGS: [&str; 4] = ["--page-size", "20", "--rate-limit", "150/1s"];

fn nation(people: u64) -> RunningSimulator {
    sim_with(SimulatorConfig {
        people,
        rate_limit: None,
        ..SimulatorConfig::default()
    })
}

/// The tables of an uninterrupted run of `sim`.
async fn reference(sim: &RunningSimulator) -> (TestDb, Vec<(String, i64, String)>) {
    let db = TestDb::new().await;
    let out = migrate_cmd(sim, db.url(), &sim.config().token)
        .args(FLAGS)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hashes = table_hashes(db.pool()).await;
    (db, hashes)
}

/// Pages committed so far (0 before the schema exists).
async fn pages(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(pages), 0)::bigint FROM sync.checkpoints")
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

/// Waits until `child`'s run has committed at least `n` pages; panics if it ends first.
async fn wait_for_pages(child: &mut Child, pool: &PgPool, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while pages(pool).await < n {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before {n} pages"
        );
        assert!(Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The child's exit code and stderr once it ends (bounded).
fn finish(child: Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A private cluster of this test's own (so it can be restarted) and a pool on it.
async fn own_cluster() -> (PrivateCluster, PgPool) {
    let _turn = crate::support::db::shared_turn();
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start_temporary)
        .await
        .unwrap()
        .expect("a private cluster starts");
    let pool =
        nb_exodus::database::connect(&nb_exodus::database::ConnectionSettings::new(cluster.url()))
            .await
            .unwrap();
    (cluster, pool)
}

async fn restart_in_the_middle(mode: ShutdownMode) {
    let sim = nation(1500);
    let (_reference_db, expected) = reference(&sim).await;
    let (mut cluster, pool) = own_cluster().await;
    let url = cluster.url();
    let mut child = migrate_cmd(&sim, &url, &sim.config().token)
        .args(FLAGS)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_pages(&mut child, &pool, 15).await;
    pool.close().await;
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.restart(mode).expect("the cluster restarts");
        cluster
    })
    .await
    .unwrap();
    let pool =
        nb_exodus::database::connect(&nb_exodus::database::ConnectionSettings::new(cluster.url()))
            .await
            .unwrap();
    let before = pages(&pool).await;
    // The run goes on after the restart and, holding the nation's lock again, keeps a second
    // run out.
    wait_for_pages(&mut child, &pool, before + 3).await;
    let second = migrate_cmd(&sim, &url, &sim.config().token)
        .args(FLAGS)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another nb-exodus run"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(0), "the same run completes: {stderr}");
    assert_eq!(
        table_hashes(&pool).await,
        expected,
        "tables equal an uninterrupted run's"
    );
    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM sync.runs WHERE status = 'done'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(done, 1, "one run, done");
    pool.close().await;
    drop(cluster);
    sim.shutdown().await;
}

/// `pg_ctl restart -m fast` in the middle of a run: the run reconnects, retries the page and
/// completes in the same process with the tables of an uninterrupted run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_rides_through_a_database_restart() {
    restart_in_the_middle(ShutdownMode::Fast).await;
}

/// The same across a crash of the server (`-m immediate`: crash recovery on restart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_rides_through_a_database_crash() {
    restart_in_the_middle(ShutdownMode::Immediate).await;
}

/// A database that turns read-only and stays so: the run retries for its window, then stops
/// with one line naming the fix, resumable; nothing is half-written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_stops_the_run_with_the_fix() {
    let sim = nation(1500);
    let (cluster, pool) = own_cluster().await;
    let mut child = migrate_cmd(&sim, &cluster.url(), &sim.config().token)
        .args(FLAGS)
        .args(["--database-retry-secs", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_pages(&mut child, &pool, 10).await;
    sqlx::query("ALTER SYSTEM SET default_transaction_read_only = on")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("SELECT pg_reload_conf()")
        .execute(&pool)
        .await
        .unwrap();
    let started = Instant::now();
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "bounded: {:?}",
        started.elapsed()
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("read-only") && errors[0].contains("primary"),
        "{stderr}"
    );

    // Back to read-write, the same command finishes the job.
    sqlx::query("ALTER SYSTEM RESET default_transaction_read_only")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("SELECT pg_reload_conf()")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let out = migrate_cmd(&sim, &cluster.url(), &sim.config().token)
        .args(FLAGS)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(cluster);
    sim.shutdown().await;
}

async fn stop_with(signal: i32, code: i32, name: &str) {
    let sim = nation(1500);
    let (_reference_db, expected) = reference(&sim).await;
    let db = TestDb::new().await;
    let mut child = migrate_cmd(&sim, db.url(), &sim.config().token)
        .args(FLAGS)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_pages(&mut child, db.pool(), 10).await;
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(send_signal(pid, signal), 0);
    let (exit, stderr) = finish(child);
    assert_eq!(exit, Some(code), "{stderr}");
    assert!(
        stderr.contains(&format!("interrupted by {name}"))
            && stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    let row = sqlx::query("SELECT status, finished_at IS NOT NULL AS finished FROM sync.runs")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("status"), "interrupted");
    assert!(row.get::<bool, _>("finished"));
    let running: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sync.checkpoints WHERE status = 'running'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(running, 0, "no stream is left running");
    let out = migrate_cmd(&sim, db.url(), &sim.config().token)
        .args(FLAGS)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(table_hashes(db.pool()).await, expected);
    sim.shutdown().await;
}

fn send_signal(pid: i32, signal: i32) -> i32 {
    // std cannot send SIGINT or SIGTERM; kill(1) can.
    std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .map(|s| if s.success() { 0 } else { 1 })
        .unwrap_or(1)
}

/// Ctrl-C: the run commits what it fetched, marks itself interrupted, says how to resume and
/// exits 130; the next run finishes with the tables of an uninterrupted one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_marks_the_run_interrupted_and_resumes() {
    stop_with(2, 130, "SIGINT").await;
}

/// SIGTERM likewise, with exit code 143.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_marks_the_run_interrupted_and_resumes() {
    stop_with(15, 143, "SIGTERM").await;
}

/// A crash exactly at each named step (after spooling a page, right before a page's commit,
/// during reconciliation), then a resume: tables identical to an uninterrupted run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_at_named_steps_resume_to_identical_tables() {
    let sim = nation(800);
    let (_reference_db, expected) = reference(&sim).await;
    for point in ["after_spool:7", "before_commit:11", "during_reconcile:2"] {
        let db = TestDb::new().await;
        let out = migrate_cmd(&sim, db.url(), &sim.config().token)
            .args(FLAGS)
            .env(nb_exodus::failpoint::ENV, point)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), None, "{point}: aborted by the failpoint");
        let out = migrate_cmd(&sim, db.url(), &sim.config().token)
            .args(FLAGS)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(table_hashes(db.pool()).await, expected, "{point}");
        let interrupted: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sync.runs WHERE status = 'interrupted'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(
            interrupted, 1,
            "{point}: the crashed run is marked interrupted"
        );
    }
    sim.shutdown().await;
}

/// A nation migrated from one source is bound to it: a run against another source is refused
/// and changes nothing; `--restart` re-binds it, and what the new source lacks is removed only
/// with `--allow-mass-delete` and after each record is confirmed gone there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nation_is_bound_to_its_source() {
    let rehearsal = nation(300);
    let real = nation(200);
    let db = TestDb::new().await;
    let run = |sim: &RunningSimulator, extra: &[&str]| {
        migrate_cmd(sim, db.url(), &sim.config().token)
            .args(["--rate-limit", "off"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&rehearsal, &[]);
    assert_eq!(out.status.code(), Some(0));
    let before = table_hashes(db.pool()).await;

    let out = run(&real, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bound to its source") && stderr.contains("--restart"),
        "{stderr}"
    );
    assert!(
        stderr.contains(rehearsal.base_url()) && stderr.contains(real.base_url()),
        "{stderr}"
    );
    assert_eq!(table_hashes(db.pool()).await, before, "nothing changed");
    // verify refuses to sweep another source against this export, before asking it anything.
    let dir = tempfile::tempdir().unwrap();
    let out = crate::migrate::binary()
        .args([
            "verify",
            "--nation",
            "testnation",
            "--api-base",
            real.base_url(),
        ])
        .args(["--database-url", db.url(), "--rate-limit", "off", "--out"])
        .arg(dir.path().join("audit"))
        .env("NATIONBUILDER_API_TOKEN", &real.config().token)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("was exported from"), "{stderr}");
    assert_eq!(
        real.manifest().requests,
        0,
        "nothing asked of the other source"
    );

    let out = run(&real, &["--restart"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-mass-delete"), "{stderr}");
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM core.people")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(people, 300, "nothing removed without the flag");

    let out = run(&real, &["--allow-mass-delete"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM core.people")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(people, real.manifest().people as i64);
    rehearsal.shutdown().await;
    real.shutdown().await;
}

/// An API that refuses keyset paging, ignores it, or refuses the `updated_at` filter: the main
/// pass falls back, and the catch-up and the sweeps ask the way the API accepted (learned once
/// and kept in the checkpoint) instead of repeating the refused request; the tables end equal
/// to the source, changes after the export included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_api_refused_is_learned_once_and_used_everywhere() {
    use nb_exodus::simulator::{V2Keyset, Variants};
    // The people's profile also says whether their pages went on bringing the taggings
    // (`carrying`): never with keyset paging refused or ignored, since page sizes cannot
    // shrink under page numbers.
    let cases = [
        (
            V2Keyset::Refused,
            false,
            r#"{"keyset": false, "carrying": false}"#,
        ),
        (
            V2Keyset::Ignored,
            false,
            r#"{"keyset": false, "carrying": false}"#,
        ),
        (
            V2Keyset::Honoured,
            true,
            r#"{"updated_filter": false, "carrying": true}"#,
        ),
        (
            V2Keyset::Refused,
            true,
            r#"{"keyset": false, "updated_filter": false, "carrying": false}"#,
        ),
    ];
    for (keyset, refuse_updated, learned) in cases {
        let sim = sim_with(SimulatorConfig {
            people: 300,
            rate_limit: None,
            variants: Variants {
                v2_keyset: keyset,
                v2_refuse_updated_filter: refuse_updated,
                ..Variants::default()
            },
            ..SimulatorConfig::default()
        });
        let db = TestDb::new().await;
        let run = || {
            migrate_cmd(&sim, db.url(), &sim.config().token)
                .args(["--rate-limit", "off", "--page-size", "50"])
                .output()
                .unwrap()
        };
        let case = format!("{keyset:?}, updated filter refused: {refuse_updated}");
        let out = run();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        crate::migrate::assert_counts_match(db.pool(), &sim.manifest()).await;
        let people: serde_json::Value =
            sqlx::query_scalar("SELECT learned FROM sync.checkpoints WHERE stream = 'people'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        let want: serde_json::Value = serde_json::from_str(learned).unwrap();
        assert_eq!(people, want, "{case}");

        // A change after the export reaches the tables through the next run's catch-up, and
        // no request of that run is one the API refused.
        assert!(sim.touch_person(7));
        sim.delete_person(9);
        let bad_before = sim.manifest().faults;
        let out = run();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(sim.manifest().faults, bad_before);
        crate::migrate::assert_counts_match(db.pool(), &sim.manifest()).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("refused a request"),
            "{case}: the second run starts from what the first learned: {stderr}"
        );
        sim.shutdown().await;
    }
}
