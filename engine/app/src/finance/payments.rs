//! Payments by hand (in parts) and receipts of expenses kept in object storage.

use std::future::Future;

use chrono::{DateTime, Utc};
use gantry_engine::domain::finance::FinanceError;
use gantry_engine::domain::types::{Money, OrderId};
use gantry_engine::error::DomainError;
use gantry_engine::store::finance::payments as store;
pub use gantry_engine::store::finance::payments::{MANUAL, RecordedPayment};
use gantry_engine::store::finance::{self as ledger, Expense};
use gantry_engine::store::orders;
use gantry_engine::store::payments::Payment;

use crate::printing::sha256_hex;
use crate::{AppError, AppResult, Caller, Db, conn, in_tx};

/// Records a payment of `amount` against an order by hand (in parts while it is placed; the
/// part that pays it in full makes it paid). Refused (nothing written): a draft, cancelled or
/// refunded order (`FINANCE_NOT_PAYABLE`), an order paid already (`FINANCE_ALREADY_PAID`),
/// more than it owes (`FINANCE_OVERPAYMENT`), another currency, an amount not above zero.
pub async fn record_payment(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    order: i64,
    amount: Money,
    reference: &str,
) -> AppResult<RecordedPayment> {
    in_tx!(db, tx => store::record_payment(&mut tx, now, OrderId(order), amount, reference, caller.user_id).await?)
}

/// What an order was paid and still owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPayments {
    pub order_id: i64,
    pub total: Money,
    /// Recorded payments, oldest first.
    pub payments: Vec<Payment>,
    /// Σ of the recorded payments (an order marked paid by hand without them: its total).
    pub paid_minor: i64,
    pub outstanding_minor: i64,
}

/// The payments of an order and what it still owes.
pub async fn order_payments(db: &Db, order: i64) -> AppResult<OrderPayments> {
    let mut c = conn(db).await?;
    let o = orders::get_order(&mut c, OrderId(order)).await?;
    let payments = store::payments_of_order(&mut c, order).await?;
    let recorded: i64 = payments.iter().map(|p| p.amount_minor).sum();
    use gantry_engine::domain::orders::OrderStatus::*;
    // Marked paid without (all) recorded payments: the rest was received by hand.
    let paid = match o.status {
        Paid | InProduction | Ready | Shipped | Delivered | Refunded => recorded.max(o.total.minor),
        _ => recorded,
    };
    Ok(OrderPayments {
        order_id: order,
        total: o.total,
        payments,
        paid_minor: paid,
        outstanding_minor: match o.status {
            Placed => (o.total.minor - paid).max(0),
            _ => 0,
        },
    })
}

/// Where receipts are kept (the api implements it on its object store).
pub trait ReceiptStore: Send + Sync {
    /// Stores `bytes` under `key` unless something is there already.
    fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> impl Future<Output = Result<bool, String>> + Send;
    /// The bytes under `key`.
    fn get(&self, key: &str) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
}

/// A receipt's file as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The largest receipt accepted (10 MiB).
pub const MAX_RECEIPT_BYTES: usize = 10 * 1024 * 1024;

/// The key of a receipt: `receipts/<sha256>/<file name>` (the name reduced to letters, digits,
/// `.`, `-` and `_`).
pub fn receipt_key(sha256: &str, file_name: &str) -> String {
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let name = name.trim_matches('.');
    let name = if name.is_empty() { "receipt" } else { name };
    format!("receipts/{sha256}/{name}")
}

/// Records a manual expense with its receipt: the file is stored first (by content, so a
/// retry stores nothing twice), then the expense is recorded and posted with the receipt's
/// key. An empty or too large file is refused (`FINANCE_INVALID_FIELD`), nothing written.
#[allow(clippy::too_many_arguments)]
pub async fn record_expense_with_receipt<S: ReceiptStore>(
    db: &Db,
    store: &S,
    caller: &Caller,
    now: DateTime<Utc>,
    category: &str,
    description: &str,
    amount: Money,
    paid_in_cash: bool,
    receipt: ReceiptFile,
) -> AppResult<Expense> {
    if receipt.bytes.is_empty() || receipt.bytes.len() > MAX_RECEIPT_BYTES {
        return Err(DomainError::from(FinanceError::InvalidField {
            field: "receipt",
            reason: "a file of 1 byte to 10 MiB",
        })
        .into());
    }
    // Refuse a bad category, description or amount before storing anything.
    gantry_engine::domain::finance::ExpenseCategory::parse(category).map_err(DomainError::from)?;
    gantry_engine::domain::finance::text("description", description, 200).map_err(DomainError::from)?;
    if amount.minor <= 0 {
        return Err(DomainError::from(FinanceError::InvalidAmount {
            field: "expense",
            amount: amount.minor,
            reason: "must be above zero",
        })
        .into());
    }
    let key = receipt_key(&sha256_hex(&receipt.bytes), &receipt.file_name);
    store.put_if_absent(&key, receipt.bytes).await.map_err(|e| {
        AppError::refused(
            gantry_engine::error::ErrorKind::Internal,
            "INTERNAL",
            format!("storing the receipt: {e}"),
        )
    })?;
    super::record_expense(
        db,
        caller,
        now,
        category,
        description,
        amount,
        paid_in_cash,
        Some(&key),
    )
    .await
}

/// Expenses, newest first (page with `before_id`).
pub async fn expenses(db: &Db, before_id: Option<i64>, limit: i64) -> AppResult<Vec<Expense>> {
    let mut c = conn(db).await?;
    Ok(ledger::list_expenses(&mut c, before_id, limit).await?)
}

/// An expense's receipt as stored: its key and bytes (`NOT_FOUND` without one stored).
pub async fn expense_receipt<S: ReceiptStore>(db: &Db, store: &S, id: i64) -> AppResult<(String, Vec<u8>)> {
    let e = {
        let mut c = conn(db).await?;
        ledger::get_expense(&mut c, id).await?
    };
    let key = e
        .receipt_ref
        .filter(|k| k.starts_with("receipts/"))
        .ok_or_else(|| AppError::not_found("receipt of expense", id))?;
    let bytes = store
        .get(&key)
        .await
        .map_err(|_| AppError::not_found("receipt of expense", id))?;
    Ok((key, bytes))
}
