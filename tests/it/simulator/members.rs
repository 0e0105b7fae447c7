//! The member register and custom-field definitions (issue 11): `memberships`,
//! `membership_types` and `custom_fields` page to the manifest, have realistic proportions
//! (about 30 % of people are members, every status, a dangling type, an orphaned membership),
//! are deterministic, filter and show by id like the other collections, match v1's
//! per-person route, and churn.

use std::collections::{BTreeMap, BTreeSet};

use nb_exodus::simulator::{resource_names, SimulatorConfig, V2Keyset, Variants};
use serde_json::Value;

use crate::support::sim::{config, ids, TestSim};

fn attr<'a>(r: &'a Value, name: &str) -> &'a Value {
    &r["attributes"][name]
}

fn id_attr(r: &Value, name: &str) -> u64 {
    attr(r, name)
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{name} is a string id: {r}"))
}

#[tokio::test]
async fn registry_names_and_new_collections_page_to_the_manifest() {
    // The registry's first seven; later resource units append theirs.
    assert_eq!(
        resource_names()[..7],
        [
            "people",
            "tags",
            "taggings",
            "donations",
            "memberships",
            "membership_types",
            "custom_fields"
        ]
    );
    let t = TestSim::start(config());
    let m = t.manifest().await;
    assert_eq!(
        m.resources
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        resource_names().into_iter().collect()
    );
    assert_eq!(m.resources["people"].live, m.people);
    assert_eq!(m.resources["donations"].live, m.donations);
    assert_eq!(m.resources["membership_types"].deleted_before, 1);
    assert_eq!(m.memberships, 330);
    assert_eq!(m.membership_types, 5);
    assert_eq!(m.custom_fields, 8);
    for (resource, expected) in [
        ("memberships", m.memberships),
        ("membership_types", m.membership_types),
        ("custom_fields", m.custom_fields),
    ] {
        for size in [100, 7] {
            t.assert_collection(
                &format!("/api/v2/{resource}?page[size]={size}"),
                resource,
                expected,
            )
            .await;
        }
        // Keyset paging works on them as on the others.
        let mut after = 0;
        let mut seen = Vec::new();
        loop {
            let page = t
                .get(&format!(
                    "/api/v2/{resource}?page[size]=50&sort=id&filter[id][gt]={after}"
                ))
                .await
                .json();
            let got = ids(page["data"].as_array().unwrap());
            let Some(&last) = got.last() else { break };
            after = last;
            seen.extend(got);
        }
        assert_eq!(seen.len() as u64, expected, "{resource} keyset");
        let count = t
            .get(&format!(
                "/api/v2/{resource}?stats[total]=count&page[size]=1"
            ))
            .await
            .json();
        assert_eq!(count["meta"]["stats"]["total"]["count"], expected);
    }
}

#[tokio::test]
async fn proportions_statuses_dangling_types_and_orphans() {
    let t = TestSim::start(SimulatorConfig {
        people: 3000,
        ..config()
    });
    let m = t.manifest().await;
    let (members, _) = t.page_v2("/api/v2/memberships?page[size]=100").await;
    let (types, _) = t.page_v2("/api/v2/membership_types?page[size]=100").await;
    let type_ids: BTreeSet<u64> = ids(&types).into_iter().collect();
    assert!((4..=6).contains(&type_ids.len()));
    for ty in &types {
        for a in [
            "name",
            "description",
            "page_id",
            "grace_period_num_time_periods",
            "grace_period_time_period_type",
            "expiration_warning_num_time_periods",
            "expiration_warning_time_period_type",
            "created_at",
            "updated_at",
        ] {
            assert!(ty["attributes"].get(a).is_some(), "{a} on {ty}");
        }
    }
    let mut per_person: BTreeMap<u64, u64> = BTreeMap::new();
    let mut statuses = BTreeSet::new();
    let mut dangling = 0;
    for r in &members {
        *per_person.entry(id_attr(r, "signup_id")).or_default() += 1;
        statuses.insert(attr(r, "status").as_str().unwrap().to_string());
        if !type_ids.contains(&id_attr(r, "membership_type_id")) {
            dangling += 1;
        }
        let expires = attr(r, "expires_on");
        assert!(
            expires.is_null() || expires.as_str().unwrap().len() == 10,
            "{r}"
        );
        for a in [
            "status_reason",
            "started_at",
            "grace_period_num_time_periods",
            "grace_period_time_period_type",
            "suspended_at",
            "created_at",
            "updated_at",
        ] {
            assert!(r["attributes"].get(a).is_some(), "{a} on {r}");
        }
    }
    assert_eq!(
        statuses,
        ["active", "canceled", "expired", "grace period"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert!(dangling > 0, "some memberships point at a deleted type");
    let orphans = per_person.keys().filter(|p| *p % 50 == 0).count();
    assert!(orphans > 0, "some memberships belong to a deleted person");
    let members_alive = per_person.keys().filter(|p| *p % 50 != 0).count() as f64;
    let share = members_alive / m.people as f64;
    assert!((0.25..0.35).contains(&share), "{share}");
    let twice = per_person.values().filter(|n| **n == 2).count();
    assert!(
        twice > 0 && (twice as f64) < 0.05 * m.people as f64,
        "{twice}"
    );
}

#[tokio::test]
async fn same_seed_same_bytes_other_seed_differs() {
    let a = TestSim::start(config());
    let b = TestSim::start(config());
    let c = TestSim::start(SimulatorConfig {
        seed: 7,
        ..config()
    });
    let body = |t: &TestSim, text: String| text.replace(t.sim.base_url(), "");
    for path in [
        "/api/v2/memberships?page[size]=100&page[number]=2",
        "/api/v2/membership_types",
        "/api/v2/custom_fields",
    ] {
        let x = body(&a, a.get(path).await.text);
        let y = body(&b, b.get(path).await.text);
        let z = body(&c, c.get(path).await.text);
        assert_eq!(x, y, "{path}");
        assert_ne!(x, z, "{path}");
    }
    let (mut x, mut y, mut z) = (String::new(), String::new(), String::new());
    for person in 1..=30 {
        let path = format!("/api/v1/people/{person}/memberships");
        x.push_str(&a.get(&path).await.text);
        y.push_str(&b.get(&path).await.text);
        z.push_str(&c.get(&path).await.text);
    }
    assert_eq!(x, y);
    assert_ne!(x, z);
}

#[tokio::test]
async fn custom_field_definitions_against_the_keys_in_use() {
    let t = TestSim::start(config());
    let (fields, _) = t.page_v2("/api/v2/custom_fields?page[size]=100").await;
    let defined = |resource_type: &str| -> BTreeSet<String> {
        fields
            .iter()
            .filter(|f| attr(f, "resource_type") == resource_type)
            .map(|f| attr(f, "slug").as_str().unwrap().to_string())
            .collect()
    };
    for f in &fields {
        for a in [
            "name",
            "slug",
            "field_type",
            "options",
            "position",
            "created_at",
            "updated_at",
        ] {
            assert!(f["attributes"].get(a).is_some(), "{a} on {f}");
        }
    }
    let skills = fields.iter().find(|f| attr(f, "slug") == "skills").unwrap();
    assert!(attr(skills, "options")["1"].is_string());
    let (people, _) = t.page_v2("/api/v2/signups?page[size]=100").await;
    let used: BTreeSet<String> = people
        .iter()
        .flat_map(|p| {
            attr(p, "custom_values")
                .as_object()
                .unwrap()
                .keys()
                .cloned()
        })
        .collect();
    let signup_defs = defined("Signup");
    assert_eq!(
        used.difference(&signup_defs).cloned().collect::<Vec<_>>(),
        ["legacy_crm_ref"],
        "one key in use has no definition"
    );
    assert!(
        signup_defs.is_subset(&used),
        "every signup definition is used"
    );
    let (donations, _) = t.page_v2("/api/v2/donations?page[size]=100").await;
    let donation_keys: BTreeSet<String> = donations
        .iter()
        .flat_map(|d| {
            attr(d, "custom_values")
                .as_object()
                .unwrap()
                .keys()
                .cloned()
        })
        .collect();
    assert!(donation_keys.is_empty());
    assert_eq!(
        defined("Donation").into_iter().collect::<Vec<_>>(),
        ["gift_aid"],
        "one definition is never used"
    );
    let only = t
        .get("/api/v2/custom_fields?filter[resource_type]=Donation")
        .await
        .json();
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn v1_per_person_memberships_equal_v2() {
    let t = TestSim::start(config());
    let (members, _) = t.page_v2("/api/v2/memberships?page[size]=100").await;
    let (types, _) = t.page_v2("/api/v2/membership_types").await;
    let names: BTreeMap<u64, String> = types
        .iter()
        .map(|ty| {
            (
                ids(std::slice::from_ref(ty))[0],
                attr(ty, "name").as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut by_person: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for r in &members {
        by_person
            .entry(id_attr(r, "signup_id"))
            .or_default()
            .push(r);
    }
    let mut compared = 0;
    let mut seen_two = false;
    for person in (1..=400u64).filter(|p| p % 50 != 0) {
        // limit=1 makes people with two memberships follow a token link.
        let (v1, pages) = t
            .page_v1(&format!("/api/v1/people/{person}/memberships?limit=1"))
            .await;
        let v2 = by_person.get(&person).cloned().unwrap_or_default();
        assert_eq!(v1.len(), v2.len(), "person {person}");
        seen_two |= v1.len() == 2;
        if v1.len() == 2 {
            let next = pages[0]["next"].as_str().unwrap();
            assert!(next.starts_with(&format!("/api/v1/people/{person}/memberships?__nonce=")));
        }
        for (a, b) in v1.iter().zip(v2) {
            assert_eq!(a["person_id"], person);
            for k in [
                "status",
                "status_reason",
                "expires_on",
                "started_at",
                "created_at",
                "updated_at",
            ] {
                assert_eq!(a[k], b["attributes"][k], "{k} of person {person}");
            }
            match names.get(&id_attr(b, "membership_type_id")) {
                Some(name) => assert_eq!(a["name"], name.as_str()),
                // A deleted type: v1 still names it, v2 has no type to look up.
                None => assert!(a["name"].is_string()),
            }
            compared += 1;
        }
    }
    assert!(compared > 80 && seen_two, "{compared}");
    assert_eq!(t.get("/api/v1/people/50/memberships").await.status, 404);
    assert_eq!(t.get("/api/v1/membership_types").await.status, 404);
}

#[tokio::test]
async fn filters_show_by_id_and_quirks() {
    let t = TestSim::start(config());
    let (all, _) = t.page_v2("/api/v2/memberships?page[size]=100").await;
    let since = "2024-06-01T00:00:00Z";
    let cut = chrono::DateTime::parse_from_rfc3339(since).unwrap();
    let want: Vec<u64> = all
        .iter()
        .filter(|r| {
            chrono::DateTime::parse_from_rfc3339(attr(r, "updated_at").as_str().unwrap()).unwrap()
                >= cut
        })
        .map(|r| ids(std::slice::from_ref(r))[0])
        .collect();
    let (got, _) = t
        .page_v2(&format!(
            "/api/v2/memberships?page[size]=100&filter[updated_at][gte]={since}"
        ))
        .await;
    assert!(!want.is_empty() && want.len() < all.len());
    assert_eq!(ids(&got), want);
    let started: Vec<u64> = all
        .iter()
        .filter(|r| {
            chrono::DateTime::parse_from_rfc3339(attr(r, "started_at").as_str().unwrap()).unwrap()
                >= cut
        })
        .map(|r| ids(std::slice::from_ref(r))[0])
        .collect();
    let (got, _) = t
        .page_v2(&format!(
            "/api/v2/memberships?page[size]=100&filter[started_at][gte]={since}"
        ))
        .await;
    assert!(!started.is_empty());
    assert_eq!(ids(&got), started);
    let (grace, _) = t
        .page_v2("/api/v2/memberships?page[size]=100&filter[status]=grace%20period")
        .await;
    assert!(!grace.is_empty() && grace.iter().all(|r| attr(r, "status") == "grace period"));
    let first = &all[0];
    let person = id_attr(first, "signup_id");
    let (mine, _) = t
        .page_v2(&format!("/api/v2/memberships?filter[signup_id]={person}"))
        .await;
    assert!(mine.iter().any(|r| r["id"] == first["id"]));
    let (of_type, _) = t
        .page_v2("/api/v2/memberships?page[size]=100&filter[membership_type_id]=2")
        .await;
    assert!(!of_type.is_empty() && of_type.iter().all(|r| attr(r, "membership_type_id") == "2"));
    // Show by id gives the index record; deleted or unknown ids are 404.
    let id = first["id"].as_str().unwrap();
    let shown = t.get(&format!("/api/v2/memberships/{id}")).await.json();
    assert_eq!(&shown["data"], first);
    assert_eq!(t.get("/api/v2/memberships/999999").await.status, 404);
    assert_eq!(t.get("/api/v2/membership_types/4").await.status, 404);
    assert_eq!(t.get("/api/v2/membership_types/1").await.status, 200);
    assert_eq!(t.get("/api/v2/custom_fields/8").await.status, 200);
    // Sparse fieldsets, unknown filters and sorts.
    let sparse = t
        .get("/api/v2/memberships?fields[memberships]=status,bogus")
        .await
        .json();
    let keys: Vec<&String> = sparse["data"][0]["attributes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["status"]);
    let bad = t.get("/api/v2/memberships?filter[bogus]=1").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["code"], "bad_request");
    assert_eq!(t.get("/api/v2/custom_fields?sort=name").await.status, 400);
    // The keyset switch applies to the new collections too.
    let refused = TestSim::start(SimulatorConfig {
        variants: Variants {
            v2_keyset: V2Keyset::Refused,
            v2_refuse_updated_filter: true,
            ..Variants::default()
        },
        ..config()
    });
    for path in [
        "/api/v2/memberships?sort=id",
        "/api/v2/membership_types?filter[id][gt]=1",
        "/api/v2/memberships?filter[updated_at][gte]=2024-01-01",
    ] {
        assert_eq!(refused.get(path).await.status, 400, "{path}");
    }
}

#[tokio::test]
async fn churn_changes_memberships() {
    let t = TestSim::start(SimulatorConfig {
        churn_rate: 5,
        churn_limit: 400,
        ..config()
    });
    let before = t.get("/api/v2/memberships?page[size]=100").await.text;
    for _ in 0..100 {
        t.get("/api/v2/signups?page[size]=1&fields[signups]=id")
            .await;
    }
    let m = t.manifest().await;
    let c = m.resources["memberships"];
    assert!(c.created > 0 && c.updated > 0 && c.deleted > 0, "{c:?}");
    assert_eq!(c.live, 330 + c.created - c.deleted);
    assert_eq!(m.memberships, c.live);
    let after = t.get("/api/v2/memberships?page[size]=100").await.text;
    assert_ne!(before, after);
    // The nation has settled: the collection pages to the manifest count.
    let (all, _) = t.page_v2("/api/v2/memberships?page[size]=100").await;
    assert_eq!(all.len() as u64, t.manifest().await.memberships);
    let ids = ids(&all);
    assert!(ids.iter().any(|id| *id > 330), "new memberships are served");
}

#[tokio::test]
async fn dues_payments_and_the_null_membership_id_switch() {
    let on = TestSim::start(config());
    let (donations, _) = on.page_v2("/api/v2/donations?page[size]=100").await;
    let (members, _) = on.page_v2("/api/v2/memberships?page[size]=100").await;
    let owner: BTreeMap<u64, u64> = members
        .iter()
        .map(|r| (ids(std::slice::from_ref(r))[0], id_attr(r, "signup_id")))
        .collect();
    let dues: Vec<&Value> = donations
        .iter()
        .filter(|d| !attr(d, "membership_id").is_null())
        .collect();
    assert!(
        dues.len() > 20 && dues.len() < donations.len() / 3,
        "{}",
        dues.len()
    );
    for d in dues {
        let m = id_attr(d, "membership_id");
        assert_eq!(Some(&id_attr(d, "signup_id")), owner.get(&m), "{d}");
    }
    let off = TestSim::start(SimulatorConfig {
        variants: Variants {
            null_membership_id: true,
            ..Variants::default()
        },
        ..config()
    });
    let (plain, _) = off.page_v2("/api/v2/donations?page[size]=100").await;
    assert!(plain.iter().all(|d| attr(d, "membership_id").is_null()));
    // Apart from membership_id the donations are the same.
    let strip = |mut d: Value| {
        d["attributes"]["membership_id"] = Value::Null;
        d
    };
    assert_eq!(
        donations.into_iter().map(strip).collect::<Vec<_>>(),
        plain.into_iter().map(strip).collect::<Vec<_>>()
    );
}
