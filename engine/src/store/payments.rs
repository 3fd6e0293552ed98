//! Payments in (tables `payments`, `inbound_webhooks`, `payment_links`): the inbound replay
//! guard, payments recorded once per provider event (against an order, or held for a person)
//! with their event, and the payment links made for orders.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreError, StoreResult, Tx, col};
use crate::domain::events::{Event, PaymentEvent};
use crate::domain::types::{OrderId, from_millis, to_millis};

/// Remembers a signed inbound request; `false` (nothing written) when the same signature from
/// the same source was accepted before: a replay.
pub async fn first_receipt(
    tx: &mut Tx,
    now: DateTime<Utc>,
    source: &str,
    signature: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO inbound_webhooks (source, signature, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (source, signature) DO NOTHING",
    )
    .bind(source)
    .bind(signature)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub provider: String,
    pub provider_event_id: String,
    pub reference: String,
    pub order_id: Option<i64>,
    pub amount_minor: i64,
    pub currency: String,
    /// `recorded` or `held`.
    pub status: String,
    pub held_reason: Option<String>,
    pub received_at: DateTime<Utc>,
}

const COLS: &str = "id, provider, provider_event_id, reference, order_id, amount_minor, currency, \
    status, held_reason, received_at";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Payment> {
    const T: &str = "payments";
    Ok(Payment {
        id: col(row, T, "id")?,
        provider: col(row, T, "provider")?,
        provider_event_id: col(row, T, "provider_event_id")?,
        reference: col(row, T, "reference")?,
        order_id: col(row, T, "order_id")?,
        amount_minor: col(row, T, "amount_minor")?,
        currency: col(row, T, "currency")?,
        status: col(row, T, "status")?,
        held_reason: col(row, T, "held_reason")?,
        received_at: from_millis(col(row, T, "received_at")?),
    })
}

/// The payment recorded for a provider's event, if any.
pub async fn by_provider_event(
    conn: &mut AnyConnection,
    provider: &str,
    event_id: &str,
) -> StoreResult<Option<Payment>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payments WHERE provider = $1 AND provider_event_id = $2"
    )))
    .bind(provider)
    .bind(event_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A payment to record (decided by the caller: against `order_id`, or held with a reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub provider: String,
    pub provider_event_id: String,
    pub reference: String,
    /// The order it settles (recorded), or the order it named (held), if any that exists.
    pub order_id: Option<i64>,
    pub amount_minor: i64,
    pub currency: String,
    pub held_reason: Option<String>,
    /// The provider's payload as received.
    pub payload: String,
}

/// Records a payment and appends `payment.recorded` or `payment.held`.
pub async fn record(tx: &mut Tx, now: DateTime<Utc>, p: &NewPayment) -> StoreResult<Payment> {
    let row = sqlx::query(
        "INSERT INTO payments (provider, provider_event_id, reference, order_id, amount_minor, \
         currency, status, held_reason, received_at, payload) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(&p.provider)
    .bind(&p.provider_event_id)
    .bind(&p.reference)
    .bind(p.order_id)
    .bind(p.amount_minor)
    .bind(&p.currency)
    .bind(if p.held_reason.is_some() {
        "held"
    } else {
        "recorded"
    })
    .bind(p.held_reason.as_deref())
    .bind(to_millis(now))
    .bind(&p.payload)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = col(&row, "payments", "id")?;
    super::events::append(
        tx,
        now,
        &Event::Payment(PaymentEvent {
            payment_id: id,
            order_id: p.order_id,
            amount_minor: p.amount_minor,
            currency: p.currency.clone(),
            provider: p.provider.clone(),
            reference: p.reference.clone(),
            provider_event_id: p.provider_event_id.clone(),
            held_reason: p.held_reason.clone(),
        }),
    )
    .await?;
    get(tx, id).await
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> StoreResult<Payment> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("payment", id))?;
    from_row(&row)
}

/// Payments, newest first; only the held ones with `held_only`.
pub async fn list(conn: &mut AnyConnection, held_only: bool, limit: i64) -> StoreResult<Vec<Payment>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payments WHERE ($1 = 0 OR status = 'held') ORDER BY id DESC LIMIT $2"
    )))
    .bind(i64::from(held_only))
    .bind(limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A payment link made for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLink {
    pub id: i64,
    pub order_id: i64,
    pub provider: String,
    pub reference: String,
    pub url: String,
    pub amount_minor: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

/// A payment link to remember (made by the provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub order_id: OrderId,
    pub provider: String,
    pub reference: String,
    pub url: String,
    pub amount_minor: i64,
    pub currency: String,
}

pub async fn add_link(tx: &mut Tx, now: DateTime<Utc>, l: &NewLink) -> StoreResult<PaymentLink> {
    let row = sqlx::query(
        "INSERT INTO payment_links (order_id, provider, reference, url, amount_minor, currency, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(l.order_id.0)
    .bind(&l.provider)
    .bind(&l.reference)
    .bind(&l.url)
    .bind(l.amount_minor)
    .bind(&l.currency)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    Ok(PaymentLink {
        id: col(&row, "payment_links", "id")?,
        order_id: l.order_id.0,
        provider: l.provider.clone(),
        reference: l.reference.clone(),
        url: l.url.clone(),
        amount_minor: l.amount_minor,
        currency: l.currency.clone(),
        created_at: now,
    })
}
