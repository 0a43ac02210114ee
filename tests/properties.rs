//! Property tests (issue 5, item 3): everything that reads text from outside the process (API
//! answers, error bodies, `Retry-After`, the config file, what the operator types) is fed
//! arbitrary and adversarial input. None of it may panic, amounts must keep their exact digits,
//! and no answer may be taken for success unless it says COMPLETED.
//!
//! The comments beside some properties give the minimal inputs that once failed them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use payout_console::api::error::parse_retry_after;
use payout_console::api::lenient::unwrap_data;
use payout_console::api::wire::{ExecutionResponse, PayoutSession, parse_error_body};
use payout_console::api::{LocalState, state_for};
use payout_console::cli::parse_since;
use payout_console::config::{Config, ConfigError};
use payout_console::money::Amount;
use payout_console::payout::validate::{
    check_account, check_amount, check_currency, check_phone, check_reference, mask_phone,
};
use payout_console::payout::{PayoutForm, SessionChoice, validate};
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

/// A per-block config: `cases` inputs, no forking, short shrinking, so that the whole file stays
/// well under 20 s on two cores.
fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const EXECUTION_FIELDS: &[&str] = &[
    "reference_id",
    "status",
    "payer_amount",
    "payer_currency",
    "payee_currency",
    "payee_amount",
    "operation_type",
    "provider_transaction_id",
    "gateway_message",
    "wallet_message",
    "client_secret",
    "requires_action",
];
const SESSION_FIELDS: &[&str] = &[
    "id",
    "expires_at",
    "wallet_id",
    "payout_account_id",
    "amount",
    "currency",
];
/// Keys the readers look for besides the fields: wrappers and error bodies.
const ENVELOPE_KEYS: &[&str] = &["data", "detail", "message", "loc", "msg", "type"];

/// Strings that are hard on a reader: look-alikes of the status words, invisible and bidi
/// characters, non-BMP characters, escapes, JSON-looking text.
const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "COMPLETED",
    "completed",
    " Completed\t",
    "COMPLETED\u{0}",
    "\u{feff}COMPLETED",
    "COMPLETED\u{200b}",
    "ＣＯＭＰＬＥＴＥＤ",
    "COMPLΕTED",
    "COMPLETEDS",
    "SUCCESS",
    "FAILED",
    "PENDING",
    "PROCESSING",
    "null",
    "true",
    "1e5",
    "-0.00",
    "İ",
    "ß",
    "\u{202e}DETELPMOC",
    "👩‍👩‍👧‍👦",
    "\u{10ffff}",
    "\\u0000",
    "\"",
    "{\"status\":\"COMPLETED\"}",
    "a\r\nb",
];

fn odd_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => any::<String>(),
        2 => select(ODD_STRINGS).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9_ .\\-]{0,12}",
    ]
    .boxed()
}

fn json_number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
    ]
    .boxed()
}

fn json_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        odd_string().prop_map(Value::String),
    ]
    .boxed()
}

fn json_key(fields: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(fields).prop_map(str::to_owned),
        1 => select(ENVELOPE_KEYS).prop_map(str::to_owned),
        2 => odd_string(),
    ]
    .boxed()
}

/// Any JSON value, nested up to 6 levels, with keys biased towards `fields`.
fn json_tree(fields: &'static [&'static str]) -> BoxedStrategy<Value> {
    json_leaf()
        .prop_recursive(6, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(json_key(fields), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
}

/// A status word in some spelling: changed case, surrounding (possibly non-trimmable)
/// characters, or anything at all.
fn status_word() -> BoxedStrategy<String> {
    let spelled = (
        select(
            &[
                "COMPLETED",
                "FAILED",
                "PENDING",
                "PROCESSING",
                "SUCCESS",
                "REVERSED",
            ][..],
        ),
        prop::collection::vec(any::<bool>(), 12),
        select(
            &[
                "", " ", "\t", "\n", "\u{a0}", "\u{3000}", "\u{feff}", "\u{200b}", "x",
            ][..],
        ),
        select(&["", " ", "\r\n", "\u{2029}", "\u{0}", "ed", "."][..]),
    )
        .prop_map(|(word, flips, before, after)| {
            let word: String = word
                .chars()
                .zip(flips)
                .map(|(c, flip)| if flip { c.to_ascii_lowercase() } else { c })
                .collect();
            format!("{before}{word}{after}")
        });
    prop_oneof![3 => spelled, 1 => odd_string()].boxed()
}

/// An execution answer: the real fields with values of every JSON type, extra keys, a status
/// and a requires_action, sometimes wrapped in `{"data": ...}`.
fn execution_body() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(
            json_key(EXECUTION_FIELDS),
            json_tree(EXECUTION_FIELDS),
            0..8,
        ),
        prop_oneof![
            3 => status_word().prop_map(|s| Some(Value::String(s))),
            1 => json_tree(EXECUTION_FIELDS).prop_map(Some),
            1 => Just(None),
        ],
        prop_oneof![
            Just(Some(json!(true))),
            Just(Some(json!("true"))),
            Just(Some(json!(false))),
            json_leaf().prop_map(Some),
            Just(None),
        ],
        any::<bool>(),
    )
        .prop_map(|(extra, status, requires_action, wrap)| {
            let mut object: Map<String, Value> = extra.into_iter().collect();
            if let Some(status) = status {
                object.insert("status".into(), status);
            }
            if let Some(ra) = requires_action {
                object.insert("requires_action".into(), ra);
            }
            if wrap {
                json!({ "data": Value::Object(object) })
            } else {
                Value::Object(object)
            }
        })
}

/// The object a liberal reader should read: the `data` object when there is one, else the body.
fn effective(body: &Value) -> &Value {
    match body.get("data") {
        Some(inner @ Value::Object(_)) => inner,
        _ => body,
    }
}

fn parse_execution(body: &str) -> Result<ExecutionResponse, serde_json::Error> {
    serde_json::from_str::<ExecutionResponse>(unwrap_data(body))
}

fn parse_session(body: &str) -> Result<PayoutSession, serde_json::Error> {
    serde_json::from_str::<PayoutSession>(unwrap_data(body))
}

/// What `opt_text` should make of a field: strings as they are, numbers and booleans as their
/// JSON text, anything else not given.
fn expected_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        n @ Value::Number(_) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_final_word(word: &str) -> bool {
    let w = word.trim();
    w.eq_ignore_ascii_case("COMPLETED") || w.eq_ignore_ascii_case("FAILED")
}

/// Bytes that are JSON-ish more often than not: fragments of real bodies, cut anywhere.
fn jsonish_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..256)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "[\\[\\]{}\",:0-9a-zA-Z_.eE+\\- \\\\]{0,80}",
        (
            select(
                &[
                    "{\"status\":",
                    "{\"data\":{\"status\":",
                    "{\"payer_amount\":",
                    "{\"detail\":[{\"loc\":",
                    "{\"data\":",
                    "[",
                    "{\"id\":",
                ][..]
            ),
            "[\\[\\]{}\",:0-9a-zA-Z_.eE+\\- ]{0,40}",
        )
            .prop_map(|(head, tail)| format!("{head}{tail}")),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// ExecutionResponse and PayoutSession
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn execution_response_keeps_a_string_status_raw_and_never_invents_success(
        body in execution_body()
    ) {
        let text = serde_json::to_string(&body).unwrap();
        let object = effective(&body);
        let amounts_given = ["payer_amount", "payee_amount"]
            .iter()
            .any(|f| object.get(*f).is_some_and(|v| !v.is_null()));
        let resp = match parse_execution(&text) {
            Ok(resp) => resp,
            // Only an amount that cannot be read exactly may fail an object body.
            Err(e) => {
                prop_assert!(amounts_given, "{text} failed without an amount: {e}");
                return Ok(());
            }
        };
        prop_assert_eq!(&resp.status, &expected_text(object.get("status")));
        if let Some(Value::String(word)) = object.get("status") {
            prop_assert_eq!(resp.status.as_deref(), Some(word.as_str()));
        }
        let state = state_for(&resp);
        let word = resp.status.clone().unwrap_or_default();
        prop_assert_eq!(
            state == LocalState::Completed,
            word.trim().eq_ignore_ascii_case("COMPLETED"),
            "status {:?} gave {:?}", word, state
        );
        let expected_flag = match object.get("requires_action") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "true" => Some(true),
            Some(Value::String(s)) if s == "false" => Some(false),
            _ => None,
        };
        prop_assert_eq!(resp.requires_action, expected_flag);
        let requires_action = expected_flag == Some(true);
        if requires_action && !is_final_word(&word) {
            prop_assert_eq!(state, LocalState::ActionRequired);
        }
        if !is_final_word(&word) && !requires_action {
            prop_assert!(!state.is_final(), "{word:?} gave final {state:?}");
        }
    }

    #[test]
    fn execution_response_with_readable_amounts_always_parses(
        body in execution_body(),
        payer in prop_oneof![Just(Value::Null), (-10_000i64..10_000).prop_map(Value::from)],
    ) {
        let mut body = body;
        let object = match body.get_mut("data") {
            Some(Value::Object(_)) => body.get_mut("data").unwrap(),
            _ => &mut body,
        };
        if let Value::Object(map) = object {
            map.insert("payer_amount".into(), payer);
            map.remove("payee_amount");
        }
        let text = serde_json::to_string(&body).unwrap();
        prop_assert!(parse_execution(&text).is_ok(), "{}", text);
    }

    #[test]
    fn payout_session_reads_ids_as_text_whatever_their_type(
        extra in prop::collection::btree_map(json_key(SESSION_FIELDS), json_tree(SESSION_FIELDS), 0..8),
        id in prop_oneof![
            any::<u64>().prop_map(Value::from),
            "[0-9]{1,30}".prop_map(Value::String),
            odd_string().prop_map(Value::String),
            json_tree(SESSION_FIELDS),
        ],
        wrap in any::<bool>(),
    ) {
        let mut object: Map<String, Value> = extra.into_iter().collect();
        object.remove("data");
        object.insert("id".into(), id.clone());
        object.remove("amount");
        let body = if wrap { json!({ "data": object }) } else { Value::Object(object) };
        let text = serde_json::to_string(&body).unwrap();
        let session = parse_session(&text);
        prop_assert!(session.is_ok(), "{} -> {:?}", text, session.err());
        let session = session.unwrap();
        prop_assert_eq!(&session.id, &expected_text(Some(&id)));
        prop_assert_eq!(&session.wallet_id, &expected_text(effective(&body).get("wallet_id")));
        let _ = session.expires_at_utc();
    }

    #[test]
    fn execution_and_session_parsing_never_panic_on_arbitrary_json(
        value in json_tree(EXECUTION_FIELDS),
        session in json_tree(SESSION_FIELDS),
    ) {
        for v in [&value, &session] {
            let text = serde_json::to_string(v).unwrap();
            if let Ok(resp) = parse_execution(&text) {
                let _ = state_for(&resp);
                let _ = resp.rate();
                let _ = resp.client_secret_hint();
                let _ = format!("{resp:?}");
            }
            if let Ok(s) = parse_session(&text) {
                let _ = s.expires_at_utc();
            }
        }
    }

    #[test]
    fn execution_and_session_parsing_never_panic_on_arbitrary_bytes(text in jsonish_text()) {
        if let Ok(resp) = parse_execution(&text) {
            let _ = state_for(&resp);
            let _ = resp.rate();
            let _ = resp.client_secret_hint();
        }
        let _ = parse_session(&text);
        let _ = serde_json::from_slice::<ExecutionResponse>(text.as_bytes());
    }

    #[test]
    fn deeply_nested_bodies_are_errors_or_values_never_a_stack_overflow(
        depth in 0usize..4000,
        opener in select(&["[", "{\"data\":", "{\"status\":", "{\"detail\":[{\"loc\":"][..]),
        closed in any::<bool>(),
    ) {
        let closer: String = opener
            .chars()
            .rev()
            .filter_map(|c| match c {
                '[' => Some(']'),
                '{' => Some('}'),
                _ => None,
            })
            .collect();
        let mut text = opener.repeat(depth);
        text.push_str("\"COMPLETED\"");
        if closed {
            text.push_str(&closer.repeat(depth));
        }
        if let Ok(resp) = parse_execution(&text) {
            let _ = state_for(&resp);
        }
        let _ = parse_session(&text);
        let _ = parse_error_body(&text);
    }
}

proptest! {
    #![proptest_config(cases(128))]

    /// A body that is not an object carries no field names, so it cannot say COMPLETED.
    // Minimal failing inputs: `[null,"COMPLETED"]` parses as an ExecutionResponse with status
    // "COMPLETED" (serde's derived Deserialize also accepts a sequence, field by field, and the
    // second field is `status`); `[{"status":"COMPLETED"}]` too (`unwrap_data`'s probe reads the
    // first element of an array as `data`). `state_for` then says Completed for a 2xx whose
    // body is a bare JSON array.
    #[test]
    fn a_json_array_body_is_never_read_as_an_execution(
        items in prop::collection::vec(json_tree(EXECUTION_FIELDS), 0..4),
        word in status_word(),
        at in 0usize..4,
        object_first in any::<bool>(),
    ) {
        let mut items = items;
        if object_first {
            items.insert(0, json!({ "status": word }));
        } else {
            let at = at.min(items.len());
            items.insert(at, json!(word));
        }
        let text = serde_json::to_string(&Value::Array(items)).unwrap();
        if let Ok(resp) = parse_execution(&text) {
            prop_assert_eq!(resp.status, None, "{}", text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------------------------

/// The JSON text of a decimal: `digits` (no leading zeros, or `0`) with `scale` of them after the
/// point, e.g. ("12310", 2) -> `123.10`, ("5", 3) -> `0.005`.
fn decimal_text(negative: bool, digits: &str, scale: usize) -> String {
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits.to_owned()
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    let sign = if negative { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// Mantissas Decimal can hold: up to 28 digits, and any 96-bit value (some of 29 digits).
fn mantissa() -> BoxedStrategy<u128> {
    prop_oneof![
        "(0|[1-9][0-9]{0,27})".prop_map(|d| d.parse::<u128>().unwrap()),
        0u128..(1u128 << 96),
        0u128..100_000,
    ]
    .boxed()
}

/// A decimal's value as (sign, significant digits, power of ten), trailing zeros moved into the
/// power: 123.10 -> (false, "1231", -1). Zero is (false, "", 0).
fn normalized(negative: bool, digits: &str, mut exponent: i64) -> (bool, String, i64) {
    let digits = digits.trim_start_matches('0');
    let trimmed = digits.trim_end_matches('0');
    exponent += (digits.len() - trimmed.len()) as i64;
    if trimmed.is_empty() {
        (false, String::new(), 0)
    } else {
        (negative, trimmed.to_owned(), exponent)
    }
}

fn normalized_decimal(d: Decimal) -> (bool, String, i64) {
    normalized(
        d.is_sign_negative(),
        &d.mantissa().unsigned_abs().to_string(),
        -i64::from(d.scale()),
    )
}

/// Number text in every spelling a JSON number or a typed amount may take.
fn number_text() -> impl Strategy<Value = (String, (bool, String, i64))> {
    (
        any::<bool>(),
        "[0-9]{1,36}",
        prop::option::of("[0-9]{1,36}"),
        prop::option::of((
            select(&["e", "E"][..]),
            select(&["", "+", "-"][..]),
            0u32..45,
        )),
    )
        .prop_map(|(negative, int, frac, exp)| {
            let mut text = String::new();
            if negative {
                text.push('-');
            }
            text.push_str(&int);
            let frac = frac.unwrap_or_default();
            if !frac.is_empty() {
                text.push('.');
                text.push_str(&frac);
            }
            let mut power = -(frac.len() as i64);
            if let Some((e, sign, n)) = exp {
                text.push_str(&format!("{e}{sign}{n}"));
                power += if sign == "-" {
                    -i64::from(n)
                } else {
                    i64::from(n)
                };
            }
            let value = normalized(negative, &format!("{int}{frac}"), power);
            (text, value)
        })
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn amount_json_text_round_trips_exactly(
        m in mantissa(),
        scale in 0u32..=28,
        negative in any::<bool>(),
    ) {
        // Negative zero is left out: `-0.00` reads as 0.00, equal as a Decimal but not as text.
        let negative = negative && m != 0;
        let text = decimal_text(negative, &m.to_string(), scale as usize);
        let expected = Decimal::from_i128_with_scale(if negative { -(m as i128) } else { m as i128 }, scale);

        let a: Amount = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(a.0, expected);
        prop_assert_eq!(a.0.scale(), scale);
        prop_assert_eq!(a.to_string(), text.clone());
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), text.clone());
        // The same digits as a JSON string, and inside the answers that carry amounts.
        let quoted: Amount = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        prop_assert_eq!(quoted.to_string(), text.clone());
        let body = format!(r#"{{"data":{{"payer_amount":{text},"payee_amount":"{text}","status":"PENDING"}}}}"#);
        let resp = parse_execution(&body).unwrap();
        prop_assert_eq!(resp.payer_amount.map(|a| a.to_string()), Some(text.clone()));
        prop_assert_eq!(resp.payee_amount.map(|a| a.to_string()), Some(text.clone()));
        let session = parse_session(&format!(r#"{{"id":1,"amount":{text}}}"#)).unwrap();
        prop_assert_eq!(session.amount.map(|a| a.0.scale()), Some(scale));
    }

    #[test]
    fn plain_decimal_amounts_are_exact_or_an_error_never_rounded(
        negative in any::<bool>(),
        int in "(0|[1-9][0-9]{0,35})",
        frac in prop::option::of("[0-9]{1,35}"),
    ) {
        let frac = frac.unwrap_or_default();
        let text = if frac.is_empty() {
            format!("{}{int}", if negative { "-" } else { "" })
        } else {
            format!("{}{int}.{frac}", if negative { "-" } else { "" })
        };
        let digits = format!("{int}{frac}");
        let fits = frac.len() <= 28
            && digits.trim_start_matches('0').len() <= 29
            && digits.parse::<u128>().is_ok_and(|m| m < (1u128 << 96));
        match Amount::parse(&text) {
            Ok(a) => {
                prop_assert!(fits, "{} was accepted as {}", text, a);
                let canonical = text.strip_prefix("-0").map_or(text.clone(), |rest| {
                    if digits.trim_start_matches('0').is_empty() { format!("0{rest}") } else { text.clone() }
                });
                prop_assert_eq!(a.to_string(), canonical);
            }
            Err(e) => prop_assert!(!fits, "{} is representable but gave {}", text, e),
        }
        // The same through JSON.
        let json: Result<Amount, _> = serde_json::from_str(&text);
        prop_assert_eq!(json.is_ok(), fits, "{}", text);
    }

    #[test]
    fn json_exponent_amounts_are_read_exactly(
        negative in any::<bool>(),
        int in "[1-9][0-9]{0,14}",
        frac in "[0-9]{0,5}",
        e in select(&["e", "E"][..]),
        sign in select(&["", "+", "-"][..]),
        power in 0u32..=10,
    ) {
        let point = if frac.is_empty() { String::new() } else { format!(".{frac}") };
        let minus = if negative { "-" } else { "" };
        let text = format!("{minus}{int}{point}{e}{sign}{power}");
        let exponent = if sign == "-" { -i64::from(power) } else { i64::from(power) };
        let want = normalized(negative, &format!("{int}{frac}"), exponent - frac.len() as i64);
        let a: Amount = serde_json::from_str(&text).map_err(|err| TestCaseError::fail(format!("{text}: {err}")))?;
        prop_assert_eq!(normalized_decimal(a.0), want, "{}", text);
        // What it serializes to reads back as the same value.
        let again: Amount = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(again, a);
    }

    #[test]
    fn huge_amounts_are_errors_never_rounded(
        negative in any::<bool>(),
        digits in "[1-9][0-9]{29,60}",
        power in 0u32..400,
        form in 0u8..3,
    ) {
        let minus = if negative { "-" } else { "" };
        let text = match form {
            0 => format!("{minus}{digits}"),
            1 => format!("{minus}1e{}", 29 + power),
            _ => format!("{minus}{digits}.5"),
        };
        let parsed = Amount::parse(&text);
        prop_assert!(parsed.is_err(), "{} gave {:?}", text, parsed);
        prop_assert!(serde_json::from_str::<Amount>(&text).is_err(), "{}", text);
        let body = format!(r#"{{"status":"COMPLETED","payer_amount":{text}}}"#);
        prop_assert!(parse_execution(&body).is_err(), "{}", body);
    }

    #[test]
    fn amount_parse_never_panics_on_arbitrary_text(
        text in prop_oneof![
            any::<String>(),
            "[-+]?[0-9]{0,40}(\\.[0-9]{0,40})?([eE][-+]?[0-9]{0,25})?",
            "[-+.eE0-9 ]{0,30}",
        ]
    ) {
        if let Ok(a) = Amount::parse(&text) {
            // Whatever is accepted is written back as a JSON number that reads the same.
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), a);
            let _ = a.is_positive();
        }
        let _ = serde_json::from_str::<Amount>(&text);
    }
}

proptest! {
    #![proptest_config(cases(512))]

    /// Any accepted number has exactly the value its text says.
    // Minimal failing input: "0.00000000000000000000000000001e0" is accepted as 0 (a positive
    // amount read as zero); likewise "1.00000000000000000000000000001e0" becomes
    // 1.0000000000000000000000000000 and "12345678901234567890123456789.5e0" becomes
    // 12345678901234567890123456790. `Amount::parse` sends exponent forms to
    // `Decimal::from_scientific`, whose base goes through the rounding `Decimal::from_str`.
    #[test]
    fn amount_parse_never_rounds_silently((text, value) in number_text()) {
        if let Ok(a) = Amount::parse(&text) {
            prop_assert_eq!(normalized_decimal(a.0), value, "{} was read as {}", text, a);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Error bodies
// ---------------------------------------------------------------------------------------------

/// One `loc` segment after `body`: a field name or a list index, never one of FastAPI's
/// location words (see the ignored property below for those).
fn loc_segment() -> BoxedStrategy<Value> {
    prop_oneof![
        select(
            &[
                "session_id",
                "payout_account_id",
                "reference_id",
                "passcode",
                "token",
                "device",
                "phone",
                "code",
                "user_agent",
            ][..]
        )
        .prop_map(|s| json!(s)),
        (0u32..100).prop_map(|n| json!(n)),
        "[a-z_][a-z0-9_]{0,10}"
            .prop_filter("a location word", |s| !matches!(
                s.as_str(),
                "body" | "query" | "path" | "header"
            ))
            .prop_map(Value::String),
    ]
    .boxed()
}

/// One FastAPI 422 item, in the old (`value_error.missing`) or new (`missing`) spelling, with
/// the newer extra keys sometimes. Returns the item, its field (loc after `body`), msg and type.
fn fastapi_item(
    segment: BoxedStrategy<Value>,
) -> impl Strategy<Value = (Value, String, String, String)> {
    (
        prop::collection::vec(segment, 1..5),
        odd_string(),
        select(
            &[
                "value_error.missing",
                "missing",
                "value_error",
                "string_too_short",
                "uuid_parsing",
                "type_error.integer",
            ][..],
        ),
        prop::option::of(json_tree(EXECUTION_FIELDS)),
        prop::option::of(json_tree(EXECUTION_FIELDS)),
    )
        .prop_map(|(segments, msg, kind, input, ctx)| {
            let field = segments
                .iter()
                .map(|s| match s {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".");
            let mut loc = vec![json!("body")];
            loc.extend(segments);
            let mut item = json!({ "loc": loc, "msg": msg, "type": kind });
            if let Some(input) = input {
                item["input"] = input;
            }
            if let Some(ctx) = ctx {
                item["ctx"] = ctx;
            }
            (item, field, msg, kind.to_owned())
        })
}

fn check_fastapi_items(
    items: &[(Value, String, String, String)],
    wrap: bool,
) -> Result<(), TestCaseError> {
    let detail: Vec<Value> = items.iter().map(|(item, ..)| item.clone()).collect();
    let body = if wrap {
        json!({ "data": { "detail": detail } })
    } else {
        json!({ "detail": detail })
    };
    let text = serde_json::to_string(&body).unwrap();
    let (summary, parsed) = parse_error_body(&text);
    prop_assert_eq!(parsed.len(), items.len(), "{}", text);
    for ((_, field, msg, kind), got) in items.iter().zip(&parsed) {
        prop_assert_eq!(&got.field, field, "{}", text);
        prop_assert_eq!(&got.msg, msg);
        prop_assert_eq!(&got.kind, kind);
    }
    if !items.is_empty() {
        let summary = summary.unwrap_or_default();
        for (_, _, msg, _) in items {
            prop_assert!(summary.contains(msg.as_str()), "{summary:?} lacks {msg:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn fastapi_422_items_keep_every_msg_and_the_field_after_body(
        items in prop::collection::vec(fastapi_item(loc_segment()), 0..5),
        wrap in any::<bool>(),
    ) {
        check_fastapi_items(&items, wrap)?;
    }

    #[test]
    fn parse_error_body_never_panics_on_arbitrary_json(
        value in json_tree(&["detail", "message", "data", "loc", "msg", "type", "input", "ctx"])
    ) {
        let text = serde_json::to_string(&value).unwrap();
        let (summary, items) = parse_error_body(&text);
        // A string detail is the message, as it is.
        if let Some(Value::String(detail)) = effective_error(&value).get("detail") {
            prop_assert_eq!(summary.as_deref(), Some(detail.as_str()));
            prop_assert!(items.is_empty());
        }
    }

    #[test]
    fn parse_error_body_never_panics_on_arbitrary_bytes(text in jsonish_text()) {
        let _ = parse_error_body(&text);
    }
}

/// The error object `parse_error_body` should read: `data` when it holds detail or message.
fn effective_error(body: &Value) -> &Value {
    match body.get("data") {
        Some(inner) if inner.get("detail").is_some() || inner.get("message").is_some() => inner,
        _ => body,
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// A field named like a FastAPI location (`path`, `query`, `header`, `body`) is still the field.
    // Minimal failing input: {"detail":[{"loc":["body","path"],"msg":"m","type":"missing"}]}
    // gives the field "" (shown as `body`) instead of "path": `parse_error_body` skips every
    // leading location word, not just the first `body`.
    #[test]
    fn fastapi_422_field_named_like_a_location_is_kept(
        items in prop::collection::vec(
            fastapi_item(prop_oneof![
                select(&["path", "query", "header", "body"][..]).prop_map(|s| json!(s)),
                loc_segment(),
            ].boxed()),
            1..4,
        ),
    ) {
        check_fastapi_items(&items, false)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Retry-After
// ---------------------------------------------------------------------------------------------

fn some_time() -> impl Strategy<Value = SystemTime> {
    // 1970 to 9999, the range an HTTP date can spell.
    (0u64..253_402_300_799).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn retry_after_never_panics_and_never_exceeds_an_hour(
        value in prop_oneof![
            any::<String>(),
            "[-+ ]?[0-9]{1,30}[ ]?",
            "(Mon|Tue|Sun|Xyz), [0-9]{1,2} (Jan|Feb|Dec|Foo) [0-9]{1,6} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} (GMT|UTC|)",
            some_time().prop_map(httpdate::fmt_http_date),
        ],
        now in some_time(),
    ) {
        if let Some(wait) = parse_retry_after(&value, now) {
            prop_assert!(wait <= Duration::from_secs(3600), "{:?} gave {:?}", value, wait);
        }
    }

    #[test]
    fn retry_after_seconds_and_dates_are_read_as_the_wait_they_say(
        secs in 0u64..100_000,
        ahead in 0u64..10_000,
        now in some_time(),
    ) {
        prop_assert_eq!(
            parse_retry_after(&format!(" {secs} "), now),
            Some(Duration::from_secs(secs.min(3600)))
        );
        let now_whole = UNIX_EPOCH + Duration::from_secs(now.duration_since(UNIX_EPOCH).unwrap().as_secs());
        if let Some(when) = now_whole.checked_add(Duration::from_secs(ahead))
            && when < UNIX_EPOCH + Duration::from_secs(253_402_300_799)
        {
            prop_assert_eq!(
                parse_retry_after(&httpdate::fmt_http_date(when), now_whole),
                Some(Duration::from_secs(ahead.min(3600)))
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Config::from_toml
// ---------------------------------------------------------------------------------------------

/// A config using every table: top level, a profile, its device, an account and keys.
const VALID_CONFIG: &str = r#"
default_profile = "local"

[profiles.local]
base_url = "http://127.0.0.1:8080"
api_version = "v1"
timeout_secs = 30
connect_timeout_secs = 10
poll_interval_secs = 2
live = false
client_id = "sandbox"
client_secret_command = "echo sandbox"
phone = "231771234567"

[profiles.local.device]
name = "ops-1"
type = "SERVER"
platform = "LINUX"
client_ip = "127.0.0.1"

[[profiles.local.payout_accounts]]
id = "18"
label = "Sandbox USD"
provider = "sandbox"
currency = "USD"

[keys]
quit = "q"
"#;

// The parser's own key lists, so a key added to the config is mutated here too.
use payout_console::config::{ACCOUNT_KEYS, DEVICE_KEYS, PROFILE_KEYS, TOP_KEYS};

/// Where a mutation lands.
#[derive(Debug, Clone, Copy)]
enum Place {
    Top,
    Profile,
    Device,
    Account,
    Keys,
}

impl Place {
    fn known(self) -> &'static [&'static str] {
        match self {
            Place::Top => TOP_KEYS,
            Place::Profile => PROFILE_KEYS,
            Place::Device => DEVICE_KEYS,
            Place::Account => ACCOUNT_KEYS,
            Place::Keys => &[],
        }
    }
}

fn table_at(root: &mut toml::Table, place: Place) -> Option<&mut toml::Table> {
    match place {
        Place::Top => Some(root),
        Place::Keys => root.get_mut("keys")?.as_table_mut(),
        _ => {
            let local = root
                .get_mut("profiles")?
                .as_table_mut()?
                .get_mut("local")?
                .as_table_mut()?;
            match place {
                Place::Profile => Some(local),
                Place::Device => local.get_mut("device")?.as_table_mut(),
                _ => local
                    .get_mut("payout_accounts")?
                    .as_array_mut()?
                    .first_mut()?
                    .as_table_mut(),
            }
        }
    }
}

fn toml_value() -> BoxedStrategy<toml::Value> {
    let leaf = prop_oneof![
        odd_string().prop_map(toml::Value::String),
        any::<i64>().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        Just(toml::Value::Datetime(
            "1979-05-27T07:32:00Z".parse().unwrap()
        )),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::btree_map(odd_string(), inner, 0..4)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
    .boxed()
}

#[derive(Debug, Clone)]
enum Mutation {
    /// A key the parser does not know, with any value.
    Insert(Place, String, toml::Value),
    /// A known key given a value of any type.
    Retype(Place, usize, toml::Value),
}

fn place() -> impl Strategy<Value = Place> {
    select(
        &[
            Place::Top,
            Place::Profile,
            Place::Device,
            Place::Account,
            Place::Keys,
        ][..],
    )
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (
            place(),
            prop_oneof![
                odd_string(),
                select(
                    &[
                        "client_secret",
                        "token",
                        "passcode",
                        "timout_sec",
                        "baseurl"
                    ][..]
                )
                .prop_map(str::to_owned),
            ],
            toml_value()
        )
            .prop_map(|(p, k, v)| Mutation::Insert(p, k, v)),
        (place(), 0usize..16, toml_value()).prop_map(|(p, i, v)| Mutation::Retype(p, i, v)),
    ]
}

/// How an error names a key: bare when it can be, else quoted as Rust would.
fn key_as_named(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

fn from_toml(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new("/etc/payout-console/config.toml"))
}

#[test]
fn the_config_that_mutations_start_from_is_valid() {
    let config = from_toml(VALID_CONFIG).unwrap();
    assert_eq!(config.profiles["local"].payout_accounts.len(), 1);
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn config_from_toml_never_panics_on_arbitrary_text(
        text in prop_oneof![
            any::<String>(),
            "[\\[\\]a-z_=\".0-9 \\n#{}',+-]{0,200}",
            prop::collection::vec(any::<u8>(), 0..300)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ]
    ) {
        if let Err(e) = from_toml(&text) {
            let _ = e.to_string();
            let _ = e.problems();
        }
    }

    #[test]
    fn config_from_toml_never_panics_on_valid_configs_with_lines_inserted(
        lines in prop::collection::vec(
            (0usize..40, prop_oneof![
                odd_string(),
                (odd_string(), "[-+0-9a-z\\[\\]{}\". ]{0,20}").prop_map(|(k, v)| format!("{k:?} = {v}")),
                "\\[{1,2}[a-z.\"]{0,20}\\]{1,2}",
            ]),
            1..4,
        )
    ) {
        let mut text: Vec<String> = VALID_CONFIG.lines().map(str::to_owned).collect();
        for (at, line) in lines {
            let at = at.min(text.len());
            text.insert(at, line);
        }
        if let Err(e) = from_toml(&text.join("\n")) {
            let _ = e.to_string();
        }
    }

    #[test]
    fn an_unknown_config_key_is_named_in_the_error(
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut root: toml::Table = toml::from_str(VALID_CONFIG).unwrap();
        let mut inserted = Vec::new();
        for m in mutations {
            match m {
                Mutation::Insert(place, key, value) => {
                    if place.known().contains(&key.as_str()) || matches!(place, Place::Keys) {
                        continue;
                    }
                    if let Some(table) = table_at(&mut root, place) {
                        table.insert(key.clone(), value);
                        inserted.push((place, key));
                    }
                }
                Mutation::Retype(place, index, value) => {
                    let Some(table) = table_at(&mut root, place) else {
                        continue;
                    };
                    let key = match place {
                        Place::Keys => "quit".to_owned(),
                        _ => place.known()[index % place.known().len()].to_owned(),
                    };
                    table.insert(key, value);
                }
            }
        }
        // A later mutation may have replaced the table an unknown key went into.
        let unknown: Vec<String> = inserted
            .into_iter()
            .filter(|(place, key)| table_at(&mut root, *place).is_some_and(|t| t.contains_key(key)))
            .map(|(_, key)| key)
            .collect();
        let Ok(text) = toml::to_string(&root) else {
            return Err(TestCaseError::reject("not serializable as TOML"));
        };
        match from_toml(&text) {
            Ok(_) => prop_assert!(unknown.is_empty(), "unknown keys {:?} accepted in\n{}", unknown, text),
            Err(e) => {
                let message = e.to_string();
                for key in &unknown {
                    prop_assert!(
                        message.contains(&key_as_named(key)),
                        "the error does not name {:?}:\n{}\n--- from ---\n{}", key, message, text
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Input validators
// ---------------------------------------------------------------------------------------------

fn typed_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => any::<String>(),
        2 => odd_string(),
        2 => "[ ]?[+]?[0-9]{0,20}[ ]?",
        1 => "[0-9a-fA-F-]{30,40}",
        1 => "[-+]?[0-9]{0,6}(\\.[0-9]{0,6})?",
        1 => "[A-Za-z]{0,4}",
    ]
    .boxed()
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn check_phone_accepts_exactly_8_to_15_ascii_digits(phone in typed_text()) {
        let p = phone.trim();
        let digits_only = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let want = digits_only && (8..=15).contains(&p.len());
        let got = check_phone(&phone);
        prop_assert_eq!(got.is_none(), want, "{:?}: {:?}", phone, got);
        if let Some(problem) = got {
            prop_assert_eq!(problem.field, "phone");
        }
    }

    #[test]
    fn check_phone_accepts_every_8_to_15_digit_number(phone in "[0-9]{8,15}", pad in "[ \t]{0,2}") {
        prop_assert_eq!(check_phone(&format!("{pad}{phone}{pad}")), None);
    }

    #[test]
    fn mask_phone_never_shows_more_than_4_digits_in_a_row(
        phone in prop_oneof![
            "[0-9]{9,20}",
            "[0-9 +\\-]{9,24}".prop_filter("9 digits", |s| s.bytes().filter(u8::is_ascii_digit).count() >= 9),
        ]
    ) {
        let masked = mask_phone(&phone);
        let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
        for window in digits.windows(5) {
            let run: String = window.iter().collect();
            prop_assert!(!masked.contains(&run), "{} -> {} shows {}", phone, masked, run);
        }
        let mut longest = 0;
        let mut current = 0;
        for c in masked.chars() {
            current = if c.is_ascii_digit() { current + 1 } else { 0 };
            longest = longest.max(current);
        }
        prop_assert!(longest <= 4, "{} -> {}", phone, masked);
        prop_assert!(masked.contains('•'));
    }

    #[test]
    fn input_validators_never_panic_on_arbitrary_unicode(text in typed_text()) {
        let _ = mask_phone(&text);
        if check_account(&text).is_none() {
            let a = text.trim();
            prop_assert!(!a.is_empty() && a.len() <= 64);
            prop_assert!(!a.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
        if let Ok(amount) = check_amount(&text) {
            prop_assert!(amount.is_positive());
            prop_assert!(amount.0.scale() <= 4);
        }
        let c = text.trim();
        prop_assert_eq!(
            check_currency(&text).is_none(),
            c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
        );
        if let Ok(uuid) = check_reference(&text) {
            prop_assert_eq!(uuid.get_version_num(), 4);
        }
    }

    #[test]
    fn check_reference_accepts_every_v4_uuid(bytes in any::<[u8; 16]>()) {
        let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
        prop_assert_eq!(check_reference(&format!(" {uuid} ")), Ok(uuid));
        prop_assert_eq!(check_reference(&uuid.hyphenated().to_string().to_uppercase()), Ok(uuid));
    }
}

fn utc_time() -> impl Strategy<Value = DateTime<Utc>> {
    (-10_000_000_000i64..10_000_000_000).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn validate_never_panics_and_only_passes_what_every_check_passes(
        account in typed_text(),
        existing in any::<bool>(),
        session_id in typed_text(),
        expires_in in prop::option::of(-100_000i64..100_000),
        amount in typed_text(),
        currency in prop_oneof![typed_text(), Just("USD".to_owned())],
        phone in prop::option::of(typed_text()),
        user_id in prop::option::of(typed_text()),
        code in typed_text(),
        reference in prop::option::of(typed_text()),
        now in utc_time(),
    ) {
        let session = if existing {
            SessionChoice::Existing {
                id: session_id.clone(),
                expires_at: expires_in.map(|s| now + chrono::Duration::seconds(s)),
            }
        } else {
            SessionChoice::New { amount: amount.clone(), currency: currency.clone() }
        };
        let form = PayoutForm {
            account: account.clone(),
            session,
            phone: phone.clone(),
            user_id: user_id.clone(),
            code: code.clone().into(),
            reference: reference.clone(),
        };
        match validate(form, now) {
            Ok(valid) => {
                prop_assert!(check_account(&account).is_none());
                prop_assert_eq!(valid.account, account.trim());
                prop_assert!(!code.trim().is_empty());
                prop_assert_eq!(valid.reference.get_version_num(), 4);
                if existing {
                    prop_assert!(!session_id.trim().is_empty());
                    prop_assert!(expires_in.is_none_or(|s| s > 0));
                } else {
                    prop_assert!(check_amount(&amount).is_ok());
                    prop_assert!(check_currency(&currency).is_none());
                }
                let phone = phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
                if let Some(p) = phone {
                    prop_assert!(check_phone(p).is_none());
                }
                let _ = valid.payee.masked();
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in &problems {
                    prop_assert!(
                        ["account", "session", "amount", "currency", "phone", "code", "reference"]
                            .contains(&p.field),
                        "{:?}", p
                    );
                    prop_assert!(!p.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn parse_since_never_panics_on_free_text(text in prop_oneof![
        any::<String>(),
        odd_string(),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2}))?",
        "[0-9]{1,6}[a-zA-Z]",
        "[a-zé]{0,3}[0-9]{0,3}[a-zé]{0,2}",
    ], now in utc_time()) {
        let _ = parse_since(&text, now);
    }

    #[test]
    fn relative_since_goes_back_from_now_by_the_amount_given(
        n in 0i64..100_000,
        unit in select(&['m', 'h', 'd', 'w'][..]),
        now in utc_time(),
    ) {
        let back = match unit {
            'm' => chrono::Duration::minutes(n),
            'h' => chrono::Duration::hours(n),
            'd' => chrono::Duration::days(n),
            _ => chrono::Duration::weeks(n),
        };
        prop_assert_eq!(parse_since(&format!(" {n}{unit} "), now), Ok(now - back));
    }

    #[test]
    fn a_since_date_is_that_day_at_midnight_utc(
        day in (1i32..3_652_059).prop_map(|d| chrono::NaiveDate::from_num_days_from_ce_opt(d).unwrap()),
        now in utc_time(),
    ) {
        let text = day.format("%Y-%m-%d").to_string();
        prop_assert!(day.year() <= 9999);
        prop_assert_eq!(parse_since(&text, now), Ok(day.and_hms_opt(0, 0, 0).unwrap().and_utc()));
    }
}

proptest! {
    #![proptest_config(cases(256))]

    // Minimal failing inputs: "2320000000h" and "100000000d" panic with `DateTime - TimeDelta
    // overflowed`, "9999999999999h" with `TimeDelta::hours out of bounds`: `parse_since` builds
    // the duration with chrono's panicking constructors and subtracts it without `checked_sub`,
    // so `history --since 100000000d` dies in a panic instead of exiting 2 with a usage error.
    #[test]
    fn parse_since_never_panics_on_large_relative_amounts(
        text in "[0-9]{6,19}[mhdw]",
        now in utc_time(),
    ) {
        let _ = parse_since(&text, now);
    }

    // Minimal failing input: "-1d" is accepted and gives a time one day after now, so
    // `history --since -1d` silently shows nothing instead of reporting bad usage.
    #[test]
    fn relative_since_is_never_after_now(
        n in -100_000i64..100_000,
        unit in select(&['m', 'h', 'd', 'w'][..]),
        now in utc_time(),
    ) {
        if let Ok(since) = parse_since(&format!("{n}{unit}"), now) {
            prop_assert!(since <= now, "{}{} gave {} after {}", n, unit, since, now);
        }
    }
}

/// The four units, and no other letter.
#[test]
fn since_units_are_minutes_hours_days_and_weeks() {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    let units: BTreeMap<char, chrono::Duration> = [
        ('m', chrono::Duration::minutes(3)),
        ('h', chrono::Duration::hours(3)),
        ('d', chrono::Duration::days(3)),
        ('w', chrono::Duration::weeks(3)),
    ]
    .into_iter()
    .collect();
    for (unit, back) in units {
        assert_eq!(parse_since(&format!("3{unit}"), now), Ok(now - back));
    }
    assert!(parse_since("3y", now).is_err());
}
