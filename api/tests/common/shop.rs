//! Catalog and order rows for the integration tests (payments and shop orders in).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_engine::domain::catalog::{NewProduct, ProductionSpec};
use gantry_engine::domain::orders::{NewOrder, NewOrderLine};
use gantry_engine::domain::types::{Currency, CustomerId, MaterialId, Money, OrderId, ProductId};

use super::TestApp;
use gantry_engine::domain::users::NewCustomer;
use gantry_engine::store::{Db, catalog, col, orders, users};

/// A PLA material and a product `sku` priced `price_minor` EUR cents.
pub async fn product(db: &Db, sku: &str, price_minor: i64) -> ProductId {
    let row = sqlx::query(
        "INSERT INTO materials (code, kind, colour, diameter_um, density_mg_cm3, price_per_kg_minor, currency, created_at) \
         VALUES ($1, 'PLA', 'black', 1750, 1240, 2000, 'EUR', 0) RETURNING id",
    )
    .bind(format!("PLA-{sku}"))
    .fetch_one(db.pool())
    .await
    .unwrap();
    let material = gantry_engine::domain::types::MaterialId(col(&row, "materials", "id").unwrap());
    product_of(db, sku, price_minor, material).await
}

/// A product `sku` of `material` priced `price_minor` EUR cents (10 g, 30 minutes a unit, one
/// per plate).
pub async fn product_of(db: &Db, sku: &str, price_minor: i64, material: MaterialId) -> ProductId {
    let mut tx = db.begin().await.unwrap();
    let p = catalog::create_product(
        &mut tx,
        chrono::Utc::now(),
        &NewProduct {
            sku: sku.into(),
            name: format!("Product {sku}"),
            description: String::new(),
            category_id: None,
            model_ref: None,
            default_material_id: material,
            price: Money {
                minor: price_minor,
                currency: Currency::EUR,
            },
            production: ProductionSpec {
                grams_per_unit: 10,
                print_minutes_per_unit: 30,
                copies_per_plate: 1,
            },
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p.id
}

pub async fn customer(db: &Db, name: &str) -> CustomerId {
    let mut tx = db.begin().await.unwrap();
    let c = users::create_customer(
        &mut tx,
        chrono::Utc::now(),
        &NewCustomer {
            name: name.into(),
            email: None,
            company: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    c.id
}

/// A placed EUR order of `qty` × `product` for a new customer; returns it with its total.
pub async fn placed_order(db: &Db, product: ProductId, qty: i64) -> (OrderId, i64) {
    let customer = customer(db, "Payer").await;
    placed_order_for(db, customer, product, qty).await
}

/// A placed EUR order of `qty` × `product` for `customer`; returns it with its total.
pub async fn placed_order_for(db: &Db, customer: CustomerId, product: ProductId, qty: i64) -> (OrderId, i64) {
    let mut tx = db.begin().await.unwrap();
    let o = orders::create_order(
        &mut tx,
        chrono::Utc::now(),
        &NewOrder {
            customer_id: customer,
            currency: Currency::EUR,
            lines: vec![NewOrderLine::product(product, qty)],
            priority: 0,
            due_at: None,
            idempotency_key: None,
        },
        None,
    )
    .await
    .unwrap();
    let placed = orders::place(&mut tx, chrono::Utc::now(), o.order.id, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (placed.id, placed.total.minor)
}

/// POSTs `body` to `path` with `headers`; returns the status and the JSON answer.
pub async fn post(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, serde_json::Value) {
    let mut r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json");
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    let r = r.body(body.to_string()).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}
