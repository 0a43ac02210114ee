//! The journal on real SQLite files: schema upgrades and refusals, round trips, crash recovery,
//! listings and several writer processes at once.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{Duration, Utc};
use payout_console::api::state::LocalState;
use payout_console::api::wire::ExecutionResponse;
use payout_console::journal::{
    COUNT_CAP, EventKind, FILE_NAME, HistoryFilter, Journal, JournalError, NewExecution, Page,
    SCHEMA_VERSION, format, mask_phone,
};
use payout_console::money::Amount;
use rusqlite::Connection;

fn new_exec(reference: &str, account: &str) -> NewExecution {
    NewExecution {
        reference_id: reference.to_string(),
        session_id: "42".into(),
        session_amount: Some(Amount::parse("123.10").unwrap()),
        session_currency: Some("USD".into()),
        session_expires_at: Some("2026-06-01T12:15:00Z".into()),
        payout_account_id: account.to_string(),
        profile: "local".into(),
        base_url: "http://127.0.0.1:8080".into(),
        sandbox: false,
        os_user: "alice".into(),
        payee: "2317•••4567".into(),
    }
}

fn answer(json: &str) -> ExecutionResponse {
    serde_json::from_str(json).unwrap()
}

fn reference() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn raw(dir: &Path) -> Connection {
    Connection::open(dir.join(FILE_NAME)).unwrap()
}

fn filter() -> HistoryFilter {
    HistoryFilter::default()
}

#[test]
fn empty_data_dir_gets_the_current_schema_in_a_private_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/data");
    let j = Journal::open(&dir).unwrap();
    assert_eq!(j.path(), dir.join(FILE_NAME));
    j.begin(&new_exec(&reference(), "18")).unwrap();
    let c = raw(&dir);
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{}{suffix}", dir.join(FILE_NAME).display());
            let m = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, 0o600, "{p}");
        }
        let d = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(d, 0o700);
    }
}

#[test]
fn a_loose_existing_file_is_tightened_to_owner_only() {
    let tmp = tempfile::tempdir().unwrap();
    drop(Journal::open(tmp.path()).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = tmp.path().join(FILE_NAME);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        drop(Journal::open(tmp.path()).unwrap());
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

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
    assert_eq!(mask_phone("14155552671"), "1415•••2671");
    assert!(!mask_phone("1234567").contains(char::is_numeric));
    assert!(!mask_phone("").contains(char::is_numeric));
}

/// Points a row at another writer, as a crashed or other process would have left it.
fn set_writer(dir: &Path, reference: &str, pid: u32, start: Option<&str>) {
    raw(dir)
        .execute(
            "UPDATE executions SET writer_pid = ?2, writer_start = ?3 WHERE reference_id = ?1",
            rusqlite::params![reference, pid, start],
        )
        .unwrap();
}

fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn sending_row_of_dead_writer_becomes_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let r = reference();
    Journal::open(tmp.path())
        .unwrap()
        .begin(&new_exec(&r, "18"))
        .unwrap();
    set_writer(tmp.path(), &r, dead_pid(), None);
    let j = Journal::open(tmp.path()).unwrap();
    let row = j.get(&r).unwrap().unwrap();
    assert_eq!(row.state, LocalState::Unknown);
    assert!(row.error.unwrap().contains("check its status"));
    let last = j.events(&r).unwrap().pop().unwrap();
    assert_eq!(last.kind, EventKind::Error);
    assert_eq!(j.recover_orphans().unwrap(), 0, "recovered once only");
    assert_eq!(j.unresolved().unwrap().len(), 1);
}

#[test]
fn sending_row_of_a_live_writer_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let sender = Journal::open(tmp.path()).unwrap();
    let r = reference();
    sender.begin(&new_exec(&r, "18")).unwrap();
    let other = Journal::open(tmp.path()).unwrap();
    assert_eq!(other.recover_orphans().unwrap(), 0);
    assert_eq!(other.get(&r).unwrap().unwrap().state, LocalState::Sending);
    assert!(
        other.unresolved().unwrap().is_empty(),
        "a live send is not for reconcile"
    );
    assert_eq!(other.unresolved_for_account("18").unwrap().len(), 1);
}

#[test]
fn sending_row_of_a_reused_pid_becomes_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let r = reference();
    Journal::open(tmp.path())
        .unwrap()
        .begin(&new_exec(&r, "18"))
        .unwrap();
    if !Path::new("/proc/self/stat").exists() {
        return; // start times are read from /proc
    }
    // Our pid, but a process that started at another time: not the writer.
    set_writer(
        tmp.path(),
        &r,
        std::process::id(),
        Some("another-boot/12345"),
    );
    let j = Journal::open(tmp.path()).unwrap();
    assert_eq!(j.get(&r).unwrap().unwrap().state, LocalState::Unknown);
}

#[test]
fn unresolved_lists_open_states_and_the_account_guard_sees_them() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let states = [
        LocalState::Pending,
        LocalState::Processing,
        LocalState::ActionRequired,
        LocalState::Completed,
        LocalState::Failed,
        LocalState::Rejected,
        LocalState::Unknown,
    ];
    for s in states {
        let r = reference();
        j.begin(&new_exec(&r, "21")).unwrap();
        j.record_error(&r, EventKind::Note, None, s, "set").unwrap();
    }
    let mut open: Vec<_> = j.unresolved().unwrap().iter().map(|r| r.state).collect();
    open.sort_by_key(|s| s.as_str());
    assert_eq!(
        open,
        [
            LocalState::ActionRequired,
            LocalState::Pending,
            LocalState::Processing,
            LocalState::Unknown
        ]
    );
    let guard: Vec<_> = j
        .unresolved_for_account("21")
        .unwrap()
        .iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(guard.len(), 3);
    assert!(guard.iter().all(|s| s.is_unresolved()));
    assert!(j.unresolved_for_account("99").unwrap().is_empty());
}

/// Fills a history: 12 rows over 12 days, accounts 18/19/20 in turn, every third failed.
fn fill_days(dir: &Path) -> (Journal, Vec<String>) {
    let j = Journal::open(dir).unwrap();
    let mut refs = Vec::new();
    for i in 0..12 {
        let r = reference();
        let account = ["18", "19", "20"][i % 3];
        let mut new = new_exec(&r, account);
        new.profile = if i < 6 { "local" } else { "prod" }.into();
        new.session_id = format!("S{i}");
        new.sandbox = i % 2 == 0;
        j.begin(&new).unwrap();
        let (word, state, msg) = if i % 3 == 2 {
            ("FAILED", LocalState::Failed, "declined by the operator")
        } else {
            ("COMPLETED", LocalState::Completed, "paid")
        };
        let body = format!(
            r#"{{"status":"{word}","provider_transaction_id":"PTX-{i:04}","gateway_message":"{msg}"}}"#
        );
        j.record_answer(&r, EventKind::Answered, 200, &answer(&body), state)
            .unwrap();
        refs.push(r);
    }
    // Spread them over the last 12 days, oldest first, as journal order has them.
    let c = raw(dir);
    for (i, r) in refs.iter().enumerate() {
        let at = Utc::now() - Duration::days(12 - i as i64);
        c.execute(
            "UPDATE executions SET created_at = ?2 WHERE reference_id = ?1",
            rusqlite::params![r, at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)],
        )
        .unwrap();
    }
    (j, refs)
}

#[test]
fn filters_narrow_by_state_account_profile_and_since() {
    let tmp = tempfile::tempdir().unwrap();
    let (j, refs) = fill_days(tmp.path());
    let all = j.query(&filter(), Page::first(100)).unwrap();
    assert_eq!(all.len(), 12);
    let newest_first: Vec<_> = all.iter().map(|r| r.reference_id.clone()).rev().collect();
    assert_eq!(newest_first, refs);

    let failed = HistoryFilter {
        states: vec![LocalState::Failed],
        ..filter()
    };
    assert_eq!(j.query(&failed, Page::first(100)).unwrap().len(), 4);
    assert_eq!(j.count(&failed).unwrap(), 4);

    let both = HistoryFilter {
        states: vec![LocalState::Failed, LocalState::Completed],
        ..filter()
    };
    let rows = j.query(&both, Page::first(5)).unwrap();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.windows(2).all(|w| w[0].seq > w[1].seq),
        "merged newest first"
    );

    let account = HistoryFilter {
        account: Some("19".into()),
        states: vec![LocalState::Completed],
        ..filter()
    };
    let rows = j.query(&account, Page::first(100)).unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.payout_account_id == "19"));

    let prod = HistoryFilter {
        profile: Some("prod".into()),
        ..filter()
    };
    assert_eq!(j.count(&prod).unwrap(), 6);

    let recent = HistoryFilter {
        since: Some(Utc::now() - Duration::hours(3 * 24 + 12)),
        ..filter()
    };
    let rows = j.query(&recent, Page::first(100)).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].reference_id, refs[11]);
    let future = HistoryFilter {
        since: Some(Utc::now() + Duration::hours(1)),
        ..filter()
    };
    assert!(j.query(&future, Page::first(10)).unwrap().is_empty());
}

#[test]
fn search_finds_reference_prefixes_ids_and_message_words() {
    let tmp = tempfile::tempdir().unwrap();
    let (j, refs) = fill_days(tmp.path());
    let find = |text: &str| {
        let f = HistoryFilter {
            search: Some(text.into()),
            ..filter()
        };
        j.query(&f, Page::first(100))
            .unwrap()
            .into_iter()
            .map(|r| r.reference_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(find(&refs[4]), [refs[4].clone()], "whole reference");
    assert_eq!(find(&refs[4][..13]), [refs[4].clone()], "reference prefix");
    assert_eq!(find(&refs[4].to_uppercase()), [refs[4].clone()], "any case");
    assert_eq!(
        find("PTX-0007"),
        [refs[7].clone()],
        "provider transaction id"
    );
    assert_eq!(find("S5"), [refs[5].clone()], "session id");
    assert_eq!(find("declined").len(), 4, "gateway message word");
    assert_eq!(
        find("declined by the oper").len(),
        4,
        "phrase with a prefix"
    );
    assert!(find("nothing-like-this").is_empty());
    assert!(
        find("\" OR *").is_empty(),
        "query syntax is not interpreted"
    );
    assert!(find("---").is_empty());
    let failed_20 = HistoryFilter {
        search: Some("declined".into()),
        account: Some("20".into()),
        states: vec![LocalState::Failed],
        ..filter()
    };
    assert_eq!(j.count(&failed_20).unwrap(), 4);
    // Changed messages are searchable at once (the index follows updates).
    j.record_error(
        &refs[0],
        EventKind::Polled,
        None,
        LocalState::Completed,
        "gateway timeout",
    )
    .unwrap();
    assert_eq!(find("gateway timeout"), [refs[0].clone()]);
}

#[test]
fn keyset_pages_walk_newest_first_without_gaps_or_repeats() {
    let tmp = tempfile::tempdir().unwrap();
    let (j, refs) = fill_days(tmp.path());
    for f in [
        filter(),
        HistoryFilter {
            search: Some("paid".into()),
            ..filter()
        },
        HistoryFilter {
            states: vec![LocalState::Completed, LocalState::Failed],
            ..filter()
        },
    ] {
        let mut seen = Vec::new();
        let mut page = Some(Page::first(5));
        while let Some(p) = page {
            let rows = j.query(&f, p).unwrap();
            seen.extend(rows.iter().map(|r| r.reference_id.clone()));
            page = p.next(&rows);
        }
        let mut want: Vec<_> = j
            .query(&f, Page::first(100))
            .unwrap()
            .into_iter()
            .map(|r| r.reference_id)
            .collect();
        assert_eq!(seen, want, "{f:?}");
        want.dedup();
        assert_eq!(seen.len(), want.len());
    }
    let after = j.query(&filter(), Page::first(3)).unwrap();
    let next = j.query(&filter(), Page::after(&after[2], 3)).unwrap();
    assert_eq!(next[0].reference_id, refs[8]);
}

#[test]
fn count_stops_at_its_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let c = raw(tmp.path());
    c.execute_batch("BEGIN").unwrap();
    for i in 0..COUNT_CAP + 5 {
        c.execute(
            "INSERT INTO executions (reference_id, created_at, updated_at, state, session_id,
                payout_account_id, profile, base_url, sandbox, os_user, payee, writer_pid,
                writer_host)
             VALUES (?1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z',
                'completed', '1', '18', 'local', 'x', 0, 'u', 'p', 1, 'h')",
            [format!("ref-{i}")],
        )
        .unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
    assert_eq!(j.count(&filter()).unwrap(), COUNT_CAP);
}

#[test]
fn recent_accounts_come_most_recently_used_first() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    for account in ["18", "19", "18", "20", "19"] {
        j.begin(&new_exec(&reference(), account)).unwrap();
    }
    assert_eq!(j.recent_accounts(10).unwrap(), ["19", "20", "18"]);
    assert_eq!(j.recent_accounts(2).unwrap(), ["19", "20"]);
    assert!(j.recent_accounts(0).unwrap().is_empty());
}

#[test]
fn an_older_unversioned_file_is_upgraded_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(FILE_NAME);
    {
        // Version 0: an SQLite file in rollback-journal mode with no schema yet.
        let c = Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE; CREATE TABLE t (x); DROP TABLE t;")
            .unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 0);
    }
    let j = Journal::open(tmp.path()).unwrap();
    j.begin(&new_exec(&reference(), "18")).unwrap();
    let c = raw(tmp.path());
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    // Reopening an up-to-date file changes nothing.
    drop(j);
    let j = Journal::open(tmp.path()).unwrap();
    assert_eq!(j.count(&filter()).unwrap(), 1);
}

fn assert_refused_untouched(dir: &Path, bytes: &[u8], want: impl Fn(&JournalError) -> bool) {
    let path = dir.join(FILE_NAME);
    fs::write(&path, bytes).unwrap();
    let err = Journal::open(dir).unwrap_err();
    assert!(want(&err), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "names the file: {msg}"
    );
    assert!(msg.contains("left untouched"), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), bytes, "byte-identical");
}

#[test]
fn a_newer_schema_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("future.sqlite3");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE executions (x); PRAGMA user_version = {};",
            SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    let bytes = fs::read(&path).unwrap();
    assert_refused_untouched(
        tmp.path(),
        &bytes,
        |e| matches!(e, JournalError::NewerSchema { found, .. } if *found == SCHEMA_VERSION + 1),
    );
}

/// Deterministic noise, no extra crates.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn a_corrupt_file_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    assert_refused_untouched(tmp.path(), &noise(8192, 7), |e| {
        matches!(e, JournalError::NotADatabase { .. })
    });
    // The SQLite header, then garbage.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(noise(8192, 11));
    assert_refused_untouched(tmp.path(), &bytes, |e| {
        matches!(e, JournalError::NotADatabase { .. })
    });
}

#[test]
fn another_programs_database_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("other.sqlite3");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');")
        .unwrap();
    let bytes = fs::read(&path).unwrap();
    assert_refused_untouched(tmp.path(), &bytes, |e| {
        matches!(e, JournalError::Foreign { .. })
    });
}

#[test]
fn formats_mark_sandbox_rows_and_keep_amounts_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let r = reference();
    let mut new = new_exec(&r, "19");
    new.sandbox = true;
    j.begin(&new).unwrap();
    let body = r#"{"status":"FAILED","payer_amount":100.00,"payer_currency":"USD",
        "payee_amount":18650.50,"payee_currency":"LRD","gateway_message":"declined\u001b[31m",
        "client_secret":"pi_1_secret_abcd","requires_action":true}"#;
    j.record_answer(
        &r,
        EventKind::Answered,
        200,
        &answer(body),
        LocalState::Failed,
    )
    .unwrap();
    let rows = j.query(&filter(), Page::first(10)).unwrap();
    let events = j.events(&r).unwrap();

    let table = format::table(&rows);
    assert!(table.lines().next().unwrap().contains("SANDBOX"));
    assert!(table.lines().nth(1).unwrap().contains("SANDBOX"));
    assert!(
        table.contains("100.00 USD → 18650.50 LRD (186.505 LRD/USD)"),
        "{table}"
    );
    assert!(
        !table.contains('\u{1b}'),
        "control characters are not printed"
    );

    let json: serde_json::Value = serde_json::from_str(&format::json(&rows)).unwrap();
    assert_eq!(json[0]["sandbox"], true);
    assert_eq!(json[0]["state"], "failed");
    assert!(format::json(&rows).contains("\"payer_amount\": 100.00"));

    let csv = format::csv(&rows);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let head = reader.headers().unwrap().clone();
    let rec = reader.records().next().unwrap().unwrap();
    let col = |name: &str| rec[head.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(col("payee_amount"), "18650.50");
    assert_eq!(col("sandbox"), "true");
    assert_eq!(col("rate"), "186.505");

    let show = format::show(&rows[0], &events);
    assert!(show.contains("SANDBOX"));
    assert!(show.contains("…abcd"));
    assert!(show.contains("journaled"));
    let bundle = format::support_bundle(&rows[0], &events);
    assert!(bundle.contains(&r));
    assert!(bundle.contains("[redacted]"));
    assert!(bundle.contains("SANDBOX"));
    for text in [&table, &show, &bundle, &csv] {
        assert!(!text.contains("pi_1_secret"));
    }
}

const CHILD_ENV: &str = "PAYOUT_CONSOLE_JOURNAL_TEST_WRITER";
const PER_WRITER: usize = 1_000;

/// Not a test on its own: the body of one writer process for
/// `concurrent_writer_processes_lose_nothing`. Does nothing unless spawned by it.
#[test]
fn writer_process_helper() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (dir, id) = spec.split_once('|').unwrap();
    let j = Journal::open(Path::new(dir)).unwrap();
    // Start together, so the writes really interleave.
    while !Path::new(dir).join("go").exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let body = answer(r#"{"status":"COMPLETED","payer_amount":10.01,"payer_currency":"USD"}"#);
    for i in 0..PER_WRITER {
        let r = format!("writer-{id}-{i:05}");
        j.begin(&new_exec(&r, id)).unwrap();
        j.record_answer(&r, EventKind::Answered, 200, &body, LocalState::Completed)
            .unwrap();
    }
}

#[test]
fn concurrent_writer_processes_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    drop(Journal::open(tmp.path()).unwrap());
    let exe = std::env::current_exe().unwrap();
    let writers: Vec<_> = (0..3)
        .map(|id| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "writer_process_helper",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, format!("{}|{id}", tmp.path().display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    fs::write(tmp.path().join("go"), "").unwrap();
    for w in writers {
        let out = w.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer failed: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let j = Journal::open(tmp.path()).unwrap();
    let c = raw(tmp.path());
    let rows: i64 = c
        .query_row(
            "SELECT count(*) FROM executions WHERE state = 'completed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 3 * PER_WRITER as i64);
    let events: i64 = c
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 2 * 3 * PER_WRITER as i64);
    for id in 0..3 {
        let f = HistoryFilter {
            account: Some(id.to_string()),
            ..filter()
        };
        assert_eq!(j.count(&f).unwrap(), PER_WRITER as u64);
    }
    let amount: String = c
        .query_row("SELECT DISTINCT payer_amount FROM executions", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(amount, "10.01");
}
