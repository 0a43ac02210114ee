//! The payout account pane: the config's accounts, recently used ones, a filter and "enter
//! an ID by hand".

use ratatui::crossterm::event::KeyEvent;

use super::app::{App, Effect, Env, Pane};
use super::field::Field;
use super::keymap::Cmd;
use crate::config::AccountEntry;
use crate::payout::validate::check_account;

/// The payout account the form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub id: String,
    pub label: Option<String>,
    pub provider: Option<String>,
    pub currency: Option<String>,
}

/// One line of the account list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    Config(&'a AccountEntry),
    Recent(&'a str),
    Manual,
}

#[derive(Debug, Default)]
pub struct AccountPane {
    /// Recently used account IDs from the history, newest first.
    pub recent: Vec<String>,
    pub filter: Field,
    pub filtering: bool,
    pub highlighted: usize,
    /// "Enter an ID by hand" is open.
    pub manual: Option<Field>,
    pub chosen: Option<Chosen>,
    pub problem: Option<String>,
}

impl AccountPane {
    /// Config accounts, then recent ones not in the config, matching the filter; then "by hand".
    pub fn items<'a>(&'a self, env: &'a Env) -> Vec<Item<'a>> {
        let f = self.filter.trimmed().to_lowercase();
        let hit = |s: &str| f.is_empty() || s.to_lowercase().contains(&f);
        let mut out: Vec<Item<'a>> = env
            .accounts
            .iter()
            .filter(|a| {
                hit(&a.id)
                    || hit(&a.label)
                    || a.provider.as_deref().is_some_and(hit)
                    || a.currency.as_deref().is_some_and(hit)
            })
            .map(Item::Config)
            .collect();
        out.extend(
            self.recent
                .iter()
                .filter(|id| !env.accounts.iter().any(|a| &a.id == *id) && hit(id))
                .map(|id| Item::Recent(id.as_str())),
        );
        out.push(Item::Manual);
        out
    }

    pub fn typing(&self) -> bool {
        self.filtering || self.manual.is_some()
    }

    pub fn edit(&mut self, ev: &KeyEvent, _env: &Env) {
        if let Some(m) = &mut self.manual {
            if m.edit(ev) {
                self.problem = None;
            }
        } else if self.filtering && self.filter.edit(ev) {
            self.highlighted = 0;
        }
    }

    pub fn paste(&mut self, text: &str) {
        if let Some(m) = &mut self.manual {
            m.paste(text);
        } else if self.filtering && self.filter.paste(text) {
            self.highlighted = 0;
        }
    }
}

pub fn account_command(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let n = app.account.items(&app.env).len();
    let a = &mut app.account;
    match cmd {
        Cmd::Up if a.manual.is_none() => a.highlighted = a.highlighted.saturating_sub(1),
        Cmd::Down if a.manual.is_none() => a.highlighted = (a.highlighted + 1).min(n - 1),
        Cmd::Filter => {
            a.filtering = true;
            a.manual = None;
        }
        Cmd::Back => {
            if a.manual.take().is_none() {
                a.filtering = false;
                a.filter.clear();
                a.highlighted = 0;
            }
            a.problem = None;
        }
        Cmd::Select => {
            if let Some(m) = &a.manual {
                let id = m.trimmed().to_string();
                match check_account(&id) {
                    Some(p) => a.problem = Some(p.message),
                    None => choose(
                        app,
                        Chosen {
                            id,
                            label: None,
                            provider: None,
                            currency: None,
                        },
                    ),
                }
                return Vec::new();
            }
            let hl = a.highlighted.min(n - 1);
            let chosen = match app.account.items(&app.env)[hl] {
                Item::Config(e) => Chosen {
                    id: e.id.clone(),
                    label: Some(e.label.clone()),
                    provider: e.provider.clone(),
                    currency: e.currency.clone(),
                },
                Item::Recent(id) => Chosen {
                    id: id.to_string(),
                    label: None,
                    provider: None,
                    currency: None,
                },
                Item::Manual => {
                    app.account.manual = Some(Field::default());
                    app.account.filtering = false;
                    return Vec::new();
                }
            };
            choose(app, chosen);
        }
        _ => {}
    }
    Vec::new()
}

/// Uses `chosen` for the form; a different account starts a new session.
pub fn choose(app: &mut App, chosen: Chosen) {
    let a = &mut app.account;
    a.filtering = false;
    a.manual = None;
    a.problem = None;
    if a.chosen.as_ref().map(|c| &c.id) != Some(&chosen.id) {
        app.session.reset(chosen.currency.as_deref());
    }
    app.account.chosen = Some(chosen);
    app.focus_pane(Pane::Session);
}
