//! The rules a configuration must follow, shared by [`Config::from_toml`] (which adds line
//! numbers) and [`Config::check`].
//!
//! [`Config::from_toml`]: super::Config::from_toml
//! [`Config::check`]: super::Config::check

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use url::{Host, Url};

use super::{
    ENV_BASE_URL, ENV_CLIENT_SECRET, ENV_PROFILE, ENV_TOKEN, Env, Problem, Profile, env_value,
};

/// The production API's host: a profile pointing at it must be live.
pub(super) const PRODUCTION_HOST: &str = "api.heydollr.app";

const MAX_TIMEOUT_SECS: u64 = 600;
const MAX_CONNECT_TIMEOUT_SECS: u64 = 120;
const MAX_POLL_INTERVAL_SECS: u64 = 300;

/// Where secrets go instead of the config file.
pub(super) const SECRET_ALTERNATIVES: &str = "set PAYOUT_CONSOLE_CLIENT_SECRET, or \
     client_secret_command (a command printing the secret, e.g. \"pass show dollr/client-secret\"), \
     or client_secret_file (a file with mode 0600); a ready bearer token goes in \
     PAYOUT_CONSOLE_TOKEN";

/// `profiles.NAME`, quoting the name when it is not a bare TOML key.
pub(super) fn profile_path(name: &str) -> String {
    join("profiles", name)
}

/// `profiles.NAME.FIELD`.
pub(super) fn profile_key(name: &str, field: &str) -> String {
    join(&profile_path(name), field)
}

/// `parent.key`, quoting `key` when it is not a bare TOML key.
pub(super) fn join(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// Every structural problem of one profile.
pub(super) fn profile(name: &str, p: &Profile, out: &mut Vec<Problem>) {
    let key = |field: &str| profile_key(name, field);
    let mut push = |key: String, message: String| out.push(Problem::new(key, message));

    if let Some(message) = profile_name(name) {
        push(profile_path(name), message);
    }
    if let Some(message) = base_url(&p.base_url) {
        push(key("base_url"), message);
    }
    if let Some(message) = live_for_production(p) {
        push(key("live"), message);
    }
    if let Some(message) = api_version(&p.api_version) {
        push(key("api_version"), message);
    }
    for (field, value, max, default) in [
        (
            "timeout_secs",
            p.timeout,
            MAX_TIMEOUT_SECS,
            super::DEFAULT_TIMEOUT,
        ),
        (
            "connect_timeout_secs",
            p.connect_timeout,
            MAX_CONNECT_TIMEOUT_SECS,
            super::DEFAULT_CONNECT_TIMEOUT,
        ),
        (
            "poll_interval_secs",
            p.poll_interval,
            MAX_POLL_INTERVAL_SECS,
            super::DEFAULT_POLL_INTERVAL,
        ),
    ] {
        if let Some(message) = seconds(value, max, default) {
            push(key(field), message);
        }
    }
    if let Some(id) = &p.client_id
        && (id.is_empty() || id.chars().any(char::is_whitespace))
    {
        push(
            key("client_id"),
            "is empty or contains spaces: set it to the client ID from the Dollr dashboard, or \
             remove it"
                .to_owned(),
        );
    }
    if p.client_secret_command
        .as_ref()
        .is_some_and(|c| c.trim().is_empty())
    {
        push(
            key("client_secret_command"),
            "is empty: set it to a command printing the client secret, e.g. \
             \"pass show dollr/client-secret\", or remove it"
                .to_owned(),
        );
    }
    if p.client_secret_file
        .as_ref()
        .is_some_and(|f| f.as_os_str().is_empty())
    {
        push(
            key("client_secret_file"),
            "is empty: set it to the path of a file holding the client secret (mode 0600), or \
             remove it"
                .to_owned(),
        );
    }
    let device = profile_key(name, "device");
    if p.device.name.as_ref().is_some_and(|n| n.trim().is_empty()) {
        push(
            join(&device, "name"),
            "is empty: set a device name, or remove it to send the hostname".to_owned(),
        );
    }
    for (field, value, example) in [
        ("type", &p.device.kind, "SERVER"),
        ("platform", &p.device.platform, "LINUX"),
    ] {
        if value.is_empty() || value.chars().any(char::is_whitespace) {
            push(
                join(&device, field),
                format!(
                    "is empty or contains spaces: write one word such as \"{example}\", or remove it for the default"
                ),
            );
        }
    }
    if let Some(ip) = &p.device.client_ip
        && ip.parse::<IpAddr>().is_err()
    {
        push(
            join(&device, "client_ip"),
            "is not an IP address: write it like \"203.0.113.7\", or remove it to detect it"
                .to_owned(),
        );
    }
    if let Some(message) = p.phone.as_deref().and_then(phone) {
        push(key("phone"), message);
    }
    if p.user_id.as_ref().is_some_and(|u| u.trim().is_empty()) {
        push(
            key("user_id"),
            "is empty: set the user_id to prefill, or remove it".to_owned(),
        );
    }
    accounts(&key("payout_accounts"), p, out);
}

fn accounts(path: &str, p: &Profile, out: &mut Vec<Problem>) {
    let mut seen = BTreeSet::new();
    for (index, account) in p.payout_accounts.iter().enumerate() {
        let entry = format!("{path}[{index}]");
        let id = account.id.trim();
        if id.is_empty() {
            out.push(Problem::new(
                join(&entry, "id"),
                "is missing or empty: every payout account needs the ID Dollr gave it, e.g. \
                 id = \"18\"",
            ));
        } else if account.id.chars().any(char::is_whitespace) {
            out.push(Problem::new(
                join(&entry, "id"),
                "contains spaces: write the payout account ID exactly as Dollr gave it",
            ));
        } else if !seen.insert(id) {
            out.push(Problem::new(
                join(&entry, "id"),
                format!("repeats the payout account `{id}` listed above: remove one of them"),
            ));
        }
        if !id.is_empty() && account.label.trim().is_empty() {
            out.push(Problem::new(
                join(&entry, "label"),
                "is empty: write what the operator should see, or remove it to show the id",
            ));
        }
        if account
            .provider
            .as_ref()
            .is_some_and(|v| v.trim().is_empty())
        {
            out.push(Problem::new(
                join(&entry, "provider"),
                "is empty: name the provider, or remove it",
            ));
        }
        if let Some(currency) = &account.currency
            && !(currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase()))
        {
            out.push(Problem::new(
                join(&entry, "currency"),
                "is not an ISO 4217 code: write three uppercase letters such as \"USD\"",
            ));
        }
    }
}

fn profile_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (!ok).then(|| {
        "is not a usable profile name: use letters, digits, `-` and `_` only, so that \
         --profile NAME can name it"
            .to_owned()
    })
}

/// What is wrong with a base URL, if anything. Never repeats the URL (it might carry a
/// password).
pub(super) fn base_url(url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!(
            "uses scheme `{}`: write an https:// URL, e.g. \"https://api.heydollr.app\"",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Some("has no host: write it like \"https://api.heydollr.app\"".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(format!(
            "carries a user name or password: remove it from the URL; {SECRET_ALTERNATIVES}"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Some(
            "has a query or fragment: write only scheme, host, port and path prefix".to_owned(),
        );
    }
    if url.scheme() == "http" && !is_loopback(url) {
        return Some(format!(
            "uses plain http:// to {}, which would send credentials and passcodes unencrypted: \
             use https:// (http:// is allowed only for 127.0.0.1, ::1 and localhost)",
            url.host_str().unwrap_or_default()
        ));
    }
    None
}

/// 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`.
pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// A profile pointing at the production API moves real money, so it must show the LIVE banner.
pub(super) fn live_for_production(p: &Profile) -> Option<String> {
    let production = p
        .base_url
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(PRODUCTION_HOST));
    (production && !p.live).then(|| {
        format!(
            "is false, but base_url points at the production API ({PRODUCTION_HOST}), which \
             moves real money: set live = true so the console shows the LIVE banner and asks \
             for confirmation"
        )
    })
}

fn api_version(version: &str) -> Option<String> {
    let ok = version
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    (!ok).then(|| {
        "is not a version like \"v1\": write `v` and a number, or remove it for the default \
         \"v1\""
            .to_owned()
    })
}

fn seconds(value: Duration, max: u64, default: Duration) -> Option<String> {
    let default = default.as_secs();
    if value.is_zero() {
        Some(format!(
            "is 0: set a number of seconds from 1 to {max}, or remove it for the default {default}"
        ))
    } else if value > Duration::from_secs(max) {
        Some(format!(
            "is {} seconds, longer than any operator would wait: use at most {max}, or remove it \
             for the default {default}",
            value.as_secs()
        ))
    } else {
        None
    }
}

/// Phone numbers are E.164 digits without `+`.
fn phone(phone: &str) -> Option<String> {
    if phone.starts_with('+') {
        Some(
            "starts with `+`: write the phone as digits only, without `+`, e.g. \"231771234567\""
                .to_owned(),
        )
    } else if phone.is_empty() || !phone.chars().all(|c| c.is_ascii_digit()) {
        Some("is not all digits: write the phone in E.164 form without `+`, spaces or dashes, e.g. \"231771234567\"".to_owned())
    } else if phone.len() > 15 {
        Some(
            "has more than 15 digits, the E.164 maximum: check the number, e.g. \"231771234567\""
                .to_owned(),
        )
    } else {
        None
    }
}

/// `default_profile` must name a profile that exists.
pub(super) fn default_profile(default: Option<&str>, known: &[&str]) -> Option<Problem> {
    let name = default?;
    (!known.contains(&name)).then(|| {
        let known = if known.is_empty() {
            "none is defined".to_owned()
        } else {
            format!("known profiles: {}", known.join(", "))
        };
        Problem::new(
            "default_profile",
            format!(
                "names the profile `{name}`, which is not defined ({known}): fix the name or add \
                 a [profiles.{name}] table"
            ),
        )
    })
}

pub(super) fn keys(keys: &BTreeMap<String, String>, out: &mut Vec<Problem>) {
    for (action, key) in keys {
        if key.trim().is_empty() {
            out.push(Problem::new(
                join("keys", action),
                "is empty: give a key such as \"q\", or remove the line to keep the default",
            ));
        }
    }
}

/// Whether the profile can find credentials, without running `client_secret_command` or
/// reading the secret.
pub(super) fn credentials(name: &str, p: &Profile, env: Env<'_>, out: &mut Vec<Problem>) {
    if p.sandbox || env_value(env, ENV_TOKEN).is_some() {
        return;
    }
    if p.client_id.is_none() {
        out.push(Problem::new(
            profile_key(name, "client_id"),
            "is not set, so this profile has no credentials: set client_id (and a client secret \
             source), or set PAYOUT_CONSOLE_TOKEN to a ready bearer token",
        ));
    } else if env_value(env, ENV_CLIENT_SECRET).is_none()
        && p.client_secret_command.is_none()
        && p.client_secret_file.is_none()
    {
        out.push(Problem::new(
            profile_path(name),
            format!("has a client_id but no client secret source: {SECRET_ALTERNATIVES}"),
        ));
    }
    if let Some(file) = &p.client_secret_file
        && let Err(message) = super::credentials::check_secret_file(file)
    {
        out.push(Problem::new(
            profile_key(name, "client_secret_file"),
            format!("names {}, which {message}", shown(file)),
        ));
    }
}

/// `PAYOUT_CONSOLE_PROFILE` must name a profile; `PAYOUT_CONSOLE_BASE_URL` must be usable.
pub(super) fn environment(known: &[&str], env: Env<'_>, out: &mut Vec<Problem>) {
    if let Some(name) = env_value(env, ENV_PROFILE)
        && !known.contains(&name.as_str())
    {
        out.push(Problem::new(
            ENV_PROFILE,
            format!(
                "names the profile `{name}`, which is not defined (known profiles: {}): fix it \
                 or unset it",
                known.join(", ")
            ),
        ));
    }
    if let Some(value) = env_value(env, ENV_BASE_URL) {
        let message = match Url::parse(&value) {
            Err(e) => Some(format!("is not a URL ({e}): fix it or unset it")),
            Ok(url) => base_url(&url),
        };
        if let Some(message) = message {
            out.push(Problem::new(ENV_BASE_URL, message));
        }
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}
