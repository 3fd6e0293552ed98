//! Shop orders in (issue #15): Shopify's and WooCommerce's signed order webhooks become Gantry
//! orders (placed, lines mapped by SKU at the price the customer paid, the customer matched by
//! e-mail or created); an order that cannot be mapped is held with the reason; a repeated
//! delivery creates nothing twice.

use chrono::{DateTime, Utc};
use gantry_engine::domain::integrations::shops::{Shop, map_skus, parse_shopify, parse_woocommerce};
use gantry_engine::domain::integrations::signing::verify_body_hmac;
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::users::NewCustomer;
use gantry_engine::store::shops as store;
pub use gantry_engine::store::shops::ShopOrderRow;
use gantry_engine::store::{Db, orders, users};

use crate::{AppResult, commit, conn};

pub use gantry_engine::domain::integrations::shops::Shop as ShopKind;

/// What became of a shop's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopReceived {
    /// A Gantry order was made (`order_id`).
    Created(ShopOrderRow),
    /// Held for a person (`held_reason`).
    Held(ShopOrderRow),
    /// This shop order arrived before: nothing written.
    Duplicate(ShopOrderRow),
}

/// Receives a shop's order webhook: checks the body's HMAC (`X-Shopify-Hmac-Sha256`,
/// `X-WC-Webhook-Signature`) with `secret`, reads the order and makes it once.
pub async fn receive(
    db: &Db,
    now: DateTime<Utc>,
    shop: Shop,
    secret: &str,
    signature: &str,
    body: &[u8],
) -> AppResult<ShopReceived> {
    verify_body_hmac(secret, signature, body)?;
    let o = match shop {
        Shop::Shopify => parse_shopify(body)?,
        Shop::WooCommerce => parse_woocommerce(body)?,
    };
    let mut tx = db.begin().await?;
    if let Some(existing) = store::by_external(&mut tx, shop.as_str(), &o.external_id).await? {
        return Ok(ShopReceived::Duplicate(existing));
    }
    let skus: Vec<String> = o.lines.iter().filter_map(|l| l.sku.clone()).collect();
    let known = store::products_by_sku(&mut tx, &skus).await?;
    let payload = String::from_utf8_lossy(body).into_owned();
    let mapped = map_skus(&o.lines, |s| {
        known.iter().find(|(k, _)| k == s).map(|(_, id)| *id)
    });
    let row = match mapped {
        Err(reason) => {
            let r = store::record(
                &mut tx,
                now,
                shop.as_str(),
                &o.external_id,
                None,
                Some(&reason),
                &payload,
            )
            .await?;
            commit(tx).await?;
            return Ok(ShopReceived::Held(r));
        }
        Ok(lines) => {
            let customer = match &o.email {
                Some(e) => store::customer_by_email(&mut tx, e).await?,
                None => None,
            };
            let customer = match customer {
                Some(c) => c,
                None => {
                    users::create_customer(
                        &mut tx,
                        now,
                        &NewCustomer {
                            name: o.name.clone(),
                            email: o.email.clone(),
                            company: None,
                        },
                    )
                    .await?
                    .id
                }
            };
            let new = NewOrder {
                customer_id: customer,
                currency: o.currency,
                lines: lines
                    .iter()
                    .map(|(p, l)| NewOrderLine {
                        unit_price_minor: Some(l.unit_price_minor),
                        ..NewOrderLine::product(*p, l.quantity)
                    })
                    .collect(),
                priority: 0,
                due_at: None,
                idempotency_key: Some(format!("{}:{}", shop.as_str(), o.external_id)),
            };
            let made = orders::create_order(&mut tx, now, &new, None).await?;
            orders::place(&mut tx, now, made.order.id, None).await?;
            store::record(
                &mut tx,
                now,
                shop.as_str(),
                &o.external_id,
                Some(made.order.id.0),
                None,
                &payload,
            )
            .await?
        }
    };
    commit(tx).await?;
    Ok(ShopReceived::Created(row))
}

/// Shop orders, newest first (only the held ones with `held_only`).
pub async fn shop_orders(db: &Db, held_only: bool, limit: i64) -> AppResult<Vec<ShopOrderRow>> {
    let mut c = conn(db).await?;
    Ok(store::list(&mut c, held_only, limit).await?)
}
