//! The outreach resources (issue 12, item 9): broadcasters, mailings, automations, automation
//! enrollments and imports. `/api/v2/imports` may not page (the spec declares no page
//! parameters): the export must be complete and finite whether the API pages it or answers
//! every request with the whole collection (the simulator's `imports_unpaged` switch).

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::simulator::{Simulator, SimulatorConfig, Variants};

use crate::migrate::{assert_counts_match, config_for};
use crate::support::db::TestDb;

fn start(people: u64, imports_unpaged: bool) -> nb_exodus::simulator::RunningSimulator {
    Simulator::start(
        SimulatorConfig {
            people,
            rate_limit: None,
            variants: Variants {
                imports_unpaged,
                ..Variants::default()
            },
            ..SimulatorConfig::default()
        },
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .expect("simulator starts")
}

async fn scalar(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// With pages of 4, the paged collection takes several pages and the unpaged one gives all
/// its records to every request: both load every import once, with its row counts.
#[tokio::test]
async fn imports_are_complete_whether_or_not_the_api_pages_them() {
    for unpaged in [false, true] {
        let sim = start(3000, unpaged);
        let db = TestDb::new().await;
        let config = config_for(
            &sim,
            &db,
            MigrateArgs {
                resources: Some(vec!["imports".into()]),
                page_size: Some(4),
                ..MigrateArgs::default()
            },
        );
        let summary = migrate_with(&config, false)
            .await
            .unwrap_or_else(|e| panic!("unpaged={unpaged}: {e}"));
        assert_eq!(summary.rejects, 0);
        let manifest = sim.manifest();
        assert_eq!(manifest.resources["imports"].live, 15);
        assert_counts_match(db.pool(), &manifest).await;
        let distinct = scalar(
            &db,
            "SELECT count(DISTINCT source_id) FROM core.imports WHERE nation = 'testnation'",
        )
        .await;
        assert_eq!(distinct, 15, "unpaged={unpaged}");
        let counted = scalar(
            &db,
            "SELECT count(*) FROM core.imports WHERE nation = 'testnation'
               AND rows_successful + rows_unsuccessful = lines_count",
        )
        .await;
        assert_eq!(
            counted, 15,
            "unpaged={unpaged}: every import keeps its row counts"
        );
        // Safe: a handful of requests, not one per page number forever.
        assert!(
            sim.manifest().requests < 200,
            "unpaged={unpaged}: {} requests",
            sim.manifest().requests
        );
        // verify enumerates the source's imports (its id sweep reads the collection the same
        // way) and finds them all.
        let report = nb_exodus::verify::run(&crate::verify::verify_config_for(&sim, &db, None, 20))
            .await
            .expect("verify runs");
        let imports = &report.resources["imports"];
        assert!(
            imports.equation.balanced,
            "unpaged={unpaged}: {:?}",
            imports.equation
        );
        assert_eq!(
            imports.source.as_ref().map(|s| s.enumerated),
            Some(15),
            "unpaged={unpaged}"
        );
    }
}

/// Every reference between the outreach records points at a loaded record, and a mailing
/// keeps its audience list as a plain id.
#[tokio::test]
async fn outreach_references_resolve_after_a_migration() {
    let sim = start(1000, false);
    let db = TestDb::new().await;
    let config = config_for(&sim, &db, MigrateArgs::default());
    migrate_with(&config, false)
        .await
        .expect("migrate succeeds");
    let manifest = sim.manifest();
    assert_counts_match(db.pool(), &manifest).await;
    for (resource, live) in [
        ("broadcasters", 3),
        ("mailings", 40),
        ("automations", 4),
        ("automation_enrollments", 200),
        ("imports", 5),
    ] {
        assert_eq!(manifest.resources[resource].live, live, "{resource}");
    }
    let dangling = scalar(
        &db,
        "SELECT count(*) FROM core.automation_enrollments e
          WHERE NOT EXISTS (SELECT 1 FROM core.people p
                             WHERE p.nation = e.nation AND p.source_id = e.person_source_id)
             OR NOT EXISTS (SELECT 1 FROM core.automations a
                             WHERE a.nation = e.nation AND a.source_id = e.automation_source_id)",
    )
    .await;
    assert_eq!(dangling, 0);
    let orphans = scalar(
        &db,
        "SELECT count(*) FROM core.mailings m
          WHERE NOT EXISTS (SELECT 1 FROM core.broadcasters b
                             WHERE b.nation = m.nation AND b.source_id = m.broadcaster_source_id)",
    )
    .await;
    assert_eq!(orphans, 0);
    let audiences = scalar(
        &db,
        "SELECT count(*) FROM core.mailings
          WHERE (list_source_id IS NULL) = (tag_list IS NULL)",
    )
    .await;
    assert_eq!(audiences, 0, "every mailing has a list or tags as audience");
    let counters = scalar(
        &db,
        "SELECT count(*) FROM core.automations a
          WHERE total_enrollments_count_reported <> (SELECT count(*) FROM core.automation_enrollments e
                                                      WHERE e.nation = a.nation
                                                        AND e.automation_source_id = a.source_id)",
    )
    .await;
    assert_eq!(
        counters, 0,
        "the extra-field counters match the enrollments loaded"
    );
}
