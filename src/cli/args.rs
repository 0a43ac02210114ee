//! The command line (clap). `main` parses these and hands them to `cli::run`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "payout-console",
    version,
    about = "Run Dollr payouts from a terminal, and inspect what happened to them",
    after_help = "Exit codes: 0 completed (or query ok), 2 bad usage or input, 3 rejected by the API (nothing executed), 4 requires action, 5 not final (pending, processing, unknown), 6 failed, 1 anything else."
)]
pub struct Cli {
    /// Config file (default: PAYOUT_CONSOLE_CONFIG, else the user config dir's config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile to use (default: PAYOUT_CONSOLE_PROFILE, else the config's default_profile).
    /// For `history` it filters by profile instead.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Start the embedded sandbox API on a free loopback port and point this command at it.
    #[arg(long, global = true)]
    pub sandbox: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// One payout without the TUI: session, execute, then follow the status until final.
    Pay(PayArgs),
    /// Ask the API for one execution's status and record it.
    Status(StatusArgs),
    /// Recent executions from the local history, newest first.
    History(HistoryArgs),
    /// Ask the status endpoint for every execution not yet final and record the answers.
    Reconcile(ReconcileArgs),
    /// Run the sandbox API as a standalone server.
    Sandbox(SandboxArgs),
    /// Validate the config or print the paths in use.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Args, Debug, Clone)]
pub struct PayArgs {
    /// Payout account ID.
    #[arg(long)]
    pub account: String,
    /// An existing payout session ID (otherwise give --amount and --currency).
    #[arg(long, conflicts_with_all = ["amount", "currency"], required_unless_present = "amount")]
    pub session: Option<String>,
    /// Amount for a new session, e.g. 250 or 12.50.
    #[arg(long, requires = "currency")]
    pub amount: Option<String>,
    /// ISO 4217 currency for a new session, e.g. USD.
    #[arg(long, requires = "amount")]
    pub currency: Option<String>,
    /// Payee phone in E.164 digits without `+`.
    #[arg(long, conflicts_with = "user_id", required_unless_present = "user_id")]
    pub phone: Option<String>,
    /// Payee user_id (instead of a phone).
    #[arg(long)]
    pub user_id: Option<String>,
    /// Read the merchant passcode from the first line of stdin (it is never taken from argv).
    #[arg(long)]
    pub code_stdin: bool,
    /// Reuse this reference_id (a UUID v4), e.g. to resume a payout whose answer was lost.
    #[arg(long)]
    pub reference: Option<String>,
    /// Return after the execute answer instead of following the status.
    #[arg(long)]
    pub no_wait: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Skip the typed confirmation a live profile asks for.
    #[arg(long)]
    pub yes: bool,
    /// Send even though this account has an unresolved execution.
    #[arg(long)]
    pub allow_unresolved: bool,
    /// Print the requires_action client_secret in full (it is masked otherwise).
    #[arg(long)]
    pub show_client_secret: bool,
    /// Stop following the status after this many seconds (default 900).
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub max_wait: u64,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The execution's reference_id.
    pub reference: String,
    #[arg(long)]
    pub json: bool,
    /// Keep following until the status is final.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub show: Option<HistoryCommand>,
    /// Only these states (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    pub state: Vec<String>,
    /// Only executions since `24h`, `7d`, `30m` ago or a date (2026-11-01 or RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this payout account.
    #[arg(long)]
    pub account: Option<String>,
    /// Text in the reference, session, account, provider transaction or messages.
    #[arg(long)]
    pub search: Option<String>,
    /// Rows per page.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Which page of --limit rows, newest first (1 is the newest).
    #[arg(long, default_value_t = 1)]
    pub page: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print the SQL this query runs (for the sqlite3 shell) instead of running it.
    #[arg(long, hide = true)]
    pub sql: bool,
}

#[derive(Subcommand, Debug)]
pub enum HistoryCommand {
    /// One execution with its event trail.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
        /// Print a support bundle (secrets redacted) ready to paste into a ticket.
        #[arg(long)]
        bundle: bool,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    /// Ask without listing first.
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
}

#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Check the config and name the key behind every problem.
    Check,
    /// Print the config file, data dir and log file in use.
    Path,
}
