//! One payout's workflow: journal -> execute -> follow the status, with the retry rules.
//!
//! The headless commands and the TUI both call this module; it is the one place that decides
//! what is sent, what is journaled, when a retry is safe and when a payout is final.

mod device;
mod engine;
mod follow;
mod plan;
pub mod reconcile;
pub mod store;
pub mod validate;

pub use device::{default_device, os_user};
pub use engine::{Engine, EngineContext};
pub use follow::FollowOpts;
pub use plan::{ExecutionPlan, Outcome, PayoutError, PollPolicy, Progress};
pub use reconcile::Resolution;
pub use store::{Store, StoreError};
pub use validate::{
    FieldProblem, Payee, PayoutForm, SessionChoice, ValidPayout, ValidSession, validate,
};
