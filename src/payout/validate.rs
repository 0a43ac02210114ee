//! Checks on what the operator typed, before anything is journaled or sent. Each problem names
//! its field so the TUI can show it beside the input and the CLI can name the flag.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

pub use crate::journal::mask_phone;
use crate::money::Amount;

/// What the operator asked for, as typed.
pub struct PayoutForm {
    pub account: String,
    pub session: SessionChoice,
    pub phone: Option<String>,
    pub user_id: Option<String>,
    pub code: SecretString,
    pub reference: Option<String>,
}

pub enum SessionChoice {
    /// An existing session ID, with its expiry when known.
    Existing {
        id: String,
        expires_at: Option<DateTime<Utc>>,
    },
    /// Create a session right before executing.
    New { amount: String, currency: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidSession {
    Existing {
        id: String,
        expires_at: Option<DateTime<Utc>>,
    },
    New {
        amount: Amount,
        currency: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payee {
    Phone(String),
    UserId(String),
}

impl Payee {
    /// The payee as it may be stored or shown: phones masked.
    pub fn masked(&self) -> String {
        match self {
            Payee::Phone(p) => mask_phone(p),
            Payee::UserId(u) => format!("user {u}"),
        }
    }
}

/// A payout that passed every local check.
pub struct ValidPayout {
    pub account: String,
    pub session: ValidSession,
    pub payee: Payee,
    pub code: SecretString,
    pub reference: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field,
        message: message.into(),
    }
}

pub fn check_account(account: &str) -> Option<FieldProblem> {
    let a = account.trim();
    if a.is_empty() {
        Some(problem("account", "enter the payout account ID"))
    } else if a.chars().any(|c| c.is_whitespace() || c.is_control()) || a.len() > 64 {
        Some(problem(
            "account",
            "a payout account ID has no spaces (at most 64 characters)",
        ))
    } else {
        None
    }
}

pub fn check_phone(phone: &str) -> Option<FieldProblem> {
    let p = phone.trim();
    if p.starts_with('+') {
        return Some(problem(
            "phone",
            "write the phone in E.164 digits without `+`, e.g. 231771234567",
        ));
    }
    if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
        return Some(problem(
            "phone",
            "the phone must be digits only (country code first, no `+`), e.g. 231771234567",
        ));
    }
    if !(8..=15).contains(&p.len()) {
        return Some(problem("phone", "the phone must have 8 to 15 digits"));
    }
    None
}

pub fn check_currency(currency: &str) -> Option<FieldProblem> {
    let c = currency.trim();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
        None
    } else {
        Some(problem(
            "currency",
            "use an ISO 4217 code in capitals, e.g. USD or LRD",
        ))
    }
}

pub fn check_amount(amount: &str) -> Result<Amount, FieldProblem> {
    let a = Amount::parse(amount).map_err(|e| problem("amount", e.to_string()))?;
    if !a.is_positive() {
        return Err(problem("amount", "the amount must be more than zero"));
    }
    if a.0.scale() > 4 {
        return Err(problem(
            "amount",
            "the amount has more than 4 decimal places",
        ));
    }
    Ok(a)
}

pub fn check_reference(reference: &str) -> Result<Uuid, FieldProblem> {
    match Uuid::parse_str(reference.trim()) {
        Ok(u) if u.get_version_num() == 4 => Ok(u),
        Ok(_) => Err(problem(
            "reference",
            "the reference must be a version-4 UUID",
        )),
        Err(_) => Err(problem(
            "reference",
            "not a UUID: use the form 550e8400-e29b-41d4-a716-446655440000",
        )),
    }
}

/// Checks every field and reports every problem, not just the first.
pub fn validate(form: PayoutForm, now: DateTime<Utc>) -> Result<ValidPayout, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    problems.extend(check_account(&form.account));
    let session = match form.session {
        SessionChoice::Existing { id, expires_at } => {
            if id.trim().is_empty() {
                problems.push(problem("session", "enter a session ID or create a session"));
            } else if expires_at.is_some_and(|t| t <= now) {
                problems.push(problem(
                    "session",
                    "this session has expired: create a new one (sessions are short-lived)",
                ));
            }
            Some(ValidSession::Existing {
                id: id.trim().to_string(),
                expires_at,
            })
        }
        SessionChoice::New { amount, currency } => {
            let amount = check_amount(&amount).map_err(|p| problems.push(p)).ok();
            if let Some(p) = check_currency(&currency) {
                problems.push(p);
            }
            amount.map(|amount| ValidSession::New {
                amount,
                currency: currency.trim().to_string(),
            })
        }
    };
    let phone = form
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let user_id = form
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let payee = match (phone, user_id) {
        (Some(p), _) => {
            if let Some(pr) = check_phone(p) {
                problems.push(pr);
            }
            Some(Payee::Phone(p.to_string()))
        }
        (None, Some(u)) => Some(Payee::UserId(u.to_string())),
        (None, None) => {
            problems.push(problem(
                "phone",
                "enter the phone (digits, no `+`) or a user_id",
            ));
            None
        }
    };
    if form.code.expose_secret().trim().is_empty() {
        problems.push(problem("code", "enter the merchant passcode"));
    }
    let reference = match form.reference.as_deref() {
        Some(r) => check_reference(r).map_err(|p| problems.push(p)).ok(),
        None => Some(Uuid::new_v4()),
    };
    match (session, payee, reference) {
        (Some(session), Some(payee), Some(reference)) if problems.is_empty() => Ok(ValidPayout {
            account: form.account.trim().to_string(),
            session,
            payee,
            code: form.code,
            reference,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(phone: &str, amount: &str) -> PayoutForm {
        PayoutForm {
            account: "18".into(),
            session: SessionChoice::New {
                amount: amount.into(),
                currency: "USD".into(),
            },
            phone: Some(phone.into()),
            user_id: None,
            code: "000000".into(),
            reference: None,
        }
    }

    fn fields(r: Result<ValidPayout, Vec<FieldProblem>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .iter()
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn a_good_form_validates_with_a_fresh_v4_reference() {
        let v = validate(form("231771234567", "250"), Utc::now())
            .ok()
            .unwrap();
        assert_eq!(v.reference.get_version_num(), 4);
        assert_eq!(v.payee, Payee::Phone("231771234567".into()));
    }

    #[test]
    fn phone_with_letters_or_plus_names_the_phone_field() {
        assert_eq!(
            fields(validate(form("23177abc567", "250"), Utc::now())),
            ["phone"]
        );
        assert_eq!(
            fields(validate(form("+231771234567", "250"), Utc::now())),
            ["phone"]
        );
        assert_eq!(fields(validate(form("1234", "250"), Utc::now())), ["phone"]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut f = form("x", "-3");
        f.account = " ".into();
        f.code = "".into();
        f.reference = Some("not-a-uuid".into());
        let got = fields(validate(f, Utc::now()));
        assert_eq!(got, ["account", "amount", "phone", "code", "reference"]);
    }

    #[test]
    fn expired_session_is_refused_before_sending() {
        let now = Utc::now();
        let mut f = form("231771234567", "1");
        f.session = SessionChoice::Existing {
            id: "42".into(),
            expires_at: Some(now - chrono::Duration::seconds(1)),
        };
        assert_eq!(fields(validate(f, now)), ["session"]);
    }

    #[test]
    fn a_non_v4_uuid_is_refused() {
        assert!(check_reference("00000000-0000-0000-0000-000000000000").is_err());
        assert!(check_reference(&Uuid::new_v4().to_string()).is_ok());
    }

    #[test]
    fn phones_are_masked_for_storage() {
        assert_eq!(mask_phone("231771234567"), "2317•••4567");
        assert_eq!(mask_phone("123456789"), "12•••89");
        assert_eq!(mask_phone("12345"), "•••••");
        assert_eq!(Payee::UserId("u-9".into()).masked(), "user u-9");
    }
}
