//! Static checks of a mapping file against the target catalogue, done while compiling the file
//! into the plan that [`apply`](super::apply) runs. Every problem found is collected (file,
//! block, column, message) so one `mappings check` shows all of them, not just the first.
//!
//! Checked: the file parses with no unknown keys; `api` and `resource` match where the file
//! lives; tables exist and are mappable; columns exist and are filled by the engine, each once;
//! NOT NULL columns without a default are mapped; converters exist and chain with compatible
//! kinds into the column's SQL type; pointers and `source_id` templates are well formed; dedupe
//! rules name real columns; at least two examples exist, one of them a reject case.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

use super::apply::{
    BlockPlan, CellPlan, ColumnPlan, ContextKey, DedupePlan, Disposition, Expr, Plan, Pointer, Ptr,
    Source, Template, TemplatePart,
};
use super::cell::{Cell, Kind};
use super::convert::{self, Converter};
use super::spec::{BlockSpec, ColumnSpec, DedupeSpec, ExampleSpec, MappingFile};
use super::Api;
use crate::resource;
use crate::schema::catalogue::{Column, ColumnDefault, ColumnRole, SqlType, TableId};

/// One problem in a mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the mappings directory (`v2/people.toml`).
    pub file: String,
    /// The block (or example) concerned, if any.
    pub block: Option<String>,
    /// The column concerned, if any.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(b) = &self.block {
            write!(f, ": {b}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ": column `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A list of problems, displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects problems with the current file/block/column as context.
struct Sink<'a> {
    file: &'a str,
    problems: Vec<Problem>,
}

impl Sink<'_> {
    fn push(&mut self, block: Option<&str>, column: Option<&str>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_owned(),
            block: block.map(str::to_owned),
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }
}

/// The compiled form of one file: its header, plan and parsed examples.
pub(crate) struct Compiled {
    pub api: Api,
    pub resource: String,
    pub plan: Plan,
    pub examples: Vec<ExampleSpec>,
    pub block_count: usize,
}

/// Parses, validates and compiles one file. `file` labels problems (`v2/people.toml`);
/// `expected_api` is the directory the file came from.
pub(crate) fn compile(file: &str, expected_api: Api, text: &str) -> Result<Compiled, Vec<Problem>> {
    let mut sink = Sink {
        file,
        problems: Vec::new(),
    };
    let spec: MappingFile = match toml::from_str(text) {
        Ok(s) => s,
        Err(e) => {
            let line = e.span().map(|span| {
                text.as_bytes()
                    .iter()
                    .take(span.start)
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            });
            let message = match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_owned(),
            };
            sink.push(None, None, message);
            return Err(sink.problems);
        }
    };
    let api = match Api::from_name(&spec.api) {
        Some(a) if a == expected_api => a,
        Some(a) => {
            sink.push(
                None,
                None,
                format!("api `{a}` does not match the directory `{expected_api}`"),
            );
            expected_api
        }
        None => {
            sink.push(
                None,
                None,
                format!("unknown api `{}` (expected v1 or v2)", spec.api),
            );
            expected_api
        }
    };
    if spec.version != 1 {
        sink.push(
            None,
            None,
            format!("unsupported version {} (expected 1)", spec.version),
        );
    }
    if resource::Resource::named(&spec.resource).is_none() {
        sink.push(
            None,
            None,
            format!(
                "unknown resource `{}` (expected one of {})",
                spec.resource,
                resource::names().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let file_name = file.rsplit('/').next().unwrap_or(file);
    if file_name != format!("{}.toml", spec.resource) {
        sink.push(
            None,
            None,
            format!(
                "a file mapping `{}` must be called `{}.toml`",
                spec.resource, spec.resource
            ),
        );
    }
    if let Some(c) = &spec.default_country {
        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
            sink.push(
                None,
                None,
                "default_country must be two upper-case letters (ISO 3166-1)",
            );
        }
    }
    let source_id = match parse_template(&spec.source_id, false) {
        Ok(t) => Some(t),
        Err(m) => {
            sink.push(None, None, format!("source_id: {m}"));
            None
        }
    };
    if !spec.fields_root.is_empty() && parse_ptr(&spec.fields_root, false).is_err() {
        sink.push(
            None,
            None,
            "fields_root must be a JSON Pointer (`/attributes`) or empty",
        );
    }
    for p in &spec.raw_only {
        if let Err(m) = parse_ptr(p, false) {
            sink.push(None, None, format!("raw_only `{p}`: {m}"));
        }
    }

    let mut refs = Refs::default();
    for p in &spec.raw_only {
        refs.all.push(p.clone());
    }
    if let Some(t) = &source_id {
        refs.template(t);
    }
    let mut blocks = Vec::new();
    let mut names = BTreeSet::new();
    let mut templates: BTreeMap<(TableId, String), String> = BTreeMap::new();
    let mut child_tables: Vec<(TableId, &'static str)> = Vec::new();
    for (i, raw) in spec.blocks.iter().enumerate() {
        let label = format!("block #{}", i + 1);
        let block: BlockSpec = match BlockSpec::deserialize(raw.clone()) {
            Ok(b) => b,
            Err(e) => {
                let name = raw
                    .get("name")
                    .and_then(toml::Value::as_str)
                    .map(|n| format!("block `{n}`"));
                sink.push(
                    Some(name.as_deref().unwrap_or(&label)),
                    None,
                    e.to_string().trim_end().to_owned(),
                );
                continue;
            }
        };
        let label = format!("block `{}`", block.name);
        if !names.insert(block.name.clone()) {
            sink.push(Some(&label), None, "duplicate block name");
        }
        if let Some(mut plan) = compile_block(&block, &label, &mut sink, &mut refs) {
            if block.source_id.is_none() {
                if let Some(t) = &source_id {
                    refs.template_values(t, plan.table);
                    plan.source_id = t.clone();
                }
            }
            if plan.for_each.is_none() {
                let tpl = block
                    .source_id
                    .clone()
                    .unwrap_or_else(|| spec.source_id.clone());
                if let Some(other) = templates.insert((plan.table, tpl), block.name.clone()) {
                    sink.push(
                        Some(&label),
                        None,
                        format!("produces the same source_id as block `{other}` in the same table"),
                    );
                }
            }
            if let Some(parent) = &block.parent {
                if let Some(col) = plan.table.table().column(parent) {
                    if !child_tables.iter().any(|(t, _)| *t == plan.table) {
                        child_tables.push((plan.table, col.name));
                    }
                }
            }
            blocks.push(plan);
        }
    }
    if spec.blocks.is_empty() {
        sink.push(None, None, "no [[block]]: the file maps nothing");
    }

    let mut dedupes = Vec::new();
    for (i, raw) in spec.dedupes.iter().enumerate() {
        let label = format!("dedupe #{}", i + 1);
        match DedupeSpec::deserialize(raw.clone()) {
            Ok(d) => {
                if let Some(p) = compile_dedupe(&d, &label, &blocks, &mut sink) {
                    dedupes.push(p);
                }
            }
            Err(e) => sink.push(Some(&label), None, e.to_string().trim_end().to_owned()),
        }
    }

    let mut examples = Vec::new();
    for (i, raw) in spec.examples.iter().enumerate() {
        match ExampleSpec::deserialize(raw.clone()) {
            Ok(e) => examples.push(e),
            Err(e) => sink.push(
                Some(&format!("example #{}", i + 1)),
                None,
                e.to_string().trim_end().to_owned(),
            ),
        }
    }
    if spec.examples.len() < 2 {
        sink.push(
            None,
            None,
            "at least two [[example]]s are required (one of them a reject case)",
        );
    } else if !examples.iter().any(|e| !e.rejects.is_empty()) {
        sink.push(
            None,
            None,
            "no [[example]] shows a reject (add one with `rejects = [...]`)",
        );
    }

    let (field_map, custom_containers, unmapped) =
        refs.dispositions(&spec.fields_root, &spec.raw_only);
    if !sink.problems.is_empty() {
        return Err(sink.problems);
    }
    let Some(source_id) = source_id else {
        return Err(sink.problems);
    };
    Ok(Compiled {
        api,
        resource: spec.resource,
        block_count: blocks.len(),
        plan: Plan {
            source_id,
            blocks,
            dedupes,
            child_tables,
            default_country: spec.default_country,
            fields_root: spec.fields_root,
            field_map,
            custom_containers,
            unmapped,
        },
        examples,
    })
}

/// Which pointers the file reads, and where each value goes; turned into the disposition tables.
#[derive(Default)]
struct Refs {
    /// Every record pointer named anywhere (for `unmapped` skip sets).
    all: Vec<String>,
    /// Value pointer → targets (`table`, `column`).
    values: Vec<(String, TableId, &'static str)>,
    /// Containers mapped whole into a `custom_fields` column.
    custom: Vec<(String, TableId, &'static str)>,
    /// `unmapped` roots.
    unmapped: Vec<(String, TableId, &'static str)>,
}

impl Refs {
    fn template(&mut self, t: &Template) {
        for part in &t.0 {
            if let TemplatePart::Ptr(Ptr::Record(p)) = part {
                self.all.push(p.to_string());
            }
        }
    }

    fn template_values(&mut self, t: &Template, table: TableId) {
        for part in &t.0 {
            if let TemplatePart::Ptr(Ptr::Record(p)) = part {
                self.all.push(p.to_string());
                self.values.push((p.to_string(), table, "source_id"));
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn dispositions(
        &self,
        root: &str,
        raw_only: &[String],
    ) -> (
        BTreeMap<String, (Disposition, Arc<str>)>,
        BTreeMap<String, Arc<str>>,
        BTreeMap<String, (BTreeSet<String>, Arc<str>)>,
    ) {
        let field_of = |p: &str| field_key(p, root);
        let mut targets: BTreeMap<String, BTreeSet<(TableId, &'static str)>> = BTreeMap::new();
        for (p, t, c) in &self.values {
            if let Some(f) = field_of(p) {
                targets.entry(f).or_default().insert((*t, c));
            }
        }
        let mut field_map = BTreeMap::new();
        for (field, set) in &targets {
            let disposition = set
                .iter()
                .map(|(t, c)| {
                    let table = t.table();
                    if *c == super::CUSTOM_FIELDS {
                        Disposition::CustomFields
                    } else if table.schema == "sensitive" {
                        Disposition::Sensitive
                    } else if table.schema == "gdpr" {
                        Disposition::Consent
                    } else {
                        Disposition::Mapped
                    }
                })
                .min()
                .unwrap_or(Disposition::RawOnly);
            let target: Vec<String> = set.iter().map(|(t, c)| format!("{t}.{c}")).collect();
            field_map.insert(field.clone(), (disposition, Arc::from(target.join(", "))));
        }
        for p in raw_only {
            field_map
                .entry(p.clone())
                .or_insert((Disposition::RawOnly, Arc::from("")));
        }
        let custom = self
            .custom
            .iter()
            .map(|(p, t, c)| (p.clone(), Arc::from(format!("{t}.{c}"))))
            .collect();
        let unmapped = self
            .unmapped
            .iter()
            .map(|(r, t, c)| {
                let skip: BTreeSet<String> = self
                    .all
                    .iter()
                    .filter_map(|p| {
                        let rest = p.strip_prefix(r.as_str())?.strip_prefix('/')?;
                        let first = rest.split('/').next()?;
                        Some(first.replace("~1", "/").replace("~0", "~"))
                    })
                    .collect();
                (r.clone(), (skip, Arc::from(format!("{t}.{c}"))))
            })
            .collect();
        (field_map, custom, unmapped)
    }
}

/// The reported field a pointer belongs to: the key directly under `root` (or at the top level
/// for pointers outside `root`).
fn field_key(p: &str, root: &str) -> Option<String> {
    let under = |base: &str| -> Option<String> {
        let rest = p.strip_prefix(base)?.strip_prefix('/')?;
        let first = rest.split('/').next()?;
        Some(format!("{base}/{first}"))
    };
    if !root.is_empty() {
        if let Some(f) = under(root) {
            return Some(f);
        }
        if p == root {
            return None;
        }
    }
    under("")
}

fn parse_ptr(s: &str, allow_element: bool) -> Result<Ptr, String> {
    if let Some(rest) = s.strip_prefix('@') {
        if !allow_element {
            return Err("`@` pointers are only allowed in a `for_each` block".into());
        }
        if rest.is_empty() || rest.starts_with('/') {
            return Ok(Ptr::Element(Pointer::new(rest)));
        }
        return Err("an element pointer is `@` or `@/key`".into());
    }
    if s.is_empty() || s.starts_with('/') {
        Ok(Ptr::Record(Pointer::new(s)))
    } else {
        Err(format!(
            "`{s}` is not a JSON Pointer (it must start with `/`)"
        ))
    }
}

fn parse_template(s: &str, allow_element: bool) -> Result<Template, String> {
    let mut parts = Vec::new();
    let mut rest = s;
    let mut has_ptr = false;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(TemplatePart::Lit(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in template `{s}`"))?;
        let ptr = parse_ptr(&after[..close], allow_element)?;
        if matches!(&ptr, Ptr::Record(p) if p.is_empty()) {
            return Err(format!("empty placeholder in template `{s}`"));
        }
        parts.push(TemplatePart::Ptr(ptr));
        has_ptr = true;
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("stray `}}` in template `{s}`"));
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Lit(rest.to_owned()));
    }
    if !has_ptr {
        return Err(format!("template `{s}` has no {{pointer}} placeholder"));
    }
    Ok(Template(parts))
}

fn parse_when(
    when: Option<&super::spec::OneOrMany>,
    allow_element: bool,
    refs: &mut Refs,
) -> Result<Vec<Ptr>, String> {
    let mut out = Vec::new();
    for p in when.map(super::spec::OneOrMany::to_vec).unwrap_or_default() {
        let ptr = parse_ptr(&p, allow_element).map_err(|m| format!("when: {m}"))?;
        if let Ptr::Record(r) = &ptr {
            refs.all.push(r.to_string());
        }
        out.push(ptr);
    }
    Ok(out)
}

fn compile_block(
    block: &BlockSpec,
    label: &str,
    sink: &mut Sink<'_>,
    refs: &mut Refs,
) -> Option<BlockPlan> {
    let Some(table_id) = TableId::named(&block.table) else {
        sink.push(
            Some(label),
            None,
            format!("unknown table `{}`", block.table),
        );
        return None;
    };
    let table = table_id.table();
    if !table.mappable() {
        sink.push(
            Some(label),
            None,
            format!("table `{}` is not a mapping target", block.table),
        );
        return None;
    }
    let in_loop = block.for_each.is_some();
    let mut ok = true;
    let for_each = match block.for_each.as_deref().map(|p| parse_ptr(p, false)) {
        None => None,
        Some(Ok(p)) => {
            if let Ptr::Record(r) = &p {
                refs.all.push(r.to_string());
                refs.values
                    .push((r.to_string(), table_id, "(one row per element)"));
            }
            Some(p)
        }
        Some(Err(m)) => {
            sink.push(Some(label), None, format!("for_each: {m}"));
            ok = false;
            None
        }
    };
    let source_id = match &block.source_id {
        None => None,
        Some(s) => match parse_template(s, in_loop) {
            Ok(t) => {
                refs.template_values(&t, table_id);
                Some(t)
            }
            Err(m) => {
                sink.push(Some(label), None, format!("source_id: {m}"));
                ok = false;
                None
            }
        },
    };
    if in_loop && block.source_id.is_none() {
        sink.push(
            Some(label),
            None,
            "a for_each block needs its own source_id template with `{@…}`",
        );
        ok = false;
    }
    let when = match parse_when(block.when.as_ref(), false, refs) {
        Ok(w) => w,
        Err(m) => {
            sink.push(Some(label), None, m);
            ok = false;
            Vec::new()
        }
    };
    if let Some(parent) = &block.parent {
        match table.column(parent) {
            Some(c) if c.role == ColumnRole::Mapped && c.sql_type == SqlType::Text => {
                if block.columns.contains_key(parent) {
                    sink.push(
                        Some(label),
                        Some(parent),
                        "the parent column is filled from the record key; do not map it",
                    );
                    ok = false;
                }
            }
            Some(_) => {
                sink.push(
                    Some(label),
                    Some(parent),
                    "a parent column must be a mapped text column",
                );
                ok = false;
            }
            None => {
                sink.push(
                    Some(label),
                    Some(parent),
                    format!("no such column in `{}`", table.qualified),
                );
                ok = false;
            }
        }
    }
    for name in block.columns.keys() {
        match table.column(name) {
            None => {
                sink.push(
                    Some(label),
                    Some(name),
                    format!("no such column in `{}`", table.qualified),
                );
                ok = false;
            }
            Some(c) if c.role != ColumnRole::Mapped => {
                sink.push(
                    Some(label),
                    Some(name),
                    "filled by the engine or the loader; a mapping must not name it",
                );
                ok = false;
            }
            Some(_) => {}
        }
    }

    let mut cells = Vec::new();
    for column in table.engine_columns() {
        if column.role == ColumnRole::SourceId {
            cells.push(CellPlan::SourceId);
            continue;
        }
        if block.parent.as_deref() == Some(column.name) {
            cells.push(CellPlan::Parent);
            continue;
        }
        match block.columns.get(column.name) {
            None => {
                let default = catalogue_default(column);
                if default.is_null() && !column.nullable {
                    sink.push(
                        Some(label),
                        Some(column.name),
                        "NOT NULL column must be mapped",
                    );
                    ok = false;
                }
                cells.push(CellPlan::Fixed(default));
            }
            Some(raw) => {
                let spec = match raw {
                    toml::Value::Table(_) => match ColumnSpec::deserialize(raw.clone()) {
                        Ok(s) => s,
                        Err(e) => {
                            sink.push(
                                Some(label),
                                Some(column.name),
                                e.to_string().trim_end().to_owned(),
                            );
                            ok = false;
                            continue;
                        }
                    },
                    literal => ColumnSpec {
                        value: Some(literal.clone()),
                        ..ColumnSpec::default()
                    },
                };
                match compile_column(&spec, column, table_id, in_loop, refs) {
                    Ok(plan) => cells.push(CellPlan::Column(Box::new(plan))),
                    Err(messages) => {
                        for m in messages {
                            sink.push(Some(label), Some(column.name), m);
                        }
                        ok = false;
                    }
                }
            }
        }
    }
    if !ok {
        return None;
    }
    Some(BlockPlan {
        table: table_id,
        source_id: source_id.unwrap_or_else(|| Template(Vec::new())),
        when,
        for_each,
        cells,
    })
}

fn catalogue_default(column: &Column) -> Cell {
    match column.default {
        Some(ColumnDefault::EmptyObject) => {
            Cell::Json(serde_json::Value::Object(serde_json::Map::new()))
        }
        Some(ColumnDefault::Text(s)) => Cell::Text(s.to_owned()),
        Some(ColumnDefault::False) => Cell::Bool(false),
        _ => Cell::Null,
    }
}

/// A TOML literal as a cell: arrays of strings are text arrays, tables and other arrays JSON.
pub(crate) fn literal(v: &toml::Value) -> Cell {
    match v {
        toml::Value::String(s) => Cell::Text(s.clone()),
        toml::Value::Integer(i) => Cell::Int(*i),
        toml::Value::Float(f) => Cell::Float(*f),
        toml::Value::Boolean(b) => Cell::Bool(*b),
        toml::Value::Datetime(d) => Cell::Text(d.to_string()),
        toml::Value::Array(a) if a.iter().all(toml::Value::is_str) => Cell::TextArray(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        ),
        other => Cell::Json(toml_to_json(other)),
    }
}

/// TOML to JSON (datetimes become strings).
pub(crate) fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

fn compile_column(
    spec: &ColumnSpec,
    column: &'static Column,
    table: TableId,
    in_loop: bool,
    refs: &mut Refs,
) -> Result<ColumnPlan, Vec<String>> {
    let mut errors = Vec::new();
    let (expr, kind) = compile_expr(spec, column, table, in_loop, refs, &mut errors, true);
    if let Some(k) = kind {
        if !k.fits(column.sql_type) {
            errors.push(format!(
                "produces {} but the column is {}{}",
                kind_name(k),
                column.sql_type,
                match column.sql_type {
                    SqlType::Timestamptz => " (add the `rfc3339` converter)",
                    SqlType::Date => " (add the `date` converter)",
                    SqlType::TextArray => " (use `array = [...]` or `string_array`)",
                    _ => "",
                }
            ));
        }
    }
    let default = spec.default.as_ref().map(literal);
    if let Some(d) = &default {
        if d.clone().fit(column.sql_type).is_err() || !d.kind().fits(column.sql_type) {
            errors.push(format!("default does not fit a {} column", column.sql_type));
        }
    }
    // A NULL result falls back to the file's default, then to the column's SQL default.
    let default = default.or_else(|| Some(catalogue_default(column)).filter(|c| !c.is_null()));
    match expr {
        Some(expr) if errors.is_empty() => Ok(ColumnPlan {
            column,
            expr,
            default,
            required: spec.required,
            missing: spec.missing.as_deref().map(Arc::from),
        }),
        _ => Err(errors),
    }
}

/// Compiles a column spec (or a `first_of` alternative) and returns its static output kind.
fn compile_expr(
    spec: &ColumnSpec,
    column: &'static Column,
    table: TableId,
    in_loop: bool,
    refs: &mut Refs,
    errors: &mut Vec<String>,
    outer: bool,
) -> (Option<Expr>, Option<Kind>) {
    let ptr = |s: &str, refs: &mut Refs, errors: &mut Vec<String>, value: bool| -> Option<Ptr> {
        match parse_ptr(s, in_loop) {
            Ok(p) => {
                if let Ptr::Record(r) = &p {
                    refs.all.push(r.to_string());
                    if value {
                        refs.values.push((r.to_string(), table, column.name));
                    }
                }
                Some(p)
            }
            Err(m) => {
                errors.push(m);
                None
            }
        }
    };
    if !outer && (spec.required || spec.default.is_some() || spec.missing.is_some()) {
        errors.push(
            "`required`, `default` and `missing` belong on the column, not on a first_of alternative"
                .into(),
        );
    }
    if spec.missing.is_some() && (spec.required || !column.nullable) {
        errors.push(
            "`missing` keeps the record with the column NULL: not for a required or NOT NULL column"
                .into(),
        );
    }
    let given = [
        spec.from.is_some(),
        spec.value.is_some(),
        spec.context.is_some(),
        spec.object.is_some(),
        spec.array.is_some(),
        spec.unmapped.is_some(),
        spec.first_of.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        errors.push(
            "give exactly one source: from, value, context, object, array, unmapped or first_of"
                .into(),
        );
        return (None, None);
    }
    let each: Vec<Converter> = spec
        .each
        .iter()
        .filter_map(|n| converter(n, errors))
        .collect();
    if !spec.each.is_empty() && spec.object.is_none() && spec.array.is_none() {
        errors.push("`each` only applies to `object` and `array` sources".into());
    }
    let mut each_kind = Kind::Any;
    for c in &each {
        if !c.accepts(each_kind) {
            errors.push(format!(
                "converter `{}` cannot take {}",
                c.name(),
                kind_name(each_kind)
            ));
        }
        each_kind = c.output(each_kind, Kind::Any);
    }
    let (source, mut kind) = if let Some(p) = &spec.from {
        (ptr(p, refs, errors, true).map(Source::Pointer), Kind::Any)
    } else if let Some(v) = &spec.value {
        let c = literal(v);
        let k = c.kind();
        (Some(Source::Literal(c)), k)
    } else if let Some(c) = &spec.context {
        match c.as_str() {
            "currency" => (Some(Source::Context(ContextKey::Currency)), Kind::Text),
            "default_country" => (
                Some(Source::Context(ContextKey::DefaultCountry)),
                Kind::Text,
            ),
            other => {
                errors.push(format!(
                    "unknown context `{other}` (expected currency or default_country)"
                ));
                (None, Kind::Any)
            }
        }
    } else if let Some(obj) = &spec.object {
        let entries: Vec<(String, Ptr)> = obj
            .iter()
            .filter_map(|(k, p)| ptr(p, refs, errors, true).map(|p| (k.clone(), p)))
            .collect();
        (Some(Source::Object(entries)), Kind::Json)
    } else if let Some(arr) = &spec.array {
        let ptrs: Vec<Ptr> = arr
            .iter()
            .filter_map(|p| ptr(p, refs, errors, true))
            .collect();
        let k = if each_kind == Kind::Text {
            Kind::TextArray
        } else {
            Kind::Json
        };
        (Some(Source::Array(ptrs)), k)
    } else if let Some(root) = &spec.unmapped {
        match ptr(root, refs, errors, false) {
            Some(Ptr::Record(r)) => {
                refs.unmapped.push((r.to_string(), table, column.name));
                (Some(Source::Unmapped(Ptr::Record(r))), Kind::Json)
            }
            Some(Ptr::Element(_)) => {
                errors.push("`unmapped` takes a record pointer".into());
                (None, Kind::Json)
            }
            None => (None, Kind::Json),
        }
    } else if let Some(alts) = &spec.first_of {
        let mut exprs = Vec::new();
        let mut kinds = BTreeSet::new();
        for alt in alts {
            let (e, k) = compile_expr(alt, column, table, in_loop, refs, errors, false);
            if let Some(e) = e {
                exprs.push(e);
            }
            if let Some(k) = k {
                kinds.insert(kind_name(k));
                if !k.fits(column.sql_type) {
                    errors.push(format!("a first_of alternative produces {}", kind_name(k)));
                }
            }
        }
        if alts.is_empty() {
            errors.push("first_of needs at least one alternative".into());
        }
        (Some(Source::FirstOf(exprs)), Kind::Any)
    } else {
        (None, Kind::Any)
    };
    // Record a whole custom-values container.
    if column.name == super::CUSTOM_FIELDS {
        if let Some(Source::Pointer(Ptr::Record(p))) = &source {
            refs.custom.push((p.to_string(), table, column.name));
        }
    }
    let map: Option<BTreeMap<String, Cell>> = spec
        .map
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), literal(v))).collect());
    let map_kind = match &map {
        Some(m) => {
            let kinds: BTreeSet<&str> = m.values().map(|c| kind_name(c.kind())).collect();
            if kinds.len() > 1 {
                errors.push("the values of `map` must all have the same type".into());
            }
            m.values().next().map_or(Kind::Any, Cell::kind)
        }
        None => Kind::Any,
    };
    let convert: Vec<Converter> = spec
        .convert
        .iter()
        .filter_map(|n| converter(n, errors))
        .collect();
    for c in &convert {
        if !c.accepts(kind) {
            errors.push(format!(
                "converter `{}` cannot take {}",
                c.name(),
                kind_name(kind)
            ));
        }
        kind = c.output(kind, map_kind);
    }
    let has_enum = convert.contains(&Converter::EnumMap);
    if has_enum && map.is_none() {
        errors.push("converter `enum_map` needs a `map = { … }` table".into());
    }
    if !has_enum && map.is_some() {
        errors.push("`map` is only used by the `enum_map` converter".into());
    }
    let country_from: Vec<Ptr> = spec
        .country_from
        .iter()
        .filter_map(|p| ptr(p, refs, errors, false))
        .collect();
    if !spec.country_from.is_empty() && !convert.contains(&Converter::PhoneE164) {
        errors.push("`country_from` is only used by the `phone_e164` converter".into());
    }
    let equals = spec.equals.as_ref().map(literal);
    if equals.is_some() {
        kind = Kind::Bool;
    }
    let when = match parse_when(spec.when.as_ref(), in_loop, refs) {
        Ok(w) => w,
        Err(m) => {
            errors.push(m);
            Vec::new()
        }
    };
    let field = spec.from.clone().unwrap_or_else(|| column.name.to_owned());
    let expr = source.map(|source| Expr {
        source,
        when,
        each,
        convert,
        map,
        country_from,
        equals,
        field,
    });
    (expr, Some(kind))
}

fn converter(name: &str, errors: &mut Vec<String>) -> Option<Converter> {
    let c = Converter::from_name(name);
    if c.is_none() {
        let known: Vec<&str> = convert::names().collect();
        errors.push(format!(
            "unknown converter `{name}` (known: {})",
            known.join(", ")
        ));
    }
    c
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Any => "a raw JSON value",
        Kind::Text => "text",
        Kind::Bool => "a boolean",
        Kind::Int => "an integer",
        Kind::Float => "a number",
        Kind::Json => "JSON",
        Kind::Timestamp => "a timestamp",
        Kind::Date => "a date",
        Kind::TextArray => "a text array",
    }
}

fn compile_dedupe(
    d: &DedupeSpec,
    label: &str,
    blocks: &[BlockPlan],
    sink: &mut Sink<'_>,
) -> Option<DedupePlan> {
    let Some(table) = TableId::named(&d.table) else {
        sink.push(Some(label), None, format!("unknown table `{}`", d.table));
        return None;
    };
    if !blocks.iter().any(|b| b.table == table) {
        sink.push(
            Some(label),
            None,
            format!("no block produces rows in `{}`", d.table),
        );
    }
    let index = |name: &str, sink: &mut Sink<'_>, want_bool: bool| -> Option<usize> {
        let pos = table.table().engine_columns().position(|c| c.name == name);
        match pos {
            None => {
                sink.push(
                    Some(label),
                    Some(name),
                    format!("no such column in `{}`", d.table),
                );
                None
            }
            Some(i) => {
                let col = table.table().engine_columns().nth(i)?;
                if want_bool && col.sql_type != SqlType::Boolean {
                    sink.push(
                        Some(label),
                        Some(name),
                        "`primary` must be a boolean column",
                    );
                    return None;
                }
                Some(i)
            }
        }
    };
    let key = match &d.key {
        Some(k) => Some(index(k, sink, false)?),
        None => None,
    };
    let primary = match &d.primary {
        Some(p) => Some(index(p, sink, true)?),
        None => None,
    };
    if key.is_none() && primary.is_none() {
        sink.push(Some(label), None, "give `key`, `primary` or both");
        return None;
    }
    Some(DedupePlan {
        table,
        key,
        primary,
    })
}
