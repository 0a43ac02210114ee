//! Money rules an audit of the engine found broken (each test failed before its fix): a lost
//! answer must never end as "did not land" or "rejected" on evidence that does not cover it,
//! an answer about another reference is not this one's, and the passcode never follows a redirect.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::faulty::{self, Fault, http};
use common::*;
use payout_console::api::LocalState;
use payout_console::payout::{FollowOpts, Resolution};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// F1: reconcile counts not-found polls (and the span since the first one) over the whole
/// history of the reference, including polls made before a later re-send of the same reference.
/// One not-found right after the re-send concludes "did not land".
#[tokio::test]
async fn reconcile_does_not_conclude_did_not_land_from_misses_before_a_resend() {
    // Execute: connection dropped after the request (lost answer). Status: always 404.
    let server = faulty::start("/executions/payout", Fault::Drop).await;
    let rig = rig(&server.base_url, Duration::from_secs(5), sandbox_auth());
    let reference = Uuid::new_v4();
    let out = rig
        .engine
        .execute(
            plan("18", "42", "000000", reference),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(out.state, LocalState::Unknown);
    // Later (longer than the rig's 1 s grace), the operator retries with the same reference.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let out = rig
        .engine
        .execute(
            plan("18", "42", "000000", reference),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(out.state, LocalState::Unknown);
    assert_eq!(
        server.fault_hits.load(Ordering::SeqCst),
        2,
        "re-sent just now"
    );
    // Reconcile right away: the re-send left milliseconds ago.
    let r = reference.to_string();
    let row = rig
        .engine
        .store
        .run(move |j| j.get(&r))
        .await
        .unwrap()
        .unwrap();
    let res = rig.engine.reconcile_row(&row).await.unwrap();
    let open = rig.engine.unresolved_for("18", "").await.unwrap();
    assert!(
        matches!(res, Resolution::NotFoundYet { .. }),
        "one not-found poll right after a send must not be 'did not land', got {res:?}; \
         unresolved rows left for account 18: {}",
        open.len()
    );
}

/// F2: after an ambiguous send, a retry of the same reference that the API refuses (403 bad
/// passcode, 422 expired session...) marks the row `rejected` ("nothing executed"), although the
/// first send may have executed. The account guard then lets a new reference through.
#[tokio::test]
async fn a_refused_resend_does_not_erase_an_earlier_lost_answer() {
    let forbidden = http(
        "403 Forbidden",
        "application/json",
        r#"{"detail":"Invalid passcode"}"#,
    );
    let server = faulty::start_seq(
        "/executions/payout",
        vec![Fault::Drop, Fault::Raw(forbidden)],
    )
    .await;
    let rig = rig(&server.base_url, Duration::from_secs(5), sandbox_auth());
    let reference = Uuid::new_v4();
    let out = rig
        .engine
        .execute(
            plan("18", "42", "000000", reference),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(out.state, LocalState::Unknown, "first send: answer lost");
    // Operator retries the same reference (TUI re-confirm or `pay --reference`), mistyping the
    // passcode. Status says not found once (the vendor may not know it yet) -> re-sent -> 403.
    let out = rig
        .engine
        .execute(
            plan("18", "42", "999999", reference),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(server.fault_hits.load(Ordering::SeqCst), 2);
    let open = rig.engine.unresolved_for("18", "").await.unwrap();
    assert_ne!(
        out.state,
        LocalState::Rejected,
        "the first send's outcome is still unknown; error recorded: {:?}; unresolved rows for account 18: {}",
        out.error,
        open.len()
    );
}

/// F3: reconcile asks the current profile's API about every unresolved row of every profile.
/// Rows sent to another API (production, while running `--sandbox` or another profile) are
/// "not found" there and end as `rejected` / "did not land".
#[tokio::test]
async fn reconcile_never_concludes_on_a_row_sent_to_another_api() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, Duration::from_secs(5), sandbox_auth());
    let reference = Uuid::new_v4().to_string();
    let mut prod = new_execution(&reference, "42", "https://api.heydollr.app");
    prod.sandbox = false;
    prod.profile = "live".into();
    journal_lost_answer(&rig.engine, prod).await;
    let mut last = None;
    for _ in 0..4 {
        let rows = rig.engine.store.run(|j| j.unresolved()).await.unwrap();
        let row = rows
            .into_iter()
            .find(|x| x.reference_id == reference)
            .unwrap();
        last = Some(rig.engine.reconcile_row(&row).await.unwrap());
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_ne!(
        last,
        Some(Resolution::DidNotLand),
        "a production row was declared 'did not land' by asking the sandbox"
    );
}

/// F4: an answer that names another reference is recorded as this reference's state.
#[tokio::test]
async fn an_answer_for_another_reference_is_not_taken_as_this_ones_success() {
    let other = Uuid::new_v4();
    let body = format!(r#"{{"reference_id":"{other}","status":"COMPLETED","payer_amount":250}}"#);
    let server = faulty::start(
        "/executions/payout",
        Fault::Raw(http("200 OK", "application/json", &body)),
    )
    .await;
    let rig = rig(&server.base_url, Duration::from_secs(5), sandbox_auth());
    let out = rig
        .engine
        .execute(
            plan("18", "42", "000000", Uuid::new_v4()),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    let out = rig
        .engine
        .follow(
            out,
            FollowOpts {
                stop_on_action: true,
                max_wait: Some(Duration::from_secs(1)),
            },
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_ne!(
        out.state,
        LocalState::Completed,
        "COMPLETED was said about {other}, not about this reference"
    );
}

/// F3b: a reference journaled (and left `unknown`) on one profile is re-sent to whatever API the
/// current profile points at: resume_existing and begin compare account, session and payee,
/// never profile or base_url.
#[tokio::test]
async fn a_reference_left_unknown_on_one_api_is_not_resent_to_another() {
    let sb = sandbox_with(fast_opts()).await;
    let mut rig = rig(&sb.base_url, Duration::from_secs(5), sandbox_auth());
    rig.engine.ctx.sandbox = false; // another live profile, e.g. a second merchant
    rig.engine.ctx.profile = "other-merchant".into();
    let session = new_session(&rig.engine, "18").await;
    let reference = Uuid::new_v4();
    let r = reference.to_string();
    let mut prod = new_execution(&r, &session, "https://api.heydollr.app");
    prod.sandbox = false;
    prod.profile = "live".into();
    prod.payee =
        payout_console::payout::Payee::Phone(payout_console::sandbox::SAMPLE_PHONE.into()).masked();
    journal_lost_answer(&rig.engine, prod).await;
    let _ = rig
        .engine
        .execute(
            plan("18", &session, "000000", reference),
            &CancellationToken::new(),
            &quiet(),
        )
        .await;
    assert_eq!(
        times_executed(&sb.base_url, &r).await,
        0,
        "a reference whose outcome at https://api.heydollr.app is unknown was executed at {}",
        sb.base_url
    );
}

/// F5: follow measures the not-found grace from when the request *left*, not from the first
/// not-found poll. With a request timeout near or above the grace (timeout_secs may be up to
/// 600; default 30 vs the 60 s grace), "did not land" is concluded after a few seconds of
/// not-found polls right after the lost answer.
#[tokio::test]
async fn did_not_land_needs_not_found_polls_spanning_the_grace() {
    // Rig policy: grace 1 s, 3 polls, interval 200 ms. Client timeout 1.5 s (think: 90 s vs 60 s).
    let server = faulty::start("/executions/payout", Fault::Silence).await;
    let rig = rig(
        &server.base_url,
        Duration::from_millis(1500),
        sandbox_auth(),
    );
    let out = rig
        .engine
        .execute(
            plan("18", "42", "000000", Uuid::new_v4()),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(out.state, LocalState::Unknown);
    let answer_lost_at = std::time::Instant::now();
    let out = rig
        .engine
        .follow(
            out,
            FollowOpts::default(),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    let not_found_span = answer_lost_at.elapsed();
    assert!(out.did_not_land);
    assert!(
        not_found_span >= rig.engine.poll.not_found_grace,
        "'did not land' after only {not_found_span:?} of not-found polls (grace {:?})",
        rig.engine.poll.not_found_grace
    );
}

/// F6 (minor): the client follows redirects; a 307/308 on execute re-POSTs the whole body,
/// merchant passcode and full phone included, to wherever Location points (any host, any
/// scheme), bypassing the "plain http only for loopback" rule applied to base_url.
#[tokio::test]
async fn execute_is_never_reposted_to_a_redirect_target() {
    let elsewhere = faulty::start("/capture", Fault::Drop).await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {}/capture\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        elsewhere.base_url.replace("127.0.0.1", "localhost")
    );
    let server = faulty::start("/executions/payout", Fault::Raw(redirect)).await;
    let rig = rig(&server.base_url, Duration::from_secs(3), sandbox_auth());
    let _ = rig
        .engine
        .execute(
            plan("18", "42", "000000", Uuid::new_v4()),
            &CancellationToken::new(),
            &quiet(),
        )
        .await;
    let leaked = elsewhere.bodies.lock().unwrap().clone();
    assert!(
        leaked.is_empty(),
        "the execute body went to the redirect target: {leaked:?}"
    );
}

/// A failed token exchange means the execute never left: the row is `rejected` (nothing
/// executed) with a message about the token, never `unknown` (which would hold the account as
/// unresolved) and never a "not found" that counts towards "did not land".
#[tokio::test]
async fn a_failed_token_exchange_is_not_the_payouts_lost_answer() {
    for fault in [
        Fault::Drop,
        Fault::Raw(http(
            "404 Not Found",
            "application/json",
            r#"{"detail":"Not Found"}"#,
        )),
        Fault::Raw(http(
            "502 Bad Gateway",
            "text/html",
            "<html>bad gateway</html>",
        )),
    ] {
        let server = faulty::start("/jwt/client/obtain/token", fault).await;
        let rig = rig(&server.base_url, Duration::from_secs(5), sandbox_auth());
        let out = rig
            .engine
            .execute(
                plan("18", "42", "000000", Uuid::new_v4()),
                &CancellationToken::new(),
                &quiet(),
            )
            .await
            .unwrap();
        let error = out.error.clone().unwrap_or_default();
        assert_eq!(out.state, LocalState::Rejected, "{error}");
        assert!(
            error.contains("token") && error.contains("nothing was sent"),
            "{error}"
        );
        let open = rig.engine.unresolved_for("18", "").await.unwrap();
        assert!(open.is_empty(), "the account is held: {open:?}");
    }
}

/// The unresolved-account guard holds inside the journal's insert transaction: a console that
/// passed its own check a moment before another console journaled a payout to the same account
/// is still refused, and nothing is sent; the explicit override still goes through.
#[tokio::test]
async fn a_second_payout_to_an_account_with_one_in_flight_is_refused_at_the_journal() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, Duration::from_secs(5), sandbox_auth());
    // Another console's payout to 18, journaled and on its way (its writer alive: this process).
    let theirs = Uuid::new_v4().to_string();
    let mut row = new_execution(&theirs, "41", &sb.base_url);
    row.payout_account_id = "18".into();
    let r = theirs.clone();
    rig.engine
        .store
        .run(move |j| {
            j.begin(&row)?;
            j.mark_sent(&r, 1)
        })
        .await
        .unwrap();
    let mine = plan("18", "42", "000000", Uuid::new_v4());
    let reference = mine.reference.to_string();
    let refused = rig
        .engine
        .execute(mine, &CancellationToken::new(), &quiet())
        .await;
    match refused {
        Err(payout_console::payout::PayoutError::Unresolved { account, list }) => {
            assert_eq!(account, "18");
            assert!(list.contains(&theirs), "{list}");
        }
        other => panic!("expected the guard, got {other:?}"),
    }
    assert_eq!(times_executed(&sb.base_url, &reference).await, 0);
    let r = reference.clone();
    let journaled = rig.engine.store.run(move |j| j.get(&r)).await.unwrap();
    assert!(journaled.is_none(), "a refused payout leaves no row");
    // The override is explicit and still works.
    let sid = new_session(&rig.engine, "18").await;
    let mut overridden = plan("18", &sid, "000000", Uuid::new_v4());
    overridden.allow_unresolved = true;
    let out = rig
        .engine
        .execute(overridden, &CancellationToken::new(), &quiet())
        .await
        .unwrap();
    assert_eq!(out.state, LocalState::Pending);
}

/// A row left unresolved by an earlier `--sandbox` run (its sandbox, on another port, is gone)
/// moved no money and can never be resolved: it does not hold the account in a new sandbox. A
/// live row sent elsewhere still does.
#[tokio::test]
async fn a_dead_sandboxs_rows_do_not_hold_the_account_but_live_ones_do() {
    let sb = sandbox_with(fast_opts()).await;
    let rig = rig(&sb.base_url, Duration::from_secs(5), sandbox_auth());
    let stale = Uuid::new_v4().to_string();
    let old = new_execution(&stale, "41", "http://127.0.0.1:9/");
    journal_lost_answer(&rig.engine, old).await;
    assert!(
        rig.engine
            .unresolved_for("18", "")
            .await
            .unwrap()
            .is_empty()
    );
    let sid = new_session(&rig.engine, "18").await;
    let out = rig
        .engine
        .execute(
            plan("18", &sid, "000000", Uuid::new_v4()),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    assert_eq!(out.state, LocalState::Pending);

    // A live row, sent to production, holds account 19 here too.
    let live = Uuid::new_v4().to_string();
    let mut prod = new_execution(&live, "43", "https://api.heydollr.app");
    prod.sandbox = false;
    prod.payout_account_id = "19".into();
    journal_lost_answer(&rig.engine, prod).await;
    let held = rig.engine.unresolved_for("19", "").await.unwrap();
    assert_eq!(held.len(), 1);
    let refused = rig
        .engine
        .execute(
            plan("19", "44", "000000", Uuid::new_v4()),
            &CancellationToken::new(),
            &quiet(),
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(payout_console::payout::PayoutError::Unresolved { .. })
        ),
        "{refused:?}"
    );
}
