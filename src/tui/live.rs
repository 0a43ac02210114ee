//! The payout on the Live status pane: the call while it is out (attempt, elapsed, timeout
//! left), then every field of the answer, followed on the status endpoint until final.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::app::{App, Effect, Msg, Pane};
use super::keymap::{Cmd, Ctx};
use crate::api::LocalState;
use crate::api::wire::{ExecutionResponse, FieldError, secret_hint};
use crate::journal::{EventKind, ExecutionRow};
use crate::money::Amount;
use crate::payout::{ExecutionPlan, Outcome, Progress, Resolution};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The execute call is out.
    Sending,
    /// Nothing executed; sending again with the same reference at this time.
    RetryWait { at: DateTime<Utc>, reason: String },
    /// Esc pressed while sending; waiting for the task to record `unknown`.
    Stopping,
    /// Answered; the status endpoint is being followed.
    Following,
    /// The operator stopped waiting or following; the payout is not final.
    Stopped,
    /// Final, or the execution ended without a follow.
    Done,
    /// Refused before anything was sent (an unresolved payout, the history, …).
    NotSent(String),
}

/// The answer's fields, from the execute answer, a status answer or the journal row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pub payer_amount: Option<Amount>,
    pub payer_currency: Option<String>,
    pub payee_amount: Option<Amount>,
    pub payee_currency: Option<String>,
    pub rate: Option<rust_decimal::Decimal>,
    pub operation_type: Option<String>,
    pub provider_transaction_id: Option<String>,
    pub gateway_message: Option<String>,
    pub wallet_message: Option<String>,
    pub requires_action: Option<bool>,
}

/// An answer and a journal row carry these ten fields under the same names and types.
macro_rules! fields_of {
    ($r:expr) => {{
        let r = $r;
        Fields {
            payer_amount: r.payer_amount,
            payer_currency: r.payer_currency.clone(),
            payee_amount: r.payee_amount,
            payee_currency: r.payee_currency.clone(),
            rate: r.rate(),
            operation_type: r.operation_type.clone(),
            provider_transaction_id: r.provider_transaction_id.clone(),
            gateway_message: r.gateway_message.clone(),
            wallet_message: r.wallet_message.clone(),
            requires_action: r.requires_action,
        }
    }};
}

impl Fields {
    pub fn from_response(r: &ExecutionResponse) -> Fields {
        fields_of!(r)
    }

    pub fn from_row(r: &ExecutionRow) -> Fields {
        fields_of!(r)
    }
}

#[derive(Debug)]
pub struct Execution {
    pub reference: String,
    pub account: String,
    pub account_label: Option<String>,
    pub session_id: String,
    pub payee: String,
    pub amount: Option<String>,
    pub started: DateTime<Utc>,
    pub phase: Phase,
    pub attempt: u32,
    pub attempt_started: DateTime<Utc>,
    pub timeout: Duration,
    pub state: LocalState,
    pub status_word: Option<String>,
    pub fields: Option<Fields>,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub field_errors: Vec<FieldError>,
    /// The requires_action client secret: only in memory, shown masked unless revealed.
    pub secret: Option<SecretString>,
    pub secret_hint: Option<String>,
    pub revealed: bool,
    pub polls: u32,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_problem: Option<String>,
    pub did_not_land: bool,
}

impl Execution {
    pub fn new(
        plan: &ExecutionPlan,
        account_label: Option<String>,
        payee: String,
        amount: Option<String>,
        now: DateTime<Utc>,
        timeout: Duration,
    ) -> Execution {
        Execution {
            reference: plan.reference.to_string(),
            account: plan.account.clone(),
            account_label,
            session_id: plan.session_id.clone(),
            payee,
            amount,
            started: now,
            phase: Phase::Sending,
            attempt: 0,
            attempt_started: now,
            timeout,
            state: LocalState::Sending,
            status_word: None,
            fields: None,
            http_status: None,
            error: None,
            field_errors: Vec::new(),
            secret: None,
            secret_hint: None,
            revealed: false,
            polls: 0,
            last_poll: None,
            last_problem: None,
            did_not_land: false,
        }
    }

    /// The execute call is out (or about to be retried).
    pub fn sending(&self) -> bool {
        matches!(
            self.phase,
            Phase::Sending | Phase::RetryWait { .. } | Phase::Stopping
        )
    }

    pub fn animating(&self) -> bool {
        self.sending() || self.phase == Phase::Following
    }

    fn apply_outcome(&mut self, o: &Outcome) {
        self.state = o.state;
        self.http_status = o.http_status.or(self.http_status);
        self.error = o.error.clone();
        self.field_errors = o.field_errors.clone();
        self.did_not_land = o.did_not_land;
        if let Some(r) = &o.response {
            self.status_word = r.status.clone();
            self.fields = Some(Fields::from_response(r));
            if let Some(s) = &r.client_secret {
                self.secret_hint = r.client_secret_hint();
                self.secret = Some(s.clone());
            }
        }
        self.forget_secret_when_final();
    }

    /// Once final the client_secret has no use left: it leaves memory (the hint stays).
    fn forget_secret_when_final(&mut self) {
        if self.state.is_final() {
            self.secret = None;
            self.revealed = false;
        }
    }

    fn apply_row(&mut self, r: &ExecutionRow) {
        self.state = r.state;
        self.status_word = r.status.clone().or(self.status_word.take());
        self.fields = Some(Fields::from_row(r));
        self.http_status = r.http_status.or(self.http_status);
        self.attempt = self.attempt.max(r.attempts);
        if r.client_secret_hint.is_some() {
            self.secret_hint = r.client_secret_hint.clone();
        }
        // The journal row is the record: its error (or its lack of one) wins.
        self.error = r.error.clone();
        self.forget_secret_when_final();
    }
}

/// The hint of a secret as shown before reveal.
pub fn masked_secret(e: &Execution) -> String {
    let hint = e
        .secret
        .as_ref()
        .map(|s| secret_hint(secrecy::ExposeSecret::expose_secret(s)))
        .or_else(|| e.secret_hint.clone())
        .unwrap_or_default();
    format!("••••••••••••{}", hint.trim_start_matches('…'))
}

pub fn live_command(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let Some(e) = &mut app.live else {
        if matches!(cmd, Cmd::NewPayout) {
            return new_payout(app);
        }
        app.info("no payout yet: pick a payout account to start one");
        return Vec::new();
    };
    let reference = e.reference.clone();
    match cmd {
        Cmd::StopWaiting => match e.phase {
            Phase::Sending | Phase::RetryWait { .. } => {
                e.phase = Phase::Stopping;
                app.warn("stopping: the payout becomes `unknown` (never `failed`) until its status is known");
                vec![Effect::StopWaiting { reference }]
            }
            Phase::Following => {
                e.phase = Phase::Stopped;
                let st = e.state;
                let key = app.keymap.key_for(Ctx::Live, Cmd::CheckStatus);
                app.info(format!(
                    "stopped following; the payout stays {st}: {key} checks it again"
                ));
                vec![Effect::StopWaiting { reference }]
            }
            _ => Vec::new(),
        },
        Cmd::CheckStatus => {
            if e.state.is_final() && e.phase != Phase::Stopped {
                let st = e.state;
                app.info(format!("{reference} is final ({st})"));
                Vec::new()
            } else if matches!(
                e.phase,
                Phase::Sending | Phase::Stopping | Phase::NotSent(_)
            ) {
                app.info("no answer to check yet");
                Vec::new()
            } else {
                app.info(format!("asking the status of {reference}…"));
                vec![Effect::CheckStatus { reference }]
            }
        }
        Cmd::RevealSecret => {
            if e.secret.is_none() {
                app.info("there is no client_secret to reveal");
                return Vec::new();
            }
            e.revealed = !e.revealed;
            if e.revealed {
                vec![Effect::RecordEvent {
                    reference,
                    kind: EventKind::SecretRevealed,
                    detail: format!("client_secret revealed on screen by {}", app.env.operator),
                }]
            } else {
                Vec::new()
            }
        }
        Cmd::CopySecret => match &e.secret {
            None => {
                app.info("there is no client_secret to copy");
                Vec::new()
            }
            Some(s) => vec![
                Effect::Copy {
                    what: "client_secret",
                    text: s.clone(),
                },
                Effect::RecordEvent {
                    reference,
                    kind: EventKind::SecretCopied,
                    detail: format!("client_secret copied (OSC 52) by {}", app.env.operator),
                },
            ],
        },
        Cmd::SupportBundle => vec![Effect::SupportBundle { reference }],
        Cmd::NewPayout => new_payout(app),
        _ => Vec::new(),
    }
}

/// A new payout: new reference, code wiped, session cleared; the account list gets focus.
fn new_payout(app: &mut App) -> Vec<Effect> {
    if app.live.as_ref().is_some_and(Execution::sending) {
        app.warn("the payout is still being sent: wait for the answer, or Esc to stop waiting");
        return Vec::new();
    }
    let reference = app.uuids.fresh();
    app.passcode.reset(&app.env, reference);
    let currency = app.account.chosen.as_ref().and_then(|c| c.currency.clone());
    app.session.reset(currency.as_deref());
    app.account.chosen = None;
    app.account.filter.clear();
    app.account.filtering = false;
    app.account.manual = None;
    app.focus_pane(Pane::Account);
    app.info(format!("new payout: reference_id {reference}"));
    vec![Effect::LoadRecentAccounts]
}

/// The notice when the payout on the Live pane ends: its state, in words.
fn announce(app: &mut App) {
    let Some(e) = &app.live else { return };
    let short = super::panes::short(&e.reference);
    let text = match e.state {
        LocalState::Completed => format!("payout {short} to account {} completed", e.account),
        // The reason itself: on a small screen the Live pane may not reach its gateway line.
        LocalState::Failed => {
            let reason = e
                .fields
                .as_ref()
                .and_then(|f| f.gateway_message.as_deref().or(f.wallet_message.as_deref()))
                .or(e.error.as_deref())
                .unwrap_or("the API gives no reason");
            format!("payout {short} failed: {reason}")
        }
        LocalState::Rejected => format!("payout {short} rejected: nothing executed"),
        LocalState::ActionRequired => {
            format!("payout {short} needs card authentication (3-D Secure)")
        }
        st => format!("payout {short} is {st}: not final"),
    };
    match e.state {
        LocalState::Completed => app.info(text),
        LocalState::Failed | LocalState::Rejected => app.error(text),
        _ => app.warn(text),
    }
}

/// Reports about executions: update the Live pane when it is about its payout, and the
/// history in every case.
pub fn on_execution_msg(app: &mut App, msg: Msg) -> Vec<Effect> {
    let now = app.now;
    let mut fx = Vec::new();
    let reference = match &msg {
        Msg::Progress { reference, .. }
        | Msg::Executed { reference, .. }
        | Msg::Followed { reference, .. }
        | Msg::StatusChecked { reference, .. } => reference.clone(),
        Msg::Row(row) => row.reference_id.clone(),
        _ => return fx,
    };
    let mine = app.live.as_ref().is_some_and(|e| e.reference == reference);
    match msg {
        Msg::Row(row) => {
            if let Some(e) = app.live.as_mut().filter(|_| mine) {
                let before = e.state;
                e.apply_row(&row);
                if e.state.is_final() && matches!(e.phase, Phase::Following | Phase::Stopped) {
                    e.phase = Phase::Done;
                }
                if e.state != before {
                    announce(app);
                }
            }
            app.history.replace_row(row);
            return fx;
        }
        Msg::Progress { progress, .. } => {
            if let Some(e) = app.live.as_mut().filter(|_| mine) {
                on_progress(e, progress, now, &mut fx);
            }
        }
        Msg::Executed { result, .. } => {
            if let Some(e) = app.live.as_mut().filter(|_| mine) {
                match result {
                    Ok(o) => {
                        e.apply_outcome(&o);
                        if o.state == LocalState::Rejected {
                            // Nothing executed: the same session and reference may go again.
                            app.session.sent = false;
                        }
                        e.phase = if e.state.is_final() {
                            Phase::Done
                        } else if e.phase == Phase::Stopping || e.phase == Phase::Stopped {
                            Phase::Stopped
                        } else {
                            Phase::Following
                        };
                        if e.state.is_final()
                            || matches!(e.state, LocalState::ActionRequired | LocalState::Unknown)
                        {
                            announce(app);
                        }
                    }
                    Err(err) => {
                        e.phase = Phase::NotSent(err.clone());
                        app.session.sent = false;
                        app.error(err);
                        fx.push(Effect::LoadRow {
                            reference: reference.clone(),
                        });
                    }
                }
            }
        }
        Msg::Followed { result, .. } => {
            if let Some(e) = app.live.as_mut().filter(|_| mine) {
                match result {
                    Ok(o) => {
                        e.apply_outcome(&o);
                        e.phase = if e.state.is_final() {
                            Phase::Done
                        } else {
                            Phase::Stopped
                        };
                        announce(app);
                    }
                    Err(err) => {
                        e.phase = Phase::Stopped;
                        e.last_problem = Some(err.clone());
                        app.error(err);
                    }
                }
            }
        }
        Msg::StatusChecked { result, .. } => {
            match &result {
                Ok(Resolution::Known(st)) => app.info(format!("{reference}: {st}")),
                Ok(Resolution::NotFoundYet { polls }) => app.warn(format!(
                    "{reference}: the API does not know it yet ({polls} poll(s)); not final, check again later"
                )),
                Ok(Resolution::DidNotLand) => app.info(format!(
                    "{reference}: did not land (nothing executed); a new payout is safe"
                )),
                Ok(Resolution::Unreachable(e)) => app.error(format!("{reference}: status unknown: {e}")),
                Err(e) => app.error(format!("{reference}: {e}")),
            }
            fx.push(Effect::LoadRow {
                reference: reference.clone(),
            });
            if let Some(e) = app.live.as_mut().filter(|_| mine)
                && let Ok(Resolution::Known(st)) = result
                && !st.is_final()
                && e.phase == Phase::Stopped
            {
                e.phase = Phase::Following;
                fx.push(Effect::Follow {
                    reference: reference.clone(),
                    account: e.account.clone(),
                    session_id: e.session_id.clone(),
                    state: st,
                });
            }
            if super::history::detail_reference(app) == Some(reference.as_str()) {
                fx.push(Effect::LoadDetail { reference });
            }
        }
        _ => {}
    }
    fx.extend(app.history_refresh_first_page());
    fx
}

fn on_progress(e: &mut Execution, p: Progress, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    match p {
        Progress::SessionCreated { .. } | Progress::Journaled { .. } => {}
        Progress::Sending { attempt, timeout } => {
            if e.phase != Phase::Stopping {
                e.phase = Phase::Sending;
            }
            e.attempt = attempt;
            e.attempt_started = now;
            e.timeout = timeout;
        }
        Progress::RetryIn { after, reason } => {
            let at = now + chrono::Duration::from_std(after).unwrap_or_default();
            if e.phase != Phase::Stopping {
                e.phase = Phase::RetryWait { at, reason };
            }
        }
        Progress::Answered { state, http_status } => {
            e.state = state;
            e.http_status = Some(http_status);
        }
        Progress::ExecuteFailed { state, message } => {
            e.state = state;
            e.error = Some(message);
        }
        Progress::Polled { state, status } => {
            e.state = state;
            e.status_word = status.or(e.status_word.take());
            e.polls += 1;
            e.last_poll = Some(now);
            e.last_problem = None;
            fx.push(Effect::LoadRow {
                reference: e.reference.clone(),
            });
        }
        Progress::PollFailed { message } => {
            e.polls += 1;
            e.last_poll = Some(now);
            e.last_problem = Some(message);
        }
        Progress::StoppedWaiting => {
            e.phase = Phase::Stopped;
        }
    }
    e.forget_secret_when_final();
}
