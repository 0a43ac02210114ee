//! Shared rig for integration tests: a real sandbox on loopback, a real journal in a temp dir,
//! the real client and engine.
#![allow(dead_code)]

pub mod faulty;

use std::sync::Arc;
use std::time::Duration;

use payout_console::api::{ApiClient, Auth, ClientOptions, LocalState};
use payout_console::journal::{EventKind, Journal, NewExecution};
use payout_console::money::Amount;
use payout_console::payout::{
    Engine, EngineContext, ExecutionPlan, Payee, PollPolicy, Progress, Store, default_device,
};
use payout_console::sandbox::{self, SandboxHandle, SandboxOptions};
use tempfile::TempDir;
use uuid::Uuid;

/// Sandbox timings short enough for a fast suite.
pub fn fast_opts() -> SandboxOptions {
    SandboxOptions {
        slow_answer: Duration::from_secs(3),
        processing_for: Duration::from_secs(3),
        ..SandboxOptions::default()
    }
}

pub async fn sandbox_with(opts: SandboxOptions) -> SandboxHandle {
    sandbox::start(([127, 0, 0, 1], 0).into(), opts)
        .await
        .expect("sandbox starts on loopback")
}

pub struct Rig {
    pub engine: Engine,
    pub dir: TempDir,
    pub base_url: String,
}

pub fn sandbox_auth() -> Auth {
    Auth::Client {
        client_id: sandbox::CLIENT_ID.into(),
        client_secret: sandbox::CLIENT_SECRET.into(),
    }
}

pub fn rig(base_url: &str, timeout: Duration, auth: Auth) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    rig_in(base_url, timeout, auth, dir)
}

pub fn rig_in(base_url: &str, timeout: Duration, auth: Auth, dir: TempDir) -> Rig {
    let api_base = format!("{base_url}/v1");
    let client = ApiClient::new(
        ClientOptions {
            api_base: api_base.clone(),
            timeout,
            connect_timeout: Duration::from_secs(2),
            user_agent: "payout-console-tests".into(),
        },
        auth,
    )
    .unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    let engine = Engine {
        client: Arc::new(client),
        store: Store::new(journal),
        ctx: EngineContext {
            profile: "test".into(),
            base_url: base_url.into(),
            sandbox: true,
            os_user: "tester".into(),
            device: default_device(
                Some("test-host"),
                "SERVER",
                "LINUX",
                Some("127.0.0.1"),
                &api_base,
            ),
        },
        poll: PollPolicy {
            interval: Duration::from_millis(200),
            max_interval: Duration::from_millis(800),
            not_found_grace: Duration::from_secs(1),
            not_found_polls: 3,
            max_attempts: 3,
            max_retry_wait: Duration::from_secs(5),
        },
    };
    Rig {
        engine,
        dir,
        base_url: base_url.into(),
    }
}

pub fn plan(account: &str, session_id: &str, code: &str, reference: Uuid) -> ExecutionPlan {
    ExecutionPlan {
        reference,
        account: account.into(),
        session_id: session_id.into(),
        session_amount: Some(Amount::parse("250").unwrap()),
        session_currency: Some("USD".into()),
        session_expires_at: None,
        payee: Payee::Phone(sandbox::SAMPLE_PHONE.into()),
        code: code.to_string().into(),
        allow_unresolved: false,
    }
}

/// A fresh sandbox session for 250 USD on `account`; its id.
pub async fn new_session(engine: &Engine, account: &str) -> String {
    engine
        .create_session(account, Amount::parse("250").unwrap(), "USD")
        .await
        .expect("session")
        .id
        .unwrap()
}

/// Journals `row` as a payout whose request left and whose answer was lost: `unknown`, as
/// `Engine::execute` leaves it after a timeout.
pub async fn journal_lost_answer(engine: &Engine, row: NewExecution) {
    engine
        .store
        .run(move |j| {
            let r = row.reference_id.clone();
            j.begin(&row)?;
            j.mark_sent(&r, 1)?;
            j.record_error(&r, EventKind::Error, None, LocalState::Unknown, "timed out")
        })
        .await
        .unwrap();
}

/// A row to journal by hand, as `Engine::execute` would before sending, for account 18.
pub fn new_execution(reference: &str, session_id: &str, base_url: &str) -> NewExecution {
    NewExecution {
        reference_id: reference.into(),
        session_id: session_id.into(),
        session_amount: None,
        session_currency: None,
        session_expires_at: None,
        payout_account_id: "18".into(),
        profile: "test".into(),
        base_url: base_url.into(),
        sandbox: true,
        os_user: "tester".into(),
        payee: "2317•••4567".into(),
        guard_account: false,
    }
}

pub fn quiet() -> impl Fn(Progress) + Send + Sync {
    |_p: Progress| {}
}

/// Every execution the sandbox saw.
pub async fn executions(base_url: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = http()
        .get(format!("{base_url}/_sandbox/executions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["executions"].as_array().cloned().unwrap_or_default()
}

/// How many times money moved for `reference` (0 when the sandbox never executed it).
pub async fn times_executed(base_url: &str, reference: &str) -> u64 {
    executions(base_url)
        .await
        .iter()
        .find(|e| e["reference_id"] == reference)
        .map(|e| e["executions"].as_u64().unwrap_or(0))
        .unwrap_or(0)
}

/// No reference executed more than once, anywhere in the sandbox.
pub async fn assert_never_twice(base_url: &str) {
    for e in executions(base_url).await {
        assert!(
            e["executions"].as_u64().unwrap_or(0) <= 1,
            "executed more than once: {e}"
        );
    }
}

/// A plain HTTP client for talking to the sandbox directly (the product's TLS provider installed
/// first, as every reqwest client in this crate needs).
pub fn http() -> reqwest::Client {
    payout_console::api::use_ring_for_tls();
    reqwest::Client::new()
}

pub async fn post(url: &str) -> u16 {
    http().post(url).send().await.unwrap().status().as_u16()
}
