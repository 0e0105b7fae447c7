//! Arguments of `nb-exodus db …`.

use clap::{Args, Subcommand};

/// `nb-exodus db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create or update the open schema (core, raw, sync, …) in the target database.
    ///
    /// Example: nb-exodus db migrate --database-url postgres://postgres@127.0.0.1/party
    Migrate(DbMigrateArgs),
}

/// Arguments of `nb-exodus db migrate`.
#[derive(Debug, Args)]
pub struct DbMigrateArgs {
    /// PostgreSQL connection URL of the target database.
    /// Example: --database-url postgres://postgres@127.0.0.1:5432/party
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}
