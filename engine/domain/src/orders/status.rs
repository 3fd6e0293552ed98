//! The order lifecycle: [`OrderStatus`] and its transitions.

use serde::{Deserialize, Serialize};

use super::OrderError;

/// Where an order is in its lifecycle (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Draft,
    Placed,
    Paid,
    InProduction,
    Ready,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::Draft,
        OrderStatus::Placed,
        OrderStatus::Paid,
        OrderStatus::InProduction,
        OrderStatus::Ready,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    /// The stored (and serialised) name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Placed => "placed",
            OrderStatus::Paid => "paid",
            OrderStatus::InProduction => "in_production",
            OrderStatus::Ready => "ready",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// Inverse of [`OrderStatus::as_str`].
    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the lifecycle allows `from → to`.
    pub fn can_transition(from: OrderStatus, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (from, to),
            (Draft, Placed)
                | (Placed, Paid)
                | (Paid, InProduction)
                | (InProduction, Ready)
                | (Ready, Shipped)
                | (Shipped, Delivered)
                | (Draft | Placed, Cancelled)
                | (Paid | InProduction | Ready | Shipped | Delivered, Refunded)
        )
    }

    /// [`OrderStatus::can_transition`] as a typed rejection.
    pub fn check_transition(from: OrderStatus, to: OrderStatus) -> Result<(), OrderError> {
        if OrderStatus::can_transition(from, to) {
            Ok(())
        } else {
            Err(OrderError::IllegalTransition { from, to })
        }
    }

    /// No transition leaves this status.
    pub fn is_terminal(self) -> bool {
        OrderStatus::ALL
            .into_iter()
            .all(|to| !OrderStatus::can_transition(self, to))
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
