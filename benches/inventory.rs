//! The inventory against the run it quotes: `nb-exodus inventory` of a simulated nation at the
//! real request budget (250 requests per 10 s, on both sides), then the `migrate` it sizes, at
//! the same budget; prints, per pass and in all, the requests and minutes the inventory
//! estimated beside what the run took (the simulator's request count, the run's wall time).
//! The target: the estimate within 10 % of a run of at least a minute.
//!
//! Run with `cargo bench --bench inventory` (`NBX_BENCH_PEOPLE`, default 20,000; the database
//! is `DATABASE_URL` when set, else a private temporary cluster).

use std::process::{Command, Stdio};
use std::time::Instant;

mod common;

use common::{Sim, TOKEN};

const RATE: &str = "250/10s";

fn requests(base: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let m: serde_json::Value = reqwest::Client::builder()
            .build()
            .expect("client")
            .get(format!("{base}/__simulator/manifest"))
            .send()
            .await
            .expect("manifest")
            .json()
            .await
            .expect("manifest json");
        m["requests"].as_u64().expect("requests")
    })
}

fn nb_exodus(args: &[&str], base: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(args)
        .args([
            "--nation",
            "bench",
            "--api-base",
            base,
            "--rate-limit",
            RATE,
        ])
        .env("NATIONBUILDER_API_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run nb-exodus")
}

fn main() {
    let people: u64 = std::env::var("NBX_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let (db, cluster) = common::database();
    let sim = Sim::spawn_at(people, RATE);
    let base = sim.base.clone();

    let out = nb_exodus(&["inventory", "--json"], &base);
    assert!(out.status.success(), "inventory failed");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inventory json");
    let totals = &doc["totals"];
    let census = totals["census_requests"].as_u64().unwrap_or(0);
    let (est_main, est_rec) = (
        totals["main_requests"].as_u64().unwrap_or(0),
        totals["reconcile_requests"].as_u64().unwrap_or(0),
    );
    let (est_main_s, est_rec_s) = (
        totals["main_seconds"].as_f64().unwrap_or(0.0),
        totals["reconcile_seconds"].as_f64().unwrap_or(0.0),
    );

    // A fresh export: its own census first (printed, as migrate does), then the passes.
    let admin = nb_exodus::database::ConnectionSettings::new(&db);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let url = rt.block_on(async {
        let pool = nb_exodus::database::connect(&admin).await.expect("admin");
        sqlx::query("DROP DATABASE IF EXISTS nbx_bench_inventory")
            .execute(&pool)
            .await
            .expect("drop");
        sqlx::query("CREATE DATABASE nbx_bench_inventory")
            .execute(&pool)
            .await
            .expect("create");
        let mut url = url::Url::parse(&db).expect("url");
        url.set_path("/nbx_bench_inventory");
        url.to_string()
    });
    let before = requests(&base);
    let started = Instant::now();
    let out = nb_exodus(&["migrate", "--database-url", &url, "--quiet"], &base);
    let took = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "migrate failed");
    let sent = requests(&base) - before;
    let est = est_main + est_rec + census;
    let est_s = est_main_s + est_rec_s;
    println!("nation: {people} people, at {RATE} on both sides");
    println!(
        "inventory: main pass {est_main} requests ({est_main_s:.0} s), reconciliation {est_rec} \
         ({est_rec_s:.0} s), counting {census}: {est} requests, {est_s:.0} s"
    );
    println!("migrate:   {sent} requests, {took:.0} s");
    println!(
        "estimate / actual: requests {:.3}, duration {:.3}",
        est as f64 / sent as f64,
        est_s / took
    );
    drop(sim);
    drop(cluster);
}
