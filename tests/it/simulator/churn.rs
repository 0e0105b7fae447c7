//! `--churn`: people are created, updated and deleted while pages are served. Naive
//! `page[number]` paging then misses records that existed throughout, while keyset paging
//! (`filter[id][gt]` + `sort=id`) and v1 token paging see each of them exactly once.

use std::collections::BTreeSet;

use nb_exodus::simulator::SimulatorConfig;

use crate::support::sim::{config, ids, TestSim};

fn churning() -> SimulatorConfig {
    SimulatorConfig {
        churn_rate: 4,
        ..config()
    }
}

/// Base ids (≤ the initial max id) that are still live now were live during the whole scan
/// (ids are never reused); returns those the scan did not see.
async fn missed(t: &TestSim, seen: &BTreeSet<u64>, max_base: u64) -> Vec<u64> {
    let mut missed = Vec::new();
    for id in 1..=max_base {
        if id % 50 == 0 || seen.contains(&id) {
            continue;
        }
        if t.get(&format!("/api/v2/signups/{id}?fields[signups]=id"))
            .await
            .status
            == 200
        {
            missed.push(id);
        }
    }
    missed
}

#[tokio::test]
async fn churn_breaks_offset_paging_but_not_keyset_paging() {
    let naive = TestSim::start(churning());
    let max_base = naive.manifest().await.max_person_id;
    let (records, _) = naive
        .page_v2("/api/v2/signups?page[size]=100&fields[signups]=id")
        .await;
    let seen_list = ids(&records);
    let seen: BTreeSet<u64> = seen_list.iter().copied().collect();
    let duplicates = seen_list.len() - seen.len();
    let naive_missed = missed(&naive, &seen, max_base).await;
    assert!(
        !naive_missed.is_empty() || duplicates > 0,
        "churn must make offset paging miss or repeat ids"
    );
    let m = naive.manifest().await;
    assert!(m.created > 0 && m.updated > 0 && m.deleted > 0, "{m:?}");

    let keyset = TestSim::start(churning());
    let mut after = 0;
    let mut seen_list = Vec::new();
    loop {
        let a = keyset
            .get(&format!(
                "/api/v2/signups?page[size]=100&sort=id&fields[signups]=id&filter[id][gt]={after}"
            ))
            .await;
        let page = ids(a.json()["data"].as_array().unwrap());
        let Some(&last) = page.last() else { break };
        after = last;
        seen_list.extend(page);
    }
    let seen: BTreeSet<u64> = seen_list.iter().copied().collect();
    assert_eq!(seen.len(), seen_list.len(), "keyset paging repeats nothing");
    assert_eq!(
        missed(&keyset, &seen, max_base).await,
        Vec::<u64>::new(),
        "keyset paging misses nothing"
    );

    let v1 = TestSim::start(churning());
    let (people, _) = v1.page_v1("/api/v1/people?limit=100").await;
    let list = ids(&people);
    let seen: BTreeSet<u64> = list.iter().copied().collect();
    assert_eq!(seen.len(), list.len(), "v1 token paging repeats nothing");
    assert_eq!(
        missed(&v1, &seen, max_base).await,
        Vec::<u64>::new(),
        "v1 token paging misses nothing"
    );
}

#[tokio::test]
async fn churn_is_reproducible() {
    let a = TestSim::start(churning());
    let b = TestSim::start(churning());
    for n in 1..=4 {
        let path = format!("/api/v2/signups?page[size]=100&page[number]={n}");
        let (x, y) = (a.get(&path).await.text, b.get(&path).await.text);
        assert_eq!(
            x.replace(a.sim.base_url(), ""),
            y.replace(b.sim.base_url(), "")
        );
    }
    assert_eq!(a.manifest().await.people, b.manifest().await.people);
}
