//! SIGINT and SIGTERM for long commands: the first signal asks the run to stop — no new page
//! is fetched, the pages already fetched are committed, the run and its streams are marked
//! `interrupted` — and the command exits with 128 + the signal's number after one line saying
//! how to resume; a second signal quits at once (every committed page is still safe; the next
//! run marks the leftovers interrupted).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use crate::pipeline::progress::Screen;

/// Which signal stopped the run, once one came.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caught(Arc<AtomicI32>);

impl Caught {
    /// 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
    pub(crate) fn code(&self) -> u8 {
        match self.0.load(Ordering::SeqCst) {
            15 => 143,
            _ => 130,
        }
    }

    /// The signal's name.
    pub(crate) fn name(&self) -> &'static str {
        match self.0.load(Ordering::SeqCst) {
            15 => "SIGTERM",
            _ => "SIGINT",
        }
    }
}

/// Starts watching for SIGINT and SIGTERM; the first raises `stop`.
pub(crate) fn watch(stop: watch::Sender<bool>, screen: Screen) -> anyhow::Result<Caught> {
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let caught = Caught::default();
    let seen = caught.clone();
    tokio::spawn(async move {
        let first = tokio::select! {
            _ = int.recv() => 2,
            _ = term.recv() => 15,
        };
        seen.0.store(first, Ordering::SeqCst);
        screen.say(&first_notice(seen.name()));
        // The receiver may be gone if the run just ended; nothing to stop then.
        let _ = stop.send(true);
        let second = tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
        };
        screen.say(QUIT_NOTICE);
        std::process::exit(second);
    });
    Ok(caught)
}

/// The one line the first signal prints (above the bars, which would draw over it).
fn first_notice(name: &str) -> String {
    format!(
        "{name}: stopping after the pages already fetched are committed; run the same command again to resume (send {name} again to quit at once)"
    )
}

/// The line a second signal prints before quitting.
const QUIT_NOTICE: &str =
    "quitting at once: every committed page is kept; run the same command again to resume";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_says_how_to_resume_in_one_line() {
        let line = first_notice("SIGINT");
        assert_eq!(line.lines().count(), 1);
        assert!(line.starts_with("SIGINT: stopping"), "{line}");
        assert!(
            line.contains("run the same command again to resume"),
            "{line}"
        );
        assert!(QUIT_NOTICE.contains("run the same command again to resume"));
    }
}
