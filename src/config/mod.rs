//! Profiles, credentials and paths: everything read from the config file and the environment.
//!
//! The config file is TOML (`config.example.toml` at the repo root documents every key). Loading
//! it ([`Config::load`] / [`Config::from_toml`]) refuses anything structurally wrong, reporting
//! every problem at once with its full key path and line; [`Config::check`] adds what depends on
//! the machine (secret files, credentials present in the environment) for `config check`.
//!
//! Environment overrides, all optional (an empty value counts as unset):
//! - `PAYOUT_CONSOLE_CONFIG`: the config file, unless `--config` is given ([`Paths::resolve`]).
//! - `PAYOUT_CONSOLE_DATA_DIR`: the data directory (history database, logs).
//! - `PAYOUT_CONSOLE_PROFILE`: the profile, unless `--profile` is given ([`Config::select`]).
//! - `PAYOUT_CONSOLE_BASE_URL`: replaces the selected profile's `base_url`
//!   ([`Profile::with_env_overrides`], applied by the caller after `select`).
//! - `PAYOUT_CONSOLE_CLIENT_SECRET`: the client secret, before `client_secret_command` and
//!   `client_secret_file` ([`Profile::credentials`]).
//! - `PAYOUT_CONSOLE_TOKEN`: a ready bearer token; overrides every other credential.
//!
//! Functions that read the environment take it as a lookup closure (`&dyn Fn(&str) ->
//! Option<String>`, [`process_env`] for the real one) so tests never mutate the process
//! environment.

mod credentials;
mod error;
mod parse;
mod paths;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

pub use credentials::Credentials;
pub use error::ConfigError;
pub use parse::{ACCOUNT_KEYS, DEVICE_KEYS, PROFILE_KEYS, TOP_KEYS};
pub use paths::Paths;

/// The config file, instead of the default location (`--config` wins over it).
pub const ENV_CONFIG: &str = "PAYOUT_CONSOLE_CONFIG";
/// The profile to use, instead of `default_profile` (`--profile` wins over it).
pub const ENV_PROFILE: &str = "PAYOUT_CONSOLE_PROFILE";
/// The data directory (history database, logs), instead of the platform's data dir.
pub const ENV_DATA_DIR: &str = "PAYOUT_CONSOLE_DATA_DIR";
/// The client secret, before `client_secret_command` and `client_secret_file`.
pub const ENV_CLIENT_SECRET: &str = "PAYOUT_CONSOLE_CLIENT_SECRET";
/// A ready bearer token, overriding every other credential.
pub const ENV_TOKEN: &str = "PAYOUT_CONSOLE_TOKEN";
/// Replaces the selected profile's `base_url`.
pub const ENV_BASE_URL: &str = "PAYOUT_CONSOLE_BASE_URL";

/// Default `api_version`.
pub const DEFAULT_API_VERSION: &str = "v1";
/// Default `timeout_secs`: the whole request, answer included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `connect_timeout_secs`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `poll_interval_secs`: the pause between status polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Default `device.type`.
pub const DEFAULT_DEVICE_TYPE: &str = "SERVER";

/// An environment lookup: `Some(value)` when the variable is set.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The real process environment, as an [`Env`] lookup.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// A variable's value, with an empty value counting as unset.
fn env_value(env: Env<'_>, key: &str) -> Option<String> {
    env(key).filter(|value| !value.is_empty())
}

/// The parsed config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The profile used when neither `--profile` nor `PAYOUT_CONSOLE_PROFILE` names one.
    pub default_profile: Option<String>,
    /// `[profiles.NAME]` tables, by name.
    pub profiles: BTreeMap<String, Profile>,
    /// `[keys]`: `action = "key"` overrides for the TUI, which validates them.
    pub keys: BTreeMap<String, String>,
    /// The file this was read from (empty when built in code); error messages name it.
    pub origin: PathBuf,
}

/// One `[profiles.NAME]` table: where the API is and how to authenticate to it.
#[derive(Clone, PartialEq)]
pub struct Profile {
    /// The profile's name (the `NAME` of `[profiles.NAME]`).
    pub name: String,
    /// The config file it came from; `None` for built-in profiles.
    pub origin: Option<PathBuf>,
    /// The built-in `--sandbox` profile: fixed sandbox credentials, no environment overrides.
    pub sandbox: bool,
    pub base_url: Url,
    /// Default `v1`.
    pub api_version: String,
    /// Key `timeout_secs`, default 30.
    pub timeout: Duration,
    /// Key `connect_timeout_secs`, default 10.
    pub connect_timeout: Duration,
    /// Key `poll_interval_secs`, default 2.
    pub poll_interval: Duration,
    /// Real money: red LIVE banner and a typed confirmation before executing. Default false.
    pub live: bool,
    pub client_id: Option<String>,
    /// Run through `sh -c`; its trimmed stdout is the client secret.
    pub client_secret_command: Option<String>,
    /// A file holding the client secret, mode 0600 (or 0400). Already resolved: `~/` expanded
    /// and relative paths taken from the config file's directory.
    pub client_secret_file: Option<PathBuf>,
    pub device: DeviceConfig,
    /// Default phone for the passcode form: E.164 digits without `+`.
    pub phone: Option<String>,
    /// Default user_id for the passcode form.
    pub user_id: Option<String>,
    /// `[[profiles.NAME.payout_accounts]]`: the accounts offered in the pickers.
    pub payout_accounts: Vec<AccountEntry>,
}

/// `[profiles.NAME.device]`: the `passcode.device` fields sent on execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// Default: the hostname, filled by the caller.
    pub name: Option<String>,
    /// Key `type`, default `SERVER`.
    pub kind: String,
    /// Default: the OS uppercased, e.g. `LINUX`.
    pub platform: String,
    /// Default: detected by the caller.
    pub client_ip: Option<String>,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig {
            name: None,
            kind: DEFAULT_DEVICE_TYPE.to_owned(),
            platform: std::env::consts::OS.to_uppercase(),
            client_ip: None,
        }
    }
}

/// One `[[profiles.NAME.payout_accounts]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEntry {
    /// The payout account ID Dollr gave it (written as a string or an integer).
    pub id: String,
    /// What the operator sees; defaults to the id.
    pub label: String,
    pub provider: Option<String>,
    /// ISO 4217, uppercase.
    pub currency: Option<String>,
}

/// One thing wrong with the configuration, for `config check` and [`ConfigError::Invalid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The full key path at fault, e.g. `profiles.live.timeout_secs`, or the environment
    /// variable's name.
    pub key: String,
    /// What is wrong and what to do about it. Never contains a secret.
    pub message: String,
    /// The line in the config file, when known.
    pub line: Option<usize>,
}

impl Problem {
    fn new(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            message: message.into(),
            line: None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

impl Config {
    /// Reads and parses the config file. A missing file is [`ConfigError::NotFound`], so a
    /// caller that can do without a config (`--sandbox`) can tell it from a broken one.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    file: path.to_path_buf(),
                }
            } else {
                ConfigError::Read {
                    file: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Config::from_toml(&text, path)
    }

    /// Parses config text read from `origin`. Malformed TOML is [`ConfigError::Syntax`] with
    /// line and column; unknown keys, wrong types, a secret written in the file and every other
    /// structural problem are collected into one [`ConfigError::Invalid`].
    pub fn from_toml(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        parse::config_from_toml(text, origin)
    }

    /// The profile to use: `--profile`, else `PAYOUT_CONSOLE_PROFILE`, else `default_profile`,
    /// else the only profile. Does not apply `PAYOUT_CONSOLE_BASE_URL`: call
    /// [`Profile::with_env_overrides`] on the result.
    pub fn select(&self, cli_profile: Option<&str>) -> Result<(String, &Profile), ConfigError> {
        self.select_with(cli_profile, &process_env)
    }

    /// [`Config::select`] with an explicit environment.
    pub fn select_with(
        &self,
        cli_profile: Option<&str>,
        env: Env<'_>,
    ) -> Result<(String, &Profile), ConfigError> {
        let (name, from) = if let Some(name) = cli_profile {
            (name.to_owned(), "--profile")
        } else if let Some(name) = env_value(env, ENV_PROFILE) {
            (name, ENV_PROFILE)
        } else if let Some(name) = &self.default_profile {
            (name.clone(), "default_profile")
        } else {
            let mut profiles = self.profiles.iter();
            return match (profiles.next(), profiles.next()) {
                (Some((name, profile)), None) => Ok((name.clone(), profile)),
                (None, _) => Err(ConfigError::NoProfiles {
                    file: self.origin.clone(),
                }),
                (Some(_), Some(_)) => Err(ConfigError::NoProfileChosen {
                    file: self.origin.clone(),
                    known: self.profile_names(),
                }),
            };
        };
        match self.profiles.get(&name) {
            Some(profile) => Ok((name, profile)),
            None => Err(ConfigError::UnknownProfile {
                file: self.origin.clone(),
                name,
                from,
                known: self.profile_names(),
            }),
        }
    }

    /// Every problem, not just the first: the structural ones (none for a config that
    /// [`Config::from_toml`] accepted), the environment overrides, and for each profile whether
    /// credentials can be found and the secret file is usable. Never runs
    /// `client_secret_command`.
    pub fn check(&self) -> Vec<Problem> {
        self.check_with(&process_env)
    }

    /// [`Config::check`] with an explicit environment.
    pub fn check_with(&self, env: Env<'_>) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.profiles.is_empty() {
            problems.push(Problem::new(
                "profiles",
                "no profile is defined: add a [profiles.NAME] table with at least base_url \
                 (see config.example.toml), or run with --sandbox",
            ));
        }
        let names: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
        problems.extend(validate::default_profile(
            self.default_profile.as_deref(),
            &names,
        ));
        for (name, profile) in &self.profiles {
            validate::profile(name, profile, &mut problems);
            validate::credentials(name, profile, env, &mut problems);
        }
        validate::keys(&self.keys, &mut problems);
        validate::environment(&names, env, &mut problems);
        problems
    }

    /// The names of the profiles, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }
}

impl Profile {
    /// A profile with every default: `v1`, 30 s timeout, 10 s connect timeout, 2 s poll
    /// interval, not live, no credentials, default device, no accounts.
    pub fn new(name: &str, base_url: Url) -> Profile {
        Profile {
            name: name.to_owned(),
            origin: None,
            sandbox: false,
            base_url,
            api_version: DEFAULT_API_VERSION.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            live: false,
            client_id: None,
            client_secret_command: None,
            client_secret_file: None,
            device: DeviceConfig::default(),
            phone: None,
            user_id: None,
            payout_accounts: Vec::new(),
        }
    }

    /// `"{base_url without trailing slash}/{api_version}"`, e.g. `https://api.heydollr.app/v1`.
    pub fn api_base(&self) -> String {
        format!(
            "{}/{}",
            self.base_url.as_str().trim_end_matches('/'),
            self.api_version
        )
    }

    /// The profile `--sandbox` uses, against the embedded sandbox at `base_url` (a loopback URL
    /// such as `http://127.0.0.1:41234`): not live, client_id `sandbox` (its credentials are
    /// fixed, see [`Profile::credentials`]), 1 s polls, the sandbox's scenario accounts 18 to 25.
    ///
    /// # Panics
    /// If `base_url` is not a URL: the caller builds it from the address it bound.
    pub fn sandbox(base_url: &str) -> Profile {
        let url = Url::parse(base_url)
            .unwrap_or_else(|e| panic!("sandbox base URL {base_url:?} is not a URL: {e}"));
        let account = |id: &str, label: &str, currency: &str| AccountEntry {
            id: id.to_owned(),
            label: label.to_owned(),
            provider: Some("sandbox".to_owned()),
            currency: Some(currency.to_owned()),
        };
        Profile {
            sandbox: true,
            client_id: Some("sandbox".to_owned()),
            poll_interval: Duration::from_secs(1),
            phone: Some("231771234567".to_owned()),
            payout_accounts: vec![
                account("18", "Sandbox USD mobile money", "USD"),
                account("19", "declines", "LRD"),
                account("20", "card, 3-D Secure", "LRD"),
                account("21", "slow processing", "LRD"),
                account("22", "slow answer", "LRD"),
                account("23", "drops connection", "LRD"),
                account("24", "500 then ok", "LRD"),
                account("25", "429 then ok", "LRD"),
            ],
            ..Profile::new("sandbox", url)
        }
    }

    /// This profile with `PAYOUT_CONSOLE_BASE_URL` applied, validated like `base_url` (plain
    /// `http://` only to loopback; the production API only on a live profile). The built-in
    /// sandbox profile is returned unchanged.
    pub fn with_env_overrides(&self, env: Env<'_>) -> Result<Profile, ConfigError> {
        let mut profile = self.clone();
        if self.sandbox {
            return Ok(profile);
        }
        if let Some(value) = env_value(env, ENV_BASE_URL) {
            let problem = |message: String| ConfigError::Env {
                var: ENV_BASE_URL,
                message,
            };
            profile.base_url = Url::parse(&value).map_err(|e| {
                problem(format!(
                    "is not a URL ({e}): set it like https://api.heydollr.app, or unset it"
                ))
            })?;
            if let Some(message) = validate::base_url(&profile.base_url) {
                return Err(problem(message));
            }
            if let Some(message) = validate::live_for_production(&profile) {
                return Err(problem(format!(
                    "points at the production API but profile `{}` is not live: {message}",
                    profile.name
                )));
            }
        }
        Ok(profile)
    }

    /// The credentials to authenticate with; see [`Credentials`] for the order of sources.
    pub fn credentials(&self, env: Env<'_>) -> Result<Credentials, ConfigError> {
        credentials::resolve(self, env)
    }

    /// `profiles.NAME.FIELD`, for messages.
    fn key(&self, field: &str) -> String {
        validate::profile_key(&self.name, field)
    }
}

/// Hand-written so that `client_secret_command`, which may embed a secret, is never printed.
impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("origin", &self.origin)
            .field("sandbox", &self.sandbox)
            .field("base_url", &redacted_url(&self.base_url))
            .field("api_version", &self.api_version)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("poll_interval", &self.poll_interval)
            .field("live", &self.live)
            .field("client_id", &self.client_id)
            .field(
                "client_secret_command",
                &self.client_secret_command.as_ref().map(|_| "[set]"),
            )
            .field("client_secret_file", &self.client_secret_file)
            .field("device", &self.device)
            .field("phone", &self.phone)
            .field("user_id", &self.user_id)
            .field("payout_accounts", &self.payout_accounts)
            .finish()
    }
}

/// The URL as text, with any password replaced.
fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have a password, which this one has.
        let _ = shown.set_password(Some("[redacted]"));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests;
