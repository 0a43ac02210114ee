//! `payout-console pay`: one payout without the TUI.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use secrecy::SecretString;
use zeroize::Zeroize;

use super::args::{Cli, PayArgs};
use super::context::{Connected, connect};
use super::error::CliError;
use super::output::{OutcomeJson, exit_code, progress_line, summary};
use crate::config::Paths;
use crate::payout::{
    ExecutionPlan, FollowOpts, PayoutError, PayoutForm, Progress, SessionChoice, ValidSession,
    validate,
};

/// Reads the passcode: from stdin with `--code-stdin`, else a hidden prompt on a terminal.
/// Never prompts when stdin is not a terminal.
fn read_code(code_stdin: bool) -> Result<SecretString, CliError> {
    if code_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Usage(format!("could not read the passcode from stdin: {e}")))?;
        let code = SecretString::from(line.trim().to_string());
        line.zeroize();
        return Ok(code);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "code: stdin is not a terminal, so there is no prompt; pass --code-stdin and pipe the merchant passcode".into(),
        ));
    }
    rpassword::prompt_password("Merchant passcode: ")
        .map(SecretString::from)
        .map_err(|e| CliError::Usage(format!("could not read the passcode: {e}")))
}

fn usage_from_problems(problems: &[crate::payout::FieldProblem]) -> CliError {
    let text = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("\n");
    CliError::Usage(text)
}

fn confirm_live(
    args: &PayArgs,
    conn: &Connected,
    amount: Option<(&str, &str)>,
) -> Result<(), CliError> {
    if !conn.is_live() || args.yes {
        return Ok(());
    }
    if args.code_stdin || !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "profile {} is LIVE: pass --yes to confirm this payout without a prompt",
            conn.profile_name
        )));
    }
    let tail = crate::api::wire::last_chars(&args.account, 4);
    let what = match amount {
        Some((amount, currency)) => format!(" for {amount} {currency}"),
        None => format!(" on session {}", args.session.as_deref().unwrap_or("")),
    };
    eprint!(
        "LIVE payout on profile {} to account {}{what}. Type the account's last 4 characters ({tail}) or the amount to confirm: ",
        conn.profile_name, args.account
    );
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok();
    let typed = line.trim();
    if typed == tail || amount.is_some_and(|(a, _)| typed == a) {
        Ok(())
    } else {
        Err(CliError::Usage("not confirmed: nothing was sent".into()))
    }
}

pub async fn run(cli: &Cli, paths: &Paths, args: &PayArgs) -> Result<i32, CliError> {
    let code = read_code(args.code_stdin)?;
    // Check what was typed before connecting, so bad input never starts a sandbox or a session.
    let session_choice = match (&args.session, &args.amount, &args.currency) {
        (Some(id), _, _) => SessionChoice::Existing {
            id: id.clone(),
            expires_at: None,
        },
        (None, Some(a), Some(c)) => SessionChoice::New {
            amount: a.clone(),
            currency: c.clone(),
        },
        _ => {
            return Err(CliError::Usage(
                "session: give --session ID, or --amount N with --currency C".into(),
            ));
        }
    };
    let form = PayoutForm {
        account: args.account.clone(),
        session: session_choice,
        phone: args.phone.clone(),
        user_id: args.user_id.clone(),
        code,
        reference: args.reference.clone(),
    };
    let valid = validate(form, chrono::Utc::now()).map_err(|p| usage_from_problems(&p))?;
    let conn = connect(cli, paths).await?;
    let engine = conn.engine.clone();
    let amount_text = match &valid.session {
        ValidSession::New { amount, currency } => Some((amount.to_string(), currency.as_str())),
        ValidSession::Existing { .. } => None,
    };
    confirm_live(
        args,
        &conn,
        amount_text.as_ref().map(|(a, c)| (a.as_str(), *c)),
    )?;

    let quiet = args.json;
    // Once a request has left, a failure to record what followed leaves the payout's outcome
    // unknown: that exits 5 (not final), never 1.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = sent.clone();
    let sink = move |p: Progress| {
        if matches!(p, Progress::Sending { .. }) {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        if !quiet {
            eprintln!("{}", progress_line(&p));
        }
        tracing::info!(progress = %progress_line(&p), "pay");
    };

    // A journaled reference keeps its session: a retry is the same payment.
    let reference = valid.reference.to_string();
    let existing = engine
        .journaled(&reference)
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    let (session_id, session_amount, session_currency, session_expires) =
        match (&existing, &valid.session) {
            (Some(row), _) => (
                row.session_id.clone(),
                row.session_amount,
                row.session_currency.clone(),
                row.session_expires_at.clone(),
            ),
            (None, ValidSession::Existing { id, expires_at }) => {
                (id.clone(), None, None, expires_at.map(|t| t.to_rfc3339()))
            }
            (None, ValidSession::New { amount, currency }) => {
                let s = engine
                    .create_session(&valid.account, *amount, currency)
                    .await
                    .map_err(payout_error)?;
                let id = s.id.clone().unwrap_or_default();
                sink(Progress::SessionCreated { id: id.clone() });
                (id, s.amount, s.currency.clone(), s.expires_at.clone())
            }
        };
    let plan = ExecutionPlan {
        reference: valid.reference,
        account: valid.account.clone(),
        session_id,
        session_amount,
        session_currency,
        session_expires_at: session_expires,
        payee: valid.payee.clone(),
        code: valid.code,
        allow_unresolved: args.allow_unresolved,
    };
    engine.guard_account(&plan).await.map_err(payout_error)?;

    let cancel = super::cancel_on_ctrl_c();
    let after_send = |e: PayoutError| match e {
        PayoutError::Store(store) if sent.load(std::sync::atomic::Ordering::SeqCst) => {
            CliError::NotFinal(format!(
                "{store}; the payout was sent and what followed could not be recorded: check `payout-console status {reference}`"
            ))
        }
        other => payout_error(other),
    };
    let mut outcome = engine
        .execute(plan, &cancel, &sink)
        .await
        .map_err(after_send)?;
    if !args.no_wait && !cancel.is_cancelled() {
        let opts = FollowOpts {
            stop_on_action: true,
            max_wait: Some(Duration::from_secs(args.max_wait)),
        };
        outcome = engine
            .follow(outcome, opts, &cancel, &sink)
            .await
            .map_err(after_send)?;
    }
    if args.json {
        let json = OutcomeJson::new(
            &outcome,
            args.show_client_secret,
            conn.sandbox.is_some(),
            &conn.profile_name,
        );
        println!(
            "{}",
            serde_json::to_string(&json).map_err(|e| CliError::Other(e.to_string()))?
        );
    } else {
        eprintln!("{}", summary(&outcome));
        if args.show_client_secret
            && let Some(s) = outcome
                .response
                .as_ref()
                .and_then(|r| r.client_secret.as_ref())
        {
            println!("{}", secrecy::ExposeSecret::expose_secret(s));
        }
    }
    Ok(exit_code(&outcome))
}

/// A workflow error before or around sending, as a command failure with the right exit code.
pub fn payout_error(e: PayoutError) -> CliError {
    match &e {
        PayoutError::Session(api) if api.nothing_executed() => CliError::Rejected(e.to_string()),
        PayoutError::Unresolved { .. }
        | PayoutError::AlreadyFinal { .. }
        | PayoutError::ReferenceMismatch { .. }
        | PayoutError::OtherApi { .. } => CliError::Usage(e.to_string()),
        PayoutError::StatusUnknown { .. } | PayoutError::InFlightElsewhere { .. } => {
            CliError::NotFinal(e.to_string())
        }
        _ => CliError::Other(e.to_string()),
    }
}
