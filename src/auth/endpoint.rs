//! The token endpoint, `POST /oauth/token` on the API's origin, with a form-encoded body (as
//! NationBuilder's clients in the wild send it): the authorization-code grant of a login and
//! the refresh-token grant of a refresh (also how a legacy token is exchanged once). A refused
//! grant (`invalid_grant`, `invalid_client`, any 4xx) is final; a 5xx, a 429 or a transport
//! failure is tried again a few times with backoff. Redirects are not followed: the client
//! secret and the refresh token go to this one URL only. No token, secret or response body is
//! logged; errors carry the server's error *code* and description only.

use std::time::Duration;

use url::Url;

use super::oauth::{clean, endpoint, ErrorResponse, TokenResponse};
use super::AuthError;
use crate::fetch::token::Secret;

/// Attempts per grant for transient failures.
const ATTEMPTS: u32 = 4;

/// Largest token response read.
const MAX_BODY: usize = 64 * 1024;

/// The app's identity at the token endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// The client secret.
    pub secret: Secret,
}

/// The token endpoint of one nation.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    http: reqwest::Client,
    url: Url,
}

impl TokenEndpoint {
    /// The endpoint on the origin of `api_base`.
    pub fn new(api_base: &Url) -> Result<Self, AuthError> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("nb-exodus/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AuthError::Endpoint(format!("cannot build the HTTP client: {e}")))?;
        Ok(TokenEndpoint {
            http,
            url: endpoint(api_base, "/oauth/token")?,
        })
    }

    /// The endpoint's URL (no credentials in it).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Exchanges an authorization code (with the PKCE verifier of its login).
    pub async fn exchange_code(
        &self,
        client: &Client,
        code: &Secret,
        redirect_uri: &str,
        verifier: &Secret,
    ) -> Result<TokenResponse, AuthError> {
        self.grant(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code.expose()),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier.expose()),
            ],
        )
        .await
    }

    /// Runs the refresh-token grant (the old refresh token dies when it succeeds).
    pub async fn refresh(
        &self,
        client: &Client,
        refresh_token: &Secret,
    ) -> Result<TokenResponse, AuthError> {
        self.grant(
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
            ],
        )
        .await
    }

    async fn grant(
        &self,
        client: &Client,
        fields: &[(&str, &str)],
    ) -> Result<TokenResponse, AuthError> {
        // Built in a block: the serializer is not `Send` and must not live across an await.
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                form.append_pair(k, v);
            }
            form.append_pair("client_id", &client.id);
            form.append_pair("client_secret", client.secret.expose());
            form.finish()
        };
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(Duration::from_secs(1 << (attempt - 2))).await;
            }
            let sent = self
                .http
                .post(self.url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(reqwest::header::ACCEPT, "application/json")
                .body(body.clone())
                .send()
                .await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else if e.is_connect() {
                        "connection failed".into()
                    } else {
                        "request failed".into()
                    };
                    continue;
                }
            };
            let status = response.status().as_u16();
            let bytes = match read_capped(response).await {
                Some(b) => b,
                None => {
                    last = format!("HTTP {status} with an unreadable or oversized body");
                    continue;
                }
            };
            if (200..300).contains(&status) {
                match TokenResponse::parse(&bytes) {
                    Some(r) => return Ok(r),
                    None => {
                        last = format!("HTTP {status} without an access_token");
                        continue;
                    }
                }
            }
            if status == 429 || status >= 500 {
                last = format!("HTTP {status}");
                continue;
            }
            let parsed: Option<ErrorResponse> = serde_json::from_slice(&bytes).ok();
            let (error, description) = parsed
                .map(|e| {
                    (
                        e.error.map(|s| clean(&s)).unwrap_or_default(),
                        e.error_description.map(|s| clean(&s)).unwrap_or_default(),
                    )
                })
                .unwrap_or_default();
            return Err(AuthError::Refused {
                status,
                error: if error.is_empty() {
                    "no error code".into()
                } else {
                    error
                },
                description,
            });
        }
        Err(AuthError::Endpoint(format!(
            "{} gave no token after {ATTEMPTS} attempts (last: {last})",
            self.url
        )))
    }
}

/// The body, unless it is larger than [`MAX_BODY`] or cannot be read.
async fn read_capped(mut response: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_BODY {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}
