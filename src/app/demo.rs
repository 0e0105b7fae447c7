//! `nb-exodus demo`: starts a simulated nation in-process, migrates it into PostgreSQL (a
//! private cluster kept in a data directory, or the database `--database-url` names), and prints
//! a summary that compares every table with the simulator's ground truth, plus how to open the
//! result.
//!
//! The demo writes a fake nation, so it never takes its database from `DATABASE_URL` (a
//! consultant's shell keeps that pointed at the party's real database), and it refuses any
//! database that already holds another nation's data, before writing anything.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use url::Url;

use crate::cli::demo::DemoArgs;
use crate::config::MigrateConfig;
use crate::database::{self, cluster::PrivateCluster, DATABASE_URL_ENV};
use crate::fetch::rate_limit::RateSpec;
use crate::mapping::Api;
use crate::resource::Resource;
use crate::schema;
use crate::schema::catalogue::TableId;
use crate::simulator::{RateLimit, Simulator, SimulatorConfig};

use super::migrate::migrate_with;

/// The demo's nation: the only one it writes, and the only one it accepts in its database.
const NATION: &str = "demo";

/// Runs the demo.
pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let rate = match args.rate_limit.trim() {
        "off" => None,
        spec => Some(spec.parse::<RateSpec>().map_err(|e| anyhow::anyhow!(e))?),
    };
    let explicit = args
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty());
    if explicit.is_none() && std::env::var_os(DATABASE_URL_ENV).is_some_and(|v| !v.is_empty()) {
        println!(
            "DATABASE_URL is set, but demo ignores it (it writes a fake nation): it uses its private cluster in {}; pass --database-url to choose a database",
            args.data_dir.display()
        );
    }
    let mut cluster = None;
    let database_url = match explicit {
        Some(url) => url.to_owned(),
        None => {
            let dir = args.data_dir.clone();
            let started =
                tokio::task::spawn_blocking(move || PrivateCluster::start_persistent(&dir))
                    .await
                    .context("starting the private PostgreSQL cluster")??;
            println!(
                "private PostgreSQL cluster: data in {}, listening on 127.0.0.1:{}",
                started.data_dir().display(),
                started.port()
            );
            let url = started.url();
            cluster = Some(started);
            url
        }
    };

    let connection = args.database_tls.settings(database_url);
    super::warn_if_insecure(&connection);
    refuse_other_nations(&connection, cluster.is_some()).await?;

    let token = format!(
        "demo-{:016x}",
        args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    );
    let sim = Simulator::start(
        SimulatorConfig {
            seed: args.seed,
            people: args.people,
            token: token.clone(),
            rate_limit: rate.map(|r| RateLimit {
                limit: r.requests,
                window: r.per,
            }),
            nation_slug: "demo".into(),
            ..SimulatorConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .context("starting the simulated nation")?;
    println!(
        "simulated nation 'demo': {} people, seed {}, at {}",
        args.people,
        args.seed,
        sim.base_url()
    );

    let config = MigrateConfig {
        nation: NATION.into(),
        api: Api::V2,
        full_people: false,
        api_base: Url::parse(&format!("{}/", sim.base_url()))?,
        database: connection.clone(),
        token: crate::auth::Credential::Static(crate::fetch::token::Secret::new(token)),
        streams: Resource::all().filter(|r| r.served_by("v2")).collect(),
        rate_limit: rate,
        page_size: 100,
        currency: "EUR".into(),
        max_rejects: 0,
        max_attempts: 8,
        restart: true,
        no_reconcile: false,
        mappings_dir: None,
        quiet: args.quiet,
        request_timeout: Duration::from_secs(60),
        allow_mass_delete: false,
        json: false,
        database_retry: Duration::from_secs(60),
        max_wait: Duration::from_secs(crate::fetch::client::DEFAULT_MAX_WAIT_MINUTES * 60),
        max_response_bytes: crate::fetch::client::DEFAULT_MAX_RESPONSE_MB
            * crate::fetch::client::MB,
    };
    let started = Instant::now();
    let bars = !args.quiet && std::io::stderr().is_terminal();
    let summary = migrate_with(&config, bars).await?;
    let elapsed = started.elapsed();
    let manifest = sim.manifest();

    let pool = database::connect(&connection).await?;
    println!();
    println!(
        "migrated in {:.1} s, {} API requests, {} rate-limited, {} rejects",
        elapsed.as_secs_f64(),
        manifest.requests,
        manifest.rate_limited,
        summary.rejects
    );
    println!("{:<32} {:>10} {:>10}", "table", "rows", "at source");
    // Every resource's main table against the simulator's count, then the other tables the
    // mappings fill (contact points, attributes, consent), then the archive.
    let mut expected: Vec<(&str, Option<u64>)> = Resource::all()
        .map(|r| {
            let at_source = manifest.resources.get(r.as_str()).map_or(0, |c| c.live);
            (r.table(), Some(at_source))
        })
        .collect();
    for table in TableId::all().map(TableId::table) {
        if table.mappable() && !Resource::all().any(|r| r.table() == table.qualified) {
            expected.push((table.qualified, None));
        }
    }
    expected.push(("raw.records", None));
    let mut balanced = true;
    for (table, at_source) in expected {
        let rows: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE nation = 'demo'",
            crate::load::quote_ident(table)?
        ))
        .fetch_one(&pool)
        .await?;
        let shown = match at_source {
            Some(n) => {
                balanced &= rows as u64 == n;
                n.to_string()
            }
            None => "-".into(),
        };
        println!("{table:<32} {rows:>10} {shown:>10}");
    }
    println!();
    println!("open it:  psql '{}'", connection.redacted_url());
    println!(
        "try:      SELECT given_name, family_name FROM core.people WHERE nation = 'demo' LIMIT 10;"
    );
    if let Some(cluster) = &cluster {
        if args.serve {
            println!("serving until Ctrl-C (database and simulated nation)");
            tokio::signal::ctrl_c().await.ok();
        } else {
            println!(
                "the cluster stops when this command ends; to reopen it later run:\n          nb-exodus demo --data-dir {} --serve",
                cluster.data_dir().display()
            );
        }
    } else if args.serve {
        println!("serving the simulated nation until Ctrl-C");
        tokio::signal::ctrl_c().await.ok();
    }
    sim.shutdown().await;
    if let Some(cluster) = cluster {
        tokio::task::spawn_blocking(move || cluster.stop()).await??;
    }
    if !balanced || summary.rejects > 0 {
        eprintln!("the tables do not balance with the simulated nation; see above");
        return Ok(ExitCode::from(super::EXIT_FINDINGS));
    }
    Ok(ExitCode::SUCCESS)
}

/// Fails, before anything is written, when the database holds data of any nation but the
/// demo's own (a real export): the demo must never mix a fake nation into it.
async fn refuse_other_nations(
    connection: &database::ConnectionSettings,
    private: bool,
) -> anyhow::Result<()> {
    let pool = database::connect(connection).await?;
    let others = schema::other_nations(&pool, NATION).await;
    pool.close().await;
    let others = others.context("looking for other nations in the demo's database")?;
    let Some(first) = others.first() else {
        return Ok(());
    };
    let more = match others.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    let fix = if private {
        "pass another --data-dir (this one holds a real export)"
    } else {
        "use an empty database, or leave out --database-url (demo then uses its private cluster in --data-dir)"
    };
    anyhow::bail!(
        "database {} holds nb-exodus data of nation {first:?}{more}, and demo writes only into a database without other nations: {fix}",
        database::target(&connection.url)
    )
}
