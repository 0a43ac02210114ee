//! Drawing: a pure function of `&App` into a frame, so `TestBackend` snapshots are exact.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Overlay, Pane};
use super::layout::{self, MIN_H, MIN_W};
use super::panes;

/// Draws the whole console.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let Some(areas) = layout::areas(area, app) else {
        too_small(frame, area, app);
        return;
    };
    panes::header::draw(frame, areas.header, app);
    panes::account::draw(frame, areas.account, app, app.focus == Pane::Account);
    panes::session::draw(frame, areas.session, app, app.focus == Pane::Session);
    panes::passcode::draw(frame, areas.passcode, app, app.focus == Pane::Passcode);
    panes::live::draw(frame, areas.live, app, app.focus == Pane::Live);
    panes::history::draw(frame, areas.history, app, app.focus == Pane::History);
    panes::footer::draw_notice(frame, areas.notice, app);
    panes::footer::draw(frame, areas.footer, app);
    // Overlays sit between the header and the notice line, which stay readable.
    let middle = Rect {
        y: areas.header.bottom(),
        height: areas.notice.y - areas.header.bottom(),
        ..area
    };
    match &app.overlay {
        Some(Overlay::Help { scroll }) => panes::help::draw(frame, middle, app, *scroll),
        Some(Overlay::Review(r)) => panes::review::draw(frame, middle, app, r),
        Some(Overlay::Detail(d)) => panes::detail::draw(frame, middle, app, d),
        None => {}
    }
}

/// Below the minimum size: say so, in whatever room there is. Never panics, even at 1x1.
fn too_small(frame: &mut Frame, area: Rect, app: &App) {
    let text = vec![
        Line::from(format!(
            "terminal too small: need {MIN_W}x{MIN_H}, have {}x{}",
            area.width, area.height
        )),
        Line::from("enlarge the window, or press q to quit"),
    ];
    let p = Paragraph::new(text)
        .style(app.theme.warn())
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true });
    frame.render_widget(p, area);
}
