//! The pure parts of NationBuilder's OAuth authorization-code flow, with no I/O: the `state`
//! and PKCE (S256) values of one login, the authorize URL, reading the code back from a
//! redirected URL (or a bare pasted code) with its `state` checked, reading a token response
//! leniently (legacy responses carry only `access_token`, `token_type` and `scope`), and the
//! expiry arithmetic that decides when to refresh ahead of time.
//!
//! Terms: the *authorize URL* is `/oauth/authorize` on the nation's host, where an admin
//! approves the app; the *redirect URI* (`http://127.0.0.1:PORT/callback`) is where the browser
//! is sent back with `code` and `state`; the *token endpoint* is `/oauth/token` on the same
//! host.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::AuthError;
use crate::fetch::token::Secret;

/// Refresh this long before expiry at most (five minutes of a 24-hour token).
pub const MAX_REFRESH_MARGIN_SECS: i64 = 300;

/// Random bytes, base64url without padding (43 characters for 32 bytes).
fn random_text(bytes: usize) -> Result<String, AuthError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The `state` of one login: 128 random bits.
pub fn new_state() -> Result<String, AuthError> {
    random_text(16)
}

/// A PKCE pair (RFC 7636, S256): the verifier stays here, the challenge goes in the URL.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// Sent with the code exchange.
    pub verifier: Secret,
    /// `base64url(sha256(verifier))`, sent with the authorize request.
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair (a 43-character verifier).
    pub fn new() -> Result<Self, AuthError> {
        Ok(Self::from_verifier(&random_text(32)?))
    }

    /// The pair of a given verifier.
    pub fn from_verifier(verifier: &str) -> Self {
        Pkce {
            challenge: challenge_of(verifier),
            verifier: Secret::new(verifier),
        }
    }
}

/// The S256 challenge of a verifier.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `path` (`/oauth/token`) on the origin of `api_base`: the OAuth endpoints live on the same
/// host as the API, at the root, whatever path the API base has.
pub fn endpoint(api_base: &Url, path: &str) -> Result<Url, AuthError> {
    api_base
        .join(path)
        .map_err(|e| AuthError::Input(format!("cannot build {path} on the API's origin: {e}")))
}

/// `http://127.0.0.1:PORT/callback`.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}/callback")
}

/// The authorize URL an admin opens to approve the app.
pub fn authorize_url(
    api_base: &Url,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    pkce: &Pkce,
) -> Result<Url, AuthError> {
    let mut url = endpoint(api_base, "/oauth/authorize")?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(url)
}

/// The code from what the browser was redirected to: a whole URL
/// (`http://127.0.0.1:PORT/callback?code=…&state=…`), its query alone, or a bare code (when
/// only the code was copied; it has no `state` to check, so it is taken as it is). A `state`
/// other than `expected_state`, or a missing one in a URL, is refused; an `error` parameter
/// (the admin denied) is reported.
pub fn code_from_redirect(input: &str, expected_state: &str) -> Result<Secret, AuthError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AuthError::Input(
            "nothing was pasted: paste the whole address the browser was sent to".into(),
        ));
    }
    let query = if let Ok(url) = Url::parse(input) {
        url.query().unwrap_or_default().to_owned()
    } else if let Some((_, q)) = input.split_once('?') {
        q.to_owned()
    } else if input.contains('=') {
        input.to_owned()
    } else if input
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
    {
        return Ok(Secret::new(input));
    } else {
        return Err(AuthError::Input(
            "what was pasted is neither the redirected address nor a code".into(),
        ));
    };
    let mut code = None;
    let mut state = None;
    let mut error = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Some(error) = error {
        return Err(AuthError::Denied {
            error: clean(&error),
        });
    }
    match state {
        Some(s) if s == expected_state => {}
        Some(_) => return Err(AuthError::StateMismatch),
        None => {
            return Err(AuthError::Input(
                "the address has no `state`: paste the whole address the browser was sent to"
                    .into(),
            ))
        }
    }
    code.filter(|c| !c.is_empty())
        .map(Secret::new)
        .ok_or_else(|| AuthError::Input("the address has no `code`".into()))
}

/// Up to 80 printable characters of a server-given word, for a message.
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(80).collect()
}

/// A token response as NationBuilder sends it; every field but `access_token` may be absent.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Secret,
    /// The new refresh token (absent in legacy responses).
    pub refresh_token: Option<Secret>,
    /// `bearer`/`Bearer`.
    pub token_type: Option<String>,
    /// Seconds of life from `created_at` (absent: a legacy token that does not expire).
    pub expires_in: Option<i64>,
    /// When the server issued it, Unix seconds.
    pub created_at: Option<i64>,
    /// Scopes granted (NationBuilder documents none for v2).
    pub scope: Option<String>,
}

/// A number that may come as a JSON number (integer or not) or a numeric string. Read from a
/// [`serde_json::Value`]: with serde_json's `arbitrary_precision` an untagged enum would not
/// see numbers as numbers.
fn lenient_number(value: Option<&serde_json::Value>) -> Option<i64> {
    match value? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        serde_json::Value::String(t) => t
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && f.abs() < 9.0e15)
            .map(|f| f as i64),
        _ => None,
    }
}

/// A string field of a JSON object.
fn text_field(object: &serde_json::Map<String, serde_json::Value>, key: &str) -> Option<String> {
    object.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

/// An OAuth error body (`{"error":"invalid_grant","error_description":"…"}`).
#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    /// The error code.
    pub error: Option<String>,
    /// Its description.
    pub error_description: Option<String>,
}

impl TokenResponse {
    /// Reads a 2xx body. `None` when it is not JSON or has no `access_token`.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let object = value.as_object()?;
        let access = text_field(object, "access_token").filter(|t| !t.trim().is_empty())?;
        Some(TokenResponse {
            access_token: Secret::new(access.trim()),
            refresh_token: text_field(object, "refresh_token")
                .filter(|t| !t.trim().is_empty())
                .map(|t| Secret::new(t.trim())),
            token_type: text_field(object, "token_type"),
            expires_in: lenient_number(object.get("expires_in")).filter(|n| *n > 0),
            created_at: lenient_number(object.get("created_at")).filter(|n| *n > 0),
            scope: text_field(object, "scope"),
        })
    }
}

/// When a token was issued, as this machine counts: the server's `created_at` when it is not
/// later than the moment the response arrived (`received`), else `received`. A server clock
/// ahead of ours would otherwise make the token look younger than it is.
pub fn issued_at(created_at: Option<i64>, received: i64) -> i64 {
    created_at.map_or(received, |c| c.min(received))
}

/// How long before expiry to refresh: a quarter of the token's life, at most
/// [`MAX_REFRESH_MARGIN_SECS`].
pub fn refresh_margin(expires_in: i64) -> i64 {
    (expires_in / 4).clamp(0, MAX_REFRESH_MARGIN_SECS)
}

/// Whether a token issued at `issued_at` with `expires_in` seconds of life should be
/// refreshed at `now`; a token without `expires_in` (legacy) never is ahead of time.
pub fn due_for_refresh(issued_at: i64, expires_in: Option<i64>, now: i64) -> bool {
    match expires_in {
        None => false,
        Some(life) => now >= issued_at.saturating_add(life) - refresh_margin(life),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_example() {
        // RFC 7636, appendix B.
        let p = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::new().unwrap();
        assert_eq!(fresh.verifier.expose().len(), 43);
        assert_eq!(fresh.challenge, challenge_of(fresh.verifier.expose()));
        assert_ne!(new_state().unwrap(), new_state().unwrap());
    }

    #[test]
    fn the_authorize_url_is_on_the_apis_origin() {
        let base = Url::parse("http://127.0.0.1:9/prefix/").unwrap();
        let p = Pkce::from_verifier("v");
        let url = authorize_url(&base, "cid", &redirect_uri(8917), "st", &p).unwrap();
        assert_eq!(url.path(), "/oauth/authorize");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(q.contains(&(
            "redirect_uri".into(),
            "http://127.0.0.1:8917/callback".into()
        )));
        assert!(q.contains(&("state".into(), "st".into())));
        assert!(q.contains(&("code_challenge_method".into(), "S256".into())));
        assert!(q.contains(&("response_type".into(), "code".into())));
    }

    #[test]
    fn the_code_comes_from_a_url_a_query_or_alone_and_state_is_checked() {
        let url = "http://127.0.0.1:8917/callback?code=abc123&state=s1";
        assert_eq!(code_from_redirect(url, "s1").unwrap().expose(), "abc123");
        assert_eq!(
            code_from_redirect("  /callback?state=s1&code=x-y ", "s1")
                .unwrap()
                .expose(),
            "x-y"
        );
        assert_eq!(
            code_from_redirect("code=q&state=s1", "s1")
                .unwrap()
                .expose(),
            "q"
        );
        assert_eq!(
            code_from_redirect("bare_Code-1", "s1").unwrap().expose(),
            "bare_Code-1"
        );
        assert!(matches!(
            code_from_redirect(url, "other"),
            Err(AuthError::StateMismatch)
        ));
        assert!(matches!(
            code_from_redirect("http://127.0.0.1:1/callback?code=a", "s"),
            Err(AuthError::Input(_))
        ));
        assert!(matches!(
            code_from_redirect("http://h/callback?error=access_denied&state=s", "s"),
            Err(AuthError::Denied { .. })
        ));
        assert!(code_from_redirect("", "s").is_err());
        assert!(code_from_redirect("not a code!", "s").is_err());
    }

    #[test]
    fn token_responses_are_read_leniently() {
        let legacy =
            TokenResponse::parse(br#"{"access_token":"a44b","token_type":"bearer","scope":""}"#)
                .unwrap();
        assert_eq!(legacy.access_token.expose(), "a44b");
        assert!(legacy.refresh_token.is_none() && legacy.expires_in.is_none());
        let current = TokenResponse::parse(
            br#"{"access_token":"x","token_type":"Bearer","expires_in":"86400","refresh_token":"r","scope":"","created_at":1700000000.0}"#,
        )
        .unwrap();
        assert_eq!(current.expires_in, Some(86_400));
        assert_eq!(current.created_at, Some(1_700_000_000));
        assert_eq!(current.refresh_token.unwrap().expose(), "r");
        assert!(TokenResponse::parse(br#"{"token_type":"bearer"}"#).is_none());
        assert!(TokenResponse::parse(b"<html>").is_none());
    }

    #[test]
    fn expiry_arithmetic() {
        assert_eq!(refresh_margin(86_400), 300);
        assert_eq!(refresh_margin(15), 3);
        assert_eq!(refresh_margin(0), 0);
        // 24 h token issued at 1000: refreshed from 1000 + 86400 - 300 on.
        assert!(!due_for_refresh(1000, Some(86_400), 1000 + 86_099));
        assert!(due_for_refresh(1000, Some(86_400), 1000 + 86_100));
        // 15 s token: from 12 s on.
        assert!(!due_for_refresh(0, Some(15), 11));
        assert!(due_for_refresh(0, Some(15), 12));
        // Legacy: never ahead of time.
        assert!(!due_for_refresh(0, None, i64::MAX));
        // A server clock ahead of ours counts from our receipt.
        assert_eq!(issued_at(Some(2000), 1000), 1000);
        assert_eq!(issued_at(Some(900), 1000), 900);
        assert_eq!(issued_at(None, 1000), 1000);
    }
}
