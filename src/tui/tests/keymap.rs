//! The key table: parsing, resolution, overrides and conflicts.

use std::collections::BTreeMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::keymap::*;

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

#[test]
fn default_keys_have_no_conflicts_in_any_pane() {
    assert!(Keymap::default().conflicts(&BTreeMap::new()).is_empty());
}

#[test]
fn typing_q_in_a_field_types_it_instead_of_quitting() {
    let km = Keymap::default();
    let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
    assert_eq!(km.resolve(Ctx::Passcode, &q, true), InputAction::Edit(q));
    assert_eq!(
        km.resolve(Ctx::Live, &q, false),
        InputAction::Cmd(Cmd::Quit)
    );
    // Non-editing keys still work while typing.
    let tab = ev(KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(
        km.resolve(Ctx::Session, &tab, true),
        InputAction::Cmd(Cmd::NextPane)
    );
    let x = ev(KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert_eq!(
        km.resolve(Ctx::Passcode, &x, true),
        InputAction::Cmd(Cmd::Execute)
    );
}

#[test]
fn pane_bindings_win_and_shift_is_part_of_the_character() {
    let km = Keymap::default();
    let esc = ev(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        km.resolve(Ctx::Live, &esc, false),
        InputAction::Cmd(Cmd::StopWaiting)
    );
    assert_eq!(
        km.resolve(Ctx::Review, &esc, false),
        InputAction::Cmd(Cmd::Back)
    );
    let help = ev(KeyCode::Char('?'), KeyModifiers::SHIFT);
    assert_eq!(
        km.resolve(Ctx::History, &help, false),
        InputAction::Cmd(Cmd::Help)
    );
    let backtab = ev(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(
        km.resolve(Ctx::History, &backtab, false),
        InputAction::Cmd(Cmd::PrevPane)
    );
}

#[test]
fn an_override_replaces_the_default_key() {
    let o = BTreeMap::from([("check_status".to_string(), "ctrl-g".to_string())]);
    let km = Keymap::with_overrides(&o).unwrap();
    let c = ev(KeyCode::Char('c'), KeyModifiers::NONE);
    let cs = ev(KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(km.resolve(Ctx::History, &c, false), InputAction::Ignore);
    assert_eq!(
        km.resolve(Ctx::History, &cs, false),
        InputAction::Cmd(Cmd::CheckStatus)
    );
    assert_eq!(
        km.resolve(Ctx::Live, &cs, false),
        InputAction::Cmd(Cmd::CheckStatus)
    );
    assert!(km.footer(Ctx::History).iter().any(|(k, _)| k == "ctrl-g"));
}

#[test]
fn conflicting_unknown_and_unparsable_overrides_are_reported_by_key() {
    let o = BTreeMap::from([("export_csv".to_string(), "q".to_string())]);
    let err = Keymap::with_overrides(&o).unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(err.0[0].key, "keys.export_csv");
    assert!(err.0[0].message.contains("`quit`"), "{}", err.0[0].message);

    let o = BTreeMap::from([
        ("qiut".to_string(), "x".to_string()),
        ("help".to_string(), "ctrl-".to_string()),
        ("quit".to_string(), "f13".to_string()),
    ]);
    let err = Keymap::with_overrides(&o).unwrap_err();
    let keys: Vec<_> = err.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["keys.help", "keys.qiut", "keys.quit"]);
    assert!(err.to_string().contains("no such action"));

    // A conflict is reported alongside a bad entry, not hidden behind it.
    let o = BTreeMap::from([
        ("check_status".to_string(), "q".to_string()),
        ("export_csv".to_string(), "ctrl-".to_string()),
    ]);
    let err = Keymap::with_overrides(&o).unwrap_err();
    let keys: Vec<_> = err.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["keys.export_csv", "keys.check_status"]);
    assert!(
        err.0[1].message.contains("Live status, History"),
        "{}",
        err.0[1].message
    );
}

#[test]
fn key_names_parse_and_print() {
    for (text, shown) in [
        ("q", "q"),
        ("ctrl-x", "ctrl-x"),
        ("Ctrl+X", "ctrl-x"),
        ("shift-tab", "S-Tab"),
        ("pgdn", "PgDn"),
        ("f5", "F5"),
        ("space", "space"),
        ("alt-r", "alt-r"),
        ("?", "?"),
    ] {
        assert_eq!(Key::parse(text).unwrap().to_string(), shown, "{text}");
    }
    assert!(Key::parse("").is_err());
    assert!(Key::parse("enterr").is_err());
}

#[test]
fn every_command_is_described_for_help() {
    let km = Keymap::default();
    for b in &km.bindings {
        assert!(!b.desc.is_empty() && !b.keys.is_empty(), "{}", b.name);
    }
    assert!(action_names().contains(&"stop_waiting"));
}

#[test]
fn the_keymap_asset_matches_the_key_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/keymap.toml");
    let want = default_toml();
    if std::env::var_os("UPDATE_KEYMAP_ASSET").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        have, want,
        "run with UPDATE_KEYMAP_ASSET=1 to regenerate {path}"
    );
    // Every line but the header is a commented `name = "key"` entry that parses.
    for line in want
        .lines()
        .filter(|l| l.starts_with("# ") && l.contains(" = \""))
    {
        let (name, rest) = line[2..].split_once(" = \"").unwrap();
        let key = rest.split('"').next().unwrap();
        assert_eq!(Key::parse(key).unwrap().config_text(), key, "{line}");
        let o = BTreeMap::from([(name.to_string(), key.to_string())]);
        assert!(Keymap::with_overrides(&o).is_ok(), "{line}");
    }
}

#[test]
fn the_example_config_lists_the_same_key_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    let example = std::fs::read_to_string(path).unwrap();
    let keys = &example[example.find("\n[keys]\n").expect("a [keys] table") + 8..];
    let want = default_toml();
    let want = &want[want.find("[keys]\n").unwrap() + 7..];
    assert_eq!(keys, want, "copy assets/keymap.toml's entries into {path}");
}

#[test]
fn actions_needed_while_typing_cannot_be_moved_to_keys_that_type() {
    for (name, key) in [
        ("confirm", "y"),
        ("back", "x"),
        ("force_quit", "q"),
        ("execute", "backspace"),
        ("override", "ctrl-u"),
    ] {
        let keys = BTreeMap::from([(name.to_string(), key.to_string())]);
        let errors = Keymap::with_overrides(&keys).expect_err(name).0;
        assert_eq!(errors[0].key, format!("keys.{name}"));
        assert!(
            errors[0].message.contains("edits text"),
            "{}",
            errors[0].message
        );
    }
    // With a modifier, or outside text fields, a letter is fine.
    for (name, key) in [("confirm", "ctrl-y"), ("check_status", "z"), ("back", "f9")] {
        let keys = BTreeMap::from([(name.to_string(), key.to_string())]);
        assert!(Keymap::with_overrides(&keys).is_ok(), "{name} = {key}");
    }
}

#[test]
fn keys_terminals_send_as_other_keys_are_refused_with_the_reason() {
    for (text, same) in [
        ("ctrl-m", "enter"),
        ("ctrl-i", "tab"),
        ("ctrl-[", "esc"),
        ("ctrl-h", "backspace"),
    ] {
        let err = crate::tui::key::Key::parse(text).expect_err(text);
        assert!(err.contains(same), "{text}: {err}");
    }
    assert!(crate::tui::key::Key::parse("ctrl-g").is_ok());
}
