//! The admin routes and the in-process handle: create, delete and touch people, and the
//! manifest's counts following them.

use crate::support::sim::{config, TestSim};

#[tokio::test]
async fn create_delete_touch_over_http() {
    let t = TestSim::start(config());
    let before = t.manifest().await;

    let resp = t
        .client
        .post(t.url("/__simulator/people"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let created: serde_json::Value = resp.json().await.unwrap();
    let id = created["id"].as_u64().unwrap();
    assert!(id > before.max_person_id);
    let m = t.manifest().await;
    assert_eq!(m.people, before.people + 1);
    assert_eq!(m.max_person_id, id);
    let show = t.get(&format!("/api/v2/signups/{id}")).await;
    assert_eq!(show.status, 200);
    let k = t
        .get(&format!("/api/v2/signup_taggings?filter[signup_id]={id}"))
        .await
        .json()["data"]
        .as_array()
        .unwrap()
        .len() as u64;
    assert_eq!(m.taggings, before.taggings + k);

    // Delete a donor: the person and their taggings vanish, their donations stay.
    let donation = t.get("/api/v2/donations?page[size]=100").await.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["attributes"]["signup_id"]
                .as_str()
                .is_some_and(|s| s.parse::<u64>().unwrap() % 50 != 0)
        })
        .cloned()
        .unwrap();
    let donor: u64 = donation["attributes"]["signup_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let donor_taggings = t
        .get(&format!("/api/v1/people/{donor}/taggings"))
        .await
        .json()["taggings"]
        .as_array()
        .unwrap()
        .len() as u64;
    let before_delete = t.manifest().await;
    let resp = t
        .client
        .delete(t.url(&format!("/__simulator/people/{donor}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(t.get(&format!("/api/v2/signups/{donor}")).await.status, 404);
    assert_eq!(t.get(&format!("/api/v1/people/{donor}")).await.status, 404);
    let left = t
        .get(&format!(
            "/api/v2/signup_taggings?filter[signup_id]={donor}"
        ))
        .await
        .json();
    assert!(left["data"].as_array().unwrap().is_empty());
    let after_delete = t.manifest().await;
    assert_eq!(after_delete.people, before_delete.people - 1);
    assert_eq!(
        after_delete.taggings,
        before_delete.taggings - donor_taggings
    );
    assert_eq!(after_delete.deleted, 1);
    let d = t
        .get(&format!(
            "/api/v2/donations/{}",
            donation["id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(
        d["data"]["attributes"]["signup_id"].as_str().unwrap(),
        donor.to_string()
    );
    let v1 = t
        .get(&format!(
            "/api/v1/donations/search?donor_id={donor}&limit=100"
        ))
        .await
        .json();
    assert!(v1["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["donor"].is_null()));
    let resp = t
        .client
        .delete(t.url(&format!("/__simulator/people/{donor}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // Touch: updated_at moves past every generated timestamp and filters see it.
    let old = t.get("/api/v2/signups/3").await.json()["data"]["attributes"].clone();
    let resp = t
        .client
        .post(t.url("/__simulator/people/3/touch"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let touched: serde_json::Value = resp.json().await.unwrap();
    let new = t.get("/api/v2/signups/3").await.json()["data"]["attributes"].clone();
    assert_ne!(old["updated_at"], new["updated_at"]);
    let stamp = touched["updated_at"].as_str().unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(stamp.as_bytes()).collect();
    let recent = t
        .get(&format!(
            "/api/v2/signups?filter[updated_at][gte]={encoded}"
        ))
        .await
        .json();
    assert_eq!(
        crate::support::sim::ids(recent["data"].as_array().unwrap()),
        vec![3]
    );
    assert_eq!(t.manifest().await.updated, 1);
    assert_eq!(
        t.client
            .post(t.url("/__simulator/people/50/touch"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn handle_methods_and_shutdown() {
    let t = TestSim::start(config());
    let before = t.sim.manifest();
    let id = t.sim.create_person();
    assert!(t.sim.touch_person(id));
    assert!(t.sim.delete_person(5));
    assert!(!t.sim.delete_person(5));
    assert!(!t.sim.touch_person(50));
    let m = t.sim.manifest();
    assert_eq!((m.created, m.updated, m.deleted), (1, 1, 1));
    assert_eq!(m.people, before.people);
    assert_eq!(t.manifest().await, m);
    let url = t.url("/__simulator/manifest");
    let client = t.client.clone();
    t.sim.shutdown().await;
    assert!(
        client.get(url).send().await.is_err(),
        "the port is closed after shutdown"
    );
}
