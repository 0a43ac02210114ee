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

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Marks the process start, for start-up timings in the log. Call first thing in `main`.
pub fn mark_start() {
    STARTED.get_or_init(std::time::Instant::now);
}

/// Milliseconds since `mark_start` (or since the first call, when it was never marked).
pub fn since_start_ms() -> f64 {
    STARTED
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}

/// Runs a command that reads only local files (history, config) without an async runtime:
/// `history` is often run in loops and scripts, and starting a runtime would double its cost.
/// `None` when the command needs the runtime (or is the TUI).
pub fn run_local(cli: &Cli, paths: &Paths) -> Option<i32> {
    if !is_local(cli) {
        return None;
    }
    let result = match cli.command.as_ref()? {
        Command::History(a) => history::run(cli, paths, a),
        Command::Config { action } => config_cmd::run(paths, action),
        _ => return None,
    };
    Some(finish(result))
}

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
    Some(finish(result))
}

/// A token cancelled by Ctrl-C: stops waiting (the execution goes on; its row says so).
fn cancel_on_ctrl_c() -> tokio_util::sync::CancellationToken {
    let cancel = tokio_util::sync::CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    cancel
}

/// Commands that read only local files and need no async runtime.
pub fn is_local(cli: &Cli) -> bool {
    matches!(
        cli.command,
        Some(Command::History(_) | Command::Config { .. })
    )
}

fn finish(result: Result<i32, CliError>) -> i32 {
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::warn!(error = %e, "command failed");
            eprintln!("error: {}", output::printable(&e.to_string()));
            e.exit_code()
        }
    }
}
