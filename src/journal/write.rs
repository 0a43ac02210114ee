//! Every write: one `BEGIN IMMEDIATE` transaction each, committed before returning, retried when
//! another process holds the lock.

use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::query::holding_account;
use super::writer::{Writer, writer_alive};
use super::{EventKind, Journal, JournalError, NewExecution, mask_digit_runs, time};
use crate::api::state::LocalState;
use crate::api::wire::ExecutionResponse;

/// Beyond SQLite's own busy timeout, give up after this long in total.
const LOCK_BUDGET: Duration = Duration::from_secs(30);

/// How far back the clock may step with `created_at` still following the newest row.
const CLOCK_STEP_BACK: chrono::Duration = chrono::Duration::minutes(10);

/// Messages and details longer than this are cut: an HTML error page is not history.
const MAX_TEXT: usize = 2000;

impl Journal {
    /// Runs `f` inside `BEGIN IMMEDIATE` … `COMMIT`, retrying the whole transaction while the
    /// database is locked by another process.
    pub(crate) fn write_tx<T>(
        &self,
        mut f: impl FnMut(&Connection) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let result = self.try_tx(&mut f);
            match result {
                Err(e) if is_locked(&e) && started.elapsed() < LOCK_BUDGET => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                Err(e) if is_locked(&e) => {
                    return Err(JournalError::Busy {
                        path: self.path.clone(),
                        seconds: started.elapsed().as_secs(),
                    });
                }
                other => return other,
            }
        }
    }

    /// Names this journal's file in an error raised where the path was not at hand.
    pub(crate) fn with_path(&self, e: JournalError) -> JournalError {
        match e {
            JournalError::Sqlite { path, source } if path.as_os_str().is_empty() => {
                self.sql_err(source)
            }
            other => other,
        }
    }

    fn try_tx<T>(
        &self,
        f: &mut impl FnMut(&Connection) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.sql_err(e))?;
        let out = f(&self.conn).map_err(|e| self.with_path(e)).and_then(|v| {
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| self.sql_err(e))?;
            Ok(v)
        });
        if out.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        out
    }

    /// Records a new execution in state `sending` with a `journaled` event, durably, before the
    /// request leaves. The same reference for the same payment (session, account, payee,
    /// sandbox) is a retry and succeeds without touching the row; for another payment it is
    /// [`JournalError::ReferenceReused`].
    pub fn begin(&self, new: &NewExecution) -> Result<(), JournalError> {
        let reference = new.reference_id.trim();
        if reference.is_empty() {
            return Err(JournalError::Invalid {
                what: "an execution needs a reference_id before it is journaled".into(),
            });
        }
        let payee = mask_digit_runs(&new.payee);
        let me = &Writer::current();
        self.write_tx(|c| {
            let existing = c
                .prepare_cached(
                    "SELECT session_id, payout_account_id, payee, sandbox, state
                     FROM executions WHERE reference_id = ?1",
                )?
                .query_row([reference], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .optional()?;
            let now = time::now_text();
            if let Some((session, account, old_payee, sandbox, state)) = existing {
                if session != new.session_id
                    || account != new.payout_account_id
                    || old_payee != payee
                    || sandbox != new.sandbox
                {
                    return Err(JournalError::ReferenceReused {
                        reference: reference.to_string(),
                        existing: format!(
                            "session {session}, account {account}, payee {old_payee}{}",
                            if sandbox { ", sandbox" } else { "" }
                        ),
                    });
                }
                let detail = format!(
                    "journaled again by pid {} on {} (same payment; state stays {state})",
                    me.pid, me.host
                );
                insert_event(c, reference, &now, EventKind::Journaled, &detail)?;
                return Ok(());
            }
            if new.guard_account {
                let mut open: Vec<(i64, String, String)> = c
                    .prepare_cached(&format!(
                        "SELECT e.seq, e.reference_id, e.state FROM executions e WHERE {}",
                        holding_account()
                    ))?
                    .query_map([&new.payout_account_id, &new.base_url], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<Result<_, _>>()?;
                if !open.is_empty() {
                    open.sort_by_key(|(seq, _, _)| std::cmp::Reverse(*seq));
                    return Err(JournalError::AccountUnresolved {
                        account: new.payout_account_id.clone(),
                        list: open
                            .iter()
                            .take(3)
                            .map(|(_, r, st)| format!("{r} {st}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
            }
            // Journal order and time order agree: never earlier than the newest row when the
            // clock stepped back a little. A row dated far ahead (a clock once set wrong) is
            // not followed: its mistake stays in that row.
            let horizon = time::to_text(chrono::Utc::now() + CLOCK_STEP_BACK);
            let newest: Option<String> = c
                .prepare_cached("SELECT max(created_at) FROM executions WHERE created_at <= ?1")?
                .query_row([&horizon], |r| r.get(0))?;
            let created = match newest {
                Some(n) if n > now => n,
                _ => now.clone(),
            };
            c.prepare_cached(
                "INSERT INTO executions (reference_id, created_at, updated_at, state,
                    session_id, session_amount, session_currency, session_expires_at,
                    payout_account_id, profile, base_url, sandbox, os_user, payee, attempts,
                    writer_pid, writer_host, writer_start)
                 VALUES (?1, ?2, ?3, 'sending', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0,
                    ?14, ?15, ?16)",
            )?
            .execute(params![
                reference,
                created,
                now,
                new.session_id,
                new.session_amount.map(|a| a.to_string()),
                new.session_currency,
                new.session_expires_at,
                new.payout_account_id,
                new.profile,
                new.base_url,
                new.sandbox,
                new.os_user,
                payee,
                me.pid,
                me.host,
                me.start,
            ])?;
            let detail = format!(
                "by {} (pid {} on {}), profile {}{}",
                new.os_user,
                me.pid,
                me.host,
                new.profile,
                if new.sandbox { ", SANDBOX" } else { "" }
            );
            insert_event(c, reference, &now, EventKind::Journaled, &detail)?;
            Ok(())
        })
    }

    /// The request is leaving (attempt `attempt`, from 1). This process becomes the row's
    /// writer; a row that was `unknown` or `rejected` (sent again with the same reference) is
    /// `sending` again. Other states are kept.
    pub fn mark_sent(&self, reference: &str, attempt: u32) -> Result<(), JournalError> {
        let me = &Writer::current();
        self.write_tx(|c| {
            let now = time::now_text();
            let n = c
                .prepare_cached(
                    "UPDATE executions SET attempts = max(attempts, ?2), updated_at = ?3,
                        writer_pid = ?4, writer_host = ?5, writer_start = ?6,
                        state = CASE WHEN state IN ('unknown', 'rejected') THEN 'sending'
                                     ELSE state END
                     WHERE reference_id = ?1",
                )?
                .execute(params![reference, attempt, now, me.pid, me.host, me.start])?;
            if n == 0 {
                return Err(not_found(reference));
            }
            insert_event(
                c,
                reference,
                &now,
                EventKind::Sent,
                &format!("attempt {attempt}"),
            )
        })
    }

    /// Records an answer of the API (execute or status): every field of `resp` that is present
    /// (the client secret only as its hint), the state, the HTTP status. An earlier `completed`
    /// or `failed` is final: a later non-final answer is kept in the event trail only.
    pub fn record_answer(
        &self,
        reference: &str,
        kind: EventKind,
        http_status: u16,
        resp: &ExecutionResponse,
        state: LocalState,
    ) -> Result<(), JournalError> {
        let hint = resp.client_secret_hint();
        let word = resp
            .status
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty());
        self.write_tx(|c| {
            let current = current_state(c, reference)?;
            let (state, kept) = settle(current, state);
            let now = time::now_text();
            c.prepare_cached(
                "UPDATE executions SET state = ?2, updated_at = ?3, http_status = ?4, error = NULL,
                    status = coalesce(?5, status),
                    payer_amount = coalesce(?6, payer_amount),
                    payer_currency = coalesce(?7, payer_currency),
                    payee_amount = coalesce(?8, payee_amount),
                    payee_currency = coalesce(?9, payee_currency),
                    operation_type = coalesce(?10, operation_type),
                    provider_transaction_id = coalesce(?11, provider_transaction_id),
                    gateway_message = coalesce(?12, gateway_message),
                    wallet_message = coalesce(?13, wallet_message),
                    client_secret_hint = coalesce(?14, client_secret_hint),
                    requires_action = coalesce(?15, requires_action)
                 WHERE reference_id = ?1",
            )?
            .execute(params![
                reference,
                state.as_str(),
                now,
                http_status,
                word,
                resp.payer_amount.map(|a| a.to_string()),
                resp.payer_currency,
                resp.payee_amount.map(|a| a.to_string()),
                resp.payee_currency,
                resp.operation_type,
                resp.provider_transaction_id,
                resp.gateway_message.as_deref().map(clip),
                resp.wallet_message.as_deref().map(clip),
                hint,
                resp.requires_action,
            ])?;
            let mut detail = format!("HTTP {http_status} {}", word.unwrap_or("(no status)"));
            if resp.requires_action == Some(true) {
                detail.push_str(", requires action");
            }
            if let Some(other) = resp.reference_id.as_deref()
                && !other.is_empty()
                && other != reference
            {
                detail.push_str(&format!(" (the answer names reference {other})"));
            }
            if let Some(kept) = kept {
                detail.push_str(&format!("; state stays {kept}"));
            }
            insert_event(c, reference, &now, kind, &detail)
        })
    }

    /// Records a failure (no answer, a refusal, a failed poll): the message, the state the
    /// caller decided and the HTTP status when there was one. A `completed` or `failed` row keeps
    /// its state and error; the failure goes to the event trail only.
    pub fn record_error(
        &self,
        reference: &str,
        kind: EventKind,
        http_status: Option<u16>,
        state: LocalState,
        message: &str,
    ) -> Result<(), JournalError> {
        let message = clip(message);
        self.write_tx(|c| {
            let current = current_state(c, reference)?;
            let now = time::now_text();
            let (state, kept) = settle(current, state);
            if kept.is_none() {
                c.prepare_cached(
                    "UPDATE executions SET state = ?2, error = ?3, updated_at = ?4,
                        http_status = coalesce(?5, http_status)
                     WHERE reference_id = ?1",
                )?
                .execute(params![
                    reference,
                    state.as_str(),
                    message,
                    now,
                    http_status
                ])?;
            }
            let mut detail = match http_status {
                Some(code) => format!("HTTP {code}: {message}"),
                None => message.clone(),
            };
            if let Some(kept) = kept {
                detail.push_str(&format!(" (state stays {kept})"));
            }
            insert_event(c, reference, &now, kind, &detail)
        })
    }

    /// Appends an event (secret revealed or copied, exported, stopped waiting, a note, …)
    /// without changing the execution.
    pub fn record_event(
        &self,
        reference: &str,
        kind: EventKind,
        detail: &str,
    ) -> Result<(), JournalError> {
        self.record_events(&[reference], kind, detail)
    }

    /// The same event on many executions in one transaction (one fsync, not one per row): an
    /// export of a thousand rows records its `exported` events in milliseconds.
    pub fn record_events(
        &self,
        references: &[&str],
        kind: EventKind,
        detail: &str,
    ) -> Result<(), JournalError> {
        let detail = clip(detail);
        self.write_tx(|c| {
            let now = time::now_text();
            for reference in references {
                current_state(c, reference)?;
                insert_event(c, reference, &now, kind, &detail)?;
            }
            Ok(())
        })
    }

    /// Turns `sending` rows whose writer process is gone into `unknown` (the payout may or may
    /// not have executed: only the status endpoint can tell), each with an event. Rows of a live
    /// writer, such as another console sending right now, are left alone. Returns how many
    /// rows changed.
    pub fn recover_orphans(&self) -> Result<usize, JournalError> {
        let candidates = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT reference_id, writer_pid, writer_host, writer_start, updated_at
                 FROM executions WHERE state = 'sending'",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let now = chrono::Utc::now();
        let orphans: Vec<_> = candidates
            .into_iter()
            .filter(|(_, pid, host, start, updated)| {
                let updated = time::from_text(updated).unwrap_or(now);
                let pid = u32::try_from(*pid).unwrap_or(0);
                !writer_alive(pid, host, start.as_deref(), updated, now)
            })
            .collect();
        if orphans.is_empty() {
            return Ok(0);
        }
        // Who found them; read only now, so a reader that finds no orphans never looks itself up.
        let me = &Writer::current();
        self.write_tx(|c| {
            let now = time::now_text();
            let mut changed = 0;
            for (reference, pid, host, start, _) in &orphans {
                let message = format!(
                    "the process sending it (pid {pid} on {host}) ended before an answer was recorded; the payout may have executed: check its status"
                );
                // Only if nobody took the row over since it was read.
                let n = c
                    .prepare_cached(
                        "UPDATE executions SET state = 'unknown', error = ?5, updated_at = ?6
                         WHERE reference_id = ?1 AND state = 'sending' AND writer_pid = ?2
                           AND writer_host = ?3 AND writer_start IS ?4",
                    )?
                    .execute(params![reference, pid, host, start, message, now])?;
                if n > 0 {
                    let detail = format!("{message} (found by pid {} on {})", me.pid, me.host);
                    insert_event(c, reference, &now, EventKind::Error, &detail)?;
                    changed += 1;
                }
            }
            Ok(changed)
        })
    }
}

/// Final answers stick: a `completed` or `failed` row only changes to another final answer.
/// Returns the state to store and, when the requested one was refused, the state kept.
fn settle(current: LocalState, wanted: LocalState) -> (LocalState, Option<LocalState>) {
    let sticky = matches!(current, LocalState::Completed | LocalState::Failed);
    let final_answer = matches!(wanted, LocalState::Completed | LocalState::Failed);
    if sticky && !final_answer && wanted != current {
        (current, Some(current))
    } else {
        (wanted, None)
    }
}

fn current_state(c: &Connection, reference: &str) -> Result<LocalState, JournalError> {
    let text: Option<String> = c
        .prepare_cached("SELECT state FROM executions WHERE reference_id = ?1")?
        .query_row([reference], |r| r.get(0))
        .optional()?;
    let text = text.ok_or_else(|| not_found(reference))?;
    text.parse()
        .map_err(|e: crate::api::state::UnknownState| JournalError::BadRow {
            reference: reference.to_string(),
            column: "state",
            detail: e.to_string(),
        })
}

fn insert_event(
    c: &Connection,
    reference: &str,
    at: &str,
    kind: EventKind,
    detail: &str,
) -> Result<(), JournalError> {
    c.prepare_cached(
        "INSERT INTO events (reference_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![reference, at, kind.as_str(), detail])?;
    Ok(())
}

fn not_found(reference: &str) -> JournalError {
    JournalError::NotFound {
        reference: reference.to_string(),
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_TEXT).collect();
    cut.push('…');
    cut
}

/// SQLite could not get the lock (or the snapshot) it needed: worth trying again.
pub(crate) fn is_locked(e: &JournalError) -> bool {
    match e {
        JournalError::Sqlite { source, .. } => matches!(
            source.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        ),
        _ => false,
    }
}

impl From<rusqlite::Error> for JournalError {
    /// For `?` inside [`Journal::write_tx`] and [`Journal::read`] closures, which fill in the
    /// path (see [`Journal::with_path`]).
    fn from(source: rusqlite::Error) -> Self {
        JournalError::Sqlite {
            path: std::path::PathBuf::new(),
            source,
        }
    }
}
