//! Failpoints: named steps of the pipeline where a crash can be provoked on purpose, so tests
//! prove that a run killed exactly there resumes to the same end state as an uninterrupted one
//! (random kills cannot hit a window of a few microseconds reliably).
//!
//! Set `NB_EXODUS_FAILPOINT=<name>:<n>` (several separated by commas) and the process aborts —
//! like `kill -9`: no destructor, no cleanup, no rollback message — the n-th time it reaches
//! that step. Unset (always, outside tests), a failpoint costs one relaxed atomic load. The
//! names are constants ending in `_FP` style below; they are part of the test contract.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// After a fetched page was written to the page spool, before it is loaded.
pub const AFTER_SPOOL: &str = "after_spool";
/// Inside a page's transaction, right before `COMMIT`.
pub const BEFORE_COMMIT: &str = "before_commit";
/// During reconciliation, after the id sweep and before anything is marked deleted.
pub const DURING_RECONCILE: &str = "during_reconcile";

/// The environment variable that arms failpoints.
pub const ENV: &str = "NB_EXODUS_FAILPOINT";

struct Armed {
    points: Vec<(String, u64, AtomicU64)>,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var(ENV).ok()?;
            let points: Vec<(String, u64, AtomicU64)> = spec
                .split(',')
                .filter_map(|item| {
                    let (name, n) = item.trim().split_once(':')?;
                    Some((name.to_owned(), n.parse().ok()?, AtomicU64::new(0)))
                })
                .collect();
            (!points.is_empty()).then_some(Armed { points })
        })
        .as_ref()
}

/// Marks that the pipeline reached step `name`; aborts the process when this is the armed
/// hit of an armed failpoint.
pub fn hit(name: &str) {
    let Some(armed) = armed() else {
        return;
    };
    for (point, at, count) in &armed.points {
        if point == name && count.fetch_add(1, Ordering::SeqCst) + 1 == *at {
            eprintln!("failpoint {name} reached (hit {at}): aborting as if killed");
            std::process::abort();
        }
    }
}
