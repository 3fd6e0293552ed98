//! Value newtypes shared by every module: ids, money, quantities, time.
//!
//! Each newtype has a `parse` (or `new`) that validates; once constructed it is valid.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Coded, ErrorKind};

/// A value failed validation. Names the field and the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {value:?} ({reason})")]
pub struct ValueError {
    pub field: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl ValueError {
    pub fn new(field: &'static str, value: impl fmt::Display, reason: &'static str) -> Self {
        ValueError {
            field,
            value: value.to_string(),
            reason,
        }
    }
}

impl Coded for ValueError {
    fn code(&self) -> &'static str {
        "INVALID_VALUE"
    }
    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

/// Declares an `i64`-backed id newtype.
macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// Parses an id given as text (e.g. from a URL or CLI); must be a positive integer.
            pub fn parse(s: &str) -> Result<Self, ValueError> {
                match s.trim().parse::<i64>() {
                    Ok(v) if v > 0 => Ok($name(v)),
                    _ => Err(ValueError::new(stringify!($name), s, "expected a positive integer id")),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

id_type!(
    UserId,
    CustomerId,
    CategoryId,
    ProductId,
    ReviewId,
    OrderId,
    OrderLineId,
    JobId,
    MaterialId,
    SpoolId,
    ReservationId,
    PrinterId,
    PrinterModelId,
    MaintenancePlanId,
    MaintenanceWindowId,
    ModelFileId,
);

/// ISO-4217 style currency code: three upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(|c| c.is_ascii_uppercase()) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(ValueError::new(
                "currency",
                s,
                "expected three upper-case letters, e.g. EUR",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount of money in integer minor units (cents) of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    /// A price: must not be negative.
    pub fn price(minor: i64, currency: Currency) -> Result<Self, ValueError> {
        if minor < 0 {
            return Err(ValueError::new("price", minor, "must not be negative"));
        }
        Ok(Money { minor, currency })
    }

    pub fn checked_add(self, other: Money) -> Result<Money, ValueError> {
        if self.currency != other.currency {
            return Err(ValueError::new("currency", other.currency, "currencies differ"));
        }
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money {
                minor,
                currency: self.currency,
            })
            .ok_or_else(|| ValueError::new("amount", other.minor, "overflow"))
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, ValueError> {
        self.minor
            .checked_mul(factor)
            .map(|minor| Money {
                minor,
                currency: self.currency,
            })
            .ok_or_else(|| ValueError::new("amount", factor, "overflow"))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

/// A mass of material in whole grams. Never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Grams(i64);

impl Grams {
    pub const ZERO: Grams = Grams(0);

    pub fn new(g: i64) -> Result<Self, ValueError> {
        if g < 0 {
            return Err(ValueError::new("grams", g, "must not be negative"));
        }
        Ok(Grams(g))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn saturating_sub(self, other: Grams) -> Grams {
        Grams((self.0 - other.0).max(0))
    }

    pub fn checked_sub(self, other: Grams) -> Option<Grams> {
        let v = self.0.checked_sub(other.0)?;
        (v >= 0).then_some(Grams(v))
    }

    pub fn checked_add(self, other: Grams) -> Option<Grams> {
        self.0.checked_add(other.0).map(Grams)
    }
}

impl fmt::Display for Grams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} g", self.0)
    }
}

/// A count of items, strictly positive (an order line, a plate, a reservation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 100_000;

    pub fn new(q: i64) -> Result<Self, ValueError> {
        if q <= 0 {
            return Err(ValueError::new("quantity", q, "must be at least 1"));
        }
        if q > i64::from(Self::MAX) {
            return Err(ValueError::new("quantity", q, "must be at most 100000"));
        }
        Ok(Quantity(q as u32))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A non-empty, trimmed, bounded piece of text (names, titles).
pub fn parse_name(field: &'static str, s: &str, max: usize) -> Result<String, ValueError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ValueError::new(field, s, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ValueError::new(field, s, "too long"));
    }
    Ok(t.to_string())
}

/// UTC timestamps are stored as integer milliseconds since the Unix epoch.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Inverse of [`to_millis`]; out-of-range values clamp to the epoch.
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_arithmetic() {
        let a = Money::new(1999, Currency::EUR);
        assert_eq!(a.checked_mul(3).unwrap().minor, 5997);
        assert_eq!(a.checked_add(Money::new(1, Currency::EUR)).unwrap().minor, 2000);
        assert!(a.checked_add(Money::new(1, Currency::USD)).is_err());
        assert!(Money::new(i64::MAX, Currency::EUR).checked_mul(2).is_err());
        assert_eq!(a.to_string(), "19.99 EUR");
        assert_eq!(Money::new(-5, Currency::EUR).to_string(), "-0.05 EUR");
        assert!(Money::price(-1, Currency::EUR).is_err());
    }

    #[test]
    fn currency_parse() {
        assert_eq!(Currency::parse("EUR").unwrap(), Currency::EUR);
        for bad in ["eur", "EU", "EURO", "E1R", ""] {
            assert_eq!(Currency::parse(bad).unwrap_err().field, "currency");
        }
    }

    #[test]
    fn quantities_and_grams() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(-3).is_err());
        assert_eq!(Quantity::new(5).unwrap().get(), 5);
        assert!(Quantity::new(100_001).is_err());
        assert!(Grams::new(-1).is_err());
        assert_eq!(Grams::new(5).unwrap().checked_sub(Grams::new(6).unwrap()), None);
        assert_eq!(PrinterId::parse("12").unwrap(), PrinterId(12));
        assert!(PrinterId::parse("0").is_err());
        assert!(PrinterId::parse("x").is_err());
    }

    #[test]
    fn millis_roundtrip() {
        let t = from_millis(1_700_000_000_123);
        assert_eq!(to_millis(t), 1_700_000_000_123);
    }
}
