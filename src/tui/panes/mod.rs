//! One file per pane. Each `draw` reads the app and writes into its rectangle; nothing here
//! changes state.

pub mod account;
pub mod detail;
pub mod footer;
pub mod header;
pub mod help;
pub mod history;
pub mod live;
pub mod passcode;
pub mod review;
pub mod session;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::theme::Theme;

/// Width of the label column in forms.
pub const LABEL_W: usize = 11;

/// A pane's frame: bold title, highlighted border when focused.
pub fn block(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(focused))
        .title(Span::styled(format!(" {title} "), theme.title(focused)))
}

/// `label      value  problem`: a form line, the problem beside the field.
pub fn field_line(
    label: &str,
    value: String,
    active: bool,
    problem: Option<&str>,
    theme: &Theme,
) -> Line<'static> {
    let marker = if active { "▸" } else { " " };
    let mut spans = vec![
        Span::styled(
            format!("{marker}{label:<w$}", w = LABEL_W - 1),
            theme.label(),
        ),
        Span::styled(
            if value.is_empty() && active {
                " ".into()
            } else {
                value
            },
            if active {
                theme.active_field()
            } else {
                Style::new()
            },
        ),
    ];
    if let Some(p) = problem {
        spans.push(Span::styled(format!("  ✗ {p}"), theme.error()));
    }
    Line::from(spans)
}

/// A form field: `label value  ✗ problem` on one line when it fits in `width`, else the problem
/// on its own (clipped) line under the field. The field is always the first line returned.
pub fn field_lines(
    label: &str,
    value: String,
    active: bool,
    problem: Option<&str>,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let width = width as usize;
    let fits = problem
        .is_none_or(|p| LABEL_W + value.chars().count().max(1) + 4 + p.chars().count() <= width);
    if fits {
        return vec![field_line(label, value, active, problem, theme)];
    }
    let mut out = vec![field_line(label, value, active, None, theme)];
    if let Some(p) = problem {
        out.push(Line::styled(
            clip(&format!("{:w$}✗ {p}", "", w = LABEL_W), width),
            theme.error(),
        ));
    }
    out
}

/// `label      value` without editing.
pub fn kv(label: &str, value: impl Into<Span<'static>>, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {label:<w$}", w = LABEL_W - 1), theme.label()),
        value.into(),
    ])
}

/// Places the terminal cursor in a field being typed into.
pub fn cursor_at(frame: &mut Frame, area: Rect, row: u16, col: usize) {
    let x = area.x.saturating_add(col as u16);
    let y = area.y.saturating_add(row);
    if x < area.right() && y < area.bottom() {
        frame.set_cursor_position(Position::new(x, y));
    }
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame for this instant (a function of the clock, so snapshots are stable).
pub fn spinner(now: DateTime<Utc>) -> &'static str {
    let tenths = now.timestamp_millis().rem_euclid(1000 * 3600) / 100;
    SPINNER[(tenths as usize) % SPINNER.len()]
}

/// `14:05`, `1:02:03`; negative is `0:00`.
pub fn clock(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Seconds with one decimal: `2.4 s`.
pub fn secs(d: chrono::Duration) -> String {
    format!("{:.1} s", d.num_milliseconds().max(0) as f64 / 1000.0)
}

/// The first 8 characters of a reference: what the history shows.
pub fn short(reference: &str) -> &str {
    let end = reference
        .char_indices()
        .nth(8)
        .map_or(reference.len(), |(i, _)| i);
    &reference[..end]
}

/// Cuts `text` to `max` characters with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}
