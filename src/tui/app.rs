//! The console's state and the one function that changes it.
//!
//! [`update`] is pure: it takes an [`Action`] (a key, a mouse event, a tick or a [`Msg`] from a
//! background task) and returns the [`Effect`]s the runtime must carry out. It never awaits,
//! never touches the network, the disk or the terminal, so every flow is tested without one.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use secrecy::SecretString;
use uuid::Uuid;

use super::flow::{AccountPane, PasscodePane, Review, SessionPane};
use super::history::{Detail, HistoryPane};
use super::keymap::{Cmd, Ctx, InputAction, Keymap};
use super::layout;
use super::live::Execution;
pub use super::msg::{Action, Effect, Msg};
use super::theme::Theme;
use crate::api::wire::Device;
use crate::config::AccountEntry;

/// Where the console points; fixed for a run.
#[derive(Debug, Clone)]
pub struct Env {
    pub profile: String,
    /// `https://api.heydollr.app` (no version).
    pub base_url: String,
    pub api_version: String,
    pub operator: String,
    pub live: bool,
    pub sandbox: bool,
    pub device: Device,
    /// The whole-request timeout, shown while a call is out.
    pub timeout: Duration,
    pub phone: Option<String>,
    pub user_id: Option<String>,
    pub accounts: Vec<AccountEntry>,
    pub data_dir: PathBuf,
}

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Account,
    Session,
    Passcode,
    Live,
    History,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Account,
        Pane::Session,
        Pane::Passcode,
        Pane::Live,
        Pane::History,
    ];

    pub fn ctx(self) -> Ctx {
        match self {
            Pane::Account => Ctx::Account,
            Pane::Session => Ctx::Session,
            Pane::Passcode => Ctx::Passcode,
            Pane::Live => Ctx::Live,
            Pane::History => Ctx::History,
        }
    }
}

/// A modal on top of the panes.
#[derive(Debug)]
pub enum Overlay {
    Help { scroll: u16 },
    Review(Review),
    Detail(Box<Detail>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The one-line message above the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

/// The bearer token as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenView {
    /// Not asked yet.
    Unknown,
    /// No token obtained yet (the first call gets one).
    None,
    Valid {
        refresh_in: Duration,
    },
    Stale,
    /// A fixed bearer token from the environment.
    Fixed,
}

/// Where new reference_ids come from: random in the console, a fixed sequence in tests.
#[derive(Debug, Clone)]
pub enum UuidSource {
    Random,
    Sequence(u128),
}

impl UuidSource {
    pub fn fresh(&mut self) -> Uuid {
        match self {
            UuidSource::Random => Uuid::new_v4(),
            UuidSource::Sequence(n) => {
                *n += 1;
                uuid::Builder::from_random_bytes(n.to_be_bytes().map(|b| b ^ 0x5a)).into_uuid()
            }
        }
    }
}

/// The whole state of the console: plain data.
#[derive(Debug)]
pub struct App {
    pub env: Env,
    pub keymap: Keymap,
    pub theme: Theme,
    pub now: DateTime<Utc>,
    /// The terminal size, for mouse hit-testing and history paging.
    pub size: (u16, u16),
    pub focus: Pane,
    pub overlay: Option<Overlay>,
    pub token: TokenView,
    pub account: AccountPane,
    pub session: SessionPane,
    pub passcode: PasscodePane,
    /// The payout on the Live status pane (the last one confirmed).
    pub live: Option<Execution>,
    pub history: HistoryPane,
    pub notice: Option<Notice>,
    /// Set when the operator asked to quit while a payout was being sent.
    pub quit_armed: bool,
    pub quit: bool,
    pub uuids: UuidSource,
    next_id: u64,
}

impl App {
    pub fn new(
        env: Env,
        keymap: Keymap,
        theme: Theme,
        now: DateTime<Utc>,
        mut uuids: UuidSource,
    ) -> App {
        let passcode = PasscodePane::new(&env, uuids.fresh());
        App {
            account: AccountPane::default(),
            session: SessionPane::default(),
            passcode,
            live: None,
            history: HistoryPane::default(),
            env,
            keymap,
            theme,
            now,
            size: (100, 30),
            focus: Pane::Account,
            overlay: None,
            token: TokenView::Unknown,
            notice: None,
            quit_armed: false,
            quit: false,
            uuids,
            next_id: 0,
        }
    }

    /// The effects to run once at start: recent accounts and the first history page.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut fx = vec![Effect::LoadRecentAccounts];
        fx.extend(self.history_reload(true));
        fx
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            level: Level::Info,
            text: text.into(),
        });
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            level: Level::Warn,
            text: text.into(),
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            level: Level::Error,
            text: text.into(),
        });
    }

    /// The key context: the open overlay's, else the focused pane's.
    pub fn ctx(&self) -> Ctx {
        match &self.overlay {
            Some(Overlay::Help { .. }) => Ctx::Help,
            Some(Overlay::Review(_)) => Ctx::Review,
            Some(Overlay::Detail(_)) => Ctx::Detail,
            None => self.focus.ctx(),
        }
    }

    /// A text field has focus: editing keys go to it, never to shortcuts.
    pub fn typing(&self) -> bool {
        match &self.overlay {
            Some(Overlay::Review(r)) => self.env.live && r.needs_typed_confirmation(),
            Some(_) => false,
            None => match self.focus {
                Pane::Account => self.account.typing(),
                Pane::Session => self.session.field.is_some(),
                Pane::Passcode => self.passcode.field.is_some(),
                Pane::Live => false,
                Pane::History => self.history.searching,
            },
        }
    }

    /// Something on screen changes with time (spinner, countdown): the runtime ticks only then.
    pub fn needs_tick(&self) -> bool {
        self.live.as_ref().is_some_and(Execution::animating) || self.session.animating()
    }

    /// Moves the focus, activating the pane's first field that needs input.
    pub fn focus_pane(&mut self, pane: Pane) {
        self.focus = pane;
        self.quit_armed = false;
        match pane {
            Pane::Session => self.session.enter(),
            Pane::Passcode => self.passcode.enter(),
            _ => {}
        }
    }

    /// Rows of the history table visible at the current size.
    pub fn history_rows_visible(&self) -> usize {
        let (w, h) = self.size;
        layout::areas(Rect::new(0, 0, w, h), self)
            .map(|a| a.history.height.saturating_sub(3) as usize)
            .unwrap_or(1)
            .max(1)
    }
}

/// Applies one action; returns what the runtime must do.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(ev) => on_key(app, ev),
        Action::Mouse(ev) => super::pointer::on_mouse(app, ev),
        Action::Paste(text) => super::pointer::on_paste(app, &text),
        Action::Resize(w, h) => {
            app.size = (w, h);
            app.history.keep_visible(app.history_rows_visible());
            Vec::new()
        }
        Action::Tick(now) => {
            app.now = now;
            Vec::new()
        }
        Action::Msg(msg) => on_msg(app, *msg),
    }
}

/// The furthest the help overlay scrolls at the current size (the view draws it between the
/// header and the notice line, inside a border).
fn help_scroll_max(app: &App) -> u16 {
    let (w, h) = app.size;
    let lines = super::panes::help::help_lines(app).len() as u16;
    let inner = layout::areas(Rect::new(0, 0, w, h), app).map_or(0, |a| {
        a.notice
            .y
            .saturating_sub(a.header.bottom())
            .saturating_sub(2)
    });
    lines.saturating_sub(inner)
}

/// What a key means here, without applying it (atuin's InputAction).
pub fn input_action(app: &App, ev: &KeyEvent) -> InputAction {
    app.keymap.resolve(app.ctx(), ev, app.typing())
}

fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Effect> {
    let ctx = app.ctx();
    let (w, h) = app.size;
    if w < layout::MIN_W || h < layout::MIN_H {
        // Only "terminal too small" is on screen: nothing hidden may be typed into, confirmed
        // or sent. Its `q` quits (asking twice while a payout is out), as does force-quit.
        let plain_q = ev.code == KeyCode::Char('q')
            && !ev
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        return match input_action(app, &ev) {
            InputAction::Cmd(Cmd::ForceQuit) => command(app, ctx, Cmd::ForceQuit),
            InputAction::Cmd(Cmd::Quit) => command(app, ctx, Cmd::Quit),
            _ if plain_q => command(app, ctx, Cmd::Quit),
            _ => Vec::new(),
        };
    }
    match input_action(app, &ev) {
        InputAction::Ignore => Vec::new(),
        InputAction::Edit(ev) => edit(app, ctx, &ev),
        InputAction::Cmd(cmd) => {
            if !matches!(cmd, Cmd::Quit) {
                app.quit_armed = false;
            }
            command(app, ctx, cmd)
        }
    }
}

fn edit(app: &mut App, ctx: Ctx, ev: &KeyEvent) -> Vec<Effect> {
    match ctx {
        Ctx::Account => {
            app.account.edit(ev, &app.env);
            Vec::new()
        }
        Ctx::Session => {
            app.session.edit(ev);
            Vec::new()
        }
        Ctx::Passcode => {
            app.passcode.edit(ev);
            Vec::new()
        }
        Ctx::Review => {
            if let Some(Overlay::Review(r)) = &mut app.overlay {
                r.typed.edit(ev);
                r.message = None;
            }
            Vec::new()
        }
        Ctx::History => {
            if app.history.search.edit(ev) {
                return app.history_reload(true);
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn command(app: &mut App, ctx: Ctx, cmd: Cmd) -> Vec<Effect> {
    match cmd {
        Cmd::ForceQuit => {
            app.quit = true;
            return Vec::new();
        }
        Cmd::Quit => {
            let sending = app.live.as_ref().is_some_and(Execution::sending);
            if sending && !app.quit_armed {
                app.quit_armed = true;
                app.warn("a payout is being sent: press q again to quit anyway (it is kept as unknown: check it with `payout-console reconcile`)");
            } else {
                app.quit = true;
            }
            return Vec::new();
        }
        Cmd::Help => {
            app.overlay = match app.overlay.take() {
                Some(Overlay::Help { .. }) => None,
                Some(other) => Some(other),
                None => Some(Overlay::Help { scroll: 0 }),
            };
            return Vec::new();
        }
        _ => {}
    }
    match ctx {
        Ctx::Help => {
            // Scrolling stops at the last line, as drawn: past it, Up would have to undo
            // every extra Down before the text moved again.
            let max = help_scroll_max(app);
            if let Some(Overlay::Help { scroll }) = &mut app.overlay {
                match cmd {
                    Cmd::Up => *scroll = (*scroll).min(max).saturating_sub(1),
                    Cmd::Down => *scroll = scroll.saturating_add(1).min(max),
                    Cmd::Back => app.overlay = None,
                    _ => {}
                }
            }
            Vec::new()
        }
        Ctx::Review => super::flow::review_command(app, cmd),
        Ctx::Detail => super::history::detail_command(app, cmd),
        _ => match cmd {
            Cmd::NextPane | Cmd::PrevPane => {
                let i = Pane::ALL.iter().position(|p| *p == app.focus).unwrap_or(0);
                let n = Pane::ALL.len();
                let j = if cmd == Cmd::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                app.focus_pane(Pane::ALL[j]);
                if Pane::ALL[j] == Pane::History {
                    return app.history_reload(false);
                }
                Vec::new()
            }
            _ => match app.focus {
                Pane::Account => super::flow::account_command(app, cmd),
                Pane::Session => super::flow::session_command(app, cmd),
                Pane::Passcode => super::flow::passcode_command(app, cmd),
                Pane::Live => super::live::live_command(app, cmd),
                Pane::History => super::history::history_command(app, cmd),
            },
        },
    }
}

fn on_msg(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Token(t) => {
            app.token = t;
            Vec::new()
        }
        Msg::RecentAccounts(list) => {
            app.account.recent = list;
            Vec::new()
        }
        Msg::SessionCreated { id, result } => {
            if app.session.created(id, result, app.now)
                && let super::flow::SessionState::Failed(e) = &app.session.state
            {
                let text = format!("no session: {e}");
                app.error(text);
            }
            Vec::new()
        }
        Msg::Unresolved { id, result } => {
            if let Some(Overlay::Review(r)) = &mut app.overlay
                && r.check_id == id
            {
                r.unresolved = Some(result);
            }
            Vec::new()
        }
        Msg::Progress { .. }
        | Msg::Executed { .. }
        | Msg::Followed { .. }
        | Msg::StatusChecked { .. }
        | Msg::Row(_) => super::live::on_execution_msg(app, msg),
        Msg::HistoryPage { .. } | Msg::Detail { .. } | Msg::Exported(_) => {
            super::history::on_history_msg(app, msg)
        }
        Msg::Bundle { reference, result } => match result {
            Ok((text, path)) => {
                app.info(format!(
                    "support bundle written: {}",
                    super::history::name_then_dir(&path)
                ));
                vec![Effect::Copy {
                    what: "support bundle",
                    text: SecretString::from(text),
                }]
            }
            Err(e) => {
                app.error(format!("support bundle for {reference}: {e}"));
                Vec::new()
            }
        },
        Msg::Copied { what, result } => {
            match result {
                Ok(()) => app.info(format!(
                    "{what} copied to the clipboard (OSC 52; your terminal must allow it)"
                )),
                Err(e) => app.error(format!("could not copy the {what}: {e}")),
            }
            Vec::new()
        }
    }
}
