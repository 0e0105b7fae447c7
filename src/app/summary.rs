//! What `status` and the end of `migrate` tell the operator, as data first (for `--json`) and
//! as a table second. Three different figures are kept apart because they answer different
//! questions: *rows* (what the tables hold now: live archived records and rows of the
//! resource's main table), *at source* (the API's own count, where it gives one), and *reads*
//! (records fetched over all runs, catch-ups and re-reads included — a cost, not a count).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;

use crate::checkpoint::{PgStore, StateStore};
use crate::fetch::client::Purpose;
use crate::fetch::Cursor;
use crate::pipeline::reconcile::ReconcileReport;
use crate::pipeline::StreamReport;
use crate::resource::{name_width, Resource};

/// One stream's state, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StreamState {
    /// The stream.
    pub stream: Resource,
    /// Live records in the raw archive (not marked deleted at source).
    pub archived: i64,
    /// Rows in the stream's main table.
    pub loaded: i64,
    /// The API's own count, when it gave one.
    pub at_source: Option<i64>,
    /// Records read over all runs (catch-ups and re-reads included).
    pub reads: i64,
    /// Rejects recorded.
    pub rejects: i64,
    /// `running`, `done`, `interrupted` or `failed`.
    pub state: String,
    /// Where the stream continues, in words.
    pub cursor: String,
    /// The last error, if it stopped on one.
    pub last_error: Option<String>,
}

/// Every stream's state of `nation`, in stream order.
pub(crate) async fn stream_states(pool: &PgPool, nation: &str) -> anyhow::Result<Vec<StreamState>> {
    let mut checkpoints = PgStore::new(pool.clone()).checkpoints(nation).await?;
    // Resource order (people, tags, taggings, donations), as the progress display shows them.
    checkpoints.sort_by_key(|c| c.stream);
    let mut out = Vec::with_capacity(checkpoints.len());
    for cp in checkpoints {
        let archived: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM raw.records
              WHERE nation = $1 AND resource = $2 AND deleted_at_source IS NULL",
        )
        .bind(nation)
        .bind(cp.stream.as_str())
        .fetch_one(pool)
        .await?;
        let loaded: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE nation = $1",
            crate::load::quote_ident(cp.stream.table())?
        ))
        .bind(nation)
        .fetch_one(pool)
        .await?;
        let rejects: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sync.rejects WHERE nation = $1 AND resource = $2",
        )
        .bind(nation)
        .bind(cp.stream.as_str())
        .fetch_one(pool)
        .await?;
        out.push(StreamState {
            stream: cp.stream,
            archived,
            loaded,
            at_source: cp.total_reported,
            reads: cp.records,
            rejects,
            state: cp.status,
            cursor: describe(&cp.cursor),
            last_error: cp.last_error,
        });
    }
    Ok(out)
}

fn describe(cursor: &Cursor) -> String {
    match cursor {
        Cursor::Keyset { after } => format!("after id {}", after.as_deref().unwrap_or("-")),
        Cursor::PageNumber { number } => format!("page {number}"),
        Cursor::Since { after, .. } => {
            format!("catch-up after id {}", after.as_deref().unwrap_or("-"))
        }
        Cursor::SincePage { number, .. } => format!("catch-up page {number}"),
        Cursor::Link { next: Some(_) } => "next link".into(),
        Cursor::Link { next: None } => "start".into(),
        Cursor::Nested { pending, inner, .. } => match pending.first() {
            Some(owner) => format!("owner {owner}, {}", describe(inner)),
            None => "next owners".into(),
        },
        Cursor::Done => "end".into(),
    }
}

/// Prints the states as a table.
pub(crate) fn print_states(nation: &str, spooled: i64, states: &[StreamState]) {
    if spooled > 0 {
        println!(
            "nation {nation}: {spooled} fetched page(s) wait in sync.page_spool; the next migrate loads them without fetching them again"
        );
    }
    if states.is_empty() {
        println!("nation {nation}: nothing exported yet");
        return;
    }
    println!(
        "{:<w$} {:>9} {:>9} {:>9} {:>9} {:>7} {:>11}  {:<22} last error",
        "stream",
        "archived",
        "loaded",
        "at source",
        "reads",
        "rejects",
        "state",
        "cursor",
        w = name_width()
    );
    for s in states {
        println!(
            "{:<w$} {:>9} {:>9} {:>9} {:>9} {:>7} {:>11}  {:<22} {}",
            s.stream.as_str(),
            s.archived,
            s.loaded,
            s.at_source
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            s.reads,
            s.rejects,
            s.state,
            s.cursor,
            s.last_error.as_deref().unwrap_or(""),
            w = name_width()
        );
    }
}

/// What one stream did in a migrate run, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct StreamRun {
    /// Pages committed by the main pass.
    pub pages: u64,
    /// Records read by the main pass.
    pub read: u64,
    /// Rejects written by this run.
    pub rejected: u64,
    /// Whether reconciliation ran (`new`, `updated` and `deleted` are its findings).
    pub reconciled: bool,
    /// Reconciliation: records new at the source.
    pub new: u64,
    /// Reconciliation: records changed at the source.
    pub updated: u64,
    /// Reconciliation: records found deleted at source.
    pub deleted: u64,
    /// Why deletions could not be checked, when they could not.
    pub deletions_unchecked: Option<String>,
    /// How deletions were checked: by counted id ranges, or by a full id sweep and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_check: Option<String>,
    /// How the main pass read it when not by its own collection: brought by another
    /// resource's pages, or read on its own after that was given up, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_with: Option<String>,
}

impl StreamRun {
    /// What a stream's main pass did, and what reconciliation changed (`None`: it did not
    /// run for this stream).
    pub fn new(main: &StreamReport, reconciled: Option<&ReconcileReport>) -> Self {
        let found = reconciled.cloned().unwrap_or_default();
        StreamRun {
            pages: main.pages,
            read: main.archived,
            rejected: main.rejected,
            reconciled: found.rounds > 0,
            deletion_check: found.deletion_check.clone(),
            read_with: main.read_with.clone(),
            new: found.new,
            updated: found.updated,
            deleted: found.deleted,
            deletions_unchecked: found.deletions_unchecked,
        }
    }
}

/// The end-of-run summary of `migrate` (also its `--json` document).
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The nation.
    pub nation: String,
    /// The run id in `sync.runs`.
    pub run_id: i64,
    /// Wall time of the run, in seconds.
    pub elapsed_secs: f64,
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// The same by purpose: the main pass, the catch-up of what changed, the check for
    /// deletions (id sweep and confirmations).
    #[serde(serialize_with = "by_purpose")]
    pub requests_by_purpose: [u64; 3],
    /// Of those, retries.
    pub retries: u64,
    /// 429 answers met.
    pub rate_limited: u64,
    /// Rejects recorded for the nation.
    pub rejects: u64,
    /// What each stream did in this run.
    pub run: BTreeMap<Resource, StreamRun>,
    /// Where each stream stands now.
    pub streams: Vec<StreamState>,
    /// The command to run next.
    pub next: String,
}

/// `requests_by_purpose` as `{"main": n, "catch_up": n, "deletion_check": n}`.
fn by_purpose<S: serde::Serializer>(counts: &[u64; 3], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(3))?;
    for purpose in Purpose::ALL {
        map.serialize_entry(purpose.as_str(), &counts[purpose as usize])?;
    }
    map.end()
}

/// A duration in words (`48 s`, `3 min 20 s`, `1 h 05 min`).
pub(crate) fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=59 => format!("{:.1} s", d.as_secs_f64()),
        60..=3599 => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// Prints the summary for a person.
pub(crate) fn print_summary(summary: &RunSummary) {
    println!(
        "nation {}: run {} took {}, {} requests ({} retries, {} rate-limited), {} rejects",
        summary.nation,
        summary.run_id,
        duration(Duration::try_from_secs_f64(summary.elapsed_secs).unwrap_or_default()),
        summary.requests,
        summary.retries,
        summary.rate_limited,
        summary.rejects
    );
    let [main, catch_up, deletion] = summary.requests_by_purpose;
    println!(
        "  requests by purpose: {main} main pass, {catch_up} catch-up, {deletion} deletion check"
    );
    for (stream, run) in &summary.run {
        let mut line = format!(
            "  {:<w$} read {:>8} in {:>6} pages",
            stream.as_str(),
            run.read,
            run.pages,
            w = name_width()
        );
        if run.reconciled || run.new + run.updated + run.deleted > 0 {
            line.push_str(&format!(
                "; reconciliation: {} new, {} updated, {} deleted at source",
                run.new, run.updated, run.deleted
            ));
        }
        if run.deletions_unchecked.is_some() {
            line.push_str(", deletions not checked");
        }
        if let Some(how) = &run.read_with {
            line.push_str(&format!(" (read {how})"));
        }
        println!("{line}");
    }
    print_states(&summary.nation, 0, &summary.streams);
    println!("next: {}", summary.next);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(48_250)), "48.2 s");
        assert_eq!(duration(Duration::from_secs(200)), "3 min 20 s");
        assert_eq!(duration(Duration::from_secs(3900)), "1 h 05 min");
    }
}
