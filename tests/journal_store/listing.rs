//! Listings: filters, search, keyset pages, counts, recent accounts, formats.

use std::path::Path;

use chrono::{Duration, Utc};
use payout_console::api::state::LocalState;
use payout_console::journal::{COUNT_CAP, EventKind, HistoryFilter, Journal, Page, format};

use super::{answer, filter, new_exec, raw, reference};

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

#[test]
fn journal_order_survives_a_clock_stepping_back() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let set_created = |r: &str, at: chrono::DateTime<Utc>| {
        raw(tmp.path())
            .execute(
                "UPDATE executions SET created_at = ?2 WHERE reference_id = ?1",
                rusqlite::params![r, at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)],
            )
            .unwrap();
    };
    // The clock was 2 minutes ahead for the first row: the next one is not dated before it.
    let (first, second) = (reference(), reference());
    j.begin(&new_exec(&first, "18")).unwrap();
    let ahead = Utc::now() + Duration::minutes(2);
    set_created(&first, ahead);
    j.begin(&new_exec(&second, "18")).unwrap();
    let rows = j.query(&filter(), Page::first(10)).unwrap();
    assert_eq!(rows[0].reference_id, second, "newest journaled first");
    assert!(rows[0].created_at >= rows[1].created_at);
    // A row dated a day ahead (a clock once set wrong) is not followed.
    let third = reference();
    set_created(&second, Utc::now() + Duration::days(1));
    j.begin(&new_exec(&third, "18")).unwrap();
    let row = j.get(&third).unwrap().unwrap();
    assert!(row.created_at <= ahead, "not dated a day ahead");
    let since_hour = HistoryFilter {
        since: Some(Utc::now() - Duration::hours(1)),
        ..filter()
    };
    let found: Vec<_> = j
        .query(&since_hour, Page::first(10))
        .unwrap()
        .into_iter()
        .map(|r| r.reference_id)
        .collect();
    assert_eq!(found, [third, second, first]);
}
