//! Finance domain (pure): the chart of accounts, double-entry journal entries that always
//! balance, corrections by reversal, costing (spool valuation at lot cost, machine time at a
//! printer's hourly cost), tax from gross prices, invoice numbering and a small PDF writer.
//!
//! Rules:
//! - Money is integer minor units of one currency per entry; an entry's lines are each a debit
//!   or a credit (`> 0`, never both), at least two lines, debits = credits, total `> 0`
//!   ([`NewEntry::validate`]). The database refuses an unbalanced entry too
//!   (`engine/migrations/0014_finance.sql`).
//! - A posted entry never changes: a correction is a reversal ([`NewEntry::reversal_of`]), an
//!   entry with the same lines swapped, pointing at the entry it reverses (at most once).
//! - A spool's inventory value is `round(remaining grams × lot cost per kg / 1000)`; a movement
//!   costs the difference of the values before and after ([`spool_value`]), so the inventory
//!   account always equals the sum over spools of their value (no rounding drift).
//! - Order prices are gross (tax included): an invoice line's tax is taken out of its gross
//!   amount at its category's rate ([`split_gross`]).

use crate::error::{Coded, ErrorKind};

mod accounts;
mod costing;
mod invoices;
mod journal;
mod margins;
mod payments;
pub mod pdf;

pub use accounts::*;
pub use costing::*;
pub use invoices::*;
pub use journal::*;
pub use margins::*;
pub use payments::*;

/// Rejections of finance commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinanceError {
    /// Debits and credits differ.
    #[error("unbalanced entry: debits {debits} ≠ credits {credits}")]
    Unbalanced { debits: i64, credits: i64 },
    /// The entry moves no money (no lines, one line, or a total of zero).
    #[error("empty entry: an entry needs at least one debit and one credit and a total above zero")]
    ZeroEntry,
    /// An amount is negative (or zero where a positive amount is required, or a line is
    /// both a debit and a credit).
    #[error("invalid amount {amount} for {field}: {reason}")]
    InvalidAmount {
        field: &'static str,
        amount: i64,
        reason: &'static str,
    },
    /// Amounts in different currencies were mixed.
    #[error("currency mismatch: {expected} and {found}")]
    CurrencyMismatch { expected: String, found: String },
    /// A posted entry was to be edited or deleted (correct it by a reversal).
    #[error("journal entry {0} is posted and cannot be changed; reverse it instead")]
    EntryPosted(i64),
    /// The entry was already reversed, or is a reversal itself.
    #[error("journal entry {0} was already reversed")]
    AlreadyReversed(i64),
    /// An account code is not in the chart of accounts.
    #[error("unknown account {0:?}")]
    UnknownAccount(String),
    /// A manual entry on an account only the postings from business events keep.
    #[error("account {0} is kept by the postings from business events and takes no manual entry")]
    AccountNotManual(&'static str),
    /// A text field is blank or too long, or a rate is out of range.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    /// The order already has an invoice (or a credit note).
    #[error("order {order} already has a {kind}")]
    AlreadyIssued { order: i64, kind: &'static str },
    /// The order cannot be invoiced in its status (a draft, cancelled or refunded order).
    #[error("order {order} cannot be invoiced while {status}")]
    NotInvoiceable { order: i64, status: String },
    /// An expense category is not known.
    #[error("unknown expense category {0:?}")]
    UnknownCategory(String),
    /// The order cannot be paid in its status (a draft, cancelled or refunded order).
    #[error("order {order} cannot be paid while {status}")]
    NotPayable { order: i64, status: String },
    /// The order is paid in full already.
    #[error("order {0} is paid in full already")]
    AlreadyPaid(i64),
    /// A payment above what the order still owes.
    #[error("order {order} owes {outstanding}; a payment of {amount} is more")]
    Overpayment {
        order: i64,
        outstanding: i64,
        amount: i64,
    },
}

impl Coded for FinanceError {
    fn code(&self) -> &'static str {
        match self {
            FinanceError::Unbalanced { .. } => "FINANCE_UNBALANCED",
            FinanceError::ZeroEntry => "FINANCE_ZERO_ENTRY",
            FinanceError::InvalidAmount { .. } => "FINANCE_INVALID_AMOUNT",
            FinanceError::CurrencyMismatch { .. } => "FINANCE_CURRENCY_MISMATCH",
            FinanceError::EntryPosted(_) => "FINANCE_ENTRY_POSTED",
            FinanceError::AlreadyReversed(_) => "FINANCE_ALREADY_REVERSED",
            FinanceError::UnknownAccount(_) => "FINANCE_UNKNOWN_ACCOUNT",
            FinanceError::AccountNotManual(_) => "FINANCE_ACCOUNT_NOT_MANUAL",
            FinanceError::InvalidField { .. } => "FINANCE_INVALID_FIELD",
            FinanceError::AlreadyIssued { .. } => "FINANCE_ALREADY_ISSUED",
            FinanceError::NotInvoiceable { .. } => "FINANCE_NOT_INVOICEABLE",
            FinanceError::UnknownCategory(_) => "FINANCE_UNKNOWN_CATEGORY",
            FinanceError::NotPayable { .. } => "FINANCE_NOT_PAYABLE",
            FinanceError::AlreadyPaid(_) => "FINANCE_ALREADY_PAID",
            FinanceError::Overpayment { .. } => "FINANCE_OVERPAYMENT",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            FinanceError::EntryPosted(_)
            | FinanceError::AlreadyReversed(_)
            | FinanceError::AlreadyIssued { .. }
            | FinanceError::NotInvoiceable { .. }
            | FinanceError::NotPayable { .. }
            | FinanceError::AlreadyPaid(_)
            | FinanceError::Overpayment { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Validation,
        }
    }
}

/// A trimmed, non-empty text of at most `max` characters.
pub fn text(field: &'static str, s: &str, max: usize) -> Result<String, FinanceError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FinanceError::InvalidField {
            field,
            reason: "must not be blank",
        });
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(FinanceError::InvalidField {
            field,
            reason: "too long or has control characters",
        });
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests;
