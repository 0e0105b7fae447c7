//! Transport security of database connections: which hosts must be reached over verified TLS,
//! which `sslmode`s a URL may ask for, and the connect options that follow from both.
//!
//! The data nb-exodus moves is special-category personal data, so a connection that leaves the
//! machine must be encrypted *and* must prove who answers: for a host that is not loopback the
//! connection uses `sslmode=verify-full` (certificate chain against the trusted roots, and the
//! host name against the certificate). The roots are the webpki bundle sqlx's rustls uses, plus
//! the CA certificate given with `--database-ca FILE` or `sslrootcert=` for a private CA. A URL
//! that asks a remote host for anything weaker (`disable`, `allow`, `prefer`, `require`,
//! `verify-ca`) is refused before a byte is sent, unless the user opts out explicitly with
//! `--insecure-database-connection`; then the URL's `sslmode` is used as given and every run
//! says so. Loopback hosts (127.0.0.0/8, `::1`, `localhost`) and Unix sockets never leave the
//! machine and keep the URL's `sslmode` exactly as given (sqlx's default, `prefer`, when none).
//!
//! Everything here is pure (no I/O besides reading the CA file to check it), so the policy is
//! unit-tested without a server; [`super::connect`] applies it and [`failure`] turns a failed
//! TLS handshake into the one cause the user must fix.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use super::redact;
use crate::{Error, Result};

/// The flag that switches verification off; named in every message that offers it.
pub const INSECURE_FLAG: &str = "--insecure-database-connection";

/// How to reach the database: the URL and the two transport settings that go with it, resolved
/// once from flags, environment and config file and handed to [`super::connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// The PostgreSQL URL. It may contain a password: pass it through [`redact`] before showing
    /// it anywhere.
    pub url: String,
    /// A PEM file of CA certificates to trust besides the built-in roots (`--database-ca`); it
    /// takes precedence over a `sslrootcert` in the URL.
    pub ca_file: Option<PathBuf>,
    /// `--insecure-database-connection`: use the URL's `sslmode` as given even for a remote
    /// host. Printed as a warning on every run and recorded in `sync.runs`.
    pub insecure: bool,
}

impl ConnectionSettings {
    /// Settings for `url` with no extra CA and verification on: what tests and the private
    /// cluster use (their hosts are loopback, so nothing changes for them).
    pub fn new(url: impl Into<String>) -> ConnectionSettings {
        ConnectionSettings {
            url: url.into(),
            ca_file: None,
            insecure: false,
        }
    }

    /// The URL without its password, for messages.
    pub fn redacted_url(&self) -> String {
        redact(&self.url)
    }

    /// The connect options for these settings, with the policy of this module applied, and
    /// what the policy decided. Fails with [`Error::Config`] (one line naming the fix) for an
    /// unparseable URL, an unreadable CA file, or a weak `sslmode` asked of a remote host.
    pub fn connect_options(&self) -> Result<(PgConnectOptions, TlsPlan)> {
        let env_sslmode = std::env::var("PGSSLMODE").ok();
        self.connect_options_with(env_sslmode.as_deref())
    }

    /// [`Self::connect_options`] with the `PGSSLMODE` environment variable given explicitly.
    fn connect_options_with(
        &self,
        env_sslmode: Option<&str>,
    ) -> Result<(PgConnectOptions, TlsPlan)> {
        let invalid = |err: &dyn std::fmt::Display| {
            Error::Config(format!(
                "invalid database URL {}: {err}",
                self.redacted_url()
            ))
        };
        let parsed = url::Url::parse(&self.url).map_err(|err| invalid(&err))?;
        let mut options = PgConnectOptions::from_str(&self.url).map_err(|err| invalid(&err))?;
        let named = named_sslmode(&parsed, env_sslmode).map_err(|err| invalid(&err))?;
        let endpoint = endpoint(&options);
        let plan = plan(&endpoint, named, self.insecure)?;
        if plan == TlsPlan::VerifyFull {
            options = options.ssl_mode(PgSslMode::VerifyFull);
        }
        match &self.ca_file {
            Some(path) => {
                check_ca_file(path, "--database-ca")?;
                options = options.ssl_root_cert(path);
            }
            None => {
                if let Some(path) = url_root_cert(&parsed) {
                    check_ca_file(Path::new(&path), "sslrootcert in the database URL")?;
                }
            }
        }
        Ok((options, plan))
    }

    /// The warning every run that uses [`Self::insecure`] prints (one line, without the
    /// `warning:` prefix), or `None` when verification is on.
    pub fn insecure_warning(&self) -> Option<String> {
        if !self.insecure {
            return None;
        }
        let Ok((options, plan)) = self.connect_options() else {
            // The connection attempt reports the problem itself.
            return Some(format!(
                "{INSECURE_FLAG}: the database server's identity is not verified"
            ));
        };
        let mode = sslmode_name(options.get_ssl_mode());
        let target = super::target_of(&options);
        Some(match plan {
            TlsPlan::Insecure => format!(
                "{INSECURE_FLAG}: the connection to {target} is not verified (sslmode={mode} as given in the URL); whoever sits on the network path can read and change the data. Drop the flag once the server has a certificate nb-exodus can verify (--database-ca FILE for a private CA)"
            ),
            TlsPlan::AsGiven | TlsPlan::VerifyFull => format!(
                "{INSECURE_FLAG} has no effect for {target}: a loopback host or Unix socket keeps the URL's sslmode ({mode}) anyway"
            ),
        })
    }
}

/// Where a URL points, as far as transport security is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix-domain socket: never leaves the machine.
    UnixSocket,
    /// A loopback host (127.0.0.0/8, `::1`, `localhost`): never leaves the machine.
    Loopback(String),
    /// Any other host: the network between us and it is not ours.
    Remote(String),
}

/// Classifies where `options` connect to, the way sqlx decides between socket and TCP: a
/// socket path, or a host starting with `/`, is a Unix socket.
pub fn endpoint(options: &PgConnectOptions) -> Endpoint {
    let host = options.get_host();
    if options.get_socket().is_some() || host.starts_with('/') {
        return Endpoint::UnixSocket;
    }
    if is_loopback_host(host) {
        Endpoint::Loopback(host.to_owned())
    } else {
        Endpoint::Remote(host.to_owned())
    }
}

/// Whether `host` names this machine over loopback: `localhost` (any case), an IPv4 address in
/// 127.0.0.0/8, `::1`, or an IPv4-mapped loopback address; IPv6 literals may be bracketed.
/// Every other name counts as remote, even one that resolves to 127.0.0.1: what a name resolves
/// to is decided by the network, which is what we do not trust.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => false,
    }
}

/// What nb-exodus does with a connection's TLS settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsPlan {
    /// Loopback or Unix socket: the URL's `sslmode` as given.
    AsGiven,
    /// Remote host: `sslmode=verify-full` (chain and host name).
    VerifyFull,
    /// Remote host with `--insecure-database-connection`: the URL's `sslmode` as given.
    Insecure,
}

/// Decides how to connect to `endpoint` when the URL (or `PGSSLMODE`) names `named` and the user
/// did or did not opt out. Refuses, with one line naming the fix, a remote host asked for an
/// `sslmode` weaker than `verify-full` without the opt-out.
pub fn plan(endpoint: &Endpoint, named: Option<PgSslMode>, insecure: bool) -> Result<TlsPlan> {
    let host = match endpoint {
        Endpoint::UnixSocket | Endpoint::Loopback(_) => return Ok(TlsPlan::AsGiven),
        Endpoint::Remote(host) => host,
    };
    if insecure {
        return Ok(TlsPlan::Insecure);
    }
    match named {
        None | Some(PgSslMode::VerifyFull) => Ok(TlsPlan::VerifyFull),
        Some(weak) => {
            let mode = sslmode_name(weak);
            Err(Error::Config(format!(
                "sslmode={mode} in the database URL does not verify that {host} is the server you mean, so a man in the middle could read the data: drop sslmode from the URL (nb-exodus then uses verify-full) or set sslmode=verify-full, with --database-ca FILE for a private CA; or pass {INSECURE_FLAG} to use sslmode={mode} at your own risk"
            )))
        }
    }
}

/// The `sslmode` the URL names (`sslmode` or sqlx's `ssl-mode`), else the one `PGSSLMODE`
/// names, else `None` (the user asked for nothing in particular).
fn named_sslmode(url: &url::Url, env: Option<&str>) -> Result<Option<PgSslMode>, sqlx::Error> {
    let from_url = url
        .query_pairs()
        .filter(|(key, _)| key == "sslmode" || key == "ssl-mode")
        .last()
        .map(|(_, value)| value.into_owned());
    match from_url.as_deref().or(env.filter(|v| !v.trim().is_empty())) {
        Some(value) => value.parse().map(Some),
        None => Ok(None),
    }
}

/// The `sslrootcert` file the URL names, under any of the spellings sqlx accepts.
fn url_root_cert(url: &url::Url) -> Option<String> {
    url.query_pairs()
        .filter(|(key, _)| matches!(&**key, "sslrootcert" | "ssl-root-cert" | "ssl-ca"))
        .last()
        .map(|(_, value)| value.into_owned())
}

/// Checks that `path` is a readable PEM file with at least one certificate, so that a wrong path
/// is one clear line now instead of a confusing error in the middle of the TLS handshake.
fn check_ca_file(path: &Path, origin: &str) -> Result<()> {
    let text = std::fs::read(path).map_err(|err| {
        Error::Config(format!(
            "{origin} {}: cannot read it ({err}); give the PEM file of the CA certificate that signed the server's certificate",
            path.display()
        ))
    })?;
    if !text
        .windows(CERT_BEGIN.len())
        .any(|window| window == CERT_BEGIN)
    {
        return Err(Error::Config(format!(
            "{origin} {}: no PEM certificate in it (no \"-----BEGIN CERTIFICATE-----\" line); give the CA certificate in PEM form",
            path.display()
        )));
    }
    Ok(())
}

/// The line that opens a PEM certificate.
const CERT_BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// The name libpq and sqlx use for `mode` in URLs.
pub fn sslmode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// Why a TLS connection attempt failed, as far as the user can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The server answered the TLS request with "no": it has TLS switched off.
    ServerWithoutTls,
    /// The certificate chain does not lead to a trusted root (self-signed, private CA, or
    /// someone intercepting the connection).
    UnknownIssuer,
    /// The certificate does not name the host connected to; the names it presents.
    WrongName(Vec<String>),
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet.
    NotValidYet,
    /// Any other TLS failure, described.
    Other(String),
}

/// Picks the TLS failure out of a driver error, or `None` when the error is not about TLS.
///
/// sqlx reports a server that refuses TLS as `Error::Tls("server does not support TLS")`, and a
/// failed handshake as the I/O error rustls returns, whose inner error is a [`rustls::Error`].
pub fn failure(err: &sqlx::Error) -> Option<TlsFailure> {
    match err {
        sqlx::Error::Tls(inner) => {
            if inner.to_string().contains("does not support TLS") {
                return Some(TlsFailure::ServerWithoutTls);
            }
            let found = rustls_error(inner.as_ref());
            Some(found.map_or_else(|| TlsFailure::Other(inner.to_string()), classify))
        }
        sqlx::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| rustls_error(inner))
            .map(classify),
        _ => None,
    }
}

/// The first [`rustls::Error`] in `err`'s chain (looking inside I/O errors, whose `source()`
/// skips the error they wrap).
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(err);
    for _ in 0..16 {
        let here = current?;
        if let Some(found) = here.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(io) = here.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(found) = inner.downcast_ref::<rustls::Error>() {
                    return Some(found);
                }
            }
        }
        current = here.source();
    }
    None
}

fn classify(err: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => TlsFailure::UnknownIssuer,
            C::NotValidForName => TlsFailure::WrongName(Vec::new()),
            C::NotValidForNameContext { presented, .. } => {
                TlsFailure::WrongName(presented.iter().take(5).map(|n| tidy_name(n)).collect())
            }
            C::Expired | C::ExpiredContext { .. } => TlsFailure::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsFailure::NotValidYet,
            other => TlsFailure::Other(format!("the server's certificate was refused: {other:?}")),
        },
        other => TlsFailure::Other(other.to_string()),
    }
}

/// A name the certificate presents, as webpki's debug form (`DnsName("db.example.eu")`,
/// `IpAddress(10.0.0.1)`) made readable and safe to print: it comes from the server, so it is
/// shortened and stripped of control characters.
fn tidy_name(presented: &str) -> String {
    let inner = presented
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            presented
                .strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        })
        .unwrap_or(presented);
    inner
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

/// The problem and the fix to show for `failure` when connecting to `host` under `plan` with
/// `mode`: the cause named once, then what to do.
pub fn explain(
    failure: &TlsFailure,
    host: &str,
    plan: TlsPlan,
    mode: PgSslMode,
) -> (String, String) {
    let at_risk = format!("or pass {INSECURE_FLAG} to skip the check at your own risk");
    match failure {
        TlsFailure::ServerWithoutTls => match plan {
            TlsPlan::VerifyFull => (
                "the server does not offer TLS, and nb-exodus only talks to a host that is not loopback over verified TLS (sslmode=verify-full)".to_owned(),
                format!(
                    "enable TLS on the server (ssl = on, with a certificate for {host}), or pass {INSECURE_FLAG} to send the data in plaintext at your own risk"
                ),
            ),
            TlsPlan::AsGiven | TlsPlan::Insecure => (
                format!(
                    "the server does not offer TLS, which sslmode={} requires",
                    sslmode_name(mode)
                ),
                "enable TLS on the server (ssl = on), or change sslmode in the database URL"
                    .to_owned(),
            ),
        },
        TlsFailure::UnknownIssuer => (
            "the server's certificate is not signed by a certificate authority nb-exodus trusts (a self-signed or private-CA certificate, or someone intercepting the connection)".to_owned(),
            format!(
                "pass the CA certificate that signed it with --database-ca FILE (or sslrootcert= in the URL), {at_risk}"
            ),
        ),
        TlsFailure::WrongName(names) => (
            if names.is_empty() {
                format!("the server's certificate is not valid for the host name {host}")
            } else {
                format!(
                    "the server's certificate is not valid for the host name {host} (it names {})",
                    names.join(", ")
                )
            },
            format!(
                "connect with a host name the certificate names, or give the server a certificate for {host}; {at_risk}"
            ),
        ),
        TlsFailure::Expired => (
            "the server's certificate has expired".to_owned(),
            format!("renew the certificate on the server, {at_risk}"),
        ),
        TlsFailure::NotValidYet => (
            "the server's certificate is not valid yet".to_owned(),
            format!("check the clocks of this machine and the server, {at_risk}"),
        ),
        TlsFailure::Other(what) => (
            format!("the TLS handshake failed: {what}"),
            format!("check the server's TLS set-up and --database-ca, {at_risk}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_localhost_127_slash_8_and_ipv6_one() {
        for host in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.1.2.3",
            "127.255.255.254",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback_host(host), "{host} is loopback");
        }
        for host in [
            "10.203.0.1",
            "128.0.0.1",
            "db.example.eu",
            "localhost.example.eu",
            "127.0.0.1.nip.io",
            "::2",
            "[fd00::1]",
            "0.0.0.0",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host} is not loopback");
        }
    }

    fn options(url: &str) -> PgConnectOptions {
        PgConnectOptions::from_str(url).expect("parseable")
    }

    #[test]
    fn endpoints_tell_sockets_loopback_and_remote_apart() {
        assert_eq!(
            endpoint(&options("postgres://u@127.0.0.1:5432/db")),
            Endpoint::Loopback("127.0.0.1".into())
        );
        assert_eq!(
            endpoint(&options("postgres://u@localhost/db")),
            Endpoint::Loopback("localhost".into())
        );
        assert_eq!(
            endpoint(&options("postgres://u@db.example.eu/db")),
            Endpoint::Remote("db.example.eu".into())
        );
        assert_eq!(
            endpoint(&options("postgres:///db?host=/var/run/postgresql")),
            Endpoint::UnixSocket
        );
        assert_eq!(
            endpoint(&options("postgres://u@%2Fvar%2Frun%2Fpostgresql/db")),
            Endpoint::UnixSocket
        );
        // hostaddr replaces the host sqlx connects to.
        assert_eq!(
            endpoint(&options("postgres://u@localhost/db?hostaddr=10.0.0.5")),
            Endpoint::Remote("10.0.0.5".into())
        );
    }

    #[test]
    fn a_remote_host_accepts_only_verify_full_or_nothing_without_the_opt_out() {
        let remote = Endpoint::Remote("db.example.eu".into());
        assert_eq!(plan(&remote, None, false).unwrap(), TlsPlan::VerifyFull);
        assert_eq!(
            plan(&remote, Some(PgSslMode::VerifyFull), false).unwrap(),
            TlsPlan::VerifyFull
        );
        for weak in [
            PgSslMode::Disable,
            PgSslMode::Allow,
            PgSslMode::Prefer,
            PgSslMode::Require,
            PgSslMode::VerifyCa,
        ] {
            let err = plan(&remote, Some(weak), false).unwrap_err().to_string();
            let mode = sslmode_name(weak);
            assert!(err.contains(&format!("sslmode={mode}")), "{err}");
            assert!(err.contains("db.example.eu"), "{err}");
            assert!(err.contains("verify-full"), "{err}");
            assert!(err.contains("--database-ca"), "{err}");
            assert!(err.contains(INSECURE_FLAG), "{err}");
            assert!(!err.contains('\n'), "one line: {err}");
            assert_eq!(
                plan(&remote, Some(weak), true).unwrap(),
                TlsPlan::Insecure,
                "{mode} with the opt-out"
            );
        }
        assert_eq!(plan(&remote, None, true).unwrap(), TlsPlan::Insecure);
    }

    #[test]
    fn loopback_and_sockets_keep_whatever_the_url_says() {
        for local in [Endpoint::UnixSocket, Endpoint::Loopback("127.0.0.1".into())] {
            for mode in [None, Some(PgSslMode::Disable), Some(PgSslMode::Require)] {
                for insecure in [false, true] {
                    assert_eq!(plan(&local, mode, insecure).unwrap(), TlsPlan::AsGiven);
                }
            }
        }
    }

    fn built(url: &str, env: Option<&str>) -> Result<(PgConnectOptions, TlsPlan)> {
        ConnectionSettings::new(url).connect_options_with(env)
    }

    #[test]
    fn options_get_verify_full_for_a_remote_host_and_stay_as_given_for_loopback() {
        let (o, p) = built("postgres://u@db.example.eu/crm", None).unwrap();
        assert_eq!(
            (sslmode_name(o.get_ssl_mode()), p),
            (sslmode_name(PgSslMode::VerifyFull), TlsPlan::VerifyFull)
        );
        let (o, p) = built("postgres://u@db.example.eu/crm?sslmode=verify-full", None).unwrap();
        assert_eq!(
            (sslmode_name(o.get_ssl_mode()), p),
            (sslmode_name(PgSslMode::VerifyFull), TlsPlan::VerifyFull)
        );

        let (o, p) = built("postgres://u@127.0.0.1/crm", None).unwrap();
        assert_eq!(p, TlsPlan::AsGiven);
        assert_eq!(
            sslmode_name(o.get_ssl_mode()),
            sslmode_name(PgSslMode::Prefer),
            "sqlx's default, as before"
        );
        let (o, _) = built("postgres://u@localhost/crm?sslmode=disable", None).unwrap();
        assert_eq!(
            sslmode_name(o.get_ssl_mode()),
            sslmode_name(PgSslMode::Disable)
        );

        let err = built(
            "postgres://u:s3cret@db.example.eu/crm?sslmode=require",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("sslmode=require"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let err = built("postgres://u@db.example.eu/crm?ssl-mode=prefer", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("sslmode=prefer"), "{err}");
    }

    #[test]
    fn pgsslmode_counts_as_named_unless_the_url_names_one() {
        let err = built("postgres://u@db.example.eu/crm", Some("disable"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sslmode=disable"), "{err}");
        let (_, p) = built(
            "postgres://u@db.example.eu/crm?sslmode=verify-full",
            Some("disable"),
        )
        .unwrap();
        assert_eq!(p, TlsPlan::VerifyFull);
        assert!(built("postgres://u@db.example.eu/crm?sslmode=sometimes", None).is_err());
    }

    #[test]
    fn the_opt_out_keeps_the_urls_sslmode_and_warns() {
        let settings = ConnectionSettings {
            insecure: true,
            ..ConnectionSettings::new("postgres://u:pw@db.example.eu/crm?sslmode=require")
        };
        let (o, p) = settings.connect_options_with(None).unwrap();
        assert_eq!(
            (sslmode_name(o.get_ssl_mode()), p),
            (sslmode_name(PgSslMode::Require), TlsPlan::Insecure)
        );
        let warning = settings.insecure_warning().expect("a warning");
        assert!(warning.contains("db.example.eu:5432/crm"), "{warning}");
        assert!(warning.contains("sslmode=require"), "{warning}");
        assert!(!warning.contains("pw"), "{warning}");
        assert!(ConnectionSettings::new("postgres://u@db.example.eu/crm")
            .insecure_warning()
            .is_none());
        let local = ConnectionSettings {
            insecure: true,
            ..ConnectionSettings::new("postgres://u@127.0.0.1/crm")
        };
        assert!(local.insecure_warning().unwrap().contains("no effect"));
    }

    #[test]
    fn the_ca_file_is_checked_and_applied() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let settings = ConnectionSettings {
            ca_file: Some(missing.clone()),
            ..ConnectionSettings::new("postgres://u@db.example.eu/crm")
        };
        let err = settings.connect_options_with(None).unwrap_err().to_string();
        assert!(err.contains("--database-ca"), "{err}");
        assert!(err.contains("missing.pem"), "{err}");

        let not_pem = dir.path().join("key.txt");
        std::fs::write(&not_pem, "hello").unwrap();
        let err = ConnectionSettings {
            ca_file: Some(not_pem),
            ..settings.clone()
        }
        .connect_options_with(None)
        .unwrap_err()
        .to_string();
        assert!(err.contains("no PEM certificate"), "{err}");

        let pem = dir.path().join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let (o, p) = ConnectionSettings {
            ca_file: Some(pem.clone()),
            ..settings.clone()
        }
        .connect_options_with(None)
        .unwrap();
        assert_eq!(
            (sslmode_name(o.get_ssl_mode()), p),
            (sslmode_name(PgSslMode::VerifyFull), TlsPlan::VerifyFull)
        );

        let url = format!(
            "postgres://u@db.example.eu/crm?sslrootcert={}",
            missing.display()
        );
        let err = built(&url, None).unwrap_err().to_string();
        assert!(err.contains("sslrootcert"), "{err}");
        let url = format!(
            "postgres://u@db.example.eu/crm?sslrootcert={}",
            pem.display()
        );
        assert!(built(&url, None).is_ok());
    }

    #[test]
    fn certificate_names_are_made_readable_and_safe() {
        assert_eq!(tidy_name("DnsName(\"evil.invalid\")"), "evil.invalid");
        assert_eq!(tidy_name("IpAddress(10.203.0.1)"), "10.203.0.1");
        assert_eq!(tidy_name("DnsName(\"a\u{7}b\")"), "ab");
        assert_eq!(tidy_name(&"x".repeat(500)).len(), 100);
    }

    #[test]
    fn handshake_errors_are_classified() {
        let io = |err: rustls::Error| {
            sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, err))
        };
        assert_eq!(
            failure(&io(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))),
            Some(TlsFailure::UnknownIssuer)
        );
        assert_eq!(
            failure(&io(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
            ))),
            Some(TlsFailure::WrongName(Vec::new()))
        );
        assert_eq!(
            failure(&sqlx::Error::Tls("server does not support TLS".into())),
            Some(TlsFailure::ServerWithoutTls)
        );
        assert_eq!(
            failure(&sqlx::Error::Io(
                std::io::ErrorKind::ConnectionRefused.into()
            )),
            None
        );
        let (problem, fix) = explain(
            &TlsFailure::WrongName(vec!["evil.invalid".into()]),
            "10.203.0.1",
            TlsPlan::VerifyFull,
            PgSslMode::VerifyFull,
        );
        assert!(problem.contains("10.203.0.1") && problem.contains("evil.invalid"));
        assert!(fix.contains(INSECURE_FLAG));
        let (problem, fix) = explain(
            &TlsFailure::ServerWithoutTls,
            "10.203.0.1",
            TlsPlan::VerifyFull,
            PgSslMode::VerifyFull,
        );
        assert!(problem.contains("does not offer TLS"), "{problem}");
        assert!(fix.contains("enable TLS on the server") && fix.contains(INSECURE_FLAG));
    }
}
