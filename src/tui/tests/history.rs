//! History, mouse and key-table behaviour through `update`.

use std::collections::BTreeMap;

use ratatui::crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use crate::api::LocalState;
use crate::journal::Page;
use crate::tui::app::{Action, Effect, Msg, Pane, update};
use crate::tui::keymap::Keymap;
use crate::tui::testing::*;

#[test]
fn history_pages_by_keyset_and_never_holds_more_than_a_page() {
    let mut app = app();
    let fx = app.start();
    let Some(Effect::LoadHistory { id, page, .. }) =
        fx.iter().find(|e| matches!(e, Effect::LoadHistory { .. }))
    else {
        panic!("{fx:?}");
    };
    assert_eq!(*page, Page::first(50));
    let rows: Vec<_> = (0..50).map(row).collect();
    let last_seq = rows[49].seq;
    msg(
        &mut app,
        Msg::HistoryPage {
            id: *id,
            page: *page,
            result: Ok((rows, 1_000_000)),
        },
    );
    app.focus = Pane::History;
    for _ in 0..49 {
        assert!(press(&mut app, KeyCode::Down).is_empty());
    }
    let fx = press(&mut app, KeyCode::Down);
    let Some(Effect::LoadHistory { id, page, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(page.before, Some(last_seq));
    let rows2: Vec<_> = (50..100).map(row).collect();
    msg(
        &mut app,
        Msg::HistoryPage {
            id: *id,
            page: *page,
            result: Ok((rows2, 1_000_000)),
        },
    );
    assert_eq!(app.history.rows.len(), 50);
    assert_eq!(app.history.page_start(), 50);
    let fx = press(&mut app, KeyCode::Up);
    assert!(matches!(
        fx.first(),
        Some(Effect::LoadHistory {
            page: Page { before: None, .. },
            ..
        })
    ));
}

#[test]
fn history_search_is_typed_and_state_filter_cycles() {
    let mut app = app();
    app.focus = Pane::History;
    press(&mut app, KeyCode::Char('/'));
    let fx = type_text(&mut app, "q3a");
    assert!(!app.quit);
    let Some(Effect::LoadHistory { filter, .. }) = fx.last() else {
        panic!()
    };
    assert_eq!(filter.search.as_deref(), Some("q3a"));
    press(&mut app, KeyCode::Enter);
    let fx = press(&mut app, KeyCode::Char('s'));
    let Some(Effect::LoadHistory { filter, .. }) = fx.last() else {
        panic!()
    };
    assert!(
        filter.states.contains(&LocalState::Unknown)
            && !filter.states.contains(&LocalState::Completed)
    );
    let fx = press(&mut app, KeyCode::Esc);
    let Some(Effect::LoadHistory { filter, .. }) = fx.last() else {
        panic!()
    };
    assert_eq!(*filter, Default::default());
}

#[test]
fn a_click_focuses_the_pane_and_selects_the_history_row() {
    let mut app = app();
    let fx = app.start();
    let Some(Effect::LoadHistory { id, page, .. }) = fx.last() else {
        panic!()
    };
    msg(
        &mut app,
        Msg::HistoryPage {
            id: *id,
            page: *page,
            result: Ok(((0..10).map(row).collect(), 10)),
        },
    );
    // History takes the bottom of a 100x30 screen; after focusing it grows, so click twice.
    let click = |row| {
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut app, click(27));
    assert_eq!(app.focus, Pane::History);
    update(&mut app, click(16));
    assert!(app.history.selected > 0);
    update(&mut app, click(3));
    assert_eq!(app.focus, Pane::Account);
}

#[test]
fn a_click_on_a_row_of_the_unfocused_history_survives_the_reload_focusing_starts() {
    let mut app = app();
    let fx = app.start();
    let Some(Effect::LoadHistory { id, page, .. }) = fx.last() else {
        panic!()
    };
    let page_of = |id, page| Msg::HistoryPage {
        id,
        page,
        result: Ok(((0..10).map(row).collect(), 10)),
    };
    msg(&mut app, page_of(*id, *page));
    assert_eq!(app.history.selected, 0);
    assert_ne!(app.focus, Pane::History);
    // Unfocused, the history's rows start two lines below its top border (border, header).
    let (w, h) = app.size;
    let areas = crate::tui::layout::areas(ratatui::layout::Rect::new(0, 0, w, h), &app).unwrap();
    let fx = update(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row: areas.history.y + 2 + 1,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.focus, Pane::History);
    let Some(Effect::LoadHistory { id, page, .. }) = fx.last() else {
        panic!("focusing the history reloads it: {fx:?}")
    };
    msg(&mut app, page_of(*id, *page));
    assert_eq!(
        app.history.selected_row().map(|r| r.seq),
        Some(row(1).seq),
        "the clicked row, not the one selected before the click"
    );
}

#[test]
fn key_overrides_apply_to_the_app() {
    let keys = BTreeMap::from([("quit".to_string(), "x".to_string())]);
    let mut app = app();
    app.keymap = Keymap::with_overrides(&keys).unwrap();
    app.focus = Pane::Live;
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('x'));
    assert!(app.quit);
}

#[test]
fn quitting_while_sending_asks_twice() {
    let mut app = app();
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit && app.quit_armed);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn an_update_during_a_page_load_reloads_once_the_page_lands() {
    let mut app = app();
    let fx = app.start();
    let Some(Effect::LoadHistory { id, page, .. }) = fx.last() else {
        panic!()
    };
    let row0 = row(0);
    let fx = msg(&mut app, Msg::Row(row0.clone()));
    assert!(fx.is_empty());
    let fx = msg(
        &mut app,
        Msg::StatusChecked {
            reference: row0.reference_id.clone(),
            result: Ok(crate::payout::Resolution::Known(LocalState::Completed)),
        },
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::LoadHistory { .. })));
    let fx = msg(
        &mut app,
        Msg::HistoryPage {
            id: *id,
            page: *page,
            result: Ok((vec![row0], 1)),
        },
    );
    assert!(
        matches!(fx.as_slice(), [Effect::LoadHistory { .. }]),
        "{fx:?}"
    );
}

#[test]
fn the_export_notice_names_the_file_before_the_directory_a_narrow_line_cuts() {
    let mut app = app();
    let path = std::path::PathBuf::from(
        "/home/operator/.local/share/payout-console/exports/history-20261125-163000.csv",
    );
    msg(&mut app, Msg::Exported(Ok((path, 3))));
    let text = &app.notice.as_ref().expect("a notice").text;
    assert!(
        text.starts_with("exported 3 row(s): history-20261125-163000.csv in /home/"),
        "{text}"
    );
}

#[test]
fn a_paste_outside_a_text_field_filters_the_accounts_or_says_where_it_goes() {
    let mut app = app();
    assert_eq!(app.focus, Pane::Account);
    assert!(!app.typing());
    update(&mut app, Action::Paste("18".into()));
    assert!(app.account.filtering);
    assert_eq!(app.account.filter.value(), "18");
    app.focus = Pane::Live;
    update(&mut app, Action::Paste("12345".into()));
    let text = &app.notice.as_ref().expect("a notice").text;
    assert!(text.contains("pasted text"), "{text}");
}
