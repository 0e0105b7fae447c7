//! Applying a compiled mapping to one source record: PURE (no I/O, no clock, no randomness) and
//! deterministic (rows in block order, then table-level dedupe; field dispositions sorted).
//!
//! A record yields a [`MappedRecord`]: typed rows for several tables, the rejects (field and
//! reason; a fatal one means the record produced no rows at all), the child sets the loader must
//! replace, and what happened to every source field seen. The mapping file was compiled once into
//! a plan (`validate::compile`), so nothing is parsed per record.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::cell::Cell;
use super::convert::{ConvertArgs, Converter};
use super::Mapping;
use crate::schema::catalogue::{Column, TableId};

/// What the run provides to the mapping besides the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapContext {
    /// ISO 4217 currency of the nation (v2 donations carry none), e.g. `"USD"`.
    pub currency: String,
    /// ISO 3166-1 alpha-2 country used for national phone numbers when the record has none.
    pub default_country: Option<String>,
}

/// One row for one table, with the [`Cell`]s in [`Table::engine_columns`] order (the first
/// is always `source_id`).
///
/// [`Table::engine_columns`]: crate::schema::catalogue::Table::engine_columns
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// The target table.
    pub table: TableId,
    /// The row's `source_id` (also the first cell).
    pub source_id: String,
    /// The values, in the table's engine-column order.
    pub cells: Vec<Cell>,
}

impl TableRow {
    /// The value of column `name`, if the table has such an engine column.
    pub fn cell(&self, name: &str) -> Option<&Cell> {
        self.table
            .table()
            .engine_columns()
            .position(|c| c.name == name)
            .and_then(|i| self.cells.get(i))
    }
}

/// Why (part of) a record could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The record's key, when it could be built.
    pub source_id: Option<String>,
    /// The source field (JSON Pointer) or, for values not read from the record, the column.
    pub field: String,
    /// Why, in words that never quote the value.
    pub reason: String,
    /// True when the whole record was dropped; false when only this value was stored as NULL.
    pub fatal: bool,
}

/// The set of child rows of one parent in one table; the loader replaces it as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildSet {
    /// The child table.
    pub table: TableId,
    /// The column holding the parent's key (`person_source_id`).
    pub parent_column: &'static str,
    /// The parent's key (the record's `source_id`).
    pub parent_source_id: String,
}

/// What happened to a source field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Disposition {
    /// Stored in a core column.
    Mapped,
    /// Stored in a `custom_fields` JSON column.
    CustomFields,
    /// Stored in `sensitive.*`.
    Sensitive,
    /// Stored in `gdpr.consent_facts`.
    Consent,
    /// Kept only in the raw archive.
    RawOnly,
}

impl Disposition {
    /// The name stored in `sync.field_dispositions.disposition`.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Mapped => "mapped",
            Disposition::CustomFields => super::CUSTOM_FIELDS,
            Disposition::Sensitive => "sensitive",
            Disposition::Consent => "consent",
            Disposition::RawOnly => "raw_only",
        }
    }

    /// Parses [`Disposition::as_str`]'s output.
    pub fn from_name(s: &str) -> Option<Disposition> {
        [
            Disposition::Mapped,
            Disposition::CustomFields,
            Disposition::Sensitive,
            Disposition::Consent,
            Disposition::RawOnly,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source field present in a record and what the mapping did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSeen {
    /// JSON Pointer of the field (`/attributes/first_name`, `/attributes/custom_values/x`).
    pub field: String,
    /// What happened to it.
    pub disposition: Disposition,
    /// Where it went (`core.people.given_name, …`), when it went somewhere.
    pub target: Option<Arc<str>>,
    /// Whether it held a value (not null, `""`, `[]` or `{}`).
    pub has_value: bool,
}

/// The outcome of mapping one record.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedRecord {
    /// The record's key, when it could be built.
    pub source_id: Option<String>,
    /// The rows, in block order (after dedupe). Empty when a reject is fatal.
    pub rows: Vec<TableRow>,
    /// The rejects, in the order found (at most one per field).
    pub rejects: Vec<Reject>,
    /// The child sets to replace (empty when a reject is fatal: nothing is touched).
    pub child_sets: Vec<ChildSet>,
    /// Every source field present in the record, sorted by pointer.
    pub fields: Vec<FieldSeen>,
}

impl MappedRecord {
    /// True when the record was rejected as a whole.
    pub fn is_rejected(&self) -> bool {
        self.rejects.iter().any(|r| r.fatal)
    }
}

// ---------------------------------------------------------------------------------------------
// The compiled plan (built by `validate::compile`).

/// A JSON Pointer split into unescaped tokens once, at compile time: `Value::pointer` would
/// re-split and allocate on every lookup, for every record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pointer {
    text: String,
    tokens: Box<[String]>,
}

impl Pointer {
    /// `text` must be empty or start with `/` (checked by validation).
    pub(crate) fn new(text: &str) -> Pointer {
        let tokens = text
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        Pointer {
            text: text.to_owned(),
            tokens,
        }
    }

    fn get<'a>(&self, mut v: &'a Value) -> Option<&'a Value> {
        for t in &*self.tokens {
            v = match v {
                Value::Object(m) => m.get(t)?,
                Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(v)
    }
}

impl std::ops::Deref for Pointer {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

/// A JSON Pointer into the record or into the current `for_each` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ptr {
    Record(Pointer),
    Element(Pointer),
}

impl Ptr {
    fn resolve<'a>(&self, env: &Env<'a>) -> Option<&'a Value> {
        match self {
            Ptr::Record(p) => p.get(env.record),
            Ptr::Element(p) => env.element.and_then(|e| p.get(e)),
        }
    }

    pub(crate) fn label(&self) -> String {
        match self {
            Ptr::Record(p) => p.to_string(),
            Ptr::Element(p) => format!("@{}", &**p),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum TemplatePart {
    Lit(String),
    Ptr(Ptr),
}

/// A `source_id` template such as `{/id}:email1`.
#[derive(Debug, Clone)]
pub(crate) struct Template(pub Vec<TemplatePart>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContextKey {
    Currency,
    DefaultCountry,
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    Pointer(Ptr),
    Literal(Cell),
    Context(ContextKey),
    Object(Vec<(String, Ptr)>),
    Array(Vec<Ptr>),
    Unmapped(Ptr),
    FirstOf(Vec<Expr>),
}

/// How one value is computed.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub source: Source,
    pub when: Vec<Ptr>,
    pub each: Vec<Converter>,
    pub convert: Vec<Converter>,
    pub map: Option<BTreeMap<String, Cell>>,
    pub country_from: Vec<Ptr>,
    pub equals: Option<Cell>,
    /// Names the value in rejects: the source pointer or the column.
    pub field: String,
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub column: &'static Column,
    pub expr: Expr,
    pub default: Option<Cell>,
    pub required: bool,
    /// The reason of the non-fatal reject a NULL value gives (see `ColumnSpec::missing`).
    pub missing: Option<Arc<str>>,
}

#[derive(Debug, Clone)]
pub(crate) enum CellPlan {
    SourceId,
    Parent,
    Fixed(Cell),
    Column(Box<ColumnPlan>),
}

#[derive(Debug, Clone)]
pub(crate) struct BlockPlan {
    pub table: TableId,
    pub source_id: Template,
    pub when: Vec<Ptr>,
    pub for_each: Option<Ptr>,
    pub cells: Vec<CellPlan>,
}

#[derive(Debug, Clone)]
pub(crate) struct DedupePlan {
    pub table: TableId,
    pub key: Option<usize>,
    pub primary: Option<usize>,
}

/// Everything apply needs, compiled once per file.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub source_id: Template,
    pub blocks: Vec<BlockPlan>,
    pub dedupes: Vec<DedupePlan>,
    pub child_tables: Vec<(TableId, &'static str)>,
    pub default_country: Option<String>,
    pub fields_root: String,
    /// Field pointer → disposition and target, for fields the file names.
    pub field_map: BTreeMap<String, (Disposition, Arc<str>)>,
    /// Containers (e.g. `/attributes/custom_values`) whose children are reported one by one.
    pub custom_containers: BTreeMap<String, Arc<str>>,
    /// Roots of `unmapped` sources → keys that are NOT gathered, and the target.
    pub unmapped: BTreeMap<String, (BTreeSet<String>, Arc<str>)>,
}

struct Env<'a> {
    record: &'a Value,
    element: Option<&'a Value>,
    ctx: &'a MapContext,
    plan: &'a Plan,
}

struct ExprError {
    field: String,
    reason: &'static str,
}

/// Whether a value counts as present for `when`: not null, not blank text, not empty.
pub(crate) fn has_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn conditions_hold(when: &[Ptr], env: &Env<'_>) -> bool {
    when.iter().all(|p| p.resolve(env).is_some_and(has_value))
}

impl Template {
    fn render(&self, env: &Env<'_>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                TemplatePart::Lit(s) => out.push_str(s),
                TemplatePart::Ptr(p) => {
                    let text = match p.resolve(env) {
                        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
                        Some(Value::Number(n)) => match n.as_i64() {
                            Some(i) => i.to_string(),
                            None => return Err(p.label()),
                        },
                        _ => return Err(p.label()),
                    };
                    out.push_str(&text);
                }
            }
        }
        Ok(out)
    }
}

/// `base` followed by the pointer `at` (relative to it), as a storable field name (fields are
/// part of a unique index of `sync.rejects`).
fn pointer_join(base: &str, at: &str) -> String {
    crate::fetch::scan::field_label(&format!("{base}{at}"))
}

impl Expr {
    /// The pointer the value's inner pointers are relative to: the `unmapped` root for gathered
    /// fields (`/preferences` of a v1 person), else the field the expression names.
    fn pointer_base(&self) -> String {
        match &self.source {
            Source::Unmapped(root) => root.label(),
            _ => self.field.clone(),
        }
    }

    fn eval(&self, env: &Env<'_>) -> Result<Cell, ExprError> {
        if !conditions_hold(&self.when, env) {
            return Ok(Cell::Null);
        }
        let err = |reason| ExprError {
            field: self.field.clone(),
            reason,
        };
        let mut value = match &self.source {
            Source::Pointer(p) => p.resolve(env).map_or(Cell::Null, Cell::from_json),
            Source::Literal(c) => c.clone(),
            Source::Context(ContextKey::Currency) => Cell::Text(env.ctx.currency.clone()),
            Source::Context(ContextKey::DefaultCountry) => env
                .ctx
                .default_country
                .clone()
                .map_or(Cell::Null, Cell::Text),
            Source::Object(entries) => {
                let mut out = serde_json::Map::new();
                for (key, p) in entries {
                    let cell = self.each_value(p, env)?;
                    if !cell.is_null() {
                        out.insert(key.clone(), cell.to_json());
                    }
                }
                if out.is_empty() {
                    Cell::Null
                } else {
                    Cell::Json(Value::Object(out))
                }
            }
            Source::Array(ptrs) => {
                let mut cells = Vec::with_capacity(ptrs.len());
                for p in ptrs {
                    let cell = self.each_value(p, env)?;
                    if !cell.is_null() {
                        cells.push(cell);
                    }
                }
                if cells.is_empty() {
                    Cell::Null
                } else if cells.iter().all(|c| matches!(c, Cell::Text(_))) {
                    Cell::TextArray(
                        cells
                            .into_iter()
                            .filter_map(|c| match c {
                                Cell::Text(s) => Some(s),
                                _ => None,
                            })
                            .collect(),
                    )
                } else {
                    Cell::Json(Value::Array(cells.iter().map(Cell::to_json).collect()))
                }
            }
            Source::Unmapped(root) => {
                let skip = match root {
                    Ptr::Record(r) => env.plan.unmapped.get(&**r).map(|(s, _)| s),
                    Ptr::Element(_) => None,
                };
                match root.resolve(env) {
                    Some(Value::Object(obj)) => {
                        let out: serde_json::Map<String, Value> = obj
                            .iter()
                            // Null values are kept: a custom field present but empty is a fact
                            // of the source, and v2's custom_values keeps them too.
                            .filter(|(k, _)| !skip.is_some_and(|s| s.contains(k.as_str())))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        if out.is_empty() {
                            Cell::Null
                        } else {
                            Cell::Json(Value::Object(out))
                        }
                    }
                    _ => Cell::Null,
                }
            }
            Source::FirstOf(alts) => {
                let mut found = Cell::Null;
                for alt in alts {
                    let v = alt.eval(env)?;
                    if !v.is_null() {
                        found = v;
                        break;
                    }
                }
                found
            }
        };
        if !self.convert.is_empty() {
            // Only phone columns need a country; skip the lookups (and clones) elsewhere.
            let country = if self.convert.contains(&Converter::PhoneE164) {
                self.country(env)
            } else {
                None
            };
            let args = ConvertArgs {
                country: country.as_deref(),
                map: self.map.as_ref(),
            };
            for conv in &self.convert {
                value = conv.apply(value, args).map_err(|e| err(e.0))?;
            }
        }
        if let Some(want) = &self.equals {
            value = Cell::Bool(&value == want);
        }
        Ok(value)
    }

    fn each_value(&self, p: &Ptr, env: &Env<'_>) -> Result<Cell, ExprError> {
        let mut cell = p.resolve(env).map_or(Cell::Null, Cell::from_json);
        for conv in &self.each {
            cell = conv
                .apply(cell, ConvertArgs::default())
                .map_err(|e| ExprError {
                    field: p.label(),
                    reason: e.0,
                })?;
        }
        Ok(cell)
    }

    fn country(&self, env: &Env<'_>) -> Option<String> {
        self.country_from
            .iter()
            .find_map(|p| match p.resolve(env) {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                _ => None,
            })
            .or_else(|| env.ctx.default_country.clone())
            .or_else(|| env.plan.default_country.clone())
    }
}

/// Maps one record. See [`MappedRecord`] for what comes back.
pub(crate) fn apply(mapping: &Mapping, record: &Value, ctx: &MapContext) -> MappedRecord {
    let plan = &mapping.plan;
    let mut env = Env {
        record,
        element: None,
        ctx,
        plan,
    };
    let fields = dispositions(plan, record);
    let source_id = match plan.source_id.render(&env) {
        Ok(id) => id,
        Err(field) => {
            return MappedRecord {
                source_id: None,
                rows: Vec::new(),
                rejects: vec![Reject {
                    source_id: None,
                    field,
                    reason: "missing required id".into(),
                    fatal: true,
                }],
                child_sets: Vec::new(),
                fields,
            };
        }
    };

    let mut rows = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    let mut reject = |field: String, reason: String, fatal: bool| {
        if let Some(r) = rejects.iter_mut().find(|r| r.field == field) {
            r.fatal |= fatal;
        } else {
            rejects.push(Reject {
                source_id: Some(source_id.clone()),
                field,
                reason,
                fatal,
            });
        }
    };

    for block in &plan.blocks {
        env.element = None;
        if !conditions_hold(&block.when, &env) {
            continue;
        }
        let elements: Vec<Option<&Value>> = match &block.for_each {
            None => vec![None],
            Some(p) => match p.resolve(&env) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => {
                    items.iter().filter(|v| !v.is_null()).map(Some).collect()
                }
                Some(_) => {
                    reject(p.label(), "expected an array".into(), false);
                    Vec::new()
                }
            },
        };
        for element in elements {
            env.element = element;
            let row_id = match block.source_id.render(&env) {
                Ok(id) => id,
                Err(field) => {
                    reject(field, "missing value for the row key".into(), true);
                    continue;
                }
            };
            let mut cells = Vec::with_capacity(block.cells.len());
            // A child row (an e-mail, an attribute) whose required column cannot be stored is
            // left out on its own; the record's own row needs every required column.
            let child = block.for_each.is_some() || row_id != source_id;
            let mut drop_row = false;
            for cell_plan in &block.cells {
                let cell = match cell_plan {
                    CellPlan::SourceId => Cell::Text(row_id.clone()),
                    CellPlan::Parent => Cell::Text(source_id.clone()),
                    CellPlan::Fixed(c) => c.clone(),
                    CellPlan::Column(col) => {
                        let must = col.required || !col.column.nullable;
                        let value = match col.expr.eval(&env) {
                            Ok(v) => v,
                            Err(e) => {
                                reject(e.field, e.reason.into(), must);
                                Cell::Null
                            }
                        };
                        let value = match value {
                            Cell::Null => col.default.clone().unwrap_or(Cell::Null),
                            v => v,
                        };
                        let value = match value.fit(col.column.sql_type) {
                            Ok(v) => v,
                            Err(reason) => {
                                reject(col.expr.field.clone(), reason, must);
                                Cell::Null
                            }
                        };
                        if value.is_null() && must {
                            reject(
                                col.expr.field.clone(),
                                "missing required value".into(),
                                true,
                            );
                        } else if value.is_null() {
                            if let Some(reason) = &col.missing {
                                reject(col.expr.field.clone(), reason.to_string(), false);
                            }
                        }
                        // A value PostgreSQL cannot store as it is (NUL, a number beyond the
                        // double range, text too long for the column's index) is left out:
                        // the column is NULL (the record is dropped if the column cannot be)
                        // and the field is listed with the reason. The raw archive keeps it.
                        match value.check_storable(block.table.is_indexed(col.column.name)) {
                            Ok(()) => value,
                            Err(bad) => {
                                let required = !col.column.nullable;
                                drop_row |= required && child;
                                reject(
                                    pointer_join(&col.expr.pointer_base(), &bad.at),
                                    bad.reason,
                                    required && !child,
                                );
                                Cell::Null
                            }
                        }
                    }
                };
                cells.push(cell);
            }
            if drop_row {
                continue;
            }
            rows.push(TableRow {
                table: block.table,
                source_id: row_id,
                cells,
            });
        }
    }

    let fatal = rejects.iter().any(|r| r.fatal);
    if fatal {
        rows.clear();
    } else {
        dedupe(&mut rows, &plan.dedupes);
    }
    let child_sets = if fatal {
        Vec::new()
    } else {
        plan.child_tables
            .iter()
            .map(|(table, column)| ChildSet {
                table: *table,
                parent_column: column,
                parent_source_id: source_id.clone(),
            })
            .collect()
    };
    MappedRecord {
        source_id: Some(source_id),
        rows,
        rejects,
        child_sets,
        fields,
    }
}

/// Drops rows repeating a (table, source_id), then applies the file's dedupe rules.
fn dedupe(rows: &mut Vec<TableRow>, rules: &[DedupePlan]) {
    let mut seen = HashSet::new();
    rows.retain(|r| seen.insert((r.table, r.source_id.clone())));
    for rule in rules {
        let mut keep = vec![true; rows.len()];
        if let Some(k) = rule.key {
            for i in 0..rows.len() {
                if rows[i].table != rule.table || rows[i].cells[k].is_null() {
                    continue;
                }
                let first = (0..i).find(|&j| {
                    keep[j] && rows[j].table == rule.table && rows[j].cells[k] == rows[i].cells[k]
                });
                if let Some(j) = first {
                    keep[i] = false;
                    if let Some(p) = rule.primary {
                        if rows[i].cells[p] == Cell::Bool(true) {
                            rows[j].cells[p] = Cell::Bool(true);
                        }
                    }
                }
            }
        }
        let mut keep_iter = keep.into_iter();
        rows.retain(|_| keep_iter.next().unwrap_or(true));
        if let Some(p) = rule.primary {
            let mut found = false;
            for row in rows.iter_mut().filter(|r| r.table == rule.table) {
                if row.cells[p] == Cell::Bool(true) {
                    if found {
                        row.cells[p] = Cell::Bool(false);
                    }
                    found = true;
                } else {
                    row.cells[p] = Cell::Bool(false);
                }
            }
            if !found {
                if let Some(row) = rows.iter_mut().find(|r| r.table == rule.table) {
                    row.cells[p] = Cell::Bool(true);
                }
            }
        }
    }
}

/// Escapes a key for use in a JSON Pointer (RFC 6901).
pub(crate) fn escape_key(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        std::borrow::Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

fn dispositions(plan: &Plan, record: &Value) -> Vec<FieldSeen> {
    let mut out = Vec::new();
    let Some(top) = record.as_object() else {
        return out;
    };
    let root = plan.fields_root.as_str();
    let report = |parent: &str, key: &str, value: &Value, out: &mut Vec<FieldSeen>| {
        let field = format!("{parent}/{}", escape_key(key));
        if let Some(target) = plan.custom_containers.get(&field) {
            if let Some(children) = value.as_object() {
                for (k, v) in children {
                    out.push(FieldSeen {
                        field: format!("{field}/{}", escape_key(k)),
                        disposition: Disposition::CustomFields,
                        target: Some(target.clone()),
                        has_value: has_value(v),
                    });
                }
            }
            out.push(FieldSeen {
                field,
                disposition: Disposition::CustomFields,
                target: Some(target.clone()),
                has_value: has_value(value),
            });
            return;
        }
        let (disposition, target) = match plan.field_map.get(&field) {
            Some((d, t)) => (*d, Some(t.clone())),
            None => match plan.unmapped.get(parent) {
                Some((skip, target)) if !skip.contains(key) => {
                    (Disposition::CustomFields, Some(target.clone()))
                }
                _ => (Disposition::RawOnly, None),
            },
        };
        out.push(FieldSeen {
            field,
            disposition,
            target,
            has_value: has_value(value),
        });
    };
    for (k, v) in top {
        if !root.is_empty() && format!("/{}", escape_key(k)) == root {
            continue;
        }
        report("", k, v, &mut out);
    }
    if !root.is_empty() {
        if let Some(obj) = record.pointer(root).and_then(Value::as_object) {
            for (k, v) in obj {
                report(root, k, v, &mut out);
            }
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Api;
    use serde_json::json;

    /// The catalogue's table called `qualified`.
    fn table(qualified: &str) -> TableId {
        TableId::named(qualified).expect("a table of the catalogue")
    }

    fn ctx() -> MapContext {
        MapContext {
            currency: "USD".into(),
            default_country: None,
        }
    }

    /// A v1-shaped people mapping: custom fields are extra top-level keys, tags an array.
    const V1_PEOPLE: &str = r#"
version = 1
api = "v1"
resource = "people"
source_id = "{/id}"
raw_only = ["/donations_count"]

[[block]]
name = "person"
table = "core.people"
[block.columns]
given_name = { from = "/first_name", convert = ["trim", "empty_to_null"] }
birthdate = { from = "/birthdate", convert = ["date"] }
source_api = "v1"
custom_fields = { unmapped = "" }

[[block]]
name = "phone"
table = "core.phone_numbers"
parent = "person_source_id"
source_id = "{/id}:phone"
when = "/phone"
[block.columns]
number = { from = "/phone", convert = ["text", "phone_e164"], country_from = ["/primary_address/country_code"] }
number_raw = { from = "/phone", convert = ["text"] }
number_type = "phone"

[[block]]
name = "tags"
table = "core.taggings"
parent = "person_source_id"
for_each = "/tags"
source_id = "{/id}:tag:{@}"
[block.columns]
tag_source_id = { from = "@", convert = ["text"] }
tag_name = { from = "@", convert = ["text"] }

[[example]]
name = "one"
input = '{"id": 1, "first_name": "A"}'
[[example.rows]]
table = "core.people"
source_id = "1"

[[example]]
name = "no id"
input = '{"first_name": "A"}'
rejects = [{ field = "/id", reason = "missing required id" }]
"#;

    fn v1() -> Mapping {
        match Mapping::parse("v1/people.toml", Api::V1, V1_PEOPLE) {
            Ok(m) => m,
            Err(p) => panic!("{}", crate::mapping::Problems(p)),
        }
    }

    #[test]
    fn a_missing_value_keeps_the_row_with_a_non_fatal_reject() {
        let text = r#"
version = 1
api = "v2"
resource = "donations"
source_id = "{/id}"
fields_root = "/attributes"

[[block]]
name = "donation"
table = "core.donations"
[block.columns]
amount_minor = { from = "/attributes/amount_in_cents", convert = ["cents_to_minor"], required = true }
currency = { value = "EUR" }
person_source_id = { from = "/relationships/signup/data/id", convert = ["text"], missing = "the donor is not given (relationships.signup.data)" }

[[example]]
name = "with its donor"
input = '{"id": "1", "attributes": {"amount_in_cents": 5}, "relationships": {"signup": {"data": {"type": "signups", "id": "7"}}}}'
[[example.rows]]
table = "core.donations"
source_id = "1"
cells = { person_source_id = "7" }

[[example]]
name = "without"
input = '{"id": "2", "attributes": {"amount_in_cents": 5}}'
rejects = [{ field = "/relationships/signup/data/id", reason = "the donor is not given (relationships.signup.data)", fatal = false }]
[[example.rows]]
table = "core.donations"
source_id = "2"
null = ["person_source_id"]
"#;
        let m = match Mapping::parse("v2/donations.toml", Api::V2, text) {
            Ok(m) => m,
            Err(p) => panic!("{}", crate::mapping::Problems(p)),
        };
        assert!(m.run_examples().is_empty(), "{:?}", m.run_examples());
        let out = m.apply(
            &json!({"id": "3", "attributes": {"amount_in_cents": 1}}),
            &ctx(),
        );
        assert_eq!(out.rows.len(), 1, "the row is kept");
        assert_eq!(out.rejects.len(), 1);
        assert!(!out.rejects[0].fatal);
        // Not on a NOT NULL column.
        let bad = text.replace(
            "currency = { value = \"EUR\" }",
            "currency = { from = \"/x\", missing = \"no currency\" }",
        );
        assert!(Mapping::parse("v2/donations.toml", Api::V2, &bad).is_err());
    }

    #[test]
    fn v1_shapes_map_without_code_changes() {
        let m = v1();
        assert!(m.run_examples().is_empty());
        let rec = json!({
            "id": 69974, "first_name": " Grace ", "birthdate": "1906-12-09",
            "phone": "030 1234567", "primary_address": {"country_code": "DE"},
            "tags": ["writer", "cobol", "writer", null],
            "graduation_year": 2008.0, "campaign_centre": "Tas", "empty_custom": null,
            "donations_count": 3
        });
        let out = m.apply(&rec, &ctx());
        assert!(out.rejects.is_empty(), "{:?}", out.rejects);
        let person = &out.rows[0];
        assert_eq!(person.table, table("core.people"));
        assert_eq!(
            person.cell("custom_fields"),
            Some(&Cell::Json(
                json!({"graduation_year": 2008.0, "campaign_centre": "Tas", "empty_custom": null})
            ))
        );
        let phone = out
            .rows
            .iter()
            .find(|r| r.table == table("core.phone_numbers"));
        assert_eq!(
            phone.and_then(|r| r.cell("number")),
            Some(&Cell::Text("+49301234567".into()))
        );
        let tags: Vec<&str> = out
            .rows
            .iter()
            .filter(|r| r.table == table("core.taggings"))
            .map(|r| r.source_id.as_str())
            .collect();
        assert_eq!(tags, ["69974:tag:writer", "69974:tag:cobol"]);
        let disp = |f: &str| {
            out.fields
                .iter()
                .find(|s| s.field == f)
                .map(|s| s.disposition)
        };
        assert_eq!(disp("/graduation_year"), Some(Disposition::CustomFields));
        assert_eq!(disp("/donations_count"), Some(Disposition::RawOnly));
        assert_eq!(disp("/first_name"), Some(Disposition::Mapped));
        assert_eq!(disp("/tags"), Some(Disposition::Mapped));
        let children: Vec<TableId> = out.child_sets.iter().map(|c| c.table).collect();
        assert_eq!(
            children,
            [table("core.phone_numbers"), table("core.taggings")]
        );
        assert!(out.child_sets.iter().all(|c| c.parent_source_id == "69974"));
    }

    #[test]
    fn fatal_reject_yields_no_rows_and_touches_no_child_set() {
        let m = v1();
        let out = m.apply(&json!({"id": "", "first_name": "A", "tags": ["x"]}), &ctx());
        assert!(out.is_rejected());
        assert!(out.rows.is_empty());
        assert!(out.child_sets.is_empty());
        assert_eq!(out.rejects[0].field, "/id");
        assert_eq!(out.rejects[0].source_id, None);
        // The fields are still reported, so the run can record what it saw.
        assert!(out.fields.iter().any(|f| f.field == "/tags"));
    }

    #[test]
    fn values_postgres_cannot_store_are_left_out_with_their_pointer() {
        let shipped = include_str!("../../mappings/v1/people.toml");
        let m = match Mapping::parse("v1/people.toml", Api::V1, shipped) {
            Ok(m) => m,
            Err(p) => panic!("{}", crate::mapping::Problems(p)),
        };
        let out = m.apply(
            &json!({"id": 5, "last_name": "a\u{0}b", "party": "x\u{0}", "email": "a@b.org",
                    "prefs": {"k\u{0}": 1}}),
            &ctx(),
        );
        assert!(!out.is_rejected(), "{:?}", out.rejects);
        let fields: Vec<&str> = out.rejects.iter().map(|r| r.field.as_str()).collect();
        assert!(fields.contains(&"/last_name"), "{fields:?}");
        assert!(fields.contains(&"/party"), "{fields:?}");
        assert!(fields.contains(&"/prefs"), "{fields:?}");
        let person = out
            .rows
            .iter()
            .find(|r| r.table == table("core.people"))
            .unwrap();
        assert_eq!(person.cell("family_name"), Some(&Cell::Null));
        assert_eq!(person.cell("custom_fields"), Some(&Cell::Null));
        // The attribute row, whose value is required, is left out on its own.
        assert!(!out
            .rows
            .iter()
            .any(|r| r.table == table("sensitive.person_attributes") && r.source_id == "5:party"));
        assert!(out
            .rows
            .iter()
            .any(|r| r.table == table("core.email_addresses")));
    }

    #[test]
    fn non_fatal_reject_keeps_the_record() {
        let m = v1();
        let out = m.apply(
            &json!({"id": 5, "birthdate": "someday", "tags": "x"}),
            &ctx(),
        );
        assert!(!out.is_rejected());
        let fields: Vec<&str> = out.rejects.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, ["/birthdate", "/tags"]);
        assert_eq!(out.rows[0].cell("birthdate"), Some(&Cell::Null));
        assert_eq!(out.rejects[0].source_id.as_deref(), Some("5"));
    }

    #[test]
    fn apply_is_deterministic_and_cells_follow_column_order() {
        let m = v1();
        let rec = json!({"id": 2, "first_name": "B", "tags": ["b", "a"], "x": 1, "y": 2});
        let a = m.apply(&rec, &ctx());
        let b = m.apply(&rec, &ctx());
        assert_eq!(a, b);
        for row in &a.rows {
            assert_eq!(row.cells.len(), row.table.table().engine_columns().count());
            assert_eq!(row.cells[0], Cell::Text(row.source_id.clone()));
        }
        let fields: Vec<&str> = a.fields.iter().map(|f| f.field.as_str()).collect();
        let mut sorted = fields.clone();
        sorted.sort_unstable();
        assert_eq!(fields, sorted);
    }

    #[test]
    fn dedupe_merges_duplicates_and_keeps_exactly_one_primary() {
        let mut rows = Vec::new();
        let email = |id: &str, addr: Option<&str>, primary: bool| TableRow {
            table: table("core.email_addresses"),
            source_id: id.into(),
            cells: {
                let mut c = vec![Cell::Null; 8];
                c[0] = Cell::Text(id.into());
                c[2] = addr.map_or(Cell::Null, |a| Cell::Text(a.into()));
                c[4] = Cell::Bool(primary);
                c
            },
        };
        rows.push(email("1:email1", Some("a@x.org"), false));
        rows.push(email("1:email2", Some("b@x.org"), false));
        rows.push(email("1:email", Some("b@x.org"), true));
        rows.push(email("1:email3", None, true));
        rows.push(email("1:email1", Some("dup@x.org"), true));
        dedupe(
            &mut rows,
            &[DedupePlan {
                table: table("core.email_addresses"),
                key: Some(2),
                primary: Some(4),
            }],
        );
        let got: Vec<(&str, &Cell)> = rows
            .iter()
            .map(|r| (r.source_id.as_str(), &r.cells[4]))
            .collect();
        assert_eq!(
            got,
            [
                ("1:email1", &Cell::Bool(false)),
                ("1:email2", &Cell::Bool(true)),
                ("1:email3", &Cell::Bool(false)),
            ]
        );
        let mut none = vec![email("1:email1", Some("a@x.org"), false)];
        dedupe(
            &mut none,
            &[DedupePlan {
                table: table("core.email_addresses"),
                key: None,
                primary: Some(4),
            }],
        );
        assert_eq!(none[0].cells[4], Cell::Bool(true));
    }
}
