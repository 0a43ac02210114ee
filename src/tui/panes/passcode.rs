//! Passcode: the payee (phone or user_id) and the merchant code (masked), this execution's
//! reference_id, and the device block that is sent (read-only).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{LABEL_W, block, cursor_at, field_lines, kv};
use crate::tui::app::{App, Pane};
use crate::tui::flow::PassField;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let t = &app.theme;
    let p = &app.passcode;
    let outer = block("Passcode".into(), focused, t);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let d = &app.env.device;
    let mut lines = Vec::new();
    if app.live.is_some() && app.focus != Pane::Passcode {
        // Folded while a payout is on the Live pane: what matters at a glance.
        lines.push(kv("reference", Span::raw(p.reference.to_string()), t));
        lines.push(kv(
            p.payee_name(),
            Span::raw(format!("{}   code {}", p.payee.value(), p.code.masked())),
            t,
        ));
        lines.push(kv(
            "device",
            Span::styled(
                format!("{} · {} · {} · {}", d.name, d.kind, d.platform, d.client_ip),
                t.muted(),
            ),
            t,
        ));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let active = |f: PassField| focused && p.field == Some(f);
    if active(PassField::Payee) {
        cursor_at(frame, inner, 0, LABEL_W + p.payee.cursor());
    }
    lines.extend(field_lines(
        p.payee_name(),
        p.payee.value().to_string(),
        active(PassField::Payee),
        p.problems.get(p.payee_name()).map(String::as_str),
        inner.width,
        t,
    ));
    if active(PassField::Code) {
        cursor_at(frame, inner, lines.len() as u16, LABEL_W + p.code.len());
    }
    lines.extend(field_lines(
        "code",
        p.code.masked(),
        active(PassField::Code),
        p.problems.get("code").map(String::as_str),
        inner.width,
        t,
    ));
    lines.push(kv("reference", Span::raw(p.reference.to_string()), t));
    if let Some(pr) = p.problems.get("reference") {
        lines.push(Line::styled(format!(" ✗ {pr}"), t.error()));
    }
    lines.push(kv(
        "device",
        Span::styled(
            format!(
                "name {} · type {} · platform {}",
                d.name, d.kind, d.platform
            ),
            t.muted(),
        ),
        t,
    ));
    lines.push(Line::styled(
        format!(" user_agent {} · client_ip {}", d.user_agent, d.client_ip),
        t.muted(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
