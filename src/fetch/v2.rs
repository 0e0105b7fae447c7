//! API v2 (JSON:API): `signups`, `signup_tags`, `signup_taggings` and `donations`.
//!
//! Paging is keyset by default (`sort=id&filter[id][gt]=LAST`), which cannot skip or repeat a
//! record while the nation changes under the export. If the API refuses the id filter (a 400) or
//! visibly ignores it (ids not ascending past the cursor), the stream falls back to
//! `page[number]` paging, whose duplicates the loader absorbs by upserting on the id. Links in
//! the response are never trusted for the next URL (they may be absolute or relative, may drop
//! filters, and `next` may be absent, null or present on the last page): the next request is
//! built from our own parameters, and an empty `data` array ends the stream.

use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use super::client::{redact_url, HttpClient};
use super::{Cursor, FetchError, IdPage, Page, Source, SourceRecord, Stream};

/// The address fields v2 only returns when asked through `extra_fields[signups]`.
pub const SIGNUP_EXTRA_FIELDS: &str = "primary_address,home_address,work_address,mailing_address,\
billing_address,registered_address,user_submitted_address";

/// Reads a nation through API v2.
#[derive(Debug, Clone)]
pub struct V2Source {
    http: HttpClient,
    base: Url,
    page_size: u32,
}

impl V2Source {
    /// A source for the nation at `base` (e.g. `https://slug.nationbuilder.com`).
    pub fn new(http: HttpClient, base: Url, page_size: u32) -> Self {
        Self {
            http,
            base,
            page_size: page_size.clamp(1, 100),
        }
    }

    /// The collection path of a stream.
    pub fn path(stream: Stream) -> &'static str {
        match stream {
            Stream::People => "signups",
            Stream::Tags => "signup_tags",
            Stream::Taggings => "signup_taggings",
            Stream::Donations => "donations",
        }
    }

    fn collection_url(&self, stream: Stream) -> Result<Url, FetchError> {
        self.base
            .join(&format!("api/v2/{}", Self::path(stream)))
            .map_err(|e| FetchError::Url(format!("{}: {e}", redact_url(&self.base))))
    }

    /// The URL for the page `cursor` points at.
    pub fn page_url(&self, stream: Stream, cursor: &Cursor) -> Result<Url, FetchError> {
        let mut url = self.collection_url(stream)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("page[size]", &self.page_size.to_string());
            let first = match cursor {
                Cursor::Keyset { after } => {
                    q.append_pair("sort", "id");
                    if let Some(after) = after {
                        q.append_pair("filter[id][gt]", after);
                    }
                    after.is_none()
                }
                Cursor::PageNumber { number } => {
                    q.append_pair("page[number]", &number.to_string());
                    *number == 1
                }
                Cursor::Since { since, after } => {
                    q.append_pair("sort", "id");
                    q.append_pair("filter[updated_at][gte]", since);
                    if let Some(after) = after {
                        q.append_pair("filter[id][gt]", after);
                    }
                    false
                }
                Cursor::Link { .. } | Cursor::Done => {
                    return Err(FetchError::Url(format!(
                        "cursor {cursor:?} is not a v2 cursor"
                    )))
                }
            };
            if first {
                q.append_pair("stats[total]", "count");
            }
            if stream == Stream::People {
                q.append_pair("extra_fields[signups]", SIGNUP_EXTRA_FIELDS);
            }
        }
        Ok(url)
    }

    async fn get_page(&self, stream: Stream, cursor: &Cursor) -> Result<Page, FetchError> {
        let url = self.page_url(stream, cursor)?;
        let fetched = self
            .http
            .get(&url, |b| {
                std::str::from_utf8(b).ok().and_then(parse_document)
            })
            .await?;
        let doc = fetched.parsed;
        let next = match cursor {
            _ if doc.records.is_empty() => Cursor::Done,
            Cursor::Keyset { after } => {
                if !strictly_ascending_after(after.as_deref(), &doc.records) {
                    tracing::warn!(stream = %stream, "the API ignored the id filter; falling back to page-number paging");
                    return Err(FetchError::Rejected {
                        status: 400,
                        url: redact_url(&url),
                        code: "keyset_ignored".into(),
                        message: "ids did not ascend past the cursor".into(),
                    });
                }
                Cursor::Keyset {
                    after: doc.records.last().and_then(|r| r.source_id.clone()),
                }
            }
            Cursor::PageNumber { number } => Cursor::PageNumber {
                number: number.saturating_add(1),
            },
            Cursor::Since { since, .. } => Cursor::Since {
                since: since.clone(),
                after: doc.records.last().and_then(|r| r.source_id.clone()),
            },
            Cursor::Link { .. } | Cursor::Done => Cursor::Done,
        };
        Ok(Page {
            records: doc.records,
            next,
            total: doc.total,
        })
    }
}

impl Source for V2Source {
    fn api(&self) -> &'static str {
        "v2"
    }

    fn start(&self, _stream: Stream) -> Cursor {
        Cursor::Keyset { after: None }
    }

    async fn fetch_id_page(&self, stream: Stream, cursor: &Cursor) -> Result<IdPage, FetchError> {
        // A sparse fieldset naming one small attribute keeps the pages small; ids and types
        // are always present in JSON:API resource objects.
        let mut url = self.page_url(stream, cursor)?;
        let (kept, minimal): (Vec<(String, String)>, &str) = (
            url.query_pairs()
                .filter(|(k, _)| !k.starts_with("extra_fields"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            match stream {
                Stream::Tags => "name",
                Stream::Taggings => "signup_id",
                Stream::People | Stream::Donations => "created_at",
            },
        );
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair(&format!("fields[{}]", Self::path(stream)), minimal);
        let fetched = self
            .http
            .get(&url, |b| {
                std::str::from_utf8(b).ok().and_then(parse_document)
            })
            .await?;
        let doc = fetched.parsed;
        let ids: Vec<String> = doc
            .records
            .iter()
            .filter_map(|r| r.source_id.clone())
            .collect();
        let next = match cursor {
            _ if doc.records.is_empty() => Cursor::Done,
            Cursor::Keyset { .. } => Cursor::Keyset {
                after: ids.last().cloned(),
            },
            Cursor::PageNumber { number } => Cursor::PageNumber {
                number: number.saturating_add(1),
            },
            _ => Cursor::Done,
        };
        Ok(IdPage {
            ids,
            next,
            total: doc.total,
        })
    }

    async fn fetch_record(
        &self,
        stream: Stream,
        id: &str,
    ) -> Result<Option<SourceRecord>, FetchError> {
        let mut url = self.collection_url(stream)?;
        url.path_segments_mut()
            .map_err(|()| FetchError::Url(redact_url(&self.base)))?
            .push(id);
        if stream == Stream::People {
            url.query_pairs_mut()
                .append_pair("extra_fields[signups]", SIGNUP_EXTRA_FIELDS);
        }
        #[derive(Deserialize)]
        struct One<'a> {
            #[serde(borrow)]
            data: &'a RawValue,
        }
        let parse = |body: &str| -> Option<SourceRecord> {
            let one: One<'_> = serde_json::from_str(body).ok()?;
            let value: serde_json::Value = serde_json::from_str(one.data.get()).ok()?;
            Some(SourceRecord {
                source_id: id_text(value.get("id")),
                body: one.data.get().to_owned(),
                value,
            })
        };
        match self
            .http
            .get(&url, |b| std::str::from_utf8(b).ok().and_then(&parse))
            .await
        {
            Ok(fetched) => Ok(Some(fetched.parsed)),
            Err(FetchError::Rejected { status: 404, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn changed_since(&self, stream: Stream, since: Option<&str>) -> Option<Cursor> {
        match stream {
            Stream::People | Stream::Donations => since.map(|since| Cursor::Since {
                since: since.to_owned(),
                after: None,
            }),
            // Tags carry no updated_at, yet their taggings_count (and a rename) can change;
            // the list is small (about one tag per 40 people), so it is re-read whole.
            Stream::Tags => Some(Cursor::Keyset { after: None }),
            // Taggings never change: they are created or deleted, which the id sweep sees.
            Stream::Taggings => None,
        }
    }

    async fn fetch_page(&self, stream: Stream, cursor: &Cursor) -> Result<Page, FetchError> {
        match self.get_page(stream, cursor).await {
            // The API refused or ignored keyset paging: restart this stream with page numbers.
            // Records already loaded are upserted again, never duplicated.
            Err(FetchError::Rejected { status: 400, .. })
                if matches!(cursor, Cursor::Keyset { .. }) =>
            {
                tracing::warn!(stream = %stream, "keyset paging refused; using page[number] paging with duplicate detection");
                self.get_page(stream, &Cursor::PageNumber { number: 1 })
                    .await
            }
            other => other,
        }
    }
}

/// A parsed JSON:API collection document.
#[derive(Debug)]
pub struct Document {
    /// The resource objects.
    pub records: Vec<SourceRecord>,
    /// `meta.stats.total.count`, when present.
    pub total: Option<u64>,
}

/// Parses a collection document, keeping each resource object's exact text. `None` when the
/// body is not such a document (truncated, HTML from a proxy, …).
pub fn parse_document(body: &str) -> Option<Document> {
    #[derive(Deserialize)]
    struct Doc<'a> {
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
        #[serde(default)]
        meta: Option<serde_json::Value>,
    }
    let doc: Doc<'_> = serde_json::from_str(body).ok()?;
    let mut records = Vec::with_capacity(doc.data.len());
    for raw in doc.data {
        let value: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
        records.push(SourceRecord {
            source_id: id_text(value.get("id")),
            body: raw.get().to_owned(),
            value,
        });
    }
    let total = doc
        .meta
        .as_ref()
        .and_then(|m| m.pointer("/stats/total/count"))
        .and_then(serde_json::Value::as_u64);
    Some(Document { records, total })
}

/// An id as text: JSON:API ids are strings, v1 ids numbers; anything else is no id.
pub fn id_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Compares two ids numerically when both are integers, else as text.
pub fn id_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn strictly_ascending_after(after: Option<&str>, records: &[SourceRecord]) -> bool {
    let mut prev = after.map(str::to_owned);
    for record in records {
        let Some(id) = &record.source_id else {
            continue;
        };
        if let Some(p) = &prev {
            if id_cmp(id, p) != std::cmp::Ordering::Greater {
                return false;
            }
        }
        prev = Some(id.clone());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documents_and_keeps_exact_text() {
        let body = r#"{"data":[{"id":"18","type":"signups","attributes":{"first_name":"Zoë","n":1.0}}],
            "links":{"self":"/api/v2/signups?page[number]=1"},"meta":{"stats":{"total":{"count":402}}}}"#;
        let doc = parse_document(body).unwrap();
        assert_eq!(doc.total, Some(402));
        assert_eq!(doc.records.len(), 1);
        assert_eq!(doc.records[0].source_id.as_deref(), Some("18"));
        assert_eq!(
            doc.records[0].body,
            r#"{"id":"18","type":"signups","attributes":{"first_name":"Zoë","n":1.0}}"#
        );
        assert!(parse_document(r#"{"data":[{"id":"1"#).is_none());
        assert!(parse_document("<html>502 Bad Gateway</html>").is_none());
        assert!(parse_document(r#"{"data":[],"links":{"next":null}}"#)
            .is_some_and(|d| d.records.is_empty()));
    }

    #[test]
    fn ascending_check() {
        let rec = |id: &str| SourceRecord {
            source_id: Some(id.into()),
            body: String::new(),
            value: serde_json::Value::Null,
        };
        assert!(strictly_ascending_after(
            None,
            &[rec("1"), rec("2"), rec("10")]
        ));
        assert!(strictly_ascending_after(Some("9"), &[rec("10"), rec("11")]));
        assert!(!strictly_ascending_after(Some("10"), &[rec("1"), rec("2")]));
        assert!(!strictly_ascending_after(None, &[rec("2"), rec("2")]));
    }
}
