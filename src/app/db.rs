//! `nb-exodus db …`: schema management.

use std::process::ExitCode;

use crate::cli::db::DbCommand;

/// Runs a `db` subcommand.
pub(crate) async fn run(cmd: DbCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Migrate(_args) => anyhow::bail!("db migrate is not built yet"),
    }
}
