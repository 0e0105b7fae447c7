//! End-to-end exporter benchmark: `nb-exodus migrate` of a 100,000-person simulated nation,
//! unthrottled, into PostgreSQL; reports people/s, records/s and the exporter's peak resident
//! memory (targets: at least 20,000 people/s, under 200 MB).
//!
//! The simulator and the exporter run as two separate release processes, so the figures are
//! the exporter's own: the wall time of the `migrate` process and its `VmHWM`. The database is
//! `DATABASE_URL` when set (a fresh database is created on it), else a private temporary cluster.
//! Both runs — the main pass alone (`--no-reconcile`) and with the end-of-run reconciliation —
//! are reported.
//!
//! After the main pass it also measures a floor: the time PostgreSQL alone takes to write the
//! same rows again — every loaded table copied, with the same indexes and checks, from an
//! in-memory copy of itself, one statement per table, no network, no parsing, no client. No
//! exporter on this database and machine can load the nation faster than that floor divided
//! by the cores PostgreSQL can use.
//!
//! Run with `cargo bench --bench migrate` (`NBX_BENCH_PEOPLE=20000` for a quicker look).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{Sim, TOKEN};

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn manifest(base: &str) -> serde_json::Value {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        reqwest::Client::builder()
            .build()
            .expect("client")
            .get(format!("{base}/__simulator/manifest"))
            .send()
            .await
            .expect("manifest")
            .json()
            .await
            .expect("manifest json")
    })
}

fn fresh_database(admin: &str, name: &str) -> String {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let pool =
            nb_exodus::database::connect(&nb_exodus::database::ConnectionSettings::new(admin))
                .await
                .expect("admin connection");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&pool)
            .await
            .expect("drop");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("create");
    });
    let mut url = url::Url::parse(admin).expect("url");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn run_migrate(base: &str, db: &str, extra: &[&str]) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args([
            "migrate",
            "--nation",
            "bench",
            "--api-base",
            base,
            "--database-url",
            db,
        ])
        .args(["--rate-limit", "off", "--quiet"])
        .args(extra)
        .env("NATIONBUILDER_API_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn nb-exodus migrate");
    let mut peak = 0;
    loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "migrate failed: {status}");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (started.elapsed(), peak)
}

/// Seconds PostgreSQL takes to insert the loaded rows once more (see the module comment): in
/// all, and for the raw archive alone.
fn database_floor(db: &str) -> (f64, f64) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let pool = nb_exodus::database::connect(&nb_exodus::database::ConnectionSettings::new(db))
            .await
            .expect("bench database");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables
              WHERE schemaname IN ('raw', 'core', 'sensitive', 'gdpr') ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .expect("tables");
        let (mut total, mut raw) = (0.0, 0.0);
        for (i, table) in tables.iter().enumerate() {
            let mut conn = pool.acquire().await.expect("connection");
            for sql in [
                format!("CREATE TEMP TABLE src_{i} AS SELECT * FROM {table}"),
                format!("CREATE TABLE floor_{i} (LIKE {table} INCLUDING ALL)"),
            ] {
                sqlx::query(&sql)
                    .execute(&mut *conn)
                    .await
                    .expect("floor setup");
            }
            let started = Instant::now();
            sqlx::query(&format!(
                "INSERT INTO floor_{i} OVERRIDING SYSTEM VALUE SELECT * FROM src_{i}"
            ))
            .execute(&mut *conn)
            .await
            .expect("floor insert");
            let took = started.elapsed().as_secs_f64();
            total += took;
            if table.starts_with("raw.") {
                raw += took;
            }
            sqlx::query(&format!("DROP TABLE floor_{i}"))
                .execute(&mut *conn)
                .await
                .expect("floor drop");
        }
        (total, raw)
    })
}

fn main() {
    let people: u64 = std::env::var("NBX_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (admin, cluster) = common::database();
    let sim = Sim::spawn(people);
    let base = sim.base.clone();
    let m = manifest(&base);
    let records = ["people", "tags", "taggings", "donations"]
        .iter()
        .map(|k| m[k].as_u64().unwrap_or(0))
        .sum::<u64>();
    println!(
        "nation: {people} people, {records} records in all (people, tags, taggings, donations)"
    );
    for (label, extra) in [
        ("main pass (--no-reconcile)", &["--no-reconcile"][..]),
        ("with reconciliation", &[][..]),
    ] {
        let db = fresh_database(&admin, "nbx_bench");
        let (elapsed, peak) = run_migrate(&base, &db, extra);
        let secs = elapsed.as_secs_f64();
        println!(
            "{label:<28} {secs:>7.1} s  {:>8.0} people/s  {:>8.0} records/s  peak RSS {:>6.1} MB",
            people as f64 / secs,
            records as f64 / secs,
            peak as f64 / 1024.0
        );
        if extra.contains(&"--no-reconcile") {
            let (floor, raw) = database_floor(&db);
            println!(
                "{:<28} {floor:>7.1} s  {:>8.0} people/s  (PostgreSQL alone re-inserting the loaded rows, one core)",
                "database floor",
                people as f64 / floor,
            );
            println!(
                "{:<28} {raw:>7.1} s  {:>8.0} people/s  (the same for raw.records alone)",
                "  of which raw archive",
                people as f64 / raw,
            );
        }
    }
    drop(sim);
    drop(cluster);
}
