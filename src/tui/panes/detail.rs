//! History detail: one execution's every field and its event trail.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::block;
use super::history::amounts;
use crate::tui::app::App;
use crate::tui::history::Detail;
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::layout::centered;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, d: &Detail) {
    let t = &app.theme;
    let rect = centered(area, area.width.saturating_sub(4), area.height);
    frame.render_widget(Clear, rect);
    let outer = block(format!("Execution {}", d.reference), true, t);
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!(" {k:<19}"), t.label()),
            Span::raw(v),
        ])
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let mut lines = Vec::new();
    if let Some(r) = &d.row {
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<19}", "state"), t.label()),
            Span::styled(r.state.as_str().to_string(), t.state(r.state)),
            Span::raw(format!("  (API status {})", opt(&r.status))),
            Span::styled(if r.sandbox { "  [sandbox]" } else { "" }, t.warn()),
        ]));
        lines.push(kv(
            "created / updated",
            format!(
                "{} / {} UTC",
                r.created_at.format("%Y-%m-%d %H:%M:%S"),
                r.updated_at.format("%Y-%m-%d %H:%M:%S")
            ),
        ));
        lines.push(kv(
            "account · session",
            format!("{} · {}", r.payout_account_id, r.session_id),
        ));
        lines.push(kv("amounts", amounts(r)));
        lines.push(kv("operation", opt(&r.operation_type)));
        lines.push(kv("provider tx", opt(&r.provider_transaction_id)));
        lines.push(kv("gateway message", opt(&r.gateway_message)));
        lines.push(kv("wallet message", opt(&r.wallet_message)));
        lines.push(kv(
            "requires_action",
            r.requires_action.map_or("—".into(), |b| b.to_string()),
        ));
        lines.push(kv("client_secret", opt(&r.client_secret_hint)));
        lines.push(kv("payee", r.payee.clone()));
        lines.push(kv(
            "profile · operator",
            format!("{} ({}) · {}", r.profile, r.base_url, r.os_user),
        ));
        lines.push(kv(
            "attempts · http",
            format!(
                "{} · {}",
                r.attempts,
                r.http_status.map_or("—".into(), |c| c.to_string())
            ),
        ));
        if let Some(e) = &r.error {
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<19}", "error"), t.label()),
                Span::styled(e.clone(), t.error()),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Event trail (UTC)", t.title(false)));
    if d.loading {
        lines.push(Line::styled(" loading…", t.muted()));
    }
    if let Some(e) = &d.error {
        lines.push(Line::styled(format!(" ✗ {e}"), t.error()));
    }
    for ev in &d.events {
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", ev.at.format("%H:%M:%S%.3f")), t.muted()),
            Span::styled(format!("{:<16}", ev.kind.as_str()), t.key()),
            Span::raw(ev.detail.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            " {} check status · {} copy support bundle · {} close",
            app.keymap.key_for(Ctx::Detail, Cmd::CheckStatus),
            app.keymap.key_for(Ctx::Detail, Cmd::SupportBundle),
            app.keymap.key_for(Ctx::Detail, Cmd::Back)
        ),
        t.key(),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((d.scroll, 0)),
        inner,
    );
}
