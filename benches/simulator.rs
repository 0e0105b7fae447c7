//! Simulator benchmarks: pages per second over loopback, and peak memory at 2,000,000 people.
//!
//! The simulator must never be the bottleneck of an exporter benchmark (target: at least 1,000
//! pages of 100 signups per second on a 2-core machine) and must serve 2 M people in under
//! 150 MB. Both are measured against the built `nb-exodus simulate` binary, so the figures
//! include HTTP; memory is the process's peak resident set (`VmHWM` in `/proc/<pid>/status`).
//!
//! Run with `cargo bench --bench simulator`.

use std::time::Instant;

mod common;

use common::{Sim, TOKEN};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()
        .expect("http client")
}

async fn get(client: &reqwest::Client, url: &str) -> usize {
    let resp = client
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.bytes().await.expect("body").len()
}

/// Fetches `pages` URLs made by `url_of(n)` with `workers` concurrent clients.
async fn run(base: &str, label: &str, pages: u64, workers: u64, url_of: fn(&str, u64) -> String) {
    let client = client();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (client, base) = (client.clone(), base.to_string());
        tasks.push(tokio::spawn(async move {
            let mut bytes = 0;
            let mut n = w;
            while n < pages {
                bytes += get(&client, &url_of(&base, n)).await;
                n += workers;
            }
            bytes
        }));
    }
    let mut bytes = 0;
    for t in tasks {
        bytes += t.await.expect("worker");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:<44} {workers} conn: {:>7.0} pages/s  {:>6.1} MB/s  ({:.1} KB/page)",
        pages as f64 / secs,
        bytes as f64 / secs / 1e6,
        bytes as f64 / pages as f64 / 1e3
    );
}

fn v2_signups(base: &str, n: u64) -> String {
    format!(
        "{base}/api/v2/signups?page[size]=100&page[number]={}",
        1 + n % 1000
    )
}

fn v2_keyset(base: &str, n: u64) -> String {
    format!(
        "{base}/api/v2/signups?page[size]=100&sort=id&filter[id][gt]={}",
        (n % 1000) * 102
    )
}

fn v2_sparse(base: &str, n: u64) -> String {
    format!(
        "{base}/api/v2/signups?page[size]=100&fields[signups]=id&page[number]={}",
        1 + n % 1000
    )
}

fn v2_taggings(base: &str, n: u64) -> String {
    format!(
        "{base}/api/v2/signup_taggings?page[size]=100&page[number]={}",
        1 + n % 1000
    )
}

fn v1_people(base: &str, _n: u64) -> String {
    format!("{base}/api/v1/people?limit=100")
}

async fn throughput() {
    let sim = Sim::spawn(100_000);
    println!("throughput, 100,000 people, pages of 100 records:");
    run(&sim.base, "warm-up", 200, 2, v2_signups).await;
    for workers in [1, 2, 4] {
        run(
            &sim.base,
            "v2 signups page[number]",
            3000,
            workers,
            v2_signups,
        )
        .await;
    }
    run(
        &sim.base,
        "v2 signups filter[id][gt] + sort=id",
        3000,
        4,
        v2_keyset,
    )
    .await;
    run(
        &sim.base,
        "v2 signups fields[signups]=id",
        3000,
        4,
        v2_sparse,
    )
    .await;
    run(&sim.base, "v2 signup_taggings", 3000, 4, v2_taggings).await;
    run(&sim.base, "v1 people limit=100", 3000, 4, v1_people).await;
}

async fn memory() {
    let people = 2_000_000;
    let start = Instant::now();
    let sim = Sim::spawn(people);
    println!(
        "memory, {people} people: started in {:.2} s, RSS after start {}",
        start.elapsed().as_secs_f64(),
        sim.status("VmRSS:")
    );
    let client = client();
    let b = &sim.base;
    for url in [
        format!("{b}/api/v2/signups?page[size]=100"),
        format!("{b}/api/v2/signups?page[size]=100&page[number]=19999"),
        format!("{b}/api/v2/signups?page[size]=100&sort=id&filter[id][gt]=2000000"),
        format!("{b}/api/v2/signups?page[size]=100&sort=-id&stats[total]=count"),
        format!("{b}/api/v2/signup_taggings?page[size]=100&page[number]=59000"),
        format!("{b}/api/v2/signup_tags?page[size]=100&page[number]=400"),
        format!("{b}/api/v2/donations?page[size]=100&page[number]=7999"),
        format!("{b}/api/v1/people?limit=100"),
        format!("{b}/api/v1/people/count"),
        format!("{b}/api/v1/people/1999999"),
        format!("{b}/api/v1/tags?limit=100"),
        format!("{b}/api/v1/donations?limit=100"),
    ] {
        get(&client, &url).await;
    }
    run(
        b,
        "v2 signups page[number] at 2 M people",
        2000,
        4,
        |base, n| {
            format!(
                "{base}/api/v2/signups?page[size]=100&page[number]={}",
                1 + n * 9
            )
        },
    )
    .await;
    println!(
        "memory, {people} people: peak RSS (VmHWM) {}, RSS now {}",
        sim.status("VmHWM:"),
        sim.status("VmRSS:")
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        throughput().await;
        memory().await;
    });
}
