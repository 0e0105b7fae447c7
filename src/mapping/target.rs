//! The static catalogue of the open schema's tables and columns, as agreed in the schema design
//! note (`notes/schema-design.md`). Mapping files are validated against it, and [`Cell`]s are
//! emitted in its column order so the loader can bind one typed array per column.
//!
//! Every column has a [`ColumnRole`]: the engine fills `source_id` and the mapped columns; the
//! loader fills the provenance columns (`id`, `nation`, `run_id`, `raw_sha256`, `loaded_at`).
//! Tables that no mapping may target (`raw.records`, `sync.*`) are listed too, so this file is a
//! faithful mirror of the design, but they are marked not mappable.
//!
//! [`Cell`]: crate::mapping::Cell

use std::fmt;

/// The PostgreSQL type of a target column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlType {
    /// `text`.
    Text,
    /// `char(n)`; the engine checks the length.
    Char(u8),
    /// `boolean`.
    Boolean,
    /// `integer` (32 bits).
    Integer,
    /// `bigint`.
    BigInt,
    /// `double precision`.
    Double,
    /// `jsonb`.
    Jsonb,
    /// `json` (exact text; only in `raw.records` and `sync.rejects`).
    Json,
    /// `timestamptz`.
    Timestamptz,
    /// `date`.
    Date,
    /// `text[]`.
    TextArray,
}

impl SqlType {
    /// The type as written in SQL, e.g. `char(2)` or `text[]`.
    pub fn sql(self) -> String {
        match self {
            SqlType::Text => "text".into(),
            SqlType::Char(n) => format!("char({n})"),
            SqlType::Boolean => "boolean".into(),
            SqlType::Integer => "integer".into(),
            SqlType::BigInt => "bigint".into(),
            SqlType::Double => "double precision".into(),
            SqlType::Jsonb => "jsonb".into(),
            SqlType::Json => "json".into(),
            SqlType::Timestamptz => "timestamptz".into(),
            SqlType::Date => "date".into(),
            SqlType::TextArray => "text[]".into(),
        }
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

/// Who fills a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    /// Filled by the loader or the database (`id`, `nation`, `run_id`, `raw_sha256`,
    /// `loaded_at`); a mapping must not name it.
    Provenance,
    /// The row's source key, built by the engine from the block's `source_id` template.
    SourceId,
    /// Filled by the engine from the mapping file.
    Mapped,
}

/// A column's SQL default, when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnDefault {
    /// `generated always as identity`.
    Identity,
    /// `default now()`.
    Now,
    /// `default '{}'` (an empty JSON object).
    EmptyObject,
    /// A constant text default.
    Text(&'static str),
}

/// One column of a target table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column name.
    pub name: &'static str,
    /// Its SQL type.
    pub sql_type: SqlType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Who fills it.
    pub role: ColumnRole,
    /// Its SQL default, if any.
    pub default: Option<ColumnDefault>,
}

/// Identifies a table of the open schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum TableId {
    /// `core.people`.
    People,
    /// `core.email_addresses`.
    EmailAddresses,
    /// `core.phone_numbers`.
    PhoneNumbers,
    /// `core.postal_addresses`.
    PostalAddresses,
    /// `core.tags`.
    Tags,
    /// `core.taggings`.
    Taggings,
    /// `core.donations`.
    Donations,
    /// `sensitive.person_attributes`.
    PersonAttributes,
    /// `gdpr.consent_facts`.
    ConsentFacts,
    /// `raw.records` (not mappable).
    RawRecords,
    /// `sync.runs` (not mappable).
    SyncRuns,
    /// `sync.checkpoints` (not mappable).
    SyncCheckpoints,
    /// `sync.rejects` (not mappable).
    SyncRejects,
    /// `sync.field_dispositions` (not mappable).
    SyncFieldDispositions,
}

/// One table of the open schema.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    /// Which table this is.
    pub id: TableId,
    /// Its schema (`core`, `sensitive`, `gdpr`, `raw`, `sync`).
    pub schema: &'static str,
    /// Its name within the schema.
    pub name: &'static str,
    /// `schema.name`.
    pub qualified: &'static str,
    /// Whether mapping files may produce rows for it.
    pub mappable: bool,
    /// All columns, in the table's order.
    pub columns: &'static [Column],
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns the engine fills (`source_id` and the mapped ones), in table order; the
    /// [`Cell`](crate::mapping::Cell)s of a [`TableRow`](crate::mapping::TableRow) follow this
    /// order exactly.
    pub fn engine_columns(&self) -> impl Iterator<Item = &'static Column> + '_ {
        self.columns
            .iter()
            .filter(|c| c.role != ColumnRole::Provenance)
    }
}

impl TableId {
    /// The table's catalogue entry.
    pub fn table(self) -> &'static Table {
        // TABLES is ordered like the enum; the unit test `catalogue_is_ordered_like_the_enum`
        // keeps it that way.
        &TABLES[self as usize]
    }

    /// `schema.name`.
    pub fn qualified_name(self) -> &'static str {
        self.table().qualified
    }

    /// Whether a B-tree index of the open schema covers `column` of this table (see
    /// [`INDEXED_COLUMNS`]): such a value must fit an index row.
    pub fn is_indexed(self, column: &str) -> bool {
        column == "source_id"
            || INDEXED_COLUMNS
                .iter()
                .any(|(t, c)| *t == self.qualified_name() && *c == column)
    }

    /// Looks a table up by its qualified name (`core.people`).
    pub fn from_qualified_name(name: &str) -> Option<TableId> {
        TABLES.iter().find(|t| t.qualified == name).map(|t| t.id)
    }
}

/// The text columns of mapped tables, besides `source_id`, that a B-tree index of the
/// migrations covers (`tests/it/schema.rs` checks this list against the database).
pub const INDEXED_COLUMNS: &[(&str, &str)] = &[
    ("core.email_addresses", "person_source_id"),
    ("core.email_addresses", "address"),
    ("core.phone_numbers", "person_source_id"),
    ("core.phone_numbers", "number"),
    ("core.postal_addresses", "person_source_id"),
    ("core.tags", "name"),
    ("core.taggings", "person_source_id"),
    ("core.taggings", "tag_source_id"),
    ("core.donations", "person_source_id"),
    ("sensitive.person_attributes", "person_source_id"),
    ("sensitive.person_attributes", "attribute"),
    ("gdpr.consent_facts", "person_source_id"),
];

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.qualified_name())
    }
}

const fn col(name: &'static str, sql_type: SqlType) -> Column {
    Column {
        name,
        sql_type,
        nullable: true,
        role: ColumnRole::Mapped,
        default: None,
    }
}

const fn not_null(name: &'static str, sql_type: SqlType) -> Column {
    Column {
        name,
        sql_type,
        nullable: false,
        role: ColumnRole::Mapped,
        default: None,
    }
}

const fn with_default(
    name: &'static str,
    sql_type: SqlType,
    nullable: bool,
    default: ColumnDefault,
) -> Column {
    Column {
        name,
        sql_type,
        nullable,
        role: ColumnRole::Mapped,
        default: Some(default),
    }
}

const fn prov(name: &'static str, sql_type: SqlType, nullable: bool) -> Column {
    Column {
        name,
        sql_type,
        nullable,
        role: ColumnRole::Provenance,
        default: None,
    }
}

const ID: Column = Column {
    name: "id",
    sql_type: SqlType::BigInt,
    nullable: false,
    role: ColumnRole::Provenance,
    default: Some(ColumnDefault::Identity),
};
const NATION: Column = prov("nation", SqlType::Text, false);
const SOURCE_ID: Column = Column {
    name: "source_id",
    sql_type: SqlType::Text,
    nullable: false,
    role: ColumnRole::SourceId,
    default: None,
};
const RUN_ID: Column = prov("run_id", SqlType::BigInt, true);
const RAW_SHA256: Column = prov("raw_sha256", SqlType::Text, true);
const LOADED_AT: Column = Column {
    name: "loaded_at",
    sql_type: SqlType::Timestamptz,
    nullable: false,
    role: ColumnRole::Provenance,
    default: Some(ColumnDefault::Now),
};

/// An entity table: `id, nation, source_id`, the mapped columns, then
/// `run_id, raw_sha256, loaded_at`.
macro_rules! entity_table {
    ($id:ident, $schema:literal, $name:literal, [$($col:expr),* $(,)?]) => {
        Table {
            id: TableId::$id,
            schema: $schema,
            name: $name,
            qualified: concat!($schema, ".", $name),
            mappable: true,
            columns: &[ID, NATION, SOURCE_ID, $($col,)* RUN_ID, RAW_SHA256, LOADED_AT],
        }
    };
}

/// A bookkeeping table that no mapping may target; all its columns count as provenance.
macro_rules! internal_table {
    ($id:ident, $schema:literal, $name:literal, [$(($cname:literal, $ty:expr, $null:literal)),* $(,)?]) => {
        Table {
            id: TableId::$id,
            schema: $schema,
            name: $name,
            qualified: concat!($schema, ".", $name),
            mappable: false,
            columns: &[$(prov($cname, $ty, $null)),*],
        }
    };
}

use SqlType::{BigInt, Boolean, Date, Double, Integer, Jsonb, Text, TextArray, Timestamptz};

/// The text of `gdpr.consent_facts.provenance`'s default.
pub const CONSENT_PROVENANCE_DEFAULT: &str =
    "NationBuilder flag at export; NOT evidence of consent (email_opt_in defaults to true)";

/// Every table of the open schema, in [`TableId`] order.
pub static TABLES: &[Table] = &[
    entity_table!(
        People,
        "core",
        "people",
        [
            col("given_name", Text),
            col("family_name", Text),
            col("additional_name", Text),
            col("honorific_prefix", Text),
            col("honorific_suffix", Text),
            col("gender", Text),
            col("birthdate", Date),
            col("employer", Text),
            col("occupation", Text),
            col("preferred_language", Text),
            col("locale", Text),
            col("party_kind", Text),
            col("is_volunteer", Boolean),
            col("is_deceased", Boolean),
            col("external_ids", Jsonb),
            with_default("custom_fields", Jsonb, true, ColumnDefault::EmptyObject),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
            col("source_api", Text),
        ]
    ),
    entity_table!(
        EmailAddresses,
        "core",
        "email_addresses",
        [
            not_null("person_source_id", Text),
            col("address", Text),
            col("address_raw", Text),
            not_null("is_primary", Boolean),
            col("is_bad", Boolean),
            col("source_slot", Text),
            col("is_valid", Boolean),
        ]
    ),
    entity_table!(
        PhoneNumbers,
        "core",
        "phone_numbers",
        [
            not_null("person_source_id", Text),
            col("number", Text),
            col("number_raw", Text),
            col("number_type", Text),
            col("is_primary", Boolean),
        ]
    ),
    entity_table!(
        PostalAddresses,
        "core",
        "postal_addresses",
        [
            not_null("person_source_id", Text),
            col("address_type", Text),
            col("is_primary", Boolean),
            col("address_lines", TextArray),
            col("locality", Text),
            col("region", Text),
            col("postal_code", Text),
            col("country", SqlType::Char(2)),
            col("county", Text),
            col("latitude", Double),
            col("longitude", Double),
        ]
    ),
    entity_table!(
        Tags,
        "core",
        "tags",
        [col("name", Text), col("taggings_count_reported", Integer)]
    ),
    entity_table!(
        Taggings,
        "core",
        "taggings",
        [
            not_null("person_source_id", Text),
            not_null("tag_source_id", Text),
            col("tag_name", Text),
            col("created_date", Timestamptz),
        ]
    ),
    entity_table!(
        Donations,
        "core",
        "donations",
        [
            col("person_source_id", Text),
            not_null("amount_minor", BigInt),
            not_null("currency", SqlType::Char(3)),
            col("status", Text),
            col("succeeded_at", Timestamptz),
            col("failed_at", Timestamptz),
            col("canceled_at", Timestamptz),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
            col("payment_method", Text),
            col("check_number", Text),
            col("tracking_code", Text),
            col("is_private", Boolean),
            col("is_corporate", Boolean),
            col("donor_given_name", Text),
            col("donor_family_name", Text),
            col("donor_email", Text),
            col("donor_employer", Text),
            col("donor_occupation", Text),
            col("note", Text),
            with_default("custom_fields", Jsonb, true, ColumnDefault::EmptyObject),
        ]
    ),
    entity_table!(
        PersonAttributes,
        "sensitive",
        "person_attributes",
        [
            not_null("person_source_id", Text),
            col("attribute", Text),
            col("category", Text),
            not_null("value", Jsonb),
            not_null("is_inferred", Boolean),
        ]
    ),
    entity_table!(
        ConsentFacts,
        "gdpr",
        "consent_facts",
        [
            not_null("person_source_id", Text),
            col("flag", Text),
            col("value", Jsonb),
            col("source_field", Text),
            col("source_modified_date", Timestamptz),
            with_default(
                "provenance",
                Text,
                false,
                ColumnDefault::Text(CONSENT_PROVENANCE_DEFAULT)
            ),
        ]
    ),
    internal_table!(
        RawRecords,
        "raw",
        "records",
        [
            ("id", BigInt, false),
            ("nation", Text, false),
            ("resource", Text, false),
            ("source_id", Text, false),
            ("api", Text, true),
            ("body", SqlType::Json, false),
            ("sha256", Text, false),
            ("fetched_at", Timestamptz, true),
            ("run_id", BigInt, true),
            ("raw_sha256", Text, true),
            ("loaded_at", Timestamptz, false),
        ]
    ),
    internal_table!(
        SyncRuns,
        "sync",
        "runs",
        [
            ("id", BigInt, false),
            ("nation", Text, true),
            ("api", Text, true),
            ("started_at", Timestamptz, true),
            ("finished_at", Timestamptz, true),
            ("status", Text, true),
            ("tool_version", Text, true),
            ("mapping_sha256", Text, true),
            ("options", Jsonb, true),
            ("error", Text, true),
            ("db_tls", SqlType::Boolean, true),
            ("db_tls_version", Text, true),
            ("db_tls_cipher", Text, true),
            ("db_tls_bits", SqlType::Integer, true),
            ("db_sslmode", Text, true),
            ("db_insecure", SqlType::Boolean, true),
        ]
    ),
    internal_table!(
        SyncCheckpoints,
        "sync",
        "checkpoints",
        [
            ("nation", Text, false),
            ("stream", Text, false),
            ("api", Text, true),
            ("cursor", Jsonb, true),
            ("pages", BigInt, true),
            ("records", BigInt, true),
            ("rejects", BigInt, true),
            ("status", Text, true),
            ("last_error", Text, true),
            ("mapping_sha256", Text, true),
            ("total_reported", BigInt, true),
            ("run_id", BigInt, true),
            ("updated_at", Timestamptz, true),
        ]
    ),
    internal_table!(
        SyncRejects,
        "sync",
        "rejects",
        [
            ("nation", Text, true),
            ("resource", Text, true),
            ("source_id", Text, true),
            ("field", Text, true),
            ("reason", Text, true),
            ("body", SqlType::Json, true),
            ("run_id", BigInt, true),
            ("rejected_at", Timestamptz, true),
        ]
    ),
    internal_table!(
        SyncFieldDispositions,
        "sync",
        "field_dispositions",
        [
            ("nation", Text, false),
            ("resource", Text, false),
            ("source_field", Text, false),
            ("disposition", Text, true),
            ("target", Text, true),
            ("seen_count", BigInt, true),
            ("run_id", BigInt, true),
        ]
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_ordered_like_the_enum() {
        for (i, t) in TABLES.iter().enumerate() {
            assert_eq!(t.id as usize, i, "{}", t.qualified);
            assert_eq!(t.id.table().qualified, t.qualified);
        }
    }

    #[test]
    fn entity_tables_have_provenance_and_key() {
        for t in TABLES.iter().filter(|t| t.mappable) {
            for name in ["id", "nation", "run_id", "raw_sha256", "loaded_at"] {
                assert_eq!(t.column(name).map(|c| c.role), Some(ColumnRole::Provenance));
            }
            assert_eq!(
                t.column("source_id").map(|c| c.role),
                Some(ColumnRole::SourceId)
            );
            assert_eq!(t.engine_columns().next().map(|c| c.name), Some("source_id"));
        }
    }

    #[test]
    fn lookup_by_name() {
        assert_eq!(
            TableId::from_qualified_name("core.people"),
            Some(TableId::People)
        );
        assert_eq!(TableId::from_qualified_name("core.person"), None);
        assert_eq!(SqlType::Char(2).sql(), "char(2)");
    }
}
