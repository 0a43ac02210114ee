//! What each sandbox payout account does, the fixed exchange rate, and an execution's status as
//! a pure function of the time since it was created (no background timers).

use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::money::Amount;

/// Every payout of the sandbox is debited from one USD wallet.
pub(crate) const WALLET_CURRENCY: &str = "USD";
pub(crate) const WALLET_ID: u64 = 7;
/// The payee currency of accounts 19-25.
pub(crate) const LRD: &str = "LRD";

/// Liberian dollars per US dollar, fixed: 187.25.
pub fn lrd_per_usd() -> Decimal {
    Decimal::new(18725, 2)
}

/// The wallet holds this much USD: a larger payer amount fails for insufficient balance.
pub(crate) fn wallet_balance() -> Decimal {
    Decimal::new(10_000, 0)
}

/// How long a standard execution stays PENDING, and when it completes.
pub(crate) const PENDING_FOR: Duration = Duration::from_secs(1);
pub(crate) const COMPLETES_AFTER: Duration = Duration::from_secs(3);
/// How long a confirmed card payout takes to complete.
pub(crate) const CONFIRMED_COMPLETES_AFTER: Duration = Duration::from_millis(500);
/// The `Retry-After` of account 25's first answer.
pub(crate) const RETRY_AFTER_SECS: u64 = 2;

/// The behaviour a payout account stands for, like a test card number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// 18: PENDING, PROCESSING after 1 s, COMPLETED 3 s after execute; USD to USD.
    Standard,
    /// 19: FAILED at once, the operator declined.
    Declined,
    /// 20: card payout waiting for 3-D Secure until `/_sandbox/confirm`.
    Card,
    /// 21: PROCESSING for `processing_for`, then COMPLETED.
    LongProcessing,
    /// 22: executes at once, answers after `slow_answer`.
    SlowAnswer,
    /// 23: executes, then drops the connection without answering.
    DroppedAnswer,
    /// 24: 500 on the first execute of a reference.
    ServerErrorFirst,
    /// 25: 429 with Retry-After on the first execute of a reference.
    RateLimitedFirst,
}

impl Scenario {
    pub fn for_account(id: &str) -> Option<Scenario> {
        Some(match id {
            "18" => Scenario::Standard,
            "19" => Scenario::Declined,
            "20" => Scenario::Card,
            "21" => Scenario::LongProcessing,
            "22" => Scenario::SlowAnswer,
            "23" => Scenario::DroppedAnswer,
            "24" => Scenario::ServerErrorFirst,
            "25" => Scenario::RateLimitedFirst,
            _ => return None,
        })
    }

    /// The currency the payee receives.
    pub fn payee_currency(self) -> &'static str {
        match self {
            Scenario::Standard => WALLET_CURRENCY,
            _ => LRD,
        }
    }

    /// A session may be in the wallet's currency or the payee's.
    pub fn accepts_currency(self, currency: &str) -> bool {
        currency == WALLET_CURRENCY || currency == self.payee_currency()
    }

    /// The prefix of provider transaction ids.
    fn provider(self) -> &'static str {
        match self {
            Scenario::Card => "pi_",
            _ => "MTN-",
        }
    }

    /// A provider transaction id for this scenario: `MTN-` and 10 digits, or a Stripe `pi_` id.
    pub fn provider_transaction_id(self, card_intent: Option<&str>) -> String {
        match (self, card_intent) {
            (Scenario::Card, Some(intent)) => intent.to_string(),
            _ => format!("{}{}", self.provider(), random_digits(10)),
        }
    }
}

/// What the payer's wallet gives and what the payee gets, each in its currency, to the cent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Legs {
    pub payer_amount: Amount,
    pub payer_currency: &'static str,
    pub payee_amount: Amount,
    pub payee_currency: &'static str,
}

impl Legs {
    /// Converts a session amount. `None` when the currency is not one the account takes or the
    /// arithmetic overflows.
    pub fn for_session(scenario: Scenario, amount: Decimal, currency: &str) -> Option<Legs> {
        if !scenario.accepts_currency(currency) {
            return None;
        }
        let payee_currency = scenario.payee_currency();
        let rate = if payee_currency == WALLET_CURRENCY {
            Decimal::ONE
        } else {
            lrd_per_usd()
        };
        let (payer, payee) = if currency == WALLET_CURRENCY {
            (amount, amount.checked_mul(rate)?)
        } else {
            (amount.checked_div(rate)?, amount)
        };
        Some(Legs {
            payer_amount: Amount(cents(payer)),
            payer_currency: WALLET_CURRENCY,
            payee_amount: Amount(cents(payee)),
            payee_currency,
        })
    }

    pub fn exceeds_balance(&self) -> bool {
        self.payer_amount.0 > wallet_balance()
    }
}

/// Rounds half away from zero to 2 decimal places, and always shows 2.
fn cents(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// Why an execution failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailReason {
    Declined,
    InsufficientBalance,
}

/// Where an execution is, as the status endpoint reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Pending,
    Processing,
    /// PROCESSING with `requires_action: true`.
    AwaitingAction,
    Completed,
    Failed(FailReason),
}

impl Stage {
    pub fn word(self) -> &'static str {
        match self {
            Stage::Pending => "PENDING",
            Stage::Processing | Stage::AwaitingAction => "PROCESSING",
            Stage::Completed => "COMPLETED",
            Stage::Failed(_) => "FAILED",
        }
    }

    /// Whether the provider knows the payout, so that its transaction id can be shown.
    pub fn provider_knows(self) -> bool {
        !matches!(
            self,
            Stage::Pending | Stage::Failed(FailReason::InsufficientBalance)
        )
    }
}

/// The stage of an execution `elapsed` after it was created. `since_confirm` is the time since
/// a card payout's 3-D Secure step was completed.
pub(crate) fn stage_at(
    scenario: Scenario,
    exceeds_balance: bool,
    elapsed: Duration,
    since_confirm: Option<Duration>,
    processing_for: Duration,
) -> Stage {
    if exceeds_balance {
        return Stage::Failed(FailReason::InsufficientBalance);
    }
    match scenario {
        Scenario::Declined => Stage::Failed(FailReason::Declined),
        Scenario::Card => match since_confirm {
            None => Stage::AwaitingAction,
            Some(t) if t < CONFIRMED_COMPLETES_AFTER => Stage::Processing,
            Some(_) => Stage::Completed,
        },
        Scenario::LongProcessing if elapsed < processing_for => Stage::Processing,
        Scenario::LongProcessing => Stage::Completed,
        Scenario::Standard
        | Scenario::SlowAnswer
        | Scenario::DroppedAnswer
        | Scenario::ServerErrorFirst
        | Scenario::RateLimitedFirst => {
            if elapsed < PENDING_FOR {
                Stage::Pending
            } else if elapsed < COMPLETES_AFTER {
                Stage::Processing
            } else {
                Stage::Completed
            }
        }
    }
}

/// The gateway's and the wallet's words for a stage.
pub(crate) fn messages(scenario: Scenario, stage: Stage) -> (Option<String>, Option<String>) {
    let gateway = match stage {
        Stage::Pending => Some("Payout accepted; queued for the provider"),
        Stage::Processing if scenario == Scenario::Card => {
            Some("Card authenticated; payout in progress")
        }
        Stage::Processing => Some("Payout sent to the mobile money operator"),
        Stage::AwaitingAction => Some("Card payout requires 3-D Secure authentication"),
        Stage::Completed => Some("Payout delivered to the payee"),
        Stage::Failed(FailReason::Declined) => Some("Payout declined by the mobile money operator"),
        Stage::Failed(FailReason::InsufficientBalance) => None,
    };
    let wallet = match stage {
        Stage::Failed(FailReason::InsufficientBalance) => Some("Insufficient wallet balance"),
        Stage::Failed(FailReason::Declined) => Some("Wallet debit reversed"),
        Stage::Completed => Some("Wallet debited"),
        Stage::Pending | Stage::Processing | Stage::AwaitingAction => Some("Wallet debit reserved"),
    };
    (gateway.map(str::to_string), wallet.map(str::to_string))
}

/// `n` random ASCII digits.
pub(crate) fn random_digits(n: usize) -> String {
    random_from(b"0123456789", n)
}

/// `n` random ASCII letters and digits.
pub(crate) fn random_alnum(n: usize) -> String {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        n,
    )
}

/// Randomness from v4 UUIDs (the OS generator), so the sandbox needs no extra crate.
fn random_from(alphabet: &[u8], n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in uuid::Uuid::new_v4().as_bytes() {
            if out.len() == n {
                break;
            }
            out.push(char::from(alphabet[usize::from(*b) % alphabet.len()]));
        }
    }
    out
}

/// A Stripe-like PaymentIntent id and its client secret: `pi_<24>` and `pi_<24>_secret_<24>`.
pub(crate) fn card_intent() -> (String, String) {
    let intent = format!("pi_{}", random_alnum(24));
    let secret = format!("{intent}_secret_{}", random_alnum(24));
    (intent, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(120);

    fn at(scenario: Scenario, ms: u64) -> Stage {
        stage_at(scenario, false, Duration::from_millis(ms), None, LONG)
    }

    #[test]
    fn standard_payout_goes_pending_processing_completed() {
        assert_eq!(at(Scenario::Standard, 0), Stage::Pending);
        assert_eq!(at(Scenario::Standard, 999), Stage::Pending);
        assert_eq!(at(Scenario::Standard, 1_000), Stage::Processing);
        assert_eq!(at(Scenario::Standard, 2_999), Stage::Processing);
        assert_eq!(at(Scenario::Standard, 3_000), Stage::Completed);
        assert_eq!(at(Scenario::ServerErrorFirst, 5_000), Stage::Completed);
    }

    #[test]
    fn declined_account_fails_at_once_with_operator_message() {
        let stage = at(Scenario::Declined, 0);
        assert_eq!(stage, Stage::Failed(FailReason::Declined));
        let (gateway, _) = messages(Scenario::Declined, stage);
        assert!(
            gateway
                .unwrap()
                .contains("declined by the mobile money operator")
        );
    }

    #[test]
    fn card_payout_waits_for_confirmation_then_completes() {
        assert_eq!(at(Scenario::Card, 600_000), Stage::AwaitingAction);
        let confirmed = |ms| {
            stage_at(
                Scenario::Card,
                false,
                LONG,
                Some(Duration::from_millis(ms)),
                LONG,
            )
        };
        assert_eq!(confirmed(0), Stage::Processing);
        assert_eq!(confirmed(500), Stage::Completed);
    }

    #[test]
    fn long_processing_account_stays_processing_for_the_configured_time() {
        let three = Duration::from_secs(3);
        let stage = |s| {
            stage_at(
                Scenario::LongProcessing,
                false,
                Duration::from_secs(s),
                None,
                three,
            )
        };
        assert_eq!(stage(0), Stage::Processing);
        assert_eq!(stage(2), Stage::Processing);
        assert_eq!(stage(3), Stage::Completed);
    }

    #[test]
    fn over_balance_fails_whatever_the_scenario() {
        for s in [Scenario::Standard, Scenario::Card, Scenario::LongProcessing] {
            let stage = stage_at(s, true, Duration::ZERO, None, LONG);
            assert_eq!(stage, Stage::Failed(FailReason::InsufficientBalance));
            assert!(!stage.provider_knows());
            assert_eq!(
                messages(s, stage).1.as_deref(),
                Some("Insufficient wallet balance")
            );
        }
    }

    #[test]
    fn usd_session_on_lrd_account_converts_at_the_fixed_rate() {
        let legs = Legs::for_session(Scenario::Declined, Decimal::new(1250, 2), "USD").unwrap();
        assert_eq!(legs.payer_amount.to_string(), "12.50");
        assert_eq!(legs.payer_currency, "USD");
        // 12.50 * 187.25 = 2340.625, half away from zero.
        assert_eq!(legs.payee_amount.to_string(), "2340.63");
        assert_eq!(legs.payee_currency, "LRD");
    }

    #[test]
    fn lrd_session_divides_back_to_the_usd_payer_amount() {
        let legs = Legs::for_session(Scenario::Card, Decimal::new(1000, 0), "LRD").unwrap();
        assert_eq!(legs.payee_amount.to_string(), "1000.00");
        // 1000 / 187.25 = 5.3404...
        assert_eq!(legs.payer_amount.to_string(), "5.34");
    }

    #[test]
    fn usd_account_pays_usd_one_to_one_and_refuses_lrd() {
        let legs = Legs::for_session(Scenario::Standard, Decimal::new(5, 0), "USD").unwrap();
        assert_eq!(legs.payer_amount, legs.payee_amount);
        assert_eq!(legs.payee_currency, "USD");
        assert!(Legs::for_session(Scenario::Standard, Decimal::ONE, "LRD").is_none());
        assert!(Legs::for_session(Scenario::Declined, Decimal::ONE, "EUR").is_none());
    }

    #[test]
    fn balance_limit_is_ten_thousand_usd_inclusive() {
        let ok = Legs::for_session(Scenario::Standard, Decimal::new(10_000, 0), "USD").unwrap();
        assert!(!ok.exceeds_balance());
        let over =
            Legs::for_session(Scenario::Standard, Decimal::new(1_000_001, 2), "USD").unwrap();
        assert!(over.exceeds_balance());
        // 1,872,600 LRD is 10,000.53 USD.
        let lrd = Legs::for_session(Scenario::Declined, Decimal::new(1_872_600, 0), "LRD").unwrap();
        assert!(lrd.exceeds_balance());
    }

    #[test]
    fn huge_amounts_do_not_overflow_into_a_panic() {
        assert!(Legs::for_session(Scenario::Declined, Decimal::MAX, "USD").is_none());
    }

    #[test]
    fn card_client_secret_looks_like_a_stripe_payment_intent_secret() {
        let (intent, secret) = card_intent();
        assert!(secret.starts_with(&format!("{intent}_secret_")));
        assert_eq!(intent.len(), 3 + 24);
        assert_eq!(secret.len(), 3 + 24 + 8 + 24);
        assert!(random_digits(10).chars().all(|c| c.is_ascii_digit()));
    }
}
