//! The mapping stage end to end, offline: the shipped files load, validate and pass their
//! examples; broken files are refused with every problem listed; a realistic v2 page maps as
//! expected; and `nb-exodus mappings check` exits 0 / 1 / 2.

use std::path::{Path, PathBuf};
use std::process::Command;

use nb_exodus::mapping::{
    Api, Cell, Disposition, MapContext, Mapping, MappingSet, Problem, TableId,
};
use nb_exodus::resource::Resource;
use serde_json::Value;

/// The catalogue's table called `qualified`.
fn table(qualified: &str) -> TableId {
    TableId::named(qualified).expect("a table of the catalogue")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("fixtures/mappings")
}

fn ctx() -> MapContext {
    MapContext {
        currency: "USD".into(),
        default_country: None,
    }
}

fn parse_fixture(dir: &str, file: &str) -> Vec<Problem> {
    let path = fixtures().join(dir).join("v2").join(file);
    let text = std::fs::read_to_string(&path).expect("read the fixture");
    match Mapping::parse(&format!("v2/{file}"), Api::V2, &text) {
        Ok(_) => panic!("{} should not validate", path.display()),
        Err(problems) => problems,
    }
}

fn has(problems: &[Problem], block: Option<&str>, column: Option<&str>, needle: &str) -> bool {
    problems.iter().any(|p| {
        p.block.as_deref() == block && p.column.as_deref() == column && p.message.contains(needle)
    })
}

#[test]
fn shipped_files_load_validate_and_pass_their_examples() {
    let set = MappingSet::load_dir(&root().join("mappings"), Api::V2).unwrap();
    let resources: Vec<&str> = set.mappings().iter().map(|m| m.resource()).collect();
    // One file per resource v2 serves, in file-name order.
    let mut served: Vec<&str> = Resource::all()
        .filter(|r| r.served_by("v2"))
        .map(|r| r.as_str())
        .collect();
    served.sort();
    assert_eq!(resources, served);
    for m in set.mappings() {
        assert!(m.example_count() >= 2, "{}", m.file());
        assert!(m.run_examples().is_empty(), "{}", m.file());
    }
    assert_eq!(set.checksum().len(), 64);
    // The built-in copies are the same bytes, so the same checksum.
    let builtin = MappingSet::builtin(Api::V2).unwrap();
    assert_eq!(builtin.checksum(), set.checksum());
    // v1 ships its own set (tests/it/v1.rs checks its files).
    assert!(MappingSet::builtin(Api::V1).is_ok());
}

#[test]
fn checksum_changes_when_a_file_says_something_else_not_for_comments() {
    let tmp = tempfile::tempdir().unwrap();
    let v2 = tmp.path().join("v2");
    std::fs::create_dir(&v2).unwrap();
    for entry in std::fs::read_dir(root().join("mappings/v2")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), v2.join(entry.file_name())).unwrap();
    }
    let before = MappingSet::load_dir(tmp.path(), Api::V2)
        .unwrap()
        .checksum()
        .to_owned();
    let again = MappingSet::load_dir(tmp.path(), Api::V2)
        .unwrap()
        .checksum()
        .to_owned();
    assert_eq!(before, again);
    let tags = v2.join("tags.toml");
    let original = std::fs::read_to_string(&tags).unwrap();
    // A comment or blank line is not a mapping change: rows stay valid.
    std::fs::write(&tags, format!("# reviewed\n{original}\n\n# end\n")).unwrap();
    let commented = MappingSet::load_dir(tmp.path(), Api::V2)
        .unwrap()
        .checksum()
        .to_owned();
    assert_eq!(
        before, commented,
        "a comment-only edit changed the checksum"
    );
    // Any change to what the file says is.
    let edited = original.replace(
        "taggings_count_reported = { from = \"/attributes/taggings_count\", convert = [\"int\"] }",
        "taggings_count_reported = { from = \"/attributes/taggings_count\" }",
    );
    assert_ne!(edited, original, "the test's edit did not apply");
    std::fs::write(&tags, edited).unwrap();
    let after = MappingSet::load_dir(tmp.path(), Api::V2)
        .unwrap()
        .checksum()
        .to_owned();
    assert_ne!(before, after);
}

#[test]
fn broken_file_is_refused_with_all_its_errors() {
    let p = parse_fixture("broken", "people.toml");
    let person = Some("block `person`");
    assert!(has(&p, person, Some("favourite_colour"), "no such column"));
    assert!(has(
        &p,
        person,
        Some("given_name"),
        "unknown converter `emial`"
    ));
    assert!(has(
        &p,
        person,
        Some("created_date"),
        "add the `rfc3339` converter"
    ));
    assert!(has(
        &p,
        person,
        Some("is_volunteer"),
        "produces a timestamp but the column is boolean"
    ));
    assert!(has(&p, person, Some("nation"), "must not name it"));
    assert!(has(
        &p,
        Some("block `email1`"),
        Some("address"),
        "not a JSON Pointer"
    ));
    assert!(has(
        &p,
        Some("block `email1`"),
        Some("is_primary"),
        "NOT NULL column must be mapped"
    ));
    assert!(has(
        &p,
        Some("block `orphan`"),
        None,
        "unknown table `core.persons`"
    ));
    assert!(has(&p, None, None, "at least two [[example]]s"));
    assert_eq!(p.len(), 9, "{p:#?}");
}

#[test]
fn unknown_keys_are_refused() {
    let p = parse_fixture("unknown_key", "tags.toml");
    assert!(has(&p, Some("block `tag`"), None, "unknown field `colums`"));
    assert!(has(
        &p,
        Some("block `tag_again`"),
        Some("name"),
        "unknown field `frum`"
    ));
}

#[test]
fn missing_required_keys_and_columns_are_refused() {
    let p = parse_fixture("missing_key", "taggings.toml");
    assert!(has(&p, None, None, "missing field `source_id`"), "{p:#?}");
    let p = parse_fixture("missing_column", "taggings.toml");
    assert!(has(
        &p,
        Some("block `tagging`"),
        Some("tag_source_id"),
        "NOT NULL column must be mapped"
    ));
    assert!(has(&p, None, None, "no [[example]] shows a reject"));
}

#[test]
fn load_dir_reports_every_problem_and_io_errors_apart() {
    match MappingSet::load_dir(&fixtures().join("broken"), Api::V2) {
        Err(nb_exodus::mapping::MappingError::Invalid(problems)) => assert_eq!(problems.0.len(), 9),
        other => panic!("expected mapping problems, got {other:?}"),
    }
    match MappingSet::load_dir(&fixtures().join("does-not-exist"), Api::V2) {
        Err(nb_exodus::mapping::MappingError::Io { .. }) => {}
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

#[test]
fn a_realistic_v2_page_maps_as_expected() {
    let set = MappingSet::load_dir(&root().join("mappings"), Api::V2).unwrap();
    let people = set.get("people").unwrap();
    let page: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("v2_signups_page.json")).unwrap(),
    )
    .unwrap();
    let records = page["data"].as_array().unwrap();
    let out: Vec<_> = records.iter().map(|r| people.apply(r, &ctx())).collect();

    // Grace: person, one primary e-mail, support level in sensitive, custom values kept.
    assert!(out[0].rejects.is_empty());
    let tables: Vec<TableId> = out[0].rows.iter().map(|r| r.table).collect();
    assert_eq!(
        tables,
        [
            table("core.people"),
            table("core.email_addresses"),
            table("sensitive.person_attributes")
        ]
    );

    // Katherine: e-mails de-duplicated with exactly one primary, US phones read nationally
    // through the address country, sensitive and consent rows only for non-empty values.
    let k = &out[1];
    assert!(k.rejects.is_empty(), "{:?}", k.rejects);
    let rows = |t: TableId| k.rows.iter().filter(move |r| r.table == t);
    let emails: Vec<(&str, &Cell)> = rows(table("core.email_addresses"))
        .map(|r| (r.source_id.as_str(), r.cell("is_primary").unwrap()))
        .collect();
    assert_eq!(
        emails,
        [
            ("19:email1", &Cell::Bool(true)),
            ("19:email2", &Cell::Bool(false))
        ]
    );
    let phones: Vec<&Cell> = rows(table("core.phone_numbers"))
        .map(|r| r.cell("number").unwrap())
        .collect();
    assert_eq!(
        phones,
        [
            &Cell::Text("+17575550100".into()),
            &Cell::Text("+17575550199".into())
        ]
    );
    let attrs: Vec<&str> = rows(table("sensitive.person_attributes"))
        .map(|r| r.source_id.as_str())
        .collect();
    assert_eq!(attrs, ["19:party", "19:inferred_party"]);
    let consent: Vec<&str> = rows(table("gdpr.consent_facts"))
        .map(|r| r.source_id.as_str())
        .collect();
    assert_eq!(
        consent,
        [
            "19:email_opt_in",
            "19:mobile_opt_in",
            "19:do_not_call",
            "19:do_not_contact",
            "19:federal_donotcall"
        ]
    );
    assert_eq!(rows(table("core.postal_addresses")).count(), 1);
    let children: Vec<TableId> = k.child_sets.iter().map(|c| c.table).collect();
    assert_eq!(
        children,
        [
            table("core.email_addresses"),
            table("core.phone_numbers"),
            table("core.postal_addresses"),
            table("sensitive.person_attributes"),
            table("gdpr.consent_facts")
        ]
    );
    let disp = |f: &str| {
        k.fields
            .iter()
            .find(|s| s.field == f)
            .map(|s| s.disposition)
    };
    assert_eq!(disp("/attributes/party"), Some(Disposition::Sensitive));
    assert_eq!(disp("/attributes/email_opt_in"), Some(Disposition::Consent));
    assert_eq!(disp("/attributes/full_name"), Some(Disposition::RawOnly));
    assert_eq!(disp("/attributes/van_id"), Some(Disposition::Mapped));
    assert_eq!(disp("/id"), Some(Disposition::Mapped));

    // Bad date and timestamp: reported, the person still loads.
    let fields: Vec<&str> = out[2].rejects.iter().map(|r| r.field.as_str()).collect();
    assert_eq!(fields, ["/attributes/born_at", "/attributes/created_at"]);
    assert!(!out[2].is_rejected());
    assert_eq!(out[2].rows.len(), 2);

    // No id: rejected as a whole, nothing mapped, nothing replaced.
    assert!(out[3].is_rejected());
    assert!(out[3].rows.is_empty() && out[3].child_sets.is_empty());

    // Pure: mapping again gives the same result.
    let again: Vec<_> = records.iter().map(|r| people.apply(r, &ctx())).collect();
    assert_eq!(out, again);
}

fn check_cli(dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(["mappings", "check", "--dir"])
        .arg(dir)
        .output()
        .expect("run nb-exodus");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn cli_check_exit_codes() {
    let (code, stdout) = check_cli(&root().join("mappings"));
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        // One file per resource each API serves.
        Resource::all().filter(|r| r.served_by("v1")).count()
            + Resource::all().filter(|r| r.served_by("v2")).count(),
        "{stdout}"
    );

    let (code, stdout) = check_cli(&fixtures().join("broken"));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("v2/people.toml: block `person`: column `given_name`: unknown converter")
    );
    assert!(stdout.contains("9 problem(s)"), "{stdout}");

    let (code, _) = check_cli(&fixtures().join("does-not-exist"));
    assert_eq!(code, 2);
}
