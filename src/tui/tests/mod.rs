//! State-update tests: keys and task reports through `update`, no terminal.

mod history;
mod keymap;
mod robustness;

use ratatui::crossterm::event::KeyCode;

use super::app::{Action, Effect, Msg, Overlay, Pane, update};
use super::flow::SessionState;
use super::live::Phase;
use super::testing::*;
use crate::api::LocalState;
use crate::journal::EventKind;
use crate::payout::Progress;

fn executes(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::Execute { .. }))
        .count()
}

fn review_message(app: &super::app::App) -> String {
    match &app.overlay {
        Some(Overlay::Review(r)) => r.message.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

#[test]
fn typing_q_and_question_mark_into_a_field_types_them() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, Pane::Session);
    type_text(&mut app, "q?/j");
    assert_eq!(app.session.amount.value(), "q?/j");
    assert!(!app.quit);
    assert!(app.overlay.is_none());
    // Esc leaves the field; then q quits.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn selecting_an_account_fills_the_currency_and_focuses_the_amount() {
    let mut app = app();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let chosen = app.account.chosen.clone().unwrap();
    assert_eq!(chosen.id, "20");
    assert_eq!(app.session.currency.value(), "LRD");
    assert_eq!(app.session.field, Some(super::flow::SessionField::Amount));
}

#[test]
fn the_account_filter_picks_the_first_match_with_enter() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "20");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.account.chosen.as_ref().map(|c| c.id.as_str()),
        Some("20")
    );
}

#[test]
fn an_account_id_can_be_entered_by_hand() {
    let mut app = app();
    for _ in 0..10 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    assert!(app.account.manual.is_some());
    press(&mut app, KeyCode::Enter);
    assert!(app.account.problem.is_some(), "an empty ID is refused");
    type_text(&mut app, "777");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.account.chosen.as_ref().map(|c| c.id.as_str()),
        Some("777")
    );
}

#[test]
fn invalid_fields_get_their_message_beside_them_and_nothing_is_sent() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "12,5");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "usd");
    let fx = press(&mut app, KeyCode::Enter);
    assert!(session_request(&fx).is_none());
    assert!(app.session.problems.contains_key("amount"));
    assert!(app.session.problems.contains_key("currency"));
    assert_eq!(app.focus, Pane::Session);
    assert_eq!(app.session.field, Some(super::flow::SessionField::Amount));
    // Fixing a field clears its message.
    for _ in 0..4 {
        press(&mut app, KeyCode::Backspace);
    }
    assert!(!app.session.problems.contains_key("amount"));

    // The passcode pane: a phone with `+` and an empty code.
    let mut app = super::testing::app();
    to_review(&mut app);
    press(&mut app, KeyCode::Esc);
    app.passcode.payee.set("+231771234567");
    app.passcode.code.clear();
    let fx = ctrl(&mut app, 'x');
    assert_eq!(executes(&fx), 0);
    assert!(app.overlay.is_none());
    assert!(app.passcode.problems["phone"].contains("without `+`"));
    assert!(app.passcode.problems.contains_key("code"));
}

#[test]
fn the_flow_from_account_to_confirm_executes_exactly_once() {
    let mut app = app();
    let fx = to_review(&mut app);
    assert_eq!(executes(&fx), 0, "nothing is sent before the confirmation");
    assert!(matches!(app.overlay, Some(Overlay::Review(_))));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::CheckUnresolved { .. }))
    );
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(executes(&fx), 1);
    let Some(Effect::Execute { plan }) = fx.first() else {
        panic!("{fx:?}");
    };
    assert_eq!(plan.account, "18");
    assert_eq!(plan.session_id, "42");
    assert!(!plan.allow_unresolved);
    assert_eq!(plan.reference, app.passcode.reference);
    assert_eq!(app.focus, Pane::Live);
    // The code was handed over and wiped.
    assert!(app.passcode.code.is_empty());
    // A second Enter (and a second review) never sends again.
    let mut again = press(&mut app, KeyCode::Enter);
    again.extend(press(&mut app, KeyCode::Enter));
    app.focus_pane(Pane::Passcode);
    again.extend(press(&mut app, KeyCode::Enter));
    again.extend(ctrl(&mut app, 'x'));
    again.extend(press(&mut app, KeyCode::Enter));
    assert_eq!(executes(&again), 0, "{again:?}");
}

#[test]
fn a_live_profile_needs_the_typed_confirmation() {
    let mut app = app_with(env(true));
    to_review(&mut app);
    assert!(app.typing(), "the confirmation is a text field");
    assert_eq!(executes(&press(&mut app, KeyCode::Enter)), 0);
    assert!(review_message(&app).contains("LIVE"));
    type_text(&mut app, "q");
    assert!(!app.quit, "q is typed into the confirmation");
    assert_eq!(executes(&press(&mut app, KeyCode::Enter)), 0);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "250.00");
    assert_eq!(
        executes(&press(&mut app, KeyCode::Enter)),
        1,
        "the amount confirms"
    );

    let mut app = app_with(env(true));
    to_review(&mut app);
    type_text(&mut app, "18");
    assert_eq!(
        executes(&press(&mut app, KeyCode::Enter)),
        1,
        "the account's last 4 confirm"
    );
}

#[test]
fn the_review_waits_for_the_session_and_refuses_an_expired_one() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "250");
    press(&mut app, KeyCode::Enter);
    let fx = press(&mut app, KeyCode::Enter);
    let id = session_request(&fx).unwrap();
    type_text(&mut app, "000000");
    press(&mut app, KeyCode::Enter);
    assert_eq!(executes(&press(&mut app, KeyCode::Enter)), 0);
    assert!(review_message(&app).contains("waiting for the session"));
    // A stale answer is ignored; the right one unblocks.
    msg(
        &mut app,
        Msg::SessionCreated {
            id: id + 100,
            result: Ok(session("1", "USD")),
        },
    );
    assert!(matches!(app.session.state, SessionState::Creating { .. }));
    msg(
        &mut app,
        Msg::SessionCreated {
            id,
            result: Ok(session("250", "USD")),
        },
    );
    // Sixteen minutes later the session has expired: refused before sending.
    update(&mut app, Action::Tick(t0() + chrono::Duration::minutes(16)));
    assert_eq!(executes(&press(&mut app, KeyCode::Enter)), 0);
    assert!(
        review_message(&app).contains("expired"),
        "{}",
        review_message(&app)
    );
}

#[test]
fn esc_while_in_flight_stops_waiting_and_the_row_becomes_unknown_not_failed() {
    let mut app = app();
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let reference = app.live.as_ref().unwrap().reference.clone();
    msg(
        &mut app,
        Msg::Progress {
            reference: reference.clone(),
            progress: Progress::Sending {
                attempt: 1,
                timeout: std::time::Duration::from_secs(30),
            },
        },
    );
    assert!(app.needs_tick(), "the spinner runs while the call is out");
    let fx = press(&mut app, KeyCode::Esc);
    assert!(matches!(&fx[..], [Effect::StopWaiting { reference: r }] if *r == reference));
    msg(
        &mut app,
        Msg::Progress {
            reference: reference.clone(),
            progress: Progress::StoppedWaiting,
        },
    );
    msg(
        &mut app,
        Msg::Executed {
            reference: reference.clone(),
            result: Ok(outcome(&reference, LocalState::Unknown, None)),
        },
    );
    let live = app.live.as_ref().unwrap();
    assert_eq!(live.state, LocalState::Unknown);
    assert_eq!(live.phase, Phase::Stopped);
    // Checking the status later resumes following when it is not final.
    let fx = press(&mut app, KeyCode::Char('c'));
    assert!(matches!(&fx[..], [Effect::CheckStatus { .. }]));
    let fx = msg(
        &mut app,
        Msg::StatusChecked {
            reference: reference.clone(),
            result: Ok(crate::payout::Resolution::Known(LocalState::Processing)),
        },
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::Follow { .. })));
}

#[test]
fn a_status_check_that_finds_it_final_ends_the_stopped_payout() {
    let mut app = app();
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let r = app.live.as_ref().unwrap().reference.clone();
    press(&mut app, KeyCode::Esc);
    let mut o = outcome(&r, LocalState::Unknown, None);
    o.error = Some("the operator stopped waiting".into());
    msg(
        &mut app,
        Msg::Executed {
            reference: r.clone(),
            result: Ok(o),
        },
    );
    press(&mut app, KeyCode::Char('c'));
    let fx = msg(
        &mut app,
        Msg::StatusChecked {
            reference: r.clone(),
            result: Ok(crate::payout::Resolution::Known(LocalState::Completed)),
        },
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::Follow { .. })));
    let mut done = row(0);
    done.reference_id = r.clone();
    done.error = None;
    msg(&mut app, Msg::Row(done));
    let live = app.live.as_ref().unwrap();
    assert_eq!(
        (live.state, &live.phase),
        (LocalState::Completed, &Phase::Done)
    );
    assert_eq!(live.error, None);
}

#[test]
fn the_status_is_followed_pending_processing_completed() {
    let mut app = app();
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let r = app.live.as_ref().unwrap().reference.clone();
    msg(
        &mut app,
        Msg::Executed {
            reference: r.clone(),
            result: Ok(outcome(
                &r,
                LocalState::Pending,
                Some(response("PENDING", false)),
            )),
        },
    );
    assert_eq!(app.live.as_ref().unwrap().phase, Phase::Following);
    let fx = msg(
        &mut app,
        Msg::Progress {
            reference: r.clone(),
            progress: Progress::Polled {
                state: LocalState::Processing,
                status: Some("PROCESSING".into()),
            },
        },
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadRow { .. })),
        "fields refresh from the journal"
    );
    assert_eq!(app.live.as_ref().unwrap().state, LocalState::Processing);
    msg(
        &mut app,
        Msg::Followed {
            reference: r.clone(),
            result: Ok(outcome(
                &r,
                LocalState::Completed,
                Some(response("COMPLETED", false)),
            )),
        },
    );
    let live = app.live.as_ref().unwrap();
    assert_eq!(
        (live.state, &live.phase),
        (LocalState::Completed, &Phase::Done)
    );
    assert!(!app.needs_tick(), "nothing time-based is left on screen");
}

#[test]
fn requires_action_reveal_and_copy_are_recorded_as_events() {
    let mut app = app();
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let r = app.live.as_ref().unwrap().reference.clone();
    msg(
        &mut app,
        Msg::Executed {
            reference: r.clone(),
            result: Ok(outcome(
                &r,
                LocalState::ActionRequired,
                Some(response("PROCESSING", true)),
            )),
        },
    );
    assert_eq!(
        app.live.as_ref().unwrap().phase,
        Phase::Following,
        "keeps following until final"
    );
    let fx = press(&mut app, KeyCode::Char('r'));
    assert!(matches!(
        &fx[..],
        [Effect::RecordEvent {
            kind: EventKind::SecretRevealed,
            ..
        }]
    ));
    assert!(app.live.as_ref().unwrap().revealed);
    assert!(
        press(&mut app, KeyCode::Char('r')).is_empty(),
        "hiding records nothing"
    );
    let fx = press(&mut app, KeyCode::Char('y'));
    assert!(matches!(
        &fx[..],
        [
            Effect::Copy {
                what: "client_secret",
                ..
            },
            Effect::RecordEvent {
                kind: EventKind::SecretCopied,
                ..
            }
        ]
    ));
    // Once final, the secret leaves memory; only its hint stays on screen.
    msg(
        &mut app,
        Msg::Followed {
            reference: r.clone(),
            result: Ok(outcome(
                &r,
                LocalState::Completed,
                Some(response("COMPLETED", false)),
            )),
        },
    );
    let live = app.live.as_ref().unwrap();
    assert!(live.secret.is_none() && !live.revealed);
    assert!(live.secret_hint.is_some());
    assert!(press(&mut app, KeyCode::Char('y')).is_empty());
}

#[test]
fn an_unresolved_payout_to_the_account_needs_the_override() {
    let mut app = app();
    let fx = to_review(&mut app);
    let id = fx
        .iter()
        .find_map(|e| match e {
            Effect::CheckUnresolved { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap();
    msg(
        &mut app,
        Msg::Unresolved {
            id,
            result: Ok(vec![("9f8e7d6c-aaaa".into(), LocalState::Processing)]),
        },
    );
    assert_eq!(executes(&press(&mut app, KeyCode::Enter)), 0);
    assert!(review_message(&app).contains("unresolved"));
    ctrl(&mut app, 'o');
    let fx = press(&mut app, KeyCode::Enter);
    assert!(matches!(&fx[..], [Effect::Execute { plan }] if plan.allow_unresolved));
}

#[test]
fn a_new_payout_gets_a_new_reference_and_starts_at_the_account() {
    let mut app = app();
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let first = app.passcode.reference;
    let r = first.to_string();
    assert_eq!(
        press(&mut app, KeyCode::Char('n')).len(),
        0,
        "refused while the call is out"
    );
    msg(
        &mut app,
        Msg::Executed {
            reference: r.clone(),
            result: Ok(outcome(
                &r,
                LocalState::Completed,
                Some(response("COMPLETED", false)),
            )),
        },
    );
    press(&mut app, KeyCode::Char('n'));
    assert_ne!(app.passcode.reference, first);
    assert_eq!(app.passcode.reference.get_version_num(), 4);
    assert_eq!(app.focus, Pane::Account);
    assert!(app.account.chosen.is_none());
    assert_eq!(app.session.amount.value(), "");
}

#[test]
fn a_payout_task_that_dies_mid_send_is_shown_not_final_never_not_sent() {
    let mut app = app();
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let reference = app.live.as_ref().unwrap().reference.clone();
    // What the runtime's watcher sends when the execute task panicked.
    msg(
        &mut app,
        Msg::Followed {
            reference: reference.clone(),
            result: Err("the payout task stopped on an internal error".into()),
        },
    );
    let live = app.live.as_ref().unwrap();
    assert_eq!(live.phase, Phase::Stopped);
    assert!(!live.state.is_final());
    assert!(
        live.last_problem
            .as_deref()
            .unwrap()
            .contains("internal error")
    );
    // The status can be asked from there.
    let fx = press(&mut app, KeyCode::Char('c'));
    assert!(matches!(&fx[..], [Effect::CheckStatus { .. }]));
}
