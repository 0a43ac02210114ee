//! Carries out [`Effect`]s. Network and disk work runs on tokio tasks that report back as
//! [`Msg`]s over one channel (gitui's asyncgit notifications); nothing here blocks the loop
//! except writing an OSC 52 sequence to the terminal the loop owns.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::app::{Effect, Msg, TokenView};
use crate::api::TokenState;
use crate::journal::{EventKind, HistoryFilter, Journal, JournalError, Page, format};
use crate::payout::{Engine, FollowOpts, Outcome, Progress};

/// Recent accounts offered in the account list.
const RECENT_ACCOUNTS: usize = 12;
/// Rows per query while exporting: memory stays bounded whatever the history's size.
const EXPORT_PAGE: usize = 1000;

pub struct Runtime {
    engine: Arc<Engine>,
    tx: UnboundedSender<Msg>,
    data_dir: PathBuf,
    /// Cancels the send or the follow of each execution in flight, by reference.
    running: HashMap<String, CancellationToken>,
    /// Cancelled when the console closes: stops the token watcher.
    shutdown: CancellationToken,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn token_view(t: TokenState) -> TokenView {
    match t {
        TokenState::None => TokenView::None,
        TokenState::Valid { refresh_in } => TokenView::Valid { refresh_in },
        TokenState::Stale => TokenView::Stale,
        TokenState::Fixed => TokenView::Fixed,
    }
}

impl Runtime {
    pub fn new(engine: Arc<Engine>, tx: UnboundedSender<Msg>, data_dir: PathBuf) -> Runtime {
        let rt = Runtime {
            engine,
            tx,
            data_dir,
            running: HashMap::new(),
            shutdown: CancellationToken::new(),
        };
        rt.watch_token();
        rt
    }

    /// Reports the token state when it changes (checked every few seconds).
    fn watch_token(&self) {
        let (engine, tx, stop) = (self.engine.clone(), self.tx.clone(), self.shutdown.clone());
        tokio::spawn(async move {
            let mut last = None;
            loop {
                let now = token_view(engine.client.token_state().await);
                // Minutes are what the header shows; report only when that text would change.
                let key = match now {
                    TokenView::Valid { refresh_in } => Some(refresh_in.as_secs() / 60),
                    _ => None,
                };
                if last != Some((std::mem::discriminant(&now), key)) {
                    last = Some((std::mem::discriminant(&now), key));
                    if tx.send(Msg::Token(now)).is_err() {
                        return;
                    }
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        });
    }

    /// Runs `f` against the journal off the loop and sends what `done` makes of the result.
    fn store<R, F, D>(&self, f: F, done: D)
    where
        R: Send + 'static,
        F: FnOnce(&Journal) -> Result<R, JournalError> + Send + 'static,
        D: FnOnce(Result<R, String>) -> Option<Msg> + Send + 'static,
    {
        let (store, tx) = (self.engine.store.clone(), self.tx.clone());
        tokio::spawn(async move {
            let r = store.run(f).await.map_err(|e| e.to_string());
            if let Some(msg) = done(r) {
                let _ = tx.send(msg);
            }
        });
    }

    pub fn run(&mut self, fx: Effect) {
        tracing::debug!(effect = ?fx, "tui effect");
        match fx {
            Effect::LoadRecentAccounts => self.store(
                |j| j.recent_accounts(RECENT_ACCOUNTS),
                |r| r.ok().map(Msg::RecentAccounts),
            ),
            Effect::CreateSession {
                id,
                account,
                amount,
                currency,
            } => {
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = engine
                        .create_session(&account, amount, &currency)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::SessionCreated { id, result });
                });
            }
            Effect::CheckUnresolved {
                id,
                account,
                reference,
            } => {
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = engine
                        .unresolved_for(&account, &reference)
                        .await
                        .map(|rows| {
                            rows.into_iter()
                                .map(|r| (r.reference_id, r.state))
                                .collect()
                        })
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Unresolved { id, result });
                });
            }
            Effect::Execute { plan } => {
                let reference = plan.reference.to_string();
                let cancel = CancellationToken::new();
                self.running.insert(reference.clone(), cancel.clone());
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                let (watch_tx, watch_ref) = (self.tx.clone(), reference.clone());
                let task = tokio::spawn(async move {
                    let sink = sink(&tx, &reference);
                    if let Err(e) = engine.guard_account(&plan).await {
                        let _ = tx.send(Msg::Executed {
                            reference,
                            result: Err(e.to_string()),
                        });
                        return;
                    }
                    let result = engine.execute(plan, &cancel, &sink).await;
                    let outcome = match result {
                        Ok(o) => o,
                        Err(e) => {
                            let _ = tx.send(Msg::Executed {
                                reference,
                                result: Err(e.to_string()),
                            });
                            return;
                        }
                    };
                    let follow = !cancel.is_cancelled() && !outcome.state.is_final();
                    let _ = tx.send(Msg::Executed {
                        reference: reference.clone(),
                        result: Ok(outcome.clone()),
                    });
                    if follow {
                        follow_until_final(&engine, outcome, &cancel, &tx, &reference).await;
                    }
                });
                // A bug that panics the task must not leave the Live pane saying "sending"
                // forever: say so, and point at the status check.
                tokio::spawn(async move {
                    if let Err(e) = task.await
                        && e.is_panic()
                    {
                        // `Followed` with an error: not final, never "not sent".
                        let _ = watch_tx.send(Msg::Followed {
                            reference: watch_ref,
                            result: Err("the payout task stopped on an internal error (see the log); the payout may have executed: check its status before paying again".into()),
                        });
                    }
                });
            }
            Effect::StopWaiting { reference } => {
                if let Some(c) = self.running.remove(&reference) {
                    c.cancel();
                }
            }
            Effect::Follow {
                reference,
                account,
                session_id,
                state,
            } => {
                let cancel = CancellationToken::new();
                if let Some(old) = self.running.insert(reference.clone(), cancel.clone()) {
                    old.cancel();
                }
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let outcome = Outcome::resume(&reference, &account, &session_id, state);
                    follow_until_final(&engine, outcome, &cancel, &tx, &reference).await;
                });
            }
            Effect::CheckStatus { reference } => {
                let (engine, tx) = (self.engine.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let r = reference.clone();
                    let row = engine.store.run(move |j| j.get(&r)).await;
                    let result = match row {
                        Ok(Some(row)) => {
                            engine.reconcile_row(&row).await.map_err(|e| e.to_string())
                        }
                        Ok(None) => Err("not in the history".to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tx.send(Msg::StatusChecked { reference, result });
                });
            }
            Effect::LoadRow { reference } => self.store(
                move |j| j.get(&reference),
                |r| r.ok().flatten().map(Msg::Row),
            ),
            Effect::LoadHistory { id, filter, page } => self.store(
                move |j| Ok((j.query(&filter, page)?, j.count(&filter)?)),
                move |result| Some(Msg::HistoryPage { id, page, result }),
            ),
            Effect::LoadDetail { reference } => {
                let r = reference.clone();
                self.store(
                    move |j| {
                        let row = j.get(&r)?.ok_or_else(|| JournalError::NotFound {
                            reference: r.clone(),
                        })?;
                        Ok((row, j.events(&r)?))
                    },
                    move |result| Some(Msg::Detail { reference, result }),
                )
            }
            Effect::ExportCsv { filter } => {
                let (store, tx) = (self.engine.store.clone(), self.tx.clone());
                let dir = self.data_dir.join("exports");
                tokio::task::spawn_blocking(move || {
                    let result = export_csv(&store, &filter, &dir);
                    let _ = tx.send(Msg::Exported(result));
                });
            }
            Effect::Copy { what, text } => {
                let result = osc52(text.expose_secret());
                let _ = self.tx.send(Msg::Copied { what, result });
            }
            Effect::SupportBundle { reference } => {
                let dir = self.data_dir.join("support");
                let r = reference.clone();
                self.store(
                    move |j| {
                        let row = j.get(&r)?.ok_or_else(|| JournalError::NotFound {
                            reference: r.clone(),
                        })?;
                        Ok(format::support_bundle(&row, &j.events(&r)?))
                    },
                    move |result| {
                        let result = result.and_then(|text| {
                            let path = dir.join(format!("support-{reference}.txt"));
                            write_private(&path, text.as_bytes())
                                .map(|()| (text, path))
                                .map_err(|e| e.to_string())
                        });
                        Some(Msg::Bundle { reference, result })
                    },
                )
            }
            Effect::RecordEvent {
                reference,
                kind,
                detail,
            } => self.store(
                move |j| j.record_event(&reference, kind, &detail),
                |r| {
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "could not record an event");
                    }
                    None
                },
            ),
        }
    }
}

/// Sends each progress report of `reference` to the loop.
fn sink(tx: &UnboundedSender<Msg>, reference: &str) -> impl Fn(Progress) + Send + Sync + use<> {
    let (tx, reference) = (tx.clone(), reference.to_string());
    move |progress| {
        let _ = tx.send(Msg::Progress {
            reference: reference.clone(),
            progress,
        });
    }
}

async fn follow_until_final(
    engine: &Engine,
    outcome: Outcome,
    cancel: &CancellationToken,
    tx: &UnboundedSender<Msg>,
    reference: &str,
) {
    let sink = sink(tx, reference);
    let opts = FollowOpts {
        stop_on_action: false,
        max_wait: None,
    };
    let result = engine
        .follow(outcome, opts, cancel, &sink)
        .await
        .map_err(|e| e.to_string());
    let _ = tx.send(Msg::Followed {
        reference: reference.to_string(),
        result,
    });
}

/// Writes the rows matching `filter` page by page (keyset paging, so memory stays bounded
/// whatever the history's size) and records an `exported` event on each row written. Each page
/// is its own journal call, so a payout in flight is never held up for long. Runs on the
/// blocking pool.
fn export_csv(
    store: &crate::payout::Store,
    filter: &HistoryFilter,
    dir: &Path,
) -> Result<(PathBuf, usize), String> {
    let name = format!("history-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    let path = dir.join(name);
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut file = std::io::BufWriter::new(open_private(&path).map_err(|e| at(&e))?);
    let detail = format!("exported to {}", path.display());
    let mut page = Page::first(EXPORT_PAGE);
    let mut written = 0;
    loop {
        let rows = store
            .blocking(|j| j.query(filter, page))
            .map_err(|e| e.to_string())?;
        let csv = format::csv(&rows);
        // Every page starts with the header line; keep the first page's only.
        let body = if written == 0 {
            csv.as_str()
        } else {
            csv.split_once('\n').map_or("", |(_, rest)| rest)
        };
        file.write_all(body.as_bytes()).map_err(|e| at(&e))?;
        store
            .blocking(|j| {
                let refs: Vec<&str> = rows.iter().map(|r| r.reference_id.as_str()).collect();
                j.record_events(&refs, EventKind::Exported, &detail)
            })
            .map_err(|e| e.to_string())?;
        written += rows.len();
        match page.next(&rows) {
            Some(next) => page = next,
            None => break,
        }
    }
    file.flush().map_err(|e| at(&e))?;
    Ok((path, written))
}

/// Creates `path` (and its directory) readable by the owner only.
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    open_private(path)?.write_all(bytes)
}

/// Copies `text` to the clipboard of the terminal (and of the machine behind an SSH session)
/// with the OSC 52 escape sequence.
fn osc52(text: &str) -> Result<(), String> {
    use crossterm::clipboard::CopyToClipboard;
    let mut out = std::io::stdout();
    crossterm::execute!(out, CopyToClipboard::to_clipboard_from(text)).map_err(|e| e.to_string())
}
