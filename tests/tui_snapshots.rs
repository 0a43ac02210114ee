//! Snapshots of every pane and state, drawn into ratatui's `TestBackend`. The clock and the
//! references are fixed (see `tui::testing`), so the text is exact.

use payout_console::api::LocalState;
use payout_console::api::wire::FieldError;
use payout_console::journal::Page;
use payout_console::payout::Progress;
use payout_console::tui::app::{Action, App, Effect, Msg, Pane, update};
use payout_console::tui::testing::*;
use payout_console::tui::theme::Theme;
use payout_console::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::Color;

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    update(app, Action::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    t.draw(|f| view::draw(f, app)).expect("draw");
    t
}

macro_rules! snap {
    ($name:expr, $app:expr) => {
        insta::assert_snapshot!($name, draw($app, 100, 30).backend())
    };
}

/// Answers the first history request with `n` rows.
fn with_history(app: &mut App, n: i64) {
    let fx = app.start();
    let Some(Effect::LoadHistory { id, page, .. }) =
        fx.iter().find(|e| matches!(e, Effect::LoadHistory { .. }))
    else {
        panic!("{fx:?}");
    };
    let rows = (0..n).map(row).collect();
    msg(
        app,
        Msg::HistoryPage {
            id: *id,
            page: *page,
            result: Ok((rows, n as u64)),
        },
    );
}

/// A confirmed payout on account 18 whose execute answer is `state`.
fn sent(state: LocalState, resp: Option<payout_console::api::wire::ExecutionResponse>) -> App {
    let mut app = app();
    with_history(&mut app, 4);
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let r = app.live.as_ref().expect("live").reference.clone();
    msg(
        &mut app,
        Msg::Progress {
            reference: r.clone(),
            progress: Progress::Sending {
                attempt: 1,
                timeout: std::time::Duration::from_secs(30),
            },
        },
    );
    if state != LocalState::Sending {
        msg(
            &mut app,
            Msg::Executed {
                reference: r.clone(),
                result: Ok(outcome(&r, state, resp)),
            },
        );
    }
    app
}

#[test]
fn empty_console() {
    let mut app = app();
    with_history(&mut app, 0);
    snap!("empty", &mut app);
}

#[test]
fn account_list_filtered() {
    let mut app = app();
    with_history(&mut app, 3);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "2");
    snap!("account_filtered", &mut app);
}

#[test]
fn session_filled_with_countdown_and_passcode_focused() {
    let mut app = app();
    with_history(&mut app, 3);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "250");
    press(&mut app, KeyCode::Enter);
    let fx = press(&mut app, KeyCode::Enter);
    let id = session_request(&fx).expect("session requested");
    msg(
        &mut app,
        Msg::SessionCreated {
            id,
            result: Ok(session("250", "USD")),
        },
    );
    update(&mut app, Action::Tick(t0() + chrono::Duration::seconds(75)));
    type_text(&mut app, "0000");
    snap!("session_filled", &mut app);
}

#[test]
fn invalid_fields_show_their_messages() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "12,5");
    press(&mut app, KeyCode::Enter);
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "usd");
    press(&mut app, KeyCode::Enter);
    snap!("invalid_session", &mut app);

    let mut app = payout_console::tui::testing::app();
    to_review(&mut app);
    press(&mut app, KeyCode::Esc);
    app.passcode.payee.set("+23177");
    app.passcode.code.clear();
    ctrl(&mut app, 'x');
    snap!("invalid_passcode", &mut app);
}

#[test]
fn review_step() {
    let mut app = app();
    with_history(&mut app, 3);
    let fx = to_review(&mut app);
    let id = fx
        .iter()
        .find_map(|e| match e {
            Effect::CheckUnresolved { id, .. } => Some(*id),
            _ => None,
        })
        .expect("check");
    msg(
        &mut app,
        Msg::Unresolved {
            id,
            result: Ok(vec![]),
        },
    );
    snap!("review", &mut app);
}

#[test]
fn review_on_a_live_profile_asks_for_a_typed_confirmation() {
    let mut app = app_with(env(true));
    to_review(&mut app);
    type_text(&mut app, "12");
    press(&mut app, KeyCode::Enter);
    snap!("review_live", &mut app);
}

#[test]
fn in_flight() {
    let mut app = sent(LocalState::Sending, None);
    update(
        &mut app,
        Action::Tick(t0() + chrono::Duration::milliseconds(2400)),
    );
    snap!("in_flight", &mut app);
}

#[test]
fn each_local_state() {
    let cases = [
        (
            "state_pending",
            LocalState::Pending,
            Some(response("PENDING", false)),
        ),
        (
            "state_completed",
            LocalState::Completed,
            Some(response("COMPLETED", false)),
        ),
        (
            "state_failed",
            LocalState::Failed,
            Some(response("FAILED", false)),
        ),
    ];
    for (name, state, resp) in cases {
        let mut app = sent(state, resp);
        snap!(name, &mut app);
    }

    let mut app = sent(LocalState::Pending, Some(response("PENDING", false)));
    let r = app.live.as_ref().expect("live").reference.clone();
    msg(
        &mut app,
        Msg::Progress {
            reference: r,
            progress: Progress::Polled {
                state: LocalState::Processing,
                status: Some("PROCESSING".into()),
            },
        },
    );
    update(&mut app, Action::Tick(t0() + chrono::Duration::seconds(4)));
    snap!("state_processing", &mut app);
}

#[test]
fn rejected_with_422_field_items() {
    let mut app = sent(LocalState::Sending, None);
    let r = app.live.as_ref().expect("live").reference.clone();
    let mut o = outcome(&r, LocalState::Rejected, None);
    o.http_status = Some(422);
    o.error = Some("rejected (422): nothing executed".into());
    o.field_errors = vec![
        FieldError {
            field: "reference_id".into(),
            msg: "reference already used for another payment".into(),
            kind: "value_error".into(),
        },
        FieldError {
            field: "passcode.token.phone".into(),
            msg: "Field required".into(),
            kind: "missing".into(),
        },
    ];
    msg(
        &mut app,
        Msg::Executed {
            reference: r,
            result: Ok(o),
        },
    );
    snap!("state_rejected", &mut app);
}

#[test]
fn unknown_after_stop_waiting() {
    let mut app = sent(LocalState::Sending, None);
    let r = app.live.as_ref().expect("live").reference.clone();
    press(&mut app, KeyCode::Esc);
    msg(
        &mut app,
        Msg::Progress {
            reference: r.clone(),
            progress: Progress::StoppedWaiting,
        },
    );
    let mut o = outcome(&r, LocalState::Unknown, None);
    o.error = Some("the operator stopped waiting for the answer; the payout may have executed: check its status".into());
    msg(
        &mut app,
        Msg::Executed {
            reference: r,
            result: Ok(o),
        },
    );
    snap!("state_unknown", &mut app);
}

#[test]
fn action_required_masked_then_revealed() {
    let mut app = sent(
        LocalState::ActionRequired,
        Some(response("PROCESSING", true)),
    );
    snap!("state_action_required_masked", &mut app);
    press(&mut app, KeyCode::Char('r'));
    snap!("state_action_required_revealed", &mut app);
}

#[test]
fn history_page_focused() {
    let mut app = app();
    with_history(&mut app, 50);
    app.focus_pane(Pane::History);
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    snap!("history", &mut app);
}

#[test]
fn history_with_a_filter() {
    let mut app = app();
    with_history(&mut app, 0);
    app.focus_pane(Pane::History);
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('/'));
    let fx = type_text(&mut app, "3a00");
    let Some(Effect::LoadHistory { id, page, filter }) = fx.last() else {
        panic!("{fx:?}");
    };
    assert_eq!(filter.search.as_deref(), Some("3a00"));
    let rows: Vec<_> = (0..12).map(row).filter(|r| !r.state.is_final()).collect();
    let n = rows.len() as u64;
    msg(
        &mut app,
        Msg::HistoryPage {
            id: *id,
            page: *page,
            result: Ok((rows, n)),
        },
    );
    press(&mut app, KeyCode::Enter);
    snap!("history_filtered", &mut app);
}

#[test]
fn history_detail_with_events() {
    let mut app = app();
    with_history(&mut app, 5);
    app.focus_pane(Pane::History);
    let fx = press(&mut app, KeyCode::Enter);
    let Some(Effect::LoadDetail { reference }) = fx.first() else {
        panic!("{fx:?}");
    };
    let r = reference.clone();
    msg(
        &mut app,
        Msg::Detail {
            reference: r.clone(),
            result: Ok((row(0), events(&r))),
        },
    );
    snap!("history_detail", &mut app);
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    let t = draw(&mut app, 100, 60);
    insta::assert_snapshot!("help", t.backend());
}

#[test]
fn too_small_terminals_get_a_message_never_a_panic() {
    let mut app = app();
    insta::assert_snapshot!("too_small", draw(&mut app, 20, 5).backend());
    for (w, h) in [(1, 1), (0, 0), (79, 24), (80, 23), (2, 40), (300, 2)] {
        draw(&mut app, w, h);
    }
    let t = draw(&mut app, 79, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("need 80x24, have 79x24"), "{text}");
}

#[test]
fn minimum_size_main_screen() {
    let mut app = sent(LocalState::Completed, Some(response("COMPLETED", false)));
    insta::assert_snapshot!("min_80x24", draw(&mut app, 80, 24).backend());
}

#[test]
fn no_color_draws_without_colours() {
    let mut app = sent(
        LocalState::ActionRequired,
        Some(response("PROCESSING", true)),
    );
    app.theme = Theme::monochrome();
    let t = draw(&mut app, 100, 30);
    for cell in t.backend().buffer().content() {
        assert!(matches!(cell.fg, Color::Reset), "{cell:?}");
        assert!(matches!(cell.bg, Color::Reset), "{cell:?}");
    }
    let mut app = sent(LocalState::Completed, Some(response("COMPLETED", false)));
    let t = draw(&mut app, 100, 30);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg == Color::Green)
    );
}

#[test]
fn e2e_markers_are_on_screen() {
    // The end-to-end test reads these words off the real terminal.
    let mut app = sent(LocalState::Completed, Some(response("COMPLETED", false)));
    let fx = app.history_reload(true);
    let Some(Effect::LoadHistory { id, page, .. }) = fx.first() else {
        panic!()
    };
    let mut done = row(0);
    done.reference_id = app.live.as_ref().expect("live").reference.clone();
    msg(
        &mut app,
        Msg::HistoryPage {
            id: *id,
            page: Page { ..*page },
            result: Ok((vec![done.clone()], 1)),
        },
    );
    let text = format!("{}", draw(&mut app, 80, 24).backend());
    assert!(text.contains("COMPLETED"), "{text}");
    assert!(text.contains("completed"), "{text}");
    assert!(text.contains(&done.reference_id[..8]), "{text}");
}

/// The console without a terminal: the real runtime and engine against the embedded sandbox,
/// driven by keys through `update` (slumber's harness shape).
mod headless {
    use std::time::{Duration, Instant};

    use clap::Parser;
    use payout_console::api::LocalState;
    use payout_console::cli::{Cli, connect};
    use payout_console::config::Paths;
    use payout_console::tui::app::{Action, App, Msg, Pane, UuidSource, update};
    use payout_console::tui::env_of;
    use payout_console::tui::keymap::Keymap;
    use payout_console::tui::runtime::Runtime;
    use payout_console::tui::theme::Theme;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    struct Console {
        app: App,
        rt: Runtime,
        rx: UnboundedReceiver<Msg>,
    }

    impl Console {
        fn act(&mut self, a: Action) {
            self.app.now = chrono::Utc::now();
            for fx in update(&mut self.app, a) {
                self.rt.run(fx);
            }
        }

        fn keys(&mut self, text: &str) {
            for c in text.chars() {
                let code = match c {
                    '\n' => KeyCode::Enter,
                    c => KeyCode::Char(c),
                };
                self.act(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
            }
        }

        /// Handles task reports until `done` holds (or fails after `secs`).
        async fn until(&mut self, what: &str, secs: u64, done: impl Fn(&App) -> bool) {
            let deadline = Instant::now() + Duration::from_secs(secs);
            while !done(&self.app) {
                let left = deadline.saturating_duration_since(Instant::now());
                assert!(
                    !left.is_zero(),
                    "timed out waiting for {what}: {:?}",
                    self.app.live
                );
                if let Ok(Some(m)) = tokio::time::timeout(left, self.rx.recv()).await {
                    self.act(Action::msg(m));
                }
            }
        }

        fn live_state(&self) -> Option<LocalState> {
            self.app.live.as_ref().map(|e| e.state)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sandbox_payouts_run_to_completed_through_the_runtime() {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths = Paths {
            config_file: dir.path().join("absent.toml"),
            data_dir: dir.path().to_path_buf(),
            log_file: dir.path().join("logs").join("console.log"),
        };
        let cli = Cli::parse_from(["payout-console", "--sandbox"]);
        let conn = connect(&cli, &paths).await.expect("sandbox");
        let base = conn
            .sandbox
            .as_ref()
            .expect("sandbox handle")
            .base_url
            .clone();
        let env = env_of(&conn, &paths);
        let app = App::new(
            env,
            Keymap::default(),
            Theme::monochrome(),
            chrono::Utc::now(),
            UuidSource::Random,
        );
        let (tx, rx) = unbounded_channel();
        let rt = Runtime::new(conn.engine.clone(), tx, paths.data_dir.clone());
        let mut c = Console { app, rt, rx };
        let start = c.app.start();
        for fx in start {
            c.rt.run(fx);
        }

        // Account 18: Enter, amount, Enter, Enter (session), code, Enter (review), Enter (send).
        c.keys("\n250\n\n");
        c.until("the session", 10, |a| a.session.ready().is_some())
            .await;
        c.keys("000000\n\n");
        assert_eq!(c.app.focus, Pane::Live);
        c.until("completed", 20, |a| {
            a.live
                .as_ref()
                .is_some_and(|e| e.state == LocalState::Completed)
        })
        .await;
        let first = c.app.live.as_ref().expect("live").reference.clone();

        // Account 20: n, filter, amount, session, code, review, send; then the 3-D Secure step.
        c.keys("n/20\n250\n\n");
        c.until("the second session", 10, |a| a.session.ready().is_some())
            .await;
        c.keys("000000\n\n");
        c.until("action_required with its secret", 20, |a| {
            a.live
                .as_ref()
                .is_some_and(|e| e.state == LocalState::ActionRequired && e.secret.is_some())
        })
        .await;
        let second = c.app.live.as_ref().expect("live").reference.clone();
        assert_ne!(first, second);
        payout_console::api::use_ring_for_tls();
        let confirmed = reqwest::Client::new()
            .post(format!(
                "{}/_sandbox/confirm/{second}",
                base.trim_end_matches('/')
            ))
            .send()
            .await
            .expect("confirm");
        assert!(confirmed.status().is_success());
        c.until("completed after 3-D Secure", 40, |a| {
            a.live
                .as_ref()
                .is_some_and(|e| e.state == LocalState::Completed)
        })
        .await;
        assert_eq!(c.live_state(), Some(LocalState::Completed));
        assert!(
            c.app.live.as_ref().expect("live").secret.is_none(),
            "the secret left memory"
        );

        // Both are in the history pane, newest first.
        c.until("the history", 10, |a| {
            a.history.rows.len() >= 2
                && a.history
                    .rows
                    .iter()
                    .all(|r| r.state == LocalState::Completed)
        })
        .await;
        let refs: Vec<_> = c
            .app
            .history
            .rows
            .iter()
            .map(|r| r.reference_id.clone())
            .collect();
        assert_eq!(refs[..2], [second, first]);
        c.keys("q");
        assert!(c.app.quit);
    }
}
