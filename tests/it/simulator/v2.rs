//! API v2 against a 1,000-person nation: every collection pages to the manifest's counts,
//! keyset paging, filters, sparse fieldsets, variants, auth and determinism.

use nb_exodus::simulator::{
    LastNext, LinkStyle, Oversize, SimulatorConfig, V2LinkParams, Variants,
};

use crate::support::sim::{assert_unique, config, ids, TestSim};

#[tokio::test]
async fn every_collection_pages_to_the_manifest_counts() {
    let t = TestSim::start(config());
    let m = t.manifest().await;
    for (resource, expected) in [
        ("signups", m.people),
        ("signup_tags", m.tags),
        ("signup_taggings", m.taggings),
        ("donations", m.donations),
    ] {
        let (records, pages) = t
            .page_v2(&format!("/api/v2/{resource}?page[size]=100"))
            .await;
        let unique = assert_unique(&ids(&records));
        assert_eq!(unique.len() as u64, expected, "{resource}");
        assert!(records.iter().all(|r| r["type"] == resource));
        // next on every page with data, prev from page 2, an empty last page without next.
        for (i, page) in pages.iter().enumerate() {
            let links = &page["links"];
            assert!(links["self"]
                .as_str()
                .unwrap()
                .contains(&format!("page[number]={}", i + 1)));
            assert_eq!(
                links.get("prev").is_some(),
                i > 0,
                "{resource} page {}",
                i + 1
            );
            let has_data = !page["data"].as_array().unwrap().is_empty();
            assert_eq!(links.get("next").is_some(), has_data);
            assert_eq!(page["meta"], serde_json::json!({}));
        }
        assert!(pages.last().unwrap()["data"].as_array().unwrap().is_empty());
    }
    // Every 50th id is a gap; the tag without taggings is there.
    let (people, _) = t.page_v2("/api/v2/signups?page[size]=100").await;
    assert!(ids(&people).iter().all(|id| id % 50 != 0));
    let (tags, _) = t.page_v2("/api/v2/signup_tags?page[size]=100").await;
    assert!(tags.iter().any(|t| t["attributes"]["taggings_count"] == 0));
    let counted: u64 = tags
        .iter()
        .map(|t| t["attributes"]["taggings_count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, m.taggings);
}

#[tokio::test]
async fn keyset_paging_and_descending_order() {
    let t = TestSim::start(config());
    let m = t.manifest().await;
    for (resource, expected) in [
        ("signups", m.people),
        ("signup_taggings", m.taggings),
        ("donations", m.donations),
    ] {
        let mut after = 0u64;
        let mut seen = Vec::new();
        loop {
            let a = t
                .get(&format!(
                    "/api/v2/{resource}?page[size]=100&sort=id&filter[id][gt]={after}"
                ))
                .await;
            let page = ids(a.json()["data"].as_array().unwrap());
            if page.is_empty() {
                break;
            }
            assert!(page.windows(2).all(|w| w[0] < w[1]));
            assert!(page[0] > after);
            after = *page.last().unwrap();
            seen.extend(page);
        }
        assert_eq!(assert_unique(&seen).len() as u64, expected, "{resource}");
    }
    let a = t.get("/api/v2/signups?page[size]=5&sort=-id").await;
    let desc = ids(a.json()["data"].as_array().unwrap());
    assert!(desc.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(desc[0], m.max_person_id);
}

#[tokio::test]
async fn filters_and_stats() {
    let t = TestSim::start(config());
    let m = t.manifest().await;
    let a = t
        .get("/api/v2/signups?stats[total]=count&page[size]=1")
        .await;
    assert_eq!(a.json()["meta"]["stats"]["total"]["count"], m.people);

    // updated_at: the count in meta equals what paging returns, and every record qualifies.
    let since = "2024-06-01T00:00:00+02:00";
    let cutoff = chrono::DateTime::parse_from_rfc3339(since).unwrap();
    let first = format!(
        "/api/v2/signups?page[size]=100&filter[updated_at][gte]={}&stats[total]=count",
        urlencode(since)
    );
    let (records, pages) = t.page_v2(&first).await;
    assert!(!records.is_empty() && (records.len() as u64) < m.people);
    assert_eq!(
        pages[0]["meta"]["stats"]["total"]["count"],
        records.len() as u64
    );
    for r in &records {
        let updated =
            chrono::DateTime::parse_from_rfc3339(r["attributes"]["updated_at"].as_str().unwrap())
                .unwrap();
        assert!(updated >= cutoff);
    }
    // The links carry the filter (a '+' in the offset must be encoded).
    let next = pages[0]["links"]["next"].as_str().unwrap();
    assert!(
        next.contains("filter[updated_at][gte]=2024-06-01T00%3A00%3A00%2B02%3A00"),
        "{next}"
    );

    // filter[signup_id] on taggings agrees with the v1 person's tags.
    let a = t
        .get("/api/v2/signup_taggings?filter[signup_id]=7&page[size]=100")
        .await;
    let taggings = a.json()["data"].as_array().unwrap().clone();
    let v1 = t.get("/api/v1/people/7/taggings").await.json();
    assert_eq!(taggings.len(), v1["taggings"].as_array().unwrap().len());
    assert!(taggings.iter().all(|r| r["attributes"]["signup_id"] == "7"));
    let a = t
        .get("/api/v2/donations?filter[signup_id]=1&page[size]=100")
        .await;
    assert!(a.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["attributes"]["signup_id"] == "1"));

    // Unknown filter: the reference's 400 body.
    let a = t.get("/api/v2/signups?filter[bogus]=1").await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.json(),
        serde_json::json!({"code":"bad_request","message":"Tried to filter on attribute :bogus, but could not find an attribute with that name."})
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn sparse_fieldsets_extra_fields_and_show() {
    let t = TestSim::start(config());
    let a = t
        .get("/api/v2/signups?fields[signups]=id&page[size]=3")
        .await;
    for r in a.json()["data"].as_array().unwrap() {
        assert_eq!(r["attributes"], serde_json::json!({}));
        assert!(r["id"].is_string());
    }
    // The fast path for id-only pages writes the same records as the general one.
    let fast = t
        .get("/api/v2/signups?fields[signups]=id&page[size]=100")
        .await
        .json();
    let slow = t
        .get("/api/v2/signups?fields[signups]=bogus&page[size]=100")
        .await
        .json();
    assert_eq!(fast["data"], slow["data"]);
    let a = t
        .get("/api/v2/signups?fields[signups]=first_name,bogus,email&page[size]=3")
        .await;
    for r in a.json()["data"].as_array().unwrap() {
        let keys: Vec<&String> = r["attributes"].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["email", "first_name"]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .iter()
                .collect::<Vec<_>>()
        );
    }
    let a = t
        .get("/api/v2/signups/1?extra_fields[signups]=primary_address,home_address")
        .await;
    assert_eq!(a.status, 200);
    let body = a.json();
    assert_eq!(body["data"]["id"], "1");
    assert!(body["data"]["attributes"].get("primary_address").is_some());
    assert!(body["data"]["attributes"].get("home_address").is_some());
    let plain = t.get("/api/v2/signups/1").await.json();
    assert!(plain["data"]["attributes"].get("primary_address").is_none());
    assert_eq!(t.get("/api/v2/signups/50").await.status, 404);
    assert_eq!(
        t.get("/api/v2/signups/50").await.json(),
        serde_json::json!({"code":"not_found","message":"Record not found"})
    );
    for show in [
        "/api/v2/signup_tags/1",
        "/api/v2/donations/1",
        "/api/v2/signup_taggings/8",
    ] {
        let a = t.get(show).await;
        if a.status == 200 {
            assert!(a.json()["data"].is_object());
        } else {
            assert_eq!(a.status, 404, "{show}");
        }
    }
}

#[tokio::test]
async fn page_size_default_and_oversize() {
    let t = TestSim::start(config());
    assert_eq!(
        t.get("/api/v2/signups").await.json()["data"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    assert_eq!(
        t.get("/api/v2/signups?page[size]=150").await.json()["data"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(t.get("/api/v2/signups?page[size]=0").await.status, 400);
    assert_eq!(t.get("/api/v2/signups?page[number]=x").await.status, 400);
    let strict = TestSim::start(SimulatorConfig {
        variants: Variants {
            oversize_page: Oversize::Error,
            ..Variants::default()
        },
        ..config()
    });
    let a = strict.get("/api/v2/signups?page[size]=150").await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["code"], "bad_request");
}

#[tokio::test]
async fn auth_and_content_type() {
    let t = TestSim::start(config());
    let unauthorized = serde_json::json!({"code":"unauthorized","message":"You are not authorized to access this content. Your access token may be missing. The resource owner also may not have a permission level sufficient to grant access."});
    for token in [None, Some("wrong")] {
        let a = t.get_with("/api/v2/signups", token).await;
        assert_eq!(a.status, 401);
        assert_eq!(a.json(), unauthorized);
    }
    // v2 is Bearer only.
    let a = t
        .get_with(&format!("/api/v2/signups?access_token={}", t.token), None)
        .await;
    assert_eq!(a.status, 401);
    let a = t.get("/api/v2/signups").await;
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/vnd.api+json")
    );
    let plain = TestSim::start(SimulatorConfig {
        variants: Variants {
            v2_plain_json: true,
            ..Variants::default()
        },
        ..config()
    });
    assert!(plain
        .get("/api/v2/signups")
        .await
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn link_variants() {
    let t = TestSim::start(config());
    let a = t
        .get("/api/v2/signups?page[size]=100&page[number]=2")
        .await
        .json();
    assert!(a["links"]["self"]
        .as_str()
        .unwrap()
        .starts_with(t.sim.base_url()));

    let variants = Variants {
        links: LinkStyle::Relative,
        last_next: LastNext::Null,
        v2_link_params: V2LinkParams::PageNumberOnly,
        ..Variants::default()
    };
    let rel = TestSim::start(SimulatorConfig {
        variants,
        ..config()
    });
    let a = rel
        .get("/api/v2/signups?page[size]=100&filter[id][gt]=10&sort=id")
        .await
        .json();
    assert_eq!(a["links"]["next"], "/api/v2/signups?page[number]=2");
    let end = rel
        .get("/api/v2/signups?page[size]=100&page[number]=99")
        .await
        .json();
    assert!(end["data"].as_array().unwrap().is_empty());
    assert!(end["links"]["next"].is_null() && end["links"].get("next").is_some());

    let present = TestSim::start(SimulatorConfig {
        variants: Variants {
            last_next: LastNext::Present,
            ..Variants::default()
        },
        ..config()
    });
    let end = present
        .get("/api/v2/signups?page[size]=100&page[number]=99")
        .await
        .json();
    assert!(end["links"]["next"]
        .as_str()
        .unwrap()
        .contains("page[number]=100"));
}

#[tokio::test]
async fn same_flags_give_identical_bytes_and_other_seeds_differ() {
    let a = TestSim::start(config());
    let b = TestSim::start(config());
    let c = TestSim::start(SimulatorConfig {
        seed: 7,
        ..config()
    });
    for path in [
        "/api/v2/signups?page[size]=100&page[number]=3",
        "/api/v2/signup_taggings?page[size]=100&page[number]=5",
        "/api/v2/donations?page[size]=100",
        "/api/v2/signup_tags?page[size]=100",
        "/api/v1/people?limit=100",
        "/api/v1/people/17",
        "/api/v1/donations?limit=50",
    ] {
        let (x, y, z) = (a.get(path).await, b.get(path).await, c.get(path).await);
        // Absolute links contain the port; compare with the base URL removed.
        let strip = |s: &str, t: &TestSim| s.replace(t.sim.base_url(), "");
        assert_eq!(strip(&x.text, &a), strip(&y.text, &b), "{path}");
        assert_ne!(strip(&x.text, &a), strip(&z.text, &c), "{path}");
    }
}
