//! The execution journal: a SQLite history of every execution, written before the request
//! leaves so that "what happened to reference X?" has an answer even after a crash.
//!
//! One [`Journal`] owns one connection; the API is synchronous (async callers go through
//! `spawn_blocking`). Several processes may write the same file at once: WAL, a 10 s busy
//! timeout, `BEGIN IMMEDIATE` for every write and a retry loop on top keep "database is locked"
//! from reaching a caller.
//!
//! History order is journal order: `seq` grows with every `begin`, and `created_at` is kept
//! non-decreasing along it (a clock stepping back does not reorder history), so "newest first"
//! is `seq` descending and every listing pages by `seq` without sorting.
//!
//! Nothing secret is stored: no passcode, token or client secret (only its last 4 characters),
//! and no full phone number (see [`mask_phone`]).

pub mod format;
mod query;
mod row;
mod schema;
mod time;
mod write;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

use crate::api::state::LocalState;
use crate::money::Amount;

pub use query::COUNT_CAP;
pub use row::ExecutionRow;
pub use schema::SCHEMA_VERSION;

/// The file inside the data dir.
pub const FILE_NAME: &str = "history.sqlite3";

/// The execution journal on one SQLite file.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "history: cannot use {path}: {source}; check that the data dir exists and is yours, or set PAYOUT_CONSOLE_DATA_DIR"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "history: {path} is not a payout-console history (not an SQLite database, or damaged: {detail}); it was left untouched. Move it aside to start a new history, or restore it from a backup"
    )]
    NotADatabase { path: PathBuf, detail: String },
    #[error(
        "history: {path} is an SQLite database of another program ({detail}); it was left untouched. Point PAYOUT_CONSOLE_DATA_DIR at another directory"
    )]
    Foreign { path: PathBuf, detail: String },
    #[error(
        "history: {path} was written by a newer payout-console (schema version {found}; this build knows up to {supported}); it was left untouched. Upgrade payout-console to read it"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "history: upgrading {path} to schema version {version} failed ({source}); the file was left at the version before. Report this with the file kept aside"
    )]
    Migration {
        path: PathBuf,
        version: i64,
        source: rusqlite::Error,
    },
    #[error(
        "history: {path} stayed locked by another payout-console for {seconds} s; close other consoles or wait for them, then try again"
    )]
    Busy { path: PathBuf, seconds: u64 },
    #[error(
        "history: reference {reference} is already journaled for a different payment ({existing}); a new payment needs a new reference"
    )]
    ReferenceReused { reference: String, existing: String },
    #[error(
        "history: payout account {account} has an unresolved execution ({list}); resolve it first, or override explicitly"
    )]
    AccountUnresolved { account: String, list: String },
    #[error("history: no execution with reference {reference} in the journal")]
    NotFound { reference: String },
    #[error("history: {what}")]
    Invalid { what: String },
    #[error(
        "history: the row for {reference} has an unreadable {column} ({detail}); the file may have been edited by hand"
    )]
    BadRow {
        reference: String,
        column: &'static str,
        detail: String,
    },
    #[error("history: {path}: {source}{}", hint(source))]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

/// What to do about an SQLite failure, after its own message.
fn hint(e: &rusqlite::Error) -> &'static str {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DiskFull) => "; free some disk space, then try again",
        Some(C::ReadOnly | C::CannotOpen | C::PermissionDenied) => {
            "; check that the data dir and the file are writable by you"
        }
        Some(C::DatabaseCorrupt | C::NotADatabase) => {
            "; the file is damaged: move it aside (a new history starts) or restore a backup"
        }
        Some(C::SystemIoFailure) => "; the disk reported an error: check it, then try again",
        Some(C::DatabaseBusy | C::DatabaseLocked) => {
            "; another payout-console holds the history: wait for it, then try again"
        }
        _ => "; try again, and report it if it persists",
    }
}

/// What `begin` records before the request leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExecution {
    pub reference_id: String,
    pub session_id: String,
    pub session_amount: Option<Amount>,
    pub session_currency: Option<String>,
    pub session_expires_at: Option<String>,
    pub payout_account_id: String,
    pub profile: String,
    pub base_url: String,
    pub sandbox: bool,
    pub os_user: String,
    /// Already masked phone (`2317•••4567`) or a user id. Any run of more than 4 digits left in
    /// it is masked by `begin`, so a full phone number never reaches the file.
    pub payee: String,
    /// Refuse a new row while another execution to the same account is unresolved, checked in
    /// the same transaction as the insert: two consoles paying one account at the same instant
    /// cannot both pass. False when the operator overrode the guard (and in journal tests).
    pub guard_account: bool,
}

/// One entry of an execution's append-only event trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Journaled,
    Sent,
    Answered,
    Polled,
    Error,
    Retry,
    SecretRevealed,
    SecretCopied,
    Exported,
    StopWaiting,
    Reconciled,
    Note,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::Journaled,
        EventKind::Sent,
        EventKind::Answered,
        EventKind::Polled,
        EventKind::Error,
        EventKind::Retry,
        EventKind::SecretRevealed,
        EventKind::SecretCopied,
        EventKind::Exported,
        EventKind::StopWaiting,
        EventKind::Reconciled,
        EventKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Journaled => "journaled",
            EventKind::Sent => "sent",
            EventKind::Answered => "answered",
            EventKind::Polled => "polled",
            EventKind::Error => "error",
            EventKind::Retry => "retry",
            EventKind::SecretRevealed => "secret_revealed",
            EventKind::SecretCopied => "secret_copied",
            EventKind::Exported => "exported",
            EventKind::StopWaiting => "stop_waiting",
            EventKind::Reconciled => "reconciled",
            EventKind::Note => "note",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not an event kind; use one of: journaled, sent, answered, polled, error, retry, secret_revealed, secret_copied, exported, stop_waiting, reconciled, note"
)]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownEventKind(s.to_string()))
    }
}

/// Which executions `query` and `count` return. Every set field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Any of these states; empty means every state.
    pub states: Vec<LocalState>,
    /// Journaled at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub account: Option<String>,
    pub profile: Option<String>,
    /// Words or word prefixes found in the reference, session id, account, provider
    /// transaction id, gateway or wallet message, error or payee. The last word matches as a
    /// prefix, so a reference's first characters find it; several words must appear in that
    /// order (`insufficient bal`). Case-insensitive.
    pub search: Option<String>,
}

/// One page of a listing, newest first. Keyset paging: pass the `seq` of the last row already
/// shown as `before` (see [`Page::after`]); no page ever loads or skips the rows before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// At most this many rows (capped at [`Page::MAX_LIMIT`]).
    pub limit: usize,
    /// Only rows journaled before the row with this `seq`.
    pub before: Option<i64>,
}

impl Page {
    pub const MAX_LIMIT: usize = 10_000;

    /// The newest `limit` rows.
    pub fn first(limit: usize) -> Page {
        Page {
            limit,
            before: None,
        }
    }

    /// The page after one that ended with `last`.
    pub fn after(last: &ExecutionRow, limit: usize) -> Page {
        Page {
            limit,
            before: Some(last.seq),
        }
    }

    /// The page after `rows`, or `None` when `rows` was not a full page (nothing more to show).
    pub fn next(&self, rows: &[ExecutionRow]) -> Option<Page> {
        if rows.len() < self.limit {
            return None;
        }
        rows.last().map(|last| Page::after(last, self.limit))
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::first(50)
    }
}

impl Journal {
    /// Opens (creating when needed) `data_dir/history.sqlite3`, upgrades its schema, and turns
    /// `sending` rows left by dead processes into `unknown`.
    pub fn open(data_dir: &Path) -> Result<Journal, JournalError> {
        schema::create_private_dir(data_dir)?;
        Journal::open_file(&data_dir.join(FILE_NAME))
    }

    /// Like [`Journal::open`] on an exact file path. A file that is not a history, or one from a
    /// newer version, is reported and left byte-identical.
    pub fn open_file(path: &Path) -> Result<Journal, JournalError> {
        let conn = schema::open_connection(path)?;
        let journal = Journal {
            conn,
            path: path.to_path_buf(),
        };
        journal.recover_orphans()?;
        Ok(journal)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql_err(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

/// `231771234567` → `2317•••4567`: at most the first 4 and last 4 characters, and never more
/// than half of a shorter number. Inputs shorter than 9 characters are masked whole.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 9 {
        return "•".repeat(chars.len().max(3));
    }
    let keep = ((chars.len() - 4) / 2).min(4);
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}•••{tail}")
}

/// Masks every run of more than 4 digits with [`mask_phone`], leaving the rest as it is: what
/// `begin` stores as the payee.
pub fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() > 4 {
            out.push_str(&mask_phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_phone_keeps_first_and_last_four() {
        assert_eq!(mask_phone("231771234567"), "2317•••4567");
        assert_eq!(mask_phone("12345678"), "••••••••");
        assert_eq!(mask_phone("12"), "•••");
    }

    #[test]
    fn digit_runs_longer_than_four_are_masked() {
        assert_eq!(mask_digit_runs("2317•••4567"), "2317•••4567");
        assert_eq!(mask_digit_runs("231771234567"), "2317•••4567");
        assert_eq!(mask_digit_runs("user 42"), "user 42");
        assert_eq!(mask_digit_runs("user 123456"), "user ••••••");
        assert_eq!(mask_digit_runs("+231771234567"), "+2317•••4567");
    }

    #[test]
    fn event_kinds_round_trip_through_text() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert!("sent_twice".parse::<EventKind>().is_err());
    }
}
