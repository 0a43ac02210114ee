//! The embedded sandbox: an axum server that speaks the vendor API on loopback.
//!
//! Payout accounts pick the scenario, like test card numbers ([`SCENARIOS`]). Execution states
//! are computed from the time since execute, so no background task moves them. Test-only
//! endpoints under `/_sandbox` let tests inspect executions, confirm card payouts and expire
//! tokens and sessions; the console never calls them.

mod errors;
mod execute;
mod routes;
mod scenarios;
mod server;
mod state;
mod validate;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use scenarios::lrd_per_usd;

pub const CLIENT_ID: &str = "sandbox";
pub const CLIENT_SECRET: &str = "sandbox";
/// The merchant passcode the sandbox accepts; any other code gives 403.
pub const PASSCODE: &str = "000000";
/// The only API version served.
pub const API_VERSION: &str = "v1";
/// A payee phone number in the vendor's format: E.164 digits without `+`.
pub const SAMPLE_PHONE: &str = "231771234567";

/// Payout account id and what it does.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "18",
        "PENDING, then PROCESSING after 1 s, COMPLETED 3 s after execute (USD to USD)",
    ),
    (
        "19",
        "FAILED: the mobile money operator declined (gateway_message says so)",
    ),
    (
        "20",
        "card payout: PROCESSING with requires_action and a client_secret until confirmed",
    ),
    ("21", "stays PROCESSING for 2 minutes, then COMPLETED"),
    (
        "22",
        "executes at once, but the execute answer comes only after 20 s",
    ),
    (
        "23",
        "executes, then drops the connection without answering",
    ),
    (
        "24",
        "500 on the first execute of a reference, fine on a retry with the same reference",
    ),
    (
        "25",
        "429 with Retry-After: 2 on the first execute of a reference, fine afterwards",
    ),
    ("404", "no such payout account: 404"),
];

/// The test-only endpoints, for the banner. No bearer token needed.
pub const TEST_ENDPOINTS: &[(&str, &str)] = &[
    (
        "GET  /_sandbox/executions",
        "every execution with its status and counts",
    ),
    (
        "POST /_sandbox/confirm/{reference_id}",
        "complete a card payout's 3-D Secure step",
    ),
    (
        "POST /_sandbox/expire-tokens",
        "make every issued token expire",
    ),
    (
        "POST /_sandbox/sessions/{id}/expire",
        "make a payout session expire",
    ),
];

#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Lifetime of an access token (default 30 minutes).
    pub token_ttl: Duration,
    /// Lifetime of a payout session (default 15 minutes).
    pub session_ttl: Duration,
    /// How long account 22's execute answer takes (default 20 s).
    pub slow_answer: Duration,
    /// How long account 21 stays PROCESSING (default 120 s).
    pub processing_for: Duration,
    /// The client secret the token call accepts (default `sandbox`). Tests that scan files for
    /// secrets set a distinctive one.
    pub client_secret: String,
    /// The merchant passcode execute accepts (default `000000`).
    pub passcode: String,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            token_ttl: Duration::from_secs(30 * 60),
            session_ttl: Duration::from_secs(15 * 60),
            slow_answer: Duration::from_secs(20),
            processing_for: Duration::from_secs(120),
            client_secret: CLIENT_SECRET.to_string(),
            passcode: PASSCODE.to_string(),
        }
    }
}

/// A running sandbox. It stops on [`SandboxHandle::shutdown`] or when dropped.
pub struct SandboxHandle {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SandboxHandle {
    /// Stops accepting, closes every open connection and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Binds `listen` (port 0 picks a free port) and serves the sandbox on the current tokio
/// runtime. Returns as soon as the socket is bound.
pub async fn start(listen: SocketAddr, opts: SandboxOptions) -> std::io::Result<SandboxHandle> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let app = routes::router(Arc::new(state::Sandbox::new(opts)));
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(server::accept_loop(listener, app, stopped));
    let base_url = format!("http://{addr}");
    tracing::info!(target: "payout_console::sandbox", %base_url, "sandbox listening");
    Ok(SandboxHandle {
        addr,
        base_url,
        stop,
        task,
    })
}

/// What `payout-console sandbox` prints: where it listens, how to log in, and what each payout
/// account does.
pub fn banner(handle: &SandboxHandle) -> String {
    let mut out = String::new();
    let url = &handle.base_url;
    let _ = writeln!(out, "Dollr sandbox API listening on {url}");
    let _ = writeln!(out);
    let _ = writeln!(out, "  base URL       {url}");
    let _ = writeln!(
        out,
        "  API version    {API_VERSION}   (calls under {url}/{API_VERSION}/...)"
    );
    let _ = writeln!(out, "  client_id      {CLIENT_ID}");
    let _ = writeln!(out, "  client_secret  {CLIENT_SECRET}");
    let _ = writeln!(out, "  passcode       {PASSCODE}   (any other code: 403)");
    let _ = writeln!(out, "  sample phone   {SAMPLE_PHONE}");
    let _ = writeln!(
        out,
        "  rate           1 USD = {} LRD; amounts above 10000 USD fail (insufficient balance)",
        lrd_per_usd()
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "Payout accounts (the account picks the scenario):");
    for (account, what) in SCENARIOS {
        let _ = writeln!(out, "  {account:<5} {what}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Test-only endpoints (no token; the console never calls them):"
    );
    for (route, what) in TEST_ENDPOINTS {
        let _ = writeln!(out, "  {route:<40} {what}");
    }
    out
}
