//! Answers the sandbox cannot give, from a raw TCP server: a 2xx that is not JSON, a body cut off
//! mid-way, an answer that never comes, a dropped connection, nothing listening.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::faulty::{self, Fault, http};
use common::*;
use payout_console::api::{ErrorKind, LocalState};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

async fn run_fault(fault: Fault, timeout: Duration) -> (payout_console::payout::Outcome, usize) {
    let server = faulty::start("/executions/payout", fault).await;
    let rig = rig(&server.base_url, timeout, sandbox_auth());
    let out = rig
        .engine
        .execute(
            plan("18", "42", "000000", Uuid::new_v4()),
            &CancellationToken::new(),
            &quiet(),
        )
        .await
        .unwrap();
    let r = out.reference.clone();
    let row = rig
        .engine
        .store
        .run(move |j| j.get(&r))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, out.state, "journal and outcome agree");
    (out, server.fault_hits.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_2xx_html_body_is_unknown_never_success() {
    let (out, hits) = run_fault(
        Fault::Raw(http("200 OK", "text/html", "<html>ok</html>")),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(out.state, LocalState::Unknown);
    assert_eq!(out.error_kind, Some(ErrorKind::BadBody));
    assert!(out.error.unwrap().contains("check the status"));
    assert_eq!(
        hits, 1,
        "an ambiguous answer is never retried automatically"
    );
}

#[tokio::test]
async fn a_body_cut_off_mid_way_is_a_lost_answer() {
    let fault = Fault::CutOff {
        promised: 400,
        sent: r#"{"reference_id":"x","status":"COMP"#.into(),
    };
    let (out, hits) = run_fault(fault, Duration::from_secs(5)).await;
    assert_eq!(out.state, LocalState::Unknown);
    assert_eq!(out.error_kind, Some(ErrorKind::NoAnswer));
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn an_answer_that_never_comes_times_out_to_unknown() {
    let (out, hits) = run_fault(Fault::Silence, Duration::from_millis(800)).await;
    assert_eq!(out.state, LocalState::Unknown);
    assert_eq!(out.error_kind, Some(ErrorKind::NoAnswer));
    assert!(out.error.unwrap().contains("timed out"));
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn a_dropped_connection_is_unknown() {
    let (out, hits) = run_fault(Fault::Drop, Duration::from_secs(5)).await;
    assert_eq!(out.state, LocalState::Unknown);
    assert_eq!(out.error_kind, Some(ErrorKind::NoAnswer));
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn a_2xx_with_an_unknown_status_word_is_kept_raw_and_not_success() {
    let body = r#"{"status":"SUCCEEDED","payer_amount":123.10}"#;
    let (out, _) = run_fault(
        Fault::Raw(http("200 OK", "application/json", body)),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(out.state, LocalState::Unknown);
    let resp = out.response.unwrap();
    assert_eq!(resp.status.as_deref(), Some("SUCCEEDED"));
    assert_eq!(resp.payer_amount.unwrap().to_string(), "123.10");
}

#[tokio::test]
async fn nothing_listening_is_not_sent_and_retried_then_rejected() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rig = rig(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_secs(2),
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
    // The token exchange itself cannot reach the API: nothing was sent.
    assert_eq!(out.state, LocalState::Rejected);
    assert_eq!(out.error_kind, Some(ErrorKind::NotSent));
    assert!(out.error.unwrap().contains("nothing was sent"));
}
