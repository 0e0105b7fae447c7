//! API v1 against a 1,000-person nation: token paging of every collection to the manifest's
//! counts, opaque cursors, searches, the legacy page envelope and auth.

use nb_exodus::simulator::{SimulatorConfig, V1Paging, Variants};
use serde_json::Value;

use crate::support::sim::{assert_unique, config, ids, TestSim};

#[tokio::test]
async fn every_collection_pages_to_the_manifest_counts() {
    let t = TestSim::start(config());
    let m = t.manifest().await;

    let (people, pages) = t.page_v1("/api/v1/people?limit=100").await;
    assert_eq!(assert_unique(&ids(&people)).len() as u64, m.people);
    let tagging_total: usize = people
        .iter()
        .map(|p| p["tags"].as_array().unwrap().len())
        .sum();
    assert_eq!(tagging_total as u64, m.taggings);
    assert!(pages[0]["prev"].is_null());
    assert!(pages.last().unwrap()["next"].is_null());
    for page in &pages[1..] {
        assert!(page["prev"]
            .as_str()
            .unwrap()
            .starts_with("/api/v1/people?"));
    }

    let (tags, _) = t.page_v1("/api/v1/tags?limit=100").await;
    assert_eq!(tags.len() as u64, m.tags);
    let names: std::collections::BTreeSet<&str> =
        tags.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len() as u64, m.tags);
    let counted: u64 = tags
        .iter()
        .map(|t| t["taggings_count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, m.taggings);

    let (donations, _) = t.page_v1("/api/v1/donations?limit=100").await;
    assert_eq!(assert_unique(&ids(&donations)).len() as u64, m.donations);
    assert!(
        donations
            .iter()
            .any(|d| d["donor_id"].is_null() && d["donor"].is_null()),
        "a donation without donor"
    );
    assert!(
        donations
            .iter()
            .any(|d| d["donor_id"].as_u64().is_some_and(|id| id % 50 == 0) && d["donor"].is_null()),
        "a donation whose donor was deleted"
    );
    assert!(donations
        .iter()
        .all(|d| d["amount"].as_str().unwrap().starts_with('€')));

    let count = t.get("/api/v1/people/count").await.json();
    assert_eq!(count, serde_json::json!({"people_count": m.people}));
}

#[tokio::test]
async fn tokens_are_opaque_relative_and_carry_limit_and_filters() {
    let t = TestSim::start(config());
    let a = t
        .get("/api/v1/people/search?limit=5&updated_since=2020-01-01T00:00:00Z")
        .await;
    assert!(
        a.text.contains("\\u0026"),
        "Rails escapes & in JSON strings"
    );
    let next = a.json()["next"].as_str().unwrap().to_string();
    assert!(next.starts_with("/api/v1/people/search?__nonce="));
    let q: Vec<(String, String)> =
        url::form_urlencoded::parse(next.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("__nonce").unwrap().len(), 22);
    let token = get("__token").unwrap();
    assert_eq!(token.len(), 44);
    assert!(token.starts_with('A'));
    assert_eq!(get("limit").as_deref(), Some("5"));
    assert_eq!(
        get("updated_since").as_deref(),
        Some("2020-01-01T00:00:00Z")
    );

    // prev goes back to the same records.
    let first = ids(a.json()["results"].as_array().unwrap());
    let second = t.get(&next).await.json();
    let back = t.get(second["prev"].as_str().unwrap()).await.json();
    assert_eq!(ids(back["results"].as_array().unwrap()), first);

    // A tampered token or one from another endpoint is refused.
    let tampered = next.replace(
        &token,
        &format!("A{}", &token[1..].chars().rev().collect::<String>()),
    );
    assert_eq!(t.get(&tampered).await.status, 400);
    let moved = next.replace("/api/v1/people/search", "/api/v1/donations");
    assert_eq!(t.get(&moved).await.status, 400);

    let drop = TestSim::start(SimulatorConfig {
        variants: Variants {
            v1_drop_limit: true,
            ..Variants::default()
        },
        ..config()
    });
    let next = drop.get("/api/v1/people?limit=5").await.json()["next"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!next.contains("limit="), "{next}");
    // Without limit the next page falls back to 10 records.
    assert_eq!(
        drop.get(&next).await.json()["results"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
}

#[tokio::test]
async fn show_taggings_and_errors() {
    let t = TestSim::start(config());
    let a = t.get("/api/v1/people/7").await;
    assert_eq!(a.status, 200);
    let body = a.json();
    assert_eq!(body["person"]["id"], 7);
    assert!(body.get("precinct").is_some());
    let taggings = t.get("/api/v1/people/7/taggings").await.json();
    let tags: Vec<&str> = taggings["taggings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["tag"].as_str().unwrap())
        .collect();
    let listed: Vec<&str> = body["person"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(tags, listed);
    assert!(taggings["taggings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["person_id"] == 7));
    for missing in [
        "/api/v1/people/50",
        "/api/v1/people/0",
        "/api/v1/people/50/taggings",
    ] {
        let a = t.get(missing).await;
        assert_eq!(a.status, 404);
        assert_eq!(
            a.json(),
            serde_json::json!({"code":"not_found","message":"Record not found"})
        );
    }
}

#[tokio::test]
async fn auth_by_header_or_query() {
    let t = TestSim::start(config());
    assert_eq!(t.get("/api/v1/people?limit=1").await.status, 200);
    assert_eq!(
        t.get_with(
            &format!("/api/v1/people?limit=1&access_token={}", t.token),
            None
        )
        .await
        .status,
        200
    );
    let a = t.get_with("/api/v1/people?limit=1", None).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["code"], "unauthorized");
    assert_eq!(
        t.get_with("/api/v1/people?access_token=nope", None)
            .await
            .status,
        401
    );
    assert!(a
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn searches_match_the_full_listing() {
    let t = TestSim::start(config());
    let (people, _) = t.page_v1("/api/v1/people?limit=100").await;
    let since = "2024-01-01T00:00:00Z";
    let cutoff = chrono::DateTime::parse_from_rfc3339(since).unwrap();
    let expected: Vec<u64> = people
        .iter()
        .filter(|p| {
            chrono::DateTime::parse_from_rfc3339(p["updated_at"].as_str().unwrap()).unwrap()
                >= cutoff
        })
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    let (found, _) = t
        .page_v1(&format!(
            "/api/v1/people/search?limit=100&updated_since={since}"
        ))
        .await;
    assert_eq!(ids(&found), expected);
    assert!(!expected.is_empty() && expected.len() < people.len());

    let (donations, _) = t.page_v1("/api/v1/donations?limit=100").await;
    let since = "2022-01-01T00:00:00Z";
    let cutoff = chrono::DateTime::parse_from_rfc3339(since).unwrap();
    let succeeded: Vec<u64> = donations
        .iter()
        .filter(|d| {
            d["succeeded_at"]
                .as_str()
                .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).unwrap() >= cutoff)
        })
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    let (found, _) = t
        .page_v1(&format!(
            "/api/v1/donations/search?limit=100&succeeded_since={since}"
        ))
        .await;
    assert_eq!(ids(&found), succeeded);
    let failed = donations
        .iter()
        .filter(|d| d["failed_at"].is_string())
        .count();
    let (found, _) = t
        .page_v1("/api/v1/donations/search?limit=100&failed_since=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(found.len(), failed);
    assert!(failed > 0);
}

#[tokio::test]
async fn tag_people_with_awkward_names() {
    let t = TestSim::start(config());
    let (tags, _) = t.page_v1("/api/v1/tags?limit=100").await;
    for tag in tags.iter().take(12) {
        let name = tag["name"].as_str().unwrap();
        let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        let (people, _) = t
            .page_v1(&format!("/api/v1/tags/{encoded}/people?limit=100"))
            .await;
        assert_eq!(
            people.len() as u64,
            tag["taggings_count"].as_u64().unwrap(),
            "{name}"
        );
        assert!(people
            .iter()
            .all(|p| p["tags"].as_array().unwrap().iter().any(|x| x == name)));
    }
}

#[tokio::test]
async fn legacy_page_envelope() {
    let t = TestSim::start(SimulatorConfig {
        variants: Variants {
            v1_paging: V1Paging::Legacy,
            ..Variants::default()
        },
        ..config()
    });
    let m = t.manifest().await;
    let first = t.get("/api/v1/people?per_page=100").await.json();
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 100);
    assert_eq!(first["total"], m.people);
    let total_pages = first["total_pages"].as_u64().unwrap();
    assert_eq!(total_pages, m.people.div_ceil(100));
    let mut all: Vec<Value> = Vec::new();
    for page in 1..=total_pages {
        let body = t
            .get(&format!("/api/v1/people?per_page=100&page={page}"))
            .await
            .json();
        assert!(body["next"].is_null() && body["prev"].is_null());
        all.extend(body["results"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(assert_unique(&ids(&all)).len() as u64, m.people);
}

#[tokio::test]
async fn strict_accept_switch() {
    let t = TestSim::start(SimulatorConfig {
        variants: Variants {
            v1_strict_accept: true,
            ..Variants::default()
        },
        ..config()
    });
    assert_eq!(t.get("/api/v1/people/count").await.status, 200);
    let resp = t
        .client
        .get(t.url("/api/v1/people/count"))
        .bearer_auth(&t.token)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 406);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "not_acceptable");
    // The default is lenient.
    let lenient = TestSim::start(config());
    let resp = lenient
        .client
        .get(lenient.url("/api/v1/people/count"))
        .bearer_auth(&lenient.token)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}
