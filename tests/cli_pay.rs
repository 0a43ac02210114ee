//! The headless commands, run as the built binary: exit codes, `--json`, validation messages.

mod common;

use assert_cmd::Command;
use tempfile::TempDir;

fn cmd(data: &TempDir) -> Command {
    let mut c = Command::cargo_bin("payout-console").unwrap();
    c.env("PAYOUT_CONSOLE_DATA_DIR", data.path())
        .env("PAYOUT_CONSOLE_CONFIG", data.path().join("no-config.toml"))
        .env_remove("PAYOUT_CONSOLE_TOKEN")
        .env_remove("PAYOUT_CONSOLE_CLIENT_SECRET")
        .timeout(std::time::Duration::from_secs(60));
    c
}

fn pay(data: &TempDir, account: &str, code: &str, phone: &str) -> std::process::Output {
    cmd(data)
        .args([
            "pay",
            "--sandbox",
            "--account",
            account,
            "--amount",
            "250",
            "--currency",
            "USD",
        ])
        .args(["--phone", phone, "--code-stdin", "--json"])
        .write_stdin(format!("{code}\n"))
        .output()
        .unwrap()
}

#[test]
fn pay_on_account_18_prints_every_field_and_exits_0() {
    let data = tempfile::tempdir().unwrap();
    let out = pay(&data, "18", "000000", "231771234567");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for field in [
        "reference_id",
        "status",
        "payer_amount",
        "payer_currency",
        "payee_currency",
        "payee_amount",
        "operation_type",
        "provider_transaction_id",
        "gateway_message",
        "wallet_message",
        "client_secret",
        "requires_action",
    ] {
        assert!(v.get(field).is_some(), "missing {field} in {v}");
    }
    assert_eq!(v["state"], "completed");
    assert_eq!(v["status"], "COMPLETED");
    // Exact amounts: the JSON number text is kept, not rounded through a float.
    assert!(stdout.contains("\"payer_amount\":250.00"), "{stdout}");
    // And the history has it.
    let hist = cmd(&data)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&hist.stdout).unwrap();
    assert_eq!(rows[0]["reference_id"], v["reference_id"]);
    assert_eq!(rows[0]["state"], "completed");
}

#[test]
fn pay_exit_codes_follow_the_outcome() {
    let data = tempfile::tempdir().unwrap();
    let failed = pay(&data, "19", "000000", "231771234567");
    assert_eq!(failed.status.code(), Some(6));
    let action = pay(&data, "20", "000000", "231771234567");
    assert_eq!(action.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&action.stdout).unwrap();
    assert_eq!(v["state"], "action_required");
    let secret = v["client_secret"].as_str().unwrap();
    assert!(
        secret.starts_with('…') && secret.chars().count() == 5,
        "masked: {secret}"
    );
    let wrong_code = pay(&data, "18", "999999", "231771234567");
    assert_eq!(wrong_code.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&wrong_code.stdout).unwrap();
    assert_eq!(v["state"], "rejected");
    assert_eq!(v["http_status"], 403);
}

#[test]
fn a_phone_with_letters_exits_2_naming_phone_and_sends_nothing() {
    let data = tempfile::tempdir().unwrap();
    let out = pay(&data, "18", "000000", "23177abc4567");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("phone"), "{stderr}");
    let hist = cmd(&data)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&hist.stdout).trim(), "[]");
}

#[test]
fn without_code_stdin_and_no_terminal_there_is_no_prompt() {
    let data = tempfile::tempdir().unwrap();
    let out = cmd(&data)
        .args([
            "pay",
            "--sandbox",
            "--account",
            "18",
            "--amount",
            "1",
            "--currency",
            "USD",
        ])
        .args(["--phone", "231771234567"])
        .write_stdin("000000\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--code-stdin"));
}

#[test]
fn bad_amount_currency_and_reference_are_named() {
    let data = tempfile::tempdir().unwrap();
    let out = cmd(&data)
        .args([
            "pay",
            "--sandbox",
            "--account",
            "18",
            "--amount",
            "12,5",
            "--currency",
            "usd",
        ])
        .args([
            "--phone",
            "231771234567",
            "--code-stdin",
            "--reference",
            "nope",
        ])
        .write_stdin("000000\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for field in ["amount", "currency", "reference"] {
        assert!(stderr.contains(&format!("{field}:")), "{field} in {stderr}");
    }
}

#[test]
fn without_a_config_a_command_says_where_to_put_one() {
    let data = tempfile::tempdir().unwrap();
    let out = cmd(&data)
        .args(["status", &uuid::Uuid::new_v4().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-config.toml"), "{stderr}");
}

/// `config check --config FILE` on `toml`: the output and its stderr.
fn config_check(toml: &str) -> (std::process::Output, String) {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("config.toml");
    std::fs::write(&file, toml).unwrap();
    let out = cmd(&data)
        .args(["config", "check", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

#[test]
fn config_check_names_the_key_at_fault() {
    let (out, stderr) = config_check(
        "default_profile = \"p\"\n[profiles.p]\nbase_url = \"http://api.example.com\"\nclient_id = \"x\"\ntimout_secs = 3\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("profiles.p.timout_secs"), "{stderr}");
    assert!(stderr.contains("profiles.p.base_url"), "{stderr}");
}

#[test]
fn config_check_refuses_key_overrides_the_console_would_refuse() {
    let (out, stderr) = config_check(
        "default_profile = \"p\"\n[profiles.p]\nbase_url = \"http://127.0.0.1:8080\"\nclient_id = \"x\"\n[keys]\nquit = \"ctrl-qq\"\nnosuch = \"z\"\n",
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("keys.quit") && stderr.contains("keys.nosuch"),
        "{stderr}"
    );
}

#[test]
fn status_of_an_unknown_reference_is_not_final_and_says_so() {
    let data = tempfile::tempdir().unwrap();
    let out = cmd(&data)
        .args(["status", "--sandbox", &uuid::Uuid::new_v4().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not know"));
    let bad = cmd(&data)
        .args(["status", "--sandbox", "not-a-uuid"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn history_pages_walk_newest_first_without_repeats() {
    let data = tempfile::tempdir().unwrap();
    let mut made = Vec::new();
    for _ in 0..3 {
        let out = pay(&data, "19", "000000", "231771234567");
        assert_eq!(out.status.code(), Some(6));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        made.push(v["reference_id"].as_str().unwrap().to_string());
    }
    let page = |n: &str| -> Vec<String> {
        let out = cmd(&data)
            .args(["history", "--format", "json", "--limit", "2", "--page", n])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["reference_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (first, second, third) = (page("1"), page("2"), page("3"));
    made.reverse();
    assert_eq!(first, made[..2]);
    assert_eq!(second, made[2..]);
    assert!(third.is_empty());
    let zero = cmd(&data)
        .args(["history", "--page", "0"])
        .output()
        .unwrap();
    assert_eq!(zero.status.code(), Some(2));
}

#[test]
fn the_console_reports_a_bad_config_before_touching_the_terminal() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("bad.toml");
    std::fs::write(&file, "default_profile = \"p\"\n[profiles.p]\nbase_url = \"https://api.example.com\"\nclient_id = \"x\"\ntimeout_secs = \"soon\"\n").unwrap();
    let out = cmd(&data).arg("--config").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profiles.p.timeout_secs"), "{stderr}");
    // No escape sequence was written: the terminal was never taken over.
    assert!(
        !out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b),
        "{stderr}"
    );
}

#[test]
fn a_missing_client_secret_says_which_variable_to_set() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("ok.toml");
    std::fs::write(&file, "default_profile = \"p\"\n[profiles.p]\nbase_url = \"https://api.example.com\"\nclient_id = \"x\"\n").unwrap();
    for args in [
        vec![],
        vec!["status", "550e8400-e29b-41d4-a716-446655440000"],
    ] {
        let out = cmd(&data)
            .arg("--config")
            .arg(&file)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("PAYOUT_CONSOLE_CLIENT_SECRET"),
            "{args:?}: {stderr}"
        );
        assert!(!out.stderr.contains(&0x1b), "{stderr}");
    }
}

#[test]
fn history_outputs_keep_amounts_exact() {
    let data = tempfile::tempdir().unwrap();
    let out = cmd(&data)
        .args([
            "pay",
            "--sandbox",
            "--account",
            "19",
            "--amount",
            "25.10",
            "--currency",
            "USD",
        ])
        .args(["--phone", "231771234567", "--code-stdin", "--json"])
        .write_stdin("000000\n")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reference = v["reference_id"].as_str().unwrap();
    let text = |args: &[&str]| {
        let out = cmd(&data).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let json = text(&["history", "--format", "json"]);
    assert!(json.contains("25.10"), "{json}");
    let show = text(&["history", "show", reference, "--json"]);
    assert!(show.contains("\"payer_amount\":25.10"), "{show}");
    let bundle = text(&["history", "show", reference, "--bundle"]);
    assert!(bundle.contains("\"payer_amount\": 25.10"), "{bundle}");
    let csv = text(&["history", "--format", "csv"]);
    assert!(csv.contains("25.10"), "{csv}");
}

#[test]
fn history_into_a_pipe_closed_early_ends_quietly() {
    let data = tempfile::tempdir().unwrap();
    {
        let j = payout_console::journal::Journal::open(data.path()).unwrap();
        for i in 0..1500 {
            let reference = format!("3a{i:06}-7c1e-4a5b-9d2f-000000000000");
            j.begin(&common::new_execution(
                &reference,
                "42",
                "http://127.0.0.1:1/",
            ))
            .unwrap();
        }
    }
    // `history | head -1`: the reader goes away after one line, long before 1,500 rows of CSV.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("payout-console"))
        .env("PAYOUT_CONSOLE_DATA_DIR", data.path())
        .env("PAYOUT_CONSOLE_CONFIG", data.path().join("no-config.toml"))
        .args(["history", "--limit", "1500", "--format", "csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
