//! Liberal readers for vendor fields whose JSON type varies between calls and API versions
//! (IDs as integers or strings, flags as booleans or null). A field of a surprising type becomes
//! "not given" instead of failing the whole answer.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A string, number or boolean as text; `null`, objects and arrays as `None`.
/// Numbers keep their exact JSON text (an ID like `12345678901234567890` stays intact).
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    Ok(raw.and_then(|r| raw_to_text(r.get())))
}

fn raw_to_text(raw: &str) -> Option<String> {
    let raw = raw.trim();
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw).ok(),
        Some(b'-' | b'0'..=b'9' | b't' | b'f') => Some(raw.to_string()),
        _ => None,
    }
}

/// `true`/`false`, also spelled as the strings `"true"`/`"false"`; anything else is `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    Ok(raw.and_then(|r| match raw_to_text(r.get()).as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }))
}

/// Minutes as a number or numeric string.
pub fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    Ok(raw
        .and_then(|r| raw_to_text(r.get()))
        .and_then(|t| t.parse::<f64>().ok()))
}

/// Parses a vendor body that is either bare or wrapped as `{"data": {...}}`.
pub fn unwrap_data(body: &str) -> &str {
    // Only an object can be a wrapper (serde reads a struct from an array field by field).
    if !body.trim_start().starts_with('{') {
        return body;
    }
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        data: Option<&'a RawValue>,
    }
    match serde_json::from_str::<Probe<'_>>(body) {
        Ok(Probe { data: Some(inner) }) if inner.get().trim_start().starts_with('{') => inner.get(),
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "opt_text")]
        id: Option<String>,
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
    }

    #[test]
    fn ids_are_read_as_text_whatever_their_json_type() {
        let t: T = serde_json::from_str(r#"{"id": 42}"#).unwrap();
        assert_eq!(t.id.as_deref(), Some("42"));
        let t: T = serde_json::from_str(r#"{"id": "42"}"#).unwrap();
        assert_eq!(t.id.as_deref(), Some("42"));
        let t: T = serde_json::from_str(r#"{"id": 12345678901234567890123}"#).unwrap();
        assert_eq!(t.id.as_deref(), Some("12345678901234567890123"));
        let t: T = serde_json::from_str(r#"{"id": {"x": 1}, "flag": null}"#).unwrap();
        assert_eq!(t.id, None);
        assert_eq!(t.flag, None);
        let t: T = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(t.id, None);
    }

    #[test]
    fn data_wrapper_is_unwrapped_only_when_it_holds_an_object() {
        assert_eq!(unwrap_data(r#"{"data": {"a": 1}}"#), r#"{"a": 1}"#);
        assert_eq!(
            unwrap_data(r#"{"data": "x", "a": 1}"#),
            r#"{"data": "x", "a": 1}"#
        );
        assert_eq!(unwrap_data("not json"), "not json");
    }
}
