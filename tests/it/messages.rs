//! What a consultant reads when something is wrong: one line, the cause named once, the fix
//! last — checked by the exact text of each line.

use std::time::{Duration, Instant};

use crate::migrate::{binary, migrate_cmd, sim_with};
use crate::support::db::TestDb;

/// The lines of stderr that start with `error:`.
fn error_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_owned)
        .collect()
}

/// A nation slug that does not resolve, and an API nobody listens on: fatal at once (no
/// retries "as if DNS failure were transient"), one line naming what to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_cannot_be_reached_is_one_line_naming_what_to_check() {
    let db = TestDb::new().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cases = [
        (
            "https://nosuchparty.invalid".to_owned(),
            "nosuchparty.invalid: the host name does not resolve",
        ),
        (
            format!("http://127.0.0.1:{closed}"),
            "127.0.0.1: the connection was refused",
        ),
    ];
    for (base, cause) in cases {
        let started = Instant::now();
        let out = binary()
            .args(["migrate", "--nation", "nosuchparty", "--api-base", &base])
            .args([
                "--database-url",
                db.url(),
                "--quiet",
                "--resources",
                "people",
            ])
            .env("NATIONBUILDER_API_TOKEN", "t")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(started.elapsed() < Duration::from_secs(10), "no retries");
        assert_eq!(
            error_lines(&out.stderr),
            [format!(
                "error: counting people (inventory): cannot reach the API at {cause}; check the nation slug (--nation), --api-base and the network"
            )]
        );
    }
}

/// A wrong token names the cause once and mentions `--api v1` for legacy tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_mentions_legacy_tokens_once() {
    let sim = sim_with(nb_exodus::simulator::SimulatorConfig {
        people: 20,
        rate_limit: None,
        ..Default::default()
    });
    let db = TestDb::new().await;
    let out = migrate_cmd(&sim, db.url(), "wrong")
        .args(["--resources", "people"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The first request of a new export is the inventory's count of people.
    let url = format!(
        "{}/api/v2/signups?page%5Bsize%5D=1&stats%5Btotal%5D=count",
        sim.base_url()
    );
    assert_eq!(
        error_lines(&out.stderr),
        [format!(
            "error: counting people (inventory): the API rejected the access token (HTTP 401 at {url}): it is wrong or has expired (a legacy v1-era token works only with --api v1); generate a new token and pass it in NATIONBUILDER_API_TOKEN or --token-file"
        )]
    );
    sim.shutdown().await;
}

/// A role that may not create schemas is told the GRANT to run, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_create_privilege_is_told_the_grant() {
    let db = TestDb::empty().await;
    let role = format!("nbx_role_{}", &db.name()[db.name().len() - 8..]);
    sqlx::query(&format!("CREATE ROLE {role} LOGIN"))
        .execute(db.pool())
        .await
        .unwrap();
    let mut url = url::Url::parse(db.url()).unwrap();
    url.set_username(&role).unwrap();
    let out = binary()
        .args(["db", "migrate", "--database-url", url.as_str()])
        .output()
        .unwrap();
    sqlx::query(&format!("DROP ROLE {role}"))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let target = format!("127.0.0.1:{}/{}", url.port().unwrap_or(5432), db.name());
    let host = url.host_str().unwrap_or("127.0.0.1");
    let target = target.replacen("127.0.0.1", host, 1);
    assert_eq!(
        error_lines(&out.stderr),
        [format!(
            "error: database {target}: role \"{role}\" may not create the open schema (permission denied); as the database's owner or a superuser run: GRANT CREATE ON DATABASE \"{}\" TO \"{role}\"; GRANT CREATE ON SCHEMA public TO \"{role}\"; (the migrations' own table, public._sqlx_migrations, lives in schema public) — or run `nb-exodus db migrate` once as such a role",
            db.name()
        )]
    );
}

/// `status` on a database without the open schema says to create it, instead of the
/// driver's `relation "sync.checkpoints" does not exist` (twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_on_a_database_without_the_schema_names_the_fix() {
    let db = TestDb::empty().await;
    let out = binary()
        .args(["status", "--nation", "x", "--database-url", db.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let url = url::Url::parse(db.url()).unwrap();
    let target = format!(
        "{}:{}/{}",
        url.host_str().unwrap_or_default(),
        url.port().unwrap_or(5432),
        db.name()
    );
    assert_eq!(
        error_lines(&out.stderr),
        [format!(
            "error: database {target} has no nb-exodus schema: run `nb-exodus db migrate --database-url URL` to create it, or check --database-url (this is not an nb-exodus database)"
        )]
    );
}
