//! Redaction of URLs: the one function every URL goes through before it is stored (for example
//! in `sync.runs.options`), logged or printed, whether it names the API or the database.
//!
//! Why one place: a URL can carry credentials in several spots — userinfo
//! (`https://user:PASSWORD@host`, `https://TOKEN@host`), and query parameters such as
//! libpq's `password` / `sslpassword` or v1's `access_token` — and two slightly different
//! redactions had already let an API password reach the database. What is removed:
//! - the password, always;
//! - the user name, except in PostgreSQL URLs (`postgres://`, `postgresql://`), where it is an
//!   account name the user needs to see (`psql 'postgres://party@db/crm'`) and not a secret,
//!   whereas in an HTTP URL userinfo is a credential (basic auth, or a token passed as user);
//! - the query parameters `password`, `sslpassword` and `access_token`, in any case;
//! - the fragment.
//!
//! Everything else (scheme, host, port, path, harmless parameters) is kept, so the result still
//! says where the URL points. A text that does not parse as a URL is never echoed: it might be a
//! secret pasted into the wrong place.

use url::Url;

/// Query parameters whose value is a credential (compared case-insensitively).
const SECRET_PARAMETERS: &[&str] = &["password", "sslpassword", "access_token"];

/// What a text that is not a URL is shown as.
pub const UNPARSEABLE: &str = "<unparseable URL>";

/// `text` redacted as [`parsed`] does; a text that is not a URL gives [`UNPARSEABLE`].
///
/// ```
/// use nb_exodus::redact;
/// assert_eq!(
///     redact::url("postgres://party:s3cret@db.example.eu:5433/crm?sslmode=require"),
///     "postgres://party@db.example.eu:5433/crm?sslmode=require",
/// );
/// assert_eq!(redact::url("http://user:PASSWORD@nb.example/"), "http://nb.example/");
/// assert_eq!(redact::url("not a URL, maybe a s3cret"), redact::UNPARSEABLE);
/// ```
pub fn url(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(parsed) => self::parsed(&parsed),
        Err(_) => UNPARSEABLE.to_owned(),
    }
}

/// `url` without its credentials (see the module documentation for exactly what goes).
pub fn parsed(url: &Url) -> String {
    let mut url = url.clone();
    // Both only fail for URLs that cannot carry credentials (and so carry none).
    let _ = url.set_password(None);
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        let _ = url.set_username("");
    }
    let secret = |key: &str| {
        SECRET_PARAMETERS
            .iter()
            .any(|s| key.eq_ignore_ascii_case(s))
    };
    // Only rewrite the query when something must go: rewriting re-encodes it
    // (`filter[id][gt]` would become `filter%5Bid%5D%5Bgt%5D`).
    if url.query_pairs().any(|(key, _)| secret(&key)) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| !secret(key))
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url.set_fragment(None);
    url.to_string()
}

/// The origin of `url` (`scheme://host:port`) with nothing else: for naming another host in a
/// message without its path or query.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_every_kind_of_credential() {
        let cases = [
            // API URLs: userinfo is a credential.
            ("http://user:PASSWORD@nb.example/", "http://nb.example/"),
            ("https://TOKEN@nb.example/api", "https://nb.example/api"),
            (
                "https://slug.nationbuilder.com/api/v1/people?limit=10&access_token=abc",
                "https://slug.nationbuilder.com/api/v1/people?limit=10",
            ),
            (
                "https://n.example/x?ACCESS_TOKEN=abc&Access_Token=def",
                "https://n.example/x",
            ),
            (
                "https://n.example/api/v2/signups?page[size]=100&sort=id",
                "https://n.example/api/v2/signups?page[size]=100&sort=id",
            ),
            ("https://n.example/#access_token=abc", "https://n.example/"),
            // Database URLs: the user is an account name, the password the credential.
            (
                "postgres://party:s3cret@db.example.eu:5433/crm",
                "postgres://party@db.example.eu:5433/crm",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            ("postgresql://u:p%40ss@host/db", "postgresql://u@host/db"),
            (
                "postgres://u@host/db?sslmode=require",
                "postgres://u@host/db?sslmode=require",
            ),
            (
                "postgres://u@host/db?password=hunter2&sslmode=disable",
                "postgres://u@host/db?sslmode=disable",
            ),
            (
                "postgres://u@host/db?PASSWORD=hunter2&sslpassword=key",
                "postgres://u@host/db",
            ),
            ("postgres://host", "postgres://host"),
        ];
        for (input, expected) in cases {
            assert_eq!(url(input), expected, "url({input:?})");
        }
    }

    #[test]
    fn never_echoes_what_is_not_a_url() {
        for text in ["not a url but maybe a s3cret", "", "://s3cret@"] {
            assert_eq!(url(text), UNPARSEABLE);
        }
    }

    #[test]
    fn origin_is_scheme_host_and_port_only() {
        let u = Url::parse("https://u:p@elsewhere.example:8443/a?access_token=x").unwrap();
        assert_eq!(origin(&u), "https://elsewhere.example:8443");
    }
}
