//! Arguments of `nb-exodus demo`. The demo never takes its database from the environment: it
//! writes a fake nation, and `DATABASE_URL` is usually set to the party's real database. Its
//! API token comes from the simulated nation's OAuth, with the life `--token-ttl` gives.

use std::path::PathBuf;

use clap::Args;

use crate::cli::db::DatabaseTlsArgs;

/// Arguments of `nb-exodus demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Size of the simulated nation. Example: --people 10000
    #[arg(long, default_value_t = 10_000)]
    pub people: u64,

    /// Seed of the simulated nation's data. Example: --seed 7
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Request budget on both sides (the simulated nation enforces it, the exporter rides it);
    /// `off` for a run as fast as the machine allows. Example: --rate-limit off
    #[arg(long, default_value = "250/10s")]
    pub rate_limit: String,

    /// Where the demo's private PostgreSQL cluster keeps its data (created if new, reused
    /// otherwise). Example: --data-dir ./nb-exodus-data
    #[arg(long, default_value = "nb-exodus-data")]
    pub data_dir: PathBuf,

    /// A database to migrate the demo nation into instead of the private cluster. Only this
    /// flag chooses one: DATABASE_URL is ignored, so a shell pointed at a real database stays
    /// safe. Refused (exit 2) when the database holds any nation other than "demo": use an
    /// empty database. Example: --database-url postgres://postgres@127.0.0.1:5432/demo
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// How the connection to --database-url is secured (the private cluster is loopback).
    #[command(flatten)]
    pub database_tls: DatabaseTlsArgs,

    /// After the summary, keep the database (and the simulated nation) running until Ctrl-C so
    /// you can open it with psql.
    #[arg(long)]
    pub serve: bool,

    /// Life of the access tokens the simulated nation's OAuth issues (NationBuilder: 24 h). The
    /// demo stores its credentials and refreshes them as they expire, as a real run does; a
    /// short life shows the refreshes. Example: --token-ttl 15s
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub token_ttl: String,

    /// No progress bars: a log line every few seconds instead.
    #[arg(long)]
    pub quiet: bool,
}
