use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;

const MINIMAL: &str = r#"
default_profile = "local"
[profiles.local]
base_url = "http://127.0.0.1:8080"   # api_version defaults to "v1"
client_id = "sandbox"                # the secret comes from PAYOUT_CONSOLE_CLIENT_SECRET
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new("/etc/pc/config.toml"))
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(text) {
        Ok(config) => panic!("expected problems, got {config:?}"),
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(other) => panic!("expected Invalid, got {other}"),
    }
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key| map.get(key).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn profile_toml(body: &str) -> String {
    format!("[profiles.p]\nbase_url = \"https://api.example.com\"\n{body}\n")
}

#[test]
fn minimal_config_from_spec_loads_with_defaults() {
    let config = parse(MINIMAL).unwrap();
    assert_eq!(config.default_profile.as_deref(), Some("local"));
    let local = &config.profiles["local"];
    assert_eq!(local.name, "local");
    assert_eq!(local.api_version, "v1");
    assert_eq!(local.timeout, Duration::from_secs(30));
    assert_eq!(local.connect_timeout, Duration::from_secs(10));
    assert_eq!(local.poll_interval, Duration::from_secs(2));
    assert!(!local.live);
    assert_eq!(local.client_id.as_deref(), Some("sandbox"));
    assert_eq!(local.device.kind, "SERVER");
    assert_eq!(local.device.platform, std::env::consts::OS.to_uppercase());
    assert_eq!(
        local.origin.as_deref(),
        Some(Path::new("/etc/pc/config.toml"))
    );
    assert_eq!(local.api_base(), "http://127.0.0.1:8080/v1");
}

#[test]
fn api_base_joins_without_a_double_slash() {
    let mut p = Profile::new("p", Url::parse("https://gw.example.com/dollr/").unwrap());
    assert_eq!(p.api_base(), "https://gw.example.com/dollr/v1");
    p.api_version = "v2".into();
    p.base_url = Url::parse("https://api.heydollr.app").unwrap();
    assert_eq!(p.api_base(), "https://api.heydollr.app/v2");
}

#[test]
fn every_key_is_read() {
    let config = parse(
        r#"
        default_profile = "prod"
        [keys]
        quit = "q"
        [profiles.prod]
        base_url = "https://api.heydollr.app"
        api_version = "v2"
        timeout_secs = 45
        connect_timeout_secs = 5
        poll_interval_secs = 3
        live = true
        client_id = "cid"
        client_secret_command = "pass show dollr"
        client_secret_file = "secret.txt"
        phone = 231771234567
        user_id = "u-1"
        [profiles.prod.device]
        name = "ops-box"
        type = "MOBILE"
        platform = "IOS"
        client_ip = "203.0.113.7"
        [[profiles.prod.payout_accounts]]
        id = 18
        [[profiles.prod.payout_accounts]]
        id = "acc-2"
        label = "Orange LR"
        provider = "orange"
        currency = "LRD"
        "#,
    )
    .unwrap();
    assert_eq!(config.keys["quit"], "q");
    let p = &config.profiles["prod"];
    assert_eq!(p.api_version, "v2");
    assert_eq!(p.timeout, Duration::from_secs(45));
    assert_eq!(p.connect_timeout, Duration::from_secs(5));
    assert_eq!(p.poll_interval, Duration::from_secs(3));
    assert!(p.live);
    assert_eq!(p.client_secret_command.as_deref(), Some("pass show dollr"));
    assert_eq!(
        p.client_secret_file.as_deref(),
        Some(Path::new("/etc/pc/secret.txt")),
        "relative secret files are relative to the config file"
    );
    assert_eq!(p.phone.as_deref(), Some("231771234567"));
    assert_eq!(p.user_id.as_deref(), Some("u-1"));
    assert_eq!(
        p.device,
        DeviceConfig {
            name: Some("ops-box".into()),
            kind: "MOBILE".into(),
            platform: "IOS".into(),
            client_ip: Some("203.0.113.7".into()),
        }
    );
    assert_eq!(p.payout_accounts.len(), 2);
    assert_eq!(p.payout_accounts[0].id, "18");
    assert_eq!(p.payout_accounts[0].label, "18", "label defaults to the id");
    assert_eq!(p.payout_accounts[1].currency.as_deref(), Some("LRD"));
}

#[test]
fn unknown_key_names_its_full_path_line_and_suggestion() {
    let found = problems("[profiles.live]\nbase_url = \"https://x.example\"\ntimout_sec = 5\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "profiles.live.timout_sec");
    assert_eq!(found[0].line, Some(3));
    assert!(
        found[0].message.contains("`timeout_secs`"),
        "{}",
        found[0].message
    );
}

#[test]
fn unknown_keys_are_found_at_every_level() {
    let found = problems(
        r#"
        colour = "red"
        [profiles.p]
        base_url = "https://x.example"
        [profiles.p.device]
        kind = "SERVER"
        [[profiles.p.payout_accounts]]
        id = "1"
        lable = "x"
        "#,
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "colour",
            "profiles.p.device.kind",
            "profiles.p.payout_accounts[0].lable"
        ]
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let found = problems(
        r#"
        default_profile = "nope"
        [profiles.a]
        base_url = "https://x.example"
        api_version = "1"
        timeout_secs = 0
        phone = "+231771234567"
        [profiles.b]
        base_url = "http://payments.example.com"
        "#,
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "default_profile",
            "profiles.a.api_version",
            "profiles.a.timeout_secs",
            "profiles.a.phone",
            "profiles.b.base_url",
        ]
    );
    assert!(found.iter().all(|p| p.line.is_some()), "{found:?}");
    let text = parse("default_profile = \"nope\"\n[profiles.a]\nbase_url = \"ftp://x\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        text.starts_with("/etc/pc/config.toml has 2 problems:"),
        "{text}"
    );
}

#[test]
fn wrong_types_name_the_key_and_what_is_expected() {
    let found = problems(&profile_toml("timeout_secs = \"30\"\nlive = \"yes\""));
    assert_eq!(found[0].key, "profiles.p.timeout_secs");
    assert!(
        found[0].message.contains("number of seconds"),
        "{}",
        found[0].message
    );
    assert_eq!(found[1].key, "profiles.p.live");
    assert!(found[1].message.contains("true or false"));
    let negative = problems(&profile_toml("poll_interval_secs = -1"));
    assert_eq!(negative[0].key, "profiles.p.poll_interval_secs");
    // The value is an integer: the message names the sign, not the type.
    assert!(
        negative[0].message.ends_with("not -1"),
        "{}",
        negative[0].message
    );
}

#[test]
fn malformed_toml_gives_line_and_column() {
    match parse("[profiles.p]\nbase_url = \"https://x.example\n") {
        Err(ConfigError::Syntax { line, column, .. }) => {
            assert_eq!(line, 2);
            assert!(column > 1);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn plain_http_only_to_loopback() {
    for ok in [
        "http://127.0.0.1:8080",
        "http://127.8.9.10",
        "http://[::1]:9000",
        "http://localhost:3000",
        "http://LOCALHOST",
        "https://api.example.com",
    ] {
        assert!(
            parse(&format!("[profiles.p]\nbase_url = \"{ok}\"")).is_ok(),
            "{ok}"
        );
    }
    for refused in [
        "http://api.example.com",
        "http://10.0.0.1",
        "http://localhost.example.com",
        "http://[::2]",
    ] {
        let found = problems(&format!("[profiles.p]\nbase_url = \"{refused}\""));
        assert_eq!(found[0].key, "profiles.p.base_url", "{refused}");
        assert!(
            found[0].message.contains("use https://"),
            "{}",
            found[0].message
        );
    }
}

#[test]
fn base_url_must_be_an_http_url_without_credentials() {
    let found = problems("[profiles.p]\nbase_url = \"not a url\"");
    assert_eq!(found[0].key, "profiles.p.base_url");
    assert!(found[0].message.contains("not a URL"));
    let found = problems("[profiles.p]\nbase_url = \"localhost:8080\"");
    assert!(found[0].message.contains("scheme"), "{}", found[0].message);
    let found = problems("[profiles.p]\nbase_url = \"https://me:hunter2@x.example\"");
    assert!(!found[0].message.contains("hunter2"));
    assert!(found[0].message.contains("password"));
}

#[test]
fn missing_base_url_is_reported_on_the_profile_header() {
    let found = problems("\n[profiles.p]\nclient_id = \"x\"\n");
    assert_eq!(found[0].key, "profiles.p.base_url");
    assert_eq!(found[0].line, Some(2));
}

#[test]
fn missing_profile_does_not_also_blame_default_profile() {
    let found = problems("default_profile = \"p\"\n[profiles.p]\nclient_id = \"x\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn production_url_requires_live() {
    let found = problems("[profiles.prod]\nbase_url = \"https://api.heydollr.app\"\n");
    assert_eq!(found[0].key, "profiles.prod.live");
    assert!(found[0].message.contains("live = true"));
}

#[test]
fn api_version_must_look_like_v1() {
    for bad in ["1", "V1", "v", "v1.0", "latest"] {
        let found = problems(&profile_toml(&format!("api_version = \"{bad}\"")));
        assert_eq!(found[0].key, "profiles.p.api_version", "{bad}");
    }
    assert!(parse(&profile_toml("api_version = \"v12\"")).is_ok());
}

#[test]
fn zero_or_absurd_durations_are_refused() {
    for body in [
        "timeout_secs = 0",
        "timeout_secs = 86400",
        "connect_timeout_secs = 0",
        "connect_timeout_secs = 3600",
        "poll_interval_secs = 0",
        "poll_interval_secs = 3600",
    ] {
        let found = problems(&profile_toml(body));
        let key = body.split(' ').next().unwrap();
        assert_eq!(found[0].key, format!("profiles.p.{key}"), "{body}");
    }
}

#[test]
fn phone_must_be_digits_without_plus() {
    let plus = problems(&profile_toml("phone = \"+231771234567\""));
    assert!(
        plus[0].message.contains("without `+`"),
        "{}",
        plus[0].message
    );
    for bad in ["231 771 234567", "231-77", "", "1234567890123456"] {
        let found = problems(&profile_toml(&format!("phone = \"{bad}\"")));
        assert_eq!(found[0].key, "profiles.p.phone", "{bad}");
    }
}

#[test]
fn secret_in_config_is_refused_without_echoing_it() {
    let err = parse(&profile_toml(
        "client_id = \"x\"\nclient_secret = \"hunter2-do-not-leak\"",
    ))
    .unwrap_err();
    let problems = err.problems();
    assert_eq!(problems[0].key, "profiles.p.client_secret");
    assert!(problems[0].message.contains("never go in the config file"));
    assert!(problems[0].message.contains("PAYOUT_CONSOLE_CLIENT_SECRET"));
    assert!(problems[0].message.contains("client_secret_command"));
    assert!(problems[0].message.contains("client_secret_file"));
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn passcode_in_config_is_refused() {
    let found = problems(&profile_toml("passcode = \"000000\""));
    assert!(found[0].message.contains("never stored"));
    assert!(!found[0].message.contains("000000"));
}

#[test]
fn payout_accounts_need_an_id_and_unique_ids() {
    let found = problems(&profile_toml(
        "[[profiles.p.payout_accounts]]\nlabel = \"no id\"\n\
         [[profiles.p.payout_accounts]]\nid = \"7\"\n\
         [[profiles.p.payout_accounts]]\nid = 7\ncurrency = \"usd\"\n",
    ));
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "profiles.p.payout_accounts[0].id",
            "profiles.p.payout_accounts[2].id",
            "profiles.p.payout_accounts[2].currency",
        ]
    );
}

#[test]
fn default_profile_must_exist() {
    let found =
        problems("default_profile = \"prod\"\n[profiles.local]\nbase_url = \"http://127.0.0.1\"\n");
    assert_eq!(found[0].key, "default_profile");
    assert!(found[0].message.contains("`prod`"));
    assert!(found[0].message.contains("local"));
}

#[test]
fn device_client_ip_must_be_an_address() {
    let found = problems(&profile_toml(
        "[profiles.p.device]\nclient_ip = \"my-laptop\"",
    ));
    assert_eq!(found[0].key, "profiles.p.device.client_ip");
}

#[test]
fn odd_profile_names_are_quoted_and_refused() {
    let found = problems("[profiles.\"my prod\"]\nbase_url = \"https://x.example\"\n");
    assert_eq!(found[0].key, "profiles.\"my prod\"");
}

#[test]
fn select_prefers_cli_then_env_then_default_then_only_profile() {
    let two = parse(
        "default_profile = \"a\"\n[profiles.a]\nbase_url = \"http://127.0.0.1\"\n\
         [profiles.b]\nbase_url = \"http://127.0.0.1\"\n[profiles.c]\nbase_url = \"http://127.0.0.1\"\n",
    )
    .unwrap();
    let env_b = env_of(&[(ENV_PROFILE, "b")]);
    assert_eq!(two.select_with(Some("c"), &env_b).unwrap().0, "c");
    assert_eq!(two.select_with(None, &env_b).unwrap().0, "b");
    assert_eq!(two.select_with(None, &no_env).unwrap().0, "a");
    let empty_env = env_of(&[(ENV_PROFILE, "")]);
    assert_eq!(two.select_with(None, &empty_env).unwrap().0, "a");

    let only = parse("[profiles.solo]\nbase_url = \"http://127.0.0.1\"\n").unwrap();
    let (name, profile) = only.select_with(None, &no_env).unwrap();
    assert_eq!((name.as_str(), profile.name.as_str()), ("solo", "solo"));
}

#[test]
fn select_unknown_profile_lists_the_known_ones() {
    let config = parse(MINIMAL).unwrap();
    let err = config.select_with(Some("prod"), &no_env).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`prod`"), "{text}");
    assert!(text.contains("--profile"), "{text}");
    assert!(text.contains("known profiles: local"), "{text}");
    assert!(text.contains("/etc/pc/config.toml"), "{text}");
    let env = env_of(&[(ENV_PROFILE, "staging")]);
    let text = config.select_with(None, &env).unwrap_err().to_string();
    assert!(text.contains("PAYOUT_CONSOLE_PROFILE"), "{text}");
}

#[test]
fn select_without_a_choice_among_several_says_how_to_choose() {
    let config = parse(
        "[profiles.a]\nbase_url = \"http://127.0.0.1\"\n[profiles.b]\nbase_url = \"http://127.0.0.1\"\n",
    )
    .unwrap();
    let err = config.select_with(None, &no_env).unwrap_err();
    assert!(matches!(err, ConfigError::NoProfileChosen { .. }), "{err}");
    assert!(err.to_string().contains("a, b"));
    let empty = parse("").unwrap();
    assert!(matches!(
        empty.select_with(None, &no_env),
        Err(ConfigError::NoProfiles { .. })
    ));
}

#[test]
fn base_url_env_override_replaces_and_is_validated() {
    let config = parse(MINIMAL).unwrap();
    let (_, local) = config.select_with(None, &no_env).unwrap();
    let env = env_of(&[(ENV_BASE_URL, "https://staging.example.com/")]);
    let moved = local.with_env_overrides(&env).unwrap();
    assert_eq!(moved.api_base(), "https://staging.example.com/v1");
    assert_eq!(local.with_env_overrides(&no_env).unwrap(), *local);

    let env = env_of(&[(ENV_BASE_URL, "http://staging.example.com")]);
    let text = local.with_env_overrides(&env).unwrap_err().to_string();
    assert!(text.contains("PAYOUT_CONSOLE_BASE_URL"), "{text}");
    assert!(text.contains("https://"), "{text}");
    let env = env_of(&[(ENV_BASE_URL, "https://api.heydollr.app")]);
    let text = local.with_env_overrides(&env).unwrap_err().to_string();
    assert!(text.contains("not live"), "{text}");
}

#[test]
fn sandbox_profile_is_valid_and_ignores_the_environment() {
    let sandbox = Profile::sandbox("http://127.0.0.1:41234");
    let mut problems = Vec::new();
    validate::profile("sandbox", &sandbox, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(!sandbox.live);
    assert_eq!(sandbox.api_base(), "http://127.0.0.1:41234/v1");
    assert_eq!(sandbox.poll_interval, Duration::from_secs(1));
    assert_eq!(sandbox.phone.as_deref(), Some("231771234567"));
    let ids: Vec<&str> = sandbox
        .payout_accounts
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["18", "19", "20", "21", "22", "23", "24", "25"]);
    assert_eq!(sandbox.payout_accounts[0].label, "Sandbox USD mobile money");
    assert_eq!(sandbox.payout_accounts[7].label, "429 then ok");

    let env = env_of(&[
        (ENV_TOKEN, "real-token"),
        (ENV_BASE_URL, "https://api.heydollr.app"),
    ]);
    match sandbox.credentials(&env).unwrap() {
        Credentials::Client {
            client_id,
            client_secret,
        } => {
            assert_eq!(client_id, "sandbox");
            assert_eq!(client_secret.expose_secret(), "sandbox");
        }
        other => panic!("expected client credentials, got {other:?}"),
    }
    assert_eq!(sandbox.with_env_overrides(&env).unwrap(), sandbox);
}

#[test]
fn check_reports_missing_credentials_unless_the_environment_has_them() {
    let config = parse(
        "[profiles.a]\nbase_url = \"http://127.0.0.1\"\n\
         [profiles.b]\nbase_url = \"http://127.0.0.1\"\nclient_id = \"cid\"\n",
    )
    .unwrap();
    let found = config.check_with(&no_env);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["profiles.a.client_id", "profiles.b"]);
    assert!(found[1].message.contains("PAYOUT_CONSOLE_CLIENT_SECRET"));

    let with_secret = env_of(&[(ENV_CLIENT_SECRET, "s")]);
    let keys: Vec<String> = config
        .check_with(&with_secret)
        .into_iter()
        .map(|p| p.key)
        .collect();
    assert_eq!(keys, ["profiles.a.client_id"]);
    let with_token = env_of(&[(ENV_TOKEN, "t")]);
    assert!(config.check_with(&with_token).is_empty());
}

#[test]
fn check_reports_bad_environment_overrides() {
    let config = parse(MINIMAL).unwrap();
    let env = env_of(&[
        (ENV_PROFILE, "nope"),
        (ENV_BASE_URL, "http://remote.example.com"),
        (ENV_CLIENT_SECRET, "s"),
    ]);
    let keys: Vec<String> = config.check_with(&env).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, [ENV_PROFILE, ENV_BASE_URL]);
}

#[test]
fn check_finds_structural_problems_in_a_config_built_in_code() {
    let mut config = parse(MINIMAL).unwrap();
    let local = config.profiles.get_mut("local").unwrap();
    local.timeout = Duration::ZERO;
    local.base_url = Url::parse("http://example.com").unwrap();
    config.default_profile = Some("gone".into());
    let env = env_of(&[(ENV_CLIENT_SECRET, "s")]);
    let keys: Vec<String> = config.check_with(&env).into_iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            "default_profile",
            "profiles.local.base_url",
            "profiles.local.timeout_secs"
        ]
    );
}

#[test]
fn missing_client_id_error_says_what_to_set() {
    let config = parse("[profiles.p]\nbase_url = \"http://127.0.0.1\"\n").unwrap();
    let text = config.profiles["p"]
        .credentials(&no_env)
        .unwrap_err()
        .to_string();
    assert!(text.contains("profiles.p.client_id"), "{text}");
    assert!(text.contains("PAYOUT_CONSOLE_TOKEN"), "{text}");
    assert!(text.contains("/etc/pc/config.toml"), "{text}");
}

#[test]
fn missing_secret_error_names_every_source() {
    let config = parse(MINIMAL).unwrap();
    let text = config.profiles["local"]
        .credentials(&no_env)
        .unwrap_err()
        .to_string();
    for source in [
        "PAYOUT_CONSOLE_CLIENT_SECRET",
        "profiles.local.client_secret_command",
        "profiles.local.client_secret_file",
    ] {
        assert!(text.contains(source), "{text}");
    }
}

#[test]
fn empty_environment_values_count_as_unset() {
    let config = parse(MINIMAL).unwrap();
    let env = env_of(&[(ENV_TOKEN, ""), (ENV_CLIENT_SECRET, "")]);
    assert!(matches!(
        config.profiles["local"].credentials(&env),
        Err(ConfigError::NoClientSecret { .. })
    ));
}

#[test]
fn profile_debug_hides_the_secret_command_and_url_password() {
    let mut p = Profile::new("p", Url::parse("https://me:pw-secret@x.example").unwrap());
    p.client_secret_command = Some("printf inline-secret".into());
    let shown = format!("{p:?}");
    assert!(!shown.contains("inline-secret"), "{shown}");
    assert!(!shown.contains("pw-secret"), "{shown}");
    assert!(
        shown.contains("client_secret_command: Some(\"[set]\")"),
        "{shown}"
    );
}

#[test]
fn paths_follow_cli_then_env() {
    let env = env_of(&[(ENV_CONFIG, "/from/env.toml"), (ENV_DATA_DIR, "/data/pc")]);
    let paths = Paths::resolve_with(Some(Path::new("/from/cli.toml")), &env).unwrap();
    assert_eq!(paths.config_file, Path::new("/from/cli.toml"));
    assert_eq!(paths.data_dir, Path::new("/data/pc"));
    assert_eq!(
        paths.log_file,
        Path::new("/data/pc/logs/payout-console.log")
    );
    let paths = Paths::resolve_with(None, &env).unwrap();
    assert_eq!(paths.config_file, Path::new("/from/env.toml"));
}

#[test]
fn paths_default_to_the_platform_directories() {
    // Only meaningful where a home directory exists, which is where tests run.
    if directories::ProjectDirs::from("app", "payout-console", "payout-console").is_none() {
        return;
    }
    let paths = Paths::resolve_with(None, &no_env).unwrap();
    assert!(paths.config_file.ends_with("config.toml"), "{paths:?}");
    assert!(
        paths
            .config_file
            .to_string_lossy()
            .contains("payout-console"),
        "{paths:?}"
    );
    assert!(paths.log_file.starts_with(&paths.data_dir));
}

#[test]
fn mistyped_account_id_is_reported_once_at_its_own_index() {
    let found = problems(&profile_toml(
        "payout_accounts = [ { id = true }, \"18\", { id = \"\" }, { id = \"9\" } ]",
    ));
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "profiles.p.payout_accounts[0].id",
            "profiles.p.payout_accounts[1]",
            "profiles.p.payout_accounts[2].id",
        ]
    );
}
