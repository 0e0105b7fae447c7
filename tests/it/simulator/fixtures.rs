//! The simulator's responses have the key sets of the real API. The fixtures in `fixtures/`
//! were written to the key sets of real recorded responses and of the reference's attribute
//! lists (with invented values); here every object path that appears both in a fixture and in
//! the simulator's answers must have exactly the same keys.

use std::collections::{BTreeMap, BTreeSet};

use nb_exodus::simulator::{RateLimit, SimulatorConfig, V1Paging, Variants};
use serde_json::Value;

use crate::support::sim::{config, TestSim};

type Shapes = BTreeMap<String, BTreeSet<String>>;

/// Key sets of every object in `v`, by path (`results[].primary_address`).
fn shapes(v: &Value, path: &str, out: &mut Shapes) {
    match v {
        Value::Object(map) => {
            let keys = out.entry(path.to_string()).or_default();
            keys.extend(map.keys().filter(|k| *k != "_fixture").cloned());
            for (k, child) in map {
                if k != "_fixture" {
                    shapes(
                        child,
                        &if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        },
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                shapes(item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

fn fixture(name: &str) -> Shapes {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Shapes::new();
    shapes(
        &serde_json::from_str(&text).expect("fixture is JSON"),
        "",
        &mut out,
    );
    out
}

/// Compares the key sets of `name` with the simulator's `bodies`; `record` is the path of the
/// main record, which must be present on both sides.
fn assert_same_keys(name: &str, bodies: &[Value], record: &str) {
    let want = fixture(name);
    let mut got = Shapes::new();
    for b in bodies {
        shapes(b, "", &mut got);
    }
    assert!(
        want.contains_key(record) && got.contains_key(record),
        "{name}: no {record:?} on one side"
    );
    let mut problems = Vec::new();
    for (path, keys) in &want {
        if let Some(actual) = got.get(path) {
            let missing: Vec<_> = keys.difference(actual).collect();
            let extra: Vec<_> = actual.difference(keys).collect();
            if !missing.is_empty() || !extra.is_empty() {
                problems.push(format!("{path:?}: missing {missing:?}, extra {extra:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

async fn bodies(t: &TestSim, paths: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for p in paths {
        out.push(t.get(p).await.json());
    }
    out
}

#[tokio::test]
async fn v1_responses_match_the_fixtures() {
    let t = TestSim::start(config());
    let one = |p: &str| vec![p.to_string()];
    assert_same_keys(
        "v1/people_index.json",
        &bodies(&t, &one("/api/v1/people?limit=100")).await,
        "results[]",
    );
    let people: Vec<String> = (1..=45)
        .filter(|i| i % 50 != 0)
        .map(|i| format!("/api/v1/people/{i}"))
        .collect();
    assert_same_keys("v1/person_show.json", &bodies(&t, &people).await, "person");
    assert_same_keys(
        "v1/tags_index.json",
        &bodies(&t, &one("/api/v1/tags?limit=100")).await,
        "results[]",
    );
    assert_same_keys(
        "v1/donations_index.json",
        &bodies(&t, &one("/api/v1/donations?limit=100")).await,
        "results[]",
    );
    let taggings: Vec<String> = (1..=10)
        .map(|i| format!("/api/v1/people/{i}/taggings"))
        .collect();
    assert_same_keys(
        "v1/person_taggings.json",
        &bodies(&t, &taggings).await,
        "taggings[]",
    );
    assert_same_keys(
        "v1/people_count.json",
        &bodies(&t, &one("/api/v1/people/count")).await,
        "",
    );
    assert_same_keys(
        "v1/error_not_found.json",
        &bodies(&t, &one("/api/v1/people/50")).await,
        "",
    );
    let unauthorized = t.get_with("/api/v1/people", None).await.json();
    assert_same_keys("v1/error_unauthorized.json", &[unauthorized], "");

    let legacy = TestSim::start(SimulatorConfig {
        variants: Variants {
            v1_paging: V1Paging::Legacy,
            ..Variants::default()
        },
        ..config()
    });
    assert_same_keys(
        "v1/legacy_people_page.json",
        &bodies(&legacy, &one("/api/v1/people?per_page=100&page=2")).await,
        "results[]",
    );
}

#[tokio::test]
async fn v2_responses_match_the_fixtures() {
    let t = TestSim::start(config());
    let one = |p: &str| vec![p.to_string()];
    assert_same_keys(
        "v2/signups_index.json",
        &bodies(&t, &one("/api/v2/signups?page[size]=100")).await,
        "data[].attributes",
    );
    let shows: Vec<String> = (1..=20)
        .map(|i| format!("/api/v2/signups/{i}?extra_fields[signups]=primary_address"))
        .collect();
    assert_same_keys(
        "v2/signup_show_primary_address.json",
        &bodies(&t, &shows).await,
        "data.attributes",
    );
    assert_same_keys(
        "v2/signup_tags_index.json",
        &bodies(&t, &one("/api/v2/signup_tags?page[size]=100")).await,
        "data[].attributes",
    );
    assert_same_keys(
        "v2/signup_taggings_index.json",
        &bodies(&t, &one("/api/v2/signup_taggings?page[size]=100")).await,
        "data[].attributes",
    );
    // A page where some donations have a donor: the relationships of the fixture are compared too.
    let donations = bodies(&t, &one("/api/v2/donations?page[size]=100")).await;
    assert_same_keys("v2/donations_index.json", &donations, "data[].attributes");
    assert_same_keys(
        "v2/error_bad_request.json",
        &bodies(&t, &one("/api/v2/signups?filter[bogus]=1")).await,
        "",
    );
    assert_same_keys(
        "v2/signups_stats_count.json",
        &bodies(
            &t,
            &one("/api/v2/signups?page[number]=99&stats[total]=count"),
        )
        .await,
        "meta.stats.total",
    );

    let limited = TestSim::start(SimulatorConfig {
        rate_limit: Some(RateLimit {
            limit: 1,
            ..RateLimit::default()
        }),
        ..config()
    });
    limited.get("/api/v2/signups").await;
    let a = limited.get("/api/v2/signups").await;
    assert_eq!(a.status, 429);
    assert_same_keys("v2/error_rate_limited.json", &[a.json()], "");
}
