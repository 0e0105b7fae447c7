//! The mapping stage: turns each NationBuilder record into typed rows of the open schema,
//! following the declarative files under `mappings/<api>/` (one per resource).
//!
//! A [`MappingSet`] is loaded once per run — from a directory ([`MappingSet::load_dir`]) or from
//! the copies built into the binary ([`MappingSet::builtin`]) — validated against the target
//! catalogue ([`crate::schema::catalogue`]), and its files' examples are run. Its [`checksum`](MappingSet::checksum)
//! identifies the files' content (comments and layout aside), so an export can refuse to mix mapping
//! versions.
//! [`Mapping::apply`] is pure and deterministic: the same record and context always give the same
//! [`MappedRecord`]; it never does I/O, and nothing in a record is silently dropped (each field
//! seen gets a [`Disposition`], anything unmappable a [`Reject`]).
//!
//! Terms: a *block* of a file produces at most one row (or one per array element) in one table;
//! a *child set* is the rows of one table linked to one parent record, replaced as a whole on
//! load; *provenance* columns (`nation`, `run_id`, `raw_sha256`, `loaded_at`, `id`) are the
//! loader's business, never the mapping's.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

mod apply;
mod cell;
mod convert;
mod example;
pub mod mapper;
pub mod spec;

mod validate;

pub use crate::schema::catalogue::{Column, ColumnRole, SqlType, Table, TableId};
pub use apply::{ChildSet, Disposition, FieldSeen, MapContext, MappedRecord, Reject, TableRow};
pub use cell::Cell;
pub use mapper::{build_batch, MappedBatch, Mapper, MappingMapper};
pub use validate::{Problem, Problems};

/// Why a set of mapping files could not be loaded. The crate's [`crate::Error`] wraps it, so
/// mapping depends on nothing above it.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// A mapping file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The binary was built without mapping files for this API.
    #[error("invalid configuration: no built-in mapping files for api {0}")]
    NoBuiltin(Api),
    /// Mapping files failed validation or their examples; every problem is listed, one per
    /// line (file, block, column, message).
    #[error("invalid mapping files:\n{0}")]
    Invalid(Problems),
}

/// A mapping result.
pub type Result<T, E = MappingError> = std::result::Result<T, E>;

/// The `jsonb` column that holds a record's custom values (people's and donations'
/// `custom_fields`), and the disposition of the source fields it gathers. A homonym of the
/// custom-field definitions resource, unique in that: it names a column, never the resource.
pub const CUSTOM_FIELDS: &str = "custom_fields";

/// A NationBuilder API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Api {
    /// The legacy REST API (`/api/v1`).
    V1,
    /// The JSON:API (`/api/v2`).
    V2,
}

impl Api {
    /// `"v1"` or `"v2"` (also the directory name under `mappings/`).
    pub fn as_str(self) -> &'static str {
        match self {
            Api::V1 => "v1",
            Api::V2 => "v2",
        }
    }

    /// Parses [`Api::as_str`]'s output.
    pub fn from_name(s: &str) -> Option<Api> {
        match s {
            "v1" => Some(Api::V1),
            "v2" => Some(Api::V2),
            _ => None,
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One compiled, validated mapping file.
#[derive(Debug)]
pub struct Mapping {
    file: String,
    api: Api,
    resource: String,
    block_count: usize,
    pub(crate) plan: apply::Plan,
    pub(crate) examples: Vec<spec::ExampleSpec>,
}

impl Mapping {
    /// Parses and validates one file's text. `file` names it in problems (`v2/people.toml`;
    /// its last component must be `<resource>.toml`); `api` is the directory it belongs to.
    /// Examples are not run here: see [`Mapping::run_examples`].
    pub fn parse(file: &str, api: Api, text: &str) -> Result<Mapping, Vec<Problem>> {
        let compiled = validate::compile(file, api, text)?;
        Ok(Mapping {
            file: file.to_owned(),
            api: compiled.api,
            resource: compiled.resource,
            block_count: compiled.block_count,
            plan: compiled.plan,
            examples: compiled.examples,
        })
    }

    /// Maps one record (pure; see [`MappedRecord`]).
    pub fn apply(&self, record: &Value, ctx: &MapContext) -> MappedRecord {
        apply::apply(self, record, ctx)
    }

    /// Runs the file's `[[example]]`s; returns the failures (empty when all pass).
    pub fn run_examples(&self) -> Vec<Problem> {
        example::run_examples(self)
    }

    /// The file label given to [`Mapping::parse`].
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The API version.
    pub fn api(&self) -> Api {
        self.api
    }

    /// The resource mapped (`people`, …).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// How many blocks the file has.
    pub fn block_count(&self) -> usize {
        self.block_count
    }

    /// How many examples the file has.
    pub fn example_count(&self) -> usize {
        self.examples.len()
    }

    /// The tables this mapping writes, in first-block order.
    pub fn tables(&self) -> Vec<TableId> {
        let mut out: Vec<TableId> = Vec::new();
        for b in &self.plan.blocks {
            if !out.contains(&b.table) {
                out.push(b.table);
            }
        }
        out
    }

    /// The child tables and their parent columns: for every record mapped without a fatal
    /// reject, the loader replaces these sets (see [`MappedRecord::child_sets`]).
    pub fn child_tables(&self) -> &[(TableId, &'static str)] {
        &self.plan.child_tables
    }
}

/// Maps one record with `mapping` (the same as [`Mapping::apply`]).
pub fn apply(mapping: &Mapping, record: &Value, ctx: &MapContext) -> MappedRecord {
    mapping.apply(record, ctx)
}

/// The outcome of checking one file.
#[derive(Debug)]
pub struct FileReport {
    /// The file label (`v2/people.toml`).
    pub file: String,
    /// The resource, when the file could be read that far.
    pub resource: Option<String>,
    /// Number of blocks (0 when the file did not compile).
    pub block_count: usize,
    /// Number of examples run (0 when the file did not compile).
    pub example_count: usize,
    /// Everything wrong with it (empty when good).
    pub problems: Vec<Problem>,
}

/// The set of mapping files for one API version.
#[derive(Debug)]
pub struct MappingSet {
    api: Api,
    mappings: Vec<Mapping>,
    checksum: String,
    /// Per resource, the checksum of its own file (see [`MappingSet::checksum_of`]).
    resource_checksums: BTreeMap<String, String>,
}

// The files shipped with the binary, per API: `BUILTIN_V1` and `BUILTIN_V2`, each a list of
// (file name, text) in name order, generated by `build.rs` from `mappings/<api>/*.toml` so that
// adding a resource's mapping file needs no edit here.
include!(concat!(env!("OUT_DIR"), "/builtin_mappings.rs"));

impl MappingSet {
    /// Loads `dir/<api>/*.toml`, validates every file and runs its examples. Fails with
    /// [`MappingError::Io`] when the files cannot be read and with [`MappingError::Invalid`] listing every
    /// problem when any file is wrong.
    pub fn load_dir(dir: &Path, api: Api) -> Result<MappingSet> {
        let files = read_api_dir(dir, api)?;
        let (reports, set) = check_files(api, &files);
        match set {
            Some(set) => Ok(set),
            None => Err(MappingError::Invalid(Problems(
                reports.into_iter().flat_map(|r| r.problems).collect(),
            ))),
        }
    }

    /// The mapping files built into the binary (a copy of `mappings/<api>/` at build time), so
    /// the tool works from any directory.
    pub fn builtin(api: Api) -> Result<MappingSet> {
        let files = builtin_files(api);
        if files.is_empty() {
            return Err(MappingError::NoBuiltin(api));
        }
        let (reports, set) = check_files(api, &files);
        set.ok_or_else(|| {
            MappingError::Invalid(Problems(
                reports.into_iter().flat_map(|r| r.problems).collect(),
            ))
        })
    }

    /// The API version.
    pub fn api(&self) -> Api {
        self.api
    }

    /// Hex SHA-256 over the files' names and exact bytes, in name order: any change to any file
    /// (or a file added or removed) changes it.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// The checksum of the file mapping `resource` alone (the checksum of no file when the set
    /// has none). A resource's rows and checkpoint carry this one, so adding or changing
    /// another resource's file (a new release adding resources) leaves them valid.
    pub fn checksum_of(&self, resource: &str) -> String {
        self.resource_checksums
            .get(resource)
            .cloned()
            .unwrap_or_else(|| checksum(&[]))
    }

    /// The mapping of `resource`, if the set has one.
    pub fn get(&self, resource: &str) -> Option<&Mapping> {
        self.mappings.iter().find(|m| m.resource == resource)
    }

    /// All mappings, ordered by file name.
    pub fn mappings(&self) -> &[Mapping] {
        &self.mappings
    }
}

/// `(label, bytes)` of one mapping file; the label is `<api>/<file name>`.
type SourceFile = (String, Vec<u8>);

fn builtin_files(api: Api) -> Vec<SourceFile> {
    let list: &[(&str, &str)] = match api {
        Api::V1 => BUILTIN_V1,
        Api::V2 => BUILTIN_V2,
    };
    list.iter()
        .map(|(n, t)| (format!("{api}/{n}"), t.as_bytes().to_vec()))
        .collect()
}

fn read_api_dir(dir: &Path, api: Api) -> Result<Vec<SourceFile>> {
    let sub = dir.join(api.as_str());
    let io = |path: PathBuf| move |source| MappingError::Io { path, source };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&sub).map_err(io(sub.clone()))? {
        let entry = entry.map_err(io(sub.clone()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".toml") {
            names.push(name);
        }
    }
    names.sort();
    let mut files = Vec::new();
    for name in names {
        let path = sub.join(&name);
        let bytes = std::fs::read(&path).map_err(io(path.clone()))?;
        files.push((format!("{api}/{name}"), bytes));
    }
    Ok(files)
}

/// The checksum of a set of files: over each file's name and *content* — its TOML parsed and
/// written again as canonical JSON — so that comments, whitespace and key order, which change
/// no mapping, do not make an export refuse its own files. A file that does not parse is
/// hashed as its bytes (such a set fails validation anyway).
fn checksum(files: &[SourceFile]) -> String {
    let mut h = Sha256::new();
    for (name, bytes) in files {
        let content = std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| toml::from_str::<toml::Table>(text).ok())
            .and_then(|table| serde_json::to_value(table).ok())
            .map(|value| crate::canonical::canonical(&value).into_bytes())
            .unwrap_or_else(|| bytes.clone());
        h.update((name.len() as u64).to_be_bytes());
        h.update(name.as_bytes());
        h.update((content.len() as u64).to_be_bytes());
        h.update(&content);
    }
    hex::encode(h.finalize())
}

/// Compiles and runs the examples of every file; returns a report per file and, when all are
/// good, the set.
fn check_files(api: Api, files: &[SourceFile]) -> (Vec<FileReport>, Option<MappingSet>) {
    let mut reports = Vec::new();
    let mut mappings: Vec<Mapping> = Vec::new();
    let mut resource_checksums = BTreeMap::new();
    for (label, bytes) in files {
        let mut report = FileReport {
            file: label.clone(),
            resource: None,
            block_count: 0,
            example_count: 0,
            problems: Vec::new(),
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                report.problems.push(Problem {
                    file: label.clone(),
                    block: None,
                    column: None,
                    message: "not valid UTF-8".into(),
                });
                reports.push(report);
                continue;
            }
        };
        match Mapping::parse(label, api, text) {
            Ok(m) => {
                report.resource = Some(m.resource.clone());
                resource_checksums.insert(
                    m.resource.clone(),
                    checksum(std::slice::from_ref(&(label.clone(), bytes.clone()))),
                );
                report.block_count = m.block_count;
                report.example_count = m.examples.len();
                report.problems = m.run_examples();
                if mappings.iter().any(|o| o.resource == m.resource) {
                    report.problems.push(Problem {
                        file: label.clone(),
                        block: None,
                        column: None,
                        message: format!("a second file maps `{}`", m.resource),
                    });
                }
                mappings.push(m);
            }
            Err(problems) => report.problems = problems,
        }
        reports.push(report);
    }
    if files.is_empty() {
        reports.push(FileReport {
            file: format!("{api}/"),
            resource: None,
            block_count: 0,
            example_count: 0,
            problems: vec![Problem {
                file: format!("{api}/"),
                block: None,
                column: None,
                message: "no mapping files".into(),
            }],
        });
    }
    let good = reports.iter().all(|r| r.problems.is_empty());
    let set = good.then(|| MappingSet {
        api,
        mappings,
        checksum: checksum(files),
        resource_checksums,
    });
    (reports, set)
}

/// Checks every API directory present under `dir` (`v1/`, `v2/`), or, when `dir` is `None`,
/// the built-in files. Returns one report per file; only unreadable files are errors.
pub fn check(dir: Option<&Path>) -> Result<Vec<FileReport>> {
    let mut reports = Vec::new();
    let mut any = false;
    for api in [Api::V1, Api::V2] {
        let files = match dir {
            Some(d) => {
                if !d.join(api.as_str()).is_dir() {
                    continue;
                }
                read_api_dir(d, api)?
            }
            None => builtin_files(api),
        };
        if files.is_empty() && dir.is_none() {
            continue;
        }
        any = true;
        reports.extend(check_files(api, &files).0);
    }
    if !any {
        let path = dir.map_or_else(|| PathBuf::from("(built-in)"), Path::to_path_buf);
        return Err(MappingError::Io {
            path,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no v1/ or v2/ mapping directory here",
            ),
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_layout_do_not_change_the_checksum_values_do() {
        let file = |text: &str| vec![("v2/tags.toml".to_owned(), text.as_bytes().to_vec())];
        let base = checksum(&file("version = 1\nresource = \"tags\"\n"));
        assert_eq!(
            base,
            checksum(&file(
                "# a comment\nresource   = \"tags\" # why\n\nversion = 1\n"
            ))
        );
        assert_ne!(base, checksum(&file("version = 2\nresource = \"tags\"\n")));
        assert_ne!(
            base,
            checksum(&file("version = 1\nresource = \"people\"\n"))
        );
    }
}
