//! Where the bearer token of each request comes from. The HTTP client asks a [`TokenSource`]
//! for the token before **every** attempt and, when the API answers 401, asks it once to
//! refresh; it never holds a token of its own. Two sources live here: [`StaticToken`], the
//! token given with `NATIONBUILDER_API_TOKEN` or `--token-file` (it cannot be refreshed, so a
//! 401 stays fatal, as it always was), and [`MemoryTokens`], an in-memory twin of the
//! credentials store for unit tests. The real refreshing source, backed by the credentials file
//! and NationBuilder's `/oauth/token`, is [`crate::auth::StoreTokens`].
//!
//! Tokens travel as [`Secret`]s, whose `Debug` and `Display` print nothing of the value, so a
//! token cannot reach a log line or an error message by accident.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A boxed future, so that [`TokenSource`] can be used as `dyn`.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Secret, TokenError>> + Send + 'a>>;

/// A credential (access token, refresh token, client secret). `Debug` and `Display` show
/// `<redacted>`; only [`Secret::expose`] gives the value, at the one place it is sent.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, to put on the wire or into the credentials file.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why no usable token could be had. None of the messages carries a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The source cannot refresh (a static token): the 401 stands as it is.
    #[error("the access token cannot be refreshed")]
    NotRefreshable,
    /// The stored authorization no longer works (the refresh token was refused, or the
    /// refreshed token was rejected too): a human must log in again. The run stops resumably.
    #[error(
        "the NationBuilder authorization of nation {nation} no longer works ({why}); \
         re-run `nb-exodus auth login --nation {nation}` (or `auth import-legacy`), then the same \
         command again to resume"
    )]
    LoginNeeded {
        /// The nation slug.
        nation: String,
        /// What happened, in words (never a token).
        why: String,
    },
    /// The token could not be refreshed for a reason that may pass (the token endpoint
    /// unreachable or failing, the credentials file locked too long). The run stops resumably.
    #[error(
        "cannot refresh the access token of nation {nation}: {why}; the run can be resumed by \
         running the same command again"
    )]
    RefreshFailed {
        /// The nation slug.
        nation: String,
        /// What happened, in words (never a token).
        why: String,
    },
}

/// Gives the bearer token of each request.
///
/// [`TokenSource::current`] is called before every attempt and may refresh ahead of expiry;
/// [`TokenSource::refresh_after_401`] is called at most once per request, after the API
/// rejected `stale`. An implementation must be single-flight: many requests that meet a 401
/// with the same stale token together cause one refresh, and the others get its result.
pub trait TokenSource: Send + Sync + std::fmt::Debug {
    /// The token to send now.
    fn current(&self) -> TokenFuture<'_>;
    /// A token other than `stale`, which the API just rejected.
    fn refresh_after_401<'a>(&'a self, stale: &'a Secret) -> TokenFuture<'a>;
    /// The error when the API rejects a token just refreshed (a second 401 for one request).
    fn rejected_after_refresh(&self) -> TokenError {
        TokenError::NotRefreshable
    }
}

/// A token given once, never refreshed: a 401 is final.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// The source of a fixed token.
    pub fn new(token: Secret) -> Self {
        StaticToken(token)
    }
}

impl TokenSource for StaticToken {
    fn current(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }

    fn refresh_after_401<'a>(&'a self, _stale: &'a Secret) -> TokenFuture<'a> {
        Box::pin(async { Err(TokenError::NotRefreshable) })
    }
}

/// The in-memory twin of the credentials store: a list of tokens handed out in order, one
/// step per refresh, counting refreshes. When the list is used up a refresh fails with
/// [`TokenError::LoginNeeded`], like a refused refresh token.
#[derive(Debug)]
pub struct MemoryTokens {
    tokens: Vec<Secret>,
    at: Mutex<usize>,
    refreshes: AtomicU64,
}

impl MemoryTokens {
    /// A source handing out `tokens[0]`, then the next one after each refresh.
    pub fn new(tokens: &[&str]) -> Arc<Self> {
        Arc::new(MemoryTokens {
            tokens: tokens.iter().map(|t| Secret::new(*t)).collect(),
            at: Mutex::new(0),
            refreshes: AtomicU64::new(0),
        })
    }

    /// Refreshes done so far.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }
}

impl TokenSource for MemoryTokens {
    fn current(&self) -> TokenFuture<'_> {
        let at = *self
            .at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let token = self.tokens.get(at).cloned().unwrap_or_default();
        Box::pin(async move { Ok(token) })
    }

    fn refresh_after_401<'a>(&'a self, stale: &'a Secret) -> TokenFuture<'a> {
        let mut at = self
            .at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Single flight: only a refresh asked with the token in use moves on; one asked with an
        // older token gets the one already there.
        let result = if self.tokens.get(*at) != Some(stale) {
            self.tokens.get(*at).cloned().ok_or(())
        } else if *at + 1 < self.tokens.len() {
            *at += 1;
            self.refreshes.fetch_add(1, Ordering::Relaxed);
            Ok(self.tokens[*at].clone())
        } else {
            Err(())
        };
        drop(at);
        Box::pin(async move {
            result.map_err(|()| TokenError::LoginNeeded {
                nation: "memory".into(),
                why: "the refresh token was refused".into(),
            })
        })
    }

    fn rejected_after_refresh(&self) -> TokenError {
        TokenError::LoginNeeded {
            nation: "memory".into(),
            why: "the API rejected the refreshed access token too".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let s = Secret::new("abc123");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "abc123");
    }

    #[tokio::test]
    async fn memory_tokens_refresh_once_for_concurrent_stale_tokens() {
        let tokens = MemoryTokens::new(&["a", "b", "c"]);
        let stale = tokens.current().await.unwrap();
        let (x, y) = tokio::join!(
            tokens.refresh_after_401(&stale),
            tokens.refresh_after_401(&stale)
        );
        assert_eq!(x.unwrap().expose(), "b");
        assert_eq!(y.unwrap().expose(), "b");
        assert_eq!(tokens.refreshes(), 1);
        let b = tokens.current().await.unwrap();
        assert_eq!(tokens.refresh_after_401(&b).await.unwrap().expose(), "c");
        let c = tokens.current().await.unwrap();
        assert!(matches!(
            tokens.refresh_after_401(&c).await,
            Err(TokenError::LoginNeeded { .. })
        ));
        assert!(matches!(
            StaticToken::new(c).refresh_after_401(&b).await,
            Err(TokenError::NotRefreshable)
        ));
    }
}
