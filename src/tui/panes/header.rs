//! The top line: LIVE or SANDBOX banner, profile, API host and version, operator, token.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, TokenView};

pub fn token_text(t: TokenView) -> String {
    match t {
        TokenView::Unknown => "token …".into(),
        TokenView::None => "token not yet obtained".into(),
        TokenView::Valid { refresh_in } => {
            let m = refresh_in.as_secs() / 60;
            format!("token valid, refresh in {m}m")
        }
        TokenView::Stale => "token expiring: refreshing on the next call".into(),
        TokenView::Fixed => "token fixed (PAYOUT_CONSOLE_TOKEN)".into(),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let env = &app.env;
    let banner = if env.live {
        Span::styled(" LIVE ", t.live_banner())
    } else if env.sandbox {
        Span::styled(" SANDBOX ", t.sandbox_banner())
    } else {
        Span::styled(" TEST ", t.muted())
    };
    let sep = || Span::styled(" │ ", t.muted());
    let line = Line::from(vec![
        banner,
        Span::raw(" "),
        Span::styled("profile ", t.label()),
        Span::raw(env.profile.clone()),
        sep(),
        Span::styled("api ", t.label()),
        Span::raw(format!(
            "{} {}",
            env.base_url.trim_end_matches('/'),
            env.api_version
        )),
        sep(),
        Span::styled("operator ", t.label()),
        Span::raw(env.operator.clone()),
        sep(),
        Span::raw(token_text(app.token)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
