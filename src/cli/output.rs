//! What the headless commands print: one JSON object on stdout for `--json`, human lines on
//! stderr otherwise.

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::api::wire::FieldError;
use crate::api::{ErrorKind, LocalState};
use crate::money::Amount;
use crate::payout::{Outcome, Progress};

/// An outcome as `--json` prints it: every ExecutionResponse field plus the local state.
#[derive(Serialize)]
pub struct OutcomeJson<'a> {
    pub reference_id: &'a str,
    pub state: LocalState,
    pub status: Option<&'a str>,
    pub payer_amount: Option<Amount>,
    pub payer_currency: Option<&'a str>,
    pub payee_amount: Option<Amount>,
    pub payee_currency: Option<&'a str>,
    pub rate: Option<String>,
    pub operation_type: Option<&'a str>,
    pub provider_transaction_id: Option<&'a str>,
    pub gateway_message: Option<&'a str>,
    pub wallet_message: Option<&'a str>,
    /// Masked (last 4 characters) unless `--show-client-secret`.
    pub client_secret: Option<String>,
    pub requires_action: Option<bool>,
    pub payout_account_id: &'a str,
    pub session_id: &'a str,
    pub http_status: Option<u16>,
    pub error: Option<&'a str>,
    pub field_errors: &'a [FieldError],
    pub did_not_land: bool,
    pub sandbox: bool,
    pub profile: &'a str,
}

impl<'a> OutcomeJson<'a> {
    pub fn new(o: &'a Outcome, reveal_secret: bool, sandbox: bool, profile: &'a str) -> Self {
        let r = o.response.as_ref();
        OutcomeJson {
            reference_id: &o.reference,
            state: o.state,
            status: r.and_then(|r| r.status.as_deref()),
            payer_amount: r.and_then(|r| r.payer_amount),
            payer_currency: r.and_then(|r| r.payer_currency.as_deref()),
            payee_amount: r.and_then(|r| r.payee_amount),
            payee_currency: r.and_then(|r| r.payee_currency.as_deref()),
            rate: r.and_then(|r| r.rate()).map(|d| d.to_string()),
            operation_type: r.and_then(|r| r.operation_type.as_deref()),
            provider_transaction_id: r.and_then(|r| r.provider_transaction_id.as_deref()),
            gateway_message: r.and_then(|r| r.gateway_message.as_deref()),
            wallet_message: r.and_then(|r| r.wallet_message.as_deref()),
            client_secret: r.and_then(|r| {
                if reveal_secret {
                    r.client_secret
                        .as_ref()
                        .map(|s| s.expose_secret().to_string())
                } else {
                    r.client_secret_hint()
                }
            }),
            requires_action: r.and_then(|r| r.requires_action),
            payout_account_id: &o.account,
            session_id: &o.session_id,
            http_status: o.http_status,
            error: o.error.as_deref(),
            field_errors: &o.field_errors,
            did_not_land: o.did_not_land,
            sandbox,
            profile,
        }
    }
}

/// The exit code for a payout outcome (SPEC.md): a payout that never left is not an API
/// rejection, so it is 1, not 3.
pub fn exit_code(o: &Outcome) -> i32 {
    if o.state == LocalState::Rejected
        && (o.did_not_land || o.error_kind == Some(ErrorKind::NotSent))
    {
        return 1;
    }
    o.state.exit_code()
}

/// One human line per progress step, on stderr.
pub fn progress_line(p: &Progress) -> String {
    printable(&progress_text(p))
}

fn progress_text(p: &Progress) -> String {
    match p {
        Progress::SessionCreated { id } => format!("session {id} created"),
        Progress::Journaled { reference } => format!("journaled reference {reference}"),
        Progress::Sending { attempt, timeout } => {
            format!(
                "sending (attempt {attempt}, timeout {} s)",
                timeout.as_secs()
            )
        }
        Progress::RetryIn { after, reason } => {
            format!("{reason}; retrying in {:.0} s", after.as_secs_f32().ceil())
        }
        Progress::Answered { state, http_status } => format!("answered {http_status}: {state}"),
        Progress::ExecuteFailed { state, message } => format!("{state}: {message}"),
        Progress::Polled { state, status } => {
            format!("status {}: {state}", status.as_deref().unwrap_or("(none)"))
        }
        Progress::PollFailed { message } => message.clone(),
        Progress::StoppedWaiting => "stopped waiting".to_string(),
    }
}

/// Text from the API or the history, made safe for a terminal: control characters (an escape
/// sequence in a gateway message could clear or recolour the operator's screen) become spaces,
/// line breaks stay.
pub fn printable(text: &str) -> String {
    text.split('\n')
        .map(crate::journal::format::clean)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A short human summary of an outcome.
pub fn summary(o: &Outcome) -> String {
    printable(&summary_text(o))
}

fn summary_text(o: &Outcome) -> String {
    let mut lines = vec![format!("reference {}  state {}", o.reference, o.state)];
    if let Some(r) = &o.response {
        let money = |a: Option<Amount>, c: &Option<String>| match a {
            Some(a) => format!("{a} {}", c.as_deref().unwrap_or("")),
            None => "-".to_string(),
        };
        lines.push(format!(
            "payer {}  payee {}{}",
            money(r.payer_amount, &r.payer_currency),
            money(r.payee_amount, &r.payee_currency),
            r.rate().map(|x| format!("  rate {x}")).unwrap_or_default()
        ));
        for (k, v) in [
            ("status", &r.status),
            ("provider transaction", &r.provider_transaction_id),
            ("gateway", &r.gateway_message),
            ("wallet", &r.wallet_message),
        ] {
            if let Some(v) = v {
                lines.push(format!("{k}: {v}"));
            }
        }
        if o.state == LocalState::ActionRequired {
            lines.push(format!(
                "requires action: card authentication (3-D Secure) must be completed with the client_secret {} (pass --show-client-secret to print it)",
                r.client_secret_hint().unwrap_or_default()
            ));
        }
    }
    if let Some(e) = &o.error {
        let label = match o.state {
            LocalState::Rejected | LocalState::Unknown | LocalState::Sending => "error",
            _ => "note (the status endpoint has answered since)",
        };
        lines.push(format!("{label}: {e}"));
    }
    for f in &o.field_errors {
        lines.push(format!("  {}: {}", f.field, f.msg));
    }
    match o.state {
        LocalState::Unknown | LocalState::Sending => lines.push(format!(
            "not known yet: run `payout-console status {}` or `payout-console reconcile`; do not pay again with a new reference",
            o.reference
        )),
        LocalState::Pending | LocalState::Processing => lines.push(format!(
            "not final yet: follow it with `payout-console status {} --watch`",
            o.reference
        )),
        _ => {}
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_text_cannot_drive_the_operators_terminal() {
        let mut o = Outcome::resume("r-1", "18", "42", LocalState::Failed);
        o.response = Some(crate::api::wire::ExecutionResponse {
            status: Some("FAILED".into()),
            gateway_message: Some("ok\u{1b}[2J\u{1b}[31mHIJACK\u{7}".into()),
            ..Default::default()
        });
        o.error = Some("404: \u{1b}]52;c;ZXZpbA==\u{7}".into());
        let text = summary(&o);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("HIJACK"), "the text itself is kept: {text}");
        assert_eq!(printable("a\u{1b}b\nc\td"), "a b\nc d");
    }
}
