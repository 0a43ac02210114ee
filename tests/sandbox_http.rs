//! The sandbox over real loopback HTTP: tokens, sessions, execute with its checks and
//! idempotency, and every payout-account scenario.

use std::time::Duration;

use payout_console::sandbox::{self, SandboxOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

#[path = "sandbox_http/scenarios.rs"]
mod scenarios;
#[path = "sandbox_http/support.rs"]
mod support;

use support::*;

#[tokio::test]
async fn token_exchange_issues_a_bearer_token_with_lifetime_in_minutes() {
    let sb = start().await;
    let resp = client()
        .post(format!("{}/v1/jwt/client/obtain/token", sb.base_url))
        .json(&json!({"client_id": "sandbox", "client_secret": "sandbox"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 30);
}

#[tokio::test]
async fn short_token_lifetime_is_a_fractional_number_of_minutes() {
    let sb = start_with(SandboxOptions {
        token_ttl: Duration::from_secs(30),
        ..fast_options()
    })
    .await;
    let api = Api::login(&sb).await;
    let (_, body) = api
        .post(
            "/v1/jwt/client/obtain/token",
            &json!({"client_id": "sandbox", "client_secret": "sandbox"}),
        )
        .await;
    assert_eq!(body["expires_in"], 0.5);
}

#[tokio::test]
async fn wrong_client_credentials_get_401_and_missing_ones_422() {
    let sb = start().await;
    let url = format!("{}/v1/jwt/client/obtain/token", sb.base_url);
    let resp = client()
        .post(&url)
        .json(&json!({"client_id": "sandbox", "client_secret": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Invalid client credentials"}));
    let resp = client()
        .post(&url)
        .json(&json!({"client_id": "sandbox"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        first_loc(&body),
        vec![json!("body"), json!("client_secret")]
    );
    assert_eq!(body["detail"][0]["type"], "missing");
}

#[tokio::test]
async fn calls_without_a_token_or_with_an_unknown_one_get_401() {
    let sb = start().await;
    let url = format!("{}/v1/status/payout/{}", sb.base_url, Uuid::new_v4());
    let resp = client().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"detail": "Not authenticated"})
    );
    let resp = client()
        .get(&url)
        .bearer_auth("made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"detail": "Could not validate credentials"})
    );
}

#[tokio::test]
async fn tokens_expired_by_the_test_endpoint_are_refused() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (status, _) = api.status(&Uuid::new_v4().to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = client()
        .post(format!("{}/_sandbox/expire-tokens", sb.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, body) = api.status(&Uuid::new_v4().to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["detail"], "Could not validate credentials");
    // A fresh token works again.
    let api = Api::login(&sb).await;
    assert_eq!(
        api.status(&Uuid::new_v4().to_string()).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn session_answers_integer_id_wallet_and_utc_expiry() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (status, body) = api
        .post(
            "/v1/sessions/payout",
            &json!({"payout_account_id": 18, "amount": 12.5, "currency": "USD"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["id"].is_u64());
    assert!(body["wallet_id"].is_u64());
    assert_eq!(body["payout_account_id"], "18");
    assert_eq!(body["amount"], 12.5);
    assert_eq!(body["currency"], "USD");
    let expires = payout_console::api::wire::parse_time(body["expires_at"].as_str().unwrap())
        .expect("RFC 3339 expiry");
    let created = payout_console::api::wire::parse_time(body["created_at"].as_str().unwrap())
        .expect("RFC 3339 creation time");
    assert_eq!((expires - created).num_minutes(), 15);
}

#[tokio::test]
async fn session_validation_refuses_bad_amount_and_currency_and_unknown_accounts() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let bad = [
        (
            json!({"payout_account_id": "18", "amount": 0, "currency": "USD"}),
            "amount",
        ),
        (
            json!({"payout_account_id": "18", "amount": -3, "currency": "USD"}),
            "amount",
        ),
        (
            json!({"payout_account_id": "18", "amount": 5, "currency": "usd"}),
            "currency",
        ),
        (
            json!({"payout_account_id": "18", "amount": 5, "currency": "USDX"}),
            "currency",
        ),
        (json!({"payout_account_id": "18", "amount": 5}), "currency"),
    ];
    for (body, field) in bad {
        let (status, answer) = api.post("/v1/sessions/payout", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            first_loc(&answer),
            vec![json!("body"), json!(field)],
            "{body}"
        );
    }
    for account in ["404", "99"] {
        let (status, answer) = api
            .post(
                "/v1/sessions/payout",
                &json!({"payout_account_id": account, "amount": 5, "currency": "USD"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer, json!({"detail": "Payout account not found"}));
    }
}

#[tokio::test]
async fn bad_passcode_is_403_and_executes_nothing() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("18", json!(10), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let (status, body) = api
        .execute(&execute_body(&session, "18", &reference, "123456"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"detail": "Invalid merchant passcode"}));
    assert_eq!(row(&sb, &reference).await["executions"], 0);
    assert_eq!(api.status(&reference).await.0, StatusCode::NOT_FOUND);
    // The refused reference was not consumed: the right passcode executes it.
    let (status, _) = api
        .execute(&execute_body(&session, "18", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row(&sb, &reference).await["executions"], 1);
}

#[tokio::test]
async fn replaying_same_reference_never_executes_twice() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("18", json!(25), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let body = execute_body(&session, "18", &reference, sandbox::PASSCODE);
    let (status, first) = api.execute(&body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["status"], "PENDING");
    assert_eq!(first["reference_id"], reference.as_str());
    for key in [
        "payer_amount",
        "payer_currency",
        "payee_amount",
        "payee_currency",
        "operation_type",
        "provider_transaction_id",
        "gateway_message",
        "wallet_message",
        "client_secret",
        "requires_action",
    ] {
        assert!(first.get(key).is_some(), "execute answer lacks {key}");
    }
    let (status, again) = api.execute(&body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["reference_id"], reference.as_str());
    let row = row(&sb, &reference).await;
    assert_eq!(row["executions"], 1);
    assert_eq!(row["execute_calls"], 2);
}

#[tokio::test]
async fn reused_reference_for_a_different_payment_is_422_on_reference_id() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let first = api.session("18", json!(10), "USD").await;
    let second = api.session("18", json!(20), "USD").await;
    let reference = Uuid::new_v4().to_string();
    let (status, _) = api
        .execute(&execute_body(&first, "18", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .execute(&execute_body(&second, "18", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first_loc(&body), vec![json!("body"), json!("reference_id")]);
    assert_eq!(
        body["detail"][0]["msg"],
        "reference_id already used for a different payment"
    );
    assert_eq!(row(&sb, &reference).await["executions"], 1);
}

#[tokio::test]
async fn malformed_execute_bodies_get_fastapi_422_items() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("18", json!(10), "USD").await;
    let mut body = execute_body(&session, "18", &Uuid::new_v4().to_string(), "000000");
    body["passcode"]["device"]
        .as_object_mut()
        .unwrap()
        .remove("client_ip");
    let (status, answer) = api.execute(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answer,
        json!({"detail":[{"loc":["body","passcode","device","client_ip"],"msg":"Field required","type":"missing"}]})
    );
    let bad_ref = execute_body(&session, "18", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "0");
    let (status, answer) = api.execute(&bad_ref).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_loc(&answer),
        vec![json!("body"), json!("reference_id")]
    );
    // Not JSON at all: still a FastAPI body, never plain text.
    let resp = api
        .http
        .post(format!("{}/v1/executions/payout", sb.base_url))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["detail"][0]["type"], "json_invalid");
    assert!(inspect(&sb).await.is_empty());
}

#[tokio::test]
async fn expired_session_cannot_be_executed() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("18", json!(10), "USD").await;
    let resp = client()
        .post(format!(
            "{}/_sandbox/sessions/{session}/expire",
            sb.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let reference = Uuid::new_v4().to_string();
    let (status, body) = api
        .execute(&execute_body(&session, "18", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first_loc(&body), vec![json!("body"), json!("session_id")]);
    assert_eq!(
        body["detail"][0]["msg"],
        "Payout session has expired; create a new one"
    );
    assert_eq!(row(&sb, &reference).await["executions"], 0);
    let (status, body) = api
        .execute(&execute_body("999999", "18", &reference, sandbox::PASSCODE))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn session_of_another_account_is_422_on_payout_account_id() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let session = api.session("18", json!(10), "USD").await;
    let (status, body) = api
        .execute(&execute_body(
            &session,
            "19",
            &Uuid::new_v4().to_string(),
            sandbox::PASSCODE,
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_loc(&body),
        vec![json!("body"), json!("payout_account_id")]
    );
}

#[tokio::test]
async fn unknown_routes_versions_and_references_are_json_404s() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (status, body) = api.get("/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Not Found"}));
    let (status, body) = api.status(&Uuid::new_v4().to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Execution not found"}));
    let (status, body) = api
        .get(&format!("/v2/status/payout/{}", Uuid::new_v4()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["detail"].as_str().unwrap().contains("v1"));
}

#[tokio::test]
async fn shutdown_stops_the_server_and_banner_tells_how_to_use_it() {
    let sb = start().await;
    let banner = sandbox::banner(&sb);
    for needle in [
        sb.base_url.as_str(),
        "v1",
        "sandbox",
        "000000",
        "231771234567",
        "/_sandbox/executions",
    ] {
        assert!(banner.contains(needle), "banner lacks {needle}");
    }
    for (account, _) in sandbox::SCENARIOS {
        assert!(banner.contains(account));
    }
    let base = sb.base_url.clone();
    sb.shutdown().await;
    let result = client()
        .get(format!("{base}/_sandbox/executions"))
        .send()
        .await;
    assert!(result.is_err(), "nothing listens after shutdown");
}
