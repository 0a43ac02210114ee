//! Sending one execution: journal first, then execute with the retry rules, then status first
//! after any answer we did not get.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::plan::{ExecutionPlan, Outcome, PayoutError, PollPolicy, Progress, Sink};
use super::store::{Store, StoreError};
use super::validate::Payee;
use crate::api::wire::{
    CreateSessionRequest, Device, ExecuteRequest, ExecutionResponse, Passcode, PasscodeToken,
    PayoutSession,
};
use crate::api::{ApiClient, ApiError, ErrorKind, LocalState, state_for};
use crate::journal::{EventKind, ExecutionRow, JournalError, NewExecution};
use crate::money::Amount;

/// Where this console is pointed, recorded with every execution.
#[derive(Clone, Debug)]
pub struct EngineContext {
    pub profile: String,
    pub base_url: String,
    pub sandbox: bool,
    pub os_user: String,
    pub device: Device,
}

pub struct Engine {
    pub client: Arc<ApiClient>,
    pub store: Store,
    pub ctx: EngineContext,
    pub poll: PollPolicy,
}

/// What a journaled reference allows.
enum Resume {
    /// The status answered for it: nothing is sent.
    Settled(Box<Outcome>),
    /// Sending with this reference is safe; `earlier_unresolved` when an earlier send of it has
    /// no known outcome (the API does not know it yet).
    Send { earlier_unresolved: bool },
}

impl Engine {
    pub async fn create_session(
        &self,
        account: &str,
        amount: Amount,
        currency: &str,
    ) -> Result<PayoutSession, PayoutError> {
        let req = CreateSessionRequest {
            payout_account_id: account.to_string(),
            amount,
            currency: currency.to_string(),
        };
        let answer = self
            .client
            .create_session(&req)
            .await
            .map_err(PayoutError::Session)?;
        let mut session = answer.body;
        if session.id.as_deref().is_none_or(str::is_empty) {
            return Err(PayoutError::Session(ApiError::BadBody {
                status: answer.http_status,
                reason: "the session answer has no id".into(),
                snippet: answer.raw.chars().take(160).collect(),
            }));
        }
        session
            .payout_account_id
            .get_or_insert_with(|| account.to_string());
        session.amount.get_or_insert(amount);
        session.currency.get_or_insert_with(|| currency.to_string());
        Ok(session)
    }

    /// The journal's row for `reference`, if this console ever sent it.
    pub async fn journaled(&self, reference: &str) -> Result<Option<ExecutionRow>, StoreError> {
        let r = reference.to_string();
        self.store.run(move |j| j.get(&r)).await
    }

    /// Executions to `account` that may still move money, other than `except`.
    pub async fn unresolved_for(
        &self,
        account: &str,
        except: &str,
    ) -> Result<Vec<ExecutionRow>, PayoutError> {
        let (account, except) = (account.to_string(), except.to_string());
        let api = self.ctx.base_url.clone();
        let rows = self
            .store
            .run(move |j| j.unresolved_for_account(&account, &api))
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| r.reference_id != except)
            .collect())
    }

    /// Whether `row` was sent to the API this console talks to: only that API can say
    /// anything about its reference.
    pub(super) fn sent_here(&self, row: &ExecutionRow) -> bool {
        row.base_url == self.ctx.base_url && row.sandbox == self.ctx.sandbox
    }

    /// Refuses a payout to an account with an unresolved execution unless the plan overrides
    /// it. Early, for a clear refusal before a session is made; `execute` checks again when it
    /// journals the payout, in the same transaction.
    pub async fn guard_account(&self, plan: &ExecutionPlan) -> Result<(), PayoutError> {
        let open = self
            .unresolved_for(&plan.account, &plan.reference.to_string())
            .await?;
        if open.is_empty() || plan.allow_unresolved {
            return Ok(());
        }
        let list = open
            .iter()
            .take(3)
            .map(|r| format!("{} {}", r.reference_id, r.state))
            .collect::<Vec<_>>()
            .join(", ");
        Err(PayoutError::Unresolved {
            account: plan.account.clone(),
            list,
        })
    }

    /// Journals and sends one execution. Returns once an answer, a refusal or a lost answer is
    /// recorded; `follow` takes it from there.
    pub async fn execute(
        &self,
        plan: ExecutionPlan,
        cancel: &CancellationToken,
        sink: Sink<'_>,
    ) -> Result<Outcome, PayoutError> {
        let mut out = Outcome::new(&plan);
        let reference = out.reference.clone();
        // After an earlier send of this reference whose outcome is unknown, a refusal of this
        // send proves nothing about that one: the row stays `unknown`, never `rejected`.
        let earlier_send_unresolved = match self.resume_existing(&plan, &mut out).await? {
            Resume::Settled(done) => return Ok(*done),
            Resume::Send { earlier_unresolved } => earlier_unresolved,
        };
        let refused = if earlier_send_unresolved {
            LocalState::Unknown
        } else {
            LocalState::Rejected
        };
        let new = NewExecution {
            reference_id: reference.clone(),
            session_id: plan.session_id.clone(),
            session_amount: plan.session_amount,
            session_currency: plan.session_currency.clone(),
            session_expires_at: plan.session_expires_at.clone(),
            payout_account_id: plan.account.clone(),
            profile: self.ctx.profile.clone(),
            base_url: self.ctx.base_url.clone(),
            sandbox: self.ctx.sandbox,
            os_user: self.ctx.os_user.clone(),
            payee: plan.payee.masked(),
            guard_account: !plan.allow_unresolved,
        };
        match self.store.run(move |j| j.begin(&new)).await {
            Ok(()) => {}
            Err(StoreError::Journal(JournalError::AccountUnresolved { account, list })) => {
                return Err(PayoutError::Unresolved { account, list });
            }
            Err(e) => return Err(e.into()),
        }
        sink(Progress::Journaled {
            reference: reference.clone(),
        });
        let req = ExecuteRequest {
            session_id: plan.session_id.clone(),
            payout_account_id: plan.account.clone(),
            reference_id: plan.reference,
            passcode: Passcode {
                token: PasscodeToken {
                    code: plan.code.clone(),
                    phone: match &plan.payee {
                        Payee::Phone(p) => Some(p.clone()),
                        Payee::UserId(_) => None,
                    },
                    user_id: match &plan.payee {
                        Payee::UserId(u) => Some(u.clone()),
                        Payee::Phone(_) => None,
                    },
                },
                device: self.ctx.device.clone(),
            },
        };
        drop(plan);
        for attempt in 1..=self.poll.max_attempts.max(1) {
            let r = reference.clone();
            self.store.run(move |j| j.mark_sent(&r, attempt)).await?;
            sink(Progress::Sending {
                attempt,
                timeout: self.client.timeout(),
            });
            let result = tokio::select! {
                _ = cancel.cancelled() => {
                    self.stop_waiting(&mut out).await?;
                    sink(Progress::StoppedWaiting);
                    return Ok(out);
                }
                r = self.client.execute(&req) => r,
            };
            let err = match result {
                Ok(answer) => {
                    let state = state_for(&answer.body);
                    self.record_answer(&mut out, EventKind::Answered, answer)
                        .await?;
                    sink(Progress::Answered {
                        state,
                        http_status: out.http_status.unwrap_or_default(),
                    });
                    return Ok(out);
                }
                Err(e) => e,
            };
            if let Some(wait) = self.safe_retry_wait(&err, attempt) {
                let msg = format!(
                    "attempt {attempt}: {err}; nothing executed, sending again in {} s with the same reference",
                    wait.as_secs_f32().ceil()
                );
                self.journal_error(
                    &reference,
                    EventKind::Retry,
                    err.http_status(),
                    LocalState::Sending,
                    &msg,
                )
                .await?;
                sink(Progress::RetryIn {
                    after: wait,
                    reason: err.to_string(),
                });
                tokio::select! {
                    _ = cancel.cancelled() => {
                        // Nothing executed on any attempt of this run.
                        let msg = if earlier_send_unresolved {
                            "stopped by the operator before a retry; this run executed nothing, but an earlier send of this reference may have: check its status"
                        } else {
                            "stopped by the operator before a retry; nothing executed"
                        };
                        self.journal_error(&reference, EventKind::StopWaiting, err.http_status(), refused, msg).await?;
                        self.fail(&mut out, refused, &err);
                        sink(Progress::StoppedWaiting);
                        return Ok(out);
                    }
                    _ = tokio::time::sleep(wait) => continue,
                }
            }
            let state = if err.nothing_executed() {
                refused
            } else {
                LocalState::Unknown
            };
            let message = if err.nothing_executed() && earlier_send_unresolved {
                format!(
                    "{err} (this send only: an earlier send of this reference may have executed; check its status)"
                )
            } else {
                err.to_string()
            };
            self.journal_error(
                &reference,
                EventKind::Error,
                err.http_status(),
                state,
                &message,
            )
            .await?;
            self.fail(&mut out, state, &err);
            out.error = Some(message.clone());
            sink(Progress::ExecuteFailed { state, message });
            if state == LocalState::Unknown {
                // Status first: the answer was lost, not necessarily the payout.
                self.poll_once(&mut out, sink).await?;
            }
            return Ok(out);
        }
        unreachable!("the attempt loop always returns")
    }

    /// A reference already in the journal: never execute blindly. Settled when the status
    /// answers for it; otherwise sending (again) with the same reference is safe.
    async fn resume_existing(
        &self,
        plan: &ExecutionPlan,
        out: &mut Outcome,
    ) -> Result<Resume, PayoutError> {
        let Some(mut row) = self.journaled(&out.reference).await? else {
            return Ok(Resume::Send {
                earlier_unresolved: false,
            });
        };
        if row.state == LocalState::Sending {
            // `sending` is only safe to resume when its writer is gone: another console (or this
            // one) may be sending it right now. Orphans become `unknown` here.
            self.store.run(|j| j.recover_orphans()).await?;
            row = self.journaled(&out.reference).await?.unwrap_or(row);
            if row.state == LocalState::Sending {
                return Err(PayoutError::InFlightElsewhere {
                    reference: row.reference_id,
                    pid: row.writer_pid,
                    host: row.writer_host,
                });
            }
        }
        // Another API (profile) cannot say anything about this reference: its "not found"
        // would send the reference a second time, to a second place.
        if !self.sent_here(&row) {
            return Err(PayoutError::OtherApi {
                reference: row.reference_id,
                base_url: row.base_url,
                profile: row.profile,
            });
        }
        if row.payout_account_id != plan.account || row.session_id != plan.session_id {
            return Err(PayoutError::ReferenceMismatch {
                reference: row.reference_id,
                account: row.payout_account_id,
                session: row.session_id,
            });
        }
        match row.state {
            LocalState::Completed | LocalState::Failed => Err(PayoutError::AlreadyFinal {
                reference: row.reference_id,
                state: row.state,
            }),
            LocalState::Rejected => Ok(Resume::Send {
                earlier_unresolved: false,
            }),
            LocalState::Pending
            | LocalState::Processing
            | LocalState::ActionRequired
            | LocalState::Sending
            | LocalState::Unknown => match self.client.status(&out.reference).await {
                Ok(answer) => {
                    self.record_answer(out, EventKind::Polled, answer).await?;
                    Ok(Resume::Settled(Box::new(out.clone())))
                }
                Err(ApiError::NotFound { .. }) if row.state == LocalState::Unknown => {
                    Ok(Resume::Send {
                        earlier_unresolved: true,
                    })
                }
                Err(error) => Err(PayoutError::StatusUnknown {
                    reference: out.reference.clone(),
                    error,
                }),
            },
        }
    }

    /// How long to wait before sending again, where nothing can have executed.
    fn safe_retry_wait(&self, err: &ApiError, attempt: u32) -> Option<Duration> {
        if attempt >= self.poll.max_attempts {
            return None;
        }
        let backoff = Duration::from_secs(1 << (attempt - 1).min(5));
        let wait = match err.kind() {
            ErrorKind::NotSent => backoff,
            ErrorKind::RateLimited => err.retry_after().unwrap_or(backoff),
            ErrorKind::Server => err.retry_after()?,
            _ => return None,
        };
        (wait <= self.poll.max_retry_wait).then_some(wait)
    }

    async fn stop_waiting(&self, out: &mut Outcome) -> Result<(), PayoutError> {
        let msg = "the operator stopped waiting for the answer; the payout may have executed: check its status";
        self.journal_error(
            &out.reference,
            EventKind::StopWaiting,
            None,
            LocalState::Unknown,
            msg,
        )
        .await?;
        out.state = LocalState::Unknown;
        out.error = Some(msg.to_string());
        Ok(())
    }

    fn fail(&self, out: &mut Outcome, state: LocalState, err: &ApiError) {
        out.state = state;
        out.http_status = err.http_status();
        out.error = Some(err.to_string());
        out.error_kind = Some(err.kind());
        out.field_errors = err.field_errors().to_vec();
    }

    pub(super) async fn record_answer(
        &self,
        out: &mut Outcome,
        kind: EventKind,
        answer: crate::api::Answer<ExecutionResponse>,
    ) -> Result<(), PayoutError> {
        let state = state_for(&answer.body);
        let (r, body, code) = (
            out.reference.clone(),
            answer.body.clone(),
            answer.http_status,
        );
        self.store
            .run(move |j| j.record_answer(&r, kind, code, &body, state))
            .await?;
        out.state = state;
        out.http_status = Some(answer.http_status);
        out.response = Some(answer.body);
        out.raw = Some(answer.raw);
        // A status answer after a lost execute answer keeps the execute error on record: the
        // operator should see that the answer was lost and what resolved it.
        if kind == EventKind::Answered {
            out.error = None;
            out.error_kind = None;
            out.field_errors.clear();
        }
        Ok(())
    }

    pub(super) async fn journal_error(
        &self,
        reference: &str,
        kind: EventKind,
        http_status: Option<u16>,
        state: LocalState,
        message: &str,
    ) -> Result<(), PayoutError> {
        let (r, m) = (reference.to_string(), message.to_string());
        self.store
            .run(move |j| j.record_error(&r, kind, http_status, state, &m))
            .await?;
        Ok(())
    }
}
