//! Stored orders and lines, status changes, and list filters and pages.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{OrderError, OrderStatus};
use crate::catalog::ProductionSpec;
use crate::types::{
    Currency, CustomerId, MaterialId, Money, OrderId, OrderLineId, ProductId, Quantity, UserId,
};

/// An order header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: OrderId,
    pub customer_id: CustomerId,
    pub status: OrderStatus,
    /// Sum of the line totals, in the order's currency.
    pub total: Money,
    /// Higher is more urgent; copied onto the production jobs.
    pub priority: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// The order's currency.
    pub fn currency(&self) -> Currency {
        self.total.currency
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    pub id: OrderLineId,
    pub order_id: OrderId,
    /// 1-based position within the order.
    pub line_no: i64,
    pub product_id: Option<ProductId>,
    pub model_ref: Option<String>,
    pub description: String,
    pub material_id: MaterialId,
    pub colour: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub production: ProductionSpec,
    /// Copies printed so far (completed jobs).
    pub printed_count: i64,
    /// Copies lost in failed jobs so far.
    pub failed_count: i64,
}

impl OrderLine {
    /// `unit_price × quantity`, overflow-checked.
    pub fn total(&self) -> Result<Money, OrderError> {
        self.unit_price
            .checked_mul(i64::from(self.quantity.get()))
            .map_err(|_| OrderError::TotalOverflow)
    }

    /// Copies still to print (never negative).
    pub fn remaining(&self) -> i64 {
        (i64::from(self.quantity.get()) - self.printed_count).max(0)
    }
}

/// An order with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderWithLines {
    #[serde(flatten)]
    pub order: Order,
    pub lines: Vec<OrderLine>,
}

/// One recorded status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub id: i64,
    pub order_id: OrderId,
    /// `None` for the creation of the order.
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    /// `None` when the system changed it (e.g. `ready` after the last job).
    pub changed_by: Option<UserId>,
    pub changed_at: DateTime<Utc>,
    pub note: String,
}

/// Whether every line has all its copies printed (an order without lines is not).
pub fn all_printed(lines: &[OrderLine]) -> bool {
    !lines.is_empty() && lines.iter().all(|l| l.remaining() == 0)
}

/// Which orders to list; pages go by ascending id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFilter {
    pub customer_id: Option<CustomerId>,
    pub status: Option<OrderStatus>,
    /// Only orders with an id greater than this (the previous page's `next_cursor`).
    pub after: Option<OrderId>,
    /// Page size, clamped to 1..=[`OrderFilter::MAX_LIMIT`].
    pub limit: i64,
}

impl OrderFilter {
    pub const MAX_LIMIT: i64 = 500;

    /// All orders, first page of 50.
    pub fn all() -> OrderFilter {
        OrderFilter {
            customer_id: None,
            status: None,
            after: None,
            limit: 50,
        }
    }

    /// The page size actually used.
    pub fn page_size(&self) -> i64 {
        self.limit.clamp(1, Self::MAX_LIMIT)
    }
}

/// One page of orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_cursor: Option<OrderId>,
}
