//! The vendor's JSON, as the console sends and reads it. Requests are strict; answers are read
//! liberally (missing, null or extra fields never fail a parse).

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

use super::lenient::{opt_bool, opt_number, opt_text};
use crate::money::{Amount, opt_amount};

fn expose<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// `POST /{v}/jwt/client/obtain/token`
#[derive(Serialize)]
pub struct TokenRequest {
    pub client_id: String,
    #[serde(serialize_with = "expose")]
    pub client_secret: SecretString,
}

#[derive(Deserialize, Debug)]
pub struct TokenResponse {
    pub access_token: SecretString,
    /// Lifetime in **minutes**, as the vendor documents it.
    #[serde(default, deserialize_with = "opt_number")]
    pub expires_in: Option<f64>,
}

/// `POST /{v}/sessions/payout`
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct CreateSessionRequest {
    pub payout_account_id: String,
    pub amount: Amount,
    pub currency: String,
}

/// A payout session as the API answers it. `id` comes back as an integer on some calls and as a
/// string on others; it is kept as text because it goes out as a string on execute.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(remote = "Self")]
pub struct PayoutSession {
    #[serde(default, deserialize_with = "opt_text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub expires_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub wallet_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payout_account_id: Option<String>,
    #[serde(default, deserialize_with = "opt_amount")]
    pub amount: Option<Amount>,
    #[serde(default, deserialize_with = "opt_text")]
    pub currency: Option<String>,
}

impl PayoutSession {
    /// The expiry as a UTC time, when the API gave one we can read.
    pub fn expires_at_utc(&self) -> Option<DateTime<Utc>> {
        parse_time(self.expires_at.as_deref()?)
    }
}

/// Reads RFC 3339 and the naive ISO form FastAPI emits for UTC datetimes.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// `POST /{v}/executions/payout`
#[derive(Serialize, Debug)]
pub struct ExecuteRequest {
    pub session_id: String,
    pub payout_account_id: String,
    pub reference_id: Uuid,
    pub passcode: Passcode,
}

#[derive(Serialize, Debug)]
pub struct Passcode {
    pub token: PasscodeToken,
    pub device: Device,
}

#[derive(Serialize, Debug)]
pub struct PasscodeToken {
    #[serde(serialize_with = "expose")]
    pub code: SecretString,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub platform: String,
    pub user_agent: String,
    pub client_ip: String,
}

/// The answer to execute, and to `GET /{v}/status/payout/{reference_id}`.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(remote = "Self")]
pub struct ExecutionResponse {
    #[serde(default, deserialize_with = "opt_text")]
    pub reference_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_amount")]
    pub payer_amount: Option<Amount>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payer_currency: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payee_currency: Option<String>,
    #[serde(default, deserialize_with = "opt_amount")]
    pub payee_amount: Option<Amount>,
    #[serde(default, deserialize_with = "opt_text")]
    pub operation_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub provider_transaction_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub gateway_message: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub wallet_message: Option<String>,
    #[serde(default, deserialize_with = "opt_secret")]
    pub client_secret: Option<SecretString>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub requires_action: Option<bool>,
}

/// Answers are JSON objects. serde's derived readers also take an array, field by field, which
/// would read `[null, "COMPLETED"]` as a completed payout; these impls accept objects only.
macro_rules! object_only {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct ObjectOnly;
                impl<'de> serde::de::Visitor<'de> for ObjectOnly {
                    type Value = $t;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        map: A,
                    ) -> Result<$t, A::Error> {
                        <$t>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                d.deserialize_map(ObjectOnly)
            }
        }
    };
}

object_only!(ExecutionResponse);
object_only!(PayoutSession);

fn opt_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(opt_text(d)?.map(SecretString::from))
}

impl ExecutionResponse {
    pub fn status_word(&self) -> ExecStatus {
        ExecStatus::from_word(self.status.as_deref())
    }

    /// The payee/payer rate when the currencies differ (payee units per payer unit).
    pub fn rate(&self) -> Option<rust_decimal::Decimal> {
        crate::money::rate(
            self.payer_amount,
            self.payer_currency.as_deref(),
            self.payee_amount,
            self.payee_currency.as_deref(),
        )
    }

    /// Last 4 characters of the requires_action secret: all that may be stored or logged.
    pub fn client_secret_hint(&self) -> Option<String> {
        self.client_secret
            .as_ref()
            .map(|s| secret_hint(s.expose_secret()))
    }
}

/// The last 4 characters of a secret, prefixed with an ellipsis: safe to store and show.
pub fn secret_hint(secret: &str) -> String {
    format!("…{}", last_chars(secret, 4))
}

/// The last `n` characters of `text` (all of it when shorter).
pub fn last_chars(text: &str, n: usize) -> &str {
    let start = text
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    if n == 0 { "" } else { &text[start..] }
}

/// The vendor's execution status word. Anything unrecognised is kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecStatus {
    Pending,
    Processing,
    Completed,
    Failed,
    Missing,
    Other(String),
}

impl ExecStatus {
    pub fn from_word(word: Option<&str>) -> Self {
        let Some(word) = word.map(str::trim).filter(|w| !w.is_empty()) else {
            return ExecStatus::Missing;
        };
        match word.to_ascii_uppercase().as_str() {
            "PENDING" => ExecStatus::Pending,
            "PROCESSING" => ExecStatus::Processing,
            "COMPLETED" => ExecStatus::Completed,
            "FAILED" => ExecStatus::Failed,
            _ => ExecStatus::Other(word.to_string()),
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, ExecStatus::Completed | ExecStatus::Failed)
    }
}

/// One FastAPI validation item: `{"loc": ["body", "field"], "msg": "...", "type": "..."}`.
#[derive(Deserialize, Serialize, Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, from the last textual part of `loc` (`reference_id`, `passcode.token.phone`).
    pub field: String,
    pub msg: String,
    pub kind: String,
}

/// Reads an error body's human text and any 422 items: `detail` as a string or a list, or
/// `message`, bare or wrapped in `data`.
pub fn parse_error_body(body: &str) -> (Option<String>, Vec<FieldError>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return (None, Vec::new());
    };
    let v = match v.get("data") {
        Some(inner) if inner.get("detail").is_some() || inner.get("message").is_some() => inner,
        _ => &v,
    };
    let mut items = Vec::new();
    let mut text = None;
    match v.get("detail") {
        Some(serde_json::Value::String(s)) => text = Some(s.clone()),
        Some(serde_json::Value::Array(list)) => {
            for item in list {
                let loc: Vec<String> = item
                    .get("loc")
                    .and_then(|l| l.as_array())
                    .map(|parts| {
                        parts
                            .iter()
                            .filter_map(|p| match p {
                                serde_json::Value::String(s) => Some(s.clone()),
                                serde_json::Value::Number(n) => Some(n.to_string()),
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // Only the first part says where (`body`, `query`...); a field may be named `path`.
                let skip = usize::from(loc.first().is_some_and(|p| {
                    matches!(p.as_str(), "body" | "query" | "path" | "header" | "cookie")
                }));
                let field = loc[skip..].join(".");
                let msg = item
                    .get("msg")
                    .and_then(|m| m.as_str())
                    .unwrap_or("invalid value")
                    .to_string();
                let kind = item
                    .get("type")
                    .and_then(|m| m.as_str())
                    .unwrap_or("")
                    .to_string();
                items.push(FieldError { field, msg, kind });
            }
            if !items.is_empty() {
                text = Some(
                    items
                        .iter()
                        .map(|i| {
                            format!(
                                "{}: {}",
                                if i.field.is_empty() { "body" } else { &i.field },
                                i.msg
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                );
            }
        }
        Some(other) if !other.is_null() => text = Some(other.to_string()),
        _ => {}
    }
    if text.is_none() {
        text = v
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string);
    }
    (text, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_response_tolerates_missing_null_and_extra_fields() {
        let r: ExecutionResponse = serde_json::from_str(
            r#"{"reference_id":"abc","status":"PROCESSING","payer_amount":null,"extra":{"x":1},
                "requires_action":null,"provider_transaction_id":987654321}"#,
        )
        .unwrap();
        assert_eq!(r.status_word(), ExecStatus::Processing);
        assert_eq!(r.payer_amount, None);
        assert_eq!(r.requires_action, None);
        assert_eq!(r.provider_transaction_id.as_deref(), Some("987654321"));
        let empty: ExecutionResponse = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.status_word(), ExecStatus::Missing);
    }

    #[test]
    fn amounts_in_responses_are_exact() {
        let r: ExecutionResponse = serde_json::from_str(
            r#"{"payer_amount":123.10,"payer_currency":"USD","payee_amount":22965.255,"payee_currency":"LRD"}"#,
        )
        .unwrap();
        assert_eq!(r.payer_amount.unwrap().to_string(), "123.10");
        assert_eq!(r.payee_amount.unwrap().to_string(), "22965.255");
        assert!(r.rate().is_some());
    }

    #[test]
    fn arrays_are_never_read_as_answers() {
        assert!(serde_json::from_str::<ExecutionResponse>(r#"[null,"COMPLETED"]"#).is_err());
        assert!(serde_json::from_str::<PayoutSession>(r#"["42"]"#).is_err());
        let ok: ExecutionResponse =
            serde_json::from_str(r#"{"status":"COMPLETED","payer_amount":1.10}"#).unwrap();
        assert_eq!(ok.payer_amount.unwrap().to_string(), "1.10");
    }

    #[test]
    fn unknown_status_word_is_kept_raw() {
        assert_eq!(
            ExecStatus::from_word(Some("REVERSED")),
            ExecStatus::Other("REVERSED".into())
        );
        assert_eq!(
            ExecStatus::from_word(Some("completed")),
            ExecStatus::Completed
        );
        assert!(!ExecStatus::Other("SUCCESS".into()).is_final());
    }

    #[test]
    fn session_id_integer_goes_out_as_string() {
        let s: PayoutSession = serde_json::from_str(
            r#"{"id": 42, "expires_at": "2026-11-25T10:00:00Z", "wallet_id": 7}"#,
        )
        .unwrap();
        assert_eq!(s.id.as_deref(), Some("42"));
        assert!(s.expires_at_utc().is_some());
        let naive: PayoutSession =
            serde_json::from_str(r#"{"id": "9", "expires_at": "2026-11-25T10:00:00.123456"}"#)
                .unwrap();
        assert!(naive.expires_at_utc().is_some());
    }

    #[test]
    fn execute_request_serializes_the_vendor_shape() {
        let req = ExecuteRequest {
            session_id: "42".into(),
            payout_account_id: "18".into(),
            reference_id: Uuid::nil(),
            passcode: Passcode {
                token: PasscodeToken {
                    code: "913572".into(),
                    phone: Some("231771234567".into()),
                    user_id: None,
                },
                device: Device {
                    name: "host".into(),
                    kind: "SERVER".into(),
                    platform: "LINUX".into(),
                    user_agent: "payout-console/0.1.0".into(),
                    client_ip: "127.0.0.1".into(),
                },
            },
        };
        let v: serde_json::Value = serde_json::to_value(&req).unwrap();
        assert_eq!(v["session_id"], "42");
        assert_eq!(v["passcode"]["token"]["code"], "913572");
        assert_eq!(v["passcode"]["device"]["type"], "SERVER");
        assert!(v["passcode"]["token"].get("user_id").is_none());
        // Debug output never shows the passcode.
        assert!(!format!("{req:?}").contains("913572"));
    }

    #[test]
    fn fastapi_422_items_are_read_per_field_in_old_and_new_spellings() {
        let body = r#"{"detail":[{"loc":["body","reference_id"],"msg":"reference already used","type":"value_error"},
                       {"loc":["body","passcode","token",0,"phone"],"msg":"Field required","type":"missing","input":{}}]}"#;
        let (text, items) = parse_error_body(body);
        assert_eq!(items[0].field, "reference_id");
        assert_eq!(items[1].field, "passcode.token.0.phone");
        assert_eq!(items[1].msg, "Field required");
        assert!(
            text.unwrap()
                .contains("reference_id: reference already used")
        );
        let (text, items) = parse_error_body(r#"{"detail":"Could not validate credentials"}"#);
        assert_eq!(text.as_deref(), Some("Could not validate credentials"));
        assert!(items.is_empty());
        let (text, _) = parse_error_body(r#"{"data":{"message":"Forbidden"}}"#);
        assert_eq!(text.as_deref(), Some("Forbidden"));
        assert_eq!(parse_error_body("<html>").0, None);
    }

    #[test]
    fn last_chars_counts_characters_not_bytes() {
        assert_eq!(last_chars("2317•••4567", 4), "4567");
        assert_eq!(last_chars("a•b", 2), "•b");
        assert_eq!(last_chars("ab", 4), "ab");
        assert_eq!(last_chars("abc", 0), "");
    }

    #[test]
    fn secret_hint_keeps_only_the_last_four_characters() {
        assert_eq!(secret_hint("pi_123_secret_abcd"), "…abcd");
        assert_eq!(secret_hint("ab"), "…ab");
    }
}
