//! Robustness of the console's state and drawing against what an operator or a damaged history
//! can feed it: every size from 1x1, wide and combining characters, control characters, a
//! hand-edited reference, random key/mouse/paste/answer sequences. Several of these were found
//! by an audit and failed before their fixes (a panic on a non-ASCII reference; keys acting on
//! screens hidden behind "terminal too small").

use std::panic::{AssertUnwindSafe, catch_unwind};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

use super::super::app::{Action, App, Effect, Msg, update};
use super::super::testing::*;
use super::super::view;
use crate::api::LocalState;
use crate::journal::Page;

fn check_id(fx: &[Effect]) -> u64 {
    fx.iter()
        .find_map(|e| match e {
            Effect::CheckUnresolved { id, .. } => Some(*id),
            _ => None,
        })
        .expect("review opened")
}

/// A hand-edited history row (reference_id `abcdefgé…`, state unknown, account 18) is reported
/// as unresolved for account 18; Enter in the review must refuse with a message, not panic.
#[test]
fn an_unresolved_reference_with_non_ascii_text_does_not_panic_the_review() {
    let mut app = app();
    let fx = to_review(&mut app);
    let id = check_id(&fx);
    msg(
        &mut app,
        Msg::Unresolved {
            id,
            result: Ok(vec![(
                "abcdefgé-edited-by-hand".into(),
                LocalState::Unknown,
            )]),
        },
    );
    let r = catch_unwind(AssertUnwindSafe(|| press(&mut app, KeyCode::Enter)));
    assert!(r.is_ok(), "Enter in the review panicked");
}

fn draw_at(app: &mut App, w: u16, h: u16) {
    update(app, Action::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("backend");
    t.draw(|f| view::draw(f, app)).expect("draw");
}

fn with_rows(app: &mut App, rows: Vec<crate::journal::ExecutionRow>) {
    let fx = app.start();
    let Some(Effect::LoadHistory { id, page, .. }) =
        fx.iter().find(|e| matches!(e, Effect::LoadHistory { .. }))
    else {
        panic!("{fx:?}");
    };
    let n = rows.len() as u64;
    let page: Page = *page;
    msg(
        app,
        Msg::HistoryPage {
            id: *id,
            page,
            result: Ok((rows, n)),
        },
    );
}

fn weird_row(i: i64) -> crate::journal::ExecutionRow {
    let mut r = row(i);
    r.reference_id = format!("é😀中文\u{301}{i}-ref-👩‍👩‍👧");
    r.session_id = "会话😀😀😀😀😀😀".into();
    r.payout_account_id = "账户\u{0301}\u{0301}1234567".into();
    r.gateway_message = Some("\u{1b}[31mred\u{7}\ttab\nnewline 🚀".repeat(20));
    r.error = Some("x".repeat(5000));
    r.provider_transaction_id = Some("中".repeat(300));
    r
}

/// Draws a set of states at sizes from 1x1 to 130x45; reports every size that panics.
#[test]
fn every_state_draws_at_every_size_without_a_panic() {
    type Build = Box<dyn Fn() -> App>;
    let states: Vec<(&str, Build)> = vec![
        ("fresh", Box::new(app)),
        (
            "history",
            Box::new(|| {
                let mut a = app();
                with_rows(&mut a, (0..60).map(row).collect());
                a
            }),
        ),
        (
            "weird history",
            Box::new(|| {
                let mut a = app();
                with_rows(&mut a, (0..60).map(weird_row).collect());
                a
            }),
        ),
        (
            "review",
            Box::new(|| {
                let mut a = app();
                to_review(&mut a);
                a
            }),
        ),
        (
            "review live",
            Box::new(|| {
                let mut a = app_with(env(true));
                to_review(&mut a);
                type_text(&mut a, "😀中文e\u{301}");
                a
            }),
        ),
        (
            "sent",
            Box::new(|| {
                let mut a = app();
                to_review(&mut a);
                press(&mut a, KeyCode::Enter);
                a
            }),
        ),
        (
            "help",
            Box::new(|| {
                let mut a = app();
                press(&mut a, KeyCode::F(1));
                for _ in 0..200 {
                    press(&mut a, KeyCode::Down);
                }
                a
            }),
        ),
        (
            "detail",
            Box::new(|| {
                let mut a = app();
                with_rows(&mut a, (0..5).map(weird_row).collect());
                a.focus_pane(super::super::app::Pane::History);
                press(&mut a, KeyCode::Enter);
                for _ in 0..300 {
                    press(&mut a, KeyCode::Down);
                }
                a
            }),
        ),
        (
            "wide typing",
            Box::new(|| {
                let mut a = app();
                press(&mut a, KeyCode::Enter);
                type_text(&mut a, &"中😀e\u{301}".repeat(40));
                press(&mut a, KeyCode::Enter);
                type_text(&mut a, &"中".repeat(50));
                a
            }),
        ),
        (
            "history focused searching",
            Box::new(|| {
                let mut a = app();
                with_rows(&mut a, (0..60).map(weird_row).collect());
                a.focus_pane(super::super::app::Pane::History);
                press(&mut a, KeyCode::Char('/'));
                type_text(&mut a, &"é😀".repeat(80));
                for _ in 0..70 {
                    press(&mut a, KeyCode::PageDown);
                }
                a
            }),
        ),
        (
            "live focused failed",
            Box::new(|| {
                let mut a = app();
                with_rows(&mut a, (0..60).map(row).collect());
                to_review(&mut a);
                press(&mut a, KeyCode::Enter);
                let r = a.live.as_ref().unwrap().reference.clone();
                let mut resp = response("PROCESSING", true);
                resp.gateway_message = Some("😀中".repeat(200));
                resp.status = Some("weird\u{1b}[2J".into());
                let mut o = outcome(&r, LocalState::ActionRequired, Some(resp));
                o.error = Some("e\u{301}".repeat(300));
                msg(
                    &mut a,
                    Msg::Executed {
                        reference: r,
                        result: Ok(o),
                    },
                );
                a
            }),
        ),
        (
            "session problems",
            Box::new(|| {
                let mut a = app();
                press(&mut a, KeyCode::Enter);
                type_text(&mut a, "-1😀");
                press(&mut a, KeyCode::Enter);
                press(&mut a, KeyCode::Backspace);
                press(&mut a, KeyCode::Backspace);
                press(&mut a, KeyCode::Backspace);
                type_text(&mut a, "中中");
                ctrl(&mut a, 'x');
                a
            }),
        ),
        (
            "manual account",
            Box::new(|| {
                let mut a = app();
                for _ in 0..10 {
                    press(&mut a, KeyCode::Down);
                }
                press(&mut a, KeyCode::Enter);
                type_text(&mut a, &"中😀".repeat(60));
                press(&mut a, KeyCode::Enter);
                a
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (name, build) in &states {
        let mut app = build();
        // Every size where the layout changes shape (up to 30x12, around the 80x24 minimum), then
        // a sample of the rest.
        for w in (1..=130u16).filter(|w| *w <= 30 || (78..=82).contains(w) || w % 7 == 0) {
            for h in (1..=45u16).filter(|h| *h <= 12 || (22..=26).contains(h) || h % 5 == 0) {
                let r = catch_unwind(AssertUnwindSafe(|| draw_at(&mut app, w, h)));
                if r.is_err() {
                    failures.push(format!("{name} @ {w}x{h}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} panics, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(20)]
    );
}

#[test]
fn too_small_q_quits_even_from_a_text_field() {
    let mut app = app();
    press(&mut app, KeyCode::Enter); // account 18 -> amount field
    type_text(&mut app, "250");
    draw_at(&mut app, 20, 5);
    press(&mut app, KeyCode::Char('q'));
    assert!(
        app.quit,
        "still running; the amount field now holds {:?}",
        app.session.amount.value()
    );
}

/// 20x5 with the review open: the review is not on screen, but Enter still sends the payout.
#[test]
fn too_small_enter_never_sends_the_hidden_review() {
    let mut app = app();
    to_review(&mut app);
    draw_at(&mut app, 20, 5);
    let fx = press(&mut app, KeyCode::Enter);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Execute { .. })),
        "a payout was sent from a screen that only says `terminal too small`"
    );
}

#[test]
fn random_input_and_answers_never_panic() {
    use ratatui::crossterm::event::{
        KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
    };
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let keys = [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::F(1),
    ];
    let chars = [
        '?', '/', 'c', 'r', 'y', 'b', 'n', 'e', 's', 'j', 'k', '1', '8', '0', '5', 'é', '中', '😀',
        'U', 'S', 'D', ' ',
    ];
    let ctrls = ['x', 's', 't', 'n', 'o', 'l', 'u', 'w', 'a', 'e'];
    let mut failures = Vec::new();
    for run in 0..60 {
        let mut a = if run % 3 == 0 {
            app_with(env(true))
        } else {
            app()
        };
        let mut pending: Vec<Effect> = a.start();
        for step in 0..150 {
            let choice = rnd(10);
            let action = match choice {
                0..=3 => Action::Key(KeyEvent::new(
                    keys[rnd(keys.len() as u64) as usize],
                    KeyModifiers::NONE,
                )),
                4..=5 => Action::Key(KeyEvent::new(
                    KeyCode::Char(chars[rnd(chars.len() as u64) as usize]),
                    KeyModifiers::NONE,
                )),
                6 => Action::Key(KeyEvent::new(
                    KeyCode::Char(ctrls[rnd(ctrls.len() as u64) as usize]),
                    KeyModifiers::CONTROL,
                )),
                7 => Action::Mouse(MouseEvent {
                    kind: [
                        MouseEventKind::Down(MouseButton::Left),
                        MouseEventKind::ScrollDown,
                        MouseEventKind::ScrollUp,
                    ][rnd(3) as usize],
                    column: rnd(130) as u16,
                    row: rnd(45) as u16,
                    modifiers: KeyModifiers::NONE,
                }),
                8 => Action::Paste(
                    ["18", "250", "000000", "中😀\n\t", "231771234567"][rnd(5) as usize].into(),
                ),
                _ => {
                    // answer one pending effect
                    if pending.is_empty() {
                        continue;
                    }
                    let fx = pending.remove(rnd(pending.len() as u64) as usize);
                    let m = match fx {
                        Effect::LoadHistory { id, page, .. } => Msg::HistoryPage {
                            id,
                            page,
                            result: if rnd(5) == 0 {
                                Err("boom".into())
                            } else {
                                let n = rnd(60) as i64;
                                Ok((
                                    (0..n)
                                        .map(|i| if rnd(4) == 0 { weird_row(i) } else { row(i) })
                                        .collect(),
                                    n as u64,
                                ))
                            },
                        },
                        Effect::CreateSession {
                            id,
                            amount,
                            currency,
                            ..
                        } => Msg::SessionCreated {
                            id,
                            result: if rnd(4) == 0 {
                                Err("422: amount: too much".into())
                            } else {
                                Ok(session(&amount.to_string(), &currency))
                            },
                        },
                        Effect::CheckUnresolved { id, .. } => Msg::Unresolved {
                            id,
                            result: Ok(if rnd(2) == 0 {
                                vec![]
                            } else {
                                vec![("3a000001-7c1e".into(), LocalState::Processing)]
                            }),
                        },
                        Effect::Execute { plan, .. } => {
                            let r = plan.reference.to_string();
                            let st = [
                                LocalState::Completed,
                                LocalState::Processing,
                                LocalState::ActionRequired,
                                LocalState::Failed,
                                LocalState::Rejected,
                                LocalState::Unknown,
                            ][rnd(6) as usize];
                            Msg::Executed {
                                reference: r.clone(),
                                result: if rnd(6) == 0 {
                                    Err("guard".into())
                                } else {
                                    Ok(outcome(&r, st, Some(response("PROCESSING", rnd(2) == 0))))
                                },
                            }
                        }
                        Effect::LoadDetail { reference } => Msg::Detail {
                            reference: reference.clone(),
                            result: Ok((row(1), events(&reference))),
                        },
                        Effect::CheckStatus { reference } => Msg::StatusChecked {
                            reference,
                            result: Ok(crate::payout::Resolution::Known(LocalState::Completed)),
                        },
                        _ => continue,
                    };
                    Action::msg(m)
                }
            };
            let (w, h) = if rnd(4) == 0 {
                (1 + rnd(130) as u16, 1 + rnd(45) as u16)
            } else {
                (80 + rnd(50) as u16, 24 + rnd(20) as u16)
            };
            let r = catch_unwind(AssertUnwindSafe(|| {
                let fx = update(&mut a, action);
                draw_at(&mut a, w, h);
                fx
            }));
            match r {
                Ok(fx) => pending.extend(fx),
                Err(_) => {
                    failures.push(format!("run {run} step {step}"));
                    break;
                }
            }
            if a.quit {
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn help_scrolled_past_its_end_moves_back_on_the_first_up() {
    let mut app = app();
    update(&mut app, Action::Resize(100, 30));
    press(&mut app, KeyCode::F(1));
    for _ in 0..200 {
        press(&mut app, KeyCode::Down);
    }
    let snap = |app: &App| {
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| view::draw(f, app)).unwrap();
        format!("{:?}", t.backend().buffer())
    };
    let before = snap(&app);
    press(&mut app, KeyCode::Up);
    assert_ne!(
        before,
        snap(&app),
        "Up after scrolling past the end changed nothing"
    );
}
