//! Fixtures for the TUI's tests and benchmark: a fixed clock, fixed references, sample rows and
//! answers, and helpers that drive `update` with keys. Nothing here touches a terminal.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Action, App, Effect, Env, Msg, UuidSource, update};
use super::keymap::Keymap;
use super::theme::Theme;
use crate::api::LocalState;
use crate::api::wire::{Device, ExecutionResponse, PayoutSession};
use crate::config::AccountEntry;
use crate::journal::{EventKind, EventRow, ExecutionRow};
use crate::money::Amount;
use crate::payout::Outcome;

/// The fixed "now" of every fixture.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap_or_default()
}

fn account(id: &str, label: &str, currency: &str) -> AccountEntry {
    AccountEntry {
        id: id.into(),
        label: label.into(),
        provider: Some("sandbox".into()),
        currency: Some(currency.into()),
    }
}

/// The sandbox profile's environment, on a fixed host.
pub fn env(live: bool) -> Env {
    Env {
        profile: if live {
            "prod".into()
        } else {
            "sandbox".into()
        },
        base_url: "http://127.0.0.1:8080/".into(),
        api_version: "v1".into(),
        operator: "alice".into(),
        live,
        sandbox: !live,
        device: Device {
            name: "ops-laptop".into(),
            kind: "SERVER".into(),
            platform: "LINUX".into(),
            user_agent: "payout-console/0.1.0".into(),
            client_ip: "10.0.0.5".into(),
        },
        timeout: Duration::from_secs(30),
        phone: Some("231771234567".into()),
        user_id: None,
        accounts: vec![
            account("18", "Sandbox USD mobile money", "USD"),
            account("19", "declines", "LRD"),
            account("20", "card, 3-D Secure", "LRD"),
            account("21", "slow processing", "LRD"),
        ],
        data_dir: PathBuf::from("/tmp/payout-console-test"),
    }
}

/// A console at [`t0`] with default keys, colours and a deterministic reference sequence.
pub fn app_with(env: Env) -> App {
    App::new(
        env,
        Keymap::default(),
        Theme::default(),
        t0(),
        UuidSource::Sequence(0),
    )
}

pub fn app() -> App {
    app_with(env(false))
}

pub fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

/// Types `text` one key at a time.
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}

pub fn msg(app: &mut App, m: Msg) -> Vec<Effect> {
    update(app, Action::msg(m))
}

/// The session the fixture API creates: id 42, 15 minutes left.
pub fn session(amount_text: &str, currency: &str) -> PayoutSession {
    PayoutSession {
        id: Some("42".into()),
        expires_at: Some((t0() + chrono::Duration::minutes(15)).to_rfc3339()),
        wallet_id: Some("7".into()),
        payout_account_id: Some("18".into()),
        amount: Some(amount(amount_text)),
        currency: Some(currency.into()),
    }
}

/// The id of the first `CreateSession` in `fx`.
pub fn session_request(fx: &[Effect]) -> Option<u64> {
    fx.iter().find_map(|e| match e {
        Effect::CreateSession { id, .. } => Some(*id),
        _ => None,
    })
}

/// Account 18, amount 250, session created, code typed, Enter: the review is open.
pub fn to_review(app: &mut App) -> Vec<Effect> {
    let mut fx = press(app, KeyCode::Enter);
    fx.extend(type_text(app, "250"));
    fx.extend(press(app, KeyCode::Enter));
    fx.extend(press(app, KeyCode::Enter));
    if let Some(id) = session_request(&fx) {
        fx.extend(msg(
            app,
            Msg::SessionCreated {
                id,
                result: Ok(session("250", "USD")),
            },
        ));
    }
    fx.extend(type_text(app, "000000"));
    fx.extend(press(app, KeyCode::Enter));
    fx
}

/// An answer as the sandbox gives it for account 18 or 20.
pub fn response(status: &str, card: bool) -> ExecutionResponse {
    ExecutionResponse {
        reference_id: None,
        status: Some(status.into()),
        payer_amount: Some(amount("250")),
        payer_currency: Some("USD".into()),
        payee_amount: Some(if card { amount("46625") } else { amount("250") }),
        payee_currency: Some(if card { "LRD" } else { "USD" }.into()),
        operation_type: Some("PAYOUT".into()),
        provider_transaction_id: Some("ptx-000123".into()),
        gateway_message: Some(match status {
            "FAILED" => "declined by the operator".into(),
            _ => "accepted".into(),
        }),
        wallet_message: Some("debited".into()),
        client_secret: card.then(|| "pi_3Ox_secret_sandboxAbCd".into()),
        requires_action: Some(card && status == "PROCESSING"),
    }
}

/// An execution outcome in `state`, with `resp` as the answer.
pub fn outcome(reference: &str, state: LocalState, resp: Option<ExecutionResponse>) -> Outcome {
    let mut o = Outcome::resume(reference, "18", "42", state);
    o.http_status = resp.as_ref().map(|_| 200);
    o.response = resp;
    o
}

const STATES: [LocalState; 8] = [
    LocalState::Completed,
    LocalState::Processing,
    LocalState::Failed,
    LocalState::ActionRequired,
    LocalState::Pending,
    LocalState::Rejected,
    LocalState::Unknown,
    LocalState::Completed,
];

/// History row number `i` (newest has the highest `seq`).
pub fn row(i: i64) -> ExecutionRow {
    let state = STATES[(i as usize) % STATES.len()];
    let at = t0() - chrono::Duration::minutes(i * 7);
    let card = i % 4 == 3;
    let answered = !matches!(state, LocalState::Rejected | LocalState::Unknown);
    ExecutionRow {
        seq: 10_000 - i,
        reference_id: format!("{:08x}-7c1e-4a5b-9d2f-{:012x}", 0x3a00_0000 + i, i),
        created_at: at,
        updated_at: at,
        state,
        status: answered.then(|| match state {
            LocalState::ActionRequired => "PROCESSING".into(),
            s => s.as_str().to_uppercase(),
        }),
        payer_amount: answered.then(|| amount(&format!("{}.50", 100 + i))),
        payer_currency: answered.then(|| "USD".into()),
        payee_amount: answered.then(|| {
            if card {
                amount(&format!("{}", (100 + i) * 186))
            } else {
                amount(&format!("{}.50", 100 + i))
            }
        }),
        payee_currency: answered.then(|| if card { "LRD" } else { "USD" }.into()),
        operation_type: answered.then(|| "PAYOUT".into()),
        provider_transaction_id: answered.then(|| format!("ptx-{:06}", 500 + i)),
        gateway_message: None,
        wallet_message: None,
        client_secret_hint: None,
        requires_action: Some(state == LocalState::ActionRequired),
        session_id: format!("{}", 40 + i),
        session_amount: Some(amount(&format!("{}.50", 100 + i))),
        session_currency: Some("USD".into()),
        session_expires_at: None,
        payout_account_id: format!("{}", 18 + (i % 4)),
        profile: "sandbox".into(),
        base_url: "http://127.0.0.1:8080".into(),
        sandbox: true,
        os_user: "alice".into(),
        payee: "2317•••4567".into(),
        attempts: 1,
        http_status: Some(if state == LocalState::Rejected {
            422
        } else {
            200
        }),
        error: (state == LocalState::Rejected)
            .then(|| "422: reference_id: reference already used".into()),
        writer_pid: 1,
        writer_host: "ops-laptop".into(),
        writer_start: None,
    }
}

/// The event trail of a completed execution.
pub fn events(reference: &str) -> Vec<EventRow> {
    let ev = |s: i64, kind: EventKind, detail: &str| EventRow {
        at: t0() + chrono::Duration::seconds(s),
        kind,
        detail: detail.replace("REF", reference),
    };
    vec![
        ev(
            0,
            EventKind::Journaled,
            "journaled REF for account 18, session 42",
        ),
        ev(0, EventKind::Sent, "attempt 1"),
        ev(1, EventKind::Answered, "http 200: PENDING"),
        ev(2, EventKind::Polled, "http 200: PROCESSING"),
        ev(5, EventKind::Polled, "http 200: COMPLETED"),
    ]
}
