//! Arguments of `nb-exodus mappings …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `nb-exodus mappings` subcommands.
#[derive(Debug, Subcommand)]
pub enum MappingsCommand {
    /// Validate every mapping file against the open schema and run their embedded examples.
    ///
    /// Example: nb-exodus mappings check --dir mappings
    Check(MappingsCheckArgs),
}

/// Arguments of `nb-exodus mappings check`.
#[derive(Debug, Args)]
pub struct MappingsCheckArgs {
    /// Directory holding `v1/` and `v2/` mapping files. Example: --dir ./mappings
    #[arg(long, default_value = "mappings")]
    pub dir: PathBuf,
}
