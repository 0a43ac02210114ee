//! Where the config file, the data directory and the log file live.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::{ConfigError, ENV_CONFIG, ENV_DATA_DIR, Env, env_value, process_env};

/// The files and directories in use (`config path` prints them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    /// The history database and the logs live here.
    pub data_dir: PathBuf,
    /// `data_dir/logs/payout-console.log`.
    pub log_file: PathBuf,
}

impl Paths {
    /// Config file: `--config`, else `PAYOUT_CONSOLE_CONFIG`, else `config.toml` in the
    /// platform's config dir (`~/.config/payout-console/` on Linux). Data directory:
    /// `PAYOUT_CONSOLE_DATA_DIR`, else the platform's data dir
    /// (`~/.local/share/payout-console/` on Linux).
    pub fn resolve(cli_config: Option<&Path>) -> Result<Paths, ConfigError> {
        Paths::resolve_with(cli_config, &process_env)
    }

    /// [`Paths::resolve`] with an explicit environment. The platform directories still come
    /// from the process (`HOME`), and are looked up only when an override is missing.
    pub fn resolve_with(cli_config: Option<&Path>, env: Env<'_>) -> Result<Paths, ConfigError> {
        let project = || ProjectDirs::from("app", "payout-console", "payout-console");
        let config_file = match (cli_config, env_value(env, ENV_CONFIG)) {
            (Some(path), _) => path.to_path_buf(),
            (None, Some(path)) => PathBuf::from(path),
            (None, None) => project()
                .ok_or(ConfigError::NoHomeDir {
                    what: "config file",
                    hint: "pass --config FILE or set PAYOUT_CONSOLE_CONFIG",
                })?
                .config_dir()
                .join("config.toml"),
        };
        let data_dir = match env_value(env, ENV_DATA_DIR) {
            Some(path) => PathBuf::from(path),
            None => project()
                .ok_or(ConfigError::NoHomeDir {
                    what: "data directory (history and logs)",
                    hint: "set PAYOUT_CONSOLE_DATA_DIR to a directory",
                })?
                .data_dir()
                .to_path_buf(),
        };
        let log_file = data_dir.join("logs").join("payout-console.log");
        Ok(Paths {
            config_file,
            data_dir,
            log_file,
        })
    }
}
