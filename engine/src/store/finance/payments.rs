//! Payments recorded by hand against an order (a bank transfer, cash at the counter): in parts
//! while the order is placed; the part that pays it in full moves the order to paid in the same
//! transaction. Each is a `payments` row (provider `manual`) with its `payment.recorded` event,
//! from which the finance consumer posts the cash.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreResult, Tx, col, next_counter, rejected};
use crate::domain::finance::{PaymentCheck, check_payment, text};
use crate::domain::orders::Order;
use crate::domain::types::{Money, OrderId, UserId};
use crate::store::orders;
use crate::store::payments::{self, NewPayment, Payment};

/// The provider name of payments recorded by hand.
pub const MANUAL: &str = "manual";

/// Σ of the payments recorded (not held) against `order`.
pub async fn paid_for_order(conn: &mut AnyConnection, order: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS n FROM payments \
         WHERE order_id = $1 AND status = 'recorded'",
    )
    .bind(order)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "payments", "n")
}

/// The payments recorded (not held) against `order`, oldest first.
pub async fn payments_of_order(conn: &mut AnyConnection, order: i64) -> StoreResult<Vec<Payment>> {
    let rows = sqlx::query("SELECT id FROM payments WHERE order_id = $1 AND status = 'recorded' ORDER BY id")
        .bind(order)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(payments::get(&mut *conn, col(&r, "payments", "id")?).await?);
    }
    Ok(out)
}

/// A payment recorded by hand, with its order as it is now and what the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPayment {
    pub payment: Payment,
    pub order: Order,
    pub check: PaymentCheck,
}

/// Records a payment of `amount` against `order` (by user `by`, with the payer's `reference`,
/// e.g. a bank transfer's). Refuses what [`check_payment`] refuses (nothing written); the part
/// that pays the order in full moves it to paid first. Manual payments queue on one counter
/// row, so two at once cannot both pay what is left.
pub async fn record_payment(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order: OrderId,
    amount: Money,
    reference: &str,
    by: Option<UserId>,
) -> StoreResult<RecordedPayment> {
    let n = next_counter(tx, "manual_payment").await?;
    let reference = match reference.trim() {
        "" => format!("manual payment {n}"),
        r => text("reference", r, 200).map_err(rejected)?,
    };
    let o = orders::get_order(&mut *tx, order).await?;
    let paid = paid_for_order(&mut *tx, order.0).await?;
    let check = check_payment(order.0, o.status, o.total, paid, amount).map_err(rejected)?;
    let o = if check.settles {
        orders::pay(tx, now, order, by).await?
    } else {
        o
    };
    let payment = payments::record(
        tx,
        now,
        &NewPayment {
            provider: MANUAL.into(),
            provider_event_id: format!("manual-{n}"),
            reference,
            order_id: Some(order.0),
            amount_minor: amount.minor,
            currency: amount.currency.to_string(),
            held_reason: None,
            payload: serde_json::json!({ "recorded_by": by.map(|u| u.0) }).to_string(),
        },
    )
    .await?;
    Ok(RecordedPayment {
        payment,
        order: o,
        check,
    })
}
