//! Orders domain (pure): order lines, totals and the order lifecycle.
//!
//! # Lines
//! A line is either a catalog product ([`LineItem::Product`]) or an uploaded model
//! ([`LineItem::Model`], identified by its `model_ref`). Each line has a material, a colour, a
//! quantity (1..=[`Quantity::MAX`]), a unit price in the order's currency and the production
//! data ([`ProductionSpec`]). For a product line, the material, unit price and production data
//! default to the product's (the product must be active and, when its price is used, priced
//! in the order's currency); the colour defaults to the material's colour. A model line must
//! give its material, unit price and production data. Totals are integer minor units,
//! overflow-checked; all lines share the order's currency.
//!
//! [`Quantity::MAX`]: crate::types::Quantity::MAX
//! [`ProductionSpec`]: crate::catalog::ProductionSpec
//!
//! # Lifecycle
//! ```text
//! draft → placed → paid → in_production → ready → shipped → delivered
//! draft, placed                                   → cancelled   (before payment)
//! paid, in_production, ready, shipped, delivered  → refunded    (after payment)
//! ```
//! Precisely ([`OrderStatus::can_transition`]):
//! * `draft → placed` (needs at least one line), `placed → paid`, `paid → in_production`
//!   (creates the production jobs), `in_production → ready` (every line printed; normally
//!   automatic when the last job completes), `ready → shipped`, `shipped → delivered`.
//! * **cancel** (`→ cancelled`) only before any money is taken: from `draft` and `placed`.
//! * **refund** (`→ refunded`) once money was taken: from `paid`, `in_production`, `ready`,
//!   `shipped` and `delivered`. Cancelling a paid order is a refund; refunding an order in
//!   production cancels its jobs that have not started printing (and is refused while one
//!   is printing).
//! * `cancelled` and `refunded` are terminal; `delivered` only allows a refund.
//!
//! Lines can be added and removed only while the order is a `draft`.

use crate::error::{Coded, ErrorKind};
use crate::types::{Currency, JobId, OrderId, ProductId};

mod lines;
mod records;
mod status;

pub use lines::*;
pub use records::*;
pub use status::*;

/// Lowest accepted order priority.
pub const PRIORITY_MIN: i64 = -1_000;
/// Highest accepted order priority.
pub const PRIORITY_MAX: i64 = 1_000;
/// Longest idempotency key.
pub const IDEMPOTENCY_KEY_MAX: usize = 128;
/// Longest line description or colour.
pub const LINE_TEXT_MAX: usize = 200;

/// Rejections of order commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The lifecycle does not allow `from → to`.
    #[error("order cannot go from {from} to {to}")]
    IllegalTransition { from: OrderStatus, to: OrderStatus },
    /// A line quantity outside 1..=100000.
    #[error("line {line_no}: quantity {quantity} is invalid (expected 1 to 100000)")]
    InvalidQuantity { line_no: i64, quantity: i64 },
    /// A model line lacks data a product line would default (material, price, production data).
    #[error("line {line_no}: {field} is required for a model line")]
    LineIncomplete { line_no: i64, field: &'static str },
    /// A line field failed validation.
    #[error("line {line_no}: invalid {field}: {reason}")]
    InvalidLine {
        line_no: i64,
        field: &'static str,
        reason: String,
    },
    /// The product is deactivated and cannot be ordered.
    #[error("product {product} is not active")]
    ProductInactive { product: ProductId },
    /// A price in another currency than the order's.
    #[error("currency {found} does not match the order currency {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    /// The total does not fit in 64-bit minor units.
    #[error("order total overflows")]
    TotalOverflow,
    /// An order field (priority, idempotency key) failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Lines can only change while the order is a draft.
    #[error("order {order} is {status}, not a draft")]
    NotDraft { order: OrderId, status: OrderStatus },
    /// An order without lines cannot be placed.
    #[error("order {order} has no lines")]
    Empty { order: OrderId },
    /// The idempotency key was already used by another customer.
    #[error("idempotency key {key:?} is already used for another customer's order")]
    IdempotencyConflict { key: String },
    /// `ready` needs every line printed.
    #[error("order {order} is not fully printed yet")]
    ProductionIncomplete { order: OrderId },
    /// A refund of an order in production is refused while one of its jobs prints.
    #[error("order {order} has job {job} printing; finish or fail it first")]
    JobPrinting { order: OrderId, job: JobId },
}

impl Coded for OrderError {
    fn code(&self) -> &'static str {
        match self {
            OrderError::IllegalTransition { .. } => "ORDER_ILLEGAL_TRANSITION",
            OrderError::InvalidQuantity { .. } => "ORDER_QUANTITY_INVALID",
            OrderError::LineIncomplete { .. } => "ORDER_LINE_INCOMPLETE",
            OrderError::InvalidLine { .. } => "ORDER_LINE_INVALID",
            OrderError::ProductInactive { .. } => "ORDER_PRODUCT_INACTIVE",
            OrderError::CurrencyMismatch { .. } => "ORDER_CURRENCY_MISMATCH",
            OrderError::TotalOverflow => "ORDER_TOTAL_OVERFLOW",
            OrderError::Invalid { .. } => "ORDER_INVALID",
            OrderError::NotDraft { .. } => "ORDER_NOT_DRAFT",
            OrderError::Empty { .. } => "ORDER_EMPTY",
            OrderError::IdempotencyConflict { .. } => "ORDER_IDEMPOTENCY_CONFLICT",
            OrderError::ProductionIncomplete { .. } => "ORDER_PRODUCTION_INCOMPLETE",
            OrderError::JobPrinting { .. } => "ORDER_JOB_PRINTING",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            OrderError::InvalidQuantity { .. }
            | OrderError::LineIncomplete { .. }
            | OrderError::InvalidLine { .. }
            | OrderError::ProductInactive { .. }
            | OrderError::CurrencyMismatch { .. }
            | OrderError::TotalOverflow
            | OrderError::Invalid { .. }
            | OrderError::Empty { .. } => ErrorKind::Validation,
            OrderError::IllegalTransition { .. }
            | OrderError::NotDraft { .. }
            | OrderError::IdempotencyConflict { .. }
            | OrderError::ProductionIncomplete { .. }
            | OrderError::JobPrinting { .. } => ErrorKind::Conflict,
        }
    }
}

#[cfg(test)]
mod tests;
