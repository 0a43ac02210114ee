//! The local state of one execution, and the one function that maps an API answer to it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::wire::{ExecStatus, ExecutionResponse};

/// Where an execution stands, as this console records it (SPEC.md, "Local state").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// Journaled; the request is leaving or out.
    Sending,
    Pending,
    Processing,
    ActionRequired,
    Completed,
    Failed,
    /// The API refused it (or it never left): nothing executed.
    Rejected,
    /// No answer, or an answer we cannot read: only the status endpoint resolves it.
    Unknown,
}

impl LocalState {
    pub const ALL: [LocalState; 8] = [
        LocalState::Sending,
        LocalState::Pending,
        LocalState::Processing,
        LocalState::ActionRequired,
        LocalState::Completed,
        LocalState::Failed,
        LocalState::Rejected,
        LocalState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocalState::Sending => "sending",
            LocalState::Pending => "pending",
            LocalState::Processing => "processing",
            LocalState::ActionRequired => "action_required",
            LocalState::Completed => "completed",
            LocalState::Failed => "failed",
            LocalState::Rejected => "rejected",
            LocalState::Unknown => "unknown",
        }
    }

    /// Final states never change again; the others are worth asking the status endpoint about.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LocalState::Completed | LocalState::Failed | LocalState::Rejected
        )
    }

    /// While an execution is in one of these, money may still move for its account.
    pub fn is_unresolved(self) -> bool {
        matches!(
            self,
            LocalState::Sending
                | LocalState::Unknown
                | LocalState::Pending
                | LocalState::Processing
        )
    }

    /// The command-line exit code for a payout that ended in this state (SPEC.md).
    pub fn exit_code(self) -> i32 {
        match self {
            LocalState::Completed => 0,
            LocalState::Rejected => 3,
            LocalState::ActionRequired => 4,
            LocalState::Pending
            | LocalState::Processing
            | LocalState::Unknown
            | LocalState::Sending => 5,
            LocalState::Failed => 6,
        }
    }
}

impl fmt::Display for LocalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a state; use one of: sending, pending, processing, action_required, completed, failed, rejected, unknown"
)]
pub struct UnknownState(pub String);

impl FromStr for LocalState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LocalState::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

/// Maps an API answer (execute or status) to the local state. A status word we do not know is
/// never taken for success: it stays `unknown` until the status endpoint says something we know.
pub fn state_for(resp: &ExecutionResponse) -> LocalState {
    match resp.status_word() {
        ExecStatus::Completed => LocalState::Completed,
        ExecStatus::Failed => LocalState::Failed,
        _ if resp.requires_action == Some(true) => LocalState::ActionRequired,
        ExecStatus::Pending => LocalState::Pending,
        ExecStatus::Processing => LocalState::Processing,
        ExecStatus::Missing | ExecStatus::Other(_) => LocalState::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: Option<&str>, requires_action: Option<bool>) -> ExecutionResponse {
        ExecutionResponse {
            status: status.map(str::to_string),
            requires_action,
            ..Default::default()
        }
    }

    #[test]
    fn each_status_word_maps_to_its_local_state() {
        let cases = [
            (Some("PENDING"), None, LocalState::Pending),
            (Some("PROCESSING"), Some(false), LocalState::Processing),
            (Some("COMPLETED"), None, LocalState::Completed),
            (Some("FAILED"), None, LocalState::Failed),
            (Some("PROCESSING"), Some(true), LocalState::ActionRequired),
            (Some("PENDING"), Some(true), LocalState::ActionRequired),
            (Some("COMPLETED"), Some(true), LocalState::Completed),
            (Some("FAILED"), Some(true), LocalState::Failed),
            (Some("SUCCESS"), None, LocalState::Unknown),
            (Some("REVERSED"), Some(true), LocalState::ActionRequired),
            (Some(""), None, LocalState::Unknown),
            (None, None, LocalState::Unknown),
        ];
        for (status, ra, want) in cases {
            assert_eq!(state_for(&resp(status, ra)), want, "{status:?} {ra:?}");
        }
    }

    #[test]
    fn unrecognised_words_are_never_success() {
        for word in ["SUCCESS", "OK", "DONE", "completed ", "SUCCEEDED"] {
            let st = state_for(&resp(Some(word), None));
            if word.trim().eq_ignore_ascii_case("completed") {
                assert_eq!(st, LocalState::Completed);
            } else {
                assert_eq!(st, LocalState::Unknown, "{word}");
                assert_ne!(st.exit_code(), 0);
            }
        }
    }

    #[test]
    fn states_round_trip_through_text_and_give_spec_exit_codes() {
        for st in LocalState::ALL {
            assert_eq!(st.as_str().parse::<LocalState>().unwrap(), st);
        }
        assert!("done".parse::<LocalState>().is_err());
        assert_eq!(LocalState::Completed.exit_code(), 0);
        assert_eq!(LocalState::Rejected.exit_code(), 3);
        assert_eq!(LocalState::ActionRequired.exit_code(), 4);
        assert_eq!(LocalState::Processing.exit_code(), 5);
        assert_eq!(LocalState::Failed.exit_code(), 6);
    }
}
