//! The verification report: its data model, its canonical JSON form (RFC 8785, the bytes that
//! are signed), the Markdown rendering for people, and writing both to disk with mode 0600.
//!
//! The report holds ids, counts, hashes and field names only — never a record value, a salt or
//! a token — so it can be handed to an auditor or attached to minutes. Each resource has a
//! `database` part (everything recomputable from the database alone; `verify --offline`
//! recomputes it and compares) and a `source` part (what only the live API could tell: the
//! id sweep, lookups and the re-fetch sample).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::private_files::{create_private_dir, write_private};
use super::sign::SecretKey;
use super::VerifyError;
use crate::canonical;

/// The `format` value of reports this version writes and reads.
pub const FORMAT: &str = "nb-exodus/verify-report/2";

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The nation slug.
    pub nation: String,
    /// `online` (against the API and the database) or `offline` (database only).
    pub mode: String,
    /// When the report was made (UTC, RFC 3339).
    pub generated_at: String,
    /// The database checked.
    pub database: DatabaseInfo,
    /// The API checked against; `None` offline.
    pub source: Option<SourceInfo>,
    /// What the database says about the export runs.
    pub export: ExportInfo,
    /// How the manifest roots are computed.
    pub manifest: ManifestInfo,
    /// How the re-fetch sample was drawn.
    pub sample: SampleInfo,
    /// Per resource (`people`, `tags`, `taggings`, `donations`).
    pub resources: BTreeMap<String, ResourceReport>,
    /// Everything found, explained or not.
    pub findings: Vec<Finding>,
    /// The verdict.
    pub outcome: Outcome,
}

/// The tool's name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// `nb-exodus`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// Where the database is and how the connection was protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseInfo {
    /// `host:port/database` (never a password).
    pub target: String,
    /// `server_version`.
    pub server_version: String,
    /// This session's row of `pg_stat_ssl`.
    pub tls: TlsInfo,
}

/// The connection's TLS state as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsInfo {
    /// Whether the session used TLS.
    pub ssl: bool,
    /// Protocol version (`TLSv1.3`), when TLS.
    pub version: Option<String>,
    /// Cipher suite, when TLS.
    pub cipher: Option<String>,
    /// Key bits, when TLS.
    pub bits: Option<i64>,
    /// The `sslmode` nb-exodus connected with: `verify-full` (chain and host name checked) for
    /// every host that is not loopback unless verification was switched off. Absent in reports
    /// made before nb-exodus recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslmode: Option<String>,
    /// Whether this verification ran with `--insecure-database-connection`. Absent in reports
    /// made before nb-exodus recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
}

/// The API that was swept and sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInfo {
    /// `v2` or `v1`: the API the auditor swept and sampled.
    pub api: String,
    /// The API base URL (no credentials).
    pub api_base: String,
    /// How the export's ids were translated into this API's keys, when the export was made
    /// through the other API; absent when the keys are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_translation: Option<String>,
}

/// The export as recorded in `sync.runs` and `sync.checkpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportInfo {
    /// Number of runs recorded for the nation.
    pub runs: u64,
    /// Start of the first run.
    pub first_started_at: Option<String>,
    /// End of the last finished run.
    pub last_finished_at: Option<String>,
    /// Mapping checksums the loaded rows were made with (from the checkpoints: each resource's
    /// is the checksum of its own mapping file).
    pub mapping_sha256_loaded: Vec<String>,
    /// Checksum of the whole set of mapping files this tool re-derives with (a resource whose
    /// own file's checksum differs from the one it was loaded with is a `rederive` finding).
    pub mapping_sha256_current: String,
    /// Currency given to the mappings.
    pub currency: String,
    /// The API the export was made through (`v1`, `v2`, from `sync.checkpoints`); it decides
    /// the mappings rows are re-derived with. Absent in reports made before v1 verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// Runs recorded in `sync.runs` with `--insecure-database-connection` (a remote database
    /// reached without verifying it). Absent in reports made before nb-exodus recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_database_runs: Option<u64>,
}

/// How the roots are computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestInfo {
    /// The tree.
    pub algorithm: String,
    /// The leaf data.
    pub leaf: String,
    /// The leaf order.
    pub order: String,
    /// SHA-256 of a label and the salt: identifies the salt without revealing it.
    pub salt_id: String,
}

/// How the sample was drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleInfo {
    /// Records asked for per resource.
    pub size_per_resource: u64,
    /// The seed, as decimal text.
    pub seed: String,
    /// `given` (`--seed`) or `derived_from_roots`.
    pub seed_origin: String,
    /// The rule that turns the seed into a sample.
    pub selection: String,
}

/// One resource's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceReport {
    /// What the live API said; `None` offline.
    pub source: Option<SourceSide>,
    /// What the database says (recomputable offline).
    pub database: DatabaseSide,
    /// The count equations.
    pub equation: Equation,
}

/// The API side of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSide {
    /// Ids seen by the id-only sweep, repeats included.
    pub enumerated: u64,
    /// The API's own total, when it gives one.
    pub reported_total: Option<u64>,
    /// Repeated ids in the sweep.
    pub duplicates: u64,
    /// At source, not archived, created after the export: explained.
    pub new_at_source: u64,
    /// Archived, no longer at source (404): explained.
    pub deleted_at_source: u64,
    /// At source, not archived, not explainable as new: a defect.
    pub missing: u64,
    /// Archived and still at source, yet absent from the sweep: a defect of the enumeration.
    pub not_enumerated: u64,
    /// Marked deleted at source in the archive, yet listed by the API: a defect (its rows
    /// were removed although the record exists).
    pub marked_deleted_but_present: u64,
    /// Outcomes of lookups made to classify orphans (`donor_deleted_at_source`, …).
    pub lookups: BTreeMap<String, u64>,
    /// The re-fetch sample.
    pub sample: SampleResult,
}

/// Re-fetch sample results of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleResult {
    /// Records drawn (the sample size, or all archived records when fewer).
    pub drawn: u64,
    /// Identical to the archive, field by field.
    pub matched: u64,
    /// Different, with a newer `updated_at` (or only derived counters changed): explained.
    pub changed_at_source: u64,
    /// 404 at source: explained.
    pub deleted_at_source: u64,
    /// Different without a reason: a defect.
    pub migration_defects: u64,
    /// SHA-256 of the sampled ids, one per line in draw order (lets an auditor check the draw).
    pub ids_sha256: String,
    /// How each sampled record was obtained again (`refetched_by_id`, or `from_listing` where
    /// the API has no route to fetch one record). Absent in reports made before v1 verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Which fields were compared, when not every field of both records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared: Option<String>,
}

/// The database side of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSide {
    /// The archive equation's terms.
    pub counts: ArchiveCounts,
    /// Raw hashes and the re-derivation diff.
    pub integrity: Integrity,
    /// Referential checks (counts).
    pub referential: BTreeMap<String, u64>,
    /// The Merkle root over the archive.
    pub manifest: MerkleRoot,
}

/// `archived = loaded + rejected + excluded (+ unaccounted)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveCounts {
    /// Records in `raw.records`.
    pub archived: u64,
    /// Archived records with a row in the resource's core table.
    pub loaded: u64,
    /// Archived records without a core row, with a reject in `sync.rejects`.
    pub rejected: u64,
    /// Archived records the current mapping deliberately produces no row for.
    pub excluded: u64,
    /// Archived records the export's reconciliation found deleted at source
    /// (`raw.records.deleted_at_source`); their rows were removed, the archive keeps them.
    pub deleted_at_source: u64,
    /// Archived records with no core row and no explanation: a defect.
    pub unaccounted: u64,
    /// Core rows with no archived record: a defect.
    pub loaded_without_archive: u64,
}

/// Record integrity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    /// Raw records whose canonical hash was recomputed.
    pub raw_records_hashed: u64,
    /// Of those, how many differ from `raw.records.sha256`.
    pub raw_hash_mismatches: u64,
    /// Raw bodies that are not JSON objects with an id.
    pub raw_unreadable: u64,
    /// Per target table, the diff between loaded rows and rows re-derived from the archive.
    pub tables: BTreeMap<String, TableDiff>,
}

/// Loaded rows versus re-derived rows of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDiff {
    /// Rows in the table for the nation.
    pub loaded_rows: u64,
    /// Rows re-derived from the archive.
    pub derived_rows: u64,
    /// Keys only in the table.
    pub only_loaded: u64,
    /// Keys only in the re-derivation.
    pub only_derived: u64,
    /// Keys in both with different values.
    pub differing: u64,
}

/// A Merkle root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerkleRoot {
    /// Number of leaves (archived records).
    pub leaves: u64,
    /// Lower-case hex root.
    pub root: String,
}

/// Both equations of one resource, with every term written out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equation {
    /// Source side, e.g. `enumerated 1000 - duplicates 0 - new_at_source 1 + deleted_at_source 1 - missing 0 + not_enumerated 0 = archived 1000`.
    pub source: Option<String>,
    /// Whether the source side balances (no missing, nothing un-enumerated).
    pub source_balanced: Option<bool>,
    /// Archive side, e.g. `archived 1000 = loaded 997 + rejected 2 + excluded 0 + deleted_at_source 1 + unaccounted 0`.
    pub archive: String,
    /// Whether the archive side balances (nothing unaccounted, nothing loaded without archive).
    pub archive_balanced: bool,
    /// Both balance and the resource has no defect finding.
    pub balanced: bool,
}

/// Whether a finding needs action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingClass {
    /// Accounted for (changed or deleted at source, allowed orphan…): no action needed.
    Explained,
    /// An unexplained gap: the export is not proven complete.
    Defect,
}

/// One thing found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The resource (`people`…), or `report` for the report itself.
    pub resource: String,
    /// The NationBuilder id concerned, when there is one.
    pub source_id: Option<String>,
    /// The check (`ids`, `counts`, `raw_hash`, `rederive`, `referential`, `sample`, `report`).
    pub check: String,
    /// Explained or defect.
    pub class: FindingClass,
    /// A stable code (`missing`, `row_differs`…).
    pub code: String,
    /// Table and column or field names, never values.
    pub detail: String,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Everything balances and there is no defect.
    pub balanced: bool,
    /// Defect findings.
    pub defects: u64,
    /// Explained findings.
    pub explained: u64,
    /// The process exit code (0 balanced, 1 defects).
    pub exit_code: u8,
}

impl Report {
    /// The canonical JSON text (RFC 8785): the exact bytes written and signed.
    pub fn to_canonical_json(&self) -> Result<String, VerifyError> {
        let value = serde_json::to_value(self)
            .map_err(|e| VerifyError::Report(format!("cannot serialise the report: {e}")))?;
        Ok(canonical::canonical(&value))
    }

    /// Parses a report file's text.
    pub fn from_json(text: &str) -> Result<Report, VerifyError> {
        // The format first: a report of another format does not parse as this one.
        #[derive(Deserialize)]
        struct Format {
            format: String,
            #[serde(default)]
            tool: Option<Tool>,
        }
        let head: Format = serde_json::from_str(text)
            .map_err(|e| VerifyError::Report(format!("not an nb-exodus verify report: {e}")))?;
        if head.format != FORMAT {
            let version = head
                .tool
                .map_or_else(|| "that made it".to_owned(), |t| t.version);
            return Err(VerifyError::Report(format!(
                "report format {:?} is not {FORMAT:?}: re-check it with the nb-exodus version {version}",
                head.format
            )));
        }
        serde_json::from_str(text)
            .map_err(|e| VerifyError::Report(format!("not an nb-exodus verify report: {e}")))
    }
}

/// The files [`write()`] produced.
#[derive(Debug, Clone)]
pub struct Written {
    /// `DIR/report.json`.
    pub json: PathBuf,
    /// `DIR/report.md`.
    pub markdown: PathBuf,
    /// `DIR/report.json.sig`, when signed.
    pub signature: Option<PathBuf>,
}

/// Writes `report.json`, `report.md` and, with a key, `report.json.sig` into `dir` (created
/// with mode 0700 when missing); every file gets mode 0600.
pub fn write(report: &Report, dir: &Path, key: Option<&SecretKey>) -> Result<Written, VerifyError> {
    create_private_dir(dir)?;
    let json = report.to_canonical_json()?;
    let json_path = dir.join("report.json");
    write_private(&json_path, json.as_bytes())?;
    let md_path = dir.join("report.md");
    write_private(
        &md_path,
        render_markdown(report, key.map(SecretKey::key_id).as_deref()).as_bytes(),
    )?;
    let signature = match key {
        Some(key) => {
            let trusted = format!(
                "timestamp:{}\tfile:report.json\thashed\tnation:{}\tkey:{}",
                chrono::Utc::now().timestamp(),
                report.nation,
                key.key_id()
            );
            let sig_path = dir.join("report.json.sig");
            write_private(&sig_path, key.sign(json.as_bytes(), &trusted).as_bytes())?;
            Some(sig_path)
        }
        None => {
            // A stale signature of an earlier report must not sit next to this one.
            let stale = dir.join("report.json.sig");
            if stale.exists() {
                std::fs::remove_file(&stale).map_err(|source| VerifyError::Io {
                    path: stale.clone(),
                    source,
                })?;
            }
            None
        }
    };
    Ok(Written {
        json: json_path,
        markdown: md_path,
        signature,
    })
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "NO"
    }
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "—".to_owned(), ToString::to_string)
}

/// How ids are ordered for people: numeric ids by value (130 before 1022), then the others as
/// text.
fn id_order(id: &str) -> (bool, usize, &str) {
    let numeric = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    let digits = id.trim_start_matches('0');
    if numeric {
        (false, digits.len(), digits)
    } else {
        (true, 0, id)
    }
}

/// Ids listed on one grouped findings line; the rest are in report.json.
const IDS_SHOWN: usize = 10;

/// The findings of one class as lines: one per kind (resource, check, code), with a count and
/// the first ids in numeric order when a kind occurs more than once.
fn finding_lines(findings: &[&Finding]) -> Vec<String> {
    let mut kinds: BTreeMap<(&str, &str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        kinds
            .entry((f.resource.as_str(), f.check.as_str(), f.code.as_str()))
            .or_default()
            .push(f);
    }
    let mut lines = Vec::new();
    for ((resource, check, code), mut list) in kinds {
        list.sort_by(|a, b| {
            let key = |f: &Finding| f.source_id.clone();
            match (key(a), key(b)) {
                (Some(x), Some(y)) => id_order(&x).cmp(&id_order(&y)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
        let first = list[0];
        if list.len() == 1 {
            lines.push(format!(
                "- {resource} {} — {check} `{code}`: {}",
                first.source_id.as_deref().unwrap_or("(no id)"),
                first.detail
            ));
            continue;
        }
        let ids: Vec<&str> = list.iter().filter_map(|f| f.source_id.as_deref()).collect();
        let shown = ids.len().min(IDS_SHOWN);
        let ids_text = match ids.len() {
            0 => "no ids".to_owned(),
            n if n <= IDS_SHOWN => format!("ids {}", ids.join(", ")),
            n => format!(
                "ids {}, … ({shown} of {n} shown; the rest in report.json)",
                ids[..shown].join(", ")
            ),
        };
        let same_detail = list.iter().all(|f| f.detail == first.detail);
        let detail = if same_detail {
            first.detail.clone()
        } else {
            format!(
                "for example {}: {}",
                first.source_id.as_deref().unwrap_or("(no id)"),
                first.detail
            )
        };
        lines.push(format!(
            "- {resource} — {check} `{code}` × {}: {ids_text} — {detail}",
            list.len()
        ));
    }
    lines
}

/// What the two count equations mean, written once before the resources' figures.
fn explain_equations(s: &mut String, online: bool) {
    let _ = writeln!(
        s,
        "Each resource is accounted for by two equations, with every term written out below; a \
         term that is not explained is a defect.\n"
    );
    if online {
        let _ = writeln!(
            s,
            "**Source equation** — `enumerated - duplicates - new_at_source + deleted_at_source - \
             missing + not_enumerated = archived` — compares what the API lists today with what \
             the export archived:\n\n\
             - *enumerated*: ids a fresh id-only sweep of the API saw, repeats included;\n\
             - *duplicates*: ids the sweep saw more than once (paging drift), counted once;\n\
             - *new_at_source*: at source but not archived, created after the export: explained;\n\
             - *deleted_at_source*: archived but no longer at source (the API answers 404, or \
             the export's reconciliation marked it): explained;\n\
             - *missing*: at source, not archived, and not new: a **defect**;\n\
             - *not_enumerated*: archived and still at source, yet absent from the sweep: a \
             **defect** of the enumeration;\n\
             - *archived*: records in the raw archive (`raw.records`).\n\n\
             It must balance because every record at the source is either archived or newer \
             than the export, and every archived record is either still at the source or known \
             to be deleted there. It balances when both sides are equal, *missing* and \
             *not_enumerated* are 0, and no record marked deleted is still listed by the API.\n"
        );
    }
    let _ = writeln!(
        s,
        "**Archive equation** — `archived = loaded + rejected + excluded + deleted_at_source + \
         unaccounted` — accounts for every archived record in the tables:\n\n\
         - *archived*: records in the raw archive, exactly as received;\n\
         - *loaded*: archived records with a row in the resource's core table;\n\
         - *rejected*: no row, with the reason in `sync.rejects`;\n\
         - *excluded*: no row because the mapping deliberately makes none;\n\
         - *deleted_at_source*: rows removed because the record disappeared at source during \
         the export (the archive keeps it);\n\
         - *unaccounted*: no row and no reason: a **defect**;\n\
         - *loaded without archive*: core rows with no archived record: a **defect**.\n\n\
         It must balance because nothing may be lost between the archive and the tables \
         without a reason on record, and nothing may be in the tables that was not fetched. It \
         balances when *unaccounted* and *loaded without archive* are 0.\n"
    );
}

/// What is signed, by which key, and how to check it.
fn explain_signature(s: &mut String, r: &Report, signed_by: Option<&str>) {
    let _ = writeln!(s, "## Signature\n");
    match signed_by {
        Some(key_id) => {
            let _ = writeln!(
                s,
                "Only `report.json` is signed: `report.json.sig` is an Ed25519 signature in \
                 minisign's format by the key with id **{key_id}**. This file, `report.md`, is a \
                 rendering of the same facts for people and is not signed; where the two \
                 disagree, `report.json` counts. Check the signature with the public key you were \
                 given, not one that came with the report (a valid signature prints key \
                 {key_id}; minisign refuses a signature by another key), and recompute the \
                 figures from the database:\n\n\
                 ```sh\n\
                 nb-exodus verify --offline --report report.json --pubkey verify.pub --database-url URL\n\
                 minisign -V -p verify.pub -m report.json -x report.json.sig\n\
                 ```\n\n\
                 (`verify.pub`: the public key file; `URL`: the exported database of nation \
                 `{}` or a complete copy.) The signature's trusted comment names the nation and \
                 the key id; minisign prints it.\n",
                r.nation
            );
        }
        None => {
            let _ = writeln!(
                s,
                "Not signed: this verification ran without `--sign-key`, so nothing vouches for \
                 these files beyond the database itself. `report.json` holds the facts (this \
                 file, `report.md`, renders them for people); re-check it against the database \
                 with `nb-exodus verify --offline --report report.json --database-url URL`.\n"
            );
        }
    }
}

/// The report for people: the same facts as the JSON, with words around them. `signed_by`:
/// the key id `report.json` is signed with, when it is.
pub fn render_markdown(r: &Report, signed_by: Option<&str>) -> String {
    let mut s = String::new();
    let verdict = if r.outcome.balanced {
        "**Balanced**: every record is accounted for."
    } else {
        "**Not balanced**: see the defects below."
    };
    let _ = writeln!(s, "# Export verification: nation `{}`\n", r.nation);
    let _ = writeln!(s, "{verdict}\n");
    let _ = writeln!(
        s,
        "- Verified: {} ({} mode) with {} {}",
        r.generated_at, r.mode, r.tool.name, r.tool.version
    );
    let tls = &r.database.tls;
    let _ = writeln!(
        s,
        "- Database: {} (PostgreSQL {}), TLS: {}{}",
        r.database.target,
        r.database.server_version,
        if tls.ssl {
            format!(
                "{} {} ({} bits)",
                opt(&tls.version),
                opt(&tls.cipher),
                opt(&tls.bits)
            )
        } else {
            "not used".to_owned()
        },
        tls.sslmode
            .as_ref()
            .map_or_else(String::new, |mode| format!(", sslmode {mode}"))
    );
    if tls.insecure == Some(true) {
        let _ = writeln!(
            s,
            "- **Insecure database connection**: this verification ran with --insecure-database-connection; the server's identity was not verified{}",
            if tls.ssl { "" } else { " and the data travelled in plaintext" }
        );
    }
    if let Some(src) = &r.source {
        let _ = writeln!(s, "- Source: API {} at {}", src.api, src.api_base);
        if let Some(t) = &src.key_translation {
            let _ = writeln!(s, "- Key translation: {t}");
        }
    }
    if let Some(api) = &r.export.api {
        let _ = writeln!(s, "- Exported through: API {api}");
    }
    if let Some(runs @ 1..) = r.export.insecure_database_runs {
        let _ = writeln!(
            s,
            "- **Insecure export runs**: {runs} run(s) reached the database with --insecure-database-connection, without verifying the server (see sync.runs.db_insecure, db_tls)"
        );
    }
    let _ = writeln!(
        s,
        "- Export: {} run(s), first started {}, last finished {}",
        r.export.runs,
        opt(&r.export.first_started_at),
        opt(&r.export.last_finished_at)
    );
    let _ = writeln!(
        s,
        "- Mappings: loaded with {} (per resource); re-derived with the set {}",
        if r.export.mapping_sha256_loaded.is_empty() {
            "—".to_owned()
        } else {
            r.export.mapping_sha256_loaded.join(", ")
        },
        r.export.mapping_sha256_current
    );
    let _ = writeln!(
        s,
        "- Sample: {} per resource, seed {} ({})",
        r.sample.size_per_resource, r.sample.seed, r.sample.seed_origin
    );
    let _ = writeln!(
        s,
        "- Findings: {} defect(s), {} explained\n",
        r.outcome.defects, r.outcome.explained
    );

    explain_signature(&mut s, r, signed_by);
    let _ = writeln!(s, "## Count equations\n");
    explain_equations(
        &mut s,
        r.resources.values().any(|e| e.equation.source.is_some()),
    );
    for (name, e) in &r.resources {
        let _ = writeln!(s, "### {name}\n");
        if let Some(src) = &e.equation.source {
            let _ = writeln!(
                s,
                "- Source: `{src}` — balanced: {}",
                yes_no(e.equation.source_balanced.unwrap_or(false))
            );
        }
        let _ = writeln!(
            s,
            "- Archive: `{}` — balanced: {}",
            e.equation.archive,
            yes_no(e.equation.archive_balanced)
        );
        if let Some(src) = &e.source {
            let _ = writeln!(s, "- API total reported: {}", opt(&src.reported_total));
        }
        let i = &e.database.integrity;
        let _ = writeln!(
            s,
            "- Raw records re-hashed: {}, hash mismatches: {}, unreadable: {}",
            i.raw_records_hashed, i.raw_hash_mismatches, i.raw_unreadable
        );
        for (table, d) in &i.tables {
            let _ = writeln!(
                s,
                "- `{table}`: {} rows loaded, {} re-derived; only loaded {}, only re-derived {}, differing {}",
                d.loaded_rows, d.derived_rows, d.only_loaded, d.only_derived, d.differing
            );
        }
        for (k, v) in &e.database.referential {
            let _ = writeln!(s, "- Referential `{k}`: {v}");
        }
        if let Some(src) = &e.source {
            for (k, v) in &src.lookups {
                let _ = writeln!(s, "- Lookup `{k}`: {v}");
            }
            let sm = &src.sample;
            let _ = writeln!(
                s,
                "- Sample: {} drawn, {} identical, {} changed at source, {} deleted at source, {} migration defects",
                sm.drawn, sm.matched, sm.changed_at_source, sm.deleted_at_source, sm.migration_defects
            );
            if let Some(m) = &sm.method {
                let _ = writeln!(s, "- Sample obtained: {m}");
            }
            if let Some(c) = &sm.compared {
                let _ = writeln!(s, "- Sample compared: {c}");
            }
        }
        let _ = writeln!(
            s,
            "- Merkle root over {} records: `{}`\n",
            e.database.manifest.leaves, e.database.manifest.root
        );
    }

    let _ = writeln!(s, "## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(s, "None.");
    }
    for class in [FindingClass::Defect, FindingClass::Explained] {
        let list: Vec<&Finding> = r.findings.iter().filter(|f| f.class == class).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "### {}\n",
            match class {
                FindingClass::Defect => "Defects (unexplained)",
                FindingClass::Explained => "Explained",
            }
        );
        for line in finding_lines(&list) {
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\nManifest: {}; leaves {}; order {}; salt id {} (the salt stays in the database).",
        r.manifest.algorithm, r.manifest.leaf, r.manifest.order, r.manifest.salt_id
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(class: FindingClass, resource: &str, id: Option<&str>, code: &str) -> Finding {
        Finding {
            resource: resource.into(),
            source_id: id.map(str::to_owned),
            check: "referential".into(),
            class,
            code: code.into(),
            detail: match id {
                Some(id) => format!("donor of {id} is not in the export and the API answers 404"),
                None => "no id".into(),
            },
        }
    }

    fn report(findings: Vec<Finding>, online: bool) -> Report {
        let counts = ArchiveCounts {
            archived: 10,
            loaded: 9,
            rejected: 1,
            excluded: 0,
            deleted_at_source: 0,
            unaccounted: 0,
            loaded_without_archive: 0,
        };
        let resource = ResourceReport {
            source: None,
            database: DatabaseSide {
                counts,
                integrity: Integrity::default(),
                referential: BTreeMap::new(),
                manifest: MerkleRoot {
                    leaves: 10,
                    root: "ab".repeat(32),
                },
            },
            equation: Equation {
                source: online.then(|| {
                    "enumerated 10 - duplicates 0 - new_at_source 0 + deleted_at_source 0 - missing 0 + not_enumerated 0 = archived 10".to_owned()
                }),
                source_balanced: online.then_some(true),
                archive: "archived 10 = loaded 9 + rejected 1 + excluded 0 + deleted_at_source 0 + unaccounted 0 (loaded without archive: 0)".into(),
                archive_balanced: true,
                balanced: true,
            },
        };
        let defects = findings
            .iter()
            .filter(|f| f.class == FindingClass::Defect)
            .count() as u64;
        Report {
            format: FORMAT.into(),
            tool: Tool {
                name: "nb-exodus".into(),
                version: "0.1.0".into(),
            },
            nation: "exampleparty".into(),
            mode: if online { "online" } else { "offline" }.into(),
            generated_at: "2026-12-02T15:00:00Z".into(),
            database: DatabaseInfo {
                target: "127.0.0.1:5432/party".into(),
                server_version: "15.20".into(),
                tls: TlsInfo {
                    ssl: false,
                    version: None,
                    cipher: None,
                    bits: None,
                    sslmode: None,
                    insecure: None,
                },
            },
            source: None,
            export: ExportInfo {
                runs: 1,
                first_started_at: None,
                last_finished_at: None,
                mapping_sha256_loaded: vec![],
                mapping_sha256_current: "cd".repeat(32),
                currency: "EUR".into(),
                api: None,
                insecure_database_runs: None,
            },
            manifest: ManifestInfo {
                algorithm: "RFC 6962".into(),
                leaf: "leaf".into(),
                order: "order".into(),
                salt_id: "ef".repeat(32),
            },
            sample: SampleInfo {
                size_per_resource: 299,
                seed: "1".into(),
                seed_origin: "given".into(),
                selection: "rule".into(),
            },
            resources: BTreeMap::from([
                ("donations".to_owned(), resource.clone()),
                ("people".to_owned(), resource),
            ]),
            outcome: Outcome {
                balanced: defects == 0,
                defects,
                explained: findings.len() as u64 - defects,
                exit_code: u8::from(defects > 0),
            },
            findings,
        }
    }

    #[test]
    fn the_markdown_says_only_report_json_is_signed_by_which_key_and_how_to_check() {
        let md = render_markdown(&report(vec![], true), Some("CEA77927BEBAA307"));
        assert!(
            md.contains(
                "Only `report.json` is signed: `report.json.sig` is an Ed25519 signature in minisign's format by the key with id **CEA77927BEBAA307**. This file, `report.md`, is a rendering of the same facts for people and is not signed"
            ),
            "{md}"
        );
        assert!(md.contains(
            "nb-exodus verify --offline --report report.json --pubkey verify.pub --database-url URL\n"
        ));
        assert!(md.contains("minisign -V -p verify.pub -m report.json -x report.json.sig\n"));
        assert!(md.contains("the exported database of nation `exampleparty`"));

        let unsigned = render_markdown(&report(vec![], true), None);
        assert!(unsigned.contains("Not signed: this verification ran without `--sign-key`"));
        assert!(!unsigned.contains("Only `report.json` is signed"));
    }

    #[test]
    fn each_equation_is_explained_once() {
        let md = render_markdown(&report(vec![], true), None);
        for fragment in [
            "**Source equation** — `enumerated - duplicates - new_at_source + deleted_at_source - missing + not_enumerated = archived` — compares what the API lists today with what the export archived:",
            "- *missing*: at source, not archived, and not new: a **defect**;",
            "It must balance because every record at the source is either archived or newer than the export",
            "**Archive equation** — `archived = loaded + rejected + excluded + deleted_at_source + unaccounted` — accounts for every archived record in the tables:",
            "- *rejected*: no row, with the reason in `sync.rejects`;",
            "It must balance because nothing may be lost between the archive and the tables without a reason on record",
        ] {
            assert_eq!(md.matches(fragment).count(), 1, "{fragment}\n---\n{md}");
        }
        // Two resources, each with its figures, but the explanation once.
        assert_eq!(md.matches("- Archive: `archived 10 = loaded 9").count(), 2);
        // Offline there is no source equation to explain.
        let offline = render_markdown(&report(vec![], false), None);
        assert!(!offline.contains("**Source equation**"));
        assert_eq!(offline.matches("**Archive equation**").count(), 1);
    }

    #[test]
    fn repeated_findings_are_grouped_with_a_count_and_ids_in_numeric_order() {
        let mut findings: Vec<Finding> = [
            "1047", "130", "1022", "99", "2", "5000", "131", "17", "18", "19", "20", "21",
        ]
        .iter()
        .map(|id| {
            finding(
                FindingClass::Explained,
                "donations",
                Some(id),
                "donor_deleted_at_source",
            )
        })
        .collect();
        findings.push(finding(
            FindingClass::Defect,
            "people",
            Some("7"),
            "row_differs",
        ));
        findings.push(finding(
            FindingClass::Explained,
            "people",
            Some("x-3"),
            "changed_at_source",
        ));
        findings.push(finding(
            FindingClass::Explained,
            "people",
            Some("12"),
            "changed_at_source",
        ));
        let md = render_markdown(&report(findings, true), None);
        assert!(
            md.contains(
                "- donations — referential `donor_deleted_at_source` × 12: ids 2, 17, 18, 19, 20, 21, 99, 130, 131, 1022, … (10 of 12 shown; the rest in report.json) — for example 2: donor of 2 is not in the export and the API answers 404\n"
            ),
            "{md}"
        );
        assert_eq!(md.matches("donor_deleted_at_source").count(), 1, "{md}");
        // A kind that occurs once keeps its own line; numeric ids come before the others.
        assert!(md.contains(
            "- people 7 — referential `row_differs`: donor of 7 is not in the export and the API answers 404\n"
        ));
        assert!(md.contains(
            "- people — referential `changed_at_source` × 2: ids 12, x-3 — for example 12:"
        ));
        // Same detail for every id: said once, without "for example".
        let same: Vec<Finding> = (0..3)
            .map(|_| finding(FindingClass::Explained, "tags", None, "orphan"))
            .collect();
        let md = render_markdown(&report(same, true), None);
        assert!(
            md.contains("- tags — referential `orphan` × 3: no ids — no id\n"),
            "{md}"
        );
    }

    #[test]
    fn ids_order_numerically_where_numeric() {
        let mut ids = vec!["1022", "130", "abc", "1047", "9", "0130", "10:email"];
        ids.sort_by(|a, b| id_order(a).cmp(&id_order(b)));
        assert_eq!(ids, ["9", "130", "0130", "1022", "1047", "10:email", "abc"]);
    }
}
