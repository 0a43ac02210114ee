//! Payout account: the config's accounts (label, provider, currency), recently used ones from
//! the history, a filter, and "enter an ID by hand".

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

use super::{LABEL_W, block, cursor_at, field_line};
use crate::tui::app::App;
use crate::tui::flow::Item;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let t = &app.theme;
    let a = &app.account;
    let title = match &a.chosen {
        Some(c) => format!("Payout account · {}", c.id),
        None => "Payout account".to_string(),
    };
    let outer = block(title, focused, t);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let show_filter = a.filtering || !a.filter.is_empty();
    let top_h =
        u16::from(show_filter) + u16::from(a.manual.is_some()) + u16::from(a.problem.is_some());
    let [top, list_area] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(inner);
    let mut lines = Vec::new();
    if show_filter {
        lines.push(field_line(
            "filter",
            a.filter.value().to_string(),
            a.filtering,
            None,
            t,
        ));
        if focused && a.filtering {
            cursor_at(frame, top, 0, LABEL_W + a.filter.cursor());
        }
    }
    if let Some(m) = &a.manual {
        if focused {
            cursor_at(frame, top, lines.len() as u16, LABEL_W + m.cursor());
        }
        lines.push(field_line(
            "account ID",
            m.value().to_string(),
            true,
            None,
            t,
        ));
    }
    if let Some(p) = &a.problem {
        lines.push(Line::styled(format!(" ✗ {p}"), t.error()));
    }
    frame.render_widget(Paragraph::new(lines), top);

    let chosen = a.chosen.as_ref().map(|c| c.id.as_str());
    let items: Vec<ListItem> = a
        .items(&app.env)
        .into_iter()
        .map(|item| {
            let line = match item {
                Item::Config(e) => {
                    let mark = if chosen == Some(e.id.as_str()) {
                        "✓"
                    } else {
                        " "
                    };
                    let mut spans = vec![
                        Span::styled(format!("{mark}{:<5}", e.id), t.key()),
                        Span::raw(format!(" {}", e.label)),
                    ];
                    let extra: Vec<&str> = [e.currency.as_deref(), e.provider.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect();
                    if !extra.is_empty() {
                        spans.push(Span::styled(format!("  {}", extra.join(" · ")), t.muted()));
                    }
                    Line::from(spans)
                }
                Item::Recent(id) => {
                    let mark = if chosen == Some(id) { "✓" } else { " " };
                    Line::from(vec![
                        Span::styled(format!("{mark}{id:<5}"), t.key()),
                        Span::styled(" recently used", t.muted()),
                    ])
                }
                Item::Manual => Line::styled(" + enter an ID by hand", t.muted()),
            };
            ListItem::new(line)
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(a.highlighted));
    let list = List::new(items)
        .highlight_style(t.selected())
        .highlight_symbol("▶");
    frame.render_stateful_widget(list, list_area, &mut state);
}
