//! Live status: the call while it is out, then every ExecutionResponse field, the state in
//! colour, and the requires_action panel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use secrecy::ExposeSecret;

use super::{block, clock, kv, secs, spinner};
use crate::api::LocalState;
use crate::money::Amount;
use crate::tui::app::App;
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::live::{Execution, Phase, masked_secret};
use crate::tui::theme::Theme;

fn money(a: Option<Amount>, c: &Option<String>) -> String {
    match a {
        Some(a) => format!("{a} {}", c.as_deref().unwrap_or(""))
            .trim_end()
            .to_string(),
        None => "—".into(),
    }
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "—".into())
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let t = &app.theme;
    let title = match &app.live {
        Some(e) => format!("Live status · {}", e.state),
        None => "Live status".into(),
    };
    let outer = block(title, focused, t);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let Some(e) = &app.live else {
        let p = Paragraph::new(vec![
            Line::styled(" no payout yet", t.muted()),
            Line::styled(
                " pick a payout account, fill the session and the passcode, review, confirm",
                t.muted(),
            ),
        ])
        .wrap(Wrap { trim: false });
        frame.render_widget(p, inner);
        return;
    };
    let lines = lines(app, e, t);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn key(app: &App, cmd: Cmd) -> String {
    app.keymap.key_for(Ctx::Live, cmd)
}

fn phase_line(app: &App, e: &Execution, t: &Theme) -> Line<'static> {
    let spin = spinner(app.now);
    match &e.phase {
        Phase::Sending => {
            let timeout = chrono::Duration::from_std(e.timeout).unwrap_or_default();
            let left = timeout - (app.now - e.attempt_started);
            Line::styled(
                format!(
                    " {spin} sending, attempt {} · {} · times out in {}",
                    e.attempt.max(1),
                    secs(app.now - e.started),
                    secs(left),
                ),
                t.warn(),
            )
        }
        Phase::RetryWait { at, reason } => Line::styled(
            format!(
                " {spin} nothing executed ({reason}); sending again in {} with the same reference",
                secs(*at - app.now)
            ),
            t.warn(),
        ),
        Phase::Stopping => Line::styled(format!(" {spin} stopping…"), t.warn()),
        Phase::Following => {
            let last = e
                .last_poll
                .map(|p| format!(", last {}", p.format("%H:%M:%S")))
                .unwrap_or_default();
            Line::styled(
                format!(
                    " {spin} following the status · {} poll(s){last} · {}",
                    e.polls,
                    clock((app.now - e.started).num_seconds()),
                ),
                t.label(),
            )
        }
        Phase::Stopped => Line::styled(
            format!(
                " stopped watching: {} is not final · {} checks the status",
                e.state,
                key(app, Cmd::CheckStatus)
            ),
            t.warn(),
        ),
        Phase::Done => Line::styled(
            format!(" final · {} starts a new payout", key(app, Cmd::NewPayout)),
            t.muted(),
        ),
        Phase::NotSent(why) => Line::styled(format!(" ✗ not sent: {why}"), t.error()),
    }
}

fn lines(app: &App, e: &Execution, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![phase_line(app, e, t)];
    let word = e
        .status_word
        .clone()
        .map(|w| w.to_uppercase())
        .unwrap_or_else(|| "—".into());
    let mut status = kv("status", Span::styled(word, t.state(e.state)), t);
    status.spans.push(Span::raw("  "));
    status
        .spans
        .push(Span::styled(e.state.as_str().to_string(), t.state(e.state)));
    if let Some(code) = e.http_status {
        status
            .spans
            .push(Span::styled(format!("  http {code}"), t.muted()));
    }
    out.push(status);
    if e.state == LocalState::ActionRequired {
        out.push(Line::styled(
            " ACTION REQUIRED: complete the card authentication (3-D Secure) with the client_secret; the status is followed until final",
            t.state(LocalState::ActionRequired),
        ));
    }
    if e.secret.is_some() || e.secret_hint.is_some() {
        let shown = match (&e.secret, e.revealed) {
            (Some(s), true) => Span::styled(s.expose_secret().to_string(), t.secret()),
            _ => Span::styled(masked_secret(e), t.secret()),
        };
        let mut line = kv("secret", shown, t);
        if e.secret.is_some() {
            line.spans.push(Span::styled(
                format!(
                    "  {} {} · {} copy",
                    key(app, Cmd::RevealSecret),
                    if e.revealed { "hide" } else { "reveal" },
                    key(app, Cmd::CopySecret)
                ),
                t.muted(),
            ));
        }
        out.push(line);
    }
    if let Some(err) = &e.error {
        out.push(kv("error", Span::styled(err.clone(), t.error()), t));
    }
    for fe in &e.field_errors {
        let field = if fe.field.is_empty() {
            "body"
        } else {
            fe.field.as_str()
        };
        out.push(kv(
            "",
            Span::styled(format!("✗ {field}: {}", fe.msg), t.error()),
            t,
        ));
    }
    if let Some(p) = &e.last_problem {
        out.push(kv("last poll", Span::styled(p.clone(), t.warn()), t));
    }
    out.push(kv("reference", Span::raw(e.reference.clone()), t));
    out.push(kv(
        "payout",
        Span::raw(format!(
            "account {} · session {} · payee {}",
            e.account, e.session_id, e.payee
        )),
        t,
    ));
    let Some(f) = &e.fields else {
        if let Some(a) = &e.amount {
            out.push(kv("amount", Span::raw(format!("{a} (the session's)")), t));
        }
        return out;
    };
    let payer = money(f.payer_amount, &f.payer_currency);
    let payee = money(f.payee_amount, &f.payee_currency);
    let amounts = match (f.rate, &f.payer_currency, &f.payee_currency) {
        (Some(r), Some(a), Some(b)) => format!("{payer} → {payee} · rate {r} {b}/{a}"),
        _ if payer == payee => payer,
        _ => format!("{payer} → {payee}"),
    };
    out.push(kv("amounts", Span::raw(amounts), t));
    let ra = match f.requires_action {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    };
    out.push(kv(
        "provider",
        Span::raw(format!(
            "{} · operation {} · requires_action {ra}",
            opt(&f.provider_transaction_id),
            opt(&f.operation_type)
        )),
        t,
    ));
    out.push(kv("gateway", Span::raw(opt(&f.gateway_message)), t));
    out.push(kv("wallet", Span::raw(opt(&f.wallet_message)), t));
    out
}
