//! Inventory domain (pure): materials, spools, reservations, the movements ledger and costs.
//!
//! Rules:
//! - Stock is never negative: a spool's remaining grams stay `>= 0`.
//! - `available = on hand (sum of spool remaining) - reserved (sum of held reservations)`.
//!   Reserving or consuming beyond what is available is rejected with `STOCK_INSUFFICIENT`
//!   (kind **Conflict**: the request is well-formed but conflicts with the current stock).
//!   Only a physical count ([`MovementKind::Adjustment`]) or scrap may leave reservations
//!   uncovered; `available` is then negative until stock is received.
//! - Reservations are held by an opaque **job key** (inventory knows nothing about orders or
//!   jobs), at most one per (job key, material). See [`ReservationState`] for the life cycle.
//! - Every change of a spool's grams writes one [`StockMovement`] with a signed `grams`
//!   delta: receipt `+`, consumption `-`, scrap `-`, adjustment `±`.
//! - Consumption draws from spools emptiest first (fewest grams remaining), then oldest
//!   (lowest id), possibly several spools: see [`plan_draw`].

use crate::error::{Coded, ErrorKind};
use crate::types::{Grams, MaterialId, SpoolId};

mod materials;
mod stock;

pub use materials::*;
pub use stock::*;

/// Longest accepted job key.
pub const JOB_KEY_MAX: usize = 128;

/// Rejections of inventory commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// A material code is empty, too long or contains characters other than letters, digits,
    /// `.`, `_` and `-`.
    #[error("invalid material code {0:?}: use 1-64 letters, digits, '.', '_' or '-'")]
    InvalidCode(String),
    /// The material kind is not one of [`MaterialKind::ALL`].
    #[error("unknown material kind {0:?}")]
    UnknownKind(String),
    /// A field is out of range or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    /// A quantity of grams is zero or negative where a positive amount is required (or
    /// negative where zero is allowed).
    #[error("invalid grams {0}: must be positive")]
    InvalidGrams(i64),
    /// The job key is blank or too long.
    #[error("invalid job key {0:?}")]
    InvalidJobKey(String),
    /// Another material already has this code.
    #[error("material code {0:?} is already in use")]
    CodeTaken(String),
    /// Not enough unreserved stock.
    #[error("insufficient stock of material {material_id}: requested {requested} g, available {available} g")]
    InsufficientStock {
        material_id: MaterialId,
        requested: i64,
        available: i64,
    },
    /// A spool holds less than the requested grams (scrap).
    #[error("spool {spool_id} holds {remaining} g, cannot take {requested} g")]
    SpoolInsufficient {
        spool_id: SpoolId,
        requested: i64,
        remaining: i64,
    },
    /// No reservation exists for this job key and material.
    #[error("no reservation for job key {job_key:?} and material {material_id}")]
    ReservationNotFound {
        job_key: String,
        material_id: MaterialId,
    },
    /// A reservation cannot move between these states.
    #[error("reservation cannot go from {from} to {to}")]
    IllegalTransition {
        from: ReservationState,
        to: ReservationState,
    },
    /// An arithmetic result does not fit.
    #[error("amount overflow")]
    Overflow,
}

impl Coded for InventoryError {
    fn code(&self) -> &'static str {
        match self {
            InventoryError::InvalidCode(_) => "INVENTORY_INVALID_CODE",
            InventoryError::UnknownKind(_) => "INVENTORY_UNKNOWN_KIND",
            InventoryError::InvalidField { .. } => "INVENTORY_INVALID_FIELD",
            InventoryError::InvalidGrams(_) => "INVENTORY_INVALID_GRAMS",
            InventoryError::InvalidJobKey(_) => "INVENTORY_INVALID_JOB_KEY",
            InventoryError::CodeTaken(_) => "INVENTORY_CODE_TAKEN",
            InventoryError::InsufficientStock { .. } => "STOCK_INSUFFICIENT",
            InventoryError::SpoolInsufficient { .. } => "SPOOL_INSUFFICIENT",
            InventoryError::ReservationNotFound { .. } => "RESERVATION_NOT_FOUND",
            InventoryError::IllegalTransition { .. } => "RESERVATION_ILLEGAL_TRANSITION",
            InventoryError::Overflow => "INVENTORY_OVERFLOW",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            InventoryError::InvalidCode(_)
            | InventoryError::UnknownKind(_)
            | InventoryError::InvalidField { .. }
            | InventoryError::InvalidGrams(_)
            | InventoryError::InvalidJobKey(_)
            | InventoryError::Overflow => ErrorKind::Validation,
            InventoryError::CodeTaken(_)
            | InventoryError::InsufficientStock { .. }
            | InventoryError::SpoolInsufficient { .. }
            | InventoryError::IllegalTransition { .. } => ErrorKind::Conflict,
            InventoryError::ReservationNotFound { .. } => ErrorKind::NotFound,
        }
    }
}

/// Validates a material code such as `PLA-black-1.75` (kept as given, case-sensitive).
pub fn parse_code(s: &str) -> Result<String, InventoryError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 64
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(t.to_string())
    } else {
        Err(InventoryError::InvalidCode(s.to_string()))
    }
}

/// Validates a job key: non-blank, at most [`JOB_KEY_MAX`] characters, no control characters.
/// Kept exactly as given (keys are compared byte-for-byte).
pub fn parse_job_key(s: &str) -> Result<String, InventoryError> {
    let ok = !s.trim().is_empty() && s.chars().count() <= JOB_KEY_MAX && !s.chars().any(char::is_control);
    if ok {
        Ok(s.to_string())
    } else {
        Err(InventoryError::InvalidJobKey(s.to_string()))
    }
}

/// A strictly positive number of grams.
pub fn positive_grams(g: i64) -> Result<Grams, InventoryError> {
    if g <= 0 {
        return Err(InventoryError::InvalidGrams(g));
    }
    Grams::new(g).map_err(|_| InventoryError::InvalidGrams(g))
}

/// A non-negative number of grams (a count, a threshold, partial use).
pub fn nonnegative_grams(g: i64) -> Result<Grams, InventoryError> {
    Grams::new(g).map_err(|_| InventoryError::InvalidGrams(g))
}

fn text(field: &'static str, s: &str, max: usize) -> Result<String, InventoryError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(InventoryError::InvalidField {
            field,
            reason: "must not be empty",
        });
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(InventoryError::InvalidField {
            field,
            reason: "too long or contains control characters",
        });
    }
    Ok(t.to_string())
}

/// Optional free text: blank becomes `None`.
pub fn opt_text(field: &'static str, s: Option<&str>, max: usize) -> Result<Option<String>, InventoryError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(field, t, max).map(Some),
    }
}

fn in_range(field: &'static str, v: i64, lo: i64, hi: i64) -> Result<i64, InventoryError> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(InventoryError::InvalidField {
            field,
            reason: "out of range",
        })
    }
}

#[cfg(test)]
mod tests;
