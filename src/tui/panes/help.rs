//! The `?` overlay: every key of every pane, generated from the key table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::block;
use crate::tui::app::App;
use crate::tui::keymap::{Ctx, keys_text, long};
use crate::tui::layout::centered;

/// The help text, one line per binding, grouped by pane.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for ctx in std::iter::once(Ctx::Global).chain(Ctx::PANES) {
        let rows: Vec<_> = app.keymap.for_ctx(ctx).collect();
        if rows.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(format!(" {}", ctx.title()), t.title(false)));
        for b in rows {
            out.push(Line::from(vec![
                Span::styled(format!("   {:<14}", keys_text(&b.keys)), t.key()),
                Span::raw(long(b.desc)),
                Span::styled(format!("  [{}]", b.name), t.muted()),
            ]));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        " Keys are set in the config file's [keys] table, e.g. check_status = \"ctrl-g\".",
        t.muted(),
    ));
    out.push(Line::styled(
        " In a text field, typed characters always go to the field; Esc leaves it.",
        t.muted(),
    ));
    out
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let r = centered(area, 96, area.height);
    frame.render_widget(Clear, r);
    let outer = block(
        "Help: every key (↑/↓ scroll, Esc or ? closes)".into(),
        true,
        &app.theme,
    );
    let inner = outer.inner(r);
    frame.render_widget(outer, r);
    let lines = help_lines(app);
    let max = (lines.len() as u16).saturating_sub(inner.height);
    frame.render_widget(Paragraph::new(lines).scroll((scroll.min(max), 0)), inner);
}
