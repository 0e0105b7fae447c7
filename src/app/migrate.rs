//! `nb-exodus migrate` and `nb-exodus status`: wires the real implementations together — the
//! HTTP source of the chosen API (v2, or v1 with `--api v1`), the shipped mapping files of that
//! API, PostgreSQL — and turns the outcome into an exit code.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::{PgPool, Row};

use super::summary::RunSummary;
use crate::checkpoint::{status, NationLock, PgStore, StateStore};
use crate::cli::migrate::{MigrateArgs, StatusArgs};
use crate::config::{self, MigrateConfig};
use crate::database;
use crate::fetch::client::{redact_url, ClientConfig, HttpClient, Purpose};
use crate::fetch::rate_limit::Limiter;
use crate::fetch::v1::V1Source;
use crate::fetch::v2::V2Source;
use crate::fetch::Source;
use crate::load::{BatchContext, PgSink, Sink};
use crate::mapping::{Api, Mapper, MappingMapper, MappingSet};
use crate::pipeline::progress::Screen;
use crate::pipeline::reconcile::{self, ReconcileReport};
use crate::pipeline::{self, inventory, plan, Backend, PipelineError, RunSettings, StopSignal};
use crate::resource::{Resource, V1Binding, V1Listing};
use crate::schema;

use super::EXIT_FINDINGS;

/// Runs `migrate` from parsed flags and the process environment.
pub(crate) async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let config = config::resolve(args.inputs(
        std::env::var("DATABASE_URL").ok(),
        std::env::var("NATIONBUILDER_API_TOKEN").ok(),
    ))?;
    migrate(&config).await
}

/// Summary of a finished migrate run.
#[derive(Debug, Clone)]
pub struct MigrateSummary {
    /// The run id.
    pub run_id: i64,
    /// Rejects currently recorded for the nation.
    pub rejects: u64,
    /// Streams whose deletions could not be checked, with why (nothing was removed there).
    pub deletions_unchecked: Vec<(Resource, String)>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// HTTP requests sent, retries and 429s among them.
    pub requests: (u64, u64, u64),
    /// The requests by purpose: main pass, catch-up, deletion check.
    pub requests_by_purpose: [u64; 3],
    /// What each stream's main pass did.
    pub streams: BTreeMap<Resource, pipeline::StreamReport>,
    /// What reconciliation changed per stream (empty with `--no-reconcile`).
    pub reconciled: BTreeMap<Resource, ReconcileReport>,
}

/// The run was stopped by a signal; everything committed stays and the run is resumable.
#[derive(Debug, thiserror::Error)]
#[error(
    "interrupted by {name}: every page committed so far is kept; run the same command again to resume"
)]
pub struct Interrupted {
    /// The signal's name.
    pub name: &'static str,
    /// The exit code (128 + signal number).
    pub code: u8,
}

/// A pipeline error with what the user can do about it (a full disk, a read-only database),
/// said last.
#[derive(Debug, thiserror::Error)]
#[error("{err} — {advice}")]
struct Advised {
    #[source]
    err: PipelineError,
    advice: &'static str,
}

/// Runs a migration with validated settings, stopping cleanly on SIGINT or SIGTERM.
pub async fn migrate(config: &MigrateConfig) -> anyhow::Result<ExitCode> {
    super::warn_if_insecure(&config.database);
    let (stop, raise) = StopSignal::new();
    let screen = Screen::new(!config.quiet && std::io::stderr().is_terminal());
    let caught = super::signals::watch(raise, screen.clone())?;
    let summary = match migrate_until(config, &screen, stop).await {
        Ok(summary) => summary,
        Err(err) if err.downcast_ref::<Interrupted>().is_some() => {
            let code = caught.code();
            return Err(Interrupted {
                name: caught.name(),
                code,
            }
            .into());
        }
        Err(err) => return Err(err),
    };
    let pool = database::connect(&config.database).await?;
    let run = RunSummary {
        nation: config.nation.clone(),
        run_id: summary.run_id,
        elapsed_secs: summary.elapsed.as_secs_f64(),
        requests: summary.requests.0,
        requests_by_purpose: summary.requests_by_purpose,
        retries: summary.requests.1,
        rate_limited: summary.requests.2,
        rejects: summary.rejects,
        run: summary
            .streams
            .iter()
            .map(|(s, r)| {
                (
                    *s,
                    super::summary::StreamRun::new(r, summary.reconciled.get(s)),
                )
            })
            .collect(),
        streams: super::summary::stream_states(&pool, &config.nation).await?,
        next: next_step(config),
    };
    if config.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        super::summary::print_summary(&run);
    }
    let mut code = ExitCode::SUCCESS;
    for (stream, reason) in &summary.deletions_unchecked {
        eprintln!(
            "deletions were not checked for {stream}: {reason}; nothing was removed — run migrate again later to check them"
        );
        code = ExitCode::from(EXIT_FINDINGS);
    }
    if summary.rejects > config.max_rejects {
        list_rejects(&pool, &config.nation).await?;
        eprintln!(
            "{} records were rejected (allowed: {}); see sync.rejects",
            summary.rejects, config.max_rejects
        );
        code = ExitCode::from(EXIT_FINDINGS);
    }
    Ok(code)
}

/// The migration itself, without printing a summary (used by `demo` and tests too).
pub async fn migrate_with(config: &MigrateConfig, bars: bool) -> anyhow::Result<MigrateSummary> {
    migrate_until(config, &Screen::new(bars), StopSignal::never()).await
}

/// The migration, stopped early (with [`Interrupted`] as the error) when `stop` is raised.
pub async fn migrate_until(
    config: &MigrateConfig,
    screen: &Screen,
    stop: StopSignal,
) -> anyhow::Result<MigrateSummary> {
    let pool = database::connect(&config.database).await?;
    schema::migrate(&pool).await?;
    let Some(lock) = NationLock::take(&pool, &config.nation)
        .await
        .context("taking the nation's advisory lock")?
    else {
        anyhow::bail!(
            "another nb-exodus run is already exporting nation {:?} into {}; wait for it to finish (see `nb-exodus status`)",
            config.nation,
            config.database.redacted_url()
        );
    };
    let backend = Backend {
        store: Arc::new(PgStore::new(pool.clone()).with_connection(&config.database)),
        sink: Arc::new(PgSink::new(pool.clone(), Some(lock.clone()))),
    };
    backend.store.interrupt(&config.nation).await?;
    backend
        .store
        .bind_source(
            &config.nation,
            &redact_url(&config.api_base),
            config.restart,
        )
        .await?;
    if config.restart {
        backend.store.reset(&config.nation).await?;
    }
    // verify's manifest salt is made here, when a run starts rather than when it finishes: it
    // then fails (no randomness from the OS) before the first request to the API instead of
    // after hours of export, and an export interrupted and resumed has it from its first run.
    // It is made once per nation and kept (also by --restart): old reports re-check against it.
    crate::verify::salt::create(&pool, &config.nation)
        .await
        .context("creating the manifest salt in audit.export_salts")?;

    let set = load_mappings(config.mappings_dir.as_deref(), config.api)?;
    let mapper = Arc::new(MappingMapper::new(set, &config.currency, None));
    let limiter = Arc::new(Limiter::new(config.rate_limit));
    let tokens = crate::auth::token_source(&config.token, &config.nation, &config.api_base)?;
    let mut client_config = ClientConfig::with_tokens(tokens);
    client_config.max_attempts = config.max_attempts;
    client_config.request_timeout = config.request_timeout;
    client_config.max_wait = config.max_wait;
    client_config.max_response_bytes = config.max_response_bytes;
    let http = HttpClient::new(client_config, limiter)?;
    let run = Run {
        config,
        backend: &backend,
        http: &http,
        screen,
        stop,
    };
    let outcome = match config.api {
        Api::V2 => {
            let source = V2Source::new(http.clone(), config.api_base.clone(), config.page_size);
            run.through(Arc::new(source), mapper).await
        }
        Api::V1 => {
            let source = V1Source::new(http.clone(), config.api_base.clone(), config.page_size)
                .with_full_people(config.full_people);
            if config.full_people {
                announce_full_records(config, &source).await?;
            }
            run.through(Arc::new(source), mapper).await
        }
    };
    drop(lock);
    outcome
}

/// Prints what `--full-people` will cost before starting: one request per record of every
/// abbreviated v1 listing exported (people), at the configured rate limit.
async fn announce_full_records(config: &MigrateConfig, source: &V1Source) -> anyhow::Result<()> {
    for resource in &config.streams {
        let V1Binding::Listing(V1Listing {
            abbreviated: true,
            show: Some(_),
            count: Some((route, _)),
            path,
            ..
        }) = resource.def().v1
        else {
            continue;
        };
        let count = source
            .listing_count(*resource)
            .await
            .with_context(|| {
                format!("counting {resource} (GET /api/v1/{route}) for the --full-people estimate")
            })?
            .unwrap_or(0);
        let estimate = match config.rate_limit {
            Some(rate) => {
                let secs = count as f64 * rate.per.as_secs_f64() / f64::from(rate.requests.max(1));
                format!("about {} at {rate}", human_duration(secs))
            }
            None => "unthrottled (--rate-limit off)".to_owned(),
        };
        eprintln!(
            "--full-people: {count} {resource}, one extra request each (GET /api/v1/{path}/:id): {estimate}, on top of the index pages"
        );
    }
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

/// One migrate run's wiring.
struct Run<'a> {
    config: &'a MigrateConfig,
    backend: &'a Backend<PgStore, PgSink>,
    http: &'a HttpClient,
    screen: &'a Screen,
    stop: StopSignal,
}

impl Run<'_> {
    /// Plans, records and runs the streams through `source`.
    async fn through<S: Source + 'static>(
        self,
        source: Arc<S>,
        mapper: Arc<MappingMapper>,
    ) -> anyhow::Result<MigrateSummary> {
        let Run {
            config,
            backend,
            http,
            screen,
            stop,
        } = self;
        let started = std::time::Instant::now();
        let api = source.api();
        let stats = http.stats();
        let checkpoints = backend.store.checkpoints(&config.nation).await?;
        // What earlier runs learned about the API applies from the first request on.
        if !config.restart {
            for cp in &checkpoints {
                if cp.api == api && !cp.learned.is_empty() {
                    source.adopt(cp.stream, cp.learned);
                }
            }
        }
        let steps = match plan::plan(
            &checkpoints,
            &config.streams,
            |s| source.start(s),
            api,
            |r| mapper.checksum_of(r),
            config.restart,
        ) {
            Ok(steps) => steps,
            Err(err @ plan::PlanError::MappingChanged { resource, .. }) => {
                let loaded = checkpoints
                    .iter()
                    .find(|c| c.stream == resource)
                    .and_then(|c| c.mapping_sha256.clone())
                    .unwrap_or_default();
                return Err(match mappings_used(backend.store.pool(), &config.nation, resource, &loaded).await? {
                    Some(dir) => anyhow::anyhow!(
                        "{err}; the rows were made with the mapping files in {dir}: pass --mappings {dir} again to use them"
                    ),
                    None => err.into(),
                });
            }
            Err(err) => return Err(err.into()),
        };
        let options = serde_json::json!({
            "api": api,
            "api_base": redact_url(&config.api_base),
            "streams": config.streams.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "rate_limit": config.rate_limit.map(|r| r.to_string()),
            "page_size": config.page_size,
            "currency": config.currency,
            "restart": config.restart,
            "full_people": config.full_people,
            "allow_mass_delete": config.allow_mass_delete,
            "mappings": config.mappings_dir.as_ref().map(|d| d.display().to_string()),
            "mapping_checksums": config
                .streams
                .iter()
                .map(|&r| (r.as_str().to_owned(), mapper.checksum_of(r)))
                .collect::<BTreeMap<_, _>>(),
            "max_wait_minutes": config.max_wait.as_secs() / 60,
            "max_response_mb": config.max_response_bytes / crate::fetch::client::MB,
        });
        let run_id = backend
            .store
            .start_run(&config.nation, api, &mapper.checksum(), &options)
            .await?;
        // A new export (or one started over) is sized first: printed for the consultant and
        // kept with the run. A resumed run or a catch-up is not: it would cost requests for
        // figures the first run already recorded. A failure here is the run's failure (its
        // first page would meet it too).
        let fresh = config.restart || checkpoints.iter().all(|c| c.pages == 0);
        if fresh {
            let taken = inventory::take(
                &*source,
                &config.streams,
                config.page_size,
                config.full_people,
                config.rate_limit,
            )
            .await;
            match taken {
                Ok(taken) => {
                    for line in inventory::lines(&taken) {
                        eprintln!("{line}");
                    }
                    backend
                        .store
                        .record_inventory(run_id, &serde_json::to_value(&taken)?)
                        .await?;
                }
                Err(err) => {
                    let text = err.to_string();
                    if let Err(record) = backend
                        .store
                        .finish_run(run_id, status::FAILED, Some(&text))
                        .await
                    {
                        tracing::warn!(error = %record, "could not record the failed run");
                    }
                    return Err(err.into());
                }
            }
        }
        let mut settings = RunSettings::new(&config.nation, api, run_id);
        settings.allow_mass_delete = config.allow_mass_delete;
        settings.db_retry.window = config.database_retry;
        settings.stop = stop;
        let mapper_for_tables = mapper.clone();
        let progress = screen.display(stats);
        // The main pass, then (unless switched off) reconciliation of the streams it finished.
        let outcome = async {
            let reports = pipeline::run(
                backend,
                &settings,
                source.clone(),
                mapper.clone(),
                progress.clone(),
                steps,
            )
            .await?;
            let reconciled = if config.no_reconcile {
                BTreeMap::new()
            } else {
                let streams: Vec<Resource> = reports.keys().copied().collect();
                reconcile::reconcile_all(backend, &settings, &source, &mapper, &progress, &streams)
                    .await?
            };
            Ok::<_, PipelineError>((reports, reconciled))
        }
        .await;
        let (reports, reconciled) = match outcome {
            Ok(done) => done,
            Err(PipelineError::Interrupted) => {
                backend.store.interrupt(&config.nation).await?;
                return Err(Interrupted {
                    name: "a signal",
                    code: 130,
                }
                .into());
            }
            Err(err) => {
                let text = match err.advice() {
                    Some(advice) => format!("{err} — {advice}"),
                    None => err.to_string(),
                };
                // The database may be what failed: the run's own record is best effort.
                if let Err(record) = backend
                    .store
                    .finish_run(run_id, status::FAILED, Some(&text))
                    .await
                {
                    tracing::warn!(error = %record, "could not record the failed run");
                }
                return Err(match err.advice() {
                    Some(advice) => Advised { err, advice }.into(),
                    None => err.into(),
                });
            }
        };
        backend.store.finish_run(run_id, status::DONE, None).await?;
        backend
            .sink
            .analyze(&written_tables(&*mapper_for_tables, &config.streams))
            .await?;
        let rejects = backend.sink.reject_count(&config.nation).await?;
        let stats = http.stats();
        let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        // Where this run's request budget went, for `status`.
        let by_purpose: serde_json::Map<String, serde_json::Value> = Purpose::ALL
            .iter()
            .map(|p| {
                (
                    p.as_str().to_owned(),
                    count(&stats.by_purpose[*p as usize]).into(),
                )
            })
            .collect();
        backend
            .store
            .record_requests(run_id, &serde_json::Value::Object(by_purpose))
            .await?;
        Ok(MigrateSummary {
            run_id,
            rejects,
            elapsed: started.elapsed(),
            requests: (
                count(&stats.requests),
                count(&stats.retries),
                count(&stats.rate_limited),
            ),
            requests_by_purpose: [
                count(&stats.by_purpose[0]),
                count(&stats.by_purpose[1]),
                count(&stats.by_purpose[2]),
            ],
            deletions_unchecked: reconciled
                .iter()
                .filter_map(|(s, r)| r.deletions_unchecked.clone().map(|why| (*s, why)))
                .collect(),
            streams: reports,
            reconciled,
        })
    }
}

/// The mapping directory of the latest run whose mapping file for `resource` had checksum
/// `sha`, when that run named one (`--mappings DIR`). Runs record each resource's checksum in
/// `options.mapping_checksums`; runs of releases before them recorded only the whole set's.
async fn mappings_used(
    pool: &PgPool,
    nation: &str,
    resource: Resource,
    sha: &str,
) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT options->>'mappings' FROM sync.runs
          WHERE nation = $1 AND options->>'mappings' IS NOT NULL
            AND (options->'mapping_checksums'->>$3 = $2 OR mapping_sha256 = $2)
          ORDER BY id DESC LIMIT 1",
    )
    .bind(nation)
    .bind(sha)
    .bind(resource.as_str())
    .fetch_optional(pool)
    .await?)
}

/// The command that proves the export, with this run's own nation, source and database
/// (password removed).
fn next_step(config: &MigrateConfig) -> String {
    let default_base = format!("https://{}.nationbuilder.com/", config.nation);
    let mut cmd = format!("nb-exodus verify --nation {}", config.nation);
    if config.api_base.as_str() != default_base {
        cmd.push_str(&format!(
            " --api-base {}",
            crate::redact::parsed(&config.api_base)
        ));
    }
    cmd.push_str(&format!(
        " --database-url '{}' --out audit --sign-key ~/.nb-exodus/verify.key",
        database::redact(&config.database.url)
    ));
    cmd
}

/// Every table a run of `streams` writes: the streams' own tables, the raw archive, the rejects.
fn written_tables<M: Mapper>(mapper: &M, streams: &[Resource]) -> Vec<String> {
    let mut tables: Vec<String> = streams
        .iter()
        .flat_map(|s| mapper.tables(*s).into_iter().map(|(t, _)| t))
        .chain(["raw.records".to_owned(), "sync.rejects".to_owned()])
        .collect();
    tables.sort();
    tables.dedup();
    tables
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

/// Prints each stream's state, and where the last finished run's requests went.
pub async fn print_status(pool: &PgPool, nation: &str) -> anyhow::Result<()> {
    let spooled = PgStore::new(pool.clone()).spool_waiting(nation).await?;
    let states = super::summary::stream_states(pool, nation).await?;
    super::summary::print_states(nation, spooled, &states);
    if let Some((run, requests)) = last_requests(pool, nation).await? {
        let n = |p: Purpose| {
            requests
                .get(p.as_str())
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        };
        println!(
            "run {run} requests by purpose: {} main pass, {} catch-up, {} deletion check",
            n(Purpose::Main),
            n(Purpose::CatchUp),
            n(Purpose::DeletionCheck)
        );
    }
    Ok(())
}

/// The requests by purpose of the nation's last run that recorded them.
async fn last_requests(
    pool: &PgPool,
    nation: &str,
) -> anyhow::Result<Option<(i64, serde_json::Value)>> {
    let row: Option<(i64, serde_json::Value)> = sqlx::query_as(
        "SELECT id, options->'requests' FROM sync.runs
          WHERE nation = $1 AND options ? 'requests' ORDER BY id DESC LIMIT 1",
    )
    .bind(nation)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// Runs `status`.
pub(crate) async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let target = config::resolve_target(
        args.nation.clone(),
        args.database_url.clone(),
        &args.database_tls.flags(),
        args.config.as_deref(),
        std::env::var("DATABASE_URL").ok(),
    )?;
    let connection = target.database;
    let nation = target.nation;
    super::warn_if_insecure(&connection);
    let pool = database::connect(&connection).await?;
    require_schema(&pool).await?;
    if args.json {
        let spooled = PgStore::new(pool.clone()).spool_waiting(&nation).await?;
        let states = super::summary::stream_states(&pool, &nation).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "nation": nation,
                "spooled_pages": spooled,
                "streams": states,
                "credentials": super::auth::credentials_summary(&nation, args.credentials.as_deref()),
            }))?
        );
    } else {
        print_status(&pool, &nation).await?;
        if let Some(summary) =
            super::auth::credentials_summary(&nation, args.credentials.as_deref())
        {
            println!("credentials: {summary}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Fails with the fix when the database has no open schema, or an older one, instead of the
/// driver's `relation "sync.checkpoints" does not exist`.
pub(crate) async fn require_schema(pool: &PgPool) -> anyhow::Result<()> {
    let target = database::pool_target(pool);
    match schema::state(pool).await? {
        schema::SchemaState::Current | schema::SchemaState::Ahead(_) => Ok(()),
        schema::SchemaState::Absent | schema::SchemaState::Unversioned => anyhow::bail!(
            "database {target} has no nb-exodus schema: run `nb-exodus db migrate --database-url URL` to create it, or check --database-url (this is not an nb-exodus database)"
        ),
        schema::SchemaState::Behind(pending) => anyhow::bail!(
            "database {target} has an older nb-exodus schema ({} migration(s) pending): run `nb-exodus db migrate --database-url URL` first",
            pending.len()
        ),
    }
}

/// Runs `remap`: re-derives the tables from the raw archive with the current mapping files.
pub(crate) async fn remap(args: crate::cli::migrate::RemapArgs) -> anyhow::Result<ExitCode> {
    let target = config::resolve_target(
        args.nation.clone(),
        args.database_url.clone(),
        &args.database_tls.flags(),
        args.config.as_deref(),
        std::env::var("DATABASE_URL").ok(),
    )?;
    let connection = target.database;
    let nation = target.nation;
    super::warn_if_insecure(&connection);
    let pool = database::connect(&connection).await?;
    schema::migrate(&pool).await?;
    let Some(lock) = NationLock::take(&pool, &nation).await? else {
        anyhow::bail!(
            "another nb-exodus run is working on nation {:?}; wait for it to finish (see `nb-exodus status`)",
            nation
        );
    };
    let backend = Backend {
        store: Arc::new(PgStore::new(pool.clone()).with_connection(&connection)),
        sink: Arc::new(PgSink::new(pool.clone(), Some(lock))),
    };
    let checkpoints = backend.store.checkpoints(&nation).await?;
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
            nation
        ),
        _ => anyhow::bail!(
            "nation {:?} was exported through several APIs ({}); use migrate --restart",
            nation,
            apis.join(", ")
        ),
    };
    let set = load_mappings(args.mappings.as_deref(), api)?;
    let mapper = MappingMapper::new(set, &args.currency.to_ascii_uppercase(), None);
    let streams: Vec<Resource> = checkpoints.iter().map(|c| c.stream).collect();
    let options = serde_json::json!({
        "remap": true,
        "currency": args.currency,
        "mappings": args.mappings.as_ref().map(|d| d.display().to_string()),
        "mapping_checksums": streams
            .iter()
            .map(|&r| (r.as_str().to_owned(), mapper.checksum_of(r)))
            .collect::<BTreeMap<_, _>>(),
    });
    let run_id = backend
        .store
        .start_run(&nation, api.as_str(), &mapper.checksum(), &options)
        .await?;
    let context = BatchContext {
        nation: nation.clone(),
        api: api.as_str().into(),
        run_id,
    };
    match crate::pipeline::remap::remap(&backend, &context, &mapper, &streams).await {
        Ok(reports) => {
            backend.store.finish_run(run_id, status::DONE, None).await?;
            backend
                .sink
                .analyze(&written_tables(&mapper, &streams))
                .await?;
            for (stream, r) in reports {
                println!(
                    "{:<w$} {:>9} records re-mapped, {:>9} rows, {:>6} rejects",
                    stream.as_str(),
                    r.records,
                    r.rows,
                    r.rejected,
                    w = crate::resource::name_width()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            backend
                .store
                .finish_run(run_id, status::FAILED, Some(&err.to_string()))
                .await?;
            Err(err.into())
        }
    }
}
