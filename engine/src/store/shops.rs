//! Shop orders in (table `shop_orders`): one row per shop order, the Gantry order made from it
//! or why it is held; customers found by e-mail and products by SKU for the mapping.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreResult, Tx, col};
use crate::domain::events::{Event, ShopOrderHeldEvent};
use crate::domain::types::{CustomerId, ProductId, to_millis};

/// A shop order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopOrderRow {
    pub id: i64,
    pub shop: String,
    pub external_id: String,
    pub order_id: Option<i64>,
    /// `created` or `held`.
    pub status: String,
    pub held_reason: Option<String>,
}

fn from_row(r: &sqlx::any::AnyRow) -> StoreResult<ShopOrderRow> {
    const T: &str = "shop_orders";
    Ok(ShopOrderRow {
        id: col(r, T, "id")?,
        shop: col(r, T, "shop")?,
        external_id: col(r, T, "external_id")?,
        order_id: col(r, T, "order_id")?,
        status: col(r, T, "status")?,
        held_reason: col(r, T, "held_reason")?,
    })
}

const COLS: &str = "id, shop, external_id, order_id, status, held_reason";

pub async fn by_external(
    conn: &mut AnyConnection,
    shop: &str,
    external_id: &str,
) -> StoreResult<Option<ShopOrderRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM shop_orders WHERE shop = $1 AND external_id = $2"
    )))
    .bind(shop)
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Shop orders, newest first (only the held ones with `held_only`).
pub async fn list(conn: &mut AnyConnection, held_only: bool, limit: i64) -> StoreResult<Vec<ShopOrderRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM shop_orders WHERE ($1 = 0 OR status = 'held') ORDER BY id DESC LIMIT $2"
    )))
    .bind(i64::from(held_only))
    .bind(limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Records a shop order: made into `order_id`, or held with a reason (`shop_order.held`).
pub async fn record(
    tx: &mut Tx,
    now: DateTime<Utc>,
    shop: &str,
    external_id: &str,
    order_id: Option<i64>,
    held_reason: Option<&str>,
    payload: &str,
) -> StoreResult<ShopOrderRow> {
    let row = sqlx::query(
        "INSERT INTO shop_orders (shop, external_id, order_id, status, held_reason, payload, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(shop)
    .bind(external_id)
    .bind(order_id)
    .bind(if held_reason.is_some() { "held" } else { "created" })
    .bind(held_reason)
    .bind(payload)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = col(&row, "shop_orders", "id")?;
    if let Some(reason) = held_reason {
        super::events::append(
            tx,
            now,
            &Event::ShopOrderHeld(ShopOrderHeldEvent {
                shop_order_id: id,
                shop: shop.into(),
                external_id: external_id.into(),
                reason: reason.into(),
            }),
        )
        .await?;
    }
    Ok(ShopOrderRow {
        id,
        shop: shop.into(),
        external_id: external_id.into(),
        order_id,
        status: if held_reason.is_some() { "held" } else { "created" }.into(),
        held_reason: held_reason.map(str::to_string),
    })
}

/// The products with these SKUs (upper case), as (sku, id).
pub async fn products_by_sku(
    conn: &mut AnyConnection,
    skus: &[String],
) -> StoreResult<Vec<(String, ProductId)>> {
    let mut out = Vec::new();
    for s in skus {
        let row = sqlx::query("SELECT id FROM products WHERE sku = $1 AND active = 1")
            .bind(s)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(r) = row {
            out.push((s.clone(), ProductId(col(&r, "products", "id")?)));
        }
    }
    Ok(out)
}

/// The oldest customer record with this e-mail address (compared in lower case).
pub async fn customer_by_email(conn: &mut AnyConnection, email: &str) -> StoreResult<Option<CustomerId>> {
    let row = sqlx::query("SELECT id FROM customers WHERE LOWER(email) = LOWER($1) ORDER BY id LIMIT 1")
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "customers", "id").map(CustomerId))
        .transpose()
}
