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

    /// The role may not create the open schema.
    #[error(
        "database {target}: role \"{role}\" may not create the open schema (permission denied); \
         as the database's owner or a superuser run: GRANT CREATE ON DATABASE \"{database}\" TO \
         \"{role}\"; GRANT CREATE ON SCHEMA public TO \"{role}\"; (the migrations' own table, \
         public._sqlx_migrations, lives in schema public) — or run `nb-exodus db migrate` once as \
         such a role"
    )]
    Privilege {
        /// Host, port and database name.
        target: String,
        /// The role connected.
        role: String,
        /// The database.
        database: String,
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

    /// Mapping files could not be read, or failed validation or their examples.
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),

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

/// Renders an error and its chain of causes as the one line printed on stderr, each cause once.
///
/// Error types often print their source inside their own message *and* return it as
/// [`std::error::Error::source`] (`"stream people: {source}"`, sqlx's `"error returned from
/// database: {message}"`), so joining the chain naively repeats a cause two or three times. Here
/// a cause whose text is already contained in what was printed is skipped; the others follow
/// with `": "`, outermost first, so the innermost of our own messages — the one that names the
/// fix — stays at the end.
pub fn one_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(e) = cause {
        let text = e.to_string();
        let text = text.trim();
        if !text.is_empty() && !line.contains(text) {
            line.push_str(": ");
            line.push_str(text);
        }
        cause = e.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::FetchError;
    use crate::pipeline::PipelineError;
    use crate::resource::Resource;

    /// The server's message, as `PgDatabaseError` prints it.
    #[derive(Debug, thiserror::Error)]
    #[error("terminating connection due to administrator command")]
    struct ServerMessage;

    /// Like `sqlx::Error::Database`: prints its source and returns it.
    #[derive(Debug, thiserror::Error)]
    #[error("error returned from database: {0}")]
    struct Driver(#[source] ServerMessage);

    /// Like our loader's statement error: context, then the driver's text, and the source.
    #[derive(Debug, thiserror::Error)]
    #[error("loading people into core.people: {0}")]
    struct Statement(#[source] Driver);

    #[test]
    fn a_chain_like_sqlx_names_its_cause_once() {
        let err = anyhow::Error::new(Statement(Driver(ServerMessage))).context("stream people");
        let line = one_line(err.as_ref());
        assert_eq!(
            line,
            "stream people: loading people into core.people: error returned from database: \
             terminating connection due to administrator command"
        );
        assert_eq!(line.matches("terminating connection").count(), 1, "{line}");
    }

    #[test]
    fn the_wrong_token_line_says_it_once_and_ends_with_the_fix() {
        let url = url::Url::parse("https://n.example/api/v2/signups?sort=id").unwrap();
        let err = PipelineError::Fetch {
            stream: Resource::of("people"),
            source: FetchError::from_status(401, "{}", &url),
        };
        let err = anyhow::Error::new(err).context("verifying nation \"n\"");
        let line = one_line(err.as_ref());
        assert_eq!(
            line.matches("rejected the access token").count(),
            1,
            "{line}"
        );
        assert!(
            line.starts_with("verifying nation \"n\": stream people: "),
            "{line}"
        );
        assert!(
            line.ends_with("pass it in NATIONBUILDER_API_TOKEN or --token-file"),
            "{line}"
        );
    }

    #[test]
    fn causes_that_add_something_are_kept() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let err = Error::Io {
            path: "/etc/nb-exodus.toml".into(),
            source: io,
        };
        assert_eq!(
            one_line(&err),
            "/etc/nb-exodus.toml: No such file or directory"
        );
        let err = anyhow::Error::new(std::io::Error::other("disk full")).context("writing");
        assert_eq!(one_line(err.as_ref()), "writing: disk full");
    }
}
