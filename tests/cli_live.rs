//! A live profile never executes from a script without an explicit `--yes`.

mod common;

use std::process::Stdio;

use common::*;
use tokio::io::AsyncWriteExt;

const BIN: &str = env!("CARGO_BIN_EXE_payout-console");

async fn pay(config: &std::path::Path, data: &std::path::Path, yes: bool) -> std::process::Output {
    let mut c = tokio::process::Command::new(BIN);
    c.env("PAYOUT_CONSOLE_CONFIG", config)
        .env("PAYOUT_CONSOLE_DATA_DIR", data)
        .env("PAYOUT_CONSOLE_CLIENT_SECRET", "sandbox")
        .env_remove("PAYOUT_CONSOLE_TOKEN")
        .args([
            "pay",
            "--account",
            "18",
            "--amount",
            "250",
            "--currency",
            "USD",
        ])
        .args(["--phone", "231771234567", "--code-stdin", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if yes {
        c.arg("--yes");
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"000000\n")
        .await
        .unwrap();
    child.wait_with_output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_profile_needs_yes_to_pay_from_a_script() {
    let sb = sandbox_with(fast_opts()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"prod\"\n[profiles.prod]\nbase_url = \"{}\"\nclient_id = \"sandbox\"\nlive = true\npoll_interval_secs = 1\n",
            sb.base_url
        ),
    )
    .unwrap();
    let data = dir.path().join("data");

    let refused = pay(&config, &data, false).await;
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("LIVE") && stderr.contains("--yes"),
        "{stderr}"
    );
    assert!(
        executions(&sb.base_url).await.is_empty(),
        "nothing reached the API"
    );

    let paid = pay(&config, &data, true).await;
    assert_eq!(
        paid.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&paid.stderr)
    );
    assert_eq!(executions(&sb.base_url).await.len(), 1);
}
