//! The passcode pane: payee (phone or user_id), the masked merchant code and this
//! execution's reference_id.

use std::collections::BTreeMap;

use ratatui::crossterm::event::KeyEvent;
use uuid::Uuid;

use super::app::{App, Effect, Env};
use super::field::{Field, SecretField};
use super::keymap::Cmd;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayeeKind {
    Phone,
    UserId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassField {
    Payee,
    Code,
}

#[derive(Debug)]
pub struct PasscodePane {
    pub kind: PayeeKind,
    pub payee: Field,
    pub code: SecretField,
    pub field: Option<PassField>,
    /// This execution's reference_id: fresh when the form opens, reused by every retry.
    pub reference: Uuid,
    pub problems: BTreeMap<&'static str, String>,
}

impl PasscodePane {
    pub fn new(env: &Env, reference: Uuid) -> PasscodePane {
        let kind = if env.phone.is_none() && env.user_id.is_some() {
            PayeeKind::UserId
        } else {
            PayeeKind::Phone
        };
        let mut p = PasscodePane {
            kind,
            payee: Field::default(),
            code: SecretField::default(),
            field: None,
            reference,
            problems: BTreeMap::new(),
        };
        p.default_payee(env);
        p
    }

    fn default_payee(&mut self, env: &Env) {
        let v = match self.kind {
            PayeeKind::Phone => env.phone.as_deref(),
            PayeeKind::UserId => env.user_id.as_deref(),
        };
        self.payee.set(v.unwrap_or(""));
    }

    pub fn payee_name(&self) -> &'static str {
        match self.kind {
            PayeeKind::Phone => "phone",
            PayeeKind::UserId => "user_id",
        }
    }

    /// Focus arrives: the payee when empty, else the code.
    pub fn enter(&mut self) {
        self.field = Some(if self.payee.is_empty() {
            PassField::Payee
        } else {
            PassField::Code
        });
    }

    pub fn edit(&mut self, ev: &KeyEvent) {
        let changed = match self.field {
            Some(PassField::Payee) => self.payee.edit(ev),
            Some(PassField::Code) => self.code.edit(ev),
            None => false,
        };
        if changed {
            self.clear_problem();
        }
    }

    pub fn paste(&mut self, text: &str) {
        let changed = match self.field {
            Some(PassField::Payee) => self.payee.paste(text),
            Some(PassField::Code) => self.code.paste(text),
            None => false,
        };
        if changed {
            self.clear_problem();
        }
    }

    fn clear_problem(&mut self) {
        match self.field {
            Some(PassField::Payee) => {
                self.problems.remove("phone");
                self.problems.remove("user_id");
            }
            Some(PassField::Code) => {
                self.problems.remove("code");
            }
            None => {}
        }
    }

    /// A new payout: new reference, code wiped, payee back to the profile's default.
    pub fn reset(&mut self, env: &Env, reference: Uuid) {
        self.code.clear();
        self.reference = reference;
        self.problems.clear();
        self.field = None;
        self.default_payee(env);
    }
}

pub fn passcode_command(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let p = &mut app.passcode;
    match cmd {
        Cmd::Up => p.field = Some(PassField::Payee),
        Cmd::Down => p.field = Some(PassField::Code),
        Cmd::Back => p.field = None,
        Cmd::Select => match p.field {
            None => p.enter(),
            Some(PassField::Payee) => p.field = Some(PassField::Code),
            Some(PassField::Code) => return super::review::open_review(app),
        },
        Cmd::TogglePayee => {
            p.kind = match p.kind {
                PayeeKind::Phone => PayeeKind::UserId,
                PayeeKind::UserId => PayeeKind::Phone,
            };
            p.problems.remove("phone");
            p.problems.remove("user_id");
            p.default_payee(&app.env);
            p.field = Some(PassField::Payee);
        }
        Cmd::NewReference => {
            p.reference = app.uuids.fresh();
            p.problems.remove("reference");
            let r = p.reference;
            app.info(format!("new reference_id {r}"));
        }
        Cmd::Execute => return super::review::open_review(app),
        _ => {}
    }
    Vec::new()
}
