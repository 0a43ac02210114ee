//! The messages of the console: [`Action`] (what happens to the app), [`Msg`] (what a
//! background task reports) and [`Effect`] (work for the runtime).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyEvent, MouseEvent};
use secrecy::SecretString;

use super::app::TokenView;
use crate::api::LocalState;
use crate::api::wire::PayoutSession;
use crate::journal::{EventKind, EventRow, ExecutionRow, HistoryFilter, Page};
use crate::money::Amount;
use crate::payout::{ExecutionPlan, Outcome, Progress, Resolution};

/// What happens to the app: input, time and the reports of background tasks.
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Msg(Box<Msg>),
}

impl Action {
    pub fn msg(m: Msg) -> Action {
        Action::Msg(Box::new(m))
    }
}

/// What a background task reports. Every request carries the id it was sent with, so a late
/// answer to a superseded request is recognised and dropped.
#[derive(Debug)]
pub enum Msg {
    Token(TokenView),
    RecentAccounts(Vec<String>),
    SessionCreated {
        id: u64,
        result: Result<PayoutSession, String>,
    },
    Unresolved {
        id: u64,
        result: Result<Vec<(String, LocalState)>, String>,
    },
    Progress {
        reference: String,
        progress: Progress,
    },
    Executed {
        reference: String,
        result: Result<Outcome, String>,
    },
    Followed {
        reference: String,
        result: Result<Outcome, String>,
    },
    StatusChecked {
        reference: String,
        result: Result<Resolution, String>,
    },
    Row(ExecutionRow),
    HistoryPage {
        id: u64,
        page: Page,
        result: Result<(Vec<ExecutionRow>, u64), String>,
    },
    Detail {
        reference: String,
        result: Result<(ExecutionRow, Vec<EventRow>), String>,
    },
    Exported(Result<(PathBuf, usize), String>),
    /// A support bundle, written to the data dir; the app copies it.
    Bundle {
        reference: String,
        result: Result<(String, PathBuf), String>,
    },
    Copied {
        what: &'static str,
        result: Result<(), String>,
    },
}

/// Work for the runtime. Nothing here has happened yet.
pub enum Effect {
    LoadRecentAccounts,
    CreateSession {
        id: u64,
        account: String,
        amount: Amount,
        currency: String,
    },
    CheckUnresolved {
        id: u64,
        account: String,
        reference: String,
    },
    /// Journal, send and follow one execution. The plan owns the passcode.
    Execute {
        plan: ExecutionPlan,
    },
    /// Esc: stop waiting for the answer (the row becomes `unknown`) or stop following.
    StopWaiting {
        reference: String,
    },
    Follow {
        reference: String,
        account: String,
        session_id: String,
        state: LocalState,
    },
    CheckStatus {
        reference: String,
    },
    LoadRow {
        reference: String,
    },
    LoadHistory {
        id: u64,
        filter: HistoryFilter,
        page: Page,
    },
    LoadDetail {
        reference: String,
    },
    ExportCsv {
        filter: HistoryFilter,
    },
    /// Copy to the terminal's clipboard with OSC 52.
    Copy {
        what: &'static str,
        text: SecretString,
    },
    SupportBundle {
        reference: String,
    },
    RecordEvent {
        reference: String,
        kind: EventKind,
        detail: String,
    },
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Execute { plan } => write!(
                f,
                "Execute {{ reference: {}, account: {}, session: {}, allow_unresolved: {} }}",
                plan.reference, plan.account, plan.session_id, plan.allow_unresolved
            ),
            Effect::Copy { what, .. } => write!(f, "Copy {{ what: {what} }}"),
            Effect::LoadRecentAccounts => f.write_str("LoadRecentAccounts"),
            Effect::CreateSession {
                id,
                account,
                amount,
                currency,
            } => write!(
                f,
                "CreateSession {{ {id}, {account}, {amount} {currency} }}"
            ),
            Effect::CheckUnresolved { account, .. } => write!(f, "CheckUnresolved {{ {account} }}"),
            Effect::StopWaiting { reference } => write!(f, "StopWaiting {{ {reference} }}"),
            Effect::Follow { reference, .. } => write!(f, "Follow {{ {reference} }}"),
            Effect::CheckStatus { reference } => write!(f, "CheckStatus {{ {reference} }}"),
            Effect::LoadRow { reference } => write!(f, "LoadRow {{ {reference} }}"),
            Effect::LoadHistory { id, filter, page } => {
                write!(f, "LoadHistory {{ {id}, {filter:?}, {page:?} }}")
            }
            Effect::LoadDetail { reference } => write!(f, "LoadDetail {{ {reference} }}"),
            Effect::ExportCsv { filter } => write!(f, "ExportCsv {{ {filter:?} }}"),
            Effect::SupportBundle { reference } => write!(f, "SupportBundle {{ {reference} }}"),
            Effect::RecordEvent {
                reference, kind, ..
            } => write!(f, "RecordEvent {{ {reference}, {kind} }}"),
        }
    }
}
