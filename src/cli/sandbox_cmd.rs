//! `payout-console sandbox`: the sandbox API as a standalone server.

use super::args::SandboxArgs;
use super::error::CliError;
use crate::sandbox::{self, SandboxOptions};

pub async fn run(args: &SandboxArgs) -> Result<i32, CliError> {
    if !args.listen.ip().is_loopback() {
        return Err(CliError::Usage(format!(
            "listen: {} is not a loopback address; the sandbox only listens on 127.0.0.1 or ::1",
            args.listen
        )));
    }
    let handle = sandbox::start(args.listen, SandboxOptions::default())
        .await
        .map_err(|e| CliError::Other(format!("could not listen on {}: {e}", args.listen)))?;
    println!("{}", sandbox::banner(&handle));
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    handle.shutdown().await;
    Ok(0)
}
