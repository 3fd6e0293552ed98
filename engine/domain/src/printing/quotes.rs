//! Stored quotes and model files: conversion rules, file names, the rows the store writes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Estimate, EstimateMethod, PostProcessing, PriceBreakdown, PrintingError};
use crate::catalog::ProductionSpec;
use crate::types::{CustomerId, MaterialId, ModelFileId, Money, OrderId, PrinterId, UserId};

/// Id of a stored quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuoteId(pub i64);

impl std::fmt::Display for QuoteId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A stored quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub id: QuoteId,
    pub model_id: ModelFileId,
    pub customer_id: Option<CustomerId>,
    pub material_id: MaterialId,
    pub printer_id: PrinterId,
    /// The printer model the estimate was made for (`None` on quotes made before it was kept).
    pub printer_model: Option<String>,
    /// The printer profile of that model the estimate used, when one is defined.
    pub printer_profile_id: Option<i64>,
    pub quantity: i64,
    pub options: Vec<PostProcessing>,
    pub method: EstimateMethod,
    pub production: ProductionSpec,
    pub breakdown: PriceBreakdown,
    pub unit_price: Money,
    pub total: Money,
    pub earliest_delivery: Option<DateTime<Utc>>,
    /// Why there is no earliest delivery date (set only when `earliest_delivery` is `None`).
    pub earliest_delivery_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub order_id: Option<OrderId>,
}

/// Checks a quote can become an order now: not converted yet, not expired.
pub fn check_convertible(quote: &Quote, now: DateTime<Utc>) -> Result<(), PrintingError> {
    if let Some(order) = quote.order_id {
        return Err(PrintingError::QuoteAlreadyConverted {
            quote: quote.id.0,
            order,
        });
    }
    if now >= quote.expires_at {
        return Err(PrintingError::QuoteExpired {
            quote: quote.id.0,
            expired_at: quote.expires_at,
        });
    }
    Ok(())
}

/// Longest stored file name.
pub const FILE_NAME_MAX: usize = 255;

/// The file name to keep: the last path component, trimmed, at most [`FILE_NAME_MAX`]
/// characters, no control characters.
pub fn clean_file_name(name: &str) -> Result<String, PrintingError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if last.is_empty() || last.chars().count() > FILE_NAME_MAX || last.chars().any(char::is_control) {
        return Err(PrintingError::Invalid {
            field: "file name",
            reason: "expected 1 to 255 printable characters".into(),
        });
    }
    Ok(last.to_string())
}

/// A stored model file (its bytes are in object storage under `object_key`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    pub id: ModelFileId,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    pub file_name: String,
    /// `stl`, `3mf` or `obj`.
    pub format: String,
    pub size_bytes: i64,
    pub object_key: String,
    /// The owning customer; `None` for the business's own models.
    pub customer_id: Option<CustomerId>,
    pub uploaded_by: Option<UserId>,
    /// The geometry analysis, JSON.
    pub analysis_json: String,
    pub estimate: Estimate,
    pub created_at: DateTime<Utc>,
}

/// Input for a model row.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub sha256: String,
    pub file_name: String,
    pub format: String,
    pub size_bytes: i64,
    pub object_key: String,
    pub customer_id: Option<CustomerId>,
    pub uploaded_by: Option<UserId>,
    pub analysis_json: String,
    pub estimate: Estimate,
}

/// Input for a quote row (priced by [`price_quote`](super::price_quote)).
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuote {
    pub model_id: ModelFileId,
    pub customer_id: Option<CustomerId>,
    pub material_id: MaterialId,
    pub printer_id: PrinterId,
    /// The printer model the estimate was made for.
    pub printer_model: String,
    /// The printer profile of that model the estimate used, when one is defined.
    pub printer_profile_id: Option<i64>,
    pub options: Vec<PostProcessing>,
    pub method: EstimateMethod,
    pub production: ProductionSpec,
    pub breakdown: PriceBreakdown,
    pub earliest_delivery: Option<DateTime<Utc>>,
    /// Why there is no earliest delivery date (set only when `earliest_delivery` is `None`).
    pub earliest_delivery_reason: Option<String>,
    pub created_by: Option<UserId>,
    pub expires_at: DateTime<Utc>,
}

/// The model reference an order line of a stored model carries.
pub fn model_ref(model: ModelFileId) -> String {
    format!("model:{}", model.0)
}
