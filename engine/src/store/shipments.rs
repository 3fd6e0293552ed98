//! Shipments (tables `shipments`, `shipment_status_history`): an order's parcels, their status
//! changes (by staff or by the carrier's webhook) and what they mean for the order — it moves
//! `ready → shipped` when a parcel leaves and `shipped → delivered` when every parcel that is
//! not cancelled is delivered, through the order lifecycle (`orders::apply_transition`), in the
//! same transaction. Each change appends its `shipment.*` event.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::orders::{apply_transition, get_order, list_lines};
use super::{StoreError, StoreResult, Tx, col};
use crate::domain::events::{Event, ShipmentEvent};
use crate::domain::integrations::IntegrationError;
use crate::domain::integrations::shipments::{
    Parcel, Shipment, ShipmentChange, ShipmentStatus, SlipLine, check_order_shippable, order_moves,
};
use crate::domain::orders::Order;
use crate::domain::types::{OrderId, UserId, from_millis, to_millis};

const COLS: &str = "s.id, s.order_id, o.customer_id, s.carrier, s.service, s.tracking_number, s.status, \
                    s.note, s.created_by, s.created_at, s.updated_at";

fn rejected(e: IntegrationError) -> StoreError {
    StoreError::Rejected(e.into())
}

fn from_row(r: &sqlx::any::AnyRow) -> StoreResult<Shipment> {
    const T: &str = "shipments";
    let status: String = col(r, T, "status")?;
    Ok(Shipment {
        id: col(r, T, "id")?,
        order_id: col(r, T, "order_id")?,
        customer_id: col(r, T, "customer_id")?,
        parcel: Parcel {
            carrier: col(r, T, "carrier")?,
            service: col(r, T, "service")?,
            tracking_number: col(r, T, "tracking_number")?,
        },
        status: ShipmentStatus::parse(&status)
            .ok_or_else(|| StoreError::corrupt(T, format!("status {status:?}")))?,
        note: col(r, T, "note")?,
        created_by: col(r, T, "created_by")?,
        created_at: from_millis(col(r, T, "created_at")?),
        updated_at: from_millis(col(r, T, "updated_at")?),
    })
}

/// One shipment.
pub async fn get(conn: &mut AnyConnection, id: i64) -> StoreResult<Shipment> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("shipment", id))?;
    from_row(&row)
}

/// The shipment of `carrier` with `tracking_number`, if any.
pub async fn by_tracking(
    conn: &mut AnyConnection,
    carrier: &str,
    tracking_number: &str,
) -> StoreResult<Option<Shipment>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM shipments s JOIN orders o ON o.id = s.order_id \
         WHERE s.carrier = $1 AND s.tracking_number = $2"
    )))
    .bind(carrier)
    .bind(tracking_number)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The shipments of an order, oldest first.
pub async fn of_order(conn: &mut AnyConnection, order: OrderId) -> StoreResult<Vec<Shipment>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM shipments s JOIN orders o ON o.id = s.order_id \
         WHERE s.order_id = $1 ORDER BY s.id"
    )))
    .bind(order.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The shipments of many orders in one read, oldest first, by order (an order without
/// shipments is absent).
pub async fn of_orders(
    conn: &mut AnyConnection,
    orders: &[OrderId],
) -> StoreResult<HashMap<OrderId, Vec<Shipment>>> {
    let ids: Vec<i64> = orders.iter().map(|o| o.0).collect();
    let rows = super::batch::fetch_in(
        conn,
        &format!("SELECT {COLS} FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.order_id IN"),
        "ORDER BY s.id",
        &ids,
    )
    .await?;
    let mut out: HashMap<OrderId, Vec<Shipment>> = HashMap::new();
    for r in &rows {
        let s = from_row(r)?;
        out.entry(OrderId(s.order_id)).or_default().push(s);
    }
    Ok(out)
}

/// A shipment's status changes, oldest first.
pub async fn history(conn: &mut AnyConnection, id: i64) -> StoreResult<Vec<ShipmentChange>> {
    const T: &str = "shipment_status_history";
    let rows = sqlx::query(
        "SELECT from_status, to_status, changed_by, source, note, changed_at \
         FROM shipment_status_history WHERE shipment_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let status = |name: &str| -> StoreResult<Option<ShipmentStatus>> {
                let s: Option<String> = col(r, T, name)?;
                s.map(|s| {
                    ShipmentStatus::parse(&s).ok_or_else(|| StoreError::corrupt(T, format!("{name} {s:?}")))
                })
                .transpose()
            };
            Ok(ShipmentChange {
                from: status("from_status")?,
                to: status("to_status")?.ok_or_else(|| StoreError::corrupt(T, "to_status is null"))?,
                changed_by: col(r, T, "changed_by")?,
                source: col(r, T, "source")?,
                note: col(r, T, "note")?,
                changed_at: from_millis(col(r, T, "changed_at")?),
            })
        })
        .collect()
}

/// Where a change comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A user (GraphQL), or the system.
    Staff,
    /// The carrier's status webhook.
    Carrier,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Staff => "staff",
            Source::Carrier => "carrier",
        }
    }
}

async fn append(
    tx: &mut Tx,
    now: DateTime<Utc>,
    s: &Shipment,
    from: Option<ShipmentStatus>,
    by: Option<UserId>,
    source: Source,
) -> StoreResult<()> {
    if from != Some(s.status) {
        sqlx::query(
            "INSERT INTO shipment_status_history (shipment_id, from_status, to_status, changed_by, source, note, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(s.id)
        .bind(from.map(ShipmentStatus::as_str))
        .bind(s.status.as_str())
        .bind(by.map(|u| u.0))
        .bind(source.as_str())
        .bind(&s.note)
        .bind(to_millis(now))
        .execute(&mut **tx)
        .await?;
    }
    super::events::append(
        tx,
        now,
        &Event::Shipment(ShipmentEvent {
            shipment_id: s.id,
            order_id: s.order_id,
            customer_id: s.customer_id,
            carrier: s.parcel.carrier.clone(),
            service: s.parcel.service.clone(),
            tracking_number: s.parcel.tracking_number.clone(),
            from,
            to: s.status,
            by_user_id: by.map(|u| u.0),
            note: s.note.clone(),
        }),
    )
    .await?;
    Ok(())
}

/// Moves the order as its shipments say (`ready → shipped → delivered`); returns it as it is.
async fn follow(tx: &mut Tx, now: DateTime<Utc>, order: OrderId, by: Option<UserId>) -> StoreResult<Order> {
    let mut o = get_order(tx, order).await?;
    let statuses: Vec<ShipmentStatus> = of_order(tx, order).await?.into_iter().map(|s| s.status).collect();
    for to in order_moves(o.status, &statuses) {
        let note = match to {
            crate::domain::orders::OrderStatus::Delivered => "every shipment delivered",
            _ => "a shipment left",
        };
        o = apply_transition(tx, now, &o, to, by, note).await?;
    }
    Ok(o)
}

/// Creates a shipment of a `ready` or `shipped` order (`SHIPMENT_ORDER_NOT_SHIPPABLE`
/// otherwise) with its first status; a tracking number the carrier already has is
/// `SHIPMENT_TRACKING_TAKEN`. Appends `shipment.created`; the order follows.
pub async fn create(
    tx: &mut Tx,
    now: DateTime<Utc>,
    order: OrderId,
    parcel: &Parcel,
    status: ShipmentStatus,
    note: &str,
    by: Option<UserId>,
) -> StoreResult<Shipment> {
    let o = get_order(tx, order).await?;
    check_order_shippable(o.status).map_err(rejected)?;
    if status == ShipmentStatus::Cancelled {
        return Err(rejected(IntegrationError::ShipmentIllegalTransition {
            from: "none",
            to: status.as_str(),
        }));
    }
    if by_tracking(tx, &parcel.carrier, &parcel.tracking_number)
        .await?
        .is_some()
    {
        return Err(rejected(IntegrationError::TrackingTaken {
            carrier: parcel.carrier.clone(),
            tracking_number: parcel.tracking_number.clone(),
        }));
    }
    let row = sqlx::query(
        "INSERT INTO shipments (order_id, carrier, service, tracking_number, status, note, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(order.0)
    .bind(&parcel.carrier)
    .bind(&parcel.service)
    .bind(&parcel.tracking_number)
    .bind(status.as_str())
    .bind(note)
    .bind(by.map(|u| u.0))
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        e if e.is_unique_violation() => rejected(IntegrationError::TrackingTaken {
            carrier: parcel.carrier.clone(),
            tracking_number: parcel.tracking_number.clone(),
        }),
        e => e,
    })?;
    let s = get(tx, col(&row, "shipments", "id")?).await?;
    append(tx, now, &s, None, by, Source::Staff).await?;
    follow(tx, now, order, by).await?;
    Ok(s)
}

/// Moves a shipment to `to` (the same status again changes nothing and appends nothing;
/// `SHIPMENT_ILLEGAL_TRANSITION` when the machine refuses). Appends
/// `shipment.status_changed`; the order follows. Returns the shipment and whether it changed.
pub async fn set_status(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: i64,
    to: ShipmentStatus,
    note: &str,
    by: Option<UserId>,
    source: Source,
) -> StoreResult<(Shipment, bool)> {
    let s = get(tx, id).await?;
    if s.status == to {
        return Ok((s, false));
    }
    ShipmentStatus::check_transition(s.status, to).map_err(rejected)?;
    let done = sqlx::query(
        "UPDATE shipments SET status = $1, note = $2, updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(note)
    .bind(to_millis(now))
    .bind(id)
    .bind(s.status.as_str())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "shipment {id} changed concurrently"
        )));
    }
    let from = s.status;
    let s = Shipment {
        status: to,
        note: note.to_string(),
        updated_at: from_millis(to_millis(now)),
        ..s
    };
    append(tx, now, &s, Some(from), by, source).await?;
    follow(tx, now, OrderId(s.order_id), by).await?;
    Ok((s, true))
}

/// Corrects a shipment's carrier, service and tracking number (`shipment.updated`).
pub async fn update(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: i64,
    parcel: &Parcel,
    by: Option<UserId>,
) -> StoreResult<Shipment> {
    let s = get(tx, id).await?;
    if s.parcel == *parcel {
        return Ok(s);
    }
    if let Some(other) = by_tracking(tx, &parcel.carrier, &parcel.tracking_number).await?
        && other.id != id
    {
        return Err(rejected(IntegrationError::TrackingTaken {
            carrier: parcel.carrier.clone(),
            tracking_number: parcel.tracking_number.clone(),
        }));
    }
    sqlx::query("UPDATE shipments SET carrier = $1, service = $2, tracking_number = $3, updated_at = $4 WHERE id = $5")
        .bind(&parcel.carrier)
        .bind(&parcel.service)
        .bind(&parcel.tracking_number)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let s = Shipment {
        parcel: parcel.clone(),
        updated_at: from_millis(to_millis(now)),
        ..s
    };
    append(tx, now, &s, Some(s.status), by, Source::Staff).await?;
    Ok(s)
}

/// What a packing slip of `s` shows besides the shipment: the customer's name and company and
/// the order's lines (description, or the product's SKU and name).
pub async fn slip_parts(
    conn: &mut AnyConnection,
    s: &Shipment,
) -> StoreResult<(String, Option<String>, Vec<SlipLine>)> {
    let order = get_order(&mut *conn, OrderId(s.order_id)).await?;
    let c = sqlx::query("SELECT name, company FROM customers WHERE id = $1")
        .bind(order.customer_id.0)
        .fetch_one(&mut *conn)
        .await?;
    let mut lines = Vec::new();
    for l in list_lines(&mut *conn, &order).await? {
        let sku = match l.product_id {
            Some(p) => sqlx::query("SELECT sku FROM products WHERE id = $1")
                .bind(p.0)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| col::<String>(&r, "products", "sku"))
                .transpose()?,
            None => None,
        };
        lines.push(SlipLine {
            line_no: l.line_no,
            description: match sku {
                Some(sku) => format!("{sku} {}", l.description),
                None => l.description.clone(),
            },
            quantity: i64::from(l.quantity.get()),
        });
    }
    Ok((
        col(&c, "customers", "name")?,
        col(&c, "customers", "company")?,
        lines,
    ))
}
