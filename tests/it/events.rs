//! Sites, pages, events, RSVPs and ticket levels (issue 12, item 4 and 9): the simulator's
//! collections page to the manifest and keep the reference's quirks (events without name or
//! timestamps, RSVPs without `signup_id`, the person only through `include=signup`, compound
//! documents, an unknown `include` refused), and an export lands them with every RSVP's person
//! and every event's page.

use std::collections::BTreeSet;

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::simulator::SimulatorConfig;
use serde_json::Value;

use crate::migrate::{config_for, sim};
use crate::support::db::TestDb;
use crate::support::sim::{config, ids, TestSim};

const GROUP: [&str; 5] = [
    "sites",
    "pages",
    "events",
    "event_rsvps",
    "event_ticket_levels",
];

#[tokio::test]
async fn the_collections_page_to_the_manifest() {
    let t = TestSim::start(config());
    let m = t.manifest().await;
    // 1,000 people: 2 sites, 30 pages, 15 events, 400 RSVPs, 5 ticketed events' levels.
    assert_eq!(m.resources["sites"].live, 2);
    assert_eq!(m.resources["pages"].live, 30);
    assert_eq!(m.resources["events"].live, 15);
    assert_eq!(m.resources["event_rsvps"].live, 400);
    assert_eq!(m.resources["event_ticket_levels"].live, 14);
    for resource in GROUP {
        let expected = m.resources[resource].live;
        for size in [100, 7] {
            t.assert_collection(
                &format!("/api/v2/{resource}?page[size]={size}"),
                resource,
                expected,
            )
            .await;
        }
        let count = t
            .get(&format!(
                "/api/v2/{resource}?stats[total]=count&page[size]=1"
            ))
            .await
            .json();
        assert_eq!(count["meta"]["stats"]["total"]["count"], expected);
        let keyset = t
            .get(&format!(
                "/api/v2/{resource}?page[size]=100&sort=id&filter[id][gt]=1"
            ))
            .await
            .json();
        assert_eq!(
            keyset["data"].as_array().unwrap().len() as u64,
            (expected - 1).min(100)
        );
    }
    // Show by id where the reference has it; sites have none.
    assert_eq!(t.get("/api/v2/events/3").await.status, 200);
    assert_eq!(t.get("/api/v2/events/999").await.status, 404);
    assert_eq!(t.get("/api/v2/sites/1").await.status, 404);
}

#[tokio::test]
async fn events_and_rsvps_keep_the_reference_quirks() {
    let t = TestSim::start(config());
    let (events, _) = t.page_v2("/api/v2/events?page[size]=100").await;
    let (pages, _) = t.page_v2("/api/v2/pages?page[size]=100").await;
    let page_ids: BTreeSet<u64> = ids(&pages).into_iter().collect();
    for e in &events {
        let a = &e["attributes"];
        for absent in ["name", "slug", "status", "created_at", "updated_at"] {
            assert!(a.get(absent).is_none(), "an event has no {absent}: {e}");
        }
        let page: u64 = a["page_id"].as_str().unwrap().parse().unwrap();
        assert!(page_ids.contains(&page));
    }
    // include=page: the page's data on each event and the pages once in `included`.
    let doc = t
        .get("/api/v2/events?page[size]=5&include=page")
        .await
        .json();
    let included = doc["included"].as_array().unwrap();
    assert_eq!(included.len(), 5);
    for (e, p) in doc["data"].as_array().unwrap().iter().zip(included) {
        assert_eq!(
            e["relationships"]["page"]["data"]["id"],
            e["attributes"]["page_id"]
        );
        assert_eq!(p["type"], "pages");
        assert_eq!(p["attributes"]["page_type_name"], "Event");
    }

    // RSVPs: no signup_id, the person only with include=signup.
    let plain = t.get("/api/v2/event_rsvps?page[size]=20").await.json();
    for r in plain["data"].as_array().unwrap() {
        assert!(r["attributes"].get("signup_id").is_none());
        assert!(r["relationships"]["signup"].get("data").is_none());
        assert!(
            !r.to_string().contains("/signups/"),
            "no link names the person: {r}"
        );
    }
    assert!(plain.get("included").is_none());
    let doc = t
        .get("/api/v2/event_rsvps?page[size]=20&include=signup")
        .await
        .json();
    let people: BTreeSet<String> = doc["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "signups");
            p["id"].as_str().unwrap().to_owned()
        })
        .collect();
    for r in doc["data"].as_array().unwrap() {
        let data = &r["relationships"]["signup"]["data"];
        assert_eq!(data["type"], "signups");
        assert!(people.contains(data["id"].as_str().unwrap()));
    }
    let one = t.get("/api/v2/event_rsvps/1?include=signup").await.json();
    assert_eq!(
        one["included"][0]["id"],
        one["data"]["relationships"]["signup"]["data"]["id"]
    );

    let bad = t
        .get("/api/v2/event_rsvps?include=author_of_everything")
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["code"], "bad_request");

    // Ticket levels belong to ticketed events; filter[event_id] narrows them.
    let (levels, _) = t
        .page_v2("/api/v2/event_ticket_levels?page[size]=100")
        .await;
    let ticketed: BTreeSet<&str> = events
        .iter()
        .filter(|e| e["attributes"]["uses_tickets"] == true)
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(levels
        .iter()
        .all(|l| ticketed.contains(l["attributes"]["event_id"].as_str().unwrap())));
    let of_one = t
        .get("/api/v2/event_ticket_levels?filter[event_id]=1&page[size]=100")
        .await
        .json();
    let n = of_one["data"].as_array().unwrap().len();
    assert!((2..=4).contains(&n), "{n} levels");
}

#[tokio::test]
async fn churn_cancels_and_adds_rsvps() {
    let t = TestSim::start(SimulatorConfig {
        churn_rate: 20,
        ..config()
    });
    for _ in 0..10 {
        t.get("/api/v2/signups?page[size]=5").await;
    }
    let m = t.manifest().await;
    let r = &m.resources["event_rsvps"];
    assert!(r.updated > 0 && r.created > 0, "{r:?}");
    assert_eq!(r.live, 400 + r.created - r.deleted);
    let (rsvps, _) = t.page_v2("/api/v2/event_rsvps?page[size]=100").await;
    let canceled = rsvps
        .iter()
        .filter(|x| x["attributes"]["canceled"] == Value::Bool(true))
        .count();
    assert!(canceled > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_keeps_every_rsvps_person_and_every_events_page() {
    let sim = sim(400);
    let db = TestDb::new().await;
    let config = config_for(&sim, &db, MigrateArgs::default());
    let summary = migrate_with(&config, false)
        .await
        .expect("migrate succeeds");
    assert_eq!(summary.rejects, 0);
    let m = sim.manifest();
    let count = |sql: &'static str| {
        let pool = db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT count(*) FROM core.attendances WHERE person_source_id IS NOT NULL").await
            as u64,
        m.resources["event_rsvps"].live
    );
    // Every event's name is its page's.
    assert_eq!(
        count(
            "SELECT count(*) FROM core.events e JOIN core.pages p
                ON p.nation = e.nation AND p.source_id = e.page_source_id
             WHERE p.name IS NOT NULL AND p.page_type_name = 'Event'"
        )
        .await as u64,
        m.resources["events"].live
    );
    assert_eq!(
        count("SELECT count(*) FROM core.events WHERE location_locality IS NULL").await,
        0,
        "the venue address is asked for"
    );
}
