//! [`Cell`]: one typed value of a mapped row, and the checks that fit a value to its target
//! column's SQL type. Cells are what the loader binds, one typed array per column, so every
//! variant corresponds to a PostgreSQL type of the open schema.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::Value;

use super::target::SqlType;

/// One value of a mapped row, typed like its target column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// `text` or `char(n)`.
    Text(String),
    /// `boolean`.
    Bool(bool),
    /// `integer` or `bigint`.
    Int(i64),
    /// `double precision`.
    Float(f64),
    /// `jsonb`.
    Json(Value),
    /// `timestamptz`, as a UTC instant (the source offset only chose the instant).
    Timestamp(DateTime<Utc>),
    /// `date`.
    Date(NaiveDate),
    /// `text[]`.
    TextArray(Vec<String>),
}

/// The static kind of a value flowing through a column's converters, used by validation to
/// check converter chains and target types before any record is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Whatever the source JSON holds; checked at run time.
    Any,
    /// Text.
    Text,
    /// Boolean.
    Bool,
    /// Integer.
    Int,
    /// Floating point.
    Float,
    /// JSON (object, array or any scalar).
    Json,
    /// Timestamp.
    Timestamp,
    /// Date.
    Date,
    /// Array of text.
    TextArray,
}

impl Kind {
    /// Whether a value of this kind may be stored in a column of type `ty` (`Any` is checked
    /// per record).
    pub(crate) fn fits(self, ty: SqlType) -> bool {
        match ty {
            SqlType::Text | SqlType::Char(_) => matches!(self, Kind::Any | Kind::Text),
            SqlType::Boolean => matches!(self, Kind::Any | Kind::Bool),
            SqlType::Integer | SqlType::BigInt => matches!(self, Kind::Any | Kind::Int),
            SqlType::Double => matches!(self, Kind::Any | Kind::Int | Kind::Float),
            SqlType::Jsonb | SqlType::Json => true,
            SqlType::Timestamptz => self == Kind::Timestamp,
            SqlType::Date => self == Kind::Date,
            SqlType::TextArray => self == Kind::TextArray,
        }
    }
}

impl Cell {
    /// The cell for a JSON value as received: strings become text, integers `Int`, other
    /// numbers `Float`, arrays and objects `Json`.
    pub fn from_json(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => n.as_f64().map_or(Cell::Null, Cell::Float),
            },
            Value::String(s) => Cell::Text(s.clone()),
            Value::Array(_) | Value::Object(_) => Cell::Json(value.clone()),
        }
    }

    /// The cell as JSON (timestamps as RFC 3339 in UTC, dates as `YYYY-MM-DD`).
    pub fn to_json(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Int(i) => Value::from(*i),
            Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Cell::Json(v) => v.clone(),
            Cell::Timestamp(t) => Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Cell::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            Cell::TextArray(a) => Value::Array(a.iter().cloned().map(Value::String).collect()),
        }
    }

    /// Whether this is [`Cell::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The static kind of this value.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Cell::Null => Kind::Any,
            Cell::Text(_) => Kind::Text,
            Cell::Bool(_) => Kind::Bool,
            Cell::Int(_) => Kind::Int,
            Cell::Float(_) => Kind::Float,
            Cell::Json(_) => Kind::Json,
            Cell::Timestamp(_) => Kind::Timestamp,
            Cell::Date(_) => Kind::Date,
            Cell::TextArray(_) => Kind::TextArray,
        }
    }

    /// Fits the value to a column of type `ty`, or says why it cannot (without quoting the
    /// value: reasons end up in logs and reject tables).
    pub(crate) fn fit(self, ty: SqlType) -> Result<Cell, String> {
        match (ty, self) {
            (_, Cell::Null) => Ok(Cell::Null),
            (SqlType::Text, c @ Cell::Text(_)) => Ok(c),
            (SqlType::Char(n), Cell::Text(s)) => {
                if s.chars().count() == usize::from(n) {
                    Ok(Cell::Text(s))
                } else {
                    Err(format!("expected exactly {n} characters"))
                }
            }
            (SqlType::Boolean, c @ Cell::Bool(_)) => Ok(c),
            (SqlType::Integer, Cell::Int(i)) => {
                if i32::try_from(i).is_ok() {
                    Ok(Cell::Int(i))
                } else {
                    Err("integer out of range for a 32-bit column".into())
                }
            }
            (SqlType::BigInt, c @ Cell::Int(_)) => Ok(c),
            (SqlType::Double, c @ Cell::Float(_)) => Ok(c),
            #[allow(clippy::cast_precision_loss)]
            (SqlType::Double, Cell::Int(i)) => Ok(Cell::Float(i as f64)),
            (SqlType::Jsonb | SqlType::Json, c) => Ok(Cell::Json(c.to_json())),
            (SqlType::Timestamptz, c @ Cell::Timestamp(_)) => Ok(c),
            (SqlType::Date, c @ Cell::Date(_)) => Ok(c),
            (SqlType::TextArray, c @ Cell::TextArray(_)) => Ok(c),
            (ty, c) => Err(format!(
                "a {} value does not fit a {ty} column",
                c.kind_name()
            )),
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Cell::Null => "null",
            Cell::Text(_) => "text",
            Cell::Bool(_) => "boolean",
            Cell::Int(_) => "integer",
            Cell::Float(_) => "number",
            Cell::Json(Value::Array(_)) => "array",
            Cell::Json(Value::Object(_)) => "object",
            Cell::Json(_) => "JSON",
            Cell::Timestamp(_) => "timestamp",
            Cell::Date(_) => "date",
            Cell::TextArray(_) => "text array",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fit_checks_types() {
        let cases: Vec<(Cell, SqlType, Result<Cell, ()>)> = vec![
            (
                Cell::Text("US".into()),
                SqlType::Char(2),
                Ok(Cell::Text("US".into())),
            ),
            (Cell::Text("USA".into()), SqlType::Char(2), Err(())),
            (Cell::Int(3), SqlType::Double, Ok(Cell::Float(3.0))),
            (Cell::Int(1 << 40), SqlType::Integer, Err(())),
            (Cell::Int(7), SqlType::Jsonb, Ok(Cell::Json(json!(7)))),
            (Cell::Text("x".into()), SqlType::Boolean, Err(())),
            (Cell::Null, SqlType::Date, Ok(Cell::Null)),
        ];
        for (cell, ty, want) in cases {
            let got = cell.clone().fit(ty).map_err(|_| ());
            assert_eq!(got, want, "{cell:?} into {ty}");
        }
    }

    #[test]
    fn json_round_trip() {
        assert_eq!(Cell::from_json(&json!(1.5)), Cell::Float(1.5));
        assert_eq!(Cell::from_json(&json!(12)), Cell::Int(12));
        assert_eq!(Cell::from_json(&json!({"a": 1})).to_json(), json!({"a": 1}));
    }
}
