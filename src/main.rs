//! The `nb-exodus` binary: parse the command line, set up logging, run the command, and turn
//! the outcome into an exit code (0 done, 1 finished with findings, 2 error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = nb_exodus::cli::Cli::parse();
    nb_exodus::app::init_tracing(cli.verbose);
    nb_exodus::app::main(cli)
}
