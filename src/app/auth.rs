//! `nb-exodus auth login|status|refresh|logout|import-legacy`: resolves the nation, API base
//! and credentials file, runs the flows of [`crate::auth`] and prints what happened — expiry
//! times, the file, what to do next; never a token or the secret.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::auth::{self, AppIdentity, CredentialStore, Credentials, Receive};
use crate::cli::auth::{AppArgs, AuthCommand, AuthTargetArgs};
use crate::config;

/// Runs one `auth` subcommand.
pub(crate) async fn run(command: AuthCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuthCommand::Login(args) => {
            let (app, store) = identity(&args.target, &args.app)?;
            let receive = if args.paste {
                Receive::Paste(args.redirect_port)
            } else {
                Receive::Callback(args.redirect_port)
            };
            let open = !args.paste && !args.no_browser;
            let mut announce = |url: &url::Url, redirect_uri: &str| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(
                    out,
                    "Open this address in a browser where you are signed in to nation {} as an admin, and authorize the app:\n\n  {url}\n",
                    app.nation
                );
                if args.paste {
                    let _ = writeln!(
                        out,
                        "After you authorize, the browser is sent to {redirect_uri}?code=… and shows an error page (nothing listens there: that is expected).\nCopy that whole address from the address bar, paste it here and press Enter:"
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "Waiting up to {} s for NationBuilder to send the browser back to {redirect_uri} …",
                        args.timeout
                    );
                }
                let _ = out.flush();
                if open && auth::login::open_browser(url.as_str()) {
                    let _ = writeln!(out, "(asked the desktop to open it in your browser)");
                }
            };
            let credentials = auth::login(
                &app,
                &store,
                receive,
                Duration::from_secs(args.timeout.max(1)),
                &mut announce,
            )
            .await
            .with_context(|| format!("logging in to nation {}", app.nation))?;
            println!("Logged in to nation {}.", app.nation);
            describe(&credentials, &store);
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::ImportLegacy(args) => {
            let (app, store) = identity(&args.target, &args.app)?;
            let legacy = auth::read_secret_file(&args.token_file, "legacy token")?;
            let credentials = auth::import_legacy(&app, &store, &legacy)
                .await
                .with_context(|| format!("exchanging the legacy token of nation {}", app.nation))
                .map_err(|e| spent_legacy(e, &app.nation))?;
            println!(
                "The legacy token of nation {} was exchanged for expiring tokens (it no longer works as a refresh token; delete {}).",
                app.nation,
                args.token_file.display()
            );
            describe(&credentials, &store);
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::Status(target) => {
            let (nation, _, path) = resolve(&target)?;
            let store = CredentialStore::new(path);
            let credentials = store.read(&nation)?;
            println!("nation:          {nation}");
            describe(&credentials, &store);
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::Refresh(target) => {
            let (nation, _, path) = resolve(&target)?;
            let store = CredentialStore::new(path);
            let credentials = auth::refresh_now(&store, &nation)
                .await
                .with_context(|| format!("refreshing the access token of nation {nation}"))
                .map_err(|e| relogin(e, &nation))?;
            println!("Refreshed the access token of nation {nation}.");
            describe(&credentials, &store);
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::Logout(target) => {
            let (nation, _, path) = resolve(&target)?;
            let store = CredentialStore::new(path);
            let removed = store.remove().await?;
            if removed {
                println!(
                    "Forgot the credentials of nation {nation} ({}).",
                    store.path().display()
                );
            } else {
                println!(
                    "No credentials of nation {nation} were stored ({}).",
                    store.path().display()
                );
            }
            println!(
                "The tokens stay valid at NationBuilder until they expire: to revoke them, remove the app's access in the nation's control panel (Settings → Developer)."
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A refused refresh said as what to do: log in again.
fn relogin(err: anyhow::Error, nation: &str) -> anyhow::Error {
    let refused = err.chain().any(|e| {
        matches!(
            e.downcast_ref::<auth::AuthError>(),
            Some(auth::AuthError::Refused { .. } | auth::AuthError::NoRefreshToken)
        )
    });
    if refused {
        err.context(format!(
            "the stored authorization no longer works: re-run `nb-exodus auth login --nation {nation}`"
        ))
    } else {
        err
    }
}

/// A legacy token the server refuses as a grant said as what it most likely means: it was
/// exchanged already (it works once) or revoked.
fn spent_legacy(err: anyhow::Error, nation: &str) -> anyhow::Error {
    let refused = err.chain().any(|e| {
        matches!(
            e.downcast_ref::<auth::AuthError>(),
            Some(auth::AuthError::Refused { error, .. }) if error == "invalid_grant"
        )
    });
    if refused {
        err.context(format!(
            "the legacy token was refused: it can be exchanged only once, so it was imported \
             already (`nb-exodus auth status --nation {nation}` shows the stored credentials) or \
             it was revoked; if nothing is stored, run `nb-exodus auth login --nation {nation}`"
        ))
    } else {
        err
    }
}

fn resolve(target: &AuthTargetArgs) -> anyhow::Result<(String, url::Url, std::path::PathBuf)> {
    Ok(config::resolve_auth(
        target.nation.clone(),
        target.api_base.clone(),
        target.credentials.clone(),
        target.config.as_deref(),
    )?)
}

fn identity(
    target: &AuthTargetArgs,
    app: &AppArgs,
) -> anyhow::Result<(AppIdentity, CredentialStore)> {
    let (nation, api_base, path) = resolve(target)?;
    if app.client_id.trim().is_empty() {
        anyhow::bail!("--client-id is empty: give the app's client id (Settings → Developer)");
    }
    Ok((
        AppIdentity {
            nation,
            api_base,
            client_id: app.client_id.trim().to_owned(),
            client_secret_file: app.client_secret_file.clone(),
        },
        CredentialStore::new(path),
    ))
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time.
fn when(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// Prints what the credentials say, without any token.
fn describe(c: &Credentials, store: &CredentialStore) {
    let now = auth::now();
    let expiry = match c.expires_at() {
        Some(at) if at > now => format!("expires {} (in {})", when(at), left(at - now)),
        Some(at) => format!("expired {} (it is refreshed at the next run)", when(at)),
        None => "does not expire (a legacy-style token)".into(),
    };
    println!("access token:    {expiry}");
    println!(
        "refresh token:   {}",
        if c.refresh_token.is_some() {
            "stored"
        } else {
            "none (log in again when the access token stops working)"
        }
    );
    println!("authorized:      {}", when(c.authorized_at));
    println!(
        "last refreshed:  {}",
        c.refreshed_at.map_or_else(|| "never".into(), when)
    );
    println!("client id:       {}", c.client_id);
    println!(
        "client secret:   read from {}",
        c.client_secret_file.display()
    );
    println!("API:             {}", c.api_base);
    println!("credentials:     {} (mode 0600)", store.path().display());
}

fn left(secs: i64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// One line on the nation's stored credentials for `status` (file, expiry, last refresh), or
/// `None` when there is no credentials file; never a token.
pub(crate) fn credentials_summary(nation: &str, given: Option<&std::path::Path>) -> Option<String> {
    let path = auth::store::path_for(nation, given).ok()?;
    let store = CredentialStore::new(path);
    if !store.exists() {
        return None;
    }
    Some(match store.read(nation) {
        Ok(c) => {
            let now = auth::now();
            let expiry = match c.expires_at() {
                Some(at) if at > now => format!("access token expires {}", when(at)),
                Some(at) => format!(
                    "access token expired {} (refreshed at the next run)",
                    when(at)
                ),
                None => "access token does not expire".into(),
            };
            format!(
                "{} — {expiry}, last refreshed {}",
                store.path().display(),
                c.refreshed_at.map_or_else(|| "never".into(), when)
            )
        }
        Err(err) => format!("{}: {err}", store.path().display()),
    })
}
