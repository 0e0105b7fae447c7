//! The mapping file format: serde types for the TOML files under `mappings/<api>/`. The `///`
//! comments on these fields ARE the format's documentation; every struct denies unknown keys so
//! a typo is an error, never a silently ignored setting.
//!
//! A file maps one API resource. It has a record key template, then `[[block]]`s, each producing
//! at most one row (or one per element of a `for_each` array) in one target table, then optional
//! `[[dedupe]]` rules and the `[[example]]` cases that `nb-exodus mappings check` runs.
//!
//! ```toml
//! version = 1
//! api = "v2"
//! resource = "tags"
//! source_id = "{/id}"
//! fields_root = "/attributes"
//!
//! [[block]]
//! name = "tag"
//! table = "core.tags"
//! [block.columns]
//! name = { from = "/attributes/name", required = true }
//! taggings_count_reported = { from = "/attributes/taggings_count", convert = ["int"] }
//! ```
//!
//! Blocks and columns are deserialised one by one (from `toml::Value`) so that validation can
//! report every broken block and column of a file at once, not just the first.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One mapping file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// Format version; must be `1`.
    pub version: u32,
    /// The API the records come from: `"v1"` or `"v2"`; must match the directory the file is in.
    pub api: String,
    /// The resource mapped (`"people"`, `"tags"`, `"taggings"`, `"donations"`); the file must be
    /// called `<resource>.toml`.
    pub resource: String,
    /// Free text for humans: what the file maps and anything surprising about it.
    #[serde(default)]
    pub description: Option<String>,
    /// Template of the record's key, e.g. `"{/id}"`: `{pointer}` placeholders are JSON Pointers
    /// (RFC 6901) into the record; numbers are written as their digits. A record whose key
    /// cannot be built (pointer missing, null or empty) is rejected as a whole. It is also the
    /// value of every block's `parent` column.
    pub source_id: String,
    /// JSON Pointer of the object whose keys are the record's source fields for the disposition
    /// report (`"/attributes"` for v2, `""` for v1 where fields are top-level). Top-level keys
    /// outside it (`id`, `type`, `relationships`) are reported too.
    #[serde(default)]
    pub fields_root: String,
    /// JSON Pointers of source fields deliberately left in the raw archive only. They are not
    /// gathered by an `unmapped` custom-fields column and are reported as `raw_only`. Listing
    /// them documents the decision; fields not listed and not mapped are `raw_only` as well.
    #[serde(default)]
    pub raw_only: Vec<String>,
    /// ISO 3166-1 alpha-2 country used to read national phone numbers when neither the
    /// record (`country_from`) nor the run (`MapContext::default_country`) gives one.
    #[serde(default)]
    pub default_country: Option<String>,
    /// The blocks, in output order; each is a [`BlockSpec`].
    #[serde(default, rename = "block")]
    pub blocks: Vec<toml::Value>,
    /// Rules applied to the rows of one table after all blocks ran; each is a [`DedupeSpec`].
    #[serde(default, rename = "dedupe")]
    pub dedupes: Vec<toml::Value>,
    /// Behaviour examples run by `mappings check`; each is an [`ExampleSpec`]. At least two,
    /// one of them with expected rejects.
    #[serde(default, rename = "example")]
    pub examples: Vec<toml::Value>,
}

/// One `[[block]]`: produces at most one row in one table per record (or one per element of
/// `for_each`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockSpec {
    /// A name unique in the file, used in error messages (`email1`, `home_address`).
    pub name: String,
    /// The target table, schema-qualified (`core.email_addresses`).
    pub table: String,
    /// Template of the row's `source_id`, e.g. `"{/id}:email1"`; defaults to the file's
    /// `source_id`. Inside a `for_each` block, `{@}` is the element and `{@/name}` a pointer
    /// into it. Must be unique per table within a record (later duplicates are dropped).
    #[serde(default)]
    pub source_id: Option<String>,
    /// The column that links this row to the record's key (`"person_source_id"`). Such rows
    /// form a set per parent that the loader replaces as a whole on every load, so a child
    /// removed at source (an e-mail address, a tag) disappears from the database too.
    #[serde(default)]
    pub parent: Option<String>,
    /// Condition(s): the block produces a row only when every pointer is present and holds a
    /// non-null, non-empty value (not `""`, `[]` or `{}`).
    #[serde(default)]
    pub when: Option<OneOrMany>,
    /// A pointer to an array: the block produces one row per non-null element; `@`-pointers in
    /// the block refer to the element.
    #[serde(default)]
    pub for_each: Option<String>,
    /// Column name → [`ColumnSpec`], or a bare literal (`number_type = "mobile"`). Columns not
    /// named here are NULL (or the column's SQL default). Provenance columns (`nation`,
    /// `run_id`, …), `source_id` and the `parent` column must not be named.
    pub columns: BTreeMap<String, toml::Value>,
}

/// How one column gets its value. Exactly one source key is given: `from`, `value`,
/// `context`, `object`, `array`, `unmapped` or `first_of`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// A JSON Pointer into the record (`/attributes/first_name`), or into the `for_each`
    /// element when it starts with `@` (`@`, `@/name`).
    #[serde(default)]
    pub from: Option<String>,
    /// A literal value (string, integer, float, boolean, array of strings or table).
    #[serde(default)]
    pub value: Option<toml::Value>,
    /// A value given by the run rather than the record: `"currency"` (ISO 4217, required
    /// by the run) or `"default_country"`.
    #[serde(default)]
    pub context: Option<String>,
    /// Builds a JSON object: output key → pointer. Entries whose value (after `each`) is NULL
    /// are left out; an object with no entries is NULL.
    #[serde(default)]
    pub object: Option<BTreeMap<String, String>>,
    /// Builds an array from several pointers (e.g. `address1..3` → `address_lines`). NULL
    /// entries (after `each`) are left out; an empty array is NULL.
    #[serde(default)]
    pub array: Option<Vec<String>>,
    /// Gathers into an object every key directly under this pointer that no pointer of the file
    /// names and `raw_only` does not list (v1 custom fields are extra top-level person keys:
    /// `unmapped = ""`).
    #[serde(default)]
    pub unmapped: Option<String>,
    /// Alternatives tried in order; the first that yields a non-NULL value wins. Each is a
    /// column spec (without `required`/`default`, which belong on the outer spec).
    #[serde(default)]
    pub first_of: Option<Vec<ColumnSpec>>,
    /// Converters applied to each entry of an `object` or `array` source before it is built.
    #[serde(default)]
    pub each: Vec<String>,
    /// Converters applied in order to the value (see `convert.rs` for the list).
    #[serde(default)]
    pub convert: Vec<String>,
    /// The table of `enum_map`: source value (as text: `"0"`, `"true"`, `"M"`) → output value.
    /// A value missing from the table is an error.
    #[serde(default)]
    pub map: Option<BTreeMap<String, toml::Value>>,
    /// Pointers tried in order for the country of national phone numbers (`phone_e164`).
    #[serde(default)]
    pub country_from: Vec<String>,
    /// Turns the column into a test: true when the converted value equals this literal,
    /// false otherwise (also when NULL). E.g. `is_primary` from `primary_email_id`.
    #[serde(default)]
    pub equals: Option<toml::Value>,
    /// Condition(s) as for blocks: when not met the source is not read and the value is NULL.
    #[serde(default)]
    pub when: Option<OneOrMany>,
    /// When true, a NULL result or a conversion error rejects the whole record. Otherwise a
    /// conversion error stores NULL and reports a non-fatal reject. NOT NULL columns without a
    /// default are always required.
    #[serde(default)]
    pub required: bool,
    /// Value used when the result is NULL.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// When the result is NULL (and there is no default), keep the record with the column NULL
    /// and report a non-fatal reject with this reason: for a value the record should carry but
    /// the API may leave out (an RSVP's person, given only through `include`). Not with
    /// `required`.
    #[serde(default)]
    pub missing: Option<String>,
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One pointer.
    One(String),
    /// Several pointers.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The pointers as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A `[[dedupe]]` rule for the rows one record produced in one table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupeSpec {
    /// The table, schema-qualified.
    pub table: String,
    /// Rows whose `key` column holds the same non-NULL value are merged into the first one in
    /// block order (e.g. `address`, so `email` and `email2` holding the same address give one
    /// row).
    #[serde(default)]
    pub key: Option<String>,
    /// A boolean column of which exactly one row must be true: merged duplicates pass a true
    /// value on to the row they merge into; then the first true row stays true, the others
    /// become false, and if none is true the first row becomes true.
    #[serde(default)]
    pub primary: Option<String>,
}

/// An `[[example]]`: one input record and what mapping it must produce.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSpec {
    /// What the example shows.
    pub name: String,
    /// The record: a JSON string (use TOML's `'''` literal strings; allows `null`) or an inline
    /// table.
    pub input: toml::Value,
    /// The run context; defaults to `currency = "USD"` and no default country.
    #[serde(default)]
    pub context: Option<ExampleContext>,
    /// Every row expected, in any order. Rows produced but not listed fail the example.
    #[serde(default)]
    pub rows: Vec<ExpectedRow>,
    /// Every reject expected. Rejects produced but not listed fail the example.
    #[serde(default)]
    pub rejects: Vec<ExpectedReject>,
    /// Expected dispositions of some source fields: pointer → `mapped`, `custom_fields`,
    /// `sensitive`, `consent` or `raw_only`.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// The run context of an example.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleContext {
    /// ISO 4217 currency of the run.
    #[serde(default)]
    pub currency: Option<String>,
    /// Default phone country of the run.
    #[serde(default)]
    pub default_country: Option<String>,
}

/// A row an example expects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRow {
    /// The table, schema-qualified.
    pub table: String,
    /// The row's `source_id`.
    pub source_id: String,
    /// Expected values of some columns. Timestamps are RFC 3339 strings compared as instants;
    /// dates `YYYY-MM-DD`; JSON columns compare structurally.
    #[serde(default)]
    pub cells: toml::Table,
    /// Columns expected to be NULL (TOML has no null).
    #[serde(default)]
    pub null: Vec<String>,
}

/// A reject an example expects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedReject {
    /// The field (pointer) named by the reject.
    pub field: String,
    /// A phrase the reason must contain.
    pub reason: String,
    /// Whether the reject drops the whole record (default true).
    #[serde(default = "yes")]
    pub fatal: bool,
}

fn yes() -> bool {
    true
}
