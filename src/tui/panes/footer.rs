//! The notice line and the footer: the keys that work in the focused pane right now, from the
//! key table (so they never drift from the bindings).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Level, Overlay};
use crate::tui::keymap::{Cmd, Ctx, short};
use crate::tui::live::Phase;

pub fn draw_notice(frame: &mut Frame, area: Rect, app: &App) {
    let Some(n) = &app.notice else {
        return;
    };
    let style = match n.level {
        Level::Info => app.theme.label(),
        Level::Warn => app.theme.warn(),
        Level::Error => app.theme.error(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(format!(" {}", n.text), style)),
        area,
    );
}

/// Whether a command does something in the current state (the footer shows only those; the
/// help lists all).
pub fn applies(app: &App, ctx: Ctx, cmd: Cmd) -> bool {
    let live = app.live.as_ref();
    match (ctx, cmd) {
        (Ctx::Live, Cmd::StopWaiting) => live.is_some_and(|e| e.animating()),
        (Ctx::Live, Cmd::CheckStatus) => live.is_some_and(|e| {
            !e.sending()
                && !matches!(e.phase, Phase::NotSent(_))
                && (!e.state.is_final() || e.phase == Phase::Stopped)
        }),
        (Ctx::Live, Cmd::RevealSecret | Cmd::CopySecret) => {
            live.is_some_and(|e| e.secret.is_some())
        }
        (Ctx::Live, Cmd::SupportBundle) => live.is_some(),
        (Ctx::Live, Cmd::NewPayout) => !live.is_some_and(|e| e.sending()),
        (Ctx::Review, Cmd::Override) => matches!(
            &app.overlay,
            Some(Overlay::Review(r)) if r.blocking_unresolved().is_some()
        ),
        (Ctx::History, Cmd::CheckStatus) => app
            .history
            .selected_row()
            .is_some_and(|r| !r.state.is_final()),
        (Ctx::History, Cmd::Select | Cmd::ExportCsv) => !app.history.rows.is_empty(),
        (Ctx::History, Cmd::Back) => app.history.filter() != Default::default(),
        (Ctx::Account, Cmd::Back) => {
            let a = &app.account;
            a.filtering || !a.filter.is_empty() || a.manual.is_some()
        }
        (Ctx::Account, Cmd::Filter) => !app.account.typing(),
        // Overlays are modal: Tab does not leave them.
        (Ctx::Review | Ctx::Detail | Ctx::Help, Cmd::NextPane | Cmd::PrevPane) => false,
        _ => true,
    }
}

/// `(key, what)` for the footer of `ctx`: what works now; while typing, only keys that reach
/// past the field.
pub fn entries(app: &App, ctx: Ctx) -> Vec<(String, &'static str)> {
    let typing = app.typing();
    let mut out = Vec::new();
    for b in app
        .keymap
        .for_ctx(ctx)
        .chain(app.keymap.for_ctx(Ctx::Global))
    {
        let Some(key) = b.keys.iter().find(|k| !typing || !k.is_editing()) else {
            continue;
        };
        if b.footer && applies(app, ctx, b.cmd) {
            out.push((key.to_string(), short(b.desc)));
        }
    }
    out
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut spans = Vec::new();
    for (i, (keys, what)) in entries(app, app.ctx()).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", t.muted()));
        }
        spans.push(Span::styled(keys, t.key()));
        spans.push(Span::raw(format!(" {what}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
