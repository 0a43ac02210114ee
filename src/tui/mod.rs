//! The operator console: a ratatui TUI over the same `payout` workflow the headless commands
//! use.
//!
//! - [`app`]: the state and the pure `update(&mut App, Action) -> Vec<Effect>`;
//!   [`flow`], [`review`], [`live`], [`history`]: the pane logic it dispatches to.
//! - [`keymap`]: the one key table (footer, help and overrides come from it); [`theme`].
//! - [`view`], [`layout`], [`panes`]: drawing, a pure function of `&App`.
//! - [`runtime`]: carries out effects on tokio tasks that report back as `Msg`s.
//!
//! The loop (slumber's shape) waits on terminal input, the message channel and — only while a
//! spinner or countdown is on screen — a 250 ms tick, and redraws after handling what arrived.

pub mod account;
pub mod app;
pub mod field;
pub mod flow;
pub mod history;
pub mod key;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod msg;
pub mod panes;
pub mod passcode;
pub mod pointer;
pub mod review;
pub mod runtime;
#[doc(hidden)]
pub mod testing;
pub mod theme;
pub mod view;

#[cfg(test)]
mod tests;

use std::io;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, MouseEventKind,
};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use self::app::{Action, App, Env, Msg, UuidSource, update};
use self::keymap::Keymap;
use self::runtime::Runtime;
use self::theme::Theme;
use crate::cli::{Cli, Connected, connect};
use crate::config::{Config, ConfigError, Paths};

/// The key table for this run: defaults, with the config's `[keys]` merged over them. A missing
/// config file (the `--sandbox` demo) means defaults; a bad entry is an error naming its key.
pub fn load_keymap(paths: &Paths) -> Result<Keymap, String> {
    match Config::load(&paths.config_file) {
        Ok(config) => Keymap::with_overrides(&config.keys).map_err(|errors| {
            let file = paths.config_file.display();
            errors
                .0
                .iter()
                .map(|e| format!("{file}: {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        Err(ConfigError::NotFound { .. }) => Ok(Keymap::default()),
        Err(e) => Err(e.to_string()),
    }
}

/// What the header and the form need from the connected profile.
pub fn env_of(conn: &Connected, paths: &Paths) -> Env {
    let p = &conn.profile;
    Env {
        profile: conn.profile_name.clone(),
        base_url: p.base_url.to_string(),
        api_version: p.api_version.clone(),
        operator: conn.engine.ctx.os_user.clone(),
        live: conn.is_live(),
        sandbox: conn.sandbox.is_some(),
        device: conn.engine.ctx.device.clone(),
        timeout: conn.engine.client.timeout(),
        phone: p.phone.clone(),
        user_id: p.user_id.clone(),
        accounts: p.payout_accounts.clone(),
        data_dir: paths.data_dir.clone(),
    }
}

/// Runs the console until the operator quits; returns the process exit code. Errors before the
/// terminal is taken over (config, credentials, keys) print to stderr. Logging goes wherever the
/// caller set it up (`cli::init_logging`: the log file), never to this terminal.
pub async fn run(cli: &Cli, paths: &Paths) -> i32 {
    // The sandbox demo needs no config: a broken file costs its [keys], said on screen, not
    // the demo. Elsewhere the console does not start on a config it cannot read.
    let mut config_warning = None;
    let keymap = match load_keymap(paths) {
        Ok(k) => k,
        Err(e) if cli.sandbox => {
            config_warning = Some(format!(
                "default keys: the config's [keys] could not be used ({})",
                e.lines().next().unwrap_or_default()
            ));
            Keymap::default()
        }
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let conn = match connect(cli, paths).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return e.exit_code();
        }
    };
    let env = env_of(&conn, paths);
    let mut app = App::new(
        env,
        keymap,
        Theme::from_env(),
        Utc::now(),
        UuidSource::Random,
    );
    if let Some(w) = config_warning {
        app.warn(w);
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut runtime = Runtime::new(conn.engine.clone(), tx, paths.data_dir.clone());

    // ratatui::try_init chains a panic hook that restores the terminal before the message
    // prints; ours, on top, first releases the mouse and bracketed paste.
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            ratatui::restore();
            eprintln!("error: cannot use this terminal: {e}");
            return 1;
        }
    };
    let restoring = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            let _ = crossterm::execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
            restoring(info);
        } else {
            // A background task: the console keeps running, so the message goes to the log
            // instead of across the screen.
            tracing::error!(panic = %info, "a background task panicked");
        }
    }));
    let _ = crossterm::execute!(io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    tracing::info!(profile = %app.env.profile, sandbox = app.env.sandbox, "console started");

    let result = event_loop(&mut terminal, &mut app, &mut runtime, &mut rx).await;

    let _ = crossterm::execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
    ratatui::restore();
    drop(runtime);
    drop(conn);
    match result {
        Ok(()) => {
            tracing::info!("console closed");
            0
        }
        Err(e) => {
            tracing::error!(error = %e, "terminal error");
            eprintln!("error: terminal: {e}");
            1
        }
    }
}

/// Terminal events the app cares about; mouse moves and focus changes are dropped here so they
/// never cost a redraw.
fn to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(_) | MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                Some(Action::Mouse(m))
            }
            _ => None,
        },
        Event::Paste(p) => Some(Action::Paste(p)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    runtime: &mut Runtime,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
) -> io::Result<()> {
    let mut events = EventStream::new();
    // SIGTERM, SIGINT, SIGQUIT (sent by `kill`: in raw mode the keys do not make them) or a
    // closed terminal end the console like `q`, so the terminal is restored.
    let mut term = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    for fx in app.start() {
        runtime.run(fx);
    }
    terminal.draw(|f| view::draw(f, app))?;
    let mut timing = FrameTiming::default();
    timing.first_frame(!app.history.rows.is_empty());
    loop {
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => to_action(ev),
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => Some(Action::msg(msg)),
            _ = tick.tick(), if app.needs_tick() => Some(Action::Tick(Utc::now())),
            _ = term.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
            _ = quit.recv() => return Ok(()),
        };
        let Some(action) = action else { continue };
        let key_at = matches!(action, Action::Key(_)).then(std::time::Instant::now);
        app.now = Utc::now();
        for fx in update(app, action) {
            runtime.run(fx);
        }
        // Everything already queued is handled before the next frame.
        while let Ok(msg) = rx.try_recv() {
            for fx in update(app, Action::msg(msg)) {
                runtime.run(fx);
            }
        }
        if app.quit {
            return Ok(());
        }
        terminal.draw(|f| view::draw(f, app))?;
        timing.drawn(key_at, !app.history.rows.is_empty(), app.live.is_some());
    }
}

/// Start-up and input latency, logged for `scripts/bench_tui.sh`: process start to the first
/// frame and to the first frame with a history page, and each keystroke to its frame (debug).
#[derive(Default)]
struct FrameTiming {
    history_shown: bool,
}

impl FrameTiming {
    fn first_frame(&mut self, history: bool) {
        tracing::info!(ms = crate::cli::since_start_ms(), "first frame drawn");
        self.history_shown = history;
    }

    fn drawn(&mut self, key_at: Option<std::time::Instant>, history: bool, payout: bool) {
        if history && !self.history_shown {
            self.history_shown = true;
            tracing::info!(
                ms = crate::cli::since_start_ms(),
                "first frame with a history page"
            );
        }
        if let Some(at) = key_at {
            tracing::debug!(us = at.elapsed().as_micros() as u64, payout, "key to frame");
        }
    }
}
