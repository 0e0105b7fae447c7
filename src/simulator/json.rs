//! A small streaming JSON writer. Responses are written straight into one pre-sized `String`
//! instead of building `serde_json::Value` trees: that keeps a page of 100 signups well under a
//! millisecond, so the simulator is never the bottleneck of an exporter benchmark.
//!
//! [`Obj`] tracks commas and applies a JSON:API sparse fieldset (`fields[type]=a,b`): a key
//! that is not selected is skipped together with its value.

use std::fmt::Write as _;

/// Appends `s` as a quoted JSON string. With `html_safe`, `&`, `<` and `>` are written as
/// `\u0026`, `\u003c`, `\u003e`, as Rails does in the v1 API (`next` links show `\u0026`).
pub(crate) fn string(out: &mut String, s: &str, html_safe: bool) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            b'&' if html_safe => Some("\\u0026"),
            b'<' if html_safe => Some("\\u003c"),
            b'>' if html_safe => Some("\\u003e"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends a float the way Ruby's JSON does: integral values keep a `.0` (`2008.0`).
pub(crate) fn float(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str("null");
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{v:.1}");
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
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(self.out, name, false);
        self.out.push(':');
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
            let _ = write!(self.out, "{v}");
        }
    }

    /// An integer or null.
    pub(crate) fn opt_int(&mut self, name: &str, v: Option<i64>) {
        if self.key(name) {
            match v {
                Some(v) => {
                    let _ = write!(self.out, "{v}");
                }
                None => self.out.push_str("null"),
            }
        }
    }

    /// An integer written as a JSON string (v2 ids and foreign keys), or null.
    pub(crate) fn id_str(&mut self, name: &str, v: Option<u64>) {
        if self.key(name) {
            match v {
                Some(v) => {
                    let _ = write!(self.out, "\"{v}\"");
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

    /// Several keys that are always null.
    pub(crate) fn nulls(&mut self, names: &[&str]) {
        for n in names {
            self.null(n);
        }
    }

    /// Already-serialised JSON.
    pub(crate) fn raw(&mut self, name: &str, json: &str) {
        if self.key(name) {
            self.out.push_str(json);
        }
    }
}

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
    fn floats_keep_point_zero() {
        let mut s = String::new();
        float(&mut s, 2008.0);
        s.push(' ');
        float(&mut s, 12.5);
        assert_eq!(s, "2008.0 12.5");
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
