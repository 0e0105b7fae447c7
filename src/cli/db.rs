//! Arguments of `nb-exodus db …`: managing the target database's schema.

use clap::{Args, Subcommand};

/// `nb-exodus db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create or update the open schema (schemas sync, raw, core, sensitive, gdpr) in the target
    /// database.
    ///
    /// Applies the migrations that are missing and prints one line saying which ones it applied
    /// or that the schema was already up to date. Running it again changes nothing. Needs
    /// PostgreSQL 15 or newer and a role that may create schemas in the database.
    ///
    /// Example: nb-exodus db migrate --database-url postgres://postgres@127.0.0.1:5432/party
    #[command(verbatim_doc_comment)]
    Migrate(DbMigrateArgs),
}

/// Arguments of `nb-exodus db migrate`.
#[derive(Debug, Args)]
pub struct DbMigrateArgs {
    /// PostgreSQL connection URL of the target database; taken from the DATABASE_URL
    /// environment variable when the flag is absent. The password, if any, is never printed.
    /// Example: --database-url postgres://party:secret@db.example.eu:5432/party?sslmode=require
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: String,
}
