//! TOML text to [`Config`]: walks the parsed document with its spans so that every problem
//! (unknown key, wrong type, secret written in the file, and the rules of `validate`) carries
//! its full key path and line, and all of them are reported at once.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use super::validate::{self, SECRET_ALTERNATIVES, join};
use super::{AccountEntry, Config, ConfigError, DeviceConfig, Problem, Profile};

/// The keys each table of the config accepts; anything else is an error naming it.
pub const TOP_KEYS: &[&str] = &["default_profile", "profiles", "keys"];
pub const PROFILE_KEYS: &[&str] = &[
    "base_url",
    "api_version",
    "timeout_secs",
    "connect_timeout_secs",
    "poll_interval_secs",
    "live",
    "client_id",
    "client_secret_command",
    "client_secret_file",
    "device",
    "phone",
    "user_id",
    "payout_accounts",
];
pub const DEVICE_KEYS: &[&str] = &["name", "type", "platform", "client_ip"];
pub const ACCOUNT_KEYS: &[&str] = &["id", "label", "provider", "currency"];

/// Keys that would hold a secret: refused wherever they appear, without echoing the value.
const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "secret",
    "token",
    "access_token",
    "bearer_token",
    "password",
    "api_key",
];
const PASSCODE_KEYS: &[&str] = &["passcode", "code", "merchant_passcode", "pin"];

type Value<'i> = Spanned<DeValue<'i>>;

pub(super) fn config_from_toml(text: &str, origin: &Path) -> Result<Config, ConfigError> {
    let root = DeTable::parse(text).map_err(|error| {
        let (line, column) = error
            .span()
            .map_or((1, 1), |span| line_col(text, span.start));
        ConfigError::Syntax {
            file: origin.to_path_buf(),
            line,
            column,
            message: error.message().to_owned(),
        }
    })?;
    let mut walker = Walker {
        text,
        origin,
        problems: Vec::new(),
        lines: HashMap::new(),
    };
    let (config, declared) = walker.document(root.get_ref());

    // The rules shared with `check`, on what could be built, located by the lines seen.
    let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    let mut rules = Vec::new();
    rules.extend(validate::default_profile(
        config.default_profile.as_deref(),
        &declared,
    ));
    for (name, profile) in &config.profiles {
        validate::profile(name, profile, &mut rules);
    }
    validate::keys(&config.keys, &mut rules);
    // A key the walk already reported (a wrong type, say) is not reported again.
    let reported: Vec<String> = walker.problems.iter().map(|p| p.key.clone()).collect();
    for mut problem in rules {
        if reported.iter().any(|key| is_at_or_under(&problem.key, key)) {
            continue;
        }
        problem.line = walker.line_for(&problem.key);
        walker.problems.push(problem);
    }

    if walker.problems.is_empty() {
        Ok(config)
    } else {
        let mut problems = walker.problems;
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(ConfigError::Invalid {
            file: origin.to_path_buf(),
            problems,
        })
    }
}

/// Whether `path` is `parent` or a key inside it.
fn is_at_or_under(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

struct Walker<'t> {
    text: &'t str,
    origin: &'t Path,
    problems: Vec<Problem>,
    /// The line of every key path seen, to locate the problems found after the walk.
    lines: HashMap<String, usize>,
}

impl Walker<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        line_col(self.text, span.start).0
    }

    fn seen(&mut self, path: &str, span: Range<usize>) {
        let line = self.line(span);
        self.lines.insert(path.to_owned(), line);
    }

    /// The line of `path`, else of its nearest parent that was seen.
    fn line_for(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(line) = self.lines.get(path) {
                return Some(*line);
            }
            path = &path[..path.rfind(['.', '['])?];
        }
    }

    fn report(&mut self, path: &str, span: Range<usize>, message: impl Into<String>) {
        let line = self.line(span);
        self.problems.push(Problem {
            key: path.to_owned(),
            message: message.into(),
            line: Some(line),
        });
    }

    fn unknown(&mut self, path: &str, span: Range<usize>, key: &str, allowed: &[&str]) {
        let message = if SECRET_KEYS.contains(&key) {
            format!(
                "secrets never go in the config file: remove this line, {SECRET_ALTERNATIVES}. \
                 If this file was shared, rotate the secret with Dollr"
            )
        } else if PASSCODE_KEYS.contains(&key) {
            "the merchant passcode is never stored anywhere: remove this line; the console asks \
             for it (or reads it with --code-stdin) at each payout"
                .to_owned()
        } else {
            let hint = suggestion(key, allowed)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            format!(
                "unknown key: {hint}fix its spelling or remove it (allowed here: {})",
                allowed.join(", ")
            )
        };
        self.report(path, span, message);
    }

    fn type_error(&mut self, path: &str, value: &Value<'_>, expected: &str) {
        let found = value.get_ref().type_str();
        self.report(
            path,
            value.span(),
            format!("must be {expected}, not {found}"),
        );
    }

    fn string(&mut self, path: &str, value: &Value<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.type_error(path, value, "a string in quotes");
                None
            }
        }
    }

    /// A string, or an integer taken as its digits (IDs and phone numbers).
    fn string_or_integer(&mut self, path: &str, value: &Value<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Integer(i) if i.radix() == 10 => Some(i.as_str().to_owned()),
            _ => {
                self.type_error(path, value, "a string in quotes");
                None
            }
        }
    }

    fn boolean(&mut self, path: &str, value: &Value<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.type_error(path, value, "true or false");
                None
            }
        }
    }

    fn seconds(&mut self, path: &str, value: &Value<'_>) -> Option<Duration> {
        let secs = match value.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        if secs.is_none() {
            if let DeValue::Integer(i) = value.get_ref() {
                // An integer that is not a u64: negative (or beyond any sensible timeout).
                let text = i.as_str();
                self.report(
                    path,
                    value.span(),
                    format!("must be a whole, positive number of seconds, not {text}"),
                );
            } else {
                self.type_error(path, value, "a whole, positive number of seconds");
            }
        }
        secs.map(Duration::from_secs)
    }

    fn table<'v, 'i>(&mut self, path: &str, value: &'v Value<'i>) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.type_error(path, value, "a table");
                None
            }
        }
    }

    /// The whole document, and the names of every profile declared (built or not).
    fn document(&mut self, root: &DeTable<'_>) -> (Config, Vec<String>) {
        let mut config = Config {
            origin: self.origin.to_path_buf(),
            ..Config::default()
        };
        let mut declared = Vec::new();
        for (key, value) in root {
            let name = key.get_ref().as_ref();
            let path = join("", name);
            self.seen(&path, key.span());
            match name {
                "default_profile" => config.default_profile = self.string(&path, value),
                "profiles" => {
                    let Some(profiles) = self.table(&path, value) else {
                        continue;
                    };
                    for (key, value) in profiles {
                        let name = key.get_ref().as_ref();
                        let profile_path = join(&path, name);
                        self.seen(&profile_path, key.span());
                        declared.push(name.to_owned());
                        if let Some(table) = self.table(&profile_path, value)
                            && let Some(profile) =
                                self.profile(name, &profile_path, table, key.span())
                        {
                            config.profiles.insert(name.to_owned(), profile);
                        }
                    }
                }
                "keys" => {
                    let Some(keys) = self.table(&path, value) else {
                        continue;
                    };
                    for (key, value) in keys {
                        let action = key.get_ref().as_ref();
                        let key_path = join(&path, action);
                        self.seen(&key_path, key.span());
                        if let Some(binding) = self.string(&key_path, value) {
                            config.keys.insert(action.to_owned(), binding);
                        }
                    }
                }
                _ => self.unknown(&path, key.span(), name, TOP_KEYS),
            }
        }
        (config, declared)
    }

    /// One profile; `None` when it has no usable base_url (the problem is reported).
    fn profile(
        &mut self,
        name: &str,
        path: &str,
        table: &DeTable<'_>,
        span: Range<usize>,
    ) -> Option<Profile> {
        let mut base_url = None;
        let mut base_url_seen = false;
        // The placeholder is replaced below, or the profile is dropped.
        let mut p = Profile::new(name, Url::parse("http://localhost/").ok()?);
        p.origin = Some(self.origin.to_path_buf());
        for (key, value) in table {
            let field = key.get_ref().as_ref();
            let path = join(path, field);
            self.seen(&path, key.span());
            match field {
                "base_url" => {
                    base_url_seen = true;
                    let Some(text) = self.string(&path, value) else {
                        continue;
                    };
                    match Url::parse(&text) {
                        Ok(url) => base_url = Some(url),
                        Err(e) => self.report(
                            &path,
                            value.span(),
                            format!(
                                "is not a URL ({e}): write it like \"https://api.heydollr.app\""
                            ),
                        ),
                    }
                }
                "api_version" => {
                    if let Some(v) = self.string(&path, value) {
                        p.api_version = v;
                    }
                }
                "timeout_secs" => {
                    if let Some(d) = self.seconds(&path, value) {
                        p.timeout = d;
                    }
                }
                "connect_timeout_secs" => {
                    if let Some(d) = self.seconds(&path, value) {
                        p.connect_timeout = d;
                    }
                }
                "poll_interval_secs" => {
                    if let Some(d) = self.seconds(&path, value) {
                        p.poll_interval = d;
                    }
                }
                "live" => {
                    if let Some(b) = self.boolean(&path, value) {
                        p.live = b;
                    }
                }
                "client_id" => p.client_id = self.string(&path, value),
                "client_secret_command" => p.client_secret_command = self.string(&path, value),
                "client_secret_file" => {
                    p.client_secret_file = self
                        .string(&path, value)
                        .and_then(|text| self.secret_path(&path, value.span(), &text));
                }
                "device" => {
                    if let Some(table) = self.table(&path, value) {
                        self.device(&path, table, &mut p.device);
                    }
                }
                "phone" => p.phone = self.string_or_integer(&path, value),
                "user_id" => p.user_id = self.string_or_integer(&path, value),
                "payout_accounts" => p.payout_accounts = self.accounts(&path, value),
                _ => self.unknown(&path, key.span(), field, PROFILE_KEYS),
            }
        }
        match base_url {
            Some(url) => {
                p.base_url = url;
                Some(p)
            }
            None => {
                if !base_url_seen {
                    self.report(
                        &join(path, "base_url"),
                        span,
                        "is missing: every profile needs the API's address, e.g. \
                         base_url = \"https://api.heydollr.app\"",
                    );
                }
                None
            }
        }
    }

    fn device(&mut self, path: &str, table: &DeTable<'_>, device: &mut DeviceConfig) {
        for (key, value) in table {
            let field = key.get_ref().as_ref();
            let path = join(path, field);
            self.seen(&path, key.span());
            match field {
                "name" => device.name = self.string(&path, value),
                "type" => {
                    if let Some(kind) = self.string(&path, value) {
                        device.kind = kind;
                    }
                }
                "platform" => {
                    if let Some(platform) = self.string(&path, value) {
                        device.platform = platform;
                    }
                }
                "client_ip" => device.client_ip = self.string(&path, value),
                _ => self.unknown(&path, key.span(), field, DEVICE_KEYS),
            }
        }
    }

    fn accounts(&mut self, path: &str, value: &Value<'_>) -> Vec<AccountEntry> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                path,
                value,
                "a list of tables, each written [[profiles.NAME.payout_accounts]]",
            );
            return Vec::new();
        };
        let mut accounts = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let entry = format!("{path}[{index}]");
            self.seen(&entry, item.span());
            let Some(table) = self.table(&entry, item) else {
                accounts.push(AccountEntry {
                    id: String::new(),
                    label: String::new(),
                    provider: None,
                    currency: None,
                });
                continue;
            };
            let (mut id, mut label, mut provider, mut currency) = (None, None, None, None);
            for (key, value) in table {
                let field = key.get_ref().as_ref();
                let path = join(&entry, field);
                self.seen(&path, key.span());
                match field {
                    "id" => id = self.string_or_integer(&path, value),
                    "label" => label = self.string(&path, value),
                    "provider" => provider = self.string(&path, value),
                    "currency" => currency = self.string(&path, value),
                    _ => self.unknown(&path, key.span(), field, ACCOUNT_KEYS),
                }
            }
            // One entry per table, so that indices match the file; a missing id is left empty
            // for `validate` to report.
            let id = id.unwrap_or_default();
            accounts.push(AccountEntry {
                label: label.unwrap_or_else(|| id.clone()),
                id,
                provider,
                currency,
            });
        }
        accounts
    }

    /// `~/` is the home directory; a relative path is relative to the config file's directory.
    fn secret_path(&mut self, path: &str, span: Range<usize>, text: &str) -> Option<PathBuf> {
        if let Some(rest) = text
            .strip_prefix("~/")
            .or(if text == "~" { Some("") } else { None })
        {
            let Some(dirs) = directories::BaseDirs::new() else {
                self.report(
                    path,
                    span,
                    "starts with ~ but no home directory is known: write an absolute path",
                );
                return None;
            };
            return Some(dirs.home_dir().join(rest));
        }
        let file = PathBuf::from(text);
        if file.is_relative() && !text.is_empty() {
            let dir = self.origin.parent().unwrap_or(Path::new(""));
            return Some(dir.join(file));
        }
        Some(file)
    }
}

/// The allowed key closest to a misspelt one, if any is close.
fn suggestion<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, candidate)| {
            *distance <= 2.max(key.len() / 3)
                || (key.len() >= 4 && (candidate.starts_with(key) || key.starts_with(candidate)))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("a = 1\nbb = 2", 0), (1, 1));
        assert_eq!(line_col("a = 1\nbb = 2", 8), (2, 3));
    }

    #[test]
    fn misspelt_keys_get_a_suggestion() {
        assert_eq!(suggestion("timout_sec", PROFILE_KEYS), Some("timeout_secs"));
        assert_eq!(suggestion("timeout", PROFILE_KEYS), Some("timeout_secs"));
        assert_eq!(suggestion("baseurl", PROFILE_KEYS), Some("base_url"));
        assert_eq!(suggestion("zzzzzz", PROFILE_KEYS), None);
    }
}
