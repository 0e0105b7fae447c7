//! `nb-exodus mappings …`: offline checks of the declarative mapping files.
//!
//! Which files are checked: `--dir` when given (an unreadable or empty directory is an error,
//! exit 2); otherwise `./mappings` when it exists, otherwise the copies built into the binary.
//! The same rule picks the files an export uses, so what `check` approves is what runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::EXIT_FINDINGS;
use crate::cli::mappings::{MappingsCheckArgs, MappingsCommand};
use crate::mapping;

/// The mappings directory used when no `--dir` is given, if it exists.
const DEFAULT_DIR: &str = "mappings";

/// Runs a `mappings` subcommand.
// Async only to match the dispatcher in `app::main`, which awaits every subcommand; checking
// mapping files is offline and synchronous.
#[allow(clippy::unused_async)]
pub(crate) async fn run(cmd: MappingsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MappingsCommand::Check(args) => check(&args),
    }
}

fn check(args: &MappingsCheckArgs) -> anyhow::Result<ExitCode> {
    let dir: Option<PathBuf> = match &args.dir {
        Some(d) => Some(d.clone()),
        None => Some(PathBuf::from(DEFAULT_DIR)).filter(|d| d.is_dir()),
    };
    let origin = dir
        .as_deref()
        .map_or_else(|| "built-in".to_owned(), |d| d.display().to_string());
    let reports = mapping::check(dir.as_deref())
        .with_context(|| format!("checking the {origin} mapping files"))?;
    let mut problems = Vec::new();
    for r in &reports {
        if r.problems.is_empty() {
            println!(
                "ok    {}  {} → {} blocks, {} examples passed",
                r.file,
                r.resource.as_deref().unwrap_or("?"),
                r.block_count,
                r.example_count
            );
        } else {
            println!("FAIL  {}  {} problem(s)", r.file, r.problems.len());
            problems.extend(r.problems.iter());
        }
    }
    if problems.is_empty() {
        println!(
            "{} mapping file(s) in {} are valid",
            reports.len(),
            display(dir.as_deref())
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    for p in &problems {
        println!("{p}");
    }
    println!(
        "{} problem(s) in {}",
        problems.len(),
        display(dir.as_deref())
    );
    Ok(ExitCode::from(EXIT_FINDINGS))
}

fn display(dir: Option<&Path>) -> String {
    dir.map_or_else(
        || "the built-in mappings".to_owned(),
        |d| d.display().to_string(),
    )
}
