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
