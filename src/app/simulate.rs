//! `nb-exodus simulate`: serve a synthetic nation until Ctrl-C, then shut down cleanly.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::simulate::SimulateArgs;
use crate::simulator::Simulator;

/// Runs the simulator until stopped.
pub(crate) async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let addr = args.listen_addr()?;
    let config = args.into_config()?;
    let (slug, people) = (config.nation_slug.clone(), config.people);
    let (client_id, ttl, auto) = (
        config.oauth.client_id.clone(),
        config.oauth.token_ttl.as_secs(),
        config.oauth.auto_approve,
    );
    let sim = Simulator::start(config, addr)
        .with_context(|| format!("starting the simulator on {addr}"))?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "simulator listening on {}", sim.base_url());
        let _ = writeln!(
            out,
            "nation {slug}, {people} people; token: as given with --token"
        );
        let _ =
            writeln!(
            out,
            "OAuth: client id {client_id}, access tokens live {ttl} s, {} at {}/oauth/authorize",
            if auto { "approved automatically" } else { "approval page" },
            sim.base_url()
        );
        let _ = writeln!(
            out,
            "ground truth: {}/__simulator/manifest; press Ctrl-C to stop",
            sim.base_url()
        );
        let _ = out.flush();
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
