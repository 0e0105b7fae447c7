//! `nb-exodus db …`: schema management. `migrate` connects to the database the user named,
//! applies the open schema's migrations and prints a one-line summary on stdout; `grants`
//! prints the roles' SQL without connecting anywhere.

use std::process::ExitCode;

use crate::cli::db::{DbCommand, DbGrantsArgs, DbMigrateArgs};
use crate::{database, schema};

/// Runs a `db` subcommand.
pub(crate) async fn run(cmd: DbCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Migrate(args) => migrate(args).await,
        DbCommand::Grants(args) => grants(args),
    }
}

/// `db grants --print`: the roles' SQL on stdout.
fn grants(args: DbGrantsArgs) -> anyhow::Result<ExitCode> {
    debug_assert!(args.print, "clap requires --print");
    print!("{}", schema::grants::sql(&args.prefix)?);
    Ok(ExitCode::SUCCESS)
}

/// `db migrate`: apply the migrations and say what changed.
async fn migrate(args: DbMigrateArgs) -> anyhow::Result<ExitCode> {
    let connection = args.database_tls.settings(args.database_url.clone());
    let target = database::target(&connection.url);
    super::warn_if_insecure(&connection);
    let pool = database::connect(&connection).await?;
    // Most errors name the database themselves; only the migrator's own need it added.
    let outcome = schema::apply(&pool).await.map_err(|err| match err {
        crate::Error::Migrate(_) => anyhow::Error::from(err).context(format!("migrating {target}")),
        other => other.into(),
    });
    pool.close().await;
    let report = outcome?;

    if report.is_up_to_date() {
        println!(
            "{target}: schema already up to date ({} migrations applied earlier)",
            report.already_applied
        );
    } else {
        let names: Vec<String> = report.applied.iter().map(ToString::to_string).collect();
        println!(
            "{target}: applied {} migration(s): {}{}",
            names.len(),
            names.join(", "),
            match report.already_applied {
                0 => String::new(),
                n => format!(" ({n} already applied)"),
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
