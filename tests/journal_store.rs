//! The journal on real SQLite files: schema upgrades and refusals, round trips, crash recovery,
//! listings and several writer processes at once.

#[path = "journal_store/concurrency.rs"]
mod concurrency;
#[path = "journal_store/listing.rs"]
mod listing;
#[path = "journal_store/opening.rs"]
mod opening;
#[path = "journal_store/recovery.rs"]
mod recovery;
#[path = "journal_store/writes.rs"]
mod writes;

use std::path::Path;

use payout_console::api::wire::ExecutionResponse;
use payout_console::journal::{FILE_NAME, HistoryFilter, NewExecution};
use payout_console::money::Amount;
use rusqlite::Connection;

pub fn new_exec(reference: &str, account: &str) -> NewExecution {
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
        guard_account: false,
    }
}

pub fn answer(json: &str) -> ExecutionResponse {
    serde_json::from_str(json).unwrap()
}

pub fn reference() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn raw(dir: &Path) -> Connection {
    Connection::open(dir.join(FILE_NAME)).unwrap()
}

pub fn filter() -> HistoryFilter {
    HistoryFilter::default()
}
