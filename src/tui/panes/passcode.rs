//! Passcode: the payee (phone or user_id) and the merchant code (masked), this execution's
//! reference_id, and the device block that is sent (read-only).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::{LABEL_W, block, cursor_at, field_line, kv};
use crate::tui::app::{App, Pane};
use crate::tui::flow::PassField;
use crate::tui::keymap::{Cmd, Ctx};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let t = &app.theme;
    let p = &app.passcode;
    let outer = block("Passcode".into(), focused, t);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let d = &app.env.device;
    let compact = app.live.is_some() && app.focus != Pane::Passcode;
    let payee_problem = p.problems.get(p.payee_name()).map(String::as_str);
    let code_problem = p.problems.get("code").map(String::as_str);
    let mut lines = Vec::new();
    if compact {
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
    lines.push(field_line(
        p.payee_name(),
        p.payee.value().to_string(),
        active(PassField::Payee),
        payee_problem,
        t,
    ));
    if active(PassField::Code) {
        cursor_at(frame, inner, 1, LABEL_W + p.code.len());
    }
    lines.push(field_line(
        "code",
        p.code.masked(),
        active(PassField::Code),
        code_problem,
        t,
    ));
    let new_ref = app.keymap.key_for(Ctx::Passcode, Cmd::NewReference);
    let mut reference = kv("reference", Span::raw(p.reference.to_string()), t);
    reference.spans.push(match p.problems.get("reference") {
        Some(pr) => Span::styled(format!("  ✗ {pr}"), t.error()),
        None => Span::styled(format!("  ({new_ref}: new)"), t.muted()),
    });
    lines.push(reference);
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
    lines.push(kv(
        "",
        Span::styled(
            format!("user_agent {} · client_ip {}", d.user_agent, d.client_ip),
            t.muted(),
        ),
        t,
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}
