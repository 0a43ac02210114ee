//! Runs payouts with known secrets, then reads every byte the console left on disk (history,
//! its WAL and shared memory, logs): none of the secrets, the passcode or the full phone appear.

mod common;

use std::path::Path;
use std::process::Stdio;

use common::*;
use payout_console::sandbox::SandboxOptions;
use tokio::io::AsyncWriteExt;

const BIN: &str = env!("CARGO_BIN_EXE_payout-console");
const CLIENT_SECRET: &str = "cs-Tq93xZ7vLw2-client-secret";
const PASSCODE: &str = "Pc7Hq2-merchant-passcode";
const WRONG_PASSCODE: &str = "Wr0ng-merchant-passcode";
const PHONE: &str = "231779876543";

async fn pay(
    config: &Path,
    data: &Path,
    account: &str,
    code: &str,
    token: Option<&str>,
) -> serde_json::Value {
    let mut c = tokio::process::Command::new(BIN);
    c.env("PAYOUT_CONSOLE_CONFIG", config)
        .env("PAYOUT_CONSOLE_DATA_DIR", data)
        .env("PAYOUT_CONSOLE_CLIENT_SECRET", CLIENT_SECRET)
        .env("PAYOUT_CONSOLE_LOG", "debug")
        .env_remove("PAYOUT_CONSOLE_TOKEN")
        .args([
            "pay",
            "--account",
            account,
            "--amount",
            "250",
            "--currency",
            "USD",
        ])
        .args([
            "--phone",
            PHONE,
            "--code-stdin",
            "--json",
            "--show-client-secret",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        c.env("PAYOUT_CONSOLE_TOKEN", t);
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{code}\n").as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_passcode_or_full_phone_reaches_the_disk() {
    let sb = sandbox_with(SandboxOptions {
        client_secret: CLIENT_SECRET.into(),
        passcode: PASSCODE.into(),
        ..fast_opts()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"local\"\n[profiles.local]\nbase_url = \"{}\"\nclient_id = \"sandbox\"\npoll_interval_secs = 1\n",
            sb.base_url
        ),
    )
    .unwrap();

    let done = pay(&config, &data, "18", PASSCODE, None).await;
    assert_eq!(done["state"], "completed");
    let action = pay(&config, &data, "20", PASSCODE, None).await;
    assert_eq!(action["state"], "action_required");
    let card_secret = action["client_secret"].as_str().unwrap().to_string();
    assert!(
        card_secret.len() > 20,
        "the full secret was printed on request: {card_secret}"
    );
    let refused = pay(&config, &data, "18", WRONG_PASSCODE, None).await;
    assert_eq!(refused["state"], "rejected");
    // A run with a ready bearer token: the token must not be stored either.
    let token: serde_json::Value = common::http()
        .post(format!("{}/v1/jwt/client/obtain/token", sb.base_url))
        .json(&serde_json::json!({"client_id": "sandbox", "client_secret": CLIENT_SECRET}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let with_token = pay(&config, &data, "19", PASSCODE, Some(&token)).await;
    assert_eq!(with_token["state"], "failed");

    let mut files = Vec::new();
    files_under(&data, &mut files);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into())
        .collect();
    assert!(names.iter().any(|n| n == "history.sqlite3"), "{names:?}");
    assert!(
        names.iter().any(|n| n.contains(".log")),
        "a log file was written: {names:?}"
    );
    let mut all = Vec::new();
    for f in &files {
        all.extend(std::fs::read(f).unwrap());
    }
    // The scan is not vacuous: the masked phone and the references are there.
    assert!(contains(&all, "2317•••6543"), "masked phone stored");
    assert!(contains(&all, done["reference_id"].as_str().unwrap()));
    for (what, secret) in [
        ("client secret", CLIENT_SECRET),
        ("merchant passcode", PASSCODE),
        ("wrong passcode", WRONG_PASSCODE),
        ("full phone", PHONE),
        ("bearer token", token.as_str()),
        ("requires_action client_secret", card_secret.as_str()),
    ] {
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(!contains(&bytes, secret), "{what} found in {}", f.display());
        }
    }
}
