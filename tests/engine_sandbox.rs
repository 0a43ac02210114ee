//! The payout engine through the real client against the real sandbox on loopback, with a real
//! journal file: every scenario account, the auth and validation errors, and the faults.

mod common;

use std::time::Duration;

use common::*;
use payout_console::api::{Auth, ErrorKind, LocalState};
use payout_console::journal::EventKind;
use payout_console::money::Amount;
use payout_console::payout::{Engine, FollowOpts, Outcome, PayoutError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const T: Duration = Duration::from_secs(10);

async fn send(engine: &Engine, account: &str, code: &str) -> Outcome {
    let sid = new_session(engine, account).await;
    send_on(engine, account, &sid, code, Uuid::new_v4()).await
}

async fn send_on(engine: &Engine, account: &str, sid: &str, code: &str, r: Uuid) -> Outcome {
    engine
        .execute(
            plan(account, sid, code, r),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .expect("execute")
}

async fn follow(engine: &Engine, out: Outcome, opts: FollowOpts) -> Outcome {
    engine
        .follow(out, opts, &CancellationToken::new(), &quiet())
        .await
        .expect("follow")
}

async fn journaled_state(engine: &Engine, reference: &str) -> LocalState {
    let r = reference.to_string();
    engine
        .store
        .run(move |j| j.get(&r))
        .await
        .unwrap()
        .expect("journaled")
        .state
}

#[tokio::test]
async fn account_18_goes_pending_to_completed_and_executes_once() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let out = send(&rig.engine, "18", "000000").await;
    assert_eq!(out.state, LocalState::Pending);
    let out = follow(&rig.engine, out, FollowOpts::default()).await;
    assert_eq!(out.state, LocalState::Completed);
    let resp = out.response.as_ref().unwrap();
    assert_eq!(resp.payer_amount.unwrap(), Amount::parse("250").unwrap());
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Completed
    );
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
    assert_never_twice(&sb.base_url).await;
}

#[tokio::test]
async fn account_19_fails_with_the_operator_message() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let out = follow(
        &rig.engine,
        send(&rig.engine, "19", "000000").await,
        FollowOpts::default(),
    )
    .await;
    assert_eq!(out.state, LocalState::Failed);
    let msg = out
        .response
        .unwrap()
        .gateway_message
        .unwrap()
        .to_lowercase();
    assert!(msg.contains("declined"), "{msg}");
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Failed
    );
    assert_never_twice(&sb.base_url).await;
}

#[tokio::test]
async fn account_20_requires_action_then_completes_after_confirm() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let out = send(&rig.engine, "20", "000000").await;
    assert_eq!(out.state, LocalState::ActionRequired);
    let hint = out.response.as_ref().unwrap().client_secret_hint().unwrap();
    let row = {
        let r = out.reference.clone();
        rig.engine
            .store
            .run(move |j| j.get(&r))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(row.client_secret_hint.as_deref(), Some(hint.as_str()));
    let stop = FollowOpts {
        stop_on_action: true,
        max_wait: None,
    };
    let out = follow(&rig.engine, out, stop).await;
    assert_eq!(out.state, LocalState::ActionRequired);
    assert_eq!(
        post(&format!(
            "{}/_sandbox/confirm/{}",
            sb.base_url, out.reference
        ))
        .await,
        200
    );
    let out = follow(&rig.engine, out, FollowOpts::default()).await;
    assert_eq!(out.state, LocalState::Completed);
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
}

#[tokio::test]
async fn account_21_stays_processing_which_is_not_a_failure() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let out = send(&rig.engine, "21", "000000").await;
    let opts = FollowOpts {
        stop_on_action: false,
        max_wait: Some(Duration::from_millis(1500)),
    };
    let out = follow(&rig.engine, out, opts).await;
    assert_eq!(out.state, LocalState::Processing);
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Processing
    );
    // Followed long enough, it completes without being sent again.
    let out = follow(&rig.engine, out, FollowOpts::default()).await;
    assert_eq!(out.state, LocalState::Completed);
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
}

#[tokio::test]
async fn account_22_slow_answer_is_a_lost_answer_resolved_by_status_first() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, Duration::from_secs(1), sandbox_auth());
    let out = send(&rig.engine, "22", "000000").await;
    assert_eq!(out.error_kind, Some(ErrorKind::NoAnswer));
    // Status first: the sandbox executed it, so the state is known, not `unknown` or `failed`.
    assert!(
        matches!(
            out.state,
            LocalState::Pending | LocalState::Processing | LocalState::Completed
        ),
        "{:?}",
        out.state
    );
    let out = follow(&rig.engine, out, FollowOpts::default()).await;
    assert_eq!(out.state, LocalState::Completed);
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
}

#[tokio::test]
async fn account_23_dropped_connection_is_unknown_until_status_says_otherwise() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let out = send(&rig.engine, "23", "000000").await;
    assert_eq!(out.error_kind, Some(ErrorKind::NoAnswer));
    assert!(out.error.as_deref().unwrap().contains("check its status"));
    assert_ne!(out.state, LocalState::Failed);
    let r = out.reference.clone();
    let events = rig.engine.store.run(move |j| j.events(&r)).await.unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::Error));
    assert!(
        events.iter().any(|e| e.kind == EventKind::Polled),
        "status asked first"
    );
    let out = follow(&rig.engine, out, FollowOpts::default()).await;
    assert_eq!(out.state, LocalState::Completed);
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
}

#[tokio::test]
async fn account_24_server_error_is_unknown_then_same_reference_completes() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let sid = new_session(&rig.engine, "24").await;
    let reference = Uuid::new_v4();
    let out = send_on(&rig.engine, "24", &sid, "000000", reference).await;
    assert_eq!(out.error_kind, Some(ErrorKind::Server));
    assert_eq!(
        out.state,
        LocalState::Unknown,
        "a 500 after sending is never `failed`"
    );
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 0);
    // The operator sends again: status first (not found), then the same reference.
    let again = send_on(&rig.engine, "24", &sid, "000000", reference).await;
    assert_eq!(again.reference, out.reference);
    let again = follow(&rig.engine, again, FollowOpts::default()).await;
    assert_eq!(again.state, LocalState::Completed);
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
}

#[tokio::test]
async fn account_25_rate_limit_is_retried_after_retry_after_with_the_same_reference() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let started = std::time::Instant::now();
    let out = send(&rig.engine, "25", "000000").await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 2 honoured"
    );
    assert_eq!(out.state, LocalState::Pending);
    let r = out.reference.clone();
    let events = rig.engine.store.run(move |j| j.events(&r)).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.kind == EventKind::Retry).count(),
        1
    );
    let seen = executions(&sb.base_url).await;
    let e = seen
        .iter()
        .find(|e| e["reference_id"] == out.reference.as_str())
        .unwrap();
    assert_eq!(e["execute_calls"], 2);
    assert_eq!(e["executions"], 1);
}

#[tokio::test]
async fn unknown_account_is_a_404_before_anything_is_journaled() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let err = rig
        .engine
        .create_session("404", Amount::parse("10").unwrap(), "USD")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PayoutError::Session(e) if e.kind() == ErrorKind::NotFound),
        "{err}"
    );
    // Executing against it directly is refused too, and recorded as rejected.
    let out = send_on(&rig.engine, "404", "42", "000000", Uuid::new_v4()).await;
    assert_eq!(out.state, LocalState::Rejected);
    assert_eq!(out.error_kind, Some(ErrorKind::NotFound));
}

#[tokio::test]
async fn wrong_passcode_is_rejected_with_403_and_nothing_executes() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let out = send(&rig.engine, "18", "123456").await;
    assert_eq!(out.state, LocalState::Rejected);
    assert_eq!(out.error_kind, Some(ErrorKind::Forbidden));
    assert_eq!(out.http_status, Some(403));
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Rejected
    );
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 0);
}

#[tokio::test]
async fn a_bad_bearer_token_is_401_and_not_retried_forever() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(
        &sb.base_url,
        T,
        Auth::Bearer("not-a-token".to_string().into()),
    );
    let err = rig
        .engine
        .create_session("18", Amount::parse("1").unwrap(), "USD")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PayoutError::Session(e) if e.kind() == ErrorKind::Unauthorized),
        "{err}"
    );
    let out = send_on(&rig.engine, "18", "42", "000000", Uuid::new_v4()).await;
    assert_eq!(out.state, LocalState::Rejected);
    assert_eq!(out.error_kind, Some(ErrorKind::Unauthorized));
}

#[tokio::test]
async fn a_revoked_token_gets_one_refresh_after_401_then_succeeds() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let sid = new_session(&rig.engine, "18").await;
    assert_eq!(
        post(&format!("{}/_sandbox/expire-tokens", sb.base_url)).await,
        200
    );
    let out = send_on(&rig.engine, "18", &sid, "000000", Uuid::new_v4()).await;
    assert_eq!(out.state, LocalState::Pending);
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
}

#[tokio::test]
async fn an_expired_token_is_replaced_before_it_is_used() {
    let opts = payout_console::sandbox::SandboxOptions {
        token_ttl: Duration::from_secs(2),
        ..fast_opts()
    };
    let sb = sandbox_with(opts).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let sid = new_session(&rig.engine, "18").await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let out = send_on(&rig.engine, "18", &sid, "000000", Uuid::new_v4()).await;
    assert_eq!(out.state, LocalState::Pending);
}

#[tokio::test]
async fn an_expired_session_is_rejected_422_naming_session_id() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let sid = new_session(&rig.engine, "18").await;
    assert_eq!(
        post(&format!("{}/_sandbox/sessions/{sid}/expire", sb.base_url)).await,
        200
    );
    let out = send_on(&rig.engine, "18", &sid, "000000", Uuid::new_v4()).await;
    assert_eq!(out.state, LocalState::Rejected);
    assert_eq!(out.error_kind, Some(ErrorKind::Validation));
    assert_eq!(out.field_errors[0].field, "session_id");
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 0);
}

#[tokio::test]
async fn a_reference_reused_for_another_payment_is_rejected_422_naming_reference_id() {
    let sb = sandbox_with(fast_opts()).await;
    let first = rig(&sb.base_url, T, sandbox_auth());
    let out = send(&first.engine, "18", "000000").await;
    assert_eq!(out.state, LocalState::Pending);
    // A second console, whose journal does not know the reference, reuses it for another session.
    let second = rig(&sb.base_url, T, sandbox_auth());
    let other_session = new_session(&second.engine, "18").await;
    let reference = Uuid::parse_str(&out.reference).unwrap();
    let again = send_on(&second.engine, "18", &other_session, "000000", reference).await;
    assert_eq!(again.state, LocalState::Rejected);
    assert_eq!(again.field_errors[0].field, "reference_id");
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 1);
    // The first console's own journal refuses the mismatch before sending anything.
    let err = first
        .engine
        .execute(
            plan("18", &other_session, "000000", reference),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, PayoutError::ReferenceMismatch { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn stopping_the_wait_leaves_the_row_unknown_never_failed() {
    let opts = payout_console::sandbox::SandboxOptions {
        slow_answer: Duration::from_secs(5),
        ..fast_opts()
    };
    let sb = sandbox_with(opts).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let sid = new_session(&rig.engine, "22").await;
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.cancel();
    });
    let out = rig
        .engine
        .execute(
            plan("22", &sid, "000000", Uuid::new_v4()),
            &cancel,
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(out.state, LocalState::Unknown);
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Unknown
    );
}

#[tokio::test]
async fn an_unresolved_execution_blocks_a_second_payout_to_the_same_account() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let first = send(&rig.engine, "21", "000000").await;
    assert!(!first.state.is_final());
    let sid = new_session(&rig.engine, "21").await;
    let mut second = plan("21", &sid, "000000", Uuid::new_v4());
    let err = rig.engine.guard_account(&second).await.unwrap_err();
    assert!(err.to_string().contains(&first.reference), "{err}");
    second.allow_unresolved = true;
    rig.engine
        .guard_account(&second)
        .await
        .expect("explicit override");
}

#[tokio::test]
async fn reconcile_says_did_not_land_only_after_not_found_persists() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    // Account 24 answers 500 and executes nothing: unknown, and the API does not know it.
    let out = send(&rig.engine, "24", "000000").await;
    assert_eq!(out.state, LocalState::Unknown);
    let r = out.reference.clone();
    let row = rig
        .engine
        .store
        .run(move |j| j.get(&r))
        .await
        .unwrap()
        .unwrap();
    // The rig's grace is 1 s over 3 polls (the product's is 60 s); the execute already asked once.
    let first = rig.engine.reconcile_row(&row).await.unwrap();
    assert!(
        matches!(
            first,
            payout_console::payout::Resolution::NotFoundYet { .. }
        ),
        "{first:?}"
    );
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Unknown
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let third = rig.engine.reconcile_row(&row).await.unwrap();
    assert_eq!(third, payout_console::payout::Resolution::DidNotLand);
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Rejected
    );
    assert_eq!(times_executed(&sb.base_url, &out.reference).await, 0);
}

#[tokio::test]
async fn following_a_lost_answer_concludes_did_not_land_after_the_grace() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let out = send(&rig.engine, "24", "000000").await;
    assert_eq!(out.state, LocalState::Unknown);
    let out = follow(&rig.engine, out, FollowOpts::default()).await;
    assert_eq!(out.state, LocalState::Rejected);
    assert!(out.did_not_land);
    assert!(out.error.unwrap().contains("did not land"));
    assert_eq!(
        journaled_state(&rig.engine, &out.reference).await,
        LocalState::Rejected
    );
}

#[tokio::test]
async fn a_reference_another_console_is_sending_is_never_sent_again() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let sid = new_session(&rig.engine, "18").await;
    let reference = Uuid::new_v4();
    let new = new_execution(&reference.to_string(), &sid, &sb.base_url);
    // A live writer (this very process) has it in `sending`, as another console mid-request would.
    let r = reference.to_string();
    rig.engine
        .store
        .run(move |j| {
            j.begin(&new)?;
            j.mark_sent(&r, 1)
        })
        .await
        .unwrap();
    let err = rig
        .engine
        .execute(
            plan("18", &sid, "000000", reference),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, PayoutError::InFlightElsewhere { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("being sent right now"), "{err}");
    assert_eq!(
        times_executed(&sb.base_url, &reference.to_string()).await,
        0
    );
}

#[tokio::test]
async fn a_session_pays_once_a_second_reference_on_it_is_rejected() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, T, sandbox_auth());
    let sid = new_session(&rig.engine, "18").await;
    let first = send_on(&rig.engine, "18", &sid, "000000", Uuid::new_v4()).await;
    assert_eq!(first.state, LocalState::Pending);
    // The first is still pending: only an explicit override sends a second payout to 18.
    let mut second = plan("18", &sid, "000000", Uuid::new_v4());
    second.allow_unresolved = true;
    let second = rig
        .engine
        .execute(second, &CancellationToken::new(), &quiet())
        .await
        .unwrap();
    assert_eq!(second.state, LocalState::Rejected);
    assert_eq!(second.field_errors[0].field, "session_id");
    assert!(second.field_errors[0].msg.contains("already executed"));
    assert_eq!(times_executed(&sb.base_url, &second.reference).await, 0);
    // The first reference replays as before.
    let r = Uuid::parse_str(&first.reference).unwrap();
    let replay = rig.engine.client.status(&r.to_string()).await.unwrap();
    assert_eq!(
        replay.body.reference_id.as_deref(),
        Some(first.reference.as_str())
    );
    assert_eq!(times_executed(&sb.base_url, &first.reference).await, 1);
}
