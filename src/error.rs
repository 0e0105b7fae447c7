//! The library's typed errors. Each variant carries the context a user needs to act on it
//! (which resource, which host, which file) and keeps the underlying error as its source;
//! `anyhow` is used only at the edge, in [`crate::app`].

use std::path::PathBuf;

/// Everything that can go wrong inside the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting or flag has a value that cannot work.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The database could not be reached or refused a statement.
    #[error("database {target}: {source}")]
    Database {
        /// Host, port and database name (never the password).
        target: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// No connection to PostgreSQL could be established. `problem` says what went wrong in a few
    /// words and `fix` what the user can do about it; the driver's error, when there is one, is
    /// kept as the source.
    #[error("cannot connect to PostgreSQL at {target}: {problem} — {fix}")]
    Connect {
        /// Host, port and database name (never the password).
        target: String,
        /// What went wrong, e.g. "connection refused".
        problem: String,
        /// What to do about it.
        fix: String,
        /// The underlying cause (the socket error, or the server's message); `None` when the
        /// attempt timed out.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },

    /// The server is too old for the open schema.
    #[error("PostgreSQL at {target} is version {version}; nb-exodus needs PostgreSQL 15 or newer")]
    UnsupportedServer {
        /// Host, port and database name (never the password).
        target: String,
        /// The server's version string.
        version: String,
    },

    /// Applying the schema migrations failed.
    #[error("applying the schema migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// A private PostgreSQL cluster could not be started or stopped.
    #[error("private PostgreSQL cluster: {0}")]
    Cluster(String),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Mapping files failed validation or their examples; every problem is listed, one per
    /// line (file, block, column, message).
    #[error("invalid mapping files:\n{0}")]
    Mapping(crate::mapping::Problems),

    /// A socket or other I/O failure without a file path.
    #[error("{context}: {source}")]
    Net {
        /// What was being done.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
