//! [`Cell`]: one typed value of a mapped row, and the checks that fit a value to its target
//! column's SQL type. Cells are what the loader binds, one typed array per column, so every
//! variant corresponds to a PostgreSQL type of the open schema.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::Value;

use crate::schema::catalogue::SqlType;

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
            // Only bookkeeping tables and views have these; no mapping targets them.
            SqlType::Numeric | SqlType::Bytea | SqlType::ByteaArray => false,
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
            // Integers beyond 64 bits and decimals a double would round stay the JSON number
            // they are (jsonb keeps them exact; numeric columns get their digits).
            Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => match exact_f64(n) {
                    Some(f) => Cell::Float(f),
                    None => Cell::Json(value.clone()),
                },
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
            (SqlType::Double, Cell::Json(Value::Number(n))) => n
                .as_f64()
                .map(Cell::Float)
                .ok_or_else(|| "a number out of range for a double column".to_owned()),
            (SqlType::Integer | SqlType::BigInt, Cell::Json(Value::Number(_))) => {
                Err(format!("a number out of range for a {ty} column"))
            }
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

/// Longest text, in bytes, stored in a column that a B-tree index covers: an index row holds
/// at most 2,704 bytes (next to the nation and, for some indexes, another column), and
/// incompressible text past that makes the whole page's statement fail.
pub const INDEXED_TEXT_MAX_BYTES: usize = 2000;

/// Why a value cannot be stored as it is: where inside the value (a JSON Pointer relative to
/// it, empty for the value itself) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unstorable {
    /// Where, inside the value.
    pub at: String,
    /// Why, without quoting the value.
    pub reason: String,
}

impl Cell {
    /// Checks that PostgreSQL can store this value as it is: no NUL in text, in array elements
    /// or in jsonb keys and strings; numbers within the double range (what the JSON of every
    /// consumer can hold); text of an `indexed` column within [`INDEXED_TEXT_MAX_BYTES`].
    pub(crate) fn check_storable(&self, indexed: bool) -> Result<(), Unstorable> {
        let nul = |at: String| Unstorable {
            at,
            reason: "contains NUL (U+0000), which PostgreSQL text cannot store".into(),
        };
        match self {
            Cell::Text(s) => {
                if s.contains('\0') {
                    return Err(nul(String::new()));
                }
                if indexed && s.len() > INDEXED_TEXT_MAX_BYTES {
                    return Err(Unstorable {
                        at: String::new(),
                        reason: format!(
                            "too long for the column's index ({} bytes; at most \
                             {INDEXED_TEXT_MAX_BYTES}): stored as NULL, kept in the raw archive",
                            s.len()
                        ),
                    });
                }
                Ok(())
            }
            Cell::TextArray(items) => match items.iter().position(|s| s.contains('\0')) {
                Some(i) => Err(nul(format!("/{i}"))),
                None => Ok(()),
            },
            Cell::Json(v) => check_json(v),
            _ => Ok(()),
        }
    }
}

/// [`Cell::check_storable`] of a jsonb value, walked without recursion.
fn check_json(root: &Value) -> Result<(), Unstorable> {
    let mut todo: Vec<(String, &Value)> = vec![(String::new(), root)];
    while let Some((at, v)) = todo.pop() {
        match v {
            Value::String(s) if s.contains('\0') => {
                return Err(Unstorable {
                    at,
                    reason: "contains NUL (U+0000), which PostgreSQL jsonb cannot store".into(),
                })
            }
            Value::Number(n) if n.as_i64().is_none() && n.as_f64().is_none() => {
                return Err(Unstorable {
                    at,
                    reason: "a number out of range (beyond the double range, ±1.8e308), which \
                             the table's JSON cannot hold faithfully: stored as NULL, kept in the \
                             raw archive"
                        .into(),
                })
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    todo.push((format!("{at}/{i}"), item));
                }
            }
            Value::Object(map) => {
                if map.keys().any(|k| k.contains('\0')) {
                    return Err(Unstorable {
                        at,
                        reason: "an attribute name contains NUL (U+0000), which PostgreSQL jsonb \
                                 cannot store"
                            .into(),
                    });
                }
                for (k, item) in map {
                    todo.push((
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        item,
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The double equal to the JSON number `n`, when there is one exactly: `1234.0`, `0.5`, `1e20`;
/// not `99999999999999999999` (a double would round it) nor `1e400` (beyond the range).
pub(crate) fn exact_f64(n: &serde_json::Number) -> Option<f64> {
    let f = n.as_f64()?;
    let shortest = format!("{f:e}");
    (decimal(&n.to_string())? == decimal(&shortest)?).then_some(f)
}

/// A decimal literal as (negative, significant digits, exponent) with `value = 0.digits ×
/// 10^exponent`, so that equal values compare equal whatever their spelling.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut point = i64::try_from(int.len()).ok()?;
    let all: String = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    point -= i64::try_from(all.len() - trimmed.len()).ok()?;
    let digits = trimmed.trim_end_matches('0');
    if digits.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((neg, digits.to_owned(), exp.checked_add(point)?))
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
    fn numbers_stay_exact_and_storability_is_checked() {
        let big: Value = serde_json::from_str("99999999999999999999").unwrap();
        assert_eq!(Cell::from_json(&big), Cell::Json(big.clone()));
        assert_eq!(
            Cell::from_json(&big).fit(SqlType::Jsonb).unwrap(),
            Cell::Json(big.clone())
        );
        let f: Value = serde_json::from_str("1234.0").unwrap();
        assert_eq!(Cell::from_json(&f), Cell::Float(1234.0));
        let f: Value = serde_json::from_str("1e20").unwrap();
        assert_eq!(Cell::from_json(&f), Cell::Float(1e20));
        let huge: Value = serde_json::from_str(r#"{"big":1e400}"#).unwrap();
        let bad = Cell::Json(huge).check_storable(false).unwrap_err();
        assert_eq!(bad.at, "/big");
        assert!(bad.reason.contains("range"));
        let key: Value = serde_json::from_str(r#"{"a":{"b\u0000":1}}"#).unwrap();
        assert_eq!(Cell::Json(key).check_storable(false).unwrap_err().at, "/a");
        assert!(Cell::Text("a\0b".into()).check_storable(false).is_err());
        let long = Cell::Text("x".repeat(INDEXED_TEXT_MAX_BYTES + 1));
        assert!(long.check_storable(false).is_ok());
        assert!(long
            .check_storable(true)
            .unwrap_err()
            .reason
            .contains("too long"));
    }

    #[test]
    fn json_round_trip() {
        assert_eq!(Cell::from_json(&json!(1.5)), Cell::Float(1.5));
        assert_eq!(Cell::from_json(&json!(12)), Cell::Int(12));
        assert_eq!(Cell::from_json(&json!({"a": 1})).to_json(), json!({"a": 1}));
    }
}
