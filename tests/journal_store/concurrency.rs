//! Several writer processes on one file at once.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use payout_console::api::state::LocalState;
use payout_console::journal::{EventKind, HistoryFilter, Journal};

use super::{answer, filter, new_exec, raw};

const CHILD_ENV: &str = "PAYOUT_CONSOLE_JOURNAL_TEST_WRITER";
const PER_WRITER: usize = 1_000;

/// Not a test on its own: the body of one writer process for
/// `concurrent_writer_processes_on_a_fresh_file_lose_nothing`. Does nothing unless spawned by
/// it.
#[test]
fn writer_process_helper() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (root, id) = spec.split_once('|').unwrap();
    // Start together, so creating the file, migrating it and the writes all race.
    while !Path::new(root).join("go").exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let j = Journal::open(&Path::new(root).join("data")).unwrap();
    let body = answer(r#"{"status":"COMPLETED","payer_amount":10.01,"payer_currency":"USD"}"#);
    for i in 0..PER_WRITER {
        let r = format!("writer-{id}-{i:05}");
        j.begin(&new_exec(&r, id)).unwrap();
        j.record_answer(&r, EventKind::Answered, 200, &body, LocalState::Completed)
            .unwrap();
    }
}

#[test]
fn concurrent_writer_processes_on_a_fresh_file_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let writers: Vec<_> = (0..3)
        .map(|id| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "concurrency::writer_process_helper",
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
    let data = tmp.path().join("data");
    let j = Journal::open(&data).unwrap();
    let c = raw(&data);
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
