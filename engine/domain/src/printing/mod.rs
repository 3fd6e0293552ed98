//! Printing (pure): print estimates, slicer output, quotes and their conversion rules.
//!
//! * **Estimates.** The material a part needs is its extruded volume: a shell (the surface area
//!   times the wall thickness, at most the whole part) plus the infill share of the rest
//!   ([`SliceSettings`]). Grams are that volume times the material's density. Print time by
//!   formula ([`formula_minutes`]) is per printer profile: heat-up, extrusion at the nozzle's
//!   volumetric rate, a pause per layer, scaled by the printer's speed factor. When PrusaSlicer
//!   ran, its G-code comments ([`parse_slicer_gcode`]) give the time and the filament instead;
//!   [`EstimateMethod`] says which.
//! * **Profiles.** A printer profile per printer model (build volume, nozzle, allowed
//!   materials, a PrusaSlicer configuration for `--load`) and a filament profile per material
//!   ([`NewPrinterModelProfile::validate`], [`validate_filament_config`]); estimates made with
//!   them are kept per [`ProfiledEstimateKey`].
//! * **Quotes.** [`price_quote`]: material + machine time × the printer's hourly cost + set-up
//!   and per-plate labour + post-processing options − a quantity-break discount + margin, in
//!   integer minor units; the unit price is rounded up to a whole minor unit and the total is
//!   `unit price × quantity`, so an order created from the quote has exactly the quoted total
//!   (the round-up is its own breakdown line). A quote expires ([`PricingPolicy::validity`]) and
//!   converts into one order, once ([`check_convertible`]).
//! * **Delivery.** The would-be jobs of a quote ([`quote_jobs`]) are planned into the current
//!   plan by the caller (solver repair); [`current_assignments`] reads the current plan from the
//!   scheduled jobs.

use chrono::{DateTime, Utc};

use crate::error::{Coded, ErrorKind};
use crate::types::{Currency, OrderId};

mod estimate;
mod plates;
mod pricing;
mod profiles;
mod quotes;

pub use estimate::*;
pub use plates::*;
pub use pricing::*;
pub use profiles::*;
pub use quotes::*;

/// Largest quantity of one quote.
pub const MAX_QUANTITY: i64 = 100_000;
/// Most plates (would-be jobs) a quote plans for its delivery date.
pub const MAX_PLANNED_PLATES: i64 = 200;
/// Gap between copies on one plate, millimetres.
pub const PLATE_SPACING_MM: f64 = 5.0;

/// Rejections of printing commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintingError {
    #[error("the upload is {size} bytes, more than the limit of {limit} bytes")]
    UploadTooLarge { size: u64, limit: u64 },
    #[error("invalid quantity {0}: expected 1 to 100000")]
    InvalidQuantity(i64),
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("no usable printer that supports {material} fits the model ({size})")]
    NoPrinterFits { material: String, size: String },
    #[error("currencies differ: the quote is in {expected}, {what} is in {found}")]
    CurrencyMismatch {
        expected: Currency,
        found: Currency,
        what: &'static str,
    },
    #[error("the price overflows")]
    PriceOverflow,
    #[error("quote {quote} expired at {expired_at}")]
    QuoteExpired { quote: i64, expired_at: DateTime<Utc> },
    #[error("quote {quote} was already converted into order {order}")]
    QuoteAlreadyConverted { quote: i64, order: OrderId },
    #[error("quote {0} has no customer: name the customer to order for")]
    QuoteNeedsCustomer(i64),
    #[error("the slicer output has no {0}")]
    SlicerOutput(&'static str),
    #[error("invalid printer profile {field}: {reason}")]
    ProfileInvalid { field: &'static str, reason: String },
    #[error("invalid slicer configuration ({field}, line {line}): {reason}")]
    SlicerConfigInvalid {
        field: &'static str,
        line: usize,
        reason: String,
    },
    #[error("the slicer refused the configuration: {0}")]
    SlicerConfigRefused(String),
}

impl Coded for PrintingError {
    fn code(&self) -> &'static str {
        match self {
            PrintingError::UploadTooLarge { .. } => "UPLOAD_TOO_LARGE",
            PrintingError::InvalidQuantity(_) => "QUOTE_INVALID_QUANTITY",
            PrintingError::Invalid { .. } => "QUOTE_INVALID",
            PrintingError::NoPrinterFits { .. } => "QUOTE_NO_PRINTER_FITS",
            PrintingError::CurrencyMismatch { .. } => "QUOTE_CURRENCY_MISMATCH",
            PrintingError::PriceOverflow => "QUOTE_PRICE_OVERFLOW",
            PrintingError::QuoteExpired { .. } => "QUOTE_EXPIRED",
            PrintingError::QuoteAlreadyConverted { .. } => "QUOTE_ALREADY_CONVERTED",
            PrintingError::QuoteNeedsCustomer(_) => "QUOTE_NEEDS_CUSTOMER",
            PrintingError::SlicerOutput(_) => "SLICER_OUTPUT_INVALID",
            PrintingError::ProfileInvalid { .. } => "PROFILE_INVALID",
            PrintingError::SlicerConfigInvalid { .. } | PrintingError::SlicerConfigRefused(_) => {
                "PROFILE_SLICER_CONFIG_INVALID"
            }
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            PrintingError::QuoteExpired { .. } | PrintingError::QuoteAlreadyConverted { .. } => {
                ErrorKind::Conflict
            }
            PrintingError::SlicerOutput(_) => ErrorKind::Internal,
            _ => ErrorKind::Validation,
        }
    }
}

/// An upload larger than `limit` bytes is rejected before anything is read into storage.
pub fn check_upload_size(size: u64, limit: u64) -> Result<(), PrintingError> {
    if size > limit {
        Err(PrintingError::UploadTooLarge { size, limit })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
