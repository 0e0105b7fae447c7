//! Transport security of the database connection, with the real binary across a real network
//! path: a network namespace joined to this one by a veth pair, the database servers listening
//! on this side's non-loopback address, and `nb-exodus` run inside the namespace (so every byte
//! it exchanges with PostgreSQL crosses the veth, as it would cross a network). Three throwaway
//! servers: one without TLS, one with a self-signed certificate for `evil.invalid` (the man in
//! the middle), one with a certificate for the address signed by a test CA.
//!
//! Needs root (for `ip netns` and `ip link`); elsewhere every test prints why and returns.
//! The namespace and the servers are shared by the tests that run at the same time and removed
//! when the last of them ends, also when one panics (a `Drop` guard); a namespace left behind
//! by a killed test process is removed by the next run.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use nb_exodus::database::PrivateCluster;
use nb_exodus::simulator::{RunningSimulator, Simulator, SimulatorConfig};
use serde_json::Value;
use sqlx::{PgPool, Row};

use crate::support::db::{shared_turn, with_database};

/// Prefix of our namespaces: `nbxtls<pid>g<generation>`.
const NS_PREFIX: &str = "nbxtls";
/// The line every insecure run prints.
const WARNING: &str = "warning: --insecure-database-connection";

/// The shared network and servers; see the module documentation.
struct Fixture {
    // Fields drop in order: the servers stop before the namespace goes.
    plain: PrivateCluster,
    evil: PrivateCluster,
    good: PrivateCluster,
    /// This side's address: the servers and the simulator listen on it.
    host: Ipv4Addr,
    /// Certificates and keys.
    certs: tempfile::TempDir,
    net: Netns,
}

/// A network namespace and its veth pair; deleted when dropped.
struct Netns {
    name: String,
    root_if: String,
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace destroys the peer, and with it this side's end; the second
        // command only matters when the first failed half-way.
        let _ = ip(&["netns", "del", &self.name]);
        let _ = ip(&["link", "del", &self.root_if]);
    }
}

/// Runs `ip ARGS`, returning its stderr on failure.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|err| format!("cannot run ip: {err}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether this process runs with effective uid 0 (from /proc, without unsafe code).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// The user the private clusters run their servers as when we are root (as the cluster module
/// picks it: `postgres`, else `nobody`): it must own the servers' key files.
fn server_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    ["postgres", "nobody"]
        .iter()
        .find_map(|name| {
            passwd.lines().find_map(|line| {
                let f: Vec<&str> = line.split(':').collect();
                (f.len() > 3 && f[0] == *name)
                    .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                    .flatten()
            })
        })
        .expect("a postgres or nobody user")
}

/// Removes namespaces of earlier test processes that died without cleaning up.
fn remove_stale_namespaces() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(pid) = name
            .strip_prefix(NS_PREFIX)
            .and_then(|rest| rest.split('g').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = ip(&["netns", "del", name]);
        }
    }
}

/// The shared fixture, or `None` (with the reason printed) where it cannot be built.
fn fixture() -> Option<Arc<Fixture>> {
    static SHARED: Mutex<Weak<Fixture>> = Mutex::new(Weak::new());
    static GENERATION: AtomicU32 = AtomicU32::new(0);
    if !is_root() {
        eprintln!(
            "skipping the TLS test: it needs root for ip netns / ip link (run as root, as CI does)"
        );
        return None;
    }
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(fixture) = shared.upgrade() {
        return Some(fixture);
    }
    remove_stale_namespaces();
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let name = format!("{NS_PREFIX}{pid}g{generation}");
    let (root_if, peer_if) = (
        format!("nbx{pid}g{generation}r"),
        format!("nbx{pid}g{generation}p"),
    );
    if let Err(why) = ip(&["netns", "add", &name]) {
        eprintln!("skipping the TLS test: cannot create a network namespace ({why})");
        return None;
    }
    let net = Netns {
        name: name.clone(),
        root_if: root_if.clone(),
    };
    // A /30 of 10.203.0.0/16 chosen by pid and generation, so that concurrent test processes
    // on one machine do not share a subnet.
    let index = (pid.wrapping_mul(16).wrapping_add(generation)) % 16_384;
    let base = u32::from(Ipv4Addr::new(10, 203, 0, 0)) + index * 4;
    let (host, client) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
    let steps: [Vec<String>; 7] = [
        vec![
            "link".into(),
            "add".into(),
            root_if.clone(),
            "type".into(),
            "veth".into(),
            "peer".into(),
            "name".into(),
            peer_if.clone(),
        ],
        vec![
            "link".into(),
            "set".into(),
            peer_if.clone(),
            "netns".into(),
            name.clone(),
        ],
        vec![
            "addr".into(),
            "add".into(),
            format!("{host}/30"),
            "dev".into(),
            root_if.clone(),
        ],
        vec!["link".into(), "set".into(), root_if.clone(), "up".into()],
        vec![
            "-n".into(),
            name.clone(),
            "addr".into(),
            "add".into(),
            format!("{client}/30"),
            "dev".into(),
            peer_if.clone(),
        ],
        vec![
            "-n".into(),
            name.clone(),
            "link".into(),
            "set".into(),
            peer_if.clone(),
            "up".into(),
        ],
        vec![
            "-n".into(),
            name.clone(),
            "link".into(),
            "set".into(),
            "lo".into(),
            "up".into(),
        ],
    ];
    for step in &steps {
        let args: Vec<&str> = step.iter().map(String::as_str).collect();
        ip(&args).unwrap_or_else(|why| panic!("setting up the veth pair: {why}"));
    }

    let certs = write_certificates(host);
    let dir = certs.path();
    let hba = dir.join("pg_hba.conf");
    std::fs::write(
        &hba,
        format!("local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all {client}/32 trust\n"),
    )
    .unwrap();
    let listen = format!("127.0.0.1,{host}");
    let (hba, listen) = (hba.display().to_string(), listen);
    let file = |name: &str| dir.join(name).display().to_string();
    let (good_cert, good_key, evil_cert, evil_key) = (
        file("server.pem"),
        file("server.key"),
        file("evil.pem"),
        file("evil.key"),
    );
    let start = |tls: Option<(&str, &str)>| {
        let mut settings = vec![
            ("listen_addresses", listen.as_str()),
            ("hba_file", hba.as_str()),
        ];
        if let Some((cert, key)) = tls {
            settings.extend([
                ("ssl", "on"),
                ("ssl_cert_file", cert),
                ("ssl_key_file", key),
            ]);
        }
        PrivateCluster::start_temporary_with(&settings)
            .unwrap_or_else(|err| panic!("starting a PostgreSQL for the TLS test: {err}"))
    };
    let (plain, evil, good) = std::thread::scope(|scope| {
        let plain = scope.spawn(|| start(None));
        let evil = scope.spawn(|| start(Some((&evil_cert, &evil_key))));
        let good = start(Some((&good_cert, &good_key)));
        (plain.join().unwrap(), evil.join().unwrap(), good)
    });
    let fixture = Arc::new(Fixture {
        plain,
        evil,
        good,
        host,
        certs,
        net,
    });
    *shared = Arc::downgrade(&fixture);
    Some(fixture)
}

/// Writes a test CA (`ca.pem`), a server certificate for `host` signed by it
/// (`server.pem`, `server.key`) and a self-signed certificate for `evil.invalid` (`evil.pem`,
/// `evil.key`); keys belong to the server's user with mode 0600, as PostgreSQL demands.
fn write_certificates(host: Ipv4Addr) -> tempfile::TempDir {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (uid, gid) = server_user();
    let write = |name: &str, text: &str, private: bool| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        if private {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
        } else {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    };

    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "nb-exodus test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    write("ca.pem", &ca_cert.pem(), false);

    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec![host.to_string()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, host.to_string());
    let server_cert = server
        .signed_by(&server_key, &Issuer::from_params(&ca, &ca_key))
        .unwrap();
    write("server.pem", &server_cert.pem(), false);
    write("server.key", &server_key.serialize_pem(), true);

    let evil_key = KeyPair::generate().unwrap();
    let mut evil = CertificateParams::new(vec!["evil.invalid".to_owned()]).unwrap();
    evil.distinguished_name
        .push(DnType::CommonName, "evil.invalid");
    let evil_cert = evil.self_signed(&evil_key).unwrap();
    write("evil.pem", &evil_cert.pem(), false);
    write("evil.key", &evil_key.serialize_pem(), true);
    dir
}

/// One of the fixture's servers, with a fresh database of this test on it.
struct Server<'a> {
    fixture: &'a Fixture,
    cluster: &'a PrivateCluster,
    db: String,
}

impl<'a> Server<'a> {
    async fn new(fixture: &'a Fixture, cluster: &'a PrivateCluster) -> Server<'a> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let db = format!("nbx_tls_{}", COUNTER.fetch_add(1, Ordering::Relaxed));
        let admin = PgPool::connect(&cluster.admin_url()).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        Server {
            fixture,
            cluster,
            db,
        }
    }

    /// The URL nb-exodus gets: the non-loopback address, across the veth.
    fn remote_url(&self, query: &str) -> String {
        format!(
            "postgres://postgres@{}:{}/{}{query}",
            self.fixture.host,
            self.cluster.port(),
            self.db
        )
    }

    /// A pool for the test's own checks, over loopback.
    async fn local_pool(&self) -> PgPool {
        PgPool::connect(&with_database(&self.cluster.url(), &self.db))
            .await
            .unwrap()
    }

    /// Names of the schemas nb-exodus would create, if any exist: "nothing written".
    async fn our_schemas(&self) -> Vec<String> {
        let pool = self.local_pool().await;
        let names = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace
              WHERE nspname IN ('sync', 'raw', 'core', 'sensitive', 'gdpr', 'audit') ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        names
    }

    /// The newest row of `sync.runs`.
    async fn last_run(&self) -> RunTls {
        let pool = self.local_pool().await;
        let row = sqlx::query(
            "SELECT status, db_tls, db_tls_version, db_tls_cipher, db_tls_bits, db_sslmode, db_insecure
               FROM sync.runs ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        RunTls {
            status: row.get("status"),
            tls: row.get("db_tls"),
            version: row.get("db_tls_version"),
            cipher: row.get("db_tls_cipher"),
            bits: row.get("db_tls_bits"),
            sslmode: row.get("db_sslmode"),
            insecure: row.get("db_insecure"),
        }
    }
}

/// What `sync.runs` recorded about a run's database connection.
#[derive(Debug)]
struct RunTls {
    status: String,
    tls: Option<bool>,
    version: Option<String>,
    cipher: Option<String>,
    bits: Option<i32>,
    sslmode: Option<String>,
    insecure: Option<bool>,
}

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The `error:` lines on stderr.
    fn errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect()
    }

    /// Asserts the run failed with exit code 2 and exactly one error line, which contains
    /// every needle once; returns it.
    fn refused(&self, needles: &[&str]) -> String {
        assert_eq!(self.code, 2, "exit code 2 expected: {self:#?}");
        let errors = self.errors();
        assert_eq!(errors.len(), 1, "one error line: {self:#?}");
        for needle in needles {
            assert_eq!(
                errors[0].matches(needle).count(),
                1,
                "{needle:?} once in {:?}",
                errors[0]
            );
        }
        eprintln!("refused as expected: {}", errors[0]);
        errors[0].to_owned()
    }

    fn ok(&self) -> &Run {
        assert_eq!(self.code, 0, "exit code 0 expected: {self:#?}");
        self
    }

    fn warnings(&self) -> usize {
        for line in self.stderr.lines().filter(|l| l.starts_with(WARNING)) {
            eprintln!("warned as expected: {line}");
        }
        self.stderr
            .lines()
            .filter(|l| l.starts_with(WARNING))
            .count()
    }
}

/// Runs `nb-exodus ARGS` inside the namespace, with the simulator's token.
async fn nbx(fixture: &Fixture, sim: Option<&RunningSimulator>, args: Vec<String>) -> Run {
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &fixture.net.name,
        env!("CARGO_BIN_EXE_nb-exodus"),
    ])
    .args(&args)
    .env("RUST_LOG", "error");
    for var in [
        "DATABASE_URL",
        "NATIONBUILDER_API_TOKEN",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGHOST",
        "PGHOSTADDR",
    ] {
        cmd.env_remove(var);
    }
    if let Some(sim) = sim {
        cmd.env("NATIONBUILDER_API_TOKEN", &sim.config().token);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("ip netns exec nb-exodus runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A small simulated nation, reachable from the namespace.
fn sim(fixture: &Fixture) -> RunningSimulator {
    Simulator::start(
        SimulatorConfig {
            people: 30,
            rate_limit: None,
            ..SimulatorConfig::default()
        },
        SocketAddr::new(IpAddr::V4(fixture.host), 0),
    )
    .expect("simulator starts")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// `migrate --nation testnation --api-base SIM --database-url URL --rate-limit off --quiet`
/// plus `extra`.
fn migrate_args(sim: &RunningSimulator, url: &str, extra: &[&str]) -> Vec<String> {
    let mut args = strings(&[
        "migrate",
        "--nation",
        "testnation",
        "--api-base",
        sim.base_url(),
        "--database-url",
        url,
        "--rate-limit",
        "off",
        "--quiet",
    ]);
    args.extend(strings(extra));
    args
}

fn ca(fixture: &Fixture, name: &str) -> String {
    fixture.certs.path().join(name).display().to_string()
}

#[tokio::test]
async fn a_server_without_tls_is_refused_and_nothing_is_written() {
    let _turn = shared_turn();
    let Some(fx) = fixture() else { return };
    let server = Server::new(&fx, &fx.plain).await;
    let sim = sim(&fx);
    let url = server.remote_url("");

    let run = nbx(&fx, Some(&sim), migrate_args(&sim, &url, &[])).await;
    let line = run.refused(&[
        "does not offer TLS",
        "verify-full",
        "enable TLS on the server",
        "--insecure-database-connection",
    ]);
    assert!(line.contains(&fx.host.to_string()), "{line}");
    for command in [
        strings(&["db", "migrate", "--database-url", &url]),
        strings(&["status", "--nation", "testnation", "--database-url", &url]),
        strings(&[
            "demo",
            "--people",
            "20",
            "--rate-limit",
            "off",
            "--quiet",
            "--database-url",
            &url,
        ]),
    ] {
        nbx(&fx, Some(&sim), command)
            .await
            .refused(&["does not offer TLS"]);
    }
    assert_eq!(
        server.our_schemas().await,
        Vec::<String>::new(),
        "nothing written"
    );
}

#[tokio::test]
async fn a_self_signed_certificate_for_another_name_is_refused() {
    let _turn = shared_turn();
    let Some(fx) = fixture() else { return };
    let server = Server::new(&fx, &fx.evil).await;
    let sim = sim(&fx);

    let run = nbx(
        &fx,
        Some(&sim),
        migrate_args(&sim, &server.remote_url(""), &[]),
    )
    .await;
    run.refused(&[
        "not signed by a certificate authority nb-exodus trusts",
        "--database-ca",
        "--insecure-database-connection",
    ]);
    assert_eq!(
        server.our_schemas().await,
        Vec::<String>::new(),
        "nothing written"
    );
}

#[tokio::test]
async fn the_forged_certificate_given_as_the_ca_still_fails_the_host_name() {
    let _turn = shared_turn();
    let Some(fx) = fixture() else { return };
    let server = Server::new(&fx, &fx.evil).await;
    let sim = sim(&fx);
    let evil = ca(&fx, "evil.pem");

    let run = nbx(
        &fx,
        Some(&sim),
        migrate_args(&sim, &server.remote_url(""), &["--database-ca", &evil]),
    )
    .await;
    let line = run.refused(&[
        &format!(
            "not valid for the host name {} (it names evil.invalid)",
            fx.host
        ),
        "--insecure-database-connection",
    ]);
    assert!(!line.contains("not signed"), "{line}");
    // The same through the URL's sslrootcert.
    let url = server.remote_url(&format!("?sslrootcert={evil}"));
    nbx(
        &fx,
        Some(&sim),
        strings(&["db", "migrate", "--database-url", &url]),
    )
    .await
    .refused(&["(it names evil.invalid)"]);
    assert_eq!(
        server.our_schemas().await,
        Vec::<String>::new(),
        "nothing written"
    );
}

#[tokio::test]
async fn sslmode_require_is_refused_unless_the_user_opts_out() {
    let _turn = shared_turn();
    let Some(fx) = fixture() else { return };
    let server = Server::new(&fx, &fx.evil).await;
    let sim = sim(&fx);
    let url = server.remote_url("?sslmode=require");

    for extra in [&[][..], &["--database-ca", &ca(&fx, "ca.pem")][..]] {
        let run = nbx(&fx, Some(&sim), migrate_args(&sim, &url, extra)).await;
        run.refused(&[
            "sslmode=require in the database URL",
            "sslmode=verify-full",
            "--database-ca",
            "--insecure-database-connection",
        ]);
    }
    assert_eq!(
        server.our_schemas().await,
        Vec::<String>::new(),
        "nothing written"
    );

    // Opted out: sslmode=require as given, encrypted but unverified, and recorded as such.
    let run = nbx(
        &fx,
        Some(&sim),
        migrate_args(&sim, &url, &["--insecure-database-connection"]),
    )
    .await;
    run.ok();
    assert_eq!(run.warnings(), 1, "{run:#?}");
    assert!(run.stderr.contains("sslmode=require as given"), "{run:#?}");
    let recorded = server.last_run().await;
    assert_eq!(recorded.status, "done");
    assert_eq!(recorded.tls, Some(true), "{recorded:?}");
    assert_eq!(recorded.sslmode.as_deref(), Some("require"));
    assert_eq!(recorded.insecure, Some(true));
}

#[tokio::test]
async fn a_certificate_for_the_address_from_the_given_ca_is_verified_and_recorded() {
    let _turn = shared_turn();
    let Some(fx) = fixture() else { return };
    let server = Server::new(&fx, &fx.good).await;
    let sim = sim(&fx);
    let ca_file = ca(&fx, "ca.pem");
    let url = server.remote_url("");

    // Without the CA the chain leads nowhere.
    nbx(
        &fx,
        None,
        strings(&["db", "migrate", "--database-url", &url]),
    )
    .await
    .refused(&["not signed by a certificate authority"]);

    let run = nbx(
        &fx,
        None,
        strings(&[
            "db",
            "migrate",
            "--database-url",
            &url,
            "--database-ca",
            &ca_file,
        ]),
    )
    .await;
    run.ok();
    assert!(run.stdout.contains("applied"), "{run:#?}");
    let run = nbx(
        &fx,
        Some(&sim),
        migrate_args(&sim, &url, &["--database-ca", &ca_file]),
    )
    .await;
    run.ok();
    assert_eq!(run.warnings(), 0, "{run:#?}");

    let recorded = server.last_run().await;
    assert_eq!(recorded.status, "done");
    assert_eq!(recorded.tls, Some(true), "{recorded:?}");
    assert!(
        recorded
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("TLSv1.")),
        "{recorded:?}"
    );
    assert!(
        recorded.cipher.as_deref().is_some_and(|c| !c.is_empty()),
        "{recorded:?}"
    );
    assert!(recorded.bits.is_some_and(|b| b >= 128), "{recorded:?}");
    assert_eq!(recorded.sslmode.as_deref(), Some("verify-full"));
    assert_eq!(recorded.insecure, Some(false));

    // verify's report shows the verified connection.
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("audit").display().to_string();
    let run = nbx(
        &fx,
        Some(&sim),
        strings(&[
            "verify",
            "--nation",
            "testnation",
            "--api-base",
            sim.base_url(),
            "--database-url",
            &url,
            "--database-ca",
            &ca_file,
            "--rate-limit",
            "off",
            "--sample",
            "10",
            "--out",
            &out_dir,
        ]),
    )
    .await;
    run.ok();
    let report = read_report(&out_dir);
    let tls = &report["database"]["tls"];
    assert_eq!(tls["ssl"], Value::Bool(true), "{tls}");
    assert_eq!(tls["sslmode"], "verify-full", "{tls}");
    assert_eq!(tls["insecure"], Value::Bool(false), "{tls}");
    assert_eq!(report["export"]["insecure_database_runs"], 0);
}

#[tokio::test]
async fn the_opt_out_reaches_a_plaintext_server_warns_and_is_recorded() {
    let _turn = shared_turn();
    let Some(fx) = fixture() else { return };
    let server = Server::new(&fx, &fx.plain).await;
    let sim = sim(&fx);
    let url = server.remote_url("");
    let insecure = "--insecure-database-connection";

    let run = nbx(
        &fx,
        None,
        strings(&["db", "migrate", "--database-url", &url, insecure]),
    )
    .await;
    run.ok();
    assert_eq!(run.warnings(), 1, "{run:#?}");
    let run = nbx(&fx, Some(&sim), migrate_args(&sim, &url, &[insecure])).await;
    run.ok();
    assert_eq!(run.warnings(), 1, "one warning per run: {run:#?}");
    let warning = run.stderr.lines().find(|l| l.starts_with(WARNING)).unwrap();
    assert!(
        warning.contains("is not verified (sslmode=prefer"),
        "{warning}"
    );
    assert!(warning.contains(&fx.host.to_string()), "{warning}");

    let recorded = server.last_run().await;
    assert_eq!(recorded.status, "done");
    assert_eq!(recorded.tls, Some(false), "plaintext: {recorded:?}");
    assert_eq!(
        (recorded.version, recorded.cipher, recorded.bits),
        (None, None, None)
    );
    assert_eq!(recorded.sslmode.as_deref(), Some("prefer"));
    assert_eq!(recorded.insecure, Some(true));

    for command in [
        strings(&[
            "status",
            "--nation",
            "testnation",
            "--database-url",
            &url,
            insecure,
        ]),
        strings(&[
            "remap",
            "--nation",
            "testnation",
            "--database-url",
            &url,
            insecure,
        ]),
    ] {
        let run = nbx(&fx, None, command).await;
        run.ok();
        assert_eq!(run.warnings(), 1, "{run:#?}");
    }
    assert_eq!(
        server.last_run().await.insecure,
        Some(true),
        "remap's run too"
    );

    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("audit").display().to_string();
    let run = nbx(
        &fx,
        Some(&sim),
        strings(&[
            "verify",
            "--nation",
            "testnation",
            "--api-base",
            sim.base_url(),
            "--database-url",
            &url,
            insecure,
            "--rate-limit",
            "off",
            "--sample",
            "10",
            "--out",
            &out_dir,
        ]),
    )
    .await;
    run.ok();
    assert_eq!(run.warnings(), 1, "{run:#?}");
    let report = read_report(&out_dir);
    let tls = &report["database"]["tls"];
    assert_eq!(tls["ssl"], Value::Bool(false), "{tls}");
    assert_eq!(tls["insecure"], Value::Bool(true), "{tls}");
    assert_eq!(tls["sslmode"], "prefer", "{tls}");
    assert_eq!(
        report["export"]["insecure_database_runs"], 2,
        "migrate and remap"
    );
    let markdown = std::fs::read_to_string(Path::new(&out_dir).join("report.md")).unwrap();
    assert!(
        markdown.contains("**Insecure database connection**"),
        "{markdown}"
    );
    assert!(markdown.contains("travelled in plaintext"), "{markdown}");
    assert!(
        markdown.contains("**Insecure export runs**: 2 run(s)"),
        "{markdown}"
    );

    let report_file = Path::new(&out_dir)
        .join("report.json")
        .display()
        .to_string();
    let offline = strings(&[
        "verify",
        "--offline",
        "--report",
        &report_file,
        "--database-url",
        &url,
    ]);
    nbx(&fx, None, offline.clone())
        .await
        .refused(&["does not offer TLS"]);
    let mut with_flag = offline;
    with_flag.push(insecure.to_owned());
    let run = nbx(&fx, None, with_flag).await;
    run.ok();
    assert_eq!(run.warnings(), 1, "{run:#?}");
}

fn read_report(dir: &str) -> Value {
    let path: PathBuf = Path::new(dir).join("report.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}
