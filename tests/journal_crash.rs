//! The journal under the real binary: written before the request leaves, and surviving a
//! SIGKILL mid-payout so that `reconcile` can resolve it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::faulty::http;
use common::*;
use payout_console::journal::Journal;
use payout_console::sandbox::SandboxOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_payout-console");

fn write_config(dir: &Path, base_url: &str) -> PathBuf {
    let file = dir.join("config.toml");
    std::fs::write(
        &file,
        format!(
            "default_profile = \"local\"\n[profiles.local]\nbase_url = \"{base_url}\"\nclient_id = \"sandbox\"\npoll_interval_secs = 1\n"
        ),
    )
    .unwrap();
    file
}

fn cli(config: &Path, data: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(BIN);
    c.env("PAYOUT_CONSOLE_CONFIG", config)
        .env("PAYOUT_CONSOLE_DATA_DIR", data)
        .env("PAYOUT_CONSOLE_CLIENT_SECRET", "sandbox")
        .env_remove("PAYOUT_CONSOLE_TOKEN")
        .env_remove("PAYOUT_CONSOLE_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

async fn json_of(mut c: tokio::process::Command) -> serde_json::Value {
    let out = c.output().await.unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_row_is_committed_before_the_request_reaches_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite3");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_in_server = seen.clone();
    let db_in_server = db.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 16384];
            let mut len = 0;
            // Read until the JSON body is complete (it ends with `}`), enough for this test.
            loop {
                let n = sock.read(&mut buf[len..]).await.unwrap();
                len += n;
                let text = String::from_utf8_lossy(&buf[..len]);
                if n == 0 || (text.contains("\r\n\r\n") && text.trim_end().ends_with('}')) {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&buf[..len]).to_string();
            let answer = if text.contains("/obtain/token") {
                http(
                    "200 OK",
                    "application/json",
                    r#"{"access_token":"t","expires_in":30}"#,
                )
            } else {
                let body: serde_json::Value =
                    serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap();
                let reference = body["reference_id"].as_str().unwrap().to_string();
                // A second, independent connection to the file, from inside the handler.
                let state = Journal::open_file(&db_in_server)
                    .unwrap()
                    .get(&reference)
                    .unwrap()
                    .map(|r| r.state.to_string())
                    .unwrap_or_else(|| "absent".into());
                seen_in_server.lock().unwrap().push(state);
                let body = format!(r#"{{"reference_id":"{reference}","status":"PENDING"}}"#);
                http("200 OK", "application/json", &body)
            };
            sock.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    let rig = rig_in(&base_url, Duration::from_secs(5), sandbox_auth(), dir);
    let out = rig
        .engine
        .execute(
            plan("18", "42", "000000", Uuid::new_v4()),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(out.state, payout_console::api::LocalState::Pending);
    assert_eq!(*seen.lock().unwrap(), vec!["sending".to_string()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pay_killed_while_waiting_leaves_unknown_that_reconcile_resolves() {
    let sb = sandbox_with(SandboxOptions {
        slow_answer: Duration::from_secs(60),
        ..fast_opts()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = write_config(dir.path(), &sb.base_url);

    let mut pay = cli(&config, &data);
    pay.args([
        "pay",
        "--account",
        "22",
        "--amount",
        "250",
        "--currency",
        "USD",
    ])
    .args(["--phone", "231771234567", "--code-stdin", "--json"]);
    let mut child = pay.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"000000\n")
        .await
        .unwrap();

    // Wait until the sandbox has executed it; the answer is still 60 s away.
    let started = Instant::now();
    let reference = loop {
        let execs = executions(&sb.base_url).await;
        if let Some(e) = execs.iter().find(|e| e["executions"] == 1) {
            break e["reference_id"].as_str().unwrap().to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "pay never reached the sandbox"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    child.kill().await.unwrap(); // SIGKILL
    child.wait().await.unwrap();

    let mut history = cli(&config, &data);
    history.args(["history", "--format", "json"]);
    let rows = json_of(history).await;
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["reference_id"], reference.as_str());
    assert_eq!(
        rows[0]["state"], "unknown",
        "a dead writer's `sending` row is unknown"
    );

    // Reconcile until the sandbox's payout is final (COMPLETED ~3 s after it executed).
    let started = Instant::now();
    loop {
        let mut rec = cli(&config, &data);
        rec.args(["reconcile", "--yes", "--json"]);
        let v = json_of(rec).await;
        let now = v["reconciled"][0]["now"].as_str().unwrap().to_string();
        assert_ne!(now, "failed");
        if now == "completed" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "reconcile never completed: {v}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut show = cli(&config, &data);
    show.args(["history", "show", &reference, "--json"]);
    let v = json_of(show).await;
    assert_eq!(v["execution"]["state"], "completed");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"journaled") && kinds.contains(&"reconciled"),
        "{kinds:?}"
    );
    assert_eq!(times_executed(&sb.base_url, &reference).await, 1);
    assert_never_twice(&sb.base_url).await;
    // Nothing left to reconcile, and reconcile never executes.
    let mut rec = cli(&config, &data);
    rec.args(["reconcile", "--yes", "--json"]);
    assert_eq!(
        json_of(rec).await["reconciled"].as_array().unwrap().len(),
        0
    );
}
