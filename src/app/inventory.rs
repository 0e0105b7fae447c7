//! `nb-exodus inventory`: sizes a run before it starts, through the API only (see
//! [`crate::pipeline::inventory`]).

use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::inventory::InventoryArgs;
use crate::config;
use crate::fetch::client::{ClientConfig, HttpClient};
use crate::fetch::rate_limit::Limiter;
use crate::fetch::v1::V1Source;
use crate::fetch::v2::V2Source;
use crate::mapping::Api;
use crate::pipeline::inventory::{self, Inventory};

/// Runs `inventory`.
pub async fn run(args: InventoryArgs) -> anyhow::Result<ExitCode> {
    let env_token = std::env::var("NATIONBUILDER_API_TOKEN").ok();
    let config = config::resolve_inventory(args.inputs(env_token))?;
    let c = &config.connection;
    let tokens = crate::auth::token_source(&c.token, &c.nation, &c.api_base)?;
    let mut client = ClientConfig::with_tokens(tokens);
    client.max_attempts = c.max_attempts;
    client.request_timeout = c.request_timeout;
    client.max_wait = c.max_wait;
    client.max_response_bytes = c.max_response_bytes;
    let http = HttpClient::new(client, Arc::new(Limiter::new(c.rate_limit)))?;
    let taken: Inventory = match c.api {
        Api::V2 => {
            let source = V2Source::new(http, c.api_base.clone(), config.page_size);
            inventory::take(
                &source,
                &config.resources,
                config.page_size,
                false,
                c.rate_limit,
            )
            .await?
        }
        Api::V1 => {
            let source = V1Source::new(http, c.api_base.clone(), config.page_size);
            inventory::take(
                &source,
                &config.resources,
                config.page_size,
                config.full_people,
                c.rate_limit,
            )
            .await?
        }
    };
    if config.json {
        let doc = serde_json::json!({
            "nation": c.nation,
            "inventory": taken,
            "totals": taken.totals(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("nation {} through API {}:", c.nation, taken.api);
        for line in inventory::lines(&taken) {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
