//! One execution as read back from the journal.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{JournalError, time};
use crate::api::state::LocalState;
use crate::money::Amount;

/// Every column of one execution, typed. Serializes as the `--json` shape: amounts as exact
/// JSON numbers, times as RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutionRow {
    /// Journal order: grows with every new execution; pass it to [`super::Page::after`].
    pub seq: i64,
    pub reference_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub state: LocalState,
    /// The API's status word as it came, when any answer came.
    pub status: Option<String>,
    pub payer_amount: Option<Amount>,
    pub payer_currency: Option<String>,
    pub payee_amount: Option<Amount>,
    pub payee_currency: Option<String>,
    pub operation_type: Option<String>,
    pub provider_transaction_id: Option<String>,
    pub gateway_message: Option<String>,
    pub wallet_message: Option<String>,
    /// The last 4 characters of the requires_action client secret (`…abcd`), never more.
    pub client_secret_hint: Option<String>,
    pub requires_action: Option<bool>,
    pub session_id: String,
    pub session_amount: Option<Amount>,
    pub session_currency: Option<String>,
    pub session_expires_at: Option<String>,
    pub payout_account_id: String,
    pub profile: String,
    pub base_url: String,
    pub sandbox: bool,
    pub os_user: String,
    /// Masked phone or user id.
    pub payee: String,
    pub attempts: u32,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    /// The process that journaled it (or last sent it), to tell a live send from an orphan.
    pub writer_pid: u32,
    pub writer_host: String,
    /// Boot id and start time of that process, against pid reuse.
    pub writer_start: Option<String>,
}

impl ExecutionRow {
    /// Payee units per payer unit, when both amounts are known and the currencies differ.
    pub fn rate(&self) -> Option<Decimal> {
        crate::money::rate(
            self.payer_amount,
            self.payer_currency.as_deref(),
            self.payee_amount,
            self.payee_currency.as_deref(),
        )
    }
}

/// The column list every SELECT of a whole row uses, in [`from_row`]'s order.
pub(crate) const COLUMNS: &str = "e.seq, e.reference_id, e.created_at, e.updated_at, e.state, \
    e.status, e.payer_amount, e.payer_currency, e.payee_amount, e.payee_currency, \
    e.operation_type, e.provider_transaction_id, e.gateway_message, e.wallet_message, \
    e.client_secret_hint, e.requires_action, e.session_id, e.session_amount, e.session_currency, \
    e.session_expires_at, e.payout_account_id, e.profile, e.base_url, e.sandbox, e.os_user, \
    e.payee, e.attempts, e.http_status, e.error, e.writer_pid, e.writer_host, e.writer_start";

const MAX_U32: i64 = u32::MAX as i64;
const MAX_U16: i64 = u16::MAX as i64;

/// Reads one row selected with [`COLUMNS`]. A value that does not parse (a hand-edited file)
/// becomes a [`JournalError::BadRow`] naming the column, never a silent default.
pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> Result<ExecutionRow, RowError> {
    let reference_id: String = r.get(1)?;
    let bad = |column: &'static str, detail: String| RowError::Bad {
        reference: reference_id.clone(),
        column,
        detail,
    };
    let when = |i: usize, column: &'static str| -> Result<DateTime<Utc>, RowError> {
        let text: String = r.get(i)?;
        time::from_text(&text).ok_or_else(|| bad(column, format!("`{text}` is not a time")))
    };
    let amount = |i: usize, column: &'static str| -> Result<Option<Amount>, RowError> {
        match r.get::<_, Option<String>>(i)? {
            None => Ok(None),
            Some(text) => Amount::parse(&text)
                .map(Some)
                .map_err(|e| bad(column, e.to_string())),
        }
    };
    let state_text: String = r.get(4)?;
    let state = state_text
        .parse::<LocalState>()
        .map_err(|e| bad("state", e.to_string()))?;
    let int = |i: usize, column: &'static str, max: i64| -> Result<Option<i64>, RowError> {
        match r.get::<_, Option<i64>>(i)? {
            Some(v) if !(0..=max).contains(&v) => Err(bad(column, format!("{v} is out of range"))),
            v => Ok(v),
        }
    };
    Ok(ExecutionRow {
        seq: r.get(0)?,
        created_at: when(2, "created_at")?,
        updated_at: when(3, "updated_at")?,
        state,
        status: r.get(5)?,
        payer_amount: amount(6, "payer_amount")?,
        payer_currency: r.get(7)?,
        payee_amount: amount(8, "payee_amount")?,
        payee_currency: r.get(9)?,
        operation_type: r.get(10)?,
        provider_transaction_id: r.get(11)?,
        gateway_message: r.get(12)?,
        wallet_message: r.get(13)?,
        client_secret_hint: r.get(14)?,
        requires_action: r.get::<_, Option<i64>>(15)?.map(|v| v != 0),
        session_id: r.get(16)?,
        session_amount: amount(17, "session_amount")?,
        session_currency: r.get(18)?,
        session_expires_at: r.get(19)?,
        payout_account_id: r.get(20)?,
        profile: r.get(21)?,
        base_url: r.get(22)?,
        sandbox: r.get::<_, i64>(23)? != 0,
        os_user: r.get(24)?,
        payee: r.get(25)?,
        attempts: int(26, "attempts", MAX_U32)?.map_or(0, |v| v as u32),
        http_status: int(27, "http_status", MAX_U16)?.map(|v| v as u16),
        error: r.get(28)?,
        writer_pid: int(29, "writer_pid", MAX_U32)?.map_or(0, |v| v as u32),
        writer_host: r.get(30)?,
        writer_start: r.get(31)?,
        reference_id,
    })
}

/// Reading a row fails either in SQLite or on a value we cannot read.
pub(crate) enum RowError {
    Sql(rusqlite::Error),
    Bad {
        reference: String,
        column: &'static str,
        detail: String,
    },
}

impl From<rusqlite::Error> for RowError {
    fn from(e: rusqlite::Error) -> Self {
        RowError::Sql(e)
    }
}

impl RowError {
    pub(crate) fn into_journal(self, path: &std::path::Path) -> JournalError {
        match self {
            RowError::Sql(source) => JournalError::Sqlite {
                path: path.to_path_buf(),
                source,
            },
            RowError::Bad {
                reference,
                column,
                detail,
            } => JournalError::BadRow {
                reference,
                column,
                detail,
            },
        }
    }
}
