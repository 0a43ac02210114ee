//! Exact decimal amounts as they travel in JSON.
//!
//! The vendor sends amounts as JSON numbers. Going through `f64` would turn `123.10` into
//! `123.09999…` on some values, so amounts are read from the raw JSON text and written back as a
//! raw JSON number: the digits that arrive are the digits we keep.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A money amount: an exact decimal, never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AmountError {
    #[error(
        "`{0}` is not an amount: use digits with an optional decimal point, such as 250 or 12.50"
    )]
    NotANumber(String),
    #[error("`{0}` has more digits than an amount can hold (28 significant digits at most)")]
    OutOfRange(String),
}

impl Amount {
    /// Parses JSON number text or an operator's typed amount: `250`, `12.50`, `1e3`, `-0.5`.
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let t = text.trim();
        let well_formed = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
            && t.chars().any(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(AmountError::NotANumber(text.to_string()));
        }
        let classify = |e: rust_decimal::Error| {
            let msg = e.to_string().to_lowercase();
            if msg.contains("overflow") || msg.contains("precision") || msg.contains("underflow") {
                AmountError::OutOfRange(text.to_string())
            } else {
                AmountError::NotANumber(text.to_string())
            }
        };
        let Some((mantissa, exponent)) = t.split_once(['e', 'E']) else {
            return Decimal::from_str_exact(t).map(Amount).map_err(classify);
        };
        // `Decimal::from_scientific` rounds a long mantissa; scale it exactly instead.
        let mut m = Decimal::from_str_exact(mantissa).map_err(classify)?;
        let exp: i64 = exponent
            .parse()
            .map_err(|_| AmountError::NotANumber(text.to_string()))?;
        let out_of_range = || AmountError::OutOfRange(text.to_string());
        if exp < 0 {
            let scale = i64::from(m.scale()) - exp;
            if scale > 28 {
                return Err(out_of_range());
            }
            m.set_scale(scale as u32).map_err(|_| out_of_range())?;
        } else {
            let shift = u32::try_from(exp).map_err(|_| out_of_range())?;
            let down = shift.min(m.scale());
            m.set_scale(m.scale() - down).map_err(|_| out_of_range())?;
            for _ in 0..(shift - down) {
                m = m.checked_mul(Decimal::TEN).ok_or_else(out_of_range)?;
            }
        }
        Ok(Amount(m))
    }

    pub fn is_positive(&self) -> bool {
        self.0 > Decimal::ZERO
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<Decimal> for Amount {
    fn from(d: Decimal) -> Self {
        Amount(d)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A raw value keeps every digit and the scale (`123.10`, not `123.1`).
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        // Some APIs send amounts as strings; take those too.
        let text = match serde_json::from_str::<String>(text) {
            Ok(s) => s,
            Err(_) => text.to_string(),
        };
        Amount::parse(&text).map_err(D::Error::custom)
    }
}

/// Payee units per payer unit (6 decimal places), when both amounts are known and the
/// currencies differ: the rate shown beside an execution's amounts.
pub fn rate(
    payer: Option<Amount>,
    payer_currency: Option<&str>,
    payee: Option<Amount>,
    payee_currency: Option<&str>,
) -> Option<Decimal> {
    let (payer, payee) = (payer?, payee?);
    if payer_currency == payee_currency || payer.0.is_zero() {
        return None;
    }
    payee
        .0
        .checked_div(payer.0)
        .map(|r| r.round_dp(6).normalize())
}

/// Deserializes an optional amount where `null` and a missing field both mean "not given".
pub fn opt_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Amount>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    match raw {
        None => Ok(None),
        Some(r) if r.get().trim() == "null" => Ok(None),
        Some(r) => serde_json::from_str::<Amount>(r.get())
            .map(Some)
            .map_err(D::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_number_keeps_its_exact_digits_and_scale() {
        let a: Amount = serde_json::from_str("123.10").unwrap();
        assert_eq!(a.to_string(), "123.10");
        assert_eq!(serde_json::to_string(&a).unwrap(), "123.10");
        let b: Amount = serde_json::from_str("0.1").unwrap();
        let c: Amount = serde_json::from_str("0.2").unwrap();
        assert_eq!((b.0 + c.0).to_string(), "0.3");
    }

    #[test]
    fn many_digit_numbers_do_not_go_through_floats() {
        let a: Amount = serde_json::from_str("9007199254740993.01").unwrap();
        assert_eq!(a.to_string(), "9007199254740993.01");
    }

    #[test]
    fn exponents_strings_and_negatives_parse() {
        assert_eq!(Amount::parse("1e3").unwrap().0, Decimal::from(1000));
        assert_eq!(Amount::parse("2.5E-1").unwrap().to_string(), "0.25");
        let s: Amount = serde_json::from_str("\"42.00\"").unwrap();
        assert_eq!(s.to_string(), "42.00");
        assert!(!Amount::parse("-5").unwrap().is_positive());
    }

    #[test]
    fn exponents_never_round_silently() {
        assert!(Amount::parse("0.00000000000000000000000000001e0").is_err());
        assert!(Amount::parse("1.00000000000000000000000000001e0").is_err());
        assert_eq!(Amount::parse("1.5e2").unwrap().to_string(), "150");
        assert_eq!(Amount::parse("15e-1").unwrap().to_string(), "1.5");
        assert!(Amount::parse("1e40").is_err());
        assert!(Amount::parse("1e-40").is_err());
        assert!(Amount::parse("1e99999999999").is_err());
    }

    #[test]
    fn garbage_and_overflow_are_errors_not_zero() {
        assert!(matches!(
            Amount::parse("12,5"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("abc"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(Amount::parse(""), Err(AmountError::NotANumber(_))));
        assert!(Amount::parse("123456789012345678901234567890123").is_err());
        assert!(serde_json::from_str::<Amount>("true").is_err());
    }
}
