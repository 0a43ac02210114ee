//! Session: a new session (amount, currency) for the chosen account or an existing ID; the
//! expiry as a live countdown.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{LABEL_W, block, clock, cursor_at, field_lines, spinner};
use crate::tui::app::App;
use crate::tui::flow::{SessionMode, SessionState};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let t = &app.theme;
    let s = &app.session;
    let account = app.account.chosen.as_ref().map(|c| c.id.as_str());
    let title = match (s.mode, account) {
        (SessionMode::New, Some(a)) => format!("Session · new, for account {a}"),
        (SessionMode::New, None) => "Session · new".to_string(),
        (SessionMode::Existing, _) => "Session · existing ID".to_string(),
    };
    let outer = block(title, focused, t);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let mut lines = Vec::new();
    for f in s.fields() {
        let active = focused && s.field == Some(*f);
        if active {
            cursor_at(
                frame,
                inner,
                lines.len() as u16,
                LABEL_W + s.input(*f).cursor(),
            );
        }
        lines.extend(field_lines(
            f.name(),
            s.input(*f).value().to_string(),
            active,
            s.problems.get(f.name()).map(String::as_str),
            inner.width,
            t,
        ));
    }
    lines.push(status_line(app));
    if let Some(p) = s.problems.get("session") {
        lines.push(Line::styled(format!(" ✗ {p}"), t.error()));
    }
    if account.is_none() && s.mode == SessionMode::New {
        lines.push(Line::styled(" pick a payout account first", t.muted()));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn status_line(app: &App) -> Line<'static> {
    let t = &app.theme;
    match &app.session.state {
        SessionState::None => Line::styled(" no session yet", t.muted()),
        SessionState::Creating { .. } => Line::styled(
            format!(" {} creating the session…", spinner(app.now)),
            t.warn(),
        ),
        SessionState::Failed(e) => Line::styled(format!(" ✗ {e}"), t.error()),
        SessionState::Ready(info) => {
            let mut spans = vec![Span::styled(format!(" ✓ session {}", info.id), t.ok())];
            match info.expires_at {
                _ if app.session.sent => spans.push(Span::styled(
                    " · sent with the payout in Live status",
                    t.muted(),
                )),
                Some(at) if at <= app.now => spans.push(Span::styled(
                    " · EXPIRED: Enter creates a new one",
                    t.error(),
                )),
                Some(at) => {
                    let left = (at - app.now).num_seconds();
                    let style = if left < 60 { t.warn() } else { t.label() };
                    spans.push(Span::styled(
                        format!(" · expires in {}", clock(left)),
                        style,
                    ));
                }
                None if info.by_hand => spans.push(Span::styled(
                    " · entered by hand, expiry unknown",
                    t.muted(),
                )),
                None => spans.push(Span::styled(" · no expiry given", t.muted())),
            }
            if let Some(w) = &info.wallet_id {
                spans.push(Span::styled(format!(" · wallet {w}"), t.muted()));
            }
            Line::from(spans)
        }
    }
}
