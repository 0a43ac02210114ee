//! The one key table: every command, its default key, where it works and what it does. The
//! footer and the `?` overlay are generated from it, so help never drifts from the keys, and the
//! config's `[keys]` overrides are merged over it (a bad override is an error naming its key).
//!
//! [`Keymap::resolve`] turns a key event into an [`InputAction`] value, so bindings are tested
//! without a terminal. While a text field has focus, editing keys (printable characters,
//! Backspace, arrows left/right, Home/End, Delete) always go to the field: typing never fires a
//! shortcut.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

pub use super::key::Key;

/// What a key asks for. Which of them a pane honours is decided in `app`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cmd {
    Quit,
    ForceQuit,
    Help,
    NextPane,
    PrevPane,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Back,
    Filter,
    StateFilter,
    Execute,
    Confirm,
    Override,
    StopWaiting,
    CheckStatus,
    RevealSecret,
    CopySecret,
    ExportCsv,
    NewReference,
    NewPayout,
    TogglePayee,
    SessionMode,
    Refresh,
    SupportBundle,
}

/// Where a binding works. `Global` bindings work in every context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ctx {
    Global,
    Account,
    Session,
    Passcode,
    Review,
    Live,
    History,
    Detail,
    Help,
}

impl Ctx {
    pub const PANES: [Ctx; 8] = [
        Ctx::Account,
        Ctx::Session,
        Ctx::Passcode,
        Ctx::Review,
        Ctx::Live,
        Ctx::History,
        Ctx::Detail,
        Ctx::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere",
            Ctx::Account => "Payout account",
            Ctx::Session => "Session",
            Ctx::Passcode => "Passcode",
            Ctx::Review => "Review",
            Ctx::Live => "Live status",
            Ctx::History => "History",
            Ctx::Detail => "History detail",
            Ctx::Help => "Help",
        }
    }
}

/// One row of the key table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The name used in the config's `[keys]` table.
    pub name: &'static str,
    pub cmd: Cmd,
    pub ctx: Ctx,
    pub keys: Vec<Key>,
    pub desc: &'static str,
    /// Shown in the footer of its pane (the rest only in `?`).
    pub footer: bool,
}

/// The embedded defaults: (name, command, context, keys, description, in footer).
#[rustfmt::skip]
fn defaults() -> Vec<Binding> {
    use Cmd::*;
    use Ctx::{Account, Detail, Global, History, Live, Passcode, Review, Session};
    use KeyCode as K;
    let p = Key::plain;
    let c = Key::ch;
    type Row = (&'static str, Cmd, Ctx, Vec<Key>, &'static str, bool);
    // Descriptions read "footer text; more for the help overlay".
    let rows: Vec<Row> = vec![
        ("quit", Quit, Global, vec![c('q')], "quit; outside text fields (a payout being sent asks twice)", true),
        ("force_quit", ForceQuit, Global, vec![Key::ctrl('c')], "quit; from anywhere, even a text field", false),
        ("help", Help, Global, vec![c('?'), p(K::F(1))], "help; every key of every pane", true),
        ("next_pane", NextPane, Global, vec![p(K::Tab)], "next pane", true),
        ("prev_pane", PrevPane, Global, vec![p(K::BackTab)], "previous pane", false),
        ("up", Up, Global, vec![p(K::Up), c('k')], "up; previous row or field (k only outside text fields)", false),
        ("down", Down, Global, vec![p(K::Down), c('j')], "down; next row or field (j only outside text fields)", false),
        ("select", Select, Account, vec![p(K::Enter)], "use account; the highlighted one, or type an ID by hand", true),
        ("filter", Filter, Account, vec![c('/')], "filter; by ID, label, provider or currency", true),
        ("back", Back, Account, vec![p(K::Esc)], "clear filter", true),
        ("select", Select, Session, vec![p(K::Enter)], "next; the next field, and on the last one create the session", true),
        ("session_mode", SessionMode, Session, vec![Key::ctrl('s')], "new/existing; create a session, or enter an existing session ID", true),
        ("execute", Execute, Session, vec![Key::ctrl('x')], "review; check the whole form and show what will be sent", true),
        ("back", Back, Session, vec![p(K::Esc)], "leave field; so single keys work as shortcuts again", true),
        ("select", Select, Passcode, vec![p(K::Enter)], "next; the next field, and on the last one review the payout", true),
        ("toggle_payee", TogglePayee, Passcode, vec![Key::ctrl('t')], "phone/user_id; which one identifies the payee", true),
        ("new_reference", NewReference, Passcode, vec![Key::ctrl('n')], "new reference; a fresh reference_id (a new payment)", true),
        ("execute", Execute, Passcode, vec![Key::ctrl('x')], "review; check the whole form and show what will be sent", true),
        ("back", Back, Passcode, vec![p(K::Esc)], "leave field; so single keys work as shortcuts again", true),
        ("confirm", Confirm, Review, vec![p(K::Enter)], "send; execute the payout shown, once", true),
        ("override", Override, Review, vec![Key::ctrl('o')], "send anyway; despite an unresolved payout to this account", true),
        ("back", Back, Review, vec![p(K::Esc)], "back; to the form, nothing is sent", true),
        ("stop_waiting", StopWaiting, Live, vec![p(K::Esc)], "stop waiting; the payout stays unresolved (unknown), never failed", true),
        ("check_status", CheckStatus, Live, vec![c('c')], "check status; ask the status endpoint now, and follow again if not final", true),
        ("reveal_secret", RevealSecret, Live, vec![c('r')], "reveal; show or hide the client_secret (recorded)", true),
        ("copy_secret", CopySecret, Live, vec![c('y')], "copy secret; the client_secret, with OSC 52 (recorded)", true),
        ("support_bundle", SupportBundle, Live, vec![c('b')], "support bundle; write it to the data dir and copy it (OSC 52)", false),
        ("new_payout", NewPayout, Live, vec![c('n')], "new payout; new reference, code wiped, pick the account", true),
        ("select", Select, History, vec![p(K::Enter)], "detail; the execution and its event trail", true),
        ("filter", Filter, History, vec![c('/')], "search; reference, session, account, messages", true),
        ("state_filter", StateFilter, History, vec![c('s')], "state; all, not final, then each state", true),
        ("check_status", CheckStatus, History, vec![c('c')], "check status; of the selected row, when not final", true),
        ("export_csv", ExportCsv, History, vec![c('e')], "export CSV; the filtered rows, into the data dir", true),
        ("refresh", Refresh, History, vec![Key::ctrl('l')], "reload; this page from the history", false),
        ("page_up", PageUp, History, vec![p(K::PageUp)], "page up", false),
        ("page_down", PageDown, History, vec![p(K::PageDown)], "page down; loads the next page at the end", false),
        ("top", Top, History, vec![p(K::Home)], "newest; back to the first page", false),
        ("bottom", Bottom, History, vec![p(K::End)], "last row; of this page", false),
        ("back", Back, History, vec![p(K::Esc)], "clear filters", true),
        ("check_status", CheckStatus, Detail, vec![c('c')], "check status; ask the status endpoint now", true),
        ("support_bundle", SupportBundle, Detail, vec![c('b')], "support bundle; write it to the data dir and copy it (OSC 52)", true),
        ("back", Back, Detail, vec![p(K::Esc)], "close", true),
        ("back", Back, Ctx::Help, vec![p(K::Esc)], "close", true),
    ];
    rows.into_iter()
        .map(|(name, cmd, ctx, keys, desc, footer)| Binding {
            name,
            cmd,
            ctx,
            keys,
            desc,
            footer,
        })
        .collect()
}

/// Every action name a `[keys]` entry may use.
pub fn action_names() -> Vec<&'static str> {
    let mut names: Vec<_> = defaults().iter().map(|b| b.name).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// What a key does in a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputAction {
    /// A command from the table.
    Cmd(Cmd),
    /// Text editing for the focused field.
    Edit(KeyEvent),
    /// Nothing bound here.
    Ignore,
}

/// A `[keys]` entry that cannot be used, named by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    /// `keys.NAME`
    pub key: String,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

/// All problems with `[keys]`, reported at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapErrors(pub Vec<KeymapError>);

impl fmt::Display for KeymapErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for KeymapErrors {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub(super) bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: defaults(),
        }
    }
}

/// Actions an operator needs while typing: those of the panes made of text fields (session,
/// passcode, the review's confirmation), the ones that leave or submit a field, and force-quit.
fn works_while_typing(name: &str) -> bool {
    matches!(name, "force_quit" | "select" | "back" | "confirm")
        || defaults()
            .iter()
            .any(|b| b.name == name && matches!(b.ctx, Ctx::Session | Ctx::Passcode | Ctx::Review))
}

impl Keymap {
    /// The defaults with `overrides` (action name → key) merged over them. Unknown names, keys
    /// that do not parse and keys that collide with another binding visible in the same pane
    /// are all reported, each with its `keys.NAME`.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, KeymapErrors> {
        let mut map = Keymap::default();
        let mut errors = Vec::new();
        let known = action_names();
        for (name, text) in overrides {
            let key_name = format!("keys.{name}");
            if !known.contains(&name.as_str()) {
                errors.push(KeymapError {
                    key: key_name,
                    message: format!("no such action; use one of: {}", known.join(", ")),
                });
                continue;
            }
            match Key::parse(text) {
                Ok(key) if key.is_editing() && works_while_typing(name) => {
                    errors.push(KeymapError {
                        key: key_name,
                        message: format!(
                            "`{key}` edits text, and `{name}` must work while a text field has focus (a letter there would be typed, not obeyed); pick a key with ctrl, or one like enter, esc or a function key"
                        ),
                    });
                }
                Ok(key) => {
                    for b in map.bindings.iter_mut().filter(|b| b.name == name) {
                        b.keys = vec![key];
                    }
                }
                Err(message) => errors.push(KeymapError {
                    key: key_name,
                    message,
                }),
            }
        }
        errors.extend(map.conflicts(overrides));
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(KeymapErrors(errors))
        }
    }

    /// Two actions reachable with the same key in the same pane (its own bindings plus the
    /// global ones). Reported against the overridden name when there is one.
    pub(super) fn conflicts(&self, overrides: &BTreeMap<String, String>) -> Vec<KeymapError> {
        // (culprit, other action, key, what the other does) -> the panes where both work.
        type Clash<'a> = (&'a str, &'a str, Key, &'a str);
        let mut found: Vec<(Clash, Vec<&str>)> = Vec::new();
        for ctx in Ctx::PANES {
            let visible: Vec<&Binding> = self
                .bindings
                .iter()
                .filter(|b| b.ctx == ctx || b.ctx == Ctx::Global)
                .collect();
            for (i, a) in visible.iter().enumerate() {
                for b in &visible[i + 1..] {
                    if a.name == b.name {
                        continue;
                    }
                    let Some(key) = a.keys.iter().find(|k| b.keys.contains(k)) else {
                        continue;
                    };
                    let (culprit, other) = if overrides.contains_key(b.name) {
                        (b, a)
                    } else {
                        (a, b)
                    };
                    let id = (culprit.name, other.name, *key, short(other.desc));
                    match found.iter_mut().find(|(k, _)| *k == id) {
                        Some((_, panes)) => panes.push(ctx.title()),
                        None => found.push((id, vec![ctx.title()])),
                    }
                }
            }
        }
        found
            .into_iter()
            .map(|((culprit, other, key, what), panes)| KeymapError {
                key: format!("keys.{culprit}"),
                message: format!(
                    "`{key}` is already `{other}` ({what}) in: {}; pick another key",
                    panes.join(", ")
                ),
            })
            .collect()
    }

    /// What `ev` does in `ctx`. `typing`: a text field has focus, so editing keys edit.
    pub fn resolve(&self, ctx: Ctx, ev: &KeyEvent, typing: bool) -> InputAction {
        if !matches!(ev.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
            return InputAction::Ignore;
        }
        let key = Key::from_event(ev);
        if typing && key.is_editing() {
            return InputAction::Edit(*ev);
        }
        let find = |c: Ctx| {
            self.bindings
                .iter()
                .find(|b| b.ctx == c && b.keys.contains(&key))
                .map(|b| b.cmd)
        };
        match find(ctx).or_else(|| find(Ctx::Global)) {
            Some(cmd) => InputAction::Cmd(cmd),
            None => InputAction::Ignore,
        }
    }

    /// The bindings of one context, in table order.
    pub fn for_ctx(&self, ctx: Ctx) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.ctx == ctx)
    }

    /// The first key of a command in a context (or globally), for messages such as "press c".
    pub fn key_for(&self, ctx: Ctx, cmd: Cmd) -> String {
        self.bindings
            .iter()
            .find(|b| b.cmd == cmd && (b.ctx == ctx || b.ctx == Ctx::Global))
            .and_then(|b| b.keys.first())
            .map(Key::to_string)
            .unwrap_or_else(|| "(unbound)".into())
    }

    /// `(keys, description)` pairs for a footer: the pane's own, then the global ones.
    pub fn footer(&self, ctx: Ctx) -> Vec<(String, &'static str)> {
        self.for_ctx(ctx)
            .chain(self.for_ctx(Ctx::Global))
            .filter(|b| b.footer)
            .map(|b| (keys_text(&b.keys), short(b.desc)))
            .collect()
    }
}

/// The `[keys]` template in `assets/keymap.toml`: every action name with its default key(s)
/// and where it works, all commented out (uncomment a line to change that key).
pub fn default_toml() -> String {
    let map = Keymap::default();
    let mut out = String::from(
        "# payout-console key bindings: copy the lines you want to change into your config\n\
         # file's [keys] table and uncomment them. One key per action, e.g. \"ctrl-g\", \"f5\",\n\
         # \"shift-tab\", \"pgdn\", \"space\". A key that clashes with another action in the same\n\
         # pane is refused with the name of both. Generated from the key table (src/tui/keymap.rs).\n\n[keys]\n",
    );
    for name in action_names() {
        let rows: Vec<&Binding> = map.bindings.iter().filter(|b| b.name == name).collect();
        let Some(first) = rows.first() else { continue };
        let key = first.keys.first().map(Key::config_text).unwrap_or_default();
        let also: Vec<String> = first.keys.iter().skip(1).map(Key::config_text).collect();
        let mut whats: Vec<&str> = rows.iter().map(|b| short(b.desc)).collect();
        whats.dedup();
        let panes = rows
            .iter()
            .map(|b| b.ctx.title())
            .collect::<Vec<_>>()
            .join(", ");
        let entry = format!("# {name} = \"{key}\"");
        let also = if also.is_empty() {
            String::new()
        } else {
            format!("; also {}", also.join(", "))
        };
        out.push_str(&format!(
            "{entry:<32}# {} ({panes}){also}\n",
            whats.join(" / ")
        ));
    }
    out
}

/// `q`, `?/F1`
pub fn keys_text(keys: &[Key]) -> String {
    keys.iter()
        .map(Key::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// The footer form of a description: up to the first `;`.
pub fn short(desc: &'static str) -> &'static str {
    desc.split(';').next().unwrap_or(desc).trim_end()
}

/// The help form of a description: `short — detail`.
pub fn long(desc: &'static str) -> String {
    match desc.split_once(';') {
        Some((s, more)) => format!("{s} —{more}"),
        None => desc.to_string(),
    }
}
