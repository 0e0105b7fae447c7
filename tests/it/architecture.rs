//! The shape of the house, read from the source tree (offline): no import cycle among the
//! modules of `src/`, and no code outside a resource's unit (`src/resource/`, the simulator,
//! the schema's migrations and catalogue, the mapping files) names an individual resource
//! unless a comment beside it says why that place is unique.
//!
//! The reading is textual and deliberately simple: comments and string contents are blanked
//! before paths are read, `#[cfg(test)]` items are left out (tests may name what they test),
//! and a module's edges to its own ancestors and descendants are containment, not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module path of a file (`src/pipeline/run.rs` → `crate::pipeline::run`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    std::iter::once("crate".to_owned())
        .chain(parts)
        .collect::<Vec<_>>()
        .join("::")
}

/// `text` with comments blanked, and string and char literal contents blanked unless
/// `keep_strings`; line structure is kept.
fn blank(text: &str, keep_strings: bool) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                i += 1;
            }
            out.extend_from_slice(b"  ");
            i += 2;
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'#') || b.get(i + 1) == Some(&b'"'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // A raw string r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            out.extend_from_slice(&b[i..=j]);
            j += 1;
            while j < b.len() && !b[j..].starts_with(&close) {
                out.push(if keep_strings || b[j] == b'\n' {
                    b[j]
                } else {
                    b' '
                });
                j += 1;
            }
            out.extend_from_slice(&close);
            i = j + close.len();
        } else if b[i] == b'"' {
            out.push(b'"');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    out.extend_from_slice(if keep_strings { &b[i..i + 2] } else { b"  " });
                    i += 2;
                    continue;
                }
                out.push(if keep_strings || b[i] == b'\n' {
                    b[i]
                } else {
                    b' '
                });
                i += 1;
            }
            out.push(b'"');
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') && b.get(i + 1) != Some(&b'\\') {
            out.extend_from_slice(b"' '");
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            // '\n', '\'', '\u{…}'
            let end = b[i + 2..]
                .iter()
                .position(|&c| c == b'\'')
                .map_or(b.len(), |p| i + 3 + p);
            out.extend(std::iter::repeat_n(b' ', end - i));
            i = end;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `code` (already blanked) without its `#[cfg(test)]` items: a `mod x;` line or a braced
/// item. Line structure is kept.
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let item_end = match (after.find(';'), after.find('{')) {
            (Some(semi), Some(brace)) if semi < brace => semi + 1,
            (_, Some(brace)) => {
                let mut depth = 0usize;
                let mut end = after.len();
                for (k, c) in after[brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = brace + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(semi), None) => semi + 1,
            (None, None) => after.len(),
        };
        out.extend(after[..item_end].chars().filter(|c| *c == '\n'));
        rest = &after[item_end..];
    }
    out.push_str(rest);
    out
}

/// Expands `use` trees (`a::{b, c::{d, e}}`) into paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or(tree).trim().to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_owned()
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// Every path a module's code names: `use` trees and `crate::`/`super::`/`self::` paths.
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0
            || !rest.as_bytes()[at - 1].is_ascii_alphanumeric() && rest.as_bytes()[at - 1] != b'_';
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            paths.extend(expand(&after[..end].split_whitespace().collect::<String>()));
        }
        rest = &after[end.min(after.len())..];
    }
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(p) = code[from..].find(start) {
            let at = from + p;
            let boundary = at == 0
                || !(bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':');
            let end = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| at + e);
            if boundary {
                paths.push(code[at..end].trim_end_matches(':').to_owned());
            }
            from = end.max(at + 1);
        }
    }
    paths
}

/// The module a path refers to from `module` (`file_is_mod`: the module is a `mod.rs`/`lib.rs`,
/// whose `super` is its parent): the longest known module that is a prefix of it.
fn resolve(path: &str, module: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<&str> = module.split("::").collect();
    match segs.first().copied() {
        Some("crate") => {
            segs.remove(0);
            base = vec!["crate"];
        }
        Some("self") => {
            segs.remove(0);
        }
        Some("super") => {
            while segs.first() == Some(&"super") {
                segs.remove(0);
                base.pop();
            }
        }
        _ => return None,
    }
    let mut full: Vec<&str> = base;
    full.extend(segs);
    (1..=full.len())
        .rev()
        .map(|n| full[..n].join("::"))
        .find(|m| modules.contains(m))
}

fn related(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        for w in t.edges.get(v).into_iter().flatten() {
            if !t.index.contains_key(w.as_str()) {
                visit(t, w);
                let lw = t.low[w.as_str()];
                let lv = t.low[v];
                t.low.insert(v, lv.min(lw));
            } else if t.on.contains(w.as_str()) {
                let iw = t.index[w.as_str()];
                let lv = t.low[v];
                t.low.insert(v, lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// No module of `src/` imports, through others, a module that imports it (each file is a
/// module; a module's ancestors and descendants are its containment, not imports).
#[test]
fn no_import_cycles_among_modules() {
    let files = rust_files(&src());
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let code = without_tests(&blank(&std::fs::read_to_string(file).unwrap(), false));
        for path in named_paths(&code) {
            if let Some(target) = resolve(&path, &module, &modules) {
                if !related(&module, &target) {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
        edges.entry(module).or_default();
    }
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() > 100,
        "the reading found the imports ({} edges)",
        edges.values().map(BTreeSet::len).sum::<usize>()
    );
    assert_eq!(cycles(&edges), Vec::<Vec<String>>::new(), "import cycles");
}

/// The names by which code could single out a resource: its registry name and its API paths.
fn resource_words() -> BTreeSet<String> {
    use nb_exodus::resource::{Resource, V1Binding};
    let mut words = BTreeSet::new();
    for r in Resource::all() {
        let def = r.def();
        words.insert(def.name.to_owned());
        if let Some(v2) = def.v2 {
            words.insert(v2.path.to_owned());
        }
        match def.v1 {
            V1Binding::Listing(l) => {
                words.insert(l.path.to_owned());
            }
            V1Binding::PerRecord(p) => {
                // The route's last fixed segment (`memberships`, `rsvps`).
                if let Some(last) = p.route.rsplit('/').find(|s| !s.starts_with('{')) {
                    words.insert(last.to_owned());
                }
            }
            V1Binding::Within(_) => {}
            V1Binding::Embedded(e) => {
                words.insert(e.member.to_owned());
            }
            V1Binding::None => {}
        }
    }
    words
}

/// Outside a resource's unit, no code names an individual resource (as a string: its name or
/// one of its API paths) unless a comment on that line or the three before says why the place
/// is unique (the word `unique`). The units: `src/resource/`, `src/simulator/` (an independent
/// model of the API), the schema's catalogue and migrations; tests may name what they test.
#[test]
fn no_resource_is_named_outside_its_unit() {
    let words = resource_words();
    let mut offenders = Vec::new();
    for file in rust_files(&src()) {
        let rel = file
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with("resource/")
            || rel.starts_with("simulator/")
            || rel == "schema/catalogue.rs"
            || rel == "pipeline/tests.rs"
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = without_tests(&blank(&text, true));
        let raw: Vec<&str> = text.lines().collect();
        for (n, line) in code.lines().enumerate() {
            let named = words
                .iter()
                .any(|w| line.contains(&format!("\"{w}\"")) || line.contains(&format!("'{w}'")));
            if !named {
                continue;
            }
            let explained = raw[n.saturating_sub(3)..=n.min(raw.len() - 1)]
                .iter()
                .any(|l| l.contains("//") && l.to_lowercase().contains("unique"));
            if !explained {
                offenders.push(format!("src/{rel}:{}: {}", n + 1, raw[n].trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "code naming a resource outside its unit, without a comment saying why it is unique:\n{}",
        offenders.join("\n")
    );
}
