//! Writes and their round trips: begin, answers, errors, events, masking.

use std::fs;

use payout_console::api::state::LocalState;
use payout_console::journal::{EventKind, FILE_NAME, Journal, JournalError, mask_phone};

use super::{answer, filter, new_exec, raw, reference};

#[test]
fn begun_row_is_visible_from_a_second_connection_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Journal::open(tmp.path()).unwrap();
    let b = Journal::open(tmp.path()).unwrap();
    let r = reference();
    a.begin(&new_exec(&r, "18")).unwrap();
    let row = b.get(&r).unwrap().expect("visible to the other connection");
    assert_eq!(row.state, LocalState::Sending);
    assert_eq!(row.session_amount.unwrap().to_string(), "123.10");
    assert_eq!(row.writer_pid, std::process::id());
    let events = b.events(&r).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Journaled);
    // And from plain SQLite, as a crash right after begin would leave it.
    let state: String = raw(tmp.path())
        .query_row(
            "SELECT state FROM executions WHERE reference_id = ?1",
            [&r],
            |x| x.get(0),
        )
        .unwrap();
    assert_eq!(state, "sending");
}

#[test]
fn answer_round_trips_exact_amounts_and_keeps_only_a_secret_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let r = reference();
    j.begin(&new_exec(&r, "20")).unwrap();
    j.mark_sent(&r, 1).unwrap();
    let resp = answer(&format!(
        r#"{{"reference_id":"{r}","status":"PROCESSING","payer_amount":123.10,"payer_currency":"USD",
            "payee_amount":22965.255,"payee_currency":"LRD","operation_type":"PAYOUT",
            "provider_transaction_id":987654321,"gateway_message":"card needs 3-D Secure",
            "wallet_message":"held","client_secret":"pi_123_secret_wxyz","requires_action":true}}"#
    ));
    j.record_answer(
        &r,
        EventKind::Answered,
        200,
        &resp,
        LocalState::ActionRequired,
    )
    .unwrap();
    let row = j.get(&r).unwrap().unwrap();
    assert_eq!(row.state, LocalState::ActionRequired);
    assert_eq!(row.status.as_deref(), Some("PROCESSING"));
    assert_eq!(row.payer_amount.unwrap().to_string(), "123.10");
    assert_eq!(row.payee_amount.unwrap().to_string(), "22965.255");
    assert_eq!(row.payee_currency.as_deref(), Some("LRD"));
    assert_eq!(row.operation_type.as_deref(), Some("PAYOUT"));
    assert_eq!(row.provider_transaction_id.as_deref(), Some("987654321"));
    assert_eq!(row.wallet_message.as_deref(), Some("held"));
    assert_eq!(row.client_secret_hint.as_deref(), Some("…wxyz"));
    assert_eq!(row.requires_action, Some(true));
    assert_eq!(row.http_status, Some(200));
    assert_eq!(row.attempts, 1);
    assert!(row.rate().is_some());
    // The secret is nowhere in the file.
    drop(j);
    let bytes = fs::read(tmp.path().join(FILE_NAME)).unwrap();
    let wal = fs::read(format!("{}-wal", tmp.path().join(FILE_NAME).display())).unwrap_or_default();
    for b in [&bytes, &wal] {
        assert!(!String::from_utf8_lossy(b).contains("pi_123_secret"));
    }
    // A later status answer without amounts keeps what was known.
    let j = Journal::open(tmp.path()).unwrap();
    j.record_answer(
        &r,
        EventKind::Polled,
        200,
        &answer(r#"{"status":"COMPLETED"}"#),
        LocalState::Completed,
    )
    .unwrap();
    let row = j.get(&r).unwrap().unwrap();
    assert_eq!(row.state, LocalState::Completed);
    assert_eq!(row.payer_amount.unwrap().to_string(), "123.10");
    let kinds: Vec<_> = j.events(&r).unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Journaled,
            EventKind::Sent,
            EventKind::Answered,
            EventKind::Polled
        ]
    );
    assert!(
        j.events(&r).unwrap()[2]
            .detail
            .contains("HTTP 200 PROCESSING")
    );
}

#[test]
fn error_and_event_round_trip_and_unknown_references_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let r = reference();
    j.begin(&new_exec(&r, "23")).unwrap();
    j.mark_sent(&r, 1).unwrap();
    j.record_error(
        &r,
        EventKind::Error,
        None,
        LocalState::Unknown,
        "connection reset",
    )
    .unwrap();
    let row = j.get(&r).unwrap().unwrap();
    assert_eq!(row.state, LocalState::Unknown);
    assert_eq!(row.error.as_deref(), Some("connection reset"));
    j.record_event(&r, EventKind::SecretCopied, "copied with OSC 52")
        .unwrap();
    let events = j.events(&r).unwrap();
    assert_eq!(events.last().unwrap().kind, EventKind::SecretCopied);
    assert_eq!(events.last().unwrap().detail, "copied with OSC 52");
    // Sent again with the same reference: sending again, owned by this process.
    j.mark_sent(&r, 2).unwrap();
    let row = j.get(&r).unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (LocalState::Sending, 2));
    j.record_error(
        &r,
        EventKind::Error,
        Some(422),
        LocalState::Rejected,
        "reference_id: used",
    )
    .unwrap();
    assert_eq!(j.get(&r).unwrap().unwrap().http_status, Some(422));
    let missing = j
        .record_event("no-such-ref", EventKind::Note, "x")
        .unwrap_err();
    assert!(
        matches!(missing, JournalError::NotFound { .. }),
        "{missing}"
    );
    assert!(j.mark_sent("no-such-ref", 1).is_err());
    assert!(j.get("no-such-ref").unwrap().is_none());
}

#[test]
fn a_final_answer_is_not_undone_by_a_late_poll_or_error() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let r = reference();
    j.begin(&new_exec(&r, "18")).unwrap();
    j.record_answer(
        &r,
        EventKind::Polled,
        200,
        &answer(r#"{"status":"COMPLETED"}"#),
        LocalState::Completed,
    )
    .unwrap();
    j.record_answer(
        &r,
        EventKind::Polled,
        200,
        &answer(r#"{"status":"PROCESSING"}"#),
        LocalState::Processing,
    )
    .unwrap();
    j.record_error(
        &r,
        EventKind::Polled,
        Some(503),
        LocalState::Unknown,
        "busy",
    )
    .unwrap();
    let row = j.get(&r).unwrap().unwrap();
    assert_eq!(row.state, LocalState::Completed);
    assert_eq!(row.error, None);
    let last = j.events(&r).unwrap().pop().unwrap();
    assert!(
        last.detail.contains("state stays completed"),
        "{}",
        last.detail
    );
}

#[test]
fn same_reference_same_payment_is_a_retry_another_payment_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let r = reference();
    j.begin(&new_exec(&r, "18")).unwrap();
    j.begin(&new_exec(&r, "18")).unwrap();
    assert_eq!(j.count(&filter()).unwrap(), 1);
    let err = j.begin(&new_exec(&r, "19")).unwrap_err();
    assert!(matches!(err, JournalError::ReferenceReused { .. }));
    assert!(err.to_string().contains("new reference"), "{err}");
    let mut other_session = new_exec(&r, "18");
    other_session.session_id = "43".into();
    assert!(j.begin(&other_session).is_err());
    assert_eq!(j.get(&r).unwrap().unwrap().payout_account_id, "18");
}

#[test]
fn a_full_phone_in_the_payee_is_masked_before_it_is_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let r = reference();
    let mut new = new_exec(&r, "18");
    new.payee = "231771234567".into();
    j.begin(&new).unwrap();
    assert_eq!(j.get(&r).unwrap().unwrap().payee, "2317•••4567");
    drop(j);
    let bytes = fs::read(tmp.path().join(FILE_NAME)).unwrap();
    let wal = fs::read(format!("{}-wal", tmp.path().join(FILE_NAME).display())).unwrap_or_default();
    for b in [&bytes, &wal] {
        assert!(!String::from_utf8_lossy(b).contains("231771234567"));
    }
}

#[test]
fn mask_phone_shows_first_and_last_four_and_hides_short_input() {
    assert_eq!(mask_phone("231771234567"), "2317•••4567");
    assert_eq!(
        mask_phone("14155552671"),
        "141•••671",
        "never more than half"
    );
    assert!(!mask_phone("1234567").contains(char::is_numeric));
    assert!(!mask_phone("").contains(char::is_numeric));
}

#[test]
fn one_event_on_many_rows_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let refs: Vec<String> = (0..3).map(|_| reference()).collect();
    for r in &refs {
        j.begin(&new_exec(r, "18")).unwrap();
    }
    let all: Vec<&str> = refs.iter().map(String::as_str).collect();
    j.record_events(&all, EventKind::Exported, "exports/history.csv")
        .unwrap();
    for r in &refs {
        let last = j.events(r).unwrap().pop().unwrap();
        assert_eq!(
            (last.kind, last.detail.as_str()),
            (EventKind::Exported, "exports/history.csv")
        );
    }
    // One unknown reference: nothing is recorded for the others either.
    let with_missing = [all[0], "no-such-ref"];
    assert!(
        j.record_events(&with_missing, EventKind::Note, "x")
            .is_err()
    );
    assert_eq!(
        j.events(all[0]).unwrap().last().unwrap().kind,
        EventKind::Exported
    );
}
