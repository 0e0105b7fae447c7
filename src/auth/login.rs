//! How the authorization code comes back from the browser: a one-shot loopback listener on
//! `127.0.0.1:PORT` that answers `GET /callback?code=…&state=…` (checking `state`) and nothing
//! else, or, on a server without a browser, a line pasted on standard input (the address the
//! browser was sent to, or the code alone). Both waits are bounded; the listener reads at most
//! a few kB per connection with a per-connection timeout, so a stray client cannot hold it.
//! Opening a browser is attempted only where one obviously exists (a desktop session with
//! `xdg-open`, or macOS), and failing to open one is never an error.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::oauth::code_from_redirect;
use super::AuthError;
use crate::fetch::token::Secret;

/// Bytes of a callback request read at most.
const MAX_REQUEST: usize = 8 * 1024;

/// How long one connection to the listener may take to send its request.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the loopback listener on `127.0.0.1:port` (0: any free port); returns it with the port
/// it got.
pub async fn bind(port: u16) -> Result<(TcpListener, u16), AuthError> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| AuthError::Callback(format!(
            "cannot listen on 127.0.0.1:{port} for the callback ({source}); pick another --redirect-port (and register http://127.0.0.1:PORT/callback for the app), or use --paste"
        )))?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::Callback(format!("reading the callback address: {e}")))?
        .port();
    Ok((listener, port))
}

/// Waits at most `timeout` for the browser's `GET /callback`, answers it with a short page and
/// returns the code. Other paths (a favicon) get 404 and the wait goes on; a callback with the
/// wrong `state` or an `error` ends the login.
pub async fn receive(
    listener: &TcpListener,
    expected_state: &str,
    timeout: Duration,
) -> Result<Secret, AuthError> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let accepted = tokio::time::timeout(left, listener.accept()).await;
        let Ok(accepted) = accepted else {
            return Err(AuthError::Timeout {
                secs: timeout.as_secs(),
            });
        };
        let Ok((mut stream, _)) = accepted else {
            continue;
        };
        let target =
            match tokio::time::timeout(CONNECTION_TIMEOUT, request_target(&mut stream)).await {
                Ok(Ok(Some(target))) => target,
                _ => continue,
            };
        let path = target.split('?').next().unwrap_or_default();
        if path != "/callback" {
            let _ = reply(&mut stream, 404, "Not found.").await;
            continue;
        }
        let outcome = code_from_redirect(&target, expected_state);
        let page = match &outcome {
            Ok(_) => (
                200,
                "nb-exodus received the authorization. You can close this tab and return to the terminal.",
            ),
            Err(AuthError::StateMismatch) => (
                400,
                "The state of this callback does not match the login that is waiting: refused. Start the login again.",
            ),
            Err(_) => (
                400,
                "No authorization was received (the app was not approved, or the address is incomplete). See the terminal.",
            ),
        };
        let _ = reply(&mut stream, page.0, page.1).await;
        return outcome;
    }
}

/// The request target of an HTTP request line (`GET /callback?… HTTP/1.1`), reading at most
/// [`MAX_REQUEST`] bytes; the rest of the request head is drained up to that size.
async fn request_target(stream: &mut tokio::net::TcpStream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let line = head.lines().next().unwrap_or_default();
    let mut words = line.split_whitespace();
    Ok(match (words.next(), words.next()) {
        (Some("GET"), Some(target)) => Some(target.to_owned()),
        _ => None,
    })
}

async fn reply(stream: &mut tokio::net::TcpStream, status: u16, text: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>nb-exodus</title></head><body><p>{text}</p></body></html>"
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// Reads one pasted line from standard input (at most 8 kB, within `timeout`) and takes the
/// code from it.
pub async fn paste(expected_state: &str, timeout: Duration) -> Result<Secret, AuthError> {
    let mut reader = tokio::io::BufReader::new(tokio::io::stdin()).take(MAX_REQUEST as u64);
    let mut line = String::new();
    let read = tokio::time::timeout(timeout, reader.read_line(&mut line)).await;
    match read {
        Err(_) => Err(AuthError::Timeout {
            secs: timeout.as_secs(),
        }),
        Ok(Err(e)) => Err(AuthError::Input(format!("reading standard input: {e}"))),
        Ok(Ok(_)) => code_from_redirect(&line, expected_state),
    }
}

/// Opens `url` in a browser when this machine obviously has one: macOS (`open`), or a desktop
/// session (`DISPLAY` or `WAYLAND_DISPLAY` set) with `xdg-open` on the `PATH`. Returns whether
/// a browser was asked; every failure is silent (the URL is printed anyway).
pub fn open_browser(url: &str) -> bool {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else {
        let desktop = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        let has_xdg = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join("xdg-open").is_file())
        });
        if !(desktop && has_xdg) {
            return false;
        }
        "xdg-open"
    };
    std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}
