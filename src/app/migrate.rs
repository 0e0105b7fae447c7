//! `nb-exodus migrate` and `nb-exodus status`: wires the real implementations together — the
//! HTTP source of the chosen API (v2, or v1 with `--api v1`), the shipped mapping files of that
//! API, PostgreSQL — and turns the outcome into an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::{PgPool, Row};

use crate::checkpoint;
use crate::cli::migrate::{MigrateArgs, StatusArgs};
use crate::config::{self, Inputs, MigrateConfig};
use crate::database;
use crate::fetch::client::{ClientConfig, HttpClient};
use crate::fetch::rate_limit::Limiter;
use crate::fetch::v1::V1Source;
use crate::fetch::v2::V2Source;
use crate::fetch::{Source, Stream};
use crate::mapping::{Api, MappingSet};
use crate::pipeline::{self, Mapper, MappingMapper, RunSettings};
use crate::plan;
use crate::progress::{BarProgress, LogProgress, Progress};
use crate::schema;

use super::EXIT_FINDINGS;

/// Runs `migrate` from parsed flags and the process environment.
pub(crate) async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let config = config::resolve(Inputs {
        flags: args,
        env_database_url: std::env::var("DATABASE_URL").ok(),
        env_token: std::env::var("NATIONBUILDER_API_TOKEN").ok(),
    })?;
    migrate(&config).await
}

/// Summary of a finished migrate run.
#[derive(Debug, Clone)]
pub struct MigrateSummary {
    /// The run id.
    pub run_id: i64,
    /// Rejects currently recorded for the nation.
    pub rejects: u64,
}

/// Runs a migration with validated settings.
pub async fn migrate(config: &MigrateConfig) -> anyhow::Result<ExitCode> {
    let summary = migrate_with(config, !config.quiet && std::io::stderr().is_terminal()).await?;
    let pool = database::connect(&config.database).await?;
    print_status(&pool, &config.nation).await?;
    if summary.rejects > config.max_rejects {
        list_rejects(&pool, &config.nation).await?;
        eprintln!(
            "{} records were rejected (allowed: {}); see sync.rejects",
            summary.rejects, config.max_rejects
        );
        return Ok(ExitCode::from(EXIT_FINDINGS));
    }
    Ok(ExitCode::SUCCESS)
}

/// The migration itself, without printing a summary (used by `demo` and tests too).
pub async fn migrate_with(config: &MigrateConfig, bars: bool) -> anyhow::Result<MigrateSummary> {
    super::warn_if_insecure(&config.database);
    let pool = database::connect(&config.database).await?;
    schema::migrate(&pool).await?;
    let Some(_lock) = checkpoint::try_lock(&pool, &config.nation)
        .await
        .context("taking the nation's advisory lock")?
    else {
        anyhow::bail!(
            "another nb-exodus run is already exporting nation {:?} into {}; wait for it to finish (see `nb-exodus status`)",
            config.nation,
            config.database.redacted_url()
        );
    };
    checkpoint::mark_interrupted(&pool, &config.nation).await?;
    if config.restart {
        checkpoint::reset(&pool, &config.nation).await?;
    }

    let set = load_mappings(config.mappings_dir.as_deref(), config.api)?;
    let mapper = Arc::new(MappingMapper::new(set, &config.currency, None));
    let limiter = Arc::new(Limiter::new(config.rate_limit));
    let mut client_config = ClientConfig::new(config.token.clone());
    client_config.max_attempts = config.max_attempts;
    client_config.request_timeout = config.request_timeout;
    let http = HttpClient::new(client_config, limiter)?;
    match config.api {
        Api::V2 => {
            let source = V2Source::new(http.clone(), config.api_base.clone(), config.page_size);
            run_source(config, &pool, Arc::new(source), mapper, &http, bars).await
        }
        Api::V1 => {
            let source = V1Source::new(http.clone(), config.api_base.clone(), config.page_size)
                .with_full_people(config.full_people);
            if config.full_people && config.streams.contains(&Stream::People) {
                announce_full_people(config, &source).await?;
            }
            run_source(config, &pool, Arc::new(source), mapper, &http, bars).await
        }
    }
}

/// Prints what `--full-people` will cost before starting: one request per person, at the
/// configured rate limit.
async fn announce_full_people(config: &MigrateConfig, source: &V1Source) -> anyhow::Result<()> {
    let people = source
        .people_count()
        .await
        .context("counting people (GET /api/v1/people/count) for the --full-people estimate")?;
    let estimate = match config.rate_limit {
        Some(rate) => {
            let secs = people as f64 * rate.per.as_secs_f64() / f64::from(rate.requests.max(1));
            format!("about {} at {rate}", human_duration(secs))
        }
        None => "unthrottled (--rate-limit off)".to_owned(),
    };
    eprintln!(
        "--full-people: {people} people, one extra request each (GET /api/v1/people/:id): {estimate}, on top of the index pages"
    );
    Ok(())
}

fn human_duration(secs: f64) -> String {
    let secs = secs.ceil().max(0.0) as u64;
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{:.1} h", secs as f64 / 3600.0),
    }
}

/// Plans, records and runs the streams through `source`.
async fn run_source<S: Source + 'static>(
    config: &MigrateConfig,
    pool: &PgPool,
    source: Arc<S>,
    mapper: Arc<MappingMapper>,
    http: &HttpClient,
    bars: bool,
) -> anyhow::Result<MigrateSummary> {
    let api = source.api();
    let stats = http.stats();
    let checkpoints = checkpoint::load(pool, &config.nation).await?;
    let steps = plan::plan(
        &checkpoints,
        &config.streams,
        |s| source.start(s),
        api,
        &mapper.checksum(),
        config.restart,
    )?;
    let options = serde_json::json!({
        "api": api,
        "api_base": config.api_base.as_str(),
        "streams": config.streams.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "rate_limit": config.rate_limit.map(|r| r.to_string()),
        "page_size": config.page_size,
        "currency": config.currency,
        "restart": config.restart,
        "full_people": config.full_people,
    });
    let run_id = checkpoint::start_run(
        pool,
        &config.nation,
        api,
        &mapper.checksum(),
        &options,
        &config.database,
    )
    .await?;
    let settings = RunSettings {
        nation: config.nation.clone(),
        api: api.into(),
        run_id,
        reconcile: !config.no_reconcile,
    };
    let progress: Arc<dyn Progress> = if bars {
        Arc::new(BarProgress::new(stats))
    } else {
        Arc::new(LogProgress::new(stats, Duration::from_secs(5)))
    };
    let outcome = pipeline::run(pool, &settings, source, mapper, progress, steps).await;
    match outcome {
        Ok(_) => {
            checkpoint::finish_run(pool, run_id, "done", None).await?;
        }
        Err(err) => {
            let text = err.to_string();
            checkpoint::finish_run(pool, run_id, "failed", Some(&text)).await?;
            return Err(err.into());
        }
    }
    let rejects: i64 = sqlx::query_scalar("SELECT count(*) FROM sync.rejects WHERE nation = $1")
        .bind(&config.nation)
        .fetch_one(pool)
        .await?;
    Ok(MigrateSummary {
        run_id,
        rejects: rejects.max(0) as u64,
    })
}

/// The mapping files of `api`: from `dir/<api>/` when given, else the copies built into the
/// binary.
pub fn load_mappings(dir: Option<&std::path::Path>, api: Api) -> anyhow::Result<MappingSet> {
    Ok(match dir {
        Some(dir) => MappingSet::load_dir(dir, api)
            .with_context(|| format!("loading the {api} mappings from {}", dir.display()))?,
        None => MappingSet::builtin(api)
            .with_context(|| format!("loading the built-in {api} mappings"))?,
    })
}

async fn list_rejects(pool: &PgPool, nation: &str) -> anyhow::Result<()> {
    let rows = sqlx::query(
        "SELECT resource, coalesce(source_id, '(no id)') AS source_id, field, reason
           FROM sync.rejects WHERE nation = $1 ORDER BY resource, source_id, field LIMIT 200",
    )
    .bind(nation)
    .fetch_all(pool)
    .await?;
    for row in rows {
        let (resource, id, field, reason): (String, String, String, String) = (
            row.try_get("resource")?,
            row.try_get("source_id")?,
            row.try_get("field")?,
            row.try_get("reason")?,
        );
        println!("reject {resource} {id} {field}: {reason}");
    }
    Ok(())
}

/// Prints each stream's checkpoint.
pub async fn print_status(pool: &PgPool, nation: &str) -> anyhow::Result<()> {
    let checkpoints = checkpoint::load(pool, nation).await?;
    let spooled = checkpoint::spool::waiting(pool, nation).await?;
    if spooled > 0 {
        println!(
            "nation {nation}: {spooled} fetched page(s) wait in sync.page_spool; the next migrate loads them without fetching them again"
        );
    }
    if checkpoints.is_empty() {
        println!("nation {nation}: nothing exported yet");
        return Ok(());
    }
    println!(
        "{:<10} {:>8} {:>10} {:>8} {:>12}  {:<24} last error",
        "stream", "pages", "records", "rejects", "state", "cursor"
    );
    for cp in checkpoints {
        let cursor = match &cp.cursor {
            crate::fetch::Cursor::Keyset { after } => {
                format!("after id {}", after.as_deref().unwrap_or("-"))
            }
            crate::fetch::Cursor::PageNumber { number } => format!("page {number}"),
            crate::fetch::Cursor::Since { after, .. } => {
                format!("catch-up after id {}", after.as_deref().unwrap_or("-"))
            }
            crate::fetch::Cursor::Link { next } => {
                if next.is_some() {
                    "next link".into()
                } else {
                    "start".into()
                }
            }
            crate::fetch::Cursor::Done => "end".into(),
        };
        println!(
            "{:<10} {:>8} {:>10} {:>8} {:>12}  {:<24} {}",
            cp.stream.as_str(),
            cp.pages,
            cp.records,
            cp.rejects,
            cp.status,
            cursor,
            cp.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// Runs `status`.
pub(crate) async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let connection = args.database_tls.settings(args.database_url.clone());
    super::warn_if_insecure(&connection);
    let pool = database::connect(&connection).await?;
    print_status(&pool, &args.nation).await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `remap`: re-derives the tables from the raw archive with the current mapping files.
pub(crate) async fn remap(args: crate::cli::migrate::RemapArgs) -> anyhow::Result<ExitCode> {
    let connection = args.database_tls.settings(args.database_url.clone());
    super::warn_if_insecure(&connection);
    let pool = database::connect(&connection).await?;
    schema::migrate(&pool).await?;
    let Some(_lock) = checkpoint::try_lock(&pool, &args.nation).await? else {
        anyhow::bail!(
            "another nb-exodus run is working on nation {:?}; wait for it to finish (see `nb-exodus status`)",
            args.nation
        );
    };
    let checkpoints = checkpoint::load(&pool, &args.nation).await?;
    let mut apis: Vec<&str> = checkpoints
        .iter()
        .map(|c| c.api.as_str())
        .filter(|a| !a.is_empty())
        .collect();
    apis.sort_unstable();
    apis.dedup();
    let api = match apis.as_slice() {
        [one] => Api::from_name(one)
            .with_context(|| format!("unknown API {one:?} in the checkpoints"))?,
        [] => anyhow::bail!(
            "nation {:?} has nothing exported in this database; run `nb-exodus migrate` first",
            args.nation
        ),
        _ => anyhow::bail!(
            "nation {:?} was exported through several APIs ({}); use migrate --restart",
            args.nation,
            apis.join(", ")
        ),
    };
    let set = load_mappings(args.mappings.as_deref(), api)?;
    let mapper = MappingMapper::new(set, &args.currency.to_ascii_uppercase(), None);
    let streams: Vec<crate::fetch::Stream> = checkpoints.iter().map(|c| c.stream).collect();
    let options = serde_json::json!({ "remap": true, "currency": args.currency });
    let run_id = checkpoint::start_run(
        &pool,
        &args.nation,
        api.as_str(),
        &mapper.checksum(),
        &options,
        &connection,
    )
    .await?;
    let settings = RunSettings {
        nation: args.nation.clone(),
        api: api.as_str().into(),
        run_id,
        reconcile: false,
    };
    match crate::remap::remap(&pool, &settings, &mapper, &streams).await {
        Ok(reports) => {
            checkpoint::finish_run(&pool, run_id, "done", None).await?;
            for (stream, r) in reports {
                println!(
                    "{stream:<10} {:>9} records re-mapped, {:>9} rows, {:>6} rejects",
                    r.records, r.rows, r.rejected
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            checkpoint::finish_run(&pool, run_id, "failed", Some(&err.to_string())).await?;
            Err(err.into())
        }
    }
}
