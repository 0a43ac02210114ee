//! The payout form. Enter moves to the next field; on a pane's last field it finishes the pane
//! (the session pane creates the session, the passcode pane opens the review). This module is
//! the session pane; [`super::account`] and [`super::passcode`] are the others.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;

pub use super::account::{AccountPane, Chosen, Item, account_command, choose};
use super::app::{App, Effect, Pane};
use super::field::Field;
use super::keymap::Cmd;
pub use super::passcode::{PassField, PasscodePane, PayeeKind, passcode_command};
pub use super::review::{Review, review_command};
use crate::api::wire::PayoutSession;
use crate::money::Amount;
use crate::payout::validate::{check_amount, check_currency};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    /// Create a session from amount and currency.
    New,
    /// Use a session ID created elsewhere.
    Existing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionField {
    Amount,
    Currency,
    Id,
}

impl SessionField {
    pub fn name(self) -> &'static str {
        match self {
            SessionField::Amount => "amount",
            SessionField::Currency => "currency",
            SessionField::Id => "session",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub account: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// The expiry as the API wrote it (journaled as is).
    pub expires_text: Option<String>,
    pub amount: Option<Amount>,
    pub currency: Option<String>,
    pub wallet_id: Option<String>,
    /// Entered by hand: its expiry is not known.
    pub by_hand: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    None,
    Creating {
        id: u64,
        account: String,
        amount: Amount,
        currency: String,
        since: DateTime<Utc>,
    },
    Ready(SessionInfo),
    Failed(String),
}

#[derive(Debug)]
pub struct SessionPane {
    pub mode: SessionMode,
    pub amount: Field,
    pub currency: Field,
    pub existing: Field,
    pub field: Option<SessionField>,
    pub problems: BTreeMap<&'static str, String>,
    pub state: SessionState,
    /// The session went out with this payout: its countdown no longer matters (it comes back
    /// if the payout is rejected and may be sent again).
    pub sent: bool,
}

impl Default for SessionPane {
    fn default() -> Self {
        SessionPane {
            mode: SessionMode::New,
            amount: Field::default(),
            currency: Field::default(),
            existing: Field::default(),
            field: None,
            problems: BTreeMap::new(),
            state: SessionState::None,
            sent: false,
        }
    }
}

impl SessionPane {
    pub fn fields(&self) -> &'static [SessionField] {
        match self.mode {
            SessionMode::New => &[SessionField::Amount, SessionField::Currency],
            SessionMode::Existing => &[SessionField::Id],
        }
    }

    pub fn input(&self, f: SessionField) -> &Field {
        match f {
            SessionField::Amount => &self.amount,
            SessionField::Currency => &self.currency,
            SessionField::Id => &self.existing,
        }
    }

    fn input_mut(&mut self, f: SessionField) -> &mut Field {
        match f {
            SessionField::Amount => &mut self.amount,
            SessionField::Currency => &mut self.currency,
            SessionField::Id => &mut self.existing,
        }
    }

    /// A new form for an account: amount cleared, currency from the account.
    pub fn reset(&mut self, currency: Option<&str>) {
        let mode = self.mode;
        *self = SessionPane {
            mode,
            ..SessionPane::default()
        };
        if let Some(c) = currency {
            self.currency.set(c);
        }
    }

    /// Focus arrives: the first empty field, else the first.
    pub fn enter(&mut self) {
        let fields = self.fields();
        self.field = fields
            .iter()
            .copied()
            .find(|f| self.input(*f).is_empty())
            .or(fields.first().copied());
    }

    pub fn edit(&mut self, ev: &KeyEvent) {
        if let Some(f) = self.field
            && self.input_mut(f).edit(ev)
        {
            self.changed(f);
        }
    }

    pub fn paste(&mut self, text: &str) {
        if let Some(f) = self.field
            && self.input_mut(f).paste(text)
        {
            self.changed(f);
        }
    }

    /// A value changed: its problem is gone, and a session made for other values no longer fits.
    fn changed(&mut self, f: SessionField) {
        self.problems.remove(f.name());
        self.problems.remove("session");
        self.state = SessionState::None;
        self.sent = false;
    }

    pub fn ready(&self) -> Option<&SessionInfo> {
        match &self.state {
            SessionState::Ready(s) => Some(s),
            _ => None,
        }
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.ready()
            .and_then(|s| s.expires_at)
            .is_some_and(|t| t <= now)
    }

    /// Spinner while creating; countdown while a session with an expiry is shown.
    pub fn animating(&self) -> bool {
        match &self.state {
            SessionState::Creating { .. } => true,
            SessionState::Ready(s) => s.expires_at.is_some() && !self.sent,
            _ => false,
        }
    }

    /// The answer to `CreateSession` number `id`; a stale answer is dropped (false).
    pub fn created(
        &mut self,
        id: u64,
        result: Result<PayoutSession, String>,
        now: DateTime<Utc>,
    ) -> bool {
        let SessionState::Creating {
            id: want,
            account,
            amount,
            currency,
            ..
        } = &self.state
        else {
            return false;
        };
        if *want != id {
            return false;
        }
        self.state = match result {
            Ok(s) => SessionState::Ready(SessionInfo {
                id: s.id.clone().unwrap_or_default(),
                account: account.clone(),
                expires_at: s.expires_at_utc(),
                expires_text: s.expires_at.clone(),
                amount: s.amount.or(Some(*amount)),
                currency: s.currency.clone().or(Some(currency.clone())),
                wallet_id: s.wallet_id.clone(),
                by_hand: false,
            }),
            Err(e) => SessionState::Failed(e),
        };
        if self.expired(now) {
            self.problems.insert(
                "session",
                "the API gave a session that has already expired: check the machine's clock".into(),
            );
        }
        true
    }

    /// Checks the typed values; problems are kept beside their fields.
    pub fn check(&mut self) -> Option<(Amount, String)> {
        if self.mode == SessionMode::Existing {
            if self.existing.is_empty() {
                self.problems.insert(
                    "session",
                    "enter a session ID, or switch to creating one".into(),
                );
            }
            return None;
        }
        let amount = check_amount(self.amount.value())
            .map_err(|p| self.problems.insert("amount", p.message))
            .ok();
        let currency = self.currency.trimmed().to_string();
        if let Some(p) = check_currency(&currency) {
            self.problems.insert("currency", p.message);
        }
        match amount {
            Some(a) if !self.problems.contains_key("currency") => Some((a, currency)),
            _ => None,
        }
    }
}

/// Makes sure a session exists or is being created for the form; false when the form is not
/// good enough to ask for one.
pub fn ensure_session(app: &mut App, fx: &mut Vec<Effect>) -> bool {
    let Some(account) = app.account.chosen.as_ref().map(|c| c.id.clone()) else {
        app.account.problem = Some("pick a payout account first".into());
        return false;
    };
    let now = app.now;
    let s = &mut app.session;
    if s.mode == SessionMode::Existing {
        s.check();
        if s.problems.is_empty() {
            s.state = SessionState::Ready(SessionInfo {
                id: s.existing.trimmed().to_string(),
                account,
                expires_at: None,
                expires_text: None,
                amount: None,
                currency: None,
                wallet_id: None,
                by_hand: true,
            });
            return true;
        }
        return false;
    }
    let Some((amount, currency)) = s.check() else {
        return false;
    };
    let fits = match &s.state {
        SessionState::Ready(r) => {
            r.account == account
                && r.amount == Some(amount)
                && r.currency.as_deref() == Some(currency.as_str())
                && !s.expired(now)
        }
        SessionState::Creating {
            account: a,
            amount: m,
            currency: c,
            ..
        } => *a == account && *m == amount && *c == currency,
        SessionState::None | SessionState::Failed(_) => false,
    };
    if !fits {
        let id = app.next_id();
        app.session.state = SessionState::Creating {
            id,
            account: account.clone(),
            amount,
            currency: currency.clone(),
            since: now,
        };
        app.session.problems.remove("session");
        fx.push(Effect::CreateSession {
            id,
            account,
            amount,
            currency,
        });
    }
    true
}

pub fn session_command(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let mut fx = Vec::new();
    let fields = app.session.fields();
    let at = app
        .session
        .field
        .and_then(|f| fields.iter().position(|x| *x == f));
    match cmd {
        Cmd::Up => app.session.field = Some(fields[at.map_or(0, |i| i.saturating_sub(1))]),
        Cmd::Down => {
            app.session.field = Some(fields[at.map_or(0, |i| (i + 1).min(fields.len() - 1))])
        }
        Cmd::Back => app.session.field = None,
        Cmd::SessionMode => {
            app.session.mode = match app.session.mode {
                SessionMode::New => SessionMode::Existing,
                SessionMode::Existing => SessionMode::New,
            };
            app.session.state = SessionState::None;
            app.session.problems.clear();
            app.session.enter();
        }
        Cmd::Select => match at {
            None => app.session.enter(),
            Some(i) if i + 1 < fields.len() => app.session.field = Some(fields[i + 1]),
            Some(_) => {
                if ensure_session(app, &mut fx) {
                    app.notice = None;
                    app.focus_pane(Pane::Passcode);
                } else if app.account.problem.is_some() {
                    super::review::problems_notice(app);
                    app.focus_pane(Pane::Account);
                } else {
                    super::review::problems_notice(app);
                    focus_first_problem(app);
                }
            }
        },
        Cmd::Execute => fx.extend(super::review::open_review(app)),
        _ => {}
    }
    fx
}

/// Activates the first session field with a problem.
pub fn focus_first_problem(app: &mut App) {
    let s = &mut app.session;
    if let Some(f) = s
        .fields()
        .iter()
        .find(|f| s.problems.contains_key(f.name()))
    {
        s.field = Some(*f);
    }
}
