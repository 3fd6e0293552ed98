//! Invoices and credit notes: numbering, lines with tax taken out of gross prices.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{FinanceError, split_gross, tax_rate};
use crate::orders::OrderStatus;

/// An invoice or a credit note (which reverses an invoice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "invoice",
            InvoiceKind::CreditNote => "credit_note",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceKind> {
        match s {
            "invoice" => Some(InvoiceKind::Invoice),
            "credit_note" => Some(InvoiceKind::CreditNote),
            _ => None,
        }
    }

    /// The number's prefix: `INV` or `CN`.
    pub fn prefix(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "INV",
            InvoiceKind::CreditNote => "CN",
        }
    }

    /// The counter row of this kind's numbers in `year` (`invoice:2026`).
    pub fn counter(self, year: i32) -> String {
        format!("{}:{year}", self.as_str())
    }

    /// The number of the `seq`-th document of `year`: `INV-2026-000042`.
    pub fn number(self, year: i32, seq: i64) -> String {
        format!("{}-{year}-{seq:06}", self.prefix())
    }
}

/// Whether an order in `status` may be invoiced (placed and not cancelled or refunded).
pub fn check_invoiceable(order: i64, status: OrderStatus) -> Result<(), FinanceError> {
    match status {
        OrderStatus::Draft | OrderStatus::Cancelled | OrderStatus::Refunded => {
            Err(FinanceError::NotInvoiceable {
                order,
                status: status.as_str().to_string(),
            })
        }
        _ => Ok(()),
    }
}

/// An order line as the invoice sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableLine {
    pub description: String,
    pub quantity: i64,
    /// Gross (tax-inclusive) unit price.
    pub unit_price_minor: i64,
    pub tax_rate_bp: i64,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceLine {
    pub line_no: i64,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub tax_rate_bp: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub gross_minor: i64,
}

/// The lines and totals of an invoice for billable lines (gross = quantity × unit price).
pub fn invoice_lines(lines: &[BillableLine]) -> Result<(Vec<InvoiceLine>, i64, i64), FinanceError> {
    let mut out = Vec::with_capacity(lines.len());
    let (mut net, mut tax) = (0i64, 0i64);
    for (i, l) in lines.iter().enumerate() {
        tax_rate(l.tax_rate_bp)?;
        if l.quantity <= 0 || l.unit_price_minor < 0 {
            return Err(FinanceError::InvalidAmount {
                field: "invoice line",
                amount: l.unit_price_minor.min(l.quantity),
                reason: "quantity must be positive and prices not negative",
            });
        }
        let gross = l
            .quantity
            .checked_mul(l.unit_price_minor)
            .ok_or(FinanceError::InvalidAmount {
                field: "invoice line",
                amount: l.unit_price_minor,
                reason: "overflow",
            })?;
        let (n, t) = split_gross(gross, l.tax_rate_bp);
        net += n;
        tax += t;
        out.push(InvoiceLine {
            line_no: i as i64 + 1,
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price_minor: l.unit_price_minor,
            tax_rate_bp: l.tax_rate_bp,
            net_minor: n,
            tax_minor: t,
            gross_minor: gross,
        });
    }
    if net + tax <= 0 {
        return Err(FinanceError::ZeroEntry);
    }
    Ok((out, net, tax))
}

/// An issued invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub id: i64,
    pub kind: InvoiceKind,
    pub number: String,
    pub year: i64,
    pub seq: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    /// The invoice a credit note reverses.
    pub credits_invoice_id: Option<i64>,
    pub currency: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub issued_at: DateTime<Utc>,
    pub lines: Vec<InvoiceLine>,
}
