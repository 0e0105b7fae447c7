//! One function per subcommand: the only place where concrete implementations are wired
//! together. Errors become one line on stderr naming each cause once and the fix
//! ([`crate::error::one_line`]), and an exit code.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

mod auth;
mod db;
mod demo;
mod inventory;
mod mappings;
pub mod migrate;
mod signals;
mod simulate;
mod summary;
mod verify;

/// Exit code of a run that finished but found something the user must look at.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code of a run that could not do its job.
pub const EXIT_ERROR: u8 = 2;

/// Prints the one-line warning of `--insecure-database-connection` on stderr when `database`
/// uses it; every command that connects calls this once per run.
pub(crate) fn warn_if_insecure(database: &crate::database::ConnectionSettings) {
    if let Some(warning) = database.insecure_warning() {
        eprintln!("warning: {warning}");
    }
}

/// Sets up logging to stderr; `RUST_LOG` overrides the verbosity flag.
pub fn init_tracing(verbose: u8) {
    // sqlx's own warnings (slow statements quoting SQL, pool housekeeping during a database
    // restart) are noise for an operator; -v shows them.
    let default = match verbose {
        0 => "info,sqlx=error",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(crate::pipeline::progress::LogWriter)
        .with_target(false)
        .try_init();
}

/// Runs the parsed command line and returns the process exit code.
pub fn main(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            Command::Simulate(args) => simulate::run(args).await,
            Command::Auth(cmd) => auth::run(cmd).await,
            Command::Db(cmd) => db::run(cmd).await,
            Command::Mappings(cmd) => mappings::run(cmd).await,
            Command::Migrate(args) => migrate::run(args).await,
            Command::Inventory(args) => inventory::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Remap(args) => migrate::remap(args).await,
            Command::Status(args) => migrate::status(args).await,
            Command::Verify(args) => verify::run(args).await,
            Command::Keygen(args) => verify::keygen(args),
        }
    });
    match outcome {
        Ok(code) => code,
        Err(err) => {
            if let Some(interrupted) = err.downcast_ref::<migrate::Interrupted>() {
                eprintln!("{interrupted}");
                return ExitCode::from(interrupted.code);
            }
            eprintln!("error: {}", crate::error::one_line(err.as_ref()));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
