//! `payout-console status REF`: ask the API, record the answer, optionally follow it.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::args::{Cli, StatusArgs};
use super::context::connect;
use super::error::CliError;
use super::output::{OutcomeJson, exit_code, progress_line, summary};
use super::pay::payout_error;
use crate::api::{ApiError, state_for};
use crate::config::Paths;
use crate::journal::EventKind;
use crate::payout::{FollowOpts, Outcome, Progress};

pub async fn run(cli: &Cli, paths: &Paths, args: &StatusArgs) -> Result<i32, CliError> {
    let reference = Uuid::parse_str(args.reference.trim())
        .map_err(|_| {
            CliError::Usage(format!(
                "reference: `{}` is not a UUID (form 550e8400-e29b-41d4-a716-446655440000)",
                args.reference
            ))
        })?
        .to_string();
    let conn = connect(cli, paths).await?;
    let engine = conn.engine.clone();
    let row = engine
        .journaled(&reference)
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    let answer = match engine.client.status(&reference).await {
        Ok(a) => a,
        Err(e @ ApiError::NotFound { .. }) => {
            return Err(CliError::NotFinal(format!(
                "the API does not know {reference} ({e}); right after a lost answer this can take a moment: ask again, or run `payout-console reconcile`"
            )));
        }
        Err(e) => return Err(CliError::Other(e.to_string())),
    };
    let state = state_for(&answer.body);
    let mut outcome = match &row {
        Some(row) => Outcome::resume(
            &reference,
            &row.payout_account_id,
            &row.session_id,
            row.state,
        ),
        None => Outcome::resume(&reference, "", "", state),
    };
    if row.is_some() {
        let (r, body, code) = (reference.clone(), answer.body.clone(), answer.http_status);
        engine
            .store
            .run(move |j| j.record_answer(&r, EventKind::Polled, code, &body, state))
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
    } else if !args.json {
        eprintln!(
            "note: {reference} is not in this console's history; the answer is shown, not recorded"
        );
    }
    outcome.state = state;
    outcome.http_status = Some(answer.http_status);
    outcome.response = Some(answer.body);
    outcome.raw = Some(answer.raw);

    if args.watch && !state.is_final() {
        let cancel = super::cancel_on_ctrl_c();
        let quiet = args.json;
        let sink = move |p: Progress| {
            if !quiet {
                eprintln!("{}", progress_line(&p));
            }
        };
        if row.is_some() {
            let opts = FollowOpts {
                stop_on_action: false,
                max_wait: None,
            };
            outcome = engine
                .follow(outcome, opts, &cancel, &sink)
                .await
                .map_err(payout_error)?;
        } else {
            outcome = watch_unjournaled(
                &conn.engine.client,
                outcome,
                engine.poll.interval,
                &cancel,
                &sink,
            )
            .await;
        }
    }
    if args.json {
        let json = OutcomeJson::new(&outcome, false, conn.sandbox.is_some(), &conn.profile_name);
        println!(
            "{}",
            serde_json::to_string(&json).map_err(|e| CliError::Other(e.to_string()))?
        );
    } else {
        eprintln!("{}", summary(&outcome));
    }
    Ok(exit_code(&outcome))
}

/// Follows a reference this console never journaled: shown, never recorded.
async fn watch_unjournaled(
    client: &crate::api::ApiClient,
    mut out: Outcome,
    interval: Duration,
    cancel: &CancellationToken,
    sink: &(dyn Fn(Progress) + Send + Sync),
) -> Outcome {
    while !out.state.is_final() {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
        match client.status(&out.reference).await {
            Ok(a) => {
                out.state = state_for(&a.body);
                sink(Progress::Polled {
                    state: out.state,
                    status: a.body.status.clone(),
                });
                out.response = Some(a.body);
            }
            Err(e) => sink(Progress::PollFailed {
                message: e.to_string(),
            }),
        }
    }
    out
}
