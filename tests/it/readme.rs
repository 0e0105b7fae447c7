//! The README's commands run as written: every `nb-exodus …` command of its shell blocks
//! parses with the real command line (so no flag in the README is misspelt or gone), and the
//! ones that need no nation or server — `keygen` on a fresh machine — really run.

use clap::Parser;
use nb_exodus::cli::Cli;

/// The README's shell commands: lines of ```sh blocks and of 4-space-indented blocks, with
/// `\` continuations joined, that invoke `nb-exodus`.
fn readme_commands() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut commands = Vec::new();
    let mut in_fence = false;
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_fence = !in_fence && trimmed.starts_with("```sh");
            continue;
        }
        let indented = !in_fence
            && line.starts_with("    ")
            && (!pending.is_empty() || !trimmed.starts_with('-'));
        if !(in_fence || indented) {
            pending.clear();
            continue;
        }
        let piece = trimmed.trim_end();
        match piece.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(piece);
                let command = std::mem::take(&mut pending);
                if command.split_whitespace().any(|w| w == "nb-exodus") {
                    commands.push(command);
                }
            }
        }
    }
    commands
}

/// Shell words of `command` (quotes and `~`), without leading `VAR=value` assignments, output
/// redirections and a trailing `&`; `None` for a pipeline or a command that is not nb-exodus first.
fn words(command: &str, home: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        out.push(word);
    }
    if out.iter().any(|w| w == "|") {
        return None;
    }
    // An output redirection (`> grants.sql`) is the shell's, not an argument.
    while let Some(at) = out.iter().position(|w| w == ">" || w == ">>") {
        out.drain(at..(at + 2).min(out.len()));
    }
    while out
        .first()
        .is_some_and(|w| w.contains('=') && !w.starts_with('-'))
    {
        out.remove(0);
    }
    if out.last().is_some_and(|w| w == "&") {
        out.pop();
    }
    if out.first().map(String::as_str) != Some("nb-exodus") {
        return None;
    }
    Some(
        out.into_iter()
            .map(|w| match w.strip_prefix("~/") {
                Some(rest) => format!("{home}/{rest}"),
                None => w,
            })
            .collect(),
    )
}

#[test]
fn every_nb_exodus_command_in_the_readme_parses() {
    let commands = readme_commands();
    assert!(commands.len() >= 5, "found {commands:?}");
    let mut checked = 0;
    for command in &commands {
        let Some(args) = words(command, "/home/user") else {
            continue;
        };
        if let Err(err) = Cli::try_parse_from(&args) {
            panic!("README command does not parse: {command}\n{err}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "{checked} commands checked of {commands:?}");
}

/// The README's keygen command, run as written on a machine whose `~/.nb-exodus` does not
/// exist yet.
#[test]
fn the_readme_keygen_command_runs_on_a_fresh_machine() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let home_s = home.path().to_string_lossy().into_owned();
    let keygen = readme_commands()
        .into_iter()
        .find(|c| c.contains("nb-exodus keygen"))
        .expect("the README shows keygen");
    let args = words(&keygen, &home_s).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(&args[1..])
        .current_dir(work.path())
        .env("HOME", &home_s)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{keygen}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.path().join(".nb-exodus/verify.key").exists());
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&home.path().join(".nb-exodus")),
        0o700,
        "created private"
    );
    assert_eq!(mode(&home.path().join(".nb-exodus/verify.key")), 0o600);

    // Run again as written: the existing key is refused, not replaced.
    let before = std::fs::read(home.path().join(".nb-exodus/verify.key")).unwrap();
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(&args[1..])
        .current_dir(work.path())
        .env("HOME", &home_s)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("verify.key already exists; pass --force to replace it"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(home.path().join(".nb-exodus/verify.key")).unwrap(),
        before
    );
}

/// The README's `db grants --print` command, run as written: it needs no database, and its
/// redirection gets the SQL alone.
#[test]
fn the_readme_grants_command_runs_as_written() {
    let grants = readme_commands()
        .into_iter()
        .find(|c| c.contains("nb-exodus db grants"))
        .expect("the README shows db grants");
    assert!(grants.contains("> grants.sql"), "{grants}");
    let args = words(&grants, "/home/user").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
        .args(&args[1..])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{grants}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sql = String::from_utf8(out.stdout).unwrap();
    assert!(
        sql.starts_with("-- Roles for an nb-exodus database"),
        "{sql}"
    );
    assert!(sql.trim_end().ends_with("COMMIT;"), "{sql}");
}
