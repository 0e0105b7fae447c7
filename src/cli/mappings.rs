//! Arguments of `nb-exodus mappings …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `nb-exodus mappings` subcommands.
#[derive(Debug, Subcommand)]
pub enum MappingsCommand {
    /// Validate every mapping file against the open schema and run their embedded examples.
    ///
    /// Prints one line per file, then every problem (file, block, column, message). Exit code 0
    /// when all files are good, 1 when any problem was found, 2 when files cannot be read.
    ///
    /// Example: nb-exodus mappings check --dir mappings
    Check(MappingsCheckArgs),
}

/// Arguments of `nb-exodus mappings check`.
#[derive(Debug, Args)]
pub struct MappingsCheckArgs {
    /// Directory holding `v1/` and/or `v2/` mapping files. Without it, `./mappings` is checked
    /// when it exists, otherwise the files built into this binary. Example: --dir ./mappings
    #[arg(long)]
    pub dir: Option<PathBuf>,
}
