//! `nb-exodus simulate`: serve a synthetic nation until Ctrl-C.

use std::process::ExitCode;

use crate::cli::simulate::SimulateArgs;

/// Runs the simulator until stopped.
pub(crate) async fn run(_args: SimulateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("simulate is not built yet")
}
