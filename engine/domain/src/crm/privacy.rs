//! Personal data: what an export of a contact holds, and what erasure writes instead.
//!
//! Erasure anonymises, it does not delete rows: orders, their lines, totals and status history
//! stay (the order history, and later the ledger, must not break); what identifies the person
//! (names, e-mail addresses, phone numbers, addresses, tags, notes, free text they wrote or
//! that was written about them) is replaced or removed. It is refused while the contact's
//! customer has orders that are not finished (`draft` to `shipped`: open or unpaid) or invoices
//! that are not paid (a delivered order invoiced on demand may still be owed).

use serde::Serialize;

use super::{Activity, Company, Contact, CrmError, Deal, Lead, Note, Reply, Ticket};
use crate::orders::{Order, OrderStatus};
use crate::users::{Customer, User};

/// What replaces erased free text.
pub const ERASED_TEXT: &str = "[erased]";

/// The name an erased contact keeps.
pub fn erased_contact_name(id: i64) -> String {
    format!("Erased contact {id}")
}

/// The name an erased customer record keeps.
pub fn erased_customer_name(id: i64) -> String {
    format!("Erased customer {id}")
}

/// The (unique, undeliverable) e-mail address an erased account keeps.
pub fn erased_user_email(id: i64) -> String {
    format!("erased-{id}@erased.invalid")
}

/// Whether an order in this status keeps a contact from being erased (not finished: open or
/// unpaid).
pub fn blocks_erasure(status: OrderStatus) -> bool {
    !matches!(
        status,
        OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::Refunded
    )
}

/// Refuses erasing an erased contact, or one whose customer has `open_orders` unfinished
/// orders or `open_invoices` invoices with an unpaid balance (the ledger's receivable of their
/// order is not settled).
pub fn check_erasable(contact: &Contact, open_orders: i64, open_invoices: i64) -> Result<(), CrmError> {
    contact.check_not_erased()?;
    if open_orders > 0 {
        return Err(CrmError::EraseOpenOrders {
            contact: contact.id.0,
            count: open_orders,
        });
    }
    if open_invoices > 0 {
        return Err(CrmError::EraseOpenInvoices {
            contact: contact.id.0,
            count: open_invoices,
        });
    }
    Ok(())
}

/// Everything held about a contact, as exported on request (JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactExport {
    pub contact: Contact,
    pub company: Option<Company>,
    pub notes: Vec<Note>,
    /// Leads that became this contact.
    pub leads: Vec<Lead>,
    pub deals: Vec<Deal>,
    pub activities: Vec<Activity>,
    /// The customer record the contact orders as, its accounts and orders.
    pub customer: Option<Customer>,
    pub accounts: Vec<User>,
    pub orders: Vec<Order>,
    /// The customer record's invoices and credit notes with their lines (kept as issued, also
    /// after an erasure: they are accounting records).
    pub invoices: Vec<crate::finance::Invoice>,
    /// Payments received against the customer record's orders.
    pub payments: Vec<PaymentRecord>,
    /// The customer record's product reviews.
    pub reviews: Vec<crate::catalog::Review>,
    /// The contact's (or its customer's) tickets with their replies.
    pub tickets: Vec<TicketThread>,
}

/// A payment received against one of the customer's orders, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRecord {
    pub id: i64,
    pub order_id: Option<i64>,
    /// `manual`, `stripe`, ….
    pub provider: String,
    /// The payer's or provider's reference (e.g. a bank transfer's).
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `recorded` or `held`.
    pub status: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// A ticket with its replies, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketThread {
    pub ticket: Ticket,
    pub replies: Vec<Reply>,
}
