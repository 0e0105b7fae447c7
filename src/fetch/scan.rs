//! Scan: reads a response body as bytes, before anything has to be valid UTF-8 or fit
//! `serde_json::Value`. [`split`] checks the JSON grammar of the whole document (iteratively,
//! so nesting depth costs memory, not stack) and cuts its records array (`data` in v2,
//! `results` in v1) into one byte slice per record, exactly as received. [`read`] then looks at
//! one record: it parses it when it can and otherwise says why not, with a JSON Pointer to the
//! place (a byte that is not UTF-8, a lone surrogate escape such as `\ud800`, nesting deeper
//! than [`MAX_DEPTH`]), so that one such record is archived byte for byte and rejected while
//! the rest of its page loads.
//!
//! Terms: a record's *defect* is what keeps the whole record out of the tables (its field and
//! reason become a `sync.rejects` row); a record is *JSON-storable* when PostgreSQL's `json`
//! column can hold its text and hand it back to every reader (valid UTF-8, readable as JSON, no
//! `\u0000` escape); the archive keeps the bytes of any other record in `body_bytes`.

use serde_json::Value;

/// Deepest nesting of arrays and objects a record may have to be loaded (serde_json's own
/// recursion limit); deeper records are archived and rejected.
pub const MAX_DEPTH: usize = 128;

/// Longest key (record id, or v1 tag name used as the id) in bytes: keys sit in B-tree indexes
/// next to the nation (and, in `sync.rejects`, the field), whose rows cannot exceed 2,704
/// bytes.
pub const MAX_KEY_BYTES: usize = 2000;

/// The UTF-8 byte order mark some servers put before a body.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a record (or its id) cannot be loaded: the field, as a JSON Pointer (`/attributes/email`)
/// or `(record)` or `id`, and the reason in words that never quote the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    /// Where.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// A collection document cut into its records.
#[derive(Debug)]
pub struct Split<'a> {
    /// The document with its records array emptied (`[]`), to read the other members from.
    pub envelope: Vec<u8>,
    /// Each element of the records array, exactly as received.
    pub records: Vec<&'a [u8]>,
}

/// The body without a leading UTF-8 byte order mark.
pub fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(BOM).unwrap_or(body)
}

/// Cuts a collection document (a JSON object, after an optional BOM) into the elements of its
/// member `member`, which must be an array. `None` when the body is not such a document
/// (truncated, HTML from a proxy, not JSON): the caller treats that as a bad answer to retry.
pub fn split<'a>(body: &'a [u8], member: &str) -> Option<Split<'a>> {
    let b = strip_bom(body);
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    // Walk the root's members (key, colon, value), each value checked by `walk`.
    i = ws(b, i + 1);
    let mut found: Option<(usize, usize, Vec<&[u8]>)> = None;
    if b.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        let key_end = string_end(b, i)?;
        let key = &b[i + 1..key_end - 1];
        i = ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        if key == member.as_bytes() && b.get(i) == Some(&b'[') && found.is_none() {
            let open = i;
            let mut records = Vec::new();
            i = ws(b, i + 1);
            if b.get(i) == Some(&b']') {
                i += 1;
            } else {
                loop {
                    let e = walk(b, i, &mut |_, _| {})?.0;
                    records.push(&b[i..e]);
                    i = ws(b, e);
                    match b.get(i)? {
                        b',' => i = ws(b, i + 1),
                        b']' => {
                            i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            found = Some((open, i, records));
        } else {
            i = walk(b, i, &mut |_, _| {})?.0;
        }
        i = ws(b, i);
        match b.get(i)? {
            b',' => i = ws(b, i + 1),
            b'}' => break,
            _ => return None,
        }
    }
    if ws(b, i + 1) != b.len() {
        return None;
    }
    let (open, close, records) = found?;
    let mut envelope = Vec::with_capacity(b.len() - (close - open) + 2);
    envelope.extend_from_slice(&b[..open]);
    envelope.extend_from_slice(b"[]");
    envelope.extend_from_slice(&b[close..]);
    Some(Split { envelope, records })
}

/// The exact bytes of the root object's member `member` (a show route's `data` or `person`),
/// after checking the grammar of the whole document. `None` when the body is not a JSON object
/// holding that member.
pub fn member<'a>(body: &'a [u8], member: &str) -> Option<&'a [u8]> {
    let b = strip_bom(body);
    let start = ws(b, 0);
    if b.get(start) != Some(&b'{') {
        return None;
    }
    let mut found = None;
    let end = walk(b, start, &mut |event, _| {
        if let Event::TopMember { key, start, end } = event {
            if key == member.as_bytes() && found.is_none() {
                found = Some((start, end));
            }
        }
    })?
    .0;
    if ws(b, end) != b.len() {
        return None;
    }
    found.map(|(s, e)| &b[s..e])
}

/// Longest field name kept in `sync.rejects.field` and `sync.field_dispositions.source_field`
/// (both in unique indexes), in bytes.
pub const MAX_FIELD_BYTES: usize = 400;

/// A field name (a JSON Pointer built from the record's own keys) as it can be stored: NUL
/// written as `\u0000`, and cut at [`MAX_FIELD_BYTES`] with `…`.
pub fn field_label(field: &str) -> String {
    if field.is_empty() {
        // The pointer of the record itself.
        return "(record)".into();
    }
    let mut out = if field.contains('\0') {
        field.replace('\0', "\\u0000")
    } else {
        field.to_owned()
    };
    if out.len() > MAX_FIELD_BYTES {
        let mut cut = MAX_FIELD_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// What [`read`] made of one record's bytes.
#[derive(Debug, Clone)]
pub struct Read {
    /// The parsed record; `Value::Null` when it cannot be parsed (see `defect`).
    pub value: Value,
    /// Why the record cannot be parsed, when it cannot.
    pub defect: Option<Defect>,
    /// Whether the `json` column can hold the text as it is (see the module doc).
    pub json_storable: bool,
    /// The record's top-level `id` member, when it has one (read even from a record that cannot
    /// be parsed as a whole).
    pub id: Option<Value>,
    /// The record's top-level `name` member (v1 tags are keyed by it).
    pub name: Option<Value>,
    /// Whether the record has a top-level `id` member at all.
    pub has_id: bool,
}

/// Reads one record's bytes: parses them when they are valid UTF-8 JSON within [`MAX_DEPTH`]
/// and without lone surrogates; otherwise names the first place that is not, and still reads
/// the top-level `id` and `name` so the record can be archived under its id.
pub fn read(bytes: &[u8]) -> Read {
    let mut problem: Option<Defect> = None;
    let mut nul = false;
    let mut top: [Option<(usize, usize)>; 2] = [None, None];
    let walked = walk(bytes, ws(bytes, 0), &mut |event, path| match event {
        Event::Str { raw, key } => {
            let issue = string_issue(raw);
            nul |= issue.nul;
            if problem.is_none() {
                let at = || {
                    if key {
                        path.pointer_of_container()
                    } else {
                        path.pointer()
                    }
                };
                if let Some(offset) = issue.invalid_utf8 {
                    problem = Some(Defect {
                        field: at(),
                        reason: format!(
                            "not valid UTF-8 (a byte that cannot start or continue a character, \
                             {offset} bytes into the string): the text cannot be stored as \
                             received; the record is kept byte for byte in the raw archive"
                        ),
                    });
                } else if issue.lone_surrogate {
                    problem = Some(Defect {
                        field: at(),
                        reason: "a lone surrogate escape (\\ud800–\\udfff without its pair): no \
                                 Unicode text can hold it; the record is kept byte for byte in \
                                 the raw archive"
                            .into(),
                    });
                }
            }
        }
        Event::TopMember { key, start, end } => {
            if key == b"id" {
                top[0] = Some((start, end));
            } else if key == b"name" {
                top[1] = Some((start, end));
            }
        }
    });
    let depth = walked.map(|(_, d)| d);
    if problem.is_none() && depth.is_some_and(|d| d > MAX_DEPTH) {
        problem = Some(Defect {
            field: "(record)".into(),
            reason: format!(
                "nested deeper than {MAX_DEPTH} levels of arrays and objects: too deep to load; \
                 the record is kept byte for byte in the raw archive"
            ),
        });
    }
    let scalar = |range: Option<(usize, usize)>| {
        range.and_then(|(s, e)| serde_json::from_slice::<Value>(&bytes[s..e]).ok())
    };
    let has_id = top[0].is_some();
    if problem.is_none() {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => {
                return Read {
                    id: value.get("id").cloned(),
                    name: value.get("name").cloned(),
                    json_storable: !nul,
                    value,
                    defect: None,
                    has_id,
                }
            }
            Err(err) => {
                let reason = if err.to_string().contains("recursion limit") {
                    format!(
                        "nested too deep (serde_json reads at most {MAX_DEPTH} levels of arrays \
                         and objects): too deep to load; the record is kept byte for byte in \
                         the raw archive"
                    )
                } else {
                    format!("cannot be read as JSON ({err})")
                };
                problem = Some(Defect {
                    field: "(record)".into(),
                    reason,
                });
            }
        }
    }
    Read {
        value: Value::Null,
        defect: problem,
        json_storable: false,
        id: scalar(top[0]),
        name: scalar(top[1]),
        has_id,
    }
}

/// A record key (id, or tag name) as text, or why it is no usable key: missing or blank, of
/// another type, holding NUL, or longer than [`MAX_KEY_BYTES`]. JSON:API ids are strings, v1
/// ids numbers.
pub fn key_text(value: Option<&Value>, what: &str) -> Result<String, String> {
    let text = match value {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(format!(
                "the record has no {what}, so it cannot be archived or loaded"
            ))
        }
        Some(_) => {
            return Err(format!(
                "expected a string or a number as the record's {what}: it cannot be archived or \
                 loaded under it"
            ))
        }
    };
    if text.contains('\0') {
        return Err(format!(
            "the {what} contains NUL (U+0000), which PostgreSQL text cannot store: the record \
             cannot be archived under it"
        ));
    }
    if text.len() > MAX_KEY_BYTES {
        return Err(format!(
            "the {what} is too long ({} bytes; at most {MAX_KEY_BYTES} fit the archive's index): \
             the record cannot be archived under it",
            text.len()
        ));
    }
    Ok(text)
}

// ------------------------------------------------------------------------------------------
// The grammar walk.

/// What the walk reports to its observer.
enum Event<'a> {
    /// A string's raw contents (between the quotes, escapes as received).
    Str { raw: &'a [u8], key: bool },
    /// A member of the top-level object: its key's raw bytes and its value's byte range.
    TopMember {
        key: &'a [u8],
        start: usize,
        end: usize,
    },
}

/// Where the walk stands: one frame per open container.
struct Path<'a> {
    frames: Vec<Frame<'a>>,
}

struct Frame<'a> {
    object: bool,
    key: &'a [u8],
    index: usize,
    /// Where the current member's value starts (top-level members only).
    value_start: usize,
}

impl Path<'_> {
    fn pointer_upto(&self, n: usize) -> String {
        let mut out = String::new();
        for f in &self.frames[..n] {
            out.push('/');
            if f.object {
                out.push_str(&token(f.key));
            } else {
                out.push_str(&f.index.to_string());
            }
        }
        out
    }

    /// The pointer of the value being read.
    fn pointer(&self) -> String {
        self.pointer_upto(self.frames.len())
    }

    /// The pointer of the object whose key is being read.
    fn pointer_of_container(&self) -> String {
        self.pointer_upto(self.frames.len().saturating_sub(1))
    }
}

/// A key as a JSON Pointer token: unescaped when it can be, `~` and `/` escaped, NUL and bytes
/// that are not UTF-8 written as escapes (the pointer is stored as text).
fn token(raw: &[u8]) -> String {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    let text = match serde_json::from_slice::<String>(&quoted) {
        Ok(s) => s,
        Err(_) => raw
            .iter()
            .map(|&c| {
                if c.is_ascii() {
                    char::from(c).to_string()
                } else {
                    format!("\\x{c:02X}")
                }
            })
            .collect(),
    };
    text.replace('~', "~0")
        .replace('/', "~1")
        .replace('\0', "\\u0000")
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index after the string starting at `i` (which must be `"`); escapes are checked for
/// form only, contents are not required to be UTF-8 here.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => match *b.get(j + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                b'u' => {
                    let hex = b.get(j + 2..j + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    j += 6;
                }
                _ => return None,
            },
            c if c < 0x20 => return None,
            _ => j += 1,
        }
    }
}

fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > s).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i)?,
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    Some(i)
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// Walks the value starting at `i`, checking its grammar; returns the index after it and the
/// deepest nesting met. `on` sees every string and, for a top-level object, every member.
fn walk<'a>(
    b: &'a [u8],
    mut i: usize,
    on: &mut impl FnMut(Event<'a>, &Path<'a>),
) -> Option<(usize, usize)> {
    let mut path = Path { frames: Vec::new() };
    let mut deepest = 0;
    // Reads `"key" :` at `i` into the top frame; returns where the value starts.
    let key =
        |b: &'a [u8], i: usize, path: &mut Path<'a>, on: &mut dyn FnMut(Event<'a>, &Path<'a>)| {
            let e = string_end(b, i)?;
            let raw = &b[i + 1..e - 1];
            if let Some(top) = path.frames.last_mut() {
                top.key = raw;
            }
            on(Event::Str { raw, key: true }, path);
            let c = ws(b, e);
            (b.get(c) == Some(&b':')).then(|| ws(b, c + 1))
        };
    loop {
        i = ws(b, i);
        if let Some(top) = path.frames.last_mut() {
            top.value_start = i;
        }
        match *b.get(i)? {
            c @ (b'{' | b'[') => {
                let object = c == b'{';
                let close = if object { b'}' } else { b']' };
                let j = ws(b, i + 1);
                if b.get(j) == Some(&close) {
                    deepest = deepest.max(path.frames.len() + 1);
                    i = j + 1;
                } else {
                    path.frames.push(Frame {
                        object,
                        key: b"",
                        index: 0,
                        value_start: j,
                    });
                    deepest = deepest.max(path.frames.len());
                    i = if object { key(b, j, &mut path, on)? } else { j };
                    continue;
                }
            }
            b'"' => {
                let e = string_end(b, i)?;
                on(
                    Event::Str {
                        raw: &b[i + 1..e - 1],
                        key: false,
                    },
                    &path,
                );
                i = e;
            }
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            _ => i = number_end(b, i)?,
        }
        // A value ended at `i`: continue its container, or close containers.
        loop {
            let Some(top) = path.frames.last() else {
                return Some((i, deepest));
            };
            if path.frames.len() == 1 && top.object {
                on(
                    Event::TopMember {
                        key: top.key,
                        start: top.value_start,
                        end: i,
                    },
                    &path,
                );
            }
            let object = top.object;
            i = ws(b, i);
            match (*b.get(i)?, object) {
                (b',', true) => {
                    i = key(b, ws(b, i + 1), &mut path, on)?;
                    break;
                }
                (b',', false) => {
                    if let Some(top) = path.frames.last_mut() {
                        top.index += 1;
                    }
                    i += 1;
                    break;
                }
                (b'}', true) | (b']', false) => {
                    path.frames.pop();
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// What a string's raw contents hold that PostgreSQL or Unicode text cannot.
#[derive(Debug, Default, PartialEq, Eq)]
struct StringIssue {
    /// Offset of the first byte that is not UTF-8.
    invalid_utf8: Option<usize>,
    /// A `\uD800`–`\uDFFF` escape without its pair.
    lone_surrogate: bool,
    /// A `\u0000` escape.
    nul: bool,
}

fn string_issue(raw: &[u8]) -> StringIssue {
    let mut issue = StringIssue {
        invalid_utf8: std::str::from_utf8(raw).err().map(|e| e.valid_up_to()),
        ..StringIssue::default()
    };
    let hex = |j: usize| -> Option<u32> {
        let h = raw.get(j..j + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    let mut j = 0;
    while j < raw.len() {
        if raw[j] != b'\\' {
            j += 1;
            continue;
        }
        if raw.get(j + 1) != Some(&b'u') {
            j += 2;
            continue;
        }
        let Some(unit) = hex(j + 2) else {
            break;
        };
        j += 6;
        match unit {
            0 => issue.nul = true,
            0xD800..=0xDBFF => {
                let low = (raw.get(j) == Some(&b'\\') && raw.get(j + 1) == Some(&b'u'))
                    .then(|| hex(j + 2))
                    .flatten();
                match low {
                    Some(0xDC00..=0xDFFF) => j += 6,
                    _ => issue.lone_surrogate = true,
                }
            }
            0xDC00..=0xDFFF => issue.lone_surrogate = true,
            _ => {}
        }
    }
    issue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_records_exactly_and_empties_the_array_in_the_envelope() {
        let body = b"\xEF\xBB\xBF{\"data\": [ {\"id\":\"1\",\"a\":\"M\xfcller\"} , {\"id\":\"2\"} ],\"meta\":{\"n\":1}}";
        let s = split(body, "data").unwrap();
        assert_eq!(
            s.records,
            [
                &b"{\"id\":\"1\",\"a\":\"M\xfcller\"}"[..],
                b"{\"id\":\"2\"}"
            ]
        );
        assert_eq!(s.envelope, b"{\"data\": [],\"meta\":{\"n\":1}}");
        assert!(
            split(b"{\"data\":[{\"id\":\"1\"}", "data").is_none(),
            "truncated"
        );
        assert!(split(b"<html>502</html>", "data").is_none());
        assert!(split(b"{\"data\":[1,]}", "data").is_none());
        assert!(
            split(b"{\"links\":{}}", "data").is_none(),
            "no records array"
        );
        assert!(
            split(b"{\"data\":[]} x", "data").is_none(),
            "trailing bytes"
        );
        assert!(split(b"{\"data\":[]}\n", "data").is_some_and(|s| s.records.is_empty()));
        assert!(
            split(b"{\"data\":[{\"a\":\"x\x01\"}]}", "data").is_none(),
            "a raw control character"
        );
        let deep = format!("{{\"data\":[{}1{}]}}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(split(deep.as_bytes(), "data").unwrap().records.len(), 1);
    }

    #[test]
    fn reads_what_it_can_and_points_at_what_it_cannot() {
        let r = read(b"{\"id\":\"30\",\"attributes\":{\"last_name\":\"M\xfcller\"}}");
        let d = r.defect.unwrap();
        assert_eq!(d.field, "/attributes/last_name");
        assert!(d.reason.contains("UTF-8"));
        assert_eq!(r.id, Some(Value::String("30".into())));
        assert!(!r.json_storable);

        let r = read(br#"{"id":7,"tags":["a","A\ud800B"]}"#);
        assert_eq!(r.defect.unwrap().field, "/tags/1");
        assert_eq!(r.id, Some(serde_json::json!(7)));

        let r = read(br#"{"id":1,"ok":"\ud83d\ude00"}"#);
        assert!(r.defect.is_none() && r.json_storable);

        let r = read(br#"{"id":1,"x":{"a\u0000b":"c\\u0000"}}"#);
        assert!(r.defect.is_none());
        assert!(
            !r.json_storable,
            "a NUL escape keeps the bytes in body_bytes"
        );

        let deep = format!(
            r#"{{"id":1,"d":{}1{}}}"#,
            "[".repeat(1000),
            "]".repeat(1000)
        );
        let r = read(deep.as_bytes());
        assert_eq!(r.defect.unwrap().field, "(record)");
        assert_eq!(r.id, Some(serde_json::json!(1)));

        let r = read(br#"{"id":"1","n":99999999999999999999,"m":1e400}"#);
        assert!(r.defect.is_none());
        assert_eq!(r.value["n"].to_string(), "99999999999999999999");
    }

    #[test]
    fn keys_must_be_storable() {
        assert_eq!(key_text(Some(&serde_json::json!(42)), "id").unwrap(), "42");
        assert!(key_text(Some(&serde_json::json!("30\u{0}")), "id")
            .unwrap_err()
            .contains("NUL"));
        assert!(key_text(Some(&serde_json::json!("x".repeat(5000))), "id")
            .unwrap_err()
            .contains("too long"));
        assert!(key_text(None, "id").unwrap_err().contains("no id"));
        assert!(key_text(Some(&serde_json::json!(" ")), "id").is_err());
    }
}
