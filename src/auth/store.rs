//! The credentials store: one JSON file per nation, by default
//! `$XDG_CONFIG_HOME/nb-exodus/credentials/<nation>.json` (else `~/.config/…`), or the file
//! `--credentials PATH` names. It holds the tokens, the client id and the *path* of the
//! client-secret file, never the secret itself, so a later run can refresh without asking.
//!
//! **Safety.** The file is created mode 0600 in a directory made 0700, and every write is
//! write-temp + fsync + rename + fsync of the directory, so a crash leaves the old file or the
//! new one, never half of either. A refresh rotates the refresh token (the old one dies), so
//! refreshes are serialised across processes by an exclusive lock on a sibling file
//! (`<file>.lock`, `flock` through [`std::fs::File::try_lock`]): a second process waits for it
//! (bounded by [`LOCK_WAIT`]), then re-reads the file and uses the token the first one stored.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::oauth::{due_for_refresh, issued_at, TokenResponse};
use super::AuthError;
use crate::fetch::token::Secret;

/// Longest wait for another process's refresh to release the lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

/// How often a waiting process tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// Largest credentials file read (a real one is under 2 kB).
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// What the store knows of one nation's authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The nation slug.
    pub nation: String,
    /// The API base the tokens were issued for; the token endpoint is on its origin.
    pub api_base: String,
    /// The app's client id.
    pub client_id: String,
    /// The file that holds the client secret (read at each refresh, never copied here).
    pub client_secret_file: PathBuf,
    /// The access token.
    pub access_token: Secret,
    /// The refresh token; `None` for a legacy token that cannot be refreshed.
    pub refresh_token: Option<Secret>,
    /// When the access token was issued, Unix seconds, by this machine's count.
    pub issued_at: i64,
    /// Its life in seconds; `None` when the server gave none (it does not expire).
    pub expires_in: Option<i64>,
    /// When the current tokens came from a refresh, Unix seconds; `None` since a login.
    pub refreshed_at: Option<i64>,
    /// When the authorization was made (login or legacy import), Unix seconds.
    pub authorized_at: i64,
}

impl Credentials {
    /// When the access token expires, Unix seconds.
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_in
            .map(|life| self.issued_at.saturating_add(life))
    }

    /// Whether the access token should be refreshed at `now` (within the margin of expiry).
    pub fn due_for_refresh(&self, now: i64) -> bool {
        self.refresh_token.is_some() && due_for_refresh(self.issued_at, self.expires_in, now)
    }

    /// These credentials after a token response received at `now`: a response without a
    /// refresh token keeps the current one (rotation is what NationBuilder does, but a server
    /// that does not rotate must not leave the store without one).
    pub fn with_response(&self, response: TokenResponse, now: i64, refresh: bool) -> Self {
        Credentials {
            access_token: response.access_token,
            refresh_token: response
                .refresh_token
                .or_else(|| self.refresh_token.clone()),
            issued_at: issued_at(response.created_at, now),
            expires_in: response.expires_in,
            refreshed_at: refresh.then_some(now),
            ..self.clone()
        }
    }
}

/// The file form. Strings here, [`Secret`]s everywhere else.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileForm {
    /// Format version (1).
    version: u32,
    nation: String,
    api_base: String,
    client_id: String,
    client_secret_file: PathBuf,
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    issued_at: i64,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refreshed_at: Option<i64>,
    authorized_at: i64,
}

/// The default directory of credentials files: `$XDG_CONFIG_HOME/nb-exodus/credentials`, else
/// `$HOME/.config/nb-exodus/credentials`.
pub fn default_dir() -> Result<PathBuf, AuthError> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".config"))
        })
        .ok_or_else(|| {
            AuthError::Input(
                "neither XDG_CONFIG_HOME nor HOME is set: pass --credentials PATH".into(),
            )
        })?;
    Ok(config.join("nb-exodus").join("credentials"))
}

/// The file of `nation`: `given` (`--credentials`) when there is one, else the default.
pub fn path_for(nation: &str, given: Option<&Path>) -> Result<PathBuf, AuthError> {
    match given {
        Some(path) => Ok(path.to_owned()),
        None => Ok(default_dir()?.join(format!("{nation}.json"))),
    }
}

/// One credentials file.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    path: PathBuf,
}

/// The exclusive lock of a credentials file, released when dropped.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl CredentialStore {
    /// The store at `path` (nothing is read yet).
    pub fn new(path: PathBuf) -> Self {
        CredentialStore { path }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> AuthError {
        AuthError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Reads the credentials; [`AuthError::NotLoggedIn`] when there is no file.
    pub fn read(&self, nation: &str) -> Result<Credentials, AuthError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AuthError::NotLoggedIn {
                    nation: nation.to_owned(),
                    path: self.path.clone(),
                })
            }
            Err(e) => return Err(self.io(e)),
        };
        let meta = file.metadata().map_err(|e| self.io(e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %self.path.display(),
                "the credentials file is readable by other users; it is rewritten 0600 at the next refresh (chmod 600 it now)"
            );
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_FILE_BYTES), &mut text)
            .map_err(|e| self.io(e))?;
        // serde's message may quote a value of the file, which may be a token: say only where.
        let form: FileForm = serde_json::from_str(&text).map_err(|e| AuthError::Corrupt {
            path: self.path.clone(),
            why: format!(
                "not a credentials file (line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
        if form.version != 1 {
            return Err(AuthError::Corrupt {
                path: self.path.clone(),
                why: format!(
                    "format version {} is not known to this nb-exodus",
                    form.version
                ),
            });
        }
        if form.nation != nation {
            return Err(AuthError::WrongNation {
                path: self.path.clone(),
                stored: form.nation,
                wanted: nation.to_owned(),
            });
        }
        Ok(Credentials {
            nation: form.nation,
            api_base: form.api_base,
            client_id: form.client_id,
            client_secret_file: form.client_secret_file,
            access_token: Secret::new(form.access_token),
            refresh_token: form
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            issued_at: form.issued_at,
            expires_in: form.expires_in,
            refreshed_at: form.refreshed_at,
            authorized_at: form.authorized_at,
        })
    }

    /// Writes the credentials atomically: a temporary file (0600) beside the target, fsync,
    /// rename over the target, fsync of the directory. The directory is created 0700 when
    /// missing.
    pub fn write(&self, credentials: &Credentials) -> Result<(), AuthError> {
        let form = FileForm {
            version: 1,
            nation: credentials.nation.clone(),
            api_base: credentials.api_base.clone(),
            client_id: credentials.client_id.clone(),
            client_secret_file: credentials.client_secret_file.clone(),
            access_token: credentials.access_token.expose().to_owned(),
            refresh_token: credentials
                .refresh_token
                .as_ref()
                .map(|t| t.expose().to_owned()),
            issued_at: credentials.issued_at,
            expires_in: credentials.expires_in,
            refreshed_at: credentials.refreshed_at,
            authorized_at: credentials.authorized_at,
        };
        let mut text = serde_json::to_string_pretty(&form).map_err(|e| AuthError::Corrupt {
            path: self.path.clone(),
            why: format!("cannot serialise: {e}"),
        })?;
        text.push('\n');
        let dir = self.dir()?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "credentials".into());
        let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temp)?;
            // An old temp file of a crashed process may have another mode.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temp, &self.path)?;
            File::open(&dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.map_err(|e| self.io(e))
    }

    /// Removes the file (under the lock); `false` when there was none.
    pub async fn remove(&self) -> Result<bool, AuthError> {
        let _lock = self.lock().await?;
        match std::fs::remove_file(&self.path) {
            Ok(()) => {
                if let Ok(dir) = self.dir() {
                    let _ = File::open(dir).and_then(|d| d.sync_all());
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io(e)),
        }
    }

    /// The file's directory, created 0700 when missing.
    fn dir(&self) -> Result<PathBuf, AuthError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| self.io(e))?;
        }
        Ok(dir)
    }

    /// Takes the store's exclusive lock, waiting at most [`LOCK_WAIT`] for another process.
    pub async fn lock(&self) -> Result<StoreLock, AuthError> {
        self.lock_within(LOCK_WAIT).await
    }

    /// [`CredentialStore::lock`] with another bound on the wait.
    pub async fn lock_within(&self, wait: Duration) -> Result<StoreLock, AuthError> {
        let dir = self.dir()?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "credentials".into());
        let lock_path = dir.join(format!("{name}.lock"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|source| AuthError::Io {
                path: lock_path.clone(),
                source,
            })?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StoreLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if started.elapsed() >= wait {
                        return Err(AuthError::Locked {
                            path: lock_path,
                            secs: wait.as_secs(),
                        });
                    }
                    tokio::time::sleep(LOCK_POLL).await;
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(AuthError::Io {
                        path: lock_path,
                        source,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Credentials {
        Credentials {
            nation: "n".into(),
            api_base: "http://127.0.0.1:1/".into(),
            client_id: "cid".into(),
            client_secret_file: "/etc/secret".into(),
            access_token: Secret::new("acc"),
            refresh_token: Some(Secret::new("ref")),
            issued_at: 1000,
            expires_in: Some(86_400),
            refreshed_at: None,
            authorized_at: 1000,
        }
    }

    #[test]
    fn round_trip_with_mode_0600_in_a_private_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::new(dir.path().join("deep/credentials/n.json"));
        assert!(matches!(
            store.read("n"),
            Err(AuthError::NotLoggedIn { .. })
        ));
        store.write(&sample()).unwrap();
        assert_eq!(store.read("n").unwrap(), sample());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(&dir.path().join("deep/credentials")), 0o700);
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(
            text.contains("\"client_secret_file\": \"/etc/secret\""),
            "{text}"
        );
        // A second write replaces the file whole; no temporary file is left.
        let mut next = sample();
        next.refresh_token = None;
        store.write(&next).unwrap();
        assert_eq!(store.read("n").unwrap(), next);
        let names: Vec<_> = std::fs::read_dir(store.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["n.json".to_string()]);
        assert!(matches!(
            store.read("other"),
            Err(AuthError::WrongNation { .. })
        ));
    }

    #[test]
    fn a_damaged_file_is_named_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.json");
        std::fs::write(&path, "{\"access_token\": \"sekrit\", oops").unwrap();
        let err = CredentialStore::new(path)
            .read("n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("n.json") && !err.contains("sekrit"), "{err}");
    }

    #[test]
    fn expiry_and_rotation() {
        let c = sample();
        assert_eq!(c.expires_at(), Some(87_400));
        assert!(!c.due_for_refresh(87_099));
        assert!(c.due_for_refresh(87_100));
        let legacy = Credentials {
            expires_in: None,
            ..sample()
        };
        assert!(!legacy.due_for_refresh(i64::MAX));
        let response = TokenResponse::parse(br#"{"access_token":"a2","expires_in":15}"#).unwrap();
        let next = c.with_response(response, 5000, true);
        assert_eq!(
            next.refresh_token, c.refresh_token,
            "kept when none is sent"
        );
        assert_eq!((next.issued_at, next.expires_in), (5000, Some(15)));
        assert_eq!(next.refreshed_at, Some(5000));
    }

    #[tokio::test]
    async fn the_lock_is_exclusive_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::new(dir.path().join("n.json"));
        let held = store.lock().await.unwrap();
        let err = store
            .lock_within(Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Locked { .. }), "{err}");
        drop(held);
        store.lock_within(Duration::from_millis(300)).await.unwrap();
    }
}
