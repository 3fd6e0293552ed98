//! Materials and spools: kinds, new materials and spools, material cost.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{InventoryError, in_range, nonnegative_grams, opt_text, parse_code, positive_grams, text};
use crate::types::{Grams, MaterialId, Money, SpoolId};

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
