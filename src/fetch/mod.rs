//! Fetch: pulls pages of records from the NationBuilder API. A [`Source`] turns a stream's
//! [`Cursor`] into the next [`Page`]; the [`client`] underneath paces every attempt through the
//! shared [`rate_limit::Limiter`] and retries only what [`retry::classify`] calls transient.
//! Each record keeps its exact JSON text as received, for the lossless raw archive.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub mod client;
pub mod rate_limit;
pub mod retry;
pub mod v1;
pub mod v2;

/// One of the record streams a migration exports. Each runs concurrently with the others; pages
/// within a stream are fetched in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// People (v2 `signups`, v1 `people`).
    People,
    /// Tags (v2 `signup_tags`, v1 `tags`).
    Tags,
    /// Taggings (v2 `signup_taggings`; v1 from each person's `tags`).
    Taggings,
    /// Donations.
    Donations,
}

impl Stream {
    /// Every stream, in a stable order.
    pub const ALL: [Stream; 4] = [
        Stream::People,
        Stream::Tags,
        Stream::Taggings,
        Stream::Donations,
    ];

    /// The stream's name as used in flags, checkpoints and `raw.records.resource`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::People => "people",
            Stream::Tags => "tags",
            Stream::Taggings => "taggings",
            Stream::Donations => "donations",
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stream {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stream::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                format!("unknown resource {s:?}: expected people, tags, taggings or donations")
            })
    }
}

/// Where a stream stands: what to ask for next. Stored as JSON in the stream's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Cursor {
    /// Keyset paging (`sort=id`, `filter[id][gt]=after`): cannot skip or repeat under churn.
    Keyset {
        /// The last id loaded; `None` before the first page.
        after: Option<String>,
    },
    /// Offset paging (`page[number]`), the fallback when the API refuses keyset filters.
    PageNumber {
        /// The 1-based page to fetch next.
        number: u32,
    },
    /// Keyset paging over records changed since a moment of the source's own clock
    /// (`filter[updated_at][gte]=since`), for the catch-up pass at the end of a run.
    Since {
        /// The source timestamp (RFC 3339) to start from.
        since: String,
        /// The last id loaded in this pass; `None` before the first page.
        after: Option<String>,
    },
    /// Follow a link exactly as the API gave it (v1 token pagination).
    Link {
        /// The link to fetch; `None` before the first page.
        next: Option<String>,
    },
    /// The stream has been read to its end.
    Done,
}

/// One record as received.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// The NationBuilder id as text, when the record had one.
    pub source_id: Option<String>,
    /// The record's JSON text exactly as it appeared in the response.
    pub body: String,
    /// The parsed record.
    pub value: serde_json::Value,
}

/// One page of a stream.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records, in the order received.
    pub records: Vec<SourceRecord>,
    /// Where to continue; [`Cursor::Done`] when this was the end.
    pub next: Cursor,
    /// The API's total for the stream, when it gave one.
    pub total: Option<u64>,
}

/// One page of an id-only sweep.
#[derive(Debug, Clone)]
pub struct IdPage {
    /// The ids on this page.
    pub ids: Vec<String>,
    /// Where to continue; [`Cursor::Done`] at the end.
    pub next: Cursor,
    /// The API's total, when it gave one.
    pub total: Option<u64>,
}

/// Every id of a stream as the API lists it now.
#[derive(Debug, Clone, Default)]
pub struct IdSweep {
    /// The ids, in the order listed (duplicates kept: offset paging can repeat).
    pub ids: Vec<String>,
    /// The API's total from the first page, when it gave one.
    pub total: Option<u64>,
    /// False when the sweep stopped because the API handed back the cursor it was given.
    pub complete: bool,
}

/// Enumerates a stream through [`Source::fetch_id_page`] from [`Source::start`]. A source that
/// answers a page with the cursor it was asked for would be read forever, so the sweep stops
/// there and says it is incomplete; callers decide what a partial list means to them.
pub async fn sweep_ids<S: Source>(source: &S, stream: Stream) -> Result<IdSweep, FetchError> {
    let mut sweep = IdSweep {
        complete: true,
        ..IdSweep::default()
    };
    let mut cursor = source.start(stream);
    let mut first = true;
    while cursor != Cursor::Done {
        let page = source.fetch_id_page(stream, &cursor).await?;
        if first {
            sweep.total = page.total;
            first = false;
        }
        if page.next == cursor {
            sweep.complete = false;
            break;
        }
        sweep.ids.extend(page.ids);
        cursor = page.next;
    }
    Ok(sweep)
}

/// Reads pages of a stream. Implemented over HTTP for API v2 and v1.
pub trait Source: Send + Sync {
    /// The API version's name (`v1`, `v2`).
    fn api(&self) -> &'static str;
    /// The cursor a stream starts from.
    fn start(&self, stream: Stream) -> Cursor;
    /// Fetches the page `cursor` points at.
    fn fetch_page(
        &self,
        stream: Stream,
        cursor: &Cursor,
    ) -> impl std::future::Future<Output = Result<Page, FetchError>> + Send;
    /// Fetches one page of an id-only sweep (small pages: ids, no record bodies), starting
    /// from [`Source::start`]. Used to reconcile deletions and by `verify` to enumerate.
    fn fetch_id_page(
        &self,
        stream: Stream,
        cursor: &Cursor,
    ) -> impl std::future::Future<Output = Result<IdPage, FetchError>> + Send;
    /// Fetches one record by id; `None` when the API says it does not exist (404).
    fn fetch_record(
        &self,
        stream: Stream,
        id: &str,
    ) -> impl std::future::Future<Output = Result<Option<SourceRecord>, FetchError>> + Send;
    /// The cursor of a pass over records changed since `since` (a timestamp of the source's
    /// clock); a small stream without `updated_at` may answer with a full pass; `None` when
    /// its records never change (only appear or vanish, which the id sweep sees).
    /// `since` is `None` when the stream has no mark (its records carry no `updated_at`).
    fn changed_since(&self, stream: Stream, since: Option<&str>) -> Option<Cursor>;
}

/// Why fetching failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// 401: the token is wrong, revoked or expired.
    #[error(
        "the API rejected the access token (HTTP 401 at {url}): it is wrong or has expired; \
         generate a new token and pass it in NATIONBUILDER_API_TOKEN or --token-file"
    )]
    Unauthorized {
        /// The request URL, credentials removed.
        url: String,
    },
    /// 403: the token lacks permission.
    #[error(
        "the API refused access (HTTP 403 at {url}): the token's user lacks permission; \
         use a token of a nation administrator"
    )]
    Forbidden {
        /// The request URL, credentials removed.
        url: String,
    },
    /// Another status that retrying cannot fix (400, 404, 406, 422…).
    #[error("the API answered HTTP {status} at {url}: {code} {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The request URL, credentials removed.
        url: String,
        /// The API's error code (`bad_request`, `not_found`…), or empty.
        code: String,
        /// The API's error message, or empty.
        message: String,
    },
    /// Transient failures went on for every allowed attempt.
    #[error(
        "gave up on {url} after {attempts} attempts (last: {last}); the run can be resumed \
         by running the same command again"
    )]
    Exhausted {
        /// The request URL, credentials removed.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The API asked for a pause (`Retry-After`, or an exhausted `RateLimit-*` budget with a
    /// distant reset) longer than `--max-wait`: nothing more is sent, the run stops resumably.
    #[error(
        "the API asked nb-exodus to pause for {asked}, longer than --max-wait allows \
         ({max_wait_minutes} min); stopped without waiting: the run can be resumed later by \
         running the same command again (or now with a larger --max-wait)"
    )]
    PauseTooLong {
        /// The pause asked for, in words.
        asked: String,
        /// The `--max-wait` in force, in minutes.
        max_wait_minutes: u64,
    },
    /// A response body is larger than `--max-response-mb`; it was not read further.
    #[error(
        "the API sent a response larger than {limit_mb} MB at {url}; stopped reading it: if the \
         nation's pages really are that large, raise --max-response-mb"
    )]
    ResponseTooLarge {
        /// The request URL, credentials removed.
        url: String,
        /// The `--max-response-mb` in force.
        limit_mb: u64,
    },
    /// The API answered with a redirect to another origin, which is not followed (the access
    /// token must not be sent there).
    #[error(
        "the API redirected to another origin ({target}) at {url}; nb-exodus does not follow \
         it, so the access token was not sent there: check --api-base (it must be the address \
         the nation's API answers at, e.g. https://SLUG.nationbuilder.com)"
    )]
    RedirectedElsewhere {
        /// The request URL, credentials removed.
        url: String,
        /// The origin redirected to (scheme, host and port only).
        target: String,
    },
    /// Same-origin redirects went on past the limit.
    #[error("the API redirected {url} more than {max} times; check --api-base")]
    TooManyRedirects {
        /// The request URL, credentials removed.
        url: String,
        /// Redirects followed.
        max: usize,
    },
    /// The API base URL or a link could not be used.
    #[error("invalid URL {0}")]
    Url(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The API version offers no way to do this.
    #[error("API {api} does not support {operation}")]
    Unsupported {
        /// The API version (`v1`, `v2`).
        api: &'static str,
        /// What was asked for.
        operation: String,
    },
}

impl FetchError {
    /// Builds the error for a fatal status from the response body (`{"code","message"}`).
    pub fn from_status(status: u16, body: &str, url: &url::Url) -> Self {
        let url = client::redact_url(url);
        match status {
            401 => FetchError::Unauthorized { url },
            403 => FetchError::Forbidden { url },
            _ => {
                #[derive(Deserialize)]
                struct ErrorBody {
                    #[serde(default)]
                    code: Option<String>,
                    #[serde(default)]
                    message: Option<String>,
                }
                let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
                let (code, message) = parsed
                    .map(|b| (b.code.unwrap_or_default(), b.message.unwrap_or_default()))
                    .unwrap_or_default();
                FetchError::Rejected {
                    status,
                    url,
                    code,
                    message,
                }
            }
        }
    }

    /// True when no amount of retrying or resuming with the same token will help.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            FetchError::Unauthorized { .. } | FetchError::Forbidden { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of two ids up to `last`; when `stuck` is set, the page after the first answers
    /// with the cursor it was given.
    struct Fake {
        last: u64,
        stuck: bool,
    }

    impl Source for Fake {
        fn api(&self) -> &'static str {
            "fake"
        }
        fn start(&self, _: Stream) -> Cursor {
            Cursor::Keyset { after: None }
        }
        async fn fetch_page(&self, _: Stream, _: &Cursor) -> Result<Page, FetchError> {
            Err(FetchError::Url("unused".into()))
        }
        async fn fetch_id_page(&self, _: Stream, cursor: &Cursor) -> Result<IdPage, FetchError> {
            let after = match cursor {
                Cursor::Keyset { after } => after.as_deref().map_or(0, |a| a.parse().unwrap()),
                _ => unreachable!(),
            };
            if self.stuck && after > 0 {
                return Ok(IdPage {
                    ids: vec![(after + 1).to_string()],
                    next: cursor.clone(),
                    total: None,
                });
            }
            let ids: Vec<String> = (after + 1..=(after + 2).min(self.last))
                .map(|i| i.to_string())
                .collect();
            let next = match ids.last() {
                Some(id) => Cursor::Keyset {
                    after: Some(id.clone()),
                },
                None => Cursor::Done,
            };
            Ok(IdPage {
                ids,
                next,
                total: Some(self.last),
            })
        }
        async fn fetch_record(
            &self,
            _: Stream,
            _: &str,
        ) -> Result<Option<SourceRecord>, FetchError> {
            Ok(None)
        }
        fn changed_since(&self, _: Stream, _: Option<&str>) -> Option<Cursor> {
            None
        }
    }

    #[tokio::test]
    async fn sweeps_every_id_and_flags_a_repeating_source() {
        let all = sweep_ids(
            &Fake {
                last: 5,
                stuck: false,
            },
            Stream::People,
        )
        .await
        .unwrap();
        assert!(all.complete);
        assert_eq!(all.total, Some(5));
        assert_eq!(all.ids, ["1", "2", "3", "4", "5"]);

        let cut = sweep_ids(
            &Fake {
                last: 5,
                stuck: true,
            },
            Stream::People,
        )
        .await
        .unwrap();
        assert!(
            !cut.complete,
            "a repeated cursor is reported, not followed forever"
        );
        assert_eq!(cut.ids, ["1", "2"]);
    }
}
