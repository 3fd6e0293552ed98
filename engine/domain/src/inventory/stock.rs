//! Reservations, the movements ledger, stock levels and drawing from spools.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::InventoryError;
use crate::types::{Grams, MaterialId, ReservationId, SpoolId};

/// Life cycle of a reservation.
///
/// `held → consumed` (material used), `held → released` (freed), `released → held`
/// (re-reserved under the same key). `consumed` is final. Only `held` reservations count
/// against available stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationState {
    Held,
    Consumed,
    Released,
}

impl ReservationState {
    /// Every state.
    pub const ALL: [ReservationState; 3] = [
        ReservationState::Held,
        ReservationState::Consumed,
        ReservationState::Released,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Held => "held",
            ReservationState::Consumed => "consumed",
            ReservationState::Released => "released",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ReservationState> {
        ReservationState::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether `self → to` is a legal transition.
    pub fn can_transition(self, to: ReservationState) -> bool {
        use ReservationState::*;
        matches!((self, to), (Held, Consumed) | (Held, Released) | (Released, Held))
    }

    /// `to` if the transition is legal, else `RESERVATION_ILLEGAL_TRANSITION`.
    pub fn transition(self, to: ReservationState) -> Result<ReservationState, InventoryError> {
        if self.can_transition(to) {
            Ok(to)
        } else {
            Err(InventoryError::IllegalTransition { from: self, to })
        }
    }
}

impl fmt::Display for ReservationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Material held for an opaque job key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reservation {
    pub id: ReservationId,
    pub material_id: MaterialId,
    pub job_key: String,
    /// Grams reserved.
    pub grams: Grams,
    /// Grams actually drawn from spools when the reservation was settled.
    pub consumed_grams: Grams,
    pub state: ReservationState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The kind of a ledger movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// A spool received (`+grams`).
    Receipt,
    /// Material drawn for a job (`-grams`, carries the job key).
    Consumption,
    /// A physical count corrected the spool (`±grams`).
    Adjustment,
    /// Material discarded (`-grams`).
    Scrap,
}

impl MovementKind {
    /// Every kind.
    pub const ALL: [MovementKind; 4] = [
        MovementKind::Receipt,
        MovementKind::Consumption,
        MovementKind::Adjustment,
        MovementKind::Scrap,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Consumption => "consumption",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Scrap => "scrap",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One row of the append-only stock ledger. `grams` is the signed change of the spool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockMovement {
    pub id: i64,
    pub material_id: MaterialId,
    pub spool_id: Option<SpoolId>,
    pub kind: MovementKind,
    pub grams: i64,
    pub job_key: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The outcome of settling a reservation (consumption or partial use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consumption {
    /// The reservation after settling.
    pub reservation: Reservation,
    /// The consumption movements written for it (one per spool drawn from), in draw order.
    pub movements: Vec<StockMovement>,
    /// `true` when the reservation had already been settled and nothing was written now.
    pub replayed: bool,
}

/// Stock position of one material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockLevel {
    pub material_id: MaterialId,
    pub code: String,
    /// Sum of spool remaining grams.
    pub on_hand: i64,
    /// Sum of held reservations.
    pub reserved: i64,
    /// `on_hand - reserved`; negative only after a downward count or scrap left reservations
    /// uncovered.
    pub available: i64,
    pub low_stock_grams: i64,
    /// `available <= low_stock_grams` (so a material with nothing available is always low).
    pub low: bool,
}

impl StockLevel {
    /// Computes the derived fields.
    pub fn new(
        material_id: MaterialId,
        code: String,
        on_hand: i64,
        reserved: i64,
        low_stock_grams: i64,
    ) -> Self {
        let available = on_hand.saturating_sub(reserved);
        StockLevel {
            material_id,
            code,
            on_hand,
            reserved,
            available,
            low_stock_grams,
            low: available <= low_stock_grams,
        }
    }
}

/// Checks that `requested` grams fit into `available`.
pub fn check_available(
    material_id: MaterialId,
    requested: Grams,
    available: i64,
) -> Result<(), InventoryError> {
    if requested.get() > available {
        return Err(InventoryError::InsufficientStock {
            material_id,
            requested: requested.get(),
            available,
        });
    }
    Ok(())
}

/// The most a job may consume against its held reservation of `held` grams, given the
/// material's `on_hand` and `reserved` (all held reservations, this one included): its own
/// reservation plus the unreserved stock, and never more than is on hand. When a downward count
/// left reservations uncovered (available < 0), a job may still consume up to its own
/// reservation as long as it is physically on hand.
pub fn consumable_limit(on_hand: i64, reserved: i64, held: i64) -> i64 {
    let available = on_hand.saturating_sub(reserved);
    held.saturating_add(available.max(0)).min(on_hand)
}

/// Checks a change of a held reservation from `held` to `requested` grams: shrinking is always
/// allowed; growing needs the extra grams available.
pub fn check_resize(
    material_id: MaterialId,
    held: Grams,
    requested: Grams,
    available: i64,
) -> Result<(), InventoryError> {
    if requested <= held {
        return Ok(());
    }
    check_available(material_id, requested, available.saturating_add(held.get()))
}

/// Plans drawing `grams` from `spools` (id, remaining): emptiest first, then oldest (lowest
/// id); empty spools are skipped. Returns the grams taken per spool, in draw order, summing to
/// `grams`; `STOCK_INSUFFICIENT` if the spools together hold less.
pub fn plan_draw(
    material_id: MaterialId,
    spools: &[(SpoolId, Grams)],
    grams: Grams,
) -> Result<Vec<(SpoolId, Grams)>, InventoryError> {
    let mut order: Vec<(SpoolId, Grams)> = spools.iter().copied().filter(|(_, g)| g.get() > 0).collect();
    order.sort_by_key(|(id, g)| (*g, *id));
    let total: i64 = order.iter().map(|(_, g)| g.get()).sum();
    if total < grams.get() {
        return Err(InventoryError::InsufficientStock {
            material_id,
            requested: grams.get(),
            available: total,
        });
    }
    let mut left = grams.get();
    let mut out = Vec::new();
    for (id, g) in order {
        if left == 0 {
            break;
        }
        let take = g.get().min(left);
        out.push((
            id,
            Grams::new(take).map_err(|_| InventoryError::InvalidGrams(take))?,
        ));
        left -= take;
    }
    Ok(out)
}
