//! `POST /v1/executions/payout`: the one call that moves money, with idempotency by
//! reference_id and the transport scenarios (slow answer, dropped connection, 500, 429).

use std::time::{Duration, Instant};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use secrecy::ExposeSecret;

use super::SandboxOptions;
use super::errors::{ApiError, Invalid, JsonBody};
use super::routes::{Shared, authorize, check_version, path};
use super::scenarios::{RETRY_AFTER_SECS, Scenario};
use super::server::DropConnection;
use super::state::{ExecutionBody, Store};
use super::validate::{self, ExecuteRequest};

/// How the answer to an accepted execute leaves.
enum Delivery {
    Now(Box<ExecutionBody>),
    /// Account 22: the execution exists; the answer waits.
    Late,
    /// Account 23: the execution exists; the connection is dropped.
    Dropped,
}

pub(crate) async fn execute(
    State(sandbox): State<Shared>,
    version: Result<Path<String>, PathRejection>,
    drop_connection: Option<Extension<DropConnection>>,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, ApiError> {
    check_version(&path(version)?)?;
    authorize(&sandbox, &headers)?;
    let req = validate::execute_request(&body?.0)?;
    let delivery = decide(&mut sandbox.store(), &sandbox.opts, &req, Instant::now())?;
    let reference_id = req.reference_id;
    match delivery {
        Delivery::Now(body) => Ok(Json(*body).into_response()),
        Delivery::Late => {
            tokio::time::sleep(sandbox.opts.slow_answer).await;
            let store = sandbox.store();
            let execution = store
                .execution(&reference_id.to_string())
                .ok_or(ApiError::Internal)?;
            Ok(Json(execution.body(Instant::now(), sandbox.opts.processing_for)).into_response())
        }
        Delivery::Dropped => {
            let Some(Extension(drop_connection)) = drop_connection else {
                // Served outside the sandbox's own accept loop: nothing can drop the socket.
                return Err(ApiError::Internal);
            };
            tracing::info!(
                target: "payout_console::sandbox",
                %reference_id,
                "executed; dropping the connection without an answer"
            );
            drop_connection.now();
            // The connection, and this future with it, is dropped by the accept loop.
            tokio::time::sleep(Duration::from_secs(60)).await;
            Err(ApiError::Internal)
        }
    }
}

/// Every check of an execute request, in the order the vendor makes them, and the execution
/// itself. Nothing is executed unless every check passed.
fn decide(
    store: &mut Store,
    opts: &SandboxOptions,
    req: &ExecuteRequest,
    now: Instant,
) -> Result<Delivery, ApiError> {
    let id = req.reference_id;
    store.note_call(id, &req.session_id, &req.payout_account_id);
    if req.code.expose_secret() != opts.passcode {
        tracing::info!(target: "payout_console::sandbox", reference_id = %id, "execute refused: invalid passcode");
        return Err(ApiError::BadPasscode);
    }
    // A reference that already executed answers with that execution, or refuses another payment.
    if let Some(execution) = store.execution(&id.to_string()) {
        let same = req.session_id.parse::<u64>().ok() == Some(execution.session_id)
            && req.payout_account_id == execution.payout_account_id;
        if !same {
            return Err(ApiError::invalid(
                Invalid::body(
                    &["reference_id"],
                    "value_error",
                    "reference_id already used for a different payment",
                )
                .with_input(id.to_string().into()),
            ));
        }
        tracing::info!(target: "payout_console::sandbox", reference_id = %id, "execute replayed");
        return Ok(Delivery::Now(Box::new(
            execution.body(now, opts.processing_for),
        )));
    }
    let session = store
        .session(&req.session_id)
        .ok_or(ApiError::NotFound("Payout session not found"))?;
    if session.is_expired(now) {
        return Err(ApiError::invalid(
            Invalid::body(
                &["session_id"],
                "value_error",
                "Payout session has expired; create a new one",
            )
            .with_input(req.session_id.clone().into()),
        ));
    }
    if session.payout_account_id != req.payout_account_id {
        return Err(ApiError::invalid(
            Invalid::body(
                &["payout_account_id"],
                "value_error",
                format!(
                    "payout_account_id does not match the payout session (session {} is for account {})",
                    session.id, session.payout_account_id
                ),
            )
            .with_input(req.payout_account_id.clone().into()),
        ));
    }
    // A session is one payment: an execution submits an active session, which it uses up.
    if let Some(used_by) = store.executed_under(session.id) {
        return Err(ApiError::invalid(
            Invalid::body(
                &["session_id"],
                "value_error",
                format!(
                    "Payout session {} was already executed (reference_id {used_by}); create a new session",
                    session.id
                ),
            )
            .with_input(req.session_id.clone().into()),
        ));
    }
    let scenario = session.scenario;
    if matches!(
        scenario,
        Scenario::ServerErrorFirst | Scenario::RateLimitedFirst
    ) && let Some(record) = store.reference(&id)
        && !record.transient_error_served
    {
        record.transient_error_served = true;
        tracing::info!(target: "payout_console::sandbox", reference_id = %id, ?scenario, "first execute refused by scenario");
        return Err(match scenario {
            Scenario::RateLimitedFirst => ApiError::TooManyRequests {
                retry_after_secs: RETRY_AFTER_SECS,
            },
            _ => ApiError::Internal,
        });
    }
    let execution = store
        .execute(id, &req.session_id)
        .ok_or(ApiError::Internal)?;
    let body = execution.body(now, opts.processing_for);
    tracing::info!(
        target: "payout_console::sandbox",
        reference_id = %id,
        account = %execution.payout_account_id,
        status = body.status,
        caller = %req.caller(),
        "executed"
    );
    Ok(match scenario {
        Scenario::SlowAnswer => Delivery::Late,
        Scenario::DroppedAnswer => Delivery::Dropped,
        _ => Delivery::Now(Box::new(body)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Amount;
    use crate::sandbox::PASSCODE;
    use rust_decimal::Decimal;
    use secrecy::SecretString;
    use uuid::Uuid;

    use super::super::scenarios::Legs;
    use crate::api::wire::Device;

    fn setup(account: &str, amount: i64) -> (Store, SandboxOptions, String) {
        let mut store = Store::default();
        let scenario = Scenario::for_account(account).unwrap();
        let legs = Legs::for_session(scenario, Decimal::from(amount), "USD").unwrap();
        let id = store
            .create_session(
                account.into(),
                scenario,
                Amount(Decimal::from(amount)),
                "USD".into(),
                legs,
                Duration::from_secs(60),
            )
            .id
            .to_string();
        (store, SandboxOptions::default(), id)
    }

    fn request(session: &str, account: &str, reference: Uuid, code: &str) -> ExecuteRequest {
        ExecuteRequest {
            session_id: session.into(),
            payout_account_id: account.into(),
            reference_id: reference,
            code: SecretString::from(code),
            phone: Some("231771234567".into()),
            user_id: None,
            device: Device {
                name: "h".into(),
                kind: "SERVER".into(),
                platform: "LINUX".into(),
                user_agent: "t".into(),
                client_ip: "127.0.0.1".into(),
            },
        }
    }

    fn executions(store: &Store) -> u32 {
        store
            .inspect(Duration::ZERO)
            .iter()
            .map(|r| r.executions)
            .sum()
    }

    #[test]
    fn bad_passcode_is_refused_before_anything_executes() {
        let (mut store, opts, session) = setup("18", 10);
        let req = request(&session, "18", Uuid::new_v4(), "123456");
        let err = decide(&mut store, &opts, &req, Instant::now())
            .err()
            .unwrap();
        assert!(matches!(err, ApiError::BadPasscode));
        assert_eq!(executions(&store), 0);
        assert_eq!(store.inspect(Duration::ZERO)[0].execute_calls, 1);
    }

    #[test]
    fn replaying_same_reference_never_executes_twice() {
        let (mut store, opts, session) = setup("18", 10);
        let req = request(&session, "18", Uuid::new_v4(), PASSCODE);
        for _ in 0..3 {
            assert!(matches!(
                decide(&mut store, &opts, &req, Instant::now()),
                Ok(Delivery::Now(_))
            ));
        }
        assert_eq!(executions(&store), 1);
        assert_eq!(store.inspect(Duration::ZERO)[0].execute_calls, 3);
    }

    #[test]
    fn first_attempt_of_account_24_fails_without_executing_then_retry_executes() {
        let (mut store, opts, session) = setup("24", 10);
        let req = request(&session, "24", Uuid::new_v4(), PASSCODE);
        let first = decide(&mut store, &opts, &req, Instant::now());
        assert!(matches!(first, Err(ApiError::Internal)));
        assert_eq!(executions(&store), 0);
        assert!(decide(&mut store, &opts, &req, Instant::now()).is_ok());
        assert_eq!(executions(&store), 1);
    }

    #[test]
    fn over_balance_payout_executes_as_failed() {
        let (mut store, opts, session) = setup("18", 10_001);
        let req = request(&session, "18", Uuid::new_v4(), PASSCODE);
        let Ok(Delivery::Now(body)) = decide(&mut store, &opts, &req, Instant::now()) else {
            panic!("expected an answer");
        };
        assert_eq!(body.status, "FAILED");
        assert_eq!(
            body.wallet_message.as_deref(),
            Some("Insufficient wallet balance")
        );
    }

    #[test]
    fn session_of_another_account_is_refused_on_payout_account_id() {
        let (mut store, opts, session) = setup("18", 10);
        let req = request(&session, "19", Uuid::new_v4(), PASSCODE);
        let Err(ApiError::Invalid(items)) = decide(&mut store, &opts, &req, Instant::now()) else {
            panic!("expected 422");
        };
        assert_eq!(items[0].loc[1], "payout_account_id");
        assert_eq!(executions(&store), 0);
    }
}
