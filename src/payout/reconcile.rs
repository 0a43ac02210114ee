//! Resolving executions that are not final, from the status endpoint alone. Never executes.

use chrono::Utc;

use super::engine::Engine;
use super::plan::PayoutError;
use crate::api::{ApiError, LocalState, state_for};
use crate::journal::{EventKind, ExecutionRow};

/// Text of a status poll the API answered "not found", found inside the event detail; counted to decide
/// "did not land".
pub const NOT_FOUND_PREFIX: &str = "status: the API does not know this reference";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The API knows it; this is its state now.
    Known(LocalState),
    /// Not found, but not for long enough to call it "did not land".
    NotFoundYet { polls: u32 },
    /// Not found over several polls spanning the grace period: nothing executed.
    DidNotLand,
    /// The status could not be asked; the row is unchanged.
    Unreachable(String),
}

impl Engine {
    /// Asks the status of one journaled execution and records the answer.
    pub async fn reconcile_row(&self, row: &ExecutionRow) -> Result<Resolution, PayoutError> {
        let reference = row.reference_id.clone();
        // Only the API a row was sent to knows it: another one's "not found" would end as
        // "did not land" for a payout that may have executed.
        if !self.sent_here(row) {
            return Ok(Resolution::Unreachable(format!(
                "sent to another API ({}, profile {}); reconcile it with that profile{}",
                row.base_url,
                row.profile,
                if row.sandbox {
                    " (a sandbox row: only the sandbox that ran it knew it)"
                } else {
                    ""
                }
            )));
        }
        match self.client.status(&reference).await {
            Ok(answer) => {
                let state = state_for(&answer.body);
                let (r, body, code) = (reference.clone(), answer.body, answer.http_status);
                self.store
                    .run(move |j| j.record_answer(&r, EventKind::Reconciled, code, &body, state))
                    .await?;
                Ok(Resolution::Known(state))
            }
            Err(e @ ApiError::NotFound { .. }) => {
                let msg = format!("{NOT_FOUND_PREFIX} ({e})");
                self.journal_error(&reference, EventKind::Polled, Some(404), row.state, &msg)
                    .await?;
                let r = reference.clone();
                let events = self.store.run(move |j| j.events(&r)).await?;
                // Only misses since the reference last left count: a not-found before a later
                // send of the same reference says nothing about that send.
                let since_last_send = events
                    .iter()
                    .rposition(|e| e.kind == EventKind::Sent)
                    .map_or(0, |i| i + 1);
                let misses: Vec<_> = events[since_last_send..]
                    .iter()
                    .filter(|e| e.kind == EventKind::Polled && e.detail.contains(NOT_FOUND_PREFIX))
                    .collect();
                let span = misses
                    .first()
                    .map(|first| Utc::now() - first.at)
                    .and_then(|d| d.to_std().ok())
                    .unwrap_or_default();
                let polls = misses.len() as u32;
                // Not `sending`: its request may be in flight right now (in this process or
                // another); an orphaned one is `unknown` by the next open of the history.
                let may_conclude = row.state == LocalState::Unknown;
                if may_conclude
                    && polls >= self.poll.not_found_polls
                    && span >= self.poll.not_found_grace
                {
                    let msg = format!(
                        "did not land: the API did not know this reference on {polls} status polls over {} s; nothing executed, a new attempt is safe",
                        span.as_secs()
                    );
                    self.journal_error(
                        &reference,
                        EventKind::Reconciled,
                        Some(404),
                        LocalState::Rejected,
                        &msg,
                    )
                    .await?;
                    Ok(Resolution::DidNotLand)
                } else {
                    Ok(Resolution::NotFoundYet { polls })
                }
            }
            Err(e) => {
                let msg = format!("status: {e}");
                self.journal_error(
                    &reference,
                    EventKind::Error,
                    e.http_status(),
                    row.state,
                    &msg,
                )
                .await?;
                Ok(Resolution::Unreachable(e.to_string()))
            }
        }
    }
}
