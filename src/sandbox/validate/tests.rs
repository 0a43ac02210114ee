//! Unit tests of the request validation.

use super::*;
use secrecy::ExposeSecret;

fn good_execute() -> Value {
    json!({
        "session_id": "42",
        "payout_account_id": "18",
        "reference_id": "550e8400-e29b-41d4-a716-446655440000",
        "passcode": {
            "token": {"code": "000000", "phone": "231771234567"},
            "device": {"name": "h", "type": "SERVER", "platform": "LINUX",
                       "user_agent": "payout-console/0.1.0", "client_ip": "127.0.0.1"}
        }
    })
}

fn locs(err: ApiError) -> Vec<(String, String)> {
    let ApiError::Invalid(items) = err else {
        panic!("expected 422, got {err:?}");
    };
    items
        .into_iter()
        .map(|i| {
            let loc: Vec<String> = i
                .loc
                .iter()
                .map(|p| p.as_str().map(str::to_string).unwrap_or(p.to_string()))
                .collect();
            (loc.join("."), i.kind)
        })
        .collect()
}

fn exec(v: &Value) -> Result<ExecuteRequest, ApiError> {
    execute_request(v.to_string().as_bytes())
}

#[test]
fn well_formed_execute_body_is_read() {
    let req = exec(&good_execute()).unwrap();
    assert_eq!(req.session_id, "42");
    assert_eq!(req.code.expose_secret(), "000000");
    assert_eq!(req.device.kind, "SERVER");
    assert_eq!(req.phone.as_deref(), Some("231771234567"));
}

#[test]
fn each_missing_execute_field_is_its_own_item() {
    let mut v = good_execute();
    v.as_object_mut().unwrap().remove("session_id");
    v["passcode"]["device"]
        .as_object_mut()
        .unwrap()
        .remove("client_ip");
    v["passcode"]["token"]
        .as_object_mut()
        .unwrap()
        .remove("code");
    let items = locs(exec(&v).unwrap_err());
    assert!(items.contains(&("body.session_id".into(), "missing".into())));
    assert!(items.contains(&("body.passcode.device.client_ip".into(), "missing".into())));
    assert!(items.contains(&("body.passcode.token.code".into(), "missing".into())));
    assert_eq!(items.len(), 3);
}

#[test]
fn reference_must_be_a_version_4_uuid() {
    let mut v = good_execute();
    v["reference_id"] = "not-a-uuid".into();
    assert_eq!(
        locs(exec(&v).unwrap_err()),
        vec![("body.reference_id".into(), "uuid_parsing".into())]
    );
    v["reference_id"] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8".into(); // v1
    assert_eq!(
        locs(exec(&v).unwrap_err()),
        vec![("body.reference_id".into(), "uuid_version".into())]
    );
}

#[test]
fn phone_is_8_to_15_digits_without_plus_or_a_user_id_is_given() {
    let mut v = good_execute();
    v["passcode"]["token"]["phone"] = "+231771234567".into();
    assert_eq!(
        locs(exec(&v).unwrap_err()),
        vec![(
            "body.passcode.token.phone".into(),
            "string_pattern_mismatch".into()
        )]
    );
    v["passcode"]["token"]
        .as_object_mut()
        .unwrap()
        .remove("phone");
    assert_eq!(
        locs(exec(&v).unwrap_err()),
        vec![("body.passcode.token".into(), "value_error".into())]
    );
    v["passcode"]["token"]["user_id"] = "u-1".into();
    assert!(exec(&v).is_ok());
}

#[test]
fn wrong_types_are_items_and_the_passcode_is_never_echoed() {
    let mut v = good_execute();
    v["session_id"] = 42.into();
    v["passcode"]["token"]["code"] = 123456.into();
    let ApiError::Invalid(items) = exec(&v).unwrap_err() else {
        panic!("expected 422");
    };
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].input, Some(json!(42)));
    assert_eq!(items[1].input, None);
    assert!(!serde_json::to_string(&items).unwrap().contains("123456"));
    assert_eq!(
        locs(execute_request(b"[1,2]").unwrap_err()),
        vec![("body".into(), "model_attributes_type".into())]
    );
    v["passcode"] = Value::Null;
    assert!(
        locs(exec(&v).unwrap_err())
            .contains(&("body.passcode".into(), "model_attributes_type".into()))
    );
}

#[test]
fn session_amount_keeps_its_exact_digits_and_account_may_be_an_integer() {
    let req = session_request(br#"{"payout_account_id": 18, "amount": 123.10, "currency": "USD"}"#)
        .unwrap();
    assert_eq!(req.payout_account_id, "18");
    assert_eq!(req.amount.to_string(), "123.10");
    let req = session_request(br#"{"payout_account_id": "19", "amount": "5", "currency": "LRD"}"#)
        .unwrap();
    assert_eq!(req.amount.to_string(), "5");
}

#[test]
fn session_amount_must_be_positive_and_currency_three_uppercase_letters() {
    let err = session_request(br#"{"payout_account_id": "18", "amount": 0, "currency": "usd"}"#)
        .unwrap_err();
    assert_eq!(
        locs(err),
        vec![
            ("body.amount".into(), "greater_than".into()),
            ("body.currency".into(), "string_pattern_mismatch".into())
        ]
    );
    for bad in [r#""abc""#, "true", "null", "-1", "1.234", "1e10"] {
        let body = format!(r#"{{"payout_account_id": "18", "amount": {bad}, "currency": "USD"}}"#);
        let items = locs(session_request(body.as_bytes()).unwrap_err());
        assert_eq!(items.len(), 1, "{bad}");
        assert_eq!(items[0].0, "body.amount", "{bad}");
    }
    let items = locs(session_request(b"{}").unwrap_err());
    assert_eq!(items.len(), 3);
}

#[test]
fn token_request_needs_both_credentials() {
    let items = locs(token_request(br#"{"client_id": "sandbox"}"#).unwrap_err());
    assert_eq!(items, vec![("body.client_secret".into(), "missing".into())]);
    let req = token_request(br#"{"client_id": "a", "client_secret": "b"}"#).unwrap();
    assert_eq!(req.client_secret.expose_secret(), "b");
}
