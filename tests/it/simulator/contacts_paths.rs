//! The canvass log and the volunteer pipelines (issue 12, group A): `contacts`, `paths`,
//! `path_steps`, `path_journeys`, `path_histories` and `path_journey_status_changes` page to the
//! manifest in the issue's proportions, show by id, keep their references inside the nation,
//! refuse `filter[updated_at]` on contacts (they have no `updated_at`), and churn (contacts are
//! added, journeys move with a history row).

use std::collections::BTreeMap;

use nb_exodus::simulator::SimulatorConfig;
use serde_json::Value;

use crate::support::sim::{config, ids, TestSim};

const GROUP: [&str; 6] = [
    "contacts",
    "paths",
    "path_steps",
    "path_journeys",
    "path_histories",
    "path_journey_status_changes",
];

fn id_of(r: &Value, name: &str) -> Option<u64> {
    r["attributes"][name].as_str().map(|s| s.parse().unwrap())
}

fn by_id(records: &[Value]) -> BTreeMap<u64, &Value> {
    ids(records).into_iter().zip(records).collect()
}

#[tokio::test]
async fn the_group_pages_to_the_manifest_in_the_issues_proportions() {
    let t = TestSim::start(config());
    let m = t.manifest().await;
    let mut all = BTreeMap::new();
    for resource in GROUP {
        let expected = m.resources[resource].live;
        let records = t
            .assert_collection(
                &format!("/api/v2/{resource}?page[size]=100"),
                resource,
                expected,
            )
            .await;
        let count = t
            .get(&format!(
                "/api/v2/{resource}?stats[total]=count&page[size]=1"
            ))
            .await
            .json();
        assert_eq!(count["meta"]["stats"]["total"]["count"], expected);
        let first = ids(&records)[0];
        assert_eq!(
            t.get(&format!("/api/v2/{resource}/{first}")).await.status,
            200
        );
        assert_eq!(
            t.get(&format!("/api/v2/{resource}/999999")).await.status,
            404
        );
        all.insert(resource, records);
    }
    // Per 1,000 people: 2,000 contacts, 5 paths of 3 to 8 steps, 300 journeys.
    assert_eq!(m.resources["contacts"].live, 2_000);
    assert_eq!(m.resources["paths"].live, 5);
    assert_eq!(m.resources["path_journey_status_changes"].live, 10);
    assert!((15..=40).contains(&m.resources["path_steps"].live));
    assert_eq!(m.resources["path_journeys"].live, 300);
    assert!(m.resources["path_histories"].live > 300);

    // References point at real records of the nation.
    let steps = by_id(&all["path_steps"]);
    let journeys = by_id(&all["path_journeys"]);
    let changes = by_id(&all["path_journey_status_changes"]);
    for c in &all["contacts"] {
        assert!(c["attributes"].get("updated_at").is_none(), "{c}");
        if let Some(step) = id_of(c, "path_step_id") {
            assert_eq!(id_of(steps[&step], "path_id"), id_of(c, "path_id"));
        }
        assert!(id_of(c, "signup_id").is_some());
    }
    for j in &all["path_journeys"] {
        let step = id_of(j, "current_step_id").unwrap();
        assert_eq!(id_of(steps[&step], "path_id"), id_of(j, "path_id"));
        if let Some(sc) = id_of(j, "path_journey_status_change_id") {
            assert_eq!(id_of(changes[&sc], "path_id"), id_of(j, "path_id"));
        }
    }
    for h in &all["path_histories"] {
        let j = id_of(h, "path_journey_id").unwrap();
        let step = id_of(h, "path_step_id").unwrap();
        assert_eq!(
            id_of(steps[&step], "path_id"),
            id_of(journeys[&j], "path_id")
        );
    }
    // Contacts have no updated_at to filter on; the others do.
    let refused = t
        .get("/api/v2/contacts?filter[updated_at][gte]=2020-01-01T00:00:00Z")
        .await;
    assert_eq!(refused.status, 400);
    let recent = t
        .get("/api/v2/path_journeys?filter[updated_at][gte]=2024-01-01T00:00:00Z&page[size]=100")
        .await;
    assert_eq!(recent.status, 200);
}

#[tokio::test]
async fn churn_adds_contacts_and_moves_journeys() {
    let t = TestSim::start(SimulatorConfig {
        churn_rate: 5,
        churn_limit: 400,
        ..config()
    });
    for _ in 0..100 {
        t.get("/api/v2/signups?page[size]=1&fields[signups]=id")
            .await;
    }
    let m = t.manifest().await;
    let contacts = m.resources["contacts"];
    assert!(contacts.created > 0, "{contacts:?}");
    assert_eq!(contacts.live, 2_000 + contacts.created);
    let journeys = m.resources["path_journeys"];
    let histories = m.resources["path_histories"];
    assert!(journeys.updated > 0, "{journeys:?}");
    assert_eq!(histories.created, journeys.updated);
    for resource in GROUP {
        let (records, _) = t
            .page_v2(&format!("/api/v2/{resource}?page[size]=100"))
            .await;
        assert_eq!(
            records.len() as u64,
            m.resources[resource].live,
            "{resource}"
        );
    }
}
