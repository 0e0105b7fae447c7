//! Verify: the auditor's proof that an export is complete, made without trusting the run that
//! did it. For each resource of the registry ([`crate::resource`]) it
//!
//! 1. sweeps the API's ids afresh and balances `enumerated − duplicates = archived` with every
//!    difference classified ([`ids`]);
//! 2. balances `archived = loaded + rejected + excluded` ([`counts`]);
//! 3. re-hashes every raw record and re-derives every loaded row from the raw archive with the
//!    current mappings, diffing inside PostgreSQL ([`integrity`]);
//! 4. checks references, separating orphans NationBuilder allows from defects ([`counts`]),
//!    and reports keys of `jsonb` columns used without a definition and definitions never used
//!    (`definitions`);
//! 5. re-fetches a seeded sample and compares it field by field ([`sample`]);
//! 6. computes a salted RFC 6962 Merkle root over the archive ([`merkle`]);
//!
//! and writes a canonical-JSON [`report::Report`] (ids, counts, hashes — no personal data),
//! optionally signed in minisign's format ([`sign`]). [`run_offline`] re-checks a report's
//! signature and recomputes its database side from a copy of the database alone.
//!
//! The database side always works in the export's own API (read from `sync.checkpoints`: its
//! mappings re-derive the rows). The source side sweeps through the API the auditor chose
//! ([`VerifyConfig::api`]): v2, or v1 as a second, independent enumeration. A v1 sweep of a
//! v2 export translates the archived tag and tagging ids into v1's keys ([`translate`]) and
//! compares the sample on the fields both APIs share ([`sample`]); a v2 sweep of a v1 export is
//! refused (v2's numeric tag ids cannot be derived from a v1 archive).
//!
//! Verify changes nothing in the database it checks but its own log row in
//! `audit.verifications`: it never migrates the schema and never creates the manifest salt
//! (`migrate` does, [`salt`]); its sessions are read-only on the server's side, and what it
//! needs is checked first ([`preflight`]: schema present and current, a finished export, the
//! salt), before any request to the API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Row};
use url::Url;

use crate::database;
use crate::fetch::client::{redact_url, ClientConfig, HttpClient};
use crate::fetch::rate_limit::{Limiter, RateSpec};
use crate::fetch::v1::V1Source;
use crate::fetch::v2::V2Source;
use crate::fetch::{FetchError, Source};
use crate::mapping::{Api, MappingMapper, MappingSet, TableId};
use crate::resource::{Dangling, Resource, V1Key};

pub mod counts;
mod definitions;
mod findings;
pub mod ids;
pub mod integrity;
pub mod merkle;
mod preflight;
pub mod private_files;
pub mod report;
pub mod salt;
pub mod sample;
pub mod sign;
pub mod translate;

use report::{
    DatabaseInfo, DatabaseSide, Equation, ExportInfo, Finding, FindingClass, ManifestInfo,
    MerkleRoot, Outcome, Report, ResourceReport, SampleInfo, SourceInfo, SourceSide, TlsInfo, Tool,
};

/// The sample size that gives 95 % confidence of a defect rate below 1 % when no defect is
/// found: ln(0.05) / ln(0.99) ≈ 298.1.
pub const DEFAULT_SAMPLE: u64 = 299;

/// Lookups by id (to classify ids and orphans) allowed per resource by default.
pub const DEFAULT_LOOKUPS: usize = 1000;

/// Exit code when everything balances.
pub const EXIT_BALANCED: u8 = 0;
/// Exit code when there are unexplained gaps.
pub const EXIT_DEFECTS: u8 = 1;

/// Settings of an online verification.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// Nation slug.
    pub nation: String,
    /// The API to sweep and sample through (`--api`, default v2).
    pub api: Api,
    /// API base URL (ends with `/`).
    pub api_base: Url,
    /// The database: URL, private CA, verification opt-out.
    pub database: database::ConnectionSettings,
    /// The static token or the credentials file (never logged).
    pub token: crate::auth::Credential,
    /// Request budget; `None` = unthrottled.
    pub rate_limit: Option<RateSpec>,
    /// Ids per sweep page (1–100).
    pub page_size: u32,
    /// Records re-fetched per resource.
    pub sample: u64,
    /// The sample seed; `None` derives it from the Merkle roots.
    pub seed: Option<u64>,
    /// Lookups by id allowed per resource.
    pub max_lookups: usize,
    /// Attempts per request.
    pub max_attempts: u32,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Longest pause the API may ask for and have waited out (`--max-wait`).
    pub max_wait: Duration,
    /// Largest response body read (`--max-response-mb`).
    pub max_response_bytes: u64,
}

/// Settings of an offline re-check.
#[derive(Debug, Clone)]
pub struct OfflineConfig {
    /// The report to check (`DIR/report.json`); its signature is `DIR/report.json.sig`.
    pub report: PathBuf,
    /// The database (a copy of the exported database is fine): URL, private CA, verification
    /// opt-out.
    pub database: database::ConnectionSettings,
    /// Public key to check the signature with; `None` skips the signature.
    pub pubkey: Option<PathBuf>,
}

/// Why verification could not be done (as opposed to findings, which are results).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Connecting or migrating failed.
    #[error(transparent)]
    Setup(#[from] crate::Error),
    /// A statement failed.
    #[error("{context}")]
    Database {
        /// What was being done.
        context: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The HTTP client could not be built.
    #[error("preparing requests to the API")]
    Client(#[source] FetchError),
    /// The stored credentials cannot be used.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// The API failed.
    #[error("reading {resource} from the API")]
    Fetch {
        /// The resource.
        resource: Resource,
        /// The cause.
        #[source]
        source: FetchError,
    },
    /// A file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A key or signature file is unusable.
    #[error("{path}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: sign::SignError,
    },
    /// `keygen` would replace an existing key file.
    #[error("{path} already exists; pass --force to replace it (signatures made with the old key can then no longer be checked with the new public key)")]
    KeyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The report is unusable, or something internal went wrong.
    #[error("{0}")]
    Report(String),
    /// The database has no nb-exodus schema at all.
    #[error("database {target} has no nb-exodus schema, so it holds no export of nation {nation:?}: check --database-url and --nation, or run `nb-exodus migrate` first")]
    NoSchema {
        /// Nation slug.
        nation: String,
        /// `host:port/database`.
        target: String,
    },
    /// nb-exodus tables without the migrations' bookkeeping.
    #[error("database {target} has nb-exodus tables but no _sqlx_migrations table, so the schema's version cannot be checked: verify the exported database itself or a complete copy of it (pg_dump without -n)")]
    SchemaUnversioned {
        /// `host:port/database`.
        target: String,
    },
    /// The schema is older than this binary.
    #[error("database {target} has an older nb-exodus schema than this nb-exodus ({pending} migration(s) not applied, from {first}): run `nb-exodus db migrate --database-url URL` on it, then verify again")]
    SchemaBehind {
        /// `host:port/database`.
        target: String,
        /// How many migrations are missing.
        pending: usize,
        /// The first missing one.
        first: String,
    },
    /// The schema is newer than this binary.
    #[error("database {target} was migrated by a newer nb-exodus (migration {version:04} is unknown to nb-exodus {}): verify with that newer version", env!("CARGO_PKG_VERSION"))]
    SchemaAhead {
        /// `host:port/database`.
        target: String,
        /// The first unknown migration.
        version: i64,
    },
    /// The API asked for is not the source the nation was exported from.
    #[error("nation {nation:?} in this database was exported from {bound}, not from {asked}: verify against the source it was exported from (--api-base), or check --nation")]
    OtherSource {
        /// Nation slug.
        nation: String,
        /// The source the nation is bound to.
        bound: String,
        /// The API base asked for.
        asked: String,
    },
    /// No finished export of the nation in this database.
    #[error("database {target} holds no finished export of nation {nation:?} ({why}): run `nb-exodus migrate` until it finishes, or check --nation and --database-url")]
    NothingExported {
        /// Nation slug.
        nation: String,
        /// `host:port/database`.
        target: String,
        /// What `sync.runs` holds instead.
        why: String,
    },
    /// The database has no manifest salt for the nation (exported before `migrate` made it).
    #[error("database {target} has no manifest salt for nation {nation:?} in audit.export_salts (older nb-exodus versions made it at the first verify; verify no longer writes): run `nb-exodus migrate` for the nation again, which creates it, then verify again")]
    NoSalt {
        /// Nation slug.
        nation: String,
        /// `host:port/database`.
        target: String,
    },
    /// A copy re-checked offline has no manifest salt for the nation.
    #[error("database {target} has no manifest salt for nation {nation:?} (audit.export_salts), so the Merkle roots cannot be recomputed: re-check the database the report was made from, or a complete copy of it")]
    SaltMissingFromCopy {
        /// Nation slug.
        nation: String,
        /// `host:port/database`.
        target: String,
    },
    /// The database has no `audit` schema.
    #[error("database {target} has no audit schema (audit.export_salts holds the manifest salt), so the Merkle roots cannot be recomputed: verify the exported database itself or a complete copy of it (pg_dump without -n)")]
    NoAuditSchema {
        /// `host:port/database`.
        target: String,
    },
}

/// Maps a driver error to [`VerifyError::Database`] saying what was being done.
pub(crate) fn db_err(context: &str) -> impl FnOnce(sqlx::Error) -> VerifyError + '_ {
    move |source| VerifyError::Database {
        context: context.to_owned(),
        source,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The leaf description written into the report.
const LEAF: &str = "SHA-256(0x00 || salt[32] || u32be(len(source_id)) || source_id || SHA-256(JCS(raw record)) || u8(1 if marked deleted at source, else 0))";
/// The leaf order written into the report.
const ORDER: &str =
    "raw.records of the resource by (length(source_id), source_id): numeric order for numeric ids";

/// The database side of every resource plus what the run needs from the database.
struct DatabasePass {
    api: Api,
    info: DatabaseInfo,
    export: ExportInfo,
    salt_id: String,
    resources: BTreeMap<Resource, ResourceDb>,
    findings: Vec<Finding>,
}

struct ResourceDb {
    side: DatabaseSide,
    ids: Vec<String>,
    marked_deleted: Vec<String>,
    high_water: Option<DateTime<FixedOffset>>,
    unresolved: Vec<counts::Unresolved>,
}

/// The server, and how this verification's connection to it is protected: the server's view
/// of the session (`pg_stat_ssl`), the `sslmode` used, and whether verification was switched
/// off with `--insecure-database-connection` (`insecure`).
async fn database_info(pool: &PgPool, insecure: bool) -> Result<DatabaseInfo, VerifyError> {
    let version: String = sqlx::query_scalar("SELECT current_setting('server_version')")
        .fetch_one(pool)
        .await
        .map_err(db_err("reading the server version"))?;
    // pg_stat_ssl describes the session the query runs in; one pooled connection is as good
    // as another, they were all made with the same settings.
    let row = sqlx::query(
        "SELECT ssl, version, cipher, bits FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .fetch_optional(pool)
    .await
    .map_err(db_err("reading pg_stat_ssl"))?;
    let sslmode =
        Some(database::tls::sslmode_name(pool.connect_options().get_ssl_mode()).to_owned());
    let tls = match row {
        Some(row) => TlsInfo {
            ssl: row.try_get("ssl").unwrap_or(false),
            version: row.try_get("version").ok().flatten(),
            cipher: row.try_get("cipher").ok().flatten(),
            bits: row
                .try_get::<Option<i32>, _>("bits")
                .ok()
                .flatten()
                .map(i64::from),
            sslmode,
            insecure: Some(insecure),
        },
        None => TlsInfo {
            ssl: false,
            version: None,
            cipher: None,
            bits: None,
            sslmode,
            insecure: Some(insecure),
        },
    };
    Ok(DatabaseInfo {
        target: database::pool_target(pool),
        server_version: version,
        tls,
    })
}

async fn export_info(
    pool: &PgPool,
    nation: &str,
    current: &str,
) -> Result<(ExportInfo, Vec<(String, String)>), VerifyError> {
    let row = sqlx::query(
        // db_insecure is read through to_jsonb so that a database whose schema predates it
        // (offline checks do not migrate) still reads, as "not recorded".
        "SELECT count(*) AS runs, min(started_at) AS first, max(finished_at) AS last,
                (SELECT options->>'currency' FROM sync.runs
                  WHERE nation = $1 AND options ? 'currency' ORDER BY id DESC LIMIT 1) AS currency,
                count(*) FILTER (WHERE to_jsonb(r) ->> 'db_insecure' = 'true') AS insecure_runs
           FROM sync.runs AS r WHERE nation = $1",
    )
    .bind(nation)
    .fetch_one(pool)
    .await
    .map_err(db_err("reading sync.runs"))?;
    let runs: i64 = row.try_get("runs").map_err(db_err("reading sync.runs"))?;
    let first: Option<DateTime<Utc>> = row.try_get("first").map_err(db_err("reading sync.runs"))?;
    let last: Option<DateTime<Utc>> = row.try_get("last").map_err(db_err("reading sync.runs"))?;
    let currency: Option<String> = row
        .try_get("currency")
        .map_err(db_err("reading sync.runs"))?;
    let insecure_runs: i64 = row
        .try_get("insecure_runs")
        .map_err(db_err("reading sync.runs"))?;
    let per_stream: Vec<(String, String)> = sqlx::query_as(
        "SELECT stream, mapping_sha256 FROM sync.checkpoints
          WHERE nation = $1 AND mapping_sha256 IS NOT NULL ORDER BY stream",
    )
    .bind(nation)
    .fetch_all(pool)
    .await
    .map_err(db_err("reading sync.checkpoints"))?;
    let mut loaded: Vec<String> = per_stream.iter().map(|(_, m)| m.clone()).collect();
    loaded.sort();
    loaded.dedup();
    Ok((
        ExportInfo {
            runs: runs.max(0) as u64,
            first_started_at: first.map(rfc3339),
            last_finished_at: last.map(rfc3339),
            mapping_sha256_loaded: loaded,
            mapping_sha256_current: current.to_owned(),
            currency: currency.unwrap_or_else(|| "EUR".into()),
            api: None,
            insecure_database_runs: Some(insecure_runs.max(0) as u64),
        },
        per_stream,
    ))
}

/// The API the nation was exported through: the one its checkpoints name (else its raw
/// records'; v2 when nothing says). Several is an error: re-derivation needs one mapping set.
async fn export_api(pool: &PgPool, nation: &str) -> Result<Api, VerifyError> {
    let mut apis: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT api FROM sync.checkpoints WHERE nation = $1 AND api IS NOT NULL AND api <> ''",
    )
    .bind(nation)
    .fetch_all(pool)
    .await
    .map_err(db_err("reading sync.checkpoints"))?;
    if apis.is_empty() {
        apis = sqlx::query_scalar(
            "SELECT DISTINCT api FROM raw.records WHERE nation = $1 AND api IS NOT NULL",
        )
        .bind(nation)
        .fetch_all(pool)
        .await
        .map_err(db_err("reading raw.records"))?;
    }
    match apis.as_slice() {
        [] => Ok(Api::V2),
        [one] => Api::from_name(one)
            .ok_or_else(|| VerifyError::Report(format!("unknown API {one:?} in sync.checkpoints"))),
        _ => Err(VerifyError::Report(format!(
            "nation {nation:?} was exported through several APIs ({}): its rows cannot be re-derived with one set of mappings; run `nb-exodus migrate --restart` through one API",
            apis.join(", ")
        ))),
    }
}

/// Everything that needs only the database, for every resource.
/// `insecure`: whether this verification was started with `--insecure-database-connection`.
async fn database_pass(
    pool: &PgPool,
    nation: &str,
    salt: [u8; 32],
    insecure: bool,
) -> Result<DatabasePass, VerifyError> {
    // The anti-joins below are quadratic without statistics (a fresh load has none yet).
    let analyzed = crate::database::statistics::analyze_stale(pool, &crate::schema::SCHEMAS)
        .await
        .map_err(db_err("refreshing the planner statistics (ANALYZE)"))?;
    if !analyzed.is_empty() {
        tracing::debug!(
            tables = analyzed.len(),
            "refreshed missing or stale planner statistics"
        );
    }
    let info = database_info(pool, insecure).await?;
    let api = export_api(pool, nation).await?;
    let set = MappingSet::builtin(api).map_err(crate::Error::from)?;
    let (mut export, per_stream) = export_info(pool, nation, set.checksum()).await?;
    export.api = Some(api.as_str().to_owned());
    let mut findings = Vec::new();
    for (resource, sha) in &per_stream {
        let current = set.checksum_of(resource);
        if *sha != current {
            findings.push(Finding {
                resource: resource.clone(),
                source_id: None,
                check: "rederive".into(),
                class: FindingClass::Defect,
                code: "mapping_changed".into(),
                detail: format!(
                    "rows were loaded with mapping {sha} but this nb-exodus re-derives with {current}: \
                     run `nb-exodus remap` (or `migrate --restart`), or verify with the version \
                     that loaded"
                ),
            });
        }
    }
    let tables_of: BTreeMap<Resource, Vec<TableId>> = Resource::all()
        .map(|s| {
            (
                s,
                set.get(s.as_str()).map(|m| m.tables()).unwrap_or_default(),
            )
        })
        .collect();
    let mapper = MappingMapper::new(set, &export.currency, None);
    let options = pool.connect_options();
    let mut reader = PgConnection::connect_with(&options)
        .await
        .map_err(db_err("opening a reading connection"))?;
    // The one session that writes: re-derived rows go into its temporary tables (`pg_temp`
    // only, see `integrity`), which a read-only session may not create.
    let mut work = PgConnection::connect_with(&writable(&options))
        .await
        .map_err(db_err("opening a working connection"))?;
    let mut resources = BTreeMap::new();
    for resource in Resource::all() {
        let tables = tables_of.get(&resource).cloned().unwrap_or_default();
        let mut pass = integrity::archive_pass(
            &mut reader,
            &mut work,
            nation,
            api.as_str(),
            resource,
            &mapper,
            &tables,
            &salt,
            &mut findings,
        )
        .await?;
        integrity::diff_tables(
            &mut work,
            nation,
            resource,
            &tables,
            &mut pass.integrity,
            &mut findings,
        )
        .await?;
        let counts = counts::archive_counts(
            &mut work,
            nation,
            resource,
            pass.ids.len() as u64,
            pass.marked_deleted.len() as u64,
            &pass.no_main_row,
            &mut findings,
        )
        .await?;
        let (mut referential, unresolved) =
            counts::referential(&mut work, nation, resource, &mut findings).await?;
        referential.extend(definitions::check(&mut work, nation, resource, &mut findings).await?);
        referential
            .extend(counts::control_totals(&mut work, nation, resource, &mut findings).await?);
        let root = merkle::root(&pass.leaves);
        resources.insert(
            resource,
            ResourceDb {
                side: DatabaseSide {
                    counts,
                    integrity: pass.integrity,
                    referential,
                    manifest: MerkleRoot {
                        leaves: pass.leaves.len() as u64,
                        root: hex::encode(root),
                    },
                },
                ids: pass.ids,
                marked_deleted: pass.marked_deleted,
                high_water: pass.high_water,
                unresolved,
            },
        );
    }
    let _ = reader.close().await;
    let _ = work.close().await;
    Ok(DatabasePass {
        api,
        info,
        export,
        salt_id: salt::salt_id(&salt),
        resources,
        findings,
    })
}

/// The seed derived from the roots, when none is given: the operator cannot choose it without
/// changing the data.
fn derived_seed(roots: &BTreeMap<Resource, ResourceDb>) -> u64 {
    let mut h = Sha256::new();
    h.update(b"nb-exodus verify sample seed\n");
    for (resource, e) in roots {
        h.update(resource.as_str().as_bytes());
        h.update(b":");
        h.update(e.side.manifest.root.as_bytes());
        h.update(b"\n");
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

fn archive_equation(side: &DatabaseSide) -> (String, bool) {
    let c = &side.counts;
    (
        format!(
            "archived {} = loaded {} + rejected {} + excluded {} + deleted_at_source {} + unaccounted {} (loaded without archive: {})",
            c.archived, c.loaded, c.rejected, c.excluded, c.deleted_at_source, c.unaccounted, c.loaded_without_archive
        ),
        c.unaccounted == 0 && c.loaded_without_archive == 0,
    )
}

fn source_equation(src: &SourceSide, archived: u64) -> (String, bool) {
    let lhs = (src.enumerated as i128) - (src.duplicates as i128) - (src.new_at_source as i128)
        + (src.deleted_at_source as i128)
        - (src.missing as i128)
        + (src.not_enumerated as i128);
    (
        format!(
            "enumerated {} - duplicates {} - new_at_source {} + deleted_at_source {} - missing {} + not_enumerated {} = archived {}",
            src.enumerated, src.duplicates, src.new_at_source, src.deleted_at_source, src.missing,
            src.not_enumerated, archived
        ),
        lhs == archived as i128
            && src.missing == 0
            && src.not_enumerated == 0
            && src.marked_deleted_but_present == 0,
    )
}

/// Assembles resources, sorts findings and decides the outcome.
#[allow(clippy::too_many_arguments)]
fn assemble(
    nation: &str,
    mode: &str,
    db: DatabasePass,
    source_info: Option<SourceInfo>,
    mut sources: BTreeMap<Resource, SourceSide>,
    sample: SampleInfo,
    mut findings: Vec<Finding>,
) -> Report {
    findings.extend(db.findings);
    findings.sort();
    findings.dedup();
    let mut resources = BTreeMap::new();
    for (resource, e) in db.resources {
        let source = sources.remove(&resource);
        let (archive, archive_balanced) = archive_equation(&e.side);
        let (src_text, src_balanced) = match &source {
            Some(src) => {
                let (t, b) = source_equation(src, e.side.counts.archived);
                (Some(t), Some(b))
            }
            None => (None, None),
        };
        let clean = !findings
            .iter()
            .any(|f| f.class == FindingClass::Defect && f.resource == resource.as_str());
        resources.insert(
            resource.as_str().to_owned(),
            ResourceReport {
                source,
                database: e.side,
                equation: Equation {
                    source: src_text,
                    source_balanced: src_balanced,
                    archive,
                    archive_balanced,
                    balanced: archive_balanced && src_balanced.unwrap_or(true) && clean,
                },
            },
        );
    }
    let defects = findings
        .iter()
        .filter(|f| f.class == FindingClass::Defect)
        .count() as u64;
    let explained = findings.len() as u64 - defects;
    let balanced = defects == 0 && resources.values().all(|e| e.equation.balanced);
    Report {
        format: report::FORMAT.to_owned(),
        tool: Tool {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        nation: nation.to_owned(),
        mode: mode.to_owned(),
        generated_at: rfc3339(Utc::now()),
        database: db.info,
        source: source_info,
        export: db.export,
        manifest: ManifestInfo {
            algorithm: "RFC 6962 Merkle tree hash, SHA-256".into(),
            leaf: LEAF.into(),
            order: ORDER.into(),
            salt_id: db.salt_id,
        },
        sample,
        resources,
        findings,
        outcome: Outcome {
            balanced,
            defects,
            explained,
            exit_code: if balanced {
                EXIT_BALANCED
            } else {
                EXIT_DEFECTS
            },
        },
    }
}

/// Connects to the database under verification with every session read-only
/// (`default_transaction_read_only`): the server itself refuses any write verify might attempt.
/// Two sessions are opened writable, each for one purpose: the temporary tables of the
/// re-derivation and the log row in `audit.verifications`.
async fn connect_read_only(settings: &database::ConnectionSettings) -> Result<PgPool, VerifyError> {
    // `database::connect` probes first (with the TLS policy applied), so a wrong URL or an
    // unverifiable server fails with its one clear line; the read-only pool inherits its options.
    let probe = database::connect(settings).await?;
    let options = (*probe.connect_options())
        .clone()
        .options([("default_transaction_read_only", "on")]);
    probe.close().await;
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(database::CONNECT_TIMEOUT * 2)
        .connect_with(options)
        .await
        .map_err(db_err("connecting to the database read-only"))
}

/// `options` with writes allowed again (the later `-c` wins).
fn writable(options: &PgConnectOptions) -> PgConnectOptions {
    options
        .clone()
        .options([("default_transaction_read_only", "off")])
}

/// Runs an online verification: API and database. The database is only read — the schema is
/// never migrated and the salt never created — except for the log row in
/// `audit.verifications`, written once the checks of [`preflight`] have passed.
pub async fn run(config: &VerifyConfig) -> Result<Report, VerifyError> {
    let pool = connect_read_only(&config.database).await?;
    let checked = match preflight::check(&pool, &config.nation, false).await {
        Ok(salt) => preflight::same_source(&pool, &config.nation, &config.api_base)
            .await
            .map(|()| salt),
        Err(err) => Err(err),
    };
    let salt = match checked {
        Ok(salt) => salt,
        Err(err) => {
            pool.close().await;
            return Err(err);
        }
    };
    let result = run_with_pool(&pool, config, salt).await;
    record_verification(&pool, &config.nation, "online", &result).await;
    pool.close().await;
    result
}

async fn run_with_pool(
    pool: &PgPool,
    config: &VerifyConfig,
    salt: [u8; 32],
) -> Result<Report, VerifyError> {
    let nation = config.nation.as_str();
    tracing::info!(
        nation,
        "verify: recomputing hashes, re-deriving rows and Merkle roots from the database"
    );
    let mut db = database_pass(pool, nation, salt, config.database.insecure).await?;

    let (seed, origin) = match config.seed {
        Some(s) => (s, "given"),
        None => (derived_seed(&db.resources), "derived_from_roots"),
    };
    let seed_text = seed.to_string();

    let limiter = Arc::new(Limiter::new(config.rate_limit));
    let tokens = crate::auth::token_source(&config.token, &config.nation, &config.api_base)?;
    let mut client_config = ClientConfig::with_tokens(tokens);
    client_config.max_attempts = config.max_attempts;
    client_config.request_timeout = config.request_timeout;
    client_config.max_wait = config.max_wait;
    client_config.max_response_bytes = config.max_response_bytes;
    let http = HttpClient::new(client_config, limiter).map_err(VerifyError::Client)?;

    let mut conn = pool
        .acquire()
        .await
        .map_err(db_err("acquiring a connection"))?;
    let (keys, scope) = match (db.api, config.api) {
        (export, sweep) if export == sweep => (translate::KeyMap::identity(), sample::Scope::Same),
        (Api::V2, Api::V1) => (
            translate::KeyMap::v2_to_v1(&mut conn, nation).await?,
            sample::Scope::Shared,
        ),
        (export, sweep) => {
            return Err(VerifyError::Report(format!(
                "nation {nation:?} was exported through API {export}; verifying it through API {sweep} is not supported (the {sweep} keys of its records cannot be derived from a {export} archive): run `nb-exodus verify --api {export}`"
            )))
        }
    };
    let mut findings = Vec::new();
    let sources = match config.api {
        Api::V2 => {
            let source = Arc::new(V2Source::new(
                http,
                config.api_base.clone(),
                config.page_size,
            ));
            check_source(
                &source,
                &mut conn,
                &mut db,
                config,
                &seed_text,
                &keys,
                scope,
                &mut findings,
            )
            .await?
        }
        Api::V1 => {
            let source = Arc::new(V1Source::new(
                http,
                config.api_base.clone(),
                config.page_size,
            ));
            check_source(
                &source,
                &mut conn,
                &mut db,
                config,
                &seed_text,
                &keys,
                scope,
                &mut findings,
            )
            .await?
        }
    };
    drop(conn);
    let source_info = SourceInfo {
        api: config.api.as_str().into(),
        api_base: redact_url(&config.api_base),
        key_translation: (!keys.is_identity()).then(translate::v2_to_v1_text),
    };
    let sample_info = SampleInfo {
        size_per_resource: config.sample,
        seed: seed_text,
        seed_origin: origin.into(),
        selection: sample::SELECTION.into(),
    };
    Ok(assemble(
        nation,
        "online",
        db,
        Some(source_info),
        sources,
        sample_info,
        findings,
    ))
}

/// Sweeps, classifies and samples every resource through `source`.
#[allow(clippy::too_many_arguments)]
async fn check_source<S: Source + 'static>(
    source: &Arc<S>,
    conn: &mut PgConnection,
    db: &mut DatabasePass,
    config: &VerifyConfig,
    seed_text: &str,
    keys: &translate::KeyMap,
    scope: sample::Scope,
    findings: &mut Vec<Finding>,
) -> Result<BTreeMap<Resource, SourceSide>, VerifyError> {
    let nation = config.nation.as_str();
    let mut sources = BTreeMap::new();
    for resource in Resource::all() {
        let Some(archive) = db.resources.get_mut(&resource) else {
            continue;
        };
        if let Some(why) = not_swept(resource, source.api(), &db.api, keys) {
            findings.push(findings::finding(
                resource,
                None,
                "ids",
                FindingClass::Explained,
                "not_swept",
                why,
            ));
            continue;
        }
        tracing::info!(nation, resource = %resource, api = source.api(), "verify: sweeping ids at source");
        let (swept, total, listing) = if resource.has_show(source.api()) {
            let (ids, total) = ids::sweep(&**source, resource).await?;
            (ids, total, None)
        } else {
            let (ids, total, records) = ids::sweep_listing(&**source, resource).await?;
            (ids, total, Some(records))
        };
        // The archive in the sweeping API's keys.
        let mut untranslatable = Vec::new();
        let mut archived = Vec::with_capacity(archive.ids.len());
        for id in &archive.ids {
            match keys.to_source(resource, id) {
                Some(key) => archived.push(key),
                None => untranslatable.push(id.clone()),
            }
        }
        let marked: Vec<String> = archive
            .marked_deleted
            .iter()
            .filter_map(|id| keys.to_source(resource, id))
            .collect();
        let mut budget = config.max_lookups;
        let first_finding = findings.len();
        let mut sweep = ids::classify(
            source,
            resource,
            swept,
            total,
            &archived,
            &marked,
            archive.high_water,
            listing.as_ref(),
            &mut budget,
            findings,
        )
        .await?;
        // Findings name archived records by their archived id where there is one.
        if !keys.is_identity() {
            for f in &mut findings[first_finding..] {
                if let Some(key) = &f.source_id {
                    if let Some(id) = keys.to_archive(resource, key) {
                        f.source_id = Some(id);
                    }
                }
            }
        }
        let mut listed = 0;
        for id in &untranslatable {
            sweep.not_enumerated += 1;
            findings::push_limited(
                findings,
                &mut listed,
                findings::finding(
                    resource,
                    Some(id),
                    "ids",
                    FindingClass::Defect,
                    "untranslatable",
                    format!(
                        "archived, but its {} key cannot be derived from the archive (no archived tag or person id for it), so the sweep cannot account for it",
                        source.api()
                    ),
                ),
            );
        }
        let lookups = look_up(source, resource, &archive.unresolved, &mut budget, findings).await?;
        tracing::info!(nation, resource = %resource, sample = config.sample, "verify: re-fetching the sample");
        let drawn = sample::draw(conn, nation, resource, seed_text, config.sample).await?;
        let plan = sample::Plan {
            keys,
            listing: listing.as_ref(),
            scope,
        };
        let sample = sample::refetch(source, resource, &drawn, &plan, findings).await?;
        sources.insert(
            resource,
            SourceSide {
                enumerated: sweep.enumerated,
                reported_total: sweep.reported_total,
                duplicates: sweep.duplicates,
                new_at_source: sweep.new_at_source,
                deleted_at_source: sweep.deleted_at_source,
                missing: sweep.missing,
                not_enumerated: sweep.not_enumerated,
                marked_deleted_but_present: sweep.marked_but_present,
                lookups,
                sample,
            },
        );
    }
    Ok(sources)
}

/// Why `resource` is not swept through `api` for an export made through `export`, when it is
/// not: the API has no route for it, or its records cannot be matched across the two APIs.
fn not_swept(
    resource: Resource,
    api: &str,
    export: &Api,
    keys: &translate::KeyMap,
) -> Option<String> {
    if !resource.served_by(api) {
        return Some(format!(
            "API {api} has no route for {resource}: its archive is checked against the database only"
        ));
    }
    if !keys.is_identity() && resource.def().v1_key == V1Key::None {
        return Some(format!(
            "{resource} exported through API {export} cannot be matched record by record with API {api} (no key both share): its archive is checked against the database only"
        ));
    }
    None
}

/// Looks up at the source the records that references name but the export lacks, where the
/// descriptor says to ([`Dangling::LookUp`]: NationBuilder keeps the donations of deleted
/// people): a 404 is a record deleted at source, a record still there is a defect. At most
/// `budget` lookups; the rest are reported as not checked.
async fn look_up<S: Source + 'static>(
    source: &Arc<S>,
    resource: Resource,
    unresolved: &[counts::Unresolved],
    budget: &mut usize,
    findings: &mut Vec<Finding>,
) -> Result<BTreeMap<String, u64>, VerifyError> {
    let mut out = BTreeMap::new();
    for (reference, _) in resource.references() {
        if reference.dangling == Dangling::LookUp {
            for term in ["deleted_at_source", "present_at_source", "not_checked"] {
                out.insert(format!("{}_{term}", reference.role), 0u64);
            }
        }
    }
    // One lookup per referred record, per referred resource.
    let mut wanted: BTreeMap<Resource, Vec<String>> = BTreeMap::new();
    for u in unresolved {
        wanted
            .entry(u.target)
            .or_default()
            .push(u.referenced.clone());
    }
    let mut looked = BTreeMap::new();
    for (target, mut ids) in wanted {
        ids.sort();
        ids.dedup();
        let can = if target.has_show(source.api()) {
            ids.len().min(*budget)
        } else {
            0
        };
        *budget -= can;
        let found = ids::fetch_many(source, target, &ids[..can], None).await?;
        looked.insert(target, found);
    }
    let mut listed = 0;
    for u in unresolved {
        let role = u.reference.role;
        let (target, referenced) = (u.target, &u.referenced);
        let (class, term, detail) = match looked.get(&target).and_then(|l| l.get(referenced)) {
            Some(None) => (FindingClass::Explained, "deleted_at_source",
                format!("{role} {referenced} ({target}) is not in the export and the API answers 404: NationBuilder keeps references to deleted records")),
            Some(Some(_)) => (FindingClass::Defect, "present_at_source",
                format!("{role} {referenced} ({target}) exists at source but is not in the export")),
            None => (FindingClass::Explained, "not_checked",
                format!("{role} {referenced} ({target}) is not in the export; not looked up (lookup budget exhausted, or API {} cannot show one {target} record)", source.api())),
        };
        *out.entry(format!("{role}_{term}")).or_insert(0) += 1;
        findings::push_limited(
            findings,
            &mut listed,
            findings::finding(
                resource,
                Some(&u.record),
                "referential",
                class,
                &format!("{role}_{term}"),
                detail,
            ),
        );
    }
    Ok(out)
}

/// Records a verification in `audit.verifications` (best effort: a failure here never hides
/// the result).
async fn record_verification(
    pool: &PgPool,
    nation: &str,
    mode: &str,
    result: &Result<Report, VerifyError>,
) {
    let (outcome, defects, report_sha256, roots) = match result {
        Ok(r) => {
            let sha = r
                .to_canonical_json()
                .map(|j| hex::encode(Sha256::digest(j.as_bytes())))
                .ok();
            let roots: serde_json::Map<String, Value> = r
                .resources
                .iter()
                .map(|(k, e)| (k.clone(), Value::String(e.database.manifest.root.clone())))
                .collect();
            (
                if r.outcome.balanced {
                    "balanced"
                } else {
                    "findings"
                },
                Some(r.outcome.defects as i64),
                sha,
                Value::Object(roots),
            )
        }
        Err(_) => ("error", None, None, Value::Object(serde_json::Map::new())),
    };
    let mut conn = match PgConnection::connect_with(&writable(&pool.connect_options())).await {
        Ok(conn) => conn,
        Err(err) => {
            tracing::warn!(error = %err, "could not record the verification in audit.verifications");
            return;
        }
    };
    let done = sqlx::query(
        "INSERT INTO audit.verifications (nation, mode, outcome, defects, report_sha256, roots, tool_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(nation)
    .bind(mode)
    .bind(outcome)
    .bind(defects)
    .bind(report_sha256)
    .bind(roots)
    .bind(env!("CARGO_PKG_VERSION"))
    .execute(&mut conn)
    .await;
    let _ = conn.close().await;
    if let Err(err) = done {
        tracing::warn!(error = %err, "could not record the verification in audit.verifications");
    }
}

/// How the signature of an offline check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Valid, made by the given key.
    Valid(sign::Verified),
    /// No public key given: not checked.
    NotChecked,
    /// Invalid, missing or made by another key; the reason.
    Failed(String),
}

/// The result of an offline re-check.
#[derive(Debug, Clone)]
pub struct OfflineOutcome {
    /// The report that was checked.
    pub report: Report,
    /// The signature check.
    pub signature: SignatureCheck,
    /// The database side recomputed now, as a report in offline mode.
    pub recomputed: Report,
    /// Differences between the report and the recomputation, and new defects.
    pub findings: Vec<Finding>,
    /// 0 when the signature (if checked) is valid and everything recomputes identically with
    /// no defect; 1 otherwise.
    pub exit_code: u8,
}

fn read_text(path: &Path) -> Result<String, VerifyError> {
    std::fs::read_to_string(path).map_err(|source| VerifyError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The signature file of a report: `report.json.sig` beside it.
pub fn signature_path(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Checks a report's signature (with `pubkey`), then recomputes its database side from the
/// database alone and compares.
pub async fn run_offline(config: &OfflineConfig) -> Result<OfflineOutcome, VerifyError> {
    let text = read_text(&config.report)?;
    let signature = match &config.pubkey {
        None => SignatureCheck::NotChecked,
        Some(path) => {
            let key = sign::PublicKey::from_file_text(&read_text(path)?).map_err(|source| {
                VerifyError::Key {
                    path: path.clone(),
                    source,
                }
            })?;
            let sig_path = signature_path(&config.report);
            match std::fs::read_to_string(&sig_path) {
                Err(err) => SignatureCheck::Failed(format!(
                    "no readable signature at {}: {err}",
                    sig_path.display()
                )),
                Ok(sig) => match key.verify(text.as_bytes(), &sig) {
                    Ok(v) => SignatureCheck::Valid(v),
                    Err(err) => SignatureCheck::Failed(err.to_string()),
                },
            }
        }
    };
    let report = Report::from_json(&text)?;
    if !report
        .nation
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(VerifyError::Report(format!(
            "the report names nation {:?}, which is not a nation slug",
            report.nation
        )));
    }
    let pool = connect_read_only(&config.database).await?;
    let result = offline_with_pool(&pool, report, signature, config.database.insecure).await;
    pool.close().await;
    result
}

async fn offline_with_pool(
    pool: &PgPool,
    report: Report,
    signature: SignatureCheck,
    insecure: bool,
) -> Result<OfflineOutcome, VerifyError> {
    let salt = preflight::check(pool, &report.nation, true).await?;
    let db = database_pass(pool, &report.nation, salt, insecure).await?;
    let mut findings: Vec<Finding> = Vec::new();
    let mismatch = |resource: &str, code: &str, detail: String| Finding {
        resource: resource.to_owned(),
        source_id: None,
        check: "report".into(),
        class: FindingClass::Defect,
        code: code.to_owned(),
        detail,
    };
    if let SignatureCheck::Failed(why) = &signature {
        findings.push(mismatch("report", "signature_invalid", why.clone()));
    }
    if db.salt_id != report.manifest.salt_id {
        findings.push(mismatch(
            "report",
            "salt_differs",
            format!(
                "the database's manifest salt has id {}, the report's {}",
                db.salt_id, report.manifest.salt_id
            ),
        ));
    }
    if db.export.mapping_sha256_current != report.export.mapping_sha256_current {
        findings.push(mismatch(
            "report",
            "mapping_differs",
            format!(
                "the report re-derived with mapping {}, this nb-exodus with {}: use nb-exodus {}",
                report.export.mapping_sha256_current,
                db.export.mapping_sha256_current,
                report.tool.version
            ),
        ));
    }
    let sample = report.sample.clone();
    let recomputed = assemble(
        &report.nation,
        "offline",
        db,
        None,
        BTreeMap::new(),
        sample,
        Vec::new(),
    );
    for (name, now) in &recomputed.resources {
        let Some(then) = report.resources.get(name) else {
            findings.push(mismatch(
                name,
                "missing_from_report",
                "the report has no such resource".into(),
            ));
            continue;
        };
        let (a, b) = (
            serde_json::to_value(&then.database).unwrap_or(Value::Null),
            serde_json::to_value(&now.database).unwrap_or(Value::Null),
        );
        for field in sample::differing_fields(&a, &b) {
            let show = |v: &Value| {
                v.pointer(&field)
                    .map_or_else(|| "absent".to_owned(), |x| x.to_string())
            };
            findings.push(mismatch(
                name,
                "differs_from_report",
                format!(
                    "database{}: report {}, database now {}",
                    field.replace('/', "."),
                    show(&a),
                    show(&b)
                ),
            ));
        }
    }
    findings.extend(
        recomputed
            .findings
            .iter()
            .filter(|f| f.class == FindingClass::Defect)
            .cloned(),
    );
    findings.sort();
    findings.dedup();
    let exit_code = if findings.iter().any(|f| f.class == FindingClass::Defect) {
        EXIT_DEFECTS
    } else {
        EXIT_BALANCED
    };
    Ok(OfflineOutcome {
        report,
        signature,
        recomputed,
        findings,
        exit_code,
    })
}

/// Reads a secret key file.
pub fn read_secret_key(path: &Path) -> Result<sign::SecretKey, VerifyError> {
    sign::SecretKey::from_file_text(&read_text(path)?).map_err(|source| VerifyError::Key {
        path: path.to_owned(),
        source,
    })
}
