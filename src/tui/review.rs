//! The review step (gitui's ConfirmAction): what will be sent, exactly, with the code masked;
//! Enter sends, once. On a live profile the operator first types the payout account's last 4
//! characters or the amount.

use super::app::{App, Effect, Overlay, Pane};
use super::field::Field;
use super::flow::{
    PassField, PayeeKind, SessionMode, SessionState, ensure_session, focus_first_problem,
};
use super::keymap::{Cmd, Ctx};
use super::live::Execution;
use crate::api::LocalState;
use crate::money::Amount;
use crate::payout::ExecutionPlan;
use crate::payout::validate::{Payee, check_phone, check_reference};

#[derive(Debug)]
pub struct Review {
    /// The typed confirmation on a live profile.
    pub typed: Field,
    pub live: bool,
    pub message: Option<String>,
    /// The id of the unresolved-payouts check; its answer is matched against it.
    pub check_id: u64,
    /// Unresolved executions to the same account (`None` while the history is asked).
    pub unresolved: Option<Result<Vec<(String, LocalState)>, String>>,
    pub allow_unresolved: bool,
}

impl Review {
    pub fn needs_typed_confirmation(&self) -> bool {
        self.live
    }

    pub fn blocking_unresolved(&self) -> Option<&[(String, LocalState)]> {
        match &self.unresolved {
            Some(Ok(list)) if !list.is_empty() && !self.allow_unresolved => Some(list),
            _ => None,
        }
    }
}

/// The last 4 characters of an account ID: the live confirmation.
pub fn last4(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// "N problem(s): the first one, in full" on the notice line (the fields show them clipped).
pub fn problems_notice(app: &mut App) {
    let mut all: Vec<(&str, String)> = Vec::new();
    if let Some(p) = &app.account.problem {
        all.push(("account", p.clone()));
    }
    let s = &app.session;
    for f in s.fields() {
        if let Some(p) = s.problems.get(f.name()) {
            all.push((f.name(), p.clone()));
        }
    }
    if let Some(p) = s.problems.get("session") {
        all.push(("session", p.clone()));
    }
    for name in ["phone", "user_id", "code", "reference"] {
        if let Some(p) = app.passcode.problems.get(name) {
            all.push((name, p.clone()));
        }
    }
    if let Some((field, first)) = all.first() {
        let text = format!("{} problem(s), nothing sent · {field}: {first}", all.len());
        app.error(text);
    }
}

/// Validates the whole form; on success opens the review (creating the session when needed),
/// otherwise marks every problem beside its field and focuses the first.
pub fn open_review(app: &mut App) -> Vec<Effect> {
    let mut fx = Vec::new();
    app.passcode.problems.clear();
    let account_ok = app.account.chosen.is_some();
    if !account_ok {
        app.account.problem = Some("pick a payout account first".into());
    }
    let session_ok = account_ok && ensure_session(app, &mut fx);
    if session_ok && app.session.expired(app.now) {
        let at = app
            .session
            .ready()
            .and_then(|s| s.expires_at)
            .map(|t| t.format("%H:%M:%S UTC").to_string())
            .unwrap_or_default();
        app.session.problems.insert(
            "session",
            format!("expired at {at}: Enter on the amount creates a new session"),
        );
        app.session.state = SessionState::None;
    }
    if let SessionState::Failed(e) = &app.session.state {
        let e = e.clone();
        app.session.problems.insert("session", e);
        app.session.state = SessionState::None;
    }
    let p = &mut app.passcode;
    let payee = p.payee.trimmed().to_string();
    match p.kind {
        PayeeKind::Phone => {
            if let Some(pr) = check_phone(&payee) {
                p.problems.insert("phone", pr.message);
            }
        }
        PayeeKind::UserId => {
            if payee.is_empty() {
                p.problems.insert(
                    "user_id",
                    format!(
                        "enter the payee's user_id ({} switches to a phone)",
                        app.keymap.key_for(Ctx::Passcode, Cmd::TogglePayee)
                    ),
                );
            }
        }
    }
    if p.code.is_empty() {
        p.problems
            .insert("code", "enter the merchant passcode".into());
    }
    if let Err(pr) = check_reference(&p.reference.to_string()) {
        p.problems.insert("reference", pr.message);
    }
    let reference = p.reference.to_string();
    if let Some(live) = &app.live
        && live.reference == reference
        && !matches!(live.state, LocalState::Rejected | LocalState::Unknown)
    {
        app.passcode.problems.insert(
            "reference",
            format!(
                "already used by the payout in Live status ({}): {} for a new reference",
                live.state,
                app.keymap.key_for(Ctx::Passcode, Cmd::NewReference)
            ),
        );
    }
    let session_problems = !app.session.problems.is_empty();
    let passcode_problems = !app.passcode.problems.is_empty();
    if !account_ok || session_problems || passcode_problems {
        problems_notice(app);
        if !account_ok {
            app.focus_pane(Pane::Account);
        } else if session_problems {
            app.focus = Pane::Session;
            focus_first_problem(app);
        } else {
            app.focus = Pane::Passcode;
            let p = &mut app.passcode;
            p.field = Some(
                if p.problems.contains_key("code") && !p.problems.contains_key(p.payee_name()) {
                    PassField::Code
                } else {
                    PassField::Payee
                },
            );
        }
        return fx;
    }
    let check_id = app.next_id();
    let account = app
        .account
        .chosen
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_default();
    fx.push(Effect::CheckUnresolved {
        id: check_id,
        account,
        reference,
    });
    app.overlay = Some(Overlay::Review(Review {
        typed: Field::default(),
        live: app.env.live,
        message: None,
        check_id,
        unresolved: None,
        allow_unresolved: false,
    }));
    app.notice = None;
    fx
}

pub fn review_command(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let Some(Overlay::Review(r)) = &mut app.overlay else {
        return Vec::new();
    };
    match cmd {
        Cmd::Back => {
            app.overlay = None;
            app.info("not sent: back to the form");
            Vec::new()
        }
        Cmd::Override => {
            r.allow_unresolved = true;
            r.message = Some("override on: Enter sends despite the unresolved payout(s)".into());
            Vec::new()
        }
        Cmd::Confirm => confirm(app),
        _ => Vec::new(),
    }
}

/// Why Enter cannot send yet, if it cannot.
fn refusal(app: &App, r: &Review) -> Option<String> {
    let s = &app.session;
    let info = match &s.state {
        SessionState::Ready(info) => info,
        SessionState::Creating { .. } => {
            return Some("waiting for the session to be created…".into());
        }
        SessionState::Failed(e) => {
            return Some(format!("no session: {e}; Esc and fix the session"));
        }
        SessionState::None => return Some("no session yet: Esc and finish the session".into()),
    };
    if s.expired(app.now) {
        return Some(
            "the session has expired: nothing sent; Esc, then create a new session".into(),
        );
    }
    let account = app
        .account
        .chosen
        .as_ref()
        .map(|c| c.id.as_str())
        .unwrap_or("");
    if r.live {
        let typed = r.typed.trimmed();
        let amount = info.amount.or_else(|| Amount::parse(s.amount.value()).ok());
        let amount_ok = amount.is_some_and(|a| Amount::parse(typed).is_ok_and(|t| t == a));
        if typed.is_empty() {
            return Some(format!(
                "LIVE: first type the account's last 4 characters ({}) or the amount",
                last4(account)
            ));
        }
        if typed != last4(account) && !amount_ok {
            return Some(format!(
                "`{typed}` is neither the account's last 4 characters ({}) nor the amount: nothing sent",
                last4(account)
            ));
        }
    }
    if let Some(list) = r.blocking_unresolved() {
        let refs = list
            .iter()
            .take(2)
            .map(|(reference, st)| format!("{} {st}", super::panes::short(reference)))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(format!(
            "account {account} has an unresolved payout ({refs}): check it first, or {} to send anyway",
            app.keymap.key_for(Ctx::Review, Cmd::Override)
        ));
    }
    None
}

fn confirm(app: &mut App) -> Vec<Effect> {
    let Some(Overlay::Review(r)) = &app.overlay else {
        return Vec::new();
    };
    if let Some(why) = refusal(app, r) {
        if let Some(Overlay::Review(r)) = &mut app.overlay {
            r.message = Some(why);
        }
        return Vec::new();
    }
    let allow_unresolved = r.allow_unresolved;
    let Some(session) = app.session.ready().cloned() else {
        return Vec::new();
    };
    let Some(chosen) = app.account.chosen.clone() else {
        return Vec::new();
    };
    let p = &mut app.passcode;
    let payee_text = p.payee.trimmed().to_string();
    let payee = match p.kind {
        PayeeKind::Phone => Payee::Phone(payee_text),
        PayeeKind::UserId => Payee::UserId(payee_text),
    };
    let (session_amount, session_currency) = match app.session.mode {
        SessionMode::New => (session.amount, session.currency.clone()),
        SessionMode::Existing => (None, None),
    };
    let plan = ExecutionPlan {
        reference: p.reference,
        account: chosen.id.clone(),
        session_id: session.id.clone(),
        session_amount,
        session_currency: session_currency.clone(),
        session_expires_at: session.expires_text.clone(),
        payee: payee.clone(),
        // The field is wiped here; the plan's copy is wiped when the plan is dropped.
        code: p.code.take(),
        allow_unresolved,
    };
    p.field = None;
    app.overlay = None;
    app.session.sent = true;
    app.live = Some(Execution::new(
        &plan,
        chosen.label.clone(),
        payee.masked(),
        session_amount.map(|a| format!("{a} {}", session_currency.unwrap_or_default())),
        app.now,
        app.env.timeout,
    ));
    app.focus = Pane::Live;
    app.info(format!(
        "sending {} to account {}…",
        plan.reference, plan.account
    ));
    vec![Effect::Execute { plan }]
}
