//! The notice line and the footer: the keys that work in the focused pane right now, from the
//! key table (so they never drift from the bindings).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Level};
use crate::tui::keymap::{Ctx, Key};

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

/// `(keys, what)` for the footer of `ctx`; while typing, only keys that reach past the field.
pub fn entries(app: &App, ctx: Ctx) -> Vec<(String, &'static str)> {
    let typing = app.typing();
    let mut out = Vec::new();
    for b in app
        .keymap
        .for_ctx(ctx)
        .chain(app.keymap.for_ctx(Ctx::Global))
    {
        let shown: Vec<&Key> = b
            .keys
            .iter()
            .filter(|k| !typing || !k.is_editing())
            .collect();
        let wanted = b.footer || (typing && b.name == "back");
        if !wanted || shown.is_empty() {
            continue;
        }
        let keys = shown
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join("/");
        let desc = b.desc;
        let end = desc.find([';', '(']).unwrap_or(desc.len());
        out.push((keys, desc[..end].trim_end()));
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
