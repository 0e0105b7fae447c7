//! Lists and their members, precincts and relationships (issue 12, group B): the simulator
//! serves them to the manifest (a list's members only under `/api/v2/lists/{id}/signups`, with
//! `signups_count` equal to them, a 404 for an unknown list), people name precincts that exist,
//! and `/relationships` is exported completely and without duplicates whether it pages or not
//! (the reference is unsure: `--relationships-unpaged`).

use std::collections::BTreeSet;

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::simulator::{SimulatorConfig, Variants};

use crate::migrate::{assert_counts_match, config_for, sim_with};
use crate::support::db::TestDb;
use crate::support::sim::{assert_unique, config, ids, TestSim};

#[tokio::test]
async fn lists_members_precincts_and_relationships_page_to_the_manifest() {
    let t = TestSim::start(config());
    let m = t.manifest().await;
    let count = |name: &str| m.resources[name].live;
    // 1,000 people: 20 lists, 30 precincts, 150 relationships.
    assert_eq!(
        (count("lists"), count("precincts"), count("relationships")),
        (20, 30, 150)
    );
    for (path, kind, expected) in [
        ("lists", "lists", count("lists")),
        ("precincts", "precincts", count("precincts")),
        ("relationships", "relationships", count("relationships")),
    ] {
        for size in [100, 7] {
            t.assert_collection(&format!("/api/v2/{path}?page[size]={size}"), kind, expected)
                .await;
        }
        let total = t
            .get(&format!("/api/v2/{path}?page[size]=1&stats[total]=count"))
            .await
            .json();
        assert_eq!(total["meta"]["stats"]["total"]["count"], expected);
    }
    // Every list's members: paged by number and by keyset alike, as many as its counter says.
    let (lists, _) = t.page_v2("/api/v2/lists?page[size]=100").await;
    let mut members = 0;
    for list in &lists {
        let id = list["id"].as_str().unwrap();
        let reported = list["attributes"]["signups_count"].as_u64().unwrap();
        assert!((10..=400).contains(&reported), "list {id}: {reported}");
        let (by_number, _) = t
            .page_v2(&format!("/api/v2/lists/{id}/signups?page[size]=37"))
            .await;
        let by_number = assert_unique(&ids(&by_number));
        assert_eq!(by_number.len() as u64, reported, "list {id}");
        let mut after = 0;
        let mut by_keyset = Vec::new();
        loop {
            let page = t
                .get(&format!(
                    "/api/v2/lists/{id}/signups?page[size]=100&sort=id&filter[id][gt]={after}&fields[signups]=first_name"
                ))
                .await
                .json();
            let data = page["data"].as_array().unwrap().clone();
            let Some(last) = data.last() else { break };
            after = last["id"].as_str().unwrap().parse().unwrap();
            assert!(data.iter().all(|r| r["type"] == "signups"));
            by_keyset.extend(ids(&data));
        }
        assert_eq!(by_keyset, by_number);
        members += reported;
    }
    assert_eq!(members, count("list_members"));
    // An unknown list is a 404, like an unknown record.
    for path in [
        "/api/v2/lists/21/signups",
        "/api/v2/lists/x/signups",
        "/api/v2/lists/1/nope",
    ] {
        assert_eq!(t.get(path).await.status, 404, "{path}");
    }
    // People name precincts that exist, and real people as recruiters, parents and authors.
    let (people, _) = t.page_v2("/api/v2/signups?page[size]=100").await;
    let person_ids: BTreeSet<u64> = ids(&people).into_iter().collect();
    let mut named = [0; 4];
    for p in &people {
        for (i, field) in ["precinct_id", "recruiter_id", "parent_id", "author_id"]
            .iter()
            .enumerate()
        {
            let Some(v) = p["attributes"][field].as_str() else {
                continue;
            };
            named[i] += 1;
            let v: u64 = v.parse().unwrap();
            if *field == "precinct_id" {
                assert!((1..=30).contains(&v), "{v}");
            } else if *field != "recruiter_id" {
                assert!(person_ids.contains(&v), "{field} {v}");
            }
        }
    }
    assert!(named.iter().all(|n| *n > 0), "{named:?}");
}

#[tokio::test]
async fn unpaged_relationships_give_the_whole_collection_to_every_request() {
    let t = TestSim::start(SimulatorConfig {
        variants: Variants {
            relationships_unpaged: true,
            ..Variants::default()
        },
        ..config()
    });
    for query in [
        "page[size]=7",
        "page[size]=7&page[number]=3",
        "sort=id&filter[id][gt]=100",
    ] {
        let page = t
            .get(&format!("/api/v2/relationships?{query}"))
            .await
            .json();
        assert_eq!(page["data"].as_array().unwrap().len(), 150, "{query}");
        assert!(page["links"].get("next").is_none());
    }
    // Other collections page as before.
    let page = t.get("/api/v2/precincts?page[size]=7").await.json();
    assert_eq!(page["data"].as_array().unwrap().len(), 7);
}

/// `/relationships` migrates completely and without duplicates whether it pages or not, with
/// every list member and precinct, and the tables equal the manifest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relationships_migrate_completely_whether_or_not_they_page() {
    for unpaged in [false, true] {
        let sim = sim_with(SimulatorConfig {
            people: 700,
            rate_limit: None,
            variants: Variants {
                relationships_unpaged: unpaged,
                ..Variants::default()
            },
            ..SimulatorConfig::default()
        });
        let db = TestDb::new().await;
        let config = config_for(&sim, &db, MigrateArgs::default());
        let summary = migrate_with(&config, false)
            .await
            .expect("migrate succeeds");
        assert_eq!(summary.rejects, 0);
        let manifest = sim.manifest();
        assert_eq!(manifest.resources["relationships"].live, 105);
        assert_counts_match(db.pool(), &manifest).await;
        let distinct: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT source_id) FROM core.relationships WHERE nation = 'testnation'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(distinct, 105, "unpaged: {unpaged}");
        // Every list's loaded items equal its source_total_items.
        let differing: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM core.lists AS l
              WHERE l.nation = 'testnation'
                AND l.source_total_items <> (SELECT count(*) FROM core.list_items AS i
                                              WHERE i.nation = l.nation
                                                AND i.list_source_id = l.source_id)",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(differing, 0);
        let with_precinct: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM core.people AS p
               JOIN core.precincts AS c ON c.nation = p.nation AND c.source_id = p.precinct_source_id
              WHERE p.nation = 'testnation'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(with_precinct > 0);
    }
}
