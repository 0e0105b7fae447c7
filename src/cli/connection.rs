//! The flags `migrate` and `verify` share: which nation, through which API and token, into or
//! from which database, at what request budget, with which configuration file
//! ([`ConnectionArgs`], flattened into both). They become a [`ConnectionFlags`] here, and
//! [`crate::config::resolve_connection`] resolves them once, for either command.

use std::path::PathBuf;

use clap::Args;

use crate::cli::db::DatabaseTlsArgs;
use crate::config::ConnectionFlags;

/// The connection and API flags of `migrate` and `verify`. The help texts are migrate's;
/// `verify` words some of them for itself (see [`crate::cli::verify::VerifyArgs`]).
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectionArgs {
    /// The nation's slug (the `SLUG` in `https://SLUG.nationbuilder.com`).
    /// Example: --nation exampleparty
    #[arg(long)]
    pub nation: Option<String>,

    /// NationBuilder API to read through: `v2` (default) or `v1` (legacy REST; also works with
    /// legacy tokens). A nation exported through one API must be resumed through the same one.
    /// Example: --api v1
    #[arg(long, value_parser = ["v1", "v2"])]
    pub api: Option<String>,

    /// Base URL of the API. Defaults to `https://SLUG.nationbuilder.com`.
    /// Example: --api-base http://127.0.0.1:8088
    #[arg(long)]
    pub api_base: Option<String>,

    /// PostgreSQL URL of the target database (else DATABASE_URL, else the config file).
    /// Example: --database-url postgres://postgres@127.0.0.1:5432/party
    #[arg(long)]
    pub database_url: Option<String>,

    /// How the database connection is secured (`database_ca` and
    /// `insecure_database_connection` in the config file).
    #[command(flatten)]
    pub database_tls: DatabaseTlsArgs,

    /// File holding the API access token (else NATIONBUILDER_API_TOKEN).
    /// Example: --token-file ~/.config/nb-exodus/token
    #[arg(long)]
    pub token_file: Option<PathBuf>,

    /// The credentials file of `nb-exodus auth login`, used when no token is given (default:
    /// ~/.config/nb-exodus/credentials/NATION.json, when it exists); tokens are refreshed as
    /// they expire. Example: --credentials ~/.config/nb-exodus/credentials/exampleparty.json
    #[arg(long, value_name = "PATH")]
    pub credentials: Option<PathBuf>,

    /// Request budget shared by all streams; `off` disables pacing (simulator benchmarks only).
    /// Example: --rate-limit 250/10s
    #[arg(long)]
    pub rate_limit: Option<String>,

    /// Longest pause, in minutes, the API may ask for (`Retry-After`, an exhausted rate-limit
    /// window) and have waited out; a longer one stops the run, resumably. Example: --max-wait 15
    #[arg(long, value_name = "MINUTES")]
    pub max_wait: Option<u64>,

    /// Largest API response body read, in MB; a larger one stops the run.
    /// Example: --max-response-mb 64
    #[arg(long, value_name = "MB")]
    pub max_response_mb: Option<u64>,

    /// Configuration file (TOML); flags beat environment beat file.
    /// Example: --config nb-exodus.toml
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl ConnectionArgs {
    /// The flags as the configuration takes them; `max_attempts` is migrate's own flag.
    pub fn flags(self, max_attempts: Option<u32>) -> ConnectionFlags {
        ConnectionFlags {
            nation: self.nation,
            api: self.api,
            api_base: self.api_base,
            database_url: self.database_url,
            tls: self.database_tls.flags(),
            token_file: self.token_file,
            credentials: self.credentials,
            rate_limit: self.rate_limit,
            max_attempts,
            max_wait: self.max_wait,
            max_response_mb: self.max_response_mb,
            config: self.config,
        }
    }
}
