//! `migrate` end to end: a simulated nation over real HTTP into a real PostgreSQL.

use std::net::SocketAddr;

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::config::{resolve, Inputs, MigrateConfig};
use nb_exodus::simulator::{Manifest, RunningSimulator, Simulator, SimulatorConfig};
use serde_json::Value;
use sqlx::{PgPool, Row};

use crate::support::db::TestDb;

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A nation of `people` without rate limit.
pub(crate) fn sim(people: u64) -> RunningSimulator {
    Simulator::start(
        SimulatorConfig {
            people,
            rate_limit: None,
            ..SimulatorConfig::default()
        },
        any_port(),
    )
    .expect("simulator starts")
}

/// Migrate settings pointing at `sim` and `db`.
pub(crate) fn config_for(sim: &RunningSimulator, db: &TestDb, extra: MigrateArgs) -> MigrateConfig {
    let flags = MigrateArgs {
        nation: Some("testnation".into()),
        api_base: Some(sim.base_url().to_owned()),
        database_url: Some(db.url().to_owned()),
        rate_limit: extra.rate_limit.clone().or(Some("off".into())),
        ..extra
    };
    resolve(Inputs {
        flags,
        env_database_url: None,
        env_token: Some(sim.config().token.clone()),
    })
    .expect("valid config")
}

async fn count(pool: &PgPool, table: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {table} WHERE nation = 'testnation'"
    ))
    .fetch_one(pool)
    .await
    .unwrap();
    n as u64
}

async fn raw_count(pool: &PgPool, resource: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM raw.records WHERE nation = 'testnation' AND resource = $1",
    )
    .bind(resource)
    .fetch_one(pool)
    .await
    .unwrap();
    n as u64
}

/// Every core table's count equals the manifest; every archived record is loaded or rejected.
pub(crate) async fn assert_counts_match(pool: &PgPool, manifest: &Manifest) {
    let rejects = count(pool, "sync.rejects").await;
    assert_eq!(rejects, 0, "no record of a clean nation is rejected");
    assert_eq!(count(pool, "core.people").await, manifest.people);
    assert_eq!(count(pool, "core.tags").await, manifest.tags);
    assert_eq!(count(pool, "core.taggings").await, manifest.taggings);
    assert_eq!(count(pool, "core.donations").await, manifest.donations);
    assert_eq!(raw_count(pool, "people").await, manifest.people);
    assert_eq!(raw_count(pool, "tags").await, manifest.tags);
    assert_eq!(raw_count(pool, "taggings").await, manifest.taggings);
    assert_eq!(raw_count(pool, "donations").await, manifest.donations);
}

async fn api_get(sim: &RunningSimulator, path: &str) -> Value {
    let client = reqwest::Client::builder().build().unwrap();
    client
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(&sim.config().token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5000_person_nation_migrates_completely() {
    let sim = sim(5000);
    let db = TestDb::new().await;
    let config = config_for(&sim, &db, MigrateArgs::default());
    let summary = migrate_with(&config, false)
        .await
        .expect("migrate succeeds");
    assert_eq!(summary.rejects, 0);
    let manifest = sim.manifest();
    assert!(manifest.people >= 5000 && manifest.taggings > 0 && manifest.donations > 0);
    assert_counts_match(db.pool(), &manifest).await;

    // Spot checks against the API's own records.
    for id in ["1", "2", "777", "4999"] {
        let person = api_get(&sim, &format!("/api/v2/signups/{id}")).await;
        let attrs = &person["data"]["attributes"];
        let row = sqlx::query(
            "SELECT given_name, family_name FROM core.people WHERE nation = 'testnation' AND source_id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let given: Option<String> = row.get("given_name");
        let family: Option<String> = row.get("family_name");
        let norm = |v: &Value| {
            v.as_str()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        assert_eq!(given, norm(&attrs["first_name"]), "person {id} given name");
        assert_eq!(family, norm(&attrs["last_name"]), "person {id} family name");
        let primary: Option<String> = sqlx::query_scalar(
            "SELECT address FROM core.email_addresses WHERE nation = 'testnation' AND person_source_id = $1 AND is_primary",
        )
        .bind(id)
        .fetch_optional(db.pool())
        .await
        .unwrap();
        let email = attrs["email"]
            .as_str()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        if let Some(email) = email {
            assert_eq!(
                primary.as_deref(),
                Some(email.as_str()),
                "person {id} primary email"
            );
        }
        // Taggings of this person match the API's.
        let api_taggings = api_get(
            &sim,
            &format!("/api/v2/signup_taggings?filter[signup_id]={id}&page[size]=100"),
        )
        .await;
        let mut api_tags: Vec<String> = api_taggings["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["attributes"]["tag_id"].as_str().unwrap().to_owned())
            .collect();
        api_tags.sort();
        let mut db_tags: Vec<String> = sqlx::query_scalar(
            "SELECT tag_source_id FROM core.taggings WHERE nation = 'testnation' AND person_source_id = $1",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await
        .unwrap();
        db_tags.sort();
        assert_eq!(db_tags, api_tags, "person {id} taggings");
    }
    // Amounts and donors of a few donations.
    for id in ["1", "2", "100", "1500"] {
        let donation = api_get(&sim, &format!("/api/v2/donations/{id}")).await;
        let attrs = &donation["data"]["attributes"];
        let row = sqlx::query(
            "SELECT amount_minor, currency, person_source_id FROM core.donations WHERE nation = 'testnation' AND source_id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(
            row.get::<i64, _>("amount_minor"),
            attrs["amount_in_cents"].as_i64().unwrap()
        );
        assert_eq!(row.get::<String, _>("currency"), "EUR");
        assert_eq!(
            row.get::<Option<String>, _>("person_source_id"),
            attrs["signup_id"].as_str().map(str::to_owned)
        );
    }
    // A tag name with quotes, commas or SQL in it survives.
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM core.tags WHERE nation = 'testnation'")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let api_tags = api_get(&sim, "/api/v2/signup_tags?page[size]=100").await;
    for tag in api_tags["data"].as_array().unwrap() {
        let name = tag["attributes"]["name"].as_str().unwrap();
        assert!(
            names.iter().any(|n| n == name),
            "tag {name:?} loaded verbatim"
        );
    }

    // A second run resumes to nothing new and changes no counts.
    let again = migrate_with(&config, false).await.expect("re-run succeeds");
    assert_eq!(again.rejects, 0);
    assert_counts_match(db.pool(), &sim.manifest()).await;
    sim.shutdown().await;
}
