//! The named converters a mapping file can chain in a column's `convert = [...]` list (`trim`,
//! `email`, `phone_e164`, `rfc3339`, `cents_to_minor`, `enum_map`, …).
//!
//! Each converter is a pure function from one [`Cell`] to another. All of them pass NULL through
//! unchanged, so "absent" stays distinguishable from "wrong". A converter that cannot make sense
//! of its input returns a [`ConvertError`] whose reason never quotes the value: reasons end up in
//! logs and in `sync.rejects`, and the raw record is kept elsewhere. Each converter also declares
//! which input kinds it accepts and which kind it produces, so validation can reject a chain like
//! `["int", "rfc3339"]` before any record is mapped.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::cell::{Cell, Kind};

/// Why a converter rejected a value (a fixed phrase that never contains the value itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError(pub &'static str);

/// A named converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Converter {
    Trim,
    Lowercase,
    Uppercase,
    EmptyToNull,
    Email,
    EmailValid,
    PhoneE164,
    Rfc3339,
    Date,
    Int,
    Float,
    Bool,
    Text,
    CentsToMinor,
    DecimalToMinor,
    EnumMap,
    Json,
    StringArray,
    CommaList,
}

/// What a converter may need besides its input: the country for national phone numbers and the
/// table of an `enum_map`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ConvertArgs<'a> {
    /// ISO 3166-1 alpha-2 country used to read national phone numbers.
    pub country: Option<&'a str>,
    /// The column's `map` table, for `enum_map`.
    pub map: Option<&'a BTreeMap<String, Cell>>,
}

/// Every converter with its name, in the order the documentation lists them.
const ALL: &[(Converter, &str)] = &[
    (Converter::Trim, "trim"),
    (Converter::Lowercase, "lowercase"),
    (Converter::Uppercase, "uppercase"),
    (Converter::EmptyToNull, "empty_to_null"),
    (Converter::Email, "email"),
    (Converter::EmailValid, "email_valid"),
    (Converter::PhoneE164, "phone_e164"),
    (Converter::Rfc3339, "rfc3339"),
    (Converter::Date, "date"),
    (Converter::Int, "int"),
    (Converter::Float, "float"),
    (Converter::Bool, "bool"),
    (Converter::Text, "text"),
    (Converter::CentsToMinor, "cents_to_minor"),
    (Converter::DecimalToMinor, "decimal_to_minor"),
    (Converter::EnumMap, "enum_map"),
    (Converter::Json, "json"),
    (Converter::StringArray, "string_array"),
    (Converter::CommaList, "comma_list"),
];

/// The names of all converters, for error messages.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|(_, n)| *n)
}

impl Converter {
    /// The converter called `name`.
    pub(crate) fn from_name(name: &str) -> Option<Converter> {
        ALL.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
    }

    /// The converter's name as written in mapping files.
    pub(crate) fn name(self) -> &'static str {
        ALL.iter().find(|(c, _)| *c == self).map_or("?", |(_, n)| n)
    }

    /// Whether the converter accepts values of kind `input`.
    pub(crate) fn accepts(self, input: Kind) -> bool {
        use Kind as K;
        match self {
            Converter::Trim
            | Converter::Lowercase
            | Converter::Uppercase
            | Converter::Email
            | Converter::EmailValid
            | Converter::Rfc3339
            | Converter::Date => matches!(input, K::Any | K::Text),
            Converter::PhoneE164 => matches!(input, K::Any | K::Text | K::Int),
            Converter::EmptyToNull | Converter::Json => true,
            Converter::Int | Converter::Float | Converter::CentsToMinor => {
                matches!(input, K::Any | K::Text | K::Int | K::Float)
            }
            Converter::DecimalToMinor => matches!(input, K::Any | K::Text | K::Int | K::Float),
            Converter::Bool => matches!(input, K::Any | K::Text | K::Int | K::Bool),
            Converter::Text => matches!(input, K::Any | K::Text | K::Int | K::Float | K::Bool),
            Converter::EnumMap => matches!(input, K::Any | K::Text | K::Int | K::Bool),
            Converter::StringArray | Converter::CommaList => {
                matches!(input, K::Any | K::Json | K::Text | K::TextArray)
            }
        }
    }

    /// The kind the converter produces from `input`; `map_kind` is the kind of the values of
    /// the column's `enum_map` table.
    pub(crate) fn output(self, input: Kind, map_kind: Kind) -> Kind {
        match self {
            Converter::Trim
            | Converter::Lowercase
            | Converter::Uppercase
            | Converter::Email
            | Converter::PhoneE164
            | Converter::Text => Kind::Text,
            Converter::EmptyToNull => input,
            Converter::EmailValid | Converter::Bool => Kind::Bool,
            Converter::Rfc3339 => Kind::Timestamp,
            Converter::Date => Kind::Date,
            Converter::Int | Converter::CentsToMinor | Converter::DecimalToMinor => Kind::Int,
            Converter::Float => Kind::Float,
            Converter::EnumMap => map_kind,
            Converter::Json => Kind::Json,
            Converter::StringArray | Converter::CommaList => Kind::TextArray,
        }
    }

    /// Applies the converter. NULL in gives NULL out.
    pub(crate) fn apply(self, value: Cell, args: ConvertArgs<'_>) -> Result<Cell, ConvertError> {
        if value.is_null() {
            return Ok(Cell::Null);
        }
        match self {
            Converter::Trim => text(value).map(|s| Cell::Text(s.trim().to_owned())),
            Converter::Lowercase => text(value).map(|s| Cell::Text(s.to_lowercase())),
            Converter::Uppercase => text(value).map(|s| Cell::Text(s.to_uppercase())),
            Converter::EmptyToNull => Ok(empty_to_null(value)),
            Converter::Email => text(value).map(|s| {
                let norm = normalise_email(&s);
                if norm.is_empty() {
                    Cell::Null
                } else {
                    Cell::Text(norm)
                }
            }),
            Converter::EmailValid => {
                text(value).map(|s| Cell::Bool(is_plausible_email(&normalise_email(&s))))
            }
            Converter::PhoneE164 => {
                let raw = match value {
                    Cell::Int(i) => i.to_string(),
                    other => text(other)?,
                };
                Ok(phone_e164(&raw, args.country).map_or(Cell::Null, Cell::Text))
            }
            Converter::Rfc3339 => {
                let s = text(value)?;
                DateTime::parse_from_rfc3339(s.trim())
                    .map(|t| Cell::Timestamp(t.with_timezone(&Utc)))
                    .map_err(|_| ConvertError("not an RFC 3339 timestamp"))
            }
            Converter::Date => {
                let s = text(value)?;
                parse_date(s.trim())
                    .map(Cell::Date)
                    .ok_or(ConvertError("not a date (YYYY-MM-DD)"))
            }
            Converter::Int => to_int(&value)
                .map(Cell::Int)
                .ok_or(ConvertError("not an integer")),
            Converter::Float => match value {
                #[allow(clippy::cast_precision_loss)]
                Cell::Int(i) => Ok(Cell::Float(i as f64)),
                Cell::Float(f) => Ok(Cell::Float(f)),
                Cell::Json(Value::Number(n)) => n
                    .as_f64()
                    .map(Cell::Float)
                    .ok_or(ConvertError("a number out of range for a double")),
                Cell::Text(s) => match s.trim().parse::<f64>() {
                    Ok(f) if f.is_finite() => Ok(Cell::Float(f)),
                    _ => Err(ConvertError("not a number")),
                },
                _ => Err(ConvertError("not a number")),
            },
            Converter::Bool => match value {
                Cell::Bool(b) => Ok(Cell::Bool(b)),
                Cell::Int(0) => Ok(Cell::Bool(false)),
                Cell::Int(1) => Ok(Cell::Bool(true)),
                Cell::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "t" | "1" | "yes" | "y" => Ok(Cell::Bool(true)),
                    "false" | "f" | "0" | "no" | "n" => Ok(Cell::Bool(false)),
                    _ => Err(ConvertError("not a boolean")),
                },
                _ => Err(ConvertError("not a boolean")),
            },
            Converter::Text => scalar_text(&value)
                .map(Cell::Text)
                .ok_or(ConvertError("not a scalar that can be read as text")),
            Converter::CentsToMinor => {
                match value {
                    Cell::Int(i) => Ok(Cell::Int(i)),
                    Cell::Float(_) => to_int(&value).map(Cell::Int).ok_or(ConvertError(
                        "amount is not an integer number of minor units",
                    )),
                    Cell::Text(s) => s.trim().parse::<i64>().map(Cell::Int).map_err(|_| {
                        ConvertError("amount is not an integer number of minor units")
                    }),
                    _ => Err(ConvertError(
                        "amount is not an integer number of minor units",
                    )),
                }
            }
            Converter::DecimalToMinor => {
                let s = match value {
                    Cell::Text(s) => s,
                    Cell::Int(i) => i.to_string(),
                    Cell::Float(f) => f.to_string(),
                    _ => return Err(ConvertError("not a decimal amount")),
                };
                decimal_to_minor(s.trim())
                    .map(Cell::Int)
                    .ok_or(ConvertError(
                        "not a decimal amount with at most two fraction digits",
                    ))
            }
            Converter::EnumMap => {
                let key = scalar_text(&value).ok_or(ConvertError("not a scalar enum value"))?;
                args.map
                    .and_then(|m| m.get(&key))
                    .cloned()
                    .ok_or(ConvertError("value not in the enum map"))
            }
            Converter::Json => Ok(Cell::Json(value.to_json())),
            Converter::StringArray => match value {
                Cell::TextArray(a) => Ok(Cell::TextArray(a)),
                Cell::Text(s) => Ok(Cell::TextArray(vec![s])),
                Cell::Json(Value::Array(items)) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in &items {
                        match item {
                            Value::Null => {}
                            other => out.push(
                                scalar_text(&Cell::from_json(other))
                                    .ok_or(ConvertError("array element is not a scalar"))?,
                            ),
                        }
                    }
                    Ok(Cell::TextArray(out))
                }
                _ => Err(ConvertError("not an array")),
            },
            // A list written as one string, `"volunteer, donor"` (NationBuilder's tag lists):
            // its trimmed, non-empty items; an array is taken as `string_array` takes it.
            Converter::CommaList => match value {
                Cell::Text(s) => Ok(Cell::TextArray(
                    s.split(',')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(str::to_owned)
                        .collect(),
                )),
                other => Converter::StringArray.apply(other, args),
            },
        }
    }
}

fn text(value: Cell) -> Result<String, ConvertError> {
    match value {
        Cell::Text(s) => Ok(s),
        _ => Err(ConvertError("expected a string")),
    }
}

fn empty_to_null(value: Cell) -> Cell {
    let empty = match &value {
        Cell::Text(s) => s.trim().is_empty(),
        Cell::Json(Value::Array(a)) => a.is_empty(),
        Cell::Json(Value::Object(o)) => o.is_empty(),
        Cell::Json(Value::String(s)) => s.trim().is_empty(),
        Cell::TextArray(a) => a.is_empty(),
        _ => false,
    };
    if empty {
        Cell::Null
    } else {
        value
    }
}

/// The largest integer a double holds exactly (2^53).
const EXACT_F64_INT: f64 = 9_007_199_254_740_992.0;

/// An integer from an integer, an integral float (NationBuilder sends `1.0` for numeric custom
/// values) or a decimal string.
#[allow(clippy::cast_possible_truncation)]
fn to_int(value: &Cell) -> Option<i64> {
    match value {
        Cell::Int(i) => Some(*i),
        Cell::Float(f) if f.fract() == 0.0 && f.abs() <= EXACT_F64_INT => Some(*f as i64),
        Cell::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A scalar as text: ids sent as numbers become their digits (`12.0` becomes `12`).
fn scalar_text(value: &Cell) -> Option<String> {
    match value {
        Cell::Text(s) => Some(s.clone()),
        Cell::Int(i) => Some(i.to_string()),
        Cell::Float(f) => Some(match to_int(value) {
            Some(i) => i.to_string(),
            None => f.to_string(),
        }),
        Cell::Bool(b) => Some(b.to_string()),
        Cell::Json(Value::String(s)) => Some(s.clone()),
        // A number a double would round: its digits as received.
        Cell::Json(Value::Number(n)) => Some(n.to_string()),
        Cell::Timestamp(_) | Cell::Date(_) => match value.to_json() {
            Value::String(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    // A full timestamp: keep the calendar date as written, not as shifted to UTC.
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.date_naive())
}

/// Trimmed and lower-cased.
pub(crate) fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A syntactic plausibility check (one `@`, a dotted domain of sane labels, no spaces); not a
/// deliverability check.
pub(crate) fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.len() > 64
        || domain.len() > 253
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || s.chars().any(|c| c.is_whitespace() || c.is_control())
        || domain.contains('@')
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2)
}

/// How a country writes national numbers.
#[derive(Clone, Copy)]
enum Trunk {
    /// A leading `0` is dropped after the country code (most of Europe, UK, Australia).
    Zero,
    /// The leading `0` is part of the number (Italy, San Marino).
    Keep,
    /// No trunk prefix: the national number is used as is (Spain, Denmark, Norway, …).
    None,
    /// North American Numbering Plan: ten digits, optional leading `1`.
    Nanp,
}

/// Country calling codes for the countries whose national numbers we can read. Numbers from
/// other countries normalise only when written internationally (`+` or `00`).
const COUNTRIES: &[(&str, &str, Trunk)] = &[
    ("AT", "43", Trunk::Zero),
    ("AU", "61", Trunk::Zero),
    ("BE", "32", Trunk::Zero),
    ("BG", "359", Trunk::Zero),
    ("CA", "1", Trunk::Nanp),
    ("CH", "41", Trunk::Zero),
    ("CY", "357", Trunk::None),
    ("CZ", "420", Trunk::None),
    ("DE", "49", Trunk::Zero),
    ("DK", "45", Trunk::None),
    ("EE", "372", Trunk::None),
    ("ES", "34", Trunk::None),
    ("FI", "358", Trunk::Zero),
    ("FR", "33", Trunk::Zero),
    ("GB", "44", Trunk::Zero),
    ("GR", "30", Trunk::None),
    ("HR", "385", Trunk::Zero),
    ("IE", "353", Trunk::Zero),
    ("IL", "972", Trunk::Zero),
    ("IS", "354", Trunk::None),
    ("IT", "39", Trunk::Keep),
    ("LU", "352", Trunk::None),
    ("LV", "371", Trunk::None),
    ("MT", "356", Trunk::None),
    ("NL", "31", Trunk::Zero),
    ("NO", "47", Trunk::None),
    ("NZ", "64", Trunk::Zero),
    ("PL", "48", Trunk::None),
    ("PR", "1", Trunk::Nanp),
    ("PT", "351", Trunk::None),
    ("RO", "40", Trunk::Zero),
    ("SE", "46", Trunk::Zero),
    ("SI", "386", Trunk::Zero),
    ("SK", "421", Trunk::Zero),
    ("SM", "378", Trunk::Keep),
    ("UK", "44", Trunk::Zero),
    ("US", "1", Trunk::Nanp),
    ("ZA", "27", Trunk::Zero),
];

/// Normalises a phone number to E.164 (`+` and 8–15 digits), or `None` when it cannot be done
/// with confidence. International forms (`+…`, `00…`, `011…` in NANP countries) need no country;
/// national forms are read with `country` (ISO 3166-1 alpha-2, case-insensitive). An extension
/// (`x12`, `ext. 12`) is dropped here; the raw value keeps it.
pub(crate) fn phone_e164(raw: &str, country: Option<&str>) -> Option<String> {
    let main = raw
        .split(|c: char| c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .trim();
    if main
        .chars()
        .any(|c| !(c.is_ascii_digit() || " +-.()/\u{a0}".contains(c)))
    {
        return None;
    }
    let plus = main.starts_with('+');
    if main.chars().skip(1).any(|c| c == '+') {
        return None;
    }
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    let country = country
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .and_then(|c| {
            COUNTRIES
                .iter()
                .find(|(iso, _, _)| iso.eq_ignore_ascii_case(c))
                .map(|(_, cc, t)| (*cc, *t))
        });
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let (Some((_, Trunk::Nanp)), Some(rest)) = (country, digits.strip_prefix("011")) {
        rest.to_owned()
    } else {
        let (cc, trunk) = country?;
        match trunk {
            Trunk::Nanp => match digits.len() {
                10 if !digits.starts_with(['0', '1']) => format!("1{digits}"),
                11 if digits.starts_with('1') => digits,
                _ => return None,
            },
            Trunk::Zero => format!("{cc}{}", digits.strip_prefix('0')?),
            Trunk::Keep => format!("{cc}{digits}"),
            Trunk::None if !digits.starts_with('0') => format!("{cc}{digits}"),
            Trunk::None => return None,
        }
    };
    let ok = (8..=15).contains(&international.len()) && !international.starts_with('0');
    ok.then(|| format!("+{international}"))
}

/// `"12.50"` → 1250, `"5"` → 500, `"-3.1"` → -310; more than two fraction digits is refused
/// rather than rounded.
fn decimal_to_minor(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let minor = whole.checked_mul(100)?.checked_add(frac)?;
    Some(if neg { -minor } else { minor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn run(c: Converter, input: Cell) -> Result<Cell, ConvertError> {
        c.apply(input, ConvertArgs::default())
    }

    #[test]
    fn every_converter_passes_null_through() {
        for (c, name) in ALL {
            assert_eq!(run(*c, Cell::Null), Ok(Cell::Null), "{name}");
            assert_eq!(Converter::from_name(name), Some(*c));
            assert_eq!(c.name(), *name);
        }
    }

    #[test]
    fn text_converters() {
        let cases = [
            (Converter::Trim, t("  Grace \n"), Ok(t("Grace"))),
            (Converter::Trim, Cell::Int(3), Err(())),
            (Converter::Lowercase, t("ÄBC"), Ok(t("äbc"))),
            (Converter::Uppercase, t("us"), Ok(t("US"))),
            (Converter::EmptyToNull, t("   "), Ok(Cell::Null)),
            (Converter::EmptyToNull, t(" a "), Ok(t(" a "))),
            (
                Converter::EmptyToNull,
                Cell::Json(json!({})),
                Ok(Cell::Null),
            ),
            (Converter::EmptyToNull, Cell::Int(0), Ok(Cell::Int(0))),
            (Converter::Text, Cell::Int(42), Ok(t("42"))),
            (Converter::Text, Cell::Float(2008.0), Ok(t("2008"))),
            (Converter::Text, Cell::Float(1.5), Ok(t("1.5"))),
            (Converter::Text, Cell::Bool(true), Ok(t("true"))),
            (Converter::Text, Cell::Json(json!([1])), Err(())),
        ];
        for (c, input, want) in cases {
            let got = run(c, input.clone()).map_err(|_| ());
            assert_eq!(got, want, "{} {input:?}", c.name());
        }
    }

    #[test]
    fn email_converters() {
        let cases = [
            (" Grace@Example.COM ", "grace@example.com", true),
            ("grace@example", "grace@example", false),
            ("grace example@x.org", "grace example@x.org", false),
            ("a@b@c.org", "a@b@c.org", false),
            ("x.@y.org", "x.@y.org", false),
            ("jürgen@bücher.de", "jürgen@bücher.de", true),
            ("", "", false),
        ];
        for (input, norm, valid) in cases {
            let want = if norm.is_empty() { Cell::Null } else { t(norm) };
            assert_eq!(run(Converter::Email, t(input)), Ok(want), "{input}");
            assert_eq!(
                run(Converter::EmailValid, t(input)),
                Ok(Cell::Bool(valid)),
                "{input}"
            );
        }
    }

    #[test]
    fn phone_numbers() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("+1 (415) 555-0134", None, Some("+14155550134")),
            ("(415) 555-0134", Some("US"), Some("+14155550134")),
            ("1-415-555-0134", Some("us"), Some("+14155550134")),
            ("415 555 0134", None, None),
            ("0049 30 1234567", None, Some("+49301234567")),
            ("030 1234567", Some("DE"), Some("+49301234567")),
            ("030 1234567", None, None),
            ("07700 900123", Some("GB"), Some("+447700900123")),
            ("06 1234 5678", Some("IT"), Some("+390612345678")),
            ("612 34 56 78", Some("ES"), Some("+34612345678")),
            ("011 44 20 7946 0958", Some("US"), Some("+442079460958")),
            ("+44 20 7946 0958 ext. 12", None, Some("+442079460958")),
            ("n/a", Some("US"), None),
            ("12", Some("DE"), None),
            ("+1 415 555 0134 +2", None, None),
            ("030 1234567", Some("ZZ"), None),
        ];
        for (raw, country, want) in cases {
            assert_eq!(
                phone_e164(raw, *country).as_deref(),
                *want,
                "{raw} {country:?}"
            );
        }
        let args = ConvertArgs {
            country: Some("DE"),
            map: None,
        };
        assert_eq!(
            Converter::PhoneE164.apply(t("030 1234567"), args),
            Ok(t("+49301234567"))
        );
        assert_eq!(Converter::PhoneE164.apply(t("junk"), args), Ok(Cell::Null));
    }

    #[test]
    fn time_converters() {
        let utc = Utc
            .with_ymd_and_hms(2024, 1, 1, 17, 54, 36)
            .single()
            .map(Cell::Timestamp);
        let cases = [
            (
                Converter::Rfc3339,
                t("2024-01-01T13:54:36-04:00"),
                utc.clone().ok_or(()),
            ),
            (Converter::Rfc3339, t("2024-01-01T17:54:36Z"), utc.ok_or(())),
            (Converter::Rfc3339, t("2024-01-01"), Err(())),
            (Converter::Rfc3339, t("yesterday"), Err(())),
            (
                Converter::Date,
                t("1973-04-04"),
                NaiveDate::from_ymd_opt(1973, 4, 4)
                    .map(Cell::Date)
                    .ok_or(()),
            ),
            (
                Converter::Date,
                t("1973-04-04T23:30:00-05:00"),
                NaiveDate::from_ymd_opt(1973, 4, 4)
                    .map(Cell::Date)
                    .ok_or(()),
            ),
            (Converter::Date, t("04/04/1973"), Err(())),
        ];
        for (c, input, want) in cases {
            let got = run(c, input.clone()).map_err(|_| ());
            assert_eq!(got, want, "{} {input:?}", c.name());
        }
    }

    #[test]
    fn number_converters() {
        let cases = [
            (Converter::Int, Cell::Int(5), Ok(Cell::Int(5))),
            (Converter::Int, Cell::Float(1.0), Ok(Cell::Int(1))),
            (Converter::Int, Cell::Float(1.5), Err(())),
            (Converter::Int, t(" 12 "), Ok(Cell::Int(12))),
            (Converter::Int, t("twelve"), Err(())),
            (Converter::Float, t("52.52"), Ok(Cell::Float(52.52))),
            (Converter::Float, Cell::Int(3), Ok(Cell::Float(3.0))),
            (Converter::Float, t("NaN"), Err(())),
            (Converter::Bool, t("TRUE"), Ok(Cell::Bool(true))),
            (Converter::Bool, Cell::Int(0), Ok(Cell::Bool(false))),
            (Converter::Bool, t("maybe"), Err(())),
            (
                Converter::CentsToMinor,
                Cell::Int(34500),
                Ok(Cell::Int(34500)),
            ),
            (
                Converter::CentsToMinor,
                Cell::Float(34500.0),
                Ok(Cell::Int(34500)),
            ),
            (Converter::CentsToMinor, Cell::Float(345.5), Err(())),
            (Converter::CentsToMinor, t("34500"), Ok(Cell::Int(34500))),
            (Converter::CentsToMinor, t("345.00"), Err(())),
            (Converter::CentsToMinor, Cell::Bool(true), Err(())),
            (Converter::DecimalToMinor, t("12.50"), Ok(Cell::Int(1250))),
            (Converter::DecimalToMinor, t("12.5"), Ok(Cell::Int(1250))),
            (Converter::DecimalToMinor, t("5"), Ok(Cell::Int(500))),
            (Converter::DecimalToMinor, t("-0.07"), Ok(Cell::Int(-7))),
            (
                Converter::DecimalToMinor,
                Cell::Float(345.0),
                Ok(Cell::Int(34500)),
            ),
            (Converter::DecimalToMinor, t("12.345"), Err(())),
            (Converter::DecimalToMinor, t("$12.00"), Err(())),
            (Converter::DecimalToMinor, t("."), Err(())),
        ];
        for (c, input, want) in cases {
            let got = run(c, input.clone()).map_err(|_| ());
            assert_eq!(got, want, "{} {input:?}", c.name());
        }
    }

    #[test]
    fn structured_converters() {
        let map: BTreeMap<String, Cell> = [
            ("0".to_owned(), t("person")),
            ("1".to_owned(), t("organization")),
        ]
        .into();
        let args = ConvertArgs {
            country: None,
            map: Some(&map),
        };
        assert_eq!(
            Converter::EnumMap.apply(Cell::Int(1), args),
            Ok(t("organization"))
        );
        assert_eq!(Converter::EnumMap.apply(t("0"), args), Ok(t("person")));
        assert!(Converter::EnumMap.apply(Cell::Int(2), args).is_err());
        assert_eq!(run(Converter::Json, t("D")), Ok(Cell::Json(json!("D"))));
        assert_eq!(
            run(Converter::Json, Cell::Bool(false)),
            Ok(Cell::Json(json!(false)))
        );
        assert_eq!(
            run(Converter::StringArray, Cell::Json(json!(["a", 2, null]))),
            Ok(Cell::TextArray(vec!["a".into(), "2".into()]))
        );
        assert!(run(Converter::StringArray, Cell::Json(json!([{"a": 1}]))).is_err());
        assert_eq!(
            run(Converter::CommaList, t(" volunteer, donor ,, ")),
            Ok(Cell::TextArray(vec!["volunteer".into(), "donor".into()]))
        );
        assert_eq!(
            run(Converter::CommaList, Cell::Json(json!(["a", "b"]))),
            Ok(Cell::TextArray(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn static_kinds() {
        assert!(!Converter::Rfc3339.accepts(Kind::Int));
        assert!(Converter::Rfc3339.accepts(Kind::Text));
        assert_eq!(Converter::Trim.output(Kind::Any, Kind::Any), Kind::Text);
        assert_eq!(
            Converter::EmptyToNull.output(Kind::Date, Kind::Any),
            Kind::Date
        );
        assert_eq!(Converter::EnumMap.output(Kind::Int, Kind::Text), Kind::Text);
    }
}
