//! Surveys, tracking codes, pledges and petitions in the simulator over HTTP: every collection
//! pages to the manifest with the proportions per 1,000 people, references between the
//! records point at served records (donations included), petitions have no timestamps (and no
//! `updated_at` filter), and the person and id filters and show-by-id work as on the others.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::sim::{assert_unique, config, ids, TestSim};

const RESOURCES: &[(&str, u64)] = &[
    ("surveys", 2),
    ("survey_questions", 8),
    ("survey_question_possible_responses", 24),
    ("survey_question_responses", 400),
    ("donation_tracking_codes", 10),
    ("pledges", 50),
    ("petitions", 3),
    ("petition_signatures", 600),
];

fn id_of(r: &Value, name: &str) -> Option<u64> {
    r["attributes"][name].as_str().map(|s| s.parse().unwrap())
}

#[tokio::test]
async fn collections_page_to_the_manifest_and_references_resolve() {
    let t = TestSim::start(config());
    let m = t.manifest().await;
    let mut served = std::collections::BTreeMap::new();
    for (resource, per_thousand) in RESOURCES {
        let (records, _) = t
            .page_v2(&format!("/api/v2/{resource}?page[size]=100"))
            .await;
        let got: BTreeSet<u64> = assert_unique(&ids(&records)).into_iter().collect();
        assert_eq!(got.len() as u64, m.resources[*resource].live, "{resource}");
        assert_eq!(
            got.len() as u64,
            *per_thousand,
            "{resource} per 1,000 people"
        );
        let count = t
            .get(&format!(
                "/api/v2/{resource}?stats[total]=count&page[size]=1"
            ))
            .await
            .json();
        assert_eq!(count["meta"]["stats"]["total"]["count"], *per_thousand);
        let missing = t
            .get(&format!("/api/v2/{resource}/{}", per_thousand + 1))
            .await;
        assert_eq!(missing.status, 404, "{resource}");
        served.insert(*resource, (got, records));
    }
    let has =
        |resource: &str, id: Option<u64>| id.is_none_or(|id| served[resource].0.contains(&id));
    for q in &served["survey_questions"].1 {
        assert!(has("surveys", id_of(q, "survey_id")));
        assert!(q["attributes"]["tag_list"].is_null() || q["attributes"]["tag_list"].is_string());
    }
    for c in &served["survey_question_possible_responses"].1 {
        assert!(has("survey_questions", id_of(c, "survey_question_id")));
    }
    let (mut doorstep, mut skipped, mut texts) = (0, 0, 0);
    for r in &served["survey_question_responses"].1 {
        assert!(has("survey_questions", id_of(r, "survey_question_id")));
        assert!(has(
            "survey_question_possible_responses",
            id_of(r, "survey_question_possible_response_id")
        ));
        doorstep += usize::from(!r["attributes"]["author_id"].is_null());
        skipped += usize::from(r["attributes"]["is_skipped"] == true);
        texts += usize::from(r["attributes"]["content"].is_string());
    }
    assert!(
        doorstep > 80 && skipped > 0 && texts > 0,
        "{doorstep} {skipped} {texts}"
    );
    for p in &served["pledges"].1 {
        assert!(has(
            "donation_tracking_codes",
            id_of(p, "donation_tracking_code_id")
        ));
        let a = &p["attributes"];
        assert!(a["amount_left_in_cents"].as_i64() <= a["amount_in_cents"].as_i64());
    }
    for s in &served["petition_signatures"].1 {
        assert!(has("petitions", id_of(s, "petition_id")));
    }
    for p in &served["petitions"].1 {
        for absent in ["name", "slug", "created_at", "updated_at"] {
            assert!(p["attributes"].get(absent).is_none(), "{absent}: {p}");
        }
    }
    // Donations name served tracking codes and pledges.
    let (donations, _) = t.page_v2("/api/v2/donations?page[size]=100").await;
    let mut pledged = 0;
    for d in &donations {
        assert!(has(
            "donation_tracking_codes",
            id_of(d, "donation_tracking_code_id")
        ));
        assert!(has("pledges", id_of(d, "pledge_id")));
        pledged += usize::from(id_of(d, "pledge_id").is_some());
    }
    assert!(pledged > 10, "{pledged}");
}

#[tokio::test]
async fn filters_by_person_and_time_and_petitions_refuse_updated_at() {
    let t = TestSim::start(config());
    let (signatures, _) = t
        .page_v2("/api/v2/petition_signatures?page[size]=100")
        .await;
    let person = id_of(&signatures[3], "signup_id").unwrap();
    let (mine, _) = t
        .page_v2(&format!(
            "/api/v2/petition_signatures?page[size]=100&filter[signup_id]={person}"
        ))
        .await;
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|s| id_of(s, "signup_id") == Some(person)));
    let since = signatures[0]["attributes"]["updated_at"]
        .as_str()
        .unwrap()
        .to_string();
    let (changed, _) = t
        .page_v2(&format!(
            "/api/v2/survey_question_responses?page[size]=100&filter[updated_at][gte]={}",
            since.replace('+', "%2B")
        ))
        .await;
    assert!(changed.len() < 400);
    let refused = t
        .get("/api/v2/petitions?filter[updated_at][gte]=2024-01-01T00:00:00Z")
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
}
