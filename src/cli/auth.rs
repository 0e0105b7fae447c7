//! The flags of `nb-exodus auth`: log in through NationBuilder's OAuth flow, show, refresh or
//! forget the stored credentials, and move a legacy token to expiring ones. Every subcommand
//! names its nation and credentials file the same way ([`AuthTargetArgs`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `nb-exodus auth …`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Authorize nb-exodus for a nation (OAuth authorization code with state and PKCE) and
    /// store the tokens. Prints the address to open; the browser comes back to
    /// http://127.0.0.1:PORT/callback, or with --paste you paste where it went.
    ///
    /// Example: nb-exodus auth login --nation exampleparty --client-id ID --client-secret-file ~/.config/nb-exodus/client-secret
    Login(LoginArgs),

    /// Show the stored credentials of a nation: expiry, last refresh, client id (never a token).
    ///
    /// Example: nb-exodus auth status --nation exampleparty
    Status(AuthTargetArgs),

    /// Refresh the access token now (the refresh token rotates; the new one is stored first).
    ///
    /// Example: nb-exodus auth refresh --nation exampleparty
    Refresh(AuthTargetArgs),

    /// Forget the stored credentials of a nation (revoke the app in NationBuilder too).
    ///
    /// Example: nb-exodus auth logout --nation exampleparty
    Logout(AuthTargetArgs),

    /// Exchange a legacy (non-expiring) token once for expiring tokens, as NationBuilder
    /// documents, and store them; no admin has to approve again.
    ///
    /// Example: nb-exodus auth import-legacy --nation exampleparty --token-file old-token --client-id ID --client-secret-file client-secret
    ImportLegacy(ImportLegacyArgs),
}

/// Which nation and which credentials file.
#[derive(Debug, Args, Clone, Default)]
pub struct AuthTargetArgs {
    /// The nation's slug (else `nation` in the config file). Example: --nation exampleparty
    #[arg(long)]
    pub nation: Option<String>,

    /// The credentials file (default: $XDG_CONFIG_HOME/nb-exodus/credentials/NATION.json, else
    /// ~/.config/nb-exodus/credentials/NATION.json). Example: --credentials /srv/exodus/creds.json
    #[arg(long, value_name = "PATH")]
    pub credentials: Option<PathBuf>,

    /// Base URL of the API; /oauth/authorize and /oauth/token are on its host. Defaults to
    /// https://SLUG.nationbuilder.com. Example: --api-base http://127.0.0.1:8088
    #[arg(long)]
    pub api_base: Option<String>,

    /// Configuration file (TOML): `nation`, `api_base`, `credentials`.
    /// Example: --config nb-exodus.toml
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The app's registration (Settings → Developer → Register New App).
#[derive(Debug, Args, Clone)]
pub struct AppArgs {
    /// The app's client id. Example: --client-id 8f2c…
    #[arg(long)]
    pub client_id: String,

    /// File holding the app's client secret (only its path is stored; it is read again at
    /// each refresh). Example: --client-secret-file ~/.config/nb-exodus/client-secret
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: PathBuf,
}

/// Arguments of `auth login`.
#[derive(Debug, Args, Clone)]
pub struct LoginArgs {
    /// Nation and credentials file.
    #[command(flatten)]
    pub target: AuthTargetArgs,

    /// The app.
    #[command(flatten)]
    pub app: AppArgs,

    /// Port of the callback http://127.0.0.1:PORT/callback registered for the app; with
    /// --paste only the address the browser goes to. 0 picks a free port (tests).
    /// Example: --redirect-port 8917
    #[arg(long, default_value_t = crate::auth::DEFAULT_REDIRECT_PORT)]
    pub redirect_port: u16,

    /// On a machine without a browser: open the printed address anywhere, approve, and paste
    /// the address the browser was sent to (or the code) here.
    #[arg(long)]
    pub paste: bool,

    /// Do not try to open a browser (the address is printed either way).
    #[arg(long)]
    pub no_browser: bool,

    /// Seconds to wait for the approval. Example: --timeout 300
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

/// Arguments of `auth import-legacy`.
#[derive(Debug, Args, Clone)]
pub struct ImportLegacyArgs {
    /// Nation and credentials file.
    #[command(flatten)]
    pub target: AuthTargetArgs,

    /// The app the legacy token was issued to.
    #[command(flatten)]
    pub app: AppArgs,

    /// File holding the legacy token (it is used once, as a refresh token).
    /// Example: --token-file old-token
    #[arg(long, value_name = "PATH")]
    pub token_file: PathBuf,
}
