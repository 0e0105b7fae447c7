//! The mapping glue of the pipeline: the [`Mapper`] trait (records of a page → rows), its
//! implementation over the declarative files ([`MappingMapper`]), and [`build_batch`], which
//! turns the records of a page into everything the page writes but its checkpoint — the raw
//! archive rows with their canonical hashes, the mapped rows of each table, the rejects and the
//! field dispositions ([`MappedBatch`]). Pure: no I/O. The loader writes a [`MappedBatch`]
//! with the page's checkpoint in one transaction (`load::PageBatch`); `verify` re-derives rows
//! with the same function, so a load and its verification map alike.

use std::collections::BTreeMap;

use crate::canonical;
use crate::fetch::SourceRecord;
use crate::resource::Resource;
use crate::schema::catalogue::TableId;

use super::{Cell, MapContext, MappingSet};

/// A raw record to archive.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// The NationBuilder id.
    pub source_id: String,
    /// The record's bytes as received.
    pub body: Vec<u8>,
    /// Whether `raw.records.body` (type `json`) can hold them as they are; otherwise they go
    /// to `raw.records.body_bytes`.
    pub json_storable: bool,
    /// Hex SHA-256 of its canonical JSON (of its bytes, for a record that cannot be parsed; see
    /// [`crate::canonical::record_sha256_hex`]).
    pub sha256: String,
}

impl RawRow {
    /// The body as `json` text, when it is stored that way.
    pub fn json_text(&self) -> Option<&str> {
        if self.json_storable {
            std::str::from_utf8(&self.body).ok()
        } else {
            None
        }
    }

    /// The body as bytes, when it is stored that way.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.json_text().is_none().then_some(self.body.as_slice())
    }
}

/// A record (or one field of it) that could not be mapped.
#[derive(Debug, Clone)]
pub struct RejectRow {
    /// The record's id, when it had one.
    pub source_id: Option<String>,
    /// The source field at fault (`id`, `attributes.created_at`…).
    pub field: String,
    /// Why.
    pub reason: String,
    /// The record as received, for records that could not be archived under an id.
    pub body: Option<Vec<u8>>,
    /// Whether `sync.rejects.body` (type `json`) can hold `body` as it is; otherwise it goes
    /// to `sync.rejects.body_bytes`.
    pub json_storable: bool,
}

impl RejectRow {
    /// What tells apart two rejects of records without an id: the SHA-256 of the bytes kept
    /// (`None` for a record with an id, which its id tells apart).
    pub fn record_sha256(&self) -> Option<String> {
        use sha2::Digest as _;
        match (&self.source_id, &self.body) {
            (None, Some(body)) => Some(hex::encode(sha2::Sha256::digest(body))),
            _ => None,
        }
    }
}

/// One mapped row to load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRow {
    /// The row's key.
    pub source_id: String,
    /// SHA-256 of the raw record it derives from.
    pub raw_sha256: Option<String>,
    /// The values in the table's engine-column order (the first is `source_id`, which the
    /// loader takes from [`LoadRow::source_id`] instead).
    pub cells: Vec<Cell>,
}

/// Rows for one target table.
#[derive(Debug, Clone)]
pub struct TableRows {
    /// The table.
    pub table: TableId,
    /// The rows, in arrival order (the last row wins for a repeated key).
    pub rows: Vec<LoadRow>,
    /// For child tables: the column linking to the parent record, and the parents whose child
    /// rows this batch replaces as a set.
    pub replace_children_of: Option<(String, Vec<String>)>,
}

impl TableRows {
    /// No rows yet for `table`.
    pub fn new(table: TableId) -> Self {
        Self {
            table,
            rows: Vec::new(),
            replace_children_of: None,
        }
    }
}

/// The mapped form of one page, ready for the sink.
#[derive(Debug, Default, Clone)]
pub struct MappedPage {
    /// Rows per qualified table name.
    pub tables: BTreeMap<String, TableRows>,
    /// Records or fields that could not be mapped.
    pub rejects: Vec<RejectRow>,
    /// Ids mapped without any reject (their earlier rejects are cleared).
    pub mapped_ids: Vec<String>,
    /// Source fields seen on this page: (field, disposition, target) → records carrying a value.
    pub fields: BTreeMap<(String, String, Option<String>), u64>,
}

/// Maps records of a stream to rows. Pure: no I/O.
pub trait Mapper: Send + Sync {
    /// Maps the records of one page (only records that have an id are given).
    fn map_page(&self, stream: Resource, records: &[&SourceRecord]) -> MappedPage;
    /// Checksum of the mapping files in use (the whole set: recorded with a run).
    fn checksum(&self) -> String;
    /// Checksum of the mapping file of `stream` alone: what its rows and checkpoint carry.
    fn checksum_of(&self, stream: Resource) -> String;
    /// The tables a stream's records load into: (qualified table, parent column for child
    /// tables keyed on the parent's id, `None` for tables keyed on the record's own id).
    fn tables(&self, stream: Resource) -> Vec<(String, Option<String>)>;
}

/// Everything a page of records writes but its checkpoint (see [`build_batch`]).
#[derive(Debug, Clone, Default)]
pub struct MappedBatch {
    /// Raw records, each under its id.
    pub raw: Vec<RawRow>,
    /// Mapped rows per qualified table name (`core.people`…).
    pub tables: BTreeMap<String, TableRows>,
    /// Rejects.
    pub rejects: Vec<RejectRow>,
    /// Ids mapped without any reject (their earlier rejects are superseded).
    pub mapped_ids: Vec<String>,
    /// Source fields seen: (field, disposition, target) → records carrying a value.
    pub fields: BTreeMap<(String, String, Option<String>), u64>,
}

/// Turns records of `resource` fetched through `api` into everything their page writes but its
/// checkpoint: raw rows with their canonical hashes, mapped rows stamped with the raw hash they
/// derive from, and rejects — including one for every record without a usable id, whose body
/// is kept in the reject itself, and one for every record of the wrong shape. Pure.
pub fn build_batch<M: Mapper>(
    api: &str,
    resource: Resource,
    mapper: &M,
    records: &[SourceRecord],
) -> MappedBatch {
    let stream = resource;
    let mut raw = Vec::with_capacity(records.len());
    let mut with_id = Vec::with_capacity(records.len());
    let mut rejects = Vec::new();
    let mut hashes: BTreeMap<&str, String> = BTreeMap::new();
    for record in records {
        match &record.source_id {
            Some(id) => {
                let sha256 = canonical::record_sha256_hex(&record.body, &record.value);
                hashes.insert(id.as_str(), sha256.clone());
                raw.push(RawRow {
                    source_id: id.clone(),
                    body: record.body.clone(),
                    json_storable: record.json_storable,
                    sha256,
                });
                // A record that cannot be read, or of the wrong shape, is archived and
                // rejected whole: never loaded as an empty row.
                let defect = record
                    .defect
                    .clone()
                    .or_else(|| crate::fetch::shape_defect(api, stream, &record.value));
                match defect {
                    Some(defect) => rejects.push(RejectRow {
                        source_id: Some(id.clone()),
                        field: defect.field,
                        reason: defect.reason,
                        body: None,
                        json_storable: true,
                    }),
                    None => with_id.push(record),
                }
            }
            None => rejects.push(RejectRow {
                source_id: None,
                field: "id".into(),
                reason: record
                    .defect
                    .as_ref()
                    .filter(|d| d.field == "id")
                    .map_or_else(
                        || "the record has no id, so it cannot be archived or loaded".to_owned(),
                        |d| d.reason.clone(),
                    ),
                body: Some(record.body.clone()),
                json_storable: record.json_storable,
            }),
        }
    }
    let mut mapped = mapper.map_page(stream, &with_id);
    for rows in mapped.tables.values_mut() {
        for row in &mut rows.rows {
            // A row keyed on the record's own id, else a child row "<parent id>:<slot>".
            let id = row.source_id.as_str();
            row.raw_sha256 = hashes
                .get(id)
                .or_else(|| id.split_once(':').and_then(|(p, _)| hashes.get(p)))
                .cloned();
        }
    }
    rejects.append(&mut mapped.rejects);
    for reject in &mut rejects {
        reject.field = crate::fetch::scan::field_label(&reject.field);
    }
    // Field names are built from the records' own keys, which may hold NUL or run long.
    let fields = std::mem::take(&mut mapped.fields).into_iter().fold(
        BTreeMap::new(),
        |mut acc, ((field, d, t), n)| {
            *acc.entry((crate::fetch::scan::field_label(&field), d, t))
                .or_insert(0) += n;
            acc
        },
    );
    MappedBatch {
        raw,
        tables: mapped.tables,
        rejects,
        mapped_ids: mapped.mapped_ids,
        fields,
    }
}

/// The [`Mapper`] over the declarative mapping files.
#[derive(Debug)]
pub struct MappingMapper {
    set: MappingSet,
    ctx: MapContext,
}

impl MappingMapper {
    /// Maps with `set`, giving the run's currency and default country to the files.
    pub fn new(set: MappingSet, currency: &str, default_country: Option<String>) -> Self {
        Self {
            set,
            ctx: MapContext {
                currency: currency.to_owned(),
                default_country,
            },
        }
    }
}

impl Mapper for MappingMapper {
    fn checksum(&self) -> String {
        self.set.checksum().to_owned()
    }

    fn checksum_of(&self, stream: Resource) -> String {
        self.set.checksum_of(stream.as_str())
    }

    fn tables(&self, stream: Resource) -> Vec<(String, Option<String>)> {
        let Some(mapping) = self.set.get(stream.as_str()) else {
            return Vec::new();
        };
        let children = mapping.child_tables();
        mapping
            .tables()
            .into_iter()
            .map(|table| {
                let parent = children
                    .iter()
                    .find(|(t, _)| *t == table)
                    .map(|(_, col)| (*col).to_owned());
                (table.qualified_name().to_owned(), parent)
            })
            .collect()
    }

    fn map_page(&self, stream: Resource, records: &[&SourceRecord]) -> MappedPage {
        let mut page = MappedPage::default();
        let Some(mapping) = self.set.get(stream.as_str()) else {
            for record in records {
                page.rejects.push(RejectRow {
                    source_id: record.source_id.clone(),
                    field: "(record)".into(),
                    reason: format!("no mapping file for resource {stream}"),
                    body: None,
                    json_storable: true,
                });
            }
            return page;
        };
        // Counted per page with cheap keys; turned into the batch's form once at the end.
        let mut fields: std::collections::HashMap<_, u64> = std::collections::HashMap::new();
        for record in records {
            let mapped = mapping.apply(&record.value, &self.ctx);
            for set in &mapped.child_sets {
                let rows = page
                    .tables
                    .entry(set.table.qualified_name().to_owned())
                    .or_insert_with(|| TableRows::new(set.table));
                let (column, parents) = rows
                    .replace_children_of
                    .get_or_insert_with(|| (set.parent_column.to_owned(), Vec::new()));
                debug_assert_eq!(column, set.parent_column);
                parents.push(set.parent_source_id.clone());
            }
            for row in mapped.rows {
                page.tables
                    .entry(row.table.qualified_name().to_owned())
                    .or_insert_with(|| TableRows::new(row.table))
                    .rows
                    .push(LoadRow {
                        source_id: row.source_id,
                        raw_sha256: None,
                        cells: row.cells,
                    });
            }
            let clean = mapped.rejects.is_empty();
            for reject in mapped.rejects {
                page.rejects.push(RejectRow {
                    source_id: reject.source_id.or_else(|| record.source_id.clone()),
                    field: reject.field,
                    reason: reject.reason,
                    body: None,
                    json_storable: true,
                });
            }
            if clean {
                if let Some(id) = &record.source_id {
                    page.mapped_ids.push(id.clone());
                }
            }
            for seen in mapped.fields {
                if seen.has_value {
                    *fields
                        .entry((seen.field, seen.disposition, seen.target))
                        .or_insert(0) += 1;
                }
            }
        }
        page.fields = fields
            .into_iter()
            .map(|((field, disposition, target), n)| {
                (
                    (
                        field,
                        disposition.as_str().to_owned(),
                        target.map(|t| t.to_string()),
                    ),
                    n,
                )
            })
            .collect();
        page
    }
}
