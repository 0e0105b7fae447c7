//! API v1 as a second source (issue 5): the same simulated nation through v1 and v2 lands in
//! identical `core` tables (apart from the API-specific columns listed in
//! [`API_SPECIFIC_COLUMNS`]), and the migrate guarantees — faults, rate limit, fatal errors,
//! resume — hold for v1 too. Also the `V1Source` operations `verify` will use (id sweeps,
//! fetch by id, changed-since) against the simulator.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use nb_exodus::app::migrate::migrate_with;
use nb_exodus::cli::connection::ConnectionArgs;
use nb_exodus::cli::migrate::MigrateArgs;
use nb_exodus::fetch::client::{ClientConfig, HttpClient};
use nb_exodus::fetch::rate_limit::Limiter;
use nb_exodus::fetch::v1::V1Source;
use nb_exodus::fetch::{Cursor, FetchError, Source};
use nb_exodus::mapping::{Api, MappingSet};
use nb_exodus::resource::Resource;
use nb_exodus::simulator::{
    FaultConfig, RateLimit, RunningSimulator, Simulator, SimulatorConfig, V1Paging, Variants,
};
use serde_json::Value;
use sqlx::PgPool;
use url::Url;

use crate::migrate::{assert_counts_match, config_for};
use crate::support::db::TestDb;

/// Columns whose values legitimately differ between a v1 and a v2 export of the same nation,
/// per `core` table. Everything else must be identical (with `--full-people` on the v1 side).
pub const API_SPECIFIC_COLUMNS: &[(&str, &[&str])] = &[
    // 'v1' or 'v2'.
    ("people", &["source_api"]),
    // v2: NationBuilder's numeric tag id; v1 tags have no id, the name is the key.
    ("tags", &["source_id"]),
    // v2: numeric tagging id, numeric tag id, no name, created_at; v1: "<person id>:<tag name>",
    // the tag name twice, no creation time.
    (
        "taggings",
        &["source_id", "tag_source_id", "tag_name", "created_date"],
    ),
    // v2: donation_tracking_code_id (a number); v1: tracking_code_slug (the slug). v2 only:
    // membership_id (dues payments); v1 donations carry no membership id; the tracking code and
    // page as references by id (v1 gives slugs).
    (
        "donations",
        &[
            "tracking_code",
            "membership_source_id",
            "tracking_code_source_id",
            "page_source_id",
        ],
    ),
];

/// Provenance columns, never compared.
const PROVENANCE: &[&str] = &["id", "run_id", "raw_sha256", "loaded_at"];

/// Columns that stay NULL in a v1 export WITHOUT `--full-people` (the abbreviated person lacks
/// them), while the rest of core.people matches.
const ABBREVIATED_MISSING: &[&str] = &[
    "honorific_prefix",
    "honorific_suffix",
    "preferred_language",
    "locale",
    "is_deceased",
    // `parent_id` and `author_id` come in full v1 records only.
    "parent_source_id",
    "author_source_id",
];

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn start(config: SimulatorConfig) -> RunningSimulator {
    Simulator::start(config, any_port()).expect("simulator starts")
}

fn nation(people: u64) -> SimulatorConfig {
    SimulatorConfig {
        people,
        rate_limit: None,
        ..SimulatorConfig::default()
    }
}

fn v1_args() -> MigrateArgs {
    MigrateArgs {
        connection: ConnectionArgs {
            api: Some("v1".into()),
            ..ConnectionArgs::default()
        },
        ..MigrateArgs::default()
    }
}

async fn columns(pool: &PgPool, table: &str, skip: &[&str]) -> Vec<String> {
    let all: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
          WHERE table_schema = 'core' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .expect("columns");
    all.into_iter()
        .filter(|c| !PROVENANCE.contains(&c.as_str()) && !skip.contains(&c.as_str()))
        .collect()
}

/// KNOWN DEVIATION (reported, not fixed here: the mapping engine is not this module's): v2
/// `custom_values` keep keys whose value is null (`{"membership_number": null}`), while the
/// engine's `unmapped` gathering used for v1's top-level custom fields leaves them out. The
/// comparison therefore reads `custom_fields` with null-valued keys stripped on both sides;
/// every non-null value, floats included, must still be equal.
const NULL_KEYS_STRIPPED: &[&str] = &[];

fn select(table: &str, cols: &[String]) -> String {
    let list: Vec<String> = cols
        .iter()
        .map(|c| {
            if NULL_KEYS_STRIPPED.contains(&c.as_str()) {
                format!("jsonb_strip_nulls(\"{c}\") AS \"{c}\"")
            } else {
                format!("\"{c}\"")
            }
        })
        .collect();
    format!(
        "SELECT to_jsonb(r) AS row FROM (SELECT {} FROM core.\"{table}\") r",
        list.join(", ")
    )
}

/// Rows of `table` in `pool` (as JSON objects of `cols`) missing from `other`'s rows, compared by
/// SQL `EXCEPT` in `pool`.
async fn except(pool: &PgPool, table: &str, cols: &[String], other: &Value) -> Vec<Value> {
    let sql = format!(
        "{} EXCEPT SELECT value FROM jsonb_array_elements($1::jsonb)",
        select(table, cols)
    );
    sqlx::query_scalar(&sql)
        .bind(other)
        .fetch_all(pool)
        .await
        .expect("except")
}

async fn rows(pool: &PgPool, table: &str, cols: &[String]) -> Value {
    let sql = format!(
        "SELECT coalesce(jsonb_agg(row), '[]'::jsonb) FROM ({}) q",
        select(table, cols)
    );
    sqlx::query_scalar(&sql)
        .fetch_one(pool)
        .await
        .expect("rows")
}

/// Asserts `table` holds the same rows in both databases, ignoring provenance and `skip`
/// columns: `EXCEPT` both ways is empty and the counts agree.
async fn assert_same_table(a: &PgPool, b: &PgPool, table: &str, skip: &[&str]) {
    let cols = columns(a, table, skip).await;
    let (rows_a, rows_b) = (rows(a, table, &cols).await, rows(b, table, &cols).await);
    let (n_a, n_b) = (
        rows_a.as_array().map_or(0, Vec::len),
        rows_b.as_array().map_or(0, Vec::len),
    );
    let only_a = except(a, table, &cols, &rows_b).await;
    let only_b = except(b, table, &cols, &rows_a).await;
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "core.{table} differs: {} rows only in v2, {} only in v1; first: {:#?} / {:#?}",
        only_a.len(),
        only_b.len(),
        only_a.iter().take(2).collect::<Vec<_>>(),
        only_b.iter().take(2).collect::<Vec<_>>()
    );
    assert_eq!(n_a, n_b, "core.{table} row counts");
    assert!(n_a > 0, "core.{table} is not empty");
}

/// Asserts that comparing `table` WITH `column` finds differences: the column is listed in
/// [`API_SPECIFIC_COLUMNS`] because it really differs, not out of caution.
async fn assert_column_differs(a: &PgPool, b: &PgPool, table: &str, column: &str) {
    let skip: Vec<&str> = api_specific(table)
        .into_iter()
        .filter(|c| *c != column)
        .collect();
    let cols = columns(a, table, &skip).await;
    let rows_b = rows(b, table, &cols).await;
    assert!(
        !except(a, table, &cols, &rows_b).await.is_empty(),
        "core.{table}.{column} is listed as API-specific but is equal in both exports"
    );
}

fn api_specific(table: &str) -> Vec<&'static str> {
    API_SPECIFIC_COLUMNS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, c)| c.to_vec())
        .unwrap_or_default()
}

/// (person, tag name) pairs: what the API-specific tagging ids stand for.
async fn tag_pairs(pool: &PgPool) -> BTreeSet<(String, String)> {
    let dangling: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM core.taggings g
          WHERE NOT EXISTS (SELECT 1 FROM core.tags t
                             WHERE t.nation = g.nation AND t.source_id = g.tag_source_id)",
    )
    .fetch_one(pool)
    .await
    .expect("dangling");
    assert_eq!(dangling, 0, "every tagging points at a loaded tag");
    let pairs: Vec<(String, String)> = sqlx::query_as(
        "SELECT g.person_source_id, t.name FROM core.taggings g
           JOIN core.tags t ON t.nation = g.nation AND t.source_id = g.tag_source_id",
    )
    .fetch_all(pool)
    .await
    .expect("pairs");
    pairs.into_iter().collect()
}

async fn core_tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'core' AND table_type = 'BASE TABLE' ORDER BY table_name",
    )
    .fetch_all(pool)
    .await
    .expect("tables")
}

/// One membership as both APIs can give it: person, type name, status, reason, dates.
type Membership = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The member register through v1 equals v2's apart from what the README lists: the key (v2's
/// id, v1's `<person>:<type name>:<created_at>`), the type (by id in v2 with its name in
/// `core.membership_types`, by name in v1; a deleted type keeps its name in v1 only), the grace
/// period and suspension (v2 only), and the memberships of people deleted before the export,
/// which NationBuilder keeps and only v2 lists (v1 reads memberships person by person).
async fn assert_same_memberships(v2: &PgPool, v1: &PgPool) {
    let read = |pool: PgPool, sql: &'static str| async move {
        sqlx::query_as::<_, Membership>(sql)
            .fetch_all(&pool)
            .await
            .expect("memberships")
    };
    let of_live_people: Vec<Membership> = read(
        v2.clone(),
        "SELECT m.person_source_id, t.name, m.status, m.status_reason, m.started_at::text,
                m.expires_on::text, m.created_date::text, m.modified_date::text
           FROM core.memberships m
           LEFT JOIN core.membership_types t
             ON t.nation = m.nation AND t.source_id = m.membership_type_source_id
          WHERE EXISTS (SELECT 1 FROM core.people p
                         WHERE p.nation = m.nation AND p.source_id = m.person_source_id)
          ORDER BY 1, 7",
    )
    .await;
    let through_v1: Vec<Membership> = read(
        v1.clone(),
        "SELECT person_source_id, membership_type_name, status, status_reason, started_at::text,
                expires_on::text, created_date::text, modified_date::text
           FROM core.memberships ORDER BY 1, 7",
    )
    .await;
    let all_v2 = count_in(v2, "memberships").await as usize;
    assert!(
        all_v2 > of_live_people.len(),
        "the simulator keeps memberships of people deleted before the export (v2 only)"
    );
    assert_eq!(
        through_v1.len(),
        of_live_people.len(),
        "one v1 row per v2 row of a live person"
    );
    let mut deleted_types = 0;
    for (a, b) in of_live_people.iter().zip(&through_v1) {
        let (mut a, b) = (a.clone(), b.clone());
        if a.1.is_none() {
            // A deleted type: v2 keeps its id only, v1 still names it.
            deleted_types += 1;
            assert!(b.1.is_some(), "v1 names the deleted type: {b:?}");
            a.1.clone_from(&b.1);
        }
        assert_eq!(a, b, "the same membership through v2 and v1");
    }
    assert!(
        deleted_types > 0,
        "the simulator has memberships of a deleted type"
    );
    let v2_only: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM core.memberships
          WHERE membership_type_source_id IS NOT NULL OR grace_period_num_time_periods IS NOT NULL
             OR grace_period_time_period_type IS NOT NULL OR suspended_on IS NOT NULL",
    )
    .fetch_one(v1)
    .await
    .expect("v2-only columns");
    assert_eq!(v2_only, 0, "v1 leaves the v2-only membership columns NULL");
}

/// Rows of `core.<table>`.
/// The full exit's tables, compared through what a v1 and a v2 export of one nation share: per
/// table, a SELECT of comparable rows for v2 and, where it differs, for v1 (v1 keys contacts,
/// RSVPs and answers differently, names events and petitions by their page, and lacks the
/// columns the mapping files list). Contacts and notes of people deleted before the export are
/// only reachable through v2 (v1 reads them person by person), so both sides keep those of
/// people in core.people.
const FULL_EXIT: &[(&str, &str, &str)] = &[
    ("sites", "SELECT source_id, name, slug, domain FROM core.sites", ""),
    ("precincts", "SELECT source_id, code, name, point_person_source_id FROM core.precincts", ""),
    (
        "paths",
        "SELECT source_id, name, default_point_person_source_id, created_date, modified_date FROM core.paths",
        "",
    ),
    (
        "path_steps",
        "SELECT source_id, path_source_id, name, position, default_point_person_source_id FROM core.path_steps",
        "",
    ),
    (
        "lists",
        "SELECT source_id, name, slug, author_source_id, source_total_items FROM core.lists",
        "",
    ),
    (
        "list_items",
        "SELECT source_id, list_source_id, person_source_id, item_type FROM core.list_items",
        "",
    ),
    (
        "contacts",
        "SELECT person_source_id, canvasser_source_id, broadcaster_source_id, contact_type, status_code,
                path_source_id, path_step_source_id, political_capital_cents, created_date
           FROM core.contacts c
          WHERE EXISTS (SELECT 1 FROM core.people p WHERE p.source_id = c.person_source_id)",
        "",
    ),
    (
        "sensitive.contact_notes",
        "SELECT person_source_id, content, created_date FROM sensitive.contact_notes n
          WHERE EXISTS (SELECT 1 FROM core.people p WHERE p.source_id = n.person_source_id)",
        "",
    ),
    (
        "events",
        "SELECT page_source_id, start_date, time_zone, location_venue, location_address1,
                location_locality, location_region, location_postal_code, location_country,
                description, capacity, is_private, contact_name, contact_email, contact_phone
           FROM core.events",
        "",
    ),
    (
        "attendances",
        "SELECT page_source_id, person_source_id, canceled, attended, volunteer, is_private,
                guests_count
           FROM core.attendances",
        "",
    ),
    // A v1 petition is its page: one whose page was deleted at the source (v2 keeps the
    // petition with its page id) is reachable only through v2, with its signatures.
    (
        "petitions",
        "SELECT page_source_id, summary, description, goal FROM core.petitions t
          WHERE EXISTS (SELECT 1 FROM core.pages p WHERE p.source_id = t.page_source_id)",
        "SELECT page_source_id, summary, description, goal FROM core.petitions",
    ),
    (
        "petition_signatures",
        "SELECT source_id, person_source_id, page_source_id, is_private, created_date, modified_date
           FROM core.petition_signatures t
          WHERE EXISTS (SELECT 1 FROM core.pages p WHERE p.source_id = t.page_source_id)",
        "SELECT source_id, person_source_id, page_source_id, is_private, created_date, modified_date
           FROM core.petition_signatures",
    ),
    (
        "sensitive.petition_signature_comments",
        "SELECT c.source_id, c.signature_source_id, c.comment
           FROM sensitive.petition_signature_comments c
           JOIN core.petition_signatures t ON t.source_id = c.signature_source_id
          WHERE EXISTS (SELECT 1 FROM core.pages p WHERE p.source_id = t.page_source_id)",
        "SELECT source_id, signature_source_id, comment FROM sensitive.petition_signature_comments",
    ),
    ("surveys", "SELECT source_id, name FROM core.surveys", ""),
    (
        "survey_questions",
        "SELECT source_id, survey_source_id, title, slug, question_type, status FROM core.survey_questions",
        "",
    ),
    (
        "survey_question_choices",
        "SELECT source_id, question_source_id, title, outro FROM core.survey_question_choices",
        "",
    ),
    (
        "sensitive.survey_answers",
        "SELECT person_source_id, question_source_id, coalesce(choice_source_id, value) AS value,
                created_date, modified_date
           FROM sensitive.survey_answers",
        "SELECT person_source_id, question_source_id, value, created_date, modified_date
           FROM sensitive.survey_answers",
    ),
];

/// The rows `sql` selects, as sorted JSON texts.
async fn projection(pool: &PgPool, sql: &str) -> Vec<String> {
    let mut rows: Vec<String> =
        sqlx::query_scalar(&format!("SELECT to_jsonb(q)::text FROM ({sql}) q"))
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.sort();
    rows
}

/// Asserts a full-exit table holds the same comparable rows in both exports (see
/// [`FULL_EXIT`]), and that there are some.
async fn assert_same_full_exit(v2: &PgPool, v1: &PgPool, table: &str) {
    let (_, sql2, sql1) = FULL_EXIT.iter().find(|(t, _, _)| *t == table).unwrap();
    let sql1 = if sql1.is_empty() { sql2 } else { sql1 };
    let (a, b) = (projection(v2, sql2).await, projection(v1, sql1).await);
    assert!(!a.is_empty(), "v2 fills {table}");
    let only_v2: Vec<&String> = a.iter().filter(|r| b.binary_search(r).is_err()).collect();
    let only_v1: Vec<&String> = b.iter().filter(|r| a.binary_search(r).is_err()).collect();
    assert!(
        a.len() == b.len() && only_v2.is_empty() && only_v1.is_empty(),
        "{table} differs: {} rows through v2, {} through v1; only v2: {:?}; only v1: {:?}",
        a.len(),
        b.len(),
        only_v2.iter().take(2).collect::<Vec<_>>(),
        only_v1.iter().take(2).collect::<Vec<_>>()
    );
}

async fn count_in(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM core.{table}"))
        .fetch_one(pool)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_with_full_people_and_v2_give_identical_core_tables() {
    // Large enough for every kind of record of the full exit to occur (a petition whose page
    // is gone, contacts and memberships of people deleted before the export).
    let sim = start(nation(2000));
    let (db2, db1) = (TestDb::new().await, TestDb::new().await);
    migrate_with(&config_for(&sim, &db2, MigrateArgs::default()), false)
        .await
        .expect("v2 migrate");
    let summary = migrate_with(
        &config_for(
            &sim,
            &db1,
            MigrateArgs {
                full_people: true,
                ..v1_args()
            },
        ),
        false,
    )
    .await
    .expect("v1 migrate");
    assert_eq!(summary.rejects, 0);
    assert_counts_match(db1.pool(), &sim.manifest()).await;

    let tables = core_tables(db2.pool()).await;
    // Every core table of the catalogue.
    let catalogue: Vec<String> = nb_exodus::schema::catalogue::TableId::all()
        .map(|t| t.table())
        .filter(|t| t.schema == "core" && t.mappable())
        .map(|t| t.name.to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(tables, catalogue);
    // The tables of resources v1 does not serve stay empty through v1 (the README says which).
    let v2_only: Vec<&str> = nb_exodus::resource::Resource::all()
        .filter(|r| !r.served_by("v1"))
        .map(|r| r.table().trim_start_matches("core."))
        .collect();
    for table in &tables {
        if v2_only.contains(&table.as_str()) {
            assert!(
                count_in(db2.pool(), table).await > 0,
                "v2 fills core.{table}"
            );
            assert_eq!(
                count_in(db1.pool(), table).await,
                0,
                "v1 leaves core.{table} empty"
            );
        } else if table == "memberships" {
            assert_same_memberships(db2.pool(), db1.pool()).await;
        } else if FULL_EXIT.iter().any(|(t, _, _)| t == table) {
            assert_same_full_exit(db2.pool(), db1.pool(), table).await;
        } else {
            assert_same_table(db2.pool(), db1.pool(), table, &api_specific(table)).await;
        }
    }
    for (table, cols) in API_SPECIFIC_COLUMNS {
        for col in *cols {
            assert_column_differs(db2.pool(), db1.pool(), table, col).await;
        }
    }
    // The full exit's special-category tables, compared the same way.
    for (table, _, _) in FULL_EXIT
        .iter()
        .filter(|(t, _, _)| t.starts_with("sensitive."))
    {
        assert_same_full_exit(db2.pool(), db1.pool(), table).await;
    }
    // The API-specific tagging ids stand for the same (person, tag name) pairs.
    assert_eq!(tag_pairs(db2.pool()).await, tag_pairs(db1.pool()).await);
    // Custom fields, floats included, print the same (beyond EXCEPT's numeric equality).
    let cf = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT jsonb_strip_nulls(custom_fields)::text FROM core.people WHERE source_id = '7'",
        )
        .fetch_one(&pool)
        .await
        .expect("custom fields")
    };
    assert_eq!(cf(db2.pool().clone()).await, cf(db1.pool().clone()).await);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abbreviated_v1_people_lack_only_the_full_record_fields() {
    let sim = start(nation(200));
    let (db2, db1) = (TestDb::new().await, TestDb::new().await);
    migrate_with(&config_for(&sim, &db2, MigrateArgs::default()), false)
        .await
        .expect("v2 migrate");
    migrate_with(&config_for(&sim, &db1, v1_args()), false)
        .await
        .expect("v1 migrate");
    assert_counts_match(db1.pool(), &sim.manifest()).await;
    let mut skip = api_specific("people");
    skip.extend_from_slice(ABBREVIATED_MISSING);
    assert_same_table(db2.pool(), db1.pool(), "people", &skip).await;
    let set: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM core.people WHERE preferred_language IS NOT NULL OR locale IS NOT NULL OR is_deceased IS NOT NULL",
    )
    .fetch_one(db1.pool())
    .await
    .expect("count");
    assert_eq!(
        set, 0,
        "the abbreviated person has no language, locale or is_deceased"
    );
    for table in ["tags", "taggings", "donations"] {
        assert_same_table(db2.pool(), db1.pool(), table, &api_specific(table)).await;
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_completes_with_correct_counts_under_faults() {
    let sim = start(SimulatorConfig {
        faults: FaultConfig {
            fail_rate: 0.15,
            truncate_rate: 0.1,
            ..FaultConfig::default()
        },
        ..nation(300)
    });
    let db = TestDb::new().await;
    let config = config_for(
        &sim,
        &db,
        MigrateArgs {
            max_attempts: Some(12),
            ..v1_args()
        },
    );
    let summary = migrate_with(&config, false)
        .await
        .expect("completes despite faults");
    assert_eq!(summary.rejects, 0);
    let manifest = sim.manifest();
    assert!(manifest.faults > 0, "faults were injected");
    assert_counts_match(db.pool(), &manifest).await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_at_the_nations_rate_limit_is_never_rate_limited() {
    let sim = start(SimulatorConfig {
        rate_limit: Some(RateLimit {
            limit: 20,
            window: Duration::from_secs(2),
        }),
        ..nation(300)
    });
    let db = TestDb::new().await;
    let config = config_for(
        &sim,
        &db,
        MigrateArgs {
            connection: ConnectionArgs {
                rate_limit: Some("20/2s".into()),
                ..v1_args().connection
            },
            page_size: Some(20),
            // The per-person routes of the full exit (contacts) would only lengthen the run:
            // the pacing is the point here, and memberships are read per person already.
            exclude: Some(vec!["contacts".into(), "list_members".into()]),
            ..v1_args()
        },
    );
    migrate_with(&config, false).await.expect("migrate");
    let manifest = sim.manifest();
    assert_eq!(manifest.rate_limited, 0, "no 429 at the nation's own limit");
    assert!(
        manifest.requests > 20,
        "several windows were used ({} requests)",
        manifest.requests
    );
    assert_counts_match(db.pool(), &manifest).await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_wrong_token_is_a_clear_fatal_error_without_retries() {
    let sim = start(nation(50));
    let db = TestDb::new().await;
    let mut config = config_for(&sim, &db, v1_args());
    config.token = "not-the-token".into();
    let err = migrate_with(&config, false)
        .await
        .expect_err("a wrong token stops the run");
    let auth = err
        .chain()
        .filter_map(|e| e.downcast_ref::<FetchError>())
        .any(FetchError::is_auth);
    assert!(auth, "an authorisation error: {err:#}");
    let text = format!("{err:#}");
    assert!(text.contains("rejected the access token"), "{text}");
    assert!(!text.contains("not-the-token"), "the token is never shown");
    // One request per stream at most: nothing was retried.
    let requests = sim.manifest().requests;
    assert!(requests <= 4, "{requests} requests for a 401");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_resumes_after_an_interrupted_run() {
    let sim = start(SimulatorConfig {
        faults: FaultConfig {
            fail_rate: 0.4,
            ..FaultConfig::default()
        },
        ..nation(200)
    });
    let db = TestDb::new().await;
    let small = |attempts| MigrateArgs {
        page_size: Some(25),
        max_attempts: Some(attempts),
        // Resuming is the point: the full exit's per-person and per-list routes would only
        // multiply the faulted requests (memberships are read per person already).
        exclude: Some(vec!["contacts".into(), "list_members".into()]),
        ..v1_args()
    };
    let first = migrate_with(&config_for(&sim, &db, small(1)), false).await;
    let err = first.expect_err("one attempt per request cannot survive a 40 % failure rate");
    assert!(
        err.chain()
            .filter_map(|e| e.downcast_ref::<FetchError>())
            .any(|e| matches!(e, FetchError::Exhausted { .. })),
        "{err:#}"
    );
    let interrupted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sync.checkpoints WHERE nation = 'testnation' AND status <> 'done'",
    )
    .fetch_one(db.pool())
    .await
    .expect("checkpoints");
    assert!(interrupted > 0, "the first run left unfinished streams");
    let before = sim.manifest().requests;

    migrate_with(&config_for(&sim, &db, small(30)), false)
        .await
        .expect("the re-run completes");
    let manifest = sim.manifest();
    assert_counts_match(db.pool(), &manifest).await;
    // The checkpoints' record totals add up to what the manifest says exists.
    let (people, taggings): (i64, i64) = sqlx::query_as(
        "SELECT max(records) FILTER (WHERE stream = 'people'), max(records) FILTER (WHERE stream = 'taggings')
           FROM sync.checkpoints WHERE nation = 'testnation'",
    )
    .fetch_one(db.pool())
    .await
    .expect("checkpoint records");
    assert!(people as u64 >= manifest.people && taggings as u64 >= manifest.taggings);
    assert!(manifest.requests > before);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_legacy_envelope_and_links_without_limit_migrate_completely() {
    for variants in [
        Variants {
            v1_paging: V1Paging::Legacy,
            ..Variants::default()
        },
        Variants {
            v1_drop_limit: true,
            ..Variants::default()
        },
    ] {
        let sim = start(SimulatorConfig {
            variants,
            ..nation(250)
        });
        let db = TestDb::new().await;
        migrate_with(&config_for(&sim, &db, v1_args()), false)
            .await
            .unwrap_or_else(|e| panic!("{variants:?}: {e:#}"));
        assert_counts_match(db.pool(), &sim.manifest()).await;
        sim.shutdown().await;
    }
}

fn source(sim: &RunningSimulator, token: &str) -> V1Source {
    let http = HttpClient::new(
        ClientConfig::new(token.to_owned()),
        Arc::new(Limiter::new(None)),
    )
    .expect("client");
    V1Source::new(
        http,
        Url::parse(&format!("{}/", sim.base_url())).expect("base"),
        100,
    )
}

async fn sweep(source: &V1Source, stream: Resource, start: Cursor) -> Vec<String> {
    let mut cursor = start;
    let mut ids = Vec::new();
    while cursor != Cursor::Done {
        let page = source
            .fetch_id_page(stream, &cursor)
            .await
            .expect("id page");
        ids.extend(page.ids);
        cursor = page.next;
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_auth_re_adds_the_token_to_every_followed_link() {
    let sim = start(nation(250));
    // An empty header token: only `?access_token=` authenticates, so page 2 onwards would be
    // 401 if the token were not re-added to the API's links.
    let token = sim.config().token.clone();
    let s = source(&sim, "").with_query_token(token);
    let ids = sweep(
        &s,
        crate::support::resource("people"),
        s.start(crate::support::resource("people")),
    )
    .await;
    assert_eq!(ids.len() as u64, sim.manifest().people);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_sweeps_fetch_by_id_and_changed_since_for_verify() {
    let sim = start(nation(250));
    let manifest = sim.manifest();
    let s = source(&sim, &sim.config().token.clone());
    assert_eq!(
        s.listing_count(crate::support::resource("people"))
            .await
            .expect("count"),
        Some(manifest.people)
    );
    for (stream, expected) in [
        (crate::support::resource("people"), manifest.people),
        (crate::support::resource("tags"), manifest.tags),
        (crate::support::resource("taggings"), manifest.taggings),
        (crate::support::resource("donations"), manifest.donations),
    ] {
        let ids = sweep(&s, stream, s.start(stream)).await;
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{stream}: no id twice");
        assert_eq!(ids.len() as u64, expected, "{stream}");
    }
    let taggings = sweep(
        &s,
        crate::support::resource("taggings"),
        s.start(crate::support::resource("taggings")),
    )
    .await;
    let one = &taggings[0];
    let record = s
        .fetch_record(crate::support::resource("taggings"), one)
        .await
        .expect("tagging")
        .expect("exists");
    assert_eq!(record.source_id.as_deref(), Some(one.as_str()));
    assert!(s
        .fetch_record(crate::support::resource("taggings"), "1:no such tag")
        .await
        .expect("lookup")
        .is_none());
    let person = s
        .fetch_record(crate::support::resource("people"), "1")
        .await
        .expect("person")
        .expect("exists");
    assert!(person.value.get("email1").is_some(), "the full record");
    assert!(s
        .fetch_record(crate::support::resource("people"), "999999")
        .await
        .expect("lookup")
        .is_none());
    assert!(matches!(
        s.fetch_record(crate::support::resource("donations"), "1")
            .await,
        Err(FetchError::Unsupported { .. })
    ));
    let since = s
        .changed_since(
            crate::support::resource("people"),
            Some("2000-01-01T00:00:00Z"),
        )
        .expect("people can be searched by updated_since");
    let changed = sweep(&s, crate::support::resource("people"), since).await;
    assert_eq!(changed.len() as u64, manifest.people);
    // v1 donations have no updated_since: the catch-up re-reads them whole.
    assert_eq!(
        s.changed_since(
            crate::support::resource("donations"),
            Some("2000-01-01T00:00:00Z")
        ),
        Some(s.start(crate::support::resource("donations")))
    );
    sim.shutdown().await;
}

#[test]
fn shipped_v1_files_load_and_match_the_built_in_copies() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings");
    let set = MappingSet::load_dir(&root, Api::V1).expect("v1 mappings");
    let resources: Vec<&str> = set.mappings().iter().map(|m| m.resource()).collect();
    // One file per resource v1 serves, in file-name order.
    let mut served: Vec<&str> = Resource::all()
        .filter(|r| r.served_by("v1"))
        .map(|r| r.as_str())
        .collect();
    served.sort();
    assert_eq!(resources, served);
    for m in set.mappings() {
        assert!(m.example_count() >= 2, "{}", m.file());
        assert!(m.run_examples().is_empty(), "{}", m.file());
    }
    let builtin = MappingSet::builtin(Api::V1).expect("built in");
    assert_eq!(builtin.checksum(), set.checksum());
}

#[test]
fn api_and_full_people_flags_are_validated() {
    let resolve = |api: Option<&str>, full_people: bool| {
        let flags = MigrateArgs {
            connection: ConnectionArgs {
                nation: Some("testnation".into()),
                database_url: Some("postgres://u@127.0.0.1/db".into()),
                api: api.map(str::to_owned),
                ..ConnectionArgs::default()
            },
            full_people,
            ..MigrateArgs::default()
        };
        nb_exodus::config::resolve(flags.inputs(None, Some("t".into())))
    };
    let default = resolve(None, false).expect("v2 by default");
    assert_eq!((default.api, default.full_people), (Api::V2, false));
    let v1 = resolve(Some("v1"), true).expect("v1 with full people");
    assert_eq!((v1.api, v1.full_people), (Api::V1, true));
    let err = resolve(Some("v2"), true).expect_err("--full-people needs v1");
    assert!(err.to_string().contains("--api v1 only"), "{err}");
    assert!(resolve(Some("v3"), false).is_err());
}
