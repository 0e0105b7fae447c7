//! Running a mapping file's `[[example]]`s: map each input with the compiled plan and compare
//! the outcome with what the example expects (every row, every reject, some dispositions).
//! Example data is made up and lives in the mapping file, so messages may quote it.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::apply::{Disposition, MapContext, MappedRecord};
use super::cell::Cell;
use super::spec::ExampleSpec;
use super::validate::{literal, toml_to_json, Problem};
use super::Mapping;
use crate::schema::catalogue::TableId;

/// Runs every example of `mapping`; returns the problems found (empty when all pass).
pub(crate) fn run_examples(mapping: &Mapping) -> Vec<Problem> {
    let mut problems = Vec::new();
    for example in &mapping.examples {
        let label = format!("example `{}`", example.name);
        let mut push = |column: Option<&str>, message: String| {
            problems.push(Problem {
                file: mapping.file.clone(),
                block: Some(label.clone()),
                column: column.map(str::to_owned),
                message,
            });
        };
        let input: Value = match &example.input {
            toml::Value::String(s) => match serde_json::from_str(s) {
                Ok(v) => v,
                Err(e) => {
                    push(None, format!("input is not valid JSON: {e}"));
                    continue;
                }
            },
            other => toml_to_json(other),
        };
        let ctx = context(example);
        let out = mapping.apply(&input, &ctx);
        compare(example, &out, &mut push);
    }
    problems
}

fn context(example: &ExampleSpec) -> MapContext {
    let c = example.context.as_ref();
    MapContext {
        currency: c
            .and_then(|c| c.currency.clone())
            .unwrap_or_else(|| "USD".to_owned()),
        default_country: c.and_then(|c| c.default_country.clone()),
    }
}

fn compare(example: &ExampleSpec, out: &MappedRecord, push: &mut impl FnMut(Option<&str>, String)) {
    for want in &example.rows {
        let Some(table) = TableId::named(&want.table) else {
            push(None, format!("unknown table `{}`", want.table));
            continue;
        };
        let Some(row) = out
            .rows
            .iter()
            .find(|r| r.table == table && r.source_id == want.source_id)
        else {
            push(
                None,
                format!(
                    "expected row {} `{}` was not produced",
                    want.table, want.source_id
                ),
            );
            continue;
        };
        for (column, expected) in &want.cells {
            match row.cell(column) {
                None => push(Some(column), format!("no such column in {}", want.table)),
                Some(got) if !matches(got, expected) => push(
                    Some(column),
                    format!(
                        "row {} `{}`: expected {}, got {}",
                        want.table,
                        want.source_id,
                        toml_to_json(expected),
                        got.to_json()
                    ),
                ),
                Some(_) => {}
            }
        }
        for column in &want.null {
            match row.cell(column) {
                None => push(Some(column), format!("no such column in {}", want.table)),
                Some(Cell::Null) => {}
                Some(got) => push(
                    Some(column),
                    format!(
                        "row {} `{}`: expected NULL, got {}",
                        want.table,
                        want.source_id,
                        got.to_json()
                    ),
                ),
            }
        }
    }
    for row in &out.rows {
        let listed = example
            .rows
            .iter()
            .any(|w| w.table == row.table.qualified_name() && w.source_id == row.source_id);
        if !listed {
            push(
                None,
                format!("unexpected row {} `{}`", row.table, row.source_id),
            );
        }
    }
    for want in &example.rejects {
        let found = out.rejects.iter().any(|r| {
            r.field == want.field && r.reason.contains(&want.reason) && r.fatal == want.fatal
        });
        if !found {
            push(
                None,
                format!(
                    "expected {} reject on `{}` containing \"{}\"",
                    if want.fatal { "a fatal" } else { "a non-fatal" },
                    want.field,
                    want.reason
                ),
            );
        }
    }
    for r in &out.rejects {
        if !example.rejects.iter().any(|w| w.field == r.field) {
            push(
                None,
                format!("unexpected reject on `{}`: {}", r.field, r.reason),
            );
        }
    }
    for (field, want) in &example.fields {
        let Some(want) = Disposition::from_name(want) else {
            push(None, format!("unknown disposition `{want}` for `{field}`"));
            continue;
        };
        match out.fields.iter().find(|f| &f.field == field) {
            None => push(None, format!("field `{field}` was not seen in the input")),
            Some(f) if f.disposition != want => {
                push(
                    None,
                    format!("field `{field}`: expected {want}, got {}", f.disposition),
                );
            }
            Some(_) => {}
        }
    }
}

/// Whether a produced cell equals an expected TOML value.
fn matches(got: &Cell, want: &toml::Value) -> bool {
    match (got, want) {
        (Cell::Timestamp(t), toml::Value::String(_) | toml::Value::Datetime(_)) => {
            let s = match want {
                toml::Value::String(s) => s.clone(),
                other => other.to_string().trim_matches('"').to_owned(),
            };
            DateTime::parse_from_rfc3339(&s).is_ok_and(|w| w.with_timezone(&Utc) == *t)
        }
        (Cell::Date(d), toml::Value::String(_) | toml::Value::Datetime(_)) => {
            let s = match want {
                toml::Value::String(s) => s.clone(),
                other => other.to_string().trim_matches('"').to_owned(),
            };
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").is_ok_and(|w| w == *d)
        }
        (Cell::Float(f), toml::Value::Float(w)) => (f - w).abs() < 1e-9,
        #[allow(clippy::cast_precision_loss)]
        (Cell::Float(f), toml::Value::Integer(w)) => (f - *w as f64).abs() < 1e-9,
        (Cell::Json(v), toml::Value::String(s)) if !v.is_string() => {
            serde_json::from_str::<Value>(s).is_ok_and(|w| &w == v)
        }
        (Cell::Json(v), w) => &toml_to_json(w) == v,
        (got, w) => *got == literal(w),
    }
}
