//! [`StoreTokens`]: the [`TokenSource`] of a run that authenticates through the credentials
//! store. It hands out the stored access token, refreshes it ahead of expiry (within
//! [`super::oauth::refresh_margin`]) and once after a 401, and keeps rotation safe:
//!
//! - **single flight in the process**: one async mutex guards the tokens; a request that meets
//!   a 401 with a token already replaced gets the replacement, so streams hitting 401 together
//!   cause one refresh;
//! - **single flight across processes**: the refresh runs under the store's file lock, after
//!   re-reading the file; a token another process stored meanwhile is adopted, not refreshed
//!   again;
//! - **persist before use**: the rotated refresh token is written (atomically) before the new
//!   access token is handed to any request, so a crash never loses the only live refresh token.

use std::sync::Arc;

use tokio::sync::Mutex;
use url::Url;

use super::endpoint::TokenEndpoint;
use super::store::{CredentialStore, Credentials};
use super::{now, AuthError};
use crate::fetch::token::{Secret, TokenError, TokenFuture, TokenSource};

/// Tokens from the credentials store, refreshed when due.
#[derive(Debug)]
pub struct StoreTokens {
    store: CredentialStore,
    nation: String,
    endpoint: TokenEndpoint,
    current: Mutex<Credentials>,
}

impl StoreTokens {
    /// Opens the store of `nation` for a run against `api_base`. Refuses credentials issued
    /// for another origin (their refresh token must not be sent to this one).
    pub fn open(
        store: CredentialStore,
        nation: &str,
        api_base: &Url,
    ) -> Result<Arc<Self>, AuthError> {
        let credentials = store.read(nation)?;
        let stored = Url::parse(&credentials.api_base).map_err(|_| AuthError::Corrupt {
            path: store.path().to_owned(),
            why: "its api_base is not a URL".into(),
        })?;
        if stored.origin() != api_base.origin() {
            return Err(AuthError::WrongOrigin {
                path: store.path().to_owned(),
                stored: crate::redact::origin(&stored),
                wanted: crate::redact::origin(api_base),
            });
        }
        Ok(Arc::new(StoreTokens {
            endpoint: TokenEndpoint::new(&stored)?,
            store,
            nation: nation.to_owned(),
            current: Mutex::new(credentials),
        }))
    }

    fn login_needed(&self, why: impl Into<String>) -> TokenError {
        TokenError::LoginNeeded {
            nation: self.nation.clone(),
            why: why.into(),
        }
    }

    fn failed(&self, why: impl Into<String>) -> TokenError {
        TokenError::RefreshFailed {
            nation: self.nation.clone(),
            why: why.into(),
        }
    }

    /// Refreshes (or adopts another process's refresh) with the in-process mutex held.
    /// `stale` is the token the caller found wanting.
    async fn refresh_locked(
        &self,
        held: &mut Credentials,
        stale: &Secret,
    ) -> Result<Secret, TokenError> {
        let _lock = self
            .store
            .lock()
            .await
            .map_err(|e| self.failed(e.to_string()))?;
        let on_file = self.store.read(&self.nation).map_err(|e| match e {
            AuthError::NotLoggedIn { .. } => {
                self.login_needed("the credentials file is gone (auth logout?)")
            }
            other => self.failed(other.to_string()),
        })?;
        if on_file.access_token != *stale && !on_file.due_for_refresh(now()) {
            tracing::debug!(nation = %self.nation, "adopting the access token another process refreshed");
            *held = on_file;
            return Ok(held.access_token.clone());
        }
        let refreshed = refresh(&self.endpoint, &on_file)
            .await
            .map_err(|e| match e {
                AuthError::Refused { .. } | AuthError::NoRefreshToken => {
                    self.login_needed(e.to_string())
                }
                other => self.failed(other.to_string()),
            })?;
        // Persist before use: the old refresh token is dead from here on.
        self.store.write(&refreshed).map_err(|e| {
            self.login_needed(format!(
                "the refreshed tokens could not be saved ({e}), and the old refresh token no longer works"
            ))
        })?;
        tracing::info!(
            nation = %self.nation,
            expires_in = refreshed.expires_in.unwrap_or(0),
            "access token refreshed"
        );
        *held = refreshed;
        Ok(held.access_token.clone())
    }
}

/// One refresh-token grant for `credentials`, with the client secret read from its file;
/// the credentials that result (not yet stored).
pub async fn refresh(
    endpoint: &TokenEndpoint,
    credentials: &Credentials,
) -> Result<Credentials, AuthError> {
    let refresh_token = credentials
        .refresh_token
        .clone()
        .ok_or(AuthError::NoRefreshToken)?;
    let client = super::client(&credentials.client_id, &credentials.client_secret_file)?;
    let response = endpoint.refresh(&client, &refresh_token).await?;
    Ok(credentials.with_response(response, now(), true))
}

impl TokenSource for StoreTokens {
    fn current(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let mut held = self.current.lock().await;
            if !held.due_for_refresh(now()) {
                return Ok(held.access_token.clone());
            }
            let stale = held.access_token.clone();
            self.refresh_locked(&mut held, &stale).await
        })
    }

    fn refresh_after_401<'a>(&'a self, stale: &'a Secret) -> TokenFuture<'a> {
        Box::pin(async move {
            let mut held = self.current.lock().await;
            if held.access_token != *stale {
                // Another request refreshed while this one waited.
                return Ok(held.access_token.clone());
            }
            self.refresh_locked(&mut held, stale).await
        })
    }

    fn rejected_after_refresh(&self) -> TokenError {
        self.login_needed("the API rejected the freshly refreshed access token too")
    }
}
