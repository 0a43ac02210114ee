//! The headless commands. Each takes parsed arguments and returns an exit code; none of them
//! uses the terminal UI.

pub mod args;
mod config_cmd;
mod context;
mod error;
mod history;
mod output;
mod pay;
mod reconcile;
mod sandbox_cmd;
mod status;

pub use args::Cli;
pub use context::{Connected, connect, init_logging, open_store};
pub use error::CliError;
pub use history::parse_since;

use args::Command;

use crate::config::Paths;

/// Runs one command to completion and returns its exit code. `None` means "start the TUI".
pub async fn run(cli: &Cli, paths: &Paths) -> Option<i32> {
    let result = match cli.command.as_ref()? {
        Command::Pay(a) => pay::run(cli, paths, a).await,
        Command::Status(a) => status::run(cli, paths, a).await,
        Command::History(a) => history::run(cli, paths, a),
        Command::Reconcile(a) => reconcile::run(cli, paths, a).await,
        Command::Sandbox(a) => sandbox_cmd::run(a).await,
        Command::Config { action } => config_cmd::run(paths, action),
    };
    Some(match result {
        Ok(code) => code,
        Err(e) => {
            tracing::warn!(error = %e, "command failed");
            eprintln!("error: {e}");
            e.exit_code()
        }
    })
}
