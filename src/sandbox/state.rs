//! The sandbox's memory: issued tokens, payout sessions and executions by reference_id.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::SandboxOptions;
use super::scenarios::{self, Legs, Scenario, Stage, card_intent, messages, stage_at};
use crate::money::Amount;

/// What the handlers share.
pub(crate) struct Sandbox {
    pub opts: SandboxOptions,
    store: Mutex<Store>,
}

impl Sandbox {
    pub fn new(opts: SandboxOptions) -> Self {
        Sandbox {
            opts,
            store: Mutex::new(Store::default()),
        }
    }

    /// The store. A handler that panicked while holding it cannot leave it half-written in a way
    /// that matters to a sandbox, so a poisoned lock is taken as it is.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
pub(crate) struct Store {
    /// Token -> the instant it stops being valid.
    tokens: HashMap<String, Instant>,
    sessions: HashMap<u64, Session>,
    last_session_id: u64,
    refs: HashMap<Uuid, Reference>,
    last_seq: u64,
}

pub(crate) struct Session {
    pub id: u64,
    pub payout_account_id: String,
    pub scenario: Scenario,
    pub amount: Amount,
    pub currency: String,
    pub legs: Legs,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    deadline: Instant,
}

impl Session {
    pub fn is_expired(&self, now: Instant) -> bool {
        now >= self.deadline
    }
}

/// The session as `POST /v1/sessions/payout` answers it.
#[derive(Serialize)]
pub(crate) struct SessionBody {
    pub id: u64,
    pub payout_account_id: String,
    pub amount: Amount,
    pub currency: String,
    pub wallet_id: u64,
    pub expires_at: String,
    pub created_at: String,
}

impl From<&Session> for SessionBody {
    fn from(s: &Session) -> Self {
        SessionBody {
            id: s.id,
            payout_account_id: s.payout_account_id.clone(),
            amount: s.amount,
            currency: s.currency.clone(),
            wallet_id: scenarios::WALLET_ID,
            expires_at: rfc3339(s.expires_at),
            created_at: rfc3339(s.created_at),
        }
    }
}

/// `now + d`, saturating at a century for absurd durations instead of panicking.
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every execute request that named a reference, and the execution if one was made.
pub(crate) struct Reference {
    seq: u64,
    /// The last request's session and account, for the inspection endpoint.
    pub session_id: String,
    pub payout_account_id: String,
    pub execute_calls: u32,
    /// Whether account 24's 500 or account 25's 429 was already served for this reference.
    pub transient_error_served: bool,
    pub execution: Option<Execution>,
}

/// An execution: money moved (or was refused by the wallet or the operator) exactly once.
pub(crate) struct Execution {
    pub reference_id: Uuid,
    pub session_id: u64,
    pub payout_account_id: String,
    pub scenario: Scenario,
    pub legs: Legs,
    created: Instant,
    confirmed: Option<Instant>,
    provider_transaction_id: String,
    client_secret: Option<String>,
}

impl Execution {
    pub fn stage(&self, now: Instant, processing_for: Duration) -> Stage {
        stage_at(
            self.scenario,
            self.legs.exceeds_balance(),
            now.saturating_duration_since(self.created),
            self.confirmed.map(|c| now.saturating_duration_since(c)),
            processing_for,
        )
    }

    /// The execution as execute and the status endpoint answer it.
    pub fn body(&self, now: Instant, processing_for: Duration) -> ExecutionBody {
        let stage = self.stage(now, processing_for);
        let (gateway_message, wallet_message) = messages(self.scenario, stage);
        let requires_action = stage == Stage::AwaitingAction;
        ExecutionBody {
            reference_id: self.reference_id.to_string(),
            status: stage.word(),
            payer_amount: self.legs.payer_amount,
            payer_currency: self.legs.payer_currency,
            payee_currency: self.legs.payee_currency,
            payee_amount: self.legs.payee_amount,
            operation_type: "PAYOUT",
            provider_transaction_id: stage
                .provider_knows()
                .then(|| self.provider_transaction_id.clone()),
            gateway_message,
            wallet_message,
            client_secret: if requires_action {
                self.client_secret.clone()
            } else {
                None
            },
            requires_action,
        }
    }
}

/// The vendor's ExecutionResponse, every field present, in the order of its reference page.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct ExecutionBody {
    pub reference_id: String,
    pub status: &'static str,
    pub payer_amount: Amount,
    pub payer_currency: &'static str,
    pub payee_currency: &'static str,
    pub payee_amount: Amount,
    pub operation_type: &'static str,
    pub provider_transaction_id: Option<String>,
    pub gateway_message: Option<String>,
    pub wallet_message: Option<String>,
    pub client_secret: Option<String>,
    pub requires_action: bool,
}

/// One row of `GET /_sandbox/executions`.
#[derive(Serialize)]
pub(crate) struct InspectRow {
    pub reference_id: String,
    pub payout_account_id: String,
    pub session_id: String,
    pub status: Option<&'static str>,
    pub requires_action: bool,
    pub executions: u32,
    pub execute_calls: u32,
}

/// What confirming a card payout found.
pub(crate) enum Confirm {
    Confirmed(Box<ExecutionBody>),
    NotFound,
    NoActionRequired,
}

impl Store {
    /// Issues a token valid for `ttl`, forgetting tokens that have expired.
    pub fn issue_token(&mut self, now: Instant, ttl: Duration) -> String {
        self.tokens.retain(|_, until| *until > now);
        let token = format!("sbx.{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        self.tokens.insert(token.clone(), later(now, ttl));
        token
    }

    pub fn token_is_valid(&self, token: &str, now: Instant) -> bool {
        self.tokens.get(token).is_some_and(|until| now < *until)
    }

    pub fn expire_tokens(&mut self, now: Instant) -> usize {
        for until in self.tokens.values_mut() {
            *until = (*until).min(now);
        }
        self.tokens.len()
    }

    pub fn create_session(
        &mut self,
        payout_account_id: String,
        scenario: Scenario,
        amount: Amount,
        currency: String,
        legs: Legs,
        ttl: Duration,
    ) -> &Session {
        self.last_session_id += 1;
        let id = self.last_session_id + 41;
        let created_at = Utc::now();
        let expires_at = chrono::Duration::from_std(ttl)
            .ok()
            .and_then(|d| created_at.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let now = Instant::now();
        let session = Session {
            id,
            payout_account_id,
            scenario,
            amount,
            currency,
            legs,
            created_at,
            expires_at,
            deadline: later(now, ttl),
        };
        self.sessions.entry(id).or_insert(session)
    }

    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.get(&id.parse::<u64>().ok()?)
    }

    /// Makes a session expire now. `false` when there is no such session.
    pub fn expire_session(&mut self, id: &str) -> bool {
        let Some(session) = id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.sessions.get_mut(&id))
        else {
            return false;
        };
        session.deadline = session.deadline.min(Instant::now());
        session.expires_at = session.expires_at.min(Utc::now());
        true
    }

    /// Counts an execute request that reached the reference check, and returns its record.
    pub fn note_call(
        &mut self,
        reference_id: Uuid,
        session_id: &str,
        payout_account_id: &str,
    ) -> &mut Reference {
        let seq = self.last_seq + 1;
        let record = self.refs.entry(reference_id).or_insert_with(|| Reference {
            seq,
            session_id: String::new(),
            payout_account_id: String::new(),
            execute_calls: 0,
            transient_error_served: false,
            execution: None,
        });
        if record.seq == seq {
            self.last_seq = seq;
        }
        record.execute_calls += 1;
        if record.execution.is_none() {
            record.session_id = session_id.to_string();
            record.payout_account_id = payout_account_id.to_string();
        }
        record
    }

    pub fn reference(&mut self, reference_id: &Uuid) -> Option<&mut Reference> {
        self.refs.get_mut(reference_id)
    }

    /// The reference that already moved money under `session_id`, if any: a session is one
    /// payment.
    pub fn executed_under(&self, session_id: u64) -> Option<Uuid> {
        self.refs
            .values()
            .filter_map(|r| r.execution.as_ref())
            .find(|e| e.session_id == session_id)
            .map(|e| e.reference_id)
    }

    pub fn execution(&self, reference_id: &str) -> Option<&Execution> {
        let id = Uuid::parse_str(reference_id).ok()?;
        self.refs.get(&id)?.execution.as_ref()
    }

    /// Moves the money of `session` under `reference_id`. The caller has checked that the
    /// reference has no execution yet.
    pub fn execute(&mut self, reference_id: Uuid, session_id: &str) -> Option<&Execution> {
        let session = self.session(session_id)?;
        let card = (session.scenario == Scenario::Card).then(card_intent);
        let execution = Execution {
            reference_id,
            session_id: session.id,
            payout_account_id: session.payout_account_id.clone(),
            scenario: session.scenario,
            legs: session.legs.clone(),
            created: Instant::now(),
            confirmed: None,
            provider_transaction_id: session
                .scenario
                .provider_transaction_id(card.as_ref().map(|(intent, _)| intent.as_str())),
            client_secret: card.map(|(_, secret)| secret),
        };
        let record = self.refs.get_mut(&reference_id)?;
        Some(record.execution.insert(execution))
    }

    /// Completes a card payout's 3-D Secure step.
    pub fn confirm(&mut self, reference_id: &str, processing_for: Duration) -> Confirm {
        let Some(record) = Uuid::parse_str(reference_id)
            .ok()
            .and_then(|id| self.refs.get_mut(&id))
        else {
            return Confirm::NotFound;
        };
        let Some(execution) = record.execution.as_mut() else {
            return Confirm::NotFound;
        };
        let now = Instant::now();
        match execution.stage(now, processing_for) {
            Stage::AwaitingAction => {
                execution.confirmed = Some(now);
                Confirm::Confirmed(Box::new(execution.body(now, processing_for)))
            }
            _ if execution.confirmed.is_some() => {
                Confirm::Confirmed(Box::new(execution.body(now, processing_for)))
            }
            _ => Confirm::NoActionRequired,
        }
    }

    /// Every reference an execute request named, oldest first.
    pub fn inspect(&self, processing_for: Duration) -> Vec<InspectRow> {
        let now = Instant::now();
        let mut records: Vec<(&Uuid, &Reference)> = self.refs.iter().collect();
        records.sort_by_key(|(_, r)| r.seq);
        records
            .into_iter()
            .map(|(id, r)| {
                let stage = r.execution.as_ref().map(|e| e.stage(now, processing_for));
                InspectRow {
                    reference_id: id.to_string(),
                    payout_account_id: r.payout_account_id.clone(),
                    session_id: r.session_id.clone(),
                    status: stage.map(Stage::word),
                    requires_action: stage == Some(Stage::AwaitingAction),
                    executions: u32::from(r.execution.is_some()),
                    execute_calls: r.execute_calls,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn store_with_session(account: &str) -> (Store, String) {
        let mut store = Store::default();
        let scenario = Scenario::for_account(account).unwrap();
        let legs = Legs::for_session(scenario, Decimal::new(1250, 2), "USD").unwrap();
        let id = store
            .create_session(
                account.into(),
                scenario,
                Amount(Decimal::new(1250, 2)),
                "USD".into(),
                legs,
                Duration::from_secs(900),
            )
            .id
            .to_string();
        (store, id)
    }

    #[test]
    fn expired_tokens_stop_validating_and_are_forgotten_later() {
        let mut store = Store::default();
        let now = Instant::now();
        let token = store.issue_token(now, Duration::from_secs(60));
        assert!(store.token_is_valid(&token, now));
        assert!(!store.token_is_valid("other", now));
        store.expire_tokens(now);
        assert!(!store.token_is_valid(&token, now));
        store.issue_token(now + Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(store.tokens.len(), 1);
    }

    #[test]
    fn sessions_expire_on_demand_and_unknown_ids_are_not_found() {
        let (mut store, id) = store_with_session("18");
        assert!(!store.session(&id).unwrap().is_expired(Instant::now()));
        assert!(store.expire_session(&id));
        assert!(store.session(&id).unwrap().is_expired(Instant::now()));
        assert!(!store.expire_session("nope"));
        assert!(store.session("9999").is_none());
    }

    #[test]
    fn execution_is_recorded_once_and_listed_with_its_call_count() {
        let (mut store, id) = store_with_session("18");
        let reference = Uuid::new_v4();
        store.note_call(reference, &id, "18");
        store.execute(reference, &id).unwrap();
        store.note_call(reference, &id, "18");
        let rows = store.inspect(Duration::from_secs(1));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].executions, 1);
        assert_eq!(rows[0].execute_calls, 2);
        assert_eq!(rows[0].status, Some("PENDING"));
    }

    #[test]
    fn card_execution_hides_its_secret_once_confirmed() {
        let (mut store, id) = store_with_session("20");
        let reference = Uuid::new_v4();
        store.note_call(reference, &id, "20");
        let body = store
            .execute(reference, &id)
            .unwrap()
            .body(Instant::now(), Duration::ZERO);
        assert!(body.requires_action);
        assert!(body.client_secret.unwrap().contains("_secret_"));
        let Confirm::Confirmed(after) = store.confirm(&reference.to_string(), Duration::ZERO)
        else {
            panic!("confirm should find the card payout");
        };
        assert!(!after.requires_action);
        assert!(after.client_secret.is_none());
        assert!(matches!(
            store.confirm(&Uuid::new_v4().to_string(), Duration::ZERO),
            Confirm::NotFound
        ));
    }
}
