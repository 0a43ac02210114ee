//! Mouse and paste: a click focuses the pane under it and selects the history row; the wheel
//! scrolls the history; pasted text goes to the focused field (never to shortcuts).

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::app::{App, Effect, Overlay, Pane};
use super::keymap::Cmd;
use super::layout;

pub fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
    if !app.typing() {
        // A paste on the account list filters it (an ID copied from a ticket finds its
        // account); anywhere else it is said, never silently dropped.
        if app.overlay.is_none() && app.focus == Pane::Account {
            app.account.filtering = true;
            app.account.paste(text);
        } else {
            app.info("pasted text goes into a text field: open one first (Enter), then paste");
        }
        return Vec::new();
    }
    match (&mut app.overlay, app.focus) {
        (Some(Overlay::Review(r)), _) => {
            r.typed.paste(text);
        }
        (Some(_), _) => {}
        (None, Pane::Account) => app.account.paste(text),
        (None, Pane::Session) => app.session.paste(text),
        (None, Pane::Passcode) => app.passcode.paste(text),
        (None, Pane::History) => {
            if app.history.search.paste(text) {
                return app.history_reload(true);
            }
        }
        (None, Pane::Live) => {}
    }
    Vec::new()
}

pub fn on_mouse(app: &mut App, ev: MouseEvent) -> Vec<Effect> {
    let (w, h) = app.size;
    let Some(areas) = layout::areas(Rect::new(0, 0, w, h), app) else {
        return Vec::new();
    };
    let at = Position::new(ev.column, ev.row);
    if app.overlay.is_some() {
        return Vec::new();
    }
    match ev.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            let Some(pane) = Pane::ALL.into_iter().find(|p| areas.pane(*p).contains(at)) else {
                return Vec::new();
            };
            if pane == Pane::History {
                // Border, then the header row.
                let first = areas.history.y + 2;
                if ev.row >= first && ev.row < areas.history.bottom().saturating_sub(1) {
                    let i = app.history.offset + (ev.row - first) as usize;
                    app.history.select_index(i);
                }
            }
            // After selecting: the reload a newly focused history starts lands on the selected
            // row, so it must be the clicked one (it was the old one, and the click was lost).
            let mut fx = Vec::new();
            if app.focus != pane {
                app.focus_pane(pane);
                if pane == Pane::History {
                    fx.extend(app.history_reload(false));
                }
            }
            fx
        }
        MouseEventKind::ScrollDown if areas.history.contains(at) => {
            super::history::history_command(app, Cmd::Down)
        }
        MouseEventKind::ScrollUp if areas.history.contains(at) => {
            super::history::history_command(app, Cmd::Up)
        }
        _ => Vec::new(),
    }
}
