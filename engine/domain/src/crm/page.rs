//! The customer page: what the business knows about one customer record at a glance.

use serde::Serialize;

use super::{Activity, Company, Contact, Deal, Ticket};
use crate::orders::{Order, OrderStatus};
use crate::types::Money;
use crate::users::Customer;

/// Orders in these statuses count towards lifetime revenue (paid and not refunded).
pub const REVENUE_STATUSES: [OrderStatus; 5] = [
    OrderStatus::Paid,
    OrderStatus::InProduction,
    OrderStatus::Ready,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
];

/// One customer record with its people, orders, money, tickets and latest activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerPage {
    pub customer: Customer,
    pub contacts: Vec<Contact>,
    pub companies: Vec<Company>,
    /// Every order of the customer, by id.
    pub orders: Vec<Order>,
    /// Sum of the totals of the orders in [`REVENUE_STATUSES`], one amount per currency (by
    /// currency code).
    pub lifetime_revenue: Vec<Money>,
    /// Lifetime margin per currency, from the finance ledger. `None` until the finance module
    /// provides it (the seam is `gantry_app::crm::finance_margin`).
    pub lifetime_margin: Option<Vec<Money>>,
    /// Open and pending tickets.
    pub open_tickets: Vec<Ticket>,
    /// Deals still in the pipeline.
    pub open_deals: Vec<Deal>,
    /// The most recent activity about the customer's contacts, companies or deals.
    pub last_activity: Option<Activity>,
}
