//! History as text: a table for people, JSON and CSV for tools, one execution with its trail,
//! and a support bundle to paste into a ticket. Sandbox rows are marked in every form; amounts
//! carry their currency and the payee/payer rate when the currencies differ.
//!
//! Text that came from the API (messages, status words) is shown with control characters
//! replaced, so a hostile message cannot move the cursor or recolour the terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::json;

use super::{EventRow, ExecutionRow};
use crate::money::Amount;

/// The last answer as the journal recorded it, for the support bundle.
#[derive(serde::Serialize)]
struct RecordedAnswer<'a> {
    reference_id: &'a str,
    status: &'a Option<String>,
    payer_amount: Option<Amount>,
    payer_currency: &'a Option<String>,
    payee_amount: Option<Amount>,
    payee_currency: &'a Option<String>,
    operation_type: &'a Option<String>,
    provider_transaction_id: &'a Option<String>,
    gateway_message: &'a Option<String>,
    wallet_message: &'a Option<String>,
    client_secret: Option<String>,
    requires_action: Option<bool>,
}

/// The fixed-width table `payout-console history` prints, newest first as given.
pub fn table(rows: &[ExecutionRow]) -> String {
    const HEAD: [&str; 9] = [
        "CREATED (UTC)",
        "REFERENCE",
        "STATE",
        "AMOUNT",
        "ACCOUNT",
        "PAYEE",
        "PROFILE",
        "SANDBOX",
        "NOTE",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                clean(&r.reference_id),
                state_text(r),
                amount_text(r),
                clean(&r.payout_account_id),
                clean(&r.payee),
                clean(&r.profile),
                if r.sandbox { "SANDBOX" } else { "" }.to_string(),
                shorten(&note(r), 48),
            ]
        })
        .collect();
    let mut widths = HEAD.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |fields: &[String]| {
        let mut text = String::new();
        for (i, (f, w)) in fields.iter().zip(widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(f);
            text.extend(std::iter::repeat_n(' ', w - f.chars().count()));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&HEAD.map(str::to_string));
    for row in &cells {
        line(row);
    }
    out
}

/// A JSON array of rows: amounts as exact JSON numbers, times as RFC 3339 UTC.
pub fn json(rows: &[ExecutionRow]) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_else(|e| {
        json!({ "error": format!("could not write history as JSON: {e}") }).to_string()
    })
}

/// CSV with a header line, one row per execution, every column; amounts as exact text.
pub fn csv(rows: &[ExecutionRow]) -> String {
    const HEAD: [&str; 32] = [
        "seq",
        "reference_id",
        "created_at",
        "updated_at",
        "state",
        "status",
        "payer_amount",
        "payer_currency",
        "payee_amount",
        "payee_currency",
        "rate",
        "operation_type",
        "provider_transaction_id",
        "gateway_message",
        "wallet_message",
        "client_secret_hint",
        "requires_action",
        "session_id",
        "session_amount",
        "session_currency",
        "session_expires_at",
        "payout_account_id",
        "profile",
        "base_url",
        "sandbox",
        "os_user",
        "payee",
        "attempts",
        "http_status",
        "error",
        "writer_pid",
        "writer_host",
    ];
    // Text columns are borrowed, not copied: `history` is run in loops, and copying every
    // field of every row was a fifth of its instructions.
    fn text(v: &str) -> Cow<'_, str> {
        Cow::Borrowed(v)
    }
    fn opt(v: &Option<String>) -> Cow<'_, str> {
        Cow::Borrowed(v.as_deref().unwrap_or(""))
    }
    fn shown(v: Option<String>) -> Cow<'static, str> {
        v.map_or(Cow::Borrowed(""), Cow::Owned)
    }
    let mut w = csv::Writer::from_writer(Vec::with_capacity(1024 * (rows.len() + 1)));
    let mut result = w.write_record(HEAD);
    for r in rows {
        if result.is_err() {
            break;
        }
        let fields = [
            Cow::Owned(r.seq.to_string()),
            text(&r.reference_id),
            Cow::Owned(r.created_at.to_rfc3339()),
            Cow::Owned(r.updated_at.to_rfc3339()),
            text(r.state.as_str()),
            opt(&r.status),
            shown(r.payer_amount.map(|a| a.to_string())),
            opt(&r.payer_currency),
            shown(r.payee_amount.map(|a| a.to_string())),
            opt(&r.payee_currency),
            shown(r.rate().map(|x| x.to_string())),
            opt(&r.operation_type),
            opt(&r.provider_transaction_id),
            opt(&r.gateway_message),
            opt(&r.wallet_message),
            opt(&r.client_secret_hint),
            shown(r.requires_action.map(|b| b.to_string())),
            text(&r.session_id),
            shown(r.session_amount.map(|a| a.to_string())),
            opt(&r.session_currency),
            opt(&r.session_expires_at),
            text(&r.payout_account_id),
            text(&r.profile),
            text(&r.base_url),
            text(if r.sandbox { "true" } else { "false" }),
            text(&r.os_user),
            text(&r.payee),
            Cow::Owned(r.attempts.to_string()),
            shown(r.http_status.map(|c| c.to_string())),
            opt(&r.error),
            Cow::Owned(r.writer_pid.to_string()),
            text(&r.writer_host),
        ];
        result = w.write_record(fields.iter().map(|f| f.as_bytes()));
    }
    match result.and_then(|_| w.into_inner().map_err(|e| e.into_error().into())) {
        // Every field was a &str, so the bytes are UTF-8; the lossy path is never taken.
        Ok(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(e) => format!("error: could not write history as CSV: {e}\n"),
    }
}

/// One execution and its event trail, for `history show`.
pub fn show(row: &ExecutionRow, events: &[EventRow]) -> String {
    let mut out = String::new();
    let mut field = |name: &str, value: String| {
        if !value.is_empty() {
            let _ = writeln!(out, "{name:<16}{value}");
        }
    };
    if row.sandbox {
        field("", "SANDBOX: no real money moved".into());
    }
    field("reference", clean(&row.reference_id));
    field("state", state_text(row));
    field("created", utc(row.created_at));
    field("updated", utc(row.updated_at));
    field("amount", amount_text(row));
    field("session", session_text(row));
    field("account", clean(&row.payout_account_id));
    field("payee", clean(&row.payee));
    field(
        "profile",
        format!("{} ({})", clean(&row.profile), clean(&row.base_url)),
    );
    field("operator", clean(&row.os_user));
    field(
        "attempts",
        match row.http_status {
            Some(code) => format!("{}, last HTTP {code}", row.attempts),
            None => row.attempts.to_string(),
        },
    );
    field("operation", opt_clean(&row.operation_type));
    field("provider tx", opt_clean(&row.provider_transaction_id));
    field("gateway", opt_clean(&row.gateway_message));
    field("wallet", opt_clean(&row.wallet_message));
    if row.requires_action == Some(true) {
        let hint = row.client_secret_hint.as_deref().unwrap_or("not recorded");
        field(
            "requires action",
            format!("yes; client secret {}", clean(hint)),
        );
    }
    field("error", opt_clean(&row.error));
    field(
        "writer",
        format!("pid {} on {}", row.writer_pid, clean(&row.writer_host)),
    );
    let _ = writeln!(out, "\nevents");
    for e in events {
        let _ = writeln!(
            out,
            "  {}  {:<15} {}",
            e.at.format("%Y-%m-%d %H:%M:%S%.3f UTC"),
            e.kind.as_str(),
            clean(&e.detail)
        );
    }
    out
}

/// Everything support needs about one execution, secrets redacted: the reference, UTC times,
/// the request as it was sent (passcode redacted, payee masked, device not recorded), the last
/// answer as recorded, and the event trail.
pub fn support_bundle(row: &ExecutionRow, events: &[EventRow]) -> String {
    let request = json!({
        "session_id": row.session_id,
        "payout_account_id": row.payout_account_id,
        "reference_id": row.reference_id,
        "passcode": {
            "token": { "code": "[redacted]", "payee (masked)": row.payee },
            "device": "[not recorded in history]",
        },
    });
    // A typed struct, not `json!`: a Value would turn the amount 25.00 into the float 25.0.
    let answer = RecordedAnswer {
        reference_id: &row.reference_id,
        status: &row.status,
        payer_amount: row.payer_amount,
        payer_currency: &row.payer_currency,
        payee_amount: row.payee_amount,
        payee_currency: &row.payee_currency,
        operation_type: &row.operation_type,
        provider_transaction_id: &row.provider_transaction_id,
        gateway_message: &row.gateway_message,
        wallet_message: &row.wallet_message,
        client_secret: row
            .client_secret_hint
            .as_ref()
            .map(|h| format!("[redacted, ends {h}]")),
        requires_action: row.requires_action,
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(out, "payout-console support bundle (secrets redacted)");
    if row.sandbox {
        let _ = writeln!(out, "SANDBOX execution: no real money moved");
    }
    let _ = writeln!(out, "reference_id:  {}", row.reference_id);
    let _ = writeln!(out, "created_at:    {}", row.created_at.to_rfc3339());
    let _ = writeln!(out, "updated_at:    {}", row.updated_at.to_rfc3339());
    let _ = writeln!(out, "local state:   {}", row.state);
    if let Some(code) = row.http_status {
        let _ = writeln!(out, "last HTTP:     {code}");
    }
    let _ = writeln!(out, "amount:        {}", amount_text(row));
    let _ = writeln!(out, "profile:       {} ({})", row.profile, row.base_url);
    let _ = writeln!(out, "attempts:      {}", row.attempts);
    if let Some(e) = &row.error {
        let _ = writeln!(out, "error:         {}", clean(e));
    }
    let _ = writeln!(
        out,
        "\nrequest: POST /executions/payout\n{}",
        pretty(&request)
    );
    let _ = writeln!(
        out,
        "\nlast answer (as recorded)\n{}",
        serde_json::to_string_pretty(&answer).unwrap_or_default()
    );
    let _ = writeln!(out, "\nevents (UTC)");
    for e in events {
        let _ = writeln!(
            out,
            "  {}  {}  {}",
            e.at.to_rfc3339(),
            e.kind.as_str(),
            clean(&e.detail)
        );
    }
    out
}

/// `123.10 USD`, or `123.10 USD → 22965.255 LRD (186.56 LRD/USD)` when the currencies differ;
/// the session's amount before any answer.
pub fn amount_text(r: &ExecutionRow) -> String {
    let cur = |c: &Option<String>| c.as_deref().map(clean).unwrap_or_default();
    match (r.payer_amount, r.payee_amount) {
        (Some(payer), Some(payee)) if r.payer_currency != r.payee_currency => {
            let rate = r
                .rate()
                .map(|x| {
                    format!(
                        " ({x} {}/{})",
                        cur(&r.payee_currency),
                        cur(&r.payer_currency)
                    )
                })
                .unwrap_or_default();
            format!(
                "{payer} {} → {payee} {}{rate}",
                cur(&r.payer_currency),
                cur(&r.payee_currency)
            )
        }
        (Some(payer), _) => format!("{payer} {}", cur(&r.payer_currency))
            .trim()
            .to_string(),
        (None, Some(payee)) => format!("{payee} {}", cur(&r.payee_currency))
            .trim()
            .to_string(),
        (None, None) => match r.session_amount {
            Some(a) => format!("{a} {}", cur(&r.session_currency))
                .trim()
                .to_string(),
            None => "-".into(),
        },
    }
}

fn state_text(r: &ExecutionRow) -> String {
    match r.status.as_deref() {
        Some(word) if !word.eq_ignore_ascii_case(r.state.as_str()) => {
            format!("{} ({})", r.state, clean(word))
        }
        _ => r.state.to_string(),
    }
}

fn session_text(r: &ExecutionRow) -> String {
    let mut s = clean(&r.session_id);
    if let Some(a) = r.session_amount {
        let cur = r.session_currency.as_deref().unwrap_or("");
        s.push_str(format!(", {a} {}", clean(cur)).trim_end());
    }
    if let Some(exp) = &r.session_expires_at {
        s.push_str(&format!(", expires {}", clean(exp)));
    }
    s
}

fn note(r: &ExecutionRow) -> String {
    r.error
        .as_deref()
        .or(r.gateway_message.as_deref())
        .or(r.wallet_message.as_deref())
        .map(clean)
        .unwrap_or_default()
}

fn utc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn opt_clean(v: &Option<String>) -> String {
    v.as_deref().map(clean).unwrap_or_default()
}

/// Control characters (newlines, ESC, …) become spaces.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}
