//! How a command fails, and the exit code each failure gives (SPEC.md).

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or bad input: exit 2.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Config(ConfigError),
    /// Rejected by the API, nothing executed: exit 3.
    #[error("{0}")]
    Rejected(String),
    /// Not final or not known: exit 5.
    #[error("{0}")]
    NotFinal(String),
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Rejected(_) => 3,
            CliError::NotFinal(_) => 5,
            CliError::Other(_) => 1,
        }
    }
}
