//! Where each pane goes. Rendering and mouse hit-testing both use [`areas`], so a click lands
//! on the pane it looks like it lands on.

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, Pane};

/// The smallest terminal the console draws on; below it a message says so.
pub const MIN_W: u16 = 80;
pub const MIN_H: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub account: Rect,
    pub session: Rect,
    pub passcode: Rect,
    pub live: Rect,
    pub history: Rect,
    pub notice: Rect,
    pub footer: Rect,
}

impl Areas {
    pub fn pane(&self, p: Pane) -> Rect {
        match p {
            Pane::Account => self.account,
            Pane::Session => self.session,
            Pane::Passcode => self.passcode,
            Pane::Live => self.live,
            Pane::History => self.history,
        }
    }
}

/// The pane rectangles for `area`, or `None` when it is smaller than [`MIN_W`]x[`MIN_H`].
/// The focused side gets the room: History grows when focused, and the Passcode pane folds to
/// a summary while a payout is on the Live pane and the passcode is not being edited.
pub fn areas(area: Rect, app: &App) -> Option<Areas> {
    if area.width < MIN_W || area.height < MIN_H {
        return None;
    }
    use Constraint::{Fill, Length};
    let [header, body, notice, footer] =
        Layout::vertical([Length(1), Fill(1), Length(1), Length(1)]).areas(area);
    // On a short terminal a payout on the Live pane matters more than history rows: keep the
    // newest one in view and give the rest to the answer's fields.
    let short = body.height < 24;
    let history_h = match app.focus {
        Pane::History => body.height * 3 / 5,
        _ if short && app.live.is_some() => 4,
        Pane::Live if app.live.is_some() => (body.height / 4).max(6),
        _ => (body.height * 2 / 5).max(8),
    };
    let [top, history] = Layout::vertical([Fill(1), Length(history_h)]).areas(body);
    // Narrow terminals: a 36-character reference and its label must fit the right column.
    let left_w = if top.width < 100 {
        30
    } else {
        (top.width * 2 / 5).max(32)
    };
    let [left, right] = Layout::horizontal([Length(left_w), Fill(1)]).areas(top);
    // Room for amount, currency and the status, plus a line per problem.
    let session_h = 5 + app.session.problems.len().min(3) as u16;
    let [account, session] = Layout::vertical([Fill(1), Length(session_h)]).areas(left);
    let compact = app.live.is_some() && app.focus != Pane::Passcode;
    let passcode_h = if compact {
        5
    } else {
        9 + app.passcode.problems.len().min(3) as u16
    };
    let [passcode, live] = Layout::vertical([Length(passcode_h), Fill(1)]).areas(right);
    Some(Areas {
        header,
        account,
        session,
        passcode,
        live,
        history,
        notice,
        footer,
    })
}

/// A centred rectangle of at most `w`x`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
