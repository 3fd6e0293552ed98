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

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Coded, ErrorKind};
use crate::types::{Grams, MaterialId, Money, ReservationId, SpoolId};

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

/// The kind of material (polymer family). Stored upper-case (`PLA`, `PETG`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MaterialKind {
    Pla,
    Petg,
    Abs,
    Asa,
    Tpu,
    /// Polyamide (nylon): filament or SLS powder.
    Pa,
    /// Polycarbonate.
    Pc,
    /// Photopolymer resin (SLA).
    Resin,
}

impl MaterialKind {
    /// Every kind, in a stable order.
    pub const ALL: [MaterialKind; 8] = [
        MaterialKind::Pla,
        MaterialKind::Petg,
        MaterialKind::Abs,
        MaterialKind::Asa,
        MaterialKind::Tpu,
        MaterialKind::Pa,
        MaterialKind::Pc,
        MaterialKind::Resin,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialKind::Pla => "PLA",
            MaterialKind::Petg => "PETG",
            MaterialKind::Abs => "ABS",
            MaterialKind::Asa => "ASA",
            MaterialKind::Tpu => "TPU",
            MaterialKind::Pa => "PA",
            MaterialKind::Pc => "PC",
            MaterialKind::Resin => "RESIN",
        }
    }

    /// Parses a kind name, case-insensitive.
    pub fn parse(s: &str) -> Result<MaterialKind, InventoryError> {
        let t = s.trim().to_ascii_uppercase();
        MaterialKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| InventoryError::UnknownKind(s.to_string()))
    }
}

impl fmt::Display for MaterialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
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

/// Input for a new material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaterial {
    /// Unique code, e.g. `PLA-black-1.75`.
    pub code: String,
    pub kind: MaterialKind,
    pub colour: String,
    /// Filament diameter in micrometres (1750, 2850); for resin/powder any positive nominal value.
    pub diameter_um: i64,
    /// Density in mg/cm³ (PLA ≈ 1240).
    pub density_mg_cm3: i64,
    /// Price per kilogram (minor units), not negative.
    pub price_per_kg: Money,
    /// Low-stock threshold in grams (`>= 0`).
    pub low_stock_grams: i64,
}

impl NewMaterial {
    /// Validates and normalises (trimmed code and colour). Ranges: diameter 1..=10 000 µm,
    /// density 100..=25 000 mg/cm³, price `>= 0`, threshold `>= 0`.
    pub fn validate(&self) -> Result<NewMaterial, InventoryError> {
        if self.price_per_kg.minor < 0 {
            return Err(InventoryError::InvalidField {
                field: "price per kg",
                reason: "must not be negative",
            });
        }
        Ok(NewMaterial {
            code: parse_code(&self.code)?,
            kind: self.kind,
            colour: text("colour", &self.colour, 64)?,
            diameter_um: in_range("diameter", self.diameter_um, 1, 10_000)?,
            density_mg_cm3: in_range("density", self.density_mg_cm3, 100, 25_000)?,
            price_per_kg: self.price_per_kg,
            low_stock_grams: nonnegative_grams(self.low_stock_grams)?.get(),
        })
    }
}

/// A material (a stock-keeping unit of filament, resin or powder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Material {
    pub id: MaterialId,
    pub code: String,
    pub kind: MaterialKind,
    pub colour: String,
    pub diameter_um: i64,
    pub density_mg_cm3: i64,
    pub price_per_kg: Money,
    pub low_stock_grams: Grams,
    pub created_at: DateTime<Utc>,
}

impl Material {
    /// Cost of `grams` of this material (see [`material_cost`]).
    pub fn cost_of(&self, grams: Grams) -> Result<Money, InventoryError> {
        material_cost(grams, self.price_per_kg)
    }
}

/// Cost of `grams` at `price_per_kg`, in integer minor units, rounded **half-up** (to the
/// nearest minor unit, .5 rounds up): `(grams * price_minor + 500) / 1000`.
/// A negative price is rejected; overflow is reported, never wrapped.
pub fn material_cost(grams: Grams, price_per_kg: Money) -> Result<Money, InventoryError> {
    if price_per_kg.minor < 0 {
        return Err(InventoryError::InvalidField {
            field: "price per kg",
            reason: "must not be negative",
        });
    }
    let scaled = i128::from(grams.get()) * i128::from(price_per_kg.minor) + 500;
    let minor = i64::try_from(scaled / 1000).map_err(|_| InventoryError::Overflow)?;
    Ok(Money::new(minor, price_per_kg.currency))
}

/// Input for receiving a spool (or lot) of a material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpool {
    pub material_id: MaterialId,
    /// Net grams received, `> 0`.
    pub grams: i64,
    pub lot: Option<String>,
    pub location: Option<String>,
}

impl NewSpool {
    /// Validates: positive grams; lot and location trimmed (blank → none, at most 100 chars).
    pub fn validate(&self) -> Result<NewSpool, InventoryError> {
        Ok(NewSpool {
            material_id: self.material_id,
            grams: positive_grams(self.grams)?.get(),
            lot: opt_text("lot", self.lot.as_deref(), 100)?,
            location: opt_text("location", self.location.as_deref(), 100)?,
        })
    }
}

/// A spool (or lot) of one material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spool {
    pub id: SpoolId,
    pub material_id: MaterialId,
    pub lot: Option<String>,
    pub location: Option<String>,
    pub initial_grams: Grams,
    pub remaining_grams: Grams,
    pub created_at: DateTime<Utc>,
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Currency;
    use expect_test::expect;

    fn g(v: i64) -> Grams {
        Grams::new(v).unwrap()
    }

    #[test]
    fn reservation_transitions_every_pair() {
        let mut out = String::new();
        for from in ReservationState::ALL {
            for to in ReservationState::ALL {
                let r = from.transition(to);
                assert_eq!(r.is_ok(), from.can_transition(to));
                let shown = match r {
                    Ok(s) => format!("ok {s}"),
                    Err(e) => e.code().to_string(),
                };
                out.push_str(&format!("{from:>8} -> {to:<8} {shown}\n"));
            }
        }
        expect![[r#"
                held -> held     RESERVATION_ILLEGAL_TRANSITION
                held -> consumed ok consumed
                held -> released ok released
            consumed -> held     RESERVATION_ILLEGAL_TRANSITION
            consumed -> consumed RESERVATION_ILLEGAL_TRANSITION
            consumed -> released RESERVATION_ILLEGAL_TRANSITION
            released -> held     ok held
            released -> consumed RESERVATION_ILLEGAL_TRANSITION
            released -> released RESERVATION_ILLEGAL_TRANSITION
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn cost_rounds_half_up() {
        // (grams, price per kg in minor units) -> cost in minor units
        let cases = [
            (0, 2500, 0),
            (1000, 2500, 2500),
            (1, 2500, 3),     // 2.5 -> 3
            (1, 1499, 1),     // 1.499 -> 1
            (1, 1500, 2),     // 1.5 -> 2
            (3, 500, 2),      // 1.5 -> 2
            (333, 1999, 666), // 665.667 -> 666
            (250, 2000, 500),
            (1, 499, 0), // 0.499 -> 0
            (1, 0, 0),
        ];
        for (grams, price, want) in cases {
            let got = material_cost(g(grams), Money::new(price, Currency::EUR)).unwrap();
            assert_eq!(got, Money::new(want, Currency::EUR), "{grams} g at {price}/kg");
        }
        assert_eq!(
            material_cost(g(1), Money::new(-1, Currency::EUR))
                .unwrap_err()
                .code(),
            "INVENTORY_INVALID_FIELD"
        );
        assert_eq!(
            material_cost(g(i64::MAX), Money::new(i64::MAX, Currency::EUR)),
            Err(InventoryError::Overflow)
        );
    }

    type DrawResult = Result<Vec<(i64, i64)>, i64>;

    #[test]
    fn draw_order_emptiest_then_oldest() {
        let m = MaterialId(1);
        let spools = [
            (SpoolId(1), g(800)),
            (SpoolId(2), g(150)),
            (SpoolId(3), g(0)),
            (SpoolId(4), g(150)),
            (SpoolId(5), g(1000)),
        ];
        // grams -> Ok(drawn per spool: (spool id, grams)) or Err(available)
        let cases: &[(i64, DrawResult)] = &[
            (100, Ok(vec![(2, 100)])),
            (150, Ok(vec![(2, 150)])),
            (200, Ok(vec![(2, 150), (4, 50)])),
            (1000, Ok(vec![(2, 150), (4, 150), (1, 700)])),
            (2100, Ok(vec![(2, 150), (4, 150), (1, 800), (5, 1000)])),
            (2101, Err(2100)),
        ];
        for (want_g, want) in cases {
            let got = plan_draw(m, &spools, g(*want_g));
            match (got, want) {
                (Ok(plan), Ok(w)) => {
                    let plan: Vec<(i64, i64)> = plan.into_iter().map(|(s, q)| (s.0, q.get())).collect();
                    assert_eq!(&plan, w, "{want_g}");
                }
                (
                    Err(InventoryError::InsufficientStock {
                        available, requested, ..
                    }),
                    Err(a),
                ) => {
                    assert_eq!((available, requested), (*a, *want_g));
                }
                (got, want) => panic!("{want_g}: got {got:?}, want {want:?}"),
            }
        }
        assert_eq!(plan_draw(m, &[], g(1)).unwrap_err().code(), "STOCK_INSUFFICIENT");
    }

    #[test]
    fn new_material_validation() {
        let ok = NewMaterial {
            code: " PLA-black-1.75 ".into(),
            kind: MaterialKind::Pla,
            colour: " black ".into(),
            diameter_um: 1750,
            density_mg_cm3: 1240,
            price_per_kg: Money::new(2500, Currency::EUR),
            low_stock_grams: 500,
        };
        let v = ok.validate().unwrap();
        assert_eq!((v.code.as_str(), v.colour.as_str()), ("PLA-black-1.75", "black"));
        let bad: Vec<(NewMaterial, &str)> = vec![
            (
                NewMaterial {
                    code: "".into(),
                    ..ok.clone()
                },
                "INVENTORY_INVALID_CODE",
            ),
            (
                NewMaterial {
                    code: "PLA black".into(),
                    ..ok.clone()
                },
                "INVENTORY_INVALID_CODE",
            ),
            (
                NewMaterial {
                    code: "x".repeat(65),
                    ..ok.clone()
                },
                "INVENTORY_INVALID_CODE",
            ),
            (
                NewMaterial {
                    colour: " ".into(),
                    ..ok.clone()
                },
                "INVENTORY_INVALID_FIELD",
            ),
            (
                NewMaterial {
                    diameter_um: 0,
                    ..ok.clone()
                },
                "INVENTORY_INVALID_FIELD",
            ),
            (
                NewMaterial {
                    density_mg_cm3: -5,
                    ..ok.clone()
                },
                "INVENTORY_INVALID_FIELD",
            ),
            (
                NewMaterial {
                    price_per_kg: Money::new(-1, Currency::EUR),
                    ..ok.clone()
                },
                "INVENTORY_INVALID_FIELD",
            ),
            (
                NewMaterial {
                    low_stock_grams: -1,
                    ..ok.clone()
                },
                "INVENTORY_INVALID_GRAMS",
            ),
        ];
        for (m, code) in bad {
            let e = m.validate().unwrap_err();
            assert_eq!((e.code(), e.kind()), (code, ErrorKind::Validation), "{m:?}");
        }
    }

    #[test]
    fn kinds_and_keys() {
        for k in MaterialKind::ALL {
            assert_eq!(MaterialKind::parse(&k.as_str().to_lowercase()), Ok(k));
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
        }
        assert_eq!(
            MaterialKind::parse("wood").unwrap_err().code(),
            "INVENTORY_UNKNOWN_KIND"
        );
        assert!(parse_job_key("job-42/attempt-1").is_ok());
        for bad in ["", "  ", "a\nb"] {
            assert_eq!(
                parse_job_key(bad).unwrap_err().code(),
                "INVENTORY_INVALID_JOB_KEY"
            );
        }
        assert!(parse_job_key(&"k".repeat(JOB_KEY_MAX + 1)).is_err());
        for bad in [0, -1] {
            assert_eq!(positive_grams(bad), Err(InventoryError::InvalidGrams(bad)));
        }
        assert_eq!(nonnegative_grams(0), Ok(Grams::ZERO));
        let s = NewSpool {
            material_id: MaterialId(1),
            grams: 0,
            lot: None,
            location: None,
        };
        assert_eq!(s.validate().unwrap_err().code(), "INVENTORY_INVALID_GRAMS");
        let s = NewSpool {
            grams: 1000,
            lot: Some(" ".into()),
            location: Some(" Shelf A ".into()),
            ..s
        };
        let v = s.validate().unwrap();
        assert_eq!((v.lot, v.location.as_deref()), (None, Some("Shelf A")));
    }

    #[test]
    fn stock_level_low_flag() {
        // (on hand, reserved, threshold) -> (available, low)
        let cases = [
            (1000, 200, 500, 800, false),
            (1000, 500, 500, 500, true),
            (0, 0, 0, 0, true),
            (100, 300, 0, -200, true),
        ];
        for (on_hand, reserved, threshold, available, low) in cases {
            let s = StockLevel::new(MaterialId(1), "X".into(), on_hand, reserved, threshold);
            assert_eq!(
                (s.available, s.low),
                (available, low),
                "{on_hand} {reserved} {threshold}"
            );
        }
        assert!(check_available(MaterialId(1), g(801), 800).is_err());
        assert!(check_available(MaterialId(1), g(800), 800).is_ok());
    }

    #[test]
    fn consumption_and_resize_limits() {
        // (on hand, reserved incl. this, held by this) -> limit
        let cases = [
            (1000, 600, 600, 1000), // 600 own + 400 free
            (1000, 900, 500, 600),  // 500 own + 100 free
            (500, 800, 400, 400),   // uncovered: own reservation, physically there
            (300, 800, 400, 300),   // uncovered and not even on hand: what is there
            (0, 100, 100, 0),
        ];
        for (on_hand, reserved, held, limit) in cases {
            assert_eq!(
                consumable_limit(on_hand, reserved, held),
                limit,
                "{on_hand} {reserved} {held}"
            );
        }
        let m = MaterialId(1);
        // (held, requested, available) -> ok?
        let cases = [
            (500, 400, -100, true),
            (500, 500, -100, true),
            (500, 501, 0, false),
            (500, 600, 100, true),
            (500, 601, 100, false),
        ];
        for (held, requested, available, ok) in cases {
            assert_eq!(
                check_resize(m, g(held), g(requested), available).is_ok(),
                ok,
                "{held} {requested} {available}"
            );
        }
    }
}
