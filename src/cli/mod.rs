//! The command line: clap types only. Each subcommand's arguments live in their own file and are
//! turned into a validated configuration before any work starts; nothing below [`crate::app`]
//! sees a clap type.

use clap::{Parser, Subcommand};

pub mod auth;
pub mod connection;
pub mod db;
pub mod demo;
pub mod inventory;
pub mod mappings;
pub mod migrate;
pub mod simulate;
pub mod verify;

/// Move a party's supporter data out of NationBuilder into its own PostgreSQL, completely and
/// provably.
#[derive(Debug, Parser)]
#[command(name = "nb-exodus", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). Record values, tokens and response
    /// bodies are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a synthetic NationBuilder nation over HTTP (API v1 and v2) for rehearsals, demos and
    /// tests.
    Simulate(simulate::SimulateArgs),

    /// Log in to a nation through NationBuilder's OAuth (tokens that expire after 24 hours and
    /// are refreshed during runs), show, refresh or forget the stored credentials.
    ///
    /// Example: nb-exodus auth login --nation exampleparty --client-id ID --client-secret-file client-secret
    #[command(subcommand)]
    Auth(auth::AuthCommand),

    /// Manage the target database.
    #[command(subcommand)]
    Db(db::DbCommand),

    /// Export a nation (every resource the API serves: people, tags, donations, memberships…)
    /// into the open schema, resumably.
    ///
    /// Example: NATIONBUILDER_API_TOKEN=… nb-exodus migrate --nation exampleparty --database-url postgres://postgres@127.0.0.1/party
    Migrate(migrate::MigrateArgs),

    /// Before a run: what the source holds of every resource a run would export, the requests
    /// the export will need (main pass and reconciliation) and how long they take at the
    /// request budget. Reads the API only.
    ///
    /// Example: NATIONBUILDER_API_TOKEN=… nb-exodus inventory --nation exampleparty
    Inventory(inventory::InventoryArgs),

    /// Show each stream's checkpoint: pages, records, rejects, cursor, state, last error.
    ///
    /// Example: nb-exodus status --nation exampleparty --database-url postgres://postgres@127.0.0.1/party
    Status(migrate::StatusArgs),

    /// Re-map the raw archive with the current mapping files, without fetching again (after a
    /// mapping file changed).
    ///
    /// Example: nb-exodus remap --nation exampleparty --database-url postgres://postgres@127.0.0.1/party
    Remap(migrate::RemapArgs),

    /// Migrate a simulated nation into PostgreSQL end to end and print a summary: the quickest
    /// way to see nb-exodus work. Uses its own private cluster in --data-dir (DATABASE_URL is
    /// ignored), or --database-url when given, which must not hold any other nation.
    ///
    /// Example: nb-exodus demo --people 10000
    Demo(demo::DemoArgs),

    /// Check the declarative mapping files.
    #[command(subcommand)]
    Mappings(mappings::MappingsCommand),

    /// Prove an export complete: count equations, hashes, re-derivation, references, re-fetch
    /// sample and Merkle roots, into a signed report; or re-check a report offline. Reads the
    /// database only (its one write is its log row in audit.verifications) and refuses, before
    /// any API request, a database without a current schema, a finished export or the salt.
    ///
    /// Example: nb-exodus verify --nation exampleparty --out audit --sign-key nb-exodus.key
    Verify(verify::VerifyArgs),

    /// Create an Ed25519 key pair (minisign format) for signing verify reports.
    Keygen(verify::KeygenArgs),
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command};

    #[test]
    fn the_command_line_is_consistent() {
        // Also catches a `mut_arg` naming a flag the shared struct no longer has.
        Cli::command().debug_assert();
    }

    #[test]
    fn migrate_and_verify_share_the_connection_flags_with_their_own_help() {
        let argv = [
            "--nation",
            "n",
            "--api",
            "v1",
            "--database-url",
            "postgres://h/d",
            "--rate-limit",
            "off",
            "--max-wait",
            "3",
        ];
        let migrate = Cli::try_parse_from(["nb-exodus", "migrate"].iter().chain(&argv)).unwrap();
        let verify = Cli::try_parse_from(["nb-exodus", "verify"].iter().chain(&argv)).unwrap();
        let (Command::Migrate(migrate), Command::Verify(verify)) =
            (migrate.command, verify.command)
        else {
            panic!("parsed into the wrong subcommands");
        };
        assert_eq!(
            format!("{:?}", migrate.connection),
            format!("{:?}", verify.connection)
        );

        // Clap checks migrate's --api; verify's is left to the configuration, as before.
        assert!(Cli::try_parse_from(["nb-exodus", "migrate", "--api", "v3"]).is_err());
        assert!(Cli::try_parse_from(["nb-exodus", "verify", "--api", "v3"]).is_ok());

        let mut cli = Cli::command();
        let help = |cli: &mut clap::Command, name: &str| {
            cli.find_subcommand_mut(name)
                .unwrap()
                .render_help()
                .to_string()
        };
        let verify = help(&mut cli, "verify");
        assert!(verify.contains("--api <v1|v2>"), "{verify}");
        assert!(
            verify.contains("shared by the sweep, lookups and sample"),
            "{verify}"
        );
        let migrate = help(&mut cli, "migrate");
        assert!(migrate.contains("[possible values: v1, v2]"), "{migrate}");
        assert!(migrate.contains("shared by all streams"), "{migrate}");
    }
}
