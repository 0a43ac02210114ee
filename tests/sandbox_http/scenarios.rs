//! One test per payout-account scenario.

use std::time::{Duration, Instant};

use payout_console::sandbox;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::*;

#[tokio::test]
async fn standard_payout_goes_pending_processing_then_completed() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("18", json!(12.5), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let (_, body) = api
        .execute(&execute_body(&session, "18", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(body["status"], "PENDING");
    assert_eq!(body["provider_transaction_id"], Value::Null);
    assert_eq!(body["payer_amount"], body["payee_amount"]);
    assert_eq!(body["operation_type"], "PAYOUT");
    let processing = wait_for_status(&api, &reference, "PROCESSING", Duration::from_secs(3)).await;
    assert_eq!(processing["status"], "PROCESSING");
    assert!(
        processing["provider_transaction_id"]
            .as_str()
            .unwrap()
            .starts_with("MTN-")
    );
    let done = wait_for_status(&api, &reference, "COMPLETED", Duration::from_secs(5)).await;
    assert_eq!(done["status"], "COMPLETED");
}

#[tokio::test]
async fn declined_account_fails_with_the_operator_message() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("19", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let (_, body) = api
        .execute(&execute_body(&session, "19", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(body["status"], "FAILED");
    assert!(
        body["gateway_message"]
            .as_str()
            .unwrap()
            .contains("declined")
    );
}

#[tokio::test]
async fn lrd_payout_reports_both_legs_at_the_fixed_rate() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("19", json!(10), "USD").await;
    let (_, body) = api
        .execute(&execute_body(
            &session,
            "19",
            &Uuid::new_v4().to_string(),
            sandbox::PASSCODE,
        ))
        .await;
    assert_eq!(body["payer_currency"], "USD");
    assert_eq!(body["payee_currency"], "LRD");
    assert_eq!(body["payer_amount"], json!(10.0));
    assert_eq!(body["payee_amount"], json!(1872.5));
}

#[tokio::test]
async fn amount_above_the_wallet_balance_fails_for_insufficient_balance() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("18", json!(10000.01), "USD").await;
    let (status, body) = api
        .execute(&execute_body(
            &session,
            "18",
            &Uuid::new_v4().to_string(),
            sandbox::PASSCODE,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "FAILED");
    assert_eq!(body["wallet_message"], "Insufficient wallet balance");
}

#[tokio::test]
async fn card_payout_requires_action_until_confirmed_then_completes() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("20", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let (_, body) = api
        .execute(&execute_body(&session, "20", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(body["status"], "PROCESSING");
    assert_eq!(body["requires_action"], true);
    let secret = body["client_secret"].as_str().unwrap();
    assert!(secret.starts_with("pi_") && secret.contains("_secret_"));
    let confirm = format!("{}/_sandbox/confirm/{reference}", sb.base_url);
    let resp = client().post(&confirm).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, now) = api.status(&reference).await;
    assert_eq!(now["requires_action"], false);
    let done = wait_for_status(&api, &reference, "COMPLETED", Duration::from_secs(2)).await;
    assert_eq!(done["status"], "COMPLETED");
    let unknown = format!("{}/_sandbox/confirm/{}", sb.base_url, Uuid::new_v4());
    let resp = client().post(&unknown).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn long_processing_account_completes_after_processing_for() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("21", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let (_, body) = api
        .execute(&execute_body(&session, "21", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(body["status"], "PROCESSING");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(api.status(&reference).await.1["status"], "PROCESSING");
    let done = wait_for_status(&api, &reference, "COMPLETED", Duration::from_secs(3)).await;
    assert_eq!(done["status"], "COMPLETED");
}

#[tokio::test]
async fn slow_account_executes_at_once_and_answers_late() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("22", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let body = execute_body(&session, "22", &reference, sandbox::PASSCODE);
    let started = Instant::now();
    let slow = {
        let (http, base, token) = (api.http.clone(), api.base.clone(), api.token.clone());
        tokio::spawn(async move {
            http.post(format!("{base}/v1/executions/payout"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .map(|r| r.status())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(row(&sb, &reference).await["executions"], 1);
    assert_eq!(api.status(&reference).await.0, StatusCode::OK);
    let status = slow.await.unwrap().unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[tokio::test]
async fn dropped_connection_still_executes_exactly_once() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("23", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let body = execute_body(&session, "23", &reference, sandbox::PASSCODE);
    let result = client()
        .post(format!("{}/v1/executions/payout", sb.base_url))
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await;
    let err = result.expect_err("the connection is dropped without an answer");
    assert!(!err.is_timeout(), "dropped, not timed out: {err}");
    let row = row(&sb, &reference).await;
    assert_eq!(row["executions"], 1);
    assert_eq!(row["execute_calls"], 1);
    // Status first: the execution is known.
    assert_eq!(api.status(&reference).await.0, StatusCode::OK);
    // The server is still serving.
    let (status, again) = api.execute(&body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["reference_id"], reference.as_str());
}

#[tokio::test]
async fn server_error_on_first_attempt_then_same_reference_succeeds() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("24", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let body = execute_body(&session, "24", &reference, sandbox::PASSCODE);
    let (status, answer) = api.execute(&body).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer, json!({"detail": "Internal Server Error"}));
    assert_eq!(row(&sb, &reference).await["executions"], 0);
    assert_eq!(api.status(&reference).await.0, StatusCode::NOT_FOUND);
    let (status, answer) = api.execute(&body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["reference_id"], reference.as_str());
    assert_eq!(row(&sb, &reference).await["executions"], 1);
}

#[tokio::test]
async fn rate_limited_first_attempt_says_retry_after_2_then_succeeds() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("25", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let body = execute_body(&session, "25", &reference, sandbox::PASSCODE);
    let resp = api
        .http
        .post(format!("{}/v1/executions/payout", sb.base_url))
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "2");
    let answer: Value = resp.json().await.unwrap();
    assert!(answer["detail"].is_string());
    assert_eq!(row(&sb, &reference).await["executions"], 0);
    let (status, _) = api.execute(&body).await;
    assert_eq!(status, StatusCode::OK);
    let row = row(&sb, &reference).await;
    assert_eq!(row["executions"], 1);
    assert_eq!(row["execute_calls"], 2);
}
