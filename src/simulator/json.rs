//! A small streaming JSON writer. Responses are written straight into one pre-sized `String`
//! instead of building `serde_json::Value` trees: that keeps a page of 100 signups well under a
//! millisecond, so the simulator is never the bottleneck of an exporter benchmark.
//!
//! [`Obj`] tracks commas and applies a JSON:API sparse fieldset (`fields[type]=a,b`): a key
//! that is not selected is skipped together with its value.

use std::fmt::Write as _;

/// Whether a byte must be escaped: control characters, `"` and `\\` (bit 0), and in HTML-safe
/// mode also `&`, `<`, `>` (bit 1).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t[b'&' as usize] = 2;
    t[b'<' as usize] = 2;
    t[b'>' as usize] = 2;
    t
};

/// Appends `s` as a quoted JSON string. With `html_safe`, `&`, `<` and `>` are written as
/// `\u0026`, `\u003c`, `\u003e`, as Rails does in the v1 API (`next` links show `\u0026`).
pub(crate) fn string(out: &mut String, s: &str, html_safe: bool) {
    let mask = if html_safe { 3 } else { 1 };
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if ESCAPE[b as usize] & mask == 0 {
            continue;
        }
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'&' => out.push_str("\\u0026"),
            b'<' => out.push_str("\\u003c"),
            b'>' => out.push_str("\\u003e"),
            _ => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends an integer without going through `core::fmt` (integers are frequent in pages).
pub(crate) fn int(out: &mut String, v: i64) {
    let mut buf = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Appends a float the way Ruby's JSON does: integral values keep a `.0` (`2008.0`).
pub(crate) fn float(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str("null");
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        int(out, v as i64);
        out.push_str(".0");
    } else {
        let _ = write!(out, "{v}");
    }
}

/// One JSON object being written. Keys are emitted in call order; a key left out of the
/// sparse fieldset is skipped with its value.
pub(crate) struct Obj<'a> {
    /// The output buffer; values are written to it directly after [`Obj::key`] returns true.
    pub(crate) out: &'a mut String,
    first: bool,
    fields: Option<&'a [String]>,
    html_safe: bool,
}

impl<'a> Obj<'a> {
    /// Opens an object; `fields` restricts which keys are written.
    pub(crate) fn open(out: &'a mut String, fields: Option<&'a [String]>, html_safe: bool) -> Self {
        out.push('{');
        Obj {
            out,
            first: true,
            fields,
            html_safe,
        }
    }

    /// Closes the object.
    pub(crate) fn close(self) {
        self.out.push('}');
    }

    /// Writes `"name":` (with a leading comma when needed) if the key is selected.
    pub(crate) fn key(&mut self, name: &str) -> bool {
        if let Some(fields) = self.fields {
            if !fields.iter().any(|f| f == name) {
                return false;
            }
        }
        // Keys are the simulator's own ASCII identifiers: no escaping needed.
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
        true
    }

    /// Whether strings in this object are written HTML-safe.
    pub(crate) fn html_safe(&self) -> bool {
        self.html_safe
    }

    /// A string value.
    pub(crate) fn str(&mut self, name: &str, v: &str) {
        if self.key(name) {
            string(self.out, v, self.html_safe);
        }
    }

    /// A string or null.
    pub(crate) fn opt_str(&mut self, name: &str, v: Option<&str>) {
        if self.key(name) {
            match v {
                Some(v) => string(self.out, v, self.html_safe),
                None => self.out.push_str("null"),
            }
        }
    }

    /// An integer.
    pub(crate) fn int(&mut self, name: &str, v: i64) {
        if self.key(name) {
            int(self.out, v);
        }
    }

    /// An integer or null.
    pub(crate) fn opt_int(&mut self, name: &str, v: Option<i64>) {
        if self.key(name) {
            match v {
                Some(v) => int(self.out, v),
                None => self.out.push_str("null"),
            }
        }
    }

    /// An integer written as a JSON string (v2 ids and foreign keys), or null.
    pub(crate) fn id_str(&mut self, name: &str, v: Option<u64>) {
        if self.key(name) {
            match v {
                Some(v) => {
                    self.out.push('"');
                    int(self.out, v as i64);
                    self.out.push('"');
                }
                None => self.out.push_str("null"),
            }
        }
    }

    /// A float (`1.0` style).
    pub(crate) fn float(&mut self, name: &str, v: f64) {
        if self.key(name) {
            float(self.out, v);
        }
    }

    /// A boolean.
    pub(crate) fn bool(&mut self, name: &str, v: bool) {
        if self.key(name) {
            self.out.push_str(if v { "true" } else { "false" });
        }
    }

    /// A boolean or null.
    pub(crate) fn opt_bool(&mut self, name: &str, v: Option<bool>) {
        if self.key(name) {
            self.out.push_str(match v {
                Some(true) => "true",
                Some(false) => "false",
                None => "null",
            });
        }
    }

    /// A null value.
    pub(crate) fn null(&mut self, name: &str) {
        if self.key(name) {
            self.out.push_str("null");
        }
    }

    /// A run of constant members. Without a sparse fieldset the whole run is one pre-joined
    /// string (built at compile time by [`consts!`]), which keeps pages cheap.
    pub(crate) fn run(&mut self, pairs: &[(&str, &str)], joined: &'static str) {
        if self.fields.is_some() {
            for (k, v) in pairs {
                self.raw(k, v);
            }
        } else if self.first {
            self.first = false;
            self.out.push_str(joined.get(1..).unwrap_or(""));
        } else {
            self.out.push_str(joined);
        }
    }

    /// Already-serialised JSON.
    pub(crate) fn raw(&mut self, name: &str, json: &str) {
        if self.key(name) {
            self.out.push_str(json);
        }
    }
}

/// Writes constant members `"key": value` through [`Obj::run`]: `consts!(o, "a" => "null")`.
macro_rules! consts {
    ($o:expr, $($k:literal => $v:literal),+ $(,)?) => {
        $o.run(&[$(($k, $v)),+], concat!($(",\"", $k, "\":", $v),+))
    };
}
pub(crate) use consts;

/// Writes members that are always null: `nulls!(o, "a", "b")`.
macro_rules! nulls {
    ($o:expr, $($k:literal),+ $(,)?) => {
        $crate::simulator::json::consts!($o, $($k => "null"),+)
    };
}
pub(crate) use nulls;

/// Appends a JSON array of strings.
pub(crate) fn string_array<'s>(
    out: &mut String,
    items: impl Iterator<Item = &'s str>,
    html_safe: bool,
) {
    out.push('[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, s, html_safe);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_quotes() {
        let mut s = String::new();
        string(&mut s, "a\"b\\c\n\u{1}é🎉", false);
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é🎉\"");
        let v: String = serde_json::from_str(&s).unwrap();
        assert_eq!(v, "a\"b\\c\n\u{1}é🎉");
    }

    #[test]
    fn html_safe_escapes_ampersand() {
        let mut s = String::new();
        string(&mut s, "/a?x=1&y=<2>", true);
        assert_eq!(s, "\"/a?x=1\\u0026y=\\u003c2\\u003e\"");
    }

    #[test]
    fn integers() {
        let mut s = String::new();
        for v in [0, 7, -12, 1_234_567, i64::MIN, i64::MAX] {
            s.clear();
            int(&mut s, v);
            assert_eq!(s, v.to_string());
        }
    }

    #[test]
    fn floats_keep_point_zero() {
        let mut s = String::new();
        float(&mut s, 2008.0);
        s.push(' ');
        float(&mut s, 12.5);
        assert_eq!(s, "2008.0 12.5");
    }

    #[test]
    fn runs_match_member_by_member() {
        let mut a = String::new();
        let mut o = Obj::open(&mut a, None, false);
        nulls!(o, "x", "y");
        consts!(o, "n" => "0", "b" => "false");
        o.close();
        assert_eq!(a, r#"{"x":null,"y":null,"n":0,"b":false}"#);
        let mut b = String::new();
        let fields = vec!["y".to_string(), "b".to_string()];
        let mut o = Obj::open(&mut b, Some(&fields), false);
        nulls!(o, "x", "y");
        consts!(o, "n" => "0", "b" => "false");
        o.close();
        assert_eq!(b, r#"{"y":null,"b":false}"#);
    }

    #[test]
    fn sparse_fieldset_skips_keys() {
        let mut s = String::new();
        let fields = vec!["b".to_string()];
        let mut o = Obj::open(&mut s, Some(&fields), false);
        o.int("a", 1);
        o.str("b", "x");
        o.null("c");
        o.close();
        assert_eq!(s, "{\"b\":\"x\"}");
    }
}
