//! Arguments of `nb-exodus verify` and `nb-exodus keygen`, and their conversion into the
//! validated [`VerifyConfig`] / [`OfflineConfig`] (token, database and rate limit resolved
//! exactly as for `migrate`: both flatten [`ConnectionArgs`] and resolve it through
//! [`config::resolve_connection`]).

use std::path::PathBuf;

use clap::Args;

use crate::cli::connection::ConnectionArgs;
use crate::config;
use crate::verify::{OfflineConfig, VerifyConfig, DEFAULT_LOOKUPS, DEFAULT_SAMPLE};
use crate::Error;

/// Arguments of `nb-exodus verify`. The connection flags are migrate's, with verify's own help
/// texts (the `mut_arg`s below). Clap never checked verify's `--api`: a wrong value is refused
/// by the configuration (`use v1 or v2`, exit 2), and stays so.
#[derive(Debug, Args, Clone, Default)]
#[command(
    mut_arg("nation", |a| a.help("The nation's slug. Example: --nation exampleparty")),
    mut_arg("api", |a| {
        a.value_name("v1|v2")
            .value_parser(clap::builder::ValueParser::string())
            .help(
                "The API to enumerate and sample through: v2 (default) or v1, the auditor's \
                 second, independent way to list a nation. Works against a v1 export and a v2 \
                 export alike (tag and tagging ids are translated). Example: --api v1",
            )
    }),
    mut_arg("database_url", |a| a.help(
        "PostgreSQL URL of the exported database (else DATABASE_URL). \
         Example: --database-url postgres://postgres@127.0.0.1:5432/party",
    )),
    mut_arg("token_file", |a| a.help(
        "File holding the API access token (else NATIONBUILDER_API_TOKEN)",
    )),
    mut_arg("rate_limit", |a| a.help(
        "Request budget shared by the sweep, lookups and sample; `off` disables pacing \
         (simulator only). Example: --rate-limit 250/10s",
    )),
    mut_arg("max_wait", |a| a.help(
        "Longest pause, in minutes, the API may ask for and have waited out; a longer one \
         stops the verification. Example: --max-wait 15",
    )),
    mut_arg("max_response_mb", |a| a.help(
        "Largest API response body read, in MB; a larger one stops the verification. \
         Example: --max-response-mb 64",
    )),
    mut_arg("config", |a| a.help(
        "Configuration file (TOML) as for migrate (nation, api_base, database_url, \
         token_file, database_ca…); flags beat environment beat file. \
         Example: --config nb-exodus.toml",
    )),
)]
pub struct VerifyArgs {
    /// Nation, API, token, database, request budget, configuration file (migrate's flags).
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Directory for report.json, report.md and report.json.sig (created, mode 0700).
    /// Example: --out audit-2025-06
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Records re-fetched per resource; 299 gives 95 % confidence of a defect rate under 1 %.
    #[arg(long, default_value_t = DEFAULT_SAMPLE)]
    pub sample: u64,

    /// Sample seed (ideally chosen by the auditor); default: derived from the Merkle roots.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Lookups by id per resource to classify differences and orphans.
    #[arg(long, default_value_t = DEFAULT_LOOKUPS)]
    pub max_lookups: usize,

    /// Secret key (minisign format, from `nb-exodus keygen`) to sign report.json with.
    #[arg(long)]
    pub sign_key: Option<PathBuf>,

    /// Re-check an existing report from the database alone (no API): needs --report.
    #[arg(long)]
    pub offline: bool,

    /// The report to re-check offline. Example: --report audit-2025-06/report.json
    #[arg(long, requires = "offline")]
    pub report: Option<PathBuf>,

    /// Public key to check report.json.sig with (offline). Example: --pubkey nb-exodus.pub
    #[arg(long, requires = "offline")]
    pub pubkey: Option<PathBuf>,

    /// Print the outcome as one JSON document on stdout (the report itself, where the files
    /// went, the exit code); logs stay on stderr.
    #[arg(long)]
    pub json: bool,
}

/// What to run.
#[derive(Debug, Clone)]
pub enum VerifyMode {
    /// Against the API and the database; write the report into the directory, signed with the
    /// key file when given.
    Online(Box<VerifyConfig>, PathBuf, Option<PathBuf>),
    /// Re-check a report from the database alone; optionally write the recomputation.
    Offline(OfflineConfig, Option<PathBuf>),
}

impl VerifyArgs {
    /// Validates the flags against the environment's `DATABASE_URL` and
    /// `NATIONBUILDER_API_TOKEN`.
    pub fn resolve(
        self,
        env_database_url: Option<String>,
        env_token: Option<String>,
    ) -> Result<VerifyMode, Error> {
        if self.offline {
            let report = self.report.ok_or_else(|| {
                Error::Config(
                    "--offline needs --report DIR/report.json (the report to re-check)".into(),
                )
            })?;
            let from_file = match &self.connection.config {
                Some(path) => config::FileConfig::read(path)?.database_url,
                None => None,
            };
            let database_url = self
                .connection
                .database_url
                .or(env_database_url)
                .or(from_file)
                .filter(|u| !u.trim().is_empty())
                .ok_or_else(|| {
                    Error::Config(
                        "no database: pass --database-url or set DATABASE_URL (a copy of the exported database is fine)".into(),
                    )
                })?;
            return Ok(VerifyMode::Offline(
                OfflineConfig {
                    report,
                    database: self.connection.database_tls.settings(database_url),
                    pubkey: self.pubkey,
                },
                self.out,
            ));
        }
        let out = self.out.ok_or_else(|| {
            Error::Config(
                "no output directory: pass --out DIR for report.json and report.md".into(),
            )
        })?;
        if self.sample == 0 {
            return Err(Error::Config(
                "--sample must be at least 1 (299 is the usual size)".into(),
            ));
        }
        let connection =
            config::resolve_connection(self.connection.flags(None), env_database_url, env_token)?;
        Ok(VerifyMode::Online(
            Box::new(VerifyConfig {
                nation: connection.nation,
                api: connection.api,
                api_base: connection.api_base,
                database: connection.database,
                token: connection.token,
                rate_limit: connection.rate_limit,
                page_size: 100,
                sample: self.sample,
                seed: self.seed,
                max_lookups: self.max_lookups,
                max_attempts: connection.max_attempts,
                request_timeout: connection.request_timeout,
                max_wait: connection.max_wait,
                max_response_bytes: connection.max_response_bytes,
            }),
            out,
            self.sign_key,
        ))
    }
}

/// Arguments of `nb-exodus keygen`.
#[derive(Debug, Args, Clone)]
pub struct KeygenArgs {
    /// Where to write the secret key (mode 0600). Example: --secret-key ~/.nb-exodus/verify.key
    #[arg(long, default_value = "nb-exodus.key")]
    pub secret_key: PathBuf,

    /// Where to write the public key, to hand to auditors. Example: --public-key verify.pub
    #[arg(long, default_value = "nb-exodus.pub")]
    pub public_key: PathBuf,

    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}
