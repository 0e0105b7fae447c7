//! The catalogue of the open schema: every table and view the migrations create, with every
//! column's name, type and nullability, in the database's column order. The SQL migrations
//! beside it (`migrations/`) are the truth; this catalogue is what the code reads — mapping
//! files are validated against it, [`Cell`]s are emitted in its column order so the loader can
//! bind one typed array per column, and the loader keeps values that an index covers within
//! the index's row limit. A test of the integration suite diffs the catalogue against
//! `information_schema` of a freshly migrated database, so a column added to the DDL alone (or
//! to the catalogue alone) fails the build.
//!
//! A table is looked up by its qualified name ([`TableId::named`]); a [`TableId`] is an index
//! into [`TABLES`], so adding a table is adding its entry here next to its migration. Every
//! column has a [`ColumnRole`]: the mapping engine fills `source_id` and the mapped columns;
//! the loader or the database fills the provenance columns (`id`, `nation`, `run_id`,
//! `raw_sha256`, `loaded_at`). Tables no mapping may target (`raw`, `sync`, `audit`) and the
//! `analysis` views are listed too, all their columns as provenance.
//!
//! [`Cell`]: crate::mapping::Cell

use std::fmt;

/// The PostgreSQL type of a column.
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
    /// `numeric` (only in views).
    Numeric,
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
    /// `bytea` (bodies a `json` column cannot hold; salts).
    Bytea,
    /// `bytea[]` (spooled bodies a `text` element cannot hold).
    ByteaArray,
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
            SqlType::Numeric => "numeric".into(),
            SqlType::Jsonb => "jsonb".into(),
            SqlType::Json => "json".into(),
            SqlType::Timestamptz => "timestamptz".into(),
            SqlType::Date => "date".into(),
            SqlType::TextArray => "text[]".into(),
            SqlType::Bytea => "bytea".into(),
            SqlType::ByteaArray => "bytea[]".into(),
        }
    }

    /// The type as PostgreSQL's `format_type` names it (`character(2)`, `timestamp with time
    /// zone`), for comparing the catalogue with a database.
    pub fn pg_format(self) -> String {
        match self {
            SqlType::Char(n) => format!("character({n})"),
            SqlType::Timestamptz => "timestamp with time zone".into(),
            other => other.sql(),
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
    /// `loaded_at`, and every column of a table no mapping targets); a mapping must not name
    /// it.
    Provenance,
    /// The row's source key, built by the engine from the block's `source_id` template.
    SourceId,
    /// Filled by the engine from the mapping file.
    Mapped,
}

/// A mapped column's SQL default, when it has one (the engine writes it when the mapping
/// gives no value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnDefault {
    /// `generated always as identity`.
    Identity,
    /// `default now()`.
    Now,
    /// `default '{}'` (an empty JSON object).
    EmptyObject,
    /// `default false`.
    False,
    /// A constant text default.
    Text(&'static str),
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column name.
    pub name: &'static str,
    /// Its SQL type.
    pub sql_type: SqlType,
    /// Whether NULL is allowed (always true for a view's columns).
    pub nullable: bool,
    /// Who fills it.
    pub role: ColumnRole,
    /// Its SQL default, if any (recorded for mapped columns).
    pub default: Option<ColumnDefault>,
}

/// What kind of relation a catalogue entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// A table of mapped records (`core`, `sensitive`, `gdpr`): `id, nation, source_id`, the
    /// mapped columns, then `run_id, raw_sha256, loaded_at`, then any mapped columns a later
    /// migration added; mapping files may target it.
    Entity,
    /// A bookkeeping table (`raw`, `sync`, `audit`) that only nb-exodus itself writes.
    Internal,
    /// A view (`analysis`, `sensitive.person_attributes_by_person`).
    View,
}

/// One table or view of the open schema.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    /// Its schema (`core`, `sensitive`, `gdpr`, `raw`, `sync`, `audit`, `analysis`).
    pub schema: &'static str,
    /// Its name within the schema.
    pub name: &'static str,
    /// `schema.name`.
    pub qualified: &'static str,
    /// What kind of relation it is.
    pub kind: TableKind,
    /// All columns, in the table's order.
    pub columns: &'static [Column],
    /// Its text columns, besides `source_id`, that a B-tree index covers: a value there must
    /// fit an index row (a test checks the list against the database's indexes).
    pub indexed: &'static [&'static str],
}

impl Table {
    /// Whether mapping files may produce rows for it.
    pub fn mappable(&self) -> bool {
        self.kind == TableKind::Entity
    }

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

/// Identifies a table of the catalogue (its index in [`TABLES`]): cheap to copy, ordered like
/// the catalogue.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(u16);

impl TableId {
    /// The table called `qualified` (`core.people`).
    pub fn named(qualified: &str) -> Option<TableId> {
        TABLES
            .iter()
            .position(|t| t.qualified == qualified)
            .and_then(|i| u16::try_from(i).ok())
            .map(TableId)
    }

    /// Every table and view, in catalogue order.
    pub fn all() -> impl Iterator<Item = TableId> {
        (0..TABLES.len()).filter_map(|i| u16::try_from(i).ok().map(TableId))
    }

    /// The table's catalogue entry.
    pub fn table(self) -> &'static Table {
        &TABLES[usize::from(self.0)]
    }

    /// `schema.name`.
    pub fn qualified_name(self) -> &'static str {
        self.table().qualified
    }

    /// Whether a B-tree index of the open schema covers `column` of this table (see
    /// [`Table::indexed`]): such a value must fit an index row.
    pub fn is_indexed(self, column: &str) -> bool {
        column == "source_id" || self.table().indexed.contains(&column)
    }
}

impl fmt::Debug for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.qualified_name())
    }
}

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
/// `run_id, raw_sha256, loaded_at`, then the mapped columns a later migration added with
/// `ALTER TABLE … ADD COLUMN` (which appends them after the provenance columns), if any.
macro_rules! entity_table {
    ($schema:literal, $name:literal, indexed: [$($ix:literal),* $(,)?], [$($col:expr),* $(,)?]) => {
        entity_table!($schema, $name, indexed: [$($ix),*], [$($col),*], added: [])
    };
    (
        $schema:literal,
        $name:literal,
        indexed: [$($ix:literal),* $(,)?],
        [$($col:expr),* $(,)?],
        added: [$($add:expr),* $(,)?]
    ) => {
        Table {
            schema: $schema,
            name: $name,
            qualified: concat!($schema, ".", $name),
            kind: TableKind::Entity,
            columns: &[ID, NATION, SOURCE_ID, $($col,)* RUN_ID, RAW_SHA256, LOADED_AT, $($add,)*],
            indexed: &[$($ix),*],
        }
    };
}

/// A bookkeeping table that no mapping may target; all its columns count as provenance.
macro_rules! internal_table {
    ($schema:literal, $name:literal, [$(($cname:literal, $ty:expr, $null:literal)),* $(,)?]) => {
        Table {
            schema: $schema,
            name: $name,
            qualified: concat!($schema, ".", $name),
            kind: TableKind::Internal,
            columns: &[$(prov($cname, $ty, $null)),*],
            indexed: &[],
        }
    };
}

/// A view; all its columns count as provenance and are nullable.
macro_rules! view {
    ($schema:literal, $name:literal, [$(($cname:literal, $ty:expr, $null:literal)),* $(,)?]) => {
        Table {
            schema: $schema,
            name: $name,
            qualified: concat!($schema, ".", $name),
            kind: TableKind::View,
            columns: &[$(prov($cname, $ty, $null)),*],
            indexed: &[],
        }
    };
}

use SqlType::{
    BigInt, Boolean, Bytea, ByteaArray, Char, Date, Double, Integer, Json, Jsonb, Numeric, Text,
    TextArray, Timestamptz,
};

/// The text of `gdpr.consent_facts.provenance`'s default.
pub const CONSENT_PROVENANCE_DEFAULT: &str =
    "NationBuilder flag at export; NOT evidence of consent (email_opt_in defaults to true)";

/// Every table and view of the open schema: mapped tables first, then bookkeeping tables and
/// views by qualified name.
pub static TABLES: &[Table] = &[
    entity_table!(
        "core",
        "people",
        indexed: [],
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
        ],
        added: [
            col("precinct_source_id", Text),
            col("recruiter_source_id", Text),
            col("parent_source_id", Text),
            col("author_source_id", Text),
        ]
    ),
    entity_table!(
        "core",
        "email_addresses",
        indexed: ["person_source_id", "address"],
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
        "core",
        "phone_numbers",
        indexed: ["person_source_id", "number"],
        [
            not_null("person_source_id", Text),
            col("number", Text),
            col("number_raw", Text),
            col("number_type", Text),
            with_default("is_primary", Boolean, false, ColumnDefault::False),
        ]
    ),
    entity_table!(
        "core",
        "postal_addresses",
        indexed: ["person_source_id"],
        [
            not_null("person_source_id", Text),
            col("address_type", Text),
            with_default("is_primary", Boolean, false, ColumnDefault::False),
            col("address_lines", TextArray),
            col("locality", Text),
            col("region", Text),
            col("postal_code", Text),
            col("country", Char(2)),
            col("county", Text),
            col("latitude", Double),
            col("longitude", Double),
        ]
    ),
    entity_table!(
        "core",
        "tags",
        indexed: ["name"],
        [col("name", Text), col("taggings_count_reported", Integer)]
    ),
    entity_table!(
        "core",
        "taggings",
        indexed: ["person_source_id", "tag_source_id"],
        [
            not_null("person_source_id", Text),
            not_null("tag_source_id", Text),
            col("tag_name", Text),
            col("created_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "donations",
        indexed: ["person_source_id"],
        [
            col("person_source_id", Text),
            not_null("amount_minor", BigInt),
            not_null("currency", Char(3)),
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
        ],
        added: [
            col("membership_source_id", Text),
            col("tracking_code_source_id", Text),
            col("page_source_id", Text),
            col("pledge_source_id", Text),
        ]
    ),
    entity_table!(
        "core",
        "memberships",
        indexed: ["person_source_id"],
        [
            not_null("person_source_id", Text),
            col("membership_type_source_id", Text),
            col("membership_type_name", Text),
            col("status", Text),
            col("status_reason", Text),
            col("started_at", Timestamptz),
            col("expires_on", Date),
            col("grace_period_num_time_periods", Integer),
            col("grace_period_time_period_type", Text),
            col("suspended_on", Date),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "membership_types",
        indexed: [],
        [
            col("name", Text),
            col("description", Text),
            col("page_source_id", Text),
            col("grace_period_num_time_periods", Integer),
            col("grace_period_time_period_type", Text),
            col("expiration_warning_num_time_periods", Integer),
            col("expiration_warning_time_period_type", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "custom_field_definitions",
        indexed: [],
        [
            col("name", Text),
            col("slug", Text),
            col("field_type", Text),
            col("options", Jsonb),
            col("position", Integer),
            col("resource_type", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "lists",
        indexed: [],
        [
            col("name", Text),
            col("slug", Text),
            col("description", Text),
            col("author_source_id", Text),
            col("assignee_source_id", Text),
            col("parent_list_source_id", Text),
            col("is_sharing_writable", Boolean),
            col("source_total_items", Integer),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "list_items",
        indexed: ["list_source_id", "person_source_id"],
        [
            not_null("list_source_id", Text),
            not_null("person_source_id", Text),
            col("item_type", Text),
        ]
    ),
    entity_table!(
        "core",
        "precincts",
        indexed: [],
        [
            col("code", Text),
            col("name", Text),
            col("point_person_source_id", Text),
        ]
    ),
    entity_table!(
        "core",
        "relationships",
        indexed: ["first_person_source_id", "second_person_source_id"],
        [
            not_null("first_person_source_id", Text),
            not_null("second_person_source_id", Text),
            col("relationship_type", Text),
            col("title", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "contacts",
        indexed: ["person_source_id"],
        [
            col("person_source_id", Text),
            col("canvasser_source_id", Text),
            col("broadcaster_source_id", Text),
            col("contact_type", Text),
            col("status_code", Text),
            col("path_source_id", Text),
            col("path_step_source_id", Text),
            col("political_capital_cents", Integer),
            col("created_date", Timestamptz),
        ]
    ),
    entity_table!(
        "sensitive",
        "contact_notes",
        indexed: ["contact_source_id", "person_source_id"],
        [
            not_null("contact_source_id", Text),
            col("person_source_id", Text),
            not_null("content", Text),
            col("created_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "paths",
        indexed: [],
        [
            col("name", Text),
            col("default_point_person_source_id", Text),
            col("due_date_is_enabled", Boolean),
            col("default_due_date_interval", Text),
            col("value_amount_is_enabled", Boolean),
            col("default_value_amount", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "path_steps",
        indexed: ["path_source_id"],
        [
            col("path_source_id", Text),
            col("name", Text),
            col("position", Integer),
            col("default_point_person_source_id", Text),
            col("default_due_date_interval", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "path_journeys",
        indexed: ["person_source_id"],
        [
            col("person_source_id", Text),
            col("path_source_id", Text),
            col("current_step_source_id", Text),
            col("point_person_source_id", Text),
            col("current_step_point_person_source_id", Text),
            col("description", Text),
            col("due_date", Timestamptz),
            col("current_step_due_date", Timestamptz),
            col("value_amount", Text),
            col("journey_status", Text),
            col("ended_at", Timestamptz),
            col("last_moved_at", Timestamptz),
            col("status_change_source_id", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "path_histories",
        indexed: ["path_journey_source_id"],
        [
            col("path_journey_source_id", Text),
            col("path_step_source_id", Text),
            col("category", Text),
            col("point_person_source_id", Text),
            col("current_step_point_person_source_id", Text),
            col("recruiter_source_id", Text),
            col("status_change_source_id", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "path_journey_status_changes",
        indexed: [],
        [
            col("path_source_id", Text),
            col("name", Text),
            col("target_status", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "sites",
        indexed: [],
        [
            col("name", Text),
            col("slug", Text),
            col("domain", Text),
        ]
    ),
    entity_table!(
        "core",
        "pages",
        indexed: ["site_source_id", "author_source_id"],
        [
            col("name", Text),
            col("slug", Text),
            col("headline", Text),
            col("title", Text),
            col("excerpt", Text),
            col("external_id", Text),
            col("page_type_name", Text),
            col("status", Text),
            col("permission_level", Text),
            col("effective_permission_level", Text),
            col("ancestors_permission_level", Text),
            col("url_path", Text),
            col("parent_slug", Text),
            col("published_date", Timestamptz),
            col("site_source_id", Text),
            col("parent_source_id", Text),
            col("author_source_id", Text),
        ]
    ),
    entity_table!(
        "core",
        "events",
        indexed: ["page_source_id"],
        [
            col("page_source_id", Text),
            col("start_date", Timestamptz),
            col("duration_seconds", Integer),
            col("time_zone", Text),
            col("location_venue", Text),
            col("location_address1", Text),
            col("location_address2", Text),
            col("location_locality", Text),
            col("location_region", Text),
            col("location_postal_code", Text),
            col("location_country", Text),
            col("description", Text),
            col("capacity", Integer),
            col("additional_rsvps_count", Integer),
            col("attending_count", Integer),
            col("accept_rsvps", Boolean),
            col("allow_guests", Boolean),
            col("show_guests", Boolean),
            col("gather_volunteers", Boolean),
            col("uses_shifts", Boolean),
            col("uses_tickets", Boolean),
            col("is_private", Boolean),
            col("event_form_address", Text),
            col("event_form_phone", Text),
            col("contact_name", Text),
            col("contact_email", Text),
            col("contact_phone", Text),
            col("contact_email_private", Boolean),
            col("contact_phone_private", Boolean),
            col("point_person_source_id", Text),
            col("donation_tracking_code_source_id", Text),
            col("auto_response_broadcaster_source_id", Text),
            col("sends_auto_response", Boolean),
            col("auto_response_subject", Text),
            col("auto_response_content", Text),
            col("user_ticket_currency", Text),
            col("user_ticket_price_in_cents", Integer),
            col("user_ticket_purchase_url", Text),
        ]
    ),
    entity_table!(
        "core",
        "attendances",
        indexed: ["event_source_id", "person_source_id"],
        [
            col("event_source_id", Text),
            col("page_source_id", Text),
            col("person_source_id", Text),
            col("given_name", Text),
            col("family_name", Text),
            col("email", Text),
            col("canceled", Boolean),
            col("attended", Boolean),
            col("volunteer", Boolean),
            col("is_private", Boolean),
            col("guests_count", Integer),
            col("tickets_count", Integer),
            col("amount_minor", BigInt),
            col("currency", Char(3)),
            col("prepaid", Boolean),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "event_ticket_levels",
        indexed: ["event_source_id"],
        [
            col("event_source_id", Text),
            col("title", Text),
            col("description", Text),
            col("amount_minor", BigInt),
            col("currency", Char(3)),
            col("seats_per_ticket", Integer),
            col("ticket_limit", Integer),
            col("tickets_sold", Integer),
        ]
    ),
    entity_table!(
        "core",
        "broadcasters",
        indexed: [],
        [
            col("name", Text),
            col("email", Text),
            col("person_source_id", Text),
            col("point_person_source_id", Text),
            col("text_point_person_source_id", Text),
            col("voicemail_point_person_source_id", Text),
            col("call_type_source_id", Text),
            col("emailer_tags", Text),
            col("text_tags", Text),
            col("voicemail_tags", Text),
            col("emailers_need_followup", Boolean),
            col("text_needs_followup", Boolean),
            col("voicemail_needs_followup", Boolean),
            col("is_bcc", Boolean),
            col("receive_email", Boolean),
            col("new_email_sender_marked_as_prospect", Boolean),
            col("mailings_count_reported", Integer),
            col("received_calls_count_reported", Integer),
            col("text_blasts_count_reported", Integer),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "mailings",
        indexed: ["broadcaster_source_id"],
        [
            col("name", Text),
            col("slug", Text),
            col("subject", Text),
            col("preheader", Text),
            col("description", Text),
            col("from_name", Text),
            col("broadcaster_source_id", Text),
            col("list_source_id", Text),
            col("tag_list", Text),
            col("send_at", Timestamptz),
            col("queued_at", Timestamptz),
            col("published_at", Timestamptz),
            col("canceled_at", Timestamptz),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "automations",
        indexed: [],
        [
            col("name", Text),
            col("description", Text),
            col("status", Text),
            col("paused_at", Timestamptz),
            col("conversions_enabled", Boolean),
            col("total_enrollments_count_reported", Integer),
            col("completed_enrollments_count_reported", Integer),
            col("converted_enrollments_count_reported", Integer),
            col("removed_enrollments_count_reported", Integer),
            col("created_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "automation_enrollments",
        indexed: ["person_source_id", "automation_source_id"],
        [
            not_null("automation_source_id", Text),
            not_null("person_source_id", Text),
            col("step_number", Integer),
            col("campaign_source", Text),
            col("campaign_url", Text),
            col("excluded_at", Timestamptz),
            col("next_execution_at", Timestamptz),
            col("created_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "imports",
        indexed: [],
        [
            col("import_type", Text),
            col("file_name", Text),
            col("status", Text),
            col("lines_count", Integer),
            col("rows_successful", Integer),
            col("rows_unsuccessful", Integer),
            col("rows_updated", Integer),
            col("is_overwritable", Boolean),
            col("tag_list", Text),
            col("content_head", Text),
            col("error_lines", Text),
            col("started_at", Timestamptz),
            col("finished_at", Timestamptz),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "surveys",
        indexed: [],
        [
            col("name", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "survey_questions",
        indexed: [],
        [
            col("survey_source_id", Text),
            col("title", Text),
            col("description", Text),
            col("slug", Text),
            col("question_type", Text),
            col("status", Text),
            col("is_randomized", Boolean),
            col("tag_list", TextArray),
            col("position", Integer),
            col("published_at", Timestamptz),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "survey_question_choices",
        indexed: [],
        [
            col("question_source_id", Text),
            col("title", Text),
            col("outro", Text),
            col("position", Integer),
            col("tag_list", TextArray),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "sensitive",
        "survey_answers",
        indexed: ["person_source_id"],
        [
            col("person_source_id", Text),
            col("author_source_id", Text),
            col("question_source_id", Text),
            col("choice_source_id", Text),
            col("value", Text),
            col("question_type", Text),
            col("is_skipped", Boolean),
            col("page_source_id", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "donation_tracking_codes",
        indexed: ["slug"],
        [
            col("name", Text),
            col("slug", Text),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "pledges",
        indexed: ["person_source_id"],
        [
            col("person_source_id", Text),
            col("author_source_id", Text),
            col("recruiter_source_id", Text),
            col("page_source_id", Text),
            col("tracking_code_source_id", Text),
            col("amount_minor", BigInt),
            col("amount_left_minor", BigInt),
            not_null("currency", Char(3)),
            col("is_private", Boolean),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "core",
        "petitions",
        indexed: [],
        [
            col("page_source_id", Text),
            col("summary", Text),
            col("description", Text),
            col("goal", Integer),
            col("additional_signatures_count", Integer),
            col("signature_name", Text),
            col("is_auto_response", Boolean),
            col("auto_response_broadcaster_source_id", Text),
            col("auto_response_subject", Text),
            col("auto_response_content", Text),
            col("gather_volunteers", Boolean),
            col("form_address", Text),
            col("form_phone", Text),
        ]
    ),
    entity_table!(
        "core",
        "petition_signatures",
        indexed: ["person_source_id"],
        [
            col("petition_source_id", Text),
            col("person_source_id", Text),
            col("recruiter_source_id", Text),
            col("page_source_id", Text),
            col("is_private", Boolean),
            col("created_date", Timestamptz),
            col("modified_date", Timestamptz),
        ]
    ),
    entity_table!(
        "sensitive",
        "petition_signature_comments",
        indexed: ["signature_source_id"],
        [
            not_null("signature_source_id", Text),
            col("comment", Text),
        ]
    ),
    entity_table!(
        "sensitive",
        "person_attributes",
        indexed: ["person_source_id", "attribute"],
        [
            not_null("person_source_id", Text),
            not_null("attribute", Text),
            not_null("category", Text),
            not_null("value", Jsonb),
            not_null("is_inferred", Boolean),
        ]
    ),
    entity_table!(
        "gdpr",
        "consent_facts",
        indexed: ["person_source_id"],
        [
            not_null("person_source_id", Text),
            not_null("flag", Text),
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
    view!(
        "analysis",
        "consent",
        [
            ("person_id", BigInt, true),
            ("nation", Text, true),
            ("source_id", Text, true),
            ("email_opt_in", Boolean, true),
            ("mobile_opt_in", Boolean, true),
            ("do_not_call", Boolean, true),
            ("do_not_contact", Boolean, true),
            ("federal_donotcall", Boolean, true),
            ("unsubscribed_at", Timestamptz, true),
            ("flags_as_of", Timestamptz, true),
            ("provenance", Text, true),
            ("flags_recorded", Integer, true),
        ]
    ),
    view!(
        "analysis",
        "donations",
        [
            ("donation_id", BigInt, true),
            ("nation", Text, true),
            ("source_id", Text, true),
            ("donor_person_id", BigInt, true),
            ("donor_name", Text, true),
            ("donor_given_name", Text, true),
            ("donor_family_name", Text, true),
            ("donor_email", Text, true),
            ("donor_employer", Text, true),
            ("donor_occupation", Text, true),
            ("amount", Numeric, true),
            ("amount_minor", BigInt, true),
            ("currency", Char(3), true),
            ("status", Text, true),
            ("succeeded_at", Timestamptz, true),
            ("created_date", Timestamptz, true),
            ("payment_method", Text, true),
            ("tracking_code", Text, true),
            ("is_private", Boolean, true),
            ("is_corporate", Boolean, true),
        ]
    ),
    view!(
        "analysis",
        "people",
        [
            ("person_id", BigInt, true),
            ("nation", Text, true),
            ("source_id", Text, true),
            ("given_name", Text, true),
            ("family_name", Text, true),
            ("additional_name", Text, true),
            ("honorific_prefix", Text, true),
            ("honorific_suffix", Text, true),
            ("gender", Text, true),
            ("birthdate", Date, true),
            ("employer", Text, true),
            ("occupation", Text, true),
            ("preferred_language", Text, true),
            ("party_kind", Text, true),
            ("is_volunteer", Boolean, true),
            ("is_deceased", Boolean, true),
            ("email", Text, true),
            ("email_is_bad", Boolean, true),
            ("email_is_valid", Boolean, true),
            ("phone", Text, true),
            ("phone_raw", Text, true),
            ("phone_type", Text, true),
            ("address_type", Text, true),
            ("address_line1", Text, true),
            ("address_line2", Text, true),
            ("address_line3", Text, true),
            ("locality", Text, true),
            ("region", Text, true),
            ("postal_code", Text, true),
            ("country", Char(2), true),
            ("created_date", Timestamptz, true),
            ("modified_date", Timestamptz, true),
        ]
    ),
    view!(
        "analysis",
        "person_tags",
        [
            ("person_id", BigInt, true),
            ("tag_id", BigInt, true),
            ("tag_name", Text, true),
            ("tagged_at", Timestamptz, true),
            ("nation", Text, true),
            ("person_source_id", Text, true),
            ("tag_source_id", Text, true),
        ]
    ),
    internal_table!(
        "audit",
        "export_salts",
        [
            ("nation", Text, false),
            ("salt", Bytea, false),
            ("created_at", Timestamptz, false),
        ]
    ),
    internal_table!(
        "audit",
        "verifications",
        [
            ("id", BigInt, false),
            ("nation", Text, false),
            ("mode", Text, false),
            ("verified_at", Timestamptz, false),
            ("outcome", Text, false),
            ("defects", BigInt, true),
            ("report_sha256", Text, true),
            ("roots", Jsonb, false),
            ("tool_version", Text, true),
        ]
    ),
    internal_table!(
        "raw",
        "records",
        [
            ("id", BigInt, false),
            ("nation", Text, false),
            ("resource", Text, false),
            ("source_id", Text, false),
            ("api", Text, true),
            ("body", Json, true),
            ("sha256", Text, false),
            ("fetched_at", Timestamptz, false),
            ("run_id", BigInt, true),
            ("deleted_at_source", Timestamptz, true),
            ("body_bytes", Bytea, true),
        ]
    ),
    view!(
        "sensitive",
        "person_attributes_by_person",
        [
            ("person_id", BigInt, true),
            ("nation", Text, true),
            ("source_id", Text, true),
            ("party", Text, true),
            ("party_member", Boolean, true),
            ("previous_party", Text, true),
            ("support_level", Numeric, true),
            ("inferred_party", Text, true),
            ("inferred_support_level", Numeric, true),
            ("priority_level", Numeric, true),
            ("religion", Text, true),
            ("church", Text, true),
            ("ethnicity", Text, true),
            ("marital_status", Text, true),
            ("note", Text, true),
            ("other_attributes", Jsonb, true),
            ("attributes_recorded", Integer, true),
        ]
    ),
    internal_table!(
        "sync",
        "checkpoints",
        [
            ("nation", Text, false),
            ("stream", Text, false),
            ("api", Text, true),
            ("cursor", Jsonb, true),
            ("pages", BigInt, false),
            ("records", BigInt, false),
            ("rejects", BigInt, false),
            ("status", Text, false),
            ("last_error", Text, true),
            ("mapping_sha256", Text, true),
            ("total_reported", BigInt, true),
            ("run_id", BigInt, true),
            ("updated_at", Timestamptz, false),
            ("source_clock", Text, true),
            ("learned", Jsonb, false),
        ]
    ),
    internal_table!(
        "sync",
        "field_dispositions",
        [
            ("nation", Text, false),
            ("resource", Text, false),
            ("source_field", Text, false),
            ("disposition", Text, false),
            ("target", Text, true),
            ("seen_count", BigInt, false),
            ("run_id", BigInt, true),
        ]
    ),
    internal_table!(
        "sync",
        "nations",
        [
            ("nation", Text, false),
            ("source", Text, false),
            ("bound_at", Timestamptz, false),
        ]
    ),
    internal_table!(
        "sync",
        "page_spool",
        [
            ("nation", Text, false),
            ("stream", Text, false),
            ("cursor", Jsonb, false),
            ("next", Jsonb, false),
            ("total", BigInt, true),
            ("source_ids", TextArray, false),
            ("bodies", TextArray, true),
            ("run_id", BigInt, true),
            ("fetched_at", Timestamptz, false),
            ("body_bytes", ByteaArray, true),
        ]
    ),
    internal_table!(
        "sync",
        "rejects",
        [
            ("id", BigInt, false),
            ("nation", Text, false),
            ("resource", Text, false),
            ("source_id", Text, true),
            ("field", Text, true),
            ("reason", Text, false),
            ("body", Json, true),
            ("run_id", BigInt, true),
            ("rejected_at", Timestamptz, false),
            ("body_bytes", Bytea, true),
            ("record_sha256", Text, true),
        ]
    ),
    internal_table!(
        "sync",
        "runs",
        [
            ("id", BigInt, false),
            ("nation", Text, false),
            ("api", Text, true),
            ("started_at", Timestamptz, false),
            ("finished_at", Timestamptz, true),
            ("status", Text, false),
            ("tool_version", Text, true),
            ("mapping_sha256", Text, true),
            ("options", Jsonb, false),
            ("error", Text, true),
            ("db_tls", Boolean, true),
            ("db_tls_version", Text, true),
            ("db_tls_cipher", Text, true),
            ("db_tls_bits", Integer, true),
            ("db_sslmode", Text, true),
            ("db_insecure", Boolean, true),
        ]
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut seen = std::collections::BTreeSet::new();
        for id in TableId::all() {
            let t = id.table();
            assert!(seen.insert(t.qualified), "{} twice", t.qualified);
            assert_eq!(TableId::named(t.qualified), Some(id));
            assert_eq!(t.qualified, format!("{}.{}", t.schema, t.name));
        }
        assert!(TABLES.len() < usize::from(u16::MAX));
        assert_eq!(TableId::named("core.person"), None);
        assert_eq!(SqlType::Char(2).sql(), "char(2)");
        assert_eq!(SqlType::Char(2).pg_format(), "character(2)");
    }

    #[test]
    fn entity_tables_have_provenance_and_key() {
        for t in TABLES.iter().filter(|t| t.mappable()) {
            for name in ["id", "nation", "run_id", "raw_sha256", "loaded_at"] {
                assert_eq!(t.column(name).map(|c| c.role), Some(ColumnRole::Provenance));
            }
            assert_eq!(
                t.column("source_id").map(|c| c.role),
                Some(ColumnRole::SourceId)
            );
            assert_eq!(t.engine_columns().next().map(|c| c.name), Some("source_id"));
            for ix in t.indexed {
                assert!(t.column(ix).is_some(), "{}.{ix}", t.qualified);
            }
        }
        for t in TABLES.iter().filter(|t| !t.mappable()) {
            assert_eq!(t.engine_columns().count(), 0, "{}", t.qualified);
        }
    }
}
