//! OAuth for NationBuilder: how nb-exodus obtains, stores and refreshes the tokens a real
//! nation issues. A current token expires after 24 hours and every refresh rotates the refresh
//! token (the old one dies), so this module keeps the rotation safe across long runs and
//! concurrent processes.
//!
//! - [`oauth`]: the pure parts (state, PKCE S256, authorize URL, reading the code back, token
//!   responses, expiry arithmetic);
//! - [`endpoint`]: `POST /oauth/token` (code exchange and refresh grants);
//! - [`login`]: the loopback callback and the paste flow;
//! - [`store`]: the credentials file (0600, atomic writes, an exclusive lock);
//! - [`source`]: [`StoreTokens`], the refreshing [`TokenSource`] of migrate, verify and
//!   inventory.
//!
//! The commands (`nb-exodus auth login|status|refresh|logout|import-legacy`) are built from
//! the functions here by [`crate::app`]. Tokens and the client secret are [`Secret`]s: never
//! logged, never in an error message, never in the database.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub mod endpoint;
pub mod login;
pub mod oauth;
pub mod source;
pub mod store;

pub use source::StoreTokens;
pub use store::{CredentialStore, Credentials};

use crate::fetch::token::{Secret, StaticToken, TokenSource};

/// How a command authenticates to the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A token given as it is (`NATIONBUILDER_API_TOKEN`, `--token-file`): never refreshed.
    Static(Secret),
    /// The credentials file of the nation (`--credentials`, or the default place).
    Stored(PathBuf),
}

impl From<&str> for Credential {
    /// A static token.
    fn from(token: &str) -> Self {
        Credential::Static(Secret::new(token))
    }
}

/// Why an OAuth step failed. No variant carries a token or the client secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The credentials file cannot be used.
    #[error("credentials file {path}: {why}; log in again with `nb-exodus auth login`")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// No credentials are stored for the nation.
    #[error(
        "no credentials for nation {nation} in {path}: run `nb-exodus auth login --nation {nation} \
         --client-id ID --client-secret-file PATH` first (or give a token with \
         NATIONBUILDER_API_TOKEN or --token-file)"
    )]
    NotLoggedIn {
        /// The nation.
        nation: String,
        /// Where they were looked for.
        path: PathBuf,
    },
    /// The file belongs to another nation.
    #[error("credentials file {path} is for nation {stored}, not {wanted}")]
    WrongNation {
        /// The file.
        path: PathBuf,
        /// The nation it holds.
        stored: String,
        /// The nation asked for.
        wanted: String,
    },
    /// The file's tokens were issued by another origin than the API this run reads.
    #[error(
        "credentials file {path} holds tokens issued by {stored}, but this command reads the API \
         at {wanted}; log in against {wanted} (`nb-exodus auth login --api-base …`) or fix \
         --api-base"
    )]
    WrongOrigin {
        /// The file.
        path: PathBuf,
        /// Where the tokens come from.
        stored: String,
        /// Where this command goes.
        wanted: String,
    },
    /// Another process held the credentials lock for too long.
    #[error(
        "another nb-exodus process has held the credentials lock {path} for {secs} s; try again \
         when it has finished refreshing"
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// How long was waited.
        secs: u64,
    },
    /// The callback's `state` is not this login's: it was refused.
    #[error(
        "the authorization's `state` does not match this login (a stale or forged callback); \
         refused — run `nb-exodus auth login` again"
    )]
    StateMismatch,
    /// The admin did not approve the app.
    #[error("NationBuilder did not authorize the app ({error}); run `nb-exodus auth login` again")]
    Denied {
        /// The `error` of the redirect (`access_denied`).
        error: String,
    },
    /// The token endpoint refused the grant.
    #[error(
        "NationBuilder refused the token request (HTTP {status}, {error}{}{description})",
        if description.is_empty() { "" } else { ": " }
    )]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The OAuth error code (`invalid_grant`, `invalid_client`…).
        error: String,
        /// The server's description.
        description: String,
    },
    /// The stored authorization has no refresh token (a legacy token that cannot be refreshed).
    #[error("no refresh token is stored")]
    NoRefreshToken,
    /// The token endpoint could not be reached or kept failing.
    #[error("token endpoint: {0}")]
    Endpoint(String),
    /// The callback could not be received.
    #[error("{0}")]
    Callback(String),
    /// The wait for the callback or the pasted line ran out.
    #[error(
        "no authorization arrived within {secs} s; run `nb-exodus auth login` again (a longer \
         --timeout, or --paste on a machine without a browser)"
    )]
    Timeout {
        /// The wait, in seconds.
        secs: u64,
    },
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    /// A flag or pasted text cannot be used.
    #[error("{0}")]
    Input(String),
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Reads a secret from a file (trimmed; refused when empty).
pub fn read_secret_file(path: &Path, what: &str) -> Result<Secret, AuthError> {
    let text = std::fs::read_to_string(path).map_err(|source| AuthError::Io {
        path: path.to_owned(),
        source,
    })?;
    let value = text.trim();
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AuthError::Input(format!(
            "{}: expected the {what} alone on one line",
            path.display()
        )));
    }
    Ok(Secret::new(value))
}

/// The app's identity, with the secret read from its file now.
pub fn client(id: &str, secret_file: &Path) -> Result<endpoint::Client, AuthError> {
    Ok(endpoint::Client {
        id: id.to_owned(),
        secret: read_secret_file(secret_file, "client secret")?,
    })
}

/// The token source of a command: the static token as it is, or the nation's credentials file.
pub fn token_source(
    credential: &Credential,
    nation: &str,
    api_base: &Url,
) -> Result<Arc<dyn TokenSource>, AuthError> {
    Ok(match credential {
        Credential::Static(token) => Arc::new(StaticToken::new(token.clone())),
        Credential::Stored(path) => {
            StoreTokens::open(CredentialStore::new(path.clone()), nation, api_base)?
        }
    })
}

/// Who asks for the authorization.
#[derive(Debug, Clone)]
pub struct AppIdentity {
    /// The nation slug.
    pub nation: String,
    /// The API base; the OAuth endpoints are on its origin.
    pub api_base: Url,
    /// The client id.
    pub client_id: String,
    /// The file holding the client secret.
    pub client_secret_file: PathBuf,
}

/// How the code comes back.
#[derive(Debug, Clone, Copy)]
pub enum Receive {
    /// On the loopback callback at this port (0: any free port).
    Callback(u16),
    /// Pasted on standard input; the browser is sent to the callback URL at this port (the
    /// one registered for the app), where nothing listens: the user copies the address.
    Paste(u16),
}

/// What a login prints before it waits: the URL to open, and whether a browser was asked.
pub type Announce<'a> = &'a mut (dyn FnMut(&Url, &str) + Send);

/// The authorization-code flow: builds state and PKCE, announces the authorize URL (the
/// caller prints it and may open a browser), waits at most `timeout` for the code, checks
/// `state`, exchanges the code and stores the credentials (under the store's lock).
pub async fn login(
    app: &AppIdentity,
    store: &CredentialStore,
    receive: Receive,
    timeout: Duration,
    announce: Announce<'_>,
) -> Result<Credentials, AuthError> {
    let client = client(&app.client_id, &app.client_secret_file)?;
    let state = oauth::new_state()?;
    let pkce = oauth::Pkce::new()?;
    let endpoint = endpoint::TokenEndpoint::new(&app.api_base)?;
    let (code, redirect_uri) = match receive {
        Receive::Callback(port) => {
            let (listener, port) = login::bind(port).await?;
            let redirect_uri = oauth::redirect_uri(port);
            let url =
                oauth::authorize_url(&app.api_base, &app.client_id, &redirect_uri, &state, &pkce)?;
            announce(&url, &redirect_uri);
            (
                login::receive(&listener, &state, timeout).await?,
                redirect_uri,
            )
        }
        Receive::Paste(port) => {
            let redirect_uri = oauth::redirect_uri(port);
            let url =
                oauth::authorize_url(&app.api_base, &app.client_id, &redirect_uri, &state, &pkce)?;
            announce(&url, &redirect_uri);
            (login::paste(&state, timeout).await?, redirect_uri)
        }
    };
    let response = endpoint
        .exchange_code(&client, &code, &redirect_uri, &pkce.verifier)
        .await?;
    store_new(app, store, response).await
}

/// The port of the default callback URL, `http://127.0.0.1:8917/callback`.
pub const DEFAULT_REDIRECT_PORT: u16 = 8917;

/// Exchanges a legacy token once, as the refresh token of a refresh grant (as NationBuilder
/// documents for moving legacy tokens to expiring ones), and stores what comes back.
pub async fn import_legacy(
    app: &AppIdentity,
    store: &CredentialStore,
    legacy: &Secret,
) -> Result<Credentials, AuthError> {
    let client = client(&app.client_id, &app.client_secret_file)?;
    let endpoint = endpoint::TokenEndpoint::new(&app.api_base)?;
    let response = endpoint.refresh(&client, legacy).await?;
    store_new(app, store, response).await
}

/// Stores the credentials of a new authorization, under the lock.
async fn store_new(
    app: &AppIdentity,
    store: &CredentialStore,
    response: oauth::TokenResponse,
) -> Result<Credentials, AuthError> {
    let at = now();
    let fresh = Credentials {
        nation: app.nation.clone(),
        api_base: app.api_base.to_string(),
        client_id: app.client_id.clone(),
        client_secret_file: std::path::absolute(&app.client_secret_file)
            .unwrap_or_else(|_| app.client_secret_file.clone()),
        access_token: Secret::default(),
        refresh_token: None,
        issued_at: at,
        expires_in: None,
        refreshed_at: None,
        authorized_at: at,
    }
    .with_response(response, at, false);
    let _lock = store.lock().await?;
    store.write(&fresh)?;
    Ok(fresh)
}

/// `auth refresh`: one refresh now, under the lock, persisted before it is reported.
pub async fn refresh_now(store: &CredentialStore, nation: &str) -> Result<Credentials, AuthError> {
    let _lock = store.lock().await?;
    let current = store.read(nation)?;
    let base = Url::parse(&current.api_base).map_err(|_| AuthError::Corrupt {
        path: store.path().to_owned(),
        why: "its api_base is not a URL".into(),
    })?;
    let endpoint = endpoint::TokenEndpoint::new(&base)?;
    let refreshed = source::refresh(&endpoint, &current).await?;
    store.write(&refreshed)?;
    Ok(refreshed)
}
