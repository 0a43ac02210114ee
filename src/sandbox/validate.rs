//! Request bodies as the vendor's FastAPI models check them: every field read as raw JSON so
//! that a missing, null or mistyped one becomes its own 422 item, all items reported at once.

use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use uuid::Uuid;

use super::errors::{ApiError, Invalid};
use crate::api::wire::Device;
use crate::money::Amount;

/// Keeps a field's raw JSON whenever the field is present, `null` included.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

type Raw = Option<Box<RawValue>>;

#[derive(Deserialize)]
struct TokenIn {
    #[serde(default, deserialize_with = "present")]
    client_id: Raw,
    #[serde(default, deserialize_with = "present")]
    client_secret: Raw,
}

#[derive(Deserialize)]
struct SessionIn {
    #[serde(default, deserialize_with = "present")]
    payout_account_id: Raw,
    #[serde(default, deserialize_with = "present")]
    amount: Raw,
    #[serde(default, deserialize_with = "present")]
    currency: Raw,
}

/// The execute body, server side: every field optional so that each gap is reported.
#[derive(Deserialize)]
struct ExecuteIn {
    #[serde(default, deserialize_with = "present")]
    session_id: Raw,
    #[serde(default, deserialize_with = "present")]
    payout_account_id: Raw,
    #[serde(default, deserialize_with = "present")]
    reference_id: Raw,
    #[serde(default, deserialize_with = "present")]
    passcode: Raw,
}

#[derive(Deserialize)]
struct PasscodeIn {
    #[serde(default, deserialize_with = "present")]
    token: Raw,
    #[serde(default, deserialize_with = "present")]
    device: Raw,
}

#[derive(Deserialize)]
struct TokenCodeIn {
    #[serde(default, deserialize_with = "present")]
    code: Raw,
    #[serde(default, deserialize_with = "present")]
    phone: Raw,
    #[serde(default, deserialize_with = "present")]
    user_id: Raw,
}

#[derive(Deserialize)]
struct DeviceIn {
    #[serde(default, deserialize_with = "present")]
    name: Raw,
    #[serde(default, deserialize_with = "present", rename = "type")]
    kind: Raw,
    #[serde(default, deserialize_with = "present")]
    platform: Raw,
    #[serde(default, deserialize_with = "present")]
    user_agent: Raw,
    #[serde(default, deserialize_with = "present")]
    client_ip: Raw,
}

#[derive(Debug)]
pub(crate) struct TokenRequest {
    pub client_id: String,
    pub client_secret: SecretString,
}

#[derive(Debug)]
pub(crate) struct SessionRequest {
    pub payout_account_id: String,
    pub amount: Amount,
    pub currency: String,
}

#[derive(Debug)]
pub(crate) struct ExecuteRequest {
    pub session_id: String,
    pub payout_account_id: String,
    pub reference_id: Uuid,
    pub code: SecretString,
    pub phone: Option<String>,
    pub user_id: Option<String>,
    pub device: Device,
}

impl ExecuteRequest {
    /// Who verified the passcode, for the log: a phone shown only by its last digits.
    pub fn caller(&self) -> String {
        let who = match (&self.phone, &self.user_id) {
            (Some(phone), _) => format!("phone {}", crate::api::wire::secret_hint(phone)),
            (None, Some(user)) => format!("user_id {user}"),
            (None, None) => "nobody".to_string(),
        };
        format!("{who} on {} {}", self.device.kind, self.device.platform)
    }
}

pub(crate) const PHONE_PATTERN: &str = "^[0-9]{8,15}$";
const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";
const MAX_AMOUNT: i64 = 1_000_000_000;

/// Collects the items of one body.
#[derive(Default)]
struct Check {
    items: Vec<Invalid>,
}

impl Check {
    /// Reads a nested model; a missing or non-object one is an item.
    fn model<'a, T: Deserialize<'a>>(&mut self, raw: &'a Raw, path: &[&str]) -> Option<T> {
        let Some(raw) = raw else {
            self.items.push(Invalid::missing(path));
            return None;
        };
        match from_object::<T>(raw.get().as_bytes()) {
            Some(v) => Some(v),
            None => {
                self.items.push(Invalid::body(
                    path,
                    "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from",
                ));
                None
            }
        }
    }

    /// Reads a required string. `secret` keeps the value out of the item.
    fn string(&mut self, raw: &Raw, path: &[&str], secret: bool) -> Option<String> {
        let Some(raw) = raw else {
            self.items.push(Invalid::missing(path));
            return None;
        };
        self.present_string(raw, path, secret)
    }

    /// Reads an optional string: missing or null is `None`.
    fn opt_string(&mut self, raw: &Raw, path: &[&str]) -> Option<String> {
        match raw {
            Some(r) if r.get().trim() != "null" => self.present_string(r, path, false),
            _ => None,
        }
    }

    fn present_string(&mut self, raw: &RawValue, path: &[&str], secret: bool) -> Option<String> {
        match serde_json::from_str::<String>(raw.get()) {
            Ok(s) => Some(s),
            Err(_) => {
                let mut item = Invalid::body(path, "string_type", "Input should be a valid string");
                if !secret {
                    item.input = serde_json::from_str::<Value>(raw.get()).ok();
                }
                self.items.push(item);
                None
            }
        }
    }

    fn pattern(&mut self, value: &str, path: &[&str], pattern: &str, ok: bool) -> bool {
        if !ok {
            self.items.push(
                Invalid::body(
                    path,
                    "string_pattern_mismatch",
                    format!("String should match pattern '{pattern}'"),
                )
                .with_input(value.into())
                .with_ctx(json!({ "pattern": pattern })),
            );
        }
        ok
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(v) if self.items.is_empty() => Ok(v),
            _ if self.items.is_empty() => Err(ApiError::invalid(Invalid::missing(&[]))),
            _ => Err(ApiError::Invalid(self.items)),
        }
    }
}

/// A model from a JSON object only: serde would also read a struct from an array.
fn from_object<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<T>(bytes).ok()
}

fn root<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    from_object::<T>(bytes).ok_or_else(|| {
        ApiError::invalid(Invalid::body(
            &[],
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        ))
    })
}

pub(crate) fn token_request(bytes: &[u8]) -> Result<TokenRequest, ApiError> {
    let body: TokenIn = root(bytes)?;
    let mut check = Check::default();
    let client_id = check.string(&body.client_id, &["client_id"], false);
    let client_secret = check.string(&body.client_secret, &["client_secret"], true);
    let value = client_id
        .zip(client_secret)
        .map(|(id, secret)| TokenRequest {
            client_id: id,
            client_secret: SecretString::from(secret),
        });
    check.finish(value)
}

pub(crate) fn session_request(bytes: &[u8]) -> Result<SessionRequest, ApiError> {
    let body: SessionIn = root(bytes)?;
    let mut check = Check::default();
    let account = match &body.payout_account_id {
        None => {
            check.items.push(Invalid::missing(&["payout_account_id"]));
            None
        }
        // The account may be sent as an integer, as on the vendor's own sessions.
        Some(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            _ => check.present_string(raw, &["payout_account_id"], false),
        },
    };
    let amount = amount(&mut check, &body.amount);
    let currency = check.string(&body.currency, &["currency"], false);
    if let Some(c) = &currency {
        let ok = c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
        check.pattern(c, &["currency"], CURRENCY_PATTERN, ok);
    }
    let value = match (account, amount, currency) {
        (Some(payout_account_id), Some(amount), Some(currency)) => Some(SessionRequest {
            payout_account_id,
            amount,
            currency,
        }),
        _ => None,
    };
    check.finish(value)
}

/// An amount from its exact JSON text: a number or a numeric string, > 0, at most 2 decimals.
fn amount(check: &mut Check, raw: &Raw) -> Option<Amount> {
    let Some(raw) = raw else {
        check.items.push(Invalid::missing(&["amount"]));
        return None;
    };
    let text = raw.get().trim();
    let input = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let parsed = match &input {
        Value::Number(_) => Amount::parse(text).ok(),
        Value::String(s) => Amount::parse(s).ok(),
        _ => None,
    };
    let Some(amount) = parsed else {
        check.items.push(
            Invalid::body(
                &["amount"],
                "decimal_parsing",
                "Input should be a valid decimal",
            )
            .with_input(input),
        );
        return None;
    };
    let item = if !amount.is_positive() {
        Some(
            Invalid::body(
                &["amount"],
                "greater_than",
                "Input should be greater than 0",
            )
            .with_ctx(json!({ "gt": 0 })),
        )
    } else if amount.0 > Decimal::from(MAX_AMOUNT) {
        Some(
            Invalid::body(
                &["amount"],
                "less_than_equal",
                format!("Input should be less than or equal to {MAX_AMOUNT}"),
            )
            .with_ctx(json!({ "le": MAX_AMOUNT })),
        )
    } else if amount.0.normalize().scale() > 2 {
        Some(
            Invalid::body(
                &["amount"],
                "decimal_max_places",
                "Decimal input should have no more than 2 decimal places",
            )
            .with_ctx(json!({ "decimal_places": 2 })),
        )
    } else {
        None
    };
    match item {
        Some(item) => {
            check.items.push(item.with_input(input));
            None
        }
        None => Some(amount),
    }
}

pub(crate) fn execute_request(bytes: &[u8]) -> Result<ExecuteRequest, ApiError> {
    let body: ExecuteIn = root(bytes)?;
    let mut check = Check::default();
    let session_id = check.string(&body.session_id, &["session_id"], false);
    let payout_account_id = check.string(&body.payout_account_id, &["payout_account_id"], false);
    let reference_id = check
        .string(&body.reference_id, &["reference_id"], false)
        .and_then(|r| uuid_v4(&mut check, &r));
    let passcode: Option<PasscodeIn> = check.model(&body.passcode, &["passcode"]);
    let (mut code, mut phone, mut user_id, mut device) = (None, None, None, None);
    if let Some(p) = &passcode {
        let token_path = ["passcode", "token"];
        if let Some(t) = check.model::<TokenCodeIn>(&p.token, &token_path) {
            code = check.string(&t.code, &["passcode", "token", "code"], true);
            let before = check.items.len();
            phone = check.opt_string(&t.phone, &["passcode", "token", "phone"]);
            if let Some(ph) = &phone {
                let ok = (8..=15).contains(&ph.len()) && ph.bytes().all(|b| b.is_ascii_digit());
                check.pattern(ph, &["passcode", "token", "phone"], PHONE_PATTERN, ok);
            }
            user_id = check
                .opt_string(&t.user_id, &["passcode", "token", "user_id"])
                .filter(|u| !u.trim().is_empty());
            if phone.is_none() && user_id.is_none() && check.items.len() == before {
                check.items.push(Invalid::body(
                    &token_path,
                    "value_error",
                    "Value error, either phone or user_id is required",
                ));
            }
        }
        if let Some(d) = check.model::<DeviceIn>(&p.device, &["passcode", "device"]) {
            let mut field =
                |raw: &Raw, name: &str| check.string(raw, &["passcode", "device", name], false);
            let name = field(&d.name, "name");
            let kind = field(&d.kind, "type");
            let platform = field(&d.platform, "platform");
            let user_agent = field(&d.user_agent, "user_agent");
            let client_ip = field(&d.client_ip, "client_ip");
            if let (Some(name), Some(kind), Some(platform), Some(user_agent), Some(client_ip)) =
                (name, kind, platform, user_agent, client_ip)
            {
                device = Some(Device {
                    name,
                    kind,
                    platform,
                    user_agent,
                    client_ip,
                });
            }
        }
    }
    let value = match (session_id, payout_account_id, reference_id, code, device) {
        (
            Some(session_id),
            Some(payout_account_id),
            Some(reference_id),
            Some(code),
            Some(device),
        ) => Some(ExecuteRequest {
            session_id,
            payout_account_id,
            reference_id,
            code: SecretString::from(code),
            phone,
            user_id,
            device,
        }),
        _ => None,
    };
    check.finish(value)
}

fn uuid_v4(check: &mut Check, text: &str) -> Option<Uuid> {
    match Uuid::parse_str(text) {
        Err(e) => {
            check.items.push(
                Invalid::body(
                    &["reference_id"],
                    "uuid_parsing",
                    format!("Input should be a valid UUID, {e}"),
                )
                .with_input(text.into()),
            );
            None
        }
        Ok(id) if id.get_version_num() != 4 => {
            check.items.push(
                Invalid::body(&["reference_id"], "uuid_version", "UUID version 4 expected")
                    .with_input(text.into())
                    .with_ctx(json!({ "expected_version": 4 })),
            );
            None
        }
        Ok(id) => Some(id),
    }
}
#[cfg(test)]
mod tests;
