//! Errors from reading the config, choosing a profile and finding credentials. Every message
//! names the file and the key at fault and says what to do; none contains a secret.

use std::path::{Path, PathBuf};

use super::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No home directory, so no default location for the config file or the data directory.
    #[error("cannot find a home directory to put the {what} in: {hint}")]
    NoHomeDir {
        what: &'static str,
        hint: &'static str,
    },

    /// The config file does not exist; `--sandbox` can do without one.
    #[error(
        "config file {} not found: create it from config.example.toml, pass --config FILE or \
         set PAYOUT_CONSOLE_CONFIG, or try the sandbox with --sandbox",
        .file.display()
    )]
    NotFound { file: PathBuf },

    #[error("cannot read config file {}: {source}; check the path and its permissions", .file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Malformed TOML. `message` is the parser's description only, never the offending line.
    #[error("{}:{line}:{column}: malformed TOML: {message}; fix the syntax there", .file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// Everything structurally wrong with the file, in line order.
    #[error("{}", invalid_message(.file, .problems))]
    Invalid {
        file: PathBuf,
        problems: Vec<Problem>,
    },

    #[error(
        "{} defines no profile: add a [profiles.NAME] table with at least base_url (see \
         config.example.toml), or run with --sandbox",
        shown(.file)
    )]
    NoProfiles { file: PathBuf },

    #[error(
        "{} defines several profiles ({}) and none is chosen: pass --profile NAME, set \
         PAYOUT_CONSOLE_PROFILE, or set default_profile in the file",
        shown(.file),
        .known.join(", ")
    )]
    NoProfileChosen { file: PathBuf, known: Vec<String> },

    #[error(
        "profile `{name}` (from {from}) is not defined in {}; known profiles: {}. Use one of \
         those or add a [profiles.{name}] table",
        shown(.file),
        known_list(.known)
    )]
    UnknownProfile {
        file: PathBuf,
        name: String,
        /// Where the name came from: `--profile`, `PAYOUT_CONSOLE_PROFILE` or `default_profile`.
        from: &'static str,
        known: Vec<String>,
    },

    /// An environment override is unusable.
    #[error("environment variable {var} {message}")]
    Env { var: &'static str, message: String },

    #[error(
        "profile `{profile}`{} has no client_id: set `profiles.{profile}.client_id` (with a \
         client secret source), or set PAYOUT_CONSOLE_TOKEN to a ready bearer token",
        in_file(.file.as_deref())
    )]
    NoClientId {
        profile: String,
        file: Option<PathBuf>,
    },

    #[error(
        "profile `{profile}`{} has a client_id but no client secret: set \
         PAYOUT_CONSOLE_CLIENT_SECRET, or `profiles.{profile}.client_secret_command` (a command \
         printing it, e.g. \"pass show dollr/client-secret\"), or \
         `profiles.{profile}.client_secret_file` (a file with mode 0600)",
        in_file(.file.as_deref())
    )]
    NoClientSecret {
        profile: String,
        file: Option<PathBuf>,
    },

    #[error("`{key}`{} {message}", in_file(.file.as_deref()))]
    SecretCommand {
        /// `profiles.NAME.client_secret_command`.
        key: String,
        file: Option<PathBuf>,
        message: String,
    },

    #[error("client secret file {} (from `{key}`{}) {message}", .secret_file.display(), in_file(.file.as_deref()))]
    SecretFile {
        secret_file: PathBuf,
        /// `profiles.NAME.client_secret_file`.
        key: String,
        file: Option<PathBuf>,
        message: String,
    },
}

impl ConfigError {
    /// The problems behind this error, for `config check`: all of them for
    /// [`ConfigError::Invalid`], none otherwise.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// The config file for a message; a config built in code has none.
fn shown(file: &Path) -> String {
    if file.as_os_str().is_empty() {
        "the configuration (no file)".to_owned()
    } else {
        file.display().to_string()
    }
}

fn in_file(file: Option<&Path>) -> String {
    match file {
        Some(file) if !file.as_os_str().is_empty() => format!(" in {}", file.display()),
        _ => String::new(),
    }
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "none".to_owned()
    } else {
        known.join(", ")
    }
}

fn invalid_message(file: &Path, problems: &[Problem]) -> String {
    match problems {
        [only] => format!("{}: {only}", shown(file)),
        _ => {
            let mut text = format!("{} has {} problems:", shown(file), problems.len());
            for problem in problems {
                text.push_str("\n  ");
                text.push_str(&problem.to_string());
            }
            text
        }
    }
}
