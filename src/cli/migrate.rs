//! Arguments of `nb-exodus migrate`, `nb-exodus status` and `nb-exodus remap`, and migrate's
//! conversion into the configuration's [`Inputs`].

use std::path::PathBuf;

use clap::Args;

use crate::cli::connection::ConnectionArgs;
use crate::cli::db::DatabaseTlsArgs;
use crate::config::{Inputs, MigrateFlags};

/// Arguments of `nb-exodus migrate`.
#[derive(Debug, Args, Clone, Default)]
pub struct MigrateArgs {
    /// Nation, API, token, database, request budget, configuration file (shared with verify).
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Which resources to export, comma-separated (default: every resource the chosen API
    /// serves; the README's Resources table lists them).
    /// Example: --resources people,tags,taggings,donations
    #[arg(long, value_delimiter = ',')]
    pub resources: Option<Vec<String>>,

    /// Resources to leave out, comma-separated (of `--resources`, or of every resource the
    /// API serves). A nation started without them can add them in a later run.
    /// Example: --exclude contacts,mailings
    #[arg(long, value_delimiter = ',')]
    pub exclude: Option<Vec<String>>,

    /// Records per page (1–100). Example: --page-size 100
    #[arg(long)]
    pub page_size: Option<u32>,

    /// ISO 4217 currency of the nation's donations (the API does not say).
    /// Example: --currency EUR
    #[arg(long)]
    pub currency: Option<String>,

    /// Rejected records tolerated before exit code 1. Example: --max-rejects 10
    #[arg(long)]
    pub max_rejects: Option<u64>,

    /// Attempts per request on transient failures before stopping (resumable). Example: --max-attempts 8
    #[arg(long)]
    pub max_attempts: Option<u32>,

    /// With --api v1: fetch each person's full record (`/people/:id`) for the fields the people
    /// index leaves out (emails 1-4, all addresses, language, …). One extra request per person;
    /// the estimated duration is printed first.
    #[arg(long)]
    pub full_people: bool,

    /// Directory of mapping files (`<dir>/v2/*.toml`, `<dir>/v1/*.toml`) to use instead of the
    /// ones built into the binary. Example: --mappings ./mappings
    #[arg(long)]
    pub mappings: Option<PathBuf>,

    /// Forget the checkpoints and read every stream from the start (loaded rows are upserted).
    #[arg(long)]
    pub restart: bool,

    /// Skip the end-of-run reconciliation: the catch-up pass over records changed during the run
    /// and the id sweep that removes what was deleted at source. Faster, but the tables then
    /// reflect the source as it was while each page was read.
    #[arg(long)]
    pub no_reconcile: bool,

    /// Let reconciliation remove, in one round, more than 5 % of a resource's records (and more
    /// than 10) that the source no longer lists. Without it such a round stops before removing
    /// anything; with it each is still confirmed with the API (a 404) before its rows go.
    #[arg(long)]
    pub allow_mass_delete: bool,

    /// Seconds a database outage (a restart, a crash, a failover) is ridden out — reconnecting
    /// and retrying the page — before the run stops, resumably. Example: --database-retry-secs 120
    #[arg(long)]
    pub database_retry_secs: Option<u64>,

    /// No progress bars: a log line every few seconds instead.
    #[arg(long)]
    pub quiet: bool,

    /// Print the end-of-run summary as one JSON document on stdout (logs stay on stderr).
    #[arg(long)]
    pub json: bool,
}

impl MigrateArgs {
    /// The flags as the configuration takes them, with the environment's `DATABASE_URL` and
    /// `NATIONBUILDER_API_TOKEN`.
    pub fn inputs(self, env_database_url: Option<String>, env_token: Option<String>) -> Inputs {
        Inputs {
            connection: self.connection.flags(self.max_attempts),
            migrate: MigrateFlags {
                resources: self.resources,
                exclude: self.exclude,
                page_size: self.page_size,
                currency: self.currency,
                max_rejects: self.max_rejects,
                full_people: self.full_people,
                mappings: self.mappings,
                restart: self.restart,
                no_reconcile: self.no_reconcile,
                allow_mass_delete: self.allow_mass_delete,
                database_retry_secs: self.database_retry_secs,
                quiet: self.quiet,
                json: self.json,
            },
            env_database_url,
            env_token,
        }
    }
}

/// Arguments of `nb-exodus status`.
#[derive(Debug, Args, Clone)]
pub struct StatusArgs {
    /// The nation's slug (else `nation` in the config file). Example: --nation exampleparty
    #[arg(long)]
    pub nation: Option<String>,

    /// PostgreSQL URL of the target database (else DATABASE_URL, else the config file).
    /// Example: --database-url postgres://postgres@127.0.0.1:5432/party
    #[arg(long)]
    pub database_url: Option<String>,

    /// Configuration file (TOML), as for migrate: flags beat environment beat file.
    /// Example: --config nb-exodus.toml
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// How the connection is secured.
    #[command(flatten)]
    pub database_tls: DatabaseTlsArgs,

    /// Print the states as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,

    /// The credentials file of `nb-exodus auth login` whose expiry to show (default: the
    /// nation's file in ~/.config/nb-exodus/credentials/, when it exists).
    /// Example: --credentials /srv/exodus/creds.json
    #[arg(long, value_name = "PATH")]
    pub credentials: Option<PathBuf>,
}

/// Arguments of `nb-exodus remap`.
#[derive(Debug, Args, Clone)]
pub struct RemapArgs {
    /// The nation's slug (else `nation` in the config file). Example: --nation exampleparty
    #[arg(long)]
    pub nation: Option<String>,

    /// PostgreSQL URL of the target database (else DATABASE_URL, else the config file).
    /// Example: --database-url postgres://postgres@127.0.0.1:5432/party
    #[arg(long)]
    pub database_url: Option<String>,

    /// Configuration file (TOML), as for migrate: flags beat environment beat file.
    /// Example: --config nb-exodus.toml
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// How the connection is secured.
    #[command(flatten)]
    pub database_tls: DatabaseTlsArgs,

    /// Directory of mapping files to apply (else the built-in ones). Example: --mappings ./mappings
    #[arg(long)]
    pub mappings: Option<PathBuf>,

    /// ISO 4217 currency of the nation's donations. Example: --currency EUR
    #[arg(long, default_value = "EUR")]
    pub currency: String,
}
