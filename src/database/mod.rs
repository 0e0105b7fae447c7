//! Resolves which PostgreSQL database nb-exodus talks to, and connects to it.
//!
//! There are two sources, in this order: an explicit URL (`--database-url` or the
//! `DATABASE_URL` environment variable), or, when none is given, a private throwaway cluster
//! started from the installed PostgreSQL binaries (see [`cluster`]). The second makes tests and
//! demos work on a machine where no server is running and nobody has configured anything.
//!
//! Database URLs can carry a password, so every URL that reaches a log line or an error message
//! goes through [`redact`] first; errors name the target as `host:port/database` only.
//!
//! A connection is described by [`ConnectionSettings`] (URL, private CA file, the explicit
//! opt-out of verification), and [`connect`] applies the transport policy of [`tls`]: verified
//! TLS for every host that is not loopback.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::{Error, Result};

pub mod cluster;
pub mod fault;
pub mod statistics;
pub mod tls;

pub use cluster::PrivateCluster;
pub use tls::ConnectionSettings;

/// How long one connection attempt may take before it is reported as unreachable. Short on
/// purpose: a wrong host should fail in seconds, not hang a command.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest number of connections a pool from [`connect`] opens: a migration runs at most five
/// streams at once (`pipeline`'s `MAX_STREAMS`), each using up to three (two page transactions
/// and the page spool), plus one.
const MAX_CONNECTIONS: u32 = 16;

/// The environment variable that names the database when no flag does.
pub const DATABASE_URL_ENV: &str = "DATABASE_URL";

/// Returns `url` without its password, keeping user, host, port, database and harmless query
/// parameters, so that it can be logged or shown in an error: [`crate::redact::url`], the one
/// redaction every URL goes through.
///
/// A URL that cannot be parsed is not echoed at all (it might be a password pasted in the wrong
/// place); a placeholder is returned instead.
///
/// ```
/// use nb_exodus::database::redact;
/// assert_eq!(
///     redact("postgres://party:s3cret@db.example.eu:5433/crm?sslmode=require"),
///     "postgres://party@db.example.eu:5433/crm?sslmode=require",
/// );
/// ```
pub fn redact(url: &str) -> String {
    crate::redact::url(url)
}

/// Describes where `url` points as `host:port/database`, for error messages. Never contains a
/// password; falls back to [`redact`] when the URL cannot be parsed.
pub fn target(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(options) => target_of(&options),
        Err(_) => redact(url),
    }
}

/// Describes the database `options` point at as `host:port/database`.
pub(crate) fn target_of(options: &PgConnectOptions) -> String {
    let database = options
        .get_database()
        .unwrap_or_else(|| options.get_username());
    format!("{}:{}/{}", options.get_host(), options.get_port(), database)
}

/// Describes the database `pool` is connected to as `host:port/database`.
pub fn pool_target(pool: &PgPool) -> String {
    target_of(&pool.connect_options())
}

/// Opens a connection pool as `settings` say, with the transport policy of [`tls`] applied:
/// verified TLS (`verify-full`) for a host that is not loopback, the URL's `sslmode` as given
/// for loopback, Unix sockets and `--insecure-database-connection`.
///
/// One connection is made first, directly and with [`CONNECT_TIMEOUT`], so that a wrong host,
/// port, database, password or certificate fails at once with an [`Error::Connect`] that says
/// what went wrong and how to fix it (the pool alone would retry refused connections until its
/// timeout and then report only "pool timed out"). A URL that asks a remote host for a weaker
/// `sslmode` fails with [`Error::Config`] before anything is sent.
pub async fn connect(settings: &ConnectionSettings) -> Result<PgPool> {
    let (options, plan) = settings.connect_options()?;
    // Server NOTICEs ("relation already exists, skipping") are noise for our users.
    // Custom plans for every execution: the loader's prepared statements are first run
    // while the tables are empty, and a generic plan cached then (a sequential scan) would
    // stay in use as they grow to millions of rows.
    let options = options.options([
        ("client_min_messages", "warning"),
        ("plan_cache_mode", "force_custom_plan"),
    ]);
    tracing::debug!(
        database = %settings.redacted_url(),
        sslmode = tls::sslmode_name(options.get_ssl_mode()),
        "connecting"
    );

    let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await;
    match probe {
        Ok(Ok(connection)) => {
            // Closing politely can only fail if the connection already broke; the pool below
            // reports that properly.
            let _ = connection.close().await;
        }
        Ok(Err(err)) => return Err(connect_error(&options, plan, err)),
        Err(_elapsed) => {
            return Err(Error::Connect {
                target: target_of(&options),
                problem: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                fix:
                    "is the host reachable and the port right? Check --database-url / DATABASE_URL"
                        .to_owned(),
                source: None,
            })
        }
    }

    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(CONNECT_TIMEOUT * 2)
        .connect_with(options.clone())
        .await
        .map_err(|err| connect_error(&options, plan, err))
}

/// Turns a driver error from a connection attempt into an [`Error::Connect`] that names the
/// likely cause and its fix. A TLS failure names its cause once and carries no source (the
/// driver's text would only repeat it).
fn connect_error(options: &PgConnectOptions, plan: tls::TlsPlan, err: sqlx::Error) -> Error {
    const CHECK: &str = "Check --database-url / DATABASE_URL";
    if let Some(failure) = tls::failure(&err) {
        let (problem, fix) =
            tls::explain(&failure, options.get_host(), plan, options.get_ssl_mode());
        return Error::Connect {
            target: target_of(options),
            problem,
            fix,
            source: None,
        };
    }
    let (problem, fix) = match &err {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => (
            "connection refused".to_owned(),
            format!("is the server running and listening on that port? {CHECK}"),
        ),
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => (
            "connection timed out".to_owned(),
            format!("is the host reachable and the port right? {CHECK}"),
        ),
        sqlx::Error::Io(_) => (
            "network error".to_owned(),
            format!("check the host name and port. {CHECK}"),
        ),
        sqlx::Error::PoolTimedOut => (
            format!("no connection within {} s", (CONNECT_TIMEOUT * 2).as_secs()),
            format!("is the server overloaded or out of connections? {CHECK}"),
        ),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("3D000") => (
                format!(
                    "database \"{}\" does not exist",
                    options
                        .get_database()
                        .unwrap_or_else(|| options.get_username())
                ),
                format!("create it first (createdb) or fix the database name. {CHECK}"),
            ),
            Some("28P01" | "28000") => (
                format!(
                    "authentication failed for user \"{}\"",
                    options.get_username()
                ),
                format!("check the user name and password. {CHECK}"),
            ),
            Some("53300") => (
                "too many connections".to_owned(),
                "close other clients or raise max_connections on the server".to_owned(),
            ),
            Some("57P03") => (
                "the server is starting up or shutting down".to_owned(),
                "try again in a moment".to_owned(),
            ),
            _ => (
                "the server refused the connection".to_owned(),
                CHECK.to_owned(),
            ),
        },
        _ => ("unexpected error".to_owned(), CHECK.to_owned()),
    };
    Error::Connect {
        target: target_of(options),
        problem,
        fix,
        source: Some(root_cause(err)),
    }
}

/// The innermost error inside a driver error. sqlx's own message repeats its cause's, so keeping
/// only the cause makes the one-line error chain read cleanly.
fn root_cause(err: sqlx::Error) -> Box<dyn std::error::Error + Send + Sync + 'static> {
    match err {
        sqlx::Error::Io(io) => Box::new(io),
        sqlx::Error::Tls(tls) => tls,
        sqlx::Error::Database(db) => db,
        other => Box::new(other),
    }
}

/// The database nb-exodus will use: a URL, plus the private cluster serving it when there is
/// one. Keep the value alive as long as the database is needed; dropping it stops a private
/// cluster and deletes its temporary data directory (this blocks for the fraction of a second
/// a fast shutdown takes).
#[derive(Debug)]
pub struct ResolvedDatabase {
    url: String,
    cluster: Option<PrivateCluster>,
}

impl ResolvedDatabase {
    /// The connection URL. It may contain a password: pass it through [`redact`] before showing
    /// it anywhere.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The private cluster serving [`Self::url`], or `None` when the URL came from the user.
    pub fn cluster(&self) -> Option<&PrivateCluster> {
        self.cluster.as_ref()
    }

    /// Whether the database lives in a private cluster started by this process.
    pub fn is_private(&self) -> bool {
        self.cluster.is_some()
    }

    /// Opens a connection pool to the database with default [`ConnectionSettings`] (no extra
    /// CA, verification on); see [`connect`].
    pub async fn connect(&self) -> Result<PgPool> {
        connect(&ConnectionSettings::new(self.url.clone())).await
    }
}

/// Resolves the database from the `DATABASE_URL` environment variable, or starts a temporary
/// private cluster when it is unset or empty. See [`resolve_from`].
pub async fn resolve() -> Result<ResolvedDatabase> {
    resolve_from(std::env::var(DATABASE_URL_ENV).ok()).await
}

/// Resolves the database from an explicit URL, or starts a temporary private cluster when `url`
/// is `None` or empty.
///
/// Starting a cluster blocks for a few seconds (initdb and server start-up); it runs on tokio's
/// blocking pool so the caller's runtime keeps going.
pub async fn resolve_from(url: Option<String>) -> Result<ResolvedDatabase> {
    if let Some(url) = url.filter(|url| !url.trim().is_empty()) {
        tracing::debug!(database = %redact(&url), "using the given database");
        return Ok(ResolvedDatabase { url, cluster: None });
    }
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start_temporary)
        .await
        .map_err(|err| Error::Cluster(format!("the start-up task failed: {err}")))??;
    tracing::info!(
        port = cluster.port(),
        data_dir = %cluster.data_dir().display(),
        "no DATABASE_URL: started a private temporary PostgreSQL cluster"
    );
    Ok(ResolvedDatabase {
        url: cluster.url(),
        cluster: Some(cluster),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_strips_the_password_and_keeps_the_rest() {
        let cases = [
            (
                "postgres://party:s3cret@db.example.eu:5433/crm",
                "postgres://party@db.example.eu:5433/crm",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            ("postgresql://u:p%40ss@host/db", "postgresql://u@host/db"),
            (
                "postgres://u@host/db?sslmode=require",
                "postgres://u@host/db?sslmode=require",
            ),
            (
                "postgres://u@host/db?password=hunter2&sslmode=disable",
                "postgres://u@host/db?sslmode=disable",
            ),
            (
                "postgres://u@host/db?PASSWORD=hunter2",
                "postgres://u@host/db",
            ),
            ("postgres://host", "postgres://host"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "redact({input:?})");
        }
    }

    #[test]
    fn redact_never_echoes_an_unparseable_url() {
        let redacted = redact("not a url but maybe a s3cret");
        assert!(!redacted.contains("s3cret"));
    }

    #[test]
    fn target_names_host_port_and_database_only() {
        assert_eq!(
            target("postgres://party:s3cret@db.example.eu:5433/crm"),
            "db.example.eu:5433/crm"
        );
        assert_eq!(target("postgres://party@localhost"), "localhost:5432/party");
    }
}
