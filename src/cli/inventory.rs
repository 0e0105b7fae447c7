//! The flags of `nb-exodus inventory`: the API side of migrate's connection flags, and the
//! flags that decide what a run would read (`--resources`, `--exclude`, `--page-size`,
//! `--full-people`); no database.

use clap::Args;

use crate::cli::connection::ConnectionArgs;
use crate::config::{Inputs, MigrateFlags};

/// Arguments of `nb-exodus inventory`.
#[derive(Debug, Args, Clone, Default)]
pub struct InventoryArgs {
    /// Nation, API, token, request budget, configuration file, as for migrate (the database
    /// flags are accepted and not used: the inventory reads the API only).
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Which resources a run would export, comma-separated (default: every resource the API
    /// serves). Example: --resources people,tags,taggings,donations
    #[arg(long, value_delimiter = ',')]
    pub resources: Option<Vec<String>>,

    /// Resources to leave out, comma-separated. Example: --exclude contacts
    #[arg(long, value_delimiter = ',')]
    pub exclude: Option<Vec<String>>,

    /// Records per page (1–100), as the run would use. Example: --page-size 100
    #[arg(long)]
    pub page_size: Option<u32>,

    /// With --api v1: count the one request per person of `migrate --full-people`.
    #[arg(long)]
    pub full_people: bool,

    /// Print the inventory as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

impl InventoryArgs {
    /// The flags as the configuration takes them, with `NATIONBUILDER_API_TOKEN`.
    pub fn inputs(self, env_token: Option<String>) -> Inputs {
        Inputs {
            connection: self.connection.flags(None),
            migrate: MigrateFlags {
                resources: self.resources,
                exclude: self.exclude,
                page_size: self.page_size,
                full_people: self.full_people,
                json: self.json,
                ..MigrateFlags::default()
            },
            env_database_url: None,
            env_token,
        }
    }
}
