//! Quote pricing: material, machine time, labour, post-processing, quantity breaks and margin
//! in integer minor units.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{MAX_QUANTITY, PrintingError, plates};
use crate::types::{Currency, Money};

/// Post-processing a customer can order with a quote, priced per copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostProcessing {
    SupportRemoval,
    Sanding,
    Priming,
    Painting,
}

impl PostProcessing {
    pub const ALL: [PostProcessing; 4] = [
        PostProcessing::SupportRemoval,
        PostProcessing::Sanding,
        PostProcessing::Priming,
        PostProcessing::Painting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostProcessing::SupportRemoval => "support_removal",
            PostProcessing::Sanding => "sanding",
            PostProcessing::Priming => "priming",
            PostProcessing::Painting => "painting",
        }
    }
}

/// A discount from a quantity on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantityBreak {
    pub min_quantity: i64,
    pub discount_pct: i64,
}

/// The business's pricing rules (one currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingPolicy {
    pub currency: Currency,
    /// Once per quote (file preparation, machine set-up).
    pub setup_fee_minor: i64,
    /// Per plate (clearing the bed, sorting parts).
    pub labour_per_plate_minor: i64,
    /// Price per copy of each post-processing option.
    pub post_processing_minor: BTreeMap<PostProcessing, i64>,
    /// Sorted by `min_quantity`; the last one reached applies.
    pub quantity_breaks: Vec<QuantityBreak>,
    pub margin_pct: i64,
    /// How long a quote stays valid.
    pub validity: Duration,
}

impl PricingPolicy {
    /// The default policy in `currency`.
    pub fn standard(currency: Currency) -> PricingPolicy {
        PricingPolicy {
            currency,
            setup_fee_minor: 500,
            labour_per_plate_minor: 100,
            post_processing_minor: BTreeMap::from([
                (PostProcessing::SupportRemoval, 150),
                (PostProcessing::Sanding, 400),
                (PostProcessing::Priming, 300),
                (PostProcessing::Painting, 900),
            ]),
            quantity_breaks: vec![
                QuantityBreak {
                    min_quantity: 10,
                    discount_pct: 5,
                },
                QuantityBreak {
                    min_quantity: 50,
                    discount_pct: 10,
                },
                QuantityBreak {
                    min_quantity: 100,
                    discount_pct: 15,
                },
            ],
            margin_pct: 30,
            validity: Duration::days(7),
        }
    }

    /// The discount for a quantity, percent.
    pub fn discount_pct(&self, quantity: i64) -> i64 {
        self.quantity_breaks
            .iter()
            .filter(|b| quantity >= b.min_quantity)
            .map(|b| b.discount_pct)
            .max()
            .unwrap_or(0)
    }
}

/// What one quote is priced from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceInput {
    pub quantity: i64,
    pub grams_per_unit: i64,
    pub minutes_per_unit: i64,
    pub copies_per_plate: i64,
    pub material_price_per_kg: Money,
    pub printer_hourly_cost: Money,
    pub options: Vec<PostProcessing>,
}

/// Kind of a price line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceLineKind {
    Material,
    MachineTime,
    Setup,
    Labour,
    PostProcessing,
    QuantityDiscount,
    Margin,
    Rounding,
}

impl PriceLineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceLineKind::Material => "material",
            PriceLineKind::MachineTime => "machine_time",
            PriceLineKind::Setup => "setup",
            PriceLineKind::Labour => "labour",
            PriceLineKind::PostProcessing => "post_processing",
            PriceLineKind::QuantityDiscount => "quantity_discount",
            PriceLineKind::Margin => "margin",
            PriceLineKind::Rounding => "rounding",
        }
    }
}

/// One line of a quote's breakdown; a discount is negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLine {
    pub kind: PriceLineKind,
    pub description: String,
    pub amount_minor: i64,
}

/// A priced quote: the lines add up to `total_minor = unit_price_minor × quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBreakdown {
    pub currency: Currency,
    pub quantity: i64,
    pub lines: Vec<PriceLine>,
    pub discount_pct: i64,
    pub unit_price_minor: i64,
    pub total_minor: i64,
}

fn ceil_div(a: i128, b: i128) -> i128 {
    if b <= 0 { a } else { (a + b - 1).div_euclid(b) }
}

fn to_i64(v: i128) -> Result<i64, PrintingError> {
    i64::try_from(v).map_err(|_| PrintingError::PriceOverflow)
}

/// Checks a quote quantity.
pub fn check_quantity(quantity: i64) -> Result<i64, PrintingError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(PrintingError::InvalidQuantity(quantity))
    }
}

/// Prices a quote (see the module doc). Every amount is rounded up to a whole minor unit.
pub fn price_quote(input: &PriceInput, policy: &PricingPolicy) -> Result<PriceBreakdown, PrintingError> {
    let q = check_quantity(input.quantity)?;
    let cur = policy.currency;
    for (m, what) in [
        (input.material_price_per_kg, "the material price"),
        (input.printer_hourly_cost, "the printer's hourly cost"),
    ] {
        if m.currency != cur {
            return Err(PrintingError::CurrencyMismatch {
                expected: cur,
                found: m.currency,
                what,
            });
        }
    }
    if input.grams_per_unit < 1 || input.minutes_per_unit < 1 || input.copies_per_plate < 1 {
        return Err(PrintingError::Invalid {
            field: "production data",
            reason: "grams, minutes and copies per plate must be at least 1".into(),
        });
    }
    let qi = i128::from(q);
    let mut lines = Vec::new();
    let mut push = |kind, description: String, amount: i128| -> Result<i128, PrintingError> {
        lines.push(PriceLine {
            kind,
            description,
            amount_minor: to_i64(amount)?,
        });
        Ok(amount)
    };
    let grams = i128::from(input.grams_per_unit) * qi;
    let material = ceil_div(grams * i128::from(input.material_price_per_kg.minor.max(0)), 1000);
    let mut cost = push(
        PriceLineKind::Material,
        format!("{grams} g at {}/kg", input.material_price_per_kg),
        material,
    )?;
    let minutes = i128::from(input.minutes_per_unit) * qi;
    let machine = ceil_div(minutes * i128::from(input.printer_hourly_cost.minor.max(0)), 60);
    cost += push(
        PriceLineKind::MachineTime,
        format!("{minutes} min at {}/h", input.printer_hourly_cost),
        machine,
    )?;
    cost += push(
        PriceLineKind::Setup,
        "set-up".into(),
        i128::from(policy.setup_fee_minor.max(0)),
    )?;
    let n_plates = plates(q, input.copies_per_plate);
    cost += push(
        PriceLineKind::Labour,
        format!("{n_plates} plate(s)"),
        i128::from(n_plates) * i128::from(policy.labour_per_plate_minor.max(0)),
    )?;
    let mut options = input.options.clone();
    options.sort();
    options.dedup();
    for o in options {
        let each = policy
            .post_processing_minor
            .get(&o)
            .copied()
            .ok_or_else(|| PrintingError::Invalid {
                field: "options",
                reason: format!("{} is not offered", o.as_str()),
            })?;
        cost += push(
            PriceLineKind::PostProcessing,
            format!("{} × {q}", o.as_str()),
            i128::from(each.max(0)) * qi,
        )?;
    }
    let discount_pct = policy.discount_pct(q).clamp(0, 100);
    let discount = cost * i128::from(discount_pct) / 100;
    if discount > 0 {
        push(
            PriceLineKind::QuantityDiscount,
            format!("{discount_pct} % from {q} copies"),
            -discount,
        )?;
    }
    let net = cost - discount;
    let margin = ceil_div(net * i128::from(policy.margin_pct.max(0)), 100);
    push(PriceLineKind::Margin, format!("{} %", policy.margin_pct), margin)?;
    let before = net + margin;
    let unit = ceil_div(before, qi);
    let total = unit * qi;
    if total > before {
        push(
            PriceLineKind::Rounding,
            "unit price rounded up".into(),
            total - before,
        )?;
    }
    Ok(PriceBreakdown {
        currency: cur,
        quantity: q,
        lines,
        discount_pct,
        unit_price_minor: to_i64(unit)?,
        total_minor: to_i64(total)?,
    })
}
