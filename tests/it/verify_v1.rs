//! `verify --api v1` (issue 5): the auditor enumerates and samples the nation through API v1,
//! against a v1 export (same keys) and a v2 export (tag and tagging ids translated through the
//! raw archive, the sample compared on the fields both APIs share); tampering is caught the same
//! way, and the report re-checks offline.

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::connection::ConnectionArgs;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::resource::V1Key;
use nb_exodus::simulator::RunningSimulator;
use nb_exodus::verify::report::{Finding, FindingClass, Report};
use nb_exodus::verify::{self, OfflineConfig, VerifyConfig, VerifyError};

use crate::migrate::{config_for, sim};
use crate::support::db::TestDb;
use crate::verify::defects;

/// `sim` exported into a fresh database through `api` (`full`: v1 `--full-people`).
async fn exported(sim: &RunningSimulator, api: &str, full: bool) -> TestDb {
    let db = TestDb::new().await;
    let config = config_for(
        sim,
        &db,
        MigrateArgs {
            connection: ConnectionArgs {
                api: Some(api.into()),
                ..ConnectionArgs::default()
            },
            full_people: full,
            ..MigrateArgs::default()
        },
    );
    let summary = migrate_with(&config, false)
        .await
        .expect("migrate succeeds");
    assert_eq!(summary.rejects, 0);
    db
}

fn verify_config(sim: &RunningSimulator, db: &TestDb, api: &str, sample: u64) -> VerifyConfig {
    crate::verify::verify_config_for(sim, db, Some(api), sample)
}

/// Every resource balances, is enumerated completely and its whole sample matches.
fn assert_balanced(report: &Report, sim: &RunningSimulator, what: &str) {
    assert_eq!(defects(report), Vec::<&Finding>::new(), "{what}");
    assert!(report.outcome.balanced, "{what}");
    assert_eq!(report.outcome.exit_code, 0, "{what}");
    let source = report.source.as_ref().expect("online");
    assert_eq!(source.api, "v1", "{what}");
    let m = sim.manifest();
    for (name, expected) in [
        ("people", m.people),
        ("tags", m.tags),
        ("taggings", m.taggings),
        ("donations", m.donations),
    ] {
        let e = &report.resources[name];
        assert!(e.equation.balanced, "{what} {name}: {:?}", e.equation);
        assert_eq!(e.equation.source_balanced, Some(true), "{what} {name}");
        let src = e.source.as_ref().expect("source side");
        assert_eq!(src.enumerated, expected, "{what} {name} enumerated");
        assert_eq!(e.database.counts.archived, expected, "{what} {name}");
        assert_eq!(src.sample.drawn, expected.min(299), "{what} {name}");
        assert_eq!(
            src.sample.matched, src.sample.drawn,
            "{what} {name} sample: {:?}",
            src.sample
        );
        let method = src.sample.method.as_deref().expect("method recorded");
        if matches!(name, "tags" | "donations") {
            assert!(
                method.starts_with("from_listing"),
                "{what} {name}: {method}"
            );
        } else {
            assert_eq!(method, "refetched_by_id", "{what} {name}");
        }
    }
    assert_eq!(
        report.resources["people"]
            .source
            .as_ref()
            .expect("source")
            .reported_total,
        Some(m.people),
        "{what}: /people/count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_v1_balances_against_v1_and_v2_exports() {
    let sim = sim(150);
    for (api, full) in [("v1", false), ("v1", true), ("v2", false)] {
        let what = format!("{api} export (full people: {full})");
        let db = exported(&sim, api, full).await;
        let report = verify::run(&verify_config(&sim, &db, "v1", 299))
            .await
            .expect("verify runs");
        assert_balanced(&report, &sim, &what);
        assert_eq!(report.export.api.as_deref(), Some(api), "{what}");
        let source = report.source.as_ref().expect("online");
        assert_eq!(source.key_translation.is_some(), api == "v2", "{what}");
        let people = report.resources["people"].source.as_ref().expect("source");
        assert!(
            people.sample.compared.is_some(),
            "{what}: says what it compared"
        );
        // The full exit's resources v1 serves are swept through v1 too: every one of a v1
        // export, and of a v2 export those whose records keep their ids in v1 (sites, lists…).
        let mut swept = Vec::new();
        for resource in nb_exodus::resource::Resource::all().skip(7) {
            let comparable = api == "v1" || resource.def().v1_key != V1Key::None;
            if !resource.served_by("v1") || !comparable {
                continue;
            }
            let name = resource.as_str();
            let e = &report.resources[name];
            assert_eq!(e.equation.source_balanced, Some(true), "{what} {name}");
            let src = e.source.as_ref().expect("source side");
            assert_eq!(src.enumerated, e.database.counts.archived, "{what} {name}");
            swept.push(name);
        }
        assert_eq!(
            swept.len(),
            if api == "v1" { 15 } else { 5 },
            "{what}: {swept:?}"
        );

        // The report re-checks offline, whichever API it was made through.
        let dir = tempfile::tempdir().expect("tempdir");
        verify::report::write(&report, &dir.path().join("out"), None).expect("write");
        let offline = verify::run_offline(&OfflineConfig {
            report: dir.path().join("out/report.json"),
            database: nb_exodus::database::ConnectionSettings::new(db.url()),
            pubkey: None,
        })
        .await
        .expect("offline runs");
        assert_eq!(offline.findings, Vec::<Finding>::new(), "{what}");
        assert_eq!(offline.exit_code, 0, "{what}");

        if api == "v1" {
            // v2 cannot enumerate a v1 archive's tags by id: refused, not guessed (exit 2).
            let refused = verify::run(&verify_config(&sim, &db, "v2", 10)).await;
            assert!(
                matches!(&refused, Err(VerifyError::Report(m)) if m.contains("--api v1")),
                "{refused:?}"
            );
        }
    }
    sim.shutdown().await;
}

async fn exec(db: &TestDb, sql: &str) {
    let done = sqlx::query(sql)
        .execute(db.pool())
        .await
        .expect("tampering statement");
    assert!(done.rows_affected() > 0, "tampering changed nothing: {sql}");
}

fn has_defect(report: &Report, resource: &str, id: &str, code: &str) -> bool {
    report.findings.iter().any(|f| {
        f.resource == resource
            && f.source_id.as_deref() == Some(id)
            && f.class == FindingClass::Defect
            && f.code == code
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_caught_under_api_v1() {
    let sim = sim(120);

    // A v1 export: a deleted core tagging row.
    let db = exported(&sim, "v1", false).await;
    let id: String = sqlx::query_scalar(
        "SELECT source_id FROM core.taggings WHERE nation = 'testnation' ORDER BY source_id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .expect("a tagging");
    exec(
        &db,
        &format!(
            "DELETE FROM core.taggings WHERE nation = 'testnation' AND source_id = '{}'",
            id.replace('\'', "''")
        ),
    )
    .await;
    let report = verify::run(&verify_config(&sim, &db, "v1", 50))
        .await
        .expect("verify runs");
    assert_eq!(report.outcome.exit_code, 1);
    assert!(!report.resources["taggings"].equation.balanced);
    assert!(
        has_defect(&report, "taggings", &id, "archived_not_loaded"),
        "{:#?}",
        defects(&report)
    );

    // A v2 export checked through v1: a deleted raw person is missing from the archive.
    let db = exported(&sim, "v2", false).await;
    exec(
        &db,
        "DELETE FROM raw.records WHERE nation = 'testnation' AND resource = 'people' AND source_id = '20'",
    )
    .await;
    let report = verify::run(&verify_config(&sim, &db, "v1", 50))
        .await
        .expect("verify runs");
    assert_eq!(report.outcome.exit_code, 1);
    let people = &report.resources["people"];
    assert!(!people.equation.balanced);
    assert_eq!(people.source.as_ref().expect("source").missing, 1);
    assert!(
        has_defect(&report, "people", "20", "missing"),
        "{:#?}",
        defects(&report)
    );

    // A v2 export checked through v1: a deleted raw tagging is missing too (translated key).
    let db = exported(&sim, "v2", false).await;
    exec(
        &db,
        "DELETE FROM raw.records WHERE nation = 'testnation' AND resource = 'taggings' AND source_id = '16'",
    )
    .await;
    let report = verify::run(&verify_config(&sim, &db, "v1", 50))
        .await
        .expect("verify runs");
    assert_eq!(report.outcome.exit_code, 1);
    let taggings = report.resources["taggings"]
        .source
        .as_ref()
        .expect("source");
    assert_eq!(taggings.missing, 1, "{:#?}", defects(&report));
    sim.shutdown().await;
}
