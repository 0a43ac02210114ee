//! Colours, or their absence: with `NO_COLOR` set every style falls back to modifiers (bold,
//! reverse, underline), so states and banners stay distinguishable on a monochrome terminal.

use ratatui::style::{Color, Modifier, Style};

use crate::api::LocalState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { color: true }
    }
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    pub fn monochrome() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, c: Color, fallback: Modifier) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new().add_modifier(fallback)
        }
    }

    /// The colour of a local state: completed green, failed red, action_required magenta,
    /// pending/processing yellow, rejected light red, unknown cyan, sending blue.
    pub fn state(&self, s: LocalState) -> Style {
        let base = match s {
            LocalState::Completed => self.fg(Color::Green, Modifier::BOLD),
            LocalState::Failed => self.fg(Color::Red, Modifier::BOLD | Modifier::UNDERLINED),
            LocalState::ActionRequired => self.fg(Color::Magenta, Modifier::REVERSED),
            LocalState::Pending | LocalState::Processing => {
                self.fg(Color::Yellow, Modifier::ITALIC)
            }
            LocalState::Rejected => self.fg(Color::LightRed, Modifier::UNDERLINED),
            LocalState::Unknown => self.fg(Color::Cyan, Modifier::DIM | Modifier::ITALIC),
            LocalState::Sending => self.fg(Color::Blue, Modifier::ITALIC),
        };
        if self.color && s.is_final() {
            base.add_modifier(Modifier::BOLD)
        } else {
            base
        }
    }

    pub fn live_banner(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if self.color {
            s.fg(Color::White).bg(Color::Red)
        } else {
            s.add_modifier(Modifier::REVERSED)
        }
    }

    pub fn sandbox_banner(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if self.color {
            s.fg(Color::Black).bg(Color::Yellow)
        } else {
            s.add_modifier(Modifier::REVERSED)
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, true) => Style::new().fg(Color::DarkGray),
            (false, false) => Style::new(),
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if focused {
            s.add_modifier(Modifier::REVERSED)
        } else {
            s
        }
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red, Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow, Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green, Modifier::BOLD)
    }

    pub fn muted(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn label(&self) -> Style {
        self.fg(Color::Gray, Modifier::empty())
    }

    pub fn key(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if self.color { s.fg(Color::Cyan) } else { s }
    }

    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// A text field being typed into.
    pub fn active_field(&self) -> Style {
        if self.color {
            Style::new().fg(Color::White).bg(Color::Indexed(236))
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }

    pub fn secret(&self) -> Style {
        self.fg(Color::Magenta, Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_colour_every_state_is_still_distinct_and_colourless() {
        let t = Theme::monochrome();
        let styles: Vec<Style> = LocalState::ALL.iter().map(|s| t.state(*s)).collect();
        for s in &styles {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        for st in [
            LocalState::Completed,
            LocalState::Failed,
            LocalState::ActionRequired,
        ] {
            let n = styles.iter().filter(|s| **s == t.state(st)).count();
            assert_eq!(n, 1, "{st}");
        }
        assert_eq!(t.live_banner().bg, None);
    }

    #[test]
    fn colours_follow_the_states() {
        let t = Theme::default();
        assert_eq!(t.state(LocalState::Completed).fg, Some(Color::Green));
        assert_eq!(t.state(LocalState::Failed).fg, Some(Color::Red));
        assert_eq!(t.state(LocalState::ActionRequired).fg, Some(Color::Magenta));
        assert_eq!(t.state(LocalState::Processing).fg, Some(Color::Yellow));
        assert_eq!(t.live_banner().bg, Some(Color::Red));
        assert_eq!(t.sandbox_banner().bg, Some(Color::Yellow));
    }
}
