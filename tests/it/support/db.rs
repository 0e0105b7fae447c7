//! Test databases: a fresh, migrated PostgreSQL database per test.
//!
//! ```ignore
//! #[tokio::test]
//! async fn loads_people() {
//!     let db = TestDb::new().await;          // fresh database with the open schema
//!     sqlx::query("INSERT INTO core.people (nation, source_id) VALUES ('demo', '1')")
//!         .execute(db.pool())
//!         .await
//!         .unwrap();
//!     // db.url() for code that connects by itself (a CLI run, a second pool) ...
//! }                                          // the database is dropped here
//! ```
//!
//! Where the databases live: on the server `DATABASE_URL` points at when it is set (the role
//! must be allowed to create databases), otherwise on one private temporary cluster started
//! on first use and shared by every test of the process (it dies with the process; see
//! `nb_exodus::database::cluster`). Each database is named `nbx_test_<unix seconds>_<random>`;
//! it is dropped when the [`TestDb`] is dropped, and leftovers older than an hour (from
//! crashed runs) are dropped when the first `TestDb` of a process is created.
//!
//! Only URLs are shared between tests, never a pool: every `#[tokio::test]` has its own runtime
//! and a pool must not outlive the runtime it was created on.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nb_exodus::database::{self, PrivateCluster};
use sqlx::{Connection, PgConnection, PgPool};

/// Prefix of every test database; nothing else is ever dropped.
const PREFIX: &str = "nbx_test_";
/// Test databases older than this are considered leftovers of a crashed run.
const LEFTOVER_AGE: Duration = Duration::from_secs(3600);

/// A fresh database for one test. See the module documentation.
pub struct TestDb {
    name: String,
    url: String,
    admin_url: String,
    pool: PgPool,
    _turn: Turn,
}

/// Tests that measure time (the rate-limit test) must not share the two cores with the rest of
/// the suite: every database test holds this lock shared for its lifetime, a timing test holds
/// it exclusively.
static TIMING: std::sync::RwLock<()> = std::sync::RwLock::new(());

thread_local! {
    /// Whether this test thread already holds a turn (a test may create several databases;
    /// taking the lock twice could deadlock behind a waiting exclusive test).
    static HOLDS_TURN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A test's turn on the machine: shared with other tests, or exclusive.
pub enum Turn {
    /// Runs alongside other tests.
    Shared(#[allow(dead_code)] std::sync::RwLockReadGuard<'static, ()>),
    /// Runs alone among the tests that take turns.
    Exclusive(#[allow(dead_code)] std::sync::RwLockWriteGuard<'static, ()>),
    /// This thread already holds a turn.
    Nested,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if !matches!(self, Turn::Nested) {
            HOLDS_TURN.with(|h| h.set(false));
        }
    }
}

/// Waits for a shared turn (for tests that start heavy work without a [`TestDb`]).
pub fn shared_turn() -> Turn {
    if HOLDS_TURN.with(|h| h.replace(true)) {
        return Turn::Nested;
    }
    Turn::Shared(
        TIMING
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Waits until no other test holds a turn, then holds the machine alone.
pub fn exclusive_turn() -> Turn {
    if HOLDS_TURN.with(|h| h.replace(true)) {
        return Turn::Nested;
    }
    Turn::Exclusive(
        TIMING
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

impl TestDb {
    /// Creates a fresh database and applies the open schema's migrations to it.
    ///
    /// Panics with a readable message when no PostgreSQL is available.
    pub async fn new() -> TestDb {
        TestDb::migrated(shared_turn()).await
    }

    /// Like [`TestDb::new`], but the test runs alone among the tests that take turns: for
    /// tests that measure time.
    pub async fn exclusive() -> TestDb {
        TestDb::migrated(exclusive_turn()).await
    }

    async fn migrated(turn: Turn) -> TestDb {
        let db = TestDb::create(turn).await;
        nb_exodus::schema::migrate(&db.pool)
            .await
            .unwrap_or_else(|err| panic!("migrating test database {}: {err}", db.name));
        db
    }

    /// Creates a fresh database *without* the open schema, for tests of the migrations
    /// themselves.
    pub async fn empty() -> TestDb {
        TestDb::create(shared_turn()).await
    }

    async fn create(turn: Turn) -> TestDb {
        let admin_url = admin_url();
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|err| panic!("connecting to {}: {err}", database::redact(&admin_url)));
        static CLEAN_LEFTOVERS: Once = Once::new();
        let mut clean = false;
        CLEAN_LEFTOVERS.call_once(|| clean = true);
        if clean {
            drop_leftovers(&mut admin).await;
        }

        let name = new_name();
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|err| panic!("creating test database {name}: {err}"));
        let _ = admin.close().await;

        let url = with_database(&admin_url, &name);
        let pool = database::connect(&database::ConnectionSettings::new(url.clone()))
            .await
            .unwrap_or_else(|err| panic!("connecting to test database {name}: {err}"));
        TestDb {
            name,
            url,
            admin_url,
            pool,
            _turn: turn,
        }
    }

    /// A pool connected to this test's database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The URL of this test's database (no password when the private cluster is used).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name (`nbx_test_…`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDb {
    /// Drops the database, best-effort. `Drop` cannot await, and the test's runtime may be
    /// single-threaded, so the work runs on a short-lived thread with its own runtime.
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    drop_database(&mut admin, &name).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// The URL of the maintenance database on the server test databases are created on.
fn admin_url() -> String {
    if let Ok(url) = std::env::var(database::DATABASE_URL_ENV) {
        if !url.trim().is_empty() {
            return url;
        }
    }
    static SHARED: OnceLock<Result<PrivateCluster, String>> = OnceLock::new();
    match SHARED.get_or_init(|| PrivateCluster::start_temporary().map_err(|err| err.to_string())) {
        Ok(cluster) => cluster.admin_url(),
        Err(err) => panic!(
            "DATABASE_URL is unset and no private PostgreSQL cluster could be started: {err}"
        ),
    }
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let mut parsed =
        url::Url::parse(url).unwrap_or_else(|err| panic!("DATABASE_URL is not a URL: {err}"));
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// A new database name: prefix, creation time (for leftover cleanup) and 64 random bits.
fn new_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{PREFIX}{}_{:016x}", now.as_secs(), hasher.finish())
}

/// Drops test databases whose embedded creation time is older than [`LEFTOVER_AGE`].
async fn drop_leftovers(admin: &mut PgConnection) {
    let pattern = format!("{}%", PREFIX.replace('_', r"\_"));
    let Ok(names) =
        sqlx::query_scalar::<_, String>("SELECT datname FROM pg_database WHERE datname LIKE $1")
            .bind(pattern)
            .fetch_all(&mut *admin)
            .await
    else {
        return;
    };
    let cutoff = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(LEFTOVER_AGE)
        .as_secs();
    for name in names {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| created < cutoff) {
            drop_database(admin, &name).await;
        }
    }
}

/// Drops `name` if it is a test database, disconnecting its sessions.
async fn drop_database(admin: &mut PgConnection, name: &str) {
    if !name.starts_with(PREFIX) || name.contains('"') {
        return;
    }
    let _ = sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .execute(&mut *admin)
        .await;
}
