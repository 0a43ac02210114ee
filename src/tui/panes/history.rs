//! History: one page of executions, newest first, with the filter in the title.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{LABEL_W, block, clip, cursor_at, short};
use crate::journal::ExecutionRow;
use crate::tui::app::App;

/// `250 USD`, or `250 USD→46625 LRD` when the currencies differ; the session amount before an
/// answer.
pub fn amounts(r: &ExecutionRow) -> String {
    let cur = |c: &Option<String>| c.clone().unwrap_or_default();
    match (r.payer_amount, r.payee_amount) {
        (Some(a), Some(b)) if r.payer_currency != r.payee_currency => {
            format!(
                "{a} {}→{b} {}",
                cur(&r.payer_currency),
                cur(&r.payee_currency)
            )
        }
        (Some(a), _) => format!("{a} {}", cur(&r.payer_currency)),
        (None, Some(b)) => format!("{b} {}", cur(&r.payee_currency)),
        (None, None) => match r.session_amount {
            Some(a) => format!("{a} {}", cur(&r.session_currency)),
            None => "—".into(),
        },
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let t = &app.theme;
    let h = &app.history;
    let mut title = String::from("History");
    if !h.rows.is_empty() {
        let start = h.page_start();
        let total = match h.total {
            Some(n) if n >= crate::journal::COUNT_CAP => format!("≥{n}"),
            Some(n) => n.to_string(),
            None => "?".into(),
        };
        title.push_str(&format!(
            " · {}–{} of {total}",
            start + 1,
            start + h.rows.len()
        ));
    }
    title.push_str(&format!(" · {}", h.states.label()));
    if !h.search.is_empty() || h.searching {
        title.push_str(&format!(" · search “{}”", h.search.value()));
    }
    if h.loading.is_some() {
        title.push_str(" · loading…");
    }
    let outer = block(title, focused, t);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if h.searching {
        // The search field takes the header row while it is being typed.
        let line = Line::from(vec![
            Span::styled(format!("▸{:<w$}", "search", w = LABEL_W - 1), t.label()),
            Span::styled(h.search.value().to_string(), t.active_field()),
        ]);
        frame.render_widget(Paragraph::new(line), Rect { height: 1, ..inner });
        if focused {
            cursor_at(frame, inner, 0, LABEL_W + h.search.cursor());
        }
    }
    if let Some(e) = &h.error {
        let body = Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(1),
            ..inner
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" ✗ {e}"), t.error())),
            body,
        );
        return;
    }
    if h.rows.is_empty() && h.loading.is_none() {
        let body = Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(1),
            ..inner
        };
        let msg = if h.filter() == Default::default() {
            " no executions yet"
        } else {
            " no execution matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(Line::styled(msg, t.muted())), body);
        return;
    }
    let rows: Vec<Row> = h
        .rows
        .iter()
        .map(|r| {
            Row::new(vec![
                Cell::from(r.created_at.format("%m-%d %H:%M:%S").to_string()),
                Cell::from(short(&r.reference_id).to_string()),
                Cell::from(clip(&r.session_id, 8)),
                Cell::from(clip(&r.payout_account_id, 8)),
                Cell::from(Span::styled(r.state.as_str(), t.state(r.state))),
                Cell::from(amounts(r)),
                Cell::from(r.provider_transaction_id.clone().unwrap_or_default()),
                Cell::from(if r.sandbox { "sbx" } else { "" }),
            ])
        })
        .collect();
    let header = Row::new(vec![
        "time (UTC)",
        "reference",
        "session",
        "account",
        "state",
        "amounts",
        "provider tx",
        "env",
    ])
    .style(t.label());
    let widths = [
        Constraint::Length(14),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(15),
        Constraint::Fill(2),
        Constraint::Fill(1),
        Constraint::Length(3),
    ];
    let mut table = Table::new(rows, widths)
        .row_highlight_style(t.selected())
        .column_spacing(1);
    if !h.searching {
        table = table.header(header);
    }
    let mut state = TableState::default()
        .with_offset(h.offset)
        .with_selected(focused.then_some(h.selected));
    let body = if h.searching {
        Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(1),
            ..inner
        }
    } else {
        inner
    };
    frame.render_stateful_widget(table, body, &mut state);
}
