//! Helpers shared by the sandbox HTTP tests: a started sandbox, a logged-in client, bodies.

use std::time::{Duration, Instant};

use payout_console::sandbox::{self, SandboxHandle, SandboxOptions};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

pub fn fast_options() -> SandboxOptions {
    SandboxOptions {
        slow_answer: Duration::from_secs(2),
        processing_for: Duration::from_secs(3),
        ..SandboxOptions::default()
    }
}

pub async fn start() -> SandboxHandle {
    start_with(fast_options()).await
}

pub async fn start_with(opts: SandboxOptions) -> SandboxHandle {
    sandbox::start("127.0.0.1:0".parse().unwrap(), opts)
        .await
        .expect("the sandbox binds a free loopback port")
}

pub fn client() -> Client {
    payout_console::api::use_ring_for_tls();
    Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// A logged-in client of one sandbox.
pub struct Api {
    pub http: Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn login(sb: &SandboxHandle) -> Api {
        let http = client();
        let body: Value = http
            .post(format!("{}/v1/jwt/client/obtain/token", sb.base_url))
            .json(&json!({"client_id": "sandbox", "client_secret": "sandbox"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Api {
            http,
            base: sb.base_url.clone(),
            token: body["access_token"].as_str().unwrap().to_string(),
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap_or(Value::Null))
    }

    /// Creates a session and returns its id as the string execute wants.
    pub async fn session(&self, account: &str, amount: Value, currency: &str) -> String {
        let (status, body) = self
            .post(
                "/v1/sessions/payout",
                &json!({"payout_account_id": account, "amount": amount, "currency": currency}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_u64().expect("integer session id").to_string()
    }

    pub async fn execute(&self, body: &Value) -> (StatusCode, Value) {
        self.post("/v1/executions/payout", body).await
    }

    pub async fn status(&self, reference: &str) -> (StatusCode, Value) {
        self.get(&format!("/v1/status/payout/{reference}")).await
    }
}

pub fn execute_body(session: &str, account: &str, reference: &str, code: &str) -> Value {
    json!({
        "session_id": session,
        "payout_account_id": account,
        "reference_id": reference,
        "passcode": {
            "token": {"code": code, "phone": sandbox::SAMPLE_PHONE},
            "device": {
                "name": "test-host", "type": "SERVER", "platform": "LINUX",
                "user_agent": "payout-console/test", "client_ip": "127.0.0.1"
            }
        }
    })
}

pub async fn inspect(sb: &SandboxHandle) -> Vec<Value> {
    let body: Value = client()
        .get(format!("{}/_sandbox/executions", sb.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["executions"].as_array().cloned().unwrap_or_default()
}

pub async fn row(sb: &SandboxHandle, reference: &str) -> Value {
    inspect(sb)
        .await
        .into_iter()
        .find(|r| r["reference_id"] == reference)
        .unwrap_or(Value::Null)
}

pub fn first_loc(body: &Value) -> Vec<Value> {
    body["detail"][0]["loc"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Polls the status endpoint until `word` or the deadline.
pub async fn wait_for_status(api: &Api, reference: &str, word: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, body) = api.status(reference).await;
        if body["status"] == word || Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
