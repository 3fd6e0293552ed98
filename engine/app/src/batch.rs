//! Reads in batches, for the transports' DataLoaders (`WHERE id IN (…)`: one read for the keys
//! of a whole list), and the farm-wide counts. A key without a row is absent from the map.

use std::collections::HashMap;

use gantry_engine::domain::catalog::{Product, RatingSummary};
use gantry_engine::domain::equipment::Printer;
use gantry_engine::domain::inventory::Material;
use gantry_engine::domain::orders::OrderLine;
use gantry_engine::domain::production::Job;
use gantry_engine::domain::types::{CustomerId, MaterialId, OrderId, PrinterId, ProductId};
use gantry_engine::domain::users::Customer;
use gantry_engine::store::{batch, count_rows, equipment, inventory};

use crate::{AppResult, Db, conn};

pub async fn customers(db: &Db, keys: &[CustomerId]) -> AppResult<HashMap<CustomerId, Customer>> {
    Ok(batch::customers_by_ids(&mut *conn(db).await?, keys).await?)
}

pub async fn products(db: &Db, keys: &[ProductId]) -> AppResult<HashMap<ProductId, Product>> {
    Ok(batch::products_by_ids(&mut *conn(db).await?, keys).await?)
}

/// Order lines by order id.
pub async fn lines(db: &Db, keys: &[OrderId]) -> AppResult<HashMap<OrderId, Vec<OrderLine>>> {
    Ok(batch::lines_by_order_ids(&mut *conn(db).await?, keys).await?)
}

/// Jobs by order id.
pub async fn jobs(db: &Db, keys: &[OrderId]) -> AppResult<HashMap<OrderId, Vec<Job>>> {
    Ok(batch::jobs_by_order_ids(&mut *conn(db).await?, keys).await?)
}

/// Review summaries by product id.
pub async fn ratings(db: &Db, keys: &[ProductId]) -> AppResult<HashMap<ProductId, RatingSummary>> {
    Ok(batch::ratings_by_product_ids(&mut *conn(db).await?, keys).await?)
}

/// Materials by id (the table is small: one read of all of them).
pub async fn materials(db: &Db, keys: &[MaterialId]) -> AppResult<HashMap<MaterialId, Material>> {
    Ok(inventory::list_materials(&mut *conn(db).await?)
        .await?
        .into_iter()
        .filter(|m| keys.contains(&m.id))
        .map(|m| (m.id, m))
        .collect())
}

/// Printers by id (one read of the farm).
pub async fn printers(db: &Db, keys: &[PrinterId]) -> AppResult<HashMap<PrinterId, Printer>> {
    Ok(equipment::list_printers(&mut *conn(db).await?)
        .await?
        .into_iter()
        .filter(|p| keys.contains(&p.id))
        .map(|p| (p.id, p))
        .collect())
}

/// Shipments by order id (of orders already shown to the caller).
pub async fn shipments(
    db: &Db,
    keys: &[OrderId],
) -> AppResult<HashMap<OrderId, Vec<gantry_engine::domain::integrations::shipments::Shipment>>> {
    Ok(gantry_engine::store::shipments::of_orders(&mut *conn(db).await?, keys).await?)
}

/// Farm-wide counts: printers, materials, products, orders, jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub printers: i64,
    pub materials: i64,
    pub products: i64,
    pub orders: i64,
    pub jobs: i64,
}

pub async fn counts(db: &Db) -> AppResult<Counts> {
    Ok(Counts {
        printers: count_rows(db, "printers").await?,
        materials: count_rows(db, "materials").await?,
        products: count_rows(db, "products").await?,
        orders: count_rows(db, "orders").await?,
        jobs: count_rows(db, "jobs").await?,
    })
}
