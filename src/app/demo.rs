//! `nb-exodus demo`: starts a simulated nation in-process, migrates it into PostgreSQL (a
//! private cluster kept in a data directory, or the database `--database-url` names), and prints
//! a summary that compares every table with the simulator's ground truth, plus how to open the
//! result.
//!
//! The demo writes a fake nation, so it never takes its database from `DATABASE_URL` (a
//! consultant's shell keeps that pointed at the party's real database), and it refuses any
//! database that already holds another nation's data, before writing anything.
//!
//! The demo authenticates as a consultant would: its simulated nation has a registered app
//! (a client id and a random client secret), and the simulator's `--token` — a legacy token —
//! is exchanged once as a refresh token, exactly as `nb-exodus auth import-legacy` does, for
//! expiring tokens kept in a private credentials file (mode 0600, in a 0700 directory inside
//! the data directory, or in a temporary directory when `--database-url` is given; never the
//! user's config directory). The migration then reads its token from that file, so it
//! refreshes as the tokens expire (`--token-ttl`). The import rather than the login flow: it
//! needs no browser, no approval and no loopback port, and it is what the simulator's legacy
//! token is for.

use std::io::{IsTerminal, Write as _};
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use url::Url;

use crate::auth::{self, AppIdentity, Credential, CredentialStore};
use crate::cli::demo::DemoArgs;
use crate::config::MigrateConfig;
use crate::database::{self, cluster::PrivateCluster, DATABASE_URL_ENV};
use crate::fetch::rate_limit::RateSpec;
use crate::fetch::token::Secret;
use crate::mapping::Api;
use crate::resource::Resource;
use crate::schema;
use crate::schema::catalogue::TableId;
use crate::simulator::{OAuthConfig, RateLimit, Simulator, SimulatorConfig};

use super::migrate::migrate_with;

/// The demo's nation: the only one it writes, and the only one it accepts in its database.
const NATION: &str = "demo";

/// The client id of the app the demo registers with its simulated nation.
const CLIENT_ID: &str = "nb-exodus-demo";

/// The directory, inside the data directory, of the demo's credentials and client secret.
const CREDENTIALS_DIR: &str = "nb-exodus-demo-credentials";

/// Runs the demo.
pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let rate = match args.rate_limit.trim() {
        "off" => None,
        spec => Some(spec.parse::<RateSpec>().map_err(|e| anyhow::anyhow!(e))?),
    };
    let token_ttl = crate::cli::simulate::parse_ttl(&args.token_ttl)?;
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

    // The simulator's legacy token, and the secret of the app registered with it.
    let legacy = format!(
        "demo-{:016x}",
        args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    );
    let client_secret = random_secret()?;
    let sim = Simulator::start(
        SimulatorConfig {
            seed: args.seed,
            people: args.people,
            token: legacy.clone(),
            oauth: OAuthConfig {
                client_id: CLIENT_ID.into(),
                client_secret: client_secret.clone(),
                token_ttl,
                auto_approve: false,
            },
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

    let api_base = Url::parse(&format!("{}/", sim.base_url()))?;
    // The credentials live beside the private cluster's data, or for --database-url in a
    // temporary directory removed when the demo ends.
    let (credentials_dir, _temporary) = match &cluster {
        Some(cluster) => (cluster.data_dir().join(CREDENTIALS_DIR), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("nb-exodus-demo-")
                .tempdir()
                .context("creating a temporary directory for the demo's credentials")?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let credentials = import_legacy_token(
        &api_base,
        &credentials_dir,
        &Secret::new(legacy),
        &Secret::new(client_secret),
    )
    .await?;
    println!(
        "API token: the simulated nation's legacy token, exchanged once through its OAuth (as `nb-exodus auth import-legacy` does) for tokens living {}; credentials in {} (mode 0600)",
        life(token_ttl),
        credentials.display()
    );

    let config = MigrateConfig {
        nation: NATION.into(),
        api: Api::V2,
        full_people: false,
        api_base,
        database: connection.clone(),
        token: Credential::Stored(credentials),
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
    // The first refresh grant was the legacy token's exchange.
    let refreshes = match manifest.refresh_grants.saturating_sub(1) {
        0 => String::new(),
        1 => ", 1 token refresh".into(),
        n => format!(", {n} token refreshes"),
    };
    println!(
        "migrated in {:.1} s, {} API requests, {} rate-limited, {} rejects{refreshes}",
        elapsed.as_secs_f64(),
        manifest.requests,
        manifest.rate_limited,
        summary.rejects
    );
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
    // As wide as the longest table name (`sensitive.petition_signature_comments`).
    let width = expected.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
    println!("{:<width$} {:>10} {:>10}", "table", "rows", "at source");
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
        println!("{table:<width$} {rows:>10} {shown:>10}");
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

/// Registers the demo's app in `dir` (made 0700) — its client secret in a 0600 file — and
/// exchanges the simulated nation's legacy token once for expiring tokens, stored in the
/// credentials file `dir/demo.json` (0600) through [`auth::import_legacy`], the function behind
/// `nb-exodus auth import-legacy`. Returns the credentials file.
async fn import_legacy_token(
    api_base: &Url,
    dir: &Path,
    legacy: &Secret,
    client_secret: &Secret,
) -> anyhow::Result<PathBuf> {
    private_dir(dir)?;
    let secret_file = dir.join("client-secret");
    write_private(&secret_file, client_secret)?;
    let app = AppIdentity {
        nation: NATION.into(),
        api_base: api_base.clone(),
        client_id: CLIENT_ID.into(),
        client_secret_file: secret_file,
    };
    let store = CredentialStore::new(dir.join(format!("{NATION}.json")));
    auth::import_legacy(&app, &store, legacy)
        .await
        .context("exchanging the simulated nation's legacy token for expiring tokens")?;
    Ok(store.path().to_owned())
}

/// Creates `dir` (and its parents) when missing, and makes it 0700.
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .with_context(|| format!("creating the private directory {}", dir.display()))
}

/// Writes `secret` and a newline to `path`, mode 0600 (also when the file was there before).
fn write_private(path: &Path, secret: &Secret) -> anyhow::Result<()> {
    (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(secret.expose().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    })()
    .with_context(|| format!("writing {}", path.display()))
}

/// A client secret for the demo's app: 192 random bits, hex.
fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    Ok(hex::encode(bytes))
}

/// A token life as people say it: `24 h`, `10 min`, `15 s`.
fn life(ttl: Duration) -> String {
    match ttl.as_secs() {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lives_are_said_in_the_largest_whole_unit() {
        assert_eq!(life(Duration::from_secs(86_400)), "24 h");
        assert_eq!(life(Duration::from_secs(600)), "10 min");
        assert_eq!(life(Duration::from_secs(90)), "90 s");
        assert_eq!(life(Duration::from_secs(15)), "15 s");
    }

    #[test]
    fn the_client_secret_file_and_its_directory_are_private() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("a/b");
        private_dir(&dir).expect("dir");
        let file = dir.join("client-secret");
        std::fs::write(&file, "old").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&file, &Secret::new("s3cret")).expect("secret");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "s3cret\n");
        assert_ne!(
            random_secret().expect("random"),
            random_secret().expect("random")
        );
    }
}
