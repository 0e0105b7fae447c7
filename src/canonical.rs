//! Canonical JSON (RFC 8785, JCS) and the SHA-256 fingerprints built on it. The raw archive
//! stores each record's exact text, but text can differ in whitespace or key order without the
//! record differing; the canonical form cannot. Its SHA-256 is stored at load time and
//! recomputed by `verify`, so an auditor can tell an untouched record from an edited one.
//!
//! Objects are written with members sorted by the UTF-16 code units of their names, no
//! whitespace, strings escaped as `JSON.stringify` does, and numbers in the ECMAScript
//! shortest round-trip form (`1.0` → `1`, `1e21` → `1e+21`). Integers beyond 2^53 keep their
//! digits (NationBuilder ids and cents are far below that).

use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical text of `value`.
pub fn canonical(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value);
    out
}

/// The lower-case hex SHA-256 of `value`'s canonical text.
pub fn sha256_hex(value: &Value) -> String {
    hex::encode(Sha256::digest(canonical(value).as_bytes()))
}

/// The archive's hash of one record: of its canonical text when its bytes parse as JSON, else
/// of the bytes themselves (a record that is not UTF-8, holds a lone surrogate or nests too
/// deep has no canonical form). `value` must be what [`crate::fetch::scan::read`] made of
/// `body` (`Value::Null` when they do not parse), so `verify` computes the same hash from the
/// archived bytes.
pub fn record_sha256_hex(body: &[u8], value: &Value) -> String {
    hex::encode(record_sha256(body, value))
}

/// [`record_sha256_hex`] as bytes.
pub fn record_sha256(body: &[u8], value: &Value) -> [u8; 32] {
    if value.is_null() {
        Sha256::digest(body).into()
    } else {
        Sha256::digest(canonical(value).as_bytes()).into()
    }
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // UTF-8 byte order is UTF-16 code-unit order unless a key holds a character at or
            // above U+E000 (lead byte 0xEE and up); members usually come sorted already.
            let bytewise = members.iter().all(|(k, _)| k.bytes().all(|b| b < 0xEE));
            let sorted = bytewise && members.windows(2).all(|w| w[0].0 < w[1].0);
            if !sorted {
                members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            }
            out.push('{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // serde_json escapes exactly as JSON.stringify: \" \\ \b \f \n \r \t and \u00xx for other
    // control characters, everything else literal.
    match serde_json::to_string(s) {
        Ok(text) => out.push_str(&text),
        Err(_) => out.push_str("\"\""),
    }
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        write_f64(out, f);
    } else {
        out.push_str(&n.to_string());
    }
}

/// ECMAScript `Number.prototype.toString` for finite doubles.
fn write_f64(out: &mut String, x: f64) {
    if x == 0.0 || !x.is_finite() {
        out.push('0');
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde±x".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exp + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        let _ = write!(out, "{}", (n - 1).abs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_strips_whitespace() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, 2.0, "x"], "a": {"d": null, "c": true} }"#).unwrap();
        assert_eq!(canonical(&v), r#"{"a":{"c":true,"d":null},"b":[1,2,"x"]}"#);
    }

    #[test]
    fn rfc8785_number_examples() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (2008.0, "2008"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (333333333.3333333, "333333333.3333333"),
            (-1.5, "-1.5"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992"),
            (295147905179352830000.0, "295147905179352830000"),
            (4.50, "4.5"),
            (0.002, "0.002"),
            (0.000001, "0.000001"),
            (123e-20, "1.23e-18"),
        ];
        for (x, want) in cases {
            let mut s = String::new();
            write_f64(&mut s, x);
            assert_eq!(s, want, "{x:e}");
        }
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // RFC 8785 §3.2.3 example ordering.
        let v = json!({"\u{20ac}": "Euro Sign", "\r": "Carriage Return", "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\u{1f600}": "Emoji: Grinning Face", "\u{0080}": "Control", "\u{00f6}": "Latin Small Letter O With Diaeresis"});
        let c = canonical(&v);
        let order: Vec<&str> = [
            "\\r",
            "1",
            "\u{0080}",
            "\u{00f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ]
        .to_vec();
        let mut last = 0;
        for key in order {
            let pos = c.find(&format!("\"{key}\"")).unwrap();
            assert!(pos >= last, "{key} out of order in {c}");
            last = pos;
        }
    }

    #[test]
    fn utf16_order_differs_from_byte_order_above_u_e000() {
        // UTF-8 puts U+E000 before U+10000; UTF-16 (a surrogate pair, 0xD800…) puts it after.
        let v = json!({"\u{e000}": 1, "\u{10000}": 2, "a": 3});
        assert_eq!(canonical(&v), "{\"a\":3,\"\u{10000}\":2,\"\u{e000}\":1}");
    }

    #[test]
    fn escapes_like_json_stringify() {
        let v = json!({"s": "a\"b\\c\u{1}\n\u{2028}é/"});
        assert_eq!(canonical(&v), "{\"s\":\"a\\\"b\\\\c\\u0001\\n\u{2028}é/\"}");
    }

    #[test]
    fn hash_ignores_formatting_but_not_content() {
        let a: Value = serde_json::from_str(r#"{"id":"1","x":[1.0,2]}"#).unwrap();
        let b: Value = serde_json::from_str("{ \"x\" : [1, 2.0], \"id\" : \"1\" }").unwrap();
        let c: Value = serde_json::from_str(r#"{"id":"1","x":[1,3]}"#).unwrap();
        assert_eq!(sha256_hex(&a), sha256_hex(&b));
        assert_ne!(sha256_hex(&a), sha256_hex(&c));
        assert_eq!(sha256_hex(&a).len(), 64);
    }
}
