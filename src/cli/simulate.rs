//! Arguments of `nb-exodus simulate`.

use clap::Args;

/// Arguments of `nb-exodus simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to listen on. Example: --listen 127.0.0.1:8088
    #[arg(long, default_value = "127.0.0.1:8088")]
    pub listen: String,
}
