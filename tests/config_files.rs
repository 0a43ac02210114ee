//! Config files as an operator writes them: the fixtures under tests/fixtures/config, the
//! repository's config.example.toml, and credential resolution against real files and commands.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use payout_console::config::{
    Config, ConfigError, Credentials, ENV_CLIENT_SECRET, ENV_TOKEN, Problem, Profile,
};
use secrecy::ExposeSecret;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn load(name: &str) -> Result<Config, ConfigError> {
    Config::load(&fixture(name))
}

/// The problems of a fixture that must fail to load, and the error's message.
fn invalid(name: &str) -> (Vec<Problem>, String) {
    match load(name) {
        Err(err @ ConfigError::Invalid { .. }) => (err.problems().to_vec(), err.to_string()),
        other => panic!("{name}: expected ConfigError::Invalid, got {other:?}"),
    }
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key| map.get(key).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// A profile from TOML text, with its config file in `dir`.
fn profile_in(dir: &Path, body: &str) -> Profile {
    let text = format!("[profiles.p]\nbase_url = \"https://api.example.com\"\n{body}\n");
    let config = Config::from_toml(&text, &dir.join("config.toml")).unwrap();
    config.profiles["p"].clone()
}

fn secret_file(dir: &Path, name: &str, mode: u32, content: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn client_secret(credentials: Credentials) -> String {
    match credentials {
        Credentials::Client { client_secret, .. } => client_secret.expose_secret().to_owned(),
        Credentials::Bearer(_) => panic!("expected client credentials, got a bearer token"),
    }
}

#[test]
fn minimal_spec_config_loads_and_selects_local() {
    let config = load("minimal.toml").unwrap();
    let (name, profile) = config.select_with(None, &no_env).unwrap();
    assert_eq!(name, "local");
    assert_eq!(profile.api_base(), "http://127.0.0.1:8080/v1");
    assert_eq!(profile.client_id.as_deref(), Some("sandbox"));
    let env = env_of(&[(ENV_CLIENT_SECRET, "sandbox")]);
    assert_eq!(config.check_with(&env), []);
}

#[test]
fn missing_config_file_is_not_found_not_empty() {
    let err = Config::load(&fixture("does-not-exist.toml")).unwrap_err();
    assert!(matches!(err, ConfigError::NotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("does-not-exist.toml"), "{text}");
    assert!(text.contains("--sandbox"), "{text}");
}

#[test]
fn unknown_key_error_names_full_key_path_and_file() {
    let (problems, text) = invalid("unknown_key.toml");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "profiles.live.timout_sec");
    assert_eq!(problems[0].line, Some(7));
    assert!(text.contains("unknown_key.toml"), "{text}");
    assert!(text.contains("`profiles.live.timout_sec`"), "{text}");
    assert!(text.contains("did you mean `timeout_secs`"), "{text}");
}

#[test]
fn bad_url_error_names_base_url() {
    let (problems, text) = invalid("bad_url.toml");
    assert_eq!(problems[0].key, "profiles.staging.base_url");
    assert!(text.contains("not a URL"), "{text}");
    assert!(text.contains("bad_url.toml: line 2:"), "{text}");
}

#[test]
fn http_to_non_loopback_host_is_refused_with_advice_to_use_https() {
    let (problems, text) = invalid("http_remote.toml");
    assert_eq!(problems[0].key, "profiles.staging.base_url");
    assert!(text.contains("use https://"), "{text}");
    assert!(text.contains("staging.heydollr.app"), "{text}");
}

#[test]
fn secret_in_config_is_refused_and_never_echoed() {
    let err = load("secret_in_config.toml").unwrap_err();
    let problems = err.problems();
    assert_eq!(problems[0].key, "profiles.production.client_secret");
    let text = err.to_string();
    assert!(
        text.contains("secrets never go in the config file"),
        "{text}"
    );
    for alternative in [
        "PAYOUT_CONSOLE_CLIENT_SECRET",
        "client_secret_command",
        "client_secret_file",
    ] {
        assert!(text.contains(alternative), "{text}");
    }
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn malformed_toml_reports_file_line_and_column() {
    let err = load("malformed.toml").unwrap_err();
    let ConfigError::Syntax { line, column, .. } = &err else {
        panic!("expected a syntax error, got {err:?}");
    };
    assert_eq!((*line, *column), (3, 13));
    let text = err.to_string();
    assert!(text.contains("malformed.toml:3:13"), "{text}");
}

#[test]
fn default_profile_naming_a_missing_profile_lists_the_known_ones() {
    let (problems, text) = invalid("default_profile_missing.toml");
    assert_eq!(problems[0].key, "default_profile");
    assert_eq!(problems[0].line, Some(1));
    assert!(text.contains("`production`"), "{text}");
    assert!(text.contains("local, staging"), "{text}");
}

#[test]
fn every_problem_of_a_file_is_listed_in_line_order() {
    let (problems, text) = invalid("many_problems.toml");
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "profiles.local.api_version",
            "profiles.local.timeout_secs",
            "profiles.local.phone",
            "profiles.local.payout_accounts[0].id",
            "profiles.remote.base_url",
        ]
    );
    assert!(text.contains("has 5 problems"), "{text}");
}

#[test]
fn example_config_has_no_structural_problem_except_missing_secrets() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(&path).unwrap();
    assert_eq!(
        config.profile_names(),
        ["production", "sandbox"],
        "the example documents a sandbox and a production profile"
    );
    let production = &config.profiles["production"];
    assert!(production.live);
    assert_eq!(production.api_base(), "https://api.heydollr.app/v1");
    assert!(production.client_secret_command.is_some());
    assert!(!config.profiles["sandbox"].live);
    assert!(!production.payout_accounts.is_empty());
    assert!(
        config.keys.is_empty(),
        "the default bindings are documented commented out"
    );

    // Without a secret in the environment, only the sandbox's secret is missing.
    let problems = config.check_with(&no_env);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "profiles.sandbox");
    assert!(problems[0].message.contains("no client secret source"));
    let env = env_of(&[(ENV_CLIENT_SECRET, "sandbox")]);
    assert_eq!(config.check_with(&env), []);
}

#[test]
fn example_config_documents_every_key_it_accepts() {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    // Every key the parser accepts, from its own lists, so a new key cannot go undocumented.
    for key in payout_console::config::TOP_KEYS
        .iter()
        .chain(payout_console::config::PROFILE_KEYS)
        .chain(payout_console::config::DEVICE_KEYS)
        .chain(payout_console::config::ACCOUNT_KEYS)
    {
        assert!(
            text.contains(key),
            "config.example.toml does not mention `{key}`"
        );
    }
    for key in [
        "default_profile",
        "base_url",
        "api_version",
        "timeout_secs",
        "connect_timeout_secs",
        "poll_interval_secs",
        "live",
        "client_id",
        "client_secret_command",
        "client_secret_file",
        "phone",
        "user_id",
        "payout_accounts",
        "id =",
        "label =",
        "provider =",
        "currency =",
        "name =",
        "type =",
        "platform =",
        "client_ip",
        "[keys]",
        "PAYOUT_CONSOLE_CONFIG",
        "PAYOUT_CONSOLE_PROFILE",
        "PAYOUT_CONSOLE_DATA_DIR",
        "PAYOUT_CONSOLE_CLIENT_SECRET",
        "PAYOUT_CONSOLE_TOKEN",
        "PAYOUT_CONSOLE_BASE_URL",
    ] {
        assert!(
            text.contains(key),
            "config.example.toml does not mention {key}"
        );
    }
}

#[test]
fn env_secret_beats_command_which_beats_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = secret_file(dir.path(), "secret", 0o600, "from-file\n");
    let body = format!(
        "client_id = \"cid\"\nclient_secret_command = \"printf from-command\"\nclient_secret_file = {:?}",
        file.display().to_string()
    );
    let profile = profile_in(dir.path(), &body);

    let env = env_of(&[(ENV_CLIENT_SECRET, "from-env")]);
    assert_eq!(
        client_secret(profile.credentials(&env).unwrap()),
        "from-env"
    );
    assert_eq!(
        client_secret(profile.credentials(&no_env).unwrap()),
        "from-command"
    );
    let mut without_command = profile.clone();
    without_command.client_secret_command = None;
    assert_eq!(
        client_secret(without_command.credentials(&no_env).unwrap()),
        "from-file"
    );
}

#[test]
fn bearer_token_overrides_every_other_credential() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(
        dir.path(),
        "client_id = \"cid\"\nclient_secret_command = \"exit 1\"",
    );
    let env = env_of(&[(ENV_TOKEN, "tok-123"), (ENV_CLIENT_SECRET, "from-env")]);
    match profile.credentials(&env).unwrap() {
        Credentials::Bearer(token) => assert_eq!(token.expose_secret(), "tok-123"),
        other => panic!("expected a bearer token, got {other:?}"),
    }
    let no_client_id = profile_in(dir.path(), "");
    assert!(matches!(
        no_client_id.credentials(&env),
        Ok(Credentials::Bearer(_))
    ));
}

#[test]
fn secret_command_stdout_is_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(
        dir.path(),
        "client_id = \"cid\"\nclient_secret_command = \"printf s3cret\"",
    );
    match profile.credentials(&no_env).unwrap() {
        Credentials::Client {
            client_id,
            client_secret,
        } => {
            assert_eq!(client_id, "cid");
            assert_eq!(client_secret.expose_secret(), "s3cret");
        }
        other => panic!("expected client credentials, got {other:?}"),
    }
}

#[test]
fn failing_secret_command_shows_its_stderr_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(
        dir.path(),
        "client_id = \"cid\"\nclient_secret_command = \"echo 'gpg: decryption failed' >&2; exit 1\"",
    );
    let err = profile.credentials(&no_env).unwrap_err();
    assert!(matches!(err, ConfigError::SecretCommand { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("profiles.p.client_secret_command"), "{text}");
    assert!(text.contains("config.toml"), "{text}");
    assert!(text.contains("status 1"), "{text}");
    assert!(text.contains("gpg: decryption failed"), "{text}");
}

#[test]
fn secret_command_printing_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(
        dir.path(),
        "client_id = \"cid\"\nclient_secret_command = \"printf ''\"",
    );
    let text = profile.credentials(&no_env).unwrap_err().to_string();
    assert!(text.contains("printed nothing"), "{text}");
}

#[test]
fn owner_only_secret_file_is_read_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o600, 0o400] {
        let file = secret_file(dir.path(), &format!("s{mode:o}"), mode, "  f1le-secret\n");
        let body = format!(
            "client_id = \"cid\"\nclient_secret_file = {:?}",
            file.display().to_string()
        );
        let profile = profile_in(dir.path(), &body);
        assert_eq!(
            client_secret(profile.credentials(&no_env).unwrap()),
            "f1le-secret",
            "mode {mode:o}"
        );
    }
}

#[test]
fn secret_file_readable_by_others_is_refused_with_chmod_advice() {
    let dir = tempfile::tempdir().unwrap();
    let file = secret_file(dir.path(), "secret", 0o644, "leaky-secret\n");
    let profile = profile_in(
        dir.path(),
        "client_id = \"cid\"\nclient_secret_file = \"secret\"",
    );
    assert_eq!(profile.client_secret_file.as_deref(), Some(file.as_path()));

    let err = profile.credentials(&no_env).unwrap_err();
    assert!(matches!(err, ConfigError::SecretFile { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(text.contains("0644"), "{text}");
    assert!(text.contains("chmod 600"), "{text}");
    assert!(text.contains("profiles.p.client_secret_file"), "{text}");
    assert!(!text.contains("leaky-secret"), "{text}");

    let config = Config::from_toml(
        &format!(
            "[profiles.p]\nbase_url = \"https://x.example\"\nclient_id = \"c\"\nclient_secret_file = {:?}\n",
            file.display().to_string()
        ),
        &dir.path().join("config.toml"),
    )
    .unwrap();
    let problems = config.check_with(&no_env);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "profiles.p.client_secret_file");
    assert!(problems[0].message.contains("chmod 600"));
}

#[test]
fn missing_secret_file_is_reported_by_check_and_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let profile = profile_in(
        dir.path(),
        "client_id = \"cid\"\nclient_secret_file = \"nope\"",
    );
    let text = profile.credentials(&no_env).unwrap_err().to_string();
    assert!(text.contains("nope"), "{text}");
    assert!(text.contains("cannot be read"), "{text}");
    let config = Config {
        profiles: [("p".to_owned(), profile)].into(),
        ..Config::default()
    };
    assert_eq!(
        config.check_with(&no_env)[0].key,
        "profiles.p.client_secret_file"
    );
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = secret_file(dir.path(), "secret", 0o600, "file-s3cret-value\n");
    let text = format!(
        "[profiles.p]\nbase_url = \"https://api.example.com\"\nclient_id = \"cid\"\n\
         client_secret_command = \"printf cmd-s3cret-value\"\nclient_secret_file = {:?}\n",
        file.display().to_string()
    );
    let config = Config::from_toml(&text, &dir.path().join("config.toml")).unwrap();
    let profile = &config.profiles["p"];

    let from_command = profile.credentials(&no_env).unwrap();
    let env = env_of(&[(ENV_CLIENT_SECRET, "env-s3cret-value")]);
    let from_env = profile.credentials(&env).unwrap();
    let token_env = env_of(&[(ENV_TOKEN, "token-s3cret-value")]);
    let bearer = profile.credentials(&token_env).unwrap();
    let mut file_only = profile.clone();
    file_only.client_secret_command = None;
    let from_file = file_only.credentials(&no_env).unwrap();
    assert_eq!(client_secret(from_file.clone()), "file-s3cret-value");

    let shown =
        format!("{config:?} {profile:?} {from_command:?} {from_env:?} {bearer:?} {from_file:?}");
    for secret in [
        "cmd-s3cret-value",
        "env-s3cret-value",
        "token-s3cret-value",
        "file-s3cret-value",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked into {shown}");
    }
    assert!(
        shown.contains("cid"),
        "non-secret fields stay visible: {shown}"
    );
}
