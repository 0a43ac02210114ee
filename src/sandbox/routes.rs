//! The sandbox's routes: the vendor API under `/v1` and the test-only `/_sandbox` endpoints.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde_json::json;

use super::errors::{ApiError, Invalid, JsonBody};
use super::execute::execute;
use super::scenarios::{Legs, Scenario};
use super::state::{Confirm, Sandbox, SessionBody};
use super::{API_VERSION, CLIENT_ID, validate};

pub(crate) type Shared = Arc<Sandbox>;

pub(crate) fn router(sandbox: Shared) -> Router {
    Router::new()
        .route("/{version}/jwt/client/obtain/token", post(obtain_token))
        .route("/{version}/sessions/payout", post(create_session))
        .route("/{version}/executions/payout", post(execute))
        .route("/{version}/status/payout/{reference_id}", get(status))
        .route("/_sandbox/executions", get(inspect))
        .route("/_sandbox/confirm/{reference_id}", post(confirm))
        .route("/_sandbox/expire-tokens", post(expire_tokens))
        .route("/_sandbox/sessions/{id}/expire", post(expire_session))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_request))
        .with_state(sandbox)
}

/// One log line per request: method, path, status, time. Never headers or bodies, which carry
/// tokens, client secrets and passcodes.
async fn log_request(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let started = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        target: "payout_console::sandbox",
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "sandbox request"
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A path segment that does not decode is a resource that does not exist.
pub(crate) fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(v)| v)
        .map_err(|_| ApiError::NotFound("Not Found"))
}

pub(crate) fn check_version(version: &str) -> Result<(), ApiError> {
    if version == API_VERSION {
        Ok(())
    } else {
        Err(ApiError::UnknownVersion(version.chars().take(40).collect()))
    }
}

/// The bearer check every `/v1` call but the token call makes.
pub(crate) fn authorize(sandbox: &Sandbox, headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => return Err(ApiError::NotAuthenticated),
    };
    if sandbox.store().token_is_valid(token, Instant::now()) {
        Ok(())
    } else {
        Err(ApiError::BadToken)
    }
}

/// `expires_in` in minutes: an integer when whole, a fraction for short test lifetimes.
pub(crate) fn expires_in_minutes(ttl: std::time::Duration) -> serde_json::Value {
    if ttl.subsec_nanos() == 0 && ttl.as_secs().is_multiple_of(60) {
        json!(ttl.as_secs() / 60)
    } else {
        json!(ttl.as_secs_f64() / 60.0)
    }
}

async fn obtain_token(
    State(sandbox): State<Shared>,
    version: Result<Path<String>, PathRejection>,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    check_version(&path(version)?)?;
    let req = validate::token_request(&body?.0)?;
    if req.client_id != CLIENT_ID || req.client_secret.expose_secret() != sandbox.opts.client_secret
    {
        tracing::info!(target: "payout_console::sandbox", "token refused: bad client credentials");
        return Err(ApiError::BadClient);
    }
    let ttl = sandbox.opts.token_ttl;
    let token = sandbox.store().issue_token(Instant::now(), ttl);
    Ok(Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": expires_in_minutes(ttl),
    }))
    .into_response())
}

async fn create_session(
    State(sandbox): State<Shared>,
    version: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    check_version(&path(version)?)?;
    authorize(&sandbox, &headers)?;
    let req = validate::session_request(&body?.0)?;
    let scenario = Scenario::for_account(&req.payout_account_id)
        .ok_or(ApiError::NotFound("Payout account not found"))?;
    if !scenario.accepts_currency(&req.currency) {
        return Err(ApiError::invalid(
            Invalid::body(
                &["currency"],
                "value_error",
                format!(
                    "Value error, payout account {} takes USD or {}",
                    req.payout_account_id,
                    scenario.payee_currency()
                ),
            )
            .with_input(req.currency.clone().into()),
        ));
    }
    let legs = Legs::for_session(scenario, req.amount.0, &req.currency).ok_or_else(|| {
        ApiError::invalid(Invalid::body(
            &["amount"],
            "value_error",
            "Value error, amount out of range",
        ))
    })?;
    if legs.payer_amount.0.is_zero() || legs.payee_amount.0.is_zero() {
        return Err(ApiError::invalid(Invalid::body(
            &["amount"],
            "value_error",
            "Value error, amount is below the smallest payout (0.01 USD)",
        )));
    }
    let mut store = sandbox.store();
    let session = store.create_session(
        req.payout_account_id,
        scenario,
        req.amount,
        req.currency,
        legs,
        sandbox.opts.session_ttl,
    );
    tracing::info!(
        target: "payout_console::sandbox",
        session_id = session.id,
        account = %session.payout_account_id,
        "payout session created"
    );
    Ok((StatusCode::CREATED, Json(SessionBody::from(session))).into_response())
}

async fn status(
    State(sandbox): State<Shared>,
    params: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (version, reference_id) = path(params)?;
    check_version(&version)?;
    authorize(&sandbox, &headers)?;
    let store = sandbox.store();
    let execution = store
        .execution(&reference_id)
        .ok_or(ApiError::NotFound("Execution not found"))?;
    let body = execution.body(Instant::now(), sandbox.opts.processing_for);
    Ok(Json(body).into_response())
}

async fn inspect(State(sandbox): State<Shared>) -> Response {
    let rows = sandbox.store().inspect(sandbox.opts.processing_for);
    Json(json!({ "executions": rows })).into_response()
}

async fn confirm(
    State(sandbox): State<Shared>,
    reference_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let reference_id = path(reference_id)?;
    let outcome = sandbox
        .store()
        .confirm(&reference_id, sandbox.opts.processing_for);
    match outcome {
        Confirm::Confirmed(body) => {
            let body = *body;
            tracing::info!(target: "payout_console::sandbox", reference_id, "card payout confirmed");
            Ok(Json(body).into_response())
        }
        Confirm::NotFound => Err(ApiError::NotFound("Execution not found")),
        Confirm::NoActionRequired => Err(ApiError::Conflict("Execution does not require action")),
    }
}

async fn expire_tokens(State(sandbox): State<Shared>) -> Response {
    let count = sandbox.store().expire_tokens(Instant::now());
    tracing::info!(target: "payout_console::sandbox", count, "every token expired");
    Json(json!({ "expired_tokens": count })).into_response()
}

async fn expire_session(
    State(sandbox): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path(id)?;
    if !sandbox.store().expire_session(&id) {
        return Err(ApiError::NotFound("Payout session not found"));
    }
    tracing::info!(target: "payout_console::sandbox", session_id = %id, "payout session expired");
    Ok(Json(json!({ "id": id, "expired": true })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn expires_in_is_whole_minutes_or_a_fraction() {
        assert_eq!(expires_in_minutes(Duration::from_secs(1800)), json!(30));
        assert_eq!(expires_in_minutes(Duration::from_secs(30)), json!(0.5));
    }

    #[test]
    fn only_v1_is_served() {
        assert!(check_version("v1").is_ok());
        assert!(matches!(
            check_version("v2"),
            Err(ApiError::UnknownVersion(_))
        ));
    }

    #[test]
    fn bearer_header_is_required_and_checked() {
        let sandbox = Sandbox::new(super::super::SandboxOptions::default());
        let mut headers = HeaderMap::new();
        assert!(matches!(
            authorize(&sandbox, &headers),
            Err(ApiError::NotAuthenticated)
        ));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(matches!(
            authorize(&sandbox, &headers),
            Err(ApiError::NotAuthenticated)
        ));
        headers.insert(header::AUTHORIZATION, "Bearer nope".parse().unwrap());
        assert!(matches!(
            authorize(&sandbox, &headers),
            Err(ApiError::BadToken)
        ));
        let token = sandbox
            .store()
            .issue_token(Instant::now(), Duration::from_secs(60));
        headers.insert(
            header::AUTHORIZATION,
            format!("bearer {token}").parse().unwrap(),
        );
        assert!(authorize(&sandbox, &headers).is_ok());
    }
}
