//! Payments against orders: an order is paid in one or more parts while it is placed; the part
//! that brings the paid sum to its total settles it (the order becomes paid). A payment settles
//! the order's open receivable first; what is left is a prepayment until the invoice clears it.

use serde::Serialize;

use super::FinanceError;
use crate::orders::OrderStatus;
use crate::types::Money;

/// What a payment does to its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PaymentCheck {
    /// What is still owed after the payment.
    pub outstanding_after: i64,
    /// The payment pays the order in full: it becomes paid.
    pub settles: bool,
}

/// Checks a payment of `amount` against order `order` in `status` with `total`, of which
/// `paid` was paid before. Refuses a draft, cancelled or refunded order
/// (`FINANCE_NOT_PAYABLE`), an order paid in full already (`FINANCE_ALREADY_PAID`), another
/// currency (`FINANCE_CURRENCY_MISMATCH`), an amount not above zero
/// (`FINANCE_INVALID_AMOUNT`) and more than is owed (`FINANCE_OVERPAYMENT`).
pub fn check_payment(
    order: i64,
    status: OrderStatus,
    total: Money,
    paid: i64,
    amount: Money,
) -> Result<PaymentCheck, FinanceError> {
    match status {
        OrderStatus::Placed => {}
        OrderStatus::Draft | OrderStatus::Cancelled | OrderStatus::Refunded => {
            return Err(FinanceError::NotPayable {
                order,
                status: status.as_str().to_string(),
            });
        }
        _ => return Err(FinanceError::AlreadyPaid(order)),
    }
    if amount.currency != total.currency {
        return Err(FinanceError::CurrencyMismatch {
            expected: total.currency.to_string(),
            found: amount.currency.to_string(),
        });
    }
    if amount.minor <= 0 {
        return Err(FinanceError::InvalidAmount {
            field: "payment",
            amount: amount.minor,
            reason: "must be above zero",
        });
    }
    let outstanding = (total.minor - paid).max(0);
    if amount.minor > outstanding {
        return Err(FinanceError::Overpayment {
            order,
            outstanding,
            amount: amount.minor,
        });
    }
    Ok(PaymentCheck {
        outstanding_after: outstanding - amount.minor,
        settles: amount.minor == outstanding,
    })
}

/// How a receipt of `amount` splits against an order whose receivable is `open_receivable`
/// (debits − credits): `(to receivables, to prepayments)`. The open receivable is settled
/// first; the rest is held as a prepayment (a credit of the customer).
pub fn split_receipt(amount: i64, open_receivable: i64) -> (i64, i64) {
    let to_receivable = amount.clamp(0, open_receivable.max(0));
    (to_receivable, amount - to_receivable)
}

/// What a customer owes (or holds as credit) in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CustomerBalance {
    pub customer_id: i64,
    pub currency: String,
    /// Invoiced and not yet paid (the receivable's debit balance).
    pub receivable: i64,
    /// Paid and not yet invoiced (prepayments, a credit balance shown positive).
    pub prepaid: i64,
}

impl CustomerBalance {
    /// What the customer owes: receivable − prepaid (negative: a credit).
    pub fn balance(&self) -> i64 {
        self.receivable - self.prepaid
    }
}
