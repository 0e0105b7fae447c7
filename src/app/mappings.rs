//! `nb-exodus mappings …`: offline checks of the declarative mapping files.

use std::process::ExitCode;

use crate::cli::mappings::MappingsCommand;

/// Runs a `mappings` subcommand.
pub(crate) async fn run(cmd: MappingsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MappingsCommand::Check(_args) => anyhow::bail!("mappings check is not built yet"),
    }
}
