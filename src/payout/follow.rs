//! Following an execution on the status endpoint until it is final, and "status first" after a
//! lost answer.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::engine::Engine;
use super::plan::{Outcome, PayoutError, Progress, Sink};
use super::reconcile::NOT_FOUND_PREFIX;
use crate::api::{ApiError, LocalState};
use crate::journal::EventKind;

#[derive(Clone, Debug, Default)]
pub struct FollowOpts {
    /// Stop at `action_required` (headless: nobody can do 3-D Secure there).
    pub stop_on_action: bool,
    /// Give up watching after this long (the execution goes on; its state is not final).
    pub max_wait: Option<Duration>,
}

/// What one status poll changed.
enum Poll {
    Known,
    NotFound,
    Failed,
}

impl Engine {
    /// Asks the status endpoint once and records what it says.
    pub(super) async fn poll_once(
        &self,
        out: &mut Outcome,
        sink: Sink<'_>,
    ) -> Result<(), PayoutError> {
        self.poll(out, sink).await.map(|_| ())
    }

    async fn poll(&self, out: &mut Outcome, sink: Sink<'_>) -> Result<Poll, PayoutError> {
        match self.client.status(&out.reference).await {
            Ok(answer) => {
                let status = answer.body.status.clone();
                self.record_answer(out, EventKind::Polled, answer).await?;
                sink(Progress::Polled {
                    state: out.state,
                    status,
                });
                Ok(Poll::Known)
            }
            Err(e @ ApiError::NotFound { .. }) => {
                let msg = format!("{NOT_FOUND_PREFIX} yet ({e})");
                self.journal_error(
                    &out.reference,
                    EventKind::Polled,
                    Some(404),
                    out.state,
                    &msg,
                )
                .await?;
                sink(Progress::PollFailed { message: msg });
                Ok(Poll::NotFound)
            }
            Err(e) => {
                let msg = format!("status: {e}");
                self.journal_error(
                    &out.reference,
                    EventKind::Error,
                    e.http_status(),
                    out.state,
                    &msg,
                )
                .await?;
                sink(Progress::PollFailed { message: msg });
                Ok(Poll::Failed)
            }
        }
    }

    /// Polls until the execution is final, the operator cancels, or `max_wait` passes. Waits
    /// back off while PROCESSING (mobile money can take minutes; that is not a failure).
    pub async fn follow(
        &self,
        mut out: Outcome,
        opts: FollowOpts,
        cancel: &CancellationToken,
        sink: Sink<'_>,
    ) -> Result<Outcome, PayoutError> {
        let started = Instant::now();
        let mut interval = self.poll.interval;
        let mut not_found = 0u32;
        // When this run of not-found answers began: "did not land" needs them to span the grace
        // period, measured from the first of them, not from when the request left (with a
        // request timeout near the grace, that left only seconds of not-found polls).
        let mut not_found_since: Option<Instant> = None;
        loop {
            if out.state.is_final()
                || (opts.stop_on_action && out.state == LocalState::ActionRequired)
                || opts.max_wait.is_some_and(|m| started.elapsed() >= m)
            {
                return Ok(out);
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(out),
                _ = tokio::time::sleep(interval) => {}
            }
            match self.poll(&mut out, sink).await? {
                Poll::Known => {
                    not_found = 0;
                    not_found_since = None;
                    interval = match out.state {
                        LocalState::Processing | LocalState::ActionRequired => {
                            interval.mul_f32(1.5).min(self.poll.max_interval)
                        }
                        _ => self.poll.interval,
                    };
                }
                Poll::NotFound => {
                    not_found += 1;
                    let span = not_found_since.get_or_insert_with(Instant::now).elapsed();
                    if matches!(out.state, LocalState::Unknown | LocalState::Sending)
                        && not_found >= self.poll.not_found_polls
                        && span >= self.poll.not_found_grace
                    {
                        self.did_not_land(&mut out, not_found, span).await?;
                        return Ok(out);
                    }
                }
                Poll::Failed => {
                    interval = interval.mul_f32(2.0).min(self.poll.max_interval);
                }
            }
        }
    }

    /// Not-found persisted: the execution never landed, so nothing executed.
    pub(super) async fn did_not_land(
        &self,
        out: &mut Outcome,
        polls: u32,
        since_send: Duration,
    ) -> Result<(), PayoutError> {
        let msg = format!(
            "did not land: the API still does not know this reference after {polls} status polls over {} s; nothing executed, a new attempt is safe",
            since_send.as_secs()
        );
        self.journal_error(
            &out.reference,
            EventKind::Reconciled,
            Some(404),
            LocalState::Rejected,
            &msg,
        )
        .await?;
        out.state = LocalState::Rejected;
        out.did_not_land = true;
        out.error = Some(msg);
        Ok(())
    }
}
