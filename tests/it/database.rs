//! Database resolution and the private cluster, against real PostgreSQL binaries: a temporary
//! cluster starts, accepts connections, takes the schema and disappears when dropped; a
//! persistent one keeps its data between starts; and a cluster dies with its process even when
//! that process is killed without running any destructor.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nb_exodus::database::{self, PrivateCluster};
use sqlx::{Connection, PgConnection};

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

/// Waits up to 30 s for `condition`.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn without_a_url_a_private_cluster_is_started_and_removed_on_drop() {
    let _turn = crate::support::db::shared_turn();
    let resolved = database::resolve_from(None)
        .await
        .expect("a private cluster starts");
    assert!(resolved.is_private());
    let cluster = resolved.cluster().expect("private");
    let (port, data_dir) = (cluster.port(), cluster.data_dir().to_path_buf());
    assert!(data_dir.join("PG_VERSION").is_file());
    assert!(cluster.is_temporary());

    let pool = resolved
        .connect()
        .await
        .expect("the private cluster accepts connections");
    let user: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(user, "postgres");
    let database: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(database, "nb_exodus");
    nb_exodus::schema::migrate(&pool)
        .await
        .expect("the schema applies");
    pool.close().await;

    let admin = PgConnection::connect(&cluster.admin_url())
        .await
        .expect("admin URL works");
    admin.close().await.unwrap();

    drop(resolved);
    assert!(!port_open(port), "the server is gone after drop");
    assert!(
        !data_dir.exists(),
        "the temporary directory is deleted after drop"
    );
}

#[tokio::test]
async fn an_explicit_url_is_used_as_given() {
    let resolved = database::resolve_from(Some("postgres://u:p@db.example.eu/party".to_owned()))
        .await
        .unwrap();
    assert!(!resolved.is_private());
    assert_eq!(resolved.url(), "postgres://u:p@db.example.eu/party");
}

#[tokio::test]
async fn a_persistent_cluster_keeps_its_data_between_starts() {
    let _turn = crate::support::db::shared_turn();
    let parent = tempfile::tempdir().unwrap();
    // The server may run as another user (when the tests run as root): let it reach the dir.
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = parent.path().join("pgdata");

    let first = tokio::task::spawn_blocking({
        let data_dir = data_dir.clone();
        move || PrivateCluster::start_persistent(&data_dir)
    })
    .await
    .unwrap()
    .expect("initdb and start");
    assert!(!first.is_temporary());
    let mut conn = PgConnection::connect(&first.url()).await.unwrap();
    sqlx::raw_sql("CREATE TABLE kept (value text); INSERT INTO kept VALUES ('still here')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let first_port = first.port();
    first.stop().expect("fast shutdown");
    assert!(!port_open(first_port));
    assert!(
        data_dir.join("PG_VERSION").is_file(),
        "the data directory is kept"
    );

    let second = tokio::task::spawn_blocking({
        let data_dir = data_dir.clone();
        move || PrivateCluster::start_persistent(&data_dir)
    })
    .await
    .unwrap()
    .expect("restart on the existing data directory");
    let mut conn = PgConnection::connect(&second.url()).await.unwrap();
    let value: String = sqlx::query_scalar("SELECT value FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(value, "still here");
    conn.close().await.unwrap();
    second.stop().unwrap();
}

#[test]
fn a_non_empty_foreign_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("thesis.txt"), "do not initdb me").unwrap();
    let err = PrivateCluster::start_persistent(dir.path()).expect_err("refused");
    assert!(
        err.to_string()
            .contains("neither empty nor a PostgreSQL data directory"),
        "{err}"
    );
}

/// Not a test on its own: the child process of
/// [`a_temporary_cluster_dies_with_its_process`]. Starts a cluster, reports it, then waits to be
/// killed.
#[test]
#[ignore = "helper run as a child process by a_temporary_cluster_dies_with_its_process"]
fn helper_start_cluster_and_wait_to_be_killed() {
    if std::env::var_os("NBX_CLUSTER_HELPER").is_none() {
        return;
    }
    let cluster = PrivateCluster::start_temporary().expect("cluster starts");
    println!(
        "NBX_CLUSTER {} {}",
        cluster.port(),
        cluster.data_dir().display()
    );
    // Keep the cluster; the parent kills this process with SIGKILL, so no destructor runs.
    std::mem::forget(cluster);
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_temporary_cluster_dies_with_its_process() {
    let _turn = crate::support::db::shared_turn();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "database::helper_start_cluster_and_wait_to_be_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NBX_CLUSTER_HELPER", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split_once("NBX_CLUSTER ")
                .map(|(_, rest)| rest.to_owned())
        })
        .expect("the helper reports its cluster");
    let mut fields = line.split_whitespace();
    let port: u16 = fields.next().unwrap().parse().unwrap();
    let data_dir = std::path::PathBuf::from(fields.next().unwrap());
    assert!(port_open(port), "the helper's cluster runs");

    child.kill().unwrap(); // SIGKILL: no destructor, no atexit
    child.wait().unwrap();

    eventually("the orphaned server shuts down", || !port_open(port));
    eventually("the server removed its lock file", || {
        !data_dir.join("postmaster.pid").exists()
    });

    // The next temporary cluster sweeps the dead one's directory away.
    let next = PrivateCluster::start_temporary().unwrap();
    assert!(
        !data_dir.exists(),
        "stale directory {} was removed",
        data_dir.display()
    );
    next.stop().unwrap();
}
