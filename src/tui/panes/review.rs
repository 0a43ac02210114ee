//! The review overlay: exactly what will be sent, code masked, and how to confirm.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{LABEL_W, block, clock, cursor_at, spinner};
use crate::tui::app::App;
use crate::tui::flow::{PayeeKind, SessionState};
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::layout::centered;
use crate::tui::review::{Review, last4};

const W: usize = 19;

fn row(label: &str, value: impl Into<Span<'static>>, app: &App) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {label:<W$}"), app.theme.label()),
        value.into(),
    ])
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, r: &Review) {
    let t = &app.theme;
    let p = &app.passcode;
    let account = app.account.chosen.as_ref();
    let d = &app.env.device;
    let base = app.env.base_url.trim_end_matches('/');
    let mut lines = vec![Line::styled(
        format!(" POST {base}/{}/executions/payout", app.env.api_version),
        t.muted(),
    )];
    let session = match &app.session.state {
        SessionState::Ready(s) => {
            let exp = match s.expires_at {
                Some(at) if at <= app.now => " (EXPIRED)".to_string(),
                Some(at) => format!(" (expires in {})", clock((at - app.now).num_seconds())),
                None => String::new(),
            };
            Span::raw(format!("{}{exp}", s.id))
        }
        SessionState::Creating { .. } => {
            Span::styled(format!("{} creating…", spinner(app.now)), t.warn())
        }
        SessionState::Failed(e) => Span::styled(format!("✗ {e}"), t.error()),
        SessionState::None => Span::styled("—", t.error()),
    };
    lines.push(row("session_id", session, app));
    let acct = account
        .map(|c| match &c.label {
            Some(l) => format!("{} ({l})", c.id),
            None => c.id.clone(),
        })
        .unwrap_or_default();
    lines.push(row("payout_account_id", Span::raw(acct), app));
    lines.push(row("reference_id", Span::raw(p.reference.to_string()), app));
    let amount = match (&app.session.state, app.session.ready()) {
        (_, Some(s)) if s.amount.is_some() => format!(
            "{} {} (the session's)",
            s.amount.map(|a| a.to_string()).unwrap_or_default(),
            s.currency.clone().unwrap_or_default()
        ),
        (
            SessionState::Creating {
                amount, currency, ..
            },
            _,
        ) => format!("{amount} {currency} (the session's)"),
        _ => "as set on the session".into(),
    };
    lines.push(row("amount", Span::raw(amount), app));
    let payee = match p.kind {
        PayeeKind::Phone => format!("phone {}", p.payee.trimmed()),
        PayeeKind::UserId => format!("user_id {}", p.payee.trimmed()),
    };
    lines.push(row(
        "passcode.token",
        Span::raw(format!("code {} · {payee}", p.code.masked())),
        app,
    ));
    lines.push(row(
        "passcode.device",
        Span::raw(format!(
            "name {} · type {} · platform {}",
            d.name, d.kind, d.platform
        )),
        app,
    ));
    lines.push(row(
        "",
        Span::raw(format!(
            "user_agent {} · client_ip {}",
            d.user_agent, d.client_ip
        )),
        app,
    ));
    lines.push(Line::raw(""));
    match &r.unresolved {
        None => lines.push(Line::styled(
            " checking the history for unresolved payouts to this account…",
            t.muted(),
        )),
        Some(Err(e)) => lines.push(Line::styled(
            format!(" could not check the history: {e}"),
            t.warn(),
        )),
        Some(Ok(list)) if list.is_empty() => {}
        Some(Ok(list)) => {
            let refs = list
                .iter()
                .take(3)
                .map(|(r, s)| format!("{r} {s}"))
                .collect::<Vec<_>>()
                .join(", ");
            let style = if r.allow_unresolved {
                t.warn()
            } else {
                t.error()
            };
            lines.push(Line::styled(
                format!(" ⚠ unresolved payout(s) to this account: {refs}"),
                style,
            ));
        }
    }
    let mut typed_row = None;
    if r.live {
        let target = account.map(|c| last4(&c.id)).unwrap_or_default();
        let label = format!("LIVE: type {target} or the amount to confirm");
        lines.push(Line::styled(format!(" {label}"), t.error()));
        lines.push(Line::from(vec![
            Span::styled(format!("▸{:<w$}", "confirm", w = LABEL_W - 1), t.label()),
            Span::styled(format!("{} ", r.typed.value()), t.active_field()),
        ]));
        typed_row = Some(lines.len() as u16 - 1);
    }
    if let Some(m) = &r.message {
        lines.push(Line::styled(format!(" {m}"), t.warn()));
    }
    let keys = format!(
        " {} = send · {} = back, nothing sent{}",
        app.keymap.key_for(Ctx::Review, Cmd::Confirm),
        app.keymap.key_for(Ctx::Review, Cmd::Back),
        if r.blocking_unresolved().is_some() {
            format!(
                " · {} = send anyway",
                app.keymap.key_for(Ctx::Review, Cmd::Override)
            )
        } else {
            String::new()
        }
    );
    let (bottom, style) = match &app.session.state {
        SessionState::Ready(_) => (keys, t.key()),
        SessionState::Failed(_) | SessionState::None => (
            " no session: nothing can be sent · Esc, then fix the session".to_string(),
            t.error(),
        ),
        SessionState::Creating { .. } => (" waiting for the session…".to_string(), t.key()),
    };
    lines.push(Line::styled(bottom, style));

    // As tall as what it shows (long lines may wrap once at narrow widths).
    let rect = centered(area, 90, lines.len() as u16 + 4);
    frame.render_widget(Clear, rect);
    let title = if app.env.live {
        "Review LIVE payout: nothing is sent until you confirm"
    } else {
        "Review payout: nothing is sent until you confirm"
    };
    let outer = block(title.into(), true, t);
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    if let Some(row) = typed_row {
        cursor_at(frame, inner, row, LABEL_W + r.typed.cursor());
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
