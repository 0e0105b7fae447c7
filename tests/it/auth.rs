//! OAuth end to end (issue 13): `nb-exodus auth login` through the loopback callback and
//! through `--paste` against the simulator's `/oauth/*`, a wrong `state` refused, a long
//! migrate across several token expiries, a refresh token used twice stopping the run with the
//! re-login line (resumably), two processes sharing one credentials file, and no token or
//! secret anywhere in logs, reports, tables or messages; `auth import-legacy` exchanging the
//! simulator's legacy token once, and the demo getting its token that way.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nb_exodus::simulator::{OAuthConfig, RunningSimulator, SimulatorConfig};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::migrate::{assert_counts_match, sim_with};
use crate::support::db::TestDb;

const CLIENT_ID: &str = "it-client";
const CLIENT_SECRET: &str = "it-client-secret-5f0c2a9d81b7e3";

/// A nation with OAuth: auto-approving or not, tokens living `ttl`, no rate limit.
fn oauth_sim(people: u64, ttl: Duration, auto_approve: bool) -> RunningSimulator {
    sim_with(SimulatorConfig {
        people,
        rate_limit: None,
        oauth: OAuthConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            token_ttl: ttl,
            auto_approve,
        },
        ..SimulatorConfig::default()
    })
}

/// A working directory with the client secret file; credentials go to `creds.json` in it.
struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("client-secret"),
            format!("{CLIENT_SECRET}\n"),
        )
        .unwrap();
        Desk { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn creds(&self) -> String {
        self.path("creds.json").to_string_lossy().into_owned()
    }
    fn secret_file(&self) -> String {
        self.path("client-secret").to_string_lossy().into_owned()
    }
    /// The stored access and refresh tokens.
    fn tokens(&self) -> (String, String) {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.creds()).unwrap()).unwrap();
        (
            v["access_token"].as_str().unwrap().to_owned(),
            v["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}

/// The binary, with a private config home and no token in the environment.
fn command(desk: &Desk) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_nb-exodus"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("NATIONBUILDER_API_TOKEN")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_CONFIG_HOME", desk.path("config"))
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

fn login_args(sim: &RunningSimulator, desk: &Desk) -> Vec<String> {
    [
        "auth",
        "login",
        "--nation",
        "testnation",
        "--api-base",
        sim.base_url(),
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        &desk.secret_file(),
        "--credentials",
        &desk.creds(),
        "--timeout",
        "60",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// An HTTP client that does not follow redirects (the test plays the browser).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Reads the child's stdout until the authorize URL (an indented `http…` line).
async fn authorize_url(stdout: &mut BufReader<tokio::process::ChildStdout>) -> String {
    let mut printed = String::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).await.unwrap() == 0 {
                return None;
            }
            printed.push_str(&line);
            if let Some(url) = line.trim().strip_prefix("http") {
                return Some(format!("http{url}"));
            }
        }
    })
    .await;
    found
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no authorize URL printed: {printed}"))
}

/// Where the simulator's authorize step redirects (the callback address with code and state).
async fn approve(url: &str) -> String {
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 302, "auto-approve redirects");
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Output of a finished child: (exit code, stdout, stderr).
async fn finish(child: tokio::process::Child) -> (i32, String, String) {
    let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
        .await
        .expect("the command finishes")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `auth login` through the loopback callback, the test following the redirect like a
/// browser. Returns the command's output.
async fn login_via_callback(sim: &RunningSimulator, desk: &Desk) -> (i32, String, String) {
    let mut child = command(desk)
        .args(login_args(sim, desk))
        .args(["--redirect-port", "0", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = authorize_url(&mut stdout).await;
    let callback = approve(&url).await;
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
    let page = browser().get(&callback).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let mut rest = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut rest)
        .await
        .unwrap();
    let (code, _, err) = finish(child).await;
    (code, rest, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_through_the_loopback_callback_stores_private_credentials() {
    let sim = oauth_sim(50, Duration::from_secs(86_400), true);
    let desk = Desk::new();
    let (code, out, err) = login_via_callback(&sim, &desk).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Logged in to nation testnation"), "{out}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(desk.creds())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(desk.creds()).unwrap();
    assert!(
        !text.contains(CLIENT_SECRET),
        "the secret itself is never stored"
    );
    assert!(text.contains(&desk.secret_file()), "its path is");
    let manifest = sim.manifest();
    assert_eq!((manifest.code_grants, manifest.refresh_grants), (1, 0));

    // status names the nation and expiry, never a token; refresh rotates; logout forgets.
    let (access, refresh) = desk.tokens();
    let status = command(&desk)
        .args([
            "auth",
            "status",
            "--nation",
            "testnation",
            "--credentials",
            &desk.creds(),
        ])
        .output()
        .await
        .unwrap();
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success() && shown.contains("expires"),
        "{shown}"
    );
    assert!(
        !shown.contains(&access) && !shown.contains(&refresh),
        "{shown}"
    );
    let refreshed = command(&desk)
        .args([
            "auth",
            "refresh",
            "--nation",
            "testnation",
            "--credentials",
            &desk.creds(),
        ])
        .output()
        .await
        .unwrap();
    assert!(refreshed.status.success(), "{refreshed:?}");
    let (access2, refresh2) = desk.tokens();
    assert!(access2 != access && refresh2 != refresh, "rotated");
    assert_eq!(sim.manifest().refresh_grants, 1);
    let logout = command(&desk)
        .args([
            "auth",
            "logout",
            "--nation",
            "testnation",
            "--credentials",
            &desk.creds(),
        ])
        .output()
        .await
        .unwrap();
    assert!(logout.status.success());
    assert!(String::from_utf8_lossy(&logout.stdout).contains("control panel"));
    assert!(!Path::new(&desk.creds()).exists());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_paste_through_the_approval_page() {
    // No auto-approve: the approval page's form is submitted, as an admin would.
    let sim = oauth_sim(50, Duration::from_secs(86_400), false);
    let desk = Desk::new();
    let mut child = command(&desk)
        .args(login_args(&sim, &desk))
        .arg("--paste")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = authorize_url(&mut stdout).await;
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A8917%2Fcallback"),
        "{url}"
    );
    let page = browser().get(&url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form") && html.contains("approve"), "{html}");
    let query = url.split_once('?').unwrap().1;
    let approved = browser()
        .post(format!("{}/oauth/authorize", sim.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{query}&decision=approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status().as_u16(), 302);
    let location = approved.headers()["location"].to_str().unwrap().to_owned();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{location}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let (code, out, err) = finish(child).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(Path::new(&desk.creds()).exists());
    assert_eq!(sim.manifest().code_grants, 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_with_the_wrong_state_is_refused() {
    let sim = oauth_sim(50, Duration::from_secs(86_400), true);
    let desk = Desk::new();
    let mut child = command(&desk)
        .args(login_args(&sim, &desk))
        .args(["--redirect-port", "0", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = authorize_url(&mut stdout).await;
    let callback = approve(&url).await;
    let mut forged = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "state" {
                (k, "forged".into())
            } else {
                (k, v)
            }
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let page = browser().get(forged.as_str()).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 400);
    drop(stdout);
    let (code, _, err) = finish(child).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`state` does not match"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!Path::new(&desk.creds()).exists(), "nothing stored");
    assert_eq!(
        sim.manifest().code_grants,
        0,
        "the code was never exchanged"
    );
    sim.shutdown().await;
}

/// `migrate` reading the credentials file, `-vv` when `verbose`.
fn migrate_args(sim: &RunningSimulator, db: &TestDb, desk: &Desk, verbose: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "migrate",
        "--nation",
        "testnation",
        "--api-base",
        sim.base_url(),
        "--database-url",
        db.url(),
        "--rate-limit",
        "off",
        "--credentials",
        &desk.creds(),
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if verbose {
        args.push("-vv".into());
    }
    args
}

/// Every row of every table of the test database, as text.
async fn dump(db: &TestDb) -> String {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "select table_schema::text, table_name::text from information_schema.tables \
         where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut text = String::new();
    for (schema, table) in tables {
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "select row_to_json(t)::text from \"{schema}\".\"{table}\" t"
        ))
        .fetch_all(db.pool())
        .await
        .unwrap();
        for row in rows {
            text.push_str(&row);
            text.push('\n');
        }
    }
    text
}

/// A 5,000-person migrate with 15 s tokens: several refreshes, no failed request, tables equal
/// to the source; then verify through the same store. At `-vv`, no token or secret appears in
/// any output, report or table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrate_across_several_expiries_completes_and_leaks_nothing() {
    let sim = oauth_sim(5000, Duration::from_secs(15), true);
    let desk = Desk::new();
    let db = TestDb::new().await;
    let (code, login_out, login_err) = login_via_callback(&sim, &desk).await;
    assert_eq!(code, 0, "{login_err}");
    let first = desk.tokens();
    let started = Instant::now();
    let migrate = command(&desk)
        .args(migrate_args(&sim, &db, &desk, true))
        .env_remove("RUST_LOG")
        .arg("--json")
        .output()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let migrate_out = String::from_utf8_lossy(&migrate.stdout).into_owned();
    let migrate_err = String::from_utf8_lossy(&migrate.stderr).into_owned();
    assert!(
        migrate.status.success(),
        "{}",
        migrate_err
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let manifest = sim.manifest();
    eprintln!(
        "15s-ttl migrate of 5000 people: {:.1} s, {} requests, {} refresh grants, {} 401s",
        elapsed.as_secs_f64(),
        manifest.requests,
        manifest.refresh_grants,
        manifest.unauthorized
    );
    assert_eq!(
        manifest.unauthorized, 0,
        "every token was refreshed before it expired"
    );
    assert_eq!(manifest.faults, 0);
    // 15 s tokens are refreshed 3 s before they expire, counted in whole seconds: one grant
    // every 11 to 12 s of run.
    let (fewest, most) = (elapsed.as_secs() / 12, elapsed.as_secs() / 11 + 1);
    assert!(
        (fewest..=most).contains(&manifest.refresh_grants) && manifest.refresh_grants >= 1,
        "one refresh per expiry: {} in {elapsed:?}",
        manifest.refresh_grants
    );
    let summary: serde_json::Value = serde_json::from_str(&migrate_out).unwrap();
    assert_eq!(summary["retries"], 0, "{migrate_out}");
    assert_counts_match(db.pool(), &manifest).await;

    let report = desk.path("report");
    let verify = command(&desk)
        .args([
            "verify",
            "--nation",
            "testnation",
            "--api-base",
            sim.base_url(),
            "--database-url",
            db.url(),
            "--rate-limit",
            "off",
            "--credentials",
            &desk.creds(),
            "--sample",
            "20",
            "--out",
            &report.to_string_lossy(),
            "-vv",
        ])
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    let verify_text = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        verify.status.success(),
        "{}",
        verify_text
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let status = command(&desk)
        .args([
            "status",
            "--nation",
            "testnation",
            "--database-url",
            db.url(),
            "--credentials",
            &desk.creds(),
        ])
        .output()
        .await
        .unwrap();
    let status_text = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(status_text.contains("credentials:"), "{status_text}");

    let last = desk.tokens();
    let mut haystack =
        format!("{login_out}{login_err}{migrate_out}{migrate_err}{verify_text}{status_text}");
    for entry in std::fs::read_dir(&report).unwrap() {
        haystack.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry.unwrap().path()).unwrap(),
        ));
    }
    haystack.push_str(&dump(&db).await);
    assert!(
        migrate_err.contains("TRACE") || migrate_err.len() > 10_000,
        "-vv logged"
    );
    for (what, secret) in [
        ("first access token", &first.0),
        ("first refresh token", &first.1),
        ("last access token", &last.0),
        ("last refresh token", &last.1),
        ("client secret", &CLIENT_SECRET.to_owned()),
    ] {
        assert!(!haystack.contains(secret.as_str()), "the {what} leaked");
    }
    sim.shutdown().await;
}

/// Another process spent the refresh token: the run stops with the one re-login line, exit 2,
/// keeping what it committed; after a new login the same command completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_used_twice_stops_the_run_resumably() {
    let sim = oauth_sim(3000, Duration::from_secs(4), true);
    let desk = Desk::new();
    let db = TestDb::new().await;
    let (code, _, err) = login_via_callback(&sim, &desk).await;
    assert_eq!(code, 0, "{err}");
    // Someone else uses the stored refresh token (a copy of the file on another machine).
    let (_, refresh) = desk.tokens();
    let spent = browser()
        .post(format!("{}/oauth/token", sim.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(spent.status().as_u16(), 200);
    let stopped = command(&desk)
        .args(migrate_args(&sim, &db, &desk, false))
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&stopped.stderr).into_owned();
    assert_eq!(stopped.status.code(), Some(2), "{err}");
    let line = err.trim().lines().last().unwrap_or_default();
    assert!(
        line.contains("re-run `nb-exodus auth login --nation testnation`"),
        "{err}"
    );
    assert!(line.contains("invalid_grant"), "{line}");
    assert!(!err.contains(&refresh), "{err}");
    let committed: i64 = sqlx::query_scalar(
        "select coalesce(sum(pages), 0)::bigint from sync.checkpoints where nation = 'testnation'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    eprintln!("stopped after {committed} committed pages");

    let (code, _, err) = login_via_callback(&sim, &desk).await;
    assert_eq!(code, 0, "{err}");
    let resumed = command(&desk)
        .args(migrate_args(&sim, &db, &desk, false))
        .output()
        .await
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_counts_match(db.pool(), &sim.manifest()).await;
    sim.shutdown().await;
}

/// Two runs share one credentials file: at each expiry one of them refreshes and the other
/// adopts the stored token (if both refreshed, the second would spend a dead refresh token and
/// stop).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_the_credentials_never_both_refresh() {
    let sim = oauth_sim(2500, Duration::from_secs(4), true);
    let desk = Desk::new();
    let (one, two) = (TestDb::new().await, TestDb::new().await);
    let (code, _, err) = login_via_callback(&sim, &desk).await;
    assert_eq!(code, 0, "{err}");
    let started = Instant::now();
    let a = command(&desk)
        .args(migrate_args(&sim, &one, &desk, false))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = command(&desk)
        .args(migrate_args(&sim, &two, &desk, false))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ((code_a, _, err_a), (code_b, _, err_b)) = tokio::join!(finish(a), finish(b));
    let elapsed = started.elapsed();
    assert_eq!((code_a, code_b), (0, 0), "{err_a}\n{err_b}");
    let manifest = sim.manifest();
    // Tokens of 4 s are refreshed 1 s before expiry, counted in whole seconds: one grant
    // every 2 to 3 s of run between both processes. Two processes refreshing for the same
    // expiry would double that, and one of them would spend a dead refresh token and stop.
    let most = elapsed.as_secs() / 2 + 1;
    eprintln!(
        "two runs in {:.1} s: {} refresh grants (at most {most}), {} 401s",
        elapsed.as_secs_f64(),
        manifest.refresh_grants,
        manifest.unauthorized
    );
    assert!(manifest.refresh_grants >= 1, "the runs outlived a token");
    assert!(
        manifest.refresh_grants <= most,
        "{} grants in {elapsed:?}",
        manifest.refresh_grants
    );
    assert_counts_match(one.pool(), &manifest).await;
    assert_counts_match(two.pool(), &manifest).await;
    sim.shutdown().await;
}

/// An access token rejected before its stored expiry (revoked, or a clock far off) is
/// refreshed once on the 401 and the request retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_refreshes_once_and_the_request_is_retried() {
    let sim = oauth_sim(200, Duration::from_secs(2), true);
    let desk = Desk::new();
    let db = TestDb::new().await;
    let (code, _, err) = login_via_callback(&sim, &desk).await;
    assert_eq!(code, 0, "{err}");
    // The file claims a day of life; the server's token dies after 2 s.
    let text = std::fs::read_to_string(desk.creds()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["expires_in"] = 86_400.into();
    std::fs::write(desk.creds(), v.to_string()).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let out = command(&desk)
        .args(migrate_args(&sim, &db, &desk, false))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = sim.manifest();
    assert!(manifest.unauthorized >= 1, "{manifest:?}");
    assert!(manifest.refresh_grants >= 1);
    assert_counts_match(db.pool(), &manifest).await;
    sim.shutdown().await;
}

/// The simulator's legacy token in the import tests (its `--token`).
const LEGACY_TOKEN: &str = "it-legacy-token-3c91e07b5d24af68";

/// `auth import-legacy` with the desk's legacy token file.
fn import_legacy_args(sim: &RunningSimulator, desk: &Desk) -> Vec<String> {
    [
        "auth",
        "import-legacy",
        "--nation",
        "testnation",
        "--api-base",
        sim.base_url(),
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        &desk.secret_file(),
        "--token-file",
        &desk.path("legacy-token").to_string_lossy(),
        "--credentials",
        &desk.creds(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Output of a finished command as (exit code, stdout, stderr).
fn outcome(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A legacy token exchanged once as a refresh token: `auth import-legacy` stores private
/// credentials (one refresh grant, no code grant), `auth status` shows them without a token,
/// a migrate through them completes with tables equal to the source, and a second import of
/// the same legacy token is refused (exit 2, one line) without touching the stored ones. The
/// legacy token and the client secret appear in no output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_legacy_exchanges_the_legacy_token_once_and_migrates_through_it() {
    let sim = sim_with(SimulatorConfig {
        people: 300,
        token: LEGACY_TOKEN.into(),
        rate_limit: None,
        oauth: OAuthConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            token_ttl: Duration::from_secs(86_400),
            auto_approve: false,
        },
        ..SimulatorConfig::default()
    });
    let desk = Desk::new();
    let db = TestDb::new().await;
    std::fs::write(desk.path("legacy-token"), format!("{LEGACY_TOKEN}\n")).unwrap();
    let mut seen = String::new();

    let (code, out, err) = outcome(
        command(&desk)
            .args(import_legacy_args(&sim, &desk))
            .output()
            .await
            .unwrap(),
    );
    seen.push_str(&format!("{out}{err}"));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("legacy token of nation testnation was exchanged"),
        "{out}"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(desk.creds())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let stored = std::fs::read_to_string(desk.creds()).unwrap();
    assert!(
        !stored.contains(CLIENT_SECRET),
        "the secret is never stored"
    );
    assert!(
        !stored.contains(LEGACY_TOKEN),
        "the spent legacy token is not kept"
    );
    assert!(stored.contains(&desk.secret_file()), "the secret's path is");
    let (access, refresh) = desk.tokens();
    assert!(access != LEGACY_TOKEN && refresh != LEGACY_TOKEN);
    let manifest = sim.manifest();
    assert_eq!(
        (manifest.refresh_grants, manifest.code_grants),
        (1, 0),
        "one refresh grant: the exchange"
    );

    let (code, out, err) = outcome(
        command(&desk)
            .args([
                "auth",
                "status",
                "--nation",
                "testnation",
                "--credentials",
                &desk.creds(),
            ])
            .output()
            .await
            .unwrap(),
    );
    seen.push_str(&format!("{out}{err}"));
    assert_eq!(code, 0, "{out}\n{err}");
    for shown in [
        "nation:          testnation",
        "expires",
        "refresh token:   stored",
        &format!("client id:       {CLIENT_ID}"),
        &desk.creds(),
    ] {
        assert!(out.contains(shown), "status shows {shown:?}: {out}");
    }
    assert!(!out.contains(&access) && !out.contains(&refresh), "{out}");

    let (code, out, err) = outcome(
        command(&desk)
            .args(migrate_args(&sim, &db, &desk, false))
            .output()
            .await
            .unwrap(),
    );
    seen.push_str(&format!("{out}{err}"));
    assert_eq!(code, 0, "{out}\n{err}");
    let manifest = sim.manifest();
    assert_counts_match(db.pool(), &manifest).await;
    assert_eq!(manifest.unauthorized, 0, "{manifest:?}");
    assert_eq!(
        manifest.refresh_grants, 1,
        "a 24 h token needs no refresh during the run"
    );

    // The legacy token is spent: a second import is refused and the stored credentials stay.
    let (code, out, err) = outcome(
        command(&desk)
            .args(import_legacy_args(&sim, &desk))
            .output()
            .await
            .unwrap(),
    );
    seen.push_str(&format!("{out}{err}"));
    assert_eq!(code, 2, "{out}\n{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    let line = err.trim();
    assert!(
        line.contains("legacy token was refused: it can be exchanged only once")
            && line.contains("`nb-exodus auth status --nation testnation`")
            && line.contains("invalid_grant"),
        "{line}"
    );
    assert_eq!(
        std::fs::read_to_string(desk.creds()).unwrap(),
        stored,
        "the refused import leaves the stored credentials as they were"
    );
    assert_eq!(
        sim.manifest().refresh_grants,
        1,
        "a refused grant is not counted"
    );

    for (what, secret) in [
        ("legacy token", LEGACY_TOKEN),
        ("client secret", CLIENT_SECRET),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
    ] {
        assert!(!seen.contains(secret), "the {what} appeared in an output");
    }
    let tables = dump(&db).await;
    for secret in [
        LEGACY_TOKEN,
        CLIENT_SECRET,
        access.as_str(),
        refresh.as_str(),
    ] {
        assert!(!tables.contains(secret), "a secret in the database");
    }
    sim.shutdown().await;
}

/// The demo's legacy token, as `nb-exodus demo` derives it from the seed.
fn demo_legacy_token(seed: u64) -> String {
    format!("demo-{:016x}", seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// `nb-exodus demo` gets its token from the simulated nation's OAuth: one line says so and
/// names the credentials file, which sits in the data directory (0600, in a 0700 directory,
/// never under the config directory); with 1 s tokens the run refreshes and still balances;
/// `auth status` reads the file; no token or secret appears in the output.
#[test]
fn demo_takes_its_token_from_the_simulated_nations_oauth() {
    let _turn = crate::support::db::shared_turn();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    let nbx = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("NATIONBUILDER_API_TOKEN")
            .env("XDG_CONFIG_HOME", &config)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        outcome(out)
    };
    let data_arg = data.to_string_lossy().into_owned();
    let (code, out, err) = nbx(&[
        "demo",
        "--people",
        "300",
        "--rate-limit",
        "off",
        "--quiet",
        "--token-ttl",
        "1s",
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let said: Vec<&str> = out.lines().filter(|l| l.contains("OAuth")).collect();
    assert_eq!(said.len(), 1, "{out}");
    assert!(
        said[0].contains("legacy token, exchanged once") && said[0].contains("1 s"),
        "{}",
        said[0]
    );
    let creds = data.join("nb-exodus-demo-credentials").join("demo.json");
    assert!(
        said[0].contains(&creds.display().to_string()),
        "{}",
        said[0]
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&creds), 0o600);
    assert_eq!(mode(creds.parent().unwrap()), 0o700);
    assert_eq!(
        mode(&creds.with_file_name("client-secret")),
        0o600,
        "the demo app's client secret"
    );
    assert!(!config.exists(), "nothing under the config directory");
    let migrated = out
        .lines()
        .find(|l| l.starts_with("migrated in"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(migrated.contains("token refresh"), "{migrated}");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["core.people", "300", "300"]),
        "{out}"
    );

    let creds_arg = creds.to_string_lossy().into_owned();
    let (code, status, err) = nbx(&[
        "auth",
        "status",
        "--nation",
        "demo",
        "--credentials",
        &creds_arg,
    ]);
    assert_eq!(code, 0, "{status}\n{err}");
    assert!(
        status.contains("client id:       nb-exodus-demo"),
        "{status}"
    );

    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&creds).unwrap()).unwrap();
    let secret = std::fs::read_to_string(creds.with_file_name("client-secret")).unwrap();
    let seen = format!("{out}{err}{status}");
    for (what, value) in [
        ("legacy token", demo_legacy_token(42)),
        ("client secret", secret.trim().to_owned()),
        (
            "access token",
            stored["access_token"].as_str().unwrap().to_owned(),
        ),
        (
            "refresh token",
            stored["refresh_token"].as_str().unwrap().to_owned(),
        ),
    ] {
        assert!(value.len() >= 16, "{what}");
        assert!(!seen.contains(&value), "the {what} appeared in an output");
    }
}
