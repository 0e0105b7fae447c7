//! Run configuration: the validated settings of a `migrate` run, resolved from flags, then the
//! environment, then an optional TOML file (flags beat environment beat file). Everything is
//! checked here, before any work starts, so a bad value is one clear line and exit code 2.
//!
//! The flags arrive as plain structs ([`ConnectionFlags`], [`MigrateFlags`], [`TlsFlags`]) that
//! the command line fills: this module knows nothing of clap, and [`crate::cli`] depends on it,
//! never the other way round. The settings every command that reads the API and the database
//! shares (nation, API, token, database, rate limit, pauses) are resolved once, by
//! [`resolve_connection`], for `migrate` and `verify` alike.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::auth::Credential;
use crate::database::ConnectionSettings;
use crate::fetch::client::{DEFAULT_MAX_RESPONSE_MB, DEFAULT_MAX_WAIT_MINUTES, MB};
use crate::fetch::rate_limit::RateSpec;
use crate::fetch::token::Secret;
use crate::mapping::Api;
use crate::resource::Resource;
use crate::Error;

/// The largest `--max-wait`, in minutes: a day (a daily quota resets within one).
pub const MAX_WAIT_LIMIT_MINUTES: u64 = 24 * 60;

/// The largest `--max-response-mb`.
pub const MAX_RESPONSE_LIMIT_MB: u64 = 4096;

/// The file form (`nb-exodus.toml`). Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Nation slug.
    pub nation: Option<String>,
    /// API base URL.
    pub api_base: Option<String>,
    /// Target database URL.
    pub database_url: Option<String>,
    /// PEM file of the CA that signed the database server's certificate (`--database-ca`).
    pub database_ca: Option<PathBuf>,
    /// Connect to a remote database without verifying it (`--insecure-database-connection`).
    pub insecure_database_connection: Option<bool>,
    /// Path of a file holding the token.
    pub token_file: Option<PathBuf>,
    /// The credentials file of `nb-exodus auth login` (`--credentials`).
    pub credentials: Option<PathBuf>,
    /// Streams to export.
    pub resources: Option<Vec<String>>,
    /// Resources to leave out of the default (every resource the API serves).
    pub exclude: Option<Vec<String>>,
    /// Request budget, e.g. `250/10s` or `off`.
    pub rate_limit: Option<String>,
    /// Records per page.
    pub page_size: Option<u32>,
    /// Donation currency.
    pub currency: Option<String>,
    /// Rejects tolerated.
    pub max_rejects: Option<u64>,
    /// Attempts per request.
    pub max_attempts: Option<u32>,
    /// Seconds a database outage is ridden out.
    pub database_retry_secs: Option<u64>,
    /// Longest pause the API may ask for, in minutes (`--max-wait`).
    pub max_wait: Option<u64>,
    /// Largest response body, in MB (`--max-response-mb`).
    pub max_response_mb: Option<u64>,
}

impl FileConfig {
    /// Reads and parses a config file. A value of the wrong type is one line naming the file,
    /// the line and the key; relative paths in the file (`token_file`, `database_ca`) are
    /// relative to the file's own directory, not to wherever the command runs.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut file: FileConfig = toml::from_str(&text).map_err(|e| {
            let place = e
                .span()
                .map(|span| where_in(&text, span.start))
                .unwrap_or_default();
            Error::Config(format!("{}{place}: {}", path.display(), e.message()))
        })?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let beside = |p: PathBuf| if p.is_relative() { dir.join(p) } else { p };
        file.token_file = file.token_file.map(beside);
        file.credentials = file.credentials.map(beside);
        file.database_ca = file.database_ca.map(beside);
        Ok(file)
    }
}

/// ` line N, key `k`` for a byte offset of a TOML text (the key is the one the line assigns).
fn where_in(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_no = text[..offset].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or_default();
    match line.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => {
            format!(" line {line_no}, key `{}`", key.trim())
        }
        _ => format!(" line {line_no}"),
    }
}

/// The nation and database a command that reads the database works on (`status`, `remap`):
/// flags beat the environment (`DATABASE_URL`) beat the configuration file.
#[derive(Debug, Clone)]
pub struct Target {
    /// The nation slug.
    pub nation: String,
    /// The database.
    pub database: ConnectionSettings,
}

/// Resolves a [`Target`] from flags, `DATABASE_URL` and `--config`.
pub fn resolve_target(
    nation: Option<String>,
    database_url: Option<String>,
    tls: &TlsFlags,
    config: Option<&Path>,
    env_database_url: Option<String>,
) -> Result<Target, Error> {
    let file = match config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    let nation = nonempty(nation.or(file.nation)).ok_or_else(|| {
        Error::Config("no nation given: pass --nation SLUG (or `nation` in the config file)".into())
    })?;
    let url = nonempty(database_url.or(env_database_url).or(file.database_url)).ok_or_else(|| {
        Error::Config(
            "no target database: pass --database-url or set DATABASE_URL (or `database_url` in the config file)"
                .into(),
        )
    })?;
    Ok(Target {
        nation,
        database: ConnectionSettings {
            url,
            ca_file: tls.database_ca.clone().or(file.database_ca),
            insecure: tls.insecure_database_connection
                || file.insecure_database_connection.unwrap_or(false),
        },
    })
}

/// Validated settings of a migrate run.
#[derive(Debug, Clone)]
pub struct MigrateConfig {
    /// Nation slug.
    pub nation: String,
    /// API base URL (ends with `/`).
    pub api_base: Url,
    /// The target database: URL, private CA, verification opt-out.
    pub database: ConnectionSettings,
    /// The static token or the credentials file (never logged).
    pub token: Credential,
    /// Streams to export.
    pub streams: Vec<Resource>,
    /// Request budget; `None` = unthrottled.
    pub rate_limit: Option<RateSpec>,
    /// Records per page.
    pub page_size: u32,
    /// Donation currency (ISO 4217, upper case).
    pub currency: String,
    /// Rejects tolerated before exit code 1.
    pub max_rejects: u64,
    /// Attempts per request.
    pub max_attempts: u32,
    /// Forget checkpoints first.
    pub restart: bool,
    /// Skip the end-of-run reconciliation (catch-up and id sweep).
    pub no_reconcile: bool,
    /// Mapping files directory; `None` = the built-in files.
    pub mappings_dir: Option<PathBuf>,
    /// Log lines instead of bars.
    pub quiet: bool,
    /// Request timeout.
    pub request_timeout: Duration,
    /// The API to read through.
    pub api: Api,
    /// v1 only: replace each abbreviated person with its full `/people/:id` record.
    pub full_people: bool,
    /// Let reconciliation remove more than a small share of a resource in one round.
    pub allow_mass_delete: bool,
    /// Print the summary as JSON.
    pub json: bool,
    /// How long a database outage (restart, failover) is ridden out before the run stops.
    pub database_retry: Duration,
    /// Longest pause the API may ask for and have waited out; a longer one stops the run.
    pub max_wait: Duration,
    /// Largest response body read; a larger one stops the run.
    pub max_response_bytes: u64,
}

/// The transport flags of a command that connects to the database (`--database-ca`,
/// `--insecure-database-connection`), as given; the file's keys fill what they leave open.
#[derive(Debug, Default, Clone)]
pub struct TlsFlags {
    /// PEM file of the CA that signed the database server's certificate.
    pub database_ca: Option<PathBuf>,
    /// Connect to a remote database without verifying it.
    pub insecure_database_connection: bool,
}

/// The flags every command that reads the API and the database shares, as given (`None`: not
/// given); [`resolve_connection`] applies precedence and checks them.
#[derive(Debug, Default, Clone)]
pub struct ConnectionFlags {
    /// `--nation`.
    pub nation: Option<String>,
    /// `--api` (`v1` or `v2`).
    pub api: Option<String>,
    /// `--api-base`.
    pub api_base: Option<String>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--database-ca`, `--insecure-database-connection`.
    pub tls: TlsFlags,
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    /// `--credentials`: the credentials file of `nb-exodus auth login`.
    pub credentials: Option<PathBuf>,
    /// `--rate-limit`.
    pub rate_limit: Option<String>,
    /// `--max-attempts` (migrate only; verify takes the file's or the default).
    pub max_attempts: Option<u32>,
    /// `--max-wait`, in minutes.
    pub max_wait: Option<u64>,
    /// `--max-response-mb`.
    pub max_response_mb: Option<u64>,
    /// `--config`: the TOML file.
    pub config: Option<PathBuf>,
}

/// The flags only `migrate` has, as given.
#[derive(Debug, Default, Clone)]
pub struct MigrateFlags {
    /// `--resources`.
    pub resources: Option<Vec<String>>,
    /// `--exclude`.
    pub exclude: Option<Vec<String>>,
    /// `--page-size`.
    pub page_size: Option<u32>,
    /// `--currency`.
    pub currency: Option<String>,
    /// `--max-rejects`.
    pub max_rejects: Option<u64>,
    /// `--full-people`.
    pub full_people: bool,
    /// `--mappings`.
    pub mappings: Option<PathBuf>,
    /// `--restart`.
    pub restart: bool,
    /// `--no-reconcile`.
    pub no_reconcile: bool,
    /// `--allow-mass-delete`.
    pub allow_mass_delete: bool,
    /// `--database-retry-secs`.
    pub database_retry_secs: Option<u64>,
    /// `--quiet`.
    pub quiet: bool,
    /// `--json`.
    pub json: bool,
}

/// Raw inputs before precedence is applied, one per source.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    /// From the shared flags.
    pub connection: ConnectionFlags,
    /// From migrate's own flags.
    pub migrate: MigrateFlags,
    /// `DATABASE_URL`.
    pub env_database_url: Option<String>,
    /// `NATIONBUILDER_API_TOKEN`.
    pub env_token: Option<String>,
}

/// The validated settings of a command that reads the API only (`inventory`).
#[derive(Debug, Clone)]
pub struct ApiConnection {
    /// Nation slug.
    pub nation: String,
    /// The API to read through.
    pub api: Api,
    /// API base URL (ends with `/`).
    pub api_base: Url,
    /// The static token or the credentials file (never logged).
    pub token: Credential,
    /// Request budget; `None` = unthrottled.
    pub rate_limit: Option<RateSpec>,
    /// Attempts per request.
    pub max_attempts: u32,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Longest pause the API may ask for and have waited out.
    pub max_wait: Duration,
    /// Largest response body read.
    pub max_response_bytes: u64,
}

/// The validated settings every command that reads the API and the database shares.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Nation slug.
    pub nation: String,
    /// The API to read through.
    pub api: Api,
    /// API base URL (ends with `/`).
    pub api_base: Url,
    /// The database: URL, private CA, verification opt-out.
    pub database: ConnectionSettings,
    /// The static token or the credentials file (never logged).
    pub token: Credential,
    /// Request budget; `None` = unthrottled.
    pub rate_limit: Option<RateSpec>,
    /// Attempts per request.
    pub max_attempts: u32,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Longest pause the API may ask for and have waited out.
    pub max_wait: Duration,
    /// Largest response body read.
    pub max_response_bytes: u64,
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Applies precedence (flags > environment > file) to the shared flags and validates them,
/// reading `--config` when given.
pub fn resolve_connection(
    flags: ConnectionFlags,
    env_database_url: Option<String>,
    env_token: Option<String>,
) -> Result<Connection, Error> {
    let file = match &flags.config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    connection(flags, &file, env_database_url, env_token)
}

/// [`resolve_connection`] with the file already read.
fn connection(
    flags: ConnectionFlags,
    file: &FileConfig,
    env_database_url: Option<String>,
    env_token: Option<String>,
) -> Result<Connection, Error> {
    let database_url = nonempty(
        flags
            .database_url
            .clone()
            .or(env_database_url)
            .or(file.database_url.clone()),
    )
    .ok_or_else(|| {
        Error::Config(
            "no target database: pass --database-url or set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/party)"
                .into(),
        )
    })?;
    let database = ConnectionSettings {
        url: database_url,
        ca_file: flags.tls.database_ca.clone().or(file.database_ca.clone()),
        insecure: flags.tls.insecure_database_connection
            || file.insecure_database_connection.unwrap_or(false),
    };
    let api = api_connection(flags, file, env_token)?;
    Ok(Connection {
        nation: api.nation,
        api: api.api,
        api_base: api.api_base,
        database,
        token: api.token,
        rate_limit: api.rate_limit,
        max_attempts: api.max_attempts,
        request_timeout: api.request_timeout,
        max_wait: api.max_wait,
        max_response_bytes: api.max_response_bytes,
    })
}

/// The nation (flag, else the file's) and the API base (flag, else the file's, else
/// `https://SLUG.nationbuilder.com`), validated; the base ends with `/`.
fn nation_and_base(
    nation: Option<String>,
    api_base: Option<String>,
    file: &FileConfig,
) -> Result<(String, Url), Error> {
    let nation = nonempty(nation.or(file.nation.clone())).ok_or_else(|| {
        Error::Config("no nation given: pass --nation SLUG (or `nation` in the config file)".into())
    })?;
    if !nation
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::Config(format!(
            "--nation {nation:?} is not a nation slug: use letters, digits, - and _ only"
        )));
    }
    let api_base = nonempty(api_base.or(file.api_base.clone()))
        .unwrap_or_else(|| format!("https://{nation}.nationbuilder.com"));
    let mut api_base = Url::parse(&api_base).map_err(|e| {
        // Not echoed: a text that is not a URL may hold a pasted secret.
        Error::Config(format!(
            "--api-base is not a URL ({e}); example: https://{nation}.nationbuilder.com"
        ))
    })?;
    if !matches!(api_base.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "--api-base must be an http(s) URL, not {:?}",
            api_base.scheme()
        )));
    }
    if !api_base.path().ends_with('/') {
        let path = format!("{}/", api_base.path());
        api_base.set_path(&path);
    }
    Ok((nation, api_base))
}

/// What an `auth` command works on: the nation, the API base whose origin serves
/// `/oauth/authorize` and `/oauth/token` (resolved as for migrate, so `--api-base` points it at
/// a simulator), and the credentials file (`--credentials`, the file's `credentials`, else the
/// default place).
pub fn resolve_auth(
    nation: Option<String>,
    api_base: Option<String>,
    credentials: Option<PathBuf>,
    config: Option<&Path>,
) -> Result<(String, Url, PathBuf), Error> {
    let file = match config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    let (nation, api_base) = nation_and_base(nation, api_base, &file)?;
    let path = crate::auth::store::path_for(&nation, credentials.or(file.credentials).as_deref())
        .map_err(|e| Error::Config(e.to_string()))?;
    Ok((nation, api_base, path))
}

/// The API side of the shared settings (no database): what `inventory` needs.
fn api_connection(
    flags: ConnectionFlags,
    file: &FileConfig,
    env_token: Option<String>,
) -> Result<ApiConnection, Error> {
    let (nation, api_base) = nation_and_base(flags.nation, flags.api_base, file)?;
    // Precedence for the token: a --token-file flag, then NATIONBUILDER_API_TOKEN, then a
    // --credentials flag, then the config file's token_file, then its credentials, then the
    // nation's credentials file in the default place when `nb-exodus auth login` made one.
    let token = if let Some(path) = &flags.token_file {
        Credential::Static(Secret::new(read_token(path)?))
    } else if let Some(token) = nonempty(env_token) {
        Credential::Static(Secret::new(token))
    } else if let Some(path) = &flags.credentials {
        Credential::Stored(path.clone())
    } else if let Some(path) = &file.token_file {
        Credential::Static(Secret::new(read_token(path)?))
    } else if let Some(path) = &file.credentials {
        Credential::Stored(path.clone())
    } else {
        match crate::auth::store::path_for(&nation, None) {
            Ok(path) if path.exists() => Credential::Stored(path),
            found => {
                let place = found
                    .map(|p| format!(" (none in {})", p.display()))
                    .unwrap_or_default();
                return Err(Error::Config(format!(
                    "no API token: run `nb-exodus auth login --nation {nation} --client-id ID \
                     --client-secret-file PATH` once{place}, or set NATIONBUILDER_API_TOKEN or \
                     pass --token-file PATH"
                )));
            }
        }
    };
    if let Credential::Static(token) = &token {
        if token
            .expose()
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::Config(
                "the API token contains whitespace; check NATIONBUILDER_API_TOKEN / --token-file"
                    .into(),
            ));
        }
    }
    let rate_limit = match nonempty(flags.rate_limit.or(file.rate_limit.clone())).as_deref() {
        None => Some(RateSpec::default()),
        Some("off") => None,
        Some(spec) => Some(spec.parse::<RateSpec>().map_err(Error::Config)?),
    };
    let max_attempts = flags.max_attempts.or(file.max_attempts).unwrap_or(8);
    if max_attempts == 0 {
        return Err(Error::Config("--max-attempts must be at least 1".into()));
    }
    let max_wait = flags
        .max_wait
        .or(file.max_wait)
        .unwrap_or(DEFAULT_MAX_WAIT_MINUTES);
    if !(1..=MAX_WAIT_LIMIT_MINUTES).contains(&max_wait) {
        return Err(Error::Config(format!(
            "--max-wait {max_wait} is out of range: give minutes from 1 to {MAX_WAIT_LIMIT_MINUTES} (a day)"
        )));
    }
    let max_response_mb = flags
        .max_response_mb
        .or(file.max_response_mb)
        .unwrap_or(DEFAULT_MAX_RESPONSE_MB);
    if !(1..=MAX_RESPONSE_LIMIT_MB).contains(&max_response_mb) {
        return Err(Error::Config(format!(
            "--max-response-mb {max_response_mb} is out of range: give MB from 1 to {MAX_RESPONSE_LIMIT_MB}"
        )));
    }
    let api = match nonempty(flags.api).as_deref() {
        None => Api::V2,
        Some(name) => Api::from_name(name).ok_or_else(|| {
            Error::Config(format!(
                "--api {name:?} is not an API version: use v1 or v2"
            ))
        })?,
    };
    Ok(ApiConnection {
        nation,
        api,
        api_base,
        token,
        rate_limit,
        max_attempts,
        request_timeout: Duration::from_secs(60),
        max_wait: Duration::from_secs(max_wait * 60),
        max_response_bytes: max_response_mb * MB,
    })
}

/// The resources a run exports: `resources` when given (each must be one the API serves),
/// else every resource `api` serves; minus `exclude`. Registry order.
pub fn select_resources(
    api: Api,
    resources: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
) -> Result<Vec<Resource>, Error> {
    let api_name = api.as_str();
    let parse = |list: &[String], flag: &str| -> Result<Vec<Resource>, Error> {
        list.iter()
            .filter(|s| !s.trim().is_empty())
            .map(|item| {
                item.parse::<Resource>()
                    .map_err(|e| Error::Config(format!("{flag}: {e}")))
            })
            .collect()
    };
    let mut chosen = match resources {
        None => Resource::all().filter(|r| r.served_by(api_name)).collect(),
        Some(list) => {
            let chosen = parse(&list, "--resources")?;
            if let Some(r) = chosen.iter().find(|r| !r.served_by(api_name)) {
                return Err(Error::Config(format!(
                    "--resources {r}: API {api_name} has no route for {r}; export it through --api v2, or leave it out"
                )));
            }
            chosen
        }
    };
    if let Some(list) = exclude {
        let left_out = parse(&list, "--exclude")?;
        chosen.retain(|r| !left_out.contains(r));
    }
    chosen.sort();
    chosen.dedup();
    if chosen.is_empty() {
        return Err(Error::Config(
            "no resource left to export: --resources and --exclude leave nothing".into(),
        ));
    }
    Ok(chosen)
}

/// What `inventory` needs: the API side of the shared flags, the resources a run would
/// export, the page size and `--full-people` (no database).
#[derive(Debug, Clone)]
pub struct InventoryConfig {
    /// The API, nation, token and budget.
    pub connection: ApiConnection,
    /// The resources a run would export.
    pub resources: Vec<Resource>,
    /// Records per page.
    pub page_size: u32,
    /// v1 only: one more request per person.
    pub full_people: bool,
    /// Print JSON.
    pub json: bool,
}

/// Resolves `inventory`'s settings from the same inputs as `migrate` (the database flags are
/// not needed and not read).
pub fn resolve_inventory(inputs: Inputs) -> Result<InventoryConfig, Error> {
    let file = match &inputs.connection.config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    let connection = api_connection(inputs.connection, &file, inputs.env_token)?;
    let flags = inputs.migrate;
    let resources = select_resources(
        connection.api,
        flags.resources.or(file.resources),
        flags.exclude.or(file.exclude),
    )?;
    let page_size = page_size(flags.page_size.or(file.page_size))?;
    if flags.full_people && connection.api != Api::V1 {
        return Err(Error::Config(
            "--full-people applies to --api v1 only (v2 pages already carry full people)".into(),
        ));
    }
    Ok(InventoryConfig {
        connection,
        resources,
        page_size,
        full_people: flags.full_people,
        json: flags.json,
    })
}

/// The page size given, or 100; the API allows 1 to 100.
fn page_size(given: Option<u32>) -> Result<u32, Error> {
    let page_size = given.unwrap_or(100);
    if !(1..=100).contains(&page_size) {
        return Err(Error::Config(format!(
            "--page-size {page_size} is out of range: the API allows 1 to 100"
        )));
    }
    Ok(page_size)
}

/// Applies precedence (flags > environment > file) and validates: the shared settings through
/// [`resolve_connection`], then migrate's own.
pub fn resolve(inputs: Inputs) -> Result<MigrateConfig, Error> {
    let file = match &inputs.connection.config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    let connection = connection(
        inputs.connection,
        &file,
        inputs.env_database_url,
        inputs.env_token,
    )?;
    let flags = inputs.migrate;
    let streams = select_resources(
        connection.api,
        flags.resources.or(file.resources),
        flags.exclude.or(file.exclude),
    )?;
    let page_size = page_size(flags.page_size.or(file.page_size))?;
    let currency = nonempty(flags.currency.or(file.currency))
        .unwrap_or_else(|| "EUR".into())
        .to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::Config(format!(
            "--currency {currency:?} is not an ISO 4217 code such as EUR"
        )));
    }
    if flags.full_people && connection.api != Api::V1 {
        return Err(Error::Config(
            "--full-people applies to --api v1 only (v2 pages already carry full people)".into(),
        ));
    }
    Ok(MigrateConfig {
        nation: connection.nation,
        api_base: connection.api_base,
        database: connection.database,
        token: connection.token,
        streams,
        rate_limit: connection.rate_limit,
        page_size,
        currency,
        max_rejects: flags.max_rejects.or(file.max_rejects).unwrap_or(0),
        max_attempts: connection.max_attempts,
        restart: flags.restart,
        no_reconcile: flags.no_reconcile,
        mappings_dir: flags.mappings,
        quiet: flags.quiet,
        request_timeout: connection.request_timeout,
        api: connection.api,
        full_people: flags.full_people,
        allow_mass_delete: flags.allow_mass_delete,
        json: flags.json,
        database_retry: Duration::from_secs(
            flags
                .database_retry_secs
                .or(file.database_retry_secs)
                .unwrap_or(60),
        ),
        max_wait: connection.max_wait,
        max_response_bytes: connection.max_response_bytes,
    })
}

fn read_token(path: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(Error::Config(format!(
            "{} is empty: put the API access token in it",
            path.display()
        )));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(connection: ConnectionFlags) -> Inputs {
        with_migrate(connection, MigrateFlags::default())
    }

    fn with_migrate(connection: ConnectionFlags, migrate: MigrateFlags) -> Inputs {
        Inputs {
            connection,
            migrate,
            env_database_url: Some("postgres://env@127.0.0.1/env".into()),
            env_token: Some("env-token".into()),
        }
    }

    #[test]
    fn a_static_token_beats_the_credentials_file_which_beats_the_files_token() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "file-token\n").unwrap();
        let file = dir.path().join("nb-exodus.toml");
        std::fs::write(
            &file,
            "token_file = \"token\"\ncredentials = \"creds.json\"\n",
        )
        .unwrap();
        let flags = |credentials: Option<&str>| ConnectionFlags {
            nation: Some("n".into()),
            credentials: credentials.map(PathBuf::from),
            config: Some(file.clone()),
            ..ConnectionFlags::default()
        };
        let c = resolve(inputs(flags(Some("/x/creds.json")))).unwrap();
        assert_eq!(c.token, Credential::Static(Secret::new("env-token")));
        let mut without_env = inputs(flags(Some("/x/creds.json")));
        without_env.env_token = None;
        let c = resolve(without_env).unwrap();
        assert_eq!(c.token, Credential::Stored("/x/creds.json".into()));
        let mut from_file = inputs(flags(None));
        from_file.env_token = None;
        let c = resolve(from_file).unwrap();
        assert_eq!(c.token, Credential::Static(Secret::new("file-token")));
        std::fs::write(&file, "credentials = \"creds.json\"\n").unwrap();
        let mut only_creds = inputs(flags(None));
        only_creds.env_token = None;
        let c = resolve(only_creds).unwrap();
        assert_eq!(c.token, Credential::Stored(dir.path().join("creds.json")));
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nb-exodus.toml");
        std::fs::write(
            &file,
            "nation = \"filenation\"\ndatabase_url = \"postgres://file@h/f\"\npage_size = 50\nrate_limit = \"100/10s\"\ncurrency = \"chf\"\nmax_wait = 30\nmax_response_mb = 8\ndatabase_ca = \"/etc/file-ca.pem\"\ninsecure_database_connection = true\n",
        )
        .unwrap();
        let flags = ConnectionFlags {
            config: Some(file.clone()),
            ..ConnectionFlags::default()
        };
        let c = resolve(with_migrate(
            flags,
            MigrateFlags {
                page_size: Some(20),
                ..MigrateFlags::default()
            },
        ))
        .unwrap();
        assert_eq!(c.nation, "filenation");
        assert_eq!(c.database.url, "postgres://env@127.0.0.1/env");
        assert_eq!(
            c.database.ca_file.as_deref(),
            Some(Path::new("/etc/file-ca.pem"))
        );
        assert!(c.database.insecure, "the file's opt-out applies");
        assert_eq!(c.page_size, 20);
        assert_eq!(c.currency, "CHF");
        assert_eq!(c.rate_limit.map(|r| r.requests), Some(100));
        assert_eq!(c.token, Credential::Static(Secret::new("env-token")));
        assert_eq!(c.api_base.as_str(), "https://filenation.nationbuilder.com/");
        assert_eq!(c.streams, Resource::all().collect::<Vec<_>>());
        assert_eq!(c.max_wait, Duration::from_secs(30 * 60));
        assert_eq!(c.max_response_bytes, 8 * 1024 * 1024);

        let token_file = dir.path().join("token");
        std::fs::write(&token_file, "file-token\n").unwrap();
        let flags = ConnectionFlags {
            config: Some(file),
            nation: Some("flagnation".into()),
            database_url: Some("postgres://flag@h/db".into()),
            tls: TlsFlags {
                database_ca: Some("/etc/flag-ca.pem".into()),
                insecure_database_connection: false,
            },
            token_file: Some(token_file),
            rate_limit: Some("off".into()),
            ..ConnectionFlags::default()
        };
        let c = resolve(with_migrate(
            flags,
            MigrateFlags {
                resources: Some(vec!["people".into(), "donations".into()]),
                ..MigrateFlags::default()
            },
        ))
        .unwrap();
        assert_eq!(c.nation, "flagnation");
        assert_eq!(c.database.url, "postgres://flag@h/db");
        assert_eq!(
            c.database.ca_file.as_deref(),
            Some(Path::new("/etc/flag-ca.pem"))
        );
        assert_eq!(c.token, Credential::Static(Secret::new("file-token")));
        assert_eq!(c.rate_limit, None);
        assert_eq!(
            c.streams,
            vec![Resource::of("people"), Resource::of("donations")]
        );

        // Without flags or file: 15 minutes and 64 MB.
        let c = resolve(inputs(ConnectionFlags {
            nation: Some("n".into()),
            ..ConnectionFlags::default()
        }))
        .unwrap();
        assert_eq!(c.max_wait, Duration::from_secs(15 * 60));
        assert_eq!(c.max_response_bytes, 64 * 1024 * 1024);
        let c = resolve(inputs(ConnectionFlags {
            nation: Some("n".into()),
            max_wait: Some(2),
            max_response_mb: Some(1),
            ..ConnectionFlags::default()
        }))
        .unwrap();
        assert_eq!(c.max_wait, Duration::from_secs(120));
        assert_eq!(c.max_response_bytes, 1024 * 1024);
    }

    #[test]
    fn migrate_and_verify_resolve_the_shared_flags_alike() {
        let flags = ConnectionFlags {
            nation: Some("n".into()),
            api: Some("v1".into()),
            rate_limit: Some("10/1s".into()),
            max_wait: Some(3),
            ..ConnectionFlags::default()
        };
        let shared = resolve_connection(
            flags.clone(),
            Some("postgres://env@127.0.0.1/env".into()),
            Some("env-token".into()),
        )
        .unwrap();
        let migrate = resolve(inputs(flags)).unwrap();
        assert_eq!(
            (shared.nation, shared.api, shared.api_base, shared.token),
            (migrate.nation, migrate.api, migrate.api_base, migrate.token)
        );
        assert_eq!(shared.database.url, migrate.database.url);
        assert_eq!(shared.rate_limit, migrate.rate_limit);
        assert_eq!(shared.max_attempts, migrate.max_attempts);
        assert_eq!(shared.max_wait, migrate.max_wait);
        assert_eq!(shared.max_response_bytes, migrate.max_response_bytes);
    }

    #[test]
    fn file_errors_name_the_line_and_key_and_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("party");
        std::fs::create_dir(&sub).unwrap();
        let file = sub.join("nb-exodus.toml");
        std::fs::write(&file, "nation = \"p\"\n\nresources = \"tags\"\n").unwrap();
        let err = FileConfig::read(&file).unwrap_err().to_string();
        assert!(
            err.contains("nb-exodus.toml line 3, key `resources`: invalid type: string"),
            "{err}"
        );
        std::fs::write(
            &file,
            "token_file = \"token\"\ndatabase_ca = \"/etc/ca.pem\"\n",
        )
        .unwrap();
        std::fs::write(sub.join("token"), "from-beside-the-file\n").unwrap();
        let read = FileConfig::read(&file).unwrap();
        assert_eq!(read.token_file, Some(sub.join("token")));
        assert_eq!(read.database_ca, Some(PathBuf::from("/etc/ca.pem")));
        let flags = ConnectionFlags {
            config: Some(file),
            nation: Some("p".into()),
            ..ConnectionFlags::default()
        };
        let c = resolve(Inputs {
            connection: flags,
            migrate: MigrateFlags::default(),
            env_database_url: Some("postgres://x@127.0.0.1/d".into()),
            env_token: None,
        })
        .unwrap();
        assert_eq!(
            c.token,
            Credential::Static(Secret::new("from-beside-the-file"))
        );
    }

    #[test]
    fn rejects_bad_values_with_a_fix() {
        let base = || ConnectionFlags {
            nation: Some("n".into()),
            ..ConnectionFlags::default()
        };
        let cases: Vec<(Inputs, &str)> = vec![
            (inputs(ConnectionFlags::default()), "--nation"),
            (
                inputs(ConnectionFlags {
                    nation: Some("a b".into()),
                    ..base()
                }),
                "slug",
            ),
            (
                with_migrate(
                    base(),
                    MigrateFlags {
                        page_size: Some(101),
                        ..MigrateFlags::default()
                    },
                ),
                "1 to 100",
            ),
            (
                inputs(ConnectionFlags {
                    rate_limit: Some("fast".into()),
                    ..base()
                }),
                "250/10s",
            ),
            (
                with_migrate(
                    base(),
                    MigrateFlags {
                        currency: Some("EURO".into()),
                        ..MigrateFlags::default()
                    },
                ),
                "ISO 4217",
            ),
            (
                with_migrate(
                    base(),
                    MigrateFlags {
                        resources: Some(vec!["no_such_resource".into()]),
                        ..MigrateFlags::default()
                    },
                ),
                "unknown resource",
            ),
            (
                inputs(ConnectionFlags {
                    api_base: Some("ftp://x".into()),
                    ..base()
                }),
                "http",
            ),
            (
                inputs(ConnectionFlags {
                    max_wait: Some(0),
                    ..base()
                }),
                "--max-wait 0 is out of range",
            ),
            (
                inputs(ConnectionFlags {
                    max_wait: Some(u64::MAX),
                    ..base()
                }),
                "minutes from 1 to 1440",
            ),
            (
                inputs(ConnectionFlags {
                    max_response_mb: Some(0),
                    ..base()
                }),
                "--max-response-mb 0 is out of range",
            ),
        ];
        for (inputs, needle) in cases {
            let err = resolve(inputs).unwrap_err().to_string();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
        // A text that is not a URL is not echoed: it may be a secret pasted in the wrong place.
        let err = resolve(inputs(ConnectionFlags {
            api_base: Some("s3cret token".into()),
            ..base()
        }))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("--api-base is not a URL") && !err.contains("s3cret"),
            "{err}"
        );
        let no_token = Inputs {
            connection: base(),
            migrate: MigrateFlags::default(),
            env_database_url: Some("postgres://x@h/d".into()),
            env_token: None,
        };
        let err = resolve(no_token).unwrap_err().to_string();
        assert!(err.contains("NATIONBUILDER_API_TOKEN"), "{err}");
        let no_db = Inputs {
            connection: base(),
            migrate: MigrateFlags::default(),
            env_database_url: None,
            env_token: Some("t".into()),
        };
        let err = resolve(no_db).unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL"), "{err}");
    }
}
