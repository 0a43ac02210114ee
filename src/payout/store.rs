//! The journal, reached from async code: every call runs on tokio's blocking pool so a slow disk
//! never stalls the render loop or a request.

use std::sync::{Arc, Mutex};

use crate::journal::{Journal, JournalError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("history: {0}")]
    Journal(#[from] JournalError),
    #[error("history: the database task stopped unexpectedly ({0}); try again")]
    Task(String),
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Mutex<Journal>>,
}

impl Store {
    pub fn new(journal: Journal) -> Self {
        Store {
            inner: Arc::new(Mutex::new(journal)),
        }
    }

    /// Runs `f` against the journal off the async threads.
    pub async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Journal) -> Result<R, JournalError> + Send + 'static,
    {
        let inner = self.inner.clone();
        match tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written (transactions
            // roll back), so a poisoned lock is still safe to use.
            let journal = inner.lock().unwrap_or_else(|p| p.into_inner());
            f(&journal)
        })
        .await
        {
            Ok(r) => r.map_err(StoreError::Journal),
            Err(e) => Err(StoreError::Task(e.to_string())),
        }
    }

    /// Runs `f` on the calling thread (for sync callers such as the CLI's history command).
    pub fn blocking<R>(&self, f: impl FnOnce(&Journal) -> R) -> R {
        let journal = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&journal)
    }
}
