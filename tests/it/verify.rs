//! `verify` end to end: a simulated nation exported by `migrate` into a real PostgreSQL, then
//! verified over HTTP; tampering with the database, and changes at the source after the export.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::connection::ConnectionArgs;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::cli::verify::{VerifyArgs, VerifyMode};
use nb_exodus::simulator::RunningSimulator;
use nb_exodus::verify::report::{Finding, FindingClass, Report};
use nb_exodus::verify::sign::SecretKey;
use nb_exodus::verify::{self, OfflineConfig, SignatureCheck, VerifyConfig};

use crate::migrate::{config_for, sim};
use crate::support::db::TestDb;

const NATION: &str = "testnation";

/// A nation of `people` exported into a fresh database.
async fn exported(people: u64) -> (RunningSimulator, TestDb) {
    let sim = sim(people);
    let db = TestDb::new().await;
    let config = config_for(&sim, &db, MigrateArgs::default());
    let summary = migrate_with(&config, false)
        .await
        .expect("migrate succeeds");
    assert_eq!(summary.rejects, 0);
    (sim, db)
}

/// Verify settings for `sim` and `db`, through the CLI's own resolution.
fn verify_config(sim: &RunningSimulator, db: &TestDb, sample: u64) -> VerifyConfig {
    verify_config_for(sim, db, None, sample)
}

/// Verify settings for `sim` and `db` through the given API (`None`: the default, v2).
pub(crate) fn verify_config_for(
    sim: &RunningSimulator,
    db: &TestDb,
    api: Option<&str>,
    sample: u64,
) -> VerifyConfig {
    let args = VerifyArgs {
        connection: ConnectionArgs {
            nation: Some(NATION.into()),
            api: api.map(str::to_owned),
            api_base: Some(sim.base_url().to_owned()),
            database_url: Some(db.url().to_owned()),
            rate_limit: Some("off".into()),
            ..ConnectionArgs::default()
        },
        out: Some("unused".into()),
        sample,
        max_lookups: 1000,
        ..VerifyArgs::default()
    };
    match args
        .resolve(None, Some(sim.config().token.clone()))
        .expect("valid flags")
    {
        VerifyMode::Online(config, _, _) => *config,
        VerifyMode::Offline(..) => panic!("online flags resolved to offline"),
    }
}

pub(crate) fn defects(report: &Report) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.class == FindingClass::Defect)
        .collect()
}

fn has(
    report_findings: &[Finding],
    resource: &str,
    id: &str,
    class: FindingClass,
    code: &str,
) -> bool {
    report_findings.iter().any(|f| {
        f.resource == resource
            && f.source_id.as_deref() == Some(id)
            && f.class == class
            && f.code == code
    })
}

async fn exec(db: &TestDb, sql: &str) {
    let done = sqlx::query(sql)
        .execute(db.pool())
        .await
        .expect("tampering statement");
    assert!(done.rows_affected() > 0, "tampering changed nothing: {sql}");
}

/// Writes a clean, signed report for `db`; returns the directory and the key.
async fn clean_signed_report(
    sim: &RunningSimulator,
    db: &TestDb,
) -> (tempfile::TempDir, SecretKey, Report) {
    let report = verify::run(&verify_config(sim, db, 50))
        .await
        .expect("verify runs");
    assert_eq!(defects(&report), Vec::<&Finding>::new(), "clean export");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::generate().expect("key");
    verify::report::write(&report, &dir.path().join("out"), Some(&key)).expect("write");
    (dir, key, report)
}

async fn offline(db: &TestDb, dir: &Path, pubkey: Option<&Path>) -> verify::OfflineOutcome {
    verify::run_offline(&OfflineConfig {
        report: dir.join("out/report.json"),
        database: nb_exodus::database::ConnectionSettings::new(db.url()),
        pubkey: pubkey.map(Path::to_owned),
    })
    .await
    .expect("offline check runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_export_balances_and_the_signed_report_rechecks_offline() {
    let (sim, db) = exported(200).await;
    let report = verify::run(&verify_config(&sim, &db, 299))
        .await
        .expect("verify runs");
    assert_eq!(defects(&report), Vec::<&Finding>::new());
    assert!(report.outcome.balanced);
    assert_eq!(report.outcome.exit_code, 0);
    let manifest = sim.manifest();
    // Every resource of the registry, in every check.
    assert_eq!(
        report
            .resources
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        nb_exodus::resource::names().collect::<BTreeSet<_>>()
    );
    for name in nb_exodus::resource::names() {
        let expected = manifest.resources[name].live;
        assert!(expected > 0, "the simulator serves {name}");
        let e = &report.resources[name];
        assert!(e.equation.balanced, "{name}: {:?}", e.equation);
        assert_eq!(e.equation.source_balanced, Some(true), "{name}");
        assert!(e.equation.archive_balanced, "{name}");
        let src = e.source.as_ref().expect("online report has a source side");
        assert_eq!(src.enumerated, expected, "{name} enumerated");
        // A collection read per owner (a list's members) has no total of its own: its owners'
        // counters are checked as control totals instead.
        let nested = nb_exodus::resource::Resource::named(name)
            .and_then(|r| r.def().v2)
            .is_some_and(|b| b.nested.is_some());
        if nested {
            assert_eq!(src.reported_total, None, "{name} API total");
        } else {
            assert_eq!(src.reported_total, Some(expected), "{name} API total");
        }
        let c = &e.database.counts;
        assert_eq!(
            (c.archived, c.loaded, c.rejected, c.excluded),
            (expected, expected, 0, 0),
            "{name}"
        );
        assert_eq!(e.database.integrity.raw_hash_mismatches, 0);
        assert!(e
            .database
            .integrity
            .tables
            .values()
            .all(|t| t.only_loaded + t.only_derived + t.differing == 0));
        assert_eq!(src.sample.drawn, expected.min(299), "{name} sample");
        assert_eq!(
            src.sample.matched, src.sample.drawn,
            "{name} sample matches"
        );
        assert_eq!(e.database.manifest.leaves, expected);
        assert_eq!(e.database.manifest.root.len(), 64);
        assert!(e
            .equation
            .archive
            .contains(&format!("archived {expected} = loaded {expected}")));
    }
    // Donations of donors deleted before the export (the simulator's gap ids) and without a
    // donor are NationBuilder-allowed orphans, not defects.
    let d = &report.resources["donations"];
    let unknown = d.database.referential["donor_not_exported"];
    assert!(unknown > 0, "the simulator has donations of deleted donors");
    assert_eq!(
        d.source.as_ref().expect("source").lookups["donor_deleted_at_source"],
        unknown
    );
    assert!(d.database.referential["donor_none"] > 0);

    // The member register's references: memberships of people deleted before the export are
    // looked up (404: explained), memberships of the deleted type are allowed orphans.
    let m = &report.resources["memberships"];
    let looked = &m.source.as_ref().expect("source").lookups;
    assert!(
        m.database.referential["person_not_exported"] > 0,
        "{:?}",
        m.database.referential
    );
    assert_eq!(
        looked["person_deleted_at_source"],
        m.database.referential["person_not_exported"]
    );
    assert!(
        m.database.referential["type_not_exported"] > 0,
        "{:?}",
        m.database.referential
    );
    assert_eq!(
        report.resources["donations"].database.referential["membership_archived_not_loaded"],
        0
    );

    // Custom-field definitions against the keys in use: the simulator emits `legacy_crm_ref`
    // on people without defining it, and defines the donation field `gift_aid` that no
    // donation uses. Both are explained, never defects; the keys are named, no value is.
    let defs = &report.resources["custom_fields"].database.referential;
    assert_eq!(defs["keys_without_definition"], 1, "{defs:?}");
    assert_eq!(defs["definitions_unused"], 1, "{defs:?}");
    let said = |code: &str, key: &str| {
        report.findings.iter().any(|f| {
            f.resource == "custom_fields"
                && f.code == code
                && f.class == FindingClass::Explained
                && f.detail.contains(key)
        })
    };
    assert!(said("key_without_definition", "\"legacy_crm_ref\""));
    assert!(said("definition_unused", "\"gift_aid\""));

    // Same data, same seed: same roots and sample; the seed was derived, not chosen.
    assert_eq!(report.sample.seed_origin, "derived_from_roots");
    let again = verify::run(&verify_config(&sim, &db, 299))
        .await
        .expect("verify runs");
    for (name, e) in &report.resources {
        assert_eq!(e.database.manifest, again.resources[name].database.manifest);
    }
    assert_eq!(report.sample.seed, again.sample.seed);

    // Written with mode 0600, signed, canonical; no personal data in it.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let key = SecretKey::generate().expect("key");
    let written = verify::report::write(&report, &out, Some(&key)).expect("write");
    for path in [
        &written.json,
        &written.markdown,
        written.signature.as_ref().expect("signed"),
    ] {
        let mode = std::fs::metadata(path).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    let text = std::fs::read_to_string(&written.json).expect("report");
    assert_eq!(Report::from_json(&text).expect("parses"), report);
    assert_eq!(text, report.to_canonical_json().expect("canonical"));
    let personal: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT v FROM (
            SELECT given_name AS v FROM core.people UNION SELECT family_name FROM core.people
            UNION SELECT address FROM core.email_addresses UNION SELECT number FROM core.phone_numbers
            UNION SELECT donor_email FROM core.donations) AS x WHERE v IS NOT NULL AND length(v) > 2",
    )
    .fetch_all(db.pool())
    .await
    .expect("personal values");
    assert!(personal.len() > 100);
    let md = std::fs::read_to_string(&written.markdown).expect("markdown");
    assert!(
        md.contains(&format!(
            "Only `report.json` is signed: `report.json.sig` is an Ed25519 signature in minisign's format by the key with id **{}**.",
            key.key_id()
        )),
        "{md}"
    );
    for value in &personal {
        let quoted = serde_json::to_string(value).expect("json string");
        assert!(
            !text.contains(&quoted),
            "report.json contains personal data {quoted}"
        );
        assert!(
            !md.contains(&format!(" {value} ")),
            "report.md contains personal data"
        );
    }
    let salt: Vec<u8> = sqlx::query_scalar("SELECT salt FROM audit.export_salts WHERE nation = $1")
        .bind(NATION)
        .fetch_one(db.pool())
        .await
        .expect("salt stored");
    assert!(
        !text.contains(&hex::encode(&salt)),
        "the salt stays in the database"
    );

    // Offline: the right key passes, a wrong key fails, no key skips the signature.
    let pub_path = dir.path().join("k.pub");
    std::fs::write(&pub_path, key.public().to_file_text()).expect("pub");
    let ok = offline(&db, dir.path(), Some(&pub_path)).await;
    assert!(
        matches!(ok.signature, SignatureCheck::Valid(_)),
        "{:?}",
        ok.signature
    );
    assert_eq!(ok.findings, Vec::<Finding>::new());
    assert_eq!(ok.exit_code, 0);
    let wrong_path = dir.path().join("wrong.pub");
    std::fs::write(
        &wrong_path,
        SecretKey::generate().expect("key").public().to_file_text(),
    )
    .expect("pub");
    let wrong = offline(&db, dir.path(), Some(&wrong_path)).await;
    assert!(matches!(wrong.signature, SignatureCheck::Failed(_)));
    assert_eq!(wrong.exit_code, 1);
    let unchecked = offline(&db, dir.path(), None).await;
    assert_eq!(unchecked.signature, SignatureCheck::NotChecked);
    assert_eq!(unchecked.exit_code, 0);

    // An edited report no longer verifies, even if it still parses.
    let forged = text.replace("\"balanced\":true", "\"balanced\":false");
    verify::private_files::write_private(&written.json, forged.as_bytes()).expect("forge");
    let forged = offline(&db, dir.path(), Some(&pub_path)).await;
    assert!(matches!(forged.signature, SignatureCheck::Failed(_)));
    assert_eq!(forged.exit_code, 1);
    sim.shutdown().await;
}

/// Tampers with a clean export and checks that both the online and the offline check name it.
async fn tampering_is_caught(sql: &str, resource: &str, id: &str, codes: &[&str]) {
    let (sim, db) = exported(120).await;
    let (dir, key, _) = clean_signed_report(&sim, &db).await;
    exec(&db, sql).await;

    let report = verify::run(&verify_config(&sim, &db, 50))
        .await
        .expect("verify runs");
    assert_eq!(report.outcome.exit_code, 1, "{sql}");
    assert!(!report.outcome.balanced);
    assert!(!report.resources[resource].equation.balanced);
    for code in codes {
        assert!(
            has(&report.findings, resource, id, FindingClass::Defect, code),
            "no {code} finding for {resource} {id} after {sql}: {:#?}",
            defects(&report)
        );
    }

    let pub_path = dir.path().join("k.pub");
    std::fs::write(&pub_path, key.public().to_file_text()).expect("pub");
    let checked = offline(&db, dir.path(), Some(&pub_path)).await;
    assert!(matches!(checked.signature, SignatureCheck::Valid(_)));
    assert_eq!(checked.exit_code, 1, "offline check passes after {sql}");
    assert!(
        checked
            .findings
            .iter()
            .any(|f| f.resource == resource && f.code == "differs_from_report"),
        "{:#?}",
        checked.findings
    );
    assert!(checked
        .findings
        .iter()
        .any(|f| f.resource == resource && f.source_id.as_deref() == Some(id)));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_core_row_is_caught() {
    tampering_is_caught(
        "DELETE FROM core.people WHERE nation = 'testnation' AND source_id = '7'",
        "people",
        "7",
        &["archived_not_loaded", "row_missing"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_core_value_is_caught() {
    tampering_is_caught(
        "UPDATE core.donations SET amount_minor = amount_minor + 100 WHERE nation = 'testnation' AND source_id = '5'",
        "donations",
        "5",
        &["row_differs"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_raw_body_is_caught() {
    tampering_is_caught(
        "UPDATE raw.records SET body = json_build_object('id', body->'id', 'type', body->'type',
                'attributes', (body->'attributes')::jsonb || '{\"name\": \"renamed\"}')::json
          WHERE nation = 'testnation' AND resource = 'tags' AND source_id = '3'",
        "tags",
        "3",
        &["raw_hash_mismatch", "row_differs"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_raw_record_is_caught() {
    tampering_is_caught(
        "DELETE FROM raw.records WHERE nation = 'testnation' AND resource = 'people' AND source_id = '20'",
        "people",
        "20",
        &["missing", "loaded_without_archive", "row_not_derivable"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tagging_pointed_at_another_person_is_caught() {
    tampering_is_caught(
        "UPDATE core.taggings SET person_source_id = '3'
          WHERE nation = 'testnation' AND source_id = '16' AND person_source_id <> '3'",
        "taggings",
        "16",
        &["row_differs"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_at_source_after_the_export_are_explained_not_defects() {
    let (sim, db) = exported(150).await;
    let created = sim.create_person().to_string();
    assert!(sim.delete_person(1), "person 1 exists");
    assert!(sim.touch_person(2), "person 2 exists");

    let report = verify::run(&verify_config(&sim, &db, 299))
        .await
        .expect("verify runs");
    assert_eq!(
        defects(&report),
        Vec::<&Finding>::new(),
        "no migration defect"
    );
    assert_eq!(report.outcome.exit_code, 0);
    let f = &report.findings;
    assert!(
        has(
            f,
            "people",
            &created,
            FindingClass::Explained,
            "new_at_source"
        ),
        "{f:#?}"
    );
    assert!(has(
        f,
        "people",
        "1",
        FindingClass::Explained,
        "deleted_at_source"
    ));
    assert!(has(
        f,
        "people",
        "2",
        FindingClass::Explained,
        "changed_at_source"
    ));
    let people = report.resources["people"].source.as_ref().expect("source");
    assert_eq!(
        (
            people.new_at_source,
            people.deleted_at_source,
            people.missing
        ),
        (1, 1, 0)
    );
    assert_eq!(people.sample.changed_at_source, 1);
    assert_eq!(people.sample.deleted_at_source, 1);
    assert_eq!(people.sample.migration_defects, 0);
    assert!(report.resources["people"].equation.balanced);
    // The created person's taggings are new, the deleted person's are gone: both explained.
    let taggings = report.resources["taggings"]
        .source
        .as_ref()
        .expect("source");
    assert!(taggings.deleted_at_source > 0);
    assert_eq!(taggings.missing, 0);

    // report.md gives each kind of finding one line, with its count when it repeats.
    let dir = tempfile::tempdir().expect("tempdir");
    let written = verify::report::write(&report, dir.path(), None).expect("write");
    let md = std::fs::read_to_string(&written.markdown).expect("markdown");
    let mut kinds: std::collections::BTreeMap<(&str, &str, &str), usize> = Default::default();
    for f in &report.findings {
        *kinds
            .entry((f.resource.as_str(), f.check.as_str(), f.code.as_str()))
            .or_default() += 1;
    }
    assert!(
        kinds.values().any(|&n| n > 1),
        "some kind repeats: {kinds:?}"
    );
    for ((resource, check, code), n) in kinds {
        let line = match n {
            1 => format!("- {resource} "),
            n => format!("- {resource} — {check} `{code}` × {n}: ids "),
        };
        let tag = format!("{check} `{code}`");
        let lines: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with(&format!("- {resource} ")) && l.contains(&tag))
            .collect();
        assert_eq!(lines.len(), 1, "one line for {tag}: {lines:?}\n{md}");
        assert!(lines[0].starts_with(&line), "{}", lines[0]);
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reconciled_by_a_second_migrate_balance() {
    let (sim, db) = exported(150).await;
    let donor: String = sqlx::query_scalar(
        "SELECT d.person_source_id FROM core.donations d JOIN core.people p
             ON p.nation = d.nation AND p.source_id = d.person_source_id
          WHERE d.nation = 'testnation' ORDER BY length(d.person_source_id), d.person_source_id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .expect("a loaded donor");
    assert!(sim.delete_person(donor.parse().expect("numeric id")));
    let created = sim.create_person().to_string();
    assert!(sim.touch_person(2));
    let config = config_for(&sim, &db, MigrateArgs::default());
    migrate_with(&config, false)
        .await
        .expect("second run reconciles");

    let report = verify::run(&verify_config(&sim, &db, 299))
        .await
        .expect("verify runs");
    assert_eq!(defects(&report), Vec::<&Finding>::new());
    assert_eq!(report.outcome.exit_code, 0);
    let people = &report.resources["people"];
    assert!(people.equation.balanced, "{:?}", people.equation);
    assert_eq!(
        people.database.counts.deleted_at_source, 1,
        "{}",
        people.equation.archive
    );
    let src = people.source.as_ref().expect("source");
    assert_eq!(
        (src.deleted_at_source, src.new_at_source, src.missing),
        (1, 0, 0)
    );
    assert!(has(
        &report.findings,
        "donations",
        &{
            let id: String = sqlx::query_scalar(
            "SELECT source_id FROM core.donations WHERE nation = 'testnation' AND person_source_id = $1 LIMIT 1",
        )
        .bind(&donor)
        .fetch_one(db.pool())
        .await
        .expect("the donation stays");
            id
        },
        FindingClass::Explained,
        "donor_marked_deleted_at_source"
    ));
    assert!(
        report.resources["donations"].database.referential["donor_marked_deleted_at_source"] >= 1
    );
    let loaded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM core.people WHERE nation = 'testnation' AND source_id = $1",
    )
    .bind(&created)
    .fetch_one(db.pool())
    .await
    .expect("count");
    assert_eq!(loaded, 1, "the reconciliation loaded the new person");

    // Hiding a record by marking it deleted is caught: the leaf changes, and online the API
    // still lists it.
    let dir = tempfile::tempdir().expect("tempdir");
    verify::report::write(&report, &dir.path().join("out"), None).expect("write");
    exec(&db, "UPDATE raw.records SET deleted_at_source = now() WHERE nation = 'testnation' AND resource = 'people' AND source_id = '3'").await;
    exec(
        &db,
        "DELETE FROM core.people WHERE nation = 'testnation' AND source_id = '3'",
    )
    .await;
    let hidden = verify::run(&verify_config(&sim, &db, 20))
        .await
        .expect("verify runs");
    assert!(has(
        &hidden.findings,
        "people",
        "3",
        FindingClass::Defect,
        "marked_deleted_but_present"
    ));
    let checked = offline(&db, dir.path(), None).await;
    assert_eq!(checked.exit_code, 1);
    assert!(checked
        .findings
        .iter()
        .any(|f| f.resource == "people" && f.detail.contains("manifest.root")));
    sim.shutdown().await;
}

fn bin(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("NATIONBUILDER_API_TOKEN")
        .envs(env.iter().copied())
        .output()
        .expect("run nb-exodus");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_0_balanced_1_defects_2_cannot_verify() {
    let (sim, db) = exported(100).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (code, _, err) = bin(
        &[
            "keygen",
            "--secret-key",
            &p("k.key"),
            "--public-key",
            &p("k.pub"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = bin(
        &[
            "keygen",
            "--secret-key",
            &p("k.key"),
            "--public-key",
            &p("k.pub"),
        ],
        &[],
    );
    assert_eq!(code, 2, "keygen refuses to overwrite: {err}");
    let token = sim.config().token.clone();
    let online = |out: &str| {
        vec![
            "verify".to_owned(),
            "--nation".into(),
            NATION.into(),
            "--api-base".into(),
            sim.base_url().to_owned(),
            "--database-url".into(),
            db.url().to_owned(),
            "--rate-limit".into(),
            "off".into(),
            "--sample".into(),
            "40".into(),
            "--out".into(),
            p(out),
            "--sign-key".into(),
            p("k.key"),
        ]
    };
    let run = |args: Vec<String>, token: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        bin(&args, &[("NATIONBUILDER_API_TOKEN", token)])
    };
    let (code, stdout, err) = run(online("clean"), &token);
    assert_eq!(code, 0, "{stdout}\n{err}");
    assert!(stdout.contains("balanced: 0 defect(s)"), "{stdout}");
    assert!(Path::new(&p("clean/report.json.sig")).exists());

    let offline = |key: &str| {
        vec![
            "verify".to_owned(),
            "--offline".into(),
            "--report".into(),
            p("clean/report.json"),
            "--database-url".into(),
            db.url().to_owned(),
            "--pubkey".into(),
            p(key),
        ]
    };
    let (code, stdout, err) = run(offline("k.pub"), "");
    assert_eq!(code, 0, "{stdout}\n{err}");
    assert!(stdout.contains("signature: valid"), "{stdout}");
    bin(
        &[
            "keygen",
            "--secret-key",
            &p("o.key"),
            "--public-key",
            &p("o.pub"),
        ],
        &[],
    );
    let (code, stdout, _) = run(offline("o.pub"), "");
    assert_eq!(code, 1, "wrong key: {stdout}");
    assert!(stdout.contains("signature: INVALID"), "{stdout}");

    exec(&db, "UPDATE core.people SET family_name = 'Tampered' WHERE nation = 'testnation' AND source_id = '4'").await;
    let (code, stdout, _) = run(online("tampered"), &token);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("DEFECT people 4 rederive row_differs"),
        "{stdout}"
    );
    let (code, stdout, _) = run(offline("k.pub"), "");
    assert_eq!(code, 1, "offline after tampering: {stdout}");

    // Could not verify: a wrong token, a database without the export. One line on stderr.
    let (code, _, err) = run(online("x"), "wrong-token");
    assert_eq!(code, 2);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("401") && errors[0].contains("NATIONBUILDER_API_TOKEN"),
        "{err}"
    );
    let empty = TestDb::new().await;
    let mut args = online("y");
    args[6] = empty.url().to_owned();
    let (code, _, err) = run(args, &token);
    assert_eq!(code, 2);
    assert!(
        err.contains("holds no finished export") && err.contains("--nation"),
        "{err}"
    );
    sim.shutdown().await;
}

/// `verify --json`, online and offline: one JSON document on stdout with the exit code and the
/// report, nothing else there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_json_is_one_document_on_stdout() {
    let (sim, db) = exported(60).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("audit");
    let out_s = out.to_string_lossy().into_owned();
    let (code, stdout, err) = bin(
        &[
            "verify",
            "--json",
            "--nation",
            NATION,
            "--api-base",
            sim.base_url(),
            "--database-url",
            db.url(),
            "--rate-limit",
            "off",
            "--sample",
            "10",
            "--out",
            &out_s,
        ],
        &[("NATIONBUILDER_API_TOKEN", &sim.config().token)],
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["report"]["nation"], NATION);
    let report = out.join("report.json").to_string_lossy().into_owned();
    let (code, stdout, err) = bin(
        &[
            "verify",
            "--json",
            "--offline",
            "--report",
            &report,
            "--database-url",
            db.url(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["signature"]["checked"], false);
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(0));
    sim.shutdown().await;
}
