//! The PostgreSQL sink on its own: records archived for the first time go in by `COPY`, and a
//! page whose `COPY` meets a row that exists after all is written again with upserts, in the
//! same transaction, with the same result as if it had been upserted from the start.

use std::collections::BTreeMap;
use std::sync::Arc;

use nb_exodus::fetch::{ApiProfile, Cursor};
use nb_exodus::load::{self, PageBatch, PgSink};
use nb_exodus::mapping::mapper::{LoadRow, RawRow, TableRows};
use nb_exodus::mapping::{Cell, TableId};
use nb_exodus::resource::Resource;

use crate::support::db::TestDb;

/// A page of people `ids`, each with one e-mail address; given names from `name`.
fn page(run_id: i64, ids: &[&str], name: &str) -> PageBatch {
    let people = TableId::named("core.people").unwrap();
    let emails = TableId::named("core.email_addresses").unwrap();
    let sha = |id: &str| format!("{:0>64}", id);
    let row = |table: TableId, source_id: &str, sha: String, values: &[(&str, Cell)]| LoadRow {
        source_id: source_id.to_owned(),
        raw_sha256: Some(sha),
        cells: table
            .table()
            .engine_columns()
            .map(|c| {
                if c.name == "source_id" {
                    return Cell::Text(source_id.to_owned());
                }
                values
                    .iter()
                    .find(|(n, _)| *n == c.name)
                    .map_or(Cell::Null, |(_, v)| v.clone())
            })
            .collect(),
    };
    let mut person_rows = TableRows::new(people);
    let mut email_rows = TableRows::new(emails);
    for id in ids {
        person_rows.rows.push(row(
            people,
            id,
            sha(id),
            &[("given_name", Cell::Text(format!("{name}\t{id}\\")))],
        ));
        email_rows.rows.push(row(
            emails,
            &format!("{id}:email1"),
            sha(id),
            &[
                ("person_source_id", Cell::Text((*id).to_owned())),
                ("address", Cell::Text(format!("{name}{id}@example.org"))),
                ("is_primary", Cell::Bool(true)),
            ],
        ));
    }
    email_rows.replace_children_of = Some((
        "person_source_id".to_owned(),
        ids.iter().map(|id| (*id).to_owned()).collect(),
    ));
    let raw = ids
        .iter()
        .map(|id| RawRow {
            source_id: (*id).to_owned(),
            body: format!("{{\"id\":\"{id}\",\"note\":\"a\\\\b\\n\"}}").into_bytes(),
            json_storable: true,
            sha256: sha(id),
        })
        .collect();
    PageBatch {
        nation: "demo".into(),
        stream: Resource::named("people").unwrap(),
        api: "v2".into(),
        run_id,
        raw,
        tables: BTreeMap::from([
            ("core.email_addresses".to_owned(), email_rows),
            ("core.people".to_owned(), person_rows),
        ]),
        rejects: Vec::new(),
        mapped_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        fields: BTreeMap::new(),
        next: Cursor::Done,
        total: None,
        mapping_sha256: "0".repeat(64),
        source_clock: None,
        advances_checkpoint: false,
        spooled: None,
        learned: ApiProfile::default(),
        count_changes: false,
    }
}

async fn people(db: &TestDb) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT p.source_id, p.given_name, e.address
           FROM core.people p LEFT JOIN core.email_addresses e
             ON e.nation = p.nation AND e.person_source_id = p.source_id
          WHERE p.nation = 'demo' ORDER BY p.source_id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn load_copies_new_records_and_upserts_a_row_that_exists_without_its_record() {
    let db = TestDb::new().await;
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO sync.runs (nation, api) VALUES ('demo', 'v2') RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let sink = PgSink::new(db.pool().clone(), None);

    // A first page: every record is new, so everything goes in by COPY, escapes included.
    let outcome = load::commit(&sink, Arc::new(page(run_id, &["1", "2"], "ada")))
        .await
        .unwrap();
    assert_eq!((outcome.archived, outcome.new, outcome.rows), (2, 2, 4));
    let body: String =
        sqlx::query_scalar("SELECT body::text FROM raw.records WHERE source_id = '1'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(body, "{\"id\":\"1\",\"note\":\"a\\\\b\\n\"}");

    // Person 3's row exists although its record was never archived (as if another stream had
    // written it): the COPY of the new record 3 meets it, and the page is upserted instead.
    sqlx::query(
        "INSERT INTO core.people (nation, source_id, given_name) VALUES ('demo', '3', 'stale')",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let outcome = load::commit(&sink, Arc::new(page(run_id, &["2", "3"], "bob")))
        .await
        .unwrap();
    assert_eq!((outcome.archived, outcome.new), (2, 1));
    assert_eq!(
        people(&db).await,
        [
            (
                "1".into(),
                Some("ada\t1\\".into()),
                Some("ada1@example.org".into())
            ),
            (
                "2".into(),
                Some("bob\t2\\".into()),
                Some("bob2@example.org".into())
            ),
            (
                "3".into(),
                Some("bob\t3\\".into()),
                Some("bob3@example.org".into())
            ),
        ]
    );
    let archived: i64 = sqlx::query_scalar("SELECT count(*) FROM raw.records")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(archived, 3);
}
