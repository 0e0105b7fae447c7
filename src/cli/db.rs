//! Arguments of `nb-exodus db …`: managing the target database's schema; and the transport
//! flags every command that connects to the database shares ([`DatabaseTlsArgs`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::TlsFlags;
use crate::database::ConnectionSettings;

/// `nb-exodus db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create or update the open schema (schemas sync, raw, core, sensitive, gdpr, audit,
    /// analysis) in the target database.
    ///
    /// Applies the migrations that are missing and prints one line saying which ones it applied
    /// or that the schema was already up to date. Running it again changes nothing. Needs
    /// PostgreSQL 15 or newer and a role that may create schemas in the database.
    ///
    /// Example: nb-exodus db migrate --database-url postgres://postgres@127.0.0.1:5432/party
    #[command(verbatim_doc_comment)]
    Migrate(DbMigrateArgs),

    /// Print the SQL that creates the roles a party needs: a reader of core, gdpr and analysis
    /// (no Art. 9 data), a reader of the sensitive schemas, and the auditor (what verify needs).
    ///
    /// The roles are NOLOGIN groups with grants on today's tables and default privileges for
    /// tables later migrations create; add people's login roles to them. Nothing is applied:
    /// review the SQL, then run it with psql as the role that runs `db migrate`. Needs no
    /// database connection.
    ///
    /// Example: nb-exodus db grants --print > grants.sql
    #[command(verbatim_doc_comment)]
    Grants(DbGrantsArgs),
}

/// Arguments of `nb-exodus db grants`.
#[derive(Debug, Args)]
pub struct DbGrantsArgs {
    /// Print the SQL on stdout (required: nb-exodus never creates roles itself).
    #[arg(long, required = true)]
    pub print: bool,

    /// Prefix of the role names (PREFIX_reader, PREFIX_sensitive_reader, PREFIX_auditor). Role
    /// names are shared by every database of a server: give each party's database its own.
    /// Example: --prefix party_a
    #[arg(long, default_value = crate::schema::grants::DEFAULT_PREFIX)]
    pub prefix: String,
}

/// Arguments of `nb-exodus db migrate`.
#[derive(Debug, Args)]
pub struct DbMigrateArgs {
    /// PostgreSQL connection URL of the target database; taken from the DATABASE_URL
    /// environment variable when the flag is absent. The password, if any, is never printed.
    /// Example: --database-url postgres://party:secret@db.example.eu:5432/party?sslmode=require
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: String,

    /// How the connection is secured.
    #[command(flatten)]
    pub database_tls: DatabaseTlsArgs,
}

/// The transport flags of every command that connects to the database. A host that is not
/// loopback is reached over TLS with its certificate chain and host name verified
/// (`sslmode=verify-full`); loopback hosts and Unix sockets use the URL's `sslmode` as given.
#[derive(Debug, Args, Clone, Default)]
pub struct DatabaseTlsArgs {
    /// PEM file with the CA certificate that signed the database server's certificate, for a
    /// private CA (else `sslrootcert` in the URL, else the built-in web roots).
    /// Example: --database-ca /etc/ssl/party-db-ca.pem
    #[arg(long, value_name = "FILE")]
    pub database_ca: Option<PathBuf>,

    /// Connect to a database that is not on this machine without verifying it, with the URL's
    /// sslmode as given (even plaintext): whoever sits on the network path can read and change
    /// the data. Printed as a warning on every run and recorded in sync.runs and verify's
    /// report.
    #[arg(long)]
    pub insecure_database_connection: bool,
}

impl DatabaseTlsArgs {
    /// The connection settings for `url` with these flags.
    pub fn settings(&self, url: impl Into<String>) -> ConnectionSettings {
        ConnectionSettings {
            url: url.into(),
            ca_file: self.database_ca.clone(),
            insecure: self.insecure_database_connection,
        }
    }

    /// The flags as the configuration takes them (which lets the file fill what they leave
    /// open).
    pub fn flags(&self) -> TlsFlags {
        TlsFlags {
            database_ca: self.database_ca.clone(),
            insecure_database_connection: self.insecure_database_connection,
        }
    }
}
