//! The values a payout's workflow passes around: the plan it sends, the policy it follows, the
//! progress it reports and the outcome it ends with.

use std::time::Duration;

use secrecy::SecretString;
use uuid::Uuid;

use super::store::StoreError;
use super::validate::Payee;
use crate::api::wire::{ExecutionResponse, FieldError};
use crate::api::{ApiError, ErrorKind, LocalState};
use crate::money::Amount;

#[derive(Clone, Debug)]
pub struct PollPolicy {
    /// First wait between status polls.
    pub interval: Duration,
    /// Polls back off while PROCESSING, up to this.
    pub max_interval: Duration,
    /// Not-found must persist this long after the last send before "did not land".
    pub not_found_grace: Duration,
    /// At least this many not-found polls before "did not land".
    pub not_found_polls: u32,
    /// Execute attempts for retries where nothing can have executed.
    pub max_attempts: u32,
    /// A Retry-After longer than this is left to the operator.
    pub max_retry_wait: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(15),
            not_found_grace: Duration::from_secs(60),
            not_found_polls: 3,
            max_attempts: 3,
            max_retry_wait: Duration::from_secs(60),
        }
    }
}

/// What happened, for the screen and for `--json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    SessionCreated {
        id: String,
    },
    Journaled {
        reference: String,
    },
    Sending {
        attempt: u32,
        timeout: Duration,
    },
    RetryIn {
        after: Duration,
        reason: String,
    },
    Answered {
        state: LocalState,
        http_status: u16,
    },
    ExecuteFailed {
        state: LocalState,
        message: String,
    },
    Polled {
        state: LocalState,
        status: Option<String>,
    },
    PollFailed {
        message: String,
    },
    StoppedWaiting,
}

/// Everything needed to send one execution.
pub struct ExecutionPlan {
    pub reference: Uuid,
    pub account: String,
    pub session_id: String,
    pub session_amount: Option<Amount>,
    pub session_currency: Option<String>,
    pub session_expires_at: Option<String>,
    pub payee: Payee,
    /// Dropped (and so zeroized) when the plan is.
    pub code: SecretString,
    /// The operator overrode the unresolved-account guard for this payout.
    pub allow_unresolved: bool,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub reference: String,
    pub account: String,
    pub session_id: String,
    pub state: LocalState,
    pub response: Option<ExecutionResponse>,
    pub raw: Option<String>,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub error_kind: Option<ErrorKind>,
    pub field_errors: Vec<FieldError>,
    /// Not-found persisted long enough: nothing executed, a new attempt is safe.
    pub did_not_land: bool,
}

impl Outcome {
    pub(super) fn new(plan: &ExecutionPlan) -> Self {
        Self::resume(
            &plan.reference.to_string(),
            &plan.account,
            &plan.session_id,
            LocalState::Sending,
        )
    }

    /// An execution already journaled, to be followed from its recorded state.
    pub fn resume(reference: &str, account: &str, session_id: &str, state: LocalState) -> Self {
        Outcome {
            reference: reference.to_string(),
            account: account.to_string(),
            session_id: session_id.to_string(),
            state,
            response: None,
            raw: None,
            http_status: None,
            error: None,
            error_kind: None,
            field_errors: Vec::new(),
            did_not_land: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PayoutError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not create the payout session: {0}")]
    Session(ApiError),
    #[error(
        "payout account {account} has an unresolved execution ({list}); resolve it with `payout-console reconcile` or `status REF` first, or override explicitly"
    )]
    Unresolved { account: String, list: String },
    #[error(
        "reference {reference} is being sent right now by another console (process {pid} on {host}); wait for it, then ask its status"
    )]
    InFlightElsewhere {
        reference: String,
        pid: u32,
        host: String,
    },
    #[error("reference {reference} is already {state}; a new payout needs a new reference")]
    AlreadyFinal {
        reference: String,
        state: LocalState,
    },
    #[error(
        "reference {reference} was journaled for a different payment (account {account}, session {session}); use a new reference"
    )]
    ReferenceMismatch {
        reference: String,
        account: String,
        session: String,
    },
    #[error(
        "reference {reference} was sent to another API ({base_url}, profile {profile}); its status is known only there: use that profile (or --sandbox for a sandbox row)"
    )]
    OtherApi {
        reference: String,
        base_url: String,
        profile: String,
    },
    #[error(
        "could not ask the status of {reference} ({error}); not sending it again until its status is known"
    )]
    StatusUnknown { reference: String, error: ApiError },
}

pub type Sink<'a> = &'a (dyn Fn(Progress) + Send + Sync);
