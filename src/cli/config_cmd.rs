//! `payout-console config check` and `config path`.

use super::args::ConfigAction;
use super::error::CliError;
use crate::config::{Config, Paths};

pub fn run(paths: &Paths, action: &ConfigAction) -> Result<i32, CliError> {
    match action {
        ConfigAction::Path => {
            println!("config   {}", paths.config_file.display());
            println!("data     {}", paths.data_dir.display());
            println!(
                "history  {}",
                paths.data_dir.join("history.sqlite3").display()
            );
            println!("log      {}", paths.log_file.display());
            Ok(0)
        }
        ConfigAction::Check => {
            let config = match Config::load(&paths.config_file) {
                Ok(c) => c,
                Err(e) if !e.problems().is_empty() => {
                    for p in e.problems() {
                        eprintln!("{}: {p}", paths.config_file.display());
                    }
                    return Ok(2);
                }
                Err(e) => return Err(CliError::Config(e)),
            };
            let mut problems: Vec<String> =
                config.check().iter().map(ToString::to_string).collect();
            // The console reads `[keys]` through its key table; check them the same way, so an
            // "ok" here means the console will start.
            if let Err(errors) = crate::tui::keymap::Keymap::with_overrides(&config.keys) {
                problems.extend(errors.0.iter().map(ToString::to_string));
            }
            if problems.is_empty() {
                eprintln!(
                    "{}: ok ({} profiles)",
                    paths.config_file.display(),
                    config.profiles.len()
                );
                return Ok(0);
            }
            for p in &problems {
                eprintln!("{}: {p}", paths.config_file.display());
            }
            Ok(2)
        }
    }
}
